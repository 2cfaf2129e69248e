# Bad input: every bad row reported as FILE:LINE, exit 2, nothing stored.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
for k in customers accounts services; do relance import "$k" "$k.csv" 2>>import.log; done

# Every problem of the file, each on its physical line (the quoted newline
# on line 3 makes the record after it start on line 5).
cat > bad_invoices.csv <<'CSV'
invoice_id,account_id,issued_on,due_on,amount
I-OK-1,A-FR-1,2024-06-01,2024-06-15,10.00
I-OK-2,A-FR-1,2024-06-01,2024-06-15,"10.0
0"
I-1,A-FR-1,2024-02-30,2024-03-15,10.00
I-2,A-NOPE,2024-06-01,2024-06-15,10.00
I-3,A-FR-1,2024-06-01,2024-06-15,10.001
I-4,A-BI-1,2024-06-01,2024-06-15,12500.5
I-5,A-FR-1,2024-06-01,2024-06-15,1e3
I-6,A-FR-1,2024-06-01,2024-06-15,"1,000.00"
I-7,A-FR-1,2024-06-01,2024-06-15,-5.00
,A-FR-1,2024-06-01,2024-06-15,1.00
I-OK-1,A-FR-1,2024-06-01,2024-06-15,10.00
I-8,A-FR-1,2024-06-15,2024-06-01,1.00
I-9,A-FR-1,2024-06-01,2024-06-15
I-10,A-FR-1,2024-06-01,2024-06-15,99999999999999999999
CSV
expect_status 2 relance import invoices bad_invoices.csv
expect_grep err.txt "bad_invoices.csv:3: amount '10.0"
expect_grep err.txt "bad_invoices.csv:5: issued_on '2024-02-30' is not a real date"
expect_grep err.txt "bad_invoices.csv:6: unknown account_id 'A-NOPE'"
expect_grep err.txt "bad_invoices.csv:7: amount '10.001' has more decimals than EUR allows (2)"
expect_grep err.txt "bad_invoices.csv:8: amount '12500.5' has more decimals than BIF allows (0)"
expect_grep err.txt "bad_invoices.csv:9: amount '1e3'"
expect_grep err.txt "bad_invoices.csv:10: amount '1,000.00'"
expect_grep err.txt "bad_invoices.csv:11: amount '-5.00' must be positive"
expect_grep err.txt "bad_invoices.csv:12: invoice_id is empty"
expect_grep err.txt "bad_invoices.csv:13: duplicate invoice_id 'I-OK-1' (already on line 2 of this file)"
expect_grep err.txt "bad_invoices.csv:14: due_on 2024-06-01 is before issued_on 2024-06-15"
expect_grep err.txt "bad_invoices.csv:15: 4 fields where the header has 5"
expect_grep err.txt "bad_invoices.csv:16: amount '99999999999999999999'"
expect_grep err.txt "bad_invoices.csv: 13 errors: nothing imported"
[ "$(db_count invoices)" = 0 ] || fail "a rejected file stored invoices"
[ "$(db_count positions)" = 0 ] || fail "a rejected file stored positions"

# A known ledger id with a different content is refused.
relance import invoices invoices.csv 2>>import.log
sed 's/^A-FR-1,I-FR-1,29.99/A-FR-1,I-FR-1,39.99/' invoices.csv > changed.csv
expect_status 2 relance import invoices changed.csv
expect_grep err.txt "changed.csv:6: invoice_id 'I-FR-1' is already in the ledger with a different amount: the ledger is append-only"

# An id repeated in one file is an error even when the row is already known.
{ cat invoices.csv; grep '^A-FR-1,I-FR-1,' invoices.csv; } > twice.csv
expect_status 2 relance import invoices twice.csv
expect_grep err.txt "twice.csv:10: duplicate invoice_id 'I-FR-1' (already on line 6 of this file)"

