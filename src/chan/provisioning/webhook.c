/*
 * webhook — see webhook.h. One easy handle, kept, so that successive
 * requests share a connection. A send is a small state machine:
 *
 *   BUILD → SIGN → SEND → (APPLIED | ALREADY | ERROR_BODY | PERMANENT | AUTH)
 *                    └──→ RETRY → WAIT → SIGN ...  (until the retries run out)
 *
 * each transition after BUILD reported to opt->log as one line.
 */
#include <assert.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../core/caltime.h"
#include "../../core/csvin.h"
#include "../../core/dynbuf.h"
#include "../chan_text.h"
#include "../http_client.h"
#include "webhook.h"

_Static_assert(WEBHOOK_MAX_KEY == HTTP_CLIENT_MAX_KEY, "the key's cap is the header's");

struct webhook {
	char *url;
	char *secret;                   /* wiped at close */
	size_t secret_len;
	long timeout_ms, backoff_ms, max_backoff_ms;
	int retries;
	int64_t sign_at;
	webhook_log_fn *log;
	void *log_ctx;
	struct http_client http;        /* reply capped at WEBHOOK_MAX_REPLY */
};

static const char *const levels[] = { "throttle", "walled_garden", "total", "full" };

int webhook_level_valid(const char *level)
{
	if (level == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(level, levels[i]) == 0)
			return 1;
	return 0;
}

static void log_line(struct webhook *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(struct webhook *w, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (w->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	w->log(w->log_ctx, line);
}

/* ---- the request ----------------------------------------------------------------------- */

static int text_ok(const char *s)
{
	return s == NULL || csvin_utf8_valid(s, strlen(s));
}

/* s as a JSON string, or null when NULL. */
static void add_str_or_null(struct dynbuf *b, const char *s)
{
	if (s == NULL)
		dynbuf_str(b, "null");
	else
		dynbuf_json_str(b, s);
}

char *webhook_body(const struct webhook_request *r, char *err, size_t errsize)
{
	struct dynbuf b = { .max = WEBHOOK_MAX_BODY };
	char at[32];

	assert(r != NULL);
	if (r->service_id == NULL || r->service_id[0] == '\0') {
		snprintf(err, errsize, "no service id");
		return NULL;
	}
	if (r->key == NULL || r->key[0] == '\0') {
		snprintf(err, errsize, "no idempotency key");
		return NULL;
	}
	if (!webhook_level_valid(r->level)) {
		snprintf(err, errsize, "level must be throttle, walled_garden, total or full");
		return NULL;
	}
	if (!text_ok(r->service_id) || !text_ok(r->identifier) || !text_ok(r->account_id) ||
	    !text_ok(r->reason) || !text_ok(r->key)) {
		snprintf(err, errsize, "a field is not valid UTF-8");
		return NULL;
	}
	instant_format(r->at, at);
	dynbuf_str(&b, "{\"service_id\":");
	dynbuf_json_str(&b, r->service_id);
	dynbuf_str(&b, ",\"identifier\":");
	add_str_or_null(&b, r->identifier);
	dynbuf_str(&b, ",\"account_id\":");
	add_str_or_null(&b, r->account_id);
	dynbuf_str(&b, ",\"level\":");
	dynbuf_json_str(&b, r->level);
	dynbuf_str(&b, strcmp(r->level, "full") == 0 ? ",\"action\":\"restore\"" :
		   ",\"action\":\"suspend\"");
	dynbuf_str(&b, ",\"reason\":");
	add_str_or_null(&b, r->reason);
	dynbuf_str(&b, ",\"idempotency_key\":");
	dynbuf_json_str(&b, r->key);
	dynbuf_str(&b, ",\"at\":");
	dynbuf_json_str(&b, at);
	dynbuf_str(&b, "}");
	if (b.failed) {
		free(b.p);
		snprintf(err, errsize, "request body over %u bytes or out of memory",
			 WEBHOOK_MAX_BODY);
		return NULL;
	}
	return b.p;
}

int webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
		 char out[WEBHOOK_SIGNATURE_SIZE])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char prefix[32], hex[2 * crypto_auth_hmacsha256_BYTES + 1];
	int n;

	assert(secret != NULL && (body != NULL || len == 0));
	if (sodium_init() < 0)
		return -1;
	n = snprintf(prefix, sizeof(prefix), "%lld.", (long long)t);
	if (crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret)) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const unsigned char *)prefix, (size_t)n) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len) != 0 ||
	    crypto_auth_hmacsha256_final(&st, mac) != 0) {
		sodium_memzero(&st, sizeof(st));
		return -1;
	}
	sodium_memzero(&st, sizeof(st));
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, WEBHOOK_SIGNATURE_SIZE, "t=%lld,v1=%s", (long long)t, hex);
	return 0;
}

