/*
 * compliance — the next allowed moment, found exactly.
 *
 * The allowed instants of an outbound contact are the intersection of:
 *
 *   windows   the union, over local days that are not holidays for the
 *             customer, of [instant_of(day, start), instant_of(day, end))
 *             for the windows of the day's weekday (tz.h moves a time in a
 *             DST gap forward and takes the earlier of a repeated one);
 *   caps      for each cap covering the channel, fewer than `max` covered
 *             contacts with x - days*86400 < at <= x;
 *   quiet     x >= the last conversation + quiet hours.
 *
 * Each constraint gives, for any x, the smallest y >= x at which it holds
 * by itself ("a lower bound"). The search starts at T and applies them in
 * turn, taking the max, until none moves: that x satisfies all at once and,
 * since every bound is the smallest for its rule, no earlier instant does.
 * Every step jumps to a window start, the end of a quiet period or the
 * instant a contact leaves a rolling period, so the number of steps is
 * bounded by the windows and contacts within the horizon, never by minutes.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "caltime.h"
#include "compliance.h"

#define DAY_SECONDS 86400
#define NO_MOMENT INT64_MAX

/* The channel of a message action, or -1 for an action that contacts
 * nobody (queue, suspend, handoff). */
static int action_channel(enum policy_action_kind kind)
{
	switch (kind) {
	case POLICY_ACT_SMS: return POLICY_SMS;
	case POLICY_ACT_EMAIL: return POLICY_EMAIL;
	case POLICY_ACT_VOICE: return POLICY_VOICE;
	case POLICY_ACT_PORTAL: return POLICY_PORTAL;
	default: return -1;
	}
}

/* Channels that reach the customer at a time of our choosing: windows,
 * holidays, the quiet period and `any` caps apply to them. */
static int outbound(int channel)
{
	return channel == POLICY_SMS || channel == POLICY_EMAIL || channel == POLICY_VOICE;
}

/* Whether cap c limits actions on `channel` and counts contacts on it: an
 * `any` cap covers every outbound channel, others their own channel. */
static int cap_covers(const struct policy_cap *c, int channel)
{
	if (c->channel == POLICY_ANY)
		return outbound(channel);
	return c->channel == channel;
}

__attribute__((format(printf, 5, 6)))
static void decide(struct compliance_decision *out, enum compliance_verdict v,
		   enum compliance_reason r, const char *rule, const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	out->reason = r;
	if (v == COMPLIANCE_DROP)
		out->next = 0;
	snprintf(out->rule, sizeof(out->rule), "%s", rule);
	va_start(ap, fmt);
	vsnprintf(out->text, sizeof(out->text), fmt, ap);
	va_end(ap);
}

/*
 * The smallest y >= x at which cap c, alone, allows one more contact:
 * fewer than c->max covered contacts in (y - P, y], P = days * 86400.
 * When k = count - max + 1 contacts must leave, y is the k-th oldest
 * counted one plus P. Contacts in (x, y] are not looked at: the caller
 * iterates to a fixed point. The k-th oldest is found by k passes over an
 * unsorted history (k is 1 unless the history already broke the cap), so
 * nothing is allocated. Requires c->max >= 1.
 */
static int64_t cap_bound(const struct policy_cap *c, const struct compliance_contact *h, size_t n,
			 int64_t x)
{
	int64_t period = (int64_t)c->days * DAY_SECONDS;
	int64_t low = x - period;
	int count = 0, k, seen = 0;

	assert(c->max >= 1 && c->days >= 1);
	for (size_t i = 0; i < n; i++)
		if (cap_covers(c, h[i].channel) && h[i].at > low && h[i].at <= x)
			count++;
	if (count < c->max)
		return x;
	k = count - c->max + 1;
	for (;;) {
		int64_t v = NO_MOMENT;
		int m = 0;

		for (size_t i = 0; i < n; i++) {
			if (!cap_covers(c, h[i].channel) || h[i].at <= low || h[i].at > x)
				continue;
			if (h[i].at < v) {
				v = h[i].at;
				m = 1;
			} else if (h[i].at == v) {
				m++;
			}
		}
		assert(m > 0);
		seen += m;
		if (seen >= k)
			return v + period;
		low = v;
	}
}

