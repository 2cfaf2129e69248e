/*
 * dispatch_voice — the voice rows of a cycle called as one dialer list
 * (dispatch.h, docs/voice.md "In the cycle"): each row's calls in earlier
 * cycles read back (store_voice_calls_of) so that an early hang-up stays at
 * the front and max_unanswered counts across cycles; each call's prompts
 * rendered in the customer's language; each outcome finished in the
 * outbox, written on the customer file and kept as a call
 * (store_voice_call_add), in one transaction.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../chan/sip/call.h"
#include "../core/caltime.h"
#include "../core/dialer.h"
#include "../voice/prompt.h"
#include "dispatch.h"
#include "dispatch_impl.h"

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
	struct vcall *calls;       /* the calls in flight, `slots` of them */
	size_t slots;
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

/* A row's calls in earlier cycles, as the dialer counts them. */
struct voice_history {
	int attempts, unanswered;
	enum dialer_outcome last;
	int64_t last_at;           /* when `last` ended; 0: never called */
};

static int history_call(void *ctx, const struct store_voice_call *c)
{
	struct voice_history *h = ctx;
	enum dialer_outcome o = dialer_outcome_parse(c->outcome);

	/* A trunk failure never reached the customer: neither an attempt
	 * nor the call that decides the entry's place. */
	if (o == DIALER_NOT_CALLED || o == DIALER_TRUNK_FAILURE)
		return 0;
	h->attempts++;
	h->unanswered += o == DIALER_BUSY || o == DIALER_NO_ANSWER || o == DIALER_NOT_CONFIRMED;
	h->last = o;
	h->last_at = c->ended_at;
	return 0;
}

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
	/* Two rows for one number (two accounts of one customer): never two
	 * calls to one telephone at once; the second waits for a later cycle,
	 * where compliance sees the first in the history. */
	for (size_t k = 0; k < vr->slots; k++) {
		if (vr->calls[k].used &&
		    strcmp(dispatch_json_str(vr->calls[k].it->payload, "to"), e->number) == 0) {
			v->check = DIALER_DEFER;
			v->reason = "the number is in another call: called in a later cycle";
			return 0;
		}
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
	const char *locale = dispatch_json_str(c->it->payload, "locale");
	const char *msg = dispatch_json_str(c->it->payload, "text");
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
	struct store_voice_call call = { 0 };
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
	call.outbox_id = it->o.outbox_id;
	call.ended_at = now;
	call.outcome = dialer_outcome_name(cr->outcome);
	call.share = cr->share;
	call.requeued = res.state == DIALER_WAITING && res.front &&
			cr->outcome == DIALER_HUNG_UP_EARLY;
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
		if (rc == STORE_OK)
			rc = store_voice_call_add(d->store, &call);
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
	if (rc == STORE_OK)
		rc = store_voice_call_add(d->store, &call);
	if (rc == STORE_OK && cr->outcome == DIALER_BAD_NUMBER)
		rc = dispatch_contact_failed(d, &it->o, it->payload);
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

/* A row finished at once, in its own transaction, before the list runs. */
static int voice_finish_now(struct dispatch *d, struct item *it, const char *state,
			    const char *what)
{
	int rc = store_begin(d->store);

	if (rc != STORE_OK)
		return rc;
	rc = dispatch_outcome(d->store, d->worker, d->ctx->now, &it->o, it->payload, state, what, 0);
	if (rc == STORE_OK)
		return store_commit(d->store);
	store_rollback(d->store);
	return rc;
}

/* 0 when rows x and y are one reminder: one account, one rule. */
static int cmp_same_reminder_keys(const struct item *x, const struct item *y)
{
	const char *ax = dispatch_json_str(x->payload, "account_id");
	const char *ay = dispatch_json_str(y->payload, "account_id");
	int c = strcmp(ax ? ax : "", ay ? ay : "");

	return c != 0 ? c : strcmp(x->o.rule ? x->o.rule : "", y->o.rule ? y->o.rule : "");
}

/* Indices into rows (arg) by reminder, then age (outbox id). */
static int cmp_same_reminder(const void *a, const void *b, void *arg)
{
	struct item **rows = arg;
	const struct item *x = rows[*(const size_t *)a], *y = rows[*(const size_t *)b];
	int c = cmp_same_reminder_keys(x, y);

	if (c == 0)
		c = (x->o.outbox_id > y->o.outbox_id) - (x->o.outbox_id < y->o.outbox_id);
	return c;
}

/*
 * The list of this cycle's voice rows vr->v[0..n). Each row's calls in
 * earlier cycles are read back: an early hang-up stays at the front, and
 * voice.max_unanswered counts across cycles. Rows of one account and one
 * rule are one reminder decided again on later days (every_days): the
 * newest is called (it says today's amount) and takes over the calls of
 * the older ones, which are dropped as superseded: never two calls of one
 * reminder in one cycle. A row without a number to dial fails.
 */
static int voice_list_build(struct dispatch *d, struct voice_run *vr, size_t n)
{
	struct voice_history *h = calloc(n + 1, sizeof(*h));
	size_t *by = calloc(n + 1, sizeof(*by));
	int rc = STORE_OK;

	if (h == NULL || by == NULL) {
		rc = STORE_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		h[i].last = DIALER_NOT_CALLED;
		by[i] = i;
		rc = store_voice_calls_of(d->store, vr->v[i]->o.outbox_id, history_call, &h[i]);
	}
	qsort_r(by, n, sizeof(*by), cmp_same_reminder, vr->v);
	for (size_t k = 0; k + 1 < n && rc == STORE_OK; k++) {
		size_t older = by[k], newer = by[k + 1];
		char why[160], at[INSTANT_TEXT_LEN + 1];

		if (cmp_same_reminder_keys(vr->v[older], vr->v[newer]) != 0)
			continue;
		h[newer].attempts += h[older].attempts;
		h[newer].unanswered += h[older].unanswered;
		if (h[older].last_at > h[newer].last_at) {
			h[newer].last = h[older].last;
			h[newer].last_at = h[older].last_at;
		}
		h[older].last = DIALER_N_OUTCOMES;   /* superseded: not in the list */
		instant_format(vr->v[newer]->o.created_at, at);
		snprintf(why, sizeof(why), "not performed: superseded by the call of the same reminder "
			 "decided at %s", at);
		rc = voice_finish_now(d, vr->v[older], "dropped", why);
	}
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		struct dialer_entry e = { 0 };
		json_t *pl = vr->v[i]->payload;

		if (h[i].last == DIALER_N_OUTCOMES)
			continue;
		e.ref = (int64_t)i;
		e.account_id = dispatch_json_str(pl, "account_id");
		e.customer_id = dispatch_json_str(pl, "customer_id");
		e.number = dispatch_json_str(pl, "to");
		e.priority = 5;
		e.due = vr->v[i]->o.due_at < d->ctx->now ? vr->v[i]->o.due_at : d->ctx->now;
		e.attempts = h[i].attempts;
		e.unanswered = h[i].unanswered;
		e.last = h[i].last;
		e.confirm_identity = json_is_true(json_object_get(pl, "confirm_identity"));
		if (e.account_id == NULL || e.customer_id == NULL || e.number == NULL ||
		    !sip_to_valid(e.number) || dialer_add(&vr->dl, &e, NULL) != DIALER_OK)
			rc = voice_finish_now(d, vr->v[i], "failed", "no number to call");
	}
out:
	free(h);
	free(by);
	return rc;
}

/* Calls the queued voice rows through the trunk, as one dialer list. */
int dispatch_flush_voice(struct dispatch *d)
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
	vr.slots = slots;
	vr.v = calloc(d->n_items + 1, sizeof(*vr.v));
	vr.called = calloc(d->n_items + 1, 1);
	calls = calloc(slots, sizeof(*calls));
	hs = calloc(slots, sizeof(*hs));
	vr.calls = calls;
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
		rc = dispatch_defer_unsent(d, vr.v, n);
		goto out;
	}
	dialer_config_init(&dc, d->hooks.policy, d->bad_after);
	if (dialer_init(&vr.dl, &dc, &trunk) != DIALER_OK) {
		rc = STORE_ERR_INPUT;
		goto out;
	}
	have_list = 1;
	if ((rc = voice_list_build(d, &vr, n)) != STORE_OK)
		goto out;
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

