/*
 * sms_http — see sms_http.h. One easy handle, kept, so that libcurl's
 * connection cache lets successive messages share a connection. Each call
 * is a loop of attempts; each attempt ends in one of the classes below, and
 * the loop's result follows from the classes seen (sms_http.h, "Outcome").
 */
#include <assert.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/csvin.h"
#include "../core/dynbuf.h"
#include "chan_text.h"
#include "http_client.h"
#include "sms_http.h"

#define DEFAULT_BODY "{\"to\": \"{to}\", \"text\": \"{text}\", \"key\": \"{key}\"}"

/* What one attempt came to. */
enum attempt {
	ATTEMPT_DONE,           /* 2xx */
	ATTEMPT_REFUSED,        /* a 4xx about the message */
	ATTEMPT_STOP,           /* an answer not to retry now: 401, 403, 407, 3xx */
	ATTEMPT_ANSWERED,       /* 5xx, 408, 429: the gateway says "not now" */
	ATTEMPT_UNSENT,         /* nothing written: could not connect */
	ATTEMPT_LOST,           /* written, no answer: the gateway may have it */
};

struct sms_http {
	const struct config_sms_http *cfg;
	long backoff_ms;
	struct http_client http;        /* reply capped at SMS_HTTP_MAX_REPLY */
	struct curl_slist *headers;     /* per send: holds the key */
};

/* Whole valid UTF-8 (no overlongs, no surrogates): the CSV reader's rule. */
static int utf8_valid(const char *s)
{
	return csvin_utf8_valid(s, strlen(s));
}

/* s as the inside of a JSON string (RFC 8259 section 7). */
static void add_json_escaped(struct dynbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[8];

		switch (ch) {
		case '"': dynbuf_add(b, "\\\"", 2); break;
		case '\\': dynbuf_add(b, "\\\\", 2); break;
		case '\n': dynbuf_add(b, "\\n", 2); break;
		case '\r': dynbuf_add(b, "\\r", 2); break;
		case '\t': dynbuf_add(b, "\\t", 2); break;
		case '\b': dynbuf_add(b, "\\b", 2); break;
		case '\f': dynbuf_add(b, "\\f", 2); break;
		default:
			if (ch < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", ch);
				dynbuf_add(b, esc, 6);
			} else {
				dynbuf_add(b, s, 1);
			}
		}
	}
}

char *sms_http_body(const struct config_sms_http *cfg, const struct chan_action *a, char *err,
		    size_t errsize)
{
	const char *tpl = cfg->body ? cfg->body : DEFAULT_BODY;
	const struct {
		const char *name;
		const char *value;
	} ph[] = {
		{ "{to}", a->to }, { "{text}", a->text ? a->text : "" },
		{ "{key}", a->key }, { "{from}", cfg->from ? cfg->from : "" },
	};
	struct dynbuf b = { .max = SMS_HTTP_MAX_BODY };
	char *ret = NULL;

	if (a->to == NULL || a->to[0] == '\0' || a->key == NULL || a->key[0] == '\0') {
		snprintf(err, errsize, "no number or no idempotency key");
		goto out;
	}
	for (size_t i = 0; i < sizeof(ph) / sizeof(ph[0]); i++) {
		if (!utf8_valid(ph[i].value)) {
			snprintf(err, errsize, "%.*s is not valid UTF-8",
				 (int)strlen(ph[i].name) - 2, ph[i].name + 1);
			goto out;
		}
	}
	while (*tpl) {
		size_t i, n = 0;

		for (i = 0; *tpl == '{' && i < sizeof(ph) / sizeof(ph[0]); i++)
			if (strncmp(tpl, ph[i].name, strlen(ph[i].name)) == 0)
				break;
		if (*tpl == '{' && i < sizeof(ph) / sizeof(ph[0])) {
			add_json_escaped(&b, ph[i].value);
			tpl += strlen(ph[i].name);
			continue;
		}
		/* Copy up to the next '{' in one go. */
		while (tpl[n] && (n == 0 || tpl[n] != '{'))
			n++;
		dynbuf_add(&b, tpl, n);
		tpl += n;
	}
	if (b.failed) {
		snprintf(err, errsize, "request body over %u bytes or out of memory", SMS_HTTP_MAX_BODY);
		goto out;
	}
	ret = b.p;
	b.p = NULL;
out:
	free(b.p);
	return ret;
}

