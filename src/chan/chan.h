/*
 * chan — what every channel adapter is given to perform and what it answers.
 *
 * An adapter performs one action (a message, a call, a suspension, a
 * hand-off) and reports its outcome. Actions come from the outbox with an
 * idempotency key; an adapter that can tell it already performed a key
 * (the recording adapter can, by reading its own file) answers
 * CHAN_ALREADY instead of performing it twice, which is what makes a
 * crash between "performed" and "recorded in the outbox" harmless.
 *
 * Ownership: every string of a struct chan_action is borrowed for the call.
 */
#ifndef RELANCE_CHAN_H
#define RELANCE_CHAN_H

#include <stddef.h>
#include <stdint.h>

/* SPEC.md "Channels and adapters": the channel and action names written to
 * the record file and the customer file. */
struct chan_action {
	const char *key;          /* idempotency key, unique per action */
	int64_t at;               /* the instant it is performed (--now) */
	const char *channel;      /* sms, email, voice, provisioning, queue, handoff */
	const char *action;       /* send, call, suspend, restore, enqueue, handoff */
	const char *account_id;
	const char *customer_id;
	int64_t policy_version;
	const char *rule;
	const char *to;           /* messages and calls: E.164 or e-mail address */
	const char *subject;      /* e-mail, optional */
	const char *text;         /* messages and calls */
	const char *service_id;   /* provisioning */
	const char *level;        /* provisioning: partial, total */
	const char *target;       /* queue name or hand-off target */
	int priority;             /* queue: 1 (highest) .. 9; 0 when not a queue */
};

enum chan_status {
	CHAN_DONE = 0,        /* accepted by the peer (an SMSC's submit_sm_resp, an
			       * SMTP server's 250 after DATA), or performed
			       * (recorded, heard to the end, converged, queued) */
	CHAN_ALREADY = 1,     /* this key was performed before: nothing done now */
	CHAN_FAILED = -1,     /* not accepted, nothing reached the peer or the peer
			       * said "not now" (4xx, throttled, unreachable):
			       * may be retried */
	CHAN_REFUSED = -2,    /* permanent: never to be retried as it is (5xx, a
			       * bad number or address) */
	CHAN_UNCERTAIN = -3,  /* sent, but no answer came (connection lost, process
			       * killed): the peer may have it. Never repeated
			       * automatically; an agent decides. */
};

struct chan_outcome {
	int status;               /* enum chan_status */
	char detail[160];         /* for the customer file: "accepted", "550 no such user" ... */
	char peer_id[160];        /* the peer's ids for what it accepted, space-separated
				   * (an SMSC's message_id per part; an SMTP queue id);
				   * "" when none */
};

/*
 * A delivery report that arrives after the message was accepted (an SMPP
 * deliver_sm receipt): which message, and what became of it.
 */
enum chan_delivery {
	CHAN_DELIVERED = 1,
	CHAN_UNDELIVERED = 2,     /* UNDELIV, REJECTD, DELETED: failed for good */
	CHAN_EXPIRED = 3,
	CHAN_DELIVERY_UNKNOWN = 4,
};

struct chan_receipt {
	const char *peer_id;      /* one of the ids of chan_outcome.peer_id */
	int delivery;             /* enum chan_delivery */
	int64_t done_at;          /* when the peer says it happened; 0: unknown */
	const char *error;        /* the peer's error code, "" when none */
};
typedef void chan_receipt_cb(void *ctx, const struct chan_receipt *r);

#endif
