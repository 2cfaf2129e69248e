/*
 * The serve state (store.h "serve state") on both engines: every STATE_TEST
 * runs in the suite store_serve_state_sqlite (a fresh file in a fresh
 * temporary folder) and in store_serve_state_pg (a fresh database on the
 * server named by RELANCE_TEST_PG_URL, dropped at the end; without the
 * variable the PostgreSQL tests fail rather than pass unseen). Two stores
 * opened on one database stand for two nodes of `relance serve`.
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

enum p_engine { P_SQLITE, P_POSTGRES };

static enum p_engine p_engine;
static char p_url[1200], p_dir[1024], p_server[1024], p_name[64];
static struct store *p_store;

#define STATE_TEST(name) \
	static void name##_body(void); \
	Test(store_serve_state_sqlite, name) { name##_body(); } \
	Test(store_serve_state_pg, name) { name##_body(); } \
	static void name##_body(void)

/* ---- raw SQL and one database per test ---------------------------------------------- */

static void p_pg_url_for(const char *db, char *out, size_t size)
{
	const char *auth = strstr(p_server, "://"), *path, *query;

	cr_assert_not_null(auth, "RELANCE_TEST_PG_URL is not a URL: %s", p_server);
	path = auth + 3 + strcspn(auth + 3, "/?");
	query = strchr(path, '?');
	snprintf(out, size, "%.*s/%s%s", (int)(path - p_server), p_server, db, query ? query : "");
}

static int p_pg_exec_on(const char *url, const char *sql, char *msg, size_t size)
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

struct p_first {
	char *msg;
	size_t size;
	int seen;
};

static int p_sq_first(void *ctx, int n, char **values, char **names)
{
	struct p_first *f = ctx;

	(void)names;
	if (!f->seen && n > 0 && f->msg != NULL)
		snprintf(f->msg, f->size, "%s", values[0] ? values[0] : "");
	f->seen = 1;
	return 0;
}

/*
 * Runs sql (one statement or a script) on this test's database; returns 0,
 * or -1 with the reason in msg. The first value of a result goes to msg.
 */
