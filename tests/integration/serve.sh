# `relance serve`: the API answers only bearer tokens whose scopes allow
# the route, with problem documents for every refusal, over SQLite and
# PostgreSQL (docs/api.md). Health and metrics answer anyone.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
import_fixtures
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"
export RELANCE_PWHASH_FAST=1
expect_status 0 relance user add billing --api
expect_status 0 relance token add billing --scopes "positions:read file:read"
READER=$(cat out.txt)
expect_status 0 relance token add billing --scopes "file:write"
WRITER=$(cat out.txt)
expect_status 0 relance token add billing --scopes "ledger:write"
LEDGER=$(cat out.txt)
db_count payments > payments_before.txt
expect_status 0 relance token add billing --scopes "positions:read"
REVOKED=$(cat out.txt)
REVOKED_KEY=$(db_exec "SELECT max(token_key) FROM api_tokens")
expect_status 0 relance token revoke "$REVOKED_KEY"

start_serve --now 2024-07-25T10:00:00Z serve --listen 127.0.0.1:0 --threads 2

# call METHOD PATH [TOKEN] [BODY]: the status in status.txt, the body in body.txt.
call() {
	set -- "$1" "$2" "${3:-}" "${4:-}"
	if [ -n "$3" ]; then auth="Authorization: Bearer $3"; else auth="X-None: 1"; fi
	if [ -n "$4" ]; then
		curl -s -o body.txt -w '%{http_code} %{content_type}' -X "$1" -H "$auth" \
			-H 'Content-Type: application/json' --data-binary "$4" "$URL$2" > answer.txt
	else
		curl -s -o body.txt -w '%{http_code} %{content_type}' -X "$1" -H "$auth" "$URL$2" \
			> answer.txt
	fi
	cut -d' ' -f1 answer.txt > status.txt
	cut -s -d' ' -f2- answer.txt > type.txt
	keep_answer "$1" "$2"
}
expect_http() {
	[ "$(cat status.txt)" = "$1" ] || { cat body.txt; fail "HTTP $(cat status.txt), expected $1"; }
}

call GET /healthz
expect_http 200
expect_grep body.txt '"status":"ok"'
call GET /readyz
expect_http 200

# Nobody, a wrong token, a revoked one, a token without the scope.
call GET /api/v1/accounts/A-BR-1/position
expect_http 401
expect_grep body.txt '"title":"Unauthorized"'
call GET /api/v1/accounts/A-BR-1/position rl_notatoken
expect_http 401
call GET /api/v1/accounts/A-BR-1/position "$REVOKED"
expect_http 401
call GET /api/v1/accounts/A-BR-1/position "$WRITER"
expect_http 403
expect_grep body.txt 'this token may not positions:read'

# The position at --now, as `export positions` gives it.
call GET /api/v1/accounts/A-BR-1/position "$READER"
expect_http 200
expect_grep body.txt '"account_id":"A-BR-1","customer_id":"C-BR-1","currency":"BRL","balance":"129.90","overdue":"129.90","oldest_unpaid_due_on":"2024-06-10","days_past_due":45'
call GET /api/v1/accounts/NOPE/position "$READER"
expect_http 404
expect_grep body.txt 'no account NOPE'

# A note: its author is the token's user; bad bodies are refused whole.
call POST /api/v1/accounts/A-BR-1/notes "$WRITER" '{"text":"<script>alert(1)</script> rang, will pay Friday"}'
expect_http 201
expect_grep body.txt '"seq":'
call POST /api/v1/accounts/A-BR-1/notes "$WRITER" '{"text":'
expect_http 400
expect_grep body.txt '"status":400'
call POST /api/v1/accounts/A-BR-1/notes "$WRITER" '{"text":"x","author":"someone else"}'
expect_http 400
expect_grep body.txt "unknown field 'author'"
call POST /api/v1/accounts/A-BR-1/notes "$WRITER" '["x"]'
expect_http 400
call POST /api/v1/accounts/A-BR-1/notes "$READER" '{"text":"x"}'
expect_http 403
call GET /api/v1/accounts/A-BR-1/notes "$WRITER"
expect_http 405