int sms_http_open(const struct config_sms_http *cfg, struct sms_http **out, char *err,
		  size_t errsize)
{
	static const struct sms_http_options defaults;

	return sms_http_open_with(cfg, &defaults, out, err, errsize);
}

int sms_http_open_with(const struct config_sms_http *cfg, const struct sms_http_options *opt,
		       struct sms_http **out, char *err, size_t errsize)
{
	struct sms_http *h = NULL;
	struct http_client_options ho = { .name = "sms http", .reply_max = SMS_HTTP_MAX_REPLY };
	int ret = -1;
	CURLcode c = CURLE_OK;

	assert(cfg != NULL && opt != NULL && out != NULL);
	*out = NULL;
	if (cfg->url == NULL) {
		snprintf(err, errsize, "sms http: url is required");
		goto out;
	}
	if (cfg->method != NULL && strcmp(cfg->method, "POST") != 0 && strcmp(cfg->method, "PUT") != 0) {
		snprintf(err, errsize, "sms http: method must be POST or PUT");
		goto out;
	}
	if ((cfg->auth == CONFIG_AUTH_BEARER && cfg->token == NULL) ||
	    (cfg->auth == CONFIG_AUTH_BASIC && (cfg->username == NULL || cfg->password == NULL))) {
		snprintf(err, errsize, "sms http: auth without its token or username and password");
		goto out;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errsize, "sms http: out of memory");
		goto out;
	}
	h->cfg = cfg;
	h->backoff_ms = opt->backoff_ms > 0 ? opt->backoff_ms : SMS_HTTP_DEFAULT_BACKOFF_MS;
	ho.url = cfg->url;
	ho.timeout_ms = (cfg->timeout_s > 0 ? cfg->timeout_s : 10) * 1000L;
	ho.ca_file = opt->ca_file;
	if (http_client_open(&h->http, &ho, err, errsize) != 0) {
		free(h);
		h = NULL;
		goto out;
	}

#define SET(opt_, val) do { if (c == CURLE_OK) c = curl_easy_setopt(h->http.curl, opt_, val); } while (0)
	if (cfg->method != NULL && strcmp(cfg->method, "PUT") == 0)
		SET(CURLOPT_CUSTOMREQUEST, "PUT");
	if (cfg->auth == CONFIG_AUTH_BEARER) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		SET(CURLOPT_XOAUTH2_BEARER, cfg->token);
	} else if (cfg->auth == CONFIG_AUTH_BASIC) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, cfg->username);
		SET(CURLOPT_PASSWORD, cfg->password);
	}
#undef SET
	if (c != CURLE_OK) {
		snprintf(err, errsize, "sms http: %s", curl_easy_strerror(c));
		goto out;
	}
	*out = h;
	h = NULL;
	ret = 0;
out:
	sms_http_close(h);
	return ret;
}

void sms_http_close(struct sms_http *h)
{
	if (h == NULL)
		return;
	http_client_close(&h->http);
	curl_slist_free_all(h->headers);
	free(h);
}

