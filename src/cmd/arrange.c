/*
 * arrange — the arrangement commands (docs/arrangements.md):
 *
 *   relance promise add ACCOUNT --amount A --date D --by NAME [--note T] [--json]
 *   relance promise list ACCOUNT [--all] [--json]
 *   relance plan propose ACCOUNT[,ACCOUNT...] --instalments N
 *        (--day-of-month D | --every-days N) [--first D] [--down A]
 *        --by NAME [--role agent|supervisor|customer] [--note T] [--json]
 *   relance plan accept PLAN --by NAME [--json]
 *   relance plan show PLAN [--json]
 *   relance dispute open ACCOUNT [--invoice ID] [--amount A] --reason T --by NAME [--json]
 *   relance dispute review DISPUTE --by NAME
 *   relance dispute resolve DISPUTE (--upheld | --rejected) --by NAME [--note T]
 *   relance handoff recall ACCOUNT --by NAME [--note T]
 *
 * Each checks what the latest policy allows, then writes the arrangement,
 * its customer file entry and (for an upheld dispute) the credit note in
 * one transaction, and brings the account's next check forward so that the
 * next cycle acts on it. Refusals exit 2 with the reason and change nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/arrange.h"
#include "../core/caltime.h"
#include "../core/ledger.h"
#include "../core/money.h"
#include "../core/policy.h"
#include "../store/store.h"
#include "cmd.h"
#include "holds.h"
#include "out.h"
#include "postpone.h"

#define MAX_PLAN_ACCOUNTS 16
/* Where answers go (cmd.h: serve may point it elsewhere). */
#define OUT (cmd_out ? cmd_out : stdout)

/* ---- arguments ----------------------------------------------------------------------- */

struct args {
	const char *pos[2];
	size_t n_pos;
	const char *amount, *date, *by, *note, *role, *instalments, *dom, *every, *first;
	const char *down, *invoice, *reason, *to, *waive, *amounts;
	int json, all, upheld, rejected;
};

static int parse_args(int argc, char **argv, struct args *a, const char *usage)
{
	static const struct cmd_arg_opt opts[] = {
		{ "--amount", offsetof(struct args, amount), 0 },
		{ "--date", offsetof(struct args, date), 0 },
		{ "--by", offsetof(struct args, by), 0 },
		{ "--note", offsetof(struct args, note), 0 },
		{ "--role", offsetof(struct args, role), 0 },
		{ "--instalments", offsetof(struct args, instalments), 0 },
		{ "--day-of-month", offsetof(struct args, dom), 0 },
		{ "--every-days", offsetof(struct args, every), 0 },
		{ "--first", offsetof(struct args, first), 0 },
		{ "--down", offsetof(struct args, down), 0 },
		{ "--invoice", offsetof(struct args, invoice), 0 },
		{ "--reason", offsetof(struct args, reason), 0 },
		{ "--to", offsetof(struct args, to), 0 },
		{ "--waive", offsetof(struct args, waive), 0 },
		{ "--amounts", offsetof(struct args, amounts), 0 },
		{ "--json", offsetof(struct args, json), 1 },
		{ "--all", offsetof(struct args, all), 1 },
		{ "--upheld", offsetof(struct args, upheld), 1 },
		{ "--rejected", offsetof(struct args, rejected), 1 },
	};

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		int r = cmd_arg_match(argc, argv, &i, opts, sizeof(opts) / sizeof(opts[0]), a);

		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (argv[i][0] == '-' && argv[i][1] == '-')
			return cmd_fail(EXIT_USAGE, "unknown option %s; usage: %s", argv[i], usage);
		else if (a->n_pos < 2)
			a->pos[a->n_pos++] = argv[i];
		else
			return cmd_fail(EXIT_USAGE, "usage: %s", usage);
	}
	return 0;
}

static int need(const char *v, const char *what, const char *usage)
{
	return v ? 0 : cmd_fail(EXIT_USAGE, "%s is required; usage: %s", what, usage);
}

/* ---- shared steps -------------------------------------------------------------------- */

struct session {
	struct cmd_ctx *cmd;
	struct store *s;
	struct policy *policy;
	int64_t version;
};

static int keep_policy(void *ctx, const struct stored_policy *p)
{
	struct session *x = ctx;
	struct policy_diags d = { 0 };
	int rc = policy_parse(p->source, p->body, p->body_len, &x->policy, &d);

	policy_diags_release(&d);
	x->version = p->version;
	return rc == 0 ? 0 : STORE_ERR_INPUT;
}

static int credit_note(struct session *x, const char *source, const char *id,
		       const char *invoice_id, int64_t amount, const struct account_facts *f);

/* Opens the store and reads the policy in force (what agents may agree to). */
static int session_open(struct cmd_ctx *cmd, struct session *x, int want_policy)
{
	int rc, status;

	memset(x, 0, sizeof(*x));
	x->cmd = cmd;
	if ((status = cmd_open_store(cmd, &x->s)) != 0)
		return status;
	if (!want_policy)
		return 0;
	if ((rc = store_policy_get(x->s, 0, keep_policy, x)) != STORE_OK)
		return cmd_store_fail(x->s, rc);
	return 0;
}

static void session_close(struct session *x)
{
	policy_free(x->policy);
	store_close(x->s);
}

static int account_of(struct session *x, const char *id, struct account_facts *f)
{
	int status = account_facts_get(x->cmd, x->s, id, f);

	if (status == 0 && !f->found)
		status = cmd_fail(EXIT_USAGE, "no account %s", id);
	return status;
}

static int parse_amount(const char *text, const struct account_facts *f, const char *what,
			int64_t *out)
{
	if (money_parse(text, strlen(text), f->exponent, out) != 0 || *out <= 0)
		return cmd_fail(EXIT_USAGE, "%s '%s' is not a positive amount in %s", what, text,
				f->currency);
	return 0;
}

static int parse_day(const char *text, const char *what, int32_t *out)
{
	if (date_parse(text, strlen(text), out) != 0)
		return cmd_fail(EXIT_USAGE, "%s '%s' is not a date (YYYY-MM-DD)", what, text);
	return 0;
}

static void money_text(int64_t minor, const struct account_facts *f, char *buf, size_t size)
{
	char num[48];

	if (money_format(minor, f->exponent, num, sizeof(num)) < 0)
		snprintf(num, sizeof(num), "%lld", (long long)minor);
	snprintf(buf, size, "%s %s", num, f->currency);
}

/* Ends the transaction: commit, or roll back and say why. */
static int finish_tx(struct session *x, int rc)
{
	if (rc == STORE_OK && (rc = store_commit(x->s)) == STORE_OK)
		return 0;
	{
		int status = cmd_store_fail(x->s, rc);

		store_rollback(x->s);
		return status;
	}
}

/* Writes a file entry about each account and brings their next check
 * forward, so that the next cycle acts on the change. */
static int on_file(struct session *x, const int64_t *keys, size_t n, const char *by,
		   const char *body)
{
	int rc = STORE_OK;

	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		struct file_note note = { keys[i], x->cmd->now, "arrangement", by, body };

		rc = store_file_notes(x->s, &note, 1);
	}
	if (rc == STORE_OK)
		rc = store_cases_touch(x->s, keys, n, x->cmd->now);
	return rc;
}

