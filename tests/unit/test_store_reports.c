/*
 * The managers' reports of the store (store.h "managers' reports") on
 * both engines: every REPORT_TEST runs in the suite store_reports_sqlite (a
 * fresh file in a fresh temporary folder) and in store_reports_pg (a fresh
 * database on the server of RELANCE_TEST_PG_URL, dropped at the end), as
 * tests/unit/test_store.c does for the rest of the interface. Without
 * RELANCE_TEST_PG_URL the PostgreSQL tests fail: a skipped engine would
 * look like a passing one.
 *
 * The rows are written through the store itself (imports, outbox puts,
 * claims and finishes, arrangements), at instants chosen around a period
 * [FROM, TO) so that each row tests one edge of it.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/store/store.h"

enum r_engine { R_SQLITE, R_POSTGRES };

static enum r_engine r_engine;
static char r_url[1200];
static struct store *r_store;
static char r_dir[1024];
static char r_server[1024];
static char r_name[64];

#define REPORT_TEST(name) \
	static void name##_body(void); \
	Test(store_reports_sqlite, name) { name##_body(); } \
	Test(store_reports_pg, name) { name##_body(); } \
	static void name##_body(void)

/* The period of every test: ten days from day 19800 (2024-03-18), UTC. */
#define DAY 86400
#define FROM ((int64_t)19800 * DAY)
#define TO (FROM + 10 * DAY)
#define HOUR 3600

/* ---- one database per test ------------------------------------------------------------ */

static void r_pg_url_for(const char *db, char *out, size_t size)
{
	const char *auth = strstr(r_server, "://");
	const char *path, *query;

	cr_assert_not_null(auth, "RELANCE_TEST_PG_URL is not a URL: %s", r_server);
	path = auth + 3 + strcspn(auth + 3, "/?");
	query = strchr(path, '?');
	snprintf(out, size, "%.*s/%s%s", (int)(path - r_server), r_server, db,
		 query ? query : "");
}

static void r_pg_exec(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "cannot connect to %s: %s", url,
		     PQerrorMessage(c));
	r = PQexec(c, sql);
	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

static void r_sqlite_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	r_engine = R_SQLITE;
	snprintf(r_dir, sizeof(r_dir), "%s/relance-reports.XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(r_dir), "mkdtemp %s", r_dir);
	snprintf(r_url, sizeof(r_url), "%s/relance.db", r_dir);
	r_store = NULL;
}

static void r_pg_setup(void)
{
	const char *env = getenv("RELANCE_TEST_PG_URL");
	char admin[1200], sql[256];
	struct timespec ts;

	r_engine = R_POSTGRES;
	cr_assert(env != NULL && env[0] != '\0',
		  "RELANCE_TEST_PG_URL is not set: run the tests through tests/run, or start "
		  "a server with `scripts/pg-test-server start DIR` and export the URL it prints");
	snprintf(r_server, sizeof(r_server), "%s", env);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(r_name, sizeof(r_name), "t_reports_%ld_%ld_%ld", (long)getpid(),
		 (long)ts.tv_sec, (long)ts.tv_nsec);
	r_pg_url_for("postgres", admin, sizeof(admin));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", r_name);
	r_pg_exec(admin, sql);
	r_pg_url_for(r_name, r_url, sizeof(r_url));
	r_store = NULL;
}

