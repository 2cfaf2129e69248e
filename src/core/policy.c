/*
 * policy — YAML policy files to struct policy (see policy.h, docs/policy.md).
 *
 * Two passes. ytree reads the text into a small tree of maps, sequences
 * and scalars, each node keeping the line and column where it starts; the
 * walk over that tree then checks every key and value against the schema
 * written out in the functions below, and records a diagnostic for each
 * problem instead of stopping.
 *
 * YAML types are not resolved: every scalar is text, and each key says how
 * its text is read. So `2024-07-24` is a date because `deadline` expects a
 * date, and an amount "100.01" never passes through a float.
 *
 * Aliases are refused (a policy has no use for them, and they make a small
 * file expand into a huge tree); nesting and node count are bounded.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caltime.h"
#include "money.h"
#include "msgtpl.h"
#include "policy.h"
#include "sms.h"
#include "tz.h"
#include "validate.h"
#include "ytree.h"

/* A policy's arena: every node, string and struct of one policy. */
struct policy_arena {
	struct ytree_arena *blocks;
};

struct ctx {
	struct policy *p;
	struct ytree t;
};

/* ---- arena and the shared YAML checks ------------------------------- */


static const char *const level_names[POLICY_N_LEVELS] = { "throttle", "walled_garden", "total" };

const char *policy_level_name(enum policy_suspend_level l)
{
	return (unsigned)l < POLICY_N_LEVELS ? level_names[l] : "total";
}

int policy_level_parse(const char *name)
{
	for (int i = 0; i < POLICY_N_LEVELS; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return strcmp(name, "partial") == 0 ? POLICY_THROTTLE : -1;
}

static void *arena_alloc(struct policy *p, size_t size)
{
	return ytree_alloc(&p->arena->blocks, size);
}

static char *arena_strndup(struct policy *p, const char *s, size_t n)
{
	return ytree_strndup(&p->arena->blocks, s, n);
}

#define diag(c, node, ...) ytree_diag(&(c)->t, (node), __VA_ARGS__)
#define diag_at(c, line, column, ...) ytree_diag_at(&(c)->t, (line), (column), __VA_ARGS__)

void policy_diags_release(struct policy_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].message);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

/* Moves the messages of `from` (emptied) to the end of `to`; a message
 * that does not fit in memory is dropped. */
static void give_diags(struct ytree_diags *from, struct policy_diags *to)
{
	for (size_t i = 0; i < from->n; i++) {
		if (to->n == to->cap) {
			size_t cap = to->cap ? to->cap * 2 : 16;
			struct policy_diag *v = realloc(to->v, cap * sizeof(*v));

			if (v == NULL)
				break;
			to->v = v;
			to->cap = cap;
		}
		to->v[to->n].line = from->v[i].line;
		to->v[to->n].column = from->v[i].column;
		to->v[to->n].message = from->v[i].message;
		from->v[i].message = NULL;
		to->n++;
	}
	ytree_diags_release(from);
}

static int want(struct ctx *c, const struct ytree_node *n, enum ytree_kind k, const char *what)
{
	return ytree_want(&c->t, n, k, what);
}

static void unknown(struct ctx *c, const struct ytree_node *k, const char *what,
		    const char *const *names, size_t n)
{
	ytree_unknown(&c->t, k, what, names, n);
}

static int fields(struct ctx *c, const struct ytree_node *map, const char *what,
		  struct ytree_field *f, size_t nf)
{
	return ytree_fields(&c->t, map, what, f, nf);
}

static const char *str_of(struct ctx *c, const struct ytree_node *n, const char *what)
{
	return ytree_str(&c->t, n, what);
}

static int int_of(struct ctx *c, const struct ytree_node *n, const char *what, int min, int max, int *out)
{
	return ytree_int(&c->t, n, what, min, max, out);
}

static int bool_of(struct ctx *c, const struct ytree_node *n, const char *what, int *out)
{
	return ytree_bool(&c->t, n, what, out);
}

static int date_of(struct ctx *c, const struct ytree_node *n, const char *what, int32_t *out)
{
	if (!want(c, n, YTREE_SCALAR, what))
		return 0;
	if (date_parse(n->str, n->len, out) != CALTIME_OK) {
		diag(c, n, "%s: '%s' is not a date (YYYY-MM-DD)", what, n->str);
		return 0;
	}
	return 1;
}

/* A list of non-empty strings; a single scalar counts as a list of one. */
static int strs_of(struct ctx *c, const struct ytree_node *n, const char *what,
		   const char ***out, size_t *count)
{
	const char **v;
	size_t k = 0;

	*out = NULL;
	*count = 0;
	if (n->kind == YTREE_SCALAR) {
		const char *s = str_of(c, n, what);

		if (s == NULL)
			return 0;
		v = arena_alloc(c->p, sizeof(*v));
		if (v == NULL)
			return 0;
		v[0] = s;
		*out = v;
		*count = 1;
		return 1;
	}
	if (!want(c, n, YTREE_SEQ, what))
		return 0;
	v = arena_alloc(c->p, (n->n ? n->n : 1) * sizeof(*v));
	if (v == NULL)
		return 0;
	for (size_t i = 0; i < n->n; i++) {
		const char *s = str_of(c, n->kids[i], what);

		if (s != NULL)
			v[k++] = s;
	}
	*out = v;
	*count = k;
	return k == n->n;
}

static int currency_of(struct ctx *c, const struct ytree_node *n, char out[4])
{
	int e;

	if (!want(c, n, YTREE_SCALAR, "currency"))
		return 0;
	if (n->len != 3 || money_currency_exponent(n->str, &e) != MONEY_OK) {
		diag(c, n, "unknown currency '%s' (an ISO 4217 code such as EUR)", n->str);
		return 0;
	}
	memcpy(out, n->str, 4);
	return 1;
}

/* ---- names ---------------------------------------------------------- */

static const char *const channel_names[] = { "sms", "email", "voice", "portal" };
static const char *const day_names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *const action_names[] = {
	"sms", "email", "voice", "portal", "agent_queue", "suspend", "handoff",
};
static const char *const handoff_names[] = { "agency", "credit_bureau", "notary", "court" };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *policy_channel_name(int channel)
{
	if (channel == POLICY_ANY)
		return "any";
	assert(channel >= 0 && channel < POLICY_N_CHANNELS);
	return channel_names[channel];
}