/* ---- reading arrangements -------------------------------------------------------------- */

struct got {
	int found;
	char id[32], kind[16], state[16], customer_id[128], created_by[128];
	int64_t version, created_at, updated_at;
	char *terms;
	char *accounts[MAX_PLAN_ACCOUNTS];
	int64_t keys[MAX_PLAN_ACCOUNTS];
	size_t n_accounts;
};

static void got_release(struct got *g)
{
	free(g->terms);
	for (size_t i = 0; i < g->n_accounts; i++)
		free(g->accounts[i]);
	memset(g, 0, sizeof(*g));
}

static int keep_got(void *ctx, const struct arrangement_view *a)
{
	struct got *g = ctx;

	g->found = 1;
	snprintf(g->id, sizeof(g->id), "%s", a->arrangement_id);
	snprintf(g->kind, sizeof(g->kind), "%s", a->kind);
	snprintf(g->state, sizeof(g->state), "%s", a->state);
	snprintf(g->customer_id, sizeof(g->customer_id), "%s", a->customer_id);
	snprintf(g->created_by, sizeof(g->created_by), "%s", a->created_by);
	g->version = a->version;
	g->created_at = a->created_at;
	g->updated_at = a->updated_at;
	if ((g->terms = strdup(a->terms)) == NULL)
		return STORE_ERR_NOMEM;
	for (size_t i = 0; i < a->n_accounts && i < MAX_PLAN_ACCOUNTS; i++) {
		if ((g->accounts[i] = strdup(a->account_ids[i])) == NULL)
			return STORE_ERR_NOMEM;
		g->keys[i] = a->account_keys[i];
		g->n_accounts++;
	}
	return 0;
}

static int get_arrangement(struct session *x, const char *id, const char *kind, struct got *g)
{
	int rc;

	memset(g, 0, sizeof(*g));
	if ((rc = store_arrangement_get(x->s, id, keep_got, g)) != STORE_OK)
		return cmd_store_fail(x->s, rc);
	if (strcmp(g->kind, kind) != 0)
		return cmd_fail(EXIT_USAGE, "%s is a %s, not a %s", id, g->kind, kind);
	return 0;
}

/* ---- printing ---------------------------------------------------------------------------- */

static void print_terms_json(const struct arrange_terms *t, int exponent)
{
	if (t->amount) {
		fprintf(OUT, ",\"amount\":\"");
		out_amount(OUT, t->amount, exponent);
		fprintf(OUT, "\"");
	}
	if (t->due_on != POSITION_NO_DATE) {
		fprintf(OUT, ",\"due_on\":\"");
		out_date(OUT, t->due_on);
		fprintf(OUT, "\"");
	}
	if (t->total) {
		fprintf(OUT, ",\"total\":\"");
		out_amount(OUT, t->total, exponent);
		fprintf(OUT, "\"");
	}
	if (t->down_payment) {
		fprintf(OUT, ",\"down_payment\":{\"amount\":\"");
		out_amount(OUT, t->down_payment, exponent);
		fprintf(OUT, "\",\"due_on\":\"");
		out_date(OUT, t->down_due_on);
		fprintf(OUT, "\"}");
	}
	if (t->n_instalments) {
		fprintf(OUT, ",\"instalments\":[");
		for (size_t i = 0; i < t->n_instalments; i++) {
			fprintf(OUT, "%s{\"due_on\":\"", i ? "," : "");
			out_date(OUT, t->instalments[i].due_on);
			fprintf(OUT, "\",\"amount\":\"");
			out_amount(OUT, t->instalments[i].amount, exponent);
			fprintf(OUT, "\"}");
		}
		fprintf(OUT, "]");
	}
	if (t->expires_on != POSITION_NO_DATE) {
		fprintf(OUT, ",\"expires_on\":\"");
		out_date(OUT, t->expires_on);
		fprintf(OUT, "\"");
	}
	if (t->was_due_on != POSITION_NO_DATE) {
		fprintf(OUT, ",\"was_due_on\":\"");
		out_date(OUT, t->was_due_on);
		fprintf(OUT, "\"");
	}
	if (t->answer_by != POSITION_NO_DATE) {
		fprintf(OUT, ",\"answer_by\":\"");
		out_date(OUT, t->answer_by);
		fprintf(OUT, "\"");
	}
	if (t->invoice_id) {
		fprintf(OUT, ",\"invoice_id\":");
		out_json(OUT, t->invoice_id);
	}
	if (t->reason) {
		fprintf(OUT, ",\"reason\":");
		out_json(OUT, t->reason);
	}
	if (t->party) {
		fprintf(OUT, ",\"party\":");
		out_json(OUT, t->party);
	}
	if (t->note) {
		fprintf(OUT, ",\"note\":");
		out_json(OUT, t->note);
	}
}

