/*
 * dispatch — see dispatch.h. One peer per channel; rows queued in claim
 * order, sent per channel in waves; voice rows called as one dialer list.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../chan/chan.h"
#include "../chan/provisioning/apply.h"
#include "../chan/sms_http.h"
#include "../chan/smtp.h"
#include "../chan/sip/call.h"
#include "../chan/smpp/client.h"
#include "../core/caltime.h"
#include "dispatch.h"
#include "dispatch_impl.h"

/* A deferred retry waits this long times the attempts so far. */
#define RETRY_SECONDS 300
/* The longest one wave may take, and the longest wait for an answer: a
 * cycle must not hang on a peer that is down. */
#define WAVE_DEADLINE_MS 10000
#define ANSWER_TIMEOUT_MS 5000
/* Receipts are read until none came for this long, at most RECEIPT_ROUNDS times. */
#define RECEIPT_ROUNDS 20

static struct parts *parts_slot(struct parts *v, size_t cap, int64_t id)
{
	size_t i = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);

	while (v[i].outbox_id != 0 && v[i].outbox_id != id)
		i = (i + 1) & (cap - 1);
	return &v[i];
}

/* Remembers that message `id` was accepted in `n` parts. */
static int parts_put(struct dispatch *d, int64_t id, int n)
{
	struct parts *slot;

	if (d->n_parts + 1 > d->cap_parts / 2) {
		size_t cap = d->cap_parts ? d->cap_parts * 2 : 1024;
		struct parts *v = calloc(cap, sizeof(*v));

		if (v == NULL)
			return STORE_ERR_NOMEM;
		for (size_t i = 0; i < d->cap_parts; i++)
			if (d->parts[i].outbox_id != 0)
				*parts_slot(v, cap, d->parts[i].outbox_id) = d->parts[i];
		free(d->parts);
		d->parts = v;
		d->cap_parts = cap;
	}
	slot = parts_slot(d->parts, d->cap_parts, id);
	d->n_parts += slot->outbox_id == 0;
	slot->outbox_id = id;
	slot->left = n;
	return STORE_OK;
}

static const char *const peer_channel[P_N] = { "sms", "email", "voice", "provisioning" };

static int peer_index(const char *channel)
{
	for (int i = 0; i < P_N; i++)
		if (strcmp(peer_channel[i], channel) == 0)
			return i;
	return -1;
}

const char *dispatch_json_str(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* Peers' state machines tell their transitions on stderr. */
void dispatch_log_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "relance: %s\n", line);
}

int dispatch_open(struct cmd_ctx *ctx, struct store *store, const struct config *cfg,
		  const char *worker, struct dispatch **out)
{
	struct dispatch *d = calloc(1, sizeof(*d));
	char err[512] = "";
	int rc = 0;

	*out = NULL;
	if (d == NULL)
		return cmd_fail(EXIT_RUNTIME, "out of memory");
	d->ctx = ctx;
	d->store = store;
	d->worker = worker;
	d->bad_after = cfg->contacts.bad_after_failures;
	switch (cfg->sms.adapter) {
	case CONFIG_SMS_SMPP:
		d->peers[P_SMS].adapter = "smpp";
		d->peers[P_SMS].wave = (size_t)cfg->sms.smpp.window;
		rc = smpp_client_open(&cfg->sms.smpp, dispatch_log_line, NULL, &d->peers[P_SMS].smpp, err,
				      sizeof(err));
		if (rc == 0)
			smpp_client_set_limits(d->peers[P_SMS].smpp, WAVE_DEADLINE_MS,
					       ANSWER_TIMEOUT_MS, -1);
		break;
	case CONFIG_SMS_HTTP:
		d->peers[P_SMS].adapter = "http";
		d->peers[P_SMS].wave = DISPATCH_WAVE;
		rc = sms_http_open(&cfg->sms.http, &d->peers[P_SMS].http, err, sizeof(err));
		break;
	case CONFIG_SMS_RECORD:
		break;
	}
	if (rc == 0 && cfg->email.adapter == CONFIG_EMAIL_SMTP) {
		d->peers[P_EMAIL].adapter = "smtp";
		d->peers[P_EMAIL].wave = DISPATCH_WAVE;
		rc = smtp_sender_open(&cfg->email.smtp, &d->peers[P_EMAIL].smtp, err, sizeof(err));
	}
	if (rc == 0 && cfg->voice.adapter == CONFIG_VOICE_SIP) {
		d->peers[P_VOICE].adapter = "sip";
		d->peers[P_VOICE].wave = (size_t)cfg->voice.sip.max_calls;
		d->sip_cfg = &cfg->voice.sip;
		/* A TCP trunk that closes its end must not kill the process. */
		signal(SIGPIPE, SIG_IGN);
		rc = sip_trunk_open(&cfg->voice.sip, dispatch_log_line, NULL, &d->peers[P_VOICE].sip, err,
				    sizeof(err));
	}
	if (rc == 0) {
		int peers = 0;

		for (size_t i = 0; i < cfg->n_provisioning; i++)
			peers += cfg->provisioning[i].type != CONFIG_PROV_RECORD;
		if (peers > 0 && (rc = prov_adapters_open(cfg, &d->prov, err, sizeof(err))) == 0) {
			d->peers[P_PROV].adapter = "provisioning";
			d->peers[P_PROV].wave = 1;
		}
	}
	if (rc != 0) {
		dispatch_close(d);
		return cmd_fail(EXIT_RUNTIME, "%s: %s", cfg->path ? cfg->path : "configuration", err);
	}
	*out = d;
	return 0;
}

