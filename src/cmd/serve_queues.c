/*
 * serve_queues — the agents' work queues over the API (docs/api.md "Work
 * queues", docs/queues.md): the queues and their open tasks, taking,
 * releasing and closing a task, flagging a bad contact, and the actions
 * pending for an account (what the console shows beside the file).
 *
 * The author of everything written is the signed-in user, never a name the
 * body gives. A task held by someone else, or closed, is 409 with the
 * reason; an unknown task 404; a body with unknown fields or wrong types
 * 400, and nothing is stored.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/caltime.h"
#include "../core/dynbuf.h"
#include "../store/store.h"
#include "cmd.h"
#include "holds.h"
#include "serve.h"

/* Answers the store's refusal `rc` (its reason in store_errmsg). */
static void store_problem(struct app *app, int rc, struct http_answer *a)
{
	const char *why = store_errmsg(serve_thread(app)->store);

	if (rc == STORE_ERR_CONFLICT)
		http_answer_problem(a, 409, "Conflict", "%s", why);
	else if (rc == STORE_ERR_INPUT && strncmp(why, "no task", 7) == 0)
		http_answer_problem(a, 404, "Not Found", "%s", why);
	else if (rc == STORE_ERR_INPUT)
		http_answer_problem(a, 400, "Bad Request", "%s", why);
	else
		http_answer_problem(a, 503, "Service Unavailable", "the work queues could not be "
				    "read or written");
}

/* ---- GET /api/v1/queues ------------------------------------------------------------------ */

struct queues_page {
	struct dynbuf b;
	int n;
};

static int keep_queue(void *ctx, const struct queue_count *q)
{
	struct queues_page *p = ctx;
	char num[160], when[INSTANT_TEXT_LEN + 1];

	instant_format(q->oldest_at, when);
	dynbuf_str(&p->b, p->n++ ? ",{\"name\":" : "{\"name\":");
	dynbuf_json_str(&p->b, q->queue);
	snprintf(num, sizeof(num), ",\"open\":%lld,\"unassigned\":%lld,\"oldest_at\":\"%s\"}",
		 (long long)q->open, (long long)q->unassigned, when);
	dynbuf_str(&p->b, num);
	return 0;
}

static int queues(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct queues_page p = { .b = { .max = 4u << 20 } };
	int rc;

	(void)r;
	dynbuf_str(&p.b, "{\"queues\":[");
	if ((rc = store_queues_list(serve_thread(app)->store, serve_now(app), keep_queue, &p)) !=
	    STORE_OK) {
		free(p.b.p);
		store_problem(app, rc, a);
		return 0;
	}
	dynbuf_str(&p.b, "]}");
	return serve_answer_json(a, 200, &p.b);
}

/* ---- GET /api/v1/queues/{name}/tasks ----------------------------------------------------- */

struct tasks_page {
	struct dynbuf b;
	int64_t n, last;
};

static int keep_task(void *ctx, const struct task_view *t)
{
	struct tasks_page *p = ctx;

	if (p->n++)
		dynbuf_str(&p->b, ",");
	queue_task_json(&p->b, t);
	p->last = t->task_id;
	return 0;
}

/* ?after=TASK (the cursor: the last id of the previous page), ?limit=N
 * (1-1000, default 50), ?mine=1 (held by the one asking), ?unassigned=1. */
static int tasks(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct principal *who = r->principal;
	struct tasks_page p = { .b = { .max = 16u << 20 } };
	struct task_filter f = { 0 };
	int64_t mine, unassigned;
	int rc;

	if (serve_query_int(r, "after", 0, INT64_MAX, 0, &f.after, a) != 0 ||
	    serve_query_int(r, "limit", 1, 1000, 50, &f.limit, a) != 0 ||
	    serve_query_int(r, "mine", 0, 1, 0, &mine, a) != 0 ||
	    serve_query_int(r, "unassigned", 0, 1, 0, &unassigned, a) != 0)
		return 0;
	if (mine && unassigned) {
		http_answer_problem(a, 400, "Bad Request", "mine=1 or unassigned=1, not both");
		return 0;
	}
	f.queue = r->params[0];
	f.who = mine ? STORE_TASKS_MINE : unassigned ? STORE_TASKS_UNASSIGNED : STORE_TASKS_ANY;
	f.user = who->user;
	f.now = serve_now(app);
	dynbuf_str(&p.b, "{\"queue\":");
	dynbuf_json_str(&p.b, r->params[0]);
	dynbuf_str(&p.b, ",\"tasks\":[");
	if ((rc = store_tasks_list(serve_thread(app)->store, &f, keep_task, &p)) != STORE_OK) {
		free(p.b.p);
		store_problem(app, rc, a);
		return 0;
	}
	/* A full page may have more after it: its last id is the cursor. */
	serve_json_page_end(&p.b, p.n == f.limit, p.last);
	return serve_answer_json(a, 200, &p.b);
}