/* What a live arrangement holds back, in words ("" when nothing). */
static const char *holds_text(const struct got *g)
{
	static const struct { const char *kind, *state, *text; } t[] = {
		{ "promise", "open", "dunning paused for the amount promised until its date" },
		{ "plan", "current", "no dunning while the plan is kept" },
		{ "dispute", "open", "the amount is frozen: no step acts on it" },
		{ "dispute", "review", "the amount is frozen: no step acts on it" },
		{ "handoff", "active", "held by the party it was handed to: no dunning of ours" },
		{ "postponement", "active", "the invoice is due on its new date" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(g->kind, t[i].kind) == 0 && strcmp(g->state, t[i].state) == 0)
			return t[i].text;
	return "";
}

/* One arrangement as a JSON object (no newline). */
static void print_json(const struct got *g, const struct arrange_terms *t, int exponent)
{
	fprintf(OUT, "{\"id\":");
	out_json(OUT, g->id);
	fprintf(OUT, ",\"kind\":");
	out_json(OUT, g->kind);
	fprintf(OUT, ",\"state\":");
	out_json(OUT, g->state);
	fprintf(OUT, ",\"customer_id\":");
	out_json(OUT, g->customer_id);
	fprintf(OUT, ",\"accounts\":[");
	for (size_t i = 0; i < g->n_accounts; i++) {
		fprintf(OUT, "%s", i ? "," : "");
		out_json(OUT, g->accounts[i]);
	}
	fprintf(OUT, "],\"currency\":");
	out_json(OUT, t->currency);
	fprintf(OUT, ",\"version\":%lld,\"created_by\":", (long long)g->version);
	out_json(OUT, g->created_by);
	print_terms_json(t, exponent);
	if (holds_text(g)[0]) {
		fprintf(OUT, ",\"holds\":");
		out_json(OUT, holds_text(g));
	}
	fprintf(OUT, "}");
}

static void print_text(const struct got *g, const struct arrange_terms *t, int exponent,
		       const char *in)
{
	char num[48];

	fprintf(OUT, "%s%s %s %s (customer %s, accounts", in, g->id, g->kind, g->state, g->customer_id);
	for (size_t i = 0; i < g->n_accounts; i++)
		fprintf(OUT, " %s", g->accounts[i]);
	fprintf(OUT, ")\n");
	if (t->amount) {
		money_format(t->amount, exponent, num, sizeof(num));
		fprintf(OUT, "%s  amount %s %s", in, num, t->currency);
		if (t->due_on != POSITION_NO_DATE) {
			char d[DATE_TEXT_LEN + 1];

			date_format(t->due_on, d);
			fprintf(OUT, " by %s", d);
		}
		fprintf(OUT, "\n");
	}
	if (t->total) {
		money_format(t->total, exponent, num, sizeof(num));
		fprintf(OUT, "%s  total %s %s\n", in, num, t->currency);
	}
	if (t->down_payment) {
		char d[DATE_TEXT_LEN + 1];

		money_format(t->down_payment, exponent, num, sizeof(num));
		date_format(t->down_due_on, d);
		fprintf(OUT, "%s  down payment %s %s by %s\n", in, num, t->currency, d);
	}
	for (size_t i = 0; i < t->n_instalments; i++) {
		char d[DATE_TEXT_LEN + 1];

		money_format(t->instalments[i].amount, exponent, num, sizeof(num));
		date_format(t->instalments[i].due_on, d);
		fprintf(OUT, "%s  instalment %zu: %s %s on %s\n", in, i + 1, num, t->currency, d);
	}
	if (t->expires_on != POSITION_NO_DATE && strcmp(g->state, "proposed") == 0) {
		char d[DATE_TEXT_LEN + 1];

		date_format(t->expires_on, d);
		fprintf(OUT, "%s  to accept by %s\n", in, d);
	}
	if (t->invoice_id && t->was_due_on != POSITION_NO_DATE) {
		char d[DATE_TEXT_LEN + 1], w[DATE_TEXT_LEN + 1];

		date_format(t->due_on, d);
		date_format(t->was_due_on, w);
		fprintf(OUT, "%s  invoice %s due on %s (was %s)\n", in, t->invoice_id, d, w);
	} else if (t->invoice_id) {
		fprintf(OUT, "%s  invoice %s\n", in, t->invoice_id);
	}
	if (t->reason)
		fprintf(OUT, "%s  reason: %s\n", in, t->reason);
	if (t->answer_by != POSITION_NO_DATE) {
		char d[DATE_TEXT_LEN + 1];

		date_format(t->answer_by, d);
		fprintf(OUT, "%s  to answer by %s\n", in, d);
	}
	if (t->party)
		fprintf(OUT, "%s  party %s\n", in, t->party);
	if (t->note)
		fprintf(OUT, "%s  note: %s\n", in, t->note);
}

static int show(const struct got *g, int json)
{
	struct arrange_terms t;
	int exponent = 2;

	if (arrange_terms_decode(g->terms, &t) != ARRANGE_OK)
		return cmd_fail(EXIT_RUNTIME, "arrangement %s: its terms are unreadable", g->id);
	money_currency_exponent(t.currency, &exponent);
	if (json) {
		print_json(g, &t, exponent);
		fprintf(OUT, "\n");
	} else {
		print_text(g, &t, exponent, "");
	}
	arrange_terms_release(&t);
	return 0;
}

int cmd_arrangement_print(const struct arrangement_view *a, int json, int first)
{
	struct arrange_terms t;
	struct got g;
	int exponent = 2, rc;

	memset(&g, 0, sizeof(g));
	if ((rc = keep_got(&g, a)) != 0 || arrange_terms_decode(g.terms, &t) != ARRANGE_OK) {
		got_release(&g);
		return rc ? rc : STORE_ERR_INPUT;
	}
	money_currency_exponent(t.currency, &exponent);
	if (json) {
		fprintf(OUT, "%s", first ? "" : ",");
		print_json(&g, &t, exponent);
	} else {
		print_text(&g, &t, exponent, "  ");
		if (holds_text(&g)[0])
			fprintf(OUT, "    holds: %s\n", holds_text(&g));
	}
	arrange_terms_release(&t);
	got_release(&g);
	return 0;
}

/* After a change: "ID STATE", or the arrangement as JSON with --json. */
static int print_result(struct session *x, const char *id, const char *kind, int json,
			const char *state)
{
	struct got g;
	int status;

	if (!json) {
		fprintf(OUT, "%s %s\n", id, state);
		return 0;
	}
	if ((status = get_arrangement(x, id, kind, &g)) == 0)
		status = show(&g, 1);
	got_release(&g);
	return status;
}

/* Creates an arrangement with its file entry, then prints it. */
static int create(struct session *x, const char *kind, const char *state,
		  const struct account_facts *accts, size_t n, const struct arrange_terms *t,
		  const char *by, const char *exclusive, const char *what, int json)
{
	const char *ids[MAX_PLAN_ACCOUNTS];
	int64_t keys[MAX_PLAN_ACCOUNTS];
	char id[32], body[1024], *terms = arrange_terms_encode(t);
	struct arrangement_new an = { kind, state, ids, n, x->cmd->now, by, terms, exclusive };
	struct got g;
	int rc, status;

	if (terms == NULL)
		return cmd_fail(EXIT_RUNTIME, "out of memory");
	for (size_t i = 0; i < n; i++) {
		ids[i] = accts[i].account_id;
		keys[i] = accts[i].account_key;
	}
	if ((rc = store_begin(x->s)) == STORE_OK &&
	    (rc = store_arrangement_create(x->s, &an, id, sizeof(id))) == STORE_OK) {
		snprintf(body, sizeof(body), "%s %s by %s: %s", kind, id, by, what);
		rc = on_file(x, keys, n, by, body);
	}
	free(terms);
	if ((status = finish_tx(x, rc)) != 0)
		return status;
	if ((status = get_arrangement(x, id, kind, &g)) == 0)
		status = show(&g, json);
	got_release(&g);
	return status;
}

/* ---- promise ------------------------------------------------------------------------------ */

int cmd_promise_add(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] =
		"relance promise add ACCOUNT --amount A --date YYYY-MM-DD --by NAME [--note T] [--json]";
	struct args a;
	struct session x;
	struct account_facts f = { 0 };
	struct arrange_terms t;
	char amt[64], bal[64], what[256];
	int32_t day;
	int status;

	arrange_terms_init(&t);
	if ((status = parse_args(argc, argv, &a, usage)) != 0 ||
	    (status = need(a.n_pos == 1 ? a.pos[0] : NULL, "ACCOUNT", usage)) != 0 ||
	    (status = need(a.amount, "--amount", usage)) != 0 ||
	    (status = need(a.date, "--date", usage)) != 0 ||
	    (status = need(a.by, "--by", usage)) != 0 ||
	    (status = parse_day(a.date, "--date", &day)) != 0)
		return status;
	if ((status = session_open(ctx, &x, 1)) != 0)
		goto out;
	if ((status = account_of(&x, a.pos[0], &f)) != 0 ||
	    (status = parse_amount(a.amount, &f, "--amount", &t.amount)) != 0)
		goto out;
	money_text(t.amount, &f, amt, sizeof(amt));
	money_text(f.pos.balance, &f, bal, sizeof(bal));
	if (day < f.pos.today) {
		status = cmd_fail(EXIT_USAGE, "--date %s is in the past", a.date);
	} else if (day > f.pos.today + x.policy->arrangements.promise_max_days) {
		status = cmd_fail(EXIT_USAGE, "--date %s is more than %d days away: the policy allows "
				  "promises up to %d days", a.date,
				  x.policy->arrangements.promise_max_days,
				  x.policy->arrangements.promise_max_days);
	} else if (t.amount > f.pos.balance) {
		status = cmd_fail(EXIT_USAGE, "a promise of %s is more than the balance, %s", amt, bal);
	}
	if (status != 0)
		goto out;
	memcpy(t.currency, f.currency, 4);
	t.due_on = day;
	t.paid_base = f.pos.paid + f.pos.credited;
	t.note = (char *)a.note;
	snprintf(what, sizeof(what), "promises %s by %s", amt, a.date);
	status = create(&x, "promise", "open", &f, 1, &t, a.by, "promise plan", what,
			a.json);
out:
	account_facts_release(&f);
	session_close(&x);
	return status;
}

