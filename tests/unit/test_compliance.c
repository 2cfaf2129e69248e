/*
 * compliance: the five example policies' hard limits at real instants
 * (windows, holidays, caps, quiet period, notice, voicemail, fees), a DST
 * weekend, and a randomised check against a plain minute-by-minute oracle
 * that the next allowed moment is allowed and is the first one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/caltime.h"
#include "../../src/core/compliance.h"
#include "../../src/core/policy.h"
#include "support.h"
#include "../../src/core/tz.h"

static struct tz *zone(const char *name)
{
	struct tz *z = NULL;

	cr_assert_eq(tz_get(name, &z), TZ_OK, "%s", name);
	return z;
}

/* The instant of local "YYYY-MM-DD" "HH:MM" in zone z. */
static int64_t local(struct tz *z, const char *date, const char *hhmm)
{
	int32_t day;
	int64_t t;
	int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0');
	int m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');

	cr_assert_eq(date_parse(date, strlen(date), &day), CALTIME_OK, "%s", date);
	cr_assert_eq(tz_instant_of(z, day, h * 3600 + m * 60, &t), TZ_OK);
	return t;
}

/* A query for one jurisdiction of an example, in the jurisdiction's zone. */
struct fixture {
	struct policy *p;
	struct compliance_query q;
	struct tz *z;
};

static void fixture_init(struct fixture *f, const char *example, const char *code,
			 enum policy_action_kind kind)
{
	memset(f, 0, sizeof(*f));
	f->p = support_load_example(example);
	f->q.j = policy_jurisdiction(f->p, code);
	cr_assert_not_null(f->q.j, "%s", code);
	f->z = zone(f->q.j->timezone);
	f->q.zone = f->z;
	f->q.action.kind = kind;
}

static struct compliance_decision check(const struct fixture *f, int64_t t)
{
	struct compliance_decision d;

	cr_assert_eq(compliance_check(&f->q, t, &d), 0);
	return d;
}

static void expect_allow(const struct fixture *f, int64_t t)
{
	struct compliance_decision d = check(f, t);

	cr_assert_eq(d.verdict, COMPLIANCE_ALLOW, "%s: %s", d.rule, d.text);
	cr_assert_eq(d.next, t);
}

static void expect_defer(const struct fixture *f, int64_t t, int64_t next, const char *rule)
{
	struct compliance_decision d = check(f, t);
	char want[INSTANT_TEXT_LEN + 1], got[INSTANT_TEXT_LEN + 1];

	instant_format(next, want);
	instant_format(d.next, got);
	cr_assert_eq(d.verdict, COMPLIANCE_DEFER, "verdict %s (%s: %s)",
		     compliance_verdict_name(d.verdict), d.rule, d.text);
	cr_assert_eq(d.next, next, "next %s, want %s (%s: %s)", got, want, d.rule, d.text);
	cr_assert_str_eq(d.rule, rule, "%s", d.text);
	/* the moment it names is allowed */
	expect_allow(f, d.next);
}

static void expect_drop(const struct fixture *f, int64_t t, enum compliance_reason r)
{
	struct compliance_decision d = check(f, t);

	cr_assert_eq(d.verdict, COMPLIANCE_DROP, "verdict %s (%s: %s)",
		     compliance_verdict_name(d.verdict), d.rule, d.text);
	cr_assert_eq(d.reason, r, "reason %d (%s: %s)", d.reason, d.rule, d.text);
	cr_assert(d.rule[0] != '\0' && d.text[0] != '\0');
}

Test(compliance, brazil_weekend_call_waits_for_monday)
{
	struct fixture f;

	fixture_init(&f, "brazil-isp", "BR", POLICY_ACT_VOICE);
	expect_defer(&f, local(f.z, "2024-03-02", "10:00"), local(f.z, "2024-03-04", "08:00"),
		     "window");
	expect_defer(&f, local(f.z, "2024-03-03", "23:59"), local(f.z, "2024-03-04", "08:00"),
		     "window");
	expect_allow(&f, local(f.z, "2024-03-04", "08:00"));
	policy_free(f.p);
}

