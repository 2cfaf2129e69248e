/*
 * store — the one interface to the database; two implementations chosen by
 * URL: a SQLite file path (sqlite.c) or "postgresql://..." (postgres.c).
 *
 * Ownership and lifetime:
 *   - struct store is owned by the caller of store_open and freed by
 *     store_close (which rolls back an open transaction).
 *   - Strings and arrays handed to callbacks belong to the store and are
 *     valid only during that callback.
 *   - store_errmsg() describes the last failure of any call on that store;
 *     it is valid until the next call.
 *
 * Errors: every function returns STORE_OK (0) or a negative enum store_err.
 * STORE_ERR_INPUT means the caller asked for something the data forbids
 * (exit 2 territory); STORE_ERR_DB is a run-time failure (exit 1).
 *
 * Batches: the *_put functions take rows in file order and behave as if each
 * row were applied one after the other, so a row sees the rows before it in
 * the same batch and in earlier batches of the same import. They write one
 * outcome per row and never stop at a bad row; STORE_OK then means "every
 * outcome is filled in", not "every row was accepted".
 *
 * Schema facts (both engines): money columns are 64-bit integers of minor
 * units, dates are integer day numbers (caltime.h), instants are integer
 * seconds since the epoch (UTC).
 */
#ifndef RELANCE_STORE_H
#define RELANCE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/ledger.h"
#include "../core/position.h"

struct store;

enum store_err {
	STORE_OK = 0,
	STORE_ERR_DB = -1,      /* the database failed or is unreachable */
	STORE_ERR_INPUT = -2,   /* bad URL, newer schema, refused data */
	STORE_ERR_NOMEM = -3,
	STORE_ERR_SCHEMA = -4,  /* no schema yet: run `relance init` */
	STORE_STOP = 1,         /* a callback asked to stop a scan early */
};

/* The schema version this build writes and reads. */
#define STORE_SCHEMA_VERSION 2

/*
 * Opens `url`: "postgresql://..." / "postgres://..." for PostgreSQL, anything
 * else as a SQLite file path ("sqlite:" prefix optional). On failure returns
 * an error, writes a one-line reason naming the URL (never its password) into
 * err[0..errsize) and *out stays NULL.
 */
int store_open(const char *url, struct store **out, char *err, size_t errsize);
/*
 * As store_open, with flags. Without STORE_OPEN_CREATE a SQLite file that
 * does not exist is an error ("run `relance init`") instead of being created
 * empty; only `relance init` creates databases.
 */
#define STORE_OPEN_CREATE 1
int store_open_ex(const char *url, int flags, struct store **out, char *err, size_t errsize);
void store_close(struct store *s);
/*
 * Writes `url` without its password (the ":secret" of "user:secret@" and the
 * value of a "password=" parameter become "***"), for messages and logs.
 */
void store_url_redact(const char *url, char *buf, size_t size);
const char *store_errmsg(const struct store *s);
/* "sqlite" or "postgresql". */
const char *store_engine(const struct store *s);

/*
 * Creates or migrates the schema to STORE_SCHEMA_VERSION in one transaction.
 * *from receives the version found (0 for an empty database). A database of a
 * newer version is STORE_ERR_INPUT and is left untouched.
 */
int store_migrate(struct store *s, int *from);
/*
 * Checks the schema before any other use: STORE_ERR_SCHEMA when there is none,
 * STORE_ERR_INPUT when it is newer than this build, STORE_OK when equal.
 */
int store_check_schema(struct store *s);

int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);

/* ---- imports ------------------------------------------------------------ */

/* Registers an import (kind, source name) and returns its id; rows written
 * by it carry that id and their source line. */
int store_import_begin(struct store *s, const char *kind, const char *source,
		       int64_t started_at, int64_t *import_id);
int store_import_finish(struct store *s, int64_t import_id, int64_t rows,
			int64_t inserted);

enum store_put {
	STORE_PUT_NEW = 0,        /* stored */
	STORE_PUT_SAME = 1,       /* already known with identical content */
	STORE_PUT_UPDATED = 2,    /* upsert changed a known row */
	STORE_PUT_CONFLICT = 3,   /* known id, different content (ledger) or a
				     field that may not change (account's
				     customer or currency, service's account) */
	STORE_PUT_DUPLICATE = 4,  /* the id came on an earlier line of this
				     import: outcome line says which */
	STORE_PUT_NO_REF = 5,     /* a referenced customer/account is unknown */
};

