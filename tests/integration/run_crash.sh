# A cycle killed with kill -9 at any point loses no action and performs
# none twice. Each episode starts from a copy of the same freshly imported
# database and kills real `relance run` processes at points chosen by
# counting their progress: while deciding (once so many outbox rows are
# written), and while performing (once so many lines are recorded); then
# cycles run to the end. Every episode's record must hold exactly the keys
# of one uninterrupted cycle, each once. Two cycles at the same instant,
# one after the other or both at once, add nothing the first did not.
. "$TOP/tests/lib/integration.sh"

# 1000 customers: about 540 actions, more than two claim batches of 256
# (run.c's CLAIM_BATCH), so that the two kills while performing at T1 and
# the one at T2 each find work left to be killed in.
CUSTOMERS=1000
# Episodes run until this many kills in all, and this many of them while
# deciding and while performing (each episode kills 5 cycles, 2 of them
# aimed at the decisions and 3 at the performing).
WANT_KILLS=15
WANT_DECIDE=4
WANT_PERFORM=6
MAX_EPISODES=8
# Rows claimed by a killed worker stay leased for 300 s (run.c's
# LEASE_SECONDS): the cycles killed at T1 leave some, the one at T2 takes
# them up and leaves its own, and the last ones run at T3, past every lease.
# The reference runs at T1, T2 and T3 too, so that both compare like with
# like. Every window is open all day, every day: nothing is deferred
# between T1 and T3, and no local midnight falls between them in any of the
# zones.
T1=2024-07-20T09:00:00Z
T2=2024-07-20T09:10:00Z
T3=2024-07-20T16:00:00Z
# Every debtor one day behind gets an SMS and an e-mail at once. (The
# policy language has no YAML aliases: the repeated parts are written by
# the loops.)
all='{mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}'
text='{fr-BI: "{name}: {amount} ({account})", rn-BI: "{name}: {amount} ({account})", pt-BR: "{name}: {amount} ({account})", fr-FR: "{name}: {amount} ({account})", fr-CA: "{name}: {amount} ({account})", uk-UA: "{name}: {amount} ({account})"}'
{
	echo "name: crash-test"
	echo "jurisdictions:"
	for j in BI:Africa/Bujumbura:BIF:fr-BI,rn-BI BR:America/Sao_Paulo:BRL:pt-BR \
		FR:Europe/Paris:EUR:fr-FR QC:America/Toronto:CAD:fr-CA UA:Europe/Kyiv:UAH:uk-UA; do
		IFS=: read -r code zone currency locales <<EOF
$j
EOF
		echo "  $code: {timezone: $zone, currency: $currency, locales: [$locales], contact_windows: $all}"
	done
	echo "templates:"
	echo "  t_sms: {channel: sms, text: $text}"
	echo "  t_email:"
	echo "    channel: email"
	echo '    subject: {fr-BI: "{account}", rn-BI: "{account}", pt-BR: "{account}", fr-FR: "{account}", fr-CA: "{account}", uk-UA: "{account}"}'
	echo "    text: $text"
	echo "strategies:"
	for j in BI:BIF BR:BRL FR:EUR QC:CAD UA:UAH; do
		echo "  - name: remind-${j%%:*}"
		echo "    jurisdictions: [${j%%:*}]"
		echo "    currency: ${j#*:}"
		echo "    stages:"
		echo "      - name: remind"
		echo "        when: {days_past_due: {min: 1}}"
		echo "        actions:"
		echo "          - {do: sms, template: t_sms}"
		echo "          - {do: email, template: t_email}"
	done
} > policy.yaml
expect_status 0 relance policy check policy.yaml

# The data are generated as of T1, so that many accounts are behind then.
expect_status 0 relance --now "$T1" generate data --customers "$CUSTOMERS" --seed 5

# The base: the data and the policy in the lib's RELANCE_DB, never run.
# Every database below is a copy of it, taken while nothing has it open.
expect_status 0 relance init
for kind in customers accounts services invoices payments credit-notes; do
	expect_status 0 relance --now "$T1" import "$kind" "data/$(echo "$kind" | tr - _).csv"
done
expect_status 0 relance policy load policy.yaml
base=$RELANCE_DB

