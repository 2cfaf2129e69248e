/*
 * money: currency exponents from ICU, the strict file form, exact
 * locale formatting.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/money.h"

/* UTF-8 of the spaces ICU puts in amounts. */
#define NBSP "\xc2\xa0"        /* U+00A0 NO-BREAK SPACE */
#define NNBSP "\xe2\x80\xaf"   /* U+202F NARROW NO-BREAK SPACE */

/* money_parse on a heap copy of exactly strlen(s) bytes, no terminator, so
 * that AddressSanitizer catches any read past the end. */
static int parse(const char *s, int exponent, int64_t *minor)
{
	size_t len = strlen(s);
	char *p = malloc(len ? len : 1);
	int rc;

	cr_assert_not_null(p);
	memcpy(p, s, len);
	rc = money_parse(p, len, exponent, minor);
	free(p);
	return rc;
}

static int64_t P(const char *s, int exponent)
{
	int64_t v = 0;
	int rc = parse(s, exponent, &v);

	cr_assert_eq(rc, MONEY_OK, "'%s' (exponent %d): %s", s, exponent, money_strerror(rc));
	return v;
}

static int exponent_of(const char *code)
{
	int e = -1;

	cr_assert_eq(money_currency_exponent(code, &e), MONEY_OK, "%s", code);
	return e;
}

/* The ASCII digits of s, in order: what a formatted amount says. */
static void digits_of(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < size; s++)
		if (*s >= '0' && *s <= '9')
			out[n++] = *s;
	out[n] = '\0';
}

static uint64_t lcg(uint64_t *state)
{
	*state = *state * 6364136223846793005u + 1442695040888963407u;
	return *state >> 11;
}

Test(money, exponents_from_icu)
{
	cr_assert_eq(exponent_of("BIF"), 0);
	cr_assert_eq(exponent_of("UAH"), 2);
	cr_assert_eq(exponent_of("BRL"), 2);
	cr_assert_eq(exponent_of("EUR"), 2);
	cr_assert_eq(exponent_of("CAD"), 2);
	cr_assert_eq(exponent_of("KWD"), 3);
	cr_assert_eq(exponent_of("JPY"), 0);
	cr_assert_eq(exponent_of("USD"), 2);
	cr_assert_eq(exponent_of("BHD"), 3);
	/* Withdrawn currencies still name real historical amounts. */
	cr_assert_eq(exponent_of("FRF"), 2);
	/* Cached: same answer the second time. */
	cr_assert_eq(exponent_of("BIF"), 0);
	cr_assert_eq(exponent_of("KWD"), 3);
}

Test(money, unknown_currencies)
{
	/* ICU answers 2 decimals for any code at all: these must not pass. */
	static const char *const bad[] = {
		"ZZZ", "ABC", "QQQ", "eur", "Eur", "EU", "E", "", "EURO", "EUR ", " EUR",
		"E1R", "123", "XXX", "XTS", "XAU", "EU\xc3\x89", "\xff\xff\xff",
	};
	int e = 99;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(money_currency_exponent(bad[i], &e), MONEY_UNKNOWN_CURRENCY,
			     "'%s'", bad[i]);
	cr_assert_eq(money_currency_exponent(NULL, &e), MONEY_UNKNOWN_CURRENCY);
	cr_assert_eq(e, 99, "exponent untouched on error");
}

Test(money, parse_bif_no_decimals)
{
	int64_t v = 7;

	cr_assert_eq(P("12500", 0), 12500);
	cr_assert_eq(P("0", 0), 0);
	cr_assert_eq(P("-12500", 0), -12500);
	cr_assert_eq(parse("12500.0", 0, &v), MONEY_TOO_PRECISE);
	cr_assert_eq(parse("12500.5", 0, &v), MONEY_TOO_PRECISE);
	cr_assert_eq(parse("12500.", 0, &v), MONEY_SYNTAX);
	cr_assert_eq(v, 7);
}