/* The "message_id" or "id" of a JSON object reply, as text. */
static void reply_id(const char *reply, size_t len, char *id, size_t idsize)
{
	json_t *j = json_loadb(reply, len, 0, NULL), *v = NULL;

	id[0] = '\0';
	if (json_is_object(j)) {
		v = json_object_get(j, "message_id");
		if (!json_is_string(v) && !json_is_integer(v))
			v = json_object_get(j, "id");
	}
	if (json_is_string(v))
		snprintf(id, idsize, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(id, idsize, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	json_decref(j);
}

/* One request; *out holds its detail (and peer id when done). */
static enum attempt attempt_once(struct sms_http *h, struct chan_outcome *out)
{
	struct http_client *hc = &h->http;
	long status = 0;
	int lost = 0;
	char prefix[16];
	CURLcode c;

	c = http_client_perform(hc, &status, &lost);
	if (c == CURLE_OK) {
		snprintf(prefix, sizeof(prefix), "%ld ", status);
		if (status >= 200 && status <= 299) {
			chan_detail_set(out, CHAN_DONE, "accepted", "", 0);
			reply_id(hc->reply, hc->reply_len, out->peer_id, sizeof(out->peer_id));
			return ATTEMPT_DONE;
		}
		chan_detail_set(out, CHAN_FAILED, prefix, hc->reply,
				chan_text_chars(hc->reply, hc->reply_len, 100));
		if (status >= 500 || status == 408 || status == 429)
			return ATTEMPT_ANSWERED;
		if (status >= 400 && status != 401 && status != 403 && status != 407) {
			out->status = CHAN_REFUSED;
			return ATTEMPT_REFUSED;
		}
		return ATTEMPT_STOP;
	}
	/* No complete answer. Whether the request went out decides whether
	 * the gateway may hold it. */
	chan_detail_set(out, CHAN_FAILED, "", hc->errbuf[0] ? hc->errbuf : curl_easy_strerror(c),
			strlen(hc->errbuf[0] ? hc->errbuf : curl_easy_strerror(c)));
	return lost ? ATTEMPT_LOST : ATTEMPT_UNSENT;
}

int sms_http_send(struct sms_http *h, const struct chan_action *a, struct chan_outcome *out)
{
	char err[160], idem[HTTP_CLIENT_IDEM_SIZE], count[48];
	const char *idem_line = idem, *why;
	char *body = NULL;
	struct curl_slist *hd = NULL;
	enum attempt r = ATTEMPT_UNSENT;
	int lost = 0, tries = 0, retries, ret = -1;
	long wait;

	assert(h != NULL && a != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	chan_detail_set(out, CHAN_FAILED, "not sent", "", 0);
	if ((body = sms_http_body(h->cfg, a, err, sizeof(err))) == NULL) {
		chan_detail_set(out, CHAN_REFUSED, err, "", 0);
		ret = 0;
		goto out;
	}
	/* The key goes in a header: it must be one line of printable text. */
	if ((why = http_client_idem_header(a->key, idem)) != NULL) {
		chan_detail_set(out, CHAN_REFUSED, why, "", 0);
		ret = 0;
		goto out;
	}
	if ((hd = http_client_json_headers(&idem_line, 1)) == NULL) {
		chan_detail_set(out, CHAN_FAILED, "out of memory", "", 0);
		goto out;
	}
	if (curl_easy_setopt(h->http.curl, CURLOPT_HTTPHEADER, hd) != CURLE_OK ||
	    curl_easy_setopt(h->http.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body)) != CURLE_OK ||
	    curl_easy_setopt(h->http.curl, CURLOPT_POSTFIELDS, body) != CURLE_OK) {
		chan_detail_set(out, CHAN_FAILED, "libcurl refused an option", "", 0);
		goto out;
	}
	curl_slist_free_all(h->headers);
	h->headers = hd;
	hd = NULL;

	retries = h->cfg->retries > 0 ? h->cfg->retries : 0;
	wait = h->backoff_ms;
	for (;;) {
		r = attempt_once(h, out);
		tries++;
		if (r == ATTEMPT_LOST)
			lost = 1;
		if (r == ATTEMPT_DONE || r == ATTEMPT_REFUSED || r == ATTEMPT_STOP || tries > retries)
			break;
		http_client_sleep_ms(wait);
		wait = wait * 2 > SMS_HTTP_MAX_BACKOFF_MS ? SMS_HTTP_MAX_BACKOFF_MS : wait * 2;
	}
	ret = 0;
	if (r == ATTEMPT_DONE || r == ATTEMPT_REFUSED || r == ATTEMPT_STOP)
		goto out;
	/* Out of retries: a request that may have been taken makes it
	 * uncertain, whatever the later attempts said. */
	snprintf(count, sizeof(count), " (%d attempt%s)", tries, tries > 1 ? "s" : "");
	if (lost) {
		char last[sizeof(out->detail)];

		memcpy(last, out->detail, sizeof(last));
		chan_detail_set(out, CHAN_UNCERTAIN, "no answer after the request was sent: ", last,
				strlen(last));
	} else {
		out->status = CHAN_FAILED;
	}
	if (strlen(out->detail) + strlen(count) < sizeof(out->detail))
		memcpy(out->detail + strlen(out->detail), count, strlen(count) + 1);
out:
	/* The body is freed below: no pointer to it stays in the handle. */
	curl_easy_setopt(h->http.curl, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hd);
	free(body);
	return ret;
}
