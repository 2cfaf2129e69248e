/*
 * sqlite — the embedded store engine: one SQLite file in WAL mode.
 *
 * Statements are prepared once per connection and kept in `stmts`. Foreign
 * keys are declared for readers of the schema but not enforced by SQLite:
 * the import checks every reference itself and reports it by line, which a
 * constraint failure could not do.
 *
 * Costs that matter: ledger rows go in with one INSERT ... ON CONFLICT DO
 * NOTHING each (a second statement only when the id is already known), and
 * account look-ups during an import hit an in-memory cache first.
 */
#include <assert.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/custfile.h"
#include "../core/money.h"
#include "store_impl.h"

enum stmt_id {
	S_CUSTOMER_GET,
	S_CUSTOMER_INSERT,
	S_CUSTOMER_UPDATE,
	S_CUSTOMER_KEY,
	S_ACCOUNT_GET,
	S_ACCOUNT_INSERT,
	S_ACCOUNT_FIND,
	S_SERVICE_GET,
	S_SERVICE_INSERT,
	S_SERVICE_UPDATE,
	S_INVOICE_INSERT,
	S_INVOICE_GET,
	S_PAYMENT_INSERT,
	S_PAYMENT_GET,
	S_CNOTE_INSERT,
	S_CNOTE_GET,
	S_INVOICE_FIND,
	S_SNAPSHOT_PUT,
	S_IMPORT_BEGIN,
	S_IMPORT_FINISH,
	S_SERVICES_OF,
	S_CUSTOMER_VIEW,
	S_LEDGER_ACCOUNT,
	S_LEDGER_INVOICES,
	S_LEDGER_PAYMENTS,
	S_LEDGER_CNOTES,
	S_FILE_ACCOUNT,
	S_FILE_OF_ACCOUNT,
	S_FILE_LAST,
	S_FILE_INSERT,
	S_POLICY_INSERT,
	S_POLICY_GET,
	S_POLICY_LATEST,
	S_CASE_GET,
	S_CASE_PUT,
	S_OUTBOX_INSERT,
	S_OUTBOX_CLAIM,
	S_OUTBOX_FINISH,
	S_OUTBOX_SENDING,
	S_OUTBOX_PEER_PUT,
	S_OUTBOX_BY_PEER,
	S_CONTACT_FAILURE,
	S_VOICE_CALL_ADD,
	S_VOICE_CALLS_OF,
	S_VOICE_REPORT_CALLS,
	S_VOICE_REPORT_PAYMENTS,
	S_CONTACT_BAD,
	S_OUTBOX_DEPTH,
	S_ARR_ACCOUNT,
	S_ARR_LIVE_OF,
	S_ARR_INSERT,
	S_ARR_LINK,
	S_ARR_UPDATE,
	S_ARR_VERSION,
	S_ARR_ACCOUNTS_OF,
	S_USER_INSERT,
	S_USER_GET,
	S_USER_PASSWORD,
	S_USER_DISABLE,
	S_TOKEN_INSERT,
	S_TOKEN_FIND,
	S_TOKEN_REVOKE,
	S_SERVICE_DESIRE,
	S_SERVICE_CONFIRM,
	S_SERVICE_ATTEMPT,
	S_SERVICE_STATE_GET,
	S_SERVICE_STATES_DRIFT,
	S_SERVICE_STATES_ALL,
	S_SERVICE_STATE_COUNTS,
	S_SESSION_PUT,
	S_SESSION_GET,
	S_SESSION_DELETE,
	S_ATTEMPT_GET,
	S_ATTEMPT_FAILED,
	S_ATTEMPT_CLEAR,
	S_CODE_PUT,
	S_CODE_GET,
	S_CODE_TAKE,
	S_IDEM_EXPIRE,
	S_IDEM_TAKE,
	S_IDEM_GET,
	S_IDEM_DONE,
	S_IDEM_FORGET,
	S_SWEEP_SESSIONS,
	S_SWEEP_ATTEMPTS,
	S_SWEEP_CODES,
	S_SWEEP_IDEM,
	S_COUNT
};

/* Scans: statements whose callback runs while they step (see scan_open). */
enum scan_id {
	SCAN_ACCOUNT_ONE,
	SCAN_ACCOUNT_ALL,
	SCAN_ACCOUNTS_OF_CUSTOMER,
	SCAN_FILE_ONE,
	SCAN_FILE_ALL,
	SCAN_OUTBOX_ONE,
	SCAN_OUTBOX_ALL,
	SCAN_LEDGER_ACCOUNT,    /* the four cursors of scan_range, in this order */
	SCAN_LEDGER_INVOICES,
	SCAN_LEDGER_PAYMENTS,
	SCAN_LEDGER_CNOTES,
	SCAN_ARR_ONE,           /* enum store_arrangement_by, in this order */
	SCAN_ARR_ACCOUNT,
	SCAN_ARR_CUSTOMER,
	SCAN_ARR_ALL,
	SCAN_COUNT
};

/* A voice call as struct store_voice_call reads it (sq_voice_call_view). */
#define VOICE_CALL_COLUMNS \
	"v.outbox_id, a.account_id, a.currency, v.ended_at, v.outcome, v.share, v.requeued " \
	"FROM voice_calls v JOIN accounts a ON a.account_key = v.account_key"

/* A service's provisioning state as struct store_service_state reads it
 * (sq_service_state_copy), state st of service v. */
#define SERVICE_STATE_COLUMNS \
	"v.service_id, a.account_id, c.customer_id, v.kind, v.identifier, v.adapter, " \
	"st.desired, st.desired_at, st.desired_key, coalesce(st.confirmed, ''), " \
	"coalesce(st.confirmed_at, 0), st.attempts, st.last_error, coalesce(st.alerted_at, 0) " \
	"FROM service_states st JOIN services v ON v.service_key = st.service_key " \
	"JOIN accounts a ON a.account_key = v.account_key " \
	"JOIN customers c ON c.customer_key = a.customer_key"
/* In drift and not alerted: word for word the WHERE of the partial index
 * service_states_drift, which SQLite uses only when the query repeats it. */
#define SERVICE_STATE_DRIFT \
	"st.alerted_at IS NULL AND (st.confirmed IS NULL OR st.confirmed <> st.desired)"

static const char *const stmt_sql[S_COUNT] = {
	[S_CUSTOMER_GET] =
		"SELECT customer_key, name, locale, timezone, jurisdiction, phone, email, "
		"segment, import_id, source_line FROM customers WHERE customer_id = ?1",
	[S_CUSTOMER_INSERT] =
		"INSERT INTO customers (customer_id, name, locale, timezone, jurisdiction, "
		"phone, email, segment, import_id, source_line) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_CUSTOMER_UPDATE] =
		"UPDATE customers SET name = ?2, locale = ?3, timezone = ?4, jurisdiction = ?5, "
		"phone = ?6, email = ?7, segment = ?8, import_id = ?9, source_line = ?10 "
		"WHERE customer_id = ?1",
	[S_CUSTOMER_KEY] = "SELECT customer_key FROM customers WHERE customer_id = ?1",
	[S_ACCOUNT_GET] =
		"SELECT a.account_key, c.customer_id, a.currency, a.import_id, a.source_line "
		"FROM accounts a JOIN customers c ON c.customer_key = a.customer_key "
		"WHERE a.account_id = ?1",
	[S_ACCOUNT_INSERT] =
		"INSERT INTO accounts (account_id, customer_key, currency, import_id, source_line) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_ACCOUNT_FIND] =
		"SELECT a.account_key, a.currency, c.timezone FROM accounts a "
		"JOIN customers c ON c.customer_key = a.customer_key WHERE a.account_id = ?1",
	[S_SERVICE_GET] =
		"SELECT s.service_key, a.account_id, s.kind, s.identifier, s.adapter, "
		"s.import_id, s.source_line FROM services s "
		"JOIN accounts a ON a.account_key = s.account_key WHERE s.service_id = ?1",
	[S_SERVICE_INSERT] =
		"INSERT INTO services (service_id, account_key, kind, identifier, adapter, "
		"import_id, source_line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_SERVICE_UPDATE] =
		"UPDATE services SET kind = ?2, identifier = ?3, adapter = ?4, import_id = ?5, "
		"source_line = ?6 WHERE service_id = ?1",
	[S_INVOICE_INSERT] =
		"INSERT INTO invoices (invoice_id, account_key, issued_on, due_on, amount, "
		"import_id, source_line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		"ON CONFLICT (invoice_id) DO NOTHING",
	[S_INVOICE_GET] =
		"SELECT account_key, issued_on, due_on, amount, import_id, source_line "
		"FROM invoices WHERE invoice_id = ?1",
	[S_PAYMENT_INSERT] =
		"INSERT INTO payments (payment_id, account_key, received_at, amount, method, "
		"invoice_id, import_id, source_line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
		"ON CONFLICT (payment_id) DO NOTHING",
	[S_PAYMENT_GET] =
		"SELECT account_key, received_at, amount, method, invoice_id, import_id, "
		"source_line FROM payments WHERE payment_id = ?1",
	[S_CNOTE_INSERT] =
		"INSERT INTO credit_notes (credit_note_id, account_key, issued_on, amount, "
		"reason, invoice_id, import_id, source_line) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (credit_note_id) DO NOTHING",
	[S_CNOTE_GET] =
		"SELECT account_key, issued_on, amount, reason, invoice_id, import_id, "
		"source_line FROM credit_notes WHERE credit_note_id = ?1",
	[S_INVOICE_FIND] = "SELECT account_key FROM invoices WHERE invoice_id = ?1",
	[S_SNAPSHOT_PUT] =
		"INSERT OR REPLACE INTO positions (account_key, balance, invoiced, paid, "
		"credited, complete_at, oldest_open_due, open_items) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_IMPORT_BEGIN] =
		"INSERT INTO imports (kind, source, started_at) VALUES (?1, ?2, ?3)",
	[S_IMPORT_FINISH] =
		"UPDATE imports SET row_count = ?2, inserted = ?3 WHERE import_id = ?1",
	[S_SERVICES_OF] =
		"SELECT service_id, kind, identifier, adapter FROM services "
		"WHERE account_key = ?1 ORDER BY service_id",
	[S_CUSTOMER_VIEW] =
		"SELECT customer_id, name, locale, timezone, jurisdiction, "
		"coalesce(phone, ''), coalesce(email, ''), coalesce(segment, '') "
		"FROM customers WHERE customer_id = ?1",
	/* Ledger scans: ?1 bounds the keys from below, ?2 from above, so one
	 * statement serves the whole-ledger merge and the single account. */
	[S_LEDGER_ACCOUNT] =
		"SELECT a.account_key, a.account_id, c.customer_id, a.currency, c.timezone "
		"FROM accounts a JOIN customers c ON c.customer_key = a.customer_key "
		"WHERE a.account_key BETWEEN ?1 AND ?2 ORDER BY a.account_key",
	[S_LEDGER_INVOICES] =
		"SELECT account_key, invoice_id, issued_on, due_on, amount FROM invoices "
		"WHERE account_key BETWEEN ?1 AND ?2 ORDER BY account_key",
	[S_LEDGER_PAYMENTS] =
		"SELECT account_key, payment_id, invoice_id, received_at, amount FROM payments "
		"WHERE account_key BETWEEN ?1 AND ?2 ORDER BY account_key",
	[S_LEDGER_CNOTES] =
		"SELECT account_key, credit_note_id, invoice_id, issued_on, amount "
		"FROM credit_notes WHERE account_key BETWEEN ?1 AND ?2 ORDER BY account_key",
	[S_FILE_ACCOUNT] =
		"SELECT account_key FROM accounts WHERE account_id = ?1 AND customer_key = ?2",
	[S_FILE_OF_ACCOUNT] =
		"SELECT a.customer_key, c.customer_id, a.account_id FROM accounts a "
		"JOIN customers c ON c.customer_key = a.customer_key WHERE a.account_key = ?1",
	[S_FILE_LAST] =
		"SELECT seq, hash FROM file_entries WHERE customer_key = ?1 "
		"ORDER BY seq DESC LIMIT 1",
	[S_FILE_INSERT] =
		"INSERT INTO file_entries (customer_key, seq, at, account_key, kind, author, "
		"body, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	/* max + 1 rather than the rowid's choice: the same rule as PostgreSQL's,
	 * and safe because nobody else writes under the write lock. */
	[S_POLICY_INSERT] =
		"INSERT INTO policies (version, loaded_at, source, body) "
		"SELECT coalesce(max(version), 0) + 1, ?1, ?2, ?3 FROM policies",
	[S_POLICY_GET] =
		"SELECT version, loaded_at, source, body FROM policies WHERE version = ?1",
	[S_POLICY_LATEST] =
		"SELECT version, loaded_at, source, body FROM policies "
		"ORDER BY version DESC LIMIT 1",
	[S_CASE_GET] =
		"SELECT account_key, stage, stage_since, coalesce(policy_version, 0), "
		"coalesce(rule, ''), coalesce(next_check_at, 9223372036854775807), state "
		"FROM cases WHERE account_key = ?1",
	[S_CASE_PUT] =
		"INSERT INTO cases (account_key, stage, stage_since, policy_version, rule, "
		"next_check_at, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (account_key) "
		"DO UPDATE SET stage = excluded.stage, stage_since = excluded.stage_since, "
		"policy_version = excluded.policy_version, rule = excluded.rule, "
		"next_check_at = excluded.next_check_at, state = excluded.state",
	[S_OUTBOX_INSERT] =
		"INSERT INTO outbox (idempotency_key, account_key, channel, action, due_at, "
		"payload, policy_version, rule, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
		"ON CONFLICT (idempotency_key) DO NOTHING",
	/* The OR is two index probes at best: pending rows through the
	 * partial index, expired leases among the few claimed rows. */
	[S_OUTBOX_CLAIM] =
		"UPDATE outbox SET state = CASE state WHEN 'sending' THEN 'sending' "
		"ELSE 'claimed' END, lease_owner = ?1, lease_until = ?3, "
		"attempts = attempts + 1 WHERE outbox_id IN (SELECT outbox_id FROM ("
		/* Each side in its own index's order, merged: one OR over both
		 * would sort every due row again for each batch. */
		"SELECT * FROM (SELECT outbox_id, due_at FROM outbox "
		"WHERE state = 'pending' AND due_at <= ?2 ORDER BY due_at, outbox_id LIMIT ?4) "
		"UNION ALL SELECT * FROM (SELECT outbox_id, due_at FROM outbox "
		"WHERE state = 'claimed' AND lease_until < ?2 ORDER BY due_at, outbox_id LIMIT ?4) "
		"UNION ALL SELECT * FROM (SELECT outbox_id, due_at FROM outbox "
		"WHERE state = 'sending' AND lease_until < ?2 ORDER BY due_at, outbox_id LIMIT ?4)) "
		"ORDER BY due_at, outbox_id LIMIT ?4) RETURNING " STORE_OUTBOX_COLUMNS,
	[S_OUTBOX_FINISH] = STORE_OUTBOX_FINISH("?1", "?2", "?3", "?4", "?5", "?6"),
	[S_OUTBOX_SENDING] = STORE_OUTBOX_SENDING("?1", "?2"),
	[S_OUTBOX_PEER_PUT] =
		"INSERT INTO outbox_peer_ids (channel, peer_id, outbox_id) VALUES (?1, ?2, ?3) "
		"ON CONFLICT DO NOTHING",
	/* RETURNING tells whether this failure is the one that flags it. */
	[S_CONTACT_FAILURE] =
		"INSERT INTO contact_failures (customer_key, kind, value, failures, last_at, "
		"flagged_at) SELECT customer_key, ?2, ?3, 1, ?4, CASE WHEN ?5 <= 1 THEN ?4 END "
		"FROM customers WHERE customer_id = ?1 "
		"ON CONFLICT (customer_key, kind, value) DO UPDATE SET "
		"failures = failures + 1, last_at = excluded.last_at, "
		"flagged_at = coalesce(flagged_at, CASE WHEN failures + 1 >= ?5 THEN ?4 END) "
		"RETURNING flagged_at = ?4 AND (failures = ?5 OR (?5 <= 1 AND failures = 1))",
	[S_VOICE_CALL_ADD] =
		"INSERT INTO voice_calls (outbox_id, account_key, ended_at, outcome, share, requeued) "
		"SELECT outbox_id, account_key, ?2, ?3, ?4, ?5 FROM outbox WHERE outbox_id = ?1",
	[S_VOICE_CALLS_OF] =
		"SELECT " VOICE_CALL_COLUMNS " WHERE v.outbox_id = ?1 ORDER BY v.call_id",
	[S_VOICE_REPORT_CALLS] =
		"SELECT " VOICE_CALL_COLUMNS " WHERE v.ended_at >= ?1 ORDER BY v.ended_at, v.call_id",
	/* Each account's payments through the ledger's primary key. */
	[S_VOICE_REPORT_PAYMENTS] =
		"SELECT a.account_id, a.currency, p.received_at, p.amount FROM payments p "
		"JOIN accounts a ON a.account_key = p.account_key WHERE p.received_at >= ?1 "
		"AND p.account_key IN (SELECT account_key FROM voice_calls WHERE ended_at >= ?1) "
		"ORDER BY p.received_at, p.payment_id",
	[S_CONTACT_BAD] =
		"SELECT 1 FROM contact_failures f JOIN customers c ON c.customer_key = f.customer_key "
		"WHERE c.customer_id = ?1 AND f.kind = ?2 AND f.value = ?3 AND f.flagged_at IS NOT NULL",
	/* The partial index outbox_pending holds exactly these rows. */
	[S_OUTBOX_DEPTH] =
		"SELECT channel, count(*), min(due_at) FROM outbox "
		"WHERE state = 'pending' AND due_at <= ?1 GROUP BY channel ORDER BY channel",
	[S_OUTBOX_BY_PEER] =
		"SELECT " STORE_OUTBOX_COLUMNS " FROM outbox WHERE outbox_id = "
		"(SELECT outbox_id FROM outbox_peer_ids WHERE channel = ?1 AND peer_id = ?2)",
	[S_ARR_ACCOUNT] =
		"SELECT a.account_key, a.customer_key, c.customer_id FROM accounts a "
		"JOIN customers c ON c.customer_key = a.customer_key WHERE a.account_id = ?1",
	[S_ARR_LIVE_OF] =
		"SELECT r.arrangement_key, r.kind FROM arrangement_accounts x "
		"JOIN arrangements r ON r.arrangement_key = x.arrangement_key "
		"WHERE x.account_key = ?1 AND " STORE_ARRANGEMENT_LIVE("r.") " "
		"ORDER BY r.arrangement_key",
	[S_ARR_INSERT] =
		"INSERT INTO arrangements (kind, customer_key, state, created_at, created_by, "
		"updated_at, updated_by, version, terms) VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?5, 1, ?6)",
	[S_ARR_LINK] =
		"INSERT INTO arrangement_accounts (account_key, arrangement_key) VALUES (?1, ?2)",
	[S_ARR_UPDATE] =
		"UPDATE arrangements SET state = ?4, terms = coalesce(?5, terms), "
		"version = version + 1, updated_at = ?6, updated_by = ?7 "
		"WHERE arrangement_key = ?1 AND kind = ?2 AND version = ?3",
	[S_ARR_VERSION] =
		"SELECT version FROM arrangements WHERE arrangement_key = ?1 AND kind = ?2",
	[S_ARR_ACCOUNTS_OF] =
		"SELECT x.account_key, a.account_id FROM arrangement_accounts x "
		"JOIN accounts a ON a.account_key = x.account_key "
		"WHERE x.arrangement_key = ?1 ORDER BY x.account_key",
	/* A name taken changes nothing: the caller is told "exists". */
	[S_USER_INSERT] =
		"INSERT INTO users (name, kind, role, customer_key, password_hash, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO NOTHING",
	[S_USER_GET] = "SELECT " STORE_USER_COLUMNS STORE_USER_FROM "WHERE u.name = ?1",
	[S_USER_PASSWORD] = "UPDATE users SET password_hash = ?2 WHERE name = ?1",
	[S_USER_DISABLE] =
		"UPDATE users SET disabled_at = coalesce(disabled_at, ?2) WHERE name = ?1",
	/* No row back: no such user, or the hash is stored already. */
	[S_TOKEN_INSERT] =
		"INSERT INTO api_tokens (user_key, hash, scopes, created_at) "
		"SELECT user_key, ?2, ?3, ?4 FROM users WHERE name = ?1 "
		"ON CONFLICT (hash) DO NOTHING RETURNING token_key",
	[S_TOKEN_FIND] = "SELECT " STORE_TOKEN_COLUMNS STORE_TOKEN_FROM "WHERE t.hash = ?1",
	[S_TOKEN_REVOKE] =
		"UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE token_key = ?1",
	/* No row changed: no such service. */
	[S_SERVICE_DESIRE] =
		"INSERT INTO service_states (service_key, desired, desired_at, desired_key) "
		"SELECT service_key, ?2, ?3, ?4 FROM services WHERE service_id = ?1 "
		"ON CONFLICT (service_key) DO UPDATE SET desired = excluded.desired, "
		"desired_at = excluded.desired_at, desired_key = excluded.desired_key, "
		"attempts = 0, last_error = '', alerted_at = NULL",
	[S_SERVICE_CONFIRM] =
		"INSERT INTO service_states (service_key, desired, desired_at, desired_key, "
		"confirmed, confirmed_at) SELECT service_key, ?2, ?3, '', ?2, ?3 FROM services "
		"WHERE service_id = ?1 ON CONFLICT (service_key) DO UPDATE SET "
		"confirmed = excluded.confirmed, confirmed_at = excluded.confirmed_at, "
		"last_error = ''",
	[S_SERVICE_ATTEMPT] =
		"UPDATE service_states SET attempts = attempts + 1, last_error = ?2, "
		"alerted_at = CASE WHEN ?4 <> 0 THEN ?3 ELSE alerted_at END "
		"WHERE service_key = (SELECT service_key FROM services WHERE service_id = ?1) "
		"RETURNING attempts",
	[S_SERVICE_STATE_GET] = "SELECT " SERVICE_STATE_COLUMNS " WHERE v.service_id = ?1",
	[S_SERVICE_STATES_DRIFT] =
		"SELECT " SERVICE_STATE_COLUMNS " WHERE " SERVICE_STATE_DRIFT " "
		"ORDER BY st.desired_at, v.service_id",
	[S_SERVICE_STATES_ALL] =
		"SELECT " SERVICE_STATE_COLUMNS " ORDER BY st.desired_at, v.service_id",
	/* Each count through its own index: the table's, then the two partial ones. */
	[S_SERVICE_STATE_COUNTS] =
		"SELECT (SELECT count(*) FROM service_states), "
		"(SELECT count(*) FROM service_states st WHERE " SERVICE_STATE_DRIFT "), "
		"(SELECT count(*) FROM service_states WHERE alerted_at IS NOT NULL)",
	/* Serve state (store.h "serve state"). */
	[S_SESSION_PUT] =
		"INSERT INTO serve_sessions (hash, csrf, user_name, role, scopes, customer_id, "
		"created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_SESSION_GET] =
		"SELECT csrf, user_name, role, scopes, customer_id, created_at, expires_at "
		"FROM serve_sessions WHERE hash = ?1 AND expires_at > ?2",
	[S_SESSION_DELETE] = "DELETE FROM serve_sessions WHERE hash = ?1",
	[S_ATTEMPT_GET] =
		"SELECT failures, since FROM serve_attempts WHERE name = ?1 AND expires_at > ?2",
	/* A window that ended starts again at this failure. */
	[S_ATTEMPT_FAILED] =
		"INSERT INTO serve_attempts (name, failures, since, expires_at) "
		"VALUES (?1, 1, ?2, ?2 + ?3) ON CONFLICT (name) DO UPDATE SET "
		"failures = CASE WHEN expires_at <= ?2 THEN 1 ELSE failures + 1 END, "
		"since = CASE WHEN expires_at <= ?2 THEN ?2 ELSE since END, "
		"expires_at = CASE WHEN expires_at <= ?2 THEN ?2 + ?3 ELSE expires_at END",
	[S_ATTEMPT_CLEAR] = "DELETE FROM serve_attempts WHERE name = ?1",
	/* No row changed: the live code is younger than the resend delay. */
	[S_CODE_PUT] =
		"INSERT INTO serve_codes (user_name, salt, hash, issued_at, expires_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (user_name) DO UPDATE SET "
		"salt = excluded.salt, hash = excluded.hash, issued_at = excluded.issued_at, "
		"expires_at = excluded.expires_at "
		"WHERE serve_codes.expires_at <= ?4 OR serve_codes.issued_at <= ?4 - ?6",
	[S_CODE_GET] =
		"SELECT salt, hash FROM serve_codes WHERE user_name = ?1 AND expires_at > ?2",
	/* One row changed: this caller used the code up. */
	[S_CODE_TAKE] =
		"DELETE FROM serve_codes WHERE user_name = ?1 AND hash = ?2 AND expires_at > ?3",
	[S_IDEM_EXPIRE] =
		"DELETE FROM serve_idempotency WHERE caller = ?1 AND idem_key = ?2 AND "
		"(created_at <= ?3 OR (state = 'busy' AND created_at <= ?4))",
	/* One row changed: this caller took the key. */
	[S_IDEM_TAKE] =
		"INSERT INTO serve_idempotency (caller, idem_key, fingerprint, state, created_at) "
		"VALUES (?1, ?2, ?3, 'busy', ?4) ON CONFLICT DO NOTHING",
	[S_IDEM_GET] =
		"SELECT fingerprint, state, status, content_type, location, body "
		"FROM serve_idempotency WHERE caller = ?1 AND idem_key = ?2",
	[S_IDEM_DONE] =
		"UPDATE serve_idempotency SET state = 'done', status = ?4, content_type = ?5, "
		"location = ?6, body = ?7 WHERE caller = ?1 AND idem_key = ?2 AND "
		"fingerprint = ?3 AND state = 'busy'",
	[S_IDEM_FORGET] =
		"DELETE FROM serve_idempotency WHERE caller = ?1 AND idem_key = ?2 AND "
		"fingerprint = ?3 AND state = 'busy'",
	[S_SWEEP_SESSIONS] = "DELETE FROM serve_sessions WHERE expires_at <= ?1",
	[S_SWEEP_ATTEMPTS] = "DELETE FROM serve_attempts WHERE expires_at <= ?1",
	[S_SWEEP_CODES] = "DELETE FROM serve_codes WHERE expires_at <= ?1",
	[S_SWEEP_IDEM] = "DELETE FROM serve_idempotency WHERE created_at <= ?1",
};

