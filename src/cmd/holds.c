/*
 * holds — live arrangements in a cycle (holds.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/arrange.h"
#include "../core/caltime.h"
#include "../core/casestate.h"
#include "../core/money.h"
#include "../core/policy.h"
#include "../core/tz.h"
#include "../store/store.h"
#include "cmd.h"
#include "holds.h"

/* ---- one account's facts ------------------------------------------------------------ */

struct facts_ctx {
	struct cmd_ctx *cmd;
	struct store *s;
	struct account_facts *out;
	int status;
};

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static int keep_facts(void *ctx, const struct account_summary *a)
{
	struct facts_ctx *c = ctx;
	struct account_facts *f = c->out;

	f->found = 1;
	f->account_key = a->account_key;
	copy(f->account_id, sizeof(f->account_id), a->account_id);
	copy(f->customer_id, sizeof(f->customer_id), a->customer_id);
	copy(f->currency, sizeof(f->currency), a->currency);
	copy(f->timezone, sizeof(f->timezone), a->timezone);
	copy(f->jurisdiction, sizeof(f->jurisdiction), a->jurisdiction);
	copy(f->locale, sizeof(f->locale), a->locale);
	money_currency_exponent(a->currency, &f->exponent);
	c->status = cmd_position_at(c->cmd, c->s, a, &f->pos);
	return c->status == 0 ? 0 : -1;
}

int account_facts_get(struct cmd_ctx *cmd, struct store *s, const char *account_id,
		      struct account_facts *out)
{
	struct facts_ctx c = { cmd, s, out, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_accounts_scan(s, account_id, keep_facts, &c);
	if (c.status != 0)
		return c.status;
	if (rc != STORE_OK)
		return cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(s));
	return 0;
}

void account_facts_release(struct account_facts *f)
{
	position_release(&f->pos);
}

/* ---- the live arrangements of an account ---------------------------------------------- */

struct arr {
	char id[32], kind[16], state[16];
	int64_t version;
	char *terms;
	char **accounts;
	size_t n_accounts;
};

struct arr_list {
	struct arr *v;
	size_t n;
};

static void arr_list_release(struct arr_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].terms);
		for (size_t k = 0; k < l->v[i].n_accounts; k++)
			free(l->v[i].accounts[k]);
		free(l->v[i].accounts);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int keep_arr(void *ctx, const struct arrangement_view *a)
{
	struct arr_list *l = ctx;
	struct arr *v = realloc(l->v, (l->n + 1) * sizeof(*v)), *e;

	if (v == NULL)
		return STORE_ERR_NOMEM;
	l->v = v;
	e = &v[l->n];
	memset(e, 0, sizeof(*e));
	l->n++;
	copy(e->id, sizeof(e->id), a->arrangement_id);
	copy(e->kind, sizeof(e->kind), a->kind);
	copy(e->state, sizeof(e->state), a->state);
	e->version = a->version;
	if ((e->terms = strdup(a->terms)) == NULL ||
	    (e->accounts = calloc(a->n_accounts ? a->n_accounts : 1, sizeof(char *))) == NULL)
		return STORE_ERR_NOMEM;
	for (size_t i = 0; i < a->n_accounts; i++) {
		if ((e->accounts[i] = strdup(a->account_ids[i])) == NULL)
			return STORE_ERR_NOMEM;
		e->n_accounts++;
	}
	return 0;
}

/* ---- changes ------------------------------------------------------------------------- */

struct look {
	struct cmd_ctx *cmd;
	struct store *s;
	const struct policy *p;
	const struct account_summary *a;
	const struct position *pos;
	int exponent;
	struct holds *out;
	int peek;               /* holds_peek: change nothing */
};

static void amount(const struct look *k, int64_t minor, char *buf, size_t size)
{
	char num[48];

	if (money_format(minor, k->exponent, num, sizeof(num)) < 0)
		snprintf(num, sizeof(num), "%lld", (long long)minor);
	snprintf(buf, size, "%s %s", num, k->a->currency);
}

