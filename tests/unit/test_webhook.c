/*
 * The webhook provisioning adapter: the signature over vectors computed
 * apart (openssl dgst -sha256 -hmac), its verification, the backoff
 * schedule, what each answer means, the body, and sends against the
 * receiver of tests/peers/webhook-receiver.js started per test.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/chan/provisioning/webhook.h"
#include "support.h"

/* ---- signature -------------------------------------------------------------------------- */

Test(webhook, signature_known_vectors)
{
	char sig[WEBHOOK_SIGNATURE_SIZE], longkey[101];
	const char *body = "{\"service_id\":\"svc-1\",\"level\":\"total\"}";

	/* printf '%s' '1721894400.{"service_id":"svc-1","level":"total"}' |
	 *   openssl dgst -sha256 -hmac whsec_test */
	cr_assert_eq(webhook_sign("whsec_test", 1721894400, body, strlen(body), sig), 0);
	cr_assert_str_eq(sig, "t=1721894400,v1="
			 "de140687f830ced18c846d1314473e56b7e20b8b200aa2029c8232ae9ef05228");
	/* An empty body: the message is "0." */
	cr_assert_eq(webhook_sign("k", 0, "", 0, sig), 0);
	cr_assert_str_eq(sig, "t=0,v1=6b4a4b8b3c40f1e8f53a3d36682e5f99f7ad2ac1df1c93dfe336f329167641e7");
	/* A UTF-8 secret, used as its bytes. */
	cr_assert_eq(webhook_sign("Zoé-secret €", 1721894400, "", 0, sig), 0);
	cr_assert_str_eq(sig, "t=1721894400,v1="
			 "15863221a625feb1a78dbd3638c64aa226f8d5299b4bf493be425df4ab60bc65");
	/* A negative instant keeps its sign in the message. */
	cr_assert_eq(webhook_sign("whsec_test", -5, "{}", 2, sig), 0);
	cr_assert_str_eq(sig, "t=-5,v1=25c09c6f3a12c205073efd341a82541b3a3771a6f6646abe0ab03e98549f25c8");
	/* A key longer than SHA-256's block is hashed first (RFC 2104). */
	memset(longkey, 'a', 100);
	longkey[100] = '\0';
	cr_assert_eq(webhook_sign(longkey, 1700000000, "body", 4, sig), 0);
	cr_assert_str_eq(sig, "t=1700000000,v1="
			 "83d379b4a62a6bd8015b9fc298d3e0a48107bc446f2c525e85c02fed017a3dd1");
}

Test(webhook, verify_accepts_only_a_fresh_matching_signature)
{
	const char *body = "{\"service_id\":\"svc-1\",\"level\":\"total\"}";
	const char *good = "t=1721894400,v1="
			   "de140687f830ced18c846d1314473e56b7e20b8b200aa2029c8232ae9ef05228";
	char two[256], bad[WEBHOOK_SIGNATURE_SIZE];

	cr_assert_eq(webhook_verify("whsec_test", good, body, strlen(body), 1721894400, 300), 0);
	cr_assert_eq(webhook_verify("whsec_test", good, body, strlen(body), 1721894700, 300), 0);
	cr_assert_eq(webhook_verify("whsec_test", good, body, strlen(body), 1721894701, 300), -2);
	cr_assert_eq(webhook_verify("whsec_test", good, body, strlen(body), 1721894099, 300), -2);
	cr_assert_eq(webhook_verify("other", good, body, strlen(body), 1721894400, 300), -1);
	cr_assert_eq(webhook_verify("whsec_test", good, body, strlen(body) - 1, 1721894400, 300), -1);
	/* Another t with the same v1 does not match: t is signed. */
	snprintf(bad, sizeof(bad), "t=1721894401,%s", strchr(good, ',') + 1);
	cr_assert_eq(webhook_verify("whsec_test", bad, body, strlen(body), 1721894400, 300), -1);
	/* One of several v1 (a receiver rotating its secret). */
	snprintf(two, sizeof(two), "t=1721894400,v1=%064d,%s", 0, strchr(good, ',') + 1);
	cr_assert_eq(webhook_verify("whsec_test", two, body, strlen(body), 1721894400, 300), 0);
	cr_assert_eq(webhook_verify("whsec_test", "", body, strlen(body), 1721894400, 300), -1);
	cr_assert_eq(webhook_verify("whsec_test", "t=,v1=", body, strlen(body), 1721894400, 300), -1);
	cr_assert_eq(webhook_verify("whsec_test", "t=1721894400", body, strlen(body), 1721894400,
				    300), -1);
}

