/*
 * tz — IANA zones through ICU calendars, with an offset cache per zone.
 *
 * Cost model. An ICU round trip (ucal_setMillis, ucal_get and two
 * transition look-ups) costs about a microsecond. But a zone's UTC offset
 * only changes at its transitions, twice a year at most, so each zone keeps
 * the last TZ_WINDOWS windows it met: a window is the run of instants
 * between two of ICU's transitions, during which the offset is constant.
 * An instant inside a known window is converted with integer arithmetic
 * alone (a few nanoseconds); ICU is asked only when it falls outside all of
 * them. Sixteen windows cover some eight years of a zone with daylight
 * saving time.
 *
 * Time is int64_t seconds here and UDate (milliseconds in a binary
 * floating-point type) inside ICU. Every instant handed to ICU is in
 * TZ_T_MIN..TZ_T_MAX, so t * 1000 is below 2^53 and exact, and every
 * transition or result ICU hands back is a whole number of milliseconds.
 *
 * Calendars are proleptic Gregorian (no Julian cutover in 1582): the same
 * calendar as caltime's day numbers, for years 0001..9999.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "caltime.h"
#include "tz.h"

#define SECS_PER_DAY 86400
/* Instants whose local date can be in years 0001..9999: a day of margin on
 * either side for the UTC offset. */
#define TZ_T_MIN (((int64_t)DATE_MIN - 1) * SECS_PER_DAY)
#define TZ_T_MAX (((int64_t)DATE_MAX + 2) * SECS_PER_DAY - 1)
/* More than the largest gap between two UTC offsets any zone has had
 * (-15:56 to +15:13 LMT, about 31 hours); see tz_instant_of. */
#define TZ_SAFE_MARGIN (3 * SECS_PER_DAY)
/* The longest IANA id is some 32 bytes ("America/Argentina/ComodRivadavia"). */
#define TZ_NAME_MAX 63
#define TZ_WINDOWS 16

/* The offset is `offset` for every t in [start, end). An unused window is
 * empty (start > end). Windows of one zone never overlap. */
struct tz_window {
	int64_t start;
	int64_t end;
	int32_t offset;
};

struct tz {
	char name[TZ_NAME_MAX + 1];
	UCalendar *cal;
	struct tz_window win[TZ_WINDOWS];
	unsigned hot;   /* the window that answered last: tried first */
	unsigned next;  /* the window ICU fills next (round robin) */
};

/*
 * The cache: an open-addressing hash table of zones by the name they were
 * asked for, never more than half full, plus the last zone returned (one
 * customer's rows tend to come together). Zones are never freed; there are
 * at most a few hundred names ICU accepts. Each thread has its own cache
 * (ICU calendars are not to be shared between threads).
 */
static __thread struct tz **tz_slots;
static __thread size_t tz_nslots;
static __thread size_t tz_count;
static __thread struct tz *tz_last;

static const char *const tz_errors[] = {
	[-TZ_OK] = "ok",
	[-TZ_UNKNOWN] = "is not an IANA time zone",
	[-TZ_SYNTAX] = "is not an RFC 3339 instant or a YYYY-MM-DD date",
	[-TZ_RANGE] = "names no real date or time",
	[-TZ_ICU] = "could not be handled by ICU",
};

const char *tz_strerror(int err)
{
	if (err > 0 || -err >= (int)(sizeof(tz_errors) / sizeof(tz_errors[0])))
		return "unknown time zone error";
	return tz_errors[-err];
}

static int64_t tz_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* FNV-1a. */
static size_t tz_hash(const char *s)
{
	uint64_t h = 14695981039346656037u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211u;
	}
	return (size_t)h;
}

/* The slot holding `name`, or the empty slot where it would go. */
static struct tz **tz_slot(struct tz **slots, size_t nslots, const char *name)
{
	size_t i = tz_hash(name) & (nslots - 1);

