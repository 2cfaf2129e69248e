/*
 * provision_webhook — `relance provision webhook` and `relance provision
 * genieacs`: one suspension or restoration through the webhook adapter, or
 * one set of parameter values through a GenieACS server, by hand — for
 * operators checking a receiver or an ACS, and for the tests
 * (docs/provisioning-webhook.md).
 *
 * Exit status: 0 applied and confirmed (webhook: applied or already
 * applied; genieacs: the read-back shows the values), 1 the peer refused
 * or failed, 2 bad usage, and for genieacs 3 when the task was queued
 * because the device did not answer: not confirmed yet (run again with
 * --check later).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../chan/provisioning/genieacs.h"
#include "../chan/provisioning/webhook.h"
#include "cmd.h"

enum { EXIT_QUEUED = 3 };

static const char *status_name(int status)
{
	switch (status) {
	case CHAN_DONE: return "done";
	case CHAN_ALREADY: return "already";
	case CHAN_FAILED: return "failed";
	case CHAN_REFUSED: return "refused";
	case CHAN_UNCERTAIN: return "uncertain";
	}
	return "unknown";
}

static void log_stderr(void *ctx, const char *line)
{
	fprintf(stderr, "%s: %s\n", (const char *)ctx, line);
}

static void print_json(json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);

	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(o);
}

/* ---- webhook --------------------------------------------------------------------------- */

struct webhook_args {
	const char *url, *secret_env, *service, *level, *reason, *key, *identifier, *account;
	const char *timeout, *retries, *backoff;
	int json;
};

int cmd_provision_webhook(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance provision webhook --url URL --secret-env VAR "
		"--service ID --level LEVEL [--reason T] [--key K] [--identifier X] "
		"[--account ID] [--timeout SECONDS] [--retries N] [--backoff-ms MS] [--json]";
	static const struct cmd_arg_opt opts[] = {
		{ "--url", offsetof(struct webhook_args, url), 0 },
		{ "--secret-env", offsetof(struct webhook_args, secret_env), 0 },
		{ "--service", offsetof(struct webhook_args, service), 0 },
		{ "--level", offsetof(struct webhook_args, level), 0 },
		{ "--reason", offsetof(struct webhook_args, reason), 0 },
		{ "--key", offsetof(struct webhook_args, key), 0 },
		{ "--identifier", offsetof(struct webhook_args, identifier), 0 },
		{ "--account", offsetof(struct webhook_args, account), 0 },
		{ "--timeout", offsetof(struct webhook_args, timeout), 0 },
		{ "--retries", offsetof(struct webhook_args, retries), 0 },
		{ "--backoff-ms", offsetof(struct webhook_args, backoff), 0 },
		{ "--json", offsetof(struct webhook_args, json), 1 },
	};
	struct webhook_args a = { 0 };
	struct webhook_options o = { .log = log_stderr, .log_ctx = (void *)"webhook" };
	struct webhook_request r = { 0 };
	struct webhook_result res;
	struct webhook *w = NULL;
	const char *secret;
	char err[256], key[256];
	long v;
	int status;

	for (int i = 0; i < argc; i++)
		if ((status = cmd_arg_take(argc, argv, &i, opts, sizeof(opts) / sizeof(opts[0]), &a,
					   usage)) != 0)
			return status;
	if (a.url == NULL || a.secret_env == NULL || a.service == NULL || a.level == NULL)
		return cmd_fail(EXIT_USAGE, "--url, --secret-env, --service and --level are "
				"required; usage: %s", usage);
	if (!webhook_level_valid(a.level))
		return cmd_fail(EXIT_USAGE, "--level: throttle, walled_garden, total or full "
				"(a restoration)");
	secret = getenv(a.secret_env);
	if (secret == NULL || secret[0] == '\0')
		return cmd_fail(EXIT_USAGE, "--secret-env: environment variable %s is not set",
				a.secret_env);
	o.url = a.url;
	o.secret = secret;
	if (a.timeout) {
		if (cmd_number(a.timeout, 1, 600, &v) != 0)
			return cmd_fail(EXIT_USAGE, "--timeout: whole seconds from 1 to 600");
		o.timeout_ms = v * 1000;
	}
	if (a.retries) {
		if (cmd_number(a.retries, 0, 20, &v) != 0)
			return cmd_fail(EXIT_USAGE, "--retries: a number from 0 to 20");
		o.retries = v == 0 ? -1 : (int)v;
	}
	if (a.backoff) {
		if (cmd_number(a.backoff, 1, 600000, &v) != 0)
			return cmd_fail(EXIT_USAGE, "--backoff-ms: milliseconds from 1 to 600000");
		o.backoff_ms = v;
	}
	if (a.key == NULL) {
		/* The same service, level and instant give the same key: running the
		 * command again at the same --now is recognised by the receiver. */
		snprintf(key, sizeof(key), "manual-%.120s-%s-%lld", a.service, a.level,
			 (long long)ctx->now);
		a.key = key;
	}
	r = (struct webhook_request){
		.service_id = a.service, .identifier = a.identifier, .account_id = a.account,
		.level = a.level, .reason = a.reason, .key = a.key, .at = ctx->now,
	};
	if (webhook_open(&o, &w, err, sizeof(err)) != 0)
		return cmd_fail(EXIT_USAGE, "%s", err);
	if (webhook_send(w, &r, &res) != 0) {
		webhook_close(w);
		return cmd_fail(EXIT_RUNTIME, "webhook: %s", res.out.detail);
	}
	webhook_close(w);
	status = res.out.status == CHAN_DONE || res.out.status == CHAN_ALREADY ? EXIT_OK :
		 EXIT_RUNTIME;
	if (a.json) {
		json_t *j = json_object();

		json_object_set_new(j, "service_id", json_string(a.service));
		json_object_set_new(j, "level", json_string(a.level));
		json_object_set_new(j, "idempotency_key", json_string(a.key));
		json_object_set_new(j, "outcome", json_string(status_name(res.out.status)));
		json_object_set_new(j, "detail", json_string(res.out.detail));
		json_object_set_new(j, "confirmed_level", res.confirmed_level[0] ?
				    json_string(res.confirmed_level) : json_null());
		json_object_set_new(j, "http_status", json_integer(res.http_status));
		json_object_set_new(j, "attempts", json_integer(res.attempts));
		print_json(j);
	} else {
		printf("outcome: %s\n", status_name(res.out.status));
		printf("detail: %s\n", res.out.detail);
		printf("confirmed level: %s\n", res.confirmed_level[0] ? res.confirmed_level : "none");
		printf("idempotency key: %s\n", a.key);
		printf("attempts: %d\n", res.attempts);
	}
	return status;
}

