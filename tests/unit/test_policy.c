/*
 * policy: the example policies parse; each kind of problem is reported at
 * its line and column; arrangements; holidays, SMS encodings and template
 * rendering.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/caltime.h"
#include "../../src/core/money.h"
#include "../../src/core/msgtpl.h"
#include "../../src/core/policy.h"
#include "support.h"
#include "../../src/core/sms.h"

Test(policy, examples_parse)
{
	static const char *const names[] = { "burundi-mobile", "brazil-isp", "france-isp",
					     "ukraine-water", "quebec-telecom" };

	for (size_t i = 0; i < 5; i++) {
		struct policy *p = support_load_example(names[i]);

		cr_assert_str_eq(p->name, names[i]);
		cr_assert_eq(p->n_jurisdictions, 1);
		cr_assert_not_null(p->source);
		policy_free(p);
	}
}

Test(policy, brazil_contents)
{
	struct policy *p = support_load_example("brazil-isp");
	const struct policy_jurisdiction *br = policy_jurisdiction(p, "BR");
	const struct policy_strategy *s = &p->strategies[0];
	int32_t d;

	cr_assert_not_null(br);
	cr_assert_eq(br->n_windows[0], 1);
	cr_assert_eq(br->windows[0][0].start, 8 * 60);
	cr_assert_eq(br->windows[0][0].end, 20 * 60);
	cr_assert_eq(br->n_windows[5], 0);
	cr_assert_eq(br->n_windows[6], 0);
	cr_assert_eq(br->voicemail, 0);
	cr_assert_eq(br->notice_days_before_suspension, 15);
	cr_assert_eq(br->restore_within_hours, 24);
	cr_assert_eq(s->n_stages, 7);
	cr_assert_str_eq(s->stages[3].name, "suspensao");
	cr_assert_eq(s->stages[3].actions[0].kind, POLICY_ACT_SUSPEND);
	cr_assert_eq(s->stages[3].actions[0].level, POLICY_THROTTLE);
	cr_assert_eq(s->stages[5].when.overdue.min, 5000);
	cr_assert_eq(s->stages[1].actions[0].every_days, 3);
	cr_assert_eq(s->stages[1].actions[0].times, 3);
	date_parse("2024-02-13", 10, &d);
	cr_assert(policy_is_holiday(br, d, "America/Sao_Paulo", NULL));
	date_parse("2024-07-09", 10, &d);
	cr_assert(policy_is_holiday(br, d, "America/Sao_Paulo", NULL));
	cr_assert_not(policy_is_holiday(br, d, "America/Recife", NULL));
	date_parse("2024-07-10", 10, &d);
	cr_assert_not(policy_is_holiday(br, d, "America/Sao_Paulo", NULL));
	policy_free(p);
}

Test(policy, ukraine_amounts_in_minor_units)
{
	struct policy *p = support_load_example("ukraine-water");
	const struct policy_jurisdiction *ua = policy_jurisdiction(p, "UA");

	cr_assert_eq(p->strategies[0].stages[0].when.overdue.min, 10001);
	cr_assert_eq(p->strategies[0].stages[0].when.days_past_due.min, 30);
	cr_assert_eq(ua->n_windows[0], 1);
	cr_assert_eq(ua->windows[0][0].start, 18 * 60);
	cr_assert_eq(ua->windows[6][0].end, 20 * 60);
	cr_assert_eq(ua->caps[0].channel, POLICY_ANY);
	cr_assert_eq(ua->caps[0].max, 2);
	cr_assert_eq(ua->caps[0].days, 1);
	policy_free(p);
}

Test(policy, burundi_campaign)
{
	struct policy *p = support_load_example("burundi-mobile");
	const struct policy_campaign *c = &p->campaigns[0];
	int32_t d;

	date_parse("2024-07-24", 10, &d);
	cr_assert_eq(c->deadline, d);
	cr_assert_eq(c->audience.balance.min, 1);
	cr_assert_eq(c->after_deadline[0].kind, POLICY_ACT_SUSPEND);
	cr_assert_eq(c->after_deadline[0].level, POLICY_TOTAL);
	cr_assert_str_eq(c->after_deadline[0].services[0], "all");
	policy_free(p);
}

/* Parses text and expects a problem at line:column whose message contains
 * `want` (other problems may be reported too). */