/*
 * Account look-ups of an import: an open-addressing table that doubles up
 * to ACACHE_MAX_SLOTS (a million accounts, about 80 MiB with their ids) and
 * is simply emptied when full or when a transaction rolls back. Slots are small (the zone is an index into `zones`) so that a
 * few million accounts fit in tens of MiB.
 */
#define ACACHE_MIN_SLOTS (1u << 16)
#define ACACHE_MAX_SLOTS (1u << 21)
#define ACACHE_ZONES 1024

struct acache_slot {
	char *id;               /* NULL: empty */
	uint64_t hash;
	int64_t account_key;
	char currency[4];
	uint16_t zone;
};

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	char *path;
	int in_tx;
	int tx_failed;              /* a statement failed in the open transaction */
	sqlite3_stmt *stmts[S_COUNT];
	sqlite3_stmt *chunk[3];     /* multi-row ledger inserts (enum ledger_table) */
	sqlite3_stmt *scans[SCAN_COUNT];
	int scan_busy[SCAN_COUNT];  /* scans[i] is stepping: its callback scans again */
	struct acache_slot *acache;
	size_t acache_slots, acache_used;
	char *zones[ACACHE_ZONES];
	size_t n_zones;
};

static struct sqlite_store *sq(struct store *s) { return (struct sqlite_store *)s; }

/*
 * Resets every cached statement and returns rc. Every call that steps a
 * look-up ends here, on success or (through db_error) on failure: outside a
 * transaction a statement left on a row keeps the connection's read snapshot
 * open, so later reads would miss what other connections commit and the
 * next write would fail with SQLITE_BUSY_SNAPSHOT ("database is locked").
 */
static int idle(struct sqlite_store *q, int rc)
{
	for (int i = 0; i < S_COUNT; i++)
		if (q->stmts[i] != NULL)
			sqlite3_reset(q->stmts[i]);
	for (int i = 0; i < 3; i++)
		if (q->chunk[i] != NULL)
			sqlite3_reset(q->chunk[i]);
	return rc;
}

/*
 * The words for a failed write that an operator can act on, or NULL.
 * SQLite reports SQLITE_FULL only for ENOSPC and short writes; a write
 * refused with EFBIG (file size limit) or EDQUOT (quota) is a bare "disk
 * I/O error", and the errno it keeps is often gone by then (0).
 */
static const char *disk_full(struct sqlite_store *q)
{
	int code = sqlite3_extended_errcode(q->db);
	int sys = sqlite3_system_errno(q->db);

	if ((code & 0xff) == SQLITE_FULL)
		return "disk full (no space left for the database)";
	/* The errno is kept from the last I/O error, whatever failed since. */
	if ((code & 0xff) != SQLITE_IOERR)
		return NULL;
	if (sys == ENOSPC)
		return "disk full (no space left on the device)";
	if (sys == EFBIG)
		return "disk full (file size limit reached)";
#ifdef EDQUOT
	if (sys == EDQUOT)
		return "disk full (disk quota exceeded)";
#endif
	if (code == SQLITE_IOERR_WRITE && sys == 0)
		return "disk full or failing: a write was refused (disk I/O error)";
	return NULL;
}

static int db_error(struct sqlite_store *q, const char *what)
{
	const char *full = disk_full(q);
	int rc = store_set_error(&q->base, STORE_ERR_DB, "%s: %s: %s", q->path, what,
				 full ? full : sqlite3_errmsg(q->db));

	/* A put that fails has written part of its batch: as on PostgreSQL,
	 * the transaction can then only be rolled back. */
	if (q->in_tx)
		q->tx_failed = 1;
	return idle(q, rc);
}

/* The prepared statement `id`, reset and with its bindings cleared. */
static sqlite3_stmt *stmt(struct sqlite_store *q, enum stmt_id id)
{
	sqlite3_stmt *st = q->stmts[id];

	if (st == NULL) {
		if (sqlite3_prepare_v3(q->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
				       &st, NULL) != SQLITE_OK) {
			db_error(q, "prepare");
			return NULL;
		}
		q->stmts[id] = st;
		return st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/*
 * A scan's statement. Scans are not among stmts[]: their callback may use
 * the store, and idle() would reset a cached statement under the loop. They
 * stay prepared from one call to the next all the same (a cycle looks
 * accounts up one by one, and preparing cost more than the look-up); a scan
 * started again from inside its own callback gets a statement of its own.
 * Every scan_open is paired with scan_close.
 */
static sqlite3_stmt *scan_open(struct sqlite_store *q, enum scan_id id, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (q->scans[id] != NULL && !q->scan_busy[id]) {
		q->scan_busy[id] = 1;
		return q->scans[id];
	}
	if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	if (q->scans[id] == NULL) {
		q->scans[id] = st;
		q->scan_busy[id] = 1;
	}
	return st;
}

/* Ends a scan: reset, so that no read snapshot stays open (see idle()). */
static void scan_close(struct sqlite_store *q, enum scan_id id, sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	if (st != q->scans[id]) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	q->scan_busy[id] = 0;
}

static int is_absent(const char *v) { return v == NULL || v[0] == '\0'; }

/* Binds text, or NULL for an absent optional field. */
static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (is_absent(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_STATIC);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* Equality of an optional stored column and an optional input field. */
static int same_opt(sqlite3_stmt *st, int col, const char *v)
{
	return strcmp(col_text(st, col), v ? v : "") == 0;
}

/* Runs a statement to completion; SQLITE_ROW results are ignored. */
static int step_done(struct sqlite_store *q, sqlite3_stmt *st, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		return db_error(q, what);
	return STORE_OK;
}

/* ---- account cache -------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static void acache_clear(struct sqlite_store *q)
{
	for (size_t i = 0; i < q->acache_slots; i++)
		free(q->acache[i].id);
	free(q->acache);
	q->acache = NULL;
	q->acache_slots = q->acache_used = 0;
}

static struct acache_slot *acache_probe(struct acache_slot *slots, size_t n,
					const char *id, uint64_t h)
{
	size_t i = h & (n - 1);

	while (slots[i].id != NULL && (slots[i].hash != h || strcmp(slots[i].id, id) != 0))
		i = (i + 1) & (n - 1);
	return &slots[i];
}

static struct acache_slot *acache_find(struct sqlite_store *q, const char *id)
{
	struct acache_slot *slot;

	if (q->acache == NULL)
		return NULL;
	slot = acache_probe(q->acache, q->acache_slots, id, hash_str(id));
	return slot->id != NULL ? slot : NULL;
}

/* Doubles the table; on failure the cache just stays as it is. */
static int acache_grow(struct sqlite_store *q)
{
	size_t n = q->acache_slots ? q->acache_slots * 2 : ACACHE_MIN_SLOTS;
	struct acache_slot *slots = calloc(n, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < q->acache_slots; i++)
		if (q->acache[i].id != NULL)
			*acache_probe(slots, n, q->acache[i].id, q->acache[i].hash) = q->acache[i];
	free(q->acache);
	q->acache = slots;
	q->acache_slots = n;
	return 0;
}

static int intern_zone(struct sqlite_store *q, const char *zone, uint16_t *out)
{
	for (size_t i = 0; i < q->n_zones; i++) {
		if (strcmp(q->zones[i], zone) == 0) {
			*out = (uint16_t)i;
			return 0;
		}
	}
	if (q->n_zones == ACACHE_ZONES || strlen(zone) >= sizeof(((struct account_ref *)0)->timezone) ||
	    (q->zones[q->n_zones] = strdup(zone)) == NULL)
		return -1;
	*out = (uint16_t)q->n_zones++;
	return 0;
}

static void acache_put(struct sqlite_store *q, const char *id, const struct account_ref *ref)
{
	struct acache_slot *slot;
	uint64_t h = hash_str(id);
	uint16_t zone;

	if (intern_zone(q, ref->timezone, &zone) != 0)
		return;   /* the cache is an optimisation only */
	if (q->acache_used + 1 > q->acache_slots / 2) {
		if (q->acache_slots >= ACACHE_MAX_SLOTS)
			acache_clear(q);
		if (acache_grow(q) != 0)
			return;
	}
	slot = acache_probe(q->acache, q->acache_slots, id, h);
	if (slot->id == NULL) {
		if ((slot->id = strdup(id)) == NULL)
			return;
		q->acache_used++;
	}
	slot->hash = h;
	slot->account_key = ref->account_key;
	memcpy(slot->currency, ref->currency, sizeof(slot->currency));
	slot->zone = zone;
}

/* ---- lifecycle -------------------------------------------------------------- */

static void sq_close(struct store *s)
{
	struct sqlite_store *q = sq(s);

	if (q->in_tx)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(q->stmts[i]);
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(q->chunk[i]);
	for (int i = 0; i < SCAN_COUNT; i++)
		sqlite3_finalize(q->scans[i]);
	sqlite3_close(q->db);
	acache_clear(q);
	for (size_t i = 0; i < q->n_zones; i++)
		free(q->zones[i]);
	free(q->path);
	free(q);
}

static int sq_exec(struct sqlite_store *q, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		const char *full = disk_full(q);

		store_set_error(&q->base, STORE_ERR_DB, "%s: %s", q->path,
				full ? full : msg ? msg : sqlite3_errmsg(q->db));
		sqlite3_free(msg);
		return STORE_ERR_DB;
	}
	return STORE_OK;
}

static int sq_begin(struct store *s)
{
	struct sqlite_store *q = sq(s);
	int rc;

	assert(!q->in_tx);
	/* IMMEDIATE: take the write lock now rather than fail at the first
	 * write when another process got there in between. */
	if ((rc = sq_exec(q, "BEGIN IMMEDIATE")) == STORE_OK) {
		q->in_tx = 1;
		q->tx_failed = 0;
	}
	return rc;
}

static int sq_rollback(struct store *s);

static int sq_commit(struct store *s)
{
	struct sqlite_store *q = sq(s);
	int rc;

	assert(q->in_tx);
	if (q->tx_failed) {
		sq_rollback(s);
		return store_set_error(s, STORE_ERR_DB, "%s: committing: the transaction had "
				       "failed and was rolled back", q->path);
	}
	if ((rc = sq_exec(q, "COMMIT")) == STORE_OK)
		q->in_tx = 0;
	return rc;
}

static int sq_rollback(struct store *s)
{
	struct sqlite_store *q = sq(s);

	if (!q->in_tx)
		return STORE_OK;
	q->in_tx = 0;
	/* Cached look-ups may name accounts that are being rolled back. */
	acache_clear(q);
	return sq_exec(q, "ROLLBACK");
}

/*
 * Ends a transaction a call opened for itself (own: it found none open):
 * commits on success, rolls back otherwise, keeping the first reason.
 * Inside the caller's transaction it only passes rc on.
 */
static int own_end(struct store *s, int own, int rc)
{
	if (!own)
		return rc;
	if (rc == STORE_OK)
		return sq_commit(s);
	sq_rollback(s);
	return rc;
}

static int sq_schema_version(struct store *s, int *version)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK;

	*version = 0;
	if (sqlite3_prepare_v2(q->db, "SELECT count(*) FROM sqlite_master "
			       "WHERE type = 'table' AND name = 'schema_version'",
			       -1, &st, NULL) != SQLITE_OK) {
		/* Not a database at all: a text file named like one. */
		rc = store_set_error(s, STORE_ERR_INPUT, "%s: not a SQLite database: %s",
				     q->path, sqlite3_errmsg(q->db));
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = store_set_error(s, STORE_ERR_INPUT, "%s: not a SQLite database: %s",
				     q->path, sqlite3_errmsg(q->db));
		goto out;
	}
	if (sqlite3_column_int(st, 0) == 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(q->db, "SELECT max(version) FROM schema_version", -1, &st,
			       NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		rc = db_error(q, "reading the schema version");
		goto out;
	}
	*version = sqlite3_column_int(st, 0);
out:
	sqlite3_finalize(st);
	return rc;
}

static int sq_migrate(struct store *s, int *from)
{
	struct sqlite_store *q = sq(s);
	int rc, v;

	if ((rc = sq_begin(s)) != STORE_OK)
		return rc;
	if ((rc = sq_schema_version(s, &v)) != STORE_OK)
		goto fail;
	*from = v;
	if (v > STORE_SCHEMA_VERSION) {
		rc = store_set_error(s, STORE_ERR_INPUT,
				     "%s: schema version %d is newer than this relance (%d)",
				     q->path, v, STORE_SCHEMA_VERSION);
		goto fail;
	}
	for (; v < store_migration_count; v++) {
		if ((rc = sq_exec(q, store_sqlite_migrations[v])) != STORE_OK)
			goto fail;
		if (v > 0) {
			char sql[64];

			snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d", v + 1);
			if ((rc = sq_exec(q, sql)) != STORE_OK)
				goto fail;
		}
	}
	return sq_commit(s);
fail:
	sq_rollback(s);
	return rc;
}

/* ---- imports -------------------------------------------------------------- */

static int sq_import_begin(struct store *s, const char *kind, const char *source,
			   int64_t started_at, int64_t *import_id)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_IMPORT_BEGIN);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, kind);
	bind_text(st, 2, source);
	sqlite3_bind_int64(st, 3, started_at);
	if ((rc = step_done(q, st, "registering the import")) != STORE_OK)
		return rc;
	*import_id = sqlite3_last_insert_rowid(q->db);
	return STORE_OK;
}

static int sq_import_finish(struct store *s, int64_t import_id, int64_t rows, int64_t inserted)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_IMPORT_FINISH);

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, import_id);
	sqlite3_bind_int64(st, 2, rows);
	sqlite3_bind_int64(st, 3, inserted);
	return step_done(q, st, "closing the import");
}

/* A known row: a duplicate of this import's, or identical, or different. */
static int classify_known(sqlite3_stmt *st, int import_col, int64_t import_id,
			  struct store_outcome *o)
{
	if (sqlite3_column_int64(st, import_col) == import_id) {
		o->put = STORE_PUT_DUPLICATE;
		o->line = sqlite3_column_int64(st, import_col + 1);
		return 1;
	}
	return 0;
}

static void bind_customer(sqlite3_stmt *st, const struct customer_row *r, int64_t import_id)
{
	bind_text(st, 1, r->customer_id);
	bind_text(st, 2, r->name);
	bind_text(st, 3, r->locale);
	bind_text(st, 4, r->timezone);
	bind_text(st, 5, r->jurisdiction);
	bind_opt(st, 6, r->phone);
	bind_opt(st, 7, r->email);
	bind_opt(st, 8, r->segment);
	sqlite3_bind_int64(st, 9, import_id);
	sqlite3_bind_int64(st, 10, r->line);
}

static int sq_customers_put(struct store *s, int64_t import_id,
			    const struct customer_row *rows, size_t n, struct store_outcome *out)
{
	struct sqlite_store *q = sq(s);
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct customer_row *r = &rows[i];
		struct store_outcome *o = &out[i];
		sqlite3_stmt *st = stmt(q, S_CUSTOMER_GET);
		enum stmt_id write;

		memset(o, 0, sizeof(*o));
		if (st == NULL)
			return STORE_ERR_DB;
		bind_text(st, 1, r->customer_id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			if (classify_known(st, 8, import_id, o))
				continue;
			if (same_opt(st, 1, r->name) && same_opt(st, 2, r->locale) &&
			    same_opt(st, 3, r->timezone) && same_opt(st, 4, r->jurisdiction) &&
			    same_opt(st, 5, r->phone) && same_opt(st, 6, r->email) &&
			    same_opt(st, 7, r->segment)) {
				o->put = STORE_PUT_SAME;
				continue;
			}
			o->put = STORE_PUT_UPDATED;
			write = S_CUSTOMER_UPDATE;
		} else if (rc == SQLITE_DONE) {
			o->put = STORE_PUT_NEW;
			write = S_CUSTOMER_INSERT;
		} else {
			return db_error(q, "reading a customer");
		}
		if ((st = stmt(q, write)) == NULL)
			return STORE_ERR_DB;
		bind_customer(st, r, import_id);
		if ((rc = step_done(q, st, "writing a customer")) != STORE_OK)
			return rc;
	}
	return idle(q, STORE_OK);
}