# The file, a page at a time: the note is there as text, by billing.
call GET "/api/v1/accounts/A-BR-1/file?limit=1" "$READER"
expect_http 200
expect_grep body.txt '"next":1'
call GET "/api/v1/accounts/A-BR-1/file?after=1&limit=1000" "$READER"
expect_http 200
expect_grep body.txt '"kind":"note","author":"billing","body":"<script>alert(1)</script> rang, will pay Friday"'
expect_grep body.txt '"next":null'
call GET "/api/v1/accounts/A-BR-1/file?limit=0" "$READER"
expect_http 400
call GET /api/v1/nothing "$READER"
expect_http 404

# Payments: the import's own validation, all or nothing, idempotent by id.
call POST /api/v1/payments "$LEDGER" '{"payment_id":"P-API-1","account_id":"A-BR-1","received_at":"2024-07-25T09:00:00Z","amount":"29.90","method":"pix"}'
expect_http 201
expect_grep body.txt '{"payments":1,"new":1,"unchanged":0}'
call POST /api/v1/payments "$LEDGER" '{"payment_id":"P-API-1","account_id":"A-BR-1","received_at":"2024-07-25T09:00:00Z","amount":"29.90","method":"pix"}'
expect_http 200
expect_grep body.txt '{"payments":1,"new":0,"unchanged":1}'
call GET /api/v1/accounts/A-BR-1/position "$READER"
expect_grep body.txt '"balance":"100.00"'
call POST /api/v1/payments "$LEDGER" '[{"payment_id":"P-API-2","account_id":"A-BR-1","received_at":"2024-07-25T09:00:00Z","amount":"1.00"},{"payment_id":"P-API-3","account_id":"NOPE","received_at":"2024-07-25T09:00:00Z","amount":"1.00"},{"payment_id":"P-API-4","account_id":"A-BR-1","received_at":"yesterday","amount":"1.00"}]'
expect_http 400
expect_grep body.txt "payments[1]: unknown account_id 'NOPE'"
expect_grep body.txt "payments[2]: received_at 'yesterday' is not an RFC 3339 instant"
call GET /api/v1/accounts/A-BR-1/position "$READER"
expect_grep body.txt '"balance":"100.00"'
call POST /api/v1/payments "$LEDGER" '{"payment_id":"P-API-5","account_id":"A-BR-1","received_at":"2024-07-25T09:00:00Z","amount":1.5}'
expect_http 400
expect_grep body.txt "'amount' must be a string"
call POST /api/v1/payments "$LEDGER" '{"payment_id":"P-API-5","account_id":"A-BR-1","amount":"1.00","note":"x"}'
expect_http 400
expect_grep body.txt "unknown field 'note'"
call POST /api/v1/payments "$READER" '{"payment_id":"P-API-6"}'
expect_http 403
[ "$(db_count payments)" = "$(($(cat payments_before.txt) + 1))" ] || fail "a refused payment was stored"

# Invoices and credit notes take the same road, with their own columns.
call POST /api/v1/invoices "$LEDGER" '[{"invoice_id":"I-API-1","account_id":"A-FR-1","issued_on":"2024-07-01","due_on":"2024-07-15","amount":"12.50"}]'
expect_http 201
expect_grep body.txt '{"invoices":1,"new":1,"unchanged":0}'
call POST /api/v1/credit-notes "$LEDGER" '{"credit_note_id":"CN-API-1","account_id":"A-FR-1","invoice_id":"I-API-1","issued_on":"2024-07-20","amount":"2.50","reason":"outage, 3 days"}'
expect_http 201
expect_grep body.txt '{"credit_notes":1,"new":1,"unchanged":0}'
call POST /api/v1/credit-notes "$LEDGER" '{"credit_note_id":"CN-API-2","account_id":"A-FR-1","issued_on":"2024-07-20","amount":"1.00"}'
expect_http 400
expect_grep body.txt 'credit_notes[0]: '
call POST /api/v1/invoices "$LEDGER" '{"invoice_id":"I-API-2","account_id":"A-FR-1","issued_on":"2024-07-01","due_on":"2024-07-15","amount":"1.00","paid":"no"}'
expect_http 400
expect_grep body.txt "invoices[0]: unknown field 'paid'"
call GET /api/v1/accounts/A-FR-1/position "$READER"
expect_grep body.txt '"balance":"24.99"'   # 14.99 + 12.50 - 2.50