Test(compliance, brazil_evening_call_waits_for_the_next_morning)
{
	struct fixture f;

	fixture_init(&f, "brazil-isp", "BR", POLICY_ACT_VOICE);
	expect_defer(&f, local(f.z, "2024-03-05", "20:30"), local(f.z, "2024-03-06", "08:00"),
		     "window");
	/* windows are half-open: 20:00 itself is outside, 19:59:59 inside */
	expect_defer(&f, local(f.z, "2024-03-05", "20:00"), local(f.z, "2024-03-06", "08:00"),
		     "window");
	expect_allow(&f, local(f.z, "2024-03-05", "20:00") - 1);
	expect_defer(&f, local(f.z, "2024-03-05", "06:15"), local(f.z, "2024-03-05", "08:00"),
		     "window");
	/* Friday evening: the weekend is skipped */
	expect_defer(&f, local(f.z, "2024-03-08", "21:00"), local(f.z, "2024-03-11", "08:00"),
		     "window");
	policy_free(f.p);
}

Test(compliance, brazil_holidays_from_easter)
{
	struct fixture f;
	struct compliance_decision d;

	fixture_init(&f, "brazil-isp", "BR", POLICY_ACT_SMS);
	/* Carnival Tuesday 2024-02-13 → Ash Wednesday */
	expect_defer(&f, local(f.z, "2024-02-13", "10:00"), local(f.z, "2024-02-14", "08:00"),
		     "holiday");
	d = check(&f, local(f.z, "2024-02-13", "10:00"));
	cr_assert(strstr(d.text, "Carnaval (terça-feira)") != NULL, "%s", d.text);
	/* Friday before Carnival, evening: Monday and Tuesday are holidays */
	expect_defer(&f, local(f.z, "2024-02-09", "20:30"), local(f.z, "2024-02-14", "08:00"),
		     "holiday");
	/* Corpus Christi 2024-05-30 (Thursday) → Friday */
	expect_defer(&f, local(f.z, "2024-05-30", "09:00"), local(f.z, "2024-05-31", "08:00"),
		     "holiday");
	d = check(&f, local(f.z, "2024-05-30", "09:00"));
	cr_assert(strstr(d.text, "Corpus Christi") != NULL, "%s", d.text);
	/* Good Friday 2024-03-29 → Monday 1 April */
	expect_defer(&f, local(f.z, "2024-03-29", "12:00"), local(f.z, "2024-04-01", "08:00"),
		     "holiday");
	policy_free(f.p);
}

Test(compliance, brazil_state_holiday_only_in_its_zone)
{
	struct fixture f;
	struct tz *recife = zone("America/Recife");

	fixture_init(&f, "brazil-isp", "BR", POLICY_ACT_SMS);
	/* 9 July, São Paulo's Constitutionalist Revolution (a Tuesday in 2024) */
	expect_defer(&f, local(f.z, "2024-07-09", "10:00"), local(f.z, "2024-07-10", "08:00"),
		     "holiday");
	f.q.zone = recife;
	expect_allow(&f, local(recife, "2024-07-09", "10:00"));
	/* and 6 March is Pernambuco's, not São Paulo's */
	expect_defer(&f, local(recife, "2024-03-06", "10:00"), local(recife, "2024-03-07", "08:00"),
		     "holiday");
	f.q.zone = f.z;
	expect_allow(&f, local(f.z, "2024-03-06", "10:00"));
	policy_free(f.p);
}

Test(compliance, brazil_no_voicemail)
{
	struct fixture f;

	fixture_init(&f, "brazil-isp", "BR", POLICY_ACT_VOICE);
	f.q.action.voicemail = 1;
	expect_drop(&f, local(f.z, "2024-03-05", "10:00"), COMPLIANCE_VOICEMAIL);
	f.q.action.voicemail = 0;
	expect_allow(&f, local(f.z, "2024-03-05", "10:00"));
	policy_free(f.p);
}

