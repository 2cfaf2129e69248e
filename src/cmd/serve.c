/*
 * serve — `relance serve [--listen ADDR:PORT]`: the HTTP API
 * (docs/api.md, docs/openapi.yaml) over one store connection, until
 * SIGTERM or SIGINT, which let the request in hand finish.
 *
 * Who is asking: every /api/v1 route needs a bearer token (`relance token
 * add`) whose scopes include the route's permission (or "admin"); its
 * owner must not be disabled nor the token revoked. /healthz, /readyz and
 * /metrics answer anyone: they say nothing about customers.
 *
 * The instant: --now when given (tests), else the clock at each request.
 *
 * Cycles. A scheduler thread runs `relance run` (this very program, as a
 * child process with the same --db, --config and --now, and --record when
 * serve has one) every --cycle-every seconds, and within a second of new
 * payments arriving through the API, so that a payment restores a
 * suspended service in seconds, not at the next nightly cycle: the cycle
 * looks only at the accounts due, and a payment makes its account due. A
 * child process keeps the cycle's state and its database connection apart
 * from the server's. SIGTERM lets the running cycle finish (it drains:
 * nothing is left half-performed) before serve exits. Each cycle reads the
 * operations file afresh; SIGHUP makes serve check it at once and say so.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/auth.h"
#include "../core/caltime.h"
#include "../core/dynbuf.h"
#include "../core/money.h"
#include "../core/policy.h"
#include "../core/position.h"
#include "../http/body.h"
#include "../http/server.h"
#include "../store/store.h"
#include "cmd.h"
#include "cmdconfig.h"
#include "holds.h"
#include "out.h"

struct principal {
	char user[128];
	char role[32];
	char scopes[512];
};

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
		   "queues:read" },
	{ "supervisor", "positions:read file:read file:write arrangements:read arrangements:write "
			"queues:read policies:read" },
	{ "manager", "positions:read file:read arrangements:read queues:read policies:read" },
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

struct app {
	struct cmd_ctx *cmd;
	struct store *store;
	struct http_server *http;
	struct principal who;     /* of the request in hand (one at a time) */
	/* the scheduler (see the top of the file) */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int cycle_soon, stopping;
	int cycle_every;          /* seconds; 0: only on demand */
	const char *record;       /* --record FILE for the cycles, or NULL */
	const char *console;      /* --console DIR, or NULL */
	uint64_t cycles, cycles_failed;
	struct session sessions[SESSION_MAX];
	struct attempts attempts[LOGIN_NAMES];
	struct cached_token tokens[TOKEN_CACHE];
	unsigned next_token;
};

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
static int token_cached(struct app *app, const unsigned char *hash, struct token_found *f)
{
	int64_t now = (int64_t)time(NULL);

	for (size_t i = 0; i < TOKEN_CACHE; i++) {
		struct cached_token *c = &app->tokens[i];

		if (c->until > now && auth_equal(c->hash, hash, AUTH_TOKEN_HASH_BYTES)) {
			*f = c->found;
			return 1;
		}
	}
	return 0;
}

static void token_remember(struct app *app, const unsigned char *hash, const struct token_found *f)
{
	struct cached_token *c = &app->tokens[app->next_token++ % TOKEN_CACHE];

	memcpy(c->hash, hash, AUTH_TOKEN_HASH_BYTES);
	c->found = *f;
	c->until = (int64_t)time(NULL) + TOKEN_CACHE_SECONDS;
}

static struct session *session_of(struct app *app, const char *cookie)
{
	unsigned char hash[AUTH_TOKEN_HASH_BYTES];
	int64_t now = (int64_t)time(NULL);

	if (auth_token_hash(cookie, hash) != 0)
		return NULL;
	for (size_t i = 0; i < SESSION_MAX; i++) {
		struct session *x = &app->sessions[i];

		if (x->used && x->expires <= now)
			memset(x, 0, sizeof(*x));   /* expired: gone */
		if (x->used && auth_equal(x->hash, hash, sizeof(hash)))
			return x;
	}
	return NULL;
}

/* A staff member's session: the cookie, and for anything but reading, the
 * CSRF token the sign-in gave (a form of another site cannot know it). */
static int authorize_session(struct app *app, struct http_request *r, const char *permission,
			     struct http_answer *a)
{
	struct session *x = session_of(app, r->session);
	int reading = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;

	if (x == NULL) {
		http_answer_problem(a, 401, "Unauthorized", "the session is unknown or expired: "
				    "sign in again");
		return 401;
	}
	if (!reading && (r->csrf == NULL || strlen(r->csrf) != strlen(x->csrf) ||
			 !auth_equal(r->csrf, x->csrf, strlen(x->csrf)))) {
		http_answer_problem(a, 403, "Forbidden", "the X-CSRF-Token header is missing or "
				    "wrong");
		return 403;
	}
	if (strcmp(permission, "any") != 0 && !auth_scopes_allow(x->p.scopes, permission)) {
		http_answer_problem(a, 403, "Forbidden", "a %s may not %s", x->p.role, permission);
		return 403;
	}
	app->who = x->p;
	r->principal_name = app->who.user;
	return 0;
}

static int authorize(void *ctx, struct http_request *r, const char *permission,
		     struct http_answer *a)
{
	struct app *app = ctx;
	struct token_found f = { 0 };
	unsigned char hash[32];
	int rc;

	memset(&app->who, 0, sizeof(app->who));
	r->principal = &app->who;
	if (permission == NULL)
		return 0;
	if (r->authorization == NULL && r->session != NULL)
		return authorize_session(app, r, permission, a);
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
	if (!token_cached(app, hash, &f)) {
		if ((rc = store_token_find(app->store, hash, keep_token, &f)) != STORE_OK) {
			http_answer_problem(a, 503, "Service Unavailable", "the database did not answer");
			return 503;
		}
		token_remember(app, hash, &f);
	}
	if (!f.found || f.revoked_at != 0 || f.disabled_at != 0) {
		http_answer_problem(a, 401, "Unauthorized", "the token is unknown, revoked, or its "
				    "user disabled");
		return 401;
	}
	if (strcmp(permission, "any") != 0 && !auth_scopes_allow(f.p.scopes, permission)) {
		http_answer_problem(a, 403, "Forbidden", "this token may not %s", permission);
		return 403;
	}
	app->who = f.p;
	r->principal_name = app->who.user;
	return 0;
}

