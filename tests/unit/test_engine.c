/*
 * engine: stage selection, actions and their repetition, the notice before
 * a suspension, campaigns, restoration after payment and idempotency keys,
 * on the example policies.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/caltime.h"
#include "../../src/core/engine.h"
#include "../../src/core/policy.h"
#include "support.h"
#include "../../src/core/position.h"

#define VERSION 7
#define DAY INT64_C(86400)

static int32_t day_of(int y, int m, int d)
{
	int32_t out;

	cr_assert_eq(date_from_ymd(y, m, d, &out), CALTIME_OK);
	return out;
}

/* A position as the ledger would give it: `overdue` owed on an invoice
 * due `dpd` days before `today`, the whole balance `balance`. */
static struct position pos(int64_t balance, int64_t overdue, int dpd, int32_t today)
{
	struct position p = { 0 };

	p.balance = balance;
	p.invoiced = balance > 0 ? balance : 0;
	p.overdue = overdue;
	p.today = today;
	p.days_past_due = overdue > 0 ? dpd : 0;
	p.oldest_unpaid_due_on = overdue > 0 ? today - dpd : POSITION_NO_DATE;
	p.complete_at = INT64_MIN;
	return p;
}

/* One test's world: an account, its case, the instant. */
struct world {
	const struct policy *policy;
	struct engine_service services[3];
	struct engine_account acct;
	struct engine_case kase;
	struct position position;
	struct engine_input in;
};

static void world_init(struct world *w, const struct policy *p, const char *jur, const char *currency,
		       int32_t today, int hour)
{
	memset(w, 0, sizeof(*w));
	w->policy = p;
	w->acct.account_id = "ACC-1";
	w->acct.currency = currency;
	w->acct.jurisdiction = jur;
	w->acct.services = w->services;
	w->acct.position = &w->position;
	w->kase.stage_entered_at = ENGINE_NEVER;
	w->kase.notice_at = ENGINE_NEVER;
	w->in.policy = p;
	w->in.policy_version = VERSION;
	w->in.account = &w->acct;
	w->in.kase = &w->kase;
	w->in.today = today;
	/* Local hour of the day read as UTC: the engine never converts. */
	w->in.now = (int64_t)today * DAY + hour * 3600;
}

static void add_service(struct world *w, const char *id, const char *kind)
{
	w->services[w->acct.n_services].id = id;
	w->services[w->acct.n_services].kind = kind;
	w->acct.n_services++;
}

/* Every decision carries the version and a rule, and its key names the
 * account and the version. */
static void check_all(const struct engine_decisions *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		const struct engine_decision *d = &ds->v[i];

		cr_assert_eq(d->policy_version, VERSION);
		cr_assert_gt(strlen(d->rule), 0);
		cr_assert(strncmp(d->key, "ACC-1|v7|", 9) == 0, "key %s", d->key);
		cr_assert_not_null(d->reason);
	}
}

static void decide(struct world *w, struct engine_decisions *ds)
{
	cr_assert_eq(engine_decide(&w->in, ds), ENGINE_OK);
	check_all(ds);
}

static size_t count(const struct engine_decisions *ds, enum engine_decision_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < ds->n; i++)
		n += ds->v[i].kind == k;
	return n;
}

static const struct engine_decision *by_rule(const struct engine_decisions *ds, const char *rule)
{
	for (size_t i = 0; i < ds->n; i++)
		if (strcmp(ds->v[i].rule, rule) == 0)
			return &ds->v[i];
	return NULL;
}

static const struct engine_decision *entered(const struct engine_decisions *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		if (ds->v[i].kind == ENGINE_ENTER_STAGE)
			return &ds->v[i];
	return NULL;
}

/* ---- Burundi: the campaign ------------------------------------------ */

#define CAMPAIGN "deadline-2024-07-24"