# Idempotency-Key: the same request with the same key is answered once.
keyed() {   # KEY BODY: a note on A-FR-1 with that key
	curl -s -o body.txt -w '%{http_code}' -X POST -H "Authorization: Bearer $WRITER" \
		-H "Idempotency-Key: $1" -H 'Content-Type: application/json' --data-binary "$2" \
		"$URL/api/v1/accounts/A-FR-1/notes" > status.txt
}
notes_before=$(db_count "file_entries WHERE kind = 'note'")
keyed note-7f3a '{"text":"asked for an invoice copy"}'
expect_http 201
cp body.txt first.txt
keyed note-7f3a '{"text":"asked for an invoice copy"}'
expect_http 201
cmp -s body.txt first.txt || { cat body.txt first.txt; fail "a replay answered differently"; }
keyed note-7f3a '{"text":"something else"}'
expect_http 422
expect_grep body.txt 'used for another request'
keyed 'bad key!' '{"text":"x"}'
expect_http 400
expect_grep body.txt 'Idempotency-Key must be'
[ "$(db_count "file_entries WHERE kind = 'note'")" = "$((notes_before + 1))" ] ||
	fail "a repeated key wrote the note twice"
# Keys are the user's, whichever of their tokens: spent by the note above.
curl -s -o body.txt -w '%{http_code}' -X POST -H "Authorization: Bearer $LEDGER" \
	-H "Idempotency-Key: note-7f3a" -H 'Content-Type: application/json' \
	--data-binary '{"payment_id":"P-API-9","account_id":"A-FR-1","received_at":"2024-07-25T09:00:00Z","amount":"1.00"}' \
	"$URL/api/v1/payments" > status.txt
expect_http 422
[ "$(db_count "payments WHERE payment_id = 'P-API-9'")" = 0 ] || fail "a refused key stored a payment"

# Policies: listed, read back exactly, loaded only when they check.
expect_status 0 relance token add billing --scopes "policies:read policies:write"
POLICIES=$(cat out.txt)
call GET /api/v1/policies "$POLICIES"
expect_http 200
expect_grep body.txt '"version":1,'
curl -s -o policy1.yaml -H "Authorization: Bearer $POLICIES" "$URL/api/v1/policies/1"
cmp -s policy1.yaml "$TOP/examples/policies/brazil-isp.yaml" || fail "policy 1 is not the text loaded"
printf 'name: x\njurisdictions:\n  BR: {timezone: Mars/Olympus}\nstrategie: []\n' > bad.yaml
code=$(curl -s -o body.txt -w '%{http_code}' -X POST -H "Authorization: Bearer $POLICIES" \
	--data-binary @bad.yaml "$URL/api/v1/policies")
[ "$code" = 400 ] || fail "a bad policy: HTTP $code"
expect_grep body.txt "policy:3:"
expect_grep body.txt "policy:4:1: unknown key 'strategie'"
code=$(curl -s -o body.txt -w '%{http_code}' -X POST -H "Authorization: Bearer $POLICIES" \
	--data-binary @"$TOP/examples/policies/brazil-isp.yaml" "$URL/api/v1/policies")
[ "$code" = 201 ] || { cat body.txt; fail "loading a policy: HTTP $code"; }
expect_grep body.txt '{"version":2}'
call GET /api/v1/policies/3 "$POLICIES"
expect_http 404
call POST /api/v1/policies "$READER" 'name: x'
expect_http 403
expect_status 0 relance policy list
expect_grep out.txt "api, by billing"

