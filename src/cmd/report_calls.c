/*
 * report_calls — `relance report calls --since DATE [--days N] [--json]`:
 * what the voice channel did, day by day (docs/voice.md "Report").
 *
 * One row per day (UTC) from DATE on with at least one call: the calls by
 * outcome, the share heard (heard / (heard + hung up early)), the mean
 * share of the message played before an early hang-up, the early hang-ups
 * put back at the front of the list and, of those, the ones followed by a
 * heard call; the heard calls followed by a payment within N days (N:
 * --days, else the operations file's contacts.attribution_days) and those
 * payments per currency. A payment counts for the last heard call to its
 * account before it, once (dialer_report_build); so calls from N days
 * before DATE are read too, as calls a payment may belong to.
 *
 * The calls are the store's (store_voice_calls: one per call placed, across
 * cycles), not the outbox's, whose row keeps only its last attempt.
 *
 * Text:
 *
 *   day         calls  heard  early  busy  no_answer  bad_number  trunk  not_confirmed  heard%  requeued  then_heard  heard_paid
 *   2024-07-25      4      2      2     0          0           0      0              0   50.0%         2           1           1
 *     paid within 7 days after a heard call: UAH 1 payment, 120.00
 *
 * --json, one object on one line, shares in per mille, amounts as decimal
 * strings in major units:
 *
 *   {"since":"2024-07-25","days":7,"by_day":[{"day":"2024-07-25","calls":4,
 *    "outcomes":{"heard":2,"hung_up_early":2,...},"heard_per_mille":500,
 *    "early_share_per_mille":400,"requeued":2,"requeued_heard":1,
 *    "heard_paid":1,"payments":[{"currency":"UAH","payments":1,
 *    "amount":"120.00"}]}]}
 *
 * Memory: every call and payment read, with its account's name (a report,
 * not a cycle).
 */
#include <stdlib.h>
#include <string.h>

#include "../core/caltime.h"
#include "../core/dialer.h"
#include "../core/money.h"
#include "../store/store.h"
#include "cmd.h"
#include "out.h"

struct calls_read {
	struct dialer_call_record *calls;
	size_t n_calls, cap_calls;
	struct dialer_payment *pays;
	size_t n_pays, cap_pays;
	char **names;                 /* strings owned, freed at the end */
	size_t n_names, cap_names;
	const char *last_name;        /* the last account kept: rows come grouped */
};

/* A copy of `s` kept until calls_release; the same pointer again when `s`
 * repeats the last one. NULL when memory runs out. */
static const char *keep_name(struct calls_read *c, const char *s)
{
	char *copy;

	if (c->last_name != NULL && strcmp(c->last_name, s) == 0)
		return c->last_name;
	if (c->n_names == c->cap_names) {
		size_t cap = c->cap_names ? c->cap_names * 2 : 256;
		char **grown = realloc(c->names, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		c->names = grown;
		c->cap_names = cap;
	}
	if ((copy = strdup(s)) == NULL)
		return NULL;
	c->names[c->n_names++] = copy;
	c->last_name = copy;
	return copy;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *g;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 1024;
	if ((g = realloc(*v, ncap * size)) == NULL)
		return -1;
	*v = g;
	*cap = ncap;
	return 0;
}

static int read_call(void *ctx, const struct store_voice_call *v)
{
	struct calls_read *c = ctx;
	struct dialer_call_record *r;
	enum dialer_outcome o = dialer_outcome_parse(v->outcome);

	if (o == DIALER_NOT_CALLED)
		return STORE_ERR_INPUT;
	if (grow((void **)&c->calls, &c->cap_calls, c->n_calls, sizeof(*c->calls)) != 0)
		return STORE_ERR_NOMEM;
	r = &c->calls[c->n_calls];
	if ((r->account_id = keep_name(c, v->account_id)) == NULL)
		return STORE_ERR_NOMEM;
	r->at = v->ended_at;
	r->day = instant_utc_day(v->ended_at);
	r->outcome = o;
	r->share = v->share;
	r->requeued = v->requeued;
	c->n_calls++;
	return 0;
}

static int read_payment(void *ctx, const struct store_voice_payment *v)
{
	struct calls_read *c = ctx;
	struct dialer_payment *p;

	if (grow((void **)&c->pays, &c->cap_pays, c->n_pays, sizeof(*c->pays)) != 0)
		return STORE_ERR_NOMEM;
	p = &c->pays[c->n_pays];
	if ((p->account_id = keep_name(c, v->account_id)) == NULL ||
	    (p->currency = keep_name(c, v->currency)) == NULL)
		return STORE_ERR_NOMEM;
	p->at = v->received_at;
	p->amount = v->amount;
	c->n_pays++;
	return 0;
}

static void calls_release(struct calls_read *c)
{
	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i]);
	free(c->names);
	free(c->calls);
	free(c->pays);
}

static void print_amount(const struct dialer_report_money *m)
{
	int exponent = 2;

	money_currency_exponent(m->currency, &exponent);
	out_amount(stdout, m->amount, exponent);
}

