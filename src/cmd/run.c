/*
 * run — `relance run [--dry-run] [--json] [--record FILE]`: one collection
 * cycle at --now.
 *
 * 1. Decide. For every account: its position at --now, its case, the
 *    engine's decisions under the latest policy; every action asks
 *    compliance when it may reach the customer (now, later, or never, with
 *    the reason on the customer file). The case, the outbox rows and the
 *    file entries of one account commit together.
 * 2. Perform. Due outbox rows are claimed with a lease; the balance is read
 *    again just before each contact (a debtor who paid meanwhile is not
 *    contacted), and the action goes through the channel's adapter; its
 *    outcome is finished in the outbox and written on the customer file in
 *    one transaction. Compliance answered when the row was written (a row
 *    is due at an allowed moment, and rows still pending count against the
 *    caps of later decisions), and is asked again just before a message or
 *    call, so that a cycle running late defers it to the next allowed
 *    moment. Messages go to the peers the operations file configures (an
 *    SMSC, an HTTP SMS gateway, an SMTP server: dispatch.h, in waves, each
 *    committed as "sending" first; calls through a SIP trunk, as one
 *    dialer list, each row "sending" just before its call), every other
 *    action to the recording adapter (--record FILE); a channel with
 *    neither waits in the outbox.
 *
 * --dry-run does step 1 inside a transaction that is rolled back, and
 * performs nothing.
 */
#include <assert.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../chan/record.h"
#include "../core/arrange.h"
#include "../core/caltime.h"
#include "../core/casestate.h"
#include "../core/compliance.h"
#include "../core/dynbuf.h"
#include "../core/engine.h"
#include "../core/money.h"
#include "../core/msgtpl.h"
#include "../core/policy.h"
#include "../core/position.h"
#include "../core/tz.h"
#include "../store/store.h"
#include "cmd.h"
#include "cmdconfig.h"
#include "dispatch.h"
#include "holds.h"
#include "out.h"

#define LEASE_SECONDS 300
/* After sending, receipts are read until none came for this long. */
#define RECEIPT_WAIT_MS 1000
#define CLAIM_BATCH 1024
#define DECIDE_BATCH 256
/* How long a message text may be once rendered. */
#define TEXT_MAX 2048

enum { CH_SMS, CH_EMAIL, CH_VOICE, CH_PORTAL, CH_QUEUE, CH_PROVISIONING, CH_HANDOFF, CH_N };
static const char *const channel_names[CH_N] = {
	"sms", "email", "voice", "portal", "queue", "provisioning", "handoff"
};

struct counts {
	int64_t accounts, skipped, stage_changes, decided;
	int64_t scheduled[CH_N], deferred[CH_N], dropped[CH_N], performed[CH_N];
	int64_t not_contacted_paid, pending_no_adapter, uncertain;
	int64_t claimed;          /* rows handed out by the last claim */
};

/* Deferrals and drops of a cycle grouped by channel and reason, for the
 * report: the customer file has each one; the operator wants the shape. */
#define MAX_REASONS 64
struct reason {
	int dropped;              /* 0: deferred */
	int ch;
	char why[48];
	int64_t count;
	int64_t next;             /* deferred: the earliest next moment */
};

struct run {
	struct cmd_ctx *cmd;
	struct store *store;
	struct policy *policy;
	int64_t version;
	struct record *rec;
	int dry_run, json;
	char worker[96];
	struct counts n;
	struct reason reasons[MAX_REASONS];
	size_t n_reasons;
	int finishing;              /* a transaction of finishes is open */
	struct config cfg;          /* the operations file */
	struct dispatch *dispatch;  /* messages to real peers; NULL in a dry run */
	int status;
};

/* ---- small helpers ------------------------------------------------------------ */

/* Counts one deferral or drop (reasons past MAX_REASONS go to "other"). */
static void tally(struct run *r, int dropped, int ch, const char *why, int64_t next)
{
	struct reason *x = NULL;

	(dropped ? r->n.dropped : r->n.deferred)[ch]++;
	for (size_t i = 0; i < r->n_reasons && x == NULL; i++)
		if (r->reasons[i].dropped == dropped && r->reasons[i].ch == ch &&
		    strcmp(r->reasons[i].why, why) == 0)
			x = &r->reasons[i];
	if (x == NULL && r->n_reasons == MAX_REASONS)
		return;
	if (x == NULL) {
		x = &r->reasons[r->n_reasons++];
		x->dropped = dropped;
		x->ch = ch;
		snprintf(x->why, sizeof(x->why), "%s", why);
		x->next = INT64_MAX;
	}
	x->count++;
	if (next < x->next)
		x->next = next;
}

static int channel_index(const char *name)
{
	for (int i = 0; i < CH_N; i++)
		if (strcmp(channel_names[i], name) == 0)
			return i;
	return -1;
}

static int kind_channel(enum policy_action_kind k)
{
	switch (k) {
	case POLICY_ACT_SMS: return CH_SMS;
	case POLICY_ACT_EMAIL: return CH_EMAIL;
	case POLICY_ACT_VOICE: return CH_VOICE;
	case POLICY_ACT_PORTAL: return CH_PORTAL;
	case POLICY_ACT_QUEUE: return CH_QUEUE;
	case POLICY_ACT_SUSPEND: return CH_PROVISIONING;
	case POLICY_ACT_HANDOFF: return CH_HANDOFF;
	}
	return CH_QUEUE;
}

static const char *kind_verb(enum policy_action_kind k)
{
	switch (k) {
	case POLICY_ACT_SMS:
	case POLICY_ACT_EMAIL: return "send";
	case POLICY_ACT_VOICE: return "call";
	case POLICY_ACT_PORTAL: return "notice";
	case POLICY_ACT_QUEUE: return "enqueue";
	case POLICY_ACT_SUSPEND: return "suspend";
	case POLICY_ACT_HANDOFF: return "handoff";
	}
	return "";
}

/* The compliance channel of an outbox channel, or -1 for none. */
static int policy_channel_of(int ch)
{
	switch (ch) {
	case CH_SMS: return POLICY_SMS;
	case CH_EMAIL: return POLICY_EMAIL;
	case CH_VOICE: return POLICY_VOICE;
	case CH_PORTAL: return POLICY_PORTAL;
	}
	return -1;
}

/* ---- what the account is ----------------------------------------------------- */

struct svc_list {
	struct engine_service *v;
	size_t n, cap;
};

static int keep_service(void *ctx, const struct service_view *sv)
{
	struct svc_list *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct engine_service *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return STORE_ERR_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].id = strdup(sv->service_id);
	l->v[l->n].kind = strdup(sv->kind);
	if (l->v[l->n].id == NULL || l->v[l->n].kind == NULL)
		return STORE_ERR_NOMEM;
	l->n++;
	return 0;
}

static void svc_list_release(struct svc_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free((char *)l->v[i].id);
		free((char *)l->v[i].kind);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct contact {
	char phone[32], email[256], name[256], locale[64];
};

static int keep_contact(void *ctx, const struct customer_view *v)
{
	struct contact *c = ctx;

	snprintf(c->phone, sizeof(c->phone), "%s", v->phone);
	snprintf(c->email, sizeof(c->email), "%s", v->email);
	snprintf(c->name, sizeof(c->name), "%s", v->name);
	snprintf(c->locale, sizeof(c->locale), "%s", v->locale);
	return 0;
}

struct case_text {
	char *state, *stage;
	int64_t stage_since, policy_version;
	int found;
};

static int keep_case(void *ctx, const struct case_row *c)
{
	struct case_text *t = ctx;

	t->found = 1;
	free(t->state);
	free(t->stage);
	t->state = strdup(c->state ? c->state : "");
	t->stage = strdup(c->stage ? c->stage : "");
	t->stage_since = c->stage_since;
	t->policy_version = c->policy_version;
	return t->state && t->stage ? 0 : STORE_ERR_NOMEM;
}

/* Contacts of the account: performed, and already scheduled (pending or
 * claimed outbox rows, at their due instant), so that the caps count what
 * is on its way as well as what is done. */
struct history {
	struct compliance_contact *v;
	size_t n, cap;
};

static int history_add(struct history *h, int64_t at, int pch, int conversation)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct compliance_contact *v = realloc(h->v, cap * sizeof(*v));

		if (v == NULL)
			return STORE_ERR_NOMEM;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n].at = at;
	h->v[h->n].channel = pch;
	h->v[h->n].conversation = conversation;
	h->n++;
	return 0;
}

