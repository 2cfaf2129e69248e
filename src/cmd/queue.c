/*
 * queue — the agents' work queues (docs/queues.md) and bad contacts:
 *
 *   relance queue list [QUEUE] [--mine --by NAME | --unassigned] [--after TASK]
 *        [--limit N] [--json]
 *   relance queue take TASK --by NAME [--json]
 *   relance queue release TASK --by NAME [--json]
 *   relance queue close TASK --by NAME --outcome X [--note T] [--json]
 *   relance contact flag CUSTOMER --kind phone|email --by NAME [--account ACCOUNT]
 *        [--note T] [--json]
 *
 * A task is a queue action the cycle performed (store.h "work queues").
 * Answers go through cmd_out and refusals through cmd_err, so that `relance
 * serve` runs these commands for the API and refuses what they refuse.
 * Refusals exit 2 with the reason and change nothing; a task held by
 * someone else is refused with "held by", one closed with "closed by".
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/caltime.h"
#include "../core/dynbuf.h"
#include "../store/store.h"
#include "cmd.h"
#include "holds.h"

/* Where answers go (cmd.h: serve may point it elsewhere). */
#define OUT (cmd_out ? cmd_out : stdout)
#define TASKS_PAGE_DEFAULT 50

struct queue_args {
	const char *pos[2];
	size_t n_pos;
	const char *by, *outcome, *note, *after, *limit, *kind, *account;
	int json, mine, unassigned;
};

static int parse_args(int argc, char **argv, struct queue_args *a, const char *usage)
{
	static const struct cmd_arg_opt opts[] = {
		{ "--by", offsetof(struct queue_args, by), 0 },
		{ "--outcome", offsetof(struct queue_args, outcome), 0 },
		{ "--note", offsetof(struct queue_args, note), 0 },
		{ "--after", offsetof(struct queue_args, after), 0 },
		{ "--limit", offsetof(struct queue_args, limit), 0 },
		{ "--kind", offsetof(struct queue_args, kind), 0 },
		{ "--account", offsetof(struct queue_args, account), 0 },
		{ "--json", offsetof(struct queue_args, json), 1 },
		{ "--mine", offsetof(struct queue_args, mine), 1 },
		{ "--unassigned", offsetof(struct queue_args, unassigned), 1 },
	};

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		int r = cmd_arg_match(argc, argv, &i, opts, sizeof(opts) / sizeof(opts[0]), a);

		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cmd_fail(EXIT_USAGE, "unknown option %s; usage: %s", argv[i], usage);
		else if (a->n_pos < 2)
			a->pos[a->n_pos++] = argv[i];
		else
			return cmd_fail(EXIT_USAGE, "too many arguments; usage: %s", usage);
	}
	return 0;
}

/* A whole number within [lo, hi] named `what`. */
static int parse_int(const char *text, const char *what, int64_t lo, int64_t hi, int64_t *out)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi)
		return cmd_fail(EXIT_USAGE, "%s must be a whole number from %lld to %lld, not '%s'",
				what, (long long)lo, (long long)hi, text);
	*out = v;
	return 0;
}

/* Prints b (the answer) on OUT and frees it; EXIT_RUNTIME when it failed. */
static int print_buf(struct dynbuf *b)
{
	int status = 0;

	if (b->failed)
		status = cmd_fail(EXIT_RUNTIME, "out of memory");
	else if (b->p != NULL)
		fputs(b->p, OUT);
	free(b->p);
	b->p = NULL;
	return status;
}

static void json_int(struct dynbuf *b, const char *name, int64_t v)
{
	char num[96];

	snprintf(num, sizeof(num), ",\"%s\":%lld", name, (long long)v);
	dynbuf_str(b, num);
}

static void json_field(struct dynbuf *b, const char *name, const char *v)
{
	dynbuf_str(b, ",\"");
	dynbuf_str(b, name);
	dynbuf_str(b, "\":");
	dynbuf_json_str(b, v);
}