Test(money, parse_two_decimals)
{
	int64_t v = 7;

	cr_assert_eq(P("1234.56", 2), 123456);
	cr_assert_eq(P("12.5", 2), 1250, "fewer decimals are scaled");
	cr_assert_eq(P("12", 2), 1200);
	cr_assert_eq(P("0.05", 2), 5);
	cr_assert_eq(P("-0.5", 2), -50);
	cr_assert_eq(P("-0", 2), 0);
	cr_assert_eq(P("-0.00", 2), 0);
	cr_assert_eq(P("007.10", 2), 710, "leading zeros are harmless");
	cr_assert_eq(parse("1234.567", 2, &v), MONEY_TOO_PRECISE);
	cr_assert_eq(parse("1234.560", 2, &v), MONEY_TOO_PRECISE, "never rounded, even a zero");
	cr_assert_eq(parse("-0.001", 2, &v), MONEY_TOO_PRECISE);
	cr_assert_eq(v, 7);
}

Test(money, parse_kwd_three_decimals)
{
	int64_t v;

	cr_assert_eq(P("1.234", 3), 1234);
	cr_assert_eq(P("1.2", 3), 1200);
	cr_assert_eq(P("-0.001", 3), -1);
	cr_assert_eq(P("250", 3), 250000);
	cr_assert_eq(parse("1.2345", 3, &v), MONEY_TOO_PRECISE);
}

Test(money, parse_syntax)
{
	static const char *const bad[] = {
		"+1", " 1", "1 ", "1 000", "1" NBSP "000", "1,000.00", "1,5", "1e3", "1E3", "1e-2",
		".5", "5.", "-", "-.5", "--1", "-+1", "1-", "1.2.3", "0x10", "abc", "\t1", "1\n",
		"NaN", "inf", "-inf", "1.5a", "a1.5", "\xd9\xa1\xd9\xa2", "\xef\xbc\x91", "1..2",
		"1.-2", "$1", "1\xe2\x82\xac", "(1)", "1/2", "\342\210\2221",
	};
	int64_t v = 7;

	cr_assert_eq(parse("", 2, &v), MONEY_EMPTY);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i], 2, &v), MONEY_SYNTAX, "'%s'", bad[i]);
		cr_assert_eq(parse(bad[i], 0, &v), MONEY_SYNTAX, "'%s'", bad[i]);
	}
	/* An embedded NUL is just a bad byte: lengths, not terminators. */
	cr_assert_eq(money_parse("1\0" "2", 3, 2, &v), MONEY_SYNTAX);
	cr_assert_eq(money_parse(NULL, 0, 2, &v), MONEY_EMPTY);
	cr_assert_eq(v, 7);
}

Test(money, parse_reads_only_len)
{
	int64_t v;

	cr_assert_eq(money_parse("12345", 3, 0, &v), MONEY_OK);
	cr_assert_eq(v, 123);
	cr_assert_eq(money_parse("1.5x", 3, 2, &v), MONEY_OK);
	cr_assert_eq(v, 150);
	cr_assert_eq(money_parse("1.5x", 2, 2, &v), MONEY_SYNTAX);
}

Test(money, parse_overflow_boundaries)
{
	int64_t v = 7;

	cr_assert_eq(P("9223372036854775807", 0), INT64_MAX);
	cr_assert_eq(P("-9223372036854775807", 0), -INT64_MAX);
	cr_assert_eq(parse("9223372036854775808", 0, &v), MONEY_OVERFLOW);
	cr_assert_eq(parse("-9223372036854775808", 0, &v), MONEY_OVERFLOW,
		     "INT64_MIN is outside the symmetric range");
	cr_assert_eq(parse("18446744073709551616", 0, &v), MONEY_OVERFLOW);
	cr_assert_eq(parse("99999999999999999999999999999", 0, &v), MONEY_OVERFLOW);

	cr_assert_eq(P("92233720368547758.07", 2), INT64_MAX);
	cr_assert_eq(P("-92233720368547758.07", 2), -INT64_MAX);
	cr_assert_eq(parse("92233720368547758.08", 2, &v), MONEY_OVERFLOW);
	cr_assert_eq(parse("-92233720368547758.08", 2, &v), MONEY_OVERFLOW);
	/* The overflow comes from the scaling of missing decimals. */
	cr_assert_eq(P("92233720368547758", 2), 9223372036854775800);
	cr_assert_eq(parse("92233720368547759", 2, &v), MONEY_OVERFLOW);
	cr_assert_eq(parse("92233720368547758.1", 2, &v), MONEY_OVERFLOW);
	cr_assert_eq(P("92233720368547758.0", 2), 9223372036854775800);

	cr_assert_eq(P("9223372036854775.807", 3), INT64_MAX);
	cr_assert_eq(parse("9223372036854775.808", 3, &v), MONEY_OVERFLOW);
	cr_assert_eq(parse("9223372036854776", 3, &v), MONEY_OVERFLOW);

	cr_assert_eq(P("9.223372036854775807", 18), INT64_MAX);
	cr_assert_eq(P("1", 18), 1000000000000000000);
	cr_assert_eq(parse("10", 18, &v), MONEY_OVERFLOW);
	cr_assert_eq(v, 7);

	/* Leading zeros do not count towards the range. */
	cr_assert_eq(P("00000000000000000000000000000092233720368547758.07", 2), INT64_MAX);
	/* Precision is checked before size: the more useful message. */
	cr_assert_eq(parse("99999999999999999999.999", 2, &v), MONEY_TOO_PRECISE);
}