Test(compliance, brazil_suspension_needs_fifteen_days_of_notice)
{
	struct fixture f;
	int64_t notice;

	fixture_init(&f, "brazil-isp", "BR", POLICY_ACT_SUSPEND);
	notice = local(f.z, "2024-03-01", "10:00");
	expect_drop(&f, notice + 10 * 86400, COMPLIANCE_NO_NOTICE);
	f.q.action.notice_given = 1;
	f.q.action.notice_at = notice;
	expect_defer(&f, notice + 10 * 86400, notice + 15 * 86400, "notice");
	expect_allow(&f, notice + 15 * 86400);
	/* a suspension is not a contact: no window applies (a Sunday night) */
	expect_allow(&f, local(f.z, "2024-03-17", "23:00"));
	policy_free(f.p);
}

Test(compliance, brazil_reconnection_fee_is_dropped)
{
	struct fixture f;
	static const char *const fees[] = { "reconnection" };
	static const char *const other[] = { "late_payment" };

	fixture_init(&f, "brazil-isp", "BR", POLICY_ACT_SUSPEND);
	f.q.action.notice_given = 1;
	f.q.action.notice_at = local(f.z, "2024-03-01", "10:00");
	f.q.action.fees = fees;
	f.q.action.n_fees = 1;
	expect_drop(&f, local(f.z, "2024-04-01", "10:00"), COMPLIANCE_FEE);
	f.q.action.fees = other;
	expect_allow(&f, local(f.z, "2024-04-01", "10:00"));
	policy_free(f.p);
}

Test(compliance, brazil_voice_cap_three_in_seven_days)
{
	struct fixture f;
	struct compliance_contact h[3];

	fixture_init(&f, "brazil-isp", "BR", POLICY_ACT_VOICE);
	h[0] = (struct compliance_contact){ local(f.z, "2024-03-04", "09:00"), POLICY_VOICE, 0 };
	h[1] = (struct compliance_contact){ local(f.z, "2024-03-06", "11:00"), POLICY_VOICE, 0 };
	h[2] = (struct compliance_contact){ local(f.z, "2024-03-08", "15:00"), POLICY_VOICE, 0 };
	f.q.history = h;
	f.q.n_history = 3;
	/* Monday 11 March 08:00: the three calls are within 7 days; the first
	 * leaves the period at 09:00 */
	expect_defer(&f, local(f.z, "2024-03-11", "08:00"), local(f.z, "2024-03-11", "09:00"),
		     "cap voice 3/7d");
	/* a call on Friday 19:00 whose cap frees on Saturday waits for
	 * Monday: the window made the last move */
	h[0].at = local(f.z, "2024-03-09", "10:00") - 7 * 86400;
	expect_defer(&f, local(f.z, "2024-03-08", "19:00"), local(f.z, "2024-03-11", "08:00"),
		     "window");
	/* an SMS is not a call: only `any` 2/1d counts it, and that is free */
	f.q.action.kind = POLICY_ACT_SMS;
	expect_allow(&f, local(f.z, "2024-03-11", "08:00"));
	policy_free(f.p);
}

Test(compliance, ukraine_windows)
{
	struct fixture f;

	fixture_init(&f, "ukraine-water", "UA", POLICY_ACT_VOICE);
	expect_defer(&f, local(f.z, "2024-03-05", "17:00"), local(f.z, "2024-03-05", "18:00"),
		     "window");
	expect_defer(&f, local(f.z, "2024-03-09", "08:00"), local(f.z, "2024-03-09", "09:00"),
		     "window");
	expect_allow(&f, local(f.z, "2024-03-10", "19:59"));
	expect_defer(&f, local(f.z, "2024-03-10", "20:00"), local(f.z, "2024-03-11", "18:00"),
		     "window");
	/* 8 March is a holiday (a Friday in 2024): the Saturday window */
	expect_defer(&f, local(f.z, "2024-03-08", "18:30"), local(f.z, "2024-03-09", "09:00"),
		     "holiday");
	/* e-mail is not one of its channels */
	f.q.action.kind = POLICY_ACT_EMAIL;
	expect_drop(&f, local(f.z, "2024-03-05", "18:30"), COMPLIANCE_CHANNEL);
	policy_free(f.p);
}

