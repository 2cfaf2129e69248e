/*
 * store_impl — the table of operations each engine fills in. Private to
 * src/store/: store.c dispatches every public store_* call through it.
 *
 * An engine allocates its own struct that begins with `struct store`, sets
 * `ops`, and reports failures with store_set_error (which formats into
 * s->err, truncating with "..." rather than overflowing).
 */
#ifndef RELANCE_STORE_IMPL_H
#define RELANCE_STORE_IMPL_H

#include "store.h"

/* Which arrangements a read calls back for, each once, by key. */
enum store_arrangement_by {
	STORE_ARR_ONE,       /* key and kind: the row of one id */
	STORE_ARR_ACCOUNT,   /* those covering account_key */
	STORE_ARR_CUSTOMER,  /* those of customer_id */
	STORE_ARR_ALL,
};
struct store_arrangement_sel {
	int by;              /* enum store_arrangement_by */
	int64_t key;         /* ONE: arrangement key; ACCOUNT: account key */
	const char *text;    /* ONE: kind; CUSTOMER: customer id */
	int live_only;
};

struct store_ops {
	const char *engine;
	void (*close)(struct store *s);
	int (*migrate)(struct store *s, int *from);
	int (*schema_version)(struct store *s, int *version); /* 0: none */
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	int (*rollback)(struct store *s);
	int (*import_begin)(struct store *s, const char *kind, const char *source,
			    int64_t started_at, int64_t *import_id);
	int (*import_finish)(struct store *s, int64_t import_id, int64_t rows,
			     int64_t inserted);
	int (*customers_put)(struct store *s, int64_t import_id,
			     const struct customer_row *rows, size_t n,
			     struct store_outcome *out);
	int (*accounts_put)(struct store *s, int64_t import_id,
			    const struct account_row *rows, size_t n,
			    struct store_outcome *out);
	int (*services_put)(struct store *s, int64_t import_id,
			    const struct service_row *rows, size_t n,
			    struct store_outcome *out);
	int (*invoices_put)(struct store *s, int64_t import_id,
			    const struct invoice_row *rows, size_t n,
			    struct store_outcome *out);
	int (*credits_put)(struct store *s, int64_t import_id,
			   const struct credit_row *rows, size_t n,
			   struct store_outcome *out);
	int (*accounts_find)(struct store *s, const char *const *ids, size_t n,
			     struct account_ref *out);
	int (*invoices_find)(struct store *s, const char *const *ids, size_t n,
			     struct invoice_ref *out);
	int (*ledger_scan)(struct store *s, const int64_t *keys, size_t n,
			   store_ledger_cb cb, void *ctx);
	int (*snapshots_put)(struct store *s, const int64_t *keys,
			     const struct position *snapshots, size_t n);
	int (*accounts_scan)(struct store *s, const char *account_id,
			     store_account_cb cb, void *ctx);
	int (*accounts_of_customer)(struct store *s, const char *customer_id,
				    store_customer_account_cb cb, void *ctx);
	int (*services_scan)(struct store *s, int64_t account_key,
			     store_service_cb cb, void *ctx);
	int (*customer_get)(struct store *s, const char *customer_id,
			    store_customer_cb cb, void *ctx);
	int (*file_append)(struct store *s, const char *customer_id, const char *account_id,
			   int64_t at, const char *kind, const char *author, const char *body,
			   int64_t *seq_out);
	int (*file_notes)(struct store *s, const struct file_note *v, size_t n);
	int (*file_scan)(struct store *s, const char *customer_id, store_file_cb cb, void *ctx);
	int (*policy_put)(struct store *s, const char *source_name, const char *body,
			  int64_t loaded_at, int64_t *version);
	int (*policy_get)(struct store *s, int64_t version, store_policy_cb cb, void *ctx);
	int (*policy_list)(struct store *s, store_policy_cb cb, void *ctx);
	int (*case_get)(struct store *s, int64_t account_key, store_case_cb cb, void *ctx);
	int (*cases_put)(struct store *s, const struct case_row *rows, size_t n);
	int (*cases_due)(struct store *s, int64_t now, store_case_cb cb, void *ctx);
	int (*accounts_due)(struct store *s, int64_t now, int64_t policy_version,
			    store_id_cb cb, void *ctx);
	int (*cases_touch)(struct store *s, const int64_t *keys, size_t n, int64_t at);
	int (*outbox_put)(struct store *s, const struct outbox_row *rows, size_t n,
			  struct store_outcome *out);
	int (*outbox_claim)(struct store *s, const char *worker, int64_t now,
			    int64_t lease_until, size_t max, store_outbox_cb cb, void *ctx);
	int (*outbox_finish)(struct store *s, int64_t outbox_id, const char *worker,
			     const char *state, const char *outcome, int64_t at,
			     int64_t due_at);
	int (*outbox_scan)(struct store *s, int64_t account_key, unsigned states,
			   store_outbox_cb cb, void *ctx);
	int (*outbox_sending)(struct store *s, const int64_t *ids, size_t n, const char *worker);
	int (*outbox_peer_ids)(struct store *s, int64_t outbox_id, const char *channel,
			       const char *peer_ids);
	int (*outbox_by_peer_id)(struct store *s, const char *channel, const char *peer_id,
				 store_outbox_cb cb, void *ctx);
	int (*voice_call_add)(struct store *s, const struct store_voice_call *c);
	int (*voice_calls_of)(struct store *s, int64_t outbox_id, store_voice_call_cb cb,
			      void *ctx);
	int (*voice_report_scan)(struct store *s, int64_t from, store_voice_call_cb calls,
				 store_voice_payment_cb payments, void *ctx);
	/* Provisioning state. store.c has checked the service id and the
	 * level (one of STORE_SERVICE_LEVELS); key and error are never NULL
	 * and attempts never NULL. */
	int (*service_desire)(struct store *s, const char *service_id, const char *level,
			      int64_t at, const char *key);
	int (*service_confirm)(struct store *s, const char *service_id, const char *level,
			       int64_t at);
	int (*service_attempt)(struct store *s, const char *service_id, const char *error,
			       int64_t at, int alert, int *attempts);
	int (*service_state_get)(struct store *s, const char *service_id,
				 store_service_state_cb cb, void *ctx);
	int (*service_states_scan)(struct store *s, int all, store_service_state_cb cb,
				   void *ctx);
	int (*service_state_counts)(struct store *s, int64_t *total, int64_t *drift,
				    int64_t *alerted);
	/* Serve state. store.c has checked that strings are not NULL, that
	 * hashes are hex of STORE_HASH_HEX - 1 characters, that out-pointers
	 * are set; verdict, issued, taken, found arrive zeroed. */
	int (*session_put)(struct store *s, const char *hash, const struct store_session *x);
	int (*session_get)(struct store *s, const char *hash, int64_t now, store_session_cb cb,
			   void *ctx);
	int (*session_delete)(struct store *s, const char *hash);
	int (*attempt_get)(struct store *s, const char *name, int64_t now, int window,
			   int *failures, int64_t *since);
	int (*attempt_failed)(struct store *s, const char *name, int64_t now, int window);
	int (*attempt_clear)(struct store *s, const char *name);
	int (*code_put)(struct store *s, const char *user, const char *salt, const char *hash,
			int64_t now, int64_t expires_at, int resend, int *issued);
	int (*code_get)(struct store *s, const char *user, int64_t now, char *salt, char *hash,
			int *found);
	int (*code_take)(struct store *s, const char *user, const char *hash, int64_t now,
			 int *taken);
	int (*idem_begin)(struct store *s, const char *caller, const char *key,
			  const char *fingerprint, int64_t now, int64_t expired, int64_t stale,
			  int *verdict, store_idem_cb cb, void *ctx);
	int (*idem_end)(struct store *s, const char *caller, const char *key,
			const char *fingerprint, const struct store_idem_answer *a);
	int (*serve_sweep)(struct store *s, int64_t now, int64_t idem_expired);
	int (*contact_failure)(struct store *s, const char *customer_id, const char *kind,
			       const char *value, int64_t at, int threshold, int *flagged_now);
	int (*outbox_depth)(struct store *s, int64_t now, store_outbox_depth_cb cb, void *ctx);
	int (*contact_bad)(struct store *s, const char *customer_id, const char *kind,
			   const char *value, int *bad);
	int (*contact_report)(struct store *s, int64_t since, int64_t window_seconds,
			      store_contact_row_cb cb, void *ctx);
	/* Arrangements. store.c has checked the kinds, the state and that
	 * there is an account; ids arrive parsed (key and kind) with the id
	 * itself for messages. */
	int (*arrangement_create)(struct store *s, const struct arrangement_new *a,
				  int64_t *key_out);
	int (*arrangement_update)(struct store *s, const char *id, int64_t key,
				  const char *kind, int64_t expected_version, const char *state,
				  const char *terms, int64_t at, const char *by);
	int (*arrangements_read)(struct store *s, const struct store_arrangement_sel *sel,
				 store_arrangement_cb cb, void *ctx);
	/* Users and tokens. store.c has checked the name, the kind and role
	 * (customer_id is NULL unless kind customer, password_hash never
	 * NULL), that a token's owner may have one and that a new password
	 * goes to staff; the engines look up what they reference and report
	 * "no user NAME", "user NAME exists", "no customer ID", "no token
	 * KEY" and a token hash already stored (STORE_ERR_INPUT). */
	int (*user_add)(struct store *s, const char *name, const char *kind, const char *role,
			const char *customer_id, const char *password_hash, int64_t at);
	int (*user_get)(struct store *s, const char *name, store_user_cb cb, void *ctx);
	int (*user_set_password)(struct store *s, const char *name, const char *password_hash);
	int (*user_disable)(struct store *s, const char *name, int64_t at);
	int (*token_add)(struct store *s, const char *user_name, const unsigned char hash[32],
			 const char *scopes, int64_t at, int64_t *key);
	int (*token_find)(struct store *s, const unsigned char hash[32], store_token_cb cb,
			  void *ctx);
	int (*token_revoke)(struct store *s, int64_t key, int64_t at);
	/* Managers' reports. store.c has checked from <= to and the window. */
	int (*report_contacts)(struct store *s, int64_t from, int64_t to, int64_t window_seconds,
			       store_report_contact_cb cb, void *ctx);
	int (*report_arrangements)(struct store *s, int64_t from, int64_t to,
				   store_report_arrangement_cb cb, void *ctx);
	int (*report_provisioning)(struct store *s, int64_t from, int64_t to,
				   store_report_provisioning_cb cb, void *ctx);
	/* Work queues. store.c checks the input and decides take, release and
	 * close from a read of the task (task_read with lock set: PostgreSQL
	 * locks the outbox row until the transaction ends; SQLite holds the
	 * write lock already), then writes its queue_tasks row whole: NULL or
	 * 0 for an absent column. */
	int (*queues_list)(struct store *s, int64_t now, store_queue_cb cb, void *ctx);
	int (*tasks_list)(struct store *s, const struct task_filter *f, store_task_cb cb,
			  void *ctx);
	int (*task_read)(struct store *s, int64_t task_id, int64_t now, int lock,
			 store_task_cb cb, void *ctx);
	int (*task_write)(struct store *s, int64_t task_id, const char *taken_by,
			  int64_t taken_at, int64_t lease_until, const char *closed_by,
			  int64_t closed_at, const char *outcome, const char *note);
};