struct store_outcome {
	int put;          /* enum store_put */
	int64_t line;     /* DUPLICATE: the earlier line */
	const char *what; /* CONFLICT: the differing field (static string) */
};

/* Optional text fields are NULL or "" when absent; both mean absent. */
struct customer_row {
	int64_t line;
	const char *customer_id, *name, *locale, *timezone, *jurisdiction;
	const char *phone, *email, *segment;
};

struct account_row {
	int64_t line;
	const char *account_id, *customer_id, *currency;
};

struct service_row {
	int64_t line;
	const char *service_id, *account_id, *kind, *identifier, *adapter;
};

/* Ledger rows reference their account by key (from store_accounts_find). */
struct invoice_row {
	int64_t line;
	int64_t account_key;
	struct ledger_invoice inv;
};

struct credit_row {
	int64_t line;
	int64_t account_key;
	struct ledger_credit cr;   /* kind says payment or credit note */
	const char *method;        /* payments, optional */
	const char *reason;        /* credit notes */
};

int store_customers_put(struct store *s, int64_t import_id,
			const struct customer_row *rows, size_t n,
			struct store_outcome *out);
int store_accounts_put(struct store *s, int64_t import_id,
		       const struct account_row *rows, size_t n,
		       struct store_outcome *out);
int store_services_put(struct store *s, int64_t import_id,
		       const struct service_row *rows, size_t n,
		       struct store_outcome *out);
int store_invoices_put(struct store *s, int64_t import_id,
		       const struct invoice_row *rows, size_t n,
		       struct store_outcome *out);
/* Payments and credit notes (each row's cr.kind decides the table). */
int store_credits_put(struct store *s, int64_t import_id,
		      const struct credit_row *rows, size_t n,
		      struct store_outcome *out);

/* What an import needs to know of an account to validate a ledger row. */
struct account_ref {
	int found;
	int64_t account_key;
	char currency[4];
	char timezone[64];
};
/* Looks up n account ids; out[i].found is 0 for unknown ids. */
int store_accounts_find(struct store *s, const char *const *ids, size_t n,
			struct account_ref *out);

struct invoice_ref {
	int found;
	int64_t account_key;
};
int store_invoices_find(struct store *s, const char *const *ids, size_t n,
			struct invoice_ref *out);

/* ---- ledger and positions ----------------------------------------------- */

/*
 * Calls cb once per account, in account key order, with all its entries
 * (invoices and credits in any order). keys: sorted ascending account keys
 * to visit, or NULL for every account. Accounts without entries are visited
 * too. cb returns 0 to go on, STORE_STOP to stop (the scan then returns
 * STORE_STOP), anything negative to abort (returned as is).
 */
typedef int (*store_ledger_cb)(void *ctx, const struct account_ledger *l);
int store_ledger_scan(struct store *s, const int64_t *keys, size_t n,
		      store_ledger_cb cb, void *ctx);

/* The kept-current snapshot of an account: position_compute at a time when
 * every entry is in effect (only balance, invoiced, paid, credited,
 * complete_at and the open items are stored). */
int store_snapshots_put(struct store *s, const int64_t *keys,
			const struct position *snapshots, size_t n);

/* One row of an account listing, joined with its customer and snapshot. */
struct account_summary {
	int64_t account_key;
	const char *account_id, *customer_id, *currency, *timezone;
	const char *jurisdiction, *locale, *name, *segment;
	const char *stage;       /* "" when the account has no case yet */
	int has_snapshot;        /* 0: no entries were ever imported */
	struct position snapshot; /* open items valid during the callback only */
};
typedef int (*store_account_cb)(void *ctx, const struct account_summary *a);
/* Every account ordered by account_id (or just `account_id` when non-NULL). */
int store_accounts_scan(struct store *s, const char *account_id,
			store_account_cb cb, void *ctx);

