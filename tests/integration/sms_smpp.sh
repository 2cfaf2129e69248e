# SMS through a real SMSC on 127.0.0.1 (tests/peers/smsc.js, on the npm smpp
# server) from `relance run` with an operations file: the Burundi notice to
# a few hundred generated debtors while the SMSC throttles, drops the
# connection mid-batch, is down at the start, and while relance itself is
# killed mid-dispatch. At the end every message was accepted exactly once,
# except those in flight at a drop or a kill (at most the window each
# time), which are "uncertain" on the file and never sent again.
. "$TOP/tests/lib/integration.sh"

WINDOW=5
expect_status 0 relance --now 2024-07-16T09:00:00Z generate data --customers 300 --months 2 \
	--jurisdiction BI --seed 3
# A customer with two accounts in debt: one message naming both.
echo 'C-BI-9000001,Aline Deux,fr-BI,Africa/Bujumbura,BI,+25779000111,,residential' >> data/customers.csv
printf 'A-BI-9000001,C-BI-9000001,BIF\nA-BI-9000002,C-BI-9000001,BIF\n' >> data/accounts.csv
printf 'I-BI-9000001,A-BI-9000001,2024-06-01,2024-06-30,15000\nI-BI-9000002,A-BI-9000002,2024-06-01,2024-06-30,22000\n' \
	>> data/invoices.csv
expect_status 0 relance init
for k in customers accounts services invoices payments credit_notes; do
	expect_status 0 relance --now 2024-07-16T09:00:00Z import "$k" "data/$k.csv"
done
expect_status 0 relance policy load "$TOP/examples/policies/burundi-mobile.yaml"

# The SMSC exits when its standard input closes: it is kept open on fd 9,
# which closes with this shell whatever happens.
mkfifo smsc.in
exec 9<>smsc.in
smsc() {
	start_peer smsc sh -c 'exec node "$0" "$@" < smsc.in' "$TOP/tests/peers/smsc.js" \
		--port "${SMSC_PORT:-0}" --log smsc.jsonl --system-id relance --password secret "$@"
	SMSC_PORT=$PEER_PORT
}
stop_smsc() { kill "$PID_smsc"; wait "$PID_smsc" 2>/dev/null || true; }
config() {
	cat > relance.conf <<EOF
channels:
  sms:
    adapter: smpp
    host: 127.0.0.1
    port: $SMSC_PORT
    system_id: relance
    password: \${SMPP_PASSWORD}
    source_addr: RELANCE
    rate_per_second: 2000
    window: $WINDOW
    reconnect_min_s: 1
    reconnect_max_s: 2
EOF
}
export SMPP_PASSWORD=secret

# Accepted submits per message text and number: never more than one.
accepted_twice() {
	grep '"status":0' smsc.jsonl | sed 's/.*"destination":"\([^"]*\)".*"short_message":"\([^"]*\)".*/\1 \2/' |
		sort | uniq -d | head -n 1
}
sms_rows() { db_count "outbox WHERE channel = 'sms' AND state = '$1'"; }

# 17 July, 09:00 in Bujumbura: the notice to every debtor with a phone. The
# SMSC throttles the first 3 submits and drops the connection at the 40th
# without answering it; later, answering slowly, it is killed mid-batch and
# started again on the same port.
smsc --throttle-first 3 --close-after 40 --delay-ms 20
config
relance --now 2024-07-17T07:00:00Z run >out.txt 2>err.txt &
cycle=$!
wait_for 30 sh -c "[ \$(grep -c '\"status\":0' smsc.jsonl) -ge 60 ]"
kill -9 "$PID_smsc"
wait "$PID_smsc" 2>/dev/null || true
sleep 0.5
smsc
wait "$cycle" || fail "the cycle failed: $(cat err.txt)"
cp out.txt run1.txt
due=$(db_count "outbox WHERE channel = 'sms'")
[ "$due" -gt 50 ] || fail "only $due SMS decided"
[ -z "$(accepted_twice)" ] || fail "accepted twice: $(accepted_twice)"
[ "$(sms_rows uncertain)" -ge 1 ] || fail "the unanswered submit is not uncertain"
[ "$(sms_rows uncertain)" -le $((2 * WINDOW)) ] || fail "more uncertain than a window per drop"
[ "$(sms_rows done)" = $((due - $(sms_rows uncertain))) ] || fail "not every other SMS was accepted"
grep -q '"status":88' smsc.jsonl || fail "the SMSC never throttled"
expect_grep err.txt "smpp: BOUND -> BACKOFF"
# Bound three times: at the start, after the drop, after the restart.
[ "$(grep -c 'smpp: BINDING -> BOUND' err.txt)" -ge 3 ] || fail "the cycle did not outlive the SMSC"
# Aline's two notices went as one message (its parts share one UDH
# reference), and both accounts' files say so.
[ "$(db_count "file_entries f JOIN customers c ON c.customer_key = f.customer_key
	WHERE c.customer_id = 'C-BI-9000001' AND f.body LIKE '%(one message for 2 accounts)%'")" = 2 ] ||
	fail "the two accounts of one customer did not share one message"