static int sq_accounts_put(struct store *s, int64_t import_id,
			   const struct account_row *rows, size_t n, struct store_outcome *out)
{
	struct sqlite_store *q = sq(s);
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct account_row *r = &rows[i];
		struct store_outcome *o = &out[i];
		sqlite3_stmt *st = stmt(q, S_ACCOUNT_GET);
		int64_t customer_key;

		memset(o, 0, sizeof(*o));
		if (st == NULL)
			return STORE_ERR_DB;
		bind_text(st, 1, r->account_id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			if (classify_known(st, 3, import_id, o))
				continue;
			if (!same_opt(st, 1, r->customer_id)) {
				o->put = STORE_PUT_CONFLICT;
				o->what = "customer_id";
			} else if (!same_opt(st, 2, r->currency)) {
				o->put = STORE_PUT_CONFLICT;
				o->what = "currency";
			} else {
				o->put = STORE_PUT_SAME;
			}
			continue;
		}
		if (rc != SQLITE_DONE)
			return db_error(q, "reading an account");

		if ((st = stmt(q, S_CUSTOMER_KEY)) == NULL)
			return STORE_ERR_DB;
		bind_text(st, 1, r->customer_id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			o->put = STORE_PUT_NO_REF;
			o->what = "customer_id";
			continue;
		}
		if (rc != SQLITE_ROW)
			return db_error(q, "reading a customer");
		customer_key = sqlite3_column_int64(st, 0);

		if ((st = stmt(q, S_ACCOUNT_INSERT)) == NULL)
			return STORE_ERR_DB;
		bind_text(st, 1, r->account_id);
		sqlite3_bind_int64(st, 2, customer_key);
		bind_text(st, 3, r->currency);
		sqlite3_bind_int64(st, 4, import_id);
		sqlite3_bind_int64(st, 5, r->line);
		if ((rc = step_done(q, st, "writing an account")) != STORE_OK)
			return rc;
		o->put = STORE_PUT_NEW;
	}
	return idle(q, STORE_OK);
}

/* The key of a known account id, or 0 (account keys start at 1). */
static int account_key_of(struct sqlite_store *q, const char *account_id, int64_t *key)
{
	struct account_ref ref;
	const char *ids[1] = { account_id };
	int rc = q->base.ops->accounts_find(&q->base, ids, 1, &ref);

	*key = ref.found ? ref.account_key : 0;
	return rc;
}

static int sq_services_put(struct store *s, int64_t import_id,
			   const struct service_row *rows, size_t n, struct store_outcome *out)
{
	struct sqlite_store *q = sq(s);
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct service_row *r = &rows[i];
		struct store_outcome *o = &out[i];
		sqlite3_stmt *st = stmt(q, S_SERVICE_GET);
		int64_t account_key;

		memset(o, 0, sizeof(*o));
		if (st == NULL)
			return STORE_ERR_DB;
		bind_text(st, 1, r->service_id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			if (classify_known(st, 5, import_id, o))
				continue;
			if (!same_opt(st, 1, r->account_id)) {
				o->put = STORE_PUT_CONFLICT;
				o->what = "account_id";
				continue;
			}
			if (same_opt(st, 2, r->kind) && same_opt(st, 3, r->identifier) &&
			    same_opt(st, 4, r->adapter)) {
				o->put = STORE_PUT_SAME;
				continue;
			}
			if ((st = stmt(q, S_SERVICE_UPDATE)) == NULL)
				return STORE_ERR_DB;
			bind_text(st, 1, r->service_id);
			bind_text(st, 2, r->kind);
			bind_text(st, 3, r->identifier);
			bind_text(st, 4, r->adapter);
			sqlite3_bind_int64(st, 5, import_id);
			sqlite3_bind_int64(st, 6, r->line);
			if ((rc = step_done(q, st, "updating a service")) != STORE_OK)
				return rc;
			o->put = STORE_PUT_UPDATED;
			continue;
		}
		if (rc != SQLITE_DONE)
			return db_error(q, "reading a service");
		if ((rc = account_key_of(q, r->account_id, &account_key)) != STORE_OK)
			return rc;
		if (account_key == 0) {
			o->put = STORE_PUT_NO_REF;
			o->what = "account_id";
			continue;
		}
		if ((st = stmt(q, S_SERVICE_INSERT)) == NULL)
			return STORE_ERR_DB;
		bind_text(st, 1, r->service_id);
		sqlite3_bind_int64(st, 2, account_key);
		bind_text(st, 3, r->kind);
		bind_text(st, 4, r->identifier);
		bind_text(st, 5, r->adapter);
		sqlite3_bind_int64(st, 6, import_id);
		sqlite3_bind_int64(st, 7, r->line);
		if ((rc = step_done(q, st, "writing a service")) != STORE_OK)
			return rc;
		o->put = STORE_PUT_NEW;
	}
	return idle(q, STORE_OK);
}

/*
 * Ledger rows go in CHUNK_ROWS at a time through one multi-row
 * INSERT ... ON CONFLICT DO NOTHING: a third of the cost of one statement per
 * row. When a chunk inserts fewer rows than it holds, each of its rows is
 * read back: a row carrying this import and its own line was inserted now;
 * any other is a duplicate of this import or a known entry to compare.
 */
#define CHUNK_ROWS 64

enum ledger_table { LT_INVOICES, LT_PAYMENTS, LT_CNOTES };

static const struct ledger_sql {
	enum stmt_id insert, get;
	const char *head;   /* INSERT INTO ... (columns) VALUES */
	const char *tail;   /* the conflict clause */
	int params;         /* per row */
} ledger_sql[] = {
	[LT_INVOICES] = { S_INVOICE_INSERT, S_INVOICE_GET,
		"INSERT INTO invoices (invoice_id, account_key, issued_on, due_on, amount, "
		"import_id, source_line) VALUES ", " ON CONFLICT (invoice_id) DO NOTHING", 7 },
	[LT_PAYMENTS] = { S_PAYMENT_INSERT, S_PAYMENT_GET,
		"INSERT INTO payments (payment_id, account_key, received_at, amount, method, "
		"invoice_id, import_id, source_line) VALUES ",
		" ON CONFLICT (payment_id) DO NOTHING", 8 },
	[LT_CNOTES] = { S_CNOTE_INSERT, S_CNOTE_GET,
		"INSERT INTO credit_notes (credit_note_id, account_key, issued_on, amount, "
		"reason, invoice_id, import_id, source_line) VALUES ",
		" ON CONFLICT (credit_note_id) DO NOTHING", 8 },
};

/* The multi-row insert of a ledger table, prepared on first use. */
static sqlite3_stmt *chunk_stmt(struct sqlite_store *q, enum ledger_table t)
{
	const struct ledger_sql *l = &ledger_sql[t];
	char sql[8192];
	size_t len;

	if (q->chunk[t] != NULL) {
		sqlite3_reset(q->chunk[t]);
		return q->chunk[t];
	}
	len = (size_t)snprintf(sql, sizeof(sql), "%s", l->head);
	for (int r = 0; r < CHUNK_ROWS; r++) {
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s(", r ? "," : "");
		for (int c = 0; c < l->params; c++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s?", c ? "," : "");
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ")");
	}
	len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s", l->tail);
	assert(len < sizeof(sql));
	if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q->chunk[t],
			       NULL) != SQLITE_OK) {
		db_error(q, "prepare");
		return NULL;
	}
	return q->chunk[t];
}

/* Binds one row's parameters from `base` + 1 on (0 for the one-row statement). */
static void bind_invoice(sqlite3_stmt *st, int base, const struct invoice_row *r, int64_t import_id)
{
	bind_text(st, base + 1, r->inv.id);
	sqlite3_bind_int64(st, base + 2, r->account_key);
	sqlite3_bind_int(st, base + 3, r->inv.issued_on);
	sqlite3_bind_int(st, base + 4, r->inv.due_on);
	sqlite3_bind_int64(st, base + 5, r->inv.amount);
	sqlite3_bind_int64(st, base + 6, import_id);
	sqlite3_bind_int64(st, base + 7, r->line);
}

static void bind_credit(sqlite3_stmt *st, int base, const struct credit_row *r, int64_t import_id)
{
	int payment = r->cr.kind == LEDGER_PAYMENT;

	bind_text(st, base + 1, r->cr.id);
	sqlite3_bind_int64(st, base + 2, r->account_key);
	if (payment)
		sqlite3_bind_int64(st, base + 3, r->cr.received_at);
	else
		sqlite3_bind_int(st, base + 3, r->cr.issued_on);
	sqlite3_bind_int64(st, base + 4, r->cr.amount);
	if (payment)
		bind_opt(st, base + 5, r->method);
	else
		bind_text(st, base + 5, r->reason);
	bind_opt(st, base + 6, r->cr.invoice_id);
	sqlite3_bind_int64(st, base + 7, import_id);
	sqlite3_bind_int64(st, base + 8, r->line);
}

/*
 * Reads back a ledger row that a chunk may not have inserted and fills its
 * outcome. The GET statements list account_key first and import_id,
 * source_line at `import_col`, `import_col` + 1.
 */
static sqlite3_stmt *read_back(struct sqlite_store *q, enum stmt_id get, const char *id,
			       int import_col, int64_t import_id, int64_t line,
			       struct store_outcome *o, int *decided)
{
	sqlite3_stmt *st = stmt(q, get);

	*decided = 1;
	if (st == NULL)
		return NULL;
	bind_text(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_error(q, "reading a known ledger entry");
		return NULL;
	}
	if (sqlite3_column_int64(st, import_col) == import_id &&
	    sqlite3_column_int64(st, import_col + 1) == line) {
		o->put = STORE_PUT_NEW;
		return st;
	}
	if (classify_known(st, import_col, import_id, o))
		return st;
	*decided = 0;
	return st;
}

static int invoice_outcome(struct sqlite_store *q, const struct invoice_row *r,
			   int64_t import_id, struct store_outcome *o)
{
	int decided;
	sqlite3_stmt *st = read_back(q, S_INVOICE_GET, r->inv.id, 4, import_id, r->line, o,
				     &decided);

	if (st == NULL)
		return STORE_ERR_DB;
	if (decided)
		return STORE_OK;
	o->put = STORE_PUT_CONFLICT;
	if (sqlite3_column_int64(st, 0) != r->account_key)
		o->what = "account_id";
	else if (sqlite3_column_int(st, 1) != r->inv.issued_on)
		o->what = "issued_on";
	else if (sqlite3_column_int(st, 2) != r->inv.due_on)
		o->what = "due_on";
	else if (sqlite3_column_int64(st, 3) != r->inv.amount)
		o->what = "amount";
	else
		o->put = STORE_PUT_SAME;
	return STORE_OK;
}

static int credit_outcome(struct sqlite_store *q, const struct credit_row *r,
			  int64_t import_id, struct store_outcome *o)
{
	int payment = r->cr.kind == LEDGER_PAYMENT, decided;
	sqlite3_stmt *st = read_back(q, payment ? S_PAYMENT_GET : S_CNOTE_GET, r->cr.id, 5,
				     import_id, r->line, o, &decided);

	if (st == NULL)
		return STORE_ERR_DB;
	if (decided)
		return STORE_OK;
	o->put = STORE_PUT_CONFLICT;
	if (sqlite3_column_int64(st, 0) != r->account_key)
		o->what = "account_id";
	else if (sqlite3_column_int64(st, 1) !=
		 (payment ? r->cr.received_at : (int64_t)r->cr.issued_on))
		o->what = payment ? "received_at" : "issued_on";
	else if (sqlite3_column_int64(st, 2) != r->cr.amount)
		o->what = "amount";
	else if (!same_opt(st, 3, payment ? r->method : r->reason))
		o->what = payment ? "method" : "reason";
	else if (!same_opt(st, 4, r->cr.invoice_id))
		o->what = "invoice_id";
	else
		o->put = STORE_PUT_SAME;
	return STORE_OK;
}

static int sq_invoices_put(struct store *s, int64_t import_id,
			   const struct invoice_row *rows, size_t n, struct store_outcome *out)
{
	struct sqlite_store *q = sq(s);
	size_t i = 0;
	int rc;

	memset(out, 0, n * sizeof(*out));
	while (i < n) {
		size_t k = n - i >= CHUNK_ROWS ? CHUNK_ROWS : 1;
		sqlite3_stmt *st = k == 1 ? stmt(q, S_INVOICE_INSERT) : chunk_stmt(q, LT_INVOICES);

		if (st == NULL)
			return STORE_ERR_DB;
		for (size_t j = 0; j < k; j++)
			bind_invoice(st, (int)j * ledger_sql[LT_INVOICES].params, &rows[i + j],
				     import_id);
		if ((rc = step_done(q, st, "writing invoices")) != STORE_OK)
			return rc;
		if ((size_t)sqlite3_changes(q->db) == k) {
			for (size_t j = 0; j < k; j++)
				out[i + j].put = STORE_PUT_NEW;
		} else {
			for (size_t j = 0; j < k; j++)
				if ((rc = invoice_outcome(q, &rows[i + j], import_id, &out[i + j])) != STORE_OK)
					return rc;
		}
		i += k;
	}
	return idle(q, STORE_OK);
}

static int sq_credits_put(struct store *s, int64_t import_id,
			  const struct credit_row *rows, size_t n, struct store_outcome *out)
{
	struct sqlite_store *q = sq(s);
	size_t i = 0;
	int rc;

	memset(out, 0, n * sizeof(*out));
	while (i < n) {
		int payment = rows[i].cr.kind == LEDGER_PAYMENT;
		enum ledger_table t = payment ? LT_PAYMENTS : LT_CNOTES;
		size_t k = 1;
		sqlite3_stmt *st;

		/* A chunk holds rows of one table only. */
		if (n - i >= CHUNK_ROWS) {
			k = CHUNK_ROWS;
			for (size_t j = 1; j < k; j++)
				if (rows[i + j].cr.kind != rows[i].cr.kind)
					k = 1;
		}
		st = k == 1 ? stmt(q, ledger_sql[t].insert) : chunk_stmt(q, t);
		if (st == NULL)
			return STORE_ERR_DB;
		for (size_t j = 0; j < k; j++)
			bind_credit(st, (int)j * ledger_sql[t].params, &rows[i + j], import_id);
		if ((rc = step_done(q, st, payment ? "writing payments" :
				    "writing credit notes")) != STORE_OK)
			return rc;
		if ((size_t)sqlite3_changes(q->db) == k) {
			for (size_t j = 0; j < k; j++)
				out[i + j].put = STORE_PUT_NEW;
		} else {
			for (size_t j = 0; j < k; j++)
				if ((rc = credit_outcome(q, &rows[i + j], import_id, &out[i + j])) != STORE_OK)
					return rc;
		}
		i += k;
	}
	return idle(q, STORE_OK);
}

static int sq_accounts_find(struct store *s, const char *const *ids, size_t n,
			    struct account_ref *out)
{
	struct sqlite_store *q = sq(s);

	for (size_t i = 0; i < n; i++) {
		struct account_ref *ref = &out[i];
		sqlite3_stmt *st;
		int rc;

		memset(ref, 0, sizeof(*ref));
		{
			const struct acache_slot *slot = acache_find(q, ids[i]);

			if (slot != NULL) {
				ref->found = 1;
				ref->account_key = slot->account_key;
				memcpy(ref->currency, slot->currency, sizeof(ref->currency));
				/* interned zones were checked to fit when cached */
				memcpy(ref->timezone, q->zones[slot->zone],
				       strlen(q->zones[slot->zone]) + 1);
				continue;
			}
		}
		if ((st = stmt(q, S_ACCOUNT_FIND)) == NULL)
			return STORE_ERR_DB;
		bind_text(st, 1, ids[i]);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			continue;   /* unknown ids are not cached: they may arrive */
		if (rc != SQLITE_ROW)
			return db_error(q, "finding an account");
		ref->found = 1;
		ref->account_key = sqlite3_column_int64(st, 0);
		snprintf(ref->currency, sizeof(ref->currency), "%s", col_text(st, 1));
		snprintf(ref->timezone, sizeof(ref->timezone), "%s", col_text(st, 2));
		acache_put(q, ids[i], ref);
	}
	return idle(q, STORE_OK);
}

static int sq_invoices_find(struct store *s, const char *const *ids, size_t n,
			    struct invoice_ref *out)
{
	struct sqlite_store *q = sq(s);

	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = stmt(q, S_INVOICE_FIND);
		int rc;

		memset(&out[i], 0, sizeof(out[i]));
		if (st == NULL)
			return STORE_ERR_DB;
		bind_text(st, 1, ids[i]);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			out[i].found = 1;
			out[i].account_key = sqlite3_column_int64(st, 0);
		} else if (rc != SQLITE_DONE) {
			return db_error(q, "finding an invoice");
		}
	}
	return idle(q, STORE_OK);
}

/* ---- ledger scan ----------------------------------------------------------- */

/*
 * One account's entries while a scan assembles them. Ids are copied into
 * `text` and referenced by offset until the account is complete, because the
 * buffer may move as it grows.
 */
struct scan_buf {
	struct ledger_invoice *inv;
	size_t n_inv, cap_inv;
	struct ledger_credit *cr;
	size_t n_cr, cap_cr;
	char *text;
	size_t text_len, text_cap;
};

#define NO_TEXT ((size_t)-1)

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	np = realloc(*p, c * size);
	if (np == NULL)
		return -1;
	*p = np;
	*cap = c;
	return 0;
}

/* Copies a column's text into the buffer; returns its offset or NO_TEXT. */
static int keep_text(struct scan_buf *b, sqlite3_stmt *st, int col, size_t *off)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t len;

	if (t == NULL) {
		*off = NO_TEXT;
		return 0;
	}
	len = (size_t)sqlite3_column_bytes(st, col);
	if (grow((void **)&b->text, &b->text_cap, b->text_len + len + 1, 1) != 0)
		return -1;
	memcpy(b->text + b->text_len, t, len + 1);
	*off = b->text_len;
	b->text_len += len + 1;
	return 0;
}

/* Offsets are parked in the pointer fields as integers until fix_text. */
static const char *park(size_t off) { return (const char *)(uintptr_t)(off + 1); }

static const char *unpark(const char *text, const char *parked)
{
	uintptr_t v = (uintptr_t)parked;

	return v == 0 || v - 1 == NO_TEXT ? NULL : text + (v - 1);
}

static int scan_invoice(struct scan_buf *b, sqlite3_stmt *st)
{
	size_t off;

	if (grow((void **)&b->inv, &b->cap_inv, b->n_inv + 1, sizeof(*b->inv)) != 0 ||
	    keep_text(b, st, 1, &off) != 0)
		return STORE_ERR_NOMEM;
	b->inv[b->n_inv].id = park(off);
	b->inv[b->n_inv].issued_on = sqlite3_column_int(st, 2);
	b->inv[b->n_inv].due_on = sqlite3_column_int(st, 3);
	b->inv[b->n_inv].amount = sqlite3_column_int64(st, 4);
	b->n_inv++;
	return STORE_OK;
}

