# Situations 2 to 5 of SPEC.md end to end: cycles at chosen instants under
# each example policy, with every channel recorded, then the recorded lines
# read back. Instants are given in UTC; the comment beside each says the
# customer's local time, which is what the rules are about.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
import_fixtures

# Debtors beside the fixtures': one per situation, dated so that the rules
# meet a holiday, a weekend or the edge of a contact window.
cat > more_customers.csv <<'CSV'
customer_id,name,locale,timezone,jurisdiction,phone,email,segment
C-BR-2,João Silva,pt-BR,America/Sao_Paulo,BR,+5511912345678,joao@example.com.br,residential
C-UA-2,Петро Шевченко,uk-UA,Europe/Kyiv,UA,+380671112233,,residential
C-QC-2,Luc Gagnon,fr-CA,America/Toronto,QC,+15145550188,luc@example.ca,
CSV
cat > more_accounts.csv <<'CSV'
account_id,customer_id,currency
A-BR-2,C-BR-2,BRL
A-UA-2,C-UA-2,UAH
A-QC-2,C-QC-2,CAD
CSV
cat > more_services.csv <<'CSV'
service_id,account_id,kind,identifier,adapter
S-BR-2,A-BR-2,fixed_internet,CPE-00C3D4,tr069
S-QC-2,A-QC-2,mobile,15145550188,webhook
CSV
cat > more_invoices.csv <<'CSV'
invoice_id,account_id,issued_on,due_on,amount
I-BR-9,A-BR-2,2024-05-10,2024-05-25,99.90
I-UA-9,A-UA-2,2024-03-01,2024-03-20,90.00
I-QC-9,A-QC-2,2024-05-25,2024-06-11,85.00
CSV
for k in customers accounts services invoices; do
	expect_status 0 relance import "$k" "more_$k.csv"
done

# cycle INSTANT FILE: one cycle at INSTANT recorded into FILE; the lines it
# added are left in new.jsonl.
cycle() {
	touch "$2"
	before=$(wc -l < "$2")
	expect_status 0 relance --now "$1" run --record "$2"
	tail -n +"$((before + 1))" "$2" > new.jsonl
}

# count FILE ACCOUNT [TEXT]: lines of FILE for ACCOUNT (containing TEXT).
count() {
	grep -F "\"account_id\":\"$2\"" "$1" | grep -cF -- "${3:-}" || true
}

# expect_count N FILE ACCOUNT [TEXT]
expect_count() {
	got=$(count "$2" "$3" "${4:-}")
	[ "$got" = "$1" ] || { echo "--- $2"; cat "$2"; fail "$3 '${4:-}': $got lines in $2, expected $1"; }
}

# local_times FILE ACCOUNT ZONE CHANNEL: "weekday HHMM" (1 = Monday) in ZONE
# of every line of FILE for ACCOUNT on CHANNEL.
local_times() {
	grep -F "\"account_id\":\"$2\"" "$1" | grep -F "\"channel\":\"$4\"" |
		sed 's/^{"at":"\([^"]*\)".*/\1/' |
		while read -r at; do TZ=$3 date -d "$at" +'%u %H%M'; done
}

# ---- Situation 2: Brazil, the escalation ladder ---------------------------
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"
br=br.jsonl

# Mon 27 May 2024, 09:00 in São Paulo (UTC-3), 2 days late: the gentle
# reminder, by SMS and e-mail, with the exact amount.
cycle 2024-05-27T12:00:00Z $br
expect_count 2 new.jsonl A-BR-2
expect_count 1 new.jsonl A-BR-2 '"channel":"sms","action":"send"'
expect_count 1 new.jsonl A-BR-2 '"channel":"email","action":"send"'
expect_count 2 new.jsonl A-BR-2 '"rule":"escada-isp/lembrete/action#'
expect_count 2 new.jsonl A-BR-2 '99,90'

