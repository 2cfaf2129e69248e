# The disk of a SQLite deployment fills during an import: the import fails
# whole, exit 1, with a message naming the database and saying the disk is
# full; nothing of the file is stored, no half import is recorded, and the
# database stays usable (summary, verify, integrity_check, a small import,
# and the same big import once there is room again).
#
# A full disk is a limit on the size of the files the import may write
# (ulimit -f, with SIGXFSZ ignored so that write() fails with EFBIG); the
# limit applies to the database, its WAL and its -shm alike.
#
# This fault is about SQLite deployments: under the postgres engine the test
# runs the same on its own SQLite file.
. "$TOP/tests/lib/integration.sh"
. "$TOP/tests/lib/fixtures.sh"

RELANCE_DB="$RELANCE_TEST_WORK/disk_full.db"
rm -f "$RELANCE_DB" "$RELANCE_DB-wal" "$RELANCE_DB-shm"
export RELANCE_DB
RELANCE_TEST_ENGINE=sqlite

write_fixtures
expect_status 0 relance init
import_fixtures

# invoices, positions, imports: before, after, and the rows of the last import.
counts() {
	sqlite3 "$RELANCE_DB" "SELECT (SELECT count(*) FROM invoices) || ' ' ||
		(SELECT count(*) FROM positions) || ' ' || (SELECT count(*) FROM imports)"
}

# 40,000 new invoices over the fixtures' accounts (about 4 MB in the database).
ROWS=40000
awk -v n="$ROWS" 'BEGIN {
	print "invoice_id,account_id,amount,issued_on,due_on"
	split("A-BR-1 A-FR-1 A-UA-1 A-QC-1", acc, " ")
	for (i = 1; i <= n; i++)
		printf "I-BIG-%06d,%s,1.%02d,2024-08-01,2024-08-31\n", i, acc[i % 4 + 1], i % 100
}' > big.csv

before=$(counts)
# The database as it is fits, with 64 KiB to spare for the WAL and -shm (the
# -shm alone is 32 KiB); the big import does not. ulimit -f counts 512-byte
# blocks in dash and bash alike.
size=$(stat -c %s "$RELANCE_DB")
[ "$size" -lt 2000000 ] || fail "database unexpectedly large ($size bytes) for the limit"
blocks=$(( (size + 65536) / 512 + 1 ))

set +e
( trap '' XFSZ; ulimit -f "$blocks"; exec "$RELANCE_BIN" import invoices big.csv ) \
	>full.out 2>full.err
status=$?
set -e
echo "--- full disk: exit $status"; cat full.err
[ "$status" = 1 ] || fail "import on a full disk exited $status, expected 1"
expect_grep full.err "$RELANCE_DB"
grep -qi "disk full\|disk is full" full.err || fail "stderr does not say the disk is full"
expect_line full.err "big.csv: nothing imported"
# One clear line and the outcome, no more: no crash report, no trace.
[ "$(wc -l < full.err)" = 2 ] || fail "unexpected output on stderr"

# Nothing stored, no import recorded.
after=$(counts)
[ "$after" = "$before" ] || fail "counts changed on a failed import: '$before' -> '$after'"
[ "$(sqlite3 "$RELANCE_DB" "SELECT count(*) FROM invoices WHERE invoice_id LIKE 'I-BIG-%'")" = 0 ] ||
	fail "rows of the failed import were stored"
[ "$(sqlite3 "$RELANCE_DB" "SELECT count(*) FROM imports WHERE source = 'big.csv' OR row_count IS NULL")" = 0 ] ||
	fail "a half import is recorded"

# Usable without the limit.
[ "$(sqlite3 "$RELANCE_DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
expect_status 0 relance summary
expect_status 0 relance verify
printf 'invoice_id,account_id,amount,issued_on,due_on\nI-SMALL-1,A-FR-1,3.00,2024-08-01,2024-08-31\nI-SMALL-2,A-UA-1,4.00,2024-08-01,2024-08-31\n' > small.csv
expect_status 0 relance import invoices small.csv
expect_line err.txt "small.csv: 2 invoices rows: 2 new, 0 unchanged, 0 updated"
set -- $before
inv=$1 pos=$2 imp=$3
[ "$(counts)" = "$((inv + 2)) $pos $((imp + 1))" ] || fail "small import: $(counts)"

# With room again, the same file lands whole.
expect_status 0 relance import invoices big.csv
expect_line err.txt "big.csv: $ROWS invoices rows: $ROWS new, 0 unchanged, 0 updated"
[ "$(counts)" = "$((inv + 2 + ROWS)) $pos $((imp + 2))" ] || fail "big import: $(counts)"
[ "$(sqlite3 "$RELANCE_DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after"
expect_status 0 relance verify
