/*
 * idem — the Idempotency-Key header: a client that repeats a request with
 * the same key (a timeout, a retry after a lost answer) gets the first
 * answer again instead of a second effect.
 *
 * The server keeps, per caller and key, a fingerprint of the request
 * (method, path, body) and the answer it gave, for `ttl` seconds and at
 * most `max` keys (the oldest forgotten first), in this process's memory:
 *   - the same key with the same request: the stored answer, replayed;
 *   - the same key with another request: refused (422), the key is spent;
 *   - the same key while the first request is being answered: 409, retry.
 * Answers 5xx are not kept: the request may be retried with its key. A
 * restart forgets the keys; ledger entries stay idempotent by their own
 * ids whatever happens (the import's rule), the key covers the rest
 * (notes, promises, plans, disputes).
 *
 * Thread-safe: one lock, held only to look up or store.
 */
#ifndef RELANCE_HTTP_IDEM_H
#define RELANCE_HTTP_IDEM_H

#include <stddef.h>

#include "server.h"

#define IDEM_KEY_MAX 255

struct idem;

enum idem_verdict {
	IDEM_FIRST,       /* go on; then idem_end with the answer */
	IDEM_REPLAY,      /* *a holds the stored answer */
	IDEM_MISMATCH,    /* the key was used for another request */
	IDEM_BUSY,        /* the first request with this key is still being answered */
};

struct idem *idem_new(size_t max, int ttl_seconds);
void idem_free(struct idem *d);

/* Looks the key of `caller` up for request r; on IDEM_REPLAY fills *a
 * (its body malloc'ed for the server to free). */
enum idem_verdict idem_begin(struct idem *d, const char *caller, const struct http_request *r,
			     struct http_answer *a);
/* Stores the answer given to the request idem_begin let through (or
 * forgets the key when the answer is 5xx). */
void idem_end(struct idem *d, const char *caller, const struct http_request *r,
	      const struct http_answer *a);

#endif
