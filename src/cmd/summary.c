/*
 * summary — `relance summary [--json]`: what the book of accounts looks like
 * at --now, per currency: accounts, accounts in debt, what they owe, what is
 * overdue, and how old the unpaid amounts are (current, 1-30, 31-60, 61-90,
 * over 90 days past their due date).
 *
 * Figures come from one scan of every account through cmd_position_at, so an
 * up-to-date summary reads snapshots only, and a back-dated --now recomputes
 * the accounts whose entries are not all in effect by then. Sums are int64_t
 * minor units with every addition checked; an overflow is an error, never a
 * wrong total. Currencies are never added together.
 *
 * Text output is for a person: amounts are formatted by ICU for a locale
 * representative of the currency (BIF as in Burundi, BRL as in Brazil...),
 * and since ICU puts U+00A0 / U+202F in them, columns are aligned on display
 * columns, not bytes. --json writes one object with amounts as decimal
 * strings in major units, as in the import files:
 *
 *   {"now":"2024-07-20T09:00:00Z","customers":5000,"accounts":5152,
 *    "currencies":[{"currency":"BIF","accounts":1530,"in_debt":402,
 *      "owed":"8123400","overdue":"5012300","ageing":{"current":"...",
 *      "days_1_30":"...","days_31_60":"...","days_61_90":"...",
 *      "over_90":"..."}}, ...]}
 *
 * Memory: the distinct customer ids (to count customers, whose accounts can
 * be anywhere in the account order) and one entry per currency.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/caltime.h"
#include "../core/money.h"
#include "../core/position.h"
#include "../store/store.h"
#include "cmd.h"
#include "out.h"

/* Bytes kept for distinct customer ids before giving up (about 50 million
 * customers of 20-byte ids). */
#define SUM_IDS_CAP ((size_t)1 << 30)
#define SUM_CELL 96

struct sum_currency {
	char code[8];
	int exponent;
	int64_t accounts, in_debt;
	int64_t owed, overdue;           /* minor units */
	int64_t ageing[AGE_BUCKETS];     /* minor units */
};

struct sum_ctx {
	struct cmd_ctx *cmd;
	struct store *store;
	int status;

	int64_t accounts;
	struct sum_currency *cur;
	size_t n_cur, cap_cur;

	/* Distinct customer ids: an open-addressing set of offsets (+1, so
	 * that 0 is an empty slot) into a text arena of NUL-terminated ids. */
	size_t *slots;
	size_t n_slots, n_customers;
	char *ids;
	size_t ids_len, ids_cap;
};

/* ---- distinct customers ------------------------------------------------- */

