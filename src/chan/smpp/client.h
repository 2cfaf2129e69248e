/*
 * smpp client — an SMPP 3.4 ESME session over TCP: bind_transceiver,
 * submit_sm with a window and a rate limit, delivery receipts, keep-alive
 * and reconnection (docs/smpp.md "SMPP client").
 *
 * One connection per client, driven from the calling thread: every call
 * blocks, waiting in poll(2) on a non-blocking socket, for at most its
 * deadline. Nothing is global, so several clients may live in one process;
 * one client must not be used from two threads at once.
 *
 * Ownership: cfg (and every string in it) is borrowed for the client's whole
 * life; the caller keeps it alive until smpp_client_close. The actions given
 * to smpp_client_send are borrowed for the call only. Receipts passed to a
 * callback point into the client and are valid during the callback only.
 *
 * The password is sent in bind_transceiver and nowhere else: no log line
 * and no error message ever holds it.
 */
#ifndef RELANCE_SMPP_CLIENT_H
#define RELANCE_SMPP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "../chan.h"
#include "../../core/config.h"

struct smpp_client;

/* Receives one line, without a newline, valid during the call only. */
typedef void smpp_client_log_fn(void *arg, const char *line);

/*
 * Checks cfg (host, port, system_id and password lengths, window, rate,
 * timers) and makes a client in state DISCONNECTED: nothing is connected
 * until the first smpp_client_send or smpp_client_poll, so an SMSC that is
 * down is not an error here. log may be NULL. Returns 0 with *out set (free
 * it with smpp_client_close), or -1 with a message in err (never holding the
 * password) and *out untouched.
 */
int smpp_client_open(const struct config_smpp *cfg, smpp_client_log_fn *log, void *log_arg,
		     struct smpp_client **out, char *err, size_t errsize);

/* Unbinds if bound (waiting up to a second for unbind_resp), closes the
 * connection and frees c. Receipts still queued are dropped; those that
 * arrive while unbinding are not acknowledged, so the SMSC keeps them for
 * the next session. NULL is a no-op. */
void smpp_client_close(struct smpp_client *c);

/*
 * Limits of smpp_client_send, defaults in brackets:
 *   send_deadline_ms   [30000] the longest one call may take: once passed,
 *                      parts not yet written are CHAN_FAILED and those
 *                      written without an answer CHAN_UNCERTAIN;
 *   resp_timeout_ms    [10000] the longest wait for any response (a
 *                      submit_sm_resp, bind_transceiver_resp, enquire_link_resp)
 *                      before the connection is taken for dead and reset;
 *   throttle_retries   [10] how many ESME_RTHROTTLED / ESME_RMSGQFUL answers
 *                      one part may get before it is given up as CHAN_FAILED.
 * A value <= 0 (< 0 for throttle_retries) keeps the current one.
 */
void smpp_client_set_limits(struct smpp_client *c, int send_deadline_ms, int resp_timeout_ms,
			    int throttle_retries);

/*
 * Sends acts[0..n) as SMS, each to acts[i]->to (E.164, the '+' dropped) with
 * acts[i]->text (UTF-8, split by sms_split), and sets outs[i] for every i:
 *   CHAN_DONE       every part answered ESME_ROK; peer_id holds the parts'
 *                   message_ids, space-separated, in part order;
 *   CHAN_REFUSED    a part got a permanent error status (anything but
 *                   ESME_RTHROTTLED and ESME_RMSGQFUL), or the address or
 *                   text cannot be sent at all; detail names the status;
 *   CHAN_FAILED     no part was accepted and none is waiting for an answer:
 *                   nothing was written, or every write was answered "not
 *                   now" more than throttle_retries times. Safe to retry;
 *   CHAN_UNCERTAIN  some part was written and never answered, or some parts
 *                   were accepted and the others could not be sent: the
 *                   SMSC may deliver (part of) it. Never resent by the client.
 * Parts not yet written when a connection is lost are sent again on the
 * next connection, within the deadline. Returns 0 when every outs[i] is
 * set (whatever the statuses), -1 only for a NULL argument (outs untouched).
 * Receipts arriving meanwhile are kept for smpp_client_poll.
 */
int smpp_client_send(struct smpp_client *c, const struct chan_action *const *acts, size_t n,
		     struct chan_outcome *outs);

/*
 * Reads from the SMSC for timeout_ms (reconnecting if needed), answering
 * what it sends, and passes every delivery receipt to cb: first those kept
 * since the last call, then those that arrive. r->peer_id is the receipted
 * message id (the receipted_message_id TLV when present, else the id: field),
 * whether or not this client sent it. Returns 0; or -1 when the connection
 * is down at the end and could not be re-established, in which case cb was
 * not called (queued receipts are delivered, and 0 returned, before a lost
 * connection is reported).
 */
int smpp_client_poll(struct smpp_client *c, int timeout_ms, chan_receipt_cb *cb, void *ctx);

/* Counters since smpp_client_open. */
struct smpp_client_stats {
	uint64_t submits;        /* submit_sm written (each part, each retry) */
	uint64_t accepted;       /* submit_sm_resp ESME_ROK */
	uint64_t refused;        /* submit_sm_resp with a permanent error */
	uint64_t throttled;      /* submit_sm_resp ESME_RTHROTTLED or ESME_RMSGQFUL */
	uint64_t uncertain;      /* parts written that never got an answer */
	uint64_t connects;       /* binds that succeeded */
	uint64_t reconnects;     /* of which after a lost or refused connection */
	uint64_t bind_failures;  /* connect or bind failures */
	uint64_t receipts;       /* delivery receipts received */
	uint64_t pdus_refused;   /* PDUs from the SMSC answered with generic_nack or
				  * that reset the connection */
	uint64_t enquire_links;  /* enquire_link we sent */
};

void smpp_client_stats(const struct smpp_client *c, struct smpp_client_stats *out);

/* "DISCONNECTED", "BOUND", ...: the current state, for a report. */
const char *smpp_client_state_name(const struct smpp_client *c);

/*
 * The token bucket pacing submit_sm, exposed so it can be tested with a
 * clock the test controls. Credit is kept in nanoseconds of sending time:
 * a message costs 1e9 / rate ns, credit grows with elapsed time up to one
 * second's worth (at least one message), and a new bucket holds one
 * message, so N messages at R/s take (N - 1) / R seconds.
 */
struct smpp_client_bucket {
	int64_t cost_ns;     /* ns of credit one message takes */
	int64_t credit_ns;
	int64_t cap_ns;
	int64_t last_ns;     /* time of the last refill */
};

/* rate_per_second > 0 (it may be fractional after back-off). */
void smpp_client_bucket_init(struct smpp_client_bucket *b, double rate_per_second, int64_t now_ns);
/* Changes the rate, keeping the credit (capped again). */
void smpp_client_bucket_set_rate(struct smpp_client_bucket *b, double rate_per_second);
/* Takes one message's credit and returns 0, or returns how many ns to wait
 * before one is available (nothing taken). now_ns must not go backwards. */
int64_t smpp_client_bucket_take(struct smpp_client_bucket *b, int64_t now_ns);

#endif