# Thu 30 May, 10:00: 5 days late, the call is due, but it is Corpus Christi,
# a national holiday: the agent queue gets the case, nobody is called.
cycle 2024-05-30T13:00:00Z $br
expect_count 0 new.jsonl A-BR-2 '"channel":"voice"'
expect_count 1 new.jsonl A-BR-2 '"channel":"queue","action":"enqueue"'
expect_status 0 relance --now 2024-05-30T13:00:00Z account show A-BR-2
expect_grep out.txt "waits: public holiday (Corpus Christi); next allowed moment 2024-05-31 08:00 America/Sao_Paulo"
# The file shows the stage and the call still to come, when and why.
expect_grep out.txt "Account    A-BR-2 (BRL), stage ligacao"
expect_line out.txt "  2024-05-31T11:00:00Z  voice call (escada-isp/ligacao/action#1, policy v1)"
expect_status 0 relance --now 2024-05-30T13:00:00Z account show A-BR-2 --json
expect_grep out.txt '"stage":"ligacao"'
expect_grep out.txt '"pending":[{"due_at":"2024-05-31T11:00:00Z","channel":"voice","action":"call","rule":"escada-isp/ligacao/action#1","policy_version":1,"state":"pending"}]'

# Fri 31 May, 07:59 local: still nothing; 08:00: the call.
cycle 2024-05-31T10:59:00Z $br
expect_count 0 new.jsonl A-BR-2
cycle 2024-05-31T11:00:00Z $br
expect_count 1 new.jsonl A-BR-2 '"at":"2024-05-31T11:00:00Z","channel":"voice","action":"call"'
expect_count 1 new.jsonl A-BR-2 '"rule":"escada-isp/ligacao/action#1","to":"+5511912345678"'
expect_status 0 relance --now 2024-05-31T11:00:00Z account show A-BR-2 --json
expect_grep out.txt '"pending":[]'

# Mon 3 June, 09:00: the second call, three days after the first.
cycle 2024-06-03T12:00:00Z $br
expect_count 1 new.jsonl A-BR-2 '"channel":"voice","action":"call"'

# Sat 8 June, 10:00: negotiation; the notice SMS waits for Monday 08:00,
# and the suspension delay runs from when it is sent.
cycle 2024-06-08T13:00:00Z $br
expect_count 0 new.jsonl A-BR-2 '"channel":"sms"'
expect_count 1 new.jsonl A-BR-2 '"channel":"queue","action":"enqueue","account_id":"A-BR-2","customer_id":"C-BR-2","policy_version":1,"rule":"escada-isp/negociacao/action#1"'
cycle 2024-06-10T10:59:00Z $br
expect_count 0 new.jsonl A-BR-2
cycle 2024-06-10T11:00:00Z $br
expect_count 1 new.jsonl A-BR-2 '"rule":"escada-isp/negociacao/action#2"'
expect_count 1 new.jsonl A-BR-2 'sem taxa'

# Mon 24 June, 09:00: 30 days late but only 14 days since the notice went
# out: no suspension. Tue 25 June, 08:00, 15 days after: the line throttled
# (a partial suspension) through the router platform, and the SMS saying it comes back free.
cycle 2024-06-24T12:00:00Z $br
expect_count 0 new.jsonl A-BR-2
cycle 2024-06-25T11:00:00Z $br
expect_count 1 new.jsonl A-BR-2 '"channel":"provisioning","action":"suspend"'
expect_count 1 new.jsonl A-BR-2 '"service_id":"S-BR-2","level":"throttle"'
expect_count 1 new.jsonl A-BR-2 'sem custo'

# Every call was inside Monday-Friday 08:00-20:00 São Paulo time, and
# nothing at all reached the customer at a weekend.
local_times $br A-BR-2 America/Sao_Paulo voice > t.txt
[ "$(wc -l < t.txt)" = 2 ] || fail "two calls expected"
while read -r d hm; do
	[ "$d" -le 5 ] && [ "$hm" -ge 0800 ] && [ "$hm" -lt 2000 ] || fail "call at $d $hm"
done < t.txt
for ch in sms email voice; do local_times $br A-BR-2 America/Sao_Paulo $ch; done |
	grep -E '^[67] ' && fail "a message at a weekend"

