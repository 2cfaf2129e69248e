# The managers' dashboard: `relance report dashboard` and the routes under
# /api/v1/reports/. Four Brazilian debtors under the example policy, all
# owing an invoice due Sat 25 May 2024, go through the ladder with cycles at
# chosen instants:
#   A-1  suspended on 25 June, pays 99.90 on 26 June 14:00Z, restored at the
#        15:00Z cycle: 1 h after the payment (the limit is 24 h);
#   A-2  suspended on 25 June, pays 99.90 the same day 12:00Z, restored at
#        the next cycle, 26 June 15:00Z: 27 h after, a breach;
#   A-3  promises 50.00 by 5 June and pays it on 1 June: kept;
#   A-4  promises 40.00 by 4 June and pays nothing: broken.
# The figures below are worked out from that story (comments beside them).
. "$TOP/tests/lib/integration.sh"

cat > customers.csv <<'CSV'
customer_id,name,locale,timezone,jurisdiction,phone,email,segment
C-1,João Silva,pt-BR,America/Sao_Paulo,BR,+5511912345671,joao@example.com.br,residential
C-2,Maria Souza,pt-BR,America/Sao_Paulo,BR,+5511912345672,maria@example.com.br,residential
C-3,Pedro Lima,pt-BR,America/Sao_Paulo,BR,+5511912345673,pedro@example.com.br,residential
C-4,Ana Costa,pt-BR,America/Sao_Paulo,BR,+5511912345674,ana@example.com.br,residential
CSV
cat > accounts.csv <<'CSV'
account_id,customer_id,currency
A-1,C-1,BRL
A-2,C-2,BRL
A-3,C-3,BRL
A-4,C-4,BRL
CSV
cat > services.csv <<'CSV'
service_id,account_id,kind,identifier,adapter
S-1,A-1,fixed_internet,CPE-0001,tr069
S-2,A-2,fixed_internet,CPE-0002,tr069
CSV
cat > invoices.csv <<'CSV'
invoice_id,account_id,issued_on,due_on,amount
I-1,A-1,2024-05-10,2024-05-25,99.90
I-2,A-2,2024-05-10,2024-05-25,99.90
I-3,A-3,2024-05-10,2024-05-25,50.00
I-4,A-4,2024-05-10,2024-05-25,50.00
CSV
expect_status 0 relance init
for k in customers accounts services invoices; do
	expect_status 0 relance import "$k" "$k.csv"
done
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"

cycle() { expect_status 0 relance --now "$1" run --record rec.jsonl; }

# Mon 27 May: the reminder SMS (action#1) and e-mail (action#2) to all four.
cycle 2024-05-27T12:00:00Z
expect_status 0 relance --now 2024-05-28T14:00:00Z promise add A-3 --amount 50.00 \
	--date 2024-06-05 --by ana
expect_status 0 relance --now 2024-05-28T14:00:00Z promise add A-4 --amount 40.00 \
	--date 2024-06-04 --by ana
# Fri 31 May and Mon 3 June: calls to A-1, A-2, A-4 (A-3 promised it all).
cycle 2024-05-31T11:00:00Z
printf 'payment_id,account_id,received_at,amount,method\nP-3,A-3,2024-06-01T13:00:00Z,50.00,pix\n' \
	> pay1.csv
expect_status 0 relance import payments pay1.csv
cycle 2024-06-03T12:00:00Z
cycle 2024-06-08T13:00:00Z
# Mon 10 June: the notice SMS; Tue 25 June: suspension of S-1 and S-2 and
# the SMS saying so (to A-4 too, who has no service to suspend).
cycle 2024-06-10T11:00:00Z
cycle 2024-06-25T11:00:00Z
printf 'payment_id,account_id,received_at,amount,method\nP-2,A-2,2024-06-25T12:00:00Z,99.90,pix\nP-1,A-1,2024-06-26T14:00:00Z,99.90,pix\n' \
	> pay2.csv
