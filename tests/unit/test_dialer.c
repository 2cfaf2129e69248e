/*
 * dialer: the order of the call list, what each outcome does to an entry,
 * the trunk's channels, the balance read again before a call, the plan of a
 * call where identity comes before disclosure, and the calls report.
 *
 * "Back to the FRONT" (SPEC.md situation 4) is read literally: an entry put
 * back after an early hang-up is called before every other due entry,
 * including entries of a higher priority that were never called. The
 * customer just showed that this number answers at this hour, which makes
 * the next call the likeliest to be heard; and the operator asked for the
 * front, not for a place among equals. Priority orders the rest. The
 * entry is only due at the next allowed moment (compliance), so the front
 * never overrides a window or a cap.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/dialer.h"
#include "../../src/core/policy.h"
#include "support.h"

#define T0 INT64_C(1721930400)  /* 2024-07-25T18:00:00Z */
#define MIN INT64_C(60)
#define DAY INT64_C(86400)

/* Settings fixed by hand, as a policy with these values would give. */
static struct dialer_config config(void)
{
	return (struct dialer_config){
		.retry_busy_s = 10 * MIN,
		.retry_no_answer_s = 60 * MIN,
		.max_unanswered = 3,
		.bad_after = 3,
		.promise_days = 7,
		.retry_trunk_s = DIALER_TRUNK_RETRY_S,
		.max_trunk_failures = DIALER_TRUNK_MAX_FAILURES,
		.key_timeout_s = DIALER_KEY_TIMEOUT_S,
	};
}

static size_t add(struct dialer *d, const char *account, int priority, int64_t due)
{
	struct dialer_entry e = { 0 };
	size_t id;

	e.ref = 1000;
	e.account_id = account;
	e.customer_id = "C-1";
	e.number = "+380441234567";
	e.priority = priority;
	e.due = due;
	e.last = DIALER_NOT_CALLED;
	cr_assert_eq(dialer_add(d, &e, &id), DIALER_OK);
	return id;
}

/* Hands out up to `cap` with nothing checked; the accounts, in order,
 * joined by spaces into buf. */
static const char *order(struct dialer *d, int64_t now, size_t cap, char *buf, size_t size)
{
	struct dialer_handout h[64];
	size_t n = 0, used = 0;

	cr_assert(cap <= 64);
	cr_assert_eq(dialer_next(d, now, NULL, NULL, h, cap, &n), DIALER_OK);
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(h[i].kind, DIALER_CALL);
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "",
					 h[i].entry->account_id);
	}
	return buf;
}

static struct dialer_result feed(struct dialer *d, size_t id, int64_t now, enum dialer_outcome o,
				 int share, char digit)
{
	struct dialer_call_result r = { o, share, digit };
	struct dialer_result res;

	cr_assert_eq(dialer_feed(d, id, now, &r, NULL, NULL, &res), DIALER_OK);
	return res;
}

/* Hands out exactly one call, which must be entry `id`. */
static void call_one(struct dialer *d, int64_t now, size_t id)
{
	struct dialer_handout h;
	size_t n = 0;

	cr_assert_eq(dialer_next(d, now, NULL, NULL, &h, 1, &n), DIALER_OK);
	cr_assert_eq(n, 1, "nothing handed out at %lld", (long long)now);
	cr_assert_eq(h.kind, DIALER_CALL);
	cr_assert_eq(h.id, id, "handed %zu, expected %zu", h.id, id);
}

Test(dialer, order_priority_due_insertion)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 10, 0 };
	struct dialer d;
	char buf[256];

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	add(&d, "p5-late", 5, T0 - 10);
	add(&d, "p5-early", 5, T0 - 20);
	add(&d, "p1", 1, T0);
	add(&d, "p5-early-2nd", 5, T0 - 20);   /* same due: the order of adding */
	add(&d, "p1-not-due", 1, T0 + 1);      /* skipped, never waited for */
	add(&d, "p9", 9, T0 - 1000);
	cr_assert_str_eq(order(&d, T0, 10, buf, sizeof(buf)),
			 "p1 p5-early p5-early-2nd p5-late p9");
	cr_assert_eq(trunk.in_progress, 5);
	cr_assert_eq(dialer_next_due(&d), T0 + 1);
	cr_assert_str_eq(order(&d, T0 + 1, 10, buf, sizeof(buf)), "p1-not-due");
	cr_assert_eq(dialer_next_due(&d), DIALER_NONE);
	dialer_release(&d);
}

/* The heaps against a plain sort, on many entries with ties. */
Test(dialer, order_many_entries_as_a_sort)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 1000, 0 };
	struct dialer_handout *h = calloc(500, sizeof(*h));
	struct dialer d;
	int prio[500];
	int64_t due[500];
	size_t n = 0;
	unsigned seed = 7;

	cr_assert_not_null(h);
	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	for (int i = 0; i < 500; i++) {
		char acc[16];

		seed = seed * 1103515245u + 12345u;
		prio[i] = 1 + (int)((seed >> 16) % 3);
		seed = seed * 1103515245u + 12345u;
		due[i] = T0 - (int64_t)((seed >> 16) % 5);
		snprintf(acc, sizeof(acc), "A-%d", i);
		add(&d, acc, prio[i], due[i]);
	}
	cr_assert_eq(dialer_next(&d, T0, NULL, NULL, h, 500, &n), DIALER_OK);
	cr_assert_eq(n, 500);
	for (size_t i = 1; i < n; i++) {
		size_t a = h[i - 1].id, b = h[i].id;
		int ordered = prio[a] < prio[b] ||
			      (prio[a] == prio[b] && (due[a] < due[b] || (due[a] == due[b] && a < b)));

		cr_assert(ordered, "%zu (p%d, %lld) before %zu (p%d, %lld)", a, prio[a],
			  (long long)due[a], b, prio[b], (long long)due[b]);
	}
	free(h);
	dialer_release(&d);
}

