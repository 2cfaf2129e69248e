/*
 * tz: zone names, local dates, DST gaps and overlaps, bare dates, and the
 * offset-window cache checked against plain ICU calendars.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "../../src/core/caltime.h"
#include "../../src/core/tz.h"

static struct tz *Z(const char *name)
{
	struct tz *z = NULL;

	cr_assert_eq(tz_get(name, &z), TZ_OK, "zone %s", name);
	cr_assert_not_null(z);
	return z;
}

static int32_t D(const char *s)
{
	int32_t d = 0;

	cr_assert_eq(date_parse(s, strlen(s), &d), CALTIME_OK, "date %s", s);
	return d;
}

static int64_t T(const char *s)
{
	int64_t t = 0;

	cr_assert_eq(instant_parse(s, strlen(s), &t), CALTIME_OK, "instant %s", s);
	return t;
}

static int32_t local_date(const char *zone, const char *instant)
{
	int32_t d = 0;

	cr_assert_eq(tz_local_date(Z(zone), T(instant), &d), TZ_OK);
	return d;
}

/* The instant of a local date and time "HH:MM:SS" in a zone, as text. */
static void instant_of(const char *zone, const char *date, int h, int m, int s,
		       const char *want)
{
	int64_t t = 0;
	char buf[INSTANT_TEXT_LEN + 1];

	cr_assert_eq(tz_instant_of(Z(zone), D(date), h * 3600 + m * 60 + s, &t), TZ_OK);
	instant_format(t, buf);
	cr_assert_str_eq(buf, want, "%s %s %02d:%02d:%02d", zone, date, h, m, s);
}

static uint64_t lcg(uint64_t *state)
{
	*state = *state * 6364136223846793005u + 1442695040888963407u;
	return *state >> 11;
}

Test(tz, accepted_names)
{
	static const char *const ok[] = {
		"Europe/Kyiv", "Europe/Kiev", "America/Sao_Paulo", "Africa/Bujumbura",
		"Europe/Paris", "America/Toronto", "UTC", "Etc/UTC", "Etc/GMT+3", "US/Eastern",
		"America/Argentina/ComodRivadavia", "Pacific/Kiritimati", "Asia/Kolkata",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert(tz_valid(ok[i]), "%s", ok[i]);
		cr_assert_str_eq(tz_name(Z(ok[i])), ok[i]);
	}
}

Test(tz, refused_names)
{
	static const char *const bad[] = {
		"Mars/Olympus", "", "GMT+3", "GMT+03:00", "UTC+3", "Etc/Unknown", "Unknown",
		"europe/paris", "Europe/Paris ", " Europe/Paris", "Europe//Paris", "Europe/Paris/",
		"Europe/Pari", "../etc/passwd", "Europe/Par\xc3\xads", "Z", "+03:00",
		"Europe/Paris\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	struct tz *z = (struct tz *)&z;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert(!tz_valid(bad[i]), "'%s'", bad[i]);
		cr_assert_eq(tz_get(bad[i], &z), TZ_UNKNOWN, "'%s'", bad[i]);
	}
	cr_assert_eq(tz_get(NULL, &z), TZ_UNKNOWN);
	cr_assert(!tz_valid(NULL));
	cr_assert_eq(z, (struct tz *)&z, "out untouched on error");
}