expect_status 0 relance import payments pay2.csv
cycle 2024-06-26T15:00:00Z
[ "$(grep -c '"action":"restore"' rec.jsonl)" = 2 ] || fail "two restorations expected"
# tests/integration/dashboard_browser.sh shows this story in a browser.
[ "${DASHBOARD_STORY_ONLY:-}" = 1 ] && return 0

# ---- the command -----------------------------------------------------------------------
expect_status 0 relance report dashboard --from 2024-05-20 --to 2024-06-30
cp out.txt text.txt
# Recovered: A-3's 50.00 came 5 days after the reminder e-mail (the last
# message, performed after the SMS of the same instant); A-2's and A-1's
# 99.90 after the suspension SMS of 25 June.
expect_line text.txt "  stage    lembrete                     BRL      1          50.00"
expect_line text.txt "  stage    suspensao                    BRL      2         199.80"
expect_line text.txt "  channel  email                        BRL      1          50.00"
expect_line text.txt "  channel  sms                          BRL      2         199.80"
expect_line text.txt "  total    -                            BRL      3         249.80"
# 6 calls (3 on 31 May, 3 on 3 June) that no payment followed within 7 days
# as the last message; 3 suspension SMS, 2 followed by a payment.
expect_line text.txt "  voice  escada-isp/ligacao/action#1          BRL      6 messages      0 paid   0.0%      0 payments           0.00"
expect_line text.txt "  sms    escada-isp/suspensao/action#2        BRL      3 messages      2 paid  66.7%      2 payments         199.80"
# Ageing at each Sunday from 20 May: everyone 1 to 30 days late (299.80),
# then without A-3 (249.80); on 30 June only A-4's 50.00, 36 days late.
expect_line text.txt "  2024-05-26 BRL         299.80           0.00           0.00           0.00"
expect_line text.txt "  2024-06-02 BRL         249.80           0.00           0.00           0.00"
expect_line text.txt "  2024-06-23 BRL         249.80           0.00           0.00           0.00"
expect_line text.txt "  2024-06-30 BRL           0.00          50.00           0.00           0.00"
expect_line text.txt "Promises kept 1, broken 1; plans completed 0, broken 0"
expect_line text.txt "  promise  broken     BRL      1          40.00"
expect_line text.txt "  promise  kept       BRL      1          50.00"
expect_line text.txt "Suspensions 2, restorations 2, restored later than the law allows 1"
expect_line text.txt "  restore  A-1          2024-06-26T15:00:00Z  60 min after payment (limit 24 h)"
expect_line text.txt "  restore  A-2          2024-06-26T15:00:00Z  1620 min after payment (limit 24 h) LATE"

expect_status 0 relance report dashboard --from 2024-05-20 --to 2024-06-30 --json
cp out.txt full.json
expect_grep full.json '"recovered":{"by_stage":[{"stage":"lembrete","currency":"BRL","payments":1,"amount":"50.00"},{"stage":"suspensao","currency":"BRL","payments":2,"amount":"199.80"}],"by_channel":[{"channel":"email","currency":"BRL","payments":1,"amount":"50.00"},{"channel":"sms","currency":"BRL","payments":2,"amount":"199.80"}],"not_attributed":[],"totals":[{"currency":"BRL","payments":3,"amount":"249.80"}]}'
expect_grep full.json '{"channel":"email","rule":"escada-isp/lembrete/action#2","currency":"BRL","messages":4,"messages_paid":1,"paid_per_mille":250,"payments":1,"amount":"50.00"}'
expect_grep full.json '{"date":"2024-06-30","currency":"BRL","amounts":["0.00","50.00","0.00","0.00"],"overdue":"50.00"}'
expect_grep full.json '"arrangements":{"promises_kept":1,"promises_broken":1,"plans_completed":0,"plans_broken":0,'
expect_grep full.json '{"action":"restore","account_id":"A-2","rule":"escada-isp/suspensao/action#1/restore","level":"full","done_at":"2024-06-26T15:00:00Z","paid_at":"2024-06-25T12:00:00Z","delay_seconds":97200,"limit_seconds":86400,"breach":true}'