static int lookup(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static int channel_of(struct ctx *c, const struct ytree_node *n, int allow_any, int *out)
{
	int k;

	if (!want(c, n, YTREE_SCALAR, "channel"))
		return 0;
	if (allow_any && strcmp(n->str, "any") == 0) {
		*out = POLICY_ANY;
		return 1;
	}
	k = lookup(n->str, channel_names, COUNT(channel_names));
	if (k < 0) {
		unknown(c, n, "channel", channel_names, COUNT(channel_names));
		return 0;
	}
	*out = k;
	return 1;
}

/* ---- jurisdictions -------------------------------------------------- */

/* "HH:MM-HH:MM" to minutes; 24:00 is allowed as an end. */
static int window_of(struct ctx *c, const struct ytree_node *n, struct policy_window *w)
{
	const char *s = n->str;
	int h1, m1, h2, m2;

	if (!want(c, n, YTREE_SCALAR, "a contact window"))
		return 0;
	if (n->len != 11 || s[2] != ':' || s[5] != '-' || s[8] != ':')
		goto bad;
	for (int i = 0; i < 11; i++)
		if (i != 2 && i != 5 && i != 8 && (s[i] < '0' || s[i] > '9'))
			goto bad;
	h1 = (s[0] - '0') * 10 + (s[1] - '0');
	m1 = (s[3] - '0') * 10 + (s[4] - '0');
	h2 = (s[6] - '0') * 10 + (s[7] - '0');
	m2 = (s[9] - '0') * 10 + (s[10] - '0');
	if (h1 > 23 || m1 > 59 || h2 > 24 || m2 > 59 || (h2 == 24 && m2 != 0)) {
		diag(c, n, "'%s' is not a time of day (00:00 to 24:00)", s);
		return 0;
	}
	w->start = h1 * 60 + m1;
	w->end = h2 * 60 + m2;
	if (w->end <= w->start) {
		diag(c, n, "contact window '%s' ends before it starts", s);
		return 0;
	}
	return 1;
bad:
	diag(c, n, "'%s' is not a contact window HH:MM-HH:MM", s);
	return 0;
}

static int cmp_window(const void *a, const void *b)
{
	const struct policy_window *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void parse_windows(struct ctx *c, const struct ytree_node *n, struct policy_jurisdiction *j)
{
	struct ytree_node *d[7];
	struct ytree_field f[7];

	for (int i = 0; i < 7; i++)
		f[i] = (struct ytree_field){ day_names[i], &d[i], 0 };
	if (!fields(c, n, "contact_windows", f, 7))
		return;
	for (int i = 0; i < 7; i++) {
		struct ytree_node *list = d[i];
		size_t k = 0;

		if (list == NULL)
			continue;
		if (list->kind == YTREE_SCALAR && list->len == 0)
			continue;
		if (!want(c, list, YTREE_SEQ, "a day's contact windows"))
			continue;
		j->windows[i] = arena_alloc(c->p, (list->n ? list->n : 1) * sizeof(struct policy_window));
		if (j->windows[i] == NULL)
			continue;
		for (size_t w = 0; w < list->n; w++)
			if (window_of(c, list->kids[w], &j->windows[i][k]))
				k++;
		qsort(j->windows[i], k, sizeof(struct policy_window), cmp_window);
		for (size_t w = 1; w < k; w++)
			if (j->windows[i][w].start < j->windows[i][w - 1].end)
				diag(c, list, "the contact windows of %s overlap", day_names[i]);
		j->n_windows[i] = k;
	}
}

static void parse_holiday(struct ctx *c, const struct ytree_node *n, struct policy_holiday *h)
{
	struct ytree_node *name, *date, *yearly, *easter, *zones, *segments;
	struct ytree_field f[] = {
		{ "name", &name, 1 }, { "date", &date, 0 }, { "yearly", &yearly, 0 },
		{ "easter", &easter, 0 }, { "zones", &zones, 0 }, { "segments", &segments, 0 },
	};
	int kinds;

	if (!fields(c, n, "a holiday", f, COUNT(f)))
		return;
	if (name)
		h->name = str_of(c, name, "name");
	kinds = (date != NULL) + (yearly != NULL) + (easter != NULL);
	if (kinds != 1)
		diag(c, n, "a holiday needs exactly one of 'date', 'yearly' or 'easter'");
	if (date && date_of(c, date, "date", &h->date))
		h->kind = POLICY_HOL_DATE;
	if (yearly && want(c, yearly, YTREE_SCALAR, "yearly")) {
		const char *s = yearly->str;
		int32_t d;

		h->kind = POLICY_HOL_YEARLY;
		if (yearly->len != 5 || s[2] != '-' || s[0] < '0' || s[0] > '9' || s[1] < '0' ||
		    s[1] > '9' || s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9' ||
		    date_from_ymd(2024, (s[0] - '0') * 10 + s[1] - '0',
				  (s[3] - '0') * 10 + s[4] - '0', &d) != CALTIME_OK) {
			diag(c, yearly, "yearly: '%s' is not a day of the year (MM-DD)", s);
		} else {
			h->month = (s[0] - '0') * 10 + s[1] - '0';
			h->day = (s[3] - '0') * 10 + s[4] - '0';
		}
	}
	if (easter && int_of(c, easter, "easter", -100, 100, &h->easter_offset))
		h->kind = POLICY_HOL_EASTER;
	if (zones && strs_of(c, zones, "a zone", &h->zones, &h->n_zones)) {
		for (size_t i = 0; i < h->n_zones; i++)
			if (!tz_valid(h->zones[i]))
				diag(c, zones->kind == YTREE_SEQ ? zones->kids[i] : zones,
				     "unknown time zone '%s'", h->zones[i]);
	}
	if (segments)
		strs_of(c, segments, "a segment", &h->segments, &h->n_segments);
}

static void parse_cap(struct ctx *c, const struct ytree_node *n, struct policy_cap *cap)
{
	struct ytree_node *ch, *max, *days;
	struct ytree_field f[] = { { "channel", &ch, 1 }, { "max", &max, 1 }, { "days", &days, 1 } };

	if (!fields(c, n, "a cap", f, COUNT(f)))
		return;
	if (ch)
		channel_of(c, ch, 1, &cap->channel);
	if (max)
		int_of(c, max, "max", 0, 1000, &cap->max);
	if (days)
		int_of(c, days, "days", 1, 366, &cap->days);
}

static void parse_jurisdiction(struct ctx *c, const struct ytree_node *key, const struct ytree_node *n,
			       struct policy_jurisdiction *j)
{
	struct ytree_node *tzn, *cur, *loc, *win, *hol, *caps, *chans, *quiet, *vm, *notice, *restore,
		*fees, *freeze, *bureau, *confirm;
	struct ytree_field f[] = {
		{ "timezone", &tzn, 1 }, { "currency", &cur, 0 }, { "locales", &loc, 1 },
		{ "contact_windows", &win, 1 }, { "holidays", &hol, 0 }, { "caps", &caps, 0 },
		{ "channels", &chans, 0 }, { "quiet_hours_after_conversation", &quiet, 0 },
		{ "voicemail", &vm, 0 }, { "notice_days_before_suspension", &notice, 0 },
		{ "restore_within_hours", &restore, 0 }, { "forbidden_fees", &fees, 0 },
		{ "disputes_freeze_clocks", &freeze, 0 },
		{ "bureau_removal_business_days", &bureau, 0 },
		{ "confirm_identity", &confirm, 0 },
	};

	j->code = key->str;
	j->line = key->line;
	j->channels = (1u << POLICY_N_CHANNELS) - 1;
	j->voicemail = 0;
	j->restore_within_hours = 24;
	j->disputes_freeze_clocks = 1;
	if (key->len == 0 || !validate_id(key->str, key->len))
		diag(c, key, "'%s' is not a jurisdiction code", key->str);
	if (!fields(c, n, "a jurisdiction", f, COUNT(f)))
		return;
	if (tzn && want(c, tzn, YTREE_SCALAR, "timezone")) {
		if (!tz_valid(tzn->str))
			diag(c, tzn, "unknown time zone '%s'", tzn->str);
		else
			j->timezone = tzn->str;
	}
	if (cur)
		currency_of(c, cur, j->currency);
	if (loc && strs_of(c, loc, "a locale", &j->locales, &j->n_locales)) {
		for (size_t i = 0; i < j->n_locales; i++)
			if (!validate_bcp47(j->locales[i], strlen(j->locales[i])))
				diag(c, loc->kind == YTREE_SEQ ? loc->kids[i] : loc,
				     "'%s' is not a BCP 47 locale", j->locales[i]);
	}
	if (win)
		parse_windows(c, win, j);
	if (hol && want(c, hol, YTREE_SEQ, "holidays")) {
		j->holidays = arena_alloc(c->p, (hol->n ? hol->n : 1) * sizeof(*j->holidays));
		if (j->holidays != NULL) {
			for (size_t i = 0; i < hol->n; i++)
				parse_holiday(c, hol->kids[i], &j->holidays[i]);
			j->n_holidays = hol->n;
		}
	}
	if (caps && want(c, caps, YTREE_SEQ, "caps")) {
		j->caps = arena_alloc(c->p, (caps->n ? caps->n : 1) * sizeof(*j->caps));
		if (j->caps != NULL) {
			for (size_t i = 0; i < caps->n; i++)
				parse_cap(c, caps->kids[i], &j->caps[i]);
			j->n_caps = caps->n;
		}
	}
	if (chans && want(c, chans, YTREE_SEQ, "channels")) {
		j->channels = 0;
		for (size_t i = 0; i < chans->n; i++) {
			int ch;

			if (channel_of(c, chans->kids[i], 0, &ch))
				j->channels |= 1u << ch;
		}
	}
	if (quiet)
		int_of(c, quiet, "quiet_hours_after_conversation", 0, 24 * 366,
		       &j->quiet_hours_after_conversation);
	if (vm)
		bool_of(c, vm, "voicemail", &j->voicemail);
	if (notice)
		int_of(c, notice, "notice_days_before_suspension", 0, 366,
		       &j->notice_days_before_suspension);
	if (restore)
		int_of(c, restore, "restore_within_hours", 0, 24 * 366, &j->restore_within_hours);
	if (fees)
		strs_of(c, fees, "a fee", &j->forbidden_fees, &j->n_forbidden_fees);
	if (freeze)
		bool_of(c, freeze, "disputes_freeze_clocks", &j->disputes_freeze_clocks);
	if (bureau)
		int_of(c, bureau, "bureau_removal_business_days", 0, 60,
		       &j->bureau_removal_business_days);
	if (confirm)
		bool_of(c, confirm, "confirm_identity", &j->confirm_identity);
}

/* ---- templates ------------------------------------------------------ */

/* A currency to show sample amounts in for `locale`: the first
 * jurisdiction that uses the locale and names a currency, else EUR. */
static const char *sample_currency(const struct policy *p, const char *locale)
{
	for (size_t i = 0; i < p->n_jurisdictions; i++) {
		const struct policy_jurisdiction *j = &p->jurisdictions[i];

		for (size_t k = 0; k < j->n_locales; k++)
			if (j->currency[0] && strcmp(j->locales[k], locale) == 0)
				return j->currency;
	}
	return "EUR";
}

static void parse_texts(struct ctx *c, const struct ytree_node *n, struct policy_template *t,
			int subjects)
{
	struct policy_text *v;
	size_t k = 0;

	if (!want(c, n, YTREE_MAP, subjects ? "subject" : "text"))
		return;
	v = arena_alloc(c->p, (n->n / 2 + 1) * sizeof(*v));
	if (v == NULL)
		return;
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct ytree_node *key = n->kids[i], *val = n->kids[i + 1];
		struct policy_text *x = &v[k];
		char err[256], *compiled = NULL;

		if (key->kind != YTREE_SCALAR || !validate_bcp47(key->str, key->len)) {
			diag(c, key, "'%s' is not a BCP 47 locale", key->kind == YTREE_SCALAR ? key->str : "");
			continue;
		}
		for (size_t j = 0; j < k; j++)
			if (strcmp(v[j].locale, key->str) == 0)
				diag(c, key, "duplicate locale '%s'", key->str);
		if (!want(c, val, YTREE_SCALAR, "a template text"))
			continue;
		if (msgtpl_compile(val->str, val->len, key->str, &compiled, err, sizeof(err)) != 0) {
			diag(c, val, "template '%s' (%s): %s", t->name, key->str, err);
			continue;
		}
		x->locale = key->str;
		x->source = val->str;
		x->line = val->line;
		x->column = val->column;
		x->compiled = arena_strndup(c->p, compiled, strlen(compiled));
		free(compiled);
		if (x->compiled == NULL)
			continue;
		if (!subjects && t->channel == POLICY_SMS) {
			char amount[128], out[4096];
			struct msgtpl_args a = { .name = "Maria Silva", .amount = amount,
						 .balance = amount, .account = "A-000123",
						 .url = "https://example.org/p/x7", .days_past_due = 31,
						 .days_left = 7, .due_date = 19928, .deadline = 19928 };
			int len;

			if (money_format_locale(12345600, sample_currency(c->p, key->str), key->str,
						amount, sizeof(amount)) < 0)
				snprintf(amount, sizeof(amount), "123456");
			len = msgtpl_render(x->compiled, key->str, &a, out, sizeof(out));
			if (len < 0 || sms_measure(out, (size_t)len, &x->sms) != 0) {
				diag(c, val, "template '%s' (%s) cannot be rendered", t->name, key->str);
				continue;
			}
			if (t->max_segments > 0 && x->sms.segments > (size_t)t->max_segments)
				diag(c, val, "template '%s' (%s) needs %zu SMS segments (%s, %zu units), "
				     "more than max_segments %d", t->name, key->str, x->sms.segments,
				     sms_encoding_name(x->sms.encoding), x->sms.units, t->max_segments);
		}
		k++;
	}
	if (subjects) {
		t->subjects = v;
		t->n_subjects = k;
	} else {
		t->texts = v;
		t->n_texts = k;
	}
}

static void parse_template(struct ctx *c, const struct ytree_node *key, const struct ytree_node *n,
			   struct policy_template *t)
{
	struct ytree_node *ch, *text, *subject, *maxseg;
	struct ytree_field f[] = {
		{ "channel", &ch, 1 }, { "text", &text, 1 }, { "subject", &subject, 0 },
		{ "max_segments", &maxseg, 0 },
	};

	t->name = key->str;
	t->channel = -1;
	if (!fields(c, n, "a template", f, COUNT(f)))
		return;
	if (ch)
		channel_of(c, ch, 0, &t->channel);
	if (maxseg) {
		if (t->channel != POLICY_SMS)
			diag(c, maxseg, "max_segments is for sms templates");
		else
			int_of(c, maxseg, "max_segments", 1, 255, &t->max_segments);
	}
	if (subject) {
		if (t->channel != POLICY_EMAIL)
			diag(c, subject, "only email templates have a subject");
		else
			parse_texts(c, subject, t, 1);
	}
	if (text)
		parse_texts(c, text, t, 0);
}

const struct policy_text *policy_template_text(const struct policy_template *t, const char *locale)
{
	size_t lang = strcspn(locale, "-_");

	for (size_t i = 0; i < t->n_texts; i++)
		if (strcmp(t->texts[i].locale, locale) == 0)
			return &t->texts[i];
	for (size_t i = 0; i < t->n_texts; i++)
		if (strlen(t->texts[i].locale) == lang && memcmp(t->texts[i].locale, locale, lang) == 0)
			return &t->texts[i];
	return NULL;
}

/* ---- conditions and actions ----------------------------------------- */

static void parse_range(struct ctx *c, const struct ytree_node *n, const char *what, int exponent,
			struct policy_range *r)
{
	struct ytree_node *min, *max;
	struct ytree_field f[] = { { "min", &min, 0 }, { "max", &max, 0 } };
	struct ytree_node *ends[2];

	if (!fields(c, n, what, f, COUNT(f)))
		return;
	ends[0] = min;
	ends[1] = max;
	for (int e = 0; e < 2; e++) {
		const struct ytree_node *v = ends[e];
		int64_t x;

		if (v == NULL || !want(c, v, YTREE_SCALAR, what))
			continue;
		if (exponent >= 0) {
			int rc = money_parse(v->str, v->len, exponent, &x);

			if (rc != MONEY_OK) {
				diag(c, v, "%s: '%s' %s", what, v->str, money_strerror(rc));
				continue;
			}
		} else {
			int i;

			if (!int_of(c, v, what, 0, 100000, &i))
				continue;
			x = i;
		}
		if (e == 0) {
			r->has_min = 1;
			r->min = x;
		} else {
			r->has_max = 1;
			r->max = x;
		}
	}
	if (min == NULL && max == NULL)
		diag(c, n, "%s needs 'min' or 'max'", what);
}

/*
 * exponent < 0: no currency is known, and amounts are refused at `cur_node`.
 */
static void parse_cond(struct ctx *c, const struct ytree_node *n, int exponent, struct policy_cond *cd)
{
	struct ytree_node *dpd, *ov, *bal, *seg, *kind, *bp, *tags, *ng, *dsn;
	struct ytree_field f[] = {
		{ "days_past_due", &dpd, 0 }, { "overdue", &ov, 0 }, { "balance", &bal, 0 },
		{ "segment", &seg, 0 }, { "service_kind", &kind, 0 },
		{ "broken_promises", &bp, 0 }, { "tags", &tags, 0 }, { "notice_given", &ng, 0 },
		{ "days_since_notice", &dsn, 0 },
	};

	cd->notice_given = -1;
	if (!fields(c, n, "a condition", f, COUNT(f)))
		return;
	if (dpd)
		parse_range(c, dpd, "days_past_due", -1, &cd->days_past_due);
	if (bp)
		parse_range(c, bp, "broken_promises", -1, &cd->broken_promises);
	if (dsn)
		parse_range(c, dsn, "days_since_notice", -1, &cd->days_since_notice);
	if ((ov || bal) && exponent < 0)
		diag(c, ov ? ov : bal, "an amount condition needs the strategy's 'currency'");
	if (ov && exponent >= 0)
		parse_range(c, ov, "overdue", exponent, &cd->overdue);
	if (bal && exponent >= 0)
		parse_range(c, bal, "balance", exponent, &cd->balance);
	if (seg)
		strs_of(c, seg, "a segment", &cd->segments, &cd->n_segments);
	if (kind)
		strs_of(c, kind, "a service kind", &cd->service_kinds, &cd->n_service_kinds);
	if (tags)
		strs_of(c, tags, "a tag", &cd->tags, &cd->n_tags);
	if (ng)
		bool_of(c, ng, "notice_given", &cd->notice_given);
	if (dsn && cd->notice_given == 0)
		diag(c, dsn, "days_since_notice contradicts notice_given: false");
}

/* The jurisdictions an action applies to, for the cross checks. */
struct scope {
	const struct policy_jurisdiction **j;
	size_t n;
	const struct policy_cond *cond;  /* the stage's conditions, or NULL */
	int campaign_notice_days;        /* campaigns: days from send_on to the deadline, or -1 */
};

static void check_template_use(struct ctx *c, const struct ytree_node *tn, const struct policy_action *a,
			       const struct scope *s)
{
	const struct policy_template *t = policy_template(c->p, a->template);

	if (t == NULL) {
		const char *names[64];
		size_t n = 0;

		for (size_t i = 0; i < c->p->n_templates && n < 64; i++)
			names[n++] = c->p->templates[i].name;
		unknown(c, tn, "template", names, n);
		return;
	}
	if (t->channel >= 0 && t->channel != (int)a->kind)
		diag(c, tn, "template '%s' is for %s, not %s", t->name,
		     channel_names[t->channel], action_names[a->kind]);
	for (size_t i = 0; i < s->n; i++)
		for (size_t k = 0; k < s->j[i]->n_locales; k++)
			if (policy_template_text(t, s->j[i]->locales[k]) == NULL)
				diag(c, tn, "template '%s' has no text for locale %s, which "
				     "jurisdiction %s uses", t->name, s->j[i]->locales[k], s->j[i]->code);
}

static void check_allowed(struct ctx *c, const struct ytree_node *n, const struct policy_action *a,
			  const struct scope *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct policy_jurisdiction *j = s->j[i];

		if (a->kind <= POLICY_ACT_PORTAL && !(j->channels & (1u << a->kind)))
			diag(c, n, "jurisdiction %s does not allow the %s channel", j->code,
			     action_names[a->kind]);
		if (a->kind == POLICY_ACT_VOICE && a->voicemail && !j->voicemail)
			diag(c, n, "jurisdiction %s forbids leaving a collection message on voicemail",
			     j->code);
		for (size_t f = 0; f < a->n_fees; f++)
			for (size_t k = 0; k < j->n_forbidden_fees; k++)
				if (strcmp(a->fees[f], j->forbidden_fees[k]) == 0)
					diag(c, n, "jurisdiction %s forbids the %s fee", j->code, a->fees[f]);
		if (a->kind == POLICY_ACT_SUSPEND && j->notice_days_before_suspension > 0) {
			int need = j->notice_days_before_suspension;

			if (s->cond != NULL && (!s->cond->days_since_notice.has_min ||
						s->cond->days_since_notice.min < need))
				diag(c, n, "jurisdiction %s requires %d days of notice before a "
				     "suspension: the stage needs days_since_notice: {min: %d}",
				     j->code, need, need);
			if (s->cond == NULL && s->campaign_notice_days >= 0 &&
			    s->campaign_notice_days < need)
				diag(c, n, "jurisdiction %s requires %d days of notice before a "
				     "suspension: the deadline is %d days after send_on",
				     j->code, need, s->campaign_notice_days);
		}
	}
}

