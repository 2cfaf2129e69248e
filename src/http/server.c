/*
 * server — routes, bodies and answers over libmicrohttpd (server.h).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/caltime.h"
#include "../core/dynbuf.h"
#include "idem.h"
#include "server.h"

const uint64_t http_latency_bounds_us[HTTP_LATENCY_BUCKETS] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 250000, 1000000, 5000000,
};

/* Keys remembered for Idempotency-Key, and for how long (idem.h). */
#define IDEM_KEYS 65536
#define IDEM_SECONDS (24 * 3600)

struct http_server {
	struct MHD_Daemon *d;
	const struct http_route *routes;
	size_t n_routes;
	http_authorize authorize;
	void *app;
	struct http_stats stats;    /* updated with atomic additions */
	struct idem *idem;
	pthread_mutex_t log_lock;   /* held while a thread's lines are written out */
};

/*
 * The request log. Each answering thread gathers its own lines and writes
 * them out, whole, at most once a second and when it ends: a write per
 * request would cost more than the request, and one buffer for all threads
 * would make them wait for each other. The lines of two threads never mix
 * (log_lock), though a line may follow one of a later second by another
 * thread: each carries its instant.
 */
struct thread_log {
	struct http_server *s;
	struct dynbuf b;
	time_t flushed;
};
static __thread struct thread_log *thread_log;
static pthread_key_t thread_log_key;
static pthread_once_t thread_log_once = PTHREAD_ONCE_INIT;

static void count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static void log_flush(struct thread_log *t, time_t now)
{
	const char *p = t->b.p;
	size_t left = t->b.failed ? 0 : t->b.len;

	pthread_mutex_lock(&t->s->log_lock);
	while (left > 0) {
		ssize_t n = write(2, p, left);

		if (n <= 0)
			break;      /* a log that cannot be written is not the request's failure */
		p += n;
		left -= (size_t)n;
	}
	pthread_mutex_unlock(&t->s->log_lock);
	t->b.len = 0;
	t->b.failed = 0;
	t->flushed = now;
}

/* A thread that ends writes out what it gathered (the server stops its
 * threads before it frees itself). */
static void thread_log_end(void *arg)
{
	struct thread_log *t = arg;

	log_flush(t, time(NULL));
	free(t->b.p);
	free(t);
	thread_log = NULL;
}

static void thread_log_key_make(void)
{
	pthread_key_create(&thread_log_key, thread_log_end);
}

/* The calling thread's log, made on its first request; NULL without memory. */
static struct thread_log *thread_log_of(struct http_server *s)
{
	if (thread_log == NULL && (thread_log = calloc(1, sizeof(*thread_log))) != NULL) {
		thread_log->s = s;
		thread_log->b.max = 1u << 20;
		pthread_once(&thread_log_once, thread_log_key_make);
		pthread_setspecific(thread_log_key, thread_log);
	}
	return thread_log;
}

/* One request between libmicrohttpd's calls. */
struct pending {
	struct dynbuf body;
	int too_large;
	struct timespec started;
};

static uint64_t since_us(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - t->tv_sec) * 1000000u + (uint64_t)(now.tv_nsec - t->tv_nsec) / 1000;
}

void http_answer_json(struct http_answer *a, int status, char *json)
{
	free(a->body);
	a->status = status;
	a->content_type = "application/json";
	a->body = json;
	a->len = json ? strlen(json) : 0;
}

