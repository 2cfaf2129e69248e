# An action decided inside the contact window but performed by a cycle that
# runs after it closed waits for the next window: the rules are asked again
# just before the contact.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
import_fixtures
expect_status 0 relance policy load "$TOP/examples/policies/burundi-mobile.yaml"

# 09:00 in Bujumbura: decided, but no adapter yet: the SMS stays pending.
expect_status 0 relance --now 2024-07-17T07:00:00Z run
expect_grep out.txt "pending               1"

# 21:30 in Bujumbura, after the 08:00-19:00 window: not sent, deferred.
expect_status 0 relance --now 2024-07-17T19:30:00Z run --record rec.jsonl
expect_grep out.txt "window: 1, the first from 2024-07-18T06:00:00Z"
[ ! -s rec.jsonl ] || fail "an SMS was recorded outside the contact window"

# 08:30 the next day: sent, once, and the file tells the whole story.
expect_status 0 relance --now 2024-07-18T06:30:00Z run --record rec.jsonl
[ "$(wc -l < rec.jsonl)" = 1 ] || fail "the deferred SMS should be recorded once"
expect_grep rec.jsonl '"at":"2024-07-18T06:30:00Z","channel":"sms"'
expect_status 0 relance --now 2024-07-18T07:00:00Z account show A-BI-1
expect_grep out.txt "outside the contact windows; next allowed moment 2024-07-18 08:00 Africa/Bujumbura"
expect_grep out.txt "delivered (recorded)"
expect_status 0 relance verify
