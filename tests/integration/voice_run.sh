# The voice channel in the cycle (docs/voice.md "In the cycle"): the
# Ukrainian autodialer (examples/policies/ukraine-water.yaml) over the
# fixtures, `relance run` with channels.voice pointing at sipp on 127.0.0.1
# as the trunk and callee, one sipp scenario (tests/peers/sipp/) per
# cycle: heard, hung up after 2 s, busy, and a number that does not exist,
# flagged after the operations file's two failures with its task. A
# customer who paid between the decision and the call is not called.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

. "$TOP/tests/lib/voice.sh"

write_fixtures
cat >> customers.csv <<'CSV'
C-UA-3,Іван Мельник,uk-UA,Europe/Kyiv,UA,+380631110003,,residential
C-UA-4,Марія Бондар,uk-UA,Europe/Kyiv,UA,+380994040404,,residential
C-UA-5,Олег Ткаченко,uk-UA,Europe/Kyiv,UA,+380675550005,,residential
CSV
printf 'A-UA-3,C-UA-3,UAH\nA-UA-4,C-UA-4,UAH\nA-UA-5,C-UA-5,UAH\n' >> accounts.csv
# A-UA-5 is 30 days late on Tue 28 May only.
printf 'A-UA-3,I-UA-31,400.00,2024-04-01,2024-04-20,\nA-UA-4,I-UA-41,250.00,2024-04-01,2024-04-20,\nA-UA-5,I-UA-51,180.00,2024-04-01,2024-04-28,\n' \
	>> invoices.csv
expect_status 0 relance init
import_fixtures
expect_status 0 relance policy load "$TOP/examples/policies/ukraine-water.yaml"

# Tue 21 May 2024, 17:00 in Kyiv: outside the window, the calls are decided
# for 18:00. Then C-UA-3 pays everything.
trunk answer
expect_status 0 relance --now 2024-05-21T14:00:00Z run
[ "$(invites answer)" = 0 ] || fail "a call at 17:00 Kyiv time"
[ "$(voice_rows A-UA-3 "AND o.state = 'pending'")" = 1 ] || fail "no call decided for A-UA-3"
printf 'payment_id,account_id,received_at,amount,method,invoice_id\nP-UA-3,A-UA-3,2024-05-21T14:30:00Z,400.00,bank,\n' \
	> paid.csv
expect_status 0 relance --now 2024-05-21T14:30:00Z import payments paid.csv

# 18:00: A-UA-1 and A-UA-4 are called and hear the message to the end;
# A-UA-3 is not called.
start=$(date +%s)
expect_status 0 relance --now 2024-05-21T15:00:00Z run
untrunk
[ "$(invites answer)" = 2 ] || fail "$(invites answer) calls, expected 2"
grep -q '^INVITE sip:+380631110003' answer.msgs && fail "the customer who paid was called"
grep -q '^INVITE sip:+380501234567' answer.msgs || fail "A-UA-1 was not called"
[ "$(file_has C-UA-1 'voice call to +380501234567 (%): heard (100%)')" = 1 ] ||
	fail "no 'heard' entry on C-UA-1's file"
[ "$(voice_rows A-UA-1 "AND o.state = 'done'")" = 1 ] || fail "A-UA-1's call is not done"
[ "$(file_has C-UA-3 '%voice call%not performed: the customer paid meanwhile%')" = 1 ] ||
	fail "C-UA-3's call not dropped as paid meanwhile"
[ "$(voice_rows A-UA-3 "AND o.state = 'dropped'")" = 1 ] || fail "A-UA-3's row is not dropped"
grep -q "$SIP_PASSWORD" out.txt err.txt && fail "the password was printed"
expect_grep out.txt "calls                 2: heard 2, hung up early 0"
echo "heard cycle: $(($(date +%s) - start)) s"

# Wed 22 May, 18:00: the callee hangs up after 2 s of the message: hung up
# early, deferred (ahead of the list next time), and the file says so.
trunk hangup
expect_status 0 relance --now 2024-05-22T15:00:00Z run
untrunk
[ "$(invites hangup)" -ge 1 ] || fail "no call on 22 May"
[ "$(file_has C-UA-1 'voice call to +380501234567 (%): hung up early after %% of the message: called again first at %')" = 1 ] ||
	fail "no 'hung up early' entry on C-UA-1's file"
