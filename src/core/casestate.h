/*
 * casestate — the state of an account's case between cycles: what the engine
 * reads as struct engine_case, kept as one JSON document per account, and
 * how each decision changes it (docs/engine.md "Left to the store and the
 * runner").
 *
 * Ownership: a struct case_state owns every string and array it holds;
 * case_state_release frees them. case_state_view lends them to an
 * engine_case, valid until the state is changed or released.
 *
 * JSON form (stable, documented in docs/engine.md):
 *   {"strategy":"…","stage":"…","entered":INSTANT,
 *    "actions":[{"done":N,"last":INSTANT},…],"notice":INSTANT,
 *    "suspended":[{"service":"…","level":"throttle|walled_garden|total","since":INSTANT,"rule":"…"},…],
 *    "broken_promises":N,
 *    "campaigns":[{"name":"…","notified":INSTANT,"after_deadline":true},…]}
 * Instants are integer seconds; absent members mean "never" / none.
 */
#ifndef RELANCE_CASESTATE_H
#define RELANCE_CASESTATE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct case_state {
	char *strategy, *stage;           /* NULL: no stage open */
	int64_t stage_entered_at;
	struct engine_action_state *actions;
	size_t n_actions;
	int64_t notice_at;                /* ENGINE_NEVER: no notice */
	struct engine_suspension *suspended; /* service_id and rule owned */
	size_t n_suspended;
	int broken_promises;
	struct engine_campaign_state *campaigns; /* names owned */
	size_t n_campaigns;
};

enum case_state_err {
	CASE_STATE_OK = 0,
	CASE_STATE_NOMEM = -1,
	CASE_STATE_SYNTAX = -2,   /* the stored document is not a case state */
};

/* An empty state: no stage, no notice, nothing suspended. */
void case_state_init(struct case_state *s);
void case_state_release(struct case_state *s);

/* Parses json[0..len) (NULL or empty: an empty state) into *s, which must be
 * initialised; on error *s is left empty and `why` (may be NULL) says what. */
int case_state_decode(const char *json, size_t len, struct case_state *s,
		      char *why, size_t whysize);
/* A malloc'ed JSON document of *s, or NULL when out of memory. */
char *case_state_encode(const struct case_state *s);

/* Lends the state to the engine. */
void case_state_view(const struct case_state *s, struct engine_case *out);

/*
 * Applies one decision of engine_decide, taken (written to the outbox) at
 * instant `at`: ENTER_STAGE opens the stage with fresh action counts,
 * LEAVE_CASE closes it (and forgets the notice: a new episode needs a new
 * one), RESTORE lifts the service's suspension, ACTION counts the action,
 * records a formal notice, the services it suspends and campaign progress.
 */
int case_state_apply(struct case_state *s, const struct engine_decision *d, int64_t at);

/* Whether the state holds nothing worth storing. */
int case_state_empty(const struct case_state *s);

#endif
