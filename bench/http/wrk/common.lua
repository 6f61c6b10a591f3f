-- Shared by the wrk scripts of bench/http.py: the accounts to spread requests over, and one
-- JSON line of results for the Python side to parse.
--
-- Arguments (after "--" on wrk's command line): the accounts file, one "<account id> <token>"
-- per line, and a prefix that makes this run's Idempotency-Keys unique.
local common = {}

function common.load_accounts(path)
    local accounts = {}
    for line in io.lines(path) do
        local id, token = line:match("^(%S+)%s+(%S+)$")
        if id then
            accounts[#accounts + 1] = { id = id, auth = "Bearer " .. token }
        end
    end
    assert(#accounts > 0, "no accounts in " .. path)
    return accounts
end

-- wrk calls setup() once per thread in the main Lua state: number the threads so each can
-- start at a different account and make keys no other thread makes.
local threads = 0
function common.setup(thread)
    threads = threads + 1
    thread:set("thread_number", threads)
end

function common.done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format(
        '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
        '"non_2xx": %d, "socket_errors": %d}\n',
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end

return common