/* Services of one account, for the customer file. */
struct service_view {
	const char *service_id, *kind, *identifier, *adapter;
};
typedef int (*store_service_cb)(void *ctx, const struct service_view *v);
int store_services_scan(struct store *s, int64_t account_key,
			store_service_cb cb, void *ctx);

/* The customer's contact details, for the customer file. */
struct customer_view {
	const char *customer_id, *name, *locale, *timezone, *jurisdiction;
	const char *phone, *email, *segment;
};
typedef int (*store_customer_cb)(void *ctx, const struct customer_view *v);
int store_customer_get(struct store *s, const char *customer_id,
		       store_customer_cb cb, void *ctx);

/* ---- the customer file -------------------------------------------------- */

/*
 * Appends an entry to the file of `customer_id`: the next seq (1 for the
 * first), chained by hash to the last entry (custfile.h). account_id is NULL
 * or "" for an entry about the customer as a whole, else one of the
 * customer's accounts. *seq_out receives the seq written.
 *
 * Call it inside a transaction (store_begin ... store_commit): the entry is
 * then part of whatever else that transaction writes. Without one it runs in
 * its own. Concurrent appends to one customer never fork the chain: the
 * second waits for the first to commit (SQLite: the write lock of BEGIN
 * IMMEDIATE; PostgreSQL: a row lock on the customer) and reads its entry.
 *
 * STORE_ERR_INPUT: unknown customer, or an account that is not one of its.
 * Nothing ever updates or deletes an entry (the schema refuses it).
 */
int store_file_append(struct store *s, const char *customer_id, const char *account_id,
		      int64_t at, const char *kind, const char *author, const char *body,
		      int64_t *seq_out);

/* One stored entry, every column as read, so that a chain can be checked. */
struct file_entry_view {
	const char *customer_id;
	int64_t seq, at;
	const char *account_id;    /* "" when about the customer as a whole */
	const char *kind, *author, *body;
	const unsigned char *prev_hash, *hash;
	size_t prev_hash_len, hash_len;   /* 32 unless the row was damaged */
};
typedef int (*store_file_cb)(void *ctx, const struct file_entry_view *e);
/*
 * Calls cb for every entry of `customer_id` (NULL: of every customer) in
 * (customer, seq) order: customers in the order of their database keys (the
 * order they were first imported), each customer's entries by seq. Streams:
 * memory does not grow with the file. cb returns as store_ledger_scan's.
 * An unknown customer has no entries.
 */
int store_file_scan(struct store *s, const char *customer_id, store_file_cb cb, void *ctx);


/* ---- collection policies ------------------------------------------------ */

/*
 * Policies are versioned, never edited: every action records the version
 * that decided it (SPEC.md), so a version must mean the same text forever.
 * The schema refuses UPDATE and DELETE on them.
 */
struct stored_policy {
	int64_t version;        /* 1, 2, 3 ... in the order they were loaded */
	int64_t loaded_at;      /* instant */
	const char *source;     /* the name it was loaded from (a file path) */
	const char *body;       /* the exact text; NULL in store_policy_list */
	size_t body_len;        /* bytes of the text */
};
typedef int (*store_policy_cb)(void *ctx, const struct stored_policy *p);
/*
 * Appends `body` (the text exactly as checked) as the next version: one
 * more than the last, 1 for the first. Concurrent puts get distinct versions
 * and none is skipped: the second waits for the first to commit (SQLite:
 * the write lock of BEGIN IMMEDIATE; PostgreSQL: a lock on the table).
 * Inside a transaction the version is part of it; without one it runs in
 * its own. *version receives the version written.
 */
int store_policy_put(struct store *s, const char *source_name, const char *body,
		     int64_t loaded_at, int64_t *version);
/*
 * Calls cb once with `version`, or with the latest when version is 0.
 * STORE_ERR_INPUT "no policy version N" / "no policy loaded yet" when there
 * is no such version. Returns what cb returns otherwise.
 */
int store_policy_get(struct store *s, int64_t version, store_policy_cb cb, void *ctx);
/* Calls cb for every version in version order, without the texts (body NULL,
 * body_len set). cb returns as store_ledger_scan's. */
int store_policy_list(struct store *s, store_policy_cb cb, void *ctx);

#endif
