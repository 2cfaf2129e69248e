# `relance voice prompt`: a text said in each language becomes 8 kHz G.711
# audio of a plausible length, kept in the prompt cache: the same text again
# is read back (the file untouched), another text or law is a new file.
# `relance voice say`: the words an amount or a date becomes. Bad usage
# exits 2 with a message. No database is opened: both engines run the same.
. "$TOP/tests/lib/integration.sh"

field() { sed -n "s/^$1: //p" out.txt; }

# prompt LOCALE TEXT: renders into ./cache; sets FILE, MS, BYTES, CACHE.
prompt() {
	expect_status 0 relance voice prompt --locale "$1" --text "$2" --cache cache
	FILE=$(field file) MS=$(field duration_ms) BYTES=$(field bytes) CACHE=$(field cache)
	[ -s "$FILE" ] || fail "$1: no audio in '$FILE'"
	[ "$(wc -c < "$FILE")" -eq "$BYTES" ] || fail "$1: $FILE is not $BYTES bytes"
	# 8000 one-byte samples a second
	[ "$MS" -eq $((BYTES / 8)) ] || fail "$1: $MS ms for $BYTES bytes"
	[ "$MS" -ge 500 ] && [ "$MS" -le 20000 ] || fail "$1: implausible duration $MS ms"
}

