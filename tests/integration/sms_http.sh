# SMS through an HTTP gateway on 127.0.0.1 (tests/peers/http-gateway.js)
# from `relance run` with an operations file: the Brazilian reminder as a JSON
# POST with a bearer token, retried after 5xx answers under the same
# Idempotency-Key, a destination the gateway refuses for good, and nothing
# sent twice across cycles.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

write_fixtures
cat >> customers.csv <<'CSV'
C-BR-2,João Lima,pt-BR,America/Sao_Paulo,BR,+5511912345678,joao@example.com.br,residential
C-BR-3,Rui Recusa,pt-BR,America/Sao_Paulo,BR,+5511900009999,rui@example.com.br,residential
CSV
cat >> accounts.csv <<'CSV'
A-BR-2,C-BR-2,BRL
A-BR-3,C-BR-3,BRL
CSV
cat >> invoices.csv <<'CSV'
A-BR-2,I-BR-8,99.90,2024-05-01,2024-05-10,
A-BR-3,I-BR-9,99.90,2024-05-01,2024-05-10,
CSV
expect_status 0 relance init
import_fixtures
expect_status 0 relance policy load "$TOP/examples/policies/brazil-isp.yaml"

start_peer gateway node "$TOP/tests/peers/http-gateway.js" --out gateway.jsonl --fail-first 2
cat > relance.conf <<EOF
channels:
  sms:
    adapter: http
    url: http://127.0.0.1:$PEER_PORT/v1/messages
    auth: bearer
    token: \${GATEWAY_TOKEN}
    body: '{"msisdn": "{to}", "message": "{text}", "reference": "{key}"}'
    retries: 3
contacts:
  bad_after_failures: 1
EOF
export GATEWAY_TOKEN=s3cret-token
expect_status 0 relance config check
if grep -q s3cret-token out.txt err.txt; then fail "the token was printed"; fi

# Mon 13 May 2024, 10:00 in São Paulo: both debtors get the reminder SMS
# (the e-mail has no adapter here: it waits).
# The gateway answers 500 twice first: the same request is sent again, with
# the same key, until it is taken.
expect_status 0 relance --now 2024-05-13T13:00:00Z run
expect_grep out.txt "accepted 1, refused 1"
if grep -q s3cret-token out.txt err.txt; then fail "the token was printed"; fi
expect_grep gateway.jsonl '"authorization":"Bearer s3cret-token"'
expect_grep gateway.jsonl '{\"msisdn\": \"+5511912345678\", \"message\": \"Olá, João Lima. Sua fatura de R$'
first_key=$(grep -o '"idempotency-key":"[^"]*"' gateway.jsonl | head -n 1)
[ "$(grep -c "$first_key" gateway.jsonl)" = 3 ] || fail "the retries did not keep the key"
expect_status 0 relance --now 2024-05-13T14:00:00Z account show A-BR-2
expect_grep out.txt "accepted by the http peer as gw-"
expect_status 0 relance --now 2024-05-13T14:00:00Z account show A-BR-3
expect_grep out.txt "refused by the http peer: 400"
expect_grep out.txt "phone +5511900009999 flagged as bad"

# Again at the same instant and an hour later: nothing is sent twice.
lines=$(wc -l < gateway.jsonl)
expect_status 0 relance --now 2024-05-13T13:00:00Z run
expect_status 0 relance --now 2024-05-13T14:00:00Z run
[ "$(wc -l < gateway.jsonl)" = "$lines" ] || fail "an SMS was sent again"
expect_status 0 relance verify