/* A whole signed decimal number of s[0..len). */
static int parse_int64(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;
	int neg = 0;

	if (len > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len || len - i > 18)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

int webhook_verify(const char *secret, const char *header, const char *body, size_t len,
		   int64_t now, int64_t tolerance_s)
{
	char want[WEBHOOK_SIGNATURE_SIZE];
	const char *comma, *v1 = NULL;
	int64_t t;
	size_t vlen = 0;
	int ok;

	if (secret == NULL || header == NULL || strncmp(header, "t=", 2) != 0)
		return -1;
	if ((comma = strchr(header, ',')) == NULL || parse_int64(header + 2, (size_t)(comma - header - 2), &t) != 0)
		return -1;
	/* Several v1= may come (a receiver rotating secrets): any one matching does. */
	if (webhook_sign(secret, t, body, len, want) != 0)
		return -1;
	v1 = strstr(want, ",v1=") + 4;
	ok = 0;
	for (const char *p = comma; p != NULL && *p; p = strchr(p + 1, ',')) {
		const char *start = p + 1, *end = strchr(start, ',');

		vlen = end ? (size_t)(end - start) : strlen(start);
		if (vlen == 3 + 64 && strncmp(start, "v1=", 3) == 0 &&
		    sodium_memcmp(start + 3, v1, 64) == 0)
			ok = 1;
	}
	sodium_memzero(want, sizeof(want));
	if (!ok)
		return -1;
	if (t < now - tolerance_s || t > now + tolerance_s)
		return -2;
	return 0;
}

long webhook_backoff_ms(long first_ms, long max_ms, int repeat)
{
	long wait = first_ms;

	if (repeat < 1 || first_ms <= 0)
		return 0;
	for (int i = 1; i < repeat && wait < max_ms; i++)
		wait = wait > max_ms / 2 ? max_ms : wait * 2;
	return wait > max_ms ? max_ms : wait;
}

/* ---- the answer ------------------------------------------------------------------------ */

void webhook_reply_parse(const char *body, size_t len, struct webhook_reply *out)
{
	json_t *j, *v;

	memset(out, 0, sizeof(*out));
	if (body == NULL || len == 0)
		return;
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return;
	}
	v = json_object_get(j, "status");
	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (strcmp(s, "error") == 0 || strcmp(s, "failed") == 0)
			out->is_error = 1;
		else if (strcmp(s, "already_applied") == 0)
			out->already = 1;
	}
	if (json_is_false(json_object_get(j, "ok")))
		out->is_error = 1;
	v = json_object_get(j, "error");
	if (v != NULL && !json_is_null(v) && !json_is_false(v)) {
		out->is_error = 1;
		if (json_is_object(v))
			v = json_object_get(v, "message");
		if (json_is_string(v))
			chan_text_copy(out->error, sizeof(out->error), json_string_value(v),
				       strlen(json_string_value(v)));
	}
	if (out->is_error && out->error[0] == '\0' &&
	    json_is_string(v = json_object_get(j, "message")))
		chan_text_copy(out->error, sizeof(out->error), json_string_value(v),
				       strlen(json_string_value(v)));
	v = json_object_get(j, "level");
	if (json_is_string(v) && json_string_length(v) < sizeof(out->level))
		chan_text_copy(out->level, sizeof(out->level), json_string_value(v),
			       strlen(json_string_value(v)));
	if (out->is_error)
		out->already = 0;
	json_decref(j);
}

enum webhook_answer webhook_classify(long http_status, const char *body, size_t len,
				     struct webhook_reply *reply)
{
	struct webhook_reply r;

	memset(&r, 0, sizeof(r));
	if (http_status >= 200 && http_status <= 299)
		webhook_reply_parse(body, len, &r);
	if (reply != NULL)
		*reply = r;
	if (http_status == 0 || http_status >= 500 || http_status == 408 || http_status == 429)
		return WEBHOOK_RETRY;
	if (http_status == 401 || http_status == 403)
		return WEBHOOK_AUTH;
	if (http_status < 200 || http_status > 299)
		return WEBHOOK_PERMANENT;
	if (r.is_error)
		return WEBHOOK_ERROR_BODY;
	return r.already ? WEBHOOK_ALREADY : WEBHOOK_APPLIED;
}

/* ---- the handle ------------------------------------------------------------------------ */

