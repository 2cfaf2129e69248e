/*
 * store — dispatch of the public interface to the engine chosen by URL.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_impl.h"

int store_set_error(struct store *s, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(s->err))
		memcpy(s->err + sizeof(s->err) - 4, "...", 4);
	return code;
}

static int is_postgres_url(const char *url)
{
	return strncmp(url, "postgresql://", 13) == 0 ||
	       strncmp(url, "postgres://", 11) == 0;
}

int store_open(const char *url, struct store **out, char *err, size_t errsize)
{
	return store_open_ex(url, 0, out, err, errsize);
}

int store_open_ex(const char *url, int flags, struct store **out, char *err, size_t errsize)
{
	*out = NULL;
	if (url == NULL || *url == '\0') {
		snprintf(err, errsize, "empty database URL");
		return STORE_ERR_INPUT;
	}
	if (is_postgres_url(url))
		return store_postgres_open(url, out, err, errsize);
	if (strncmp(url, "sqlite:", 7) == 0)
		url += 7;
	if (strstr(url, "://") != NULL) {
		snprintf(err, errsize, "%s: unknown database URL scheme "
			 "(expected a SQLite file path or postgresql://...)", url);
		return STORE_ERR_INPUT;
	}
	if (!(flags & STORE_OPEN_CREATE) && access(url, F_OK) != 0) {
		snprintf(err, errsize, "%s: no such database: run `relance init` first", url);
		return STORE_ERR_INPUT;
	}
	return store_sqlite_open(url, out, err, errsize);
}

void store_url_redact(const char *url, char *buf, size_t size)
{
	const char *auth = strstr(url, "://"), *at, *colon, *pw;
	size_t len = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (auth == NULL) {
		snprintf(buf, size, "%s", url);
		return;
	}
	auth += 3;
	at = strchr(auth, '@');
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (at != NULL && strchr(auth, '/') != NULL && strchr(auth, '/') < at)
		colon = NULL;   /* the '@' is in the path, not the authority */
	if (colon != NULL)
		len = (size_t)snprintf(buf, size, "%.*s:***%s", (int)(colon - url), url, at);
	else
		len = (size_t)snprintf(buf, size, "%s", url);
	if (len >= size)
		return;
	/* "?password=..." / "&password=...": hide the value up to the next '&'. */
	pw = strstr(buf, "password=");
	if (pw != NULL && pw > buf && (pw[-1] == '?' || pw[-1] == '&')) {
		char *v = (char *)pw + 9, *end = strchr(v, '&');
		char rest[512];

		snprintf(rest, sizeof(rest), "%s", end ? end : "");
		snprintf(v, size - (size_t)(v - buf), "***%s", rest);
	}
}

void store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

const char *store_errmsg(const struct store *s) { return s->err; }
const char *store_engine(const struct store *s) { return s->ops->engine; }

int store_migrate(struct store *s, int *from) { return s->ops->migrate(s, from); }

int store_check_schema(struct store *s)
{
	int v = 0, rc = s->ops->schema_version(s, &v);

	if (rc != STORE_OK)
		return rc;
	if (v == 0)
		return store_set_error(s, STORE_ERR_SCHEMA,
				       "no relance schema in this database: run `relance init`");
	if (v > STORE_SCHEMA_VERSION)
		return store_set_error(s, STORE_ERR_INPUT,
				       "database schema version %d is newer than this relance (%d): "
				       "upgrade relance", v, STORE_SCHEMA_VERSION);
	if (v < STORE_SCHEMA_VERSION)
		return store_set_error(s, STORE_ERR_SCHEMA,
				       "database schema version %d is older than this relance (%d): "
				       "run `relance init` to migrate", v, STORE_SCHEMA_VERSION);
	return STORE_OK;
}

int store_begin(struct store *s) { return s->ops->begin(s); }
int store_commit(struct store *s) { return s->ops->commit(s); }
int store_rollback(struct store *s) { return s->ops->rollback(s); }

int store_import_begin(struct store *s, const char *kind, const char *source,
		       int64_t started_at, int64_t *import_id)
{
	return s->ops->import_begin(s, kind, source, started_at, import_id);
}

int store_import_finish(struct store *s, int64_t import_id, int64_t rows, int64_t inserted)
{
	return s->ops->import_finish(s, import_id, rows, inserted);
}

int store_customers_put(struct store *s, int64_t import_id,
			const struct customer_row *rows, size_t n, struct store_outcome *out)
{
	return s->ops->customers_put(s, import_id, rows, n, out);
}

int store_accounts_put(struct store *s, int64_t import_id,
		       const struct account_row *rows, size_t n, struct store_outcome *out)
{
	return s->ops->accounts_put(s, import_id, rows, n, out);
}

int store_services_put(struct store *s, int64_t import_id,
		       const struct service_row *rows, size_t n, struct store_outcome *out)
{
	return s->ops->services_put(s, import_id, rows, n, out);
}

int store_invoices_put(struct store *s, int64_t import_id,
		       const struct invoice_row *rows, size_t n, struct store_outcome *out)
{
	return s->ops->invoices_put(s, import_id, rows, n, out);
}

int store_credits_put(struct store *s, int64_t import_id,
		      const struct credit_row *rows, size_t n, struct store_outcome *out)
{
	return s->ops->credits_put(s, import_id, rows, n, out);
}

int store_accounts_find(struct store *s, const char *const *ids, size_t n,
			struct account_ref *out)
{
	return s->ops->accounts_find(s, ids, n, out);
}

