/*
 * webhook — the provisioning adapter that suspends and restores a service
 * by POSTing one signed JSON request to the operator's receiver, with
 * libcurl (docs/provisioning-webhook.md).
 *
 * The request: POST to opt->url with
 *
 *   Content-Type: application/json
 *   Idempotency-Key: <r->key>
 *   Relance-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * and the body, in this order of members:
 *
 *   {"service_id": "...", "identifier": "..." | null, "account_id": "..." | null,
 *    "level": "throttle" | "walled_garden" | "total" | "full",
 *    "action": "suspend" | "restore", "reason": "..." | null,
 *    "idempotency_key": "...", "at": "YYYY-MM-DDTHH:MM:SSZ"}
 *
 * "full" is a restoration (action "restore"); every other level a
 * suspension. `at` is the action's instant (--now); `t` of the signature is
 * the clock when the attempt is made (each attempt is signed again), so
 * that a receiver can refuse a replayed request by its age.
 *
 * What an answer means (webhook_classify), the first rule that applies:
 *   no answer (connection refused, time-out, lost)    WEBHOOK_RETRY
 *   5xx, 408, 429                                     WEBHOOK_RETRY
 *   401, 403                                          WEBHOOK_AUTH (the
 *       receiver refuses the signature: the secret or the clock is wrong,
 *       not the action; not retried now)
 *   other 4xx, and 3xx (redirects are not followed)   WEBHOOK_PERMANENT
 *   2xx whose JSON object says error: "error" is present (text, or an
 *       object with "message"), or "status" is "error" or "failed",
 *       or "ok" is false                              WEBHOOK_ERROR_BODY
 *   2xx with "status": "already_applied"              WEBHOOK_ALREADY
 *   any other 2xx                                     WEBHOOK_APPLIED
 * A 2xx's "level" (text) is the state the receiver says is in force now;
 * an empty or non-JSON 2xx body states none.
 *
 * Retries. The receiver is given the key (Idempotency-Key and the body's
 * idempotency_key) so that it applies a key once however often it is sent:
 * this is what makes repeating an attempt that got no answer safe. After a
 * WEBHOOK_RETRY answer the attempt is repeated, up to opt->retries more
 * times, waiting webhook_backoff_ms(...) before each.
 *
 * Outcome of webhook_send (res->out.status, enum chan_status):
 *   CHAN_DONE       WEBHOOK_APPLIED, and the level stated (if any) is the one
 *                   asked; res->confirmed_level holds it ("" when the
 *                   answer stated none).
 *   CHAN_ALREADY    WEBHOOK_ALREADY with the level asked (or none stated).
 *   CHAN_REFUSED    WEBHOOK_PERMANENT ("400 " and the first 100 characters
 *                   of the answer), or a request that cannot be built (no
 *                   service or key, a level not among the four, text that
 *                   is not UTF-8, a key that cannot be a header).
 *   CHAN_FAILED     WEBHOOK_ERROR_BODY (the receiver's message in the
 *                   detail), WEBHOOK_AUTH, a 2xx stating another level than
 *                   the one asked, or every attempt got WEBHOOK_RETRY and
 *                   none of them may have reached the receiver unanswered.
 *   CHAN_UNCERTAIN  the retries ran out and at least one attempt was sent
 *                   without an answer coming back (time-out after the
 *                   request was written): the receiver may have applied it.
 *                   Sending the same key again later is safe.
 *
 * Errors: webhook_send returns 0 whenever *res is filled as above; -1 only
 * on a broken argument or an allocation failure (status CHAN_FAILED). The
 * secret is copied into the handle (and wiped by webhook_close); it never
 * appears in a detail or a log line.
 *
 * Costs: one HMAC per attempt (a few microseconds); the call blocks for the
 * attempts and the waits between them, at most
 * (retries + 1) * timeout_ms + the sum of the waits.
 *
 * Threads: one handle per thread. libcurl's global state is set up by the
 * first open and released by the last close.
 */
#ifndef RELANCE_PROVISIONING_WEBHOOK_H
#define RELANCE_PROVISIONING_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "../chan.h"

#define WEBHOOK_MAX_BODY (16u << 10)          /* the request body */
#define WEBHOOK_MAX_REPLY (64u << 10)         /* read of an answer; the rest is dropped */
#define WEBHOOK_MAX_KEY 200                   /* bytes of an idempotency key */
#define WEBHOOK_DEFAULT_TIMEOUT_MS 10000
#define WEBHOOK_DEFAULT_RETRIES 3
#define WEBHOOK_DEFAULT_BACKOFF_MS 500
#define WEBHOOK_DEFAULT_MAX_BACKOFF_MS 8000
/* "t=" + 20 digits + ",v1=" + 64 hex digits + NUL, rounded up. */
#define WEBHOOK_SIGNATURE_SIZE 96

