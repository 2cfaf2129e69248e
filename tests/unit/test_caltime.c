/*
 * caltime: civil dates, weekdays, RFC 3339 instants, strict parsers.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/caltime.h"

/*
 * The parsers get a heap copy of exactly len bytes with no terminator, so
 * that AddressSanitizer catches any read past s[len - 1].
 */
static char *exact(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	cr_assert_not_null(p);
	memcpy(p, s, len);
	return p;
}

static int dparse(const char *s, int32_t *out)
{
	size_t len = strlen(s);
	char *p = exact(s, len);
	int rc = date_parse(p, len, out);

	free(p);
	return rc;
}

static int iparse(const char *s, int64_t *out)
{
	size_t len = strlen(s);
	char *p = exact(s, len);
	int rc = instant_parse(p, len, out);

	free(p);
	return rc;
}

static int32_t D(int y, int m, int d)
{
	int32_t day = 0;

	cr_assert_eq(date_from_ymd(y, m, d, &day), CALTIME_OK, "%04d-%02d-%02d", y, m, d);
	return day;
}

static int64_t T(const char *s)
{
	int64_t t = 0;

	cr_assert_eq(iparse(s, &t), CALTIME_OK, "instant %s", s);
	return t;
}

/* A small deterministic generator for sweeps (no libc rand state). */
static uint64_t lcg(uint64_t *state)
{
	*state = *state * 6364136223846793005u + 1442695040888963407u;
	return *state >> 11;
}

Test(caltime, epoch_and_limits)
{
	cr_assert_eq(D(1970, 1, 1), 0);
	cr_assert_eq(D(1969, 12, 31), -1);
	cr_assert_eq(D(1970, 1, 2), 1);
	cr_assert_eq(D(2000, 3, 1), 11017);
	cr_assert_eq(D(2024, 7, 25), 19929);
	cr_assert_eq(D(1, 1, 1), DATE_MIN);
	cr_assert_eq(D(9999, 12, 31), DATE_MAX);
}

Test(caltime, leap_years)
{
	int32_t d = 12345;

	cr_assert_eq(date_from_ymd(2024, 2, 29, &d), CALTIME_OK);
	cr_assert_eq(d, D(2024, 3, 1) - 1);
	cr_assert_eq(date_from_ymd(2000, 2, 29, &d), CALTIME_OK);
	cr_assert_eq(date_from_ymd(2400, 2, 29, &d), CALTIME_OK);
	cr_assert_eq(date_from_ymd(4, 2, 29, &d), CALTIME_OK);
	d = 12345;
	cr_assert_eq(date_from_ymd(2023, 2, 29, &d), CALTIME_RANGE);
	cr_assert_eq(date_from_ymd(1900, 2, 29, &d), CALTIME_RANGE);
	cr_assert_eq(date_from_ymd(2100, 2, 29, &d), CALTIME_RANGE);
	cr_assert_eq(date_from_ymd(2024, 2, 30, &d), CALTIME_RANGE);
	cr_assert_eq(d, 12345, "out untouched on error");
	cr_assert_eq(dparse("2024-02-29", &d), CALTIME_OK);
	cr_assert_eq(dparse("2000-02-29", &d), CALTIME_OK);
	cr_assert_eq(dparse("2023-02-29", &d), CALTIME_RANGE);
	cr_assert_eq(dparse("1900-02-29", &d), CALTIME_RANGE);
	/* Year lengths add up over a whole 400-year cycle. */
	cr_assert_eq(D(2400, 1, 1) - D(2000, 1, 1), 146097);
	cr_assert_eq(D(2025, 1, 1) - D(2024, 1, 1), 366);
	cr_assert_eq(D(1901, 1, 1) - D(1900, 1, 1), 365);
}