static int scan_credit(struct scan_buf *b, sqlite3_stmt *st, int kind)
{
	struct ledger_credit *c;
	size_t id, ref;

	if (grow((void **)&b->cr, &b->cap_cr, b->n_cr + 1, sizeof(*b->cr)) != 0 ||
	    keep_text(b, st, 1, &id) != 0 || keep_text(b, st, 2, &ref) != 0)
		return STORE_ERR_NOMEM;
	c = &b->cr[b->n_cr++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->id = park(id);
	c->invoice_id = park(ref);
	if (kind == LEDGER_PAYMENT)
		c->received_at = sqlite3_column_int64(st, 3);
	else
		c->issued_on = sqlite3_column_int(st, 3);
	c->amount = sqlite3_column_int64(st, 4);
	return STORE_OK;
}

/* A cursor over one of the ledger statements, ordered by account key. */
struct cursor {
	sqlite3_stmt *st;
	int live;   /* a row is current */
};

static int cursor_step(struct sqlite_store *q, struct cursor *c)
{
	int rc = sqlite3_step(c->st);

	if (rc == SQLITE_ROW) {
		c->live = 1;
		return STORE_OK;
	}
	c->live = 0;
	return rc == SQLITE_DONE ? STORE_OK : db_error(q, "scanning the ledger");
}

static int in_keys(const int64_t *keys, size_t n, int64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (keys[mid] == key)
			return 1;
		if (keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Merges the account list with the three ledger tables over keys in
 * [lo, hi], calling cb for the accounts in `keys` (all when keys is NULL).
 */
static int scan_range(struct sqlite_store *q, int64_t lo, int64_t hi,
		      const int64_t *keys, size_t n_keys,
		      struct scan_buf *b, store_ledger_cb cb, void *ctx)
{
	static const enum stmt_id ids[4] = {
		S_LEDGER_ACCOUNT, S_LEDGER_INVOICES, S_LEDGER_PAYMENTS, S_LEDGER_CNOTES
	};
	struct cursor cur[4] = { 0 };
	int rc = STORE_OK;

	/* Scan statements: cb may write (snapshots, file entries). */
	for (int i = 0; i < 4; i++) {
		cur[i].st = scan_open(q, SCAN_LEDGER_ACCOUNT + i, stmt_sql[ids[i]]);
		if (cur[i].st == NULL) {
			rc = db_error(q, "reading the ledger");
			goto out;
		}
		sqlite3_bind_int64(cur[i].st, 1, lo);
		sqlite3_bind_int64(cur[i].st, 2, hi);
		if ((rc = cursor_step(q, &cur[i])) != STORE_OK)
			goto out;
	}
	while (cur[0].live) {
		sqlite3_stmt *a = cur[0].st;
		int64_t key = sqlite3_column_int64(a, 0);
		int wanted = keys == NULL || in_keys(keys, n_keys, key);

		b->n_inv = b->n_cr = b->text_len = 0;
		for (int i = 1; i < 4; i++) {
			while (cur[i].live && sqlite3_column_int64(cur[i].st, 0) <= key) {
				if (wanted && sqlite3_column_int64(cur[i].st, 0) == key) {
					rc = i == 1 ? scan_invoice(b, cur[i].st) :
					     scan_credit(b, cur[i].st, i == 2 ? LEDGER_PAYMENT :
							 LEDGER_CREDIT_NOTE);
					if (rc != STORE_OK)
						goto out;
				}
				if ((rc = cursor_step(q, &cur[i])) != STORE_OK)
					goto out;
			}
		}
		if (wanted) {
			struct account_ledger l;
			const char *cur_code = col_text(a, 3);
			int exponent = 2;

			for (size_t i = 0; i < b->n_inv; i++)
				b->inv[i].id = unpark(b->text, b->inv[i].id);
			for (size_t i = 0; i < b->n_cr; i++) {
				b->cr[i].id = unpark(b->text, b->cr[i].id);
				b->cr[i].invoice_id = unpark(b->text, b->cr[i].invoice_id);
			}
			if (money_currency_exponent(cur_code, &exponent) != MONEY_OK) {
				rc = store_set_error(&q->base, STORE_ERR_INPUT,
						     "%s: account %s has unknown currency %s",
						     q->path, col_text(a, 1), cur_code);
				goto out;
			}
			l.account_key = key;
			l.account_id = col_text(a, 1);
			l.customer_id = col_text(a, 2);
			l.currency = cur_code;
			l.exponent = exponent;
			l.timezone = col_text(a, 4);
			l.invoices = b->inv;
			l.n_invoices = b->n_inv;
			l.credits = b->cr;
			l.n_credits = b->n_cr;
			if ((rc = cb(ctx, &l)) != 0)
				goto out;
		}
		if ((rc = cursor_step(q, &cur[0])) != STORE_OK)
			goto out;
	}
out:
	for (int i = 0; i < 4; i++)
		scan_close(q, SCAN_LEDGER_ACCOUNT + i, cur[i].st);
	return rc;
}

static int sq_ledger_scan(struct store *s, const int64_t *keys, size_t n,
			  store_ledger_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	struct scan_buf b = { 0 };
	int rc = STORE_OK;

	if (keys == NULL) {
		rc = scan_range(q, INT64_MIN, INT64_MAX, NULL, 0, &b, cb, ctx);
	} else if (n > 0 && n <= 64) {
		/* A few accounts: one indexed range each. */
		for (size_t i = 0; i < n && rc == STORE_OK; i++)
			rc = scan_range(q, keys[i], keys[i], keys, n, &b, cb, ctx);
	} else if (n > 0) {
		/* Many: one merge over the span, skipping accounts not asked for. */
		rc = scan_range(q, keys[0], keys[n - 1], keys, n, &b, cb, ctx);
	}
	free(b.inv);
	free(b.cr);
	free(b.text);
	return rc;
}

static int sq_snapshots_put(struct store *s, const int64_t *keys,
			    const struct position *snaps, size_t n)
{
	struct sqlite_store *q = sq(s);
	unsigned char small[64 * POSITION_ITEM_BYTES];
	int rc = STORE_OK;

	for (size_t i = 0; i < n; i++) {
		const struct position *p = &snaps[i];
		sqlite3_stmt *st = stmt(q, S_SNAPSHOT_PUT);
		unsigned char *blob = small;
		size_t len;

		if (st == NULL)
			return STORE_ERR_DB;
		if (p->n_open > 64 && (blob = malloc(p->n_open * POSITION_ITEM_BYTES)) == NULL)
			return STORE_ERR_NOMEM;
		len = position_pack_items(p->open, p->n_open, blob);
		sqlite3_bind_int64(st, 1, keys[i]);
		sqlite3_bind_int64(st, 2, p->balance);
		sqlite3_bind_int64(st, 3, p->invoiced);
		sqlite3_bind_int64(st, 4, p->paid);
		sqlite3_bind_int64(st, 5, p->credited);
		sqlite3_bind_int64(st, 6, p->complete_at);
		if (p->n_open > 0)
			sqlite3_bind_int(st, 7, p->open[0].due_on);
		else
			sqlite3_bind_null(st, 7);
		sqlite3_bind_blob(st, 8, blob, (int)len, SQLITE_TRANSIENT);
		rc = step_done(q, st, "writing a position");
		if (blob != small)
			free(blob);
		if (rc != STORE_OK)
			return rc;
	}
	return rc;
}

static int sq_accounts_scan(struct store *s, const char *account_id,
			    store_account_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT a.account_key, a.account_id, c.customer_id, a.currency, c.timezone, "
		"c.jurisdiction, c.locale, c.name, coalesce(c.segment, ''), "
		"coalesce(k.stage, ''), p.account_key IS NOT NULL, p.balance, p.invoiced, "
		"p.paid, p.credited, p.complete_at, p.open_items "
		"FROM accounts a JOIN customers c ON c.customer_key = a.customer_key "
		"LEFT JOIN positions p ON p.account_key = a.account_key "
		"LEFT JOIN cases k ON k.account_key = a.account_key ";
	struct sqlite_store *q = sq(s);
	enum scan_id id = account_id != NULL ? SCAN_ACCOUNT_ONE : SCAN_ACCOUNT_ALL;
	sqlite3_stmt *st;
	char full[sizeof(sql) + 64];
	int rc;

	/* Two shapes, not "?1 IS NULL OR account_id = ?1": SQLite cannot use
	 * the account_id index through the OR, and a cycle looks accounts up
	 * one by one. */
	snprintf(full, sizeof(full), "%s%s", sql, account_id != NULL ?
		 "WHERE a.account_id = ?1" : "ORDER BY a.account_id");
	if ((st = scan_open(q, id, full)) == NULL)
		return db_error(q, "listing accounts");
	if (account_id != NULL)
		bind_text(st, 1, account_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct account_summary a;

		memset(&a, 0, sizeof(a));
		a.account_key = sqlite3_column_int64(st, 0);
		a.account_id = col_text(st, 1);
		a.customer_id = col_text(st, 2);
		a.currency = col_text(st, 3);
		a.timezone = col_text(st, 4);
		a.jurisdiction = col_text(st, 5);
		a.locale = col_text(st, 6);
		a.name = col_text(st, 7);
		a.segment = col_text(st, 8);
		a.stage = col_text(st, 9);
		a.has_snapshot = sqlite3_column_int(st, 10);
		if (a.has_snapshot) {
			a.snapshot.balance = sqlite3_column_int64(st, 11);
			a.snapshot.invoiced = sqlite3_column_int64(st, 12);
			a.snapshot.paid = sqlite3_column_int64(st, 13);
			a.snapshot.credited = sqlite3_column_int64(st, 14);
			a.snapshot.complete_at = sqlite3_column_int64(st, 15);
			if (position_unpack_items(sqlite3_column_blob(st, 16),
						  (size_t)sqlite3_column_bytes(st, 16),
						  &a.snapshot.open, &a.snapshot.n_open) != POSITION_OK) {
				rc = store_set_error(s, STORE_ERR_DB,
						     "%s: account %s: damaged position snapshot",
						     q->path, a.account_id);
				goto out;
			}
		}
		rc = cb(ctx, &a);
		position_release(&a.snapshot);
		if (rc != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? STORE_OK : db_error(q, "listing accounts");
out:
	scan_close(q, id, st);
	return rc;
}

static int sq_accounts_of_customer(struct store *s, const char *customer_id,
				   store_customer_account_cb cb, void *ctx)
{
	/* accounts_customer finds the rows; the sort is over one customer's
	 * accounts only. */
	static const char sql[] =
		"SELECT a.account_key, a.account_id, a.currency "
		"FROM accounts a JOIN customers c ON c.customer_key = a.customer_key "
		"WHERE c.customer_id = ?1 ORDER BY a.account_id";
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st;
	int rc;

	if ((st = scan_open(q, SCAN_ACCOUNTS_OF_CUSTOMER, sql)) == NULL)
		return db_error(q, "listing a customer's accounts");
	bind_text(st, 1, customer_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct customer_account a = {
			sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2)
		};

		if ((rc = cb(ctx, &a)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? STORE_OK : db_error(q, "listing a customer's accounts");
out:
	scan_close(q, SCAN_ACCOUNTS_OF_CUSTOMER, st);
	return rc;
}

static int sq_services_scan(struct store *s, int64_t account_key,
			    store_service_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_SERVICES_OF);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, account_key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct service_view v = {
			col_text(st, 0), col_text(st, 1), col_text(st, 2), col_text(st, 3)
		};

		if ((rc = cb(ctx, &v)) != 0) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : db_error(q, "listing services");
}

static int sq_customer_get(struct store *s, const char *customer_id,
			   store_customer_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_CUSTOMER_VIEW);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, customer_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		struct customer_view v = {
			col_text(st, 0), col_text(st, 1), col_text(st, 2), col_text(st, 3),
			col_text(st, 4), col_text(st, 5), col_text(st, 6), col_text(st, 7)
		};

		rc = cb(ctx, &v);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return store_set_error(s, STORE_ERR_INPUT, "no customer %s", customer_id);
	return db_error(q, "reading a customer");
}

/* ---- the customer file ------------------------------------------------------ */

/* Chains entry `e` (its seq set here) to the last entry of customer_key's
 * file; inside a transaction. */
static int sq_file_chain(struct sqlite_store *q, int64_t customer_key, int64_t account_key,
			 struct custfile_entry *e)
{
	unsigned char prev[CUSTFILE_HASH_BYTES], hash[CUSTFILE_HASH_BYTES];
	sqlite3_stmt *st;
	int rc;

	/* The write lock is held since BEGIN IMMEDIATE: nobody can append
	 * between this read and the insert. */
	if ((st = stmt(q, S_FILE_LAST)) == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, customer_key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != CUSTFILE_HASH_BYTES)
			return idle(q, store_set_error(&q->base, STORE_ERR_DB,
						       "%s: the file of customer %s is damaged: "
						       "run `relance verify`", q->path,
						       e->customer_id));
		e->seq = sqlite3_column_int64(st, 0) + 1;
		memcpy(prev, sqlite3_column_blob(st, 1), CUSTFILE_HASH_BYTES);
	} else if (rc == SQLITE_DONE) {
		e->seq = 1;
		memcpy(prev, custfile_genesis, CUSTFILE_HASH_BYTES);
	} else {
		return db_error(q, "appending to a customer file");
	}
	custfile_hash(e, prev, hash);
	if ((st = stmt(q, S_FILE_INSERT)) == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, customer_key);
	sqlite3_bind_int64(st, 2, e->seq);
	sqlite3_bind_int64(st, 3, e->at);
	if (account_key != 0)
		sqlite3_bind_int64(st, 4, account_key);
	else
		sqlite3_bind_null(st, 4);
	bind_text(st, 5, e->kind);
	bind_text(st, 6, e->author);
	bind_text(st, 7, e->body);
	sqlite3_bind_blob(st, 8, prev, CUSTFILE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, hash, CUSTFILE_HASH_BYTES, SQLITE_STATIC);
	if ((rc = step_done(q, st, "appending to a customer file")) != STORE_OK)
		return rc;
	return idle(q, STORE_OK);
}

/* The append proper, inside a transaction. */
static int sq_file_write(struct sqlite_store *q, const char *customer_id, const char *account_id,
			 int64_t at, const char *kind, const char *author, const char *body,
			 int64_t *seq_out)
{
	struct custfile_entry e = {
		customer_id, 0, at, is_absent(account_id) ? "" : account_id, kind, author, body
	};
	int64_t customer_key, account_key = 0;
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt(q, S_CUSTOMER_KEY)) == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, customer_id);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE)
		return idle(q, store_set_error(&q->base, STORE_ERR_INPUT, "no customer %s",
					       customer_id));
	if (rc != SQLITE_ROW)
		return db_error(q, "appending to a customer file");
	customer_key = sqlite3_column_int64(st, 0);
	if (!is_absent(account_id)) {
		if ((st = stmt(q, S_FILE_ACCOUNT)) == NULL)
			return STORE_ERR_DB;
		bind_text(st, 1, account_id);
		sqlite3_bind_int64(st, 2, customer_key);
		if ((rc = sqlite3_step(st)) == SQLITE_DONE)
			return idle(q, store_set_error(&q->base, STORE_ERR_INPUT,
						       "no account %s of customer %s",
						       account_id, customer_id));
		if (rc != SQLITE_ROW)
			return db_error(q, "appending to a customer file");
		account_key = sqlite3_column_int64(st, 0);
	}
	if ((rc = sq_file_chain(q, customer_key, account_key, &e)) == STORE_OK)
		*seq_out = e.seq;
	return rc;
}

static int sq_file_notes(struct store *s, const struct file_note *v, size_t n)
{
	struct sqlite_store *q = sq(s);
	int own = !q->in_tx, rc = STORE_OK;

	if (own && (rc = sq_begin(s)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		struct custfile_entry e = { NULL, 0, v[i].at, NULL, v[i].kind, v[i].author,
					    v[i].body };
		char *ids = NULL;
		int64_t customer_key;
		sqlite3_stmt *st = stmt(q, S_FILE_OF_ACCOUNT);

		if (st == NULL) {
			rc = STORE_ERR_DB;
			break;
		}
		sqlite3_bind_int64(st, 1, v[i].account_key);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			rc = rc == SQLITE_DONE ?
				idle(q, store_set_error(s, STORE_ERR_INPUT, "no account key %lld",
							(long long)v[i].account_key)) :
				db_error(q, "appending to a customer file");
			break;
		}
		/* Copied: the next statement resets this one. */
		customer_key = sqlite3_column_int64(st, 0);
		if (asprintf(&ids, "%s%c%s", col_text(st, 1), '\0', col_text(st, 2)) < 0) {
			rc = idle(q, store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory",
						     q->path));
			break;
		}
		e.customer_id = ids;
		e.account_id = ids + strlen(ids) + 1;
		rc = sq_file_chain(q, customer_key, v[i].account_key, &e);
		free(ids);
	}
	return own_end(s, own, rc);
}

static int sq_file_append(struct store *s, const char *customer_id, const char *account_id,
			  int64_t at, const char *kind, const char *author, const char *body,
			  int64_t *seq_out)
{
	struct sqlite_store *q = sq(s);
	int own = !q->in_tx, rc;

	if (own && (rc = sq_begin(s)) != STORE_OK)
		return rc;
	rc = sq_file_write(q, customer_id, account_id, at, kind, author, body, seq_out);
	return own_end(s, own, rc);
}

