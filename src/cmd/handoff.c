/*
 * handoff — `relance handoff export --to DIR [--party P]`: what each party
 * holding cases needs, one pair of files per party (docs/arrangements.md
 * "Hand-off"):
 *
 *   DIR/handoff-PARTY-YYYY-MM-DD.csv   one line per case: who, what is owed,
 *                                      what was paid since the hand-off
 *   DIR/handoff-PARTY-YYYY-MM-DD.json  the same with the ledger and the last
 *                                      entries of the customer file
 *
 * Every live hand-off is exported, credit bureau listings included, so that
 * payments that keep arriving are reported to the party. Each file is
 * written under a temporary name and renamed into place: a reader never
 * sees half a file, and a failed export leaves none.
 *
 * Without --to, each party's files go where the operations file says
 * (handoffs.parties.NAME): into its folder, or POSTed to its webhook (the
 * JSON file as the body, Authorization: Bearer when a token is set, and
 * Idempotency-Key: handoff-PARTY-DATE so that a repeated delivery of one
 * day's file is recognised; 5xx, 408, 429 and connection failures are
 * retried twice). A party with live cases and no destination is refused
 * before anything is written.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/arrange.h"
#include "../core/caltime.h"
#include "../core/ledger.h"
#include "../store/store.h"
#include "cmd.h"
#include "cmdconfig.h"
#include "holds.h"
#include "out.h"

#define FILE_TAIL 5     /* customer file entries in the JSON, the latest */

struct case_out {
	char id[32], party[32], customer_id[128], account_id[128];
	int64_t handed_at;
};

struct cases {
	struct case_out *v;
	size_t n;
	const char *party;      /* NULL: every party */
};

static int keep_case(void *ctx, const struct arrangement_view *a)
{
	struct cases *c = ctx;
	struct arrange_terms t;
	struct case_out *v;

	if (strcmp(a->kind, "handoff") != 0)
		return 0;
	if (arrange_terms_decode(a->terms, &t) != ARRANGE_OK)
		return STORE_ERR_INPUT;
	if (t.party == NULL || (c->party && strcmp(c->party, t.party) != 0)) {
		arrange_terms_release(&t);
		return 0;
	}
	for (size_t i = 0; i < a->n_accounts; i++) {
		if ((v = realloc(c->v, (c->n + 1) * sizeof(*v))) == NULL) {
			arrange_terms_release(&t);
			return STORE_ERR_NOMEM;
		}
		c->v = v;
		v = &v[c->n++];
		snprintf(v->id, sizeof(v->id), "%s", a->arrangement_id);
		snprintf(v->party, sizeof(v->party), "%s", t.party);
		snprintf(v->customer_id, sizeof(v->customer_id), "%s", a->customer_id);
		snprintf(v->account_id, sizeof(v->account_id), "%s", a->account_ids[i]);
		v->handed_at = a->created_at;
	}
	arrange_terms_release(&t);
	return 0;
}

/* ---- one case ------------------------------------------------------------------------ */

struct who {
	char name[256], phone[64], email[256], locale[36];
};

static int keep_who(void *ctx, const struct customer_view *v)
{
	struct who *w = ctx;

	snprintf(w->name, sizeof(w->name), "%s", v->name);
	snprintf(w->phone, sizeof(w->phone), "%s", v->phone ? v->phone : "");
	snprintf(w->email, sizeof(w->email), "%s", v->email ? v->email : "");
	snprintf(w->locale, sizeof(w->locale), "%s", v->locale);
	return 0;
}

struct ledger_out {
	FILE *json;             /* NULL: only sum */
	int exponent;
	int64_t since, paid_since;
	int first;
};

static void json_entry(struct ledger_out *o, const char *kind, const char *id, int32_t day,
		       int64_t at, int64_t amount, const char *invoice_id)
{
	char when[INSTANT_TEXT_LEN + 1];

	fprintf(o->json, "%s{\"kind\":\"%s\",\"id\":", o->first ? "" : ",", kind);
	out_json(o->json, id);
	if (at != INT64_MIN) {
		instant_format(at, when);
		fprintf(o->json, ",\"at\":\"%s\"", when);
	} else {
		fputs(",\"on\":\"", o->json);
		out_date(o->json, day);
		fputc('"', o->json);
	}
	fputs(",\"amount\":\"", o->json);
	out_amount(o->json, amount, o->exponent);
	fputc('"', o->json);
	if (invoice_id && invoice_id[0]) {
		fputs(",\"invoice_id\":", o->json);
		out_json(o->json, invoice_id);
	}
	fputc('}', o->json);
	o->first = 0;
}