static void expect_one(const char *text, int line, int column, const char *want)
{
	struct policy *p = NULL;
	struct policy_diags d = { 0 };
	int found = 0;

	cr_assert_neq(policy_parse("t", text, strlen(text), &p, &d), 0);
	cr_assert_null(p);
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].line == line && d.v[i].column == column && strstr(d.v[i].message, want))
			found = 1;
	if (!found)
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "  %d:%d: %s\n", d.v[i].line, d.v[i].column, d.v[i].message);
	cr_assert(found, "no %d:%d: ...%s...", line, column, want);
	policy_diags_release(&d);
}

#define HEAD \
	"name: t\n" \
	"jurisdictions:\n" \
	"  FR:\n" \
	"    timezone: Europe/Paris\n" \
	"    locales: [fr-FR]\n" \
	"    contact_windows: {mon: [\"08:00-20:00\"]}\n" \
	"templates:\n" \
	"  r: {channel: sms, text: {fr-FR: \"Bonjour {name}\"}}\n"
/* HEAD is 8 lines; a strategy starts on line 9. */
#define STRAT(stages) \
	"strategies:\n" \
	"  - name: s\n" \
	"    jurisdictions: [FR]\n" \
	"    currency: EUR\n" \
	"    stages:\n" stages

Test(policy, errors_each_at_its_position)
{
	expect_one(HEAD STRAT("      - {name: a, when: {days_past_due: {min: 1}}, actons: []}\n"),
		   14, 52, "unknown key 'actons' (did you mean 'actions'?)");
	expect_one(HEAD STRAT("      - {name: a, when: {days_past_due: {min: x}}, actions: []}\n"),
		   14, 47, "days_past_due must be a whole number");
	expect_one(HEAD STRAT("      - {name: a, when: {overdue: {min: \"1.001\"}}, actions: []}\n"),
		   14, 41, "has more decimals");
	expect_one(HEAD STRAT("      - {name: a, when: {days_past_due: {min: 1}}, actions: [{do: fax}]}\n"),
		   14, 67, "unknown action 'fax'");
	expect_one(HEAD STRAT("      - {name: a, when: {days_past_due: {min: 1}}, actions: [{do: voice, template: r}]}\n"),
		   14, 84, "template 'r' is for sms, not voice");
	expect_one(HEAD STRAT("      - {name: a, when: {days_past_due: {min: 9, max: 3}}, actions: []}\n"),
		   14, 9, "can never be reached");
	expect_one(HEAD STRAT("      - {name: a, when: {days_since_notice: {min: 9}}, actions: []}\n"),
		   14, 9, "no earlier stage gives one");
	expect_one(HEAD STRAT("      - {name: a, when: {days_past_due: {min: 1}}, actions: [{do: sms, template: r, voicemail: true}]}\n"),
		   14, 96, "'voicemail' does not apply to a sms action");
}

