/*
 * report_dashboard — `relance report dashboard [--from DATE] [--to DATE]
 * [--days N] [--every week|month] [--json]`: the managers' dashboard
 * (dashboard.h) on the command line, so that operators can script it.
 *
 * The period defaults to the 30 days ending on the UTC date of --now;
 * --days (the attribution window) to the operations file's
 * contacts.attribution_days. Text for people, or with --json the same
 * object the API's routes answer, with every part in it.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/caltime.h"
#include "../store/store.h"
#include "cmd.h"
#include "cmdconfig.h"
#include "dashboard.h"

int cmd_report_dashboard(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *from = NULL, *to = NULL, *days = NULL, *every = NULL;
	struct dashboard_query q;
	struct dashboard d = { 0 };
	struct store *store = NULL;
	struct config cfg;
	char why[256];
	int json = 0, status = 0, rc;

	config_init(&cfg);
	for (int i = 0; i < argc; i++) {
		int r;

		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if ((r = cmd_option(argc, argv, &i, "--from", &from)) != 0 ||
			   (r = cmd_option(argc, argv, &i, "--to", &to)) != 0 ||
			   (r = cmd_option(argc, argv, &i, "--days", &days)) != 0 ||
			   (r = cmd_option(argc, argv, &i, "--every", &every)) != 0) {
			if (r < 0)
				return cmd_fail(EXIT_USAGE, "report dashboard: %s needs a value",
						argv[i]);
		} else {
			return cmd_fail(EXIT_USAGE, "report dashboard: unknown argument '%s'",
					argv[i]);
		}
	}
	if (days == NULL && (status = cmd_config_load(ctx, &cfg)) != 0)
		goto out;
	if (dashboard_query_parse(from, to, days, every, instant_utc_day(ctx->now),
				  days ? 1 : cfg.contacts.attribution_days, "--", &q, why,
				  sizeof(why)) != 0) {
		status = cmd_fail(EXIT_USAGE, "report dashboard: %s", why);
		goto out;
	}
	if ((status = cmd_open_store(ctx, &store)) != 0)
		goto out;
	rc = dashboard_compute(store, &q, DASHBOARD_ALL, &d);
	if (rc != STORE_OK) {
		status = cmd_fail(EXIT_RUNTIME, "report dashboard: %s", d.err);
		goto out;
	}
	if (json)
		dashboard_json(stdout, &d);
	else
		dashboard_text(stdout, &d);
out:
	dashboard_release(&d);
	if (store != NULL)
		store_close(store);
	config_release(&cfg);
	return status;
}
