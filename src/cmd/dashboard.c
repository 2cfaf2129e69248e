/*
 * dashboard — the managers' figures (dashboard.h): computed from the store
 * once, printed as JSON, CSV or text.
 */
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../core/arrange.h"
#include "../core/caltime.h"
#include "../core/compliance.h"
#include "../core/money.h"
#include "../core/policy.h"
#include "../core/position.h"
#include "../core/tz.h"
#include "../store/store.h"
#include "dashboard.h"
#include "out.h"

/* Rows kept before giving up: far more than policies have rules. */
#define DASH_MAX_ROWS 100000
/* Policy versions read for the restorations of one period. */
#define DASH_MAX_POLICIES 16

static const char *const bucket_names[4] = { "0-30", "31-60", "61-90", "91+" };

/* Records why the computation stopped; returns code. */
__attribute__((format(printf, 3, 4)))
static int dash_fail(struct dashboard *d, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return code;
}

/* ---- the query ---------------------------------------------------------------- */

static int whole_number(const char *text, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int dashboard_query_parse(const char *from, const char *to, const char *days, const char *every,
			  int32_t today, int default_days, const char *prefix,
			  struct dashboard_query *q, char *why, size_t whysize)
{
	long n;

	memset(q, 0, sizeof(*q));
	q->to = today;
	q->days = default_days;
	if (to != NULL && date_parse(to, strlen(to), &q->to) != 0) {
		snprintf(why, whysize, "%sto '%s' is not a date (YYYY-MM-DD)", prefix, to);
		return -1;
	}
	q->from = q->to - 29;
	if (from != NULL && date_parse(from, strlen(from), &q->from) != 0) {
		snprintf(why, whysize, "%sfrom '%s' is not a date (YYYY-MM-DD)", prefix, from);
		return -1;
	}
	if (q->from > q->to) {
		snprintf(why, whysize, "%sfrom '%s' is after %sto: the period ends before it "
			 "starts",
			 prefix, from ? from : "", prefix);
		return -1;
	}
	if (q->to - q->from + 1 > DASHBOARD_MAX_DAYS) {
		snprintf(why, whysize, "%sfrom and %sto span %ld days: at most %d", prefix, prefix,
			 (long)(q->to - q->from + 1), DASHBOARD_MAX_DAYS);
		return -1;
	}
	if (days != NULL) {
		if (whole_number(days, 1, 365, &n) != 0) {
			snprintf(why, whysize, "%sdays '%s' is not a number of days from 1 to 365",
				 prefix, days);
			return -1;
		}
		q->days = (int)n;
	}
	if (every != NULL && strcmp(every, "week") != 0 && strcmp(every, "month") != 0) {
		snprintf(why, whysize, "%severy '%s' is neither week nor month", prefix, every);
		return -1;
	}
	q->monthly = every != NULL && strcmp(every, "month") == 0;
	return 0;
}

/* ---- lists ------------------------------------------------------------------------ */

static void *list_push(struct dashboard_list *l, size_t size)
{
	char *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *grown;

		if (cap > DASH_MAX_ROWS || (grown = realloc(l->v, cap * size)) == NULL)
			return NULL;
		l->v = grown;
		l->cap = cap;
	}
	p = (char *)l->v + l->n++ * size;
	memset(p, 0, size);
	return p;
}

/* qsort, which may not be given the NULL of an empty list. */
static void list_sort(struct dashboard_list *l, size_t size,
		      int (*cmp)(const void *, const void *))
{
	if (l->n > 1)
		qsort(l->v, l->n, size, cmp);
}

static int add64(int64_t *sum, int64_t v)
{
	return __builtin_add_overflow(*sum, v, sum) ? -1 : 0;
}

/* The sum of (name, currency), added when new; lists stay in first-seen
 * order and are sorted once complete. */
static struct dashboard_sum *sum_of(struct dashboard_list *l, const char *name,
				    const char *currency)
{
	struct dashboard_sum *v = l->v, *x;

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(v[i].name, name) == 0 && strcmp(v[i].currency, currency) == 0)
			return &v[i];
	if ((x = list_push(l, sizeof(*x))) == NULL)
		return NULL;
	snprintf(x->name, sizeof(x->name), "%s", name);
	snprintf(x->currency, sizeof(x->currency), "%s", currency);
	return x;
}

static int sum_cmp(const void *a, const void *b)
{
	const struct dashboard_sum *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->currency, y->currency);
}

static int sum_add(struct dashboard_list *l, const char *name, const char *currency,
		   int64_t payments, int64_t amount)
{
	struct dashboard_sum *x = sum_of(l, name, currency);

	if (x == NULL)
		return STORE_ERR_NOMEM;
	if (add64(&x->payments, payments) != 0 || add64(&x->amount, amount) != 0)
		return STORE_ERR_INPUT;
	return STORE_OK;
}

/* The stage of a rule "strategy/stage/action#i[/restore]": its middle
 * part; a rule of another shape ("campaign/NAME", none) is its own. */