# A shorter window and period: from 1 June, with a 3-day window, A-3's
# payment (5 days after the e-mail) is not attributed any more.
expect_status 0 relance report dashboard --from 2024-06-01 --to 2024-06-30 --days 3 --json
expect_grep out.txt '"not_attributed":[{"currency":"BRL","payments":1,"amount":"50.00"}]'
expect_grep out.txt '"by_stage":[{"stage":"suspensao","currency":"BRL","payments":2,"amount":"199.80"}]'
# Month ends: 31 May, then 30 June.
expect_status 0 relance report dashboard --from 2024-05-20 --to 2024-06-30 --every month --json
expect_grep out.txt '"points":[{"date":"2024-05-31","currency":"BRL","amounts":["299.80","0.00","0.00","0.00"],"overdue":"299.80"},{"date":"2024-06-30",'
# The default period: the 30 days ending on the date of --now.
expect_status 0 relance --now 2024-06-26T18:00:00Z report dashboard --json
expect_grep out.txt '{"from":"2024-05-28","to":"2024-06-26","days":7,"every":"week"'

expect_status 2 relance report dashboard --from 2024-02-30
expect_grep err.txt "--from '2024-02-30' is not a date (YYYY-MM-DD)"
expect_status 2 relance report dashboard --from 2024-07-01 --to 2024-06-01
expect_grep err.txt "the period ends before it starts"
expect_status 2 relance report dashboard --from 2020-01-01 --to 2024-06-01
expect_grep err.txt "at most 731"
expect_status 2 relance report dashboard --days 0
expect_grep err.txt "--days '0' is not a number of days from 1 to 365"
expect_status 2 relance report dashboard --every day
expect_grep err.txt "--every 'day' is neither week nor month"
expect_status 2 relance report dashboard --weeks 2
expect_grep err.txt "unknown argument '--weeks'"

# ---- the API ---------------------------------------------------------------------------
export RELANCE_PWHASH_FAST=1
printf 'a long manager passphrase\n' | "$RELANCE_BIN" user add max --role manager \
	--password-stdin >/dev/null 2>&1 || fail "user add max"
printf 'a long agent passphrase\n' | "$RELANCE_BIN" user add ana --role agent \
	--password-stdin >/dev/null 2>&1 || fail "user add ana"
start_serve --now 2024-06-30T12:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0
for who in max:manager ana:agent; do
	user=${who%%:*}
	code=$(curl -s -c "$user.jar" -o login.json -w '%{http_code}' \
		-H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"$user\",\"password\":\"a long ${who#*:} passphrase\"}" \
		"$URL/api/v1/session")
	[ "$code" = 201 ] || { cat login.json; fail "$user could not sign in: $code"; }
done
get() {   # JAR PATH: the status in status.txt, the body in body.txt, headers in headers.txt
	curl -s -b "$1" -D headers.txt -o body.txt -w '%{http_code}' "$URL$2" > status.txt
}
expect_http() {
	[ "$(cat status.txt)" = "$1" ] || { cat body.txt; fail "HTTP $(cat status.txt), expected $1"; }
}
P='from=2024-05-20&to=2024-06-30'
get max.jar "/api/v1/reports/recovered?$P"
expect_http 200
expect_grep body.txt '"by_stage":[{"stage":"lembrete","currency":"BRL","payments":1,"amount":"50.00"},{"stage":"suspensao","currency":"BRL","payments":2,"amount":"199.80"}]'
grep -q '"contacts"' body.txt && fail "/recovered answered another part"
get max.jar "/api/v1/reports/contacts?$P&days=7"
expect_http 200
expect_grep body.txt '{"channel":"sms","rule":"escada-isp/suspensao/action#2","currency":"BRL","messages":3,"messages_paid":2,"paid_per_mille":667,"payments":2,"amount":"199.80"}'
get max.jar "/api/v1/reports/ageing?$P&every=week"
expect_http 200
expect_grep body.txt '{"date":"2024-05-26","currency":"BRL","amounts":["299.80","0.00","0.00","0.00"],"overdue":"299.80"}'
get max.jar "/api/v1/reports/arrangements?$P"
expect_http 200
expect_grep body.txt '"rows":[{"kind":"promise","state":"broken","currency":"BRL","count":1,"amount":"40.00"},{"kind":"promise","state":"kept","currency":"BRL","count":1,"amount":"50.00"}]'
get max.jar "/api/v1/reports/restorations?$P"
expect_http 200
expect_grep body.txt '"suspensions":2,"restorations":2,"breaches":1,'
# The command and the API give the same figures: one computation.
get max.jar "/api/v1/reports/recovered?$P&days=7"
for part in recovered contacts ageing arrangements restorations; do
	get max.jar "/api/v1/reports/$part?$P&days=7"
	[ "$(jq -cS ".$part" body.txt)" = "$(jq -cS ".$part" full.json)" ] &&
		[ "$(jq -c ".$part" full.json)" != null ] ||
		fail "the command and the API differ on $part"
