/*
 * Case state: its JSON form, and the engine's decisions applied cycle after
 * cycle until the case settles (Burundi's campaign, situation 1).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/caltime.h"
#include "../../src/core/casestate.h"
#include "../../src/core/policy.h"
#include "support.h"

#define DAY INT64_C(86400)

static int32_t D(int y, int m, int d)
{
	int32_t out;

	cr_assert_eq(date_from_ymd(y, m, d, &out), CALTIME_OK);
	return out;
}

Test(casestate, json_round_trip)
{
	struct engine_action_state acts[2] = { { 2, 1721815200 }, { 0, ENGINE_NEVER } };
	struct engine_suspension sus[1] = { { "S-1", POLICY_TOTAL, 1721900000, "s/st/action#2" } };
	struct engine_campaign_state camps[1] = { { "juillet", 1721400000, 1 } };
	struct case_state s, back;
	char *json, *again;

	case_state_init(&s);
	s.strategy = strdup("escada");
	s.stage = strdup("suspensao");
	s.stage_entered_at = 1721000000;
	s.actions = malloc(sizeof(acts));
	memcpy(s.actions, acts, sizeof(acts));
	s.n_actions = 2;
	s.notice_at = 1720000000;
	s.suspended = malloc(sizeof(sus));
	s.suspended[0] = sus[0];
	s.suspended[0].service_id = strdup("S-1");
	s.suspended[0].rule = strdup("s/st/action#2");
	s.n_suspended = 1;
	s.broken_promises = 2;
	s.campaigns = malloc(sizeof(camps));
	s.campaigns[0] = camps[0];
	s.campaigns[0].name = strdup("juillet");
	s.n_campaigns = 1;

	json = case_state_encode(&s);
	cr_assert_not_null(json);
	cr_assert_str_eq(json, "{\"strategy\":\"escada\",\"stage\":\"suspensao\",\"entered\":1721000000,"
			 "\"actions\":[{\"done\":2,\"last\":1721815200},{\"done\":0}],"
			 "\"notice\":1720000000,\"suspended\":[{\"service\":\"S-1\",\"level\":\"total\","
			 "\"since\":1721900000,\"rule\":\"s/st/action#2\"}],\"broken_promises\":2,"
			 "\"campaigns\":[{\"name\":\"juillet\",\"notified\":1721400000,"
			 "\"after_deadline\":true}]}");
	cr_assert_eq(case_state_decode(json, strlen(json), &back, NULL, 0), CASE_STATE_OK);
	again = case_state_encode(&back);
	cr_assert_str_eq(again, json);
	cr_assert_eq(back.actions[1].last_at, ENGINE_NEVER);
	free(json);
	free(again);
	case_state_release(&s);
	case_state_release(&back);
}

Test(casestate, empty_and_bad_documents)
{
	struct case_state s;
	char why[128];
	char *json;

	cr_assert_eq(case_state_decode(NULL, 0, &s, why, sizeof(why)), CASE_STATE_OK);
	cr_assert(case_state_empty(&s));
	json = case_state_encode(&s);
	cr_assert_str_eq(json, "{}");
	free(json);
	cr_assert_eq(case_state_decode("[1]", 3, &s, why, sizeof(why)), CASE_STATE_SYNTAX);
	cr_assert_eq(case_state_decode("{\"stage\":1}", 11, &s, why, sizeof(why)), CASE_STATE_SYNTAX);
	cr_assert_eq(case_state_decode("{\"notice\":\"x\"}", 14, &s, why, sizeof(why)),
		     CASE_STATE_SYNTAX);
	cr_assert(case_state_empty(&s));
}

/* One cycle: decide on the stored state, apply every decision, store it. */
static size_t cycle(const struct policy *p, struct engine_account *acct, int32_t today, int hour,
		    char **stored, const char *want_rule)
{
	struct case_state s;
	struct engine_case kase;
	struct engine_decisions ds = { 0 };
	struct engine_input in = { 0 };
	int64_t now = (int64_t)today * DAY + hour * 3600;
	size_t n, found = 0;

	cr_assert_eq(case_state_decode(*stored, *stored ? strlen(*stored) : 0, &s, NULL, 0),
		     CASE_STATE_OK);
	case_state_view(&s, &kase);
	in.policy = p;
	in.policy_version = 1;
	in.account = acct;
	in.kase = &kase;
	in.now = now;
	in.today = today;
	cr_assert_eq(engine_decide(&in, &ds), ENGINE_OK);
	for (size_t i = 0; i < ds.n; i++) {
		found += want_rule && strstr(ds.v[i].rule, want_rule) != NULL;
		cr_assert_eq(case_state_apply(&s, &ds.v[i], now), CASE_STATE_OK);
	}
	n = ds.n;
	engine_decisions_release(&ds);
	free(*stored);
	*stored = case_state_encode(&s);
	case_state_release(&s);
	if (want_rule)
		cr_assert(found > 0, "no decision with rule %s", want_rule);
	return n;
}

Test(casestate, burundi_campaign_cycle_after_cycle)
{
	struct policy *p = support_load_example("burundi-mobile");
	struct engine_service svc[2] = { { "S-1", "mobile" }, { "S-2", "mobile" } };
	struct position pos = { 0 };
	struct engine_account acct = { 0 };
	char *stored = NULL;

	acct.account_id = "A-BI-1";
	acct.currency = "BIF";
	acct.jurisdiction = "BI";
	acct.services = svc;
	acct.n_services = 2;
	acct.position = &pos;
	pos.balance = pos.overdue = pos.invoiced = 12500;
	pos.days_past_due = 10;

	/* The notice goes once. */
	cr_assert_geq(cycle(p, &acct, D(2024, 7, 20), 9, &stored, "/notice#"), 1);
	cr_assert_eq(cycle(p, &acct, D(2024, 7, 20), 15, &stored, NULL), 0);
	cr_assert_eq(cycle(p, &acct, D(2024, 7, 22), 9, &stored, NULL), 0);
	/* Still owing after the 24th: every service is suspended, once. */
	pos.days_past_due = 15;
	cr_assert_geq(cycle(p, &acct, D(2024, 7, 25), 8, &stored, "/after_deadline#"), 1);
	cr_assert(strstr(stored, "\"service\":\"S-1\"") && strstr(stored, "\"service\":\"S-2\""),
		  "%s", stored);
	cr_assert_eq(cycle(p, &acct, D(2024, 7, 25), 12, &stored, NULL), 0);
	/* Paid: restored at once, and the campaign is done with this account. */
	pos.balance = pos.overdue = 0;
	pos.days_past_due = 0;
	cr_assert_geq(cycle(p, &acct, D(2024, 7, 26), 10, &stored, "restore"), 2);
	cr_assert_null(strstr(stored, "\"suspended\""), "%s", stored);
	cr_assert_eq(cycle(p, &acct, D(2024, 7, 27), 10, &stored, NULL), 0);
	pos.balance = pos.overdue = 12500;
	pos.days_past_due = 3;
	cr_assert_eq(cycle(p, &acct, D(2024, 8, 2), 10, &stored, NULL), 0);
	free(stored);
	policy_free(p);
}