void dispatch_close(struct dispatch *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n_items; i++) {
		free(d->items[i].text);
		json_decref(d->items[i].payload);
	}
	free(d->items);
	free(d->parts);
	smpp_client_close(d->peers[P_SMS].smpp);
	sms_http_close(d->peers[P_SMS].http);
	smtp_sender_close(d->peers[P_EMAIL].smtp);
	sip_trunk_close(d->peers[P_VOICE].sip);
	prov_adapters_close(d->prov);
	free(d);
}

void dispatch_voice_hooks(struct dispatch *d, const struct dispatch_voice_hooks *h)
{
	if (d != NULL)
		d->hooks = *h;
}

int dispatch_has(const struct dispatch *d, const char *channel)
{
	int p = peer_index(channel);

	return d != NULL && p >= 0 && d->peers[p].adapter != NULL;
}

int dispatch_queue(struct dispatch *d, const struct outbox_view *o, json_t *payload)
{
	const char *f[] = { o->idempotency_key, o->channel, o->action, o->rule };
	struct item *it;
	size_t len = 0;
	char *p;

	if (d->n_items == d->cap_items) {
		size_t cap = d->cap_items ? d->cap_items * 2 : 256;
		struct item *v = realloc(d->items, cap * sizeof(*v));

		if (v == NULL)
			return STORE_ERR_NOMEM;
		d->items = v;
		d->cap_items = cap;
	}
	for (size_t i = 0; i < 4; i++)
		len += strlen(f[i]) + 1;
	if ((p = malloc(len)) == NULL)
		return STORE_ERR_NOMEM;
	it = &d->items[d->n_items++];
	memset(it, 0, sizeof(*it));
	it->o = *o;
	it->text = p;
	it->payload = payload;
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(f[i]) + 1;

		memcpy(p, f[i], n);
		f[i] = p;
		p += n;
	}
	it->o.idempotency_key = f[0];
	it->o.channel = f[1];
	it->o.action = f[2];
	it->o.rule = f[3];
	it->o.payload = "";
	it->o.state = "sending";
	it->o.lease_owner = d->worker;
	it->o.outcome = "";
	return STORE_OK;
}