static int keep_contact_row(void *ctx, const struct outbox_view *o)
{
	int ch = channel_index(o->channel), pch = ch < 0 ? -1 : policy_channel_of(ch);

	/* A sign-in code the customer asked for is no collection contact:
	 * it counts against no cap. */
	if (pch < 0 || strcmp(o->action, "code") == 0)
		return 0;
	/* With a recorded call the message counts as heard to the end. */
	return history_add(ctx, strcmp(o->state, "done") == 0 ? o->done_at : o->due_at, pch,
			   ch == CH_VOICE);
}

/* ---- decide --------------------------------------------------------------------- */

/* The account facts one decision needs beyond the engine's input. */
struct facts {
	const struct account_summary *a;
	const struct policy_jurisdiction *j;
	struct tz *zone;
	struct contact contact;
	struct position pos;
	struct history history;
	int exponent;
	int64_t held_back;      /* disputed and promised: not asked for (holds.h) */
};

static void amount_text(const struct facts *f, int64_t minor, char *buf, size_t size)
{
	if (money_format_locale(minor, f->a->currency, f->contact.locale, buf, size) < 0)
		money_format(minor, f->exponent, buf, size);
}

/* Renders the action's template for the customer, or explains why not. */
static int render(struct run *r, const struct facts *f, const struct engine_decision *d,
		  char *text, char *subject, char *why, size_t whysize)
{
	const struct policy_action *pa = d->action;
	const struct policy_template *t = pa->template ? policy_template(r->policy, pa->template) : NULL;
	const struct policy_text *body, *subj;
	struct msgtpl_args args = { 0 };
	char amount[96], balance[96];

	text[0] = subject[0] = '\0';
	if (t == NULL)
		return 0;   /* queues, suspensions: no text */
	body = policy_template_text(t, f->contact.locale);
	if (body == NULL) {
		snprintf(why, whysize, "no text of template %s for locale %s", pa->template,
			 f->contact.locale);
		return -1;
	}
	/* A campaign speaks of the whole debt, a strategy of what is overdue;
	 * neither of what is disputed or promised (SPEC.md "Positions" 6). */
	{
		int64_t owed = d->campaign ? f->pos.balance : f->pos.overdue;

		amount_text(f, owed > f->held_back ? owed - f->held_back : 0, amount,
			    sizeof(amount));
		amount_text(f, f->pos.balance - f->held_back, balance, sizeof(balance));
	}
	args.name = f->contact.name;
	args.amount = amount;
	args.balance = balance;
	args.account = f->a->account_id;
	args.days_past_due = f->pos.days_past_due;
	args.due_date = f->pos.oldest_unpaid_due_on == POSITION_NO_DATE ? f->pos.today :
			f->pos.oldest_unpaid_due_on;
	args.deadline = d->campaign ? d->campaign->deadline : args.due_date;
	args.days_left = d->campaign ? d->campaign->deadline - f->pos.today : 0;
	if (msgtpl_render(body->compiled, f->contact.locale, &args, text, TEXT_MAX) < 0) {
		snprintf(why, whysize, "template %s could not be rendered", pa->template);
		return -1;
	}
	subj = t->n_subjects ? policy_template_text(&(struct policy_template){
		.texts = t->subjects, .n_texts = t->n_subjects }, f->contact.locale) : NULL;
	if (subj != NULL && msgtpl_render(subj->compiled, f->contact.locale, &args, subject, 256) < 0)
		subject[0] = '\0';
	return 0;
}

/* What one account's cycle writes, committed together. */
struct writes {
	struct outbox_row rows[64];
	char *payloads[64];
	char keys[64][448];
	size_t n;
};

static void writes_release(struct writes *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->payloads[i]);
	w->n = 0;
}

