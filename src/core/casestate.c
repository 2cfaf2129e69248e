/*
 * casestate — see casestate.h. JSON through jansson; every array is small
 * (a stage's actions, an account's services and campaigns), so updates are
 * linear searches and reallocations by one.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "casestate.h"

void case_state_init(struct case_state *s)
{
	memset(s, 0, sizeof(*s));
	s->stage_entered_at = ENGINE_NEVER;
	s->notice_at = ENGINE_NEVER;
}

static void clear_stage(struct case_state *s)
{
	free(s->strategy);
	free(s->stage);
	free(s->actions);
	s->strategy = s->stage = NULL;
	s->actions = NULL;
	s->n_actions = 0;
	s->stage_entered_at = ENGINE_NEVER;
}

void case_state_release(struct case_state *s)
{
	clear_stage(s);
	for (size_t i = 0; i < s->n_suspended; i++) {
		free((char *)s->suspended[i].service_id);
		free((char *)s->suspended[i].rule);
	}
	free(s->suspended);
	for (size_t i = 0; i < s->n_campaigns; i++)
		free((char *)s->campaigns[i].name);
	free(s->campaigns);
	case_state_init(s);
}

int case_state_empty(const struct case_state *s)
{
	return s->stage == NULL && s->n_suspended == 0 && s->n_campaigns == 0 &&
	       s->notice_at == ENGINE_NEVER && s->broken_promises == 0;
}

void case_state_view(const struct case_state *s, struct engine_case *out)
{
	memset(out, 0, sizeof(*out));
	out->strategy = s->strategy;
	out->stage = s->stage;
	out->stage_entered_at = s->stage_entered_at;
	out->actions = s->actions;
	out->n_actions = s->n_actions;
	out->notice_at = s->notice_at;
	out->suspended = s->suspended;
	out->n_suspended = s->n_suspended;
	out->broken_promises = s->broken_promises;
	out->campaigns = s->campaigns;
	out->n_campaigns = s->n_campaigns;
}

/* ---- encoding ------------------------------------------------------------- */

static int put_instant(json_t *o, const char *name, int64_t t)
{
	return t == ENGINE_NEVER ? 0 : json_object_set_new(o, name, json_integer(t));
}