/* An instant, or null for 0 (none). */
static void json_instant(struct dynbuf *b, const char *name, int64_t at)
{
	char when[INSTANT_TEXT_LEN + 1];

	dynbuf_str(b, ",\"");
	dynbuf_str(b, name);
	dynbuf_str(b, "\":");
	if (at == 0) {
		dynbuf_str(b, "null");
		return;
	}
	instant_format(at, when);
	dynbuf_json_str(b, when);
}

void queue_task_json(struct dynbuf *b, const struct task_view *t)
{
	char num[48];

	snprintf(num, sizeof(num), "{\"id\":%lld", (long long)t->task_id);
	dynbuf_str(b, num);
	json_field(b, "queue", t->queue);
	json_int(b, "priority", t->priority);
	json_field(b, "text", t->text);
	json_field(b, "rule", t->rule);
	json_field(b, "customer_id", t->customer_id);
	json_field(b, "account_id", t->account_id);
	json_instant(b, "created_at", t->created_at);
	dynbuf_str(b, ",\"state\":");
	dynbuf_json_str(b, t->closed_at ? "closed" : t->taken_by[0] ? "held" : "open");
	dynbuf_str(b, ",\"taken_by\":");
	if (t->taken_by[0])
		dynbuf_json_str(b, t->taken_by);
	else
		dynbuf_str(b, "null");
	json_instant(b, "lease_until", t->lease_until);
	if (t->closed_at) {
		json_field(b, "closed_by", t->closed_by);
		json_instant(b, "closed_at", t->closed_at);
		json_field(b, "outcome", t->outcome);
		json_field(b, "note", t->note);
	}
	dynbuf_str(b, "}");
}

/* ---- queue list ------------------------------------------------------------------------- */

struct list_out {
	struct dynbuf b;
	int json;
	int64_t n, last;
};

static int show_queue(void *ctx, const struct queue_count *q)
{
	struct list_out *l = ctx;
	char when[INSTANT_TEXT_LEN + 1], line[96];

	if (l->json) {
		dynbuf_str(&l->b, l->n ? ",{\"name\":" : "{\"name\":");
		dynbuf_json_str(&l->b, q->queue);
		json_int(&l->b, "open", q->open);
		json_int(&l->b, "unassigned", q->unassigned);
		json_instant(&l->b, "oldest_at", q->oldest_at);
		dynbuf_str(&l->b, "}");
	} else {
		instant_format(q->oldest_at, when);
		dynbuf_str(&l->b, q->queue);
		snprintf(line, sizeof(line), "  open %lld  unassigned %lld  oldest %s\n",
			 (long long)q->open, (long long)q->unassigned, when);
		dynbuf_str(&l->b, line);
	}
	l->n++;
	return 0;
}

static int show_task(void *ctx, const struct task_view *t)
{
	struct list_out *l = ctx;
	char when[INSTANT_TEXT_LEN + 1], line[160];

	if (l->json) {
		if (l->n)
			dynbuf_str(&l->b, ",");
		queue_task_json(&l->b, t);
	} else {
		instant_format(t->created_at, when);
		snprintf(line, sizeof(line), "%lld  p%d  %s  ", (long long)t->task_id, t->priority,
			 when);
		dynbuf_str(&l->b, line);
		dynbuf_str(&l->b, t->account_id);
		dynbuf_str(&l->b, "  ");
		dynbuf_str(&l->b, t->taken_by[0] ? t->taken_by : "-");
		dynbuf_str(&l->b, "  ");
		dynbuf_str(&l->b, t->text[0] ? t->text : t->rule);
		dynbuf_str(&l->b, "\n");
	}
	l->n++;
	l->last = t->task_id;
	return 0;
}

