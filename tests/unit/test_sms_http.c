/*
 * The HTTP gateway SMS adapter against a real HTTP server on 127.0.0.1
 * (tests/peers/http-gateway.js, started per test): the JSON body and its
 * escaping, the headers and authentication, retries and each outcome.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/chan/sms_http.h"
#include "support.h"

static struct support_peer peer;
/* Short waits between attempts keep the tests fast. */
static const struct sms_http_options fast = { .backoff_ms = 20 };

static void setup(void)
{
	support_peer_init(&peer, "smshttp", "requests.jsonl");
}

static void teardown(void)
{
	support_peer_release(&peer);
}

/* Starts the gateway with extra arguments (NULL-terminated); returns its port. */
static int start_gateway(const char *const *extra)
{
	int port;

	peer.pid = support_start_peer("http-gateway.js", peer.out, extra, &port);
	return port;
}

static json_t *recorded(int n)
{
	return support_jsonl_line(peer.out, n);
}

static int recorded_count(void)
{
	return support_jsonl_count(peer.out);
}

static const char *hdr(json_t *r, const char *name)
{
	return json_string_value(json_object_get(json_object_get(r, "headers"), name));
}

static struct config_sms_http cfg_for(int port)
{
	static char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/sms", port);
	return (struct config_sms_http){ .url = url, .timeout_s = 5, .retries = 2 };
}

static const char *TEXT = "Zoé, payez 12 500 FBu \"avant\" le 24/07\\08\nМерсі!\tДякуємо \x01 end";

static struct chan_action sms(const char *to, const char *key)
{
	return (struct chan_action){
		.key = key, .at = 1721815200, .channel = "sms", .action = "send",
		.to = to, .text = TEXT,
	};
}