Test(policy, jurisdiction_errors)
{
	expect_one("name: t\njurisdictions:\n  FR:\n    timezone: Europe/Pariss\n"
		   "    locales: [fr-FR]\n    contact_windows: {mon: [\"08:00-20:00\"]}\n"
		   "campaigns: []\n", 4, 15, "unknown time zone 'Europe/Pariss'");
	expect_one("name: t\njurisdictions:\n  FR:\n    timezone: Europe/Paris\n"
		   "    locales: [fr-FR]\n    contact_windows: {mon: [\"08:00-25:00\"]}\n"
		   "campaigns: []\n", 6, 29, "is not a time of day");
	expect_one("name: t\njurisdictions:\n  FR:\n    timezone: Europe/Paris\n"
		   "    locales: [fr-FR]\n    contact_windows: {mon: [\"08:00-20:00\"], sunday: []}\n"
		   "campaigns: []\n", 6, 45, "unknown key 'sunday'");
	expect_one("name: t\njurisdictions:\n  FR:\n    timezone: Europe/Paris\n"
		   "    locales: [fr-FR]\n    contact_windows: {mon: [\"08:00-20:00\"]}\n"
		   "    holidays: [{name: x, yearly: \"02-30\"}]\ncampaigns: []\n", 7, 34, "not a day of the year");
	expect_one("name: t\njurisdictions:\n  FR:\n    timezone: Europe/Paris\n"
		   "    locales: [fr-FR]\n    contact_windows: {mon: [\"08:00-20:00\"]}\n"
		   "    caps: [{channel: fax, max: 1, days: 1}]\ncampaigns: []\n", 7, 22, "unknown channel 'fax'");
}

Test(policy, missing_locale_and_forbidden_action)
{
	expect_one("name: t\njurisdictions:\n  FR:\n    timezone: Europe/Paris\n"
		   "    locales: [fr-FR, de-DE]\n    contact_windows: {mon: [\"08:00-20:00\"]}\n"
		   "templates:\n  r: {channel: sms, text: {fr-FR: \"Bonjour\"}}\n"
		   "campaigns:\n  - {name: c, jurisdictions: [FR], audience: {days_past_due: {min: 1}},\n"
		   "     deadline: 2024-07-24, notice: [{do: sms, template: r}]}\n",
		   11, 57, "no text for locale de-DE");
	expect_one("name: t\njurisdictions:\n  FR:\n    timezone: Europe/Paris\n"
		   "    locales: [fr-FR]\n    contact_windows: {mon: [\"08:00-20:00\"]}\n"
		   "    notice_days_before_suspension: 10\n"
		   "campaigns:\n  - {name: c, jurisdictions: [FR], audience: {days_past_due: {min: 1}},\n"
		   "     send_on: 2024-07-20, deadline: 2024-07-24, notice: [],\n"
		   "     after_deadline: [{do: suspend, services: all}]}\n",
		   11, 28, "requires 10 days of notice");
}

Test(policy, every_problem_reported)
{
	const char *text = "name: t\nbogus: 1\njurisdictions:\n  FR:\n    timezone: Nowhere/X\n"
			   "    locales: [fr-FR]\n    contact_windows: {mon: [\"8-20\"]}\n";
	struct policy *p = NULL;
	struct policy_diags d = { 0 };

	cr_assert_neq(policy_parse("t", text, strlen(text), &p, &d), 0);
	cr_assert_eq(d.n, 4, "%zu", d.n);
	cr_assert_eq(d.v[0].line, 1);  /* neither strategies nor campaigns */
	cr_assert_eq(d.v[1].line, 2);
	cr_assert_eq(d.v[2].line, 5);
	cr_assert_eq(d.v[3].line, 7);
	policy_diags_release(&d);
}

Test(policy, yaml_syntax_and_aliases)
{
	expect_one("name: [unclosed\n", 2, 1, "YAML:");
	expect_one("name: &a t\njurisdictions: *a\n", 2, 16, "aliases");
}

/* HEAD and a one-stage strategy: 14 lines, then what the test adds. */
#define BASE HEAD STRAT("      - {name: a, when: {days_past_due: {min: 1}}, actions: []}\n")
/* An arrangements section whose body starts on line 16. */
#define ARR(body) BASE "arrangements:\n" body

static struct policy *parse_text(const char *text)
{
	return support_parse_policy("t", text, strlen(text));
}

