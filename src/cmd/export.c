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

#include "../core/money.h"
#include "../core/position.h"
#include "../core/tz.h"
#include "../store/store.h"
#include "cmd.h"
#include "out.h"

struct one_ledger {
	int64_t now;
	struct position *out;
	int rc;
};

static int compute_one(void *ctx, const struct account_ledger *l)
{
	struct one_ledger *o = ctx;

	o->rc = position_compute(l, o->now, o->out);
	return o->rc == POSITION_OK ? 0 : STORE_ERR_INPUT;
}

int cmd_position_at(struct cmd_ctx *ctx, struct store *store,
		    const struct account_summary *a, struct position *out)
{
	struct tz *zone;
	int32_t today;

	memset(out, 0, sizeof(*out));
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

struct export_ctx {
	struct cmd_ctx *cmd;
	struct store *store;
	int json;
	int status;
};

static int export_one(void *arg, const struct account_summary *a)
{
	struct export_ctx *e = arg;
	struct position p;
	int exponent = 2;

	if ((e->status = cmd_position_at(e->cmd, e->store, a, &p)) != 0)
		return -1;
	money_currency_exponent(a->currency, &exponent);
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
		fputc('\n', stdout);
	}
	position_release(&p);
	return 0;
}

int cmd_export_positions(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct export_ctx e = { ctx, NULL, 0, 0 };
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			e.json = 1;
		else
			return cmd_fail(EXIT_USAGE, "export positions: unknown argument '%s'", argv[i]);
	}
	if ((rc = cmd_open_store(ctx, &e.store)) != 0)
		return rc;
	if (!e.json)
		puts("account_id,balance,overdue,oldest_unpaid_due_on,days_past_due,"
		     "currency,customer_id,stage");
	rc = store_accounts_scan(e.store, NULL, export_one, &e);
	if (rc != STORE_OK && e.status == 0)
		e.status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(e.store));
	store_close(e.store);
	return e.status;
}
