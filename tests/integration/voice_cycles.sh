# The voice channel across cycles (docs/voice.md "In the cycle", "Report"),
# `relance run` against sipp on 127.0.0.1 with one call at a time
# (max_calls: 1), so that the order sipp receives the calls in is the
# order of the call list:
#   - a debtor who hangs up early is called FIRST in the next cycle, even
#     though the reminder was decided again (the newer row takes over the
#     older one, which is dropped as superseded: one call, not two);
#   - unanswered calls count across cycles: voice.max_unanswered ends the
#     reminder in the second cycle;
#   - identity before disclosure (confirm_identity): whoever answers
#     without pressing 1 hears only the neutral question (counted in RTP
#     packets against the prompts' lengths), and nothing of the debt is
#     said; pressing 1 plays the message;
#   - `relance report calls` over all of it, pinned by hand.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"
. "$TOP/tests/lib/voice.sh"

VOICE_CONF_EXTRA="    max_calls: 1"

# Weekday evenings in Kyiv, every day a call until paid; two unanswered
# calls end a reminder, retried an hour later.
policy() {
	cat > ua-calls.yaml <<YAML
name: ua-calls
jurisdictions:
  UA:
    timezone: Europe/Kyiv
    currency: UAH
    locales: [uk-UA]
    contact_windows:
      mon: ["18:00-21:00"]
      tue: ["18:00-21:00"]
      wed: ["18:00-21:00"]
      thu: ["18:00-21:00"]
      fri: ["18:00-21:00"]
    caps:
      - {channel: any, max: 3, days: 1}
    voicemail: false
$1
templates:
  dzvinok:
    channel: voice
    text:
      uk-UA: >-
        Добрий вечір, {name}. Це водоканал. За вашим рахунком {account} є
        заборгованість {amount}. Будь ласка, сплатіть її.
voice:
  retry_no_answer_minutes: 60
  max_unanswered: 2
strategies:
  - name: dzvinky
    jurisdictions: [UA]
    currency: UAH
    stages:
      - name: dzvinky
        when: {days_past_due: {min: 30}}
        actions:
          - {do: voice, template: dzvinok, every_days: 1, times: 30}
YAML
	expect_status 0 relance policy load ua-calls.yaml
}

voice_debtors
policy ""

# Tue 21 May, 18:00 Kyiv: three calls in the order decided; the last one,
# +380994040404, hangs up after two seconds.
trunk hangup_one
expect_status 0 relance --now 2024-05-21T15:00:00Z run
untrunk
[ "$(called hangup_one)" = "+380501234567 +380631110003 +380994040404" ] ||
	fail "21 May: calls in the order '$(called hangup_one)'"
[ "$(file_has C-UA-4 'voice call to +380994040404 (%): hung up early after %% of the message: called again first at %')" = 1 ] ||
	fail "no early hang-up on C-UA-4's file"

# Wed 22 May: the reminder is decided again for all three; the debtor who
# hung up early is called first, once.
trunk answer
expect_status 0 relance --now 2024-05-22T15:00:00Z run
untrunk
[ "$(called answer)" = "+380994040404 +380501234567 +380631110003" ] ||
	fail "22 May: calls in the order '$(called answer)', the early hang-up not first"
[ "$(file_has C-UA-4 'voice call to +380994040404 (%): not performed: superseded by the call of the same reminder decided at 2024-05-22T15:00:00Z')" = 1 ] ||
	fail "the older row of the reminder is not dropped as superseded"
[ "$(file_has C-UA-4 'voice call to +380994040404 (%): heard (100%)')" = 1 ] ||
	fail "C-UA-4 did not hear the message on 22 May"
printf 'payment_id,account_id,received_at,amount,method,invoice_id\nP-UA-4,A-UA-4,2024-05-23T10:00:00Z,250.00,bank,\n' \
	> paid.csv
expect_status 0 relance --now 2024-05-23T10:00:00Z import payments paid.csv

# Thu 23 May: nobody answers; an hour later nobody again: the second
# unanswered call of each reminder is the policy's last (max_unanswered 2).
trunk noanswer
expect_status 0 relance --now 2024-05-23T15:00:00Z run
untrunk
[ "$(invites noanswer)" = 2 ] || fail "23 May 18:00: $(invites noanswer) calls, expected 2"
[ "$(voice_rows A-UA-3 "AND o.state = 'pending' AND o.outcome LIKE 'no answer%'")" = 1 ] ||
	fail "the unanswered call is not deferred"
