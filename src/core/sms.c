/*
 * sms — GSM-7 / UCS-2 detection and segment counts (see sms.h).
 *
 * The two GSM tables are kept as sorted code point lists and searched with
 * bsearch: a template is measured a handful of times per check, so clarity
 * wins over a 64 KiB lookup table.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>

#include "sms.h"

/* The GSM 03.38 basic table, sorted by code point (LF and CR included). */
static const uint32_t gsm_basic[] = {
	0x000A, 0x000D, 0x0020, 0x0021, 0x0022, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039,
	0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, 0x0040,
	0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, 0x0048, 0x0049, 0x004A,
	0x004B, 0x004C, 0x004D, 0x004E, 0x004F, 0x0050, 0x0051, 0x0052, 0x0053, 0x0054,
	0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005A, 0x005F,
	0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006A,
	0x006B, 0x006C, 0x006D, 0x006E, 0x006F, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074,
	0x0075, 0x0076, 0x0077, 0x0078, 0x0079, 0x007A,
	0x00A1, 0x00A3, 0x00A4, 0x00A5, 0x00A7, 0x00BF, 0x00C4, 0x00C5, 0x00C6, 0x00C7,
	0x00C9, 0x00D1, 0x00D6, 0x00D8, 0x00DC, 0x00DF, 0x00E0, 0x00E4, 0x00E5, 0x00E6,
	0x00E8, 0x00E9, 0x00EC, 0x00F1, 0x00F2, 0x00F6, 0x00F8, 0x00F9, 0x00FC,
	0x0393, 0x0394, 0x0398, 0x039B, 0x039E, 0x03A0, 0x03A3, 0x03A6, 0x03A8, 0x03A9,
};

/* The extension table: two septets each (ESC + code). */
static const uint32_t gsm_ext[] = {
	0x000C, 0x005B, 0x005C, 0x005D, 0x005E, 0x007B, 0x007C, 0x007D, 0x007E, 0x20AC,
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int in_table(const uint32_t *t, size_t n, uint32_t c)
{
	return bsearch(&c, t, n, sizeof(*t), cmp_u32) != NULL;
}

/* Decodes one UTF-8 sequence at s[*i]; returns the code point or -1. */
static int32_t next_cp(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	uint32_t cp, min;
	size_t n;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 1; cp = c & 0x1F; min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 2; cp = c & 0x0F; min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 3; cp = c & 0x07; min = 0x10000;
	} else {
		return -1;
	}
	if (len - *i <= n)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[*i + k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*i += n + 1;
	return (int32_t)cp;
}

static int is_space_alias(uint32_t c)
{
	return c == 0x00A0 || c == 0x202F || c == 0x2009;
}

/*
 * Parts needed for characters of the given unit costs, a character never
 * straddling two parts: the first pass counts units, and only when they
 * exceed a single message are they packed into parts.
 */
static size_t pack(const unsigned char *s, size_t len, int gsm, size_t single, size_t part,
		   size_t total)
{
	size_t i = 0, parts = 1, used = 0;

	if (total <= single)
		return 1;
	while (i < len) {
		int32_t c = next_cp(s, len, &i);
		size_t cost;

		assert(c >= 0);
		if (gsm)
			cost = in_table(gsm_ext, sizeof(gsm_ext) / sizeof(gsm_ext[0]), (uint32_t)c) ? 2 : 1;
		else
			cost = c > 0xFFFF ? 2 : 1;
		if (used + cost > part) {
			parts++;
			used = 0;
		}
		used += cost;
	}
	return parts;
}

int sms_measure(const char *str, size_t len, struct sms_measure *out)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, septets = 0, utf16 = 0, chars = 0;
	int gsm = 1;

	assert(out != NULL);
	assert(s != NULL || len == 0);
	while (i < len) {
		int32_t c = next_cp(s, len, &i);

		if (c < 0)
			return -1;
		chars++;
		utf16 += c > 0xFFFF ? 2 : 1;
		if (is_space_alias((uint32_t)c) ||
		    in_table(gsm_basic, sizeof(gsm_basic) / sizeof(gsm_basic[0]), (uint32_t)c))
			septets += 1;
		else if (in_table(gsm_ext, sizeof(gsm_ext) / sizeof(gsm_ext[0]), (uint32_t)c))
			septets += 2;
		else
			gsm = 0;
	}
	out->chars = chars;
	if (gsm) {
		out->encoding = SMS_GSM7;
		out->units = septets;
		out->segments = pack(s, len, 1, 160, 153, septets);
	} else {
		out->encoding = SMS_UCS2;
		out->units = utf16;
		out->segments = pack(s, len, 0, 70, 67, utf16);
	}
	return 0;
}

const char *sms_encoding_name(enum sms_encoding e)
{
	return e == SMS_GSM7 ? "GSM-7" : "UCS-2";
}