	while (slots[i] != NULL && strcmp(slots[i]->name, name) != 0)
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

static int tz_cache_add(struct tz *z)
{
	if (2 * (tz_count + 1) > tz_nslots) {
		size_t n = tz_nslots ? 2 * tz_nslots : 64;
		struct tz **slots = calloc(n, sizeof(*slots));

		if (slots == NULL)
			return TZ_ICU;
		for (size_t i = 0; i < tz_nslots; i++)
			if (tz_slots[i] != NULL)
				*tz_slot(slots, n, tz_slots[i]->name) = tz_slots[i];
		free(tz_slots);
		tz_slots = slots;
		tz_nslots = n;
	}
	*tz_slot(tz_slots, tz_nslots, z->name) = z;
	tz_count++;
	return TZ_OK;
}

/*
 * Opens the zone `name` (len bytes of [A-Za-z0-9/_+-], checked by the
 * caller). ICU's ucal_open never fails on an unknown id: it silently uses
 * "Etc/Unknown", which is GMT. So the id is first looked up with
 * ucal_getCanonicalTimeZoneID, whose isSystemID is true only for ids of
 * ICU's tz database (canonical ids and their links): custom ids like "GMT+3"
 * are normalised but not system ids, and "Etc/Unknown" is not one either.
 */
static int tz_open(const char *name, size_t len, struct tz **out)
{
	UChar uname[TZ_NAME_MAX + 1];
	UChar canonical[TZ_NAME_MAX + 1];
	UErrorCode st = U_ZERO_ERROR;
	UBool is_system = 0;
	struct tz *z = NULL;
	int rc = TZ_UNKNOWN;

	assert(len > 0 && len <= TZ_NAME_MAX);
	u_charsToUChars(name, uname, (int32_t)len);
	ucal_getCanonicalTimeZoneID(uname, (int32_t)len, canonical,
				    TZ_NAME_MAX + 1, &is_system, &st);
	if (U_FAILURE(st) || !is_system)
		goto out;

	rc = TZ_ICU;
	z = calloc(1, sizeof(*z));
	if (z == NULL)
		goto out;
	memcpy(z->name, name, len);
	z->name[len] = '\0';
	for (int i = 0; i < TZ_WINDOWS; i++) {
		z->win[i].start = 1;
		z->win[i].end = 0;
	}
	z->cal = ucal_open(uname, (int32_t)len, "en_US_POSIX", UCAL_GREGORIAN, &st);
	if (U_FAILURE(st))
		goto out;
	/* Lenient so that the wall-time options below apply instead of an
	 * error for a local time that does not exist. */
	ucal_setAttribute(z->cal, UCAL_LENIENT, 1);
	ucal_setAttribute(z->cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_LAST);
	ucal_setAttribute(z->cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
	ucal_setGregorianChange(z->cal, U_DATE_MIN, &st);
	if (U_FAILURE(st))
		goto out;
	rc = tz_cache_add(z);
	if (rc != TZ_OK)
		goto out;
	*out = z;
	z = NULL;
out:
	if (z != NULL) {
		if (z->cal != NULL)
			ucal_close(z->cal);
		free(z);
	}
	return rc;
}

int tz_get(const char *name, struct tz **out)
{
	struct tz **slot;
	size_t len;
	int rc;

	assert(out != NULL);
	if (name == NULL)
		return TZ_UNKNOWN;
	if (tz_last != NULL && strcmp(tz_last->name, name) == 0) {
		*out = tz_last;
		return TZ_OK;
	}
	/* IANA ids are ASCII letters, digits and "/_+-"; checking this also
	 * keeps u_charsToUChars to the invariant characters it requires. */
	for (len = 0; name[len] != '\0'; len++) {
		char c = name[len];

		if (len == TZ_NAME_MAX)
			return TZ_UNKNOWN;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '+' || c == '-'))
			return TZ_UNKNOWN;
	}
	if (len == 0)
		return TZ_UNKNOWN;
	if (tz_nslots > 0) {
		slot = tz_slot(tz_slots, tz_nslots, name);
		if (*slot != NULL) {
			tz_last = *out = *slot;
			return TZ_OK;
		}
	}
	rc = tz_open(name, len, out);
	if (rc == TZ_OK)
		tz_last = *out;
	return rc;
}

