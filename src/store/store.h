/*
 * store — the one interface to the database; two implementations chosen by
 * URL: a SQLite file path (sqlite.c) or "postgresql://..." (postgres.c).
 *
 * Ownership and lifetime:
 *   - struct store is owned by the caller of store_open and freed by
 *     store_close (which rolls back an open transaction).
 *   - Strings and arrays handed to callbacks belong to the store and are
 *     valid only during that callback.
 *   - store_errmsg() describes the last failure of any call on that store;
 *     it is valid until the next call.
 *
 * Errors: every function returns STORE_OK (0) or a negative enum store_err.
 * STORE_ERR_INPUT means the caller asked for something the data forbids
 * (exit 2 territory); STORE_ERR_DB is a run-time failure (exit 1).
 *
 * Batches: the *_put functions take rows in file order and behave as if each
 * row were applied one after the other, so a row sees the rows before it in
 * the same batch and in earlier batches of the same import. They write one
 * outcome per row and never stop at a bad row; STORE_OK then means "every
 * outcome is filled in", not "every row was accepted".
 *
 * Schema facts (both engines): money columns are 64-bit integers of minor
 * units, dates are integer day numbers (caltime.h), instants are integer
 * seconds since the epoch (UTC).
 */
#ifndef RELANCE_STORE_H
#define RELANCE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/ledger.h"
#include "../core/position.h"

struct store;

enum store_err {
	STORE_OK = 0,
	STORE_ERR_DB = -1,      /* the database failed or is unreachable */
	STORE_ERR_INPUT = -2,   /* bad URL, newer schema, refused data */
	STORE_ERR_NOMEM = -3,
	STORE_ERR_SCHEMA = -4,  /* no schema yet: run `relance init` */
	STORE_ERR_CONFLICT = -5, /* changed by someone else since it was read */
	STORE_STOP = 1,         /* a callback asked to stop a scan early */
};

/* The schema version this build writes and reads. */
#define STORE_SCHEMA_VERSION 10

/*
 * Opens `url`: "postgresql://..." / "postgres://..." for PostgreSQL, anything
 * else as a SQLite file path ("sqlite:" prefix optional). On failure returns
 * an error, writes a one-line reason naming the URL (never its password) into
 * err[0..errsize) and *out stays NULL.
 */
int store_open(const char *url, struct store **out, char *err, size_t errsize);
/*
 * As store_open, with flags. Without STORE_OPEN_CREATE a SQLite file that
 * does not exist is an error ("run `relance init`") instead of being created
 * empty; only `relance init` creates databases.
 */
#define STORE_OPEN_CREATE 1
int store_open_ex(const char *url, int flags, struct store **out, char *err, size_t errsize);
void store_close(struct store *s);
/*
 * Writes `url` without its password (the ":secret" of "user:secret@" and the
 * value of a "password=" parameter become "***"), for messages and logs.
 */
void store_url_redact(const char *url, char *buf, size_t size);
const char *store_errmsg(const struct store *s);
/* "sqlite" or "postgresql". */
const char *store_engine(const struct store *s);

/*
 * Creates or migrates the schema to STORE_SCHEMA_VERSION in one transaction.
 * *from receives the version found (0 for an empty database). A database of a
 * newer version is STORE_ERR_INPUT and is left untouched.
 */
int store_migrate(struct store *s, int *from);
/*
 * Checks the schema before any other use: STORE_ERR_SCHEMA when there is none,
 * STORE_ERR_INPUT when it is newer than this build, STORE_OK when equal.
 */
int store_check_schema(struct store *s);

int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);

/* ---- imports ------------------------------------------------------------ */

/* Registers an import (kind, source name) and returns its id; rows written
 * by it carry that id and their source line. */
int store_import_begin(struct store *s, const char *kind, const char *source,
		       int64_t started_at, int64_t *import_id);
int store_import_finish(struct store *s, int64_t import_id, int64_t rows,
			int64_t inserted);

enum store_put {
	STORE_PUT_NEW = 0,        /* stored */
	STORE_PUT_SAME = 1,       /* already known with identical content */
	STORE_PUT_UPDATED = 2,    /* upsert changed a known row */
	STORE_PUT_CONFLICT = 3,   /* known id, different content (ledger) or a
				     field that may not change (account's
				     customer or currency, service's account) */
	STORE_PUT_DUPLICATE = 4,  /* the id came on an earlier line of this
				     import: outcome line says which */
	STORE_PUT_NO_REF = 5,     /* a referenced customer/account is unknown */
};

struct store_outcome {
	int put;          /* enum store_put */
	int64_t line;     /* DUPLICATE: the earlier line */
	const char *what; /* CONFLICT: the differing field (static string) */
};

/* Optional text fields are NULL or "" when absent; both mean absent. */
struct customer_row {
	int64_t line;
	const char *customer_id, *name, *locale, *timezone, *jurisdiction;
	const char *phone, *email, *segment;
};

struct account_row {
	int64_t line;
	const char *account_id, *customer_id, *currency;
};

struct service_row {
	int64_t line;
	const char *service_id, *account_id, *kind, *identifier, *adapter;
};

/* Ledger rows reference their account by key (from store_accounts_find). */
struct invoice_row {
	int64_t line;
	int64_t account_key;
	struct ledger_invoice inv;
};

struct credit_row {
	int64_t line;
	int64_t account_key;
	struct ledger_credit cr;   /* kind says payment or credit note */
	const char *method;        /* payments, optional */
	const char *reason;        /* credit notes */
};

int store_customers_put(struct store *s, int64_t import_id,
			const struct customer_row *rows, size_t n,
			struct store_outcome *out);
int store_accounts_put(struct store *s, int64_t import_id,
		       const struct account_row *rows, size_t n,
		       struct store_outcome *out);
int store_services_put(struct store *s, int64_t import_id,
		       const struct service_row *rows, size_t n,
		       struct store_outcome *out);
int store_invoices_put(struct store *s, int64_t import_id,
		       const struct invoice_row *rows, size_t n,
		       struct store_outcome *out);
/* Payments and credit notes (each row's cr.kind decides the table). */
int store_credits_put(struct store *s, int64_t import_id,
		      const struct credit_row *rows, size_t n,
		      struct store_outcome *out);

/* What an import needs to know of an account to validate a ledger row. */
struct account_ref {
	int found;
	int64_t account_key;
	char currency[4];
	char timezone[64];
};
/* Looks up n account ids; out[i].found is 0 for unknown ids. */
int store_accounts_find(struct store *s, const char *const *ids, size_t n,
			struct account_ref *out);

struct invoice_ref {
	int found;
	int64_t account_key;
};
int store_invoices_find(struct store *s, const char *const *ids, size_t n,
			struct invoice_ref *out);

/* ---- ledger and positions ----------------------------------------------- */

