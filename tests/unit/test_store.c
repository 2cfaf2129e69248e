/*
 * The PostgreSQL store engine against a real server.
 *
 * RELANCE_TEST_PG_URL names a server (tests/run starts one with
 * scripts/pg-test-server); every test creates its own database there, with
 * an ICU en-US collation so that byte-order listings are really checked, and
 * drops it at the end. Without the variable the tests fail: a skipped
 * engine would look like a passing one.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/store/store.h"

static char pgt_server[1024];   /* RELANCE_TEST_PG_URL */
static char pgt_name[64];       /* this test's database */
static char pgt_url[1200];      /* its URL */
static struct store *pgt_store;

/* The server URL with its database replaced by `db`. */
static void pgt_url_for(const char *db, char *out, size_t size)
{
	const char *auth = strstr(pgt_server, "://");
	const char *path, *query;

	cr_assert_not_null(auth, "RELANCE_TEST_PG_URL is not a URL: %s", pgt_server);
	path = auth + 3 + strcspn(auth + 3, "/?");
	query = strchr(path, '?');
	snprintf(out, size, "%.*s/%s%s", (int)(path - pgt_server), pgt_server, db,
		 query ? query : "");
}

/* Runs sql on a fresh connection to `url`; returns 0 or -1 with the
 * server's message in msg. */
static int pgt_exec_on(const char *url, const char *sql, char *msg, size_t size)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;
	int rc = 0;

	if (msg != NULL && size > 0)
		msg[0] = '\0';
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "cannot connect to %s: %s", url,
		     PQerrorMessage(c));
	r = PQexec(c, "SET client_min_messages = warning");
	PQclear(r);
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

/* Runs sql on this test's database; the first value of a result goes to msg. */
static int pgt_exec(const char *sql, char *msg, size_t size)
{
	return pgt_exec_on(pgt_url, sql, msg, size);
}

static void pgt_setup(void)
{
	const char *env = getenv("RELANCE_TEST_PG_URL");
	char admin[1200], sql[256], msg[512];
	struct timespec ts;

	cr_assert(env != NULL && env[0] != '\0',
		  "RELANCE_TEST_PG_URL is not set: run the tests through tests/run, or start "
		  "a server with `scripts/pg-test-server start DIR` and export the URL it prints");
	snprintf(pgt_server, sizeof(pgt_server), "%s", env);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(pgt_name, sizeof(pgt_name), "t_store_%ld_%ld_%ld", (long)getpid(),
		 (long)ts.tv_sec, (long)ts.tv_nsec);
	pgt_url_for("postgres", admin, sizeof(admin));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' "
		 "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'", pgt_name);
	if (pgt_exec_on(admin, sql, msg, sizeof(msg)) != 0) {
		/* A server built without ICU: its default collation will do. */
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", pgt_name);
		cr_assert_eq(pgt_exec_on(admin, sql, msg, sizeof(msg)), 0,
			     "CREATE DATABASE: %s", msg);
	}
	pgt_url_for(pgt_name, pgt_url, sizeof(pgt_url));
	pgt_store = NULL;
}

static void pgt_teardown(void)
{
	char admin[1200], sql[256];

	store_close(pgt_store);
	pgt_store = NULL;
	if (pgt_name[0] == '\0')
		return;
	pgt_url_for("postgres", admin, sizeof(admin));
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", pgt_name);
	pgt_exec_on(admin, sql, NULL, 0);
}

TestSuite(store_pg, .init = pgt_setup, .fini = pgt_teardown);

static struct store *pgt_open(void)
{
	char err[512];
	struct store *s = NULL;
	int rc = store_open(pgt_url, &s, err, sizeof(err));

	cr_assert_eq(rc, STORE_OK, "store_open(%s): %s", pgt_url, err);
	cr_assert_str_eq(store_engine(s), "postgresql");
	return s;
}

/* This test's store, migrated. */
static struct store *pgt_ready(void)
{
	int from = -1;

	pgt_store = pgt_open();
	cr_assert_eq(store_migrate(pgt_store, &from), STORE_OK, "%s", store_errmsg(pgt_store));
	return pgt_store;
}

static int64_t pgt_import(struct store *s, const char *kind)
{
	int64_t id = 0;

	cr_assert_eq(store_import_begin(s, kind, "test.csv", 1700000000, &id), STORE_OK, "%s",
		     store_errmsg(s));
	return id;
}