int webhook_open(const struct webhook_options *opt, struct webhook **out, char *err,
		 size_t errsize)
{
	struct webhook *w = NULL;
	struct http_client_options ho = { .name = "webhook", .reply_max = WEBHOOK_MAX_REPLY };
	int ret = -1;

	assert(opt != NULL && out != NULL);
	*out = NULL;
	if (!http_client_url_valid(opt->url)) {
		snprintf(err, errsize, "webhook: the url must be http:// or https://");
		goto out;
	}
	if (opt->secret == NULL || opt->secret[0] == '\0') {
		snprintf(err, errsize, "webhook: the secret is required");
		goto out;
	}
	if (sodium_init() < 0) {
		snprintf(err, errsize, "webhook: libsodium did not initialise");
		goto out;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL || (w->url = strdup(opt->url)) == NULL ||
	    (w->secret = strdup(opt->secret)) == NULL) {
		snprintf(err, errsize, "webhook: out of memory");
		goto out;
	}
	w->secret_len = strlen(w->secret);
	w->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : WEBHOOK_DEFAULT_TIMEOUT_MS;
	w->retries = opt->retries > 0 ? opt->retries : opt->retries < 0 ? 0 : WEBHOOK_DEFAULT_RETRIES;
	w->backoff_ms = opt->backoff_ms > 0 ? opt->backoff_ms : WEBHOOK_DEFAULT_BACKOFF_MS;
	w->max_backoff_ms = opt->max_backoff_ms > 0 ? opt->max_backoff_ms :
			    WEBHOOK_DEFAULT_MAX_BACKOFF_MS;
	w->sign_at = opt->sign_at;
	w->log = opt->log;
	w->log_ctx = opt->log_ctx;
	ho.url = w->url;
	ho.timeout_ms = w->timeout_ms;
	ho.ca_file = opt->ca_file;
	if (http_client_open(&w->http, &ho, err, errsize) != 0)
		goto out;
	*out = w;
	w = NULL;
	ret = 0;
out:
	webhook_close(w);
	return ret;
}

void webhook_close(struct webhook *w)
{
	if (w == NULL)
		return;
	http_client_close(&w->http);
	if (w->secret != NULL)
		sodium_memzero(w->secret, w->secret_len);
	free(w->secret);
	free(w->url);
	free(w);
}

/* ---- sending --------------------------------------------------------------------------- */

/*
 * One signed attempt. Returns its class; *status the HTTP status (0: none),
 * *lost whether the request was written without an answer coming back.
 */
static int attempt_once(struct webhook *w, const char *idem, const char *body, size_t len,
			long *status, int *lost, enum webhook_answer *cls, struct webhook_reply *rep)
{
	char sig[WEBHOOK_SIGNATURE_SIZE], sighdr[WEBHOOK_SIGNATURE_SIZE + 32];
	const char *const lines[] = { idem, sighdr };
	int64_t t = w->sign_at ? w->sign_at : (int64_t)time(NULL);
	struct curl_slist *hd;

	*status = 0;
	*lost = 0;
	if (webhook_sign(w->secret, t, body, len, sig) != 0)
		return -1;
	snprintf(sighdr, sizeof(sighdr), "Relance-Signature: %s", sig);
	if ((hd = http_client_json_headers(lines, 2)) == NULL)
		return -1;
	if (curl_easy_setopt(w->http.curl, CURLOPT_HTTPHEADER, hd) != CURLE_OK) {
		curl_slist_free_all(hd);
		return -1;
	}
	/* *lost tells "never reached the receiver" from "may have". */
	http_client_perform(&w->http, status, lost);
	curl_easy_setopt(w->http.curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hd);
	*cls = webhook_classify(*status, w->http.reply, w->http.reply_len, rep);
	return 0;
}

