# E-mail through a real SMTP server on 127.0.0.1 (tests/peers/smtp-sink.js)
# from `relance run` with an operations file: the French ladder's e-mails,
# their outcomes on the customer file, once-only across cycles, an address
# refused for good (flagged bad, an agent's task, never used again), and a
# process killed while the server had a message but had not answered: that
# message is "uncertain", never sent again.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
cat >> customers.csv <<'CSV'
C-FR-2,Paul Refus,fr-FR,Europe/Paris,FR,,refused@example.fr,
C-FR-3,Lise Silence,fr-FR,Europe/Paris,FR,,silent@example.fr,
CSV
cat >> accounts.csv <<'CSV'
A-FR-2,C-FR-2,EUR
A-FR-3,C-FR-3,EUR
CSV
cat >> invoices.csv <<'CSV'
A-FR-2,I-FR-2,20.00,2024-06-01,2024-06-15,
A-FR-3,I-FR-3,20.00,2024-06-20,2024-07-05,
CSV
expect_status 0 relance init
import_fixtures
expect_status 0 relance policy load "$TOP/examples/policies/france-isp.yaml"

start_peer sink node "$TOP/tests/peers/smtp-sink.js" --out sink.jsonl \
	--reject-550 '^refused@' --silent '^silent@'
cat > relance.conf <<EOF
channels:
  email:
    adapter: smtp
    url: smtp://127.0.0.1:$PEER_PORT
    from: "Service client <recouvrement@example.org>"
    timeout_s: 30
contacts:
  bad_after_failures: 1
EOF
expect_status 0 relance config check

sink_count() { if [ -f sink.jsonl ]; then grep -c '"outcome":"accepted"' sink.jsonl || true; else echo 0; fi; }

# Tue 18 June 2024, 10:00 in Paris: the courteous e-mails, through the
# server. SMS has no adapter and no --record: it waits in the outbox.
expect_status 0 relance --now 2024-06-18T08:00:00Z run
expect_grep out.txt "accepted 1, refused 1, retry later 0, uncertain 0"
expect_grep out.txt "contacts flagged bad 1"
[ "$(sink_count)" = 1 ] || fail "the server accepted $(sink_count) messages, not 1"
expect_grep sink.jsonl '"to":["marie@example.fr"]'
expect_grep sink.jsonl 'Subject: Votre facture du 15 juin 2024'
expect_grep sink.jsonl 'Message-ID: <'
expect_status 0 relance --now 2024-06-18T09:00:00Z account show A-FR-1
expect_grep out.txt "email send to marie@example.fr (echelle-fai/rappel/action#1, policy v1)"
expect_grep out.txt "accepted by the smtp peer"

# The address refused for good: failed with the server's reply, flagged bad
# (the configured count is one), and an agent gets the task.
expect_status 0 relance --now 2024-06-18T09:00:00Z account show A-FR-2
expect_grep out.txt "refused by the smtp peer: 550"
expect_grep out.txt "email refused@example.fr flagged as bad after 1 permanent failure"
[ "$(db_count "outbox WHERE channel = 'queue' AND idempotency_key LIKE 'contact-fix/%'")" = 1 ] ||
	fail "no contact-fix task"

# The same instant again, and the next hour: nothing is sent twice.
expect_status 0 relance --now 2024-06-18T08:00:00Z run
expect_status 0 relance --now 2024-06-18T09:00:00Z run
[ "$(sink_count)" = 1 ] || fail "an e-mail was sent again"

# Thu 27 June: the notice stage e-mails both again; the flagged address is
# not used. The server is down: the e-mail waits, and goes once it is back.
kill "$PID_sink"
wait "$PID_sink" 2>/dev/null || true
expect_status 0 relance --now 2024-06-27T08:00:00Z run --json
expect_grep out.txt '"reason":"e-mail address flagged bad"'
expect_grep out.txt '"accepted":0,"refused":0,"retry_later":1'
start_peer sink node "$TOP/tests/peers/smtp-sink.js" --out sink.jsonl \
	--reject-550 '^refused@' --silent '^silent@'
sed -i "s|smtp://127.0.0.1:[0-9]*|smtp://127.0.0.1:$PEER_PORT|" relance.conf
# Tried again five minutes later (times the attempts).
expect_status 0 relance --now 2024-06-27T08:04:00Z run --json
expect_grep out.txt '"accepted":0'
expect_status 0 relance --now 2024-06-27T08:10:00Z run --json
expect_grep out.txt '"accepted":1'
[ "$(sink_count)" = 2 ] || fail "the server accepted $(sink_count) messages, not 2"

# Mon 8 July: the server reads Lise's message and never answers; relance is
# killed while it waits. The row was committed "sending" first: the next
# cycle, after the lease, finishes it "uncertain" and does not send again.
relance --now 2024-07-08T08:00:00Z run >killed.out 2>&1 &
victim=$!
wait_for 20 grep -q silent@ sink.jsonl
[ "$(db_count "outbox WHERE state = 'sending'")" = 1 ] || fail "no row was sending"
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
lines=$(wc -l < sink.jsonl)
expect_status 0 relance --now 2024-07-08T08:10:00Z run
expect_grep out.txt "uncertain 1"
[ "$(wc -l < sink.jsonl)" = "$lines" ] || fail "an uncertain message was sent again"
[ "$(db_count "outbox WHERE state = 'uncertain'")" = 1 ] || fail "no uncertain row"
expect_status 0 relance --now 2024-07-08T09:00:00Z account show A-FR-3
expect_grep out.txt "sent without an answer before the process stopped: not sent again"
expect_status 0 relance --now 2024-07-09T08:00:00Z run
[ "$(wc -l < sink.jsonl)" = "$lines" ] || fail "an uncertain message was sent again"
expect_status 0 relance verify