int cmd_queue_list(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance queue list [QUEUE] [--mine --by NAME | --unassigned] "
		"[--after TASK] [--limit N] [--json]";
	struct queue_args a;
	struct store *s = NULL;
	struct list_out l = { .b = { .max = 16u << 20 } };
	struct task_filter f = { 0 };
	int status, rc;

	if ((status = parse_args(argc, argv, &a, usage)) != 0)
		return status;
	if (a.n_pos > 1)
		return cmd_fail(EXIT_USAGE, "one queue at a time; usage: %s", usage);
	if (a.mine && a.unassigned)
		return cmd_fail(EXIT_USAGE, "--mine or --unassigned, not both");
	if (a.mine && (a.by == NULL || a.by[0] == '\0'))
		return cmd_fail(EXIT_USAGE, "--mine needs --by NAME");
	f.limit = TASKS_PAGE_DEFAULT;
	if ((a.after && (status = parse_int(a.after, "--after", 0, INT64_MAX, &f.after)) != 0) ||
	    (a.limit && (status = parse_int(a.limit, "--limit", 1, 1000, &f.limit)) != 0))
		return status;
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	l.json = a.json;
	if (a.n_pos == 0) {
		dynbuf_str(&l.b, a.json ? "{\"queues\":[" : "");
		rc = store_queues_list(s, ctx->now, show_queue, &l);
		dynbuf_str(&l.b, a.json ? "]}\n" : l.n ? "" : "(no open tasks)\n");
	} else {
		f.queue = a.pos[0];
		f.who = a.mine ? STORE_TASKS_MINE : a.unassigned ? STORE_TASKS_UNASSIGNED :
			STORE_TASKS_ANY;
		f.user = a.by;
		f.now = ctx->now;
		if (a.json) {
			dynbuf_str(&l.b, "{\"queue\":");
			dynbuf_json_str(&l.b, a.pos[0]);
			dynbuf_str(&l.b, ",\"tasks\":[");
		}
		rc = store_tasks_list(s, &f, show_task, &l);
		if (a.json) {
			char next[48];

			/* A full page may have more after it: its last id is the cursor. */
			if (l.n == f.limit)
				snprintf(next, sizeof(next), "],\"next\":%lld}\n", (long long)l.last);
			else
				snprintf(next, sizeof(next), "],\"next\":null}\n");
			dynbuf_str(&l.b, next);
		} else if (l.n == 0) {
			dynbuf_str(&l.b, "(no open tasks)\n");
		}
	}
	if (rc != STORE_OK) {
		free(l.b.p);
		status = cmd_store_fail(s, rc);
	} else {
		status = print_buf(&l.b);
	}
	store_close(s);
	return status;
}

/* ---- take, release, close ---------------------------------------------------------------- */

struct one_task {
	struct dynbuf b;
	int found;
};

static int keep_one(void *ctx, const struct task_view *t)
{
	struct one_task *o = ctx;

	o->found = 1;
	queue_task_json(&o->b, t);
	return 0;
}

/* Prints the task as it now is: JSON, or one line saying `done`. */
static int print_task(struct cmd_ctx *ctx, struct store *s, int64_t id, int json,
		      const char *done, int64_t seq)
{
	struct one_task o = { .b = { .max = 1u << 20 } };
	int rc;

	if (!json) {
		fprintf(OUT, "task %lld %s\n", (long long)id, done);
		return 0;
	}
	if ((rc = store_task_get(s, id, ctx->now, keep_one, &o)) != STORE_OK) {
		free(o.b.p);
		return cmd_store_fail(s, rc);
	}
	if (seq > 0) {
		/* The file entry the close wrote: where to read it. */
		if (o.b.len > 0 && o.b.p[o.b.len - 1] == '}')
			o.b.len--;
		json_int(&o.b, "file_seq", seq);
		dynbuf_str(&o.b, "}");
	}
	dynbuf_str(&o.b, "\n");
	return print_buf(&o.b);
}

enum task_verb { TAKE, RELEASE, CLOSE };

