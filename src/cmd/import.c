/*
 * import — `relance import KIND FILE`: a CSV file goes in whole or not at all.
 *
 * The whole file is applied inside one transaction, batch by batch, so that
 * later rows see earlier ones (duplicates, references). Every bad row is
 * reported as FILE:LINE: what is wrong; if there was any, the transaction is
 * rolled back and the exit status is 2. Ledger imports then bring the
 * position snapshots of the accounts they touched up to date, in the same
 * transaction, so positions are never stale after a commit, and write one
 * entry on the customer file of each account they brought new entries to
 * (how many, how much, the balance after), in the same transaction too.
 *
 * Memory: one batch of rows (their text in an arena) and the list of touched
 * accounts (24 bytes per account), whatever the size of the file.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/caltime.h"
#include "../core/csvin.h"
#include "../core/money.h"
#include "../core/position.h"
#include "../core/tz.h"
#include "../core/validate.h"
#include "../store/store.h"
#include "cmd.h"
#include "postpone.h"

#define BATCH 2048

enum kind { K_CUSTOMERS, K_ACCOUNTS, K_SERVICES, K_INVOICES, K_PAYMENTS, K_CREDIT_NOTES };

/* Columns of each kind; a leading '?' marks an optional one. */
#define MAX_COLS 8
static const struct kind_def {
	const char *name;
	const char *alias;
	const char *cols[MAX_COLS];
} kinds[] = {
	[K_CUSTOMERS] = { "customers", NULL,
		{ "customer_id", "name", "locale", "timezone", "jurisdiction", "?phone",
		  "?email", "?segment" } },
	[K_ACCOUNTS] = { "accounts", NULL, { "account_id", "customer_id", "currency" } },
	[K_SERVICES] = { "services", NULL,
		{ "service_id", "account_id", "kind", "identifier", "adapter" } },
	[K_INVOICES] = { "invoices", NULL,
		{ "invoice_id", "account_id", "issued_on", "due_on", "amount" } },
	[K_PAYMENTS] = { "payments", NULL,
		{ "payment_id", "account_id", "received_at", "amount", "?method", "?invoice_id" } },
	[K_CREDIT_NOTES] = { "credit-notes", "credit_notes",
		{ "credit_note_id", "account_id", "?invoice_id", "issued_on", "amount", "reason" } },
};

/* One row of the batch: its line and the text of each known column. */
struct raw_row {
	int64_t line;
	const char *f[MAX_COLS];
	size_t len[MAX_COLS];
	int bad;             /* already reported: skip the store */
};

struct import {
	const char *file;    /* as named in messages */
	enum kind kind;
	int map[MAX_COLS];   /* column index in the file, -1 when absent */
	size_t n_file_cols;
	struct store *store;
	int64_t import_id;
	int64_t now;

	struct raw_row rows[BATCH];
	size_t n_rows;
	char *arena;         /* the batch's field text */
	size_t arena_len, arena_cap;

	int64_t total, errors, inserted, same, updated;
	struct touched *touched;  /* accounts of new ledger rows */
	struct seen_slot *seen;  /* ids of this file that were already known */
	size_t n_seen, cap_seen;
	size_t n_touched, cap_touched;

	FILE *errout;        /* where row errors go: stderr, or a caller's buffer */

	/* progress on a terminal */
	int progress;
	off_t size;
	struct timespec started, last_shown;
};

