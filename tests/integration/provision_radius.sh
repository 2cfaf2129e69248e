# The RADIUS adapter against a real Dynamic Authorization Server:
# `relance provision radius` sends RFC 5176 Disconnect-Request and
# CoA-Request to FreeRADIUS on 127.0.0.1 (tests/peers/freeradius/), which
# checks their authenticators, logs each request's attributes by name in
# requests.log, ACKs, NAKs a "nak-" user with Error-Cause 503, and never
# answers a "drop-" user. Then what no NAS should accept: a wrong secret,
# and what relance must refuse before sending: bad usage.
. "$TOP/tests/lib/integration.sh"

command -v freeradius >/dev/null 2>&1 || fail "freeradius is not installed (scripts/setup installs it)"

free_udp_port() {
	node -e 'const s = require("dgram").createSocket("udp4");
		s.bind(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

SECRET='Relance-NAS-s3cret-42'
PORT=$(free_udp_port)
RADIUS_PID=$("$TOP/tests/peers/freeradius/start" "$PWD/radius" "$PORT" "$SECRET") ||
	fail "FreeRADIUS did not start"
PEER_PIDS="$PEER_PIDS $RADIUS_PID"
LOG=radius/requests.log
export NAS_SECRET="$SECRET"

# no_secret: the secret is in none of relance's output.
no_secret() {
	if grep -qF -- "$SECRET" out.txt err.txt; then
		cat out.txt err.txt
		fail "the secret was printed"
	fi
}

# log_line USER: the line of requests.log for USER's request.
log_line() {
	grep -F "User-Name = \"$1\"" "$LOG" || { cat "$LOG" radius/radius.log 2>/dev/null; fail "no request of $1 in $LOG"; }
}

# 1. Disconnect-Request: ACKed, and FreeRADIUS decoded every attribute,
#    with the Message-Authenticator and Event-Timestamp relance adds.
expect_status 0 relance provision radius --nas "127.0.0.1:$PORT" --secret-env NAS_SECRET \
	--disconnect --attr User-Name=alice --attr Acct-Session-Id=sess-0001 \
	--attr NAS-IP-Address=192.0.2.10
no_secret
expect_line out.txt "outcome: ACK"
expect_line out.txt "answer: Disconnect-ACK"
expect_line out.txt "tries: 1"
expect_grep err.txt "SENDING -> WAITING: try 1 of 3"
expect_grep err.txt "WAITING -> DONE: Disconnect-ACK"
line=$(log_line alice)
case $line in
"Disconnect-Request Message-Authenticator = 0x"*', User-Name = "alice", Acct-Session-Id = "sess-0001", NAS-IP-Address = 192.0.2.10, Event-Timestamp = "'*) ;;
*) fail "unexpected request logged: $line" ;;
esac

# 2. CoA-Request for a walled garden and a throttle: vendor attributes
#    decoded by FreeRADIUS's dictionaries, by name.
expect_status 0 relance provision radius --nas "127.0.0.1:$PORT" --secret-env NAS_SECRET --coa \
	--attr User-Name=bob --attr Acct-Session-Id=sess-0002 --attr Filter-Id=walled-garden \
	--attr Mikrotik-Rate-Limit=512k/512k --attr WISPr-Redirection-URL=https://pay.example/bob \
	--attr Cisco-AVPair=subscriber:policy-name=suspended --attr Session-Timeout=3600 \
	--attr Framed-IP-Address=10.0.0.7 --json
no_secret
expect_grep out.txt '"request":"CoA-Request","outcome":"ACK","code":"CoA-ACK"'
expect_grep out.txt '"tries":1'
line=$(log_line bob)
for attr in 'CoA-Request ' 'Acct-Session-Id = "sess-0002"' 'Filter-Id = "walled-garden"' \
	'Mikrotik-Rate-Limit = "512k/512k"' 'WISPr-Redirection-URL = "https://pay.example/bob"' \
	'Cisco-AVPair = "subscriber:policy-name=suspended"' 'Session-Timeout = 3600' \
	'Framed-IP-Address = 10.0.0.7'; do
	case $line in *"$attr"*) ;; *) fail "'$attr' not in the logged request: $line" ;; esac
done

# 3. A NAK, with its Error-Cause: exit 1.
expect_status 1 relance provision radius --nas "127.0.0.1:$PORT" --secret-env NAS_SECRET --coa \
	--attr User-Name=nak-carol --attr Filter-Id=walled-garden