/*
 * Calls cb once per account, in account key order, with all its entries
 * (invoices and credits in any order). keys: sorted ascending account keys
 * to visit, or NULL for every account. Accounts without entries are visited
 * too. cb returns 0 to go on, STORE_STOP to stop (the scan then returns
 * STORE_STOP), anything negative to abort (returned as is).
 */
typedef int (*store_ledger_cb)(void *ctx, const struct account_ledger *l);
int store_ledger_scan(struct store *s, const int64_t *keys, size_t n,
		      store_ledger_cb cb, void *ctx);

/* The kept-current snapshot of an account: position_compute at a time when
 * every entry is in effect (only balance, invoiced, paid, credited,
 * complete_at and the open items are stored). */
int store_snapshots_put(struct store *s, const int64_t *keys,
			const struct position *snapshots, size_t n);

/* One row of an account listing, joined with its customer and snapshot. */
struct account_summary {
	int64_t account_key;
	const char *account_id, *customer_id, *currency, *timezone;
	const char *jurisdiction, *locale, *name, *segment;
	const char *stage;       /* "" when the account has no case yet */
	int has_snapshot;        /* 0: no entries were ever imported */
	struct position snapshot; /* open items valid during the callback only */
};
typedef int (*store_account_cb)(void *ctx, const struct account_summary *a);
/* Every account ordered by account_id (or just `account_id` when non-NULL). */
int store_accounts_scan(struct store *s, const char *account_id,
			store_account_cb cb, void *ctx);

/* One account of a customer (store_accounts_of_customer). */
struct customer_account {
	int64_t account_key;
	const char *account_id, *currency;
};
typedef int (*store_customer_account_cb)(void *ctx, const struct customer_account *a);
/*
 * Calls cb for every account of `customer_id`, ordered by account_id (byte
 * order, both engines), whether or not it has ledger entries or entries on
 * the customer file; an unknown customer has none. cb may use the store; it
 * returns as store_ledger_scan's (0 goes on, anything else stops the scan
 * and is returned). Cost: one read through the accounts' customer index,
 * the customer's accounts only, all of them at once on PostgreSQL.
 */
int store_accounts_of_customer(struct store *s, const char *customer_id,
			       store_customer_account_cb cb, void *ctx);

/* Services of one account, for the customer file. */
struct service_view {
	const char *service_id, *kind, *identifier, *adapter;
};
typedef int (*store_service_cb)(void *ctx, const struct service_view *v);
int store_services_scan(struct store *s, int64_t account_key,
			store_service_cb cb, void *ctx);

/* The customer's contact details, for the customer file. */
struct customer_view {
	const char *customer_id, *name, *locale, *timezone, *jurisdiction;
	const char *phone, *email, *segment;
};
typedef int (*store_customer_cb)(void *ctx, const struct customer_view *v);
int store_customer_get(struct store *s, const char *customer_id,
		       store_customer_cb cb, void *ctx);

/* ---- the customer file -------------------------------------------------- */

/*
 * Appends an entry to the file of `customer_id`: the next seq (1 for the
 * first), chained by hash to the last entry (custfile.h). account_id is NULL
 * or "" for an entry about the customer as a whole, else one of the
 * customer's accounts. *seq_out receives the seq written.
 *
 * Call it inside a transaction (store_begin ... store_commit): the entry is
 * then part of whatever else that transaction writes. Without one it runs in
 * its own. Concurrent appends to one customer never fork the chain: the
 * second waits for the first to commit (SQLite: the write lock of BEGIN
 * IMMEDIATE; PostgreSQL: a row lock on the customer) and reads its entry.
 *
 * STORE_ERR_INPUT: unknown customer, or an account that is not one of its.
 * Nothing ever updates or deletes an entry (the schema refuses it).
 */
int store_file_append(struct store *s, const char *customer_id, const char *account_id,
		      int64_t at, const char *kind, const char *author, const char *body,
		      int64_t *seq_out);

/* One entry of store_file_notes: about account `account_key`, on the file
 * of that account's customer. */
struct file_note {
	int64_t account_key;
	int64_t at;
	const char *kind, *author, *body;
};

/*
 * Appends one entry per note, in the order given (notes on one customer
 * chain one after the other), with store_file_append's chaining, locking and
 * transaction rules, a batch at a time: imports write one entry per account
 * they touch. STORE_ERR_INPUT for an unknown account key (nothing of the
 * batch is then kept when the caller rolls back).
 */
int store_file_notes(struct store *s, const struct file_note *v, size_t n);

/* One stored entry, every column as read, so that a chain can be checked. */
struct file_entry_view {
	const char *customer_id;
	int64_t seq, at;
	const char *account_id;    /* "" when about the customer as a whole */
	const char *kind, *author, *body;
	const unsigned char *prev_hash, *hash;
	size_t prev_hash_len, hash_len;   /* 32 unless the row was damaged */
};
typedef int (*store_file_cb)(void *ctx, const struct file_entry_view *e);
/*
 * Calls cb for every entry of `customer_id` (NULL: of every customer) in
 * (customer, seq) order: customers in the order of their database keys (the
 * order they were first imported), each customer's entries by seq. Streams:
 * memory does not grow with the file. cb returns as store_ledger_scan's.
 * An unknown customer has no entries.
 */
int store_file_scan(struct store *s, const char *customer_id, store_file_cb cb, void *ctx);


/* ---- collection policies ------------------------------------------------ */

/*
 * Policies are versioned, never edited: every action records the version
 * that decided it (SPEC.md), so a version must mean the same text forever.
 * The schema refuses UPDATE and DELETE on them.
 */
struct stored_policy {
	int64_t version;        /* 1, 2, 3 ... in the order they were loaded */
	int64_t loaded_at;      /* instant */
	const char *source;     /* the name it was loaded from (a file path) */
	const char *body;       /* the exact text; NULL in store_policy_list */
	size_t body_len;        /* bytes of the text */
};
typedef int (*store_policy_cb)(void *ctx, const struct stored_policy *p);
/*
 * Appends `body` (the text exactly as checked) as the next version: one
 * more than the last, 1 for the first. Concurrent puts get distinct versions
 * and none is skipped: the second waits for the first to commit (SQLite:
 * the write lock of BEGIN IMMEDIATE; PostgreSQL: a lock on the table).
 * Inside a transaction the version is part of it; without one it runs in
 * its own. *version receives the version written.
 */
int store_policy_put(struct store *s, const char *source_name, const char *body,
		     int64_t loaded_at, int64_t *version);
/*
 * Calls cb once with `version`, or with the latest when version is 0.
 * STORE_ERR_INPUT "no policy version N" / "no policy loaded yet" when there
 * is no such version. Returns what cb returns otherwise.
 */
int store_policy_get(struct store *s, int64_t version, store_policy_cb cb, void *ctx);
/* Calls cb for every version in version order, without the texts (body NULL,
 * body_len set). cb returns as store_ledger_scan's. */
