/*
 * reconcile — `relance reconcile [--json]`, and what `relance serve` runs
 * after each cycle (docs/provisioning.md "Reconciliation").
 *
 * Every service whose confirmed level is not the desired one (or was never
 * confirmed), and that is not alerted, is checked again through its
 * adapter (chan/provisioning/apply.h, prov_check): GenieACS reads the
 * device back, and sets the level again when the values differ; the
 * webhook and RADIUS send the level again (the same idempotency key, the
 * same attributes: nothing is done twice at the peer). Confirmed: the
 * state and the customer file say so. Not confirmed: one more try counted
 * (store_service_attempt); at RECONCILE_MAX_ATTEMPTS the service is
 * alerted: an entry on the file, a task on the agents' queue
 * "provisioning", and the alerted count in /metrics; reconciliation leaves
 * it alone until a new level is desired.
 *
 * A device that was offline converges when it comes back: its queued task
 * runs, and the next read-back confirms it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../chan/provisioning/apply.h"
#include "../store/store.h"
#include "cmd.h"
#include "cmdconfig.h"
#include "reconcile.h"

struct rec_ctx {
	struct cmd_ctx *ctx;
	struct store *store;
	struct prov_adapters *pa;
	struct reconcile_counts *n;
	int after_cycle;
};

/* The file entry about service st (kind "provisioning"). */
static int note(struct rec_ctx *c, const struct store_service_state *st, const char *text)
{
	int64_t seq;

	return store_file_append(c->store, st->customer_id, st->account_id, c->ctx->now,
				 "provisioning", CMD_AUTHOR, text, &seq);
}

struct key_of { const char *account_id; int64_t key; };

static int key_of_account(void *arg, const struct customer_account *a)
{
	struct key_of *k = arg;

	if (strcmp(a->account_id, k->account_id) == 0)
		k->key = a->account_key;
	return 0;
}

static int alert(struct rec_ctx *c, const struct store_service_state *st, int tries,
		 const char *why)
{
	char text[600], key[300];
	struct queue_task_new t = { st->customer_id, st->account_id, 0, "provisioning", text,
				    "provisioning", 2, key, "provisioning/reconcile", CMD_AUTHOR, 0,
				    c->ctx->now };
	struct key_of k = { st->account_id, 0 };
	int rc;

	if ((rc = store_accounts_of_customer(c->store, st->customer_id, key_of_account, &k)) !=
	    STORE_OK)
		return rc;
	t.account_key = k.key;
	snprintf(text, sizeof(text), "provisioning alert: service %s is not confirmed at %s after "
		 "%d tries through %s (the last: %.200s); check the device or the network",
		 st->service_id, st->desired, tries, st->adapter, why);
	/* One task per desired level that could not be reached. */
	snprintf(key, sizeof(key), "provisioning-alert/%s/%s", st->service_id,
		 st->desired_key[0] ? st->desired_key : st->desired);
	return queue_task_put(c->store, &t);
}

static int reconcile_one(void *arg, const struct store_service_state *st)
{
	struct rec_ctx *c = arg;
	const struct config_prov *cfg = prov_adapter_config(c->pa, st->adapter);
	struct prov_service s = { st->service_id, st->account_id, st->identifier, st->adapter };
	struct prov_result res;
	int level = config_level_parse(st->desired), tries = 0, rc;
	char text[600];

	/* The recording adapter confirms when it records; the cycle tried
	 * its own actions a moment ago. */
	if ((cfg != NULL && cfg->type == CONFIG_PROV_RECORD) ||
	    (c->after_cycle && st->desired_at >= c->ctx->now))
		return 0;
	c->n->checked++;
	if (prov_check(c->pa, &s, level, st->desired_key[0] ? st->desired_key : st->service_id,
		       "reconciliation", c->ctx->now, &res) != 0) {
		res.out.status = CHAN_REFUSED;
		snprintf(res.out.detail, sizeof(res.out.detail), "the level cannot be applied");
	}
	/* A device whose values differ gets the level set again. */
	if (!res.confirmed && cfg != NULL && cfg->type == CONFIG_PROV_GENIEACS &&
	    res.out.status == CHAN_FAILED && !res.queued)
		prov_apply(c->pa, &s, level, st->desired_key, "reconciliation", c->ctx->now, &res);
	if ((rc = store_begin(c->store)) != STORE_OK)
		return rc;
	if (res.confirmed) {
		c->n->confirmed++;
		rc = store_service_confirm(c->store, st->service_id, st->desired, c->ctx->now);
		snprintf(text, sizeof(text), "provisioning: service %s confirmed at %s through %s by "
			 "reconciliation (%.200s)", st->service_id, st->desired, st->adapter,
			 res.out.detail);
		if (rc == STORE_OK)
			rc = note(c, st, text);
	} else {
		rc = store_service_attempt(c->store, st->service_id, res.out.detail, c->ctx->now,
					   st->attempts + 1 >= RECONCILE_MAX_ATTEMPTS, &tries);
		if (rc == STORE_OK && tries >= RECONCILE_MAX_ATTEMPTS) {
			c->n->alerted++;
			rc = alert(c, st, tries, res.out.detail);
		} else {
			c->n->drifting++;
		}
	}
	if (rc == STORE_OK)
		rc = store_commit(c->store);
	else
		store_rollback(c->store);
	return rc;
}

int reconcile_run(struct cmd_ctx *ctx, struct store *store, struct prov_adapters *pa,
		  int after_cycle, struct reconcile_counts *out)
{
	struct rec_ctx c = { ctx, store, pa, out, after_cycle };

	memset(out, 0, sizeof(*out));
	return store_service_states_scan(store, 0, reconcile_one, &c);
}

int cmd_reconcile(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct config cfg;
	struct store *store = NULL;
	struct prov_adapters *pa = NULL;
	struct reconcile_counts n;
	char err[512];
	int json = 0, status, rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0)
			return cmd_fail(EXIT_USAGE, "reconcile: unknown argument '%s'", argv[i]);
		json = 1;
	}
	config_init(&cfg);
	if ((status = cmd_config_load(ctx, &cfg)) != 0)
		goto out;
	if (prov_adapters_open(&cfg, &pa, err, sizeof(err)) != 0) {
		status = cmd_fail(EXIT_RUNTIME, "%s: %s", cfg.path ? cfg.path : "configuration", err);
		goto out;
	}
	if ((status = cmd_open_store(ctx, &store)) != 0)
		goto out;
	if ((rc = reconcile_run(ctx, store, pa, 0, &n)) != STORE_OK) {
		status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(store));
		goto out;
	}
	if (json)
		printf("{\"checked\":%lld,\"confirmed\":%lld,\"drifting\":%lld,\"alerted\":%lld}\n",
		       (long long)n.checked, (long long)n.confirmed, (long long)n.drifting,
		       (long long)n.alerted);
	else
		printf("services checked %lld: confirmed %lld, still drifting %lld, alerted %lld\n",
		       (long long)n.checked, (long long)n.confirmed, (long long)n.drifting,
		       (long long)n.alerted);
out:
	if (store != NULL)
		store_close(store);
	prov_adapters_close(pa);
	config_release(&cfg);
	return status;
}
