/*
 * arrange — terms and rules of arrangements (arrange.h). Terms are kept as
 * JSON with dates as "YYYY-MM-DD" and amounts as integers of minor units,
 * so that a person reading the database sees what was agreed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrange.h"
#include "caltime.h"

static const char *const kind_names[] = {
	[ARRANGE_PROMISE] = "promise",
	[ARRANGE_PLAN] = "plan",
	[ARRANGE_DISPUTE] = "dispute",
	[ARRANGE_POSTPONEMENT] = "postponement",
	[ARRANGE_HANDOFF] = "handoff",
};

const char *arrange_kind_name(enum arrange_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

int arrange_kind_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (name && strcmp(name, kind_names[i]) == 0)
			return (int)i;
	return -1;
}

void arrange_terms_init(struct arrange_terms *t)
{
	memset(t, 0, sizeof(*t));
	t->due_on = t->down_due_on = t->covered_through = t->expires_on = t->answer_by =
		t->was_due_on = POSITION_NO_DATE;
}

void arrange_terms_release(struct arrange_terms *t)
{
	free(t->instalments);
	free(t->invoice_id);
	free(t->reason);
	free(t->party);
	free(t->note);
	memset(t, 0, sizeof(*t));
}

/* ---- decoding -------------------------------------------------------------------- */

static int get_int(json_t *o, const char *name, int64_t *out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int get_date(json_t *o, const char *name, int32_t *out)
{
	json_t *v = json_object_get(o, name);

	*out = POSITION_NO_DATE;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || date_parse(json_string_value(v), json_string_length(v), out) != 0)
		return -1;
	return 0;
}

static int get_str(json_t *o, const char *name, char **out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	return (*out = strdup(json_string_value(v))) == NULL ? -2 : 0;
}

int arrange_terms_decode(const char *json, struct arrange_terms *t)
{
	json_error_t jerr;
	json_t *o, *v;
	int64_t flag = 0, late = 0;
	int rc = ARRANGE_SYNTAX, r;

	arrange_terms_init(t);
	if ((o = json_loads(json ? json : "{}", 0, &jerr)) == NULL || !json_is_object(o))
		goto out;
	if ((v = json_object_get(o, "currency")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) != 3)
			goto out;
		memcpy(t->currency, json_string_value(v), 4);
	}
	if (get_int(o, "amount", &t->amount) || get_int(o, "paid_base", &t->paid_base) ||
	    get_int(o, "total", &t->total) || get_int(o, "down_payment", &t->down_payment) ||
	    get_int(o, "waived", &t->waived) ||
	    get_int(o, "restored", &flag) || get_int(o, "late_reported", &late) ||
	    get_date(o, "due_on", &t->due_on) || get_date(o, "down_due_on", &t->down_due_on) ||
	    get_date(o, "covered_through", &t->covered_through) ||
	    get_date(o, "expires_on", &t->expires_on) || get_date(o, "answer_by", &t->answer_by) ||
	    get_date(o, "was_due_on", &t->was_due_on))
		goto out;
	t->restored = flag != 0;
	t->late_reported = late != 0;
	if ((r = get_str(o, "invoice_id", &t->invoice_id)) != 0 ||
	    (r = get_str(o, "reason", &t->reason)) != 0 || (r = get_str(o, "party", &t->party)) != 0 ||
	    (r = get_str(o, "note", &t->note)) != 0) {
		rc = r == -2 ? ARRANGE_NOMEM : ARRANGE_SYNTAX;
		goto out;
	}
	if ((v = json_object_get(o, "instalments")) != NULL) {
		size_t n = json_array_size(v);

		if (!json_is_array(v) || n > ARRANGE_MAX_INSTALMENTS)
			goto out;
		if (n && (t->instalments = calloc(n, sizeof(*t->instalments))) == NULL) {
			rc = ARRANGE_NOMEM;
			goto out;
		}
		t->n_instalments = n;
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(v, i);

			if (!json_is_object(e) || get_date(e, "due_on", &t->instalments[i].due_on) ||
			    get_int(e, "amount", &t->instalments[i].amount) ||
			    t->instalments[i].due_on == POSITION_NO_DATE ||
			    t->instalments[i].amount <= 0)
				goto out;
		}
	}
	rc = ARRANGE_OK;
out:
	json_decref(o);
	if (rc != ARRANGE_OK)
		arrange_terms_release(t);
	return rc;
}

/* ---- encoding -------------------------------------------------------------------- */

static int put_date(json_t *o, const char *name, int32_t day)
{
	char buf[16];

	if (day == POSITION_NO_DATE)
		return 0;
	date_format(day, buf);
	return json_object_set_new(o, name, json_string(buf));
}

static int put_int(json_t *o, const char *name, int64_t v, int always)
{
	return v == 0 && !always ? 0 : json_object_set_new(o, name, json_integer(v));
}

static int put_str(json_t *o, const char *name, const char *v)
{
	return v == NULL ? 0 : json_object_set_new(o, name, json_string(v));
}

