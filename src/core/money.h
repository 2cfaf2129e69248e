/*
 * money — exact amounts in integer minor units of an ISO 4217 currency.
 *
 * An amount is an int64_t count of minor units (cents, centimes, fils...).
 * A currency's exponent (number of decimals) comes from ICU, never from a
 * hand-written table. Only integer arithmetic is used in this module.
 *
 * The file form is a plain decimal string in major units: "12500", "1234.56",
 * "-0.5". It has at most as many decimals as the currency; more decimals,
 * exponent notation, thousands separators, spaces, a '+' sign, an empty
 * string and values outside int64_t minor units are errors, never rounded.
 */
#ifndef RELANCE_MONEY_H
#define RELANCE_MONEY_H

#include <stddef.h>
#include <stdint.h>

enum money_err {
	MONEY_OK = 0,
	MONEY_EMPTY = -1,       /* "" */
	MONEY_SYNTAX = -2,      /* anything but [-]digits[.digits] */
	MONEY_TOO_PRECISE = -3, /* more decimals than the currency has */
	MONEY_OVERFLOW = -4,    /* does not fit int64_t minor units */
	MONEY_UNKNOWN_CURRENCY = -5,
	MONEY_BUFFER = -6,      /* output buffer too small */
	MONEY_ICU = -7,         /* ICU refused to format */
};

/* Longest file form: sign, 19 digits, point, terminator. */
#define MONEY_FILE_FORM_MAX 24

/* A short English phrase for an error code ("has more decimals than the currency"). */
const char *money_strerror(int err);

/*
 * Looks up an ISO 4217 code (exactly three upper-case letters) in ICU.
 * On success stores the number of decimals (BIF 0, EUR 2, KWD 3) in *exponent
 * and returns MONEY_OK; returns MONEY_UNKNOWN_CURRENCY for a code ICU does not
 * list as a common ISO 4217 currency, current or withdrawn (funds codes,
 * metals, XTS and XXX are not), MONEY_ICU if ICU's list cannot be read.
 * Results are cached; the cache is process-wide and not thread-safe.
 */
int money_currency_exponent(const char *code, int *exponent);

/*
 * Parses s[0..len) as an amount in major units with at most `exponent`
 * decimals into *minor. Fewer decimals are scaled ("12.5" EUR is 1250).
 * On error *minor is untouched and a negative enum money_err is returned.
 */
int money_parse(const char *s, size_t len, int exponent, int64_t *minor);

/*
 * Writes the file form of `minor` with exactly `exponent` decimals
 * ("1234.56", "12500", "-0.050") into buf (NUL-terminated). Returns the
 * length written, or MONEY_BUFFER if size is too small (buf is then "").
 */
int money_format(int64_t minor, int exponent, char *buf, size_t size);

/*
 * Formats `minor` of `currency` for a person of `locale` (BCP 47, "fr-BI",
 * "pt-BR") through ICU, e.g. "1 234,56 €" or "R$ 1.234,56". The result is
 * UTF-8 and may contain U+00A0 / U+202F spaces. Returns the byte length, or a
 * negative enum money_err (MONEY_ICU also for a locale tag ICU cannot read).
 * The amount reaches ICU as a decimal string, so every digit is exact.
 */
int money_format_locale(int64_t minor, const char *currency, const char *locale,
			char *buf, size_t size);

#endif