/* The first holiday of j on `day` for this customer (for the file), found by
 * asking policy_is_holiday about each holiday alone. */
static const char *holiday_name(const struct policy_jurisdiction *j, int32_t day, const char *zone,
				const char *segment)
{
	for (size_t i = 0; i < j->n_holidays; i++) {
		struct policy_jurisdiction one = *j;

		one.holidays = &j->holidays[i];
		one.n_holidays = 1;
		if (policy_is_holiday(&one, day, zone, segment))
			return j->holidays[i].name;
	}
	return "holiday";
}

/*
 * The smallest y >= x inside a contact window of a local day that is not a
 * holiday, looking no further than local day `last_day`; NO_MOMENT if none.
 * Windows are half-open: a window 08:00-20:00 allows 19:59:59, not 20:00.
 * Scanning starts at x's local day: a window of an earlier day ends by
 * that day's midnight (end <= 24:00), so at or before x. *holiday is set to
 * a holiday day skipped that had windows still open after x (the reason
 * the moment moved), or left alone.
 */
static int window_bound(const struct compliance_query *q, struct tz *zone, int64_t x,
			int32_t last_day, int64_t *out, int32_t *holiday)
{
	const struct policy_jurisdiction *j = q->j;
	int32_t day, secs;
	int rc;

	rc = tz_local_time(zone, x, &day, &secs);
	if (rc != TZ_OK)
		return rc;
	for (int32_t d = day; d <= last_day; d++) {
		int wd = date_weekday(d) - 1;
		size_t nw = j->n_windows[wd];

		if (nw == 0)
			continue;
		if (policy_is_holiday(j, d, tz_name(zone), q->segment)) {
			if (d > day || j->windows[wd][nw - 1].end * 60 > secs)
				*holiday = d;
			continue;
		}
		for (size_t i = 0; i < nw; i++) {
			const struct policy_window *w = &j->windows[wd][i];
			int64_t start, end;

			assert(w->start >= 0 && w->start < w->end && w->end <= 1440);
			if (w->end == 1440)
				rc = tz_instant_of(zone, d + 1, 0, &end);
			else
				rc = tz_instant_of(zone, d, w->end * 60, &end);
			if (rc == TZ_OK)
				rc = tz_instant_of(zone, d, w->start * 60, &start);
			if (rc != TZ_OK)
				return rc;
			if (end <= x || start >= end)
				continue;
			*out = start > x ? start : x;
			return TZ_OK;
		}
	}
	*out = NO_MOMENT;
	return TZ_OK;
}

/* "2024-02-19 08:00 America/Sao_Paulo" into buf (at least 64 bytes). */
static void local_text(struct tz *zone, int64_t t, char *buf, size_t size)
{
	char date[DATE_TEXT_LEN + 1];
	int32_t day, secs;

	if (tz_local_time(zone, t, &day, &secs) != TZ_OK) {
		char inst[INSTANT_TEXT_LEN + 1];

		instant_format(t, inst);
		snprintf(buf, size, "%s", inst);
		return;
	}
	date_format(day, date);
	snprintf(buf, size, "%s %02d:%02d %s", date, secs / 3600, secs / 60 % 60, tz_name(zone));
}

static int search(const struct compliance_query *q, struct tz *zone, int channel, int64_t t,
		  struct compliance_decision *out)
{
	const struct policy_jurisdiction *j = q->j;
	const struct policy_cap *cap = NULL;
	enum compliance_reason why = COMPLIANCE_OK;
	int64_t x = t, quiet_end = INT64_MIN, conversation = 0;
	int64_t limit = t + (int64_t)COMPLIANCE_HORIZON_DAYS * DAY_SECONDS;
	int32_t last_day, holiday = 0;
	char when[96];
	int windowed = outbound(channel), rc;