static void parse_action(struct ctx *c, const struct ytree_node *n, const struct scope *s,
			 struct policy_action *a)
{
	struct ytree_node *dn, *tn, *vm, *q, *prio, *lvl, *svc, *fees, *to, *every, *times, *notice;
	struct ytree_field f[] = {
		{ "do", &dn, 1 }, { "template", &tn, 0 }, { "voicemail", &vm, 0 },
		{ "queue", &q, 0 }, { "priority", &prio, 0 }, { "level", &lvl, 0 },
		{ "services", &svc, 0 }, { "fees", &fees, 0 }, { "to", &to, 0 },
		{ "every_days", &every, 0 }, { "times", &times, 0 }, { "notice", &notice, 0 },
	};
	int k;
	int is_msg;

	a->line = n->line;
	a->column = n->column;
	a->times = 1;
	a->priority = 5;
	if (!fields(c, n, "an action", f, COUNT(f)) || dn == NULL)
		return;
	if (!want(c, dn, YTREE_SCALAR, "do"))
		return;
	k = lookup(dn->str, action_names, COUNT(action_names));
	if (k < 0) {
		unknown(c, dn, "action", action_names, COUNT(action_names));
		return;
	}
	a->kind = (enum policy_action_kind)k;
	is_msg = a->kind <= POLICY_ACT_PORTAL;
	/* Keys that belong to another kind of action are refused: a key that
	 * is silently ignored is a rule the manager thinks is applied. */
#define ONLY(node, ok, what) \
	do { if ((node) != NULL && !(ok)) { diag(c, (node), "'%s' does not apply to a %s action", \
						 (what), dn->str); (node) = NULL; } } while (0)
	ONLY(tn, is_msg, "template");
	ONLY(notice, is_msg, "notice");
	ONLY(vm, a->kind == POLICY_ACT_VOICE, "voicemail");
	ONLY(q, a->kind == POLICY_ACT_QUEUE, "queue");
	ONLY(prio, a->kind == POLICY_ACT_QUEUE, "priority");
	ONLY(lvl, a->kind == POLICY_ACT_SUSPEND, "level");
	ONLY(svc, a->kind == POLICY_ACT_SUSPEND, "services");
	ONLY(fees, a->kind == POLICY_ACT_SUSPEND, "fees");
	ONLY(to, a->kind == POLICY_ACT_HANDOFF, "to");
#undef ONLY
	if (is_msg && tn == NULL)
		diag(c, n, "a %s action needs 'template'", dn->str);
	if (tn && (a->template = str_of(c, tn, "template")) != NULL)
		check_template_use(c, tn, a, s);
	if (notice)
		bool_of(c, notice, "notice", &a->notice);
	if (vm)
		bool_of(c, vm, "voicemail", &a->voicemail);
	if (a->kind == POLICY_ACT_QUEUE) {
		if (q == NULL)
			diag(c, n, "an agent_queue action needs 'queue'");
		else
			a->queue = str_of(c, q, "queue");
		if (prio)
			int_of(c, prio, "priority", 1, 9, &a->priority);
	}
	if (a->kind == POLICY_ACT_SUSPEND) {
		a->level = POLICY_TOTAL;
		if (lvl && want(c, lvl, YTREE_SCALAR, "level")) {
			int l = policy_level_parse(lvl->str);

			if (l < 0)
				diag(c, lvl, "level must be throttle, walled_garden or total, not '%s'",
				     lvl->str);
			else
				a->level = (enum policy_suspend_level)l;
		}
		if (svc == NULL)
			diag(c, n, "a suspend action needs 'services' (service kinds, or all)");
		else
			strs_of(c, svc, "a service kind", &a->services, &a->n_services);
		if (fees)
			strs_of(c, fees, "a fee", &a->fees, &a->n_fees);
	}
	if (a->kind == POLICY_ACT_HANDOFF) {
		if (to == NULL) {
			diag(c, n, "a handoff action needs 'to' (agency, credit_bureau, notary or court)");
		} else if (want(c, to, YTREE_SCALAR, "to")) {
			if (lookup(to->str, handoff_names, COUNT(handoff_names)) < 0)
				unknown(c, to, "hand-off", handoff_names, COUNT(handoff_names));
			else
				a->handoff_to = to->str;
		}
	}
	if (every)
		int_of(c, every, "every_days", 1, 366, &a->every_days);
	if (times) {
		if (every == NULL)
			diag(c, times, "'times' needs 'every_days'");
		else
			int_of(c, times, "times", 1, 1000, &a->times);
	} else if (every) {
		diag(c, every, "'every_days' needs 'times' (at most how many times in all)");
	}
	check_allowed(c, dn, a, s);
}

