/*
 * caltime — civil dates and RFC 3339 instants in integers.
 *
 * Day numbers use Howard Hinnant's days_from_civil / civil_from_days: the
 * year is shifted to start on 1 March so that the leap day is the last day
 * of a year, and the 400-year era (146097 days) repeats exactly. Every
 * intermediate is computed in int64_t, so any int32_t day converts without
 * overflow even far outside the 0001..9999 range the parsers accept.
 */
#include <assert.h>

#include "caltime.h"

#define SECS_PER_DAY 86400

/* Floor division and modulo: C's `/` truncates towards zero, which is wrong
 * for instants and days before 1970. */
static int64_t caltime_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t caltime_floormod(int64_t a, int64_t b)
{
	return a - caltime_floordiv(a, b) * b;
}

static int caltime_is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int caltime_days_in_month(int year, int month)
{
	static const unsigned char len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	assert(month >= 1 && month <= 12);
	if (month == 2 && caltime_is_leap(year))
		return 29;
	return len[month - 1];
}

/* Days since 1970-01-01 of a y-m-d already known to be valid. */
static int64_t caltime_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = caltime_floordiv(y, 400);
	yoe = y - era * 400;                                    /* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  /* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

int date_from_ymd(int year, int month, int day, int32_t *out)
{
	assert(out != NULL);
	if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
	    day > caltime_days_in_month(year, month))
		return CALTIME_RANGE;
	*out = (int32_t)caltime_days_from_civil(year, month, day);
	assert(*out >= DATE_MIN && *out <= DATE_MAX);
	return CALTIME_OK;
}

void date_to_ymd(int32_t day, int *year, int *month, int *mday)
{
	int64_t z = (int64_t)day + 719468;
	int64_t era = caltime_floordiv(z, 146097);
	int64_t doe = z - era * 146097;                                  /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                                /* [0, 11] */
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);

	assert(year != NULL && month != NULL && mday != NULL);
	*year = (int)(yoe + era * 400 + (m <= 2));
	*month = m;
	*mday = d;
}

int date_weekday(int32_t day)
{
	/* 1970-01-01 was a Thursday (ISO 4). */
	return (int)caltime_floormod((int64_t)day + 3, 7) + 1;
}

/* n ASCII digits at s as a number, or -1. The caller has checked the length. */
static int caltime_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * "YYYY-MM-DD" at s (exactly DATE_TEXT_LEN bytes available). Syntax is
 * checked before range so that "2024-13-45" is a range error and
 * "2024/01/01" a syntax error.
 */
static int caltime_ymd(const char *s, int *y, int *m, int *d)
{
	*y = caltime_digits(s, 4);
	*m = caltime_digits(s + 5, 2);
	*d = caltime_digits(s + 8, 2);
	if (*y < 0 || *m < 0 || *d < 0 || s[4] != '-' || s[7] != '-')
		return CALTIME_SYNTAX;
	return CALTIME_OK;
}

int date_parse(const char *s, size_t len, int32_t *out)
{
	int y, m, d, rc;

	assert(s != NULL || len == 0);
	assert(out != NULL);
	if (len != DATE_TEXT_LEN)
		return CALTIME_SYNTAX;
	rc = caltime_ymd(s, &y, &m, &d);
	if (rc != CALTIME_OK)
		return rc;
	return date_from_ymd(y, m, d, out);
}

/* Writes v (0 <= v < 10^n) as exactly n digits, no NUL. */
static void caltime_put_digits(char *p, int n, int v)
{
	assert(v >= 0);
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	assert(v == 0);
}

/* "YYYY-MM-DD" for a year in 1..9999, no NUL. */
static void caltime_put_ymd(char *p, int y, int m, int d)
{
	caltime_put_digits(p, 4, y);
	p[4] = '-';
	caltime_put_digits(p + 5, 2, m);
	p[7] = '-';
	caltime_put_digits(p + 8, 2, d);
}

/* Days outside 0001..9999 are clamped so that the text keeps its fixed,
 * four-digit-year shape and fits the caller's buffer. */
