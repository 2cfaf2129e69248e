/*
 * provision_radius — `relance provision radius`: one RFC 5176
 * Disconnect-Request or CoA-Request to a NAS, by hand, with the RADIUS
 * adapter's retries, for operators checking a NAS and its shared secret
 * and for the tests (docs/provisioning-radius.md).
 *
 * The secret comes from the environment variable named by --secret-env:
 * never from the command line (other users see argv), and it is never
 * printed. Exit status: 0 on an ACK, 1 on a NAK or no valid answer (or a
 * socket that failed), 2 on bad usage.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../chan/provisioning/radius.h"
#include "cmd.h"

#define MAX_TIMEOUT_MS 60000
#define MAX_TRIES 10

struct args {
	const char *nas, *secret_env, *timeout, *tries;
	int disconnect, coa, json;
};

/* Seconds as "3", "0.5", "1.25" (at most 3 decimals) into milliseconds,
 * 1 ms to MAX_TIMEOUT_MS. */
static int timeout_of(const char *text, int *ms)
{
	long whole = 0, frac = 0, scale = 100;
	const char *p = text;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > MAX_TIMEOUT_MS / 1000)
			return -1;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (scale == 0)
				return -1;
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p != '\0' || whole * 1000 + frac < 1 || whole * 1000 + frac > MAX_TIMEOUT_MS)
		return -1;
	*ms = (int)(whole * 1000 + frac);
	return 0;
}

static int tries_of(const char *text, int *n)
{
	int v = 0;

	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9' || v > MAX_TRIES)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (text[0] == '\0' || v < 1 || v > MAX_TRIES)
		return -1;
	*n = v;
	return 0;
}

static void log_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

static void print_result(const struct radius_result *r, const char *nas, uint8_t code, int json)
{
	const char *cause = r->has_error_cause ? radius_error_cause_name(r->error_cause) : NULL;

	if (json) {
		json_t *o = json_object();
		char *text;

		json_object_set_new(o, "nas", json_string(nas));
		json_object_set_new(o, "request", json_string(radius_code_name(code)));
		json_object_set_new(o, "outcome", json_string(radius_outcome_name(r->outcome)));
		json_object_set_new(o, "code", r->code ? json_string(radius_code_name(r->code)) :
					       json_null());
		json_object_set_new(o, "identifier", json_integer(r->id));
		json_object_set_new(o, "tries", json_integer(r->tries));
		json_object_set_new(o, "elapsed_ms", json_integer(r->elapsed_ms));
		json_object_set_new(o, "discarded", json_integer(r->discarded));
		json_object_set_new(o, "error_cause", r->has_error_cause ?
				    json_integer(r->error_cause) : json_null());
		json_object_set_new(o, "error_cause_name", cause ? json_string(cause) : json_null());
		json_object_set_new(o, "reply_message", r->reply_message[0] ?
				    json_string(r->reply_message) : json_null());
		json_object_set_new(o, "reason", json_string(r->reason));
		text = json_dumps(o, JSON_COMPACT);
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(o);
		return;
	}
	printf("outcome: %s\n", radius_outcome_name(r->outcome));
	if (r->code)
		printf("answer: %s\n", radius_code_name(r->code));
	if (r->has_error_cause)
		printf("error-cause: %u%s%s\n", (unsigned)r->error_cause, cause ? " " : "",
		       cause ? cause : "");
	if (r->reply_message[0])
		printf("reply-message: %s\n", r->reply_message);
	printf("nas: %s\n", nas);
	printf("identifier: %u\n", (unsigned)r->id);
	printf("tries: %d\n", r->tries);
	printf("elapsed: %u ms\n", (unsigned)r->elapsed_ms);
	if (r->discarded)
		printf("discarded: %u\n", (unsigned)r->discarded);
	printf("reason: %s\n", r->reason);
}

