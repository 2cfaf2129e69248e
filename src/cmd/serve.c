/*
 * serve — `relance serve [--listen ADDR:PORT] [--cycle-every SECONDS]
 * [--record FILE] [--web DIR]`: the HTTP API (docs/api.md,
 * docs/openapi.yaml), the static pages, and the scheduler, until SIGTERM
 * or SIGINT, which let the requests in hand and the cycle under way finish.
 * The routes are the parts' (serve.h); this file owns the command, the
 * threads' stores, the operations routes (/healthz, /readyz, /metrics) and
 * the cycles.
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
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/auth.h"
#include "../core/caltime.h"
#include "../core/config.h"
#include "../core/dynbuf.h"
#include "../core/tz.h"
#include "../http/server.h"
#include "../store/store.h"
#include "cmd.h"
#include "cmdconfig.h"
#include "holds.h"
#include "postpone.h"
#include "serve.h"

/* ---- the threads' own ------------------------------------------------------------------- */

#define SERVE_THREADS_MAX 64

static __thread struct serve_thread *mine;
static pthread_key_t thread_end_key;
static pthread_once_t thread_end_once = PTHREAD_ONCE_INIT;

/* When a server thread ends: the caches that are each thread's own
 * (time zones, postponed due dates, live arrangements) go with it. Its
 * store stays until serve_threads_close. */
static void thread_ends(void *unused)
{
	(void)unused;
	tz_thread_release();
	postpone_forget();
	holds_unload();
}

static void thread_end_key_make(void)
{
	pthread_key_create(&thread_end_key, thread_ends);
}
static struct {
	pthread_mutex_t lock;
	struct serve_thread *all[SERVE_THREADS_MAX];
	size_t n;
} threads = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct serve_thread *serve_thread(struct app *app)
{
	struct serve_thread *t;

	if (mine != NULL)
		return mine;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->cmd = *app->cmd;
	pthread_mutex_lock(&threads.lock);
	if (threads.n == SERVE_THREADS_MAX || cmd_open_store(&t->cmd, &t->store) != 0) {
		pthread_mutex_unlock(&threads.lock);
		free(t);
		return NULL;
	}
	threads.all[threads.n++] = t;
	pthread_mutex_unlock(&threads.lock);
	pthread_once(&thread_end_once, thread_end_key_make);
	pthread_setspecific(thread_end_key, t);
	return mine = t;
}

void serve_threads_close(void)
{
	pthread_mutex_lock(&threads.lock);
	for (size_t i = 0; i < threads.n; i++) {
		store_close(threads.all[i]->store);
		free(threads.all[i]);
	}
	threads.n = 0;
	pthread_mutex_unlock(&threads.lock);
	mine = NULL;
}

/*
 * What the cycles did, per channel and outcome, from their reports
 * (`relance run --json`: "scheduled", "performed", "deferred", "dropped",
 * each an object channel -> count), since serve started.
 */
#define ACTION_CHANNELS 8
static const char *const action_outcomes[] = { "scheduled", "performed", "deferred", "dropped" };
#define ACTION_OUTCOMES (sizeof(action_outcomes) / sizeof(action_outcomes[0]))

static struct {
	pthread_mutex_t lock;
	char channel[ACTION_CHANNELS][24];
	uint64_t n[ACTION_CHANNELS][ACTION_OUTCOMES];
} actions = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void count_actions(const char *report)
{
	json_t *o = json_loads(report, 0, NULL);

	if (!json_is_object(o)) {
		json_decref(o);
		return;
	}
	pthread_mutex_lock(&actions.lock);
	for (size_t k = 0; k < ACTION_OUTCOMES; k++) {
		const char *channel;
		json_t *v;

		json_object_foreach(json_object_get(o, action_outcomes[k]), channel, v) {
			size_t c = 0;

			while (c < ACTION_CHANNELS && actions.channel[c][0] &&
			       strcmp(actions.channel[c], channel) != 0)
				c++;
			if (c == ACTION_CHANNELS || strlen(channel) >= sizeof(actions.channel[0]) ||
			    !json_is_integer(v) || json_integer_value(v) < 0)
				continue;
			snprintf(actions.channel[c], sizeof(actions.channel[c]), "%s", channel);
			actions.n[c][k] += (uint64_t)json_integer_value(v);
		}
	}
	pthread_mutex_unlock(&actions.lock);
	json_decref(o);
}

/* ---- handlers --------------------------------------------------------------------------- */