static void parse_actions(struct ctx *c, const struct ytree_node *n, const struct scope *s,
			  struct policy_action **out, size_t *count)
{
	if (!want(c, n, YTREE_SEQ, "actions"))
		return;
	*out = arena_alloc(c->p, (n->n ? n->n : 1) * sizeof(**out));
	if (*out == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		parse_action(c, n->kids[i], s, &(*out)[i]);
	*count = n->n;
}

/* ---- strategies and campaigns --------------------------------------- */

static int scope_of(struct ctx *c, const struct ytree_node *n, struct scope *s,
		    const char ***codes, size_t *n_codes)
{
	if (!strs_of(c, n, "a jurisdiction", codes, n_codes))
		return 0;
	s->j = arena_alloc(c->p, (*n_codes ? *n_codes : 1) * sizeof(*s->j));
	if (s->j == NULL)
		return 0;
	for (size_t i = 0; i < *n_codes; i++) {
		const struct policy_jurisdiction *j = policy_jurisdiction(c->p, (*codes)[i]);
		const struct ytree_node *at = n->kind == YTREE_SEQ ? n->kids[i] : n;

		if (j == NULL) {
			const char *names[64];
			size_t k = 0;

			for (size_t x = 0; x < c->p->n_jurisdictions && k < 64; x++)
				names[k++] = c->p->jurisdictions[x].code;
			unknown(c, at, "jurisdiction", names, k);
			continue;
		}
		s->j[s->n++] = j;
	}
	return 1;
}

static int range_empty(const struct policy_range *r)
{
	return r->has_min && r->has_max && r->min > r->max;
}

/* Whether every value r allows, q allows too. */
static int range_within(const struct policy_range *r, const struct policy_range *q)
{
	if (q->has_min && (!r->has_min || r->min < q->min))
		return 0;
	if (q->has_max && (!r->has_max || r->max > q->max))
		return 0;
	return 1;
}

static int set_within(const char **a, size_t na, const char **b, size_t nb)
{
	if (nb == 0)
		return 1;
	if (na == 0)
		return 0;
	for (size_t i = 0; i < na; i++) {
		size_t k;

		for (k = 0; k < nb && strcmp(a[i], b[k]) != 0; k++)
			;
		if (k == nb)
			return 0;
	}
	return 1;
}

/* Whether every account that meets a also meets b (conservative: 0 when unsure). */
static int cond_within(const struct policy_cond *a, const struct policy_cond *b)
{
	if (!range_within(&a->days_past_due, &b->days_past_due) ||
	    !range_within(&a->overdue, &b->overdue) || !range_within(&a->balance, &b->balance) ||
	    !range_within(&a->broken_promises, &b->broken_promises) ||
	    !range_within(&a->days_since_notice, &b->days_since_notice))
		return 0;
	if (!set_within(a->segments, a->n_segments, b->segments, b->n_segments) ||
	    !set_within(a->service_kinds, a->n_service_kinds, b->service_kinds, b->n_service_kinds))
		return 0;
	/* tags: all of b's must be among a's */
	if (!set_within(b->tags, b->n_tags, a->tags, a->n_tags) && b->n_tags > 0)
		return 0;
	if (b->notice_given >= 0 && a->notice_given != b->notice_given)
		return 0;
	return 1;
}

static void parse_stage(struct ctx *c, const struct ytree_node *n, int exponent, struct scope *s,
			struct policy_stage *st, struct ytree_node **when_node)
{
	struct ytree_node *name, *when, *actions;
	struct ytree_field f[] = { { "name", &name, 1 }, { "when", &when, 1 }, { "actions", &actions, 1 } };