char *case_state_encode(const struct case_state *s)
{
	json_t *o = json_object(), *a;
	char *text = NULL;
	int bad = o == NULL;

	if (!bad && s->stage != NULL) {
		bad |= json_object_set_new(o, "strategy", json_string(s->strategy ? s->strategy : ""));
		bad |= json_object_set_new(o, "stage", json_string(s->stage));
		bad |= put_instant(o, "entered", s->stage_entered_at);
		bad |= json_object_set_new(o, "actions", a = json_array());
		for (size_t i = 0; !bad && i < s->n_actions; i++) {
			json_t *e = json_object();

			bad |= e == NULL || json_array_append_new(a, e);
			bad |= json_object_set_new(e, "done", json_integer(s->actions[i].done));
			bad |= put_instant(e, "last", s->actions[i].last_at);
		}
	}
	if (!bad)
		bad |= put_instant(o, "notice", s->notice_at);
	if (!bad && s->n_suspended > 0) {
		bad |= json_object_set_new(o, "suspended", a = json_array());
		for (size_t i = 0; !bad && i < s->n_suspended; i++) {
			const struct engine_suspension *x = &s->suspended[i];
			json_t *e = json_object();

			bad |= e == NULL || json_array_append_new(a, e);
			bad |= json_object_set_new(e, "service", json_string(x->service_id));
			bad |= json_object_set_new(e, "level", json_string(policy_level_name(x->level)));
			bad |= put_instant(e, "since", x->since);
			if (x->rule != NULL)
				bad |= json_object_set_new(e, "rule", json_string(x->rule));
		}
	}
	if (!bad && s->broken_promises > 0)
		bad |= json_object_set_new(o, "broken_promises", json_integer(s->broken_promises));
	if (!bad && s->n_campaigns > 0) {
		bad |= json_object_set_new(o, "campaigns", a = json_array());
		for (size_t i = 0; !bad && i < s->n_campaigns; i++) {
			const struct engine_campaign_state *c = &s->campaigns[i];
			json_t *e = json_object();

			bad |= e == NULL || json_array_append_new(a, e);
			bad |= json_object_set_new(e, "name", json_string(c->name));
			bad |= put_instant(e, "notified", c->notified_at);
			if (c->after_deadline_done)
				bad |= json_object_set_new(e, "after_deadline", json_true());
		}
	}
	if (!bad)
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

/* ---- decoding --------------------------------------------------------------- */

static int get_instant(json_t *o, const char *name, int64_t *out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL) {
		*out = ENGINE_NEVER;
		return 0;
	}
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static char *dup_str(json_t *o, const char *name, int required, int *bad)
{
	json_t *v = json_object_get(o, name);
	char *s;

	if (v == NULL) {
		*bad |= required;
		return NULL;
	}
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	s = strdup(json_string_value(v));
	*bad |= s == NULL;
	return s;
}

int case_state_decode(const char *json, size_t len, struct case_state *s,
		      char *why, size_t whysize)
{
	json_error_t jerr;
	json_t *o, *a;
	int bad = 0;

	case_state_init(s);
	if (json == NULL || len == 0)
		return CASE_STATE_OK;
	o = json_loadb(json, len, 0, &jerr);
	if (o == NULL || !json_is_object(o)) {
		if (why)
			snprintf(why, whysize, "case state: %s", o ? "not an object" : jerr.text);
		json_decref(o);
		return CASE_STATE_SYNTAX;
	}
	if (json_object_get(o, "stage") != NULL) {
		s->strategy = dup_str(o, "strategy", 1, &bad);
		s->stage = dup_str(o, "stage", 1, &bad);
		bad |= get_instant(o, "entered", &s->stage_entered_at);
		a = json_object_get(o, "actions");
		if (json_is_array(a) && json_array_size(a) > 0) {
			s->n_actions = json_array_size(a);
			s->actions = calloc(s->n_actions, sizeof(*s->actions));
			bad |= s->actions == NULL;
			for (size_t i = 0; !bad && i < s->n_actions; i++) {
				json_t *e = json_array_get(a, i), *d = json_object_get(e, "done");

				bad |= !json_is_integer(d);
				s->actions[i].done = (int)json_integer_value(d);
				bad |= get_instant(e, "last", &s->actions[i].last_at);
			}
		}
	}
	bad |= get_instant(o, "notice", &s->notice_at);
	a = json_object_get(o, "suspended");
	if (!bad && json_is_array(a) && json_array_size(a) > 0) {
		s->suspended = calloc(json_array_size(a), sizeof(*s->suspended));
		bad |= s->suspended == NULL;
		for (size_t i = 0; !bad && i < json_array_size(a); i++) {
			json_t *e = json_array_get(a, i);
			struct engine_suspension *x = &s->suspended[i];
			json_t *level = json_object_get(e, "level");

			s->n_suspended++;
			x->service_id = dup_str(e, "service", 1, &bad);
			x->rule = dup_str(e, "rule", 0, &bad);
			x->level = POLICY_THROTTLE;
			if (json_is_string(level) && policy_level_parse(json_string_value(level)) >= 0)
				x->level = (enum policy_suspend_level)
					   policy_level_parse(json_string_value(level));
			bad |= get_instant(e, "since", &x->since);
		}
	}
	if (json_object_get(o, "broken_promises") != NULL)
		s->broken_promises = (int)json_integer_value(json_object_get(o, "broken_promises"));
	a = json_object_get(o, "campaigns");
	if (!bad && json_is_array(a) && json_array_size(a) > 0) {
		s->campaigns = calloc(json_array_size(a), sizeof(*s->campaigns));
		bad |= s->campaigns == NULL;
		for (size_t i = 0; !bad && i < json_array_size(a); i++) {
			json_t *e = json_array_get(a, i);
			struct engine_campaign_state *c = &s->campaigns[i];

			s->n_campaigns++;
			c->name = dup_str(e, "name", 1, &bad);
			bad |= get_instant(e, "notified", &c->notified_at);
			c->after_deadline_done = json_is_true(json_object_get(e, "after_deadline"));
		}
	}
	json_decref(o);
	if (bad) {
		if (why)
			snprintf(why, whysize, "case state: a member is missing or of the wrong type");
		case_state_release(s);
		return CASE_STATE_SYNTAX;
	}
	return CASE_STATE_OK;
}

/* ---- applying decisions --------------------------------------------------------- */

static struct engine_campaign_state *campaign_of(struct case_state *s, const char *name)
{
	struct engine_campaign_state *c;
	char *copy;

	for (size_t i = 0; i < s->n_campaigns; i++)
		if (strcmp(s->campaigns[i].name, name) == 0)
			return &s->campaigns[i];
	c = realloc(s->campaigns, (s->n_campaigns + 1) * sizeof(*c));
	if (c == NULL)
		return NULL;
	s->campaigns = c;
	if ((copy = strdup(name)) == NULL)
		return NULL;
	c = &s->campaigns[s->n_campaigns++];
	c->name = copy;
	c->notified_at = ENGINE_NEVER;
	c->after_deadline_done = 0;
	return c;
}

static int add_suspension(struct case_state *s, const char *service_id,
			  enum policy_suspend_level level, int64_t at, const char *rule)
{
	struct engine_suspension *x;

	for (size_t i = 0; i < s->n_suspended; i++) {
		if (strcmp(s->suspended[i].service_id, service_id) == 0) {
			/* Already suspended: a deeper level replaces a shallower one. */
			if (level > s->suspended[i].level)
				s->suspended[i].level = level;
			return CASE_STATE_OK;
		}
	}
	x = realloc(s->suspended, (s->n_suspended + 1) * sizeof(*x));
	if (x == NULL)
		return CASE_STATE_NOMEM;
	s->suspended = x;
	x = &s->suspended[s->n_suspended];
	x->service_id = strdup(service_id);
	x->rule = strdup(rule);
	x->level = level;
	x->since = at;
	if (x->service_id == NULL || x->rule == NULL) {
		free((char *)x->service_id);
		free((char *)x->rule);
		return CASE_STATE_NOMEM;
	}
	s->n_suspended++;
	return CASE_STATE_OK;
}

static void remove_suspension(struct case_state *s, const char *service_id)
{
	for (size_t i = 0; i < s->n_suspended; i++) {
		if (strcmp(s->suspended[i].service_id, service_id) != 0)
			continue;
		free((char *)s->suspended[i].service_id);
		free((char *)s->suspended[i].rule);
		s->suspended[i] = s->suspended[--s->n_suspended];
		return;
	}
}

int case_state_apply(struct case_state *s, const struct engine_decision *d, int64_t at)
{
	switch (d->kind) {
	case ENGINE_ENTER_STAGE:
		clear_stage(s);
		s->strategy = strdup(d->strategy ? d->strategy->name : "");
		s->stage = strdup(d->stage->name);
		s->stage_entered_at = d->not_before;
		s->n_actions = d->stage->n_actions;
		s->actions = s->n_actions ? calloc(s->n_actions, sizeof(*s->actions)) : NULL;
		if (s->strategy == NULL || s->stage == NULL || (s->n_actions && s->actions == NULL))
			return CASE_STATE_NOMEM;
		for (size_t i = 0; i < s->n_actions; i++)
			s->actions[i].last_at = ENGINE_NEVER;
		return CASE_STATE_OK;
	case ENGINE_LEAVE_CASE:
		clear_stage(s);
		s->notice_at = ENGINE_NEVER;
		return CASE_STATE_OK;
	case ENGINE_RESTORE:
		for (size_t i = 0; i < d->n_service_ids; i++)
			remove_suspension(s, d->service_ids[i]);
		return CASE_STATE_OK;
	case ENGINE_ACTION:
		break;
	}
	if (d->action->notice)
		s->notice_at = at;
	if (d->action->kind == POLICY_ACT_SUSPEND) {
		for (size_t i = 0; i < d->n_service_ids; i++) {
			int rc = add_suspension(s, d->service_ids[i], d->level, at, d->rule);

			if (rc != CASE_STATE_OK)
				return rc;
		}
	}
	if (d->campaign != NULL) {
		struct engine_campaign_state *c = campaign_of(s, d->campaign->name);
		const struct policy_campaign *pc = d->campaign;

		if (c == NULL)
			return CASE_STATE_NOMEM;
		if (d->action >= pc->notice && d->action < pc->notice + pc->n_notice) {
			if (c->notified_at == ENGINE_NEVER)
				c->notified_at = at;
		} else {
			c->after_deadline_done = 1;
		}
		return CASE_STATE_OK;
	}
	/* Counted on the stage it belongs to only: the notice of an earlier
	 * stage, or the suspension of a stage passed over, is not an action of
	 * the current one. */
	if (d->stage != NULL && d->action_index < s->n_actions && s->stage != NULL &&
	    strcmp(d->stage->name, s->stage) == 0) {
		s->actions[d->action_index].done++;
		s->actions[d->action_index].last_at = at;
	}
	return CASE_STATE_OK;
}