/* ---- handlers --------------------------------------------------------------------------- */

static int64_t now_of(const struct app *app)
{
	return app->cmd->now_given ? app->cmd->now : (int64_t)time(NULL);
}

static int healthz(void *ctx, struct http_request *r, struct http_answer *a)
{
	(void)ctx;
	(void)r;
	http_answer_json(a, 200, strdup("{\"status\":\"ok\"}"));
	return 0;
}

static int readyz(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;

	(void)r;
	if (store_check_schema(app->store) != STORE_OK)
		http_answer_problem(a, 503, "Service Unavailable", "the database is not ready: %s",
				    store_errmsg(app->store));
	else
		http_answer_json(a, 200, strdup("{\"status\":\"ready\"}"));
	return 0;
}

struct depth_ctx {
	struct dynbuf *b;
	int64_t now;
};

static int keep_depth(void *ctx, const struct outbox_depth_row *row)
{
	struct depth_ctx *d = ctx;
	char line[256];

	snprintf(line, sizeof(line), "relance_outbox_due{channel=\"%s\"} %lld\n"
		 "relance_outbox_oldest_due_seconds{channel=\"%s\"} %lld\n", row->channel,
		 (long long)row->due, row->channel,
		 (long long)(d->now > row->oldest_due_at ? d->now - row->oldest_due_at : 0));
	dynbuf_str(d->b, line);
	return 0;
}

static int metrics(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct http_stats st;
	struct dynbuf b = { .max = 1u << 16 };
	char line[160];

	(void)r;
	http_server_stats(app->http, &st);
	dynbuf_str(&b, "# HELP relance_http_requests_total HTTP requests answered, by status class.\n"
		   "# TYPE relance_http_requests_total counter\n");
	for (int k = 1; k <= 5; k++) {
		snprintf(line, sizeof(line), "relance_http_requests_total{class=\"%dxx\"} %llu\n", k,
			 (unsigned long long)st.by_class[k]);
		dynbuf_str(&b, line);
	}
	snprintf(line, sizeof(line), "# HELP relance_http_request_seconds_sum Time spent answering.\n"
		 "# TYPE relance_http_request_seconds_sum counter\n"
		 "relance_http_request_seconds_sum %.6f\n", (double)st.latency_us_sum / 1e6);
	dynbuf_str(&b, line);
	pthread_mutex_lock(&app->lock);
	snprintf(line, sizeof(line), "# HELP relance_cycles_total Collection cycles run by serve.\n"
		 "# TYPE relance_cycles_total counter\n"
		 "relance_cycles_total %llu\nrelance_cycles_failed_total %llu\n",
		 (unsigned long long)app->cycles, (unsigned long long)app->cycles_failed);
	pthread_mutex_unlock(&app->lock);
	dynbuf_str(&b, line);
	/* What waits: rows due and not yet performed, per channel, and how
	 * long the oldest has waited (a peer down shows here). */
	dynbuf_str(&b, "# HELP relance_outbox_due Outbox rows due and waiting, by channel.\n"
		   "# TYPE relance_outbox_due gauge\n"
		   "# HELP relance_outbox_oldest_due_seconds How long the oldest due row has waited.\n"
		   "# TYPE relance_outbox_oldest_due_seconds gauge\n");
	{
		struct depth_ctx d = { &b, now_of(app) };

		if (store_outbox_depth(app->store, d.now, keep_depth, &d) != STORE_OK) {
			free(b.p);
			http_answer_problem(a, 503, "Service Unavailable", "the outbox could not be read");
			return 0;
		}
	}
	if (b.failed) {
		free(b.p);
		return -1;
	}
	http_answer_json(a, 200, b.p);
	a->content_type = "text/plain; version=0.0.4";
	return 0;
}

/* The account named by the route, with its position at the request's
 * instant; 404 when unknown. Returns 0 when *f is filled. */
static int account_of(struct app *app, struct http_request *r, struct account_facts *f,
		      struct http_answer *a)
{
	app->cmd->now = now_of(app);
	if (account_facts_get(app->cmd, app->store, r->params[0], f) != 0) {
		http_answer_problem(a, 500, "Internal Server Error", "the position could not be read");
		return -1;
	}
	if (!f->found) {
		account_facts_release(f);
		http_answer_problem(a, 404, "Not Found", "no account %s", r->params[0]);
		return -1;
	}
	return 0;
}

static void json_amount(struct dynbuf *b, const char *name, int64_t minor, int exponent)
{
	char num[48];

	money_format(minor, exponent, num, sizeof(num));
	dynbuf_str(b, ",\"");
	dynbuf_str(b, name);
	dynbuf_str(b, "\":\"");
	dynbuf_str(b, num);
	dynbuf_str(b, "\"");
}

static int position(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct account_facts f;
	struct dynbuf b = { .max = 1u << 16 };
	char date[DATE_TEXT_LEN + 1], num[32];

	if (account_of(app, r, &f, a) != 0)
		return 0;
	dynbuf_str(&b, "{\"account_id\":");
	dynbuf_json_str(&b, f.account_id);
	dynbuf_str(&b, ",\"customer_id\":");
	dynbuf_json_str(&b, f.customer_id);
	dynbuf_str(&b, ",\"currency\":");
	dynbuf_json_str(&b, f.currency);
	json_amount(&b, "balance", f.pos.balance, f.exponent);
	json_amount(&b, "overdue", f.pos.overdue, f.exponent);
	dynbuf_str(&b, ",\"oldest_unpaid_due_on\":");
	if (f.pos.oldest_unpaid_due_on == POSITION_NO_DATE) {
		dynbuf_str(&b, "null");
	} else {
		date_format(f.pos.oldest_unpaid_due_on, date);
		dynbuf_json_str(&b, date);
	}
	snprintf(num, sizeof(num), ",\"days_past_due\":%d}", f.pos.days_past_due);
	dynbuf_str(&b, num);
	account_facts_release(&f);
	if (b.failed) {
		free(b.p);
		return -1;
	}
	http_answer_json(a, 200, b.p);
	return 0;
}

struct file_page {
	struct dynbuf b;
	int64_t after, limit, n, last;
	int more;
};

