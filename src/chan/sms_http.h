/*
 * sms_http — the SMS adapter for an HTTP gateway: one JSON request per
 * message, with libcurl (docs/configuration.md "channels.sms",
 * "adapter: http").
 *
 * The request: cfg->method (POST, or PUT) to cfg->url with the body
 * cfg->body in which {to}, {text}, {key} and {from} are replaced by the
 * action's values escaped for JSON (", \ and control characters; UTF-8 is
 * sent as it is), and the headers
 *
 *   Content-Type: application/json
 *   Accept: application/json
 *   Idempotency-Key: <a->key>
 *   Authorization: Bearer <token>        (auth: bearer)
 *   Authorization: Basic <user:password> (auth: basic)
 *
 * Redirects are not followed (the credentials would go with them).
 *
 * Retries. The gateway is given the action's key in Idempotency-Key (and
 * {key} in the body), so that it can recognise a request it has already
 * taken: this is what makes retrying within one call safe, where a blind
 * repeat of a request that may have been taken would send the SMS twice.
 * An attempt is repeated, up to cfg->retries more times, after a 5xx, a 408
 * or 429, a failure to connect, or a time-out or lost connection; the waits
 * between attempts are backoff_ms, then twice that, and so on, each at most
 * SMS_HTTP_MAX_BACKOFF_MS.
 *
 * Outcome of sms_http_send (out->status, enum chan_status), the first rule
 * that applies:
 *   CHAN_DONE       an attempt got a 2xx; out->peer_id is the "message_id"
 *                   or "id" field of a JSON object reply (string or
 *                   integer), else "".
 *   CHAN_REFUSED    an attempt got a 4xx other than 401, 403, 407, 408, 429:
 *                   "400 " and the first 100 characters of the reply; or the
 *                   action cannot be sent (no number, text not UTF-8, body
 *                   over SMS_HTTP_MAX_BODY).
 *   CHAN_FAILED     401, 403, 407 (the gateway refuses our credentials: not
 *                   the number's fault, and not retried now), a 3xx, or the
 *                   retries ran out while no attempt may have been taken
 *                   without an answer (each got a 5xx/408/429 or never
 *                   reached the gateway).
 *   CHAN_UNCERTAIN  the retries ran out and at least one attempt was sent
 *                   without an answer coming back (time-out or connection
 *                   lost after the request was written): the gateway may
 *                   have taken it. Never repeated automatically.
 * "Sent" means libcurl had written the request's headers: a failure before
 * that (connection refused, time-out while connecting, TLS handshake) left
 * nothing at the gateway.
 *
 * Errors: sms_http_send returns 0 whenever *out is filled as above; -1 only
 * on an allocation failure (out->status CHAN_FAILED). Nothing here logs;
 * the token and the password never appear in out->detail.
 *
 * Threads: one sender per thread; the call blocks for the attempts and the
 * waits between them. libcurl's global state is set up by the first open
 * and released by the last close.
 */
#ifndef RELANCE_SMS_HTTP_H
#define RELANCE_SMS_HTTP_H

#include <stddef.h>

#include "../core/config.h"
#include "chan.h"

#define SMS_HTTP_MAX_BODY (64u << 10)      /* the filled template */
#define SMS_HTTP_MAX_REPLY (64u << 10)     /* read of a reply; the rest is dropped */
#define SMS_HTTP_DEFAULT_BACKOFF_MS 500
#define SMS_HTTP_MAX_BACKOFF_MS 8000

struct sms_http;

/* What the operations file does not say. All zero: the defaults. */
struct sms_http_options {
	long backoff_ms;        /* first wait between attempts; 0: the default */
	const char *ca_file;    /* PEM certificate authorities to trust instead of
				 * the system's; NULL: the system's */
};

/*
 * Opens a sender for cfg, which is borrowed and must outlive it (the
 * options too). Connects lazily. Returns 0 with *out set, or -1 with a
 * one-line reason in err (no url, a method other than POST or PUT, auth
 * without its secrets, libcurl not initialising).
 */
int sms_http_open(const struct config_sms_http *cfg, struct sms_http **out, char *err,
		  size_t errsize);
int sms_http_open_with(const struct config_sms_http *cfg, const struct sms_http_options *opt,
		       struct sms_http **out, char *err, size_t errsize);
/* Closes the kept connection and frees h. NULL is harmless. */
void sms_http_close(struct sms_http *h);

/* Sends a->text to a->to with key a->key; fills *out (see above). */
int sms_http_send(struct sms_http *h, const struct chan_action *a, struct chan_outcome *out);

/*
 * The body that would be sent for a: cfg->body (or the default template)
 * with the placeholders filled. Malloc'ed, NUL-terminated, owned by the
 * caller; NULL with a reason in err when it cannot be built.
 */
char *sms_http_body(const struct config_sms_http *cfg, const struct chan_action *a, char *err,
		    size_t errsize);

#endif