	rc = tz_local_date(zone, limit, &last_day);
	if (rc != TZ_OK)
		goto tz_error;
	if (windowed && j->quiet_hours_after_conversation > 0) {
		for (size_t i = 0; i < q->n_history; i++) {
			int64_t end = q->history[i].at + (int64_t)j->quiet_hours_after_conversation * 3600;

			if (q->history[i].conversation && end > quiet_end) {
				quiet_end = end;
				conversation = q->history[i].at;
			}
		}
	}
	/* Fixed point of the lower bounds; x only grows, by at least a second
	 * per round, and only to instants drawn from a finite set. */
	for (;;) {
		int64_t y = x, w;

		if (y > limit) {
			decide(out, COMPLIANCE_DROP, COMPLIANCE_NEVER, "horizon",
			       "no allowed moment within %d days", COMPLIANCE_HORIZON_DAYS);
			return 0;
		}
		if (windowed && quiet_end > y) {
			y = quiet_end;
			why = COMPLIANCE_QUIET;
		}
		for (size_t i = 0; i < j->n_caps; i++) {
			int64_t b;

			if (!cap_covers(&j->caps[i], channel))
				continue;
			b = cap_bound(&j->caps[i], q->history, q->n_history, y);
			if (b > y) {
				y = b;
				why = COMPLIANCE_CAP;
				cap = &j->caps[i];
			}
		}
		if (windowed) {
			int32_t hol = 0;

			rc = window_bound(q, zone, y, last_day, &w, &hol);
			if (rc != TZ_OK)
				goto tz_error;
			if (w == NO_MOMENT) {
				decide(out, COMPLIANCE_DROP, COMPLIANCE_NEVER, "horizon",
				       "no contact window within %d days", COMPLIANCE_HORIZON_DAYS);
				return 0;
			}
			if (w > y) {
				y = w;
				why = hol ? COMPLIANCE_HOLIDAY : COMPLIANCE_WINDOW;
				holiday = hol;
			}
		}
		if (y == x)
			break;
		assert(y > x);
		x = y;
	}
	if (x == t) {
		out->next = t;
		decide(out, COMPLIANCE_ALLOW, COMPLIANCE_OK, "", "allowed");
		return 0;
	}
	out->next = x;
	local_text(zone, x, when, sizeof(when));
	switch (why) {
	case COMPLIANCE_WINDOW:
		decide(out, COMPLIANCE_DEFER, why, "window",
		       "outside the contact windows; next allowed moment %s", when);
		break;
	case COMPLIANCE_HOLIDAY:
		decide(out, COMPLIANCE_DEFER, why, "holiday",
		       "public holiday (%s); next allowed moment %s",
		       holiday_name(j, holiday, tz_name(zone), q->segment), when);
		break;
	case COMPLIANCE_CAP: {
		char rule[48];

		assert(cap != NULL);
		snprintf(rule, sizeof(rule), "cap %s %d/%dd", policy_channel_name(cap->channel),
			 cap->max, cap->days);
		decide(out, COMPLIANCE_DEFER, why, rule,
		       "at most %d %s contact%s in %d day%s; next allowed moment %s", cap->max,
		       policy_channel_name(cap->channel), cap->max == 1 ? "" : "s", cap->days,
		       cap->days == 1 ? "" : "s", when);
		break;
	}
	case COMPLIANCE_QUIET: {
		char conv[INSTANT_TEXT_LEN + 1];

		instant_format(conversation, conv);
		decide(out, COMPLIANCE_DEFER, why, "quiet period",
		       "quiet period of %d h after the conversation at %s; next allowed moment %s",
		       j->quiet_hours_after_conversation, conv, when);
		break;
	}
	default:
		assert(!"a deferral without a rule");
	}
	return 0;

tz_error:
	decide(out, COMPLIANCE_DROP, COMPLIANCE_TZ_ERROR, "timezone", "time zone %s: %s",
	       tz_name(zone), tz_strerror(rc));
	return rc;
}