struct list_ctx {
	int all, json, n;
};

static int list_one(void *ctx, const struct arrangement_view *a)
{
	struct list_ctx *l = ctx;
	struct got g;
	int rc;

	if (strcmp(a->kind, "promise") != 0)
		return 0;
	memset(&g, 0, sizeof(g));
	if ((rc = keep_got(&g, a)) == 0) {
		if (l->json && l->n)
			fprintf(OUT, ",");
		l->n++;
		rc = show(&g, l->json) == 0 ? 0 : STORE_ERR_INPUT;
	}
	got_release(&g);
	return rc;
}

int cmd_promise_list(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance promise list ACCOUNT [--all] [--json]";
	struct args a;
	struct session x;
	struct account_facts f = { 0 };
	struct list_ctx l;
	int status, rc;

	if ((status = parse_args(argc, argv, &a, usage)) != 0 ||
	    (status = need(a.n_pos == 1 ? a.pos[0] : NULL, "ACCOUNT", usage)) != 0)
		return status;
	if ((status = session_open(ctx, &x, 0)) != 0 || (status = account_of(&x, a.pos[0], &f)) != 0)
		goto out;
	l = (struct list_ctx){ a.all, a.json, 0 };
	if (a.json)
		fprintf(OUT, "[");
	rc = store_arrangements_of_account(x.s, f.account_key, !a.all, list_one, &l);
	if (a.json)
		fprintf(OUT, "]\n");
	if (rc != STORE_OK)
		status = cmd_store_fail(x.s, rc);
	else if (!a.json && l.n == 0)
		fprintf(OUT, "no %spromise on account %s\n", a.all ? "" : "open ", f.account_id);
out:
	account_facts_release(&f);
	session_close(&x);
	return status;
}

/* ---- plan ---------------------------------------------------------------------------------- */

/* The role's authority, or NULL for an unknown role. */
static const struct policy_plan_authority *authority(const struct policy *p, const char *role)
{
	if (role == NULL || strcmp(role, "agent") == 0)
		return &p->arrangements.agent;
	if (strcmp(role, "supervisor") == 0)
		return &p->arrangements.supervisor;
	if (strcmp(role, "customer") == 0)
		return &p->arrangements.customer;   /* the portal's: serve_portal.c */
	return NULL;
}

/* Whether `auth` allows n instalments after `down` of `total`; why not in `why`. */
static int allowed(const struct policy_plan_authority *auth, int n, int64_t down, int64_t total,
		   char *why, size_t size)
{
	if (auth->max_instalments == 0) {
		snprintf(why, size, "may not offer plans");
		return 0;
	}
	if (n > auth->max_instalments) {
		snprintf(why, size, "may offer at most %d instalments", auth->max_instalments);
		return 0;
	}
	/* down >= total * pct / 100 rounded up, without total * pct (which
	 * could wrap). */
	if (auth->min_down_payment_pct > 0 &&
	    down < total / 100 * auth->min_down_payment_pct +
		   (total % 100 * auth->min_down_payment_pct + 99) / 100) {
		snprintf(why, size, "needs a down payment of at least %d %% of the debt",
			 auth->min_down_payment_pct);
		return 0;
	}
	return 1;
}

static int parse_count(const char *text, const char *what, int lo, int hi, int *out)
{
	char *end = NULL;
	long v = text ? strtol(text, &end, 10) : 0;

	if (text == NULL || end == text || *end != '\0' || v < lo || v > hi)
		return cmd_fail(EXIT_USAGE, "%s '%s' is not a whole number from %d to %d", what,
				text ? text : "", lo, hi);
	*out = (int)v;
	return 0;
}

/*
 * Instalment amounts given by the agent ("100.00,100.00,109.80"): each
 * positive, as many as --instalments says when both are given, adding up to
 * the debt less the down payment exactly, or the plan is refused.
 */
static int own_amounts(const char *list, const struct account_facts *f, int64_t total,
		       int64_t down, int *count, const char *instalments, int64_t *out)
{
	char copy[4096], *save = NULL, *tok, want[64], got[64];
	int n = 0;
	int64_t sum = 0;

	snprintf(copy, sizeof(copy), "%s", list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int status;

		if (n == ARRANGE_MAX_INSTALMENTS)
			return cmd_fail(EXIT_USAGE, "a plan has at most %d instalments",
					ARRANGE_MAX_INSTALMENTS);
		if ((status = parse_amount(tok, f, "--amounts", &out[n])) != 0)
			return status;
		if (out[n] > INT64_MAX - sum)
			return cmd_fail(EXIT_USAGE, "--amounts add up past what relance can hold");
		sum += out[n++];
	}
	if (n == 0)
		return cmd_fail(EXIT_USAGE, "--amounts names no amount");
	if (instalments && n != *count)
		return cmd_fail(EXIT_USAGE, "--amounts names %d instalments, --instalments %d", n,
				*count);
	*count = n;
	if (sum != total - down) {
		money_text(sum, f, got, sizeof(got));
		money_text(total - down, f, want, sizeof(want));
		return cmd_fail(EXIT_USAGE, "the instalments add up to %s, not to the debt less the "
				"down payment, %s", got, want);
	}
	return 0;
}

