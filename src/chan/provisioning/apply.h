/*
 * apply — one level applied to one service through the adapter the
 * services file names for it (docs/provisioning.md): the operations file's
 * provisioning.adapters opened once, then, per action, the webhook POSTed,
 * the GenieACS parameters of the level set and read back, or the RADIUS
 * request of the level sent to the NAS with the service's identifier in
 * the attribute `identify` names.
 *
 * What comes back says whether the peer CONFIRMED the level (a webhook's
 * 2xx stating it, the device's values read back, a CoA-ACK or
 * Disconnect-ACK), and otherwise why not, as a chan_status: FAILED may be
 * retried (down, slow, a device that did not answer yet), REFUSED may not
 * (an adapter without that level, a device unknown to the ACS, a NAK, a
 * receiver's error body), UNCERTAIN was sent without an answer.
 *
 * Used by the cycle (dispatch_prov.c) and by reconciliation
 * (`relance reconcile`), which re-applies what drifted and, for GenieACS,
 * first reads the device back.
 *
 * Ownership: struct prov_adapters borrows the configuration (cfg must
 * outlive it); secrets are copied by the adapters that keep them. One
 * prov_adapters is used by one thread at a time.
 */
#ifndef RELANCE_PROV_APPLY_H
#define RELANCE_PROV_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "../../core/config.h"
#include "../chan.h"

struct prov_adapters;

/* Opens every adapter of cfg->provisioning that talks to a peer. 0 with
 * *out set, or -1 with the adapter's name and the reason in err. */
int prov_adapters_open(const struct config *cfg, struct prov_adapters **out, char *err,
		       size_t errsize);
void prov_adapters_close(struct prov_adapters *pa);

/* The adapter called `name`, or NULL when the operations file has none. */
const struct config_prov *prov_adapter_config(const struct prov_adapters *pa, const char *name);

/* One service as the services file gives it. */
struct prov_service {
	const char *service_id, *account_id;
	const char *identifier;         /* MSISDN, CPE serial, RADIUS user name */
	const char *adapter;            /* a name under provisioning.adapters */
};

struct prov_result {
	struct chan_outcome out;        /* status and a one-line detail for the file */
	int confirmed;                  /* the peer confirmed the level */
	int queued;                     /* GenieACS: the task waits for the device */
};

/*
 * Applies `level` (CONFIG_LEVEL_*) to s, once, with `key` as the webhook's
 * idempotency key and `reason` in its body; `at` is the action's instant.
 * An adapter of type record never reaches here (the recording file is the
 * cycle's). Fills *res; returns 0, or -1 for bad arguments.
 */
int prov_apply(struct prov_adapters *pa, const struct prov_service *s, int level, const char *key,
	       const char *reason, int64_t at, struct prov_result *res);

/*
 * Whether s is at `level` now: GenieACS reads the device back (no task);
 * the webhook and RADIUS have no read-back, so the level is applied again
 * (idempotent at the peer: the same key, the same attributes) and the
 * answer tells. Same result as prov_apply.
 */
int prov_check(struct prov_adapters *pa, const struct prov_service *s, int level, const char *key,
	       const char *reason, int64_t at, struct prov_result *res);

#endif
