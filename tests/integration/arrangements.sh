# Arrangements acting on the engine, over weeks of daily cycles under the
# Brazilian and French example policies (docs/arrangements.md):
#   - a promise pauses the ladder, is broken on its date, is counted, and
#     the ladder resumes where it stood (the suspension comes at once);
#   - a plan over two accounts of one customer: exact instalments, refused
#     beyond an agent's authority, its down payment restores the service,
#     a missed instalment breaks it, and after a fresh notice and the 15
#     days of notice the suspension returns by itself;
#   - a dispute freezes only its amount, a late one reaches the supervisors'
#     queue, an upheld one issues a credit note through the ledger;
#   - refusals exit 2 and change nothing; two agents at once: one wins.
. "$TOP/tests/lib/integration.sh"

cat > customers.csv <<'CSV'
customer_id,name,locale,timezone,jurisdiction,phone,email,segment
C-BR-1,"Souza, Ana",pt-BR,America/Sao_Paulo,BR,+5511987654321,ana@example.com.br,residential
C-FR-1,Marie Dupont,fr-FR,Europe/Paris,FR,+33612345678,marie@example.fr,residential
CSV
cat > accounts.csv <<'CSV'
account_id,customer_id,currency
A-BR-1,C-BR-1,BRL
A-BR-2,C-BR-1,BRL
A-FR-1,C-FR-1,EUR
CSV
cat > services.csv <<'CSV'
service_id,account_id,kind,identifier,adapter
S-BR-1,A-BR-1,fixed_internet,CPE-00A1B2,tr069
S-FR-1,A-FR-1,fixed_internet,marie.dupont,radius
CSV
cat > invoices.csv <<'CSV'
invoice_id,account_id,issued_on,due_on,amount
I-BR-1,A-BR-1,2024-05-01,2024-05-10,129.90
I-BR-2,A-BR-1,2024-06-01,2024-06-10,129.90
I-BR-3,A-BR-2,2024-05-20,2024-06-01,50.00
I-FR-1,A-FR-1,2024-06-01,2024-06-15,29.99
I-FR-2,A-FR-1,2024-06-01,2024-06-15,40.00
CSV
expect_status 0 relance init
for k in customers accounts services invoices; do
	expect_status 0 relance --now 2024-06-03T12:00:00Z import "$k" "$k.csv"
done
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"

# run DAY...: a cycle at 12:00 in São Paulo (15:00Z) on each day.
run() {
	for d in "$@"; do
		expect_status 0 relance --now "${d}T15:00:00Z" run --record actions.jsonl
	done
}
# What was recorded for an account, one line per action: "at rule".
recorded() {
	grep "\"account_id\":\"$1\"" actions.jsonl |
		sed 's/.*"at":"\([^"]*\)".*"rule":"\([^"]*\)".*/\1 \2/'
}
arrangements() { db_count arrangements; }
case_state() {
	db_exec "SELECT c.state FROM cases c JOIN accounts a ON a.account_key = c.account_key
		 WHERE a.account_id = '$1'"
}

# Tue 11 June: 32 days late, no notice yet: the notice stage.
run 2024-06-11
recorded A-BR-1 > got.txt
expect_line got.txt "2024-06-11T15:00:00Z escada-isp/negociacao/action#2"

# ---- a promise -------------------------------------------------------------------
export RELANCE_NOW=2024-06-12T16:00:00Z
expect_status 2 relance promise add A-BR-1 --amount 500.00 --date 2024-06-20 --by ana
expect_grep err.txt "is more than the balance, 259.80 BRL"
expect_status 2 relance promise add A-BR-1 --amount 100.00 --date 2024-06-10 --by ana
expect_grep err.txt "is in the past"
expect_status 2 relance promise add A-BR-1 --amount 100.00 --date 2024-06-28 --by ana
expect_grep err.txt "the policy allows promises up to 15 days"
expect_status 2 relance promise add A-BR-1 --amount 0.001 --date 2024-06-20 --by ana
expect_status 2 relance promise add NOPE --amount 1.00 --date 2024-06-20 --by ana
expect_grep err.txt "no account NOPE"
[ "$(arrangements)" = 0 ] || fail "a refused promise was stored"
expect_status 0 relance promise add A-BR-1 --amount 259.80 --date 2024-06-27 --by ana --json
expect_grep out.txt '"kind":"promise","state":"open"'
expect_grep out.txt '"amount":"259.80","due_on":"2024-06-27"'
PROMISE=$(sed 's/.*"id":"\([^"]*\)".*/\1/' out.txt)
expect_status 2 relance promise add A-BR-1 --amount 10.00 --date 2024-06-20 --by bob
expect_grep err.txt "already has a live promise $PROMISE"