static int keep_entry(void *ctx, const struct file_entry_view *e)
{
	struct file_page *p = ctx;
	char when[INSTANT_TEXT_LEN + 1], num[48];

	if (e->seq <= p->after)
		return 0;
	if (p->n == p->limit) {
		p->more = 1;
		return STORE_STOP;
	}
	instant_format(e->at, when);
	snprintf(num, sizeof(num), "%s{\"seq\":%lld,\"at\":", p->n ? "," : "", (long long)e->seq);
	dynbuf_str(&p->b, num);
	dynbuf_json_str(&p->b, when);
	dynbuf_str(&p->b, ",\"account_id\":");
	dynbuf_json_str(&p->b, e->account_id);
	dynbuf_str(&p->b, ",\"kind\":");
	dynbuf_json_str(&p->b, e->kind);
	dynbuf_str(&p->b, ",\"author\":");
	dynbuf_json_str(&p->b, e->author);
	dynbuf_str(&p->b, ",\"body\":");
	dynbuf_json_str(&p->b, e->body);
	dynbuf_str(&p->b, "}");
	p->n++;
	p->last = e->seq;
	return 0;
}

/* Reads a whole-number query parameter within [lo, hi]; def when absent. */
static int query_int(struct http_request *r, const char *name, int64_t lo, int64_t hi,
		     int64_t def, int64_t *out, struct http_answer *a)
{
	const char *v = r->query ? r->query(r, name) : NULL;
	char *end = NULL;
	long long n;

	*out = def;
	if (v == NULL)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi) {
		http_answer_problem(a, 400, "Bad Request", "%s must be a whole number from %lld to %lld",
				    name, (long long)lo, (long long)hi);
		return -1;
	}
	*out = n;
	return 0;
}

/* The customer file of the account's customer, a page at a time: ?after=SEQ
 * (the cursor: the last seq of the previous page) and ?limit=N (1-1000). */
static int file(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct account_facts f;
	struct file_page p = { .b = { .max = 64u << 20 } };
	char num[64];
	int rc;

	if (query_int(r, "after", 0, INT64_MAX, 0, &p.after, a) != 0 ||
	    query_int(r, "limit", 1, 1000, 100, &p.limit, a) != 0)
		return 0;
	if (account_of(app, r, &f, a) != 0)
		return 0;
	dynbuf_str(&p.b, "{\"customer_id\":");
	dynbuf_json_str(&p.b, f.customer_id);
	dynbuf_str(&p.b, ",\"entries\":[");
	rc = store_file_scan(app->store, f.customer_id, keep_entry, &p);
	account_facts_release(&f);
	if (rc != STORE_OK && rc != STORE_STOP) {
		free(p.b.p);
		http_answer_problem(a, 500, "Internal Server Error", "the file could not be read");
		return 0;
	}
	if (p.more)
		snprintf(num, sizeof(num), "],\"next\":%lld}", (long long)p.last);
	else
		snprintf(num, sizeof(num), "],\"next\":null}");
	dynbuf_str(&p.b, num);
	if (p.b.failed) {
		free(p.b.p);
		return -1;
	}
	http_answer_json(a, 200, p.b.p);
	return 0;
}

/* POST a note on the customer file: {"text": "..."}; its author is the
 * token's user, never a name the body gives. */
static int add_note(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct principal *who = r->principal;
	struct account_facts f;
	json_error_t jerr;
	json_t *o = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr), *text;
	const char *key;
	json_t *v;
	int64_t seq = 0;
	int rc;
	char out[128];

	if (o == NULL) {
		http_answer_problem(a, 400, "Bad Request", "line %d, column %d: %s", jerr.line,
				    jerr.column, jerr.text);
		return 0;
	}
	if (!json_is_object(o)) {
		http_answer_problem(a, 400, "Bad Request", "the body must be a JSON object");
		json_decref(o);
		return 0;
	}
	json_object_foreach(o, key, v) {
		if (strcmp(key, "text") != 0) {
			http_answer_problem(a, 400, "Bad Request", "unknown field '%s' (a note has "
					    "\"text\" only)", key);
			json_decref(o);
			return 0;
		}
	}
	text = json_object_get(o, "text");
	if (!json_is_string(text) || json_string_length(text) == 0 ||
	    json_string_length(text) > 8000) {
		http_answer_problem(a, 400, "Bad Request", "\"text\" must be a string of 1 to 8000 "
				    "bytes");
		json_decref(o);
		return 0;
	}
	if (account_of(app, r, &f, a) != 0) {
		json_decref(o);
		return 0;
	}
	rc = store_begin(app->store);
	if (rc == STORE_OK)
		rc = store_file_append(app->store, f.customer_id, f.account_id, now_of(app), "note",
				       who->user, json_string_value(text), &seq);
	if (rc == STORE_OK)
		rc = store_commit(app->store);
	if (rc != STORE_OK)
		store_rollback(app->store);
	json_decref(o);
	if (rc != STORE_OK) {
		account_facts_release(&f);
		http_answer_problem(a, rc == STORE_ERR_INPUT ? 400 : 503, rc == STORE_ERR_INPUT ?
				    "Bad Request" : "Service Unavailable", "the note was not written");
		return 0;
	}
	snprintf(a->location, sizeof(a->location), "/api/v1/accounts/%s/file?after=%lld",
		 f.account_id, (long long)(seq - 1));
	snprintf(out, sizeof(out), "{\"seq\":%lld}", (long long)seq);
	account_facts_release(&f);
	http_answer_json(a, 201, strdup(out));
	return 0;
}

/* ---- cycles ------------------------------------------------------------------------------------ */

static void cycle_soon(struct app *app)
{
	pthread_mutex_lock(&app->lock);
	app->cycle_soon = 1;
	pthread_cond_signal(&app->wake);
	pthread_mutex_unlock(&app->lock);
}

/* Runs one `relance run` as a child and waits for it. */
static void run_cycle(struct app *app)
{
	extern char **environ;
	char now[INSTANT_TEXT_LEN + 1];
	const char *argv[16];
	size_t n = 0;
	pid_t pid;
	int st = 0;

	argv[n++] = app->cmd->prog;
	argv[n++] = "--db";
	argv[n++] = app->cmd->db_url;
	if (app->cmd->config) {
		argv[n++] = "--config";
		argv[n++] = app->cmd->config;
	}
	if (app->cmd->now_given) {
		instant_format(app->cmd->now, now);   /* fixed: --now */
		argv[n++] = "--now";
		argv[n++] = now;
	}
	argv[n++] = "run";
	argv[n++] = "--json";
	if (app->record) {
		argv[n++] = "--record";
		argv[n++] = app->record;
	}
	argv[n] = NULL;
	/* The report goes to serve's standard error, the log. */
	posix_spawn_file_actions_t fa;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, (char **)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "relance serve: a cycle could not start: %s\n", strerror(rc));
		app->cycles_failed++;
		return;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	app->cycles++;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		app->cycles_failed++;
		fprintf(stderr, "relance serve: a cycle failed (status %d)\n",
			WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
}