[ "$(grep '"destination":"25779000111"' smsc.jsonl | grep '"status":0' |
	sed 's/.*"short_message":"050003\(..\).*/\1/' | sort -u | wc -l)" = 1 ] ||
	fail "more than one message to one customer"
# One receipt per part came back; her file tells the message delivered once.
[ "$(db_count "file_entries f JOIN customers c ON c.customer_key = f.customer_key
	WHERE c.customer_id = 'C-BI-9000001' AND f.kind = 'delivery'")" = 1 ] ||
	fail "a message of several parts was told delivered more than once"
# Receipts came back and are on the files.
[ "$(db_count "file_entries WHERE kind = 'delivery'")" -ge 1 ] || fail "no receipt on a file"

# The same instant again: nothing is sent twice.
lines=$(wc -l < smsc.jsonl)
expect_status 0 relance --now 2024-07-17T07:00:00Z run
[ "$(wc -l < smsc.jsonl)" = "$lines" ] || fail "a second cycle sent again"

# 25 July: still owing, every debtor is told of the suspension. The SMSC is
# down when relance starts: nothing is lost, the messages wait.
stop_smsc
expect_status 0 relance --now 2024-07-25T07:00:00Z run --record rec.jsonl
expect_grep out.txt "accepted 0"
after=$(db_count "outbox WHERE channel = 'sms' AND rule LIKE '%after_deadline%'")
[ "$after" -gt 10 ] || fail "only $after suspension SMS"
[ "$(db_count "outbox WHERE channel = 'sms' AND rule LIKE '%after_deadline%' AND state = 'pending'")" = "$after" ] ||
	fail "the SMS did not wait for the SMSC"

# Back, and slow (20 ms an answer): relance is killed mid-dispatch, then a
# later cycle, after the lease, sends the rest and settles what was in
# flight as uncertain.
smsc --delay-ms 20
config
relance --now 2024-07-25T08:00:00Z run --record rec.jsonl >killed.out 2>&1 &
victim=$!
wait_for 20 sh -c "[ \$(grep -c '\"status\":0' smsc.jsonl) -ge $((lines + 20)) ]"
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
expect_status 0 relance --now 2024-07-25T08:10:00Z run --record rec.jsonl
expect_status 0 relance --now 2024-07-25T09:00:00Z run --record rec.jsonl
[ -z "$(accepted_twice)" ] || fail "accepted twice: $(accepted_twice)"
uncertain2=$(db_count "outbox WHERE channel = 'sms' AND rule LIKE '%after_deadline%' AND state = 'uncertain'")
[ "$uncertain2" -le "$WINDOW" ] || fail "$uncertain2 uncertain after one kill, window $WINDOW"
[ "$(db_count "outbox WHERE channel = 'sms' AND rule LIKE '%after_deadline%' AND state = 'done'")" = $((after - uncertain2)) ] ||
	fail "not every suspension SMS was accepted once"
[ "$(db_count "outbox WHERE channel = 'sms' AND state IN ('pending', 'claimed', 'sending')")" = 0 ] ||
	fail "SMS left behind"
expect_status 0 relance verify
