# Who may call what: the route table of `relance serve` is exactly the
# matrix of docs/api.md, and every route is called with no token, with a
# token of each scope, and with admin: no route answers without its scope.
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

# A token per scope, and one with admin.
export RELANCE_PWHASH_FAST=1
expect_status 0 relance user add client --api
SCOPES="positions:read file:read file:write ledger:write arrangements:read arrangements:write queues:read policies:read policies:write admin"
for s in $SCOPES; do
	expect_status 0 relance token add client --scopes "$s"
	cp out.txt "token-$(echo "$s" | tr : _)"
done

"$RELANCE_BIN" --now 2024-07-25T10:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0 \
	>serve.out 2>serve.err &
SERVE=$!
PEER_PIDS="$PEER_PIDS $SERVE"
wait_for 10 grep -q "listening on" serve.out
URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' serve.out)

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

calls=0
while read -r method path scope; do
	p=$(echo "$path" | sed 's/{id}/A-BR-1/')
	if [ "$scope" = - ]; then
		got=$(status "$method" "$p")
		[ "$got" = 200 ] || fail "$method $path with no token: $got, expected 200"
		continue
	fi
	got=$(status "$method" "$p")
	[ "$got" = 401 ] || fail "$method $path with no token: $got, expected 401"
	for s in $SCOPES; do
		got=$(status "$method" "$p" "$(cat "token-$(echo "$s" | tr : _)")")
		calls=$((calls + 1))
		if [ "$s" = "$scope" ] || [ "$s" = admin ]; then
			case $got in 401|403) fail "$method $path with $s: $got, expected it through";; esac
		else
			[ "$got" = 403 ] || fail "$method $path with $s: $got, expected 403"
		fi
	done
done < documented.txt
[ "$calls" -gt 0 ] || fail "no protected route was called"
kill -TERM "$SERVE"
wait "$SERVE" || fail "serve exited $? after SIGTERM"
