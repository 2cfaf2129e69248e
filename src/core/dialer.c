/*
 * dialer — the call list, the plan of a call, outcomes and the calls
 * report (dialer.h, docs/voice.md "The dialer").
 *
 * Every entry ever added keeps its slot, indexed by id, until release:
 * entries never move, so an id is enough to find one, and a done entry can
 * still be looked at. A waiting entry is in exactly one of two heaps of ids:
 * `later` (not yet due, ordered by due instant) or `ready` (due, in list
 * order); a calling or done entry is in neither. Both heaps are sized to
 * the slots, so that putting an entry back never allocates: dialer_feed
 * cannot fail after it asked the caller's when().
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caltime.h"
#include "dialer.h"

struct dialer_slot {
	struct dialer_entry e;  /* account_id, customer_id and number owned here */
	uint64_t front_seq;     /* order of its last early hang-up, when e.front */
};

static const char *const outcome_names[DIALER_N_OUTCOMES] = {
	"heard", "hung_up_early", "busy", "no_answer", "bad_number", "trunk_failure",
	"not_confirmed",
};

static const char *const end_names[] = {
	"none", "heard", "paid", "gave_up", "bad_number", "not_allowed", "left",
};

const char *dialer_outcome_name(enum dialer_outcome o)
{
	if (o < 0 || o >= DIALER_N_OUTCOMES)
		return "not_called";
	return outcome_names[o];
}

enum dialer_outcome dialer_outcome_parse(const char *name)
{
	for (int k = 0; name != NULL && k < DIALER_N_OUTCOMES; k++)
		if (strcmp(name, outcome_names[k]) == 0)
			return (enum dialer_outcome)k;
	return DIALER_NOT_CALLED;
}

const char *dialer_end_name(enum dialer_end e)
{
	if ((unsigned)e >= sizeof(end_names) / sizeof(end_names[0]))
		return "?";
	return end_names[e];
}

void dialer_config_init(struct dialer_config *c, const struct policy *p, int bad_after)
{
	assert(p != NULL);
	*c = (struct dialer_config){
		.retry_busy_s = (int64_t)p->voice.retry_busy_minutes * 60,
		.retry_no_answer_s = (int64_t)p->voice.retry_no_answer_minutes * 60,
		.max_unanswered = p->voice.max_unanswered,
		.bad_after = bad_after,
		.promise_days = p->arrangements.promise_default_days,
		.retry_trunk_s = DIALER_TRUNK_RETRY_S,
		.max_trunk_failures = DIALER_TRUNK_MAX_FAILURES,
		.key_timeout_s = DIALER_KEY_TIMEOUT_S,
	};
}

/* ---- the plan ---------------------------------------------------------- */

void dialer_plan_of(const struct dialer_config *c, const struct dialer_entry *e,
		    struct dialer_plan *out)
{
	struct dialer_plan *p = out;

	memset(p, 0, sizeof(*p));
	/* Identity before disclosure: whoever answers hears only a neutral
	 * question until the key; a machine cannot press it, so no debt is
	 * ever left on voicemail this way. */
	if (e->confirm_identity) {
		p->steps[p->n++] = (struct dialer_step){ .kind = DIALER_PLAY,
							 .prompt = DIALER_PROMPT_IDENTITY };
		p->steps[p->n++] = (struct dialer_step){ .kind = DIALER_WAIT_KEY,
							 .key = DIALER_CONFIRM_KEY,
							 .timeout_s = c->key_timeout_s,
							 .otherwise = DIALER_NOT_CONFIRMED };
	}
	p->message = p->n;
	p->steps[p->n++] = (struct dialer_step){ .kind = DIALER_PLAY,
						 .prompt = DIALER_PROMPT_MESSAGE };
	/* The offer comes after the message: the message is heard whether
	 * or not the key follows. */
	if (c->promise_days > 0) {
		p->promise_days = c->promise_days;
		p->steps[p->n++] = (struct dialer_step){ .kind = DIALER_PLAY,
							 .prompt = DIALER_PROMPT_PROMISE_OFFER };
		p->steps[p->n++] = (struct dialer_step){ .kind = DIALER_WAIT_KEY,
							 .key = DIALER_PROMISE_KEY,
							 .timeout_s = c->key_timeout_s,
							 .otherwise = DIALER_HEARD };
		p->steps[p->n++] = (struct dialer_step){ .kind = DIALER_PLAY,
							 .prompt = DIALER_PROMPT_PROMISE_TAKEN };
	}
	assert(p->n <= DIALER_PLAN_MAX);
}

