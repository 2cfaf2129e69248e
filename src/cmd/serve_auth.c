/*
 * serve_auth — who is asking (docs/api.md "Who may do what", docs/roles.md).
 *
 * Every /api/v1 route needs a bearer token (`relance token add`) whose
 * scopes include the route's permission (or "admin"), its owner neither
 * disabled nor the token revoked; or a staff session (the relance_session
 * cookie a sign-in set) whose role's scopes include it, with the CSRF
 * token the sign-in gave for anything but reading. /healthz, /readyz and
 * /metrics answer anyone: they say nothing about customers.
 *
 * Sessions and sign-in attempts are in the database (store.h "serve
 * state"): every node serving it sees a sign-in or a sign-out of another
 * at once, and a restart signs nobody out. The token cache is this
 * process's, shared by its threads under a lock.
 */
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/auth.h"
#include "../core/dynbuf.h"
#include "../store/store.h"
#include "serve.h"

/* Sessions (docs/api.md "Sessions"): rows of the database keyed by the
 * hash of the cookie's value, shared by every node. */
#define SESSION_SECONDS (8 * 3600)
#define LOGIN_FAILURES 5      /* failed sign-ins of one user name ... */
#define LOGIN_WINDOW 900      /* ... within this many seconds: 429 until it ends */

/* What each staff role may do, as scopes (docs/api.md "Roles"). */
static const struct {
	const char *role, *scopes;
} role_scopes[] = {
	{ "agent", "positions:read file:read file:write arrangements:read arrangements:write "
		   "queues:read queues:write" },
	{ "supervisor", "positions:read file:read file:write arrangements:read arrangements:write "
			"queues:read queues:write reports:read policies:read" },
	{ "manager", "positions:read file:read arrangements:read queues:read reports:read "
		     "policies:read" },
	{ "administrator", "admin" },
};

struct token_found {
	int found;
	struct principal p;
	int64_t revoked_at, disabled_at;
};

#define TOKEN_CACHE 64
#define TOKEN_CACHE_SECONDS 5

struct cached_token {
	unsigned char hash[AUTH_TOKEN_HASH_BYTES];
	struct token_found found;
	int64_t until;
};

/* The token cache every thread shares, under tokens_lock. */
static struct {
	struct cached_token tokens[TOKEN_CACHE];
	unsigned next_token;
} A;
static pthread_rwlock_t tokens_lock = PTHREAD_RWLOCK_INITIALIZER;

/* ---- who is asking -------------------------------------------------------------------- */


static int keep_token(void *ctx, const struct token_view *t)
{
	struct token_found *f = ctx;

	f->found = 1;
	snprintf(f->p.user, sizeof(f->p.user), "%s", t->user_name);
	snprintf(f->p.role, sizeof(f->p.role), "%s", t->role);
	snprintf(f->p.scopes, sizeof(f->p.scopes), "%s", t->scopes);
	f->revoked_at = t->revoked_at;
	f->disabled_at = t->user_disabled_at;
	return 0;
}

/* What the store said of a token, for TOKEN_CACHE_SECONDS: a client
 * calling many times a second costs one look-up a few seconds, and a
 * revocation or a disabled user takes effect within that delay. */
static int token_cached(const unsigned char *hash, struct token_found *f)
{
	int64_t now = (int64_t)time(NULL);
	int found = 0;

	/* Read by every request, written every few seconds: readers do not
	 * wait for each other. */
	pthread_rwlock_rdlock(&tokens_lock);
	for (size_t i = 0; i < TOKEN_CACHE && !found; i++) {
		struct cached_token *c = &A.tokens[i];

		if (c->until > now && auth_equal(c->hash, hash, AUTH_TOKEN_HASH_BYTES)) {
			*f = c->found;
			found = 1;
		}
	}
	pthread_rwlock_unlock(&tokens_lock);
	return found;
}

static void token_remember(const unsigned char *hash, const struct token_found *f)
{
	pthread_rwlock_wrlock(&tokens_lock);
	struct cached_token *c = &A.tokens[A.next_token++ % TOKEN_CACHE];

	memcpy(c->hash, hash, AUTH_TOKEN_HASH_BYTES);
	c->found = *f;
	c->until = (int64_t)time(NULL) + TOKEN_CACHE_SECONDS;
	pthread_rwlock_unlock(&tokens_lock);
}

/* The hash of a cookie's value, as the store keeps it (hex): -1 when the
 * value cannot be a session's. */
