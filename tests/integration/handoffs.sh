# Hand-offs under the Brazilian example policy (docs/arrangements.md
# "Hand-off"): the credit bureau listing after the notice (collection goes
# on), the court at 180 days (the case is then held: no dunning of ours),
# recall, and the listing's removal within 5 business days of payment.
. "$TOP/tests/lib/integration.sh"

cat > customers.csv <<'CSV'
customer_id,name,locale,timezone,jurisdiction,phone,email,segment
C-BR-1,"Souza, Ana",pt-BR,America/Sao_Paulo,BR,+5511987654321,ana@example.com.br,residential
CSV
cat > accounts.csv <<'CSV'
account_id,customer_id,currency
A-BR-1,C-BR-1,BRL
CSV
cat > services.csv <<'CSV'
service_id,account_id,kind,identifier,adapter
S-BR-1,A-BR-1,fixed_internet,CPE-00A1B2,tr069
CSV
cat > invoices.csv <<'CSV'
invoice_id,account_id,issued_on,due_on,amount
I-BR-1,A-BR-1,2024-01-01,2024-01-10,1200.00
CSV
expect_status 0 relance init
for k in customers accounts services invoices; do
	expect_status 0 relance --now 2024-01-02T12:00:00Z import "$k" "$k.csv"
done
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"

run() {
	for d in "$@"; do
		expect_status 0 relance --now "${d}T15:00:00Z" run --record actions.jsonl
	done
}
recorded() { sed 's/.*"at":"\([^"]*\)".*"rule":"\([^"]*\)".*/\1 \2/' actions.jsonl; }

expect_status 2 relance --now 2024-04-15T16:00:00Z handoff recall A-BR-1 --by ana
expect_grep err.txt "is not held by any party"

# 96 days late, never noticed: the notice first. 16 days later the case
# reaches the credit bureau stage, passing over the suspension (which comes
# along) and renegotiation.
run 2024-04-15 2024-05-01
recorded > got.txt
expect_line got.txt "2024-04-15T15:00:00Z escada-isp/negociacao/action#2"
expect_line got.txt "2024-05-01T15:00:00Z escada-isp/suspensao/action#1"
expect_line got.txt "2024-05-01T15:00:00Z escada-isp/cadastro_credito/action#2"
grep '"action":"handoff"' actions.jsonl > handoff.txt
expect_grep handoff.txt '"target":"credit_bureau"'
expect_status 0 relance --now 2024-05-01T16:00:00Z account show A-BR-1
expect_grep out.txt "the case is held by credit_bureau"

# A listing holds nothing: at 180 days and 1,000.00 overdue, the court.
run 2024-07-09
recorded > got.txt
expect_line got.txt "2024-07-09T15:00:00Z escada-isp/judicial/action#1"
expect_status 0 relance --now 2024-07-09T16:00:00Z export positions
expect_grep out.txt ",judicial,0.00,HO-1 HO-2"

# Held by the court: nothing more of ours, even when a new invoice falls due.
cat > more.csv <<'CSV'
invoice_id,account_id,issued_on,due_on,amount
I-BR-2,A-BR-1,2024-07-01,2024-07-10,99.90
CSV
expect_status 0 relance --now 2024-07-09T17:00:00Z import invoices more.csv
# Payments keep arriving while the court holds the case: reported to it.
cat > partial.csv <<'CSV'
payment_id,account_id,received_at,amount,method
P-BR-0,A-BR-1,2024-07-15T13:00:00Z,100.00,pix
CSV
expect_status 0 relance --now 2024-07-15T14:00:00Z import payments partial.csv
n=$(wc -l < actions.jsonl)
run 2024-07-11 2024-07-15 2024-07-22
[ "$(wc -l < actions.jsonl)" = "$n" ] || { tail -3 actions.jsonl; fail "acted on a case held by the court"; }

# The parties' files: one pair per party, whole, with what each needs.
expect_status 2 relance handoff export
expect_status 2 relance handoff export --to /nonexistent/folder
mkdir -p parties
expect_status 0 relance --now 2024-07-22T16:00:00Z handoff export --to parties
expect_line out.txt "parties/handoff-court-2024-07-22.csv: 1 case"
expect_line out.txt "parties/handoff-credit_bureau-2024-07-22.csv: 1 case"
expect_line parties/handoff-court-2024-07-22.csv \
	"handoff_id,handed_off_at,customer_id,name,phone,email,locale,account_id,currency,balance,overdue,oldest_unpaid_due_on,days_past_due,paid_since_handoff,file_entries"
expect_grep parties/handoff-court-2024-07-22.csv \
	'HO-2,2024-07-09T15:00:00Z,C-BR-1,"Souza, Ana",+5511987654321,ana@example.com.br,pt-BR,A-BR-1,BRL,1199.90,1199.90,2024-01-10,194,100.00,'