int dispatch_outcome(struct store *store, const char *worker, int64_t now,
		     const struct outbox_view *o, json_t *payload, const char *state,
		     const char *outcome, int64_t due_if_deferred)
{
	const char *to = dispatch_json_str(payload, "to");
	int rc;

	rc = store_outbox_finish(store, o->outbox_id, worker, state, outcome, now, due_if_deferred);
	if (rc == STORE_OK) {
		char body[1024];
		/* By the row's account key: the file of that account's customer,
		 * found by integer keys rather than by ids. */
		struct file_note note = { o->account_key, now,
					  strcmp(state, "done") == 0 ? "action" : state, CMD_AUTHOR,
					  body };

		snprintf(body, sizeof(body), "%s %s%s%s (%s, policy v%lld): %s", o->channel, o->action,
			 to ? " to " : "", to ? to : "", o->rule, (long long)o->policy_version,
			 outcome);
		rc = store_file_notes(store, &note, 1);
	}
	return rc;
}

static void action_of(const struct dispatch *d, const struct item *it, struct chan_action *a)
{
	memset(a, 0, sizeof(*a));
	a->key = it->o.idempotency_key;
	a->at = d->ctx->now;
	a->channel = it->o.channel;
	a->action = it->o.action;
	a->account_id = dispatch_json_str(it->payload, "account_id");
	a->customer_id = dispatch_json_str(it->payload, "customer_id");
	a->policy_version = it->o.policy_version;
	a->rule = it->o.rule;
	a->to = dispatch_json_str(it->payload, "to");
	a->subject = dispatch_json_str(it->payload, "subject");
	a->text = dispatch_json_str(it->payload, "text");
}

/* Hands one wave to the peer: outs[i] for acts[i]. */
static void send_wave(struct peer *p, const struct chan_action *const *acts, size_t n,
		      struct chan_outcome *outs)
{
	if (p->smpp != NULL) {
		smpp_client_send(p->smpp, acts, n, outs);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (p->http != NULL)
			sms_http_send(p->http, acts[i], &outs[i]);
		else
			smtp_send(p->smtp, acts[i], &outs[i]);
	}
}