int compliance_check(const struct compliance_query *q, int64_t t, struct compliance_decision *out)
{
	const struct policy_jurisdiction *j;
	const struct compliance_action *a;
	struct tz *zone;
	int channel, rc;

	assert(q != NULL && q->j != NULL && out != NULL);
	assert(q->history != NULL || q->n_history == 0);
	j = q->j;
	a = &q->action;
	memset(out, 0, sizeof(*out));
	zone = q->zone;
	if (zone == NULL) {
		rc = tz_get(j->timezone, &zone);
		if (rc != TZ_OK) {
			decide(out, COMPLIANCE_DROP, COMPLIANCE_TZ_ERROR, "timezone",
			       "time zone %s: %s", j->timezone, tz_strerror(rc));
			return rc;
		}
	}

	for (size_t i = 0; i < a->n_fees; i++)
		for (size_t k = 0; k < j->n_forbidden_fees; k++)
			if (strcmp(a->fees[i], j->forbidden_fees[k]) == 0) {
				decide(out, COMPLIANCE_DROP, COMPLIANCE_FEE, "forbidden fee",
				       "the %s fee is forbidden in %s", a->fees[i], j->code);
				return 0;
			}

	channel = action_channel(a->kind);
	if (channel >= 0) {
		if (!(j->channels & (1u << channel))) {
			decide(out, COMPLIANCE_DROP, COMPLIANCE_CHANNEL, "channels",
			       "%s is not an allowed channel in %s", policy_channel_name(channel),
			       j->code);
			return 0;
		}
		if (channel == POLICY_VOICE && a->voicemail && !j->voicemail) {
			decide(out, COMPLIANCE_DROP, COMPLIANCE_VOICEMAIL, "voicemail",
			       "a collection message may not be left on voicemail in %s", j->code);
			return 0;
		}
		for (size_t i = 0; i < j->n_caps; i++) {
			const struct policy_cap *c = &j->caps[i];

			if (cap_covers(c, channel) && c->max == 0) {
				decide(out, COMPLIANCE_DROP, COMPLIANCE_NEVER, "cap",
				       "no %s contact allowed at all (cap %s 0/%dd)",
				       policy_channel_name(channel), policy_channel_name(c->channel),
				       c->days);
				return 0;
			}
		}
		return search(q, zone, channel, t, out);
	}

	if (a->kind == POLICY_ACT_SUSPEND && j->notice_days_before_suspension > 0) {
		int64_t ready;

		if (!a->notice_given) {
			decide(out, COMPLIANCE_DROP, COMPLIANCE_NO_NOTICE, "notice",
			       "a suspension needs a notice given %d days before, and none was given",
			       j->notice_days_before_suspension);
			return 0;
		}
		ready = a->notice_at + (int64_t)j->notice_days_before_suspension * DAY_SECONDS;
		if (ready > t) {
			char notice[INSTANT_TEXT_LEN + 1], when[96];

			instant_format(a->notice_at, notice);
			local_text(zone, ready, when, sizeof(when));
			out->next = ready;
			decide(out, COMPLIANCE_DEFER, COMPLIANCE_NOTICE, "notice",
			       "a suspension needs %d days after the notice of %s; next allowed moment %s",
			       j->notice_days_before_suspension, notice, when);
			return 0;
		}
	}
	out->next = t;
	decide(out, COMPLIANCE_ALLOW, COMPLIANCE_OK, "", "allowed");
	return 0;
}

void compliance_action_init(struct compliance_action *a, const struct policy_action *pa)
{
	assert(a != NULL && pa != NULL);
	memset(a, 0, sizeof(*a));
	a->kind = pa->kind;
	a->voicemail = pa->voicemail;
	a->fees = pa->fees;
	a->n_fees = pa->n_fees;
}

int64_t compliance_restore_deadline(const struct policy_jurisdiction *j, int64_t paid_at)
{
	assert(j != NULL && j->restore_within_hours >= 0);
	return paid_at + (int64_t)j->restore_within_hours * 3600;
}

const char *compliance_verdict_name(enum compliance_verdict v)
{
	switch (v) {
	case COMPLIANCE_ALLOW: return "allow";
	case COMPLIANCE_DEFER: return "defer";
	case COMPLIANCE_DROP: return "drop";
	}
	return "?";
}
