/*
 * body — request bodies of the API turned into what the rest of relance
 * reads, checked first (docs/api.md). No store, no I/O beyond the stream
 * given: a fuzz target drives it with arbitrary bytes (fuzz/fuzz_api.c).
 */
#ifndef RELANCE_HTTP_BODY_H
#define RELANCE_HTTP_BODY_H

#include <stddef.h>
#include <stdio.h>

#define BODY_MAX_ENTRIES 10000

/* A kind of ledger entry the API takes: its import file's columns. */
struct body_kind {
	const char *one, *many;          /* "payment", "payments" (the import's KIND) */
	const char *const *fields;       /* the import file's columns, in order */
	size_t n_fields;
};
extern const struct body_kind body_invoices, body_payments, body_credit_notes;

/*
 * An entry (JSON object) or an array of 1 to BODY_MAX_ENTRIES of them, with
 * the kind's import columns as string fields, written to `csv` as that
 * file (header, then one quoted row per entry, absent fields empty): the
 * import then checks every value. Returns the number of entries, or -1
 * with the reason in `why` (malformed JSON with its line and column, not an
 * object, an unknown field, a field that is not a string).
 */
long body_entries_csv(const struct body_kind *k, const char *body, size_t len, FILE *csv,
		      char *why, size_t whysize);

#endif
