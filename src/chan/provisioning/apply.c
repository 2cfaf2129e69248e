/*
 * apply — see apply.h. One runtime per configured adapter, found by name;
 * each action maps the level to what the adapter sends.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "genieacs.h"
#include "radius.h"
#include "webhook.h"

struct prov_rt {
	const struct config_prov *cfg;
	struct webhook *wh;
	struct genieacs *acs;
	struct radius_target nas;
};

struct prov_adapters {
	struct prov_rt *v;
	size_t n;
};

static void set_out(struct prov_result *res, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_out(struct prov_result *res, int status, const char *fmt, ...)
{
	va_list ap;

	res->out.status = status;
	va_start(ap, fmt);
	vsnprintf(res->out.detail, sizeof(res->out.detail), fmt, ap);
	va_end(ap);
}

int prov_adapters_open(const struct config *cfg, struct prov_adapters **out, char *err,
		       size_t errsize)
{
	struct prov_adapters *pa = calloc(1, sizeof(*pa));
	char why[256];

	*out = NULL;
	if (pa == NULL || (pa->v = calloc(cfg->n_provisioning + 1, sizeof(*pa->v))) == NULL) {
		free(pa);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < cfg->n_provisioning; i++) {
		const struct config_prov *c = &cfg->provisioning[i];
		struct prov_rt *rt = &pa->v[pa->n++];
		int rc = 0;

		rt->cfg = c;
		why[0] = '\0';
		switch (c->type) {
		case CONFIG_PROV_WEBHOOK: {
			struct webhook_options o = { .url = c->url, .secret = c->secret,
						     .timeout_ms = (long)c->timeout_s * 1000,
						     .retries = c->retries > 0 ? c->retries : -1 };

			rc = webhook_open(&o, &rt->wh, why, sizeof(why));
			break;
		}
		case CONFIG_PROV_GENIEACS: {
			struct genieacs_options o = { .url = c->url, .username = c->username,
						      .password = c->password,
						      .timeout_ms = (long)c->timeout_s * 1000 };

			rc = genieacs_open(&o, &rt->acs, why, sizeof(why));
			break;
		}
		case CONFIG_PROV_RADIUS: {
			char target[300];

			snprintf(target, sizeof(target), "%s:%d", c->host, c->port);
			rc = radius_target_parse(target, &rt->nas, why, sizeof(why));
			break;
		}
		case CONFIG_PROV_RECORD:
			break;
		}
		if (rc != 0) {
			snprintf(err, errsize, "provisioning adapter '%s': %s", c->name, why);
			prov_adapters_close(pa);
			return -1;
		}
	}
	*out = pa;
	return 0;
}

void prov_adapters_close(struct prov_adapters *pa)
{
	if (pa == NULL)
		return;
	for (size_t i = 0; i < pa->n; i++) {
		webhook_close(pa->v[i].wh);
		genieacs_close(pa->v[i].acs);
	}
	free(pa->v);
	free(pa);
}

static struct prov_rt *rt_of(const struct prov_adapters *pa, const char *name)
{
	for (size_t i = 0; pa != NULL && name != NULL && i < pa->n; i++)
		if (strcmp(pa->v[i].cfg->name, name) == 0)
			return &pa->v[i];
	return NULL;
}

const struct config_prov *prov_adapter_config(const struct prov_adapters *pa, const char *name)
{
	const struct prov_rt *rt = rt_of(pa, name);

	return rt ? rt->cfg : NULL;
}

static void by_webhook(struct prov_rt *rt, const struct prov_service *s, int level, const char *key,
		       const char *reason, int64_t at, struct prov_result *res)
{
	struct webhook_request r = { s->service_id, s->identifier, s->account_id,
				     config_level_name(level), reason, key, at };
	struct webhook_result w;

	webhook_send(rt->wh, &r, &w);
	res->out = w.out;
	res->confirmed = (w.out.status == CHAN_DONE || w.out.status == CHAN_ALREADY) &&
			 strcmp(w.confirmed_level, config_level_name(level)) == 0;
	/* A 2xx that says it failed is the receiver's answer, not an outage:
	 * sending it again would get the same (docs/provisioning.md). */
	if (!res->confirmed && w.http_status >= 200 && w.http_status < 300)
		res->out.status = CHAN_REFUSED;
}

static void by_genieacs(struct prov_rt *rt, const struct prov_service *s, int level, int apply,
			struct prov_result *res)
{
	const struct config_prov_level *l = &rt->cfg->levels[level];
	struct genieacs_param p[GENIEACS_MAX_PARAMS];
	struct genieacs_result g;
	size_t n = 0;

	for (size_t i = 0; i < l->n_params && n < GENIEACS_MAX_PARAMS; i++)
		p[n++] = (struct genieacs_param){ l->params[i].name, l->params[i].value,
						  l->params[i].type };
	if (apply)
		genieacs_apply(rt->acs, s->identifier, p, n, &g);
	else
		genieacs_read_back(rt->acs, s->identifier, p, n, &g);
	res->out = g.out;
	res->confirmed = g.state == GENIEACS_CONFIRMED;
	res->queued = g.state == GENIEACS_QUEUED;
	/* Queued is not done: the device has not answered yet, and the
	 * level is confirmed only when it is read back. */
	if (res->queued)
		res->out.status = CHAN_FAILED;
}