static int note(const struct look *k, int64_t account_key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int note(const struct look *k, int64_t account_key, const char *fmt, ...)
{
	char body[1024];
	struct file_note n = { account_key, k->cmd->now, "arrangement", CMD_AUTHOR, body };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	return store_file_notes(k->s, &n, 1);
}

/* Writes a new state (and terms when non-NULL); 1 when someone else
 * changed it first (left for the next cycle), 0 when written. */
static int change(const struct look *k, const struct arr *e, const char *state, const char *terms,
		  int *status)
{
	int rc;

	/* A peek changes nothing: as if someone else had, the arrangement is
	 * left as it stands, and what it holds is what it would hold. */
	if (k->peek)
		return 1;
	rc = store_arrangement_update(k->s, e->id, e->version, state, terms, k->cmd->now,
					  CMD_AUTHOR);

	if (rc == STORE_ERR_CONFLICT)
		return 1;
	if (rc != STORE_OK)
		*status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(k->s));
	return rc == STORE_OK ? 0 : -1;
}

struct case_edit {
	int broken_promise;     /* count one more */
	int restart;            /* a plan broke: the ladder starts again */
	int found;
	struct case_row row;
	char *stage, *state;
};

static int keep_case(void *ctx, const struct case_row *c)
{
	struct case_edit *e = ctx;

	e->found = 1;
	e->row = *c;
	e->stage = strdup(c->stage);
	e->state = strdup(c->state);
	e->row.stage = e->stage;
	e->row.state = e->state;
	e->row.rule = "";
	return e->stage && e->state ? 0 : STORE_ERR_NOMEM;
}

int holds_case_edit(struct store *s, int64_t now, int64_t account_key, unsigned what)
{
	int broken_promise = (what & HOLDS_BROKEN_PROMISE) != 0, restart = (what & HOLDS_RESTART) != 0;
	struct case_edit e = { broken_promise, restart, 0, { 0 }, NULL, NULL };
	struct case_state cs;
	char why[128], *json = NULL;
	int rc;

	case_state_init(&cs);
	if ((rc = store_case_get(s, account_key, keep_case, &e)) != STORE_OK)
		goto out;
	if (e.found && case_state_decode(e.state, strlen(e.state), &cs, why, sizeof(why)) != 0) {
		/* Printed here: the caller's store message would not say it. */
		cmd_fail(EXIT_RUNTIME, "the case of account key %lld: %s", (long long)account_key,
			 why);
		rc = STORE_ERR_INPUT;
		goto out;
	}
	if (!e.found) {
		e.row.account_key = account_key;
		e.row.stage = "";
	}
	e.row.next_check_at = now;
	cs.broken_promises += broken_promise;
	/* A notice given before a dispute is not one for the amount it held:
	 * unless a suspension already stands on the rest of the debt, the
	 * customer is told again before any suspension. */
	if ((what & HOLDS_FRESH_NOTICE) && cs.n_suspended == 0)
		cs.notice_at = ENGINE_NEVER;
	if (restart) {
		free(cs.stage);
		free(cs.strategy);
		cs.stage = cs.strategy = NULL;
		free(cs.actions);
		cs.actions = NULL;
		cs.n_actions = 0;
		cs.stage_entered_at = ENGINE_NEVER;
		cs.notice_at = ENGINE_NEVER;
		e.row.stage = "";
		e.row.stage_since = 0;
	}
	if ((json = case_state_encode(&cs)) == NULL) {
		rc = STORE_ERR_NOMEM;
		goto out;
	}
	e.row.state = json;
	rc = store_cases_put(s, &e.row, 1);
out:
	free(json);
	free(e.stage);
	free(e.state);
	case_state_release(&cs);
	return rc;
}

static int edit_case(const struct look *k, int64_t account_key, int broken_promise, int restart)
{
	return holds_case_edit(k->s, k->cmd->now, account_key,
			       (broken_promise ? HOLDS_BROKEN_PROMISE : 0) | (restart ? HOLDS_RESTART : 0));
}

static void next_day(struct holds *h, int32_t day)
{
	if (day != POSITION_NO_DATE && (h->next_day == POSITION_NO_DATE || day < h->next_day))
		h->next_day = day;
}

