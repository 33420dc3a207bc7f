-- GET /v1/accounts/{addr} over the genesis accounts. Requests are formatted
-- once per thread in init, so wrk spends its CPU sending them, not building
-- them (per-request Lua formatting costs wrk a third of its throughput).
local reqs = {}
local n = 0
local i = 0
function init(args)
  for line in io.lines(os.getenv("BENCH_DIR") .. "/bench-addresses.txt") do
    n = n + 1
    reqs[n] = wrk.format("GET", "/v1/accounts/" .. line)
  end
  -- Threads start at different places in the list.
  i = math.random(n)
end
function request()
  i = i % n + 1
  return reqs[i]
end