Test(policy, arrangements_defaults_when_absent)
{
	struct policy *p = parse_text(BASE);
	const struct policy_arrangements *a = &p->arrangements;

	cr_assert_eq(a->line, 0);
	cr_assert_eq(a->promise_max_days, 30);
	cr_assert_eq(a->promise_tolerance_pct, 0);
	cr_assert_eq(a->promise_default_days, 7);
	cr_assert_eq(a->agent.max_instalments, 6);
	cr_assert_eq(a->agent.min_down_payment_pct, 10);
	cr_assert_eq(a->supervisor.max_instalments, 24);
	cr_assert_eq(a->supervisor.min_down_payment_pct, 0);
	cr_assert_eq(a->plan_grace_days, 5);
	cr_assert_eq(a->plan_proposal_days, 7);
	cr_assert_eq(a->dispute_answer_days, 30);
	cr_assert_eq(policy_jurisdiction(p, "FR")->bureau_removal_business_days, 0);
	policy_free(p);

	/* A section with some keys: the others keep their defaults. */
	p = parse_text(ARR("  promises: {tolerance_percent: 5}\n"
			   "  plans:\n    supervisor: {max_instalments: 36}\n"));
	a = &p->arrangements;
	cr_assert_eq(a->line, 15);
	cr_assert_eq(a->promise_max_days, 30);
	cr_assert_eq(a->promise_tolerance_pct, 5);
	cr_assert_eq(a->promise_default_days, 7);
	cr_assert_eq(a->agent.max_instalments, 6);
	cr_assert_eq(a->agent.min_down_payment_pct, 10);
	cr_assert_eq(a->supervisor.max_instalments, 36);
	cr_assert_eq(a->supervisor.min_down_payment_pct, 0);
	cr_assert_eq(a->plan_grace_days, 5);
	cr_assert_eq(a->plan_proposal_days, 7);
	cr_assert_eq(a->dispute_answer_days, 30);
	policy_free(p);
}

Test(policy, arrangements_read)
{
	struct policy *p = parse_text(ARR("  promises:\n    max_days: 60\n    tolerance_percent: 50\n"
					  "    default_days: 60\n"
					  "  plans:\n"
					  "    agent: {max_instalments: 0, min_down_payment_percent: 100}\n"
					  "    supervisor: {max_instalments: 120, min_down_payment_percent: 0}\n"
					  "    grace_days: 0\n    proposal_days: 60\n"
					  "  disputes: {answer_days: 365}\n"));
	const struct policy_arrangements *a = &p->arrangements;

	cr_assert_eq(a->line, 15);
	cr_assert_eq(a->promise_max_days, 60);
	cr_assert_eq(a->promise_tolerance_pct, 50);
	cr_assert_eq(a->promise_default_days, 60);
	cr_assert_eq(a->agent.max_instalments, 0);
	cr_assert_eq(a->agent.min_down_payment_pct, 100);
	cr_assert_eq(a->supervisor.max_instalments, 120);
	cr_assert_eq(a->supervisor.min_down_payment_pct, 0);
	cr_assert_eq(a->plan_grace_days, 0);
	cr_assert_eq(a->plan_proposal_days, 60);
	cr_assert_eq(a->dispute_answer_days, 365);
	policy_free(p);
}

Test(policy, arrangements_of_the_examples)
{
	struct policy *p = support_load_example("brazil-isp");
	const struct policy_arrangements *a = &p->arrangements;

	cr_assert_neq(a->line, 0);
	cr_assert_eq(a->promise_max_days, 15);
	cr_assert_eq(a->promise_tolerance_pct, 2);
	cr_assert_eq(a->promise_default_days, 7);
	cr_assert_eq(a->agent.max_instalments, 6);
	cr_assert_eq(a->agent.min_down_payment_pct, 10);
	cr_assert_eq(a->supervisor.max_instalments, 12);
	cr_assert_eq(a->supervisor.min_down_payment_pct, 0);
	cr_assert_eq(a->plan_grace_days, 5);
	cr_assert_eq(a->plan_proposal_days, 5);
	cr_assert_eq(a->dispute_answer_days, 10);
	cr_assert_eq(policy_jurisdiction(p, "BR")->bureau_removal_business_days, 5);
	policy_free(p);

	p = support_load_example("france-isp");
	a = &p->arrangements;
	cr_assert_eq(a->promise_max_days, 30);
	cr_assert_eq(a->promise_tolerance_pct, 0);
	cr_assert_eq(a->agent.max_instalments, 3);
	cr_assert_eq(a->agent.min_down_payment_pct, 0);
	cr_assert_eq(a->supervisor.max_instalments, 12);
	cr_assert_eq(a->plan_grace_days, 10);
	cr_assert_eq(a->plan_proposal_days, 15);
	cr_assert_eq(a->dispute_answer_days, 60);
	cr_assert_eq(policy_jurisdiction(p, "FR")->bureau_removal_business_days, 0);
	policy_free(p);

	p = support_load_example("ukraine-water");
	cr_assert_eq(p->arrangements.line, 0);
	cr_assert_eq(p->arrangements.dispute_answer_days, 30);
	policy_free(p);
}

