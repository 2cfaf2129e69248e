# Who may call what: the route table of `relance serve` is exactly the
# matrix of docs/api.md, and every route is called with no token, with a
# token of each scope, with admin, and with a session of each staff role
# (the role table of docs/api.md), and with a portal customer's session
# signed in by a one-time code: no route answers without its scope, and the
# portal's routes ("portal") answer a customer's session only.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
import_fixtures

# The documented matrix, "METHOD PATH SCOPE" a line ("-": public).
sed -n 's/^| `\([A-Z]*\) \([^`]*\)` | \(none\|`\([^`]*\)`\) |$/\1 \2 \4/p' "$TOP/docs/api.md" |
	sed 's/ $/ -/' | sort > documented.txt
[ -s documented.txt ] || fail "no route matrix found in docs/api.md"
expect_status 0 relance serve --routes
sort out.txt > served.txt
diff documented.txt served.txt > matrix.diff ||
	{ cat matrix.diff; fail "docs/api.md's matrix and the server's routes differ"; }

# docs/openapi.yaml describes every API route the server has, with its
# method (the pages' static files are not API).
awk '
	/^  \/[^ ]*:$/ { path = $1; sub(/:$/, "", path); next }
	/^    (get|post|put|patch|delete):/ && path != "" {
		m = $1; sub(/:$/, "", m); print toupper(m) " " path
	}' "$TOP/docs/openapi.yaml" | sort > openapi.txt
grep -Ev ' /(console|portal|dashboard|common)[/ ]' served.txt | cut -d' ' -f1,2 | sed 's/{file}//' | sort > api_routes.txt
missing=$(comm -23 api_routes.txt openapi.txt)
[ -z "$missing" ] || fail "docs/openapi.yaml lacks: $missing"
extra=$(comm -13 api_routes.txt openapi.txt)
[ -z "$extra" ] || fail "docs/openapi.yaml describes routes the server lacks: $extra"

# A token per scope, and one with admin.
export RELANCE_PWHASH_FAST=1
expect_status 0 relance user add client --api
SCOPES="positions:read file:read file:write ledger:write arrangements:read arrangements:write queues:read queues:write reports:read policies:read policies:write admin"
for s in $SCOPES; do
	expect_status 0 relance token add client --scopes "$s"
	cp out.txt "token-$(echo "$s" | tr : _)"
done

# A policy, for the cycle that sends the portal's sign-in code.
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"
expect_status 0 relance user add portal-customer --customer C-BR-1

start_serve --now 2024-07-25T10:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0 \
	--record rec.jsonl

# status METHOD PATH [TOKEN]: the HTTP status of a call with an empty body.
status() {
	if [ -n "${3:-}" ]; then
		curl -s -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
			-H 'Content-Type: application/json' --data-binary '{}' "$URL$2"
	else
		curl -s -o /dev/null -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
			--data-binary '{}' "$URL$2"
	fi
}
# as_role METHOD PATH ROLE: the same within ROLE's session (cookie + CSRF).
as_role() {
	curl -s -o /dev/null -w '%{http_code}' -X "$1" -b "jar-$3" -H "X-CSRF-Token: $(cat "csrf-$3")" \
		-H 'Content-Type: application/json' --data-binary '{}' "$URL$2"
}
# allowed SCOPES WANT: whether space-separated SCOPES let WANT through.
allowed() {
	[ "$2" = any ] && return 0
	[ "$2" = portal ] && return 1   # not even admin: a customer's session only
	for x in $1; do [ "$x" = "$2" ] || [ "$x" = admin ] && return 0; done
	return 1
}

# A session per staff role, and the documented scopes of each role.
sed -n 's/^| \(agent\|supervisor\|manager\|administrator\) | `\([^`]*\)` |$/\1 \2/p' \
	"$TOP/docs/api.md" > roles.txt
[ "$(wc -l < roles.txt)" = 4 ] || { cat roles.txt; fail "the role table of docs/api.md"; }
while read -r role scopes; do
	printf 'a-long-passphrase-%s\n' "$role" |
		"$RELANCE_BIN" user add "staff-$role" --role "$role" --password-stdin >/dev/null 2>&1 ||
		fail "user add staff-$role"
	curl -s -c "jar-$role" -H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"staff-$role\",\"password\":\"a-long-passphrase-$role\"}" \
		"$URL/api/v1/session" > "login-$role.json"
	sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p' "login-$role.json" > "csrf-$role"
	[ -s "csrf-$role" ] || { cat "login-$role.json"; fail "staff-$role could not sign in"; }
done < roles.txt

# A customer's session, by the portal's one-time code (the record file has it).
curl -s -o /dev/null -H 'Content-Type: application/json' \
	--data-binary '{"user":"portal-customer","channel":"sms"}' "$URL/api/v1/portal/code"
wait_for 20 grep -q '"action":"code"' rec.jsonl
code=$(grep '"action":"code"' rec.jsonl | tail -n 1 | sed -n 's/.*[^0-9]\([0-9]\{6\}\)\..*/\1/p')
curl -s -c jar-customer -H 'Content-Type: application/json' \
	--data-binary "{\"user\":\"portal-customer\",\"code\":\"$code\"}" \
	"$URL/api/v1/portal/session" > login-customer.json
sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p' login-customer.json > csrf-customer
[ -s csrf-customer ] || { cat login-customer.json; fail "the portal customer could not sign in"; }

calls=0
while read -r method path scope; do
	p=$(echo "$path" | sed 's/{id}/A-BR-1/')
	if [ "$scope" = - ]; then
		got=$(status "$method" "$p")
		case $got in 401|403|5??) fail "$method $path with no token: $got, expected it through";; esac
		continue
	fi
	got=$(status "$method" "$p")
	[ "$got" = 401 ] || fail "$method $path with no token: $got, expected 401"
	for s in $SCOPES; do
		# Signing out with the admin token last would end nothing: tokens stay.
		got=$(status "$method" "$p" "$(cat "token-$(echo "$s" | tr : _)")")
		calls=$((calls + 1))
		if allowed "$s" "$scope"; then
			case $got in 401|403) fail "$method $path with $s: $got, expected it through";; esac
		else
			[ "$got" = 403 ] || fail "$method $path with $s: $got, expected 403"
		fi
	done
	[ "$method $path" = "DELETE /api/v1/session" ] && continue   # would end the sessions
	while read -r role scopes; do
		got=$(as_role "$method" "$p" "$role")
		calls=$((calls + 1))
		if allowed "$scopes" "$scope"; then
			case $got in 401|403) fail "$method $path as $role: $got, expected it through";; esac
		else
			[ "$got" = 403 ] || fail "$method $path as $role: $got, expected 403"
		fi
	done < roles.txt
	# The customer (of A-BR-1): the portal and "any", nothing else.
	got=$(as_role "$method" "$p" customer)
	calls=$((calls + 1))
	if [ "$scope" = portal ] || [ "$scope" = any ]; then
		case $got in 401|403) fail "$method $path as a customer: $got, expected it through";; esac
	else
		[ "$got" = 403 ] || fail "$method $path as a customer: $got, expected 403"
	fi
done < documented.txt
[ "$calls" -gt 0 ] || fail "no protected route was called"
kill -TERM "$SERVE"
wait "$SERVE" || fail "serve exited $? after SIGTERM"