static int file_note(struct run *r, const struct facts *f, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int file_note(struct run *r, const struct facts *f, const char *kind, const char *fmt, ...)
{
	char body[1024];
	struct file_note note = { f->a->account_key, r->cmd->now, kind, CMD_AUTHOR, body };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	return store_file_notes(r->store, &note, 1);
}

/* ,"name":"value" when the value is there (present_if_empty: even ""). */
static void payload_str(struct dynbuf *b, const char *name, const char *value, int present_if_empty)
{
	if (value == NULL || (value[0] == '\0' && !present_if_empty))
		return;
	dynbuf_add(b, ",\"", 2);
	dynbuf_str(b, name);
	dynbuf_add(b, "\":", 2);
	dynbuf_json_str(b, value);
}

/* The outbox row's payload (malloc'ed JSON; NULL when memory runs out),
 * written by hand: one per action of a cycle. */
static char *payload_json(const struct facts *f, const char *to, const char *text,
			  const char *subject, const char *service_id, const char *level,
			  const char *target, int priority, const char *locale)
{
	struct dynbuf b = { .max = 1u << 20 };
	char num[32];

	dynbuf_str(&b, "{\"customer_id\":");
	dynbuf_json_str(&b, f->a->customer_id);
	payload_str(&b, "account_id", f->a->account_id, 1);
	payload_str(&b, "to", to, 0);
	payload_str(&b, "subject", subject, 0);
	payload_str(&b, "text", text, 0);
	payload_str(&b, "service_id", service_id, 1);
	payload_str(&b, "level", level, 1);
	payload_str(&b, "target", target, 0);
	/* A call says its text in the customer's language (dispatch.h). */
	payload_str(&b, "locale", locale, 0);
	/* A call (the only row with a locale) first asks who answers, where
	 * the jurisdiction wants it: nothing of the debt is said before. */
	if (locale != NULL && f->j != NULL && f->j->confirm_identity)
		dynbuf_str(&b, ",\"confirm_identity\":true");
	if (priority > 0) {
		snprintf(num, sizeof(num), ",\"priority\":%d", priority);
		dynbuf_str(&b, num);
	}
	dynbuf_add(&b, "}", 1);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static int add_row(struct writes *w, const struct facts *f, const struct engine_decision *d,
		   int ch, const char *verb, const char *key_suffix, int64_t due, char *payload,
		   int64_t now)
{
	struct outbox_row *row;

	if (w->n == sizeof(w->rows) / sizeof(w->rows[0]) || payload == NULL) {
		free(payload);
		return -1;
	}
	snprintf(w->keys[w->n], sizeof(w->keys[0]), "%s%s%s", d->key, key_suffix ? "|" : "",
		 key_suffix ? key_suffix : "");
	row = &w->rows[w->n];
	memset(row, 0, sizeof(*row));
	row->idempotency_key = w->keys[w->n];
	row->account_key = f->a->account_key;
	row->channel = channel_names[ch];
	row->action = verb;
	row->due_at = due;
	row->payload = payload;
	row->policy_version = d->policy_version;
	row->rule = d->rule;
	row->created_at = now;
	w->payloads[w->n++] = payload;
	return 0;
}

static void ask_compliance(const struct facts *f, const struct engine_decision *d,
			   const struct case_state *cs, int64_t t, struct compliance_decision *out)
{
	struct compliance_query q = { 0 };

	q.j = f->j;
	q.zone = f->zone;
	q.segment = f->a->segment;
	compliance_action_init(&q.action, d->action);
	q.action.notice_given = cs->notice_at != ENGINE_NEVER;
	q.action.notice_at = cs->notice_at;
	q.history = f->history.v;
	q.n_history = f->history.n;
	compliance_check(&q, t, out);
}

/* Sets *due to the instant the action is due (now, or the next allowed
 * moment when compliance defers it). */
static int decide_action(struct run *r, struct facts *f, const struct engine_decision *d,
			 const struct case_state *cs, struct writes *w, int64_t *due)
{
	const struct policy_action *pa = d->action;
	int ch = kind_channel(pa->kind);
	const char *to = ch == CH_EMAIL ? f->contact.email :
			 (ch == CH_SMS || ch == CH_VOICE) ? f->contact.phone : NULL;
	char text[TEXT_MAX], subject[256], why[256];
	struct compliance_decision c;
	int64_t now = r->cmd->now;

	if (to != NULL && to[0] == '\0') {
		tally(r, 1, ch, ch == CH_EMAIL ? "no e-mail address" : "no phone number", 0);
		return file_note(r, f, "dropped", "%s not sent (%s): no %s on the customer's record",
				 channel_names[ch], d->rule, ch == CH_EMAIL ? "e-mail address" :
				 "phone number");
	}
	if (to != NULL) {
		int bad = 0, rc = store_contact_bad(r->store, f->a->customer_id,
						    ch == CH_EMAIL ? "email" : "phone", to, &bad);

		if (rc != STORE_OK)
			return rc;
		if (bad) {
			tally(r, 1, ch, ch == CH_EMAIL ? "e-mail address flagged bad" :
			      "phone number flagged bad", 0);
			return file_note(r, f, "dropped", "%s not sent (%s): %s %s is flagged bad "
					 "until corrected", channel_names[ch], d->rule,
					 ch == CH_EMAIL ? "e-mail address" : "phone number", to);
		}
	}
	if (render(r, f, d, text, subject, why, sizeof(why)) != 0) {
		tally(r, 1, ch, "template", 0);
		return file_note(r, f, "dropped", "%s not sent (%s): %s", channel_names[ch], d->rule, why);
	}
	ask_compliance(f, d, cs, now, &c);
	if (c.verdict == COMPLIANCE_DROP) {
		tally(r, 1, ch, c.rule, 0);
		return file_note(r, f, "dropped", "%s %s dropped (%s, policy v%lld): %s",
				 channel_names[ch], kind_verb(pa->kind), d->rule,
				 (long long)d->policy_version, c.text);
	}
	if (c.verdict == COMPLIANCE_DEFER)
		tally(r, 0, ch, c.rule, c.next);
	else
		r->n.scheduled[ch]++;
	*due = c.next;
	/* The next action of this cycle must see this one: two messages
	 * decided together must not pass a cap of one a day together. */
	if (policy_channel_of(ch) >= 0 &&
	    history_add(&f->history, c.next, policy_channel_of(ch), ch == CH_VOICE) != 0)
		return STORE_ERR_NOMEM;
	if (pa->kind == POLICY_ACT_SUSPEND) {
		for (size_t i = 0; i < d->n_service_ids; i++) {
			const char *level = policy_level_name(d->level);

			if (add_row(w, f, d, ch, "suspend", d->service_ids[i], c.next,
				    payload_json(f, NULL, NULL, NULL, d->service_ids[i], level, NULL, 0,
						 NULL),
				    now) != 0)
				return STORE_ERR_NOMEM;
		}
	} else if (add_row(w, f, d, ch, kind_verb(pa->kind), NULL, c.next,
			   payload_json(f, to, text, subject, NULL, NULL,
					pa->kind == POLICY_ACT_HANDOFF ? pa->handoff_to :
					pa->kind == POLICY_ACT_QUEUE ? pa->queue : NULL,
					pa->kind == POLICY_ACT_QUEUE ? pa->priority : 0,
					ch == CH_VOICE ? f->contact.locale : NULL), now) != 0) {
		return STORE_ERR_NOMEM;
	}
	if (c.verdict == COMPLIANCE_DEFER)
		return file_note(r, f, "deferred", "%s %s (%s, policy v%lld) waits: %s",
				 channel_names[ch], kind_verb(pa->kind), d->rule,
				 (long long)d->policy_version, c.text);
	return 0;
}

static int64_t earliest(int64_t a, int64_t b) { return a < b ? a : b; }

/* Local midnight of `day` in the customer's zone (STORE_NEVER on error). */
static int64_t midnight(const struct facts *f, int32_t day)
{
	int64_t t;

	return tz_instant_of(f->zone, day, 0, &t) == TZ_OK ? t : STORE_NEVER;
}

/*
 * When the account must be looked at again if nothing is imported for it
 * (an import brings it forward: store_cases_touch). Every fact a decision
 * reads changes only at a local midnight or at a due action: days past due
 * grow every day while something is overdue; an open invoice becomes
 * overdue the day after its due date; an entry dated in the future takes
 * effect on its day; a campaign starts on send_on and
 * acts again the day after its deadline; a repeated action is due at its
 * not_before. Outbox rows are claimed when due whatever this says.
 */
static int64_t next_check(const struct run *r, const struct facts *f, int64_t next_action)
{
	int64_t next = next_action;
	int32_t today = f->pos.today;

	if (f->pos.overdue > 0)
		next = earliest(next, midnight(f, today + 1));
	else if (f->pos.n_open > 0)
		next = earliest(next, midnight(f, f->pos.open[0].due_on + 1));
	/* Entries dated after today (an invoice issued next week) are not in
	 * the position yet: look again each day until they all are. */
	if (f->pos.complete_at > r->cmd->now)
		next = earliest(next, midnight(f, today + 1));
	for (size_t i = 0; i < r->policy->n_campaigns; i++) {
		const struct policy_campaign *c = &r->policy->campaigns[i];

		if (c->has_send_on && c->send_on > today)
			next = earliest(next, midnight(f, c->send_on));
		if (c->deadline >= today)
			next = earliest(next, midnight(f, c->deadline + 1));
	}
	return next;
}

/*
 * An action an arrangement decides rather than the engine (a late dispute
 * for the supervisors, a paid listing's removal): due now, its key the
 * account, what it is and the arrangement, its rule the caller's static
 * "arrangement/..." string (the row outlives any decision built here).
 */
static int arrangement_row(struct run *r, const struct facts *f, struct writes *w, int ch,
			   const char *verb, const char *rule, const char *what, const char *id,
			   char *payload)
{
	struct engine_decision d = { .kind = ENGINE_ACTION, .policy_version = r->version };

	snprintf(d.key, sizeof(d.key), "%s|%s|%s", f->a->account_id, what, id);
	r->n.scheduled[ch]++;
	if (add_row(w, f, &d, ch, verb, NULL, r->cmd->now, payload, r->cmd->now) != 0)
		return STORE_ERR_NOMEM;
	w->rows[w->n - 1].rule = rule;
	return 0;
}

/* A dispute not answered in time goes on the supervisors' queue, once
 * (holds.c marks it reported in the same transaction). */
static int late_dispute_task(struct run *r, const struct facts *f, const struct holds *h,
			     struct writes *w)
{
	return arrangement_row(r, f, w, CH_QUEUE, kind_verb(POLICY_ACT_QUEUE),
			       "arrangement/dispute/late", "dispute-late", h->late_dispute,
			       payload_json(f, NULL, NULL, NULL, NULL, NULL, "supervisors", 1, NULL));
}

/* A paid debt's credit bureau listing is removed by its deadline: an
 * action to the party, due now, with the deadline it must meet. */
static int removal_task(struct run *r, const struct facts *f, const struct holds *h,
			struct writes *w)
{
	char date[DATE_TEXT_LEN + 1], text[64];

	date_format(h->removal_deadline, date);
	snprintf(text, sizeof(text), "remove the listing by %s", date);
	return arrangement_row(r, f, w, CH_HANDOFF, "remove", "arrangement/handoff/remove",
			       "handoff-remove", h->removal,
			       payload_json(f, NULL, text, NULL, NULL, NULL, h->removal_party, 0,
					    NULL));
}

static int decide_account(struct run *r, const struct account_summary *a)
{
	struct facts f = { 0 };
	struct svc_list svcs = { 0 };
	struct case_text ct = { 0 };
	struct case_state cs;
	struct engine_case kase;
	struct engine_account acct = { 0 };
	struct engine_input in = { 0 };
	struct engine_decisions ds = { 0 };
	struct writes w = { 0 };
	struct case_row row = { 0 };
	struct holds holds;
	char why[160], *state = NULL;
	int64_t next_action = STORE_NEVER;
	int rc = 0;

	case_state_init(&cs);
	f.a = a;
	r->n.accounts++;
	f.j = policy_jurisdiction(r->policy, a->jurisdiction);
	if (f.j == NULL || tz_get(a->timezone, &f.zone) != TZ_OK) {
		/* Not this policy's: looked at again only under another policy
		 * version (store_accounts_due), its case kept as it is. */
		r->n.skipped++;
		if ((rc = store_case_get(r->store, a->account_key, keep_case, &ct)) != STORE_OK)
			goto store_failed;
		/* Once per policy version, the file says why nobody acts. */
		if ((!ct.found || ct.policy_version != r->version) &&
		    (rc = file_note(r, &f, "not covered", "not contacted under policy v%lld: %s",
				    (long long)r->version, f.j == NULL ?
				    "the policy has no rules for this customer's jurisdiction" :
				    "the customer's time zone is unknown")) != STORE_OK)
			goto store_failed;
		row.account_key = a->account_key;
		row.stage = ct.found ? ct.stage : "";
		row.stage_since = ct.found ? ct.stage_since : 0;
		row.policy_version = r->version;
		row.rule = "";
		row.next_check_at = STORE_NEVER;
		row.state = ct.found ? ct.state : "{}";
		if ((rc = store_cases_put(r->store, &row, 1)) != STORE_OK)
			goto store_failed;
		goto out;
	}
	money_currency_exponent(a->currency, &f.exponent);
	if ((rc = cmd_position_at(r->cmd, r->store, a, &f.pos)) != 0) {
		r->status = rc;
		rc = -1;
		goto out;
	}
	/* Arrangements move on first (a promise kept, a plan broken): they may
	 * change the case read next. */
	if ((rc = holds_evaluate(r->cmd, r->store, r->policy, a, &f.pos, &holds)) != 0) {
		r->status = rc;
		rc = -1;
		goto out;
	}
	if ((rc = store_customer_get(r->store, a->customer_id, keep_contact, &f.contact)) != STORE_OK ||
	    (rc = store_services_scan(r->store, a->account_key, keep_service, &svcs)) != STORE_OK ||
	    (rc = store_case_get(r->store, a->account_key, keep_case, &ct)) != STORE_OK ||
	    (rc = store_outbox_scan(r->store, a->account_key,
				    STORE_OUTBOX_DONE | STORE_OUTBOX_PENDING | STORE_OUTBOX_CLAIMED,
				    keep_contact_row, &f.history)) != STORE_OK)
		goto store_failed;
	if (case_state_decode(ct.state, ct.state ? strlen(ct.state) : 0, &cs, why, sizeof(why)) != 0) {
		r->status = cmd_fail(EXIT_RUNTIME, "account %s: %s", a->account_id, why);
		rc = -1;
		goto out;
	}
	case_state_view(&cs, &kase);
	acct.account_id = a->account_id;
	acct.currency = a->currency;
	acct.jurisdiction = a->jurisdiction;
	acct.segment = a->segment;
	acct.services = svcs.v;
	acct.n_services = svcs.n;
	acct.position = &f.pos;
	f.held_back = holds.disputed + holds.promised;
	acct.disputed = holds.disputed;
	acct.promised = holds.promised;
	acct.paused = holds.paused;
	acct.restore = holds.restore;
	in.policy = r->policy;
	in.policy_version = r->version;
	in.account = &acct;
	in.kase = &kase;
	in.now = r->cmd->now;
	in.today = f.pos.today;
	if (engine_decide(&in, &ds) != ENGINE_OK) {
		r->status = cmd_fail(EXIT_RUNTIME, "account %s: the engine failed", a->account_id);
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < ds.n; i++) {
		const struct engine_decision *d = &ds.v[i];
		int64_t at = r->cmd->now;

		/* A repetition due later is decided again when it is due. */
		if (d->kind == ENGINE_ACTION && d->not_before > r->cmd->now) {
			next_action = earliest(next_action, d->not_before);
			continue;
		}
		r->n.decided++;
		switch (d->kind) {
		case ENGINE_ENTER_STAGE:
			r->n.stage_changes++;
			rc = file_note(r, &f, "stage", "entered stage %s (%s, policy v%lld): %s",
				       d->stage->name, d->rule, (long long)d->policy_version, d->reason);
			break;
		case ENGINE_LEAVE_CASE:
			r->n.stage_changes++;
			rc = file_note(r, &f, "stage", "left the case (%s, policy v%lld): %s", d->rule,
				       (long long)d->policy_version, d->reason);
			break;
		case ENGINE_RESTORE:
			r->n.scheduled[CH_PROVISIONING]++;
			rc = add_row(&w, &f, d, CH_PROVISIONING, "restore", NULL, r->cmd->now,
				     payload_json(&f, NULL, NULL, NULL, d->service_ids[0],
						  "full", NULL, 0,
						  NULL),
				     r->cmd->now) == 0 ? 0 : STORE_ERR_NOMEM;
			break;
		case ENGINE_ACTION:
			rc = decide_action(r, &f, d, &cs, &w, &at);
			break;
		}
		if (rc != 0)
			goto store_failed;
		/* A deferred action counts from when it is due, not from when
		 * it was decided: a notice sent on Monday for a Saturday
		 * decision starts the suspension delay on Monday, and a call
		 * repeated every 3 days counts from the call. */
		if (case_state_apply(&cs, d, at) != CASE_STATE_OK) {
			rc = STORE_ERR_NOMEM;
			goto store_failed;
		}
	}
	if (holds.late_dispute[0] && (rc = late_dispute_task(r, &f, &holds, &w)) != 0)
		goto store_failed;
	if (holds.removal[0] && (rc = removal_task(r, &f, &holds, &w)) != 0)
		goto store_failed;
	if (holds.next_day != POSITION_NO_DATE)
		next_action = earliest(next_action, midnight(&f, holds.next_day));
	/* The case is written even when nothing was decided: its next check
	 * moves on. */
	if (w.n > 0) {
		struct store_outcome outc[64];

		if ((rc = store_outbox_put(r->store, w.rows, w.n, outc)) != STORE_OK)
			goto store_failed;
	}
	state = case_state_encode(&cs);
	if (state == NULL) {
		rc = STORE_ERR_NOMEM;
		goto store_failed;
	}
	row.account_key = a->account_key;
	row.stage = cs.stage ? cs.stage : "";
	row.stage_since = cs.stage ? cs.stage_entered_at : 0;
	row.policy_version = r->version;
	row.rule = "";
	row.next_check_at = next_check(r, &f, next_action);
	row.state = state;
	if ((rc = store_cases_put(r->store, &row, 1)) != STORE_OK)
		goto store_failed;
	goto out;
store_failed:
	r->status = cmd_fail(rc == STORE_ERR_DB ? EXIT_RUNTIME : EXIT_USAGE, "account %s: %s",
			     a->account_id, rc == STORE_ERR_NOMEM ? "out of memory" :
			     store_errmsg(r->store));
	rc = -1;
out:
	free(state);
	free(ct.state);
	free(ct.stage);
	free(f.history.v);
	position_release(&f.pos);
	svc_list_release(&svcs);
	case_state_release(&cs);
	engine_decisions_release(&ds);
	writes_release(&w);
	return rc;
}

/* ---- the account list ------------------------------------------------------------ */

struct id_list {
	char **v;
	size_t n, cap;
};

static int keep_id(void *ctx, const char *id)
{
	struct id_list *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return STORE_ERR_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(id)) == NULL)
		return STORE_ERR_NOMEM;
	l->n++;
	return 0;
}

