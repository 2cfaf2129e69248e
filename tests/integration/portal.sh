# The customers' portal over HTTP (docs/portal.md): a customer asks for a
# one-time code, which the next cycle sends through the recording adapter;
# signs in with it; sees only their own accounts; asks for a plan (within
# plans.customer: accepted at once; beyond: refused with the reason), promises
# a date, reports a payment made. Wrong codes lock the name out (429), other
# customers' accounts are 404, malformed bodies are 400 and store nothing.
# Every account of the customer is listed, those with no entry on the file
# too; no answer names anyone on the staff; asking for a code takes as long
# for a portal user's name as for a name nobody has.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
# A second account of the Brazilian customer, for the plan.
printf 'A-BR-2,C-BR-1,BRL\n' >> accounts.csv
printf 'A-BR-2,I-BR-3,200.00,2024-06-01,2024-06-10,\n' >> invoices.csv
expect_status 0 relance init
import_fixtures
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"
expect_status 0 relance user add ana.souza --customer C-BR-1
expect_status 0 relance user add marie --customer C-FR-1
expect_status 0 relance user add olena --customer C-UA-1
expect_status 0 relance user add sophie --customer C-QC-1
# tests/integration/portal_browser.sh goes on from here in a browser.
[ "${PORTAL_STORY_ONLY:-}" = 1 ] && return 0
# More accounts of ana's customer, with no ledger entry and so no entry on her
# file; more than 64, which is no limit either.
{
	echo account_id,customer_id,currency
	i=1
	while [ $i -le 66 ]; do printf 'A-BR-X%02d,C-BR-1,BRL\n' $i; i=$((i + 1)); done
} > more-accounts.csv
expect_status 0 relance import accounts more-accounts.csv
[ "$(db_count "file_entries f JOIN accounts a ON a.account_key = f.account_key
	WHERE a.account_id LIKE 'A-BR-X%'")" = 0 ] || fail "the new accounts have file entries"
# Someone on the staff, who works on ana's accounts further down.
printf 'a long agent passphrase\n' | expect_status 0 relance user add rafael.lima --role agent \
	--password-stdin
expect_status 0 relance user add crm --api
expect_status 0 relance token add crm --scopes admin
ADMIN=$(cat out.txt)

start_serve --now 2024-07-25T15:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0 \
	--record rec.jsonl

# post PATH BODY [JAR]: POSTs BODY, keeps the answer in body.json, prints the status.
post() {
	if [ -n "${3:-}" ]; then
		curl -s -o body.json -D headers.txt -w '%{http_code}' -b "$3" \
			-H "X-CSRF-Token: $(cat "$3.csrf")" -H 'Content-Type: application/json' \
			--data-binary "$2" "$URL$1"
	else
		curl -s -o body.json -D headers.txt -w '%{http_code}' -c cookies.txt \
			-H 'Content-Type: application/json' --data-binary "$2" "$URL$1"
	fi
	{ cat body.json; echo; } >> answers.txt 2>/dev/null || :
}
get() {
	curl -s -o body.json -w '%{http_code}' -b "$2" "$URL$1"
	{ cat body.json; echo; } >> answers.txt 2>/dev/null || :
}
expect_http() {   # WANT GOT WHAT
	[ "$1" = "$2" ] || { cat body.json; echo; fail "$3: HTTP $2, expected $1"; }
}
# code_of USER: the code of the last "code" line to USER's contact in the record.
code_of() {
	grep '"action":"code"' rec.jsonl | grep -F "\"to\":\"$1\"" | tail -n 1 |
		sed -n 's/.*"text":"[^"]*[^0-9]\([0-9]\{6\}\)\..*/\1/p'
}
arrangements() { db_count arrangements; }

