/*
 * msgtpl — named placeholders to ICU's numbered MessageFormat (see msgtpl.h).
 *
 * The scanner follows ICU's default apostrophe mode (DOUBLE_OPTIONAL): ''
 * is a literal apostrophe; a single apostrophe starts quoted text only
 * before { or }, or before # inside a plural sub-message; any other
 * apostrophe is literal ("l'échéance" needs no doubling). Quoted text is
 * copied untouched, so the compiled pattern means what the source meant.
 */
#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uloc.h>
#include <unicode/umsg.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>

#include "msgtpl.h"

enum kind { K_TEXT, K_NUMBER, K_DATE };

/* Argument numbers are the index in this table: texts first, then the
 * numbers and dates, which ICU reads as double (UDate is a double). */
static const struct {
	const char *name;
	enum kind kind;
} args[] = {
	{ "name", K_TEXT }, { "amount", K_TEXT }, { "balance", K_TEXT },
	{ "account", K_TEXT }, { "url", K_TEXT },
	{ "days_past_due", K_NUMBER }, { "days_left", K_NUMBER },
	{ "due_date", K_DATE }, { "deadline", K_DATE },
};
#define N_ARGS ((int)(sizeof(args) / sizeof(args[0])))
#define N_TEXT 5
#define MAX_DEPTH 8
#define OUT_MAX (4 * MSGTPL_MAX_PATTERN)

struct scan {
	const char *s;
	size_t len, i;
	char *out;
	size_t n;
	int used[N_ARGS];
	char *err;
	size_t errsize;
	int failed;
};

static void fail(struct scan *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct scan *sc, const char *fmt, ...)
{
	va_list ap;

	if (sc->failed)
		return;
	sc->failed = 1;
	va_start(ap, fmt);
	vsnprintf(sc->err, sc->errsize, fmt, ap);
	va_end(ap);
}

static void emit(struct scan *sc, const char *p, size_t n)
{
	if (sc->failed)
		return;
	if (sc->n + n >= OUT_MAX) {
		fail(sc, "template too long");
		return;
	}
	memcpy(sc->out + sc->n, p, n);
	sc->n += n;
	sc->out[sc->n] = '\0';
}

static void emits(struct scan *sc, const char *p)
{
	emit(sc, p, strlen(p));
}

static int peek(const struct scan *sc)
{
	return sc->i < sc->len ? (unsigned char)sc->s[sc->i] : -1;
}

static void copy_char(struct scan *sc)
{
	emit(sc, sc->s + sc->i, 1);
	sc->i++;
}

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void copy_ws(struct scan *sc)
{
	while (is_ws(peek(sc)))
		copy_char(sc);
}

static void skip_ws(struct scan *sc)
{
	while (is_ws(peek(sc)))
		sc->i++;
}

static int is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* An apostrophe at sc->i: copies it, and the quoted text it opens if any. */
static void apostrophe(struct scan *sc, int in_plural)
{
	int next = sc->i + 1 < sc->len ? (unsigned char)sc->s[sc->i + 1] : -1;

	if (next == '\'') {
		copy_char(sc);
		copy_char(sc);
		return;
	}
	copy_char(sc);
	if (!(next == '{' || next == '}' || (next == '#' && in_plural)))
		return;
	while (sc->i < sc->len && !sc->failed) {
		if (peek(sc) == '\'') {
			if (sc->i + 1 < sc->len && sc->s[sc->i + 1] == '\'') {
				copy_char(sc);
				copy_char(sc);
				continue;
			}
			copy_char(sc);
			return;
		}
		copy_char(sc);
	}
}

static void message(struct scan *sc, int in_plural, int depth);

/* A simple style ("long", "#,##0", "::currency/EUR") up to its closing brace. */
static void simple_style(struct scan *sc)
{
	int braces = 0;

	while (sc->i < sc->len && !sc->failed) {
		int c = peek(sc);

		if (c == '\'') {
			apostrophe(sc, 0);
			continue;
		}
		if (c == '{')
			braces++;
		if (c == '}') {
			if (braces == 0)
				return;
			braces--;
		}
		copy_char(sc);
	}
}

