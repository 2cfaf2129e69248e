/*
 * dynbuf — a growing text buffer with a cap (curl's dynbuf): messages and
 * request bodies built piece by piece never grow past what their peer
 * accepts, and a failure (out of memory, over the cap) sticks, so that a
 * builder appends without checking each step and looks once at the end.
 *
 * Ownership: b->p is malloc'ed by dynbuf_add and belongs to the caller
 * (free it, or take it). It is always NUL-terminated once anything was
 * added; b->len excludes the NUL.
 */
#ifndef RELANCE_DYNBUF_H
#define RELANCE_DYNBUF_H

#include <stddef.h>

struct dynbuf {
	char *p;
	size_t len, cap;
	size_t max;               /* the cap, NUL included: set before the first add */
	int failed;               /* out of memory or over max: stays set */
};

/* Appends data[0..n); on failure sets b->failed and leaves b as it was. */
void dynbuf_add(struct dynbuf *b, const void *data, size_t n);
/* Appends the string s. */
void dynbuf_str(struct dynbuf *b, const char *s);
/* Appends s as a JSON string: quoted, '"', '\\' and control characters
 * escaped, every other byte as it is (s must be UTF-8: the caller checks). */
void dynbuf_json_str(struct dynbuf *b, const char *s);

#endif
