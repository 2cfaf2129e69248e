/*
 * tz — IANA time zones through ICU: the customer's local date at an instant,
 * and the instant of a local date and time.
 *
 * Zones are opened by name once and cached for the life of the process
 * (tz_get); a struct tz is owned by the cache and must not be freed by the
 * caller. ICU calendars are not thread-safe: use from one thread, or give
 * each thread its own cache (not needed yet).
 *
 * Daylight saving: a local time that falls in a gap (spring forward) is
 * moved forward by the length of the gap (02:30 in a 02:00→03:00 gap is
 * 03:30); a local time that occurs twice (fall back) is the earlier instant.
 */
#ifndef RELANCE_TZ_H
#define RELANCE_TZ_H

#include <stddef.h>
#include <stdint.h>

struct tz;

enum tz_err {
	TZ_OK = 0,
	TZ_UNKNOWN = -1,   /* not an IANA zone ICU knows ("Mars/Olympus") */
	TZ_SYNTAX = -2,    /* an instant or date that does not parse */
	TZ_RANGE = -3,     /* parses, but names no real date or time */
	TZ_ICU = -4,       /* ICU failed (out of memory) */
};

/*
 * The cached zone named `name` (e.g. "America/Sao_Paulo"), opened on first
 * use. Only canonical IANA ids and their links are accepted; "GMT+3" style
 * custom ids and ICU's unknown zone "Etc/Unknown" are TZ_UNKNOWN. Returns
 * TZ_OK and stores the zone in *out.
 */
int tz_get(const char *name, struct tz **out);
/* The cache is the calling thread's: a thread that ends calls this to
 * free its zones (every struct tz it got is gone after). */
void tz_thread_release(void);
/* Whether `name` is an IANA zone that tz_get would accept. */
int tz_valid(const char *name);
const char *tz_name(const struct tz *z);

/* The local calendar day at instant t in zone z. These three return
 * TZ_RANGE for an instant more than a day outside years 0001..9999. */
int tz_local_date(struct tz *z, int64_t t, int32_t *day);
/* Local day and wall-clock time of day (h * 3600 + m * 60 + s) at instant t. */
int tz_local_time(struct tz *z, int64_t t, int32_t *day, int32_t *seconds);
/* UTC offset in seconds at instant t (e.g. -10800 in São Paulo). */
int tz_offset(struct tz *z, int64_t t, int32_t *seconds);

/*
 * The instant of local `day` at `seconds` after local midnight
 * (0 <= seconds < 86400), with the gap and overlap rules above.
 */
int tz_instant_of(struct tz *z, int32_t day, int32_t seconds, int64_t *out);

/*
 * An instant as files and options give it: an RFC 3339 date-time, or a bare
 * "YYYY-MM-DD" meaning that date's local midnight in zone z (z may be NULL
 * only when a bare date is not allowed: then a bare date is TZ_SYNTAX).
 */
int tz_parse_when(struct tz *z, const char *s, size_t len, int64_t *out);

const char *tz_strerror(int err);

#endif
