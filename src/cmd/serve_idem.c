/*
 * serve_idem — the keeper of Idempotency-Keys (src/http/idem.h) for
 * `relance serve`: records in the database (store.h "serve state"), so
 * that a key taken on one node is seen by every other and a restart
 * forgets none; and the sweep of the serve state that expired.
 *
 * Taking a key is one INSERT that only one of several racing requests
 * wins, whatever their node; the others read the record: another
 * fingerprint (422), still busy (409), or the stored answer (replayed).
 * A record left busy by a node that died while answering is taken again
 * after IDEM_STALE seconds. When the database does not answer, the
 * request is told to retry (409), never run without its key.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../http/idem.h"
#include "../store/store.h"
#include "serve.h"

#define IDEM_STALE 600      /* a request is never answered for this long */
#define SWEEP_SECONDS 60    /* the sweep runs at most this often per process */

/* The keys' lifetime, as the server gave it (for the sweep). */
static _Atomic int idem_ttl = 24 * 3600;
static _Atomic int64_t swept_at;

/* The content types handlers give, as static strings (a replayed answer
 * points at one, as the first did); another is replayed as JSON. */
static const char *content_type_of(const char *stored)
{
	static const char *const known[] = {
		"application/json", "application/problem+json", "text/csv; charset=utf-8",
		"application/yaml; charset=utf-8", "text/plain; version=0.0.4",
		"text/plain; charset=utf-8",
	};

	if (stored[0] == '\0')
		return NULL;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i], stored) == 0)
			return known[i];
	return "application/json";
}

static int replay(void *ctx, const struct store_idem_answer *stored)
{
	struct http_answer *a = ctx;

	if ((a->body = malloc(stored->len + 1)) == NULL)
		return STORE_ERR_NOMEM;
	if (stored->len > 0)
		memcpy(a->body, stored->body, stored->len);
	a->body[stored->len] = '\0';
	a->len = stored->len;
	a->status = stored->status;
	a->content_type = content_type_of(stored->content_type);
	snprintf(a->location, sizeof(a->location), "%s", stored->location);
	return STORE_OK;
}

static enum idem_verdict keeper_begin(void *ctx, const char *caller, const char *key,
				      const char *print, int ttl, struct http_answer *a)
{
	struct serve_thread *t = serve_thread(ctx);
	int64_t now = (int64_t)time(NULL);
	int verdict = STORE_IDEM_BUSY;

	if (t == NULL)
		return IDEM_BUSY;
	atomic_store(&idem_ttl, ttl);
	serve_state_sweep(t->store);
	if (store_idem_begin(t->store, caller, key, print, now, now - ttl, now - IDEM_STALE,
			     &verdict, replay, a) != STORE_OK) {
		fprintf(stderr, "relance serve: an Idempotency-Key could not be looked up: %s\n",
			store_errmsg(t->store));
		free(a->body);
		a->body = NULL;
		a->len = 0;
		a->status = 0;
		return IDEM_BUSY;
	}
	switch (verdict) {
	case STORE_IDEM_FIRST:
		return IDEM_FIRST;
	case STORE_IDEM_REPLAY:
		return IDEM_REPLAY;
	case STORE_IDEM_MISMATCH:
		return IDEM_MISMATCH;
	default:
		return IDEM_BUSY;
	}
}

static void keeper_end(void *ctx, const char *caller, const char *key, const char *print,
		       const struct http_answer *a)
{
	struct serve_thread *t = serve_thread(ctx);
	struct store_idem_answer stored;
	int rc;

	if (t == NULL)
		return;
	if (a != NULL) {
		stored.status = a->status;
		stored.content_type = a->content_type ? a->content_type : "";
		stored.location = a->location;
		stored.body = a->body ? a->body : "";
		stored.len = a->body ? a->len : 0;
	}
	/* Not kept: the key is free again after IDEM_STALE at the latest. */
	if ((rc = store_idem_end(t->store, caller, key, print, a ? &stored : NULL)) != STORE_OK)
		fprintf(stderr, "relance serve: an idempotent answer was not kept: %s\n",
			store_errmsg(t->store));
}

void serve_idem_start(struct app *app)
{
	struct idem_keeper k = { .begin = keeper_begin, .end = keeper_end, .ctx = app };

	idem_keep_with(&k);
}

void serve_state_sweep(struct store *s)
{
	int64_t now = (int64_t)time(NULL), last = atomic_load(&swept_at);

	/* One thread of the process wins the minute; the others go on. */
	if (now - last < SWEEP_SECONDS || !atomic_compare_exchange_strong(&swept_at, &last, now))
		return;
	if (store_serve_sweep(s, now, now - atomic_load(&idem_ttl)) != STORE_OK)
		fprintf(stderr, "relance serve: expired sessions, codes or keys were not deleted: "
			"%s\n", store_errmsg(s));
}
