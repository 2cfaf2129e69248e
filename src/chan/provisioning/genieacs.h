/*
 * genieacs — the provisioning adapter for TR-069 devices managed by a
 * GenieACS server, through its northbound API (NBI, default port 7557),
 * with libcurl (docs/provisioning-webhook.md, "GenieACS").
 *
 * Applying a set of parameter values to a device is two requests:
 *
 *   1. POST <url>/devices/<id>/tasks?timeout=<ms>&connection_request
 *      {"name":"setParameterValues","parameterValues":[[path, value, type], ...]}
 *      GenieACS queues the task, asks the device to connect, and answers
 *        200  the device ran the task (and reported no fault);
 *        202  the task is queued: the device did not answer the connection
 *             request within the timeout (reason "Task queued but not
 *             processed", or the connection request's error), or it faulted
 *             (reason "Task faulted");
 *        404  no such device.
 *      The answer's body is the task, with its "_id".
 *   2. after a 200, a read-back:
 *      GET <url>/devices/?query={"_id":"<id>"}&projection=<path>,<path>...
 *      which answers a JSON array of device documents, parameters nested by
 *      path with the value in "_value"; each value read is compared with
 *      the one set.
 *
 * <id> is percent-encoded in the path (every byte but letters, digits, '-'
 * and '_': GenieACS ids may hold '%', as in "00236a-SR552n-SR552NA084%2D0003269",
 * sent as "...%252D..."), and the query and projection in the query string.
 * A faulted task is deleted (DELETE <url>/tasks/<task id>) so that the
 * device does not run it at its next inform.
 *
 * Paths are UTF-8 without control characters or ',' (the projection is a
 * comma-separated list); values any UTF-8, escaped in the JSON.
 * Values are typed: type is one of xsd:string (the default), xsd:boolean
 * ("true"/"false"/"1"/"0", sent as JSON true/false), xsd:int, xsd:unsignedInt,
 * xsd:long, xsd:unsignedLong (decimal, sent as JSON numbers), xsd:dateTime,
 * xsd:base64, xsd:hexBinary (sent as strings). A value read back matches when
 * it is the same string, the same boolean (true, "true" or "1"), or the same
 * integer (a number or its decimal text).
 *
 * Outcome (res->out.status, enum chan_status, and res->state):
 *   CHAN_DONE       GENIEACS_CONFIRMED: 200, then every value read back
 *                   matches; or GENIEACS_QUEUED: 202, not confirmed — the
 *                   device will run the task when it next contacts the ACS;
 *                   the caller reads back later (genieacs_read_back).
 *   CHAN_FAILED     GENIEACS_DRIFT: 200 but a value read back differs or is
 *                   missing (res->values say which); GENIEACS_ACS_ERROR: the
 *                   ACS unreachable, a 5xx, or an answer not understood,
 *                   when the task request was never written.
 *   CHAN_REFUSED    GENIEACS_UNKNOWN_DEVICE (404 "device unknown to the ACS"),
 *                   GENIEACS_FAULT (the device refused the values), or
 *                   parameters that cannot be sent (a bad type or value).
 *   CHAN_UNCERTAIN  the task request was written and no answer came: the
 *                   ACS may hold the task. A read-back tells.
 *
 * Errors: the functions return 0 whenever *res is filled; -1 only on a
 * broken argument or an allocation failure. The password never appears in
 * a detail or a log line.
 *
 * Costs: an apply blocks up to timeout_ms for the task (GenieACS holds the
 * request while the device's session runs) and up to timeout_ms for the
 * read-back.
 *
 * Threads: one handle per thread; libcurl's global state is set up by the
 * first open and released by the last close.
 */
#ifndef RELANCE_PROVISIONING_GENIEACS_H
#define RELANCE_PROVISIONING_GENIEACS_H

#include <stddef.h>

#include "../chan.h"

#define GENIEACS_MAX_PARAMS 16
#define GENIEACS_MAX_PATH 256         /* bytes of a parameter path */
#define GENIEACS_MAX_VALUE 256        /* bytes of a value */
#define GENIEACS_MAX_REPLY (1u << 20) /* read of an answer; more is an error */
#define GENIEACS_DEFAULT_TIMEOUT_MS 10000

typedef void genieacs_log_fn(void *ctx, const char *line);

