/*
 * csvin — see csvin.h. Line splitting is ours (memchr over a 64 KiB
 * buffer); quoting and escaping are libcsv's.
 */
#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"

#define CHUNK (64u * 1024u)

struct csvin {
	csvin_read_fn read;
	void *ctx;
	struct csv_parser parser;

	/* Input buffer: bytes [pos, len) are read but not yet split. */
	char *buf;
	size_t cap, pos, len;
	int eof;
	uint64_t consumed;
	int64_t line_no;        /* physical lines fed so far */

	/* The record being assembled by libcsv's callbacks. */
	char *data;             /* fields back to back, each NUL-terminated */
	size_t data_len, data_cap;
	size_t offsets[CSVIN_MAX_FIELDS];
	size_t lens[CSVIN_MAX_FIELDS];
	const char *fields[CSVIN_MAX_FIELDS];
	size_t n_fields;
	int64_t row_start;      /* 0 when no record is in progress */
	int overflow;           /* a callback hit a cap */
	int ready;              /* a complete record waits in data */
	int64_t ready_line;

	struct csvin_record rec;
	int status;             /* sticky error once something failed */
	int64_t err_line;
	const char *err;
};

static void on_field(void *s, size_t len, void *ctx)
{
	struct csvin *c = ctx;

	if (c->overflow)
		return;
	if (c->ready) {
		/* A field after the end of a record within one physical line:
		 * only a bare CR ends records there (see on_row). */
		c->overflow = 3;
		return;
	}
	if (c->n_fields == CSVIN_MAX_FIELDS ||
	    c->data_len + len + 1 > CSVIN_MAX_RECORD) {
		c->overflow = 1;
		return;
	}
	if (c->data_len + len + 1 > c->data_cap) {
		size_t cap = c->data_cap ? c->data_cap : 4096;
		char *p;

		while (cap < c->data_len + len + 1)
			cap *= 2;
		if (cap > CSVIN_MAX_RECORD)
			cap = CSVIN_MAX_RECORD;
		p = realloc(c->data, cap);
		if (p == NULL) {
			c->overflow = 2;
			return;
		}
		c->data = p;
		c->data_cap = cap;
	}
	if (len > 0)
		memcpy(c->data + c->data_len, s, len);
	c->data[c->data_len + len] = '\0';
	c->offsets[c->n_fields] = c->data_len;
	c->lens[c->n_fields] = len;
	c->n_fields++;
	c->data_len += len + 1;
}

static void on_row(int term, void *ctx)
{
	struct csvin *c = ctx;

	(void)term;
	/* Lines end at LF, so only a bare CR can end a second record within one
	 * physical line: refused, as line numbers would no longer mean anything. */
	if (c->ready || c->row_start == 0) {
		/* A second record in one line, or one that began after a bare
		 * CR and ends at the end of the input. */
		c->overflow = 3;
		c->ready = 1;
		c->ready_line = c->line_no;
		return;
	}
	c->ready = 1;
	c->ready_line = c->row_start;
	c->row_start = 0;
}

