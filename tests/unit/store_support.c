/*
 * store_support — see store_support.h.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/store/store.h"
/* For the migration scripts themselves: store_support_at_version. */
#include "../../src/store/store_impl.h"
#include "store_support.h"

struct store_support store_support;

/* ---- raw SQL through each engine's client library ------------------------------- */

void store_support_pg_url_for(const char *db, char *out, size_t size)
{
	const char *server = store_support.server;
	const char *auth = strstr(server, "://");
	const char *path, *query;

	cr_assert_not_null(auth, "RELANCE_TEST_PG_URL is not a URL: %s", server);
	path = auth + 3 + strcspn(auth + 3, "/?");
	query = strchr(path, '?');
	snprintf(out, size, "%.*s/%s%s", (int)(path - server), server, db, query ? query : "");
}

/* As store_support_exec, on a fresh connection to url. */
static int pg_exec_on(const char *url, const char *sql, char *msg, size_t size)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;
	int rc = 0;

	if (msg != NULL && size > 0)
		msg[0] = '\0';
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "cannot connect to %s: %s", url,
		     PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		if (msg != NULL)
			snprintf(msg, size, "%s", PQresultErrorMessage(r));
		rc = -1;
	} else if (msg != NULL && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
		snprintf(msg, size, "%s", PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

struct sq_first {
	char *msg;
	size_t size;
	int seen;
};

/* Keeps the first value of the first row; NULL reads as "", as in libpq. */
static int sq_first(void *ctx, int n, char **values, char **names)
{
	struct sq_first *f = ctx;

	(void)names;
	if (!f->seen && n > 0 && f->msg != NULL)
		snprintf(f->msg, f->size, "%s", values[0] ? values[0] : "");
	f->seen = 1;
	return 0;
}

/* As pg_exec_on, on the SQLite file path, which must exist. */
static int sq_exec_on(const char *path, const char *sql, char *msg, size_t size)
{
	struct sq_first f = { msg, size, 0 };
	sqlite3 *db = NULL;
	char *err = NULL;
	int rc;

	if (msg != NULL && size > 0)
		msg[0] = '\0';
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		char why[256];

		snprintf(why, sizeof(why), "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		cr_assert_fail("cannot open %s: %s", path, why);
	}
	sqlite3_busy_timeout(db, 10000);
	rc = sqlite3_exec(db, sql, sq_first, &f, &err);
	if (rc != SQLITE_OK && msg != NULL)
		snprintf(msg, size, "%s", err ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

int store_support_exec(const char *sql, char *msg, size_t size)
{
	if (store_support.engine == STORE_SUPPORT_SQLITE)
		return sq_exec_on(store_support.url, sql, msg, size);
	return pg_exec_on(store_support.url, sql, msg, size);
}

int64_t store_support_int(const char *sql)
{
	char msg[512];

	cr_assert_eq(store_support_exec(sql, msg, sizeof(msg)), 0, "%s: %s", sql, msg);
	return strtoll(msg, NULL, 10);
}

/* ---- one database per test ---------------------------------------------------------- */

void store_support_sqlite_init(const char *tag)
{
	const char *tmp = getenv("TMPDIR");

	store_support.engine = STORE_SUPPORT_SQLITE;
	snprintf(store_support.dir, sizeof(store_support.dir), "%s/relance-%s.XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", tag);
	cr_assert_not_null(mkdtemp(store_support.dir), "mkdtemp %s", store_support.dir);
	snprintf(store_support.url, sizeof(store_support.url), "%s/relance.db",
		 store_support.dir);
	store_support.store = NULL;
}

void store_support_pg_init(const char *tag)
{
	const char *env = getenv("RELANCE_TEST_PG_URL");
	char admin[1200], sql[256], msg[512];
	struct timespec ts;

	store_support.engine = STORE_SUPPORT_POSTGRES;
	cr_assert(env != NULL && env[0] != '\0',
		  "RELANCE_TEST_PG_URL is not set: run the tests through tests/run, or start "
		  "a server with `scripts/pg-test-server start DIR` and export the URL it prints");
	snprintf(store_support.server, sizeof(store_support.server), "%s", env);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(store_support.name, sizeof(store_support.name), "t_%s_%ld_%ld_%ld", tag,
		 (long)getpid(), (long)ts.tv_sec, (long)ts.tv_nsec);
	store_support_pg_url_for("postgres", admin, sizeof(admin));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' "
		 "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'", store_support.name);
	if (pg_exec_on(admin, sql, msg, sizeof(msg)) != 0) {
		/* A server built without ICU: its default collation will do. */
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", store_support.name);
		cr_assert_eq(pg_exec_on(admin, sql, msg, sizeof(msg)), 0, "CREATE DATABASE: %s",
			     msg);
	}
	store_support_pg_url_for(store_support.name, store_support.url, sizeof(store_support.url));
	store_support.store = NULL;
}

/* Removes the test's folder: the file, its -wal and -shm companions and
 * whatever a test wrote next to them (tests make no subfolders). */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1300];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		remove(path);
	}
	closedir(d);
	rmdir(dir);
}

void store_support_fini(void)
{
	store_close(store_support.store);
	store_support.store = NULL;
	if (store_support.engine == STORE_SUPPORT_POSTGRES && store_support.name[0] != '\0') {
		char admin[1200], sql[256];

		store_support_pg_url_for("postgres", admin, sizeof(admin));
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
			 store_support.name);
		pg_exec_on(admin, sql, NULL, 0);
	}
	if (store_support.engine == STORE_SUPPORT_SQLITE && store_support.dir[0] != '\0')
		remove_dir(store_support.dir);
}

/* ---- the store under test ------------------------------------------------------------ */

struct store *store_support_open(void)
{
	struct store *s = NULL;
	char err[512];
	int rc = store_open_ex(store_support.url, STORE_OPEN_CREATE, &s, err, sizeof(err));

	cr_assert_eq(rc, STORE_OK, "store_open_ex(%s): %s", store_support.url, err);
	cr_assert_str_eq(store_engine(s),
			 store_support.engine == STORE_SUPPORT_SQLITE ? "sqlite" : "postgresql");
	return s;
}

struct store *store_support_ready(void)
{
	int from = -1;

	store_support.store = store_support_open();
	cr_assert_eq(store_migrate(store_support.store, &from), STORE_OK, "%s",
		     store_errmsg(store_support.store));
	return store_support.store;
}

struct store *store_support_at_version(int version)
{
	const char *const *scripts = store_support.engine == STORE_SUPPORT_SQLITE ?
		store_sqlite_migrations : store_postgres_migrations;
	char sql[64], msg[512];

	cr_assert(version >= 1 && version <= STORE_SCHEMA_VERSION, "version %d", version);
	store_support.store = store_support_open();
	for (int v = 0; v < version; v++)
		cr_assert_eq(store_support_exec(scripts[v], msg, sizeof(msg)), 0, "script %d: %s",
			     v + 1, msg);
	snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d", version);
	cr_assert_eq(store_support_exec(sql, msg, sizeof(msg)), 0, "%s", msg);
	return store_support.store;
}