int cmd_plan_propose(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] =
		"relance plan propose ACCOUNT[,ACCOUNT...] (--instalments N | --amounts A,B...) "
		"(--day-of-month D | --every-days N) [--first YYYY-MM-DD] [--down A] [--waive A] "
		"--by NAME "
		"[--role agent|supervisor|customer] [--note T] [--json]";
	struct args a;
	struct session x;
	struct account_facts f[MAX_PLAN_ACCOUNTS];
	struct arrange_instalment sched[ARRANGE_MAX_INSTALMENTS];
	int64_t given[ARRANGE_MAX_INSTALMENTS];
	struct arrange_terms t;
	const struct policy_plan_authority *auth;
	char list[1024], *save = NULL, *tok, why[160], total_text[64];
	size_t n = 0;
	int count = 0, dom = 0, every = 0, status;
	int32_t today = 0, first = 0;
	int64_t total = 0, down = 0;

	arrange_terms_init(&t);
	memset(f, 0, sizeof(f));
	if ((status = parse_args(argc, argv, &a, usage)) != 0 ||
	    (status = need(a.n_pos == 1 ? a.pos[0] : NULL, "ACCOUNT", usage)) != 0 ||
	    (status = need(a.instalments || a.amounts ? "" : NULL, "--instalments or --amounts",
			   usage)) != 0 ||
	    (status = need(a.by, "--by", usage)) != 0 ||
	    (a.instalments && (status = parse_count(a.instalments, "--instalments", 1,
						    ARRANGE_MAX_INSTALMENTS, &count)) != 0) ||
	    (a.dom && (status = parse_count(a.dom, "--day-of-month", 1, 31, &dom)) != 0) ||
	    (a.every && (status = parse_count(a.every, "--every-days", 1, 366, &every)) != 0) ||
	    (a.first && (status = parse_day(a.first, "--first", &first)) != 0))
		return status;
	if ((a.dom == NULL) == (a.every == NULL))
		return cmd_fail(EXIT_USAGE, "give --day-of-month or --every-days (one of the two)");
	if ((status = session_open(ctx, &x, 1)) != 0)
		goto out;
	if ((auth = authority(x.policy, a.role)) == NULL) {
		status = cmd_fail(EXIT_USAGE, "--role is agent, supervisor or customer, not '%s'",
				  a.role);
		goto out;
	}
	snprintf(list, sizeof(list), "%s", a.pos[0]);
	for (tok = strtok_r(list, ",", &save); tok && status == 0; tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_PLAN_ACCOUNTS) {
			status = cmd_fail(EXIT_USAGE, "a plan covers at most %d accounts",
					  MAX_PLAN_ACCOUNTS);
			break;
		}
		if ((status = account_of(&x, tok, &f[n])) != 0)
			break;
		n++;
		if (strcmp(f[n - 1].customer_id, f[0].customer_id) != 0) {
			status = cmd_fail(EXIT_USAGE, "account %s is not of customer %s: a plan "
					  "covers accounts of one customer", tok, f[0].customer_id);
		} else if (strcmp(f[n - 1].currency, f[0].currency) != 0) {
			status = cmd_fail(EXIT_USAGE, "account %s is in %s, not %s: a plan is in one "
					  "currency", tok, f[n - 1].currency, f[0].currency);
		}
	}
	if (status != 0)
		goto out;
	/* The plan covers what is overdue today: the invoices due before the
	 * customer's local date, as the ledger's allocation leaves them. */
	today = f[0].pos.today;
	for (size_t i = 0; i < n; i++)
		total += arrange_owed_through(&f[i].pos, today - 1);
	if (a.down && (status = parse_amount(a.down, &f[0], "--down", &down)) != 0)
		goto out;
	if (a.waive) {
		char debt[64];

		if ((status = parse_amount(a.waive, &f[0], "--waive", &t.waived)) != 0)
			goto out;
		money_text(total, &f[0], debt, sizeof(debt));
		if (t.waived >= total) {
			status = cmd_fail(EXIT_USAGE, "--waive %s is not less than the debt, %s", a.waive,
					  debt);
			goto out;
		}
		if (t.waived > arrange_owed_through(&f[0].pos, today - 1)) {
			status = cmd_fail(EXIT_USAGE, "--waive %s is more than what is overdue on %s, "
					  "the account whose penalties are waived", a.waive,
					  f[0].account_id);
			goto out;
		}
		/* Waived on acceptance, by a credit note: the plan spreads the rest. */
		total -= t.waived;
	}
	money_text(total, &f[0], total_text, sizeof(total_text));
	if (!a.first)
		first = every ? today + every : 0;
	if (!a.first && dom) {
		/* The next such day after today. */
		first = arrange_month_day(today, 0, dom);
		if (first <= today)
			first = arrange_month_day(today, 1, dom);
	}
	if (first <= today) {
		status = cmd_fail(EXIT_USAGE, "--first %s is not after today", a.first);
		goto out;
	}
	if (a.amounts && (status = own_amounts(a.amounts, &f[0], total, down, &count, a.instalments,
					       given)) != 0)
		goto out;
	if (arrange_plan_schedule(total, down, count, first, dom, every, sched, why,
				  sizeof(why)) != ARRANGE_OK) {
		status = cmd_fail(EXIT_USAGE, "%s (debt %s)", why, total_text);
		goto out;
	}
	/* Amounts of the agent's choosing, on the schedule's dates. */
	for (int i = 0; a.amounts && i < count; i++)
		sched[i].amount = given[i];
	if (!allowed(auth, count, down, total, why, sizeof(why))) {
		char sup[160];
		int supervisor_may = auth == &x.policy->arrangements.agent &&
			allowed(&x.policy->arrangements.supervisor, count, down, total, sup,
				sizeof(sup));
		/* A customer refused in the portal may still ask an agent. */
		int agent_may = auth == &x.policy->arrangements.customer &&
			allowed(&x.policy->arrangements.agent, count, down, total, sup, sizeof(sup));

		status = cmd_fail(EXIT_USAGE, "refused by policy v%lld: %s %s%s",
				  (long long)x.version, auth == &x.policy->arrangements.customer ?
				  "a customer alone" : a.role ? a.role : "an agent", why,
				  supervisor_may ? "; a supervisor may propose it (--role supervisor)" :
				  agent_may ? "; an agent may propose it" : "");
		goto out;
	}
	memcpy(t.currency, f[0].currency, 4);
	t.total = total;
	t.down_payment = down;
	t.down_due_on = down ? today + x.policy->arrangements.plan_grace_days : POSITION_NO_DATE;
	t.instalments = sched;
	t.n_instalments = (size_t)count;
	t.covered_through = today - 1;
	t.expires_on = today + x.policy->arrangements.plan_proposal_days;
	t.note = (char *)a.note;
	snprintf(why, sizeof(why), "proposes %s in %d instalment%s%s%s", total_text, count,
		 count == 1 ? "" : "s", down ? " after a down payment" : "",
		 t.waived ? ", penalties waived" : "");
	status = create(&x, "plan", "proposed", f, n, &t, a.by, "promise plan", why,
			a.json);
out:
	for (size_t i = 0; i < n; i++)
		account_facts_release(&f[i]);
	session_close(&x);
	return status;
}

/* Changes an arrangement's state with a file entry on each of its accounts. */
static int change(struct session *x, const struct got *g, const char *state, const char *terms,
		  const char *by, const char *body)
{
	int rc;

	if ((rc = store_begin(x->s)) == STORE_OK &&
	    (rc = store_arrangement_update(x->s, g->id, g->version, state, terms, x->cmd->now,
					   by)) == STORE_OK)
		rc = on_file(x, g->keys, g->n_accounts, by, body);
	return finish_tx(x, rc);
}