static void stage_of(const char *rule, char *out, size_t size)
{
	const char *a = strchr(rule, '/'), *b = a ? strchr(a + 1, '/') : NULL;

	if (b != NULL && strncmp(rule, "campaign/", 9) != 0)
		snprintf(out, size, "%.*s", (int)(b - a - 1), a + 1);
	else
		snprintf(out, size, "%s", rule[0] ? rule : "(none)");
}

/* ---- recovered and contacts -------------------------------------------------------- */

struct contacts_ctx {
	struct dashboard *d;
	int rc;
};

static int keep_contact(void *arg, const struct store_report_contact_row *r)
{
	struct contacts_ctx *c = arg;
	struct dashboard *d = c->d;
	char stage[96];
	int rc;

	if (r->kind == STORE_CONTACT_UNATTRIBUTED) {
		if ((rc = sum_add(&d->not_attributed, "", r->currency, r->recovered_payments,
				  r->recovered_amount)) != STORE_OK ||
		    (rc = sum_add(&d->totals, "", r->currency, r->recovered_payments,
				  r->recovered_amount)) != STORE_OK)
			return c->rc = rc;
		return 0;
	}
	if (r->recovered_payments > 0) {
		stage_of(r->rule, stage, sizeof(stage));
		if ((rc = sum_add(&d->by_stage, stage, r->currency, r->recovered_payments,
				  r->recovered_amount)) != STORE_OK ||
		    (rc = sum_add(&d->by_channel, r->channel, r->currency, r->recovered_payments,
				  r->recovered_amount)) != STORE_OK ||
		    (rc = sum_add(&d->totals, "", r->currency, r->recovered_payments,
				  r->recovered_amount)) != STORE_OK)
			return c->rc = rc;
	}
	if (r->messages > 0) {
		struct dashboard_rule *x = list_push(&d->rules, sizeof(*x));

		if (x == NULL)
			return c->rc = STORE_ERR_NOMEM;
		x->channel = strdup(r->channel);
		x->rule = strdup(r->rule);
		if (x->channel == NULL || x->rule == NULL)
			return c->rc = STORE_ERR_NOMEM;
		snprintf(x->currency, sizeof(x->currency), "%s", r->currency);
		x->messages = r->messages;
		x->messages_paid = r->messages_paid;
		x->payments = r->payments;
		x->amount = r->amount;
	}
	return 0;
}

static int64_t period_start(const struct dashboard_query *q)
{
	return (int64_t)q->from * 86400;
}

static int64_t period_end(const struct dashboard_query *q)
{
	return ((int64_t)q->to + 1) * 86400;
}

static int compute_contacts(struct store *s, struct dashboard *d)
{
	struct contacts_ctx c = { d, STORE_OK };
	int rc = store_report_contacts(s, period_start(&d->q), period_end(&d->q),
				       (int64_t)d->q.days * 86400, keep_contact, &c);

	if (c.rc == STORE_ERR_NOMEM)
		return dash_fail(d, STORE_ERR_NOMEM, "the dashboard: out of memory");
	if (c.rc == STORE_ERR_INPUT)
		return dash_fail(d, STORE_ERR_INPUT, "the dashboard: a sum beyond 64 bits");
	if (rc != STORE_OK)
		return rc;
	list_sort(&d->by_stage, sizeof(struct dashboard_sum), sum_cmp);
	list_sort(&d->by_channel, sizeof(struct dashboard_sum), sum_cmp);
	list_sort(&d->not_attributed, sizeof(struct dashboard_sum), sum_cmp);
	list_sort(&d->totals, sizeof(struct dashboard_sum), sum_cmp);
	return STORE_OK;
}

/* ---- ageing ------------------------------------------------------------------------------ */

/* The points of the period: the end of each week (every 7th day from
 * `from`) or of each calendar month within it, and `to` itself last. */
static int ageing_points(struct dashboard *d)
{
	int32_t days[DASHBOARD_MAX_POINTS + 1];
	size_t n = 0;

	for (int32_t day = d->q.from; day <= d->q.to && n < DASHBOARD_MAX_POINTS; day++) {
		int y, m, dd, y2, m2, d2;
		int end;

		if (d->q.monthly) {
			date_to_ymd(day, &y, &m, &dd);
			date_to_ymd(day + 1, &y2, &m2, &d2);
			end = m2 != m;
		} else {
			end = (day - d->q.from) % 7 == 6;
		}
		if (end || day == d->q.to)
			days[n++] = day;
	}
	if ((d->points = calloc(n, sizeof(*d->points))) == NULL)
		return STORE_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		d->points[i].day = days[i];
	d->n_points = n;
	return STORE_OK;
}

struct ageing_ctx {
	struct store *s;
	struct dashboard *d;
	int rc;
};

