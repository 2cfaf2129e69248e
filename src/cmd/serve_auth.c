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
 * Sessions, sign-in attempts and the token cache are this file's, shared
 * by every thread of the server under one lock; a restart signs everyone
 * out.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/auth.h"
#include "../core/dynbuf.h"
#include "../store/store.h"
#include "serve.h"

/* Staff sessions (docs/api.md "Sessions"): kept in this process; a
 * restart signs everyone out. */
#define SESSION_MAX 4096
#define SESSION_SECONDS (8 * 3600)
#define LOGIN_FAILURES 5      /* failed sign-ins of one user name ... */
#define LOGIN_WINDOW 900      /* ... within this many seconds: 429 until it ends */
#define LOGIN_NAMES 1024

struct session {
	int used;
	unsigned char hash[AUTH_TOKEN_HASH_BYTES];  /* of the cookie's value */
	char csrf[AUTH_TOKEN_SIZE];
	struct principal p;
	int64_t expires;
};

struct attempts {
	char user[128];
	int failures;
	int64_t since;
};

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

/* The state every thread shares, under lock. */
static struct {
	pthread_mutex_t lock;
	struct session sessions[SESSION_MAX];
	struct attempts attempts[LOGIN_NAMES];
	struct cached_token tokens[TOKEN_CACHE];   /* under tokens_lock, not lock */
	unsigned next_token;
} A = { .lock = PTHREAD_MUTEX_INITIALIZER };
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

/* The session of a cookie, or NULL. Under A.lock. */
static struct session *session_of(const char *cookie)
{
	unsigned char hash[AUTH_TOKEN_HASH_BYTES];
	int64_t now = (int64_t)time(NULL);

	if (auth_token_hash(cookie, hash) != 0)
		return NULL;
	for (size_t i = 0; i < SESSION_MAX; i++) {
		struct session *x = &A.sessions[i];

		if (x->used && x->expires <= now)
			memset(x, 0, sizeof(*x));   /* expired: gone */
		if (x->used && auth_equal(x->hash, hash, sizeof(hash)))
			return x;
	}
	return NULL;
}

/* A staff member's session: the cookie, and for anything but reading, the
 * CSRF token the sign-in gave (a form of another site cannot know it). */
static int authorize_session(struct serve_thread *t, struct http_request *r,
			     const char *permission, struct http_answer *a)
{
	int reading = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	struct session *x;
	char csrf[AUTH_TOKEN_SIZE];

	pthread_mutex_lock(&A.lock);
	if ((x = session_of(r->session)) != NULL) {
		t->who = x->p;
		memcpy(csrf, x->csrf, sizeof(csrf));
	}
	pthread_mutex_unlock(&A.lock);
	if (x == NULL) {
		http_answer_problem(a, 401, "Unauthorized", "the session is unknown or expired: "
				    "sign in again");
		return 401;
	}
	if (!reading && (r->csrf == NULL || strlen(r->csrf) != strlen(csrf) ||
			 !auth_equal(r->csrf, csrf, strlen(csrf)))) {
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

/* The attempts of a name, a slot taken when it has none. Under A.lock. */
static struct attempts *attempts_of(const char *name, int64_t now)
{
	struct attempts *oldest = &A.attempts[0];

	for (size_t i = 0; i < LOGIN_NAMES; i++) {
		struct attempts *t = &A.attempts[i];

		if (t->user[0] && strcmp(t->user, name) == 0)
			return t;
		if (t->since < oldest->since)
			oldest = t;
	}
	/* A name not seen lately takes the slot least recently started. */
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->user, sizeof(oldest->user), "%s", name);
	oldest->since = now;
	return oldest;
}

int serve_attempt_allowed(const char *name, int *retry_after)
{
	int64_t now = (int64_t)time(NULL);
	struct attempts *t;
	int allowed;

	pthread_mutex_lock(&A.lock);
	t = attempts_of(name, now);
	if (now - t->since >= LOGIN_WINDOW) {
		t->failures = 0;
		t->since = now;
	}
	allowed = t->failures < LOGIN_FAILURES;
	*retry_after = allowed ? 0 : (int)(t->since + LOGIN_WINDOW - now);
	pthread_mutex_unlock(&A.lock);
	return allowed;
}

void serve_attempt_result(const char *name, int ok)
{
	struct attempts *t;

	pthread_mutex_lock(&A.lock);
	t = attempts_of(name, (int64_t)time(NULL));
	t->failures = ok ? 0 : t->failures + 1;
	pthread_mutex_unlock(&A.lock);
}

int serve_session_open(const struct principal *p, struct http_answer *a)
{
	struct session *x = NULL;
	char token[AUTH_TOKEN_SIZE], csrf[AUTH_TOKEN_SIZE];
	unsigned char hash[AUTH_TOKEN_HASH_BYTES];
	int64_t now = (int64_t)time(NULL);
	struct dynbuf b = { .max = 4096 };

	if (auth_token_new(token, sizeof(token)) != AUTH_OK ||
	    auth_token_new(csrf, sizeof(csrf)) != AUTH_OK || auth_token_hash(token, hash) != AUTH_OK)
		return -1;
	pthread_mutex_lock(&A.lock);
	for (size_t i = 0; i < SESSION_MAX && x == NULL; i++)
		if (!A.sessions[i].used || A.sessions[i].expires <= now)
			x = &A.sessions[i];
	if (x != NULL) {
		memset(x, 0, sizeof(*x));
		x->used = 1;
		x->expires = now + SESSION_SECONDS;
		memcpy(x->hash, hash, sizeof(hash));
		memcpy(x->csrf, csrf, sizeof(csrf));
		x->p = *p;
	}
	pthread_mutex_unlock(&A.lock);
	if (x == NULL) {
		http_answer_problem(a, 503, "Service Unavailable", "too many sessions open");
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
	if (!serve_attempt_allowed(user, &retry)) {
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
	serve_attempt_result(user, ok);
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
	return serve_session_open(&p, a);
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

/* DELETE /api/v1/session: signs out (a bearer token has nothing to end). */
static int sign_out(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct session *x;

	(void)ctx;
	pthread_mutex_lock(&A.lock);
	x = r->session && !r->authorization ? session_of(r->session) : NULL;
	if (x != NULL)
		memset(x, 0, sizeof(*x));
	pthread_mutex_unlock(&A.lock);
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
