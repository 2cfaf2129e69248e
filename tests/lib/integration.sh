# Sourced by every integration test. Each test runs once per engine
# (RELANCE_TEST_ENGINE=sqlite|postgres) in its own folder RELANCE_TEST_WORK,
# with a fresh database in RELANCE_DB.
set -eu
: "${RELANCE_BIN:?run through tests/run}"
mkdir -p "$RELANCE_TEST_WORK"
cd "$RELANCE_TEST_WORK"
if [ "$RELANCE_TEST_ENGINE" = postgres ]; then
	RELANCE_DB=$("$TOP/scripts/pg-test-server" createdb "$RELANCE_TEST_PG_DIR" \
		"t_$(basename "$RELANCE_TEST_WORK" | tr -c 'a-z0-9\n' '_')_$$")
else
	RELANCE_DB="$RELANCE_TEST_WORK/relance.db"
	rm -f "$RELANCE_DB"
fi
export RELANCE_DB
unset RELANCE_NOW RELANCE_CONFIG

relance() { "$RELANCE_BIN" "$@"; }

fail() { echo "FAILED: $*" >&2; exit 1; }

# expect_status N CMD...: runs CMD, keeps stdout in out.txt and stderr in
# err.txt, and fails unless it exits with N.
expect_status() {
	want=$1
	shift
	set +e
	"$@" >out.txt 2>err.txt
	got=$?
	set -e
	if [ "$got" != "$want" ]; then
		echo "--- stdout"; cat out.txt; echo "--- stderr"; cat err.txt
		fail "'$*' exited $got, expected $want"
	fi
}

# expect_line FILE TEXT: FILE has a line equal to TEXT.
expect_line() {
	grep -qxF -- "$2" "$1" || { echo "--- $1"; cat "$1"; fail "no line '$2' in $1"; }
}

# expect_grep FILE PATTERN: FILE matches the fixed string PATTERN somewhere.
expect_grep() {
	grep -qF -- "$2" "$1" || { echo "--- $1"; cat "$1"; fail "'$2' not in $1"; }
}

# A row count straight from the database, for "nothing was stored" checks.
db_count() {
	if [ "$RELANCE_TEST_ENGINE" = postgres ]; then
		psql -qtA "$RELANCE_DB" -c "SELECT count(*) FROM $1"
	else
		sqlite3 "$RELANCE_DB" "SELECT count(*) FROM $1"
	fi
}

db_exec() {
	if [ "$RELANCE_TEST_ENGINE" = postgres ]; then
		psql -qtA -v ON_ERROR_STOP=1 "$RELANCE_DB" -c "$1"
	else
		sqlite3 "$RELANCE_DB" "$1"
	fi
}

# start_peer NAME CMD...: starts a protocol peer (tests/peers/) in the
# background; it prints the port it listens on as its first line, which
# start_peer waits for (10 s at most) and puts in PEER_PORT. The peer's
# output is in NAME.out and its errors in NAME.err; every peer is stopped
# when the test ends.
PEER_PIDS=""
stop_peers() {
	for pid in $PEER_PIDS; do kill "$pid" 2>/dev/null || true; done
	for pid in $PEER_PIDS; do wait "$pid" 2>/dev/null || true; done
	PEER_PIDS=""
}
trap stop_peers EXIT
start_peer() {
	name=$1
	shift
	rm -f "$name.out"
	"$@" >"$name.out" 2>"$name.err" &
	PEER_PIDS="$PEER_PIDS $!"
	eval "PID_$name=$!"
	tries=0
	until grep -q . "$name.out" 2>/dev/null; do
		tries=$((tries + 1))
		[ "$tries" -le 100 ] || { cat "$name.err" >&2; fail "peer $name did not start"; }
		sleep 0.1
	done
	PEER_PORT=$(head -n 1 "$name.out")
}

# wait_for SECONDS CMD...: runs CMD every tenth of a second until it
# succeeds; fails after SECONDS.
wait_for() {
	limit=$(($1 * 10))
	shift
	tries=0
	until "$@" >/dev/null 2>&1; do
		tries=$((tries + 1))
		[ "$tries" -le "$limit" ] || fail "timed out waiting for: $*"
		sleep 0.1
	done
}

# start_serve ARGS...: runs `relance ARGS...` (global options, then `serve`
# and its options; add --listen 127.0.0.1:0) in the background, waits for
# its "listening on" line, and sets URL (http://127.0.0.1:PORT) and SERVE
# (its pid, stopped with the peers at the end). Output: serve.out, serve.err.
start_serve() {
	rm -f serve.out
	"$RELANCE_BIN" "$@" >serve.out 2>serve.err &
	SERVE=$!
	PEER_PIDS="$PEER_PIDS $SERVE"
	wait_for 10 grep -q "listening on" serve.out
	URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' serve.out)
}

# keep_answer METHOD PATH: keeps the answer in status.txt, body.txt and
# type.txt (curl's %{content_type}) under answers/, for check_answers.
ANSWERS=0
keep_answer() {
	ANSWERS=$((ANSWERS + 1))
	mkdir -p answers
	printf '%s %s %s %s\n' "$1" "$2" "$(cat status.txt)" "$(cat type.txt 2>/dev/null)" \
		> "answers/$ANSWERS.meta"
	cp body.txt "answers/$ANSWERS.body"
}

# check_answers: every answer kept matches docs/openapi.yaml: its route,
# its status among the documented ones, its body valid against the schema.
check_answers() {
	node "$TOP/tests/lib/openapi_check.js" "$TOP/docs/openapi.yaml" answers > openapi.txt ||
		{ cat openapi.txt; fail "answers differ from docs/openapi.yaml"; }
}