static int sq_file_scan(struct store *s, const char *customer_id, store_file_cb cb, void *ctx)
{
	/* The primary key (customer_key, seq) serves both orders. */
	static const char all[] =
		"SELECT c.customer_id, f.seq, f.at, coalesce(a.account_id, ''), f.kind, "
		"f.author, f.body, f.prev_hash, f.hash FROM file_entries f "
		"JOIN customers c ON c.customer_key = f.customer_key "
		"LEFT JOIN accounts a ON a.account_key = f.account_key "
		"ORDER BY f.customer_key, f.seq";
	static const char one[] =
		"SELECT c.customer_id, f.seq, f.at, coalesce(a.account_id, ''), f.kind, "
		"f.author, f.body, f.prev_hash, f.hash FROM customers c "
		"JOIN file_entries f ON f.customer_key = c.customer_key "
		"LEFT JOIN accounts a ON a.account_key = f.account_key "
		"WHERE c.customer_id = ?1 ORDER BY f.seq";
	struct sqlite_store *q = sq(s);
	enum scan_id id = customer_id ? SCAN_FILE_ONE : SCAN_FILE_ALL;
	sqlite3_stmt *st;
	int rc;

	if ((st = scan_open(q, id, customer_id ? one : all)) == NULL)
		return db_error(q, "reading the customer file");
	if (customer_id != NULL)
		bind_text(st, 1, customer_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct file_entry_view v = {
			.customer_id = col_text(st, 0),
			.seq = sqlite3_column_int64(st, 1),
			.at = sqlite3_column_int64(st, 2),
			.account_id = col_text(st, 3),
			.kind = col_text(st, 4),
			.author = col_text(st, 5),
			.body = col_text(st, 6),
		};

		v.prev_hash = sqlite3_column_blob(st, 7);
		v.prev_hash_len = (size_t)sqlite3_column_bytes(st, 7);
		v.hash = sqlite3_column_blob(st, 8);
		v.hash_len = (size_t)sqlite3_column_bytes(st, 8);
		if ((rc = cb(ctx, &v)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? STORE_OK : db_error(q, "reading the customer file");
out:
	scan_close(q, id, st);
	return rc;
}

/* ---- collection policies ---------------------------------------------------- */

static int sq_policy_put(struct store *s, const char *source_name, const char *body,
			 int64_t loaded_at, int64_t *version)
{
	struct sqlite_store *q = sq(s);
	int own = !q->in_tx, rc;
	sqlite3_stmt *st;

	/* BEGIN IMMEDIATE holds the write lock from the read of max(version)
	 * to the insert: two loads at once cannot both take the same number. */
	if (own && (rc = sq_begin(s)) != STORE_OK)
		return rc;
	if ((st = stmt(q, S_POLICY_INSERT)) == NULL) {
		rc = STORE_ERR_DB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, loaded_at);
	bind_text(st, 2, source_name);
	bind_text(st, 3, body);
	if ((rc = step_done(q, st, "storing the policy")) != STORE_OK)
		goto out;
	/* version is the table's INTEGER PRIMARY KEY, hence its rowid. */
	*version = sqlite3_last_insert_rowid(q->db);
	rc = idle(q, STORE_OK);
out:
	return own_end(s, own, rc);
}

static int sq_policy_get(struct store *s, int64_t version, store_policy_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, version == 0 ? S_POLICY_LATEST : S_POLICY_GET);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	if (version != 0)
		sqlite3_bind_int64(st, 1, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		struct stored_policy p = {
			.version = sqlite3_column_int64(st, 0),
			.loaded_at = sqlite3_column_int64(st, 1),
			.source = col_text(st, 2),
			.body = col_text(st, 3),
		};

		p.body_len = (size_t)sqlite3_column_bytes(st, 3);
		rc = cb(ctx, &p);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_error(q, "reading a policy");
	if (version == 0)
		return store_set_error(s, STORE_ERR_INPUT, "no policy loaded yet");
	return store_set_error(s, STORE_ERR_INPUT, "no policy version %lld", (long long)version);
}

static int sq_policy_list(struct store *s, store_policy_cb cb, void *ctx)
{
	/* Prepared apart from the cached statements: a callback may use the
	 * store, and idle() would reset a cached one under this loop. The
	 * cast counts bytes, not characters. */
	static const char sql[] =
		"SELECT version, loaded_at, source, length(CAST(body AS BLOB)) FROM policies "
		"ORDER BY version";
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(q, "listing policies");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct stored_policy p = {
			.version = sqlite3_column_int64(st, 0),
			.loaded_at = sqlite3_column_int64(st, 1),
			.source = col_text(st, 2),
			.body = NULL,
			.body_len = (size_t)sqlite3_column_int64(st, 3),
		};

		if ((rc = cb(ctx, &p)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? STORE_OK : db_error(q, "listing policies");
out:
	sqlite3_finalize(st);
	return rc;
}

/* ---- cases ------------------------------------------------------------------ */

static int sq_case_get(struct store *s, int64_t account_key, store_case_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_CASE_GET);
	struct case_row c = { 0 };
	char *stage = NULL, *rule = NULL, *state = NULL;
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, account_key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return idle(q, STORE_OK);
	if (rc != SQLITE_ROW)
		return db_error(q, "reading a case");
	/* Copied: cb may use the store, which resets the cached statement. */
	stage = strdup(col_text(st, 1));
	rule = strdup(col_text(st, 4));
	state = strdup(col_text(st, 6));
	if (stage == NULL || rule == NULL || state == NULL) {
		rc = idle(q, store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory", q->path));
		goto out;
	}
	c.account_key = sqlite3_column_int64(st, 0);
	c.stage = stage;
	c.stage_since = sqlite3_column_int64(st, 2);
	c.policy_version = sqlite3_column_int64(st, 3);
	c.rule = rule;
	c.next_check_at = sqlite3_column_int64(st, 5);
	c.state = state;
	idle(q, STORE_OK);
	rc = cb(ctx, &c);
out:
	free(stage);
	free(rule);
	free(state);
	return rc;
}

static int sq_cases_put(struct store *s, const struct case_row *rows, size_t n)
{
	struct sqlite_store *q = sq(s);
	int own = !q->in_tx, rc = STORE_OK;

	if (own && (rc = sq_begin(s)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		const struct case_row *r = &rows[i];
		sqlite3_stmt *st = stmt(q, S_CASE_PUT);

		if (st == NULL) {
			rc = STORE_ERR_DB;
			break;
		}
		sqlite3_bind_int64(st, 1, r->account_key);
		bind_text(st, 2, r->stage);
		sqlite3_bind_int64(st, 3, r->stage_since);
		if (r->policy_version != 0)
			sqlite3_bind_int64(st, 4, r->policy_version);
		bind_opt(st, 5, r->rule);
		if (r->next_check_at != STORE_NEVER)
			sqlite3_bind_int64(st, 6, r->next_check_at);
		bind_text(st, 7, r->state && r->state[0] ? r->state : "{}");
		rc = step_done(q, st, "storing a case");
	}
	rc = idle(q, rc);
	return own_end(s, own, rc);
}

#define SQ_PAGE 1000

/* The due accounts' ids, read whole first: callbacks write the cases. */
static int sq_accounts_due(struct store *s, int64_t now, int64_t policy_version,
			   store_id_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT a.account_id FROM accounts a "
		"LEFT JOIN cases k ON k.account_key = a.account_key "
		"WHERE k.account_key IS NULL OR k.policy_version IS NOT ?2 "
		"OR k.next_check_at <= ?1 ORDER BY a.account_id";
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = NULL;
	char **ids = NULL;
	size_t n = 0, cap = 0;
	int rc = STORE_OK, step;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(q, "listing due accounts");
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, policy_version);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			char **v = realloc(ids, (cap = cap ? cap * 2 : 1024) * sizeof(*v));

			if (v == NULL) {
				rc = store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory", q->path);
				goto out;
			}
			ids = v;
		}
		if ((ids[n] = strdup(col_text(st, 0))) == NULL) {
			rc = store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory", q->path);
			goto out;
		}
		n++;
	}
	if (step != SQLITE_DONE) {
		rc = db_error(q, "listing due accounts");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < n && rc == STORE_OK; i++)
		rc = cb(ctx, ids[i]);
out:
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

static int sq_cases_touch(struct store *s, const int64_t *keys, size_t n, int64_t at)
{
	static const char sql[] =
		"UPDATE cases SET next_check_at = ?2 WHERE account_key = ?1 "
		"AND (next_check_at IS NULL OR next_check_at > ?2)";
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK;

	if (n == 0)
		return STORE_OK;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(q, "scheduling cases");
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, keys[i]);
		sqlite3_bind_int64(st, 2, at);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = db_error(q, "scheduling cases");
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Due cases are read a page at a time into memory, each page from a fresh
 * statement after the last key seen: the callbacks typically rewrite the
 * very rows being listed, which a statement still stepping over the table
 * might then meet again or skip.
 */
static int sq_cases_due(struct store *s, int64_t now, store_case_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT account_key, stage, stage_since, coalesce(policy_version, 0), "
		"coalesce(rule, ''), next_check_at, state FROM cases "
		"WHERE account_key > ?1 AND next_check_at <= ?2 "
		"ORDER BY account_key LIMIT ?3";
	struct sqlite_store *q = sq(s);
	struct case_row *page = calloc(SQ_PAGE, sizeof(*page));
	sqlite3_stmt *st = NULL;
	int64_t after = INT64_MIN;
	size_t n = 0;
	int rc = STORE_OK;

	if (page == NULL)
		return store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory", q->path);
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(q, "listing due cases");
		goto out;
	}
	for (;;) {
		int step = SQLITE_DONE;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, after);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int(st, 3, SQ_PAGE);
		while (n < SQ_PAGE && (step = sqlite3_step(st)) == SQLITE_ROW) {
			struct case_row *c = &page[n++];

			c->account_key = sqlite3_column_int64(st, 0);
			c->stage = strdup(col_text(st, 1));
			c->stage_since = sqlite3_column_int64(st, 2);
			c->policy_version = sqlite3_column_int64(st, 3);
			c->rule = strdup(col_text(st, 4));
			c->next_check_at = sqlite3_column_int64(st, 5);
			c->state = strdup(col_text(st, 6));
			if (c->stage == NULL || c->rule == NULL || c->state == NULL) {
				rc = store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory",
						     q->path);
				goto out;
			}
		}
		if (n < SQ_PAGE && step != SQLITE_DONE) {
			rc = db_error(q, "listing due cases");
			goto out;
		}
		sqlite3_reset(st);   /* no read snapshot held while cb writes */
		for (size_t i = 0; i < n; i++)
			if ((rc = cb(ctx, &page[i])) != 0)
				goto out;
		if (n < SQ_PAGE)
			break;
		after = page[n - 1].account_key;
		for (size_t i = 0; i < n; i++) {
			free((char *)page[i].stage);
			free((char *)page[i].state);
			free((char *)page[i].rule);
		}
		n = 0;
	}
out:
	for (size_t i = 0; i < n; i++) {
		free((char *)page[i].stage);
		free((char *)page[i].state);
		free((char *)page[i].rule);
	}
	free(page);
	sqlite3_finalize(st);
	return rc;
}

/* ---- the outbox ------------------------------------------------------------- */

static int sq_outbox_put(struct store *s, const struct outbox_row *rows, size_t n,
			 struct store_outcome *out)
{
	struct sqlite_store *q = sq(s);
	int own = !q->in_tx, rc = STORE_OK;

	if (own && (rc = sq_begin(s)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		const struct outbox_row *r = &rows[i];
		sqlite3_stmt *st = stmt(q, S_OUTBOX_INSERT);

		if (st == NULL) {
			rc = STORE_ERR_DB;
			break;
		}
		bind_text(st, 1, r->idempotency_key);
		sqlite3_bind_int64(st, 2, r->account_key);
		bind_text(st, 3, r->channel);
		bind_text(st, 4, r->action);
		sqlite3_bind_int64(st, 5, r->due_at);
		bind_text(st, 6, r->payload ? r->payload : "{}");
		if (r->policy_version != 0)
			sqlite3_bind_int64(st, 7, r->policy_version);
		bind_opt(st, 8, r->rule);
		sqlite3_bind_int64(st, 9, r->created_at);
		if ((rc = step_done(q, st, "queueing an action")) != STORE_OK)
			break;
		/* DO NOTHING changes no row when the key is known. */
		out[i].put = sqlite3_changes(q->db) == 1 ? STORE_PUT_NEW : STORE_PUT_SAME;
		out[i].line = 0;
		out[i].what = NULL;
	}
	rc = idle(q, rc);
	return own_end(s, own, rc);
}

/* The view of the STORE_OUTBOX_COLUMNS of the current row, borrowed. */
static void sq_outbox_view(sqlite3_stmt *st, struct outbox_view *v)
{
	v->outbox_id = sqlite3_column_int64(st, 0);
	v->idempotency_key = col_text(st, 1);
	v->account_key = sqlite3_column_int64(st, 2);
	v->channel = col_text(st, 3);
	v->action = col_text(st, 4);
	v->due_at = sqlite3_column_int64(st, 5);
	v->payload = col_text(st, 6);
	v->policy_version = sqlite3_column_int64(st, 7);
	v->rule = col_text(st, 8);
	v->state = col_text(st, 9);
	v->lease_owner = col_text(st, 10);
	v->lease_until = sqlite3_column_int64(st, 11);
	v->attempts = sqlite3_column_int64(st, 12);
	v->created_at = sqlite3_column_int64(st, 13);
	v->done_at = sqlite3_column_int64(st, 14);
	v->outcome = col_text(st, 15);
}

/* The strings of a view, in one allocation so that one free releases them. */
static int sq_outbox_keep(struct outbox_view *v)
{
	const char **f[] = {
		&v->idempotency_key, &v->channel, &v->action, &v->payload, &v->rule,
		&v->state, &v->lease_owner, &v->outcome,
	};
	size_t len = 0;
	char *p;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		len += strlen(*f[i]) + 1;
	if ((p = malloc(len)) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t n = strlen(*f[i]) + 1;

		memcpy(p, *f[i], n);
		*f[i] = p;
		p += n;
	}
	return 0;
}

static int sq_outbox_order(const void *a, const void *b)
{
	const struct outbox_view *x = a, *y = b;

	if (x->due_at != y->due_at)
		return x->due_at < y->due_at ? -1 : 1;
	return (x->outbox_id > y->outbox_id) - (x->outbox_id < y->outbox_id);
}

/*
 * The claim runs under BEGIN IMMEDIATE, which makes it exclusive among
 * processes sharing the file; its rows are copied out and the claim
 * committed before the first callback, so that a worker killed inside a
 * callback leaves claimed rows (reclaimable after their lease), never an
 * open transaction that would hand them out again at once.
 */
static int sq_outbox_claim(struct store *s, const char *worker, int64_t now,
			   int64_t lease_until, size_t max, store_outbox_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	struct outbox_view *got = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc, step;

	if (q->in_tx)
		return store_set_error(s, STORE_ERR_INPUT, "%s: claiming the outbox: a "
				       "transaction is open", q->path);
	if ((rc = sq_begin(s)) != STORE_OK)
		return rc;
	if ((st = stmt(q, S_OUTBOX_CLAIM)) == NULL) {
		rc = STORE_ERR_DB;
		goto out;
	}
	bind_text(st, 1, worker);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, lease_until);
	sqlite3_bind_int64(st, 4, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap && grow((void **)&got, &cap, n + 1, sizeof(*got)) != 0) {
			rc = idle(q, store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory",
						     q->path));
			goto out;
		}
		sq_outbox_view(st, &got[n]);
		if (sq_outbox_keep(&got[n]) != 0) {
			rc = idle(q, store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory",
						     q->path));
			goto out;
		}
		n++;
	}
	if (step != SQLITE_DONE) {
		rc = db_error(q, "claiming the outbox");
		goto out;
	}
	rc = idle(q, STORE_OK);
out:
	if (rc == STORE_OK) {
		rc = sq_commit(s);
	} else {
		sq_rollback(s);   /* keeps the reason unless it fails too */
	}
	if (rc == STORE_OK) {
		/* RETURNING comes in no defined order. */
		if (n > 1)
			qsort(got, n, sizeof(*got), sq_outbox_order);
		for (size_t i = 0; i < n && rc == STORE_OK; i++)
			rc = cb(ctx, &got[i]);
	}
	for (size_t i = 0; i < n; i++)
		free((char *)got[i].idempotency_key);
	free(got);
	return rc;
}

static int sq_outbox_finish(struct store *s, int64_t outbox_id, const char *worker,
			    const char *state, const char *outcome, int64_t at, int64_t due_at)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_OUTBOX_FINISH);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, outbox_id);
	bind_text(st, 2, worker);
	bind_text(st, 3, state);
	sqlite3_bind_int64(st, 4, at);
	bind_text(st, 5, outcome);
	sqlite3_bind_int64(st, 6, due_at);
	if ((rc = step_done(q, st, "finishing an action")) != STORE_OK)
		return rc;
	if (sqlite3_changes(q->db) == 0)
		return idle(q, store_set_error(s, STORE_ERR_INPUT, "outbox row %lld: lease "
					       "lost: not claimed by %s any more",
					       (long long)outbox_id, worker));
	return idle(q, STORE_OK);
}

static int sq_outbox_sending(struct store *s, const int64_t *ids, size_t n, const char *worker)
{
	struct sqlite_store *q = sq(s);
	int own = !q->in_tx, rc = STORE_OK;

	if (own && (rc = sq_begin(s)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		sqlite3_stmt *st = stmt(q, S_OUTBOX_SENDING);

		if (st == NULL) {
			rc = STORE_ERR_DB;
			break;
		}
		sqlite3_bind_int64(st, 1, ids[i]);
		bind_text(st, 2, worker);
		if ((rc = step_done(q, st, "marking actions as sending")) != STORE_OK)
			break;
		if (sqlite3_changes(q->db) == 0)
			rc = store_set_error(s, STORE_ERR_INPUT, "outbox row %lld: lease lost: not "
					     "claimed by %s any more", (long long)ids[i], worker);
	}
	return own_end(s, own, idle(q, rc));
}

static int sq_outbox_peer_ids(struct store *s, int64_t outbox_id, const char *channel,
			      const char *peer_ids)
{
	struct sqlite_store *q = sq(s);
	int own = !q->in_tx, rc = STORE_OK;
	const char *p = peer_ids;

	if (own && (rc = sq_begin(s)) != STORE_OK)
		return rc;
	while (rc == STORE_OK && *p) {
		size_t len = strcspn(p, " ");
		sqlite3_stmt *st;

		if (len == 0) {
			p++;
			continue;
		}
		if ((st = stmt(q, S_OUTBOX_PEER_PUT)) == NULL) {
			rc = STORE_ERR_DB;
			break;
		}
		bind_text(st, 1, channel);
		sqlite3_bind_text(st, 2, p, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, outbox_id);
		rc = step_done(q, st, "recording a peer's message id");
		p += len;
	}
	return own_end(s, own, idle(q, rc));
}

static int sq_outbox_by_peer_id(struct store *s, const char *channel, const char *peer_id,
				store_outbox_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_OUTBOX_BY_PEER);
	struct outbox_view v;
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, channel);
	bind_text(st, 2, peer_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return idle(q, STORE_OK);
	if (rc != SQLITE_ROW)
		return db_error(q, "finding a message by its peer id");
	/* Copied: cb may use the store, which resets the cached statement. */
	sq_outbox_view(st, &v);
	if (sq_outbox_keep(&v) != 0)
		return idle(q, store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory", q->path));
	idle(q, STORE_OK);
	rc = cb(ctx, &v);
	free((char *)v.idempotency_key);
	return rc;
}

static int sq_contact_failure(struct store *s, const char *customer_id, const char *kind,
			      const char *value, int64_t at, int threshold, int *flagged_now)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_CONTACT_FAILURE);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, customer_id);
	bind_text(st, 2, kind);
	bind_text(st, 3, value);
	sqlite3_bind_int64(st, 4, at);
	sqlite3_bind_int(st, 5, threshold);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return idle(q, store_set_error(s, STORE_ERR_INPUT, "no customer %s", customer_id));
	if (rc != SQLITE_ROW)
		return db_error(q, "counting a contact's failures");
	*flagged_now = sqlite3_column_int(st, 0);
	return idle(q, STORE_OK);
}

static int sq_voice_call_add(struct store *s, const struct store_voice_call *c)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_VOICE_CALL_ADD);

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, c->outbox_id);
	sqlite3_bind_int64(st, 2, c->ended_at);
	bind_text(st, 3, c->outcome);
	sqlite3_bind_int(st, 4, c->share);
	sqlite3_bind_int(st, 5, c->requeued != 0);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(q, "recording a call");
	if (sqlite3_changes(q->db) == 0)
		return idle(q, store_set_error(s, STORE_ERR_INPUT, "no outbox row %lld",
					       (long long)c->outbox_id));
	return idle(q, STORE_OK);
}

static void sq_voice_call_view(sqlite3_stmt *st, struct store_voice_call *c)
{
	c->outbox_id = sqlite3_column_int64(st, 0);
	c->account_id = col_text(st, 1);
	c->currency = col_text(st, 2);
	c->ended_at = sqlite3_column_int64(st, 3);
	c->outcome = col_text(st, 4);
	c->share = sqlite3_column_int(st, 5);
	c->requeued = sqlite3_column_int(st, 6);
}

/* A row's calls are read whole before cb sees them (a few per row), so
 * that cb may use the store. */
static int sq_voice_calls_of(struct store *s, int64_t outbox_id, store_voice_call_cb cb,
			     void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_VOICE_CALLS_OF);
	struct store_voice_call *v = NULL, c;
	size_t n = 0, cap = 0;
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, outbox_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct store_voice_call *g = realloc(v, ncap * sizeof(*g));

			if (g == NULL)
				goto nomem;
			v = g;
			cap = ncap;
		}
		sq_voice_call_view(st, &c);
		c.account_id = strdup(c.account_id);
		c.currency = strdup(c.currency);
		c.outcome = strdup(c.outcome);
		v[n++] = c;
		if (c.account_id == NULL || c.currency == NULL || c.outcome == NULL)
			goto nomem;
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(q, "reading a row's calls");
		goto out;
	}
	idle(q, STORE_OK);
	rc = STORE_OK;
	for (size_t i = 0; i < n && rc == STORE_OK; i++)
		rc = cb(ctx, &v[i]);
	goto out;
nomem:
	rc = idle(q, store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory", q->path));
out:
	for (size_t i = 0; i < n; i++) {
		free((char *)v[i].account_id);
		free((char *)v[i].currency);
		free((char *)v[i].outcome);
	}
	free(v);
	return rc;
}

/* cb must not use the store: the statement steps while it runs. */
static int sq_voice_report_scan(struct store *s, int64_t from, store_voice_call_cb calls,
				store_voice_payment_cb payments, void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_VOICE_REPORT_CALLS);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_voice_call c;

		sq_voice_call_view(st, &c);
		if ((rc = calls(ctx, &c)) != 0)
			return idle(q, rc);
	}
	if (rc != SQLITE_DONE)
		return db_error(q, "reading the calls");
	idle(q, STORE_OK);
	if ((st = stmt(q, S_VOICE_REPORT_PAYMENTS)) == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_voice_payment p = { col_text(st, 0), col_text(st, 1),
						 sqlite3_column_int64(st, 2),
						 sqlite3_column_int64(st, 3) };

		if ((rc = payments(ctx, &p)) != 0)
			return idle(q, rc);
	}
	if (rc != SQLITE_DONE)
		return db_error(q, "reading the payments after calls");
	return idle(q, STORE_OK);
}

/* ---- provisioning state ------------------------------------------------------ */

static int sq_service_desire(struct store *s, const char *service_id, const char *level,
			     int64_t at, const char *key)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_SERVICE_DESIRE);

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, service_id);
	bind_text(st, 2, level);
	sqlite3_bind_int64(st, 3, at);
	bind_text(st, 4, key);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(q, "setting a service's desired level");
	if (sqlite3_changes(q->db) == 0)
		return idle(q, store_set_error(s, STORE_ERR_INPUT, "no service %s", service_id));
	return idle(q, STORE_OK);
}

static int sq_service_confirm(struct store *s, const char *service_id, const char *level,
			      int64_t at)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_SERVICE_CONFIRM);

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, service_id);
	bind_text(st, 2, level);
	sqlite3_bind_int64(st, 3, at);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(q, "recording a service's confirmed level");
	if (sqlite3_changes(q->db) == 0)
		return idle(q, store_set_error(s, STORE_ERR_INPUT, "no service %s", service_id));
	return idle(q, STORE_OK);
}

static int sq_service_attempt(struct store *s, const char *service_id, const char *error,
			      int64_t at, int alert, int *attempts)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_SERVICE_ATTEMPT);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, service_id);
	bind_text(st, 2, error);
	sqlite3_bind_int64(st, 3, at);
	sqlite3_bind_int(st, 4, alert);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return idle(q, store_set_error(s, STORE_ERR_INPUT, "no provisioning state for "
					       "service %s", service_id));
	if (rc != SQLITE_ROW)
		return db_error(q, "counting a provisioning attempt");
	*attempts = sqlite3_column_int(st, 0);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(q, "counting a provisioning attempt");
	return idle(q, STORE_OK);
}

/*
 * Copies the row st is on (SERVICE_STATE_COLUMNS) into *r: its ten strings
 * in one block that starts at r->service_id (free that one to free them
 * all). -1 when out of memory.
 */
static int sq_service_state_copy(sqlite3_stmt *st, struct store_service_state *r)
{
	static const int text_cols[10] = { 0, 1, 2, 3, 4, 5, 6, 8, 9, 12 };
	const char **dst[10] = { &r->service_id, &r->account_id, &r->customer_id, &r->kind,
				 &r->identifier, &r->adapter, &r->desired, &r->desired_key,
				 &r->confirmed, &r->last_error };
	size_t len[10], total = 0;
	char *p;

	for (int i = 0; i < 10; i++)
		total += len[i] = strlen(col_text(st, text_cols[i])) + 1;
	if ((p = malloc(total)) == NULL)
		return -1;
	for (int i = 0; i < 10; i++) {
		memcpy(p, col_text(st, text_cols[i]), len[i]);
		*dst[i] = p;
		p += len[i];
	}
	r->desired_at = sqlite3_column_int64(st, 7);
	r->confirmed_at = sqlite3_column_int64(st, 10);
	r->attempts = sqlite3_column_int(st, 11);
	r->alerted_at = sqlite3_column_int64(st, 13);
	return 0;
}

