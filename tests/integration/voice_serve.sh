# The voice channel from `relance serve` (docs/voice.md "In the cycle"):
# the Ukrainian example policy, a cycle asked for through the API, the
# trunk and the callees played by sipp on 127.0.0.1 with one call at a
# time. While the list is dialling, a payment arrives through the API for
# the debtor who is last on the list: when the list reaches them, the
# balance is read again and they are not called.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"
. "$TOP/tests/lib/voice.sh"

VOICE_CONF_EXTRA="    max_calls: 1"

voice_debtors
expect_status 0 relance policy load "$TOP/examples/policies/ukraine-water.yaml"

export RELANCE_PWHASH_FAST=1
expect_status 0 relance user add ops --api
expect_status 0 relance token add ops --scopes admin
ADMIN=$(cat out.txt)
expect_status 0 relance user add gateway --api
expect_status 0 relance token add gateway --scopes "ledger:write"
GATEWAY=$(cat out.txt)

# Tue 21 May, 18:00 Kyiv: serve with the trunk; a cycle on demand.
trunk answer
start_serve --now 2024-05-21T15:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0
code=$(curl -s -o body.txt -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN" \
	"$URL/api/v1/cycles")
[ "$code" = 202 ] || { cat body.txt; fail "a cycle on demand: $code"; }
# The first call is under way (each lasts the whole message): A-UA-4,
# last on the list, pays through the API.
wait_for 20 sh -c "grep -q '^INVITE sip:' answer.msgs"
code=$(curl -s -o body.txt -w '%{http_code}' -X POST -H "Authorization: Bearer $GATEWAY" \
	-H 'Content-Type: application/json' \
	--data-binary '{"payment_id":"P-UA-4","account_id":"A-UA-4","received_at":"2024-05-21T14:59:00Z","amount":"250.00","method":"bank"}' \
	"$URL/api/v1/payments")
[ "$code" = 201 ] || { cat body.txt; fail "payment: HTTP $code"; }
[ "$(invites answer)" -lt 3 ] || fail "the list reached A-UA-4 before the payment: the test is too slow"
wait_for 90 sh -c "curl -s -H 'Authorization: Bearer $ADMIN' '$URL/api/v1/cycles' | grep -q '\"cycles\":[1-9]'"
wait_for 30 sh -c "curl -s -H 'Authorization: Bearer $ADMIN' '$URL/api/v1/cycles' | grep -q '\"running\":false'"
untrunk
[ "$(called answer)" = "+380501234567 +380631110003" ] ||
	fail "calls to '$(called answer)', expected A-UA-1 and A-UA-3 only"
[ "$(file_has C-UA-1 'voice call to +380501234567 (%): heard (100%)')" = 1 ] ||
	fail "no 'heard' entry on C-UA-1's file"
[ "$(file_has C-UA-3 'voice call to +380631110003 (%): heard (100%)')" = 1 ] ||
	fail "no 'heard' entry on C-UA-3's file"
[ "$(file_has C-UA-4 '%voice call%not performed: the customer paid meanwhile%')" = 1 ] ||
	fail "C-UA-4 paid while the list was dialling and was not dropped as paid"
[ "$(db_count "voice_calls")" = 2 ] || fail "$(db_count voice_calls) calls kept, expected 2"
grep -q "$SIP_PASSWORD" serve.out serve.err && fail "the trunk's password was logged"
kill "$SERVE"
wait "$SERVE" 2>/dev/null || true
expect_status 0 relance verify
