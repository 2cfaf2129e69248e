/*
 * body — API request bodies (body.h).
 */
#include <jansson.h>
#include <string.h>

#include "../cmd/out.h"
#include "body.h"

static const char *const payment_fields[] = {
	"payment_id", "account_id", "received_at", "amount", "method", "invoice_id",
};
#define N_PAYMENT_FIELDS (sizeof(payment_fields) / sizeof(payment_fields[0]))

long body_payments_csv(const char *body, size_t len, FILE *csv, char *why, size_t whysize)
{
	json_error_t jerr;
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr), *items;
	size_t n;
	long out = -1;

	if (doc == NULL) {
		snprintf(why, whysize, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		return -1;
	}
	items = json_is_array(doc) ? doc : NULL;
	n = items ? json_array_size(items) : 1;
	if (!json_is_object(doc) && items == NULL) {
		snprintf(why, whysize, "the body is a payment or an array of them");
		goto out;
	}
	if (n == 0 || n > BODY_MAX_PAYMENTS) {
		snprintf(why, whysize, "an array of 1 to %d payments", BODY_MAX_PAYMENTS);
		goto out;
	}
	fputs("payment_id,account_id,received_at,amount,method,invoice_id\n", csv);
	for (size_t i = 0; i < n; i++) {
		json_t *o = items ? json_array_get(items, i) : doc, *v;
		const char *key;

		if (!json_is_object(o)) {
			snprintf(why, whysize, "payments[%zu]: not an object", i);
			goto out;
		}
		json_object_foreach(o, key, v) {
			size_t k = 0;

			while (k < N_PAYMENT_FIELDS && strcmp(key, payment_fields[k]) != 0)
				k++;
			if (k == N_PAYMENT_FIELDS) {
				snprintf(why, whysize, "payments[%zu]: unknown field '%.64s'", i, key);
				goto out;
			}
			/* A JSON number would be a float on a money path. */
			if (!json_is_string(v)) {
				snprintf(why, whysize, "payments[%zu]: '%s' must be a string (amounts are "
					 "decimal text)", i, key);
				goto out;
			}
			if (memchr(json_string_value(v), '\0', json_string_length(v)) != NULL) {
				snprintf(why, whysize, "payments[%zu]: '%s' holds a NUL character", i, key);
				goto out;
			}
		}
		/* RFC 4180 quoting (out.h): the import reads exactly the text sent. */
		for (size_t k = 0; k < N_PAYMENT_FIELDS; k++) {
			json_t *f = json_object_get(o, payment_fields[k]);

			out_csv(csv, f ? json_string_value(f) : "");
			fputc(k + 1 == N_PAYMENT_FIELDS ? '\n' : ',', csv);
		}
	}
	out = (long)n;
out:
	json_decref(doc);
	return out;
}