static int decide_one(void *ctx, const struct account_summary *a)
{
	return decide_account(ctx, a) == 0 ? 0 : -1;
}

/* Decides the accounts due for a look (store_accounts_due: new ones, those
 * of another policy version, those whose next check has come), the whole
 * cycle in one transaction for a dry run. The ids are listed first so that
 * no scan is open while the cases it joins are written. */
static int decide_all(struct run *r)
{
	struct id_list ids = { 0 };
	int rc;

	if ((rc = store_accounts_due(r->store, r->cmd->now, r->version, keep_id, &ids)) != STORE_OK ||
	    (rc = holds_load(r->store)) != STORE_OK) {
		r->status = cmd_fail(EXIT_RUNTIME, "%s", rc == STORE_ERR_NOMEM ? "out of memory" :
				     store_errmsg(r->store));
		goto out;
	}
	if (r->dry_run && store_begin(r->store) != STORE_OK) {
		r->status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(r->store));
		goto out;
	}
	/* Accounts are decided DECIDE_BATCH to a transaction: each account's
	 * writes stay all-or-nothing, and a commit per account would cost more
	 * than the deciding. A crash loses at most the open batch, which the
	 * next cycle decides again under the same idempotency keys. */
	for (size_t i = 0; i < ids.n && r->status == 0; i++) {
		int last = i + 1 == ids.n || (i + 1) % DECIDE_BATCH == 0;

		if (!r->dry_run && i % DECIDE_BATCH == 0 && store_begin(r->store) != STORE_OK) {
			r->status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(r->store));
			break;
		}
		rc = store_accounts_scan(r->store, ids.v[i], decide_one, r);
		if (rc != STORE_OK && r->status == 0)
			r->status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(r->store));
		if (r->dry_run)
			continue;
		if (r->status != 0) {
			store_rollback(r->store);
		} else if (last && store_commit(r->store) != STORE_OK) {
			r->status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(r->store));
			store_rollback(r->store);
		}
	}
	if (r->dry_run)
		store_rollback(r->store);