/* A line about one transition of the exchange ("attempt 2: 503 ...; next
 * in 200 ms"), for a command's standard error; never holds the secret. */
typedef void webhook_log_fn(void *ctx, const char *line);

struct webhook_options {
	const char *url;            /* http:// or https://; required */
	const char *secret;         /* required, non-empty; copied at open */
	long timeout_ms;            /* per attempt, connecting included; 0: default */
	int retries;                /* more attempts after the first; 0: default,
				     * negative: none */
	long backoff_ms;            /* wait before the first repeat; 0: default */
	long max_backoff_ms;        /* cap of a wait; 0: default */
	int64_t sign_at;            /* 0: the clock at each attempt; else this
				     * instant (tests of the receiver's age check) */
	const char *ca_file;        /* PEM authorities instead of the system's */
	webhook_log_fn *log;        /* NULL: silent */
	void *log_ctx;
};

/* One suspension or restoration. Every string is borrowed for the call. */
struct webhook_request {
	const char *service_id;     /* required */
	const char *identifier;     /* MSISDN, CPE serial ...; NULL: null */
	const char *account_id;     /* NULL: null */
	const char *level;          /* throttle, walled_garden, total, full */
	const char *reason;         /* NULL: null */
	const char *key;            /* idempotency key, required, printable */
	int64_t at;                 /* the action's instant */
};

enum webhook_answer {
	WEBHOOK_APPLIED,
	WEBHOOK_ALREADY,
	WEBHOOK_ERROR_BODY,
	WEBHOOK_PERMANENT,
	WEBHOOK_AUTH,
	WEBHOOK_RETRY,
};

/* What a 2xx body says (webhook_reply_parse). */
struct webhook_reply {
	int is_error;               /* the body says error */
	int already;                /* "status": "already_applied" */
	char level[32];             /* the level stated, "" when none (or too long) */
	char error[120];            /* the error's text when is_error; may be "" */
};

struct webhook_result {
	struct chan_outcome out;    /* status, one-line detail; peer_id unused ("") */
	char confirmed_level[32];   /* the receiver's state after a 2xx; "" none */
	long http_status;           /* of the last attempt; 0: no answer */
	int attempts;
};

struct webhook;

/*
 * Opens a sender for opt (borrowed: opt->url and opt->ca_file must outlive
 * the handle; the secret is copied). Connects lazily. Returns 0 with *out
 * set, or -1 with a one-line reason in err (no url, a url not http(s), no
 * secret, libcurl not initialising, out of memory).
 */
int webhook_open(const struct webhook_options *opt, struct webhook **out, char *err,
		 size_t errsize);
/* Wipes the secret, closes the connection and frees w. NULL is harmless. */
void webhook_close(struct webhook *w);

/* Sends r with the retries; fills *res (see the top of this file). */
int webhook_send(struct webhook *w, const struct webhook_request *r, struct webhook_result *res);

/* Whether level is one of the four this adapter sends. */
int webhook_level_valid(const char *level);

/*
 * The request body for r (the top of this file), malloc'ed, NUL-terminated,
 * owned by the caller; NULL with a reason in err when r cannot be sent.
 */
char *webhook_body(const struct webhook_request *r, char *err, size_t errsize);

/*
 * Writes the Relance-Signature value "t=<t>,v1=<hex>" for body[0..len) into
 * out (WEBHOOK_SIGNATURE_SIZE bytes). Returns 0, -1 when libsodium fails.
 */
int webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
		 char out[WEBHOOK_SIGNATURE_SIZE]);

/*
 * What a receiver does: 0 when header is a Relance-Signature of body by
 * secret made within tolerance_s seconds of now (either way); -1 when it
 * is malformed or does not match (compared in constant time); -2 when it
 * matches but is older or newer than that.
 */
int webhook_verify(const char *secret, const char *header, const char *body, size_t len,
		   int64_t now, int64_t tolerance_s);

/*
 * The wait in milliseconds before repeat number `repeat` (1 for the first
 * repeat): first_ms * 2^(repeat-1), at most max_ms. Pure; 0 when repeat < 1.
 */
long webhook_backoff_ms(long first_ms, long max_ms, int repeat);

/* Reads a 2xx answer's body (any bytes; need not be NUL-terminated). */
void webhook_reply_parse(const char *body, size_t len, struct webhook_reply *out);

/*
 * The class of an answer: http_status 0 means none came. body is read only
 * for a 2xx; *reply (may be NULL) is filled then, zeroed otherwise.
 */
enum webhook_answer webhook_classify(long http_status, const char *body, size_t len,
				     struct webhook_reply *reply);

#endif