static int session_hash(const char *cookie, char hex[STORE_HASH_HEX])
{
	unsigned char hash[AUTH_TOKEN_HASH_BYTES];

	_Static_assert(AUTH_TOKEN_HASH_BYTES * 2 + 1 == STORE_HASH_HEX, "hash sizes");
	if (cookie == NULL || auth_token_hash(cookie, hash) != 0)
		return -1;
	sodium_bin2hex(hex, STORE_HASH_HEX, hash, sizeof(hash));
	return 0;
}

struct session_found {
	int found;
	struct principal p;
	char csrf[AUTH_TOKEN_SIZE];
};

static int keep_session(void *ctx, const struct store_session *x)
{
	struct session_found *f = ctx;

	f->found = strlen(x->csrf) < sizeof(f->csrf);
	snprintf(f->p.user, sizeof(f->p.user), "%s", x->user);
	snprintf(f->p.role, sizeof(f->p.role), "%s", x->role);
	snprintf(f->p.scopes, sizeof(f->p.scopes), "%s", x->scopes);
	snprintf(f->p.customer_id, sizeof(f->p.customer_id), "%s", x->customer_id);
	snprintf(f->csrf, sizeof(f->csrf), "%s", x->csrf);
	return 0;
}

/* A staff member's session: the cookie, and for anything but reading, the
 * CSRF token the sign-in gave (a form of another site cannot know it).
 * One read by the primary key: a sign-out on any node is seen at once. */
static int authorize_session(struct serve_thread *t, struct http_request *r,
			     const char *permission, struct http_answer *a)
{
	int reading = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	struct session_found f = { 0 };
	char hex[STORE_HASH_HEX];

	serve_state_sweep(t->store);
	if (session_hash(r->session, hex) == 0 &&
	    store_session_get(t->store, hex, (int64_t)time(NULL), keep_session, &f) != STORE_OK) {
		http_answer_problem(a, 503, "Service Unavailable", "the database did not answer");
		return 503;
	}
	if (!f.found) {
		http_answer_problem(a, 401, "Unauthorized", "the session is unknown or expired: "
				    "sign in again");
		return 401;
	}
	t->who = f.p;
	if (!reading && (r->csrf == NULL || strlen(r->csrf) != strlen(f.csrf) ||
			 !auth_equal(r->csrf, f.csrf, strlen(f.csrf)))) {
		memset(&t->who, 0, sizeof(t->who));
		http_answer_problem(a, 403, "Forbidden", "the X-CSRF-Token header is missing or "
				    "wrong");
		return 403;
	}
	/* The portal is the signed-in customer's alone: no staff role reaches
	 * it, whatever its scopes (an administrator's "admin" included). */
	if ((strcmp(permission, "portal") == 0 && strcmp(t->who.role, "customer") != 0) ||
	    (strcmp(permission, "any") != 0 && !auth_scopes_allow(t->who.scopes, permission))) {
		http_answer_problem(a, 403, "Forbidden", "a %s may not %s", t->who.role, permission);
		memset(&t->who, 0, sizeof(t->who));
		return 403;
	}
	r->principal_name = t->who.user;
	return 0;
}

int serve_authorize(void *ctx, struct http_request *r, const char *permission,
		    struct http_answer *a)
{
	struct app *app = ctx;
	struct serve_thread *t = serve_thread(app);
	struct token_found f = { 0 };
	unsigned char hash[32];
	int rc;

	if (t == NULL) {
		http_answer_problem(a, 503, "Service Unavailable", "the database did not answer");
		return 503;
	}
	memset(&t->who, 0, sizeof(t->who));
	t->cmd.now = serve_now(app);
	r->principal = &t->who;
	if (permission == NULL)
		return 0;
	if (r->authorization == NULL && r->session != NULL)
		return authorize_session(t, r, permission, a);
	if (r->authorization == NULL || strncmp(r->authorization, "Bearer ", 7) != 0 ||
	    r->authorization[7] == '\0') {
		http_answer_problem(a, 401, "Unauthorized", "this resource needs a bearer token or "
				    "a session");
		return 401;
	}
	if (auth_token_hash(r->authorization + 7, hash) != 0) {
		http_answer_problem(a, 401, "Unauthorized", "the token is unknown, revoked, or its "
				    "user disabled");
		return 401;
	}
	if (!token_cached(hash, &f)) {
		if ((rc = store_token_find(t->store, hash, keep_token, &f)) != STORE_OK) {
			http_answer_problem(a, 503, "Service Unavailable", "the database did not answer");
			return 503;
		}
		token_remember(hash, &f);
	}
	if (!f.found || f.revoked_at != 0 || f.disabled_at != 0) {
		http_answer_problem(a, 401, "Unauthorized", "the token is unknown, revoked, or its "
				    "user disabled");
		return 401;
	}
	/* No token opens the portal, not even an admin's: only a customer's
	 * own session does. */
	if (strcmp(permission, "portal") == 0 ||
	    (strcmp(permission, "any") != 0 && !auth_scopes_allow(f.p.scopes, permission))) {
		http_answer_problem(a, 403, "Forbidden", "this token may not %s", permission);
		return 403;
	}
	t->who = f.p;
	r->principal_name = t->who.user;
	return 0;
}