static int keep_ledger(void *ctx, const struct account_ledger *l)
{
	struct ledger_out *o = ctx;

	for (size_t i = 0; i < l->n_credits; i++) {
		const struct ledger_credit *c = &l->credits[i];

		if (c->kind == LEDGER_PAYMENT && c->received_at >= o->since)
			o->paid_since += c->amount;
	}
	if (o->json == NULL)
		return 0;
	for (size_t i = 0; i < l->n_invoices; i++)
		json_entry(o, "invoice", l->invoices[i].id, l->invoices[i].issued_on, INT64_MIN,
			   l->invoices[i].amount, NULL);
	for (size_t i = 0; i < l->n_credits; i++) {
		const struct ledger_credit *c = &l->credits[i];

		json_entry(o, c->kind == LEDGER_PAYMENT ? "payment" : "credit_note", c->id,
			   c->issued_on, c->kind == LEDGER_PAYMENT ? c->received_at : INT64_MIN,
			   c->amount, c->invoice_id);
	}
	return 0;
}

/* The customer file's count and last FILE_TAIL entries about the account. */
struct tail {
	const char *account_id;
	int64_t count;
	struct { int64_t seq, at; char kind[32]; char body[512]; } v[FILE_TAIL];
};

static int keep_tail(void *ctx, const struct file_entry_view *e)
{
	struct tail *t = ctx;
	size_t slot;

	if (e->account_id[0] && strcmp(e->account_id, t->account_id) != 0)
		return 0;
	slot = (size_t)(t->count++ % FILE_TAIL);
	t->v[slot].seq = e->seq;
	t->v[slot].at = e->at;
	snprintf(t->v[slot].kind, sizeof(t->v[slot].kind), "%s", e->kind);
	snprintf(t->v[slot].body, sizeof(t->v[slot].body), "%s", e->body);
	return 0;
}

struct export {
	struct cmd_ctx *cmd;
	struct store *s;
	FILE *csv, *json;
	int n;
};