int cmd_provision_radius(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance provision radius --nas HOST[:PORT] --secret-env VAR "
		"(--disconnect | --coa) --attr NAME=VALUE... [--timeout SECONDS] [--tries N] [--json]";
	static const struct cmd_arg_opt opts[] = {
		{ "--nas", offsetof(struct args, nas), 0 },
		{ "--secret-env", offsetof(struct args, secret_env), 0 },
		{ "--timeout", offsetof(struct args, timeout), 0 },
		{ "--tries", offsetof(struct args, tries), 0 },
		{ "--disconnect", offsetof(struct args, disconnect), 1 },
		{ "--coa", offsetof(struct args, coa), 1 },
		{ "--json", offsetof(struct args, json), 1 },
	};
	struct args a = { 0 };
	struct radius_avp avps[RADIUS_MAX_ATTRS];
	struct radius_target nas;
	struct radius_options opt = { .log = log_line };
	struct radius_result res;
	const char *secret;
	size_t n = 0;
	uint8_t code;
	char err[256];
	int rc;

	(void)ctx;
	for (int i = 0; i < argc; i++) {
		const char *v;
		int r = cmd_option(argc, argv, &i, "--attr", &v);

		if (r < 0)
			return cmd_fail(EXIT_USAGE, "--attr needs NAME=VALUE");
		if (r > 0) {
			if (n == RADIUS_MAX_ATTRS)
				return cmd_fail(EXIT_USAGE, "at most %d --attr", RADIUS_MAX_ATTRS);
			if (radius_avp_parse(v, &avps[n], err, sizeof(err)) != RADIUS_OK)
				return cmd_fail(EXIT_USAGE, "--attr: %s", err);
			n++;
			continue;
		}
		if ((r = cmd_arg_take(argc, argv, &i, opts, sizeof(opts) / sizeof(opts[0]), &a,
				      usage)) != 0)
			return r;
	}
	if (a.nas == NULL)
		return cmd_fail(EXIT_USAGE, "--nas HOST[:PORT] is missing; usage: %s", usage);
	if (a.secret_env == NULL || a.secret_env[0] == '\0')
		return cmd_fail(EXIT_USAGE, "--secret-env VAR is missing (the shared secret is read "
				"from the environment variable VAR); usage: %s", usage);
	if (a.disconnect == a.coa)
		return cmd_fail(EXIT_USAGE, "give one of --disconnect and --coa; usage: %s", usage);
	if (n == 0)
		return cmd_fail(EXIT_USAGE, "no --attr NAME=VALUE: the request must name a session; "
				"usage: %s", usage);
	if (!radius_avps_identify_session(avps, n))
		return cmd_fail(EXIT_USAGE, "no attribute names the session (User-Name, "
				"Acct-Session-Id, Framed-IP-Address, Calling-Station-Id, NAS-Port, "
				"NAS-Port-Id, Acct-Multi-Session-Id or Chargeable-User-Identity): a "
				"NAS could act on every session");
	if (a.timeout && timeout_of(a.timeout, &opt.timeout_ms) != 0)
		return cmd_fail(EXIT_USAGE, "--timeout: seconds from 0.001 to %d", MAX_TIMEOUT_MS / 1000);
	if (a.tries && tries_of(a.tries, &opt.tries) != 0)
		return cmd_fail(EXIT_USAGE, "--tries: a number from 1 to %d", MAX_TRIES);
	secret = getenv(a.secret_env);
	if (secret == NULL || secret[0] == '\0')
		return cmd_fail(EXIT_USAGE, "--secret-env: the environment variable %s is %s",
				a.secret_env, secret ? "empty" : "not set");
	if (strlen(secret) > RADIUS_MAX_SECRET)
		return cmd_fail(EXIT_USAGE, "--secret-env: the secret in %s is longer than %d octets",
				a.secret_env, RADIUS_MAX_SECRET);
	if (radius_target_parse(a.nas, &nas, err, sizeof(err)) != RADIUS_OK)
		return cmd_fail(EXIT_USAGE, "--nas: %s", err);
	code = a.disconnect ? RADIUS_DISCONNECT_REQUEST : RADIUS_COA_REQUEST;
	/* The NAS checks Event-Timestamp against its own clock (RFC 5176
	 * 3.3), so it is the real time, not --now. */
	opt.event_time = (int64_t)time(NULL);
	rc = radius_send(&nas, code, avps, n, (const uint8_t *)secret, strlen(secret), &opt, &res);
	if (rc == RADIUS_EINVAL || rc == RADIUS_ETOOBIG)
		return cmd_fail(EXIT_USAGE, "%s", res.reason);
	if (rc != RADIUS_OK)
		return cmd_fail(EXIT_RUNTIME, "%s", res.reason);
	print_result(&res, nas.text, code, a.json);
	return res.outcome == RADIUS_ACK ? EXIT_OK : EXIT_RUNTIME;
}