int64_t serve_now(const struct app *app)
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
	if (store_check_schema(serve_thread(app)->store) != STORE_OK)
		http_answer_problem(a, 503, "Service Unavailable", "the database is not ready: %s",
				    store_errmsg(serve_thread(app)->store));
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
	char line[512];

	(void)r;
	http_server_stats(app->http, &st);
	dynbuf_str(&b, "# HELP relance_http_requests_total HTTP requests answered, by status class.\n"
		   "# TYPE relance_http_requests_total counter\n");
	for (int k = 1; k <= 5; k++) {
		snprintf(line, sizeof(line), "relance_http_requests_total{class=\"%dxx\"} %llu\n", k,
			 (unsigned long long)st.by_class[k]);
		dynbuf_str(&b, line);
	}
	/* A histogram: requests answered within each bound, cumulative. */
	dynbuf_str(&b, "# HELP relance_http_request_duration_seconds Time to answer a request.\n"
		   "# TYPE relance_http_request_duration_seconds histogram\n");
	for (int k = 0; k < HTTP_LATENCY_BUCKETS; k++) {
		snprintf(line, sizeof(line), "relance_http_request_duration_seconds_bucket"
			 "{le=\"%g\"} %llu\n", (double)http_latency_bounds_us[k] / 1e6,
			 (unsigned long long)st.latency_le[k]);
		dynbuf_str(&b, line);
	}
	snprintf(line, sizeof(line), "relance_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
		 "relance_http_request_duration_seconds_sum %.6f\n"
		 "relance_http_request_duration_seconds_count %llu\n",
		 (unsigned long long)st.requests, (double)st.latency_us_sum / 1e6,
		 (unsigned long long)st.requests);
	dynbuf_str(&b, line);
	snprintf(line, sizeof(line), "# HELP relance_http_idempotent_replays_total Answers replayed "
		 "for a repeated Idempotency-Key.\n# TYPE relance_http_idempotent_replays_total "
		 "counter\nrelance_http_idempotent_replays_total %llu\n",
		 (unsigned long long)st.idempotent_replays);
	dynbuf_str(&b, line);
	pthread_mutex_lock(&app->lock);
	snprintf(line, sizeof(line), "# HELP relance_cycles_total Collection cycles run by serve.\n"
		 "# TYPE relance_cycles_total counter\n"
		 "relance_cycles_total %llu\nrelance_cycles_failed_total %llu\n",
		 (unsigned long long)app->cycles, (unsigned long long)app->cycles_failed);
	dynbuf_str(&b, line);
	snprintf(line, sizeof(line), "# HELP relance_cycle_seconds How long the cycles took.\n"
		 "# TYPE relance_cycle_seconds summary\n"
		 "relance_cycle_seconds_sum %.6f\nrelance_cycle_seconds_count %llu\n"
		 "relance_cycle_last_seconds %.6f\n", (double)app->cycle_us_sum / 1e6,
		 (unsigned long long)app->cycles, (double)app->cycle_us_last / 1e6);
	pthread_mutex_unlock(&app->lock);
	dynbuf_str(&b, line);
	dynbuf_str(&b, "# HELP relance_actions_total Actions of the cycles, by channel and outcome.\n"
		   "# TYPE relance_actions_total counter\n");
	pthread_mutex_lock(&actions.lock);
	for (size_t c = 0; c < ACTION_CHANNELS && actions.channel[c][0]; c++) {
		for (size_t k = 0; k < ACTION_OUTCOMES; k++) {
			snprintf(line, sizeof(line), "relance_actions_total{channel=\"%s\",outcome=\"%s\"} "
				 "%llu\n", actions.channel[c], action_outcomes[k],
				 (unsigned long long)actions.n[c][k]);
			dynbuf_str(&b, line);
		}
	}
	pthread_mutex_unlock(&actions.lock);
	/* What waits: rows due and not yet performed, per channel, and how
	 * long the oldest has waited (a peer down shows here). */
	dynbuf_str(&b, "# HELP relance_outbox_due Outbox rows due and waiting, by channel.\n"
		   "# TYPE relance_outbox_due gauge\n"
		   "# HELP relance_outbox_oldest_due_seconds How long the oldest due row has waited.\n"
		   "# TYPE relance_outbox_oldest_due_seconds gauge\n");
	{
		struct depth_ctx d = { &b, serve_now(app) };

		if (store_outbox_depth(serve_thread(app)->store, d.now, keep_depth, &d) != STORE_OK) {
			free(b.p);
			http_answer_problem(a, 503, "Service Unavailable", "the outbox could not be read");
			return 0;
		}
	}
	/* Services the network has not confirmed at the level wanted, and
	 * those reconciliation gave up on (docs/provisioning.md). */
	{
		int64_t total = 0, drift = 0, alerted = 0;

		if (store_service_state_counts(serve_thread(app)->store, &total, &drift, &alerted) !=
		    STORE_OK) {
			free(b.p);
			http_answer_problem(a, 503, "Service Unavailable",
					    "the services' states could not be read");
			return 0;
		}
		snprintf(line, sizeof(line),
			 "# HELP relance_provisioning_services Services by provisioning state.\n"
			 "# TYPE relance_provisioning_services gauge\n"
			 "relance_provisioning_services{state=\"known\"} %lld\n"
			 "relance_provisioning_services{state=\"drift\"} %lld\n"
			 "relance_provisioning_services{state=\"alerted\"} %lld\n",
			 (long long)total, (long long)drift, (long long)alerted);
		dynbuf_str(&b, line);
	}
	if (serve_answer_json(a, 200, &b) != 0)
		return -1;
	a->content_type = "text/plain; version=0.0.4";
	return 0;
}

