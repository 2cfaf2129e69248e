/*
 * record — the recording adapter: every channel's actions written as JSON
 * lines to one file instead of being performed (demos, dry runs, tests;
 * `relance run --record FILE`).
 *
 * One JSON object per line with at least: at (RFC 3339 UTC), channel,
 * action, account_id, customer_id, policy_version, rule, key; to + text for
 * messages and calls; service_id + level for suspension and restoration
 * (SPEC.md "Channels and adapters"). With this adapter a call counts as
 * heard to the end, a message as delivered, a device as converged.
 *
 * Idempotency: opening the file reads the keys already in it; performing a
 * known key writes nothing and answers CHAN_ALREADY. Each line is written
 * with a single write(2) on an O_APPEND descriptor, so a process killed at
 * any point leaves whole lines only (a torn last line, possible only on a
 * power loss, is ignored when the file is read back and reported).
 */
#ifndef RELANCE_RECORD_H
#define RELANCE_RECORD_H

#include "chan.h"

struct record;

/* Opens (creating if needed) `path`. On failure returns -1 and writes a
 * one-line reason naming the path into err. */
int record_open(const char *path, struct record **out, char *err, size_t errsize);
void record_close(struct record *r);

/* Writes the action's line unless its key is already recorded. Returns 0
 * with *out filled, or -1 on a write failure (out->detail says why). */
int record_perform(struct record *r, const struct chan_action *a, struct chan_outcome *out);

/* Lines read back at open and written since. */
size_t record_count(const struct record *r);

#endif