# Paid on Wed 26 June: restored at the next cycle, no fee on the line, and
# never contacted again.
printf 'payment_id,account_id,received_at,amount,method\nP-BR-9,A-BR-2,2024-06-26T14:00:00Z,99.90,pix\n' > pay.csv
expect_status 0 relance import payments pay.csv
cycle 2024-06-26T15:00:00Z $br
expect_count 1 new.jsonl A-BR-2 '"channel":"provisioning","action":"restore"'
expect_count 1 new.jsonl A-BR-2 '"service_id":"S-BR-2","level":"full"'
grep -F '"account_id":"A-BR-2"' new.jsonl | grep -iE 'fee|taxa' && fail "a fee on the restoration"
cycle 2024-07-10T15:00:00Z $br
expect_count 0 new.jsonl A-BR-2

# No voicemail and no reconnection fee are hard limits: a strategy that
# asks for either is refused.
sed 's/{do: voice, template: ligacao, every_days: 3, times: 3}/{do: voice, template: ligacao, voicemail: true}/' \
	"$TOP/examples/policies/brazil-isp.yaml" > voicemail.yaml
expect_status 2 relance policy check voicemail.yaml
expect_grep err.txt voicemail
sed 's/{do: suspend, level: throttle, services: \[fixed_internet\]}/{do: suspend, level: throttle, services: [fixed_internet], fees: [reconnection]}/' \
	"$TOP/examples/policies/brazil-isp.yaml" > fee.yaml
expect_status 2 relance policy check fee.yaml
expect_grep err.txt reconnection

# ---- Situation 4: Ukraine, the autodialer ---------------------------------
expect_status 0 relance policy load "$TOP/examples/policies/ukraine-water.yaml"
ua=ua.jsonl

# Tue 21 May 2024, 17:00 in Kyiv (UTC+3): A-UA-1 owes 700.50 UAH, 31 days
# late; outside the weekday window, so nothing yet. A-UA-2 owes 90 UAH:
# never anything.
cycle 2024-05-21T14:00:00Z $ua
[ -s new.jsonl ] && fail "a contact at 17:00 Kyiv time"
# 18:00: the call, with the balance, and the SMS: two interactions.
cycle 2024-05-21T15:00:00Z $ua
expect_count 1 new.jsonl A-UA-1 '"at":"2024-05-21T15:00:00Z","channel":"voice","action":"call"'
expect_count 2 new.jsonl A-UA-1 '"to":"+380501234567"'
expect_count 2 new.jsonl A-UA-1 '700,50'
# 20:00: nothing more that day.
cycle 2024-05-21T17:00:00Z $ua
expect_count 0 new.jsonl A-UA-1
# Wed 22 May, 18:00: the next call.
cycle 2024-05-22T15:00:00Z $ua
expect_count 1 new.jsonl A-UA-1 '"channel":"voice"'
# Sat 25 May, 08:00: before the weekend window; 09:00: the call.
cycle 2024-05-25T05:00:00Z $ua
expect_count 0 new.jsonl A-UA-1
cycle 2024-05-25T06:00:00Z $ua
expect_count 1 new.jsonl A-UA-1 '"at":"2024-05-25T06:00:00Z","channel":"voice"'
# Then a cycle every hour for four days (Sun 26 to Wed 29 May).
for d in 26 27 28 29; do
	for h in 00 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23; do
		expect_status 0 relance --now "2024-05-${d}T$h:00:00Z" run --record $ua
	done
done
expect_count 0 $ua A-UA-2
# One call a day (21, 22 and 25 to 29 May), every one inside weekdays 18:00-21:00 or weekends
# 09:00-20:00 Kyiv time, and at most two interactions a day.
expect_count 7 $ua A-UA-1 '"channel":"voice"'
local_times $ua A-UA-1 Europe/Kyiv voice > t.txt
while read -r d hm; do
	if [ "$d" -le 5 ]; then
		[ "$hm" -ge 1800 ] && [ "$hm" -lt 2100 ] || fail "weekday call at $hm"
	else
		[ "$hm" -ge 0900 ] && [ "$hm" -lt 2000 ] || fail "weekend call at $hm"
	fi
done < t.txt
grep -F '"account_id":"A-UA-1"' $ua | sed 's/^{"at":"\([^T]*\)T.*/\1/' | sort | uniq -c |
	awk '$1 > 2 { print; bad = 1 } END { exit bad }' || fail "more than two interactions a day"

