/*
 * dialer — the call list of the voice channel: who is called next, what a
 * call plays and in which order, and what each outcome does to the list
 * (docs/voice.md, "The dialer"); and the figures of `relance report calls`.
 *
 * Pure: no I/O, no clock. The caller gives the instant, and answers two
 * questions through callbacks: just before a call, whether it may still go
 * (the balance read again, compliance asked again); after a call, the next
 * allowed moment to call again (compliance, with the call just made in the
 * history). Placing the call is the call engine's: it executes the plan
 * the dialer returns and reports an outcome back.
 *
 * One struct dialer is one call list, for one strategy step or campaign.
 * Several lists may share one struct dialer_trunk: the trunk's channels are
 * then shared between them.
 *
 * Order of the list, among entries that are due:
 *   1. entries put back after an early hang-up ("back to the FRONT", SPEC.md
 *      situation 4), whatever their priority, by due instant then by the
 *      order in which they hung up;
 *   2. every other entry by priority (smaller first: 1 .. 9 as agent
 *      queues), then due instant, then the order they were added in.
 * An entry not yet due is skipped, never waited for.
 *
 * Costs: adding, handing out and feeding back are O(log n) (two binary
 * heaps: the entries not yet due by due instant, the due ones in the order
 * above); memory is one slot per entry ever added, strings included.
 *
 * Ownership: dialer_add copies the strings of the entry. A pointer returned
 * by dialer_entry, or in a handout, is valid until the next dialer_add or
 * dialer_release. Callbacks get entries that are valid for the call only.
 */
#ifndef RELANCE_DIALER_H
#define RELANCE_DIALER_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

enum dialer_err {
	DIALER_OK = 0,
	DIALER_ERR_NOMEM = -1,
	DIALER_ERR_INPUT = -2,  /* an argument outside its contract; nothing changed */
	DIALER_ERR_RANGE = -3,  /* a sum beyond int64 (report); never a wrong total */
	DIALER_ERR_FULL = -4,   /* DIALER_MAX_ENTRIES reached */
};
/* A callback's own negative return is passed back as is: keep the
 * caller's codes below -16 to tell them apart. */

#define DIALER_MAX_ENTRIES (1u << 24)
/* "Nothing waits" for dialer_next_due. */
#define DIALER_NONE INT64_MAX

/* The keys of a call plan. A fixed digit, so that every prompt can name it. */
#define DIALER_CONFIRM_KEY '1'  /* "press 1 if you are NAME" */
#define DIALER_PROMISE_KEY '1'  /* "press 1 to promise to pay within N days" */

/* What the call engine reports for one call. */
enum dialer_outcome {
	DIALER_HEARD,           /* the message was played to the end */
	DIALER_HUNG_UP_EARLY,   /* answered, hung up during the message */
	DIALER_BUSY,
	DIALER_NO_ANSWER,       /* rang until the ring time-out */
	DIALER_BAD_NUMBER,      /* the number does not exist (SIP 404, 484, 604) */
	DIALER_TRUNK_FAILURE,   /* ours or the trunk's: the call never reached the number */
	DIALER_NOT_CONFIRMED,   /* answered, identity key not pressed: nothing said of the debt */
	DIALER_N_OUTCOMES,
	DIALER_NOT_CALLED = -1, /* dialer_entry.last before the first call */
};

enum dialer_state {
	DIALER_WAITING,         /* in the list, due at `due` */
	DIALER_CALLING,         /* handed out, its outcome not fed back yet */
	DIALER_DONE,            /* out of the list for good: see `end` */
};

enum dialer_end {
	DIALER_END_NONE,        /* not done */
	DIALER_END_HEARD,       /* the message reached the customer */
	DIALER_END_PAID,        /* not performed: the customer paid meanwhile */
	DIALER_END_GAVE_UP,     /* voice.max_unanswered calls not answered */
	DIALER_END_BAD_NUMBER,  /* the number is flagged bad: a contact-fix task */
	DIALER_END_NOT_ALLOWED, /* compliance: never (a cap of 0, no window within the horizon ...) */
	DIALER_END_LEFT,        /* the trunk failed DIALER_TRUNK_MAX_FAILURES times in a row:
				 * left for a later cycle, nothing counted against the customer */
};

/*
 * One entry of the list. dialer_add reads the fields above the line; the
 * dialer keeps those below, and updates attempts, unanswered, failures,
 * last and due as calls come back.
 */