# ---- asking for a code: the same answer whoever asks ---------------------------------------
expect_http 202 "$(post /api/v1/portal/code '{"user":"ana.souza","channel":"sms"}')" "code for ana"
cp body.json known.json
expect_http 202 "$(post /api/v1/portal/code '{"user":"nobody","channel":"sms"}')" "code for nobody"
cmp -s known.json body.json || fail "the answer tells a known user from an unknown one"
# Olena has no e-mail address: nothing is sent, and the answer is the same.
expect_http 202 "$(post /api/v1/portal/code '{"user":"olena","channel":"email"}')" "olena by email"
cmp -s known.json body.json || fail "the answer tells a missing contact"
outbox_before=$(db_count outbox)
for bad in '{"user":"ana.souza","channel":"fax"}' '{"user":"ana.souza"}' '{"user":7,"channel":"sms"}' \
	'{"user":"ana.souza","channel":"sms","to":"+33600000000"}' '{"user":' '[]'; do
	expect_http 400 "$(post /api/v1/portal/code "$bad")" "code with $bad"
	expect_grep headers.txt "application/problem+json"
	expect_grep body.json '"detail"'
done
[ "$(db_count outbox)" = "$outbox_before" ] || fail "a malformed request queued something"
[ "$(db_count "outbox WHERE action = 'code'")" = 1 ] || fail "one code row expected in the outbox"

# The next cycle sends it at once, whatever the contact hours and the debt.
wait_for 20 grep -q '"action":"code"' rec.jsonl
CODE=$(code_of +5511987654321)
[ -n "$CODE" ] || { cat rec.jsonl; fail "no code in the record"; }
expect_grep rec.jsonl 'Seu código de acesso'
if grep -q "$CODE" serve.err; then fail "serve logged the code"; fi

# A customer who owes nothing still gets her code (a collection message
# would be dropped as "paid meanwhile"), and each in their own language.
expect_http 202 "$(post /api/v1/portal/code '{"user":"sophie","channel":"sms"}')" "code for sophie"
expect_http 202 "$(post /api/v1/portal/code '{"user":"olena","channel":"sms"}')" "code for olena"
wait_for 20 grep -q '"to":"+15145550123"' rec.jsonl
wait_for 20 grep -q '"to":"+380501234567"' rec.jsonl
expect_grep rec.jsonl '"text":"Ваш код для входу: '
[ -n "$(code_of +15145550123)" ] || fail "no code for sophie"
[ "$(db_count "outbox WHERE action = 'code' AND state = 'done'")" = 3 ] ||
	fail "the three codes are not all performed"
# Asking again at once sends nothing more (a phone is not flooded).
expect_http 202 "$(post /api/v1/portal/code '{"user":"sophie","channel":"sms"}')" "sophie again"
[ "$(db_count "outbox WHERE action = 'code'")" = 3 ] || fail "a second code within 30 seconds"

# ---- wrong codes: 401, then 429 with Retry-After --------------------------------------------
expect_http 202 "$(post /api/v1/portal/code '{"user":"marie","channel":"email"}')" "code for marie"
wait_for 20 grep -q '"to":"marie@example.fr"' rec.jsonl
MARIE=$(code_of marie@example.fr)
[ -n "$MARIE" ] || fail "no code for marie"
expect_grep rec.jsonl 'Votre code de connexion'
wrong=000000
[ "$MARIE" = 000000 ] && wrong=000001
for i in 1 2 3 4 5; do
	expect_http 401 "$(post /api/v1/portal/session "{\"user\":\"marie\",\"code\":\"$wrong\"}")" \
		"wrong code $i"
done
expect_http 429 "$(post /api/v1/portal/session "{\"user\":\"marie\",\"code\":\"$MARIE\"}")" \
	"the right code after 5 wrong ones"
grep -qi '^Retry-After: [0-9]' headers.txt || { cat headers.txt; fail "no Retry-After"; }
expect_http 400 "$(post /api/v1/portal/session '{"user":"ana.souza","code":"12ab56"}')" "a code of letters"
expect_http 400 "$(post /api/v1/portal/session '{"user":"ana.souza"}')" "no code"

# ---- signing in ----------------------------------------------------------------------------------
# The staff sign-in is no way in for a customer.
expect_http 401 "$(post /api/v1/session '{"user":"ana.souza","password":"a long enough password"}')" \
	"a customer at the staff sign-in"