static int task_command(struct cmd_ctx *ctx, int argc, char **argv, enum task_verb verb,
			const char *usage)
{
	struct queue_args a;
	struct store *s = NULL;
	int64_t id = 0, seq = 0;
	char done[160];
	int status, rc;

	if ((status = parse_args(argc, argv, &a, usage)) != 0)
		return status;
	if (a.n_pos != 1)
		return cmd_fail(EXIT_USAGE, "which task? usage: %s", usage);
	if (a.by == NULL || a.by[0] == '\0')
		return cmd_fail(EXIT_USAGE, "--by NAME is required: who does it");
	if (verb == CLOSE && a.outcome == NULL)
		return cmd_fail(EXIT_USAGE, "--outcome is required, one of: %s",
				STORE_TASK_OUTCOMES);
	if ((status = parse_int(a.pos[0], "TASK", 1, INT64_MAX, &id)) != 0)
		return status;
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	switch (verb) {
	case TAKE:
		rc = store_task_take(s, id, a.by, ctx->now, STORE_TASK_LEASE_SECONDS);
		snprintf(done, sizeof(done), "taken by %.64s", a.by);
		break;
	case RELEASE:
		rc = store_task_release(s, id, a.by, ctx->now);
		snprintf(done, sizeof(done), "released by %.64s", a.by);
		break;
	default:
		rc = store_task_close(s, id, a.by, ctx->now, a.outcome, a.note, &seq);
		snprintf(done, sizeof(done), "closed by %.64s: %.32s", a.by, a.outcome);
		break;
	}
	status = rc == STORE_OK ? print_task(ctx, s, id, a.json, done, seq) : cmd_store_fail(s, rc);
	store_close(s);
	return status;
}

int cmd_queue_take(struct cmd_ctx *ctx, int argc, char **argv)
{
	return task_command(ctx, argc, argv, TAKE, "relance queue take TASK --by NAME [--json]");
}

int cmd_queue_release(struct cmd_ctx *ctx, int argc, char **argv)
{
	return task_command(ctx, argc, argv, RELEASE,
			    "relance queue release TASK --by NAME [--json]");
}

int cmd_queue_close(struct cmd_ctx *ctx, int argc, char **argv)
{
	return task_command(ctx, argc, argv, CLOSE, "relance queue close TASK --by NAME "
			    "--outcome X [--note T] [--json]");
}

/* ---- contact flag ------------------------------------------------------------------------- */

struct contact_facts {
	int found;
	char phone[128], email[320];
};

static int keep_contact(void *ctx, const struct customer_view *v)
{
	struct contact_facts *c = ctx;

	c->found = 1;
	snprintf(c->phone, sizeof(c->phone), "%s", v->phone ? v->phone : "");
	snprintf(c->email, sizeof(c->email), "%s", v->email ? v->email : "");
	return 0;
}

/* The first account named on the customer's file. */
static int first_account(void *ctx, const struct file_entry_view *e)
{
	char *account = ctx;

	if (e->account_id[0] == '\0')
		return 0;
	snprintf(account, 128, "%s", e->account_id);
	return STORE_STOP;
}

