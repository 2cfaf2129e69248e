/*
 * postpone — postponed due dates (docs/arrangements.md "Postponement").
 *
 * A postponement gives one invoice a new due date. The ledger keeps the
 * invoice as imported (it is append-only); positions follow the new date
 * everywhere because every position computed from a ledger goes through
 * postpone_position, which applies the live postponements read once per
 * process (postpone_load) — the kept-current snapshots included, so the
 * cycle and the exports see them without reading the ledger.
 */
#ifndef RELANCE_POSTPONE_H
#define RELANCE_POSTPONE_H

#include <stdint.h>

#include "../core/ledger.h"
#include "../core/position.h"

struct store;

/* Reads the live postponements of `s` (once: later calls return at once).
 * Returns a store code. */
int postpone_load(struct store *s);
/* Drops what was read, so that the next postpone_load reads again (after
 * this process wrote a postponement). */
void postpone_forget(void);
/* position_compute of `l` at `now` with postponed due dates applied. */
int postpone_position(const struct account_ledger *l, int64_t now, struct position *out);
/* The postponed due date of invoice `id`, or POSITION_NO_DATE. */
int32_t postpone_due_on(const char *invoice_id);

#endif