Test(dialer, early_hang_up_goes_to_the_front)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 1, 0 };
	struct dialer d;
	struct dialer_result r;
	size_t low, high1, high2;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	low = add(&d, "low", 9, T0);
	call_one(&d, T0, low);
	/* Two debtors of a higher priority join while the call goes on. */
	high1 = add(&d, "high1", 1, T0);
	high2 = add(&d, "high2", 1, T0);
	r = feed(&d, low, T0 + 30, DIALER_HUNG_UP_EARLY, 420, 0);
	cr_assert_eq(r.state, DIALER_WAITING);
	cr_assert(r.front);
	cr_assert_eq(r.due, T0 + 30);            /* allowed at once (no when()) */
	cr_assert_eq(r.events, DIALER_EV_ATTEMPT);  /* not a conversation: not heard */
	cr_assert(strstr(r.reason, "42.0% of the message") != NULL, "%s", r.reason);
	cr_assert(strstr(r.reason, "front") != NULL, "%s", r.reason);
	/* Ahead of both, although they have a higher priority. */
	call_one(&d, T0 + 31, low);
	/* It hangs up again: still at the front, still not given up. */
	r = feed(&d, low, T0 + 60, DIALER_HUNG_UP_EARLY, 100, 0);
	cr_assert(r.front);
	for (int i = 0; i < 5; i++) {
		call_one(&d, T0 + 61 + i * 60, low);
		r = feed(&d, low, T0 + 90 + i * 60, DIALER_HUNG_UP_EARLY, 100, 0);
		cr_assert_eq(r.state, DIALER_WAITING, "given up after %d hang-ups", i + 3);
	}
	cr_assert_eq(dialer_entry(&d, low)->unanswered, 0);
	cr_assert_eq(dialer_entry(&d, low)->attempts, 7);
	call_one(&d, T0 + 1000, low);
	r = feed(&d, low, T0 + 1100, DIALER_HEARD, 1000, 0);
	cr_assert_eq(r.state, DIALER_DONE);
	cr_assert_eq(r.end, DIALER_END_HEARD);
	cr_assert_eq(r.events, DIALER_EV_ATTEMPT | DIALER_EV_CONVERSATION);
	/* Then the others, in their own order. */
	call_one(&d, T0 + 1100, high1);
	feed(&d, high1, T0 + 1200, DIALER_HEARD, 1000, 0);
	call_one(&d, T0 + 1200, high2);
	dialer_release(&d);
}

Test(dialer, front_entries_in_the_order_they_hung_up)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 3, 0 };
	struct dialer d;
	struct dialer_handout h[3];
	size_t n, a, b, other;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	a = add(&d, "a", 5, T0);
	b = add(&d, "b", 5, T0);
	other = add(&d, "other", 1, T0 + 100);
	cr_assert_eq(dialer_next(&d, T0, NULL, NULL, h, 3, &n), DIALER_OK);
	cr_assert_eq(n, 2);
	/* b hangs up first, then a, both put back at the same instant. */
	feed(&d, b, T0 + 50, DIALER_HUNG_UP_EARLY, 10, 0);
	{
		struct dialer_call_result r = { DIALER_HUNG_UP_EARLY, 10, 0 };
		struct dialer_result res;

		cr_assert_eq(dialer_feed(&d, a, T0 + 50, &r, NULL, NULL, &res), DIALER_OK);
	}
	cr_assert_eq(dialer_next(&d, T0 + 200, NULL, NULL, h, 3, &n), DIALER_OK);
	cr_assert_eq(n, 3);
	cr_assert_eq(h[0].id, b);
	cr_assert_eq(h[1].id, a);
	cr_assert_eq(h[2].id, other);
	dialer_release(&d);
}

/* when() answering a fixed instant. */
static int when_fixed(void *ctx, const struct dialer_entry *e, int64_t from, int64_t *next)
{
	(void)e;
	*next = *(const int64_t *)ctx > from ? *(const int64_t *)ctx : from;
	return 0;
}

Test(dialer, front_entries_by_due_first)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 2, 0 };
	struct dialer d;
	struct dialer_handout h[2];
	struct dialer_call_result hung = { DIALER_HUNG_UP_EARLY, 10, 0 };
	struct dialer_result res;
	int64_t at;
	size_t n, a, b;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	a = add(&d, "a", 5, T0);
	b = add(&d, "b", 5, T0);
	cr_assert_eq(dialer_next(&d, T0, NULL, NULL, h, 2, &n), DIALER_OK);
	/* b hangs up first but may be called again only later (its cap
	 * frees later): a, allowed sooner, has waited longer. */
	at = T0 + 500;
	cr_assert_eq(dialer_feed(&d, b, T0 + 50, &hung, when_fixed, &at, &res), DIALER_OK);
	at = T0 + 300;
	cr_assert_eq(dialer_feed(&d, a, T0 + 60, &hung, when_fixed, &at, &res), DIALER_OK);
	cr_assert_eq(dialer_next(&d, T0 + 1000, NULL, NULL, h, 2, &n), DIALER_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(h[0].id, a);
	cr_assert_eq(h[1].id, b);
	dialer_release(&d);
}

/* when() for the tests: records what it was asked, answers `next` (or
 * `from` when next is 0), or never, or an error. */
struct when_ctx {
	int64_t from, next;
	int calls, never, fail;
	int attempts_seen;
};

static int when_cb(void *ctx, const struct dialer_entry *e, int64_t from, int64_t *next)
{
	struct when_ctx *w = ctx;

	w->calls++;
	w->from = from;
	w->attempts_seen = e->attempts;
	if (w->fail)
		return -99;
	if (w->never)
		return 1;
	*next = w->next ? w->next : from;
	return 0;
}

Test(dialer, hang_up_due_at_the_next_allowed_moment)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 2, 0 };
	struct dialer d;
	struct dialer_call_result r = { DIALER_HUNG_UP_EARLY, 500, 0 };
	struct dialer_result res;
	struct when_ctx w = { .next = T0 + DAY };   /* the window closed: tomorrow */
	size_t id, other;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	id = add(&d, "A", 5, T0);
	call_one(&d, T0, id);
	other = add(&d, "B", 5, T0);
	cr_assert_eq(dialer_feed(&d, id, T0 + 40, &r, when_cb, &w, &res), DIALER_OK);
	cr_assert_eq(w.calls, 1);
	cr_assert_eq(w.from, T0 + 40);
	cr_assert_eq(w.attempts_seen, 1, "when() sees the call just made");
	cr_assert_eq(res.due, T0 + DAY);
	cr_assert(strstr(res.reason, "2024-07-26T18:00:00Z") != NULL, "%s", res.reason);
	/* Not due yet: B goes, A waits however front it is. */
	call_one(&d, T0 + 50, other);
	cr_assert_eq(dialer_next_due(&d), T0 + DAY);
	call_one(&d, T0 + DAY, id);
	/* Never allowed again: done, with the reason. */
	w.never = 1;
	cr_assert_eq(dialer_feed(&d, id, T0 + DAY + 40, &r, when_cb, &w, &res), DIALER_OK);
	cr_assert_eq(res.state, DIALER_DONE);
	cr_assert_eq(res.end, DIALER_END_NOT_ALLOWED);
	cr_assert_eq(dialer_entry(&d, id)->end, DIALER_END_NOT_ALLOWED);
	dialer_release(&d);
}

