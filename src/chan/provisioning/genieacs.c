/*
 * genieacs — see genieacs.h. One easy handle, kept, for the task request,
 * the read-back and the deletion of a faulted task. An apply is a state
 * machine, each transition reported to opt->log:
 *
 *   TASK_SENT ─200→ READ_BACK ─→ CONFIRMED | DRIFT
 *             ─202→ QUEUED | FAULTED (→ TASK_DELETED)
 *             ─404→ UNKNOWN_DEVICE
 *             ─no answer / 5xx→ ACS_ERROR
 */
#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../core/csvin.h"
#include "../../core/dynbuf.h"
#include "../chan_text.h"
#include "../http_client.h"
#include "genieacs.h"

struct genieacs {
	char *base;                     /* the NBI url without a trailing '/' */
	long timeout_ms, cr_timeout_ms;
	genieacs_log_fn *log;
	void *log_ctx;
	struct http_client http;        /* reply capped at GENIEACS_MAX_REPLY; longer
					 * is an error (http.reply_over) */
	char reason[96];                /* the last status line's reason phrase */
};

/* A type, and how its values travel in the task's JSON. */
enum kind { KIND_STRING, KIND_BOOL, KIND_SIGNED, KIND_UNSIGNED };
static const struct {
	const char *name;
	enum kind kind;
} types[] = {
	{ "xsd:string", KIND_STRING }, { "xsd:boolean", KIND_BOOL },
	{ "xsd:int", KIND_SIGNED }, { "xsd:long", KIND_SIGNED },
	{ "xsd:unsignedInt", KIND_UNSIGNED }, { "xsd:unsignedLong", KIND_UNSIGNED },
	{ "xsd:dateTime", KIND_STRING }, { "xsd:base64", KIND_STRING },
	{ "xsd:hexBinary", KIND_STRING },
};

static int type_index(const char *type)
{
	if (type == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0)
			return (int)i;
	return -1;
}

int genieacs_type_valid(const char *type)
{
	return type_index(type) >= 0;
}

static void log_line(struct genieacs *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(struct genieacs *g, const char *fmt, ...)
{
	char line[320];
	va_list ap;

	if (g->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	g->log(g->log_ctx, line);
}

/* ---- values ---------------------------------------------------------------------------- */

/* "true"/"1" → 1, "false"/"0" → 0, else -1. */
static int bool_of(const char *s)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
		return 1;
	if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
		return 0;
	return -1;
}

/* A decimal integer as the canonical text ("-0012" → "-12"); -1 when s is
 * not one, or out of the 64-bit range of its kind. */
static int int_text(const char *s, enum kind kind, char out[24])
{
	char *end;

	if (s[0] == '\0' || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) ||
	    (kind == KIND_UNSIGNED && s[0] == '-'))
		return -1;
	errno = 0;
	if (kind == KIND_UNSIGNED) {
		unsigned long long v = strtoull(s, &end, 10);

		if (errno || *end != '\0')
			return -1;
		snprintf(out, 24, "%llu", v);
	} else {
		long long v = strtoll(s, &end, 10);

		if (errno || *end != '\0')
			return -1;
		snprintf(out, 24, "%lld", v);
	}
	return 0;
}

