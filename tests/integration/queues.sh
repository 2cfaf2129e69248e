# The agents' work queues (docs/queues.md): a policy whose stages put
# accounts on one queue at two priorities, cycles with --record, then the
# commands and the API: the list by priority, a take by one agent, the
# second agent refused (409), a close written on the file by the agent, a
# bad number flagged with its file entry and its task, and nothing stored
# on bad input.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
cat >> customers.csv <<'CSV'
C-BR-2,Carlos Lima,pt-BR,America/Sao_Paulo,BR,+5511987650002,carlos@example.com.br,residential
C-BR-3,Beatriz Rocha,pt-BR,America/Sao_Paulo,BR,+5511987650003,,residential
CSV
cat >> accounts.csv <<'CSV'
A-BR-2,C-BR-2,BRL
A-BR-3,C-BR-3,BRL
CSV
cat >> invoices.csv <<'CSV'
A-BR-2,I-BR-21,99.90,2024-07-01,2024-07-12,
A-BR-3,I-BR-31,59.90,2024-07-01,2024-07-18,
CSV
# The Brazilian ladder with its negotiation stages on one queue: "cobranca"
# gets priority 5 (calls) and priority 3 (negotiation) tasks.
sed -e 's/queue: negociacao/queue: cobranca/' -e 's/queue: renegociacao/queue: cobranca/' \
	"$TOP/examples/policies/brazil-isp.yaml" > policy.yaml
grep -q 'queue: cobranca, priority: 3' policy.yaml || fail "the policy has no priority 3 stage"
expect_status 0 relance init
import_fixtures
expect_status 0 relance policy load policy.yaml
for d in 2024-07-22 2024-07-23 2024-07-24; do
	expect_status 0 relance --now "${d}T15:00:00Z" run --record actions.jsonl
done
# console_browser.sh starts from this story and goes on in the browser.
[ "${QUEUES_STORY_ONLY:-}" = 1 ] && return 0
NOW=2024-07-25T15:00:00Z
q() { relance --now "$NOW" "$@"; }

# ---- the command line -------------------------------------------------------------------
expect_status 0 q queue list --json
expect_grep out.txt '{"queues":[{"name":"cobranca","open":3,"unassigned":3,'
expect_status 0 q queue list cobranca --json
# Priority first (3 before 5), then age, then id.
order=$(grep -o '"id":[0-9]*,"queue":"cobranca","priority":[0-9]' out.txt | sed 's/.*"priority"://' | tr -d '\n')
[ "$order" = 335 ] || { cat out.txt; fail "priorities listed as $order, expected 335"; }
first=$(sed 's/^.*"tasks":\[{"id":\([0-9]*\),.*/\1/' out.txt)
task_of() {   # ACCOUNT: the id of its task in out.txt
	grep -o "\"id\":[0-9]*,\"queue\":\"cobranca\",\"priority\":[0-9],\"text\":\"[^\"]*\",\"rule\":\"[^\"]*\",\"customer_id\":\"[^\"]*\",\"account_id\":\"$1\"" out.txt |
		sed 's/^"id":\([0-9]*\),.*/\1/'
}
T1=$(task_of A-BR-1)
T2=$(task_of A-BR-2)
T3=$(task_of A-BR-3)
[ -n "$T1" ] && [ -n "$T2" ] && [ -n "$T3" ] || { cat out.txt; fail "a task per account expected"; }
[ "$first" = "$T1" ] || fail "the oldest priority 3 task, of the lowest id, comes first"
# Pages: one task a page, the cursor is the last id.
expect_status 0 q queue list cobranca --limit 1 --json
expect_grep out.txt "\"next\":$T1}"
expect_status 0 q queue list cobranca --limit 2 --after "$T1" --json
expect_grep out.txt "\"tasks\":[{\"id\":$T2,"
expect_grep out.txt "\"next\":$T3}"