Test(caltime, field_ranges)
{
	int32_t d;
	static const int bad[][3] = {
		{ 2024, 0, 1 }, { 2024, 13, 1 }, { 2024, 1, 0 }, { 2024, 1, 32 },
		{ 2024, 4, 31 }, { 2024, 6, 31 }, { 2024, 9, 31 }, { 2024, 11, 31 },
		{ 0, 1, 1 }, { 10000, 1, 1 }, { -1, 1, 1 }, { 2024, -1, 1 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(date_from_ymd(bad[i][0], bad[i][1], bad[i][2], &d), CALTIME_RANGE,
			     "%d-%d-%d", bad[i][0], bad[i][1], bad[i][2]);
	cr_assert_eq(date_from_ymd(2024, 1, 31, &d), CALTIME_OK);
	cr_assert_eq(date_from_ymd(2024, 4, 30, &d), CALTIME_OK);
	cr_assert_eq(date_from_ymd(2024, 12, 31, &d), CALTIME_OK);
}

/* Every day of years 0001..9999: to y-m-d and back, consecutive, text form. */
Test(caltime, every_day_round_trips)
{
	int py = 1, pm = 1, pd = 0;
	char buf[DATE_TEXT_LEN + 1];

	for (int32_t day = DATE_MIN; day <= DATE_MAX; day++) {
		int y, m, d;
		int32_t back;

		date_to_ymd(day, &y, &m, &d);
		if (d != pd + 1)
			cr_assert(d == 1 && (m == pm + 1 || (m == 1 && y == py + 1)),
				  "day %d after %d-%d-%d is %d-%d-%d", day, py, pm, pd, y, m, d);
		if (date_from_ymd(y, m, d, &back) != CALTIME_OK || back != day)
			cr_assert_fail("day %d -> %d-%d-%d -> %d", day, y, m, d, back);
		if ((day & 1023) == 0 || day == DATE_MIN || day == DATE_MAX) {
			date_format(day, buf);
			cr_assert_eq(strlen(buf), DATE_TEXT_LEN);
			cr_assert_eq(date_parse(buf, DATE_TEXT_LEN, &back), CALTIME_OK);
			cr_assert_eq(back, day, "%s", buf);
		}
		py = y, pm = m, pd = d;
	}
	cr_assert(py == 9999 && pm == 12 && pd == 31);
}

Test(caltime, to_ymd_outside_range)
{
	int y, m, d;

	date_to_ymd(DATE_MIN - 1, &y, &m, &d);
	cr_assert(y == 0 && m == 12 && d == 31);
	date_to_ymd(DATE_MAX + 1, &y, &m, &d);
	cr_assert(y == 10000 && m == 1 && d == 1);
	/* No overflow at the ends of int32_t. */
	date_to_ymd(INT32_MAX, &y, &m, &d);
	cr_assert(m >= 1 && m <= 12 && d >= 1 && d <= 31);
	date_to_ymd(INT32_MIN, &y, &m, &d);
	cr_assert(m >= 1 && m <= 12 && d >= 1 && d <= 31);
}

Test(caltime, weekday)
{
	cr_assert_eq(date_weekday(0), 4, "1970-01-01 was a Thursday");
	cr_assert_eq(date_weekday(-1), 3, "1969-12-31 was a Wednesday");
	cr_assert_eq(date_weekday(-3), 1, "1969-12-29 was a Monday");
	cr_assert_eq(date_weekday(-4), 7, "1969-12-28 was a Sunday");
	cr_assert_eq(date_weekday(D(2024, 7, 25)), 4);
	cr_assert_eq(date_weekday(D(2024, 7, 28)), 7);
	cr_assert_eq(date_weekday(D(2024, 7, 29)), 1);
	cr_assert_eq(date_weekday(D(2000, 1, 1)), 6);
	cr_assert_eq(date_weekday(D(1, 1, 1)), 1, "proleptic Gregorian 0001-01-01 is a Monday");
	cr_assert_eq(date_weekday(D(9999, 12, 31)), 5);
	for (int32_t day = -800; day < 800; day++)
		cr_assert_eq(date_weekday(day + 1), date_weekday(day) % 7 + 1);
	cr_assert(date_weekday(INT32_MIN) >= 1 && date_weekday(INT32_MAX) <= 7);
}

Test(caltime, date_parse_syntax)
{
	static const char *const bad[] = {
		"", "2024-07-2", "2024-07-255", "2024-7-25", "2024/07/25", "2024-07-25 ",
		" 2024-07-25", "2024-07-2a", "+024-07-25", "-024-07-25", "20240725",
		"2024-07-25T00:00:00Z", "24-07-25", "2024_07_25", "2024--7-25", "２024-07-25",
		"2024-07-\xd9\xa1", "yyyy-mm-dd",
	};
	int32_t d = 777;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(dparse(bad[i], &d), CALTIME_SYNTAX, "'%s'", bad[i]);
	cr_assert_eq(d, 777);
	cr_assert_eq(dparse("2024-13-01", &d), CALTIME_RANGE);
	cr_assert_eq(dparse("2024-00-10", &d), CALTIME_RANGE);
	cr_assert_eq(dparse("2024-02-30", &d), CALTIME_RANGE);
	cr_assert_eq(dparse("2024-04-31", &d), CALTIME_RANGE);
	cr_assert_eq(dparse("2024-01-00", &d), CALTIME_RANGE);
	cr_assert_eq(dparse("0000-01-01", &d), CALTIME_RANGE);
	cr_assert_eq(d, 777);
	cr_assert_eq(dparse("0001-01-01", &d), CALTIME_OK);
	cr_assert_eq(d, DATE_MIN);
	cr_assert_eq(dparse("9999-12-31", &d), CALTIME_OK);
	cr_assert_eq(d, DATE_MAX);
}

Test(caltime, date_parse_reads_only_len)
{
	const char *s = "2024-07-251";
	int32_t d;

	cr_assert_eq(date_parse(s, 10, &d), CALTIME_OK);
	cr_assert_eq(d, D(2024, 7, 25));
	cr_assert_eq(date_parse(s, 9, &d), CALTIME_SYNTAX);
	cr_assert_eq(date_parse(s, 11, &d), CALTIME_SYNTAX);
	cr_assert_eq(date_parse(NULL, 0, &d), CALTIME_SYNTAX);
}

Test(caltime, date_format)
{
	char buf[DATE_TEXT_LEN + 1];

	date_format(0, buf);
	cr_assert_str_eq(buf, "1970-01-01");
	date_format(-1, buf);
	cr_assert_str_eq(buf, "1969-12-31");
	date_format(D(2024, 2, 29), buf);
	cr_assert_str_eq(buf, "2024-02-29");
	date_format(DATE_MIN, buf);
	cr_assert_str_eq(buf, "0001-01-01");
	date_format(DATE_MAX, buf);
	cr_assert_str_eq(buf, "9999-12-31");
	/* Outside the four-digit years: clamped, never a longer text. */
	date_format(INT32_MIN, buf);
	cr_assert_str_eq(buf, "0001-01-01");
	date_format(DATE_MAX + 1, buf);
	cr_assert_str_eq(buf, "9999-12-31");
}

Test(caltime, instant_parse_basic)
{
	const int64_t noon = (int64_t)D(2024, 7, 25) * 86400 + 10 * 3600;

	cr_assert_eq(T("1970-01-01T00:00:00Z"), 0);
	cr_assert_eq(T("2024-07-25T10:00:00Z"), noon);
	cr_assert_eq(T("2024-07-25t10:00:00z"), noon);
	cr_assert_eq(T("2024-07-25 10:00:00Z"), noon);
	cr_assert_eq(T("2024-07-25T10:00:00.5Z"), noon, "fraction dropped");
	cr_assert_eq(T("2024-07-25T10:00:00.999999999999Z"), noon);
	cr_assert_eq(T("2024-07-25T10:00:00+00:00"), noon);
	cr_assert_eq(T("2024-07-25T10:00:00-00:00"), noon);
	cr_assert_eq(T("2024-07-25T13:00:00+03:00"), noon, "Kyiv summer time");
	cr_assert_eq(T("2024-07-25T07:00:00-03:00"), noon, "Sao Paulo");
	cr_assert_eq(T("2024-07-25T15:30:00+05:30"), noon);
	cr_assert_eq(T("2024-07-25T00:00:00.25+10:00"), T("2024-07-24T14:00:00Z"));
	cr_assert_eq(T("2024-07-24T23:30:00-11:30"), noon + 1 * 3600);
	/* An offset can move the instant to another UTC day. */
	cr_assert_eq(T("2024-07-25T01:00:00+03:00"), T("2024-07-24T22:00:00Z"));
	cr_assert_eq(T("2024-07-24T22:00:00-03:00"), T("2024-07-25T01:00:00Z"));
	cr_assert_eq(T("2024-12-31T23:00:00-03:00"), T("2025-01-01T02:00:00Z"));
	cr_assert_eq(T("2024-02-29T12:00:00Z"), (int64_t)D(2024, 2, 29) * 86400 + 43200);
}

Test(caltime, instant_leap_second)
{
	cr_assert_eq(T("2016-12-31T23:59:60Z"), T("2016-12-31T23:59:59Z"));
	cr_assert_eq(T("2016-12-31T23:59:60.5Z"), T("2016-12-31T23:59:59Z"));
	cr_assert_eq(T("2017-01-01T02:59:60+03:00"), T("2016-12-31T23:59:59Z"));
}

Test(caltime, instant_negative)
{
	cr_assert_eq(T("1969-12-31T23:59:59Z"), -1);
	cr_assert_eq(T("1969-12-31T00:00:00Z"), -86400);
	cr_assert_eq(T("1969-12-31T23:59:59.999Z"), -1, "dropping a fraction floors");
	cr_assert_eq(T("1900-01-01T00:00:00Z"), -2208988800);
	cr_assert_eq(T("0001-01-01T00:00:00Z"), (int64_t)DATE_MIN * 86400);
	cr_assert_eq(T("9999-12-31T23:59:59Z"), (int64_t)DATE_MAX * 86400 + 86399);
}

Test(caltime, instant_parse_errors)
{
	static const char *const syntax[] = {
		"", "2024-07-25", "2024-07-25T10:00:00", "2024-07-25T10:00Z", "2024-07-25T10:00:0Z",
		"2024-07-25X10:00:00Z", "2024-07-25T10-00-00Z", "2024-07-25T10:00:00.Z",
		"2024-07-25T10:00:00,5Z", "2024-07-25T10:00:00+0300", "2024-07-25T10:00:00+03",
		"2024-07-25T10:00:00+03:0", "2024-07-25T10:00:00+03:00Z", "2024-07-25T10:00:00ZZ",
		"2024-07-25T10:00:00Z ", " 2024-07-25T10:00:00Z", "2024-07-25T10:00:00 Z",
		"2024-07-25T10:00:00UTC", "2024-07-25T10:00:00+3:00", "2024-07-25T10:00:00.5",
		"2024-07-25T1a:00:00Z", "2024-07-25T10:00:00.1.2Z", "2024-07-25T10:00:00+03:00:00",
		"2024-07-25T10:00:00\342\210\22203:00", "+2024-07-25T10:00:00Z", "2024-07-25TT0:00:00Z",
		"2024-07-25T10:00:00.5+", "2024-07-25T10:00:00-",
	};
	static const char *const range[] = {
		"2024-07-25T24:00:00Z", "2024-07-25T10:60:00Z", "2024-07-25T10:00:61Z",
		"2024-07-25T99:99:99Z", "2024-02-30T10:00:00Z", "2023-02-29T10:00:00Z",
		"2024-13-01T10:00:00Z", "0000-01-01T10:00:00Z", "2024-07-25T10:00:00+24:00",
		"2024-07-25T10:00:00+03:60", "0001-01-01T00:00:00+00:01",
		"9999-12-31T23:59:59-00:01",
	};
	int64_t t = 4242;

	for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
		cr_assert_eq(iparse(syntax[i], &t), CALTIME_SYNTAX, "'%s'", syntax[i]);
	for (size_t i = 0; i < sizeof(range) / sizeof(range[0]); i++)
		cr_assert_eq(iparse(range[i], &t), CALTIME_RANGE, "'%s'", range[i]);
	cr_assert_eq(t, 4242, "out untouched on error");
	cr_assert_eq(iparse("2024-07-25T10:00:00+23:59", &t), CALTIME_OK);
	cr_assert_eq(iparse("0001-01-01T00:00:00-00:01", &t), CALTIME_OK);
}

Test(caltime, instant_parse_reads_only_len)
{
	const char *s = "2024-07-25T10:00:00Z+03:00";
	int64_t t;

	cr_assert_eq(instant_parse(s, 20, &t), CALTIME_OK);
	cr_assert_eq(instant_parse(s, 19, &t), CALTIME_SYNTAX);
	cr_assert_eq(instant_parse(s, 21, &t), CALTIME_SYNTAX);
	cr_assert_eq(instant_parse("2024-07-25T10:00:00.123", 21, &t), CALTIME_SYNTAX);
	cr_assert_eq(instant_parse(NULL, 0, &t), CALTIME_SYNTAX);
}

Test(caltime, instant_format)
{
	char buf[INSTANT_TEXT_LEN + 1];

	instant_format(0, buf);
	cr_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	instant_format(-1, buf);
	cr_assert_str_eq(buf, "1969-12-31T23:59:59Z");
	instant_format(T("2024-07-25T13:04:05+03:00"), buf);
	cr_assert_str_eq(buf, "2024-07-25T10:04:05Z");
	instant_format(T("0001-01-01T00:00:00Z"), buf);
	cr_assert_str_eq(buf, "0001-01-01T00:00:00Z");
	instant_format(T("9999-12-31T23:59:59Z"), buf);
	cr_assert_str_eq(buf, "9999-12-31T23:59:59Z");
	instant_format(INT64_MIN, buf);
	cr_assert_str_eq(buf, "0001-01-01T00:00:00Z");
	instant_format(INT64_MAX, buf);
	cr_assert_str_eq(buf, "9999-12-31T23:59:59Z");
}

Test(caltime, instant_round_trips)
{
	const int64_t lo = (int64_t)DATE_MIN * 86400;
	const int64_t span = ((int64_t)DATE_MAX + 1) * 86400 - lo;
	uint64_t state = 1;
	char buf[INSTANT_TEXT_LEN + 1];

	for (int i = 0; i < 200000; i++) {
		int64_t t = lo + (int64_t)(lcg(&state) % (uint64_t)span), back = 0;

		instant_format(t, buf);
		cr_assert_eq(iparse(buf, &back), CALTIME_OK, "%s", buf);
		cr_assert_eq(back, t, "%s", buf);
		cr_assert_eq(instant_utc_day(t), (int32_t)((t - lo) / 86400 + DATE_MIN));
	}
}

Test(caltime, instant_utc_day)
{
	cr_assert_eq(instant_utc_day(0), 0);
	cr_assert_eq(instant_utc_day(86399), 0);
	cr_assert_eq(instant_utc_day(86400), 1);
	cr_assert_eq(instant_utc_day(-1), -1);
	cr_assert_eq(instant_utc_day(-86399), -1);
	cr_assert_eq(instant_utc_day(-86400), -1);
	cr_assert_eq(instant_utc_day(-86401), -2);
	cr_assert_eq(instant_utc_day(T("1900-03-01T12:00:00Z")), D(1900, 3, 1));
	cr_assert_eq(instant_utc_day(T("2024-07-25T01:00:00+03:00")), D(2024, 7, 24));
	cr_assert_eq(instant_utc_day(INT64_MIN), INT32_MIN);
	cr_assert_eq(instant_utc_day(INT64_MAX), INT32_MAX);
}
