# Users and API tokens from the command line (docs/roles.md):
#   - staff users get their password from standard input only, checked for
#     length, stored as an argon2id hash; portal and API users have none;
#   - refusals exit 2 with the reason, store nothing and never quote the
#     password;
#   - `token add` prints the token alone, once; the database holds only its
#     hash: neither a password nor a token can be found in a copy of it;
#   - passwd, disable and revoke change what they say.
. "$TOP/tests/lib/integration.sh"

# Hash at the MIN cost: the suite adds a few users, not a few hundred MiB.
export RELANCE_PWHASH_FAST=1
export RELANCE_NOW=2024-07-25T10:00:00Z

cat > customers.csv <<'CSV'
customer_id,name,locale,timezone,jurisdiction,phone,email,segment
C-FR-1,Marie Dupont,fr-FR,Europe/Paris,FR,+33612345678,marie@example.fr,residential
CSV
expect_status 0 relance init
expect_status 0 relance import customers customers.csv

users() { db_count users; }
PW1='Correct-Horse-Battery-1'
PW2='Second passphrase, rather long'

# ---- staff -----------------------------------------------------------------------------
echo "$PW1" > pw1.txt
expect_status 0 relance user add ana --role agent --password-stdin < pw1.txt
expect_line out.txt "user ana added: staff, agent"
hash=$(db_exec "SELECT password_hash FROM users WHERE name = 'ana'")
case "$hash" in '$argon2id$v=19$'*) ;; *) fail "ana's password hash is '$hash'" ;; esac
# "\r\n" line ends are taken off too.
printf '%s\r\n' "$PW1" | expect_status 0 relance user add sam --role supervisor --password-stdin
expect_status 0 relance user add max --role manager --password-stdin < pw1.txt
expect_status 0 relance user add root --role administrator --password-stdin < pw1.txt
[ "$(users)" = 4 ] || fail "$(users) users, expected 4"

# Refusals: nothing stored, and the password never in a message.
expect_status 2 relance user add bob --role agent --password "$PW1"
expect_grep err.txt "passwords are never given on the command line"
expect_status 2 relance user add bob --role agent "--password=$PW1"
expect_grep err.txt "use --password-stdin"
if grep -qF -- "$PW1" err.txt out.txt; then fail "a refusal quoted the password"; fi
expect_status 2 relance user add bob --role agent < pw1.txt
expect_grep err.txt "a staff user needs a password: use --password-stdin"
echo "too-short" | expect_status 2 relance user add bob --role agent --password-stdin
expect_line err.txt "relance: the password is shorter than 10 bytes"
if grep -qF "too-short" err.txt; then fail "the refusal quoted the password"; fi
head -c 1100 /dev/zero | tr '\0' 'x' | expect_status 2 relance user add bob --role agent \
	--password-stdin
expect_line err.txt "relance: the password is longer than 1024 bytes"
expect_status 2 relance user add bob --role agent --password-stdin < /dev/null
expect_line err.txt "relance: no password on standard input"
expect_status 2 relance user add bob --role boss --password-stdin < pw1.txt
expect_grep err.txt "unknown role 'boss' (agent, supervisor, manager or administrator)"
expect_status 2 relance user add ana --role manager --password-stdin < pw1.txt
expect_line err.txt "relance: user ana exists"
expect_status 2 relance user add "bob smith" --role agent --password-stdin < pw1.txt
expect_grep err.txt "no spaces or control characters"
expect_status 2 relance user add bob --role agent --api --password-stdin < pw1.txt
expect_grep err.txt "one of --role, --customer or --api"
expect_status 2 relance user add bob
expect_grep err.txt "one of --role, --customer or --api"
[ "$(users)" = 4 ] || fail "a refused user was stored"

# ---- portal and API users ------------------------------------------------------------------
expect_status 0 relance user add marie --customer C-FR-1
expect_line out.txt "user marie added: customer C-FR-1"
expect_status 2 relance user add pierre --customer C-NOPE
expect_line err.txt "relance: user pierre: no customer C-NOPE"
expect_status 2 relance user add pierre --customer C-FR-1 --password-stdin < pw1.txt
expect_grep err.txt "customer users have no password"
expect_status 0 relance user add crm --api
expect_line out.txt "user crm added: api"
expect_status 2 relance user add erp --api --password-stdin < pw1.txt
expect_grep err.txt "API users have no password"
[ "$(users)" = 6 ] || fail "$(users) users, expected 6"
[ "$(db_exec "SELECT password_hash FROM users WHERE name IN ('marie', 'crm')" | tr -d '\n')" = "" ] ||
	fail "a portal or API user has a password hash"

