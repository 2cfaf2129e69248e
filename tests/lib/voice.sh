# What the voice scripts share (sourced after integration.sh): sipp as the
# trunk and callee on 127.0.0.1, a socket that counts the RTP relance
# sends, and questions about calls and files.
command -v sipp >/dev/null 2>&1 || fail "sipp is not installed (scripts/setup installs sip-tester)"
SCEN="$TOP/tests/peers/sipp"

free_port() {
	node -e 'const s = require("net").createServer();
		s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Where the callee's SDP sends relance's RTP: a socket that counts packets
# and keeps the count in rtp.count (rtp_count reads it).
cat > sink.js <<'JS'
const fs = require('fs');
const s = require('dgram').createSocket('udp4');
let n = 0, told = -1;
s.on('message', () => { n++; });
setInterval(() => { if (n !== told) { fs.writeFileSync('rtp.count', String(n)); told = n; } }, 50);
s.bind(0, '127.0.0.1', () => console.log(s.address().port));
JS
start_peer sink node sink.js
RTP_PORT=$PEER_PORT
rtp_count() { sleep 0.2; cat rtp.count 2>/dev/null || echo 0; }

export SIP_PASSWORD=s3cret-trunk
# trunk SCENARIO [SIPP OPTIONS...]: sipp answers every call of the next
# cycle with SCENARIO; relance.conf points at it, with $VOICE_CONF_EXTRA
# (lines of channels.voice) and $CONF_EXTRA (more sections) added.
trunk() {
	scen=$1
	shift
	# A free port may be taken before sipp binds it: a few tries.
	for try in 1 2 3; do
		SIP_PORT=$(free_port)
		rm -f "$scen.msgs"
		sipp -sf "$SCEN/$scen.xml" -i 127.0.0.1 -p "$SIP_PORT" -mp "$(free_port)" \
			-cp "$(free_port)" -key rtp_port "$RTP_PORT" -key codec 0 -m 100 -timeout 60s \
			-nostdin -trace_msg -message_file "$scen.msgs" "$@" >"$scen.sipp" 2>&1 &
		SIPP=$!
		PEER_PIDS="$PEER_PIDS $SIPP"
		wait_for 10 sh -c "ss -ulnt | grep -q '127.0.0.1:$SIP_PORT ' || ! kill -0 $SIPP"
		kill -0 "$SIPP" 2>/dev/null && break
	done
	kill -0 "$SIPP" 2>/dev/null || { cat "$scen.sipp"; fail "sipp ($scen) did not start"; }
	cat > relance.conf <<CONF
channels:
  voice:
    adapter: sip
    proxy: 127.0.0.1
    port: $SIP_PORT
    username: relance
    password: \${SIP_PASSWORD}
    ring_timeout_s: 3
${VOICE_CONF_EXTRA:-}
contacts:
  bad_after_failures: 2
${CONF_EXTRA:-}
CONF
}
untrunk() { kill "$SIPP" 2>/dev/null || true; wait "$SIPP" 2>/dev/null || true; }
# The calls sipp received in the cycle of SCENARIO, and the numbers, in order.
invites() { grep -c '^INVITE sip:' "$1.msgs" 2>/dev/null || true; }
called() { sed -n 's/^INVITE sip:\([^@]*\)@.*/\1/p' "$1.msgs" | tr '\n' ' ' | sed 's/ $//'; }
file_has() { db_count "file_entries f JOIN customers c ON c.customer_key = f.customer_key
	WHERE c.customer_id = '$1' AND f.body LIKE '$2'"; }
voice_rows() { db_count "outbox o JOIN accounts a ON a.account_key = o.account_key
	WHERE a.account_id = '$1' AND o.channel = 'voice' $2"; }

# voice_debtors: the fixtures (tests/lib/fixtures.sh) and two more Ukrainian
# debtors, 30 days late on 20 May 2024, imported into a new database:
# A-UA-1 (+380501234567), A-UA-3 (+380631110003), A-UA-4 (+380994040404),
# called in that order.
voice_debtors() {
	write_fixtures
	cat >> customers.csv <<'CSV'
C-UA-3,Іван Мельник,uk-UA,Europe/Kyiv,UA,+380631110003,,residential
C-UA-4,Марія Бондар,uk-UA,Europe/Kyiv,UA,+380994040404,,residential
CSV
	printf 'A-UA-3,C-UA-3,UAH\nA-UA-4,C-UA-4,UAH\n' >> accounts.csv
	printf 'A-UA-3,I-UA-31,400.00,2024-04-01,2024-04-20,\nA-UA-4,I-UA-41,250.00,2024-04-01,2024-04-20,\n' \
		>> invoices.csv
	expect_status 0 relance init
	import_fixtures
}
