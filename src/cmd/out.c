/*
 * out — see out.h.
 */
#include <string.h>

#include "../core/caltime.h"
#include "../core/money.h"
#include "../core/position.h"
#include "out.h"

void out_csv(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void out_json(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void out_amount(FILE *f, int64_t minor, int exponent)
{
	char buf[MONEY_FILE_FORM_MAX];

	if (money_format(minor, exponent, buf, sizeof(buf)) < 0)
		fputs("?", f);   /* cannot happen: the buffer fits any int64 */
	else
		fputs(buf, f);
}

void out_date(FILE *f, int32_t day)
{
	char buf[DATE_TEXT_LEN + 1];

	if (day == POSITION_NO_DATE)
		return;
	date_format(day, buf);
	fputs(buf, f);
}
