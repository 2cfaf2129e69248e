/*
 * The provisioning state of services (store.h "provisioning state") on both
 * engines: every PROV_TEST runs in the suite store_provisioning_sqlite and
 * in store_provisioning_pg, each on a fresh database of its own
 * (store_support.h).
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/store/store.h"
#include "store_support.h"

#define PROV_TEST(name) \
	STORE_SUPPORT_TEST(store_provisioning_sqlite, store_provisioning_pg, name)

STORE_SUPPORT_SUITES(store_provisioning_sqlite, store_provisioning_pg, "prov");

/* ---- a store with services -------------------------------------------------------------- */

#define T0 1721919600   /* 2024-07-25T15:00:00Z */

/*
 * Customers C1 (account A1) and C2 (account A2); services S1, S2, S3 of A1
 * and S4, SC, Sb of A2 (SC before Sb in byte order, after it in en-US).
 */
static struct store *p_ready(void)
{
	struct customer_row c[2] = {
		{ 2, "C1", "Alice", "fr-FR", "Europe/Paris", "fr", "+33600000001", NULL, "" },
		{ 3, "C2", "Bosco", "fr-BI", "Africa/Bujumbura", "bi", NULL, "b@example.org", "" },
	};
	struct account_row a[2] = { { 2, "A1", "C1", "EUR" }, { 3, "A2", "C2", "BIF" } };
	struct service_row v[6] = {
		{ 2, "S1", "A1", "mobile", "+33600000001", "radius" },
		{ 3, "S2", "A1", "fixed_internet", "CPE-2", "genieacs" },
		{ 4, "S3", "A1", "mobile", "+33600000003", "webhook" },
		{ 5, "S4", "A2", "mobile", "+25779000004", "radius" },
		{ 6, "SC", "A2", "mobile", "+25779000005", "radius" },
		{ 7, "Sb", "A2", "mobile", "+25779000006", "radius" },
	};
	struct store_outcome o[6];
	struct store *s = store_support_ready();
	int64_t imp = 0;

	cr_assert_eq(store_import_begin(s, "customers", "t.csv", T0, &imp), STORE_OK);
	cr_assert_eq(store_customers_put(s, imp, c, 2, o), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_import_begin(s, "accounts", "t.csv", T0, &imp), STORE_OK);
	cr_assert_eq(store_accounts_put(s, imp, a, 2, o), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_import_begin(s, "services", "t.csv", T0, &imp), STORE_OK);
	cr_assert_eq(store_services_put(s, imp, v, 6, o), STORE_OK, "%s", store_errmsg(s));
	for (int i = 0; i < 6; i++)
		cr_assert_eq(o[i].put, STORE_PUT_NEW, "service %s: %d", v[i].service_id, o[i].put);
	return s;
}

/* What the callbacks saw, copied. */
struct p_row {
	char service[16], account[16], customer[16], kind[32], identifier[32], adapter[16];
	char desired[16], key[32], confirmed[16], error[64];
	int64_t desired_at, confirmed_at, alerted_at;
	int attempts;
};
struct p_seen {
	struct p_row r[16];
	size_t n;
};

static int p_keep(void *ctx, const struct store_service_state *s)
{
	struct p_seen *seen = ctx;
	struct p_row *r;

	cr_assert_lt(seen->n, 16);
	cr_assert(s->service_id && s->account_id && s->customer_id && s->kind && s->identifier &&
		  s->adapter && s->desired && s->desired_key && s->confirmed && s->last_error,
		  "a NULL string");
	r = &seen->r[seen->n++];
	snprintf(r->service, sizeof(r->service), "%s", s->service_id);
	snprintf(r->account, sizeof(r->account), "%s", s->account_id);
	snprintf(r->customer, sizeof(r->customer), "%s", s->customer_id);
	snprintf(r->kind, sizeof(r->kind), "%s", s->kind);
	snprintf(r->identifier, sizeof(r->identifier), "%s", s->identifier);
	snprintf(r->adapter, sizeof(r->adapter), "%s", s->adapter);
	snprintf(r->desired, sizeof(r->desired), "%s", s->desired);
	snprintf(r->key, sizeof(r->key), "%s", s->desired_key);
	snprintf(r->confirmed, sizeof(r->confirmed), "%s", s->confirmed);
	snprintf(r->error, sizeof(r->error), "%s", s->last_error);
	r->desired_at = s->desired_at;
	r->confirmed_at = s->confirmed_at;
	r->alerted_at = s->alerted_at;
	r->attempts = s->attempts;
	return 0;
}

