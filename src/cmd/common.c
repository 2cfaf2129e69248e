/*
 * common — helpers every command shares (declared in cmd.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store.h"
#include "cmd.h"

__thread FILE *cmd_out, *cmd_err;

int cmd_fail(int status, const char *fmt, ...)
{
	FILE *f = cmd_err ? cmd_err : stderr;
	va_list ap;

	fputs("relance: ", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	return status;
}

int cmd_flag(int argc, char **argv, const char *flag)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return 1;
	return 0;
}

int cmd_store_fail(struct store *s, int rc)
{
	return cmd_fail(rc == STORE_ERR_DB || rc == STORE_ERR_NOMEM ? EXIT_RUNTIME : EXIT_USAGE,
			"%s", store_errmsg(s));
}

int cmd_open_store(struct cmd_ctx *ctx, struct store **out)
{
	char err[512];
	int rc = store_open(ctx->db_url, out, err, sizeof(err));

	if (rc != STORE_OK)
		return cmd_fail(rc == STORE_ERR_DB ? EXIT_RUNTIME : EXIT_USAGE, "%s", err);
	rc = store_check_schema(*out);
	if (rc != STORE_OK) {
		store_url_redact(ctx->db_url, err, sizeof(err));
		cmd_fail(rc == STORE_ERR_DB ? EXIT_RUNTIME : EXIT_USAGE, "%s: %s",
			 err, store_errmsg(*out));
		store_close(*out);
		*out = NULL;
		return rc == STORE_ERR_DB ? EXIT_RUNTIME : EXIT_USAGE;
	}
	return 0;
}

int cmd_option(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t len = strlen(name);

	if (strncmp(argv[*i], name, len) != 0)
		return 0;
	if (argv[*i][len] == '=') {
		*value = argv[*i] + len + 1;
		return 1;
	}
	if (argv[*i][len] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

int cmd_arg_match(int argc, char **argv, int *i, const struct cmd_arg_opt *opts, size_t n,
		  void *args)
{
	for (size_t k = 0; k < n; k++) {
		char *field = (char *)args + opts[k].off;
		int r;

		if (opts[k].is_switch) {
			if (strcmp(argv[*i], opts[k].name) != 0)
				continue;
			*(int *)field = 1;
			return 1;
		}
		r = cmd_option(argc, argv, i, opts[k].name, (const char **)field);
		if (r < 0)
			return cmd_fail(-1, "%s needs a value", argv[*i]);
		if (r > 0)
			return 1;
	}
	return 0;
}

int cmd_arg_take(int argc, char **argv, int *i, const struct cmd_arg_opt *opts, size_t n,
		 void *args, const char *usage)
{
	int r = cmd_arg_match(argc, argv, i, opts, n, args);

	if (r < 0)
		return EXIT_USAGE;
	if (r == 0)
		return cmd_fail(EXIT_USAGE, "unexpected '%s'; usage: %s", argv[*i], usage);
	return 0;
}

int cmd_number(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