/* ---- backoff and classes ---------------------------------------------------------------- */

Test(webhook, backoff_doubles_to_its_cap)
{
	const long want[] = { 0, 500, 1000, 2000, 4000, 8000, 8000, 8000 };

	for (int i = 0; i < 8; i++)
		cr_assert_eq(webhook_backoff_ms(500, 8000, i), want[i], "repeat %d", i);
	cr_assert_eq(webhook_backoff_ms(300, 1000, 3), 1000);
	cr_assert_eq(webhook_backoff_ms(300, 1000, 2), 600);
	cr_assert_eq(webhook_backoff_ms(100, 8000, 1000), 8000, "no overflow on many repeats");
	cr_assert_eq(webhook_backoff_ms(0, 8000, 3), 0);
	cr_assert_eq(webhook_backoff_ms(LONG_MAX / 2 + 1, LONG_MAX, 3), LONG_MAX);
}

Test(webhook, classifies_answers)
{
	struct webhook_reply r;
	const char *ok = "{\"status\":\"applied\",\"level\":\"total\"}";
	const char *err = "{\"status\":\"error\",\"error\":\"locked\"}";

	cr_assert_eq(webhook_classify(200, ok, strlen(ok), &r), WEBHOOK_APPLIED);
	cr_assert_str_eq(r.level, "total");
	cr_assert_eq(webhook_classify(204, "", 0, &r), WEBHOOK_APPLIED);
	cr_assert_str_eq(r.level, "");
	cr_assert_eq(webhook_classify(200, "not json", 8, &r), WEBHOOK_APPLIED);
	cr_assert_eq(webhook_classify(200, err, strlen(err), &r), WEBHOOK_ERROR_BODY);
	cr_assert_str_eq(r.error, "locked");
	cr_assert_eq(webhook_classify(201, "{\"ok\":false,\"message\":\"no such line\"}", 37, &r),
		     WEBHOOK_ERROR_BODY);
	cr_assert_str_eq(r.error, "no such line");
	cr_assert_eq(webhook_classify(200, "{\"error\":{\"message\":\"m\"}}", 25, &r),
		     WEBHOOK_ERROR_BODY);
	cr_assert_str_eq(r.error, "m");
	cr_assert_eq(webhook_classify(200, "{\"error\":null,\"level\":\"full\"}", 29, &r),
		     WEBHOOK_APPLIED);
	cr_assert_eq(webhook_classify(200, "{\"status\":\"already_applied\",\"level\":\"full\"}",
				      43, &r), WEBHOOK_ALREADY);
	cr_assert_str_eq(r.level, "full");
	cr_assert_eq(webhook_classify(400, err, strlen(err), &r), WEBHOOK_PERMANENT);
	cr_assert_eq(r.is_error, 0, "a 4xx body is not read");
	cr_assert_eq(webhook_classify(404, "", 0, NULL), WEBHOOK_PERMANENT);
	cr_assert_eq(webhook_classify(422, "", 0, NULL), WEBHOOK_PERMANENT);
	cr_assert_eq(webhook_classify(302, "", 0, NULL), WEBHOOK_PERMANENT);
	cr_assert_eq(webhook_classify(401, "", 0, NULL), WEBHOOK_AUTH);
	cr_assert_eq(webhook_classify(403, "", 0, NULL), WEBHOOK_AUTH);
	cr_assert_eq(webhook_classify(408, "", 0, NULL), WEBHOOK_RETRY);
	cr_assert_eq(webhook_classify(429, "", 0, NULL), WEBHOOK_RETRY);
	cr_assert_eq(webhook_classify(500, "", 0, NULL), WEBHOOK_RETRY);
	cr_assert_eq(webhook_classify(503, "", 0, NULL), WEBHOOK_RETRY);
	cr_assert_eq(webhook_classify(0, NULL, 0, NULL), WEBHOOK_RETRY, "no answer");
}

