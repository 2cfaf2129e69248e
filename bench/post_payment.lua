-- wrk script for bench/run: POST /api/v1/payments, one new payment a
-- request (ids unique per thread and request), on the account in ACCOUNT.
local counter = 0
local thread_id = 0
local next_id = 0

function setup(thread)
	thread:set("thread_id", next_id)
	next_id = next_id + 1
end

function request()
	counter = counter + 1
	local body = string.format(
		'{"payment_id":"P-WRK-%d-%d-%d","account_id":"%s","received_at":"2024-07-20T08:00:00Z","amount":"0.01","method":"bench"}',
		os.time(), thread_id, counter, os.getenv("ACCOUNT"))
	return wrk.format("POST", "/api/v1/payments", {
		["Content-Type"] = "application/json",
		["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
	}, body)
end
