/*
 * policy — the collection policy a collections manager writes in YAML
 * (docs/policy.md), parsed into plain structs.
 *
 * policy_parse reads the whole text and reports every problem it finds,
 * each with its line and column, never only the first. A policy with any
 * problem is not returned. `policy load` is policy_parse followed by
 * storing policy->source, the exact text that was checked.
 *
 * Ownership: everything reachable from a struct policy lives in one arena
 * freed by policy_free; no pointer into it survives that call.
 * Amounts are int64_t minor units of the strategy's or campaign's currency;
 * times of day are minutes after local midnight; dates are caltime day
 * numbers.
 */
#ifndef RELANCE_POLICY_H
#define RELANCE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "sms.h"

enum policy_channel {
	POLICY_SMS, POLICY_EMAIL, POLICY_VOICE, POLICY_PORTAL,
	POLICY_N_CHANNELS,
	POLICY_ANY = -1,        /* a cap across every channel */
};

enum policy_action_kind {
	POLICY_ACT_SMS, POLICY_ACT_EMAIL, POLICY_ACT_VOICE, POLICY_ACT_PORTAL,
	POLICY_ACT_QUEUE, POLICY_ACT_SUSPEND, POLICY_ACT_HANDOFF,
};

/* How far a service is cut, shallowest first (docs/provisioning.md): a
 * deeper level replaces a shallower one on a suspended service. */
enum policy_suspend_level { POLICY_THROTTLE, POLICY_WALLED_GARDEN, POLICY_TOTAL, POLICY_N_LEVELS };

/* "throttle", "walled_garden", "total". */
const char *policy_level_name(enum policy_suspend_level l);
/* The level a name gives ("partial", the earlier name of "throttle",
 * included); -1 for none. */
int policy_level_parse(const char *name);

struct policy_window {
	int start, end;         /* minutes, 0 <= start < end <= 1440 */
};

enum policy_holiday_kind { POLICY_HOL_DATE, POLICY_HOL_YEARLY, POLICY_HOL_EASTER };

struct policy_holiday {
	const char *name;
	enum policy_holiday_kind kind;
	int32_t date;           /* POLICY_HOL_DATE */
	int month, day;         /* POLICY_HOL_YEARLY */
	int easter_offset;      /* POLICY_HOL_EASTER: days after Easter Sunday */
	const char **zones;     /* only customers in these zones (none: all) */
	size_t n_zones;
	const char **segments;  /* only customers of these segments (none: all) */
	size_t n_segments;
};

struct policy_cap {
	int channel;            /* enum policy_channel or POLICY_ANY */
	int max;                /* at most `max` attempts ... */
	int days;               /* ... in any `days` consecutive days (rolling) */
};

struct policy_jurisdiction {
	const char *code;       /* the customers' `jurisdiction` column */
	const char *timezone;   /* default zone of its customers */
	char currency[4];       /* "" when not given */
	const char **locales;   /* locales its customers use: templates needed */
	size_t n_locales;
	struct policy_window *windows[7]; /* [0] Monday ... [6] Sunday */
	size_t n_windows[7];
	struct policy_holiday *holidays;
	size_t n_holidays;
	struct policy_cap *caps;
	size_t n_caps;
	unsigned channels;      /* bit per enum policy_channel allowed */
	int quiet_hours_after_conversation;
	int voicemail;          /* collection messages may be left on voicemail */
	int notice_days_before_suspension;
	int restore_within_hours;
	const char **forbidden_fees;
	size_t n_forbidden_fees;
	int disputes_freeze_clocks;
	/* A credit bureau listing is removed within this many business days
	 * (Monday to Friday, not a holiday) after the debt is paid; 0: no
	 * such rule. Brazil: 5 (CDC art. 43, STJ Súmula 548). */
	int bureau_removal_business_days;
	/* Calls first ask the callee to confirm by a key that they are the
	 * customer; nothing about the debt is played without it (dialer.h). */
	int confirm_identity;
	int line;
};

struct policy_range {
	int has_min, has_max;
	int64_t min, max;       /* inclusive */
};

struct policy_cond {
	struct policy_range days_past_due, overdue, balance, broken_promises, days_since_notice;
	const char **segments;      /* any of */
	size_t n_segments;
	const char **service_kinds; /* any of */
	size_t n_service_kinds;
	const char **tags;          /* all of */
	size_t n_tags;
	int notice_given;           /* -1 either, 0 no, 1 yes */
};

struct policy_action {
	enum policy_action_kind kind;
	const char *template;   /* messages */
	int voicemail;          /* voice: may leave the message on voicemail */
	const char *queue;      /* agent_queue */
	int priority;           /* agent_queue: 1 (highest) .. 9 */
	enum policy_suspend_level level;
	const char **services;  /* suspend: service kinds, or "all" */
	size_t n_services;
	const char **fees;      /* suspend: fees charged on restoration */
	size_t n_fees;
	const char *handoff_to; /* agency, credit_bureau, notary, court */
	int notice;             /* messages: this is the formal notice before suspension */
	int every_days, times;  /* repeated every N days, at most M times in all */
	int line, column;
};

struct policy_stage {
	const char *name;
	struct policy_cond when;
	struct policy_action *actions;
	size_t n_actions;
	int line;
};