/* The user columns every reader selects, in struct user_view order, the
 * user's row as u and the customer's (LEFT JOINed) as c. */
#define STORE_USER_COLUMNS \
	"u.user_key, u.name, u.kind, u.role, coalesce(c.customer_id, ''), u.password_hash, " \
	"u.created_at, coalesce(u.disabled_at, 0)"
#define STORE_USER_FROM \
	" FROM users u LEFT JOIN customers c ON c.customer_key = u.customer_key "
/* The same for tokens (struct token_view order): token t, owner u. */
#define STORE_TOKEN_COLUMNS \
	"t.token_key, u.name, u.role, t.scopes, t.created_at, coalesce(t.revoked_at, 0), " \
	"coalesce(u.disabled_at, 0)"
#define STORE_TOKEN_FROM " FROM api_tokens t JOIN users u ON u.user_key = t.user_key "


/*
 * The outbox columns every reader selects, in struct outbox_view order, with
 * absent values as the view has them (0 or ""). Plain SQL both engines read
 * the same way.
 */
#define STORE_OUTBOX_COLUMNS \
	"outbox_id, idempotency_key, account_key, channel, action, due_at, payload, " \
	"coalesce(policy_version, 0), coalesce(rule, ''), state, coalesce(lease_owner, ''), " \
	"coalesce(lease_until, 0), attempts, created_at, coalesce(done_at, 0), " \
	"coalesce(outcome, '')"
