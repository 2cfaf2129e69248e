/*
 * http_client — the libcurl easy handle that the HTTP adapters of src/chan/
 * (sms_http, provisioning/webhook, provisioning/genieacs) share: its
 * settings, the answer it collects, one request's result, and the headers
 * of a JSON request.
 *
 * The settings: http and https only, redirects never followed (credentials
 * would go with them), no signals, the one timeout for connecting and for
 * the whole request, the CA file when one is given. The handle is kept
 * between requests so that libcurl's connection cache lets them share a
 * connection.
 *
 * Ownership: a struct http_client is the caller's (embedded in the
 * adapter's handle); http_client_open fills it and owns c->curl and
 * c->reply until http_client_close. o->url and o->ca_file are borrowed and
 * must outlive the client.
 *
 * Threads: one client per thread. libcurl's global state is set up by the
 * first open and released by the last close (reference counted).
 */
#ifndef RELANCE_HTTP_CLIENT_H
#define RELANCE_HTTP_CLIENT_H

#include <curl/curl.h>
#include <stddef.h>

/* Bytes of an idempotency key that can go in a header. */
#define HTTP_CLIENT_MAX_KEY 200
/* "Idempotency-Key: " + the key + NUL, rounded up. */
#define HTTP_CLIENT_IDEM_SIZE (HTTP_CLIENT_MAX_KEY + 32)

struct http_client {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];   /* libcurl's words for the last failure; "" none */
	char *reply;                    /* the last answer's body, at most reply_max
					 * bytes, NUL-terminated after a request */
	size_t reply_len, reply_max;
	int reply_over;                 /* the answer was longer: the rest was dropped */
};

struct http_client_options {
	const char *name;       /* the adapter, prefix of err: "webhook" */
	const char *url;        /* NULL: set per request */
	long timeout_ms;        /* connecting and the whole request, > 0 */
	size_t reply_max;       /* bytes of an answer kept */
	const char *ca_file;    /* PEM authorities instead of the system's; NULL */
};

/*
 * Sets up c for o. Returns 0, or -1 with "<name>: reason" in err (libcurl
 * not initialising, out of memory, an option refused) and nothing to
 * release.
 */
int http_client_open(struct http_client *c, const struct http_client_options *o, char *err,
		     size_t errsize);
/* Whether url is non-NULL and starts with http:// or https://. */
int http_client_url_valid(const char *url);
/* Releases what open took. Harmless on a zeroed client. */
void http_client_close(struct http_client *c);

/*
 * Performs the request set on c->curl. Returns CURLE_OK with *status the
 * HTTP status; else libcurl's code with *lost set when the request had been
 * written (libcurl counts its bytes once they are): the peer may hold it.
 * c->reply holds what came, NUL-terminated.
 */
CURLcode http_client_perform(struct http_client *c, long *status, int *lost);

/*
 * The headers of a JSON request: Content-Type and Accept application/json,
 * an empty Expect (no "100-continue" wait before a larger body), then
 * extra[0..n). The list is the caller's (curl_slist_free_all); NULL when
 * out of memory.
 */
struct curl_slist *http_client_json_headers(const char *const *extra, size_t n);

/*
 * The header line "Idempotency-Key: <key>" into line. Returns NULL, or why
 * the key cannot be a header (the detail of a refusal): a control
 * character, or more than HTTP_CLIENT_MAX_KEY bytes.
 */
const char *http_client_idem_header(const char *key, char line[HTTP_CLIENT_IDEM_SIZE]);

/* Waits ms milliseconds between attempts, resumed after a signal. */
void http_client_sleep_ms(long ms);

#endif