[ "$(voice_rows A-UA-1 "AND o.state = 'pending' AND o.outcome LIKE 'hung up early%' AND o.due_at > $(date -d 2024-05-22T15:00:00Z +%s)")" = 1 ] ||
	fail "the early hang-up is not deferred"

# Thu 23 May, 18:00: busy, deferred by the policy's busy delay.
trunk busy
expect_status 0 relance --now 2024-05-23T15:00:00Z run
untrunk
[ "$(invites busy)" -ge 2 ] || fail "no calls on 23 May"
[ "$(file_has C-UA-1 'voice call to +380501234567 (%): busy (%): called again at %')" -ge 1 ] ||
	fail "no 'busy' entry on C-UA-1's file"
[ "$(voice_rows A-UA-1 "AND o.state = 'pending' AND o.outcome LIKE 'busy%'")" -ge 1 ] ||
	fail "the busy call is not deferred"

# A-UA-1 pays; A-UA-4's number does not exist (404): every call is a
# failure of the number, and at the second (bad_after_failures: 2) the
# number is flagged, with its task, and never called again. Two rows may
# be due on one day (a busy retry and the day's call).
printf 'payment_id,account_id,received_at,amount,method,invoice_id\nP-UA-1,A-UA-1,2024-05-23T16:00:00Z,700.50,bank,\n' \
	> paid1.csv
expect_status 0 relance --now 2024-05-23T16:00:00Z import payments paid1.csv
bad=0
for day in 24 25 26; do
	trunk notfound
	expect_status 0 relance --now 2024-05-${day}T15:00:00Z run
	untrunk
	grep -q '^INVITE sip:+380501234567' notfound.msgs && fail "A-UA-1 called after paying"
	calls=$(invites notfound)
	[ "$bad" -ge 2 ] && [ "$calls" != 0 ] && fail "a flagged number called again on $day May"
	bad=$((bad + calls))
	[ "$(file_has C-UA-4 'voice call to +380994040404 (%): bad number (%')" = "$bad" ] ||
		fail "$bad calls to the bad number, not as many entries"
	flagged=$(file_has C-UA-4 'phone +380994040404 flagged as bad after 2 permanent failures%')
	if [ "$bad" -ge 2 ]; then want=1; else want=0; fi
	[ "$flagged" = "$want" ] || fail "$flagged flag entries after $bad failures"
done
[ "$bad" -ge 2 ] || fail "the bad number was called only $bad times"
[ "$(db_count "outbox WHERE idempotency_key = 'contact-fix/C-UA-4/phone/+380994040404'")" = 1 ] ||
	fail "no contact-fix task"
[ "$(voice_rows A-UA-4 "AND o.state = 'failed'")" = "$bad" ] || fail "the bad number's calls are not failed"

# Tue 28 May, 18:00: A-UA-5 hears the message and the offer, and presses
# 1: a promise to pay within the policy's default days (7), by relance.
trunk dtmf_late -key dtmf_pcap /usr/share/sip-tester/dtmf_2833_1.pcap
expect_status 0 relance --now 2024-05-28T15:00:00Z run
untrunk
[ "$(invites dtmf_late)" = 1 ] || fail "$(invites dtmf_late) calls on 28 May, expected 1"
[ "$(file_has C-UA-5 'voice call to +380675550005 (%): heard (100%); key 1: promise % to pay % by 2024-06-04')" = 1 ] ||
	fail "no promise on the heard call's entry"
[ "$(file_has C-UA-5 'promise % by relance: promises % by 2024-06-04 (key 1 on a call)')" = 1 ] ||
	fail "no promise entry on C-UA-5's file"
expect_status 0 relance --now 2024-05-28T15:05:00Z promise list A-UA-5
expect_grep out.txt 2024-06-04

# With adapter record nothing changes: voice rows go to the recording file.
printf 'channels:\n  voice:\n    adapter: record\n' > relance.conf
expect_status 0 relance --now 2024-05-26T07:00:00Z run --record rec.jsonl
expect_status 0 relance verify