Test(compliance, ukraine_two_interactions_a_day)
{
	struct fixture f;
	struct compliance_contact h[2];

	fixture_init(&f, "ukraine-water", "UA", POLICY_ACT_VOICE);
	h[0] = (struct compliance_contact){ local(f.z, "2024-03-05", "18:05"), POLICY_SMS, 0 };
	h[1] = (struct compliance_contact){ local(f.z, "2024-03-05", "18:30"), POLICY_VOICE, 0 };
	f.q.history = h;
	f.q.n_history = 2;
	/* the third of the day waits until the SMS of 18:05 is a day old */
	expect_defer(&f, local(f.z, "2024-03-05", "19:00"), local(f.z, "2024-03-06", "18:05"),
		     "cap any 2/1d");
	/* late in the evening: the same, the next day's window is open then */
	expect_defer(&f, local(f.z, "2024-03-05", "20:59"), local(f.z, "2024-03-06", "18:05"),
		     "cap any 2/1d");
	/* contacts late on Friday push Saturday's to the window after them */
	h[0].at = local(f.z, "2024-03-08", "19:40");
	h[1].at = local(f.z, "2024-03-08", "19:50");
	expect_defer(&f, local(f.z, "2024-03-09", "09:00"), local(f.z, "2024-03-09", "19:40"),
		     "cap any 2/1d");
	/* ... and when that is after Saturday's window closes, Sunday's */
	h[0].at = local(f.z, "2024-03-08", "20:40");
	h[1].at = local(f.z, "2024-03-08", "20:50");
	expect_defer(&f, local(f.z, "2024-03-09", "09:00"), local(f.z, "2024-03-10", "09:00"),
		     "window");
	policy_free(f.p);
}

Test(compliance, ukraine_seven_calls_in_seven_days)
{
	struct fixture f;
	struct compliance_contact h[7];
	static const char *const days[] = { "2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07",
					     "2024-03-08", "2024-03-09", "2024-03-10" };

	fixture_init(&f, "ukraine-water", "UA", POLICY_ACT_VOICE);
	for (int i = 0; i < 7; i++)
		h[i] = (struct compliance_contact){ local(f.z, days[i], "19:00"), POLICY_VOICE, 0 };
	/* any order: the oldest is found, not assumed first */
	{
		struct compliance_contact tmp = h[0];

		h[0] = h[4];
		h[4] = tmp;
	}
	f.q.history = h;
	f.q.n_history = 7;
	expect_defer(&f, local(f.z, "2024-03-11", "18:00"), local(f.z, "2024-03-11", "19:00"),
		     "cap voice 7/7d");
	/* an SMS is held by nothing but `any` 2/1d: one call in the last day */
	f.q.action.kind = POLICY_ACT_SMS;
	expect_allow(&f, local(f.z, "2024-03-11", "18:00"));
	policy_free(f.p);
}

Test(compliance, quebec_sunday_across_spring_forward)
{
	struct fixture f;
	struct compliance_decision d;
	int32_t day, secs;

	fixture_init(&f, "quebec-telecom", "QC", POLICY_ACT_SMS);
	/* 10 March 2024: Toronto springs forward at 02:00. Sunday 01:30 EST
	 * → Monday 08:00 EDT, 29.5 hours later, not 30.5. */
	d = check(&f, local(f.z, "2024-03-10", "01:30"));
	cr_assert_eq(d.verdict, COMPLIANCE_DEFER);
	cr_assert_eq(d.next - local(f.z, "2024-03-10", "01:30"), 29 * 3600 + 1800);
	cr_assert_eq(tz_local_time(f.z, d.next, &day, &secs), TZ_OK);
	cr_assert_eq(secs, 8 * 3600);
	cr_assert_str_eq(d.rule, "window");
	expect_defer(&f, local(f.z, "2024-03-10", "12:00"), local(f.z, "2024-03-11", "08:00"),
		     "window");
	/* Montréal is a link to Toronto: same answer */
	f.q.zone = zone("America/Montreal");
	expect_defer(&f, local(f.z, "2024-03-10", "12:00"), local(f.z, "2024-03-11", "08:00"),
		     "window");
	policy_free(f.p);
}