/* The state of one service; fails the test when it has none. */
static struct p_row p_get(const char *service_id)
{
	struct store *s = store_support.store;
	struct p_seen seen = { .n = 0 };

	cr_assert_eq(store_service_state_get(s, service_id, p_keep, &seen), STORE_OK, "%s",
		     store_errmsg(s));
	cr_assert_eq(seen.n, 1, "service %s: %zu states", service_id, seen.n);
	return seen.r[0];
}

/* The service ids a scan listed, space-separated. */
static void p_scan(int all, char *out, size_t size)
{
	struct store *s = store_support.store;
	struct p_seen seen = { .n = 0 };
	size_t len = 0;

	cr_assert_eq(store_service_states_scan(s, all, p_keep, &seen), STORE_OK, "%s",
		     store_errmsg(s));
	out[0] = '\0';
	for (size_t i = 0; i < seen.n; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "",
					seen.r[i].service);
}

static void p_expect_counts(int64_t total, int64_t drift, int64_t alerted)
{
	struct store *s = store_support.store;
	int64_t t = -1, d = -1, a = -1;

	cr_assert_eq(store_service_state_counts(s, &t, &d, &a), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(t, total, "total %lld, expected %lld", (long long)t, (long long)total);
	cr_expect_eq(d, drift, "drift %lld, expected %lld", (long long)d, (long long)drift);
	cr_expect_eq(a, alerted, "alerted %lld, expected %lld", (long long)a, (long long)alerted);
}

/* ---- writes and reads ------------------------------------------------------------------ */

PROV_TEST(desire_attempt_confirm_read_back)
{
	struct store *s = p_ready();
	struct p_row r;
	int n = -1;

	cr_assert_eq(store_service_desire(s, "S1", "total", T0, "acct/A1/suspend/1"), STORE_OK,
		     "%s", store_errmsg(s));
	r = p_get("S1");
	cr_expect_str_eq(r.service, "S1");
	cr_expect_str_eq(r.account, "A1");
	cr_expect_str_eq(r.customer, "C1");
	cr_expect_str_eq(r.kind, "mobile");
	cr_expect_str_eq(r.identifier, "+33600000001");
	cr_expect_str_eq(r.adapter, "radius");
	cr_expect_str_eq(r.desired, "total");
	cr_expect_eq(r.desired_at, T0);
	cr_expect_str_eq(r.key, "acct/A1/suspend/1");
	cr_expect_str_eq(r.confirmed, "");
	cr_expect_eq(r.confirmed_at, 0);
	cr_expect_eq(r.attempts, 0);
	cr_expect_str_eq(r.error, "");
	cr_expect_eq(r.alerted_at, 0);

	cr_assert_eq(store_service_attempt(s, "S1", "radius: timeout", T0 + 60, 0, &n), STORE_OK,
		     "%s", store_errmsg(s));
	cr_expect_eq(n, 1);
	cr_assert_eq(store_service_attempt(s, "S1", "radius: NAK", T0 + 120, 0, &n), STORE_OK,
		     "%s", store_errmsg(s));
	cr_expect_eq(n, 2);
	/* *attempts may be NULL. */
	cr_assert_eq(store_service_attempt(s, "S1", NULL, T0 + 180, 0, NULL), STORE_OK, "%s",
		     store_errmsg(s));
	r = p_get("S1");
	cr_expect_eq(r.attempts, 3);
	cr_expect_str_eq(r.error, "");
	cr_expect_eq(r.alerted_at, 0);
	cr_assert_eq(store_service_attempt(s, "S1", "radius: NAK", T0 + 240, 0, &n), STORE_OK);
	cr_expect_eq(n, 4);
	cr_expect_str_eq(p_get("S1").error, "radius: NAK");

	/* The peer confirms: the error goes, the count of tries stays. */
	cr_assert_eq(store_service_confirm(s, "S1", "total", T0 + 300), STORE_OK, "%s",
		     store_errmsg(s));
	r = p_get("S1");
	cr_expect_str_eq(r.desired, "total");
	cr_expect_eq(r.desired_at, T0);
	cr_expect_str_eq(r.confirmed, "total");
	cr_expect_eq(r.confirmed_at, T0 + 300);
	cr_expect_str_eq(r.error, "");
	cr_expect_eq(r.attempts, 4);
	cr_expect_eq(r.alerted_at, 0);
	cr_expect_eq(store_support_int("SELECT count(*) FROM service_states"), 1);
}

PROV_TEST(desire_resets_the_tries_and_the_alert_and_keeps_the_confirmed_level)
{
	struct store *s = p_ready();
	struct p_row r;
	int n = 0;

	cr_assert_eq(store_service_desire(s, "S2", "walled_garden", T0, "k1"), STORE_OK);
	cr_assert_eq(store_service_confirm(s, "S2", "walled_garden", T0 + 5), STORE_OK);
	cr_assert_eq(store_service_desire(s, "S2", "full", T0 + 100, "k2"), STORE_OK);
	cr_assert_eq(store_service_attempt(s, "S2", "acs: no answer", T0 + 110, 0, &n), STORE_OK);
	cr_assert_eq(store_service_attempt(s, "S2", "acs: no answer", T0 + 120, 1, &n), STORE_OK);
	cr_expect_eq(n, 2);
	r = p_get("S2");
	cr_expect_eq(r.alerted_at, T0 + 120);
	cr_expect_str_eq(r.confirmed, "walled_garden");
	p_expect_counts(1, 0, 1);

	cr_assert_eq(store_service_desire(s, "S2", "throttle", T0 + 200, "k3"), STORE_OK, "%s",
		     store_errmsg(s));
	r = p_get("S2");
	cr_expect_str_eq(r.desired, "throttle");
	cr_expect_eq(r.desired_at, T0 + 200);
	cr_expect_str_eq(r.key, "k3");
	cr_expect_eq(r.attempts, 0);
	cr_expect_str_eq(r.error, "");
	cr_expect_eq(r.alerted_at, 0);
	cr_expect_str_eq(r.confirmed, "walled_garden");
	cr_expect_eq(r.confirmed_at, T0 + 5);
	p_expect_counts(1, 1, 0);

	/* A key may be absent. */
	cr_assert_eq(store_service_desire(s, "S2", "full", T0 + 300, NULL), STORE_OK, "%s",
		     store_errmsg(s));
	cr_expect_str_eq(p_get("S2").key, "");
}

PROV_TEST(confirm_without_a_row_writes_one_at_that_level)
{
	struct store *s = p_ready();
	struct p_row r;
	char ids[128];

	cr_assert_eq(store_service_confirm(s, "S3", "full", T0 + 7), STORE_OK, "%s",
		     store_errmsg(s));
	r = p_get("S3");
	cr_expect_str_eq(r.desired, "full");
	cr_expect_eq(r.desired_at, T0 + 7);
	cr_expect_str_eq(r.key, "");
	cr_expect_str_eq(r.confirmed, "full");
	cr_expect_eq(r.confirmed_at, T0 + 7);
	cr_expect_eq(r.attempts, 0);
	p_scan(0, ids, sizeof(ids));
	cr_expect_str_eq(ids, "");
	p_expect_counts(1, 0, 0);

	/* The peer reports another level than the desired one: drift. */
	cr_assert_eq(store_service_confirm(s, "S3", "total", T0 + 8), STORE_OK);
	r = p_get("S3");
	cr_expect_str_eq(r.desired, "full");
	cr_expect_str_eq(r.confirmed, "total");
	p_scan(0, ids, sizeof(ids));
	cr_expect_str_eq(ids, "S3");
}

PROV_TEST(a_service_without_a_row_reads_as_none)
{
	struct store *s = p_ready();
	struct p_seen seen = { .n = 0 };
	char ids[128];

	cr_expect_eq(store_service_state_get(s, "S1", p_keep, &seen), STORE_OK, "%s",
		     store_errmsg(s));
	cr_expect_eq(store_service_state_get(s, "NOPE", p_keep, &seen), STORE_OK, "%s",
		     store_errmsg(s));
	cr_expect_eq(seen.n, 0);
	p_scan(1, ids, sizeof(ids));
	cr_expect_str_eq(ids, "");
	p_expect_counts(0, 0, 0);
}

/* ---- the drift scan and the counts ------------------------------------------------------ */

PROV_TEST(drift_scan_lists_what_reconciliation_works_on_in_order)
{
	struct store *s = p_ready();
	char ids[128];
	int n;

	/* Confirmed at the desired level: not in drift. */
	cr_assert_eq(store_service_desire(s, "S1", "total", T0 + 10, "k1"), STORE_OK);
	cr_assert_eq(store_service_confirm(s, "S1", "total", T0 + 11), STORE_OK);
	/* Confirmed at another level: drift. */
	cr_assert_eq(store_service_confirm(s, "S2", "full", T0), STORE_OK);
	cr_assert_eq(store_service_desire(s, "S2", "throttle", T0 + 30, "k2"), STORE_OK);
	/* Never confirmed: drift, and the earliest. */
	cr_assert_eq(store_service_desire(s, "S3", "walled_garden", T0 + 5, "k3"), STORE_OK);
	/* Gave up on: alerted, not listed. */
	cr_assert_eq(store_service_desire(s, "S4", "total", T0 + 1, "k4"), STORE_OK);
	cr_assert_eq(store_service_attempt(s, "S4", "nas down", T0 + 2, 1, &n), STORE_OK);
	/* Same instant: by service id in byte order. */
	cr_assert_eq(store_service_desire(s, "Sb", "total", T0 + 20, "k5"), STORE_OK);
	cr_assert_eq(store_service_desire(s, "SC", "total", T0 + 20, "k6"), STORE_OK);

	p_scan(0, ids, sizeof(ids));
	cr_expect_str_eq(ids, "S3 SC Sb S2");
	p_scan(1, ids, sizeof(ids));
	cr_expect_str_eq(ids, "S4 S3 S1 SC Sb S2");
	p_expect_counts(6, 4, 1);

	/* A confirmation of the desired level takes it out; the alerted one
	 * stays out even confirmed, and stays counted as alerted. */
	cr_assert_eq(store_service_confirm(s, "SC", "total", T0 + 40), STORE_OK);
	cr_assert_eq(store_service_confirm(s, "S4", "full", T0 + 41), STORE_OK);
	p_scan(0, ids, sizeof(ids));
	cr_expect_str_eq(ids, "S3 Sb S2");
	p_expect_counts(6, 3, 1);
	/* A new desire puts it back in reconciliation's hands. */
	cr_assert_eq(store_service_desire(s, "S4", "throttle", T0 + 50, "k7"), STORE_OK);
	p_scan(0, ids, sizeof(ids));
	cr_expect_str_eq(ids, "S3 Sb S2 S4");
	p_expect_counts(6, 4, 0);
}

struct p_retry {
	struct store *s;
	int calls, alerted;
};

/* Reconciliation's shape: a try per service, an alert at the third. */
static int p_retry_one(void *ctx, const struct store_service_state *st)
{
	struct p_retry *r = ctx;
	int n = 0;

	r->calls++;
	cr_assert_eq(store_service_attempt(r->s, st->service_id, "no answer", T0 + 100,
					   st->attempts + 1 >= 3, &n), STORE_OK, "%s",
		     store_errmsg(r->s));
	cr_expect_eq(n, st->attempts + 1);
	r->alerted += n >= 3;
	return 0;
}

PROV_TEST(scan_callback_may_write_to_the_store)
{
	struct store *s = p_ready();
	struct p_retry r = { s, 0, 0 };
	char ids[128];

	cr_assert_eq(store_service_desire(s, "S1", "total", T0, "k1"), STORE_OK);
	cr_assert_eq(store_service_desire(s, "S2", "total", T0 + 1, "k2"), STORE_OK);
	cr_assert_eq(store_service_desire(s, "S3", "full", T0 + 2, "k3"), STORE_OK);
	for (int round = 0; round < 3; round++)
		cr_assert_eq(store_service_states_scan(s, 0, p_retry_one, &r), STORE_OK, "%s",
			     store_errmsg(s));
	cr_expect_eq(r.calls, 9);
	cr_expect_eq(r.alerted, 3);
	p_scan(0, ids, sizeof(ids));
	cr_expect_str_eq(ids, "");
	p_expect_counts(3, 0, 3);
	cr_expect_eq(p_get("S2").attempts, 3);
	cr_expect_eq(p_get("S2").alerted_at, T0 + 100);
	cr_expect_str_eq(p_get("S2").error, "no answer");
}

static int p_stop(void *ctx, const struct store_service_state *s)
{
	(void)s;
	++*(int *)ctx;
	return STORE_STOP;
}

PROV_TEST(scan_stops_when_the_callback_says_so)
{
	struct store *s = p_ready();
	int calls = 0;

	cr_assert_eq(store_service_desire(s, "S1", "total", T0, "k1"), STORE_OK);
	cr_assert_eq(store_service_desire(s, "S2", "total", T0 + 1, "k2"), STORE_OK);
	cr_expect_eq(store_service_states_scan(s, 1, p_stop, &calls), STORE_STOP);
	cr_expect_eq(calls, 1);
	calls = 0;
	cr_expect_eq(store_service_state_get(s, "S2", p_stop, &calls), STORE_STOP);
	cr_expect_eq(calls, 1);
}

/* ---- refusals ------------------------------------------------------------------------------ */

PROV_TEST(unknown_services_and_levels_are_refused)
{
	struct store *s = p_ready();
	int n = 7;

	cr_expect_eq(store_service_desire(s, "NOPE", "total", T0, "k"), STORE_ERR_INPUT);
	cr_expect_str_eq(store_errmsg(s), "no service NOPE");
	cr_expect_eq(store_service_confirm(s, "NOPE", "full", T0), STORE_ERR_INPUT);
	cr_expect_str_eq(store_errmsg(s), "no service NOPE");
	cr_expect_eq(store_service_attempt(s, "NOPE", "x", T0, 0, &n), STORE_ERR_INPUT);
	cr_expect_eq(n, 0);
	/* A service that exists but has no state yet. */
	cr_expect_eq(store_service_attempt(s, "S1", "x", T0, 0, &n), STORE_ERR_INPUT);
	cr_expect_str_eq(store_errmsg(s), "no provisioning state for service S1");

	cr_expect_eq(store_service_desire(s, "S1", "off", T0, "k"), STORE_ERR_INPUT);
	cr_expect(strstr(store_errmsg(s), "unknown level off") != NULL, "%s", store_errmsg(s));
	cr_expect_eq(store_service_desire(s, "S1", "", T0, "k"), STORE_ERR_INPUT);
	cr_expect_eq(store_service_desire(s, "S1", NULL, T0, "k"), STORE_ERR_INPUT);
	cr_expect_eq(store_service_desire(s, "S1", "Total", T0, "k"), STORE_ERR_INPUT);
	cr_expect_eq(store_service_desire(s, "S1", "full throttle", T0, "k"), STORE_ERR_INPUT);
	cr_expect_eq(store_service_confirm(s, "S1", "walled", T0), STORE_ERR_INPUT);
	cr_expect_eq(store_service_desire(s, "", "total", T0, "k"), STORE_ERR_INPUT);
	cr_expect_eq(store_service_desire(s, NULL, "total", T0, "k"), STORE_ERR_INPUT);
	cr_expect_eq(store_service_confirm(s, NULL, "total", T0), STORE_ERR_INPUT);
	cr_expect_eq(store_service_attempt(s, "", "x", T0, 0, &n), STORE_ERR_INPUT);
	cr_expect_eq(store_service_state_get(s, NULL, p_keep, NULL), STORE_ERR_INPUT);
	cr_expect_eq(store_support_int("SELECT count(*) FROM service_states"), 0);

	/* Each of the four levels is accepted. */
	cr_expect_eq(store_service_desire(s, "S1", "full", T0, "k"), STORE_OK, "%s",
		     store_errmsg(s));
	cr_expect_eq(store_service_desire(s, "S1", "throttle", T0, "k"), STORE_OK);
	cr_expect_eq(store_service_desire(s, "S1", "walled_garden", T0, "k"), STORE_OK);
	cr_expect_eq(store_service_desire(s, "S1", "total", T0, "k"), STORE_OK);
}

PROV_TEST(the_schema_refuses_bad_levels_and_deletes)
{
	struct store *s = p_ready();
	char msg[512];

	cr_assert_eq(store_service_desire(s, "S1", "total", T0, "k1"), STORE_OK);
	cr_expect_eq(store_support_exec("UPDATE service_states SET desired = 'off'", msg,
					sizeof(msg)), -1);
	cr_expect_eq(store_support_exec("UPDATE service_states SET confirmed = 'on', "
					"confirmed_at = 1", msg, sizeof(msg)), -1);
	cr_expect_eq(store_support_exec("DELETE FROM service_states", msg, sizeof(msg)), -1);
	cr_expect(strstr(msg, "never deleted") != NULL, "%s", msg);
	if (store_support.engine == STORE_SUPPORT_POSTGRES) {
		cr_expect_eq(store_support_exec("TRUNCATE service_states", msg, sizeof(msg)), -1);
		cr_expect(strstr(msg, "never deleted") != NULL, "%s", msg);
	}
	cr_expect_eq(store_support_int("SELECT count(*) FROM service_states"), 1);
	cr_expect_str_eq(p_get("S1").desired, "total");
}

/* ---- transactions --------------------------------------------------------------------------- */

PROV_TEST(writes_belong_to_the_callers_transaction)
{
	struct store *s = p_ready();
	int n = 0;

	cr_assert_eq(store_begin(s), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_service_desire(s, "S1", "total", T0, "k1"), STORE_OK);
	cr_assert_eq(store_service_attempt(s, "S1", "x", T0 + 1, 0, &n), STORE_OK);
	cr_expect_eq(n, 1);
	cr_expect_eq(p_get("S1").attempts, 1);
	cr_assert_eq(store_rollback(s), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(store_support_int("SELECT count(*) FROM service_states"), 0);

	/* A refused call leaves the transaction usable. */
	cr_assert_eq(store_begin(s), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(store_service_desire(s, "NOPE", "total", T0, "k"), STORE_ERR_INPUT);
	cr_expect_eq(store_service_attempt(s, "S2", "x", T0, 0, &n), STORE_ERR_INPUT);
	cr_expect_eq(store_service_desire(s, "S1", "bogus", T0, "k"), STORE_ERR_INPUT);
	cr_assert_eq(store_service_desire(s, "S1", "total", T0, "k1"), STORE_OK, "%s",
		     store_errmsg(s));
	cr_assert_eq(store_service_confirm(s, "S2", "full", T0), STORE_OK, "%s", store_errmsg(s));
	cr_assert_eq(store_commit(s), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(store_support_int("SELECT count(*) FROM service_states"), 2);
	p_expect_counts(2, 1, 0);
}

/* ---- migration ------------------------------------------------------------------------------ */

PROV_TEST(version_8_database_with_data_migrates_to_9)
{
	static const char rows[] =
		"INSERT INTO imports (import_id, kind, source, started_at) "
		"VALUES (1, 'customers', 'old.csv', 1700000000); "
		"INSERT INTO customers (customer_key, customer_id, name, locale, timezone, "
		"jurisdiction, import_id, source_line) VALUES "
		"(1, 'C1', 'Alice', 'fr-FR', 'Europe/Paris', 'fr', 1, 2); "
		"INSERT INTO accounts (account_key, account_id, customer_key, currency, "
		"import_id, source_line) VALUES (1, 'A1', 1, 'EUR', 1, 2); "
		"INSERT INTO services (service_key, service_id, account_key, kind, "
		"identifier, adapter, import_id, source_line) VALUES "
		"(1, 'S1', 1, 'mobile', '+33600000001', 'radius', 1, 2), "
		"(2, 'S2', 1, 'mobile', '+33600000002', 'webhook', 1, 3)";
	struct store *s;
	char msg[512];
	int from = -1;

	cr_assert_geq(STORE_SCHEMA_VERSION, 9);
	s = store_support_at_version(8);
	cr_assert_eq(store_support_exec(rows, msg, sizeof(msg)), 0, "%s", msg);
	cr_expect_eq(store_check_schema(s), STORE_ERR_SCHEMA);
	cr_expect(strstr(store_errmsg(s), "version 8") != NULL, "%s", store_errmsg(s));
	cr_expect_eq(store_support_exec("SELECT count(*) FROM service_states", msg, sizeof(msg)),
		     -1);

	cr_assert_eq(store_migrate(s, &from), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(from, 8);
	cr_expect_eq(store_check_schema(s), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(store_support_int("SELECT version FROM schema_version"), STORE_SCHEMA_VERSION);
	cr_expect_eq(store_support_int("SELECT count(*) FROM schema_version"), 1);
	cr_expect_eq(store_support_int("SELECT count(*) FROM services"), 2);
	cr_expect_eq(store_support_int("SELECT count(*) FROM service_states"), 0);

	/* The old rows work with the new table. */
	cr_assert_eq(store_service_desire(s, "S2", "throttle", T0, "k"), STORE_OK, "%s",
		     store_errmsg(s));
	{
		struct p_row r = p_get("S2");

		cr_expect_str_eq(r.account, "A1");
		cr_expect_str_eq(r.customer, "C1");
		cr_expect_str_eq(r.adapter, "webhook");
	}
	p_expect_counts(1, 1, 0);
	cr_assert_eq(store_migrate(s, &from), STORE_OK, "%s", store_errmsg(s));
	cr_expect_eq(from, STORE_SCHEMA_VERSION);
}

/* The drift scan and its count read the partial index, not the table. */
Test(store_provisioning_sqlite, drift_reads_its_partial_index)
{
	static const char *const sql[] = {
		"EXPLAIN QUERY PLAN SELECT v.service_id FROM service_states st JOIN services v "
		"ON v.service_key = st.service_key JOIN accounts a ON a.account_key = v.account_key "
		"JOIN customers c ON c.customer_key = a.customer_key WHERE st.alerted_at IS NULL "
		"AND (st.confirmed IS NULL OR st.confirmed <> st.desired) "
		"ORDER BY st.desired_at, v.service_id",
		"EXPLAIN QUERY PLAN SELECT count(*) FROM service_states st WHERE st.alerted_at IS "
		"NULL AND (st.confirmed IS NULL OR st.confirmed <> st.desired)",
	};
	sqlite3 *db = NULL;

	p_ready();
	cr_assert_eq(sqlite3_open_v2(store_support.url, &db, SQLITE_OPEN_READONLY, NULL),
		     SQLITE_OK);
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st = NULL;
		char plan[1024] = "";
		size_t len = 0;

		cr_assert_eq(sqlite3_prepare_v2(db, sql[i], -1, &st, NULL), SQLITE_OK, "%s",
			     sqlite3_errmsg(db));
		while (sqlite3_step(st) == SQLITE_ROW && len < sizeof(plan))
			len += (size_t)snprintf(plan + len, sizeof(plan) - len, "%s; ",
						(const char *)sqlite3_column_text(st, 3));
		sqlite3_finalize(st);
		cr_expect(strstr(plan, "service_states_drift") != NULL, "plan %zu: %s", i, plan);
	}
	sqlite3_close(db);
}