struct dialer_entry {
	int64_t ref;            /* the caller's own: an outbox id */
	const char *account_id, *customer_id; /* required, non-empty */
	const char *number;     /* required, non-empty: what is dialled */
	int priority;           /* 1 (first) .. 9 */
	int64_t due;            /* not called before this instant */
	int attempts;           /* calls placed to the number so far (not trunk failures) */
	int unanswered;         /* of those, busy, no answer, not confirmed */
	int failures;           /* permanent failures of this number so far
				 * (the store's count, store_contact_failure) */
	int confirm_identity;   /* the jurisdiction's confirm_identity */
	enum dialer_outcome last; /* DIALER_NOT_CALLED when never called */
	/* ---- kept by the dialer */
	enum dialer_state state;
	enum dialer_end end;
	int front;              /* put back at the front after an early hang-up */
	int trunk_failures;     /* in a row, since the last call that reached the number */
};

/*
 * The list's settings. dialer_config_init fills them from the policy's
 * `voice:` and `arrangements:` sections and the operations file's
 * contacts.bad_after_failures; the rest are the defaults below.
 */
#define DIALER_TRUNK_RETRY_S 60    /* a trunk failure is tried again this much later */
#define DIALER_TRUNK_MAX_FAILURES 5
#define DIALER_KEY_TIMEOUT_S 8     /* waiting for a key after a prompt */

struct dialer_config {
	int64_t retry_busy_s;        /* voice.retry_busy_minutes */
	int64_t retry_no_answer_s;   /* voice.retry_no_answer_minutes: no answer, not
				      * confirmed, a bad number not flagged yet */
	int max_unanswered;          /* voice.max_unanswered, >= 1 */
	int bad_after;               /* contacts.bad_after_failures, >= 1 */
	int promise_days;            /* arrangements.promises.default_days; 0: no offer */
	int64_t retry_trunk_s;       /* DIALER_TRUNK_RETRY_S */
	int max_trunk_failures;      /* DIALER_TRUNK_MAX_FAILURES, >= 1 */
	int key_timeout_s;           /* DIALER_KEY_TIMEOUT_S */
};

void dialer_config_init(struct dialer_config *c, const struct policy *p, int bad_after);

/* The trunk's channels: max_calls from channels.voice.max_calls. The
 * dialer counts its own calls in in_progress (+1 handed out, -1 fed back);
 * the caller adds calls placed by other means. Borrowed by every list that
 * shares it, for as long as they live. */
struct dialer_trunk {
	int max_calls;
	int in_progress;
};

/* ---- the plan of a call ----------------------------------------------- */

enum dialer_prompt {
	DIALER_PROMPT_IDENTITY,      /* neutral: asks the callee to press DIALER_CONFIRM_KEY
				      * if they are the customer; says nothing of a debt */
	DIALER_PROMPT_MESSAGE,       /* the action's template: the one that must be heard */
	DIALER_PROMPT_PROMISE_OFFER, /* "press 1 to promise to pay within N days" */
	DIALER_PROMPT_PROMISE_TAKEN, /* "your promise to pay by DATE is recorded" */
};

enum dialer_step_kind {
	DIALER_PLAY,            /* play `prompt` to the end (or until the callee hangs up) */
	DIALER_WAIT_KEY,        /* wait up to timeout_s for `key` */
};

struct dialer_step {
	enum dialer_step_kind kind;
	enum dialer_prompt prompt;  /* PLAY */
	char key;                   /* WAIT_KEY: the digit that lets the plan go on */
	int timeout_s;              /* WAIT_KEY */
	/* WAIT_KEY: without the key (time-out, another key, hang-up) the call
	 * ends here with this outcome. */
	enum dialer_outcome otherwise;
};

#define DIALER_PLAN_MAX 6

/*
 * What the call engine does once the call is answered, step by step. The
 * share it reports is the share of step `message` played; the digit, the
 * key pressed at the first WAIT_KEY after it, if any. Reaching the end of the plan is
 * DIALER_HEARD. A hang-up during a PLAY before `message` is
 * DIALER_NOT_CONFIRMED (nothing was said), during `message`
 * DIALER_HUNG_UP_EARLY, after it DIALER_HEARD.
 */
struct dialer_plan {
	struct dialer_step steps[DIALER_PLAN_MAX];
	size_t n;
	size_t message;             /* index of the PLAY of DIALER_PROMPT_MESSAGE */
	int promise_days;           /* said by PROMISE_OFFER; 0 when not offered */
};

/* The plan of a call to e: identity first where e->confirm_identity. */
void dialer_plan_of(const struct dialer_config *c, const struct dialer_entry *e,
		    struct dialer_plan *out);

/* ---- the list --------------------------------------------------------- */

struct dialer_slot;