static int export_case(struct export *x, const struct case_out *c)
{
	struct account_facts f;
	struct who w = { "", "", "", "" };
	struct ledger_out lo = { NULL, 2, c->handed_at, 0, 1 };
	struct tail t;
	char when[INSTANT_TEXT_LEN + 1];
	int status, rc;

	memset(&t, 0, sizeof(t));
	t.account_id = c->account_id;
	if ((status = account_facts_get(x->cmd, x->s, c->account_id, &f)) != 0)
		return status;
	lo.exponent = f.exponent;
	if ((rc = store_customer_get(x->s, c->customer_id, keep_who, &w)) != STORE_OK ||
	    (rc = store_ledger_scan(x->s, &f.account_key, 1, keep_ledger, &lo)) != STORE_OK ||
	    (rc = store_file_scan(x->s, c->customer_id, keep_tail, &t)) != STORE_OK) {
		account_facts_release(&f);
		return cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(x->s));
	}
	instant_format(c->handed_at, when);
	/* CSV */
	out_csv(x->csv, c->id);
	fprintf(x->csv, ",%s,", when);
	out_csv(x->csv, c->customer_id);
	fputc(',', x->csv);
	out_csv(x->csv, w.name);
	fputc(',', x->csv);
	out_csv(x->csv, w.phone);
	fputc(',', x->csv);
	out_csv(x->csv, w.email);
	fputc(',', x->csv);
	out_csv(x->csv, w.locale);
	fputc(',', x->csv);
	out_csv(x->csv, f.account_id);
	fprintf(x->csv, ",%s,", f.currency);
	out_amount(x->csv, f.pos.balance, f.exponent);
	fputc(',', x->csv);
	out_amount(x->csv, f.pos.overdue, f.exponent);
	fputc(',', x->csv);
	out_date(x->csv, f.pos.oldest_unpaid_due_on);
	fprintf(x->csv, ",%d,", f.pos.days_past_due);
	out_amount(x->csv, lo.paid_since, f.exponent);
	fprintf(x->csv, ",%lld\n", (long long)t.count);
	/* JSON: the same, with the ledger and the file's last entries. */
	fprintf(x->json, "%s{\"handoff_id\":", x->n ? ",\n" : "");
	out_json(x->json, c->id);
	fprintf(x->json, ",\"handed_off_at\":\"%s\",\"party\":", when);
	out_json(x->json, c->party);
	fputs(",\"customer\":{\"id\":", x->json);
	out_json(x->json, c->customer_id);
	fputs(",\"name\":", x->json);
	out_json(x->json, w.name);
	fputs(",\"phone\":", x->json);
	out_json(x->json, w.phone);
	fputs(",\"email\":", x->json);
	out_json(x->json, w.email);
	fputs(",\"locale\":", x->json);
	out_json(x->json, w.locale);
	fputs("},\"account_id\":", x->json);
	out_json(x->json, f.account_id);
	fprintf(x->json, ",\"currency\":\"%s\",\"balance\":\"", f.currency);
	out_amount(x->json, f.pos.balance, f.exponent);
	fputs("\",\"overdue\":\"", x->json);
	out_amount(x->json, f.pos.overdue, f.exponent);
	fputs("\",\"oldest_unpaid_due_on\":", x->json);
	if (f.pos.oldest_unpaid_due_on == POSITION_NO_DATE) {
		fputs("null", x->json);
	} else {
		fputc('"', x->json);
		out_date(x->json, f.pos.oldest_unpaid_due_on);
		fputc('"', x->json);
	}
	fprintf(x->json, ",\"days_past_due\":%d,\"paid_since_handoff\":\"", f.pos.days_past_due);
	out_amount(x->json, lo.paid_since, f.exponent);
	fputs("\",\"ledger\":[", x->json);
	lo.json = x->json;
	lo.paid_since = 0;
	if ((rc = store_ledger_scan(x->s, &f.account_key, 1, keep_ledger, &lo)) != STORE_OK) {
		account_facts_release(&f);
		return cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(x->s));
	}
	fprintf(x->json, "],\"file_entries\":%lld,\"file_latest\":[", (long long)t.count);
	for (int64_t i = t.count > FILE_TAIL ? t.count - FILE_TAIL : 0, k = 0; i < t.count; i++, k++) {
		size_t slot = (size_t)(i % FILE_TAIL);

		instant_format(t.v[slot].at, when);
		fprintf(x->json, "%s{\"seq\":%lld,\"at\":\"%s\",\"kind\":", k ? "," : "",
			(long long)t.v[slot].seq, when);
		out_json(x->json, t.v[slot].kind);
		fputs(",\"body\":", x->json);
		out_json(x->json, t.v[slot].body);
		fputc('}', x->json);
	}
	fputs("]}", x->json);
	x->n++;
	account_facts_release(&f);
	return 0;
}

/* ---- the command ------------------------------------------------------------------------ */

static const struct config_party *party_of(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_parties; i++)
		if (strcmp(cfg->parties[i].name, name) == 0)
			return &cfg->parties[i];
	return NULL;
}

static int cmp_case(const void *a, const void *b)
{
	const struct case_out *x = a, *y = b;
	int c = strcmp(x->party, y->party);

	return c ? c : strcmp(x->account_id, y->account_id);
}

/* Exports the n cases of one party into `dir`; the files appear whole or
 * not at all. The JSON file's name is left in json (size 4096). */