static void *scheduler(void *arg)
{
	struct app *app = arg;

	pthread_mutex_lock(&app->lock);
	while (!app->stopping) {
		struct timespec until;
		int rc = 0;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += app->cycle_every > 0 ? app->cycle_every : 3600;
		while (!app->cycle_soon && !app->stopping && rc == 0)
			rc = pthread_cond_timedwait(&app->wake, &app->lock, &until);
		if (app->stopping)
			break;
		if (!app->cycle_soon && app->cycle_every == 0)
			continue;
		if (app->cycle_soon) {
			/* Payments often come in bursts: gather them for a second. */
			pthread_mutex_unlock(&app->lock);
			nanosleep(&(struct timespec){ 1, 0 }, NULL);
			pthread_mutex_lock(&app->lock);
		}
		app->cycle_soon = 0;
		pthread_mutex_unlock(&app->lock);
		run_cycle(app);
		pthread_mutex_lock(&app->lock);
	}
	pthread_mutex_unlock(&app->lock);
	return NULL;
}

/* ---- ledger entries ------------------------------------------------------------------------ */

/*
 * The problem detail for an import refused: its "request:LINE: what" lines
 * renamed after the items they are about ("payments[0]: what": line 2 is
 * the first item, after the header).
 */
static void import_problem(struct http_answer *a, const char *what, const char *errors)
{
	struct dynbuf b = { .max = 1u << 16 };

	for (const char *line = errors; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		long long n;
		int used = 0;
		char head[64];

		if (sscanf(line, "request:%lld: %n", &n, &used) == 1 && used > 0) {
			snprintf(head, sizeof(head), "%s%s[%lld]: ", b.len ? "; " : "", what, n - 2);
			dynbuf_str(&b, head);
			dynbuf_add(&b, line + used, len - (size_t)used);
		}
		line += len + (nl != NULL);
	}
	http_answer_problem(a, 400, "Bad Request", "%s", b.p && !b.failed ? b.p :
			    "the entries were refused");
	free(b.p);
}

/*
 * POST /api/v1/payments: one payment or an array of them, with the CSV
 * import's columns as fields (payment_id, account_id, received_at, amount,
 * method, invoice_id), applied by the import itself: the same validation,
 * all or nothing, and a payment_id already in the ledger with the same
 * content is "unchanged", so a repeated request changes nothing. Amounts are
 * decimal strings: a JSON number is refused (no float on a money path).
 */
static int post_payments(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct import_result res = { 0 };
	char *errors = NULL, out[160], why[256];
	size_t errlen = 0;
	FILE *csv = NULL, *err = NULL;
	int fd = -1, status;

	if ((fd = memfd_create("payments", MFD_CLOEXEC)) < 0 || (csv = fdopen(dup(fd), "w")) == NULL) {
		http_answer_problem(a, 500, "Internal Server Error", "no room for the request");
		goto out;
	}
	if (body_payments_csv(r->body, r->body_len, csv, why, sizeof(why)) < 0) {
		http_answer_problem(a, 400, "Bad Request", "%s", why);
		goto out;
	}
	if (fclose(csv) != 0) {
		csv = NULL;
		http_answer_problem(a, 500, "Internal Server Error", "no room for the request");
		goto out;
	}
	csv = NULL;
	lseek(fd, 0, SEEK_SET);
	if ((err = open_memstream(&errors, &errlen)) == NULL) {
		http_answer_problem(a, 500, "Internal Server Error", "out of memory");
		goto out;
	}
	app->cmd->now = now_of(app);
	status = import_stream(app->cmd, app->store, "payments", "request", fd, err, &res);
	fclose(err);
	err = NULL;
	if (status == EXIT_USAGE) {
		import_problem(a, "payments", errors ? errors : "");
	} else if (status != 0) {
		http_answer_problem(a, 503, "Service Unavailable", "the payments were not stored");
	} else {
		snprintf(out, sizeof(out), "{\"payments\":%lld,\"new\":%lld,\"unchanged\":%lld}",
			 (long long)res.total, (long long)res.inserted, (long long)res.same);
		http_answer_json(a, res.inserted > 0 ? 201 : 200, strdup(out));
		/* A payment may settle a case: the next cycle, now, restores. */
		if (res.inserted > 0)
			cycle_soon(app);
	}
out:
	if (csv)
		fclose(csv);
	if (err)
		fclose(err);
	if (fd >= 0)
		close(fd);
	free(errors);
	free(res.touched);
	return 0;
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

static struct attempts *attempts_of(struct app *app, const char *user, int64_t now)
{
	struct attempts *oldest = &app->attempts[0];

	for (size_t i = 0; i < LOGIN_NAMES; i++) {
		struct attempts *t = &app->attempts[i];

		if (t->user[0] && strcmp(t->user, user) == 0)
			return t;
		if (t->since < oldest->since)
			oldest = t;
	}
	/* A name not seen lately takes the slot least recently started. */
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->user, sizeof(oldest->user), "%s", user);
	oldest->since = now;
	return oldest;
}