prompt fr-FR "Bonjour. Votre facture de vingt-neuf euros est impayée."
[ "$CACHE" = miss ] || fail "first rendering: cache $CACHE"
expect_line out.txt "voice: fr"
case "$FILE" in cache/*.ul) ;; *) fail "cache file $FILE" ;; esac
fr_file=$FILE fr_ms=$MS

prompt pt-BR "Olá. Sua fatura de cento e vinte e nove reais está em aberto."
[ "$CACHE" = miss ] || fail "pt: cache $CACHE"
expect_line out.txt "voice: pt-br"
prompt en-US "Hello. Your bill of one hundred dollars is overdue."
expect_line out.txt "voice: en-us"

uk_text="Добрий вечір. Заборгованість триста п'ятдесят гривень п'ятдесят копійок."
expect_status 0 relance voice prompt --locale uk-UA --text "$uk_text" --cache cache --out uk.ul
expect_line out.txt "cache: miss"
expect_line out.txt "voice: uk"
uk_file=$(field file)
cmp -s uk.ul "$uk_file" || fail "--out is not the cached audio"
before=$(stat -c %y "$uk_file")
sleep 0.05

# The same words again: read from the cache, the file not rewritten.
expect_status 0 relance voice prompt --locale uk-UA --text "$uk_text" --cache cache
expect_line out.txt "cache: hit"
expect_line out.txt "file: $uk_file"
[ "$(stat -c %y "$uk_file")" = "$before" ] || fail "a cache hit rewrote $uk_file"
# A longer text lasts longer; another text is another file.
prompt uk-UA "$uk_text Будь ласка, сплатіть її найближчим часом. Дякуємо."
[ "$CACHE" = miss ] || fail "another text: cache $CACHE"
[ "$FILE" != "$uk_file" ] || fail "two texts share $FILE"
[ "$BYTES" -gt "$(wc -c < "$uk_file")" ] || fail "the longer text is not longer"
# Another law, another file.
expect_status 0 relance voice prompt --locale fr-FR --law a --cache cache \
	--text "Bonjour. Votre facture de vingt-neuf euros est impayée."
expect_line out.txt "cache: miss"
case "$(field file)" in cache/*.al) ;; *) fail "A-law file $(field file)" ;; esac
[ "$(ls cache | wc -l)" -eq 6 ] || { ls -la cache; fail "expected 6 files in the cache"; }
[ -z "$(ls -A cache | grep '^\.tmp')" ] || fail "temporary files left in the cache"
[ "$(stat -c %a cache)" = 700 ] || fail "the cache folder is not private"

# Without --cache: voice-cache beside the SQLite database, or in the
# current folder for PostgreSQL; here both are this test's folder.
expect_status 0 relance voice prompt --locale fr-FR --text "Merci."
case "$(field file)" in "$RELANCE_TEST_WORK"/voice-cache/*.ul | voice-cache/*.ul) ;;
	*) fail "default cache: $(field file)" ;; esac
[ -s "$(field file)" ] || fail "no default cache file"

# The operations file chooses voices per locale.
cat > relance.conf <<'YAML'
channels:
  voice:
    adapter: sip
    proxy: 127.0.0.1
    voices:
      fr-BE: fr-be
      pt-PT: no-such-voice
YAML
expect_status 0 relance voice prompt --locale fr-BE --text "Septante euros." --cache cache
expect_line out.txt "voice: fr-be"
expect_status 2 relance voice prompt --locale pt-PT --text "Olá." --cache cache
expect_line err.txt "relance: espeak-ng has no voice 'no-such-voice'"
rm relance.conf

# What an amount and a date become, as a call says them.
say() {
	expect_status 0 relance voice say "$@"
}
say --locale pt-BR --amount 129.90 --currency BRL
expect_line out.txt "cento e vinte e nove reais e noventa centavos"
say --locale fr-BI --amount 12500 --currency BIF --date 2024-07-24
expect_line out.txt "douze mille cinq cents francs burundais"
expect_line out.txt "24 juillet 2024"
say --locale uk-UA --amount 350.50 --currency UAH --date 2024-08-01
expect_line out.txt "триста п'ятдесят гривень п'ятдесят копійок"
expect_line out.txt "першого серпня дві тисячі двадцять четвертого року"
say --locale uk-UA --amount 21.01 --currency UAH --accusative
expect_line out.txt "двадцять одну гривню одну копійку"
say --locale fr-CA --amount 85.50 --currency CAD
expect_line out.txt "quatre-vingt-cinq dollars et cinquante cennes"
say --locale en-US --amount 1000000 --currency USD --date 2024-08-01
expect_line out.txt "one million dollars"
expect_line out.txt "August 1st, 2024"
say --locale de-DE --amount 1 --currency EUR
expect_line out.txt "one euro"

# Bad usage: exit 2, one clear line.
expect_status 2 relance voice prompt --text "Bonjour"
expect_grep err.txt "--locale and --text are required"
expect_status 2 relance voice prompt --locale fr-FR
expect_grep err.txt "--locale and --text are required"
expect_status 2 relance voice prompt --locale fr-FR --text "Bonjour" --law x --cache cache
expect_line err.txt "relance: --law must be mu or a, not 'x'"
expect_status 2 relance voice prompt --locale fr-FR --text "   " --cache cache
expect_line err.txt "relance: the text is empty"
expect_status 2 relance voice prompt --locale "fr FR" --text "Bonjour" --cache cache
expect_grep err.txt "is not a BCP 47 locale"
expect_status 2 relance voice prompt --locale fr-FR --text "Bonjour" --loud
expect_grep err.txt "unexpected argument '--loud'"
expect_status 2 relance voice prompt --locale fr-FR --text
expect_line err.txt "relance: --text needs a value"
expect_status 2 relance voice say --amount 10 --currency EUR
expect_grep err.txt "--locale is required"
expect_status 2 relance voice say --locale fr-FR
expect_grep err.txt "give --amount (with --currency) or --date"
expect_status 2 relance voice say --locale fr-FR --amount 10
expect_grep err.txt "--amount and --currency go together"
expect_status 2 relance voice say --locale fr-FR --amount 10 --currency GBP
expect_line err.txt "relance: GBP has no spoken words yet (known: BIF BRL CAD EUR UAH USD)"
expect_status 2 relance voice say --locale pt-BR --amount 1.234 --currency BRL
expect_grep err.txt "--amount '1.234'"
expect_status 2 relance voice say --locale fr-FR --amount 10 --currency EURO
expect_grep err.txt "--currency 'EURO'"
expect_status 2 relance voice say --locale fr-FR --date 2024-02-30
expect_line err.txt "relance: --date '2024-02-30' is not a date (YYYY-MM-DD)"
expect_status 2 relance voice say --locale "fr FR" --date 2024-02-03
expect_grep err.txt "is not a BCP 47 locale"
echo "fr $fr_file $fr_ms ms"