/* The "selector {message} ..." list of a plural or select argument. */
static void complex_style(struct scan *sc, int plural, int depth)
{
	int n_messages = 0;

	for (;;) {
		size_t start;

		copy_ws(sc);
		if (sc->failed)
			return;
		if (peek(sc) == '}' || peek(sc) < 0)
			break;
		start = sc->i;
		while (peek(sc) >= 0 && !is_ws(peek(sc)) && peek(sc) != '{' && peek(sc) != '}')
			copy_char(sc);
		if (sc->i - start >= 7 && memcmp(sc->s + start, "offset:", 7) == 0) {
			/* "offset:1" or "offset: 1" */
			copy_ws(sc);
			while (peek(sc) >= '0' && peek(sc) <= '9')
				copy_char(sc);
			continue;
		}
		if (sc->i == start) {
			fail(sc, "a selector is missing before '{'");
			return;
		}
		copy_ws(sc);
		if (peek(sc) != '{') {
			fail(sc, "'{' expected after the selector '%.*s'", (int)(sc->i - start > 40 ? 40 : sc->i - start), sc->s + start);
			return;
		}
		copy_char(sc);
		message(sc, plural, depth + 1);
		if (peek(sc) != '}') {
			fail(sc, "a sub-message is not closed by '}'");
			return;
		}
		copy_char(sc);
		n_messages++;
	}
	if (n_messages == 0)
		fail(sc, "a plural or select argument needs at least an 'other {...}' sub-message");
}

static int nearest_arg(const char *name)
{
	int best = -1, best_d = 3;

	for (int k = 0; k < N_ARGS; k++) {
		int d = msgtpl_distance(name, args[k].name);

		if (d < best_d) {
			best_d = d;
			best = k;
		}
	}
	return best;
}

static const char *const text_types[] = { "select", NULL };
static const char *const number_types[] = { "number", "plural", "selectordinal", "spellout",
					    "ordinal", NULL };
static const char *const date_types[] = { "date", "time", NULL };

/* An argument: sc->i is just after its '{'. */
static void argument(struct scan *sc, int depth)
{
	char name[40], type[24], num[48];
	size_t start, n;
	int k, c;
	const char *const *allowed;

	skip_ws(sc);
	start = sc->i;
	while (is_word(peek(sc)))
		sc->i++;
	n = sc->i - start;
	if (n == 0) {
		fail(sc, "a placeholder name is missing after '{'");
		return;
	}
	if (n >= sizeof(name)) {
		fail(sc, "unknown placeholder {%.20s...}", sc->s + start);
		return;
	}
	memcpy(name, sc->s + start, n);
	name[n] = '\0';
	for (k = 0; k < N_ARGS && strcmp(args[k].name, name) != 0; k++)
		;
	if (k == N_ARGS) {
		int near = nearest_arg(name);

		if (near >= 0)
			fail(sc, "unknown placeholder {%s} (did you mean {%s}?)", name, args[near].name);
		else
			fail(sc, "unknown placeholder {%s}", name);
		return;
	}
	sc->used[k] = 1;
	skip_ws(sc);
	c = peek(sc);
	if (c == '}') {
		static const char *const dflt[] = { "}", ",number,integer}", ",date,long}" };

		snprintf(num, sizeof(num), "{%d%s", k, dflt[args[k].kind]);
		emits(sc, num);
		sc->i++;
		return;
	}
	if (c != ',') {
		fail(sc, "',' or '}' expected after {%s", name);
		return;
	}
	sc->i++;
	skip_ws(sc);
	start = sc->i;
	while (is_word(peek(sc)))
		sc->i++;
	n = sc->i - start;
	if (n == 0 || n >= sizeof(type)) {
		fail(sc, "a format type is expected after {%s,", name);
		return;
	}
	for (size_t j = 0; j < n; j++)
		type[j] = (char)(sc->s[start + j] | 0x20);
	type[n] = '\0';
	allowed = args[k].kind == K_TEXT ? text_types : args[k].kind == K_NUMBER ? number_types : date_types;
	while (*allowed && strcmp(*allowed, type) != 0)
		allowed++;
	if (*allowed == NULL) {
		fail(sc, "{%s} cannot be formatted as '%s'%s", name, type,
		     args[k].kind == K_TEXT ? " (it is text, already formatted)" :
		     args[k].kind == K_NUMBER ? " (use number, plural or selectordinal)" :
		     " (use date or time)");
		return;
	}
	snprintf(num, sizeof(num), "{%d,%s", k, type);
	emits(sc, num);
	skip_ws(sc);
	c = peek(sc);
	if (c == '}') {
		copy_char(sc);
		return;
	}
	if (c != ',') {
		fail(sc, "',' or '}' expected after {%s, %s", name, type);
		return;
	}
	copy_char(sc);
	if (strcmp(type, "plural") == 0 || strcmp(type, "selectordinal") == 0 ||
	    strcmp(type, "select") == 0)
		complex_style(sc, type[0] != 's' || type[6] == 'o', depth);
	else
		simple_style(sc);
	if (sc->failed)
		return;
	if (peek(sc) != '}') {
		fail(sc, "{%s} is not closed by '}'", name);
		return;
	}
	copy_char(sc);
}