int serve_may_see_customer(const struct principal *who, const char *customer_id)
{
	return strcmp(who->role, "customer") != 0 || strcmp(who->customer_id, customer_id) == 0;
}

/* ---- sessions ---------------------------------------------------------------------------------- */

struct found_user {
	int found;
	char kind[16], role[32], hash[AUTH_HASH_STRBYTES];
	int64_t disabled_at;
};

static int keep_user(void *ctx, const struct user_view *u)
{
	struct found_user *f = ctx;

	f->found = 1;
	snprintf(f->kind, sizeof(f->kind), "%s", u->kind);
	snprintf(f->role, sizeof(f->role), "%s", u->role);
	snprintf(f->hash, sizeof(f->hash), "%s", u->password_hash);
	f->disabled_at = u->disabled_at;
	return 0;
}

int serve_attempt_allowed(struct store *s, const char *name, int *retry_after)
{
	int64_t now = (int64_t)time(NULL), since = 0;
	int failures = 0;

	/* A database that does not answer lets the attempt through: what
	 * follows needs it too, and fails. */
	if (store_attempt_get(s, name, now, LOGIN_WINDOW, &failures, &since) != STORE_OK)
		failures = 0;
	if (failures < LOGIN_FAILURES) {
		*retry_after = 0;
		return 1;
	}
	*retry_after = (int)(since + LOGIN_WINDOW - now);
	if (*retry_after < 1)
		*retry_after = 1;
	return 0;
}

void serve_attempt_result(struct store *s, const char *name, int ok)
{
	int rc = ok ? store_attempt_clear(s, name)
		    : store_attempt_failed(s, name, (int64_t)time(NULL), LOGIN_WINDOW);

	if (rc != STORE_OK)
		fprintf(stderr, "relance serve: a sign-in attempt was not recorded: %s\n",
			store_errmsg(s));
}

int serve_session_open(struct store *s, const struct principal *p, struct http_answer *a)
{
	char token[AUTH_TOKEN_SIZE], csrf[AUTH_TOKEN_SIZE], hex[STORE_HASH_HEX];
	int64_t now = (int64_t)time(NULL);
	struct dynbuf b = { .max = 4096 };
	struct store_session x = {
		.csrf = csrf, .user = p->user, .role = p->role, .scopes = p->scopes,
		.customer_id = p->customer_id, .created_at = now, .expires_at = now + SESSION_SECONDS,
	};

	if (auth_token_new(token, sizeof(token)) != AUTH_OK ||
	    auth_token_new(csrf, sizeof(csrf)) != AUTH_OK || session_hash(token, hex) != 0)
		return -1;
	if (store_session_put(s, hex, &x) != STORE_OK) {
		fprintf(stderr, "relance serve: a session could not be opened: %s\n",
			store_errmsg(s));
		http_answer_problem(a, 503, "Service Unavailable", "the database did not answer");
		return 0;
	}
	snprintf(a->set_cookie, sizeof(a->set_cookie), "relance_session=%s; Path=/; HttpOnly; "
		 "Secure; SameSite=Strict; Max-Age=%d", token, SESSION_SECONDS);
	dynbuf_str(&b, "{\"user\":");
	dynbuf_json_str(&b, p->user);
	dynbuf_str(&b, ",\"role\":");
	dynbuf_json_str(&b, p->role);
	if (p->customer_id[0]) {
		dynbuf_str(&b, ",\"customer_id\":");
		dynbuf_json_str(&b, p->customer_id);
	}
	dynbuf_str(&b, ",\"csrf\":");
	dynbuf_json_str(&b, csrf);
	dynbuf_str(&b, "}");
	return serve_answer_json(a, 201, &b);
}