/* UTF-8 of at most max bytes; without control characters when `line`. */
static int text_ok(const char *s, size_t max, int line)
{
	size_t n = strlen(s);

	if (n > max || !csvin_utf8_valid(s, n))
		return 0;
	for (size_t i = 0; line && i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int check_param(const struct genieacs_param *p, size_t i, char *err, size_t errsize)
{
	int t;
	char num[24];

	if (p->path == NULL || p->path[0] == '\0' || !text_ok(p->path, GENIEACS_MAX_PATH, 1) ||
	    strchr(p->path, ',') != NULL) {
		snprintf(err, errsize, "parameter %zu: the path must be 1 to %d bytes of UTF-8 "
			 "without control characters or ','", i + 1, GENIEACS_MAX_PATH);
		return -1;
	}
	if (p->value == NULL || !text_ok(p->value, GENIEACS_MAX_VALUE - 1, 0)) {
		snprintf(err, errsize, "%.*s: the value must be at most %d bytes of UTF-8", 120,
			 p->path, GENIEACS_MAX_VALUE - 1);
		return -1;
	}
	if ((t = type_index(p->type)) < 0) {
		snprintf(err, errsize, "%.*s: unknown type '%.*s'", 120, p->path, 32, p->type);
		return -1;
	}
	if (types[t].kind == KIND_BOOL && bool_of(p->value) < 0) {
		snprintf(err, errsize, "%.*s: xsd:boolean takes true, false, 1 or 0", 120, p->path);
		return -1;
	}
	if ((types[t].kind == KIND_SIGNED || types[t].kind == KIND_UNSIGNED) &&
	    int_text(p->value, types[t].kind, num) != 0) {
		snprintf(err, errsize, "%.*s: %s takes a whole number", 120, p->path, types[t].name);
		return -1;
	}
	return 0;
}

char *genieacs_task_body(const struct genieacs_param *p, size_t n, char *err, size_t errsize)
{
	struct dynbuf b = { .max = 1u << 20 };
	char num[24];

	if (n == 0 || n > GENIEACS_MAX_PARAMS) {
		snprintf(err, errsize, "give 1 to %d parameters", GENIEACS_MAX_PARAMS);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (check_param(&p[i], i, err, errsize) != 0)
			return NULL;
	dynbuf_str(&b, "{\"name\":\"setParameterValues\",\"parameterValues\":[");
	for (size_t i = 0; i < n; i++) {
		int t = type_index(p[i].type);

		dynbuf_str(&b, i ? ",[" : "[");
		dynbuf_json_str(&b, p[i].path);
		dynbuf_str(&b, ",");
		switch (types[t].kind) {
		case KIND_BOOL:
			dynbuf_str(&b, bool_of(p[i].value) ? "true" : "false");
			break;
		case KIND_SIGNED:
		case KIND_UNSIGNED:
			(void)int_text(p[i].value, types[t].kind, num);
			dynbuf_str(&b, num);
			break;
		case KIND_STRING:
			dynbuf_json_str(&b, p[i].value);
			break;
		}
		dynbuf_str(&b, ",");
		dynbuf_json_str(&b, types[t].name);
		dynbuf_str(&b, "]");
	}
	dynbuf_str(&b, "]}");
	if (b.failed) {
		free(b.p);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	return b.p;
}

/* ---- URLs ------------------------------------------------------------------------------ */

/* s percent-encoded: every byte but letters, digits and those of keep. */
static void add_pct(struct dynbuf *b, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr(keep, c) != NULL)) {
			dynbuf_add(b, s, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			dynbuf_add(b, e, 3);
		}
	}
}

static void add_base(struct dynbuf *b, const char *base)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	dynbuf_add(b, base, n);
}

static char *finish(struct dynbuf *b)
{
	if (b->failed) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

char *genieacs_tasks_url(const char *base, const char *device_id, long cr_timeout_ms)
{
	struct dynbuf b = { .max = 64u << 10 };
	char t[48];

	if (device_id == NULL || device_id[0] == '\0')
		return NULL;
	add_base(&b, base);
	dynbuf_str(&b, "/devices/");
	/* GenieACS's route takes letters, digits, '-', '_' and '%' escapes. */
	add_pct(&b, device_id, "-_");
	dynbuf_str(&b, "/tasks?");
	if (cr_timeout_ms > 0) {
		snprintf(t, sizeof(t), "timeout=%ld&", cr_timeout_ms);
		dynbuf_str(&b, t);
	}
	dynbuf_str(&b, "connection_request");
	return finish(&b);
}

char *genieacs_query_url(const char *base, const char *device_id,
			 const struct genieacs_param *p, size_t n)
{
	struct dynbuf b = { .max = 64u << 10 }, q = { .max = 16u << 10 };

	if (device_id == NULL || device_id[0] == '\0')
		return NULL;
	dynbuf_str(&q, "{\"_id\":");
	dynbuf_json_str(&q, device_id);
	dynbuf_str(&q, "}");
	if (q.failed) {
		free(q.p);
		return NULL;
	}
	add_base(&b, base);
	dynbuf_str(&b, "/devices/?query=");
	add_pct(&b, q.p, "-_.~");
	free(q.p);
	dynbuf_str(&b, "&projection=_id");
	for (size_t i = 0; i < n; i++) {
		dynbuf_str(&b, ",");
		add_pct(&b, p[i].path, "-_.~");
	}
	return finish(&b);
}

char *genieacs_task_url(const char *base, const char *task_id)
{
	struct dynbuf b = { .max = 64u << 10 };

	if (task_id == NULL || task_id[0] == '\0')
		return NULL;
	add_base(&b, base);
	dynbuf_str(&b, "/tasks/");
	add_pct(&b, task_id, "-_");
	return finish(&b);
}

/* ---- the read-back --------------------------------------------------------------------- */

/* out->detail from a format; control characters become spaces. */
static void set_detail(struct chan_outcome *out, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_detail(struct chan_outcome *out, int status, const char *fmt, ...)
{
	va_list ap;

	out->status = status;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
	for (char *c = out->detail; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
}

/* The node at a dotted path under doc, or NULL. */
static json_t *node_at(json_t *doc, const char *path)
{
	char part[GENIEACS_MAX_PATH + 1];
	const char *s = path;
	json_t *n = doc;

	while (n != NULL && *s) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);

		if (len == 0 || len >= sizeof(part) || !json_is_object(n))
			return NULL;
		memcpy(part, s, len);
		part[len] = '\0';
		n = json_object_get(n, part);
		s += len;
		if (*s == '.')
			s++;
	}
	return n;
}

/* Reads one parameter of a device document into *r and compares it. */
static void read_one(json_t *dev, const struct genieacs_param *p, struct genieacs_read *r)
{
	json_t *leaf = node_at(dev, p->path), *v = NULL, *t;
	int ti = type_index(p->type);
	enum kind kind = ti >= 0 ? types[ti].kind : KIND_STRING;
	char want[24], got[24];

	memset(r, 0, sizeof(*r));
	if (json_is_object(leaf))
		v = json_object_get(leaf, "_value");
	if (v == NULL || json_is_null(v))
		return;
	r->found = 1;
	t = json_object_get(leaf, "_type");
	if (json_is_string(t))
		chan_text_copy(r->type, sizeof(r->type), json_string_value(t), json_string_length(t));
	if (json_is_string(v)) {
		chan_text_copy(r->value, sizeof(r->value), json_string_value(v), json_string_length(v));
	} else if (json_is_boolean(v)) {
		snprintf(r->value, sizeof(r->value), "%s", json_is_true(v) ? "true" : "false");
	} else if (json_is_integer(v)) {
		snprintf(r->value, sizeof(r->value), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else {
		/* A number with a fraction, an object, an array: shown as JSON,
		 * never equal to what this adapter sets. */
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		chan_text_copy(r->value, sizeof(r->value), s ? s : "?", s ? strlen(s) : 1);
		free(s);
		return;
	}
	/* A string value read back holds exactly what was read: compared
	 * whole, so "walled " is not "walled". */
	if (json_is_string(v) && strlen(r->value) != json_string_length(v))
		return;
	switch (kind) {
	case KIND_BOOL:
		r->matches = json_is_boolean(v) ? (json_is_true(v) == (bool_of(p->value) == 1)) :
			     (bool_of(r->value) >= 0 && bool_of(r->value) == bool_of(p->value));
		break;
	case KIND_SIGNED:
	case KIND_UNSIGNED:
		r->matches = !json_is_boolean(v) && int_text(p->value, kind, want) == 0 &&
			     int_text(r->value, KIND_SIGNED, got) == 0 && strcmp(want, got) == 0;
		/* An unsigned value over 2^63 is text on both sides. */
		if (!r->matches && kind == KIND_UNSIGNED && json_is_string(v) &&
		    int_text(r->value, KIND_UNSIGNED, got) == 0 && int_text(p->value, kind, want) == 0)
			r->matches = strcmp(want, got) == 0;
		break;
	case KIND_STRING:
		/* The value itself, not r->value: that one has its control
		 * characters made spaces for display. */
		r->matches = json_is_string(v) && strcmp(json_string_value(v), p->value) == 0;
		break;
	}
}

int genieacs_compare(const char *doc, size_t len, const char *device_id,
		     const struct genieacs_param *p, size_t n, struct genieacs_result *res)
{
	json_t *arr, *dev = NULL, *d;
	size_t i, bad = 0, first_bad = 0;

	assert(res != NULL && device_id != NULL);
	if (n > GENIEACS_MAX_PARAMS)
		return -1;
	res->n_values = 0;
	arr = json_loadb(doc ? doc : "", doc ? len : 0, 0, NULL);
	if (!json_is_array(arr)) {
		json_decref(arr);
		res->state = GENIEACS_ACS_ERROR;
		set_detail(&res->out, CHAN_FAILED, "the ACS's device list is not a JSON array");
		return 0;
	}
	json_array_foreach(arr, i, d) {
		json_t *id = json_object_get(d, "_id");

		if (!json_is_object(d)) {
			json_decref(arr);
			res->state = GENIEACS_ACS_ERROR;
			set_detail(&res->out, CHAN_FAILED, "the ACS's device list holds a non-object");
			return 0;
		}
		if (json_is_string(id) && strlen(device_id) == json_string_length(id) &&
		    strcmp(json_string_value(id), device_id) == 0)
			dev = d;
	}
	if (dev == NULL) {
		json_decref(arr);
		res->state = GENIEACS_UNKNOWN_DEVICE;
		set_detail(&res->out, CHAN_REFUSED, "device unknown to the ACS");
		return 0;
	}
	for (i = 0; i < n; i++) {
		read_one(dev, &p[i], &res->values[i]);
		if (!res->values[i].matches && bad++ == 0)
			first_bad = i;
	}
	res->n_values = n;
	json_decref(arr);
	if (bad == 0) {
		res->state = GENIEACS_CONFIRMED;
		set_detail(&res->out, CHAN_DONE, "confirmed: %zu value%s read back", n,
			   n == 1 ? "" : "s");
		return 0;
	}
	res->state = GENIEACS_DRIFT;
	if (res->values[first_bad].found)
		set_detail(&res->out, CHAN_FAILED, "drift: %.60s is \"%.30s\", not \"%.30s\"%s",
			   p[first_bad].path, res->values[first_bad].value, p[first_bad].value,
			   bad > 1 ? " (and more)" : "");
	else
		set_detail(&res->out, CHAN_FAILED, "drift: %.80s has no value on the ACS%s",
			   p[first_bad].path, bad > 1 ? " (and more)" : "");
	return 0;
}

/* ---- the handle ------------------------------------------------------------------------ */

/* Keeps the reason phrase of the status line ("HTTP/1.1 202 Task faulted"). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct genieacs *g = ctx;
	size_t n = size * nmemb, i = 0;

	if (n > 5 && memcmp(data, "HTTP/", 5) == 0) {
		while (i < n && data[i] != ' ')
			i++;
		i++;
		while (i < n && data[i] != ' ' && data[i] != '\r' && data[i] != '\n')
			i++;
		if (i < n && data[i] == ' ')
			i++;
		else
			i = n;
		{
			size_t end = i;

			while (end < n && data[end] != '\r' && data[end] != '\n')
				end++;
			chan_text_copy(g->reason, sizeof(g->reason), data + i, end - i);
		}
	}
	return n;
}

int genieacs_open(const struct genieacs_options *opt, struct genieacs **out, char *err,
		  size_t errsize)
{
	struct genieacs *g = NULL;
	struct http_client_options ho = { .name = "genieacs", .reply_max = GENIEACS_MAX_REPLY };
	int ret = -1;
	size_t n;
	CURLcode c = CURLE_OK;

	assert(opt != NULL && out != NULL);
	*out = NULL;
	if (!http_client_url_valid(opt->url)) {
		snprintf(err, errsize, "genieacs: the url must be http:// or https://");
		goto out;
	}
	if (opt->password != NULL && opt->username == NULL) {
		snprintf(err, errsize, "genieacs: a password needs a username");
		goto out;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL || (g->base = strdup(opt->url)) == NULL) {
		snprintf(err, errsize, "genieacs: out of memory");
		goto out;
	}
	n = strlen(g->base);
	while (n > 0 && g->base[n - 1] == '/')
		g->base[--n] = '\0';
	g->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : GENIEACS_DEFAULT_TIMEOUT_MS;
	g->cr_timeout_ms = opt->cr_timeout_ms > 0 ? opt->cr_timeout_ms : 0;
	g->log = opt->log;
	g->log_ctx = opt->log_ctx;
	ho.timeout_ms = g->timeout_ms;
	ho.ca_file = opt->ca_file;
	if (http_client_open(&g->http, &ho, err, errsize) != 0)
		goto out;

#define SET(opt_, val) do { if (c == CURLE_OK) c = curl_easy_setopt(g->http.curl, opt_, val); } while (0)
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, g);
	if (opt->username != NULL) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, opt->username);
		SET(CURLOPT_PASSWORD, opt->password ? opt->password : "");
	}
#undef SET
	if (c != CURLE_OK) {
		snprintf(err, errsize, "genieacs: %s", curl_easy_strerror(c));
		goto out;
	}
	*out = g;
	g = NULL;
	ret = 0;
out:
	genieacs_close(g);
	return ret;
}

void genieacs_close(struct genieacs *g)
{
	if (g == NULL)
		return;
	http_client_close(&g->http);
	free(g->base);
	free(g);
}

/*
 * One request. Returns 0 with *status the HTTP status, or -1 when no
 * answer came (*lost: the request had been written); -2 out of memory.
 * g->http.reply holds the answer, NUL-terminated.
 */
static int request(struct genieacs *g, const char *method, const char *url, const char *body,
		   long *status, int *lost)
{
	struct curl_slist *hd;
	CURLcode c = CURLE_OK;
	int ret;

	*status = 0;
	*lost = 0;
	g->reason[0] = '\0';
	if ((hd = http_client_json_headers(NULL, 0)) == NULL)
		return -2;
#define SET(opt_, val) do { if (c == CURLE_OK) c = curl_easy_setopt(g->http.curl, opt_, val); } while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_HTTPHEADER, hd);
	if (strcmp(method, "POST") == 0) {
		SET(CURLOPT_CUSTOMREQUEST, NULL);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
		SET(CURLOPT_POSTFIELDS, body);
	} else {
		SET(CURLOPT_HTTPGET, 1L);
		SET(CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") == 0 ? NULL : method);
	}
#undef SET
	if (c == CURLE_OK) {
		c = http_client_perform(&g->http, status, lost);
	} else {
		g->http.errbuf[0] = '\0';
		g->http.reply_len = 0;
		g->http.reply[0] = '\0';
	}
	if (c == CURLE_OK) {
		ret = 0;
	} else {
		if (g->http.errbuf[0] == '\0')
			snprintf(g->http.errbuf, sizeof(g->http.errbuf), "%s", curl_easy_strerror(c));
		ret = -1;
	}
	curl_easy_setopt(g->http.curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(g->http.curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(g->http.curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_slist_free_all(hd);
	return ret;
}

/* At most 100 bytes of an answer, for a detail. */
static int short_len(const char *s, size_t len)
{
	size_t n = len < 100 ? len : 100;

	while (n < len && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

int genieacs_read_back(struct genieacs *g, const char *device_id,
		       const struct genieacs_param *p, size_t n, struct genieacs_result *res)
{
	char *url;
	int lost, rc;

	assert(g != NULL && res != NULL);
	memset(res, 0, sizeof(*res));
	if (device_id == NULL || n == 0 || n > GENIEACS_MAX_PARAMS) {
		set_detail(&res->out, CHAN_REFUSED, "no device id, or not 1 to %d parameters",
			   GENIEACS_MAX_PARAMS);
		res->state = GENIEACS_ACS_ERROR;
		return 0;
	}
	if ((url = genieacs_query_url(g->base, device_id, p, n)) == NULL) {
		set_detail(&res->out, CHAN_FAILED, "out of memory");
		res->state = GENIEACS_ACS_ERROR;
		return -1;
	}
	rc = request(g, "GET", url, NULL, &res->http_status, &lost);
	free(url);
	if (rc == -2) {
		set_detail(&res->out, CHAN_FAILED, "out of memory");
		res->state = GENIEACS_ACS_ERROR;
		return -1;
	}
	if (rc != 0) {
		res->state = GENIEACS_ACS_ERROR;
		set_detail(&res->out, CHAN_FAILED, "the ACS did not answer the read-back: %s",
			   g->http.errbuf);
		log_line(g, "read-back: no answer: %s", g->http.errbuf);
		return 0;
	}
	if (res->http_status != 200 || g->http.reply_over) {
		res->state = GENIEACS_ACS_ERROR;
		set_detail(&res->out, CHAN_FAILED, "the read-back got %ld %.*s", res->http_status,
			   g->http.reply_over ? 0 : short_len(g->http.reply, g->http.reply_len), g->http.reply);
		log_line(g, "read-back: %ld", res->http_status);
		return 0;
	}
	genieacs_compare(g->http.reply, g->http.reply_len, device_id, p, n, res);
	log_line(g, "read-back: %s", res->out.detail);
	return 0;
}

int genieacs_cancel(struct genieacs *g, const char *task_id, struct chan_outcome *out)
{
	char *url;
	long status = 0;
	int lost, rc;

	assert(g != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	if ((url = genieacs_task_url(g->base, task_id)) == NULL) {
		set_detail(out, CHAN_FAILED, "no task id, or out of memory");
		return task_id == NULL || task_id[0] == '\0' ? 0 : -1;
	}
	rc = request(g, "DELETE", url, NULL, &status, &lost);
	free(url);
	if (rc == -2) {
		set_detail(out, CHAN_FAILED, "out of memory");
		return -1;
	}
	if (rc != 0)
		set_detail(out, CHAN_FAILED, "the ACS did not answer: %s", g->http.errbuf);
	else if (status >= 200 && status <= 299)
		set_detail(out, CHAN_DONE, "task %.60s deleted", task_id);
	else if (status == 404)
		set_detail(out, CHAN_ALREADY, "task %.60s is no longer queued", task_id);
	else
		set_detail(out, CHAN_FAILED, "deleting task %.60s got %ld", task_id, status);
	log_line(g, "cancel: %s", out->detail);
	return 0;
}

/* The "_id" of the task GenieACS answers with, into out (size bytes). */
static void task_id_of(const char *reply, size_t len, char *out, size_t size)
{
	json_t *j = json_loadb(reply, len, 0, NULL), *id = json_object_get(j, "_id");

	out[0] = '\0';
	if (json_is_string(id))
		chan_text_copy(out, size, json_string_value(id), json_string_length(id));
	json_decref(j);
}

int genieacs_apply(struct genieacs *g, const char *device_id, const struct genieacs_param *p,
		   size_t n, struct genieacs_result *res)
{
	char err[160], *body = NULL, *url = NULL;
	int lost, rc, ret = -1;
	struct chan_outcome del;

	assert(g != NULL && res != NULL);
	memset(res, 0, sizeof(*res));
	res->state = GENIEACS_ACS_ERROR;
	if (device_id == NULL || device_id[0] == '\0') {
		set_detail(&res->out, CHAN_REFUSED, "no device id");
		ret = 0;
		goto out;
	}
	if ((body = genieacs_task_body(p, n, err, sizeof(err))) == NULL) {
		set_detail(&res->out, strcmp(err, "out of memory") ? CHAN_REFUSED : CHAN_FAILED,
			   "%s", err);
		ret = strcmp(err, "out of memory") ? 0 : -1;
		goto out;
	}
	if ((url = genieacs_tasks_url(g->base, device_id, g->cr_timeout_ms)) == NULL) {
		set_detail(&res->out, CHAN_FAILED, "out of memory");
		goto out;
	}
	log_line(g, "task: setParameterValues of %zu value%s to %.80s", n, n == 1 ? "" : "s",
		 device_id);
	rc = request(g, "POST", url, body, &res->http_status, &lost);
	if (rc == -2) {
		set_detail(&res->out, CHAN_FAILED, "out of memory");
		goto out;
	}
	ret = 0;
	if (rc != 0) {
		set_detail(&res->out, lost ? CHAN_UNCERTAIN : CHAN_FAILED, "%s: %s",
			   lost ? "no answer after the task was sent (the ACS may hold it)" :
			   "the ACS is unreachable", g->http.errbuf);
		log_line(g, "task: %s", res->out.detail);
		goto out;
	}
	task_id_of(g->http.reply, g->http.reply_len, res->out.peer_id, sizeof(res->out.peer_id));
	log_line(g, "task: %ld %s%s%s", res->http_status, g->reason,
		 res->out.peer_id[0] ? ", task " : "", res->out.peer_id);
	if (res->http_status == 404) {
		res->state = GENIEACS_UNKNOWN_DEVICE;
		set_detail(&res->out, CHAN_REFUSED, "device unknown to the ACS");
	} else if (res->http_status == 202 && strcasestr(g->reason, "fault") != NULL) {
		char reason[sizeof(g->reason)];

		memcpy(reason, g->reason, sizeof(reason));
		res->state = GENIEACS_FAULT;
		/* Left queued, a faulted task is tried again at each inform. */
		if (res->out.peer_id[0] && genieacs_cancel(g, res->out.peer_id, &del) != 0)
			del.status = CHAN_FAILED;
		set_detail(&res->out, CHAN_REFUSED, "the device refused the values (%s)%s", reason,
			   res->out.peer_id[0] && del.status != CHAN_DONE && del.status != CHAN_ALREADY ?
			   "; the task could not be deleted" : "");
	} else if (res->http_status == 202) {
		res->state = GENIEACS_QUEUED;
		set_detail(&res->out, CHAN_DONE, "queued, not confirmed: the device did not answer "
			   "the connection request (%s)", g->reason[0] ? g->reason : "202");
	} else if (res->http_status == 200) {
		char task[sizeof(res->out.peer_id)];

		memcpy(task, res->out.peer_id, sizeof(task));
		rc = genieacs_read_back(g, device_id, p, n, res);
		memcpy(res->out.peer_id, task, sizeof(task));
		ret = rc;
	} else if (res->http_status == 401 || res->http_status == 403) {
		set_detail(&res->out, CHAN_FAILED, "%ld: the ACS refused the credentials",
			   res->http_status);
	} else if (res->http_status >= 400 && res->http_status <= 499) {
		set_detail(&res->out, CHAN_REFUSED, "%ld %.*s", res->http_status,
			   short_len(g->http.reply, g->http.reply_len), g->http.reply);
	} else {
		set_detail(&res->out, CHAN_FAILED, "%ld %.*s", res->http_status,
			   short_len(g->http.reply, g->http.reply_len), g->http.reply);
	}
out:
	free(body);
	free(url);
	return ret;
}