static int ageing_currency(struct dashboard *d, const char *currency)
{
	for (size_t i = 0; i < d->n_currencies; i++)
		if (strcmp(d->currencies[i], currency) == 0)
			return (int)i;
	if (d->n_currencies == DASHBOARD_MAX_CURRENCIES)
		return -1;
	snprintf(d->currencies[d->n_currencies], 4, "%s", currency);
	return (int)d->n_currencies++;
}

/* One account: its position at the end of each point's local day. */
static int ageing_account(void *arg, const struct account_ledger *l)
{
	struct ageing_ctx *c = arg;
	struct dashboard *d = c->d;
	struct tz *z;
	int k;

	if (l->n_invoices == 0)
		return 0;
	if (tz_get(l->timezone, &z) != TZ_OK) {
		c->rc = dash_fail(c->d, STORE_ERR_INPUT, "account %s: unknown time zone %s",
				  l->account_id, l->timezone);
		return c->rc;
	}
	if ((k = ageing_currency(d, l->currency)) < 0) {
		c->rc = dash_fail(c->d, STORE_ERR_INPUT, "the dashboard: more than %d "
				  "currencies", DASHBOARD_MAX_CURRENCIES);
		return c->rc;
	}
	for (size_t i = 0; i < d->n_points; i++) {
		struct dashboard_point *p = &d->points[i];
		struct position pos;
		int64_t at, b[AGE_BUCKETS] = { 0 };

		if (tz_instant_of(z, p->day + 1, 0, &at) != TZ_OK) {
			c->rc = dash_fail(c->d, STORE_ERR_INPUT, "account %s: a date out of "
					  "range", l->account_id);
			return c->rc;
		}
		/* The last instant of the local day: what it owed that evening. */
		if (position_compute(l, at - 1, &pos) != POSITION_OK) {
			c->rc = dash_fail(c->d, STORE_ERR_INPUT, "account %s: its position "
					  "cannot be computed", l->account_id);
			return c->rc;
		}
		position_ageing(&pos, pos.today, b);
		position_release(&pos);
		for (int j = 0; j < 4; j++)
			if (add64(&p->buckets[k][j], b[AGE_1_30 + j]) != 0) {
				c->rc = dash_fail(c->d, STORE_ERR_INPUT, "the dashboard: a "
						  "sum beyond 64 bits");
				return c->rc;
			}
	}
	return 0;
}

static int compute_ageing(struct store *s, struct dashboard *d)
{
	struct ageing_ctx c = { s, d, STORE_OK };
	int rc;

	if ((rc = ageing_points(d)) != STORE_OK)
		return dash_fail(d, rc, "the dashboard: out of memory");
	rc = store_ledger_scan(s, NULL, 0, ageing_account, &c);
	return c.rc != STORE_OK ? c.rc : rc;
}

/* ---- arrangements ---------------------------------------------------------------------- */

struct arrangements_ctx {
	struct store *s;
	struct dashboard *d;
	int rc;
};

static int keep_arrangement(void *arg, const struct store_report_arrangement *a)
{
	struct arrangements_ctx *c = arg;
	struct dashboard *d = c->d;
	struct dashboard_arrangement *v = d->arrangements.v, *x = NULL;
	struct arrange_terms t;
	int64_t amount;
	int64_t from = period_start(&d->q), to = period_end(&d->q);
	int in_period = a->updated_at >= from && a->updated_at < to;

	if (arrange_terms_decode(a->terms, &t) != ARRANGE_OK) {
		c->rc = dash_fail(c->d, STORE_ERR_INPUT, "arrangement %s: unreadable terms",
				  a->arrangement_id);
		return c->rc;
	}
	amount = strcmp(a->kind, "plan") == 0 ? t.total : t.amount;
	for (size_t i = 0; i < d->arrangements.n && x == NULL; i++)
		if (strcmp(v[i].kind, a->kind) == 0 && strcmp(v[i].state, a->state) == 0 &&
		    strcmp(v[i].currency, t.currency) == 0)
			x = &v[i];
	if (x == NULL && (x = list_push(&d->arrangements, sizeof(*x))) != NULL) {
		snprintf(x->kind, sizeof(x->kind), "%s", a->kind);
		snprintf(x->state, sizeof(x->state), "%s", a->state);
		snprintf(x->currency, sizeof(x->currency), "%s", t.currency);
	}
	arrange_terms_release(&t);
	if (x == NULL) {
		c->rc = dash_fail(c->d, STORE_ERR_NOMEM, "the dashboard: out of memory");
		return c->rc;
	}
	x->count++;
	if (add64(&x->amount, amount) != 0) {
		c->rc = dash_fail(c->d, STORE_ERR_INPUT, "the dashboard: a sum beyond 64 bits");
		return c->rc;
	}
	if (in_period && strcmp(a->kind, "promise") == 0) {
		d->promises_kept += strcmp(a->state, "kept") == 0;
		d->promises_broken += strcmp(a->state, "broken") == 0;
	}
	if (in_period && strcmp(a->kind, "plan") == 0) {
		d->plans_completed += strcmp(a->state, "completed") == 0;
		d->plans_broken += strcmp(a->state, "broken") == 0;
	}
	return 0;
}