Test(engine, burundi_notice_once)
{
	struct policy *p = support_load_example("burundi-mobile");
	struct engine_decisions ds = { 0 };
	struct engine_campaign_state cs = { CAMPAIGN, ENGINE_NEVER, 0 };
	const struct engine_decision *d;
	struct world w;
	int32_t today = day_of(2024, 7, 20);

	world_init(&w, p, "BI", "BIF", today, 9);
	add_service(&w, "257-79-000001", "mobile");
	w.position = pos(12500, 12500, 10, today);
	w.kase.campaigns = &cs;
	w.kase.n_campaigns = 1;

	decide(&w, &ds);
	cr_assert_eq(ds.n, 1);
	d = by_rule(&ds, "campaign/" CAMPAIGN "/notice#1");
	cr_assert_not_null(d);
	cr_assert_eq(d->kind, ENGINE_ACTION);
	cr_assert_eq(d->action->kind, POLICY_ACT_SMS);
	cr_assert_str_eq(d->action->template, "deadline_notice");
	cr_assert(d->action->notice);
	cr_assert_eq(d->occurrence, 1);
	cr_assert_eq(d->not_before, w.in.now);
	cr_assert_str_eq(d->key, "ACC-1|v7|campaign/" CAMPAIGN "/notice#1|once|1");
	cr_assert_str_eq(d->campaign->name, CAMPAIGN);
	engine_decisions_release(&ds);

	/* Recorded as notified: no second notice, before or after the deadline. */
	cs.notified_at = w.in.now;
	w.kase.notice_at = w.in.now;
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);

	/* Nobody is told before send_on; someone owing nothing is not told. */
	cs.notified_at = ENGINE_NEVER;
	w.kase.notice_at = ENGINE_NEVER;
	w.in.today = day_of(2024, 7, 16);
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);
	w.in.today = today;
	w.position = pos(0, 0, 0, today);
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);

	/* Any debt, even one not yet due, is in the audience. */
	w.position = pos(5000, 0, 0, today);
	decide(&w, &ds);
	cr_assert_eq(ds.n, 1);
	engine_decisions_release(&ds);
	policy_free(p);
}

Test(engine, burundi_suspend_after_deadline)
{
	struct policy *p = support_load_example("burundi-mobile");
	struct engine_decisions ds = { 0 };
	struct engine_campaign_state cs = { CAMPAIGN, 0, 0 };
	const struct engine_decision *d;
	struct world w;
	int32_t today = day_of(2024, 7, 25);

	world_init(&w, p, "BI", "BIF", today, 8);
	add_service(&w, "257-79-000001", "mobile");
	add_service(&w, "257-79-000002", "mobile");
	add_service(&w, "BI-FIX-9", "fixed_internet");
	w.position = pos(12500, 12500, 15, today);
	cs.notified_at = (int64_t)day_of(2024, 7, 17) * DAY + 9 * 3600;
	w.kase.notice_at = cs.notified_at;
	w.kase.campaigns = &cs;
	w.kase.n_campaigns = 1;

	/* On the deadline itself nothing happens yet. */
	w.in.today = day_of(2024, 7, 24);
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);

	w.in.today = today;
	decide(&w, &ds);
	cr_assert_eq(ds.n, 2);
	d = by_rule(&ds, "campaign/" CAMPAIGN "/after_deadline#1");
	cr_assert_not_null(d);
	cr_assert_eq(d->action->kind, POLICY_ACT_SUSPEND);
	cr_assert_eq(d->level, POLICY_TOTAL);
	cr_assert_eq(d->n_service_ids, 3);
	cr_assert_str_eq(d->service_ids[0], "257-79-000001");
	cr_assert_str_eq(d->service_ids[1], "257-79-000002");
	cr_assert_str_eq(d->service_ids[2], "BI-FIX-9");
	cr_assert_eq(d->not_before, w.in.now);
	d = by_rule(&ds, "campaign/" CAMPAIGN "/after_deadline#2");
	cr_assert_not_null(d);
	cr_assert_str_eq(d->action->template, "suspended");
	engine_decisions_release(&ds);

	/* Done once: never again. */
	cs.after_deadline_done = 1;
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);

	/* Never notified (came after the notice went): never suspended. */
	cs.after_deadline_done = 0;
	cs.notified_at = ENGINE_NEVER;
	w.kase.notice_at = ENGINE_NEVER;
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);
	policy_free(p);
}