Test(policy, arrangements_out_of_range)
{
	expect_one(ARR("  promises: {max_days: 0}\n"), 16, 24, "max_days must be between 1 and 365");
	expect_one(ARR("  promises: {max_days: 366}\n"), 16, 24, "max_days must be between 1 and 365");
	expect_one(ARR("  promises: {tolerance_percent: 51}\n"), 16, 33,
		   "tolerance_percent must be between 0 and 50");
	expect_one(ARR("  promises: {tolerance_percent: -1}\n"), 16, 33,
		   "tolerance_percent must be between 0 and 50");
	expect_one(ARR("  promises: {default_days: 0}\n"), 16, 28,
		   "default_days must be between 1 and 365");
	expect_one(ARR("  promises: {max_days: 15, default_days: 20}\n"), 16, 42,
		   "default_days must be between 1 and max_days (15)");
	expect_one(ARR("  promises: {max_days: 5}\n"), 16, 24, "is below default_days (7 when not given)");
	expect_one(ARR("  plans:\n    agent: {max_instalments: 121}\n"), 17, 30,
		   "max_instalments must be between 0 and 120");
	expect_one(ARR("  plans:\n    agent: {max_instalments: -1}\n"), 17, 30,
		   "max_instalments must be between 0 and 120");
	expect_one(ARR("  plans:\n    supervisor: {min_down_payment_percent: 101}\n"), 17, 44,
		   "min_down_payment_percent must be between 0 and 100");
	expect_one(ARR("  plans:\n    grace_days: 61\n"), 17, 17, "grace_days must be between 0 and 60");
	expect_one(ARR("  plans:\n    proposal_days: 0\n"), 17, 20,
		   "proposal_days must be between 1 and 60");
	expect_one(ARR("  plans:\n    proposal_days: 61\n"), 17, 20,
		   "proposal_days must be between 1 and 60");
	expect_one(ARR("  disputes: {answer_days: 0}\n"), 16, 27, "answer_days must be between 1 and 365");
	expect_one(ARR("  disputes: {answer_days: 366}\n"), 16, 27,
		   "answer_days must be between 1 and 365");
}

Test(policy, arrangements_wrong_types_and_unknown_keys)
{
	expect_one(BASE "arrangements: [promises]\n", 15, 15, "arrangements must be a mapping, not a list");
	expect_one(ARR("  promises: 30\n"), 16, 13, "promises must be a mapping, not a scalar");
	expect_one(ARR("  promises: {max_days: soon}\n"), 16, 24, "max_days must be a whole number, not 'soon'");
	expect_one(ARR("  plans:\n    agent: 6\n"), 17, 12, "agent must be a mapping, not a scalar");
	expect_one(ARR("  plans:\n    grace_days: [5]\n"), 17, 17, "grace_days must be a scalar, not a list");
	expect_one(BASE "arrangement: {}\n", 15, 1, "unknown key 'arrangement' (did you mean 'arrangements'?)");
	expect_one(ARR("  promise: {}\n"), 16, 3, "unknown key 'promise' (did you mean 'promises'?)");
	expect_one(ARR("  promises: {max_day: 10}\n"), 16, 14, "unknown key 'max_day' (did you mean 'max_days'?)");
	expect_one(ARR("  plans:\n    agent: {max_instalment: 3}\n"), 17, 13,
		   "unknown key 'max_instalment' (did you mean 'max_instalments'?)");
	expect_one(ARR("  plans:\n    supervisor: {min_down_payment_pct: 3}\n"), 17, 18,
		   "unknown key 'min_down_payment_pct'");
	expect_one(ARR("  plans:\n    agents: {}\n"), 17, 5, "unknown key 'agents' (did you mean 'agent'?)");
	expect_one(ARR("  disputes: {answer_day: 10}\n"), 16, 14,
		   "unknown key 'answer_day' (did you mean 'answer_days'?)");
}