done

# CSV downloads: one table each, quoted as RFC 4180.
get max.jar "/api/v1/reports/recovered?$P&format=csv"
expect_http 200
expect_grep headers.txt "Content-Type: text/csv"
tr -d '\r' < body.txt > csv.txt
expect_line csv.txt "by,name,currency,payments,amount"
expect_line csv.txt "stage,suspensao,BRL,2,199.80"
expect_line csv.txt "channel,email,BRL,1,50.00"
expect_line csv.txt "total,,BRL,3,249.80"
get max.jar "/api/v1/reports/ageing?$P&format=csv"
tr -d '\r' < body.txt > csv.txt
expect_line csv.txt "date,currency,days_0_30,days_31_60,days_61_90,days_91_plus,overdue"
expect_line csv.txt "2024-06-30,BRL,0.00,50.00,0.00,0.00,50.00"
[ "$(wc -l < csv.txt)" = 7 ] || { cat csv.txt; fail "a header and 6 weeks expected"; }
get max.jar "/api/v1/reports/restorations?$P&format=csv"
tr -d '\r' < body.txt > csv.txt
expect_line csv.txt "restore,A-2,escada-isp/suspensao/action#1/restore,full,2024-06-26T15:00:00Z,2024-06-25T12:00:00Z,97200,86400,yes"
expect_line csv.txt "restore,A-1,escada-isp/suspensao/action#1/restore,full,2024-06-26T15:00:00Z,2024-06-26T14:00:00Z,3600,86400,no"
get max.jar "/api/v1/reports/contacts?$P&format=csv"
tr -d '\r' < body.txt > csv.txt
expect_line csv.txt "email,escada-isp/lembrete/action#2,BRL,4,1,250,1,50.00"
get max.jar "/api/v1/reports/arrangements?$P&format=csv"
tr -d '\r' < body.txt > csv.txt
expect_line csv.txt "promise,kept,BRL,1,50.00"

# Defaults: the 30 days ending on the server's date.
get max.jar "/api/v1/reports/ageing"
expect_http 200
expect_grep body.txt '{"from":"2024-06-01","to":"2024-06-30","days":7,"every":"week"'

# Bad parameters: 400 naming the parameter and why.
for q in "from=2024-02-30:from '2024-02-30' is not a date" "to=June:to 'June' is not a date" \
	"from=2024-07-01&to=2024-06-01:the period ends before it starts" \
	"days=400:days '400' is not a number of days" "every=year:every 'year' is neither" \
	"format=xml:format 'xml' is neither json nor csv"; do
	get max.jar "/api/v1/reports/recovered?${q%%:*}"
	expect_http 400
	expect_grep headers.txt "application/problem+json"
	expect_grep body.txt "${q#*:}"
done
# An agent may not read reports; nobody without a session or token.
get ana.jar "/api/v1/reports/recovered?$P"
expect_http 403
get /dev/null "/api/v1/reports/restorations?$P"
expect_http 401
kill -TERM "$SERVE"
wait "$SERVE"