/* ---- POST /api/v1/tasks/{id}/take, /release, /close ------------------------------------------ */

/* The task id of the route, or 0 after answering 404. */
static int64_t task_id(struct http_request *r, struct http_answer *a)
{
	char *end = NULL;
	long long id = strtoll(r->params[0], &end, 10);

	if (end == r->params[0] || *end != '\0' || id < 1) {
		http_answer_problem(a, 404, "Not Found", "no task %.64s", r->params[0]);
		return 0;
	}
	return id;
}

struct one_task {
	struct dynbuf b;
};

static int keep_one(void *ctx, const struct task_view *t)
{
	queue_task_json(&((struct one_task *)ctx)->b, t);
	return 0;
}

/* Answers the task as it now is, with the file entry's seq after a close. */
static int answer_task(struct app *app, int64_t id, int64_t seq, struct http_answer *a)
{
	struct one_task o = { .b = { .max = 1u << 20 } };
	char num[64];
	int rc;

	rc = store_task_get(serve_thread(app)->store, id, serve_now(app), keep_one, &o);
	if (rc != STORE_OK || o.b.len == 0) {
		free(o.b.p);
		store_problem(app, rc, a);
		return 0;
	}
	if (seq > 0) {
		o.b.len--;   /* the closing brace */
		snprintf(num, sizeof(num), ",\"file_seq\":%lld}", (long long)seq);
		dynbuf_str(&o.b, num);
	}
	return serve_answer_json(a, 200, &o.b);
}

enum task_move { TASK_TAKE, TASK_RELEASE };

/* Takes the task for the one asking (a lease of STORE_TASK_LEASE_SECONDS),
 * or gives it back: an empty body (or {}), the task as it now is. */
static int move_task(struct app *app, struct http_request *r, struct http_answer *a,
		     enum task_move move)
{
	static const char *const none[] = { NULL };
	struct principal *who = r->principal;
	struct store *s = serve_thread(app)->store;
	int64_t id;
	json_t *o;
	int rc;

	if ((o = serve_body_fields(r, none, 1, a)) == NULL)
		return 0;
	json_decref(o);
	if ((id = task_id(r, a)) == 0)
		return 0;
	if (move == TASK_TAKE)
		rc = store_task_take(s, id, who->user, serve_now(app), STORE_TASK_LEASE_SECONDS);
	else
		rc = store_task_release(s, id, who->user, serve_now(app));
	if (rc != STORE_OK) {
		store_problem(app, rc, a);
		return 0;
	}
	return answer_task(app, id, 0, a);
}

static int take(void *ctx, struct http_request *r, struct http_answer *a)
{
	return move_task(ctx, r, a, TASK_TAKE);
}

static int release(void *ctx, struct http_request *r, struct http_answer *a)
{
	return move_task(ctx, r, a, TASK_RELEASE);
}

/* {"outcome": one of STORE_TASK_OUTCOMES, "note": "..."} */
static int close_task(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const char *const fields[] = { "outcome", "note", NULL };
	struct app *app = ctx;
	struct principal *who = r->principal;
	const char *outcome, *note;
	int64_t id, seq = 0;
	json_t *o;
	int rc;

	if ((o = serve_body_fields(r, fields, 1, a)) == NULL)
		return 0;
	outcome = json_string_value(json_object_get(o, "outcome"));
	note = json_string_value(json_object_get(o, "note"));
	if (outcome == NULL) {
		http_answer_problem(a, 400, "Bad Request", "\"outcome\" is required, one of: %s",
				    STORE_TASK_OUTCOMES);
		json_decref(o);
		return 0;
	}
	if ((id = task_id(r, a)) == 0) {
		json_decref(o);
		return 0;
	}
	rc = store_task_close(serve_thread(app)->store, id, who->user, serve_now(app), outcome,
			      note, &seq);
	json_decref(o);
	if (rc != STORE_OK) {
		store_problem(app, rc, a);
		return 0;
	}
	return answer_task(app, id, seq, a);
}

/* ---- POST /api/v1/customers/{id}/contacts/bad ----------------------------------------------- */

/* {"kind": "phone" | "email", "account": "...", "note": "..."}: `relance
 * contact flag`, run as it is (serve_run_command). */
static int flag_contact(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const struct field_option f[] = {
		{ "kind", "--kind", NULL }, { "account", "--account", NULL },
		{ "note", "--note", NULL },
	};

	if (!serve_may_see_customer(r->principal, r->params[0])) {
		http_answer_problem(a, 404, "Not Found", "no customer %.64s", r->params[0]);
		return 0;
	}
	return serve_run_command(ctx, r, a, cmd_contact_flag, r->params[0], f, 3, RUN_CREATES);
}