static int arrangement_cmp(const void *a, const void *b)
{
	const struct dashboard_arrangement *x = a, *y = b;
	int c = strcmp(x->kind, y->kind);

	if (c == 0)
		c = strcmp(x->state, y->state);
	return c ? c : strcmp(x->currency, y->currency);
}

static int compute_arrangements(struct store *s, struct dashboard *d)
{
	struct arrangements_ctx c = { s, d, STORE_OK };
	int rc = store_report_arrangements(s, period_start(&d->q), period_end(&d->q),
					   keep_arrangement, &c);

	if (c.rc != STORE_OK)
		return c.rc;
	if (rc != STORE_OK)
		return rc;
	list_sort(&d->arrangements, sizeof(struct dashboard_arrangement), arrangement_cmp);
	return STORE_OK;
}

/* ---- restorations ---------------------------------------------------------------------- */

struct provisioning_ctx {
	struct store *s;
	struct dashboard *d;
	struct dashboard_list jurisdictions;   /* char *, parallel to d->provisioning */
	struct dashboard_list versions;        /* int64_t, parallel */
	int rc;
};

static int keep_provisioning(void *arg, const struct store_report_provisioning *p)
{
	struct provisioning_ctx *c = arg;
	struct dashboard_provisioning *x = list_push(&c->d->provisioning, sizeof(*x));
	char **j = list_push(&c->jurisdictions, sizeof(char *));
	int64_t *v = list_push(&c->versions, sizeof(int64_t));
	json_t *payload;

	if (x == NULL || j == NULL || v == NULL)
		goto nomem;
	x->outbox_id = p->outbox_id;
	snprintf(x->action, sizeof(x->action), "%s", p->action);
	x->account_id = strdup(p->account_id);
	x->rule = strdup(p->rule);
	*j = strdup(p->jurisdiction);
	if (x->account_id == NULL || x->rule == NULL || *j == NULL)
		goto nomem;
	*v = p->policy_version;
	x->done_at = p->done_at;
	x->paid_at = p->paid_at;
	x->limit_seconds = -1;
	if ((payload = json_loads(p->payload, 0, NULL)) != NULL) {
		json_t *level = json_object_get(payload, "level");

		if (json_is_string(level))
			snprintf(x->level, sizeof(x->level), "%s", json_string_value(level));
		json_decref(payload);
	}
	return 0;
nomem:
	c->rc = dash_fail(c->d, STORE_ERR_NOMEM, "the dashboard: out of memory");
	return c->rc;
}

struct policy_slot {
	int64_t version;
	struct policy *p;      /* NULL: the version does not parse any more */
};

static int keep_policy(void *arg, const struct stored_policy *sp)
{
	struct policy_slot *slot = arg;
	struct policy_diags diags = { 0 };

	if (policy_parse(sp->source, sp->body, sp->body_len, &slot->p, &diags) != 0)
		slot->p = NULL;
	policy_diags_release(&diags);
	return 0;
}

static int compute_restorations(struct store *s, struct dashboard *d)
{
	struct provisioning_ctx c = { .s = s, .d = d, .rc = STORE_OK };
	struct policy_slot slots[DASH_MAX_POLICIES];
	size_t n_slots = 0;
	int rc;

	rc = store_report_provisioning(s, period_start(&d->q), period_end(&d->q),
				       keep_provisioning, &c);
	if (c.rc != STORE_OK)
		rc = c.rc;
	/* The rows are read whole first: the policies are read after. */
	for (size_t i = 0; rc == STORE_OK && i < d->provisioning.n; i++) {
		struct dashboard_provisioning *x =
			(struct dashboard_provisioning *)d->provisioning.v + i;
		int64_t version = ((int64_t *)c.versions.v)[i];
		const char *code = ((char **)c.jurisdictions.v)[i];
		const struct policy_jurisdiction *j;
		struct policy_slot *slot = NULL;

		if (strcmp(x->action, "suspend") == 0) {
			d->suspensions++;
			continue;
		}
		if (strcmp(x->action, "restore") != 0)
			continue;
		d->restorations++;
		for (size_t k = 0; k < n_slots && slot == NULL; k++)
			if (slots[k].version == version)
				slot = &slots[k];
		if (slot == NULL && version > 0 && n_slots < DASH_MAX_POLICIES) {
			slot = &slots[n_slots++];
			slot->version = version;
			slot->p = NULL;
			if ((rc = store_policy_get(s, version, keep_policy, slot)) != STORE_OK)
				break;
		}
		if (slot == NULL || slot->p == NULL ||
		    (j = policy_jurisdiction(slot->p, code)) == NULL)
			continue;
		x->limit_seconds = (int64_t)j->restore_within_hours * 3600;
		if (x->paid_at > 0 && x->done_at > compliance_restore_deadline(j, x->paid_at)) {
			x->breach = 1;
			d->breaches++;
		}
	}
	for (size_t k = 0; k < n_slots; k++)
		policy_free(slots[k].p);
	for (size_t i = 0; i < c.jurisdictions.n; i++)
		free(((char **)c.jurisdictions.v)[i]);
	free(c.jurisdictions.v);
	free(c.versions.v);
	return rc;
}

