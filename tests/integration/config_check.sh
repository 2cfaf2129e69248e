# `relance config check`: the example operations file passes with its
# secrets in the environment and never prints them; a broken file fails
# with every problem as FILE:LINE:COLUMN and exit 2; the file is found
# through --config, $RELANCE_CONFIG and ./relance.conf in that order.
# No database is opened: the same checks run on every engine.
. "$TOP/tests/lib/integration.sh"

# Nothing configured: every channel records.
expect_status 0 relance config check
expect_grep out.txt "no operations file"
expect_line out.txt "sms: record"
expect_line out.txt "email: record"

# The example, with its secrets from the environment, which are not printed.
export SMPP_PASSWORD=Zq7-smpp SMTP_PASSWORD=Zq7-smtp-secret RADIUS_SECRET=Zq7-nas \
	WEBHOOK_SECRET=Zq7-hook
expect_status 0 relance config check "$TOP/examples/relance.conf"
expect_line out.txt "$TOP/examples/relance.conf: the configuration is valid"
expect_grep out.txt "provisioning: 3 adapters"
expect_line out.txt "  radius: radius 127.0.0.1:3799, secret (set), levels full (coa), throttle (coa), walled_garden (coa), total (disconnect)"
expect_line out.txt "  tr069: genieacs http://127.0.0.1:7557, levels full, throttle, total"
# The one contrib/ ships beside the systemd unit, hand-off parties included.
BUREAU_TOKEN=t expect_status 0 relance config check "$TOP/contrib/relance.conf"
expect_grep out.txt "credit_bureau: webhook https://bureau.example.org/relance/cases, token (set)"
expect_line out.txt "cycles (relance serve): at 02:00, 13:00 Europe/Paris"
expect_line out.txt "sms: smpp 127.0.0.1:2775, system_id relance, password (set), source_addr RELANCE, 50/s, window 10"
expect_grep out.txt "email: smtp smtp://127.0.0.1:2525, from Service client <recouvrement@example.org>, username relance, password (set)"
if grep -q "Zq7" out.txt err.txt; then fail "a secret was printed"; fi

# A secret missing from the environment names the key and the variable.
unset SMTP_PASSWORD
expect_status 2 relance config check "$TOP/examples/relance.conf"
expect_line err.txt "$TOP/examples/relance.conf:30:15: password: environment variable SMTP_PASSWORD is not set"
if grep -q "Zq7" out.txt err.txt; then fail "a secret was printed"; fi

# Several problems in one file, all reported, in the order of the text;
# a secret too long for SMPP is reported without being quoted.
export SMPP_LONG_PASSWORD=Zq7-longer-than-smpp-allows
cat > broken.conf <<'YAML'
channels:
  sms:
    adapter: smpp
    hots: 127.0.0.1
    system_id: relance
    password: ${SMPP_LONG_PASSWORD}
    port: 99999
    rate_per_second: 0
    registered_delivery: maybe
  email:
    adapter: smtpp
  voice:
    adapter: sip
    proxy: 127.0.0.1
    transport: sctp
contacts:
  bad_after_failure: 3
YAML
expect_status 2 relance config check broken.conf
expect_line err.txt "broken.conf:3:5: sms needs 'host'"
expect_line err.txt "broken.conf:4:5: unknown key 'hots' (did you mean 'host'?)"
expect_line err.txt "broken.conf:6:15: password is longer than the 8 characters SMPP 3.4 allows"
expect_line err.txt "broken.conf:7:11: port must be between 1 and 65535"
expect_line err.txt "broken.conf:8:22: rate_per_second must be between 1 and 100000"
expect_line err.txt "broken.conf:9:26: registered_delivery must be true or false, not 'maybe'"
expect_line err.txt "broken.conf:11:14: unknown adapter 'smtpp' (did you mean 'smtp'?)"
expect_line err.txt "broken.conf:15:16: unknown transport 'sctp' (did you mean 'tcp'?)"
expect_line err.txt "broken.conf:17:3: unknown key 'bad_after_failure' (did you mean 'bad_after_failures'?)"
expect_line err.txt "broken.conf: 9 problems"
[ "$(wc -l < err.txt)" -eq 10 ] || fail "expected 9 problems and a count in err.txt"
if grep -q "Zq7" out.txt err.txt; then fail "a secret was printed"; fi
[ ! -s out.txt ] || fail "a broken file printed a summary"

# A YAML syntax error, a missing named file.
printf 'channels:\n  sms: {adapter: smpp\n' > syntax.conf
expect_status 2 relance config check syntax.conf
expect_grep err.txt "syntax.conf:3:1: YAML:"
expect_status 2 relance config check does-not-exist.conf
expect_line err.txt "relance: does-not-exist.conf: No such file or directory"

# Resolution: ./relance.conf, then $RELANCE_CONFIG over it, then --config over both.
printf 'channels:\n  sms: {adapter: http, url: "https://sms.example.org/send"}\n' > relance.conf
printf 'channels:\n  email: {adapter: smtp, url: "smtp://127.0.0.1:2525", from: a@example.org}\n' > env.conf
printf 'contacts: {bad_after_failures: 5}\n' > option.conf
expect_status 0 relance config check
expect_line out.txt "relance.conf: the configuration is valid"
expect_grep out.txt "sms: http POST https://sms.example.org/send"
RELANCE_CONFIG=env.conf expect_status 0 relance config check
expect_line out.txt "env.conf: the configuration is valid"
expect_line out.txt "sms: record"
RELANCE_CONFIG=env.conf expect_status 0 relance --config option.conf config check
expect_line out.txt "option.conf: the configuration is valid"
expect_grep out.txt "bad after 5 permanent failures"
# A named file that is missing is an error, even with ./relance.conf present.
RELANCE_CONFIG=missing.conf expect_status 2 relance config check
expect_line err.txt "relance: missing.conf: No such file or directory"
