/*
 * idem — the Idempotency-Key header: a client that repeats a request with
 * the same key (a timeout, a retry after a lost answer) gets the first
 * answer again instead of a second effect.
 *
 * Per caller and key, a fingerprint of the request (method, path, body)
 * and the answer it gave are kept for `ttl` seconds by a keeper the
 * program sets once before any server starts (idem_keep_with; relance
 * serve's keeps them in the database, so that every node sees them and a
 * restart forgets none):
 *   - the same key with the same request: the stored answer, replayed;
 *   - the same key with another request: refused (422), the key is spent;
 *   - the same key while the first request is being answered: 409, retry.
 * Answers 5xx are not kept: the request may be retried with its key.
 * Ledger entries stay idempotent by their own ids whatever happens (the
 * import's rule), the key covers the rest (notes, promises, plans,
 * disputes).
 *
 * Thread-safe as its keeper is. Without a keeper every request is
 * IDEM_BUSY: a key is never silently ignored.
 */
#ifndef RELANCE_HTTP_IDEM_H
#define RELANCE_HTTP_IDEM_H

#include <stddef.h>

#include "server.h"

#define IDEM_KEY_MAX 255
#define IDEM_PRINT_HEX 65   /* a request's fingerprint: 32 bytes in hex, and the NUL */

struct idem;

enum idem_verdict {
	IDEM_FIRST,       /* go on; then idem_end with the answer */
	IDEM_REPLAY,      /* *a holds the stored answer */
	IDEM_MISMATCH,    /* the key was used for another request */
	IDEM_BUSY,        /* the first request with this key is still being answered
			   * (or the keeper failed: the client retries either way) */
};

/*
 * Where the keys are kept. begin takes `key` of `caller` for the request
 * whose fingerprint is `print` (lowercase hex), forgetting first a record
 * older than ttl seconds, and answers as idem_begin; end stores the answer
 * (a NULL answer: forget the key). ctx is passed back as is.
 */
struct idem_keeper {
	enum idem_verdict (*begin)(void *ctx, const char *caller, const char *key,
				   const char *print, int ttl, struct http_answer *a);
	void (*end)(void *ctx, const char *caller, const char *key, const char *print,
		    const struct http_answer *a);
	void *ctx;
};

/* Sets the process's keeper (copied); call before any server starts. */
void idem_keep_with(const struct idem_keeper *k);

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