expect_http 201 "$(post /api/v1/portal/session "{\"user\":\"ana.souza\",\"code\":\"$CODE\"}")" "ana signs in"
expect_grep body.json '"role":"customer"'
expect_grep body.json '"customer_id":"C-BR-1"'
sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p' body.json > ana.csrf
cp cookies.txt ana
# A code is used once.
expect_http 401 "$(post /api/v1/portal/session "{\"user\":\"ana.souza\",\"code\":\"$CODE\"}")" "the code again"

# ---- what ana sees: her accounts only, in her language --------------------------------------------
expect_http 200 "$(get /api/v1/portal/accounts ana)" "ana's accounts"
cp body.json accounts.json
expect_grep accounts.json '"locale":"pt-BR"'
expect_grep accounts.json '"account_id":"A-BR-1"'
expect_grep accounts.json '"account_id":"A-BR-2"'
expect_grep accounts.json '"balance":"129.90"'
expect_grep accounts.json '"balance":"200.00"'
expect_grep accounts.json '"plans":{"max_instalments":3,"min_down_payment_percent":10}'
for other in A-FR-1 C-FR-1 A-UA-1 Marie; do
	if grep -q "$other" accounts.json; then fail "ana sees $other"; fi
done
# Every account of hers, by id, those her file never names included.
grep -o '"account_id":"[^"]*"' accounts.json > listed.txt
[ "$(wc -l < listed.txt)" -eq 68 ] || { cat listed.txt; fail "68 accounts expected"; }
[ "$(sed -n '1p;2p;3p;68p' listed.txt | tr -d '\n')" = \
	'"account_id":"A-BR-1""account_id":"A-BR-2""account_id":"A-BR-X01""account_id":"A-BR-X66"' ] ||
	{ cat listed.txt; fail "the accounts are not in id order"; }
expect_grep accounts.json '{"account_id":"A-BR-X66","currency":"BRL","balance":"0.00","overdue":"0.00"'
# The stage in plain Portuguese, never a rule of the policy.
grep -Eq '"text":"(Pagamento em atraso|Lembretes enviados|Aviso formal enviado: o serviço pode ser suspenso|Serviço suspenso até o pagamento)"' \
	accounts.json || { cat accounts.json; fail "no stage in plain words"; }
expect_http 200 "$(get /api/v1/portal/accounts/A-BR-1/ledger ana)" "ana's ledger"
expect_grep body.json '"id":"I-BR-1"'
expect_grep body.json '"id":"P-BR-1"'
expect_grep body.json '"amount":"129.90"'
expect_grep body.json '"credit_notes":[]'
# Another customer's account is as unknown as one that does not exist.
expect_http 404 "$(get /api/v1/portal/accounts/A-FR-1/ledger ana)" "marie's ledger"
expect_http 404 "$(get /api/v1/portal/accounts/NOPE/ledger ana)" "no such account"
# Staff routes stay closed to a customer, and the portal to any token.
expect_http 403 "$(get /api/v1/accounts/A-BR-1/position ana)" "a staff route"
got=$(curl -s -o body.json -w '%{http_code}' -H "Authorization: Bearer $ADMIN" "$URL/api/v1/portal/accounts")
expect_http 403 "$got" "the portal with an admin token"
got=$(curl -s -o body.json -w '%{http_code}' "$URL/api/v1/portal/accounts")
expect_http 401 "$got" "the portal with no session"

# ---- asking for things ------------------------------------------------------------------------------
before=$(arrangements)
expect_http 404 "$(post /api/v1/portal/accounts/A-FR-1/promises '{"amount":"5.00","date":"2024-08-01"}' ana)" \
	"a promise on marie's account"
expect_http 404 "$(post /api/v1/portal/accounts/A-BR-1,A-FR-1/plans '{"instalments":"2","every_days":"30"}' ana)" \
	"a plan naming marie's account too"
