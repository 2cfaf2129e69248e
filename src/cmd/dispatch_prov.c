/*
 * dispatch_prov — the cycle's suspensions and restorations through the
 * provisioning adapters (dispatch.h, docs/provisioning.md "In the cycle").
 *
 * Each row, one at a time: the service is read from the services file
 * (its identifier, its adapter); its desired level is recorded and the row
 * committed "sending" BEFORE the peer hears of it (a process killed then
 * leaves the desire, which reconciliation applies, and an uncertain row,
 * never performed twice by the cycle); the level is applied
 * (chan/provisioning/apply.h); and the outcome finishes the row, is written
 * on the customer file and updates the service's state, in one
 * transaction:
 *
 *   confirmed        done; the confirmed level recorded
 *   queued (ACS)     done: the task waits for the device; confirmed when
 *                    reconciliation reads it back
 *   failed           deferred (later, attempts counted), failed after
 *                    DISPATCH_MAX_ATTEMPTS: down, slow, no answer
 *   refused          failed, and a task on the agents' queue
 *                    "provisioning": no such adapter or level, a device
 *                    unknown to the ACS, a NAK, a receiver's error
 *   uncertain        uncertain: sent without an answer
 *
 * Every try that did not confirm counts in the service's state
 * (store_service_attempt), which reconciliation continues.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../chan/provisioning/apply.h"
#include "../core/policy.h"
#include "dispatch.h"
#include "dispatch_impl.h"
#include "reconcile.h"

/* A deferred provisioning row waits this long times its attempts. */
#define PROV_RETRY_SECONDS 60

/* The service of a row, copied out of store_services_scan. */
struct prov_found {
	const char *want;
	int found;
	char identifier[256], adapter[128], kind[64];
};

static int prov_found(void *ctx, const struct service_view *v)
{
	struct prov_found *f = ctx;

	if (strcmp(v->service_id, f->want) != 0)
		return 0;
	f->found = 1;
	snprintf(f->identifier, sizeof(f->identifier), "%s", v->identifier);
	snprintf(f->adapter, sizeof(f->adapter), "%s", v->adapter);
	snprintf(f->kind, sizeof(f->kind), "%s", v->kind);
	return 1;
}

/* The service row o acts on; 0 when the account has none of that id. */
static int service_of(struct dispatch *d, const struct outbox_view *o, json_t *payload,
		      struct prov_found *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	f->want = dispatch_json_str(payload, "service_id");
	if (f->want == NULL)
		return STORE_OK;
	rc = store_services_scan(d->store, o->account_key, prov_found, f);
	return rc == 1 ? STORE_OK : rc;
}

int dispatch_prov_takes(struct dispatch *d, const struct outbox_view *o, json_t *payload)
{
	struct prov_found f;
	const struct config_prov *c;

	if (d == NULL || d->prov == NULL || strcmp(o->channel, "provisioning") != 0)
		return 0;
	if (service_of(d, o, payload, &f) != STORE_OK || !f.found)
		return 1;  /* dispatch tells why it cannot be performed */
	c = prov_adapter_config(d->prov, f.adapter);
	return c == NULL || c->type != CONFIG_PROV_RECORD;
}

/* The level row o asks for: a restoration brings the service back to full. */
static int level_of(const struct outbox_view *o, json_t *payload)
{
	const char *name = dispatch_json_str(payload, "level");
	int l;

	if (strcmp(o->action, "restore") == 0)
		return CONFIG_LEVEL_FULL;
	if (name != NULL && (l = config_level_parse(name)) >= 0)
		return l;
	/* Rows decided before the graded levels said "partial". */
	if (name != NULL && (l = policy_level_parse(name)) >= 0)
		return CONFIG_LEVEL_OF(l);
	return -1;
}

/* The agents' task for a provisioning action that cannot be done as it
 * is: one per row. Inside the caller's transaction. */
static int prov_task(struct dispatch *d, const struct item *it, const char *what)
{
	char key[300], text[512];
	const char *customer = dispatch_json_str(it->payload, "customer_id");
	struct queue_task_new t = { customer, dispatch_json_str(it->payload, "account_id"),
				    it->o.account_key, "provisioning", text, "provisioning", 2, key,
				    it->o.rule, CMD_AUTHOR, it->o.policy_version, d->ctx->now };

	if (customer == NULL)
		return STORE_OK;
	snprintf(key, sizeof(key), "provisioning/%s", it->o.idempotency_key);
	snprintf(text, sizeof(text), "%s of service %s could not be done: %s; check the service "
		 "and its adapter", it->o.action, dispatch_json_str(it->payload, "service_id") ?
		 dispatch_json_str(it->payload, "service_id") : "?", what);
	return queue_task_put(d->store, &t);
}

/* Finishes the row as the result says, with the service's state, in one
 * transaction. */