Test(tz, cache_returns_the_same_zone)
{
	struct tz *a = Z("Europe/Paris"), *b = Z("America/Toronto"), *k1 = Z("Europe/Kyiv");
	struct tz *k2 = Z("Europe/Kiev");

	cr_assert_eq(Z("Europe/Paris"), a);
	cr_assert_eq(Z("America/Toronto"), b);
	cr_assert_eq(Z("Europe/Paris"), a);
	cr_assert_neq(a, b);
	/* A link keeps the name it was asked by, and the zone's rules. */
	cr_assert_str_eq(tz_name(k2), "Europe/Kiev");
	cr_assert_str_eq(tz_name(k1), "Europe/Kyiv");
	cr_assert_eq(local_date("Europe/Kiev", "2024-07-24T21:00:00Z"), D("2024-07-25"));
	/* Many zones: the table grows and keeps every pointer. */
	{
		UErrorCode st = U_ZERO_ERROR;
		UEnumeration *all = ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_CANONICAL, NULL,
								   NULL, &st);
		const char *id;
		int n = 0;

		cr_assert(U_SUCCESS(st));
		while ((id = uenum_next(all, NULL, &st)) != NULL) {
			struct tz *z = Z(id);

			cr_assert_eq(Z(id), z, "%s", id);
			n++;
		}
		uenum_close(all);
		cr_assert_gt(n, 300);
	}
	cr_assert_eq(Z("Europe/Paris"), a);
	cr_assert_eq(Z("America/Toronto"), b);
}

Test(tz, local_date_differs_from_utc_date)
{
	const char *t = "2024-07-24T23:30:00Z";

	cr_assert_eq(local_date("Europe/Kyiv", t), D("2024-07-25"));
	cr_assert_eq(local_date("Africa/Bujumbura", t), D("2024-07-25"));
	cr_assert_eq(local_date("America/Sao_Paulo", t), D("2024-07-24"));
	cr_assert_eq(local_date("UTC", t), D("2024-07-24"));
	cr_assert_eq(local_date("America/Sao_Paulo", "2024-07-25T02:59:59Z"), D("2024-07-24"));
	cr_assert_eq(local_date("America/Sao_Paulo", "2024-07-25T03:00:00Z"), D("2024-07-25"));
	cr_assert_eq(local_date("Europe/Kyiv", "2024-07-24T20:59:59Z"), D("2024-07-24"));
	cr_assert_eq(local_date("Europe/Kyiv", "2024-07-24T21:00:00Z"), D("2024-07-25"));
	/* Winter: Kyiv is UTC+2. */
	cr_assert_eq(local_date("Europe/Kyiv", "2024-01-10T21:30:00Z"), D("2024-01-10"));
	cr_assert_eq(local_date("Europe/Kyiv", "2024-01-10T22:00:00Z"), D("2024-01-11"));
	/* Before 1970. */
	cr_assert_eq(local_date("America/Toronto", "1969-12-31T04:59:59Z"), D("1969-12-30"));
	cr_assert_eq(local_date("America/Toronto", "1969-12-31T05:00:00Z"), D("1969-12-31"));
}