int store_invoices_find(struct store *s, const char *const *ids, size_t n,
			struct invoice_ref *out)
{
	return s->ops->invoices_find(s, ids, n, out);
}

int store_ledger_scan(struct store *s, const int64_t *keys, size_t n,
		      store_ledger_cb cb, void *ctx)
{
	return s->ops->ledger_scan(s, keys, n, cb, ctx);
}

int store_snapshots_put(struct store *s, const int64_t *keys,
			const struct position *snapshots, size_t n)
{
	return s->ops->snapshots_put(s, keys, snapshots, n);
}

int store_accounts_scan(struct store *s, const char *account_id,
			store_account_cb cb, void *ctx)
{
	return s->ops->accounts_scan(s, account_id, cb, ctx);
}

int store_accounts_of_customer(struct store *s, const char *customer_id,
			       store_customer_account_cb cb, void *ctx)
{
	return s->ops->accounts_of_customer(s, customer_id, cb, ctx);
}

int store_services_scan(struct store *s, int64_t account_key,
			store_service_cb cb, void *ctx)
{
	return s->ops->services_scan(s, account_key, cb, ctx);
}

int store_customer_get(struct store *s, const char *customer_id,
		       store_customer_cb cb, void *ctx)
{
	return s->ops->customer_get(s, customer_id, cb, ctx);
}

int store_file_append(struct store *s, const char *customer_id, const char *account_id,
		      int64_t at, const char *kind, const char *author, const char *body,
		      int64_t *seq_out)
{
	return s->ops->file_append(s, customer_id, account_id, at, kind, author, body, seq_out);
}

int store_file_notes(struct store *s, const struct file_note *v, size_t n)
{
	return n == 0 ? STORE_OK : s->ops->file_notes(s, v, n);
}

int store_file_scan(struct store *s, const char *customer_id, store_file_cb cb, void *ctx)
{
	return s->ops->file_scan(s, customer_id, cb, ctx);
}

int store_policy_put(struct store *s, const char *source_name, const char *body,
		     int64_t loaded_at, int64_t *version)
{
	return s->ops->policy_put(s, source_name, body, loaded_at, version);
}

int store_policy_get(struct store *s, int64_t version, store_policy_cb cb, void *ctx)
{
	return s->ops->policy_get(s, version, cb, ctx);
}

int store_policy_list(struct store *s, store_policy_cb cb, void *ctx)
{
	return s->ops->policy_list(s, cb, ctx);
}

/* ---- cases and the outbox ---------------------------------------------------- */

int store_case_get(struct store *s, int64_t account_key, store_case_cb cb, void *ctx)
{
	return s->ops->case_get(s, account_key, cb, ctx);
}

int store_cases_put(struct store *s, const struct case_row *rows, size_t n)
{
	return s->ops->cases_put(s, rows, n);
}

int store_accounts_due(struct store *s, int64_t now, int64_t policy_version,
		       store_id_cb cb, void *ctx)
{
	return s->ops->accounts_due(s, now, policy_version, cb, ctx);
}

int store_cases_touch(struct store *s, const int64_t *keys, size_t n, int64_t at)
{
	return s->ops->cases_touch(s, keys, n, at);
}

int store_cases_due(struct store *s, int64_t now, store_case_cb cb, void *ctx)
{
	return s->ops->cases_due(s, now, cb, ctx);
}

int store_outbox_put(struct store *s, const struct outbox_row *rows, size_t n,
		     struct store_outcome *out)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].idempotency_key == NULL || rows[i].idempotency_key[0] == '\0' ||
		    rows[i].channel == NULL || rows[i].action == NULL)
			return store_set_error(s, STORE_ERR_INPUT, "outbox row %zu: no "
					       "idempotency key, channel or action", i + 1);
	return s->ops->outbox_put(s, rows, n, out);
}

int store_outbox_claim(struct store *s, const char *worker, int64_t now, int lease_seconds,
		       size_t max, store_outbox_cb cb, void *ctx)
{
	if (worker == NULL || worker[0] == '\0' || lease_seconds <= 0)
		return store_set_error(s, STORE_ERR_INPUT, "claiming the outbox: a worker "
				       "name and a positive lease are required");
	if (max == 0)
		return STORE_OK;
	return s->ops->outbox_claim(s, worker, now, now + lease_seconds, max, cb, ctx);
}

int store_outbox_finish(struct store *s, int64_t outbox_id, const char *worker,
			const char *state, const char *outcome, int64_t at,
			int64_t due_at_if_deferred)
{
	static const char *const finals[] = { "done", "failed", "dropped", "uncertain",
					      "deferred" };
	size_t i;

	for (i = 0; i < sizeof(finals) / sizeof(finals[0]); i++)
		if (state != NULL && strcmp(state, finals[i]) == 0)
			break;
	if (i == sizeof(finals) / sizeof(finals[0]))
		return store_set_error(s, STORE_ERR_INPUT, "outbox row %lld: unknown final "
				       "state %s", (long long)outbox_id, state ? state : "(none)");
	if (worker == NULL)
		worker = "";
	return s->ops->outbox_finish(s, outbox_id, worker, state, outcome ? outcome : "", at,
				     due_at_if_deferred);
}

int store_outbox_scan(struct store *s, int64_t account_key, unsigned states,
		      store_outbox_cb cb, void *ctx)
{
	return s->ops->outbox_scan(s, account_key, states == 0 ? 127u : states, cb, ctx);
}

