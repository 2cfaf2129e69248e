/*
 * body — request bodies of the API turned into what the rest of relance
 * reads, checked first (docs/api.md). No store, no I/O beyond the stream
 * given: a fuzz target drives it with arbitrary bytes (fuzz/fuzz_api.c).
 */
#ifndef RELANCE_HTTP_BODY_H
#define RELANCE_HTTP_BODY_H

#include <stddef.h>
#include <stdio.h>

#define BODY_MAX_PAYMENTS 10000

/*
 * A payment (JSON object) or an array of 1 to BODY_MAX_PAYMENTS of them,
 * with the payments.csv columns as string fields, written to `csv` as that
 * file (header, then one quoted row per payment, absent fields empty): the
 * import then checks every value. Returns the number of payments, or -1
 * with the reason in `why` (malformed JSON with its line and column, not an
 * object, an unknown field, a field that is not a string).
 */
long body_payments_csv(const char *body, size_t len, FILE *csv, char *why, size_t whysize);

#endif