/* ---- the whole ---------------------------------------------------------------------------- */

int dashboard_compute(struct store *s, const struct dashboard_query *q, unsigned parts,
		      struct dashboard *d)
{
	int rc = STORE_OK;

	memset(d, 0, sizeof(*d));
	d->q = *q;
	d->parts = parts;
	if (parts & (DASHBOARD_RECOVERED | DASHBOARD_CONTACTS))
		rc = compute_contacts(s, d);
	if (rc == STORE_OK && (parts & DASHBOARD_AGEING))
		rc = compute_ageing(s, d);
	if (rc == STORE_OK && (parts & DASHBOARD_ARRANGEMENTS))
		rc = compute_arrangements(s, d);
	if (rc == STORE_OK && (parts & DASHBOARD_RESTORATIONS))
		rc = compute_restorations(s, d);
	if (rc != STORE_OK && d->err[0] == '\0')
		snprintf(d->err, sizeof(d->err), "%s", store_errmsg(s));
	return rc;
}

void dashboard_release(struct dashboard *d)
{
	struct dashboard_rule *r = d->rules.v;
	struct dashboard_provisioning *p = d->provisioning.v;

	for (size_t i = 0; i < d->rules.n; i++) {
		free(r[i].channel);
		free(r[i].rule);
	}
	for (size_t i = 0; i < d->provisioning.n; i++) {
		free(p[i].account_id);
		free(p[i].rule);
	}
	free(d->by_stage.v);
	free(d->by_channel.v);
	free(d->not_attributed.v);
	free(d->totals.v);
	free(d->rules.v);
	free(d->points);
	free(d->arrangements.v);
	free(d->provisioning.v);
	memset(d, 0, sizeof(*d));
}

/* ---- printers ---------------------------------------------------------------------------- */

static void amount_text(int64_t minor, const char *currency, char *buf, size_t size)
{
	int exponent = 2;

	money_currency_exponent(currency, &exponent);
	if (money_format(minor, exponent, buf, size) < 0)
		snprintf(buf, size, "?");
}

static void json_amount(FILE *f, const char *name, int64_t minor, const char *currency)
{
	char buf[40];

	amount_text(minor, currency, buf, sizeof(buf));
	fprintf(f, ",\"%s\":\"%s\"", name, buf);
}

static void csv_amount(FILE *f, int64_t minor, const char *currency)
{
	char buf[40];

	amount_text(minor, currency, buf, sizeof(buf));
	fputs(buf, f);
}

static void instant_text(int64_t t, char *buf)
{
	instant_format(t, buf);
}

/* ,"name":"v", v escaped. */
static void json_text(FILE *f, const char *name, const char *v)
{
	fprintf(f, ",\"%s\":", name);
	out_json(f, v);
}

/* A CSV field (quoted when it must be) and the comma after it. */
static void csv_field(FILE *f, const char *v)
{
	out_csv(f, v);
	fputc(',', f);
}

/* Messages followed by a payment, per mille of messages, rounded half up. */
static int64_t per_mille(int64_t part, int64_t whole)
{
	return whole <= 0 ? 0 : (part * 2000 + whole) / (2 * whole);
}

static void json_sums(FILE *f, const char *member, const char *key, const struct dashboard_list *l)
{
	const struct dashboard_sum *v = l->v;

	fprintf(f, "\"%s\":[", member);
	for (size_t i = 0; i < l->n; i++) {
		fputs(i ? ",{" : "{", f);
		if (key != NULL) {
			fprintf(f, "\"%s\":", key);
			out_json(f, v[i].name);
			fputc(',', f);
		}
		fputs("\"currency\":", f);
		out_json(f, v[i].currency);
		fprintf(f, ",\"payments\":%lld", (long long)v[i].payments);
		json_amount(f, "amount", v[i].amount, v[i].currency);
		fputc('}', f);
	}
	fputc(']', f);
}

static void json_recovered(FILE *f, const struct dashboard *d)
{
	fputs(",\"recovered\":{", f);
	json_sums(f, "by_stage", "stage", &d->by_stage);
	fputc(',', f);
	json_sums(f, "by_channel", "channel", &d->by_channel);
	fputc(',', f);
	json_sums(f, "not_attributed", NULL, &d->not_attributed);
	fputc(',', f);
	json_sums(f, "totals", NULL, &d->totals);
	fputc('}', f);
}