# Two agents record a promise on A-BR-2 at the same instant: one wins.
set +e
relance promise add A-BR-2 --amount 10.00 --date 2024-06-14 --by ana >race1.out 2>race1.err &
p1=$!
relance promise add A-BR-2 --amount 20.00 --date 2024-06-14 --by bob >race2.out 2>race2.err &
p2=$!
wait $p1; s1=$?
wait $p2; s2=$?
set -e
[ $((s1 + s2)) = 2 ] && [ $((s1 * s2)) = 0 ] || fail "two promises at once: exits $s1 and $s2"
cat race1.err race2.err > race.err
expect_grep race.err "already has a live promise"
[ "$(arrangements)" = 2 ] || fail "expected 2 arrangements, got $(arrangements)"
unset RELANCE_NOW

# While the promise is open the suspension due on 26 June (15 days after
# the notice) waits; broken on the 28th, the ladder resumes where it stood
# and the suspension comes at once.
run 2024-06-13 2024-06-14 2024-06-17 2024-06-20 2024-06-24 2024-06-26 2024-06-27
recorded A-BR-1 > got.txt
if grep -q suspensao got.txt; then cat got.txt; fail "suspended while a promise was open"; fi
run 2024-06-28
recorded A-BR-1 > got.txt
expect_line got.txt "2024-06-28T15:00:00Z escada-isp/suspensao/action#1"
expect_status 0 relance --now 2024-06-28T16:00:00Z account show A-BR-1
expect_grep out.txt "promise $PROMISE broken: 259.80 BRL promised by 2024-06-27 was not paid"
expect_grep out.txt "$PROMISE promise broken"
case_state A-BR-1 > state.txt
expect_grep state.txt '"broken_promises":1'
expect_status 0 relance --now 2024-06-28T16:00:00Z promise list A-BR-1 --all --json
expect_grep out.txt '"state":"broken"'

# ---- a payment plan over both accounts ------------------------------------------------
export RELANCE_NOW=2024-06-28T16:00:00Z
expect_status 2 relance plan propose A-BR-1,A-BR-2 --instalments 8 --every-days 10 \
	--down 40.00 --by ana
expect_grep err.txt "an agent may offer at most 6 instalments; a supervisor may propose it"
expect_status 2 relance plan propose A-BR-1,A-BR-2 --instalments 3 --every-days 10 --by ana
expect_grep err.txt "needs a down payment of at least 10 %"
expect_status 2 relance plan propose A-BR-1,A-BR-2 --instalments 3 --every-days 10 \
	--down 400.00 --by ana
expect_grep err.txt "the down payment must be less than the debt"
expect_status 2 relance plan propose A-BR-1,A-BR-2 --amounts 100.00,100.00 --every-days 10 \
	--down 31.00 --by ana
expect_grep err.txt "the instalments add up to 200.00 BRL, not to the debt less the down payment, 278.80 BRL"
expect_status 2 relance plan propose A-BR-1,A-BR-2 --amounts 100.00,178.80 --instalments 3 \
	--every-days 10 --down 31.00 --by ana
expect_grep err.txt "--amounts names 2 instalments, --instalments 3"
[ "$(arrangements)" = 2 ] || fail "a refused plan was stored"
# 309.80 overdue; 31.00 down by 3 July, then 278.80 in three: 92.93,
# 92.93 and 92.94 (the remainder on the last).
expect_status 0 relance plan propose A-BR-1,A-BR-2 --instalments 3 --every-days 10 \
	--down 31.00 --by ana
