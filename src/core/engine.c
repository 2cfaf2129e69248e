/*
 * engine — stage selection, stage actions, campaigns. docs/engine.md is the
 * user-facing account of every rule below; keep them in step.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define DAY_SECONDS INT64_C(86400)

/* Everything one call works from, worked out once. */
struct ctx {
	const struct engine_input *in;
	const struct engine_account *acct;
	const struct engine_case *kase;
	const struct policy_jurisdiction *j;
	/* The facts conditions are evaluated on: disputed amounts already
	 * taken out when the jurisdiction freezes clocks. */
	int64_t overdue, balance;
	int64_t days_past_due;
	int notice_given;
	int64_t days_since_notice;
	int settled;
	int paused;             /* an arrangement holds the ladder (engine.h) */
	struct engine_decisions *out;
};

static const struct engine_case no_case = {
	.stage_entered_at = ENGINE_NEVER,
	.notice_at = ENGINE_NEVER,
};

static int str_in(const char *const *list, size_t n, const char *s)
{
	if (!s)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static int range_holds(const struct policy_range *r, int64_t v)
{
	if (r->has_min && v < r->min)
		return 0;
	if (r->has_max && v > r->max)
		return 0;
	return 1;
}

static int has_service_kind(const struct engine_account *a, const char *const *kinds, size_t n)
{
	for (size_t i = 0; i < a->n_services; i++)
		if (str_in(kinds, n, a->services[i].kind))
			return 1;
	return 0;
}

/* All given parts of the condition hold (docs/policy.md "Conditions"). A
 * condition on the notice's age fails while no notice was given: "15 days
 * since a notice" cannot hold of a notice that does not exist. */
static int cond_holds(const struct ctx *x, const struct policy_cond *c)
{
	const struct engine_account *a = x->acct;

	if (!range_holds(&c->days_past_due, x->days_past_due))
		return 0;
	if (!range_holds(&c->overdue, x->overdue))
		return 0;
	if (!range_holds(&c->balance, x->balance))
		return 0;
	if (!range_holds(&c->broken_promises, x->kase->broken_promises))
		return 0;
	if (c->days_since_notice.has_min || c->days_since_notice.has_max) {
		if (!x->notice_given || !range_holds(&c->days_since_notice, x->days_since_notice))
			return 0;
	}
	if (c->notice_given >= 0 && c->notice_given != x->notice_given)
		return 0;
	if (c->n_segments && !str_in(c->segments, c->n_segments, a->segment))
		return 0;
	if (c->n_service_kinds && !has_service_kind(a, c->service_kinds, c->n_service_kinds))
		return 0;
	for (size_t i = 0; i < c->n_tags; i++)
		if (!str_in(a->tags, a->n_tags, c->tags[i]))
			return 0;
	return 1;
}

/* A strategy or campaign applies to the account's jurisdiction and, when
 * it names a currency, only to accounts in that currency: its amounts
 * would mean nothing in another. */
static int applies(const struct ctx *x, const char *const *jur, size_t n_jur, const char *currency)
{
	if (!str_in(jur, n_jur, x->acct->jurisdiction))
		return 0;
	if (currency[0] && (!x->acct->currency || strcmp(currency, x->acct->currency) != 0))
		return 0;
	return 1;
}

static const struct policy_strategy *find_strategy(const struct ctx *x)
{
	const struct policy *p = x->in->policy;
	const struct policy_strategy *first = NULL;

	for (size_t i = 0; i < p->n_strategies; i++) {
		const struct policy_strategy *s = &p->strategies[i];

		if (!applies(x, s->jurisdictions, s->n_jurisdictions, s->currency))
			continue;
		/* The case keeps the strategy it is in while that still applies. */
		if (x->kase->strategy && strcmp(x->kase->strategy, s->name) == 0)
			return s;
		if (!first)
			first = s;
	}
	return first;
}

static long stage_index(const struct policy_strategy *s, const char *name)
{
	if (!s || !name)
		return -1;
	for (size_t i = 0; i < s->n_stages; i++)
		if (strcmp(s->stages[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* The stage of `s` that a rule "strategy/stage/..." names, or -1. */
static long stage_of_rule(const struct policy_strategy *s, const char *rule)
{
	size_t n;

	if (!s || !rule)
		return -1;
	n = strlen(s->name);
	if (strncmp(rule, s->name, n) != 0 || rule[n] != '/')
		return -1;
	rule += n + 1;
	for (size_t i = 0; i < s->n_stages; i++) {
		size_t m = strlen(s->stages[i].name);

		if (strncmp(rule, s->stages[i].name, m) == 0 && (rule[m] == '/' || rule[m] == '\0'))
			return (long)i;
	}
	return -1;
}

static struct engine_decision *push(struct ctx *x, enum engine_decision_kind kind, int64_t not_before,
				    const char *reason)
{
	struct engine_decisions *d = x->out;
	struct engine_decision *e;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct engine_decision *v;

		if (cap > ENGINE_MAX_DECISIONS)
			return NULL;
		v = realloc(d->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		d->v = v;
		d->cap = cap;
	}
	e = &d->v[d->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->policy_version = x->in->policy_version;
	e->not_before = not_before;
	e->reason = reason;
	return e;
}

/* snprintf into a fixed field; a truncated rule or key would silently
 * merge two decisions under one key, so it is an error instead. */
#define FILL(field, ...) \
	(snprintf((field), sizeof(field), __VA_ARGS__) >= (int)sizeof(field) ? ENGINE_TOOLONG : ENGINE_OK)

/*
 * Key: ACCOUNT|vVERSION|RULE|EPISODE|OCCURRENCE. The episode tells apart
 * two passages through the same rule: the instant the stage was entered
 * for stage actions (a customer who pays, leaves and falls behind again
 * gets the reminder again), "once" for a campaign (one notice per account
 * per campaign, ever), the instant of the suspension for a restore.
 */
static int set_key(const struct ctx *x, struct engine_decision *e, const char *episode, const char *occurrence)
{
	return FILL(e->key, "%s|v%" PRId64 "|%s|%s|%s", x->acct->account_id, x->in->policy_version, e->rule,
		    episode, occurrence);
}

static int set_key_n(const struct ctx *x, struct engine_decision *e, int64_t episode, int occurrence)
{
	char ep[24], occ[16];

	snprintf(ep, sizeof(ep), "%" PRId64, episode);
	snprintf(occ, sizeof(occ), "%d", occurrence);
	return set_key(x, e, ep, occ);
}

/* The ids of the services a suspend action names ("all" or kinds). The
 * ids array was sized for the worst case before any decision was made,
 * so it never moves and decisions may point into it. */
static void suspend_targets(struct ctx *x, const struct policy_action *a, struct engine_decision *e)
{
	struct engine_decisions *d = x->out;
	int all = str_in(a->services, a->n_services, "all");

	e->service_ids = d->ids ? d->ids + d->n_ids : NULL;
	e->n_service_ids = 0;
	for (size_t i = 0; i < x->acct->n_services; i++) {
		const struct engine_service *s = &x->acct->services[i];

		if (!all && !str_in(a->services, a->n_services, s->kind))
			continue;
		assert(d->n_ids < d->cap_ids);
		d->ids[d->n_ids++] = s->id;
		e->n_service_ids++;
	}
	e->level = a->level;
}

static int emit_action(struct ctx *x, const struct policy_strategy *s, const struct policy_stage *st,
		       const struct policy_campaign *c, const char *list, const struct policy_action *a,
		       size_t index, int64_t episode, int occurrence, int64_t not_before, const char *reason)
{
	struct engine_decision *e;
	int rc;

	/* A suspension of nothing (no service of those kinds) is no action. */
	if (a->kind == POLICY_ACT_SUSPEND) {
		int any = 0;

		for (size_t i = 0; i < x->acct->n_services && !any; i++)
			any = str_in(a->services, a->n_services, "all") ||
			      str_in(a->services, a->n_services, x->acct->services[i].kind);
		if (!any)
			return ENGINE_OK;
	}
	e = push(x, ENGINE_ACTION, not_before, reason);
	if (!e)
		return ENGINE_NOMEM;
	e->strategy = s;
	e->stage = st;
	e->campaign = c;
	e->action = a;
	e->action_index = index;
	e->occurrence = occurrence;
	if (c) {
		rc = FILL(e->rule, "campaign/%s/%s#%zu", c->name, list, index + 1);
		if (rc == ENGINE_OK) {
			/* Campaign keys have no episode: one per account per campaign. */
			char occ[16];

			snprintf(occ, sizeof(occ), "%d", occurrence);
			rc = set_key(x, e, "once", occ);
		}
	} else {
		rc = FILL(e->rule, "%s/%s/action#%zu", s->name, st->name, index + 1);
		if (rc == ENGINE_OK)
			rc = set_key_n(x, e, episode, occurrence);
	}
	if (rc != ENGINE_OK)
		return rc;
	if (a->kind == POLICY_ACT_SUSPEND)
		suspend_targets(x, a, e);
	return ENGINE_OK;
}

/* The earliest stage holding a notice action, and that action's index. */
static const struct policy_stage *first_notice(const struct policy_strategy *s, size_t *index)
{
	for (size_t i = 0; i < s->n_stages; i++)
		for (size_t k = 0; k < s->stages[i].n_actions; k++)
			if (s->stages[i].actions[k].notice) {
				*index = k;
				return &s->stages[i];
			}
	return NULL;
}

/*
 * The actions of stage `st` still to come in the episode that began at
 * `entered`: for each, its next occurrence (or none once `times` are done),
 * due on entry for the first and `every_days` after the last for the next.
 * The next occurrence is decided even when it is due later: the outbox
 * holds it with its instant, and the customer file shows it as pending.
 *
 * No suspension without a notice: a suspend action waits while no formal
 * notice was given, and the notice action of the earliest stage that has
 * one is decided instead (unless this stage gives one itself). The policy
 * check makes this rare (a suspending stage must need the notice), but a
 * policy without notice days may still skip the stage that gives it.
 */
static int emit_stage(struct ctx *x, const struct policy_strategy *s, const struct policy_stage *st,
		      int64_t entered, int fresh)
{
	int held = 0, own_notice = 0, rc;

	for (size_t i = 0; i < st->n_actions; i++) {
		const struct policy_action *a = &st->actions[i];
		int times = a->every_days > 0 ? a->times : 1;
		int done = 0;
		int64_t last = ENGINE_NEVER, due;

		if (!fresh && i < x->kase->n_actions) {
			done = x->kase->actions[i].done;
			last = x->kase->actions[i].last_at;
		}
		assert(done >= 0);
		if (a->notice)
			own_notice = 1;
		if (done >= times)
			continue;
		if (a->kind == POLICY_ACT_SUSPEND && !x->notice_given) {
			held = 1;
			continue;
		}
		/* The suspension clock stops while a dispute is open where the
		 * jurisdiction says so; it runs again once it is resolved. */
		if (a->kind == POLICY_ACT_SUSPEND && x->j->disputes_freeze_clocks &&
		    x->acct->disputed > 0)
			continue;
		if (done == 0 || last == ENGINE_NEVER) {
			due = entered;
		} else {
			int64_t step = (int64_t)a->every_days * DAY_SECONDS;

			if (last > INT64_MAX - step)
				return ENGINE_OVERFLOW;
			due = last + step;
		}
		rc = emit_action(x, s, st, NULL, NULL, a, i, entered, done + 1, due,
				 done == 0 ? "stage entered" : "repeated");
		if (rc != ENGINE_OK)
			return rc;
	}
	if (held && !own_notice) {
		size_t k;
		const struct policy_stage *ns = first_notice(s, &k);

		if (ns && ns != st) {
			rc = emit_action(x, s, ns, NULL, NULL, &ns->actions[k], k, entered, 1, entered,
					 "notice required before suspension");
			if (rc != ENGINE_OK)
				return rc;
		}
	}
	return ENGINE_OK;
}

static int emit_restore(struct ctx *x, const struct engine_suspension *su, const char *base, const char *reason)
{
	struct engine_decisions *d = x->out;
	struct engine_decision *e = push(x, ENGINE_RESTORE, x->in->now, reason);
	int rc;

	if (!e)
		return ENGINE_NOMEM;
	rc = FILL(e->rule, "%s/restore", su->rule ? su->rule : base);
	if (rc == ENGINE_OK) {
		char ep[24];

		snprintf(ep, sizeof(ep), "%" PRId64, su->since);
		/* Restore keys name the service: one restore per suspension. */
		rc = FILL(e->key, "%s|v%" PRId64 "|restore|%s|%s", x->acct->account_id, x->in->policy_version,
			  su->service_id, ep);
	}
	if (rc != ENGINE_OK)
		return rc;
	assert(d->n_ids < d->cap_ids);
	d->ids[d->n_ids] = su->service_id;
	e->service_ids = d->ids + d->n_ids++;
	e->n_service_ids = 1;
	e->level = su->level;
	return ENGINE_OK;
}

/* LEAVE_CASE's rule: the stage left, else the campaign whose suspension
 * ends (its rule "campaign/NAME/..." cut to "campaign/NAME"). */
static int leave_rule(const struct ctx *x, char *buf, size_t len)
{
	const struct engine_case *k = x->kase;
	int n;

	if (k->stage)
		n = snprintf(buf, len, "%s/%s", k->strategy ? k->strategy : "", k->stage);
	else if (k->n_suspended && k->suspended[0].rule && strncmp(k->suspended[0].rule, "campaign/", 9) == 0) {
		const char *r = k->suspended[0].rule;
		const char *slash = strchr(r + 9, '/');
		int m = slash ? (int)(slash - r) : (int)strlen(r);

		n = snprintf(buf, len, "%.*s", m, r);
	} else
		n = snprintf(buf, len, "paid");
	return n >= (int)len ? ENGINE_TOOLONG : ENGINE_OK;
}

static int emit_leave(struct ctx *x, const struct policy_strategy *s, long cur, const char *reason)
{
	struct engine_decision *e = push(x, ENGINE_LEAVE_CASE, x->in->now, reason);
	char ep[24];
	int rc;

	if (!e)
		return ENGINE_NOMEM;
	e->strategy = s;
	e->stage = cur >= 0 ? &s->stages[cur] : NULL;
	rc = leave_rule(x, e->rule, sizeof(e->rule));
	if (rc != ENGINE_OK)
		return rc;
	/* Stable across cycles until the store records the leave: the
	 * stage's entry, else the first suspension's instant. */
	snprintf(ep, sizeof(ep), "%" PRId64,
		 x->kase->stage ? x->kase->stage_entered_at :
		 x->kase->n_suspended ? x->kase->suspended[0].since : x->in->now);
	return set_key(x, e, ep, "leave");
}

/*
 * The strategy's part: leave, enter or stay, then the stage's actions.
 * `target` is the last stage, in order, whose condition holds: the
 * furthest escalation the facts justify, reached in one step (a debt
 * found 40 days late goes straight where 40 days late belongs rather than
 * replaying every reminder). The stage follows the facts both ways: a
 * partial payment that makes only an earlier stage hold moves the case back
 * to it, and suspensions made by the later stages are lifted.
 */
static int decide_strategy(struct ctx *x)
{
	const struct engine_case *k = x->kase;
	const struct policy_strategy *s = find_strategy(x);
	long cur = -1, target = -1;
	int rc;

	if (s && k->strategy && strcmp(k->strategy, s->name) == 0)
		cur = stage_index(s, k->stage);
	if (s && !x->settled)
		for (size_t i = 0; i < s->n_stages; i++)
			if (cond_holds(x, &s->stages[i].when))
				target = (long)i;

	if (x->settled) {
		/* SPEC: a customer who pays is taken out at once and restored,
		 * whatever suspended the services. */
		if (k->stage || k->n_suspended) {
			rc = emit_leave(x, s, cur, "paid");
			if (rc != ENGINE_OK)
				return rc;
		}
		for (size_t i = 0; i < k->n_suspended; i++) {
			rc = emit_restore(x, &k->suspended[i], "paid", "paid");
			if (rc != ENGINE_OK)
				return rc;
		}
		return ENGINE_OK;
	}

	if (target < 0) {
		/* Still owing, but below every stage (90 UAH where calls start
		 * above 100): the ladder lets go; only its own suspensions end. */
		if (k->stage) {
			rc = emit_leave(x, s, cur, "no stage applies");
			if (rc != ENGINE_OK)
				return rc;
		}
		for (size_t i = 0; i < k->n_suspended; i++)
			if (stage_of_rule(s, k->suspended[i].rule) >= 0) {
				rc = emit_restore(x, &k->suspended[i], "stage", "no stage applies");
				if (rc != ENGINE_OK)
					return rc;
			}
		return ENGINE_OK;
	}

	if (target != cur) {
		const struct policy_stage *st = &s->stages[target];
		struct engine_decision *e;

		if (cur > target)
			for (size_t i = 0; i < k->n_suspended; i++)
				if (stage_of_rule(s, k->suspended[i].rule) > target) {
					rc = emit_restore(x, &k->suspended[i], "stage", "back to an earlier stage");
					if (rc != ENGINE_OK)
						return rc;
				}
		e = push(x, ENGINE_ENTER_STAGE, x->in->now, "condition holds");
		if (!e)
			return ENGINE_NOMEM;
		/* Reminders of the stages passed over are not replayed, but a
		 * suspension is a state the later stages stand on: theirs come
		 * along (after the notice, and not while a dispute freezes the
		 * clock, as in the stage itself). */
		for (long i = cur + 1; i < target; i++) {
			const struct policy_stage *skipped = &s->stages[i];

			if (!cond_holds(x, &skipped->when) || !x->notice_given ||
			    (x->j->disputes_freeze_clocks && x->acct->disputed > 0))
				continue;
			for (size_t a = 0; a < skipped->n_actions; a++)
				if (skipped->actions[a].kind == POLICY_ACT_SUSPEND &&
				    (rc = emit_action(x, s, skipped, NULL, NULL, &skipped->actions[a], a,
						      x->in->now, 1, x->in->now,
						      "suspension of a stage passed over")) != ENGINE_OK)
					return rc;
		}
		e->strategy = s;
		e->stage = st;
		rc = FILL(e->rule, "%s/%s", s->name, st->name);
		if (rc == ENGINE_OK) {
			char ep[24];

			snprintf(ep, sizeof(ep), "%" PRId64, x->in->now);
			rc = set_key(x, e, ep, "enter");
		}
		if (rc != ENGINE_OK)
			return rc;
		return emit_stage(x, s, st, x->in->now, 1);
	}
	if (k->stage_entered_at == ENGINE_NEVER)
		return ENGINE_OVERFLOW;
	return emit_stage(x, s, &s->stages[cur], k->stage_entered_at, 0);
}

static const struct engine_campaign_state *campaign_state(const struct ctx *x, const char *name)
{
	for (size_t i = 0; i < x->kase->n_campaigns; i++)
		if (x->kase->campaigns[i].name && strcmp(x->kase->campaigns[i].name, name) == 0)
			return &x->kase->campaigns[i];
	return NULL;
}

/*
 * A campaign's lifecycle for one account (docs/engine.md):
 *   from send_on to the deadline, local dates: the notice, once, if the
 *     audience holds on that day's facts;
 *   after the deadline: the after-deadline actions, once, for an account
 *     that was notified, still matches the audience and has not paid.
 * Both are only decided from their local day on, so T is already past
 * that day's local midnight and is their not_before: no zone needed here.
 * An account never notified is never suspended by the campaign.
 */
static int decide_campaign(struct ctx *x, const struct policy_campaign *c)
{
	const struct engine_campaign_state *cs = campaign_state(x, c->name);
	int notified = cs && cs->notified_at != ENGINE_NEVER;
	int32_t today = x->in->today;
	int rc;

	if (!notified) {
		if ((c->has_send_on && today < c->send_on) || today > c->deadline)
			return ENGINE_OK;
		if (!cond_holds(x, &c->audience))
			return ENGINE_OK;
		for (size_t i = 0; i < c->n_notice; i++) {
			rc = emit_action(x, NULL, NULL, c, "notice", &c->notice[i], i, 0, 1, x->in->now,
					 "campaign notice");
			if (rc != ENGINE_OK)
				return rc;
		}
		return ENGINE_OK;
	}
	if (today <= c->deadline || cs->after_deadline_done || x->settled)
		return ENGINE_OK;
	if (!cond_holds(x, &c->audience))
		return ENGINE_OK;
	for (size_t i = 0; i < c->n_after_deadline; i++) {
		rc = emit_action(x, NULL, NULL, c, "after_deadline", &c->after_deadline[i], i, 0, 1, x->in->now,
				 "campaign deadline passed");
		if (rc != ENGINE_OK)
			return rc;
	}
	return ENGINE_OK;
}

/* The most service ids any call can hand out: every suspend action of the
 * policy on every service, plus one per restore. */
static size_t ids_bound(const struct ctx *x)
{
	const struct policy *p = x->in->policy;
	size_t n = 0;

	for (size_t i = 0; i < p->n_strategies; i++)
		for (size_t j = 0; j < p->strategies[i].n_stages; j++)
			for (size_t k = 0; k < p->strategies[i].stages[j].n_actions; k++)
				n += p->strategies[i].stages[j].actions[k].kind == POLICY_ACT_SUSPEND;
	for (size_t i = 0; i < p->n_campaigns; i++) {
		for (size_t k = 0; k < p->campaigns[i].n_notice; k++)
			n += p->campaigns[i].notice[k].kind == POLICY_ACT_SUSPEND;
		for (size_t k = 0; k < p->campaigns[i].n_after_deadline; k++)
			n += p->campaigns[i].after_deadline[k].kind == POLICY_ACT_SUSPEND;
	}
	if (x->acct->n_services && n > (ENGINE_MAX_SERVICE_IDS - x->kase->n_suspended) / x->acct->n_services)
		return SIZE_MAX;
	return n * x->acct->n_services + x->kase->n_suspended;
}

int engine_decide(const struct engine_input *in, struct engine_decisions *out)
{
	const struct position *pos;
	struct ctx x = { 0 };
	size_t bound;
	int rc = ENGINE_OK;

	assert(in && in->policy && in->account && in->account->account_id && in->account->position);
	assert(in->account->jurisdiction);
	assert(out);
	pos = in->account->position;
	/* Money invariants of a position (position.h): nothing overdue
	 * means no days past due and the reverse; what is overdue is owed,
	 * so never more than a positive balance. */
	assert(pos->overdue >= 0);
	assert(pos->days_past_due >= 0);
	assert((pos->overdue > 0) == (pos->days_past_due > 0));
	assert(pos->overdue <= (pos->balance > 0 ? pos->balance : 0));
	assert(in->account->disputed >= 0);

	memset(out, 0, sizeof(*out));
	x.in = in;
	x.acct = in->account;
	x.kase = in->kase ? in->kase : &no_case;
	x.out = out;
	x.j = policy_jurisdiction(in->policy, x.acct->jurisdiction);
	if (!x.j)
		return ENGINE_JURISDICTION;

	/* Collectible: an amount under dispute is reported apart and no step
	 * acts on it where the jurisdiction freezes clocks. Days past due
	 * stay those of the oldest unpaid invoice (the position does not say
	 * which invoice is disputed) unless nothing collectible is overdue. */
	x.overdue = pos->overdue;
	x.balance = pos->balance;
	if (x.acct->disputed > 0) {
		x.overdue = pos->overdue > x.acct->disputed ? pos->overdue - x.acct->disputed : 0;
		x.balance = pos->balance - x.acct->disputed;
	}
	/* A promise pauses the ladder for what it covers: all of it when it
	 * covers everything collectible (waiting is not being paid, so the
	 * case neither leaves nor restores), else the rest is collected. */
	x.paused = x.acct->paused;
	if (x.acct->promised > 0 && x.overdue > 0) {
		if (x.acct->promised >= x.overdue) {
			x.paused = 1;
		} else {
			x.overdue -= x.acct->promised;
			x.balance -= x.acct->promised;
		}
	}
	x.days_past_due = x.overdue > 0 ? pos->days_past_due : 0;
	x.settled = x.balance <= 0 || x.overdue <= 0;
	x.notice_given = x.kase->notice_at != ENGINE_NEVER;
	/* Whole days elapsed, as compliance counts the notice delay
	 * (notice instant + days * 86 400 s), so both agree on the day. */
	x.days_since_notice = x.notice_given && in->now > x.kase->notice_at ?
		(in->now - x.kase->notice_at) / DAY_SECONDS : 0;

	bound = ids_bound(&x);
	if (bound == SIZE_MAX || bound > ENGINE_MAX_SERVICE_IDS)
		return ENGINE_NOMEM;
	if (bound) {
		out->ids = calloc(bound, sizeof(*out->ids));
		if (!out->ids)
			return ENGINE_NOMEM;
		out->cap_ids = bound;
	}

	if (x.paused) {
		/* Held by an arrangement: nothing moves, except suspensions a
		 * plan's first payment lifts. */
		for (size_t i = 0; x.acct->restore && rc == ENGINE_OK && i < x.kase->n_suspended; i++)
			rc = emit_restore(&x, &x.kase->suspended[i], "arrangement",
					  "first payment of the plan received");
		if (rc != ENGINE_OK)
			engine_decisions_release(out);
		return rc;
	}
	rc = decide_strategy(&x);
	for (size_t i = 0; rc == ENGINE_OK && i < in->policy->n_campaigns; i++) {
		const struct policy_campaign *c = &in->policy->campaigns[i];

		if (applies(&x, c->jurisdictions, c->n_jurisdictions, c->currency))
			rc = decide_campaign(&x, c);
	}
	if (rc != ENGINE_OK)
		engine_decisions_release(out);
	return rc;
}

void engine_decisions_release(struct engine_decisions *d)
{
	free(d->v);
	free(d->ids);
	memset(d, 0, sizeof(*d));
}

const char *engine_decision_kind_name(enum engine_decision_kind k)
{
	switch (k) {
	case ENGINE_ENTER_STAGE: return "enter_stage";
	case ENGINE_LEAVE_CASE: return "leave_case";
	case ENGINE_RESTORE: return "restore";
	case ENGINE_ACTION: return "action";
	}
	return "?";
}

const char *engine_action_kind_name(enum policy_action_kind k)
{
	switch (k) {
	case POLICY_ACT_SMS: return "sms";
	case POLICY_ACT_EMAIL: return "email";
	case POLICY_ACT_VOICE: return "voice";
	case POLICY_ACT_PORTAL: return "portal";
	case POLICY_ACT_QUEUE: return "queue";
	case POLICY_ACT_SUSPEND: return "suspend";
	case POLICY_ACT_HANDOFF: return "handoff";
	}
	return "?";
}
