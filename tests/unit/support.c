/*
 * support — see support.h.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "support.h"

char *support_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

struct policy *support_parse_policy(const char *name, const char *text, size_t len)
{
	struct policy *p = NULL;
	struct policy_diags d = { 0 };

	if (policy_parse(name, text, len, &p, &d) != 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s:%d:%d: %s\n", name, d.v[i].line, d.v[i].column,
				d.v[i].message);
		cr_assert_fail("%s does not parse", name);
	}
	policy_diags_release(&d);
	return p;
}

struct policy *support_load_example(const char *name)
{
	char path[256];
	size_t len;
	char *text;
	struct policy *p;

	snprintf(path, sizeof(path), "examples/policies/%s.yaml", name);
	text = support_slurp(path, &len);
	p = support_parse_policy(path, text, len);
	free(text);
	return p;
}