static void json_contacts(FILE *f, const struct dashboard *d)
{
	const struct dashboard_rule *r = d->rules.v;

	fputs(",\"contacts\":{\"rules\":[", f);
	for (size_t i = 0; i < d->rules.n; i++) {
		fputs(i ? ",{\"channel\":" : "{\"channel\":", f);
		out_json(f, r[i].channel);
		json_text(f, "rule", r[i].rule);
		json_text(f, "currency", r[i].currency);
		fprintf(f, ",\"messages\":%lld,\"messages_paid\":%lld,\"paid_per_mille\":%lld,"
			"\"payments\":%lld", (long long)r[i].messages,
			(long long)r[i].messages_paid,
			(long long)per_mille(r[i].messages_paid, r[i].messages),
			(long long)r[i].payments);
		json_amount(f, "amount", r[i].amount, r[i].currency);
		fputc('}', f);
	}
	fputs("]}", f);
}

static int64_t point_overdue(const struct dashboard_point *p, size_t k)
{
	int64_t sum = 0;

	for (int j = 0; j < 4; j++)
		if (add64(&sum, p->buckets[k][j]) != 0)
			return INT64_MAX;
	return sum;
}

static void json_ageing(FILE *f, const struct dashboard *d)
{
	char date[DATE_TEXT_LEN + 1];
	int first = 1;

	fprintf(f, ",\"ageing\":{\"every\":\"%s\",\"buckets\":[\"0-30\",\"31-60\",\"61-90\","
		"\"91+\"],\"points\":[", d->q.monthly ? "month" : "week");
	for (size_t i = 0; i < d->n_points; i++) {
		const struct dashboard_point *p = &d->points[i];

		date_format(p->day, date);
		for (size_t k = 0; k < d->n_currencies; k++) {
			fprintf(f, "%s{\"date\":\"%s\",\"currency\":", first ? "" : ",", date);
			first = 0;
			out_json(f, d->currencies[k]);
			fputs(",\"amounts\":[", f);
			for (int j = 0; j < 4; j++) {
				char buf[40];

				amount_text(p->buckets[k][j], d->currencies[k], buf, sizeof(buf));
				fprintf(f, "%s\"%s\"", j ? "," : "", buf);
			}
			fputc(']', f);
			json_amount(f, "overdue", point_overdue(p, k), d->currencies[k]);
			fputc('}', f);
		}
	}
	fputs("]}", f);
}

static void json_arrangements(FILE *f, const struct dashboard *d)
{
	const struct dashboard_arrangement *a = d->arrangements.v;

	fprintf(f, ",\"arrangements\":{\"promises_kept\":%lld,\"promises_broken\":%lld,"
		"\"plans_completed\":%lld,\"plans_broken\":%lld,\"rows\":[",
		(long long)d->promises_kept, (long long)d->promises_broken,
		(long long)d->plans_completed, (long long)d->plans_broken);
	for (size_t i = 0; i < d->arrangements.n; i++) {
		fprintf(f, "%s{\"kind\":\"%s\",\"state\":", i ? "," : "", a[i].kind);
		out_json(f, a[i].state);
		json_text(f, "currency", a[i].currency);
		fprintf(f, ",\"count\":%lld", (long long)a[i].count);
		json_amount(f, "amount", a[i].amount, a[i].currency);
		fputc('}', f);
	}
	fputs("]}", f);
}

static void json_restorations(FILE *f, const struct dashboard *d)
{
	const struct dashboard_provisioning *p = d->provisioning.v;
	char at[INSTANT_TEXT_LEN + 1];

	fprintf(f, ",\"restorations\":{\"suspensions\":%lld,\"restorations\":%lld,"
		"\"breaches\":%lld,\"rows\":[", (long long)d->suspensions,
		(long long)d->restorations, (long long)d->breaches);
	for (size_t i = 0; i < d->provisioning.n; i++) {
		instant_text(p[i].done_at, at);
		fprintf(f, "%s{\"action\":\"%s\",\"account_id\":", i ? "," : "", p[i].action);
		out_json(f, p[i].account_id);
		json_text(f, "rule", p[i].rule);
		json_text(f, "level", p[i].level);
		fprintf(f, ",\"done_at\":\"%s\"", at);
		if (p[i].paid_at > 0) {
			instant_text(p[i].paid_at, at);
			fprintf(f, ",\"paid_at\":\"%s\",\"delay_seconds\":%lld", at,
				(long long)(p[i].done_at - p[i].paid_at));
		} else {
			fputs(",\"paid_at\":null,\"delay_seconds\":null", f);
		}
		if (p[i].limit_seconds >= 0)
			fprintf(f, ",\"limit_seconds\":%lld", (long long)p[i].limit_seconds);
		else
			fputs(",\"limit_seconds\":null", f);
		fprintf(f, ",\"breach\":%s}", p[i].breach ? "true" : "false");
	}
	fputs("]}", f);
}