# copy_db NAME: a copy of the base for the current engine, its address on
# stdout.
copy_db() {
	if [ "$RELANCE_TEST_ENGINE" = postgres ]; then
		name="${base##*/}_$1"
		psql -qtA -v ON_ERROR_STOP=1 "${base%/*}/postgres" \
			-c "CREATE DATABASE \"$name\" TEMPLATE \"${base##*/}\"" >/dev/null ||
			fail "cannot copy the base into $name"
		echo "${base%/*}/$name"
	else
		rm -f "$RELANCE_TEST_WORK/$1.db" "$RELANCE_TEST_WORK/$1.db-wal" \
			"$RELANCE_TEST_WORK/$1.db-shm"
		sqlite3 "$base" ".backup '$RELANCE_TEST_WORK/$1.db'" ||
			fail "cannot copy the base into $1.db"
		echo "$RELANCE_TEST_WORK/$1.db"
	fi
}

# lines FILE: its line count, 0 when it does not exist.
lines() { if [ -f "$1" ]; then wc -l < "$1" | tr -d ' '; else echo 0; fi; }

# rows: the outbox rows of RELANCE_DB, read while a cycle may be writing
# (-1 when the database cannot answer right now).
rows() {
	if [ "$RELANCE_TEST_ENGINE" = postgres ]; then
		psql -qtA "$RELANCE_DB" -c "SELECT count(*) FROM outbox" 2>/dev/null || echo -1
	else
		sqlite3 -cmd ".timeout 2000" "$RELANCE_DB" "SELECT count(*) FROM outbox" \
			2>/dev/null || echo -1
	fi
}

# alive PID: the process runs (a finished child stays a zombie until
# waited for, and kill -0 would still find it).
alive() {
	st=Z
	{ read -r _ _ st _ < "/proc/$1/stat"; } 2>/dev/null || true
	[ "$st" != Z ]
}

# check_record FILE: the checks of one finished record file against the
# reference, and of RELANCE_DB's outbox and customer files.
check_record() {
	# (a) No action performed twice.
	jq -r .key "$1" | sort > check.keys
	dups=$(uniq -d check.keys | head -n 5)
	[ -z "$dups" ] || fail "$1: performed twice: $dups"
	# (b) No action lost, and none added: the very keys of the reference,
	# and the very lines but for their instant.
	if ! cmp -s ref.keys check.keys; then
		diff ref.keys check.keys | head -n 20
		fail "$1: the recorded keys differ from the reference's"
	fi
	jq -cS 'del(.at)' "$1" | sort > check.body
	cmp -s ref.body check.body || fail "$1: the recorded actions differ from the reference's"
	# (c) Every line whole, one JSON object with the fields of the record.
	[ "$(jq -c . "$1" | wc -l)" = "$(lines "$1")" ] || fail "$1 has a torn line"
	bad=$(jq -c 'select((.at | type) != "string" or (.channel | type) != "string"
		or (.action | type) != "string" or (.account_id | type) != "string"
		or (.customer_id | type) != "string" or (.policy_version | type) != "number"
		or (.rule | type) != "string" or (.key | type) != "string")' "$1" | head -n 3)
	[ -z "$bad" ] || fail "$1: lines without the record's fields: $bad"
	# The outbox agrees: every row done, as many as in the reference.
	[ "$(db_count "outbox WHERE state <> 'done'")" = 0 ] || fail "$1: rows left undone in the outbox"
	[ "$(db_count "outbox WHERE state = 'done'")" = "$ref_rows" ] ||
		fail "$1: not as many rows done as in the reference"
	# (d) The customer files are intact.
	expect_status 0 relance verify
	# (e) The same cycle again: nothing new.
	count=$(lines "$1")
	expect_status 0 relance --now "$T3" run --json --record "$1"
	expect_grep out.txt '"scheduled":{},"deferred":{},"dropped":{},"performed":{}'
	[ "$(lines "$1")" = "$count" ] || fail "$1: a repeated cycle recorded something"
}

# The reference: one uninterrupted cycle at T1, then one at T2 and one at
# T3, which find nothing more to do (the policy repeats nothing).
RELANCE_DB=$(copy_db ref)
expect_status 0 relance --now "$T1" run --record ref.jsonl
expect_status 0 relance --now "$T2" run --record ref.jsonl
ref_lines=$(lines ref.jsonl)
expect_status 0 relance --now "$T3" run --record ref.jsonl
[ "$(lines ref.jsonl)" = "$ref_lines" ] || fail "the reference's later cycles did something"
[ "$ref_lines" -ge 520 ] || fail "the reference performed only $ref_lines actions"
jq -r .key ref.jsonl | sort > ref.keys
[ -z "$(uniq -d ref.keys)" ] || fail "the reference itself has a key twice"
jq -cS 'del(.at)' ref.jsonl | sort > ref.body
ref_rows=$(db_count "outbox WHERE state = 'done'")
[ "$ref_rows" = "$ref_lines" ] || fail "the reference has $ref_rows rows done for $ref_lines lines"
echo "reference: $ref_lines actions"