/* A task for the agents (cmd.h): the file entry, then the queue row. */
int queue_task_put(struct store *s, const struct queue_task_new *t)
{
	char *body = NULL;
	struct outbox_row row = { 0 };
	struct store_outcome put;
	json_t *task;
	int64_t seq;
	int rc;

	if ((rc = store_file_append(s, t->customer, t->account, t->now, t->kind, t->author, t->text,
				    &seq)) != STORE_OK)
		return rc;
	task = json_pack("{s:s, s:s, s:s, s:s, s:i}", "customer_id", t->customer, "account_id",
			 t->account ? t->account : "", "text", t->text, "target", t->queue,
			 "priority", t->priority);
	body = task ? json_dumps(task, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(task);
	if (body == NULL)
		return STORE_ERR_NOMEM;
	row.idempotency_key = t->key;
	row.account_key = t->account_key;
	row.channel = "queue";
	row.action = "enqueue";
	row.due_at = t->now;
	row.payload = body;
	row.policy_version = t->policy_version;
	row.rule = t->rule;
	row.created_at = t->now;
	rc = store_outbox_put(s, &row, 1, &put);
	free(body);
	return rc;
}

/* What follows a contact flagged bad (cmd.h): shared with `relance contact
 * flag`, so that an agent's report and a peer's refusals make the same
 * file entry and the same task. One task per flagged contact value,
 * whatever repeats. */
int contact_fix_task(struct store *s, const char *customer, const char *account,
		     int64_t account_key, const char *kind, const char *value, const char *text,
		     const char *author, int64_t policy_version, int64_t now)
{
	char key[512];
	struct queue_task_new t = { customer, account, account_key, "contact", text, "contact-fix",
				    2, key, "contacts/bad", author, policy_version, now };

	snprintf(key, sizeof(key), "contact-fix/%s/%s/%s", customer, kind, value);
	return queue_task_put(s, &t);
}

/*
 * A permanent failure of the contact a message went to (a refusal, an
 * undelivered receipt): counted, and past the operations file's count the
 * contact is flagged bad (no channel uses it again until it changes), the
 * file says so and the agents' queue gets a "fix contact details" task.
 * Inside the caller's transaction, if any.
 */
int dispatch_contact_failed(struct dispatch *d, const struct outbox_view *o, json_t *payload)
{
	const char *customer = dispatch_json_str(payload, "customer_id"), *to = dispatch_json_str(payload, "to");
	const char *account = dispatch_json_str(payload, "account_id");
	const char *kind = strcmp(o->channel, "email") == 0 ? "email" : "phone";
	char text[400];
	int flagged = 0, rc;

	if (customer == NULL || to == NULL)
		return STORE_OK;
	rc = store_contact_failure(d->store, customer, kind, to, d->ctx->now, d->bad_after,
				   &flagged);
	if (rc != STORE_OK || !flagged)
		return rc;
	d->n.flagged++;
	snprintf(text, sizeof(text), "%s %s flagged as bad after %d permanent failure%s: not "
		 "used again until corrected; fix contact details", kind, to, d->bad_after,
		 d->bad_after == 1 ? "" : "s");
	return contact_fix_task(d->store, customer, account, o->account_key, kind, to, text,
				CMD_AUTHOR, o->policy_version, d->ctx->now);
}

/* Finishes one sent row as its outcome says. */
static int finish_sent(struct dispatch *d, const struct peer *p, struct item *it,
		       const struct chan_outcome *out, size_t together, int first)
{
	/* The report counts messages: the rows of one message count once. */
	struct dispatch_counts ignored, *n = first ? &d->n : &ignored;
	char what[400];
	const char *state;
	int64_t due = 0;
	int rc;

	switch (out->status) {
	case CHAN_DONE:
	case CHAN_ALREADY:
		n->accepted++;
		state = "done";
		snprintf(what, sizeof(what), "accepted by the %s peer%s%s", p->adapter,
			 out->peer_id[0] ? " as " : "", out->peer_id);
		/* The peer's ids name the message's first row: its receipts
		 * are told there, once (the others' would be ignored). */
		if (!first)
			break;
		if ((rc = store_outbox_peer_ids(d->store, it->o.outbox_id, it->o.channel,
						out->peer_id)) != STORE_OK)
			return rc;
		{
			int n_ids = 0;

			for (const char *q = out->peer_id; *q; q++)
				n_ids += *q != ' ' && (q == out->peer_id || q[-1] == ' ');
			if (n_ids > 1 && (rc = parts_put(d, it->o.outbox_id, n_ids)) != STORE_OK)
				return rc;
		}
		break;
	case CHAN_REFUSED:
		n->refused++;
		state = "failed";
		snprintf(what, sizeof(what), "refused by the %s peer: %s", p->adapter, out->detail);
		if (first && (rc = dispatch_contact_failed(d, &it->o, it->payload)) != STORE_OK)
			return rc;
		break;
	case CHAN_UNCERTAIN:
		n->uncertain++;
		state = "uncertain";
		snprintf(what, sizeof(what), "sent to the %s peer without an answer (%s): not sent "
			 "again", p->adapter, out->detail);
		break;
	default:
		if (it->o.attempts >= DISPATCH_MAX_ATTEMPTS) {
			n->refused++;
			state = "failed";
			snprintf(what, sizeof(what), "not accepted after %lld attempts: %s",
				 (long long)it->o.attempts, out->detail);
		} else {
			n->retried++;
			state = "deferred";
			due = d->ctx->now + RETRY_SECONDS * (it->o.attempts > 0 ? it->o.attempts : 1);
			snprintf(what, sizeof(what), "not accepted yet (%s): tried again later",
				 out->detail);
		}
		break;
	}
	if (together > 1) {
		size_t len = strlen(what);

		snprintf(what + len, sizeof(what) - len, " (one message for %zu accounts)", together);
	}
	return dispatch_outcome(d->store, d->worker, d->ctx->now, &it->o, it->payload, state, what,
				due);
}

/* Rows never handed to a peer that is down: back to pending for a later
 * cycle, attempts counted, nothing on the customer files (nothing
 * happened to the customer). */
int dispatch_defer_unsent(struct dispatch *d, struct item **v, size_t n)
{
	int rc = store_begin(d->store);

	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		d->n.retried++;
		rc = store_outbox_finish(d->store, v[i]->o.outbox_id, d->worker, "deferred",
					 "the peer is unreachable: tried again later", d->ctx->now,
					 d->ctx->now + RETRY_SECONDS);
	}
	if (rc == STORE_OK)
		return store_commit(d->store);
	store_rollback(d->store);
	return rc;
}

