/*
 * postgres — the scale-out store engine: one libpq connection per store.
 *
 * Batches travel as arrays. Every *_put sends its rows in one statement whose
 * parameters are text array literals ("{...}") unpacked by unnest(), so an
 * import costs a few round trips per batch of thousands of rows, never one
 * per row. The row-after-row semantics of store.h (a row sees the rows before
 * it, in this batch and in earlier batches of the same import) are replayed
 * in C: the stored state of every id of the batch is fetched in one query,
 * each row is classified against it in file order and updates it, and only
 * then are the resulting inserts and updates sent, again as arrays.
 *
 * Ledger rows go the other way round, because in the common case every id is
 * new: INSERT ... ON CONFLICT DO NOTHING RETURNING id first, and a second
 * query only for the ids that were already there. Concurrent imports of the
 * same ids are therefore safe for the ledger; for customers, accounts and
 * services the loser of such a race gets a unique violation (STORE_ERR_DB).
 *
 * Scans page through the accounts (PG_PAGE at a time) with plain queries
 * instead of holding a cursor open: callbacks use the same connection to
 * write (snapshots during an import) or read (the ledger of an account during
 * an export), which a result still being streamed would forbid. Memory is
 * bounded by one page of accounts and their entries.
 *
 * Errors are one line: the URL without its password, what was being done,
 * and PostgreSQL's primary message. Nothing this file writes may contain the
 * password, even when libpq's own message would.
 */
#include <assert.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/custfile.h"
#include "../core/money.h"
#include "store_impl.h"

/* Accounts per page of a scan: bounds the memory of ledger_scan and
 * accounts_scan (a page of accounts and all their entries). */
#define PG_PAGE 1000
#define PG_STR_(x) #x
#define PG_STR(x) PG_STR_(x)

/*
 * Looks up a batch of ids one index probe each: `inner` is a query whose
 * WHERE names the current id as k.id (k.key for bigint keys). Written as
 * `col = ANY($1)` instead, the planner prices 2000 probes above a sequential
 * scan plus hash join of a mid-sized table (tens of ms a batch instead of a
 * few), and worse still before the table has statistics, which is exactly
 * during the first big import. LIMIT 1 / OFFSET 0 keep the subquery from
 * being flattened into a join that it could plan that way again.
 */
#define PG_EACH_ID(inner) \
	"SELECT x.* FROM unnest($1::text[]) AS k(id) CROSS JOIN LATERAL (" inner \
	" LIMIT 1) AS x"
#define PG_EACH_KEY(inner) \
	"SELECT x.* FROM unnest($1::bigint[]) AS k(key) CROSS JOIN LATERAL (" inner \
	" OFFSET 0) AS x"

/* Built-in type OIDs (pg_type.dat), fixed since PostgreSQL 7. */
#define PG_INT8_OID 20
#define PG_INT4_OID 23
#define PG_TEXT_OID 25
#define PG_TEXT_ARRAY_OID 1009
#define PG_INT8_ARRAY_OID 1016

/* Key of the advisory lock that serialises concurrent migrations:
 * "relance" in ASCII. */
#define PG_MIGRATE_LOCK "32199663510512485"

struct pg_store {
	struct store base;
	PGconn *conn;
	char *url;           /* redacted: no password */
	char *secret[3];     /* password spellings to scrub from messages */
};

static struct pg_store *pg(struct store *s) { return (struct pg_store *)s; }

/* ---- growing buffers and array literals ---------------------------------- */

/* A byte buffer that records running out of memory instead of failing at
 * every append: the caller checks `oom` once when the buffer is complete. */
struct pg_buf {
	char *p;
	size_t len, cap;
	int oom;
};