	st->line = n->line;
	st->when.notice_given = -1;
	*when_node = NULL;
	if (!fields(c, n, "a stage", f, COUNT(f)))
		return;
	if (name)
		st->name = str_of(c, name, "name");
	if (when) {
		parse_cond(c, when, exponent, &st->when);
		*when_node = when;
	}
	s->cond = &st->when;
	s->campaign_notice_days = -1;
	if (actions)
		parse_actions(c, actions, s, &st->actions, &st->n_actions);
}

static int gives_notice(const struct policy_stage *st)
{
	for (size_t i = 0; i < st->n_actions; i++)
		if (st->actions[i].notice)
			return 1;
	return 0;
}

static void parse_strategy(struct ctx *c, const struct ytree_node *n, struct policy_strategy *sg)
{
	struct ytree_node *name, *jur, *cur, *stages;
	struct ytree_field f[] = {
		{ "name", &name, 1 }, { "jurisdictions", &jur, 1 }, { "currency", &cur, 0 },
		{ "stages", &stages, 1 },
	};
	struct scope s = { 0 };
	struct ytree_node **whens;
	int exponent = -1;

	if (!fields(c, n, "a strategy", f, COUNT(f)))
		return;
	if (name)
		sg->name = str_of(c, name, "name");
	if (cur && currency_of(c, cur, sg->currency))
		money_currency_exponent(sg->currency, &exponent);
	if (jur && scope_of(c, jur, &s, &sg->jurisdictions, &sg->n_jurisdictions) && sg->currency[0]) {
		for (size_t i = 0; i < s.n; i++)
			if (s.j[i]->currency[0] && strcmp(s.j[i]->currency, sg->currency) != 0)
				diag(c, cur, "currency %s differs from jurisdiction %s's %s",
				     sg->currency, s.j[i]->code, s.j[i]->currency);
	}
	if (stages == NULL || !want(c, stages, YTREE_SEQ, "stages"))
		return;
	if (stages->n == 0) {
		diag(c, stages, "a strategy needs at least one stage");
		return;
	}
	sg->stages = arena_alloc(c->p, stages->n * sizeof(*sg->stages));
	whens = arena_alloc(c->p, stages->n * sizeof(*whens));
	if (sg->stages == NULL || whens == NULL)
		return;
	sg->n_stages = stages->n;
	for (size_t i = 0; i < stages->n; i++)
		parse_stage(c, stages->kids[i], exponent, &s, &sg->stages[i], &whens[i]);
	for (size_t i = 0; i < sg->n_stages; i++) {
		const struct policy_stage *st = &sg->stages[i];
		const struct policy_cond *w = &st->when;
		const struct ytree_node *at = stages->kids[i];
		int noticed = 0;

		if (st->name != NULL)
			for (size_t k = 0; k < i; k++)
				if (sg->stages[k].name && strcmp(sg->stages[k].name, st->name) == 0)
					diag(c, at, "stage '%s' appears twice in strategy '%s'",
					     st->name, sg->name ? sg->name : "");
		if (range_empty(&w->days_past_due) || range_empty(&w->overdue) ||
		    range_empty(&w->balance) || range_empty(&w->broken_promises) ||
		    range_empty(&w->days_since_notice)) {
			diag(c, at, "stage '%s' can never be reached: a 'min' is above its 'max'",
			     st->name ? st->name : "");
			continue;
		}
		for (size_t k = 0; k < i; k++)
			noticed |= gives_notice(&sg->stages[k]);
		if ((w->notice_given == 1 || w->days_since_notice.has_min) && !noticed) {
			diag(c, at, "stage '%s' can never be reached: it needs a notice and no "
			     "earlier stage gives one (an action with notice: true)",
			     st->name ? st->name : "");
			continue;
		}
		/* An account is in the last stage whose conditions hold: a later
		 * stage that every account of this one also meets shadows it. */
		for (size_t k = i + 1; k < sg->n_stages; k++) {
			if (cond_within(w, &sg->stages[k].when)) {
				diag(c, at, "stage '%s' can never be reached: every account it "
				     "matches also matches the later stage '%s'",
				     st->name ? st->name : "",
				     sg->stages[k].name ? sg->stages[k].name : "");
				break;
			}
		}
	}
}

static void parse_campaign(struct ctx *c, const struct ytree_node *n, struct policy_campaign *cp)
{
	struct ytree_node *name, *jur, *cur, *aud, *send, *dl, *notice, *after;
	struct ytree_field f[] = {
		{ "name", &name, 1 }, { "jurisdictions", &jur, 1 }, { "currency", &cur, 0 },
		{ "audience", &aud, 1 }, { "send_on", &send, 0 }, { "deadline", &dl, 1 },
		{ "notice", &notice, 1 }, { "after_deadline", &after, 0 },
	};
	struct scope s = { 0 };
	int exponent = -1, have_deadline = 0;

	cp->audience.notice_given = -1;
	if (!fields(c, n, "a campaign", f, COUNT(f)))
		return;
	if (name)
		cp->name = str_of(c, name, "name");
	if (cur && currency_of(c, cur, cp->currency))
		money_currency_exponent(cp->currency, &exponent);
	if (jur)
		scope_of(c, jur, &s, &cp->jurisdictions, &cp->n_jurisdictions);
	if (aud)
		parse_cond(c, aud, exponent, &cp->audience);
	if (send && date_of(c, send, "send_on", &cp->send_on))
		cp->has_send_on = 1;
	if (dl)
		have_deadline = date_of(c, dl, "deadline", &cp->deadline);
	if (have_deadline && cp->has_send_on && cp->deadline < cp->send_on)
		diag(c, dl, "the deadline is before send_on");
	s.cond = NULL;
	s.campaign_notice_days = -1;
	if (notice)
		parse_actions(c, notice, &s, &cp->notice, &cp->n_notice);
	if (have_deadline && cp->has_send_on)
		s.campaign_notice_days = (int)(cp->deadline - cp->send_on);
	if (after)
		parse_actions(c, after, &s, &cp->after_deadline, &cp->n_after_deadline);
}

/* ---- arrangements --------------------------------------------------- */

/* The key node whose value is `value` in `map`, or NULL. */
static const struct ytree_node *key_of(const struct ytree_node *map, const struct ytree_node *value)
{
	for (size_t i = 1; i < map->n; i += 2)
		if (map->kids[i] == value)
			return map->kids[i - 1];
	return NULL;
}

/* The defaults of docs/policy.md "Arrangements"; agent <= supervisor. */
static void arrangements_defaults(struct policy_arrangements *a)
{
	*a = (struct policy_arrangements){
		.promise_max_days = 30,
		.promise_tolerance_pct = 0,
		.promise_default_days = 7,
		.agent = { .max_instalments = 6, .min_down_payment_pct = 10 },
		.supervisor = { .max_instalments = 24, .min_down_payment_pct = 0 },
		.customer = { .max_instalments = 3, .min_down_payment_pct = 10 },
		.plan_grace_days = 5,
		.plan_proposal_days = 7,
		.dispute_answer_days = 30,
		.line = 0,
	};
}

static void parse_promises(struct ctx *c, const struct ytree_node *n, struct policy_arrangements *a)
{
	struct ytree_node *max, *tol, *def;
	struct ytree_field f[] = {
		{ "max_days", &max, 0 }, { "tolerance_percent", &tol, 0 }, { "default_days", &def, 0 },
	};
	int max_ok = 1, def_ok = 1;

	if (!fields(c, n, "promises", f, COUNT(f)))
		return;
	if (max)
		max_ok = int_of(c, max, "max_days", 1, 365, &a->promise_max_days);
	if (tol)
		int_of(c, tol, "tolerance_percent", 0, 50, &a->promise_tolerance_pct);
	if (def)
		def_ok = int_of(c, def, "default_days", 1, 365, &a->promise_default_days);
	/* A promise made by a key press is still a promise: no later than
	 * any other. Reported where the later of the two was written. */
	if (max_ok && def_ok && a->promise_default_days > a->promise_max_days) {
		if (def)
			diag(c, def, "default_days must be between 1 and max_days (%d)",
			     a->promise_max_days);
		else
			diag(c, max, "max_days (%d) is below default_days (7 when not given): "
			     "set default_days too", a->promise_max_days);
	}
}

/* One role's authority: the fields given replace the defaults in *r. */
static void parse_authority(struct ctx *c, const struct ytree_node *n, const char *what,
			    struct policy_plan_authority *r)
{
	struct ytree_node *inst, *down;
	struct ytree_field f[] = {
		{ "max_instalments", &inst, 0 }, { "min_down_payment_percent", &down, 0 },
	};

