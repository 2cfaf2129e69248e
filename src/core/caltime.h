/*
 * caltime — calendar dates and RFC 3339 instants, zone-free.
 *
 * A date is a day number: days since 1970-01-01 in the proleptic Gregorian
 * calendar (int32_t; 1970-01-01 is 0, 1969-12-31 is -1). Dates name a day in
 * the customer's own time zone; converting between dates and instants needs a
 * zone and lives in tz.h.
 *
 * An instant is an int64_t count of seconds since 1970-01-01T00:00:00Z.
 * Fractions of a second in RFC 3339 input are accepted and dropped (the
 * ledger records instants to the second).
 *
 * Every parser is strict and never reads past s[len-1]; none needs a NUL.
 */
#ifndef RELANCE_CALTIME_H
#define RELANCE_CALTIME_H

#include <stddef.h>
#include <stdint.h>

enum caltime_err {
	CALTIME_OK = 0,
	CALTIME_SYNTAX = -1,  /* not the expected shape */
	CALTIME_RANGE = -2,   /* a month 13, a 30 February, an hour 25 */
};

#define DATE_TEXT_LEN 10      /* "YYYY-MM-DD" */
#define INSTANT_TEXT_LEN 20   /* "YYYY-MM-DDTHH:MM:SSZ" */
/* Years 0001..9999 only: the file forms have four-digit years. */
#define DATE_MIN (-719162)    /* 0001-01-01 */
#define DATE_MAX 2932896      /* 9999-12-31 */

/* Day number of a real y-m-d, or CALTIME_RANGE. */
int date_from_ymd(int year, int month, int day, int32_t *out);
void date_to_ymd(int32_t day, int *year, int *month, int *mday);
/* ISO weekday: 1 = Monday ... 7 = Sunday. */
int date_weekday(int32_t day);

/* Strict "YYYY-MM-DD" (exactly ten bytes) that names a real date. */
int date_parse(const char *s, size_t len, int32_t *out);
/* Writes "YYYY-MM-DD" and a NUL: buf must hold DATE_TEXT_LEN + 1 bytes.
 * A day outside DATE_MIN..DATE_MAX is clamped to it. */
void date_format(int32_t day, char *buf);

/*
 * RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)"; 't' and 'z'
 * and a space for 'T' are accepted as RFC 3339 allows. A leap second
 * (:60) is read as :59. A bare date is NOT accepted here: it needs a zone
 * (tz_parse_when). CALTIME_RANGE also when the instant, once the offset is
 * applied, falls outside years 0001..9999 UTC.
 */
int instant_parse(const char *s, size_t len, int64_t *out);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" and a NUL: INSTANT_TEXT_LEN + 1 bytes.
 * An instant outside years 0001..9999 is clamped to them. */
void instant_format(int64_t t, char *buf);

/* The UTC calendar day of an instant (floor division, right for t < 0). */
int32_t instant_utc_day(int64_t t);

#endif