static int look_promise(struct look *k, const struct arr *e, struct arrange_terms *t, int *status)
{
	const struct policy_arrangements *pa = &k->p->arrangements;
	int64_t paid = k->pos->paid + k->pos->credited - t->paid_base;
	enum arrange_promise_verdict v = arrange_promise_check(t->amount, t->due_on, paid,
								pa->promise_tolerance_pct,
								k->pos->today);
	char amt[64], date[DATE_TEXT_LEN + 1];
	int rc;

	amount(k, t->amount, amt, sizeof(amt));
	date_format(t->due_on, date);
	if (v == PROMISE_OPEN) {
		k->out->promised += t->amount - (paid > 0 ? paid : 0);
		next_day(k->out, t->due_on + 1);
		return 0;
	}
	if ((rc = change(k, e, v == PROMISE_KEPT ? "kept" : "broken", NULL, status)) != 0)
		return rc < 0 ? -1 : 0;
	if (v == PROMISE_KEPT)
		rc = note(k, k->a->account_key, "promise %s kept: %s promised by %s", e->id, amt, date);
	else
		rc = note(k, k->a->account_key, "promise %s broken: %s promised by %s was not paid; "
			  "collection resumes where it stood", e->id, amt, date);
	if (rc == STORE_OK && v == PROMISE_BROKEN)
		rc = edit_case(k, k->a->account_key, 1, 0);
	if (rc != STORE_OK)
		*status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(k->s));
	return rc == STORE_OK ? 0 : -1;
}

/* What is still owed on the invoices a plan covers, over all its accounts. */
static int plan_owed(struct look *k, const struct arr *e, const struct arrange_terms *t,
		     int64_t *owed, int *status)
{
	*owed = 0;
	for (size_t i = 0; i < e->n_accounts; i++) {
		struct account_facts f;

		if (strcmp(e->accounts[i], k->a->account_id) == 0) {
			*owed += arrange_owed_through(k->pos, t->covered_through);
			continue;
		}
		if ((*status = account_facts_get(k->cmd, k->s, e->accounts[i], &f)) != 0)
			return -1;
		*owed += arrange_owed_through(&f.pos, t->covered_through);
		account_facts_release(&f);
	}
	return 0;
}

static int plan_keys(struct look *k, const struct arr *e, int64_t *keys, size_t *n, int *status)
{
	*n = 0;
	for (size_t i = 0; i < e->n_accounts; i++) {
		struct account_facts f;

		if ((*status = account_facts_get(k->cmd, k->s, e->accounts[i], &f)) != 0)
			return -1;
		if (f.found)
			keys[(*n)++] = f.account_key;
		account_facts_release(&f);
	}
	return 0;
}

static int look_plan(struct look *k, const struct arr *e, struct arrange_terms *t, int *status)
{
	const struct policy_arrangements *pa = &k->p->arrangements;
	struct arrange_plan_status st;
	char amt[64], date[DATE_TEXT_LEN + 1];
	int64_t owed;
	int rc = STORE_OK, r;

	if (strcmp(e->state, "proposed") == 0) {
		if (k->pos->today <= t->expires_on) {
			next_day(k->out, t->expires_on + 1);
			return 0;
		}
		if ((r = change(k, e, "expired", NULL, status)) != 0)
			return r < 0 ? -1 : 0;
		date_format(t->expires_on, date);
		rc = note(k, k->a->account_key, "plan %s expired: not accepted by %s", e->id, date);
		goto out;
	}
	if (plan_owed(k, e, t, &owed, status) != 0)
		return -1;
	arrange_plan_check(t, owed, k->pos->today, pa->plan_grace_days, &st);
	if (st.completed) {
		if ((r = change(k, e, "completed", NULL, status)) != 0)
			return r < 0 ? -1 : 0;
		amount(k, t->total, amt, sizeof(amt));
		rc = note(k, k->a->account_key, "plan %s completed: %s paid", e->id, amt);
		goto out;
	}
	if (st.missed) {
		int64_t keys[64];
		size_t n;

		if ((r = change(k, e, "broken", NULL, status)) != 0)
			return r < 0 ? -1 : 0;
		amount(k, st.next_amount, amt, sizeof(amt));
		date_format(st.next_due, date);
		if (e->n_accounts > sizeof(keys) / sizeof(keys[0]) ||
		    plan_keys(k, e, keys, &n, status) != 0)
			return -1;
		/* Every account of the plan starts its ladder again: the
		 * customer is told (the stage's notice) and suspension returns
		 * only after the jurisdiction's notice delay. */
		for (size_t i = 0; i < n && rc == STORE_OK; i++)
			if ((rc = note(k, keys[i], "plan %s broken: %s due on %s not paid within %d days "
				       "of grace; collection starts again with a fresh notice", e->id,
				       amt, date, pa->plan_grace_days)) == STORE_OK)
				rc = edit_case(k, keys[i], 0, 1);
		goto out;
	}
	k->out->paused = 1;
	next_day(k->out, st.next_check);
	if (st.first_met) {
		k->out->restore = 1;
		if (!t->restored) {
			char *json;

			t->restored = 1;
			if ((json = arrange_terms_encode(t)) == NULL) {
				*status = cmd_fail(EXIT_RUNTIME, "out of memory");
				return -1;
			}
			r = change(k, e, "current", json, status);
			free(json);
			if (r != 0)
				return r < 0 ? -1 : 0;
			rc = note(k, k->a->account_key, "plan %s: first payment received; suspended "
				  "services are restored", e->id);
		}
	}
out:
	if (rc != STORE_OK)
		*status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(k->s));
	return rc == STORE_OK ? 0 : -1;
}

