# `relance serve` runs the cycles: a payment posted through the API makes
# its account due, and the cycle serve starts at once restores the service
# suspended for that debt, within seconds, not at the next nightly cycle.
# SIGTERM waits for a running cycle.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
import_fixtures
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"
# A-BR-1 owes I-BR-2 (due 10 June): the notice on 25 June, the suspension
# of its internet 15 days later.
expect_status 0 relance --now 2024-06-25T15:00:00Z run --record actions.jsonl
expect_status 0 relance --now 2024-07-10T15:00:00Z run --record actions.jsonl
grep '"account_id":"A-BR-1"' actions.jsonl > a.txt
expect_grep a.txt '"action":"suspend"'
if grep -q '"action":"restore"' a.txt; then fail "restored before any payment"; fi

export RELANCE_PWHASH_FAST=1
expect_status 0 relance user add gateway --api
expect_status 0 relance token add gateway --scopes "ledger:write"
TOKEN=$(cat out.txt)

expect_status 2 relance serve --cycle-every soon
start_serve --now 2024-07-11T15:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0 \
	--record actions.jsonl

code=$(curl -s -o body.txt -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' \
	--data-binary '{"payment_id":"P-PIX-1","account_id":"A-BR-1","received_at":"2024-07-11T14:58:00Z","amount":"129.90","method":"pix"}' \
	"$URL/api/v1/payments")
[ "$code" = 201 ] || { cat body.txt; fail "payment: HTTP $code"; }
# The restoration is recorded by the cycle serve ran, in seconds.
wait_for 15 grep -q '"action":"restore","account_id":"A-BR-1"' actions.jsonl
grep '"action":"restore"' actions.jsonl > restore.txt
expect_grep restore.txt '"at":"2024-07-11T15:00:00Z"'
expect_grep restore.txt '"service_id":"S-BR-1"'
curl -s "$URL/metrics" > metrics.txt
expect_grep metrics.txt "relance_cycles_total 1"
expect_grep metrics.txt "relance_cycles_failed_total 0"
expect_status 0 relance --now 2024-07-11T16:00:00Z account show A-BR-1
expect_grep out.txt "provisioning restore"
kill -TERM "$SERVE"
wait "$SERVE" || fail "serve exited $? after SIGTERM"