expect_status 0 q queue take "$T2" --by ana
expect_line out.txt "task $T2 taken by ana"
expect_status 2 q queue take "$T2" --by bob
expect_grep err.txt "task $T2 is held by ana"
expect_status 2 q queue close "$T2" --by bob --outcome done
expect_grep err.txt "task $T2 is held by ana"
expect_status 0 q queue list cobranca --unassigned --json
if grep -q "\"id\":$T2," out.txt; then fail "a held task is not unassigned"; fi
expect_status 0 q queue list cobranca --mine --by ana --json
expect_grep out.txt "\"tasks\":[{\"id\":$T2,"
expect_grep out.txt '"state":"held","taken_by":"ana","lease_until":"2024-07-25T15:30:00Z"'
# Bad input: refused, nothing stored.
expect_status 2 q queue close "$T2" --by ana --outcome maybe
expect_grep err.txt "outcome 'maybe' is not one of"
expect_status 2 q queue close "$T2" --by ana
expect_status 2 q queue take 99999 --by ana
expect_grep err.txt "no task 99999"
expect_status 2 q queue take x1 --by ana
[ "$(db_count "queue_tasks WHERE closed_at IS NOT NULL")" = 0 ] || fail "a refused close stored"
entries=$(db_count file_entries)
expect_status 0 q queue close "$T2" --by ana --outcome promise --note "paga na sexta" --json
expect_grep out.txt '"state":"closed"'
expect_grep out.txt '"closed_by":"ana","closed_at":"2024-07-25T15:00:00Z","outcome":"promise","note":"paga na sexta"'
[ "$(db_count file_entries)" = $((entries + 1)) ] || fail "a close writes one file entry"
expect_status 0 q account show A-BR-2
expect_grep out.txt "task by ana, account A-BR-2"
expect_grep out.txt "task $T2 on queue cobranca closed: promise: paga na sexta"
expect_status 2 q queue take "$T2" --by bob
expect_grep err.txt "task $T2 was closed by ana"
# A lease runs out: 31 minutes later bob may take what ana took.
expect_status 0 q queue take "$T3" --by ana
expect_status 0 relance --now 2024-07-25T15:31:00Z queue take "$T3" --by bob
expect_status 0 q queue list --json
expect_grep out.txt '{"queues":[{"name":"cobranca","open":2,"unassigned":1,'
expect_status 2 q queue release "$T3" --by ana
expect_grep err.txt "task $T3 is held by bob"
expect_status 0 relance --now 2024-07-25T15:31:00Z queue release "$T3" --by bob

# ---- a bad number, flagged by an agent ------------------------------------------------------
expect_status 2 q contact flag C-BR-3 --kind email --by ana
expect_grep err.txt "customer C-BR-3 has no email on file"
expect_status 2 q contact flag C-NOBODY --kind phone --by ana
expect_grep err.txt "no customer C-NOBODY"
expect_status 2 q contact flag C-BR-3 --kind fax --by ana
[ "$(db_count "contact_failures")" = 0 ] || fail "a refused flag stored"
expect_status 0 q contact flag C-BR-3 --kind phone --by ana --note "atende outra pessoa"
expect_line out.txt "phone +5511987650003 of customer C-BR-3 flagged bad; task on queue contact-fix"
expect_status 2 q contact flag C-BR-3 --kind phone --by ana
expect_grep err.txt "flagged bad already"
expect_status 0 q account show A-BR-3
expect_grep out.txt "contact by ana, account A-BR-3"
expect_grep out.txt "phone +5511987650003 flagged as bad by ana: atende outra pessoa"
# The task is the next cycle's to perform.
expect_status 0 q run --record actions.jsonl
expect_status 0 q queue list contact-fix --json
expect_grep out.txt '"queue":"contact-fix","priority":2,"text":"phone +5511987650003 flagged as bad by ana: atende outra pessoa'
expect_grep out.txt '"rule":"contacts/bad","customer_id":"C-BR-3","account_id":"A-BR-3"'

# ---- the API ---------------------------------------------------------------------------------
export RELANCE_PWHASH_FAST=1
expect_status 0 relance user add ana-api --api
expect_status 0 relance token add ana-api --scopes "queues:read queues:write file:read"
ANA=$(cat out.txt)
expect_status 0 relance user add bob-api --api
expect_status 0 relance token add bob-api --scopes "queues:read queues:write"
BOB=$(cat out.txt)
expect_status 0 relance user add reader --api
expect_status 0 relance token add reader --scopes "queues:read"
READER=$(cat out.txt)
start_serve --now "$NOW" serve --listen 127.0.0.1:0 --cycle-every 0

