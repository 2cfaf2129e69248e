/*
 * serve_dashboard — the managers' reports of the API (docs/api.md "The
 * dashboard"), read by web/dashboard/ and by scripts:
 *
 *   GET /api/v1/reports/recovered      payments of the period by stage and channel
 *   GET /api/v1/reports/contacts       messages of the period and what followed them
 *   GET /api/v1/reports/ageing         overdue by days past due at each week's or month's end
 *   GET /api/v1/reports/arrangements   promises and plans
 *   GET /api/v1/reports/restorations   suspensions, restorations, their delays
 *
 * Each takes ?from=DATE&to=DATE (UTC dates, both included; default the 30
 * days ending today), /recovered and /contacts ?days=N (the attribution
 * window; default the operations file's contacts.attribution_days), /ageing
 * ?every=week|month, and answers the JSON object of `relance report
 * dashboard --json` with that one part, or with ?format=csv its table as
 * text/csv. A bad parameter is 400, naming it. Permission "reports:read"
 * (supervisors, managers). The figures are dashboard.c's: the command and
 * these routes compute them the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/caltime.h"
#include "../core/config.h"
#include "cmdconfig.h"
#include "dashboard.h"
#include "serve.h"

static const char *query(struct http_request *r, const char *name)
{
	return r->query ? r->query(r, name) : NULL;
}

/* The attribution window when ?days is absent: the operations file's,
 * read at each request as each cycle does (its default when unreadable). */
static int default_days(struct serve_thread *t)
{
	struct config cfg;
	int days;

	config_init(&cfg);
	if (cmd_config_load(&t->cmd, &cfg) != 0) {
		config_release(&cfg);
		config_init(&cfg);
	}
	days = cfg.contacts.attribution_days;
	config_release(&cfg);
	return days;
}

static int report(struct app *app, struct http_request *r, struct http_answer *a,
		  enum dashboard_part part)
{
	struct serve_thread *t = serve_thread(app);
	const char *format = query(r, "format"), *days = query(r, "days");
	struct dashboard_query q;
	struct dashboard d;
	char why[256], *body = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (format != NULL && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
		http_answer_problem(a, 400, "Bad Request", "format '%s' is neither json nor csv",
				    format);
		return 0;
	}
	if (dashboard_query_parse(query(r, "from"), query(r, "to"), days, query(r, "every"),
				  instant_utc_day(t->cmd.now), days ? 1 : default_days(t), "", &q,
				  why, sizeof(why)) != 0) {
		http_answer_problem(a, 400, "Bad Request", "%s", why);
		return 0;
	}
	rc = dashboard_compute(t->store, &q, (unsigned)part, &d);
	if (rc != 0) {
		http_answer_problem(a, 500, "Internal Server Error", "the report failed: %s",
				    d.err);
		dashboard_release(&d);
		return 0;
	}
	if ((f = open_memstream(&body, &len)) == NULL) {
		dashboard_release(&d);
		return -1;
	}
	if (format != NULL && strcmp(format, "csv") == 0)
		dashboard_csv(f, &d, part);
	else
		dashboard_json(f, &d);
	dashboard_release(&d);
	if (fclose(f) != 0) {
		free(body);
		return -1;
	}
	http_answer_json(a, 200, body);
	a->len = len;
	if (format != NULL && strcmp(format, "csv") == 0)
		a->content_type = "text/csv; charset=utf-8";
	return 0;
}

static int recovered(void *app, struct http_request *r, struct http_answer *a)
{
	return report(app, r, a, DASHBOARD_RECOVERED);
}

static int contacts(void *app, struct http_request *r, struct http_answer *a)
{
	return report(app, r, a, DASHBOARD_CONTACTS);
}

static int ageing(void *app, struct http_request *r, struct http_answer *a)
{
	return report(app, r, a, DASHBOARD_AGEING);
}

static int arrangements(void *app, struct http_request *r, struct http_answer *a)
{
	return report(app, r, a, DASHBOARD_ARRANGEMENTS);
}

static int restorations(void *app, struct http_request *r, struct http_answer *a)
{
	return report(app, r, a, DASHBOARD_RESTORATIONS);
}

const struct http_route serve_dashboard_routes[] = {
	{ "GET", "/api/v1/reports/recovered", "reports:read", recovered },
	{ "GET", "/api/v1/reports/contacts", "reports:read", contacts },
	{ "GET", "/api/v1/reports/ageing", "reports:read", ageing },
	{ "GET", "/api/v1/reports/arrangements", "reports:read", arrangements },
	{ "GET", "/api/v1/reports/restorations", "reports:read", restorations },
};
const size_t serve_dashboard_n_routes =
	sizeof(serve_dashboard_routes) / sizeof(serve_dashboard_routes[0]);
