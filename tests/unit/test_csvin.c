/*
 * CSV records and their physical line numbers (RFC 4180 through libcsv).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/core/csvin.h"

/* Serves a string in small pieces so that lines straddle reads. */
struct src {
	const char *s;
	size_t len, pos, step;
};

static ssize_t src_read(void *ctx, char *buf, size_t cap)
{
	struct src *s = ctx;
	size_t n = s->len - s->pos;

	if (n > cap)
		n = cap;
	if (n > s->step)
		n = s->step;
	memcpy(buf, s->s + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static struct csvin *open_str(struct src *s, const char *text, size_t step)
{
	s->s = text;
	s->len = strlen(text);
	s->pos = 0;
	s->step = step;
	return csvin_new(src_read, s);
}

Test(csvin, quoted_commas_quotes_and_newlines_keep_line_numbers)
{
	static const char text[] =
		"id,name,note\n"
		"1,\"Dupont, Marie\",\"she said \"\"hi\"\"\"\n"
		"2,\"two\nlines\",x\n"
		"\n"
		"3,plain,\"\"\r\n";
	struct src s;
	struct csvin *c = open_str(&s, text, 7);
	struct csvin_record *r;

	cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
	cr_assert_eq(r->line, 1);
	cr_assert_eq(r->n, 3);
	cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
	cr_assert_eq(r->line, 2);
	cr_assert_str_eq(r->fields[1], "Dupont, Marie");
	cr_assert_str_eq(r->fields[2], "she said \"hi\"");
	cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
	cr_assert_eq(r->line, 3);
	cr_assert_str_eq(r->fields[1], "two\nlines");
	cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
	cr_assert_eq(r->line, 6, "blank line 5 skipped, the quoted newline counted");
	cr_assert_str_eq(r->fields[2], "");
	cr_assert_eq(r->lens[2], 0);
	cr_assert_eq(csvin_next(c, &r), CSVIN_END);
	csvin_free(c);
}

Test(csvin, bom_is_skipped_and_last_line_needs_no_newline)
{
	struct src s;
	struct csvin *c = open_str(&s, "\xEF\xBB\xBF" "a,b\n1,2", 4096);
	struct csvin_record *r;

	cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
	cr_assert_str_eq(r->fields[0], "a");
	cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
	cr_assert_eq(r->line, 2);
	cr_assert_str_eq(r->fields[1], "2");
	cr_assert_eq(csvin_next(c, &r), CSVIN_END);
	csvin_free(c);
}

Test(csvin, invalid_utf8_names_its_line)
{
	struct src s;
	struct csvin *c = open_str(&s, "a,b\n1,2\n3,\xC3\x28\n", 4096);
	struct csvin_record *r;

	cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
	cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
	cr_assert_eq(csvin_next(c, &r), CSVIN_ERR_UTF8);
	cr_assert_eq(csvin_error_line(c), 3);
	cr_assert_eq(csvin_next(c, &r), CSVIN_ERR_UTF8, "errors are sticky");
	csvin_free(c);
}

Test(csvin, unterminated_quote_is_an_error)
{
	struct src s;
	struct csvin *c = open_str(&s, "a,b\n1,\"open\n2,3\n", 4096);
	struct csvin_record *r;

	cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
	cr_assert_eq(csvin_next(c, &r), CSVIN_ERR_SYNTAX);
	cr_assert_eq(csvin_error_line(c), 2);
	csvin_free(c);
}

Test(csvin, junk_after_closing_quote_is_an_error)
{
	struct src s;
	struct csvin *c = open_str(&s, "a,b\n\"x\"y,2\n", 4096);
	struct csvin_record *r;

	cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
	cr_assert_eq(csvin_next(c, &r), CSVIN_ERR_SYNTAX);
	cr_assert_eq(csvin_error_line(c), 2);
	csvin_free(c);
}

Test(csvin, utf8_validation)
{
	cr_assert(csvin_utf8_valid("Bujumbura — Ngagara", strlen("Bujumbura — Ngagara")));
	cr_assert(csvin_utf8_valid("Київ", strlen("Київ")));
	cr_assert(!csvin_utf8_valid("\xC0\xAF", 2), "overlong");
	cr_assert(!csvin_utf8_valid("\xED\xA0\x80", 3), "surrogate");
	cr_assert(!csvin_utf8_valid("\xE2\x82", 2), "truncated");
	cr_assert(!csvin_utf8_valid("\xF5\x80\x80\x80", 4), "beyond U+10FFFF");
}

Test(csvin, long_line_is_refused_not_truncated)
{
	size_t n = CSVIN_MAX_LINE + 10;
	char *text = malloc(n + 8);
	struct src s;
	struct csvin *c;
	struct csvin_record *r;

	memcpy(text, "a\n", 2);
	memset(text + 2, 'x', n);
	text[n + 2] = '\0';
	c = open_str(&s, text, 65536);
	cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
	cr_assert_eq(csvin_next(c, &r), CSVIN_ERR_LIMIT);
	cr_assert_eq(csvin_error_line(c), 2);
	csvin_free(c);
	free(text);
}

Test(csvin, bare_carriage_return_is_refused)
{
	static const char *const texts[] = {
		"a,b\n1\r2,3\n",      /* a record ends inside a line */
		"a,b\ncustom\rer_id,nam", /* and another starts, ending at end of input */
		"a,b\nx\rnam",          /* the same with one field */
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct src s;
		struct csvin *c = open_str(&s, texts[i], 4096);
		struct csvin_record *r;
		int rc;

		cr_assert_eq(csvin_next(c, &r), CSVIN_RECORD);
		while ((rc = csvin_next(c, &r)) == CSVIN_RECORD)
			cr_assert_geq(r->line, 2, "text %zu: line %lld", i, (long long)r->line);
		cr_assert_eq(rc, CSVIN_ERR_SYNTAX, "text %zu: got %d", i, rc);
		cr_assert_eq(csvin_error_line(c), 2);
		csvin_free(c);
	}
}
