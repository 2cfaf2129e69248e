/*
 * chan_text — the one-line texts an adapter puts in a struct chan_outcome
 * and cuts out of a peer's answer: every detail is one line (control
 * characters become spaces) and a cut never falls inside a UTF-8 sequence.
 *
 * Nothing here allocates; every function writes only into the buffer it is
 * given and always NUL-terminates it.
 */
#ifndef RELANCE_CHAN_TEXT_H
#define RELANCE_CHAN_TEXT_H

#include <stddef.h>

#include "chan.h"

/*
 * out->status = status and out->detail = prefix + text[0..textlen), cut to
 * fit the detail; control characters of both become spaces. text need not
 * be NUL-terminated. out->peer_id is left as it is.
 */
void chan_detail_set(struct chan_outcome *out, int status, const char *prefix, const char *text,
		     size_t textlen);

/* The length in bytes of the first max_chars UTF-8 characters of s[0..len)
 * (a peer's answer for a detail), cut between characters. */
size_t chan_text_chars(const char *s, size_t len, size_t max_chars);

/*
 * Copies src[0..len) into dst (size bytes, size > 0), cut between UTF-8
 * characters when it does not fit, control characters as spaces.
 */
void chan_text_copy(char *dst, size_t size, const char *src, size_t len);

#endif