void tz_thread_release(void)
{
	for (size_t i = 0; i < tz_nslots; i++) {
		if (tz_slots[i] != NULL) {
			ucal_close(tz_slots[i]->cal);
			free(tz_slots[i]);
		}
	}
	free(tz_slots);
	tz_slots = NULL;
	tz_nslots = tz_count = 0;
	tz_last = NULL;
}

int tz_valid(const char *name)
{
	struct tz *z;

	return tz_get(name, &z) == TZ_OK;
}

const char *tz_name(const struct tz *z)
{
	assert(z != NULL);
	return z->name;
}

/* A transition instant from ICU as whole seconds, the first second at or
 * after it, so that t >= result exactly when t * 1000 >= ms. */
static int64_t tz_transition_secs(UDate ms)
{
	int64_t v;

	if (ms < (UDate)TZ_T_MIN * 1000)
		return TZ_T_MIN;
	if (ms > (UDate)TZ_T_MAX * 1000)
		return TZ_T_MAX + 1;
	v = (int64_t)ms;
	return -tz_floordiv(-v, 1000);
}

/* Asks ICU for the window holding t (TZ_T_MIN <= t <= TZ_T_MAX) and keeps
 * it in z, in place of the oldest one; sets z->hot to it. */
static int tz_fill_window(struct tz *z, int64_t t)
{
	struct tz_window *w;
	UErrorCode st = U_ZERO_ERROR;
	UDate prev = 0, next = 0;
	UBool has_prev, has_next;
	int64_t offset_ms;

	assert(t >= TZ_T_MIN && t <= TZ_T_MAX);
	ucal_setMillis(z->cal, (UDate)(t * 1000), &st);
	offset_ms = (int64_t)ucal_get(z->cal, UCAL_ZONE_OFFSET, &st) +
		    ucal_get(z->cal, UCAL_DST_OFFSET, &st);
	has_prev = ucal_getTimeZoneTransitionDate(z->cal, UCAL_TZ_TRANSITION_PREVIOUS_INCLUSIVE,
						  &prev, &st);
	has_next = ucal_getTimeZoneTransitionDate(z->cal, UCAL_TZ_TRANSITION_NEXT, &next, &st);
	if (U_FAILURE(st))
		return TZ_ICU;
	/* The tz database has whole-second offsets, all within a day. */
	assert(offset_ms % 1000 == 0);
	assert(offset_ms > -SECS_PER_DAY * 1000 && offset_ms < SECS_PER_DAY * 1000);
	z->hot = z->next;
	z->next = (z->next + 1) % TZ_WINDOWS;
	w = &z->win[z->hot];
	w->offset = (int32_t)(offset_ms / 1000);
	w->start = has_prev ? tz_transition_secs(prev) : TZ_T_MIN;
	w->end = has_next ? tz_transition_secs(next) : TZ_T_MAX + 1;
	/* Should ICU's transitions ever disagree with its offsets, a window of
	 * the single second t is still right. */
	if (w->start > t)
		w->start = t;
	if (w->end <= t)
		w->end = t + 1;
	return TZ_OK;
}

/* The known window holding t, or NULL. */
static const struct tz_window *tz_find_window(struct tz *z, int64_t t)
{
	const struct tz_window *w = &z->win[z->hot];

	if (t >= w->start && t < w->end)
		return w;
	for (unsigned i = 0; i < TZ_WINDOWS; i++) {
		w = &z->win[i];
		if (t >= w->start && t < w->end) {
			z->hot = i;
			return w;
		}
	}
	return NULL;
}

int tz_offset(struct tz *z, int64_t t, int32_t *seconds)
{
	const struct tz_window *w;
	int rc;

	assert(z != NULL && seconds != NULL);
	if (t < TZ_T_MIN || t > TZ_T_MAX)
		return TZ_RANGE;
	w = tz_find_window(z, t);
	if (w == NULL) {
		rc = tz_fill_window(z, t);
		if (rc != TZ_OK)
			return rc;
		w = &z->win[z->hot];
	}
	*seconds = w->offset;
	return TZ_OK;
}