struct policy_strategy {
	const char *name;
	const char **jurisdictions;
	size_t n_jurisdictions;
	char currency[4];
	struct policy_stage *stages;
	size_t n_stages;
};

struct policy_campaign {
	const char *name;
	const char **jurisdictions;
	size_t n_jurisdictions;
	char currency[4];
	struct policy_cond audience;
	int has_send_on;
	int32_t send_on;
	int32_t deadline;       /* the last day to pay */
	struct policy_action *notice;
	size_t n_notice;
	struct policy_action *after_deadline;
	size_t n_after_deadline;
};

struct policy_text {
	const char *locale;
	const char *source;     /* as written */
	const char *compiled;   /* numbered ICU pattern (msgtpl.h) */
	struct sms_measure sms; /* sms templates: measured on a sample rendering */
	int line, column;
};

struct policy_template {
	const char *name;
	int channel;            /* enum policy_channel */
	struct policy_text *texts;
	size_t n_texts;
	struct policy_text *subjects; /* e-mail only */
	size_t n_subjects;
	int max_segments;       /* sms: 0 = no limit */
};

/* What one role may agree to alone (docs/policy.md "Arrangements"). */
struct policy_plan_authority {
	int max_instalments;        /* 0..120; 0: may not offer plans at all */
	int min_down_payment_pct;   /* of the debt the plan covers, 0..100 */
};

/*
 * The `arrangements:` section. Every field has a default (in brackets),
 * used when the section or the key is absent. A parsed policy guarantees
 * promise_default_days <= promise_max_days, and that the agent's authority
 * lies within the supervisor's: agent.max_instalments <=
 * supervisor.max_instalments and agent.min_down_payment_pct >=
 * supervisor.min_down_payment_pct.
 */
struct policy_arrangements {
	int promise_max_days;       /* [30] latest promise date, days after today, 1..365 */
	int promise_tolerance_pct;  /* [0] kept when paid >= amount * (100 - pct) / 100, 0..50 */
	int promise_default_days;   /* [7] a promise made by a key press on a call */
	struct policy_plan_authority agent;      /* [6 instalments, 10 %] */
	struct policy_plan_authority supervisor; /* [24 instalments, 0 %] */
	/* What a customer may ask for alone in the portal, accepted at once;
	 * within the agent's. [the agent's, at most 3 instalments] */
	struct policy_plan_authority customer;
	int plan_grace_days;        /* [5] 0..60 days late before an instalment is missed */
	int plan_proposal_days;     /* [7] a proposal not accepted by then expires, 1..60 */
	int dispute_answer_days;    /* [30] a dispute not answered by then is late, 1..365 */
	int line;                   /* of `arrangements:`; 0 when the section is absent */
};

/*
 * The `voice:` section: what the dialer (dialer.h) does with a call that
 * did not reach the customer. Every field has a default (in brackets).
 */
struct policy_voice {
	int retry_busy_minutes;      /* [10] 1..1440 before calling a busy line again */
	int retry_no_answer_minutes; /* [60] 1..1440 after no answer or no identity key */
	int max_unanswered;          /* [3] 1..20 such calls before the call is given up */
	int line;                    /* of `voice:`; 0 when the section is absent */
};

struct policy {
	const char *name;
	const char *source;     /* the exact text parsed, NUL-terminated */
	size_t source_len;
	struct policy_jurisdiction *jurisdictions;
	size_t n_jurisdictions;
	struct policy_strategy *strategies;
	size_t n_strategies;
	struct policy_campaign *campaigns;
	size_t n_campaigns;
	struct policy_template *templates;
	size_t n_templates;
	struct policy_arrangements arrangements;
	struct policy_voice voice;
	struct policy_arena *arena;
};

struct policy_diag {
	int line, column;       /* 1-based */
	char *message;
};

struct policy_diags {
	struct policy_diag *v;
	size_t n, cap;
};

#define POLICY_MAX_SOURCE (4u << 20)
#define POLICY_MAX_DIAGS 1000

/*
 * Parses text[0..len) (`name` is only used in messages). Returns 0 and a
 * policy in *out when there is no problem; otherwise -1, *out NULL and
 * every problem appended to *diags in the order of the text (at most
 * POLICY_MAX_DIAGS). diags must be zeroed or released before the call.
 */
int policy_parse(const char *name, const char *text, size_t len, struct policy **out,
		 struct policy_diags *diags);
void policy_free(struct policy *p);
void policy_diags_release(struct policy_diags *d);

const struct policy_jurisdiction *policy_jurisdiction(const struct policy *p, const char *code);
const struct policy_template *policy_template(const struct policy *p, const char *name);
/* The text of a template for a locale: exact tag, else its language ("fr"
 * for "fr-BI"), else NULL. */
const struct policy_text *policy_template_text(const struct policy_template *t, const char *locale);

const char *policy_channel_name(int channel);

/* Easter Sunday of a Gregorian year (anonymous Gregorian algorithm). */
int32_t policy_easter(int year);
/* Whether `day` is a public holiday of j for a customer in `zone` (may be
 * NULL) and `segment` (may be NULL). */
int policy_is_holiday(const struct policy_jurisdiction *j, int32_t day, const char *zone,
		      const char *segment);

#endif
