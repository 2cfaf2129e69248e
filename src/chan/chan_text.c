/*
 * chan_text — see chan_text.h.
 */
#include <string.h>

#include "chan_text.h"

static char one_line(char c)
{
	return (unsigned char)c < 0x20 ? ' ' : c;
}

void chan_detail_set(struct chan_outcome *out, int status, const char *prefix, const char *text,
		     size_t textlen)
{
	size_t n = strlen(prefix);

	out->status = status;
	if (n > sizeof(out->detail) - 1)
		n = sizeof(out->detail) - 1;
	if (textlen > sizeof(out->detail) - 1 - n)
		textlen = sizeof(out->detail) - 1 - n;
	for (size_t i = 0; i < n; i++)
		out->detail[i] = one_line(prefix[i]);
	for (size_t i = 0; i < textlen; i++)
		out->detail[n + i] = one_line(text[i]);
	out->detail[n + textlen] = '\0';
}

size_t chan_text_chars(const char *s, size_t len, size_t max_chars)
{
	size_t i = 0, chars = 0;

	while (i < len && chars < max_chars) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	return i;
}

void chan_text_copy(char *dst, size_t size, const char *src, size_t len)
{
	size_t i;

	if (len > size - 1) {
		len = size - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++)
		dst[i] = one_line(src[i]);
	dst[i] = '\0';
}
