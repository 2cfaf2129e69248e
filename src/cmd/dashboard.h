/*
 * dashboard — the managers' figures over a period, computed once for both
 * `relance report dashboard` (report_dashboard.c) and the API routes of
 * the dashboard (serve_dashboard.c), which only choose a printer:
 *
 *   recovered      payments received in the period, by stage and by
 *                  channel of the message they are attributed to (the
 *                  last message before them within `days` days), and
 *                  what was not attributed, per currency
 *   contacts       messages performed in the period by channel and rule,
 *                  and the payments that followed them within `days` days
 *   ageing         at the end of each week (or month) of the period, the
 *                  overdue amount per bucket of days past due, per currency
 *   arrangements   promises kept and broken, plans completed and broken in
 *                  the period; promises open and plans current now
 *   restorations   suspensions and restorations performed in the period;
 *                  for each restoration, its delay from the payment that
 *                  cleared the debt against the jurisdiction's legal
 *                  maximum (restore_within_hours of the policy version
 *                  that decided it), and the breaches
 *
 * A period is two UTC calendar dates, both included: from the start of
 * `from` to the end of `to`. Amounts are int64 minor units of one currency
 * each, printed as decimal strings (money_format); currencies are never
 * added together.
 *
 * Cost: recovered and contacts are one store statement; arrangements and
 * restorations read the period's rows; ageing reads the ledger once
 * (store_ledger_scan) and computes each account's position at each point,
 * so it is linear in the ledger times the number of points (at most
 * DASHBOARD_MAX_POINTS).
 *
 * Ownership: a struct dashboard owns everything it holds
 * (dashboard_release); it is filled by dashboard_compute.
 */
#ifndef RELANCE_DASHBOARD_H
#define RELANCE_DASHBOARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store;

/* The longest period and the most ageing points a request may ask for. */
#define DASHBOARD_MAX_DAYS 731
#define DASHBOARD_MAX_POINTS 110
#define DASHBOARD_MAX_CURRENCIES 32

enum dashboard_part {
	DASHBOARD_RECOVERED = 1,
	DASHBOARD_CONTACTS = 2,
	DASHBOARD_AGEING = 4,
	DASHBOARD_ARRANGEMENTS = 8,
	DASHBOARD_RESTORATIONS = 16,
	DASHBOARD_ALL = 31,
};

struct dashboard_query {
	int32_t from, to;        /* UTC dates, both included; from <= to */
	int days;                /* attribution window, 1..365 */
	int monthly;             /* ageing points: 0 at week ends, 1 at month ends */
};

/*
 * Reads the query's texts (NULL: the default): from and to (YYYY-MM-DD;
 * default: the 30 days ending `today`), days (1..365; default
 * default_days), every ("week" or "month"; default week). On a bad value
 * returns -1 and writes into why a sentence that names the parameter as
 * prefix + name ("--from" for the command, "from" for the API) and says
 * what is wrong with it.
 */
int dashboard_query_parse(const char *from, const char *to, const char *days, const char *every,
			  int32_t today, int default_days, const char *prefix,
			  struct dashboard_query *q, char *why, size_t whysize);

/* A sum per currency. */
struct dashboard_sum {
	char name[96];            /* a stage, a channel, "" */
	char currency[4];
	int64_t payments, amount;
};

struct dashboard_rule {
	char *channel, *rule;
	char currency[4];
	int64_t messages, messages_paid, payments, amount;
};

struct dashboard_point {
	int32_t day;               /* the end of a week or month, or `to` */
	/* [currency][bucket]: 0-30, 31-60, 61-90, 91+ days past due */
	int64_t buckets[DASHBOARD_MAX_CURRENCIES][4];
};

struct dashboard_arrangement {
	char kind[16], state[16], currency[4];
	int64_t count, amount;     /* promise: amounts promised; plan: totals */
};

struct dashboard_provisioning {
	int64_t outbox_id;
	char action[16], level[16];
	char *account_id, *rule;
	int64_t done_at;
	int64_t paid_at;           /* restorations: the clearing payment; 0: unknown */
	int64_t limit_seconds;     /* restorations: the legal maximum; -1: unknown */
	int breach;                /* restored later than the legal maximum */
};

struct dashboard_list {
	void *v;
	size_t n, cap;
};

struct dashboard {
	struct dashboard_query q;
	unsigned parts;            /* what was computed (enum dashboard_part) */
	/* recovered */
	struct dashboard_list by_stage, by_channel, not_attributed, totals; /* of dashboard_sum */
	/* contacts */
	struct dashboard_list rules;    /* of dashboard_rule, messages > 0 */
	/* ageing */
	char currencies[DASHBOARD_MAX_CURRENCIES][4];
	size_t n_currencies;
	struct dashboard_point *points;
	size_t n_points;
	/* arrangements */
	/* of dashboard_arrangement, by kind, state, currency */
	struct dashboard_list arrangements;
	int64_t promises_kept, promises_broken, plans_completed, plans_broken;
	/* restorations */
	struct dashboard_list provisioning;  /* of dashboard_provisioning, by done_at */
	int64_t suspensions, restorations, breaches;
	char err[512];             /* why dashboard_compute failed */
};

/*
 * Computes `parts` of the dashboard for q. Returns STORE_OK, or a store
 * code with the reason in d->err (STORE_ERR_NOMEM: out of memory;
 * STORE_ERR_INPUT: a sum beyond int64 or an unknown zone). *d is filled
 * either way and must be released.
 */
int dashboard_compute(struct store *s, const struct dashboard_query *q, unsigned parts,
		      struct dashboard *d);
void dashboard_release(struct dashboard *d);

/*
 * Printers. dashboard_json writes one object {"from","to","days","every",
 * and one member per part computed}; dashboard_csv one table (RFC 4180,
 * a header line first) of one part; dashboard_text every part computed,
 * for people.
 */
void dashboard_json(FILE *f, const struct dashboard *d);
void dashboard_csv(FILE *f, const struct dashboard *d, enum dashboard_part part);
void dashboard_text(FILE *f, const struct dashboard *d);

#endif