int store_outbox_sending(struct store *s, const int64_t *outbox_ids, size_t n,
			 const char *worker)
{
	return n == 0 ? STORE_OK : s->ops->outbox_sending(s, outbox_ids, n, worker ? worker : "");
}

int store_outbox_peer_ids(struct store *s, int64_t outbox_id, const char *channel,
			  const char *peer_ids)
{
	if (peer_ids == NULL || peer_ids[0] == '\0')
		return STORE_OK;
	return s->ops->outbox_peer_ids(s, outbox_id, channel, peer_ids);
}

int store_contact_failure(struct store *s, const char *customer_id, const char *kind,
			  const char *value, int64_t at, int threshold, int *flagged_now)
{
	*flagged_now = 0;
	if (value == NULL || value[0] == '\0')
		return STORE_OK;
	return s->ops->contact_failure(s, customer_id, kind, value, at,
				       threshold > 0 ? threshold : 1, flagged_now);
}

int store_voice_call_add(struct store *s, const struct store_voice_call *c)
{
	if (c->outcome == NULL || c->share < 0 || c->share > 1000)
		return store_set_error(s, STORE_ERR_INPUT, "a call's outcome or share is out of range");
	return s->ops->voice_call_add(s, c);
}

int store_voice_calls_of(struct store *s, int64_t outbox_id, store_voice_call_cb cb, void *ctx)
{
	return s->ops->voice_calls_of(s, outbox_id, cb, ctx);
}

int store_voice_report_scan(struct store *s, int64_t from, store_voice_call_cb calls,
			    store_voice_payment_cb payments, void *ctx)
{
	return s->ops->voice_report_scan(s, from, calls, payments, ctx);
}

/* ---- provisioning state ------------------------------------------------------ */

/* What every call checks before the engine: a service id (whether it names
 * a service is the engine's to find), and a level when level_needed. */
static int service_args(struct store *s, const char *service_id, const char *level,
			int level_needed)
{
	if (service_id == NULL || service_id[0] == '\0')
		return store_set_error(s, STORE_ERR_INPUT, "provisioning state: no service id");
	if (!level_needed)
		return STORE_OK;
	if (level == NULL || !store_kind_listed(STORE_SERVICE_LEVELS, level))
		return store_set_error(s, STORE_ERR_INPUT, "service %s: unknown level %s "
				       "(expected one of: %s)", service_id,
				       level ? level : "(none)", STORE_SERVICE_LEVELS);
	return STORE_OK;
}

int store_service_desire(struct store *s, const char *service_id, const char *level, int64_t at,
			 const char *key)
{
	int rc = service_args(s, service_id, level, 1);

	if (rc != STORE_OK)
		return rc;
	return s->ops->service_desire(s, service_id, level, at, key ? key : "");
}

int store_service_confirm(struct store *s, const char *service_id, const char *level, int64_t at)
{
	int rc = service_args(s, service_id, level, 1);

	if (rc != STORE_OK)
		return rc;
	return s->ops->service_confirm(s, service_id, level, at);
}

int store_service_attempt(struct store *s, const char *service_id, const char *error, int64_t at,
			  int alert, int *attempts)
{
	int n = 0, rc = service_args(s, service_id, NULL, 0);

	if (attempts != NULL)
		*attempts = 0;
	if (rc != STORE_OK)
		return rc;
	rc = s->ops->service_attempt(s, service_id, error ? error : "", at, alert != 0, &n);
	if (rc == STORE_OK && attempts != NULL)
		*attempts = n;
	return rc;
}

int store_service_state_get(struct store *s, const char *service_id, store_service_state_cb cb,
			    void *ctx)
{
	int rc = service_args(s, service_id, NULL, 0);

	if (rc != STORE_OK)
		return rc;
	return s->ops->service_state_get(s, service_id, cb, ctx);
}

int store_service_states_scan(struct store *s, int all, store_service_state_cb cb, void *ctx)
{
	return s->ops->service_states_scan(s, all != 0, cb, ctx);
}

int store_service_state_counts(struct store *s, int64_t *total, int64_t *drift, int64_t *alerted)
{
	int64_t t = 0, d = 0, a = 0;
	int rc = s->ops->service_state_counts(s, &t, &d, &a);

	/* All three or none: a failed read leaves zeros, never half a reading. */
	if (rc != STORE_OK)
		t = d = a = 0;
	if (total != NULL)
		*total = t;
	if (drift != NULL)
		*drift = d;
	if (alerted != NULL)
		*alerted = a;
	return rc;
}

int store_outbox_depth(struct store *s, int64_t now, store_outbox_depth_cb cb, void *ctx)
{
	return s->ops->outbox_depth(s, now, cb, ctx);
}

int store_contact_bad(struct store *s, const char *customer_id, const char *kind,
		      const char *value, int *bad)
{
	*bad = 0;
	if (value == NULL || value[0] == '\0')
		return STORE_OK;
	return s->ops->contact_bad(s, customer_id, kind, value, bad);
}

int store_outbox_by_peer_id(struct store *s, const char *channel, const char *peer_id,
			    store_outbox_cb cb, void *ctx)
{
	return s->ops->outbox_by_peer_id(s, channel, peer_id, cb, ctx);
}

int store_contact_report(struct store *s, int64_t since, int64_t window_seconds,
			 store_contact_row_cb cb, void *ctx)
{
	if (window_seconds < 0)
		return store_set_error(s, STORE_ERR_INPUT, "a negative attribution window");
	return s->ops->contact_report(s, since, window_seconds, cb, ctx);
}