int cmd_plan_accept(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance plan accept PLAN --by NAME [--json]";
	struct args a;
	struct session x;
	struct got g = { 0 };
	struct arrange_terms t;
	struct account_facts f = { 0 };
	char body[256], d[DATE_TEXT_LEN + 1];
	int status;

	arrange_terms_init(&t);
	if ((status = parse_args(argc, argv, &a, usage)) != 0 ||
	    (status = need(a.n_pos == 1 ? a.pos[0] : NULL, "PLAN", usage)) != 0 ||
	    (status = need(a.by, "--by", usage)) != 0)
		return status;
	if ((status = session_open(ctx, &x, 0)) != 0 ||
	    (status = get_arrangement(&x, a.pos[0], "plan", &g)) != 0)
		goto out;
	if (arrange_terms_decode(g.terms, &t) != ARRANGE_OK) {
		status = cmd_fail(EXIT_RUNTIME, "plan %s: its terms are unreadable", g.id);
		goto out;
	}
	if (strcmp(g.state, "proposed") != 0) {
		status = cmd_fail(EXIT_USAGE, "plan %s is %s: only a proposed plan can be accepted",
				  g.id, g.state);
		goto out;
	}
	/* Expiry is the customer's local date, as every date of the plan. */
	if ((status = account_of(&x, g.accounts[0], &f)) != 0)
		goto out;
	date_format(t.expires_on, d);
	if (f.pos.today > t.expires_on) {
		status = cmd_fail(EXIT_USAGE, "plan %s expired on %s: propose a new one", g.id, d);
		goto out;
	}
	snprintf(body, sizeof(body), "plan %s accepted by %s: no dunning while it is kept", g.id,
		 a.by);
	if (t.waived > 0) {
		/* The penalties waived, by a credit note on the plan's first
		 * account, in the transaction that makes the plan current. */
		char credit[64], amt[64], more[256];
		int rc;

		snprintf(credit, sizeof(credit), "%s-waiver", g.id);
		money_text(t.waived, &f, amt, sizeof(amt));
		snprintf(more, sizeof(more), "; %s of penalties waived (credit note %s)", amt, credit);
		strncat(body, more, sizeof(body) - strlen(body) - 1);
		if ((rc = store_begin(x.s)) != STORE_OK ||
		    (rc = store_arrangement_update(x.s, g.id, g.version, "current", NULL, ctx->now,
						   a.by)) != STORE_OK) {
			status = finish_tx(&x, rc);
			goto out;
		}
		if ((status = credit_note(&x, g.id, credit, NULL, t.waived, &f)) != 0) {
			store_rollback(x.s);
			goto out;
		}
		if ((status = finish_tx(&x, on_file(&x, g.keys, g.n_accounts, a.by, body))) != 0)
			goto out;
	} else if ((status = change(&x, &g, "current", NULL, a.by, body)) != 0) {
		goto out;
	}
	got_release(&g);
	if ((status = get_arrangement(&x, a.pos[0], "plan", &g)) == 0)
		status = show(&g, a.json);
out:
	account_facts_release(&f);
	arrange_terms_release(&t);
	got_release(&g);
	session_close(&x);
	return status;
}

int cmd_plan_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance plan show PLAN [--json]";
	struct args a;
	struct session x;
	struct got g = { 0 };
	int status;

	if ((status = parse_args(argc, argv, &a, usage)) != 0 ||
	    (status = need(a.n_pos == 1 ? a.pos[0] : NULL, "PLAN", usage)) != 0)
		return status;
	if ((status = session_open(ctx, &x, 0)) == 0 &&
	    (status = get_arrangement(&x, a.pos[0], "plan", &g)) == 0)
		status = show(&g, a.json);
	got_release(&g);
	session_close(&x);
	return status;
}

/* ---- dispute ---------------------------------------------------------------------------- */

struct invoice_find {
	const char *id;
	int found;
	int64_t amount;
};

static int find_invoice(void *ctx, const struct account_ledger *l)
{
	struct invoice_find *v = ctx;

	for (size_t i = 0; i < l->n_invoices; i++)
		if (strcmp(l->invoices[i].id, v->id) == 0) {
			v->found = 1;
			v->amount = l->invoices[i].amount;
		}
	return 0;
}

int cmd_dispute_open(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] =
		"relance dispute open ACCOUNT [--invoice ID] [--amount A] --reason T --by NAME [--json]";
	struct args a;
	struct session x;
	struct account_facts f = { 0 };
	struct arrange_terms t;
	struct invoice_find inv = { 0 };
	char amt[64], what[512];
	int status, rc;

	arrange_terms_init(&t);
	if ((status = parse_args(argc, argv, &a, usage)) != 0 ||
	    (status = need(a.n_pos == 1 ? a.pos[0] : NULL, "ACCOUNT", usage)) != 0 ||
	    (status = need(a.reason, "--reason", usage)) != 0 ||
	    (status = need(a.by, "--by", usage)) != 0)
		return status;
	if (!a.invoice && !a.amount)
		return cmd_fail(EXIT_USAGE, "give --invoice, --amount or both; usage: %s", usage);
	if ((status = session_open(ctx, &x, 1)) != 0 || (status = account_of(&x, a.pos[0], &f)) != 0)
		goto out;
	if (a.amount && (status = parse_amount(a.amount, &f, "--amount", &t.amount)) != 0)
		goto out;
	if (a.invoice) {
		inv.id = a.invoice;
		if ((rc = store_ledger_scan(x.s, &f.account_key, 1, find_invoice, &inv)) != STORE_OK) {
			status = cmd_store_fail(x.s, rc);
			goto out;
		}
		if (!inv.found) {
			status = cmd_fail(EXIT_USAGE, "account %s has no invoice %s", f.account_id,
					  a.invoice);
			goto out;
		}
		if (!a.amount)
			t.amount = inv.amount;
		if (t.amount > inv.amount) {
			char max[64];

			money_text(t.amount, &f, amt, sizeof(amt));
			money_text(inv.amount, &f, max, sizeof(max));
			status = cmd_fail(EXIT_USAGE, "a dispute of %s is more than invoice %s, %s",
					  amt, a.invoice, max);
			goto out;
		}
	} else if (t.amount > f.pos.balance) {
		char bal[64];

		money_text(t.amount, &f, amt, sizeof(amt));
		money_text(f.pos.balance, &f, bal, sizeof(bal));
		status = cmd_fail(EXIT_USAGE, "a dispute of %s is more than the balance, %s", amt, bal);
		goto out;
	}
	money_text(t.amount, &f, amt, sizeof(amt));
	memcpy(t.currency, f.currency, 4);
	t.invoice_id = (char *)a.invoice;
	t.reason = (char *)a.reason;
	t.answer_by = f.pos.today + x.policy->arrangements.dispute_answer_days;
	snprintf(what, sizeof(what), "disputes %s%s%s: %s; frozen until resolved", amt,
		 a.invoice ? " of invoice " : "", a.invoice ? a.invoice : "", a.reason);
	status = create(&x, "dispute", "open", &f, 1, &t, a.by, NULL, what, a.json);
out:
	account_facts_release(&f);
	session_close(&x);
	return status;
}