Test(dialer, busy_and_no_answer_retry_delays_and_cap)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 1, 0 };
	struct dialer d;
	struct dialer_result r;
	struct when_ctx w = { 0 };
	struct dialer_call_result busy = { DIALER_BUSY, 0, 0 };
	size_t id;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	id = add(&d, "A", 5, T0);
	call_one(&d, T0, id);
	cr_assert_eq(dialer_feed(&d, id, T0 + 20, &busy, when_cb, &w, &r), DIALER_OK);
	cr_assert_eq(w.from, T0 + 20 + 10 * MIN, "busy: asked from now + retry_busy");
	cr_assert_eq(r.state, DIALER_WAITING);
	cr_assert_eq(r.due, T0 + 20 + 10 * MIN);
	cr_assert(!r.front);
	cr_assert_eq(r.events, DIALER_EV_ATTEMPT);
	cr_assert_eq(trunk.in_progress, 0);
	/* Not before its delay. */
	{
		struct dialer_handout h;
		size_t n = 9;

		cr_assert_eq(dialer_next(&d, T0 + 20 + 10 * MIN - 1, NULL, NULL, &h, 1, &n),
			     DIALER_OK);
		cr_assert_eq(n, 0);
	}
	call_one(&d, T0 + 20 + 10 * MIN, id);
	r = feed(&d, id, T0 + 1000, DIALER_NO_ANSWER, 0, 0);
	cr_assert_eq(r.due, T0 + 1000 + 60 * MIN, "no answer: retry_no_answer");
	cr_assert_eq(dialer_entry(&d, id)->unanswered, 2);
	call_one(&d, T0 + 1000 + 60 * MIN, id);
	/* The third call not answered is the last: given up. */
	r = feed(&d, id, T0 + 5000, DIALER_BUSY, 0, 0);
	cr_assert_eq(r.state, DIALER_DONE);
	cr_assert_eq(r.end, DIALER_END_GAVE_UP);
	cr_assert_eq(r.events, DIALER_EV_ATTEMPT, "a call given up still counted");
	cr_assert(strstr(r.reason, "given up after 3 calls") != NULL, "%s", r.reason);
	cr_assert_eq(dialer_entry(&d, id)->attempts, 3);
	cr_assert_eq(dialer_next_due(&d), DIALER_NONE);
	dialer_release(&d);
}

Test(dialer, attempts_counted_from_the_entry)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 1, 0 };
	struct dialer d;
	struct dialer_entry e = { .account_id = "A", .customer_id = "C", .number = "+1",
				  .priority = 5, .due = T0, .attempts = 4, .unanswered = 2,
				  .last = DIALER_NO_ANSWER };
	struct dialer_result r;
	size_t id;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	cr_assert_eq(dialer_add(&d, &e, &id), DIALER_OK);
	call_one(&d, T0, id);
	/* Two unanswered before this list: one more is the cap of 3. */
	r = feed(&d, id, T0 + 10, DIALER_NO_ANSWER, 0, 0);
	cr_assert_eq(r.end, DIALER_END_GAVE_UP);
	cr_assert_eq(dialer_entry(&d, id)->attempts, 5);
	dialer_release(&d);
}

/* A list built in a later cycle from the calls already made: the entry
 * whose last call was hung up early stands ahead of a never-called entry
 * of a higher priority, and front entries keep the order they are added
 * in (the order they hung up). */
Test(dialer, front_carried_into_a_new_list)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 4, 0 };
	struct dialer d;
	struct dialer_entry e = { .customer_id = "C", .number = "+1", .priority = 9, .due = T0,
				  .attempts = 1, .last = DIALER_HUNG_UP_EARLY };
	char buf[128];
	size_t id;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	add(&d, "never-called", 1, T0);
	e.account_id = "hung-up-first";
	cr_assert_eq(dialer_add(&d, &e, &id), DIALER_OK);
	cr_assert(dialer_entry(&d, id)->front);
	e.account_id = "busy-last";
	e.priority = 1;
	e.last = DIALER_BUSY;
	cr_assert_eq(dialer_add(&d, &e, &id), DIALER_OK);
	cr_assert_not(dialer_entry(&d, id)->front);
	e.account_id = "hung-up-second";
	e.priority = 1;
	e.last = DIALER_HUNG_UP_EARLY;
	cr_assert_eq(dialer_add(&d, &e, NULL), DIALER_OK);
	cr_assert_str_eq(order(&d, T0, 4, buf, sizeof(buf)),
			 "hung-up-first hung-up-second never-called busy-last");
	dialer_release(&d);
}

Test(dialer, bad_number_flagged_and_task_asked)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 1, 0 };
	struct dialer d;
	struct dialer_result r;
	size_t id;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	id = add(&d, "A", 5, T0);
	call_one(&d, T0, id);
	r = feed(&d, id, T0 + 5, DIALER_BAD_NUMBER, 0, 0);
	cr_assert_eq(r.state, DIALER_WAITING, "1 failure of 3: not flagged yet");
	cr_assert_eq(r.events, DIALER_EV_ATTEMPT | DIALER_EV_CONTACT_FAILURE);
	cr_assert_eq(r.due, T0 + 5 + 60 * MIN);
	call_one(&d, r.due, id);
	r = feed(&d, id, T0 + 4000, DIALER_BAD_NUMBER, 0, 0);
	cr_assert_eq(r.state, DIALER_WAITING);
	call_one(&d, r.due, id);
	r = feed(&d, id, T0 + 8000, DIALER_BAD_NUMBER, 0, 0);
	cr_assert_eq(r.state, DIALER_DONE);
	cr_assert_eq(r.end, DIALER_END_BAD_NUMBER);
	cr_assert_eq(r.events, DIALER_EV_ATTEMPT | DIALER_EV_CONTACT_FAILURE |
		     DIALER_EV_FIX_CONTACT);
	cr_assert(strstr(r.reason, "+380441234567") != NULL, "%s", r.reason);
	cr_assert(strstr(r.reason, "fix contact details") != NULL, "%s", r.reason);
	/* Bad numbers do not use up the unanswered count. */
	cr_assert_eq(dialer_entry(&d, id)->unanswered, 0);
	cr_assert_eq(dialer_entry(&d, id)->failures, 3);
	dialer_release(&d);

	/* Flagged at once where the operations file says 1, and a number the
	 * store already counted 2 failures of is flagged at its first here. */
	for (int k = 0; k < 2; k++) {
		struct dialer_entry e = { .account_id = "A", .customer_id = "C", .number = "+1",
					  .priority = 5, .due = T0, .failures = k ? 2 : 0,
					  .last = DIALER_NOT_CALLED };

		c = config();
		c.bad_after = k ? 3 : 1;
		cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
		cr_assert_eq(dialer_add(&d, &e, &id), DIALER_OK);
		call_one(&d, T0, id);
		r = feed(&d, id, T0 + 5, DIALER_BAD_NUMBER, 0, 0);
		cr_assert_eq(r.end, DIALER_END_BAD_NUMBER, "case %d", k);
		cr_assert(r.events & DIALER_EV_FIX_CONTACT);
		dialer_release(&d);
	}
}

