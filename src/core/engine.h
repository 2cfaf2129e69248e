/*
 * engine — what the collection policy decides for one account at instant T,
 * and why (docs/engine.md).
 *
 * Pure: given the policy and its version, the account's facts and position,
 * the state of its case and the instant, it returns decisions. No I/O, no
 * clock, no allocation but the output arrays; the same input always gives
 * the same decisions, in the same order, with the same idempotency keys.
 * The engine decides WHAT and WHY and from when an action is due
 * (`not_before`); WHEN it may actually reach the customer is compliance's
 * answer (compliance.h), asked by the runner, never here.
 *
 * Ownership: every pointer in the input is borrowed for the call only. A
 * decision points into the policy (strategy, stage, campaign, action,
 * template, queue ...) and into the account's services (service ids): it is
 * valid while both are. Rules and keys are copied into the decision.
 *
 * Money: int64_t minor units of the account's currency, as in position.h.
 */
#ifndef RELANCE_ENGINE_H
#define RELANCE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "position.h"

/* "Never happened" for every instant of the case below. */
#define ENGINE_NEVER INT64_MIN

struct engine_service {
	const char *id;
	const char *kind;       /* mobile, fixed_internet, water ... */
};

/* A service suspended now. `rule` is the rule of the action that
 * suspended it (as in engine_decision.rule), or NULL when unknown: it
 * decides when a suspension outlives a change of stage (docs/engine.md). */
struct engine_suspension {
	const char *service_id;
	enum policy_suspend_level level;
	int64_t since;          /* the instant it was suspended: part of the restore key */
	const char *rule;
};

/* Action i of the current stage: performed (or written to the outbox,
 * as the store counts it) `done` times, the last at `last_at`. */
struct engine_action_state {
	int done;
	int64_t last_at;        /* ENGINE_NEVER when done == 0 */
};

/* A campaign this account has been part of, by the campaign's name. */
struct engine_campaign_state {
	const char *name;
	int64_t notified_at;    /* the notice went (or was written): ENGINE_NEVER if not */
	int after_deadline_done; /* its after-deadline actions were written */
};

struct engine_account {
	const char *account_id;
	const char *currency;   /* ISO 4217 of the account */
	const char *jurisdiction; /* a key of policy->jurisdictions */
	const char *segment;    /* NULL or "" when none */
	const struct engine_service *services;
	size_t n_services;
	const char *const *tags;
	size_t n_tags;
	/* The position at T (position_compute or a snapshot at T's date).
	 * Only the scalar fields are read. */
	const struct position *position;
	/* What is under an open dispute, >= 0: taken out of overdue and
	 * balance before any condition is evaluated (SPEC.md "Positions" 6).
	 * Where the jurisdiction's disputes_freeze_clocks holds, no
	 * suspension is decided while it is > 0. */
	int64_t disputed;
	/* Arrangements (arrange.h, docs/arrangements.md):
	 * promised  what open promises cover, >= 0: taken out like a disputed
	 *           amount; a promise covering everything collectible pauses;
	 * paused    no dunning at all (a current plan, a hand-off, a promise
	 *           covering the debt): the case stays where it stood, no
	 *           action and no stage change is decided;
	 * restore   lift every suspension now (a plan whose first payment is
	 *           met), paused or not. */
	int64_t promised;
	int paused;
	int restore;
};

struct engine_case {
	const char *strategy;   /* NULL when no stage is open */
	const char *stage;      /* NULL: not in any stage */
	int64_t stage_entered_at;
	/* Indexed like the current stage's actions; missing entries (n_actions
	 * shorter than the stage's) count as never done. */
	const struct engine_action_state *actions;
	size_t n_actions;
	int64_t notice_at;      /* the formal notice (an action with notice: true); ENGINE_NEVER if none */
	const struct engine_suspension *suspended;
	size_t n_suspended;
	int broken_promises;
	const struct engine_campaign_state *campaigns;
	size_t n_campaigns;
};

struct engine_input {
	const struct policy *policy;
	int64_t policy_version; /* recorded in every decision and key */
	const struct engine_account *account;
	const struct engine_case *kase; /* NULL: a fresh account, no case at all */
	int64_t now;            /* T */
	int32_t today;          /* the customer's local date at T (caltime day) */
};

enum engine_decision_kind {
	ENGINE_ENTER_STAGE,     /* record stage + stage_entered_at = `not_before` (T) */
	ENGINE_LEAVE_CASE,      /* close the case: no stage any more */
	ENGINE_RESTORE,         /* lift the suspension of one service */
	ENGINE_ACTION,          /* write an outbox row */
};

struct engine_decision {
	enum engine_decision_kind kind;
	int64_t policy_version;
	/* "strategy/stage", "strategy/stage/action#i",
	 * "campaign/NAME/notice#i", "campaign/NAME/after_deadline#i",
	 * "strategy/stage/restore", "campaign/NAME/restore" (docs/engine.md) */
	char rule[192];
	/* Idempotency key: equal inputs give equal keys, and two occurrences
	 * of an action never share one. */
	char key[384];
	int64_t not_before;     /* due from this instant; the runner asks compliance when */
	const char *reason;     /* a short English phrase for the customer file */
	const struct policy_strategy *strategy; /* stage decisions, else NULL */
	const struct policy_stage *stage;       /* ENTER_STAGE, ACTION of a stage; LEAVE_CASE: the stage left */
	const struct policy_campaign *campaign; /* campaign decisions, else NULL */
	/* ACTION: the policy's action (kind, template, queue, priority,
	 * level, handoff_to, notice, every_days/times) and its index in its
	 * list; the occurrence counts from 1. */
	const struct policy_action *action;
	size_t action_index;
	int occurrence;
	/* ACTION suspend: the ids of the account's services it suspends;
	 * RESTORE: the one service restored. */
	const char *const *service_ids;
	size_t n_service_ids;
	enum policy_suspend_level level; /* suspend, restore */
};

struct engine_decisions {
	struct engine_decision *v;
	size_t n, cap;
	const char **ids;       /* storage of service_ids */
	size_t n_ids, cap_ids;
};

enum engine_err {
	ENGINE_OK = 0,
	ENGINE_NOMEM = -1,
	ENGINE_TOOLONG = -2,    /* an id or name does not fit in a rule or key */
	ENGINE_JURISDICTION = -3, /* the account's jurisdiction is not in the policy */
	ENGINE_OVERFLOW = -4,   /* an instant computed from the case is out of range */
};

/* Caps of the decision buffers: far above any policy (a few stages of a
 * few actions), they stop a corrupt input from growing them without end. */
#define ENGINE_MAX_DECISIONS 4096
#define ENGINE_MAX_SERVICE_IDS 65536

/*
 * Decides for in->account at in->now. `out` must be zeroed or released;
 * decisions are appended to it (LEAVE_CASE and RESTORE first, then
 * ENTER_STAGE, the stage's actions, and the campaigns' in policy order).
 * Returns ENGINE_OK, or a negative enum engine_err with *out released.
 */
int engine_decide(const struct engine_input *in, struct engine_decisions *out);

void engine_decisions_release(struct engine_decisions *d);

const char *engine_decision_kind_name(enum engine_decision_kind k);
const char *engine_action_kind_name(enum policy_action_kind k);

#endif
