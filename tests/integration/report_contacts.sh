# `relance report contacts`: payments attributed to the last message
# performed before them, within the window, once each. Two French debtors
# get the same e-mail, SMS and e-mail again under the French policy; the
# payments are then imported at chosen instants around those messages.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
import_fixtures

cat > more_customers.csv <<'CSV'
customer_id,name,locale,timezone,jurisdiction,phone,email,segment
C-FR-2,Paul Martin,fr-FR,Europe/Paris,FR,+33698765432,paul@example.fr,
CSV
cat > more_accounts.csv <<'CSV'
account_id,customer_id,currency
A-FR-2,C-FR-2,EUR
CSV
cat > more_invoices.csv <<'CSV'
invoice_id,account_id,issued_on,due_on,amount
I-FR-9,A-FR-2,2024-06-01,2024-06-15,50.00
CSV
for k in customers accounts invoices; do
	expect_status 0 relance import "$k" "more_$k.csv"
done
expect_status 0 relance policy load "$TOP/examples/policies/france-isp.yaml"

# Tue 18 June 2024, 10:00 in Paris: the reminder e-mail to both; Wed 19:
# the SMS; Thu 27: a notice in the customer area (not a message) and the
# e-mail again.
for at in 2024-06-18T08:00:00Z 2024-06-19T08:00:00Z 2024-06-27T08:00:00Z; do
	expect_status 0 relance --now "$at" run --record fr.jsonl
done

# The fixtures' P-FR-1 (14 June, 10.00) came before any message. A-FR-1
# pays 2.00 four hours after the first e-mail, then twice after the SMS
# (3.00 and 4.00: two payments, one message), then 1.00 exactly eight days
# after the second e-mail: outside the 7-day window, inside an 8-day one.
# A-FR-2 pays 6.00 after the first e-mail and 5.00 the day after the second.
cat > pay.csv <<'CSV'
payment_id,account_id,received_at,amount,method
P-FR-2,A-FR-1,2024-06-18T12:00:00Z,2.00,card
P-FR-3,A-FR-1,2024-06-20T09:00:00Z,3.00,card
P-FR-4,A-FR-1,2024-06-21T09:00:00Z,4.00,card
P-FR-5,A-FR-1,2024-07-05T08:00:00Z,1.00,card
P-FR-6,A-FR-2,2024-06-28T10:00:00Z,5.00,transfer
P-FR-7,A-FR-2,2024-06-18T15:00:00Z,6.00,transfer
CSV
expect_status 0 relance import payments pay.csv

# The other fixtures' payments since June (P-BI-1, 12500 BIF; P-QC-1,
# 100.00 CAD) went to accounts never messaged: not attributed, each in its
# own currency. P-BR-1 (9 May) is before --since and not counted at all.
expect_status 0 relance report contacts --since 2024-06-01
expect_line out.txt "Messages performed since 2024-06-01; a payment counts for the last message before it, within 7 days."
expect_line out.txt "channel  rule                         currency  messages  accounts  payments  amount    paid"
expect_line out.txt "email    echelle-fai/avis/action#2    EUR              2         2         1    5.00   50.0%"
expect_line out.txt "email    echelle-fai/rappel/action#1  EUR              2         2         2    8.00  100.0%"
expect_line out.txt "sms      echelle-fai/rappel/action#2  EUR              2         2         2    7.00   50.0%"
expect_line out.txt "total                                 EUR              6         2         5   20.00   66.7%"
expect_line out.txt "not attributed                        BIF                                  1   12500"
expect_line out.txt "not attributed                        CAD                                  1  100.00"
expect_line out.txt "not attributed                        EUR                                  2   11.00"
[ "$(wc -l < out.txt)" = 9 ] || { cat out.txt; fail "9 lines expected"; }
# The portal notice is no message: no line for it.
grep -q portal out.txt && fail "a portal notice counted as a message"

expect_status 0 relance report contacts --since 2024-06-01 --json
expect_line out.txt '{"since":"2024-06-01","days":7,"rules":[{"channel":"email","rule":"echelle-fai/avis/action#2","currency":"EUR","messages":2,"accounts":2,"messages_paid":1,"paid_per_mille":500,"payments":1,"amount":"5.00"},{"channel":"email","rule":"echelle-fai/rappel/action#1","currency":"EUR","messages":2,"accounts":2,"messages_paid":2,"paid_per_mille":1000,"payments":2,"amount":"8.00"},{"channel":"sms","rule":"echelle-fai/rappel/action#2","currency":"EUR","messages":2,"accounts":2,"messages_paid":1,"paid_per_mille":500,"payments":2,"amount":"7.00"}],"totals":[{"currency":"EUR","messages":6,"accounts":2,"messages_paid":4,"paid_per_mille":667,"payments":5,"amount":"20.00"}],"not_attributed":[{"currency":"BIF","accounts":1,"payments":1,"amount":"12500"},{"currency":"CAD","accounts":1,"payments":1,"amount":"100.00"},{"currency":"EUR","accounts":1,"payments":2,"amount":"11.00"}]}'

# Exactly eight days after the message is within an 8-day window, from
# --days or from the operations file; --days wins over the file.
expect_status 0 relance report contacts --since 2024-06-01 --days 8
expect_line out.txt "email    echelle-fai/avis/action#2    EUR              2         2         2    6.00  100.0%"
expect_line out.txt "total                                 EUR              6         2         6   21.00   83.3%"
expect_line out.txt "not attributed                        EUR                                  1   10.00"
printf 'contacts:\n  attribution_days: 8\n' > eight.conf
expect_status 0 relance --config eight.conf report contacts --since 2024-06-01 --json
expect_grep out.txt '"days":8,'
expect_grep out.txt '{"channel":"email","rule":"echelle-fai/avis/action#2","currency":"EUR","messages":2,"accounts":2,"messages_paid":2,"paid_per_mille":1000,"payments":2,"amount":"6.00"}'
expect_status 0 relance --config eight.conf report contacts --since 2024-06-01 --days 7 --json
expect_grep out.txt '"days":7,'
expect_grep out.txt '"payments":5,"amount":"20.00"}]'

# From 19 June: the first e-mail and the payments before that day are out.
expect_status 0 relance report contacts --since 2024-06-19
expect_line out.txt "total                                 EUR              4         2         3   12.00   50.0%"
expect_line out.txt "not attributed                        EUR                                  1    1.00"
grep -q rappel/action#1 out.txt && fail "a message before --since"

# Nothing yet.
expect_status 0 relance report contacts --since 2025-01-01
expect_line out.txt "No message performed since 2025-01-01."
expect_status 0 relance report contacts --since 2025-01-01 --json
expect_line out.txt '{"since":"2025-01-01","days":7,"rules":[],"totals":[],"not_attributed":[]}'

# Bad input is exit 2 with a message naming it.
expect_status 2 relance report contacts
expect_grep err.txt "--since DATE is required"
for bad in 2024-02-30 2024-6-1 yesterday ""; do
	expect_status 2 relance report contacts --since "$bad"
	expect_grep err.txt "is not a date (YYYY-MM-DD)"
done
for bad in 0 366 -3 7x ""; do
	expect_status 2 relance report contacts --since 2024-06-01 --days "$bad"
	expect_grep err.txt "is not a number of days from 1 to 365"
done
expect_status 2 relance report contacts --since
expect_grep err.txt "--since needs a value"
expect_status 2 relance report contacts --since 2024-06-01 --weeks 2
expect_grep err.txt "unknown argument '--weeks'"
