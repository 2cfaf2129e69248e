/*
 * Fuzz target: the amount parser, the file form and the currency look-up.
 * Invariants checked beyond "no crash": an amount that parses formats back
 * to text that parses to the same value; one more allowed decimal scales it
 * by ten exactly; the locale form says the same digits as the file form;
 * a known currency is three capital letters with at most four decimals.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/core/money.h"

static const int fuzz_exponents[] = { 0, 1, 2, 3, 4, 18 };

/* Currencies whose locales write ASCII digits, by exponent. */
static const struct {
	const char *currency, *locale;
	int exponent;
} fuzz_display[] = {
	{ "BIF", "fr-BI", 0 },
	{ "EUR", "fr-FR", 2 },
	{ "BRL", "pt-BR", 2 },
	{ "KWD", "en-KW", 3 },
};

/* The ASCII digits of s, leading zeros dropped. */
static void fuzz_digits(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < size; s++)
		if (*s >= '0' && *s <= '9' && !(n == 0 && *s == '0'))
			out[n++] = *s;
	out[n] = '\0';
}

static void fuzz_display_check(int64_t minor, int exponent)
{
	char plain[MONEY_FILE_FORM_MAX], shown[128], a[32], b[32];

	for (size_t i = 0; i < sizeof(fuzz_display) / sizeof(fuzz_display[0]); i++) {
		if (fuzz_display[i].exponent != exponent)
			continue;
		if (money_format(minor, exponent, plain, sizeof(plain)) < 0)
			abort();
		if (money_format_locale(minor, fuzz_display[i].currency, fuzz_display[i].locale,
					shown, sizeof(shown)) < 0)
			abort();
		fuzz_digits(plain, a, sizeof(a));
		fuzz_digits(shown, b, sizeof(b));
		if (strcmp(a, b) != 0)
			abort();
	}
}

static void fuzz_currency(const uint8_t *data, size_t size)
{
	char code[8];
	int exponent = -1;
	size_t n = size < sizeof(code) - 1 ? size : sizeof(code) - 1;

	memcpy(code, data, n);
	code[n] = '\0';
	if (money_currency_exponent(code, &exponent) != MONEY_OK)
		return;
	if (strlen(code) != 3 || exponent < 0 || exponent > 4)
		abort();
	for (int i = 0; i < 3; i++)
		if (code[i] < 'A' || code[i] > 'Z')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	/* Locale formatting costs some microseconds: only on short inputs,
	 * which is where the interesting amounts are anyway. */
	int display = size <= 24;

	fuzz_currency(data, size);
	for (size_t i = 0; i < sizeof(fuzz_exponents) / sizeof(fuzz_exponents[0]); i++) {
		int exponent = fuzz_exponents[i];
		char buf[MONEY_FILE_FORM_MAX];
		int64_t minor = 0, back = 0, scaled = 0;
		int n, rc;

		rc = money_parse(s, size, exponent, &minor);
		if (rc > 0 || rc < MONEY_OVERFLOW || (rc == MONEY_EMPTY) != (size == 0))
			abort();
		if (rc != MONEY_OK)
			continue;
		if (minor == INT64_MIN)
			abort();
		n = money_format(minor, exponent, buf, sizeof(buf));
		if (n <= 0 || (size_t)n != strlen(buf))
			abort();
		if (money_parse(buf, (size_t)n, exponent, &back) != MONEY_OK || back != minor)
			abort();
		/* One more decimal allowed: ten times the minor units, unless
		 * that no longer fits. */
		if (exponent < 18) {
			rc = money_parse(s, size, exponent + 1, &scaled);
			if (rc == MONEY_OK ? scaled / 10 != minor || scaled % 10 != 0
					   : rc != MONEY_OVERFLOW)
				abort();
		}
		if (display)
			fuzz_display_check(minor, exponent);
	}
	return 0;
}