out:
	for (size_t i = 0; i < ids.n; i++)
		free(ids.v[i]);
	free(ids.v);
	return r->status;
}

/* ---- perform ---------------------------------------------------------------------- */

struct perform_ctx {
	struct run *r;
	const struct outbox_view *o;
	struct position pos;
	int found;
	int64_t account_key;
	char jurisdiction[64], timezone[64], segment[64], currency[4];
	int held;               /* an arrangement holds the case now */
	char held_why[96];
};

static int position_of(void *ctx, const struct account_summary *a)
{
	struct perform_ctx *p = ctx;

	p->found = 1;
	p->account_key = a->account_key;
	snprintf(p->jurisdiction, sizeof(p->jurisdiction), "%s", a->jurisdiction);
	snprintf(p->timezone, sizeof(p->timezone), "%s", a->timezone);
	snprintf(p->segment, sizeof(p->segment), "%s", a->segment);
	snprintf(p->currency, sizeof(p->currency), "%s", a->currency);
	if (cmd_position_at(p->r->cmd, p->r->store, a, &p->pos) != 0)
		return -1;
	/* Decided before an arrangement that now holds the case (a plan
	 * accepted, a hand-off to a court): it does not go. Rows decided by
	 * this very cycle already saw every arrangement. */
	if (p->o->created_at != p->r->cmd->now && strncmp(p->o->rule, "arrangement/", 12) != 0 &&
	    (p->r->status = holds_peek(p->r->cmd, p->r->store, p->r->policy, a, &p->pos, &p->held,
				       p->held_why, sizeof(p->held_why))) != 0)
		return -1;
	return 0;
}

/* The action kind behind a message or call channel. */
static int channel_kind(int ch, enum policy_action_kind *kind)
{
	switch (ch) {
	case CH_SMS: *kind = POLICY_ACT_SMS; return 0;
	case CH_EMAIL: *kind = POLICY_ACT_EMAIL; return 0;
	case CH_VOICE: *kind = POLICY_ACT_VOICE; return 0;
	}
	return -1;
}

/*
 * Asks compliance again just before a message or call: the row was due at
 * an allowed moment, but a cycle that runs late (at night, after a missed
 * day) or contacts performed since may have closed it. Reads the contacts
 * performed so far from the outbox.
 */
static int recheck_at(struct run *r, const struct perform_ctx *p, int ch, int64_t at,
		      int64_t called, int conversation, struct compliance_decision *out)
{
	struct compliance_query q = { 0 };
	struct history h = { 0 };
	enum policy_action_kind kind;
	int rc;

	out->verdict = COMPLIANCE_ALLOW;
	if (channel_kind(ch, &kind) != 0 ||
	    (q.j = policy_jurisdiction(r->policy, p->jurisdiction)) == NULL ||
	    tz_get(p->timezone, &q.zone) != TZ_OK)
		return STORE_OK;
	if ((rc = store_outbox_scan(r->store, p->account_key, STORE_OUTBOX_DONE, keep_contact_row,
				    &h)) != STORE_OK) {
		free(h.v);
		return rc;
	}
	/* A call just made, not finished in the outbox yet, counts already. */
	if (called > 0 && history_add(&h, called, policy_channel_of(ch), conversation) != 0) {
		free(h.v);
		return STORE_ERR_NOMEM;
	}
	q.segment = p->segment;
	q.action.kind = kind;
	q.action.notice_at = ENGINE_NEVER;
	q.history = h.v;
	q.n_history = h.n;
	compliance_check(&q, at, out);
	free(h.v);
	return STORE_OK;
}

static int recheck(struct run *r, const struct perform_ctx *p, int ch,
		   struct compliance_decision *out)
{
	return recheck_at(r, p, ch, r->cmd->now, 0, 0, out);
}

/* ---- the voice list's questions (dispatch.h) ----------------------------------- */

/* The account of a voice row, as perform_one reads it. */
static int voice_account(struct run *r, const struct outbox_view *o, json_t *payload,
			 struct perform_ctx *p)
{
	const char *account = json_string_value(json_object_get(payload, "account_id"));

	memset(p, 0, sizeof(*p));
	p->r = r;
	p->o = o;
	if (account == NULL)
		return STORE_OK;
	return store_accounts_scan(r->store, account, position_of, p);
}

/* The next allowed moment to call again: compliance at `from`, with the
 * call just made in the history (a cap reached, the quiet period after a
 * heard call, the contact window). */
static int voice_when(void *ctx, const struct outbox_view *o, json_t *payload, int64_t called,
		      int conversation, int64_t from, int64_t *next)
{
	struct run *r = ctx;
	struct perform_ctx p;
	struct compliance_decision c;
	int rc = voice_account(r, o, payload, &p);

	position_release(&p.pos);
	if (rc != STORE_OK)
		return rc;
	*next = from;
	if (!p.found)
		return 0;
	if ((rc = recheck_at(r, &p, CH_VOICE, from, called, conversation, &c)) != STORE_OK)
		return rc;
	if (c.verdict == COMPLIANCE_DROP)
		return 1;
	if (c.verdict == COMPLIANCE_DEFER)
		*next = c.next;
	return 0;
}

/* Just before dialling: what perform_one asks when it claims a row
 * (paid meanwhile, held by an arrangement, compliance now), asked again
 * because the call list may reach a row long after its claim. */
