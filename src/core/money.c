/*
 * money — parsing, printing and locale formatting of integer minor units.
 *
 * Everything here is integer arithmetic on int64_t / uint64_t. ICU is asked
 * for two things only: which codes are currencies and how many decimals each
 * has (once per code, then cached), and the display form of an amount, which
 * it receives as a decimal string so that no digit is ever approximated.
 */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unicode/ucurr.h>
#include <unicode/uenum.h>
#include <unicode/uloc.h>
#include <unicode/unum.h>
#include <unicode/ustring.h>

#include "money.h"

/* 10^18 is the largest power of ten in int64_t: no currency has more
 * decimals than that (ICU's maximum is 4). */
#define MONEY_EXPONENT_MAX 18

/*
 * The currency table: one byte per three-letter code ("AAA".."ZZZ", 17576
 * entries), filled on first use from ICU's list of common ISO 4217 codes,
 * current and withdrawn. Funds codes, precious metals, XTS and XXX are ICU's
 * "uncommon" codes: no account is kept in them, so they are unknown here.
 * Each entry holds the exponent, or MONEY_NOT_CURRENCY.
 */
#define MONEY_CODES (26 * 26 * 26)
#define MONEY_NOT_CURRENCY (-1)
static signed char money_table[MONEY_CODES];
static int money_table_loaded;     /* read and set atomically */
static pthread_mutex_t money_table_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const money_errors[] = {
	[-MONEY_OK] = "ok",
	[-MONEY_EMPTY] = "is empty",
	[-MONEY_SYNTAX] = "is not a decimal amount like 1234.56",
	[-MONEY_TOO_PRECISE] = "has more decimals than the currency",
	[-MONEY_OVERFLOW] = "is too large",
	[-MONEY_UNKNOWN_CURRENCY] = "is not a known ISO 4217 currency",
	[-MONEY_BUFFER] = "does not fit the output buffer",
	[-MONEY_ICU] = "could not be formatted by ICU",
};

const char *money_strerror(int err)
{
	if (err > 0 || -err >= (int)(sizeof(money_errors) / sizeof(money_errors[0])))
		return "unknown money error";
	return money_errors[-err];
}

/* Index of an upper-case three-letter code in money_table, or -1. */
static int money_code_index(const char *code)
{
	int idx = 0;

	for (int i = 0; i < 3; i++) {
		if (code[i] < 'A' || code[i] > 'Z')
			return -1;
		idx = idx * 26 + (code[i] - 'A');
	}
	if (code[3] != '\0')
		return -1;
	return idx;
}

static int money_table_load(void)
{
	UErrorCode st = U_ZERO_ERROR;
	UEnumeration *codes = NULL;
	const char *code;
	int rc = MONEY_ICU;

	memset(money_table, MONEY_NOT_CURRENCY, sizeof(money_table));
	codes = ucurr_openISOCurrencies(UCURR_COMMON, &st);
	if (U_FAILURE(st))
		goto out;
	while ((code = uenum_next(codes, NULL, &st)) != NULL && U_SUCCESS(st)) {
		UChar ucode[4];
		int idx = money_code_index(code);
		int32_t digits;

		if (idx < 0)
			continue;
		u_charsToUChars(code, ucode, 4);
		digits = ucurr_getDefaultFractionDigits(ucode, &st);
		if (U_FAILURE(st))
			goto out;
		if (digits < 0 || digits > MONEY_EXPONENT_MAX)
			continue;
		money_table[idx] = (signed char)digits;
	}
	if (U_FAILURE(st))
		goto out;
	__atomic_store_n(&money_table_loaded, 1, __ATOMIC_RELEASE);
	rc = MONEY_OK;
out:
	uenum_close(codes);
	return rc;
}

