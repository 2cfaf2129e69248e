/*
 * report — `relance report contacts --since DATE [--days N] [--json]`:
 * which messages brought money in.
 *
 * A message is an SMS, e-mail or call performed (outbox state "done") from
 * the start of DATE, UTC. Each payment received from then on goes to the
 * LAST message performed to its account before it, when it came within N
 * days of that message (N: --days, else the operations file's
 * contacts.attribution_days); every other payment is "not attributed". A
 * payment is never counted for two messages. The attribution is one
 * statement in the store (store_contact_report); this file only prints.
 *
 * Text, one line per (channel, rule, currency), then a total per currency,
 * then what was not attributed per currency:
 *
 *   channel  rule                         currency  messages  accounts  payments  amount  paid
 *   email    echelle-fai/rappel/action#1  EUR              2         2         2    8.00  100.0%
 *   total                                 EUR              6         2         5   20.00  66.7%
 *   not attributed                        BIF                                  1   12500
 *
 * "paid" is the share of messages followed by at least one attributed
 * payment, in per mille rounded half up (no floating point). --json writes
 * one object on one line, amounts as decimal strings in major units as in
 * the import files, shares as integers per mille:
 *
 *   {"since":"2024-06-01","days":7,
 *    "rules":[{"channel":"email","rule":"echelle-fai/rappel/action#1",
 *      "currency":"EUR","messages":2,"accounts":2,"messages_paid":2,
 *      "paid_per_mille":1000,"payments":2,"amount":"8.00"}, ...],
 *    "totals":[{"currency":"EUR","messages":6,"accounts":2,...}],
 *    "not_attributed":[{"currency":"BIF","accounts":1,"payments":1,
 *      "amount":"12500"}]}
 *
 * Memory: one copy of each result row, i.e. one per (channel, rule,
 * currency) — a few hundred at most for any policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/caltime.h"
#include "../core/money.h"
#include "../store/store.h"
#include "cmd.h"
#include "cmdconfig.h"
#include "out.h"

/* Rows kept before giving up: far more than policies have rules. */
#define REPORT_MAX_ROWS 100000

struct report_row {
	struct store_contact_row r;   /* strings owned by the row */
};

struct report_ctx {
	struct report_row *rows;
	size_t n, cap;
};

static int report_keep(void *arg, const struct store_contact_row *r)
{
	struct report_ctx *c = arg;
	struct report_row *row;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct report_row *grown;

		if (cap > REPORT_MAX_ROWS ||
		    (grown = realloc(c->rows, cap * sizeof(*grown))) == NULL)
			return STORE_ERR_NOMEM;
		c->rows = grown;
		c->cap = cap;
	}
	row = &c->rows[c->n];
	row->r = *r;
	row->r.channel = strdup(r->channel);
	row->r.rule = strdup(r->rule);
	row->r.currency = strdup(r->currency);
	c->n++;   /* counted now so that the release frees what was copied */
	if (row->r.channel == NULL || row->r.rule == NULL || row->r.currency == NULL)
		return STORE_ERR_NOMEM;
	return 0;
}

static void report_release(struct report_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free((char *)c->rows[i].r.channel);
		free((char *)c->rows[i].r.rule);
		free((char *)c->rows[i].r.currency);
	}
	free(c->rows);
	c->rows = NULL;
	c->n = c->cap = 0;
}

/* Messages followed by a payment, per mille of messages, rounded half up. */
static int64_t report_per_mille(const struct store_contact_row *r)
{
	if (r->messages <= 0)
		return 0;
	return (r->messages_paid * 2000 + r->messages) / (2 * r->messages);
}

static void report_amount(const struct store_contact_row *r, char *buf, size_t size)
{
	int exponent = 2;

	money_currency_exponent(r->currency, &exponent);
	if (money_format(r->amount, exponent, buf, size) < 0)
		snprintf(buf, size, "?");
}

static void report_json_counts(const struct store_contact_row *r)
{
	char amount[32];

	report_amount(r, amount, sizeof(amount));
	fputs("\"currency\":", stdout);
	out_json(stdout, r->currency);
	if (r->kind != STORE_CONTACT_UNATTRIBUTED)
		printf(",\"messages\":%lld", (long long)r->messages);
	printf(",\"accounts\":%lld", (long long)r->accounts);
	if (r->kind != STORE_CONTACT_UNATTRIBUTED)
		printf(",\"messages_paid\":%lld,\"paid_per_mille\":%lld",
		       (long long)r->messages_paid, (long long)report_per_mille(r));
	printf(",\"payments\":%lld,\"amount\":\"%s\"}", (long long)r->payments, amount);
}

static void report_json(const struct report_ctx *c, const char *since, int days)
{
	static const char *const arrays[] = { "rules", "totals", "not_attributed" };
	size_t i = 0;

	printf("{\"since\":\"%s\",\"days\":%d", since, days);
	for (int kind = STORE_CONTACT_RULE; kind <= STORE_CONTACT_UNATTRIBUTED; kind++) {
		int first = 1;

		printf(",\"%s\":[", arrays[kind]);
		/* Rows come sorted by kind (store.h). */
		for (; i < c->n && c->rows[i].r.kind == kind; i++) {
			const struct store_contact_row *r = &c->rows[i].r;

			fputs(first ? "{" : ",{", stdout);
			first = 0;
			if (kind == STORE_CONTACT_RULE) {
				fputs("\"channel\":", stdout);
				out_json(stdout, r->channel);
				fputs(",\"rule\":", stdout);
				out_json(stdout, r->rule);
				fputc(',', stdout);
			}
			report_json_counts(r);
		}
		fputc(']', stdout);
	}
	fputs("}\n", stdout);
}