no_secret
expect_line out.txt "outcome: NAK"
expect_line out.txt "answer: CoA-NAK"
expect_line out.txt "error-cause: 503 Session-Context-Not-Found"
log_line nak-carol >/dev/null
expect_status 1 relance provision radius --nas "127.0.0.1:$PORT" --secret-env NAS_SECRET \
	--disconnect --attr User-Name=nak-carol --json
expect_grep out.txt '"outcome":"NAK","code":"Disconnect-NAK"'
expect_grep out.txt '"error_cause":503,"error_cause_name":"Session-Context-Not-Found"'

# 4. No answer: the same packet three times, then exit 1. FreeRADIUS saw
#    the request (and took the copies for duplicates).
expect_status 1 relance provision radius --nas "127.0.0.1:$PORT" --secret-env NAS_SECRET --coa \
	--attr User-Name=drop-dave --timeout 0.3 --tries 3
no_secret
expect_line out.txt "outcome: NO_ANSWER"
expect_line out.txt "tries: 3"
expect_grep out.txt "reason: no answer from 127.0.0.1:$PORT after 3 tries"
[ "$(grep -c 'SENDING -> WAITING' err.txt)" = 3 ] || { cat err.txt; fail "not three tries"; }
[ "$(grep -c 'User-Name = "drop-dave"' "$LOG")" = 1 ] || fail "the retries were not duplicates"
if grep -q '^answer:' out.txt; then fail "an answer was reported"; fi

# 5. The NAS down: nothing listens on the port.
DEAD=$(free_udp_port)
expect_status 1 relance provision radius --nas "127.0.0.1:$DEAD" --secret-env NAS_SECRET \
	--disconnect --attr User-Name=erin --timeout 0.2 --tries 2
no_secret
expect_line out.txt "outcome: NO_ANSWER"
expect_line out.txt "tries: 2"
expect_grep out.txt "ICMP port unreachable"

# 6. A wrong secret: FreeRADIUS drops the request (its authenticator does
#    not check), relance reports no answer, never an ACK.
export WRONG_SECRET='not-the-secret'
expect_status 1 relance provision radius --nas "127.0.0.1:$PORT" --secret-env WRONG_SECRET \
	--disconnect --attr User-Name=frank --timeout 0.3 --tries 2
expect_line out.txt "outcome: NO_ANSWER"
if grep -q "ACK" out.txt; then fail "an ACK under a wrong secret"; fi
if grep -qF 'not-the-secret' out.txt err.txt; then fail "the wrong secret was printed"; fi
if grep -q 'User-Name = "frank"' "$LOG"; then fail "FreeRADIUS accepted a request under a wrong secret"; fi

# 7. Bad usage: exit 2, saying what, and nothing sent.
lines=$(wc -l < "$LOG")
expect_status 2 relance provision radius --nas "127.0.0.1:$PORT" --secret-env NAS_SECRET --coa \
	--attr User-Name=gina --attr Foo-Bar=1
expect_grep err.txt "unknown attribute 'Foo-Bar'"
expect_status 2 relance provision radius --nas "127.0.0.1:$PORT" --secret-env NO_SUCH_SECRET_VAR \
	--coa --attr User-Name=gina
expect_grep err.txt "the environment variable NO_SUCH_SECRET_VAR is not set"
expect_status 2 relance provision radius --nas "127.0.0.1:99999" --secret-env NAS_SECRET --coa \
	--attr User-Name=gina
expect_grep err.txt "the port must be a number from 1 to 65535"
expect_status 2 relance provision radius --nas "127.0.0.1:$PORT" --secret-env NAS_SECRET \
	--attr User-Name=gina
expect_grep err.txt "give one of --disconnect and --coa"
expect_status 2 relance provision radius --nas "127.0.0.1:$PORT" --secret-env NAS_SECRET --coa \
	--attr Filter-Id=walled-garden
expect_grep err.txt "no attribute names the session"
expect_status 2 relance provision radius --nas "127.0.0.1:$PORT" --secret-env NAS_SECRET --coa \
	--attr Framed-IP-Address=10.0.0.300
expect_grep err.txt "Framed-IP-Address: '10.0.0.300' is not an IPv4 address"
expect_status 2 relance provision radius --nas "127.0.0.1:$PORT" --secret-env NAS_SECRET --coa \
	--attr User-Name=gina --timeout 0
expect_grep err.txt "--timeout: seconds from 0.001 to 60"
expect_status 2 relance provision radius --nas "127.0.0.1:$PORT" --coa --attr User-Name=gina
expect_grep err.txt "--secret-env VAR is missing"
[ "$(wc -l < "$LOG")" = "$lines" ] || fail "a request was sent despite bad usage"

"$TOP/tests/peers/freeradius/stop" "$PWD/radius"
