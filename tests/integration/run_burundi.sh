# Situation 1: one notice to every debtor, suspension after the deadline,
# restoration on payment; each action recorded once, every step on the file.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
import_fixtures

# No policy yet: the cycle says so.
expect_status 2 relance --now 2024-07-17T09:00:00Z run --record rec.jsonl
expect_grep err.txt "relance policy load"
expect_status 0 relance policy load "$TOP/examples/policies/burundi-mobile.yaml"

# 17 July, 09:00 in Bujumbura: the notice goes to the one debtor.
expect_status 0 relance --now 2024-07-17T07:00:00Z run --record rec.jsonl
expect_grep out.txt "performed             sms 1"
[ "$(wc -l < rec.jsonl)" = 1 ] || fail "one line expected in rec.jsonl"
expect_grep rec.jsonl '"channel":"sms","action":"send","account_id":"A-BI-1","customer_id":"C-BI-1","policy_version":1,"rule":"campaign/deadline-2024-07-24/notice#1","to":"+25779123456"'
grep -q "12.*500.*FBu" rec.jsonl || fail "the amount is not in the notice"
expect_grep rec.jsonl "24 juillet 2024"

# The same cycle again, and a later one before the deadline: nothing new.
expect_status 0 relance --now 2024-07-17T07:00:00Z run --record rec.jsonl
expect_status 0 relance --now 2024-07-22T08:00:00Z run --record rec.jsonl
[ "$(wc -l < rec.jsonl)" = 1 ] || fail "a second notice was recorded"

# A dry run on the 25th shows the suspension and changes nothing.
expect_status 0 relance --now 2024-07-25T07:00:00Z run --dry-run --json
expect_grep out.txt '"dry_run":true'
expect_grep out.txt '"provisioning":1'
[ "$(wc -l < rec.jsonl)" = 1 ] || fail "a dry run recorded something"

# 25 July: still owing, every service is suspended, and told so.
expect_status 0 relance --now 2024-07-25T07:00:00Z run --record rec.jsonl
expect_grep rec.jsonl '"channel":"provisioning","action":"suspend","account_id":"A-BI-1"'
expect_grep rec.jsonl '"service_id":"S-BI-1","level":"total"'
[ "$(grep -c '"rule":"campaign/deadline-2024-07-24/after_deadline#2"' rec.jsonl)" = 1 ] ||
	fail "the suspension SMS should be recorded once"

# Paid the same day: restored at the next cycle, and never contacted again.
printf 'payment_id,account_id,received_at,amount\nP-BI-9,A-BI-1,2024-07-25T09:00:00Z,12500\n' > pay.csv
expect_status 0 relance import payments pay.csv
expect_status 0 relance --now 2024-07-25T09:05:00Z run --record rec.jsonl
expect_grep rec.jsonl '"channel":"provisioning","action":"restore","account_id":"A-BI-1"'
lines=$(wc -l < rec.jsonl)
expect_status 0 relance --now 2024-07-26T09:00:00Z run --record rec.jsonl
[ "$(wc -l < rec.jsonl)" = "$lines" ] || fail "a settled account was acted on again"

# Everything is on the customer file, and the file is intact.
expect_status 0 relance --now 2024-07-26T09:00:00Z account show A-BI-1
expect_grep out.txt "campaign/deadline-2024-07-24/notice#1, policy v1): delivered (recorded)"
expect_grep out.txt "provisioning restore"
expect_status 0 relance verify
