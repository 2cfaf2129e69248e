/*
 * serve_api — the API's routes over the store (docs/api.md,
 * docs/openapi.yaml): positions, the customer file and its notes, ledger
 * entries, arrangements and policies. Each handler uses its thread's store
 * and command context (serve.h); who is asking was settled by
 * serve_authorize before the handler runs.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../core/caltime.h"
#include "../core/dynbuf.h"
#include "../core/money.h"
#include "../core/policy.h"
#include "../core/position.h"
#include "../http/body.h"
#include "../store/store.h"
#include "cmd.h"
#include "holds.h"
#include "serve.h"

int serve_account(struct app *app, struct http_request *r, struct account_facts *f,
		      struct http_answer *a)
{
	if (account_facts_get(&serve_thread(app)->cmd, serve_thread(app)->store, r->params[0], f) != 0) {
		http_answer_problem(a, 500, "Internal Server Error", "the position could not be read");
		return -1;
	}
	if (!f->found || !serve_may_see_customer(r->principal, f->customer_id)) {
		if (f->found)
			account_facts_release(f);
		http_answer_problem(a, 404, "Not Found", "no account %s", r->params[0]);
		return -1;
	}
	return 0;
}

void serve_json_amount(struct dynbuf *b, const char *name, int64_t minor, int exponent)
{
	char num[48];

	money_format(minor, exponent, num, sizeof(num));
	dynbuf_str(b, ",\"");
	dynbuf_str(b, name);
	dynbuf_str(b, "\":\"");
	dynbuf_str(b, num);
	dynbuf_str(b, "\"");
}

int serve_answer_json(struct http_answer *a, int status, struct dynbuf *b)
{
	if (b->failed) {
		free(b->p);
		b->p = NULL;
		return -1;
	}
	http_answer_json(a, status, b->p);
	b->p = NULL;
	return 0;
}

void serve_json_page_end(struct dynbuf *b, int more, int64_t last)
{
	char num[64];

	if (more)
		snprintf(num, sizeof(num), "],\"next\":%lld}", (long long)last);
	else
		snprintf(num, sizeof(num), "],\"next\":null}");
	dynbuf_str(b, num);
}

static int position(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct account_facts f;
	struct dynbuf b = { .max = 1u << 16 };
	char date[DATE_TEXT_LEN + 1], num[32];

	if (serve_account(app, r, &f, a) != 0)
		return 0;
	dynbuf_str(&b, "{\"account_id\":");
	dynbuf_json_str(&b, f.account_id);
	dynbuf_str(&b, ",\"customer_id\":");
	dynbuf_json_str(&b, f.customer_id);
	dynbuf_str(&b, ",\"currency\":");
	dynbuf_json_str(&b, f.currency);
	serve_json_amount(&b, "balance", f.pos.balance, f.exponent);
	serve_json_amount(&b, "overdue", f.pos.overdue, f.exponent);
	dynbuf_str(&b, ",\"oldest_unpaid_due_on\":");
	if (f.pos.oldest_unpaid_due_on == POSITION_NO_DATE) {
		dynbuf_str(&b, "null");
	} else {
		date_format(f.pos.oldest_unpaid_due_on, date);
		dynbuf_json_str(&b, date);
	}
	snprintf(num, sizeof(num), ",\"days_past_due\":%d}", f.pos.days_past_due);
	dynbuf_str(&b, num);
	account_facts_release(&f);
	return serve_answer_json(a, 200, &b);
}

struct file_page {
	struct dynbuf b;
	int64_t after, limit, n, last;
	int more;
};

static int keep_entry(void *ctx, const struct file_entry_view *e)
{
	struct file_page *p = ctx;
	char when[INSTANT_TEXT_LEN + 1], num[48];

	if (e->seq <= p->after)
		return 0;
	if (p->n == p->limit) {
		p->more = 1;
		return STORE_STOP;
	}
	instant_format(e->at, when);
	snprintf(num, sizeof(num), "%s{\"seq\":%lld,\"at\":", p->n ? "," : "", (long long)e->seq);
	dynbuf_str(&p->b, num);
	dynbuf_json_str(&p->b, when);
	dynbuf_str(&p->b, ",\"account_id\":");
	dynbuf_json_str(&p->b, e->account_id);
	dynbuf_str(&p->b, ",\"kind\":");
	dynbuf_json_str(&p->b, e->kind);
	dynbuf_str(&p->b, ",\"author\":");
	dynbuf_json_str(&p->b, e->author);
	dynbuf_str(&p->b, ",\"body\":");
	dynbuf_json_str(&p->b, e->body);
	dynbuf_str(&p->b, "}");
	p->n++;
	p->last = e->seq;
	return 0;
}

/* Reads a whole-number query parameter within [lo, hi]; def when absent. */
int serve_query_int(struct http_request *r, const char *name, int64_t lo, int64_t hi,
		     int64_t def, int64_t *out, struct http_answer *a)
{
	const char *v = r->query ? r->query(r, name) : NULL;
	char *end = NULL;
	long long n;

	*out = def;
	if (v == NULL)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi) {
		http_answer_problem(a, 400, "Bad Request", "%s must be a whole number from %lld to %lld",
				    name, (long long)lo, (long long)hi);
		return -1;
	}
	*out = n;
	return 0;
}