/* Message text up to an unquoted '}' (left for the caller) or the end. */
static void message(struct scan *sc, int in_plural, int depth)
{
	if (depth > MAX_DEPTH) {
		fail(sc, "placeholders nested more than %d deep", MAX_DEPTH);
		return;
	}
	while (sc->i < sc->len && !sc->failed) {
		int c = peek(sc);

		if (c == '\'') {
			apostrophe(sc, in_plural);
		} else if (c == '{') {
			sc->i++;
			argument(sc, depth);
		} else if (c == '}') {
			if (depth == 0) {
				fail(sc, "'}' without a matching '{' (quote a literal one as '}')");
				return;
			}
			return;
		} else {
			copy_char(sc);
		}
	}
}

static int icu_locale(const char *tag, char *out, size_t size)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t parsed = 0;

	if (tag == NULL || tag[0] == '\0')
		return -1;
	uloc_forLanguageTag(tag, out, (int32_t)size, &parsed, &st);
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || (size_t)parsed != strlen(tag))
		return -1;
	return 0;
}

/* Opens a compiled pattern with ICU; NULL and a message on failure. */
static UMessageFormat *open_icu(const char *compiled, const char *locale, char *err, size_t errsize)
{
	char loc[ULOC_FULLNAME_CAPACITY];
	UChar *u = NULL;
	int32_t ulen = 0;
	UErrorCode st = U_ZERO_ERROR;
	UParseError pe;
	UMessageFormat *fmt = NULL;

	if (icu_locale(locale, loc, sizeof(loc)) != 0) {
		snprintf(err, errsize, "'%s' is not a BCP 47 locale ICU can read", locale ? locale : "");
		goto out;
	}
	u_strFromUTF8(NULL, 0, &ulen, compiled, -1, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st)) {
		snprintf(err, errsize, "the text is not valid UTF-8");
		goto out;
	}
	st = U_ZERO_ERROR;
	u = malloc(((size_t)ulen + 1) * sizeof(*u));
	if (u == NULL) {
		snprintf(err, errsize, "out of memory");
		goto out;
	}
	u_strFromUTF8(u, ulen + 1, NULL, compiled, -1, &st);
	if (U_FAILURE(st)) {
		snprintf(err, errsize, "the text is not valid UTF-8");
		goto out;
	}
	fmt = umsg_open(u, ulen, loc, &pe, &st);
	if (U_FAILURE(st)) {
		/* ICU may hand back an object along with the error. */
		snprintf(err, errsize, "ICU refuses the message: %s", u_errorName(st));
		if (fmt != NULL)
			umsg_close(fmt);
		fmt = NULL;
	}
out:
	free(u);
	return fmt;
}

