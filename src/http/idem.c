/*
 * idem — remembered answers per Idempotency-Key (idem.h): the request's
 * fingerprint here, the keeping in the keeper the program set.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "idem.h"

struct idem {
	int ttl;
};

/* Written once before the servers start, read by their threads. */
static struct idem_keeper keeper;

void idem_keep_with(const struct idem_keeper *k)
{
	keeper = *k;
}

/* `max` is the keeper's business (a database has no such limit). */
struct idem *idem_new(size_t max, int ttl_seconds)
{
	struct idem *d;

	if (max == 0 || ttl_seconds <= 0 || (d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->ttl = ttl_seconds;
	return d;
}

void idem_free(struct idem *d)
{
	free(d);
}

static void fingerprint(const struct http_request *r, char hex[IDEM_PRINT_HEX])
{
	crypto_generichash_state h;
	unsigned char print[32];

	crypto_generichash_init(&h, NULL, 0, sizeof(print));
	crypto_generichash_update(&h, (const unsigned char *)r->method, strlen(r->method) + 1);
	crypto_generichash_update(&h, (const unsigned char *)r->path, strlen(r->path) + 1);
	crypto_generichash_update(&h, (const unsigned char *)r->body, r->body_len);
	crypto_generichash_final(&h, print, sizeof(print));
	sodium_bin2hex(hex, IDEM_PRINT_HEX, print, sizeof(print));
}

enum idem_verdict idem_begin(struct idem *d, const char *caller, const struct http_request *r,
			     struct http_answer *a)
{
	char print[IDEM_PRINT_HEX];

	if (keeper.begin == NULL)
		return IDEM_BUSY;
	fingerprint(r, print);
	return keeper.begin(keeper.ctx, caller, r->idempotency_key, print, d->ttl, a);
}

void idem_end(struct idem *d, const char *caller, const struct http_request *r,
	      const struct http_answer *a)
{
	char print[IDEM_PRINT_HEX];

	(void)d;
	if (keeper.end == NULL)
		return;
	fingerprint(r, print);
	keeper.end(keeper.ctx, caller, r->idempotency_key, print, a->status >= 500 ? NULL : a);
}
