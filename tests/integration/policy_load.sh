# `relance policy load / show / list`: a database of schema version 1 is
# migrated by `relance init`; each valid policy becomes the next version and
# reads back byte for byte; a broken one is refused and stores nothing.
. "$TOP/tests/lib/integration.sh"

# The first release's schema, as its script left it: `init` migrates it.
v1="$TOP/src/store/migrations/$RELANCE_TEST_ENGINE/001_init.sql"
if [ "$RELANCE_TEST_ENGINE" = postgres ]; then
	psql -qtA -v ON_ERROR_STOP=1 "$RELANCE_DB" -f "$v1" >/dev/null
else
	sqlite3 "$RELANCE_DB" < "$v1"
fi
expect_status 2 relance policy list
expect_grep err.txt "older than this relance"
expect_status 0 relance init
expect_grep out.txt "schema migrated from version 1 to 10"

expect_status 2 relance policy show
expect_line err.txt "relance: no policy loaded yet"
expect_status 0 relance policy list
[ ! -s out.txt ] || fail "policy list printed something with no policy loaded"

n=0
for f in burundi-mobile brazil-isp france-isp ukraine-water quebec-telecom; do
	n=$((n + 1))
	cp "$TOP/examples/policies/$f.yaml" "$f.yaml"
	expect_status 0 relance --now "2024-07-0${n}T10:00:00Z" policy load "$f.yaml"
	expect_line out.txt "$f.yaml: loaded as policy version $n"
done

relance policy show 3 > shown.yaml
cmp shown.yaml france-isp.yaml || fail "policy show 3 is not france-isp.yaml"
relance policy show > latest.yaml
cmp latest.yaml quebec-telecom.yaml || fail "policy show is not the latest version"
relance policy show 1 > first.yaml
cmp first.yaml burundi-mobile.yaml || fail "policy show 1 is not burundi-mobile.yaml"

expect_status 0 relance policy list
[ "$(wc -l < out.txt)" -eq 5 ] || { cat out.txt; fail "policy list: not 5 lines"; }
expect_line out.txt "1 2024-07-01T10:00:00Z burundi-mobile.yaml $(wc -c < burundi-mobile.yaml) bytes"
expect_line out.txt "5 2024-07-05T10:00:00Z quebec-telecom.yaml $(wc -c < quebec-telecom.yaml) bytes"

# A broken copy: every problem reported, exit 2, nothing stored.
sed -e 's/deadline: 2024-07-24/deadline: 2024-07-32/' burundi-mobile.yaml > broken.yaml
expect_status 2 relance policy load broken.yaml
expect_line err.txt "broken.yaml:67:15: deadline: '2024-07-32' is not a date (YYYY-MM-DD)"
[ ! -s out.txt ] || fail "a refused load printed on stdout"
printf 'name: x\njurisdictions:\n  FR: {timezone: Europe/Paris\n' > syntax.yaml
expect_status 2 relance policy load syntax.yaml
expect_grep err.txt "syntax.yaml:4:1: YAML:"
expect_status 2 relance policy load does-not-exist.yaml
[ "$(db_count policies)" -eq 5 ] || fail "a refused policy was stored"
expect_status 0 relance policy list
[ "$(wc -l < out.txt)" -eq 5 ] || { cat out.txt; fail "policy list: not 5 lines after refusals"; }
relance policy show > latest.yaml
cmp latest.yaml quebec-telecom.yaml || fail "a refused load changed the version in force"

# Unknown and malformed versions, bad usage.
expect_status 2 relance policy show 99
expect_line err.txt "relance: no policy version 99"
expect_status 2 relance policy show 0
expect_status 2 relance policy show 3x
expect_status 2 relance policy load
expect_status 2 relance policy list extra

# A version's text never changes, even through SQL.
if db_exec "UPDATE policies SET body = 'name: x' WHERE version = 3" >/dev/null 2>&1; then
	fail "UPDATE of a stored policy succeeded"
fi
relance policy show 3 > shown.yaml
cmp shown.yaml france-isp.yaml || fail "policy 3 changed"