/*
 * `seconds` is the local wall-clock time of day (h * 3600 + m * 60 + s), not
 * the time elapsed since midnight: the two differ on a day with a
 * transition.
 */
int tz_local_time(struct tz *z, int64_t t, int32_t *day, int32_t *seconds)
{
	int32_t offset;
	int64_t local;
	int rc;

	assert(day != NULL && seconds != NULL);
	rc = tz_offset(z, t, &offset);
	if (rc != TZ_OK)
		return rc;
	local = t + offset;
	*day = (int32_t)tz_floordiv(local, SECS_PER_DAY);
	*seconds = (int32_t)(local - (int64_t)*day * SECS_PER_DAY);
	return TZ_OK;
}

int tz_local_date(struct tz *z, int64_t t, int32_t *day)
{
	int32_t seconds;

	return tz_local_time(z, t, day, &seconds);
}

/*
 * Fast path: for a known window w, cand = L - w.offset is a solution when
 * it lies in w (its local time is L). Any other solution t' has another
 * offset, and |t' - cand| is the difference of the two offsets, under
 * TZ_SAFE_MARGIN; so when cand is at least that far from both ends of w, t'
 * would lie in w too, with the same offset: cand is the only solution,
 * neither in a gap nor in an overlap. Otherwise ICU resolves it with the
 * wall-time options set in tz_open.
 */
int tz_instant_of(struct tz *z, int32_t day, int32_t seconds, int64_t *out)
{
	UErrorCode st = U_ZERO_ERROR;
	int64_t local, cand, ms, t;
	int y, m, d, rc;
	UDate when;

	assert(z != NULL && out != NULL);
	if (day < DATE_MIN || day > DATE_MAX || seconds < 0 || seconds >= SECS_PER_DAY)
		return TZ_RANGE;
	local = (int64_t)day * SECS_PER_DAY + seconds;
	for (unsigned i = 0; i < TZ_WINDOWS; i++) {
		const struct tz_window *w = &z->win[(z->hot + i) % TZ_WINDOWS];

		cand = local - w->offset;
		if (cand - TZ_SAFE_MARGIN >= w->start && cand + TZ_SAFE_MARGIN < w->end) {
			z->hot = (z->hot + i) % TZ_WINDOWS;
			*out = cand;
			return TZ_OK;
		}
	}

	date_to_ymd(day, &y, &m, &d);
	ucal_clear(z->cal);
	ucal_setDateTime(z->cal, y, m - 1, d, seconds / 3600, seconds / 60 % 60, seconds % 60,
			 &st);
	when = ucal_getMillis(z->cal, &st);
	if (U_FAILURE(st))
		return TZ_ICU;
	ms = (int64_t)when;
	assert(ms % 1000 == 0);
	t = ms / 1000;
	/* Later days of the same customer are likely near: keep the window
	 * around this one for the fast path. */
	if (t >= TZ_T_MIN && t <= TZ_T_MAX && tz_find_window(z, t) == NULL) {
		rc = tz_fill_window(z, t);
		if (rc != TZ_OK)
			return rc;
	}
	*out = t;
	return TZ_OK;
}

int tz_parse_when(struct tz *z, const char *s, size_t len, int64_t *out)
{
	int32_t day;
	int rc;

	assert(s != NULL || len == 0);
	assert(out != NULL);
	if (len == DATE_TEXT_LEN) {
		if (z == NULL)
			return TZ_SYNTAX;
		rc = date_parse(s, len, &day);
		if (rc != CALTIME_OK)
			return rc == CALTIME_RANGE ? TZ_RANGE : TZ_SYNTAX;
		return tz_instant_of(z, day, 0, out);
	}
	rc = instant_parse(s, len, out);
	if (rc != CALTIME_OK)
		return rc == CALTIME_RANGE ? TZ_RANGE : TZ_SYNTAX;
	return TZ_OK;
}
