/*
 * dynbuf — see dynbuf.h. Doubles from 256 bytes, clamped to the cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynbuf.h"

void dynbuf_add(struct dynbuf *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	/* Invariant: len < max (room for the NUL). */
	if (b->max <= b->len || n >= b->max - b->len) {
		b->failed = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > b->max)
			cap = b->max;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void dynbuf_str(struct dynbuf *b, const char *s)
{
	dynbuf_add(b, s, strlen(s));
}

void dynbuf_json_str(struct dynbuf *b, const char *s)
{
	const char *run = s;

	dynbuf_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		dynbuf_add(b, run, (size_t)(s - run));
		run = s + 1;
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\r')
			snprintf(esc, sizeof(esc), "\\r");
		else if (c == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		dynbuf_str(b, esc);
	}
	dynbuf_add(b, run, (size_t)(s - run));
	dynbuf_add(b, "\"", 1);
}