Test(engine, burundi_paid_restores)
{
	struct policy *p = support_load_example("burundi-mobile");
	struct engine_decisions ds = { 0 };
	struct engine_campaign_state cs = { CAMPAIGN, 0, 1 };
	struct engine_suspension su[2] = {
		{ "257-79-000001", POLICY_TOTAL, 0, "campaign/" CAMPAIGN "/after_deadline#1" },
		{ "257-79-000002", POLICY_TOTAL, 0, "campaign/" CAMPAIGN "/after_deadline#1" },
	};
	const struct engine_decision *d;
	struct world w;
	int32_t today = day_of(2024, 7, 26);

	world_init(&w, p, "BI", "BIF", today, 14);
	add_service(&w, "257-79-000001", "mobile");
	add_service(&w, "257-79-000002", "mobile");
	su[0].since = su[1].since = (int64_t)day_of(2024, 7, 25) * DAY + 8 * 3600;
	w.kase.campaigns = &cs;
	w.kase.n_campaigns = 1;
	w.kase.suspended = su;
	w.kase.n_suspended = 2;
	w.position = pos(0, 0, 0, today);

	decide(&w, &ds);
	cr_assert_eq(ds.n, 3);
	cr_assert_eq(ds.v[0].kind, ENGINE_LEAVE_CASE);
	cr_assert_str_eq(ds.v[0].rule, "campaign/" CAMPAIGN);
	cr_assert_eq(count(&ds, ENGINE_RESTORE), 2);
	d = &ds.v[1];
	cr_assert_eq(d->kind, ENGINE_RESTORE);
	cr_assert_eq(d->n_service_ids, 1);
	cr_assert_str_eq(d->service_ids[0], "257-79-000001");
	cr_assert_eq(d->level, POLICY_TOTAL);
	cr_assert_eq(d->not_before, w.in.now);
	cr_assert_str_eq(d->rule, "campaign/" CAMPAIGN "/after_deadline#1/restore");
	cr_assert_str_neq(ds.v[1].key, ds.v[2].key);
	engine_decisions_release(&ds);

	/* Restored and out of the case: nothing more, not even on new debt. */
	w.kase.n_suspended = 0;
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);
	w.position = pos(3000, 3000, 2, today);
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);
	policy_free(p);
}

/* ---- Brazil: the ladder ---------------------------------------------- */

static void brazil(struct world *w, struct policy *p, int dpd)
{
	int32_t today = day_of(2024, 3, 12);

	world_init(w, p, "BR", "BRL", today, 10);
	add_service(w, "CPE-1", "fixed_internet");
	add_service(w, "TV-1", "iptv");
	w->position = pos(15990, 15990, dpd, today);
}

Test(engine, brazil_stages)
{
	struct policy *p = support_load_example("brazil-isp");
	struct engine_decisions ds = { 0 };
	const struct engine_decision *d;
	struct world w;

	brazil(&w, p, 0);
	w.position = pos(15990, 0, 0, w.in.today);
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0, "nothing overdue, nothing to do");
	engine_decisions_release(&ds);

	brazil(&w, p, 3);
	decide(&w, &ds);
	cr_assert_eq(ds.n, 3);
	d = entered(&ds);
	cr_assert_str_eq(d->rule, "escada-isp/lembrete");
	cr_assert_str_eq(d->stage->name, "lembrete");
	cr_assert_eq(d->not_before, w.in.now);
	d = by_rule(&ds, "escada-isp/lembrete/action#1");
	cr_assert_not_null(d);
	cr_assert_eq(d->action->kind, POLICY_ACT_SMS);
	cr_assert_str_eq(d->action->template, "lembrete");
	cr_assert_eq(d->not_before, w.in.now);
	d = by_rule(&ds, "escada-isp/lembrete/action#2");
	cr_assert_eq(d->action->kind, POLICY_ACT_EMAIL);
	engine_decisions_release(&ds);

	brazil(&w, p, 7);
	decide(&w, &ds);
	cr_assert_str_eq(entered(&ds)->rule, "escada-isp/ligacao");
	d = by_rule(&ds, "escada-isp/ligacao/action#1");
	cr_assert_eq(d->action->kind, POLICY_ACT_VOICE);
	d = by_rule(&ds, "escada-isp/ligacao/action#2");
	cr_assert_eq(d->action->kind, POLICY_ACT_QUEUE);
	cr_assert_str_eq(d->action->queue, "cobranca");
	cr_assert_eq(d->action->priority, 5);
	engine_decisions_release(&ds);

	/* 20 days late: the furthest stage that holds, in one step, even from
	 * the reminder stage. Its notice goes with it. */
	brazil(&w, p, 20);
	w.kase.strategy = "escada-isp";
	w.kase.stage = "lembrete";
	w.kase.stage_entered_at = w.in.now - 17 * DAY;
	decide(&w, &ds);
	cr_assert_str_eq(entered(&ds)->rule, "escada-isp/negociacao");
	d = by_rule(&ds, "escada-isp/negociacao/action#2");
	cr_assert(d->action->notice);
	engine_decisions_release(&ds);
	policy_free(p);
}