struct csvin *csvin_new(csvin_read_fn read, void *ctx)
{
	struct csvin *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->read = read;
	c->ctx = ctx;
	c->cap = CHUNK + CSVIN_MAX_LINE;
	c->buf = malloc(c->cap);
	if (c->buf == NULL || csv_init(&c->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		free(c->buf);
		free(c);
		return NULL;
	}
	return c;
}

void csvin_free(struct csvin *c)
{
	if (c == NULL)
		return;
	csv_free(&c->parser);
	free(c->buf);
	free(c->data);
	free(c);
}

int64_t csvin_error_line(const struct csvin *c) { return c->err_line; }
const char *csvin_error(const struct csvin *c) { return c->err ? c->err : ""; }
uint64_t csvin_bytes(const struct csvin *c) { return c->consumed; }

static int fail(struct csvin *c, int status, int64_t line, const char *what)
{
	c->status = status;
	c->err_line = line;
	c->err = what;
	return status;
}

int csvin_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char b = s[i];
		size_t n;
		uint32_t cp;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xC2 && b <= 0xDF) {
			n = 1;
			cp = b & 0x1F;
		} else if (b >= 0xE0 && b <= 0xEF) {
			n = 2;
			cp = b & 0x0F;
		} else if (b >= 0xF0 && b <= 0xF4) {
			n = 3;
			cp = b & 0x07;
		} else {
			return 0;
		}
		if (len - i - 1 < n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* Next physical line, newline included, into line and len; 0 at end. */
static int next_line(struct csvin *c, const char **line, size_t *len)
{
	for (;;) {
		char *start = c->buf + c->pos;
		size_t avail = c->len - c->pos;
		char *nl = avail ? memchr(start, '\n', avail) : NULL;

		if (nl != NULL) {
			*line = start;
			*len = (size_t)(nl - start) + 1;
			c->pos += *len;
			break;
		}
		if (avail > CSVIN_MAX_LINE)
			return fail(c, CSVIN_ERR_LIMIT, c->line_no + 1,
				    "line longer than 1 MiB");
		if (c->eof) {
			if (avail == 0)
				return 0;
			*line = start;
			*len = avail;
			c->pos = c->len;
			break;
		}
		/* Slide what is left to the front, then fill the rest. */
		if (c->pos > 0) {
			memmove(c->buf, start, avail);
			c->len = avail;
			c->pos = 0;
		}
		{
			size_t room = c->cap - c->len;
			ssize_t got = c->read(c->ctx, c->buf + c->len,
					      room < CHUNK ? room : CHUNK);

			if (got < 0)
				return fail(c, CSVIN_ERR_READ, c->line_no + 1,
					    "read error");
			if (got == 0)
				c->eof = 1;
			c->len += (size_t)got;
		}
	}
	c->line_no++;
	c->consumed += *len;
	return 1;
}

static int is_blank(const char *s, size_t len)
{
	return (len == 1 && s[0] == '\n') || (len == 2 && s[0] == '\r' && s[1] == '\n') ||
	       (len == 1 && s[0] == '\r');
}

static int hand_out(struct csvin *c, struct csvin_record **rec)
{
	if (c->overflow == 3)
		return fail(c, CSVIN_ERR_SYNTAX, c->ready_line,
			    "bare carriage return ends a record inside a line");
	if (c->overflow)
		return fail(c, c->overflow == 2 ? CSVIN_ERR_NOMEM : CSVIN_ERR_LIMIT,
			    c->ready_line, c->overflow == 2 ? "out of memory" :
			    "record over 1 MiB or 256 fields");
	for (size_t i = 0; i < c->n_fields; i++)
		c->fields[i] = c->data + c->offsets[i];
	c->rec.line = c->ready_line;
	c->rec.n = c->n_fields;
	c->rec.fields = c->fields;
	c->rec.lens = c->lens;
	*rec = &c->rec;
	return CSVIN_RECORD;
}

int csvin_next(struct csvin *c, struct csvin_record **rec)
{
	const char *line;
	size_t len;
	int rc;

	if (c->status != 0)
		return c->status;
	/* The previous record's storage is reused from here on. */
	c->ready = 0;
	c->n_fields = 0;
	c->data_len = 0;
	for (;;) {
		rc = next_line(c, &line, &len);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			if (csv_fini(&c->parser, on_field, on_row, c) != 0)
				return fail(c, CSVIN_ERR_SYNTAX, c->row_start ? c->row_start : c->line_no,
					    "quoted field not closed at end of file");
			c->status = CSVIN_END;
			if (c->ready)
				return hand_out(c, rec);
			return CSVIN_END;
		}
		if (c->line_no == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
			line += 3;
			len -= 3;
		}
		if (!csvin_utf8_valid(line, len))
			return fail(c, CSVIN_ERR_UTF8, c->line_no, "not valid UTF-8");
		if (c->row_start == 0) {
			if (is_blank(line, len))
				continue;
			c->row_start = c->line_no;
		}
		if (csv_parse(&c->parser, line, len, on_field, on_row, c) != len)
			return fail(c, CSVIN_ERR_SYNTAX, c->line_no,
				    csv_error(&c->parser) == CSV_EPARSE ?
				    "malformed quoted field" : "CSV parser failed");
		if (c->ready)
			return hand_out(c, rec);
	}
}