# kill_at NOW REC WHAT TARGET: a cycle at NOW recording into REC, killed
# with kill -9 as soon as WHAT (rows: outbox rows; lines: lines of REC)
# reaches TARGET, or left to finish if it ends first. Counts where the kill
# landed: before any line was recorded (deciding, or claiming the first
# rows), or after (performing).
kill_at() {
	before=$(lines "$2")
	rows_before=$(rows)
	# The binary itself, not the shell function: $! must be its pid.
	"$RELANCE_BIN" --now "$1" run --record "$2" >run.out 2>run.err &
	pid=$!
	polls=0
	while alive "$pid"; do
		if [ "$3" = rows ]; then got=$(rows); else got=$(lines "$2"); fi
		[ "$got" -lt "$4" ] || break
		polls=$((polls + 1))
		[ "$polls" -lt 20000 ] || { kill -9 "$pid"; fail "a cycle at $1 never reached $3 $4"; }
		sleep 0.002
	done
	kill -9 "$pid" 2>/dev/null || true
	status=0
	wait "$pid" 2>/dev/null || status=$?
	after=$(lines "$2")
	case $status in
	0) finished=$((finished + 1)); what="finished first" ;;
	137)
		if [ "$after" = "$before" ]; then
			in_decide=$((in_decide + 1)); what="killed before performing"
		else
			in_perform=$((in_perform + 1)); what="killed while performing"
		fi ;;
	*) cat run.out run.err; fail "a cycle at $1 exited $status" ;;
	esac
	echo "  $1, kill at $3 >= $4: $what (rows $rows_before -> $(rows), lines $before -> $after)"
}

in_decide=0
in_perform=0
finished=0
e=0
while [ $((in_decide + in_perform)) -lt "$WANT_KILLS" ] || [ "$in_decide" -lt "$WANT_DECIDE" ] ||
	[ "$in_perform" -lt "$WANT_PERFORM" ]; do
	e=$((e + 1))
	[ "$e" -le "$MAX_EPISODES" ] ||
		fail "$MAX_EPISODES episodes, only $in_decide kills deciding and $in_perform performing"
	RELANCE_DB=$(copy_db "ep$e")
	rec=ep$e.jsonl
	echo "episode $e"
	# Kill points differ from one episode to the next. Two while deciding:
	# run.c commits the decisions 256 accounts at a time, 4 commits here;
	# the first kill comes once the first or the second is in, the next
	# once one more is in, both while a later batch is being decided. Two
	# while performing at T1, after 1 to about 120 lines (within a claim
	# batch), and one at T2, where the rows leased by the killed cycles
	# are claimed again.
	kill_at "$T1" "$rec" rows $((1 + e % 2 * ref_rows / 4))
	kill_at "$T1" "$rec" rows $(($(rows) + 1))
	kill_at "$T1" "$rec" lines $(($(lines "$rec") + 1 + e * 61 % 120))
	kill_at "$T1" "$rec" lines $(($(lines "$rec") + 1 + e * 37 % 120))
	kill_at "$T2" "$rec" lines $(($(lines "$rec") + 1 + e * 83 % 120))
	# Then one cycle at T3, past every lease, performs all that is left
	# (check_record runs another one, which must add nothing).
	expect_status 0 relance --now "$T3" run --record "$rec"
	check_record "$rec"
done
echo "kills: $in_decide before performing, $in_perform while performing, $finished cycles finished first, $e episodes"

# Two cycles started at the same instant on a fresh copy, recording into
# the same file: each action is queued once and performed once.
RELANCE_DB=$(copy_db twin)
"$RELANCE_BIN" --now "$T1" run --record twin.jsonl >twin1.out 2>twin1.err &
pid1=$!
"$RELANCE_BIN" --now "$T1" run --record twin.jsonl >twin2.out 2>twin2.err &
pid2=$!
status1=0
status2=0
wait "$pid1" || status1=$?
wait "$pid2" || status2=$?
[ "$status1$status2" = 00 ] || { cat twin1.err twin2.err; fail "concurrent cycles exited $status1 and $status2"; }
expect_status 0 relance --now "$T2" run --record twin.jsonl
check_record twin.jsonl
echo "crash: $e episodes as the reference; twins: $(lines twin.jsonl) lines"