static int export_party(struct cmd_ctx *cmd, struct store *s, const char *dir,
			const struct case_out *v, size_t n, char *json, int quiet)
{
	char day[DATE_TEXT_LEN + 1], csv[4096], tcsv[4200], tjson[4200];
	struct export x = { cmd, s, NULL, NULL, 0 };
	int status = 0;

	date_format(instant_utc_day(cmd->now), day);
	snprintf(csv, sizeof(csv), "%s/handoff-%s-%s.csv", dir, v[0].party, day);
	snprintf(json, 4096, "%s/handoff-%s-%s.json", dir, v[0].party, day);
	snprintf(tcsv, sizeof(tcsv), "%s.tmp%ld", csv, (long)getpid());
	snprintf(tjson, sizeof(tjson), "%s.tmp%ld", json, (long)getpid());
	if ((x.csv = fopen(tcsv, "w")) == NULL || (x.json = fopen(tjson, "w")) == NULL) {
		status = cmd_fail(EXIT_RUNTIME, "%s: cannot write: %m", x.csv ? tjson : tcsv);
		goto out;
	}
	fputs("handoff_id,handed_off_at,customer_id,name,phone,email,locale,account_id,currency,"
	      "balance,overdue,oldest_unpaid_due_on,days_past_due,paid_since_handoff,file_entries\n",
	      x.csv);
	fputs("[", x.json);
	for (size_t i = 0; i < n && status == 0; i++)
		status = export_case(&x, &v[i]);
	fputs("]\n", x.json);
out:
	if (x.csv && fclose(x.csv) != 0 && status == 0)
		status = cmd_fail(EXIT_RUNTIME, "%s: write failed: %m", tcsv);
	if (x.json && fclose(x.json) != 0 && status == 0)
		status = cmd_fail(EXIT_RUNTIME, "%s: write failed: %m", tjson);
	if (status == 0 && (rename(tcsv, csv) != 0 || rename(tjson, json) != 0))
		status = cmd_fail(EXIT_RUNTIME, "%s: cannot rename into place: %m", dir);
	if (status != 0) {
		unlink(tcsv);
		unlink(tjson);
		unlink(csv);
		unlink(json);
		return status;
	}
	if (!quiet)
		printf("%s: %zu case%s\n%s\n", csv, n, n == 1 ? "" : "s", json);
	return 0;
}

/* ---- webhooks ------------------------------------------------------------------------------ */

static size_t discard(char *data, size_t size, size_t nmemb, void *ctx)
{
	(void)data;
	(void)ctx;
	return size * nmemb;
}

/* POSTs the file at `path` to the party's webhook. Returns 0, or an exit
 * status after saying why (the token never appears). */
static int post_file(const struct config_party *p, const char *path, const char *key)
{
	FILE *f = fopen(path, "rb");
	char *body = NULL, auth[1100], idem[160];
	long size, code = 0;
	struct curl_slist *hd = NULL;
	CURL *h = NULL;
	CURLcode c = CURLE_OK;
	int status = 0;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (body = malloc((size_t)size + 1)) == NULL ||
	    fread(body, 1, (size_t)size, f) != (size_t)size) {
		status = cmd_fail(EXIT_RUNTIME, "%s: cannot read: %m", path);
		goto out;
	}
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
	hd = curl_slist_append(hd, "Content-Type: application/json");
	hd = curl_slist_append(hd, idem);
	if (p->token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", p->token);
		hd = curl_slist_append(hd, auth);
	}
	if (hd == NULL || (h = curl_easy_init()) == NULL) {
		status = cmd_fail(EXIT_RUNTIME, "out of memory");
		goto out;
	}
#define SET(o, v) do { if (c == CURLE_OK) c = curl_easy_setopt(h, o, v); } while (0)
	SET(CURLOPT_URL, p->webhook);
	SET(CURLOPT_HTTPHEADER, hd);
	SET(CURLOPT_POSTFIELDS, body);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
	SET(CURLOPT_TIMEOUT, (long)p->timeout_s);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_WRITEFUNCTION, discard);
#undef SET
	for (int attempt = 0; c == CURLE_OK && attempt < 3; attempt++) {
		CURLcode r = curl_easy_perform(h);

		code = 0;
		if (r == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (r == CURLE_OK && code >= 200 && code < 300)
			goto out;
		if (r == CURLE_OK && code != 408 && code != 429 && code < 500)
			break;
		/* Same key each time: the party sees one delivery. */
		nanosleep(&(struct timespec){ 0, 200000000L * (attempt + 1) }, NULL);
	}
	if (c != CURLE_OK)
		status = cmd_fail(EXIT_RUNTIME, "party %s: %s", p->name, curl_easy_strerror(c));
	else
		status = cmd_fail(EXIT_RUNTIME, "party %s: the webhook %s", p->name,
				  code ? "refused the file" : "did not answer");
	if (code)
		fprintf(stderr, "relance: party %s: HTTP %ld\n", p->name, code);
out:
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(hd);
	free(body);
	if (f)
		fclose(f);
	return status;
}