/* ---- genieacs -------------------------------------------------------------------------- */

struct acs_args {
	const char *url, *device, *username, *password_env, *timeout, *cr_timeout;
	int json, check;
};

/*
 * PATH=VALUE[:TYPE]: TYPE is "xsd:boolean" or "boolean" (any type of
 * genieacs.h), recognised at the end only, so that values may hold ':'.
 * The strings point into `spec`, which is cut in place, and `type`.
 */
static int parse_set(char *spec, struct genieacs_param *p, char type[40])
{
	char *eq = strchr(spec, '='), *colon;

	if (eq == NULL || eq == spec)
		return -1;
	*eq = '\0';
	p->path = spec;
	p->value = eq + 1;
	p->type = NULL;
	colon = strrchr(eq + 1, ':');
	if (colon != NULL) {
		snprintf(type, 40, "xsd:%.30s", colon + 1);
		if (strlen(colon + 1) > 30 || !genieacs_type_valid(type))
			return 0;
		p->type = type;
		*colon = '\0';
		/* "VALUE:xsd:TYPE": drop the "xsd" too. */
		if (colon - (eq + 1) >= 4 && strcmp(colon - 4, ":xsd") == 0)
			colon[-4] = '\0';
	}
	return 0;
}

static const char *state_name(int state)
{
	switch (state) {
	case GENIEACS_CONFIRMED: return "confirmed";
	case GENIEACS_DRIFT: return "drift";
	case GENIEACS_QUEUED: return "queued";
	case GENIEACS_FAULT: return "fault";
	case GENIEACS_UNKNOWN_DEVICE: return "unknown_device";
	case GENIEACS_ACS_ERROR: return "acs_error";
	}
	return "unknown";
}

static void print_acs(const struct genieacs_result *res, const char *device,
		      const struct genieacs_param *p, size_t n, int json)
{
	const char *outcome = res->out.status == CHAN_UNCERTAIN ? "uncertain" : state_name(res->state);

	if (json) {
		json_t *j = json_object(), *vals = json_array();

		for (size_t i = 0; i < res->n_values && i < n; i++) {
			const struct genieacs_read *r = &res->values[i];

			json_array_append_new(vals, json_pack("{s:s,s:s,s:o,s:o,s:b}", "path", p[i].path,
				"wanted", p[i].value, "read", r->found ? json_string(r->value) : json_null(),
				"type", r->type[0] ? json_string(r->type) : json_null(), "matches",
				r->matches));
		}
		json_object_set_new(j, "device", json_string(device));
		json_object_set_new(j, "outcome", json_string(outcome));
		json_object_set_new(j, "status", json_string(status_name(res->out.status)));
		json_object_set_new(j, "detail", json_string(res->out.detail));
		json_object_set_new(j, "task_id", res->out.peer_id[0] ?
				    json_string(res->out.peer_id) : json_null());
		json_object_set_new(j, "http_status", json_integer(res->http_status));
		json_object_set_new(j, "values", vals);
		print_json(j);
		return;
	}
	printf("outcome: %s\n", outcome);
	printf("detail: %s\n", res->out.detail);
	if (res->out.peer_id[0])
		printf("task: %s\n", res->out.peer_id);
	for (size_t i = 0; i < res->n_values && i < n; i++) {
		const struct genieacs_read *r = &res->values[i];

		if (r->found)
			printf("%s: %s%s%s%s (%s)\n", p[i].path, r->value, r->type[0] ? " [" : "",
			       r->type, r->type[0] ? "]" : "", r->matches ? "as set" : "differs");
		else
			printf("%s: no value (differs)\n", p[i].path);
	}
}