/* The account named by the route, with its position at the request's
 * instant; 404 when unknown. Returns 0 when *f is filled. */
/* ---- cycles ------------------------------------------------------------------------------------ */

void serve_cycle_soon(struct app *app)
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
	/* The report (one JSON line) comes back through a pipe: counted for
	 * /metrics, then written to serve's standard error, the log. */
	posix_spawn_file_actions_t fa;
	struct timespec start, end;
	struct dynbuf report = { .max = 1u << 20 };
	int rc, failed, out[2];

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (pipe2(out, O_CLOEXEC) != 0) {
		rc = errno;
	} else {
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, out[1], 1);
		rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, (char **)argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		close(out[1]);
		if (rc == 0) {
			char buf[4096];
			ssize_t got;

			while ((got = read(out[0], buf, sizeof(buf))) > 0 || (got < 0 && errno == EINTR))
				if (got > 0)
					dynbuf_add(&report, buf, (size_t)got);
		}
		close(out[0]);
	}
	if (rc != 0) {
		fprintf(stderr, "relance serve: a cycle could not start: %s\n", strerror(rc));
		pthread_mutex_lock(&app->lock);
		app->cycles_failed++;
		app->cycle_status = -1;
		pthread_mutex_unlock(&app->lock);
		return;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	clock_gettime(CLOCK_MONOTONIC, &end);
	failed = !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	if (report.len > 0 && !report.failed) {
		fwrite(report.p, 1, report.len, stderr);
		dynbuf_add(&report, "", 1);
		if (!report.failed)
			count_actions(report.p);
	}
	free(report.p);
	pthread_mutex_lock(&app->lock);
	app->cycles++;
	app->cycles_failed += failed;
	app->cycle_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	app->cycle_us_last = (uint64_t)((end.tv_sec - start.tv_sec) * 1000000 +
					(end.tv_nsec - start.tv_nsec) / 1000);
	app->cycle_us_sum += app->cycle_us_last;
	pthread_mutex_unlock(&app->lock);
	if (failed)
		fprintf(stderr, "relance serve: a cycle failed (status %d)\n",
			WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/*
 * The next instant after `now` that the operations file's cycles.at names
 * (today's or tomorrow's first), or 0 when it names none. Under app->lock.
 */
static int64_t next_scheduled(const struct app *app, int64_t now)
{
	struct tz *z;
	int32_t day, seconds;
	int64_t t;

	if (app->n_cycle_at == 0 || tz_get(app->cycle_zone, &z) != TZ_OK ||
	    tz_local_time(z, now, &day, &seconds) != TZ_OK)
		return 0;
	for (int32_t d = day; d <= day + 1; d++)
		for (size_t i = 0; i < app->n_cycle_at; i++)
			if (tz_instant_of(z, d, app->cycle_at[i] * 60, &t) == TZ_OK && t > now)
				return t;
	return 0;
}

/* Takes the operations file's cycle times. Under app->lock. */
static void take_cycle_times(struct app *app, const struct config *cfg)
{
	app->n_cycle_at = cfg->cycles.n_at;
	memcpy(app->cycle_at, cfg->cycles.at, cfg->cycles.n_at * sizeof(cfg->cycles.at[0]));
	snprintf(app->cycle_zone, sizeof(app->cycle_zone), "%s", cfg->cycles.timezone);
}

static void *scheduler(void *arg)
{
	struct app *app = arg;
	int64_t last = (int64_t)time(NULL);

	pthread_mutex_lock(&app->lock);
	while (!app->stopping) {
		int64_t now = (int64_t)time(NULL), next = 0, at = next_scheduled(app, now);
		struct timespec until = { 0 };

		/* The earlier of: --cycle-every after the last cycle, and the
		 * next time of day the operations file names. */
		if (app->cycle_every > 0)
			next = last + app->cycle_every;
		if (at != 0 && (next == 0 || at < next))
			next = at;
		app->next_cycle_at = next;
		until.tv_sec = next != 0 ? (time_t)next : (time_t)now + 3600;
		/* Any wake-up recomputes: a payment, SIGHUP's new times, a stop. */
		if (!app->cycle_soon && !app->stopping)
			pthread_cond_timedwait(&app->wake, &app->lock, &until);
		if (app->stopping)
			break;
		/* Woken for new times (SIGHUP), or an hour passed with none due. */
		if (!app->cycle_soon && (next == 0 || (int64_t)time(NULL) < next))
			continue;
		if (app->cycle_soon) {
			/* Payments often come in bursts: gather them for a second. */
			pthread_mutex_unlock(&app->lock);
			nanosleep(&(struct timespec){ 1, 0 }, NULL);
			pthread_mutex_lock(&app->lock);
		}
		app->cycle_soon = 0;
		app->cycle_running = 1;
		app->cycle_started_at = (int64_t)time(NULL);
		pthread_mutex_unlock(&app->lock);
		run_cycle(app);
		pthread_mutex_lock(&app->lock);
		app->cycle_running = 0;
		last = (int64_t)time(NULL);
	}
	pthread_mutex_unlock(&app->lock);
	tz_thread_release();
	return NULL;
}

/* GET /api/v1/cycles: what the scheduler did last and means to do next. */
static int cycles_state(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct dynbuf b = { .max = 1u << 14 };
	char when[INSTANT_TEXT_LEN + 1], line[256];

	(void)r;
	pthread_mutex_lock(&app->lock);
	snprintf(line, sizeof(line), "{\"running\":%s,\"cycles\":%llu,\"failed\":%llu,"
		 "\"every_seconds\":%d,\"at\":[", app->cycle_running ? "true" : "false",
		 (unsigned long long)app->cycles, (unsigned long long)app->cycles_failed,
		 app->cycle_every);
	dynbuf_str(&b, line);
	for (size_t i = 0; i < app->n_cycle_at; i++) {
		snprintf(line, sizeof(line), "%s\"%02d:%02d\"", i ? "," : "", app->cycle_at[i] / 60,
			 app->cycle_at[i] % 60);
		dynbuf_str(&b, line);
	}
	dynbuf_str(&b, "],\"timezone\":");
	dynbuf_json_str(&b, app->cycle_zone);
	dynbuf_str(&b, ",\"next_at\":");
	if (app->next_cycle_at != 0) {
		instant_format(app->next_cycle_at, when);
		dynbuf_json_str(&b, when);
	} else {
		dynbuf_str(&b, "null");
	}
	dynbuf_str(&b, ",\"last\":");
	if (app->cycle_started_at != 0 && app->cycles > 0) {
		instant_format(app->cycle_started_at, when);
		snprintf(line, sizeof(line), "{\"started_at\":\"%s\",\"seconds\":%.3f,\"status\":%d}}",
			 when, (double)app->cycle_us_last / 1e6, app->cycle_status);
		dynbuf_str(&b, line);
	} else {
		dynbuf_str(&b, "null}");
	}
	pthread_mutex_unlock(&app->lock);
	return serve_answer_json(a, 200, &b);
}

/* POST /api/v1/cycles: a cycle now (within a second), whatever the times. */
static int cycle_now(void *ctx, struct http_request *r, struct http_answer *a)
{
	(void)r;
	serve_cycle_soon(ctx);
	http_answer_json(a, 202, strdup("{\"queued\":true}"));
	return 0;
}

static const struct http_route ops_routes[] = {
	{ "GET", "/healthz", NULL, healthz },
	{ "GET", "/readyz", NULL, readyz },
	{ "GET", "/metrics", NULL, metrics },
	{ "GET", "/api/v1/cycles", "admin", cycles_state },
	{ "POST", "/api/v1/cycles", "admin", cycle_now },
};

/* Every part's routes, in one table (built once, at start). */
#define SERVE_ROUTES_MAX 256

static struct http_route *all_routes(size_t *n)
{
	const struct {
		const struct http_route *v;
		size_t n;
	} parts[] = {
		{ ops_routes, sizeof(ops_routes) / sizeof(ops_routes[0]) },
		{ serve_auth_routes, serve_auth_n_routes },
		{ serve_api_routes, serve_api_n_routes },
		{ serve_queues_routes, serve_queues_n_routes },
		{ serve_web_routes, serve_web_n_routes },
		{ serve_portal_routes, serve_portal_n_routes },
		{ serve_dashboard_routes, serve_dashboard_n_routes },
	};
	static struct http_route all[SERVE_ROUTES_MAX];
	size_t total = 0;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		total += parts[i].n;
	if (total > SERVE_ROUTES_MAX)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (size_t k = 0; k < parts[i].n; k++)
			all[(*n)++] = parts[i].v[k];
	return all;
}

/* ---- the command --------------------------------------------------------------------------- */

int cmd_serve(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] =
		"relance serve [--listen ADDR:PORT] [--threads N] [--cycle-every SECONDS] "
		"[--record FILE] [--web DIR]";
	const char *listen = "127.0.0.1:8080", *every = "300", *nthreads = NULL;
	static struct app app;
	char addr[64], err[256], *end = NULL;
	int port = 0, bound = 0, status, sig;
	long every_s, threads_n;
	pthread_t sched;
	sigset_t set;
	struct http_route *routes;
	size_t n_routes;
	struct store *check;

	memset(&app, 0, sizeof(app));
	app.cmd = ctx;
	if ((routes = all_routes(&n_routes)) == NULL)
		return cmd_fail(EXIT_RUNTIME, "more than %d routes", SERVE_ROUTES_MAX);
	/* The route table as it is, for the test that holds docs/api.md to it. */
	if (argc == 1 && strcmp(argv[0], "--routes") == 0) {
		for (size_t i = 0; i < n_routes; i++)
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
			r = cmd_option(argc, argv, &i, "--web", &app.web);
		if (r == 0)
			r = cmd_option(argc, argv, &i, "--threads", &nthreads);
		if (r < 0)
			return cmd_fail(EXIT_USAGE, "%s needs a value", argv[i]);
		if (r == 0)
			return cmd_fail(EXIT_USAGE, "usage: %s", usage);
	}
	every_s = strtol(every, &end, 10);
	if (end == every || *end != '\0' || every_s < 0 || every_s > 86400)
		return cmd_fail(EXIT_USAGE, "--cycle-every '%s' is not 0 to 86400 seconds", every);
	app.cycle_every = (int)every_s;
	/* Two threads answering per processor, by default: a thread also waits
	 * (on the database's locks, on the disk), and while it waits another
	 * uses the processor. make bench measured 2, 3, 4, 6 and 8 on two
	 * processors: 4 answered most. */
	threads_n = nthreads ? strtol(nthreads, &end, 10) : 2 * sysconf(_SC_NPROCESSORS_ONLN);
	if (nthreads && (end == nthreads || *end != '\0' || threads_n < 1 || threads_n > 32))
		return cmd_fail(EXIT_USAGE, "--threads '%s' is not 1 to 32", nthreads);
	if (threads_n < 1)
		threads_n = 1;
	if (threads_n > 32)
		threads_n = 32;
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
	/* The operations file must check now (its problems are printed). */
	{
		struct config cfg;

		if (cmd_config_load(ctx, &cfg) != 0)
			return EXIT_USAGE;
		take_cycle_times(&app, &cfg);
		config_release(&cfg);
	}
	/* The database must answer now: a mistake in --db shows at once. */
	if ((status = cmd_open_store(ctx, &check)) != 0)
		return status;
	store_close(check);
	/* Signals are waited for here, not handled: block them before the
	 * server's thread starts so that it inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	serve_idem_start(&app);
	if (http_server_start(addr, port, (unsigned)threads_n, routes, n_routes, serve_authorize, &app,
			      &app.http, &bound, err, sizeof(err)) != 0)
		return cmd_fail(EXIT_RUNTIME, "%s", err);
	pthread_mutex_init(&app.lock, NULL);
	pthread_cond_init(&app.wake, NULL);
	if (pthread_create(&sched, NULL, scheduler, &app) != 0) {
		http_server_stop(app.http);
		serve_threads_close();
		return cmd_fail(EXIT_RUNTIME, "the scheduler could not start");
	}
	printf("relance serve: listening on http://%s:%d\n", addr, bound);
	fflush(stdout);
	/* SIGHUP: the operations file is read again by every cycle; serve
	 * checks it now and says so, so that a mistake is seen at once. */
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
		struct config cfg;

		int bad = cmd_config_load(ctx, &cfg) != 0;

		if (!bad) {
			/* New cycle times take effect now: the scheduler recomputes. */
			pthread_mutex_lock(&app.lock);
			take_cycle_times(&app, &cfg);
			pthread_cond_signal(&app.wake);
			pthread_mutex_unlock(&app.lock);
		}
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
	serve_threads_close();
	fprintf(stderr, "relance serve: stopped (%s)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	return 0;
}