Test(sms_http, sends_an_escaped_json_body_with_the_key, .init = setup, .fini = teardown)
{
	struct config_sms_http cfg = cfg_for(start_gateway(NULL));
	struct chan_action a = sms("+25779123456", "A-1|v3|notice#1|once|1");
	struct sms_http *h;
	struct chan_outcome o;
	char err[256], *built;
	json_t *r, *body;

	cfg.body = "{\"msisdn\": \"{to}\", \"message\": \"{text}\", \"ref\": \"{key}\", \"sender\": \"{from}\"}";
	cfg.from = "RELANCE \"SA\"";
	cr_assert_eq(sms_http_open_with(&cfg, &fast, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_DONE, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.detail, "accepted");
	cr_assert_str_eq(o.peer_id, "gw-1");
	sms_http_close(h);

	r = recorded(0);
	cr_assert_not_null(r);
	cr_assert_str_eq(json_string_value(json_object_get(r, "method")), "POST");
	cr_assert_str_eq(json_string_value(json_object_get(r, "url")), "/v1/sms");
	cr_assert_str_eq(hdr(r, "content-type"), "application/json");
	cr_assert_str_eq(hdr(r, "idempotency-key"), "A-1|v3|notice#1|once|1");
	cr_assert_null(hdr(r, "authorization"));
	built = sms_http_body(&cfg, &a, err, sizeof(err));
	cr_assert_not_null(built, "%s", err);
	cr_assert_str_eq(json_string_value(json_object_get(r, "body")), built);
	cr_assert_str_eq(built,
			 "{\"msisdn\": \"+25779123456\", \"message\": \"Zoé, payez 12 500 FBu \\\"avant\\\" "
			 "le 24/07\\\\08\\nМерсі!\\tДякуємо \\u0001 end\", \"ref\": "
			 "\"A-1|v3|notice#1|once|1\", \"sender\": \"RELANCE \\\"SA\\\"\"}");
	body = json_loads(built, 0, NULL);
	cr_assert_not_null(body);
	cr_assert_str_eq(json_string_value(json_object_get(body, "message")), TEXT);
	cr_assert_str_eq(json_string_value(json_object_get(body, "sender")), "RELANCE \"SA\"");
	json_decref(body);
	free(built);
	json_decref(r);
}

Test(sms_http, default_body_and_one_connection, .init = setup, .fini = teardown)
{
	struct config_sms_http cfg = cfg_for(start_gateway(NULL));
	struct chan_action a = sms("+25779123456", "K-1"), b = sms("+25779123457", "K-2");
	struct sms_http *h;
	struct chan_outcome o;
	char err[256];
	json_t *r, *body;

	cr_assert_eq(sms_http_open_with(&cfg, &fast, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_DONE, "%d %s", o.status, o.detail);
	cr_assert_eq(sms_http_send(h, &b, &o), 0);
	cr_assert_eq(o.status, CHAN_DONE, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.peer_id, "gw-2");
	sms_http_close(h);
	r = recorded(1);
	body = json_loads(json_string_value(json_object_get(r, "body")), 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(body, "to")), "+25779123457");
	cr_assert_str_eq(json_string_value(json_object_get(body, "text")), TEXT);
	cr_assert_str_eq(json_string_value(json_object_get(body, "key")), "K-2");
	cr_assert_str_eq(hdr(r, "idempotency-key"), "K-2");
	json_decref(body);
	body = recorded(0);
	/* The second request came over the first one's connection. */
	cr_assert_eq(json_integer_value(json_object_get(r, "client_port")),
		     json_integer_value(json_object_get(body, "client_port")));
	json_decref(body);
	json_decref(r);
}

Test(sms_http, bearer_token_and_put, .init = setup, .fini = teardown)
{
	struct config_sms_http cfg = cfg_for(start_gateway(NULL));
	struct chan_action a = sms("+25779123456", "K-bearer");
	struct sms_http *h;
	struct chan_outcome o;
	char err[256];
	json_t *r;

	cfg.auth = CONFIG_AUTH_BEARER;
	cfg.token = "tok-3f9a.b2";
	cfg.method = "PUT";
	cr_assert_eq(sms_http_open_with(&cfg, &fast, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_DONE, "%d %s", o.status, o.detail);
	sms_http_close(h);
	r = recorded(0);
	cr_assert_str_eq(json_string_value(json_object_get(r, "method")), "PUT");
	cr_assert_str_eq(hdr(r, "authorization"), "Bearer tok-3f9a.b2");
	json_decref(r);
}

Test(sms_http, basic_auth, .init = setup, .fini = teardown)
{
	struct config_sms_http cfg = cfg_for(start_gateway(NULL));
	struct chan_action a = sms("+25779123456", "K-basic");
	struct sms_http *h;
	struct chan_outcome o;
	char err[256], expect[128], b64[96];
	json_t *r;

	cfg.auth = CONFIG_AUTH_BASIC;
	cfg.username = "relance";
	cfg.password = "pä:ss";
	cr_assert_eq(sms_http_open_with(&cfg, &fast, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_DONE, "%d %s", o.status, o.detail);
	sms_http_close(h);
	r = recorded(0);
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)"relance:pä:ss",
			  strlen("relance:pä:ss"), sodium_base64_VARIANT_ORIGINAL);
	snprintf(expect, sizeof(expect), "Basic %s", b64);
	cr_assert_str_eq(hdr(r, "authorization"), expect);
	json_decref(r);
}

Test(sms_http, two_5xx_then_200_is_done_after_three_requests, .init = setup, .fini = teardown)
{
	const char *args[] = { "--fail-first", "2", NULL };
	struct config_sms_http cfg = cfg_for(start_gateway(args));
	struct chan_action a = sms("+25779123456", "K-retry");
	struct sms_http *h;
	struct chan_outcome o;
	char err[256];

	cr_assert_eq(sms_http_open_with(&cfg, &fast, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_DONE, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.peer_id, "gw-3");
	sms_http_close(h);
	cr_assert_eq(recorded_count(), 3);
	/* Every attempt carried the same key, for the gateway to deduplicate. */
	for (int i = 0; i < 3; i++) {
		json_t *r = recorded(i);

		cr_assert_str_eq(hdr(r, "idempotency-key"), "K-retry");
		json_decref(r);
	}
}

Test(sms_http, 5xx_until_the_retries_run_out_fails, .init = setup, .fini = teardown)
{
	const char *args[] = { "--fail-first", "9", NULL };
	struct config_sms_http cfg = cfg_for(start_gateway(args));
	struct chan_action a = sms("+25779123456", "K-5xx");
	struct sms_http *h;
	struct chan_outcome o;
	char err[256];

	cfg.retries = 1;
	cr_assert_eq(sms_http_open_with(&cfg, &fast, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_FAILED, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.detail, "500 {\"error\":\"temporarily unavailable\"} (2 attempts)");
	sms_http_close(h);
	cr_assert_eq(recorded_count(), 2);
}

Test(sms_http, 4xx_is_refused_at_once, .init = setup, .fini = teardown)
{
	struct config_sms_http cfg = cfg_for(start_gateway(NULL));
	struct chan_action a = sms("+25779129999", "K-400");
	struct sms_http *h;
	struct chan_outcome o;
	char err[256];

	cfg.auth = CONFIG_AUTH_BEARER;
	cfg.token = "tok-secret";
	cr_assert_eq(sms_http_open_with(&cfg, &fast, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_REFUSED, "%d %s", o.status, o.detail);
	/* The status and the reply's first 100 characters. */
	cr_assert_str_eq(o.detail, "400 {\"error\":\"unknown destination: the number does not exist "
				   "on this network, check it and send again la");
	cr_assert_null(strstr(o.detail, "tok-secret"));
	sms_http_close(h);
	cr_assert_eq(recorded_count(), 1);
}

Test(sms_http, no_answer_after_sending_is_uncertain, .init = setup, .fini = teardown)
{
	struct config_sms_http cfg = cfg_for(start_gateway(NULL));
	struct chan_action a = sms("+25779120000", "K-slow");
	struct sms_http *h;
	struct chan_outcome o;
	char err[256];

	cfg.timeout_s = 1;
	cfg.retries = 1;
	cr_assert_eq(sms_http_open_with(&cfg, &fast, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_UNCERTAIN, "%d %s", o.status, o.detail);
	cr_assert(strncmp(o.detail, "no answer after the request was sent: ", 38) == 0, "%s", o.detail);
	cr_assert_not_null(strstr(o.detail, "(2 attempts)"), "%s", o.detail);
	sms_http_close(h);
	/* The gateway got both: that is why it is not resent again. */
	cr_assert_eq(recorded_count(), 2);
}

Test(sms_http, a_retry_that_succeeds_after_a_timeout_is_done, .init = setup, .fini = teardown)
{
	const char *args[] = { "--slow-first", "1", NULL };
	struct config_sms_http cfg = cfg_for(start_gateway(args));
	struct chan_action a = sms("+25779123456", "K-slow-then-ok");
	struct sms_http *h;
	struct chan_outcome o;
	char err[256];

	cfg.timeout_s = 1;
	cfg.retries = 1;
	cr_assert_eq(sms_http_open_with(&cfg, &fast, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_DONE, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.peer_id, "gw-2");
	sms_http_close(h);
	cr_assert_eq(recorded_count(), 2);
}

Test(sms_http, gateway_down_fails, .init = setup, .fini = teardown)
{
	struct config_sms_http cfg = cfg_for(support_dead_port());
	struct chan_action a = sms("+25779123456", "K-down");
	struct sms_http *h;
	struct chan_outcome o;
	char err[256];

	cfg.retries = 1;
	cr_assert_eq(sms_http_open_with(&cfg, &fast, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_FAILED, "%d %s", o.status, o.detail);
	cr_assert_not_null(strstr(o.detail, "(2 attempts)"), "%s", o.detail);
	sms_http_close(h);
}

Test(sms_http, unusable_actions_are_refused_without_a_request)
{
	struct config_sms_http cfg = { .url = "http://127.0.0.1:1/", .retries = 0 };
	struct chan_action a = sms("+25779123456", "K-bad");
	struct sms_http *h;
	struct chan_outcome o;
	char err[256];

	cr_assert_eq(sms_http_open_with(&cfg, &fast, &h, err, sizeof(err)), 0, "%s", err);
	a.text = "\xc3\x28";
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_REFUSED, "%d %s", o.status, o.detail);
	cr_assert_str_eq(o.detail, "text is not valid UTF-8");
	a = sms("+25779123456", "K\r\nX-Injected: 1");
	cr_assert_eq(sms_http_send(h, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_REFUSED, "%d %s", o.status, o.detail);
	sms_http_close(h);

	cfg.method = "GET";
	cr_assert_eq(sms_http_open(&cfg, &h, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "sms http: method must be POST or PUT");
}
