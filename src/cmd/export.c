/*
 * export — `relance export positions`: every account's position at --now.
 *
 * Accounts come from one ordered scan joined with their kept-current
 * snapshots, so an export at the present reads no ledger at all; only a
 * back-dated --now (before an account's last entry took effect) recomputes
 * that account from its ledger.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/arrange.h"
#include "../core/money.h"
#include "../core/position.h"
#include "../core/tz.h"
#include "../store/store.h"
#include "cmd.h"
#include "out.h"
#include "postpone.h"

struct one_ledger {
	int64_t now;
	struct position *out;
	int rc;
};

static int compute_one(void *ctx, const struct account_ledger *l)
{
	struct one_ledger *o = ctx;

	o->rc = postpone_position(l, o->now, o->out);
	return o->rc == POSITION_OK ? 0 : STORE_ERR_INPUT;
}

int cmd_position_at(struct cmd_ctx *ctx, struct store *store,
		    const struct account_summary *a, struct position *out)
{
	struct tz *zone;
	int32_t today;

	memset(out, 0, sizeof(*out));
	if (postpone_load(store) != STORE_OK)
		return cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(store));
	if (tz_get(a->timezone, &zone) != TZ_OK || tz_local_date(zone, ctx->now, &today) != TZ_OK)
		return cmd_fail(EXIT_RUNTIME, "account %s: unknown time zone %s",
				a->account_id, a->timezone);
	if (!a->has_snapshot) {
		/* No entry was ever imported: nothing is owed. */
		out->today = today;
		out->oldest_unpaid_due_on = POSITION_NO_DATE;
		out->complete_at = INT64_MIN;
		return 0;
	}
	if (ctx->now >= a->snapshot.complete_at) {
		*out = a->snapshot;
		out->open = NULL;
		if (a->snapshot.n_open > 0) {
			out->open = malloc(a->snapshot.n_open * sizeof(*out->open));
			if (out->open == NULL)
				return cmd_fail(EXIT_RUNTIME, "out of memory");
			memcpy(out->open, a->snapshot.open, a->snapshot.n_open * sizeof(*out->open));
		}
		position_at_date(out, today);
		return 0;
	}
	{
		struct one_ledger o = { ctx->now, out, POSITION_OK };
		int rc = store_ledger_scan(store, &a->account_key, 1, compute_one, &o);

		if (o.rc != POSITION_OK)
			return cmd_fail(EXIT_RUNTIME, "account %s: position overflows", a->account_id);
		if (rc != STORE_OK)
			return cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(store));
	}
	return 0;
}

/* What live arrangements hold on one account: read once for the whole
 * export (there are few), then found by account key. */
struct held {
	int64_t account_key;
	int64_t disputed;
	char ids[120];          /* "PR-1 DS-4": the live arrangements */
};

struct export_ctx {
	struct cmd_ctx *cmd;
	struct store *store;
	int json;
	int status;
	struct held *held;
	size_t n_held;
};

static int cmp_held(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	return (x->account_key > y->account_key) - (x->account_key < y->account_key);
}

static int keep_held(void *arg, const struct arrangement_view *a)
{
	struct export_ctx *e = arg;
	struct arrange_terms t;
	int dispute = strcmp(a->kind, "dispute") == 0;

	if (dispute && arrange_terms_decode(a->terms, &t) != ARRANGE_OK)
		return STORE_ERR_INPUT;
	for (size_t i = 0; i < a->n_accounts; i++) {
		struct held *h = realloc(e->held, (e->n_held + 1) * sizeof(*h));

		if (h == NULL) {
			if (dispute)
				arrange_terms_release(&t);
			return STORE_ERR_NOMEM;
		}
		e->held = h;
		h = &h[e->n_held++];
		memset(h, 0, sizeof(*h));
		h->account_key = a->account_keys[i];
		h->disputed = dispute ? t.amount : 0;
		snprintf(h->ids, sizeof(h->ids), "%s", a->arrangement_id);
	}
	if (dispute)
		arrange_terms_release(&t);
	return 0;
}