int store_policy_list(struct store *s, store_policy_cb cb, void *ctx);

/* ---- cases ---------------------------------------------------------------- */

/*
 * The collection state of one account, written by the engine after each
 * decision. A row whose stage is "" means "no case, but a check is
 * scheduled": an account that owes nothing overdue yet still needs the
 * engine at the instant its oldest invoice falls due, and the incremental
 * cycle only ever looks at accounts store_cases_due names. Rows are
 * therefore kept (with stage "") rather than deleted when a case closes;
 * every reader treats stage "" exactly as no row.
 */
#define STORE_NEVER INT64_MAX   /* next_check_at: no check scheduled */

struct case_row {
	int64_t account_key;
	const char *stage;        /* "" (or NULL on input): no case */
	int64_t stage_since;      /* instant the stage was entered */
	int64_t policy_version;   /* the version that decided it; 0: none */
	const char *rule;         /* the rule that decided it; "" (or NULL): none */
	int64_t next_check_at;    /* instant; STORE_NEVER: none (stored as NULL) */
	const char *state;        /* the case's state as JSON (casestate.h);
				     NULL or "" on input: "{}" */
};
typedef int (*store_case_cb)(void *ctx, const struct case_row *c);

/*
 * Calls cb once with the case of `account_key` (strings never NULL), or not
 * at all when the account has no row: STORE_OK either way. Returns what cb
 * returns otherwise.
 */
int store_case_get(struct store *s, int64_t account_key, store_case_cb cb, void *ctx);
/*
 * Upserts n rows by account key: every column is replaced. The account
 * must exist. Usable inside the caller's transaction (the usual case: the
 * case, the outbox rows and the customer file entries of one decision
 * commit together); without one it runs in its own.
 */
int store_cases_put(struct store *s, const struct case_row *rows, size_t n);
/*
 * Calls cb for every row whose next_check_at <= now, in account key order,
 * stage "" rows included. Pages through the table, so memory does not grow
 * with it and cb may use the store (typically store_cases_put on the row it
 * was given: a row changed behind the scan is not visited twice). cb
 * returns as store_ledger_scan's.
 */
int store_cases_due(struct store *s, int64_t now, store_case_cb cb, void *ctx);

/*
 * The accounts a cycle must look at, by account_id: those with no case row
 * yet, those whose case was decided under another policy version than
 * `policy_version`, and those whose next_check_at <= now. The ids are read
 * whole before the first callback, so cb may write the cases. cb returns as
 * store_ledger_scan's.
 */
typedef int (*store_id_cb)(void *ctx, const char *id);
int store_accounts_due(struct store *s, int64_t now, int64_t policy_version,
		       store_id_cb cb, void *ctx);
/*
 * Brings the next check of the cases of `keys` forward to `at` (no later):
 * an import that changed their ledger calls it, so the next cycle looks at
 * them. Accounts without a case row are due anyway. Usable inside the
 * caller's transaction.
 */
int store_cases_touch(struct store *s, const int64_t *keys, size_t n, int64_t at);

/* ---- the outbox ------------------------------------------------------------ */

/*
 * Every action the engine decides becomes an outbox row, written in the
 * same transaction as the case change that caused it, so that a decision
 * and its action are never one without the other.
 *
 * States:
 *   pending   waiting for due_at (store_outbox_put; finish "deferred")
 *   claimed   leased by lease_owner until lease_until (store_outbox_claim)
 *   done      performed; outcome says what the peer answered
 *   failed    performing failed for good (outcome: why)
 *   dropped   not performed and never will be: no longer relevant (paid,
 *             arrangement, policy change); outcome: why
 * done, failed and dropped are final: nothing moves a row out of them.
 *
 * Idempotency: idempotency_key is unique forever. The engine derives it
 * from what the action is (account, case, step, channel...), never from
 * when it was decided, so that a cycle repeated after a crash, or run twice
 * at the same instant by two processes, puts the same keys and gets SAME:
 * an action is queued once, and one already performed is never queued again.
 *
 * Leases: a worker (a name unique to its process, e.g. host:pid:start) claims
 * due rows for lease_seconds. Until lease_until nobody else can claim them;
 * after it, they are claimable again (the worker is presumed dead) and
 * attempts counts the claims. A worker finishes a row only while it still
 * holds the lease (lease_owner is its name): a row reclaimed by another
 * worker can no longer be finished by the first ("lease lost").
 *
 * Crash semantics. The database half is exact: a process killed at any
 * point either committed a decision with its rows or neither; a claim is
 * committed before any row is handed out; a finish commits with whatever
 * the caller wrote in the same transaction. What the store cannot know is
 * whether a worker killed between claim and finish reached the peer. The
 * row then stays claimed until its lease expires and is performed again by
 * the next claimer, so to avoid a double send the channel layer keeps its
 * own record keyed by idempotency_key:
 *   1. before contacting the peer, the adapter durably records "performing
 *      <key>" (the recording adapter appends a line with the key and syncs);
 *   2. after the peer answered, it records the answer under the same key;
 *   3. on a claim whose attempts > 1, the adapter first looks the key up:
 *      an answer recorded means the action was performed (finish with that
 *      outcome, do not send); "performing" without an answer means the
 *      peer may have it: ask the peer by the key when the protocol can
 *      (SMPP/SMTP message ids carry it, webhooks send it as a header),
 *      otherwise finish "failed" with outcome "unknown" for a person to
 *      decide, never resend blindly.
 * A finish that returns "lease lost" means another worker holds the row and
 * the action may have been performed twice: the caller must not write its
 * outcome to the customer file as the row's result; it logs the lease loss
 * (the file entry of the worker holding the lease is the one that counts,
 * and the peer's record under the key shows both attempts).
 */
enum store_outbox_state {
	STORE_OUTBOX_PENDING = 1,
	STORE_OUTBOX_CLAIMED = 2,
	STORE_OUTBOX_DONE = 4,
	STORE_OUTBOX_FAILED = 8,
	STORE_OUTBOX_DROPPED = 16,
	STORE_OUTBOX_SENDING = 32,  /* handed to a peer, its answer not yet recorded */
	STORE_OUTBOX_UNCERTAIN = 64, /* sent without an answer: never sent again */
	STORE_OUTBOX_ANY = 0,       /* as a filter: every state */
};

struct outbox_row {
	const char *idempotency_key;   /* required, unique forever */
	int64_t account_key;           /* must exist */
	const char *channel, *action;  /* required */
	int64_t due_at;                /* instant: not performed before */
	const char *payload;           /* JSON text; NULL: "{}" */
	int64_t policy_version;        /* 0: none */
	const char *rule;              /* NULL or "": none */
	int64_t created_at;            /* instant of the decision */
};