	if (!fields(c, n, what, f, COUNT(f)))
		return;
	if (inst)
		int_of(c, inst, "max_instalments", 0, 120, &r->max_instalments);
	if (down)
		int_of(c, down, "min_down_payment_percent", 0, 100, &r->min_down_payment_pct);
}

static void parse_plans(struct ctx *c, const struct ytree_node *n, struct policy_arrangements *a)
{
	struct ytree_node *agent, *sup, *cust, *grace, *prop;
	struct ytree_field f[] = {
		{ "agent", &agent, 0 }, { "supervisor", &sup, 0 }, { "customer", &cust, 0 },
		{ "grace_days", &grace, 0 }, { "proposal_days", &prop, 0 },
	};
	const struct ytree_node *at;

	if (!fields(c, n, "plans", f, COUNT(f)))
		return;
	if (agent)
		parse_authority(c, agent, "agent", &a->agent);
	if (sup)
		parse_authority(c, sup, "supervisor", &a->supervisor);
	/* Unwritten, a customer may ask alone for what an agent may agree
	 * to, in at most 3 instalments: policies written before the portal
	 * keep their meaning. */
	a->customer = a->agent;
	if (a->customer.max_instalments > 3)
		a->customer.max_instalments = 3;
	if (cust) {
		parse_authority(c, cust, "customer", &a->customer);
		/* An agent agrees to anything a customer may have alone. */
		if (a->customer.max_instalments > a->agent.max_instalments)
			diag(c, key_of(n, cust), "a customer may not ask for more instalments "
			     "than an agent may offer (customer %d, agent %d)",
			     a->customer.max_instalments, a->agent.max_instalments);
		if (a->customer.min_down_payment_pct < a->agent.min_down_payment_pct)
			diag(c, key_of(n, cust), "a customer may not have a smaller down payment "
			     "than an agent asks (customer %d %%, agent %d %%)",
			     a->customer.min_down_payment_pct, a->agent.min_down_payment_pct);
	}
	if (grace)
		int_of(c, grace, "grace_days", 0, 60, &a->plan_grace_days);
	if (prop)
		int_of(c, prop, "proposal_days", 1, 60, &a->plan_proposal_days);
	/* A supervisor approves what an agent may not agree to alone, so the
	 * agent's authority lies within the supervisor's. Reported at the
	 * agent key; when only the supervisor's was written, at that one. */
	at = key_of(n, agent ? agent : sup);
	if (at == NULL)
		return;
	if (a->agent.max_instalments > a->supervisor.max_instalments)
		diag(c, at, "an agent may not offer more instalments than a supervisor "
		     "(agent %d, supervisor %d)", a->agent.max_instalments,
		     a->supervisor.max_instalments);
	if (a->agent.min_down_payment_pct < a->supervisor.min_down_payment_pct)
		diag(c, at, "an agent may not ask a smaller down payment than a supervisor "
		     "(agent %d %%, supervisor %d %%)", a->agent.min_down_payment_pct,
		     a->supervisor.min_down_payment_pct);
}

static void parse_arrangements(struct ctx *c, const struct ytree_node *key, const struct ytree_node *n,
			       struct policy_arrangements *a)
{
	struct ytree_node *prom, *plans, *disp, *answer;
	struct ytree_field f[] = {
		{ "promises", &prom, 0 }, { "plans", &plans, 0 }, { "disputes", &disp, 0 },
	};
	struct ytree_field fd[] = { { "answer_days", &answer, 0 } };