/* One entry per account: amounts added, ids joined. */
static void merge_held(struct export_ctx *e)
{
	size_t w = 0;

	if (e->n_held > 1)
		qsort(e->held, e->n_held, sizeof(*e->held), cmp_held);
	for (size_t i = 0; i < e->n_held; i++) {
		if (w > 0 && e->held[w - 1].account_key == e->held[i].account_key) {
			struct held *h = &e->held[w - 1];
			size_t len = strlen(h->ids), add = strlen(e->held[i].ids);

			h->disputed += e->held[i].disputed;
			/* Ids cut at a whole one when too many to list. */
			if (len + 1 + add < sizeof(h->ids)) {
				h->ids[len] = ' ';
				memcpy(h->ids + len + 1, e->held[i].ids, add + 1);
			}
		} else {
			e->held[w++] = e->held[i];
		}
	}
	e->n_held = w;
}

static int export_one(void *arg, const struct account_summary *a)
{
	struct export_ctx *e = arg;
	struct position p;
	int exponent = 2;

	struct held key = { .account_key = a->account_key }, *h;

	if ((e->status = cmd_position_at(e->cmd, e->store, a, &p)) != 0)
		return -1;
	money_currency_exponent(a->currency, &exponent);
	h = e->n_held ? bsearch(&key, e->held, e->n_held, sizeof(key), cmp_held) : NULL;
	if (e->json) {
		fputs("{\"account_id\":", stdout);
		out_json(stdout, a->account_id);
		fputs(",\"balance\":\"", stdout);
		out_amount(stdout, p.balance, exponent);
		fputs("\",\"overdue\":\"", stdout);
		out_amount(stdout, p.overdue, exponent);
		fputs("\",\"oldest_unpaid_due_on\":", stdout);
		if (p.oldest_unpaid_due_on == POSITION_NO_DATE) {
			fputs("null", stdout);
		} else {
			fputc('"', stdout);
			out_date(stdout, p.oldest_unpaid_due_on);
			fputc('"', stdout);
		}
		printf(",\"days_past_due\":%d,\"currency\":", p.days_past_due);
		out_json(stdout, a->currency);
		fputs(",\"customer_id\":", stdout);
		out_json(stdout, a->customer_id);
		fputs(",\"stage\":", stdout);
		out_json(stdout, a->stage);
		fputs(",\"disputed\":\"", stdout);
		out_amount(stdout, h ? h->disputed : 0, exponent);
		fputs("\",\"holds\":", stdout);
		out_json(stdout, h ? h->ids : "");
		fputs("}\n", stdout);
	} else {
		out_csv(stdout, a->account_id);
		fputc(',', stdout);
		out_amount(stdout, p.balance, exponent);
		fputc(',', stdout);
		out_amount(stdout, p.overdue, exponent);
		fputc(',', stdout);
		out_date(stdout, p.oldest_unpaid_due_on);
		printf(",%d,%s,", p.days_past_due, a->currency);
		out_csv(stdout, a->customer_id);
		fputc(',', stdout);
		out_csv(stdout, a->stage);
		fputc(',', stdout);
		out_amount(stdout, h ? h->disputed : 0, exponent);
		fputc(',', stdout);
		out_csv(stdout, h ? h->ids : "");
		fputc('\n', stdout);
	}
	position_release(&p);
	return 0;
}

int cmd_export_positions(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct export_ctx e = { ctx, NULL, 0, 0, NULL, 0 };
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			e.json = 1;
		else
			return cmd_fail(EXIT_USAGE, "export positions: unknown argument '%s'", argv[i]);
	}
	if ((rc = cmd_open_store(ctx, &e.store)) != 0)
		return rc;
	rc = store_arrangements_of_customer(e.store, NULL, 1, keep_held, &e);
	if (rc != STORE_OK) {
		e.status = cmd_fail(EXIT_RUNTIME, "%s", rc == STORE_ERR_NOMEM ? "out of memory" :
				    store_errmsg(e.store));
		goto out;
	}
	merge_held(&e);
	if (!e.json)
		puts("account_id,balance,overdue,oldest_unpaid_due_on,days_past_due,"
		     "currency,customer_id,stage,disputed,holds");
	rc = store_accounts_scan(e.store, NULL, export_one, &e);
	if (rc != STORE_OK && e.status == 0)
		e.status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(e.store));
out:
	free(e.held);
	store_close(e.store);
	return e.status;
}
