# Voice calls through a real SIP peer on 127.0.0.1: `relance voice call`
# against sipp acting as the trunk and callee (tests/peers/sipp/), one
# scenario per outcome. The callee's SDP answer points relance's RTP at a
# sink written here, which records every packet, so the test checks what
# was actually sent: packet count for the length of the message, sequence
# numbers, timestamps, marker, payload type and the 20 ms pacing.
. "$TOP/tests/lib/integration.sh"

command -v sipp >/dev/null 2>&1 || fail "sipp is not installed (scripts/setup installs sip-tester)"
SCEN="$TOP/tests/peers/sipp"
DTMF_PCAP=/usr/share/sip-tester/dtmf_2833_1.pcap
[ -f "$DTMF_PCAP" ] || fail "no $DTMF_PCAP (sip-tester)"

free_port() {
	node -e 'const s = require("net").createServer();
		s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# The RTP sink: one JSON line per datagram, appended (so that the file can
# be emptied between calls).
cat > sink.js <<'EOF'
const dgram = require('dgram');
const fs = require('fs');
const s = dgram.createSocket('udp4');
const fd = fs.openSync(process.argv[2], 'a');
s.on('message', (m, r) => {
	if (m.length < 12) return;
	fs.writeSync(fd, JSON.stringify({ t: Number(process.hrtime.bigint()) / 1e6,
		len: m.length, v: m[0] >> 6, m: m[1] >> 7, pt: m[1] & 0x7f,
		seq: m.readUInt16BE(2), ts: m.readUInt32BE(4), ssrc: m.readUInt32BE(8) }) + '\n');
});
s.bind(0, '127.0.0.1', () => console.log(s.address().port));
EOF
: > rtp.jsonl
start_peer sink node sink.js rtp.jsonl
RTP_PORT=$PEER_PORT

# rtp_check PACKETS PT: the sink got exactly PACKETS packets of payload type
# PT, one stream, 160 samples each, marker on the first only, sequence
# numbers +1 and timestamps +160 each, sent 20 ms apart (median gap) over
# about the message's length.
rtp_check() {
	node - "$1" "$2" rtp.jsonl <<'EOF' || fail "RTP received: $(cat rtp.txt)"
const [want, pt, file] = process.argv.slice(2);
const fs = require('fs');
const p = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(JSON.parse);
const bad = (why) => { fs.writeFileSync('rtp.txt', why + '\n'); process.exit(1); };
if (p.length !== Number(want)) bad(`${p.length} packets, expected ${want}`);
const gaps = [];
for (let i = 0; i < p.length; i++) {
	const x = p[i];
	if (x.v !== 2 || x.pt !== Number(pt) || x.len !== 172) bad(`packet ${i}: ${JSON.stringify(x)}`);
	if (x.m !== (i === 0 ? 1 : 0)) bad(`packet ${i}: marker ${x.m}`);
	if (i === 0) continue;
	const y = p[i - 1];
	if (x.ssrc !== y.ssrc) bad(`packet ${i}: SSRC changed`);
	if (x.seq !== ((y.seq + 1) & 0xffff)) bad(`packet ${i}: seq ${x.seq} after ${y.seq}`);
	if (x.ts !== ((y.ts + 160) >>> 0)) bad(`packet ${i}: ts ${x.ts} after ${y.ts}`);
	gaps.push(x.t - y.t);
}
gaps.sort((a, b) => a - b);
const median = gaps[gaps.length >> 1];
const span = p[p.length - 1].t - p[0].t, ideal = (p.length - 1) * 20;
// Coarse bounds: a loaded machine delays timers; exact jitter is for make bench.
if (median < 15 || median > 25) bad(`median gap ${median} ms`);
if (span < ideal * 0.9 || span > ideal * 1.3 + 200) bad(`${p.length} packets over ${span} ms`);
fs.writeFileSync('rtp.txt', `${p.length} packets, median gap ${median.toFixed(1)} ms, span ${span.toFixed(0)} ms\n`);
EOF
}
rtp_count() { grep -c . rtp.jsonl || true; }

# sipp_uas SCENARIO [SIPP OPTIONS...]: sipp as the trunk and callee for one
# call on a port of its own; relance.conf points at it.
sipp_uas() {
	scen=$1
	shift
	SIP_PORT=$(free_port)
	: > rtp.jsonl
	rm -f "$scen.msgs"
	sipp -sf "$SCEN/$scen.xml" -i 127.0.0.1 -p "$SIP_PORT" -mp "$(free_port)" -cp "$(free_port)" \
		-key rtp_port "$RTP_PORT" -m 1 -timeout 40s -nostdin \
		-trace_msg -message_file "$scen.msgs" "$@" >"$scen.sipp" 2>&1 &
	SIPP=$!
	PEER_PIDS="$PEER_PIDS $SIPP"
	wait_for 10 sh -c "ss -ulnt | grep -q '127.0.0.1:$SIP_PORT ' || ! kill -0 $SIPP"
	kill -0 "$SIPP" 2>/dev/null || { cat "$scen.sipp"; fail "sipp ($scen) did not start"; }
	config "$SIP_PORT"
}
# sipp_ok: the sipp of the last scenario ended with its call successful.
sipp_ok() {
	wait "$SIPP" || { cat "$scen.sipp"; fail "sipp ($scen) saw a failed call"; }
}
config() {
	cat > relance.conf <<EOF
channels:
  voice:
    adapter: sip
    proxy: 127.0.0.1
    port: $1
    username: relance
    password: \${SIP_PASSWORD}
    ring_timeout_s: ${RING:-3}
    transport: ${TRANSPORT:-udp}
EOF
}
export SIP_PASSWORD=s3cret-trunk
json() { node -e 'const o = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(o[process.argv[1]]);' "$1" < out.txt; }

# Bad usage and configuration: exit 2, nothing dialled.
expect_status 2 relance voice call --tone 1
expect_status 2 relance voice call --to 123 --tone 1 --audio x.ul
expect_status 2 relance voice call --to '12 3' --tone 1
expect_status 2 relance voice call --to '123' --tone -1
printf 'channels:\n  voice:\n    adapter: record\n' > relance.conf
expect_status 2 relance voice call --to 123 --tone 1
expect_grep err.txt "not adapter sip"

# 1. Answered and listened to the end: heard, 1000 per mille, 3 s = 150
# packets of PCMU, then relance's BYE.
sipp_uas answer -key codec 0
expect_status 0 relance voice call --to 0612345678 --tone 3 --json
sipp_ok
[ "$(json outcome)" = heard ] || fail "not heard: $(cat out.txt)"
[ "$(json permille)" = 1000 ] || fail "not 1000 per mille: $(cat out.txt)"
[ "$(json codec)" = PCMU ] || fail "not PCMU: $(cat out.txt)"
rtp_check 150 0
for t in "IDLE -> INVITING" "INVITING -> RINGING" "RINGING -> ANSWERED" "ANSWERED -> PLAYING" \
	"PLAYING -> ENDING (BYE sent)" "ENDING -> DONE"; do
	expect_grep err.txt "sip: call 1: $t"
done
grep -q "$SIP_PASSWORD" err.txt out.txt && fail "the password was printed"
grep -q '^BYE sip:' answer.msgs || fail "sipp got no BYE"
# The same from a file of µ-law samples: 1 s, and the callee chose PCMA.
node -e 'process.stdout.write(Buffer.alloc(8000, 0xff))' > message.ul
sipp_uas answer -key codec 8
expect_status 0 relance voice call --to 0612345678 --audio message.ul
sipp_ok
expect_line out.txt "outcome: heard"
expect_grep out.txt "PCMA"
rtp_check 50 8

# 2. The callee hangs up after two seconds of a five-second message.
sipp_uas hangup -key codec 0
expect_status 0 relance voice call --to 0612345678 --tone 5 --json
sipp_ok
[ "$(json outcome)" = hung_up_early ] || fail "not hung_up_early: $(cat out.txt)"
pm=$(json permille)
[ "$pm" -ge 300 ] && [ "$pm" -le 700 ] || fail "$pm per mille played after 2 s of 5"
n=$(rtp_count)
[ "$n" -ge 80 ] && [ "$n" -le 140 ] || fail "$n packets for about 2 s"
expect_grep err.txt "PLAYING -> ENDING (BYE received)"

# 3. Busy, not found, and a trunk failure.
sipp_uas busy
expect_status 0 relance voice call --to 0612345678 --tone 1
sipp_ok
expect_line out.txt "outcome: busy"
expect_line out.txt "status: 486"
sipp_uas notfound
expect_status 0 relance voice call --to 0600000000 --tone 1
sipp_ok
expect_line out.txt "outcome: bad_number"
sipp_uas unavailable
expect_status 1 relance voice call --to 0612345678 --tone 1
sipp_ok
expect_line out.txt "outcome: trunk_failure"
expect_line out.txt "status: 503"
[ "$(rtp_count)" = 0 ] || fail "RTP sent on a refused call"

# 4. Rings, nobody answers: no_answer after ring_timeout_s (2 s), CANCEL sent.
RING=2
sipp_uas noanswer
start=$(date +%s)
expect_status 0 relance voice call --to 0612345678 --tone 1
sipp_ok
elapsed=$(($(date +%s) - start))
[ "$elapsed" -ge 1 ] && [ "$elapsed" -le 6 ] || fail "no answer took $elapsed s"
expect_line out.txt "outcome: no_answer"
expect_grep err.txt "RINGING -> ENDING (CANCEL sent)"
grep -q '^CANCEL sip:' noanswer.msgs || fail "sipp got no CANCEL"
RING=3

# 5. The callee presses 1 (RFC 4733 from sipp's capture): reported once.
sipp_uas dtmf -key codec 0 -key dtmf_pcap "$DTMF_PCAP"
expect_status 0 relance voice call --to 0612345678 --tone 1 --wait-dtmf 5 --json
sipp_ok
[ "$(json digits)" = 1 ] || fail "digits: $(cat out.txt)"
[ "$(json outcome)" = heard ] || fail "not heard: $(cat out.txt)"
[ "$(grep -c 'DTMF 1' err.txt)" = 1 ] || fail "the digit was not reported once"

# 6. A trunk that challenges (401): the second INVITE carries Authorization,
# the call goes through; the password is never printed.
sipp_uas auth -key codec 0 -key password "$SIP_PASSWORD"
expect_status 0 relance voice call --to 0612345678 --tone 1
sipp_ok
expect_line out.txt "outcome: heard"
[ "$(grep -c '^INVITE sip:' auth.msgs)" = 2 ] || fail "not two INVITEs"
grep -q '^Authorization: Digest .*username="relance"' auth.msgs || fail "no Authorization"
grep -q "$SIP_PASSWORD" err.txt out.txt && fail "the password was printed"
# Wrong credentials: the trunk refuses (403), a trunk failure.
sipp_uas auth -key codec 0 -key password not-the-password
expect_status 1 relance voice call --to 0612345678 --tone 1
sipp_ok
expect_line out.txt "outcome: trunk_failure"

# 7. Bad input from the peer: an answer with no codec in common ends the
# call with a reason (ACK, then BYE), counted on the trunk.
sipp_uas answer -key codec 18
expect_status 1 relance voice call --to 0612345678 --tone 1
sipp_ok
expect_line out.txt "outcome: trunk_failure"
expect_grep out.txt "no codec in common"
[ "$(rtp_count)" = 0 ] || fail "RTP sent with no codec in common"

# A malformed SDP answer (a format that is not a number): the same, with
# its reason.
sipp_uas answer -key codec "0 x"
expect_status 1 relance voice call --to 0612345678 --tone 1
sipp_ok
expect_line out.txt "outcome: trunk_failure"
expect_grep out.txt "malformed SDP"
# A 200 that is not readable SIP is dropped: the phone rang and nobody
# answered (CANCEL at the ring timeout), and nothing crashed.
RING=2
sipp_uas garbled
expect_status 0 relance voice call --to 0612345678 --tone 1
sipp_ok
expect_line out.txt "outcome: no_answer"
[ "$(rtp_count)" = 0 ] || fail "RTP sent on a garbled answer"
RING=3

# 8. Nobody at the trunk's address: a trunk failure, not a no-answer.
config "$(free_port)"
expect_status 1 relance voice call --to 0612345678 --tone 1
expect_line out.txt "outcome: trunk_failure"
expect_grep out.txt "no response from the trunk"

# 9. RTP from an unexpected address (a digit 5 from 127.0.0.2, not the
# answer's 127.0.0.1) is ignored and counted; the call goes on to the end.
sipp_uas answer -key codec 0
relance voice call --to 0612345678 --tone 3 --json >out.txt 2>err.txt &
call=$!
wait_for 10 grep -q '^m=audio' answer.msgs
port=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' answer.msgs | head -n 1)
sleep 0.5
node -e '
const s = require("dgram").createSocket("udp4");
const p = Buffer.from([0x80, 101, 0, 1, 0, 0, 1, 0, 0, 0, 0, 9, 5, 0x0a, 0, 160]);
s.bind(0, "127.0.0.2", () => s.send(p, Number(process.argv[1]), "127.0.0.1", () => s.close()));' "$port"
wait "$call" || fail "the call failed: $(cat err.txt)"
sipp_ok
[ "$(json outcome)" = heard ] || fail "not heard: $(cat out.txt)"
[ "$(json digits)" = "" ] || fail "a digit from an unexpected address was taken: $(cat out.txt)"
[ "$(json rtp_ignored)" -ge 1 ] || fail "nothing ignored: $(cat out.txt)"
expect_grep err.txt "ignoring RTP from 127.0.0.2:"

# 10. The same over TCP (transport: tcp).
TRANSPORT=tcp
sipp_uas answer -key codec 0 -t t1
expect_status 0 relance voice call --to 0612345678 --tone 1
sipp_ok
expect_line out.txt "outcome: heard"
grep -q '^INVITE sip:0612345678@127.0.0.1:[0-9]*;transport=tcp SIP/2.0' answer.msgs ||
	fail "the INVITE did not go over TCP"
rtp_check 50 0

# 11. Load mode: 6 calls, at most 3 at once, all heard; six RTP streams of
# 50 packets reach the sink; the counts, the rate and the CPU are printed.
expect_status 2 relance voice call --to 0612345678 --tone 1 --calls 6
expect_status 2 relance voice call --to 0612345678 --tone 1 --calls 0 --concurrency 3
TRANSPORT=udp
sipp_uas answer -key codec 0 -m 6 -l 3
expect_status 0 relance voice call --to 0612345678 --tone 1 --calls 6 --concurrency 3 --json
sipp_ok
node -e '
const o = JSON.parse(require("fs").readFileSync("out.txt", "utf8"));
if (o.ended !== 6 || o.outcomes.heard !== 6 || o.packets !== 300 || !(o.calls_per_minute > 0) ||
    !(o.cpu_s >= 0) || o.concurrency !== 3) process.exit(1);' || fail "load: $(cat out.txt)"
[ "$(rtp_count)" = 300 ] || fail "$(rtp_count) RTP packets for 6 calls of 1 s"
[ "$(sed -n 's/.*"ssrc":\([0-9]*\).*/\1/p' rtp.jsonl | sort -u | wc -l)" = 6 ] ||
	fail "not six RTP streams"