int cmd_dispute_review(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance dispute review DISPUTE --by NAME [--json]";
	struct args a;
	struct session x;
	struct got g = { 0 };
	char body[256];
	int status;

	if ((status = parse_args(argc, argv, &a, usage)) != 0 ||
	    (status = need(a.n_pos == 1 ? a.pos[0] : NULL, "DISPUTE", usage)) != 0 ||
	    (status = need(a.by, "--by", usage)) != 0)
		return status;
	if ((status = session_open(ctx, &x, 0)) != 0 ||
	    (status = get_arrangement(&x, a.pos[0], "dispute", &g)) != 0)
		goto out;
	if (strcmp(g.state, "open") != 0) {
		status = cmd_fail(EXIT_USAGE, "dispute %s is %s: only an open dispute goes under review",
				  g.id, g.state);
		goto out;
	}
	snprintf(body, sizeof(body), "dispute %s under review by %s", g.id, a.by);
	if ((status = change(&x, &g, "review", NULL, a.by, body)) == 0)
		status = print_result(&x, g.id, "dispute", a.json, "review");
out:
	got_release(&g);
	session_close(&x);
	return status;
}

/* An upheld dispute's credit note, through the ledger as an import would
 * bring it, and the account's snapshot computed again. Returns 0 or an
 * exit status after saying why. */
struct snap_one {
	struct position pos;
	int rc;
};

static int snap_one(void *ctx, const struct account_ledger *l)
{
	struct snap_one *o = ctx;

	o->rc = postpone_position(l, POSITION_FOREVER, &o->pos);
	return o->rc == POSITION_OK ? 0 : STORE_ERR_INPUT;
}

/* The account's kept-current snapshot computed again from its ledger (after
 * a credit note or a postponement), and its next check brought forward. */
static int refresh_snapshot(struct session *x, const struct account_facts *f)
{
	struct snap_one so = { { 0 }, POSITION_OK };
	int rc;

	postpone_forget();   /* read afresh: serve runs this command in one long process */
	if ((rc = postpone_load(x->s)) != STORE_OK ||
	    (rc = store_ledger_scan(x->s, &f->account_key, 1, snap_one, &so)) != STORE_OK ||
	    (rc = store_snapshots_put(x->s, &f->account_key, &so.pos, 1)) != STORE_OK ||
	    (rc = store_cases_touch(x->s, &f->account_key, 1, x->cmd->now)) != STORE_OK) {
		position_release(&so.pos);
		if (so.rc != POSITION_OK)
			return cmd_fail(EXIT_RUNTIME, "account %s: position overflows", f->account_id);
		return cmd_store_fail(x->s, rc);
	}
	position_release(&so.pos);
	return 0;
}

static int credit_note(struct session *x, const char *source, const char *id,
		       const char *invoice_id, int64_t amount, const struct account_facts *f)
{
	struct credit_row row = { 0 };
	struct store_outcome out = { 0 };
	int64_t import_id;
	int rc;

	row.line = 1;
	row.account_key = f->account_key;
	row.cr.kind = LEDGER_CREDIT_NOTE;
	row.cr.id = id;
	row.cr.invoice_id = invoice_id;
	row.cr.issued_on = f->pos.today;
	row.cr.amount = amount;
	row.reason = source;
	if ((rc = store_import_begin(x->s, "credit_notes", source, x->cmd->now, &import_id)) !=
	    STORE_OK ||
	    (rc = store_credits_put(x->s, import_id, &row, 1, &out)) != STORE_OK)
		return cmd_store_fail(x->s, rc);
	if (out.put != STORE_PUT_NEW)
		return cmd_fail(EXIT_USAGE, "credit note %s is already in the ledger", id);
	if ((rc = store_import_finish(x->s, import_id, 1, 1)) != STORE_OK)
		return cmd_store_fail(x->s, rc);
	return refresh_snapshot(x, f);
}

int cmd_dispute_resolve(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] =
		"relance dispute resolve DISPUTE (--upheld | --rejected) --by NAME [--note T] [--json]";
	struct args a;
	struct session x;
	struct got g = { 0 };
	struct arrange_terms t;
	struct account_facts f = { 0 };
	char body[512], amt[64], credit[64];
	int status, rc;

	arrange_terms_init(&t);
	if ((status = parse_args(argc, argv, &a, usage)) != 0 ||
	    (status = need(a.n_pos == 1 ? a.pos[0] : NULL, "DISPUTE", usage)) != 0 ||
	    (status = need(a.by, "--by", usage)) != 0)
		return status;
	if (a.upheld == a.rejected)
		return cmd_fail(EXIT_USAGE, "give --upheld or --rejected; usage: %s", usage);
	if ((status = session_open(ctx, &x, 1)) != 0 ||
	    (status = get_arrangement(&x, a.pos[0], "dispute", &g)) != 0)
		goto out;
	if (strcmp(g.state, "open") != 0 && strcmp(g.state, "review") != 0) {
		status = cmd_fail(EXIT_USAGE, "dispute %s is already %s", g.id, g.state);
		goto out;
	}
	if (arrange_terms_decode(g.terms, &t) != ARRANGE_OK) {
		status = cmd_fail(EXIT_RUNTIME, "dispute %s: its terms are unreadable", g.id);
		goto out;
	}
	if ((status = account_of(&x, g.accounts[0], &f)) != 0)
		goto out;
	money_text(t.amount, &f, amt, sizeof(amt));
	if (a.upheld)
		snprintf(body, sizeof(body), "dispute %s upheld by %s: credit note %s-credit of %s%s%s",
			 g.id, a.by, g.id, amt, a.note ? "; " : "", a.note ? a.note : "");
	else
		snprintf(body, sizeof(body), "dispute %s rejected by %s: %s is collectible again%s%s",
			 g.id, a.by, amt, a.note ? "; " : "", a.note ? a.note : "");
	if ((rc = store_begin(x.s)) != STORE_OK) {
		status = cmd_store_fail(x.s, rc);
		goto out;
	}
	snprintf(credit, sizeof(credit), "%s-credit", g.id);
	if (a.upheld && (status = credit_note(&x, g.id, credit, t.invoice_id, t.amount, &f)) != 0) {
		store_rollback(x.s);
		goto out;
	}
	rc = store_arrangement_update(x.s, g.id, g.version, a.upheld ? "upheld" : "rejected", NULL,
				      ctx->now, a.by);
	/* Collectible again: where a notice must precede a suspension, the
	 * customer is given one for it (holds.h). */
	if (rc == STORE_OK && a.rejected) {
		const struct policy_jurisdiction *j = policy_jurisdiction(x.policy, f.jurisdiction);

		if (j != NULL && j->notice_days_before_suspension > 0)
			rc = holds_case_edit(x.s, ctx->now, f.account_key, HOLDS_FRESH_NOTICE);
	}
	if (rc == STORE_OK)
		rc = on_file(&x, g.keys, g.n_accounts, a.by, body);
	if ((status = finish_tx(&x, rc)) == 0)
		status = print_result(&x, g.id, "dispute", a.json, a.upheld ? "upheld" : "rejected");
out:
	account_facts_release(&f);
	arrange_terms_release(&t);
	got_release(&g);
	session_close(&x);
	return status;
}

/* ---- hand-off ------------------------------------------------------------------------------ */

/* The live hand-offs that hold the case (to an agency, a notary, a court:
 * a credit bureau listing holds nothing and ends when the debt is paid). */
struct live_handoff {
	struct got g[8];
	size_t n;
};

