/*
 * Fuzz target: dates, RFC 3339 instants, and instants as files give them in
 * a customer's zone. Invariants checked beyond "no crash":
 *   - a date that parses is exactly its own text once formatted;
 *   - an instant that parses formats to text that parses to the same
 *     instant, and its UTC day is the date in that text;
 *   - a bare date in a zone is its local midnight or, when a gap skipped
 *     midnight, the first instant after it (local time before it one
 *     second earlier);
 *   - the instant of a local day and time (taken from the input's bytes)
 *     shows that time locally, or a later one when a gap skipped it.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/core/caltime.h"
#include "../src/core/tz.h"

static const char *const fuzz_zones[] = {
	"Europe/Paris", "America/Sao_Paulo", "Europe/Kyiv", "America/Toronto",
	"Pacific/Apia", "Australia/Lord_Howe", "Africa/Bujumbura", "UTC",
};

static struct tz *fuzz_zone(unsigned i)
{
	struct tz *z = NULL;

	if (tz_get(fuzz_zones[i % (sizeof(fuzz_zones) / sizeof(fuzz_zones[0]))], &z) != TZ_OK)
		abort();
	return z;
}

static void fuzz_dates(const char *s, size_t size)
{
	char buf[INSTANT_TEXT_LEN + 1];
	int32_t day;
	int64_t t, back;

	if (date_parse(s, size, &day) == CALTIME_OK) {
		if (size != DATE_TEXT_LEN || day < DATE_MIN || day > DATE_MAX)
			abort();
		date_format(day, buf);
		if (memcmp(buf, s, DATE_TEXT_LEN) != 0)
			abort();
	}
	if (instant_parse(s, size, &t) == CALTIME_OK) {
		instant_format(t, buf);
		if (instant_parse(buf, INSTANT_TEXT_LEN, &back) != CALTIME_OK || back != t)
			abort();
		if (date_parse(buf, DATE_TEXT_LEN, &day) != CALTIME_OK || day != instant_utc_day(t))
			abort();
	}
}

static void fuzz_when(struct tz *z, const char *s, size_t size)
{
	int32_t day, secs, want;
	int64_t t, midnight, local;

	if (tz_parse_when(z, s, size, &t) != TZ_OK)
		return;
	if (tz_local_time(z, t, &day, &secs) != TZ_OK)
		abort();
	if (size != DATE_TEXT_LEN)
		return;
	if (date_parse(s, size, &want) != CALTIME_OK)
		abort();
	midnight = (int64_t)want * 86400;
	local = (int64_t)day * 86400 + secs;
	/* Gaps are at most a day (Samoa skipped 2011-12-30 whole). */
	if (local < midnight || local > midnight + 86400)
		abort();
	if (local != midnight) {
		if (tz_local_time(z, t - 1, &day, &secs) != TZ_OK ||
		    (int64_t)day * 86400 + secs >= midnight)
			abort();
	}
}

static uint32_t fuzz_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void fuzz_instant_of(const uint8_t *data)
{
	struct tz *z = fuzz_zone(data[8]);
	int32_t day = DATE_MIN + (int32_t)(fuzz_u32(data) % (uint32_t)(DATE_MAX - DATE_MIN + 1));
	int32_t secs = (int32_t)(fuzz_u32(data + 4) % 86400), got_day, got_secs;
	int64_t t, local = (int64_t)day * 86400 + secs, got;

	if (tz_instant_of(z, day, secs, &t) != TZ_OK)
		abort();
	if (tz_local_time(z, t, &got_day, &got_secs) != TZ_OK)
		abort();
	got = (int64_t)got_day * 86400 + got_secs;
	/* Shown as asked, or moved forward by a gap of at most a day. */
	if (got < local || got > local + 86400)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	fuzz_dates(s, size);
	for (unsigned i = 0; i < sizeof(fuzz_zones) / sizeof(fuzz_zones[0]); i++)
		fuzz_when(fuzz_zone(i), s, size);
	if (tz_parse_when(NULL, s, size, &(int64_t){ 0 }) == TZ_OK && size == DATE_TEXT_LEN)
		abort();
	if (size >= 9)
		fuzz_instant_of(data);
	return 0;
}
