/*
 * dispatch — messages to real peers (an SMSC over SMPP, an HTTP SMS gateway,
 * an SMTP server) and calls through a SIP trunk, as `relance run` performs
 * them.
 *
 * The perform loop hands over the outbox rows of a channel the operations
 * file configures (dispatch_queue); dispatch_flush then sends them in waves:
 *
 *   1. the wave's rows are committed as "sending" (store_outbox_sending)
 *      BEFORE the peer hears of them;
 *   2. the adapter sends the wave and answers one outcome per message
 *      (chan.h);
 *   3. each outcome is finished in the outbox and written on the customer
 *      file, the wave in one transaction: accepted → done (the peer's ids
 *      kept for its receipts), refused → failed, not accepted but worth
 *      retrying → deferred (later, attempts counted; failed after
 *      DISPATCH_MAX_ATTEMPTS), sent without an answer → uncertain.
 *
 * A process killed between 1 and 3 leaves at most one wave "sending"; the
 * next claim hands those rows back and they are finished "uncertain"
 * (dispatch_outcome), never sent twice. A wave is an SMSC's window, and
 * DISPATCH_WAVE rows for one-at-a-time peers.
 *
 * Voice (channels.voice adapter sip) is no wave: the queued voice rows
 * become one dialer list (core/dialer.h) on the trunk's max_calls, each
 * row committed "sending" just before its call, its message said by a
 * prompt in the customer's locale (voice/prompt.h, the cache beside the
 * database), and its outcome finished as the dialer says (docs/voice.md
 * "In the cycle"). Each row is called at most once per cycle.
 *
 * dispatch_receipts reads the delivery receipts that came back (SMPP) and
 * writes each on the customer file of its message.
 *
 * Ownership: a queued row's payload (json_t) belongs to dispatch from
 * dispatch_queue on.
 */
#ifndef RELANCE_DISPATCH_H
#define RELANCE_DISPATCH_H

#include <jansson.h>
#include <stdint.h>

#include "../core/config.h"
#include "../core/policy.h"
#include "../store/store.h"
#include "cmd.h"

#define DISPATCH_WAVE 8
#define DISPATCH_MAX_ATTEMPTS 5

struct dispatch;

/* What a cycle's dispatch did, for the report. */
struct dispatch_counts {
	int64_t accepted, refused, retried, uncertain, delivered, undelivered;
	int64_t flagged;           /* contacts flagged bad */
	int64_t calls, heard, early, unanswered, bad_numbers, trunk_failures, promises;
	/* provisioning: the cycle's rows, then reconciliation's pass */
	int64_t prov_confirmed, prov_queued, prov_refused, prov_retried, prov_uncertain;
	int64_t rec_checked, rec_confirmed, rec_drifting, rec_alerted;
};

/*
 * Opens the adapters `cfg` configures for real peers (sms: smpp or http;
 * email: smtp). Returns 0 with *out set (possibly with no adapter at all),
 * or an exit status after printing why.
 */
int dispatch_open(struct cmd_ctx *ctx, struct store *store, const struct config *cfg,
		  const char *worker, struct dispatch **out);
void dispatch_close(struct dispatch *d);

/*
 * What the voice list asks of the cycle (run.c), which knows the policy,
 * compliance and the positions. Borrowed until dispatch_close.
 *
 * when: the next allowed moment at or after `from` to call the account of
 * row o again, with a call at `called` in its history (conversation: it
 * was heard). 0 with *next set, 1 when never, a negative store error.
 * check: just before dialling row o, the balance, the arrangements and
 * compliance again (the list may reach a row long after its claim): 0 go,
 * 1 paid meanwhile, 2 not now (until *until, why says so), 3 never (why),
 * or a negative store error.
 * promise: a promise to pay within `days` asked for by a key press on the
 * call of row o, recorded inside the caller's transaction, with one
 * sentence in `what` for the file entry of the call. STORE_OK or an error.
 */
struct dispatch_voice_hooks {
	const struct policy *policy;
	void *ctx;
	int (*when)(void *ctx, const struct outbox_view *o, json_t *payload, int64_t called,
		    int conversation, int64_t from, int64_t *next);
	int (*promise)(void *ctx, const struct outbox_view *o, json_t *payload, int days,
		       char *what, size_t size);
	int (*check)(void *ctx, const struct outbox_view *o, json_t *payload, int64_t *until,
		     char *why, size_t size);
};

void dispatch_voice_hooks(struct dispatch *d, const struct dispatch_voice_hooks *h);

/* 1 when `channel` ("sms", "email", "voice", "provisioning") goes to a
 * real peer. */
int dispatch_has(const struct dispatch *d, const char *channel);
/* 1 when provisioning row o goes to a real peer: its service's adapter is
 * not of type record (an adapter not configured, or a service not found,
 * goes too: dispatch fails it with the reason and a task). */
int dispatch_prov_takes(struct dispatch *d, const struct outbox_view *o, json_t *payload);

/*
 * Queues a claimed row (its payload parsed, now dispatch's) for the next
 * dispatch_flush. Returns STORE_OK or STORE_ERR_NOMEM.
 */
int dispatch_queue(struct dispatch *d, const struct outbox_view *o, json_t *payload);

/* Sends every queued row, wave by wave, as described above. Returns
 * STORE_OK or the store's error (the message is in store_errmsg). */
int dispatch_flush(struct dispatch *d);

/*
 * Reconciliation's pass after the cycle's rows (reconcile.h), when a
 * provisioning adapter talks to a peer: services desired at this very
 * instant were just tried by the cycle and wait for the next pass.
 * Returns a store code.
 */
int dispatch_reconcile(struct dispatch *d);

/* Reads delivery receipts for up to wait_ms after the last one, and writes
 * each on its customer's file. */
int dispatch_receipts(struct dispatch *d, int wait_ms);

void dispatch_counts(const struct dispatch *d, struct dispatch_counts *out);

/*
 * Finishes row `o` as `state` ("done", "failed", "dropped", "uncertain",
 * "deferred") with `outcome`, and writes it on the customer file, inside
 * the caller's transaction: the one place where an action's end is told.
 */
int dispatch_outcome(struct store *store, const char *worker, int64_t now,
		     const struct outbox_view *o, json_t *payload, const char *state,
		     const char *outcome, int64_t due_if_deferred);

#endif