void date_format(int32_t day, char *buf)
{
	int y, m, d;

	assert(buf != NULL);
	if (day < DATE_MIN)
		day = DATE_MIN;
	if (day > DATE_MAX)
		day = DATE_MAX;
	date_to_ymd(day, &y, &m, &d);
	caltime_put_ymd(buf, y, m, d);
	buf[DATE_TEXT_LEN] = '\0';
}

/*
 * The grammar (RFC 3339 section 5.6):
 *   date-time = full-date ("T" / "t" / " ") partial-time time-offset
 *   partial-time = HH ":" MM ":" SS ["." 1*DIGIT]
 *   time-offset = "Z" / "z" / ("+" / "-") HH ":" MM
 * The result must itself fall in years 0001..9999 UTC, so that
 * instant_format always gives back text that instant_parse accepts.
 */
int instant_parse(const char *s, size_t len, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, rc;
	int32_t day;
	size_t i;
	int64_t t;

	assert(s != NULL || len == 0);
	assert(out != NULL);
	/* Shortest form "YYYY-MM-DDTHH:MM:SSZ". */
	if (len < INSTANT_TEXT_LEN)
		return CALTIME_SYNTAX;
	rc = caltime_ymd(s, &y, &mo, &d);
	if (rc != CALTIME_OK)
		return rc;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return CALTIME_SYNTAX;
	h = caltime_digits(s + 11, 2);
	mi = caltime_digits(s + 14, 2);
	sec = caltime_digits(s + 17, 2);
	if (h < 0 || mi < 0 || sec < 0 || s[13] != ':' || s[16] != ':')
		return CALTIME_SYNTAX;
	i = 19;
	if (s[i] == '.') {
		size_t start = ++i;

		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return CALTIME_SYNTAX;
	}
	if (i >= len)
		return CALTIME_SYNTAX;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		if (len - i < 6)
			return CALTIME_SYNTAX;
		sign = s[i] == '-' ? -1 : 1;
		oh = caltime_digits(s + i + 1, 2);
		om = caltime_digits(s + i + 4, 2);
		if (oh < 0 || om < 0 || s[i + 3] != ':')
			return CALTIME_SYNTAX;
		i += 6;
	} else {
		return CALTIME_SYNTAX;
	}
	if (i != len)
		return CALTIME_SYNTAX;

	if (h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
		return CALTIME_RANGE;
	if (sec == 60)
		sec = 59;
	rc = date_from_ymd(y, mo, d, &day);
	if (rc != CALTIME_OK)
		return rc;
	t = (int64_t)day * SECS_PER_DAY + h * 3600 + mi * 60 + sec;
	t -= (int64_t)sign * (oh * 3600 + om * 60);
	if (t < (int64_t)DATE_MIN * SECS_PER_DAY ||
	    t >= ((int64_t)DATE_MAX + 1) * SECS_PER_DAY)
		return CALTIME_RANGE;
	*out = t;
	return CALTIME_OK;
}

/* Instants outside years 0001..9999 are clamped, like date_format. */
void instant_format(int64_t t, char *buf)
{
	const int64_t lo = (int64_t)DATE_MIN * SECS_PER_DAY;
	const int64_t hi = ((int64_t)DATE_MAX + 1) * SECS_PER_DAY - 1;
	int y, m, d, secs;

	assert(buf != NULL);
	if (t < lo)
		t = lo;
	if (t > hi)
		t = hi;
	date_to_ymd((int32_t)caltime_floordiv(t, SECS_PER_DAY), &y, &m, &d);
	secs = (int)caltime_floormod(t, SECS_PER_DAY);
	caltime_put_ymd(buf, y, m, d);
	buf[10] = 'T';
	caltime_put_digits(buf + 11, 2, secs / 3600);
	buf[13] = ':';
	caltime_put_digits(buf + 14, 2, secs / 60 % 60);
	buf[16] = ':';
	caltime_put_digits(buf + 17, 2, secs % 60);
	buf[19] = 'Z';
	buf[INSTANT_TEXT_LEN] = '\0';
}

int32_t instant_utc_day(int64_t t)
{
	int64_t day = caltime_floordiv(t, SECS_PER_DAY);

	/* Only instants some 5.8 million years away do not fit. */
	if (day < INT32_MIN)
		return INT32_MIN;
	if (day > INT32_MAX)
		return INT32_MAX;
	return (int32_t)day;
}