/* POST /api/v1/session {"user","password"}: a staff member signs in. */
static int sign_in(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	json_error_t jerr;
	json_t *o = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	const char *user, *pw, *key;
	json_t *v;
	struct found_user f = { 0 };
	struct attempts *t;
	struct session *x = NULL;
	char token[AUTH_TOKEN_SIZE];
	int64_t now = (int64_t)time(NULL);

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
	if (user == NULL || pw == NULL || user[0] == '\0' || strlen(user) >= sizeof(t->user)) {
		http_answer_problem(a, 400, "Bad Request", "the body is {\"user\": ..., "
				    "\"password\": ...}, two strings");
		json_decref(o);
		return 0;
	}
	t = attempts_of(app, user, now);
	if (now - t->since >= LOGIN_WINDOW) {
		t->failures = 0;
		t->since = now;
	}
	if (t->failures >= LOGIN_FAILURES) {
		a->retry_after = (int)(t->since + LOGIN_WINDOW - now);
		http_answer_problem(a, 429, "Too Many Requests", "too many failed sign-ins for this "
				    "user: try again in %d seconds", a->retry_after);
		json_decref(o);
		return 0;
	}
	if (store_user_get(app->store, user, keep_user, &f) != STORE_OK)
		f.found = 0;
	/* One answer for every failure: it does not tell which part was wrong. */
	if (!f.found || strcmp(f.kind, "staff") != 0 || f.disabled_at != 0 ||
	    auth_password_verify(f.hash, pw) != AUTH_OK) {
		t->failures++;
		json_decref(o);
		http_answer_problem(a, 401, "Unauthorized", "wrong user or password, or the user is "
				    "disabled");
		return 0;
	}
	t->failures = 0;
	for (size_t i = 0; i < SESSION_MAX && x == NULL; i++)
		if (!app->sessions[i].used || app->sessions[i].expires <= now)
			x = &app->sessions[i];
	if (x == NULL) {
		json_decref(o);
		http_answer_problem(a, 503, "Service Unavailable", "too many sessions open");
		return 0;
	}
	memset(x, 0, sizeof(*x));
	if (auth_token_new(token, sizeof(token)) != AUTH_OK ||
	    auth_token_new(x->csrf, sizeof(x->csrf)) != AUTH_OK ||
	    auth_token_hash(token, x->hash) != AUTH_OK) {
		memset(x, 0, sizeof(*x));
		json_decref(o);
		return -1;
	}
	x->used = 1;
	x->expires = now + SESSION_SECONDS;
	snprintf(x->p.user, sizeof(x->p.user), "%s", user);
	snprintf(x->p.role, sizeof(x->p.role), "%s", f.role);
	for (size_t i = 0; i < sizeof(role_scopes) / sizeof(role_scopes[0]); i++)
		if (strcmp(role_scopes[i].role, f.role) == 0)
			snprintf(x->p.scopes, sizeof(x->p.scopes), "%s", role_scopes[i].scopes);
	json_decref(o);
	snprintf(a->set_cookie, sizeof(a->set_cookie), "relance_session=%s; Path=/; HttpOnly; "
		 "Secure; SameSite=Strict; Max-Age=%d", token, SESSION_SECONDS);
	{
		struct dynbuf b = { .max = 4096 };

		dynbuf_str(&b, "{\"user\":");
		dynbuf_json_str(&b, x->p.user);
		dynbuf_str(&b, ",\"role\":");
		dynbuf_json_str(&b, x->p.role);
		dynbuf_str(&b, ",\"csrf\":");
		dynbuf_json_str(&b, x->csrf);
		dynbuf_str(&b, "}");
		if (b.failed) {
			free(b.p);
			memset(x, 0, sizeof(*x));
			return -1;
		}
		http_answer_json(a, 201, b.p);
	}
	return 0;
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
	dynbuf_str(&b, "}");
	if (b.failed) {
		free(b.p);
		return -1;
	}
	http_answer_json(a, 200, b.p);
	return 0;
}

/* DELETE /api/v1/session: signs out (a bearer token has nothing to end). */
static int sign_out(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct session *x = r->session && !r->authorization ? session_of(app, r->session) : NULL;

	if (x != NULL)
		memset(x, 0, sizeof(*x));
	snprintf(a->set_cookie, sizeof(a->set_cookie), "relance_session=; Path=/; HttpOnly; "
		 "Secure; SameSite=Strict; Max-Age=0");
	http_answer_json(a, 200, strdup("{\"signed_out\":true}"));
	return 0;
}

/* ---- arrangements ------------------------------------------------------------------------ */

struct arr_page {
	struct dynbuf b;
	int n;
};

static int keep_arrangement(void *ctx, const struct arrangement_view *v)
{
	struct arr_page *p = ctx;
	char num[64];

	snprintf(num, sizeof(num), "%s{\"id\":", p->n++ ? "," : "");
	dynbuf_str(&p->b, num);
	dynbuf_json_str(&p->b, v->arrangement_id);
	dynbuf_str(&p->b, ",\"kind\":");
	dynbuf_json_str(&p->b, v->kind);
	dynbuf_str(&p->b, ",\"state\":");
	dynbuf_json_str(&p->b, v->state);
	snprintf(num, sizeof(num), ",\"version\":%lld,\"terms\":", (long long)v->version);
	dynbuf_str(&p->b, num);
	/* Terms are the JSON object the store keeps (arrange.h), as they are. */
	dynbuf_str(&p->b, v->terms);
	dynbuf_str(&p->b, ",\"accounts\":[");
	for (size_t i = 0; i < v->n_accounts; i++) {
		if (i)
			dynbuf_str(&p->b, ",");
		dynbuf_json_str(&p->b, v->account_ids[i]);
	}
	dynbuf_str(&p->b, "]}");
	return 0;
}

/* Every arrangement of the account (?live=1: only live ones). */
static int arrangements(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct account_facts f;
	struct arr_page p = { .b = { .max = 16u << 20 } };
	int64_t live;
	int rc;

	if (query_int(r, "live", 0, 1, 0, &live, a) != 0 || account_of(app, r, &f, a) != 0)
		return 0;
	dynbuf_str(&p.b, "{\"account_id\":");
	dynbuf_json_str(&p.b, f.account_id);
	dynbuf_str(&p.b, ",\"arrangements\":[");
	rc = store_arrangements_of_account(app->store, f.account_key, (int)live, keep_arrangement, &p);
	account_facts_release(&f);
	dynbuf_str(&p.b, "]}");
	if (rc != STORE_OK || p.b.failed) {
		free(p.b.p);
		http_answer_problem(a, 500, "Internal Server Error", "the arrangements could not be read");
		return 0;
	}
	http_answer_json(a, 200, p.b.p);
	return 0;
}

/* ---- policies ------------------------------------------------------------------------------------ */

struct policy_page {
	struct dynbuf b;
	int n;
	int64_t want;           /* policy_get: the version asked for (0: any) */
	int found;
};