/* The bit of enum store_outbox_state for the state column, for filters. */
#define STORE_OUTBOX_STATE_BIT \
	"CASE state WHEN 'pending' THEN 1 WHEN 'claimed' THEN 2 WHEN 'done' THEN 4 " \
	"WHEN 'failed' THEN 8 WHEN 'dropped' THEN 16 WHEN 'sending' THEN 32 " \
	"WHEN 'uncertain' THEN 64 ELSE 0 END"
/*
 * The end of an attempt, on the row's id and its lease holder: "deferred"
 * goes back to pending at a new due_at, any other state is final. The
 * engines number parameters the same way: 1 id, 2 worker, 3 state, 4 at,
 * 5 outcome, 6 new due_at.
 */
#define STORE_OUTBOX_FINISH(p1, p2, p3, p4, p5, p6) \
	"UPDATE outbox SET " \
	"state = CASE WHEN " p3 " = 'deferred' THEN 'pending' ELSE " p3 " END, " \
	"due_at = CASE WHEN " p3 " = 'deferred' THEN " p6 " ELSE due_at END, " \
	"done_at = CASE WHEN " p3 " = 'deferred' THEN NULL ELSE " p4 " END, " \
	"outcome = nullif(" p5 ", ''), lease_owner = NULL, lease_until = NULL " \
	"WHERE outbox_id = " p1 " AND state IN ('claimed', 'sending') AND lease_owner = " p2
