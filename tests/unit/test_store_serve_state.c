/*
 * The serve state (store.h "serve state") on both engines: every STATE_TEST
 * runs in the suite store_serve_state_sqlite and in store_serve_state_pg,
 * each on a fresh database of its own (store_support.h). Two stores opened
 * on one database stand for two nodes of `relance serve`.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/store/store.h"
#include "store_support.h"

#define STATE_TEST(name) \
	STORE_SUPPORT_TEST(store_serve_state_sqlite, store_serve_state_pg, name)

STORE_SUPPORT_SUITES(store_serve_state_sqlite, store_serve_state_pg, "state");

/* ---- two nodes on one database ------------------------------------------------------- */

#define T0 1721919600   /* 2024-07-25T15:00:00Z */

static struct store *other;   /* the second node's */

/* This test's two stores: store_support.store (node A), returned, and other (node B). */
static struct store *s_ready(void)
{
	struct store *a = store_support_ready();
	int from;

	other = store_support_open();
	cr_assert_eq(store_migrate(other, &from), STORE_OK, "%s", store_errmsg(other));
	return a;
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
	cr_assert_eq(store_support_int("SELECT count(*) FROM serve_sessions"), 1);
	cr_assert_eq(store_support_int("SELECT count(*) FROM serve_attempts WHERE name = 'new'"),
		     1);
	cr_assert_eq(store_support_int("SELECT count(*) FROM serve_attempts"), 1);
	cr_assert_eq(store_support_int("SELECT count(*) FROM serve_codes WHERE user_name = 'new'"),
		     1);
	cr_assert_eq(store_support_int("SELECT count(*) FROM serve_codes"), 1);
	cr_assert_eq(store_support_int("SELECT count(*) FROM serve_idempotency "
				       "WHERE idem_key = 'new'"), 1);
	cr_assert_eq(store_support_int("SELECT count(*) FROM serve_idempotency"), 1);
	s_close_other();
}