Test(engine, brazil_suspension_only_after_notice)
{
	struct policy *p = support_load_example("brazil-isp");
	struct engine_decisions ds = { 0 };
	const struct engine_decision *d;
	struct world w;

	/* 40 days late, never noticed: the suspension stage does not hold. */
	brazil(&w, p, 40);
	decide(&w, &ds);
	cr_assert_str_eq(entered(&ds)->rule, "escada-isp/negociacao");
	for (size_t i = 0; i < ds.n; i++)
		cr_assert(ds.v[i].kind != ENGINE_ACTION || ds.v[i].action->kind != POLICY_ACT_SUSPEND);
	engine_decisions_release(&ds);

	/* Noticed 10 days ago: still not. */
	w.kase.strategy = "escada-isp";
	w.kase.stage = "negociacao";
	w.kase.stage_entered_at = w.in.now - 10 * DAY;
	w.kase.notice_at = w.in.now - 10 * DAY;
	{
		struct engine_action_state st[2] = { { 1, w.in.now - 10 * DAY }, { 1, w.in.now - 10 * DAY } };

		w.kase.actions = st;
		w.kase.n_actions = 2;
		decide(&w, &ds);
		cr_assert_eq(ds.n, 0);
		engine_decisions_release(&ds);

		/* 15 whole days after it: suspension of the internet only. */
		w.kase.notice_at = w.in.now - 15 * DAY;
		decide(&w, &ds);
		cr_assert_str_eq(entered(&ds)->rule, "escada-isp/suspensao");
		d = by_rule(&ds, "escada-isp/suspensao/action#1");
		cr_assert_not_null(d);
		cr_assert_eq(d->action->kind, POLICY_ACT_SUSPEND);
		cr_assert_eq(d->level, POLICY_THROTTLE);
		cr_assert_eq(d->n_service_ids, 1);
		cr_assert_str_eq(d->service_ids[0], "CPE-1");
		engine_decisions_release(&ds);

		/* 14 days and 23 hours is not 15 days. */
		w.kase.notice_at = w.in.now - 15 * DAY + 3600;
		decide(&w, &ds);
		cr_assert_eq(ds.n, 0);
		engine_decisions_release(&ds);
	}
	policy_free(p);
}

Test(engine, brazil_paid_restores)
{
	struct policy *p = support_load_example("brazil-isp");
	struct engine_decisions ds = { 0 };
	struct engine_suspension su = { "CPE-1", POLICY_THROTTLE, 0, "escada-isp/suspensao/action#1" };
	struct world w;

	brazil(&w, p, 30);
	su.since = w.in.now - 3 * DAY;
	w.kase.strategy = "escada-isp";
	w.kase.stage = "suspensao";
	w.kase.stage_entered_at = su.since;
	w.kase.notice_at = w.in.now - 20 * DAY;
	w.kase.suspended = &su;
	w.kase.n_suspended = 1;

	/* A payment of everything overdue; next month's invoice is not due. */
	w.position = pos(9990, 0, 0, w.in.today);
	decide(&w, &ds);
	cr_assert_eq(ds.n, 2);
	cr_assert_eq(ds.v[0].kind, ENGINE_LEAVE_CASE);
	cr_assert_str_eq(ds.v[0].rule, "escada-isp/suspensao");
	cr_assert_str_eq(ds.v[0].stage->name, "suspensao");
	cr_assert_eq(ds.v[1].kind, ENGINE_RESTORE);
	cr_assert_str_eq(ds.v[1].service_ids[0], "CPE-1");
	cr_assert_eq(ds.v[1].level, POLICY_THROTTLE);
	cr_assert_str_eq(ds.v[1].rule, "escada-isp/suspensao/action#1/restore");
	engine_decisions_release(&ds);

	/* In credit: the same. */
	w.position = pos(-500, 0, 0, w.in.today);
	decide(&w, &ds);
	cr_assert_eq(count(&ds, ENGINE_LEAVE_CASE), 1);
	cr_assert_eq(count(&ds, ENGINE_RESTORE), 1);
	engine_decisions_release(&ds);

	/* A partial payment back to 3 days late: back to the reminder stage,
	 * and the suspension made by a later stage is lifted. */
	w.position = pos(9990, 9990, 3, w.in.today);
	decide(&w, &ds);
	cr_assert_eq(ds.v[0].kind, ENGINE_RESTORE);
	cr_assert_str_eq(entered(&ds)->rule, "escada-isp/lembrete");
	cr_assert_eq(count(&ds, ENGINE_LEAVE_CASE), 0);
	engine_decisions_release(&ds);
	policy_free(p);
}