PLAN=$(head -1 out.txt | cut -d' ' -f1)
expect_line out.txt "$PLAN plan proposed (customer C-BR-1, accounts A-BR-1 A-BR-2)"
expect_line out.txt "  total 309.80 BRL"
expect_line out.txt "  down payment 31.00 BRL by 2024-07-03"
expect_line out.txt "  instalment 1: 92.93 BRL on 2024-07-08"
expect_line out.txt "  instalment 2: 92.93 BRL on 2024-07-18"
expect_line out.txt "  instalment 3: 92.94 BRL on 2024-07-28"
# Two agents accept it at once: one wins, the other is told.
set +e
relance plan accept "$PLAN" --by ana >acc1.out 2>acc1.err &
p1=$!
relance plan accept "$PLAN" --by bob >acc2.out 2>acc2.err &
p2=$!
wait $p1; s1=$?
wait $p2; s2=$?
set -e
[ $((s1 + s2)) = 2 ] && [ $((s1 * s2)) = 0 ] || fail "two accepts at once: exits $s1 and $s2"
expect_status 2 relance plan accept "$PLAN" --by ana
expect_grep err.txt "is current: only a proposed plan can be accepted"
expect_status 0 relance plan show "$PLAN" --json
expect_grep out.txt '"state":"current"'
unset RELANCE_NOW

# Still suspended while nothing is paid; the down payment restores the
# service at the next cycle, not at the end of the plan.
run 2024-07-01
recorded A-BR-1 > got.txt
if grep -q restore got.txt; then fail "restored before any payment"; fi
cat > pay.csv <<'CSV'
payment_id,account_id,received_at,amount,method
P-BR-1,A-BR-1,2024-07-01T16:00:00Z,31.00,pix
CSV
expect_status 0 relance --now 2024-07-01T16:05:00Z import payments pay.csv
expect_status 0 relance --now 2024-07-01T17:00:00Z run --record actions.jsonl
recorded A-BR-1 > got.txt
expect_line got.txt "2024-07-01T17:00:00Z escada-isp/suspensao/action#1/restore"
expect_status 0 relance --now 2024-07-01T17:00:00Z account show A-BR-1
expect_grep out.txt "plan $PLAN: first payment received; suspended services are restored"

# The first instalment (8 July, 5 days of grace) is not paid: broken on
# the 14th. Both accounts start again: the notice goes on Monday 15th
# (no calls or messages on Sundays), the suspension 15 days later.
run 2024-07-02 2024-07-05 2024-07-08 2024-07-12 2024-07-13
expect_status 0 relance plan show "$PLAN"
expect_grep out.txt "$PLAN plan current"
run 2024-07-14
expect_status 0 relance plan show "$PLAN"
expect_grep out.txt "$PLAN plan broken"
expect_status 0 relance --now 2024-07-14T16:00:00Z account show A-BR-2
expect_grep out.txt "plan $PLAN broken: 92.93 BRL due on 2024-07-08 not paid within 5 days of grace"
run 2024-07-15
recorded A-BR-1 > got.txt
expect_line got.txt "2024-07-15T15:00:00Z escada-isp/negociacao/action#2"

# ---- a dispute late on the supervisors' queue --------------------------------------------
expect_status 2 relance --now 2024-07-15T16:00:00Z dispute open A-BR-2 --amount 90.00 \
	--reason "charged twice" --by ana
expect_grep err.txt "is more than the balance"
expect_status 0 relance --now 2024-07-15T16:00:00Z dispute open A-BR-2 --amount 20.00 \
	--reason "charged twice" --by ana