Test(compliance, quebec_holidays)
{
	struct fixture f;

	fixture_init(&f, "quebec-telecom", "QC", POLICY_ACT_VOICE);
	/* Saint-Jean-Baptiste, Monday 24 June 2024 */
	expect_defer(&f, local(f.z, "2024-06-24", "09:00"), local(f.z, "2024-06-25", "08:00"),
		     "holiday");
	/* Saturday evening before Journée nationale des patriotes (20 May) */
	expect_defer(&f, local(f.z, "2024-05-18", "20:00"), local(f.z, "2024-05-21", "08:00"),
		     "holiday");
	policy_free(f.p);
}

Test(compliance, quebec_quiet_period_after_a_conversation)
{
	struct fixture f;
	struct compliance_contact h[1];

	fixture_init(&f, "quebec-telecom", "QC", POLICY_ACT_SMS);
	h[0] = (struct compliance_contact){ local(f.z, "2024-04-02", "10:00"), POLICY_VOICE, 1 };
	f.q.history = h;
	f.q.n_history = 1;
	/* 72 hours: Friday 10:00; any channel is held */
	expect_defer(&f, local(f.z, "2024-04-03", "09:00"), local(f.z, "2024-04-05", "10:00"),
		     "quiet period");
	f.q.action.kind = POLICY_ACT_EMAIL;
	expect_defer(&f, local(f.z, "2024-04-05", "09:59"), local(f.z, "2024-04-05", "10:00"),
		     "quiet period");
	/* an unanswered call starts no quiet period (only the caps count it) */
	h[0].conversation = 0;
	expect_allow(&f, local(f.z, "2024-04-03", "09:00"));
	/* a quiet period ending on Sunday waits for Monday's window */
	h[0] = (struct compliance_contact){ local(f.z, "2024-04-04", "19:30"), POLICY_VOICE, 1 };
	expect_defer(&f, local(f.z, "2024-04-05", "09:00"), local(f.z, "2024-04-08", "08:00"),
		     "window");
	policy_free(f.p);
}

Test(compliance, france_saturday_dst_and_easter_monday)
{
	struct fixture f;
	struct compliance_decision d;
	int32_t day, secs;
	int64_t t;

	fixture_init(&f, "france-isp", "FR", POLICY_ACT_EMAIL);
	/* Saturday windows 09:00-12:00 and 14:00-18:00 */
	expect_defer(&f, local(f.z, "2024-03-23", "12:30"), local(f.z, "2024-03-23", "14:00"),
		     "window");
	/* Saturday 30 March 18:30 CET; Paris springs forward on Sunday 31;
	 * Monday 1 April is Easter Monday: Tuesday 08:00 CEST */
	t = local(f.z, "2024-03-30", "18:30");
	expect_defer(&f, t, local(f.z, "2024-04-02", "08:00"), "holiday");
	d = check(&f, t);
	cr_assert_eq(d.next - t, (2 * 24 + 13) * 3600 + 1800 - 3600);
	cr_assert_eq(tz_local_time(f.z, d.next, &day, &secs), TZ_OK);
	cr_assert_eq(secs, 8 * 3600);
	cr_assert(strstr(d.text, "Lundi de Pâques") != NULL, "%s", d.text);
	/* the portal notice is shown whenever the customer looks */
	f.q.action.kind = POLICY_ACT_PORTAL;
	expect_allow(&f, local(f.z, "2024-03-31", "03:00"));
	policy_free(f.p);
}

Test(compliance, france_alsace_moselle_good_friday)
{
	struct fixture f;

	fixture_init(&f, "france-isp", "FR", POLICY_ACT_SMS);
	expect_allow(&f, local(f.z, "2024-03-29", "10:00"));
	f.q.segment = "alsace-moselle";
	expect_defer(&f, local(f.z, "2024-03-29", "10:00"), local(f.z, "2024-03-30", "09:00"),
		     "holiday");
	policy_free(f.p);
}

