/*
 * The store interface on both engines: every STORE_TEST runs once in the
 * suite store_sqlite and once in store_pg, each on a fresh database of its
 * own (store_support.h). What only one engine has (URL parsing and
 * connection failures, file paths) has plain Test()s in its suite. Checks
 * made with raw SQL go through the engine's own client library, never
 * through the store under test, and use SQL that both engines read the
 * same way.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/core/custfile.h"
#include "../../src/store/store.h"
#include "store_support.h"

#define STORE_TEST(name) STORE_SUPPORT_TEST(store_sqlite, store_pg, name)

STORE_SUPPORT_SUITES(store_sqlite, store_pg, "store");

static int64_t t_import(struct store *s, const char *kind)
{
	int64_t id = 0;

	cr_assert_eq(store_import_begin(s, kind, "test.csv", 1700000000, &id), STORE_OK, "%s",
		     store_errmsg(s));
	return id;
}

static int64_t t_count(const char *table)
{
	char sql[128], msg[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	cr_assert_eq(store_support_exec(sql, msg, sizeof(msg)), 0, "%s", msg);
	return strtoll(msg, NULL, 10);
}

static void t_expect(const struct store_outcome *o, int put, const char *what, int64_t line,
		       const char *row)
{
	cr_expect_eq(o->put, put, "%s: outcome %d, expected %d", row, o->put, put);
	if (what != NULL)
		cr_expect(o->what != NULL && strcmp(o->what, what) == 0,
			  "%s: what is %s, expected %s", row, o->what ? o->what : "NULL", what);
	else
		cr_expect_null(o->what, "%s: what is %s, expected none", row, o->what);
	if (put == STORE_PUT_DUPLICATE)
		cr_expect_eq(o->line, line, "%s: duplicate of line %lld, expected %lld", row,
			     (long long)o->line, (long long)line);
}

/* Customers C1, C2 and accounts A1 (C1, EUR), A2 (C2, BIF) from import 1. */
static void t_base(struct store *s)
{
	struct customer_row c[2] = {
		{ 2, "C1", "Alice", "fr-FR", "Europe/Paris", "fr", "+33600000001", NULL, "" },
		{ 3, "C2", "Bosco", "fr-BI", "Africa/Bujumbura", "bi", NULL, "b@example.org", "vip" },
	};
	struct account_row a[2] = { { 2, "A1", "C1", "EUR" }, { 3, "A2", "C2", "BIF" } };
	struct store_outcome o[2];
	int64_t imp = t_import(s, "customers");

	cr_assert_eq(store_customers_put(s, imp, c, 2, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_NEW, NULL, 0, "C1");
	t_expect(&o[1], STORE_PUT_NEW, NULL, 0, "C2");
	imp = t_import(s, "accounts");
	cr_assert_eq(store_accounts_put(s, imp, a, 2, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_NEW, NULL, 0, "A1");
	t_expect(&o[1], STORE_PUT_NEW, NULL, 0, "A2");
}

static int64_t t_key(struct store *s, const char *account_id)
{
	struct account_ref ref;

	cr_assert_eq(store_accounts_find(s, &account_id, 1, &ref), STORE_OK, "%s",
		     store_errmsg(s));
	cr_assert(ref.found, "account %s not found", account_id);
	return ref.account_key;
}

/* ---- schema ------------------------------------------------------------------ */

STORE_TEST(migrate_from_empty_then_again_is_a_no_op)
{
	struct store *s;
	int from = -1;

	s = store_support.store = store_support_open();
	cr_expect_eq(store_check_schema(s), STORE_ERR_SCHEMA);
	cr_assert_eq(store_migrate(s, &from), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(from, 0);
	cr_expect_eq(store_check_schema(s), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_migrate(s, &from), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(from, STORE_SCHEMA_VERSION);
	cr_expect_eq(t_count("schema_version"), 1);
}

STORE_TEST(version_1_database_migrates_to_the_latest_and_keeps_its_rows)
{
	struct store *s;
	char msg[512];
	int from = -1;

	/* A database as the first release left it: script 001 alone, with a
	 * policy row written by hand (that release had no `policy load`). */
	s = store_support_at_version(1);
	cr_assert_eq(store_support_exec("INSERT INTO policies (version, loaded_at, source, body) "
					"VALUES (1, 1700000000, 'old.yaml', 'name: old')", msg,
					sizeof(msg)), 0, "%s", msg);
	cr_expect_eq(store_check_schema(s), STORE_ERR_SCHEMA);
	cr_expect(strstr(store_errmsg(s), "run `relance init`") != NULL, "%s", store_errmsg(s));
	cr_assert_eq(store_migrate(s, &from), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(from, 1);
	cr_expect_eq(store_check_schema(s), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(t_count("schema_version"), 1);
	cr_assert_eq(store_support_exec("SELECT version FROM schema_version", msg, sizeof(msg)), 0);
	cr_expect_eq(strtol(msg, NULL, 10), STORE_SCHEMA_VERSION, "%s", msg);
	/* What 002 adds is in force, and the row of version 1 is still there. */
	cr_expect_eq(store_support_exec("DELETE FROM policies", msg, sizeof(msg)), -1);
	cr_expect(strstr(msg, "append-only") != NULL, "%s", msg);
	cr_expect_eq(t_count("policies"), 1);
	cr_assert_eq(store_migrate(s, &from), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(from, STORE_SCHEMA_VERSION);
}

STORE_TEST(newer_schema_is_refused_and_left_untouched)
{
	struct store *s = store_support_ready();
	char msg[256];
	int from = -1;

	cr_assert_eq(store_support_exec("UPDATE schema_version SET version = 99", msg, sizeof(msg)),
		     0, "%s", msg);
	cr_expect_eq(store_migrate(s, &from), STORE_ERR_INPUT);
	cr_expect_eq(from, 99);
	cr_expect(strstr(store_errmsg(s), "newer") != NULL, "%s", store_errmsg(s));
	cr_expect_eq(store_check_schema(s), STORE_ERR_INPUT);
	cr_assert_eq(store_support_exec("SELECT version FROM schema_version", msg, sizeof(msg)), 0);
	cr_expect_str_eq(msg, "99");
}

STORE_TEST(concurrent_migrations_both_succeed)
{
	pid_t kids[4];
	int froms = 0;

	/* Four `relance init` at once. PostgreSQL: without the advisory lock
	 * two CREATE TABLE of the same name race and one of them fails on the
	 * catalog's unique index. SQLite: the file does not exist yet, so they
	 * also race to create it and to switch it to WAL. */
	for (int i = 0; i < 4; i++) {
		kids[i] = fork();
		cr_assert(kids[i] >= 0);
		if (kids[i] == 0) {
			struct store *s = NULL;
			char err[512];
			int from = -1;

			if (store_open_ex(store_support.url, STORE_OPEN_CREATE, &s, err,
					  sizeof(err)) != STORE_OK) {
				fprintf(stderr, "%s\n", err);
				_exit(10);
			}
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
	cr_expect_eq(t_count("schema_version"), 1);
}

/* ---- puts ------------------------------------------------------------------------ */

STORE_TEST(customers_new_same_updated_duplicate)
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
	struct store *s = store_support_ready();
	int64_t imp = t_import(s, "customers");
	char msg[256];

	cr_assert_eq(store_customers_put(s, imp, first, 3, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_NEW, NULL, 0, "first C1");
	t_expect(&o[1], STORE_PUT_NEW, NULL, 0, "first C2");
	t_expect(&o[2], STORE_PUT_DUPLICATE, NULL, 2, "first C1 again");

	imp = t_import(s, "customers");
	cr_assert_eq(store_customers_put(s, imp, again, 4, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_SAME, NULL, 0, "again C1");
	t_expect(&o[1], STORE_PUT_UPDATED, NULL, 0, "again C2");
	t_expect(&o[2], STORE_PUT_NEW, NULL, 0, "again C3");
	t_expect(&o[3], STORE_PUT_DUPLICATE, NULL, 3, "again C2 again");
	/* A later batch of the same import sees the earlier ones. */
	cr_assert_eq(store_customers_put(s, imp, later, 1, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_DUPLICATE, NULL, 4, "later C3");

	cr_expect_eq(t_count("customers"), 3);
	cr_assert_eq(store_support_exec("SELECT phone FROM customers WHERE customer_id = 'C2'", msg,
					sizeof(msg)), 0);
	cr_expect_str_eq(msg, "+25779000000");
	cr_assert_eq(store_support_exec("SELECT name FROM customers WHERE customer_id = 'C3'", msg,
					sizeof(msg)), 0);
	cr_expect_str_eq(msg, "Chloé \"the\" \\ one");
	cr_assert_eq(store_support_exec("SELECT count(*) FROM customers WHERE email IS NULL AND "
					"segment IS NULL", msg, sizeof(msg)), 0);
	cr_expect_str_eq(msg, "3", "absent optional fields are stored as NULL");
}

STORE_TEST(accounts_no_ref_conflicts_same_duplicate)
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
	struct store *s = store_support_ready();
	int64_t imp;

	t_base(s);
	imp = t_import(s, "accounts");
	cr_assert_eq(store_accounts_put(s, imp, rows, 7, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_NO_REF, "customer_id", 0, "A9 unknown customer");
	t_expect(&o[1], STORE_PUT_NEW, NULL, 0, "A9");
	t_expect(&o[2], STORE_PUT_DUPLICATE, NULL, 11, "A9 again");
	t_expect(&o[3], STORE_PUT_CONFLICT, "customer_id", 0, "A1 other customer");
	t_expect(&o[4], STORE_PUT_CONFLICT, "currency", 0, "A1 other currency");
	t_expect(&o[5], STORE_PUT_SAME, NULL, 0, "A1 same");
	t_expect(&o[6], STORE_PUT_NO_REF, "customer_id", 0, "A8 no customer");
	cr_expect_eq(t_count("accounts"), 3);
}

STORE_TEST(services_no_ref_new_updated_conflict_same)
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
	struct store *s = store_support_ready();
	int64_t imp;
	char msg[256];

	t_base(s);
	imp = t_import(s, "services");
	cr_assert_eq(store_services_put(s, imp, first, 3, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_NEW, NULL, 0, "S1");
	t_expect(&o[1], STORE_PUT_NO_REF, "account_id", 0, "S2");
	t_expect(&o[2], STORE_PUT_DUPLICATE, NULL, 2, "S1 again");
	imp = t_import(s, "services");
	cr_assert_eq(store_services_put(s, imp, again, 4, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_SAME, NULL, 0, "S1 same");
	t_expect(&o[1], STORE_PUT_CONFLICT, "account_id", 0, "S1 other account");
	t_expect(&o[2], STORE_PUT_UPDATED, NULL, 0, "S1 changed");
	t_expect(&o[3], STORE_PUT_DUPLICATE, NULL, 4, "S1 after its update");
	cr_assert_eq(store_support_exec("SELECT kind || ' ' || identifier || ' ' || adapter || "
					"' ' || source_line FROM services", msg, sizeof(msg)), 0);
	cr_expect_str_eq(msg, "fixed_internet CPE-1 tr069 4");
}

static struct invoice_row t_inv(int64_t line, int64_t key, const char *id, int32_t issued,
				  int32_t due, int64_t amount)
{
	struct invoice_row r = { line, key, { id, issued, due, amount } };

	return r;
}

STORE_TEST(invoices_new_duplicate_same_conflict)
{
	struct store *s = store_support_ready();
	struct invoice_row rows[4], again[6];
	struct store_outcome o[6];
	int64_t a1, a2, imp;

	t_base(s);
	a1 = t_key(s, "A1");
	a2 = t_key(s, "A2");
	rows[0] = t_inv(2, a1, "I1", 19900, 19930, 12500);
	rows[1] = t_inv(3, a1, "I2", 19900, 19930, 100);
	rows[2] = t_inv(4, a1, "I1", 19900, 19930, 99999);   /* same import: duplicate */
	rows[3] = t_inv(5, a2, "I3", 19900, 19930, 5000);
	imp = t_import(s, "invoices");
	cr_assert_eq(store_invoices_put(s, imp, rows, 4, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_NEW, NULL, 0, "I1");
	t_expect(&o[1], STORE_PUT_NEW, NULL, 0, "I2");
	t_expect(&o[2], STORE_PUT_DUPLICATE, NULL, 2, "I1 again");
	t_expect(&o[3], STORE_PUT_NEW, NULL, 0, "I3");
	/* The next batch of the same import. */
	rows[0] = t_inv(9, a1, "I2", 19900, 19930, 100);
	cr_assert_eq(store_invoices_put(s, imp, rows, 1, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_DUPLICATE, NULL, 3, "I2 next batch");

	again[0] = t_inv(2, a1, "I1", 19900, 19930, 12500);
	again[1] = t_inv(3, a1, "I2", 19900, 19930, 101);
	again[2] = t_inv(4, a1, "I2", 19900, 19931, 100);
	again[3] = t_inv(5, a1, "I2", 19901, 19930, 100);
	again[4] = t_inv(6, a1, "I3", 19900, 19930, 5000);
	again[5] = t_inv(7, a1, "I4", 19900, 19930, 7);
	imp = t_import(s, "invoices");
	cr_assert_eq(store_invoices_put(s, imp, again, 6, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_SAME, NULL, 0, "I1 same");
	t_expect(&o[1], STORE_PUT_CONFLICT, "amount", 0, "I2 amount");
	t_expect(&o[2], STORE_PUT_CONFLICT, "due_on", 0, "I2 due_on");
	t_expect(&o[3], STORE_PUT_CONFLICT, "issued_on", 0, "I2 issued_on");
	t_expect(&o[4], STORE_PUT_CONFLICT, "account_id", 0, "I3 other account");
	t_expect(&o[5], STORE_PUT_NEW, NULL, 0, "I4");
	cr_expect_eq(t_count("invoices"), 4);
}

static struct credit_row t_pay(int64_t line, int64_t key, const char *id, int64_t at,
				 int64_t amount, const char *method, const char *invoice)
{
	struct credit_row r = { line, key, { LEDGER_PAYMENT, id, invoice, at, 0, amount },
				method, NULL };

	return r;
}

static struct credit_row t_note(int64_t line, int64_t key, const char *id, int32_t issued,
				  int64_t amount, const char *reason, const char *invoice)
{
	struct credit_row r = { line, key, { LEDGER_CREDIT_NOTE, id, invoice, 0, issued, amount },
				NULL, reason };

	return r;
}

STORE_TEST(credits_payments_and_notes_apart)
{
	struct store *s = store_support_ready();
	struct credit_row rows[5], again[8];
	struct store_outcome o[8];
	int64_t a1, imp;
	char msg[256];

	t_base(s);
	a1 = t_key(s, "A1");
	/* The same id as a payment and as a credit note: two ledgers. */
	rows[0] = t_pay(2, a1, "X1", 1720000000, 500, "card", NULL);
	rows[1] = t_note(3, a1, "X1", 19900, 300, "goodwill", "I1");
	rows[2] = t_pay(4, a1, "P2", 1720000100, 200, "", "I1");
	rows[3] = t_note(5, a1, "X1", 19900, 300, "goodwill", "I1");
	rows[4] = t_pay(6, a1, "X1", 1720000000, 500, "card", NULL);
	imp = t_import(s, "payments");
	cr_assert_eq(store_credits_put(s, imp, rows, 5, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_NEW, NULL, 0, "payment X1");
	t_expect(&o[1], STORE_PUT_NEW, NULL, 0, "note X1");
	t_expect(&o[2], STORE_PUT_NEW, NULL, 0, "payment P2");
	t_expect(&o[3], STORE_PUT_DUPLICATE, NULL, 3, "note X1 again");
	t_expect(&o[4], STORE_PUT_DUPLICATE, NULL, 2, "payment X1 again");

	again[0] = t_pay(2, a1, "X1", 1720000000, 500, "card", "");
	again[1] = t_pay(3, a1, "X1", 1720000001, 500, "card", NULL);
	again[2] = t_pay(4, a1, "X1", 1720000000, 500, "cash", NULL);
	again[3] = t_pay(5, a1, "X1", 1720000000, 500, "card", "I9");
	again[4] = t_pay(6, a1, "P2", 1720000100, 200, NULL, "I1");
	again[5] = t_note(7, a1, "X1", 19900, 300, "gesture", "I1");
	again[6] = t_note(8, a1, "X1", 19901, 300, "goodwill", "I1");
	again[7] = t_note(9, a1, "X1", 19900, 300, "goodwill", NULL);
	imp = t_import(s, "payments");
	cr_assert_eq(store_credits_put(s, imp, again, 8, o), STORE_OK, "%s", store_errmsg(s));
	t_expect(&o[0], STORE_PUT_SAME, NULL, 0, "X1 same");
	t_expect(&o[1], STORE_PUT_CONFLICT, "received_at", 0, "X1 received_at");
	t_expect(&o[2], STORE_PUT_CONFLICT, "method", 0, "X1 method");
	t_expect(&o[3], STORE_PUT_CONFLICT, "invoice_id", 0, "X1 invoice");
	t_expect(&o[4], STORE_PUT_SAME, NULL, 0, "P2 same");
	t_expect(&o[5], STORE_PUT_CONFLICT, "reason", 0, "note reason");
	t_expect(&o[6], STORE_PUT_CONFLICT, "issued_on", 0, "note issued_on");
	t_expect(&o[7], STORE_PUT_CONFLICT, "invoice_id", 0, "note invoice");
	cr_expect_eq(t_count("payments"), 2);
	cr_expect_eq(t_count("credit_notes"), 1);
	cr_assert_eq(store_support_exec("SELECT count(*) FROM payments WHERE method IS NULL", msg,
					sizeof(msg)), 0);
	cr_expect_str_eq(msg, "1");
}

STORE_TEST(ledger_rows_cannot_change)
{
	struct store *s = store_support_ready();
	struct invoice_row r;
	struct store_outcome o;
	char msg[512];

	t_base(s);
	r = t_inv(2, t_key(s, "A1"), "I1", 19900, 19930, 100);
	cr_assert_eq(store_invoices_put(s, t_import(s, "invoices"), &r, 1, &o), STORE_OK);
	cr_expect_eq(store_support_exec("UPDATE invoices SET amount = 1", msg, sizeof(msg)), -1);
	cr_expect(strstr(msg, "append-only") != NULL, "%s", msg);
	cr_expect_eq(store_support_exec("DELETE FROM invoices", msg, sizeof(msg)), -1);
	cr_expect(strstr(msg, "append-only") != NULL, "%s", msg);
	cr_expect_eq(t_count("invoices"), 1);
}

STORE_TEST(big_batches_with_repeats)
{
	enum { N = 5000 };
	static struct invoice_row rows[N], again[N];
	static struct store_outcome o[N];
	static char ids[N][16];
	struct store *s = store_support_ready();
	int64_t a1, imp;
	size_t news = 0, dups = 0, n = 0;

	t_base(s);
	a1 = t_key(s, "A1");
	for (int i = 0; i < N; i++) {
		/* Every fifth row repeats the id four rows before it. */
		snprintf(ids[i], sizeof(ids[i]), "B%d", i % 5 == 4 ? i - 4 : i);
		rows[i] = t_inv(i + 2, a1, ids[i], 19900, 19930, 100 + i % 5 * 0);
	}
	imp = t_import(s, "invoices");
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_invoices_put(s, imp, rows, N, o), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	for (int i = 0; i < N; i++) {
		if (i % 5 == 4) {
			t_expect(&o[i], STORE_PUT_DUPLICATE, NULL, i - 2, ids[i]);
			dups++;
		} else {
			t_expect(&o[i], STORE_PUT_NEW, NULL, 0, ids[i]);
			news++;
		}
	}
	cr_expect_eq(news, 4000);
	cr_expect_eq(dups, 1000);
	cr_expect_eq(t_count("invoices"), 4000);

	/* The 4000 ids again in a later import, every seventh with another
	 * amount: each is compared with what is stored. */
	for (int i = 0; i < N; i++) {
		if (i % 5 == 4)
			continue;
		again[n] = rows[i];
		again[n].inv.amount = n % 7 == 3 ? 999 : 100;
		n++;
	}
	cr_assert_eq(n, 4000);
	cr_assert_eq(store_invoices_put(s, t_import(s, "invoices"), again, n, o), STORE_OK, "%s",
		     store_errmsg(s));
	for (size_t i = 0; i < n; i++)
		t_expect(&o[i], i % 7 == 3 ? STORE_PUT_CONFLICT : STORE_PUT_SAME,
			 i % 7 == 3 ? "amount" : NULL, 0, again[i].inv.id);
	cr_expect_eq(t_count("invoices"), 4000);
}

STORE_TEST(big_credit_batches)
{
	enum { N = 300 };
	static struct credit_row rows[N];
	static struct store_outcome o[N];
	static char ids[N][16];
	struct store *s = store_support_ready();
	int64_t a1;

	t_base(s);
	a1 = t_key(s, "A1");
	/* 200 payments, then 100 credit notes: batches long enough to be
	 * written many rows per statement, each with a repeated id, and a
	 * credit note named like a payment (a ledger of its own). */
	for (int i = 0; i < N; i++) {
		if (i < 200) {
			snprintf(ids[i], sizeof(ids[i]), "P%d", i == 150 ? 10 : i);
			rows[i] = t_pay(i + 2, a1, ids[i], 1720000000 + i, 10, "card", NULL);
		} else {
			snprintf(ids[i], sizeof(ids[i]), i == 299 ? "P3" : "N%d", i == 290 ? 250 : i);
			rows[i] = t_note(i + 2, a1, ids[i], 19900, 10, "goodwill", NULL);
		}
	}
	cr_assert_eq(store_credits_put(s, t_import(s, "payments"), rows, N, o), STORE_OK, "%s",
		     store_errmsg(s));
	for (int i = 0; i < N; i++) {
		if (i == 150)
			t_expect(&o[i], STORE_PUT_DUPLICATE, NULL, 12, ids[i]);
		else if (i == 290)
			t_expect(&o[i], STORE_PUT_DUPLICATE, NULL, 252, ids[i]);
		else
			t_expect(&o[i], STORE_PUT_NEW, NULL, 0, ids[i]);
	}
	cr_expect_eq(t_count("payments"), 199);
	cr_expect_eq(t_count("credit_notes"), 99);

	/* The first 128 payments again, one with another method. */
	rows[40].method = "cash";
	cr_assert_eq(store_credits_put(s, t_import(s, "payments"), rows, 128, o), STORE_OK, "%s",
		     store_errmsg(s));
	for (int i = 0; i < 128; i++)
		t_expect(&o[i], i == 40 ? STORE_PUT_CONFLICT : STORE_PUT_SAME,
			 i == 40 ? "method" : NULL, 0, ids[i]);
	cr_expect_eq(t_count("payments"), 199);
}

/* ---- look-ups -------------------------------------------------------------------- */

STORE_TEST(accounts_find_and_invoices_find)
{
	const char *ids[4] = { "A2", "nope", "A1", "A2" };
	const char *inv_ids[3] = { "I1", "I0", "I1" };
	struct account_ref ref[4];
	struct invoice_ref iref[3];
	struct store *s = store_support_ready();
	struct invoice_row r;
	struct store_outcome o;
	int64_t a1;

	t_base(s);
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
	r = t_inv(2, a1, "I1", 19900, 19930, 100);
	cr_assert_eq(store_invoices_put(s, t_import(s, "invoices"), &r, 1, &o), STORE_OK);
	cr_assert_eq(store_invoices_find(s, inv_ids, 3, iref), STORE_OK, "%s", store_errmsg(s));
	cr_expect(iref[0].found && iref[2].found && !iref[1].found);
	cr_expect_eq(iref[0].account_key, a1);
	cr_expect_eq(store_accounts_find(s, ids, 0, ref), STORE_OK);
}

/* ---- ledger scan ------------------------------------------------------------------- */

struct t_seen {
	int64_t key;
	char account_id[16], currency[4], timezone[32];
	int exponent;
	size_t n_inv, n_cr;
	int64_t total;   /* invoices - credits */
	char entries[128];
};

struct t_scan {
	struct t_seen seen[3000];
	size_t n;
	size_t stop_after;   /* 0: never */
	int fail;
};

static int t_collect(void *ctx, const struct account_ledger *l)
{
	struct t_scan *c = ctx;
	struct t_seen *v;

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
static int t_has(const struct t_seen *v, const char *what)
{
	return strstr(v->entries, what) != NULL;
}

STORE_TEST(ledger_scan_groups_orders_and_selects)
{
	static struct t_scan c;
	struct account_row a[2] = { { 4, "A3", "C1", "KWD" }, { 5, "A0", "C2", "EUR" } };
	struct invoice_row inv[4];
	struct credit_row cr[3];
	struct store_outcome o[4];
	struct store *s = store_support_ready();
	int64_t k1, k2, k3, k0, keys[2];

	t_base(s);
	cr_assert_eq(store_accounts_put(s, t_import(s, "accounts"), a, 2, o), STORE_OK);
	k1 = t_key(s, "A1");
	k2 = t_key(s, "A2");
	k3 = t_key(s, "A3");
	k0 = t_key(s, "A0");
	cr_assert(k1 < k2 && k2 < k3 && k3 < k0);
	/* Entries imported out of account order. */
	inv[0] = t_inv(2, k3, "I30", 19000, 19030, 3000);
	inv[1] = t_inv(3, k1, "I10", 19000, 19030, 1000);
	inv[2] = t_inv(4, k3, "I31", 19001, 19031, 3100);
	inv[3] = t_inv(5, k1, "I11", 19002, 19032, 1100);
	cr_assert_eq(store_invoices_put(s, t_import(s, "invoices"), inv, 4, o), STORE_OK);
	cr[0] = t_pay(2, k3, "P30", 1700000000, 50, "card", "I30");
	cr[1] = t_note(3, k1, "N10", 19005, 70, "sorry", NULL);
	cr[2] = t_pay(4, k1, "P10", 1700000500, 30, NULL, NULL);
	cr_assert_eq(store_credits_put(s, t_import(s, "payments"), cr, 3, o), STORE_OK);

	cr_assert_eq(store_ledger_scan(s, NULL, 0, t_collect, &c), STORE_OK, "%s",
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
	cr_expect(t_has(&c.seen[0], "i:I10:19000:19030 "), "%s", c.seen[0].entries);
	cr_expect(t_has(&c.seen[0], "c:N10:19005:- "), "%s", c.seen[0].entries);
	cr_expect(t_has(&c.seen[0], "p:P10:1700000500:- "), "%s", c.seen[0].entries);
	cr_expect_eq(c.seen[1].key, k2);
	cr_expect_eq(c.seen[1].n_inv + c.seen[1].n_cr, 0, "an account without entries");
	cr_expect_eq(c.seen[1].exponent, 0);
	cr_expect_eq(c.seen[2].key, k3);
	cr_expect_eq(c.seen[2].exponent, 3);
	cr_expect_eq(c.seen[2].n_inv, 2);
	cr_expect(t_has(&c.seen[2], "p:P30:1700000000:I30 "), "%s", c.seen[2].entries);
	cr_expect_eq(c.seen[3].key, k0);
	cr_expect_eq(c.seen[3].n_inv + c.seen[3].n_cr, 0);

	/* A subset of keys, one of them without entries. */
	c.n = 0;
	keys[0] = k2;
	keys[1] = k3;
	cr_assert_eq(store_ledger_scan(s, keys, 2, t_collect, &c), STORE_OK);
	cr_assert_eq(c.n, 2);
	cr_expect_eq(c.seen[0].key, k2);
	cr_expect_eq(c.seen[1].key, k3);
	cr_expect_eq(c.seen[1].total, 3000 + 3100 - 50);

	/* Stopping and aborting. */
	c.n = 0;
	c.stop_after = 2;
	cr_expect_eq(store_ledger_scan(s, NULL, 0, t_collect, &c), STORE_STOP);
	cr_expect_eq(c.n, 2);
	c.n = 0;
	c.fail = 1;
	cr_expect_eq(store_ledger_scan(s, NULL, 0, t_collect, &c), STORE_ERR_INPUT);
	cr_expect_eq(c.n, 2);
	c.n = 0;
	c.stop_after = 0;
	cr_expect_eq(store_ledger_scan(s, keys, 0, t_collect, &c), STORE_OK);
	cr_expect_eq(c.n, 0);
}

STORE_TEST(ledger_scan_pages_through_many_accounts)
{
	enum { N = 2500 };
	static struct t_scan c;
	static struct account_row a[N];
	static struct store_outcome o[N];
	static struct invoice_row inv[N];
	static char ids[N][16], inv_ids[N][16];
	static int64_t keys[N];
	static const char *idp[N];
	static struct account_ref ref[N];
	struct store *s = store_support_ready();
	size_t nk = 0;

	t_base(s);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "M%05d", i);
		a[i] = (struct account_row){ i + 2, ids[i], i % 2 ? "C1" : "C2", "EUR" };
		idp[i] = ids[i];
	}
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_accounts_put(s, t_import(s, "accounts"), a, N, o), STORE_OK);
	cr_assert_eq(store_accounts_find(s, idp, N, ref), STORE_OK);
	/* Every third account gets an invoice of i cents. */
	for (int i = 0; i < N; i += 3) {
		snprintf(inv_ids[nk], sizeof(inv_ids[nk]), "MI%05d", i);
		inv[nk] = t_inv(i + 2, ref[i].account_key, inv_ids[nk], 19000, 19030, i + 1);
		nk++;
	}
	cr_assert_eq(store_invoices_put(s, t_import(s, "invoices"), inv, nk, o), STORE_OK);
	cr_assert_eq(store_commit(s), STORE_OK);

	cr_assert_eq(store_ledger_scan(s, NULL, 0, t_collect, &c), STORE_OK, "%s",
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
	cr_assert_eq(store_ledger_scan(s, keys + 1, N - 1, t_collect, &c), STORE_OK);
	cr_assert_eq(c.n, N - 1);
	cr_expect_str_eq(c.seen[0].account_id, "M00001");
	cr_expect_str_eq(c.seen[N - 2].account_id, "M02499");
}

/* ---- positions ------------------------------------------------------------------- */

struct t_summary {
	char lines[16][256];
	size_t n;
};

static int t_summarise(void *ctx, const struct account_summary *a)
{
	struct t_summary *c = ctx;
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

STORE_TEST(snapshots_round_trip_through_accounts_scan)
{
	static struct t_summary c;
	struct account_row a[3] = {
		{ 4, "a_c", "C1", "EUR" }, { 5, "aB", "C1", "EUR" }, { 6, "A-9", "C2", "BIF" },
	};
	struct open_item items[3] = { { 19030, 19000, 700 }, { 19060, 19030, 1000 },
				      { -5, -40, INT64_MAX } };
	struct position p[3];
	int64_t keys[3];
	struct store_outcome o[3];
	struct store *s = store_support_ready();
	char msg[256];

	t_base(s);
	cr_assert_eq(store_accounts_put(s, t_import(s, "accounts"), a, 3, o), STORE_OK);
	memset(p, 0, sizeof(p));
	keys[0] = t_key(s, "aB");
	p[0] = (struct position){ .balance = 1700, .invoiced = 2000, .paid = 300, .credited = 0,
				  .complete_at = 1700000000, .open = items, .n_open = 2 };
	keys[1] = t_key(s, "A1");
	p[1] = (struct position){ .balance = -5, .invoiced = 0, .paid = 5,
				  .complete_at = INT64_MIN, .open = NULL, .n_open = 0 };
	/* The same key twice in one batch: the last one wins. */
	keys[2] = keys[0];
	p[2] = (struct position){ .balance = 42, .invoiced = 42, .complete_at = 7,
				  .open = items + 2, .n_open = 1 };
	cr_assert_eq(store_snapshots_put(s, keys, p, 2), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_snapshots_put(s, keys, p, 3), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_support_exec("INSERT INTO cases (account_key, stage, stage_since) "
					"SELECT account_key, 'reminder', 0 FROM accounts "
					"WHERE account_id = 'A2'", msg, sizeof(msg)), 0, "%s", msg);

	cr_assert_eq(store_accounts_scan(s, NULL, t_summarise, &c), STORE_OK, "%s",
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
	cr_assert_eq(store_support_exec("SELECT coalesce(CAST(oldest_open_due AS TEXT), 'none') "
					"FROM positions p JOIN accounts a USING (account_key) "
					"WHERE account_id = 'aB'", msg, sizeof(msg)), 0);
	cr_expect_str_eq(msg, "-5");

	/* Back to two open items, then one account alone. */
	cr_assert_eq(store_snapshots_put(s, keys, p, 1), STORE_OK, "%s", store_errmsg(s));
	c.n = 0;
	cr_assert_eq(store_accounts_scan(s, "aB", t_summarise, &c), STORE_OK);
	cr_assert_eq(c.n, 1);
	cr_expect_str_eq(c.lines[0], "aB C1 EUR Europe/Paris fr fr-FR Alice  [] [] 1 "
			 "1700/2000/300/0@1700000000 (19030,19000,700) (19060,19030,1000)");
	c.n = 0;
	cr_assert_eq(store_accounts_scan(s, "nope", t_summarise, &c), STORE_OK);
	cr_expect_eq(c.n, 0);
}

static int t_count_accounts(void *ctx, const struct account_summary *a)
{
	int *n = ctx;

	(void)a;
	return ++*n == 1500 ? STORE_STOP : 0;
}

STORE_TEST(accounts_scan_pages_and_stops)
{
	enum { N = 2200 };
	static struct account_row a[N];
	static struct store_outcome o[N];
	static char ids[N][16];
	struct store *s = store_support_ready();
	int n = 0;

	t_base(s);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "Z%04d", N - i);
		a[i] = (struct account_row){ i + 2, ids[i], "C1", "EUR" };
	}
	cr_assert_eq(store_accounts_put(s, t_import(s, "accounts"), a, N, o), STORE_OK);
	cr_expect_eq(store_accounts_scan(s, NULL, t_count_accounts, &n), STORE_STOP);
	cr_expect_eq(n, 1500);
}

struct t_owned {
	struct store *s;
	struct t_summary c;
	int stop_at;              /* > 0: STORE_STOP at that call */
};

/* Looks the account up again from inside the scan: a callback may use the store. */
static int t_owned_account(void *ctx, const struct customer_account *a)
{
	struct t_owned *w = ctx;

	cr_assert_lt(w->c.n, 16);
	cr_expect_eq(a->account_key, t_key(w->s, a->account_id), "%s: key", a->account_id);
	snprintf(w->c.lines[w->c.n++], 256, "%s %s", a->account_id, a->currency);
	return w->stop_at > 0 && (int)w->c.n == w->stop_at ? STORE_STOP : 0;
}

STORE_TEST(accounts_of_customer_in_byte_order_and_stops)
{
	static struct t_owned w;
	struct account_row a[4] = {
		{ 4, "a_c", "C1", "EUR" }, { 5, "aB", "C1", "USD" }, { 6, "A-9", "C1", "CAD" },
		{ 7, "Z1", "C2", "BIF" },
	};
	struct store_outcome o[4];
	struct store *s = store_support_ready();

	t_base(s);
	cr_assert_eq(store_accounts_put(s, t_import(s, "accounts"), a, 4, o), STORE_OK);
	/* No ledger entry, no entry on any file: every account is listed all the same. */
	memset(&w, 0, sizeof(w));
	w.s = s;
	cr_assert_eq(store_accounts_of_customer(s, "C1", t_owned_account, &w), STORE_OK, "%s",
		     store_errmsg(s));
	cr_assert_eq(w.c.n, 4);
	/* Byte order whatever the database's collation: '-' < '1' < 'B' < '_'. */
	cr_expect_str_eq(w.c.lines[0], "A-9 CAD");
	cr_expect_str_eq(w.c.lines[1], "A1 EUR");
	cr_expect_str_eq(w.c.lines[2], "aB USD");
	cr_expect_str_eq(w.c.lines[3], "a_c EUR");
	w.c.n = 0;
	cr_assert_eq(store_accounts_of_customer(s, "C2", t_owned_account, &w), STORE_OK);
	cr_assert_eq(w.c.n, 2);
	cr_expect_str_eq(w.c.lines[0], "A2 BIF");
	cr_expect_str_eq(w.c.lines[1], "Z1 BIF");
	w.c.n = 0;
	cr_expect_eq(store_accounts_of_customer(s, "C404", t_owned_account, &w), STORE_OK);
	cr_expect_eq(w.c.n, 0, "an unknown customer has no accounts");
	w.stop_at = 2;
	cr_expect_eq(store_accounts_of_customer(s, "C1", t_owned_account, &w), STORE_STOP);
	cr_expect_eq(w.c.n, 2);
}

/* ---- customer file views -------------------------------------------------------- */

static int t_service(void *ctx, const struct service_view *v)
{
	struct t_summary *c = ctx;

	snprintf(c->lines[c->n++], 256, "%s %s %s %s", v->service_id, v->kind, v->identifier,
		 v->adapter);
	return 0;
}

static int t_customer(void *ctx, const struct customer_view *v)
{
	struct t_summary *c = ctx;

	snprintf(c->lines[c->n++], 256, "%s|%s|%s|%s|%s|%s|%s|%s", v->customer_id, v->name,
		 v->locale, v->timezone, v->jurisdiction, v->phone, v->email, v->segment);
	return 0;
}

STORE_TEST(services_scan_and_customer_get)
{
	static struct t_summary c;
	struct service_row sv[3] = {
		{ 2, "S_b", "A1", "mobile", "+33600000001", "webhook" },
		{ 3, "S-a", "A1", "fixed_internet", "CPE-9", "tr069" },
		{ 4, "S3", "A2", "water", "M-1", "webhook" },
	};
	struct store_outcome o[3];
	struct store *s = store_support_ready();

	t_base(s);
	cr_assert_eq(store_services_put(s, t_import(s, "services"), sv, 3, o), STORE_OK);
	cr_assert_eq(store_services_scan(s, t_key(s, "A1"), t_service, &c), STORE_OK);
	cr_assert_eq(c.n, 2);
	cr_expect_str_eq(c.lines[0], "S-a fixed_internet CPE-9 tr069");
	cr_expect_str_eq(c.lines[1], "S_b mobile +33600000001 webhook");
	c.n = 0;
	cr_assert_eq(store_customer_get(s, "C2", t_customer, &c), STORE_OK);
	cr_assert_eq(c.n, 1);
	cr_expect_str_eq(c.lines[0], "C2|Bosco|fr-BI|Africa/Bujumbura|bi||b@example.org|vip");
	cr_expect_eq(store_customer_get(s, "C404", t_customer, &c), STORE_ERR_INPUT);
	cr_expect_eq(c.n, 1, "no callback for an unknown customer");
}

/* ---- the customer file ------------------------------------------------------------ */

/* Every entry scanned: a line of its columns, and each customer's chain checked. */
struct t_file {
	char lines[8][256];
	size_t n;
	char customer[32];
	struct custfile_check check;
	int faults;
	int64_t stop_at;   /* STORE_STOP after this many entries; 0: never */
};

static int t_file_entry(void *ctx, const struct file_entry_view *v)
{
	struct t_file *f = ctx;
	struct custfile_entry e = { v->customer_id, v->seq, v->at, v->account_id, v->kind,
				    v->author, v->body };

	if (strcmp(f->customer, v->customer_id) != 0) {
		snprintf(f->customer, sizeof(f->customer), "%s", v->customer_id);
		custfile_check_init(&f->check);
	}
	if (custfile_check_next(&f->check, &e, v->prev_hash, v->prev_hash_len, v->hash,
				v->hash_len) != CUSTFILE_INTACT)
		f->faults++;
	if (f->n < 8)
		snprintf(f->lines[f->n], 256, "%s %lld %lld [%s] %s %s: %s", v->customer_id,
			 (long long)v->seq, (long long)v->at, v->account_id, v->kind, v->author,
			 v->body);
	f->n++;
	return f->stop_at != 0 && (int64_t)f->n == f->stop_at ? STORE_STOP : 0;
}

STORE_TEST(file_append_numbers_each_customer_and_chains_by_hash)
{
	static struct t_file f;
	struct store *s = store_support_ready();
	int64_t seq = 0;
	char msg[256];

	t_base(s);
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_file_append(s, "C1", "A1", 1721901600, "note", "Ana (service)",
				       "asked to end her contract", &seq), STORE_OK, "%s",
		     store_errmsg(s));
	cr_expect_eq(seq, 1);
	cr_assert_eq(store_file_append(s, "C2", NULL, 1721901660, "note", "Luc", "called",
				       &seq), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(seq, 1);
	cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	/* Without a transaction of the caller's: one of its own. */
	cr_assert_eq(store_file_append(s, "C1", "", 1721901720, "note", "Luc (contracts)",
				       "asked again: end of contract", &seq), STORE_OK, "%s",
		     store_errmsg(s));
	cr_expect_eq(seq, 2);
	cr_assert_eq(store_file_append(s, "C1", "A1", 1721901780, "correction", "Ana (service)",
				       "corrects entry 1: \"quote\" and\nnewline", &seq), STORE_OK);
	cr_expect_eq(seq, 3);

	cr_assert_eq(store_file_scan(s, NULL, t_file_entry, &f), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(f.n, 4);
	cr_expect_str_eq(f.lines[0], "C1 1 1721901600 [A1] note Ana (service): asked to end her contract");
	cr_expect_str_eq(f.lines[1], "C1 2 1721901720 [] note Luc (contracts): asked again: end of contract");
	cr_expect_str_eq(f.lines[2], "C1 3 1721901780 [A1] correction Ana (service): corrects entry 1: \"quote\" and\nnewline");
	cr_expect_str_eq(f.lines[3], "C2 1 1721901660 [] note Luc: called");
	cr_expect_eq(f.faults, 0, "every chain verifies");

	memset(&f, 0, sizeof(f));
	cr_assert_eq(store_file_scan(s, "C2", t_file_entry, &f), STORE_OK);
	cr_assert_eq(f.n, 1);
	cr_expect_str_eq(f.lines[0], "C2 1 1721901660 [] note Luc: called");
	memset(&f, 0, sizeof(f));
	cr_assert_eq(store_file_scan(s, "C404", t_file_entry, &f), STORE_OK);
	cr_expect_eq(f.n, 0);

	/* The links as stored: entry 1 after 32 zero bytes, entry 2 after entry 1. */
	cr_assert_eq(store_support_exec("SELECT count(*) FROM file_entries f JOIN file_entries g "
					"ON g.customer_key = f.customer_key AND g.seq = f.seq + 1 "
					"WHERE g.prev_hash = f.hash", msg, sizeof(msg)), 0, "%s",
		     msg);
	cr_expect_str_eq(msg, "2");
	cr_assert_eq(store_support_exec("SELECT count(*) FROM file_entries WHERE seq = 1 AND "
					"prev_hash = (SELECT prev_hash FROM file_entries f, "
					"customers c WHERE c.customer_key = f.customer_key AND "
					"c.customer_id = 'C2')", msg, sizeof(msg)), 0, "%s", msg);
	cr_expect_str_eq(msg, "2");
	/* Append-only: the schema refuses changes. */
	cr_expect_neq(store_support_exec("UPDATE file_entries SET body = 'nothing happened'", msg,
					 sizeof(msg)), 0);
	cr_expect(strstr(msg, "append-only") != NULL, "%s", msg);
	cr_expect_neq(store_support_exec("DELETE FROM file_entries", msg, sizeof(msg)), 0);
	cr_expect_eq(t_count("file_entries"), 4);
}

STORE_TEST(file_append_refuses_unknown_customer_and_foreign_account)
{
	struct store *s = store_support_ready();
	int64_t seq = 0;

	t_base(s);
	cr_expect_eq(store_file_append(s, "C404", NULL, 1, "note", "Ana", "x", &seq),
		     STORE_ERR_INPUT);
	cr_expect(strstr(store_errmsg(s), "no customer C404") != NULL, "%s", store_errmsg(s));
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_expect_eq(store_file_append(s, "C1", "A2", 1, "note", "Ana", "x", &seq),
		     STORE_ERR_INPUT);
	cr_expect(strstr(store_errmsg(s), "no account A2 of customer C1") != NULL, "%s",
		  store_errmsg(s));
	/* A refusal leaves the transaction usable. */
	cr_assert_eq(store_file_append(s, "C1", "A1", 1, "note", "Ana", "x", &seq), STORE_OK,
		     "%s", store_errmsg(s));
	cr_expect_eq(seq, 1);
	cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(t_count("file_entries"), 1);
}

STORE_TEST(file_notes_chain_after_the_last_entry_of_each_customer)
{
	static struct t_file f;
	struct store *s = store_support_ready();
	int64_t seq = 0, a1, a2;

	t_base(s);
	a1 = t_key(s, "A1");
	a2 = t_key(s, "A2");
	cr_assert_eq(store_file_append(s, "C1", NULL, 100, "note", "Ana", "first", &seq), STORE_OK,
		     "%s", store_errmsg(s));
	{
		/* Two notes on one customer in one batch chain one after the
		 * other; the batch is part of the caller's transaction. */
		const struct file_note notes[] = {
			{ a1, 200, "import", "relance", "invoices.csv: 1 new invoice" },
			{ a2, 200, "import", "relance", "invoices.csv: 2 new \"invoices\"" },
			{ a1, 201, "import", "relance", "payments.csv: 1 new payment" },
		};

		cr_assert_eq(store_begin(s), STORE_OK);
		cr_assert_eq(store_file_notes(s, notes, 3), STORE_OK, "%s", store_errmsg(s));
		cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	}
	cr_assert_eq(store_file_scan(s, NULL, t_file_entry, &f), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(f.n, 4);
	cr_expect_str_eq(f.lines[0], "C1 1 100 [] note Ana: first");
	cr_expect_str_eq(f.lines[1], "C1 2 200 [A1] import relance: invoices.csv: 1 new invoice");
	cr_expect_str_eq(f.lines[2], "C1 3 201 [A1] import relance: payments.csv: 1 new payment");
	cr_expect_str_eq(f.lines[3], "C2 1 200 [A2] import relance: invoices.csv: 2 new \"invoices\"");
	cr_expect_eq(f.faults, 0, "every chain verifies");

	/* An unknown account: refused, and nothing of the batch stays. */
	{
		const struct file_note bad[] = {
			{ a2, 300, "import", "relance", "kept?" },
			{ 999999, 300, "import", "relance", "nobody" },
		};

		cr_assert_eq(store_begin(s), STORE_OK);
		cr_expect_eq(store_file_notes(s, bad, 2), STORE_ERR_INPUT);
		cr_expect(strstr(store_errmsg(s), "no account key 999999") != NULL, "%s",
			  store_errmsg(s));
		store_rollback(s);
	}
	cr_expect_eq(t_count("file_entries"), 4);
	/* A batch past one round of the PostgreSQL engine (2,048 notes). */
	{
		enum { MANY = 2500 };
		static struct file_note many[MANY];

		for (int i = 0; i < MANY; i++)
			many[i] = (struct file_note){ i % 3 ? a1 : a2, 400 + i, "import", "relance",
						      "many" };
		cr_assert_eq(store_file_notes(s, many, MANY), STORE_OK, "%s", store_errmsg(s));
	}
	memset(&f, 0, sizeof(f));
	cr_assert_eq(store_file_scan(s, NULL, t_file_entry, &f), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(f.n, 4 + 2500);
	cr_expect_eq(f.faults, 0, "every chain verifies");
}

STORE_TEST(file_scan_pages_in_order_and_stops)
{
	enum { N = 1203 };
	static struct t_file f;
	struct store *s = store_support_ready();
	int64_t seq = 0;

	t_base(s);
	cr_assert_eq(store_begin(s), STORE_OK);
	for (int i = 0; i < N; i++) {
		char body[32];

		snprintf(body, sizeof(body), "note %d", i + 1);
		cr_assert_eq(store_file_append(s, i % 2 ? "C1" : "C2", NULL, 1000 + i, "note",
					       "Ana", body, &seq), STORE_OK, "%s", store_errmsg(s));
	}
	cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(seq, N / 2 + 1, "C2 got the even ones");
	cr_assert_eq(store_file_scan(s, NULL, t_file_entry, &f), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(f.n, N);
	cr_expect_eq(f.faults, 0);
	cr_expect_str_eq(f.lines[0], "C1 1 1001 [] note Ana: note 2");
	cr_expect_str_eq(f.customer, "C2", "C2 (imported second) comes last");
	cr_expect_eq(f.check.last_seq, N / 2 + 1);
	memset(&f, 0, sizeof(f));
	cr_assert_eq(store_file_scan(s, "C2", t_file_entry, &f), STORE_OK);
	cr_expect_eq(f.n, N / 2 + 1);
	cr_expect_eq(f.check.last_seq, N / 2 + 1);
	cr_expect_eq(f.faults, 0);
	memset(&f, 0, sizeof(f));
	f.stop_at = 1001;
	cr_expect_eq(store_file_scan(s, NULL, t_file_entry, &f), STORE_STOP);
	cr_expect_eq(f.n, 1001);
}

STORE_TEST(concurrent_appends_do_not_fork_a_chain)
{
	enum { KIDS = 3, EACH = 40 };
	static struct t_file f;
	struct store *s = store_support_ready();
	pid_t kids[KIDS];

	t_base(s);
	for (int i = 0; i < KIDS; i++) {
		kids[i] = fork();
		cr_assert(kids[i] >= 0);
		if (kids[i] == 0) {
			struct store *k = NULL;
			char err[512];
			int64_t seq;

			if (store_open(store_support.url, &k, err, sizeof(err)) != STORE_OK)
				_exit(10);
			for (int j = 0; j < EACH; j++) {
				if (store_begin(k) != STORE_OK ||
				    store_file_append(k, "C1", NULL, j, "note", "Ana", "x",
						      &seq) != STORE_OK ||
				    store_commit(k) != STORE_OK) {
					fprintf(stderr, "%s\n", store_errmsg(k));
					_exit(11);
				}
			}
			store_close(k);
			_exit(0);
		}
	}
	for (int i = 0; i < KIDS; i++) {
		int st = 0;

		cr_assert_eq(waitpid(kids[i], &st, 0), kids[i]);
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer %d failed", i);
	}
	cr_assert_eq(store_file_scan(s, "C1", t_file_entry, &f), STORE_OK);
	cr_expect_eq(f.n, KIDS * EACH);
	cr_expect_eq(f.check.last_seq, KIDS * EACH);
	cr_expect_eq(f.faults, 0);
}

/* ---- collection policies --------------------------------------------------------- */

struct t_policies {
	int n;
	int64_t version[8], loaded_at[8];
	char source[8][32], body[8][64];
	size_t body_len[8];
	int body_null[8];
};

static int t_policy(void *ctx, const struct stored_policy *p)
{
	struct t_policies *v = ctx;

	cr_assert_lt(v->n, 8);
	v->version[v->n] = p->version;
	v->loaded_at[v->n] = p->loaded_at;
	snprintf(v->source[v->n], sizeof(v->source[0]), "%s", p->source);
	v->body_null[v->n] = p->body == NULL;
	snprintf(v->body[v->n], sizeof(v->body[0]), "%s", p->body ? p->body : "");
	v->body_len[v->n] = p->body_len;
	v->n++;
	return 0;
}

STORE_TEST(policy_versions_count_from_one_and_read_back)
{
	static const char *const bodies[3] = {
		"name: a\n", "name: b # é, ё\n", "name: c\njurisdictions: {}\n"
	};
	struct store *s = store_support_ready();
	struct t_policies v = { 0 };
	int64_t version = 0;

	cr_expect_eq(store_policy_get(s, 0, t_policy, &v), STORE_ERR_INPUT);
	cr_expect_str_eq(store_errmsg(s), "no policy loaded yet");
	cr_expect_eq(store_policy_list(s, t_policy, &v), STORE_OK);
	cr_expect_eq(v.n, 0);
	for (int i = 0; i < 3; i++) {
		char source[32];

		snprintf(source, sizeof(source), "p%d.yaml", i + 1);
		cr_assert_eq(store_policy_put(s, source, bodies[i], 1700000000 + i, &version),
			     STORE_OK, "%s", store_errmsg(s));
		cr_expect_eq(version, i + 1);
	}

	cr_assert_eq(store_policy_get(s, 0, t_policy, &v), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(v.n, 1);
	cr_expect_eq(v.version[0], 3);
	cr_expect_str_eq(v.body[0], bodies[2]);

	v.n = 0;
	cr_assert_eq(store_policy_get(s, 2, t_policy, &v), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(v.n, 1);
	cr_expect_eq(v.version[0], 2);
	cr_expect_eq(v.loaded_at[0], 1700000001);
	cr_expect_str_eq(v.source[0], "p2.yaml");
	cr_expect_str_eq(v.body[0], bodies[1]);
	cr_expect_eq(v.body_len[0], strlen(bodies[1]));

	v.n = 0;
	cr_expect_eq(store_policy_get(s, 4, t_policy, &v), STORE_ERR_INPUT);
	cr_expect_str_eq(store_errmsg(s), "no policy version 4");
	cr_expect_eq(v.n, 0);

	/* Version order, no texts, their sizes in bytes (é and ё are two each). */
	cr_assert_eq(store_policy_list(s, t_policy, &v), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(v.n, 3);
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(v.version[i], i + 1);
		cr_expect_eq(v.loaded_at[i], 1700000000 + i);
		cr_expect(v.body_null[i], "list handed a text for version %d", i + 1);
		cr_expect_eq(v.body_len[i], strlen(bodies[i]), "version %d: %zu bytes", i + 1,
			     v.body_len[i]);
	}
	cr_expect_eq(t_count("policies"), 3);
}

static int t_policy_stop(void *ctx, const struct stored_policy *p)
{
	(void)p;
	return ++*(int *)ctx == 2 ? STORE_STOP : 0;
}

STORE_TEST(policies_cannot_change_and_list_stops)
{
	struct store *s = store_support_ready();
	int64_t version;
	char msg[512];
	int seen = 0;

	for (int i = 0; i < 3; i++)
		cr_assert_eq(store_policy_put(s, "p.yaml", "name: p\n", 1, &version), STORE_OK,
			     "%s", store_errmsg(s));
	cr_expect_eq(store_policy_list(s, t_policy_stop, &seen), STORE_STOP);
	cr_expect_eq(seen, 2);
	cr_expect_eq(store_support_exec("UPDATE policies SET body = 'name: q'", msg, sizeof(msg)),
		     -1);
	cr_expect(strstr(msg, "append-only") != NULL, "%s", msg);
	cr_expect_eq(store_support_exec("DELETE FROM policies WHERE version = 3", msg, sizeof(msg)),
		     -1);
	cr_expect(strstr(msg, "append-only") != NULL, "%s", msg);
	if (store_support.engine == STORE_SUPPORT_POSTGRES) {
		cr_expect_eq(store_support_exec("TRUNCATE policies", msg, sizeof(msg)), -1);
		cr_expect(strstr(msg, "append-only") != NULL, "%s", msg);
	}
	cr_expect_eq(t_count("policies"), 3);
	cr_assert_eq(store_support_exec("SELECT body FROM policies WHERE version = 3", msg,
					sizeof(msg)), 0);
	cr_expect_str_eq(msg, "name: p\n");
}

STORE_TEST(policy_put_belongs_to_the_open_transaction)
{
	struct store *s = store_support_ready();
	int64_t version = 0;

	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_policy_put(s, "a.yaml", "name: a\n", 1, &version), STORE_OK,
		     "%s", store_errmsg(s));
	cr_expect_eq(version, 1);
	cr_assert_eq(store_rollback(s), STORE_OK);
	cr_expect_eq(t_count("policies"), 0);
	/* The version of a load rolled back is not skipped. */
	cr_assert_eq(store_policy_put(s, "b.yaml", "name: b\n", 2, &version), STORE_OK,
		     "%s", store_errmsg(s));
	cr_expect_eq(version, 1);
	cr_expect_eq(t_count("policies"), 1);
}

struct t_policy_run {
	int n;
	int64_t expect;
	int gaps;
};

static int t_policy_seq(void *ctx, const struct stored_policy *p)
{
	struct t_policy_run *r = ctx;

	r->gaps += p->version != r->expect;
	r->expect = p->version + 1;
	r->n++;
	return 0;
}

STORE_TEST(concurrent_loads_get_distinct_versions)
{
	enum { KIDS = 3, EACH = 20 };
	struct t_policy_run run = { 0, 1, 0 };
	struct store *s = store_support_ready();
	pid_t kids[KIDS];

	for (int i = 0; i < KIDS; i++) {
		kids[i] = fork();
		cr_assert(kids[i] >= 0);
		if (kids[i] == 0) {
			struct store *k = NULL;
			char err[512];
			int64_t version, last = 0;

			if (store_open(store_support.url, &k, err, sizeof(err)) != STORE_OK)
				_exit(10);
			for (int j = 0; j < EACH; j++) {
				if (store_policy_put(k, "p.yaml", "name: p\n", j, &version) !=
				    STORE_OK) {
					fprintf(stderr, "%s\n", store_errmsg(k));
					_exit(11);
				}
				/* One writer's versions only go up. */
				if (version <= last)
					_exit(12);
				last = version;
			}
			store_close(k);
			_exit(0);
		}
	}
	for (int i = 0; i < KIDS; i++) {
		int st = 0;

		cr_assert_eq(waitpid(kids[i], &st, 0), kids[i]);
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "loader %d failed (%d)", i,
			  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	cr_assert_eq(store_policy_list(s, t_policy_seq, &run), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(run.n, KIDS * EACH);
	cr_expect_eq(run.gaps, 0, "versions are not 1..%d", KIDS * EACH);
}

/* ---- cases ------------------------------------------------------------------------ */

struct t_cases {
	int n;
	int64_t key[16], since[16], version[16], next[16];
	char stage[16][32], rule[16][32];
};

static int t_case(void *ctx, const struct case_row *c)
{
	struct t_cases *v = ctx;

	cr_assert_lt(v->n, 16);
	v->key[v->n] = c->account_key;
	v->since[v->n] = c->stage_since;
	v->version[v->n] = c->policy_version;
	v->next[v->n] = c->next_check_at;
	snprintf(v->stage[v->n], sizeof(v->stage[0]), "%s", c->stage);
	snprintf(v->rule[v->n], sizeof(v->rule[0]), "%s", c->rule);
	v->n++;
	return 0;
}

STORE_TEST(cases_put_get_and_due)
{
	struct store *s = store_support_ready();
	struct t_cases v = { 0 };
	int64_t a1, a2;

	t_base(s);
	a1 = t_key(s, "A1");
	a2 = t_key(s, "A2");
	{
		struct case_row rows[3] = {
			{ a1, "reminder", 100, 1, "late-7", 500 },
			{ a2, "", 0, 0, NULL, 300 },
			{ a1, "warning", 200, 2, "late-14", STORE_NEVER },   /* last wins */
		};

		cr_assert_eq(store_cases_put(s, rows, 3), STORE_OK, "%s", store_errmsg(s));
	}
	cr_assert_eq(store_case_get(s, a1, t_case, &v), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(v.n, 1);
	cr_expect_eq(v.key[0], a1);
	cr_expect_str_eq(v.stage[0], "warning");
	cr_expect_eq(v.since[0], 200);
	cr_expect_eq(v.version[0], 2);
	cr_expect_str_eq(v.rule[0], "late-14");
	cr_expect_eq(v.next[0], STORE_NEVER);
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_case_get(s, a2, t_case, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_expect_str_eq(v.stage[0], "");
	cr_expect_str_eq(v.rule[0], "");
	cr_expect_eq(v.version[0], 0);
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_case_get(s, a2 + 1000, t_case, &v), STORE_OK);
	cr_expect_eq(v.n, 0, "no case, no callback");
	cr_expect_eq(t_count("cases"), 2);

	/* Due: only next_check_at <= now, in key order; NULL is never due. */
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_cases_due(s, 299, t_case, &v), STORE_OK);
	cr_expect_eq(v.n, 0);
	{
		struct case_row up = { a1, "warning", 200, 2, "late-14", 250 };

		cr_assert_eq(store_cases_put(s, &up, 1), STORE_OK);
	}
	cr_assert_eq(store_cases_due(s, 300, t_case, &v), STORE_OK);
	cr_assert_eq(v.n, 2);
	cr_expect_eq(v.key[0], a1 < a2 ? a1 : a2);
	cr_expect_eq(v.key[1], a1 < a2 ? a2 : a1);
}

/* A cycle that rewrites each due case from its callback sees each once. */
struct t_recheck {
	struct store *s;
	int n;
};

static int t_recheck(void *ctx, const struct case_row *c)
{
	struct t_recheck *r = ctx;
	struct case_row next = *c;

	next.next_check_at = c->next_check_at + 1000;
	r->n++;
	return store_cases_put(r->s, &next, 1);
}

STORE_TEST(cases_due_pages_and_callbacks_may_rewrite)
{
	enum { N = 2500 };
	struct store *s = store_support_ready();
	struct customer_row c = { 2, "CN", "N", "fr-FR", "Europe/Paris", "fr", NULL, NULL, NULL };
	static struct account_row a[N];
	static char ids[N][16];
	static struct store_outcome o[N];
	static struct case_row rows[N];
	struct t_recheck r = { s, 0 };

	cr_assert_eq(store_customers_put(s, t_import(s, "customers"), &c, 1, o), STORE_OK);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "N%05d", i);
		a[i] = (struct account_row){ i + 2, ids[i], "CN", "EUR" };
	}
	cr_assert_eq(store_accounts_put(s, t_import(s, "accounts"), a, N, o), STORE_OK);
	for (int i = 0; i < N; i++)
		rows[i] = (struct case_row){ t_key(s, ids[i]), "", 0, 0, NULL, i % 2 ? 10 : 5000 };
	cr_assert_eq(store_cases_put(s, rows, N), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_cases_due(s, 100, t_recheck, &r), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(r.n, N / 2);
}

/* ---- the outbox ------------------------------------------------------------------- */

static struct outbox_row t_obx(const char *key, int64_t account_key, int64_t due)
{
	return (struct outbox_row){ key, account_key, "sms", "reminder", due,
				    "{\"text\":\"pay\"}", 1, "late-7", 42 };
}

struct t_views {
	int n, stop_at;
	int64_t id[256], due[256], attempts[256], lease_until[256], done_at[256], account[256];
	char key[256][32], state[256][12], owner[256][16], outcome[256][32];
};

static int t_view(void *ctx, const struct outbox_view *v)
{
	struct t_views *t = ctx;
	int i = t->n;

	cr_assert_lt(i, 256);
	t->id[i] = v->outbox_id;
	t->due[i] = v->due_at;
	t->attempts[i] = v->attempts;
	t->lease_until[i] = v->lease_until;
	t->done_at[i] = v->done_at;
	t->account[i] = v->account_key;
	snprintf(t->key[i], sizeof(t->key[0]), "%s", v->idempotency_key);
	snprintf(t->state[i], sizeof(t->state[0]), "%s", v->state);
	snprintf(t->owner[i], sizeof(t->owner[0]), "%s", v->lease_owner);
	snprintf(t->outcome[i], sizeof(t->outcome[0]), "%s", v->outcome);
	cr_expect_str_eq(v->channel, "sms");
	cr_expect_str_eq(v->payload, "{\"text\":\"pay\"}");
	cr_expect_eq(v->created_at, 42);
	t->n++;
	return t->n == t->stop_at ? STORE_STOP : 0;
}

STORE_TEST(outbox_put_is_new_then_same_by_key_whatever_the_state)
{
	struct store *s = store_support_ready();
	struct store_outcome o[3];
	struct t_views v = { 0 };
	int64_t a1;

	t_base(s);
	a1 = t_key(s, "A1");
	{
		struct outbox_row rows[3] = {
			t_obx("k1", a1, 10), t_obx("k2", a1, 20), t_obx("k1", a1, 99),
		};

		cr_assert_eq(store_outbox_put(s, rows, 3, o), STORE_OK, "%s", store_errmsg(s));
		cr_expect_eq(o[0].put, STORE_PUT_NEW);
		cr_expect_eq(o[1].put, STORE_PUT_NEW);
		cr_expect_eq(o[2].put, STORE_PUT_SAME);
		cr_assert_eq(store_outbox_put(s, rows, 2, o), STORE_OK);
		cr_expect_eq(o[0].put, STORE_PUT_SAME);
		cr_expect_eq(o[1].put, STORE_PUT_SAME);
	}
	cr_expect_eq(t_count("outbox"), 2);
	/* Performed, then decided again: still SAME, still done. */
	cr_assert_eq(store_outbox_claim(s, "w1", 100, 60, 10, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 2);
	cr_expect_eq(v.due[0], 10, "the first row of a key is the one stored");
	cr_assert_eq(store_outbox_finish(s, v.id[0], "w1", "done", "sent", 101, 0), STORE_OK,
		     "%s", store_errmsg(s));
	{
		struct outbox_row again = t_obx("k1", a1, 500);

		cr_assert_eq(store_outbox_put(s, &again, 1, o), STORE_OK);
		cr_expect_eq(o[0].put, STORE_PUT_SAME);
	}
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_scan(s, a1, STORE_OUTBOX_DONE, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_expect_str_eq(v.key[0], "k1");
	cr_expect_eq(v.due[0], 10);
	cr_expect_eq(v.done_at[0], 101);
	cr_expect_str_eq(v.outcome[0], "sent");
	cr_expect_str_eq(v.owner[0], "");
}

STORE_TEST(outbox_put_belongs_to_the_open_transaction)
{
	struct store *s = store_support_ready();
	struct store_outcome o[2];
	int64_t a1;

	t_base(s);
	a1 = t_key(s, "A1");
	{
		struct outbox_row rows[2] = { t_obx("k1", a1, 10), t_obx("k2", a1, 20) };
		struct case_row c = { a1, "reminder", 5, 1, "late-7", 100 };

		cr_assert_eq(store_begin(s), STORE_OK);
		cr_assert_eq(store_cases_put(s, &c, 1), STORE_OK, "%s", store_errmsg(s));
		cr_assert_eq(store_outbox_put(s, rows, 2, o), STORE_OK, "%s", store_errmsg(s));
		cr_assert_eq(store_rollback(s), STORE_OK);
		cr_expect_eq(t_count("outbox"), 0);
		cr_expect_eq(t_count("cases"), 0);
		cr_assert_eq(store_begin(s), STORE_OK);
		cr_assert_eq(store_cases_put(s, &c, 1), STORE_OK);
		cr_assert_eq(store_outbox_put(s, rows, 2, o), STORE_OK);
		cr_expect_eq(o[0].put, STORE_PUT_NEW, "the rolled-back key is new again");
		cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	}
	cr_expect_eq(t_count("outbox"), 2);
	cr_expect_eq(t_count("cases"), 1);
	/* A claim inside a transaction could hand rows out before they commit. */
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_expect_eq(store_outbox_claim(s, "w", 100, 60, 10, t_view, NULL), STORE_ERR_INPUT);
	cr_assert_eq(store_rollback(s), STORE_OK);
}

STORE_TEST(outbox_claim_respects_due_max_and_order)
{
	struct store *s = store_support_ready();
	struct store_outcome o[5];
	struct t_views v = { 0 };
	int64_t a1;
	char msg[256];

	t_base(s);
	a1 = t_key(s, "A1");
	{
		struct outbox_row rows[5] = {
			t_obx("k300", a1, 300), t_obx("k100a", a1, 100), t_obx("k200", a1, 200),
			t_obx("k100b", a1, 100), t_obx("k500", a1, 500),
		};

		cr_assert_eq(store_outbox_put(s, rows, 5, o), STORE_OK, "%s", store_errmsg(s));
	}
	cr_assert_eq(store_outbox_claim(s, "w1", 250, 60, 2, t_view, &v), STORE_OK, "%s",
		     store_errmsg(s));
	cr_assert_eq(v.n, 2);
	cr_expect_str_eq(v.key[0], "k100a");
	cr_expect_str_eq(v.key[1], "k100b");
	for (int i = 0; i < 2; i++) {
		cr_expect_str_eq(v.state[i], "claimed");
		cr_expect_str_eq(v.owner[i], "w1");
		cr_expect_eq(v.lease_until[i], 310);
		cr_expect_eq(v.attempts[i], 1);
	}
	/* Committed before the callbacks: another connection sees the claim. */
	cr_assert_eq(store_support_exec("SELECT count(*) FROM outbox WHERE state = 'claimed' "
					"AND lease_owner = 'w1'", msg, sizeof(msg)), 0, "%s", msg);
	cr_expect_str_eq(msg, "2");
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_claim(s, "w2", 250, 60, 10, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_expect_str_eq(v.key[0], "k200");
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_claim(s, "w2", 250, 60, 10, t_view, &v), STORE_OK);
	cr_expect_eq(v.n, 0, "nothing more is due");
	/* At 600 every lease has run out and every row is due: a stop after
	 * the first leaves the other four claimed, not lost. */
	v.stop_at = 1;
	cr_expect_eq(store_outbox_claim(s, "w3", 600, 60, 10, t_view, &v), STORE_STOP);
	cr_expect_eq(v.n, 1);
	cr_assert_eq(store_support_exec("SELECT count(*) FROM outbox WHERE lease_owner = 'w3'", msg,
					sizeof(msg)), 0, "%s", msg);
	cr_expect_str_eq(msg, "5");
}

STORE_TEST(outbox_expired_lease_is_reclaimed_and_the_first_worker_lost_it)
{
	struct store *s = store_support_ready();
	struct store_outcome o;
	struct t_views v = { 0 };
	struct outbox_row row;
	int64_t id;

	t_base(s);
	row = t_obx("k1", t_key(s, "A1"), 10);
	cr_assert_eq(store_outbox_put(s, &row, 1, &o), STORE_OK);
	cr_assert_eq(store_outbox_claim(s, "w1", 100, 60, 10, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	id = v.id[0];
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_claim(s, "w2", 160, 60, 10, t_view, &v), STORE_OK);
	cr_expect_eq(v.n, 0, "the lease runs until 160 included");
	cr_assert_eq(store_outbox_claim(s, "w2", 161, 60, 10, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_expect_eq(v.id[0], id);
	cr_expect_eq(v.attempts[0], 2);
	cr_expect_str_eq(v.owner[0], "w2");
	cr_expect_eq(store_outbox_finish(s, id, "w1", "done", "sent", 170, 0), STORE_ERR_INPUT);
	cr_expect(strstr(store_errmsg(s), "lease lost") != NULL, "%s", store_errmsg(s));
	cr_expect_eq(store_outbox_finish(s, id, "w2", "sent", "x", 170, 0), STORE_ERR_INPUT,
		     "unknown final state");
	cr_assert_eq(store_outbox_finish(s, id, "w2", "failed", "no route", 171, 0), STORE_OK,
		     "%s", store_errmsg(s));
	cr_expect_eq(store_outbox_finish(s, id, "w2", "done", "", 172, 0), STORE_ERR_INPUT,
		     "a finished row cannot be finished again");
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_claim(s, "w3", 100000, 60, 10, t_view, &v), STORE_OK);
	cr_expect_eq(v.n, 0, "final rows are never claimed");
	cr_assert_eq(store_outbox_scan(s, 0, STORE_OUTBOX_ANY, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_expect_str_eq(v.state[0], "failed");
	cr_expect_str_eq(v.outcome[0], "no route");
	cr_expect_eq(v.done_at[0], 171);
	cr_expect_eq(v.attempts[0], 2);
}

STORE_TEST(outbox_sending_left_by_a_dead_worker_comes_back_as_sending)
{
	struct store *s = store_support_ready();
	struct store_outcome o[2];
	struct t_views v = { 0 };
	struct outbox_row rows[2];
	int64_t ids[2];

	t_base(s);
	rows[0] = t_obx("k1", t_key(s, "A1"), 10);
	rows[1] = t_obx("k2", t_key(s, "A1"), 11);
	cr_assert_eq(store_outbox_put(s, rows, 2, o), STORE_OK);
	cr_assert_eq(store_outbox_claim(s, "w1", 100, 60, 10, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 2);
	ids[0] = v.id[0];
	ids[1] = v.id[1];
	cr_expect_eq(store_outbox_sending(s, ids, 2, "w2"), STORE_ERR_INPUT, "not w2's rows");
	cr_expect(strstr(store_errmsg(s), "lease lost") != NULL, "%s", store_errmsg(s));
	cr_assert_eq(store_outbox_sending(s, ids, 1, "w1"), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_outbox_peer_ids(s, ids[0], "sms", "m-1 m-2"), STORE_OK, "%s",
		     store_errmsg(s));
	/* w1 dies: after its lease the sending row comes back as sending (to be
	 * finished uncertain), the merely claimed one as claimed. */
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_claim(s, "w3", 161, 60, 10, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 2);
	cr_expect_eq(v.id[0], ids[0]);
	cr_expect_str_eq(v.state[0], "sending");
	cr_expect_str_eq(v.state[1], "claimed");
	cr_assert_eq(store_outbox_finish(s, ids[0], "w3", "uncertain", "sent, no answer", 170, 0),
		     STORE_OK, "%s", store_errmsg(s));
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_scan(s, 0, STORE_OUTBOX_UNCERTAIN, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_expect_str_eq(v.outcome[0], "sent, no answer");
	/* A receipt names the row by any of its parts' ids. */
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_by_peer_id(s, "sms", "m-2", t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_expect_eq(v.id[0], ids[0]);
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_by_peer_id(s, "email", "m-2", t_view, &v), STORE_OK);
	cr_expect_eq(v.n, 0, "ids are per channel");
	cr_assert_eq(store_outbox_by_peer_id(s, "sms", "m-404", t_view, &v), STORE_OK);
	cr_expect_eq(v.n, 0);
}

STORE_TEST(contact_flagged_bad_at_the_threshold_and_a_new_value_is_clean)
{
	struct store *s = store_support_ready();
	int flagged = -1, bad = -1;

	t_base(s);
	cr_assert_eq(store_contact_bad(s, "C1", "phone", "+33600000001", &bad), STORE_OK);
	cr_expect_eq(bad, 0);
	for (int i = 1; i <= 4; i++) {
		cr_assert_eq(store_contact_failure(s, "C1", "phone", "+33600000001", 100 + i, 3,
						   &flagged), STORE_OK, "%s", store_errmsg(s));
		cr_expect_eq(flagged, i == 3, "failure %d", i);
		cr_assert_eq(store_contact_bad(s, "C1", "phone", "+33600000001", &bad), STORE_OK);
		cr_expect_eq(bad, i >= 3, "failure %d", i);
	}
	/* Another value, another kind, another customer: not flagged. */
	cr_assert_eq(store_contact_bad(s, "C1", "phone", "+33600000002", &bad), STORE_OK);
	cr_expect_eq(bad, 0);
	cr_assert_eq(store_contact_bad(s, "C1", "email", "+33600000001", &bad), STORE_OK);
	cr_expect_eq(bad, 0);
	cr_assert_eq(store_contact_bad(s, "C2", "phone", "+33600000001", &bad), STORE_OK);
	cr_expect_eq(bad, 0);
	/* A threshold of one flags at the first failure. */
	cr_assert_eq(store_contact_failure(s, "C2", "email", "b@example.org", 200, 1, &flagged),
		     STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(flagged, 1);
	cr_expect_eq(store_contact_failure(s, "C404", "email", "x@example.org", 200, 1, &flagged),
		     STORE_ERR_INPUT);
}

STORE_TEST(outbox_deferred_returns_to_pending_at_the_new_due)
{
	struct store *s = store_support_ready();
	struct store_outcome o;
	struct t_views v = { 0 };
	struct outbox_row row;

	t_base(s);
	row = t_obx("k1", t_key(s, "A1"), 10);
	cr_assert_eq(store_outbox_put(s, &row, 1, &o), STORE_OK);
	cr_assert_eq(store_outbox_claim(s, "w1", 100, 60, 10, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_outbox_finish(s, v.id[0], "w1", "deferred", "quiet hours", 101, 900),
		     STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_commit(s), STORE_OK);
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_scan(s, 0, STORE_OUTBOX_PENDING, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_expect_eq(v.due[0], 900);
	cr_expect_str_eq(v.owner[0], "");
	cr_expect_eq(v.lease_until[0], 0);
	cr_expect_eq(v.done_at[0], 0);
	cr_expect_str_eq(v.outcome[0], "quiet hours");
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_claim(s, "w1", 899, 60, 10, t_view, &v), STORE_OK);
	cr_expect_eq(v.n, 0);
	cr_assert_eq(store_outbox_claim(s, "w2", 900, 60, 10, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_expect_eq(v.attempts[0], 2);
}

STORE_TEST(outbox_scan_filters_by_account_and_state)
{
	struct store *s = store_support_ready();
	struct store_outcome o[4];
	struct t_views v = { 0 };
	int64_t a1, a2;

	t_base(s);
	a1 = t_key(s, "A1");
	a2 = t_key(s, "A2");
	{
		struct outbox_row rows[4] = {
			t_obx("a1-late", a1, 50), t_obx("a2", a2, 20), t_obx("a1-early", a1, 10),
			t_obx("a1-future", a1, 900),
		};

		cr_assert_eq(store_outbox_put(s, rows, 4, o), STORE_OK);
	}
	cr_assert_eq(store_outbox_claim(s, "w", 15, 60, 1, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 1);
	cr_assert_eq(store_outbox_finish(s, v.id[0], "w", "dropped", "paid", 16, 0), STORE_OK);
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_scan(s, a1, STORE_OUTBOX_ANY, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 3);
	cr_expect_str_eq(v.key[0], "a1-early");
	cr_expect_str_eq(v.state[0], "dropped");
	cr_expect_str_eq(v.key[1], "a1-late");
	cr_expect_str_eq(v.key[2], "a1-future");
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_scan(s, a1, STORE_OUTBOX_PENDING, t_view, &v), STORE_OK);
	cr_expect_eq(v.n, 2);
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_scan(s, 0, STORE_OUTBOX_PENDING | STORE_OUTBOX_DROPPED,
				       t_view, &v), STORE_OK);
	cr_expect_eq(v.n, 4);
	memset(&v, 0, sizeof(v));
	cr_assert_eq(store_outbox_scan(s, a2, STORE_OUTBOX_DONE | STORE_OUTBOX_CLAIMED,
				       t_view, &v), STORE_OK);
	cr_expect_eq(v.n, 0);
	v.stop_at = 2;
	cr_expect_eq(store_outbox_scan(s, 0, STORE_OUTBOX_ANY, t_view, &v), STORE_STOP);
	cr_expect_eq(v.n, 2);
}

/* Each child claims in small batches until nothing is left and reports
 * every id it got through its pipe. */
static int t_claim_into(void *ctx, const struct outbox_view *v)
{
	int fd = *(int *)ctx;

	return write(fd, &v->outbox_id, sizeof(v->outbox_id)) == sizeof(v->outbox_id) ? 0 : -9;
}

struct t_counter {
	int n;
	int fd;
};

static int t_claim_count(void *ctx, const struct outbox_view *v)
{
	struct t_counter *c = ctx;

	c->n++;
	return t_claim_into(&c->fd, v);
}

STORE_TEST(concurrent_claimers_take_disjoint_sets_covering_every_row)
{
	enum { KIDS = 2, N = 200 };
	static struct outbox_row rows[N];
	static struct store_outcome o[N];
	static char keys[N][16];
	static int seen[N + 1];
	struct store *s = store_support_ready();
	int pipes[KIDS][2];
	pid_t kids[KIDS];
	int64_t a1, total = 0;

	t_base(s);
	a1 = t_key(s, "A1");
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%03d", i);
		rows[i] = t_obx(keys[i], a1, i % 7);
	}
	cr_assert_eq(store_outbox_put(s, rows, N, o), STORE_OK, "%s", store_errmsg(s));
	for (int i = 0; i < KIDS; i++) {
		cr_assert_eq(pipe(pipes[i]), 0);
		kids[i] = fork();
		cr_assert(kids[i] >= 0);
		if (kids[i] == 0) {
			struct store *k = NULL;
			struct t_counter c = { 0, pipes[i][1] };
			char err[512], name[8];

			close(pipes[i][0]);
			snprintf(name, sizeof(name), "w%d", i);
			if (store_open(store_support.url, &k, err, sizeof(err)) != STORE_OK)
				_exit(10);
			do {
				c.n = 0;
				if (store_outbox_claim(k, name, 100, 60, 3, t_claim_count,
						       &c) != STORE_OK) {
					fprintf(stderr, "%s\n", store_errmsg(k));
					_exit(11);
				}
			} while (c.n > 0);
			store_close(k);
			_exit(0);
		}
		close(pipes[i][1]);
	}
	for (int i = 0; i < KIDS; i++) {
		int64_t id;
		int st = 0;

		while (read(pipes[i][0], &id, sizeof(id)) == sizeof(id)) {
			cr_assert(id >= 1 && id <= N, "id %lld", (long long)id);
			cr_expect_eq(seen[id], 0, "row %lld claimed twice", (long long)id);
			seen[id]++;
			total++;
		}
		close(pipes[i][0]);
		cr_assert_eq(waitpid(kids[i], &st, 0), kids[i]);
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "claimer %d failed", i);
	}
	cr_expect_eq(total, N, "every row claimed once");
	cr_expect_eq(t_count("outbox WHERE state = 'claimed' AND attempts = 1"), N);
}

/* A cycle killed before its commit leaves nothing; a worker killed inside its
 * callback leaves its rows claimed, untouchable until the lease runs out. */
static int t_die(void *ctx, const struct outbox_view *v)
{
	(void)ctx;
	(void)v;
	raise(SIGKILL);
	return 0;
}

static void t_killed_child(void (*body)(struct store *k))
{
	pid_t kid = fork();
	int st = 0;

	cr_assert(kid >= 0);
	if (kid == 0) {
		struct store *k = NULL;
		char err[512];

		if (store_open(store_support.url, &k, err, sizeof(err)) != STORE_OK)
			_exit(10);
		body(k);
		_exit(11);   /* body kills itself first */
	}
	cr_assert_eq(waitpid(kid, &st, 0), kid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child was not killed");
}

static int64_t t_a1;

static void t_decide_then_die(struct store *k)
{
	struct outbox_row rows[2] = { t_obx("k1", t_a1, 10), t_obx("k2", t_a1, 20) };
	struct case_row c = { t_a1, "reminder", 5, 1, "late-7", 100 };
	struct store_outcome o[2];

	if (store_begin(k) != STORE_OK || store_cases_put(k, &c, 1) != STORE_OK ||
	    store_outbox_put(k, rows, 2, o) != STORE_OK)
		_exit(12);
	raise(SIGKILL);
}

static void t_claim_then_die(struct store *k)
{
	store_outbox_claim(k, "doomed", 100, 60, 10, t_die, NULL);
	_exit(12);
}

STORE_TEST(killed_mid_cycle_loses_nothing_and_hands_out_nothing_twice)
{
	struct store *s = store_support_ready();
	struct outbox_row rows[2];
	struct store_outcome o[2];
	struct t_views v = { 0 };
	char msg[256];

	t_base(s);
	t_a1 = t_key(s, "A1");
	t_killed_child(t_decide_then_die);
	cr_expect_eq(t_count("outbox"), 0);
	cr_expect_eq(t_count("cases"), 0);
	/* The next cycle decides the same again and finds nothing queued. */
	rows[0] = t_obx("k1", t_a1, 10);
	rows[1] = t_obx("k2", t_a1, 20);
	cr_assert_eq(store_outbox_put(s, rows, 2, o), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(o[0].put, STORE_PUT_NEW);
	cr_expect_eq(o[1].put, STORE_PUT_NEW);

	t_killed_child(t_claim_then_die);
	cr_assert_eq(store_support_exec("SELECT count(*) FROM outbox WHERE state = 'claimed' AND "
					"lease_owner = 'doomed' AND attempts = 1", msg,
					sizeof(msg)), 0, "%s", msg);
	cr_expect_str_eq(msg, "2", "the claim committed before the callback");
	cr_assert_eq(store_outbox_claim(s, "next", 160, 60, 10, t_view, &v), STORE_OK,
		     "%s", store_errmsg(s));
	cr_expect_eq(v.n, 0, "leased rows are nobody else's");
	cr_assert_eq(store_outbox_claim(s, "next", 161, 60, 10, t_view, &v), STORE_OK);
	cr_assert_eq(v.n, 2);
	cr_expect_eq(v.attempts[0], 2, "the retry knows it is one");
	cr_expect_eq(v.attempts[1], 2);
}

/* Two cycles at the same instant decide the same actions: each key is
 * queued once, whichever commits first. Each child exits with its NEW count. */
STORE_TEST(concurrent_cycles_queue_each_action_once)
{
	enum { KIDS = 2, N = 60 };
	static char keys[N][16];
	struct store *s = store_support_ready();
	pid_t kids[KIDS];
	int total = 0;

	t_base(s);
	t_a1 = t_key(s, "A1");
	for (int i = 0; i < N; i++)
		snprintf(keys[i], sizeof(keys[i]), "cycle-%02d", i);
	for (int i = 0; i < KIDS; i++) {
		kids[i] = fork();
		cr_assert(kids[i] >= 0);
		if (kids[i] == 0) {
			static struct outbox_row rows[N];
			static struct store_outcome o[N];
			struct store *k = NULL;
			char err[512];
			int fresh = 0;

			if (store_open(store_support.url, &k, err, sizeof(err)) != STORE_OK)
				_exit(200);
			/* Ten small transactions, as a cycle commits account by account. */
			for (int b = 0; b < N; b += N / 10) {
				for (int j = 0; j < N / 10; j++)
					rows[j] = t_obx(keys[b + j], t_a1, 10);
				if (store_begin(k) != STORE_OK ||
				    store_outbox_put(k, rows, N / 10, o) != STORE_OK ||
				    store_commit(k) != STORE_OK) {
					fprintf(stderr, "%s\n", store_errmsg(k));
					_exit(201);
				}
				for (int j = 0; j < N / 10; j++)
					fresh += o[j].put == STORE_PUT_NEW;
			}
			store_close(k);
			_exit(fresh);
		}
	}
	for (int i = 0; i < KIDS; i++) {
		int st = 0;

		cr_assert_eq(waitpid(kids[i], &st, 0), kids[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) <= N, "cycle %d failed", i);
		total += WEXITSTATUS(st);
	}
	cr_expect_eq(total, N, "%d NEW in all", total);
	cr_expect_eq(t_count("outbox"), N);
}

/* ---- transactions and imports ---------------------------------------------------- */

/* ---- arrangements ------------------------------------------------------------------ */

/* t_base, then accounts A3 and A4 of C1: by key A1 < A2 < A3 < A4. */
static void t_arr_base(struct store *s)
{
	struct account_row a[2] = { { 2, "A3", "C1", "EUR" }, { 3, "A4", "C1", "EUR" } };
	struct store_outcome o[2];

	t_base(s);
	cr_assert_eq(store_accounts_put(s, t_import(s, "accounts"), a, 2, o), STORE_OK, "%s",
		     store_errmsg(s));
	t_expect(&o[0], STORE_PUT_NEW, NULL, 0, "A3");
	t_expect(&o[1], STORE_PUT_NEW, NULL, 0, "A4");
}

/* What the callbacks saw, copied: the view is valid during the callback only. */
struct t_arrs {
	struct store *s;        /* the callback looks the accounts up again with it */
	int n, stop_after;      /* stop_after: STORE_STOP after that many; 0: never */
	char id[8][32], kind[8][16], state[8][16], customer[8][8], created_by[8][8];
	char updated_by[8][8], terms[8][64], accounts[8][64];
	int64_t version[8], created_at[8], updated_at[8];
	int faults;             /* keys out of order or not those of the ids */
};

static int t_arr_seen(void *ctx, const struct arrangement_view *a)
{
	struct t_arrs *t = ctx;
	int i = t->n++;
	size_t len = 0;

	cr_assert_lt(i, 8, "more arrangements than expected");
	snprintf(t->id[i], sizeof(t->id[i]), "%s", a->arrangement_id);
	snprintf(t->kind[i], sizeof(t->kind[i]), "%s", a->kind);
	snprintf(t->state[i], sizeof(t->state[i]), "%s", a->state);
	snprintf(t->customer[i], sizeof(t->customer[i]), "%s", a->customer_id);
	snprintf(t->created_by[i], sizeof(t->created_by[i]), "%s", a->created_by);
	snprintf(t->updated_by[i], sizeof(t->updated_by[i]), "%s", a->updated_by);
	snprintf(t->terms[i], sizeof(t->terms[i]), "%s", a->terms);
	t->version[i] = a->version;
	t->created_at[i] = a->created_at;
	t->updated_at[i] = a->updated_at;
	t->accounts[i][0] = '\0';
	for (size_t j = 0; j < a->n_accounts; j++) {
		struct account_ref ref;

		len += (size_t)snprintf(t->accounts[i] + len, sizeof(t->accounts[i]) - len, "%s%s",
					j ? "," : "", a->account_ids[j]);
		if (j > 0 && a->account_keys[j] <= a->account_keys[j - 1])
			t->faults++;
		/* The callback may use the store. */
		cr_assert_eq(store_accounts_find(t->s, &a->account_ids[j], 1, &ref), STORE_OK,
			     "%s", store_errmsg(t->s));
		if (!ref.found || ref.account_key != a->account_keys[j])
			t->faults++;
	}
	return t->stop_after != 0 && t->n >= t->stop_after ? STORE_STOP : 0;
}

/* Creates an arrangement, which must succeed, and returns its id in id. */
static void t_arr_create(struct store *s, const char *kind, const char *state,
			 const char *accounts, const char *exclusive, char *id)
{
	char list[64], *ids[4], *save = NULL;
	struct arrangement_new a = { kind, state, (const char *const *)ids, 0, 1700000000,
				     "Ana", "{\"amount\":100}", exclusive };

	snprintf(list, sizeof(list), "%s", accounts);
	for (char *p = strtok_r(list, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save))
		ids[a.n_accounts++] = p;
	cr_assert_eq(store_arrangement_create(s, &a, id, 32), STORE_OK, "%s %s: %s", kind,
		     accounts, store_errmsg(s));
}

/* Creating must fail with code and a message holding want. */
static void t_arr_refused(struct store *s, const char *kind, const char *const *ids, size_t n,
			  const char *exclusive, int code, const char *want)
{
	struct arrangement_new a = { kind, "open", ids, n, 1700000000, "Ana", "{}", exclusive };
	char id[32] = "unchanged";

	cr_expect_eq(store_arrangement_create(s, &a, id, sizeof(id)), code, "%s: %s", want,
		     store_errmsg(s));
	cr_expect(strstr(store_errmsg(s), want) != NULL, "\"%s\", expected \"%s\"",
		  store_errmsg(s), want);
}

static void t_arr_get(struct store *s, const char *id, struct t_arrs *t)
{
	memset(t, 0, sizeof(*t));
	t->s = s;
	cr_assert_eq(store_arrangement_get(s, id, t_arr_seen, t), STORE_OK, "%s: %s", id,
		     store_errmsg(s));
	cr_assert_eq(t->n, 1);
}

STORE_TEST(arrangement_ids_carry_their_kind_and_accounts_come_in_key_order)
{
	static const char *const kinds[] = { "promise", "plan", "dispute", "postponement",
					     "handoff" };
	static const char *const want[] = { "PR-1", "PL-2", "DS-3", "PP-4", "HO-5" };
	struct store *s = store_support_ready();
	struct t_arrs t;
	char id[32];

	t_arr_base(s);
	for (int i = 0; i < 5; i++) {
		t_arr_create(s, kinds[i], "open", i == 0 ? "A4,A1,A3" : "A1", NULL, id);
		cr_expect_str_eq(id, want[i]);
	}
	t_arr_get(s, "PR-1", &t);
	cr_expect_str_eq(t.id[0], "PR-1");
	cr_expect_str_eq(t.kind[0], "promise");
	cr_expect_str_eq(t.state[0], "open");
	cr_expect_str_eq(t.customer[0], "C1");
	cr_expect_str_eq(t.accounts[0], "A1,A3,A4");
	cr_expect_str_eq(t.terms[0], "{\"amount\":100}");
	cr_expect_str_eq(t.created_by[0], "Ana");
	cr_expect_str_eq(t.updated_by[0], "Ana");
	cr_expect_eq(t.created_at[0], 1700000000);
	cr_expect_eq(t.updated_at[0], 1700000000);
	cr_expect_eq(t.version[0], 1);
	cr_expect_eq(t.faults, 0);
	t_arr_get(s, "HO-5", &t);
	cr_expect_str_eq(t.kind[0], "handoff");
	cr_expect_str_eq(t.accounts[0], "A1");
	cr_expect_eq(t_count("arrangements"), 5);
	cr_expect_eq(t_count("arrangement_accounts"), 7);

	/* Not ids of a stored arrangement: the wrong prefix for the row's kind,
	 * no number, a leading zero, an unknown prefix or key. */
	static const char *const bad[] = { "PL-1", "PR-", "PR-x", "PR-01", "XX-1", "PR-6",
					   "PR-1 ", "pr-1", "PR-99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char msg[64];

		memset(&t, 0, sizeof(t));
		t.s = s;
		cr_expect_eq(store_arrangement_get(s, bad[i], t_arr_seen, &t), STORE_ERR_INPUT,
			     "%s", bad[i]);
		snprintf(msg, sizeof(msg), "no arrangement %s", bad[i]);
		cr_expect(strstr(store_errmsg(s), msg) != NULL, "%s", store_errmsg(s));
		cr_expect_eq(t.n, 0, "%s: called back", bad[i]);
	}
}

STORE_TEST(arrangement_create_refuses_unknown_and_foreign_accounts)
{
	static const char *const unknown[] = { "A1", "A9" };
	static const char *const foreign[] = { "A1", "A2" };
	static const char *const twice[] = { "A3", "A1", "A3" };
	static const char *const one[] = { "A1" };
	struct store *s = store_support_ready();
	char id[32];

	t_arr_base(s);
	t_arr_refused(s, "promise", unknown, 2, NULL, STORE_ERR_INPUT, "no account A9");
	t_arr_refused(s, "promise", foreign, 2, NULL, STORE_ERR_INPUT,
		      "account A2 is not of customer C1");
	t_arr_refused(s, "promise", twice, 3, NULL, STORE_ERR_INPUT, "account A3 is named twice");
	t_arr_refused(s, "promise", one, 0, NULL, STORE_ERR_INPUT, "at least one account");
	t_arr_refused(s, "vow", one, 1, NULL, STORE_ERR_INPUT, "unknown arrangement kind vow");
	t_arr_refused(s, "promise", one, 1, "promise vow", STORE_ERR_INPUT,
		      "unknown arrangement kind vow");
	cr_expect_eq(t_count("arrangements"), 0);
	cr_expect_eq(t_count("arrangement_accounts"), 0);

	/* A refusal leaves the caller's transaction usable. */
	cr_assert_eq(store_begin(s), STORE_OK);
	t_arr_refused(s, "plan", foreign, 2, NULL, STORE_ERR_INPUT,
		      "account A2 is not of customer C1");
	t_arr_create(s, "plan", "proposed", "A3,A1", NULL, id);
	cr_expect_str_eq(id, "PL-1");
	cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(t_count("arrangements"), 1);
	cr_expect_eq(t_count("arrangement_accounts"), 2);
}

STORE_TEST(arrangement_exclusive_kinds_refuse_a_second_live_one)
{
	static const char *const a3a1[] = { "A3", "A1" };
	struct store *s = store_support_ready();
	char id[32];

	t_arr_base(s);
	t_arr_create(s, "promise", "open", "A1", "promise", id);
	cr_expect_str_eq(id, "PR-1");
	t_arr_refused(s, "promise", a3a1, 2, "promise", STORE_ERR_INPUT,
		      "account A1 already has a live promise PR-1");
	t_arr_refused(s, "plan", a3a1, 2, "plan promise", STORE_ERR_INPUT,
		      "account A1 already has a live promise PR-1");
	cr_expect_eq(t_count("arrangements"), 1);
	/* Other kinds, or no check: allowed. */
	t_arr_create(s, "plan", "proposed", "A3,A1", "plan dispute", id);
	cr_expect_str_eq(id, "PL-2");
	t_arr_create(s, "promise", "open", "A1", "", id);
	cr_expect_str_eq(id, "PR-3");
	/* The first live one in account order, then arrangement order. */
	t_arr_refused(s, "promise", a3a1, 2, "plan promise", STORE_ERR_INPUT,
		      "account A1 already has a live promise PR-1");
	/* A promise kept, another broken: a final state holds nothing. */
	cr_assert_eq(store_arrangement_update(s, "PR-1", 1, "kept", NULL, 1700000100, "Ana"),
		     STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_arrangement_update(s, "PR-3", 1, "broken", NULL, 1700000100, "Ana"),
		     STORE_OK, "%s", store_errmsg(s));
	t_arr_refused(s, "promise", a3a1, 2, "plan promise", STORE_ERR_INPUT,
		      "account A1 already has a live plan PL-2");
	t_arr_create(s, "promise", "open", "A1,A3", "promise", id);
	cr_expect_str_eq(id, "PR-4");
}

STORE_TEST(arrangement_update_checks_the_version)
{
	struct store *s = store_support_ready();
	struct t_arrs t;
	char id[32];

	t_arr_base(s);
	t_arr_create(s, "promise", "open", "A1", NULL, id);
	cr_assert_eq(store_arrangement_update(s, id, 1, "kept", NULL, 1700000100, "Bea"),
		     STORE_OK, "%s", store_errmsg(s));
	t_arr_get(s, id, &t);
	cr_expect_str_eq(t.state[0], "kept");
	cr_expect_str_eq(t.terms[0], "{\"amount\":100}");
	cr_expect_eq(t.version[0], 2);
	cr_expect_eq(t.created_at[0], 1700000000);
	cr_expect_str_eq(t.created_by[0], "Ana");
	cr_expect_eq(t.updated_at[0], 1700000100);
	cr_expect_str_eq(t.updated_by[0], "Bea");

	/* A second agent who read version 1: told, and nothing of his written. */
	cr_expect_eq(store_arrangement_update(s, id, 1, "broken", "{\"amount\":5}", 1700000200,
					      "Cai"), STORE_ERR_CONFLICT);
	cr_expect(strstr(store_errmsg(s), "arrangement PR-1 was changed by someone else "
			 "meanwhile (version 1, now 2)") != NULL, "%s", store_errmsg(s));
	t_arr_get(s, id, &t);
	cr_expect_str_eq(t.state[0], "kept");
	cr_expect_str_eq(t.terms[0], "{\"amount\":100}");
	cr_expect_eq(t.version[0], 2);
	cr_expect_str_eq(t.updated_by[0], "Bea");

	/* Inside a transaction, a conflict leaves it usable. */
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_expect_eq(store_arrangement_update(s, id, 3, "broken", NULL, 1700000200, "Cai"),
		     STORE_ERR_CONFLICT);
	cr_assert_eq(store_arrangement_update(s, id, 2, "broken", "{\"amount\":5}", 1700000200,
					      "Cai"), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	t_arr_get(s, id, &t);
	cr_expect_str_eq(t.state[0], "broken");
	cr_expect_str_eq(t.terms[0], "{\"amount\":5}");
	cr_expect_eq(t.version[0], 3);

	/* Unknown ids, and ids that are none. */
	cr_expect_eq(store_arrangement_update(s, "PR-9", 1, "kept", NULL, 1, "Ana"),
		     STORE_ERR_INPUT);
	cr_expect(strstr(store_errmsg(s), "no arrangement PR-9") != NULL, "%s", store_errmsg(s));
	cr_expect_eq(store_arrangement_update(s, "PL-1", 3, "kept", NULL, 1, "Ana"),
		     STORE_ERR_INPUT);
	cr_expect(strstr(store_errmsg(s), "no arrangement PL-1") != NULL, "%s", store_errmsg(s));
	cr_expect_eq(store_arrangement_update(s, "promise 1", 3, "kept", NULL, 1, "Ana"),
		     STORE_ERR_INPUT);
	cr_expect_eq(store_arrangement_update(s, id, 3, "", NULL, 1, "Ana"), STORE_ERR_INPUT);
	t_arr_get(s, id, &t);
	cr_expect_eq(t.version[0], 3);
}

/* Moves every arrangement it is given to "expired": a callback that writes. */
static int t_arr_expire(void *ctx, const struct arrangement_view *a)
{
	struct store *s = ctx;

	return store_arrangement_update(s, a->arrangement_id, a->version, "expired", NULL,
					1700000300, "relance");
}

/* The ids a scan called back for, joined by spaces. */
static void t_arr_ids(const struct t_arrs *t, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < t->n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "", t->id[i]);
}

static void t_arr_scan(struct store *s, int64_t account_key, const char *customer_id,
		       int live_only, const char *want)
{
	struct t_arrs t;
	char got[256];

	memset(&t, 0, sizeof(t));
	t.s = s;
	if (account_key != 0)
		cr_assert_eq(store_arrangements_of_account(s, account_key, live_only, t_arr_seen,
							   &t), STORE_OK, "%s", store_errmsg(s));
	else
		cr_assert_eq(store_arrangements_of_customer(s, customer_id, live_only, t_arr_seen,
							    &t), STORE_OK, "%s", store_errmsg(s));
	t_arr_ids(&t, got, sizeof(got));
	cr_expect_str_eq(got, want, "account %lld, customer %s, live %d: %s, expected %s",
			 (long long)account_key, customer_id ? customer_id : "(all)", live_only,
			 got, want);
	cr_expect_eq(t.faults, 0);
}

STORE_TEST(arrangements_of_account_and_customer_filter_live_ones)
{
	struct store *s = store_support_ready();
	struct t_arrs t;
	char id[32];

	t_arr_base(s);
	t_arr_create(s, "promise", "open", "A1", NULL, id);             /* PR-1 */
	t_arr_create(s, "plan", "proposed", "A3,A1", NULL, id);         /* PL-2 */
	t_arr_create(s, "dispute", "resolved", "A4", NULL, id);         /* DS-3 */
	t_arr_create(s, "handoff", "active", "A2", NULL, id);           /* HO-4 */
	t_arr_create(s, "postponement", "active", "A4", NULL, id);      /* PP-5 */
	cr_assert_eq(store_arrangement_update(s, "PR-1", 1, "broken", NULL, 1700000100, "Ana"),
		     STORE_OK, "%s", store_errmsg(s));

	t_arr_scan(s, t_key(s, "A1"), NULL, 0, "PR-1 PL-2");
	t_arr_scan(s, t_key(s, "A1"), NULL, 1, "PL-2");
	t_arr_scan(s, t_key(s, "A4"), NULL, 0, "DS-3 PP-5");
	t_arr_scan(s, t_key(s, "A4"), NULL, 1, "PP-5");
	t_arr_scan(s, 9999, NULL, 0, "");
	/* PL-2 covers two accounts of C1: called back once. */
	t_arr_scan(s, 0, "C1", 0, "PR-1 PL-2 DS-3 PP-5");
	t_arr_scan(s, 0, "C1", 1, "PL-2 PP-5");
	t_arr_scan(s, 0, "C2", 0, "HO-4");
	t_arr_scan(s, 0, "C404", 0, "");
	t_arr_scan(s, 0, NULL, 0, "PR-1 PL-2 DS-3 HO-4 PP-5");
	t_arr_scan(s, 0, NULL, 1, "PL-2 HO-4 PP-5");

	memset(&t, 0, sizeof(t));
	t.s = s;
	t.stop_after = 2;
	cr_expect_eq(store_arrangements_of_customer(s, NULL, 0, t_arr_seen, &t), STORE_STOP);
	cr_expect_eq(t.n, 2);
	memset(&t, 0, sizeof(t));
	t.s = s;
	t.stop_after = 1;
	cr_expect_eq(store_arrangement_get(s, "PL-2", t_arr_seen, &t), STORE_STOP);

	/* Callbacks may write: every live one of C1 expires during the scan. */
	cr_assert_eq(store_arrangements_of_customer(s, "C1", 1, t_arr_expire, s), STORE_OK, "%s",
		     store_errmsg(s));
	t_arr_scan(s, 0, NULL, 1, "HO-4");
	t_arr_get(s, "PL-2", &t);
	cr_expect_str_eq(t.state[0], "expired");
	cr_expect_eq(t.version[0], 2);
	cr_expect_str_eq(t.updated_by[0], "relance");
}

STORE_TEST(arrangements_are_never_deleted)
{
	struct store *s = store_support_ready();
	char id[32], msg[512];

	t_arr_base(s);
	t_arr_create(s, "promise", "open", "A1,A3", NULL, id);
	cr_expect_eq(store_support_exec("DELETE FROM arrangements", msg, sizeof(msg)), -1);
	cr_expect(strstr(msg, "never deleted") != NULL, "%s", msg);
	cr_expect_eq(store_support_exec("DELETE FROM arrangement_accounts", msg, sizeof(msg)), -1);
	cr_expect(strstr(msg, "never change") != NULL, "%s", msg);
	cr_expect_eq(store_support_exec("UPDATE arrangement_accounts SET account_key = 2", msg,
					sizeof(msg)), -1);
	/* The id is made of the kind and the key: neither may change. */
	cr_expect_eq(store_support_exec("UPDATE arrangements SET kind = 'plan'", msg, sizeof(msg)),
		     -1);
	cr_expect(strstr(msg, "never change") != NULL, "%s", msg);
	cr_expect_eq(store_support_exec("UPDATE arrangements SET arrangement_key = 7", msg,
					sizeof(msg)), -1);
	cr_expect_eq(t_count("arrangements"), 1);
	cr_expect_eq(t_count("arrangement_accounts"), 2);
	if (store_support.engine == STORE_SUPPORT_POSTGRES) {
		cr_expect_eq(store_support_exec("TRUNCATE arrangements CASCADE", msg, sizeof(msg)),
			     -1);
		cr_expect_eq(t_count("arrangements"), 1);
	}
}

STORE_TEST(arrangement_created_in_a_rolled_back_transaction_leaves_nothing)
{
	struct store *s = store_support_ready();
	struct t_arrs t;
	char id[32];

	t_arr_base(s);
	cr_assert_eq(store_begin(s), STORE_OK);
	t_arr_create(s, "promise", "open", "A1,A3", "promise", id);
	cr_assert_eq(store_rollback(s), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(t_count("arrangements"), 0);
	cr_expect_eq(t_count("arrangement_accounts"), 0);
	memset(&t, 0, sizeof(t));
	t.s = s;
	cr_expect_eq(store_arrangement_get(s, id, t_arr_seen, &t), STORE_ERR_INPUT);
	cr_expect_eq(t.n, 0);
	/* Nothing of it holds the accounts any more. */
	t_arr_create(s, "promise", "open", "A1", "promise", id);
	cr_expect_eq(t_count("arrangements"), 1);
}

STORE_TEST(concurrent_exclusive_promises_on_one_account_one_wins)
{
	enum { KIDS = 4, ROUNDS = 3 };
	struct store *s = store_support_ready();

	t_arr_base(s);
	for (int round = 0; round < ROUNDS; round++) {
		const char *account = round == 0 ? "A1" : round == 1 ? "A3" : "A4";
		pid_t kids[KIDS];
		int gate[2], won = 0, refused = 0;

		cr_assert_eq(pipe(gate), 0);
		for (int i = 0; i < KIDS; i++) {
			kids[i] = fork();
			cr_assert(kids[i] >= 0);
			if (kids[i] == 0) {
				const char *ids[2] = { account, "A1" };
				struct arrangement_new a = { "promise", "open", ids, 1, 1700000000,
							     "Ana", "{}", "promise plan" };
				struct store *k = NULL;
				char err[512], id[32], c;
				int rc;

				close(gate[1]);
				if (store_open(store_support.url, &k, err, sizeof(err)) != STORE_OK)
					_exit(10);
				/* Every child connected, then all go at once. */
				if (read(gate[0], &c, 1) != 0)
					_exit(12);
				/* The caller's transaction, held a while after the check:
				 * without a lock both would pass it. */
				if (store_begin(k) != STORE_OK)
					_exit(13);
				rc = store_arrangement_create(k, &a, id, sizeof(id));
				if (rc == STORE_OK) {
					usleep(100000);
					if (store_commit(k) != STORE_OK) {
						fprintf(stderr, "%s\n", store_errmsg(k));
						_exit(11);
					}
					_exit(0);
				}
				if (rc == STORE_ERR_INPUT &&
				    strstr(store_errmsg(k), "already has a live promise") != NULL)
					_exit(3);
				fprintf(stderr, "%s\n", store_errmsg(k));
				_exit(11);
			}
		}
		close(gate[0]);
		usleep(200000);
		close(gate[1]);
		for (int i = 0; i < KIDS; i++) {
			int st = 0;

			cr_assert_eq(waitpid(kids[i], &st, 0), kids[i]);
			cr_assert(WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 3),
				  "round %d: creator %d failed (%d)", round, i,
				  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			won += WEXITSTATUS(st) == 0;
			refused += WEXITSTATUS(st) == 3;
		}
		cr_expect_eq(won, 1, "round %d: %d promises created", round, won);
		cr_expect_eq(refused, KIDS - 1);
		t_arr_scan(s, t_key(s, account), NULL, 1,
			   round == 0 ? "PR-1" : round == 1 ? "PR-2" : "PR-3");
	}
	cr_expect_eq(t_count("arrangements"), ROUNDS);
}

STORE_TEST(version_4_database_migrates_to_the_latest_and_takes_arrangements)
{
	struct store *s;
	char msg[512], id[32];
	int from = -1;

	/* A database as version 4 left it, with its rows. */
	s = store_support_at_version(4);
	t_arr_base(s);
	cr_expect_eq(store_check_schema(s), STORE_ERR_SCHEMA);
	cr_assert_eq(store_migrate(s, &from), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(from, 4);
	cr_expect_eq(store_check_schema(s), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_support_exec("SELECT version FROM schema_version", msg, sizeof(msg)), 0);
	cr_expect_eq(strtol(msg, NULL, 10), STORE_SCHEMA_VERSION, "version %s", msg);
	cr_expect_eq(t_count("accounts"), 4);
	t_arr_create(s, "plan", "proposed", "A4,A1", "plan", id);
	cr_expect_str_eq(id, "PL-1");
	t_arr_scan(s, 0, "C1", 1, "PL-1");
}

STORE_TEST(imports_are_registered)
{
	struct store *s = store_support_ready();
	int64_t a = t_import(s, "invoices"), b = t_import(s, "payments");
	char msg[256];

	cr_expect_gt(b, a);
	cr_assert_eq(store_import_finish(s, b, 10, 7), STORE_OK);
	cr_assert_eq(store_support_exec("SELECT kind || ' ' || source || ' ' || started_at || "
					"' ' || row_count || ' ' || inserted FROM imports "
					"WHERE row_count IS NOT NULL", msg, sizeof(msg)), 0);
	cr_expect_str_eq(msg, "payments test.csv 1700000000 10 7");
}

STORE_TEST(close_rolls_back_and_failed_transactions_do_not_commit)
{
	struct customer_row c = { 2, "CX", "X", "fr-FR", "Europe/Paris", "fr", NULL, NULL, NULL };
	struct invoice_row inv[2];
	struct store_outcome o[2];
	struct store *s = store_support_ready();
	char msg[256];
	int from;

	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_customers_put(s, t_import(s, "customers"), &c, 1, o), STORE_OK);
	store_close(s);
	store_support.store = NULL;
	cr_expect_eq(t_count("customers"), 0);
	cr_expect_eq(t_count("imports"), 0);

	s = store_support_ready();
	cr_assert_eq(store_migrate(s, &from), STORE_OK);
	t_base(s);
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_customers_put(s, t_import(s, "customers"), &c, 1, o), STORE_OK);
	/* A good row, then a zero amount that the schema's CHECK refuses on
	 * both engines (SQLite does not enforce foreign keys, so a bad account
	 * key would not do). */
	inv[0] = t_inv(2, t_key(s, "A1"), "I1", 19000, 19030, 5);
	inv[1] = t_inv(3, t_key(s, "A1"), "IX", 19000, 19030, 0);
	cr_expect_eq(store_invoices_put(s, t_import(s, "invoices"), inv, 2, o), STORE_ERR_DB);
	cr_expect(strstr(store_errmsg(s), store_support.url) != NULL &&
		  strstr(store_errmsg(s), "invoice"), "%s", store_errmsg(s));
	/* Whatever part of the batch went in must not be committed. */
	cr_expect_eq(store_commit(s), STORE_ERR_DB);
	cr_expect_eq(store_rollback(s), STORE_OK);
	cr_expect_eq(t_count("invoices"), 0);
	cr_assert_eq(store_support_exec("SELECT count(*) FROM customers WHERE customer_id = 'CX'",
					msg, sizeof(msg)), 0, "%s", msg);
	cr_expect_str_eq(msg, "0");

	/* The store goes on after the failure. */
	cr_assert_eq(store_begin(s), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_customers_put(s, t_import(s, "customers"), &c, 1, o), STORE_OK);
	t_expect(&o[0], STORE_PUT_NEW, NULL, 0, "CX after the rollback");
	cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_support_exec("SELECT count(*) FROM customers WHERE customer_id = 'CX'",
					msg, sizeof(msg)), 0, "%s", msg);
	cr_expect_str_eq(msg, "1");
}

/* ---- users and API tokens ----------------------------------------------------------- */

/* A user as read back, its strings copied. */
struct t_user {
	int calls;
	int64_t user_key, created_at, disabled_at;
	char name[64], kind[16], role[16], customer_id[16], password_hash[128];
};

static int t_user_seen(void *ctx, const struct user_view *u)
{
	struct t_user *t = ctx;

	t->calls++;
	t->user_key = u->user_key;
	t->created_at = u->created_at;
	t->disabled_at = u->disabled_at;
	snprintf(t->name, sizeof(t->name), "%s", u->name);
	snprintf(t->kind, sizeof(t->kind), "%s", u->kind);
	snprintf(t->role, sizeof(t->role), "%s", u->role);
	snprintf(t->customer_id, sizeof(t->customer_id), "%s", u->customer_id);
	snprintf(t->password_hash, sizeof(t->password_hash), "%s", u->password_hash);
	return STORE_OK;
}

static struct t_user t_user(struct store *s, const char *name)
{
	struct t_user t = { 0 };

	cr_assert_eq(store_user_get(s, name, t_user_seen, &t), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(t.calls, 1);
	return t;
}

/* The store's message after a refusal contains `part`. */
static void t_refused(struct store *s, int rc, int want, const char *part)
{
	cr_expect_eq(rc, want, "rc %d, expected %d: %s", rc, want, store_errmsg(s));
	cr_expect(strstr(store_errmsg(s), part) != NULL, "'%s' not in '%s'", part,
		  store_errmsg(s));
}

STORE_TEST(users_added_and_read_back)
{
	struct store *s = store_support_ready();
	struct t_user u;

	t_base(s);
	cr_assert_eq(store_user_add(s, "ana", "staff", "agent", NULL, "$argon2id$fake", 1700000100),
		     STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_user_add(s, "alice", "customer", "customer", "C1", NULL, 1700000200),
		     STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_user_add(s, "crm", "api", "api", "", "", 1700000300), STORE_OK, "%s",
		     store_errmsg(s));
	u = t_user(s, "ana");
	cr_expect_str_eq(u.name, "ana");
	cr_expect_str_eq(u.kind, "staff");
	cr_expect_str_eq(u.role, "agent");
	cr_expect_str_eq(u.customer_id, "");
	cr_expect_str_eq(u.password_hash, "$argon2id$fake");
	cr_expect_eq(u.created_at, 1700000100);
	cr_expect_eq(u.disabled_at, 0);
	cr_expect_gt(u.user_key, 0);
	u = t_user(s, "alice");
	cr_expect_str_eq(u.kind, "customer");
	cr_expect_str_eq(u.role, "customer");
	cr_expect_str_eq(u.customer_id, "C1");
	cr_expect_str_eq(u.password_hash, "");
	u = t_user(s, "crm");
	cr_expect_str_eq(u.kind, "api");
	cr_expect_str_eq(u.role, "api");
	cr_expect_eq(t_count("users"), 3);
	/* Names are case-sensitive: Ana is someone else, and unknown. */
	t_refused(s, store_user_get(s, "Ana", t_user_seen, &u), STORE_ERR_INPUT, "no user Ana");
}

STORE_TEST(users_refused_change_nothing)
{
	struct store *s = store_support_ready();
	char long_name[STORE_USER_NAME_MAX + 2];

	t_base(s);
	cr_assert_eq(store_user_add(s, "ana", "staff", "agent", NULL, "h", 1), STORE_OK, "%s",
		     store_errmsg(s));
	t_refused(s, store_user_add(s, "ana", "staff", "manager", NULL, "h2", 2), STORE_ERR_INPUT,
		  "user ana exists");
	t_refused(s, store_user_add(s, "ana", "api", "api", NULL, NULL, 2), STORE_ERR_INPUT,
		  "user ana exists");
	t_refused(s, store_user_add(s, "bob", "customer", "customer", "NOPE", NULL, 2),
		  STORE_ERR_INPUT, "no customer NOPE");
	t_refused(s, store_user_add(s, "bob", "customer", "customer", NULL, NULL, 2),
		  STORE_ERR_INPUT, "needs a customer id");
	t_refused(s, store_user_add(s, "bob", "staff", "boss", NULL, "h", 2), STORE_ERR_INPUT,
		  "a staff user has the role agent, supervisor, manager or administrator, not boss");
	t_refused(s, store_user_add(s, "bob", "staff", "customer", NULL, "h", 2), STORE_ERR_INPUT,
		  "not customer");
	t_refused(s, store_user_add(s, "bob", "staff", NULL, NULL, "h", 2), STORE_ERR_INPUT,
		  "not none");
	t_refused(s, store_user_add(s, "bob", "customer", "agent", "C1", NULL, 2),
		  STORE_ERR_INPUT, "a customer user has the role customer, not agent");
	t_refused(s, store_user_add(s, "bob", "api", "administrator", NULL, NULL, 2),
		  STORE_ERR_INPUT, "an API user has the role api");
	t_refused(s, store_user_add(s, "bob", "robot", "api", NULL, NULL, 2), STORE_ERR_INPUT,
		  "unknown kind robot");
	t_refused(s, store_user_add(s, "bob", "api", "api", "C1", NULL, 2), STORE_ERR_INPUT,
		  "only a customer user has a customer id");
	t_refused(s, store_user_add(s, "bob", "api", "api", NULL, "h", 2), STORE_ERR_INPUT,
		  "an API user has no password");
	t_refused(s, store_user_add(s, "bob", "customer", "customer", "C1", "h", 2),
		  STORE_ERR_INPUT, "a customer user has no password");
	t_refused(s, store_user_add(s, "", "api", "api", NULL, NULL, 2), STORE_ERR_INPUT,
		  "needs a name");
	t_refused(s, store_user_add(s, "bob smith", "api", "api", NULL, NULL, 2), STORE_ERR_INPUT,
		  "no spaces or control characters");
	t_refused(s, store_user_add(s, "bob\n", "api", "api", NULL, NULL, 2), STORE_ERR_INPUT,
		  "no spaces or control characters");
	memset(long_name, 'b', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	t_refused(s, store_user_add(s, long_name, "api", "api", NULL, NULL, 2), STORE_ERR_INPUT,
		  "at most 128 bytes");
	cr_expect_eq(t_count("users"), 1);
	/* Each role of staff is accepted. */
	cr_expect_eq(store_user_add(s, "sup", "staff", "supervisor", NULL, "h", 3), STORE_OK);
	cr_expect_eq(store_user_add(s, "man", "staff", "manager", NULL, "h", 3), STORE_OK);
	cr_expect_eq(store_user_add(s, "adm", "staff", "administrator", NULL, "", 3), STORE_OK);
	cr_expect_eq(t_count("users"), 4);
	/* A refusal inside a transaction leaves it usable. */
	cr_assert_eq(store_begin(s), STORE_OK);
	t_refused(s, store_user_add(s, "ana", "staff", "agent", NULL, "h", 4), STORE_ERR_INPUT,
		  "exists");
	t_refused(s, store_user_add(s, "zed", "customer", "customer", "NOPE", NULL, 4),
		  STORE_ERR_INPUT, "no customer NOPE");
	cr_expect_eq(store_user_add(s, "zed", "api", "api", NULL, NULL, 4), STORE_OK, "%s",
		     store_errmsg(s));
	cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(t_count("users"), 5);
}

STORE_TEST(users_password_and_disable)
{
	struct store *s = store_support_ready();
	struct t_user u;

	t_base(s);
	cr_assert_eq(store_user_add(s, "ana", "staff", "agent", NULL, "old", 1), STORE_OK);
	cr_assert_eq(store_user_add(s, "crm", "api", "api", NULL, NULL, 1), STORE_OK);
	cr_assert_eq(store_user_set_password(s, "ana", "new"), STORE_OK, "%s", store_errmsg(s));
	cr_expect_str_eq(t_user(s, "ana").password_hash, "new");
	t_refused(s, store_user_set_password(s, "nobody", "x"), STORE_ERR_INPUT, "no user nobody");
	t_refused(s, store_user_set_password(s, "crm", "x"), STORE_ERR_INPUT,
		  "an API user has no password");
	t_refused(s, store_user_set_password(s, "ana", ""), STORE_ERR_INPUT, "empty password hash");
	cr_expect_str_eq(t_user(s, "ana").password_hash, "new");

	cr_assert_eq(store_user_disable(s, "ana", 1700000500), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(t_user(s, "ana").disabled_at, 1700000500);
	/* Twice: the first instant stays. */
	cr_assert_eq(store_user_disable(s, "ana", 1700000900), STORE_OK, "%s", store_errmsg(s));
	u = t_user(s, "ana");
	cr_expect_eq(u.disabled_at, 1700000500);
	cr_expect_eq(t_user(s, "crm").disabled_at, 0);
	t_refused(s, store_user_disable(s, "nobody", 1), STORE_ERR_INPUT, "no user nobody");
}

STORE_TEST(users_are_never_deleted)
{
	struct store *s = store_support_ready();
	char msg[512];

	t_base(s);
	cr_assert_eq(store_user_add(s, "ana", "staff", "agent", NULL, "h", 1), STORE_OK);
	cr_assert_eq(store_user_add(s, "alice", "customer", "customer", "C1", NULL, 1), STORE_OK);
	cr_expect_eq(store_support_exec("DELETE FROM users", msg, sizeof(msg)), -1);
	cr_expect(strstr(msg, "never deleted") != NULL, "%s", msg);
	cr_expect_eq(store_support_exec("UPDATE users SET kind = 'api', role = 'api', "
					"password_hash = '' WHERE name = 'ana'", msg, sizeof(msg)),
		     -1);
	cr_expect(strstr(msg, "never change") != NULL, "%s", msg);
	cr_expect_eq(store_support_exec("UPDATE users SET customer_key = NULL", msg, sizeof(msg)),
		     -1);
	/* The schema checks the kind and role too, whoever writes. */
	cr_expect_eq(store_support_exec("INSERT INTO users (name, kind, role, created_at) "
					"VALUES ('x', 'staff', 'api', 1)", msg, sizeof(msg)), -1);
	cr_expect_eq(store_support_exec("INSERT INTO users (name, kind, role, created_at) "
					"VALUES ('x', 'customer', 'customer', 1)", msg,
					sizeof(msg)), -1);
	cr_expect_eq(t_count("users"), 2);
	if (store_support.engine == STORE_SUPPORT_POSTGRES) {
		cr_expect_eq(store_support_exec("TRUNCATE users CASCADE", msg, sizeof(msg)), -1);
		cr_expect_eq(t_count("users"), 2);
	}
}

/* A token as read back, its strings copied. */
struct t_token {
	int calls;
	int64_t token_key, created_at, revoked_at, user_disabled_at;
	char user_name[64], role[16], scopes[256];
};

static int t_token_seen(void *ctx, const struct token_view *v)
{
	struct t_token *t = ctx;

	t->calls++;
	t->token_key = v->token_key;
	t->created_at = v->created_at;
	t->revoked_at = v->revoked_at;
	t->user_disabled_at = v->user_disabled_at;
	snprintf(t->user_name, sizeof(t->user_name), "%s", v->user_name);
	snprintf(t->role, sizeof(t->role), "%s", v->role);
	snprintf(t->scopes, sizeof(t->scopes), "%s", v->scopes);
	return STORE_OK;
}

static struct t_token t_token(struct store *s, const unsigned char hash[32])
{
	struct t_token t = { 0 };

	cr_assert_eq(store_token_find(s, hash, t_token_seen, &t), STORE_OK, "%s",
		     store_errmsg(s));
	return t;
}

STORE_TEST(tokens_added_found_revoked)
{
	struct store *s = store_support_ready();
	unsigned char h1[32], h2[32], h3[32], none[32];
	int64_t k1 = 0, k2 = 0, k3 = 0;
	struct t_token t;

	/* Bytes that text columns would mangle: NULs, high bytes. */
	for (int i = 0; i < 32; i++) {
		h1[i] = (unsigned char)(i * 8);
		h2[i] = (unsigned char)(255 - i);
		h3[i] = (unsigned char)(i % 2 ? 0 : 0x80);
		none[i] = 7;
	}
	t_base(s);
	cr_assert_eq(store_user_add(s, "crm", "api", "api", NULL, NULL, 1), STORE_OK);
	cr_assert_eq(store_user_add(s, "ana", "staff", "manager", NULL, "h", 1), STORE_OK);
	cr_assert_eq(store_user_add(s, "alice", "customer", "customer", "C1", NULL, 1), STORE_OK);
	cr_assert_eq(store_token_add(s, "crm", h1, "positions:read ledger:write", 1700000000,
				     &k1), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_token_add(s, "ana", h2, "admin", 1700000001, &k2), STORE_OK, "%s",
		     store_errmsg(s));
	cr_expect_gt(k1, 0);
	cr_expect_neq(k1, k2);

	t = t_token(s, h1);
	cr_expect_eq(t.calls, 1);
	cr_expect_eq(t.token_key, k1);
	cr_expect_str_eq(t.user_name, "crm");
	cr_expect_str_eq(t.role, "api");
	cr_expect_str_eq(t.scopes, "positions:read ledger:write");
	cr_expect_eq(t.created_at, 1700000000);
	cr_expect_eq(t.revoked_at, 0);
	cr_expect_eq(t.user_disabled_at, 0);
	t = t_token(s, h2);
	cr_expect_str_eq(t.role, "manager");
	cr_expect_eq(t_token(s, none).calls, 0);

	/* Refusals: unknown, customer and disabled owners, a hash stored. */
	t_refused(s, store_token_add(s, "nobody", h3, "admin", 1, &k3), STORE_ERR_INPUT,
		  "no user nobody");
	t_refused(s, store_token_add(s, "alice", h3, "admin", 1, &k3), STORE_ERR_INPUT,
		  "is a customer");
	t_refused(s, store_token_add(s, "ana", h1, "admin", 1, &k3), STORE_ERR_INPUT,
		  "already stored");
	cr_expect_eq(t_count("api_tokens"), 2);
	cr_expect_str_eq(t_token(s, h1).user_name, "crm");

	/* Revoked: still found, with the instant; the first one stays. */
	cr_assert_eq(store_token_revoke(s, k1, 1700000500), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_token_revoke(s, k1, 1700000900), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(t_token(s, h1).revoked_at, 1700000500);
	cr_expect_eq(t_token(s, h2).revoked_at, 0);
	t_refused(s, store_token_revoke(s, k2 + 100, 1), STORE_ERR_INPUT, "no token");
	t_refused(s, store_token_revoke(s, 0, 1), STORE_ERR_INPUT, "no token 0");

	/* A disabled owner shows on every token of theirs, and gets no more. */
	cr_assert_eq(store_user_disable(s, "ana", 1700000700), STORE_OK);
	cr_expect_eq(t_token(s, h2).user_disabled_at, 1700000700);
	t_refused(s, store_token_add(s, "ana", h3, "admin", 1, &k3), STORE_ERR_INPUT,
		  "user ana is disabled");
	cr_expect_eq(t_count("api_tokens"), 2);
}

STORE_TEST(version_5_database_migrates_to_6_and_takes_users)
{
	struct store *s;
	char msg[512];
	int from = -1;

	/* A database as version 5 left it, with its rows. */
	s = store_support_at_version(5);
	t_base(s);
	cr_expect_eq(store_check_schema(s), STORE_ERR_SCHEMA);
	cr_assert_eq(store_migrate(s, &from), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(from, 5);
	cr_expect_eq(store_check_schema(s), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_support_exec("SELECT version FROM schema_version", msg, sizeof(msg)), 0);
	cr_expect_eq(strtol(msg, NULL, 10), STORE_SCHEMA_VERSION, "%s", msg);
	cr_expect_eq(t_count("customers"), 2);
	cr_expect_eq(t_count("users"), 0);
	cr_assert_eq(store_user_add(s, "alice", "customer", "customer", "C1", NULL, 1),
		     STORE_OK, "%s", store_errmsg(s));
	cr_expect_str_eq(t_user(s, "alice").customer_id, "C1");
}

STORE_TEST(tokens_are_never_deleted_nor_changed)
{
	struct store *s = store_support_ready();
	unsigned char h[32];
	int64_t k = 0;
	char msg[512];

	memset(h, 0xab, sizeof(h));
	cr_assert_eq(store_user_add(s, "crm", "api", "api", NULL, NULL, 1), STORE_OK);
	cr_assert_eq(store_token_add(s, "crm", h, "admin", 1, &k), STORE_OK, "%s",
		     store_errmsg(s));
	cr_expect_eq(store_support_exec("DELETE FROM api_tokens", msg, sizeof(msg)), -1);
	cr_expect(strstr(msg, "never deleted") != NULL, "%s", msg);
	cr_expect_eq(store_support_exec("UPDATE api_tokens SET scopes = 'x'", msg, sizeof(msg)),
		     -1);
	cr_expect(strstr(msg, "never change") != NULL, "%s", msg);
	/* The hash column holds 32 bytes, once. */
	cr_expect_eq(store_support_exec(store_support.engine == STORE_SUPPORT_SQLITE ?
					"INSERT INTO api_tokens (user_key, hash, scopes, "
					"created_at) VALUES (1, x'00', 'admin', 1)" :
					"INSERT INTO api_tokens (user_key, hash, scopes, "
					"created_at) VALUES (1, '\\x00', 'admin', 1)", msg,
					sizeof(msg)), -1);
	cr_expect_eq(t_count("api_tokens"), 1);
	if (store_support.engine == STORE_SUPPORT_POSTGRES) {
		cr_expect_eq(store_support_exec("TRUNCATE api_tokens", msg, sizeof(msg)), -1);
		cr_expect_eq(t_count("api_tokens"), 1);
	}
}

/* ---- opening errors ---------------------------------------------------------------- */

/* store_open_ex(url, flags) fails with `code` and a one-line message that
 * holds `want` and, when not NULL, not `secret`. */
static void t_open_fails(const char *url, int flags, int code, const char *want,
			 const char *secret)
{
	struct store *s = (struct store *)1;
	char err[512];
	int rc = store_open_ex(url, flags, &s, err, sizeof(err));

	cr_expect_eq(rc, code, "%s: %d, expected %d (%s)", url, rc, code, err);
	cr_expect_null(s);
	if (s != NULL && s != (struct store *)1)
		store_close(s);
	cr_expect(strstr(err, want) != NULL, "'%s' not in '%s'", want, err);
	cr_expect(secret == NULL || strstr(err, secret) == NULL, "the password is in '%s'", err);
	cr_expect(strchr(err, '\n') == NULL, "more than one line: '%s'", err);
}

Test(store_pg, open_errors_name_the_url_without_password)
{
	char url[1200], want[1300];

	/* Port 1 on loopback: nothing listens there. */
	t_open_fails("postgresql://relance:s3cr3tpw@127.0.0.1:1/x", 0, STORE_ERR_DB,
		     "postgresql://relance@127.0.0.1:1/x: connection refused", "s3cr3tpw");
	t_open_fails("postgres://127.0.0.1:1/x?password=s3cr3tpw&connect_timeout=5", 0,
		     STORE_ERR_DB, "postgres://127.0.0.1:1/x?connect_timeout=5: connection refused",
		     "s3cr3tpw");
	t_open_fails("postgresql://u:s3cr3tpw@[::1/x", 0, STORE_ERR_INPUT,
		     "postgresql://u@[::1/x: not a valid PostgreSQL URL", "s3cr3tpw");
	t_open_fails("postgresql://u:s3cr3tpw@localhost/x?nonsense=1", 0, STORE_ERR_INPUT,
		     "postgresql://u@localhost/x?nonsense=1: not a valid PostgreSQL URL",
		     "s3cr3tpw");
	store_support_pg_url_for("no_such_database_here", url, sizeof(url));
	snprintf(want, sizeof(want), "%s: database \"no_such_database_here\" does not exist", url);
	t_open_fails(url, 0, STORE_ERR_DB, want, "s3cr3tpw");
}

/* Writes `text` to `path`, replacing it. */
static void t_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "cannot write %s", path);
	cr_assert_eq(fputs(text, f) >= 0 && fclose(f) == 0, 1, "cannot write %s", path);
}

/* The whole of a small file, or "" when it cannot be read. */
static void t_read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

Test(store_sqlite, open_errors_name_the_path)
{
	static const char csv[] = "customer_id,name,locale,timezone,jurisdiction\n"
				  "C1,Alice,fr-FR,Europe/Paris,fr\n";
	char path[1100], prefixed[1200], want[1300], back[256];
	struct stat st;

	/* A folder that does not exist: not even `relance init` can make the
	 * file, and nothing is created on the way. */
	snprintf(path, sizeof(path), "%s/no/such/folder/relance.db", store_support.dir);
	snprintf(want, sizeof(want), "%s: ", path);
	t_open_fails(path, STORE_OPEN_CREATE, STORE_ERR_INPUT, want, NULL);
	snprintf(want, sizeof(want), "%s: no such database: run `relance init`", path);
	t_open_fails(path, 0, STORE_ERR_INPUT, want, NULL);
	snprintf(path, sizeof(path), "%s/no", store_support.dir);
	cr_expect_neq(stat(path, &st), 0, "%s was created", path);

	/* A CSV file given as the database: named, refused as input, untouched. */
	snprintf(path, sizeof(path), "%s/customers.csv", store_support.dir);
	t_write_file(path, csv);
	snprintf(want, sizeof(want), "%s: ", path);
	t_open_fails(path, 0, STORE_ERR_INPUT, want, NULL);
	t_open_fails(path, 0, STORE_ERR_INPUT, "not a database", NULL);
	t_open_fails(path, STORE_OPEN_CREATE, STORE_ERR_INPUT, "not a database", NULL);
	t_read_file(path, back, sizeof(back));
	cr_expect_str_eq(back, csv);

	/* A missing file: only `relance init` creates databases. */
	snprintf(path, sizeof(path), "%s/missing.db", store_support.dir);
	snprintf(want, sizeof(want), "%s: no such database: run `relance init`", path);
	t_open_fails(path, 0, STORE_ERR_INPUT, want, NULL);
	snprintf(prefixed, sizeof(prefixed), "sqlite:%s", path);
	t_open_fails(prefixed, 0, STORE_ERR_INPUT, want, NULL);
	cr_expect_neq(stat(path, &st), 0, "store_open created %s", path);
}

Test(store_sqlite, sqlite_prefix_and_an_empty_file)
{
	char prefixed[1300];
	struct store *s;
	int from = -1;

	/* An empty file (`touch relance.db`) is an empty database. */
	t_write_file(store_support.url, "");
	snprintf(prefixed, sizeof(prefixed), "sqlite:%s", store_support.url);
	{
		char err[512];
		int rc = store_open(prefixed, &store_support.store, err, sizeof(err));

		cr_assert_eq(rc, STORE_OK, "store_open(%s): %s", prefixed, err);
	}
	s = store_support.store;
	cr_expect_str_eq(store_engine(s), "sqlite");
	cr_expect_eq(store_check_schema(s), STORE_ERR_SCHEMA);
	cr_expect(strstr(store_errmsg(s), "run `relance init`") != NULL, "%s", store_errmsg(s));
	cr_assert_eq(store_migrate(s, &from), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(from, 0);
	cr_expect_eq(t_count("schema_version"), 1);
}