/* Reads the rows of st (SERVICE_STATE_COLUMNS, bound already) whole, then
 * calls cb for each, so that cb may use the store. */
static int sq_service_states_read(struct sqlite_store *q, sqlite3_stmt *st, const char *what,
				  store_service_state_cb cb, void *ctx)
{
	struct store_service_state *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct store_service_state *g = realloc(v, ncap * sizeof(*g));

			if (g == NULL)
				goto nomem;
			v = g;
			cap = ncap;
		}
		if (sq_service_state_copy(st, &v[n]) != 0)
			goto nomem;
		n++;
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(q, what);
		goto out;
	}
	idle(q, STORE_OK);
	rc = STORE_OK;
	for (size_t i = 0; i < n && rc == STORE_OK; i++)
		rc = cb(ctx, &v[i]);
	goto out;
nomem:
	rc = idle(q, store_set_error(&q->base, STORE_ERR_NOMEM, "%s: out of memory", q->path));
out:
	for (size_t i = 0; i < n; i++)
		free((char *)v[i].service_id);
	free(v);
	return rc;
}

static int sq_service_state_get(struct store *s, const char *service_id,
				store_service_state_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_SERVICE_STATE_GET);

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, service_id);
	return sq_service_states_read(q, st, "reading a service's provisioning state", cb, ctx);
}

static int sq_service_states_scan(struct store *s, int all, store_service_state_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, all ? S_SERVICE_STATES_ALL : S_SERVICE_STATES_DRIFT);

	if (st == NULL)
		return STORE_ERR_DB;
	return sq_service_states_read(q, st, "reading the services' provisioning states", cb, ctx);
}

static int sq_service_state_counts(struct store *s, int64_t *total, int64_t *drift,
				   int64_t *alerted)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_SERVICE_STATE_COUNTS);

	if (st == NULL)
		return STORE_ERR_DB;
	if (sqlite3_step(st) != SQLITE_ROW)
		return db_error(q, "counting the services' provisioning states");
	*total = sqlite3_column_int64(st, 0);
	*drift = sqlite3_column_int64(st, 1);
	*alerted = sqlite3_column_int64(st, 2);
	return idle(q, STORE_OK);
}

/* ---- serve state ------------------------------------------------------------- */

/* Runs a write of the serve state; *changed (may be NULL) gets the rows it changed. */
static int sq_write(struct sqlite_store *q, sqlite3_stmt *st, const char *what, int *changed)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_CONSTRAINT) {
			store_set_error(&q->base, STORE_ERR_CONFLICT, "%s: %s: %s", q->path, what,
					sqlite3_errmsg(q->db));
			return idle(q, STORE_ERR_CONFLICT);
		}
		return db_error(q, what);
	}
	if (changed != NULL)
		*changed = sqlite3_changes(q->db);
	return idle(q, STORE_OK);
}

static int sq_session_put(struct store *s, const char *hash, const struct store_session *x)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_SESSION_PUT);

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, hash);
	bind_text(st, 2, x->csrf);
	bind_text(st, 3, x->user);
	bind_text(st, 4, x->role);
	bind_text(st, 5, x->scopes);
	bind_text(st, 6, x->customer_id);
	sqlite3_bind_int64(st, 7, x->created_at);
	sqlite3_bind_int64(st, 8, x->expires_at);
	return sq_write(q, st, "opening a session", NULL);
}

static int sq_session_get(struct store *s, const char *hash, int64_t now, store_session_cb cb,
			  void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_SESSION_GET);
	struct store_session x;
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, hash);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return idle(q, STORE_OK);
	if (rc != SQLITE_ROW)
		return db_error(q, "reading a session");
	x.csrf = col_text(st, 0);
	x.user = col_text(st, 1);
	x.role = col_text(st, 2);
	x.scopes = col_text(st, 3);
	x.customer_id = col_text(st, 4);
	x.created_at = sqlite3_column_int64(st, 5);
	x.expires_at = sqlite3_column_int64(st, 6);
	return idle(q, cb(ctx, &x));
}

static int sq_session_delete(struct store *s, const char *hash)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_SESSION_DELETE);

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, hash);
	return sq_write(q, st, "ending a session", NULL);
}

static int sq_attempt_get(struct store *s, const char *name, int64_t now, int window,
			  int *failures, int64_t *since)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_ATTEMPT_GET);
	int rc;

	(void)window;
	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(q, "reading failed sign-ins");
	if (rc == SQLITE_ROW) {
		*failures = sqlite3_column_int(st, 0);
		*since = sqlite3_column_int64(st, 1);
	}
	return idle(q, STORE_OK);
}

static int sq_attempt_failed(struct store *s, const char *name, int64_t now, int window)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_ATTEMPT_FAILED);

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, window);
	return sq_write(q, st, "counting a failed sign-in", NULL);
}

static int sq_attempt_clear(struct store *s, const char *name)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_ATTEMPT_CLEAR);

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, name);
	return sq_write(q, st, "clearing failed sign-ins", NULL);
}

static int sq_code_put(struct store *s, const char *user, const char *salt, const char *hash,
		       int64_t now, int64_t expires_at, int resend, int *issued)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_CODE_PUT);

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, user);
	bind_text(st, 2, salt);
	bind_text(st, 3, hash);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, expires_at);
	sqlite3_bind_int64(st, 6, resend);
	return sq_write(q, st, "storing a one-time code", issued);
}

static int sq_code_get(struct store *s, const char *user, int64_t now, char *salt, char *hash,
		       int *found)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_CODE_GET);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, user);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(q, "reading a one-time code");
	if (rc == SQLITE_ROW) {
		snprintf(salt, STORE_HASH_HEX, "%s", col_text(st, 0));
		snprintf(hash, STORE_HASH_HEX, "%s", col_text(st, 1));
		*found = 1;
	}
	return idle(q, STORE_OK);
}

static int sq_code_take(struct store *s, const char *user, const char *hash, int64_t now,
			int *taken)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_CODE_TAKE);

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, user);
	bind_text(st, 2, hash);
	sqlite3_bind_int64(st, 3, now);
	return sq_write(q, st, "using a one-time code", taken);
}

static void bind_idem(sqlite3_stmt *st, const char *caller, const char *key, const char *fp)
{
	bind_text(st, 1, caller);
	bind_text(st, 2, key);
	if (fp != NULL)
		bind_text(st, 3, fp);
}

static int sq_idem_begin(struct store *s, const char *caller, const char *key,
			 const char *fingerprint, int64_t now, int64_t expired, int64_t stale,
			 int *verdict, store_idem_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st;
	struct store_idem_answer a;
	int rc, taken = 0;

	if ((st = stmt(q, S_IDEM_EXPIRE)) == NULL)
		return STORE_ERR_DB;
	bind_idem(st, caller, key, NULL);
	sqlite3_bind_int64(st, 3, expired);
	sqlite3_bind_int64(st, 4, stale);
	if ((rc = sq_write(q, st, "forgetting an expired idempotency key", NULL)) != STORE_OK)
		return rc;
	if ((st = stmt(q, S_IDEM_TAKE)) == NULL)
		return STORE_ERR_DB;
	bind_idem(st, caller, key, fingerprint);
	sqlite3_bind_int64(st, 4, now);
	if ((rc = sq_write(q, st, "taking an idempotency key", &taken)) != STORE_OK)
		return rc;
	if (taken) {
		*verdict = STORE_IDEM_FIRST;
		return STORE_OK;
	}
	if ((st = stmt(q, S_IDEM_GET)) == NULL)
		return STORE_ERR_DB;
	bind_idem(st, caller, key, NULL);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		*verdict = STORE_IDEM_BUSY;   /* ended meanwhile: the client retries */
		return idle(q, STORE_OK);
	}
	if (rc != SQLITE_ROW)
		return db_error(q, "reading an idempotency key");
	if (strcmp(col_text(st, 0), fingerprint) != 0) {
		*verdict = STORE_IDEM_MISMATCH;
	} else if (strcmp(col_text(st, 1), "done") != 0) {
		*verdict = STORE_IDEM_BUSY;
	} else {
		a.status = sqlite3_column_int(st, 2);
		a.content_type = col_text(st, 3);
		a.location = col_text(st, 4);
		a.body = sqlite3_column_blob(st, 5);
		a.len = (size_t)sqlite3_column_bytes(st, 5);
		if (a.body == NULL)
			a.body = "", a.len = 0;
		*verdict = STORE_IDEM_REPLAY;
		return idle(q, cb(ctx, &a));
	}
	return idle(q, STORE_OK);
}

static int sq_idem_end(struct store *s, const char *caller, const char *key,
		       const char *fingerprint, const struct store_idem_answer *a)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, a ? S_IDEM_DONE : S_IDEM_FORGET);

	if (st == NULL)
		return STORE_ERR_DB;
	bind_idem(st, caller, key, fingerprint);
	if (a != NULL) {
		sqlite3_bind_int(st, 4, a->status);
		bind_text(st, 5, a->content_type);
		bind_text(st, 6, a->location);
		sqlite3_bind_blob64(st, 7, a->len ? a->body : "", a->len, SQLITE_STATIC);
	}
	return sq_write(q, st, "storing an idempotent answer", NULL);
}

static int sq_serve_sweep(struct store *s, int64_t now, int64_t idem_expired)
{
	static const enum stmt_id ids[4] = { S_SWEEP_SESSIONS, S_SWEEP_ATTEMPTS, S_SWEEP_CODES,
					     S_SWEEP_IDEM };
	struct sqlite_store *q = sq(s);
	int rc = STORE_OK;

	for (int i = 0; i < 4 && rc == STORE_OK; i++) {
		sqlite3_stmt *st = stmt(q, ids[i]);

		if (st == NULL)
			return STORE_ERR_DB;
		sqlite3_bind_int64(st, 1, i == 3 ? idem_expired : now);
		rc = sq_write(q, st, "deleting expired serve state", NULL);
	}
	return rc;
}

static int sq_contact_bad(struct store *s, const char *customer_id, const char *kind,
			  const char *value, int *bad)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_CONTACT_BAD);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, customer_id);
	bind_text(st, 2, kind);
	bind_text(st, 3, value);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(q, "reading a contact's flag");
	*bad = rc == SQLITE_ROW;
	return idle(q, STORE_OK);
}

static int sq_outbox_depth(struct store *s, int64_t now, store_outbox_depth_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_OUTBOX_DEPTH);
	struct outbox_depth_row rows[16];
	char names[16][32];
	size_t n = 0;
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, now);
	/* Read whole first (a few channels), so that cb may use the store. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 16) {
		snprintf(names[n], sizeof(names[n]), "%s", col_text(st, 0));
		rows[n].channel = names[n];
		rows[n].due = sqlite3_column_int64(st, 1);
		rows[n].oldest_due_at = sqlite3_column_int64(st, 2);
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(q, "reading the outbox's depth");
	idle(q, STORE_OK);
	for (size_t i = 0; i < n; i++)
		if ((rc = cb(ctx, &rows[i])) != 0)
			return rc;
	return STORE_OK;
}

static int sq_outbox_scan(struct store *s, int64_t account_key, unsigned states,
			  store_outbox_cb cb, void *ctx)
{
	/* Two shapes rather than "?1 = 0 OR account_key = ?1", which keeps
	 * SQLite from the account index: a cycle reads every account's rows. */
	static const char one[] =
		"SELECT " STORE_OUTBOX_COLUMNS " FROM outbox "
		"WHERE account_key = ?1 AND (?2 & " STORE_OUTBOX_STATE_BIT ") <> 0 "
		"ORDER BY due_at, outbox_id";
	static const char all[] =
		"SELECT " STORE_OUTBOX_COLUMNS " FROM outbox "
		"WHERE ?1 = 0 AND (?2 & " STORE_OUTBOX_STATE_BIT ") <> 0 "
		"ORDER BY due_at, outbox_id";
	struct sqlite_store *q = sq(s);
	enum scan_id id = account_key != 0 ? SCAN_OUTBOX_ONE : SCAN_OUTBOX_ALL;
	sqlite3_stmt *st;
	int rc;

	if ((st = scan_open(q, id, account_key != 0 ? one : all)) == NULL)
		return db_error(q, "listing the outbox");
	sqlite3_bind_int64(st, 1, account_key);
	sqlite3_bind_int64(st, 2, (int64_t)states);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct outbox_view v;

		sq_outbox_view(st, &v);
		if ((rc = cb(ctx, &v)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? STORE_OK : db_error(q, "listing the outbox");
out:
	scan_close(q, id, st);
	return rc;
}

/* ---- arrangements ------------------------------------------------------------ */

/* An account of a new arrangement; sorted by key for the checks. */
struct sq_arr_acct {
	int64_t key;
	const char *id;
};

static int sq_arr_acct_order(const void *a, const void *b)
{
	const struct sq_arr_acct *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

/*
 * The create proper, inside a transaction. BEGIN IMMEDIATE holds the write
 * lock from the exclusive-kind check to the insert: of two creates of a
 * promise on one account at once, the second waits for the lock and then
 * finds the first's row. Refusals come before any write, so that they leave
 * the caller's transaction usable.
 */
static int sq_arrangement_write(struct sqlite_store *q, const struct arrangement_new *a,
				int64_t *key_out)
{
	struct sq_arr_acct *acc = calloc(a->n_accounts, sizeof(*acc));
	char *customer_id = NULL;
	int64_t customer_key = 0, key;
	sqlite3_stmt *st;
	int rc = STORE_OK, step;

	if (acc == NULL)
		return store_set_error(&q->base, STORE_ERR_NOMEM, "%s: out of memory", q->path);
	for (size_t i = 0; i < a->n_accounts; i++) {
		if ((st = stmt(q, S_ARR_ACCOUNT)) == NULL) {
			rc = STORE_ERR_DB;
			goto out;
		}
		bind_text(st, 1, a->account_ids[i]);
		if ((step = sqlite3_step(st)) == SQLITE_DONE) {
			rc = store_set_error(&q->base, STORE_ERR_INPUT, "no account %s",
					     a->account_ids[i]);
			goto out;
		}
		if (step != SQLITE_ROW) {
			rc = db_error(q, "creating an arrangement");
			goto out;
		}
		acc[i].key = sqlite3_column_int64(st, 0);
		acc[i].id = a->account_ids[i];
		if (i == 0) {
			customer_key = sqlite3_column_int64(st, 1);
			if ((customer_id = strdup(col_text(st, 2))) == NULL) {
				rc = store_set_error(&q->base, STORE_ERR_NOMEM, "%s: out of memory",
						     q->path);
				goto out;
			}
		} else if (sqlite3_column_int64(st, 1) != customer_key) {
			rc = store_set_error(&q->base, STORE_ERR_INPUT, "account %s is not of "
					     "customer %s", a->account_ids[i], customer_id);
			goto out;
		}
	}
	qsort(acc, a->n_accounts, sizeof(*acc), sq_arr_acct_order);
	for (size_t i = 0; !is_absent(a->exclusive_kinds) && i < a->n_accounts; i++) {
		if ((st = stmt(q, S_ARR_LIVE_OF)) == NULL) {
			rc = STORE_ERR_DB;
			goto out;
		}
		sqlite3_bind_int64(st, 1, acc[i].key);
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			const char *kind = col_text(st, 1);
			char id[32];

			if (!store_kind_listed(a->exclusive_kinds, kind))
				continue;
			store_arrangement_id(kind, sqlite3_column_int64(st, 0), id, sizeof(id));
			rc = store_set_error(&q->base, STORE_ERR_INPUT, "account %s already has a "
					     "live %s %s", acc[i].id, kind, id);
			goto out;
		}
		if (step != SQLITE_DONE) {
			rc = db_error(q, "creating an arrangement");
			goto out;
		}
	}
	if ((st = stmt(q, S_ARR_INSERT)) == NULL) {
		rc = STORE_ERR_DB;
		goto out;
	}
	bind_text(st, 1, a->kind);
	sqlite3_bind_int64(st, 2, customer_key);
	bind_text(st, 3, a->state);
	sqlite3_bind_int64(st, 4, a->at);
	bind_text(st, 5, a->by);
	bind_text(st, 6, a->terms ? a->terms : "{}");
	if ((rc = step_done(q, st, "creating an arrangement")) != STORE_OK)
		goto out;
	/* arrangement_key is the table's INTEGER PRIMARY KEY, hence its rowid. */
	key = sqlite3_last_insert_rowid(q->db);
	for (size_t i = 0; i < a->n_accounts; i++) {
		if ((st = stmt(q, S_ARR_LINK)) == NULL) {
			rc = STORE_ERR_DB;
			goto out;
		}
		sqlite3_bind_int64(st, 1, acc[i].key);
		sqlite3_bind_int64(st, 2, key);
		if ((rc = step_done(q, st, "creating an arrangement")) != STORE_OK)
			goto out;
	}
	*key_out = key;
out:
	free(acc);
	free(customer_id);
	return idle(q, rc);
}

static int sq_arrangement_create(struct store *s, const struct arrangement_new *a,
				 int64_t *key_out)
{
	struct sqlite_store *q = sq(s);
	int own = !q->in_tx, rc;

	if (own && (rc = sq_begin(s)) != STORE_OK)
		return rc;
	rc = sq_arrangement_write(q, a, key_out);
	return own_end(s, own, rc);
}

/*
 * One UPDATE on the row's key and expected version; when it changes no row,
 * the version read next (under the same write lock) tells a stale version
 * from an unknown id. Without the caller's transaction it runs in its own,
 * BEGIN IMMEDIATE rather than an autocommit write that could meet another
 * writer's commit between its read and its write.
 */
static int sq_arrangement_update(struct store *s, const char *id, int64_t key,
				 const char *kind, int64_t expected_version, const char *state,
				 const char *terms, int64_t at, const char *by)
{
	struct sqlite_store *q = sq(s);
	int own = !q->in_tx, rc, step;
	sqlite3_stmt *st;

	if (own && (rc = sq_begin(s)) != STORE_OK)
		return rc;
	if ((st = stmt(q, S_ARR_UPDATE)) == NULL) {
		rc = STORE_ERR_DB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, key);
	bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, expected_version);
	bind_text(st, 4, state);
	if (terms != NULL)
		bind_text(st, 5, terms);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, at);
	bind_text(st, 7, by);
	if ((rc = step_done(q, st, "changing an arrangement")) != STORE_OK ||
	    sqlite3_changes(q->db) == 1)
		goto out;
	if ((st = stmt(q, S_ARR_VERSION)) == NULL) {
		rc = STORE_ERR_DB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, key);
	bind_text(st, 2, kind);
	if ((step = sqlite3_step(st)) == SQLITE_DONE)
		rc = store_set_error(s, STORE_ERR_INPUT, "no arrangement %s", id);
	else if (step == SQLITE_ROW)
		rc = store_set_error(s, STORE_ERR_CONFLICT, "arrangement %s was changed by someone "
				     "else meanwhile (version %lld, now %lld)", id,
				     (long long)expected_version,
				     (long long)sqlite3_column_int64(st, 0));
	else
		rc = db_error(q, "changing an arrangement");
out:
	return own_end(s, own, idle(q, rc));
}

/*
 * An arrangement of a page being read, its strings copied into b.text: the
 * view's string fields and `ids` hold parked offsets (park()) until the
 * page is complete, because the buffer may move as it grows.
 */
struct sq_arr {
	struct arrangement_view v;
	char id[32];
	struct scan_buf b;
	const char **ids;
	int64_t *keys;
	size_t cap_ids, cap_keys;
};

static void sq_arr_release(struct sq_arr *r)
{
	free(r->b.text);
	free(r->ids);
	free(r->keys);
	memset(r, 0, sizeof(*r));
}

/* Copies the STORE_ARRANGEMENT_COLUMNS of the current row. */
static int sq_arr_keep(struct sq_arr *r, sqlite3_stmt *st)
{
	const char **f[] = {
		&r->v.kind, &r->v.customer_id, &r->v.state, &r->v.created_by,
		&r->v.updated_by, &r->v.terms,
	};
	static const int col[] = { 1, 2, 3, 5, 7, 9 };

	r->v.arrangement_key = sqlite3_column_int64(st, 0);
	r->v.created_at = sqlite3_column_int64(st, 4);
	r->v.updated_at = sqlite3_column_int64(st, 6);
	r->v.version = sqlite3_column_int64(st, 8);
	for (size_t i = 0; i < sizeof(col) / sizeof(col[0]); i++) {
		size_t off;

		if (keep_text(&r->b, st, col[i], &off) != 0)
			return -1;
		*f[i] = park(off);
	}
	return 0;
}

/* Reads the accounts of r, in key order. */
static int sq_arr_accounts(struct sqlite_store *q, struct sq_arr *r)
{
	sqlite3_stmt *st = stmt(q, S_ARR_ACCOUNTS_OF);
	int step;

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, r->v.arrangement_key);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		size_t n = r->v.n_accounts, off;

		if (grow((void **)&r->ids, &r->cap_ids, n + 1, sizeof(*r->ids)) != 0 ||
		    grow((void **)&r->keys, &r->cap_keys, n + 1, sizeof(*r->keys)) != 0 ||
		    keep_text(&r->b, st, 1, &off) != 0)
			return idle(q, store_set_error(&q->base, STORE_ERR_NOMEM,
						       "%s: out of memory", q->path));
		r->keys[n] = sqlite3_column_int64(st, 0);
		r->ids[n] = park(off);
		r->v.n_accounts = n + 1;
	}
	return step == SQLITE_DONE ? STORE_OK : db_error(q, "reading an arrangement's accounts");
}