/* An outbox row as stored. Strings are never NULL ("" for absent). */
struct outbox_view {
	int64_t outbox_id;
	const char *idempotency_key;
	int64_t account_key;
	const char *channel, *action;
	int64_t due_at;
	const char *payload;
	int64_t policy_version;        /* 0: none */
	const char *rule;
	const char *state;             /* "pending", "claimed", "done", ... */
	const char *lease_owner;       /* "" unless claimed */
	int64_t lease_until;           /* 0 unless claimed */
	int64_t attempts;              /* claims so far */
	int64_t created_at;
	int64_t done_at;               /* 0 unless done, failed or dropped */
	const char *outcome;           /* "" when none */
};
typedef int (*store_outbox_cb)(void *ctx, const struct outbox_view *v);

/*
 * Inserts each row unless its idempotency_key is already stored, whatever
 * the stored row's state: out[i].put is STORE_PUT_NEW or STORE_PUT_SAME
 * (the stored row is left as it is, even if the new one differs; a key
 * repeated within the batch is SAME the second time). Inside the caller's
 * transaction the rows commit or roll back with it; without one the batch
 * runs in its own. A concurrent put of the same key waits for the first
 * transaction and then gets SAME.
 */
int store_outbox_put(struct store *s, const struct outbox_row *rows, size_t n,
		     struct store_outcome *out);
/*
 * Claims up to `max` rows that are pending with due_at <= now, or claimed
 * or sending with lease_until < now (their worker died): each becomes
 * claimed by `worker` until now + lease_seconds, attempts + 1; a row that
 * was sending stays "sending" (see store_outbox_sending). The claim commits, and
 * only then is cb called for each claimed row, ordered by (due_at,
 * outbox_id); cb may use the store (to finish the row). Concurrent claimers
 * (processes sharing the database) never get the same row: PostgreSQL skips
 * rows another claimer has locked (FOR UPDATE SKIP LOCKED), SQLite claims
 * under the write lock. Must be called outside a transaction
 * (STORE_ERR_INPUT otherwise). cb returns as store_ledger_scan's; rows after
 * a stop stay claimed until their lease expires.
 */
int store_outbox_claim(struct store *s, const char *worker, int64_t now, int lease_seconds,
		       size_t max, store_outbox_cb cb, void *ctx);
/*
 * Records the end of an attempt on a row claimed (or sending) by `worker`:
 * state "done", "failed", "dropped" or "uncertain" (final: done_at = at,
 * outcome kept, lease cleared),
 * or "deferred" (back to pending with due_at = due_at_if_deferred, outcome
 * kept as the reason, lease cleared; attempts is not reset). Usable inside
 * the caller's transaction, so that the outcome and its customer file
 * entry commit together. STORE_ERR_INPUT "lease lost" when the row is not
 * claimed by `worker` any more (see crash semantics above), or for an
 * unknown state.
 */
int store_outbox_finish(struct store *s, int64_t outbox_id, const char *worker,
			const char *state, const char *outcome, int64_t at,
			int64_t due_at_if_deferred);
/*
 * Calls cb for the rows of `account_key` (0: of every account) whose state
 * is in `states` (an OR of enum store_outbox_state; STORE_OUTBOX_ANY: all),
 * ordered by (due_at, outbox_id). Pages: memory does not grow with the
 * outbox and cb may use the store. cb returns as store_ledger_scan's.
 */
int store_outbox_scan(struct store *s, int64_t account_key, unsigned states,
		      store_outbox_cb cb, void *ctx);

/*
 * Marks rows claimed by `worker` as being handed to a peer (state
 * "sending"), to be committed BEFORE the peer is spoken to: a row still
 * "sending" when its lease expires was perhaps sent, so the next claim hands
 * it back with state "sending" and the caller finishes it "uncertain"
 * instead of sending it again. STORE_ERR_INPUT "lease lost" when a row is
 * not claimed by `worker` any more.
 */
int store_outbox_sending(struct store *s, const int64_t *outbox_ids, size_t n,
			 const char *worker);
/* Records what the peer calls the row's message: `peer_ids` is a
 * space-separated list (an SMSC's message_id per part). */
int store_outbox_peer_ids(struct store *s, int64_t outbox_id, const char *channel,
			  const char *peer_ids);
/*
 * Counts one permanent failure of a customer's contact (kind "phone" or
 * "email", the value used) at `at`. When the count reaches `threshold` the
 * contact is flagged bad and *flagged_now is 1 (once: later failures leave
 * it 0). STORE_ERR_INPUT for an unknown customer.
 */
int store_contact_failure(struct store *s, const char *customer_id, const char *kind,
			  const char *value, int64_t at, int threshold, int *flagged_now);
/* *bad = 1 when that contact value of the customer is flagged bad. */
int store_contact_bad(struct store *s, const char *customer_id, const char *kind,
		      const char *value, int *bad);

/*
 * What waits in the outbox, for /metrics: per channel, the rows pending and
 * due at `now` (their due_at <= now) and the oldest due_at among them, in
 * channel order; a channel with none is not listed. cb returns as
 * store_ledger_scan's.
 */
struct outbox_depth_row {
	const char *channel;
	int64_t due;
	int64_t oldest_due_at;
};
typedef int (*store_outbox_depth_cb)(void *ctx, const struct outbox_depth_row *r);
int store_outbox_depth(struct store *s, int64_t now, store_outbox_depth_cb cb, void *ctx);

/* Calls cb once with the row a peer's id names, or never when none does. */
int store_outbox_by_peer_id(struct store *s, const char *channel, const char *peer_id,
			    store_outbox_cb cb, void *ctx);

/* ---- voice calls ------------------------------------------------------------- */

/*
 * One call placed for a voice outbox row, as its outcome came back
 * (docs/voice.md): the row's history across cycles and what `relance
 * report calls` counts. Append-only.
 */
struct store_voice_call {
	int64_t outbox_id;
	const char *account_id;    /* read back: the row's account */
	const char *currency;      /* read back: the account's */
	int64_t ended_at;
	const char *outcome;       /* the dialer's name: heard, hung_up_early, busy,
				    * no_answer, bad_number, trunk_failure, not_confirmed */
	int share;                 /* per mille of the message played, 0..1000 */
	int requeued;              /* put back at the front of the list after it */
};
typedef int (*store_voice_call_cb)(void *ctx, const struct store_voice_call *c);

/* A payment received by an account that was called, for the report. */
struct store_voice_payment {
	const char *account_id, *currency;
	int64_t received_at, amount;
};
typedef int (*store_voice_payment_cb)(void *ctx, const struct store_voice_payment *p);

/* Adds call c of outbox row c->outbox_id (its account is the row's; the
 * account_id and currency members are not read), inside the caller's
 * transaction. STORE_ERR_INPUT for an outbox row that does not exist or a
 * value outside its range. */
