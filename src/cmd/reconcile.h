/*
 * reconcile — the services whose network peer has not confirmed the level
 * relance wants, checked and applied again (reconcile.c, docs/provisioning.md
 * "Reconciliation"): `relance reconcile`, and `relance serve` after each
 * cycle.
 */
#ifndef RELANCE_RECONCILE_H
#define RELANCE_RECONCILE_H

#include <stdint.h>

#include "../store/store.h"
#include "cmd.h"

/* Tries that do not confirm before a service is alerted. */
#define RECONCILE_MAX_ATTEMPTS 5

struct prov_adapters;

struct reconcile_counts {
	int64_t checked, confirmed, drifting, alerted;
};

/* One pass over the services in drift, each in its own transaction (call
 * outside one); after_cycle leaves alone the services desired at ctx->now
 * or later (a cycle's own actions, tried a moment ago). Returns a store
 * code; *out counts what it did. */
int reconcile_run(struct cmd_ctx *ctx, struct store *store, struct prov_adapters *pa,
		  int after_cycle, struct reconcile_counts *out);

#endif