/* Turns the parked offsets of a complete row into pointers. */
static void sq_arr_fix(struct sq_arr *r)
{
	const char **f[] = {
		&r->v.kind, &r->v.customer_id, &r->v.state, &r->v.created_by,
		&r->v.updated_by, &r->v.terms,
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		*f[i] = unpark(r->b.text, *f[i]);
	for (size_t i = 0; i < r->v.n_accounts; i++)
		r->ids[i] = unpark(r->b.text, r->ids[i]);
	store_arrangement_id(r->v.kind, r->v.arrangement_key, r->id, sizeof(r->id));
	r->v.arrangement_id = r->id;
	r->v.account_ids = r->ids;
	r->v.account_keys = r->keys;
}

#define SQ_ARR_SELECT(join_where) \
	"SELECT " STORE_ARRANGEMENT_COLUMNS("r.") " FROM arrangements r " \
	"JOIN customers c ON c.customer_key = r.customer_key " join_where \
	" AND r.arrangement_key > ?3 AND (?4 = 0 OR " STORE_ARRANGEMENT_LIVE("r.") ") " \
	"ORDER BY r.arrangement_key LIMIT ?5"

/*
 * A page of SQ_PAGE arrangements at a time, each page from the statement
 * started again after the last key seen, and read whole with its accounts
 * before the callbacks run: they may use the store, and no read snapshot
 * stays open while they do.
 */
static int sq_arrangements_read(struct store *s, const struct store_arrangement_sel *sel,
				store_arrangement_cb cb, void *ctx)
{
	static const char *const sql[] = {
		[STORE_ARR_ONE] = SQ_ARR_SELECT("WHERE r.arrangement_key = ?1 AND r.kind = ?2"),
		[STORE_ARR_ACCOUNT] = SQ_ARR_SELECT("JOIN arrangement_accounts x "
						    "ON x.arrangement_key = r.arrangement_key "
						    "WHERE x.account_key = ?1"),
		[STORE_ARR_CUSTOMER] = SQ_ARR_SELECT("WHERE c.customer_id = ?2"),
		[STORE_ARR_ALL] = SQ_ARR_SELECT("WHERE 1"),
	};
	struct sqlite_store *q = sq(s);
	enum scan_id id = (enum scan_id)(SCAN_ARR_ONE + sel->by);
	struct sq_arr *page = NULL;
	int64_t after = INT64_MIN;
	sqlite3_stmt *st = NULL;
	size_t n = 0, cap = 0;
	int rc = STORE_OK;

	assert(sel->by >= STORE_ARR_ONE && sel->by <= STORE_ARR_ALL);
	if ((st = scan_open(q, id, sql[sel->by])) == NULL) {
		rc = db_error(q, "reading arrangements");
		goto out;
	}
	for (;;) {
		int step = SQLITE_DONE;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, sel->key);
		bind_text(st, 2, sel->text);
		sqlite3_bind_int64(st, 3, after);
		sqlite3_bind_int(st, 4, sel->live_only != 0);
		sqlite3_bind_int(st, 5, SQ_PAGE);
		while (n < SQ_PAGE && (step = sqlite3_step(st)) == SQLITE_ROW) {
			/* Grown by rows read: one id's read is a row, not a page. */
			if (grow((void **)&page, &cap, n + 1, sizeof(*page)) != 0) {
				rc = store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory",
						     q->path);
				goto out;
			}
			memset(&page[n], 0, sizeof(*page));
			if (sq_arr_keep(&page[n++], st) != 0) {
				rc = store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory",
						     q->path);
				goto out;
			}
		}
		if (n < SQ_PAGE && step != SQLITE_DONE) {
			rc = db_error(q, "reading arrangements");
			goto out;
		}
		sqlite3_reset(st);
		for (size_t i = 0; i < n; i++)
			if ((rc = sq_arr_accounts(q, &page[i])) != STORE_OK)
				goto out;
		idle(q, STORE_OK);
		for (size_t i = 0; i < n; i++)
			sq_arr_fix(&page[i]);
		if (sel->by == STORE_ARR_ONE && n == 0) {
			char name[32];

			store_arrangement_id(sel->text, sel->key, name, sizeof(name));
			rc = store_set_error(s, STORE_ERR_INPUT, "no arrangement %s", name);
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			if ((rc = cb(ctx, &page[i].v)) != 0)
				goto out;
		if (n < SQ_PAGE)
			break;
		after = page[n - 1].v.arrangement_key;
		for (size_t i = 0; i < n; i++)
			sq_arr_release(&page[i]);
		n = 0;
	}
out:
	for (size_t i = 0; i < n; i++)
		sq_arr_release(&page[i]);
	free(page);
	scan_close(q, id, st);
	return rc;
}

/* ---- users and API tokens -------------------------------------------------------- */

static int sq_user_add(struct store *s, const char *name, const char *kind, const char *role,
		       const char *customer_id, const char *password_hash, int64_t at)
{
	struct sqlite_store *q = sq(s);
	int64_t customer_key = 0;
	sqlite3_stmt *st;
	int rc;

	/* Foreign keys are not enforced (see the top of this file): the
	 * customer is looked up here, and never deleted afterwards. */
	if (customer_id != NULL) {
		if ((st = stmt(q, S_CUSTOMER_KEY)) == NULL)
			return STORE_ERR_DB;
		bind_text(st, 1, customer_id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			return idle(q, store_set_error(s, STORE_ERR_INPUT, "user %s: no customer %s",
						       name, customer_id));
		if (rc != SQLITE_ROW)
			return db_error(q, "adding a user");
		customer_key = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);   /* no read snapshot held into the write */
	}
	if ((st = stmt(q, S_USER_INSERT)) == NULL)
		return idle(q, STORE_ERR_DB);
	bind_text(st, 1, name);
	bind_text(st, 2, kind);
	bind_text(st, 3, role);
	if (customer_id != NULL)
		sqlite3_bind_int64(st, 4, customer_key);
	else
		sqlite3_bind_null(st, 4);
	bind_text(st, 5, password_hash);
	sqlite3_bind_int64(st, 6, at);
	if ((rc = step_done(q, st, "adding a user")) != STORE_OK)
		return rc;
	if (sqlite3_changes(q->db) == 0)
		rc = store_set_error(s, STORE_ERR_INPUT, "user %s exists", name);
	return idle(q, rc);
}

/*
 * Copies the text columns [first, first + n) of the current row into one
 * allocation (*block, to be freed) and points out[] at them: a callback may
 * use the store, which resets the cached statement under its strings.
 */
static int sq_copy_texts(sqlite3_stmt *st, int first, int n, const char **out, char **block)
{
	size_t total = 0, off = 0;

	for (int i = 0; i < n; i++)
		total += (size_t)sqlite3_column_bytes(st, first + i) + 1;
	if ((*block = malloc(total)) == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *t = col_text(st, first + i);
		size_t len = (size_t)sqlite3_column_bytes(st, first + i);

		memcpy(*block + off, t, len);
		(*block)[off + len] = '\0';
		out[i] = *block + off;
		off += len + 1;
	}
	return 0;
}

static int sq_user_get(struct store *s, const char *name, store_user_cb cb, void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_USER_GET);
	struct user_view u = { 0 };
	const char *t[5];
	char *block = NULL;
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return idle(q, store_set_error(s, STORE_ERR_INPUT, "no user %s", name));
	if (rc != SQLITE_ROW)
		return db_error(q, "reading a user");
	if (sq_copy_texts(st, 1, 5, t, &block) != 0)
		return idle(q, store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory", q->path));
	u.user_key = sqlite3_column_int64(st, 0);
	u.name = t[0];
	u.kind = t[1];
	u.role = t[2];
	u.customer_id = t[3];
	u.password_hash = t[4];
	u.created_at = sqlite3_column_int64(st, 6);
	u.disabled_at = sqlite3_column_int64(st, 7);
	idle(q, STORE_OK);
	rc = cb(ctx, &u);
	free(block);
	return rc;
}

/* Runs an UPDATE of the user `name` (?1), its ?2 bound by the caller. */
static int sq_user_update(struct sqlite_store *q, sqlite3_stmt *st, const char *name,
			  const char *what)
{
	int rc;

	bind_text(st, 1, name);
	if ((rc = step_done(q, st, what)) != STORE_OK)
		return rc;
	if (sqlite3_changes(q->db) == 0)
		rc = store_set_error(&q->base, STORE_ERR_INPUT, "no user %s", name);
	return idle(q, rc);
}

static int sq_user_set_password(struct store *s, const char *name, const char *password_hash)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_USER_PASSWORD);

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 2, password_hash);
	return sq_user_update(q, st, name, "changing a password");
}

static int sq_user_disable(struct store *s, const char *name, int64_t at)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_USER_DISABLE);

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 2, at);
	return sq_user_update(q, st, name, "disabling a user");
}

static int sq_token_add(struct store *s, const char *user_name, const unsigned char hash[32],
			const char *scopes, int64_t at, int64_t *key)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_TOKEN_INSERT);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	bind_text(st, 1, user_name);
	sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
	bind_text(st, 3, scopes);
	sqlite3_bind_int64(st, 4, at);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*key = sqlite3_column_int64(st, 0);
		return step_done(q, st, "adding a token") == STORE_OK ? idle(q, STORE_OK) :
		       STORE_ERR_DB;
	}
	if (rc != SQLITE_DONE)
		return db_error(q, "adding a token");
	/* store.c found the user: only the hash can have stopped the row. */
	return idle(q, store_set_error(s, STORE_ERR_INPUT, "user %s: this token's hash is "
				       "already stored", user_name));
}

static int sq_token_find(struct store *s, const unsigned char hash[32], store_token_cb cb,
			 void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_TOKEN_FIND);
	struct token_view t = { 0 };
	const char *txt[3];
	char *block = NULL;
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return idle(q, STORE_OK);
	if (rc != SQLITE_ROW)
		return db_error(q, "finding a token");
	if (sq_copy_texts(st, 1, 3, txt, &block) != 0)
		return idle(q, store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory", q->path));
	t.token_key = sqlite3_column_int64(st, 0);
	t.user_name = txt[0];
	t.role = txt[1];
	t.scopes = txt[2];
	t.created_at = sqlite3_column_int64(st, 4);
	t.revoked_at = sqlite3_column_int64(st, 5);
	t.user_disabled_at = sqlite3_column_int64(st, 6);
	idle(q, STORE_OK);
	rc = cb(ctx, &t);
	free(block);
	return rc;
}

static int sq_token_revoke(struct store *s, int64_t key, int64_t at)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = stmt(q, S_TOKEN_REVOKE);
	int rc;

	if (st == NULL)
		return STORE_ERR_DB;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int64(st, 2, at);
	if ((rc = step_done(q, st, "revoking a token")) != STORE_OK)
		return rc;
	if (sqlite3_changes(q->db) == 0)
		rc = store_set_error(s, STORE_ERR_INPUT, "no token %lld", (long long)key);
	return idle(q, rc);
}

static int sq_contact_report(struct store *s, int64_t since, int64_t window_seconds,
			     store_contact_row_cb cb, void *ctx);
/* The managers' reports, at the end of the file. */
static int sq_report_contacts(struct store *s, int64_t from, int64_t to, int64_t window_seconds,
			      store_report_contact_cb cb, void *ctx);
static int sq_report_arrangements(struct store *s, int64_t from, int64_t to,
				  store_report_arrangement_cb cb, void *ctx);
static int sq_report_provisioning(struct store *s, int64_t from, int64_t to,
				  store_report_provisioning_cb cb, void *ctx);

static int sq_queues_list(struct store *s, int64_t now, store_queue_cb cb, void *ctx);
static int sq_tasks_list(struct store *s, const struct task_filter *f, store_task_cb cb,
			 void *ctx);
static int sq_task_read(struct store *s, int64_t task_id, int64_t now, int lock,
			store_task_cb cb, void *ctx);
static int sq_task_write(struct store *s, int64_t task_id, const char *taken_by,
			 int64_t taken_at, int64_t lease_until, const char *closed_by,
			 int64_t closed_at, const char *outcome, const char *note);

static const struct store_ops sqlite_ops = {
	.engine = "sqlite",
	.close = sq_close,
	.migrate = sq_migrate,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.import_begin = sq_import_begin,
	.import_finish = sq_import_finish,
	.customers_put = sq_customers_put,
	.accounts_put = sq_accounts_put,
	.services_put = sq_services_put,
	.invoices_put = sq_invoices_put,
	.credits_put = sq_credits_put,
	.accounts_find = sq_accounts_find,
	.invoices_find = sq_invoices_find,
	.ledger_scan = sq_ledger_scan,
	.snapshots_put = sq_snapshots_put,
	.accounts_scan = sq_accounts_scan,
	.accounts_of_customer = sq_accounts_of_customer,
	.services_scan = sq_services_scan,
	.customer_get = sq_customer_get,
	.file_append = sq_file_append,
	.file_notes = sq_file_notes,
	.file_scan = sq_file_scan,
	.policy_put = sq_policy_put,
	.policy_get = sq_policy_get,
	.policy_list = sq_policy_list,
	.case_get = sq_case_get,
	.cases_put = sq_cases_put,
	.cases_due = sq_cases_due,
	.accounts_due = sq_accounts_due,
	.cases_touch = sq_cases_touch,
	.outbox_put = sq_outbox_put,
	.outbox_claim = sq_outbox_claim,
	.outbox_finish = sq_outbox_finish,
	.outbox_scan = sq_outbox_scan,
	.outbox_sending = sq_outbox_sending,
	.outbox_peer_ids = sq_outbox_peer_ids,
	.outbox_by_peer_id = sq_outbox_by_peer_id,
	.contact_failure = sq_contact_failure,
	.voice_call_add = sq_voice_call_add,
	.voice_calls_of = sq_voice_calls_of,
	.voice_report_scan = sq_voice_report_scan,
	.service_desire = sq_service_desire,
	.service_confirm = sq_service_confirm,
	.service_attempt = sq_service_attempt,
	.service_state_get = sq_service_state_get,
	.service_states_scan = sq_service_states_scan,
	.service_state_counts = sq_service_state_counts,
	.session_put = sq_session_put,
	.session_get = sq_session_get,
	.session_delete = sq_session_delete,
	.attempt_get = sq_attempt_get,
	.attempt_failed = sq_attempt_failed,
	.attempt_clear = sq_attempt_clear,
	.code_put = sq_code_put,
	.code_get = sq_code_get,
	.code_take = sq_code_take,
	.idem_begin = sq_idem_begin,
	.idem_end = sq_idem_end,
	.serve_sweep = sq_serve_sweep,
	.contact_bad = sq_contact_bad,
	.outbox_depth = sq_outbox_depth,
	.contact_report = sq_contact_report,
	.arrangement_create = sq_arrangement_create,
	.arrangement_update = sq_arrangement_update,
	.arrangements_read = sq_arrangements_read,
	.user_add = sq_user_add,
	.user_get = sq_user_get,
	.user_set_password = sq_user_set_password,
	.user_disable = sq_user_disable,
	.token_add = sq_token_add,
	.token_find = sq_token_find,
	.token_revoke = sq_token_revoke,
	.queues_list = sq_queues_list,
	.tasks_list = sq_tasks_list,
	.task_read = sq_task_read,
	.task_write = sq_task_write,
	.report_contacts = sq_report_contacts,
	.report_arrangements = sq_report_arrangements,
	.report_provisioning = sq_report_provisioning,
};

int store_sqlite_open(const char *path, struct store **out, char *err, size_t errsize)
{
	struct sqlite_store *q = calloc(1, sizeof(*q));
	int rc;

	*out = NULL;
	if (q == NULL || (q->path = strdup(path)) == NULL) {
		free(q);
		snprintf(err, errsize, "%s: out of memory", path);
		return STORE_ERR_NOMEM;
	}
	q->base.ops = &sqlite_ops;
	/* No global memory statistics: they take a mutex on every allocation.
	 * Only possible before SQLite initialises; later calls change nothing. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/*
	 * Processes that open a brand-new file at the same moment race to
	 * create it and switch it to WAL; the loser can see a transient I/O
	 * error or a busy lock before any busy handler applies. Such opens are
	 * tried again a few times with a growing pause.
	 */
	for (int attempt = 0;; attempt++) {
		int code;

		rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX, NULL);
		if (rc != SQLITE_OK) {
			snprintf(err, errsize, "%s: cannot open: %s", path,
				 q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
			goto fail;
		}
		sqlite3_busy_timeout(q->db, 10000);
		sqlite3_extended_result_codes(q->db, 1);
		/* WAL: readers (the console, exports) never block the writer.
		 * synchronous=NORMAL in WAL loses no committed transaction on a
		 * crash of the process, only possibly the last ones on a power
		 * loss. page_size applies only to a database not yet written:
		 * 8 KiB pages mean fewer page splits on the ledger's text keys. */
		if (sq_exec(q, "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; "
			    "PRAGMA synchronous = NORMAL; "
			    "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY") == STORE_OK)
			break;
		code = sqlite3_errcode(q->db) & 0xff;   /* primary code */
		if (attempt >= 8 || (code != SQLITE_IOERR && code != SQLITE_BUSY &&
				     code != SQLITE_LOCKED)) {
			snprintf(err, errsize, "%s", q->base.err);
			goto fail;
		}
		sqlite3_close(q->db);
		q->db = NULL;
		usleep((useconds_t)(5000 << attempt));
	}
	*out = &q->base;
	return STORE_OK;
fail:
	sqlite3_close(q->db);
	free(q->path);
	free(q);
	return STORE_ERR_INPUT;
}

/*
 * The attribution both contact reports share (store.h): a payment goes to
 * the last message performed to its account before it, when it came
 * within ?2 seconds of it. The rows of the messages and payments a report
 * reads (messages_read, a condition on done_at; payments_read, one on
 * received_at) are merged per account in (instant, messages first, id)
 * order; a running count of messages numbers the stretches between them,
 * so that the first row of a stretch is the message every later payment
 * of that stretch is attributed to. led gives each row its stretch's first
 * kind (mk: 0 a message, 1 for the payments before any message read), the
 * message's id (mid) and instant (mt), and att 1 for an attributed
 * payment. Two window sorts over those rows; each report then groups per
 * stretch (a message and what followed it) and reads each message's
 * channel and rule by its key: no join of two large intermediate results,
 * which neither engine could index. postgres.c's PG_CONTACT_ATTRIBUTION is
 * the same text: keep the two alike.
 */
#define SQ_CONTACT_ATTRIBUTION(messages_read, payments_read) \
	"WITH ev AS (" \
		" SELECT account_key, done_at AS t, 0 AS kind, outbox_id AS id, 0 AS amount" \
		" FROM outbox WHERE state = 'done' AND channel IN ('sms', 'email', 'voice')" \
		" AND " messages_read \
		" UNION ALL SELECT account_key, received_at, 1, 0, amount FROM payments" \
		" WHERE " payments_read ")," \
	"seq AS (" \
		" SELECT account_key, t, kind, id, amount, sum(1 - kind) OVER (PARTITION BY" \
		" account_key ORDER BY t, kind, id ROWS UNBOUNDED PRECEDING) AS stretch FROM ev)," \
	"led AS (" \
		" SELECT account_key, stretch, kind, t, amount, first_value(kind) OVER w AS mk," \
		" first_value(id) OVER w AS mid, first_value(t) OVER w AS mt," \
		" CASE WHEN kind = 1 AND first_value(kind) OVER w = 0" \
		" AND t <= first_value(t) OVER w + ?2 THEN 1 ELSE 0 END AS att FROM seq" \
		" WINDOW w AS (PARTITION BY account_key, stretch ORDER BY t, kind, id)),"

/* Reads the statement's current row and hands it to the sink's callback;
 * returns what the callback returns, or a store error. */
typedef int (*sq_report_row_fn)(struct sqlite_store *q, sqlite3_stmt *st,
				const struct store_report_sink *sink);

/*
 * Runs a report: `sql` prepared for this call only (a report runs once per
 * command or request), ?1..?n bound to params[0..n-1], and row() called
 * for each row; `what` names the report in messages. Returns STORE_OK,
 * the first non-zero return of row(), or a store error.
 */
static int sq_report_rows(struct sqlite_store *q, const char *sql, const int64_t *params,
			  int n, const char *what, sq_report_row_fn row,
			  const struct store_report_sink *sink)
{
	sqlite3_stmt *st = NULL;
	char doing[96];
	int rc;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(doing, sizeof(doing), "preparing %s", what);
		rc = db_error(q, doing);
		goto out;
	}
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(st, i + 1, params[i]);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = row(q, st, sink)) != 0)
			goto out;
	if (rc == SQLITE_DONE) {
		rc = STORE_OK;
	} else {
		snprintf(doing, sizeof(doing), "reading %s", what);
		rc = db_error(q, doing);
	}
out:
	sqlite3_finalize(st);
	return rc;
}

