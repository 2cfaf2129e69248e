# The console in a real browser (headless Chromium, tests/browser/console.js):
# an agent signs in, finds an account, reads the file, records a promise.
# Screenshots: build/screenshots/console-*.png.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
expect_status 0 relance init
import_fixtures
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"
expect_status 0 relance note add A-BR-1 --author back-office --text "<b>bold?</b> called twice"
export RELANCE_PWHASH_FAST=1
printf 'correct horse battery\n' | "$RELANCE_BIN" user add ana --role agent --password-stdin \
	>/dev/null 2>&1 || fail "user add ana"

start_serve --now 2024-07-25T15:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0 \
	--web "$TOP/web"

SHOTS="$TOP/build/screenshots/$RELANCE_TEST_ENGINE"
node "$TOP/tests/browser/console.js" "$URL" ana "correct horse battery" A-BR-1 "$SHOTS" \
	> browser.out 2> browser.err || { cat browser.err; fail "the browser test failed"; }
expect_grep browser.out "recorded a promise"
for f in console-1-sign-in console-2-file console-3-promise; do
	[ -s "$SHOTS/$f.png" ] || fail "no screenshot $f"
done
expect_status 0 relance account show A-BR-1
expect_grep out.txt "promise PR-1 by ana: promises 50.00 BRL by 2024-08-01"
kill -TERM "$SERVE"
wait "$SERVE"