# ---- passwd ----------------------------------------------------------------------------------
echo "$PW2" | expect_status 0 relance user passwd ana --password-stdin
expect_line out.txt "user ana: password changed"
[ "$(db_exec "SELECT password_hash FROM users WHERE name = 'ana'")" != "$hash" ] ||
	fail "the password hash did not change"
expect_status 2 relance user passwd ana < pw1.txt
expect_grep err.txt "use --password-stdin"
echo "$PW2" | expect_status 2 relance user passwd crm --password-stdin
expect_grep err.txt "user crm has no password"
echo "$PW2" | expect_status 2 relance user passwd nobody --password-stdin
expect_line err.txt "relance: no user nobody"
echo "short" | expect_status 2 relance user passwd ana --password-stdin
expect_line err.txt "relance: the password is shorter than 10 bytes"

# ---- tokens ------------------------------------------------------------------------------------
expect_status 0 relance token add crm --scopes "ledger:write  positions:read"
[ "$(wc -l < out.txt)" = 1 ] || fail "token add printed more than the token"
token=$(cat out.txt)
echo "$token" | grep -qE '^rl_[A-Za-z0-9_-]{43}$' || fail "'$token' is not a token"
expect_grep err.txt "token 1 for crm (positions:read ledger:write)"
if grep -qF -- "$token" err.txt; then fail "the token went to standard error too"; fi
[ "$(db_exec "SELECT scopes FROM api_tokens WHERE token_key = 1")" = \
  "positions:read ledger:write" ] || fail "scopes not stored in order"
[ "$(db_exec "SELECT length(hash) FROM api_tokens WHERE token_key = 1")" = 32 ] ||
	fail "the stored token hash is not 32 bytes"
expect_status 0 relance token add root --scopes admin
token2=$(cat out.txt)
[ "$token2" != "$token" ] || fail "two tokens are the same"
expect_status 2 relance token add crm --scopes "ledger:delete"
expect_grep err.txt "scope 'ledger:delete' is unknown or repeated"
expect_status 2 relance token add crm --scopes "admin admin"
expect_grep err.txt "scope 'admin' is unknown or repeated"
expect_status 2 relance token add crm --scopes " "
expect_grep err.txt "no scope given"
expect_status 2 relance token add crm
expect_grep err.txt "--scopes is required"
expect_status 2 relance token add marie --scopes positions:read
expect_grep err.txt "user marie is a customer"
expect_status 2 relance token add nobody --scopes positions:read
expect_line err.txt "relance: no user nobody"
[ "$(db_count api_tokens)" = 2 ] || fail "a refused token was stored"

# Neither the passwords nor the tokens are anywhere in the database.
if [ "$RELANCE_TEST_ENGINE" = postgres ]; then
	pg_dump "$RELANCE_DB" > dump.txt
else
	cat "$RELANCE_DB"* > dump.txt
fi
expect_grep dump.txt "C-FR-1"   # the dump does hold the data
for secret in "$PW1" "$PW2" "$token" "$token2" "${token#rl_}"; do
	if grep -aqF -- "$secret" dump.txt; then fail "a secret is stored in the clear"; fi
done

# ---- disable and revoke -----------------------------------------------------------------------
expect_status 0 relance token revoke 1
expect_line out.txt "token 1 revoked"
[ -n "$(db_exec "SELECT revoked_at FROM api_tokens WHERE token_key = 1")" ] ||
	fail "token 1 has no revocation instant"
[ -z "$(db_exec "SELECT revoked_at FROM api_tokens WHERE token_key = 2")" ] ||
	fail "token 2 was revoked too"
expect_status 0 relance token revoke 1
expect_status 2 relance token revoke 99
expect_line err.txt "relance: no token 99"
expect_status 2 relance token revoke abc
expect_grep err.txt "KEY 'abc' is not a token number"
expect_status 0 relance user disable root
expect_line out.txt "user root disabled, and every token of theirs"
[ "$(db_exec "SELECT disabled_at FROM users WHERE name = 'root'")" = 1721901600 ] ||
	fail "root is not disabled at --now"
expect_status 0 relance --now 2024-07-26T10:00:00Z user disable root
[ "$(db_exec "SELECT disabled_at FROM users WHERE name = 'root'")" = 1721901600 ] ||
	fail "disabling twice moved the instant"
expect_status 2 relance token add root --scopes admin
expect_grep err.txt "user root is disabled"
expect_status 2 relance user disable nobody
expect_line err.txt "relance: no user nobody"
[ "$(users)" = 6 ] || fail "users were removed"

expect_status 0 relance user add --help
expect_grep out.txt "usage: relance user add NAME"
expect_status 0 relance --help
expect_grep out.txt "token revoke"