# Without the CSRF token: refused.
got=$(curl -s -o body.json -w '%{http_code}' -b ana -H 'Content-Type: application/json' \
	--data-binary '{"amount":"50.00","date":"2024-08-01"}' "$URL/api/v1/portal/accounts/A-BR-1/promises")
expect_http 403 "$got" "a promise without the CSRF token"
for bad in '{"amount":50,"date":"2024-08-01"}' '{"amount":"50.00","date":"2024-08-01","by":"agent-x"}' \
	'{"amount":"50.001","date":"2024-08-01"}' '{"amount":"50.00","date":"2024-13-01"}' \
	'{"amount":"50.00","date":"2024-08-01","note":""}' 'nope'; do
	expect_http 400 "$(post /api/v1/portal/accounts/A-BR-1/promises "$bad" ana)" "promise $bad"
	expect_grep body.json '"detail"'
done
for bad in '{"instalments":"3","every_days":"30","role":"supervisor"}' '{"instalments":3,"every_days":"30"}' \
	'{"instalments":"3"}'; do
	expect_http 400 "$(post /api/v1/portal/accounts/A-BR-2/plans "$bad" ana)" "plan $bad"
done
for bad in '{"about":"other","text":"x"}' '{"about":"payment_made","amount":"10.00"}' \
	'{"about":"payment_made","text":"paid","amount":"-3"}' '{"about":"amount_wrong","text":"x"}'; do
	expect_http 400 "$(post /api/v1/portal/accounts/A-BR-1/disputes "$bad" ana)" "dispute $bad"
done
[ "$(arrangements)" = "$before" ] || fail "a refused request stored an arrangement"

# A plan beyond what a customer may have alone: refused, with the reason.
expect_http 400 "$(post /api/v1/portal/accounts/A-BR-2/plans '{"instalments":"4","every_days":"30","down":"20.00"}' ana)" \
	"4 instalments"
expect_grep body.json 'a customer alone may offer at most 3 instalments; an agent may propose it'
expect_http 400 "$(post /api/v1/portal/accounts/A-BR-2/plans '{"instalments":"3","every_days":"30"}' ana)" \
	"no down payment"
expect_grep body.json 'needs a down payment of at least 10 %'
[ "$(arrangements)" = "$before" ] || fail "a refused plan was stored"
# Within it: proposed and accepted at once.
expect_http 201 "$(post /api/v1/portal/accounts/A-BR-2/plans '{"instalments":"3","every_days":"30","down":"20.00","note":"salário dia 5"}' ana)" \
	"a plan within plans.customer"
expect_grep body.json '"kind":"plan"'
expect_grep body.json '"state":"current"'
expect_grep body.json '"created_by":"ana.souza"'
expect_grep body.json '"note":"salário dia 5"'
# What the command prints for the staff stays out: the version, the customer.
for staff in '"version":' '"customer_id":'; do
	if grep -qF -- "$staff" body.json; then cat body.json; fail "the plan's answer has $staff"; fi
done

expect_http 201 "$(post /api/v1/portal/accounts/A-BR-1/promises '{"amount":"50.00","date":"2024-08-01"}' ana)" "a promise"
expect_grep body.json '"state":"open"'
expect_http 201 "$(post /api/v1/portal/accounts/A-BR-1/disputes '{"about":"payment_made","text":"paguei por pix em 20/07","amount":"79.90"}' ana)" \
	"a payment reported"
expect_grep body.json '"kind":"dispute"'
[ "$(arrangements)" = $((before + 3)) ] || fail "three arrangements expected"

expect_http 200 "$(get /api/v1/portal/accounts ana)" "ana's accounts again"
expect_grep body.json '"text":"Parcelamento em andamento"'
expect_grep body.json '"text":"Contestação em análise"'
expect_status 0 relance account show A-BR-2
expect_grep out.txt "accepted by ana.souza"
expect_status 0 relance account show A-BR-1
expect_grep out.txt "the customer reports a payment already made: paguei por pix em 20/07"