static int pg_buf_reserve(struct pg_buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 256;
	char *np;

	if (b->oom)
		return -1;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	while (cap < b->len + extra + 1)
		cap *= 2;
	if ((np = realloc(b->p, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

static void pg_buf_add(struct pg_buf *b, const char *s, size_t n)
{
	if (pg_buf_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void pg_buf_ch(struct pg_buf *b, char c) { pg_buf_add(b, &c, 1); }

static void pg_buf_free(struct pg_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/*
 * A PostgreSQL array literal being built: "{elem,elem,...}". Text elements
 * are always double-quoted with '"' and '\' escaped, so no content can be
 * mistaken for NULL, a separator or a nested array; NULL is the bare word.
 */
struct pg_arr {
	struct pg_buf b;
	size_t n;
};

static void pg_arr_begin(struct pg_arr *a)
{
	a->b.len = 0;
	a->n = 0;
	pg_buf_ch(&a->b, '{');
}

static void pg_arr_sep(struct pg_arr *a)
{
	if (a->n++ > 0)
		pg_buf_ch(&a->b, ',');
}

static void pg_arr_text(struct pg_arr *a, const char *s)
{
	const char *run;

	pg_arr_sep(a);
	if (s == NULL) {
		pg_buf_add(&a->b, "NULL", 4);
		return;
	}
	pg_buf_ch(&a->b, '"');
	for (run = s; *s; s++) {
		if (*s == '"' || *s == '\\') {
			pg_buf_add(&a->b, run, (size_t)(s - run));
			pg_buf_ch(&a->b, '\\');
			run = s;
		}
	}
	pg_buf_add(&a->b, run, (size_t)(s - run));
	pg_buf_ch(&a->b, '"');
}

static int pg_absent(const char *v) { return v == NULL || v[0] == '\0'; }

/* An optional field: NULL and "" both mean absent and are stored as NULL. */
static void pg_arr_opt(struct pg_arr *a, const char *s)
{
	pg_arr_text(a, pg_absent(s) ? NULL : s);
}

/* A required text field: NULL is stored as "" (the columns are NOT NULL). */
static void pg_arr_req(struct pg_arr *a, const char *s)
{
	pg_arr_text(a, s ? s : "");
}

static void pg_arr_int(struct pg_arr *a, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	pg_arr_sep(a);
	pg_buf_add(&a->b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void pg_arr_null(struct pg_arr *a)
{
	pg_arr_sep(a);
	pg_buf_add(&a->b, "NULL", 4);
}

/* bytea in hex form: "\\x0a1b..." inside the literal is \x0a1b... */
static void pg_arr_bytea(struct pg_arr *a, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	pg_arr_sep(a);
	if (pg_buf_reserve(&a->b, 2 * n + 6) != 0)
		return;
	pg_buf_add(&a->b, "\"\\\\x", 4);
	for (size_t i = 0; i < n; i++) {
		a->b.p[a->b.len++] = hex[p[i] >> 4];
		a->b.p[a->b.len++] = hex[p[i] & 15];
	}
	pg_buf_ch(&a->b, '"');
}

/* The finished literal, or NULL when memory ran out while building it. */
static const char *pg_arr_end(struct pg_arr *a)
{
	pg_buf_ch(&a->b, '}');
	return a->b.oom ? NULL : a->b.p;
}

static void pg_arrs_free(struct pg_arr *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pg_buf_free(&a[i].b);
}

/* ---- a set of ids ---------------------------------------------------------- */

/*
 * The distinct ids of a batch, numbered in order of first sight. Open
 * addressing over at least twice as many slots as ids; keys are borrowed
 * (the caller's rows), never copied.
 */
struct pg_map {
	const char **keys;
	size_t n, max;
	uint32_t *slot;     /* 1 + index into keys; 0: empty */
	size_t mask;
};

static uint64_t pg_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int pg_map_init(struct pg_map *m, size_t max)
{
	size_t slots = 16;

	memset(m, 0, sizeof(*m));
	while (slots < 2 * max)
		slots *= 2;
	m->keys = malloc((max ? max : 1) * sizeof(*m->keys));
	m->slot = calloc(slots, sizeof(*m->slot));
	m->max = max;
	m->mask = slots - 1;
	return m->keys && m->slot ? 0 : -1;
}

static void pg_map_free(struct pg_map *m)
{
	free(m->keys);
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

static uint32_t *pg_map_probe(const struct pg_map *m, const char *key)
{
	size_t i = pg_hash(key) & m->mask;

	while (m->slot[i] != 0 && strcmp(m->keys[m->slot[i] - 1], key) != 0)
		i = (i + 1) & m->mask;
	return &m->slot[i];
}

/* The index of `key`, added if new. The map holds at most `max` keys. */
static size_t pg_map_add(struct pg_map *m, const char *key)
{
	uint32_t *slot = pg_map_probe(m, key);

	if (*slot == 0) {
		assert(m->n < m->max);
		m->keys[m->n] = key;
		*slot = (uint32_t)++m->n;
	}
	return *slot - 1;
}

/* The index of `key`, or -1. */
static long pg_map_find(const struct pg_map *m, const char *key)
{
	return (long)*pg_map_probe(m, key) - 1;
}

/* The keys as one text array literal. */
static const char *pg_map_array(const struct pg_map *m, struct pg_arr *a)
{
	pg_arr_begin(a);
	for (size_t i = 0; i < m->n; i++)
		pg_arr_text(a, m->keys[i]);
	return pg_arr_end(a);
}

/* ---- errors and queries -------------------------------------------------- */

/* Copies src into dst with every spelling of the password replaced. */
static void pg_scrub(const struct pg_store *q, const char *src, char *dst, size_t size)
{
	size_t o = 0;

	while (*src && o + 1 < size) {
		size_t skip = 0;

		for (int i = 0; i < 3 && skip == 0; i++) {
			size_t n = q->secret[i] ? strlen(q->secret[i]) : 0;

			if (n > 0 && strncmp(src, q->secret[i], n) == 0)
				skip = n;
		}
		if (skip > 0) {
			for (const char *r = "***"; *r && o + 1 < size; r++)
				dst[o++] = *r;
			src += skip;
		} else if (*src == '\n' || *src == '\r' || *src == '\t') {
			dst[o++] = ' ';
			src++;
		} else {
			dst[o++] = *src++;
		}
	}
	dst[o] = '\0';
}

/*
 * libpq's connection failure in a few words: the first line, without the
 * "connection to server at ..., port ... failed: " prefix (the URL already
 * names the server) nor the server's "FATAL:  " tag, starting lower-case:
 * "connection refused", "database \"x\" does not exist".
 */
static void pg_conn_reason(const struct pg_store *q, const char *msg, char *out, size_t size)
{
	char line[512];
	const char *p, *f;
	size_t n;

	p = msg ? msg : "";
	if (strncmp(p, "connection to server", 20) == 0 && (f = strstr(p, " failed: ")) != NULL &&
	    (strchr(p, '\n') == NULL || f < strchr(p, '\n')))
		p = f + 9;
	if (strncmp(p, "FATAL:  ", 8) == 0 || strncmp(p, "ERROR:  ", 8) == 0)
		p += 8;
	n = strcspn(p, "\n");
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, p, n);
	line[n] = '\0';
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '.'))
		line[--n] = '\0';
	if (line[0] >= 'A' && line[0] <= 'Z' && line[1] >= 'a' && line[1] <= 'z')
		line[0] = (char)(line[0] - 'A' + 'a');
	if (line[0] == '\0')
		snprintf(line, sizeof(line), "cannot connect");
	pg_scrub(q, line, out, size);
}

/* Records a failed query: URL, what we were doing, PostgreSQL's message. */
static int pg_fail(struct pg_store *q, const PGresult *res, const char *what)
{
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char reason[400];

	if (msg != NULL)
		pg_scrub(q, msg, reason, sizeof(reason));
	else
		pg_conn_reason(q, PQerrorMessage(q->conn), reason, sizeof(reason));
	return store_set_error(&q->base, STORE_ERR_DB, "%s: %s: %s", q->url, what, reason);
}

/*
 * Runs `sql` with text parameters (NULL: SQL NULL). On success *res holds
 * the result (rows or a command's status), to be PQclear'ed by the caller;
 * on failure *res is NULL and the error is recorded. `types` may be NULL
 * when every parameter's type is clear from the statement.
 */
static int pg_query(struct pg_store *q, const char *sql, int nparams, const Oid *types,
		    const char *const *params, PGresult **res, const char *what)
{
	PGresult *r = PQexecParams(q->conn, sql, nparams, types, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);

	*res = NULL;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		pg_fail(q, r, what);
		PQclear(r);
		return STORE_ERR_DB;
	}
	*res = r;
	return STORE_OK;
}

/* A statement whose result does not matter (PQexec: may hold several). */
static int pg_command(struct pg_store *q, const char *sql, const char *what)
{
	PGresult *r = PQexec(q->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = STORE_OK;

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		rc = pg_fail(q, r, what);
	PQclear(r);
	return rc;
}

static int pg_nomem(struct pg_store *q)
{
	return store_set_error(&q->base, STORE_ERR_NOMEM, "%s: out of memory", q->url);
}

/* A bigint or integer column in text form (always well formed). */
static int64_t pg_i64(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* A text column; NULL for SQL NULL. */
static const char *pg_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static void pg_fmt_i64(char *buf, size_t size, int64_t v)
{
	snprintf(buf, size, "%lld", (long long)v);
}

/* Optional text fields compare with NULL and "" as the same absence. */
static int pg_same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* ---- lifecycle -------------------------------------------------------------- */

static void pg_close(struct store *s)
{
	struct pg_store *q = pg(s);

	if (q->conn != NULL) {
		PGTransactionStatusType ts = PQtransactionStatus(q->conn);

		if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
			PQclear(PQexec(q->conn, "ROLLBACK"));
		PQfinish(q->conn);
	}
	for (int i = 0; i < 3; i++)
		free(q->secret[i]);
	free(q->url);
	free(q);
}

static int pg_begin(struct store *s)
{
	struct pg_store *q = pg(s);

	if (PQtransactionStatus(q->conn) != PQTRANS_IDLE)
		return store_set_error(s, STORE_ERR_DB, "%s: a transaction is already open", q->url);
	return pg_command(q, "BEGIN", "starting a transaction");
}

static int pg_commit(struct store *s)
{
	struct pg_store *q = pg(s);
	PGresult *r = PQexec(q->conn, "COMMIT");
	int rc = STORE_OK;

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(q, r, "committing");
	/* COMMIT of a transaction that already failed succeeds as a ROLLBACK:
	 * that must not pass for a commit. */
	else if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0)
		rc = store_set_error(s, STORE_ERR_DB, "%s: committing: the transaction had "
				     "failed and was rolled back", q->url);
	PQclear(r);
	return rc;
}

static int pg_rollback(struct store *s)
{
	struct pg_store *q = pg(s);

	if (PQtransactionStatus(q->conn) == PQTRANS_IDLE)
		return STORE_OK;
	return pg_command(q, "ROLLBACK", "rolling back");
}

static int pg_schema_version(struct store *s, int *version)
{
	struct pg_store *q = pg(s);
	PGresult *r = NULL;
	int rc;

	*version = 0;
	rc = pg_query(q, "SELECT to_regclass('schema_version') IS NOT NULL", 0, NULL, NULL, &r,
		      "reading the schema version");
	if (rc != STORE_OK)
		goto out;
	if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
		goto out;
	PQclear(r);
	rc = pg_query(q, "SELECT coalesce(max(version), 0) FROM schema_version", 0, NULL, NULL,
		      &r, "reading the schema version");
	if (rc != STORE_OK)
		goto out;
	*version = (int)pg_i64(r, 0, 0);
out:
	PQclear(r);
	return rc;
}

static int pg_migrate(struct store *s, int *from)
{
	struct pg_store *q = pg(s);
	int rc, v;

	*from = 0;
	if ((rc = pg_begin(s)) != STORE_OK)
		return rc;
	/* Two `relance init` at once: the second waits here, then finds the
	 * schema the first one wrote. Released at COMMIT or ROLLBACK. */
	rc = pg_command(q, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")",
			"locking the schema");
	if (rc != STORE_OK)
		goto fail;
	if ((rc = pg_schema_version(s, &v)) != STORE_OK)
		goto fail;
	*from = v;
	if (v > STORE_SCHEMA_VERSION) {
		rc = store_set_error(s, STORE_ERR_INPUT,
				     "%s: schema version %d is newer than this relance (%d)",
				     q->url, v, STORE_SCHEMA_VERSION);
		goto fail;
	}
	for (; v < store_migration_count; v++) {
		char what[64];

		snprintf(what, sizeof(what), "migrating the schema to version %d", v + 1);
		if ((rc = pg_command(q, store_postgres_migrations[v], what)) != STORE_OK)
			goto fail;
		/* The first script creates schema_version with its own row. */
		if (v > 0) {
			char sql[64];

			snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d", v + 1);
			if ((rc = pg_command(q, sql, what)) != STORE_OK)
				goto fail;
		}
	}
	return pg_commit(s);
fail:
	pg_rollback(s);
	return rc;
}

/* ---- imports ------------------------------------------------------------------ */

static int pg_import_begin(struct store *s, const char *kind, const char *source,
			   int64_t started_at, int64_t *import_id)
{
	struct pg_store *q = pg(s);
	char at[24];
	const char *params[3] = { kind ? kind : "", source ? source : "", at };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(at, sizeof(at), started_at);
	rc = pg_query(q, "INSERT INTO imports (kind, source, started_at) "
		      "VALUES ($1, $2, $3) RETURNING import_id", 3, NULL, params, &r,
		      "registering the import");
	if (rc == STORE_OK)
		*import_id = pg_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

static int pg_import_finish(struct store *s, int64_t import_id, int64_t rows, int64_t inserted)
{
	struct pg_store *q = pg(s);
	char v[3][24];
	const char *params[3] = { v[0], v[1], v[2] };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(v[0], sizeof(v[0]), import_id);
	pg_fmt_i64(v[1], sizeof(v[1]), rows);
	pg_fmt_i64(v[2], sizeof(v[2]), inserted);
	rc = pg_query(q, "UPDATE imports SET row_count = $2, inserted = $3 WHERE import_id = $1",
		      3, NULL, params, &r, "closing the import");
	PQclear(r);
	return rc;
}

/* ---- customers, accounts, services: replayed upserts ------------------------ */

#define PG_MAX_FIELDS 7

/*
 * What the batch knows of one id while its rows are replayed: the row as
 * stored (first from the database, then as earlier rows of the batch left
 * it). Field pointers point into a PGresult or the caller's rows, both alive
 * for the whole put call.
 */
struct pg_known {
	int exists;
	int64_t import_id, line;
	const char *field[PG_MAX_FIELDS];
	long write_row;   /* the row whose content is written; -1: none */
	int insert;       /* that write is an insert, else an update */
};

/*
 * The first steps of every upsert: number the batch's distinct ids (row i
 * has id number idx[i]) and load what is stored for them with `sql`, which
 * takes the ids as $1 and returns id, import_id, source_line, then
 * `nfields` fields. *res keeps the loaded strings alive.
 */
static int pg_load_known(struct pg_store *q, const char *sql, int nfields,
			 const char *const *ids, size_t stride, size_t n,
			 struct pg_map *map, size_t **idx, struct pg_known **known,
			 PGresult **res, const char *what)
{
	struct pg_arr arr = { 0 };
	const char *param;
	int rc = STORE_OK;

	*idx = NULL;
	*known = NULL;
	*res = NULL;
	if (pg_map_init(map, n) != 0 || (*idx = malloc(n * sizeof(**idx))) == NULL ||
	    (*known = calloc(n, sizeof(**known))) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *id = *(const char *const *)((const char *)ids + i * stride);

		(*idx)[i] = pg_map_add(map, id ? id : "");
	}
	for (size_t k = 0; k < map->n; k++)
		(*known)[k].write_row = -1;
	if ((param = pg_map_array(map, &arr)) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	if ((rc = pg_query(q, sql, 1, NULL, &param, res, what)) != STORE_OK)
		goto out;
	for (int r = 0; r < PQntuples(*res); r++) {
		long k = pg_map_find(map, PQgetvalue(*res, r, 0));
		struct pg_known *kn;

		if (k < 0)
			continue;
		kn = &(*known)[k];
		kn->exists = 1;
		kn->import_id = pg_i64(*res, r, 1);
		kn->line = pg_i64(*res, r, 2);
		for (int f = 0; f < nfields; f++)
			kn->field[f] = pg_text(*res, r, 3 + f);
	}
out:
	pg_arrs_free(&arr, 1);
	return rc;
}

/* A row of an id stored earlier by this very import is a duplicate of it. */
static int pg_duplicate(const struct pg_known *k, int64_t import_id, struct store_outcome *o)
{
	if (!k->exists || k->import_id != import_id)
		return 0;
	o->put = STORE_PUT_DUPLICATE;
	o->line = k->line;
	return 1;
}

/* Keys (customer_key, account_key) of ids, by `sql` ($1: ids; returns id,
 * key); 0 for unknown ids (keys start at 1). */
static int pg_load_keys(struct pg_store *q, const char *sql, const struct pg_map *map,
			int64_t *keys, const char *what)
{
	struct pg_arr arr = { 0 };
	const char *param;
	PGresult *r = NULL;
	int rc;

	memset(keys, 0, map->n * sizeof(*keys));
	if (map->n == 0)
		return STORE_OK;
	if ((param = pg_map_array(map, &arr)) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	if ((rc = pg_query(q, sql, 1, NULL, &param, &r, what)) != STORE_OK)
		goto out;
	for (int i = 0; i < PQntuples(r); i++) {
		long k = pg_map_find(map, PQgetvalue(r, i, 0));

		if (k >= 0)
			keys[k] = pg_i64(r, i, 1);
	}
out:
	PQclear(r);
	pg_arrs_free(&arr, 1);
	return rc;
}

/* Sends the arrays of a write, if it has rows. */
static int pg_write(struct pg_store *q, const char *sql, struct pg_arr *arr, int narr,
		    int64_t import_id, const char *what)
{
	const char *params[12];
	char imp[24];
	PGresult *r = NULL;
	int rc;

	assert(narr < 12);
	if (arr[0].n == 0)
		return STORE_OK;
	pg_fmt_i64(imp, sizeof(imp), import_id);
	params[0] = imp;
	for (int i = 0; i < narr; i++)
		if ((params[i + 1] = pg_arr_end(&arr[i])) == NULL)
			return pg_nomem(q);
	rc = pg_query(q, sql, narr + 1, NULL, params, &r, what);
	PQclear(r);
	return rc;
}

enum { C_NAME, C_LOCALE, C_TIMEZONE, C_JURISDICTION, C_PHONE, C_EMAIL, C_SEGMENT };

static int pg_customers_put(struct store *s, int64_t import_id,
			    const struct customer_row *rows, size_t n, struct store_outcome *out)
{
	/* $1 import_id, then one array per column. */
	static const char cols[] =
		"unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
		"$7::text[], $8::text[], $9::text[], $10::bigint[]) "
		"AS t(id, name, locale, tz, jur, phone, email, seg, line)";
	static const char insert_sql[] =
		"INSERT INTO customers (customer_id, name, locale, timezone, jurisdiction, "
		"phone, email, segment, import_id, source_line) "
		"SELECT id, name, locale, tz, jur, phone, email, seg, $1::bigint, line FROM ";
	static const char update_sql[] =
		"UPDATE customers c SET name = t.name, locale = t.locale, timezone = t.tz, "
		"jurisdiction = t.jur, phone = t.phone, email = t.email, segment = t.seg, "
		"import_id = $1::bigint, source_line = t.line FROM ";
	struct pg_store *q = pg(s);
	struct pg_map map = { 0 };
	size_t *idx = NULL;
	struct pg_known *known = NULL;
	PGresult *res = NULL;
	struct pg_arr arr[2][9];
	char sql[2][1024];
	int rc;

	memset(arr, 0, sizeof(arr));
	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return STORE_OK;
	rc = pg_load_known(q, PG_EACH_ID("SELECT customer_id, import_id, source_line, name, "
					 "locale, timezone, jurisdiction, phone, email, segment "
					 "FROM customers WHERE customer_id = k.id"), PG_MAX_FIELDS,
			   &rows[0].customer_id, sizeof(*rows), n, &map, &idx, &known, &res,
			   "reading customers");
	if (rc != STORE_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct customer_row *r = &rows[i];
		const char *f[PG_MAX_FIELDS] = {
			r->name, r->locale, r->timezone, r->jurisdiction,
			r->phone, r->email, r->segment
		};
		struct pg_known *k = &known[idx[i]];
		int same = 1;

		if (pg_duplicate(k, import_id, &out[i]))
			continue;
		for (int j = 0; j < PG_MAX_FIELDS && k->exists; j++)
			same = same && pg_same(k->field[j], f[j]);
		if (k->exists && same) {
			out[i].put = STORE_PUT_SAME;
			continue;
		}
		out[i].put = k->exists ? STORE_PUT_UPDATED : STORE_PUT_NEW;
		/* Nothing else of this id can be written by this batch: any
		 * later row of it is now a duplicate. */
		k->insert = !k->exists;
		k->write_row = (long)i;
		k->exists = 1;
		k->import_id = import_id;
		k->line = r->line;
	}
	for (int w = 0; w < 2; w++)
		for (int c = 0; c < 9; c++)
			pg_arr_begin(&arr[w][c]);
	/* In row order, so that new keys follow the file as on SQLite. */
	for (size_t i = 0; i < n; i++) {
		const struct customer_row *r = &rows[i];
		const struct pg_known *k = &known[idx[i]];
		struct pg_arr *a;

		if (k->write_row != (long)i)
			continue;
		a = arr[k->insert ? 0 : 1];
		pg_arr_req(&a[0], r->customer_id);
		pg_arr_req(&a[1], r->name);
		pg_arr_req(&a[2], r->locale);
		pg_arr_req(&a[3], r->timezone);
		pg_arr_req(&a[4], r->jurisdiction);
		pg_arr_opt(&a[5], r->phone);
		pg_arr_opt(&a[6], r->email);
		pg_arr_opt(&a[7], r->segment);
		pg_arr_int(&a[8], r->line);
	}
	snprintf(sql[0], sizeof(sql[0]), "%s%s", insert_sql, cols);
	snprintf(sql[1], sizeof(sql[1]), "%s%s WHERE c.customer_id = t.id", update_sql, cols);
	if ((rc = pg_write(q, sql[0], arr[0], 9, import_id, "writing customers")) != STORE_OK ||
	    (rc = pg_write(q, sql[1], arr[1], 9, import_id, "updating customers")) != STORE_OK)
		goto out;
out:
	pg_arrs_free(&arr[0][0], 18);
	PQclear(res);
	free(known);
	free(idx);
	pg_map_free(&map);
	return rc;
}

static int pg_accounts_put(struct store *s, int64_t import_id,
			   const struct account_row *rows, size_t n, struct store_outcome *out)
{
	struct pg_store *q = pg(s);
	struct pg_map map = { 0 }, customers = { 0 };
	size_t *idx = NULL;
	struct pg_known *known = NULL;
	int64_t *ckeys = NULL;
	PGresult *res = NULL;
	struct pg_arr arr[4];
	int rc;

	memset(arr, 0, sizeof(arr));
	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return STORE_OK;
	rc = pg_load_known(q, PG_EACH_ID("SELECT a.account_id, a.import_id, a.source_line, "
					 "c.customer_id, a.currency FROM accounts a "
					 "JOIN customers c ON c.customer_key = a.customer_key "
					 "WHERE a.account_id = k.id"), 2,
			   &rows[0].account_id, sizeof(*rows), n, &map, &idx, &known, &res,
			   "reading accounts");
	if (rc != STORE_OK)
		goto out;
	/* Customers matter only to rows whose account is not stored yet. */
	if (pg_map_init(&customers, n) != 0 || (ckeys = malloc(n * sizeof(*ckeys))) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!known[idx[i]].exists)
			pg_map_add(&customers, rows[i].customer_id ? rows[i].customer_id : "");
	rc = pg_load_keys(q, PG_EACH_ID("SELECT customer_id, customer_key FROM customers "
					"WHERE customer_id = k.id"), &customers, ckeys,
			  "reading customers");
	if (rc != STORE_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct account_row *r = &rows[i];
		struct pg_known *k = &known[idx[i]];
		long c;

		if (pg_duplicate(k, import_id, &out[i]))
			continue;
		if (k->exists) {
			/* An account never changes hands nor currency. */
			if (!pg_same(k->field[0], r->customer_id)) {
				out[i].put = STORE_PUT_CONFLICT;
				out[i].what = "customer_id";
			} else if (!pg_same(k->field[1], r->currency)) {
				out[i].put = STORE_PUT_CONFLICT;
				out[i].what = "currency";
			} else {
				out[i].put = STORE_PUT_SAME;
			}
			continue;
		}
		c = pg_map_find(&customers, r->customer_id ? r->customer_id : "");
		if (c < 0 || ckeys[c] == 0) {
			out[i].put = STORE_PUT_NO_REF;
			out[i].what = "customer_id";
			continue;
		}
		out[i].put = STORE_PUT_NEW;
		k->exists = 1;
		k->import_id = import_id;
		k->line = r->line;
		k->field[0] = r->customer_id;
		k->field[1] = r->currency;
		k->write_row = (long)i;
		k->insert = 1;
	}
	for (int c = 0; c < 4; c++)
		pg_arr_begin(&arr[c]);
	for (size_t i = 0; i < n; i++) {
		const struct account_row *r = &rows[i];

		if (known[idx[i]].write_row != (long)i)
			continue;
		pg_arr_req(&arr[0], r->account_id);
		pg_arr_int(&arr[1], ckeys[pg_map_find(&customers, r->customer_id ? r->customer_id : "")]);
		pg_arr_req(&arr[2], r->currency);
		pg_arr_int(&arr[3], r->line);
	}
	rc = pg_write(q, "INSERT INTO accounts (account_id, customer_key, currency, import_id, "
		      "source_line) SELECT id, ck, cur, $1::bigint, line "
		      "FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[]) "
		      "AS t(id, ck, cur, line)", arr, 4, import_id, "writing accounts");
out:
	pg_arrs_free(arr, 4);
	PQclear(res);
	free(ckeys);
	free(known);
	free(idx);
	pg_map_free(&customers);
	pg_map_free(&map);
	return rc;
}

enum { SV_ACCOUNT, SV_KIND, SV_IDENTIFIER, SV_ADAPTER };

static int pg_services_put(struct store *s, int64_t import_id,
			   const struct service_row *rows, size_t n, struct store_outcome *out)
{
	static const char cols[] =
		"unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], "
		"$7::bigint[]) AS t(id, ak, kind, ident, adapter, line)";
	struct pg_store *q = pg(s);
	struct pg_map map = { 0 }, accounts = { 0 };
	size_t *idx = NULL;
	struct pg_known *known = NULL;
	int64_t *akeys = NULL;
	PGresult *res = NULL;
	struct pg_arr arr[2][6];
	char sql[2][1024];
	int rc;

	memset(arr, 0, sizeof(arr));
	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return STORE_OK;
	rc = pg_load_known(q, PG_EACH_ID("SELECT s.service_id, s.import_id, s.source_line, "
					 "a.account_id, s.kind, s.identifier, s.adapter "
					 "FROM services s JOIN accounts a "
					 "ON a.account_key = s.account_key "
					 "WHERE s.service_id = k.id"), 4,
			   &rows[0].service_id, sizeof(*rows), n, &map, &idx, &known, &res,
			   "reading services");
	if (rc != STORE_OK)
		goto out;
	if (pg_map_init(&accounts, n) != 0 || (akeys = malloc(n * sizeof(*akeys))) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!known[idx[i]].exists)
			pg_map_add(&accounts, rows[i].account_id ? rows[i].account_id : "");
	rc = pg_load_keys(q, PG_EACH_ID("SELECT account_id, account_key FROM accounts "
					"WHERE account_id = k.id"), &accounts, akeys,
			  "reading accounts");
	if (rc != STORE_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct service_row *r = &rows[i];
		struct pg_known *k = &known[idx[i]];

		if (pg_duplicate(k, import_id, &out[i]))
			continue;
		if (k->exists) {
			if (!pg_same(k->field[SV_ACCOUNT], r->account_id)) {
				out[i].put = STORE_PUT_CONFLICT;
				out[i].what = "account_id";
				continue;
			}
			if (pg_same(k->field[SV_KIND], r->kind) &&
			    pg_same(k->field[SV_IDENTIFIER], r->identifier) &&
			    pg_same(k->field[SV_ADAPTER], r->adapter)) {
				out[i].put = STORE_PUT_SAME;
				continue;
			}
			out[i].put = STORE_PUT_UPDATED;
			k->insert = 0;
		} else {
			long a = pg_map_find(&accounts, r->account_id ? r->account_id : "");

			if (a < 0 || akeys[a] == 0) {
				out[i].put = STORE_PUT_NO_REF;
				out[i].what = "account_id";
				continue;
			}
			out[i].put = STORE_PUT_NEW;
			k->insert = 1;
		}
		k->exists = 1;
		k->import_id = import_id;
		k->line = r->line;
		k->field[SV_ACCOUNT] = r->account_id;
		k->write_row = (long)i;
	}
	for (int w = 0; w < 2; w++)
		for (int c = 0; c < 6; c++)
			pg_arr_begin(&arr[w][c]);
	for (size_t i = 0; i < n; i++) {
		const struct service_row *r = &rows[i];
		const struct pg_known *k = &known[idx[i]];
		struct pg_arr *a;
		long ak;

		if (k->write_row != (long)i)
			continue;
		a = arr[k->insert ? 0 : 1];
		/* An update keeps the account: the key is not looked up. */
		ak = k->insert ?
			pg_map_find(&accounts, r->account_id ? r->account_id : "") : -1;
		pg_arr_req(&a[0], r->service_id);
		if (ak >= 0)
			pg_arr_int(&a[1], akeys[ak]);
		else
			pg_arr_null(&a[1]);
		pg_arr_req(&a[2], r->kind);
		pg_arr_req(&a[3], r->identifier);
		pg_arr_req(&a[4], r->adapter);
		pg_arr_int(&a[5], r->line);
	}
	snprintf(sql[0], sizeof(sql[0]), "INSERT INTO services (service_id, account_key, kind, "
		 "identifier, adapter, import_id, source_line) "
		 "SELECT id, ak, kind, ident, adapter, $1::bigint, line FROM %s", cols);
	snprintf(sql[1], sizeof(sql[1]), "UPDATE services s SET kind = t.kind, "
		 "identifier = t.ident, adapter = t.adapter, import_id = $1::bigint, "
		 "source_line = t.line FROM %s WHERE s.service_id = t.id", cols);
	if ((rc = pg_write(q, sql[0], arr[0], 6, import_id, "writing services")) != STORE_OK ||
	    (rc = pg_write(q, sql[1], arr[1], 6, import_id, "updating services")) != STORE_OK)
		goto out;
out:
	pg_arrs_free(&arr[0][0], 12);
	PQclear(res);
	free(akeys);
	free(known);
	free(idx);
	pg_map_free(&accounts);
	pg_map_free(&map);
	return rc;
}

/* ---- the ledger: append-only inserts ---------------------------------------- */

/* One ledger row whatever its table; `when` is issued_on or received_at,
 * `text` the method or reason; `slot` is where its outcome goes. */
struct pg_lrow {
	int64_t line, account_key, when, due_on, amount;
	const char *id, *text, *invoice_id;
	size_t slot;
};

struct pg_ledger_table {
	const char *insert_sql;   /* $1 import, $2.. arrays; RETURNING the id */
	const char *load_sql;     /* $1 ids: id, import_id, source_line, account_key,
				     when, due_on, amount, text, invoice_id */
	const char *when, *text;  /* field names for CONFLICT; text NULL: none */
	int text_required;        /* text is NOT NULL ("" when absent) */
	const char *what;
};

#define PG_LEDGER_ARRAYS "unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], " \
	"$6::bigint[], $7::text[], $8::text[], $9::bigint[]) " \
	"AS t(id, ak, w, due, amount, txt, inv, line)"

static const struct pg_ledger_table pg_invoices = {
	"INSERT INTO invoices (invoice_id, account_key, issued_on, due_on, amount, import_id, "
	"source_line) SELECT id, ak, w, due, amount, $1, line FROM " PG_LEDGER_ARRAYS
	" ON CONFLICT (invoice_id) DO NOTHING RETURNING invoice_id",
	PG_EACH_ID("SELECT invoice_id, import_id, source_line, account_key, issued_on, "
		   "due_on, amount, NULL, NULL FROM invoices WHERE invoice_id = k.id"),
	"issued_on", NULL, 0, "writing invoices",
};

static const struct pg_ledger_table pg_payments = {
	"INSERT INTO payments (payment_id, account_key, received_at, amount, method, "
	"invoice_id, import_id, source_line) SELECT id, ak, w, amount, txt, inv, $1, line "
	"FROM " PG_LEDGER_ARRAYS " ON CONFLICT (payment_id) DO NOTHING RETURNING payment_id",
	PG_EACH_ID("SELECT payment_id, import_id, source_line, account_key, received_at, 0, "
		   "amount, method, invoice_id FROM payments WHERE payment_id = k.id"),
	"received_at", "method", 0, "writing payments",
};

static const struct pg_ledger_table pg_credit_notes = {
	"INSERT INTO credit_notes (credit_note_id, account_key, issued_on, amount, reason, "
	"invoice_id, import_id, source_line) SELECT id, ak, w, amount, txt, inv, $1, line "
	"FROM " PG_LEDGER_ARRAYS " ON CONFLICT (credit_note_id) DO NOTHING "
	"RETURNING credit_note_id",
	PG_EACH_ID("SELECT credit_note_id, import_id, source_line, account_key, issued_on, "
		   "0, amount, reason, invoice_id FROM credit_notes "
		   "WHERE credit_note_id = k.id"),
	"issued_on", "reason", 1, "writing credit notes",
};

/* The first field in which a stored ledger row (row r of `res`) differs
 * from `l`, in the order the file's columns matter to a reader; NULL if
 * none does. */
static const char *pg_ledger_diff(const struct pg_ledger_table *t, const PGresult *res,
				  int r, const struct pg_lrow *l)
{
	if (pg_i64(res, r, 3) != l->account_key)
		return "account_id";
	if (pg_i64(res, r, 4) != l->when)
		return t->when;
	if (pg_i64(res, r, 5) != l->due_on)
		return "due_on";
	if (pg_i64(res, r, 6) != l->amount)
		return "amount";
	if (t->text != NULL && !pg_same(pg_text(res, r, 7), l->text))
		return t->text;
	if (!pg_same(pg_text(res, r, 8), l->invoice_id))
		return "invoice_id";
	return NULL;
}

/*
 * Inserts the first row of every id of the batch, then classifies each row
 * in order: a row whose id this batch inserted is NEW (the first) or a
 * DUPLICATE of the first; otherwise it is compared with the stored row,
 * which is a DUPLICATE if this import stored it, else SAME or CONFLICT.
 */
static int pg_ledger_put(struct pg_store *q, const struct pg_ledger_table *t,
			 int64_t import_id, const struct pg_lrow *rows, size_t n,
			 struct store_outcome *out)
{
	static const Oid types[9] = {
		PG_INT8_OID, PG_TEXT_ARRAY_OID, PG_INT8_ARRAY_OID, PG_INT8_ARRAY_OID,
		PG_INT8_ARRAY_OID, PG_INT8_ARRAY_OID, PG_TEXT_ARRAY_OID, PG_TEXT_ARRAY_OID,
		PG_INT8_ARRAY_OID
	};
	struct pg_map map = { 0 }, left = { 0 };
	size_t *idx = NULL, *first = NULL;
	unsigned char *inserted = NULL;
	int *stored = NULL;   /* row of `old` holding id k; -1: none */
	PGresult *ins = NULL, *old = NULL;
	struct pg_arr arr[8];
	const char *params[9];
	char imp[24];
	int rc = STORE_OK;

	memset(arr, 0, sizeof(arr));
	if (n == 0)
		return STORE_OK;
	if (pg_map_init(&map, n) != 0 || pg_map_init(&left, n) != 0 ||
	    (idx = malloc(n * sizeof(*idx))) == NULL ||
	    (first = malloc(n * sizeof(*first))) == NULL ||
	    (inserted = calloc(n, 1)) == NULL || (stored = malloc(n * sizeof(*stored))) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	for (int c = 0; c < 8; c++)
		pg_arr_begin(&arr[c]);
	for (size_t i = 0; i < n; i++) {
		const struct pg_lrow *l = &rows[i];
		size_t seen = map.n, k = pg_map_add(&map, l->id ? l->id : "");

		idx[i] = k;
		if (map.n == seen)
			continue;   /* not the first row of its id */
		first[k] = i;
		stored[k] = -1;
		pg_arr_req(&arr[0], l->id);
		pg_arr_int(&arr[1], l->account_key);
		pg_arr_int(&arr[2], l->when);
		pg_arr_int(&arr[3], l->due_on);
		pg_arr_int(&arr[4], l->amount);
		if (t->text_required)
			pg_arr_req(&arr[5], l->text);
		else
			pg_arr_opt(&arr[5], l->text);
		pg_arr_opt(&arr[6], l->invoice_id);
		pg_arr_int(&arr[7], l->line);
	}
	pg_fmt_i64(imp, sizeof(imp), import_id);
	params[0] = imp;
	for (int c = 0; c < 8; c++)
		if ((params[c + 1] = pg_arr_end(&arr[c])) == NULL) {
			rc = pg_nomem(q);
			goto out;
		}
	if ((rc = pg_query(q, t->insert_sql, 9, types, params, &ins, t->what)) != STORE_OK)
		goto out;
	for (int r = 0; r < PQntuples(ins); r++) {
		long k = pg_map_find(&map, PQgetvalue(ins, r, 0));

		if (k >= 0)
			inserted[k] = 1;
	}
	/* The ids that were already stored: one more query, usually none. */
	for (size_t k = 0; k < map.n; k++)
		if (!inserted[k])
			pg_map_add(&left, map.keys[k]);
	if (left.n > 0) {
		const char *param;

		if ((param = pg_map_array(&left, &arr[0])) == NULL) {
			rc = pg_nomem(q);
			goto out;
		}
		if ((rc = pg_query(q, t->load_sql, 1, NULL, &param, &old, t->what)) != STORE_OK)
			goto out;
		for (int r = 0; r < PQntuples(old); r++) {
			long k = pg_map_find(&map, PQgetvalue(old, r, 0));

			if (k >= 0)
				stored[k] = r;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct store_outcome *o = &out[rows[i].slot];
		size_t k = idx[i];
		int r = stored[k];

		memset(o, 0, sizeof(*o));
		if (inserted[k]) {
			if (first[k] == i) {
				o->put = STORE_PUT_NEW;
			} else {
				o->put = STORE_PUT_DUPLICATE;
				o->line = rows[first[k]].line;
			}
			continue;
		}
		if (r < 0) {
			/* Not inserted yet not there: nothing deletes ledger rows. */
			rc = store_set_error(&q->base, STORE_ERR_DB, "%s: %s: %s was neither "
					     "inserted nor found", q->url, t->what, map.keys[k]);
			goto out;
		}
		if (pg_i64(old, r, 1) == import_id) {
			o->put = STORE_PUT_DUPLICATE;
			o->line = pg_i64(old, r, 2);
		} else if ((o->what = pg_ledger_diff(t, old, r, &rows[i])) != NULL) {
			o->put = STORE_PUT_CONFLICT;
		} else {
			o->put = STORE_PUT_SAME;
		}
	}
out:
	pg_arrs_free(arr, 8);
	PQclear(ins);
	PQclear(old);
	free(stored);
	free(inserted);
	free(first);
	free(idx);
	pg_map_free(&left);
	pg_map_free(&map);
	return rc;
}

static int pg_invoices_put(struct store *s, int64_t import_id,
			   const struct invoice_row *rows, size_t n, struct store_outcome *out)
{
	struct pg_lrow *l;
	int rc;

	if (n == 0)
		return STORE_OK;
	if ((l = calloc(n, sizeof(*l))) == NULL)
		return pg_nomem(pg(s));
	for (size_t i = 0; i < n; i++) {
		l[i].line = rows[i].line;
		l[i].account_key = rows[i].account_key;
		l[i].id = rows[i].inv.id;
		l[i].when = rows[i].inv.issued_on;
		l[i].due_on = rows[i].inv.due_on;
		l[i].amount = rows[i].inv.amount;
		l[i].slot = i;
	}
	rc = pg_ledger_put(pg(s), &pg_invoices, import_id, l, n, out);
	free(l);
	return rc;
}

/* Payments and credit notes live in two tables with separate id spaces:
 * each gets its own pass over its own rows, in file order. */
static int pg_credits_put(struct store *s, int64_t import_id,
			  const struct credit_row *rows, size_t n, struct store_outcome *out)
{
	struct pg_lrow *l;
	size_t np = 0, nc = 0;
	int rc;

	if (n == 0)
		return STORE_OK;
	if ((l = calloc(n, sizeof(*l))) == NULL)
		return pg_nomem(pg(s));
	/* Payments from the front, credit notes from the back (reversed). */
	for (size_t i = 0; i < n; i++) {
		const struct credit_row *r = &rows[i];
		int payment = r->cr.kind == LEDGER_PAYMENT;
		struct pg_lrow *x = payment ? &l[np++] : &l[n - ++nc];

		x->line = r->line;
		x->account_key = r->account_key;
		x->id = r->cr.id;
		x->when = payment ? r->cr.received_at : (int64_t)r->cr.issued_on;
		x->amount = r->cr.amount;
		x->text = payment ? r->method : r->reason;
		x->invoice_id = r->cr.invoice_id;
		x->slot = i;
	}
	for (size_t i = 0; i < nc / 2; i++) {
		struct pg_lrow tmp = l[np + i];

		l[np + i] = l[n - 1 - i];
		l[n - 1 - i] = tmp;
	}
	rc = pg_ledger_put(pg(s), &pg_payments, import_id, l, np, out);
	if (rc == STORE_OK)
		rc = pg_ledger_put(pg(s), &pg_credit_notes, import_id, l + np, nc, out);
	free(l);
	return rc;
}

/* ---- look-ups ------------------------------------------------------------------- */

static int pg_accounts_find(struct store *s, const char *const *ids, size_t n,
			    struct account_ref *out)
{
	struct pg_store *q = pg(s);
	struct pg_map map = { 0 };
	struct pg_arr arr = { 0 };
	struct account_ref *refs = NULL;
	size_t *idx = NULL;
	PGresult *r = NULL;
	const char *param;
	int rc = STORE_OK;

	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return STORE_OK;
	if (pg_map_init(&map, n) != 0 || (idx = malloc(n * sizeof(*idx))) == NULL ||
	    (refs = calloc(n, sizeof(*refs))) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = pg_map_add(&map, ids[i] ? ids[i] : "");
	if ((param = pg_map_array(&map, &arr)) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	rc = pg_query(q, PG_EACH_ID("SELECT a.account_id, a.account_key, a.currency, "
				    "c.timezone FROM accounts a "
				    "JOIN customers c ON c.customer_key = a.customer_key "
				    "WHERE a.account_id = k.id"), 1, NULL, &param, &r,
		      "finding accounts");
	if (rc != STORE_OK)
		goto out;
	for (int i = 0; i < PQntuples(r); i++) {
		long k = pg_map_find(&map, PQgetvalue(r, i, 0));

		if (k < 0)
			continue;
		refs[k].found = 1;
		refs[k].account_key = pg_i64(r, i, 1);
		snprintf(refs[k].currency, sizeof(refs[k].currency), "%s", PQgetvalue(r, i, 2));
		snprintf(refs[k].timezone, sizeof(refs[k].timezone), "%s", PQgetvalue(r, i, 3));
	}
	for (size_t i = 0; i < n; i++)
		out[i] = refs[idx[i]];
out:
	PQclear(r);
	pg_arrs_free(&arr, 1);
	free(refs);
	free(idx);
	pg_map_free(&map);
	return rc;
}

static int pg_invoices_find(struct store *s, const char *const *ids, size_t n,
			    struct invoice_ref *out)
{
	struct pg_store *q = pg(s);
	struct pg_map map = { 0 };
	struct pg_arr arr = { 0 };
	int64_t *keys = NULL;
	size_t *idx = NULL;
	int rc = STORE_OK;

	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return STORE_OK;
	if (pg_map_init(&map, n) != 0 || (idx = malloc(n * sizeof(*idx))) == NULL ||
	    (keys = malloc(n * sizeof(*keys))) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = pg_map_add(&map, ids[i] ? ids[i] : "");
	rc = pg_load_keys(q, PG_EACH_ID("SELECT invoice_id, account_key FROM invoices "
					"WHERE invoice_id = k.id"), &map, keys, "finding invoices");
	if (rc != STORE_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		out[i].found = keys[idx[i]] != 0;
		out[i].account_key = keys[idx[i]];
	}
out:
	pg_arrs_free(&arr, 1);
	free(keys);
	free(idx);
	pg_map_free(&map);
	return rc;
}

/* ---- ledger scan ---------------------------------------------------------------- */

#define PG_LEDGER_ACCOUNTS \
	"SELECT a.account_key, a.account_id, c.customer_id, a.currency, c.timezone " \
	"FROM accounts a JOIN customers c ON c.customer_key = a.customer_key "

/* Entries of a page, all three tables in one result (ordered by account key
 * by the caller's ORDER BY 1):
 * account_key, kind (0 invoice, 1 payment, 2 credit note), id, invoice_id,
 * issued_on or received_at, due_on, amount. */
#define PG_LEDGER_ENTRIES(where) \
	"SELECT account_key, 0, invoice_id, NULL, issued_on, due_on, amount " \
	"FROM invoices WHERE " where " UNION ALL " \
	"SELECT account_key, 1, payment_id, invoice_id, received_at, 0, amount " \
	"FROM payments WHERE " where " UNION ALL " \
	"SELECT account_key, 2, credit_note_id, invoice_id, issued_on, 0, amount " \
	"FROM credit_notes WHERE " where

/* One account's entries while a page is merged; strings point into the
 * page's result. Reused from account to account. */
struct pg_scan {
	struct ledger_invoice *inv;
	size_t n_inv, cap_inv;
	struct ledger_credit *cr;
	size_t n_cr, cap_cr;
};

static int pg_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if ((np = realloc(*p, c * size)) == NULL)
		return -1;
	*p = np;
	*cap = c;
	return 0;
}

static int pg_scan_entry(struct pg_scan *b, const PGresult *e, int r)
{
	int kind = (int)pg_i64(e, r, 1);

	if (kind == 0) {
		struct ledger_invoice *v;

		if (pg_grow((void **)&b->inv, &b->cap_inv, b->n_inv + 1, sizeof(*b->inv)) != 0)
			return -1;
		v = &b->inv[b->n_inv++];
		v->id = PQgetvalue(e, r, 2);
		v->issued_on = (int32_t)pg_i64(e, r, 4);
		v->due_on = (int32_t)pg_i64(e, r, 5);
		v->amount = pg_i64(e, r, 6);
	} else {
		struct ledger_credit *c;

		if (pg_grow((void **)&b->cr, &b->cap_cr, b->n_cr + 1, sizeof(*b->cr)) != 0)
			return -1;
		c = &b->cr[b->n_cr++];
		memset(c, 0, sizeof(*c));
		c->kind = kind == 1 ? LEDGER_PAYMENT : LEDGER_CREDIT_NOTE;
		c->id = PQgetvalue(e, r, 2);
		c->invoice_id = pg_text(e, r, 3);
		if (kind == 1)
			c->received_at = pg_i64(e, r, 4);
		else
			c->issued_on = (int32_t)pg_i64(e, r, 4);
		c->amount = pg_i64(e, r, 6);
	}
	return 0;
}

/* Merges a page of accounts with its entries (both ordered by key) and
 * calls cb for each account. */
static int pg_scan_page(struct pg_store *q, const PGresult *acc, const PGresult *ent,
			struct pg_scan *b, store_ledger_cb cb, void *ctx)
{
	int na = PQntuples(acc), ne = PQntuples(ent), e = 0;

	for (int i = 0; i < na; i++) {
		struct account_ledger l;
		int64_t key = pg_i64(acc, i, 0);
		int exponent, rc;

		b->n_inv = b->n_cr = 0;
		/* Entries of accounts not in the page (committed in between by
		 * someone else) are skipped. */
		while (e < ne && pg_i64(ent, e, 0) < key)
			e++;
		for (; e < ne && pg_i64(ent, e, 0) == key; e++)
			if (pg_scan_entry(b, ent, e) != 0)
				return pg_nomem(q);
		memset(&l, 0, sizeof(l));
		l.account_key = key;
		l.account_id = PQgetvalue(acc, i, 1);
		l.customer_id = PQgetvalue(acc, i, 2);
		l.currency = PQgetvalue(acc, i, 3);
		l.timezone = PQgetvalue(acc, i, 4);
		if (money_currency_exponent(l.currency, &exponent) != MONEY_OK)
			return store_set_error(&q->base, STORE_ERR_INPUT,
					       "%s: account %s has unknown currency %s",
					       q->url, l.account_id, l.currency);
		l.exponent = exponent;
		l.invoices = b->inv;
		l.n_invoices = b->n_inv;
		l.credits = b->cr;
		l.n_credits = b->n_cr;
		if ((rc = cb(ctx, &l)) != 0)
			return rc;
	}
	return STORE_OK;
}

static int pg_ledger_scan(struct store *s, const int64_t *keys, size_t n,
			  store_ledger_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	struct pg_scan b = { 0 };
	struct pg_arr arr = { 0 };
	PGresult *acc = NULL, *ent = NULL;
	int64_t after = INT64_MIN;
	size_t done = 0;
	int rc = STORE_OK;

	for (;;) {
		size_t got;

		if (keys != NULL) {
			/* The next PG_PAGE keys asked for. */
			const char *param;

			if (done >= n)
				break;
			pg_arr_begin(&arr);
			for (size_t i = done; i < n && i < done + PG_PAGE; i++)
				if (i == 0 || keys[i] != keys[i - 1])
					pg_arr_int(&arr, keys[i]);
			done = done + PG_PAGE < n ? done + PG_PAGE : n;
			if ((param = pg_arr_end(&arr)) == NULL) {
				rc = pg_nomem(q);
				goto out;
			}
			rc = pg_query(q, PG_EACH_KEY(PG_LEDGER_ACCOUNTS "WHERE a.account_key = k.key")
				      " ORDER BY 1", 1, NULL, &param, &acc,
				      "scanning the ledger");
			if (rc != STORE_OK)
				goto out;
			if (PQntuples(acc) > 0)
				rc = pg_query(q, PG_EACH_KEY(PG_LEDGER_ENTRIES("account_key = k.key"))
					      " ORDER BY 1",
					      1, NULL, &param, &ent, "scanning the ledger");
		} else {
			/* The next PG_PAGE accounts after the last one seen. */
			char lo[24], hi[24];
			const char *params[2] = { lo, hi };

			pg_fmt_i64(lo, sizeof(lo), after);
			rc = pg_query(q, PG_LEDGER_ACCOUNTS "WHERE a.account_key > $1 "
				      "ORDER BY a.account_key LIMIT " PG_STR(PG_PAGE), 1, NULL, params, &acc,
				      "scanning the ledger");
			if (rc != STORE_OK)
				goto out;
			got = (size_t)PQntuples(acc);
			if (got == 0)
				break;
			pg_fmt_i64(lo, sizeof(lo), pg_i64(acc, 0, 0));
			after = pg_i64(acc, (int)got - 1, 0);
			pg_fmt_i64(hi, sizeof(hi), after);
			rc = pg_query(q, PG_LEDGER_ENTRIES("account_key BETWEEN $1 AND $2")
				      " ORDER BY 1",
				      2, NULL, params, &ent, "scanning the ledger");
		}
		if (rc != STORE_OK)
			goto out;
		got = (size_t)PQntuples(acc);
		if (got > 0 && (rc = pg_scan_page(q, acc, ent, &b, cb, ctx)) != STORE_OK)
			goto out;
		PQclear(acc);
		PQclear(ent);
		acc = ent = NULL;
		if (keys == NULL && got < PG_PAGE)
			break;
	}
out:
	PQclear(acc);
	PQclear(ent);
	pg_arrs_free(&arr, 1);
	free(b.inv);
	free(b.cr);
	return rc;
}

/* ---- positions --------------------------------------------------------------- */

struct pg_keyed {
	int64_t key;
	size_t i;
};

static int pg_cmp_keyed(const void *a, const void *b)
{
	const struct pg_keyed *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int pg_snapshots_put(struct store *s, const int64_t *keys,
			    const struct position *snaps, size_t n)
{
	struct pg_store *q = pg(s);
	struct pg_keyed *order = NULL;
	struct pg_arr arr[8];
	unsigned char *blob = NULL;
	size_t blob_cap = 0, m = 0;
	const char *params[8];
	PGresult *r = NULL;
	int rc = STORE_OK;

	memset(arr, 0, sizeof(arr));
	if (n == 0)
		return STORE_OK;
	/* One statement may not upsert a key twice: the last snapshot of a
	 * key wins, as it would written one after the other. */
	if ((order = malloc(n * sizeof(*order))) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		order[i].key = keys[i];
		order[i].i = i;
	}
	qsort(order, n, sizeof(*order), pg_cmp_keyed);
	for (size_t i = 0; i < n; i++)
		if (i + 1 == n || order[i + 1].key != order[i].key)
			order[m++] = order[i];
	for (int c = 0; c < 8; c++)
		pg_arr_begin(&arr[c]);
	for (size_t j = 0; j < m; j++) {
		const struct position *p = &snaps[order[j].i];
		size_t len;

		assert(p->n_open == 0 || p->open != NULL);
		if (pg_grow((void **)&blob, &blob_cap, p->n_open * POSITION_ITEM_BYTES + 1, 1) != 0) {
			rc = pg_nomem(q);
			goto out;
		}
		len = position_pack_items(p->open, p->n_open, blob);
		pg_arr_int(&arr[0], order[j].key);
		pg_arr_int(&arr[1], p->balance);
		pg_arr_int(&arr[2], p->invoiced);
		pg_arr_int(&arr[3], p->paid);
		pg_arr_int(&arr[4], p->credited);
		pg_arr_int(&arr[5], p->complete_at);
		if (p->n_open > 0)
			pg_arr_int(&arr[6], p->open[0].due_on);
		else
			pg_arr_null(&arr[6]);
		pg_arr_bytea(&arr[7], blob, len);
	}
	for (int c = 0; c < 8; c++)
		if ((params[c] = pg_arr_end(&arr[c])) == NULL) {
			rc = pg_nomem(q);
			goto out;
		}
	rc = pg_query(q, "INSERT INTO positions (account_key, balance, invoiced, paid, credited, "
		      "complete_at, oldest_open_due, open_items) "
		      "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], "
		      "$5::bigint[], $6::bigint[], $7::bigint[], $8::bytea[]) "
		      "ON CONFLICT (account_key) DO UPDATE SET balance = excluded.balance, "
		      "invoiced = excluded.invoiced, paid = excluded.paid, "
		      "credited = excluded.credited, complete_at = excluded.complete_at, "
		      "oldest_open_due = excluded.oldest_open_due, "
		      "open_items = excluded.open_items", 8, NULL, params, &r,
		      "writing positions");
out:
	PQclear(r);
	pg_arrs_free(arr, 8);
	free(blob);
	free(order);
	return rc;
}

static int pg_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* bytea in hex output form ("\x0a1b...", bytea_output is set at connect)
 * into buf; returns the byte count or -1. */
static long pg_unhex(const char *t, unsigned char **buf, size_t *cap)
{
	size_t len = strlen(t), n;

	if (len < 2 || t[0] != '\\' || t[1] != 'x' || len % 2 != 0)
		return -1;
	n = (len - 2) / 2;
	if (pg_grow((void **)buf, cap, n + 1, 1) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = pg_hexval(t[2 + 2 * i]), lo = pg_hexval(t[3 + 2 * i]);

		if (hi < 0 || lo < 0)
			return -1;
		(*buf)[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)n;
}

#define PG_ACCOUNTS_SUMMARY \
	"SELECT a.account_key, a.account_id, c.customer_id, a.currency, c.timezone, " \
	"c.jurisdiction, c.locale, c.name, coalesce(c.segment, ''), " \
	"coalesce(k.stage, ''), p.account_key IS NOT NULL, p.balance, p.invoiced, " \
	"p.paid, p.credited, p.complete_at, p.open_items " \
	"FROM accounts a JOIN customers c ON c.customer_key = a.customer_key " \
	"LEFT JOIN positions p ON p.account_key = a.account_key " \
	"LEFT JOIN cases k ON k.account_key = a.account_key "

static int pg_accounts_scan(struct store *s, const char *account_id,
			    store_account_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	PGresult *r = NULL;
	char *after = NULL;
	unsigned char *blob = NULL;
	size_t blob_cap = 0;
	int rc = STORE_OK;

	for (;;) {
		int rows;

		/* Byte order of ids (COLLATE "C"), as SQLite's: the unique
		 * index on account_id serves it and each page starts where
		 * the last one ended. */
		if (account_id != NULL)
			rc = pg_query(q, PG_ACCOUNTS_SUMMARY "WHERE a.account_id = $1", 1, NULL,
				      &account_id, &r, "listing accounts");
		else if (after == NULL)
			rc = pg_query(q, PG_ACCOUNTS_SUMMARY "ORDER BY a.account_id COLLATE \"C\" "
				      "LIMIT " PG_STR(PG_PAGE), 0, NULL, NULL, &r, "listing accounts");
		else
			rc = pg_query(q, PG_ACCOUNTS_SUMMARY "WHERE a.account_id COLLATE \"C\" > $1 "
				      "ORDER BY a.account_id COLLATE \"C\" LIMIT " PG_STR(PG_PAGE), 1, NULL,
				      (const char *const *)&after, &r, "listing accounts");
		if (rc != STORE_OK)
			goto out;
		rows = PQntuples(r);
		for (int i = 0; i < rows; i++) {
			struct account_summary a;

			memset(&a, 0, sizeof(a));
			a.account_key = pg_i64(r, i, 0);
			a.account_id = PQgetvalue(r, i, 1);
			a.customer_id = PQgetvalue(r, i, 2);
			a.currency = PQgetvalue(r, i, 3);
			a.timezone = PQgetvalue(r, i, 4);
			a.jurisdiction = PQgetvalue(r, i, 5);
			a.locale = PQgetvalue(r, i, 6);
			a.name = PQgetvalue(r, i, 7);
			a.segment = PQgetvalue(r, i, 8);
			a.stage = PQgetvalue(r, i, 9);
			a.has_snapshot = strcmp(PQgetvalue(r, i, 10), "t") == 0;
			if (a.has_snapshot) {
				long len = pg_unhex(PQgetvalue(r, i, 16), &blob, &blob_cap);

				a.snapshot.balance = pg_i64(r, i, 11);
				a.snapshot.invoiced = pg_i64(r, i, 12);
				a.snapshot.paid = pg_i64(r, i, 13);
				a.snapshot.credited = pg_i64(r, i, 14);
				a.snapshot.complete_at = pg_i64(r, i, 15);
				a.snapshot.oldest_unpaid_due_on = POSITION_NO_DATE;
				if (len < 0 || position_unpack_items(blob, (size_t)len,
								     &a.snapshot.open,
								     &a.snapshot.n_open) != POSITION_OK) {
					rc = store_set_error(s, STORE_ERR_DB,
							     "%s: account %s: damaged position snapshot",
							     q->url, a.account_id);
					goto out;
				}
			}
			rc = cb(ctx, &a);
			position_release(&a.snapshot);
			if (rc != 0)
				goto out;
		}
		if (account_id != NULL || rows < PG_PAGE)
			break;
		free(after);
		if ((after = strdup(PQgetvalue(r, rows - 1, 1))) == NULL) {
			rc = pg_nomem(q);
			goto out;
		}
		PQclear(r);
		r = NULL;
	}
out:
	PQclear(r);
	free(after);
	free(blob);
	return rc;
}

static int pg_accounts_of_customer(struct store *s, const char *customer_id,
				   store_customer_account_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	PGresult *r = NULL;
	int rc;

	/* One customer's accounts, in one result: byte order of ids as
	 * SQLite's (COLLATE "C"), the sort over those rows only. */
	rc = pg_query(q, "SELECT a.account_key, a.account_id, a.currency "
		      "FROM accounts a JOIN customers c ON c.customer_key = a.customer_key "
		      "WHERE c.customer_id = $1 ORDER BY a.account_id COLLATE \"C\"", 1, NULL,
		      &customer_id, &r, "listing a customer's accounts");
	if (rc != STORE_OK)
		goto out;
	for (int i = 0; i < PQntuples(r); i++) {
		struct customer_account a = {
			pg_i64(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)
		};

		if ((rc = cb(ctx, &a)) != 0)
			goto out;
	}
out:
	PQclear(r);
	return rc;
}

static int pg_services_scan(struct store *s, int64_t account_key,
			    store_service_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	char key[24];
	const char *param = key;
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(key, sizeof(key), account_key);
	rc = pg_query(q, "SELECT service_id, kind, identifier, adapter FROM services "
		      "WHERE account_key = $1 ORDER BY service_id COLLATE \"C\"", 1, NULL,
		      &param, &r, "listing services");
	if (rc != STORE_OK)
		goto out;
	for (int i = 0; i < PQntuples(r); i++) {
		struct service_view v = {
			PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			PQgetvalue(r, i, 3)
		};

		if ((rc = cb(ctx, &v)) != 0)
			goto out;
	}
out:
	PQclear(r);
	return rc;
}

static int pg_customer_get(struct store *s, const char *customer_id,
			   store_customer_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	PGresult *r = NULL;
	int rc;

	rc = pg_query(q, "SELECT customer_id, name, locale, timezone, jurisdiction, "
		      "coalesce(phone, ''), coalesce(email, ''), coalesce(segment, '') "
		      "FROM customers WHERE customer_id = $1", 1, NULL, &customer_id, &r,
		      "reading a customer");
	if (rc != STORE_OK)
		goto out;
	if (PQntuples(r) == 0) {
		rc = store_set_error(s, STORE_ERR_INPUT, "no customer %s", customer_id);
		goto out;
	}
	{
		struct customer_view v = {
			PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
			PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5),
			PQgetvalue(r, 0, 6), PQgetvalue(r, 0, 7)
		};

		rc = cb(ctx, &v);
	}
out:
	PQclear(r);
	return rc;
}

/* ---- the customer file ------------------------------------------------------ */

static void pg_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	out[0] = '\\';
	out[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		out[2 + 2 * i] = digits[p[i] >> 4];
		out[3 + 2 * i] = digits[p[i] & 15];
	}
	out[2 + 2 * n] = '\0';
}

/* The append proper, inside a transaction. */
static int pg_file_write(struct pg_store *q, const char *customer_id, const char *account_id,
			 int64_t at, const char *kind, const char *author, const char *body,
			 int64_t *seq_out)
{
	struct custfile_entry e = {
		customer_id, 0, at, pg_absent(account_id) ? "" : account_id, kind, author, body
	};
	unsigned char prev[CUSTFILE_HASH_BYTES], hash[CUSTFILE_HASH_BYTES], *blob = NULL;
	char key[24], seq[24], when[24], prev_hex[2 * CUSTFILE_HASH_BYTES + 3];
	char hash_hex[2 * CUSTFILE_HASH_BYTES + 3];
	const char *params[9];
	size_t blob_cap = 0;
	PGresult *r = NULL;
	int rc;

	/*
	 * The customer's row lock serialises appends to one file: a second
	 * append waits here until the first commits, and its next statement
	 * (a new snapshot under READ COMMITTED) then sees the entry the first
	 * wrote. Reading the last entry in this same statement would not: a
	 * statement that waited for a lock keeps its older snapshot. NO KEY
	 * UPDATE leaves the foreign-key checks of imports (KEY SHARE) free.
	 */
	rc = pg_query(q, "SELECT customer_key FROM customers WHERE customer_id = $1 "
		      "FOR NO KEY UPDATE", 1, NULL, &customer_id, &r,
		      "appending to a customer file");
	if (rc != STORE_OK)
		goto out;
	if (PQntuples(r) == 0) {
		rc = store_set_error(&q->base, STORE_ERR_INPUT, "no customer %s", customer_id);
		goto out;
	}
	snprintf(key, sizeof(key), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	params[0] = key;
	params[1] = pg_absent(account_id) ? NULL : account_id;
	rc = pg_query(q, "SELECT l.seq, l.hash, (SELECT account_key FROM accounts "
		      "WHERE account_id = $2 AND customer_key = $1::bigint) "
		      "FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT seq, hash "
		      "FROM file_entries WHERE customer_key = $1::bigint "
		      "ORDER BY seq DESC LIMIT 1) AS l ON true", 2, NULL, params, &r,
		      "appending to a customer file");
	if (rc != STORE_OK)
		goto out;
	if (params[1] != NULL && PQgetisnull(r, 0, 2)) {
		rc = store_set_error(&q->base, STORE_ERR_INPUT, "no account %s of customer %s",
				     account_id, customer_id);
		goto out;
	}
	if (PQgetisnull(r, 0, 0)) {
		e.seq = 1;
		memcpy(prev, custfile_genesis, CUSTFILE_HASH_BYTES);
	} else {
		if (pg_unhex(PQgetvalue(r, 0, 1), &blob, &blob_cap) != CUSTFILE_HASH_BYTES) {
			rc = store_set_error(&q->base, STORE_ERR_DB, "%s: the file of customer %s "
					     "is damaged: run `relance verify`", q->url,
					     customer_id);
			goto out;
		}
		e.seq = pg_i64(r, 0, 0) + 1;
		memcpy(prev, blob, CUSTFILE_HASH_BYTES);
	}
	custfile_hash(&e, prev, hash);
	pg_fmt_i64(seq, sizeof(seq), e.seq);
	pg_fmt_i64(when, sizeof(when), at);
	pg_hex(prev, CUSTFILE_HASH_BYTES, prev_hex);
	pg_hex(hash, CUSTFILE_HASH_BYTES, hash_hex);
	params[1] = seq;
	params[2] = when;
	params[3] = PQgetisnull(r, 0, 2) ? NULL : PQgetvalue(r, 0, 2);
	params[4] = kind ? kind : "";
	params[5] = author ? author : "";
	params[6] = body ? body : "";
	params[7] = prev_hex;
	params[8] = hash_hex;
	{
		PGresult *ins = NULL;

		rc = pg_query(q, "INSERT INTO file_entries (customer_key, seq, at, account_key, "
			      "kind, author, body, prev_hash, hash) VALUES ($1::bigint, "
			      "$2::bigint, $3::bigint, $4::bigint, $5, $6, $7, $8::bytea, $9::bytea)",
			      9, NULL, params, &ins, "appending to a customer file");
		PQclear(ins);
	}
	if (rc == STORE_OK)
		*seq_out = e.seq;
out:
	PQclear(r);
	free(blob);
	return rc;
}

static int pg_file_append(struct store *s, const char *customer_id, const char *account_id,
			  int64_t at, const char *kind, const char *author, const char *body,
			  int64_t *seq_out)
{
	struct pg_store *q = pg(s);
	int own = PQtransactionStatus(q->conn) == PQTRANS_IDLE, rc;

	if (own && (rc = pg_begin(s)) != STORE_OK)
		return rc;
	rc = pg_file_write(q, customer_id, account_id, at, kind, author, body, seq_out);
	if (own) {
		if (rc == STORE_OK)
			rc = pg_commit(s);
		else
			pg_rollback(s);   /* keeps the reason unless it fails too */
	}
	return rc;
}

/* Notes written by one round of pg_file_notes: bounds the array literals. */
#define PG_NOTES_BATCH 2048

/* An account of a note batch, and its customer's chain as it grows. */
struct pg_note_acct {
	int64_t account_key, customer_key;
	const char *customer_id, *account_id;  /* in the locking result */
};
struct pg_note_chain {
	int64_t customer_key, seq;
	unsigned char hash[CUSTFILE_HASH_BYTES];
};

static int pg_cmp_note_acct(const void *a, const void *b)
{
	int64_t x = ((const struct pg_note_acct *)a)->account_key;
	int64_t y = ((const struct pg_note_acct *)b)->account_key;

	return (x > y) - (x < y);
}

static int pg_cmp_note_chain(const void *a, const void *b)
{
	int64_t x = ((const struct pg_note_chain *)a)->customer_key;
	int64_t y = ((const struct pg_note_chain *)b)->customer_key;

	return (x > y) - (x < y);
}

/*
 * One round of at most PG_NOTES_BATCH notes, inside a transaction, in four
 * statements whatever the batch: lock the customers (in key order, so that
 * two batches cannot deadlock) while reading who they are; read their last
 * entries, in a statement of its own for the reason given in pg_file_write;
 * chain in C; insert every entry at once.
 */
static int pg_file_notes_round(struct pg_store *q, const struct file_note *v, size_t n)
{
	struct pg_arr arr[9] = { 0 };
	struct pg_note_acct *accts = NULL;
	struct pg_note_chain *chains = NULL;
	unsigned char *blob = NULL;
	size_t blob_cap = 0, n_accts = 0, n_chains = 0;
	PGresult *who = NULL, *last = NULL, *ins = NULL;
	const char *params[9];
	int rc = STORE_OK;

	for (int k = 0; k < 9; k++)
		pg_arr_begin(&arr[k]);
	for (size_t i = 0; i < n; i++)
		pg_arr_int(&arr[0], v[i].account_key);
	if ((params[0] = pg_arr_end(&arr[0])) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	rc = pg_query(q, "SELECT a.account_key, c.customer_key, c.customer_id, a.account_id "
		      "FROM customers c JOIN accounts a ON a.customer_key = c.customer_key "
		      "WHERE a.account_key = ANY($1::bigint[]) ORDER BY c.customer_key "
		      "FOR NO KEY UPDATE OF c", 1, NULL, params, &who,
		      "appending to customer files");
	if (rc != STORE_OK)
		goto out;
	n_accts = (size_t)PQntuples(who);
	accts = calloc(n_accts + 1, sizeof(*accts));
	chains = calloc(n_accts + 1, sizeof(*chains));
	if (accts == NULL || chains == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	pg_arr_begin(&arr[1]);
	for (size_t i = 0; i < n_accts; i++) {
		accts[i].account_key = pg_i64(who, (int)i, 0);
		accts[i].customer_key = pg_i64(who, (int)i, 1);
		accts[i].customer_id = PQgetvalue(who, (int)i, 2);
		accts[i].account_id = PQgetvalue(who, (int)i, 3);
		if (i == 0 || accts[i].customer_key != accts[i - 1].customer_key)
			pg_arr_int(&arr[1], accts[i].customer_key);
	}
	qsort(accts, n_accts, sizeof(*accts), pg_cmp_note_acct);
	if ((params[0] = pg_arr_end(&arr[1])) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	rc = pg_query(q, "SELECT k, l.seq, l.hash FROM unnest($1::bigint[]) AS k "
		      "LEFT JOIN LATERAL (SELECT seq, hash FROM file_entries "
		      "WHERE customer_key = k ORDER BY seq DESC LIMIT 1) AS l ON true",
		      1, NULL, params, &last, "appending to customer files");
	if (rc != STORE_OK)
		goto out;
	for (int i = 0; i < PQntuples(last); i++) {
		struct pg_note_chain *c = &chains[n_chains++];

		c->customer_key = pg_i64(last, i, 0);
		if (PQgetisnull(last, i, 1)) {
			c->seq = 0;
			memcpy(c->hash, custfile_genesis, CUSTFILE_HASH_BYTES);
		} else if (pg_unhex(PQgetvalue(last, i, 2), &blob, &blob_cap) !=
			   CUSTFILE_HASH_BYTES) {
			rc = store_set_error(&q->base, STORE_ERR_DB, "%s: a customer file is "
					     "damaged: run `relance verify`", q->url);
			goto out;
		} else {
			c->seq = pg_i64(last, i, 1);
			memcpy(c->hash, blob, CUSTFILE_HASH_BYTES);
		}
	}
	qsort(chains, n_chains, sizeof(*chains), pg_cmp_note_chain);
	for (int k = 0; k < 9; k++)
		pg_arr_begin(&arr[k]);
	for (size_t i = 0; i < n; i++) {
		struct pg_note_acct key = { .account_key = v[i].account_key }, *a;
		struct pg_note_chain ckey, *c;
		struct custfile_entry e;
		unsigned char hash[CUSTFILE_HASH_BYTES];

		a = bsearch(&key, accts, n_accts, sizeof(*accts), pg_cmp_note_acct);
		if (a == NULL) {
			rc = store_set_error(&q->base, STORE_ERR_INPUT, "no account key %lld",
					     (long long)v[i].account_key);
			goto out;
		}
		ckey.customer_key = a->customer_key;
		c = bsearch(&ckey, chains, n_chains, sizeof(*chains), pg_cmp_note_chain);
		assert(c != NULL);   /* every locked customer was read back */
		e.customer_id = a->customer_id;
		e.seq = c->seq + 1;
		e.at = v[i].at;
		e.account_id = a->account_id;
		e.kind = v[i].kind ? v[i].kind : "";
		e.author = v[i].author ? v[i].author : "";
		e.body = v[i].body ? v[i].body : "";
		custfile_hash(&e, c->hash, hash);
		pg_arr_int(&arr[0], a->customer_key);
		pg_arr_int(&arr[1], e.seq);
		pg_arr_int(&arr[2], e.at);
		pg_arr_int(&arr[3], a->account_key);
		pg_arr_req(&arr[4], e.kind);
		pg_arr_req(&arr[5], e.author);
		pg_arr_req(&arr[6], e.body);
		pg_arr_bytea(&arr[7], c->hash, CUSTFILE_HASH_BYTES);
		pg_arr_bytea(&arr[8], hash, CUSTFILE_HASH_BYTES);
		c->seq = e.seq;
		memcpy(c->hash, hash, CUSTFILE_HASH_BYTES);
	}
	for (int k = 0; k < 9; k++)
		if ((params[k] = pg_arr_end(&arr[k])) == NULL) {
			rc = pg_nomem(q);
			goto out;
		}
	rc = pg_query(q, "INSERT INTO file_entries (customer_key, seq, at, account_key, kind, "
		      "author, body, prev_hash, hash) SELECT * FROM unnest($1::bigint[], "
		      "$2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], "
		      "$7::text[], $8::bytea[], $9::bytea[])", 9, NULL, params, &ins,
		      "appending to customer files");
out:
	PQclear(who);
	PQclear(last);
	PQclear(ins);
	free(accts);
	free(chains);
	free(blob);
	pg_arrs_free(arr, 9);
	return rc;
}

static int pg_file_notes(struct store *s, const struct file_note *v, size_t n)
{
	struct pg_store *q = pg(s);
	int own = PQtransactionStatus(q->conn) == PQTRANS_IDLE, rc = STORE_OK;

	if (own && (rc = pg_begin(s)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n && rc == STORE_OK; i += PG_NOTES_BATCH)
		rc = pg_file_notes_round(q, v + i, n - i < PG_NOTES_BATCH ? n - i : PG_NOTES_BATCH);
	if (own) {
		if (rc == STORE_OK)
			rc = pg_commit(s);
		else
			pg_rollback(s);   /* keeps the reason unless it fails too */
	}
	return rc;
}

#define PG_FILE_COLUMNS \
	"SELECT c.customer_id, f.seq, f.at, coalesce(a.account_id, ''), f.kind, f.author, " \
	"f.body, f.prev_hash, f.hash, f.customer_key "

/*
 * Pages of PG_PAGE entries, each starting after the last (customer_key,
 * seq) seen: the primary key serves every page, and callbacks may use the
 * connection since each page is read whole before they run.
 */
static int pg_file_scan(struct store *s, const char *customer_id, store_file_cb cb, void *ctx)
{
	static const char all[] = PG_FILE_COLUMNS
		"FROM file_entries f JOIN customers c ON c.customer_key = f.customer_key "
		"LEFT JOIN accounts a ON a.account_key = f.account_key "
		"WHERE (f.customer_key, f.seq) > ($1::bigint, $2::bigint) "
		"ORDER BY f.customer_key, f.seq LIMIT " PG_STR(PG_PAGE);
	static const char one[] = PG_FILE_COLUMNS
		"FROM customers c JOIN file_entries f ON f.customer_key = c.customer_key "
		"LEFT JOIN accounts a ON a.account_key = f.account_key "
		"WHERE c.customer_id = $1 AND f.seq > $2::bigint "
		"ORDER BY f.seq LIMIT " PG_STR(PG_PAGE);
	struct pg_store *q = pg(s);
	char after_key[24] = "-9223372036854775808", after_seq[24] = "-9223372036854775808";
	const char *params[2] = { after_key, after_seq };
	const char *one_params[2] = { customer_id, after_seq };
	unsigned char *prev = NULL, *hash = NULL;
	size_t prev_cap = 0, hash_cap = 0;
	PGresult *r = NULL;
	int rc = STORE_OK;

	for (;;) {
		int rows;

		if (customer_id != NULL)
			rc = pg_query(q, one, 2, NULL, one_params, &r, "reading the customer file");
		else
			rc = pg_query(q, all, 2, NULL, params, &r, "reading the customer file");
		if (rc != STORE_OK)
			goto out;
		rows = PQntuples(r);
		for (int i = 0; i < rows; i++) {
			long prev_len = pg_unhex(PQgetvalue(r, i, 7), &prev, &prev_cap);
			long hash_len = pg_unhex(PQgetvalue(r, i, 8), &hash, &hash_cap);
			struct file_entry_view v = {
				.customer_id = PQgetvalue(r, i, 0),
				.seq = pg_i64(r, i, 1),
				.at = pg_i64(r, i, 2),
				.account_id = PQgetvalue(r, i, 3),
				.kind = PQgetvalue(r, i, 4),
				.author = PQgetvalue(r, i, 5),
				.body = PQgetvalue(r, i, 6),
				/* Unreadable hashes go on as empty: they match nothing. */
				.prev_hash = prev_len > 0 ? prev : NULL,
				.prev_hash_len = prev_len > 0 ? (size_t)prev_len : 0,
				.hash = hash_len > 0 ? hash : NULL,
				.hash_len = hash_len > 0 ? (size_t)hash_len : 0,
			};

			if ((rc = cb(ctx, &v)) != 0)
				goto out;
		}
		if (rows < PG_PAGE)
			break;
		snprintf(after_key, sizeof(after_key), "%s", PQgetvalue(r, rows - 1, 9));
		snprintf(after_seq, sizeof(after_seq), "%s", PQgetvalue(r, rows - 1, 1));
		PQclear(r);
		r = NULL;
	}
out:
	PQclear(r);
	free(prev);
	free(hash);
	return rc;
}

/* ---- collection policies ---------------------------------------------------- */

/* The put proper, inside a transaction. */
static int pg_policy_write(struct pg_store *q, const char *source_name, const char *body,
			   int64_t loaded_at, int64_t *version)
{
	char at[24];
	const char *params[3] = { at, source_name ? source_name : "", body ? body : "" };
	PGresult *r = NULL;
	int rc;

	/*
	 * max + 1 under a table lock rather than the identity column: a
	 * sequence skips the numbers of rolled-back loads, and versions are
	 * meant to read 1, 2, 3. The mode conflicts with itself and with
	 * inserts but not with reads, so a second load waits here and its
	 * INSERT (a new snapshot under READ COMMITTED) sees the first's row.
	 */
	rc = pg_command(q, "LOCK TABLE policies IN SHARE ROW EXCLUSIVE MODE",
			"storing the policy");
	if (rc != STORE_OK)
		return rc;
	pg_fmt_i64(at, sizeof(at), loaded_at);
	rc = pg_query(q, "INSERT INTO policies (version, loaded_at, source, body) "
		      "SELECT coalesce(max(version), 0) + 1, $1::bigint, $2::text, $3::text "
		      "FROM policies RETURNING version", 3, NULL, params, &r,
		      "storing the policy");
	if (rc == STORE_OK)
		*version = pg_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

static int pg_policy_put(struct store *s, const char *source_name, const char *body,
			 int64_t loaded_at, int64_t *version)
{
	struct pg_store *q = pg(s);
	int own = PQtransactionStatus(q->conn) == PQTRANS_IDLE, rc;

	if (own && (rc = pg_begin(s)) != STORE_OK)
		return rc;
	rc = pg_policy_write(q, source_name, body, loaded_at, version);
	if (own) {
		if (rc == STORE_OK)
			rc = pg_commit(s);
		else
			pg_rollback(s);   /* keeps the reason unless it fails too */
	}
	return rc;
}

static int pg_policy_get(struct store *s, int64_t version, store_policy_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	char v[24];
	const char *param = v;
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(v, sizeof(v), version);
	if (version == 0)
		rc = pg_query(q, "SELECT version, loaded_at, source, body FROM policies "
			      "ORDER BY version DESC LIMIT 1", 0, NULL, NULL, &r,
			      "reading a policy");
	else
		rc = pg_query(q, "SELECT version, loaded_at, source, body FROM policies "
			      "WHERE version = $1::bigint", 1, NULL, &param, &r,
			      "reading a policy");
	if (rc != STORE_OK)
		goto out;
	if (PQntuples(r) == 0) {
		if (version == 0)
			rc = store_set_error(s, STORE_ERR_INPUT, "no policy loaded yet");
		else
			rc = store_set_error(s, STORE_ERR_INPUT, "no policy version %lld",
					     (long long)version);
		goto out;
	}
	{
		struct stored_policy p = {
			.version = pg_i64(r, 0, 0),
			.loaded_at = pg_i64(r, 0, 1),
			.source = PQgetvalue(r, 0, 2),
			.body = PQgetvalue(r, 0, 3),
			.body_len = (size_t)PQgetlength(r, 0, 3),
		};

		rc = cb(ctx, &p);
	}
out:
	PQclear(r);
	return rc;
}

/* Read whole before the callbacks run: a few rows, and the callbacks may
 * then use the connection. */
static int pg_policy_list(struct store *s, store_policy_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	PGresult *r = NULL;
	int rc;

	rc = pg_query(q, "SELECT version, loaded_at, source, octet_length(body) FROM policies "
		      "ORDER BY version", 0, NULL, NULL, &r, "listing policies");
	if (rc != STORE_OK)
		goto out;
	for (int i = 0; i < PQntuples(r); i++) {
		struct stored_policy p = {
			.version = pg_i64(r, i, 0),
			.loaded_at = pg_i64(r, i, 1),
			.source = PQgetvalue(r, i, 2),
			.body = NULL,
			.body_len = (size_t)pg_i64(r, i, 3),
		};

		if ((rc = cb(ctx, &p)) != 0)
			goto out;
	}
out:
	PQclear(r);
	return rc;
}

/* ---- cases ------------------------------------------------------------------ */

#define PG_CASE_COLUMNS \
	"SELECT account_key, stage, stage_since, coalesce(policy_version, 0), " \
	"coalesce(rule, ''), coalesce(next_check_at, 9223372036854775807), state FROM cases "

static void pg_case_view(const PGresult *r, int i, struct case_row *c)
{
	c->account_key = pg_i64(r, i, 0);
	c->stage = PQgetvalue(r, i, 1);
	c->stage_since = pg_i64(r, i, 2);
	c->policy_version = pg_i64(r, i, 3);
	c->rule = PQgetvalue(r, i, 4);
	c->next_check_at = pg_i64(r, i, 5);
	c->state = PQgetvalue(r, i, 6);
}

static int pg_case_get(struct store *s, int64_t account_key, store_case_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	char key[24];
	const char *param = key;
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(key, sizeof(key), account_key);
	rc = pg_query(q, PG_CASE_COLUMNS "WHERE account_key = $1::bigint", 1, NULL, &param,
		      &r, "reading a case");
	if (rc == STORE_OK && PQntuples(r) == 1) {
		struct case_row c;

		pg_case_view(r, 0, &c);
		rc = cb(ctx, &c);
	}
	PQclear(r);
	return rc;
}

/*
 * One statement for the batch. A key repeated in the batch keeps its last
 * row (the row-after-row rule): DISTINCT ON picks it, because ON CONFLICT
 * DO UPDATE may not touch one row twice in a statement.
 */
static int pg_cases_put(struct store *s, const struct case_row *rows, size_t n)
{
	static const char sql[] =
		"INSERT INTO cases (account_key, stage, stage_since, policy_version, rule, "
		"next_check_at, state) SELECT DISTINCT ON (k) k, st, ss, pv, ru, nc, sj FROM unnest("
		"$1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], "
		"$6::bigint[], $7::text[]) WITH ORDINALITY AS u(k, st, ss, pv, ru, nc, sj, ord) "
		"ORDER BY k, ord DESC ON CONFLICT (account_key) DO UPDATE SET "
		"stage = excluded.stage, stage_since = excluded.stage_since, "
		"policy_version = excluded.policy_version, rule = excluded.rule, "
		"next_check_at = excluded.next_check_at, state = excluded.state";
	struct pg_store *q = pg(s);
	struct pg_arr arr[7];
	const char *params[7];
	PGresult *r = NULL;
	int rc = STORE_OK;

	memset(arr, 0, sizeof(arr));
	if (n == 0)
		return STORE_OK;
	for (int j = 0; j < 7; j++)
		pg_arr_begin(&arr[j]);
	for (size_t i = 0; i < n; i++) {
		const struct case_row *c = &rows[i];

		pg_arr_int(&arr[0], c->account_key);
		pg_arr_req(&arr[1], c->stage);
		pg_arr_int(&arr[2], c->stage_since);
		if (c->policy_version != 0)
			pg_arr_int(&arr[3], c->policy_version);
		else
			pg_arr_null(&arr[3]);
		pg_arr_opt(&arr[4], c->rule);
		if (c->next_check_at != STORE_NEVER)
			pg_arr_int(&arr[5], c->next_check_at);
		else
			pg_arr_null(&arr[5]);
		pg_arr_req(&arr[6], c->state && c->state[0] ? c->state : "{}");
	}
	for (int j = 0; j < 7; j++) {
		if ((params[j] = pg_arr_end(&arr[j])) == NULL) {
			rc = pg_nomem(q);
			goto out;
		}
	}
	rc = pg_query(q, sql, 7, NULL, params, &r, "storing cases");
out:
	PQclear(r);
	pg_arrs_free(arr, 7);
	return rc;
}

/* The due accounts' ids, read whole first: callbacks write the cases. */
static int pg_accounts_due(struct store *s, int64_t now, int64_t policy_version,
			   store_id_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT a.account_id FROM accounts a "
		"LEFT JOIN cases k ON k.account_key = a.account_key "
		"WHERE k.account_key IS NULL OR k.policy_version IS DISTINCT FROM $2::bigint "
		"OR k.next_check_at <= $1::bigint ORDER BY a.account_id COLLATE \"C\"";
	struct pg_store *q = pg(s);
	char at[24], version[24];
	const char *params[2] = { at, version };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(at, sizeof(at), now);
	pg_fmt_i64(version, sizeof(version), policy_version);
	if ((rc = pg_query(q, sql, 2, NULL, params, &r, "listing due accounts")) != STORE_OK)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == STORE_OK; i++)
		rc = cb(ctx, PQgetvalue(r, i, 0));
	PQclear(r);
	return rc;
}

static int pg_cases_touch(struct store *s, const int64_t *keys, size_t n, int64_t at)
{
	static const char sql[] =
		"UPDATE cases SET next_check_at = $2::bigint "
		"WHERE account_key = ANY($1::bigint[]) "
		"AND (next_check_at IS NULL OR next_check_at > $2::bigint)";
	struct pg_store *q = pg(s);
	struct pg_arr arr;
	char when[24];
	const char *params[2];
	PGresult *r = NULL;
	int rc;

	if (n == 0)
		return STORE_OK;
	memset(&arr, 0, sizeof(arr));
	pg_arr_begin(&arr);
	for (size_t i = 0; i < n; i++)
		pg_arr_int(&arr, keys[i]);
	pg_fmt_i64(when, sizeof(when), at);
	if ((params[0] = pg_arr_end(&arr)) == NULL) {
		pg_arrs_free(&arr, 1);
		return pg_nomem(q);
	}
	params[1] = when;
	rc = pg_query(q, sql, 2, NULL, params, &r, "scheduling cases");
	PQclear(r);
	pg_arrs_free(&arr, 1);
	return rc;
}

/* Pages after the last key seen: callbacks may use the connection (to
 * rewrite the rows listed), since each page is read whole first. */
static int pg_cases_due(struct store *s, int64_t now, store_case_cb cb, void *ctx)
{
	static const char sql[] = PG_CASE_COLUMNS
		"WHERE account_key > $1::bigint AND next_check_at <= $2::bigint "
		"ORDER BY account_key LIMIT " PG_STR(PG_PAGE);
	struct pg_store *q = pg(s);
	char after[24] = "-9223372036854775808", at[24];
	const char *params[2] = { after, at };
	PGresult *r = NULL;
	int rc = STORE_OK;

	pg_fmt_i64(at, sizeof(at), now);
	for (;;) {
		int rows;

		if ((rc = pg_query(q, sql, 2, NULL, params, &r, "listing due cases")) != STORE_OK)
			goto out;
		rows = PQntuples(r);
		for (int i = 0; i < rows; i++) {
			struct case_row c;

			pg_case_view(r, i, &c);
			if ((rc = cb(ctx, &c)) != 0)
				goto out;
		}
		if (rows < PG_PAGE)
			break;
		snprintf(after, sizeof(after), "%s", PQgetvalue(r, rows - 1, 0));
		PQclear(r);
		r = NULL;
	}
out:
	PQclear(r);
	return rc;
}

/* ---- the outbox ------------------------------------------------------------- */

/*
 * One statement for the batch; RETURNING names the keys that went in.
 * A key repeated in the batch is inserted once, from its first row (DO
 * NOTHING skips the later ones), so that first row is the NEW one.
 */
static int pg_outbox_put(struct store *s, const struct outbox_row *rows, size_t n,
			 struct store_outcome *out)
{
	static const char sql[] =
		"INSERT INTO outbox (idempotency_key, account_key, channel, action, due_at, "
		"payload, policy_version, rule, created_at) SELECT * FROM unnest("
		"$1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], "
		"$7::bigint[], $8::text[], $9::bigint[]) "
		"ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key";
	struct pg_store *q = pg(s);
	struct pg_arr arr[9];
	const char *params[9];
	struct pg_map map;
	size_t *first = NULL;
	PGresult *r = NULL;
	int rc = STORE_OK;

	memset(arr, 0, sizeof(arr));
	if (n == 0)
		return STORE_OK;
	if (pg_map_init(&map, n) != 0 || (first = malloc(n * sizeof(*first))) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	for (int j = 0; j < 9; j++)
		pg_arr_begin(&arr[j]);
	for (size_t i = 0; i < n; i++) {
		const struct outbox_row *o = &rows[i];
		size_t seen = map.n, d = pg_map_add(&map, o->idempotency_key);

		if (map.n > seen)
			first[d] = i;
		out[i].put = STORE_PUT_SAME;
		out[i].line = 0;
		out[i].what = NULL;
		pg_arr_req(&arr[0], o->idempotency_key);
		pg_arr_int(&arr[1], o->account_key);
		pg_arr_req(&arr[2], o->channel);
		pg_arr_req(&arr[3], o->action);
		pg_arr_int(&arr[4], o->due_at);
		pg_arr_req(&arr[5], o->payload ? o->payload : "{}");
		if (o->policy_version != 0)
			pg_arr_int(&arr[6], o->policy_version);
		else
			pg_arr_null(&arr[6]);
		pg_arr_opt(&arr[7], o->rule);
		pg_arr_int(&arr[8], o->created_at);
	}
	for (int j = 0; j < 9; j++) {
		if ((params[j] = pg_arr_end(&arr[j])) == NULL) {
			rc = pg_nomem(q);
			goto out;
		}
	}
	if ((rc = pg_query(q, sql, 9, NULL, params, &r, "queueing actions")) != STORE_OK)
		goto out;
	for (int i = 0; i < PQntuples(r); i++) {
		long d = pg_map_find(&map, PQgetvalue(r, i, 0));

		if (d >= 0)
			out[first[d]].put = STORE_PUT_NEW;
	}
out:
	PQclear(r);
	pg_arrs_free(arr, 9);
	pg_map_free(&map);
	free(first);
	return rc;
}

static void pg_outbox_view(const PGresult *r, int i, struct outbox_view *v)
{
	v->outbox_id = pg_i64(r, i, 0);
	v->idempotency_key = PQgetvalue(r, i, 1);
	v->account_key = pg_i64(r, i, 2);
	v->channel = PQgetvalue(r, i, 3);
	v->action = PQgetvalue(r, i, 4);
	v->due_at = pg_i64(r, i, 5);
	v->payload = PQgetvalue(r, i, 6);
	v->policy_version = pg_i64(r, i, 7);
	v->rule = PQgetvalue(r, i, 8);
	v->state = PQgetvalue(r, i, 9);
	v->lease_owner = PQgetvalue(r, i, 10);
	v->lease_until = pg_i64(r, i, 11);
	v->attempts = pg_i64(r, i, 12);
	v->created_at = pg_i64(r, i, 13);
	v->done_at = pg_i64(r, i, 14);
	v->outcome = PQgetvalue(r, i, 15);
}

/*
 * One statement, committed on its own before any callback. The inner
 * SELECT locks the rows it picks and skips rows another claimer has locked,
 * so concurrent claimers take disjoint sets without waiting for each other;
 * a row another claimer took and committed in between fails the re-check
 * of the WHERE clause on its new version and is left out.
 */
static int pg_outbox_claim(struct store *s, const char *worker, int64_t now,
			   int64_t lease_until, size_t max, store_outbox_cb cb, void *ctx)
{
	static const char sql[] =
		"WITH c AS (UPDATE outbox SET state = CASE state WHEN 'sending' THEN 'sending' "
		"ELSE 'claimed' END, lease_owner = $1, "
		"lease_until = $3::bigint, attempts = attempts + 1 "
		"WHERE outbox_id IN (SELECT outbox_id FROM outbox "
		"WHERE (state = 'pending' AND due_at <= $2::bigint) "
		"OR (state = 'claimed' AND lease_until < $2::bigint) "
		"OR (state = 'sending' AND lease_until < $2::bigint) "
		"ORDER BY due_at, outbox_id LIMIT $4::bigint FOR UPDATE SKIP LOCKED) "
		"RETURNING " STORE_OUTBOX_COLUMNS ") SELECT * FROM c ORDER BY due_at, outbox_id";
	struct pg_store *q = pg(s);
	char at[24], until[24], lim[24];
	const char *params[4] = { worker, at, until, lim };
	PGresult *r = NULL;
	int rc;

	if (PQtransactionStatus(q->conn) != PQTRANS_IDLE)
		return store_set_error(s, STORE_ERR_INPUT, "%s: claiming the outbox: a "
				       "transaction is open", q->url);
	pg_fmt_i64(at, sizeof(at), now);
	pg_fmt_i64(until, sizeof(until), lease_until);
	pg_fmt_i64(lim, sizeof(lim), max > INT64_MAX ? INT64_MAX : (int64_t)max);
	if ((rc = pg_query(q, sql, 4, NULL, params, &r, "claiming the outbox")) != STORE_OK)
		goto out;
	for (int i = 0; i < PQntuples(r); i++) {
		struct outbox_view v;

		pg_outbox_view(r, i, &v);
		if ((rc = cb(ctx, &v)) != 0)
			goto out;
	}
out:
	PQclear(r);
	return rc;
}

static int pg_outbox_finish(struct store *s, int64_t outbox_id, const char *worker,
			    const char *state, const char *outcome, int64_t at, int64_t due_at)
{
	static const char sql[] = STORE_OUTBOX_FINISH("$1::bigint", "$2::text", "$3::text",
						      "$4::bigint", "$5::text", "$6::bigint");
	struct pg_store *q = pg(s);
	char id[24], when[24], due[24];
	const char *params[6] = { id, worker, state, when, outcome, due };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(id, sizeof(id), outbox_id);
	pg_fmt_i64(when, sizeof(when), at);
	pg_fmt_i64(due, sizeof(due), due_at);
	if ((rc = pg_query(q, sql, 6, NULL, params, &r, "finishing an action")) != STORE_OK)
		goto out;
	if (strcmp(PQcmdTuples(r), "0") == 0)
		rc = store_set_error(s, STORE_ERR_INPUT, "outbox row %lld: lease lost: not "
				     "claimed by %s any more", (long long)outbox_id, worker);
out:
	PQclear(r);
	return rc;
}

static int pg_outbox_sending(struct store *s, const int64_t *ids, size_t n, const char *worker)
{
	/* One statement for the batch: every id must change, or one lost its
	 * lease. */
	static const char sql[] =
		"WITH u AS (UPDATE outbox SET state = 'sending' FROM unnest($1::bigint[]) AS i "
		"WHERE outbox_id = i AND state = 'claimed' AND lease_owner = $2::text "
		"RETURNING 1) SELECT count(*) FROM u";
	struct pg_store *q = pg(s);
	struct pg_arr arr = { 0 };
	const char *params[2];
	PGresult *r = NULL;
	int rc;

	pg_arr_begin(&arr);
	for (size_t i = 0; i < n; i++)
		pg_arr_int(&arr, ids[i]);
	if ((params[0] = pg_arr_end(&arr)) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	params[1] = worker;
	if ((rc = pg_query(q, sql, 2, NULL, params, &r, "marking actions as sending")) != STORE_OK)
		goto out;
	if (pg_i64(r, 0, 0) != (int64_t)n)
		rc = store_set_error(s, STORE_ERR_INPUT, "outbox: lease lost: %lld of %zu rows not "
				     "claimed by %s any more", (long long)((int64_t)n - pg_i64(r, 0, 0)),
				     n, worker);
out:
	PQclear(r);
	pg_arrs_free(&arr, 1);
	return rc;
}

static int pg_outbox_peer_ids(struct store *s, int64_t outbox_id, const char *channel,
			      const char *peer_ids)
{
	struct pg_store *q = pg(s);
	char id[24];
	const char *params[3] = { channel, peer_ids, id };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(id, sizeof(id), outbox_id);
	rc = pg_query(q, "INSERT INTO outbox_peer_ids (channel, peer_id, outbox_id) "
		      "SELECT $1, p, $3::bigint FROM regexp_split_to_table($2, ' ') AS p "
		      "WHERE p <> '' ON CONFLICT DO NOTHING", 3, NULL, params, &r,
		      "recording a peer's message id");
	PQclear(r);
	return rc;
}

static int pg_outbox_by_peer_id(struct store *s, const char *channel, const char *peer_id,
				store_outbox_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	const char *params[2] = { channel, peer_id };
	struct outbox_view v;
	PGresult *r = NULL;
	int rc;

	rc = pg_query(q, "SELECT " STORE_OUTBOX_COLUMNS " FROM outbox WHERE outbox_id = "
		      "(SELECT outbox_id FROM outbox_peer_ids WHERE channel = $1 AND peer_id = $2)",
		      2, NULL, params, &r, "finding a message by its peer id");
	if (rc == STORE_OK && PQntuples(r) == 1) {
		pg_outbox_view(r, 0, &v);
		rc = cb(ctx, &v);
	}
	PQclear(r);
	return rc;
}

static int pg_contact_failure(struct store *s, const char *customer_id, const char *kind,
			      const char *value, int64_t at, int threshold, int *flagged_now)
{
	struct pg_store *q = pg(s);
	char when[24], limit[24];
	const char *params[5] = { customer_id, kind, value, when, limit };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(when, sizeof(when), at);
	pg_fmt_i64(limit, sizeof(limit), threshold);
	rc = pg_query(q, "INSERT INTO contact_failures AS f (customer_key, kind, value, failures, "
		      "last_at, flagged_at) SELECT customer_key, $2, $3, 1, $4::bigint, "
		      "CASE WHEN $5::bigint <= 1 THEN $4::bigint END FROM customers "
		      "WHERE customer_id = $1 ON CONFLICT (customer_key, kind, value) DO UPDATE SET "
		      "failures = f.failures + 1, last_at = excluded.last_at, "
		      "flagged_at = coalesce(f.flagged_at, CASE WHEN f.failures + 1 >= $5::bigint "
		      "THEN $4::bigint END) RETURNING f.flagged_at = $4::bigint AND "
		      "(f.failures = $5::bigint OR ($5::bigint <= 1 AND f.failures = 1))",
		      5, NULL, params, &r, "counting a contact's failures");
	if (rc != STORE_OK)
		goto out;
	if (PQntuples(r) == 0)
		rc = store_set_error(s, STORE_ERR_INPUT, "no customer %s", customer_id);
	else
		*flagged_now = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
out:
	PQclear(r);
	return rc;
}

static int pg_voice_call_add(struct store *s, const struct store_voice_call *c)
{
	struct pg_store *q = pg(s);
	char id[24], at[24], share[24];
	const char *params[5] = { id, at, c->outcome, share, c->requeued ? "true" : "false" };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(id, sizeof(id), c->outbox_id);
	pg_fmt_i64(at, sizeof(at), c->ended_at);
	pg_fmt_i64(share, sizeof(share), c->share);
	rc = pg_query(q, "INSERT INTO voice_calls (outbox_id, account_key, ended_at, outcome, share, "
		      "requeued) SELECT outbox_id, account_key, $2::bigint, $3, $4::integer, "
		      "$5::boolean FROM outbox WHERE outbox_id = $1::bigint", 5, NULL, params, &r,
		      "recording a call");
	if (rc == STORE_OK && strcmp(PQcmdTuples(r), "0") == 0)
		rc = store_set_error(s, STORE_ERR_INPUT, "no outbox row %lld", (long long)c->outbox_id);
	PQclear(r);
	return rc;
}

/* A voice call as struct store_voice_call reads it (pg_voice_calls). */
#define PG_VOICE_CALL_COLUMNS \
	"v.outbox_id, a.account_id, a.currency, v.ended_at, v.outcome, v.share, v.requeued " \
	"FROM voice_calls v JOIN accounts a ON a.account_key = v.account_key"

static int pg_voice_calls(struct pg_store *q, const char *sql, int64_t arg, const char *what,
			  store_voice_call_cb cb, void *ctx)
{
	char text[24];
	const char *params[1] = { text };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(text, sizeof(text), arg);
	rc = pg_query(q, sql, 1, NULL, params, &r, what);
	for (int i = 0; rc == STORE_OK && i < PQntuples(r); i++) {
		struct store_voice_call c = { pg_i64(r, i, 0), PQgetvalue(r, i, 1),
					      PQgetvalue(r, i, 2), pg_i64(r, i, 3),
					      PQgetvalue(r, i, 4), (int)pg_i64(r, i, 5),
					      strcmp(PQgetvalue(r, i, 6), "t") == 0 };

		rc = cb(ctx, &c);
	}
	PQclear(r);
	return rc;
}

static int pg_voice_calls_of(struct store *s, int64_t outbox_id, store_voice_call_cb cb,
			     void *ctx)
{
	return pg_voice_calls(pg(s), "SELECT " PG_VOICE_CALL_COLUMNS " WHERE v.outbox_id = "
			      "$1::bigint ORDER BY v.call_id", outbox_id, "reading a row's calls",
			      cb, ctx);
}

static int pg_voice_report_scan(struct store *s, int64_t from, store_voice_call_cb calls,
				store_voice_payment_cb payments, void *ctx)
{
	struct pg_store *q = pg(s);
	char text[24];
	const char *params[1] = { text };
	PGresult *r = NULL;
	int rc = pg_voice_calls(q, "SELECT " PG_VOICE_CALL_COLUMNS " WHERE v.ended_at >= "
				"$1::bigint ORDER BY v.ended_at, v.call_id", from,
				"reading the calls", calls, ctx);

	if (rc != STORE_OK)
		return rc;
	pg_fmt_i64(text, sizeof(text), from);
	rc = pg_query(q, "SELECT a.account_id, a.currency, p.received_at, p.amount FROM payments p "
		      "JOIN accounts a ON a.account_key = p.account_key WHERE p.received_at >= "
		      "$1::bigint AND p.account_key IN (SELECT account_key FROM voice_calls "
		      "WHERE ended_at >= $1::bigint) ORDER BY p.received_at, p.payment_id COLLATE \"C\"",
		      1, NULL, params, &r, "reading the payments after calls");
	for (int i = 0; rc == STORE_OK && i < PQntuples(r); i++) {
		struct store_voice_payment p = { PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
						 pg_i64(r, i, 2), pg_i64(r, i, 3) };

		rc = payments(ctx, &p);
	}
	PQclear(r);
	return rc;
}

/* ---- provisioning state ------------------------------------------------------ */

/* A service's provisioning state as struct store_service_state reads it
 * (pg_service_states), state st of service v. */
#define PG_SERVICE_STATE_COLUMNS \
	"v.service_id, a.account_id, c.customer_id, v.kind, v.identifier, v.adapter, " \
	"st.desired, st.desired_at, st.desired_key, coalesce(st.confirmed, ''), " \
	"coalesce(st.confirmed_at, 0), st.attempts, st.last_error, coalesce(st.alerted_at, 0) " \
	"FROM service_states st JOIN services v ON v.service_key = st.service_key " \
	"JOIN accounts a ON a.account_key = v.account_key " \
	"JOIN customers c ON c.customer_key = a.customer_key"
/* In drift and not alerted: the WHERE of the partial index service_states_drift. */
#define PG_SERVICE_STATE_DRIFT \
	"st.alerted_at IS NULL AND (st.confirmed IS NULL OR st.confirmed <> st.desired)"

static int pg_service_desire(struct store *s, const char *service_id, const char *level,
			     int64_t at, const char *key)
{
	struct pg_store *q = pg(s);
	char when[24];
	const char *params[4] = { service_id, level, when, key };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(when, sizeof(when), at);
	rc = pg_query(q, "INSERT INTO service_states (service_key, desired, desired_at, desired_key) "
		      "SELECT service_key, $2, $3::bigint, $4 FROM services WHERE service_id = $1 "
		      "ON CONFLICT (service_key) DO UPDATE SET desired = excluded.desired, "
		      "desired_at = excluded.desired_at, desired_key = excluded.desired_key, "
		      "attempts = 0, last_error = '', alerted_at = NULL", 4, NULL, params, &r,
		      "setting a service's desired level");
	if (rc == STORE_OK && strcmp(PQcmdTuples(r), "0") == 0)
		rc = store_set_error(s, STORE_ERR_INPUT, "no service %s", service_id);
	PQclear(r);
	return rc;
}

static int pg_service_confirm(struct store *s, const char *service_id, const char *level,
			      int64_t at)
{
	struct pg_store *q = pg(s);
	char when[24];
	const char *params[3] = { service_id, level, when };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(when, sizeof(when), at);
	rc = pg_query(q, "INSERT INTO service_states (service_key, desired, desired_at, desired_key, "
		      "confirmed, confirmed_at) SELECT service_key, $2, $3::bigint, '', $2, $3::bigint "
		      "FROM services WHERE service_id = $1 ON CONFLICT (service_key) DO UPDATE SET "
		      "confirmed = excluded.confirmed, confirmed_at = excluded.confirmed_at, "
		      "last_error = ''", 3, NULL, params, &r,
		      "recording a service's confirmed level");
	if (rc == STORE_OK && strcmp(PQcmdTuples(r), "0") == 0)
		rc = store_set_error(s, STORE_ERR_INPUT, "no service %s", service_id);
	PQclear(r);
	return rc;
}

static int pg_service_attempt(struct store *s, const char *service_id, const char *error,
			      int64_t at, int alert, int *attempts)
{
	struct pg_store *q = pg(s);
	char when[24];
	const char *params[4] = { service_id, error, when, alert ? "true" : "false" };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(when, sizeof(when), at);
	rc = pg_query(q, "UPDATE service_states SET attempts = attempts + 1, last_error = $2, "
		      "alerted_at = CASE WHEN $4::boolean THEN $3::bigint ELSE alerted_at END "
		      "WHERE service_key = (SELECT service_key FROM services WHERE service_id = $1) "
		      "RETURNING attempts", 4, NULL, params, &r, "counting a provisioning attempt");
	if (rc == STORE_OK && PQntuples(r) == 0)
		rc = store_set_error(s, STORE_ERR_INPUT, "no provisioning state for service %s",
				     service_id);
	else if (rc == STORE_OK)
		*attempts = (int)pg_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

/* Runs sql (PG_SERVICE_STATE_COLUMNS; $1 the service id when given) and
 * calls cb for each row: the result is whole in memory, so cb may use the
 * store. */
static int pg_service_states(struct pg_store *q, const char *sql, const char *service_id,
			     const char *what, store_service_state_cb cb, void *ctx)
{
	const char *params[1] = { service_id };
	PGresult *r = NULL;
	int rc;

	rc = pg_query(q, sql, service_id ? 1 : 0, NULL, service_id ? params : NULL, &r, what);
	for (int i = 0; rc == STORE_OK && i < PQntuples(r); i++) {
		struct store_service_state v = {
			.service_id = PQgetvalue(r, i, 0),
			.account_id = PQgetvalue(r, i, 1),
			.customer_id = PQgetvalue(r, i, 2),
			.kind = PQgetvalue(r, i, 3),
			.identifier = PQgetvalue(r, i, 4),
			.adapter = PQgetvalue(r, i, 5),
			.desired = PQgetvalue(r, i, 6),
			.desired_at = pg_i64(r, i, 7),
			.desired_key = PQgetvalue(r, i, 8),
			.confirmed = PQgetvalue(r, i, 9),
			.confirmed_at = pg_i64(r, i, 10),
			.attempts = (int)pg_i64(r, i, 11),
			.last_error = PQgetvalue(r, i, 12),
			.alerted_at = pg_i64(r, i, 13),
		};

		rc = cb(ctx, &v);
	}
	PQclear(r);
	return rc;
}

static int pg_service_state_get(struct store *s, const char *service_id,
				store_service_state_cb cb, void *ctx)
{
	return pg_service_states(pg(s), "SELECT " PG_SERVICE_STATE_COLUMNS " WHERE v.service_id = $1",
				 service_id, "reading a service's provisioning state", cb, ctx);
}

static int pg_service_states_scan(struct store *s, int all, store_service_state_cb cb, void *ctx)
{
	return pg_service_states(pg(s), all ?
				 "SELECT " PG_SERVICE_STATE_COLUMNS
				 " ORDER BY st.desired_at, v.service_id" :
				 "SELECT " PG_SERVICE_STATE_COLUMNS " WHERE " PG_SERVICE_STATE_DRIFT
				 " ORDER BY st.desired_at, v.service_id",
				 NULL, "reading the services' provisioning states", cb, ctx);
}

static int pg_service_state_counts(struct store *s, int64_t *total, int64_t *drift,
				   int64_t *alerted)
{
	struct pg_store *q = pg(s);
	PGresult *r = NULL;
	int rc;

	rc = pg_query(q, "SELECT (SELECT count(*) FROM service_states), "
		      "(SELECT count(*) FROM service_states st WHERE " PG_SERVICE_STATE_DRIFT "), "
		      "(SELECT count(*) FROM service_states WHERE alerted_at IS NOT NULL)",
		      0, NULL, NULL, &r, "counting the services' provisioning states");
	if (rc == STORE_OK) {
		*total = pg_i64(r, 0, 0);
		*drift = pg_i64(r, 0, 1);
		*alerted = pg_i64(r, 0, 2);
	}
	PQclear(r);
	return rc;
}

static int pg_outbox_depth(struct store *s, int64_t now, store_outbox_depth_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	char at[24];
	const char *params[1] = { at };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(at, sizeof(at), now);
	rc = pg_query(q, "SELECT channel, count(*), min(due_at) FROM outbox "
		      "WHERE state = 'pending' AND due_at <= $1::bigint GROUP BY channel "
		      "ORDER BY channel COLLATE \"C\"", 1, NULL, params, &r,
		      "reading the outbox's depth");
	for (int i = 0; rc == STORE_OK && i < PQntuples(r); i++) {
		struct outbox_depth_row row = { PQgetvalue(r, i, 0), pg_i64(r, i, 1), pg_i64(r, i, 2) };

		rc = cb(ctx, &row);
	}
	PQclear(r);
	return rc;
}

/* ---- serve state ------------------------------------------------------------- */

/* Runs a write of the serve state; *changed (may be NULL) gets the rows it changed. */
static int pg_state_write(struct pg_store *q, const char *sql, int n, const char *const *params,
		    const char *what, int *changed)
{
	PGresult *r = NULL;
	int rc = pg_query(q, sql, n, NULL, params, &r, what);

	if (rc == STORE_OK && changed != NULL)
		*changed = (int)strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return rc;
}

static int pg_session_put(struct store *s, const char *hash, const struct store_session *x)
{
	struct pg_store *q = pg(s);
	char created[24], expires[24];
	const char *params[8] = { hash, x->csrf, x->user, x->role, x->scopes, x->customer_id,
				  created, expires };
	PGresult *r;
	int rc = STORE_OK;

	pg_fmt_i64(created, sizeof(created), x->created_at);
	pg_fmt_i64(expires, sizeof(expires), x->expires_at);
	r = PQexecParams(q->conn, "INSERT INTO serve_sessions (hash, csrf, user_name, role, scopes, "
			 "customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, "
			 "$7::bigint, $8::bigint)", 8, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		rc = pg_fail(q, r, "opening a session");
		if (state != NULL && strcmp(state, "23505") == 0)
			rc = store_set_error(s, STORE_ERR_CONFLICT, "%s: opening a session: the "
					     "hash is taken", q->url);
	}
	PQclear(r);
	return rc;
}

static int pg_session_get(struct store *s, const char *hash, int64_t now, store_session_cb cb,
			  void *ctx)
{
	struct pg_store *q = pg(s);
	char when[24];
	const char *params[2] = { hash, when };
	struct store_session x;
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(when, sizeof(when), now);
	rc = pg_query(q, "SELECT csrf, user_name, role, scopes, customer_id, created_at, expires_at "
		      "FROM serve_sessions WHERE hash = $1 AND expires_at > $2::bigint", 2, NULL,
		      params, &r, "reading a session");
	if (rc == STORE_OK && PQntuples(r) == 1) {
		x.csrf = PQgetvalue(r, 0, 0);
		x.user = PQgetvalue(r, 0, 1);
		x.role = PQgetvalue(r, 0, 2);
		x.scopes = PQgetvalue(r, 0, 3);
		x.customer_id = PQgetvalue(r, 0, 4);
		x.created_at = pg_i64(r, 0, 5);
		x.expires_at = pg_i64(r, 0, 6);
		rc = cb(ctx, &x);
	}
	PQclear(r);
	return rc;
}

static int pg_session_delete(struct store *s, const char *hash)
{
	const char *params[1] = { hash };

	return pg_state_write(pg(s), "DELETE FROM serve_sessions WHERE hash = $1", 1, params,
			"ending a session", NULL);
}

static int pg_attempt_get(struct store *s, const char *name, int64_t now, int window,
			  int *failures, int64_t *since)
{
	struct pg_store *q = pg(s);
	char when[24];
	const char *params[2] = { name, when };
	PGresult *r = NULL;
	int rc;

	(void)window;
	pg_fmt_i64(when, sizeof(when), now);
	rc = pg_query(q, "SELECT failures, since FROM serve_attempts WHERE name = $1 AND "
		      "expires_at > $2::bigint", 2, NULL, params, &r, "reading failed sign-ins");
	if (rc == STORE_OK && PQntuples(r) == 1) {
		*failures = (int)pg_i64(r, 0, 0);
		*since = pg_i64(r, 0, 1);
	}
	PQclear(r);
	return rc;
}

static int pg_attempt_failed(struct store *s, const char *name, int64_t now, int window)
{
	char when[24], win[24];
	const char *params[3] = { name, when, win };

	pg_fmt_i64(when, sizeof(when), now);
	pg_fmt_i64(win, sizeof(win), window);
	/* A window that ended starts again at this failure. */
	return pg_state_write(pg(s), "INSERT INTO serve_attempts AS t (name, failures, since, expires_at) "
			"VALUES ($1, 1, $2::bigint, $2::bigint + $3::bigint) ON CONFLICT (name) DO "
			"UPDATE SET failures = CASE WHEN t.expires_at <= $2::bigint THEN 1 "
			"ELSE t.failures + 1 END, "
			"since = CASE WHEN t.expires_at <= $2::bigint THEN $2::bigint ELSE t.since END, "
			"expires_at = CASE WHEN t.expires_at <= $2::bigint "
			"THEN $2::bigint + $3::bigint ELSE t.expires_at END", 3, params,
			"counting a failed sign-in", NULL);
}

static int pg_attempt_clear(struct store *s, const char *name)
{
	const char *params[1] = { name };

	return pg_state_write(pg(s), "DELETE FROM serve_attempts WHERE name = $1", 1, params,
			"clearing failed sign-ins", NULL);
}

static int pg_code_put(struct store *s, const char *user, const char *salt, const char *hash,
		       int64_t now, int64_t expires_at, int resend, int *issued)
{
	char when[24], until[24], again[24];
	const char *params[6] = { user, salt, hash, when, until, again };

	pg_fmt_i64(when, sizeof(when), now);
	pg_fmt_i64(until, sizeof(until), expires_at);
	pg_fmt_i64(again, sizeof(again), resend);
	/* No row changed: the live code is younger than the resend delay. */
	return pg_state_write(pg(s), "INSERT INTO serve_codes AS c (user_name, salt, hash, issued_at, "
			"expires_at) VALUES ($1, $2, $3, $4::bigint, $5::bigint) "
			"ON CONFLICT (user_name) DO UPDATE SET salt = excluded.salt, "
			"hash = excluded.hash, issued_at = excluded.issued_at, "
			"expires_at = excluded.expires_at WHERE c.expires_at <= $4::bigint OR "
			"c.issued_at <= $4::bigint - $6::bigint", 6, params,
			"storing a one-time code", issued);
}

static int pg_code_get(struct store *s, const char *user, int64_t now, char *salt, char *hash,
		       int *found)
{
	struct pg_store *q = pg(s);
	char when[24];
	const char *params[2] = { user, when };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(when, sizeof(when), now);
	rc = pg_query(q, "SELECT salt, hash FROM serve_codes WHERE user_name = $1 AND "
		      "expires_at > $2::bigint", 2, NULL, params, &r, "reading a one-time code");
	if (rc == STORE_OK && PQntuples(r) == 1) {
		snprintf(salt, STORE_HASH_HEX, "%s", PQgetvalue(r, 0, 0));
		snprintf(hash, STORE_HASH_HEX, "%s", PQgetvalue(r, 0, 1));
		*found = 1;
	}
	PQclear(r);
	return rc;
}

static int pg_code_take(struct store *s, const char *user, const char *hash, int64_t now,
			int *taken)
{
	char when[24];
	const char *params[3] = { user, hash, when };

	pg_fmt_i64(when, sizeof(when), now);
	/* One row changed: this caller used the code up. */
	return pg_state_write(pg(s), "DELETE FROM serve_codes WHERE user_name = $1 AND hash = $2 AND "
			"expires_at > $3::bigint", 3, params, "using a one-time code", taken);
}

static int pg_idem_begin(struct store *s, const char *caller, const char *key,
			 const char *fingerprint, int64_t now, int64_t expired, int64_t stale,
			 int *verdict, store_idem_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	char when[24], old[24], dead[24];
	const char *params[4] = { caller, key, old, dead };
	struct store_idem_answer a;
	PGresult *r = NULL;
	unsigned char *body = NULL;
	size_t len = 0;
	int rc, taken = 0;

	pg_fmt_i64(when, sizeof(when), now);
	pg_fmt_i64(old, sizeof(old), expired);
	pg_fmt_i64(dead, sizeof(dead), stale);
	rc = pg_state_write(q, "DELETE FROM serve_idempotency WHERE caller = $1 AND idem_key = $2 AND "
		      "(created_at <= $3::bigint OR (state = 'busy' AND created_at <= $4::bigint))",
		      4, params, "forgetting an expired idempotency key", NULL);
	if (rc != STORE_OK)
		return rc;
	params[2] = fingerprint;
	params[3] = when;
	/* One row inserted: this caller took the key. */
	rc = pg_state_write(q, "INSERT INTO serve_idempotency (caller, idem_key, fingerprint, state, "
		      "created_at) VALUES ($1, $2, $3, 'busy', $4::bigint) ON CONFLICT DO NOTHING",
		      4, params, "taking an idempotency key", &taken);
	if (rc != STORE_OK)
		return rc;
	if (taken) {
		*verdict = STORE_IDEM_FIRST;
		return STORE_OK;
	}
	rc = pg_query(q, "SELECT fingerprint, state, status, content_type, location, body "
		      "FROM serve_idempotency WHERE caller = $1 AND idem_key = $2", 2, NULL, params,
		      &r, "reading an idempotency key");
	if (rc != STORE_OK)
		return rc;
	if (PQntuples(r) == 0) {
		*verdict = STORE_IDEM_BUSY;   /* ended meanwhile: the client retries */
	} else if (strcmp(PQgetvalue(r, 0, 0), fingerprint) != 0) {
		*verdict = STORE_IDEM_MISMATCH;
	} else if (strcmp(PQgetvalue(r, 0, 1), "done") != 0) {
		*verdict = STORE_IDEM_BUSY;
	} else {
		if (!PQgetisnull(r, 0, 5) &&
		    (body = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 5), &len)) == NULL) {
			PQclear(r);
			return pg_nomem(q);
		}
		a.status = (int)pg_i64(r, 0, 2);
		a.content_type = PQgetvalue(r, 0, 3);
		a.location = PQgetvalue(r, 0, 4);
		a.body = body ? (const char *)body : "";
		a.len = body ? len : 0;
		*verdict = STORE_IDEM_REPLAY;
		rc = cb(ctx, &a);
		PQfreemem(body);
	}
	PQclear(r);
	return rc;
}

static int pg_idem_end(struct store *s, const char *caller, const char *key,
		       const char *fingerprint, const struct store_idem_answer *a)
{
	struct pg_store *q = pg(s);
	char status[24];
	const char *params[7] = { caller, key, fingerprint, status, NULL, NULL, NULL };
	int lengths[7] = { 0 }, formats[7] = { 0 };
	PGresult *r;
	int rc = STORE_OK;

	if (a == NULL)
		return pg_state_write(q, "DELETE FROM serve_idempotency WHERE caller = $1 AND "
				"idem_key = $2 AND fingerprint = $3 AND state = 'busy'", 3, params,
				"forgetting an idempotency key", NULL);
	pg_fmt_i64(status, sizeof(status), a->status);
	params[4] = a->content_type;
	params[5] = a->location;
	/* The body as bytes (it may hold anything), the rest as text. */
	params[6] = a->len ? a->body : "";
	lengths[6] = (int)a->len;
	formats[6] = 1;
	r = PQexecParams(q->conn, "UPDATE serve_idempotency SET state = 'done', "
			 "status = $4::integer, content_type = $5, location = $6, body = $7::bytea "
			 "WHERE caller = $1 AND idem_key = $2 AND fingerprint = $3 AND "
			 "state = 'busy'", 7, NULL, params, lengths, formats, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(q, r, "storing an idempotent answer");
	PQclear(r);
	return rc;
}

static int pg_serve_sweep(struct store *s, int64_t now, int64_t idem_expired)
{
	static const char *const sql[4] = {
		"DELETE FROM serve_sessions WHERE expires_at <= $1::bigint",
		"DELETE FROM serve_attempts WHERE expires_at <= $1::bigint",
		"DELETE FROM serve_codes WHERE expires_at <= $1::bigint",
		"DELETE FROM serve_idempotency WHERE created_at <= $1::bigint",
	};
	char when[24];
	const char *params[1] = { when };
	int rc = STORE_OK;

	for (int i = 0; i < 4 && rc == STORE_OK; i++) {
		pg_fmt_i64(when, sizeof(when), i == 3 ? idem_expired : now);
		rc = pg_state_write(pg(s), sql[i], 1, params, "deleting expired serve state", NULL);
	}
	return rc;
}

static int pg_contact_bad(struct store *s, const char *customer_id, const char *kind,
			  const char *value, int *bad)
{
	struct pg_store *q = pg(s);
	const char *params[3] = { customer_id, kind, value };
	PGresult *r = NULL;
	int rc;

	rc = pg_query(q, "SELECT 1 FROM contact_failures f JOIN customers c "
		      "ON c.customer_key = f.customer_key WHERE c.customer_id = $1 AND f.kind = $2 "
		      "AND f.value = $3 AND f.flagged_at IS NOT NULL", 3, NULL, params, &r,
		      "reading a contact's flag");
	if (rc == STORE_OK)
		*bad = PQntuples(r) > 0;
	PQclear(r);
	return rc;
}

/* Pages after the last (due_at, outbox_id) seen, as pg_file_scan. */
static int pg_outbox_scan(struct store *s, int64_t account_key, unsigned states,
			  store_outbox_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT " STORE_OUTBOX_COLUMNS " FROM outbox "
		"WHERE (due_at, outbox_id) > ($1::bigint, $2::bigint) "
		"AND ($3::bigint = 0 OR account_key = $3::bigint) "
		"AND ($4::int & " STORE_OUTBOX_STATE_BIT ") <> 0 "
		"ORDER BY due_at, outbox_id LIMIT " PG_STR(PG_PAGE);
	struct pg_store *q = pg(s);
	char after_due[24] = "-9223372036854775808", after_id[24] = "-9223372036854775808";
	char key[24], mask[24];
	const char *params[4] = { after_due, after_id, key, mask };
	PGresult *r = NULL;
	int rc = STORE_OK;

	pg_fmt_i64(key, sizeof(key), account_key);
	pg_fmt_i64(mask, sizeof(mask), (int64_t)states);
	for (;;) {
		int rows;

		if ((rc = pg_query(q, sql, 4, NULL, params, &r, "listing the outbox")) != STORE_OK)
			goto out;
		rows = PQntuples(r);
		for (int i = 0; i < rows; i++) {
			struct outbox_view v;

			pg_outbox_view(r, i, &v);
			if ((rc = cb(ctx, &v)) != 0)
				goto out;
		}
		if (rows < PG_PAGE)
			break;
		snprintf(after_due, sizeof(after_due), "%s", PQgetvalue(r, rows - 1, 5));
		snprintf(after_id, sizeof(after_id), "%s", PQgetvalue(r, rows - 1, 0));
		PQclear(r);
		r = NULL;
	}
out:
	PQclear(r);
	return rc;
}

/* ---- arrangements ------------------------------------------------------------ */

/* The index of the row of `res` (column col) equal to id, or -1. */
static int pg_row_of(const PGresult *res, int col, const char *id)
{
	for (int i = 0; i < PQntuples(res); i++)
		if (strcmp(PQgetvalue(res, i, col), id) == 0)
			return i;
	return -1;
}

/*
 * The create proper, inside a transaction. The first statement locks the
 * covered accounts' rows in key order (so two creates over overlapping
 * accounts cannot deadlock) until the transaction ends: a second create on
 * one of them waits there, and its check, a later statement with a new
 * snapshot under READ COMMITTED, then sees the first's arrangement. NO KEY
 * UPDATE conflicts with itself as UPDATE would, but leaves the foreign-key
 * checks of imports (KEY SHARE) free. Refusals come before any write.
 */
static int pg_arrangement_write(struct pg_store *q, const struct arrangement_new *a,
				int64_t *key_out)
{
	static const char lock_sql[] =
		"SELECT a.account_key, a.account_id, a.customer_key, c.customer_id "
		"FROM accounts a JOIN customers c ON c.customer_key = a.customer_key "
		"WHERE a.account_id = ANY($1::text[]) ORDER BY a.account_key "
		"FOR NO KEY UPDATE OF a";
	static const char live_sql[] =
		"SELECT x.account_key, r.arrangement_key, r.kind FROM arrangement_accounts x "
		"JOIN arrangements r ON r.arrangement_key = x.arrangement_key "
		"WHERE x.account_key = ANY($1::bigint[]) AND " STORE_ARRANGEMENT_LIVE("r.") " "
		"ORDER BY x.account_key, r.arrangement_key";
	static const char insert_sql[] =
		"WITH r AS (INSERT INTO arrangements (kind, customer_key, state, created_at, "
		"created_by, updated_at, updated_by, version, terms) VALUES ($1, $2::bigint, $3, "
		"$4::bigint, $5, $4::bigint, $5, 1, $6) RETURNING arrangement_key), "
		"l AS (INSERT INTO arrangement_accounts (account_key, arrangement_key) "
		"SELECT k, r.arrangement_key FROM r, unnest($7::bigint[]) AS k) "
		"SELECT arrangement_key FROM r";
	struct pg_arr ids = { 0 }, keys = { 0 };
	const char *params[7];
	PGresult *lock = NULL, *r = NULL;
	char when[24];
	int rc, first;

	pg_arr_begin(&ids);
	for (size_t i = 0; i < a->n_accounts; i++)
		pg_arr_text(&ids, a->account_ids[i]);
	if ((params[0] = pg_arr_end(&ids)) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	if ((rc = pg_query(q, lock_sql, 1, NULL, params, &lock,
			   "creating an arrangement")) != STORE_OK)
		goto out;
	/* In the caller's order, so that the message names the first fault. */
	for (size_t i = 0; i < a->n_accounts; i++)
		if (pg_row_of(lock, 1, a->account_ids[i]) < 0) {
			rc = store_set_error(&q->base, STORE_ERR_INPUT, "no account %s",
					     a->account_ids[i]);
			goto out;
		}
	first = pg_row_of(lock, 1, a->account_ids[0]);
	for (size_t i = 1; i < a->n_accounts; i++) {
		int k = pg_row_of(lock, 1, a->account_ids[i]);

		if (strcmp(PQgetvalue(lock, k, 2), PQgetvalue(lock, first, 2)) != 0) {
			rc = store_set_error(&q->base, STORE_ERR_INPUT, "account %s is not of "
					     "customer %s", a->account_ids[i],
					     PQgetvalue(lock, first, 3));
			goto out;
		}
	}
	pg_arr_begin(&keys);
	for (int i = 0; i < PQntuples(lock); i++)
		pg_arr_int(&keys, pg_i64(lock, i, 0));
	if (pg_arr_end(&keys) == NULL) {
		rc = pg_nomem(q);
		goto out;
	}
	if (!pg_absent(a->exclusive_kinds)) {
		params[0] = keys.b.p;
		if ((rc = pg_query(q, live_sql, 1, NULL, params, &r,
				   "creating an arrangement")) != STORE_OK)
			goto out;
		for (int i = 0; i < PQntuples(r); i++) {
			const char *kind = PQgetvalue(r, i, 2);
			char id[32];

			if (!store_kind_listed(a->exclusive_kinds, kind))
				continue;
			store_arrangement_id(kind, pg_i64(r, i, 1), id, sizeof(id));
			rc = store_set_error(&q->base, STORE_ERR_INPUT, "account %s already has a "
					     "live %s %s",
					     PQgetvalue(lock, pg_row_of(lock, 0, PQgetvalue(r, i, 0)), 1),
					     kind, id);
			goto out;
		}
		PQclear(r);
		r = NULL;
	}
	pg_fmt_i64(when, sizeof(when), a->at);
	params[0] = a->kind;
	params[1] = PQgetvalue(lock, first, 2);
	params[2] = a->state;
	params[3] = when;
	params[4] = a->by ? a->by : "";
	params[5] = a->terms ? a->terms : "{}";
	params[6] = keys.b.p;
	if ((rc = pg_query(q, insert_sql, 7, NULL, params, &r,
			   "creating an arrangement")) != STORE_OK)
		goto out;
	*key_out = pg_i64(r, 0, 0);
out:
	PQclear(lock);
	PQclear(r);
	pg_arrs_free(&ids, 1);
	pg_arrs_free(&keys, 1);
	return rc;
}

static int pg_arrangement_create(struct store *s, const struct arrangement_new *a,
				 int64_t *key_out)
{
	struct pg_store *q = pg(s);
	int own = PQtransactionStatus(q->conn) == PQTRANS_IDLE, rc;

	if (own && (rc = pg_begin(s)) != STORE_OK)
		return rc;
	rc = pg_arrangement_write(q, a, key_out);
	if (own) {
		if (rc == STORE_OK)
			rc = pg_commit(s);
		else
			pg_rollback(s);   /* keeps the reason unless it fails too */
	}
	return rc;
}

/*
 * One UPDATE on the row's key and expected version. A concurrent change of
 * the row makes it wait, then re-check the version on the row's new value
 * (READ COMMITTED) and change nothing; the version read next then tells a
 * stale version from an unknown id.
 */
static int pg_arrangement_update(struct store *s, const char *id, int64_t key,
				 const char *kind, int64_t expected_version, const char *state,
				 const char *terms, int64_t at, const char *by)
{
	struct pg_store *q = pg(s);
	char k[24], v[24], when[24];
	const char *params[7] = { k, kind, v, state, terms, when, by };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(k, sizeof(k), key);
	pg_fmt_i64(v, sizeof(v), expected_version);
	pg_fmt_i64(when, sizeof(when), at);
	rc = pg_query(q, "UPDATE arrangements SET state = $4, terms = coalesce($5, terms), "
		      "version = version + 1, updated_at = $6::bigint, updated_by = $7 "
		      "WHERE arrangement_key = $1::bigint AND kind = $2 AND version = $3::bigint",
		      7, NULL, params, &r, "changing an arrangement");
	if (rc != STORE_OK || strcmp(PQcmdTuples(r), "0") != 0)
		goto out;
	PQclear(r);
	rc = pg_query(q, "SELECT version FROM arrangements WHERE arrangement_key = $1::bigint "
		      "AND kind = $2", 2, NULL, params, &r, "changing an arrangement");
	if (rc != STORE_OK)
		goto out;
	if (PQntuples(r) == 0)
		rc = store_set_error(s, STORE_ERR_INPUT, "no arrangement %s", id);
	else
		rc = store_set_error(s, STORE_ERR_CONFLICT, "arrangement %s was changed by someone "
				     "else meanwhile (version %lld, now %lld)", id,
				     (long long)expected_version, (long long)pg_i64(r, 0, 0));
out:
	PQclear(r);
	return rc;
}

/* An arrangement of a page: its strings stay in the page's PGresults. */
struct pg_arr_row {
	struct arrangement_view v;
	char id[32];
};

#define PG_ARR_SELECT(join_where) \
	"SELECT " STORE_ARRANGEMENT_COLUMNS("r.") " FROM arrangements r " \
	"JOIN customers c ON c.customer_key = r.customer_key " join_where \
	" AND r.arrangement_key > $3 AND ($4 = 0 OR " STORE_ARRANGEMENT_LIVE("r.") ") " \
	"ORDER BY r.arrangement_key LIMIT " PG_STR(PG_PAGE)

/*
 * Pages of PG_PAGE arrangements after the last key seen, each read whole
 * with its accounts (one more query) before the callbacks run: they may
 * use the connection.
 */
static int pg_arrangements_read(struct store *s, const struct store_arrangement_sel *sel,
				store_arrangement_cb cb, void *ctx)
{
	static const char *const sql[] = {
		[STORE_ARR_ONE] = PG_ARR_SELECT("WHERE r.arrangement_key = $1 AND r.kind = $2"),
		[STORE_ARR_ACCOUNT] = PG_ARR_SELECT("JOIN arrangement_accounts x "
						    "ON x.arrangement_key = r.arrangement_key "
						    "WHERE x.account_key = $1"),
		[STORE_ARR_CUSTOMER] = PG_ARR_SELECT("WHERE c.customer_id = $2"),
		[STORE_ARR_ALL] = PG_ARR_SELECT("WHERE true"),
	};
	static const char accounts_sql[] = PG_EACH_KEY(
		"SELECT l.arrangement_key, l.account_key, a.account_id "
		"FROM arrangement_accounts l JOIN accounts a ON a.account_key = l.account_key "
		"WHERE l.arrangement_key = k.key") " ORDER BY 1, 2";
	/* Typed: a shape leaves $1 or $2 unused, which PostgreSQL cannot type. */
	static const Oid types[4] = { PG_INT8_OID, PG_TEXT_OID, PG_INT8_OID, PG_INT4_OID };
	struct pg_store *q = pg(s);
	struct pg_arr_row *page = NULL;
	const char **ids = NULL;
	int64_t *keys = NULL;
	struct pg_arr arr = { 0 };
	char key[24], after[24] = "-9223372036854775808", live[4];
	const char *params[4] = { key, sel->text, after, live };
	PGresult *r = NULL, *acc = NULL;
	int rc = STORE_OK;

	assert(sel->by >= STORE_ARR_ONE && sel->by <= STORE_ARR_ALL);
	pg_fmt_i64(key, sizeof(key), sel->key);
	snprintf(live, sizeof(live), "%d", sel->live_only != 0);
	for (;;) {
		int rows, nacc, j = 0;

		if ((rc = pg_query(q, sql[sel->by], 4, types, params, &r,
				   "reading arrangements")) != STORE_OK)
			goto out;
		rows = PQntuples(r);
		if (sel->by == STORE_ARR_ONE && rows == 0) {
			char name[32];

			store_arrangement_id(sel->text, sel->key, name, sizeof(name));
			rc = store_set_error(s, STORE_ERR_INPUT, "no arrangement %s", name);
			goto out;
		}
		if (rows == 0)
			break;
		pg_arr_begin(&arr);
		for (int i = 0; i < rows; i++)
			pg_arr_int(&arr, pg_i64(r, i, 0));
		{
			const char *list = pg_arr_end(&arr);

			if (list == NULL) {
				rc = pg_nomem(q);
				goto out;
			}
			if ((rc = pg_query(q, accounts_sql, 1, NULL, &list, &acc,
					   "reading an arrangement's accounts")) != STORE_OK)
				goto out;
		}
		nacc = PQntuples(acc);
		free(page);
		free(ids);
		free(keys);
		page = calloc((size_t)(rows ? rows : 1), sizeof(*page));
		ids = malloc((size_t)(nacc ? nacc : 1) * sizeof(*ids));
		keys = malloc((size_t)(nacc ? nacc : 1) * sizeof(*keys));
		if (page == NULL || ids == NULL || keys == NULL) {
			rc = pg_nomem(q);
			goto out;
		}
		for (int i = 0; i < nacc; i++) {
			keys[i] = pg_i64(acc, i, 1);
			ids[i] = PQgetvalue(acc, i, 2);
		}
		/* Both results are in arrangement key order: walk them together. */
		for (int i = 0; i < rows; i++) {
			struct pg_arr_row *a = &page[i];

			a->v.arrangement_key = pg_i64(r, i, 0);
			a->v.kind = PQgetvalue(r, i, 1);
			a->v.customer_id = PQgetvalue(r, i, 2);
			a->v.state = PQgetvalue(r, i, 3);
			a->v.created_at = pg_i64(r, i, 4);
			a->v.created_by = PQgetvalue(r, i, 5);
			a->v.updated_at = pg_i64(r, i, 6);
			a->v.updated_by = PQgetvalue(r, i, 7);
			a->v.version = pg_i64(r, i, 8);
			a->v.terms = PQgetvalue(r, i, 9);
			store_arrangement_id(a->v.kind, a->v.arrangement_key, a->id, sizeof(a->id));
			a->v.arrangement_id = a->id;
			a->v.account_ids = ids + j;
			a->v.account_keys = keys + j;
			a->v.n_accounts = 0;
			while (j < nacc && pg_i64(acc, j, 0) == a->v.arrangement_key) {
				a->v.n_accounts++;
				j++;
			}
		}
		for (int i = 0; i < rows; i++)
			if ((rc = cb(ctx, &page[i].v)) != 0)
				goto out;
		if (rows < PG_PAGE)
			break;
		snprintf(after, sizeof(after), "%s", PQgetvalue(r, rows - 1, 0));
		PQclear(r);
		PQclear(acc);
		r = acc = NULL;
	}
out:
	PQclear(r);
	PQclear(acc);
	pg_arrs_free(&arr, 1);
	free(ids);
	free(keys);
	free(page);
	return rc;
}

/* ---- opening ------------------------------------------------------------------ */

/* ---- users and API tokens -------------------------------------------------------- */

static int pg_user_add(struct store *s, const char *name, const char *kind, const char *role,
		       const char *customer_id, const char *password_hash, int64_t at)
{
	struct pg_store *q = pg(s);
	char when[24];
	const char *params[6] = { name, kind, role, NULL, password_hash, when };
	PGresult *r = NULL;
	int rc;

	/* Looked up first rather than left to the foreign key: the caller is
	 * told which customer is unknown, and a transaction it has open stays
	 * usable. */
	if (customer_id != NULL) {
		rc = pg_query(q, "SELECT customer_key FROM customers WHERE customer_id = $1", 1,
			      NULL, &customer_id, &r, "adding a user");
		if (rc != STORE_OK)
			goto out;
		if (PQntuples(r) == 0) {
			rc = store_set_error(s, STORE_ERR_INPUT, "user %s: no customer %s", name,
					     customer_id);
			goto out;
		}
		params[3] = PQgetvalue(r, 0, 0);
	}
	pg_fmt_i64(when, sizeof(when), at);
	{
		PGresult *ins = NULL;

		rc = pg_query(q, "INSERT INTO users (name, kind, role, customer_key, password_hash, "
			      "created_at) VALUES ($1, $2, $3, $4::bigint, $5, $6::bigint) "
			      "ON CONFLICT (name) DO NOTHING RETURNING user_key", 6, NULL, params,
			      &ins, "adding a user");
		if (rc == STORE_OK && PQntuples(ins) == 0)
			rc = store_set_error(s, STORE_ERR_INPUT, "user %s exists", name);
		PQclear(ins);
	}
out:
	PQclear(r);
	return rc;
}

/* The strings stay in the result, which the callback's own queries leave
 * alone. */
static int pg_user_get(struct store *s, const char *name, store_user_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	PGresult *r = NULL;
	int rc;

	rc = pg_query(q, "SELECT " STORE_USER_COLUMNS STORE_USER_FROM "WHERE u.name = $1", 1,
		      NULL, &name, &r, "reading a user");
	if (rc != STORE_OK)
		goto out;
	if (PQntuples(r) == 0) {
		rc = store_set_error(s, STORE_ERR_INPUT, "no user %s", name);
		goto out;
	}
	{
		struct user_view u = {
			.user_key = pg_i64(r, 0, 0),
			.name = PQgetvalue(r, 0, 1),
			.kind = PQgetvalue(r, 0, 2),
			.role = PQgetvalue(r, 0, 3),
			.customer_id = PQgetvalue(r, 0, 4),
			.password_hash = PQgetvalue(r, 0, 5),
			.created_at = pg_i64(r, 0, 6),
			.disabled_at = pg_i64(r, 0, 7),
		};

		rc = cb(ctx, &u);
	}
out:
	PQclear(r);
	return rc;
}

/* Runs an UPDATE of the user named by its first parameter. */
static int pg_user_update(struct pg_store *q, const char *sql, const char *const *params,
			  const char *what)
{
	PGresult *r = NULL;
	int rc = pg_query(q, sql, 2, NULL, params, &r, what);

	if (rc == STORE_OK && strcmp(PQcmdTuples(r), "0") == 0)
		rc = store_set_error(&q->base, STORE_ERR_INPUT, "no user %s", params[0]);
	PQclear(r);
	return rc;
}

static int pg_user_set_password(struct store *s, const char *name, const char *password_hash)
{
	const char *params[2] = { name, password_hash };

	return pg_user_update(pg(s), "UPDATE users SET password_hash = $2 WHERE name = $1",
			      params, "changing a password");
}

static int pg_user_disable(struct store *s, const char *name, int64_t at)
{
	char when[24];
	const char *params[2] = { name, when };

	pg_fmt_i64(when, sizeof(when), at);
	return pg_user_update(pg(s), "UPDATE users SET disabled_at = "
			      "coalesce(disabled_at, $2::bigint) WHERE name = $1", params,
			      "disabling a user");
}

static int pg_token_add(struct store *s, const char *user_name, const unsigned char hash[32],
			const char *scopes, int64_t at, int64_t *key)
{
	struct pg_store *q = pg(s);
	char hex[2 + 64 + 1], when[24];
	const char *params[4] = { user_name, hex, scopes, when };
	PGresult *r = NULL;
	int rc;

	pg_hex(hash, 32, hex);
	pg_fmt_i64(when, sizeof(when), at);
	rc = pg_query(q, "INSERT INTO api_tokens (user_key, hash, scopes, created_at) "
		      "SELECT user_key, $2::bytea, $3, $4::bigint FROM users WHERE name = $1 "
		      "ON CONFLICT (hash) DO NOTHING RETURNING token_key", 4, NULL, params, &r,
		      "adding a token");
	if (rc != STORE_OK)
		goto out;
	/* store.c found the user: only the hash can have stopped the row. */
	if (PQntuples(r) == 0)
		rc = store_set_error(s, STORE_ERR_INPUT, "user %s: this token's hash is already "
				     "stored", user_name);
	else
		*key = pg_i64(r, 0, 0);
out:
	PQclear(r);
	return rc;
}

static int pg_token_find(struct store *s, const unsigned char hash[32], store_token_cb cb,
			 void *ctx)
{
	struct pg_store *q = pg(s);
	char hex[2 + 64 + 1];
	const char *param = hex;
	PGresult *r = NULL;
	int rc;

	pg_hex(hash, 32, hex);
	rc = pg_query(q, "SELECT " STORE_TOKEN_COLUMNS STORE_TOKEN_FROM "WHERE t.hash = $1::bytea",
		      1, NULL, &param, &r, "finding a token");
	if (rc == STORE_OK && PQntuples(r) == 1) {
		struct token_view t = {
			.token_key = pg_i64(r, 0, 0),
			.user_name = PQgetvalue(r, 0, 1),
			.role = PQgetvalue(r, 0, 2),
			.scopes = PQgetvalue(r, 0, 3),
			.created_at = pg_i64(r, 0, 4),
			.revoked_at = pg_i64(r, 0, 5),
			.user_disabled_at = pg_i64(r, 0, 6),
		};

		rc = cb(ctx, &t);
	}
	PQclear(r);
	return rc;
}

static int pg_token_revoke(struct store *s, int64_t key, int64_t at)
{
	struct pg_store *q = pg(s);
	char k[24], when[24];
	const char *params[2] = { k, when };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(k, sizeof(k), key);
	pg_fmt_i64(when, sizeof(when), at);
	rc = pg_query(q, "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $2::bigint) "
		      "WHERE token_key = $1::bigint", 2, NULL, params, &r, "revoking a token");
	if (rc == STORE_OK && strcmp(PQcmdTuples(r), "0") == 0)
		rc = store_set_error(s, STORE_ERR_INPUT, "no token %lld", (long long)key);
	PQclear(r);
	return rc;
}

static int pg_contact_report(struct store *s, int64_t since, int64_t window_seconds,
			     store_contact_row_cb cb, void *ctx);
/* The managers' reports, at the end of the file. */
static int pg_report_contacts(struct store *s, int64_t from, int64_t to, int64_t window_seconds,
			      store_report_contact_cb cb, void *ctx);
static int pg_report_arrangements(struct store *s, int64_t from, int64_t to,
				  store_report_arrangement_cb cb, void *ctx);
static int pg_report_provisioning(struct store *s, int64_t from, int64_t to,
				  store_report_provisioning_cb cb, void *ctx);

static int pg_queues_list(struct store *s, int64_t now, store_queue_cb cb, void *ctx);
static int pg_tasks_list(struct store *s, const struct task_filter *f, store_task_cb cb,
			 void *ctx);
static int pg_task_read(struct store *s, int64_t task_id, int64_t now, int lock,
			store_task_cb cb, void *ctx);
static int pg_task_write(struct store *s, int64_t task_id, const char *taken_by,
			 int64_t taken_at, int64_t lease_until, const char *closed_by,
			 int64_t closed_at, const char *outcome, const char *note);

static const struct store_ops pg_ops = {
	.engine = "postgresql",
	.close = pg_close,
	.migrate = pg_migrate,
	.schema_version = pg_schema_version,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.import_begin = pg_import_begin,
	.import_finish = pg_import_finish,
	.customers_put = pg_customers_put,
	.accounts_put = pg_accounts_put,
	.services_put = pg_services_put,
	.invoices_put = pg_invoices_put,
	.credits_put = pg_credits_put,
	.accounts_find = pg_accounts_find,
	.invoices_find = pg_invoices_find,
	.ledger_scan = pg_ledger_scan,
	.snapshots_put = pg_snapshots_put,
	.accounts_scan = pg_accounts_scan,
	.accounts_of_customer = pg_accounts_of_customer,
	.services_scan = pg_services_scan,
	.customer_get = pg_customer_get,
	.file_append = pg_file_append,
	.file_notes = pg_file_notes,
	.file_scan = pg_file_scan,
	.policy_put = pg_policy_put,
	.policy_get = pg_policy_get,
	.policy_list = pg_policy_list,
	.case_get = pg_case_get,
	.cases_put = pg_cases_put,
	.cases_due = pg_cases_due,
	.accounts_due = pg_accounts_due,
	.cases_touch = pg_cases_touch,
	.outbox_put = pg_outbox_put,
	.outbox_claim = pg_outbox_claim,
	.outbox_finish = pg_outbox_finish,
	.outbox_scan = pg_outbox_scan,
	.outbox_sending = pg_outbox_sending,
	.outbox_peer_ids = pg_outbox_peer_ids,
	.outbox_by_peer_id = pg_outbox_by_peer_id,
	.contact_failure = pg_contact_failure,
	.voice_call_add = pg_voice_call_add,
	.voice_calls_of = pg_voice_calls_of,
	.voice_report_scan = pg_voice_report_scan,
	.service_desire = pg_service_desire,
	.service_confirm = pg_service_confirm,
	.service_attempt = pg_service_attempt,
	.service_state_get = pg_service_state_get,
	.service_states_scan = pg_service_states_scan,
	.service_state_counts = pg_service_state_counts,
	.session_put = pg_session_put,
	.session_get = pg_session_get,
	.session_delete = pg_session_delete,
	.attempt_get = pg_attempt_get,
	.attempt_failed = pg_attempt_failed,
	.attempt_clear = pg_attempt_clear,
	.code_put = pg_code_put,
	.code_get = pg_code_get,
	.code_take = pg_code_take,
	.idem_begin = pg_idem_begin,
	.idem_end = pg_idem_end,
	.serve_sweep = pg_serve_sweep,
	.contact_bad = pg_contact_bad,
	.outbox_depth = pg_outbox_depth,
	.contact_report = pg_contact_report,
	.arrangement_create = pg_arrangement_create,
	.arrangement_update = pg_arrangement_update,
	.arrangements_read = pg_arrangements_read,
	.user_add = pg_user_add,
	.user_get = pg_user_get,
	.user_set_password = pg_user_set_password,
	.user_disable = pg_user_disable,
	.token_add = pg_token_add,
	.token_find = pg_token_find,
	.token_revoke = pg_token_revoke,
	.queues_list = pg_queues_list,
	.tasks_list = pg_tasks_list,
	.task_read = pg_task_read,
	.task_write = pg_task_write,
	.report_contacts = pg_report_contacts,
	.report_arrangements = pg_report_arrangements,
	.report_provisioning = pg_report_provisioning,
};

static char *pg_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/*
 * The URL fit to print: "scheme://user:secret@host/db?password=x&a=b"
 * becomes "scheme://user@host/db?a=b". The raw spellings of the password
 * (in the user part and in a password= parameter) go to secret[0..1] so
 * that messages quoting them can be scrubbed.
 */
static char *pg_redact(const char *url, char **secret)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *colon, *query, *p;
	struct pg_buf b = { 0 };

	if (auth == NULL)
		return strdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;   /* the last '@': a raw '@' in a password is before it */
	pg_buf_add(&b, url, (size_t)(auth - url));
	if (at != NULL) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon != NULL) {
			pg_buf_add(&b, auth, (size_t)(colon - auth));
			if (colon + 1 < at)
				secret[0] = pg_strndup(colon + 1, (size_t)(at - colon - 1));
		} else {
			pg_buf_add(&b, auth, (size_t)(at - auth));
		}
		auth = at;
	}
	query = strchr(end, '?');
	if (query == NULL) {
		pg_buf_add(&b, auth, strlen(auth));
	} else {
		int kept = 0;

		pg_buf_add(&b, auth, (size_t)(query - auth));
		for (p = query + 1; *p; ) {
			size_t n = strcspn(p, "&");

			if (strncmp(p, "password=", 9) == 0) {
				if (n > 9 && secret[1] == NULL)
					secret[1] = pg_strndup(p + 9, n - 9);
			} else if (n > 0) {
				pg_buf_ch(&b, kept++ ? '&' : '?');
				pg_buf_add(&b, p, n);
			}
			p += n;
			if (*p == '&')
				p++;
		}
	}
	if (b.oom) {
		pg_buf_free(&b);
		return NULL;
	}
	return b.p;
}

int store_postgres_open(const char *url, struct store **out, char *err, size_t errsize)
{
	/* Defaults first: the URL's own settings, expanded from dbname,
	 * override them. */
	const char *keys[] = { "connect_timeout", "fallback_application_name", "dbname", NULL };
	const char *vals[] = { "10", "relance", url, NULL };
	struct pg_store *q = calloc(1, sizeof(*q));
	PQconninfoOption *opts = NULL;
	char *perr = NULL, reason[400];
	int rc = STORE_OK;

	*out = NULL;
	if (q == NULL || (q->url = pg_redact(url, q->secret)) == NULL) {
		snprintf(err, errsize, "PostgreSQL: out of memory");
		rc = STORE_ERR_NOMEM;
		goto fail;
	}
	q->base.ops = &pg_ops;
	if ((opts = PQconninfoParse(url, &perr)) == NULL) {
		pg_conn_reason(q, perr ? perr : "out of memory", reason, sizeof(reason));
		snprintf(err, errsize, "%s: not a valid PostgreSQL URL: %s", q->url, reason);
		rc = STORE_ERR_INPUT;
		goto fail;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0' &&
		    (q->secret[2] = strdup(o->val)) == NULL) {
			snprintf(err, errsize, "%s: out of memory", q->url);
			rc = STORE_ERR_NOMEM;
			goto fail;
		}
	q->conn = PQconnectdbParams(keys, vals, 1);
	if (q->conn == NULL || PQstatus(q->conn) != CONNECTION_OK) {
		pg_conn_reason(q, q->conn ? PQerrorMessage(q->conn) : "out of memory", reason,
			       sizeof(reason));
		snprintf(err, errsize, "%s: %s", q->url, reason);
		rc = STORE_ERR_DB;
		goto fail;
	}
	/* Quiet notices (IF NOT EXISTS and the like); bytea as hex, which
	 * accounts_scan decodes. No JIT: the import's batch statements look
	 * costly to the planner, and compiling each one took two thirds of an
	 * import's time while running them takes milliseconds. */
	if (pg_command(q, "SET client_min_messages = warning; SET bytea_output = hex; "
		       "SET client_encoding = 'UTF8'; SET jit = off",
		       "setting up the session") != STORE_OK) {
		snprintf(err, errsize, "%s", q->base.err);
		rc = STORE_ERR_DB;
		goto fail;
	}
	PQconninfoFree(opts);
	PQfreemem(perr);
	*out = &q->base;
	return STORE_OK;
fail:
	PQconninfoFree(opts);
	PQfreemem(perr);
	if (q != NULL)
		pg_close(&q->base);
	return rc;
}

/*
 * The attribution both contact reports share, $2 the window in seconds:
 * sqlite.c's SQ_CONTACT_ATTRIBUTION, which says how it works, in
 * PostgreSQL's words (keep the two alike). The messages' zero amount is a
 * bigint, the type of the payments' amounts it is merged with.
 */
#define PG_CONTACT_ATTRIBUTION(messages_read, payments_read) \
	"WITH ev AS (" \
		" SELECT account_key, done_at AS t, 0 AS kind, outbox_id AS id," \
		" 0::bigint AS amount FROM outbox" \
		" WHERE state = 'done' AND channel IN ('sms', 'email', 'voice')" \
		" AND " messages_read \
		" UNION ALL SELECT account_key, received_at, 1, 0, amount FROM payments" \
		" WHERE " payments_read ")," \
	"seq AS (" \
		" SELECT account_key, t, kind, id, amount, sum(1 - kind) OVER (PARTITION BY" \
		" account_key ORDER BY t, kind, id ROWS UNBOUNDED PRECEDING) AS stretch FROM ev)," \
	"led AS (" \
		" SELECT account_key, stretch, kind, t, amount, first_value(kind) OVER w AS mk," \
		" first_value(id) OVER w AS mid, first_value(t) OVER w AS mt," \
		" CASE WHEN kind = 1 AND first_value(kind) OVER w = 0" \
		" AND t <= first_value(t) OVER w + $2::bigint THEN 1 ELSE 0 END AS att FROM seq" \
		" WINDOW w AS (PARTITION BY account_key, stretch ORDER BY t, kind, id)),"

/* Reads row i of a report's result and hands it to the sink's callback;
 * returns what the callback returns. */
typedef int (*pg_report_row_fn)(PGresult *r, int i, const struct store_report_sink *sink);

/*
 * Runs a report: `sql` with $1..$n the whole numbers params[0..n-1] (n at
 * most 3), its result held whole in memory (no paging: a report covers
 * one period), and row() called for each row; `what` names the step in
 * messages. Returns STORE_OK, the first non-zero return of row(), or a
 * store error.
 */
static int pg_report_rows(struct pg_store *q, const char *sql, const int64_t *params, int n,
			  const char *what, pg_report_row_fn row,
			  const struct store_report_sink *sink)
{
	char text[3][24];
	const char *values[3];
	PGresult *r = NULL;
	int rc;

	assert(n >= 0 && n <= 3);
	for (int i = 0; i < n; i++) {
		pg_fmt_i64(text[i], sizeof(text[i]), params[i]);
		values[i] = text[i];
	}
	if ((rc = pg_query(q, sql, n, NULL, values, &r, what)) != STORE_OK)
		return rc;
	for (int i = 0; rc == STORE_OK && i < PQntuples(r); i++)
		rc = row(r, i, sink);
	PQclear(r);
	return rc;
}

static int pg_contact_row(PGresult *r, int i, const struct store_report_sink *sink)
{
	struct store_contact_row row = {
		.kind = (int)pg_i64(r, i, 0),
		.channel = PQgetvalue(r, i, 1),
		.rule = PQgetvalue(r, i, 2),
		.currency = PQgetvalue(r, i, 3),
		.messages = pg_i64(r, i, 4),
		.accounts = pg_i64(r, i, 5),
		.messages_paid = pg_i64(r, i, 6),
		.payments = pg_i64(r, i, 7),
		.amount = pg_i64(r, i, 8),
	};

	return sink->cb.contact(sink->ctx, &row);
}

/* The contact report in one statement (store.h): the attribution over the
 * messages and payments since `since`. */
static int pg_contact_report(struct store *s, int64_t since, int64_t window_seconds,
			     store_contact_row_cb cb, void *ctx)
{
	static const char sql[] =
	PG_CONTACT_ATTRIBUTION("done_at >= $1::bigint", "received_at >= $1::bigint")
	"st AS ("
		" SELECT account_key, mk, mid, sum(att)::bigint AS n, sum(att * amount)::bigint AS amount,"
		" sum(kind - att)::bigint AS un_n, sum((kind - att) * amount)::bigint AS un_amount"
		" FROM led GROUP BY account_key, stretch, mk, mid),"
	"m AS ("
		" SELECT o.channel, coalesce(o.rule, '') AS rule, a.currency, st.account_key,"
		" CASE WHEN st.n > 0 THEN 1 ELSE 0 END AS paid, st.n, st.amount FROM st"
		" JOIN outbox o ON o.outbox_id = st.mid"
		" JOIN accounts a ON a.account_key = st.account_key WHERE st.mk = 0) "
	"SELECT 0 AS k, channel, rule, currency, count(*), count(DISTINCT account_key),"
		" sum(paid)::bigint, sum(n)::bigint, sum(amount)::bigint FROM m GROUP BY channel, rule, currency "
	"UNION ALL SELECT 1, '', '', currency, count(*), count(DISTINCT account_key),"
		" sum(paid)::bigint, sum(n)::bigint, sum(amount)::bigint FROM m GROUP BY currency "
	"UNION ALL SELECT 2, '', '', a.currency, 0, count(DISTINCT st.account_key), 0,"
		" sum(st.un_n)::bigint, sum(st.un_amount)::bigint FROM st"
		" JOIN accounts a ON a.account_key = st.account_key"
		" WHERE st.un_n > 0 GROUP BY a.currency "
	"ORDER BY 1, 2, 3, 4";
	const int64_t params[] = { since, window_seconds };
	const struct store_report_sink sink = { .cb.contact = cb, .ctx = ctx };

	/* One row per (channel, rule, currency). */
	return pg_report_rows(pg(s), sql, params, 2, "reading the contact report", pg_contact_row,
			      &sink);
}

/* ---- managers' reports ------------------------------------------------------- */

static int pg_period_contact_row(PGresult *r, int i, const struct store_report_sink *sink)
{
	struct store_report_contact_row row = {
		.kind = (int)pg_i64(r, i, 0),
		.channel = PQgetvalue(r, i, 1),
		.rule = PQgetvalue(r, i, 2),
		.currency = PQgetvalue(r, i, 3),
		.messages = pg_i64(r, i, 4),
		.messages_paid = pg_i64(r, i, 5),
		.payments = pg_i64(r, i, 6),
		.amount = pg_i64(r, i, 7),
		.recovered_payments = pg_i64(r, i, 8),
		.recovered_amount = pg_i64(r, i, 9),
	};

	return sink->cb.period_contact(sink->ctx, &row);
}

/*
 * The period's messages and payments (store.h "managers' reports"): the
 * attribution of pg_contact_report over the messages in [from - window,
 * to + window) and the payments in [from, to + window), each stretch (a
 * message and the payments after it) then counted twice: for the message
 * when it was performed in [from, to), for the payments received in
 * [from, to). A message before from - window can own no payment of the
 * period (it is too old), and one after to + window comes after every
 * payment read, so the window of rows read gives the same attribution as
 * the whole history. $1 is from, $2 the window (PG_CONTACT_ATTRIBUTION's),
 * $3 to. sqlite.c runs the same text: keep the two alike.
 */
static int pg_report_contacts(struct store *s, int64_t from, int64_t to, int64_t window_seconds,
			      store_report_contact_cb cb, void *ctx)
{
	static const char sql[] =
	PG_CONTACT_ATTRIBUTION(
		"done_at >= $1::bigint - $2::bigint AND done_at < $3::bigint + $2::bigint",
		"received_at >= $1::bigint AND received_at < $3::bigint + $2::bigint")
	"st AS ("
		" SELECT account_key, mk, mid, mt, sum(att)::bigint AS n,"
		" sum(att * amount)::bigint AS amount,"
		" sum(CASE WHEN att = 1 AND t < $3::bigint THEN 1 ELSE 0 END)::bigint AS rn,"
		" sum(CASE WHEN att = 1 AND t < $3::bigint THEN amount ELSE 0 END)::bigint"
		" AS ramount,"
		" sum(CASE WHEN kind = 1 AND att = 0 AND t < $3::bigint THEN 1 ELSE 0 END)::bigint"
		" AS un_n,"
		" sum(CASE WHEN kind = 1 AND att = 0 AND t < $3::bigint THEN amount ELSE 0"
		" END)::bigint AS un_amount"
		" FROM led GROUP BY account_key, stretch, mk, mid, mt),"
	"m AS ("
		" SELECT o.channel, coalesce(o.rule, '') AS rule, a.currency,"
		" CASE WHEN st.mt >= $1::bigint AND st.mt < $3::bigint THEN 1 ELSE 0 END AS inp,"
		" st.n, st.amount, st.rn, st.ramount FROM st"
		" JOIN outbox o ON o.outbox_id = st.mid"
		" JOIN accounts a ON a.account_key = st.account_key WHERE st.mk = 0) "
	"SELECT 0 AS k, channel, rule, currency, sum(inp)::bigint,"
		" sum(CASE WHEN inp = 1 AND n > 0 THEN 1 ELSE 0 END)::bigint, sum(inp * n)::bigint,"
		" sum(inp * amount)::bigint, sum(rn)::bigint, sum(ramount)::bigint FROM m"
		" GROUP BY channel, rule, currency HAVING sum(inp) > 0 OR sum(rn) > 0 "
	"UNION ALL SELECT 2, '', '', a.currency, 0, 0, 0, 0, sum(st.un_n)::bigint,"
		" sum(st.un_amount)::bigint"
		" FROM st JOIN accounts a ON a.account_key = st.account_key"
		" WHERE st.un_n > 0 GROUP BY a.currency "
	"ORDER BY 1, 2, 3, 4";
	const int64_t params[] = { from, window_seconds, to };
	const struct store_report_sink sink = { .cb.period_contact = cb, .ctx = ctx };

	/* One row per (channel, rule, currency). */
	return pg_report_rows(pg(s), sql, params, 3, "reading the dashboard's contact report",
			      pg_period_contact_row, &sink);
}

static int pg_arrangement_row(PGresult *r, int i, const struct store_report_sink *sink)
{
	char id[32];
	struct store_report_arrangement a = {
		.arrangement_id = id,
		.kind = PQgetvalue(r, i, 1),
		.state = PQgetvalue(r, i, 2),
		.terms = PQgetvalue(r, i, 3),
		.created_at = pg_i64(r, i, 4),
		.updated_at = pg_i64(r, i, 5),
	};

	store_arrangement_id(a.kind, pg_i64(r, i, 0), id, sizeof(id));
	return sink->cb.arrangement(sink->ctx, &a);
}

/* Promises and plans of the period (store.h); the live test is the one
 * every arrangement read uses. The result holds the period's rows whole. */
static int pg_report_arrangements(struct store *s, int64_t from, int64_t to,
				  store_report_arrangement_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT arrangement_key, kind, state, terms, created_at, updated_at"
		" FROM arrangements WHERE kind IN ('promise', 'plan')"
		" AND ((updated_at >= $1::bigint AND updated_at < $2::bigint)"
		" OR (" STORE_ARRANGEMENT_LIVE("") " AND created_at < $2::bigint))"
		" ORDER BY arrangement_key";
	const int64_t params[] = { from, to };
	const struct store_report_sink sink = { .cb.arrangement = cb, .ctx = ctx };

	return pg_report_rows(pg(s), sql, params, 2, "reading the arrangements report",
			      pg_arrangement_row, &sink);
}

static int pg_provisioning_row(PGresult *r, int i, const struct store_report_sink *sink)
{
	struct store_report_provisioning p = {
		.outbox_id = pg_i64(r, i, 0),
		.action = PQgetvalue(r, i, 1),
		.account_id = PQgetvalue(r, i, 2),
		.customer_id = PQgetvalue(r, i, 3),
		.jurisdiction = PQgetvalue(r, i, 4),
		.rule = PQgetvalue(r, i, 5),
		.payload = PQgetvalue(r, i, 6),
		.policy_version = pg_i64(r, i, 7),
		.created_at = pg_i64(r, i, 8),
		.done_at = pg_i64(r, i, 9),
		.paid_at = pg_i64(r, i, 10),
	};

	return sink->cb.provisioning(sink->ctx, &p);
}

/* Suspensions and restorations of the period (store.h). The clearing
 * payment is one look-up in the payments' primary key and one in the
 * outbox's (account_key, due_at) index per restoration. */
static int pg_report_provisioning(struct store *s, int64_t from, int64_t to,
				  store_report_provisioning_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT o.outbox_id, o.action, a.account_id, c.customer_id, c.jurisdiction,"
		" coalesce(o.rule, ''), o.payload, coalesce(o.policy_version, 0), o.created_at,"
		" o.done_at, CASE WHEN o.action = 'restore' THEN coalesce((SELECT"
		" max(p.received_at) FROM payments p WHERE p.account_key = o.account_key"
		" AND p.received_at <= o.created_at AND p.received_at >= (SELECT max(x.done_at)"
		" FROM outbox x WHERE x.account_key = o.account_key"
		" AND x.channel = 'provisioning' AND x.action = 'suspend' AND x.state = 'done'"
		" AND x.done_at <= o.created_at)), 0) ELSE 0 END"
		" FROM outbox o JOIN accounts a ON a.account_key = o.account_key"
		" JOIN customers c ON c.customer_key = a.customer_key"
		" WHERE o.channel = 'provisioning' AND o.state = 'done'"
		" AND o.done_at >= $1::bigint AND o.done_at < $2::bigint"
		" ORDER BY o.done_at, o.outbox_id";
	const int64_t params[] = { from, to };
	const struct store_report_sink sink = { .cb.provisioning = cb, .ctx = ctx };

	return pg_report_rows(pg(s), sql, params, 2, "reading the provisioning report",
			      pg_provisioning_row, &sink);
}

/* ---- work queues ------------------------------------------------------------------ */

/*
 * The task columns every read selects, in struct task_view order, as
 * sqlite.c's SQ_TASK_COLUMNS (keep the two alike), $1 the instant at which
 * leases are live.
 */
#define PG_TASK_PRIORITY "coalesce((o.payload::jsonb ->> 'priority')::int, 5)"
#define PG_TASK_QUEUE "coalesce(o.payload::jsonb ->> 'target', '')"
#define PG_TASK_COLUMNS \
	"o.outbox_id, " PG_TASK_QUEUE ", coalesce(o.payload::jsonb ->> 'text', ''), " \
	"coalesce(o.rule, ''), " PG_TASK_PRIORITY ", c.customer_id, a.account_id, o.created_at, " \
	"CASE WHEN t.lease_until > $1::bigint THEN t.taken_by ELSE '' END, " \
	"CASE WHEN t.lease_until > $1::bigint THEN t.taken_at ELSE 0 END, " \
	"CASE WHEN t.lease_until > $1::bigint THEN t.lease_until ELSE 0 END, " \
	"coalesce(t.closed_by, ''), coalesce(t.closed_at, 0), coalesce(t.outcome, ''), " \
	"coalesce(t.note, '')"
#define PG_TASK_FROM \
	" FROM outbox o JOIN accounts a ON a.account_key = o.account_key " \
	"JOIN customers c ON c.customer_key = a.customer_key " \
	"LEFT JOIN queue_tasks t ON t.outbox_id = o.outbox_id " \
	"WHERE o.channel = 'queue' AND o.state = 'done' "

/* Calls cb for each task row of r (read whole: cb may use the store). */
static int pg_task_rows(PGresult *r, store_task_cb cb, void *ctx)
{
	int rc = STORE_OK;

	for (int i = 0; rc == STORE_OK && i < PQntuples(r); i++) {
		struct task_view t = {
			.task_id = pg_i64(r, i, 0),
			.queue = PQgetvalue(r, i, 1),
			.text = PQgetvalue(r, i, 2),
			.rule = PQgetvalue(r, i, 3),
			.priority = (int)pg_i64(r, i, 4),
			.customer_id = PQgetvalue(r, i, 5),
			.account_id = PQgetvalue(r, i, 6),
			.created_at = pg_i64(r, i, 7),
			.taken_by = PQgetvalue(r, i, 8),
			.taken_at = pg_i64(r, i, 9),
			.lease_until = pg_i64(r, i, 10),
			.closed_by = PQgetvalue(r, i, 11),
			.closed_at = pg_i64(r, i, 12),
			.outcome = PQgetvalue(r, i, 13),
			.note = PQgetvalue(r, i, 14),
		};

		rc = cb(ctx, &t);
	}
	return rc == STORE_STOP ? STORE_OK : rc;
}

static int pg_queues_list(struct store *s, int64_t now, store_queue_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	char at[24];
	const char *params[1] = { at };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(at, sizeof(at), now);
	rc = pg_query(q, "SELECT " PG_TASK_QUEUE " AS queue, count(*), "
		      "sum(CASE WHEN t.lease_until > $1::bigint THEN 0 ELSE 1 END), "
		      "min(o.created_at) FROM outbox o "
		      "LEFT JOIN queue_tasks t ON t.outbox_id = o.outbox_id "
		      "WHERE o.channel = 'queue' AND o.state = 'done' AND t.closed_at IS NULL "
		      "GROUP BY 1 ORDER BY " PG_TASK_QUEUE " COLLATE \"C\"", 1, NULL, params, &r,
		      "reading the queues");
	for (int i = 0; rc == STORE_OK && i < PQntuples(r); i++) {
		struct queue_count c = { PQgetvalue(r, i, 0), pg_i64(r, i, 1), pg_i64(r, i, 2),
					 pg_i64(r, i, 3) };

		rc = cb(ctx, &c);
	}
	PQclear(r);
	return rc == STORE_STOP ? STORE_OK : rc;
}

static int pg_tasks_list(struct store *s, const struct task_filter *f, store_task_cb cb,
			 void *ctx)
{
	struct pg_store *q = pg(s);
	char at[24], who[24], after[24], limit[24];
	const char *params[6] = { at, f->queue ? f->queue : "", who, f->user ? f->user : "",
				  after, limit };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(at, sizeof(at), f->now);
	pg_fmt_i64(who, sizeof(who), f->who);
	pg_fmt_i64(after, sizeof(after), f->after);
	pg_fmt_i64(limit, sizeof(limit), f->limit);
	rc = pg_query(q, "SELECT " PG_TASK_COLUMNS PG_TASK_FROM "AND t.closed_at IS NULL "
		      "AND ($2::text = '' OR " PG_TASK_QUEUE " = $2::text) "
		      "AND ($3::int = 0 OR ($3::int = 1 AND t.taken_by = $4::text "
		      "AND t.lease_until > $1::bigint) "
		      "OR ($3::int = 2 AND (t.lease_until IS NULL OR t.lease_until <= $1::bigint))) "
		      "AND ($5::bigint = 0 OR (" PG_TASK_PRIORITY ", o.created_at, o.outbox_id) > "
		      "(SELECT coalesce((x.payload::jsonb ->> 'priority')::int, 5), x.created_at, "
		      "x.outbox_id FROM outbox x WHERE x.outbox_id = $5::bigint)) "
		      "ORDER BY " PG_TASK_PRIORITY ", o.created_at, o.outbox_id LIMIT $6::bigint",
		      6, NULL, params, &r, "reading the tasks");
	if (rc == STORE_OK)
		rc = pg_task_rows(r, cb, ctx);
	PQclear(r);
	return rc;
}

/* lock: the outbox row stays locked until the caller's transaction ends, so
 * that concurrent takes of one task decide one after the other. */
static int pg_task_read(struct store *s, int64_t task_id, int64_t now, int lock,
			store_task_cb cb, void *ctx)
{
	struct pg_store *q = pg(s);
	char at[24], id[24];
	const char *params[2] = { at, id };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(at, sizeof(at), now);
	pg_fmt_i64(id, sizeof(id), task_id);
	/*
	 * Locking: the outbox row first, in a statement of its own. Locked in
	 * the same statement as the read, a second taker waiting for the lock
	 * would then see the task row as its own snapshot had it (READ
	 * COMMITTED re-checks only the locked row): not yet taken, when the
	 * first taker has just taken it. The read that follows the lock sees
	 * what the first committed.
	 */
	if (lock) {
		rc = pg_query(q, "SELECT 1 FROM outbox WHERE outbox_id = $1::bigint FOR UPDATE", 1,
			      NULL, &params[1], &r, "locking a task");
		PQclear(r);
		r = NULL;
		if (rc != STORE_OK)
			return rc;
	}
	rc = pg_query(q, "SELECT " PG_TASK_COLUMNS PG_TASK_FROM "AND o.outbox_id = $2::bigint",
		      2, NULL, params, &r, "reading a task");
	if (rc == STORE_OK)
		rc = pg_task_rows(r, cb, ctx);
	PQclear(r);
	return rc;
}

static int pg_task_write(struct store *s, int64_t task_id, const char *taken_by,
			 int64_t taken_at, int64_t lease_until, const char *closed_by,
			 int64_t closed_at, const char *outcome, const char *note)
{
	struct pg_store *q = pg(s);
	char id[24], t_at[24], lease[24], c_at[24];
	const char *params[8] = { id, pg_absent(taken_by) ? NULL : taken_by,
				  taken_at ? t_at : NULL, lease_until ? lease : NULL,
				  pg_absent(closed_by) ? NULL : closed_by, closed_at ? c_at : NULL,
				  pg_absent(outcome) ? NULL : outcome, note ? note : "" };
	PGresult *r = NULL;
	int rc;

	pg_fmt_i64(id, sizeof(id), task_id);
	pg_fmt_i64(t_at, sizeof(t_at), taken_at);
	pg_fmt_i64(lease, sizeof(lease), lease_until);
	pg_fmt_i64(c_at, sizeof(c_at), closed_at);
	rc = pg_query(q, "INSERT INTO queue_tasks (outbox_id, taken_by, taken_at, lease_until, "
		      "closed_by, closed_at, outcome, note) VALUES ($1::bigint, $2::text, "
		      "$3::bigint, $4::bigint, $5::text, $6::bigint, $7::text, $8::text) "
		      "ON CONFLICT (outbox_id) DO UPDATE SET taken_by = excluded.taken_by, "
		      "taken_at = excluded.taken_at, lease_until = excluded.lease_until, "
		      "closed_by = excluded.closed_by, closed_at = excluded.closed_at, "
		      "outcome = excluded.outcome, note = excluded.note",
		      8, NULL, params, &r, "writing a task");
	PQclear(r);
	return rc;
}