trunk noanswer
expect_status 0 relance --now 2024-05-23T16:05:00Z run
untrunk
[ "$(invites noanswer)" = 2 ] || fail "23 May 19:05: $(invites noanswer) calls, expected 2"
[ "$(file_has C-UA-3 'voice call to +380631110003 (%): no answer (%): %2 calls not answered%')" = 1 ] ||
	fail "the reminder is not given up after two unanswered calls in two cycles"
[ "$(voice_rows A-UA-3 "AND o.state = 'failed' AND o.outcome LIKE 'no answer%'")" = 1 ] ||
	fail "the given-up row is not failed"

# Fri 24 May: the jurisdiction now asks who answers first. Nobody presses
# 1: only the neutral question is played, never the message.
policy "    confirm_identity: true"
expect_status 0 relance voice prompt --locale uk-UA --cache "$RELANCE_TEST_WORK/prompts" \
	--text "Якщо ви отримувач цього дзвінка, натисніть 1."
question_ms=$(sed -n 's/^duration_ms: //p' out.txt)
[ -n "$question_ms" ] || { cat out.txt; fail "no duration for the question"; }
before=$(rtp_count)
trunk answer
expect_status 0 relance --now 2024-05-24T15:00:00Z run
untrunk
[ "$(invites answer)" = 2 ] || fail "24 May 18:00: $(invites answer) calls, expected 2"
packets=$(($(rtp_count) - before))
# Two calls, each the question and nothing else: 20 ms a packet, a
# packet of slack per call for the last partial one.
[ "$packets" -gt 0 ] && [ "$packets" -le $((2 * (question_ms / 20 + 2))) ] ||
	fail "$packets RTP packets for two questions of $question_ms ms"
[ "$(file_has C-UA-1 'voice call to +380501234567 (%): not confirmed (%)%')" = 1 ] ||
	fail "no 'not confirmed' entry on C-UA-1's file"
[ "$(db_count "voice_calls WHERE outcome = 'not_confirmed' AND share = 0")" = 2 ] ||
	fail "the unconfirmed calls played some of the message"

# An hour later both press 1 at once: the message follows the question.
trunk dtmf -key dtmf_pcap /usr/share/sip-tester/dtmf_2833_1.pcap
expect_status 0 relance --now 2024-05-24T16:05:00Z run
untrunk
[ "$(invites dtmf)" = 2 ] || fail "24 May 19:05: $(invites dtmf) calls, expected 2"
[ "$(file_has C-UA-1 'voice call to +380501234567 (%): heard (100%)')" = 3 ] ||
	fail "the confirmed call is not heard"

# The report, by hand: 21 May three calls, one early hang-up put back and
# heard the next day; 22 May three heard, one paid within 7 days (P-UA-4);
# 23 May four unanswered; 24 May two not confirmed, then two heard.
expect_status 0 relance report calls --since 2024-05-21 --days 7 --json
node -e '
const r = JSON.parse(require("fs").readFileSync("out.txt", "utf8"));
const want = {
  "2024-05-21": { calls: 3, heard: 2, hung_up_early: 1, heard_per_mille: 667,
                  requeued: 1, requeued_heard: 1, heard_paid: 0, payments: [] },
  "2024-05-22": { calls: 3, heard: 3, hung_up_early: 0, heard_per_mille: 1000,
                  requeued: 0, requeued_heard: 0, heard_paid: 1,
                  payments: [{ currency: "UAH", payments: 1, amount: "250.00" }] },
  "2024-05-23": { calls: 4, no_answer: 4, heard_per_mille: 0, heard_paid: 0, payments: [] },
  "2024-05-24": { calls: 4, not_confirmed: 2, heard: 2, heard_per_mille: 1000,
                  heard_paid: 0, payments: [] },
};
if (r.since !== "2024-05-21" || r.days !== 7) throw new Error("header " + JSON.stringify(r));
if (r.by_day.map(d => d.day).join() !== Object.keys(want).join())
  throw new Error("days " + r.by_day.map(d => d.day));
for (const d of r.by_day) {
  for (const [k, v] of Object.entries(want[d.day])) {
    const got = k in d ? d[k] : d.outcomes[k];
    if (JSON.stringify(got) !== JSON.stringify(v))
      throw new Error(d.day + " " + k + ": " + JSON.stringify(got) + ", expected " + JSON.stringify(v));
  }
}
const early = r.by_day[0].early_share_per_mille;
if (!(early > 0 && early < 1000)) throw new Error("early share " + early);
' || fail "report calls: $(cat out.txt)"
expect_status 0 relance report calls --since 2024-05-21 --days 7
expect_grep out.txt "paid within 7 days after a heard call: UAH 1 payment, 250.00"
expect_status 2 relance report calls --since 21/05/2024
expect_grep err.txt "report calls: --since '21/05/2024' is not a date"
expect_status 0 relance verify
