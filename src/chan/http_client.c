/*
 * http_client — see http_client.h.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_client.h"

/* Keeps the first reply_max bytes of an answer and drops the rest (read
 * all the same, so the connection stays usable). */
static size_t on_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct http_client *c = ctx;
	size_t n = size * nmemb, room = c->reply_max - c->reply_len;

	if (n > room)
		c->reply_over = 1;
	else
		room = n;
	if (room > 0) {
		memcpy(c->reply + c->reply_len, data, room);
		c->reply_len += room;
	}
	return n;
}

int http_client_open(struct http_client *c, const struct http_client_options *o, char *err,
		     size_t errsize)
{
	CURLcode rc = CURLE_OK;

	assert(c != NULL && o != NULL && o->name != NULL && o->timeout_ms > 0);
	memset(c, 0, sizeof(*c));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errsize, "%s: libcurl did not initialise", o->name);
		return -1;
	}
	c->reply_max = o->reply_max;
	if ((c->reply = malloc(o->reply_max + 1)) == NULL || (c->curl = curl_easy_init()) == NULL) {
		snprintf(err, errsize, "%s: out of memory", o->name);
		goto fail;
	}
#define SET(opt_, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(c->curl, opt_, val); } while (0)
	if (o->url != NULL)
		SET(CURLOPT_URL, o->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, c);
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, o->timeout_ms);
	if (o->ca_file != NULL)
		SET(CURLOPT_CAINFO, o->ca_file);
#undef SET
	if (rc != CURLE_OK) {
		snprintf(err, errsize, "%s: %s", o->name, curl_easy_strerror(rc));
		goto fail;
	}
	return 0;
fail:
	http_client_close(c);
	return -1;
}

int http_client_url_valid(const char *url)
{
	return url != NULL && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
}

void http_client_close(struct http_client *c)
{
	if (c == NULL || (c->curl == NULL && c->reply == NULL && c->reply_max == 0))
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->reply);
	memset(c, 0, sizeof(*c));
	curl_global_cleanup();
}

CURLcode http_client_perform(struct http_client *c, long *status, int *lost)
{
	long sent = 0;
	CURLcode rc;

	*status = 0;
	*lost = 0;
	c->reply_len = 0;
	c->reply_over = 0;
	c->errbuf[0] = '\0';
	rc = curl_easy_perform(c->curl);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	} else {
		curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &sent);
		*lost = sent > 0;
	}
	c->reply[c->reply_len] = '\0';
	return rc;
}

struct curl_slist *http_client_json_headers(const char *const *extra, size_t n)
{
	static const char *const json[] = {
		"Content-Type: application/json", "Accept: application/json", "Expect:",
	};
	struct curl_slist *list = NULL, *t;

	for (size_t i = 0; i < sizeof(json) / sizeof(json[0]) + n; i++) {
		const char *line = i < sizeof(json) / sizeof(json[0]) ? json[i] :
				   extra[i - sizeof(json) / sizeof(json[0])];

		if ((t = curl_slist_append(list, line)) == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = t;
	}
	return list;
}

const char *http_client_idem_header(const char *key, char line[HTTP_CLIENT_IDEM_SIZE])
{
	for (const char *p = key; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "the idempotency key has a control character";
	if (strlen(key) > HTTP_CLIENT_MAX_KEY)
		return "the idempotency key is over 200 bytes";
	snprintf(line, HTTP_CLIENT_IDEM_SIZE, "Idempotency-Key: %s", key);
	return NULL;
}

void http_client_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