static int look_dispute(struct look *k, const struct arr *e, struct arrange_terms *t, int *status)
{
	char *json;
	char amt[64], date[DATE_TEXT_LEN + 1];
	int r, rc;

	k->out->disputed += t->amount;
	if (t->late_reported || t->answer_by == POSITION_NO_DATE || k->pos->today <= t->answer_by) {
		if (!t->late_reported)
			next_day(k->out, t->answer_by + 1);
		return 0;
	}
	t->late_reported = 1;
	if ((json = arrange_terms_encode(t)) == NULL) {
		*status = cmd_fail(EXIT_RUNTIME, "out of memory");
		return -1;
	}
	r = change(k, e, e->state, json, status);
	free(json);
	if (r != 0)
		return r < 0 ? -1 : 0;
	amount(k, t->amount, amt, sizeof(amt));
	date_format(t->answer_by, date);
	rc = note(k, k->a->account_key, "dispute %s of %s not answered by %s: late, on the "
		  "supervisors' queue", e->id, amt, date);
	if (rc != STORE_OK) {
		*status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(k->s));
		return -1;
	}
	copy(k->out->late_dispute, sizeof(k->out->late_dispute), e->id);
	k->out->late_dispute_amount = t->amount;
	return 0;
}

/* The local date `n` business days after `day`: weekdays that are not
 * public holidays of the jurisdiction for the customer. */
static int32_t business_days_after(const struct look *k, int32_t day, int n)
{
	const struct policy_jurisdiction *j = policy_jurisdiction(k->p, k->a->jurisdiction);

	while (n > 0) {
		day++;
		if (date_weekday(day) <= 5 &&
		    (j == NULL || !policy_is_holiday(j, day, k->a->timezone, k->a->segment)))
			n--;
	}
	return day;
}

/*
 * An agency, a notary or a court holds the case until it is recalled: no
 * dunning of ours. A credit bureau listing holds nothing (collection goes
 * on, up to court), but once the debt is paid it must be removed within the
 * jurisdiction's delay: the removal is decided now, with its deadline, and
 * the listing ends.
 */
static int look_handoff(struct look *k, const struct arr *e, struct arrange_terms *t, int *status)
{
	const struct policy_jurisdiction *j;
	char date[DATE_TEXT_LEN + 1];
	int r, rc;

	if (t->party == NULL || strcmp(t->party, "credit_bureau") != 0) {
		k->out->paused = 1;
		return 0;
	}
	if (k->pos->balance > 0)
		return 0;
	j = policy_jurisdiction(k->p, k->a->jurisdiction);
	t->due_on = business_days_after(k, k->pos->today,
					j && j->bureau_removal_business_days > 0 ?
					j->bureau_removal_business_days : 0);
	{
		char *json = arrange_terms_encode(t);

		if (json == NULL) {
			*status = cmd_fail(EXIT_RUNTIME, "out of memory");
			return -1;
		}
		r = change(k, e, "removed", json, status);
		free(json);
	}
	if (r != 0)
		return r < 0 ? -1 : 0;
	date_format(t->due_on, date);
	rc = note(k, k->a->account_key, "handoff %s: paid; the listing with %s is to be removed "
		  "by %s", e->id, t->party, date);
	if (rc != STORE_OK) {
		*status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(k->s));
		return -1;
	}
	copy(k->out->removal, sizeof(k->out->removal), e->id);
	copy(k->out->removal_party, sizeof(k->out->removal_party), t->party);
	k->out->removal_deadline = t->due_on;
	return 0;
}