/* ---- arrangements ------------------------------------------------------------ */

static const struct {
	const char *kind, *prefix;
} arrangement_kinds[] = {
	{ "promise", "PR-" },
	{ "plan", "PL-" },
	{ "dispute", "DS-" },
	{ "postponement", "PP-" },
	{ "handoff", "HO-" },
};
#define N_ARRANGEMENT_KINDS (sizeof(arrangement_kinds) / sizeof(arrangement_kinds[0]))

/* The index of a kind of `len` bytes, or -1. */
static int arrangement_kind_index(const char *kind, size_t len)
{
	for (size_t i = 0; kind != NULL && i < N_ARRANGEMENT_KINDS; i++)
		if (strlen(arrangement_kinds[i].kind) == len &&
		    memcmp(arrangement_kinds[i].kind, kind, len) == 0)
			return (int)i;
	return -1;
}

const char *store_arrangement_kind(const char *kind)
{
	int i = kind ? arrangement_kind_index(kind, strlen(kind)) : -1;

	return i < 0 ? NULL : arrangement_kinds[i].kind;
}

void store_arrangement_id(const char *kind, int64_t key, char *buf, size_t size)
{
	int i = arrangement_kind_index(kind, strlen(kind));

	assert(i >= 0 && key > 0);
	snprintf(buf, size, "%s%lld", arrangement_kinds[i].prefix, (long long)key);
}

int store_arrangement_parse(const char *id, int64_t *key, const char **kind)
{
	int64_t v = 0;
	const char *p;
	size_t i;

	if (id == NULL)
		return -1;
	for (i = 0; i < N_ARRANGEMENT_KINDS; i++)
		if (strncmp(id, arrangement_kinds[i].prefix, 3) == 0)
			break;
	if (i == N_ARRANGEMENT_KINDS)
		return -1;
	p = id + 3;
	/* Digits only, and no leading zero: "PR-07" would name PR-7 twice. */
	if (*p < '1' || *p > '9')
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	*key = v;
	*kind = arrangement_kinds[i].kind;
	return 0;
}

int store_kind_listed(const char *list, const char *kind)
{
	size_t len = strlen(kind);

	while (list != NULL && *list) {
		size_t n = strcspn(list, " ");

		if (n == len && memcmp(list, kind, len) == 0)
			return 1;
		list += n;
		list += strspn(list, " ");
	}
	return 0;
}

int store_arrangement_create(struct store *s, const struct arrangement_new *a,
			     char *id_out, size_t id_size)
{
	const char *k;
	int64_t key = 0;
	int rc;

	assert(a != NULL && id_out != NULL && id_size >= 32);
	id_out[0] = '\0';
	if ((k = store_arrangement_kind(a->kind)) == NULL)
		return store_set_error(s, STORE_ERR_INPUT, "unknown arrangement kind %s",
				       a->kind ? a->kind : "(none)");
	if (a->state == NULL || a->state[0] == '\0')
		return store_set_error(s, STORE_ERR_INPUT, "a new %s needs a state", k);
	if (a->n_accounts == 0 || a->account_ids == NULL)
		return store_set_error(s, STORE_ERR_INPUT, "a %s covers at least one account", k);
	for (size_t i = 0; i < a->n_accounts; i++) {
		if (a->account_ids[i] == NULL || a->account_ids[i][0] == '\0')
			return store_set_error(s, STORE_ERR_INPUT, "a %s with an empty account id",
					       k);
		for (size_t j = 0; j < i; j++)
			if (strcmp(a->account_ids[i], a->account_ids[j]) == 0)
				return store_set_error(s, STORE_ERR_INPUT, "account %s is named "
						       "twice", a->account_ids[i]);
	}
	for (const char *p = a->exclusive_kinds; p != NULL && *p;) {
		size_t n = strcspn(p, " ");

		if (n > 0 && arrangement_kind_index(p, n) < 0)
			return store_set_error(s, STORE_ERR_INPUT, "unknown arrangement kind %.*s "
					       "among the exclusive kinds", (int)n, p);
		p += n;
		p += strspn(p, " ");
	}
	if ((rc = s->ops->arrangement_create(s, a, &key)) == STORE_OK)
		store_arrangement_id(k, key, id_out, id_size);
	return rc;
}

int store_arrangement_update(struct store *s, const char *arrangement_id,
			     int64_t expected_version, const char *state,
			     const char *terms, int64_t at, const char *by)
{
	const char *kind;
	int64_t key;

	if (store_arrangement_parse(arrangement_id, &key, &kind) != 0)
		return store_set_error(s, STORE_ERR_INPUT, "no arrangement %s",
				       arrangement_id ? arrangement_id : "(none)");
	if (state == NULL || state[0] == '\0')
		return store_set_error(s, STORE_ERR_INPUT, "arrangement %s: no new state",
				       arrangement_id);
	return s->ops->arrangement_update(s, arrangement_id, key, kind, expected_version, state,
					  terms, at, by ? by : "");
}

int store_arrangement_get(struct store *s, const char *arrangement_id,
			  store_arrangement_cb cb, void *ctx)
{
	struct store_arrangement_sel sel = { STORE_ARR_ONE, 0, NULL, 0 };

	if (store_arrangement_parse(arrangement_id, &sel.key, &sel.text) != 0)
		return store_set_error(s, STORE_ERR_INPUT, "no arrangement %s",
				       arrangement_id ? arrangement_id : "(none)");
	return s->ops->arrangements_read(s, &sel, cb, ctx);
}