Test(dialer, trunk_failure_not_counted)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 1, 0 };
	struct dialer d;
	struct dialer_result r;
	size_t id, other;
	int64_t now = T0;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	id = add(&d, "A", 5, T0);
	call_one(&d, now, id);
	r = feed(&d, id, now + 1, DIALER_HUNG_UP_EARLY, 300, 0);   /* now at the front */
	other = add(&d, "B", 1, T0);
	call_one(&d, now + 2, id);
	r = feed(&d, id, now + 3, DIALER_TRUNK_FAILURE, 0, 0);
	cr_assert_eq(r.events, 0, "nothing for the history: caps do not count it");
	cr_assert_eq(r.state, DIALER_WAITING);
	cr_assert_eq(r.due, now + 3 + DIALER_TRUNK_RETRY_S);
	cr_assert(r.front, "keeps its place at the front");
	cr_assert_eq(dialer_entry(&d, id)->attempts, 1);
	cr_assert_eq(dialer_entry(&d, id)->unanswered, 0);
	cr_assert_eq(trunk.in_progress, 0);
	/* B is due meanwhile; A comes back first once its delay is over. */
	call_one(&d, now + 10, other);
	feed(&d, other, now + 20, DIALER_HEARD, 1000, 0);
	now += 3 + DIALER_TRUNK_RETRY_S;
	/* Four more in a row: the fifth leaves it for a later cycle. */
	for (int i = 2; i <= DIALER_TRUNK_MAX_FAILURES; i++) {
		call_one(&d, now, id);
		r = feed(&d, id, now, DIALER_TRUNK_FAILURE, 0, 0);
		now = r.due;
	}
	cr_assert_eq(r.state, DIALER_DONE);
	cr_assert_eq(r.end, DIALER_END_LEFT);
	cr_assert_eq(r.events, 0);
	cr_assert_eq(dialer_entry(&d, id)->attempts, 1);
	dialer_release(&d);

	/* A call that reaches the number in between starts the count again. */
	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	id = add(&d, "A", 5, T0);
	now = T0;
	for (int i = 0; i < 2 * DIALER_TRUNK_MAX_FAILURES; i++) {
		call_one(&d, now, id);
		r = feed(&d, id, now, i % 4 == 3 ? DIALER_HUNG_UP_EARLY : DIALER_TRUNK_FAILURE, 0,
			 0);
		cr_assert_eq(r.state, DIALER_WAITING, "left at call %d", i);
		now = r.due;
	}
	dialer_release(&d);
}

/* check() for the tests: the accounts listed in `paid` have paid; `defer`
 * is deferred to defer_until; `fail` fails. */
struct check_ctx {
	const char *paid, *defer, *fail;
	int64_t defer_until;
	int asked;
};

static int check_cb(void *ctx, const struct dialer_entry *e, int64_t now, struct dialer_verdict *v)
{
	struct check_ctx *k = ctx;

	(void)now;
	k->asked++;
	if (k->fail && strcmp(e->account_id, k->fail) == 0)
		return -42;
	if (k->paid && strstr(k->paid, e->account_id) != NULL)
		v->check = DIALER_PAID;
	else if (k->defer && strcmp(e->account_id, k->defer) == 0) {
		v->check = DIALER_DEFER;
		v->until = k->defer_until;
		v->reason = "outside the contact window";
	} else
		v->check = DIALER_GO;
	return 0;
}

Test(dialer, paid_meanwhile_never_called)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 1, 0 };
	struct dialer d;
	struct dialer_handout h[4];
	struct check_ctx k = { .paid = "[PAID-1][PAID-2]" };
	size_t n, p1, p2, ok, hung;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	p1 = add(&d, "PAID-1", 1, T0);
	p2 = add(&d, "PAID-2", 2, T0);
	ok = add(&d, "OWES", 3, T0);
	cr_assert_eq(dialer_next(&d, T0, check_cb, &k, h, 4, &n), DIALER_OK);
	/* Two drops use no channel: the one channel goes to OWES. */
	cr_assert_eq(n, 3);
	cr_assert_eq(h[0].kind, DIALER_DROPPED);
	cr_assert_eq(h[0].id, p1);
	cr_assert_str_eq(h[0].reason, "not performed: the customer paid meanwhile");
	cr_assert_eq(h[1].kind, DIALER_DROPPED);
	cr_assert_eq(h[1].id, p2);
	cr_assert_eq(h[2].kind, DIALER_CALL);
	cr_assert_eq(h[2].id, ok);
	cr_assert_eq(dialer_entry(&d, p1)->state, DIALER_DONE);
	cr_assert_eq(dialer_entry(&d, p1)->end, DIALER_END_PAID);
	cr_assert_eq(dialer_entry(&d, p1)->attempts, 0);
	/* A debtor put back at the front who pays before the next call is
	 * not called again either. */
	feed(&d, ok, T0 + 30, DIALER_HUNG_UP_EARLY, 200, 0);
	hung = ok;
	k.paid = "[OWES]";
	cr_assert_eq(dialer_next(&d, T0 + 60, check_cb, &k, h, 4, &n), DIALER_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(h[0].kind, DIALER_DROPPED);
	cr_assert_eq(h[0].id, hung);
	cr_assert_eq(dialer_entry(&d, hung)->end, DIALER_END_PAID);
	cr_assert_eq(trunk.in_progress, 0);
	cr_assert_eq(dialer_next_due(&d), DIALER_NONE);
	dialer_release(&d);
}