int money_currency_exponent(const char *code, int *exponent)
{
	int idx, rc;

	assert(exponent != NULL);
	if (code == NULL)
		return MONEY_UNKNOWN_CURRENCY;
	/* Checked before the length: strlen is not needed, code[3] is read
	 * only when the first three are letters. */
	idx = money_code_index(code);
	if (idx < 0)
		return MONEY_UNKNOWN_CURRENCY;
	/* Loaded once, by whichever thread comes first; the others wait. */
	if (!__atomic_load_n(&money_table_loaded, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&money_table_lock);
		rc = __atomic_load_n(&money_table_loaded, __ATOMIC_ACQUIRE) ? MONEY_OK :
			money_table_load();
		pthread_mutex_unlock(&money_table_lock);
		if (rc != MONEY_OK)
			return rc;
	}
	if (money_table[idx] == MONEY_NOT_CURRENCY)
		return MONEY_UNKNOWN_CURRENCY;
	*exponent = money_table[idx];
	return MONEY_OK;
}

/*
 * Grammar: "-"? DIGIT+ ("." DIGIT+)?. The syntax is checked on the whole
 * string before the value, so that "1e5" is a syntax error whatever its
 * length. The magnitude is built in uint64_t and kept <= INT64_MAX at every
 * step (digits, then the scaling by the missing decimals), so both signs
 * have the same range and negation cannot overflow.
 */
int money_parse(const char *s, size_t len, int exponent, int64_t *minor)
{
	const uint64_t limit = INT64_MAX;
	size_t i = 0, int_digits = 0, frac_digits = 0;
	int negative = 0;
	uint64_t v = 0;

	assert(s != NULL || len == 0);
	assert(minor != NULL);
	assert(exponent >= 0 && exponent <= MONEY_EXPONENT_MAX);
	if (len == 0)
		return MONEY_EMPTY;
	if (s[0] == '-') {
		negative = 1;
		i = 1;
	}
	while (i + int_digits < len && s[i + int_digits] >= '0' && s[i + int_digits] <= '9')
		int_digits++;
	if (int_digits == 0)
		return MONEY_SYNTAX;
	if (i + int_digits < len) {
		size_t f = i + int_digits + 1;

		if (s[i + int_digits] != '.')
			return MONEY_SYNTAX;
		while (f + frac_digits < len && s[f + frac_digits] >= '0' &&
		       s[f + frac_digits] <= '9')
			frac_digits++;
		if (frac_digits == 0 || f + frac_digits != len)
			return MONEY_SYNTAX;
	}
	if (frac_digits > (size_t)exponent)
		return MONEY_TOO_PRECISE;

	for (size_t k = i; k < len; k++) {
		unsigned d;

		if (s[k] == '.')
			continue;
		d = (unsigned)(s[k] - '0');
		if (v > (limit - d) / 10)
			return MONEY_OVERFLOW;
		v = v * 10 + d;
	}
	for (size_t k = frac_digits; k < (size_t)exponent; k++) {
		if (v > limit / 10)
			return MONEY_OVERFLOW;
		v *= 10;
	}
	assert(v <= limit);
	*minor = negative ? -(int64_t)v : (int64_t)v;
	return MONEY_OK;
}