static void row_error(struct import *im, int64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void row_error(struct import *im, int64_t line, const char *fmt, ...)
{
	va_list ap;

	if (im->progress)
		fputs("\r\033[K", stderr);
	fprintf(im->errout, "%s:%lld: ", im->file, (long long)line);
	va_start(ap, fmt);
	vfprintf(im->errout, fmt, ap);
	va_end(ap);
	fputc('\n', im->errout);
	im->errors++;
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void show_progress(struct import *im, uint64_t bytes, int final)
{
	double elapsed, rate, left = 0;

	if (!im->progress || (!final && seconds_since(&im->last_shown) < 0.25))
		return;
	clock_gettime(CLOCK_MONOTONIC, &im->last_shown);
	elapsed = seconds_since(&im->started);
	rate = elapsed > 0 ? (double)im->total / elapsed : 0;
	if (im->size > 0 && bytes > 0 && bytes < (uint64_t)im->size)
		left = elapsed * (double)((uint64_t)im->size - bytes) / (double)bytes;
	fprintf(stderr, "\r\033[K%s: %lld rows, %.0f rows/s", im->file,
		(long long)im->total, rate);
	if (im->size > 0)
		fprintf(stderr, ", %3d%%, %.0fs left",
			(int)((double)bytes * 100.0 / (double)im->size), left);
	if (final)
		fputs("\r\033[K", stderr);
}

/* ---- column mapping --------------------------------------------------------- */

static const char *col_name(const char *c) { return c[0] == '?' ? c + 1 : c; }

static int map_header(struct import *im, const struct csvin_record *h)
{
	const struct kind_def *k = &kinds[im->kind];
	int missing = 0;

	im->n_file_cols = h->n;
	for (int c = 0; c < MAX_COLS; c++) {
		im->map[c] = -1;
		if (k->cols[c] == NULL)
			continue;
		for (size_t i = 0; i < h->n; i++) {
			if (strcmp(h->fields[i], col_name(k->cols[c])) == 0) {
				if (im->map[c] >= 0) {
					row_error(im, h->line, "column %s appears twice in the header",
						  col_name(k->cols[c]));
					missing = 1;
				}
				im->map[c] = (int)i;
			}
		}
		if (im->map[c] < 0 && k->cols[c][0] != '?') {
			char need[256];
			size_t len = 0;

			for (int j = 0; j < MAX_COLS && k->cols[j]; j++)
				if (k->cols[j][0] != '?' && len < sizeof(need))
					len += (size_t)snprintf(need + len, sizeof(need) - len, "%s%s",
								len ? ", " : "", k->cols[j]);
			row_error(im, h->line, "missing required column %s (a %s file needs %s)",
				  k->cols[c], k->name, need);
			missing = 1;
		}
	}
	/* row_error counted each problem; the header is not a row. */
	return missing ? -1 : 0;
}

/* ---- batch text ------------------------------------------------------------ */

static int arena_keep(struct import *im, const char *s, size_t len, const char **out)
{
	if (im->arena_len + len + 1 > im->arena_cap) {
		/* Pointers of this batch must stay valid: the arena is sized
		 * before a batch starts (see add_row) and never moves within it. */
		return -1;
	}
	memcpy(im->arena + im->arena_len, s, len + 1);
	*out = im->arena + im->arena_len;
	im->arena_len += len + 1;
	return 0;
}

static int add_row(struct import *im, const struct csvin_record *r)
{
	struct raw_row *row;
	size_t need = 0;

	if (r->n != im->n_file_cols) {
		row_error(im, r->line, "%zu fields where the header has %zu", r->n,
			  im->n_file_cols);
		return 0;
	}
	for (int c = 0; c < MAX_COLS; c++)
		if (im->map[c] >= 0)
			need += r->lens[im->map[c]] + 1;
	if (im->arena_len + need > im->arena_cap)
		return 1;   /* batch full: flush, then add again */
	row = &im->rows[im->n_rows];
	memset(row, 0, sizeof(*row));
	row->line = r->line;
	for (int c = 0; c < MAX_COLS; c++) {
		if (im->map[c] < 0) {
			row->f[c] = "";
			continue;
		}
		if (arena_keep(im, r->fields[im->map[c]], r->lens[im->map[c]], &row->f[c]) != 0)
			return -1;
		row->len[c] = r->lens[im->map[c]];
	}
	im->n_rows++;
	return 0;
}

/* ---- field checks ------------------------------------------------------------ */

static int need_id(struct import *im, struct raw_row *r, int c)
{
	const char *name = col_name(kinds[im->kind].cols[c]);

	if (r->len[c] == 0) {
		row_error(im, r->line, "%s is empty", name);
		return 0;
	}
	if (!validate_id(r->f[c], r->len[c])) {
		row_error(im, r->line, "%s '%s' has control characters or surrounding spaces",
			  name, r->f[c]);
		return 0;
	}
	return 1;
}

static int need_text(struct import *im, struct raw_row *r, int c)
{
	if (r->len[c] == 0) {
		row_error(im, r->line, "%s is empty", col_name(kinds[im->kind].cols[c]));
		return 0;
	}
	return 1;
}

static int need_date(struct import *im, struct raw_row *r, int c, int32_t *day)
{
	int rc = date_parse(r->f[c], r->len[c], day);

	if (rc == CALTIME_OK)
		return 1;
	row_error(im, r->line, rc == CALTIME_RANGE ? "%s '%s' is not a real date" :
		  "%s '%s' is not a date (YYYY-MM-DD)", col_name(kinds[im->kind].cols[c]),
		  r->f[c]);
	return 0;
}

static int need_amount(struct import *im, struct raw_row *r, int c, const char *currency,
		       int exponent, int64_t *amount)
{
	int rc = money_parse(r->f[c], r->len[c], exponent, amount);

	if (rc == MONEY_TOO_PRECISE) {
		row_error(im, r->line, "amount '%s' has more decimals than %s allows (%d)",
			  r->f[c], currency, exponent);
		return 0;
	}
	if (rc != MONEY_OK) {
		row_error(im, r->line, "amount '%s': %s", r->f[c], money_strerror(rc));
		return 0;
	}
	if (*amount <= 0) {
		row_error(im, r->line, "amount '%s' must be positive (corrections are "
			  "credit notes or new entries)", r->f[c]);
		return 0;
	}
	return 1;
}

/* ---- outcomes ---------------------------------------------------------------- */

static const char *entity(enum kind k)
{
	static const char *const names[] = { "customer", "account", "service", "invoice",
					     "payment", "credit note" };
	return names[k];
}

/* An account this import brought new ledger entries to: how many, how much. */
struct touched {
	int64_t key, count, amount;
};

static int cmp_touched(const void *a, const void *b)
{
	int64_t x = ((const struct touched *)a)->key, y = ((const struct touched *)b)->key;

	return (x > y) - (x < y);
}

/* Sorts the touched accounts and merges repeats; -1 when an account's sum
 * would overflow. */
static int dedupe_touched(struct import *im)
{
	size_t n = 0;

	qsort(im->touched, im->n_touched, sizeof(*im->touched), cmp_touched);
	for (size_t i = 0; i < im->n_touched; i++) {
		struct touched *t = &im->touched[i];

		if (n > 0 && im->touched[n - 1].key == t->key) {
			struct touched *m = &im->touched[n - 1];

			if (__builtin_add_overflow(m->amount, t->amount, &m->amount))
				return -1;
			m->count += t->count;
		} else {
			im->touched[n++] = *t;
		}
	}
	im->n_touched = n;
	return 0;
}

/*
 * Rows already stored with the same content (STORE_PUT_SAME) do not carry
 * this import's id, so the store cannot tell that such an id came twice in
 * this file. The import keeps a 64-bit hash of each of them with its line:
 * 16 bytes a row, paid only when unchanged rows are sent again. Two different
 * ids sharing a hash would be reported as a duplicate; at 2^-64 per pair
 * that is below any file size this command can meet.
 */
struct seen_slot {
	uint64_t hash;   /* 0: empty */
	int64_t line;
};

static uint64_t id_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a, then a final mix */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h ? h : 1;
}

/* Records a known id; returns the earlier line if it came before, else 0. */
static int64_t seen_before(struct import *im, const char *id, int64_t line, int *nomem)
{
	uint64_t h = id_hash(id);
	size_t i;

	if (im->n_seen + 1 > im->cap_seen / 2) {
		size_t cap = im->cap_seen ? im->cap_seen * 2 : 4096;
		struct seen_slot *slots = calloc(cap, sizeof(*slots));

		if (slots == NULL) {
			*nomem = 1;
			return 0;
		}
		for (size_t k = 0; k < im->cap_seen; k++) {
			if (im->seen[k].hash == 0)
				continue;
			for (i = im->seen[k].hash & (cap - 1); slots[i].hash; i = (i + 1) & (cap - 1))
				;
			slots[i] = im->seen[k];
		}
		free(im->seen);
		im->seen = slots;
		im->cap_seen = cap;
	}
	for (i = h & (im->cap_seen - 1); im->seen[i].hash; i = (i + 1) & (im->cap_seen - 1))
		if (im->seen[i].hash == h)
			return im->seen[i].line;
	im->seen[i].hash = h;
	im->seen[i].line = line;
	im->n_seen++;
	return 0;
}

static int note_touched(struct import *im, int64_t key, int64_t amount)
{
	if (im->n_touched > 0 && im->touched[im->n_touched - 1].key == key) {
		struct touched *t = &im->touched[im->n_touched - 1];

		t->count++;
		return __builtin_add_overflow(t->amount, amount, &t->amount) ? -1 : 0;
	}
	if (im->n_touched == im->cap_touched) {
		/* Full: drop repeats first, and grow only if the list is still more
		 * than half distinct accounts, so memory follows the accounts an
		 * import touches, not the number of its rows. */
		if (im->n_touched > 0 && dedupe_touched(im) != 0)
			return -1;
		if (im->cap_touched == 0 || im->n_touched > im->cap_touched / 2) {
			size_t cap = im->cap_touched ? im->cap_touched * 2 : 4096;
			struct touched *p = realloc(im->touched, cap * sizeof(*p));

			if (p == NULL)
				return -1;
			im->touched = p;
			im->cap_touched = cap;
		}
	}
	im->touched[im->n_touched++] = (struct touched){ key, 1, amount };
	return 0;
}

static int outcome(struct import *im, struct raw_row *r, const struct store_outcome *o,
		   int64_t account_key, int64_t amount)
{
	const char *id = r->f[0], *idcol = col_name(kinds[im->kind].cols[0]);
	int ledger = im->kind >= K_INVOICES;

	switch (o->put) {
	case STORE_PUT_NEW:
		im->inserted++;
		if (ledger && note_touched(im, account_key, amount) != 0)
			return -1;
		break;
	case STORE_PUT_SAME: {
		int nomem = 0;
		int64_t first = seen_before(im, id, r->line, &nomem);

		if (nomem)
			return -1;
		if (first > 0) {
			row_error(im, r->line, "duplicate %s '%s' (already on line %lld of this file)",
				  idcol, id, (long long)first);
			break;
		}
		im->same++;
		break;
	}
	case STORE_PUT_UPDATED:
		im->updated++;
		break;
	case STORE_PUT_DUPLICATE:
		row_error(im, r->line, "duplicate %s '%s' (already on line %lld of this file)",
			  idcol, id, (long long)o->line);
		break;
	case STORE_PUT_NO_REF:
		row_error(im, r->line, "unknown %s", o->what ? o->what : "reference");
		break;
	case STORE_PUT_CONFLICT:
		if (ledger)
			row_error(im, r->line, "%s '%s' is already in the ledger with a different "
				  "%s: the ledger is append-only, correct it with a new entry",
				  idcol, id, o->what);
		else
			row_error(im, r->line, "%s '%s' exists with a different %s, which cannot "
				  "change", entity(im->kind), id, o->what);
		break;
	}
	return 0;
}

/* ---- per kind ------------------------------------------------------------------ */

static int flush_customers(struct import *im)
{
	/* static: batches are large and one import runs per process */
	static struct customer_row rows[BATCH];
	static struct raw_row *map[BATCH];
	static struct store_outcome out[BATCH];
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < im->n_rows; i++) {
		struct raw_row *r = &im->rows[i];
		int ok = need_id(im, r, 0) & need_text(im, r, 1);

		if (r->len[2] == 0 || !validate_bcp47(r->f[2], r->len[2])) {
			row_error(im, r->line, "locale '%s' is not a BCP 47 tag (e.g. fr-BI, pt-BR)",
				  r->f[2]);
			ok = 0;
		}
		if (!tz_valid(r->f[3])) {
			row_error(im, r->line, "timezone '%s' is not an IANA time zone "
				  "(e.g. Africa/Bujumbura)", r->f[3]);
			ok = 0;
		}
		ok &= need_id(im, r, 4);
		if (r->len[5] > 0 && !validate_e164(r->f[5], r->len[5])) {
			row_error(im, r->line, "phone '%s' is not E.164 (+ and up to 15 digits)",
				  r->f[5]);
			ok = 0;
		}
		if (r->len[6] > 0 && !validate_email(r->f[6], r->len[6])) {
			row_error(im, r->line, "email '%s' is not an e-mail address", r->f[6]);
			ok = 0;
		}
		if (!ok)
			continue;
		rows[n] = (struct customer_row){ r->line, r->f[0], r->f[1], r->f[2], r->f[3],
						 r->f[4], r->f[5], r->f[6], r->f[7] };
		map[n++] = r;
	}
	if ((rc = store_customers_put(im->store, im->import_id, rows, n, out)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (outcome(im, map[i], &out[i], 0, 0) != 0)
			return STORE_ERR_NOMEM;
	return STORE_OK;
}

static int flush_accounts(struct import *im)
{
	/* static: batches are large and one import runs per process */
	static struct account_row rows[BATCH];
	static struct raw_row *map[BATCH];
	static struct store_outcome out[BATCH];
	size_t n = 0;
	int rc, exponent;

	for (size_t i = 0; i < im->n_rows; i++) {
		struct raw_row *r = &im->rows[i];
		int ok = need_id(im, r, 0) & need_id(im, r, 1);

		if (money_currency_exponent(r->f[2], &exponent) != MONEY_OK) {
			row_error(im, r->line, "currency '%s' is not an ISO 4217 code", r->f[2]);
			ok = 0;
		}
		if (!ok)
			continue;
		rows[n] = (struct account_row){ r->line, r->f[0], r->f[1], r->f[2] };
		map[n++] = r;
	}
	if ((rc = store_accounts_put(im->store, im->import_id, rows, n, out)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (out[i].put == STORE_PUT_NO_REF) {
			row_error(im, map[i]->line, "unknown customer_id '%s'", map[i]->f[1]);
			continue;
		}
		if (outcome(im, map[i], &out[i], 0, 0) != 0)
			return STORE_ERR_NOMEM;
	}
	return STORE_OK;
}

static int flush_services(struct import *im)
{
	/* static: batches are large and one import runs per process */
	static struct service_row rows[BATCH];
	static struct raw_row *map[BATCH];
	static struct store_outcome out[BATCH];
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < im->n_rows; i++) {
		struct raw_row *r = &im->rows[i];
		int ok = need_id(im, r, 0) & need_id(im, r, 1) & need_text(im, r, 2) &
			 need_text(im, r, 3) & need_text(im, r, 4);

		if (!ok)
			continue;
		rows[n] = (struct service_row){ r->line, r->f[0], r->f[1], r->f[2], r->f[3],
						r->f[4] };
		map[n++] = r;
	}
	if ((rc = store_services_put(im->store, im->import_id, rows, n, out)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (out[i].put == STORE_PUT_NO_REF) {
			row_error(im, map[i]->line, "unknown account_id '%s'", map[i]->f[1]);
			continue;
		}
		if (outcome(im, map[i], &out[i], 0, 0) != 0)
			return STORE_ERR_NOMEM;
	}
	return STORE_OK;
}

/* Resolves the account column (index 1 in every ledger kind) of the batch. */
static int find_accounts(struct import *im, struct account_ref *refs)
{
	const char *ids[BATCH];

	for (size_t i = 0; i < im->n_rows; i++)
		ids[i] = im->rows[i].f[1];
	return store_accounts_find(im->store, ids, im->n_rows, refs);
}

static int flush_invoices(struct import *im)
{
	static struct account_ref refs[BATCH];
	/* static: batches are large and one import runs per process */
	static struct invoice_row rows[BATCH];
	static struct raw_row *map[BATCH];
	static struct store_outcome out[BATCH];
	size_t n = 0;
	int rc;

	if ((rc = find_accounts(im, refs)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < im->n_rows; i++) {
		struct raw_row *r = &im->rows[i];
		struct invoice_row *row = &rows[n];
		int ok = need_id(im, r, 0), exponent = 0;

		if (need_id(im, r, 1) && !refs[i].found) {
			row_error(im, r->line, "unknown account_id '%s'", r->f[1]);
			ok = 0;
		}
		ok &= need_date(im, r, 2, &row->inv.issued_on);
		ok &= need_date(im, r, 3, &row->inv.due_on);
		if (ok && row->inv.due_on < row->inv.issued_on) {
			row_error(im, r->line, "due_on %s is before issued_on %s", r->f[3], r->f[2]);
			ok = 0;
		}
		if (refs[i].found) {
			money_currency_exponent(refs[i].currency, &exponent);
			ok &= need_amount(im, r, 4, refs[i].currency, exponent, &row->inv.amount);
		}
		if (!ok)
			continue;
		row->line = r->line;
		row->account_key = refs[i].account_key;
		row->inv.id = r->f[0];
		map[n++] = r;
	}
	if ((rc = store_invoices_put(im->store, im->import_id, rows, n, out)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (outcome(im, map[i], &out[i], rows[i].account_key, rows[i].inv.amount) != 0)
			return STORE_ERR_NOMEM;
	return STORE_OK;
}

/* Payments and credit notes: columns differ, checks are the same. */
static int flush_credits(struct import *im)
{
	static struct account_ref refs[BATCH];
	static struct invoice_ref irefs[BATCH];
	/* static: batches are large and one import runs per process */
	static struct credit_row rows[BATCH];
	static struct raw_row *map[BATCH];
	static struct store_outcome out[BATCH];
	static const char *inv_ids[BATCH];
	static size_t inv_at[BATCH];
	size_t n = 0, n_inv = 0;
	int payment = im->kind == K_PAYMENTS;
	/* column indexes per kind (see kinds[]) */
	int c_when = payment ? 2 : 3, c_amount = payment ? 3 : 4, c_inv = payment ? 5 : 2;
	int rc;

	if ((rc = find_accounts(im, refs)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < im->n_rows; i++) {
		if (im->rows[i].len[c_inv] > 0) {
			inv_at[i] = n_inv;
			inv_ids[n_inv++] = im->rows[i].f[c_inv];
		}
	}
	if (n_inv > 0 && (rc = store_invoices_find(im->store, inv_ids, n_inv, irefs)) != STORE_OK)
		return rc;

	for (size_t i = 0; i < im->n_rows; i++) {
		struct raw_row *r = &im->rows[i];
		struct credit_row *row = &rows[n];
		int ok = need_id(im, r, 0), exponent = 0;

		memset(row, 0, sizeof(*row));
		row->cr.kind = payment ? LEDGER_PAYMENT : LEDGER_CREDIT_NOTE;
		if (need_id(im, r, 1) && !refs[i].found) {
			row_error(im, r->line, "unknown account_id '%s'", r->f[1]);
			ok = 0;
		}
		if (payment) {
			/* A bare date is the customer's local midnight; while the
			 * account is unknown (already reported) UTC checks the syntax. */
			struct tz *zone = NULL;

			if (!refs[i].found || tz_get(refs[i].timezone, &zone) != TZ_OK)
				tz_get("UTC", &zone);
			if (tz_parse_when(zone, r->f[c_when], r->len[c_when],
					  &row->cr.received_at) != TZ_OK) {
				row_error(im, r->line, "received_at '%s' is not an RFC 3339 instant "
					  "or a real date", r->f[c_when]);
				ok = 0;
			}
			row->method = r->f[4];
		} else {
			ok &= need_date(im, r, c_when, &row->cr.issued_on);
			ok &= need_text(im, r, 5);
			row->reason = r->f[5];
		}
		if (refs[i].found) {
			money_currency_exponent(refs[i].currency, &exponent);
			ok &= need_amount(im, r, c_amount, refs[i].currency, exponent, &row->cr.amount);
		}
		if (r->len[c_inv] > 0) {
			const struct invoice_ref *ir = &irefs[inv_at[i]];

			if (!ir->found) {
				row_error(im, r->line, "unknown invoice_id '%s'", r->f[c_inv]);
				ok = 0;
			} else if (refs[i].found && ir->account_key != refs[i].account_key) {
				row_error(im, r->line, "invoice_id '%s' belongs to another account "
					  "than '%s'", r->f[c_inv], r->f[1]);
				ok = 0;
			}
			row->cr.invoice_id = r->f[c_inv];
		}
		if (!ok)
			continue;
		row->line = r->line;
		row->account_key = refs[i].account_key;
		row->cr.id = r->f[0];
		map[n++] = r;
	}
	if ((rc = store_credits_put(im->store, im->import_id, rows, n, out)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (outcome(im, map[i], &out[i], rows[i].account_key, rows[i].cr.amount) != 0)
			return STORE_ERR_NOMEM;
	return STORE_OK;
}

static int flush(struct import *im)
{
	static int (*const by_kind[])(struct import *) = {
		flush_customers, flush_accounts, flush_services, flush_invoices,
		flush_credits, flush_credits,
	};
	int rc = STORE_OK;

	if (im->n_rows > 0)
		rc = by_kind[im->kind](im);
	im->n_rows = 0;
	im->arena_len = 0;
	return rc;
}

/* ---- positions ------------------------------------------------------------------ */

#define SNAP_BATCH 1024
#define NOTE_MAX 256

struct snap_ctx {
	const struct import *im;
	int64_t keys[SNAP_BATCH];
	struct position pos[SNAP_BATCH];
	struct file_note notes[SNAP_BATCH];
	char bodies[SNAP_BATCH][NOTE_MAX];
	size_t n;
	char failed[128];
};

/* Writes the batch: snapshots and file entries. */
static int snap_flush(struct snap_ctx *c)
{
	int rc = store_snapshots_put(c->im->store, c->keys, c->pos, c->n);

	if (rc == STORE_OK)
		rc = store_file_notes(c->im->store, c->notes, c->n);
	for (size_t i = 0; i < c->n; i++)
		position_release(&c->pos[i]);
	c->n = 0;
	return rc;
}

/* What this import brought to the account, for its customer's file:
 * "invoices.csv: 3 new invoices, 150.00 BRL; balance 420.00 BRL". */
static void note_body(const struct import *im, const struct account_ledger *l,
		      const struct touched *t, const struct position *p, char *buf)
{
	char amount[MONEY_FILE_FORM_MAX], balance[MONEY_FILE_FORM_MAX];
	const char *base = strrchr(im->file, '/');

	money_format(t->amount, l->exponent, amount, sizeof(amount));
	money_format(p->balance, l->exponent, balance, sizeof(balance));
	snprintf(buf, NOTE_MAX, "%s: %lld new %s%s, %s %s; balance %s %s",
		 base ? base + 1 : im->file, (long long)t->count, entity(im->kind),
		 t->count == 1 ? "" : "s", amount, l->currency, balance, l->currency);
}

static int snap_account(void *ctx, const struct account_ledger *l)
{
	struct snap_ctx *c = ctx;
	struct touched key = { .key = l->account_key }, *t;
	int rc = postpone_position(l, POSITION_FOREVER, &c->pos[c->n]);

	if (rc != POSITION_OK) {
		snprintf(c->failed, sizeof(c->failed), "%s", l->account_id);
		return STORE_ERR_INPUT;
	}
	c->keys[c->n] = l->account_key;
	t = bsearch(&key, c->im->touched, c->im->n_touched, sizeof(key), cmp_touched);
	assert(t != NULL);   /* the scan reads the touched accounts only */
	note_body(c->im, l, t, &c->pos[c->n], c->bodies[c->n]);
	c->notes[c->n] = (struct file_note){ l->account_key, c->im->now, "import", CMD_AUTHOR,
					     c->bodies[c->n] };
	c->n++;
	return c->n == SNAP_BATCH ? snap_flush(c) : 0;
}

/* Brings the snapshots of every touched account up to date. */
static int refresh_positions(struct import *im)
{
	static struct snap_ctx c;
	int64_t *keys;
	int rc;

	if (im->n_touched == 0)
		return 0;
	/* Read afresh: a long-running process (serve) may have an old list. */
	postpone_forget();
	if (postpone_load(im->store) != STORE_OK)
		return cmd_fail(EXIT_RUNTIME, "%s: %s", im->file, store_errmsg(im->store));
	if (dedupe_touched(im) != 0)
		return cmd_fail(EXIT_USAGE, "%s: the amounts of one account add up past what "
				"relance can hold", im->file);
	keys = malloc(im->n_touched * sizeof(*keys));
	if (keys == NULL)
		return cmd_fail(EXIT_RUNTIME, "%s: out of memory", im->file);
	for (size_t i = 0; i < im->n_touched; i++)
		keys[i] = im->touched[i].key;
	memset(&c, 0, sizeof(c));
	c.im = im;
	rc = store_ledger_scan(im->store, keys, im->n_touched, snap_account, &c);
	/* The next cycle looks at these accounts, whatever its instant (a
	 * payment may settle a case, an invoice open one). */
	if (rc == STORE_OK)
		rc = store_cases_touch(im->store, keys, im->n_touched, INT64_MIN);
	free(keys);
	if (rc == STORE_OK && c.n > 0)
		rc = snap_flush(&c);
	for (size_t i = 0; i < c.n; i++)
		position_release(&c.pos[i]);
	if (rc != STORE_OK) {
		if (c.failed[0])
			return cmd_fail(EXIT_RUNTIME, "%s: account %s: position overflows or its "
					"customer's zone is unknown", im->file, c.failed);
		return cmd_fail(EXIT_RUNTIME, "%s: updating positions: %s", im->file,
				store_errmsg(im->store));
	}
	return 0;
}

/* ---- the command ------------------------------------------------------------ */

static ssize_t read_fd(void *ctx, char *buf, size_t cap)
{
	int fd = *(int *)ctx;
	ssize_t n;

	do
		n = read(fd, buf, cap);
	while (n < 0 && errno == EINTR);
	return n;
}

static int parse_kind(const char *s, enum kind *k)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(s, kinds[i].name) == 0 ||
		    (kinds[i].alias && strcmp(s, kinds[i].alias) == 0)) {
			*k = (enum kind)i;
			return 0;
		}
	}
	return -1;
}

static int run_import(struct import *im, int fd)
{
	struct csvin *csv = csvin_new(read_fd, &fd);
	struct csvin_record *rec;
	int rc, status = EXIT_OK, got;

	if (csv == NULL)
		return cmd_fail(EXIT_RUNTIME, "out of memory");
	got = csvin_next(csv, &rec);
	if (got == CSVIN_END) {
		status = cmd_fail(EXIT_USAGE, "%s: empty file: expected a header row", im->file);
		goto out;
	}
	if (got == CSVIN_RECORD && map_header(im, rec) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	while (got == CSVIN_RECORD) {
		got = csvin_next(csv, &rec);
		if (got != CSVIN_RECORD)
			break;
		im->total++;
		rc = add_row(im, rec);
		if (rc == 1) {
			/* The arena is full: apply the batch, then start a new one,
			 * which always has room for one record (see arena_cap). */
			if ((rc = flush(im)) != STORE_OK)
				goto store_failed;
			rc = add_row(im, rec);
		}
		if (rc != 0) {
			status = cmd_fail(EXIT_RUNTIME, "out of memory");
			goto out;
		}
		if (im->n_rows == BATCH && (rc = flush(im)) != STORE_OK)
			goto store_failed;
		show_progress(im, csvin_bytes(csv), 0);
	}
	if (got < 0) {
		row_error(im, csvin_error_line(csv), "%s", csvin_error(csv));
		status = EXIT_USAGE;
		goto out;
	}
	if ((rc = flush(im)) != STORE_OK)
		goto store_failed;
	show_progress(im, csvin_bytes(csv), 1);
	goto out;
store_failed:
	status = cmd_fail(rc == STORE_ERR_DB ? EXIT_RUNTIME : EXIT_USAGE, "%s: %s", im->file,
			  store_errmsg(im->store));
out:
	csvin_free(csv);
	return status;
}

int import_stream(struct cmd_ctx *ctx, struct store *store, const char *kind_name,
		  const char *file, int fd, FILE *errout, struct import_result *res)
{
	static struct import im;
	enum kind kind;
	int status, rc;
	struct stat st;
	double phase[3];
	const char *env;

	memset(res, 0, sizeof(*res));
	if (parse_kind(kind_name, &kind) != 0)
		return cmd_fail(EXIT_USAGE, "unknown import kind '%s' (customers, accounts, "
				"services, invoices, payments, credit-notes)", kind_name);
	memset(&im, 0, sizeof(im));
	im.kind = kind;
	im.now = ctx->now;
	im.file = file;
	im.errout = errout ? errout : stderr;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		im.size = st.st_size;
	im.progress = errout == NULL && isatty(2);
	clock_gettime(CLOCK_MONOTONIC, &im.started);
	im.store = store;
	im.arena_cap = 2 * CSVIN_MAX_RECORD;
	if ((im.arena = malloc(im.arena_cap)) == NULL) {
		status = cmd_fail(EXIT_RUNTIME, "out of memory");
		goto out;
	}
	if (store_begin(store) != STORE_OK ||
	    store_import_begin(store, kinds[kind].name, im.file, ctx->now, &im.import_id) !=
	    STORE_OK) {
		status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(store));
		goto out;
	}
	status = run_import(&im, fd);
	phase[0] = seconds_since(&im.started);
	if (status == EXIT_OK && im.errors > 0)
		status = EXIT_USAGE;
	if (status == EXIT_OK)
		status = refresh_positions(&im);
	phase[1] = seconds_since(&im.started);
	if (status == EXIT_OK) {
		rc = store_import_finish(store, im.import_id, im.total, im.inserted);
		if (rc == STORE_OK)
			rc = store_commit(store);
		if (rc != STORE_OK)
			status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(store));
	}
	phase[2] = seconds_since(&im.started);
	/* For operations and `make bench`: where an import spends its time. */
	if ((env = getenv("RELANCE_TIMINGS")) != NULL && *env)
		fprintf(stderr, "%s: rows %.3fs, positions %.3fs, commit %.3fs\n", im.file,
			phase[0], phase[1] - phase[0], phase[2] - phase[1]);
	if (status != EXIT_OK) {
		store_rollback(store);
		if (im.errors > 0)
			fprintf(im.errout, "%s: %lld error%s: nothing imported\n", im.file,
				(long long)im.errors, im.errors == 1 ? "" : "s");
		else
			fprintf(im.errout, "%s: nothing imported\n", im.file);
	} else {
		fprintf(im.errout, "%s: %lld %s rows: %lld new, %lld unchanged, %lld updated\n",
			im.file, (long long)im.total, kinds[kind].name, (long long)im.inserted,
			(long long)im.same, (long long)im.updated);
	}
	res->total = im.total;
	res->inserted = im.inserted;
	res->same = im.same;
	res->updated = im.updated;
	res->errors = im.errors;
	if (im.n_touched > 0 && status == EXIT_OK) {
		res->touched = malloc(im.n_touched * sizeof(*res->touched));
		for (size_t i = 0; res->touched && i < im.n_touched; i++)
			res->touched[i] = im.touched[i].key;
		res->n_touched = res->touched ? im.n_touched : 0;
	}
out:
	free(im.arena);
	free(im.touched);
	free(im.seen);
	im.seen = NULL;
	im.arena = NULL;
	im.touched = NULL;
	return status;
}

int cmd_import(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store *store = NULL;
	struct import_result res;
	enum kind kind;
	const char *file;
	int fd, status;
	struct stat st;

	if (argc != 2)
		return cmd_fail(EXIT_USAGE, "usage: relance import KIND FILE");
	if (parse_kind(argv[0], &kind) != 0)
		return cmd_fail(EXIT_USAGE, "unknown import kind '%s' (customers, accounts, "
				"services, invoices, payments, credit-notes)", argv[0]);
	if (strcmp(argv[1], "-") == 0) {
		file = "stdin";
		fd = 0;
	} else {
		file = argv[1];
		fd = open(argv[1], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cmd_fail(EXIT_USAGE, "%s: %s", argv[1], strerror(errno));
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			return cmd_fail(EXIT_USAGE, "%s: is a directory", argv[1]);
		}
	}
	if ((status = cmd_open_store(ctx, &store)) == 0) {
		status = import_stream(ctx, store, argv[0], file, fd, NULL, &res);
		free(res.touched);
	}
	if (fd > 0)
		close(fd);
	store_close(store);
	return status;
}