/* ---- GET /api/v1/accounts/{id}/actions ----------------------------------------------------- */

struct actions_page {
	struct dynbuf b;
	int n;
};

static void json_text_field(struct dynbuf *b, const char *name, const char *v)
{
	dynbuf_str(b, ",\"");
	dynbuf_str(b, name);
	dynbuf_str(b, "\":");
	dynbuf_json_str(b, v);
}

static int keep_action(void *ctx, const struct outbox_view *v)
{
	struct actions_page *p = ctx;
	char num[96], when[INSTANT_TEXT_LEN + 1];

	snprintf(num, sizeof(num), "%s{\"id\":%lld", p->n++ ? "," : "", (long long)v->outbox_id);
	dynbuf_str(&p->b, num);
	json_text_field(&p->b, "channel", v->channel);
	json_text_field(&p->b, "action", v->action);
	instant_format(v->due_at, when);
	json_text_field(&p->b, "due_at", when);
	json_text_field(&p->b, "state", v->state);
	json_text_field(&p->b, "rule", v->rule);
	snprintf(num, sizeof(num), ",\"policy_version\":%lld,\"attempts\":%lld",
		 (long long)v->policy_version, (long long)v->attempts);
	dynbuf_str(&p->b, num);
	instant_format(v->created_at, when);
	json_text_field(&p->b, "decided_at", when);
	/* The last attempt's reason for waiting ("deferred": why). */
	json_text_field(&p->b, "reason", v->outcome);
	/* The payload is the JSON object run.c wrote (what and to whom). */
	dynbuf_str(&p->b, ",\"payload\":");
	dynbuf_str(&p->b, v->payload[0] == '{' ? v->payload : "{}");
	dynbuf_str(&p->b, "}");
	return 0;
}

/* The account's case: its stage, since when, the next check. */
static int keep_case(void *ctx, const struct case_row *c)
{
	struct dynbuf *b = ctx;
	char when[INSTANT_TEXT_LEN + 1];

	if (c->stage[0] == '\0')
		return 0;   /* no case (store.h) */
	dynbuf_str(b, "{\"stage\":");
	dynbuf_json_str(b, c->stage);
	instant_format(c->stage_since, when);
	json_text_field(b, "stage_since", when);
	json_text_field(b, "rule", c->rule);
	dynbuf_str(b, ",\"next_check_at\":");
	if (c->next_check_at == STORE_NEVER) {
		dynbuf_str(b, "null");
	} else {
		instant_format(c->next_check_at, when);
		dynbuf_json_str(b, when);
	}
	dynbuf_str(b, "}");
	return 0;
}

/* The actions decided for the account and not yet performed, by due_at,
 * with the account's case (null when it has none). */
static int actions(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct account_facts f;
	struct actions_page p = { .b = { .max = 8u << 20 } };
	size_t len;
	int rc;

	if (serve_account(app, r, &f, a) != 0)
		return 0;
	dynbuf_str(&p.b, "{\"account_id\":");
	dynbuf_json_str(&p.b, f.account_id);
	dynbuf_str(&p.b, ",\"case\":");
	len = p.b.len;
	rc = store_case_get(serve_thread(app)->store, f.account_key, keep_case, &p.b);
	if (p.b.len == len)
		dynbuf_str(&p.b, "null");
	dynbuf_str(&p.b, ",\"actions\":[");
	if (rc == STORE_OK)
		rc = store_outbox_scan(serve_thread(app)->store, f.account_key, STORE_OUTBOX_PENDING |
			       STORE_OUTBOX_CLAIMED | STORE_OUTBOX_SENDING, keep_action, &p);
	account_facts_release(&f);
	if (rc != STORE_OK && rc != STORE_STOP) {
		free(p.b.p);
		http_answer_problem(a, 503, "Service Unavailable", "the actions could not be read");
		return 0;
	}
	dynbuf_str(&p.b, "]}");
	return serve_answer_json(a, 200, &p.b);
}

const struct http_route serve_queues_routes[] = {
	{ "GET", "/api/v1/queues", "queues:read", queues },
	{ "GET", "/api/v1/queues/{name}/tasks", "queues:read", tasks },
	{ "POST", "/api/v1/tasks/{id}/take", "queues:write", take },
	{ "POST", "/api/v1/tasks/{id}/release", "queues:write", release },
	{ "POST", "/api/v1/tasks/{id}/close", "queues:write", close_task },
	{ "POST", "/api/v1/customers/{id}/contacts/bad", "queues:write", flag_contact },
	{ "GET", "/api/v1/accounts/{id}/actions", "file:read", actions },
};
const size_t serve_queues_n_routes = sizeof(serve_queues_routes) / sizeof(serve_queues_routes[0]);
