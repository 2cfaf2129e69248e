# Suspension and restoration through the signed webhook adapter
# (`relance provision webhook`) against tests/peers/webhook-receiver.js on
# 127.0.0.1: a request the receiver verifies and applies, retries with the
# same idempotency key after 503s, a permanent refusal, a 200 whose body
# says error, a receiver too slow for the time-out, a wrong secret, a
# receiver that is down — and the secret never in relance's output.
. "$TOP/tests/lib/integration.sh"

rm -f receiver.jsonl
export WEBHOOK_SECRET='whsec-7f3a9c1e-never-print-me'
start_peer receiver node "$TOP/tests/peers/webhook-receiver.js" --out receiver.jsonl --slow-ms 2500
URL="http://127.0.0.1:$PEER_PORT/relance/provisioning"

no_secret() {
	if grep -qF -- "$WEBHOOK_SECRET" out.txt err.txt; then fail "the secret was printed"; fi
}
# count FIELD VALUE: requests the receiver logged with that JSON field.
count() {
	grep -cF -- "\"$1\":\"$2\"" receiver.jsonl || true
}

# Applied: the receiver verified the signature and read every field.
expect_status 0 relance --now 2024-07-25T08:00:00Z provision webhook --url "$URL" \
	--secret-env WEBHOOK_SECRET --service svc-BI-1 --level throttle \
	--reason "unpaid since 2024-06-24" --key K-apply-1 --identifier +25779123456 --account A-BI-1
no_secret
expect_line out.txt "outcome: done"
expect_line out.txt "confirmed level: throttle"
[ "$(count idempotency_key K-apply-1)" = 1 ] || fail "expected one request for K-apply-1"
line=$(grep -F '"idempotency_key":"K-apply-1"' receiver.jsonl)
for want in '"signature":"ok"' '"service_id":"svc-BI-1"' '"level":"throttle"' \
	'"reason":"unpaid since 2024-06-24"' '"status":200' '"idempotency-key":"K-apply-1"' \
	'\"at\":\"2024-07-25T08:00:00Z\"' '\"action\":\"suspend\"' '\"account_id\":\"A-BI-1\"'; do
	echo "$line" | grep -qF -- "$want" || fail "the receiver's log lacks $want: $line"
done
echo "$line" | grep -q '"relance-signature":"t=[0-9]*,v1=[0-9a-f]\{64\}"' || fail "no signature header"

# The same key again: the receiver answers "already applied", not twice.
expect_status 0 relance --now 2024-07-25T08:00:00Z provision webhook --url "$URL" \
	--secret-env WEBHOOK_SECRET --service svc-BI-1 --level throttle --key K-apply-1
expect_line out.txt "outcome: already"
[ "$(count idempotency_key K-apply-1)" = 2 ] || fail "the repeat did not reach the receiver"

# Restoration: level full is sent as action restore.
expect_status 0 relance provision webhook --url "$URL" --secret-env WEBHOOK_SECRET \
	--service svc-BI-1 --level full --key K-restore-1 --json
expect_grep out.txt '"outcome":"done"'
expect_grep out.txt '"confirmed_level":"full"'
grep -F '"idempotency_key":"K-restore-1"' receiver.jsonl | grep -qF '\"action\":\"restore\"' ||
	fail "a restoration was not sent as action restore"

# 503 twice: retried with backoff under the same key, then applied.
expect_status 0 relance provision webhook --url "$URL" --secret-env WEBHOOK_SECRET \
	--service fail2-7 --level total --key K-fail2 --backoff-ms 100 --json
expect_grep out.txt '"attempts":3'
expect_grep out.txt '"outcome":"done"'
[ "$(count idempotency_key K-fail2)" = 3 ] || fail "expected 3 requests for K-fail2"
[ "$(grep -F '"idempotency_key":"K-fail2"' receiver.jsonl | grep -cF '"status":503')" = 2 ] ||
	fail "expected two 503 answers before the 200"
expect_grep err.txt "waiting 100 ms before attempt 2"
expect_grep err.txt "waiting 200 ms before attempt 3"

# A 400: refused for good, one request only.
expect_status 1 relance provision webhook --url "$URL" --secret-env WEBHOOK_SECRET \
	--service bad-3 --level total --key K-bad --backoff-ms 50
expect_line out.txt "outcome: refused"
expect_grep out.txt "unknown service"
[ "$(count idempotency_key K-bad)" = 1 ] || fail "a permanent refusal was retried"

# A 200 whose body says error: failed, with the receiver's message.
expect_status 1 relance provision webhook --url "$URL" --secret-env WEBHOOK_SECRET \
	--service errbody-4 --level walled_garden --key K-errbody --backoff-ms 50
expect_line out.txt "outcome: failed"
expect_grep out.txt "service is locked by an agent"

# Too slow for a 1 s time-out: tried again, then uncertain (sent, never answered).
expect_status 1 relance provision webhook --url "$URL" --secret-env WEBHOOK_SECRET \
	--service slow-5 --level total --key K-slow --timeout 1 --retries 1 --backoff-ms 50
expect_line out.txt "outcome: uncertain"
expect_grep err.txt "timed out"
[ "$(count idempotency_key K-slow)" = 2 ] || fail "the time-out was not retried once"

# A wrong secret: 401, not retried, exit 1; neither secret printed.
export WRONG_SECRET='not-the-receivers-secret'
expect_status 1 relance provision webhook --url "$URL" --secret-env WRONG_SECRET \
	--service svc-6 --level total --key K-wrong --backoff-ms 50
expect_line out.txt "outcome: failed"
expect_grep out.txt "401 signature refused"
grep -F '"idempotency_key":"K-wrong"' receiver.jsonl | grep -qF '"signature":"bad"' ||
	fail "the receiver did not see a bad signature"
[ "$(count idempotency_key K-wrong)" = 1 ] || fail "a 401 was retried"
if grep -qF "$WRONG_SECRET" out.txt err.txt; then fail "the wrong secret was printed"; fi
no_secret

# Usage errors: no such variable, a level unknown.
expect_status 2 relance provision webhook --url "$URL" --secret-env NO_SUCH_VARIABLE_X \
	--service s --level total
expect_grep err.txt "NO_SUCH_VARIABLE_X is not set"
expect_status 2 relance provision webhook --url "$URL" --secret-env WEBHOOK_SECRET \
	--service s --level partial
expect_grep err.txt "--level"

# The receiver down: every attempt refused at connect, exit 1 after the retries.
kill "$PID_receiver"
wait "$PID_receiver" 2>/dev/null || true
expect_status 1 relance provision webhook --url "$URL" --secret-env WEBHOOK_SECRET \
	--service svc-8 --level total --key K-down --retries 2 --backoff-ms 50 --json
expect_grep out.txt '"outcome":"failed"'
expect_grep out.txt '"attempts":3'
expect_grep out.txt "not applied after 3 attempts"
no_secret