int money_format(int64_t minor, int exponent, char *buf, size_t size)
{
	/* Digits are written backwards from the end of tmp. */
	char tmp[MONEY_FILE_FORM_MAX + MONEY_EXPONENT_MAX];
	char *p = tmp + sizeof(tmp);
	/* Magnitude in uint64_t: right for INT64_MIN too. */
	uint64_t v = minor < 0 ? 0 - (uint64_t)minor : (uint64_t)minor;
	size_t n;

	assert(exponent >= 0 && exponent <= MONEY_EXPONENT_MAX);
	assert(buf != NULL || size == 0);
	for (int k = 0; k < exponent; k++) {
		*--p = (char)('0' + v % 10);
		v /= 10;
	}
	if (exponent > 0)
		*--p = '.';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (minor < 0)
		*--p = '-';
	n = (size_t)(tmp + sizeof(tmp) - p);
	if (n + 1 > size) {
		if (size > 0)
			buf[0] = '\0';
		return MONEY_BUFFER;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	return (int)n;
}

/*
 * The formatter is opened per call (some tens of microseconds): display
 * formatting happens once per line of a report, not per ledger entry, and an
 * uncached formatter keeps this function free of shared state.
 *
 * The currency's own decimals are forced and rounding is UNNECESSARY, so ICU
 * fails (U_FORMAT_INEXACT_ERROR) rather than round should its data and ours
 * ever disagree.
 */
/*
 * Opening an ICU currency formatter loads the locale's data and costs far
 * more than a format: a cycle formats the same few (locale, currency) pairs
 * thousands of times. A handful stay open, replaced in turn, and are used
 * under a lock: an ICU formatter must not serve two threads at once. They
 * live as long as the process.
 */
#define FORMATTERS 8

static struct formatter {
	char locale[ULOC_FULLNAME_CAPACITY];
	char currency[4];
	UNumberFormat *fmt;
} formatters[FORMATTERS];
static unsigned formatters_next;
static pthread_mutex_t formatters_lock = PTHREAD_MUTEX_INITIALIZER;

/* The formatter of (icu_locale, currency), opened when missing; under the
 * lock. NULL when ICU refuses. */
static UNumberFormat *formatter(const char *icu_locale, const char *currency, int exponent)
{
	struct formatter *f;
	UErrorCode st = U_ZERO_ERROR;
	UChar ucode[4];
	UNumberFormat *fmt;

	for (int i = 0; i < FORMATTERS; i++)
		if (formatters[i].fmt != NULL && strcmp(formatters[i].locale, icu_locale) == 0 &&
		    strcmp(formatters[i].currency, currency) == 0)
			return formatters[i].fmt;
	fmt = unum_open(UNUM_CURRENCY, NULL, 0, icu_locale, NULL, &st);
	if (U_FAILURE(st))
		return NULL;
	u_charsToUChars(currency, ucode, 4);
	unum_setTextAttribute(fmt, UNUM_CURRENCY_CODE, ucode, 3, &st);
	if (U_FAILURE(st)) {
		unum_close(fmt);
		return NULL;
	}
	unum_setAttribute(fmt, UNUM_MIN_FRACTION_DIGITS, exponent);
	unum_setAttribute(fmt, UNUM_MAX_FRACTION_DIGITS, exponent);
	unum_setAttribute(fmt, UNUM_ROUNDING_MODE, UNUM_ROUND_UNNECESSARY);
	f = &formatters[formatters_next++ % FORMATTERS];
	unum_close(f->fmt);
	snprintf(f->locale, sizeof(f->locale), "%s", icu_locale);
	snprintf(f->currency, sizeof(f->currency), "%s", currency);
	f->fmt = fmt;
	return fmt;
}

int money_format_locale(int64_t minor, const char *currency, const char *locale,
			char *buf, size_t size)
{
	char plain[MONEY_FILE_FORM_MAX];
	char icu_locale[ULOC_FULLNAME_CAPACITY];
	UChar out[128];
	UErrorCode st = U_ZERO_ERROR;
	UNumberFormat *fmt;
	int32_t parsed = 0, ulen, blen = 0;
	int exponent, n, rc;

	assert(buf != NULL || size == 0);
	if (size > 0)
		buf[0] = '\0';
	rc = money_currency_exponent(currency, &exponent);
	if (rc != MONEY_OK)
		goto out;
	rc = MONEY_ICU;
	if (locale == NULL || locale[0] == '\0')
		goto out;
	/* BCP 47 ("pt-BR") to an ICU id ("pt_BR"); a tag ICU only half
	 * understood would silently format for another locale. */
	uloc_forLanguageTag(locale, icu_locale, (int32_t)sizeof(icu_locale), &parsed, &st);
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING ||
	    (size_t)parsed != strlen(locale))
		goto out;
	n = money_format(minor, exponent, plain, sizeof(plain));
	assert(n > 0);

	pthread_mutex_lock(&formatters_lock);
	fmt = formatter(icu_locale, currency, exponent);
	ulen = fmt == NULL ? 0 : unum_formatDecimal(fmt, plain, n, out,
						    (int32_t)(sizeof(out) / sizeof(out[0])), NULL,
						    &st);
	pthread_mutex_unlock(&formatters_lock);
	if (fmt == NULL || U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING)
		goto out;

	u_strToUTF8(buf, (int32_t)(size > INT32_MAX ? INT32_MAX : size), &blen, out, ulen, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR || st == U_STRING_NOT_TERMINATED_WARNING) {
		rc = MONEY_BUFFER;
		goto out;
	}
	if (U_FAILURE(st))
		goto out;
	rc = blen;
out:
	if (rc < 0 && size > 0)
		buf[0] = '\0';
	return rc;
}
