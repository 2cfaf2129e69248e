# Suspension and restoration through the network from the cycle
# (docs/provisioning.md), against real peers on 127.0.0.1:
#   - Brazil through GenieACS (tests/peers/genieacs.js, standing in for
#     GenieACS's northbound API): throttle 15 days after the notice, then
#     total 15 days later; the device offline at the cut: the task queued,
#     not confirmed, reconciliation tries again and confirms once the
#     device is back; a payment restores the service to full at once;
#   - Burundi's campaign of 25 July cuts every service: the mobile line
#     through the signed webhook (tests/peers/webhook-receiver.js checks the
#     signature), its data session through RADIUS (FreeRADIUS as the NAS,
#     Disconnect-Request) while the NAS is down (deferred, performed once it
#     is back); the payment restores both (CoA-Request), relance killed (-9)
#     while it waits for the NAS: the restoration converges through
#     reconciliation, sent once;
#   - a service whose adapter is not configured, a receiver's 200 with an
#     error, a NAK: each fails with the reason on the file and a task on
#     queue provisioning, nothing else stops, and reconciliation gives up on
#     them after five tries with an alert;
#   - every level the peers saw, and each service's desired and confirmed
#     state in the database.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

command -v freeradius >/dev/null 2>&1 || fail "freeradius is not installed (scripts/setup installs it)"
free_port() {
	node -e 'const s = require("net").createServer();
		s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

export HOOK_SECRET=hook-s3cret RADIUS_SECRET=nas-s3cret
WEBHOOK_SECRET=$HOOK_SECRET start_peer hook node "$TOP/tests/peers/webhook-receiver.js" \
	--out hook.log --secret-env WEBHOOK_SECRET
HOOK_PORT=$PEER_PORT
start_peer acs node "$TOP/tests/peers/genieacs.js" --out acs.log --device CPE-00A1B2
ACS_PORT=$PEER_PORT
NAS_PORT=$(free_port)
NAS_PID=$("$TOP/tests/peers/freeradius/start" "$PWD/nas" "$NAS_PORT" "$RADIUS_SECRET") ||
	fail "FreeRADIUS did not start"
PEER_PIDS="$PEER_PIDS $NAS_PID"

cat > relance.conf <<CONF
provisioning:
  adapters:
    webhook:
      type: webhook
      url: http://127.0.0.1:$HOOK_PORT/relance
      secret: \${HOOK_SECRET}
      timeout_s: 2
      retries: 1
    tr069:
      type: genieacs
      url: http://127.0.0.1:$ACS_PORT
      timeout_s: 5
      levels:
        throttle:
          parameters:
            - {path: InternetGatewayDevice.X_RELANCE.Level, value: throttle}
            - {path: InternetGatewayDevice.X_RELANCE.RateLimitKbps, value: "512", type: xsd:unsignedInt}
        total:
          parameters:
            - {path: InternetGatewayDevice.X_RELANCE.Level, value: total}
            - {path: InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Enable, value: "false", type: xsd:boolean}
        full:
          parameters:
            - {path: InternetGatewayDevice.X_RELANCE.Level, value: full}
            - {path: InternetGatewayDevice.X_RELANCE.RateLimitKbps, value: "0", type: xsd:unsignedInt}
            - {path: InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Enable, value: "true", type: xsd:boolean}
    nas:
      type: radius
      host: 127.0.0.1
      port: $NAS_PORT
      secret: \${RADIUS_SECRET}
      timeout_s: 1
      tries: 2
      levels:
        throttle: {request: coa, attributes: {Mikrotik-Rate-Limit: 256k/256k}}
        walled_garden: {request: coa, attributes: {Filter-Id: walled-garden}}
        total: {request: disconnect}
        full: {request: coa, attributes: {Filter-Id: full-access}}
CONF

write_fixtures
# Burundi's line also has a data session at the NAS, a landline on a switch
# the operations file has no adapter for, and a television box whose
# receiver answers 200 with an error ("errbody-" services, for the peer),
# and a second data session the NAS does not know (it NAKs "nak-" users).
printf 'S-BI-2,A-BI-1,mobile_data,bi-25779123456,nas\nS-BI-3,A-BI-1,landline,bi-fixed-1,pstn-switch\nerrbody-BI-4,A-BI-1,tv,bi-tv-1,webhook\nS-BI-5,A-BI-1,mobile_data,nak-bi-5,nas\n' >> services.csv
expect_status 0 relance init
import_fixtures
expect_status 0 relance config check
state() { db_exec "SELECT desired || ' ' || coalesce(confirmed, '-') FROM service_states s
	JOIN services v ON v.service_key = s.service_key WHERE v.service_id = '$1'"; }
file_has() { db_count "file_entries f JOIN customers c ON c.customer_key = f.customer_key
	WHERE c.customer_id = '$1' AND f.body LIKE '$2'"; }
device() { curl -s "http://127.0.0.1:$ACS_PORT/devices/?query=%7B%7D&projection=InternetGatewayDevice.X_RELANCE.Level" |
	node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () =>
		console.log(JSON.parse(s)[0].InternetGatewayDevice.X_RELANCE.Level._value))'; }

# ---- Brazil through GenieACS
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"
expect_status 0 relance --now 2024-06-25T15:00:00Z run --record actions.jsonl
expect_status 0 relance --now 2024-07-10T15:00:00Z run --record actions.jsonl
expect_grep out.txt "provisioning          confirmed 1, queued at the ACS 0, refused 0"
[ "$(state S-BR-1)" = "throttle throttle" ] || fail "S-BR-1: $(state S-BR-1)"
[ "$(device)" = throttle ] || fail "the device is at '$(device)', not throttle"
[ "$(file_has C-BR-1 'provisioning suspend (escada-isp/suspensao/action#1, policy v1): throttle through tr069: confirmed%')" = 1 ] ||
	fail "no confirmed throttle on C-BR-1's file"
grep -q '"service_id":"S-BR-1"' actions.jsonl && fail "the GenieACS service went to the recording file"

# 25 July: the cut, with the device offline: queued, not confirmed.
curl -s -X POST "http://127.0.0.1:$ACS_PORT/_test/devices/CPE-00A1B2/offline" >/dev/null
expect_status 0 relance --now 2024-07-25T15:00:00Z run --record actions.jsonl
expect_grep out.txt "queued at the ACS 1"
[ "$(state S-BR-1)" = "total throttle" ] || fail "S-BR-1 after the queued cut: $(state S-BR-1)"
[ "$(file_has C-BR-1 'provisioning suspend (escada-isp/renegociacao/action#%): total through tr069: queued at the ACS until the device answers%')" = 1 ] ||
	fail "no queued cut on C-BR-1's file"
# Reconciliation while it is still offline: not confirmed, one try counted.
expect_status 0 relance --now 2024-07-25T16:00:00Z reconcile --json
expect_line out.txt '{"checked":1,"confirmed":0,"drifting":1,"alerted":0}'
# The device comes back and runs its queued tasks: the next pass confirms.
curl -s -X POST "http://127.0.0.1:$ACS_PORT/_test/devices/CPE-00A1B2/online" >/dev/null
[ "$(device)" = total ] || fail "the device did not run the queued cut: '$(device)'"
expect_status 0 relance --now 2024-07-25T17:00:00Z reconcile
expect_grep out.txt "services checked 1: confirmed 1, still drifting 0, alerted 0"
[ "$(state S-BR-1)" = "total total" ] || fail "S-BR-1 after reconciliation: $(state S-BR-1)"
[ "$(file_has C-BR-1 'provisioning: service S-BR-1 confirmed at total through tr069 by reconciliation%')" = 1 ] ||
	fail "reconciliation's confirmation is not on the file"

# The customer pays through the API of `relance serve`: the cycle serve
# starts a second later restores the service to full through the ACS.
export RELANCE_PWHASH_FAST=1
expect_status 0 relance user add gateway --api
expect_status 0 relance token add gateway --scopes "ledger:write"
TOKEN=$(cat out.txt)
expect_status 0 relance user add ops --api
expect_status 0 relance token add ops --scopes admin
ADMIN=$(cat out.txt)
start_serve --now 2024-07-26T14:00:05Z serve --listen 127.0.0.1:0 --cycle-every 0 \
	--record actions.jsonl
code=$(curl -s -o body.txt -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' \
	--data-binary '{"payment_id":"P-BR-9","account_id":"A-BR-1","received_at":"2024-07-26T14:00:00Z","amount":"259.80","method":"pix"}' \
	"$URL/api/v1/payments")
[ "$code" = 201 ] || { cat body.txt; fail "payment: HTTP $code"; }
wait_for 20 sh -c "curl -s '$URL/metrics' -H 'Authorization: Bearer $ADMIN' | grep -q 'relance_cycles_total 1'"
[ "$(state S-BR-1)" = "full full" ] || fail "S-BR-1 after the payment: $(state S-BR-1)"
curl -s -H "Authorization: Bearer $ADMIN" "$URL/metrics" > metrics.txt
expect_grep metrics.txt 'relance_provisioning_services{state="known"} 1'
expect_grep metrics.txt 'relance_provisioning_services{state="drift"} 0'
expect_grep metrics.txt 'relance_actions_total{channel="provisioning",outcome="performed"} 1'
kill "$SERVE"
wait "$SERVE" 2>/dev/null || true
[ "$(device)" = full ] || fail "the device is at '$(device)' after the payment"
[ "$(file_has C-BR-1 'provisioning restore (%): full through tr069: confirmed%')" = 1 ] ||
	fail "no confirmed restoration on C-BR-1's file"
expect_status 0 relance --now 2024-07-26T15:00:00Z report dashboard --from 2024-07-01 --to 2024-07-31 --json
# The restoration's delay against the jurisdiction's maximum (24 h).
expect_grep out.txt '"action":"restore","account_id":"A-BR-1","rule":"escada-isp/suspensao/action#1/restore","level":"full","done_at":"2024-07-26T14:00:05Z","paid_at":"2024-07-26T14:00:00Z","delay_seconds":5,"limit_seconds":86400,"breach":false'

# ---- Burundi: the campaign cuts every service on 25 July
expect_status 0 relance policy load "$TOP/examples/policies/burundi-mobile.yaml"
expect_status 0 relance --now 2024-07-17T08:00:00Z run --record actions.jsonl
# The NAS is down at the cut: the RADIUS action waits; the others go.
"$TOP/tests/peers/freeradius/stop" "$PWD/nas"
expect_status 0 relance --now 2024-07-25T08:00:00Z run --record actions.jsonl
expect_grep out.txt "provisioning          confirmed 1, queued at the ACS 0, refused 2, retry later 2"
[ "$(state S-BI-1)" = "total total" ] || fail "S-BI-1 (webhook): $(state S-BI-1)"
[ "$(state S-BI-2)" = "total -" ] || fail "S-BI-2 with the NAS down: $(state S-BI-2)"
[ "$(file_has C-BI-1 'provisioning suspend (%): total through nas: not done (%no answer%): tried again later')" = 2 ] ||
	fail "the NAS being down is not on the file"
# The switch's adapter does not exist: failed with the reason and a task
# for the agents.
[ "$(file_has C-BI-1 'provisioning suspend (%): total through pstn-switch: refused: adapter %pstn-switch% is not configured (provisioning.adapters)')" = 1 ] ||
	fail "the unconfigured adapter is not on the file"
[ "$(file_has C-BI-1 'provisioning suspend (%): total through webhook: refused: %service is locked by an agent%')" = 1 ] ||
	fail "the receiver's error body is not on the file"
[ "$(db_count "outbox WHERE channel = 'queue' AND idempotency_key LIKE 'provisioning/%' AND payload LIKE '%\"target\":\"provisioning\"%'")" = 2 ] ||
	fail "not one task on queue provisioning for each refusal"
# The NAS is back: the next cycle performs what waited.
NAS_PID=$("$TOP/tests/peers/freeradius/start" "$PWD/nas" "$NAS_PORT" "$RADIUS_SECRET") ||
	fail "FreeRADIUS did not start again"
PEER_PIDS="$PEER_PIDS $NAS_PID"
expect_status 0 relance --now 2024-07-25T08:05:00Z run --record actions.jsonl
[ "$(state S-BI-2)" = "total total" ] || fail "S-BI-2 (RADIUS) once the NAS is back: $(state S-BI-2)"
# The session the NAS does not know: its NAK, with the Error-Cause, a task.
[ "$(state S-BI-5)" = "total -" ] || fail "S-BI-5 after the NAK: $(state S-BI-5)"
[ "$(file_has C-BI-1 'provisioning suspend (%): total through nas: refused: Disconnect-NAK: Error-Cause 503%')" = 1 ] ||
	fail "the NAS's NAK is not on the file"
[ "$(db_count "outbox WHERE channel = 'queue' AND idempotency_key LIKE 'provisioning/%'")" = 3 ] ||
	fail "no task for the NAK"
grep '"service_id":"S-BI-1"' hook.log | grep '"level":"total"' | grep -q '"signature":"ok"' ||
	{ cat hook.log; fail "the receiver did not verify a signed cut of S-BI-1"; }
grep -q 'Disconnect-Request.*User-Name = "bi-25779123456"' nas/requests.log ||
	{ cat nas/requests.log; fail "the NAS did not see the Disconnect-Request for S-BI-2"; }
printf 'payment_id,account_id,received_at,amount,method,invoice_id\nP-BI-9,A-BI-1,2024-07-25T09:00:00Z,12500,mobile_money,\n' > paid2.csv
expect_status 0 relance --now 2024-07-25T09:00:00Z import payments paid2.csv
# The restorations, with the NAS down again, and relance killed (-9) while
# it waits for the NAS's answer: the line's restoration went through the
# webhook; the data session's is left "sending", its desired level kept.
"$TOP/tests/peers/freeradius/stop" "$PWD/nas"
"$RELANCE_BIN" --now 2024-07-25T09:00:05Z run --record actions.jsonl >killed.out 2>&1 &
RUN=$!
wait_for 20 sh -c "grep '\"service_id\":\"S-BI-1\"' hook.log | grep -q '\"level\":\"full\"'"
sleep 0.5
kill -9 "$RUN"
wait "$RUN" 2>/dev/null || true
[ "$(state S-BI-1)" = "full full" ] || fail "S-BI-1 after the payment: $(state S-BI-1)"
[ "$(state S-BI-2)" = "full total" ] || fail "S-BI-2 when relance was killed: $(state S-BI-2)"
[ "$(db_count "outbox o JOIN accounts a ON a.account_key = o.account_key WHERE a.account_id = 'A-BI-1'
	AND o.action = 'restore' AND o.state = 'sending'")" = 1 ] || fail "no restoration left sending"
NAS_PID=$("$TOP/tests/peers/freeradius/start" "$PWD/nas" "$NAS_PORT" "$RADIUS_SECRET") ||
	fail "FreeRADIUS did not start again"
PEER_PIDS="$PEER_PIDS $NAS_PID"
# The next cycle never sends the uncertain row again; reconciliation,
# from the desired level, restores the session, once.
expect_status 0 relance --now 2024-07-25T09:05:00Z run --record actions.jsonl
# (S-BI-3, whose adapter does not exist, the box whose receiver refuses
# and the session the NAS does not know stay in drift.)
expect_grep out.txt "reconciliation        checked 4: confirmed 1, still drifting 3, alerted 0"
[ "$(state S-BI-2)" = "full full" ] || fail "S-BI-2 after the payment: $(state S-BI-2)"
[ "$(grep -c 'CoA-Request.*full-access' nas/requests.log)" = 1 ] ||
	{ cat nas/requests.log; fail "the restoring CoA-Request was not sent exactly once"; }
grep -q 'CoA-Request.*bi-25779123456.*full-access\|CoA-Request.*full-access.*bi-25779123456' nas/requests.log ||
	{ cat nas/requests.log; fail "the NAS did not see the restoring CoA-Request"; }
# Once the killed process's leases have run out, their restorations are
# tried: refused again (the switch, the box, the unknown session), desired
# full, one try each.
expect_status 0 relance --now 2024-07-25T10:00:00Z run --record actions.jsonl
expect_grep out.txt "provisioning          confirmed 0, queued at the ACS 0, refused 3"
# Four more passes, and reconciliation gives up on the three, with an alert
# and a task each; then leaves them alone.
for h in 11 12 13; do
	expect_status 0 relance --now 2024-07-25T$h:00:00Z reconcile --json
	expect_line out.txt '{"checked":3,"confirmed":0,"drifting":3,"alerted":0}'
done
expect_status 0 relance --now 2024-07-25T14:00:00Z reconcile --json
expect_line out.txt '{"checked":3,"confirmed":0,"drifting":0,"alerted":3}'
[ "$(file_has C-BI-1 'provisioning alert: service S-BI-3 is not confirmed at full after 5 tries through pstn-switch%')" = 1 ] ||
	fail "no alert on the file"
[ "$(db_count "outbox WHERE channel = 'queue' AND idempotency_key LIKE 'provisioning-alert/%'")" = 3 ] ||
	fail "not one alert task each"
expect_status 0 relance --now 2024-07-25T15:00:00Z reconcile --json
expect_line out.txt '{"checked":0,"confirmed":0,"drifting":0,"alerted":0}'
grep -q "$HOOK_SECRET\|$RADIUS_SECRET" out.txt err.txt && fail "a secret was printed"
expect_status 0 relance verify