int store_voice_call_add(struct store *s, const struct store_voice_call *c);
/* The calls of outbox row `outbox_id`, oldest first. */
int store_voice_calls_of(struct store *s, int64_t outbox_id, store_voice_call_cb cb, void *ctx);
/*
 * For `relance report calls`: every call that ended at or after `from`, by
 * ended_at then call order; then every payment received at or after `from`
 * by an account one of those calls was for, by received_at. Each callback
 * returns as store_ledger_scan's. Cost: the calls and the payments read,
 * through indexes on their instants.
 */
int store_voice_report_scan(struct store *s, int64_t from, store_voice_call_cb calls,
			    store_voice_payment_cb payments, void *ctx);

/* ---- provisioning state ------------------------------------------------------ */

/*
 * The level each service should be at and the last one its network peer
 * confirmed (migration 9), so that reconciliation finds the services in
 * drift and applies their level again, up to a limit of tries after which
 * it raises an alert. Levels, by name: "full" (in service, restored),
 * "throttle", "walled_garden", "total"; any other name is STORE_ERR_INPUT.
 * One row per service, written by its first desire or confirmation and
 * then updated in place, never deleted (the schema refuses it): this is
 * state, the history is on the customer file. Every write is one statement
 * inside the caller's transaction when there is one; without one it
 * commits on its own. An unknown service is STORE_ERR_INPUT ("no service
 * ID"), and the caller's transaction stays usable.
 */
#define STORE_SERVICE_LEVELS "full throttle walled_garden total"

/* One service's provisioning state, as store_service_states_scan reads it.
 * Strings are never NULL. */
struct store_service_state {
	const char *service_id, *account_id, *customer_id, *kind, *identifier, *adapter;
	const char *desired;        /* level */
	int64_t desired_at;
	const char *desired_key;    /* the outbox row's idempotency key; "" when none */
	const char *confirmed;      /* "" when never confirmed */
	int64_t confirmed_at;       /* 0 when never */
	int attempts;               /* tries that did not confirm since desired was set */
	const char *last_error;     /* "" when none */
	int64_t alerted_at;         /* 0 when not alerted */
};
typedef int (*store_service_state_cb)(void *ctx, const struct store_service_state *s);

/*
 * Sets the desired level of service_id (insert or update): desired,
 * desired_at = at, desired_key = key (NULL: ""), attempts = 0, last_error =
 * "", alerted_at = 0 (a new level ends an alert); confirmed is kept.
 */
int store_service_desire(struct store *s, const char *service_id, const char *level, int64_t at,
			 const char *key);
/*
 * Records that the peer confirmed `level` at `at`: confirmed, confirmed_at,
 * last_error = ""; attempts and alerted_at are kept (a confirmation of the
 * desired level takes the service out of drift, and so out of the drift
 * count; it stays among the alerted until the next desire). A service
 * with no row yet gets one with desired = level, desired_at = at and
 * desired_key "".
 */
int store_service_confirm(struct store *s, const char *service_id, const char *level, int64_t at);
/*
 * Counts one try that did not confirm: attempts + 1, last_error = error
 * (NULL: ""); when `alert` is non-zero also alerted_at = at. *attempts (may
 * be NULL) gets the new count. STORE_ERR_INPUT "no provisioning state for
 * service ID" for a service with no row (or no service).
 */
int store_service_attempt(struct store *s, const char *service_id, const char *error, int64_t at,
			  int alert, int *attempts);
/* Calls cb once with the state of service_id, or never when it has no row
 * (an unknown service has none): STORE_OK then. Returns what cb returns. */
int store_service_state_get(struct store *s, const char *service_id, store_service_state_cb cb,
			    void *ctx);
/*
 * What reconciliation works on: the services whose confirmed level is not
 * the desired one (or was never confirmed) and that are not alerted, by
 * desired_at then service_id (byte order, both engines). With all = 1,
 * every service that has a row, in the same order (for reports and
 * `relance status`). The rows are read whole before the first callback
 * (the drift through its partial index: a few rows when the network is
 * healthy; all = 1 holds every row in memory), so cb may use the store,
 * e.g. store_service_attempt on the row it was given. cb returns as
 * store_ledger_scan's.
 */
int store_service_states_scan(struct store *s, int all, store_service_state_cb cb, void *ctx);
/* For /metrics: the services with a row, those in drift and not alerted
 * (what store_service_states_scan lists), those alerted (alerted_at set);
 * any pointer may be NULL, and all three are 0 on failure. Cost: the
 * table's row count, and the two partial indexes. */
int store_service_state_counts(struct store *s, int64_t *total, int64_t *drift, int64_t *alerted);

/* ---- serve state ------------------------------------------------------------- */

/*
 * What `relance serve` remembers between requests (migration 10): staff
 * and customer sessions, failed sign-ins per name, the portal's one-time
 * codes and the answers given to Idempotency-Key requests. In the database
 * so that every node serving one database sees what another did and a
 * restart forgets nothing. Each write is one statement, atomic against a
 * node doing the same at the same time; none opens a transaction of its
 * own. Hashes and salts travel as lowercase hex strings (STORE_HASH_HEX
 * bytes with the NUL), never the secrets they stand for. Instants are the
 * caller's (`now`): rows past their instant are ignored by the reads and
 * deleted by store_serve_sweep.
 */
#define STORE_HASH_HEX 65           /* 32 bytes as hex, and the NUL */

/* A session as stored: strings never NULL, valid during the callback. */
struct store_session {
	const char *csrf, *user, *role, *scopes, *customer_id;
	int64_t created_at, expires_at;
};
typedef int (*store_session_cb)(void *ctx, const struct store_session *x);
/* Stores the session of cookie hash `hash` (hex). A hash already stored
 * is STORE_ERR_CONFLICT (a random value never repeats). */
int store_session_put(struct store *s, const char *hash, const struct store_session *x);
/* Calls cb once with the session of `hash` if it exists and expires after
 * `now`, else never (STORE_OK). One read by the primary key. Returns what
 * cb returns. */
int store_session_get(struct store *s, const char *hash, int64_t now, store_session_cb cb,
		      void *ctx);
/* Ends a session: the row is deleted (every node refuses it from then). A
 * hash not stored is no error. */
int store_session_delete(struct store *s, const char *hash);

/*
 * Failed attempts per name (a user name, or "code:" + a user name). A
 * window starts at the first failure counted: *failures (those since
 * *since) is 0 when the name has none or the window ended (now >= since +
 * window). store_attempt_failed counts one failure atomically, starting a
 * new window when the last one ended; store_attempt_clear forgets the
 * name (a success).
 */
int store_attempt_get(struct store *s, const char *name, int64_t now, int window,
		      int *failures, int64_t *since);
int store_attempt_failed(struct store *s, const char *name, int64_t now, int window);
int store_attempt_clear(struct store *s, const char *name);

/*
 * One-time codes: at most one per user, kept as a hash keyed by a random
 * salt stored beside it (both hex). store_code_put stores a new one
 * (issued_at = now, expires_at) unless the live one was issued less than
 * `resend` seconds ago: *issued says which (1: stored, 0: refused).
 * store_code_get reads the live code's salt and hash (*found 0 when none
 * or expired). store_code_take uses the code up: *taken is 1 for the one
 * caller whose hash matches a live row, which it deletes; any other, or
 * the same code again, gets 0.
 */