static int p_exec(const char *sql, char *msg, size_t size)
{
	struct p_first f = { msg, size, 0 };
	sqlite3 *db = NULL;
	char *err = NULL;
	int rc;

	if (p_engine == P_POSTGRES)
		return p_pg_exec_on(p_url, sql, msg, size);
	if (msg != NULL && size > 0)
		msg[0] = '\0';
	cr_assert_eq(sqlite3_open_v2(p_url, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK,
		     "cannot open %s", p_url);
	sqlite3_busy_timeout(db, 10000);
	rc = sqlite3_exec(db, sql, p_sq_first, &f, &err);
	if (rc != SQLITE_OK && msg != NULL)
		snprintf(msg, size, "%s", err ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static int64_t p_count(const char *sql)
{
	char msg[512];

	cr_assert_eq(p_exec(sql, msg, sizeof(msg)), 0, "%s: %s", sql, msg);
	return strtoll(msg, NULL, 10);
}

static void p_sqlite_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	p_engine = P_SQLITE;
	snprintf(p_dir, sizeof(p_dir), "%s/relance-state.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(p_dir), "mkdtemp %s", p_dir);
	snprintf(p_url, sizeof(p_url), "%s/relance.db", p_dir);
	p_store = NULL;
}

static void p_pg_setup(void)
{
	const char *env = getenv("RELANCE_TEST_PG_URL");
	char admin[1200], sql[256], msg[512];
	struct timespec ts;

	p_engine = P_POSTGRES;
	cr_assert(env != NULL && env[0] != '\0', "RELANCE_TEST_PG_URL is not set: run the tests "
		  "through tests/run, or start a server with `scripts/pg-test-server start DIR` "
		  "and export the URL it prints");
	snprintf(p_server, sizeof(p_server), "%s", env);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(p_name, sizeof(p_name), "t_state_%ld_%ld_%ld", (long)getpid(), (long)ts.tv_sec,
		 (long)ts.tv_nsec);
	p_pg_url_for("postgres", admin, sizeof(admin));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' "
		 "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'", p_name);
	if (p_pg_exec_on(admin, sql, msg, sizeof(msg)) != 0) {
		/* A server built without ICU: its default collation will do. */
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", p_name);
		cr_assert_eq(p_pg_exec_on(admin, sql, msg, sizeof(msg)), 0, "CREATE DATABASE: %s",
			     msg);
	}
	p_pg_url_for(p_name, p_url, sizeof(p_url));
	p_store = NULL;
}

static void p_teardown(void)
{
	store_close(p_store);
	p_store = NULL;
	if (p_engine == P_POSTGRES && p_name[0] != '\0') {
		char admin[1200], sql[256];

		p_pg_url_for("postgres", admin, sizeof(admin));
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", p_name);
		p_pg_exec_on(admin, sql, NULL, 0);
	}
	if (p_engine == P_SQLITE && p_dir[0] != '\0') {
		DIR *d = opendir(p_dir);
		struct dirent *e;
		char path[1300];

		while (d != NULL && (e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", p_dir, e->d_name);
			remove(path);
		}
		if (d != NULL)
			closedir(d);
		rmdir(p_dir);
	}
}

TestSuite(store_serve_state_sqlite, .init = p_sqlite_setup, .fini = p_teardown);
TestSuite(store_serve_state_pg, .init = p_pg_setup, .fini = p_teardown);

/* ---- two nodes on one database ------------------------------------------------------- */

#define T0 1721919600   /* 2024-07-25T15:00:00Z */

static struct store *other;   /* the second node's */

static struct store *s_open(void)
{
	struct store *s = NULL;
	char err[512];
	int from;

	cr_assert_eq(store_open_ex(p_url, STORE_OPEN_CREATE, &s, err, sizeof(err)), STORE_OK,
		     "%s", err);
	cr_assert_eq(store_migrate(s, &from), STORE_OK, "%s", store_errmsg(s));
	return s;
}

/* This test's two stores: p_store (node A) and the returned one (node B). */
static struct store *s_ready(void)
{
	p_store = s_open();
	other = s_open();
	return p_store;
}

static void s_close_other(void)
{
	store_close(other);
	other = NULL;
}

/* A hex hash made of one repeated digit: distinct values for the tests. */
static const char *hx(char c, char buf[STORE_HASH_HEX])
{
	memset(buf, c, STORE_HASH_HEX - 1);
	buf[STORE_HASH_HEX - 1] = '\0';
	return buf;
}

/* ---- sessions ---------------------------------------------------------------------------- */

struct s_seen {
	int n;
	char csrf[64], user[64], role[32], scopes[128], customer_id[64];
	int64_t created_at, expires_at;
};

static int s_keep(void *ctx, const struct store_session *x)
{
	struct s_seen *v = ctx;

	v->n++;
	snprintf(v->csrf, sizeof(v->csrf), "%s", x->csrf);
	snprintf(v->user, sizeof(v->user), "%s", x->user);
	snprintf(v->role, sizeof(v->role), "%s", x->role);
	snprintf(v->scopes, sizeof(v->scopes), "%s", x->scopes);
	snprintf(v->customer_id, sizeof(v->customer_id), "%s", x->customer_id);
	v->created_at = x->created_at;
	v->expires_at = x->expires_at;
	return 0;
}

STATE_TEST(sessions_are_every_nodes_until_deleted_or_expired)
{
	struct store *a = s_ready();
	char h1[STORE_HASH_HEX], h2[STORE_HASH_HEX];
	struct store_session x = { "rl_csrf", "ana", "agent", "file:read file:write", NULL, T0,
				   T0 + 8 * 3600 };
	struct store_session c = { "rl_csrf2", "ana.souza", "customer", "portal", "C-BR-1", T0,
				   T0 + 60 };
	struct s_seen v = { 0 };

	hx('a', h1);
	hx('b', h2);
	cr_assert_eq(store_session_put(a, h1, &x), STORE_OK, "%s", store_errmsg(a));
	cr_assert_eq(store_session_put(a, h2, &c), STORE_OK, "%s", store_errmsg(a));
	cr_assert_eq(store_session_put(other, h1, &x), STORE_ERR_CONFLICT, "a hash taken twice");
	/* Node B reads what A wrote. */
	cr_assert_eq(store_session_get(other, h1, T0 + 10, s_keep, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_assert_str_eq(v.csrf, "rl_csrf");
	cr_assert_str_eq(v.user, "ana");
	cr_assert_str_eq(v.role, "agent");
	cr_assert_str_eq(v.scopes, "file:read file:write");
	cr_assert_str_eq(v.customer_id, "");
	cr_assert_eq(v.created_at, T0);
	cr_assert_eq(v.expires_at, T0 + 8 * 3600);
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_session_get(other, h2, T0 + 59, s_keep, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_assert_str_eq(v.customer_id, "C-BR-1");
	/* Expired: never handed over. */
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_session_get(a, h2, T0 + 60, s_keep, &v), STORE_OK);
	cr_assert_eq(v.n, 0, "an expired session was read");
	/* Signed out on B: gone for A at once. */
	cr_assert_eq(store_session_delete(other, h1), STORE_OK);
	cr_assert_eq(store_session_get(a, h1, T0 + 20, s_keep, &v), STORE_OK);
	cr_assert_eq(v.n, 0, "a deleted session was read");
	cr_assert_eq(store_session_delete(a, h1), STORE_OK, "deleting twice is no error");
	/* Only hex hashes of the right length. */
	cr_assert_eq(store_session_get(a, "rl_secret", T0, s_keep, &v), STORE_ERR_INPUT);
	cr_assert_eq(store_session_put(a, "ABCD", &x), STORE_ERR_INPUT);
	x.user = "";
	cr_assert_eq(store_session_put(a, hx('c', h1), &x), STORE_ERR_INPUT);
	s_close_other();
}

/* ---- attempts ---------------------------------------------------------------------------- */

STATE_TEST(attempts_count_across_nodes_within_a_window)
{
	struct store *a = s_ready();
	int64_t since = -1;
	int n = -1;

	cr_assert_eq(store_attempt_get(a, "max", T0, 900, &n, &since), STORE_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(since, 0);
	for (int i = 0; i < 3; i++) {
		struct store *node = i % 2 ? other : a;

		cr_assert_eq(store_attempt_failed(node, "max", T0 + i, 900), STORE_OK, "%s",
			     store_errmsg(node));
	}
	cr_assert_eq(store_attempt_get(other, "max", T0 + 5, 900, &n, &since), STORE_OK);
	cr_assert_eq(n, 3);
	cr_assert_eq(since, T0, "the window starts at the first failure");
	/* Another name is counted apart. */
	cr_assert_eq(store_attempt_get(a, "code:max", T0 + 5, 900, &n, &since), STORE_OK);
	cr_assert_eq(n, 0);
	/* The window ends: nothing counts, and the next failure starts a new one. */
	cr_assert_eq(store_attempt_get(a, "max", T0 + 900, 900, &n, &since), STORE_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(store_attempt_failed(a, "max", T0 + 1000, 900), STORE_OK);
	cr_assert_eq(store_attempt_get(other, "max", T0 + 1001, 900, &n, &since), STORE_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(since, T0 + 1000);
	/* A success clears them. */
	cr_assert_eq(store_attempt_failed(other, "max", T0 + 1002, 900), STORE_OK);
	cr_assert_eq(store_attempt_clear(other, "max"), STORE_OK);
	cr_assert_eq(store_attempt_get(a, "max", T0 + 1003, 900, &n, &since), STORE_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(store_attempt_failed(a, "", T0, 900), STORE_ERR_INPUT);
	s_close_other();
}

/* ---- one-time codes ---------------------------------------------------------------------- */

STATE_TEST(a_code_is_used_once_whatever_the_node)
{
	struct store *a = s_ready();
	char salt[STORE_HASH_HEX], hash[STORE_HASH_HEX], s1[STORE_HASH_HEX], h1[STORE_HASH_HEX],
		s2[STORE_HASH_HEX], h2[STORE_HASH_HEX];
	int issued = -1, found = -1, taken = -1;

	hx('1', s1);
	hx('2', h1);
	hx('3', s2);
	hx('4', h2);
	cr_assert_eq(store_code_get(a, "ana.souza", T0, salt, hash, &found), STORE_OK);
	cr_assert_eq(found, 0);
	cr_assert_eq(store_code_put(a, "ana.souza", s1, h1, T0, T0 + 600, 30, &issued), STORE_OK,
		     "%s", store_errmsg(a));
	cr_assert_eq(issued, 1);
	/* Asked again within the resend delay, on the other node: refused, the
	 * first one stays. */
	cr_assert_eq(store_code_put(other, "ana.souza", s2, h2, T0 + 29, T0 + 629, 30, &issued),
		     STORE_OK);
	cr_assert_eq(issued, 0, "a second code within the resend delay");
	cr_assert_eq(store_code_get(other, "ana.souza", T0 + 29, salt, hash, &found), STORE_OK);
	cr_assert_eq(found, 1);
	cr_assert_str_eq(salt, s1);
	cr_assert_str_eq(hash, h1);
	/* After it: the new code replaces the old. */
	cr_assert_eq(store_code_put(other, "ana.souza", s2, h2, T0 + 30, T0 + 630, 30, &issued),
		     STORE_OK);
	cr_assert_eq(issued, 1);
	cr_assert_eq(store_code_take(a, "ana.souza", h1, T0 + 31, &taken), STORE_OK);
	cr_assert_eq(taken, 0, "the replaced code was taken");
	cr_assert_eq(store_code_take(a, "marie", h2, T0 + 31, &taken), STORE_OK);
	cr_assert_eq(taken, 0, "another user's code was taken");
	cr_assert_eq(store_code_take(a, "ana.souza", h2, T0 + 31, &taken), STORE_OK);
	cr_assert_eq(taken, 1);
	cr_assert_eq(store_code_take(other, "ana.souza", h2, T0 + 32, &taken), STORE_OK);
	cr_assert_eq(taken, 0, "a code used twice");
	cr_assert_eq(store_code_get(a, "ana.souza", T0 + 32, salt, hash, &found), STORE_OK);
	cr_assert_eq(found, 0);
	/* Expired: neither read nor taken; a new one may be asked at once. */
	cr_assert_eq(store_code_put(a, "marie", s1, h1, T0, T0 + 600, 30, &issued), STORE_OK);
	cr_assert_eq(store_code_get(a, "marie", T0 + 600, salt, hash, &found), STORE_OK);
	cr_assert_eq(found, 0);
	cr_assert_eq(store_code_take(a, "marie", h1, T0 + 600, &taken), STORE_OK);
	cr_assert_eq(taken, 0, "an expired code was taken");
	cr_assert_eq(store_code_put(a, "olena", s1, "nothex", T0, T0 + 600, 30, &issued),
		     STORE_ERR_INPUT);
	s_close_other();
}

/* ---- idempotency keys -------------------------------------------------------------------- */

struct s_answer {
	int n, status;
	char type[64], location[64], body[64];
	size_t len;
};

static int s_replay(void *ctx, const struct store_idem_answer *a)
{
	struct s_answer *v = ctx;

	v->n++;
	v->status = a->status;
	snprintf(v->type, sizeof(v->type), "%s", a->content_type);
	snprintf(v->location, sizeof(v->location), "%s", a->location);
	cr_assert_leq(a->len, sizeof(v->body));
	memcpy(v->body, a->body, a->len);
	v->len = a->len;
	return 0;
}

/* begin on `s` at `now`, with records created before now - 100 expired and
 * those busy before now - 10 stale. */
static int s_begin(struct store *s, const char *caller, const char *key, const char *fp,
		   int64_t now, struct s_answer *v)
{
	int verdict = -1;

	memset(v, 0, sizeof(*v));
	cr_assert_eq(store_idem_begin(s, caller, key, fp, now, now - 100, now - 10, &verdict,
				      s_replay, v), STORE_OK, "%s", store_errmsg(s));
	return verdict;
}

STATE_TEST(an_idempotency_key_is_taken_by_one_node_and_replayed_by_all)
{
	static const char body[] = "{\"a\":1}\0tail";   /* a NUL inside, kept */
	struct store *a = s_ready();
	char f1[STORE_HASH_HEX], f2[STORE_HASH_HEX];
	struct store_idem_answer ans = { 201, "application/json", "/api/v1/x/1", body,
					 sizeof(body) - 1 };
	struct s_answer v;

	hx('e', f1);
	hx('f', f2);
	cr_assert_eq(s_begin(a, "billing", "k1", f1, T0, &v), STORE_IDEM_FIRST);
	cr_assert_eq(s_begin(other, "billing", "k1", f1, T0, &v), STORE_IDEM_BUSY);
	cr_assert_eq(s_begin(other, "billing", "k1", f2, T0, &v), STORE_IDEM_MISMATCH);
	/* Keys are per caller. */
	cr_assert_eq(s_begin(other, "crm", "k1", f2, T0, &v), STORE_IDEM_FIRST);
	/* An answer for another fingerprint does not touch the record. */
	cr_assert_eq(store_idem_end(other, "billing", "k1", f2, &ans), STORE_OK);
	cr_assert_eq(s_begin(other, "billing", "k1", f1, T0 + 1, &v), STORE_IDEM_BUSY);
	cr_assert_eq(store_idem_end(a, "billing", "k1", f1, &ans), STORE_OK, "%s",
		     store_errmsg(a));
	cr_assert_eq(s_begin(other, "billing", "k1", f1, T0 + 2, &v), STORE_IDEM_REPLAY);
	cr_assert_eq(v.n, 1);
	cr_assert_eq(v.status, 201);
	cr_assert_str_eq(v.type, "application/json");
	cr_assert_str_eq(v.location, "/api/v1/x/1");
	cr_assert_eq(v.len, sizeof(body) - 1);
	cr_assert_eq(memcmp(v.body, body, v.len), 0, "the body replayed differs");
	cr_assert_eq(s_begin(other, "billing", "k1", f2, T0 + 2, &v), STORE_IDEM_MISMATCH);
	cr_assert_eq(v.n, 0);
	/* Expired: the key is free again. */
	cr_assert_eq(s_begin(a, "billing", "k1", f2, T0 + 100, &v), STORE_IDEM_FIRST);
	/* A 5xx forgets the key: the request may be tried again. */
	cr_assert_eq(store_idem_end(a, "billing", "k1", f2, NULL), STORE_OK);
	cr_assert_eq(s_begin(other, "billing", "k1", f1, T0 + 101, &v), STORE_IDEM_FIRST);
	/* Left busy by a node that died: taken again once stale. */
	cr_assert_eq(s_begin(a, "billing", "k1", f1, T0 + 110, &v), STORE_IDEM_BUSY);
	cr_assert_eq(s_begin(a, "billing", "k1", f1, T0 + 111, &v), STORE_IDEM_FIRST);
	/* An empty answer body. */
	ans.body = NULL;
	ans.len = 0;
	ans.status = 204;
	ans.location = "";
	cr_assert_eq(store_idem_end(a, "billing", "k1", f1, &ans), STORE_OK);
	cr_assert_eq(s_begin(a, "billing", "k1", f1, T0 + 112, &v), STORE_IDEM_REPLAY);
	cr_assert_eq(v.status, 204);
	cr_assert_eq(v.len, 0);
	cr_assert_eq(store_idem_begin(a, "billing", "", f1, T0, T0, T0, &v.n, s_replay, &v),
		     STORE_ERR_INPUT);
	s_close_other();
}

/* ---- the sweep --------------------------------------------------------------------------- */

STATE_TEST(the_sweep_deletes_what_expired_and_nothing_else)
{
	struct store *a = s_ready();
	char h[STORE_HASH_HEX], g[STORE_HASH_HEX];
	struct store_session x = { "c", "ana", "agent", "file:read", "", T0, T0 + 10 };
	struct s_answer v;
	int issued;

	cr_assert_eq(store_session_put(a, hx('1', h), &x), STORE_OK);
	x.expires_at = T0 + 1000;
	cr_assert_eq(store_session_put(a, hx('2', h), &x), STORE_OK);
	cr_assert_eq(store_attempt_failed(a, "old", T0 - 900, 900), STORE_OK);
	cr_assert_eq(store_attempt_failed(a, "new", T0, 900), STORE_OK);
	cr_assert_eq(store_code_put(a, "old", hx('3', h), hx('4', g), T0 - 600, T0, 30, &issued),
		     STORE_OK);
	cr_assert_eq(store_code_put(a, "new", hx('3', h), hx('4', g), T0, T0 + 600, 30, &issued),
		     STORE_OK);
	cr_assert_eq(s_begin(a, "billing", "old", hx('5', h), T0 - 50, &v), STORE_IDEM_FIRST);
	cr_assert_eq(s_begin(a, "billing", "new", hx('5', h), T0, &v), STORE_IDEM_FIRST);
	cr_assert_eq(store_serve_sweep(other, T0 + 10, T0 - 50), STORE_OK, "%s",
		     store_errmsg(other));
	cr_assert_eq(p_count("SELECT count(*) FROM serve_sessions"), 1);
	cr_assert_eq(p_count("SELECT count(*) FROM serve_attempts WHERE name = 'new'"), 1);
	cr_assert_eq(p_count("SELECT count(*) FROM serve_attempts"), 1);
	cr_assert_eq(p_count("SELECT count(*) FROM serve_codes WHERE user_name = 'new'"), 1);
	cr_assert_eq(p_count("SELECT count(*) FROM serve_codes"), 1);
	cr_assert_eq(p_count("SELECT count(*) FROM serve_idempotency WHERE idem_key = 'new'"), 1);
	cr_assert_eq(p_count("SELECT count(*) FROM serve_idempotency"), 1);
	s_close_other();
}
