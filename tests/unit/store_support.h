/*
 * store_support — one fresh database per test, on either engine, for the
 * unit tests of the store interface. A test file declares two suites with
 * STORE_SUPPORT_SUITES and its tests with STORE_SUPPORT_TEST, so that every
 * body runs twice:
 *
 *   - in the SQLite suite, on a file in a fresh folder under $TMPDIR (or
 *     /tmp); the file is not created before the test opens it, as with
 *     `relance init`; the folder and all that is in it is removed at the end;
 *   - in the PostgreSQL suite, on a fresh database on the server named by
 *     RELANCE_TEST_PG_URL, with an ICU en-US collation (when the server has
 *     ICU) so that byte-order listings are really checked; it is dropped at
 *     the end. Without the variable these tests fail: a skipped engine would
 *     look like a passing one.
 *
 * Two suites rather than one ParameterizedTest so that every report line,
 * and --filter, names the engine. Typical use:
 *
 *   #define PROV_TEST(name) \
 *           STORE_SUPPORT_TEST(store_provisioning_sqlite, store_provisioning_pg, name)
 *   STORE_SUPPORT_SUITES(store_provisioning_sqlite, store_provisioning_pg, "prov");
 *
 *   PROV_TEST(something)
 *   {
 *           struct store *s = store_support_ready();
 *           ...
 *           cr_expect_eq(store_support_int("SELECT count(*) FROM t"), 1);
 *   }
 *
 * Raw SQL (store_support_exec) goes through the engine's own client library
 * (sqlite3 or libpq) on a connection of its own, never through the store
 * under test. Criterion runs every test in a process of its own, so the
 * state below is the running test's alone.
 */
#ifndef RELANCE_TEST_STORE_SUPPORT_H
#define RELANCE_TEST_STORE_SUPPORT_H

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>

struct store;

enum store_support_engine { STORE_SUPPORT_SQLITE, STORE_SUPPORT_POSTGRES };

/* The running test's database, filled in by the suite's .init. */
struct store_support {
	enum store_support_engine engine;
	char url[1200];         /* a file path (SQLite) or a URL (PostgreSQL) */
	char dir[1024];         /* SQLite: the folder holding the file */
	char server[1024];      /* PostgreSQL: RELANCE_TEST_PG_URL */
	char name[64];          /* PostgreSQL: this test's database */
	/*
	 * The test's store, as store_support_ready left it; store_support_fini
	 * closes it. A test that closes it itself sets it to NULL.
	 */
	struct store *store;
};
extern struct store_support store_support;

/* The .init of each suite: a fresh database, named after tag ("prov" gives
 * the folder relance-prov.XXXXXX and databases t_prov_PID_SEC_NSEC). Fails
 * the test when it cannot be made. */
void store_support_sqlite_init(const char *tag);
void store_support_pg_init(const char *tag);
/* The .fini of both: closes store_support.store, then drops the database
 * or removes the folder. */
void store_support_fini(void);

/* Declares the suites SQLITE_SUITE and PG_SUITE with the .init and .fini above. */
#define STORE_SUPPORT_SUITES(sqlite_suite, pg_suite, tag) \
	static void sqlite_suite##_init(void) { store_support_sqlite_init(tag); } \
	static void pg_suite##_init(void) { store_support_pg_init(tag); } \
	TestSuite(sqlite_suite, .init = sqlite_suite##_init, .fini = store_support_fini); \
	TestSuite(pg_suite, .init = pg_suite##_init, .fini = store_support_fini)

/* Declares a test whose body, which follows, runs in both suites. */
#define STORE_SUPPORT_TEST(sqlite_suite, pg_suite, name) \
	static void name##_body(void); \
	Test(sqlite_suite, name) { name##_body(); } \
	Test(pg_suite, name) { name##_body(); } \
	static void name##_body(void)

/* RELANCE_TEST_PG_URL with its database replaced by db (query kept). */
void store_support_pg_url_for(const char *db, char *out, size_t size);

/*
 * Runs sql (one statement or a script) on this test's database, which must
 * exist: a check never creates the database it looks at. Returns 0, or -1
 * with the engine's message in msg (NULL: not wanted). The first value of
 * the first row of a result goes to msg; NULL reads as "", as in libpq.
 * Fails the test when the database cannot be reached.
 */
int store_support_exec(const char *sql, char *msg, size_t size);
/* The first value of sql's result as an integer; fails the test when sql fails. */
int64_t store_support_int(const char *sql);

/*
 * Opens this test's database, creating the SQLite file when it is not made
 * yet, and checks the store's engine is the suite's. Not migrated. The store
 * is the caller's to close. Fails the test on error.
 */
struct store *store_support_open(void);
/* Opens and migrates this test's database as store_support.store, and
 * returns it: the harness closes it. */
struct store *store_support_ready(void);
/*
 * Opens this test's database as store_support.store, not migrated, with the
 * schema as release `version` left it (its first `version` migration
 * scripts run as raw SQL, schema_version set to it), and returns it.
 */
struct store *store_support_at_version(int version);

#endif