int store_code_put(struct store *s, const char *user, const char *salt, const char *hash,
		   int64_t now, int64_t expires_at, int resend, int *issued);
int store_code_get(struct store *s, const char *user, int64_t now, char salt[STORE_HASH_HEX],
		   char hash[STORE_HASH_HEX], int *found);
int store_code_take(struct store *s, const char *user, const char *hash, int64_t now,
		    int *taken);

/*
 * Idempotency-Key records, per caller and key: the request's fingerprint
 * (hex), busy while the first request is being answered, then done with
 * its answer. store_idem_begin takes the key for this request, deleting
 * first a record created at or before `expired` (or one busy since
 * `stale`, whose node died answering); only one caller of many racing wins
 * it. *verdict: STORE_IDEM_FIRST (taken: answer, then store_idem_end),
 * STORE_IDEM_REPLAY (cb called once with the stored answer),
 * STORE_IDEM_MISMATCH (another fingerprint), STORE_IDEM_BUSY (still being
 * answered). store_idem_end stores the answer (a NULL answer deletes the
 * record: the request may be tried again with its key); a record taken
 * meanwhile by another fingerprint is left alone.
 */
enum { STORE_IDEM_FIRST, STORE_IDEM_REPLAY, STORE_IDEM_MISMATCH, STORE_IDEM_BUSY };
struct store_idem_answer {
	int status;
	const char *content_type, *location;   /* never NULL */
	const char *body;                      /* len bytes, may hold NULs */
	size_t len;
};
typedef int (*store_idem_cb)(void *ctx, const struct store_idem_answer *a);
int store_idem_begin(struct store *s, const char *caller, const char *key,
		     const char *fingerprint, int64_t now, int64_t expired, int64_t stale,
		     int *verdict, store_idem_cb cb, void *ctx);
int store_idem_end(struct store *s, const char *caller, const char *key,
		   const char *fingerprint, const struct store_idem_answer *a);

/* Deletes the rows worthless at `now`: sessions, attempts and codes
 * expired, idempotency records created at or before `idem_expired`. Each
 * through its expiry index: cheap when there is nothing to delete. */
int store_serve_sweep(struct store *s, int64_t now, int64_t idem_expired);

/* ---- arrangements ------------------------------------------------------------ */

/*
 * Promises to pay, payment plans, disputes, postponements and hand-offs
 * (docs/arrangements.md). The store keeps each as a row with a state and
 * its terms (a JSON object that src/core/arrange.c reads and writes; the
 * store never looks inside), the accounts it covers (one or more of one
 * customer) and a version that every change increments: two agents
 * changing one arrangement at once, the second is told (STORE_ERR_CONFLICT)
 * and nothing of his is written. Arrangements are never deleted; every
 * change also goes on the customer file, written by the caller in the same
 * transaction.
 *
 * Live states hold the engine: promise "open"; plan "proposed" and
 * "current"; dispute "open" and "review"; postponement "active"; hand-off
 * "active". Every other state is final.
 */
struct arrangement_new {
	const char *kind;             /* promise, plan, dispute, postponement, handoff */
	const char *state;            /* its first state */
	const char *const *account_ids; /* >= 1, all of one customer */
	size_t n_accounts;
	int64_t at;                   /* instant of creation */
	const char *by;               /* who: an agent's name, "relance", "customer" */
	const char *terms;            /* JSON object text */
	/* Refused (STORE_ERR_INPUT "account A already has a live KIND
	 * ARRANGEMENT_ID") when any of the accounts has a live arrangement of
	 * one of these kinds (space-separated; NULL or "": no check). The
	 * check and the insert are one step under the write lock, so two
	 * agents recording a promise on one account at once: one wins. */
	const char *exclusive_kinds;
};

/* An arrangement as stored. Strings are never NULL. */
struct arrangement_view {
	int64_t arrangement_key;
	const char *arrangement_id;   /* "PR-17" (promise), "PL-", "DS-", "PP-", "HO-" + key */
	const char *customer_id;
	const char *kind, *state;
	int64_t created_at;
	const char *created_by;
	int64_t updated_at;
	const char *updated_by;
	int64_t version;              /* 1 at creation, +1 per change */
	const char *terms;
	const char *const *account_ids; /* in account key order */
	const int64_t *account_keys;
	size_t n_accounts;
};
typedef int (*store_arrangement_cb)(void *ctx, const struct arrangement_view *a);

/*
 * Creates an arrangement; *id_out (size >= 32) receives its id. Unknown
 * accounts, accounts of different customers, an account named twice, an
 * unknown kind (in `kind` or `exclusive_kinds`), no account or no state:
 * STORE_ERR_INPUT, nothing written, and the caller's transaction stays
 * usable. terms NULL is "{}", by NULL is "". Usable inside the caller's
 * transaction (the usual case: the file entry commits with it); without one
 * it runs in its own. PostgreSQL: the covered accounts' rows stay locked
 * (FOR NO KEY UPDATE) until that transaction ends.
 */
int store_arrangement_create(struct store *s, const struct arrangement_new *a,
			     char *id_out, size_t id_size);
/*
 * Changes state and terms of `arrangement_id` if its version is still
 * `expected_version` (version + 1, updated_at/by set); terms NULL keeps
 * them. STORE_ERR_CONFLICT when the version moved on (someone else changed
 * it) with the version it has now in the message, STORE_ERR_INPUT for an
 * unknown id or no state; either way nothing is written. Usable inside a
 * transaction.
 */
int store_arrangement_update(struct store *s, const char *arrangement_id,
			     int64_t expected_version, const char *state,
			     const char *terms, int64_t at, const char *by);
/* Calls cb once with the arrangement, or returns STORE_ERR_INPUT
 * "no arrangement ID" (also for an id that is not one: a wrong prefix for
 * its row's kind, no number). Returns what cb returns. */
int store_arrangement_get(struct store *s, const char *arrangement_id,
			  store_arrangement_cb cb, void *ctx);
/*
 * Calls cb for the arrangements covering `account_key` (live_only: only
 * those in a live state), by arrangement key; an unknown account has none.
 * cb may use the store; a non-zero return stops the scan and is returned
 * (as store_ledger_scan's). Cost: read a page of arrangements at a time,
 * with their accounts, before the callbacks of that page run.
 */
int store_arrangements_of_account(struct store *s, int64_t account_key, int live_only,
				  store_arrangement_cb cb, void *ctx);
/* The same for every account of `customer_id` (NULL: every customer),
 * each arrangement once, by arrangement key; an unknown customer has none. */
int store_arrangements_of_customer(struct store *s, const char *customer_id, int live_only,
				   store_arrangement_cb cb, void *ctx);