	a->line = key ? key->line : n->line;
	if (!fields(c, n, "arrangements", f, COUNT(f)))
		return;
	if (prom)
		parse_promises(c, prom, a);
	if (plans)
		parse_plans(c, plans, a);
	if (disp && fields(c, disp, "disputes", fd, COUNT(fd)) && answer)
		int_of(c, answer, "answer_days", 1, 365, &a->dispute_answer_days);
}

/* ---- voice ---------------------------------------------------------- */

/* The defaults of docs/policy.md "Voice calls". */
static void voice_defaults(struct policy_voice *v)
{
	*v = (struct policy_voice){
		.retry_busy_minutes = 10,
		.retry_no_answer_minutes = 60,
		.max_unanswered = 3,
		.line = 0,
	};
}

static void parse_voice(struct ctx *c, const struct ytree_node *key, const struct ytree_node *n,
			struct policy_voice *v)
{
	struct ytree_node *busy, *none, *max;
	struct ytree_field f[] = {
		{ "retry_busy_minutes", &busy, 0 }, { "retry_no_answer_minutes", &none, 0 },
		{ "max_unanswered", &max, 0 },
	};

	v->line = key ? key->line : n->line;
	if (!fields(c, n, "voice", f, COUNT(f)))
		return;
	if (busy)
		int_of(c, busy, "retry_busy_minutes", 1, 1440, &v->retry_busy_minutes);
	if (none)
		int_of(c, none, "retry_no_answer_minutes", 1, 1440, &v->retry_no_answer_minutes);
	if (max)
		int_of(c, max, "max_unanswered", 1, 20, &v->max_unanswered);
}

/* ---- top level ------------------------------------------------------ */

const struct policy_jurisdiction *policy_jurisdiction(const struct policy *p, const char *code)
{
	for (size_t i = 0; i < p->n_jurisdictions; i++)
		if (p->jurisdictions[i].code && strcmp(p->jurisdictions[i].code, code) == 0)
			return &p->jurisdictions[i];
	return NULL;
}

const struct policy_template *policy_template(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_templates; i++)
		if (p->templates[i].name && strcmp(p->templates[i].name, name) == 0)
			return &p->templates[i];
	return NULL;
}

