/*
 * compliance — may this action reach this customer at instant T, and if
 * not, when is the next allowed moment? Answered from the jurisdiction's
 * rules (policy.h) and the customer's contact history across all channels.
 * The engine asks before every action and cannot bypass the answer: an
 * action outside the limits waits for `next`, or is dropped with the reason
 * written on the customer file. docs/policy.md, "Compliance: how the next
 * allowed moment is found", states the rules exactly.
 *
 * Pure: no I/O, no allocation (the zone cache of tz.h aside, on the first
 * use of a zone). Every pointer passed in is borrowed for the call only.
 * Instants are int64_t seconds since the epoch (caltime.h).
 *
 * What each kind of action is subject to:
 *
 *   sms, email, voice  channel allowed; voicemail; contact windows of the
 *                      local weekday; holidays; caps; quiet period
 *   portal             channel allowed; caps written for `portal` only (a
 *                      notice in the customer area reaches nobody at an
 *                      hour: it is shown whenever the customer looks)
 *   suspend            forbidden fees; the notice and its delay
 *   agent_queue, handoff  forbidden fees only (they contact nobody; the
 *                      agent's own call is checked as a voice action)
 *
 * Restoration after payment is not an action here: it is never deferred
 * and must happen by compliance_restore_deadline.
 */
#ifndef RELANCE_COMPLIANCE_H
#define RELANCE_COMPLIANCE_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "tz.h"

/* No allowed moment further than this after T: the action is dropped. */
#define COMPLIANCE_HORIZON_DAYS 366

/* One past contact attempt, on any channel, answered or not. */
struct compliance_contact {
	int64_t at;
	int channel;            /* enum policy_channel (never POLICY_ANY) */
	int conversation;       /* a call answered and heard: starts the quiet period */
};

struct compliance_action {
	enum policy_action_kind kind;
	int voicemail;          /* voice: the message would be left on voicemail */
	int notice_given;       /* suspend: a formal notice was given ... */
	int64_t notice_at;      /* ... at this instant */
	const char *const *fees; /* fees this action charges (suspend: on restoration) */
	size_t n_fees;
};

/* Everything an answer depends on, except the instant. */
struct compliance_query {
	const struct policy_jurisdiction *j;
	struct tz *zone;        /* the customer's zone; NULL: the jurisdiction's */
	const char *segment;    /* the customer's segment, or NULL (regional holidays) */
	struct compliance_action action;
	const struct compliance_contact *history; /* any order */
	size_t n_history;
};

enum compliance_verdict { COMPLIANCE_ALLOW, COMPLIANCE_DEFER, COMPLIANCE_DROP };

enum compliance_reason {
	COMPLIANCE_OK = 0,
	/* DEFER: the rule that set `next` */
	COMPLIANCE_WINDOW,      /* outside the contact windows of the local day */
	COMPLIANCE_HOLIDAY,     /* a public holiday for this customer */
	COMPLIANCE_CAP,         /* a cap over a rolling period is full */
	COMPLIANCE_QUIET,       /* inside the quiet period after a conversation */
	COMPLIANCE_NOTICE,      /* the notice was given too recently */
	/* DROP */
	COMPLIANCE_CHANNEL,     /* the channel is not allowed in the jurisdiction */
	COMPLIANCE_VOICEMAIL,   /* a message would be left on voicemail, forbidden */
	COMPLIANCE_FEE,         /* the action charges a forbidden fee */
	COMPLIANCE_NO_NOTICE,   /* a suspension without any notice given */
	COMPLIANCE_NEVER,       /* no allowed moment within the horizon (or a cap of 0) */
	COMPLIANCE_TZ_ERROR,    /* the zone could not convert an instant */
};

struct compliance_decision {
	enum compliance_verdict verdict;
	enum compliance_reason reason;
	int64_t next;           /* ALLOW: T; DEFER: the earliest allowed instant > T; DROP: 0 */
	char rule[48];          /* "window", "holiday", "cap sms 3/7d", "quiet period", "notice", ... */
	char text[224];         /* one sentence for the customer file */
};

/*
 * Decides whether q->action may happen at instant t. Returns 0 with the
 * decision in *out, or a negative tz_err when the zone fails to convert an
 * instant (then *out is a DROP with reason COMPLIANCE_TZ_ERROR). The
 * answer is exact: for DEFER, compliance_check at out->next is ALLOW and no
 * instant in [t, next) is allowed.
 */
int compliance_check(const struct compliance_query *q, int64_t t, struct compliance_decision *out);

/* Fills *a from a policy action: kind, voicemail and fees. The caller sets
 * notice_given and notice_at for a suspension. */
void compliance_action_init(struct compliance_action *a, const struct policy_action *pa);

/* The latest instant by which a service suspended for non-payment must be
 * restored after the payment at paid_at. Never subject to windows. */
int64_t compliance_restore_deadline(const struct policy_jurisdiction *j, int64_t paid_at);

const char *compliance_verdict_name(enum compliance_verdict v);

#endif
