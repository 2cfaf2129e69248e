/*
 * fuzz_api — the API's request body parser (src/http/body.c) on arbitrary
 * bytes. Beyond "no crash": a body it accepts becomes a CSV text that the
 * import's own reader reads back as exactly one header and one record of
 * as many fields as the kind has columns per entry — so nothing sent
 * through the API can smuggle an extra row or column past the import's
 * checks. The first byte picks the kind (invoices, payments, credit notes).
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
	static const struct body_kind *const kinds[] = {
		&body_invoices, &body_payments, &body_credit_notes,
	};
	const struct body_kind *k;
	char *out = NULL, why[256];
	size_t len = 0;
	FILE *f;
	long n;

	if (size == 0 || size > 1 << 16 || (f = open_memstream(&out, &len)) == NULL)
		return 0;
	k = kinds[data[0] % 3];
	n = body_entries_csv(k, (const char *)data + 1, size - 1, f, why, sizeof(why));
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
			if (rec->n != k->n_fields)
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