/* The customer file of the account's customer, a page at a time: ?after=SEQ
 * (the cursor: the last seq of the previous page) and ?limit=N (1-1000). */
static int file(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct account_facts f;
	struct file_page p = { .b = { .max = 64u << 20 } };
	int rc;

	if (serve_query_int(r, "after", 0, INT64_MAX, 0, &p.after, a) != 0 ||
	    serve_query_int(r, "limit", 1, 1000, 100, &p.limit, a) != 0)
		return 0;
	if (serve_account(app, r, &f, a) != 0)
		return 0;
	dynbuf_str(&p.b, "{\"customer_id\":");
	dynbuf_json_str(&p.b, f.customer_id);
	dynbuf_str(&p.b, ",\"entries\":[");
	rc = store_file_scan(serve_thread(app)->store, f.customer_id, keep_entry, &p);
	account_facts_release(&f);
	if (rc != STORE_OK && rc != STORE_STOP) {
		free(p.b.p);
		http_answer_problem(a, 500, "Internal Server Error", "the file could not be read");
		return 0;
	}
	serve_json_page_end(&p.b, p.more, p.last);
	return serve_answer_json(a, 200, &p.b);
}

/* POST a note on the customer file: {"text": "..."}; its author is the
 * token's user, never a name the body gives. */
static int add_note(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct principal *who = r->principal;
	struct account_facts f;
	json_error_t jerr;
	json_t *o = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr), *text;
	const char *key;
	json_t *v;
	int64_t seq = 0;
	int rc;
	char out[128];

	if (o == NULL) {
		http_answer_problem(a, 400, "Bad Request", "line %d, column %d: %s", jerr.line,
				    jerr.column, jerr.text);
		return 0;
	}
	if (!json_is_object(o)) {
		http_answer_problem(a, 400, "Bad Request", "the body must be a JSON object");
		json_decref(o);
		return 0;
	}
	json_object_foreach(o, key, v) {
		if (strcmp(key, "text") != 0) {
			http_answer_problem(a, 400, "Bad Request", "unknown field '%s' (a note has "
					    "\"text\" only)", key);
			json_decref(o);
			return 0;
		}
	}
	text = json_object_get(o, "text");
	if (!json_is_string(text) || json_string_length(text) == 0 ||
	    json_string_length(text) > 8000) {
		http_answer_problem(a, 400, "Bad Request", "\"text\" must be a string of 1 to 8000 "
				    "bytes");
		json_decref(o);
		return 0;
	}
	if (serve_account(app, r, &f, a) != 0) {
		json_decref(o);
		return 0;
	}
	rc = store_begin(serve_thread(app)->store);
	if (rc == STORE_OK)
		rc = store_file_append(serve_thread(app)->store, f.customer_id, f.account_id, serve_now(app), "note",
				       who->user, json_string_value(text), &seq);
	if (rc == STORE_OK)
		rc = store_commit(serve_thread(app)->store);
	if (rc != STORE_OK)
		store_rollback(serve_thread(app)->store);
	json_decref(o);
	if (rc != STORE_OK) {
		account_facts_release(&f);
		http_answer_problem(a, rc == STORE_ERR_INPUT ? 400 : 503, rc == STORE_ERR_INPUT ?
				    "Bad Request" : "Service Unavailable", "the note was not written");
		return 0;
	}
	snprintf(a->location, sizeof(a->location), "/api/v1/accounts/%s/file?after=%lld",
		 f.account_id, (long long)(seq - 1));
	snprintf(out, sizeof(out), "{\"seq\":%lld}", (long long)seq);
	account_facts_release(&f);
	http_answer_json(a, 201, strdup(out));
	return 0;
}