/* ---- France, Ukraine ---------------------------------------------------- */

Test(engine, france_stages_and_disputes)
{
	struct policy *p = support_load_example("france-isp");
	struct engine_decisions ds = { 0 };
	const struct engine_decision *d;
	struct world w;
	int32_t today = day_of(2024, 10, 8);

	world_init(&w, p, "FR", "EUR", today, 10);
	add_service(&w, "FTTH-1", "fixed_internet");
	w.position = pos(2999, 2999, 5, today);
	decide(&w, &ds);
	cr_assert_str_eq(entered(&ds)->rule, "echelle-fai/rappel");
	cr_assert_eq(by_rule(&ds, "echelle-fai/rappel/action#1")->action->kind, POLICY_ACT_EMAIL);
	cr_assert_eq(by_rule(&ds, "echelle-fai/rappel/action#2")->action->kind, POLICY_ACT_SMS);
	engine_decisions_release(&ds);

	w.position = pos(2999, 2999, 12, today);
	decide(&w, &ds);
	cr_assert_str_eq(entered(&ds)->rule, "echelle-fai/avis");
	d = by_rule(&ds, "echelle-fai/avis/action#1");
	cr_assert_eq(d->action->kind, POLICY_ACT_PORTAL);
	cr_assert(d->action->notice);
	engine_decisions_release(&ds);

	/* The whole overdue amount disputed: nothing collectible, no step. */
	w.acct.disputed = 2999;
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);
	policy_free(p);
}

static void ukraine(struct world *w, struct policy *p, int64_t overdue, int dpd)
{
	int32_t today = day_of(2024, 11, 4);

	world_init(w, p, "UA", "UAH", today, 18);
	add_service(w, "METER-1", "water");
	w->position = pos(overdue, overdue, dpd, today);
}

Test(engine, ukraine_threshold)
{
	struct policy *p = support_load_example("ukraine-water");
	struct engine_decisions ds = { 0 };
	const struct engine_decision *d;
	struct world w;

	ukraine(&w, p, 15000, 35);
	decide(&w, &ds);
	cr_assert_str_eq(entered(&ds)->rule, "avtodzvinok/dzvinky");
	d = by_rule(&ds, "avtodzvinok/dzvinky/action#1");
	cr_assert_eq(d->action->kind, POLICY_ACT_VOICE);
	cr_assert_str_eq(d->action->template, "dzvinok");
	engine_decisions_release(&ds);

	/* 90 UAH, 100 UAH exactly, or 29 days: nothing. */
	ukraine(&w, p, 9000, 35);
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);
	ukraine(&w, p, 10000, 35);
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);
	ukraine(&w, p, 10001, 29);
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);

	/* In the case, paid down to 90 UAH: the ladder lets go. */
	ukraine(&w, p, 9000, 40);
	w.kase.strategy = "avtodzvinok";
	w.kase.stage = "dzvinky";
	w.kase.stage_entered_at = w.in.now - 5 * DAY;
	decide(&w, &ds);
	cr_assert_eq(ds.n, 1);
	cr_assert_eq(ds.v[0].kind, ENGINE_LEAVE_CASE);
	cr_assert_str_eq(ds.v[0].reason, "no stage applies");
	engine_decisions_release(&ds);
	policy_free(p);
}