void dashboard_json(FILE *f, const struct dashboard *d)
{
	char from[DATE_TEXT_LEN + 1], to[DATE_TEXT_LEN + 1];

	date_format(d->q.from, from);
	date_format(d->q.to, to);
	fprintf(f, "{\"from\":\"%s\",\"to\":\"%s\",\"days\":%d,\"every\":\"%s\"", from, to,
		d->q.days, d->q.monthly ? "month" : "week");
	if (d->parts & DASHBOARD_RECOVERED)
		json_recovered(f, d);
	if (d->parts & DASHBOARD_CONTACTS)
		json_contacts(f, d);
	if (d->parts & DASHBOARD_AGEING)
		json_ageing(f, d);
	if (d->parts & DASHBOARD_ARRANGEMENTS)
		json_arrangements(f, d);
	if (d->parts & DASHBOARD_RESTORATIONS)
		json_restorations(f, d);
	fputs("}\n", f);
}

static void csv_sums(FILE *f, const char *by, const struct dashboard_list *l)
{
	const struct dashboard_sum *v = l->v;

	for (size_t i = 0; i < l->n; i++) {
		fprintf(f, "%s,", by);
		csv_field(f, v[i].name);
		out_csv(f, v[i].currency);
		fprintf(f, ",%lld,", (long long)v[i].payments);
		csv_amount(f, v[i].amount, v[i].currency);
		fputs("\r\n", f);
	}
}

void dashboard_csv(FILE *f, const struct dashboard *d, enum dashboard_part part)
{
	char date[DATE_TEXT_LEN + 1], at[INSTANT_TEXT_LEN + 1];

	switch (part) {
	case DASHBOARD_RECOVERED:
		fputs("by,name,currency,payments,amount\r\n", f);
		csv_sums(f, "stage", &d->by_stage);
		csv_sums(f, "channel", &d->by_channel);
		csv_sums(f, "not attributed", &d->not_attributed);
		csv_sums(f, "total", &d->totals);
		break;
	case DASHBOARD_CONTACTS: {
		const struct dashboard_rule *r = d->rules.v;

		fputs("channel,rule,currency,messages,messages_paid,paid_per_mille,payments,"
		      "amount\r\n", f);
		for (size_t i = 0; i < d->rules.n; i++) {
			csv_field(f, r[i].channel);
			csv_field(f, r[i].rule);
			out_csv(f, r[i].currency);
			fprintf(f, ",%lld,%lld,%lld,%lld,", (long long)r[i].messages,
				(long long)r[i].messages_paid,
				(long long)per_mille(r[i].messages_paid, r[i].messages),
				(long long)r[i].payments);
			csv_amount(f, r[i].amount, r[i].currency);
			fputs("\r\n", f);
		}
		break;
	}
	case DASHBOARD_AGEING:
		fputs("date,currency,days_0_30,days_31_60,days_61_90,days_91_plus,overdue\r\n", f);
		for (size_t i = 0; i < d->n_points; i++) {
			date_format(d->points[i].day, date);
			for (size_t k = 0; k < d->n_currencies; k++) {
				fprintf(f, "%s,%s", date, d->currencies[k]);
				for (int j = 0; j < 4; j++) {
					fputc(',', f);
					csv_amount(f, d->points[i].buckets[k][j], d->currencies[k]);
				}
				fputc(',', f);
				csv_amount(f, point_overdue(&d->points[i], k), d->currencies[k]);
				fputs("\r\n", f);
			}
		}
		break;
	case DASHBOARD_ARRANGEMENTS: {
		const struct dashboard_arrangement *a = d->arrangements.v;

		fputs("kind,state,currency,count,amount\r\n", f);
		for (size_t i = 0; i < d->arrangements.n; i++) {
			fprintf(f, "%s,", a[i].kind);
			csv_field(f, a[i].state);
			out_csv(f, a[i].currency);
			fprintf(f, ",%lld,", (long long)a[i].count);
			csv_amount(f, a[i].amount, a[i].currency);
			fputs("\r\n", f);
		}
		break;
	}
	case DASHBOARD_RESTORATIONS: {
		const struct dashboard_provisioning *p = d->provisioning.v;

		fputs("action,account_id,rule,level,done_at,paid_at,delay_seconds,limit_seconds,"
		      "breach\r\n", f);
		for (size_t i = 0; i < d->provisioning.n; i++) {
			instant_text(p[i].done_at, at);
			fprintf(f, "%s,", p[i].action);
			csv_field(f, p[i].account_id);
			csv_field(f, p[i].rule);
			out_csv(f, p[i].level);
			fprintf(f, ",%s,", at);
			if (p[i].paid_at > 0) {
				instant_text(p[i].paid_at, at);
				fprintf(f, "%s,%lld", at, (long long)(p[i].done_at - p[i].paid_at));
			} else {
				fputc(',', f);
			}
			fputc(',', f);
			if (p[i].limit_seconds >= 0)
				fprintf(f, "%lld", (long long)p[i].limit_seconds);
			fprintf(f, ",%s\r\n", p[i].breach ? "yes" : "no");
		}
		break;
	}
	default:
		break;
	}
}