struct dialer {
	struct dialer_config cfg;
	struct dialer_trunk *trunk;
	struct dialer_slot *slots;      /* by id */
	size_t n, cap;
	size_t *later, n_later;         /* heap: waiting, not yet due, by due */
	size_t *ready, n_ready;         /* heap: waiting and due, in list order */
	size_t heap_cap;
	uint64_t front_seq;             /* order of the early hang-ups */
	int64_t now;                    /* of the last dialer_next */
};

/* Returns DIALER_OK, or DIALER_ERR_INPUT for settings outside their ranges
 * or a NULL trunk (then *d needs no release). */
int dialer_init(struct dialer *d, const struct dialer_config *c, struct dialer_trunk *trunk);
void dialer_release(struct dialer *d);

/*
 * Adds e (state WAITING, due e->due; the fields kept by the dialer are
 * reset, but an entry whose last call was hung up early, in an earlier
 * list, stands at the front, after the front entries added before it) and
 * gives its id in *id (may be NULL): 0, 1, 2 ... in the order of adding. Returns DIALER_OK, DIALER_ERR_INPUT (a missing string, a priority
 * outside 1..9, a negative count), DIALER_ERR_NOMEM or DIALER_ERR_FULL;
 * on error nothing is added.
 */
int dialer_add(struct dialer *d, const struct dialer_entry *e, size_t *id);

/* The entry `id` as it stands, or NULL for an id never given. */
const struct dialer_entry *dialer_entry(const struct dialer *d, size_t id);

/* The instant the next entry is due: the `now` of the last dialer_next when
 * a due entry waits, the earliest due instant otherwise, DIALER_NONE when
 * nothing waits. */
int64_t dialer_next_due(const struct dialer *d);

/* Entries in each state (a walk over every slot: for reports, not loops). */
void dialer_counts(const struct dialer *d, size_t *waiting, size_t *calling, size_t *done);

/*
 * Just before a call: the caller reads the balance again and asks
 * compliance again, and answers in *v. `reason` is copied (may be NULL:
 * a default sentence is used).
 */
enum dialer_check {
	DIALER_GO,              /* call now */
	DIALER_PAID,            /* the debt is paid: never called, dropped */
	DIALER_DEFER,           /* not now: due again at `until` (> now) */
	DIALER_DROP,            /* never: dropped with `reason` */
};

struct dialer_verdict {
	enum dialer_check check;
	int64_t until;
	const char *reason;
};

typedef int (*dialer_check_fn)(void *ctx, const struct dialer_entry *e, int64_t now,
			       struct dialer_verdict *v);

enum dialer_handout_kind { DIALER_CALL, DIALER_DEFERRED, DIALER_DROPPED };

struct dialer_handout {
	enum dialer_handout_kind kind;
	size_t id;
	const struct dialer_entry *entry;
	struct dialer_plan plan;        /* CALL */
	int64_t until;                  /* DEFERRED */
	char reason[160];               /* DEFERRED, DROPPED: for the customer file */
};

/*
 * Takes entries in list order, as long as the trunk has a free channel
 * (max_calls - in_progress) and out[] has room: asks check() about each
 * (NULL: every entry goes) and writes what became of it in out[*n_out].
 * A call counts in trunk->in_progress at once. Returns DIALER_OK (fewer
 * than cap handouts: nothing more is due, or the trunk is full) or a
 * negative return of check(), which leaves that entry waiting as it was;
 * the handouts before it stand either way and must be acted on.
 */
int dialer_next(struct dialer *d, int64_t now, dialer_check_fn check, void *ctx,
		struct dialer_handout *out, size_t cap, size_t *n_out);

/* ---- outcomes --------------------------------------------------------- */

struct dialer_call_result {
	enum dialer_outcome outcome;
	int share;              /* per mille of the message played, 0..1000 */
	char digit;             /* key pressed after the message ('0'-'9', '*', '#'), or 0 */
};

/*
 * The next allowed moment to call e again, at or after `from`: compliance
 * asked with the call just made in the history. Returns 0 with *next >=
 * from; 1 when never (the entry is done, DIALER_END_NOT_ALLOWED); or a
 * negative error.
 */
typedef int (*dialer_when_fn)(void *ctx, const struct dialer_entry *e, int64_t from,
			      int64_t *next);

/* What a call fed back asks of the caller, besides the entry's new state. */
enum {
	DIALER_EV_ATTEMPT = 1u << 0,      /* a voice contact at `now` for the history: caps count it */
	DIALER_EV_CONVERSATION = 1u << 1, /* heard: the quiet period starts */
	DIALER_EV_CONTACT_FAILURE = 1u << 2, /* a permanent failure of the number
					      * (store_contact_failure) */
	DIALER_EV_FIX_CONTACT = 1u << 3,  /* flagged bad: the "fix contact details" task
					   * (contact_fix_task, one per number) */
	DIALER_EV_PROMISE = 1u << 4,      /* a promise to pay asked for, promise_days out */
};