Test(compliance, france_one_interaction_a_day_and_two_sms_a_week)
{
	struct fixture f;
	struct compliance_contact h[2];

	fixture_init(&f, "france-isp", "FR", POLICY_ACT_SMS);
	h[0] = (struct compliance_contact){ local(f.z, "2024-03-04", "10:00"), POLICY_SMS, 0 };
	h[1] = (struct compliance_contact){ local(f.z, "2024-03-06", "10:00"), POLICY_SMS, 0 };
	f.q.history = h;
	f.q.n_history = 2;
	/* Thursday: 1/1d is free, 2 SMS in 7 days is not until Monday 10:00 */
	expect_defer(&f, local(f.z, "2024-03-07", "10:00"), local(f.z, "2024-03-11", "10:00"),
		     "cap sms 2/7d");
	/* an e-mail is held by 1/1d only, until Thursday 10:00 */
	f.q.action.kind = POLICY_ACT_EMAIL;
	expect_defer(&f, local(f.z, "2024-03-06", "15:00"), local(f.z, "2024-03-07", "10:00"),
		     "cap any 1/1d");
	policy_free(f.p);
}

Test(compliance, burundi_channels_windows_and_restore)
{
	struct fixture f;

	fixture_init(&f, "burundi-mobile", "BI", POLICY_ACT_SMS);
	/* Sunday → Monday 08:00 Bujumbura */
	expect_defer(&f, local(f.z, "2024-07-21", "10:00"), local(f.z, "2024-07-22", "08:00"),
		     "window");
	/* 1 July, Independence Day (a Monday in 2024) */
	expect_defer(&f, local(f.z, "2024-07-01", "10:00"), local(f.z, "2024-07-02", "08:00"),
		     "holiday");
	f.q.action.kind = POLICY_ACT_EMAIL;
	expect_drop(&f, local(f.z, "2024-07-22", "10:00"), COMPLIANCE_CHANNEL);
	/* total suspension the day after the deadline, 8 days after the notice */
	f.q.action.kind = POLICY_ACT_SUSPEND;
	f.q.action.notice_given = 1;
	f.q.action.notice_at = local(f.z, "2024-07-17", "09:00");
	expect_allow(&f, local(f.z, "2024-07-25", "00:00"));
	expect_defer(&f, local(f.z, "2024-07-23", "00:00"), local(f.z, "2024-07-24", "09:00"),
		     "notice");
	cr_assert_eq(compliance_restore_deadline(f.q.j, 1000000), 1000000 + 3600);
	policy_free(f.p);
}

Test(compliance, restore_deadline_and_unlimited_actions)
{
	struct fixture f;

	fixture_init(&f, "brazil-isp", "BR", POLICY_ACT_QUEUE);
	cr_assert_eq(compliance_restore_deadline(f.q.j, 1700000000), 1700000000 + 24 * 3600);
	/* putting an account in an agent queue contacts nobody */
	expect_allow(&f, local(f.z, "2024-03-03", "03:00"));
	f.q.action.kind = POLICY_ACT_HANDOFF;
	expect_allow(&f, local(f.z, "2024-12-25", "03:00"));
	policy_free(f.p);
}

Test(compliance, action_from_policy)
{
	struct policy *p = support_load_example("brazil-isp");
	const struct policy_action *pa = &p->strategies[0].stages[1].actions[0];
	struct compliance_action a;

	compliance_action_init(&a, pa);
	cr_assert_eq(a.kind, POLICY_ACT_VOICE);
	cr_assert_eq(a.voicemail, 0);
	cr_assert_eq(a.notice_given, 0);
	policy_free(p);
}