# ---- Situation 5: Québec, the contact rules -------------------------------
expect_status 0 relance policy load "$TOP/examples/policies/quebec-telecom.yaml"
qc=qc.jsonl

# Sun 16 June 2024, 12:00 in Montréal/Toronto (UTC-4): 5 days late, the
# reminder is due, but not on a Sunday.
cycle 2024-06-16T16:00:00Z $qc
[ -s new.jsonl ] && fail "a contact on a Sunday"
# Mon 17 June, 07:30: too early; 08:00: the SMS.
cycle 2024-06-17T11:30:00Z $qc
expect_count 0 new.jsonl A-QC-2
cycle 2024-06-17T12:00:00Z $qc
expect_count 1 new.jsonl A-QC-2 '"at":"2024-06-17T12:00:00Z","channel":"sms","action":"send"'
expect_count 1 new.jsonl A-QC-2 '"rule":"telecom-qc/rappel/action#1","to":"+15145550188"'
expect_count 1 new.jsonl A-QC-2 'Bonjour Luc Gagnon, un solde de 85,00'
# Sat 29 June, 20:30: 18 days late, the call waits (Saturday ends at
# 20:00, Sunday is closed, Monday 1 July is Canada Day) until Tuesday 08:00.
cycle 2024-06-30T00:30:00Z $qc
expect_count 0 new.jsonl A-QC-2 '"channel":"voice"'
cycle 2024-06-30T16:00:00Z $qc
expect_count 0 new.jsonl A-QC-2
cycle 2024-07-01T16:00:00Z $qc
expect_count 0 new.jsonl A-QC-2
cycle 2024-07-02T12:00:00Z $qc
expect_count 1 new.jsonl A-QC-2 '"at":"2024-07-02T12:00:00Z","channel":"voice","action":"call"'
# The fixtures' A-QC-1 is in credit: never contacted.
expect_count 0 $qc A-QC-1

# ---- Situation 3: France, the courteous ladder ----------------------------
expect_status 0 relance policy load "$TOP/examples/policies/france-isp.yaml"
fr=fr.jsonl

# Tue 18 June 2024, 10:00 in Paris (UTC+2), 3 days late, 19.99 EUR owed:
# the e-mail first; one contact a day at most, so the SMS the next day.
cycle 2024-06-18T08:00:00Z $fr
expect_count 1 new.jsonl A-FR-1
expect_count 1 new.jsonl A-FR-1 '"channel":"email","action":"send"'
expect_count 1 new.jsonl A-FR-1 '"subject":"Votre facture du 15 juin 2024"'
expect_count 1 new.jsonl A-FR-1 'Bonjour Marie Dupont, sauf erreur de notre part, votre facture de 19,99'
expect_count 1 new.jsonl A-FR-1 'Si vous avez déjà payé, merci de ne pas tenir compte de ce message.'
cycle 2024-06-19T08:00:00Z $fr
expect_count 1 new.jsonl A-FR-1 '"channel":"sms","action":"send"'
expect_count 1 new.jsonl A-FR-1 'demandez un échéancier'
# Thu 27 June: 12 days late; the credit note of 20 June already counts
# (14.99 EUR): a notice in the customer area and the e-mail again.
cycle 2024-06-27T08:00:00Z $fr
expect_count 1 new.jsonl A-FR-1 '"channel":"portal","action":"notice"'
expect_count 1 new.jsonl A-FR-1 '"channel":"email"'
expect_count 2 new.jsonl A-FR-1 '14,99'
expect_count 1 new.jsonl A-FR-1 'demander une médiation'
# Courteous throughout: no threat, nothing on a Sunday.
grep -iE 'huissier|poursuite|tribunal|menace' $fr && fail "a threatening message"
for ch in sms email; do local_times $fr A-FR-1 Europe/Paris $ch; done |
	grep -E '^7 ' && fail "a message on a Sunday"

# Everything is on the customer files, and the files are intact.
expect_status 0 relance --now 2024-07-10T15:00:00Z account show A-BR-2
expect_grep out.txt "provisioning restore"
expect_grep out.txt "provisioning suspend"
expect_status 0 relance verify