int webhook_send(struct webhook *w, const struct webhook_request *r, struct webhook_result *res)
{
	char err[160], idem[HTTP_CLIENT_IDEM_SIZE];
	const char *why;
	char *body = NULL;
	struct webhook_reply rep;
	enum webhook_answer cls = WEBHOOK_RETRY;
	int lost_any = 0, ret = -1;
	size_t len;

	assert(w != NULL && r != NULL && res != NULL);
	memset(res, 0, sizeof(*res));
	chan_detail_set(&res->out, CHAN_FAILED, "not sent", "", 0);
	if ((body = webhook_body(r, err, sizeof(err))) == NULL) {
		chan_detail_set(&res->out, CHAN_REFUSED, err, "", 0);
		ret = strstr(err, "out of memory") ? -1 : 0;
		goto out;
	}
	/* The key goes in a header: one line of printable text. */
	if ((why = http_client_idem_header(r->key, idem)) != NULL) {
		chan_detail_set(&res->out, CHAN_REFUSED, why, "", 0);
		ret = 0;
		goto out;
	}
	len = strlen(body);
	if (curl_easy_setopt(w->http.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
	    curl_easy_setopt(w->http.curl, CURLOPT_POSTFIELDS, body) != CURLE_OK) {
		chan_detail_set(&res->out, CHAN_FAILED, "libcurl refused an option", "", 0);
		goto out;
	}
	for (;;) {
		int lost;

		if (attempt_once(w, idem, body, len, &res->http_status, &lost, &cls, &rep) != 0) {
			chan_detail_set(&res->out, CHAN_FAILED, "out of memory or libsodium failed", "", 0);
			goto out;
		}
		res->attempts++;
		lost_any |= lost;
		if (res->http_status)
			log_line(w, "attempt %d: %ld (%s)", res->attempts, res->http_status,
			      cls == WEBHOOK_RETRY ? "retryable" : cls == WEBHOOK_PERMANENT ?
			      "refused" : cls == WEBHOOK_AUTH ? "signature refused" :
			      cls == WEBHOOK_ERROR_BODY ? "error in the answer" :
			      cls == WEBHOOK_ALREADY ? "already applied" : "applied");
		else
			log_line(w, "attempt %d: no answer: %s%s", res->attempts,
			      w->http.errbuf[0] ? w->http.errbuf : "connection failed",
			      lost ? " (after the request was sent)" : "");
		if (cls != WEBHOOK_RETRY || res->attempts > w->retries)
			break;
		{
			long wait = webhook_backoff_ms(w->backoff_ms, w->max_backoff_ms, res->attempts);

			log_line(w, "waiting %ld ms before attempt %d", wait, res->attempts + 1);
			http_client_sleep_ms(wait);
		}
	}
	ret = 0;
	switch (cls) {
	case WEBHOOK_APPLIED:
	case WEBHOOK_ALREADY:
		if (rep.level[0] && strcmp(rep.level, r->level) != 0) {
			snprintf(res->confirmed_level, sizeof(res->confirmed_level), "%s", rep.level);
			snprintf(err, sizeof(err), "the receiver reports level %s, not %s",
				 rep.level, r->level);
			chan_detail_set(&res->out, CHAN_FAILED, err, "", 0);
			break;
		}
		snprintf(res->confirmed_level, sizeof(res->confirmed_level), "%s", rep.level);
		if (cls == WEBHOOK_ALREADY)
			chan_detail_set(&res->out, CHAN_ALREADY, rep.level[0] ?
					"already applied: level confirmed" : "already applied", "", 0);
		else if (rep.level[0])
			chan_detail_set(&res->out, CHAN_DONE, "applied: level confirmed", "", 0);
		else
			chan_detail_set(&res->out, CHAN_DONE, "accepted (the answer states no level)", "", 0);
		break;
	case WEBHOOK_ERROR_BODY:
		snprintf(err, sizeof(err), "%ld with an error: ", res->http_status);
		chan_detail_set(&res->out, CHAN_FAILED, err, rep.error[0] ? rep.error : "(no message)",
				strlen(rep.error[0] ? rep.error : "(no message)"));
		break;
	case WEBHOOK_AUTH:
	case WEBHOOK_PERMANENT:
		snprintf(err, sizeof(err), "%ld %s", res->http_status,
			 cls == WEBHOOK_AUTH ? "signature refused: " : "");
		chan_detail_set(&res->out, cls == WEBHOOK_AUTH ? CHAN_FAILED : CHAN_REFUSED, err,
				w->http.reply, chan_text_chars(w->http.reply, w->http.reply_len, 100));
		break;
	case WEBHOOK_RETRY: {
		char last[sizeof(res->out.detail)];

		if (res->http_status)
			snprintf(last, sizeof(last), "%ld %.*s", res->http_status,
				 (int)chan_text_chars(w->http.reply, w->http.reply_len, 100), w->http.reply);
		else
			snprintf(last, sizeof(last), "%.150s",
				 w->http.errbuf[0] ? w->http.errbuf : "connection failed");
		snprintf(err, sizeof(err), "%s after %d attempt%s: ", lost_any ?
			 "no answer (the receiver may have applied it)" : "not applied",
			 res->attempts, res->attempts > 1 ? "s" : "");
		chan_detail_set(&res->out, lost_any ? CHAN_UNCERTAIN : CHAN_FAILED, err, last,
				strlen(last));
		break;
	}
	}
out:
	/* The body is freed below: no pointer to it stays in the handle. */
	curl_easy_setopt(w->http.curl, CURLOPT_POSTFIELDS, NULL);
	free(body);
	return ret;
}
