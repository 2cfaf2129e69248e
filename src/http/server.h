/*
 * server — the HTTP server under `relance serve` (libmicrohttpd): a route
 * table, request bodies read whole up to a cap, JSON answers and problem
 * documents (RFC 9457, application/problem+json) for every error.
 *
 * Routing. A route is a method and a path pattern whose segments are
 * literal or `{name}` (one segment, captured, percent-decoded); the first
 * route whose pattern matches is taken. A path that matches a pattern with
 * another method is 405 with Allow; none at all is 404. Requests run one
 * at a time on the server's own thread, so handlers may share one store
 * connection.
 *
 * Who is asking. Before the handler, the server calls the application's
 * `authorize` with the route's `permission` (NULL only for the few public
 * routes: health and readiness): it returns 0 to let the request through,
 * or a status (401, 403) with a problem document. No route runs without
 * that call.
 *
 * Ownership: the server owns requests and their strings for the duration
 * of a handler call; a handler's answer (http_answer_*) is copied.
 *
 * Logs: one JSON line per request on standard error: instant, method,
 * path, status, microseconds and the user authorize named. Never a header,
 * a query string or a body: tokens and personal data stay out of the logs
 * (paths hold ids only).
 */
#ifndef RELANCE_HTTP_SERVER_H
#define RELANCE_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_BODY (4u << 20)   /* larger bodies: 413 */
#define HTTP_MAX_PARAMS 4

struct http_request {
	const char *method;             /* "GET", "POST", ... */
	const char *path;               /* without the query string */
	const char *authorization;      /* the Authorization header, or NULL */
	const char *idempotency_key;    /* the Idempotency-Key header, or NULL */
	const char *content_type;       /* or NULL */
	const char *session;            /* the relance_session cookie, or NULL */
	const char *csrf;               /* the X-CSRF-Token header, or NULL */
	const char *body;               /* NUL-terminated; "" when none */
	size_t body_len;
	const char *params[HTTP_MAX_PARAMS]; /* the {name} segments, in order */
	size_t n_params;
	void *principal;                /* set by authorize for the handler */
	const char *principal_name;     /* set by authorize: who, for the log */
	const char *(*query)(const struct http_request *r, const char *name); /* or NULL */
	void *conn;                     /* the server's: for query() */
};

struct http_answer {
	int status;
	const char *content_type;
	char *body;                     /* malloc'ed; the server frees it */
	size_t len;
	char location[256];             /* "" or a Location header */
	char set_cookie[256];           /* "" or a Set-Cookie header */
	int retry_after;                /* > 0: a Retry-After header (seconds) */
};

typedef int (*http_handler)(void *app, struct http_request *r, struct http_answer *a);

struct http_route {
	const char *method;
	const char *pattern;            /* "/api/v1/accounts/{id}/position" */
	const char *permission;         /* a scope; NULL: public */
	http_handler handler;
};

/* Lets the request through (0) or refuses it (the answer filled, 401/403). */
typedef int (*http_authorize)(void *app, struct http_request *r, const char *permission,
			      struct http_answer *a);

struct http_server;

/*
 * Listens on addr:port (port 0: one the system chooses; *bound_port gets
 * it) with `threads` threads answering (1: one request at a time; more:
 * that many at once, each calling authorize and the handlers from its own
 * thread). Requests that change something (not GET or HEAD) carrying an
 * Idempotency-Key header are answered once per caller and key (idem.h).
 * Returns 0, or -1 with a reason in err.
 */
int http_server_start(const char *addr, int port, unsigned threads,
		      const struct http_route *routes, size_t n, http_authorize authorize, void *app,
		      struct http_server **out, int *bound_port, char *err, size_t errsize);
/* Stops accepting, finishes the request being handled, frees. */
void http_server_stop(struct http_server *s);

/* Fills `a` with a JSON body (taken: the server frees it). */
void http_answer_json(struct http_answer *a, int status, char *json);
/* Fills `a` with a problem document: {"type":"about:blank","title","status","detail"}. */
void http_answer_problem(struct http_answer *a, int status, const char *title,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Counters for /metrics, since the start. */
#define HTTP_LATENCY_BUCKETS 11
/* The upper bounds of the latency histogram's buckets, in microseconds
 * (the last bucket, +Inf, is `requests`). */
extern const uint64_t http_latency_bounds_us[HTTP_LATENCY_BUCKETS];
struct http_stats {
	uint64_t requests, by_class[6];  /* [2] = 2xx ... [5] = 5xx */
	uint64_t latency_us_sum;
	uint64_t latency_le[HTTP_LATENCY_BUCKETS];  /* answered within each bound (cumulative,
						     * as http_server_stats gives them) */
	uint64_t idempotent_replays;
};
void http_server_stats(const struct http_server *s, struct http_stats *out);

#endif