/*
 * One message to a peer. A customer with several accounts due at once gets
 * one message naming each (their texts one after the other), not one per
 * account: the rows of that customer and destination travel together and
 * share the outcome.
 */
struct msg {
	struct item **rows;
	size_t n;
	char *text;                /* the combined text; NULL: rows[0]'s own */
};

/* A row's destination, for grouping: rows without one travel alone. */
struct dest {
	const char *customer, *to;
	size_t i;                  /* index in the rows */
};

static int cmp_dest(const void *a, const void *b)
{
	const struct dest *x = a, *y = b;
	int solo_x = x->customer == NULL || x->to == NULL;
	int solo_y = y->customer == NULL || y->to == NULL, c;

	if (solo_x != solo_y)
		return solo_x - solo_y;
	if (!solo_x && ((c = strcmp(x->customer, y->customer)) != 0 ||
			(c = strcmp(x->to, y->to)) != 0))
		return c;
	return (x->i > y->i) - (x->i < y->i);
}

static int same_dest(const struct dest *x, const struct dest *y)
{
	return x->customer && x->to && y->customer && y->to && strcmp(x->customer, y->customer) == 0 &&
	       strcmp(x->to, y->to) == 0;
}

/* The texts of a message's rows, one after the other. */
static char *joined_text(const struct msg *m, int email)
{
	size_t len = 1;
	char *text;

	for (size_t j = 0; j < m->n; j++) {
		const char *t = dispatch_json_str(m->rows[j]->payload, "text");

		len += (t ? strlen(t) : 0) + 2;
	}
	if ((text = malloc(len)) == NULL)
		return NULL;
	len = 0;
	for (size_t j = 0; j < m->n; j++) {
		const char *t = dispatch_json_str(m->rows[j]->payload, "text");
		size_t tl = t ? strlen(t) : 0;

		if (j > 0)
			text[len++] = '\n';
		if (j > 0 && email)
			text[len++] = '\n';
		memcpy(text + len, t ? t : "", tl);
		len += tl;
	}
	text[len] = '\0';
	return text;
}

/*
 * Groups the rows v[0..n) into messages by destination, messages in the
 * order of their first row: sorted once (a claim batch is a thousand rows),
 * not compared pairwise.
 */
static int group(struct item **v, size_t n, struct msg *m, size_t *n_msgs, struct item **slots,
		 int email)
{
	struct dest *keys = calloc(n + 1, sizeof(*keys));
	size_t *run = calloc(n + 1, sizeof(*run)), *len = calloc(n + 1, sizeof(*len));
	size_t k = 0, used = 0;
	int rc = STORE_ERR_NOMEM;

	if (keys == NULL || run == NULL || len == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		keys[i].customer = dispatch_json_str(v[i]->payload, "customer_id");
		keys[i].to = dispatch_json_str(v[i]->payload, "to");
		keys[i].i = i;
	}
	qsort(keys, n, sizeof(*keys), cmp_dest);
	/* len[i] > 0 marks row i as the first of its message, whose rows are
	 * keys[run[i] .. run[i] + len[i]). */
	for (size_t s = 0, e; s < n; s = e) {
		for (e = s + 1; e < n && same_dest(&keys[s], &keys[e]); e++)
			;
		run[keys[s].i] = s;
		len[keys[s].i] = e - s;
	}
	for (size_t i = 0; i < n; i++) {
		if (len[i] == 0)
			continue;
		m[k].rows = slots + used;
		m[k].n = len[i];
		m[k].text = NULL;
		for (size_t j = 0; j < len[i]; j++)
			m[k].rows[j] = v[keys[run[i] + j].i];
		used += len[i];
		k++;
		if (m[k - 1].n > 1 && (m[k - 1].text = joined_text(&m[k - 1], email)) == NULL)
			goto out;
	}
	rc = STORE_OK;
out:
	*n_msgs = k;
	free(keys);
	free(run);
	free(len);
	return rc;
}

