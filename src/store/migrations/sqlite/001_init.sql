-- relance schema version 1 (SQLite).
-- Money: INTEGER minor units. Dates: INTEGER day numbers since 1970-01-01.
-- Instants: INTEGER seconds since the epoch, UTC.

CREATE TABLE schema_version (version INTEGER NOT NULL);

CREATE TABLE imports (
	import_id   INTEGER PRIMARY KEY,
	kind        TEXT NOT NULL,
	source      TEXT NOT NULL,
	started_at  INTEGER NOT NULL,
	row_count   INTEGER,
	inserted    INTEGER
);

CREATE TABLE customers (
	customer_key INTEGER PRIMARY KEY,
	customer_id  TEXT NOT NULL UNIQUE,
	name         TEXT NOT NULL,
	locale       TEXT NOT NULL,
	timezone     TEXT NOT NULL,
	jurisdiction TEXT NOT NULL,
	phone        TEXT,
	email        TEXT,
	segment      TEXT,
	import_id    INTEGER NOT NULL,
	source_line  INTEGER NOT NULL
);

CREATE TABLE accounts (
	account_key  INTEGER PRIMARY KEY,
	account_id   TEXT NOT NULL UNIQUE,
	customer_key INTEGER NOT NULL REFERENCES customers,
	currency     TEXT NOT NULL,
	import_id    INTEGER NOT NULL,
	source_line  INTEGER NOT NULL
);
CREATE INDEX accounts_customer ON accounts (customer_key);

CREATE TABLE services (
	service_key  INTEGER PRIMARY KEY,
	service_id   TEXT NOT NULL UNIQUE,
	account_key  INTEGER NOT NULL REFERENCES accounts,
	kind         TEXT NOT NULL,
	identifier   TEXT NOT NULL,
	adapter      TEXT NOT NULL,
	import_id    INTEGER NOT NULL,
	source_line  INTEGER NOT NULL
);
CREATE INDEX services_account ON services (account_key);

-- The ledger is append-only: the triggers below refuse UPDATE and DELETE.
CREATE TABLE invoices (
	invoice_id   TEXT NOT NULL UNIQUE,
	account_key  INTEGER NOT NULL REFERENCES accounts,
	issued_on    INTEGER NOT NULL,
	due_on       INTEGER NOT NULL,
	amount       INTEGER NOT NULL CHECK (amount > 0),
	import_id    INTEGER NOT NULL,
	source_line  INTEGER NOT NULL,
	PRIMARY KEY (account_key, invoice_id)
) WITHOUT ROWID;

CREATE TABLE payments (
	payment_id   TEXT NOT NULL UNIQUE,
	account_key  INTEGER NOT NULL REFERENCES accounts,
	received_at  INTEGER NOT NULL,
	amount       INTEGER NOT NULL CHECK (amount > 0),
	method       TEXT,
	invoice_id   TEXT,
	import_id    INTEGER NOT NULL,
	source_line  INTEGER NOT NULL,
	PRIMARY KEY (account_key, payment_id)
) WITHOUT ROWID;

CREATE TABLE credit_notes (
	credit_note_id  TEXT NOT NULL UNIQUE,
	account_key     INTEGER NOT NULL REFERENCES accounts,
	invoice_id      TEXT,
	issued_on       INTEGER NOT NULL,
	amount          INTEGER NOT NULL CHECK (amount > 0),
	reason          TEXT NOT NULL,
	import_id       INTEGER NOT NULL,
	source_line     INTEGER NOT NULL,
	PRIMARY KEY (account_key, credit_note_id)
) WITHOUT ROWID;

CREATE TRIGGER invoices_append_only_u BEFORE UPDATE ON invoices
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER invoices_append_only_d BEFORE DELETE ON invoices
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER payments_append_only_u BEFORE UPDATE ON payments
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER payments_append_only_d BEFORE DELETE ON payments
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER credit_notes_append_only_u BEFORE UPDATE ON credit_notes
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER credit_notes_append_only_d BEFORE DELETE ON credit_notes
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

-- Kept-current positions: the allocation with every entry in effect.
-- open_items packs (due_on int32, issued_on int32, remaining int64) LE.
CREATE TABLE positions (
	account_key  INTEGER PRIMARY KEY REFERENCES accounts,
	balance      INTEGER NOT NULL,
	invoiced     INTEGER NOT NULL,
	paid         INTEGER NOT NULL,
	credited     INTEGER NOT NULL,
	complete_at  INTEGER NOT NULL,
	oldest_open_due INTEGER,
	open_items   BLOB NOT NULL
);

-- A collection case per account: its stage in the policy.
CREATE TABLE cases (
	account_key    INTEGER PRIMARY KEY REFERENCES accounts,
	stage          TEXT NOT NULL,
	stage_since    INTEGER NOT NULL,
	policy_version INTEGER,
	rule           TEXT,
	next_check_at  INTEGER
);

-- The customer file: append-only, each entry chained to the previous one
-- by SHA-256 so that a missing or altered entry is detectable.
CREATE TABLE file_entries (
	customer_key INTEGER NOT NULL REFERENCES customers,
	seq          INTEGER NOT NULL,
	at           INTEGER NOT NULL,
	account_key  INTEGER,
	kind         TEXT NOT NULL,
	author       TEXT NOT NULL,
	body         TEXT NOT NULL,
	prev_hash    BLOB NOT NULL,
	hash         BLOB NOT NULL,
	PRIMARY KEY (customer_key, seq)
);
CREATE TRIGGER file_entries_append_only_u BEFORE UPDATE ON file_entries
BEGIN SELECT RAISE(ABORT, 'the customer file is append-only'); END;
CREATE TRIGGER file_entries_append_only_d BEFORE DELETE ON file_entries
BEGIN SELECT RAISE(ABORT, 'the customer file is append-only'); END;

-- Collection policies, one row per loaded version.
CREATE TABLE policies (
	version    INTEGER PRIMARY KEY,
	loaded_at  INTEGER NOT NULL,
	source     TEXT NOT NULL,
	body       TEXT NOT NULL
);

-- Actions decided and not yet performed, claimed by workers with a lease.
CREATE TABLE outbox (
	outbox_id       INTEGER PRIMARY KEY,
	idempotency_key TEXT NOT NULL UNIQUE,
	account_key     INTEGER NOT NULL REFERENCES accounts,
	channel         TEXT NOT NULL,
	action          TEXT NOT NULL,
	due_at          INTEGER NOT NULL,
	payload         TEXT NOT NULL,
	policy_version  INTEGER,
	rule            TEXT,
	state           TEXT NOT NULL DEFAULT 'pending',
	lease_owner     TEXT,
	lease_until     INTEGER,
	attempts        INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	done_at         INTEGER,
	outcome         TEXT
);
CREATE INDEX outbox_pending ON outbox (due_at) WHERE state = 'pending';

INSERT INTO schema_version (version) VALUES (1);
