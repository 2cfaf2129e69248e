# The customer file (SPEC.md situation 5): what imports brought, notes by
# agents of different departments on one file, corrections that keep the
# original, and `relance verify` catching an entry altered or removed in the
# database.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
import_fixtures
# One entry per account and import that brought it ledger entries: 5
# invoices, 4 payments, 1 credit note files' worth; none for customers,
# accounts or services.
[ "$(db_count file_entries)" = 10 ] || fail "imports wrote $(db_count file_entries) entries, not 10"
expect_status 0 relance --now 2024-07-25T10:00:00Z account show A-QC-1
expect_grep out.txt "import by relance, account A-QC-1"
expect_grep out.txt "#1 "
expect_grep out.txt "invoices.csv: 1 new invoice, 85.00 CAD; balance 85.00 CAD"
expect_grep out.txt "#2 "
expect_grep out.txt "payments.csv: 1 new payment, 100.00 CAD; balance -15.00 CAD"
# The same file again brings nothing new: no entry.
expect_status 0 relance import invoices invoices.csv
[ "$(db_count file_entries)" = 10 ] || fail "a repeated import wrote on the files"

# Two departments, one file.
expect_status 0 relance --now 2024-07-02T14:05:00Z note add A-QC-1 \
	--author "Claire Roy (customer service)" --text "Asked to end her contract on 31 July."
expect_line out.txt "customer C-QC-1: entry 3 (note)"
printf 'Termination request received by phone.\nNo termination fee: request made before the renewal.\n' |
	relance --now 2024-07-03T09:30:00Z note add A-QC-1 --author "Marc Gagnon (contracts)" --text - >out.txt
expect_line out.txt "customer C-QC-1: entry 4 (note)"
# Another customer's file has its own numbers.
expect_status 0 relance --now 2024-07-03T10:00:00Z note add A-FR-1 --author=Ana --text="Rappel demandé"
expect_line out.txt "customer C-FR-1: entry 4 (note)"

# Refusals: nothing is written.
expect_status 2 relance note add A-QC-1 --author "" --text "x"
expect_grep err.txt "--author is empty"
expect_status 2 relance note add A-QC-1 --author "Claire" --text "   "
expect_grep err.txt "--text is empty"
expect_status 2 relance note add A-404 --author "Claire" --text "x"
expect_grep err.txt "no account A-404"
expect_status 2 relance note add A-QC-1 --text "x"
expect_status 2 relance note correct A-QC-1 7 --author "Claire" --text "x"
expect_grep err.txt "has no entry 7"
expect_status 2 relance note correct A-QC-1 one --author "Claire" --text "x"
[ "$(db_count file_entries)" = 13 ] || fail "a refused note was written"

# A correction is a new entry; the original stays.
expect_status 0 relance --now 2024-07-04T08:00:00Z note correct A-QC-1 3 \
	--author "Claire Roy (customer service)" --text "The end date is 31 August, not 31 July."
expect_line out.txt "customer C-QC-1: entry 5 (correction)"

expect_status 0 relance --now 2024-07-25T10:00:00Z account show A-QC-1
expect_grep out.txt "#3 2024-07-02T14:05:00Z note by Claire Roy (customer service), account A-QC-1"
expect_grep out.txt "Asked to end her contract on 31 July."
expect_grep out.txt "#4 2024-07-03T09:30:00Z note by Marc Gagnon (contracts), account A-QC-1"
expect_grep out.txt "     No termination fee: request made before the renewal."
expect_grep out.txt "#5 2024-07-04T08:00:00Z correction by Claire Roy (customer service)"
expect_grep out.txt "corrects entry 3: The end date is 31 August, not 31 July."
expect_status 0 relance --now 2024-07-25T10:00:00Z account show A-QC-1 --json
expect_grep out.txt '"file":[{"seq":1,"at":'
expect_grep out.txt '"kind":"import","author":"relance","account_id":"A-QC-1","body":"invoices.csv: 1 new invoice, 85.00 CAD; balance 85.00 CAD"}'
expect_grep out.txt '{"seq":3,"at":"2024-07-02T14:05:00Z","kind":"note","author":"Claire Roy (customer service)","account_id":"A-QC-1","body":"Asked to end her contract on 31 July."},'
expect_grep out.txt '{"seq":4,"at":"2024-07-03T09:30:00Z","kind":"note","author":"Marc Gagnon (contracts)","account_id":"A-QC-1","body":"Termination request received by phone.\nNo termination fee: request made before the renewal."}'
expect_grep out.txt '"kind":"correction"'
# Only this customer's file.
if grep -q "Rappel" out.txt; then fail "another customer's note shown"; fi

expect_status 0 relance verify
expect_line out.txt "5 customers, 14 entries: every chain intact"

# The file is append-only for relance's own connection too.
if db_exec "UPDATE file_entries SET body = 'x'" 2>/dev/null; then fail "an entry was updated"; fi

# Someone with database access rewrites the first note behind relance's back.
if [ "$RELANCE_TEST_ENGINE" = postgres ]; then
	db_exec "ALTER TABLE file_entries DISABLE TRIGGER ALL"
else
	db_exec "DROP TRIGGER file_entries_append_only_u; DROP TRIGGER file_entries_append_only_d"
fi
db_exec "UPDATE file_entries SET body = 'demande d''information seulement'
	WHERE seq = 3 AND customer_key = (SELECT customer_key FROM customers WHERE customer_id = 'C-QC-1')"
expect_status 1 relance verify
expect_line out.txt "customer C-QC-1: entry 3 altered"
expect_line out.txt "5 customers, 14 entries: 1 chain broken"
if grep -q "C-FR-1" out.txt; then fail "an intact chain was reported"; fi

# ... and removes the second one.
db_exec "DELETE FROM file_entries WHERE seq = 4
	AND customer_key = (SELECT customer_key FROM customers WHERE customer_id = 'C-QC-1')"
db_exec "UPDATE file_entries SET body = 'Asked to end her contract on 31 July.'
	WHERE seq = 3 AND customer_key = (SELECT customer_key FROM customers WHERE customer_id = 'C-QC-1')"
expect_status 1 relance verify
expect_line out.txt "customer C-QC-1: entry 4 missing"

# A note on the French file re-linked to hide a forged entry breaks the chain.
db_exec "UPDATE file_entries SET prev_hash = hash
	WHERE seq = 1 AND customer_key = (SELECT customer_key FROM customers WHERE customer_id = 'C-FR-1')"
expect_status 1 relance verify
expect_line out.txt "customer C-FR-1: entry 1 out of chain"
expect_line out.txt "customer C-QC-1: entry 4 missing"
expect_line out.txt "5 customers, 13 entries: 2 chains broken"
