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
#include "../chan/sms_http.h"
#include "../chan/smtp.h"
#include "../chan/sip/call.h"
#include "../chan/smpp/client.h"
#include "../core/caltime.h"
#include "../core/dialer.h"
#include "../voice/prompt.h"
#include "dispatch.h"

/* A deferred retry waits this long times the attempts so far. */
#define RETRY_SECONDS 300
/* The longest one wave may take, and the longest wait for an answer: a
 * cycle must not hang on a peer that is down. */
#define WAVE_DEADLINE_MS 10000
#define ANSWER_TIMEOUT_MS 5000
/* Receipts are read until none came for this long, at most RECEIPT_ROUNDS times. */
#define RECEIPT_ROUNDS 20

enum { P_SMS, P_EMAIL, P_VOICE, P_N };
static const char *const peer_channel[P_N] = { "sms", "email", "voice" };

struct peer {
	size_t wave;
	struct smpp_client *smpp;
	struct sms_http *http;
	struct smtp_sender *smtp;
	struct sip_trunk *sip;
	const char *adapter;       /* "smpp", "http", "smtp", "sip" */
	int down;                  /* took nothing of the last wave */
};

/* A queued row: what finishing it and telling the peer need. */
struct item {
	struct outbox_view o;      /* strings in `text` */
	char *text;
	json_t *payload;
};

struct dispatch {
	struct cmd_ctx *ctx;
	struct store *store;
	const char *worker;
	struct peer peers[P_N];
	struct item *items;
	size_t n_items, cap_items;
	struct dispatch_counts n;
	int64_t receipts_seen;
	int bad_after;             /* permanent failures that flag a contact */
	const struct config_sip *sip_cfg;
	struct dispatch_voice_hooks hooks;
	/* Messages of several parts accepted in this run, by outbox id: how
	 * many parts' receipts are still awaited (-1: already told undelivered).
	 * Open addressing; the file gets one delivery entry per message. */
	struct parts { int64_t outbox_id; int left; } *parts;
	size_t n_parts, cap_parts;
};

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

static int peer_index(const char *channel)
{
	for (int i = 0; i < P_N; i++)
		if (strcmp(peer_channel[i], channel) == 0)
			return i;
	return -1;
}

