/*
 * serve — what the parts of `relance serve` share. Each part owns its
 * routes and exports them as a table; serve.c joins the tables, runs the
 * server and the scheduler:
 *
 *   serve.c          the command: options, signals, cycles, /healthz, /readyz, /metrics
 *   serve_auth.c     who is asking: API tokens, staff sessions, sign-in and out
 *   serve_idem.c     Idempotency-Keys kept in the database, expired state swept
 *   serve_api.c      the API: positions, the customer file, ledger entries,
 *                    arrangements, policies
 *   serve_web.c      the static pages (web/): console, portal, dashboard
 *
 * Threads. A request is answered by one thread from start to end; several
 * requests may be answered at once by different threads. What a request
 * uses of its own is its thread's (struct serve_thread: a store connection,
 * a copy of the command context carrying the request's instant, who is
 * asking); what all requests of this process share (the token cache,
 * counters, the scheduler's flags) is behind a lock of its owner. What
 * every node must see (sessions, sign-in attempts, one-time codes,
 * Idempotency-Keys) is in the database (store.h "serve state").
 */
#ifndef RELANCE_SERVE_H
#define RELANCE_SERVE_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "../http/server.h"
#include "cmd.h"

struct account_facts;
struct dynbuf;
struct store;

/* Who is asking, once authorize let the request through. */
struct principal {
	char user[128];
	char role[32];           /* agent, supervisor, manager, administrator, api, customer */
	char scopes[512];        /* space-separated (auth.h) */
	char customer_id[128];   /* portal users: the only customer they may see */
};

struct app {
	const struct cmd_ctx *cmd;   /* the command line's: never written after start */
	struct http_server *http;
	const char *record;          /* --record FILE for the cycles, or NULL */
	const char *web;             /* --web DIR (console/, portal/, dashboard/, common/), or NULL */
	/* the scheduler (serve.c), under lock */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int cycle_soon, stopping;
	int cycle_every;             /* seconds; 0: only on demand */
	int cycle_at[48];            /* the operations file's cycles.at (minutes of the day) */
	size_t n_cycle_at;
	char cycle_zone[64];         /* ... in this time zone */
	int64_t next_cycle_at;       /* when the scheduler means to run one (0: on demand only) */
	int64_t cycle_started_at;    /* of the last cycle begun (0: none yet) */
	int cycle_running, cycle_status;   /* the last one's exit status (-1: killed) */
	uint64_t cycles, cycles_failed;
	uint64_t cycle_us_last, cycle_us_sum;
};

/* A thread's own: see "Threads" above. */
struct serve_thread {
	struct store *store;
	struct cmd_ctx cmd;          /* app->cmd's, now = the request's instant */
	struct principal who;
};

/*
 * The calling thread's, its store opened on first use (the reason on
 * stderr and NULL when it cannot be). authorize() calls it first for every
 * request and answers 503 when it fails, so handlers may rely on it.
 */
struct serve_thread *serve_thread(struct app *app);
/* Closes every thread's store (at exit, once the server stopped). */
void serve_threads_close(void);

/* The instant of a request: --now when given (tests), else the clock. */
int64_t serve_now(const struct app *app);

/* Asks the scheduler for a cycle within a second (a payment arrived). */
void serve_cycle_soon(struct app *app);

/* The route tables of the parts. */
extern const struct http_route serve_auth_routes[];
extern const size_t serve_auth_n_routes;
extern const struct http_route serve_api_routes[];
extern const size_t serve_api_n_routes;
extern const struct http_route serve_web_routes[];
extern const size_t serve_web_n_routes;
extern const struct http_route serve_queues_routes[];
extern const size_t serve_queues_n_routes;
extern const struct http_route serve_portal_routes[];
extern const size_t serve_portal_n_routes;
extern const struct http_route serve_dashboard_routes[];
extern const size_t serve_dashboard_n_routes;

/* serve_auth.c: the server's authorize callback (server.h). */
int serve_authorize(void *app, struct http_request *r, const char *permission,
		    struct http_answer *a);
