/*
 * body — API request bodies (body.h).
 */
#include <jansson.h>
#include <string.h>

#include "../cmd/out.h"
#include "body.h"

static const char *const invoice_fields[] = {
	"invoice_id", "account_id", "issued_on", "due_on", "amount",
};
static const char *const payment_fields[] = {
	"payment_id", "account_id", "received_at", "amount", "method", "invoice_id",
};
static const char *const credit_note_fields[] = {
	"credit_note_id", "account_id", "invoice_id", "issued_on", "amount", "reason",
};
#define FIELDS(v) v, sizeof(v) / sizeof(v[0])

const struct body_kind body_invoices = { "invoice", "invoices", FIELDS(invoice_fields) };
const struct body_kind body_payments = { "payment", "payments", FIELDS(payment_fields) };
const struct body_kind body_credit_notes = { "credit note", "credit_notes",
					     FIELDS(credit_note_fields) };

long body_entries_csv(const struct body_kind *k, const char *body, size_t len, FILE *csv,
		      char *why, size_t whysize)
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
		snprintf(why, whysize, "the body is a %s or an array of them", k->one);
		goto out;
	}
	if (n == 0 || n > BODY_MAX_ENTRIES) {
		snprintf(why, whysize, "an array of 1 to %d %ss", BODY_MAX_ENTRIES, k->one);
		goto out;
	}
	for (size_t f = 0; f < k->n_fields; f++) {
		fputs(k->fields[f], csv);
		fputc(f + 1 == k->n_fields ? '\n' : ',', csv);
	}
	for (size_t i = 0; i < n; i++) {
		json_t *o = items ? json_array_get(items, i) : doc, *v;
		const char *key;

		if (!json_is_object(o)) {
			snprintf(why, whysize, "%s[%zu]: not an object", k->many, i);
			goto out;
		}
		json_object_foreach(o, key, v) {
			size_t f = 0;

			while (f < k->n_fields && strcmp(key, k->fields[f]) != 0)
				f++;
			if (f == k->n_fields) {
				snprintf(why, whysize, "%s[%zu]: unknown field '%.64s'", k->many, i, key);
				goto out;
			}
			/* A JSON number would be a float on a money path. */
			if (!json_is_string(v)) {
				snprintf(why, whysize, "%s[%zu]: '%s' must be a string (amounts are "
					 "decimal text)", k->many, i, key);
				goto out;
			}
			if (memchr(json_string_value(v), '\0', json_string_length(v)) != NULL) {
				snprintf(why, whysize, "%s[%zu]: '%s' holds a NUL character", k->many, i,
					 key);
				goto out;
			}
		}
		/* RFC 4180 quoting (out.h): the import reads exactly the text sent. */
		for (size_t f = 0; f < k->n_fields; f++) {
			json_t *x = json_object_get(o, k->fields[f]);

			out_csv(csv, x ? json_string_value(x) : "");
			fputc(f + 1 == k->n_fields ? '\n' : ',', csv);
		}
	}
	out = (long)n;
out:
	json_decref(doc);
	return out;
}
