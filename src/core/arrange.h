/*
 * arrange — promises to pay, payment plans and disputes as the engine and
 * the commands see them (docs/arrangements.md): their terms, read from and
 * written to the JSON object the store keeps (store.h "arrangements"), and
 * the pure rules that say whether a promise was kept, where a plan stands
 * and what an account's live arrangements hold back.
 *
 * Everything here is exact integer arithmetic in minor units of the
 * account's currency and local dates (caltime day numbers); nothing reads
 * the clock or the store.
 *
 * Ownership: a struct arrange_terms owns its instalment array and strings
 * (arrange_terms_release); views passed in are only read.
 */
#ifndef RELANCE_ARRANGE_H
#define RELANCE_ARRANGE_H

#include <stddef.h>
#include <stdint.h>

#include "position.h"

#define ARRANGE_MAX_INSTALMENTS 120

enum arrange_kind {
	ARRANGE_PROMISE,
	ARRANGE_PLAN,
	ARRANGE_DISPUTE,
	ARRANGE_POSTPONEMENT,
	ARRANGE_HANDOFF,
};

enum arrange_err {
	ARRANGE_OK = 0,
	ARRANGE_NOMEM = -1,
	ARRANGE_SYNTAX = -2,    /* stored terms that are not what they should be */
	ARRANGE_INPUT = -3,     /* terms that do not add up: the reason is in `why` */
};

struct arrange_instalment {
	int32_t due_on;         /* local date */
	int64_t amount;         /* minor units, > 0 */
};

/*
 * The terms of any kind; each kind uses its part (docs/arrangements.md):
 *   promise  amount, due_on, paid_base
 *   plan     total, down_payment (+ down_due_on), instalments, covered_through, waived,
 *            expires_on (a proposal), restored (the first payment was met)
 *   dispute  amount, invoice_id (optional), reason, answer_by, late_reported
 *   postponement  invoice_id, due_on (the new date), was_due_on, reason
 *   handoff  party
 * and every kind a free-text `note` (who agreed, why).
 */
struct arrange_terms {
	char currency[4];
	int64_t amount;
	int32_t due_on;
	int64_t paid_base;      /* promise: paid + credited when it was made */
	int64_t total;
	int64_t down_payment;   /* 0: none */
	int64_t waived;         /* plan: penalties waived by a credit note on acceptance */
	int32_t down_due_on;
	struct arrange_instalment *instalments;
	size_t n_instalments;
	int32_t covered_through; /* plan: invoices due on or before this date */
	int32_t expires_on;     /* plan proposal: not accepted after this date */
	int restored;           /* plan: the first payment was met */
	char *invoice_id;       /* dispute: NULL when on an amount */
	char *reason;
	int32_t answer_by;      /* dispute: answer due by this date */
	int32_t was_due_on;     /* postponement: the invoice's due date before it */
	int late_reported;      /* dispute: the supervisors were told it is late */
	char *party;            /* handoff: agency, credit_bureau, notary, court */
	char *note;
};

const char *arrange_kind_name(enum arrange_kind k);
/* -1 for an unknown name. */
int arrange_kind_parse(const char *name);

/* Empty terms: no amount, every date POSITION_NO_DATE. */
void arrange_terms_init(struct arrange_terms *t);
void arrange_terms_release(struct arrange_terms *t);
/* Parses stored terms into *t (zeroed first); ARRANGE_SYNTAX when they are
 * not a JSON object of the expected members. */
int arrange_terms_decode(const char *json, struct arrange_terms *t);
/* A malloc'ed JSON object of the members set in *t, or NULL (no memory). */
char *arrange_terms_encode(const struct arrange_terms *t);

/*
 * A plan's schedule: `total` minor units (after a down payment of `down`,
 * 0 for none) in `n` instalments, the first on `first_due`, then on the
 * same day of each following month (day_of_month 1..31, clamped to the
 * month's last day) or every `every_days` days (exactly one of the two is
 * non-zero). Each instalment is floor((total - down) / n); the remainder
 * goes to the last one, so they add up to total - down exactly.
 * ARRANGE_INPUT with `why` for n outside 1..ARRANGE_MAX_INSTALMENTS, a
 * down payment not below the total, or less than one minor unit each.
 */
int arrange_plan_schedule(int64_t total, int64_t down, int n, int32_t first_due,
			  int day_of_month, int every_days, struct arrange_instalment *out,
			  char *why, size_t whysize);

/* Day `dom` (1..31, clamped to the month's last day) of the month `k`
 * months after the month of `day`; POSITION_NO_DATE past the calendar. */
int32_t arrange_month_day(int32_t day, int k, int dom);

/* What is still owed on invoices due on or before `through` (open items:
 * what the ledger's allocation leaves on each). */
int64_t arrange_owed_through(const struct position *p, int32_t through);

enum arrange_promise_verdict { PROMISE_OPEN, PROMISE_KEPT, PROMISE_BROKEN };
/*
 * A promise of `amount` by local date `due_on`, `paid_since` paid since it
 * was made: kept as soon as paid_since * 100 >= amount * (100 - tolerance),
 * broken once `today` is past due_on without that, open otherwise.
 */
enum arrange_promise_verdict arrange_promise_check(int64_t amount, int32_t due_on,
						   int64_t paid_since, int tolerance_pct,
						   int32_t today);

struct arrange_plan_status {
	int64_t paid;           /* paid towards the plan: total - still owed */
	int first_met;          /* the down payment, else the first instalment, is paid */
	int completed;          /* everything paid */
	int missed;             /* the next payment (next_due) is past its grace */
	int32_t next_due;       /* the next instalment not yet covered (POSITION_NO_DATE: none) */
	int64_t next_amount;    /* what remains of it */
	int32_t next_check;     /* the first date on which the status can change by time alone */
};
/*
 * Where a current plan stands on local date `today` when `owed` is still
 * owed on the invoices it covers (arrange_owed_through summed over its
 * accounts): payments count towards the down payment first, then the
 * instalments in order (the cumulative amounts due), as the ledger's own
 * allocation pays the oldest invoices first. An instalment is missed when
 * its date plus `grace_days` has passed and the cumulative amount due by
 * it is not paid.
 */
void arrange_plan_check(const struct arrange_terms *plan, int64_t owed, int32_t today,
			int grace_days, struct arrange_plan_status *out);

#endif
