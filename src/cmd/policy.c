/*
 * policy — `relance policy check FILE`: parses a collection policy and
 * reports every problem as FILE:LINE:COLUMN: message (exit 2), or prints a
 * short summary of what it holds (exit 0). `policy load FILE` is this same
 * check followed by storing policy->source as the next version; `policy
 * show [VERSION]` and `policy list` read the stored versions back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/caltime.h"
#include "../core/policy.h"
#include "../core/sms.h"
#include "../store/store.h"
#include "cmd.h"

/* Reads a whole file (or standard input for "-") into a malloc'ed buffer. */
static int read_all(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;

	if (f == NULL)
		return -1;
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *b;

			cap = cap ? cap * 2 : 16384;
			if (cap > (size_t)POLICY_MAX_SOURCE + 8192) {
				errno = EFBIG;
				goto out;
			}
			b = realloc(buf, cap);
			if (b == NULL)
				goto out;
			buf = b;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		goto out;
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return rc;
}

static void summary(const char *file, const struct policy *p)
{
	size_t stages = 0, texts = 0;

	for (size_t i = 0; i < p->n_strategies; i++)
		stages += p->strategies[i].n_stages;
	for (size_t i = 0; i < p->n_templates; i++)
		texts += p->templates[i].n_texts;
	printf("%s: policy '%s' is valid\n", file, p->name);
	printf("jurisdictions: %zu (", p->n_jurisdictions);
	for (size_t i = 0; i < p->n_jurisdictions; i++)
		printf("%s%s", i ? ", " : "", p->jurisdictions[i].code);
	printf(")\nstrategies: %zu, stages: %zu, campaigns: %zu\n", p->n_strategies, stages,
	       p->n_campaigns);
	printf("templates: %zu, texts: %zu\n", p->n_templates, texts);
	for (size_t i = 0; i < p->n_templates; i++) {
		const struct policy_template *t = &p->templates[i];

		if (t->channel != POLICY_SMS)
			continue;
		for (size_t k = 0; k < t->n_texts; k++)
			printf("  sms %s %s: %s, %zu %s, %zu segment%s\n", t->name, t->texts[k].locale,
			       sms_encoding_name(t->texts[k].sms.encoding), t->texts[k].sms.units,
			       t->texts[k].sms.encoding == SMS_GSM7 ? "septets" : "UTF-16 units",
			       t->texts[k].sms.segments, t->texts[k].sms.segments == 1 ? "" : "s");
	}
}

/*
 * Reads and parses `path`. On success *out holds the policy (its source is
 * the exact text read); otherwise every problem has been printed as
 * FILE:LINE:COLUMN: message and the exit status to use is returned.
 */
static int parse_file(const char *path, struct policy **out)
{
	struct policy_diags diags = { 0 };
	char *text = NULL;
	size_t len = 0;
	int status = EXIT_OK;

	*out = NULL;
	if (read_all(path, &text, &len) != 0)
		return cmd_fail(EXIT_USAGE, "%s: %s", path, strerror(errno));
	if (policy_parse(path, text, len, out, &diags) != 0) {
		for (size_t i = 0; i < diags.n; i++)
			fprintf(stderr, "%s:%d:%d: %s\n", path, diags.v[i].line,
				diags.v[i].column, diags.v[i].message);
		fprintf(stderr, "%s: %zu problem%s\n", path, diags.n, diags.n == 1 ? "" : "s");
		status = EXIT_USAGE;
	}
	policy_diags_release(&diags);
	free(text);
	return status;
}

static int store_status(struct store *s, int rc)
{
	return cmd_fail(rc == STORE_ERR_INPUT ? EXIT_USAGE : EXIT_RUNTIME, "%s", store_errmsg(s));
}

int cmd_policy_check(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct policy *p = NULL;
	int status;

	(void)ctx;
	if (argc != 1)
		return cmd_fail(EXIT_USAGE, "usage: relance policy check FILE");
	if ((status = parse_file(argv[0], &p)) == EXIT_OK)
		summary(argv[0], p);
	policy_free(p);
	return status;
}

int cmd_policy_load(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store *s = NULL;
	struct policy *p = NULL;
	int64_t version = 0;
	int rc, status;

	if (argc != 1)
		return cmd_fail(EXIT_USAGE, "usage: relance policy load FILE");
	/* Checked before the database is even opened: a policy with any
	 * problem never comes near the stored versions. */
	if ((status = parse_file(argv[0], &p)) != EXIT_OK)
		goto out;
	/* The store keeps NUL-terminated text; YAML forbids NUL anyway, but a
	 * stored version must be the whole text checked, never a prefix. */
	if (strlen(p->source) != p->source_len) {
		status = cmd_fail(EXIT_USAGE, "%s: the text holds a NUL byte", argv[0]);
		goto out;
	}
	if ((status = cmd_open_store(ctx, &s)) != 0)
		goto out;
	if ((rc = store_policy_put(s, argv[0], p->source, ctx->now, &version)) != STORE_OK) {
		status = store_status(s, rc);
		goto out;
	}
	printf("%s: loaded as policy version %lld\n", argv[0], (long long)version);
out:
	store_close(s);
	policy_free(p);
	return status;
}

/* Writes the stored text exactly as it was loaded. */
static int show_one(void *ctx, const struct stored_policy *p)
{
	(void)ctx;
	if (fwrite(p->body, 1, p->body_len, stdout) != p->body_len)
		return STORE_STOP;
	return 0;
}

int cmd_policy_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store *s = NULL;
	int64_t version = 0;
	int rc, status;

	if (argc > 1)
		return cmd_fail(EXIT_USAGE, "usage: relance policy show [VERSION]");
	if (argc == 1) {
		char *end;

		errno = 0;
		version = strtoll(argv[0], &end, 10);
		if (argv[0][0] < '0' || argv[0][0] > '9' || *end != '\0' || errno != 0 ||
		    version < 1)
			return cmd_fail(EXIT_USAGE, "'%s' is not a policy version (1, 2, 3 ...)",
					argv[0]);
	}
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	rc = store_policy_get(s, version, show_one, NULL);
	if (rc == STORE_STOP)
		status = cmd_fail(EXIT_RUNTIME, "writing the policy: %s", strerror(errno));
	else if (rc != STORE_OK)
		status = store_status(s, rc);
	store_close(s);
	return status;
}

static int list_one(void *ctx, const struct stored_policy *p)
{
	char at[INSTANT_TEXT_LEN + 1];

	(void)ctx;
	instant_format(p->loaded_at, at);
	printf("%lld %s %s %zu bytes\n", (long long)p->version, at, p->source, p->body_len);
	return 0;
}

int cmd_policy_list(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store *s = NULL;
	int rc, status;

	(void)argv;
	if (argc != 0)
		return cmd_fail(EXIT_USAGE, "usage: relance policy list");
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	if ((rc = store_policy_list(s, list_one, NULL)) != STORE_OK)
		status = store_status(s, rc);
	store_close(s);
	return status;
}