static int64_t pgt_count(const char *table)
{
	char sql[128], msg[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	cr_assert_eq(pgt_exec(sql, msg, sizeof(msg)), 0, "%s", msg);
	return strtoll(msg, NULL, 10);
}

static void pgt_expect(const struct store_outcome *o, int put, const char *what, int64_t line,
		       const char *row)
{
	cr_expect_eq(o->put, put, "%s: outcome %d, expected %d", row, o->put, put);
	if (what != NULL)
		cr_expect(o->what != NULL && strcmp(o->what, what) == 0,
			  "%s: what is %s, expected %s", row, o->what ? o->what : "NULL", what);
	if (put == STORE_PUT_DUPLICATE)
		cr_expect_eq(o->line, line, "%s: duplicate of line %lld, expected %lld", row,
			     (long long)o->line, (long long)line);
}

/* Customers C1, C2 and accounts A1 (C1, EUR), A2 (C2, BIF) from import 1. */
static void pgt_base(struct store *s)
{
	struct customer_row c[2] = {
		{ 2, "C1", "Alice", "fr-FR", "Europe/Paris", "fr", "+33600000001", NULL, "" },
		{ 3, "C2", "Bosco", "fr-BI", "Africa/Bujumbura", "bi", NULL, "b@example.org", "vip" },
	};
	struct account_row a[2] = { { 2, "A1", "C1", "EUR" }, { 3, "A2", "C2", "BIF" } };
	struct store_outcome o[2];
	int64_t imp = pgt_import(s, "customers");

	cr_assert_eq(store_customers_put(s, imp, c, 2, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_NEW, NULL, 0, "C1");
	pgt_expect(&o[1], STORE_PUT_NEW, NULL, 0, "C2");
	imp = pgt_import(s, "accounts");
	cr_assert_eq(store_accounts_put(s, imp, a, 2, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_NEW, NULL, 0, "A1");
	pgt_expect(&o[1], STORE_PUT_NEW, NULL, 0, "A2");
}

static int64_t pgt_key(struct store *s, const char *account_id)
{
	struct account_ref ref;

	cr_assert_eq(store_accounts_find(s, &account_id, 1, &ref), STORE_OK, "%s",
		     store_errmsg(s));
	cr_assert(ref.found, "account %s not found", account_id);
	return ref.account_key;
}

/* ---- schema ------------------------------------------------------------------ */

Test(store_pg, migrate_from_empty_then_again_is_a_no_op)
{
	int from = -1;

	pgt_store = pgt_open();
	cr_expect_eq(store_check_schema(pgt_store), STORE_ERR_SCHEMA);
	cr_assert_eq(store_migrate(pgt_store, &from), STORE_OK, "%s", store_errmsg(pgt_store));
	cr_expect_eq(from, 0);
	cr_expect_eq(store_check_schema(pgt_store), STORE_OK, "%s", store_errmsg(pgt_store));
	cr_assert_eq(store_migrate(pgt_store, &from), STORE_OK, "%s", store_errmsg(pgt_store));
	cr_expect_eq(from, 1);
	cr_expect_eq(pgt_count("schema_version"), 1);
}

Test(store_pg, newer_schema_is_refused_and_left_untouched)
{
	char msg[256];
	int from = -1;

	pgt_ready();
	cr_assert_eq(pgt_exec("UPDATE schema_version SET version = 99", msg, sizeof(msg)), 0,
		     "%s", msg);
	cr_expect_eq(store_migrate(pgt_store, &from), STORE_ERR_INPUT);
	cr_expect_eq(from, 99);
	cr_expect(strstr(store_errmsg(pgt_store), "newer") != NULL, "%s",
		  store_errmsg(pgt_store));
	cr_expect_eq(store_check_schema(pgt_store), STORE_ERR_INPUT);
	cr_assert_eq(pgt_exec("SELECT version FROM schema_version", msg, sizeof(msg)), 0);
	cr_expect_str_eq(msg, "99");
}

Test(store_pg, concurrent_migrations_both_succeed)
{
	pid_t kids[4];
	int froms = 0;

	/* Without the advisory lock two CREATE TABLE of the same name race
	 * and one of them fails on the catalog's unique index. */
	for (int i = 0; i < 4; i++) {
		kids[i] = fork();
		cr_assert(kids[i] >= 0);
		if (kids[i] == 0) {
			struct store *s = NULL;
			char err[512];
			int from = -1;

			if (store_open(pgt_url, &s, err, sizeof(err)) != STORE_OK)
				_exit(10);
			if (store_migrate(s, &from) != STORE_OK) {
				fprintf(stderr, "%s\n", store_errmsg(s));
				_exit(11);
			}
			store_close(s);
			_exit(from == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < 4; i++) {
		int st = 0;

		cr_assert_eq(waitpid(kids[i], &st, 0), kids[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) <= 1, "migration %d failed (%d)", i,
			  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		froms += WEXITSTATUS(st) == 0;
	}
	cr_expect_eq(froms, 1, "%d migrations started from an empty database", froms);
	cr_expect_eq(pgt_count("schema_version"), 1);
}

/* ---- puts ------------------------------------------------------------------------ */

Test(store_pg, customers_new_same_updated_duplicate)
{
	struct customer_row first[3] = {
		{ 2, "C1", "Alice", "fr-FR", "Europe/Paris", "fr", "+33600000001", "", NULL },
		{ 3, "C2", "Bosco", "fr-BI", "Africa/Bujumbura", "bi", NULL, NULL, NULL },
		{ 4, "C1", "Alice", "fr-FR", "Europe/Paris", "fr", "+33600000001", "", NULL },
	};
	struct customer_row again[4] = {
		/* "" and NULL are the same absence. */
		{ 2, "C1", "Alice", "fr-FR", "Europe/Paris", "fr", "+33600000001", NULL, "" },
		{ 3, "C2", "Bosco", "fr-BI", "Africa/Bujumbura", "bi", "+25779000000", NULL, NULL },
		{ 4, "C3", "Chloé \"the\" \\ one", "fr-FR", "Europe/Paris", "fr", NULL, NULL, NULL },
		{ 5, "C2", "Bosco", "fr-BI", "Africa/Bujumbura", "bi", "+25779000001", NULL, NULL },
	};
	struct customer_row later[1] = {
		{ 9, "C3", "Chloe", "fr-FR", "Europe/Paris", "fr", NULL, NULL, NULL },
	};
	struct store_outcome o[4];
	struct store *s = pgt_ready();
	int64_t imp = pgt_import(s, "customers");
	char msg[256];

	cr_assert_eq(store_customers_put(s, imp, first, 3, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_NEW, NULL, 0, "first C1");
	pgt_expect(&o[1], STORE_PUT_NEW, NULL, 0, "first C2");
	pgt_expect(&o[2], STORE_PUT_DUPLICATE, NULL, 2, "first C1 again");

	imp = pgt_import(s, "customers");
	cr_assert_eq(store_customers_put(s, imp, again, 4, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_SAME, NULL, 0, "again C1");
	pgt_expect(&o[1], STORE_PUT_UPDATED, NULL, 0, "again C2");
	pgt_expect(&o[2], STORE_PUT_NEW, NULL, 0, "again C3");
	pgt_expect(&o[3], STORE_PUT_DUPLICATE, NULL, 3, "again C2 again");
	/* A later batch of the same import sees the earlier ones. */
	cr_assert_eq(store_customers_put(s, imp, later, 1, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_DUPLICATE, NULL, 4, "later C3");

	cr_expect_eq(pgt_count("customers"), 3);
	cr_assert_eq(pgt_exec("SELECT phone FROM customers WHERE customer_id = 'C2'", msg,
			      sizeof(msg)), 0);
	cr_expect_str_eq(msg, "+25779000000");
	cr_assert_eq(pgt_exec("SELECT name FROM customers WHERE customer_id = 'C3'", msg,
			      sizeof(msg)), 0);
	cr_expect_str_eq(msg, "Chloé \"the\" \\ one");
	cr_assert_eq(pgt_exec("SELECT count(*) FROM customers WHERE email IS NULL AND "
			      "segment IS NULL", msg, sizeof(msg)), 0);
	cr_expect_str_eq(msg, "3", "absent optional fields are stored as NULL");
}

Test(store_pg, accounts_no_ref_conflicts_same_duplicate)
{
	struct account_row rows[7] = {
		{ 10, "A9", "NOPE", "EUR" },
		{ 11, "A9", "C1", "EUR" },
		{ 12, "A9", "C1", "EUR" },
		{ 13, "A1", "C2", "EUR" },
		{ 14, "A1", "C1", "BIF" },
		{ 15, "A1", "C1", "EUR" },
		{ 16, "A8", "", "EUR" },
	};
	struct store_outcome o[7];
	struct store *s = pgt_ready();
	int64_t imp;

	pgt_base(s);
	imp = pgt_import(s, "accounts");
	cr_assert_eq(store_accounts_put(s, imp, rows, 7, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_NO_REF, "customer_id", 0, "A9 unknown customer");
	pgt_expect(&o[1], STORE_PUT_NEW, NULL, 0, "A9");
	pgt_expect(&o[2], STORE_PUT_DUPLICATE, NULL, 11, "A9 again");
	pgt_expect(&o[3], STORE_PUT_CONFLICT, "customer_id", 0, "A1 other customer");
	pgt_expect(&o[4], STORE_PUT_CONFLICT, "currency", 0, "A1 other currency");
	pgt_expect(&o[5], STORE_PUT_SAME, NULL, 0, "A1 same");
	pgt_expect(&o[6], STORE_PUT_NO_REF, "customer_id", 0, "A8 no customer");
	cr_expect_eq(pgt_count("accounts"), 3);
}

Test(store_pg, services_no_ref_new_updated_conflict_same)
{
	struct service_row first[3] = {
		{ 2, "S1", "A1", "mobile", "+33600000001", "webhook" },
		{ 3, "S2", "NOPE", "mobile", "+33600000002", "webhook" },
		{ 4, "S1", "A1", "mobile", "+33600000001", "radius" },
	};
	struct service_row again[4] = {
		{ 2, "S1", "A1", "mobile", "+33600000001", "webhook" },
		{ 3, "S1", "A2", "mobile", "+33600000001", "webhook" },
		{ 4, "S1", "A1", "fixed_internet", "CPE-1", "tr069" },
		{ 5, "S1", "A1", "mobile", "+33600000001", "webhook" },
	};
	struct store_outcome o[4];
	struct store *s = pgt_ready();
	int64_t imp;
	char msg[256];

	pgt_base(s);
	imp = pgt_import(s, "services");
	cr_assert_eq(store_services_put(s, imp, first, 3, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_NEW, NULL, 0, "S1");
	pgt_expect(&o[1], STORE_PUT_NO_REF, "account_id", 0, "S2");
	pgt_expect(&o[2], STORE_PUT_DUPLICATE, NULL, 2, "S1 again");
	imp = pgt_import(s, "services");
	cr_assert_eq(store_services_put(s, imp, again, 4, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_SAME, NULL, 0, "S1 same");
	pgt_expect(&o[1], STORE_PUT_CONFLICT, "account_id", 0, "S1 other account");
	pgt_expect(&o[2], STORE_PUT_UPDATED, NULL, 0, "S1 changed");
	pgt_expect(&o[3], STORE_PUT_DUPLICATE, NULL, 4, "S1 after its update");
	cr_assert_eq(pgt_exec("SELECT kind || ' ' || identifier || ' ' || adapter || ' ' || "
			      "source_line FROM services", msg, sizeof(msg)), 0);
	cr_expect_str_eq(msg, "fixed_internet CPE-1 tr069 4");
}

static struct invoice_row pgt_inv(int64_t line, int64_t key, const char *id, int32_t issued,
				  int32_t due, int64_t amount)
{
	struct invoice_row r = { line, key, { id, issued, due, amount } };

	return r;
}

Test(store_pg, invoices_new_duplicate_same_conflict)
{
	struct store *s = pgt_ready();
	struct invoice_row rows[4], again[6];
	struct store_outcome o[6];
	int64_t a1, a2, imp;

	pgt_base(s);
	a1 = pgt_key(s, "A1");
	a2 = pgt_key(s, "A2");
	rows[0] = pgt_inv(2, a1, "I1", 19900, 19930, 12500);
	rows[1] = pgt_inv(3, a1, "I2", 19900, 19930, 100);
	rows[2] = pgt_inv(4, a1, "I1", 19900, 19930, 99999);   /* same import: duplicate */
	rows[3] = pgt_inv(5, a2, "I3", 19900, 19930, 5000);
	imp = pgt_import(s, "invoices");
	cr_assert_eq(store_invoices_put(s, imp, rows, 4, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_NEW, NULL, 0, "I1");
	pgt_expect(&o[1], STORE_PUT_NEW, NULL, 0, "I2");
	pgt_expect(&o[2], STORE_PUT_DUPLICATE, NULL, 2, "I1 again");
	pgt_expect(&o[3], STORE_PUT_NEW, NULL, 0, "I3");
	/* The next batch of the same import. */
	rows[0] = pgt_inv(9, a1, "I2", 19900, 19930, 100);
	cr_assert_eq(store_invoices_put(s, imp, rows, 1, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_DUPLICATE, NULL, 3, "I2 next batch");

	again[0] = pgt_inv(2, a1, "I1", 19900, 19930, 12500);
	again[1] = pgt_inv(3, a1, "I2", 19900, 19930, 101);
	again[2] = pgt_inv(4, a1, "I2", 19900, 19931, 100);
	again[3] = pgt_inv(5, a1, "I2", 19901, 19930, 100);
	again[4] = pgt_inv(6, a1, "I3", 19900, 19930, 5000);
	again[5] = pgt_inv(7, a1, "I4", 19900, 19930, 7);
	imp = pgt_import(s, "invoices");
	cr_assert_eq(store_invoices_put(s, imp, again, 6, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_SAME, NULL, 0, "I1 same");
	pgt_expect(&o[1], STORE_PUT_CONFLICT, "amount", 0, "I2 amount");
	pgt_expect(&o[2], STORE_PUT_CONFLICT, "due_on", 0, "I2 due_on");
	pgt_expect(&o[3], STORE_PUT_CONFLICT, "issued_on", 0, "I2 issued_on");
	pgt_expect(&o[4], STORE_PUT_CONFLICT, "account_id", 0, "I3 other account");
	pgt_expect(&o[5], STORE_PUT_NEW, NULL, 0, "I4");
	cr_expect_eq(pgt_count("invoices"), 4);
}

static struct credit_row pgt_pay(int64_t line, int64_t key, const char *id, int64_t at,
				 int64_t amount, const char *method, const char *invoice)
{
	struct credit_row r = { line, key, { LEDGER_PAYMENT, id, invoice, at, 0, amount },
				method, NULL };

	return r;
}

static struct credit_row pgt_note(int64_t line, int64_t key, const char *id, int32_t issued,
				  int64_t amount, const char *reason, const char *invoice)
{
	struct credit_row r = { line, key, { LEDGER_CREDIT_NOTE, id, invoice, 0, issued, amount },
				NULL, reason };

	return r;
}

Test(store_pg, credits_payments_and_notes_apart)
{
	struct store *s = pgt_ready();
	struct credit_row rows[5], again[8];
	struct store_outcome o[8];
	int64_t a1, imp;
	char msg[256];

	pgt_base(s);
	a1 = pgt_key(s, "A1");
	/* The same id as a payment and as a credit note: two ledgers. */
	rows[0] = pgt_pay(2, a1, "X1", 1720000000, 500, "card", NULL);
	rows[1] = pgt_note(3, a1, "X1", 19900, 300, "goodwill", "I1");
	rows[2] = pgt_pay(4, a1, "P2", 1720000100, 200, "", "I1");
	rows[3] = pgt_note(5, a1, "X1", 19900, 300, "goodwill", "I1");
	rows[4] = pgt_pay(6, a1, "X1", 1720000000, 500, "card", NULL);
	imp = pgt_import(s, "payments");
	cr_assert_eq(store_credits_put(s, imp, rows, 5, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_NEW, NULL, 0, "payment X1");
	pgt_expect(&o[1], STORE_PUT_NEW, NULL, 0, "note X1");
	pgt_expect(&o[2], STORE_PUT_NEW, NULL, 0, "payment P2");
	pgt_expect(&o[3], STORE_PUT_DUPLICATE, NULL, 3, "note X1 again");
	pgt_expect(&o[4], STORE_PUT_DUPLICATE, NULL, 2, "payment X1 again");

	again[0] = pgt_pay(2, a1, "X1", 1720000000, 500, "card", "");
	again[1] = pgt_pay(3, a1, "X1", 1720000001, 500, "card", NULL);
	again[2] = pgt_pay(4, a1, "X1", 1720000000, 500, "cash", NULL);
	again[3] = pgt_pay(5, a1, "X1", 1720000000, 500, "card", "I9");
	again[4] = pgt_pay(6, a1, "P2", 1720000100, 200, NULL, "I1");
	again[5] = pgt_note(7, a1, "X1", 19900, 300, "gesture", "I1");
	again[6] = pgt_note(8, a1, "X1", 19901, 300, "goodwill", "I1");
	again[7] = pgt_note(9, a1, "X1", 19900, 300, "goodwill", NULL);
	imp = pgt_import(s, "payments");
	cr_assert_eq(store_credits_put(s, imp, again, 8, o), STORE_OK, "%s", store_errmsg(s));
	pgt_expect(&o[0], STORE_PUT_SAME, NULL, 0, "X1 same");
	pgt_expect(&o[1], STORE_PUT_CONFLICT, "received_at", 0, "X1 received_at");
	pgt_expect(&o[2], STORE_PUT_CONFLICT, "method", 0, "X1 method");
	pgt_expect(&o[3], STORE_PUT_CONFLICT, "invoice_id", 0, "X1 invoice");
	pgt_expect(&o[4], STORE_PUT_SAME, NULL, 0, "P2 same");
	pgt_expect(&o[5], STORE_PUT_CONFLICT, "reason", 0, "note reason");
	pgt_expect(&o[6], STORE_PUT_CONFLICT, "issued_on", 0, "note issued_on");
	pgt_expect(&o[7], STORE_PUT_CONFLICT, "invoice_id", 0, "note invoice");
	cr_expect_eq(pgt_count("payments"), 2);
	cr_expect_eq(pgt_count("credit_notes"), 1);
	cr_assert_eq(pgt_exec("SELECT count(*) FROM payments WHERE method IS NULL", msg,
			      sizeof(msg)), 0);
	cr_expect_str_eq(msg, "1");
}

Test(store_pg, ledger_rows_cannot_change)
{
	struct store *s = pgt_ready();
	struct invoice_row r;
	struct store_outcome o;
	char msg[512];

	pgt_base(s);
	r = pgt_inv(2, pgt_key(s, "A1"), "I1", 19900, 19930, 100);
	cr_assert_eq(store_invoices_put(s, pgt_import(s, "invoices"), &r, 1, &o), STORE_OK);
	cr_expect_eq(pgt_exec("UPDATE invoices SET amount = 1", msg, sizeof(msg)), -1);
	cr_expect(strstr(msg, "append-only") != NULL, "%s", msg);
	cr_expect_eq(pgt_exec("DELETE FROM invoices", msg, sizeof(msg)), -1);
	cr_expect(strstr(msg, "append-only") != NULL, "%s", msg);
	cr_expect_eq(pgt_count("invoices"), 1);
}

Test(store_pg, big_batches_with_repeats)
{
	enum { N = 5000 };
	static struct invoice_row rows[N];
	static struct store_outcome o[N];
	static char ids[N][16];
	struct store *s = pgt_ready();
	int64_t a1, imp;
	size_t news = 0, dups = 0;

	pgt_base(s);
	a1 = pgt_key(s, "A1");
	for (int i = 0; i < N; i++) {
		/* Every fifth row repeats the id four rows before it. */
		snprintf(ids[i], sizeof(ids[i]), "B%d", i % 5 == 4 ? i - 4 : i);
		rows[i] = pgt_inv(i + 2, a1, ids[i], 19900, 19930, 100 + i % 5 * 0);
	}
	imp = pgt_import(s, "invoices");
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_invoices_put(s, imp, rows, N, o), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	for (int i = 0; i < N; i++) {
		if (i % 5 == 4) {
			pgt_expect(&o[i], STORE_PUT_DUPLICATE, NULL, i - 2, ids[i]);
			dups++;
		} else {
			pgt_expect(&o[i], STORE_PUT_NEW, NULL, 0, ids[i]);
			news++;
		}
	}
	cr_expect_eq(news, 4000);
	cr_expect_eq(dups, 1000);
	cr_expect_eq(pgt_count("invoices"), 4000);
}

/* ---- look-ups -------------------------------------------------------------------- */

Test(store_pg, accounts_find_and_invoices_find)
{
	const char *ids[4] = { "A2", "nope", "A1", "A2" };
	const char *inv_ids[3] = { "I1", "I0", "I1" };
	struct account_ref ref[4];
	struct invoice_ref iref[3];
	struct store *s = pgt_ready();
	struct invoice_row r;
	struct store_outcome o;
	int64_t a1;

	pgt_base(s);
	cr_assert_eq(store_accounts_find(s, ids, 4, ref), STORE_OK, "%s", store_errmsg(s));
	cr_expect(ref[0].found && ref[2].found && ref[3].found);
	cr_expect(!ref[1].found);
	cr_expect_eq(ref[0].account_key, ref[3].account_key);
	cr_expect_neq(ref[0].account_key, ref[2].account_key);
	cr_expect_str_eq(ref[0].currency, "BIF");
	cr_expect_str_eq(ref[0].timezone, "Africa/Bujumbura");
	cr_expect_str_eq(ref[2].currency, "EUR");
	cr_expect_str_eq(ref[2].timezone, "Europe/Paris");
	a1 = ref[2].account_key;
	r = pgt_inv(2, a1, "I1", 19900, 19930, 100);
	cr_assert_eq(store_invoices_put(s, pgt_import(s, "invoices"), &r, 1, &o), STORE_OK);
	cr_assert_eq(store_invoices_find(s, inv_ids, 3, iref), STORE_OK, "%s", store_errmsg(s));
	cr_expect(iref[0].found && iref[2].found && !iref[1].found);
	cr_expect_eq(iref[0].account_key, a1);
	cr_expect_eq(store_accounts_find(s, ids, 0, ref), STORE_OK);
}

/* ---- ledger scan ------------------------------------------------------------------- */

struct pgt_seen {
	int64_t key;
	char account_id[16], currency[4], timezone[32];
	int exponent;
	size_t n_inv, n_cr;
	int64_t total;   /* invoices - credits */
	char entries[128];
};

struct pgt_scan {
	struct pgt_seen seen[3000];
	size_t n;
	size_t stop_after;   /* 0: never */
	int fail;
};

static int pgt_collect(void *ctx, const struct account_ledger *l)
{
	struct pgt_scan *c = ctx;
	struct pgt_seen *v;

	cr_assert_lt(c->n, 3000);
	v = &c->seen[c->n++];
	memset(v, 0, sizeof(*v));
	v->key = l->account_key;
	snprintf(v->account_id, sizeof(v->account_id), "%s", l->account_id);
	snprintf(v->currency, sizeof(v->currency), "%s", l->currency);
	snprintf(v->timezone, sizeof(v->timezone), "%s", l->timezone);
	v->exponent = l->exponent;
	v->n_inv = l->n_invoices;
	v->n_cr = l->n_credits;
	for (size_t i = 0; i < l->n_invoices; i++) {
		v->total += l->invoices[i].amount;
		snprintf(v->entries + strlen(v->entries), sizeof(v->entries) - strlen(v->entries),
			 "i:%s:%d:%d ", l->invoices[i].id, l->invoices[i].issued_on,
			 l->invoices[i].due_on);
	}
	for (size_t i = 0; i < l->n_credits; i++) {
		const struct ledger_credit *cr = &l->credits[i];

		v->total -= cr->amount;
		if (cr->kind == LEDGER_PAYMENT)
			snprintf(v->entries + strlen(v->entries),
				 sizeof(v->entries) - strlen(v->entries), "p:%s:%lld:%s ", cr->id,
				 (long long)cr->received_at, cr->invoice_id ? cr->invoice_id : "-");
		else
			snprintf(v->entries + strlen(v->entries),
				 sizeof(v->entries) - strlen(v->entries), "c:%s:%d:%s ", cr->id,
				 cr->issued_on, cr->invoice_id ? cr->invoice_id : "-");
	}
	if (c->stop_after && c->n == c->stop_after)
		return c->fail ? STORE_ERR_INPUT : STORE_STOP;
	return 0;
}

/* Whether the entry list holds `what` (entries come in any order). */
static int pgt_has(const struct pgt_seen *v, const char *what)
{
	return strstr(v->entries, what) != NULL;
}

Test(store_pg, ledger_scan_groups_orders_and_selects)
{
	static struct pgt_scan c;
	struct account_row a[2] = { { 4, "A3", "C1", "KWD" }, { 5, "A0", "C2", "EUR" } };
	struct invoice_row inv[4];
	struct credit_row cr[3];
	struct store_outcome o[4];
	struct store *s = pgt_ready();
	int64_t k1, k2, k3, k0, keys[2];

	pgt_base(s);
	cr_assert_eq(store_accounts_put(s, pgt_import(s, "accounts"), a, 2, o), STORE_OK);
	k1 = pgt_key(s, "A1");
	k2 = pgt_key(s, "A2");
	k3 = pgt_key(s, "A3");
	k0 = pgt_key(s, "A0");
	cr_assert(k1 < k2 && k2 < k3 && k3 < k0);
	/* Entries imported out of account order. */
	inv[0] = pgt_inv(2, k3, "I30", 19000, 19030, 3000);
	inv[1] = pgt_inv(3, k1, "I10", 19000, 19030, 1000);
	inv[2] = pgt_inv(4, k3, "I31", 19001, 19031, 3100);
	inv[3] = pgt_inv(5, k1, "I11", 19002, 19032, 1100);
	cr_assert_eq(store_invoices_put(s, pgt_import(s, "invoices"), inv, 4, o), STORE_OK);
	cr[0] = pgt_pay(2, k3, "P30", 1700000000, 50, "card", "I30");
	cr[1] = pgt_note(3, k1, "N10", 19005, 70, "sorry", NULL);
	cr[2] = pgt_pay(4, k1, "P10", 1700000500, 30, NULL, NULL);
	cr_assert_eq(store_credits_put(s, pgt_import(s, "payments"), cr, 3, o), STORE_OK);

	cr_assert_eq(store_ledger_scan(s, NULL, 0, pgt_collect, &c), STORE_OK, "%s",
		     store_errmsg(s));
	cr_assert_eq(c.n, 4);
	cr_expect_eq(c.seen[0].key, k1);
	cr_expect_str_eq(c.seen[0].account_id, "A1");
	cr_expect_str_eq(c.seen[0].currency, "EUR");
	cr_expect_eq(c.seen[0].exponent, 2);
	cr_expect_str_eq(c.seen[0].timezone, "Europe/Paris");
	cr_expect_eq(c.seen[0].n_inv, 2);
	cr_expect_eq(c.seen[0].n_cr, 2);
	cr_expect_eq(c.seen[0].total, 1000 + 1100 - 70 - 30);
	cr_expect(pgt_has(&c.seen[0], "i:I10:19000:19030 "), "%s", c.seen[0].entries);
	cr_expect(pgt_has(&c.seen[0], "c:N10:19005:- "), "%s", c.seen[0].entries);
	cr_expect(pgt_has(&c.seen[0], "p:P10:1700000500:- "), "%s", c.seen[0].entries);
	cr_expect_eq(c.seen[1].key, k2);
	cr_expect_eq(c.seen[1].n_inv + c.seen[1].n_cr, 0, "an account without entries");
	cr_expect_eq(c.seen[1].exponent, 0);
	cr_expect_eq(c.seen[2].key, k3);
	cr_expect_eq(c.seen[2].exponent, 3);
	cr_expect_eq(c.seen[2].n_inv, 2);
	cr_expect(pgt_has(&c.seen[2], "p:P30:1700000000:I30 "), "%s", c.seen[2].entries);
	cr_expect_eq(c.seen[3].key, k0);
	cr_expect_eq(c.seen[3].n_inv + c.seen[3].n_cr, 0);

	/* A subset of keys, one of them without entries. */
	c.n = 0;
	keys[0] = k2;
	keys[1] = k3;
	cr_assert_eq(store_ledger_scan(s, keys, 2, pgt_collect, &c), STORE_OK);
	cr_assert_eq(c.n, 2);
	cr_expect_eq(c.seen[0].key, k2);
	cr_expect_eq(c.seen[1].key, k3);
	cr_expect_eq(c.seen[1].total, 3000 + 3100 - 50);

	/* Stopping and aborting. */
	c.n = 0;
	c.stop_after = 2;
	cr_expect_eq(store_ledger_scan(s, NULL, 0, pgt_collect, &c), STORE_STOP);
	cr_expect_eq(c.n, 2);
	c.n = 0;
	c.fail = 1;
	cr_expect_eq(store_ledger_scan(s, NULL, 0, pgt_collect, &c), STORE_ERR_INPUT);
	cr_expect_eq(c.n, 2);
	c.n = 0;
	c.stop_after = 0;
	cr_expect_eq(store_ledger_scan(s, keys, 0, pgt_collect, &c), STORE_OK);
	cr_expect_eq(c.n, 0);
}

Test(store_pg, ledger_scan_pages_through_many_accounts)
{
	enum { N = 2500 };
	static struct pgt_scan c;
	static struct account_row a[N];
	static struct store_outcome o[N];
	static struct invoice_row inv[N];
	static char ids[N][16], inv_ids[N][16];
	static int64_t keys[N];
	static const char *idp[N];
	static struct account_ref ref[N];
	struct store *s = pgt_ready();
	size_t nk = 0;

	pgt_base(s);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "M%05d", i);
		a[i] = (struct account_row){ i + 2, ids[i], i % 2 ? "C1" : "C2", "EUR" };
		idp[i] = ids[i];
	}
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_accounts_put(s, pgt_import(s, "accounts"), a, N, o), STORE_OK);
	cr_assert_eq(store_accounts_find(s, idp, N, ref), STORE_OK);
	/* Every third account gets an invoice of i cents. */
	for (int i = 0; i < N; i += 3) {
		snprintf(inv_ids[nk], sizeof(inv_ids[nk]), "MI%05d", i);
		inv[nk] = pgt_inv(i + 2, ref[i].account_key, inv_ids[nk], 19000, 19030, i + 1);
		nk++;
	}
	cr_assert_eq(store_invoices_put(s, pgt_import(s, "invoices"), inv, nk, o), STORE_OK);
	cr_assert_eq(store_commit(s), STORE_OK);

	cr_assert_eq(store_ledger_scan(s, NULL, 0, pgt_collect, &c), STORE_OK, "%s",
		     store_errmsg(s));
	cr_assert_eq(c.n, N + 2);
	for (size_t i = 1; i < c.n; i++)
		cr_assert_lt(c.seen[i - 1].key, c.seen[i].key, "keys out of order at %zu", i);
	for (size_t i = 2; i < c.n; i++) {
		int m = (int)(i - 2);

		cr_assert_str_eq(c.seen[i].account_id, ids[m]);
		cr_assert_eq(c.seen[i].n_inv, m % 3 == 0 ? 1u : 0u, "%s", ids[m]);
		cr_assert_eq(c.seen[i].total, m % 3 == 0 ? m + 1 : 0, "%s", ids[m]);
	}
	/* More keys than a page, sorted. */
	for (int i = 0; i < N; i++)
		keys[i] = ref[i].account_key;
	c.n = 0;
	cr_assert_eq(store_ledger_scan(s, keys + 1, N - 1, pgt_collect, &c), STORE_OK);
	cr_assert_eq(c.n, N - 1);
	cr_expect_str_eq(c.seen[0].account_id, "M00001");
	cr_expect_str_eq(c.seen[N - 2].account_id, "M02499");
}

/* ---- positions ------------------------------------------------------------------- */

struct pgt_summary {
	char lines[16][256];
	size_t n;
};

static int pgt_summarise(void *ctx, const struct account_summary *a)
{
	struct pgt_summary *c = ctx;
	char *l;
	size_t len;

	cr_assert_lt(c->n, 16);
	l = c->lines[c->n++];
	snprintf(l, 256, "%s %s %s %s %s %s %s %s [%s] [%s] %d", a->account_id, a->customer_id,
		 a->currency, a->timezone, a->jurisdiction, a->locale, a->name, a->segment,
		 a->stage, "", a->has_snapshot);
	if (a->has_snapshot) {
		len = strlen(l);
		snprintf(l + len, 256 - len, " %lld/%lld/%lld/%lld@%lld", (long long)a->snapshot.balance,
			 (long long)a->snapshot.invoiced, (long long)a->snapshot.paid,
			 (long long)a->snapshot.credited, (long long)a->snapshot.complete_at);
		for (size_t i = 0; i < a->snapshot.n_open; i++) {
			len = strlen(l);
			snprintf(l + len, 256 - len, " (%d,%d,%lld)", a->snapshot.open[i].due_on,
				 a->snapshot.open[i].issued_on,
				 (long long)a->snapshot.open[i].remaining);
		}
	}
	return 0;
}

Test(store_pg, snapshots_round_trip_through_accounts_scan)
{
	static struct pgt_summary c;
	struct account_row a[3] = {
		{ 4, "a_c", "C1", "EUR" }, { 5, "aB", "C1", "EUR" }, { 6, "A-9", "C2", "BIF" },
	};
	struct open_item items[3] = { { 19030, 19000, 700 }, { 19060, 19030, 1000 },
				      { -5, -40, INT64_MAX } };
	struct position p[3];
	int64_t keys[3];
	struct store_outcome o[3];
	struct store *s = pgt_ready();
	char msg[256];

	pgt_base(s);
	cr_assert_eq(store_accounts_put(s, pgt_import(s, "accounts"), a, 3, o), STORE_OK);
	memset(p, 0, sizeof(p));
	keys[0] = pgt_key(s, "aB");
	p[0] = (struct position){ .balance = 1700, .invoiced = 2000, .paid = 300, .credited = 0,
				  .complete_at = 1700000000, .open = items, .n_open = 2 };
	keys[1] = pgt_key(s, "A1");
	p[1] = (struct position){ .balance = -5, .invoiced = 0, .paid = 5,
				  .complete_at = INT64_MIN, .open = NULL, .n_open = 0 };
	/* The same key twice in one batch: the last one wins. */
	keys[2] = keys[0];
	p[2] = (struct position){ .balance = 42, .invoiced = 42, .complete_at = 7,
				  .open = items + 2, .n_open = 1 };
	cr_assert_eq(store_snapshots_put(s, keys, p, 2), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_snapshots_put(s, keys, p, 3), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(pgt_exec("INSERT INTO cases (account_key, stage, stage_since) "
			      "SELECT account_key, 'reminder', 0 FROM accounts "
			      "WHERE account_id = 'A2'", msg, sizeof(msg)), 0, "%s", msg);

	cr_assert_eq(store_accounts_scan(s, NULL, pgt_summarise, &c), STORE_OK, "%s",
		     store_errmsg(s));
	cr_assert_eq(c.n, 5);
	/* Byte order whatever the database's collation: '-' < '1' < 'B' < '_'. */
	cr_expect_str_eq(c.lines[0], "A-9 C2 BIF Africa/Bujumbura bi fr-BI Bosco vip [] [] 0");
	cr_expect_str_eq(c.lines[1], "A1 C1 EUR Europe/Paris fr fr-FR Alice  [] [] 1 "
			 "-5/0/5/0@-9223372036854775808");
	cr_expect_str_eq(c.lines[2], "A2 C2 BIF Africa/Bujumbura bi fr-BI Bosco vip [reminder] [] 0");
	cr_expect_str_eq(c.lines[3], "aB C1 EUR Europe/Paris fr fr-FR Alice  [] [] 1 "
			 "42/42/0/0@7 (-5,-40,9223372036854775807)");
	cr_expect_str_eq(c.lines[4], "a_c C1 EUR Europe/Paris fr fr-FR Alice  [] [] 0");
	cr_assert_eq(pgt_exec("SELECT coalesce(oldest_open_due::text, 'none') FROM positions p "
			      "JOIN accounts a USING (account_key) WHERE account_id = 'aB'",
			      msg, sizeof(msg)), 0);
	cr_expect_str_eq(msg, "-5");

	/* Back to two open items, then one account alone. */
	cr_assert_eq(store_snapshots_put(s, keys, p, 1), STORE_OK, "%s", store_errmsg(s));
	c.n = 0;
	cr_assert_eq(store_accounts_scan(s, "aB", pgt_summarise, &c), STORE_OK);
	cr_assert_eq(c.n, 1);
	cr_expect_str_eq(c.lines[0], "aB C1 EUR Europe/Paris fr fr-FR Alice  [] [] 1 "
			 "1700/2000/300/0@1700000000 (19030,19000,700) (19060,19030,1000)");
	c.n = 0;
	cr_assert_eq(store_accounts_scan(s, "nope", pgt_summarise, &c), STORE_OK);
	cr_expect_eq(c.n, 0);
}

static int pgt_count_accounts(void *ctx, const struct account_summary *a)
{
	int *n = ctx;

	(void)a;
	return ++*n == 1500 ? STORE_STOP : 0;
}

Test(store_pg, accounts_scan_pages_and_stops)
{
	enum { N = 2200 };
	static struct account_row a[N];
	static struct store_outcome o[N];
	static char ids[N][16];
	struct store *s = pgt_ready();
	int n = 0;

	pgt_base(s);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "Z%04d", N - i);
		a[i] = (struct account_row){ i + 2, ids[i], "C1", "EUR" };
	}
	cr_assert_eq(store_accounts_put(s, pgt_import(s, "accounts"), a, N, o), STORE_OK);
	cr_expect_eq(store_accounts_scan(s, NULL, pgt_count_accounts, &n), STORE_STOP);
	cr_expect_eq(n, 1500);
}

/* ---- customer file views -------------------------------------------------------- */

static int pgt_service(void *ctx, const struct service_view *v)
{
	struct pgt_summary *c = ctx;

	snprintf(c->lines[c->n++], 256, "%s %s %s %s", v->service_id, v->kind, v->identifier,
		 v->adapter);
	return 0;
}

static int pgt_customer(void *ctx, const struct customer_view *v)
{
	struct pgt_summary *c = ctx;

	snprintf(c->lines[c->n++], 256, "%s|%s|%s|%s|%s|%s|%s|%s", v->customer_id, v->name,
		 v->locale, v->timezone, v->jurisdiction, v->phone, v->email, v->segment);
	return 0;
}

Test(store_pg, services_scan_and_customer_get)
{
	static struct pgt_summary c;
	struct service_row sv[3] = {
		{ 2, "S_b", "A1", "mobile", "+33600000001", "webhook" },
		{ 3, "S-a", "A1", "fixed_internet", "CPE-9", "tr069" },
		{ 4, "S3", "A2", "water", "M-1", "webhook" },
	};
	struct store_outcome o[3];
	struct store *s = pgt_ready();

	pgt_base(s);
	cr_assert_eq(store_services_put(s, pgt_import(s, "services"), sv, 3, o), STORE_OK);
	cr_assert_eq(store_services_scan(s, pgt_key(s, "A1"), pgt_service, &c), STORE_OK);
	cr_assert_eq(c.n, 2);
	cr_expect_str_eq(c.lines[0], "S-a fixed_internet CPE-9 tr069");
	cr_expect_str_eq(c.lines[1], "S_b mobile +33600000001 webhook");
	c.n = 0;
	cr_assert_eq(store_customer_get(s, "C2", pgt_customer, &c), STORE_OK);
	cr_assert_eq(c.n, 1);
	cr_expect_str_eq(c.lines[0], "C2|Bosco|fr-BI|Africa/Bujumbura|bi||b@example.org|vip");
	cr_expect_eq(store_customer_get(s, "C404", pgt_customer, &c), STORE_ERR_INPUT);
	cr_expect_eq(c.n, 1, "no callback for an unknown customer");
}

/* ---- transactions and imports ---------------------------------------------------- */

Test(store_pg, imports_are_registered)
{
	struct store *s = pgt_ready();
	int64_t a = pgt_import(s, "invoices"), b = pgt_import(s, "payments");
	char msg[256];

	cr_expect_gt(b, a);
	cr_assert_eq(store_import_finish(s, b, 10, 7), STORE_OK);
	cr_assert_eq(pgt_exec("SELECT kind || ' ' || source || ' ' || started_at || ' ' || "
			      "row_count || ' ' || inserted FROM imports WHERE row_count IS NOT NULL",
			      msg, sizeof(msg)), 0);
	cr_expect_str_eq(msg, "payments test.csv 1700000000 10 7");
}

Test(store_pg, close_rolls_back_and_failed_transactions_do_not_commit)
{
	struct customer_row c = { 2, "CX", "X", "fr-FR", "Europe/Paris", "fr", NULL, NULL, NULL };
	struct invoice_row bad;
	struct store_outcome o;
	struct store *s = pgt_ready();
	int from;

	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_customers_put(s, pgt_import(s, "customers"), &c, 1, &o), STORE_OK);
	store_close(s);
	pgt_store = NULL;
	cr_expect_eq(pgt_count("customers"), 0);
	cr_expect_eq(pgt_count("imports"), 0);

	s = pgt_ready();
	cr_assert_eq(store_migrate(s, &from), STORE_OK);
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_customers_put(s, pgt_import(s, "customers"), &c, 1, &o), STORE_OK);
	/* An account key that does not exist: the foreign key refuses it. */
	bad = pgt_inv(2, 999999, "IX", 19000, 19030, 1);
	cr_expect_eq(store_invoices_put(s, 1, &bad, 1, &o), STORE_ERR_DB);
	cr_expect(strstr(store_errmsg(s), "writing invoices") != NULL, "%s", store_errmsg(s));
	cr_expect_eq(store_commit(s), STORE_ERR_DB);
	cr_expect_eq(store_rollback(s), STORE_OK);
	cr_expect_eq(pgt_count("customers"), 0);
}

/* ---- opening errors ---------------------------------------------------------------- */

static void pgt_open_fails(const char *url, int code, const char *want, const char *secret)
{
	struct store *s = (struct store *)1;
	char err[512];
	int rc = store_open(url, &s, err, sizeof(err));

	cr_expect_eq(rc, code, "%s: %d, expected %d (%s)", url, rc, code, err);
	cr_expect_null(s);
	cr_expect(strstr(err, want) != NULL, "'%s' not in '%s'", want, err);
	cr_expect(strstr(err, secret) == NULL, "the password is in '%s'", err);
	cr_expect(strchr(err, '\n') == NULL, "more than one line: '%s'", err);
}

Test(store_pg, open_errors_name_the_url_without_password)
{
	char url[1200], want[1300];

	/* Port 1 on loopback: nothing listens there. */
	pgt_open_fails("postgresql://relance:s3cr3tpw@127.0.0.1:1/x", STORE_ERR_DB,
		       "postgresql://relance@127.0.0.1:1/x: connection refused", "s3cr3tpw");
	pgt_open_fails("postgres://127.0.0.1:1/x?password=s3cr3tpw&connect_timeout=5",
		       STORE_ERR_DB, "postgres://127.0.0.1:1/x?connect_timeout=5: connection refused",
		       "s3cr3tpw");
	pgt_open_fails("postgresql://u:s3cr3tpw@[::1/x", STORE_ERR_INPUT,
		       "postgresql://u@[::1/x: not a valid PostgreSQL URL", "s3cr3tpw");
	pgt_open_fails("postgresql://u:s3cr3tpw@localhost/x?nonsense=1", STORE_ERR_INPUT,
		       "postgresql://u@localhost/x?nonsense=1: not a valid PostgreSQL URL",
		       "s3cr3tpw");
	pgt_url_for("no_such_database_here", url, sizeof(url));
	snprintf(want, sizeof(want), "%s: database \"no_such_database_here\" does not exist", url);
	pgt_open_fails(url, STORE_ERR_DB, want, "s3cr3tpw");
}