int msgtpl_compile(const char *pattern, size_t len, const char *locale, char **out,
		   char *err, size_t errsize)
{
	struct scan sc = { 0 };
	char filler[48];
	UMessageFormat *fmt = NULL;
	int rc = -1;

	assert(out != NULL && err != NULL && errsize > 0);
	*out = NULL;
	err[0] = '\0';
	if (len > MSGTPL_MAX_PATTERN) {
		snprintf(err, errsize, "template longer than %d bytes", MSGTPL_MAX_PATTERN);
		return -1;
	}
	if (memchr(pattern, '\0', len) != NULL) {
		snprintf(err, errsize, "the text holds a NUL byte");
		return -1;
	}
	sc.s = pattern;
	sc.len = len;
	sc.err = err;
	sc.errsize = errsize;
	sc.out = malloc(OUT_MAX);
	if (sc.out == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	sc.out[0] = '\0';
	message(&sc, 0, 0);
	/* Every argument number is used, so that ICU reads exactly the C
	 * types msgtpl_render passes, in order. */
	for (int k = 0; k < N_ARGS && !sc.failed; k++) {
		if (sc.used[k])
			continue;
		snprintf(filler, sizeof(filler), "{%d,%s,other{}}", k,
			 args[k].kind == K_TEXT ? "select" : "plural");
		emits(&sc, filler);
	}
	if (sc.failed)
		goto out;
	fmt = open_icu(sc.out, locale, err, errsize);
	if (fmt == NULL)
		goto out;
	*out = sc.out;
	sc.out = NULL;
	rc = 0;
out:
	if (fmt != NULL)
		umsg_close(fmt);
	free(sc.out);
	return rc;
}

/* UTF-8 to a malloc'ed UTF-16 string; NULL on failure. */
static UChar *to_u(const char *s)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t n = 0;
	UChar *u;

	if (s == NULL)
		s = "";
	u_strFromUTF8(NULL, 0, &n, s, -1, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
		return NULL;
	st = U_ZERO_ERROR;
	u = malloc(((size_t)n + 1) * sizeof(*u));
	if (u == NULL)
		return NULL;
	u_strFromUTF8(u, n + 1, NULL, s, -1, &st);
	if (U_FAILURE(st)) {
		free(u);
		return NULL;
	}
	return u;
}

/* A day number as a UDate at 12:00 UTC: ICU formats dates in the process's
 * default zone, and noon UTC is the same calendar day in every zone from
 * UTC-12 to UTC+11, which covers every customer relance serves. */
static double udate_of(int32_t day)
{
	return ((double)day * 86400.0 + 43200.0) * 1000.0;
}

/*
 * umsg_open parses the pattern and loads the locale's number, date and
 * plural data: a cycle renders the same few templates for thousands of
 * customers. A handful of opened formats stay, keyed by compiled text and
 * locale, replaced in turn and used under a lock (a format must not serve
 * two threads at once). They live as long as the process.
 */
#define OPENED 16

static struct opened {
	char *compiled, *locale;
	UMessageFormat *fmt;
} opened[OPENED];
static unsigned opened_next;
static pthread_mutex_t opened_lock = PTHREAD_MUTEX_INITIALIZER;

/* The opened format of (compiled, locale), under the lock; NULL and a
 * message on failure. */
static UMessageFormat *opened_get(const char *compiled, const char *locale, char *err,
				  size_t errsize)
{
	const char *loc = locale ? locale : "";
	struct opened *o;
	UMessageFormat *fmt;
	char *c, *l;

	for (int i = 0; i < OPENED; i++)
		if (opened[i].fmt != NULL && strcmp(opened[i].compiled, compiled) == 0 &&
		    strcmp(opened[i].locale, loc) == 0)
			return opened[i].fmt;
	if ((fmt = open_icu(compiled, locale, err, errsize)) == NULL)
		return NULL;
	c = strdup(compiled);
	l = strdup(loc);
	if (c == NULL || l == NULL) {
		free(c);
		free(l);
		umsg_close(fmt);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	o = &opened[opened_next++ % OPENED];
	if (o->fmt != NULL)
		umsg_close(o->fmt);
	free(o->compiled);
	free(o->locale);
	o->compiled = c;
	o->locale = l;
	o->fmt = fmt;
	return fmt;
}

int msgtpl_render(const char *compiled, const char *locale, const struct msgtpl_args *a,
		  char *buf, size_t size)
{
	char err[128];
	UMessageFormat *fmt = NULL;
	UChar *t[N_TEXT] = { NULL };
	UChar out[4096];
	UErrorCode st = U_ZERO_ERROR;
	int32_t n, blen = 0;
	int rc = -1;

	assert(compiled != NULL && a != NULL);
	assert(buf != NULL && size > 0);
	buf[0] = '\0';
	t[0] = to_u(a->name);
	t[1] = to_u(a->amount);
	t[2] = to_u(a->balance);
	t[3] = to_u(a->account);
	t[4] = to_u(a->url);
	for (int k = 0; k < N_TEXT; k++)
		if (t[k] == NULL)
			goto out;
	pthread_mutex_lock(&opened_lock);
	fmt = opened_get(compiled, locale, err, sizeof(err));
	/* The C types below are the ones the compiled pattern makes ICU read:
	 * see args[] and msgtpl_compile. */
	n = fmt == NULL ? 0 : umsg_format(fmt, out, (int32_t)(sizeof(out) / sizeof(out[0])), &st,
					  t[0], t[1], t[2], t[3], t[4],
					  (double)a->days_past_due, (double)a->days_left,
					  udate_of(a->due_date), udate_of(a->deadline));
	pthread_mutex_unlock(&opened_lock);
	if (fmt == NULL || U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING)
		goto out;
	u_strToUTF8(buf, (int32_t)(size > INT32_MAX ? INT32_MAX : size), &blen, out, n, &st);
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING) {
		buf[0] = '\0';
		goto out;
	}
	rc = blen;
out:
	for (int k = 0; k < N_TEXT; k++)
		free(t[k]);
	return rc;
}

int msgtpl_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[33], prev;

	if (la > 32 || lb > 32)
		return 9;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j], best;

			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb] > 9 ? 9 : row[lb];
}