static void r_teardown(void)
{
	store_close(r_store);
	r_store = NULL;
	if (r_engine == R_POSTGRES && r_name[0] != '\0') {
		char admin[1200], sql[256];

		r_pg_url_for("postgres", admin, sizeof(admin));
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", r_name);
		r_pg_exec(admin, sql);
	}
	if (r_engine == R_SQLITE && r_dir[0] != '\0') {
		DIR *d = opendir(r_dir);
		struct dirent *e;
		char path[1300];

		while (d != NULL && (e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", r_dir, e->d_name);
			remove(path);
		}
		if (d != NULL)
			closedir(d);
		rmdir(r_dir);
	}
}

TestSuite(store_reports_sqlite, .init = r_sqlite_setup, .fini = r_teardown);
TestSuite(store_reports_pg, .init = r_pg_setup, .fini = r_teardown);

/* ---- rows -------------------------------------------------------------------------------- */

/* A migrated store with customers C1 (jurisdiction br) and C2 (bi) and
 * their accounts A1 (EUR) and A2 (BIF); their keys in *a1 and *a2. */
static struct store *r_ready(int64_t *a1, int64_t *a2)
{
	struct customer_row c[2] = {
		{ 2, "C1", "Alice", "pt-BR", "America/Sao_Paulo", "br", NULL, NULL, "" },
		{ 3, "C2", "Bosco", "fr-BI", "Africa/Bujumbura", "bi", NULL, NULL, "" },
	};
	struct account_row a[2] = { { 2, "A1", "C1", "EUR" }, { 3, "A2", "C2", "BIF" } };
	const char *ids[2] = { "A1", "A2" };
	struct account_ref ref[2];
	struct store_outcome o[2];
	char err[512];
	int64_t imp = 0;
	int from = -1;

	cr_assert_eq(store_open_ex(r_url, STORE_OPEN_CREATE, &r_store, err, sizeof(err)),
		     STORE_OK, "%s", err);
	cr_assert_eq(store_migrate(r_store, &from), STORE_OK, "%s", store_errmsg(r_store));
	cr_assert_eq(store_import_begin(r_store, "customers", "t.csv", 1, &imp), STORE_OK);
	cr_assert_eq(store_customers_put(r_store, imp, c, 2, o), STORE_OK, "%s",
		     store_errmsg(r_store));
	cr_assert_eq(store_import_begin(r_store, "accounts", "t.csv", 1, &imp), STORE_OK);
	cr_assert_eq(store_accounts_put(r_store, imp, a, 2, o), STORE_OK, "%s",
		     store_errmsg(r_store));
	cr_assert_eq(store_accounts_find(r_store, ids, 2, ref), STORE_OK);
	cr_assert(ref[0].found && ref[1].found);
	*a1 = ref[0].account_key;
	*a2 = ref[1].account_key;
	return r_store;
}

static void r_pay(struct store *s, int64_t account, const char *id, int64_t at, int64_t amount)
{
	struct credit_row r = { 2, account, { LEDGER_PAYMENT, id, NULL, at, 0, amount }, "card",
				NULL };
	struct store_outcome o;
	int64_t imp = 0;

	cr_assert_eq(store_import_begin(s, "payments", "p.csv", 1, &imp), STORE_OK);
	cr_assert_eq(store_credits_put(s, imp, &r, 1, &o), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(o.put, STORE_PUT_NEW, "payment %s", id);
}

struct r_finish {
	struct store *s;
	int64_t at;
	int n;
};

static int r_finish_row(void *ctx, const struct outbox_view *v)
{
	struct r_finish *f = ctx;

	cr_assert_eq(store_outbox_finish(f->s, v->outbox_id, "w", "done", "ok", f->at, 0),
		     STORE_OK, "%s", store_errmsg(f->s));
	f->n++;
	return 0;
}

/* An outbox row decided at `created` and performed ("done") at `done`. */
static void r_done(struct store *s, const char *key, int64_t account, const char *channel,
		   const char *action, const char *rule, int64_t created, int64_t done)
{
	struct outbox_row row = { key, account, channel, action, created,
				  "{\"level\":\"partial\"}", 1, rule, created };
	struct store_outcome o;
	struct r_finish f = { s, done, 0 };

	cr_assert_eq(store_outbox_put(s, &row, 1, &o), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_outbox_claim(s, "w", created, 60, 1, r_finish_row, &f), STORE_OK,
		     "%s", store_errmsg(s));
	cr_assert_eq(f.n, 1, "row %s not claimed", key);
}

/* ---- contacts ------------------------------------------------------------------------- */

#define R_MAX 16

struct r_contacts {
	struct store_report_contact_row v[R_MAX];
	char text[R_MAX][3][64];
	int n;
};

static int r_keep_contact(void *ctx, const struct store_report_contact_row *r)
{
	struct r_contacts *c = ctx;

	cr_assert_lt(c->n, R_MAX);
	c->v[c->n] = *r;
	snprintf(c->text[c->n][0], 64, "%s", r->channel);
	snprintf(c->text[c->n][1], 64, "%s", r->rule);
	snprintf(c->text[c->n][2], 64, "%s", r->currency);
	c->n++;
	return 0;
}

static void r_expect_contact(const struct r_contacts *c, int i, int kind, const char *channel,
			     const char *rule, const char *currency, int64_t messages,
			     int64_t messages_paid, int64_t payments, int64_t amount,
			     int64_t recovered_payments, int64_t recovered_amount)
{
	cr_assert_lt(i, c->n, "row %d missing", i);
	cr_expect_eq(c->v[i].kind, kind, "row %d kind", i);
	cr_expect_str_eq(c->text[i][0], channel, "row %d", i);
	cr_expect_str_eq(c->text[i][1], rule, "row %d", i);
	cr_expect_str_eq(c->text[i][2], currency, "row %d", i);
	cr_expect_eq(c->v[i].messages, messages, "row %d (%s) messages %lld", i, rule,
		     (long long)c->v[i].messages);
	cr_expect_eq(c->v[i].messages_paid, messages_paid, "row %d (%s) messages paid", i, rule);
	cr_expect_eq(c->v[i].payments, payments, "row %d (%s) payments", i, rule);
	cr_expect_eq(c->v[i].amount, amount, "row %d (%s) amount %lld", i, rule,
		     (long long)c->v[i].amount);
	cr_expect_eq(c->v[i].recovered_payments, recovered_payments, "row %d (%s) recovered", i,
		     rule);
	cr_expect_eq(c->v[i].recovered_amount, recovered_amount, "row %d (%s) recovered amount",
		     i, rule);
}

REPORT_TEST(contacts_count_messages_of_the_period_and_payments_of_the_period)
{
	int64_t a1, a2;
	struct store *s = r_ready(&a1, &a2);
	struct r_contacts c = { 0 };

	/* Two days before the period: an SMS whose payment falls in it. */
	r_done(s, "m1", a1, "sms", "send", "s/early/action#1", FROM - 2 * DAY, FROM - 2 * DAY);
	r_done(s, "m2", a1, "email", "send", "s/mid/action#1", FROM + DAY, FROM + DAY);
	/* The last hour of the period: its payment comes after it. */
	r_done(s, "m3", a1, "sms", "send", "s/late/action#1", TO - HOUR, TO - HOUR);
	/* A suspension is no message; a row not done is not performed. */
	r_done(s, "m4", a1, "provisioning", "suspend", "s/cut/action#1", FROM + 3 * DAY,
	       FROM + 3 * DAY);
	r_pay(s, a1, "P0", FROM - DAY, 999);           /* before the period: nowhere */
	r_pay(s, a1, "P1", FROM + HOUR, 100);          /* to m1, received in the period */
	r_pay(s, a1, "P2", FROM + DAY + HOUR, 200);    /* to m2 */
	r_pay(s, a1, "P3", TO + DAY, 300);             /* to m3, after the period */
	r_pay(s, a1, "P6", TO + 9 * DAY, 600);         /* beyond m3's window: nowhere */
	r_pay(s, a2, "P4", FROM + 2 * DAY, 5000);      /* no message: not attributed */
	cr_assert_eq(store_report_contacts(s, FROM, TO, 7 * DAY, r_keep_contact, &c), STORE_OK,
		     "%s", store_errmsg(s));
	cr_assert_eq(c.n, 4, "%d rows", c.n);
	r_expect_contact(&c, 0, STORE_CONTACT_RULE, "email", "s/mid/action#1", "EUR", 1, 1, 1, 200,
			 1, 200);
	r_expect_contact(&c, 1, STORE_CONTACT_RULE, "sms", "s/early/action#1", "EUR", 0, 0, 0, 0,
			 1, 100);
	r_expect_contact(&c, 2, STORE_CONTACT_RULE, "sms", "s/late/action#1", "EUR", 1, 1, 1, 300,
			 0, 0);
	r_expect_contact(&c, 3, STORE_CONTACT_UNATTRIBUTED, "", "", "BIF", 0, 0, 0, 0, 1, 5000);

	/* A window of one hour: P2 came an hour after m2, exactly at the end
	 * of it, and still counts; m1 is too old for P1 and P3 too late for
	 * m3: P1 is not attributed (P3 is not of the period). */
	memset(&c, 0, sizeof(c));
	cr_assert_eq(store_report_contacts(s, FROM, TO, HOUR, r_keep_contact, &c), STORE_OK);
	cr_assert_eq(c.n, 4, "%d rows", c.n);
	r_expect_contact(&c, 0, STORE_CONTACT_RULE, "email", "s/mid/action#1", "EUR", 1, 1, 1, 200,
			 1, 200);
	r_expect_contact(&c, 1, STORE_CONTACT_RULE, "sms", "s/late/action#1", "EUR", 1, 0, 0, 0, 0,
			 0);
	r_expect_contact(&c, 2, STORE_CONTACT_UNATTRIBUTED, "", "", "BIF", 0, 0, 0, 0, 1, 5000);
	r_expect_contact(&c, 3, STORE_CONTACT_UNATTRIBUTED, "", "", "EUR", 0, 0, 0, 0, 1, 100);
	/* A second less: P2 is not attributed either. */
	memset(&c, 0, sizeof(c));
	cr_assert_eq(store_report_contacts(s, FROM, TO, HOUR - 1, r_keep_contact, &c), STORE_OK);
	cr_assert_eq(c.n, 4, "%d rows", c.n);
	r_expect_contact(&c, 0, STORE_CONTACT_RULE, "email", "s/mid/action#1", "EUR", 1, 0, 0, 0, 0,
			 0);
	r_expect_contact(&c, 3, STORE_CONTACT_UNATTRIBUTED, "", "", "EUR", 0, 0, 0, 0, 2, 300);

	cr_expect_eq(store_report_contacts(s, TO, FROM, DAY, r_keep_contact, &c), STORE_ERR_INPUT);
	cr_expect_eq(store_report_contacts(s, FROM, TO, -1, r_keep_contact, &c), STORE_ERR_INPUT);
}

REPORT_TEST(contacts_of_an_empty_period_are_no_rows)
{
	int64_t a1, a2;
	struct store *s = r_ready(&a1, &a2);
	struct r_contacts c = { 0 };

	r_done(s, "m1", a1, "sms", "send", "s/x/action#1", FROM - 30 * DAY, FROM - 30 * DAY);
	r_pay(s, a1, "P1", FROM - 29 * DAY, 100);
	cr_assert_eq(store_report_contacts(s, FROM, TO, 7 * DAY, r_keep_contact, &c), STORE_OK);
	cr_expect_eq(c.n, 0);
}

/* ---- arrangements ------------------------------------------------------------------------- */

struct r_arrangements {
	char line[R_MAX][128];
	int n;
};

static int r_keep_arrangement(void *ctx, const struct store_report_arrangement *a)
{
	struct r_arrangements *r = ctx;

	cr_assert_lt(r->n, R_MAX);
	snprintf(r->line[r->n++], 128, "%s %s %s %lld %lld %s", a->arrangement_id, a->kind,
		 a->state, (long long)(a->created_at - FROM) / DAY,
		 (long long)(a->updated_at - FROM) / DAY, a->terms);
	return 0;
}

static void r_arrangement(struct store *s, const char *kind, const char *state, int64_t at,
			  const char *terms, char *id)
{
	const char *ids[1] = { "A1" };
	struct arrangement_new a = { kind, state, ids, 1, at, "ana", terms, NULL };

	cr_assert_eq(store_arrangement_create(s, &a, id, 32), STORE_OK, "%s", store_errmsg(s));
}

REPORT_TEST(arrangements_changed_in_the_period_or_live_now)
{
	int64_t a1, a2;
	struct store *s = r_ready(&a1, &a2);
	struct r_arrangements r = { 0 };
	char open[32], kept[32], old[32], late[32], plan[32], dispute[32];

	r_arrangement(s, "promise", "open", FROM - 5 * DAY, "{\"amount\":\"1.00\"}", open);
	r_arrangement(s, "promise", "open", FROM - 5 * DAY, "{\"amount\":\"2.00\"}", kept);
	cr_assert_eq(store_arrangement_update(s, kept, 1, "kept", NULL, FROM + DAY, "relance"),
		     STORE_OK, "%s", store_errmsg(s));
	r_arrangement(s, "promise", "open", FROM - 20 * DAY, "{}", old);
	cr_assert_eq(store_arrangement_update(s, old, 1, "broken", NULL, FROM - 10 * DAY,
					      "relance"), STORE_OK);
	/* Broken at the very end of the period: outside [FROM, TO). */
	r_arrangement(s, "promise", "open", FROM - 2 * DAY, "{}", late);
	cr_assert_eq(store_arrangement_update(s, late, 1, "broken", NULL, TO, "relance"),
		     STORE_OK);
	r_arrangement(s, "plan", "current", TO + DAY, "{}", plan);
	r_arrangement(s, "dispute", "open", FROM + DAY, "{}", dispute);
	cr_assert_eq(store_report_arrangements(s, FROM, TO, r_keep_arrangement, &r), STORE_OK,
		     "%s", store_errmsg(s));
	cr_assert_eq(r.n, 2, "%d arrangements", r.n);
	cr_expect_str_eq(r.line[0], "PR-1 promise open -5 -5 {\"amount\":\"1.00\"}");
	cr_expect_str_eq(r.line[1], "PR-2 promise kept -5 1 {\"amount\":\"2.00\"}");
	cr_expect_eq(store_report_arrangements(s, TO, FROM, r_keep_arrangement, &r),
		     STORE_ERR_INPUT);
}

/* ---- suspensions and restorations ----------------------------------------------------------- */

struct r_provisioning {
	char line[R_MAX][200];
	int n;
};

static int r_keep_provisioning(void *ctx, const struct store_report_provisioning *p)
{
	struct r_provisioning *r = ctx;

	cr_assert_lt(r->n, R_MAX);
	snprintf(r->line[r->n++], 200, "%s %s %s %s %s v%lld %lld %lld %lld %s", p->action,
		 p->account_id, p->customer_id, p->jurisdiction, p->rule,
		 (long long)p->policy_version, (long long)(p->created_at - FROM) / HOUR,
		 (long long)(p->done_at - FROM) / HOUR,
		 p->paid_at ? (long long)(p->paid_at - FROM) / HOUR : -1LL, p->payload);
	return 0;
}

REPORT_TEST(provisioning_of_the_period_with_the_clearing_payment)
{
	int64_t a1, a2;
	struct store *s = r_ready(&a1, &a2);
	struct r_provisioning r = { 0 };

	r_done(s, "old", a1, "provisioning", "restore", "s/cut/action#1/restore", FROM - DAY,
	       FROM - DAY);
	r_pay(s, a1, "P0", FROM, 100);   /* before the suspension: not it */
	r_done(s, "cut", a1, "provisioning", "suspend", "s/cut/action#1", FROM + HOUR,
	       FROM + HOUR);
	r_pay(s, a1, "P1", FROM + 2 * HOUR, 100);
	r_pay(s, a1, "P2", FROM + 3 * HOUR, 100);   /* the last before the decision */
	/* Decided at +4 h, performed at +30 h. */
	r_done(s, "back", a1, "provisioning", "restore", "s/cut/action#1/restore",
	       FROM + 4 * HOUR, FROM + 30 * HOUR);
	r_pay(s, a1, "P3", FROM + 5 * HOUR, 100);   /* after the decision: not it */
	/* restored with no suspension performed, and only a payment made
	 * long before: no clearing payment known. */
	r_pay(s, a2, "P9", FROM - 5 * DAY, 100);
	r_done(s, "back2", a2, "provisioning", "restore", "t/cut/action#1/restore",
	       FROM + 6 * HOUR, FROM + 6 * HOUR);
	r_done(s, "sms", a1, "sms", "send", "s/cut/action#2", FROM + HOUR, FROM + HOUR);
	r_done(s, "after", a1, "provisioning", "suspend", "s/cut/action#1", TO, TO);
	cr_assert_eq(store_report_provisioning(s, FROM, TO, r_keep_provisioning, &r), STORE_OK,
		     "%s", store_errmsg(s));
	cr_assert_eq(r.n, 3, "%d rows", r.n);
	cr_expect_str_eq(r.line[0], "suspend A1 C1 br s/cut/action#1 v1 1 1 -1 "
			 "{\"level\":\"partial\"}");
	cr_expect_str_eq(r.line[1], "restore A2 C2 bi t/cut/action#1/restore v1 6 6 -1 "
			 "{\"level\":\"partial\"}");
	cr_expect_str_eq(r.line[2], "restore A1 C1 br s/cut/action#1/restore v1 4 30 3 "
			 "{\"level\":\"partial\"}");
	cr_expect_eq(store_report_provisioning(s, TO, FROM, r_keep_provisioning, &r),
		     STORE_ERR_INPUT);
}