/* POST /api/v1/session {"user","password"}: a staff member signs in. */
static int sign_in(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct serve_thread *t = serve_thread(ctx);
	json_error_t jerr;
	json_t *o = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	const char *user, *pw, *key;
	json_t *v;
	struct found_user f = { 0 };
	struct principal p = { 0 };
	int retry, ok;

	if (o == NULL || !json_is_object(o)) {
		http_answer_problem(a, 400, "Bad Request", "the body is {\"user\": ..., "
				    "\"password\": ...}");
		json_decref(o);
		return 0;
	}
	json_object_foreach(o, key, v) {
		if ((strcmp(key, "user") != 0 && strcmp(key, "password") != 0) || !json_is_string(v)) {
			http_answer_problem(a, 400, "Bad Request", "the body is {\"user\": ..., "
					    "\"password\": ...}, two strings");
			json_decref(o);
			return 0;
		}
	}
	user = json_string_value(json_object_get(o, "user"));
	pw = json_string_value(json_object_get(o, "password"));
	if (user == NULL || pw == NULL || user[0] == '\0' || strlen(user) >= sizeof(p.user)) {
		http_answer_problem(a, 400, "Bad Request", "the body is {\"user\": ..., "
				    "\"password\": ...}, two strings");
		json_decref(o);
		return 0;
	}
	serve_state_sweep(t->store);
	if (!serve_attempt_allowed(t->store, user, &retry)) {
		a->retry_after = retry;
		http_answer_problem(a, 429, "Too Many Requests", "too many failed sign-ins for this "
				    "user: try again in %d seconds", retry);
		json_decref(o);
		return 0;
	}
	if (store_user_get(t->store, user, keep_user, &f) != STORE_OK)
		f.found = 0;
	/* One answer for every failure: it does not tell which part was wrong. */
	ok = f.found && strcmp(f.kind, "staff") == 0 && f.disabled_at == 0 &&
		auth_password_verify(f.hash, pw) == AUTH_OK;
	serve_attempt_result(t->store, user, ok);
	snprintf(p.user, sizeof(p.user), "%s", user);
	json_decref(o);
	if (!ok) {
		http_answer_problem(a, 401, "Unauthorized", "wrong user or password, or the user is "
				    "disabled");
		return 0;
	}
	snprintf(p.role, sizeof(p.role), "%s", f.role);
	for (size_t i = 0; i < sizeof(role_scopes) / sizeof(role_scopes[0]); i++)
		if (strcmp(role_scopes[i].role, f.role) == 0)
			snprintf(p.scopes, sizeof(p.scopes), "%s", role_scopes[i].scopes);
	return serve_session_open(t->store, &p, a);
}

/* GET /api/v1/session: who is asking. */
static int whoami(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct principal *who = r->principal;
	struct dynbuf b = { .max = 4096 };

	(void)ctx;
	dynbuf_str(&b, "{\"user\":");
	dynbuf_json_str(&b, who->user);
	dynbuf_str(&b, ",\"role\":");
	dynbuf_json_str(&b, who->role);
	dynbuf_str(&b, ",\"scopes\":");
	dynbuf_json_str(&b, who->scopes);
	if (who->customer_id[0]) {
		dynbuf_str(&b, ",\"customer_id\":");
		dynbuf_json_str(&b, who->customer_id);
	}
	dynbuf_str(&b, "}");
	return serve_answer_json(a, 200, &b);
}

/* DELETE /api/v1/session: signs out (a bearer token has nothing to end).
 * The row is deleted: every node refuses the cookie from then on. */
static int sign_out(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct serve_thread *t = serve_thread(ctx);
	char hex[STORE_HASH_HEX];

	if (r->session && !r->authorization && session_hash(r->session, hex) == 0 &&
	    store_session_delete(t->store, hex) != STORE_OK) {
		http_answer_problem(a, 503, "Service Unavailable", "the database did not answer");
		return 0;
	}
	snprintf(a->set_cookie, sizeof(a->set_cookie), "relance_session=; Path=/; HttpOnly; "
		 "Secure; SameSite=Strict; Max-Age=0");
	http_answer_json(a, 200, strdup("{\"signed_out\":true}"));
	return 0;
}

const struct http_route serve_auth_routes[] = {
	{ "POST", "/api/v1/session", NULL, sign_in },
	{ "GET", "/api/v1/session", "any", whoami },
	{ "DELETE", "/api/v1/session", "any", sign_out },
};
const size_t serve_auth_n_routes = sizeof(serve_auth_routes) / sizeof(serve_auth_routes[0]);
