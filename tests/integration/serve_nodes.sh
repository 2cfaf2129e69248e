# Two `relance serve` nodes on one database (docs/api.md "Sessions",
# "Idempotency"; docs/portal.md): a session opened on one works on the
# other, CSRF token included, and a sign-out on one is refused by the other
# at once; an Idempotency-Key taken on one is replayed by the other (one
# payment stored) and refused there for another request; failed sign-ins
# count across the nodes; a portal code asked on one is used on the other,
# once; a node restarted keeps the sessions.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
import_fixtures
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"
export RELANCE_PWHASH_FAST=1
printf 'correct horse battery\n' | expect_status 0 relance user add ana --role agent \
	--password-stdin
printf 'another long passphrase\n' | expect_status 0 relance user add max --role manager \
	--password-stdin
expect_status 0 relance user add ana.souza --customer C-BR-1
expect_status 0 relance user add billing --api
expect_status 0 relance token add billing --scopes "ledger:write"
LEDGER=$(cat out.txt)

# node NAME: starts a node in folder NAME (its serve.out, serve.err), its
# URL in URL_NAME and its pid in PID_NAME. Both record to one file.
node() {
	mkdir -p "$1"
	cd "$1"
	start_serve --now 2024-07-25T15:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0 \
		--threads 2 --record "$RELANCE_TEST_WORK/rec.jsonl"
	cd "$RELANCE_TEST_WORK"
	eval "URL_$1=\$URL; PID_$1=\$SERVE"
}
node a
node b
[ "$URL_a" != "$URL_b" ] || fail "the two nodes listen on one port"