static uint64_t sum_hash(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

/* Doubles the set when half full; every id is rehashed from the arena. */
static int sum_grow_slots(struct sum_ctx *c)
{
	size_t n = c->n_slots ? c->n_slots * 2 : 4096;
	size_t *slots = calloc(n, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < c->n_slots; i++) {
		size_t at;

		if (c->slots[i] == 0)
			continue;
		at = (size_t)sum_hash(c->ids + c->slots[i] - 1) & (n - 1);
		while (slots[at] != 0)
			at = (at + 1) & (n - 1);
		slots[at] = c->slots[i];
	}
	free(c->slots);
	c->slots = slots;
	c->n_slots = n;
	return 0;
}

static int sum_note_customer(struct sum_ctx *c, const char *id)
{
	size_t len = strlen(id) + 1, at;

	if ((c->n_customers + 1) * 2 > c->n_slots && sum_grow_slots(c) != 0)
		return -1;
	at = (size_t)sum_hash(id) & (c->n_slots - 1);
	while (c->slots[at] != 0) {
		if (strcmp(c->ids + c->slots[at] - 1, id) == 0)
			return 0;
		at = (at + 1) & (c->n_slots - 1);
	}
	if (c->ids_len + len > c->ids_cap) {
		size_t cap = c->ids_cap ? c->ids_cap * 2 : 65536;
		char *ids;

		while (cap < c->ids_len + len)
			cap *= 2;
		if (cap > SUM_IDS_CAP || (ids = realloc(c->ids, cap)) == NULL)
			return -1;
		c->ids = ids;
		c->ids_cap = cap;
	}
	memcpy(c->ids + c->ids_len, id, len);
	c->slots[at] = c->ids_len + 1;
	c->ids_len += len;
	c->n_customers++;
	return 0;
}

/* ---- per currency ----------------------------------------------------------- */

static struct sum_currency *sum_currency(struct sum_ctx *c, const char *code)
{
	struct sum_currency *e;

	for (size_t i = 0; i < c->n_cur; i++)
		if (strcmp(c->cur[i].code, code) == 0)
			return &c->cur[i];
	if (c->n_cur == c->cap_cur) {
		size_t cap = c->cap_cur ? c->cap_cur * 2 : 8;
		struct sum_currency *p = realloc(c->cur, cap * sizeof(*p));

		if (p == NULL)
			return NULL;
		c->cur = p;
		c->cap_cur = cap;
	}
	e = &c->cur[c->n_cur++];
	memset(e, 0, sizeof(*e));
	snprintf(e->code, sizeof(e->code), "%s", code);
	if (money_currency_exponent(code, &e->exponent) != MONEY_OK)
		e->exponent = 2;   /* cannot happen: imports check currencies */
	return e;
}

static int sum_add(int64_t *total, int64_t v)
{
	return __builtin_add_overflow(*total, v, total) ? -1 : 0;
}

static int sum_account(void *arg, const struct account_summary *a)
{
	struct sum_ctx *c = arg;
	struct sum_currency *e;
	struct position p;
	int64_t ageing[AGE_BUCKETS] = { 0 };
	int bad = 0;

	if ((c->status = cmd_position_at(c->cmd, c->store, a, &p)) != 0)
		return -1;
	if ((e = sum_currency(c, a->currency)) == NULL ||
	    sum_note_customer(c, a->customer_id) != 0) {
		position_release(&p);
		c->status = cmd_fail(EXIT_RUNTIME, "out of memory");
		return -1;
	}
	/* One account's open items fit in int64_t (they are part of what
	 * position_compute summed with checks), so only the totals can overflow. */
	position_ageing(&p, p.today, ageing);
	c->accounts++;
	e->accounts++;
	if (p.balance > 0) {
		e->in_debt++;
		bad |= sum_add(&e->owed, p.balance);
	}
	bad |= sum_add(&e->overdue, p.overdue);
	for (int b = 0; b < AGE_BUCKETS; b++)
		bad |= sum_add(&e->ageing[b], ageing[b]);
	position_release(&p);
	if (bad) {
		c->status = cmd_fail(EXIT_RUNTIME, "summary: the totals in %s go beyond what "
				     "64-bit minor units hold", a->currency);
		return -1;
	}
	return 0;
}

static int sum_by_code(const void *a, const void *b)
{
	return strcmp(((const struct sum_currency *)a)->code,
		      ((const struct sum_currency *)b)->code);
}

/* ---- text output ------------------------------------------------------------- */

/* A locale whose people use the currency, for ICU's formatting. */
static const char *sum_locale(const char *currency)
{
	static const char *const map[][2] = {
		{ "BIF", "fr-BI" }, { "BRL", "pt-BR" }, { "EUR", "fr-FR" },
		{ "UAH", "uk-UA" }, { "CAD", "fr-CA" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], currency) == 0)
			return map[i][1];
	return "en";
}

static void sum_money(char *buf, size_t size, const struct sum_currency *e, int64_t minor)
{
	char plain[MONEY_FILE_FORM_MAX];

	if (money_format_locale(minor, e->code, sum_locale(e->code), buf, size) >= 0)
		return;
	/* ICU refused: the file form still says the exact amount. */
	money_format(minor, e->exponent, plain, sizeof(plain));
	snprintf(buf, size, "%s %s", plain, e->code);
}

/*
 * Display columns of UTF-8 text: one per code point, except the zero-width
 * marks ICU may insert (bidi marks, joiners) and combining accents.
 */
static size_t sum_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	while (*p) {
		uint32_t cp;
		int n;

		if (*p < 0x80) {
			cp = *p;
			n = 1;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1fu;
			n = 2;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0fu;
			n = 3;
		} else {
			cp = *p & 0x07u;
			n = 4;
		}
		for (int i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80) {   /* broken sequence: count a byte */
				n = 1;
				break;
			}
			cp = (cp << 6) | (p[i] & 0x3fu);
		}
		if (!((cp >= 0x200b && cp <= 0x200f) || cp == 0x2060 || cp == 0x061c ||
		      cp == 0xfeff || (cp >= 0x0300 && cp <= 0x036f)))
			w++;
		p += n;
	}
	return w;
}

/* A table of text cells: the first column left-aligned, the others right. */
struct sum_table {
	size_t rows, cols;
	char (*cells)[SUM_CELL];
};

static char *sum_cell(struct sum_table *t, size_t row, size_t col)
{
	return t->cells[row * t->cols + col];
}

static void sum_print_table(struct sum_table *t)
{
	size_t width[8] = { 0 };

	for (size_t r = 0; r < t->rows; r++)
		for (size_t k = 0; k < t->cols; k++) {
			size_t w = sum_width(sum_cell(t, r, k));

			if (w > width[k])
				width[k] = w;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t k = 0; k < t->cols; k++) {
			const char *s = sum_cell(t, r, k);
			size_t pad = width[k] - sum_width(s);

			if (k > 0)
				fputs("  ", stdout);
			if (k > 0)
				printf("%*s", (int)pad, "");
			fputs(s, stdout);
			if (k == 0 && t->cols > 1)
				printf("%*s", (int)pad, "");
		}
		fputc('\n', stdout);
	}
}