Test(policy, arrangements_agent_within_supervisor)
{
	expect_one(ARR("  plans:\n    agent: {max_instalments: 13}\n    supervisor: {max_instalments: 12}\n"),
		   17, 5, "an agent may not offer more instalments than a supervisor (agent 13, supervisor 12)");
	expect_one(ARR("  plans:\n    agent: {min_down_payment_percent: 0}\n"
		       "    supervisor: {min_down_payment_percent: 5}\n"),
		   17, 5, "an agent may not ask a smaller down payment than a supervisor");
	/* Only the supervisor's written: the agent's defaults (6, 10 %) exceed it. */
	expect_one(ARR("  plans:\n    supervisor: {max_instalments: 3}\n"), 17, 5,
		   "(agent 6, supervisor 3)");
	/* Equal authority is allowed. */
	policy_free(parse_text(ARR("  plans:\n    agent: {max_instalments: 12, min_down_payment_percent: 0}\n"
				   "    supervisor: {max_instalments: 12, min_down_payment_percent: 0}\n")));
}

Test(policy, arrangements_customer_within_agent)
{
	struct policy *p;

	/* Unwritten: the agent's authority, at most 3 instalments. */
	p = parse_text(ARR("  plans:\n    agent: {max_instalments: 2, min_down_payment_percent: 20}\n"));
	cr_assert_eq(p->arrangements.customer.max_instalments, 2);
	cr_assert_eq(p->arrangements.customer.min_down_payment_pct, 20);
	policy_free(p);
	p = parse_text(BASE);
	cr_assert_eq(p->arrangements.customer.max_instalments, 3);
	cr_assert_eq(p->arrangements.customer.min_down_payment_pct, 10);
	policy_free(p);
	/* Within the agent's (default 6, 10 %): as written, the agent's own included. */
	p = parse_text(ARR("  plans:\n    customer: {max_instalments: 6, min_down_payment_percent: 10}\n"));
	cr_assert_eq(p->arrangements.customer.max_instalments, 6);
	cr_assert_eq(p->arrangements.customer.min_down_payment_pct, 10);
	policy_free(p);
	p = parse_text(ARR("  plans:\n    customer: {max_instalments: 1, min_down_payment_percent: 50}\n"));
	cr_assert_eq(p->arrangements.customer.max_instalments, 1);
	cr_assert_eq(p->arrangements.customer.min_down_payment_pct, 50);
	policy_free(p);
	/* Beyond it: refused at the customer key. */
	expect_one(ARR("  plans:\n    customer: {max_instalments: 7}\n"), 17, 5,
		   "a customer may not ask for more instalments than an agent may offer "
		   "(customer 7, agent 6)");
	expect_one(ARR("  plans:\n    customer: {min_down_payment_percent: 5}\n"), 17, 5,
		   "a customer may not have a smaller down payment than an agent asks "
		   "(customer 5 %, agent 10 %)");
	expect_one(ARR("  plans:\n    agent: {max_instalments: 4}\n    customer: {max_instalments: 5}\n"),
		   18, 5, "(customer 5, agent 4)");
}