static int keep_policy_item(void *ctx, const struct stored_policy *p)
{
	struct policy_page *pg = ctx;
	char num[96], when[INSTANT_TEXT_LEN + 1];

	instant_format(p->loaded_at, when);
	snprintf(num, sizeof(num), "%s{\"version\":%lld,\"loaded_at\":\"%s\",\"source\":",
		 pg->n++ ? "," : "", (long long)p->version, when);
	dynbuf_str(&pg->b, num);
	dynbuf_json_str(&pg->b, p->source);
	snprintf(num, sizeof(num), ",\"bytes\":%zu}", p->body_len);
	dynbuf_str(&pg->b, num);
	return 0;
}

/* GET /api/v1/policies: every version, without their texts. */
static int policies(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct policy_page pg = { .b = { .max = 4u << 20 } };

	(void)r;
	dynbuf_str(&pg.b, "{\"policies\":[");
	if (store_policy_list(app->store, keep_policy_item, &pg) != STORE_OK) {
		free(pg.b.p);
		http_answer_problem(a, 503, "Service Unavailable", "the policies could not be read");
		return 0;
	}
	dynbuf_str(&pg.b, "]}");
	if (pg.b.failed) {
		free(pg.b.p);
		return -1;
	}
	http_answer_json(a, 200, pg.b.p);
	return 0;
}

static int keep_policy_text(void *ctx, const struct stored_policy *p)
{
	struct policy_page *pg = ctx;

	pg->found = 1;
	dynbuf_add(&pg->b, p->body, p->body_len);
	return 0;
}

/* GET /api/v1/policies/{version}: the text exactly as loaded (YAML). */
static int policy_text(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct policy_page pg = { .b = { .max = 8u << 20 } };
	char *end = NULL;
	long long v = strtoll(r->params[0], &end, 10);
	int rc;

	if (end == r->params[0] || *end != '\0' || v < 1) {
		http_answer_problem(a, 404, "Not Found", "no policy version %s", r->params[0]);
		return 0;
	}
	rc = store_policy_get(app->store, (int64_t)v, keep_policy_text, &pg);
	if (rc != STORE_OK || !pg.found || pg.b.failed) {
		free(pg.b.p);
		http_answer_problem(a, rc == STORE_ERR_INPUT ? 404 : 503, rc == STORE_ERR_INPUT ?
				    "Not Found" : "Service Unavailable", "no policy version %lld", v);
		return 0;
	}
	dynbuf_add(&pg.b, "", 1);   /* NUL-terminated, not counted */
	if (pg.b.failed) {
		free(pg.b.p);
		return -1;
	}
	http_answer_json(a, 200, pg.b.p);
	a->len = pg.b.len - 1;
	a->content_type = "application/yaml; charset=utf-8";
	return 0;
}

/*
 * POST /api/v1/policies with the YAML text as the body: checked as `relance
 * policy check` checks it (every problem as "policy:LINE:COLUMN: message",
 * nothing stored when there is any), then stored as the next version.
 */
static int load_policy(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct principal *who = r->principal;
	struct policy_diags d = { 0 };
	struct policy *p = NULL;
	struct dynbuf b = { .max = 1u << 16 };
	char name[200], out[96];
	int64_t version = 0;
	int rc;

	if (r->body_len == 0 || strlen(r->body) != r->body_len) {
		http_answer_problem(a, 400, "Bad Request", "the body is the policy's YAML text "
				    "(without NUL bytes)");
		return 0;
	}
	if (policy_parse("policy", r->body, r->body_len, &p, &d) != 0) {
		char line[64];

		for (size_t i = 0; i < d.n; i++) {
			snprintf(line, sizeof(line), "%spolicy:%d:%d: ", i ? "; " : "", d.v[i].line,
				 d.v[i].column);
			dynbuf_str(&b, line);
			dynbuf_str(&b, d.v[i].message);
		}
		policy_diags_release(&d);
		http_answer_problem(a, 400, "Bad Request", "%s", b.p && !b.failed ? b.p :
				    "the policy does not parse");
		free(b.p);
		return 0;
	}
	policy_diags_release(&d);
	policy_free(p);
	snprintf(name, sizeof(name), "api, by %s", who->user);
	rc = store_policy_put(app->store, name, r->body, now_of(app), &version);
	if (rc != STORE_OK) {
		http_answer_problem(a, 503, "Service Unavailable", "the policy was not stored");
		return 0;
	}
	snprintf(out, sizeof(out), "{\"version\":%lld}", (long long)version);
	snprintf(a->location, sizeof(a->location), "/api/v1/policies/%lld", (long long)version);
	http_answer_json(a, 201, strdup(out));
	return 0;
}

/* ---- the console's files ----------------------------------------------------------------------- */

/*
 * The agents' console is static files (console/: HTML, a JavaScript module,
 * CSS) served from --console DIR. Only a plain name of that folder is ever
 * opened: letters, digits, '-', '_' and one '.' before a known extension,
 * so no path can leave it. The files hold no data: everything comes from
 * the API, under the signed-in user's session.
 */
static const struct {
	const char *ext, *type;
} file_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
};