void http_answer_problem(struct http_answer *a, int status, const char *title, const char *fmt, ...)
{
	struct dynbuf b = { .max = 1u << 16 };
	char detail[1024], num[16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(num, sizeof(num), "%d", status);
	dynbuf_str(&b, "{\"type\":\"about:blank\",\"title\":");
	dynbuf_json_str(&b, title);
	dynbuf_str(&b, ",\"status\":");
	dynbuf_str(&b, num);
	dynbuf_str(&b, ",\"detail\":");
	dynbuf_json_str(&b, detail);
	dynbuf_str(&b, "}");
	free(a->body);
	a->status = status;
	a->content_type = "application/problem+json";
	a->body = b.failed ? NULL : b.p;
	a->len = b.failed ? 0 : b.len;
	if (b.failed)
		free(b.p);
}

/* Whether `path` matches `pattern`; captures {name} segments into r. */
static int match(const char *pattern, const char *path, struct http_request *r, char *scratch,
		 size_t size)
{
	size_t used = 0;

	r->n_params = 0;
	while (*pattern && *path) {
		if (*pattern != '/' || *path != '/')
			return 0;
		pattern++;
		path++;
		if (*pattern == '{') {
			const char *end = strchr(pattern, '}');
			size_t len = strcspn(path, "/");

			if (end == NULL || len == 0 || r->n_params == HTTP_MAX_PARAMS ||
			    used + len + 1 > size)
				return 0;
			memcpy(scratch + used, path, len);
			scratch[used + len] = '\0';
			r->params[r->n_params++] = scratch + used;
			used += len + 1;
			pattern = end + 1;
			path += len;
		} else {
			size_t len = strcspn(pattern, "/"), plen = strcspn(path, "/");

			if (len != plen || memcmp(pattern, path, len) != 0)
				return 0;
			pattern += len;
			path += len;
		}
	}
	return *pattern == '\0' && *path == '\0';
}

static const char *query_of(const struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Runs a route for a request with an Idempotency-Key (idem.h): once per
 * caller and key, the first answer replayed to repeats. */
static void answer_once(struct http_server *s, const struct http_route *rt,
			struct http_request *r, struct http_answer *a)
{
	const char *caller = r->principal_name ? r->principal_name : "";
	size_t len = strlen(r->idempotency_key);

	if (len == 0 || len > IDEM_KEY_MAX ||
	    strspn(r->idempotency_key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789-_.:") != len) {
		http_answer_problem(a, 400, "Bad Request", "Idempotency-Key must be 1 to %d letters, "
				    "digits, '-', '_', '.' or ':'", IDEM_KEY_MAX);
		return;
	}
	switch (idem_begin(s->idem, caller, r, a)) {
	case IDEM_REPLAY:
		count(&s->stats.idempotent_replays, 1);
		return;
	case IDEM_MISMATCH:
		http_answer_problem(a, 422, "Unprocessable Content", "this Idempotency-Key was used "
				    "for another request: use a new key for a new request");
		return;
	case IDEM_BUSY:
		a->retry_after = 1;
		http_answer_problem(a, 409, "Conflict", "a request with this Idempotency-Key is "
				    "still being answered: retry");
		return;
	case IDEM_FIRST:
		break;
	}
	if (rt->handler(s->app, r, a) != 0 && a->status == 0)
		http_answer_problem(a, 500, "Internal Server Error", "the request failed");
	idem_end(s->idem, caller, r, a);
}

/* Finds the route and runs it, with the authorization first. */
static void dispatch(struct http_server *s, struct http_request *r, struct http_answer *a)
{
	char scratch[2048], allow[128] = "";
	int path_known = 0;

	for (size_t i = 0; i < s->n_routes; i++) {
		const struct http_route *rt = &s->routes[i];

		if (!match(rt->pattern, r->path, r, scratch, sizeof(scratch)))
			continue;
		if (strcmp(rt->method, r->method) != 0) {
			size_t len = strlen(allow);

			path_known = 1;
			snprintf(allow + len, sizeof(allow) - len, "%s%s", len ? ", " : "", rt->method);
			continue;
		}
		/* Every route asks: the public ones say so by a NULL permission. */
		if (s->authorize(s->app, r, rt->permission, a) != 0)
			return;
		if (r->idempotency_key != NULL && strcmp(r->method, "GET") != 0 &&
		    strcmp(r->method, "HEAD") != 0) {
			answer_once(s, rt, r, a);
			return;
		}
		if (rt->handler(s->app, r, a) != 0 && a->status == 0)
			http_answer_problem(a, 500, "Internal Server Error", "the request failed");
		return;
	}
	if (path_known)
		http_answer_problem(a, 405, "Method Not Allowed", "%s is not allowed here; allowed: %s",
				    r->method, allow);
	else
		http_answer_problem(a, 404, "Not Found", "no such resource");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	struct http_server *s = cls;
	struct pending *p = *state;
	struct http_request r;
	struct http_answer a = { 0 };
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)version;
	if (p == NULL) {
		/* The first call only sets up: answering now would lose the
		 * body and keep-alive. */
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return MHD_NO;
		p->body.max = HTTP_MAX_BODY;
		clock_gettime(CLOCK_MONOTONIC, &p->started);
		*state = p;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!p->too_large) {
			dynbuf_add(&p->body, upload, *upload_size);
			p->too_large = p->body.failed;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&r, 0, sizeof(r));
	r.method = method;
	r.path = url;
	r.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	r.idempotency_key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
	r.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	r.session = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "relance_session");
	r.csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	r.body = p->body.p ? p->body.p : "";
	r.body_len = p->body.len;
	r.query = query_of;
	r.conn = c;
	if (p->too_large) {
		http_answer_problem(&a, 413, "Content Too Large", "a request body is at most %u bytes",
				    HTTP_MAX_BODY);
	} else {
		dynbuf_add(&p->body, "", 1);   /* NUL-terminated for parsers */
		r.body = p->body.p ? p->body.p : "";
		dispatch(s, &r, &a);
	}
	if (a.status == 0)
		http_answer_problem(&a, 500, "Internal Server Error", "no answer");
	resp = MHD_create_response_from_buffer(a.len, a.body ? a.body : (char *)"",
					       a.body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(a.body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				a.content_type ? a.content_type : "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* The console's pages load only what relance serves, and no one may
	 * frame them. */
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
				"form-action 'self'");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (a.location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, a.location);
	if (a.set_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, a.set_cookie);
	if (a.retry_after > 0) {
		char secs[16];

		snprintf(secs, sizeof(secs), "%d", a.retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	ret = MHD_queue_response(c, (unsigned)a.status, resp);
	MHD_destroy_response(resp);
	{
		uint64_t us = since_us(&p->started);
		char when[32];
		time_t now = time(NULL);

		count(&s->stats.requests, 1);
		if (a.status >= 100 && a.status < 600)
			count(&s->stats.by_class[a.status / 100], 1);
		count(&s->stats.latency_us_sum, us);
		/* One bucket per request, the first whose bound holds it;
		 * http_server_stats makes the counts cumulative when asked. */
		for (size_t k = 0; k < HTTP_LATENCY_BUCKETS; k++)
			if (us <= http_latency_bounds_us[k]) {
				count(&s->stats.latency_le[k], 1);
				break;
			}
		/* One JSON line per request: method, path (ids, never a query
		 * string, a header or a body), status, time, who. */
		/* Not strftime: it calls tzset, which takes a process-wide lock
		 * and stats /etc/localtime on every call. */
		instant_format((int64_t)now, when);
		{
			struct thread_log *t = thread_log_of(s);
			struct dynbuf *b = t ? &t->b : NULL;
			char num[64];

			if (b == NULL)
				goto logged;   /* no memory: the line is lost, not the answer */
			dynbuf_str(b, "{\"at\":\"");
			dynbuf_str(b, when);
			dynbuf_str(b, "\",\"method\":");
			dynbuf_json_str(b, method);
			dynbuf_str(b, ",\"path\":");
			dynbuf_json_str(b, url);
			snprintf(num, sizeof(num), ",\"status\":%d,\"us\":%llu", a.status,
				 (unsigned long long)us);
			dynbuf_str(b, num);
			if (r.principal_name && r.principal_name[0]) {
				dynbuf_str(b, ",\"user\":");
				dynbuf_json_str(b, r.principal_name);
			}
			dynbuf_str(b, "}\n");
			/* Written out in whole lines at most once a second (and at
			 * stop): a write per request would cost more than it. */
			if (now != t->flushed || b->len > 32768 || b->failed)
				log_flush(t, now);
		}
	}
logged:
	return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **state,
		    enum MHD_RequestTerminationCode why)
{
	struct pending *p = *state;

	(void)cls;
	(void)c;
	(void)why;
	if (p != NULL) {
		free(p->body.p);
		free(p);
		*state = NULL;
	}
}

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes the path in place, except %00: a NUL would cut the path
 * short of what was asked (".../app.js%00.html" read as ".../app.js"), so
 * it stays as it is and no route or file name matches it. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *uri)
{
	char *w = uri;

	(void)cls;
	(void)c;
	for (const char *p = uri; *p; p++) {
		int hi, lo;

		if (p[0] == '%' && (hi = hex(p[1])) >= 0 && (lo = hex(p[2])) >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi * 16 + lo);
			p += 2;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return (size_t)(w - uri);
}

int http_server_start(const char *addr, int port, unsigned threads,
		      const struct http_route *routes, size_t n, http_authorize authorize, void *app,
		      struct http_server **out, int *bound_port, char *err, size_t errsize)
{
	struct sockaddr_in sa = { 0 };
	struct http_server *s;
	const union MHD_DaemonInfo *info;

	*out = NULL;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (port < 0 || port > 65535 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		snprintf(err, errsize, "%s:%d is not an IPv4 address and port", addr, port);
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	s->routes = routes;
	s->n_routes = n;
	s->authorize = authorize;
	s->app = app;
	pthread_mutex_init(&s->log_lock, NULL);
	if ((s->idem = idem_new(IDEM_KEYS, IDEM_SECONDS)) == NULL) {
		free(s);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	/* TURBO: read, write and accept first and wait only on EAGAIN, which
	 * saves an epoll round per request on busy keep-alive connections. */
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
				MHD_USE_TURBO | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
				MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
				/* A connection's memory holds its request line, headers and
				 * a read buffer (bodies come to on_request in pieces): 16 KiB
				 * rather than 32, as it is cleared between requests. */
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
				MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0u,
				MHD_OPTION_END);
	if (s->d == NULL) {
		snprintf(err, errsize, "cannot listen on %s:%d (in use, or not allowed)", addr, port);
		idem_free(s->idem);
		free(s);
		return -1;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	*bound_port = info ? info->port : port;
	*out = s;
	return 0;
}

void http_server_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->d);   /* its threads end: their logs are written out */
	idem_free(s->idem);
	pthread_mutex_destroy(&s->log_lock);
	free(s);
}

void http_server_stats(const struct http_server *s, struct http_stats *out)
{
	const uint64_t *from = (const uint64_t *)&s->stats;
	uint64_t *to = (uint64_t *)out;

	/* Counter by counter: each read whole while others add to it. */
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
	for (size_t k = 1; k < HTTP_LATENCY_BUCKETS; k++)
		out->latency_le[k] += out->latency_le[k - 1];
}
