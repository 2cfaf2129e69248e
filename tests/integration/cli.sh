# The program's surface: help, global options anywhere, exit statuses, bad databases.
. "$TOP/tests/lib/integration.sh"

expect_status 0 relance --help
expect_grep out.txt "export positions"
expect_status 0 relance import --help
expect_grep out.txt "usage: relance import KIND FILE"
expect_status 2 relance
expect_status 2 relance frobnicate
expect_grep err.txt "unknown command 'frobnicate'"

# Before init: a clear message, and no database created by accident.
if [ "$RELANCE_TEST_ENGINE" = sqlite ]; then
	expect_status 2 relance export positions
	expect_grep err.txt "run \`relance init\`"
	[ ! -e "$RELANCE_DB" ] || fail "a read created the database file"
fi
expect_status 0 relance init
expect_grep out.txt "schema created (version 10"
expect_status 0 relance init
expect_grep out.txt "schema is up to date"
# Global options before or after the command.
expect_status 0 relance export positions --db "$RELANCE_DB" --now 2024-07-25T10:00:00Z
expect_status 0 relance --now=2024-07-25 --db="$RELANCE_DB" export positions
expect_status 2 relance --now tomorrow export positions
expect_grep err.txt "--now: 'tomorrow' is not an RFC 3339 instant"
expect_status 2 env RELANCE_NOW=garbage "$RELANCE_BIN" export positions
expect_grep err.txt "RELANCE_NOW: 'garbage'"

# A database newer than this program is refused, untouched.
db_exec "UPDATE schema_version SET version = 99"
expect_status 2 relance export positions
expect_grep err.txt "newer than this relance"
expect_status 2 relance init
expect_grep err.txt "newer than this relance"

# Bad URLs and unreachable servers.
expect_status 2 relance --db mysql://x/y export positions
expect_grep err.txt "unknown database URL scheme"
expect_status 1 relance --db postgresql://relance:s3cret@127.0.0.1:1/none export positions
expect_grep err.txt "127.0.0.1"
if grep -q s3cret err.txt; then fail "the password was printed"; fi
echo "not a database" > text.db
expect_status 2 relance --db text.db export positions
expect_grep err.txt "text.db"
