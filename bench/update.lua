-- wrk: PUT /v2/images/{image_id}/members/{member_id} on random pairs of the
-- benchmark data (bench/seed.sql), with the member's token and a random
-- status, as bench/pgbench.sql does.

local function image_id(n)
    return string.format("%08x-0000-4000-8000-%012x", n, n)
end

request = function()
    local i = math.random(1, 100000)
    local k = math.random(0, 2)
    local m = (i + 333 * k) % 1000
    local status = (math.random(0, 1) == 0) and "accepted" or "rejected"

    local headers = { ["X-Auth-Token"] = "tok-" .. m,
                      ["Content-Type"] = "application/json" }

    -- as a trusted layer in front would say it (ims_member_project)
    if project_header then
        headers["X-Project-Id"] = "m-" .. m
    end

    return wrk.format("PUT",
        "/v2/images/" .. image_id(i) .. "/members/m-" .. m, headers,
        '{"status": "' .. status .. '", "vault_id": "vault-bench"}')
end

project_header = os.getenv("BENCH_PROJECT_HEADER") ~= nil

init = function(args)
    math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