/* The accounts with live arrangements when the cycle began (holds_load):
 * every other account is looked at without a query. The thread's. */
static __thread struct {
	int loaded;
	int64_t *keys;
	size_t n, cap;
} live;

static int keep_live(void *ctx, const struct arrangement_view *a)
{
	(void)ctx;
	for (size_t i = 0; i < a->n_accounts; i++) {
		if (live.n == live.cap) {
			size_t cap = live.cap ? live.cap * 2 : 256;
			int64_t *v = realloc(live.keys, cap * sizeof(*v));

			if (v == NULL)
				return STORE_ERR_NOMEM;
			live.keys = v;
			live.cap = cap;
		}
		live.keys[live.n++] = a->account_keys[i];
	}
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int holds_load(struct store *s)
{
	int rc;

	holds_unload();
	if ((rc = store_arrangements_of_customer(s, NULL, 1, keep_live, NULL)) != STORE_OK) {
		holds_unload();
		return rc;
	}
	if (live.n > 1)
		qsort(live.keys, live.n, sizeof(*live.keys), cmp_key);
	live.loaded = 1;
	return STORE_OK;
}

void holds_unload(void)
{
	free(live.keys);
	memset(&live, 0, sizeof(live));
}

static int evaluate(struct cmd_ctx *cmd, struct store *s, const struct policy *p,
		    const struct account_summary *a, const struct position *pos,
		    struct holds *out, int peek)
{
	struct arr_list l = { 0 };
	struct look k = { cmd, s, p, a, pos, 2, out, peek };
	int status = 0, rc;

	memset(out, 0, sizeof(*out));
	out->next_day = POSITION_NO_DATE;
	if (live.loaded && (live.n == 0 || bsearch(&a->account_key, live.keys, live.n,
						   sizeof(*live.keys), cmp_key) == NULL))
		return 0;
	money_currency_exponent(a->currency, &k.exponent);
	if ((rc = store_arrangements_of_account(s, a->account_key, 1, keep_arr, &l)) != STORE_OK) {
		arr_list_release(&l);
		return cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(s));
	}
	for (size_t i = 0; i < l.n && status == 0; i++) {
		struct arr *e = &l.v[i];
		struct arrange_terms t;

		if (arrange_terms_decode(e->terms, &t) != ARRANGE_OK) {
			status = cmd_fail(EXIT_RUNTIME, "arrangement %s: its terms are unreadable",
					  e->id);
			break;
		}
		switch (arrange_kind_parse(e->kind)) {
		case ARRANGE_PROMISE:
			look_promise(&k, e, &t, &status);
			break;
		case ARRANGE_PLAN:
			look_plan(&k, e, &t, &status);
			break;
		case ARRANGE_DISPUTE:
			look_dispute(&k, e, &t, &status);
			break;
		case ARRANGE_HANDOFF:
			look_handoff(&k, e, &t, &status);
			break;
		default:
			break;
		}
		arrange_terms_release(&t);
	}
	arr_list_release(&l);
	if (out->promised < 0)
		out->promised = 0;
	return status;
}

int holds_evaluate(struct cmd_ctx *cmd, struct store *s, const struct policy *p,
		   const struct account_summary *a, const struct position *pos,
		   struct holds *out)
{
	return evaluate(cmd, s, p, a, pos, out, 0);
}

int holds_peek(struct cmd_ctx *cmd, struct store *s, const struct policy *p,
	       const struct account_summary *a, const struct position *pos, int *held,
	       char *why, size_t whysize)
{
	struct holds h;
	int status = evaluate(cmd, s, p, a, pos, &h, 1);
	int64_t collectible = pos->overdue > h.disputed ? pos->overdue - h.disputed : 0;

	*held = status == 0 && (h.paused || (h.promised > 0 && h.promised >= collectible));
	if (*held)
		snprintf(why, whysize, "%s", h.paused ? "a plan or a hand-off holds the case" :
			 "a promise to pay covers what is owed");
	return status;
}