/* serve.h; an empty body, unless empty_ok, is malformed JSON (line 1). */
json_t *serve_body_fields(struct http_request *r, const char *const *allowed, int empty_ok,
			  struct http_answer *a)
{
	json_error_t jerr;
	json_t *o = r->body_len || !empty_ok ?
		json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr) : json_object();
	const char *key;
	json_t *v;

	if (o == NULL) {
		http_answer_problem(a, 400, "Bad Request", "line %d, column %d: %s", jerr.line,
				    jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		http_answer_problem(a, 400, "Bad Request", "the body must be a JSON object");
		json_decref(o);
		return NULL;
	}
	json_object_foreach(o, key, v) {
		size_t k = 0;

		while (allowed[k] != NULL && strcmp(allowed[k], key) != 0)
			k++;
		if (allowed[k] == NULL || !json_is_string(v)) {
			http_answer_problem(a, 400, "Bad Request", allowed[k] == NULL ?
					    "unknown field '%.64s'" : "'%.64s' must be a string", key);
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* ---- ledger entries ------------------------------------------------------------------------ */

/*
 * The problem detail for an import refused: its "request:LINE: what" lines
 * renamed after the items they are about ("payments[0]: what": line 2 is
 * the first item, after the header).
 */
static void import_problem(struct http_answer *a, const char *what, const char *errors)
{
	struct dynbuf b = { .max = 1u << 16 };

	for (const char *line = errors; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		long long n;
		int used = 0;
		char head[64];

		if (sscanf(line, "request:%lld: %n", &n, &used) == 1 && used > 0) {
			snprintf(head, sizeof(head), "%s%s[%lld]: ", b.len ? "; " : "", what, n - 2);
			dynbuf_str(&b, head);
			dynbuf_add(&b, line + used, len - (size_t)used);
		}
		line += len + (nl != NULL);
	}
	http_answer_problem(a, 400, "Bad Request", "%s", b.p && !b.failed ? b.p :
			    "the entries were refused");
	free(b.p);
}

/*
 * POST /api/v1/invoices, /api/v1/payments, /api/v1/credit-notes: one entry
 * or an array of them, with the CSV import's columns as fields (body.h),
 * applied by the import itself: the same validation, all or nothing, and
 * an id already in the ledger with the same content is "unchanged", so a
 * repeated request changes nothing. Amounts are decimal strings: a JSON
 * number is refused (no float on a money path). Imports run one at a time
 * (the import keeps its batches in static memory, and the store would
 * serialise the writes anyway).
 */
static pthread_mutex_t ledger_lock = PTHREAD_MUTEX_INITIALIZER;

static int post_entries(struct app *app, const struct body_kind *k, struct http_request *r,
			struct http_answer *a)
{
	struct import_result res = { 0 };
	char *errors = NULL, out[160], why[256];
	size_t errlen = 0;
	FILE *csv = NULL, *err = NULL;
	int fd = -1, status;

	if ((fd = memfd_create(k->many, MFD_CLOEXEC)) < 0 || (csv = fdopen(dup(fd), "w")) == NULL) {
		http_answer_problem(a, 500, "Internal Server Error", "no room for the request");
		goto out;
	}
	if (body_entries_csv(k, r->body, r->body_len, csv, why, sizeof(why)) < 0) {
		http_answer_problem(a, 400, "Bad Request", "%s", why);
		goto out;
	}
	if (fclose(csv) != 0) {
		csv = NULL;
		http_answer_problem(a, 500, "Internal Server Error", "no room for the request");
		goto out;
	}
	csv = NULL;
	lseek(fd, 0, SEEK_SET);
	if ((err = open_memstream(&errors, &errlen)) == NULL) {
		http_answer_problem(a, 500, "Internal Server Error", "out of memory");
		goto out;
	}
	pthread_mutex_lock(&ledger_lock);
	status = import_stream(&serve_thread(app)->cmd, serve_thread(app)->store, k->many,
			       "request", fd, err, &res);
	pthread_mutex_unlock(&ledger_lock);
	fclose(err);
	err = NULL;
	if (status == EXIT_USAGE) {
		import_problem(a, k->many, errors ? errors : "");
	} else if (status != 0) {
		http_answer_problem(a, 503, "Service Unavailable", "the %s were not stored", k->many);
	} else {
		snprintf(out, sizeof(out), "{\"%s\":%lld,\"new\":%lld,\"unchanged\":%lld}", k->many,
			 (long long)res.total, (long long)res.inserted, (long long)res.same);
		http_answer_json(a, res.inserted > 0 ? 201 : 200, strdup(out));
		/* A payment or a credit note may settle a case, an invoice make
		 * one due: the next cycle, now, acts on it (and restores). */
		if (res.inserted > 0)
			serve_cycle_soon(app);
	}
out:
	if (csv)
		fclose(csv);
	if (err)
		fclose(err);
	if (fd >= 0)
		close(fd);
	free(errors);
	free(res.touched);
	return 0;
}

static int post_invoices(void *ctx, struct http_request *r, struct http_answer *a)
{
	return post_entries(ctx, &body_invoices, r, a);
}

static int post_payments(void *ctx, struct http_request *r, struct http_answer *a)
{
	return post_entries(ctx, &body_payments, r, a);
}

static int post_credit_notes(void *ctx, struct http_request *r, struct http_answer *a)
{
	return post_entries(ctx, &body_credit_notes, r, a);
}

/* ---- arrangements ------------------------------------------------------------------------ */

struct arr_page {
	struct dynbuf b;
	int n;
};

static int keep_arrangement(void *ctx, const struct arrangement_view *v)
{
	struct arr_page *p = ctx;
	char num[64];

	snprintf(num, sizeof(num), "%s{\"id\":", p->n++ ? "," : "");
	dynbuf_str(&p->b, num);
	dynbuf_json_str(&p->b, v->arrangement_id);
	dynbuf_str(&p->b, ",\"kind\":");
	dynbuf_json_str(&p->b, v->kind);
	dynbuf_str(&p->b, ",\"state\":");
	dynbuf_json_str(&p->b, v->state);
	snprintf(num, sizeof(num), ",\"version\":%lld,\"terms\":", (long long)v->version);
	dynbuf_str(&p->b, num);
	/* Terms are the JSON object the store keeps (arrange.h), as they are. */
	dynbuf_str(&p->b, v->terms);
	dynbuf_str(&p->b, ",\"accounts\":[");
	for (size_t i = 0; i < v->n_accounts; i++) {
		if (i)
			dynbuf_str(&p->b, ",");
		dynbuf_json_str(&p->b, v->account_ids[i]);
	}
	dynbuf_str(&p->b, "]}");
	return 0;
}

/* Every arrangement of the account (?live=1: only live ones). */
static int arrangements(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct account_facts f;
	struct arr_page p = { .b = { .max = 16u << 20 } };
	int64_t live;
	int rc;

	if (serve_query_int(r, "live", 0, 1, 0, &live, a) != 0 || serve_account(app, r, &f, a) != 0)
		return 0;
	dynbuf_str(&p.b, "{\"account_id\":");
	dynbuf_json_str(&p.b, f.account_id);
	dynbuf_str(&p.b, ",\"arrangements\":[");
	rc = store_arrangements_of_account(serve_thread(app)->store, f.account_key, (int)live, keep_arrangement, &p);
	account_facts_release(&f);
	dynbuf_str(&p.b, "]}");
	if (rc != STORE_OK || p.b.failed) {
		free(p.b.p);
		http_answer_problem(a, 500, "Internal Server Error", "the arrangements could not be read");
		return 0;
	}
	http_answer_json(a, 200, p.b.p);
	return 0;
}

/* ---- policies ------------------------------------------------------------------------------------ */

struct policy_page {
	struct dynbuf b;
	int n;
	int64_t want;           /* policy_get: the version asked for (0: any) */
	int found;
};

static int keep_policy_item(void *ctx, const struct stored_policy *p)
{
	struct policy_page *pg = ctx;
	char num[96], when[INSTANT_TEXT_LEN + 1];

	instant_format(p->loaded_at, when);
	snprintf(num, sizeof(num), "%s{\"version\":%lld,\"loaded_at\":\"%s\",\"source\":",
		 pg->n++ ? "," : "", (long long)p->version, when);
	dynbuf_str(&pg->b, num);
	dynbuf_json_str(&pg->b, p->source);
	snprintf(num, sizeof(num), ",\"bytes\":%zu}", p->body_len);
	dynbuf_str(&pg->b, num);
	return 0;
}

/* GET /api/v1/policies: every version, without their texts. */
static int policies(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct policy_page pg = { .b = { .max = 4u << 20 } };

	(void)r;
	dynbuf_str(&pg.b, "{\"policies\":[");
	if (store_policy_list(serve_thread(app)->store, keep_policy_item, &pg) != STORE_OK) {
		free(pg.b.p);
		http_answer_problem(a, 503, "Service Unavailable", "the policies could not be read");
		return 0;
	}
	dynbuf_str(&pg.b, "]}");
	return serve_answer_json(a, 200, &pg.b);
}

static int keep_policy_text(void *ctx, const struct stored_policy *p)
{
	struct policy_page *pg = ctx;

	pg->found = 1;
	dynbuf_add(&pg->b, p->body, p->body_len);
	return 0;
}

/* GET /api/v1/policies/{version}: the text exactly as loaded (YAML). */
static int policy_text(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct policy_page pg = { .b = { .max = 8u << 20 } };
	char *end = NULL;
	long long v = strtoll(r->params[0], &end, 10);
	int rc;

	if (end == r->params[0] || *end != '\0' || v < 1) {
		http_answer_problem(a, 404, "Not Found", "no policy version %s", r->params[0]);
		return 0;
	}
	rc = store_policy_get(serve_thread(app)->store, (int64_t)v, keep_policy_text, &pg);
	if (rc != STORE_OK || !pg.found || pg.b.failed) {
		free(pg.b.p);
		http_answer_problem(a, rc == STORE_ERR_INPUT ? 404 : 503, rc == STORE_ERR_INPUT ?
				    "Not Found" : "Service Unavailable", "no policy version %lld", v);
		return 0;
	}
	dynbuf_add(&pg.b, "", 1);   /* NUL-terminated, not counted */
	if (serve_answer_json(a, 200, &pg.b) != 0)
		return -1;
	a->len = pg.b.len - 1;
	a->content_type = "application/yaml; charset=utf-8";
	return 0;
}

/*
 * POST /api/v1/policies with the YAML text as the body: checked as `relance
 * policy check` checks it (every problem as "policy:LINE:COLUMN: message",
 * nothing stored when there is any), then stored as the next version.
 */
static int load_policy(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct principal *who = r->principal;
	struct policy_diags d = { 0 };
	struct policy *p = NULL;
	struct dynbuf b = { .max = 1u << 16 };
	char name[200], out[96];
	int64_t version = 0;
	int rc;

	if (r->body_len == 0 || strlen(r->body) != r->body_len) {
		http_answer_problem(a, 400, "Bad Request", "the body is the policy's YAML text "
				    "(without NUL bytes)");
		return 0;
	}
	if (policy_parse("policy", r->body, r->body_len, &p, &d) != 0) {
		char line[64];

		for (size_t i = 0; i < d.n; i++) {
			snprintf(line, sizeof(line), "%spolicy:%d:%d: ", i ? "; " : "", d.v[i].line,
				 d.v[i].column);
			dynbuf_str(&b, line);
			dynbuf_str(&b, d.v[i].message);
		}
		policy_diags_release(&d);
		http_answer_problem(a, 400, "Bad Request", "%s", b.p && !b.failed ? b.p :
				    "the policy does not parse");
		free(b.p);
		return 0;
	}
	policy_diags_release(&d);
	policy_free(p);
	snprintf(name, sizeof(name), "api, by %s", who->user);
	rc = store_policy_put(serve_thread(app)->store, name, r->body, serve_now(app), &version);
	if (rc != STORE_OK) {
		http_answer_problem(a, 503, "Service Unavailable", "the policy was not stored");
		return 0;
	}
	snprintf(out, sizeof(out), "{\"version\":%lld}", (long long)version);
	snprintf(a->location, sizeof(a->location), "/api/v1/policies/%lld", (long long)version);
	http_answer_json(a, 201, strdup(out));
	return 0;
}

/* ---- arrangements made through the API ------------------------------------------------------- */

/*
 * The arrangement commands (src/cmd/arrange.c) run as they are, so that
 * the API refuses exactly what the command line refuses: the body's fields
 * become the command's options, the author is the one asking, and the
 * command's answer (--json) and refusal come back through buffers
 * (cmd_out, cmd_err). A field of the body maps to one option; anything else
 * is refused before the command runs.
 */
int serve_run_command(struct app *app, struct http_request *r, struct http_answer *a,
		       command_fn fn, const char *subject, const struct field_option *fields,
		       size_t n_fields, unsigned how)
{
	struct principal *who = r->principal;
	json_error_t jerr;
	json_t *o = r->body_len ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr) :
		json_object();
	const char *argv[40], *key;
	char *out = NULL, *err = NULL, role[16], flags[4][32];
	size_t outlen = 0, errlen = 0, n_flags = 0;
	int argc = 0, status;
	json_t *v;

	if (o == NULL || !json_is_object(o)) {
		http_answer_problem(a, 400, "Bad Request", o ? "the body must be a JSON object" :
				    "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		json_decref(o);
		return 0;
	}
	argv[argc++] = subject;
	json_object_foreach(o, key, v) {
		size_t k = 0;

		while (k < n_fields && strcmp(key, fields[k].field) != 0)
			k++;
		if (k == n_fields || !json_is_string(v) || argc + 2 >= 36) {
			http_answer_problem(a, 400, "Bad Request", k == n_fields ?
					    "unknown field '%.64s'" : "'%.64s' must be a string", key);
			json_decref(o);
			return 0;
		}
		if (fields[k].values != NULL) {
			/* A choice becomes the command's flag of that name. */
			size_t c = 0;

			while (fields[k].values[c] && strcmp(fields[k].values[c], json_string_value(v)))
				c++;
			if (fields[k].values[c] == NULL || n_flags == 4) {
				http_answer_problem(a, 400, "Bad Request", "'%s' may not be '%.64s'", key,
						    json_string_value(v));
				json_decref(o);
				return 0;
			}
			snprintf(flags[n_flags], sizeof(flags[0]), "--%s", fields[k].values[c]);
			argv[argc++] = flags[n_flags++];
		} else {
			argv[argc++] = fields[k].option;
			argv[argc++] = json_string_value(v);
		}
	}
	argv[argc++] = "--by";
	argv[argc++] = who->user;
	if (how & RUN_WITH_ROLE) {
		/* The role's own authority: a supervisor's, else an agent's. */
		snprintf(role, sizeof(role), "%s", strcmp(who->role, "supervisor") == 0 ||
			 strcmp(who->role, "administrator") == 0 ? "supervisor" : "agent");
		argv[argc++] = "--role";
		argv[argc++] = role;
	}
	argv[argc++] = "--json";
	argv[argc] = NULL;
	cmd_out = open_memstream(&out, &outlen);
	cmd_err = open_memstream(&err, &errlen);
	status = cmd_out && cmd_err ? fn(&serve_thread(app)->cmd, argc, (char **)argv) : EXIT_RUNTIME;
	if (cmd_out)
		fclose(cmd_out);
	if (cmd_err)
		fclose(cmd_err);
	cmd_out = cmd_err = NULL;
	json_decref(o);
	if (status == 0) {
		http_answer_json(a, how & RUN_CREATES ? 201 : 200, out);
		out = NULL;
	} else {
		/* "relance: reason\n": the reason is the detail. */
		const char *why = err && strncmp(err, "relance: ", 9) == 0 ? err + 9 : err ? err : "";
		size_t len = strcspn(why, "\n");

		if (status == EXIT_USAGE)
			http_answer_problem(a, strstr(why, "changed by someone else") ? 409 :
					    strncmp(why, "no ", 3) == 0 ? 404 : 400,
					    strstr(why, "changed by someone else") ? "Conflict" :
					    strncmp(why, "no ", 3) == 0 ? "Not Found" : "Bad Request",
					    "%.*s", (int)len, why);
		else
			http_answer_problem(a, 503, "Service Unavailable", "%.*s", (int)len, why);
	}
	free(out);
	free(err);
	return 0;
}

static int new_promise(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const struct field_option f[] = {
		{ "amount", "--amount", NULL }, { "date", "--date", NULL }, { "note", "--note", NULL },
	};

	return serve_run_command(ctx, r, a, cmd_promise_add, r->params[0], f, 3, RUN_CREATES);
}

static int new_plan(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const struct field_option f[] = {
		{ "instalments", "--instalments", NULL }, { "amounts", "--amounts", NULL },
		{ "every_days", "--every-days", NULL }, { "day_of_month", "--day-of-month", NULL },
		{ "first", "--first", NULL }, { "down", "--down", NULL }, { "waive", "--waive", NULL },
		{ "note", "--note", NULL },
	};

	return serve_run_command(ctx, r, a, cmd_plan_propose, r->params[0], f, 8,
			   RUN_CREATES | RUN_WITH_ROLE);
}

static int accept_plan(void *ctx, struct http_request *r, struct http_answer *a)
{
	return serve_run_command(ctx, r, a, cmd_plan_accept, r->params[0], NULL, 0, 0);
}

static int new_dispute(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const struct field_option f[] = {
		{ "invoice", "--invoice", NULL }, { "amount", "--amount", NULL },
		{ "reason", "--reason", NULL },
	};

	return serve_run_command(ctx, r, a, cmd_dispute_open, r->params[0], f, 3, RUN_CREATES);
}

/* {"outcome": "upheld" | "rejected", "note": ...} */
static int resolve_dispute(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const char *const outcomes[] = { "upheld", "rejected", NULL };
	static const struct field_option f[] = {
		{ "outcome", NULL, outcomes }, { "note", "--note", NULL },
	};

	return serve_run_command(ctx, r, a, cmd_dispute_resolve, r->params[0], f, 2, 0);
}

static int recall(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const struct field_option f[] = { { "note", "--note", NULL } };

	return serve_run_command(ctx, r, a, cmd_handoff_recall, r->params[0], f, 1, 0);
}


const struct http_route serve_api_routes[] = {
	{ "GET", "/api/v1/accounts/{id}/position", "positions:read", position },
	{ "GET", "/api/v1/accounts/{id}/file", "file:read", file },
	{ "POST", "/api/v1/accounts/{id}/notes", "file:write", add_note },
	{ "POST", "/api/v1/invoices", "ledger:write", post_invoices },
	{ "POST", "/api/v1/payments", "ledger:write", post_payments },
	{ "POST", "/api/v1/credit-notes", "ledger:write", post_credit_notes },
	{ "GET", "/api/v1/accounts/{id}/arrangements", "arrangements:read", arrangements },
	{ "POST", "/api/v1/accounts/{id}/promises", "arrangements:write", new_promise },
	{ "POST", "/api/v1/accounts/{id}/plans", "arrangements:write", new_plan },
	{ "POST", "/api/v1/plans/{id}/accept", "arrangements:write", accept_plan },
	{ "POST", "/api/v1/accounts/{id}/disputes", "arrangements:write", new_dispute },
	{ "POST", "/api/v1/disputes/{id}/resolve", "arrangements:write", resolve_dispute },
	{ "POST", "/api/v1/accounts/{id}/handoff/recall", "arrangements:write", recall },
	{ "GET", "/api/v1/policies", "policies:read", policies },
	{ "GET", "/api/v1/policies/{version}", "policies:read", policy_text },
	{ "POST", "/api/v1/policies", "policies:write", load_policy },
};
const size_t serve_api_n_routes = sizeof(serve_api_routes) / sizeof(serve_api_routes[0]);
