-- GET /v1/accounts/{addr} over the genesis accounts, each wrk thread
-- starting at its own offset.
local addrs = {}
for line in io.lines(os.getenv("BENCH_DIR") .. "/bench-addresses.txt") do
  addrs[#addrs + 1] = line
end
local counter = 0
local threads = 0
function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end
function request()
  counter = counter + 1
  local a = addrs[((offset or 0) + counter) % #addrs + 1]
  return wrk.format("GET", "/v1/accounts/" .. a)
end