int store_arrangements_of_account(struct store *s, int64_t account_key, int live_only,
				  store_arrangement_cb cb, void *ctx)
{
	struct store_arrangement_sel sel = { STORE_ARR_ACCOUNT, account_key, NULL, live_only };

	return s->ops->arrangements_read(s, &sel, cb, ctx);
}

int store_arrangements_of_customer(struct store *s, const char *customer_id, int live_only,
				   store_arrangement_cb cb, void *ctx)
{
	struct store_arrangement_sel sel = {
		customer_id != NULL ? STORE_ARR_CUSTOMER : STORE_ARR_ALL, 0, customer_id,
		live_only
	};

	return s->ops->arrangements_read(s, &sel, cb, ctx);
}

/* ---- users and API tokens -------------------------------------------------------- */

/* Which roles each kind of user may have (store.h, docs/roles.md). */
static const struct {
	const char *kind;
	const char *roles;    /* space-separated */
} user_kinds[] = {
	{ "staff", "agent supervisor manager administrator" },
	{ "customer", "customer" },
	{ "api", "api" },
};
#define N_USER_KINDS (sizeof(user_kinds) / sizeof(user_kinds[0]))

static int is_none(const char *v) { return v == NULL || v[0] == '\0'; }

/* "a staff user", "a customer user", "an API user", for messages. */
static const char *user_kind_phrase(const char *kind)
{
	if (strcmp(kind, "staff") == 0)
		return "a staff user";
	if (strcmp(kind, "customer") == 0)
		return "a customer user";
	return "an API user";
}

/* Names are typed on command lines and shown in logs and on the customer
 * file: one word of printable text, so that nobody can pass for another
 * with a trailing space or a control character. */
static int user_name_check(struct store *s, const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0)
		return store_set_error(s, STORE_ERR_INPUT, "a user needs a name");
	if (len > STORE_USER_NAME_MAX)
		return store_set_error(s, STORE_ERR_INPUT, "a user name is at most %d bytes",
				       STORE_USER_NAME_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			return store_set_error(s, STORE_ERR_INPUT, "user name '%s': no spaces or "
					       "control characters", name);
	return STORE_OK;
}

int store_user_add(struct store *s, const char *name, const char *kind, const char *role,
		   const char *customer_id, const char *password_hash, int64_t at)
{
	size_t k;
	int rc;

	if ((rc = user_name_check(s, name)) != STORE_OK)
		return rc;
	for (k = 0; k < N_USER_KINDS; k++)
		if (kind != NULL && strcmp(kind, user_kinds[k].kind) == 0)
			break;
	if (k == N_USER_KINDS)
		return store_set_error(s, STORE_ERR_INPUT, "user %s: unknown kind %s (staff, "
				       "customer or api)", name, kind ? kind : "(none)");
	if (is_none(role) || !store_kind_listed(user_kinds[k].roles, role))
		return store_set_error(s, STORE_ERR_INPUT, "user %s: %s has the role %s, "
				       "not %s", name, user_kind_phrase(kind),
				       k == 0 ? "agent, supervisor, manager or administrator" :
				       user_kinds[k].roles, is_none(role) ? "none" : role);
	if (strcmp(kind, "customer") == 0 && is_none(customer_id))
		return store_set_error(s, STORE_ERR_INPUT, "user %s: a customer user needs "
				       "a customer id", name);
	if (strcmp(kind, "customer") != 0 && !is_none(customer_id))
		return store_set_error(s, STORE_ERR_INPUT, "user %s: only a customer user has "
				       "a customer id", name);
	/* Portal users sign in with one-time codes, API clients with tokens. */
	if (strcmp(kind, "staff") != 0 && !is_none(password_hash))
		return store_set_error(s, STORE_ERR_INPUT, "user %s: %s has no password",
				       name, user_kind_phrase(kind));
	return s->ops->user_add(s, name, user_kinds[k].kind, role,
				is_none(customer_id) ? NULL : customer_id,
				password_hash ? password_hash : "", at);
}

int store_user_get(struct store *s, const char *name, store_user_cb cb, void *ctx)
{
	if (is_none(name))
		return store_set_error(s, STORE_ERR_INPUT, "no user (empty name)");
	return s->ops->user_get(s, name, cb, ctx);
}

/* What store.c needs of a user to check a change: copied, as the view is
 * only valid during the callback. */
struct user_facts {
	char kind[16];
	int64_t disabled_at;
};

static int keep_user_facts(void *ctx, const struct user_view *u)
{
	struct user_facts *f = ctx;

	snprintf(f->kind, sizeof(f->kind), "%s", u->kind);
	f->disabled_at = u->disabled_at;
	return STORE_OK;
}

int store_user_set_password(struct store *s, const char *name, const char *password_hash)
{
	struct user_facts f = { "", 0 };
	int rc;

	if (is_none(password_hash))
		return store_set_error(s, STORE_ERR_INPUT, "user %s: an empty password hash",
				       name ? name : "(none)");
	if ((rc = store_user_get(s, name, keep_user_facts, &f)) != STORE_OK)
		return rc;
	if (strcmp(f.kind, "staff") != 0)
		return store_set_error(s, STORE_ERR_INPUT, "user %s: %s has no password",
				       name, user_kind_phrase(f.kind));
	return s->ops->user_set_password(s, name, password_hash);
}

int store_user_disable(struct store *s, const char *name, int64_t at)
{
	if (is_none(name))
		return store_set_error(s, STORE_ERR_INPUT, "no user (empty name)");
	return s->ops->user_disable(s, name, at);
}

