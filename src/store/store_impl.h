/*
 * store_impl — the table of operations each engine fills in. Private to
 * src/store/: store.c dispatches every public store_* call through it.
 *
 * An engine allocates its own struct that begins with `struct store`, sets
 * `ops`, and reports failures with store_set_error (which formats into
 * s->err, truncating with "..." rather than overflowing).
 */
#ifndef RELANCE_STORE_IMPL_H
#define RELANCE_STORE_IMPL_H

#include "store.h"

struct store_ops {
	const char *engine;
	void (*close)(struct store *s);
	int (*migrate)(struct store *s, int *from);
	int (*schema_version)(struct store *s, int *version); /* 0: none */
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	int (*rollback)(struct store *s);
	int (*import_begin)(struct store *s, const char *kind, const char *source,
			    int64_t started_at, int64_t *import_id);
	int (*import_finish)(struct store *s, int64_t import_id, int64_t rows,
			     int64_t inserted);
	int (*customers_put)(struct store *s, int64_t import_id,
			     const struct customer_row *rows, size_t n,
			     struct store_outcome *out);
	int (*accounts_put)(struct store *s, int64_t import_id,
			    const struct account_row *rows, size_t n,
			    struct store_outcome *out);
	int (*services_put)(struct store *s, int64_t import_id,
			    const struct service_row *rows, size_t n,
			    struct store_outcome *out);
	int (*invoices_put)(struct store *s, int64_t import_id,
			    const struct invoice_row *rows, size_t n,
			    struct store_outcome *out);
	int (*credits_put)(struct store *s, int64_t import_id,
			   const struct credit_row *rows, size_t n,
			   struct store_outcome *out);
	int (*accounts_find)(struct store *s, const char *const *ids, size_t n,
			     struct account_ref *out);
	int (*invoices_find)(struct store *s, const char *const *ids, size_t n,
			     struct invoice_ref *out);
	int (*ledger_scan)(struct store *s, const int64_t *keys, size_t n,
			   store_ledger_cb cb, void *ctx);
	int (*snapshots_put)(struct store *s, const int64_t *keys,
			     const struct position *snapshots, size_t n);
	int (*accounts_scan)(struct store *s, const char *account_id,
			     store_account_cb cb, void *ctx);
	int (*services_scan)(struct store *s, int64_t account_key,
			     store_service_cb cb, void *ctx);
	int (*customer_get)(struct store *s, const char *customer_id,
			    store_customer_cb cb, void *ctx);
	int (*file_append)(struct store *s, const char *customer_id, const char *account_id,
			   int64_t at, const char *kind, const char *author, const char *body,
			   int64_t *seq_out);
	int (*file_scan)(struct store *s, const char *customer_id, store_file_cb cb, void *ctx);
	int (*policy_put)(struct store *s, const char *source_name, const char *body,
			  int64_t loaded_at, int64_t *version);
	int (*policy_get)(struct store *s, int64_t version, store_policy_cb cb, void *ctx);
	int (*policy_list)(struct store *s, store_policy_cb cb, void *ctx);
};

struct store {
	const struct store_ops *ops;
	char err[512];
};

/* printf-style; always returns `code` so engines can `return store_set_error(...)`. */
int store_set_error(struct store *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Engine constructors: on failure write a reason into err and return an error. */
int store_sqlite_open(const char *path, struct store **out, char *err, size_t errsize);
int store_postgres_open(const char *url, struct store **out, char *err, size_t errsize);

/* The migration scripts, generated at build time from migrations/<engine>/NNN_*.sql:
 * migrations[i] brings the schema from version i to i + 1. */
extern const char *const store_sqlite_migrations[];
extern const char *const store_postgres_migrations[];
extern const int store_migration_count;

#endif