static int voice_check(void *ctx, const struct outbox_view *o, json_t *payload, int64_t *until,
		       char *why, size_t size)
{
	struct run *r = ctx;
	struct perform_ctx p;
	struct compliance_decision c;
	int campaign = strncmp(o->rule, "campaign/", 9) == 0;
	int rc = voice_account(r, o, payload, &p), paid;

	paid = p.found && (p.pos.balance <= 0 || (!campaign && p.pos.overdue <= 0));
	position_release(&p.pos);
	if (rc != STORE_OK)
		return rc;
	if (!p.found)
		return 0;
	if (paid) {
		r->n.not_contacted_paid++;
		return 1;
	}
	if (p.held) {
		snprintf(why, size, "%s", p.held_why);
		return 3;
	}
	if ((rc = recheck_at(r, &p, CH_VOICE, r->cmd->now, 0, 0, &c)) != STORE_OK)
		return rc;
	if (c.verdict == COMPLIANCE_ALLOW)
		return 0;
	tally(r, c.verdict == COMPLIANCE_DROP, CH_VOICE, c.rule, c.next);
	snprintf(why, size, "%s", c.text);
	*until = c.next;
	return c.verdict == COMPLIANCE_DROP ? 3 : 2;
}

/*
 * A promise to pay the balance within `days`, asked for by a key press
 * after a heard call: what `relance promise add` records (an open
 * promise, paid + credited as its base), by relance, with its file entry.
 * An account that already has a live promise keeps it.
 */
static int voice_promise(void *ctx, const struct outbox_view *o, json_t *payload, int days,
			 char *what, size_t size)
{
	struct run *r = ctx;
	struct perform_ctx p;
	struct arrange_terms t;
	const char *locale = json_string_value(json_object_get(payload, "locale"));
	const char *ids[1];
	char id[32], amount[64], date[16], body[512], *terms = NULL;
	int rc = voice_account(r, o, payload, &p);

	what[0] = '\0';
	if (rc != STORE_OK || !p.found || p.pos.balance <= 0)
		goto out;
	assert(days > 0);
	arrange_terms_init(&t);
	memcpy(t.currency, p.currency, 4);
	t.amount = p.pos.balance;
	t.due_on = p.pos.today + days;
	t.paid_base = p.pos.paid + p.pos.credited;
	if ((terms = arrange_terms_encode(&t)) == NULL) {
		rc = STORE_ERR_NOMEM;
		goto out;
	}
	ids[0] = json_string_value(json_object_get(payload, "account_id"));
	{
		struct arrangement_new an = { "promise", "open", ids, 1, r->cmd->now, CMD_AUTHOR,
					      terms, "promise plan" };

		rc = store_arrangement_create(r->store, &an, id, sizeof(id));
	}
	if (rc == STORE_ERR_INPUT) {
		/* A live promise or plan already: nothing new is promised. */
		rc = STORE_OK;
		goto out;
	}
	if (rc != STORE_OK)
		goto out;
	if (money_format_locale(t.amount, t.currency, locale ? locale : "en", amount,
				sizeof(amount)) < 0)
		snprintf(amount, sizeof(amount), "%lld %s", (long long)t.amount, t.currency);
	date_format(t.due_on, date);
	snprintf(what, size, "key 1: promise %s to pay %s by %s", id, amount, date);
	snprintf(body, sizeof(body), "promise %s by %s: promises %s by %s (key 1 on a call)", id,
		 CMD_AUTHOR, amount, date);
	{
		struct file_note n = { o->account_key, r->cmd->now, "arrangement", CMD_AUTHOR, body };

		rc = store_file_notes(r->store, &n, 1);
	}
out:
	free(terms);
	position_release(&p.pos);
	return rc;
}

