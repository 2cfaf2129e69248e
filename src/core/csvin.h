/*
 * csvin — RFC 4180 records from a byte stream, with physical line numbers.
 *
 * Wraps libcsv (strict mode). Input is read through a caller's function, so
 * this module does no I/O of its own. It feeds libcsv one physical line at a
 * time, which is how each record knows the line it started on even after a
 * quoted field that holds newlines. A UTF-8 byte-order mark at the very start
 * is skipped; every line must be valid UTF-8. Blank lines are skipped.
 *
 * Memory is bounded: a physical line may hold at most CSVIN_MAX_LINE bytes and
 * a record at most CSVIN_MAX_RECORD bytes in CSVIN_MAX_FIELDS fields.
 *
 * A record returned by csvin_next is owned by the reader and valid until the
 * next call. After an error the reader is finished: every later call returns
 * the same error.
 */
#ifndef RELANCE_CSVIN_H
#define RELANCE_CSVIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CSVIN_MAX_LINE   (1u << 20)
#define CSVIN_MAX_RECORD (1u << 20)
#define CSVIN_MAX_FIELDS 256

/* Reads up to cap bytes into buf: returns the count, 0 at end of input,
 * -1 on error (errno set). */
typedef ssize_t (*csvin_read_fn)(void *ctx, char *buf, size_t cap);

struct csvin;

struct csvin_record {
	int64_t line;          /* physical line where the record starts (1-based) */
	size_t n;              /* number of fields */
	const char **fields;   /* NUL-terminated field texts (may hold newlines) */
	const size_t *lens;    /* their byte lengths */
};

enum csvin_status {
	CSVIN_RECORD = 1,      /* *rec is the next record */
	CSVIN_END = 0,         /* no more records */
	CSVIN_ERR_READ = -1,   /* the read function failed */
	CSVIN_ERR_SYNTAX = -2, /* malformed quoting, unterminated quote */
	CSVIN_ERR_UTF8 = -3,   /* not valid UTF-8 */
	CSVIN_ERR_LIMIT = -4,  /* a line, record or field count over the caps */
	CSVIN_ERR_NOMEM = -5,
};

/* Returns NULL when out of memory. */
struct csvin *csvin_new(csvin_read_fn read, void *ctx);
void csvin_free(struct csvin *c);

int csvin_next(struct csvin *c, struct csvin_record **rec);

/* The physical line an error was found on, and a phrase describing it. */
int64_t csvin_error_line(const struct csvin *c);
const char *csvin_error(const struct csvin *c);
/* Bytes consumed so far (for progress). */
uint64_t csvin_bytes(const struct csvin *c);

/* Whether s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int csvin_utf8_valid(const char *s, size_t len);

#endif
