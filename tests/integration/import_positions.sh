# Imports the five jurisdictions' files and checks positions at chosen instants.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
import_fixtures

# 25 July 2024 10:00Z: the Burundi deadline is past.
expect_status 0 relance --now 2024-07-25T10:00:00Z export positions
expect_line out.txt "account_id,balance,overdue,oldest_unpaid_due_on,days_past_due,currency,customer_id,stage,disputed,holds"
expect_line out.txt "A-BI-1,12500,12500,2024-07-24,1,BIF,C-BI-1,,0,"
expect_line out.txt "A-BR-1,129.90,129.90,2024-06-10,45,BRL,C-BR-1,,0.00,"
# 29.99 - 10.00 paid on it - 5.00 credit note on it
expect_line out.txt "A-FR-1,14.99,14.99,2024-06-15,40,EUR,C-FR-1,,0.00,"
expect_line out.txt "A-UA-1,700.50,700.50,2024-04-20,96,UAH,C-UA-1,,0.00,"
# paid 100.00 for 85.00: in credit
expect_line out.txt "A-QC-1,-15.00,0.00,,0,CAD,C-QC-1,,0.00,"

# Back-dated: on 24 July the Burundi invoice is not yet overdue.
expect_status 0 relance export positions --now 2024-07-24T21:00:00Z
expect_line out.txt "A-BI-1,12500,0,,0,BIF,C-BI-1,,0,"
# Before the Québec payment arrived.
expect_status 0 relance export positions --now 2024-07-19T12:00:00Z
expect_line out.txt "A-QC-1,85.00,85.00,2024-07-15,4,CAD,C-QC-1,,0.00,"

# RELANCE_NOW is the same as --now.
RELANCE_NOW=2024-07-25T10:00:00Z relance export positions --json >json.txt
expect_grep json.txt '{"account_id":"A-BI-1","balance":"12500","overdue":"12500","oldest_unpaid_due_on":"2024-07-24","days_past_due":1,'

# Importing everything again changes nothing.
import_fixtures
expect_grep import.log "invoices.csv: 8 invoices rows: 0 new, 8 unchanged"
expect_status 0 relance --now 2024-07-25T10:00:00Z export positions
expect_line out.txt "A-FR-1,14.99,14.99,2024-06-15,40,EUR,C-FR-1,,0.00,"
[ "$(db_count invoices)" = 8 ] || fail "invoices duplicated"

# A payment arriving later updates the kept position at once.
printf 'payment_id,account_id,received_at,amount\nP-BI-2,A-BI-1,2024-07-25T08:00:00Z,12500\n' > late.csv
expect_status 0 relance import payments late.csv
expect_status 0 relance --now 2024-07-25T10:00:00Z export positions
expect_line out.txt "A-BI-1,0,0,,0,BIF,C-BI-1,,0,"

# The customer file of one account.
expect_status 0 relance --now 2024-07-25T10:00:00Z account show A-FR-1
expect_grep out.txt "Marie Dupont"
expect_grep out.txt "balance 14.99, overdue 14.99 since 2024-06-15 (40 days past due)"
expect_grep out.txt "CN-FR-1"
expect_status 0 relance --now 2024-07-25T10:00:00Z account show A-FR-1 --json
expect_grep out.txt '"position":{"balance":"14.99","overdue":"14.99"'
expect_status 2 relance account show NOPE
expect_grep err.txt "no account NOPE"