#define JUR(extra) \
	"name: t\njurisdictions:\n  FR:\n    timezone: Europe/Paris\n" \
	"    locales: [fr-FR]\n    contact_windows: {mon: [\"08:00-20:00\"]}\n" extra \
	"strategies:\n  - {name: s, jurisdictions: [FR],\n" \
	"     stages: [{name: a, when: {days_past_due: {min: 1}}, actions: []}]}\n"

Test(policy, bureau_removal_business_days)
{
	struct policy *p = parse_text(JUR("    bureau_removal_business_days: 60\n"));

	cr_assert_eq(policy_jurisdiction(p, "FR")->bureau_removal_business_days, 60);
	policy_free(p);
	expect_one(JUR("    bureau_removal_business_days: 61\n"), 7, 35,
		   "bureau_removal_business_days must be between 0 and 60");
	expect_one(JUR("    bureau_removal_business_days: -1\n"), 7, 35,
		   "bureau_removal_business_days must be between 0 and 60");
	expect_one(JUR("    bureau_removal_business_days: five\n"), 7, 35, "must be a whole number");
	expect_one(JUR("    bureau_removal_busines_days: 5\n"), 7, 5,
		   "unknown key 'bureau_removal_busines_days' (did you mean 'bureau_removal_business_days'?)");
}

static int32_t D(const char *s)
{
	int32_t d;

	cr_assert_eq(date_parse(s, strlen(s), &d), CALTIME_OK);
	return d;
}

Test(policy, easter)
{
	cr_assert_eq(policy_easter(2024), D("2024-03-31"));
	cr_assert_eq(policy_easter(2025), D("2025-04-20"));
	cr_assert_eq(policy_easter(2024) - 47, D("2024-02-13"));  /* Carnival Tuesday */
	cr_assert_eq(policy_easter(2024) + 60, D("2024-05-30"));  /* Corpus Christi */
	cr_assert_eq(policy_easter(2024) - 2, D("2024-03-29"));   /* Good Friday */
	cr_assert_eq(policy_easter(2000), D("2000-04-23"));
	cr_assert_eq(policy_easter(1818), D("1818-03-22"));
	cr_assert_eq(policy_easter(2038), D("2038-04-25"));
}

Test(policy, holidays_by_segment)
{
	struct policy *p = support_load_example("france-isp");
	const struct policy_jurisdiction *fr = policy_jurisdiction(p, "FR");

	cr_assert(policy_is_holiday(fr, D("2024-07-14"), "Europe/Paris", NULL));
	cr_assert(policy_is_holiday(fr, D("2024-04-01"), "Europe/Paris", NULL)); /* Easter Monday */
	cr_assert_not(policy_is_holiday(fr, D("2024-03-29"), "Europe/Paris", NULL));
	cr_assert(policy_is_holiday(fr, D("2024-03-29"), "Europe/Paris", "alsace-moselle"));
	cr_assert(policy_is_holiday(fr, D("2024-12-20"), "Indian/Reunion", NULL));
	cr_assert_not(policy_is_holiday(fr, D("2024-12-20"), "Europe/Paris", NULL));
	policy_free(p);
}

static struct sms_measure M(const char *s)
{
	struct sms_measure m;

	cr_assert_eq(sms_measure(s, strlen(s), &m), 0, "%s", s);
	return m;
}

