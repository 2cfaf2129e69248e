/*
 * policy — `relance policy check FILE`: parses a collection policy and
 * reports every problem as FILE:LINE:COLUMN: message (exit 2), or prints a
 * short summary of what it holds (exit 0). `policy load` will be this same
 * check followed by storing policy->source as the next version.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/policy.h"
#include "../core/sms.h"
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

int cmd_policy_check(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct policy_diags diags = { 0 };
	struct policy *p = NULL;
	char *text = NULL;
	size_t len = 0;
	int status;

	(void)ctx;
	if (argc != 1)
		return cmd_fail(EXIT_USAGE, "usage: relance policy check FILE");
	if (read_all(argv[0], &text, &len) != 0)
		return cmd_fail(EXIT_USAGE, "%s: %s", argv[0], strerror(errno));
	if (policy_parse(argv[0], text, len, &p, &diags) != 0) {
		for (size_t i = 0; i < diags.n; i++)
			fprintf(stderr, "%s:%d:%d: %s\n", argv[0], diags.v[i].line,
				diags.v[i].column, diags.v[i].message);
		fprintf(stderr, "%s: %zu problem%s\n", argv[0], diags.n, diags.n == 1 ? "" : "s");
		status = EXIT_USAGE;
		goto out;
	}
	summary(argv[0], p);
	status = EXIT_OK;
out:
	policy_free(p);
	policy_diags_release(&diags);
	free(text);
	return status;
}