expect_http() {   # WANT GOT WHAT
	[ "$1" = "$2" ] || { cat body.txt; echo; fail "$3: HTTP $2, expected $1"; }
}
sign_in() {   # URL USER PASSWORD JAR: prints the status; the body in body.txt
	curl -s -c "$4" -o body.txt -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"$2\",\"password\":\"$3\"}" "$1/api/v1/session"
}
read_with() {   # URL JAR: prints the status of a read of a position
	curl -s -o body.txt -w '%{http_code}' -b "$2" "$1/api/v1/accounts/A-BR-1/position"
}
note_with() {   # URL JAR CSRF TEXT: prints the status of a note
	curl -s -o body.txt -w '%{http_code}' -b "$2" -H "X-CSRF-Token: $3" \
		-H 'Content-Type: application/json' --data-binary "{\"text\":\"$4\"}" \
		"$1/api/v1/accounts/A-BR-1/notes"
}
csrf_of() { sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p' body.txt; }
cookie_of() { awk '$6 == "relance_session" { print $7 }' "$1"; }

# ---- a session opened on A is B's too; a sign-out on B ends it on A ------------------------
expect_http 201 "$(sign_in "$URL_a" ana "correct horse battery" ana.jar)" "ana signs in on A"
CSRF=$(csrf_of)
[ -n "$CSRF" ] || fail "no CSRF token"
COOKIE=$(cookie_of ana.jar)
[ -n "$COOKIE" ] || { cat ana.jar; fail "no session cookie"; }
[ "$(db_count "serve_sessions WHERE hash = '$COOKIE' OR csrf = '$COOKIE'")" = 0 ] ||
	fail "the cookie's value is in the database"
[ "$(db_count "serve_sessions WHERE user_name = 'ana'")" = 1 ] || fail "no session row for ana"
expect_http 200 "$(read_with "$URL_b" ana.jar)" "A's session read on B"
expect_grep body.txt '"account_id":"A-BR-1"'
expect_http 403 "$(note_with "$URL_b" ana.jar wrong-token "no")" "a note on B, wrong CSRF token"
expect_http 201 "$(note_with "$URL_b" ana.jar "$CSRF" "noted on node B")" "a note on B"
[ "$(db_count "file_entries WHERE kind = 'note' AND author = 'ana'")" = 1 ] ||
	fail "the note written on B is not stored once"
code=$(curl -s -o body.txt -w '%{http_code}' -X DELETE -b ana.jar -H "X-CSRF-Token: $CSRF" \
	"$URL_b/api/v1/session")
expect_http 200 "$code" "ana signs out on B"
expect_http 401 "$(read_with "$URL_a" ana.jar)" "the session on A after signing out on B"
expect_http 401 "$(read_with "$URL_b" ana.jar)" "the session on B after signing out on B"
[ "$(db_count "serve_sessions WHERE user_name = 'ana'")" = 0 ] || fail "the session row stays"

# ---- one Idempotency-Key, two nodes ----------------------------------------------------------
pay() {   # URL KEY BODY: prints the status; the body in body.txt, headers in headers.txt
	curl -s -o body.txt -D headers.txt -w '%{http_code}' -H "Authorization: Bearer $LEDGER" \
		-H "Idempotency-Key: $2" -H 'Content-Type: application/json' --data-binary "$3" \
		"$1/api/v1/payments"
}
PAYMENT='{"payment_id":"P-NODES-1","account_id":"A-BR-1","received_at":"2024-07-25T09:00:00Z","amount":"29.90","method":"pix"}'
payments_before=$(db_count payments)
expect_http 201 "$(pay "$URL_a" pay-nodes-1 "$PAYMENT")" "a payment on A"
expect_grep body.txt '"new":1'
cp body.txt first.txt
expect_http 201 "$(pay "$URL_b" pay-nodes-1 "$PAYMENT")" "the same payment, same key, on B"
cmp -s body.txt first.txt || { cat first.txt body.txt; fail "B answered differently"; }
expect_grep body.txt '"new":1'   # the first answer, not "unchanged": replayed
[ "$(db_count payments)" = "$((payments_before + 1))" ] || fail "not one payment stored"
expect_http 422 "$(pay "$URL_b" pay-nodes-1 '{"payment_id":"P-NODES-2","account_id":"A-BR-1","received_at":"2024-07-25T09:00:00Z","amount":"1.00"}')" \
	"another payment with the key on B"
expect_grep body.txt 'used for another request'
[ "$(db_count "payments WHERE payment_id = 'P-NODES-2'")" = 0 ] || fail "a refused key stored a payment"
expect_http 422 "$(pay "$URL_a" pay-nodes-1 '{"payment_id":"P-NODES-2","account_id":"A-BR-1","received_at":"2024-07-25T09:00:00Z","amount":"1.00"}')" \
	"another payment with the key on A"
# A key whose first request is still being answered (made so by hand): 409
# on the other node.
PAYMENT3='{"payment_id":"P-NODES-3","account_id":"A-BR-1","received_at":"2024-07-25T09:00:00Z","amount":"2.00"}'
expect_http 201 "$(pay "$URL_a" in-flight "$PAYMENT3")" "a payment with key in-flight on A"
db_exec "UPDATE serve_idempotency SET state = 'busy' WHERE idem_key = 'in-flight'"
expect_http 409 "$(pay "$URL_b" in-flight "$PAYMENT3")" "a key in flight"
grep -qi '^Retry-After: 1' headers.txt || { cat headers.txt; fail "no Retry-After on 409"; }

# ---- failed sign-ins count on every node -------------------------------------------------------
for n in a b a b a; do
	eval "u=\$URL_$n"
	expect_http 401 "$(sign_in "$u" max "wrong password $n" /dev/null)" "a wrong password on $n"
done
expect_http 429 "$(sign_in "$URL_b" max "another long passphrase" /dev/null)" "max on B"
expect_grep body.txt 'too many failed sign-ins'
expect_http 429 "$(sign_in "$URL_a" max "another long passphrase" /dev/null)" "max on A"

# ---- a portal code asked on A, used on B, refused on A --------------------------------------------
code=$(curl -s -o body.txt -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary '{"user":"ana.souza","channel":"sms"}' "$URL_a/api/v1/portal/code")
expect_http 202 "$code" "a code asked on A"
wait_for 20 grep -q '"action":"code"' rec.jsonl
CODE=$(grep '"action":"code"' rec.jsonl | tail -n 1 |
	sed -n 's/.*"text":"[^"]*[^0-9]\([0-9]\{6\}\)\..*/\1/p')
[ -n "$CODE" ] || { cat rec.jsonl; fail "no code in the record"; }
[ "$(db_count "serve_codes WHERE hash LIKE '%$CODE%' OR salt LIKE '%$CODE%'")" = 0 ] ||
	fail "the code is in the database"
portal_in() {   # URL JAR: prints the status of a sign-in with CODE
	curl -s -c "$2" -o body.txt -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"ana.souza\",\"code\":\"$CODE\"}" "$1/api/v1/portal/session"
}
expect_http 201 "$(portal_in "$URL_b" customer.jar)" "the code used on B"
expect_grep body.txt '"role":"customer"'
code=$(curl -s -o body.txt -w '%{http_code}' -b customer.jar "$URL_a/api/v1/portal/accounts")
expect_http 200 "$code" "the portal session of B read on A"
expect_http 401 "$(portal_in "$URL_a" /dev/null)" "the code used again on A"
expect_http 401 "$(portal_in "$URL_b" /dev/null)" "the code used again on B"
[ "$(db_count serve_codes)" = 0 ] || fail "a used code stays"

# ---- node A restarted: the sessions stay ----------------------------------------------------------
expect_http 201 "$(sign_in "$URL_b" ana "correct horse battery" ana2.jar)" "ana signs in on B"
CSRF2=$(csrf_of)
kill "$PID_a"
wait "$PID_a" 2>/dev/null || :
if curl -s -o /dev/null "$URL_a/healthz"; then fail "node A still answers"; fi
node a
expect_http 200 "$(read_with "$URL_a" ana2.jar)" "B's session on A restarted"
expect_http 201 "$(note_with "$URL_a" ana2.jar "$CSRF2" "noted after a restart")" \
	"a note on A restarted"
code=$(curl -s -o body.txt -w '%{http_code}' -b customer.jar "$URL_a/api/v1/portal/accounts")
expect_http 200 "$code" "the portal session on A restarted"
expect_http 201 "$(pay "$URL_a" pay-nodes-1 "$PAYMENT")" "the key replayed by A restarted"
cmp -s body.txt first.txt || { cat first.txt body.txt; fail "A restarted answered differently"; }
expect_http 429 "$(sign_in "$URL_a" max "another long passphrase" /dev/null)" \
	"max on A restarted"
[ "$(db_count payments)" = "$((payments_before + 2))" ] || fail "a payment stored twice"
echo "serve_nodes: ok"