Test(dialer, check_defers_and_fails_cleanly)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 4, 0 };
	struct dialer d;
	struct dialer_handout h[4];
	struct check_ctx k = { .defer = "A", .defer_until = T0 + 3600, .fail = "B" };
	size_t n, a, b;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	a = add(&d, "A", 1, T0);
	b = add(&d, "B", 2, T0);
	cr_assert_eq(dialer_next(&d, T0, check_cb, &k, h, 4, &n), -42);
	cr_assert_eq(n, 1, "the deferral before the failure stands");
	cr_assert_eq(h[0].kind, DIALER_DEFERRED);
	cr_assert_eq(h[0].until, T0 + 3600);
	cr_assert_str_eq(h[0].reason, "outside the contact window");
	cr_assert_eq(dialer_entry(&d, b)->state, DIALER_WAITING);
	cr_assert_eq(trunk.in_progress, 0);
	/* B failed to be checked: still first in line. */
	k.fail = NULL;
	cr_assert_eq(dialer_next(&d, T0 + 1, check_cb, &k, h, 4, &n), DIALER_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(h[0].id, b);
	cr_assert_eq(h[0].kind, DIALER_CALL);
	cr_assert_eq(dialer_next_due(&d), T0 + 3600);
	k.defer = NULL;
	cr_assert_eq(dialer_next(&d, T0 + 3600, check_cb, &k, h, 4, &n), DIALER_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(h[0].id, a);
	/* A deferral to the past is the caller's mistake. */
	feed(&d, a, T0 + 3700, DIALER_NO_ANSWER, 0, 0);
	k.defer = "A";
	k.defer_until = T0;
	cr_assert_eq(dialer_next(&d, T0 + 99999, check_cb, &k, h, 4, &n), DIALER_ERR_INPUT);
	cr_assert_eq(dialer_entry(&d, a)->state, DIALER_WAITING);
	dialer_release(&d);
}

Test(dialer, concurrency_cap)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 3, 1 };   /* one call placed by someone else */
	struct dialer d1, d2;
	struct dialer_handout h[8];
	size_t n, first;

	cr_assert_eq(dialer_init(&d1, &c, &trunk), DIALER_OK);
	cr_assert_eq(dialer_init(&d2, &c, &trunk), DIALER_OK);
	first = add(&d1, "A1", 5, T0);
	for (int i = 0; i < 4; i++)
		add(&d1, "A", 5, T0);
	for (int i = 0; i < 4; i++)
		add(&d2, "B", 5, T0);
	cr_assert_eq(dialer_next(&d1, T0, NULL, NULL, h, 8, &n), DIALER_OK);
	cr_assert_eq(n, 2, "3 channels, 1 busy elsewhere");
	cr_assert_eq(trunk.in_progress, 3);
	/* The second list shares the trunk: nothing free. */
	cr_assert_eq(dialer_next(&d2, T0, NULL, NULL, h, 8, &n), DIALER_OK);
	cr_assert_eq(n, 0);
	feed(&d1, first, T0 + 10, DIALER_HEARD, 1000, 0);
	cr_assert_eq(trunk.in_progress, 2);
	cr_assert_eq(dialer_next(&d2, T0 + 10, NULL, NULL, h, 8, &n), DIALER_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(trunk.in_progress, 3);
	/* out[] smaller than the free channels: bounded by it too. */
	trunk.in_progress = 0;
	cr_assert_eq(dialer_next(&d2, T0 + 10, NULL, NULL, h, 2, &n), DIALER_OK);
	cr_assert_eq(n, 2);
	{
		size_t w, cl, dn;

		dialer_counts(&d2, &w, &cl, &dn);
		cr_assert_eq(w, 1);
		cr_assert_eq(cl, 3);
		cr_assert_eq(dn, 0);
	}
	dialer_release(&d1);
	dialer_release(&d2);
}

Test(dialer, feed_errors_change_nothing)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 1, 0 };
	struct dialer d;
	struct dialer_result r;
	struct when_ctx w = { .fail = 1 };
	struct dialer_call_result busy = { DIALER_BUSY, 0, 0 }, bad = { DIALER_HEARD, 1001, 0 };
	struct dialer_call_result key = { DIALER_HEARD, 1000, 'x' };
	size_t id;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	id = add(&d, "A", 5, T0);
	cr_assert_eq(dialer_feed(&d, id, T0, &busy, NULL, NULL, &r), DIALER_ERR_INPUT,
		     "not calling");
	call_one(&d, T0, id);
	cr_assert_eq(dialer_feed(&d, id, T0, &bad, NULL, NULL, &r), DIALER_ERR_INPUT);
	cr_assert_eq(dialer_feed(&d, id, T0, &key, NULL, NULL, &r), DIALER_ERR_INPUT);
	cr_assert_eq(dialer_feed(&d, id + 1, T0, &busy, NULL, NULL, &r), DIALER_ERR_INPUT);
	cr_assert_eq(dialer_feed(&d, id, T0 + 5, &busy, when_cb, &w, &r), -99);
	cr_assert_eq(dialer_entry(&d, id)->state, DIALER_CALLING);
	cr_assert_eq(dialer_entry(&d, id)->unanswered, 0);
	cr_assert_eq(dialer_entry(&d, id)->attempts, 0);
	cr_assert_eq(trunk.in_progress, 1);
	w.fail = 0;
	cr_assert_eq(dialer_feed(&d, id, T0 + 5, &busy, when_cb, &w, &r), DIALER_OK);
	cr_assert_eq(dialer_entry(&d, id)->unanswered, 1);
	cr_assert_eq(trunk.in_progress, 0);
	dialer_release(&d);
}

Test(dialer, add_and_init_refuse_bad_input)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 1, 0 }, none = { 0, 0 };
	struct dialer d;
	struct dialer_entry e = { .account_id = "A", .customer_id = "C", .number = "",
				  .priority = 5, .last = DIALER_NOT_CALLED };

	cr_assert_eq(dialer_init(&d, &c, &none), DIALER_ERR_INPUT);
	c.max_unanswered = 0;
	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_ERR_INPUT);
	c = config();
	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	cr_assert_eq(dialer_add(&d, &e, NULL), DIALER_ERR_INPUT, "no number");
	e.number = "+1";
	e.priority = 10;
	cr_assert_eq(dialer_add(&d, &e, NULL), DIALER_ERR_INPUT, "priority 10");
	e.priority = 1;
	cr_assert_eq(dialer_add(&d, &e, NULL), DIALER_OK);
	cr_assert_null(dialer_entry(&d, 1));
	dialer_release(&d);
}

/* ---- plans ------------------------------------------------------------ */

/* Brazil and Québec ask who answers before saying anything of a debt;
 * Ukraine's autodialer plays its message to whoever answers. */
static const char PLANS_POLICY[] =
	"name: plans\n"
	"jurisdictions:\n"
	"  BR:\n"
	"    timezone: America/Sao_Paulo\n"
	"    locales: [pt-BR]\n"
	"    contact_windows: {mon: [\"08:00-20:00\"]}\n"
	"    confirm_identity: true\n"
	"  QC:\n"
	"    timezone: America/Toronto\n"
	"    locales: [fr-CA]\n"
	"    contact_windows: {mon: [\"08:00-20:00\"]}\n"
	"    confirm_identity: true\n"
	"  UA:\n"
	"    timezone: Europe/Kyiv\n"
	"    locales: [uk-UA]\n"
	"    contact_windows: {mon: [\"18:00-21:00\"]}\n"
	"strategies:\n"
	"  - name: s\n"
	"    jurisdictions: [BR, QC, UA]\n"
	"    stages:\n"
	"      - {name: a, when: {days_past_due: {min: 1}}, actions: []}\n"
	"arrangements:\n"
	"  promises: {default_days: 5}\n"
	"voice:\n"
	"  retry_busy_minutes: 15\n"
	"  retry_no_answer_minutes: 120\n"
	"  max_unanswered: 4\n";

