# The portal in a real browser (headless Chromium, tests/browser/portal.js):
# a customer asks for a code, reads it from the record file, signs in, sees
# her balance and asks for a payment plan, accepted at once.
# Screenshots: build/screenshots/ENGINE/portal-*.png. The customers, their
# accounts and users are those of tests/integration/portal.sh.
PORTAL_STORY_ONLY=1
. "$TOP/tests/integration/portal.sh"

start_serve --now 2024-07-25T15:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0 \
	--record rec.jsonl --web "$TOP/web"

SHOTS="$TOP/build/screenshots/$RELANCE_TEST_ENGINE"
node "$TOP/tests/browser/portal.js" "$URL" ana.souza "$PWD/rec.jsonl" +5511987654321 A-BR-2 "$SHOTS" \
	> browser.out 2> browser.err || { cat browser.err; tail -n 20 serve.err; fail "the browser test failed"; }
expect_grep browser.out "a plan accepted"
for f in portal-1-sign-in portal-2-accounts portal-3-plan; do
	[ -s "$SHOTS/$f.png" ] || fail "no screenshot $f"
done
expect_status 0 relance account show A-BR-2
expect_grep out.txt "accepted by ana.souza"
if grep -q '"action":"code"' serve.err; then fail "serve's log holds the code message"; fi
kill -TERM "$SERVE"
wait "$SERVE"