Test(webhook, reply_text_is_cut_and_cleaned)
{
	struct webhook_reply r;
	char body[600];

	/* A long error is cut between characters; a newline becomes a space. */
	snprintf(body, sizeof(body), "{\"error\":\"line1\\nline2 %0300d é\"}", 0);
	webhook_reply_parse(body, strlen(body), &r);
	cr_assert(r.is_error);
	cr_assert_eq(strncmp(r.error, "line1 line2 000", 15), 0);
	cr_assert_lt(strlen(r.error), sizeof(r.error));
	/* A level too long for the field is no level at all. */
	snprintf(body, sizeof(body), "{\"level\":\"%040d\"}", 0);
	webhook_reply_parse(body, strlen(body), &r);
	cr_assert_str_eq(r.level, "");
	/* Not NUL-terminated input. */
	webhook_reply_parse("{\"level\":\"total\"}xxxx", 17, &r);
	cr_assert_str_eq(r.level, "total");
}

/* ---- body ------------------------------------------------------------------------------- */

Test(webhook, body_in_order_escaped_with_nulls)
{
	struct webhook_request r = {
		.service_id = "svc \"1\"\\", .identifier = "+25779123456", .account_id = NULL,
		.level = "walled_garden", .reason = "unpaid\nsince 24/07 — Zoé", .key = "K-1",
		.at = 1721894400,
	};
	char err[128], *b = webhook_body(&r, err, sizeof(err));

	cr_assert_not_null(b, "%s", err);
	cr_assert_str_eq(b, "{\"service_id\":\"svc \\\"1\\\"\\\\\",\"identifier\":\"+25779123456\","
			 "\"account_id\":null,\"level\":\"walled_garden\",\"action\":\"suspend\","
			 "\"reason\":\"unpaid\\nsince 24/07 — Zoé\",\"idempotency_key\":\"K-1\","
			 "\"at\":\"2024-07-25T08:00:00Z\"}");
	free(b);
	r.level = "full";
	r.reason = NULL;
	b = webhook_body(&r, err, sizeof(err));
	cr_assert_not_null(strstr(b, "\"action\":\"restore\",\"reason\":null"));
	free(b);
	r.level = "partial";
	cr_assert_null(webhook_body(&r, err, sizeof(err)));
	r.level = "total";
	r.reason = "\xff";
	cr_assert_null(webhook_body(&r, err, sizeof(err)));
	cr_assert_str_eq(err, "a field is not valid UTF-8");
	r.reason = NULL;
	r.key = "";
	cr_assert_null(webhook_body(&r, err, sizeof(err)));
}

/* ---- against the receiver --------------------------------------------------------------- */

static struct support_peer peer;
static const char *SECRET = "whsec-unit-0123456789";

static void setup(void)
{
	support_peer_init(&peer, "webhook", "requests.jsonl");
	setenv("WEBHOOK_SECRET", SECRET, 1);
}

static void teardown(void)
{
	support_peer_release(&peer);
}