/* The index of the first step that plays `prompt`, or -1. */
static int step_of(const struct dialer_plan *p, enum dialer_prompt prompt)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->steps[i].kind == DIALER_PLAY && p->steps[i].prompt == prompt)
			return (int)i;
	return -1;
}

Test(dialer, identity_before_disclosure_per_jurisdiction)
{
	struct policy *p = support_parse_policy("plans", PLANS_POLICY, strlen(PLANS_POLICY));
	struct dialer_config c;
	const char *codes[] = { "BR", "QC", "UA" };

	dialer_config_init(&c, p, 3);
	for (size_t k = 0; k < 3; k++) {
		const struct policy_jurisdiction *j = policy_jurisdiction(p, codes[k]);
		struct dialer_entry e = { .account_id = "A", .customer_id = "C", .number = "+1",
					  .priority = 5, .last = DIALER_NOT_CALLED };
		struct dialer_plan plan;
		int confirm = strcmp(codes[k], "UA") != 0;

		cr_assert_not_null(j);
		cr_assert_eq(j->confirm_identity, confirm, "%s", codes[k]);
		e.confirm_identity = j->confirm_identity;
		dialer_plan_of(&c, &e, &plan);
		cr_assert_eq(plan.steps[plan.message].kind, DIALER_PLAY);
		cr_assert_eq(plan.steps[plan.message].prompt, DIALER_PROMPT_MESSAGE);
		cr_assert_eq(plan.promise_days, 5);
		if (confirm) {
			/* The neutral question, then the key, and only then the
			 * message; without the key the call ends, not confirmed. */
			cr_assert_eq(plan.n, 6, "%s", codes[k]);
			cr_assert_eq(plan.steps[0].kind, DIALER_PLAY);
			cr_assert_eq(plan.steps[0].prompt, DIALER_PROMPT_IDENTITY);
			cr_assert_eq(plan.steps[1].kind, DIALER_WAIT_KEY);
			cr_assert_eq(plan.steps[1].key, DIALER_CONFIRM_KEY);
			cr_assert_eq(plan.steps[1].timeout_s, DIALER_KEY_TIMEOUT_S);
			cr_assert_eq(plan.steps[1].otherwise, DIALER_NOT_CONFIRMED);
			cr_assert_eq(plan.message, 2);
		} else {
			cr_assert_eq(plan.n, 4, "%s", codes[k]);
			cr_assert_eq(plan.message, 0);
			cr_assert_eq(step_of(&plan, DIALER_PROMPT_IDENTITY), -1);
		}
		/* After the message: the offer, the key, the confirmation. */
		cr_assert_eq(plan.steps[plan.message + 1].prompt, DIALER_PROMPT_PROMISE_OFFER);
		cr_assert_eq(plan.steps[plan.message + 2].kind, DIALER_WAIT_KEY);
		cr_assert_eq(plan.steps[plan.message + 2].key, DIALER_PROMISE_KEY);
		cr_assert_eq(plan.steps[plan.message + 2].otherwise, DIALER_HEARD);
		cr_assert_eq(plan.steps[plan.message + 3].prompt, DIALER_PROMPT_PROMISE_TAKEN);
	}
	/* No promise offered: the plan ends with the message. */
	{
		struct dialer_entry e = { .confirm_identity = 1 };
		struct dialer_plan plan;

		c.promise_days = 0;
		dialer_plan_of(&c, &e, &plan);
		cr_assert_eq(plan.n, 3);
		cr_assert_eq(plan.message, 2);
		cr_assert_eq(plan.promise_days, 0);
	}
	policy_free(p);
}