Test(tz, local_time_and_offset)
{
	int32_t day, secs, off;

	cr_assert_eq(tz_local_time(Z("Europe/Kyiv"), T("2024-07-24T23:30:00Z"), &day, &secs), TZ_OK);
	cr_assert_eq(day, D("2024-07-25"));
	cr_assert_eq(secs, 2 * 3600 + 30 * 60);
	cr_assert_eq(tz_local_time(Z("America/Sao_Paulo"), T("2024-07-24T23:30:00Z"), &day, &secs),
		     TZ_OK);
	cr_assert_eq(day, D("2024-07-24"));
	cr_assert_eq(secs, 20 * 3600 + 30 * 60);

	static const struct {
		const char *zone, *at;
		int32_t offset;
	} cases[] = {
		{ "America/Sao_Paulo", "2024-07-25T10:00:00Z", -10800 },
		{ "America/Sao_Paulo", "2024-01-25T10:00:00Z", -10800 },
		{ "America/Sao_Paulo", "2018-01-25T10:00:00Z", -7200 },
		{ "Europe/Kyiv", "2024-07-25T10:00:00Z", 10800 },
		{ "Europe/Kyiv", "2024-01-25T10:00:00Z", 7200 },
		{ "Europe/Paris", "2024-07-25T10:00:00Z", 7200 },
		{ "Europe/Paris", "2024-01-25T10:00:00Z", 3600 },
		{ "Europe/Paris", "2024-03-31T00:59:59Z", 3600 },
		{ "Europe/Paris", "2024-03-31T01:00:00Z", 7200 },
		{ "Europe/Paris", "2024-10-27T00:59:59Z", 7200 },
		{ "Europe/Paris", "2024-10-27T01:00:00Z", 3600 },
		{ "Europe/Paris", "1900-01-01T00:00:00Z", 561 },
		{ "America/Toronto", "2024-07-25T10:00:00Z", -14400 },
		{ "America/Toronto", "2024-01-25T10:00:00Z", -18000 },
		{ "Africa/Bujumbura", "2024-07-25T10:00:00Z", 7200 },
		{ "Asia/Kolkata", "2024-07-25T10:00:00Z", 19800 },
		{ "Pacific/Kiritimati", "2024-07-25T10:00:00Z", 50400 },
		{ "UTC", "2024-07-25T10:00:00Z", 0 },
		{ "UTC", "0001-01-01T00:00:00Z", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(tz_offset(Z(cases[i].zone), T(cases[i].at), &off), TZ_OK);
		cr_assert_eq(off, cases[i].offset, "%s at %s: %d", cases[i].zone, cases[i].at, off);
	}
}

Test(tz, paris_gap_and_overlap)
{
	/* 2024-03-31: 02:00 CET becomes 03:00 CEST. */
	instant_of("Europe/Paris", "2024-03-31", 1, 59, 59, "2024-03-31T00:59:59Z");
	instant_of("Europe/Paris", "2024-03-31", 2, 0, 0, "2024-03-31T01:00:00Z");
	instant_of("Europe/Paris", "2024-03-31", 2, 30, 0, "2024-03-31T01:30:00Z");
	instant_of("Europe/Paris", "2024-03-31", 3, 30, 0, "2024-03-31T01:30:00Z");
	instant_of("Europe/Paris", "2024-03-31", 3, 0, 0, "2024-03-31T01:00:00Z");
	/* 2024-10-27: 03:00 CEST becomes 02:00 CET; 02:30 happens twice. */
	instant_of("Europe/Paris", "2024-10-27", 2, 30, 0, "2024-10-27T00:30:00Z");
	instant_of("Europe/Paris", "2024-10-27", 2, 0, 0, "2024-10-27T00:00:00Z");
	instant_of("Europe/Paris", "2024-10-27", 2, 59, 59, "2024-10-27T00:59:59Z");
	instant_of("Europe/Paris", "2024-10-27", 3, 0, 0, "2024-10-27T02:00:00Z");
	instant_of("Europe/Paris", "2024-10-27", 1, 59, 59, "2024-10-26T23:59:59Z");
	instant_of("Europe/Paris", "2024-10-27", 0, 0, 0, "2024-10-26T22:00:00Z");
}

Test(tz, toronto_gap_and_overlap)
{
	/* 2024-03-10: 02:00 EST becomes 03:00 EDT. */
	instant_of("America/Toronto", "2024-03-10", 2, 30, 0, "2024-03-10T07:30:00Z");
	instant_of("America/Toronto", "2024-03-10", 1, 59, 59, "2024-03-10T06:59:59Z");
	instant_of("America/Toronto", "2024-03-10", 3, 0, 0, "2024-03-10T07:00:00Z");
	/* 2024-11-03: 02:00 EDT becomes 01:00 EST; 01:30 happens twice. */
	instant_of("America/Toronto", "2024-11-03", 1, 30, 0, "2024-11-03T05:30:00Z");
	instant_of("America/Toronto", "2024-11-03", 2, 0, 0, "2024-11-03T07:00:00Z");
	instant_of("America/Toronto", "2024-11-03", 0, 59, 59, "2024-11-03T04:59:59Z");
}

Test(tz, midnight_that_does_not_exist)
{
	int64_t t;
	char buf[INSTANT_TEXT_LEN + 1];

	/* Brazil's last DST began at 00:00 on 2018-11-04: midnight was skipped,
	 * so the bare date means 01:00 local (-02:00). */
	cr_assert_eq(tz_parse_when(Z("America/Sao_Paulo"), "2018-11-04", 10, &t), TZ_OK);
	instant_format(t, buf);
	cr_assert_str_eq(buf, "2018-11-04T03:00:00Z");
	/* It ended at 00:00 on 2019-02-17, back to 23:00: 23:30 was twice. */
	instant_of("America/Sao_Paulo", "2019-02-16", 23, 30, 0, "2019-02-17T01:30:00Z");
	instant_of("America/Sao_Paulo", "2019-02-17", 0, 0, 0, "2019-02-17T03:00:00Z");
	/* Samoa skipped 2011-12-30 entirely (-10:00 to +14:00). */
	instant_of("Pacific/Apia", "2011-12-29", 23, 59, 59, "2011-12-30T09:59:59Z");
	instant_of("Pacific/Apia", "2011-12-30", 12, 0, 0, "2011-12-30T22:00:00Z");
	instant_of("Pacific/Apia", "2011-12-31", 0, 0, 0, "2011-12-30T10:00:00Z");
}

Test(tz, parse_when)
{
	int64_t t = 99;
	char buf[INSTANT_TEXT_LEN + 1];

	cr_assert_eq(tz_parse_when(Z("Europe/Kyiv"), "2024-07-25", 10, &t), TZ_OK);
	instant_format(t, buf);
	cr_assert_str_eq(buf, "2024-07-24T21:00:00Z", "local midnight");
	cr_assert_eq(tz_parse_when(Z("America/Sao_Paulo"), "2024-07-25", 10, &t), TZ_OK);
	instant_format(t, buf);
	cr_assert_str_eq(buf, "2024-07-25T03:00:00Z");
	cr_assert_eq(tz_parse_when(Z("UTC"), "2024-07-25", 10, &t), TZ_OK);
	cr_assert_eq(t, T("2024-07-25T00:00:00Z"));
	cr_assert_eq(tz_parse_when(Z("Europe/Kyiv"), "2024-07-25T10:00:00+03:00", 25, &t), TZ_OK);
	cr_assert_eq(t, T("2024-07-25T07:00:00Z"), "an instant ignores the zone");
	cr_assert_eq(tz_parse_when(NULL, "2024-07-25T10:00:00Z", 20, &t), TZ_OK);
	cr_assert_eq(t, T("2024-07-25T10:00:00Z"));

	t = 99;
	cr_assert_eq(tz_parse_when(NULL, "2024-07-25", 10, &t), TZ_SYNTAX, "no zone, no bare date");
	cr_assert_eq(tz_parse_when(Z("UTC"), "2024-02-30", 10, &t), TZ_RANGE);
	cr_assert_eq(tz_parse_when(Z("UTC"), "2024-07-25T24:00:00Z", 20, &t), TZ_RANGE);
	cr_assert_eq(tz_parse_when(Z("UTC"), "2024-07-2", 9, &t), TZ_SYNTAX);
	cr_assert_eq(tz_parse_when(Z("UTC"), "25/07/2024", 10, &t), TZ_SYNTAX);
	cr_assert_eq(tz_parse_when(Z("UTC"), "", 0, &t), TZ_SYNTAX);
	cr_assert_eq(tz_parse_when(Z("UTC"), "2024-07-25 ", 11, &t), TZ_SYNTAX);
	cr_assert_eq(tz_parse_when(Z("UTC"), "2024-07-25T10:00:00", 19, &t), TZ_SYNTAX);
	cr_assert_eq(t, 99);
	/* Only len bytes are read. */
	cr_assert_eq(tz_parse_when(Z("UTC"), "2024-07-25T10:00:00Z", 10, &t), TZ_OK);
	cr_assert_eq(t, T("2024-07-25T00:00:00Z"));
}

Test(tz, ranges)
{
	struct tz *paris = Z("Europe/Paris");
	int64_t t = 5;
	int32_t d = 5, off = 5;

	cr_assert_eq(tz_instant_of(paris, DATE_MIN - 1, 0, &t), TZ_RANGE);
	cr_assert_eq(tz_instant_of(paris, DATE_MAX + 1, 0, &t), TZ_RANGE);
	cr_assert_eq(tz_instant_of(paris, D("2024-07-25"), -1, &t), TZ_RANGE);
	cr_assert_eq(tz_instant_of(paris, D("2024-07-25"), 86400, &t), TZ_RANGE);
	cr_assert_eq(t, 5);
	cr_assert_eq(tz_local_date(paris, INT64_MAX, &d), TZ_RANGE);
	cr_assert_eq(tz_local_date(paris, INT64_MIN, &d), TZ_RANGE);
	cr_assert_eq(tz_offset(paris, INT64_MIN, &off), TZ_RANGE);
	cr_assert_eq(d, 5);
	cr_assert_eq(off, 5);

	/* The extreme dates work in the extreme zones. */
	instant_of("Europe/Paris", "0001-01-01", 0, 0, 0, "0001-01-01T00:00:00Z");
	cr_assert_eq(tz_instant_of(paris, DATE_MIN, 0, &t), TZ_OK);
	cr_assert_eq(t, (int64_t)DATE_MIN * 86400 - 561, "Paris mean time, +00:09:21");
	instant_of("Pacific/Kiritimati", "9999-12-31", 23, 59, 59, "9999-12-31T09:59:59Z");
	cr_assert_eq(tz_local_date(Z("Pacific/Kiritimati"), T("9999-12-31T23:59:59Z"), &d), TZ_OK);
	cr_assert_eq(d, DATE_MAX + 1);
	cr_assert_eq(tz_local_date(Z("America/Toronto"), T("0001-01-01T00:00:00Z"), &d), TZ_OK);
	cr_assert_eq(d, DATE_MIN - 1);
}

Test(tz, strerror)
{
	cr_assert_str_eq(tz_strerror(TZ_UNKNOWN), "is not an IANA time zone");
	cr_assert_str_neq(tz_strerror(TZ_SYNTAX), tz_strerror(TZ_RANGE));
	cr_assert_not_null(tz_strerror(TZ_ICU));
	cr_assert_str_eq(tz_strerror(-42), "unknown time zone error");
}

/*
 * The cached offset windows against a fresh proleptic Gregorian ICU
 * calendar, at random instants in random order (so that windows are both
 * hit and missed), over years 1800..2100 in zones with odd histories.
 */
static const char *const sweep_zones[] = {
	"Europe/Paris", "America/Sao_Paulo", "Europe/Kyiv", "America/Toronto",
	"Pacific/Apia", "Australia/Lord_Howe", "Asia/Kathmandu", "Africa/Casablanca",
	"Antarctica/Troll", "America/St_Johns", "Africa/Bujumbura", "UTC",
};

static UCalendar *reference_calendar(const char *zone)
{
	UChar uz[64];
	UErrorCode st = U_ZERO_ERROR;
	UCalendar *cal;

	u_uastrcpy(uz, zone);
	cal = ucal_open(uz, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
	ucal_setGregorianChange(cal, U_DATE_MIN, &st);
	cr_assert(U_SUCCESS(st));
	return cal;
}

Test(tz, windows_agree_with_icu)
{
	const int64_t lo = T("1800-01-01T00:00:00Z"), hi = T("2100-01-01T00:00:00Z");
	uint64_t state = 7;

	for (size_t zi = 0; zi < sizeof(sweep_zones) / sizeof(sweep_zones[0]); zi++) {
		struct tz *z = Z(sweep_zones[zi]);
		UCalendar *cal = reference_calendar(sweep_zones[zi]);

		int64_t prev = lo;

		for (int i = 0; i < 30000; i++) {
			UErrorCode st = U_ZERO_ERROR;
			int64_t t = lo + (int64_t)(lcg(&state) % (uint64_t)(hi - lo));
			int32_t day, secs, want;

			/* Two thirds of the instants walk on from the previous
			 * one, by up to a day either way, or through 2024 hour by
			 * hour: they cross transitions from both sides. */
			if (i % 3 == 1)
				t = prev + (int64_t)(lcg(&state) % 172800) - 86400;
			else if (i % 3 == 2)
				t = T("2024-01-01T00:00:00Z") + (int64_t)(i / 3) * 3600 - 1;
			prev = t;
			cr_assert_eq(tz_local_time(z, t, &day, &secs), TZ_OK);
			ucal_setMillis(cal, (UDate)t * 1000, &st);
			cr_assert_eq(date_from_ymd(ucal_get(cal, UCAL_EXTENDED_YEAR, &st),
						   ucal_get(cal, UCAL_MONTH, &st) + 1,
						   ucal_get(cal, UCAL_DATE, &st), &want), CALTIME_OK);
			cr_assert(U_SUCCESS(st));
			cr_assert_eq(day, want, "%s at %lld", sweep_zones[zi], (long long)t);
			cr_assert_eq(secs, ucal_get(cal, UCAL_HOUR_OF_DAY, &st) * 3600 +
					   ucal_get(cal, UCAL_MINUTE, &st) * 60 +
					   ucal_get(cal, UCAL_SECOND, &st),
				     "%s at %lld", sweep_zones[zi], (long long)t);
		}
		ucal_close(cal);
	}
}

/*
 * tz_instant_of, fast path or not, against the rules themselves: the
 * result's local time is the one asked for, and no earlier instant has it;
 * in a gap, the result is the asked time moved forward by the gap.
 */
Test(tz, instant_of_is_consistent)
{
	uint64_t state = 11;
	const int32_t lo = D("1900-01-01"), hi = D("2060-01-01");

	for (size_t zi = 0; zi < sizeof(sweep_zones) / sizeof(sweep_zones[0]); zi++) {
		struct tz *z = Z(sweep_zones[zi]);

		for (int i = 0; i < 20000; i++) {
			int32_t day = lo + (int32_t)(lcg(&state) % (uint64_t)(hi - lo));
			int32_t secs = (int32_t)(lcg(&state) % 86400), got_day, got_secs, off;
			int64_t t, local = (int64_t)day * 86400 + secs;

			/* Half of the times at the hours transitions favour. */
			if (i % 2)
				secs = (int32_t)(lcg(&state) % 4) * 3600 + (int32_t)(lcg(&state) % 2) * 1800;
			local = (int64_t)day * 86400 + secs;
			cr_assert_eq(tz_instant_of(z, day, secs, &t), TZ_OK);
			cr_assert_eq(tz_local_time(z, t, &got_day, &got_secs), TZ_OK);
			if ((int64_t)got_day * 86400 + got_secs == local) {
				/* No earlier instant with the same local time: any
				 * earlier solution has a larger offset o seen in the
				 * day before, and would be local - o. */
				for (int64_t back = 900; back <= 30 * 3600; back += 900) {
					int32_t o, o2;

					cr_assert_eq(tz_offset(z, t - back, &o), TZ_OK);
					if (local - o >= t)
						continue;
					cr_assert_eq(tz_offset(z, local - o, &o2), TZ_OK);
					cr_assert_neq(o2, o, "%s: %lld is also local %lld",
						      sweep_zones[zi], (long long)(local - o),
						      (long long)local);
				}
			} else {
				/* A gap: the local time did not exist. The result is
				 * read with the offset before the transition, so it
				 * is later by the size of the gap. */
				int32_t before;

				cr_assert_eq(tz_offset(z, t, &off), TZ_OK);
				cr_assert_eq(tz_offset(z, local - off, &before), TZ_OK);
				cr_assert_gt(off, before, "%s %lld", sweep_zones[zi], (long long)local);
				cr_assert_eq(t, local - before, "%s %lld", sweep_zones[zi],
					     (long long)local);
				cr_assert_eq((int64_t)got_day * 86400 + got_secs, local + off - before);
			}
		}
	}
}