int store_token_add(struct store *s, const char *user_name, const unsigned char hash[32],
		    const char *scopes, int64_t at, int64_t *key)
{
	struct user_facts f = { "", 0 };
	int rc;

	assert(hash != NULL && key != NULL);
	*key = 0;
	if ((rc = store_user_get(s, user_name, keep_user_facts, &f)) != STORE_OK)
		return rc;
	if (strcmp(f.kind, "customer") == 0)
		return store_set_error(s, STORE_ERR_INPUT, "user %s is a customer: API tokens "
				       "are for staff and API clients", user_name);
	if (f.disabled_at != 0)
		return store_set_error(s, STORE_ERR_INPUT, "user %s is disabled", user_name);
	return s->ops->token_add(s, user_name, hash, scopes ? scopes : "", at, key);
}

int store_token_find(struct store *s, const unsigned char hash[32], store_token_cb cb, void *ctx)
{
	assert(hash != NULL);
	return s->ops->token_find(s, hash, cb, ctx);
}

int store_token_revoke(struct store *s, int64_t key, int64_t at)
{
	if (key <= 0)
		return store_set_error(s, STORE_ERR_INPUT, "no token %lld", (long long)key);
	return s->ops->token_revoke(s, key, at);
}

/* ---- managers' reports ------------------------------------------------------- */

static int report_period(struct store *s, int64_t from, int64_t to)
{
	if (to < from)
		return store_set_error(s, STORE_ERR_INPUT, "a period that ends before it starts");
	return STORE_OK;
}

int store_report_contacts(struct store *s, int64_t from, int64_t to, int64_t window_seconds,
			  store_report_contact_cb cb, void *ctx)
{
	if (window_seconds < 0)
		return store_set_error(s, STORE_ERR_INPUT, "a negative attribution window");
	if (report_period(s, from, to) != STORE_OK)
		return STORE_ERR_INPUT;
	return s->ops->report_contacts(s, from, to, window_seconds, cb, ctx);
}

int store_report_arrangements(struct store *s, int64_t from, int64_t to,
			      store_report_arrangement_cb cb, void *ctx)
{
	if (report_period(s, from, to) != STORE_OK)
		return STORE_ERR_INPUT;
	return s->ops->report_arrangements(s, from, to, cb, ctx);
}

int store_report_provisioning(struct store *s, int64_t from, int64_t to,
			      store_report_provisioning_cb cb, void *ctx)
{
	if (report_period(s, from, to) != STORE_OK)
		return STORE_ERR_INPUT;
	return s->ops->report_provisioning(s, from, to, cb, ctx);
}

/* ---- work queues -------------------------------------------------------------- */

int store_queues_list(struct store *s, int64_t now, store_queue_cb cb, void *ctx)
{
	return s->ops->queues_list(s, now, cb, ctx);
}

int store_tasks_list(struct store *s, const struct task_filter *f, store_task_cb cb, void *ctx)
{
	assert(f != NULL);
	if (f->limit < 1 || f->limit > 1000 || f->after < 0)
		return store_set_error(s, STORE_ERR_INPUT, "a page is 1 to 1000 tasks after a "
				       "task id");
	if (f->who < STORE_TASKS_ANY || f->who > STORE_TASKS_UNASSIGNED ||
	    (f->who == STORE_TASKS_MINE && (f->user == NULL || f->user[0] == '\0')))
		return store_set_error(s, STORE_ERR_INPUT, "whose tasks: any, mine (with a user) "
				       "or unassigned");
	return s->ops->tasks_list(s, f, cb, ctx);
}

int store_task_get(struct store *s, int64_t task_id, int64_t now, store_task_cb cb, void *ctx)
{
	return s->ops->task_read(s, task_id, now, 0, cb, ctx);
}

/* What take, release and close decide on: a copy of the task read. */
struct task_facts {
	int found;
	char queue[128], customer_id[128], account_id[128], taken_by[128], closed_by[128];
	char text[512];
	int64_t taken_at, lease_until;
	int closed;
};

static int keep_task_facts(void *ctx, const struct task_view *t)
{
	struct task_facts *f = ctx;

	f->found = 1;
	snprintf(f->queue, sizeof(f->queue), "%s", t->queue);
	snprintf(f->customer_id, sizeof(f->customer_id), "%s", t->customer_id);
	snprintf(f->account_id, sizeof(f->account_id), "%s", t->account_id);
	snprintf(f->taken_by, sizeof(f->taken_by), "%s", t->taken_by);
	snprintf(f->closed_by, sizeof(f->closed_by), "%s", t->closed_by);
	snprintf(f->text, sizeof(f->text), "%s", t->text);
	f->taken_at = t->taken_at;
	f->lease_until = t->lease_until;
	f->closed = t->closed_at != 0;
	return 0;
}

/*
 * Opens the transaction and reads task_id locked; answers why `user` may
 * not act on it (no task, closed, held by another agent). On success the
 * transaction stays open for the caller; on failure it is rolled back.
 */