Test(sms, encodings_and_segments)
{
	char buf[400];
	struct sms_measure m;

	m = M("Bonjour, réglez 12 € avant le 24/07.");
	cr_assert_eq(m.encoding, SMS_GSM7);
	cr_assert_eq(m.units, 37);  /* € costs two septets */
	cr_assert_eq(m.segments, 1);
	m = M("Olá, você deve R$ 10,00");
	cr_assert_eq(m.encoding, SMS_UCS2);   /* á is not in GSM 03.38 */
	cr_assert_eq(m.units, 23);
	m = M("Добрий вечір");
	cr_assert_eq(m.encoding, SMS_UCS2);
	cr_assert_eq(m.units, 12);
	m = M("1" "\xc2\xa0" "234" "\xe2\x80\xaf" "FBu");
	cr_assert_eq(m.encoding, SMS_GSM7);
	memset(buf, 'a', 160);
	buf[160] = '\0';
	cr_assert_eq(M(buf).segments, 1);
	buf[160] = 'a';
	buf[161] = '\0';
	cr_assert_eq(M(buf).segments, 2);
	memset(buf, 'a', 306);
	buf[306] = '\0';
	cr_assert_eq(M(buf).segments, 2);
	buf[306] = 'a';
	buf[307] = '\0';
	cr_assert_eq(M(buf).segments, 3);
	/* 152 septets then '{': the escape pair does not fit part one. */
	memset(buf, 'a', 152);
	memcpy(buf + 152, "{aaaaaaaaaa", 12);
	m = M(buf);
	cr_assert_eq(m.units, 164);
	cr_assert_eq(m.segments, 2);
	/* UCS-2: 70 single, 67 per part. */
	{
		char u[300];
		size_t n = 0;

		for (int i = 0; i < 70; i++) {
			u[n++] = '\xd0';
			u[n++] = '\x94';
		}
		u[n] = '\0';
		cr_assert_eq(M(u).segments, 1);
		u[n++] = '\xd0';
		u[n++] = '\x94';
		u[n] = '\0';
		cr_assert_eq(M(u).segments, 2);
	}
	cr_assert_eq(sms_measure("\xff", 1, &m), -1);
}

static void render(const char *pattern, const char *locale, const char *currency, int64_t minor,
		   const char *want)
{
	char *c = NULL, err[256], amount[128], out[1024];
	struct msgtpl_args a = { .name = "Ana", .amount = amount, .days_past_due = 1,
				 .due_date = D("2024-07-24"), .deadline = D("2024-07-24") };

	cr_assert_eq(msgtpl_compile(pattern, strlen(pattern), locale, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(money_format_locale(minor, currency, locale, amount, sizeof(amount)), 0);
	cr_assert_gt(msgtpl_render(c, locale, &a, out, sizeof(out)), 0);
	cr_assert_str_eq(out, want);
	free(c);
}

Test(msgtpl, render_each_locale)
{
	render("Olá {name}, {amount} em {due_date, date, short}, {days_past_due, plural, one {# dia} other {# dias}}",
	       "pt-BR", "BRL", 123456, "Olá Ana, R$\xc2\xa0" "1.234,56 em 24/07/2024, 1 dia");
	render("Bonjour {name}, {amount} avant le {deadline}", "fr-FR", "EUR", 123456,
	       "Bonjour Ana, 1\xe2\x80\xaf" "234,56\xc2\xa0€ avant le 24 juillet 2024");
	render("{name}, {amount} le {deadline, date, long}", "fr-BI", "BIF", 12500,
	       "Ana, 12\xe2\x80\xaf" "500\xc2\xa0" "FBu le 24 juillet 2024");
	render("{name}, {amount}, {days_past_due, plural, one {# день} few {# дні} many {# днів} other {# дня}}",
	       "uk-UA", "UAH", 10001, "Ana, 100,01\xc2\xa0₴, 1 день");
	render("{name} : {amount} l'échéance", "fr-CA", "CAD", 500, "Ana : 5,00\xc2\xa0$ l'échéance");
}

Test(msgtpl, refusals)
{
	char *c = NULL, err[256];

	cr_assert_neq(msgtpl_compile("{amount, number}", 16, "fr-FR", &c, err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, "cannot be formatted as 'number'"));
	cr_assert_neq(msgtpl_compile("{nmae}", 6, "fr-FR", &c, err, sizeof(err)), 0);
	cr_assert_str_eq(err, "unknown placeholder {nmae} (did you mean {name}?)");
	cr_assert_neq(msgtpl_compile("{days_left, plural, one {x}", 27, "fr-FR", &c, err, sizeof(err)), 0);
	cr_assert_null(c);
}
