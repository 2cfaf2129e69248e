/*
 * The work queues of the store (store.h "work queues") on both engines:
 * every QUEUES_TEST runs in the suite store_queues_sqlite (a fresh file in a
 * fresh temporary folder) and in store_queues_pg (a fresh database on the
 * server named by RELANCE_TEST_PG_URL, dropped at the end; without it the
 * PostgreSQL tests fail rather than pass unseen). Raw SQL checks go through
 * the engine's own client library on a connection of their own.
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

enum q_engine { Q_SQLITE, Q_POSTGRES };

static enum q_engine q_engine;
static char q_url[1200], q_dir[1024], q_server[1024], q_name[64];
static struct store *q_store;

#define QUEUES_TEST(name) \
	static void name##_body(void); \
	Test(store_queues_sqlite, name) { name##_body(); } \
	Test(store_queues_pg, name) { name##_body(); } \
	static void name##_body(void)

/* ---- one database per test ------------------------------------------------------------ */

static void q_pg_url_for(const char *db, char *out, size_t size)
{
	const char *auth = strstr(q_server, "://"), *path, *query;

	cr_assert_not_null(auth, "RELANCE_TEST_PG_URL is not a URL: %s", q_server);
	path = auth + 3 + strcspn(auth + 3, "/?");
	query = strchr(path, '?');
	snprintf(out, size, "%.*s/%s%s", (int)(path - q_server), q_server, db, query ? query : "");
}