node -e '
	const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	if (j.length !== 1 || j[0].handoff_id !== "HO-1" || j[0].party !== "credit_bureau" ||
	    j[0].customer.name !== "Souza, Ana" || j[0].ledger.length !== 3 || j[0].paid_since_handoff !== "100.00" ||
	    j[0].ledger[0].amount !== "1200.00" || j[0].file_latest.length !== 5)
		throw new Error("unexpected: " + JSON.stringify(j));
' parties/handoff-credit_bureau-2024-07-22.json || fail "the credit bureau's JSON file"
[ -z "$(ls parties | grep tmp)" ] || fail "a temporary file was left"

# Where the operations file sends them: the court's webhook, the bureau's
# folder. A party with cases and nowhere to go is refused first.
start_peer gateway node "$TOP/tests/peers/http-gateway.js" --out posted.jsonl
mkdir -p bureau
printf 'handoffs:\n  parties:\n    court: {webhook: "http://127.0.0.1:%s/cases", token: "${COURT_TOKEN}"}\n' \
	"$PEER_PORT" > court-only.conf
COURT_TOKEN=s3cr3t-court expect_status 2 relance --config court-only.conf \
	--now 2024-07-22T16:00:00Z handoff export
expect_grep err.txt "party credit_bureau holds cases but has no destination"
[ ! -s posted.jsonl ] || fail "something was posted before the refusal"
{ cat court-only.conf; printf '    credit_bureau: {folder: bureau}\n'; } > parties.conf
COURT_TOKEN=s3cr3t-court expect_status 0 relance --config parties.conf config check
expect_grep out.txt "court: webhook http://127.0.0.1:$PEER_PORT/cases, token (set), timeout 30s"
if grep -q s3cr3t-court out.txt; then fail "the token was printed"; fi
COURT_TOKEN=s3cr3t-court expect_status 0 relance --config parties.conf \
	--now 2024-07-22T16:00:00Z handoff export
expect_line out.txt "party court: 1 case posted to the webhook"
expect_line out.txt "bureau/handoff-credit_bureau-2024-07-22.csv: 1 case"
[ "$(wc -l < posted.jsonl)" = 1 ] || fail "expected one POST"
expect_grep posted.jsonl '"method":"POST"'
expect_grep posted.jsonl '"idempotency-key":"handoff-court-2024-07-22"'
expect_grep posted.jsonl '"authorization":"Bearer s3cr3t-court"'
expect_grep posted.jsonl 'HO-2'
if grep -q s3cr3t-court out.txt err.txt; then fail "the token was printed"; fi

# Recalled: ours again (the court's hand-off only; the listing stands).
expect_status 0 relance --now 2024-07-22T16:00:00Z handoff recall A-BR-1 --by ana --note "agreement"
expect_line out.txt "HO-2 recalled"
expect_status 2 relance --now 2024-07-22T16:00:00Z handoff recall A-BR-1 --by ana
expect_status 0 relance --now 2024-07-22T16:00:00Z export positions
expect_grep out.txt ",0.00,HO-1"

# Paid in full on Friday 26 July: the listing is to be removed within 5
# business days (by Friday 2 August), as an action with that deadline.
cat > pay.csv <<'CSV'
payment_id,account_id,received_at,amount,method
P-BR-1,A-BR-1,2024-07-26T13:00:00Z,1199.90,pix
CSV
expect_status 0 relance --now 2024-07-26T14:00:00Z import payments pay.csv
run 2024-07-26
grep '"rule":"arrangement/handoff/remove"' actions.jsonl > removal.txt
[ "$(wc -l < removal.txt)" = 1 ] || fail "expected one removal action"
expect_grep removal.txt '"action":"remove"'
expect_grep removal.txt '"target":"credit_bureau"'
expect_grep removal.txt '"text":"remove the listing by 2024-08-02"'
recorded > got.txt
expect_line got.txt "2024-07-26T15:00:00Z escada-isp/suspensao/action#1/restore"
run 2024-07-29
[ "$(grep -c 'arrangement/handoff/remove' actions.jsonl)" = 1 ] || fail "removal decided twice"
expect_status 0 relance --now 2024-07-29T16:00:00Z account show A-BR-1
expect_grep out.txt "HO-1 handoff removed"
expect_grep out.txt "paid; the listing with credit_bureau is to be removed by 2024-08-02"
# Paid: the payment reaches the party's next file.
expect_status 0 relance --now 2024-07-26T16:00:00Z handoff export --to parties --party court
expect_line out.txt "no live hand-off to court"
expect_status 0 relance verify