static const char *json_str(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* Peers' state machines tell their transitions on stderr. */
static void log_line(void *arg, const char *line)
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
		rc = smpp_client_open(&cfg->sms.smpp, log_line, NULL, &d->peers[P_SMS].smpp, err,
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
		rc = sip_trunk_open(&cfg->voice.sip, log_line, NULL, &d->peers[P_VOICE].sip, err,
				    sizeof(err));
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
	const char *to = json_str(payload, "to");
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
	a->account_id = json_str(it->payload, "account_id");
	a->customer_id = json_str(it->payload, "customer_id");
	a->policy_version = it->o.policy_version;
	a->rule = it->o.rule;
	a->to = json_str(it->payload, "to");
	a->subject = json_str(it->payload, "subject");
	a->text = json_str(it->payload, "text");
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

/* What follows a contact flagged bad (cmd.h): shared with `relance contact
 * flag`, so that an agent's report and a peer's refusals make the same
 * file entry and the same task. */
int contact_fix_task(struct store *s, const char *customer, const char *account,
		     int64_t account_key, const char *kind, const char *value, const char *text,
		     const char *author, int64_t policy_version, int64_t now)
{
	char key[512], *body = NULL;
	struct outbox_row row = { 0 };
	struct store_outcome put;
	json_t *task;
	int64_t seq;
	int rc;

	if ((rc = store_file_append(s, customer, account, now, "contact", author, text, &seq)) !=
	    STORE_OK)
		return rc;
	task = json_pack("{s:s, s:s, s:s, s:s, s:i}", "customer_id", customer, "account_id",
			 account ? account : "", "text", text, "target", "contact-fix", "priority", 2);
	body = task ? json_dumps(task, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(task);
	if (body == NULL)
		return STORE_ERR_NOMEM;
	/* One task per flagged contact value, whatever repeats. */
	snprintf(key, sizeof(key), "contact-fix/%s/%s/%s", customer, kind, value);
	row.idempotency_key = key;
	row.account_key = account_key;
	row.channel = "queue";
	row.action = "enqueue";
	row.due_at = now;
	row.payload = body;
	row.policy_version = policy_version;
	row.rule = "contacts/bad";
	row.created_at = now;
	rc = store_outbox_put(s, &row, 1, &put);
	free(body);
	return rc;
}

/*
 * A permanent failure of the contact a message went to (a refusal, an
 * undelivered receipt): counted, and past the operations file's count the
 * contact is flagged bad (no channel uses it again until it changes), the
 * file says so and the agents' queue gets a "fix contact details" task.
 * Inside the caller's transaction, if any.
 */
static int contact_failed(struct dispatch *d, const struct outbox_view *o, json_t *payload)
{
	const char *customer = json_str(payload, "customer_id"), *to = json_str(payload, "to");
	const char *account = json_str(payload, "account_id");
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
		if (first && (rc = contact_failed(d, &it->o, it->payload)) != STORE_OK)
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
static int defer_unsent(struct dispatch *d, struct item **v, size_t n)
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
		const char *t = json_str(m->rows[j]->payload, "text");

		len += (t ? strlen(t) : 0) + 2;
	}
	if ((text = malloc(len)) == NULL)
		return NULL;
	len = 0;
	for (size_t j = 0; j < m->n; j++) {
		const char *t = json_str(m->rows[j]->payload, "text");
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
		keys[i].customer = json_str(v[i]->payload, "customer_id");
		keys[i].to = json_str(v[i]->payload, "to");
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
			rc = defer_unsent(d, v, n_ids);
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

/* ---- voice ------------------------------------------------------------------- */

/* The sentences of a call besides the message, by language: the dialer's
 * plan names them (dialer.h), the customer hears them in the message's
 * language. The offer's days come between its two halves. */
struct voice_texts {
	const char *lang, *identity, *offer, *offer_end, *taken;
};

static const struct voice_texts voice_texts[] = {
	{ "uk", "Якщо ви отримувач цього дзвінка, натисніть 1.",
	  "Щоб пообіцяти сплатити протягом ", " днів, натисніть 1.",
	  "Вашу обіцянку сплатити записано. Дякуємо." },
	{ "fr", "Si vous êtes le destinataire de cet appel, appuyez sur 1.",
	  "Pour promettre de payer sous ", " jours, appuyez sur 1.",
	  "Votre promesse de paiement est enregistrée. Merci." },
	{ "pt", "Se você é o destinatário desta chamada, tecle 1.",
	  "Para prometer pagar em ", " dias, tecle 1.",
	  "Sua promessa de pagamento foi registrada. Obrigado." },
	{ "en", "If you are the person this call is for, press 1.",
	  "To promise to pay within ", " days, press 1.",
	  "Your promise to pay is recorded. Thank you." },
};

static const struct voice_texts *texts_of(const char *locale)
{
	size_t n = sizeof(voice_texts) / sizeof(voice_texts[0]);

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(voice_texts[i].lang);

		if (locale && strncmp(locale, voice_texts[i].lang, l) == 0 &&
		    (locale[l] == '\0' || locale[l] == '-' || locale[l] == '_'))
			return &voice_texts[i];
	}
	return &voice_texts[n - 1];
}

/* One call in flight: its row, its plan, the audio of each PLAY. */
struct vcall {
	int used;
	size_t id;                 /* the dialer's */
	struct item *it;
	struct dialer_plan plan;
	struct prompt audio[DIALER_PLAN_MAX];
	struct sip_step steps[DIALER_PLAN_MAX];
	int64_t length_ms;
};

struct voice_run {
	struct dispatch *d;
	struct item **v;           /* the queued voice rows; entry ref = index */
	unsigned char *called;     /* called in this cycle: never twice */
	struct dialer dl;
	int64_t called_at;
	int conversation;
	int hook_rc;               /* the store's error behind VOICE_HOOK_FAILED */
	char why[256];             /* the check's reason, for the handout */
};

/* What voice_when returns to the dialer when the store failed: below -16,
 * apart from the dialer's own codes (dialer.h). */
#define VOICE_HOOK_FAILED (-32)

/* Each row is called once per cycle: one a row already called comes back
 * with (an early hang-up is due again at once) waits for the next cycle. */
static int voice_check(void *ctx, const struct dialer_entry *e, int64_t now,
		       struct dialer_verdict *v)
{
	struct voice_run *vr = ctx;
	struct item *it = vr->v[e->ref];
	int rc;

	v->check = DIALER_GO;
	v->until = now + 1;
	v->reason = NULL;
	if (vr->called[e->ref]) {
		v->check = DIALER_DEFER;
		v->reason = "called once in this cycle";
		return 0;
	}
	if (vr->d->hooks.check == NULL)
		return 0;
	rc = vr->d->hooks.check(vr->d->hooks.ctx, &it->o, it->payload, &v->until, vr->why,
				sizeof(vr->why));
	if (rc < 0) {
		vr->hook_rc = rc;
		return VOICE_HOOK_FAILED;
	}
	switch (rc) {
	case 1:
		v->check = DIALER_PAID;
		v->reason = "not performed: the customer paid meanwhile";
		break;
	case 2:
		v->check = DIALER_DEFER;
		v->until = v->until > now ? v->until : now + 1;
		v->reason = vr->why;
		break;
	case 3:
		v->check = DIALER_DROP;
		v->reason = vr->why;
		break;
	}
	return 0;
}

/* A row the check before dialling held back: finished with its reason on
 * the file, as perform_one finishes the rows it holds back. */
static int voice_held_back(struct dispatch *d, struct item *it, const struct dialer_handout *h)
{
	int rc = store_begin(d->store);

	if (rc != STORE_OK)
		return rc;
	rc = dispatch_outcome(d->store, d->worker, d->ctx->now, &it->o, it->payload,
			      h->kind == DIALER_DROPPED ? "dropped" : "deferred", h->reason,
			      h->kind == DIALER_DROPPED ? 0 : h->until);
	if (rc == STORE_OK)
		return store_commit(d->store);
	store_rollback(d->store);
	return rc;
}

static int voice_when(void *ctx, const struct dialer_entry *e, int64_t from, int64_t *next)
{
	struct voice_run *vr = ctx;
	struct item *it = vr->v[e->ref];
	int rc;

	if (vr->d->hooks.when == NULL) {
		*next = from;
		return 0;
	}
	rc = vr->d->hooks.when(vr->d->hooks.ctx, &it->o, it->payload, vr->called_at,
			       vr->conversation, from, next);
	if (rc < 0) {
		vr->hook_rc = rc;
		return VOICE_HOOK_FAILED;
	}
	return rc;
}

static void vcall_release(struct vcall *c)
{
	for (size_t i = 0; i < DIALER_PLAN_MAX; i++)
		prompt_release(&c->audio[i]);
	memset(c, 0, sizeof(*c));
}

/* Renders the plan's prompts into c->steps. 0, or -1 with err filled. */
static int vcall_prepare(struct dispatch *d, struct vcall *c, const char *cache,
			 char *err, size_t errsize)
{
	const char *locale = json_str(c->it->payload, "locale");
	const char *msg = json_str(c->it->payload, "text");
	const struct voice_texts *t = texts_of(locale);
	struct prompt_opts po = { cache, d->sip_cfg, PROMPT_MULAW };

	if (locale == NULL || locale[0] == '\0')
		locale = "en";
	for (size_t i = 0; i < c->plan.n; i++) {
		const struct dialer_step *s = &c->plan.steps[i];
		char text[512];
		const char *say = text;

		if (s->kind == DIALER_WAIT_KEY) {
			c->steps[i] = (struct sip_step){ .kind = SIP_STEP_WAIT_KEY, .key = s->key,
							 .timeout_ms = s->timeout_s * 1000 };
			c->length_ms += s->timeout_s * 1000;
			continue;
		}
		switch (s->prompt) {
		case DIALER_PROMPT_IDENTITY: snprintf(text, sizeof(text), "%s", t->identity); break;
		case DIALER_PROMPT_MESSAGE: say = msg; break;
		case DIALER_PROMPT_PROMISE_OFFER:
			snprintf(text, sizeof(text), "%s%d%s", t->offer, c->plan.promise_days,
				 t->offer_end);
			break;
		case DIALER_PROMPT_PROMISE_TAKEN: snprintf(text, sizeof(text), "%s", t->taken); break;
		}
		if (say == NULL || say[0] == '\0') {
			snprintf(err, errsize, "the row has no text to say");
			return -1;
		}
		if (prompt_render(locale, say, &po, &c->audio[i], err, errsize) != PROMPT_OK)
			return -1;
		c->steps[i] = (struct sip_step){ .kind = SIP_STEP_PLAY, .audio = c->audio[i].audio,
						 .len = c->audio[i].len };
		c->length_ms += c->audio[i].duration_ms;
	}
	return 0;
}

static enum dialer_outcome outcome_of_sip(enum sip_outcome o)
{
	switch (o) {
	case SIP_HEARD: return DIALER_HEARD;
	case SIP_HUNG_UP_EARLY: return DIALER_HUNG_UP_EARLY;
	case SIP_BUSY: return DIALER_BUSY;
	case SIP_NO_ANSWER: return DIALER_NO_ANSWER;
	case SIP_BAD_NUMBER: return DIALER_BAD_NUMBER;
	case SIP_NOT_CONFIRMED: return DIALER_NOT_CONFIRMED;
	case SIP_TRUNK_FAILURE: break;
	}
	return DIALER_TRUNK_FAILURE;
}

/*
 * Feeds the outcome of call c to the list and finishes its row as the
 * list says, with its file entry, in one transaction: heard → done (and a
 * promise when the key asked for one); hung up early, busy, no answer →
 * deferred to the moment the list gives; given up → failed; a bad number
 * → failed and counted against the number (flagged past the operations
 * file's count, with its task); a trunk failure → deferred, nothing on the
 * customer's file and nothing counted (nothing reached the customer).
 */
static int voice_finish(struct dispatch *d, struct voice_run *vr, struct vcall *c,
			const struct dialer_call_result *cr, const char *detail)
{
	struct dialer_result res;
	struct item *it = c->it;
	int64_t now = d->ctx->now;
	char what[700], when[INSTANT_TEXT_LEN + 1] = "", promise[256] = "";
	const char *state = "deferred";
	int64_t due = 0;
	int pct = (cr->share + 5) / 10, rc;

	vr->called_at = now;
	vr->conversation = cr->outcome == DIALER_HEARD;
	vr->hook_rc = STORE_OK;
	rc = dialer_feed(&vr->dl, c->id, now, cr, voice_when, vr, &res);
	if (rc == VOICE_HOOK_FAILED)
		return vr->hook_rc;
	if (rc != DIALER_OK)
		return STORE_ERR_INPUT;
	if (res.state == DIALER_WAITING) {
		/* Never due again within this cycle's claims (see voice_check). */
		due = res.due > now ? res.due : now + 1;
		instant_format(due, when);
	}
	if (cr->outcome == DIALER_TRUNK_FAILURE) {
		d->n.trunk_failures++;
		if (res.state != DIALER_WAITING)
			due = now + DIALER_TRUNK_RETRY_S;
		/* Nothing reached the customer: nothing on the file. */
		snprintf(what, sizeof(what), "the trunk failed (%s): called again later", detail);
		if ((rc = store_begin(d->store)) != STORE_OK)
			return rc;
		rc = store_outbox_finish(d->store, it->o.outbox_id, d->worker, "deferred", what, now,
					 due);
		goto commit;
	}
	d->n.calls++;
	switch (cr->outcome) {
	case DIALER_HEARD:
		d->n.heard++;
		state = "done";
		snprintf(what, sizeof(what), "heard (%d%%)", pct);
		break;
	case DIALER_HUNG_UP_EARLY:
		d->n.early++;
		snprintf(what, sizeof(what), "hung up early after %d%% of the message", pct);
		break;
	case DIALER_BAD_NUMBER:
		d->n.bad_numbers++;
		state = "failed";
		due = 0;
		snprintf(what, sizeof(what), "bad number (%s)", detail);
		break;
	default:
		d->n.unanswered++;
		snprintf(what, sizeof(what), "%s (%s)", cr->outcome == DIALER_BUSY ? "busy" :
			 cr->outcome == DIALER_NO_ANSWER ? "no answer" : "not confirmed", detail);
		break;
	}
	if (strcmp(state, "deferred") == 0) {
		size_t len = strlen(what);

		if (res.state == DIALER_WAITING) {
				snprintf(what + len, sizeof(what) - len, ": called again %sat %s",
				 res.front ? "first " : "", when);
		} else {
			/* Given up, or compliance allows no other call. */
			state = res.end == DIALER_END_NOT_ALLOWED ? "dropped" : "failed";
				snprintf(what + len, sizeof(what) - len, ": %s", res.reason);
		}
	}
	if ((rc = store_begin(d->store)) != STORE_OK)
		return rc;
	if ((res.events & DIALER_EV_PROMISE) && d->hooks.promise != NULL) {
		size_t len = strlen(what);

		if ((rc = d->hooks.promise(d->hooks.ctx, &it->o, it->payload, res.promise_days,
					   promise, sizeof(promise))) != STORE_OK)
			goto commit;
		if (promise[0]) {
			d->n.promises++;
			snprintf(what + len, sizeof(what) - len, "; %s", promise);
		}
	}
	rc = dispatch_outcome(d->store, d->worker, now, &it->o, it->payload, state, what, due);
	if (rc == STORE_OK && cr->outcome == DIALER_BAD_NUMBER)
		rc = contact_failed(d, &it->o, it->payload);
commit:
	if (rc == STORE_OK)
		return store_commit(d->store);
	store_rollback(d->store);
	return rc;
}

/* The longest a call may take before the trunk must have ended it: ring
 * time, the plan's audio and waits, and libre's transaction timers. Only a
 * backstop: every call ends by itself. */
static int voice_backstop_ms(const struct dispatch *d, const struct vcall *c, size_t n)
{
	int64_t ms = ((int64_t)d->sip_cfg->ring_timeout_s + 120) * 1000;

	for (size_t i = 0; i < n; i++)
		if (c[i].used)
			ms += c[i].length_ms;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Calls the queued voice rows through the trunk, as one dialer list. */
static int flush_voice(struct dispatch *d)
{
	struct peer *peer = &d->peers[P_VOICE];
	size_t slots = peer->wave > 0 ? peer->wave : 1, n = 0, in_flight = 0;
	struct dialer_trunk trunk = { (int)slots, 0 };
	struct dialer_config dc;
	struct voice_run vr = { .d = d };
	struct vcall *calls = NULL;
	struct dialer_handout *hs = NULL;
	char cache[PATH_MAX];
	int rc = STORE_OK, have_list = 0;

	{
		const char *url = d->ctx->db_url;
		const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
		const char *slash = strrchr(path, '/');

		/* The prompt cache beside a SQLite database (docs/voice.md). */
		if (strstr(path, "://") != NULL || slash == NULL)
			snprintf(cache, sizeof(cache), "voice-cache");
		else
			snprintf(cache, sizeof(cache), "%.*s/voice-cache", (int)(slash - path), path);
	}
	vr.v = calloc(d->n_items + 1, sizeof(*vr.v));
	vr.called = calloc(d->n_items + 1, 1);
	calls = calloc(slots, sizeof(*calls));
	hs = calloc(slots, sizeof(*hs));
	if (vr.v == NULL || vr.called == NULL || calls == NULL || hs == NULL) {
		rc = STORE_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < d->n_items; i++)
		if (strcmp(d->items[i].o.channel, "voice") == 0)
			vr.v[n++] = &d->items[i];
	if (n == 0)
		goto out;
	/* Closed after a call that never ended (below): the rows wait. */
	if (peer->sip == NULL) {
		rc = defer_unsent(d, vr.v, n);
		goto out;
	}
	dialer_config_init(&dc, d->hooks.policy, d->bad_after);
	if (dialer_init(&vr.dl, &dc, &trunk) != DIALER_OK) {
		rc = STORE_ERR_INPUT;
		goto out;
	}
	have_list = 1;
	for (size_t i = 0; i < n; i++) {
		struct dialer_entry e = { 0 };
		json_t *pl = vr.v[i]->payload;

		e.ref = (int64_t)i;
		e.account_id = json_str(pl, "account_id");
		e.customer_id = json_str(pl, "customer_id");
		e.number = json_str(pl, "to");
		e.priority = 5;
		e.due = d->ctx->now;
		/* The row's attempts count its claims, not the calls that went
		 * unanswered: each row starts the list afresh, and is called
		 * once per cycle, so max_unanswered never ends a row here; the
		 * policy's repetitions (times, every_days) bound the calls. */
		e.attempts = 0;
		e.unanswered = 0;
		e.last = DIALER_NOT_CALLED;
		if (e.account_id == NULL || e.customer_id == NULL || e.number == NULL ||
		    !sip_to_valid(e.number) || dialer_add(&vr.dl, &e, NULL) != DIALER_OK) {
			/* Nothing to dial: the row cannot be performed. */
			if ((rc = store_begin(d->store)) != STORE_OK)
				goto out;
			rc = dispatch_outcome(d->store, d->worker, d->ctx->now, &vr.v[i]->o,
					      vr.v[i]->payload, "failed", "no number to call", 0);
			if (rc == STORE_OK)
				rc = store_commit(d->store);
			else
				store_rollback(d->store);
			if (rc != STORE_OK)
				goto out;
		}
	}
	for (;;) {
		size_t nh = 0;
		struct sip_result res;

		if (in_flight < slots) {
			int dr;

			vr.hook_rc = STORE_OK;
			dr = dialer_next(&vr.dl, d->ctx->now, voice_check, &vr, hs, slots - in_flight,
					 &nh);
			if (dr != DIALER_OK)
				rc = dr == VOICE_HOOK_FAILED ? vr.hook_rc : STORE_ERR_INPUT;
		}
		for (size_t h = 0; h < nh && rc == STORE_OK; h++) {
			struct vcall *c = NULL;
			struct sip_call_req req = { 0 };
			char err[512];
			int64_t id;

			if (hs[h].kind != DIALER_CALL) {
				/* Rows called in this cycle are finished already. */
				if (!vr.called[hs[h].entry->ref])
					rc = voice_held_back(d, vr.v[hs[h].entry->ref], &hs[h]);
				continue;
			}
			for (size_t k = 0; k < slots && c == NULL; k++)
				if (!calls[k].used)
					c = &calls[k];
			c->used = 1;
			c->id = hs[h].id;
			c->it = vr.v[hs[h].entry->ref];
			c->plan = hs[h].plan;
			vr.called[hs[h].entry->ref] = 1;
			id = c->it->o.outbox_id;
			if (vcall_prepare(d, c, cache, err, sizeof(err)) != 0) {
				struct dialer_call_result cr = { DIALER_TRUNK_FAILURE, 0, 0 };
				char why[600];

				snprintf(why, sizeof(why), "prompt: %s", err);
				rc = voice_finish(d, &vr, c, &cr, why);
				vcall_release(c);
				continue;
			}
			req.to = hs[h].entry->number;
			req.steps = c->steps;
			req.n_steps = c->plan.n;
			req.message = c->plan.message;
			req.tag = (uint64_t)(c - calls);
			/* Committed before the trunk hears of it: see dispatch.h. */
			if ((rc = store_outbox_sending(d->store, &id, 1, d->worker)) != STORE_OK)
				break;
			if (sip_call_start(peer->sip, &req) != SIP_OK) {
				struct dialer_call_result cr = { DIALER_TRUNK_FAILURE, 0, 0 };

				rc = voice_finish(d, &vr, c, &cr, "the call could not start");
				vcall_release(c);
				continue;
			}
			in_flight++;
		}
		if (rc != STORE_OK)
			break;
		if (in_flight == 0) {
			if (nh == 0)
				break;
			continue;
		}
		if (sip_trunk_next(peer->sip, voice_backstop_ms(d, calls, slots), &res) != SIP_OK) {
			/* A call that never ends: its row stays "sending" and the
			 * next claim finishes it uncertain, never calling twice. */
			fprintf(stderr, "relance: sip: a call did not end\n");
			break;
		}
		in_flight--;
		if (res.tag < slots && calls[res.tag].used) {
			struct vcall *c = &calls[res.tag];
			struct dialer_call_result cr = { outcome_of_sip(res.outcome), res.permille, 0 };
			/* The key after the message counts when the plan went past
			 * the wait that follows it (a wait without its key ends the
			 * call there): a key pressed early in the message is no
			 * answer to an offer not made yet. */
			size_t skip = c->plan.message > 0 ? 1 : 0;

			if (cr.share < 0)
				cr.share = 0;
			if (cr.share > 1000)
				cr.share = 1000;
			for (size_t k = c->plan.message + 1; k < c->plan.n; k++) {
				if (c->plan.steps[k].kind != DIALER_WAIT_KEY)
					continue;
				if (res.step > k && strlen(res.digits) > skip)
					cr.digit = res.digits[strlen(res.digits) - 1];
				break;
			}
			if (cr.outcome == DIALER_HEARD)
				cr.share = 1000;
			rc = voice_finish(d, &vr, c, &cr, res.reason);
			vcall_release(c);
		}
		if (rc != STORE_OK)
			break;
	}
out:
	/* Calls still in flight borrow their audio until the trunk lets go
	 * of them (call.h): closing it ends them first. */
	if (in_flight > 0) {
		sip_trunk_close(peer->sip);
		peer->sip = NULL;
	}
	for (size_t k = 0; calls != NULL && k < slots; k++)
		vcall_release(&calls[k]);
	if (have_list)
		dialer_release(&vr.dl);
	free(calls);
	free(hs);
	free(vr.v);
	free(vr.called);
	return rc;
}

int dispatch_flush(struct dispatch *d)
{
	int rc = STORE_OK;

	for (int p = 0; p < P_N && rc == STORE_OK; p++)
		if (d->peers[p].adapter != NULL)
			rc = p == P_VOICE ? flush_voice(d) : flush_peer(d, p);
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
	const char *customer = json_str(payload, "customer_id");
	const char *account = json_str(payload, "account_id"), *to = json_str(payload, "to");
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
		c->rc = contact_failed(c->d, o, payload);
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