Test(engine, repeated_actions)
{
	struct policy *p = support_load_example("ukraine-water");
	struct engine_decisions ds = { 0 };
	struct engine_action_state st[2];
	const struct engine_decision *d;
	struct world w;
	int64_t entered_at, last;
	char first_key[sizeof(ds.v->key)];

	ukraine(&w, p, 15000, 40);
	entered_at = w.in.now - 10 * DAY;
	w.kase.strategy = "avtodzvinok";
	w.kase.stage = "dzvinky";
	w.kase.stage_entered_at = entered_at;
	w.kase.actions = st;
	w.kase.n_actions = 2;

	/* Entered, nothing performed yet: the first occurrences, due since entry. */
	st[0] = (struct engine_action_state){ 0, ENGINE_NEVER };
	st[1] = (struct engine_action_state){ 0, ENGINE_NEVER };
	decide(&w, &ds);
	cr_assert_eq(ds.n, 2);
	cr_assert_eq(count(&ds, ENGINE_ENTER_STAGE), 0);
	d = by_rule(&ds, "avtodzvinok/dzvinky/action#1");
	cr_assert_eq(d->occurrence, 1);
	cr_assert_eq(d->not_before, entered_at);
	snprintf(first_key, sizeof(first_key), "%s", d->key);
	engine_decisions_release(&ds);

	/* Called once yesterday evening: the next call a day after it, the
	 * SMS 14 days after its own last. */
	last = w.in.now - DAY + 3600;
	st[0] = (struct engine_action_state){ 1, last };
	st[1] = (struct engine_action_state){ 1, last };
	decide(&w, &ds);
	d = by_rule(&ds, "avtodzvinok/dzvinky/action#1");
	cr_assert_eq(d->occurrence, 2);
	cr_assert_eq(d->not_before, last + DAY);
	cr_assert_str_neq(d->key, first_key);
	cr_assert_eq(by_rule(&ds, "avtodzvinok/dzvinky/action#2")->not_before, last + 14 * DAY);
	engine_decisions_release(&ds);

	/* Times exhausted: nothing more. */
	st[0] = (struct engine_action_state){ 30, last };
	st[1] = (struct engine_action_state){ 3, last };
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);
	st[1] = (struct engine_action_state){ 2, last };
	decide(&w, &ds);
	cr_assert_eq(ds.n, 1);
	cr_assert_eq(ds.v[0].occurrence, 3);
	engine_decisions_release(&ds);
	policy_free(p);
}

Test(engine, keys_stable_and_distinct)
{
	struct policy *p = support_load_example("brazil-isp");
	struct engine_decisions a = { 0 }, b = { 0 };
	struct world w;

	brazil(&w, p, 7);
	decide(&w, &a);
	decide(&w, &b);
	cr_assert_eq(a.n, b.n);
	cr_assert_gt(a.n, 1);
	for (size_t i = 0; i < a.n; i++) {
		cr_assert_str_eq(a.v[i].key, b.v[i].key);
		cr_assert_str_eq(a.v[i].rule, b.v[i].rule);
		for (size_t k = 0; k < i; k++)
			cr_assert_str_neq(a.v[i].key, a.v[k].key);
	}
	cr_assert_str_eq(a.v[1].key, "ACC-1|v7|escada-isp/ligacao/action#1|1710237600|1");
	engine_decisions_release(&b);

	/* Another version decides other keys; another account too. */
	w.in.policy_version = 8;
	cr_assert_eq(engine_decide(&w.in, &b), ENGINE_OK);
	cr_assert_str_neq(a.v[1].key, b.v[1].key);
	cr_assert_eq(b.v[1].policy_version, 8);
	engine_decisions_release(&b);

	/* Leaving and coming back later is another episode: other keys. */
	w.in.policy_version = VERSION;
	w.in.now += 40 * DAY;
	decide(&w, &b);
	cr_assert_str_neq(a.v[1].key, b.v[1].key);
	engine_decisions_release(&b);
	engine_decisions_release(&a);
	policy_free(p);
}

/* A ladder whose suspending stage does not itself need the notice (no
 * notice days in the jurisdiction): the suspension waits for it, and the
 * notice of the earliest stage that has one goes first. */
static const char notice_first_yaml[] =
	"name: notice-first\n"
	"jurisdictions:\n"
	"  XX:\n"
	"    timezone: Europe/Paris\n"
	"    currency: EUR\n"
	"    locales: [fr-FR]\n"
	"    contact_windows: {mon: [\"08:00-20:00\"]}\n"
	"templates:\n"
	"  rappel: {channel: sms, text: {fr-FR: \"Bonjour {name}, {amount}.\"}}\n"
	"  avis: {channel: email, text: {fr-FR: \"Avis {amount}.\"}}\n"
	"strategies:\n"
	"  - name: l\n"
	"    jurisdictions: [XX]\n"
	"    currency: EUR\n"
	"    stages:\n"
	"      - name: un\n"
	"        when: {days_past_due: {min: 1}}\n"
	"        actions: [{do: sms, template: rappel}]\n"
	"      - name: deux\n"
	"        when: {days_past_due: {min: 10}}\n"
	"        actions: [{do: email, template: avis, notice: true}]\n"
	"      - name: trois\n"
	"        when: {days_past_due: {min: 30}}\n"
	"        actions:\n"
	"          - {do: suspend, level: total, services: all}\n"
	"          - {do: agent_queue, queue: q}\n";