static int sum_text(struct sum_ctx *c)
{
	static const char *const head1[] = { "Currency", "Accounts", "In debt", "Owed",
					     "Overdue" };
	static const char *const head2[] = { "Currency", "Current", "1–30", "31–60",
					      "61–90", "Over 90" };
	struct sum_table t1 = { c->n_cur + 1, 5, NULL }, t2 = { c->n_cur + 1, 6, NULL };
	char now[INSTANT_TEXT_LEN + 1];
	int status = 0;

	instant_format(c->cmd->now, now);
	printf("Summary at %s: %zu customer%s, %lld account%s\n", now, c->n_customers,
	       c->n_customers == 1 ? "" : "s", (long long)c->accounts,
	       c->accounts == 1 ? "" : "s");
	if (c->n_cur == 0)
		return 0;
	t1.cells = calloc(t1.rows * t1.cols, SUM_CELL);
	t2.cells = calloc(t2.rows * t2.cols, SUM_CELL);
	if (t1.cells == NULL || t2.cells == NULL) {
		status = cmd_fail(EXIT_RUNTIME, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < t1.cols; k++)
		snprintf(sum_cell(&t1, 0, k), SUM_CELL, "%s", head1[k]);
	for (size_t k = 0; k < t2.cols; k++)
		snprintf(sum_cell(&t2, 0, k), SUM_CELL, "%s", head2[k]);
	for (size_t i = 0; i < c->n_cur; i++) {
		const struct sum_currency *e = &c->cur[i];

		snprintf(sum_cell(&t1, i + 1, 0), SUM_CELL, "%s", e->code);
		snprintf(sum_cell(&t1, i + 1, 1), SUM_CELL, "%lld", (long long)e->accounts);
		snprintf(sum_cell(&t1, i + 1, 2), SUM_CELL, "%lld", (long long)e->in_debt);
		sum_money(sum_cell(&t1, i + 1, 3), SUM_CELL, e, e->owed);
		sum_money(sum_cell(&t1, i + 1, 4), SUM_CELL, e, e->overdue);
		snprintf(sum_cell(&t2, i + 1, 0), SUM_CELL, "%s", e->code);
		for (int b = 0; b < AGE_BUCKETS; b++)
			sum_money(sum_cell(&t2, i + 1, (size_t)b + 1), SUM_CELL, e, e->ageing[b]);
	}
	fputc('\n', stdout);
	sum_print_table(&t1);
	fputs("\nAgeing of what is owed, by days past the due date\n", stdout);
	sum_print_table(&t2);
out:
	free(t1.cells);
	free(t2.cells);
	return status;
}

/* ---- JSON output --------------------------------------------------------------- */

static void sum_json_amount(const char *key, int64_t minor, int exponent)
{
	printf("\"%s\":\"", key);
	out_amount(stdout, minor, exponent);
	fputc('"', stdout);
}

static void sum_json(const struct sum_ctx *c)
{
	static const char *const buckets[AGE_BUCKETS] = {
		[AGE_CURRENT] = "current", [AGE_1_30] = "days_1_30",
		[AGE_31_60] = "days_31_60", [AGE_61_90] = "days_61_90",
		[AGE_OVER_90] = "over_90",
	};
	char now[INSTANT_TEXT_LEN + 1];

	instant_format(c->cmd->now, now);
	printf("{\"now\":\"%s\",\"customers\":%zu,\"accounts\":%lld,\"currencies\":[", now,
	       c->n_customers, (long long)c->accounts);
	for (size_t i = 0; i < c->n_cur; i++) {
		const struct sum_currency *e = &c->cur[i];

		fputs(i ? ",{\"currency\":" : "{\"currency\":", stdout);
		out_json(stdout, e->code);
		printf(",\"accounts\":%lld,\"in_debt\":%lld,", (long long)e->accounts,
		       (long long)e->in_debt);
		sum_json_amount("owed", e->owed, e->exponent);
		fputc(',', stdout);
		sum_json_amount("overdue", e->overdue, e->exponent);
		fputs(",\"ageing\":{", stdout);
		for (int b = 0; b < AGE_BUCKETS; b++) {
			if (b > 0)
				fputc(',', stdout);
			sum_json_amount(buckets[b], e->ageing[b], e->exponent);
		}
		fputs("}}", stdout);
	}
	fputs("]}\n", stdout);
}

/* ---- the command ------------------------------------------------------------------ */

int cmd_summary(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct sum_ctx c = { .cmd = ctx };
	int json = 0, rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else
			return cmd_fail(EXIT_USAGE, "summary: unknown argument '%s' "
					"(usage: relance summary [--json])", argv[i]);
	}
	if ((rc = cmd_open_store(ctx, &c.store)) != 0)
		return rc;
	rc = store_accounts_scan(c.store, NULL, sum_account, &c);
	if (rc != STORE_OK && c.status == 0)
		c.status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(c.store));
	if (c.status != 0)
		goto out;
	if (c.n_cur > 1)
		qsort(c.cur, c.n_cur, sizeof(*c.cur), sum_by_code);
	if (json)
		sum_json(&c);
	else
		c.status = sum_text(&c);
out:
	store_close(c.store);
	free(c.cur);
	free(c.slots);
	free(c.ids);
	return c.status;
}