static int prov_finish(struct dispatch *d, struct item *it, const char *service, int level,
		       const char *adapter, const struct prov_result *res)
{
	const char *state = "done";
	char what[400];
	int64_t due = 0, now = d->ctx->now;
	int rc, n;

	n = snprintf(what, sizeof(what), "%s through %s: ", config_level_name(level),
		     adapter[0] ? adapter : "no adapter");
	if (res->confirmed) {
		d->n.prov_confirmed++;
		snprintf(what + n, sizeof(what) - (size_t)n, "confirmed (%s)", res->out.detail);
	} else if (res->queued) {
		d->n.prov_queued++;
		snprintf(what + n, sizeof(what) - (size_t)n, "queued at the ACS until the device "
			 "answers (%s); confirmed when read back", res->out.detail);
	} else {
		switch (res->out.status) {
		case CHAN_UNCERTAIN:
			d->n.prov_uncertain++;
			state = "uncertain";
			snprintf(what + n, sizeof(what) - (size_t)n, "sent without an answer (%s): "
				 "reconciliation checks it", res->out.detail);
			break;
		case CHAN_REFUSED:
			d->n.prov_refused++;
			state = "failed";
			snprintf(what + n, sizeof(what) - (size_t)n, "refused: %s", res->out.detail);
			break;
		default:
			if (it->o.attempts >= DISPATCH_MAX_ATTEMPTS) {
				d->n.prov_refused++;
				state = "failed";
				snprintf(what + n, sizeof(what) - (size_t)n, "failed %lld times, the "
					 "last: %s", (long long)it->o.attempts, res->out.detail);
			} else {
				d->n.prov_retried++;
				state = "deferred";
				due = now + PROV_RETRY_SECONDS * (it->o.attempts > 0 ? it->o.attempts : 1);
				snprintf(what + n, sizeof(what) - (size_t)n, "not done (%s): tried "
					 "again later", res->out.detail);
			}
			break;
		}
	}
	if ((rc = store_begin(d->store)) != STORE_OK)
		return rc;
	rc = dispatch_outcome(d->store, d->worker, now, &it->o, it->payload, state, what, due);
	if (rc == STORE_OK && service != NULL && level >= 0) {
		if (res->confirmed)
			rc = store_service_confirm(d->store, service, config_level_name(level), now);
		else
			rc = store_service_attempt(d->store, service, res->out.detail, now, 0, NULL);
		/* A service that is not in the services file has no state. */
		if (rc == STORE_ERR_INPUT)
			rc = STORE_OK;
	}
	if (rc == STORE_OK && strcmp(state, "failed") == 0)
		rc = prov_task(d, it, res->out.detail);
	if (rc == STORE_OK)
		return store_commit(d->store);
	store_rollback(d->store);
	return rc;
}

static int prov_one(struct dispatch *d, struct item *it)
{
	struct prov_found f;
	struct prov_result res = { 0 };
	struct prov_service s;
	const char *service = dispatch_json_str(it->payload, "service_id");
	int level = level_of(&it->o, it->payload), rc;
	int64_t id = it->o.outbox_id;

	if ((rc = service_of(d, &it->o, it->payload, &f)) != STORE_OK)
		return rc;
	if (!f.found || level < 0) {
		res.out.status = CHAN_REFUSED;
		snprintf(res.out.detail, sizeof(res.out.detail), "%s",
			 !f.found ? "the service is not in the services file" :
			 "the row names no level");
		return prov_finish(d, it, NULL, level, f.adapter, &res);
	}
	/* The desire first, committed with "sending" before the peer hears
	 * of it: whatever happens next, reconciliation knows the level. */
	if ((rc = store_begin(d->store)) != STORE_OK)
		return rc;
	rc = store_service_desire(d->store, service, config_level_name(level), d->ctx->now,
				  it->o.idempotency_key);
	if (rc == STORE_OK)
		rc = store_commit(d->store);
	else
		store_rollback(d->store);
	if (rc != STORE_OK || (rc = store_outbox_sending(d->store, &id, 1, d->worker)) != STORE_OK)
		return rc;
	s = (struct prov_service){ service, dispatch_json_str(it->payload, "account_id"),
				   f.identifier, f.adapter };
	if (prov_apply(d->prov, &s, level, it->o.idempotency_key, it->o.rule, d->ctx->now,
		       &res) != 0) {
		res.out.status = CHAN_REFUSED;
		snprintf(res.out.detail, sizeof(res.out.detail), "the action cannot be sent");
	}
	return prov_finish(d, it, service, level, f.adapter, &res);
}

int dispatch_flush_prov(struct dispatch *d)
{
	int rc = STORE_OK;

	for (size_t i = 0; i < d->n_items && rc == STORE_OK; i++)
		if (strcmp(d->items[i].o.channel, "provisioning") == 0)
			rc = prov_one(d, &d->items[i]);
	return rc;
}

int dispatch_reconcile(struct dispatch *d)
{
	struct reconcile_counts n;
	int rc;

	if (d == NULL || d->prov == NULL)
		return STORE_OK;
	rc = reconcile_run(d->ctx, d->store, d->prov, 1, &n);
	d->n.rec_checked += n.checked;
	d->n.rec_confirmed += n.confirmed;
	d->n.rec_drifting += n.drifting;
	d->n.rec_alerted += n.alerted;
	return rc;
}