/* Whether the principal may act for customer_id: staff and API clients
 * always (their scopes decided already), a portal user only for theirs. */
int serve_may_see_customer(const struct principal *who, const char *customer_id);
/*
 * Opens a session for p (its role's scopes in p->scopes), a row in the
 * database of store s: sets the cookie on `a` and answers 201
 * {"user","role",["customer_id",]"csrf"}; 503 when the database does not
 * answer. Returns 0, -1 when out of memory or randomness.
 */
int serve_session_open(struct store *s, const struct principal *p, struct http_answer *a);
/*
 * Failed attempts to prove who one is (a password, a one-time code) per
 * name, counted in the database (every node sees them): after 5 failures
 * within 15 minutes, 0 until the window ends (*retry_after seconds), else
 * 1. serve_attempt_result counts a failure, or clears them on success.
 */
int serve_attempt_allowed(struct store *s, const char *name, int *retry_after);
void serve_attempt_result(struct store *s, const char *name, int ok);
/*
 * serve_idem.c. serve_idem_start makes the database of each request's
 * thread the keeper of Idempotency-Keys (idem.h); call it before the
 * server starts. serve_state_sweep deletes the serve state that expired
 * (store_serve_sweep), at most once a minute for the process whoever
 * calls it: a cheap check otherwise.
 */
void serve_idem_start(struct app *app);
void serve_state_sweep(struct store *s);

/* ---- helpers for handlers (serve_api.c) ------------------------------------------------- */

/*
 * The account named by the route's first parameter, with its position at
 * the request's instant; answers 404 when unknown (or not the portal
 * user's), 500 when it cannot be read. Returns 0 when *f is filled (the
 * caller releases it with account_facts_release).
 */
int serve_account(struct app *app, struct http_request *r, struct account_facts *f,
		  struct http_answer *a);
/* Reads a whole-number query parameter within [lo, hi]; def when absent.
 * Answers 400 and returns -1 when it is not one. */
int serve_query_int(struct http_request *r, const char *name, int64_t lo, int64_t hi,
		    int64_t def, int64_t *out, struct http_answer *a);
/* Appends ,"name":"12.34" (a decimal string in major units). */
void serve_json_amount(struct dynbuf *b, const char *name, int64_t minor, int exponent);
/*
 * Answers the JSON text built in b with `status`, the answer taking b->p.
 * When building it failed (out of memory, over b's cap) frees b->p instead
 * and returns -1, for the handler to return: the server then answers 500.
 * Returns 0 otherwise. Either way b->p is no longer the caller's.
 */
int serve_answer_json(struct http_answer *a, int status, struct dynbuf *b);
/* Ends a page of a listing's array: ],"next":LAST} when there may be more
 * after it (LAST, the page's last id, is the cursor for ?after=), else
 * ],"next":null}. */
void serve_json_page_end(struct dynbuf *b, int more, int64_t last);
/*
 * The request's body as a JSON object whose members are all strings among
 * `allowed` (NULL-terminated); an empty body is an empty object when
 * empty_ok. Answers 400 and returns NULL when it is not one.
 */
json_t *serve_body_fields(struct http_request *r, const char *const *allowed, int empty_ok,
			  struct http_answer *a);

/*
 * Runs a command of the command line for a request, so that the API
 * refuses exactly what the command refuses (see serve_api.c).
 */
struct field_option {
	const char *field, *option;
	const char *const *values;    /* non-NULL: the value is one of these, given as --VALUE */
};
typedef int (*command_fn)(struct cmd_ctx *ctx, int argc, char **argv);
enum {
	RUN_CREATES = 1,        /* success is 201, not 200 */
	RUN_WITH_ROLE = 2,      /* --role: the asker's authority (plans) */
};
int serve_run_command(struct app *app, struct http_request *r, struct http_answer *a,
		      command_fn fn, const char *subject, const struct field_option *fields,
		      size_t n_fields, unsigned how);

#endif
