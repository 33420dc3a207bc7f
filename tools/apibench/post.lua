-- POST /v1/transactions/send, each request a distinct signed transfer: wrk
-- thread t of n sends transactions t, t+n, t+2n, ... and stops sending new
-- ones when it runs out (a repeat would be "already_known", not admitted).
local txs = {}
for line in io.lines(os.getenv("BENCH_DIR") .. "/bench-txs.txt") do
  txs[#txs + 1] = line
end
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local i = -1
function request()
  i = i + 1
  local k = (id or 0) + i * nthreads + 1
  if k > #txs then k = #txs end
  return wrk.format("POST", "/v1/transactions/send",
    {["Content-Type"] = "application/json"},
    '{"transaction":"' .. txs[k] .. '"}')
end
