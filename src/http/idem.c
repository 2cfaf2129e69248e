/*
 * idem — remembered answers per Idempotency-Key (idem.h).
 *
 * Entries live in a ring of `max` slots reused oldest first, found through
 * a chained hash table on a digest of (caller, key).
 */
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "idem.h"

#define NONE UINT32_MAX

struct entry {
	int used, busy;
	unsigned char id[16];        /* digest of caller and key */
	unsigned char print[32];     /* digest of method, path and body */
	int64_t until;
	uint32_t next;               /* the next entry of its bucket, or NONE */
	int status;
	const char *content_type;    /* handlers give static strings */
	char *body;
	size_t len;
	char location[256];
};

struct idem {
	pthread_mutex_t lock;
	struct entry *ring;
	size_t max, oldest;
	uint32_t *buckets;           /* 2 * max heads */
	size_t n_buckets;
	int ttl;
};

struct idem *idem_new(size_t max, int ttl_seconds)
{
	struct idem *d = calloc(1, sizeof(*d));

	if (d == NULL || max == 0 || max >= NONE / 2)
		goto fail;
	d->max = max;
	d->n_buckets = 2 * max;
	d->ttl = ttl_seconds;
	if ((d->ring = calloc(max, sizeof(*d->ring))) == NULL ||
	    (d->buckets = malloc(d->n_buckets * sizeof(*d->buckets))) == NULL)
		goto fail;
	for (size_t i = 0; i < d->n_buckets; i++)
		d->buckets[i] = NONE;
	pthread_mutex_init(&d->lock, NULL);
	return d;
fail:
	if (d) {
		free(d->ring);
		free(d);
	}
	return NULL;
}

void idem_free(struct idem *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->max; i++)
		free(d->ring[i].body);
	free(d->ring);
	free(d->buckets);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static void digest_id(const char *caller, const char *key, unsigned char id[16])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, 16);
	crypto_generichash_update(&h, (const unsigned char *)caller, strlen(caller) + 1);
	crypto_generichash_update(&h, (const unsigned char *)key, strlen(key) + 1);
	crypto_generichash_final(&h, id, 16);
}

static void digest_request(const struct http_request *r, unsigned char print[32])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const unsigned char *)r->method, strlen(r->method) + 1);
	crypto_generichash_update(&h, (const unsigned char *)r->path, strlen(r->path) + 1);
	crypto_generichash_update(&h, (const unsigned char *)r->body, r->body_len);
	crypto_generichash_final(&h, print, 32);
}

static size_t bucket_of(const struct idem *d, const unsigned char id[16])
{
	uint64_t v;

	memcpy(&v, id, sizeof(v));
	return (size_t)(v % d->n_buckets);
}

static struct entry *find(struct idem *d, const unsigned char id[16])
{
	for (uint32_t i = d->buckets[bucket_of(d, id)]; i != NONE; i = d->ring[i].next)
		if (memcmp(d->ring[i].id, id, 16) == 0)
			return &d->ring[i];
	return NULL;
}

/* Takes entry e out of its bucket and empties it. */
static void forget(struct idem *d, struct entry *e)
{
	uint32_t self = (uint32_t)(e - d->ring), *link = &d->buckets[bucket_of(d, e->id)];

	while (*link != NONE && *link != self)
		link = &d->ring[*link].next;
	if (*link == self)
		*link = e->next;
	free(e->body);
	memset(e, 0, sizeof(*e));
}

enum idem_verdict idem_begin(struct idem *d, const char *caller, const struct http_request *r,
			     struct http_answer *a)
{
	unsigned char id[16], print[32];
	int64_t now = (int64_t)time(NULL);
	enum idem_verdict v = IDEM_FIRST;
	struct entry *e;

	digest_id(caller, r->idempotency_key, id);
	digest_request(r, print);
	pthread_mutex_lock(&d->lock);
	e = find(d, id);
	if (e != NULL && e->until <= now) {
		forget(d, e);
		e = NULL;
	}
	if (e != NULL) {
		if (memcmp(e->print, print, sizeof(print)) != 0) {
			v = IDEM_MISMATCH;
		} else if (e->busy) {
			v = IDEM_BUSY;
		} else if ((a->body = malloc(e->len + 1)) != NULL) {
			memcpy(a->body, e->body, e->len + 1);
			a->len = e->len;
			a->status = e->status;
			a->content_type = e->content_type;
			memcpy(a->location, e->location, sizeof(a->location));
			v = IDEM_REPLAY;
		} else {
			v = IDEM_BUSY;   /* out of memory: the client retries */
		}
	} else {
		e = &d->ring[d->oldest];
		d->oldest = (d->oldest + 1) % d->max;
		if (e->used)
			forget(d, e);
		e->used = e->busy = 1;
		memcpy(e->id, id, sizeof(id));
		memcpy(e->print, print, sizeof(print));
		e->until = now + d->ttl;
		e->next = d->buckets[bucket_of(d, id)];
		d->buckets[bucket_of(d, id)] = (uint32_t)(e - d->ring);
	}
	pthread_mutex_unlock(&d->lock);
	return v;
}

void idem_end(struct idem *d, const char *caller, const struct http_request *r,
	      const struct http_answer *a)
{
	unsigned char id[16], print[32];
	struct entry *e;

	digest_id(caller, r->idempotency_key, id);
	digest_request(r, print);
	pthread_mutex_lock(&d->lock);
	e = find(d, id);
	/* Gone meanwhile (pushed out by newer keys): nothing to keep. */
	if (e != NULL && e->busy && memcmp(e->print, print, sizeof(print)) == 0) {
		if (a->status >= 500 || (e->body = malloc(a->len + 1)) == NULL) {
			forget(d, e);
		} else {
			if (a->len > 0)
				memcpy(e->body, a->body, a->len);
			e->body[a->len] = '\0';
			e->len = a->len;
			e->status = a->status;
			e->content_type = a->content_type;
			memcpy(e->location, a->location, sizeof(e->location));
			e->busy = 0;
		}
	}
	pthread_mutex_unlock(&d->lock);
}
