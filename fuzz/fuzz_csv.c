/*
 * Fuzz target: CSV records and the field checks an import applies to them.
 * Invariants checked beyond "no crash": line numbers never go backwards and
 * never exceed the lines in the input, every field is NUL-terminated at its
 * length and valid UTF-8, and an amount that parses formats back to itself.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/core/caltime.h"
#include "../src/core/csvin.h"
#include "../src/core/money.h"
#include "../src/core/validate.h"

struct input {
	const uint8_t *data;
	size_t len, pos;
};

static ssize_t input_read(void *ctx, char *buf, size_t cap)
{
	struct input *in = ctx;
	size_t n = in->len - in->pos;

	/* Odd-sized reads so that lines straddle buffer refills. */
	if (n > cap)
		n = cap;
	if (n > 13)
		n = 13;
	memcpy(buf, in->data + in->pos, n);
	in->pos += n;
	return (ssize_t)n;
}

static void check_field(const char *f, size_t len)
{
	int32_t day;
	int64_t minor;

	if (f[len] != '\0' || !csvin_utf8_valid(f, len))
		abort();
	validate_id(f, len);
	validate_e164(f, len);
	validate_email(f, len);
	if (len < 64)
		validate_bcp47(f, len);
	date_parse(f, len, &day);
	for (int exponent = 0; exponent <= 3; exponent++) {
		if (money_parse(f, len, exponent, &minor) == MONEY_OK) {
			char buf[MONEY_FILE_FORM_MAX];
			int64_t back;

			if (money_format(minor, exponent, buf, sizeof(buf)) < 0 ||
			    money_parse(buf, strlen(buf), exponent, &back) != MONEY_OK ||
			    back != minor)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };
	struct csvin *c = csvin_new(input_read, &in);
	struct csvin_record *r;
	int64_t last = 0, lines = 1;

	if (c == NULL)
		return 0;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	while (csvin_next(c, &r) == CSVIN_RECORD) {
		if (r->line <= last || r->line > lines)
			abort();
		last = r->line;
		for (size_t i = 0; i < r->n; i++)
			check_field(r->fields[i], r->lens[i]);
	}
	csvin_free(c);
	return 0;
}