/* ---- users and API tokens --------------------------------------------------------------- */

/*
 * Who may use `relance serve` (docs/roles.md). Staff users have a role
 * (agent, supervisor, manager, administrator) and a password hash (argon2id,
 * src/core/auth.h); portal users are customers (kind "customer", role
 * "customer", customer_id set) who sign in with one-time codes; API clients
 * are users of kind "api" (role "api") whose tokens carry scopes. The store
 * keeps only hashes: never a password, never a token.
 */
struct user_view {
	int64_t user_key;
	const char *name;               /* unique, case-sensitive */
	const char *kind;               /* staff, customer, api */
	const char *role;               /* agent, supervisor, manager, administrator, customer, api */
	const char *customer_id;        /* "" unless kind customer */
	const char *password_hash;      /* "" when none (api, customer) */
	int64_t created_at;
	int64_t disabled_at;            /* 0: active */
};
typedef int (*store_user_cb)(void *ctx, const struct user_view *u);

/* Adds a user. STORE_ERR_INPUT "user NAME exists", or for an unknown
 * customer_id, a kind and role that do not go together (staff: agent,
 * supervisor, manager or administrator; customer: customer, with a
 * customer_id; api: api), a password hash for a user who has none (customer,
 * api), or a name that is empty, longer than STORE_USER_NAME_MAX bytes or
 * holds a space or a control character. customer_id and password_hash may
 * be NULL (none). */
#define STORE_USER_NAME_MAX 128
int store_user_add(struct store *s, const char *name, const char *kind, const char *role,
		   const char *customer_id, const char *password_hash, int64_t at);
/* Calls cb once with the user, or returns STORE_ERR_INPUT "no user NAME". */
int store_user_get(struct store *s, const char *name, store_user_cb cb, void *ctx);
/* Replaces the password hash; STORE_ERR_INPUT "no user NAME", or for a
 * user who is not staff (they have no password) or an empty hash. */
int store_user_set_password(struct store *s, const char *name, const char *password_hash);
/* Disables the user (and so every token of theirs) at `at`; STORE_ERR_INPUT
 * "no user NAME". Disabling twice keeps the first instant. */
int store_user_disable(struct store *s, const char *name, int64_t at);

/* An API token as stored: its hash, its owner and scopes. */
struct token_view {
	int64_t token_key;
	const char *user_name;
	const char *role;               /* the owner's */
	const char *scopes;             /* space-separated, e.g. "ledger:write positions:read" */
	int64_t created_at;
	int64_t revoked_at;             /* 0: valid */
	int64_t user_disabled_at;       /* 0: the owner is active */
};
typedef int (*store_token_cb)(void *ctx, const struct token_view *t);

/* Stores a token's 32-byte hash for user `user_name`; *key receives its
 * key. STORE_ERR_INPUT "no user NAME", a disabled user, a portal user (kind
 * customer: they have no tokens), or a hash already stored. scopes NULL is
 * "" (the caller checks them: auth_scopes_check). */
int store_token_add(struct store *s, const char *user_name, const unsigned char hash[32],
		    const char *scopes, int64_t at, int64_t *key);
/* Calls cb once with the token whose hash is `hash`, or not at all when
 * none is stored (STORE_OK either way). */
int store_token_find(struct store *s, const unsigned char hash[32], store_token_cb cb, void *ctx);
/* Revokes token `key` at `at`; STORE_ERR_INPUT "no token KEY". Revoking
 * twice keeps the first instant. */
int store_token_revoke(struct store *s, int64_t key, int64_t at);

/* ---- reports -------------------------------------------------------------- */

/*
 * Which messages brought payments. A message is an outbox row of channel
 * sms, email or voice in state "done" with done_at >= since; a payment is a
 * ledger payment with received_at >= since. Each payment is attributed to
 * the LAST message performed to its account at or before received_at,
 * provided received_at <= that message's done_at + window_seconds; otherwise
 * (no message before it, or too late after the last one) it is not
 * attributed. A payment is thus counted once, never for two messages.
 *
 * One callback per row, in this order: kind RULE rows by (channel, rule,
 * currency), then kind TOTAL rows by currency (every message of that
 * currency), then kind UNATTRIBUTED rows by currency. Amounts are minor
 * units of the account's currency; currencies are never added together.
 * Cost: the database sorts the messages and payments since `since` by
 * account and instant (twice) and returns a few rows; relance's memory does
 * not grow with them. cb returns as store_ledger_scan's. A sum beyond
 * int64 is STORE_ERR_DB (both engines refuse it), never a wrong total;
 * a negative window is STORE_ERR_INPUT.
 */
enum store_contact_kind {
	STORE_CONTACT_RULE = 0,
	STORE_CONTACT_TOTAL = 1,
	STORE_CONTACT_UNATTRIBUTED = 2,
};
struct store_contact_row {
	int kind;                  /* enum store_contact_kind */
	const char *channel;       /* "" unless RULE */
	const char *rule;          /* "" unless RULE (or when the row had none) */
	const char *currency;
	int64_t messages;          /* messages performed (0 for UNATTRIBUTED) */
	int64_t accounts;          /* distinct accounts messaged, or paying */
	int64_t messages_paid;     /* messages with at least one payment attributed */
	int64_t payments, amount;  /* payments attributed (or not), their sum */
};
typedef int (*store_contact_row_cb)(void *ctx, const struct store_contact_row *r);
int store_contact_report(struct store *s, int64_t since, int64_t window_seconds,
			 store_contact_row_cb cb, void *ctx);

/* ---- work queues ------------------------------------------------------------ */

/*
 * Agents' work queues (docs/queues.md). A task is an outbox row of channel
 * "queue" in state "done" (the action "enqueue" was performed); its id is
 * the outbox row's. Its queue is the payload's "target", its priority the
 * payload's "priority" (1 highest .. 9; 5 when absent), its text the
 * payload's "text". What agents do is kept beside it (queue_tasks):
 *
 *   open        not closed; free when nobody holds a live lease
 *   held        taken by an agent until lease_until (a take renews it)
 *   closed      closed by an agent with an outcome and a note: final
 *
 * A lease that has expired frees the task without anybody releasing it.
 * Taking or closing a task another agent holds, and anything on a closed
 * task, is STORE_ERR_CONFLICT with the reason in store_errmsg; an id that
 * is no task is STORE_ERR_INPUT ("no task ID"). take, release and close
 * run their own transaction: call them outside one. On PostgreSQL the
 * task's outbox row is locked while they decide, so that two agents taking
 * one task at the same instant get one success and one conflict.
 */
#define STORE_TASK_LEASE_SECONDS 1800
/* The outcomes a task may be closed with, space-separated. */
#define STORE_TASK_OUTCOMES "done promise plan dispute no-answer wrong-number callback " \
	"escalated not-needed"