char *arrange_terms_encode(const struct arrange_terms *t)
{
	json_t *o = json_object(), *a = NULL;
	char *out = NULL;
	int bad = o == NULL;

	if (!bad && t->currency[0])
		bad |= json_object_set_new(o, "currency", json_string(t->currency));
	if (!bad)
		bad |= put_int(o, "amount", t->amount, 0) | put_int(o, "paid_base", t->paid_base, 0) |
		       put_int(o, "total", t->total, 0) | put_int(o, "down_payment", t->down_payment, 0) |
		       put_int(o, "waived", t->waived, 0) |
		       put_int(o, "restored", t->restored, 0) |
		       put_int(o, "late_reported", t->late_reported, 0) |
		       put_date(o, "due_on", t->due_on) | put_date(o, "down_due_on", t->down_due_on) |
		       put_date(o, "covered_through", t->covered_through) |
		       put_date(o, "expires_on", t->expires_on) | put_date(o, "answer_by", t->answer_by) |
		       put_date(o, "was_due_on", t->was_due_on) |
		       put_str(o, "invoice_id", t->invoice_id) | put_str(o, "reason", t->reason) |
		       put_str(o, "party", t->party) | put_str(o, "note", t->note);
	if (!bad && t->n_instalments) {
		bad |= (a = json_array()) == NULL;
		for (size_t i = 0; !bad && i < t->n_instalments; i++) {
			json_t *e = json_object();

			bad |= e == NULL || put_date(e, "due_on", t->instalments[i].due_on) ||
			       put_int(e, "amount", t->instalments[i].amount, 1) ||
			       json_array_append(a, e);
			json_decref(e);
		}
		if (!bad)
			bad |= json_object_set(o, "instalments", a);
		json_decref(a);
	}
	if (!bad)
		out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return out;
}

/* ---- plans ------------------------------------------------------------------------ */

static int days_in_month(int year, int month)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : d[month - 1];
}

int32_t arrange_month_day(int32_t first, int k, int dom)
{
	int y, m, d;
	int32_t out;

	date_to_ymd(first, &y, &m, &d);
	m += k;
	y += (m - 1) / 12;
	m = (m - 1) % 12 + 1;
	d = dom < days_in_month(y, m) ? dom : days_in_month(y, m);
	return date_from_ymd(y, m, d, &out) == 0 ? out : POSITION_NO_DATE;
}

int arrange_plan_schedule(int64_t total, int64_t down, int n, int32_t first_due,
			  int day_of_month, int every_days, struct arrange_instalment *out,
			  char *why, size_t whysize)
{
	int64_t rest, each;

	if (n < 1 || n > ARRANGE_MAX_INSTALMENTS) {
		snprintf(why, whysize, "a plan has 1 to %d instalments, not %d",
			 ARRANGE_MAX_INSTALMENTS, n);
		return ARRANGE_INPUT;
	}
	if (total <= 0 || down < 0 || down >= total) {
		snprintf(why, whysize, total <= 0 ? "nothing is owed to spread" :
			 "the down payment must be less than the debt");
		return ARRANGE_INPUT;
	}
	if ((day_of_month != 0) == (every_days != 0) || day_of_month < 0 || day_of_month > 31 ||
	    every_days < 0 || every_days > 366) {
		snprintf(why, whysize, "instalments fall on a day of the month (1-31) "
			 "or every N days (1-366), one of the two");
		return ARRANGE_INPUT;
	}
	rest = total - down;
	each = rest / n;
	if (each < 1) {
		snprintf(why, whysize, "%d instalments would be less than one minor unit each", n);
		return ARRANGE_INPUT;
	}
	for (int i = 0; i < n; i++) {
		out[i].amount = i + 1 < n ? each : rest - each * (n - 1);
		out[i].due_on = every_days ? first_due + (int32_t)i * every_days :
			i == 0 ? first_due : arrange_month_day(first_due, i, day_of_month);
		if (out[i].due_on == POSITION_NO_DATE) {
			snprintf(why, whysize, "the schedule runs past the calendar");
			return ARRANGE_INPUT;
		}
	}
	return ARRANGE_OK;
}

int64_t arrange_owed_through(const struct position *p, int32_t through)
{
	int64_t owed = 0;

	for (size_t i = 0; i < p->n_open; i++)
		if (p->open[i].due_on <= through)
			owed += p->open[i].remaining;
	return owed;
}

void arrange_plan_check(const struct arrange_terms *plan, int64_t owed, int32_t today,
			int grace_days, struct arrange_plan_status *out)
{
	int64_t due = plan->down_payment;

	memset(out, 0, sizeof(*out));
		out->next_due = POSITION_NO_DATE;
	out->next_check = POSITION_NO_DATE;
	out->paid = plan->total - owed;
	if (out->paid < 0)
		out->paid = 0;
	out->completed = owed <= 0;
	out->first_met = plan->down_payment > 0 ? out->paid >= plan->down_payment :
		plan->n_instalments > 0 && out->paid >= plan->instalments[0].amount;
	if (plan->down_payment > 0 && out->paid < due) {
		out->next_due = plan->down_due_on;
		out->next_amount = due - out->paid;
		if (plan->down_due_on + grace_days < today)
			out->missed = 1;
		out->next_check = plan->down_due_on + grace_days + 1;
		return;
	}
	for (size_t i = 0; i < plan->n_instalments; i++) {
		due += plan->instalments[i].amount;
		if (out->paid >= due)
			continue;
		out->next_due = plan->instalments[i].due_on;
		out->next_amount = due - out->paid;
		if (plan->instalments[i].due_on + grace_days < today)
			out->missed = 1;
		out->next_check = plan->instalments[i].due_on + grace_days + 1;
		return;
	}
}

/* ---- promises ---------------------------------------------------------------------- */

enum arrange_promise_verdict arrange_promise_check(int64_t amount, int32_t due_on,
						   int64_t paid_since, int tolerance_pct,
						   int32_t today)
{
	/* The tolerance rounded down (the customer never gets more than it
	 * says), computed without amount * pct, which could wrap. */
	int64_t waived = amount / 100 * tolerance_pct + amount % 100 * tolerance_pct / 100;

	if (paid_since >= amount - waived)
		return PROMISE_KEPT;
	return today > due_on ? PROMISE_BROKEN : PROMISE_OPEN;
}