static int task_begin(struct store *s, int64_t task_id, const char *user, int64_t now,
		      struct task_facts *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	if (user == NULL || user[0] == '\0' || strlen(user) >= sizeof(f->taken_by))
		return store_set_error(s, STORE_ERR_INPUT, "a task is taken or closed by a named "
				       "user");
	if (task_id <= 0)
		return store_set_error(s, STORE_ERR_INPUT, "no task %lld", (long long)task_id);
	if ((rc = s->ops->begin(s)) != STORE_OK)
		return rc;
	rc = s->ops->task_read(s, task_id, now, 1, keep_task_facts, f);
	if (rc == STORE_OK && !f->found)
		rc = store_set_error(s, STORE_ERR_INPUT, "no task %lld", (long long)task_id);
	else if (rc == STORE_OK && f->closed)
		rc = store_set_error(s, STORE_ERR_CONFLICT, "task %lld was closed by %s",
				     (long long)task_id, f->closed_by);
	else if (rc == STORE_OK && f->taken_by[0] != '\0' && strcmp(f->taken_by, user) != 0)
		rc = store_set_error(s, STORE_ERR_CONFLICT, "task %lld is held by %s",
				     (long long)task_id, f->taken_by);
	if (rc != STORE_OK) {
		char why[sizeof(s->err)];

		/* The rollback must not replace the reason. */
		snprintf(why, sizeof(why), "%s", s->err);
		s->ops->rollback(s);
		snprintf(s->err, sizeof(s->err), "%s", why);
	}
	return rc;
}

/* Commits, or rolls back keeping the reason of the failure `rc`. */
static int task_end(struct store *s, int rc)
{
	char why[sizeof(s->err)];

	if (rc == STORE_OK)
		rc = s->ops->commit(s);
	if (rc != STORE_OK) {
		snprintf(why, sizeof(why), "%s", s->err);
		s->ops->rollback(s);
		snprintf(s->err, sizeof(s->err), "%s", why);
	}
	return rc;
}

int store_task_take(struct store *s, int64_t task_id, const char *user, int64_t now,
		    int lease_seconds)
{
	struct task_facts f;
	int rc;

	if (lease_seconds <= 0)
		return store_set_error(s, STORE_ERR_INPUT, "a lease lasts a positive number of "
				       "seconds");
	if ((rc = task_begin(s, task_id, user, now, &f)) != STORE_OK)
		return rc;
	/* Taken again by its holder: the lease is renewed, taken_at kept. */
	rc = s->ops->task_write(s, task_id, user, f.taken_by[0] ? f.taken_at : now,
				now + lease_seconds, NULL, 0, NULL, NULL);
	return task_end(s, rc);
}

int store_task_release(struct store *s, int64_t task_id, const char *user, int64_t now)
{
	struct task_facts f;
	int rc;

	if ((rc = task_begin(s, task_id, user, now, &f)) != STORE_OK)
		return rc;
	if (f.taken_by[0] != '\0')
		rc = s->ops->task_write(s, task_id, NULL, 0, 0, NULL, 0, NULL, NULL);
	return task_end(s, rc);
}

int store_task_close(struct store *s, int64_t task_id, const char *user, int64_t now,
		     const char *outcome, const char *note, int64_t *seq_out)
{
	struct task_facts f;
	char *body = NULL;
	size_t len;
	int64_t seq = 0;
	int rc;

	if (outcome == NULL || !store_kind_listed(STORE_TASK_OUTCOMES, outcome))
		return store_set_error(s, STORE_ERR_INPUT, "outcome '%.64s' is not one of: %s",
				       outcome ? outcome : "", STORE_TASK_OUTCOMES);
	if (note != NULL && strlen(note) > 8000)
		return store_set_error(s, STORE_ERR_INPUT, "a note is at most 8000 bytes");
	if ((rc = task_begin(s, task_id, user, now, &f)) != STORE_OK)
		return rc;
	rc = s->ops->task_write(s, task_id, f.taken_by[0] ? f.taken_by : NULL, f.taken_at, 0,
				user, now, outcome, note ? note : "");
	/* The file says who closed what, and why, as every action on it does. */
	len = strlen(f.queue) + strlen(f.text) + strlen(outcome) + (note ? strlen(note) : 0) + 128;
	if (rc == STORE_OK && (body = malloc(len)) == NULL)
		rc = store_set_error(s, STORE_ERR_NOMEM, "out of memory");
	if (rc == STORE_OK) {
		snprintf(body, len, "task %lld on queue %s closed: %s%s%s%s%s", (long long)task_id,
			 f.queue, outcome, note && note[0] ? ": " : "", note ? note : "",
			 f.text[0] ? " (task: " : "", f.text[0] ? f.text : "");
		if (f.text[0])
			snprintf(body + strlen(body), len - strlen(body), ")");
		rc = s->ops->file_append(s, f.customer_id, f.account_id, now, "task", user, body,
					 &seq);
	}
	free(body);
	if ((rc = task_end(s, rc)) == STORE_OK && seq_out != NULL)
		*seq_out = seq;
	return rc;
}

/* ---- serve state ------------------------------------------------------------- */

static int hex_hash(const char *h)
{
	return h != NULL && strlen(h) == STORE_HASH_HEX - 1 &&
	       strspn(h, "0123456789abcdef") == STORE_HASH_HEX - 1;
}

static int bad_hash(struct store *s, const char *what)
{
	return store_set_error(s, STORE_ERR_INPUT, "%s: not %d lowercase hex digits", what,
			       STORE_HASH_HEX - 1);
}

