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

# Rows left waiting: a new debtor's reminder decided at noon by a cycle with
# no way out for it (no --record) waits in the outbox (a call and an agent
# task at 6 days late); the metrics show it due, per channel, and for how long.
printf 'customer_id,name,locale,timezone,jurisdiction,phone,email,segment\nC-BR-9,Rui,pt-BR,America/Sao_Paulo,BR,+5511900000009,,residential\n' > c9.csv
printf 'account_id,customer_id,currency\nA-BR-9,C-BR-9,BRL\n' > a9.csv
printf 'invoice_id,account_id,issued_on,due_on,amount\nI-BR-9,A-BR-9,2024-06-01,2024-07-05,99.90\n' > i9.csv
expect_status 0 relance import customers c9.csv
expect_status 0 relance import accounts a9.csv
expect_status 0 relance --now 2024-07-11T12:00:00Z import invoices i9.csv
expect_status 0 relance --now 2024-07-11T12:00:00Z run
expect_status 2 relance serve --cycle-every soon
start_serve --now 2024-07-11T15:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0 \
	--record actions.jsonl

curl -s "$URL/metrics" > metrics0.txt
expect_grep metrics0.txt 'relance_outbox_due{channel="voice"} 1'
expect_grep metrics0.txt 'relance_outbox_oldest_due_seconds{channel="voice"} 10800'
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
# What the cycle did, by channel and outcome: the restoration and the two
# rows that had waited (a call, an agent's task), from the cycle's report.
expect_grep metrics.txt 'relance_actions_total{channel="provisioning",outcome="performed"} 1'
expect_grep metrics.txt 'relance_actions_total{channel="voice",outcome="performed"} 1'
grep -q '^relance_cycle_seconds_count 1$' metrics.txt || { cat metrics.txt; fail "cycle duration"; }
# The cycle serve ran had a way out (--record): nothing waits any more.
if grep -q "^relance_outbox_due" metrics.txt; then cat metrics.txt; fail "rows still waiting"; fi
expect_status 0 relance --now 2024-07-11T16:00:00Z account show A-BR-1
expect_grep out.txt "provisioning restore"
# SIGHUP: the operations file is checked and serve goes on.
kill -HUP "$SERVE"
wait_for 10 grep -q "SIGHUP: no operations file: every channel records" serve.err
curl -fs "$URL/healthz" >/dev/null || fail "serve stopped answering after SIGHUP"
kill -TERM "$SERVE"
wait "$SERVE" || fail "serve exited $? after SIGTERM"

# Cycles at the times of day the operations file names, in its time zone;
# and one on demand. A time that is not one: serve does not start.
printf 'cycles:\n  at: ["03:00", "25:00"]\n' > bad.conf
expect_status 2 relance --config bad.conf serve --listen 127.0.0.1:0
expect_grep err.txt "bad.conf:2:17: '25:00' is not a time of day HH:MM"
printf 'cycles:\n  at: ["03:00", "15:30"]\n  timezone: America/Sao_Paulo\n' > cycles.conf
expect_status 0 relance user add ops --api
expect_status 0 relance token add ops --scopes admin
ADMIN=$(cat out.txt)
start_serve --config cycles.conf serve --listen 127.0.0.1:0 --cycle-every 0 --record actions.jsonl
now=$(date -u +%s)
for c in "today 06:00" "today 18:30" "tomorrow 06:00"; do   # Sao Paulo is UTC-3
	t=$(date -u -d "$c" +%s)
	[ "$t" -gt "$now" ] && break
done
expected=$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)
curl -s -H "Authorization: Bearer $ADMIN" "$URL/api/v1/cycles" > cycles.json
expect_grep cycles.json '"at":["03:00","15:30"],"timezone":"America/Sao_Paulo"'
expect_grep cycles.json "\"next_at\":\"$expected\""
expect_grep cycles.json '"cycles":0'
code=$(curl -s -o body.txt -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
	"$URL/api/v1/cycles")
[ "$code" = 403 ] || fail "a ledger token started a cycle: $code"
code=$(curl -s -o body.txt -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN" \
	"$URL/api/v1/cycles")
[ "$code" = 202 ] || { cat body.txt; fail "a cycle on demand: $code"; }
wait_for 20 sh -c "curl -s -H 'Authorization: Bearer $ADMIN' '$URL/api/v1/cycles' | grep -q '\"cycles\":1,'"
curl -s -H "Authorization: Bearer $ADMIN" "$URL/api/v1/cycles" > cycles.json
expect_grep cycles.json '"status":0}'
# SIGHUP takes new times at once.
printf 'cycles:\n  at: ["00:00"]\n' > cycles.conf
kill -HUP "$SERVE"
expected=$(date -u -d "tomorrow 00:00" +%Y-%m-%dT%H:%M:%SZ)
wait_for 10 sh -c "curl -s -H 'Authorization: Bearer $ADMIN' '$URL/api/v1/cycles' | grep -q '\"next_at\":\"$expected\"'"
kill -TERM "$SERVE"
wait "$SERVE" || fail "serve exited $? after SIGTERM"
