/*
 * msgtpl — message templates: ICU MessageFormat with named placeholders.
 *
 * A collections manager writes "Bonjour {name}, {amount} restent dus depuis
 * le {due_date}." ICU's C API only formats numbered arguments through
 * varargs, whose C types ICU picks from the pattern; a pattern that asks
 * for a number where a string was passed is undefined behaviour. So a
 * template is compiled first: every placeholder name is replaced by its
 * fixed number, its kind is checked against the types it may be formatted
 * with, and every unused number gets an empty filler, so that ICU always
 * reads exactly the C types msgtpl_render passes.
 *
 * Placeholders (kind — allowed forms):
 *   name, amount, balance, account, url      text   — {x}, {x, select, ...}
 *   days_past_due, days_left                  number — {x} (integer), {x, number, ...},
 *                                                      {x, plural, ...}, {x, selectordinal, ...},
 *                                                      {x, spellout}, {x, ordinal}
 *   due_date, deadline                        date   — {x} (long date), {x, date, ...}, {x, time, ...}
 * Amounts are text: preformatted by money_format_locale, never a number.
 */
#ifndef RELANCE_MSGTPL_H
#define RELANCE_MSGTPL_H

#include <stddef.h>
#include <stdint.h>

#define MSGTPL_MAX_PATTERN 8192   /* bytes of source text */

struct msgtpl_args {
	const char *name;       /* UTF-8; NULL formats as "" */
	const char *amount;
	const char *balance;
	const char *account;
	const char *url;
	int32_t days_past_due;
	int32_t days_left;
	int32_t due_date;       /* day numbers (caltime.h) */
	int32_t deadline;
};

/*
 * Compiles UTF-8 pattern[0..len) for BCP 47 `locale` and checks it with
 * ICU. On success returns 0 and stores a malloc'ed NUL-terminated pattern
 * in *out (the caller frees it). On error returns -1, *out is NULL and
 * err (size errsize) holds a message such as "unknown placeholder {nmae}
 * (did you mean {name}?)".
 */
int msgtpl_compile(const char *pattern, size_t len, const char *locale, char **out,
		   char *err, size_t errsize);

/*
 * Formats a compiled pattern for `locale` into buf (UTF-8, NUL-terminated).
 * Returns the byte length, or -1 (buf "") when ICU fails or buf is small.
 */
int msgtpl_render(const char *compiled, const char *locale, const struct msgtpl_args *a,
		  char *buf, size_t size);

/* Edit distance of two short ASCII strings, capped at 9: for "did you mean". */
int msgtpl_distance(const char *a, const char *b);

#endif