Test(engine, notice_before_suspension)
{
	struct policy *p = support_parse_policy("notice-first", notice_first_yaml, sizeof(notice_first_yaml) - 1);
	struct engine_decisions ds = { 0 };
	const struct engine_decision *d;
	struct world w;
	int32_t today = day_of(2024, 10, 7);

	world_init(&w, p, "XX", "EUR", today, 10);
	add_service(&w, "S1", "fixed_internet");
	w.position = pos(5000, 5000, 40, today);
	decide(&w, &ds);
	cr_assert_str_eq(entered(&ds)->rule, "l/trois");
	for (size_t i = 0; i < ds.n; i++)
		cr_assert(ds.v[i].kind != ENGINE_ACTION || ds.v[i].action->kind != POLICY_ACT_SUSPEND);
	d = by_rule(&ds, "l/deux/action#1");
	cr_assert_not_null(d, "the notice of stage deux goes first");
	cr_assert(d->action->notice);
	cr_assert_str_eq(d->reason, "notice required before suspension");
	cr_assert_not_null(by_rule(&ds, "l/trois/action#2"));
	engine_decisions_release(&ds);

	/* Once the notice is given, the suspension follows in the same stage. */
	w.kase.strategy = "l";
	w.kase.stage = "trois";
	w.kase.stage_entered_at = w.in.now - DAY;
	w.kase.notice_at = w.in.now - DAY;
	decide(&w, &ds);
	cr_assert_eq(ds.n, 2);
	d = by_rule(&ds, "l/trois/action#1");
	cr_assert_eq(d->action->kind, POLICY_ACT_SUSPEND);
	cr_assert_eq(d->n_service_ids, 1);
	cr_assert_eq(d->not_before, w.in.now - DAY);
	engine_decisions_release(&ds);
	policy_free(p);
}

Test(engine, unknown_jurisdiction_and_names)
{
	struct policy *p = support_load_example("brazil-isp");
	struct engine_decisions ds = { 0 };
	struct world w;

	brazil(&w, p, 3);
	w.acct.jurisdiction = "ZZ";
	cr_assert_eq(engine_decide(&w.in, &ds), ENGINE_JURISDICTION);
	cr_assert_eq(ds.n, 0);
	cr_assert_null(ds.v);

	/* Another currency: the strategy's amounts mean nothing, no stage. */
	w.acct.jurisdiction = "BR";
	w.acct.currency = "USD";
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);

	cr_assert_str_eq(engine_decision_kind_name(ENGINE_RESTORE), "restore");
	cr_assert_str_eq(engine_action_kind_name(POLICY_ACT_HANDOFF), "handoff");
	policy_free(p);
}

/* ---- arrangements: what they hold back ------------------------------------------ */

Test(engine, arrangements_hold_the_ladder)
{
	struct policy *p = support_load_example("brazil-isp");
	struct engine_decisions ds = { 0 };
	struct engine_suspension su = { "CPE-1", POLICY_THROTTLE, 0, "escada-isp/suspensao/action#1" };
	struct world w;

	brazil(&w, p, 30);
	su.since = w.in.now - 3 * DAY;
	w.kase.strategy = "escada-isp";
	w.kase.stage = "suspensao";
	w.kase.stage_entered_at = su.since;
	w.kase.notice_at = w.in.now - 20 * DAY;
	w.kase.suspended = &su;
	w.kase.n_suspended = 1;
	w.position = pos(9990, 9990, 30, w.in.today);

	/* A promise of everything overdue: nothing moves, the case neither
	 * leaves (a promise is not a payment) nor restores. */
	w.acct.promised = 9990;
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);

	/* A promise of part of it: the rest is collected as usual (still
	 * 30 days late, the stage stays). */
	w.acct.promised = 5000;
	decide(&w, &ds);
	cr_assert_eq(count(&ds, ENGINE_LEAVE_CASE), 0);
	cr_assert_eq(count(&ds, ENGINE_RESTORE), 0);
	engine_decisions_release(&ds);
	w.acct.promised = 0;

	/* A current plan: no dunning and no restore until its first payment. */
	w.acct.paused = 1;
	decide(&w, &ds);
	cr_assert_eq(ds.n, 0);
	engine_decisions_release(&ds);

	/* The first payment met: every suspension is lifted, still no
	 * dunning, and the case stays where it stood. */
	w.acct.restore = 1;
	decide(&w, &ds);
	cr_assert_eq(ds.n, 1);
	cr_assert_eq(ds.v[0].kind, ENGINE_RESTORE);
	cr_assert_str_eq(ds.v[0].service_ids[0], "CPE-1");
	cr_assert_str_eq(ds.v[0].rule, "escada-isp/suspensao/action#1/restore");
	engine_decisions_release(&ds);
	policy_free(p);
}

