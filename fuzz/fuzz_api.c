/*
 * fuzz_api — the API's request body parser (src/http/body.c) on arbitrary
 * bytes. Beyond "no crash": a body it accepts becomes a CSV text that the
 * import's own reader reads back as exactly one header and one record of
 * six fields per payment — so nothing sent through the API can smuggle an
 * extra row or column past the import's checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "../src/core/csvin.h"
#include "../src/http/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct text {
	const char *p;
	size_t len, pos;
};

static ssize_t text_read(void *ctx, char *buf, size_t cap)
{
	struct text *t = ctx;
	size_t n = t->len - t->pos;

	if (n > cap)
		n = cap;
	memcpy(buf, t->p + t->pos, n);
	t->pos += n;
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL, why[256];
	size_t len = 0;
	FILE *f;
	long n;

	if (size > 1 << 16 || (f = open_memstream(&out, &len)) == NULL)
		return 0;
	n = body_payments_csv((const char *)data, size, f, why, sizeof(why));
	fclose(f);
	if (n < 0) {
		if (why[0] == '\0')
			abort();   /* a refusal always says why */
	} else {
		struct text t = { out, len, 0 };
		struct csvin *c = csvin_new(text_read, &t);
		struct csvin_record *rec;
		long records = 0;
		int rc;

		if (c == NULL)
			abort();
		while ((rc = csvin_next(c, &rec)) == 1) {
			if (rec->n != 6)
				abort();
			records++;
		}
		/* Text the reader refuses (invalid UTF-8 from the JSON) is the
		 * import's to report; it must never look like more rows. */
		if (rc == 0 && records != n + 1)
			abort();
		csvin_free(c);
	}
	free(out);
	return 0;
}