# Metrics count what was answered, by class.
call GET /metrics
expect_http 200
expect_grep body.txt 'relance_http_requests_total{class="4xx"}'
expect_grep body.txt 'relance_http_request_duration_seconds_bucket{le="+Inf"}'
expect_grep body.txt 'relance_http_idempotent_replays_total 1'
expect_grep body.txt 'relance_cycle_seconds_count'
# The histogram's buckets only grow, and its count is the requests'.
awk '/^relance_http_request_duration_seconds_bucket/ { v = $2 + 0; if (v < last) bad = 1; last = v }
	/^relance_http_request_duration_seconds_count/ { c = $2 }
	/^relance_http_requests_total/ { t += $2 }
	END { exit (bad || c != t || c == 0) }' body.txt || { cat body.txt; fail "the latency histogram"; }

# Staff sessions: argon2id sign-in, an HttpOnly cookie, CSRF on writes.
printf 'correct horse battery\n' | "$RELANCE_BIN" user add ana --role agent --password-stdin \
	>/dev/null 2>&1 || fail "user add ana"
printf 'another long passphrase\n' | "$RELANCE_BIN" user add max --role manager --password-stdin \
	>/dev/null 2>&1 || fail "user add max"
sign_in() {   # USER PASSWORD JAR: the status in status.txt, the body in body.txt
	curl -s -c "$3" -o body.txt -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"$1\",\"password\":\"$2\"}" "$URL/api/v1/session" > status.txt
}
sign_in ana "correct horse battery" ana.jar
expect_http 201
expect_grep body.txt '"user":"ana","role":"agent","csrf":"rl_'
grep -q 'relance_session' ana.jar || fail "no session cookie"
grep -q '#HttpOnly_' ana.jar || fail "the session cookie is not HttpOnly"
CSRF=$(sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p' body.txt)
code=$(curl -s -o body.txt -w '%{http_code}' -b ana.jar "$URL/api/v1/accounts/A-BR-1/position")
[ "$code" = 200 ] || fail "a session read: $code"
code=$(curl -s -o body.txt -w '%{http_code}' -b ana.jar -H 'Content-Type: application/json' \
	--data-binary '{"text":"no CSRF token"}' "$URL/api/v1/accounts/A-BR-1/notes")
[ "$code" = 403 ] || fail "a write without the CSRF token: $code"
expect_grep body.txt "X-CSRF-Token"
code=$(curl -s -o body.txt -w '%{http_code}' -b ana.jar -H "X-CSRF-Token: $CSRF" \
	-H 'Content-Type: application/json' --data-binary '{"text":"called, promised Friday"}' \
	"$URL/api/v1/accounts/A-BR-1/notes")
[ "$code" = 201 ] || { cat body.txt; fail "a note by ana: $code"; }
call GET "/api/v1/accounts/A-BR-1/file?limit=1000" "$READER"
expect_grep body.txt '"kind":"note","author":"ana","body":"called, promised Friday"'
# Arrangements through the API: the commands' own checks and reasons.
as_ana() {   # METHOD PATH BODY: status.txt, body.txt
	curl -s -o body.txt -w '%{http_code} %{content_type}' -X "$1" -b ana.jar \
		-H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' --data-binary "$3" \
		"$URL$2" > answer.txt
	cut -d' ' -f1 answer.txt > status.txt
	cut -s -d' ' -f2- answer.txt > type.txt
	keep_answer "$1" "$2"
}
as_ana POST /api/v1/accounts/A-BR-1/promises '{"amount":"50.00","date":"2024-08-01","note":"by phone"}'
expect_http 201
expect_grep body.txt '"kind":"promise","state":"open"'
expect_grep body.txt '"created_by":"ana"'
as_ana POST /api/v1/accounts/A-BR-1/promises '{"amount":"10.00","date":"2024-08-01"}'
expect_http 400
expect_grep body.txt "already has a live promise"
as_ana POST /api/v1/accounts/A-BR-1/promises '{"amount":"10.00","date":"2024-08-01","by":"max"}'
expect_http 400
expect_grep body.txt "unknown field 'by'"
as_ana POST /api/v1/accounts/A-BR-1/plans '{"instalments":"8","every_days":"10","down":"50.00"}'
expect_http 400
expect_grep body.txt "agent may offer at most 6 instalments"
as_ana POST /api/v1/accounts/A-BR-1/disputes '{"invoice":"I-BR-2","reason":"never received"}'
expect_http 201
DISPUTE=$(sed -n 's/.*"id":"\(DS-[0-9]*\)".*/\1/p' body.txt)
as_ana POST "/api/v1/disputes/$DISPUTE/resolve" '{"outcome":"maybe"}'
expect_http 400
as_ana POST "/api/v1/disputes/$DISPUTE/resolve" '{"outcome":"rejected","note":"delivered, signed"}'
expect_http 200
expect_grep body.txt '"state":"rejected"'
as_ana POST "/api/v1/disputes/$DISPUTE/resolve" '{"outcome":"upheld"}'
expect_http 400
expect_grep body.txt "is already rejected"
as_ana POST /api/v1/plans/PL-999/accept ''
expect_http 404
call GET /api/v1/accounts/A-BR-1/arrangements "$READER"
expect_http 403
expect_status 0 relance account show A-BR-1
expect_grep out.txt "promise PR-1 by ana: promises 50.00 BRL by 2024-08-01"

# A manager reads but does not write on the file.
sign_in max "another long passphrase" max.jar
expect_http 201
MCSRF=$(sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p' body.txt)
code=$(curl -s -o body.txt -w '%{http_code}' -b max.jar -H "X-CSRF-Token: $MCSRF" \
	-H 'Content-Type: application/json' --data-binary '{"text":"x"}' \
	"$URL/api/v1/accounts/A-BR-1/notes")
[ "$code" = 403 ] || fail "a manager wrote a note: $code"
expect_grep body.txt "a manager may not file:write"
# Five wrong passwords: the sixth attempt is refused, even the right one.
for i in 1 2 3 4 5; do
	sign_in max "wrong password $i" /dev/null
	expect_http 401
done
sign_in max "another long passphrase" /dev/null
expect_http 429
sign_in nobody "whatever it is" /dev/null
expect_http 401
# Signed out: the cookie no longer works.
code=$(curl -s -o body.txt -w '%{http_code}' -X DELETE -b ana.jar -H "X-CSRF-Token: $CSRF" \
	"$URL/api/v1/session")
[ "$code" = 200 ] || fail "sign out: $code"
code=$(curl -s -o body.txt -w '%{http_code}' -b ana.jar "$URL/api/v1/accounts/A-BR-1/position")
[ "$code" = 401 ] || fail "a session after signing out: $code"

# SIGTERM: the server stops cleanly.
kill -TERM "$SERVE"
wait "$SERVE" || fail "serve exited $? after SIGTERM"
expect_grep serve.err "stopped (SIGTERM)"

# One log line per request (all written out by the stop), with who asked;
# never a token or a body.
expect_grep serve.err '"method":"POST","path":"/api/v1/payments","status":201,'
expect_grep serve.err '"user":"billing"'
for t in "$READER" "$WRITER" "$LEDGER" "$REVOKED" P-API-1 29.90 "alert(1)" "correct horse" "$CSRF"; do
	if grep -qF -- "$t" serve.err; then fail "the log holds '$t'"; fi
done


# Every answer above, against docs/openapi.yaml: route, status, body.
check_answers
expect_grep openapi.txt " 0 do not"
# The check itself catches a body that lacks what the schema requires.
mkdir -p answers-bad
echo "GET /api/v1/accounts/A-BR-1/position 200 application/json" > answers-bad/1.meta
echo '{"account_id":"A-BR-1","currency":"BRL"}' > answers-bad/1.body
if node "$TOP/tests/lib/openapi_check.js" "$TOP/docs/openapi.yaml" answers-bad > bad.txt; then
	cat bad.txt; fail "the openapi check let a wrong body through"
fi
expect_grep bad.txt "must have required property"