/* One party's files where the operations file says. */
static int deliver(struct cmd_ctx *cmd, struct store *s, const struct config_party *p,
		   const struct case_out *v, size_t n)
{
	char json[4096], csv[4096], tmp[] = "/tmp/relance-handoff-XXXXXX", key[128];
	char day[DATE_TEXT_LEN + 1];
	int status;

	if (p->folder != NULL)
		return export_party(cmd, s, p->folder, v, n, json, 0);
	if (mkdtemp(tmp) == NULL)
		return cmd_fail(EXIT_RUNTIME, "a temporary folder: %m");
	date_format(instant_utc_day(cmd->now), day);
	snprintf(key, sizeof(key), "handoff-%s-%s", p->name, day);
	status = export_party(cmd, s, tmp, v, n, json, 1);
	if (status == 0 && (status = post_file(p, json, key)) == 0)
		printf("party %s: %zu case%s posted to the webhook\n", p->name, n, n == 1 ? "" : "s");
	snprintf(csv, sizeof(csv), "%s/%s.csv", tmp, key);
	unlink(json);
	unlink(csv);
	rmdir(tmp);
	return status;
}

int cmd_handoff_export(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance handoff export [--to DIR] [--party PARTY]";
	const char *dir = NULL, *party = NULL;
	struct cases c = { NULL, 0, NULL };
	struct store *s = NULL;
	struct config cfg;
	int status, rc;

	config_init(&cfg);
	for (int i = 0; i < argc; i++) {
		int r = cmd_option(argc, argv, &i, "--to", &dir);

		if (r == 0)
			r = cmd_option(argc, argv, &i, "--party", &party);
		if (r < 0)
			return cmd_fail(EXIT_USAGE, "%s needs a value", argv[i]);
		if (r == 0)
			return cmd_fail(EXIT_USAGE, "usage: %s", usage);
	}
	if (dir != NULL && access(dir, W_OK) != 0)
		return cmd_fail(EXIT_USAGE, "%s: not a folder this process may write in: %m", dir);
	if (dir == NULL && (status = cmd_config_load(ctx, &cfg)) != 0)
		return status;
	if (party && strchr(party, '/'))
		return cmd_fail(EXIT_USAGE, "--party '%s' is not a party name", party);
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	c.party = party;
	if ((rc = store_arrangements_of_customer(s, NULL, 1, keep_case, &c)) != STORE_OK) {
		status = cmd_fail(rc == STORE_ERR_NOMEM || rc == STORE_ERR_DB ? EXIT_RUNTIME :
				  EXIT_USAGE, "%s", rc == STORE_ERR_NOMEM ? "out of memory" :
				  store_errmsg(s));
		goto out;
	}
	if (c.n == 0) {
		printf("no live hand-off%s%s\n", party ? " to " : "", party ? party : "");
		goto out;
	}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), cmp_case);
	/* Every party must have somewhere to go before anything is written. */
	for (size_t i = 0; dir == NULL && i < c.n && status == 0; i++)
		if (party_of(&cfg, c.v[i].party) == NULL)
			status = cmd_fail(EXIT_USAGE, "party %s holds cases but has no destination: "
					  "set handoffs.parties.%s in the operations file, or give "
					  "--to DIR", c.v[i].party, c.v[i].party);
	for (size_t i = 0, j; i < c.n && status == 0; i = j) {
		char json[4096];

		for (j = i + 1; j < c.n && strcmp(c.v[j].party, c.v[i].party) == 0; j++)
			;
		status = dir ? export_party(ctx, s, dir, c.v + i, j - i, json, 0) :
			deliver(ctx, s, party_of(&cfg, c.v[i].party), c.v + i, j - i);
	}
out:
	free(c.v);
	store_close(s);
	config_release(&cfg);
	return status;
}