/* Claimed to sending; parameters 1 id, 2 worker. */
#define STORE_OUTBOX_SENDING(p1, p2) \
	"UPDATE outbox SET state = 'sending' WHERE outbox_id = " p1 \
	" AND state = 'claimed' AND lease_owner = " p2

/*
 * Whether the arrangement row of table alias t ("r." or "") is in a live
 * state (store.h), in SQL both engines read the same way (a truth value).
 */
#define STORE_ARRANGEMENT_LIVE(t) \
	"(CASE " t "kind WHEN 'promise' THEN " t "state = 'open' " \
	"WHEN 'plan' THEN " t "state IN ('proposed', 'current') " \
	"WHEN 'dispute' THEN " t "state IN ('open', 'review') " \
	"WHEN 'postponement' THEN " t "state = 'active' " \
	"WHEN 'handoff' THEN " t "state = 'active' ELSE 1 = 0 END)"
/* The columns every arrangement read selects, in this order; t as above. */
#define STORE_ARRANGEMENT_COLUMNS(t) \
	t "arrangement_key, " t "kind, c.customer_id, " t "state, " t "created_at, " \
	t "created_by, " t "updated_at, " t "updated_by, " t "version, " t "terms"

/*
 * Arrangement ids: the kind's prefix ("PR-", "PL-", "DS-", "PP-", "HO-")
 * and the key in decimal, no leading zero. store_arrangement_id writes one
 * into buf (size >= 32); store_arrangement_parse reads one back into the
 * key and the kind it names (a static string), returning 0, or -1 for text
 * that is no arrangement id. store_arrangement_kind is the kind's static
 * name, or NULL when `kind` is none. store_kind_listed tells whether kind
 * is a word of the space-separated `list`.
 */
void store_arrangement_id(const char *kind, int64_t key, char *buf, size_t size);
int store_arrangement_parse(const char *id, int64_t *key, const char **kind);
const char *store_arrangement_kind(const char *kind);
int store_kind_listed(const char *list, const char *kind);

/* The callback a report was given and its argument, for an engine's
 * function that reads one row of the report and hands it over. */
struct store_report_sink {
	union {
		store_contact_row_cb contact;
		store_report_contact_cb period_contact;
		store_report_arrangement_cb arrangement;
		store_report_provisioning_cb provisioning;
	} cb;
	void *ctx;
};

struct store {
	const struct store_ops *ops;
	char err[512];
};

/* printf-style; always returns `code` so engines can `return store_set_error(...)`. */
int store_set_error(struct store *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Engine constructors: on failure write a reason into err and return an error. */
int store_sqlite_open(const char *path, struct store **out, char *err, size_t errsize);
int store_postgres_open(const char *url, struct store **out, char *err, size_t errsize);

/* The migration scripts, generated at build time from migrations/<engine>/NNN_*.sql:
 * migrations[i] brings the schema from version i to i + 1. */
extern const char *const store_sqlite_migrations[];
extern const char *const store_postgres_migrations[];
extern const int store_migration_count;

#endif