Test(engine, dispute_freezes_only_its_amount_and_the_suspension_clock)
{
	struct policy *p = support_load_example("brazil-isp");
	struct engine_decisions ds = { 0 };
	struct world w;

	/* 40 days late, noticed 20 days ago, 99.90 overdue of which 60.00
	 * disputed: the rest is collected (the ladder goes on) but Brazil
	 * freezes the clocks, so no suspension while the dispute is open. */
	brazil(&w, p, 40);
	w.position = pos(9990, 9990, 40, w.in.today);
	w.kase.notice_at = w.in.now - 20 * DAY;
	w.acct.disputed = 6000;
	decide(&w, &ds);
	cr_assert_str_eq(entered(&ds)->rule, "escada-isp/suspensao");
	for (size_t i = 0; i < ds.n; i++)
		cr_assert(ds.v[i].kind != ENGINE_ACTION || ds.v[i].action->kind != POLICY_ACT_SUSPEND,
			  "no suspension while a dispute is open");
	cr_assert_not_null(by_rule(&ds, "escada-isp/suspensao/action#2"), "the SMS still goes");
	engine_decisions_release(&ds);

	/* Everything overdue disputed: nothing collectible, the case is left
	 * alone as settled for now. */
	w.acct.disputed = 9990;
	decide(&w, &ds);
	cr_assert_eq(count(&ds, ENGINE_ACTION), 0);
	cr_assert_eq(count(&ds, ENGINE_ENTER_STAGE), 0);
	engine_decisions_release(&ds);

	/* Dispute resolved: the suspension is decided again. */
	w.acct.disputed = 0;
	decide(&w, &ds);
	cr_assert_not_null(by_rule(&ds, "escada-isp/suspensao/action#1"));
	engine_decisions_release(&ds);
	policy_free(p);
}

Test(engine, suspension_of_a_stage_passed_over_comes_along)
{
	struct policy *p = support_load_example("brazil-isp");
	struct engine_decisions ds = { 0 };
	struct engine_action_state st[2] = { { 1, 0 }, { 1, 0 } };
	const struct engine_decision *d;
	struct world w;

	/* At the notice stage, noticed 16 days ago, now 50 days late: the
	 * case goes straight to renegotiation, and the suspension of the
	 * stage in between is decided with it (its SMS is not replayed). */
	brazil(&w, p, 50);
	w.kase.strategy = "escada-isp";
	w.kase.stage = "negociacao";
	w.kase.stage_entered_at = w.in.now - 16 * DAY;
	w.kase.notice_at = w.in.now - 16 * DAY;
	st[0].last_at = st[1].last_at = w.kase.notice_at;
	w.kase.actions = st;
	w.kase.n_actions = 2;
	decide(&w, &ds);
	cr_assert_str_eq(entered(&ds)->rule, "escada-isp/renegociacao");
	d = by_rule(&ds, "escada-isp/suspensao/action#1");
	cr_assert_not_null(d, "the suspension comes along");
	cr_assert_eq(d->action->kind, POLICY_ACT_SUSPEND);
	cr_assert_str_eq(d->service_ids[0], "CPE-1");
	cr_assert_null(by_rule(&ds, "escada-isp/suspensao/action#2"), "its SMS is not replayed");
	engine_decisions_release(&ds);

	/* Without a notice, nothing is suspended on the way. */
	w.kase.notice_at = ENGINE_NEVER;
	w.kase.stage = NULL;
	w.kase.strategy = NULL;
	w.kase.n_actions = 0;
	decide(&w, &ds);
	for (size_t i = 0; i < ds.n; i++)
		cr_assert(ds.v[i].kind != ENGINE_ACTION || ds.v[i].action->kind != POLICY_ACT_SUSPEND);
	engine_decisions_release(&ds);
	policy_free(p);
}