static void report_text(const struct report_ctx *c, const char *since, int days)
{
	int cw = (int)strlen("channel"), rw = (int)strlen("rule"), aw = (int)strlen("amount");
	char amount[32];

	for (size_t i = 0; i < c->n; i++) {
		const struct store_contact_row *r = &c->rows[i].r;

		if (r->kind == STORE_CONTACT_RULE) {
			if ((int)strlen(r->channel) > cw)
				cw = (int)strlen(r->channel);
			if ((int)strlen(r->rule) > rw)
				rw = (int)strlen(r->rule);
		}
		report_amount(r, amount, sizeof(amount));
		if ((int)strlen(amount) > aw)
			aw = (int)strlen(amount);
	}
	/* "not attributed" spans the channel and rule columns. */
	if (cw + 2 + rw < (int)strlen("not attributed"))
		rw = (int)strlen("not attributed") - cw - 2;
	printf("Messages performed since %s; a payment counts for the last message "
	       "before it, within %d day%s.\n", since, days, days == 1 ? "" : "s");
	if (c->n == 0 || c->rows[0].r.kind != STORE_CONTACT_RULE)
		printf("No message performed since %s.\n", since);
	if (c->n == 0)
		return;
	printf("%-*s  %-*s  %-8s  %8s  %8s  %8s  %*s  %6s\n", cw, "channel", rw, "rule",
	       "currency", "messages", "accounts", "payments", aw, "amount", "paid");
	for (size_t i = 0; i < c->n; i++) {
		const struct store_contact_row *r = &c->rows[i].r;
		int64_t pm = report_per_mille(r);

		report_amount(r, amount, sizeof(amount));
		if (r->kind == STORE_CONTACT_UNATTRIBUTED) {
			printf("%-*s  %-8s  %8s  %8s  %8lld  %*s\n", cw + 2 + rw, "not attributed",
			       r->currency, "", "", (long long)r->payments, aw, amount);
			continue;
		}
		printf("%-*s  %-*s  %-8s  %8lld  %8lld  %8lld  %*s  %3lld.%lld%%\n",
		       cw, r->kind == STORE_CONTACT_RULE ? r->channel : "total",
		       rw, r->rule, r->currency, (long long)r->messages,
		       (long long)r->accounts, (long long)r->payments, aw, amount,
		       (long long)(pm / 10), (long long)(pm % 10));
	}
}

/* A whole number of days, 1..365 as in the operations file. */
static int report_days(const char *text, int *days)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v < 1 || v > 365)
		return -1;
	*days = (int)v;
	return 0;
}

int cmd_report_period(struct cmd_ctx *ctx, const char *name, int argc, char **argv,
		      int32_t *day, int *days, int *json)
{
	struct config cfg;
	const char *since_text = NULL, *days_text = NULL;
	int status;

	*json = 0;
	for (int i = 0; i < argc; i++) {
		int r;

		if (strcmp(argv[i], "--json") == 0) {
			*json = 1;
		} else if ((r = cmd_option(argc, argv, &i, "--since", &since_text)) != 0 ||
			   (r = cmd_option(argc, argv, &i, "--days", &days_text)) != 0) {
			if (r < 0)
				return cmd_fail(EXIT_USAGE, "%s: %s needs a value", name, argv[i]);
		} else {
			return cmd_fail(EXIT_USAGE, "%s: unknown argument '%s'", name, argv[i]);
		}
	}
	if (since_text == NULL)
		return cmd_fail(EXIT_USAGE, "%s: --since DATE is required", name);
	if (date_parse(since_text, strlen(since_text), day) != 0)
		return cmd_fail(EXIT_USAGE, "%s: --since '%s' is not a date (YYYY-MM-DD)", name,
				since_text);
	if (days_text != NULL) {
		if (report_days(days_text, days) != 0)
			return cmd_fail(EXIT_USAGE, "%s: --days '%s' is not a number of days "
					"from 1 to 365", name, days_text);
		return 0;
	}
	config_init(&cfg);
	status = cmd_config_load(ctx, &cfg);
	*days = cfg.contacts.attribution_days;
	config_release(&cfg);
	return status;
}

int cmd_report_contacts(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct report_ctx c = { 0 };
	struct store *store = NULL;
	char since[DATE_TEXT_LEN + 1];
	int32_t day;
	int days = 0, json = 0, status, rc;

	if ((status = cmd_report_period(ctx, "report contacts", argc, argv, &day, &days,
					&json)) != 0)
		return status;
	date_format(day, since);
	if ((status = cmd_open_store(ctx, &store)) != 0)
		goto out;
	rc = store_contact_report(store, (int64_t)day * 86400, (int64_t)days * 86400,
				  report_keep, &c);
	if (rc == STORE_ERR_NOMEM) {
		status = cmd_fail(EXIT_RUNTIME, "report contacts: out of memory");
		goto out;
	}
	if (rc != STORE_OK) {
		status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(store));
		goto out;
	}
	if (json)
		report_json(&c, since, days);
	else
		report_text(&c, since, days);
out:
	report_release(&c);
	if (store != NULL)
		store_close(store);
	return status;
}