static int sq_contact_row(struct sqlite_store *q, sqlite3_stmt *st,
			  const struct store_report_sink *sink)
{
	struct store_contact_row r = {
		.kind = sqlite3_column_int(st, 0),
		.channel = (const char *)sqlite3_column_text(st, 1),
		.rule = (const char *)sqlite3_column_text(st, 2),
		.currency = (const char *)sqlite3_column_text(st, 3),
		.messages = sqlite3_column_int64(st, 4),
		.accounts = sqlite3_column_int64(st, 5),
		.messages_paid = sqlite3_column_int64(st, 6),
		.payments = sqlite3_column_int64(st, 7),
		.amount = sqlite3_column_int64(st, 8),
	};

	if (r.channel == NULL || r.rule == NULL || r.currency == NULL)
		return store_set_error(&q->base, STORE_ERR_NOMEM, "%s: out of memory", q->path);
	return sink->cb.contact(sink->ctx, &r);
}

/* The contact report in one statement (store.h): the attribution over the
 * messages and payments since `since`. */
static int sq_contact_report(struct store *s, int64_t since, int64_t window_seconds,
			     store_contact_row_cb cb, void *ctx)
{
	static const char sql[] =
	SQ_CONTACT_ATTRIBUTION("done_at >= ?1", "received_at >= ?1")
	"st AS ("
		" SELECT account_key, mk, mid, sum(att) AS n, sum(att * amount) AS amount,"
		" sum(kind - att) AS un_n, sum((kind - att) * amount) AS un_amount"
		" FROM led GROUP BY account_key, stretch, mk, mid),"
	"m AS ("
		" SELECT o.channel, coalesce(o.rule, '') AS rule, a.currency, st.account_key,"
		" CASE WHEN st.n > 0 THEN 1 ELSE 0 END AS paid, st.n, st.amount FROM st"
		" JOIN outbox o ON o.outbox_id = st.mid"
		" JOIN accounts a ON a.account_key = st.account_key WHERE st.mk = 0) "
	"SELECT 0 AS k, channel, rule, currency, count(*), count(DISTINCT account_key),"
		" sum(paid), sum(n), sum(amount) FROM m GROUP BY channel, rule, currency "
	"UNION ALL SELECT 1, '', '', currency, count(*), count(DISTINCT account_key),"
		" sum(paid), sum(n), sum(amount) FROM m GROUP BY currency "
	"UNION ALL SELECT 2, '', '', a.currency, 0, count(DISTINCT st.account_key), 0,"
		" sum(st.un_n), sum(st.un_amount) FROM st"
		" JOIN accounts a ON a.account_key = st.account_key"
		" WHERE st.un_n > 0 GROUP BY a.currency "
	"ORDER BY 1, 2, 3, 4";
	const int64_t params[] = { since, window_seconds };
	const struct store_report_sink sink = { .cb.contact = cb, .ctx = ctx };

	return sq_report_rows(sq(s), sql, params, 2, "the contact report", sq_contact_row, &sink);
}

/* ---- managers' reports ------------------------------------------------------- */

static int sq_period_contact_row(struct sqlite_store *q, sqlite3_stmt *st,
				 const struct store_report_sink *sink)
{
	struct store_report_contact_row r = {
		.kind = sqlite3_column_int(st, 0),
		.channel = (const char *)sqlite3_column_text(st, 1),
		.rule = (const char *)sqlite3_column_text(st, 2),
		.currency = (const char *)sqlite3_column_text(st, 3),
		.messages = sqlite3_column_int64(st, 4),
		.messages_paid = sqlite3_column_int64(st, 5),
		.payments = sqlite3_column_int64(st, 6),
		.amount = sqlite3_column_int64(st, 7),
		.recovered_payments = sqlite3_column_int64(st, 8),
		.recovered_amount = sqlite3_column_int64(st, 9),
	};

	if (r.channel == NULL || r.rule == NULL || r.currency == NULL)
		return store_set_error(&q->base, STORE_ERR_NOMEM, "%s: out of memory", q->path);
	return sink->cb.period_contact(sink->ctx, &r);
}

/*
 * The period's messages and payments (store.h "managers' reports"): the
 * attribution of sq_contact_report over the messages in [from - window,
 * to + window) and the payments in [from, to + window), each stretch (a
 * message and the payments after it) then counted twice: for the message
 * when it was performed in [from, to), for the payments received in
 * [from, to). A message before from - window can own no payment of the
 * period (it is too old), and one after to + window comes after every
 * payment read, so the window of rows read gives the same attribution as
 * the whole history. ?1 is from, ?2 the window (SQ_CONTACT_ATTRIBUTION's),
 * ?3 to. postgres.c runs the same text: keep the two alike.
 */
static int sq_report_contacts(struct store *s, int64_t from, int64_t to, int64_t window_seconds,
			      store_report_contact_cb cb, void *ctx)
{
	static const char sql[] =
	SQ_CONTACT_ATTRIBUTION("done_at >= ?1 - ?2 AND done_at < ?3 + ?2",
			       "received_at >= ?1 AND received_at < ?3 + ?2")
	"st AS ("
		" SELECT account_key, mk, mid, mt, sum(att) AS n, sum(att * amount) AS amount,"
		" sum(CASE WHEN att = 1 AND t < ?3 THEN 1 ELSE 0 END) AS rn,"
		" sum(CASE WHEN att = 1 AND t < ?3 THEN amount ELSE 0 END) AS ramount,"
		" sum(CASE WHEN kind = 1 AND att = 0 AND t < ?3 THEN 1 ELSE 0 END) AS un_n,"
		" sum(CASE WHEN kind = 1 AND att = 0 AND t < ?3 THEN amount ELSE 0 END) AS un_amount"
		" FROM led GROUP BY account_key, stretch, mk, mid, mt),"
	"m AS ("
		" SELECT o.channel, coalesce(o.rule, '') AS rule, a.currency,"
		" CASE WHEN st.mt >= ?1 AND st.mt < ?3 THEN 1 ELSE 0 END AS inp,"
		" st.n, st.amount, st.rn, st.ramount FROM st"
		" JOIN outbox o ON o.outbox_id = st.mid"
		" JOIN accounts a ON a.account_key = st.account_key WHERE st.mk = 0) "
	"SELECT 0 AS k, channel, rule, currency, sum(inp),"
		" sum(CASE WHEN inp = 1 AND n > 0 THEN 1 ELSE 0 END), sum(inp * n),"
		" sum(inp * amount), sum(rn), sum(ramount) FROM m GROUP BY channel, rule, currency"
		" HAVING sum(inp) > 0 OR sum(rn) > 0 "
	"UNION ALL SELECT 2, '', '', a.currency, 0, 0, 0, 0, sum(st.un_n), sum(st.un_amount)"
		" FROM st JOIN accounts a ON a.account_key = st.account_key"
		" WHERE st.un_n > 0 GROUP BY a.currency "
	"ORDER BY 1, 2, 3, 4";
	const int64_t params[] = { from, window_seconds, to };
	const struct store_report_sink sink = { .cb.period_contact = cb, .ctx = ctx };

	return sq_report_rows(sq(s), sql, params, 3, "the dashboard's contact report",
			      sq_period_contact_row, &sink);
}

static int sq_arrangement_row(struct sqlite_store *q, sqlite3_stmt *st,
			      const struct store_report_sink *sink)
{
	char id[32];
	struct store_report_arrangement a = {
		.arrangement_id = id,
		.kind = (const char *)sqlite3_column_text(st, 1),
		.state = (const char *)sqlite3_column_text(st, 2),
		.terms = (const char *)sqlite3_column_text(st, 3),
		.created_at = sqlite3_column_int64(st, 4),
		.updated_at = sqlite3_column_int64(st, 5),
	};

	if (a.kind == NULL || a.state == NULL || a.terms == NULL)
		return store_set_error(&q->base, STORE_ERR_NOMEM, "%s: out of memory", q->path);
	store_arrangement_id(a.kind, sqlite3_column_int64(st, 0), id, sizeof(id));
	return sink->cb.arrangement(sink->ctx, &a);
}

/* Promises and plans of the period (store.h); the live test is the one
 * every arrangement read uses. */
static int sq_report_arrangements(struct store *s, int64_t from, int64_t to,
				  store_report_arrangement_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT arrangement_key, kind, state, terms, created_at, updated_at"
		" FROM arrangements WHERE kind IN ('promise', 'plan')"
		" AND ((updated_at >= ?1 AND updated_at < ?2)"
		" OR (" STORE_ARRANGEMENT_LIVE("") " AND created_at < ?2))"
		" ORDER BY arrangement_key";
	const int64_t params[] = { from, to };
	const struct store_report_sink sink = { .cb.arrangement = cb, .ctx = ctx };

	return sq_report_rows(sq(s), sql, params, 2, "the arrangements report",
			      sq_arrangement_row, &sink);
}

static int sq_provisioning_row(struct sqlite_store *q, sqlite3_stmt *st,
			       const struct store_report_sink *sink)
{
	struct store_report_provisioning p = {
		.outbox_id = sqlite3_column_int64(st, 0),
		.action = (const char *)sqlite3_column_text(st, 1),
		.account_id = (const char *)sqlite3_column_text(st, 2),
		.customer_id = (const char *)sqlite3_column_text(st, 3),
		.jurisdiction = (const char *)sqlite3_column_text(st, 4),
		.rule = (const char *)sqlite3_column_text(st, 5),
		.payload = (const char *)sqlite3_column_text(st, 6),
		.policy_version = sqlite3_column_int64(st, 7),
		.created_at = sqlite3_column_int64(st, 8),
		.done_at = sqlite3_column_int64(st, 9),
		.paid_at = sqlite3_column_int64(st, 10),
	};

	if (p.action == NULL || p.account_id == NULL || p.customer_id == NULL ||
	    p.jurisdiction == NULL || p.rule == NULL || p.payload == NULL)
		return store_set_error(&q->base, STORE_ERR_NOMEM, "%s: out of memory", q->path);
	return sink->cb.provisioning(sink->ctx, &p);
}

/* Suspensions and restorations of the period (store.h). The clearing
 * payment is one look-up in the payments' primary key and one in the
 * outbox's (account_key, due_at) index per restoration. */
static int sq_report_provisioning(struct store *s, int64_t from, int64_t to,
				  store_report_provisioning_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT o.outbox_id, o.action, a.account_id, c.customer_id, c.jurisdiction,"
		" coalesce(o.rule, ''), o.payload, coalesce(o.policy_version, 0), o.created_at,"
		" o.done_at, CASE WHEN o.action = 'restore' THEN coalesce((SELECT"
		" max(p.received_at) FROM payments p WHERE p.account_key = o.account_key"
		" AND p.received_at <= o.created_at AND p.received_at >= (SELECT max(x.done_at)"
		" FROM outbox x WHERE x.account_key = o.account_key"
		" AND x.channel = 'provisioning' AND x.action = 'suspend' AND x.state = 'done'"
		" AND x.done_at <= o.created_at)), 0) ELSE 0 END"
		" FROM outbox o JOIN accounts a ON a.account_key = o.account_key"
		" JOIN customers c ON c.customer_key = a.customer_key"
		" WHERE o.channel = 'provisioning' AND o.state = 'done'"
		" AND o.done_at >= ?1 AND o.done_at < ?2 ORDER BY o.done_at, o.outbox_id";
	const int64_t params[] = { from, to };
	const struct store_report_sink sink = { .cb.provisioning = cb, .ctx = ctx };

	return sq_report_rows(sq(s), sql, params, 2, "the provisioning report",
			      sq_provisioning_row, &sink);
}

/* ---- work queues ------------------------------------------------------------------ */

/*
 * The task columns every read selects, in struct task_view order, outbox o,
 * account a, customer c and queue_tasks t (LEFT JOINed), with ?1 the
 * instant at which leases are live. The queue, priority and text are the
 * payload's (run.c writes them); postgres.c reads the same with jsonb.
 */
#define SQ_TASK_PRIORITY "coalesce(json_extract(o.payload, '$.priority'), 5)"
#define SQ_TASK_COLUMNS \
	"o.outbox_id, coalesce(json_extract(o.payload, '$.target'), ''), " \
	"coalesce(json_extract(o.payload, '$.text'), ''), coalesce(o.rule, ''), " \
	SQ_TASK_PRIORITY ", c.customer_id, a.account_id, o.created_at, " \
	"CASE WHEN t.lease_until > ?1 THEN t.taken_by ELSE '' END, " \
	"CASE WHEN t.lease_until > ?1 THEN t.taken_at ELSE 0 END, " \
	"CASE WHEN t.lease_until > ?1 THEN t.lease_until ELSE 0 END, " \
	"coalesce(t.closed_by, ''), coalesce(t.closed_at, 0), coalesce(t.outcome, ''), " \
	"coalesce(t.note, '')"
#define SQ_TASK_FROM \
	" FROM outbox o JOIN accounts a ON a.account_key = o.account_key " \
	"JOIN customers c ON c.customer_key = a.customer_key " \
	"LEFT JOIN queue_tasks t ON t.outbox_id = o.outbox_id " \
	"WHERE o.channel = 'queue' AND o.state = 'done' "

/* A task row read whole into copies (cb may use the store). */
struct sq_task_page {
	struct task_view *v;
	char **text;            /* one malloc'ed block per row holding its strings */
	size_t n, cap;
};

static void sq_task_page_free(struct sq_task_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->text[i]);
	free(p->v);
	free(p->text);
}

static int sq_task_page_add(struct sq_task_page *p, sqlite3_stmt *st)
{
	const int strs[] = { 1, 2, 3, 5, 6, 8, 11, 13, 14 };
	size_t len = 0;
	char *b;
	const char **dst[9];
	struct task_view *t;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct task_view *v = realloc(p->v, cap * sizeof(*v));
		char **tx;

		if (v == NULL)
			return -1;
		p->v = v;
		if ((tx = realloc(p->text, cap * sizeof(*tx))) == NULL)
			return -1;
		p->text = tx;
		p->cap = cap;
	}
	for (size_t i = 0; i < 9; i++)
		len += strlen(col_text(st, strs[i])) + 1;
	if ((b = malloc(len)) == NULL)
		return -1;
	t = &p->v[p->n];
	p->text[p->n++] = b;
	memset(t, 0, sizeof(*t));
	t->task_id = sqlite3_column_int64(st, 0);
	t->priority = sqlite3_column_int(st, 4);
	t->created_at = sqlite3_column_int64(st, 7);
	t->taken_at = sqlite3_column_int64(st, 9);
	t->lease_until = sqlite3_column_int64(st, 10);
	t->closed_at = sqlite3_column_int64(st, 12);
	dst[0] = &t->queue;
	dst[1] = &t->text;
	dst[2] = &t->rule;
	dst[3] = &t->customer_id;
	dst[4] = &t->account_id;
	dst[5] = &t->taken_by;
	dst[6] = &t->closed_by;
	dst[7] = &t->outcome;
	dst[8] = &t->note;
	for (size_t i = 0; i < 9; i++) {
		size_t n = strlen(col_text(st, strs[i])) + 1;

		memcpy(b, col_text(st, strs[i]), n);
		*dst[i] = b;
		b += n;
	}
	return 0;
}

/* Steps st to the end into a page, then calls cb for each row. */
static int sq_task_rows(struct sqlite_store *q, sqlite3_stmt *st, store_task_cb cb, void *ctx,
			const char *what)
{
	struct sq_task_page p = { 0 };
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sq_task_page_add(&p, st) != 0) {
			sq_task_page_free(&p);
			return store_set_error(&q->base, STORE_ERR_NOMEM, "%s: out of memory", q->path);
		}
	if (rc != SQLITE_DONE) {
		rc = db_error(q, what);
		sq_task_page_free(&p);
		return rc;
	}
	sqlite3_reset(st);
	rc = STORE_OK;
	for (size_t i = 0; i < p.n && rc == STORE_OK; i++)
		rc = cb(ctx, &p.v[i]);
	sq_task_page_free(&p);
	return rc == STORE_STOP ? STORE_OK : rc;
}

static int sq_queues_list(struct store *s, int64_t now, store_queue_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT coalesce(json_extract(o.payload, '$.target'), '') AS queue, count(*), "
		"sum(CASE WHEN t.lease_until > ?1 THEN 0 ELSE 1 END), min(o.created_at) "
		"FROM outbox o LEFT JOIN queue_tasks t ON t.outbox_id = o.outbox_id "
		"WHERE o.channel = 'queue' AND o.state = 'done' AND t.closed_at IS NULL "
		"GROUP BY queue ORDER BY queue";
	struct sqlite_store *q = sq(s);
	struct queue_count *v = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(q, "preparing the queues");
		goto out;
	}
	sqlite3_bind_int64(st, 1, now);
	/* Read whole first (a few queues), so that cb may use the store. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t c = cap ? cap * 2 : 16;
			struct queue_count *nv = realloc(v, c * sizeof(*nv));
			char **nn;

			if (nv != NULL)
				v = nv;
			if (nv == NULL || (nn = realloc(names, c * sizeof(*nn))) == NULL) {
				rc = store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory", q->path);
				goto out;
			}
			names = nn;
			cap = c;
		}
		if ((names[n] = strdup(col_text(st, 0))) == NULL) {
			rc = store_set_error(s, STORE_ERR_NOMEM, "%s: out of memory", q->path);
			goto out;
		}
		v[n].queue = names[n];
		v[n].open = sqlite3_column_int64(st, 1);
		v[n].unassigned = sqlite3_column_int64(st, 2);
		v[n].oldest_at = sqlite3_column_int64(st, 3);
		n++;
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(q, "reading the queues");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = STORE_OK;
	for (size_t i = 0; i < n && rc == STORE_OK; i++)
		rc = cb(ctx, &v[i]);
	if (rc == STORE_STOP)
		rc = STORE_OK;
out:
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(v);
	return rc;
}

static int sq_tasks_list(struct store *s, const struct task_filter *f, store_task_cb cb,
			 void *ctx)
{
	static const char sql[] =
		"SELECT " SQ_TASK_COLUMNS SQ_TASK_FROM "AND t.closed_at IS NULL "
		"AND (?2 = '' OR coalesce(json_extract(o.payload, '$.target'), '') = ?2) "
		"AND (?3 = 0 OR (?3 = 1 AND t.taken_by = ?4 AND t.lease_until > ?1) "
		"OR (?3 = 2 AND (t.lease_until IS NULL OR t.lease_until <= ?1))) "
		"AND (?5 = 0 OR (" SQ_TASK_PRIORITY ", o.created_at, o.outbox_id) > "
		"(SELECT coalesce(json_extract(x.payload, '$.priority'), 5), x.created_at, "
		"x.outbox_id FROM outbox x WHERE x.outbox_id = ?5)) "
		"ORDER BY " SQ_TASK_PRIORITY ", o.created_at, o.outbox_id LIMIT ?6";
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(q, "preparing the tasks");
	sqlite3_bind_int64(st, 1, f->now);
	bind_text(st, 2, f->queue);
	sqlite3_bind_int(st, 3, f->who);
	bind_text(st, 4, f->user);
	sqlite3_bind_int64(st, 5, f->after);
	sqlite3_bind_int64(st, 6, f->limit);
	rc = sq_task_rows(q, st, cb, ctx, "reading the tasks");
	sqlite3_finalize(st);
	return rc;
}

/* lock: the caller's BEGIN IMMEDIATE holds the write lock already. */
static int sq_task_read(struct store *s, int64_t task_id, int64_t now, int lock,
			store_task_cb cb, void *ctx)
{
	static const char sql[] = "SELECT " SQ_TASK_COLUMNS SQ_TASK_FROM "AND o.outbox_id = ?2";
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = NULL;
	int rc;

	(void)lock;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(q, "preparing a task's read");
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, task_id);
	rc = sq_task_rows(q, st, cb, ctx, "reading a task");
	sqlite3_finalize(st);
	return rc;
}

static void sq_bind_opt_i64(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

static int sq_task_write(struct store *s, int64_t task_id, const char *taken_by,
			 int64_t taken_at, int64_t lease_until, const char *closed_by,
			 int64_t closed_at, const char *outcome, const char *note)
{
	static const char sql[] =
		"INSERT INTO queue_tasks (outbox_id, taken_by, taken_at, lease_until, closed_by, "
		"closed_at, outcome, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
		"ON CONFLICT (outbox_id) DO UPDATE SET taken_by = excluded.taken_by, "
		"taken_at = excluded.taken_at, lease_until = excluded.lease_until, "
		"closed_by = excluded.closed_by, closed_at = excluded.closed_at, "
		"outcome = excluded.outcome, note = excluded.note";
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(q, "preparing a task's write");
	sqlite3_bind_int64(st, 1, task_id);
	bind_opt(st, 2, taken_by);
	sq_bind_opt_i64(st, 3, taken_at);
	sq_bind_opt_i64(st, 4, lease_until);
	bind_opt(st, 5, closed_by);
	sq_bind_opt_i64(st, 6, closed_at);
	bind_opt(st, 7, outcome);
	bind_text(st, 8, note);
	rc = step_done(q, st, "writing a task");
	sqlite3_finalize(st);
	return rc;
}