# The staff's work on her accounts: she sees what it is and what it holds,
# never who on the staff did it nor what they wrote for each other; her own
# arrangements keep her name and her words.
expect_status 0 relance --now 2024-07-25T15:00:00Z dispute open A-BR-1 --invoice I-BR-2 \
	--reason "internal: called twice, ask for the manager" --by rafael.lima --json
staff_dispute=$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' out.txt)
[ -n "$staff_dispute" ] || { cat out.txt; fail "no id for the staff's dispute"; }
expect_status 0 relance --now 2024-07-25T15:00:00Z invoice postpone I-BR-1 --to 2024-08-20 \
	--by rafael.lima --reason "internal: goodwill, do not tell"
expect_http 200 "$(get /api/v1/portal/accounts ana)" "ana's accounts after the staff's work"
expect_grep body.json "\"id\":\"$staff_dispute\",\"kind\":\"dispute\",\"state\":\"open\""
expect_grep body.json '"holds":"the amount is frozen: no step acts on it"'
expect_grep body.json '"created_by":"ana.souza"'
expect_grep body.json '"reason":"the customer reports a payment already made: paguei por pix em 20/07"'
for staff in rafael.lima 'internal:' '"version":' '"party":'; do
	if grep -qF -- "$staff" body.json; then cat body.json; fail "ana sees $staff"; fi
done

# plans.customer in the policy: within the agent's authority, else refused
# where it is written; once loaded, what the portal offers follows it.
sed '/^    agent: {max_instalments: 6/a\
    customer: {max_instalments: 7, min_down_payment_percent: 10}' \
	"$TOP/examples/policies/brazil-isp.yaml" > too-generous.yaml
expect_status 2 relance policy check too-generous.yaml
expect_grep err.txt "too-generous.yaml:68:"
expect_grep err.txt "a customer may not ask for more instalments than an agent may offer (customer 7, agent 6)"
sed '/^    agent: {max_instalments: 6/a\
    customer: {max_instalments: 2, min_down_payment_percent: 50}' \
	"$TOP/examples/policies/brazil-isp.yaml" > strict.yaml
expect_status 0 relance policy load strict.yaml
expect_http 200 "$(get /api/v1/portal/accounts ana)" "ana's accounts under the stricter policy"
expect_grep body.json '"plans":{"max_instalments":2,"min_down_payment_percent":50}'

# No answer of the portal named anyone on the staff, nor a counter of theirs.
for staff in rafael.lima crm '"version":'; do
	if grep -qF -- "$staff" answers.txt; then fail "a portal answer has $staff"; fi
done

# Many code requests in turns, a portal user's name and names nobody has:
# every one answered alike (how long each takes is make bench's to show).
: > timing.cfg
i=1
while [ $i -le 150 ]; do
	for who in ana.souza "nobody-$i"; do
		[ -s timing.cfg ] && echo next >> timing.cfg
		printf 'url = "%s/api/v1/portal/code"\nheader = "Content-Type: application/json"\n' \
			"$URL" >> timing.cfg
		printf 'data-binary = "{\\"user\\":\\"%s\\",\\"channel\\":\\"sms\\"}"\n' "$who" >> timing.cfg
		printf 'output = "/dev/null"\nwrite-out = "%s %%{http_code} %%{size_download}\\n"\n' \
			"${who%%-*}" >> timing.cfg
	done
	i=$((i + 1))
done
curl -s -K timing.cfg > timing.txt
[ "$(grep -c ' 202 ' timing.txt)" = 300 ] || { cat timing.txt; fail "a code request was not 202"; }
[ "$(cut -d' ' -f2- timing.txt | sort -u | wc -l)" = 1 ] ||
	{ sort timing.txt | uniq -c; fail "code requests were answered differently"; }

# Signing out ends the session.
got=$(curl -s -o body.json -w '%{http_code}' -X DELETE -b ana -H "X-CSRF-Token: $(cat ana.csrf)" "$URL/api/v1/session")
expect_http 200 "$got" "sign out"
expect_http 401 "$(get /api/v1/portal/accounts ana)" "after signing out"
kill -TERM "$SERVE"
wait "$SERVE" || fail "serve exited $? after SIGTERM"
