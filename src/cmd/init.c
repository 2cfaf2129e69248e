/*
 * init — `relance init`: create or migrate the schema.
 */
#include <stdio.h>

#include "../store/store.h"
#include "cmd.h"

int cmd_init(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store *store = NULL;
	char err[512], shown[512];
	int rc, from = 0;

	(void)argv;
	if (argc != 0)
		return cmd_fail(EXIT_USAGE, "usage: relance init");
	store_url_redact(ctx->db_url, shown, sizeof(shown));
	rc = store_open_ex(ctx->db_url, STORE_OPEN_CREATE, &store, err, sizeof(err));
	if (rc != STORE_OK)
		return cmd_fail(rc == STORE_ERR_DB ? EXIT_RUNTIME : EXIT_USAGE, "%s", err);
	rc = store_migrate(store, &from);
	if (rc != STORE_OK) {
		cmd_fail(rc == STORE_ERR_DB ? EXIT_RUNTIME : EXIT_USAGE, "%s",
			 store_errmsg(store));
		store_close(store);
		return rc == STORE_ERR_DB ? EXIT_RUNTIME : EXIT_USAGE;
	}
	if (from == STORE_SCHEMA_VERSION)
		printf("%s: schema is up to date (version %d)\n", shown, from);
	else if (from == 0)
		printf("%s: schema created (version %d, %s)\n", shown,
		       STORE_SCHEMA_VERSION, store_engine(store));
	else
		printf("%s: schema migrated from version %d to %d\n", shown, from,
		       STORE_SCHEMA_VERSION);
	store_close(store);
	return EXIT_OK;
}