/* Sends the queued rows of peer p, a wave of messages at a time. */
static int flush_peer(struct dispatch *d, int p)
{
	struct peer *peer = &d->peers[p];
	size_t wave = peer->wave > 0 ? peer->wave : 1, n = 0, n_msgs = 0;
	struct item **v = NULL, **slots = NULL;
	struct msg *m = NULL;
	const struct chan_action **acts = NULL;
	struct chan_action *a = NULL;
	struct chan_outcome *outs = NULL;
	int64_t *ids = NULL;
	int rc = STORE_OK;

	v = calloc(d->n_items + 1, sizeof(*v));
	slots = calloc(d->n_items + 1, sizeof(*slots));
	m = calloc(d->n_items + 1, sizeof(*m));
	ids = calloc(d->n_items + 1, sizeof(*ids));
	acts = calloc(wave, sizeof(*acts));
	a = calloc(wave, sizeof(*a));
	outs = calloc(wave, sizeof(*outs));
	if (v == NULL || slots == NULL || m == NULL || ids == NULL || acts == NULL || a == NULL ||
	    outs == NULL) {
		rc = STORE_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < d->n_items; i++)
		if (strcmp(d->items[i].o.channel, peer_channel[p]) == 0)
			v[n++] = &d->items[i];
	if ((rc = group(v, n, m, &n_msgs, slots, p == P_EMAIL)) != STORE_OK)
		goto out;
	for (size_t at = 0; at < n_msgs && rc == STORE_OK; at += wave) {
		size_t k = n_msgs - at < wave ? n_msgs - at : wave, n_ids = 0;
		int reached = 0;

		/* A peer that took nothing of the last wave is down: the rest
		 * waits for the next cycle rather than for one deadline each. */
		if (peer->down) {
			for (size_t i = at; i < n_msgs; i++)
				for (size_t j = 0; j < m[i].n; j++)
					v[n_ids++] = m[i].rows[j];
			rc = dispatch_defer_unsent(d, v, n_ids);
			break;
		}
		for (size_t i = 0; i < k; i++) {
			const struct msg *x = &m[at + i];

			for (size_t j = 0; j < x->n; j++)
				ids[n_ids++] = x->rows[j]->o.outbox_id;
			action_of(d, x->rows[0], &a[i]);
			if (x->text != NULL)
				a[i].text = x->text;
			acts[i] = &a[i];
			memset(&outs[i], 0, sizeof(outs[i]));
		}
		/* Committed before the peer hears of them: see dispatch.h. */
		if ((rc = store_outbox_sending(d->store, ids, n_ids, d->worker)) != STORE_OK)
			break;
		send_wave(peer, acts, k, outs);
		if ((rc = store_begin(d->store)) != STORE_OK)
			break;
		for (size_t i = 0; i < k && rc == STORE_OK; i++) {
			const struct msg *x = &m[at + i];

			reached |= outs[i].status != CHAN_FAILED;
			for (size_t j = 0; j < x->n && rc == STORE_OK; j++)
				rc = finish_sent(d, peer, x->rows[j], &outs[i], x->n, j == 0);
		}
		peer->down = !reached;
		if (rc == STORE_OK)
			rc = store_commit(d->store);
		else
			store_rollback(d->store);
	}
out:
	for (size_t i = 0; m != NULL && i < n_msgs; i++)
		free(m[i].text);
	free(m);
	free(slots);
	free(v);
	free(acts);
	free(a);
	free(outs);
	free(ids);
	return rc;
}

int dispatch_flush(struct dispatch *d)
{
	int rc = STORE_OK;

	for (int p = 0; p < P_N && rc == STORE_OK; p++)
		if (d->peers[p].adapter != NULL)
			rc = p == P_VOICE ? dispatch_flush_voice(d) :
			     p == P_PROV ? dispatch_flush_prov(d) : flush_peer(d, p);
	for (size_t i = 0; i < d->n_items; i++) {
		free(d->items[i].text);
		json_decref(d->items[i].payload);
	}
	d->n_items = 0;
	return rc;
}