Test(money, format_file_form)
{
	static const struct {
		int64_t minor;
		int exponent;
		const char *text;
	} cases[] = {
		{ 123456, 2, "1234.56" },
		{ 12500, 0, "12500" },
		{ -50, 3, "-0.050" },
		{ 0, 2, "0.00" },
		{ 0, 0, "0" },
		{ 5, 2, "0.05" },
		{ -1, 2, "-0.01" },
		{ 1234, 3, "1.234" },
		{ -12500, 0, "-12500" },
		{ INT64_MAX, 2, "92233720368547758.07" },
		{ -INT64_MAX, 2, "-92233720368547758.07" },
		{ INT64_MIN, 2, "-92233720368547758.08" },
		{ INT64_MIN, 0, "-9223372036854775808" },
		{ INT64_MIN, 18, "-9.223372036854775808" },
		{ 1, 18, "0.000000000000000001" },
	};
	char buf[MONEY_FILE_FORM_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = money_format(cases[i].minor, cases[i].exponent, buf, sizeof(buf));

		cr_assert_str_eq(buf, cases[i].text);
		cr_assert_eq(n, (int)strlen(cases[i].text));
	}
}

Test(money, format_buffer_too_small)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(money_format(123456, 2, buf, 7), MONEY_BUFFER, "7 chars need 8 bytes");
	cr_assert_str_eq(buf, "");
	cr_assert_eq(money_format(123456, 2, buf, 8), 7);
	cr_assert_str_eq(buf, "1234.56");
	cr_assert_eq(money_format(1, 2, NULL, 0), MONEY_BUFFER);
	buf[0] = 'x';
	cr_assert_eq(money_format(1, 2, buf, 0), MONEY_BUFFER);
	cr_assert_eq(buf[0], 'x', "size 0: nothing written");
}

Test(money, format_parse_round_trip)
{
	uint64_t state = 42;
	char buf[MONEY_FILE_FORM_MAX];

	for (int exponent = 0; exponent <= 4; exponent++) {
		for (int i = 0; i < 20000; i++) {
			uint64_t r = lcg(&state);
			/* Mix small amounts with ones spread over the whole range. */
			int64_t v = (int64_t)(i % 2 ? r % 1000000 : (r << 11) >> 1);
			int64_t back = 0;

			if (i % 3 == 0)
				v = -v;
			cr_assert(money_format(v, exponent, buf, sizeof(buf)) > 0);
			cr_assert_eq(money_parse(buf, strlen(buf), exponent, &back), MONEY_OK, "%s", buf);
			cr_assert_eq(back, v, "%s", buf);
		}
	}
	cr_assert_eq(money_format(INT64_MAX, 3, buf, sizeof(buf)), 20);
	cr_assert_eq(P(buf, 3), INT64_MAX);
}

Test(money, strerror)
{
	const int codes[] = { MONEY_EMPTY, MONEY_SYNTAX, MONEY_TOO_PRECISE, MONEY_OVERFLOW,
			      MONEY_UNKNOWN_CURRENCY, MONEY_BUFFER, MONEY_ICU };

	cr_assert_str_eq(money_strerror(MONEY_TOO_PRECISE), "has more decimals than the currency");
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		cr_assert_not_null(money_strerror(codes[i]));
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(money_strerror(codes[i]), money_strerror(codes[j]));
	}
	cr_assert_str_eq(money_strerror(-99), "unknown money error");
	cr_assert_str_eq(money_strerror(5), "unknown money error");
}

