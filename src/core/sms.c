/*
 * sms — GSM-7 / UCS-2 detection, segment counts and parts (see sms.h).
 *
 * The two GSM tables are kept sorted by code point and searched with
 * bsearch: a text is measured or split a handful of times per message, so
 * clarity wins over a 64 KiB lookup table.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sms.h"

struct gsm_map {
	uint32_t cp;        /* Unicode code point */
	unsigned char code; /* its septet in the table */
};

/* The GSM 03.38 basic table (LF and CR included; 0x1B is the escape to the
 * extension table). Small c with cedilla is not in it: 0x09 is capital Ç. */
static const struct gsm_map gsm_basic[] = {
	{ 0x000A, 0x0A }, { 0x000D, 0x0D }, { 0x0020, 0x20 }, { 0x0021, 0x21 }, { 0x0022, 0x22 },
	{ 0x0023, 0x23 }, { 0x0024, 0x02 }, { 0x0025, 0x25 }, { 0x0026, 0x26 }, { 0x0027, 0x27 },
	{ 0x0028, 0x28 }, { 0x0029, 0x29 }, { 0x002A, 0x2A }, { 0x002B, 0x2B }, { 0x002C, 0x2C },
	{ 0x002D, 0x2D }, { 0x002E, 0x2E }, { 0x002F, 0x2F }, { 0x0030, 0x30 }, { 0x0031, 0x31 },
	{ 0x0032, 0x32 }, { 0x0033, 0x33 }, { 0x0034, 0x34 }, { 0x0035, 0x35 }, { 0x0036, 0x36 },
	{ 0x0037, 0x37 }, { 0x0038, 0x38 }, { 0x0039, 0x39 }, { 0x003A, 0x3A }, { 0x003B, 0x3B },
	{ 0x003C, 0x3C }, { 0x003D, 0x3D }, { 0x003E, 0x3E }, { 0x003F, 0x3F }, { 0x0040, 0x00 },
	{ 0x0041, 0x41 }, { 0x0042, 0x42 }, { 0x0043, 0x43 }, { 0x0044, 0x44 }, { 0x0045, 0x45 },
	{ 0x0046, 0x46 }, { 0x0047, 0x47 }, { 0x0048, 0x48 }, { 0x0049, 0x49 }, { 0x004A, 0x4A },
	{ 0x004B, 0x4B }, { 0x004C, 0x4C }, { 0x004D, 0x4D }, { 0x004E, 0x4E }, { 0x004F, 0x4F },
	{ 0x0050, 0x50 }, { 0x0051, 0x51 }, { 0x0052, 0x52 }, { 0x0053, 0x53 }, { 0x0054, 0x54 },
	{ 0x0055, 0x55 }, { 0x0056, 0x56 }, { 0x0057, 0x57 }, { 0x0058, 0x58 }, { 0x0059, 0x59 },
	{ 0x005A, 0x5A }, { 0x005F, 0x11 }, { 0x0061, 0x61 }, { 0x0062, 0x62 }, { 0x0063, 0x63 },
	{ 0x0064, 0x64 }, { 0x0065, 0x65 }, { 0x0066, 0x66 }, { 0x0067, 0x67 }, { 0x0068, 0x68 },
	{ 0x0069, 0x69 }, { 0x006A, 0x6A }, { 0x006B, 0x6B }, { 0x006C, 0x6C }, { 0x006D, 0x6D },
	{ 0x006E, 0x6E }, { 0x006F, 0x6F }, { 0x0070, 0x70 }, { 0x0071, 0x71 }, { 0x0072, 0x72 },
	{ 0x0073, 0x73 }, { 0x0074, 0x74 }, { 0x0075, 0x75 }, { 0x0076, 0x76 }, { 0x0077, 0x77 },
	{ 0x0078, 0x78 }, { 0x0079, 0x79 }, { 0x007A, 0x7A }, { 0x00A1, 0x40 }, { 0x00A3, 0x01 },
	{ 0x00A4, 0x24 }, { 0x00A5, 0x03 }, { 0x00A7, 0x5F }, { 0x00BF, 0x60 }, { 0x00C4, 0x5B },
	{ 0x00C5, 0x0E }, { 0x00C6, 0x1C }, { 0x00C7, 0x09 }, { 0x00C9, 0x1F }, { 0x00D1, 0x5D },
	{ 0x00D6, 0x5C }, { 0x00D8, 0x0B }, { 0x00DC, 0x5E }, { 0x00DF, 0x1E }, { 0x00E0, 0x7F },
	{ 0x00E4, 0x7B }, { 0x00E5, 0x0F }, { 0x00E6, 0x1D }, { 0x00E8, 0x04 }, { 0x00E9, 0x05 },
	{ 0x00EC, 0x07 }, { 0x00F1, 0x7D }, { 0x00F2, 0x08 }, { 0x00F6, 0x7C }, { 0x00F8, 0x0C },
	{ 0x00F9, 0x06 }, { 0x00FC, 0x7E }, { 0x0393, 0x13 }, { 0x0394, 0x10 }, { 0x0398, 0x19 },
	{ 0x039B, 0x14 }, { 0x039E, 0x1A }, { 0x03A0, 0x16 }, { 0x03A3, 0x18 }, { 0x03A6, 0x12 },
	{ 0x03A8, 0x17 }, { 0x03A9, 0x15 },
};