# Payments: references within the account, instants and dates.
cat > bad_payments.csv <<'CSV'
payment_id,account_id,received_at,amount,invoice_id
P-1,A-FR-1,2024-06-31,1.00,
P-2,A-FR-1,yesterday,1.00,
P-3,A-FR-1,2024-06-14T25:00:00Z,1.00,
P-4,A-FR-1,2024-06-14T10:00:00Z,1.00,I-NOPE
P-5,A-FR-1,2024-06-14T10:00:00Z,1.00,I-BR-1
P-6,A-FR-1,2024-06-14T10:00:00Z,0,
CSV
expect_status 2 relance import payments bad_payments.csv
expect_grep err.txt "bad_payments.csv:2: received_at '2024-06-31'"
expect_grep err.txt "bad_payments.csv:3: received_at 'yesterday'"
expect_grep err.txt "bad_payments.csv:4: received_at '2024-06-14T25:00:00Z'"
expect_grep err.txt "bad_payments.csv:5: unknown invoice_id 'I-NOPE'"
expect_grep err.txt "bad_payments.csv:6: invoice_id 'I-BR-1' belongs to another account than 'A-FR-1'"
expect_grep err.txt "bad_payments.csv:7: amount '0' must be positive"
[ "$(db_count payments)" = 0 ] || fail "a rejected file stored payments"

# Customers: zones, locales, phones, e-mails.
cat > bad_customers.csv <<'CSV'
customer_id,name,locale,timezone,jurisdiction,phone,email
C-X-1,X,fr-BI,Mars/Olympus,BI,,
C-X-2,X,not a locale,Europe/Paris,FR,,
C-X-3,X,fr-FR,Europe/Paris,FR,0612345678,
C-X-4,X,fr-FR,Europe/Paris,FR,,not-an-address
C-X-5,,fr-FR,Europe/Paris,FR,,
CSV
expect_status 2 relance import customers bad_customers.csv
expect_grep err.txt "bad_customers.csv:2: timezone 'Mars/Olympus' is not an IANA time zone"
expect_grep err.txt "bad_customers.csv:3: locale 'not a locale' is not a BCP 47 tag"
expect_grep err.txt "bad_customers.csv:4: phone '0612345678' is not E.164"
expect_grep err.txt "bad_customers.csv:5: email 'not-an-address' is not an e-mail address"
expect_grep err.txt "bad_customers.csv:6: name is empty"

# Accounts: unknown customer, unknown currency, a currency that may not change.
cat > bad_accounts.csv <<'CSV'
account_id,customer_id,currency
A-X-1,C-NOPE,EUR
A-X-2,C-FR-1,XYZ
A-FR-1,C-FR-1,USD
CSV
expect_status 2 relance import accounts bad_accounts.csv
expect_grep err.txt "bad_accounts.csv:2: unknown customer_id 'C-NOPE'"
expect_grep err.txt "bad_accounts.csv:3: currency 'XYZ' is not an ISO 4217 code"
expect_grep err.txt "bad_accounts.csv:4: account 'A-FR-1' exists with a different currency, which cannot change"

# Files that are wrong as a whole.
printf 'invoice_id,account_id,issued_on,amount\nI-1,A-FR-1,2024-06-01,1.00\n' > nodue.csv
expect_status 2 relance import invoices nodue.csv
expect_grep err.txt "nodue.csv:1: missing required column due_on"
: > empty.csv
expect_status 2 relance import invoices empty.csv
expect_grep err.txt "empty.csv: empty file"
printf 'invoice_id,account_id,issued_on,due_on,amount\nI-\377,A-FR-1,2024-06-01,2024-06-15,1.00\n' > latin1.csv
expect_status 2 relance import invoices latin1.csv
expect_grep err.txt "latin1.csv:2: not valid UTF-8"
printf 'invoice_id,account_id,issued_on,due_on,amount\n"I-1,A-FR-1,2024-06-01,2024-06-15,1.00\n' > open.csv
expect_status 2 relance import invoices open.csv
expect_grep err.txt "open.csv:2: quoted field not closed at end of file"
expect_status 2 relance import invoices missing.csv
expect_grep err.txt "missing.csv: No such file or directory"
expect_status 2 relance import widgets invoices.csv
expect_grep err.txt "unknown import kind 'widgets'"
[ "$(db_count invoices)" = 8 ] || fail "rejected files changed the ledger"

# Standard input, a BOM and CRLF line endings.
printf '\357\273\277credit_note_id,account_id,issued_on,amount,reason\r\nCN-2,A-UA-1,2024-06-01,50.00,meter error\r\n' |
	relance import credit-notes - 2>stdin.log || { cat stdin.log; fail "stdin import"; }
expect_grep stdin.log "stdin: 1 credit-notes rows: 1 new"