call() {   # METHOD PATH TOKEN [BODY]: status.txt, body.txt
	curl -s -o body.txt -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
		-H 'Content-Type: application/json' --data-binary "${4:-}" "$URL$2" > status.txt
}
expect_http() {
	[ "$(cat status.txt)" = "$1" ] || { cat body.txt; fail "HTTP $(cat status.txt), expected $1"; }
}
call GET /api/v1/queues "$READER"
expect_http 200
expect_grep body.txt '{"name":"cobranca","open":2,"unassigned":2,'
expect_grep body.txt '{"name":"contact-fix","open":1,'
call GET "/api/v1/queues/cobranca/tasks" "$READER"
expect_http 200
expect_grep body.txt "\"tasks\":[{\"id\":$T1,"
call GET "/api/v1/queues/cobranca/tasks?limit=0" "$READER"
expect_http 400
call GET "/api/v1/queues/cobranca/tasks?mine=1&unassigned=1" "$READER"
expect_http 400
call POST "/api/v1/tasks/$T1/take" "$READER" '{}'
expect_http 403
call POST "/api/v1/tasks/$T1/take" "$ANA" '{"by":"mallory"}'
expect_http 400
expect_grep body.txt "unknown field 'by'"
call POST "/api/v1/tasks/$T1/take" "$ANA" ''
expect_http 200
expect_grep body.txt '"state":"held","taken_by":"ana-api"'
call POST "/api/v1/tasks/$T1/take" "$BOB" '{}'
expect_http 409
expect_grep body.txt "task $T1 is held by ana-api"
expect_grep body.txt '"status":409'
call POST "/api/v1/tasks/$T1/close" "$BOB" '{"outcome":"done"}'
expect_http 409
call GET "/api/v1/queues/cobranca/tasks?mine=1" "$ANA"
expect_grep body.txt "\"tasks\":[{\"id\":$T1,"
call GET "/api/v1/queues/cobranca/tasks?mine=1" "$BOB"
expect_grep body.txt '"tasks":[]'
# Bad closes: nothing stored.
entries=$(db_count file_entries)
call POST "/api/v1/tasks/$T1/close" "$ANA" '{"outcome":"maybe"}'
expect_http 400
call POST "/api/v1/tasks/$T1/close" "$ANA" '{"outcome":3}'
expect_http 400
expect_grep body.txt "'outcome' must be a string"
call POST "/api/v1/tasks/$T1/close" "$ANA" '{"note":"x"}'
expect_http 400
call POST "/api/v1/tasks/$T1/close" "$ANA" '{"outcome":"done",'
expect_http 400
call POST "/api/v1/tasks/99999/close" "$ANA" '{"outcome":"done"}'
expect_http 404
call POST "/api/v1/tasks/abc/close" "$ANA" '{"outcome":"done"}'
expect_http 404
[ "$(db_count file_entries)" = "$entries" ] || fail "a refused close wrote on the file"
call POST "/api/v1/tasks/$T1/close" "$ANA" '{"outcome":"no-answer","note":"<b>caixa postal</b>"}'
expect_http 200
expect_grep body.txt '"state":"closed"'
expect_grep body.txt '"closed_by":"ana-api"'
expect_grep body.txt '"file_seq":'
[ "$(db_count file_entries)" = $((entries + 1)) ] || fail "a close writes one file entry"
call GET /api/v1/accounts/A-BR-1/file "$ANA"
expect_grep body.txt '"kind":"task","author":"ana-api","body":"task '"$T1"' on queue cobranca closed: no-answer: <b>caixa postal</b>'
call POST "/api/v1/tasks/$T1/close" "$ANA" '{"outcome":"done"}'
expect_http 409
expect_grep body.txt "task $T1 was closed by ana-api"

# Two agents take one task at the same instant: one gets it, the other 409.
racers=""
for who in ANA BOB; do
	eval "tok=\$$who"
	curl -s -o "race-$who.txt" -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" \
		"$URL/api/v1/tasks/$T3/take" > "race-$who.status" &
	racers="$racers $!"
done
for pid in $racers; do wait "$pid"; done
statuses=$({ cat race-ANA.status; echo; cat race-BOB.status; echo; } | sort | tr '\n' ' ')
[ "$statuses" = "200 409 " ] || fail "two takes at once answered $statuses"

# A bad e-mail through the API: the author is the token's user.
call POST /api/v1/customers/C-BR-2/contacts/bad "$ANA" '{"kind":"fax"}'
expect_http 400
call POST /api/v1/customers/C-BR-2/contacts/bad "$ANA" '{"kind":"email","by":"mallory"}'
expect_http 400
call POST /api/v1/customers/C-NOBODY/contacts/bad "$ANA" '{"kind":"email"}'
expect_http 404
[ "$(db_count "contact_failures WHERE kind = 'email'")" = 0 ] || fail "a refused flag stored"
call POST /api/v1/customers/C-BR-2/contacts/bad "$ANA" '{"kind":"email","account":"A-BR-2","note":"bounces"}'
expect_http 201
expect_grep body.txt '"value":"carlos@example.com.br","flagged_by":"ana-api","queue":"contact-fix"'
call POST /api/v1/customers/C-BR-2/contacts/bad "$ANA" '{"kind":"email"}'
expect_http 400
expect_grep body.txt "flagged bad already"

# The actions pending for an account, with its case.
call GET /api/v1/accounts/A-BR-2/actions "$ANA"
expect_http 200
expect_grep body.txt '"account_id":"A-BR-2","case":{"stage":'
expect_grep body.txt '"channel":"queue","action":"enqueue"'
expect_grep body.txt '"rule":"contacts/bad"'
call GET /api/v1/accounts/A-NONE/actions "$ANA"
expect_http 404
call GET /api/v1/accounts/A-BR-2/actions "$BOB"
expect_http 403
kill -TERM "$SERVE"
wait "$SERVE"