/* ---- receipts ---------------------------------------------------------------- */

struct receipt_ctx {
	struct dispatch *d;
	const struct chan_receipt *r;
	int rc;
};

static const char *delivery_text(int delivery)
{
	switch (delivery) {
	case CHAN_DELIVERED: return "delivered";
	case CHAN_UNDELIVERED: return "not delivered";
	case CHAN_EXPIRED: return "expired undelivered";
	}
	return "delivery unknown";
}

/* The parts awaited for message `id`, or NULL when it is not one of this
 * run's messages of several parts. */
static struct parts *d_parts(struct dispatch *d, int64_t id)
{
	struct parts *p;

	if (d->cap_parts == 0)
		return NULL;
	p = parts_slot(d->parts, d->cap_parts, id);
	return p->outbox_id == id ? p : NULL;
}

/* The message the receipt is about: its outcome on the customer file. */
static int receipt_row(void *ctx, const struct outbox_view *o)
{
	struct receipt_ctx *c = ctx;
	json_error_t jerr;
	json_t *payload = json_loads(o->payload, 0, &jerr);
	const char *customer = dispatch_json_str(payload, "customer_id");
	const char *account = dispatch_json_str(payload, "account_id"), *to = dispatch_json_str(payload, "to");
	char when[INSTANT_TEXT_LEN + 1] = "", body[600];
	/* "000" is how an SMSC says "no error". */
	int has_error = c->r->error && c->r->error[0] && strspn(c->r->error, "0") != strlen(c->r->error);
	int64_t seq;

	struct parts *p = d_parts(c->d, o->outbox_id);

	/* One entry per message: a part delivered while others are awaited,
	 * or any part after the message was told undelivered, adds nothing. */
	if (p != NULL && p->left < 0)
		goto out;
	if (p != NULL && c->r->delivery == CHAN_DELIVERED && --p->left > 0)
		goto out;
	if (p != NULL && c->r->delivery != CHAN_DELIVERED)
		p->left = -1;
	if (c->r->delivery == CHAN_DELIVERED)
		c->d->n.delivered++;
	else
		c->d->n.undelivered++;
	if (c->r->done_at > 0)
		instant_format(c->r->done_at, when);
	snprintf(body, sizeof(body), "%s to %s (%s, policy v%lld): %s%s%s%s%s", o->channel,
		 to ? to : "?", o->rule, (long long)o->policy_version,
		 delivery_text(c->r->delivery), when[0] ? " at " : "", when,
		 has_error ? ", error " : "", has_error ? c->r->error : "");
	if (customer != NULL)
		c->rc = store_file_append(c->d->store, customer, account, c->d->ctx->now, "delivery",
					  CMD_AUTHOR, body, &seq);
	if (c->rc == STORE_OK && c->r->delivery == CHAN_UNDELIVERED)
		c->rc = dispatch_contact_failed(c->d, o, payload);
out:
	json_decref(payload);
	return 0;
}

static void on_receipt(void *ctx, const struct chan_receipt *r)
{
	struct dispatch *d = ctx;
	struct receipt_ctx c = { d, r, STORE_OK };

	d->receipts_seen++;
	if (store_outbox_by_peer_id(d->store, "sms", r->peer_id, receipt_row, &c) != STORE_OK ||
	    c.rc != STORE_OK)
		fprintf(stderr, "relance: receipt for %s not written: %s\n", r->peer_id,
			store_errmsg(d->store));
}

int dispatch_receipts(struct dispatch *d, int wait_ms)
{
	struct smpp_client *c = d->peers[P_SMS].smpp;

	if (c == NULL)
		return 0;
	for (int round = 0; round < RECEIPT_ROUNDS; round++) {
		int64_t before = d->receipts_seen;

		if (smpp_client_poll(c, wait_ms, on_receipt, d) != 0)
			return -1;
		if (d->receipts_seen == before)
			break;
	}
	return 0;
}

void dispatch_counts(const struct dispatch *d, struct dispatch_counts *out)
{
	if (d == NULL) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = d->n;
}