struct genieacs_options {
	const char *url;            /* the NBI, http(s)://host:7557; required */
	const char *username;       /* HTTP basic authentication; NULL: none */
	const char *password;
	long timeout_ms;            /* per request; 0: default */
	long cr_timeout_ms;         /* ?timeout= given to GenieACS: how long it waits for
				     * the device to answer the connection request;
				     * 0: GenieACS's own default */
	const char *ca_file;        /* PEM authorities instead of the system's */
	genieacs_log_fn *log;       /* NULL: silent */
	void *log_ctx;
};

/* One parameter to set. Strings borrowed for the call. */
struct genieacs_param {
	const char *path;           /* "InternetGatewayDevice.X_ISP.Level" */
	const char *value;          /* as text */
	const char *type;           /* NULL: xsd:string */
};

enum genieacs_state {
	GENIEACS_CONFIRMED,
	GENIEACS_DRIFT,
	GENIEACS_QUEUED,
	GENIEACS_FAULT,
	GENIEACS_UNKNOWN_DEVICE,
	GENIEACS_ACS_ERROR,
};

/* What the read-back found for one parameter. */
struct genieacs_read {
	int found;                  /* the document has the path with a _value */
	int matches;                /* found and equal to the value set */
	char value[GENIEACS_MAX_VALUE]; /* as text ("true", "1024", "walled"); "" when not found */
	char type[32];              /* the document's _type; "" when none */
};

struct genieacs_result {
	struct chan_outcome out;    /* status, one-line detail; peer_id: the task's _id */
	int state;                  /* enum genieacs_state */
	long http_status;           /* of the last request; 0: no answer */
	size_t n_values;            /* == n given, when a read-back was made */
	struct genieacs_read values[GENIEACS_MAX_PARAMS];
};

struct genieacs;

/*
 * Opens a client for opt (borrowed: it must outlive the handle). Returns 0
 * with *out set, or -1 with a reason in err (no url or not http(s), a
 * password without a username, libcurl not initialising).
 */
int genieacs_open(const struct genieacs_options *opt, struct genieacs **out, char *err,
		  size_t errsize);
/* Frees g. NULL is harmless. */
void genieacs_close(struct genieacs *g);

/* Sets p[0..n) on the device and reads them back (see the top). */
int genieacs_apply(struct genieacs *g, const char *device_id, const struct genieacs_param *p,
		   size_t n, struct genieacs_result *res);

/*
 * The read-back alone, for reconciliation: CONFIRMED (CHAN_DONE), DRIFT
 * (CHAN_FAILED, the values read), UNKNOWN_DEVICE (CHAN_REFUSED) or
 * ACS_ERROR (CHAN_FAILED).
 */
int genieacs_read_back(struct genieacs *g, const char *device_id,
		       const struct genieacs_param *p, size_t n, struct genieacs_result *res);

/* Deletes a queued task: CHAN_DONE when deleted, CHAN_ALREADY when the ACS
 * no longer has it (run or deleted), CHAN_FAILED otherwise. */
int genieacs_cancel(struct genieacs *g, const char *task_id, struct chan_outcome *out);

/* ---- pure parts, for tests and the fuzz target ---- */

/* Whether type is one of the types above (NULL counts as xsd:string). */
int genieacs_type_valid(const char *type);

/*
 * The setParameterValues task for p[0..n), malloc'ed, owned by the caller;
 * NULL with a reason in err (no parameter, too many, a path or value too
 * long or not UTF-8, a type unknown, a value not of its type).
 */
char *genieacs_task_body(const struct genieacs_param *p, size_t n, char *err, size_t errsize);

/*
 * URLs, malloc'ed, owned by the caller; NULL when out of memory or a device
 * id is empty. base may end with '/'. cr_timeout_ms 0: no timeout= given.
 */
char *genieacs_tasks_url(const char *base, const char *device_id, long cr_timeout_ms);
char *genieacs_query_url(const char *base, const char *device_id,
			 const struct genieacs_param *p, size_t n);
char *genieacs_task_url(const char *base, const char *task_id);

/*
 * Reads an answer of GET /devices/ (doc[0..len), any bytes) for device_id
 * and compares p[0..n) with what it holds. Fills res->values, res->n_values,
 * res->state (CONFIRMED, DRIFT, UNKNOWN_DEVICE when no document has that
 * _id, ACS_ERROR when the answer is not a JSON array of objects) and
 * res->out. Returns 0; -1 when n is over GENIEACS_MAX_PARAMS.
 */
int genieacs_compare(const char *doc, size_t len, const char *device_id,
		     const struct genieacs_param *p, size_t n, struct genieacs_result *res);

#endif