DISPUTE_BR=$(head -1 out.txt | cut -d' ' -f1)
run 2024-07-16 2024-07-22 2024-07-25
recorded A-BR-2 > got.txt
if grep -q arrangement/dispute got.txt; then fail "a dispute was late before its answer date"; fi
run 2024-07-26
recorded A-BR-2 > got.txt
expect_line got.txt "2024-07-26T15:00:00Z arrangement/dispute/late"
grep '"rule":"arrangement/dispute/late"' actions.jsonl > late.txt
expect_grep late.txt '"target":"supervisors"'
run 2024-07-29
[ "$(grep -c '"rule":"arrangement/dispute/late"' actions.jsonl)" = 1 ] ||
	fail "a late dispute went on the queue more than once"
# Rejected: collectible again, and Brazil wants a notice before any
# suspension for it: the notice on record is forgotten.
case_state A-BR-2 > state.txt
expect_grep state.txt '"notice":'
expect_status 0 relance --now 2024-07-29T16:00:00Z dispute resolve "$DISPUTE_BR" --rejected \
	--by ana --json
expect_grep out.txt '"state":"rejected"'
case_state A-BR-2 > state.txt
if grep -q '"notice":' state.txt; then cat state.txt; fail "the notice survived a rejected dispute"; fi

# 15 days after the notice of the 15th: suspended again, by itself.
run 2024-07-30
recorded A-BR-1 > got.txt
expect_line got.txt "2024-07-30T15:00:00Z escada-isp/suspensao/action#1"
[ "$(grep -c 'suspensao/action#1$' got.txt)" = 2 ] || { cat got.txt; fail "expected two suspensions"; }

# A new plan on A-BR-2 alone, its penalties waived: 50.00 less 10.00
# waived, 5.00 down, 35.00 in two. Accepting it issues the credit note.
export RELANCE_NOW=2024-07-30T16:00:00Z
expect_status 2 relance plan propose A-BR-2 --instalments 2 --every-days 30 --down 5.00 \
	--waive 60.00 --by ana
expect_grep err.txt "is not less than the debt, 50.00 BRL"
expect_status 0 relance plan propose A-BR-2 --instalments 2 --day-of-month 31 --down 5.00 \
	--waive 10.00 --by ana
WAIVED=$(head -1 out.txt | cut -d' ' -f1)
expect_line out.txt "  total 40.00 BRL"
expect_line out.txt "  instalment 1: 17.50 BRL on 2024-07-31"
expect_line out.txt "  instalment 2: 17.50 BRL on 2024-08-31"
expect_status 0 relance plan accept "$WAIVED" --by ana
expect_status 0 relance export positions
expect_grep out.txt "A-BR-2,40.00,40.00,2024-06-01,"
expect_status 0 relance account show A-BR-2
expect_grep out.txt "$WAIVED-waiver"
expect_grep out.txt "10.00 BRL of penalties waived (credit note $WAIVED-waiver)"
unset RELANCE_NOW

# ---- France: a dispute freezes only its amount -------------------------------------------
expect_status 0 relance policy load "$TOP/examples/policies/france-isp.yaml"
export RELANCE_NOW=2024-06-16T08:00:00Z
expect_status 2 relance dispute open A-FR-1 --invoice I-FR-2 --amount 45.00 --reason x --by marc
expect_grep err.txt "is more than invoice I-FR-2, 40.00 EUR"
expect_status 2 relance dispute open A-FR-1 --invoice I-NONE --reason x --by marc
expect_grep err.txt "account A-FR-1 has no invoice I-NONE"
expect_status 0 relance dispute open A-FR-1 --invoice I-FR-2 --reason "never ordered" --by marc
DISPUTE=$(head -1 out.txt | cut -d' ' -f1)
unset RELANCE_NOW
expect_status 0 relance --now 2024-06-19T08:00:00Z export positions
expect_grep out.txt "A-FR-1,69.99,69.99,2024-06-15,4,EUR,C-FR-1,,40.00,$DISPUTE"
# The reminder speaks of the 29.99 still collectible, never of the 69.99.
expect_status 0 relance --now 2024-06-19T08:00:00Z run --record fr.jsonl
grep '"account_id":"A-FR-1"' fr.jsonl > fr.txt
expect_grep fr.txt "29,99"
if grep -q "69,99" fr.txt; then fail "the disputed amount was asked for"; fi
expect_status 0 relance --now 2024-06-20T08:00:00Z dispute review "$DISPUTE" --by marc
expect_status 2 relance --now 2024-06-20T08:00:00Z dispute resolve "$DISPUTE" --by marc
expect_status 0 relance --now 2024-06-20T08:00:00Z dispute resolve "$DISPUTE" --upheld --by marc
expect_status 2 relance --now 2024-06-20T08:00:00Z dispute resolve "$DISPUTE" --rejected --by marc
expect_grep err.txt "is already upheld"
expect_status 0 relance --now 2024-06-20T09:00:00Z export positions
expect_grep out.txt "A-FR-1,29.99,29.99,2024-06-15,5,EUR,C-FR-1,"
expect_status 0 relance --now 2024-06-20T09:00:00Z account show A-FR-1
expect_grep out.txt "$DISPUTE-credit"
expect_grep out.txt "dispute $DISPUTE upheld by marc: credit note $DISPUTE-credit of 40.00 EUR"