Test(dialer, handout_carries_the_plan_and_not_confirmed_retries)
{
	struct policy *p = support_parse_policy("plans", PLANS_POLICY, strlen(PLANS_POLICY));
	struct dialer_config c;
	struct dialer_trunk trunk = { 1, 0 };
	struct dialer d;
	struct dialer_entry e = { .account_id = "A", .customer_id = "C", .number = "+55",
				  .priority = 5, .due = T0, .last = DIALER_NOT_CALLED };
	struct dialer_handout h;
	struct dialer_result r;
	size_t id, n;

	dialer_config_init(&c, p, 3);
	cr_assert_eq(p->voice.line, 24);
	cr_assert_eq(c.retry_busy_s, 15 * MIN);
	cr_assert_eq(c.retry_no_answer_s, 120 * MIN);
	cr_assert_eq(c.max_unanswered, 4);
	cr_assert_eq(c.bad_after, 3);
	e.confirm_identity = policy_jurisdiction(p, "BR")->confirm_identity;
	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	cr_assert_eq(dialer_add(&d, &e, &id), DIALER_OK);
	cr_assert_eq(dialer_next(&d, T0, NULL, NULL, &h, 1, &n), DIALER_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(h.plan.steps[0].prompt, DIALER_PROMPT_IDENTITY);
	cr_assert_eq(h.plan.message, 2);
	/* An answering machine, or someone who is not the customer. */
	r = feed(&d, id, T0 + 20, DIALER_NOT_CONFIRMED, 0, 0);
	cr_assert_eq(r.state, DIALER_WAITING);
	cr_assert_eq(r.due, T0 + 20 + 120 * MIN, "like no answer");
	cr_assert(!r.front);
	cr_assert_eq(r.events, DIALER_EV_ATTEMPT, "an attempt, not a conversation");
	cr_assert_eq(dialer_entry(&d, id)->unanswered, 1);
	cr_assert(strstr(r.reason, "identity not confirmed") != NULL, "%s", r.reason);
	dialer_release(&d);
	policy_free(p);
}

Test(dialer, promise_key_after_the_message)
{
	struct dialer_config c = config();
	struct dialer_trunk trunk = { 3, 0 };
	struct dialer d;
	struct dialer_handout h[3];
	struct dialer_result r;
	size_t n;

	cr_assert_eq(dialer_init(&d, &c, &trunk), DIALER_OK);
	add(&d, "A", 5, T0);
	add(&d, "B", 5, T0);
	add(&d, "C", 5, T0);
	cr_assert_eq(dialer_next(&d, T0, NULL, NULL, h, 3, &n), DIALER_OK);
	cr_assert_eq(n, 3);
	r = feed(&d, h[0].id, T0 + 60, DIALER_HEARD, 1000, DIALER_PROMISE_KEY);
	cr_assert_eq(r.events, DIALER_EV_ATTEMPT | DIALER_EV_CONVERSATION | DIALER_EV_PROMISE);
	cr_assert_eq(r.promise_days, 7);
	cr_assert(strstr(r.reason, "promise to pay within 7 days") != NULL, "%s", r.reason);
	/* Another key: no promise. */
	r = feed(&d, h[1].id, T0 + 60, DIALER_HEARD, 1000, '2');
	cr_assert_eq(r.events & DIALER_EV_PROMISE, 0);
	cr_assert_eq(r.promise_days, 0);
	/* The key before the end of the message is no promise: the message
	 * was not heard. */
	r = feed(&d, h[2].id, T0 + 60, DIALER_HUNG_UP_EARLY, 700, DIALER_PROMISE_KEY);
	cr_assert_eq(r.events & DIALER_EV_PROMISE, 0);
	cr_assert_eq(r.state, DIALER_WAITING);
	dialer_release(&d);
}

/* ---- the policy's voice settings -------------------------------------- */

Test(dialer, policy_voice_defaults_and_errors)
{
	static const char base[] =
		"name: t\n"
		"jurisdictions:\n"
		"  UA:\n"
		"    timezone: Europe/Kyiv\n"
		"    locales: [uk-UA]\n"
		"    contact_windows: {mon: [\"18:00-21:00\"]}\n"
		"strategies:\n"
		"  - name: s\n"
		"    jurisdictions: [UA]\n"
		"    stages:\n"
		"      - {name: a, when: {days_past_due: {min: 1}}, actions: []}\n";
	struct policy *p = support_parse_policy("t", base, strlen(base));
	struct policy_diags diags = { 0 };
	char text[1024];

	cr_assert_eq(p->voice.retry_busy_minutes, 10);
	cr_assert_eq(p->voice.retry_no_answer_minutes, 60);
	cr_assert_eq(p->voice.max_unanswered, 3);
	cr_assert_eq(p->voice.line, 0);
	cr_assert_eq(policy_jurisdiction(p, "UA")->confirm_identity, 0);
	policy_free(p);

	snprintf(text, sizeof(text), "%svoice:\n  max_unanswered: 0\n  retry_busy_minute: 5\n", base);
	p = NULL;
	cr_assert_neq(policy_parse("t", text, strlen(text), &p, &diags), 0);
	cr_assert_null(p);
	cr_assert_eq(diags.n, 2);
	cr_assert_eq(diags.v[0].line, 13);
	cr_assert(strstr(diags.v[0].message, "max_unanswered") != NULL, "%s",
		  diags.v[0].message);
	cr_assert_eq(diags.v[1].line, 14);
	cr_assert(strstr(diags.v[1].message, "did you mean 'retry_busy_minutes'") != NULL, "%s",
		  diags.v[1].message);
	policy_diags_release(&diags);

	snprintf(text, sizeof(text), "%s", base);
	{
		/* confirm_identity is a boolean, like voicemail. */
		char *at = strstr(text, "    contact_windows");
		const char add_line[] = "    confirm_identity: yes\n";

		memmove(at + strlen(add_line), at, strlen(at) + 1);
		memcpy(at, add_line, strlen(add_line));
	}
	cr_assert_neq(policy_parse("t", text, strlen(text), &p, &diags), 0);
	cr_assert_eq(diags.n, 1);
	cr_assert_eq(diags.v[0].line, 6);
	policy_diags_release(&diags);
}

/* ---- the calls report --------------------------------------------------- */

static const struct dialer_report_day *report_day(const struct dialer_report *r, int32_t day)
{
	for (size_t i = 0; i < r->n_days; i++)
		if (r->days[i].day == day)
			return &r->days[i];
	return NULL;
}

/* The money row of (day, currency), or NULL. */
static const struct dialer_report_money *report_money(const struct dialer_report *r, int32_t day,
						      const char *currency)
{
	const struct dialer_report_day *d = report_day(r, day);

	if (d == NULL)
		return NULL;
	for (size_t i = d->money; i < d->money + d->n_money; i++)
		if (strcmp(r->money[i].currency, currency) == 0)
			return &r->money[i];
	return NULL;
}

#define D0 19929   /* 2024-07-25 */

Test(dialer, report_counts_per_day)
{
	const struct dialer_call_record calls[] = {
		{ "A", T0, D0, DIALER_HUNG_UP_EARLY, 300, 1 },
		{ "A", T0 + 600, D0, DIALER_HUNG_UP_EARLY, 500, 1 },
		{ "A", T0 + DAY, D0 + 1, DIALER_HEARD, 1000, 0 },
		{ "B", T0 + 10, D0, DIALER_HEARD, 1000, 0 },
		{ "C", T0 + 20, D0, DIALER_BUSY, 0, 0 },
		{ "D", T0 + 30, D0, DIALER_HUNG_UP_EARLY, 100, 1 },   /* never heard */
		{ "E", T0 + 40, D0, DIALER_TRUNK_FAILURE, 0, 0 },
		{ "F", T0 + 50, D0, DIALER_HEARD, 1000, 0 },
		{ "G", T0 + 60, D0, DIALER_HUNG_UP_EARLY, 0, 0 },      /* not put back */
		{ "G", T0 + 70, D0, DIALER_HEARD, 1000, 0 },
		/* K: heard twice after one hang-up: the hang-up counts once. */
		{ "K", T0 + 80, D0, DIALER_HUNG_UP_EARLY, 200, 1 },
		{ "K", T0 + 90, D0, DIALER_HEARD, 1000, 0 },
		{ "K", T0 + 100, D0, DIALER_HEARD, 1000, 0 },
	};
	struct dialer_report r;
	const struct dialer_report_day *d;

	cr_assert_eq(dialer_report_build(calls, sizeof(calls) / sizeof(calls[0]), NULL, 0, D0, 7,
					 &r), DIALER_OK);
	cr_assert_eq(r.n_days, 2);
	d = report_day(&r, D0);
	cr_assert_not_null(d);
	cr_assert_eq(d->calls, 12);
	cr_assert_eq(d->by_outcome[DIALER_HEARD], 5);
	cr_assert_eq(d->by_outcome[DIALER_HUNG_UP_EARLY], 5);
	cr_assert_eq(d->by_outcome[DIALER_BUSY], 1);
	cr_assert_eq(d->by_outcome[DIALER_TRUNK_FAILURE], 1);
	cr_assert_eq(d->heard_per_mille, 500);
	/* (300 + 500 + 100 + 0 + 200) / 5 */
	cr_assert_eq(d->early_share_per_mille, 220);
	cr_assert_eq(d->requeued, 4);
	/* A's two hang-ups were then heard (the next day), K's once; D's
	 * never. */
	cr_assert_eq(d->requeued_heard, 3);
	d = report_day(&r, D0 + 1);
	cr_assert_eq(d->calls, 1);
	cr_assert_eq(d->heard_per_mille, 1000);
	cr_assert_eq(d->requeued_heard, 0);
	dialer_report_release(&r);

	/* From the next day on: the first day has no row. */
	cr_assert_eq(dialer_report_build(calls, sizeof(calls) / sizeof(calls[0]), NULL, 0, D0 + 1,
					 7, &r), DIALER_OK);
	cr_assert_eq(r.n_days, 1);
	cr_assert_eq(r.days[0].day, D0 + 1);
	dialer_report_release(&r);

	/* Fewer calls: 2 heard of 5 answered. */
	cr_assert_eq(dialer_report_build(calls, 8, NULL, 0, D0, 7, &r), DIALER_OK);
	cr_assert_eq(r.days[0].by_outcome[DIALER_HEARD], 2);
	cr_assert_eq(r.days[0].by_outcome[DIALER_HUNG_UP_EARLY], 3);
	cr_assert_eq(r.days[0].heard_per_mille, 400);
	/* (300 + 500 + 100) / 3 */
	cr_assert_eq(r.days[0].early_share_per_mille, 300);
	dialer_report_release(&r);
	/* 3 heard of 7 answered: 428.57 per mille, rounded half up. */
	cr_assert_eq(dialer_report_build(calls, 10, NULL, 0, D0, 7, &r), DIALER_OK);
	cr_assert_eq(r.days[0].heard_per_mille, 429);
	dialer_report_release(&r);
}

Test(dialer, report_payments_after_heard_calls)
{
	const struct dialer_call_record calls[] = {
		/* A: heard twice, then one payment: once, for the later call. */
		{ "A", T0, D0, DIALER_HEARD, 1000, 0 },
		{ "A", T0 + DAY, D0 + 1, DIALER_HEARD, 1000, 0 },
		/* B: heard; payments exactly 7 days after, and one second later. */
		{ "B", T0, D0, DIALER_HEARD, 1000, 0 },
		/* C: a payment before the call, none after. */
		{ "C", T0 + 100, D0, DIALER_HEARD, 1000, 0 },
		/* E: never heard: its payment counts for no call. */
		{ "E", T0, D0, DIALER_HUNG_UP_EARLY, 900, 1 },
		/* F: heard, then not answered: the payment is the heard call's. */
		{ "F", T0, D0, DIALER_HEARD, 1000, 0 },
		{ "F", T0 + DAY, D0 + 1, DIALER_NO_ANSWER, 0, 0 },
		/* G: heard before the report's first day: no row, and its
		 * payment is not given to a later call. */
		{ "G", T0 - DAY, D0 - 1, DIALER_HEARD, 1000, 0 },
		/* H: a payment at the very instant of the call counts. */
		{ "H", T0, D0, DIALER_HEARD, 1000, 0 },
	};
	const struct dialer_payment pays[] = {
		{ "A", T0 + DAY + 3600, "UAH", 15000 },
		{ "B", T0 + 7 * DAY, "UAH", 10000 },
		{ "B", T0 + 7 * DAY + 1, "UAH", 99999 },
		{ "C", T0 + 50, "UAH", 77700 },
		{ "E", T0 + 60, "UAH", 55500 },
		{ "F", T0 + 2 * DAY, "EUR", 1234 },
		{ "G", T0 + 10, "UAH", 33300 },
		{ "H", T0, "UAH", 100 },
		{ "H", T0 + DAY, "UAH", 200 },   /* a second one: the call is paid once */
		{ "Z", T0, "UAH", 4400 },        /* an account never called */
	};
	struct dialer_report r;
	const struct dialer_report_day *d0, *d1;
	const struct dialer_report_money *m;

	cr_assert_eq(dialer_report_build(calls, sizeof(calls) / sizeof(calls[0]), pays,
					 sizeof(pays) / sizeof(pays[0]), D0, 7, &r), DIALER_OK);
	cr_assert_eq(r.n_days, 2, "D0 - 1 is before the report");
	d0 = report_day(&r, D0);
	d1 = report_day(&r, D0 + 1);
	/* D0: B (10000 exactly 7 days after) and H (100 at the instant, 200 a day after) in
	 * UAH, F (12.34) in EUR; A's first call, C and E get nothing. */
	m = report_money(&r, D0, "UAH");
	cr_assert_not_null(m);
	cr_assert_eq(m->payments, 3);
	cr_assert_eq(m->amount, 10300);
	m = report_money(&r, D0, "EUR");
	cr_assert_not_null(m);
	cr_assert_eq(m->payments, 1);
	cr_assert_eq(m->amount, 1234);
	cr_assert_eq(d0->n_money, 2);
	cr_assert_str_eq(r.money[d0->money].currency, "EUR", "currencies in order");
	cr_assert_eq(d0->heard_paid, 3);    /* B, F, H */
	/* D0 + 1: A's second call, once. */
	m = report_money(&r, D0 + 1, "UAH");
	cr_assert_not_null(m);
	cr_assert_eq(m->payments, 1);
	cr_assert_eq(m->amount, 15000);
	cr_assert_eq(d1->heard_paid, 1);
	cr_assert_eq(d1->n_money, 1);
	cr_assert_eq(r.n_money, 3);
	dialer_report_release(&r);

	/* A window of 0 days: only the payment at the very instant. */
	cr_assert_eq(dialer_report_build(calls, sizeof(calls) / sizeof(calls[0]), pays,
					 sizeof(pays) / sizeof(pays[0]), D0, 0, &r), DIALER_OK);
	cr_assert_eq(r.n_money, 1);
	cr_assert_eq(r.money[0].amount, 100);
	dialer_report_release(&r);
}

Test(dialer, report_refuses_bad_input_and_overflow)
{
	const struct dialer_call_record calls[] = { { "A", T0, D0, DIALER_HEARD, 1000, 0 } };
	const struct dialer_call_record bad_call[] = { { "A", T0, D0, DIALER_HEARD, 1001, 0 } };
	const struct dialer_payment big[] = {
		{ "A", T0 + 1, "UAH", INT64_MAX - 5 },
		{ "A", T0 + 2, "UAH", 10 },
	};
	const struct dialer_payment lower[] = { { "A", T0 + 1, "uah", 1 } };
	struct dialer_report r;

	cr_assert_eq(dialer_report_build(calls, 1, big, 2, D0, 7, &r), DIALER_ERR_RANGE);
	cr_assert_eq(r.n_days, 0);
	cr_assert_null(r.days);
	cr_assert_eq(dialer_report_build(calls, 1, lower, 1, D0, 7, &r), DIALER_ERR_INPUT);
	cr_assert_eq(dialer_report_build(bad_call, 1, NULL, 0, D0, 7, &r), DIALER_ERR_INPUT);
	cr_assert_eq(dialer_report_build(calls, 1, NULL, 0, D0, -1, &r), DIALER_ERR_INPUT);
	/* Nothing at all: an empty report. */
	cr_assert_eq(dialer_report_build(NULL, 0, NULL, 0, D0, 7, &r), DIALER_OK);
	cr_assert_eq(r.n_days, 0);
	cr_assert_eq(r.n_money, 0);
	dialer_report_release(&r);
}