/* The extension table: two septets each, ESC (0x1B) then the code. */
static const struct gsm_map gsm_ext[] = {
	{ 0x000C, 0x0A }, { 0x005B, 0x3C }, { 0x005C, 0x2F }, { 0x005D, 0x3E }, { 0x005E, 0x14 },
	{ 0x007B, 0x28 }, { 0x007C, 0x40 }, { 0x007D, 0x29 }, { 0x007E, 0x3D }, { 0x20AC, 0x65 },
};

#define GSM_ESC 0x1B

static int cmp_map(const void *a, const void *b)
{
	uint32_t x = ((const struct gsm_map *)a)->cp, y = ((const struct gsm_map *)b)->cp;

	return x < y ? -1 : x > y;
}

static const struct gsm_map *lookup(const struct gsm_map *t, size_t n, uint32_t c)
{
	struct gsm_map key = { c, 0 };

	return bsearch(&key, t, n, sizeof(*t), cmp_map);
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

/* The spaces ICU formatting puts in amounts, sent as U+0020. */
static uint32_t unalias(uint32_t c)
{
	return c == 0x00A0 || c == 0x202F || c == 0x2009 || c == 0x2007 ? 0x20 : c;
}

/* GSM-7 septets of c written to out (1 or 2), or 0 when c has none. */
static size_t gsm_encode(uint32_t c, unsigned char out[2])
{
	const struct gsm_map *m;

	m = lookup(gsm_basic, sizeof(gsm_basic) / sizeof(gsm_basic[0]), c);
	if (m != NULL) {
		out[0] = m->code;
		return 1;
	}
	m = lookup(gsm_ext, sizeof(gsm_ext) / sizeof(gsm_ext[0]), c);
	if (m != NULL) {
		out[0] = GSM_ESC;
		out[1] = m->code;
		return 2;
	}
	return 0;
}

/* Octets of c in the encoding written to out; *units gets its cost in
 * septets or UTF-16 units. c must be encodable (checked by classify). */
static size_t char_encode(uint32_t c, enum sms_encoding enc, unsigned char out[4], size_t *units)
{
	size_t n;

	if (enc == SMS_GSM7) {
		n = gsm_encode(c, out);
		assert(n > 0);
		*units = n;
		return n;
	}
	if (c <= 0xFFFF) {
		out[0] = (unsigned char)(c >> 8);
		out[1] = (unsigned char)c;
		*units = 1;
		return 2;
	}
	c -= 0x10000;
	out[0] = (unsigned char)(0xD8 | (c >> 18));
	out[1] = (unsigned char)(c >> 10);
	out[2] = (unsigned char)(0xDC | ((c >> 8) & 0x03));
	out[3] = (unsigned char)c;
	*units = 2;
	return 4;
}

/* One pass over the text: its encoding, cost and length, or -1 on bad UTF-8. */
static int classify(const unsigned char *s, size_t len, struct sms_measure *m)
{
	size_t i = 0, septets = 0, utf16 = 0, chars = 0;
	unsigned char tmp[2];
	int gsm = 1;

	while (i < len) {
		int32_t c = next_cp(s, len, &i);
		size_t n;

		if (c < 0)
			return -1;
		chars++;
		utf16 += c > 0xFFFF ? 2 : 1;
		n = gsm_encode(unalias((uint32_t)c), tmp);
		if (n == 0)
			gsm = 0;
		septets += n;
	}
	m->chars = chars;
	m->encoding = gsm ? SMS_GSM7 : SMS_UCS2;
	m->units = gsm ? septets : utf16;
	m->segments = 0;
	return 0;
}

static void part_start(struct sms_part *p, enum sms_encoding enc, int concat, uint8_t ref,
		       size_t total, size_t seq)
{
	p->data_coding = sms_data_coding(enc);
	p->esm_class = concat ? SMS_ESM_UDHI : 0;
	p->len = 0;
	if (concat) {
		/* UDHL 5, IEI 0x00 (concatenation, 8-bit reference), IEDL 3. */
		p->data[0] = 0x05;
		p->data[1] = 0x00;
		p->data[2] = 0x03;
		p->data[3] = ref;
		p->data[4] = (unsigned char)total;
		p->data[5] = (unsigned char)seq;
		p->len = 6;
	}
}

/*
 * Lays the text out in parts, a character never straddling two, and
 * returns how many. With parts NULL it only counts; otherwise parts has
 * room for total entries, total being what the counting pass returned (the
 * UDH of every part carries it).
 */
static size_t layout(const unsigned char *s, size_t len, const struct sms_measure *m, uint8_t ref,
		     struct sms_part *parts, size_t total)
{
	size_t single = m->encoding == SMS_GSM7 ? 160 : 70;
	size_t limit = m->encoding == SMS_GSM7 ? 153 : 67;
	int concat = m->units > single;
	size_t i = 0, n = 1, used = 0;
	struct sms_part *p = parts;

	if (!concat)
		limit = single;
	if (p != NULL)
		part_start(p, m->encoding, concat, ref, total, 1);
	while (i < len) {
		int32_t c = next_cp(s, len, &i);
		unsigned char bytes[4];
		size_t k, units;

		assert(c >= 0);
		k = char_encode(unalias((uint32_t)c), m->encoding, bytes, &units);
		if (used + units > limit) {
			n++;
			used = 0;
			if (parts != NULL) {
				assert(n <= total);
				p = &parts[n - 1];
				part_start(p, m->encoding, concat, ref, total, n);
			}
		}
		if (p != NULL) {
			assert(p->len + k <= SMS_PART_MAX);
			memcpy(p->data + p->len, bytes, k);
			p->len += k;
		}
		used += units;
	}
	return n;
}

int sms_measure(const char *str, size_t len, struct sms_measure *out)
{
	const unsigned char *s = (const unsigned char *)str;
	struct sms_measure m;

	assert(out != NULL);
	assert(s != NULL || len == 0);
	if (classify(s, len, &m) != 0)
		return -1;
	m.segments = layout(s, len, &m, 0, NULL, 0);
	*out = m;
	return 0;
}

int sms_split(const char *str, size_t len, uint8_t ref, struct sms_part *parts, size_t cap,
	      size_t *nparts)
{
	const unsigned char *s = (const unsigned char *)str;
	struct sms_measure m;
	size_t n;

	assert(nparts != NULL);
	assert(s != NULL || len == 0);
	assert(parts != NULL || cap == 0);
	if (classify(s, len, &m) != 0)
		return SMS_EUTF8;
	n = layout(s, len, &m, 0, NULL, 0);
	*nparts = n;
	if (n > cap || n > SMS_PARTS_MAX)
		return SMS_ETOO_MANY;
	layout(s, len, &m, ref, parts, n);
	return 0;
}

const char *sms_encoding_name(enum sms_encoding e)
{
	return e == SMS_GSM7 ? "GSM-7" : "UCS-2";
}

uint8_t sms_data_coding(enum sms_encoding e)
{
	return e == SMS_GSM7 ? 0x00 : 0x08;
}