struct dialer_result {
	unsigned events;
	enum dialer_state state;        /* WAITING or DONE */
	enum dialer_end end;            /* DONE */
	int64_t due;                    /* WAITING: due again at */
	int front;                      /* WAITING: at the front of the list */
	int promise_days;               /* DIALER_EV_PROMISE */
	char reason[160];               /* one sentence for the customer file */
};

/*
 * Feeds back the outcome of the call handed out as `id`, ended at `now`,
 * and frees its channel. when() (NULL: always allowed) is asked when the
 * entry goes back in the list:
 *
 *   heard            done; DIALER_PROMISE_KEY pressed after it asks for a promise
 *   hung up early    back at the FRONT, due at when(now): until heard or paid
 *   busy             due at when(now + retry_busy_s) } given up at
 *   no answer        due at when(now + retry_no_answer_s) } max_unanswered
 *   not confirmed    as no answer                    } of these
 *   bad number       a failure of the number; flagged (done) at bad_after
 *                    failures, else as no answer
 *   trunk failure    due at when(now + retry_trunk_s), keeping its place;
 *                    no attempt counted; left after max_trunk_failures in a row
 *
 * Returns DIALER_OK with *out filled; DIALER_ERR_INPUT for an id that is
 * not CALLING or a result outside its ranges; or a negative return of
 * when(). On error nothing changed.
 */
int dialer_feed(struct dialer *d, size_t id, int64_t now, const struct dialer_call_result *r,
		dialer_when_fn when, void *ctx, struct dialer_result *out);

const char *dialer_outcome_name(enum dialer_outcome o);
/* The outcome a name gives (as dialer_outcome_name writes it, as the store
 * keeps calls), or DIALER_NOT_CALLED for any other. */
enum dialer_outcome dialer_outcome_parse(const char *name);
const char *dialer_end_name(enum dialer_end e);

/* ---- `relance report calls` ------------------------------------------- */

/* One call performed, as the customer file or the outbox records it. */
struct dialer_call_record {
	const char *account_id;
	int64_t at;             /* when it ended */
	int32_t day;            /* the day it is reported under (caltime day number) */
	enum dialer_outcome outcome;
	int share;              /* per mille of the message played */
	int requeued;           /* an early hang-up put back at the front */
};

struct dialer_payment {
	const char *account_id;
	int64_t at;
	const char *currency;   /* ISO 4217 */
	int64_t amount;         /* minor units, >= 0 */
};

/* Payments brought by the heard calls of one day, in one currency. */
struct dialer_report_money {
	int32_t day;
	char currency[4];
	int64_t payments;
	int64_t amount;
};

struct dialer_report_day {
	int32_t day;
	int64_t calls;                        /* every outcome */
	int64_t by_outcome[DIALER_N_OUTCOMES];
	int heard_per_mille;                  /* heard / (heard + hung up early), half up; 0: none */
	int early_share_per_mille;            /* mean share played before an early hang-up */
	int64_t requeued;                     /* early hang-ups put back at the front */
	int64_t requeued_heard;               /* of those, followed by a heard call */
	int64_t heard_paid;                   /* heard calls followed by a payment counted */
	size_t money, n_money;                /* report.money[money .. money + n_money) */
};

struct dialer_report {
	struct dialer_report_day *days;       /* by day */
	size_t n_days;
	struct dialer_report_money *money;    /* by day, then currency */
	size_t n_money;
};

/*
 * Per day from since_day on, the calls of that day and the payments they
 * brought. A payment counts for the LAST heard call to its account at or
 * before it, when it came within window_days × 86 400 s of that call
 * (exactly N days after counts): once, never for two calls (the rule of
 * `report contacts`, over heard calls only). Calls before since_day are
 * no row, but still the last heard call a payment may belong to: pass the
 * calls from since_day - window_days on. An early hang-up put back counts
 * as then heard when a heard call to the same account comes after it.
 * Inputs in any order; ties on an instant: calls before payments.
 * Returns DIALER_OK with *out to release with dialer_report_release,
 * DIALER_ERR_INPUT (a NULL account, an outcome or share outside its range,
 * a negative amount or window, a currency not of 3 letters),
 * DIALER_ERR_RANGE or DIALER_ERR_NOMEM; on error *out is empty.
 */
int dialer_report_build(const struct dialer_call_record *calls, size_t n_calls,
			const struct dialer_payment *payments, size_t n_payments, int32_t since_day,
			int window_days, struct dialer_report *out);
void dialer_report_release(struct dialer_report *r);

#endif
