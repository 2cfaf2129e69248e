# The console in a real browser (headless Chromium, tests/browser/console.js):
# an agent signs in, opens the worklist, takes a task (its customer file
# opens), reads the file, records a promise and closes the task; takes a
# second task, proposes a plan and closes it. What the agent did is then
# checked in the database through the command line.
# Screenshots: build/screenshots/ENGINE/console-*.png.
# The story of queues.sh (two priorities on one queue, three cycles).
QUEUES_STORY_ONLY=1
. "$TOP/tests/integration/queues.sh"
expect_status 0 relance note add A-BR-1 --author back-office --text "<b>bold?</b> called twice"
export RELANCE_PWHASH_FAST=1
printf 'correct horse battery\n' | "$RELANCE_BIN" user add ana --role agent --password-stdin \
	>/dev/null 2>&1 || fail "user add ana"

start_serve --now 2024-07-25T15:00:00Z serve --listen 127.0.0.1:0 --cycle-every 0 \
	--web "$TOP/web"

SHOTS="$TOP/build/screenshots/$RELANCE_TEST_ENGINE"
node "$TOP/tests/browser/console.js" "$URL" ana "correct horse battery" A-BR-1 "$SHOTS" \
	cobranca A-BR-2 > browser.out 2> browser.err || { cat browser.err; fail "the browser test failed"; }
expect_grep browser.out "recorded a promise, closed the task, proposed a plan"
for f in console-1-sign-in console-2-file console-3-promise console-4-worklist \
	console-5-closed console-6-plan; do
	[ -s "$SHOTS/$f.png" ] || fail "no screenshot $f"
done
expect_status 0 relance account show A-BR-1
expect_grep out.txt "promise PR-1 by ana: promises 50.00 BRL by 2024-08-01"
expect_grep out.txt "task by ana, account A-BR-1"
expect_grep out.txt "on queue cobranca closed: promise: paga dia 1º"
expect_status 0 relance account show A-BR-2
expect_grep out.txt "plan PL-2 by ana"
expect_grep out.txt "on queue cobranca closed: plan"
# Only the third task is left open.
expect_status 0 relance --now 2024-07-25T15:00:00Z queue list cobranca --json
expect_grep out.txt '"account_id":"A-BR-3"'
if grep -q '"account_id":"A-BR-[12]"' out.txt; then fail "a closed task is still open"; fi
kill -TERM "$SERVE"
wait "$SERVE"