/* One queue with open tasks (store_queues_list), in queue name order. */
struct queue_count {
	const char *queue;
	int64_t open;           /* tasks not closed */
	int64_t unassigned;     /* of those, held by nobody at `now` */
	int64_t oldest_at;      /* the oldest open task's created_at */
};
typedef int (*store_queue_cb)(void *ctx, const struct queue_count *q);
int store_queues_list(struct store *s, int64_t now, store_queue_cb cb, void *ctx);

/* A task as read. Strings are never NULL ("" for absent). */
struct task_view {
	int64_t task_id;        /* the outbox row's id */
	const char *queue, *text, *rule;
	int priority;
	const char *customer_id, *account_id;
	int64_t created_at;     /* when the action was decided */
	const char *taken_by;   /* "" when nobody holds a live lease at `now` */
	int64_t taken_at;       /* 0 when free */
	int64_t lease_until;    /* 0 when free */
	const char *closed_by;  /* "" while open */
	int64_t closed_at;
	const char *outcome, *note;
};
typedef int (*store_task_cb)(void *ctx, const struct task_view *t);

enum store_task_who {
	STORE_TASKS_ANY = 0,
	STORE_TASKS_MINE = 1,        /* held by `user` */
	STORE_TASKS_UNASSIGNED = 2,  /* held by nobody */
};
struct task_filter {
	const char *queue;      /* NULL or "": every queue */
	int who;                /* enum store_task_who */
	const char *user;       /* for STORE_TASKS_MINE */
	int64_t now;            /* leases are live when lease_until > now */
	int64_t after;          /* the cursor: the last task id of the previous page; 0 */
	int64_t limit;          /* 1 .. 1000 */
};
/*
 * The open tasks the filter selects, by (priority, created_at, task id),
 * those after the task `after` in that order; at most `limit` (cb may use
 * the store: the page is read whole first). STORE_ERR_INPUT for a bad
 * filter.
 */
int store_tasks_list(struct store *s, const struct task_filter *f, store_task_cb cb, void *ctx);
/* Calls cb once with task `task_id` (open or closed) as seen at `now`,
 * or returns STORE_ERR_INPUT "no task ID". */
int store_task_get(struct store *s, int64_t task_id, int64_t now, store_task_cb cb, void *ctx);
/* `user` holds the open task until now + lease_seconds (again: renewed). */
int store_task_take(struct store *s, int64_t task_id, const char *user, int64_t now,
		    int lease_seconds);
/* The task held by `user` is free again (nothing happens when it is free). */
int store_task_release(struct store *s, int64_t task_id, const char *user, int64_t now);
/*
 * Closes the open task (free, or held by `user`) with `outcome` (a word of
 * STORE_TASK_OUTCOMES, else STORE_ERR_INPUT) and `note` (NULL: none), and
 * writes the entry "task" on the customer's file, author `user`, in the
 * same transaction. *seq_out (may be NULL) receives the entry's seq.
 */
int store_task_close(struct store *s, int64_t task_id, const char *user, int64_t now,
		     const char *outcome, const char *note, int64_t *seq_out);

/* ---- managers' reports ------------------------------------------------------- */

/*
 * The figures of the managers' dashboard (src/cmd/dashboard.h) over a
 * period [from, to) of instants. Amounts are minor units of the row's
 * currency; currencies are never added together. Sums beyond int64 are
 * STORE_ERR_DB (both engines refuse them), never a wrong total.
 */

/*
 * Messages and the payments they brought, with the attribution of
 * store_contact_report (a payment goes to the LAST message performed to
 * its account at or before it, if it came within window_seconds of it),
 * seen from both ends of the period:
 *
 *   - messages performed in [from, to): how many, how many were followed
 *     by an attributed payment, and those payments (even after `to`, up to
 *     the window);
 *   - payments received in [from, to) ("recovered"): attributed ones to
 *     the message they are attributed to (performed in the period or up
 *     to the window before it), the others in an UNATTRIBUTED row.
 *
 * Rows: kind STORE_CONTACT_RULE by (channel, rule, currency), then kind
 * STORE_CONTACT_UNATTRIBUTED by currency (channel and rule ""; only the
 * recovered_* members set). Cost: as store_contact_report's, over the
 * messages in [from - window, to + window) and the payments in
 * [from, to + window). cb returns as store_ledger_scan's; a negative
 * window or to < from is STORE_ERR_INPUT.
 */
struct store_report_contact_row {
	int kind;                  /* STORE_CONTACT_RULE or STORE_CONTACT_UNATTRIBUTED */
	const char *channel, *rule, *currency;
	int64_t messages;          /* performed in the period */
	int64_t messages_paid;     /* of those, followed by an attributed payment */
	int64_t payments, amount;  /* attributed to those messages */
	int64_t recovered_payments, recovered_amount; /* received in the period */
};
typedef int (*store_report_contact_cb)(void *ctx, const struct store_report_contact_row *r);
int store_report_contacts(struct store *s, int64_t from, int64_t to, int64_t window_seconds,
			  store_report_contact_cb cb, void *ctx);

/*
 * Promises and plans of the period, one callback each by arrangement key:
 * those whose last change (updated_at) is in [from, to) — a promise kept
 * or broken, a plan completed or broken in the period — and those still
 * live now (store.h "arrangements") that were made before `to`. terms is
 * the stored JSON (arrange.h reads it: amount, currency). Strings are
 * never NULL. cb returns as store_ledger_scan's.
 */
struct store_report_arrangement {
	const char *arrangement_id, *kind, *state, *terms;
	int64_t created_at, updated_at;
};
typedef int (*store_report_arrangement_cb)(void *ctx, const struct store_report_arrangement *a);
int store_report_arrangements(struct store *s, int64_t from, int64_t to,
			      store_report_arrangement_cb cb, void *ctx);

/*
 * Suspensions and restorations performed in [from, to): outbox rows of
 * channel "provisioning" in state "done" with done_at in the period, by
 * (done_at, outbox id). For a restoration, paid_at is the last payment
 * received on its account at or before the restoration was decided
 * (created_at) and not before the last suspension of the account performed
 * by then: the payment that cleared the debt; 0 when there is none (a
 * credit note or a plan cleared it, or no suspension was performed).
 * jurisdiction is the customer's, to find the legal delay in the policy
 * version that decided the row. Strings are never NULL. cb returns as
 * store_ledger_scan's.
 */
struct store_report_provisioning {
	int64_t outbox_id;
	const char *action;        /* suspend, restore */
	const char *account_id, *customer_id, *jurisdiction, *rule, *payload;
	int64_t policy_version;    /* 0: none */
	int64_t created_at, done_at, paid_at;
};
typedef int (*store_report_provisioning_cb)(void *ctx,
					    const struct store_report_provisioning *p);
int store_report_provisioning(struct store *s, int64_t from, int64_t to,
			      store_report_provisioning_cb cb, void *ctx);

#endif
