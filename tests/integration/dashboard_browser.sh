# The managers' dashboard in a real browser (headless Chromium,
# tests/browser/dashboard.js): a manager signs in, picks the period, sees
# the charts and tables of the story of tests/integration/dashboard.sh,
# switches language and downloads a CSV. Screenshots:
# build/screenshots/ENGINE/dashboard-*.png.
DASHBOARD_STORY_ONLY=1
. "$TOP/tests/integration/dashboard.sh"

export RELANCE_PWHASH_FAST=1
printf 'a long manager passphrase\n' | "$RELANCE_BIN" user add max --role manager \
	--password-stdin >/dev/null 2>&1 || fail "user add max"
start_serve --now 2024-06-30T12:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0 \
	--web "$TOP/web"

SHOTS="$TOP/build/screenshots/$RELANCE_TEST_ENGINE"
node "$TOP/tests/browser/dashboard.js" "$URL" max "a long manager passphrase" "$SHOTS" \
	> browser.out 2> browser.err || { cat browser.err; fail "the browser test failed"; }
expect_grep browser.out "dashboard: signed in, read the charts and tables, downloaded a CSV"
for f in dashboard-1-sign-in dashboard-2-charts dashboard-3-english; do
	[ -s "$SHOTS/$f.png" ] || fail "no screenshot $f"
done
kill -TERM "$SERVE"
wait "$SERVE"
