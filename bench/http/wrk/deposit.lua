-- POST /v1/accounts/{id}/deposits, round robin over the accounts, each request with its own
-- Idempotency-Key and the account owner's bearer token (see common.lua for the arguments).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local accounts, key_prefix, next_request

setup = common.setup
done = common.done

function init(args)
    accounts = common.load_accounts(args[1])
    key_prefix = args[2] .. "-" .. thread_number .. "-"
    next_request = thread_number * 7
end

function request()
    next_request = next_request + 1
    local account = accounts[next_request % #accounts + 1]
    return wrk.format("POST", "/v1/accounts/" .. account.id .. "/deposits", {
        ["Authorization"] = account.auth,
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = key_prefix .. next_request,
    }, '{"amount": ' .. (next_request % 5000 + 1) .. ', "reference": "bench"}')
end