static void by_radius(struct prov_rt *rt, const struct prov_service *s, int level,
		      struct prov_result *res)
{
	const struct config_prov_level *l = &rt->cfg->levels[level];
	struct radius_avp avps[RADIUS_MAX_ATTRS];
	struct radius_options o = { .timeout_ms = rt->cfg->timeout_s * 1000,
				    .tries = rt->cfg->tries, .event_time = (int64_t)time(NULL) };
	struct radius_result r;
	char text[600], why[200];
	size_t n = 0;

	snprintf(text, sizeof(text), "%s=%s", rt->cfg->identify, s->identifier);
	if (radius_avp_parse(text, &avps[n], why, sizeof(why)) != RADIUS_OK) {
		set_out(res, CHAN_REFUSED, "the service's identifier cannot be sent: %.100s", why);
		return;
	}
	n++;
	for (size_t i = 0; i < l->n_params && n < RADIUS_MAX_ATTRS; i++, n++) {
		snprintf(text, sizeof(text), "%s=%s", l->params[i].name, l->params[i].value);
		if (radius_avp_parse(text, &avps[n], why, sizeof(why)) != RADIUS_OK) {
			set_out(res, CHAN_REFUSED, "level attribute %.40s: %.100s", l->params[i].name, why);
			return;
		}
	}
	radius_send(&rt->nas, l->disconnect ? RADIUS_DISCONNECT_REQUEST : RADIUS_COA_REQUEST, avps,
		    n, (const uint8_t *)rt->cfg->secret, strlen(rt->cfg->secret), &o, &r);
	res->confirmed = r.outcome == RADIUS_ACK;
	switch (r.outcome) {
	case RADIUS_ACK:
		res->out.status = CHAN_DONE;
		snprintf(res->out.detail, sizeof(res->out.detail), "%s from the NAS",
			 radius_code_name(r.code));
		break;
	case RADIUS_NAK:
		res->out.status = CHAN_REFUSED;
		if (r.has_error_cause)
			snprintf(res->out.detail, sizeof(res->out.detail), "%s: Error-Cause %u %s",
				 radius_code_name(r.code), (unsigned)r.error_cause,
				 radius_error_cause_name(r.error_cause));
		else
			snprintf(res->out.detail, sizeof(res->out.detail), "%s",
				 radius_code_name(r.code));
		break;
	default:
		/* Replies came but none passed the authenticator check: the
		 * shared secret differs, which waiting will not mend. */
		res->out.status = r.discarded > 0 ? CHAN_REFUSED : CHAN_FAILED;
		snprintf(res->out.detail, sizeof(res->out.detail), "%s%.90s",
			 r.discarded > 0 ? "replies failed verification (is the shared secret "
			 "the NAS's?): " : "", r.reason);
		break;
	}
}

static int act(struct prov_adapters *pa, const struct prov_service *s, int level, const char *key,
	       const char *reason, int64_t at, int apply, struct prov_result *res)
{
	struct prov_rt *rt;

	memset(res, 0, sizeof(*res));
	if (s == NULL || s->service_id == NULL || level < 0 || level >= CONFIG_N_LEVELS ||
	    key == NULL)
		return -1;
	if ((rt = rt_of(pa, s->adapter)) == NULL) {
		set_out(res, CHAN_REFUSED, "adapter '%s' is not configured (provisioning.adapters)",
			s->adapter ? s->adapter : "");
		return 0;
	}
	if (rt->cfg->type != CONFIG_PROV_WEBHOOK && rt->cfg->type != CONFIG_PROV_RECORD &&
	    !rt->cfg->levels[level].given) {
		set_out(res, CHAN_REFUSED, "adapter '%s' has no level %s", rt->cfg->name,
			config_level_name(level));
		return 0;
	}
	if (s->identifier == NULL || s->identifier[0] == '\0') {
		set_out(res, CHAN_REFUSED, "service %s has no identifier", s->service_id);
		return 0;
	}
	switch (rt->cfg->type) {
	case CONFIG_PROV_WEBHOOK:
		by_webhook(rt, s, level, key, reason, at, res);
		break;
	case CONFIG_PROV_GENIEACS:
		by_genieacs(rt, s, level, apply, res);
		break;
	case CONFIG_PROV_RADIUS:
		by_radius(rt, s, level, res);
		break;
	case CONFIG_PROV_RECORD:
		return -1;
	}
	return 0;
}

int prov_apply(struct prov_adapters *pa, const struct prov_service *s, int level, const char *key,
	       const char *reason, int64_t at, struct prov_result *res)
{
	return act(pa, s, level, key, reason, at, 1, res);
}

int prov_check(struct prov_adapters *pa, const struct prov_service *s, int level, const char *key,
	       const char *reason, int64_t at, struct prov_result *res)
{
	return act(pa, s, level, key, reason, at, 0, res);
}