int store_session_put(struct store *s, const char *hash, const struct store_session *x)
{
	struct store_session v;

	if (!hex_hash(hash))
		return bad_hash(s, "session hash");
	if (x == NULL || x->csrf == NULL || x->user == NULL || x->user[0] == '\0' ||
	    x->role == NULL || x->scopes == NULL || x->expires_at <= x->created_at)
		return store_set_error(s, STORE_ERR_INPUT, "a session needs a CSRF token, a user, "
				       "a role, scopes and an expiry after its creation");
	v = *x;
	if (v.customer_id == NULL)
		v.customer_id = "";
	return s->ops->session_put(s, hash, &v);
}

int store_session_get(struct store *s, const char *hash, int64_t now, store_session_cb cb,
		      void *ctx)
{
	if (!hex_hash(hash))
		return bad_hash(s, "session hash");
	assert(cb != NULL);
	return s->ops->session_get(s, hash, now, cb, ctx);
}

int store_session_delete(struct store *s, const char *hash)
{
	if (!hex_hash(hash))
		return bad_hash(s, "session hash");
	return s->ops->session_delete(s, hash);
}

static int attempt_args(struct store *s, const char *name, int window)
{
	if (name == NULL || name[0] == '\0' || window <= 0)
		return store_set_error(s, STORE_ERR_INPUT, "attempts need a name and a window");
	return STORE_OK;
}

int store_attempt_get(struct store *s, const char *name, int64_t now, int window,
		      int *failures, int64_t *since)
{
	int f = 0, rc = attempt_args(s, name, window);
	int64_t at = 0;

	if (rc == STORE_OK)
		rc = s->ops->attempt_get(s, name, now, window, &f, &at);
	if (rc != STORE_OK || f == 0)
		f = 0, at = 0;
	if (failures != NULL)
		*failures = f;
	if (since != NULL)
		*since = at;
	return rc;
}

int store_attempt_failed(struct store *s, const char *name, int64_t now, int window)
{
	int rc = attempt_args(s, name, window);

	return rc != STORE_OK ? rc : s->ops->attempt_failed(s, name, now, window);
}

int store_attempt_clear(struct store *s, const char *name)
{
	int rc = attempt_args(s, name, 1);

	return rc != STORE_OK ? rc : s->ops->attempt_clear(s, name);
}

int store_code_put(struct store *s, const char *user, const char *salt, const char *hash,
		   int64_t now, int64_t expires_at, int resend, int *issued)
{
	int ok = 0, rc;

	assert(issued != NULL);
	*issued = 0;
	if (user == NULL || user[0] == '\0' || expires_at <= now || resend < 0)
		return store_set_error(s, STORE_ERR_INPUT, "a code needs a user and an expiry");
	if (!hex_hash(salt) || !hex_hash(hash))
		return bad_hash(s, "code salt or hash");
	rc = s->ops->code_put(s, user, salt, hash, now, expires_at, resend, &ok);
	*issued = rc == STORE_OK && ok;
	return rc;
}

int store_code_get(struct store *s, const char *user, int64_t now, char salt[STORE_HASH_HEX],
		   char hash[STORE_HASH_HEX], int *found)
{
	int f = 0, rc;

	assert(found != NULL && salt != NULL && hash != NULL);
	*found = 0;
	salt[0] = hash[0] = '\0';
	if (user == NULL || user[0] == '\0')
		return store_set_error(s, STORE_ERR_INPUT, "a code needs a user");
	rc = s->ops->code_get(s, user, now, salt, hash, &f);
	*found = rc == STORE_OK && f && hex_hash(salt) && hex_hash(hash);
	return rc;
}

int store_code_take(struct store *s, const char *user, const char *hash, int64_t now,
		    int *taken)
{
	int t = 0, rc;

	assert(taken != NULL);
	*taken = 0;
	if (user == NULL || user[0] == '\0')
		return store_set_error(s, STORE_ERR_INPUT, "a code needs a user");
	if (!hex_hash(hash))
		return bad_hash(s, "code hash");
	rc = s->ops->code_take(s, user, hash, now, &t);
	*taken = rc == STORE_OK && t;
	return rc;
}

static int idem_args(struct store *s, const char *caller, const char *key, const char *fp)
{
	if (caller == NULL || key == NULL || key[0] == '\0')
		return store_set_error(s, STORE_ERR_INPUT, "an idempotency record needs a caller "
				       "and a key");
	if (!hex_hash(fp))
		return bad_hash(s, "request fingerprint");
	return STORE_OK;
}

int store_idem_begin(struct store *s, const char *caller, const char *key,
		     const char *fingerprint, int64_t now, int64_t expired, int64_t stale,
		     int *verdict, store_idem_cb cb, void *ctx)
{
	int v = STORE_IDEM_BUSY, rc = idem_args(s, caller, key, fingerprint);

	assert(verdict != NULL && cb != NULL);
	if (rc == STORE_OK)
		rc = s->ops->idem_begin(s, caller, key, fingerprint, now, expired, stale, &v, cb,
					ctx);
	*verdict = v;
	return rc;
}

int store_idem_end(struct store *s, const char *caller, const char *key,
		   const char *fingerprint, const struct store_idem_answer *a)
{
	int rc = idem_args(s, caller, key, fingerprint);

	if (rc != STORE_OK)
		return rc;
	if (a != NULL && (a->content_type == NULL || a->location == NULL ||
			  (a->body == NULL && a->len > 0)))
		return store_set_error(s, STORE_ERR_INPUT, "an answer needs a content type, a "
				       "location (\"\" for none) and its body");
	return s->ops->idem_end(s, caller, key, fingerprint, a);
}

int store_serve_sweep(struct store *s, int64_t now, int64_t idem_expired)
{
	return s->ops->serve_sweep(s, now, idem_expired);
}