/*
 * The exact bytes ICU 72 (CLDR 42) gives. A newer CLDR may change spaces or
 * symbols; the digits and their order never change.
 */
static void check_locale(int64_t minor, const char *cur, const char *loc,
			 const char *want, const char *want_digits)
{
	char buf[128], digits[64];
	int n = money_format_locale(minor, cur, loc, buf, sizeof(buf));

	cr_assert_geq(n, 0, "%s %s: %s", cur, loc, money_strerror(n));
	cr_assert_eq((size_t)n, strlen(buf));
	digits_of(buf, digits, sizeof(digits));
	cr_assert_str_eq(digits, want_digits, "%s %s: '%s'", cur, loc, buf);
	cr_assert_str_eq(buf, want, "%s %s", cur, loc);
}

Test(money, format_locale)
{
	check_locale(123456, "EUR", "fr-FR", "1" NNBSP "234,56" NBSP "\xe2\x82\xac", "123456");
	check_locale(-123456, "EUR", "fr-FR", "-1" NNBSP "234,56" NBSP "\xe2\x82\xac", "123456");
	check_locale(123456, "BRL", "pt-BR", "R$" NBSP "1.234,56", "123456");
	check_locale(123456, "UAH", "uk-UA", "1" NBSP "234,56" NBSP "\xe2\x82\xb4", "123456");
	check_locale(12500, "BIF", "fr-BI", "12" NNBSP "500" NBSP "FBu", "12500");
	check_locale(5, "EUR", "fr-FR", "0,05" NBSP "\xe2\x82\xac", "005");
	check_locale(1234567, "KWD", "en-KW", "KWD" NBSP "1,234.567", "1234567");
	check_locale(123456, "CAD", "en-CA", "$1,234.56", "123456");
	check_locale(123456, "CAD", "fr-CA", "1" NBSP "234,56" NBSP "$", "123456");
}

/* 19 significant digits: exact only because ICU gets a decimal string. */
Test(money, format_locale_is_exact_at_the_limits)
{
	check_locale(INT64_MAX, "EUR", "en-US", "\xe2\x82\xac" "92,233,720,368,547,758.07",
		     "9223372036854775807");
	check_locale(-INT64_MAX, "KWD", "en-US", "-KWD" NBSP "9,223,372,036,854,775.807",
		     "9223372036854775807");
	check_locale(9007199254740993, "BIF", "en-US", "BIF" NBSP "9,007,199,254,740,993",
		     "9007199254740993");
}

Test(money, format_locale_errors)
{
	char buf[64];
	int n;

	cr_assert_eq(money_format_locale(100, "ZZZ", "fr-FR", buf, sizeof(buf)),
		     MONEY_UNKNOWN_CURRENCY);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(money_format_locale(100, "eur", "fr-FR", buf, sizeof(buf)),
		     MONEY_UNKNOWN_CURRENCY);
	cr_assert_eq(money_format_locale(100, "EUR", "not a locale!", buf, sizeof(buf)), MONEY_ICU);
	cr_assert_eq(money_format_locale(100, "EUR", "", buf, sizeof(buf)), MONEY_ICU);
	cr_assert_eq(money_format_locale(100, "EUR", NULL, buf, sizeof(buf)), MONEY_ICU);

	/* "1 234,56 €" is 15 bytes: 16 needed with the NUL. */
	n = money_format_locale(123456, "EUR", "fr-FR", buf, sizeof(buf));
	cr_assert_eq(n, 15);
	cr_assert_eq(money_format_locale(123456, "EUR", "fr-FR", buf, 16), 15);
	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(money_format_locale(123456, "EUR", "fr-FR", buf, 15), MONEY_BUFFER);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(money_format_locale(123456, "EUR", "fr-FR", buf, 1), MONEY_BUFFER);
	cr_assert_eq(money_format_locale(123456, "EUR", "fr-FR", NULL, 0), MONEY_BUFFER);
}