Test(compliance, never_allowed_is_dropped)
{
	struct fixture f;
	struct policy_jurisdiction j;
	struct policy_cap zero = { POLICY_SMS, 0, 7 };

	fixture_init(&f, "brazil-isp", "BR", POLICY_ACT_SMS);
	j = *f.q.j;
	for (int i = 0; i < 7; i++)
		j.n_windows[i] = 0;
	f.q.j = &j;
	expect_drop(&f, local(f.z, "2024-03-05", "10:00"), COMPLIANCE_NEVER);
	j = *policy_jurisdiction(f.p, "BR");
	j.caps = &zero;
	j.n_caps = 1;
	expect_drop(&f, local(f.z, "2024-03-05", "10:00"), COMPLIANCE_NEVER);
	f.q.action.kind = POLICY_ACT_EMAIL;
	expect_allow(&f, local(f.z, "2024-03-05", "10:00"));
	/* a zone of NULL means the jurisdiction's */
	f.q.zone = NULL;
	expect_allow(&f, local(f.z, "2024-03-05", "10:00"));
	policy_free(f.p);
}

/*
 * The oracle: the rules read literally at one instant, from the local wall
 * clock (the example windows start at 08:00 or later, away from every DST
 * transition, so wall clock and instants agree).
 */
static int oracle(const struct compliance_query *q, int channel, int64_t x)
{
	const struct policy_jurisdiction *j = q->j;
	int32_t day, secs;
	int wd, in = 0;

	cr_assert_eq(tz_local_time(q->zone, x, &day, &secs), TZ_OK);
	if (policy_is_holiday(j, day, tz_name(q->zone), q->segment))
		return 0;
	wd = date_weekday(day) - 1;
	for (size_t i = 0; i < j->n_windows[wd]; i++)
		if (j->windows[wd][i].start * 60 <= secs && secs < j->windows[wd][i].end * 60)
			in = 1;
	if (!in)
		return 0;
	for (size_t i = 0; i < q->n_history; i++)
		if (q->history[i].conversation &&
		    x < q->history[i].at + (int64_t)j->quiet_hours_after_conversation * 3600)
			return 0;
	for (size_t c = 0; c < j->n_caps; c++) {
		const struct policy_cap *cap = &j->caps[c];
		int n = 0;

		if (cap->channel != POLICY_ANY && cap->channel != channel)
			continue;
		for (size_t i = 0; i < q->n_history; i++) {
			const struct compliance_contact *h = &q->history[i];

			if ((cap->channel == POLICY_ANY ? h->channel != POLICY_PORTAL
							: h->channel == cap->channel) &&
			    h->at > x - (int64_t)cap->days * 86400 && h->at <= x)
				n++;
		}
		if (n >= cap->max)
			return 0;
	}
	return 1;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

Test(compliance, next_is_the_first_allowed_moment, .timeout = 120)
{
	static const char *const examples[][2] = { { "brazil-isp", "BR" },
						    { "burundi-mobile", "BI" },
						    { "france-isp", "FR" },
						    { "ukraine-water", "UA" },
						    { "quebec-telecom", "QC" } };
	static const char *const br_zones[] = { "America/Sao_Paulo", "America/Recife",
						"America/Manaus" };
	static const enum policy_action_kind kinds[] = { POLICY_ACT_SMS, POLICY_ACT_EMAIL,
							 POLICY_ACT_VOICE };
	struct policy *p[5];
	int64_t year_start = 1704067200; /* 2024-01-01T00:00:00Z */
	int deferred = 0, allowed = 0, scanned = 0;

	for (int i = 0; i < 5; i++)
		p[i] = support_load_example(examples[i][0]);
	for (int iter = 0; iter < 400; iter++) {
		int e = (int)rnd(5);
		struct compliance_contact h[12];
		struct compliance_query q = { 0 };
		struct compliance_decision d, d2;
		int64_t t = year_start + (int64_t)rnd(366 * 86400);
		int channel, n = (int)rnd(13);

		q.j = policy_jurisdiction(p[e], examples[e][1]);
		q.zone = zone(e == 0 ? br_zones[rnd(3)] : q.j->timezone);
		q.segment = e == 2 && rnd(2) ? "alsace-moselle" : NULL;
		q.action.kind = kinds[rnd(3)];
		channel = (int)q.action.kind; /* the message kinds share the channels' numbers */
		if (rnd(4) == 0)
			t -= t % 60;
		for (int i = 0; i < n; i++) {
			h[i].at = t - 1 - (int64_t)rnd(8 * 86400);
			h[i].channel = (int)rnd(4);
			h[i].conversation = h[i].channel == POLICY_VOICE && rnd(3) == 0;
		}
		q.history = h;
		q.n_history = (size_t)n;

		cr_assert_eq(compliance_check(&q, t, &d), 0);
		if (!(q.j->channels & (1u << channel))) {
			cr_assert_eq(d.verdict, COMPLIANCE_DROP);
			cr_assert_eq(d.reason, COMPLIANCE_CHANNEL);
			continue;
		}
		if (d.verdict == COMPLIANCE_ALLOW) {
			allowed++;
			cr_assert(oracle(&q, channel, t), "iter %d: allowed at T, oracle says no", iter);
			continue;
		}
		cr_assert_eq(d.verdict, COMPLIANCE_DEFER, "iter %d: %s %s", iter, d.rule, d.text);
		deferred++;
		cr_assert_gt(d.next, t);
		cr_assert(oracle(&q, channel, d.next), "iter %d: next not allowed (%s)", iter, d.text);
		cr_assert_eq(compliance_check(&q, d.next, &d2), 0);
		cr_assert_eq(d2.verdict, COMPLIANCE_ALLOW, "iter %d", iter);
		cr_assert_eq(d2.next, d.next);
		cr_assert(!oracle(&q, channel, t), "iter %d: T was allowed (%s)", iter, d.text);
		cr_assert(!oracle(&q, channel, d.next - 1), "iter %d: next-1 allowed (%s)", iter,
			  d.text);
		/* every minute in [T, next) when the wait is under four days,
		 * else 500 minutes drawn at random */
		{
			int64_t first = t + (60 - ((t % 60) + 60) % 60) % 60;
			int64_t span = d.next - first;

			if (span <= 4 * 86400) {
				for (int64_t x = first; x < d.next; x += 60) {
					cr_assert(!oracle(&q, channel, x), "iter %d: %lld allowed before next (%s)",
						  iter, (long long)x, d.text);
					scanned++;
				}
			} else {
				for (int s = 0; s < 500; s++) {
					int64_t x = first + (int64_t)rnd((uint64_t)span / 60) * 60;

					cr_assert(!oracle(&q, channel, x), "iter %d: %lld allowed before next (%s)",
						  iter, (long long)x, d.text);
					scanned++;
				}
			}
		}
		/* from any instant in [T, next) the answer is the same moment */
		for (int s = 0; s < 5; s++) {
			int64_t x = t + (int64_t)rnd((uint64_t)(d.next - t));

			cr_assert_eq(compliance_check(&q, x, &d2), 0);
			cr_assert_eq(d2.verdict, COMPLIANCE_DEFER);
			cr_assert_eq(d2.next, d.next, "iter %d", iter);
		}
	}
	cr_assert_gt(deferred, 100);
	cr_assert_gt(allowed, 20);
	cr_assert_gt(scanned, 10000);
	for (int i = 0; i < 5; i++)
		policy_free(p[i]);
}

Test(compliance, window_start_in_a_dst_gap_moves_forward)
{
	struct fixture f;
	struct policy_jurisdiction j;
	struct policy_window night = { 2 * 60 + 30, 4 * 60 };

	fixture_init(&f, "france-isp", "FR", POLICY_ACT_EMAIL);
	j = *f.q.j;
	j.windows[6] = &night;   /* Sundays 02:30-04:00 */
	j.n_windows[6] = 1;
	j.n_caps = 0;
	f.q.j = &j;
	/* Paris, Sunday 31 March 2024: 02:00 CET jumps to 03:00 CEST, so
	 * 02:30 does not exist and the window opens at 03:30 CEST */
	expect_defer(&f, local(f.z, "2024-03-30", "19:00"), local(f.z, "2024-03-31", "03:30"),
		     "window");
	cr_assert_eq(local(f.z, "2024-03-31", "03:30") - local(f.z, "2024-03-31", "02:30"), 0);
	/* a week later the window opens at 02:30 as written */
	expect_defer(&f, local(f.z, "2024-04-06", "19:00"), local(f.z, "2024-04-07", "02:30"),
		     "window");
	policy_free(f.p);
}
