# TR-069 suspension through GenieACS's northbound API (`relance provision
# genieacs`) against tests/peers/genieacs.js on 127.0.0.1: values set on an
# online device and confirmed by the read-back; an offline device whose
# task is queued (exit 3, not confirmed) and confirmed once it comes back;
# a device that keeps its old value (drift); a value the device refuses
# (fault, the task deleted); an unknown device; the ACS down.
. "$TOP/tests/lib/integration.sh"

ONLINE='202BC1-BM632w-000001'
OFFLINE='00236a-SR552n-SR552NA084%2D0003269'
cat > devices.json <<'JSON'
[
  {"id": "CPE-drift-1",
   "params": {"InternetGatewayDevice.X_RELANCE.Level": {"value": "full", "type": "xsd:string"}},
   "ignores": ["InternetGatewayDevice.X_RELANCE.Level"]}
]
JSON
rm -f acs.jsonl
start_peer acs node "$TOP/tests/peers/genieacs.js" --out acs.jsonl --devices devices.json \
	--device "$ONLINE" --device "$OFFLINE:offline"
URL="http://127.0.0.1:$PEER_PORT"
LEVEL=InternetGatewayDevice.X_RELANCE.Level
RATE=InternetGatewayDevice.X_RELANCE.RateLimitKbps
PPP=InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Enable

# Online: applied, then confirmed by the read-back of every value.
expect_status 0 relance provision genieacs --url "$URL" --device "$ONLINE" \
	--set "$LEVEL=walled_garden" --set "$RATE=256:xsd:unsignedInt" --set "$PPP=false:boolean"
expect_line out.txt "outcome: confirmed"
expect_line out.txt "$LEVEL: walled_garden [xsd:string] (as set)"
expect_line out.txt "$RATE: 256 [xsd:unsignedInt] (as set)"
expect_line out.txt "$PPP: false [xsd:boolean] (as set)"
expect_grep acs.jsonl '"url":"/devices/202BC1-BM632w-000001/tasks?connection_request"'
expect_grep acs.jsonl "[\\\"$RATE\\\",256,\\\"xsd:unsignedInt\\\"]"
expect_grep acs.jsonl "[\\\"$PPP\\\",false,\\\"xsd:boolean\\\"]"
grep -F '"method":"GET"' acs.jsonl | grep -qF "\"projection\":\"_id,$LEVEL,$RATE,$PPP\"" ||
	fail "the read-back did not ask for the values set"

# Offline: the task is queued, exit 3, not confirmed; a read-back shows drift.
expect_status 3 relance provision genieacs --url "$URL" --device "$OFFLINE" \
	--set "$LEVEL=total" --cr-timeout 2000 --json
expect_grep out.txt '"outcome":"queued"'
expect_grep out.txt 'not confirmed'
task=$(sed -n 's/.*"task_id":"\([0-9a-f]*\)".*/\1/p' out.txt)
[ -n "$task" ] || fail "no task id for the queued task"
# The id's own %2D travels as %252D; the timeout is passed on.
expect_grep acs.jsonl '"url":"/devices/00236a-SR552n-SR552NA084%252D0003269/tasks?timeout=2000&connection_request"'
expect_status 1 relance provision genieacs --url "$URL" --device "$OFFLINE" --set "$LEVEL=total" --check
expect_line out.txt "outcome: drift"
expect_line out.txt "$LEVEL: full [xsd:string] (differs)"
# The device comes back and runs its queued task, as at its next inform.
curl -sf -X POST "$URL/_test/devices/00236a-SR552n-SR552NA084%252D0003269/online" > online.txt ||
	fail "the device could not be brought online"
expect_grep online.txt '"ran":1'
expect_status 0 relance provision genieacs --url "$URL" --device "$OFFLINE" --set "$LEVEL=total" --check
expect_line out.txt "outcome: confirmed"
expect_line out.txt "$LEVEL: total [xsd:string] (as set)"

# A device that accepts the task but keeps its old value: drift, exit 1.
expect_status 1 relance provision genieacs --url "$URL" --device CPE-drift-1 --set "$LEVEL=total"
expect_line out.txt "outcome: drift"
expect_grep out.txt "drift: $LEVEL is \"full\", not \"total\""

# A read-only parameter: the device faults, the task is deleted, exit 1.
expect_status 1 relance provision genieacs --url "$URL" --device "$ONLINE" \
	--set InternetGatewayDevice.DeviceInfo.SerialNumber=X
expect_line out.txt "outcome: fault"
faulted=$(sed -n 's/^task: //p' out.txt)
[ -n "$faulted" ] || fail "no task id for the faulted task"
expect_grep acs.jsonl "\"method\":\"DELETE\",\"url\":\"/tasks/$faulted\""
curl -sf "$URL/tasks/?query=%7B%22device%22%3A%22$ONLINE%22%7D" > tasks.txt
if grep -qF "$faulted" tasks.txt; then fail "the faulted task is still queued"; fi

# An unknown device.
expect_status 1 relance provision genieacs --url "$URL" --device "no such/device 1" --set "$LEVEL=total"
expect_line out.txt "outcome: unknown_device"
expect_grep out.txt "device unknown to the ACS"
expect_grep acs.jsonl '"url":"/devices/no%20such%2Fdevice%201/tasks?connection_request"'

# Bad usage: a value not of its type, no --set.
expect_status 2 relance provision genieacs --url "$URL" --device "$ONLINE" --set "$RATE=fast:unsignedInt"
expect_grep err.txt "takes a whole number"
expect_status 2 relance provision genieacs --url "$URL" --device "$ONLINE"

# The ACS down.
kill "$PID_acs"
wait "$PID_acs" 2>/dev/null || true
expect_status 1 relance provision genieacs --url "$URL" --device "$ONLINE" --set "$LEVEL=full"
expect_line out.txt "outcome: acs_error"
expect_grep out.txt "the ACS is unreachable"
expect_status 1 relance provision genieacs --url "$URL" --device "$ONLINE" --set "$LEVEL=full" --check
expect_line out.txt "outcome: acs_error"
