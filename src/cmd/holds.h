/*
 * holds — what an account's live arrangements hold back in a cycle, and
 * the changes time and payments make to them (docs/arrangements.md).
 *
 * holds_evaluate is called by `relance run` for each account it looks at,
 * inside the transaction of that account's decision, BEFORE the case is
 * read: it moves each live arrangement on (a promise kept or broken, a plan
 * completed, broken or whose first payment is met, a proposal expired, a
 * dispute past its answer date), writes every change with its customer
 * file entry, and edits the cases it concerns (a broken promise counted; a
 * broken plan restarts the ladder of every account it covered, with a fresh
 * notice). What is left is what the engine must hold back (struct holds).
 *
 * An arrangement changed by someone else during the cycle (STORE_ERR_CONFLICT)
 * is left for the next cycle, which sees the new version.
 */
#ifndef RELANCE_HOLDS_H
#define RELANCE_HOLDS_H

#include <stdint.h>

#include "../core/position.h"

struct cmd_ctx;
struct store;
struct policy;
struct account_summary;
struct position;

struct holds {
	int64_t disputed;       /* under open disputes */
	int64_t promised;       /* what open promises still wait for */
	int paused;             /* a current plan or a hand-off: no dunning */
	int restore;            /* a current plan's first payment is met */
	int32_t next_day;       /* the first local date on which one changes by
				   time alone; POSITION_NO_DATE: none */
	char late_dispute[32];  /* a dispute found late now: the supervisors' task */
	int64_t late_dispute_amount;
	char removal[32];       /* a listing to remove now the debt is paid */
	char removal_party[32];
	int32_t removal_deadline; /* local date: the jurisdiction's business days */
};

/* One account as arrangements need it: who, what currency, what it owes. */
struct account_facts {
	int found;
	int64_t account_key;
	char account_id[128], customer_id[128], currency[4], timezone[64], jurisdiction[64];
	char locale[36];
	int exponent;           /* of the currency */
	struct position pos;    /* at cmd->now; owns its open items */
};
/* Reads account `account_id` (out->found 0 when unknown). Returns 0, or an
 * exit status after printing why. Release with account_facts_release. */
int account_facts_get(struct cmd_ctx *cmd, struct store *s, const char *account_id,
		      struct account_facts *out);
void account_facts_release(struct account_facts *f);

/*
 * Reads which accounts have live arrangements, once at the start of a
 * cycle: holds_evaluate then asks the store only about those (a cycle over
 * millions of accounts, few of them under an arrangement, pays nothing for
 * the rest). Arrangements made after it are seen by the next cycle, whose
 * look their creation brings forward. holds_unload forgets the list.
 */
int holds_load(struct store *s);
void holds_unload(void);

/*
 * `a` is the account, `pos` its position at cmd->now (today = its local
 * date). Returns 0, or an exit status after printing why (a store failure).
 */
int holds_evaluate(struct cmd_ctx *cmd, struct store *s, const struct policy *p,
		   const struct account_summary *a, const struct position *pos,
		   struct holds *out);

/*
 * What holds_evaluate would hold, changing nothing: *held is 1 when no
 * dunning may go out now (a current plan, a hand-off that holds the case, a
 * promise covering what is collectible), with the reason in `why`. For an
 * action decided before the arrangement and performed after it.
 */
int holds_peek(struct cmd_ctx *cmd, struct store *s, const struct policy *p,
	       const struct account_summary *a, const struct position *pos, int *held,
	       char *why, size_t whysize);

/*
 * Edits the stored case of `account_key` and makes it due at `now`:
 *   HOLDS_BROKEN_PROMISE  one more broken promise counted;
 *   HOLDS_RESTART         the ladder starts again (a broken plan): no stage,
 *                         fresh action counts, no notice;
 *   HOLDS_FRESH_NOTICE    the notice forgotten (a rejected dispute) unless a
 *                         suspension already stands.
 * A case not yet stored is created with just that. Returns a store code.
 */
enum { HOLDS_BROKEN_PROMISE = 1, HOLDS_RESTART = 2, HOLDS_FRESH_NOTICE = 4 };
int holds_case_edit(struct store *s, int64_t now, int64_t account_key, unsigned what);

#endif
