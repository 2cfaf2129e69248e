# The console in a real browser (headless Chromium, tests/browser/console.js):
# an agent signs in, opens the worklist, takes a task (its customer file
# opens), reads the file, records a promise and closes the task; takes a
# second task, proposes a plan and closes it. What the agent did is then
# checked in the database through the command line.
# Screenshots: build/screenshots/ENGINE/console-*.png.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
cat >> customers.csv <<'CSV'
C-BR-2,Carlos Lima,pt-BR,America/Sao_Paulo,BR,+5511987650002,carlos@example.com.br,residential
C-BR-3,Beatriz Rocha,pt-BR,America/Sao_Paulo,BR,+5511987650003,,residential
CSV
cat >> accounts.csv <<'CSV'
A-BR-2,C-BR-2,BRL
A-BR-3,C-BR-3,BRL
CSV
cat >> invoices.csv <<'CSV'
A-BR-2,I-BR-21,99.90,2024-07-01,2024-07-12,
A-BR-3,I-BR-31,59.90,2024-07-01,2024-07-18,
CSV
# The Brazilian ladder with its negotiation stages on one queue, so that
# the queue holds tasks of two priorities.
sed -e 's/queue: negociacao/queue: cobranca/' -e 's/queue: renegociacao/queue: cobranca/' \
	"$TOP/examples/policies/brazil-isp.yaml" > policy.yaml
expect_status 0 relance init
import_fixtures
expect_status 0 relance policy load policy.yaml
for d in 2024-07-22 2024-07-23 2024-07-24; do
	expect_status 0 relance --now "${d}T15:00:00Z" run --record actions.jsonl
done
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