/* Runs sql on a connection of its own; 0, or -1 with the reason in msg. */
static int q_exec(const char *sql, char *msg, size_t size)
{
	msg[0] = '\0';
	if (q_engine == Q_POSTGRES) {
		PGconn *c = PQconnectdb(q_url);
		PGresult *r;
		int rc = 0;

		cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
		r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
			snprintf(msg, size, "%s", PQresultErrorMessage(r));
			rc = -1;
		} else if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
			snprintf(msg, size, "%s", PQgetvalue(r, 0, 0));
		}
		PQclear(r);
		PQfinish(c);
		return rc;
	} else {
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;
		int rc = -1;

		cr_assert_eq(sqlite3_open_v2(q_url, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
		sqlite3_busy_timeout(db, 10000);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
			int step = sqlite3_step(st);

			if (step == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
				snprintf(msg, size, "%s", sqlite3_column_text(st, 0));
			rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
		}
		if (rc != 0)
			snprintf(msg, size, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_close(db);
		return rc;
	}
}

static void q_sqlite_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	q_engine = Q_SQLITE;
	snprintf(q_dir, sizeof(q_dir), "%s/relance-queues.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(q_dir));
	snprintf(q_url, sizeof(q_url), "%s/relance.db", q_dir);
	q_store = NULL;
}

static void q_pg_setup(void)
{
	const char *env = getenv("RELANCE_TEST_PG_URL");
	char admin[1200], sql[256];
	struct timespec ts;
	PGconn *c;
	PGresult *r;

	q_engine = Q_POSTGRES;
	cr_assert(env != NULL && env[0] != '\0', "RELANCE_TEST_PG_URL is not set: run the tests "
		  "through tests/run");
	snprintf(q_server, sizeof(q_server), "%s", env);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(q_name, sizeof(q_name), "t_queues_%ld_%ld_%ld", (long)getpid(), (long)ts.tv_sec,
		 (long)ts.tv_nsec);
	q_pg_url_for("postgres", admin, sizeof(admin));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", q_name);
	c = PQconnectdb(admin);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexec(c, sql);
	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	q_pg_url_for(q_name, q_url, sizeof(q_url));
	q_store = NULL;
}

static void q_teardown(void)
{
	store_close(q_store);
	q_store = NULL;
	if (q_engine == Q_POSTGRES && q_name[0] != '\0') {
		char admin[1200], sql[256];
		PGconn *c;

		q_pg_url_for("postgres", admin, sizeof(admin));
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", q_name);
		c = PQconnectdb(admin);
		PQclear(PQexec(c, sql));
		PQfinish(c);
	}
	if (q_engine == Q_SQLITE && q_dir[0] != '\0') {
		DIR *d = opendir(q_dir);
		struct dirent *e;
		char path[1300];

		while (d != NULL && (e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", q_dir, e->d_name);
			remove(path);
		}
		if (d != NULL)
			closedir(d);
		rmdir(q_dir);
	}
}

TestSuite(store_queues_sqlite, .init = q_sqlite_setup, .fini = q_teardown);
TestSuite(store_queues_pg, .init = q_pg_setup, .fini = q_teardown);

/* ---- a store with tasks --------------------------------------------------------------- */

#define T0 1721919600   /* 2024-07-25T15:00:00Z */

static int finish_done(void *ctx, const struct outbox_view *v)
{
	struct store *s = ctx;

	return store_outbox_finish(s, v->outbox_id, "worker", "done", "queued (recorded)",
				   v->due_at, 0);
}

/*
 * Customers C1 (account A1) and C2 (account A2), and outbox rows performed
 * at their due_at: queue tasks
 *   1 A1 "calls"  priority 5, decided T0
 *   2 A2 "calls"  priority 3, decided T0 + 10
 *   3 A1 "calls"  priority 3, decided T0 + 20
 *   4 A2 "fix"    no priority (5), decided T0 + 30
 * an SMS performed (5: not a task) and a queue row still pending (6: not
 * yet a task).
 */
static struct store *q_ready(void)
{
	struct customer_row c[2] = {
		{ 2, "C1", "Alice", "fr-FR", "Europe/Paris", "fr", "+33600000001", NULL, "" },
		{ 3, "C2", "Bosco", "fr-BI", "Africa/Bujumbura", "bi", NULL, "b@example.org", "" },
	};
	struct account_row a[2] = { { 2, "A1", "C1", "EUR" }, { 3, "A2", "C2", "BIF" } };
	const char *ids[2] = { "A1", "A2" };
	struct account_ref ref[2];
	struct store_outcome o[6];
	char err[512];
	int64_t imp = 0;
	int from;

	cr_assert_eq(store_open_ex(q_url, STORE_OPEN_CREATE, &q_store, err, sizeof(err)), STORE_OK,
		     "%s", err);
	cr_assert_eq(store_migrate(q_store, &from), STORE_OK, "%s", store_errmsg(q_store));
	cr_assert_eq(store_import_begin(q_store, "customers", "t.csv", T0, &imp), STORE_OK);
	cr_assert_eq(store_customers_put(q_store, imp, c, 2, o), STORE_OK, "%s",
		     store_errmsg(q_store));
	cr_assert_eq(store_import_begin(q_store, "accounts", "t.csv", T0, &imp), STORE_OK);
	cr_assert_eq(store_accounts_put(q_store, imp, a, 2, o), STORE_OK);
	cr_assert_eq(store_accounts_find(q_store, ids, 2, ref), STORE_OK);
	{
		struct outbox_row rows[6] = {
			{ "k1", ref[0].account_key, "queue", "enqueue", T0,
			  "{\"customer_id\":\"C1\",\"account_id\":\"A1\",\"target\":\"calls\","
			  "\"priority\":5}", 1, "ladder/call", T0 },
			{ "k2", ref[1].account_key, "queue", "enqueue", T0 + 10,
			  "{\"customer_id\":\"C2\",\"account_id\":\"A2\",\"target\":\"calls\","
			  "\"priority\":3}", 1, "ladder/negotiate", T0 + 10 },
			{ "k3", ref[0].account_key, "queue", "enqueue", T0 + 20,
			  "{\"customer_id\":\"C1\",\"account_id\":\"A1\",\"target\":\"calls\","
			  "\"priority\":3}", 1, "ladder/negotiate", T0 + 20 },
			{ "k4", ref[1].account_key, "queue", "enqueue", T0 + 30,
			  "{\"customer_id\":\"C2\",\"account_id\":\"A2\",\"target\":\"fix\","
			  "\"text\":\"fix the e-mail\"}", 0, "contacts/bad", T0 + 30 },
			{ "k5", ref[0].account_key, "sms", "send", T0 + 40,
			  "{\"customer_id\":\"C1\",\"account_id\":\"A1\",\"text\":\"hi\"}", 1, "", T0 },
			{ "k6", ref[0].account_key, "queue", "enqueue", T0 + 100000,
			  "{\"customer_id\":\"C1\",\"account_id\":\"A1\",\"target\":\"calls\"}", 1, "",
			  T0 },
		};

		cr_assert_eq(store_outbox_put(q_store, rows, 6, o), STORE_OK, "%s",
			     store_errmsg(q_store));
	}
	cr_assert_eq(store_outbox_claim(q_store, "worker", T0 + 50, 60, 100, finish_done, q_store),
		     STORE_OK, "%s", store_errmsg(q_store));
	return q_store;
}

struct q_seen {
	int64_t id[16];
	int priority[16];
	char taken_by[16][32], queue[16][32], text[16][64], customer[16][16], account[16][16];
	int64_t lease_until[16], closed_at[16];
	char outcome[16][32], note[16][64];
	size_t n;
};

static int q_keep(void *ctx, const struct task_view *t)
{
	struct q_seen *s = ctx;

	cr_assert_lt(s->n, 16);
	s->id[s->n] = t->task_id;
	s->priority[s->n] = t->priority;
	snprintf(s->taken_by[s->n], 32, "%s", t->taken_by);
	snprintf(s->queue[s->n], 32, "%s", t->queue);
	snprintf(s->text[s->n], 64, "%s", t->text);
	snprintf(s->customer[s->n], 16, "%s", t->customer_id);
	snprintf(s->account[s->n], 16, "%s", t->account_id);
	snprintf(s->outcome[s->n], 32, "%s", t->outcome);
	snprintf(s->note[s->n], 64, "%s", t->note);
	s->lease_until[s->n] = t->lease_until;
	s->closed_at[s->n] = t->closed_at;
	s->n++;
	return 0;
}

static struct q_seen q_list(const char *queue, int who, const char *user, int64_t now,
			    int64_t after, int64_t limit)
{
	struct task_filter f = { queue, who, user, now, after, limit };
	struct q_seen seen = { 0 };

	cr_assert_eq(store_tasks_list(q_store, &f, q_keep, &seen), STORE_OK, "%s",
		     store_errmsg(q_store));
	return seen;
}

struct q_counts {
	char name[4][32];
	int64_t open[4], unassigned[4], oldest[4];
	size_t n;
};

static int q_keep_queue(void *ctx, const struct queue_count *q)
{
	struct q_counts *c = ctx;

	cr_assert_lt(c->n, 4);
	snprintf(c->name[c->n], 32, "%s", q->queue);
	c->open[c->n] = q->open;
	c->unassigned[c->n] = q->unassigned;
	c->oldest[c->n] = q->oldest_at;
	c->n++;
	return 0;
}

/* ---- tests --------------------------------------------------------------------------------- */

QUEUES_TEST(open_tasks_by_priority_then_age_a_page_at_a_time)
{
	struct q_seen s;
	struct q_counts c = { 0 };

	q_ready();
	s = q_list("calls", STORE_TASKS_ANY, NULL, T0 + 60, 0, 100);
	cr_assert_eq(s.n, 3, "the performed queue rows of 'calls' only: %zu", s.n);
	cr_expect_eq(s.id[0], 2);
	cr_expect_eq(s.id[1], 3);
	cr_expect_eq(s.id[2], 1);
	cr_expect_eq(s.priority[0], 3);
	cr_expect_eq(s.priority[2], 5);
	cr_expect_str_eq(s.customer[0], "C2");
	cr_expect_str_eq(s.account[1], "A1");
	/* Pages: after task 2 come 3 then 1; after 3 only 1. */
	s = q_list("calls", STORE_TASKS_ANY, NULL, T0 + 60, 0, 1);
	cr_assert_eq(s.n, 1);
	cr_expect_eq(s.id[0], 2);
	s = q_list("calls", STORE_TASKS_ANY, NULL, T0 + 60, 2, 1);
	cr_assert_eq(s.n, 1);
	cr_expect_eq(s.id[0], 3);
	s = q_list("calls", STORE_TASKS_ANY, NULL, T0 + 60, 3, 10);
	cr_assert_eq(s.n, 1);
	cr_expect_eq(s.id[0], 1);
	/* Every queue; no priority given reads as 5. */
	s = q_list(NULL, STORE_TASKS_ANY, NULL, T0 + 60, 0, 100);
	cr_assert_eq(s.n, 4);
	cr_expect_eq(s.id[3], 4);
	cr_expect_eq(s.priority[3], 5);
	cr_expect_str_eq(s.queue[3], "fix");
	cr_expect_str_eq(s.text[3], "fix the e-mail");
	cr_assert_eq(store_queues_list(q_store, T0 + 60, q_keep_queue, &c), STORE_OK);
	cr_assert_eq(c.n, 2);
	cr_expect_str_eq(c.name[0], "calls");
	cr_expect_eq(c.open[0], 3);
	cr_expect_eq(c.unassigned[0], 3);
	cr_expect_eq(c.oldest[0], T0);
	cr_expect_str_eq(c.name[1], "fix");
	/* Bad filters. */
	{
		struct task_filter f = { "calls", STORE_TASKS_MINE, NULL, T0, 0, 10 };
		struct q_seen none = { 0 };

		cr_expect_eq(store_tasks_list(q_store, &f, q_keep, &none), STORE_ERR_INPUT);
		f.who = STORE_TASKS_ANY;
		f.limit = 0;
		cr_expect_eq(store_tasks_list(q_store, &f, q_keep, &none), STORE_ERR_INPUT);
	}
}

QUEUES_TEST(one_agent_holds_a_task_and_the_other_is_refused)
{
	struct q_seen s;
	struct q_counts c = { 0 };

	q_ready();
	cr_assert_eq(store_task_take(q_store, 2, "ana", T0 + 60, 1800), STORE_OK, "%s",
		     store_errmsg(q_store));
	cr_expect_eq(store_task_take(q_store, 2, "bob", T0 + 61, 1800), STORE_ERR_CONFLICT);
	cr_expect(strstr(store_errmsg(q_store), "task 2 is held by ana") != NULL, "%s",
		  store_errmsg(q_store));
	cr_expect_eq(store_task_close(q_store, 2, "bob", T0 + 61, "done", NULL, NULL),
		     STORE_ERR_CONFLICT);
	cr_expect_eq(store_task_release(q_store, 2, "bob", T0 + 61), STORE_ERR_CONFLICT);
	/* Renewed by its holder. */
	cr_assert_eq(store_task_take(q_store, 2, "ana", T0 + 100, 1800), STORE_OK);
	s = q_list("calls", STORE_TASKS_MINE, "ana", T0 + 120, 0, 10);
	cr_assert_eq(s.n, 1);
	cr_expect_eq(s.id[0], 2);
	cr_expect_str_eq(s.taken_by[0], "ana");
	cr_expect_eq(s.lease_until[0], T0 + 1900);
	s = q_list("calls", STORE_TASKS_MINE, "bob", T0 + 120, 0, 10);
	cr_expect_eq(s.n, 0);
	s = q_list("calls", STORE_TASKS_UNASSIGNED, NULL, T0 + 120, 0, 10);
	cr_assert_eq(s.n, 2);
	cr_expect_eq(s.id[0], 3);
	cr_assert_eq(store_queues_list(q_store, T0 + 120, q_keep_queue, &c), STORE_OK);
	cr_expect_eq(c.open[0], 3);
	cr_expect_eq(c.unassigned[0], 2);
	/* The lease runs out: bob may take it, and ana is refused now. */
	cr_assert_eq(store_task_take(q_store, 2, "bob", T0 + 1901, 1800), STORE_OK, "%s",
		     store_errmsg(q_store));
	cr_expect_eq(store_task_take(q_store, 2, "ana", T0 + 1902, 1800), STORE_ERR_CONFLICT);
	cr_assert_eq(store_task_release(q_store, 2, "bob", T0 + 1903), STORE_OK);
	cr_assert_eq(store_task_take(q_store, 2, "ana", T0 + 1904, 1800), STORE_OK);
	/* Not tasks: unknown, an SMS, a queue row not yet performed. */
	cr_expect_eq(store_task_take(q_store, 999, "ana", T0, 1800), STORE_ERR_INPUT);
	cr_expect_eq(store_task_take(q_store, 5, "ana", T0, 1800), STORE_ERR_INPUT);
	cr_expect_eq(store_task_take(q_store, 6, "ana", T0, 1800), STORE_ERR_INPUT);
	cr_expect(strstr(store_errmsg(q_store), "no task 6") != NULL);
	cr_expect_eq(store_task_take(q_store, 1, "", T0, 1800), STORE_ERR_INPUT);
}

struct q_last_entry {
	char kind[16], author[32], body[256], account[16];
	int64_t seq;
};

static int q_keep_entry(void *ctx, const struct file_entry_view *e)
{
	struct q_last_entry *l = ctx;

	snprintf(l->kind, sizeof(l->kind), "%s", e->kind);
	snprintf(l->author, sizeof(l->author), "%s", e->author);
	snprintf(l->body, sizeof(l->body), "%s", e->body);
	snprintf(l->account, sizeof(l->account), "%s", e->account_id);
	l->seq = e->seq;
	return 0;
}

QUEUES_TEST(a_close_is_final_and_written_on_the_file_by_the_agent)
{
	struct q_last_entry last = { 0 };
	struct q_seen s = { 0 };
	char msg[512];
	int64_t seq = 0;

	q_ready();
	cr_assert_eq(store_task_take(q_store, 4, "ana", T0 + 60, 1800), STORE_OK);
	/* Refused closes store nothing. */
	cr_expect_eq(store_task_close(q_store, 4, "ana", T0 + 70, "maybe", NULL, NULL),
		     STORE_ERR_INPUT);
	cr_expect(strstr(store_errmsg(q_store), "outcome 'maybe' is not one of") != NULL);
	cr_expect_eq(store_task_close(q_store, 4, "bob", T0 + 70, "done", NULL, NULL),
		     STORE_ERR_CONFLICT);
	cr_assert_eq(q_exec("SELECT count(*) FROM file_entries", msg, sizeof(msg)), 0, "%s", msg);
	cr_expect_str_eq(msg, "0");
	cr_assert_eq(store_task_close(q_store, 4, "ana", T0 + 80, "wrong-number", "a bakery",
				      &seq), STORE_OK, "%s", store_errmsg(q_store));
	cr_expect_eq(seq, 1);
	cr_assert_eq(store_file_scan(q_store, "C2", q_keep_entry, &last), STORE_OK);
	cr_expect_eq(last.seq, 1);
	cr_expect_str_eq(last.kind, "task");
	cr_expect_str_eq(last.author, "ana");
	cr_expect_str_eq(last.account, "A2");
	cr_expect_str_eq(last.body, "task 4 on queue fix closed: wrong-number: a bakery (task: fix "
			 "the e-mail)");
	/* Closed: out of the lists, final, and readable as it was closed. */
	cr_expect_eq(q_list("fix", STORE_TASKS_ANY, NULL, T0 + 90, 0, 10).n, 0);
	cr_expect_eq(store_task_close(q_store, 4, "ana", T0 + 90, "done", NULL, NULL),
		     STORE_ERR_CONFLICT);
	cr_expect(strstr(store_errmsg(q_store), "task 4 was closed by ana") != NULL);
	cr_expect_eq(store_task_take(q_store, 4, "bob", T0 + 90, 1800), STORE_ERR_CONFLICT);
	cr_assert_eq(store_task_get(q_store, 4, T0 + 90, q_keep, &s), STORE_OK);
	cr_assert_eq(s.n, 1);
	cr_expect_str_eq(s.outcome[0], "wrong-number");
	cr_expect_str_eq(s.note[0], "a bakery");
	cr_expect_eq(s.closed_at[0], T0 + 80);
	/* A free task may be closed by anyone, without a take. */
	cr_assert_eq(store_task_close(q_store, 1, "bob", T0 + 95, "not-needed", NULL, NULL),
		     STORE_OK, "%s", store_errmsg(q_store));
	/* The schema refuses to change or delete what was closed. */
	cr_expect_neq(q_exec("UPDATE queue_tasks SET outcome = 'done' WHERE outbox_id = 4", msg,
			     sizeof(msg)), 0);
	cr_expect_neq(q_exec("DELETE FROM queue_tasks WHERE outbox_id = 4", msg, sizeof(msg)), 0);
	cr_assert_eq(q_exec("SELECT outcome FROM queue_tasks WHERE outbox_id = 4", msg,
			    sizeof(msg)), 0, "%s", msg);
	cr_expect_str_eq(msg, "wrong-number");
}