/* ---- heaps ------------------------------------------------------------- */

typedef int (*before_fn)(const struct dialer *d, size_t a, size_t b);

/* Not yet due: by due instant, then id (the order of adding). */
static int later_before(const struct dialer *d, size_t a, size_t b)
{
	const struct dialer_entry *x = &d->slots[a].e, *y = &d->slots[b].e;

	if (x->due != y->due)
		return x->due < y->due;
	return a < b;
}

/* Due: the list order of dialer.h. */
static int ready_before(const struct dialer *d, size_t a, size_t b)
{
	const struct dialer_slot *x = &d->slots[a], *y = &d->slots[b];

	if (x->e.front != y->e.front)
		return x->e.front;
	if (x->e.front) {
		if (x->e.due != y->e.due)
			return x->e.due < y->e.due;
		return x->front_seq < y->front_seq;
	}
	if (x->e.priority != y->e.priority)
		return x->e.priority < y->e.priority;
	if (x->e.due != y->e.due)
		return x->e.due < y->e.due;
	return a < b;
}

/* Room is there: both heaps are sized to the slots. */
static void heap_push(const struct dialer *d, size_t *h, size_t *n, size_t id, before_fn before)
{
	size_t i = (*n)++;

	assert(*n <= d->heap_cap);
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(d, id, h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = id;
}

static size_t heap_pop(const struct dialer *d, size_t *h, size_t *n, before_fn before)
{
	size_t top = h[0], last, i = 0;

	assert(*n > 0);
	last = h[--*n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		size_t mv = last;

		if (l < *n && before(d, h[l], mv)) {
			m = l;
			mv = h[l];
		}
		if (r < *n && before(d, h[r], mv))
			m = r;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	if (*n > 0)
		h[i] = last;
	return top;
}

/* A waiting entry goes to the heap its due instant says. */
static void put_back(struct dialer *d, size_t id)
{
	if (d->slots[id].e.due <= d->now)
		heap_push(d, d->ready, &d->n_ready, id, ready_before);
	else
		heap_push(d, d->later, &d->n_later, id, later_before);
}

/* ---- the list ---------------------------------------------------------- */

int dialer_init(struct dialer *d, const struct dialer_config *c, struct dialer_trunk *trunk)
{
	memset(d, 0, sizeof(*d));
	if (c == NULL || trunk == NULL || trunk->max_calls < 1 || c->retry_busy_s < 0 ||
	    c->retry_no_answer_s < 0 || c->retry_trunk_s < 0 || c->max_unanswered < 1 ||
	    c->bad_after < 1 || c->promise_days < 0 || c->max_trunk_failures < 1 ||
	    c->key_timeout_s < 1)
		return DIALER_ERR_INPUT;
	d->cfg = *c;
	d->trunk = trunk;
	/* Before any dialer_next, nothing is due yet. */
	d->now = INT64_MIN;
	return DIALER_OK;
}

void dialer_release(struct dialer *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free((char *)d->slots[i].e.account_id);
		free((char *)d->slots[i].e.customer_id);
		free((char *)d->slots[i].e.number);
	}
	free(d->slots);
	free(d->later);
	free(d->ready);
	memset(d, 0, sizeof(*d));
}

static int grow(struct dialer *d)
{
	size_t cap = d->cap ? d->cap * 2 : 64;
	struct dialer_slot *s;
	size_t *l, *r;

	if (cap > DIALER_MAX_ENTRIES)
		cap = DIALER_MAX_ENTRIES;
	if (cap <= d->cap)
		return DIALER_ERR_FULL;
	/* Each realloc that succeeds is kept, so a failure halfway leaves
	 * arrays at least as large as before. */
	if ((s = realloc(d->slots, cap * sizeof(*s))) == NULL)
		return DIALER_ERR_NOMEM;
	d->slots = s;
	if ((l = realloc(d->later, cap * sizeof(*l))) == NULL)
		return DIALER_ERR_NOMEM;
	d->later = l;
	if ((r = realloc(d->ready, cap * sizeof(*r))) == NULL)
		return DIALER_ERR_NOMEM;
	d->ready = r;
	d->cap = d->heap_cap = cap;
	return DIALER_OK;
}

int dialer_add(struct dialer *d, const struct dialer_entry *e, size_t *id)
{
	struct dialer_slot *s;
	char *acc, *cust, *num;
	int rc;

	if (e == NULL || e->account_id == NULL || !e->account_id[0] || e->customer_id == NULL ||
	    !e->customer_id[0] || e->number == NULL || !e->number[0] || e->priority < 1 ||
	    e->priority > 9 || e->attempts < 0 || e->unanswered < 0 || e->failures < 0 ||
	    e->last < DIALER_NOT_CALLED || e->last >= DIALER_N_OUTCOMES)
		return DIALER_ERR_INPUT;
	if (d->n == d->cap && (rc = grow(d)) != DIALER_OK)
		return rc;
	acc = strdup(e->account_id);
	cust = strdup(e->customer_id);
	num = strdup(e->number);
	if (acc == NULL || cust == NULL || num == NULL) {
		free(acc);
		free(cust);
		free(num);
		return DIALER_ERR_NOMEM;
	}
	s = &d->slots[d->n];
	s->e = *e;
	s->e.account_id = acc;
	s->e.customer_id = cust;
	s->e.number = num;
	s->e.state = DIALER_WAITING;
	s->e.end = DIALER_END_NONE;
	/* Hung up early on its last call, in an earlier list: still at the
	 * front, in the order the entries are added (the caller adds them in
	 * the order they hung up). */
	s->e.front = e->last == DIALER_HUNG_UP_EARLY;
	s->e.trunk_failures = 0;
	s->front_seq = s->e.front ? ++d->front_seq : 0;
	if (id != NULL)
		*id = d->n;
	d->n++;
	put_back(d, d->n - 1);
	return DIALER_OK;
}

const struct dialer_entry *dialer_entry(const struct dialer *d, size_t id)
{
	return id < d->n ? &d->slots[id].e : NULL;
}

int64_t dialer_next_due(const struct dialer *d)
{
	if (d->n_ready > 0)
		return d->now;
	if (d->n_later > 0)
		return d->slots[d->later[0]].e.due;
	return DIALER_NONE;
}

void dialer_counts(const struct dialer *d, size_t *waiting, size_t *calling, size_t *done)
{
	size_t w = 0, c = 0, k = 0;

	for (size_t i = 0; i < d->n; i++) {
		w += d->slots[i].e.state == DIALER_WAITING;
		c += d->slots[i].e.state == DIALER_CALLING;
		k += d->slots[i].e.state == DIALER_DONE;
	}
	if (waiting)
		*waiting = w;
	if (calling)
		*calling = c;
	if (done)
		*done = k;
}

static void copy_reason(char *dst, size_t size, const char *reason, const char *otherwise)
{
	snprintf(dst, size, "%s", reason != NULL && reason[0] ? reason : otherwise);
}

int dialer_next(struct dialer *d, int64_t now, dialer_check_fn check, void *ctx,
		struct dialer_handout *out, size_t cap, size_t *n_out)
{
	*n_out = 0;
	/* The clock never goes back for the list: an entry moved to `ready`
	 * stays due. */
	if (now > d->now)
		d->now = now;
	while (d->n_later > 0 && d->slots[d->later[0]].e.due <= d->now)
		heap_push(d, d->ready, &d->n_ready,
			  heap_pop(d, d->later, &d->n_later, later_before), ready_before);
	while (*n_out < cap && d->n_ready > 0 && d->trunk->in_progress < d->trunk->max_calls) {
		size_t id = d->ready[0];
		struct dialer_slot *s = &d->slots[id];
		struct dialer_verdict v = { DIALER_GO, 0, NULL };
		struct dialer_handout *h = &out[*n_out];
		int rc;

		/* Asked before the entry leaves the heap: an error leaves it
		 * where it was. */
		if (check != NULL && (rc = check(ctx, &s->e, now, &v)) < 0)
			return rc;
		if (v.check == DIALER_DEFER && v.until <= now)
			return DIALER_ERR_INPUT;
		if (v.check != DIALER_GO && v.check != DIALER_PAID && v.check != DIALER_DEFER &&
		    v.check != DIALER_DROP)
			return DIALER_ERR_INPUT;
		heap_pop(d, d->ready, &d->n_ready, ready_before);
		memset(h, 0, sizeof(*h));
		h->id = id;
		h->entry = &s->e;
		switch (v.check) {
		case DIALER_GO:
			h->kind = DIALER_CALL;
			s->e.state = DIALER_CALLING;
			d->trunk->in_progress++;
			dialer_plan_of(&d->cfg, &s->e, &h->plan);
			break;
		case DIALER_PAID:
			h->kind = DIALER_DROPPED;
			s->e.state = DIALER_DONE;
			s->e.end = DIALER_END_PAID;
			copy_reason(h->reason, sizeof(h->reason), v.reason,
				    "not performed: the customer paid meanwhile");
			break;
		case DIALER_DEFER:
			/* Keeps its place: a front entry is still at the front
			 * once allowed. */
			h->kind = DIALER_DEFERRED;
			h->until = v.until;
			s->e.due = v.until;
			copy_reason(h->reason, sizeof(h->reason), v.reason,
				    "not allowed now: called at the next allowed moment");
			put_back(d, id);
			break;
		case DIALER_DROP:
			h->kind = DIALER_DROPPED;
			s->e.state = DIALER_DONE;
			s->e.end = DIALER_END_NOT_ALLOWED;
			copy_reason(h->reason, sizeof(h->reason), v.reason, "not allowed");
			break;
		}
		(*n_out)++;
	}
	return DIALER_OK;
}

/* ---- outcomes ---------------------------------------------------------- */

static int digit_ok(char c)
{
	return c == 0 || (c >= '0' && c <= '9') || c == '*' || c == '#';
}

/* "2024-07-25T18:00:00Z" */
static const char *when_text(int64_t t, char buf[INSTANT_TEXT_LEN + 1])
{
	instant_format(t, buf);
	return buf;
}

int dialer_feed(struct dialer *d, size_t id, int64_t now, const struct dialer_call_result *r,
		dialer_when_fn when, void *ctx, struct dialer_result *out)
{
	const struct dialer_config *c = &d->cfg;
	struct dialer_slot *s;
	struct dialer_entry e;
	const char *what = NULL;   /* the outcome, for the file */
	int64_t from = 0;
	int requeue = 0, front = 0, rc;
	char at[INSTANT_TEXT_LEN + 1];

	if (id >= d->n || d->slots[id].e.state != DIALER_CALLING || r == NULL || r->outcome < 0 ||
	    r->outcome >= DIALER_N_OUTCOMES || r->share < 0 || r->share > 1000 ||
	    !digit_ok(r->digit))
		return DIALER_ERR_INPUT;
	s = &d->slots[id];
	assert(d->trunk->in_progress > 0);
	/* Worked on a copy: the slot changes only once when() has answered. */
	e = s->e;
	memset(out, 0, sizeof(*out));
	e.last = r->outcome;
	if (r->outcome == DIALER_TRUNK_FAILURE) {
		/* The call never reached the number: nothing happened to the
		 * customer, so nothing is counted against them. */
		e.trunk_failures++;
	} else {
		e.attempts++;
		e.trunk_failures = 0;
		out->events |= DIALER_EV_ATTEMPT;
	}
	switch (r->outcome) {
	case DIALER_HEARD:
		out->events |= DIALER_EV_CONVERSATION;
		e.state = DIALER_DONE;
		e.end = DIALER_END_HEARD;
		if (r->digit == DIALER_PROMISE_KEY && c->promise_days > 0) {
			out->events |= DIALER_EV_PROMISE;
			out->promise_days = c->promise_days;
			snprintf(out->reason, sizeof(out->reason), "message heard to the end; key %c "
				 "pressed: a promise to pay within %d day%s asked for",
				 DIALER_PROMISE_KEY, c->promise_days, c->promise_days == 1 ? "" : "s");
		} else {
			snprintf(out->reason, sizeof(out->reason), "message heard to the end");
		}
		break;
	case DIALER_HUNG_UP_EARLY:
		/* SPEC.md situation 4: back to the FRONT, until heard or paid;
		 * no give-up count. Compliance spaces the calls (caps, windows). */
		requeue = front = 1;
		from = now;
		break;
	case DIALER_BUSY:
	case DIALER_NO_ANSWER:
	case DIALER_NOT_CONFIRMED:
		e.unanswered++;
		what = r->outcome == DIALER_BUSY ? "line busy" : r->outcome == DIALER_NO_ANSWER ?
		       "no answer" : "identity not confirmed: nothing said of the debt";
		if (e.unanswered >= c->max_unanswered) {
			e.state = DIALER_DONE;
			e.end = DIALER_END_GAVE_UP;
			snprintf(out->reason, sizeof(out->reason), "%s: given up after %d call%s not "
				 "answered", what, e.unanswered, e.unanswered == 1 ? "" : "s");
			break;
		}
		requeue = 1;
		from = now + (r->outcome == DIALER_BUSY ? c->retry_busy_s : c->retry_no_answer_s);
		break;
	case DIALER_BAD_NUMBER:
		out->events |= DIALER_EV_CONTACT_FAILURE;
		e.failures++;
		/* The same count as the store's (contacts.bad_after_failures),
		 * so the dialer and store_contact_failure flag together. */
		if (e.failures >= c->bad_after) {
			out->events |= DIALER_EV_FIX_CONTACT;
			e.state = DIALER_DONE;
			e.end = DIALER_END_BAD_NUMBER;
			snprintf(out->reason, sizeof(out->reason), "the number %s does not exist: "
				 "flagged bad after %d failure%s; fix contact details", e.number,
				 e.failures, e.failures == 1 ? "" : "s");
			break;
		}
		what = "the number does not exist";
		requeue = 1;
		from = now + c->retry_no_answer_s;
		break;
	case DIALER_TRUNK_FAILURE:
		if (e.trunk_failures >= c->max_trunk_failures) {
			e.state = DIALER_DONE;
			e.end = DIALER_END_LEFT;
			snprintf(out->reason, sizeof(out->reason), "the trunk failed to place the call "
				 "%d times in a row: left for a later cycle, not counted against the "
				 "customer", e.trunk_failures);
			break;
		}
		what = "the trunk failed to place the call (not counted against the customer)";
		requeue = 1;
		front = e.front;   /* keeps its place: not the customer's doing */
		from = now + c->retry_trunk_s;
		break;
	default:
		return DIALER_ERR_INPUT;
	}
	if (requeue) {
		int64_t next = from;

		e.front = front;
		if (when != NULL) {
			if ((rc = when(ctx, &e, from, &next)) < 0)
				return rc;
			if (rc == 0 && next < from)
				return DIALER_ERR_INPUT;
		} else {
			rc = 0;
		}
		if (rc == 1) {
			e.state = DIALER_DONE;
			e.end = DIALER_END_NOT_ALLOWED;
			snprintf(out->reason, sizeof(out->reason), "%s: no allowed moment to call again",
				 r->outcome == DIALER_HUNG_UP_EARLY ? "hung up before the end of the "
				 "message" : what);
		} else {
			e.state = DIALER_WAITING;
			e.due = next;
			if (r->outcome == DIALER_HUNG_UP_EARLY)
				snprintf(out->reason, sizeof(out->reason), "hung up after %d.%d%% of the "
					 "message: back at the front of the list, due %s",
					 r->share / 10, r->share % 10, when_text(next, at));
			else
				snprintf(out->reason, sizeof(out->reason), "%s: called again %s", what,
					 when_text(next, at));
		}
	}
	/* Nothing can fail from here on. */
	d->trunk->in_progress--;
	if (e.state == DIALER_WAITING && front && r->outcome == DIALER_HUNG_UP_EARLY)
		s->front_seq = ++d->front_seq;
	s->e = e;
	out->state = e.state;
	out->end = e.end;
	if (e.state == DIALER_WAITING) {
		out->due = e.due;
		out->front = e.front;
		put_back(d, id);
	}
	return DIALER_OK;
}

/* ---- the calls report --------------------------------------------------- */

/* One call or payment, merged per account in time order. */
struct ev {
	const char *account;
	int64_t at;
	int kind;               /* 0 a call, 1 a payment: calls first on a tie */
	size_t i;               /* into calls[] or payments[] */
};

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	int c = strcmp(x->account, y->account);

	if (c != 0)
		return c;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int day_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

static int money_cmp(const void *a, const void *b)
{
	const struct dialer_report_money *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return strcmp(x->currency, y->currency);
}

static int currency_ok(const char *s)
{
	if (s == NULL || strlen(s) != 3)
		return 0;
	for (int i = 0; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return 1;
}

/* The row of `day`, or NULL when the day is before since_day. */
static struct dialer_report_day *row_of(struct dialer_report *r, int32_t day)
{
	size_t lo = 0, hi = r->n_days;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->days[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->n_days && r->days[lo].day == day ? &r->days[lo] : NULL;
}

/* num / den in per mille, rounded half up; 0 when den is 0. */
static int per_mille(int64_t num, int64_t den)
{
	if (den <= 0)
		return 0;
	return (int)((num * 2000 + den) / (2 * den));
}

void dialer_report_release(struct dialer_report *r)
{
	free(r->days);
	free(r->money);
	memset(r, 0, sizeof(*r));
}

int dialer_report_build(const struct dialer_call_record *calls, size_t n_calls,
			const struct dialer_payment *payments, size_t n_payments, int32_t since_day,
			int window_days, struct dialer_report *out)
{
	struct ev *ev = NULL;
	int32_t *days = NULL;
	int64_t *share_sum = NULL;        /* per row: shares of early hang-ups */
	unsigned char *paid = NULL;       /* per call: a payment was counted for it */
	struct dialer_report_money *m = NULL;
	size_t n_ev = 0, n_days = 0, n_m = 0, pend = 0;
	const struct dialer_call_record *last = NULL;
	int64_t window;
	int rc = DIALER_ERR_NOMEM;

	memset(out, 0, sizeof(*out));
	if (window_days < 0 || (n_calls > 0 && calls == NULL) || (n_payments > 0 && payments == NULL))
		return DIALER_ERR_INPUT;
	window = (int64_t)window_days * 86400;
	for (size_t i = 0; i < n_calls; i++)
		if (calls[i].account_id == NULL || calls[i].outcome < 0 ||
		    calls[i].outcome >= DIALER_N_OUTCOMES || calls[i].share < 0 ||
		    calls[i].share > 1000)
			return DIALER_ERR_INPUT;
	for (size_t i = 0; i < n_payments; i++)
		if (payments[i].account_id == NULL || payments[i].amount < 0 ||
		    !currency_ok(payments[i].currency))
			return DIALER_ERR_INPUT;
	if (n_calls + n_payments < n_calls)
		return DIALER_ERR_RANGE;

	/* The days that have a row: those of calls from since_day on. */
	if ((days = malloc((n_calls ? n_calls : 1) * sizeof(*days))) == NULL)
		goto out;
	for (size_t i = 0; i < n_calls; i++)
		if (calls[i].day >= since_day)
			days[n_days++] = calls[i].day;
	qsort(days, n_days, sizeof(*days), day_cmp);
	{
		size_t k = 0;

		for (size_t i = 0; i < n_days; i++)
			if (k == 0 || days[k - 1] != days[i])
				days[k++] = days[i];
		n_days = k;
	}
	out->days = calloc(n_days ? n_days : 1, sizeof(*out->days));
	share_sum = calloc(n_days ? n_days : 1, sizeof(*share_sum));
	paid = calloc(n_calls ? n_calls : 1, 1);
	ev = malloc((n_calls + n_payments ? n_calls + n_payments : 1) * sizeof(*ev));
	m = malloc((n_payments ? n_payments : 1) * sizeof(*m));
	if (out->days == NULL || share_sum == NULL || paid == NULL || ev == NULL || m == NULL)
		goto out;
	out->n_days = n_days;
	for (size_t i = 0; i < n_days; i++)
		out->days[i].day = days[i];

	for (size_t i = 0; i < n_calls; i++) {
		struct dialer_report_day *row = row_of(out, calls[i].day);

		ev[n_ev++] = (struct ev){ calls[i].account_id, calls[i].at, 0, i };
		if (row == NULL)
			continue;
		row->calls++;
		row->by_outcome[calls[i].outcome]++;
		if (calls[i].outcome == DIALER_HUNG_UP_EARLY) {
			share_sum[row - out->days] += calls[i].share;
			row->requeued += calls[i].requeued != 0;
		}
	}
	for (size_t i = 0; i < n_payments; i++)
		ev[n_ev++] = (struct ev){ payments[i].account_id, payments[i].at, 1, i };
	qsort(ev, n_ev, sizeof(*ev), ev_cmp);

	/* One pass per account in time order. `last` is the last heard call
	 * so far; `pend` the first event not yet looked at by a heard call,
	 * so each early hang-up is credited once, to the first heard call
	 * after it. */
	for (size_t i = 0; i < n_ev; i++) {
		if (i == 0 || strcmp(ev[i].account, ev[i - 1].account) != 0) {
			last = NULL;
			pend = i;
		}
		if (ev[i].kind == 0) {
			const struct dialer_call_record *cr = &calls[ev[i].i];

			if (cr->outcome != DIALER_HEARD)
				continue;
			for (size_t j = pend; j < i; j++) {
				const struct dialer_call_record *h = &calls[ev[j].i];
				struct dialer_report_day *row;

				if (ev[j].kind == 0 && h->outcome == DIALER_HUNG_UP_EARLY &&
				    h->requeued && (row = row_of(out, h->day)) != NULL)
					row->requeued_heard++;
			}
			pend = i + 1;
			last = cr;
			continue;
		}
		{
			const struct dialer_payment *p = &payments[ev[i].i];
			struct dialer_report_day *row;

			/* last->at <= p->at by the order; exactly the window
			 * after still counts. */
			if (last == NULL || p->at - last->at > window ||
			    (row = row_of(out, last->day)) == NULL)
				continue;
			if (!paid[last - calls]) {
				paid[last - calls] = 1;
				row->heard_paid++;
			}
			m[n_m].day = last->day;
			memcpy(m[n_m].currency, p->currency, 4);
			m[n_m].payments = 1;
			m[n_m].amount = p->amount;
			n_m++;
		}
	}

	/* Per day and currency. */
	qsort(m, n_m, sizeof(*m), money_cmp);
	{
		size_t k = 0;

		for (size_t i = 0; i < n_m; i++) {
			if (k > 0 && money_cmp(&m[k - 1], &m[i]) == 0) {
				m[k - 1].payments++;
				if (__builtin_add_overflow(m[k - 1].amount, m[i].amount,
							   &m[k - 1].amount)) {
					rc = DIALER_ERR_RANGE;
					goto out;
				}
				continue;
			}
			m[k++] = m[i];
		}
		n_m = k;
	}
	for (size_t i = 0; i < n_m; i++) {
		struct dialer_report_day *row = row_of(out, m[i].day);

		assert(row != NULL);
		if (row->n_money++ == 0)
			row->money = i;
	}
	for (size_t i = 0; i < n_days; i++) {
		struct dialer_report_day *row = &out->days[i];
		int64_t early = row->by_outcome[DIALER_HUNG_UP_EARLY];

		row->heard_per_mille = per_mille(row->by_outcome[DIALER_HEARD],
						 row->by_outcome[DIALER_HEARD] + early);
		row->early_share_per_mille = early > 0 ? (int)((share_sum[i] * 2 + early) /
							       (2 * early)) : 0;
	}
	out->money = m;
	out->n_money = n_m;
	m = NULL;
	rc = DIALER_OK;
out:
	if (rc != DIALER_OK)
		dialer_report_release(out);
	free(m);
	free(ev);
	free(paid);
	free(share_sum);
	free(days);
	return rc;
}