int cmd_contact_flag(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance contact flag CUSTOMER --kind phone|email --by NAME "
		"[--account ACCOUNT] [--note T] [--json]";
	struct queue_args a;
	struct store *s = NULL;
	struct contact_facts c = { 0 };
	struct account_facts f = { 0 };
	char account[128] = "", text[1200];
	const char *value;
	int status, rc, flagged = 0, bad = 0, in_tx = 0;

	if ((status = parse_args(argc, argv, &a, usage)) != 0)
		return status;
	if (a.n_pos != 1)
		return cmd_fail(EXIT_USAGE, "which customer? usage: %s", usage);
	if (a.kind == NULL || (strcmp(a.kind, "phone") != 0 && strcmp(a.kind, "email") != 0))
		return cmd_fail(EXIT_USAGE, "--kind must be phone or email");
	if (a.by == NULL || a.by[0] == '\0')
		return cmd_fail(EXIT_USAGE, "--by NAME is required: who found it bad");
	if (a.note != NULL && strlen(a.note) > 800)
		return cmd_fail(EXIT_USAGE, "--note is at most 800 bytes");
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	if ((rc = store_customer_get(s, a.pos[0], keep_contact, &c)) != STORE_OK) {
		status = cmd_store_fail(s, rc);
		goto out;
	}
	if (!c.found) {
		status = cmd_fail(EXIT_USAGE, "no customer %s", a.pos[0]);
		goto out;
	}
	value = strcmp(a.kind, "phone") == 0 ? c.phone : c.email;
	if (value[0] == '\0') {
		status = cmd_fail(EXIT_USAGE, "customer %s has no %s on file", a.pos[0], a.kind);
		goto out;
	}
	if ((rc = store_contact_bad(s, a.pos[0], a.kind, value, &bad)) != STORE_OK) {
		status = cmd_store_fail(s, rc);
		goto out;
	}
	if (bad) {
		status = cmd_fail(EXIT_USAGE, "the %s %s of customer %s is flagged bad already",
				  a.kind, value, a.pos[0]);
		goto out;
	}
	/* The task is about one account: the one named, else the first on file. */
	if (a.account != NULL) {
		if ((status = account_facts_get(ctx, s, a.account, &f)) != 0)
			goto out;
		if (!f.found || strcmp(f.customer_id, a.pos[0]) != 0) {
			status = cmd_fail(EXIT_USAGE, "no account %s of customer %s", a.account,
					  a.pos[0]);
			goto out;
		}
	} else {
		rc = store_file_scan(s, a.pos[0], first_account, account);
		if (rc != STORE_OK && rc != STORE_STOP) {
			status = cmd_store_fail(s, rc);
			goto out;
		}
		if (account[0] == '\0') {
			status = cmd_fail(EXIT_USAGE, "customer %s has no account on file: give "
					  "--account", a.pos[0]);
			goto out;
		}
		if ((status = account_facts_get(ctx, s, account, &f)) != 0)
			goto out;
		if (!f.found) {
			status = cmd_fail(EXIT_USAGE, "no account %s", account);
			goto out;
		}
	}
	snprintf(text, sizeof(text), "%s %s flagged as bad by %s%s%s: not used again until "
		 "corrected; fix contact details", a.kind, value, a.by, a.note && a.note[0] ?
		 ": " : "", a.note ? a.note : "");
	if ((rc = store_begin(s)) == STORE_OK) {
		in_tx = 1;
		rc = store_contact_failure(s, a.pos[0], a.kind, value, ctx->now, 1, &flagged);
	}
	if (rc == STORE_OK)
		rc = contact_fix_task(s, a.pos[0], f.account_id, f.account_key, a.kind, value, text,
				      a.by, 0, ctx->now);
	if (rc == STORE_OK) {
		in_tx = 0;
		rc = store_commit(s);
	}
	if (rc != STORE_OK) {
		status = cmd_store_fail(s, rc);
		if (in_tx)
			store_rollback(s);
		goto out;
	}
	if (a.json) {
		struct dynbuf b = { .max = 1u << 16 };

		dynbuf_str(&b, "{\"customer_id\":");
		dynbuf_json_str(&b, a.pos[0]);
		json_field(&b, "account_id", f.account_id);
		json_field(&b, "kind", a.kind);
		json_field(&b, "value", value);
		json_field(&b, "flagged_by", a.by);
		json_field(&b, "queue", "contact-fix");
		dynbuf_str(&b, "}\n");
		status = print_buf(&b);
	} else {
		fprintf(OUT, "%s %s of customer %s flagged bad; task on queue contact-fix\n", a.kind,
			value, a.pos[0]);
	}
out:
	if (f.found)
		account_facts_release(&f);
	store_close(s);
	return status;
}