static void text_sums(FILE *f, const char *title, const struct dashboard_list *l)
{
	const struct dashboard_sum *v = l->v;
	char buf[40];

	for (size_t i = 0; i < l->n; i++) {
		amount_text(v[i].amount, v[i].currency, buf, sizeof(buf));
		fprintf(f, "  %-8s %-28s %-3s %6lld %14s\n", title, v[i].name[0] ? v[i].name : "-",
			v[i].currency, (long long)v[i].payments, buf);
	}
}

void dashboard_text(FILE *f, const struct dashboard *d)
{
	char from[DATE_TEXT_LEN + 1], to[DATE_TEXT_LEN + 1], buf[40], date[DATE_TEXT_LEN + 1];

	date_format(d->q.from, from);
	date_format(d->q.to, to);
	fprintf(f, "Dashboard from %s to %s (UTC dates, both included); a payment counts for the "
		"last message before it within %d day%s.\n", from, to, d->q.days,
		d->q.days == 1 ? "" : "s");
	if (d->parts & DASHBOARD_RECOVERED) {
		fputs("\nRecovered (payments received in the period)\n", f);
		text_sums(f, "stage", &d->by_stage);
		text_sums(f, "channel", &d->by_channel);
		text_sums(f, "none", &d->not_attributed);
		text_sums(f, "total", &d->totals);
	}
	if (d->parts & DASHBOARD_CONTACTS) {
		const struct dashboard_rule *r = d->rules.v;

		fputs("\nMessages performed in the period and the payments within the window\n", f);
		for (size_t i = 0; i < d->rules.n; i++) {
			int64_t pm = per_mille(r[i].messages_paid, r[i].messages);

			amount_text(r[i].amount, r[i].currency, buf, sizeof(buf));
			fprintf(f, "  %-6s %-36s %-3s %6lld messages %6lld paid %3lld.%lld%% %6lld "
				"payments %14s\n", r[i].channel, r[i].rule, r[i].currency,
				(long long)r[i].messages, (long long)r[i].messages_paid,
				(long long)(pm / 10), (long long)(pm % 10),
				(long long)r[i].payments, buf);
		}
	}
	if (d->parts & DASHBOARD_AGEING) {
		fprintf(f, "\nOverdue by days past due, at the end of each %s\n",
			d->q.monthly ? "month" : "week");
		fprintf(f, "  %-10s %-3s %14s %14s %14s %14s\n", "date", "", bucket_names[0],
			bucket_names[1], bucket_names[2], bucket_names[3]);
		for (size_t i = 0; i < d->n_points; i++) {
			date_format(d->points[i].day, date);
			for (size_t k = 0; k < d->n_currencies; k++) {
				fprintf(f, "  %-10s %-3s", date, d->currencies[k]);
				for (int j = 0; j < 4; j++) {
					amount_text(d->points[i].buckets[k][j], d->currencies[k],
						    buf, sizeof(buf));
					fprintf(f, " %14s", buf);
				}
				fputc('\n', f);
			}
		}
	}
	if (d->parts & DASHBOARD_ARRANGEMENTS) {
		const struct dashboard_arrangement *a = d->arrangements.v;

		fprintf(f, "\nPromises kept %lld, broken %lld; plans completed %lld, broken %lld\n",
			(long long)d->promises_kept, (long long)d->promises_broken,
			(long long)d->plans_completed, (long long)d->plans_broken);
		for (size_t i = 0; i < d->arrangements.n; i++) {
			amount_text(a[i].amount, a[i].currency, buf, sizeof(buf));
			fprintf(f, "  %-8s %-10s %-3s %6lld %14s\n", a[i].kind, a[i].state,
				a[i].currency, (long long)a[i].count, buf);
		}
	}
	if (d->parts & DASHBOARD_RESTORATIONS) {
		const struct dashboard_provisioning *p = d->provisioning.v;
		char at[INSTANT_TEXT_LEN + 1];

		fprintf(f, "\nSuspensions %lld, restorations %lld, restored later than the law "
			"allows %lld\n", (long long)d->suspensions, (long long)d->restorations,
			(long long)d->breaches);
		for (size_t i = 0; i < d->provisioning.n; i++) {
			instant_text(p[i].done_at, at);
			fprintf(f, "  %-8s %-12s %s", p[i].action, p[i].account_id, at);
			if (strcmp(p[i].action, "restore") == 0 && p[i].paid_at > 0)
				fprintf(f, "  %lld min after payment", (long long)(p[i].done_at -
										p[i].paid_at) / 60);
			if (strcmp(p[i].action, "restore") == 0 && p[i].limit_seconds >= 0)
				fprintf(f, " (limit %lld h)%s",
					(long long)p[i].limit_seconds / 3600,
					p[i].breach ? " LATE" : "");
			fputc('\n', f);
		}
	}
}