int cmd_provision_genieacs(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance provision genieacs --url URL --device ID "
		"--set PATH=VALUE[:TYPE]... [--check] [--cr-timeout MS] [--timeout SECONDS] "
		"[--username U --password-env VAR] [--json]";
	static const struct cmd_arg_opt opts[] = {
		{ "--url", offsetof(struct acs_args, url), 0 },
		{ "--device", offsetof(struct acs_args, device), 0 },
		{ "--username", offsetof(struct acs_args, username), 0 },
		{ "--password-env", offsetof(struct acs_args, password_env), 0 },
		{ "--timeout", offsetof(struct acs_args, timeout), 0 },
		{ "--cr-timeout", offsetof(struct acs_args, cr_timeout), 0 },
		{ "--check", offsetof(struct acs_args, check), 1 },
		{ "--json", offsetof(struct acs_args, json), 1 },
	};
	struct acs_args a = { 0 };
	struct genieacs_options o = { .log = log_stderr, .log_ctx = (void *)"genieacs" };
	struct genieacs_param p[GENIEACS_MAX_PARAMS];
	char types_buf[GENIEACS_MAX_PARAMS][40];
	struct genieacs_result res;
	struct genieacs *g = NULL;
	char err[256], *body;
	size_t n = 0;
	long v;
	int rc;

	(void)ctx;
	for (int i = 0; i < argc; i++) {
		const char *set;
		int m = cmd_option(argc, argv, &i, "--set", &set);

		if (m < 0)
			return cmd_fail(EXIT_USAGE, "--set needs PATH=VALUE[:TYPE]");
		if (m > 0) {
			if (n == GENIEACS_MAX_PARAMS)
				return cmd_fail(EXIT_USAGE, "--set: at most %d parameters",
						GENIEACS_MAX_PARAMS);
			if (parse_set(argv[i] + (set - argv[i]), &p[n], types_buf[n]) != 0)
				return cmd_fail(EXIT_USAGE, "--set '%s': PATH=VALUE[:TYPE] expected",
						set);
			n++;
			continue;
		}
		if ((m = cmd_arg_take(argc, argv, &i, opts, sizeof(opts) / sizeof(opts[0]), &a,
				      usage)) != 0)
			return m;
	}
	if (a.url == NULL || a.device == NULL || a.device[0] == '\0' || n == 0)
		return cmd_fail(EXIT_USAGE, "--url, --device and at least one --set are required; "
				"usage: %s", usage);
	if ((body = genieacs_task_body(p, n, err, sizeof(err))) == NULL)
		return cmd_fail(EXIT_USAGE, "--set: %s", err);
	free(body);
	o.url = a.url;
	if (a.timeout) {
		if (cmd_number(a.timeout, 1, 600, &v) != 0)
			return cmd_fail(EXIT_USAGE, "--timeout: whole seconds from 1 to 600");
		o.timeout_ms = v * 1000;
	}
	if (a.cr_timeout) {
		if (cmd_number(a.cr_timeout, 1, 600000, &v) != 0)
			return cmd_fail(EXIT_USAGE, "--cr-timeout: milliseconds from 1 to 600000");
		o.cr_timeout_ms = v;
	}
	if ((a.password_env != NULL) != (a.username != NULL))
		return cmd_fail(EXIT_USAGE, "--username and --password-env go together");
	if (a.password_env) {
		o.username = a.username;
		o.password = getenv(a.password_env);
		if (o.password == NULL || o.password[0] == '\0')
			return cmd_fail(EXIT_USAGE, "--password-env: environment variable %s is not set",
					a.password_env);
	}
	if (genieacs_open(&o, &g, err, sizeof(err)) != 0)
		return cmd_fail(EXIT_USAGE, "%s", err);
	rc = a.check ? genieacs_read_back(g, a.device, p, n, &res) :
	     genieacs_apply(g, a.device, p, n, &res);
	genieacs_close(g);
	if (rc != 0)
		return cmd_fail(EXIT_RUNTIME, "genieacs: %s", res.out.detail);
	print_acs(&res, a.device, p, n, a.json);
	if (res.state == GENIEACS_CONFIRMED && res.out.status == CHAN_DONE)
		return EXIT_OK;
	if (res.state == GENIEACS_QUEUED && res.out.status == CHAN_DONE)
		return EXIT_QUEUED;
	return EXIT_RUNTIME;
}