static void parse_root(struct ctx *c, const struct ytree_node *root)
{
	struct policy *p = c->p;
	struct ytree_node *name, *jur, *strat, *camp, *tpl, *arr, *voice;
	struct ytree_field f[] = {
		{ "name", &name, 1 }, { "jurisdictions", &jur, 1 }, { "templates", &tpl, 0 },
		{ "strategies", &strat, 0 }, { "campaigns", &camp, 0 },
		{ "arrangements", &arr, 0 }, { "voice", &voice, 0 },
	};

	arrangements_defaults(&p->arrangements);
	voice_defaults(&p->voice);
	if (!fields(c, root, "the policy", f, COUNT(f)))
		return;
	if (name)
		p->name = str_of(c, name, "name");
	if (arr)
		parse_arrangements(c, key_of(root, arr), arr, &p->arrangements);
	if (voice)
		parse_voice(c, key_of(root, voice), voice, &p->voice);
	/* Jurisdictions and templates first, whatever their place in the
	 * file: strategies and campaigns are checked against them. */
	if (jur && want(c, jur, YTREE_MAP, "jurisdictions")) {
		p->jurisdictions = arena_alloc(p, (jur->n / 2 + 1) * sizeof(*p->jurisdictions));
		if (p->jurisdictions == NULL)
			return;
		for (size_t i = 0; i + 1 < jur->n; i += 2) {
			const struct ytree_node *k = jur->kids[i];

			if (k->kind != YTREE_SCALAR) {
				diag(c, k, "a jurisdiction code must be a scalar");
				continue;
			}
			if (policy_jurisdiction(p, k->str) != NULL) {
				diag(c, k, "duplicate jurisdiction '%s'", k->str);
				continue;
			}
			parse_jurisdiction(c, k, jur->kids[i + 1], &p->jurisdictions[p->n_jurisdictions++]);
		}
	}
	if (tpl && want(c, tpl, YTREE_MAP, "templates")) {
		p->templates = arena_alloc(p, (tpl->n / 2 + 1) * sizeof(*p->templates));
		if (p->templates == NULL)
			return;
		for (size_t i = 0; i + 1 < tpl->n; i += 2) {
			const struct ytree_node *k = tpl->kids[i];

			if (k->kind != YTREE_SCALAR || k->len == 0) {
				diag(c, k, "a template name must be a non-empty scalar");
				continue;
			}
			if (policy_template(p, k->str) != NULL) {
				diag(c, k, "duplicate template '%s'", k->str);
				continue;
			}
			parse_template(c, k, tpl->kids[i + 1], &p->templates[p->n_templates++]);
		}
	}
	if (strat && want(c, strat, YTREE_SEQ, "strategies")) {
		p->strategies = arena_alloc(p, (strat->n + 1) * sizeof(*p->strategies));
		if (p->strategies == NULL)
			return;
		for (size_t i = 0; i < strat->n; i++)
			parse_strategy(c, strat->kids[i], &p->strategies[i]);
		p->n_strategies = strat->n;
	}
	if (camp && want(c, camp, YTREE_SEQ, "campaigns")) {
		p->campaigns = arena_alloc(p, (camp->n + 1) * sizeof(*p->campaigns));
		if (p->campaigns == NULL)
			return;
		for (size_t i = 0; i < camp->n; i++)
			parse_campaign(c, camp->kids[i], &p->campaigns[i]);
		p->n_campaigns = camp->n;
	}
	if (p->n_strategies == 0 && p->n_campaigns == 0)
		diag(c, root, "the policy has neither strategies nor campaigns");
}

int policy_parse(const char *name, const char *text, size_t len, struct policy **out,
		 struct policy_diags *diags)
{
	struct policy *p;
	struct ctx c = { 0 };
	struct ytree_node *root;
	int rc = -1;
	char *src;

	assert(out != NULL && diags != NULL);
	assert(text != NULL || len == 0);
	(void)name;
	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -1;
	p->arena = calloc(1, sizeof(*p->arena));
	if (p->arena == NULL) {
		free(p);
		return -1;
	}
	c.p = p;
	c.t.arena = &p->arena->blocks;
	c.t.what = "policy";
	c.t.max_diags = POLICY_MAX_DIAGS;
	if (len > POLICY_MAX_SOURCE) {
		diag_at(&c, 1, 1, "the policy is larger than %u bytes", POLICY_MAX_SOURCE);
		goto out;
	}
	src = arena_strndup(p, text ? text : "", len);
	if (src == NULL)
		goto out;
	p->source = src;
	p->source_len = len;
	if (!ytree_read(&c.t, src, len, &root))
		goto out;
	if (root == NULL) {
		diag_at(&c, 1, 1, "the policy is empty");
		goto out;
	}
	parse_root(&c, root);
	if (c.t.errors == 0)
		rc = 0;
out:
	ytree_diags_sort(&c.t.diags);
	if (rc != 0 && c.t.errors == 0)
		diag_at(&c, 1, 1, "out of memory");
	give_diags(&c.t.diags, diags);
	if (rc == 0) {
		*out = p;
		return 0;
	}
	policy_free(p);
	return -1;
}

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	ytree_arena_free(&p->arena->blocks);
	free(p->arena);
	free(p);
}

/* ---- holidays ------------------------------------------------------- */

int32_t policy_easter(int year)
{
	int a = year % 19, b = year / 100, cc = year % 100, d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
	int i = cc / 4, k = cc % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
	int32_t out = 0;
	int rc = date_from_ymd(year, month, day, &out);

	assert(rc == CALTIME_OK);
	(void)rc;
	return out;
}

static int listed(const char *s, const char **v, size_t n)
{
	if (n == 0)
		return 1;
	if (s == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

int policy_is_holiday(const struct policy_jurisdiction *j, int32_t day, const char *zone,
		      const char *segment)
{
	int y, m, d;

	assert(j != NULL);
	date_to_ymd(day, &y, &m, &d);
	for (size_t i = 0; i < j->n_holidays; i++) {
		const struct policy_holiday *h = &j->holidays[i];
		int hit = 0;

		if (!listed(zone, h->zones, h->n_zones) || !listed(segment, h->segments, h->n_segments))
			continue;
		switch (h->kind) {
		case POLICY_HOL_DATE:
			hit = h->date == day;
			break;
		case POLICY_HOL_YEARLY:
			hit = h->month == m && h->day == d;
			break;
		case POLICY_HOL_EASTER:
			hit = y > 1 && y < 9999 && policy_easter(y) + h->easter_offset == day;
			break;
		}
		if (hit)
			return 1;
	}
	return 0;
}