static int console_file(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	const char *name = r->n_params ? r->params[0] : "index.html", *type = NULL, *dot;
	char path[4200];
	FILE *f;
	long size;
	char *body;

	if (app->console == NULL) {
		http_answer_problem(a, 404, "Not Found", "no console is served (serve --console DIR)");
		return 0;
	}
	dot = strchr(name, '.');
	for (size_t i = 0; dot && i < sizeof(file_types) / sizeof(file_types[0]); i++)
		if (strcmp(dot, file_types[i].ext) == 0)
			type = file_types[i].type;
	if (type == NULL || dot == name || strlen(name) > 64 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != (size_t)(dot - name)) {
		http_answer_problem(a, 404, "Not Found", "no such file");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", app->console, name);
	if ((f = fopen(path, "rb")) == NULL) {
		http_answer_problem(a, 404, "Not Found", "no such file");
		return 0;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || size > (4L << 20) ||
	    fseek(f, 0, SEEK_SET) != 0 || (body = malloc((size_t)size + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	if (fread(body, 1, (size_t)size, f) != (size_t)size) {
		free(body);
		fclose(f);
		return -1;
	}
	fclose(f);
	free(a->body);
	a->status = 200;
	a->content_type = type;
	a->body = body;
	a->len = (size_t)size;
	return 0;
}

static int console_home(void *ctx, struct http_request *r, struct http_answer *a)
{
	(void)ctx;
	(void)r;
	snprintf(a->location, sizeof(a->location), "/console/");
	http_answer_json(a, 308, strdup("{}"));
	return 0;
}

/* ---- arrangements made through the API ------------------------------------------------------- */

/*
 * The arrangement commands (src/cmd/arrange.c) run as they are, so that
 * the API refuses exactly what the command line refuses: the body's fields
 * become the command's options, the author is the one asking, and the
 * command's answer (--json) and refusal come back through buffers
 * (cmd_out, cmd_err). A field of the body maps to one option; anything else
 * is refused before the command runs.
 */
struct field_option {
	const char *field, *option;
	const char *const *values;    /* non-NULL: the value is one of these, given as --VALUE */
};

typedef int (*command_fn)(struct cmd_ctx *ctx, int argc, char **argv);

/* How run_command runs a command: */
enum {
	RUN_CREATES = 1,        /* success is 201, not 200 */
	RUN_WITH_ROLE = 2,      /* --role: the asker's authority (plans) */
};

static int run_command(struct app *app, struct http_request *r, struct http_answer *a,
		       command_fn fn, const char *subject, const struct field_option *fields,
		       size_t n_fields, unsigned how)
{
	struct principal *who = r->principal;
	json_error_t jerr;
	json_t *o = r->body_len ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr) :
		json_object();
	const char *argv[40], *key;
	char *out = NULL, *err = NULL, role[16], flags[4][32];
	size_t outlen = 0, errlen = 0, n_flags = 0;
	int argc = 0, status;
	json_t *v;

	if (o == NULL || !json_is_object(o)) {
		http_answer_problem(a, 400, "Bad Request", o ? "the body must be a JSON object" :
				    "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		json_decref(o);
		return 0;
	}
	argv[argc++] = subject;
	json_object_foreach(o, key, v) {
		size_t k = 0;

		while (k < n_fields && strcmp(key, fields[k].field) != 0)
			k++;
		if (k == n_fields || !json_is_string(v) || argc + 2 >= 36) {
			http_answer_problem(a, 400, "Bad Request", k == n_fields ?
					    "unknown field '%.64s'" : "'%.64s' must be a string", key);
			json_decref(o);
			return 0;
		}
		if (fields[k].values != NULL) {
			/* A choice becomes the command's flag of that name. */
			size_t c = 0;

			while (fields[k].values[c] && strcmp(fields[k].values[c], json_string_value(v)))
				c++;
			if (fields[k].values[c] == NULL || n_flags == 4) {
				http_answer_problem(a, 400, "Bad Request", "'%s' may not be '%.64s'", key,
						    json_string_value(v));
				json_decref(o);
				return 0;
			}
			snprintf(flags[n_flags], sizeof(flags[0]), "--%s", fields[k].values[c]);
			argv[argc++] = flags[n_flags++];
		} else {
			argv[argc++] = fields[k].option;
			argv[argc++] = json_string_value(v);
		}
	}
	argv[argc++] = "--by";
	argv[argc++] = who->user;
	if (how & RUN_WITH_ROLE) {
		/* The role's own authority: a supervisor's, else an agent's. */
		snprintf(role, sizeof(role), "%s", strcmp(who->role, "supervisor") == 0 ||
			 strcmp(who->role, "administrator") == 0 ? "supervisor" : "agent");
		argv[argc++] = "--role";
		argv[argc++] = role;
	}
	argv[argc++] = "--json";
	argv[argc] = NULL;
	app->cmd->now = now_of(app);
	cmd_out = open_memstream(&out, &outlen);
	cmd_err = open_memstream(&err, &errlen);
	status = cmd_out && cmd_err ? fn(app->cmd, argc, (char **)argv) : EXIT_RUNTIME;
	if (cmd_out)
		fclose(cmd_out);
	if (cmd_err)
		fclose(cmd_err);
	cmd_out = cmd_err = NULL;
	json_decref(o);
	if (status == 0) {
		http_answer_json(a, how & RUN_CREATES ? 201 : 200, out);
		out = NULL;
	} else {
		/* "relance: reason\n": the reason is the detail. */
		const char *why = err && strncmp(err, "relance: ", 9) == 0 ? err + 9 : err ? err : "";
		size_t len = strcspn(why, "\n");

		if (status == EXIT_USAGE)
			http_answer_problem(a, strstr(why, "changed by someone else") ? 409 :
					    strncmp(why, "no ", 3) == 0 ? 404 : 400,
					    strstr(why, "changed by someone else") ? "Conflict" :
					    strncmp(why, "no ", 3) == 0 ? "Not Found" : "Bad Request",
					    "%.*s", (int)len, why);
		else
			http_answer_problem(a, 503, "Service Unavailable", "%.*s", (int)len, why);
	}
	free(out);
	free(err);
	return 0;
}

static int new_promise(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const struct field_option f[] = {
		{ "amount", "--amount", NULL }, { "date", "--date", NULL }, { "note", "--note", NULL },
	};

	return run_command(ctx, r, a, cmd_promise_add, r->params[0], f, 3, RUN_CREATES);
}

static int new_plan(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const struct field_option f[] = {
		{ "instalments", "--instalments", NULL }, { "amounts", "--amounts", NULL },
		{ "every_days", "--every-days", NULL }, { "day_of_month", "--day-of-month", NULL },
		{ "first", "--first", NULL }, { "down", "--down", NULL }, { "waive", "--waive", NULL },
		{ "note", "--note", NULL },
	};

	return run_command(ctx, r, a, cmd_plan_propose, r->params[0], f, 8,
			   RUN_CREATES | RUN_WITH_ROLE);
}

static int accept_plan(void *ctx, struct http_request *r, struct http_answer *a)
{
	return run_command(ctx, r, a, cmd_plan_accept, r->params[0], NULL, 0, 0);
}

static int new_dispute(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const struct field_option f[] = {
		{ "invoice", "--invoice", NULL }, { "amount", "--amount", NULL },
		{ "reason", "--reason", NULL },
	};

	return run_command(ctx, r, a, cmd_dispute_open, r->params[0], f, 3, RUN_CREATES);
}

/* {"outcome": "upheld" | "rejected", "note": ...} */
static int resolve_dispute(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const char *const outcomes[] = { "upheld", "rejected", NULL };
	static const struct field_option f[] = {
		{ "outcome", NULL, outcomes }, { "note", "--note", NULL },
	};

	return run_command(ctx, r, a, cmd_dispute_resolve, r->params[0], f, 2, 0);
}

static int recall(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const struct field_option f[] = { { "note", "--note", NULL } };

	return run_command(ctx, r, a, cmd_handoff_recall, r->params[0], f, 1, 0);
}

static const struct http_route routes[] = {
	{ "GET", "/healthz", NULL, healthz },
	{ "GET", "/readyz", NULL, readyz },
	{ "GET", "/metrics", NULL, metrics },
	{ "GET", "/api/v1/accounts/{id}/position", "positions:read", position },
	{ "GET", "/api/v1/accounts/{id}/file", "file:read", file },
	{ "POST", "/api/v1/accounts/{id}/notes", "file:write", add_note },
	{ "POST", "/api/v1/payments", "ledger:write", post_payments },
	{ "GET", "/api/v1/accounts/{id}/arrangements", "arrangements:read", arrangements },
	{ "POST", "/api/v1/session", NULL, sign_in },
	{ "GET", "/api/v1/session", "any", whoami },
	{ "DELETE", "/api/v1/session", "any", sign_out },
	{ "POST", "/api/v1/accounts/{id}/promises", "arrangements:write", new_promise },
	{ "POST", "/api/v1/accounts/{id}/plans", "arrangements:write", new_plan },
	{ "POST", "/api/v1/plans/{id}/accept", "arrangements:write", accept_plan },
	{ "POST", "/api/v1/accounts/{id}/disputes", "arrangements:write", new_dispute },
	{ "POST", "/api/v1/disputes/{id}/resolve", "arrangements:write", resolve_dispute },
	{ "POST", "/api/v1/accounts/{id}/handoff/recall", "arrangements:write", recall },
	{ "GET", "/api/v1/policies", "policies:read", policies },
	{ "GET", "/api/v1/policies/{version}", "policies:read", policy_text },
	{ "POST", "/api/v1/policies", "policies:write", load_policy },
	{ "GET", "/console", NULL, console_home },
	{ "GET", "/console/", NULL, console_file },
	{ "GET", "/console/{file}", NULL, console_file },
};

/* ---- the command --------------------------------------------------------------------------- */

int cmd_serve(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] =
		"relance serve [--listen ADDR:PORT] [--cycle-every SECONDS] [--record FILE] "
		"[--console DIR]";
	const char *listen = "127.0.0.1:8080", *every = "300";
	static struct app app;
	char addr[64], err[256], *end = NULL;
	int port = 0, bound = 0, status, sig;
	long every_s;
	pthread_t sched;
	sigset_t set;

	memset(&app, 0, sizeof(app));
	app.cmd = ctx;
	/* The route table as it is, for the test that holds docs/api.md to it. */
	if (argc == 1 && strcmp(argv[0], "--routes") == 0) {
		for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
			printf("%s %s %s\n", routes[i].method, routes[i].pattern,
			       routes[i].permission ? routes[i].permission : "-");
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		int r = cmd_option(argc, argv, &i, "--listen", &listen);

		if (r == 0)
			r = cmd_option(argc, argv, &i, "--cycle-every", &every);
		if (r == 0)
			r = cmd_option(argc, argv, &i, "--record", &app.record);
		if (r == 0)
			r = cmd_option(argc, argv, &i, "--console", &app.console);
		if (r < 0)
			return cmd_fail(EXIT_USAGE, "%s needs a value", argv[i]);
		if (r == 0)
			return cmd_fail(EXIT_USAGE, "usage: %s", usage);
	}
	every_s = strtol(every, &end, 10);
	if (end == every || *end != '\0' || every_s < 0 || every_s > 86400)
		return cmd_fail(EXIT_USAGE, "--cycle-every '%s' is not 0 to 86400 seconds", every);
	app.cycle_every = (int)every_s;
	{
		const char *colon = strrchr(listen, ':');
		char *pend = NULL;
		long p = colon ? strtol(colon + 1, &pend, 10) : -1;

		if (colon == NULL || colon == listen || (size_t)(colon - listen) >= sizeof(addr) ||
		    pend == colon + 1 || *pend != '\0' || p < 0 || p > 65535)
			return cmd_fail(EXIT_USAGE, "--listen '%s' is not ADDR:PORT", listen);
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - listen), listen);
		port = (int)p;
	}
	auth_init();
	if ((status = cmd_open_store(ctx, &app.store)) != 0)
		return status;
	/* Signals are waited for here, not handled: block them before the
	 * server's thread starts so that it inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (http_server_start(addr, port, routes, sizeof(routes) / sizeof(routes[0]), authorize, &app,
			      &app.http, &bound, err, sizeof(err)) != 0) {
		store_close(app.store);
		return cmd_fail(EXIT_RUNTIME, "%s", err);
	}
	pthread_mutex_init(&app.lock, NULL);
	pthread_cond_init(&app.wake, NULL);
	if (pthread_create(&sched, NULL, scheduler, &app) != 0) {
		http_server_stop(app.http);
		store_close(app.store);
		return cmd_fail(EXIT_RUNTIME, "the scheduler could not start");
	}
	printf("relance serve: listening on http://%s:%d\n", addr, bound);
	fflush(stdout);
	/* SIGHUP: the operations file is read again by every cycle; serve
	 * checks it now and says so, so that a mistake is seen at once. */
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
		struct config cfg;

		int bad = cmd_config_load(ctx, &cfg) != 0;

		if (!bad && cfg.path != NULL)
			fprintf(stderr, "relance serve: SIGHUP: %s is valid; the next cycle uses it\n",
				cfg.path);
		else if (!bad)
			fprintf(stderr, "relance serve: SIGHUP: no operations file: every channel "
				"records\n");
		else
			fprintf(stderr, "relance serve: SIGHUP: the operations file has problems "
				"(above); cycles will fail until it is mended\n");
		config_release(&cfg);
	}
	http_server_stop(app.http);
	pthread_mutex_lock(&app.lock);
	app.stopping = 1;
	pthread_cond_signal(&app.wake);
	pthread_mutex_unlock(&app.lock);
	pthread_join(sched, NULL);   /* a cycle under way finishes first */
	store_close(app.store);
	fprintf(stderr, "relance serve: stopped (%s)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	return 0;
}