static const char *json_str(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/*
 * Finishes a row and writes its outcome on the customer file, together, in
 * the transaction of its claim batch (perform_all commits it): a commit per
 * action cost more than the action. A crash before that commit leaves the
 * batch claimed; once the lease expires the rows are performed again and
 * the adapter answers "already" for those it had performed.
 */
static int finish(struct run *r, const struct outbox_view *o, json_t *payload, const char *state,
		  const char *outcome, int64_t due_if_deferred)
{
	int rc;

	if (!r->finishing) {
		if ((rc = store_begin(r->store)) != STORE_OK)
			return rc;
		r->finishing = 1;
	}
	return dispatch_outcome(r->store, r->worker, r->cmd->now, o, payload, state, outcome,
				due_if_deferred);
}

/*
 * The level a provisioning row performed by the recording adapter leaves
 * its service at (a restoration: full), desired and confirmed at once, in
 * the transaction of its finish. A service not in the services file has
 * no state to keep.
 */
static int recorded_level(struct run *r, const struct outbox_view *o, json_t *payload)
{
	const char *service = json_str(payload, "service_id"), *name = json_str(payload, "level");
	const char *level = "full";
	int l, rc;

	if (service == NULL)
		return STORE_OK;
	if (strcmp(o->action, "restore") != 0)
		level = name != NULL && (l = policy_level_parse(name)) >= 0 ?
			policy_level_name((enum policy_suspend_level)l) : "total";
	rc = store_service_desire(r->store, service, level, r->cmd->now, o->idempotency_key);
	if (rc == STORE_OK)
		rc = store_service_confirm(r->store, service, level, r->cmd->now);
	return rc == STORE_ERR_INPUT ? STORE_OK : rc;
}

/*
 * Records the hand-off an outbox row performed, in the transaction of its
 * finish: an arrangement "active" with the party (holds.c says what each
 * party holds). A listing with a credit bureau and a later hand-off to a
 * court are two arrangements.
 */
static int handoff_taken(struct run *r, const struct outbox_view *o, const char *account_id,
			 const char *party)
{
	struct arrange_terms t;
	const char *ids[1] = { account_id };
	char id[32], *terms;
	struct arrangement_new an = { "handoff", "active", ids, 1, r->cmd->now, CMD_AUTHOR, NULL,
				      NULL };
	int rc;

	if (account_id == NULL || party == NULL)
		return STORE_OK;
	arrange_terms_init(&t);
	t.party = (char *)party;
	t.note = (char *)o->rule;
	if ((terms = arrange_terms_encode(&t)) == NULL)
		return STORE_ERR_NOMEM;
	an.terms = terms;
	rc = store_arrangement_create(r->store, &an, id, sizeof(id));
	free(terms);
	if (rc == STORE_OK) {
		struct file_note n = { o->account_key, r->cmd->now, "arrangement", CMD_AUTHOR, NULL };
		char body[256];

		snprintf(body, sizeof(body), "handoff %s: the case is held by %s (%s)", id, party,
			 o->rule);
		n.body = body;
		rc = store_file_notes(r->store, &n, 1);
	}
	return rc;
}

static int perform_one(void *ctx, const struct outbox_view *o)
{
	struct run *r = ctx;
	json_error_t jerr;
	json_t *payload = json_loads(o->payload, 0, &jerr);
	struct perform_ctx p = { .r = r, .o = o };
	struct chan_action a = { 0 };
	struct chan_outcome out;
	int ch = channel_index(o->channel), rc;

	r->n.claimed++;
	if (payload == NULL || ch < 0)
		return finish(r, o, payload, "failed", "unreadable outbox row", 0);
	/* Handed to a peer by a process that stopped before its answer came:
	 * perhaps sent, so never sent again (dispatch.h). */
	if (strcmp(o->state, "sending") == 0) {
		r->n.uncertain++;
		rc = finish(r, o, payload, "uncertain", "sent without an answer before the process "
			    "stopped: not sent again", 0);
		json_decref(payload);
		return rc;
	}
	/* The balance is read again just before the contact: a debtor who paid
	 * since the decision is not contacted (restorations always go, and so
	 * does what arrangements decide: a listing's removal after payment, a
	 * late dispute for the supervisors). */
	/* A sign-in code (action "code", serve_portal.c) is the customer's own
	 * request, answered at once: not collection, so neither a payment, an
	 * arrangement, contact hours nor caps hold it back. */
	if (strcmp(o->action, "restore") != 0 && strncmp(o->rule, "arrangement/", 12) != 0 &&
	    strcmp(o->action, "code") != 0) {
		rc = store_accounts_scan(r->store, json_str(payload, "account_id"), position_of, &p);
		/* Campaigns speak to any debt (Burundi's "small or large"),
		 * strategies to what is overdue. */
		int campaign = strncmp(o->rule, "campaign/", 9) == 0;

		/* Not knowing what is owed now, nothing goes: the cycle stops
		 * (position_of said why) and the row waits for the next. */
		if (rc != STORE_OK && r->status != 0) {
			position_release(&p.pos);
			json_decref(payload);
			return rc;
		}

		if (rc == STORE_OK && p.found &&
		    (p.pos.balance <= 0 || (!campaign && p.pos.overdue <= 0))) {
			position_release(&p.pos);
			r->n.not_contacted_paid++;
			rc = finish(r, o, payload, "dropped", "not performed: the customer paid meanwhile",
				    0);
			json_decref(payload);
			return rc;
		}
		position_release(&p.pos);
		if (rc == STORE_OK && p.found && p.held) {
			rc = finish(r, o, payload, "dropped", p.held_why, 0);
			json_decref(payload);
			return rc;
		}
		/* A row decided by this very cycle was allowed at this instant
		 * against every contact performed or scheduled: asking again
		 * would give the same answer. */
		if (rc == STORE_OK && p.found && o->created_at != r->cmd->now) {
			struct compliance_decision c;

			if ((rc = recheck(r, &p, ch, &c)) != STORE_OK) {
				json_decref(payload);
				return rc;
			}
			if (c.verdict != COMPLIANCE_ALLOW) {
				tally(r, c.verdict == COMPLIANCE_DROP, ch, c.rule, c.next);
				rc = finish(r, o, payload, c.verdict == COMPLIANCE_DROP ? "dropped" :
					    "deferred", c.text, c.next);
				json_decref(payload);
				return rc;
			}
		}
	}
	if (ch == CH_PROVISIONING ? dispatch_prov_takes(r->dispatch, o, payload) :
	    dispatch_has(r->dispatch, o->channel))
		return dispatch_queue(r->dispatch, o, payload);   /* payload is dispatch's now */
	if (r->rec == NULL) {
		/* No way out for this channel in this cycle: it waits, past this
		 * cycle's claims, for a cycle that has one. */
		r->n.pending_no_adapter++;
		json_decref(payload);
		if (!r->finishing) {
			if ((rc = store_begin(r->store)) != STORE_OK)
				return rc;
			r->finishing = 1;
		}
		/* Not an event of the customer's: nothing on the file. */
		return store_outbox_finish(r->store, o->outbox_id, r->worker, "deferred",
					   "no adapter for this channel: waiting", r->cmd->now,
					   r->cmd->now + 1);
	}
	a.key = o->idempotency_key;
	a.at = r->cmd->now;
	a.channel = o->channel;
	a.action = o->action;
	a.account_id = json_str(payload, "account_id");
	a.customer_id = json_str(payload, "customer_id");
	a.policy_version = o->policy_version;
	a.rule = o->rule;
	a.to = json_str(payload, "to");
	a.subject = json_str(payload, "subject");
	a.text = json_str(payload, "text");
	a.service_id = json_str(payload, "service_id");
	a.level = json_str(payload, "level");
	a.target = json_str(payload, "target");
	a.priority = (int)json_integer_value(json_object_get(payload, "priority"));
	record_perform(r->rec, &a, &out);
	if (out.status == CHAN_DONE || out.status == CHAN_ALREADY) {
		r->n.performed[ch] += out.status == CHAN_DONE;
		rc = finish(r, o, payload, "done", out.detail, 0);
		/* The recording adapter performs what it records: the
		 * service is at that level (docs/provisioning.md). */
		if (rc == STORE_OK && ch == CH_PROVISIONING)
			rc = recorded_level(r, o, payload);
		/* Handed off: the party holds the case from now on (holds.h). */
		if (rc == STORE_OK && ch == CH_HANDOFF && strcmp(o->action, "handoff") == 0)
			rc = handoff_taken(r, o, a.account_id, a.target);
	} else {
		rc = finish(r, o, payload, "failed", out.detail, 0);
	}
	json_decref(payload);
	return rc;
}

static int count_pending(void *ctx, const struct outbox_view *o)
{
	struct run *r = ctx;

	r->n.pending_no_adapter += o->due_at <= r->cmd->now;
	return 0;
}

static int perform_all(struct run *r)
{
	int rc;

	if (r->rec == NULL && !dispatch_has(r->dispatch, "sms") && !dispatch_has(r->dispatch, "email") &&
	    !dispatch_has(r->dispatch, "voice") && !dispatch_has(r->dispatch, "provisioning"))
		return store_outbox_scan(r->store, 0, STORE_OUTBOX_PENDING, count_pending, r);
	/* Claim batch after batch until a claim hands out nothing; each
	 * batch's finishes commit together (see finish()), then its messages
	 * go to their peers. */
	do {
		r->n.claimed = 0;
		rc = store_outbox_claim(r->store, r->worker, r->cmd->now, LEASE_SECONDS, CLAIM_BATCH,
					perform_one, r);
		if (r->finishing) {
			if (rc == STORE_OK)
				rc = store_commit(r->store);
			if (rc != STORE_OK)
				store_rollback(r->store);
			r->finishing = 0;
		}
		if (rc == STORE_OK && r->dispatch != NULL)
			rc = dispatch_flush(r->dispatch);
		if (rc != STORE_OK)
			return rc;
	} while (r->n.claimed > 0);
	if (r->dispatch != NULL) {
		struct dispatch_counts dc;

		dispatch_receipts(r->dispatch, RECEIPT_WAIT_MS);
		/* A provisioning peer that confirmed, or an ACS that queued the
		 * task, performed the action as the recording adapter does. */
		dispatch_counts(r->dispatch, &dc);
		r->n.performed[CH_PROVISIONING] += dc.prov_confirmed + dc.prov_queued;
		return dispatch_reconcile(r->dispatch);
	}
	return STORE_OK;
}

/* ---- the command ------------------------------------------------------------------- */

static int keep_policy(void *ctx, const struct stored_policy *p)
{
	struct run *r = ctx;
	struct policy_diags d = { 0 };

	r->version = p->version;
	if (policy_parse(p->source, p->body, p->body_len, &r->policy, &d) != 0) {
		policy_diags_release(&d);
		return STORE_ERR_INPUT;
	}
	policy_diags_release(&d);
	return 0;
}

static void print_counts(const char *label, const int64_t *v)
{
	int any = 0;

	printf("  %-22s", label);
	for (int i = 0; i < CH_N; i++) {
		if (v[i] == 0)
			continue;
		printf("%s%s %lld", any ? ", " : "", channel_names[i], (long long)v[i]);
		any = 1;
	}
	puts(any ? "" : "none");
}

static void json_counts(const char *label, const int64_t *v, int last)
{
	int any = 0;

	printf("\"%s\":{", label);
	for (int i = 0; i < CH_N; i++) {
		if (v[i] == 0)
			continue;
		printf("%s\"%s\":%lld", any ? "," : "", channel_names[i], (long long)v[i]);
		any = 1;
	}
	printf("}%s", last ? "" : ",");
}

/* One line per reason under the deferred or dropped counts. */
static void print_reasons(const struct run *r, int dropped)
{
	for (size_t i = 0; i < r->n_reasons; i++) {
		const struct reason *x = &r->reasons[i];
		char next[INSTANT_TEXT_LEN + 1];

		if (x->dropped != dropped)
			continue;
		printf("    %-20s%s: %lld", channel_names[x->ch], x->why, (long long)x->count);
		if (!dropped) {
			instant_format(x->next, next);
			printf(", the first from %s", next);
		}
		putchar('\n');
	}
}

static void report(const struct run *r)
{
	char at[INSTANT_TEXT_LEN + 1];
	struct dispatch_counts dc;

	dispatch_counts(r->dispatch, &dc);
	instant_format(r->cmd->now, at);
	if (r->json) {
		printf("{\"at\":\"%s\",\"policy_version\":%lld,\"dry_run\":%s,\"accounts\":%lld,"
		       "\"skipped\":%lld,\"stage_changes\":%lld,", at, (long long)r->version,
		       r->dry_run ? "true" : "false", (long long)r->n.accounts,
		       (long long)r->n.skipped, (long long)r->n.stage_changes);
		json_counts("scheduled", r->n.scheduled, 0);
		json_counts("deferred", r->n.deferred, 0);
		json_counts("dropped", r->n.dropped, 0);
		json_counts("performed", r->n.performed, 0);
		printf("\"reasons\":[");
		for (size_t i = 0; i < r->n_reasons; i++) {
			const struct reason *x = &r->reasons[i];

			printf("%s{\"kind\":\"%s\",\"channel\":\"%s\",\"reason\":", i ? "," : "",
			       x->dropped ? "dropped" : "deferred", channel_names[x->ch]);
			out_json(stdout, x->why);
			printf(",\"count\":%lld", (long long)x->count);
			if (!x->dropped) {
				char next[INSTANT_TEXT_LEN + 1];

				instant_format(x->next, next);
				printf(",\"earliest_next\":\"%s\"", next);
			}
			putchar('}');
		}
		printf("],\"not_contacted_paid\":%lld,\"pending_without_adapter\":%lld,"
		       "\"peers\":{\"accepted\":%lld,\"refused\":%lld,\"retry_later\":%lld,"
		       "\"uncertain\":%lld,\"delivered\":%lld,\"undelivered\":%lld,"
		       "\"contacts_flagged\":%lld}}\n",
		       (long long)r->n.not_contacted_paid, (long long)r->n.pending_no_adapter,
		       (long long)dc.accepted, (long long)dc.refused, (long long)dc.retried,
		       (long long)(dc.uncertain + r->n.uncertain), (long long)dc.delivered,
		       (long long)dc.undelivered, (long long)dc.flagged);
		return;
	}
	printf("relance run at %s, policy version %lld%s\n", at, (long long)r->version,
	       r->dry_run ? " (dry run: nothing stored, nothing performed)" : "");
	printf("  %-22s%lld (%lld not covered by the policy)\n", "accounts evaluated",
	       (long long)r->n.accounts, (long long)r->n.skipped);
	printf("  %-22s%lld\n", "stage changes", (long long)r->n.stage_changes);
	print_counts("actions due now", r->n.scheduled);
	print_counts("deferred", r->n.deferred);
	print_reasons(r, 0);
	print_counts("dropped", r->n.dropped);
	print_reasons(r, 1);
	if (!r->dry_run) {
		print_counts("performed", r->n.performed);
		printf("  %-22s%lld\n", "not contacted (paid)", (long long)r->n.not_contacted_paid);
		if (r->dispatch != NULL && (dispatch_has(r->dispatch, "sms") ||
					     dispatch_has(r->dispatch, "email")))
			printf("  %-22saccepted %lld, refused %lld, retry later %lld, uncertain %lld\n"
			       "  %-22sdelivered %lld, not delivered %lld; contacts flagged bad %lld\n",
			       "sent to peers", (long long)dc.accepted, (long long)dc.refused,
			       (long long)dc.retried, (long long)(dc.uncertain + r->n.uncertain),
			       "receipts", (long long)dc.delivered, (long long)dc.undelivered,
			       (long long)dc.flagged);
		if (dispatch_has(r->dispatch, "voice"))
			printf("  %-22s%lld: heard %lld, hung up early %lld, busy or no answer %lld, "
			       "bad number %lld; trunk failures %lld; promises %lld\n", "calls",
			       (long long)dc.calls, (long long)dc.heard, (long long)dc.early,
			       (long long)dc.unanswered, (long long)dc.bad_numbers,
			       (long long)dc.trunk_failures, (long long)dc.promises);
		if (dispatch_has(r->dispatch, "provisioning"))
			printf("  %-22sconfirmed %lld, queued at the ACS %lld, refused %lld, retry later "
			       "%lld, uncertain %lld\n"
			       "  %-22schecked %lld: confirmed %lld, still drifting %lld, alerted %lld\n",
			       "provisioning", (long long)dc.prov_confirmed, (long long)dc.prov_queued,
			       (long long)dc.prov_refused, (long long)dc.prov_retried,
			       (long long)dc.prov_uncertain, "reconciliation", (long long)dc.rec_checked,
			       (long long)dc.rec_confirmed, (long long)dc.rec_drifting,
			       (long long)dc.rec_alerted);
		if (r->n.pending_no_adapter > 0 || r->rec == NULL)
			printf("  %-22s%lld (no channel adapter: configure one, or use --record "
			       "FILE)\n", "pending", (long long)r->n.pending_no_adapter);
	}
}

int cmd_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct run r = { 0 };
	const char *record_path = NULL;
	char err[512];
	int rc;

	r.cmd = ctx;
	for (int i = 0; i < argc; i++) {
		int got = cmd_option(argc, argv, &i, "--record", &record_path);

		if (got < 0)
			return cmd_fail(EXIT_USAGE, "run: --record needs a file");
		if (got > 0)
			continue;
		if (strcmp(argv[i], "--dry-run") == 0)
			r.dry_run = 1;
		else if (strcmp(argv[i], "--json") == 0)
			r.json = 1;
		else
			return cmd_fail(EXIT_USAGE, "run: unknown argument '%s'", argv[i]);
	}
	snprintf(r.worker, sizeof(r.worker), "run:%ld:%lld", (long)getpid(), (long long)ctx->now);
	if ((rc = cmd_config_load(ctx, &r.cfg)) != 0)
		return rc;
	if ((rc = cmd_open_store(ctx, &r.store)) != 0) {
		config_release(&r.cfg);
		return rc;
	}
	rc = store_policy_get(r.store, 0, keep_policy, &r);
	if (rc != STORE_OK || r.policy == NULL) {
		r.status = cmd_fail(rc == STORE_ERR_DB ? EXIT_RUNTIME : EXIT_USAGE,
				    "no usable policy: %s (load one with `relance policy load FILE`)",
				    rc == STORE_OK ? "the stored policy does not parse" :
				    store_errmsg(r.store));
		goto out;
	}
	if (record_path != NULL && !r.dry_run &&
	    record_open(record_path, &r.rec, err, sizeof(err)) != 0) {
		r.status = cmd_fail(EXIT_USAGE, "%s", err);
		goto out;
	}
	if (!r.dry_run && (r.status = dispatch_open(ctx, r.store, &r.cfg, r.worker,
						    &r.dispatch)) != 0)
		goto out;
	{
		struct dispatch_voice_hooks h = { r.policy, &r, voice_when, voice_promise,
						  voice_check };

		dispatch_voice_hooks(r.dispatch, &h);
	}
	if (decide_all(&r) != 0)
		goto out;
	if (!r.dry_run && (rc = perform_all(&r)) != STORE_OK) {
		r.status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(r.store));
		goto out;
	}
	report(&r);
out:
	holds_unload();
	dispatch_close(r.dispatch);
	config_release(&r.cfg);
	record_close(r.rec);
	policy_free(r.policy);
	store_close(r.store);
	return r.status;
}