static void print_json(const struct dialer_report *r, int32_t since, int days)
{
	fputs("{\"since\":\"", stdout);
	out_date(stdout, since);
	printf("\",\"days\":%d,\"by_day\":[", days);
	for (size_t i = 0; i < r->n_days; i++) {
		const struct dialer_report_day *d = &r->days[i];

		fputs(i ? ",{\"day\":\"" : "{\"day\":\"", stdout);
		out_date(stdout, d->day);
		printf("\",\"calls\":%lld,\"outcomes\":{", (long long)d->calls);
		for (int k = 0; k < DIALER_N_OUTCOMES; k++)
			printf("%s\"%s\":%lld", k ? "," : "",
			       dialer_outcome_name((enum dialer_outcome)k),
			       (long long)d->by_outcome[k]);
		printf("},\"heard_per_mille\":%d,\"early_share_per_mille\":%d,\"requeued\":%lld,"
		       "\"requeued_heard\":%lld,\"heard_paid\":%lld,\"payments\":[",
		       d->heard_per_mille, d->early_share_per_mille, (long long)d->requeued,
		       (long long)d->requeued_heard, (long long)d->heard_paid);
		for (size_t m = d->money; m < d->money + d->n_money; m++) {
			printf("%s{\"currency\":\"%s\",\"payments\":%lld,\"amount\":\"",
			       m > d->money ? "," : "", r->money[m].currency,
			       (long long)r->money[m].payments);
			print_amount(&r->money[m]);
			fputs("\"}", stdout);
		}
		fputs("]}", stdout);
	}
	fputs("]}\n", stdout);
}

static void print_text(const struct dialer_report *r, int32_t since, int days)
{
	fputs("Calls since ", stdout);
	out_date(stdout, since);
	printf(" (UTC days); a payment counts for the last heard call before it, within %d "
	       "day%s.\n", days, days == 1 ? "" : "s");
	if (r->n_days == 0) {
		fputs("No call since then.\n", stdout);
		return;
	}
	printf("%-10s  %6s  %6s  %6s  %6s  %9s  %10s  %6s  %13s  %6s  %8s  %10s  %10s\n", "day",
	       "calls", "heard", "early", "busy", "no_answer", "bad_number", "trunk",
	       "not_confirmed", "heard%", "requeued", "then_heard", "heard_paid");
	for (size_t i = 0; i < r->n_days; i++) {
		const struct dialer_report_day *d = &r->days[i];

		out_date(stdout, d->day);
		printf("  %6lld  %6lld  %6lld  %6lld  %9lld  %10lld  %6lld  %13lld  %4d.%d%%  %8lld"
		       "  %10lld  %10lld\n", (long long)d->calls,
		       (long long)d->by_outcome[DIALER_HEARD],
		       (long long)d->by_outcome[DIALER_HUNG_UP_EARLY],
		       (long long)d->by_outcome[DIALER_BUSY],
		       (long long)d->by_outcome[DIALER_NO_ANSWER],
		       (long long)d->by_outcome[DIALER_BAD_NUMBER],
		       (long long)d->by_outcome[DIALER_TRUNK_FAILURE],
		       (long long)d->by_outcome[DIALER_NOT_CONFIRMED], d->heard_per_mille / 10,
		       d->heard_per_mille % 10, (long long)d->requeued,
		       (long long)d->requeued_heard, (long long)d->heard_paid);
		for (size_t m = d->money; m < d->money + d->n_money; m++) {
			printf("  paid within %d day%s after a heard call: %s %lld payment%s, ", days,
			       days == 1 ? "" : "s", r->money[m].currency,
			       (long long)r->money[m].payments, r->money[m].payments == 1 ? "" : "s");
			print_amount(&r->money[m]);
			fputc('\n', stdout);
		}
	}
}

int cmd_report_calls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct calls_read c = { 0 };
	struct dialer_report rep = { 0 };
	struct store *store = NULL;
	int32_t day;
	int days = 0, json = 0, status, rc;

	if ((status = cmd_report_period(ctx, "report calls", argc, argv, &day, &days, &json)) != 0)
		return status;
	if ((status = cmd_open_store(ctx, &store)) != 0)
		return status;
	rc = store_voice_report_scan(store, ((int64_t)day - days) * 86400, read_call, read_payment,
				     &c);
	if (rc == STORE_ERR_NOMEM) {
		status = cmd_fail(EXIT_RUNTIME, "report calls: out of memory");
		goto out;
	}
	if (rc != STORE_OK) {
		status = cmd_fail(EXIT_RUNTIME, "%s", rc == STORE_ERR_INPUT ?
				  "report calls: a call with an unknown outcome" : store_errmsg(store));
		goto out;
	}
	rc = dialer_report_build(c.calls, c.n_calls, c.pays, c.n_pays, day, days, &rep);
	if (rc != DIALER_OK) {
		status = cmd_fail(EXIT_RUNTIME, "report calls: %s", rc == DIALER_ERR_NOMEM ?
				  "out of memory" : rc == DIALER_ERR_RANGE ?
				  "a sum is beyond what can be counted" : "a stored call is invalid");
		goto out;
	}
	if (json)
		print_json(&rep, day, days);
	else
		print_text(&rep, day, days);
out:
	dialer_report_release(&rep);
	calls_release(&c);
	store_close(store);
	return status;
}