static struct webhook *open_at(int port, int retries, long timeout_ms, int64_t sign_at)
{
	static char url[64];
	struct webhook_options o = {
		.url = url, .secret = SECRET, .timeout_ms = timeout_ms, .retries = retries,
		.backoff_ms = 20, .sign_at = sign_at,
	};
	struct webhook *w = NULL;
	char err[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", port);
	cr_assert_eq(webhook_open(&o, &w, err, sizeof(err)), 0, "%s", err);
	return w;
}

static int peer_port;

/* Sends r with w: the outcome's status, and the attempts made (-1: any). */
static void send_expect(struct webhook *w, const struct webhook_request *r,
			struct webhook_result *res, int status, int attempts)
{
	cr_assert_eq(webhook_send(w, r, res), 0);
	cr_assert_eq(res->out.status, status, "%s", res->out.detail);
	if (attempts >= 0)
		cr_assert_eq(res->attempts, attempts);
}

static int start_receiver(void)
{
	static const char *const extra[] = { "--slow-ms", "1500", NULL };

	peer.pid = support_start_peer("webhook-receiver.js", peer.out, extra, &peer_port);
	return peer_port;
}

static struct webhook_request req(const char *service, const char *key)
{
	return (struct webhook_request){
		.service_id = service, .level = "total", .reason = "unpaid", .key = key,
		.at = 1721894400,
	};
}

Test(webhook, applied_and_confirmed, .init = setup, .fini = teardown)
{
	struct webhook *w = open_at(start_receiver(), 2, 3000, 0);
	struct webhook_request r = req("svc-1", "K-1");
	struct webhook_result res;
	json_t *line;

	send_expect(w, &r, &res, CHAN_DONE, -1);
	cr_assert_str_eq(res.confirmed_level, "total");
	cr_assert_eq(res.attempts, 1);
	line = support_jsonl_line(peer.out, 0);
	cr_assert_str_eq(json_string_value(json_object_get(line, "signature")), "ok");
	cr_assert_str_eq(json_string_value(json_object_get(line, "idempotency_key")), "K-1");
	json_decref(line);
	/* The same key again: already applied, not applied twice. */
	send_expect(w, &r, &res, CHAN_ALREADY, -1);
	webhook_close(w);
}

Test(webhook, retried_after_503_with_the_same_key, .init = setup, .fini = teardown)
{
	struct webhook *w = open_at(start_receiver(), 3, 3000, 0);
	struct webhook_request r = req("fail2-9", "K-f");
	struct webhook_result res;

	send_expect(w, &r, &res, CHAN_DONE, 3);
	cr_assert_eq(support_jsonl_count(peer.out), 3);
	/* With one repeat only, the 503s win: failed (each was answered),
	 * not uncertain. */
	r = req("fail2-10", "K-f2");
	webhook_close(w);
	w = open_at(peer_port, 1, 3000, 0);
	send_expect(w, &r, &res, CHAN_FAILED, 2);
	cr_assert_eq(res.http_status, 503);
	webhook_close(w);
}

Test(webhook, permanent_error_body_and_auth, .init = setup, .fini = teardown)
{
	int port = start_receiver();
	struct webhook *w = open_at(port, 3, 3000, 0);
	struct webhook_request r = req("bad-1", "K-b");
	struct webhook_result res;

	send_expect(w, &r, &res, CHAN_REFUSED, 1);
	cr_assert_not_null(strstr(res.out.detail, "400 "));
	r = req("errbody-1", "K-e");
	send_expect(w, &r, &res, CHAN_FAILED, -1);
	cr_assert_not_null(strstr(res.out.detail, "service is locked by an agent"));
	cr_assert_eq(res.attempts, 1);
	webhook_close(w);
	/* Signed an hour ago: the receiver refuses it as stale. */
	w = open_at(port, 3, 3000, (int64_t)time(NULL) - 3600);
	r = req("svc-2", "K-stale");
	send_expect(w, &r, &res, CHAN_FAILED, -1);
	cr_assert_eq(res.http_status, 401);
	cr_assert_eq(res.attempts, 1);
	cr_assert_null(strstr(res.out.detail, SECRET));
	webhook_close(w);
	cr_assert_eq(support_jsonl_count(peer.out), 3);
}

Test(webhook, timeout_is_uncertain_and_refused_connection_failed, .init = setup,
     .fini = teardown)
{
	struct webhook *w = open_at(start_receiver(), 1, 400, 0);
	struct webhook_request r = req("slow-1", "K-s");
	struct webhook_result res;

	send_expect(w, &r, &res, CHAN_UNCERTAIN, 2);
	cr_assert_eq(res.http_status, 0);
	webhook_close(w);
	w = open_at(support_dead_port(), 2, 400, 0);
	send_expect(w, &r, &res, CHAN_FAILED, 3);
	webhook_close(w);
}

Test(webhook, refuses_what_cannot_be_sent)
{
	struct webhook *w = open_at(support_dead_port(), 1, 400, 0);
	struct webhook_request r = req("svc", "bad\nkey");
	struct webhook_result res;
	struct webhook_options o = { .url = "ftp://x", .secret = "s" };
	char err[128];
	struct webhook *x;

	cr_assert_eq(webhook_send(w, &r, &res), 0);
	cr_assert_eq(res.out.status, CHAN_REFUSED);
	cr_assert_eq(res.attempts, 0);
	r.key = "K";
	r.level = "partial";
	cr_assert_eq(webhook_send(w, &r, &res), 0);
	cr_assert_eq(res.out.status, CHAN_REFUSED);
	webhook_close(w);
	cr_assert_eq(webhook_open(&o, &x, err, sizeof(err)), -1);
	o.url = "http://127.0.0.1:1/";
	o.secret = "";
	cr_assert_eq(webhook_open(&o, &x, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "secret"));
}