# ---- refusals that change nothing ------------------------------------------------------------
n=$(arrangements)
expect_status 2 relance handoff recall A-FR-1 --by marc
expect_grep err.txt "is not held by any party"
expect_status 2 relance plan accept PL-999 --by marc
expect_grep err.txt "no arrangement PL-999"
expect_status 2 relance plan accept "$DISPUTE" --by marc
expect_grep err.txt "is a dispute, not a plan"
# A proposal not accepted in time cannot be accepted.
expect_status 0 relance --now 2024-06-20T09:00:00Z plan propose A-FR-1 --instalments 2 \
	--day-of-month 5 --by marc
FR_PLAN=$(head -1 out.txt | cut -d' ' -f1)
expect_status 2 relance --now 2024-07-20T09:00:00Z plan accept "$FR_PLAN" --by marc
expect_grep err.txt "expired on 2024-07-05"
[ "$(arrangements)" = $((n + 1)) ] || fail "a refusal changed the arrangements"
# Every file still verifies.
expect_status 0 relance verify

# ---- a postponement: positions and days past due follow the new date -------------------------
export RELANCE_NOW=2024-06-21T09:00:00Z
expect_status 2 relance invoice postpone I-FR-1 --to 2024-06-18 --by marc --reason "salary late"
expect_grep err.txt "is in the past"
expect_status 2 relance invoice postpone I-NONE --to 2024-07-10 --by marc --reason x
expect_grep err.txt "no invoice I-NONE"
expect_status 0 relance invoice postpone I-FR-1 --to 2024-07-10 --by marc --reason "salary late"
expect_grep out.txt "invoice I-FR-1 due on 2024-07-10 (was 2024-06-15)"
POSTPONED=$(head -1 out.txt | cut -d' ' -f1)
expect_status 2 relance invoice postpone I-FR-1 --to 2024-07-01 --by marc --reason x
expect_grep err.txt "is not after the invoice's due date, 2024-07-10"
expect_status 0 relance export positions
expect_grep out.txt "A-FR-1,29.99,0.00,,0,EUR,C-FR-1,"
expect_grep out.txt "0.00,$FR_PLAN $POSTPONED"
expect_status 0 relance --now 2024-07-12T09:00:00Z export positions
expect_grep out.txt "A-FR-1,29.99,29.99,2024-07-10,2,EUR,C-FR-1,"
# The ledger is as imported; later imports keep the new date.
cat > fr_more.csv <<'CSV'
invoice_id,account_id,issued_on,due_on,amount
I-FR-3,A-FR-1,2024-07-01,2024-07-15,29.99
CSV
expect_status 0 relance import invoices fr_more.csv
expect_status 0 relance --now 2024-07-12T09:00:00Z export positions
expect_grep out.txt "A-FR-1,59.98,29.99,2024-07-10,2,EUR,C-FR-1,"
unset RELANCE_NOW
expect_status 0 relance verify
