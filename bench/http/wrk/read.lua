-- GET /v1/accounts/{id}, round robin over the accounts, with the owner's bearer token (see
-- common.lua for the arguments; the key prefix is not used).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local accounts, next_request

setup = common.setup
done = common.done

function init(args)
    accounts = common.load_accounts(args[1])
    next_request = thread_number * 7
end

function request()
    next_request = next_request + 1
    local account = accounts[next_request % #accounts + 1]
    return wrk.format("GET", "/v1/accounts/" .. account.id, { ["Authorization"] = account.auth })
end