static int keep_handoff(void *ctx, const struct arrangement_view *a)
{
	struct live_handoff *h = ctx;
	struct arrange_terms t;
	int bureau;

	if (strcmp(a->kind, "handoff") != 0 || h->n == sizeof(h->g) / sizeof(h->g[0]))
		return 0;
	if (arrange_terms_decode(a->terms, &t) != ARRANGE_OK)
		return STORE_ERR_INPUT;
	bureau = t.party && strcmp(t.party, "credit_bureau") == 0;
	arrange_terms_release(&t);
	return bureau ? 0 : keep_got(&h->g[h->n++], a);
}

int cmd_handoff_recall(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance handoff recall ACCOUNT --by NAME [--note T] [--json]";
	struct args a;
	struct session x;
	struct account_facts f = { 0 };
	struct live_handoff h;
	char body[512];
	int status, rc;

	memset(&h, 0, sizeof(h));
	if ((status = parse_args(argc, argv, &a, usage)) != 0 ||
	    (status = need(a.n_pos == 1 ? a.pos[0] : NULL, "ACCOUNT", usage)) != 0 ||
	    (status = need(a.by, "--by", usage)) != 0)
		return status;
	if ((status = session_open(ctx, &x, 0)) != 0 || (status = account_of(&x, a.pos[0], &f)) != 0)
		goto out;
	if ((rc = store_arrangements_of_account(x.s, f.account_key, 1, keep_handoff, &h)) !=
	    STORE_OK) {
		status = cmd_store_fail(x.s, rc);
		goto out;
	}
	if (h.n == 0) {
		status = cmd_fail(EXIT_USAGE, "account %s is not held by any party: it was never "
				  "handed off, or was recalled", f.account_id);
		goto out;
	}
	for (size_t i = 0; i < h.n && status == 0; i++) {
		snprintf(body, sizeof(body), "hand-off %s recalled by %s: collection is ours again%s%s",
			 h.g[i].id, a.by, a.note ? "; " : "", a.note ? a.note : "");
		if ((status = change(&x, &h.g[i], "recalled", NULL, a.by, body)) == 0)
			status = print_result(&x, h.g[i].id, "handoff", a.json, "recalled");
	}
out:
	for (size_t i = 0; i < h.n; i++)
		got_release(&h.g[i]);
	account_facts_release(&f);
	session_close(&x);
	return status;
}

/* ---- postponement --------------------------------------------------------------------------- */

struct invoice_of {
	const char *id;
	int found;
	int32_t due_on;
	char account_id[128];
};

static int keep_invoice_of(void *ctx, const struct account_ledger *l)
{
	struct invoice_of *v = ctx;

	for (size_t i = 0; i < l->n_invoices; i++)
		if (strcmp(l->invoices[i].id, v->id) == 0) {
			v->found = 1;
			v->due_on = l->invoices[i].due_on;
			snprintf(v->account_id, sizeof(v->account_id), "%s", l->account_id);
		}
	return 0;
}

int cmd_invoice_postpone(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] =
		"relance invoice postpone INVOICE --to YYYY-MM-DD --by NAME --reason T [--json]";
	const char *ids[1];
	struct args a;
	struct session x;
	struct account_facts f = { 0 };
	struct arrange_terms t;
	struct invoice_ref ref = { 0 };
	struct invoice_of inv = { 0 };
	char was[DATE_TEXT_LEN + 1], what[512];
	int32_t to = 0, moved;
	int status, rc;

	arrange_terms_init(&t);
	if ((status = parse_args(argc, argv, &a, usage)) != 0 ||
	    (status = need(a.n_pos == 1 ? a.pos[0] : NULL, "INVOICE", usage)) != 0 ||
	    (status = need(a.to, "--to", usage)) != 0 ||
	    (status = need(a.by, "--by", usage)) != 0 ||
	    (status = need(a.reason, "--reason", usage)) != 0 ||
	    (status = parse_day(a.to, "--to", &to)) != 0)
		return status;
	if ((status = session_open(ctx, &x, 0)) != 0)
		goto out;
	ids[0] = a.pos[0];
	inv.id = a.pos[0];
	if ((rc = store_invoices_find(x.s, ids, 1, &ref)) != STORE_OK ||
	    (ref.found && (rc = store_ledger_scan(x.s, &ref.account_key, 1, keep_invoice_of,
						   &inv)) != STORE_OK)) {
		status = cmd_store_fail(x.s, rc);
		goto out;
	}
	if (!inv.found) {
		status = cmd_fail(EXIT_USAGE, "no invoice %s", a.pos[0]);
		goto out;
	}
	if ((status = account_of(&x, inv.account_id, &f)) != 0 ||
	    (rc = postpone_load(x.s)) != STORE_OK) {
		if (status == 0)
			status = cmd_store_fail(x.s, rc);
		goto out;
	}
	moved = postpone_due_on(inv.id);
	date_format(moved != POSITION_NO_DATE ? moved : inv.due_on, was);
	if (to < f.pos.today) {
		status = cmd_fail(EXIT_USAGE, "--to %s is in the past", a.to);
	} else if (to <= (moved != POSITION_NO_DATE ? moved : inv.due_on)) {
		status = cmd_fail(EXIT_USAGE, "--to %s is not after the invoice's due date, %s", a.to,
				  was);
	} else if (to > f.pos.today + 366) {
		status = cmd_fail(EXIT_USAGE, "--to %s is more than a year away", a.to);
	}
	if (status != 0)
		goto out;
	memcpy(t.currency, f.currency, 4);
	t.invoice_id = (char *)inv.id;
	t.due_on = to;
	t.was_due_on = moved != POSITION_NO_DATE ? moved : inv.due_on;
	t.reason = (char *)a.reason;
	t.note = (char *)a.note;
	snprintf(what, sizeof(what), "invoice %s due on %s is now due on %s: %s", inv.id, was, a.to,
		 a.reason);
	/* The snapshot is computed with the new date inside the transaction
	 * that stores it: nobody sees one without the other. */
	{
		const char *acct[1] = { f.account_id };
		char *terms = arrange_terms_encode(&t), id[32], body[640];
		struct arrangement_new an = { "postponement", "active", acct, 1, ctx->now, a.by, terms,
					      NULL };
		struct got g;

		if (terms == NULL) {
			status = cmd_fail(EXIT_RUNTIME, "out of memory");
			goto out;
		}
		if ((rc = store_begin(x.s)) == STORE_OK &&
		    (rc = store_arrangement_create(x.s, &an, id, sizeof(id))) == STORE_OK) {
			snprintf(body, sizeof(body), "postponement %s by %s: %s", id, a.by, what);
			rc = on_file(&x, &f.account_key, 1, a.by, body);
		}
		free(terms);
		if (rc == STORE_OK) {
			postpone_forget();
			if ((status = refresh_snapshot(&x, &f)) != 0) {
				store_rollback(x.s);
				goto out;
			}
		}
		if ((status = finish_tx(&x, rc)) != 0)
			goto out;
		if ((status = get_arrangement(&x, id, "postponement", &g)) == 0)
			status = show(&g, a.json);
		got_release(&g);
	}
out:
	account_facts_release(&f);
	session_close(&x);
	return status;
}
