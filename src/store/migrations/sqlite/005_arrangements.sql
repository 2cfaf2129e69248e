-- relance schema version 5 (SQLite).
-- Arrangements (store.h): promises to pay, payment plans, disputes,
-- postponements and hand-offs, each covering one or more accounts of one
-- customer. An arrangement is what was agreed with a customer and the
-- engine's actions depend on it, so it is never deleted: a change is a new
-- state. Every change increments `version` and names its expected version,
-- so that of two agents changing one arrangement at once the second is told
-- instead of silently overwriting the first. The id shown to people ("PR-17")
-- is the kind's prefix and the key: kind, customer and creation never change.

CREATE TABLE arrangements (
	arrangement_key INTEGER PRIMARY KEY,
	kind         TEXT NOT NULL
	             CHECK (kind IN ('promise', 'plan', 'dispute', 'postponement', 'handoff')),
	customer_key INTEGER NOT NULL REFERENCES customers,
	state        TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	created_by   TEXT NOT NULL,
	updated_at   INTEGER NOT NULL,
	updated_by   TEXT NOT NULL,
	version      INTEGER NOT NULL CHECK (version >= 1),
	terms        TEXT NOT NULL
);
CREATE INDEX arrangements_customer ON arrangements (customer_key);

-- The accounts an arrangement covers, written with it and never changed.
-- The primary key finds an account's arrangements (the exclusive-kind check,
-- a cycle reading an account); the index finds an arrangement's accounts.
CREATE TABLE arrangement_accounts (
	account_key     INTEGER NOT NULL REFERENCES accounts,
	arrangement_key INTEGER NOT NULL REFERENCES arrangements,
	PRIMARY KEY (account_key, arrangement_key)
) WITHOUT ROWID;
CREATE INDEX arrangement_accounts_arrangement
	ON arrangement_accounts (arrangement_key, account_key);

CREATE TRIGGER arrangements_kept_d BEFORE DELETE ON arrangements
BEGIN SELECT RAISE(ABORT, 'arrangements are never deleted'); END;
CREATE TRIGGER arrangements_kept_u BEFORE UPDATE OF arrangement_key, kind, customer_key,
	created_at, created_by ON arrangements
BEGIN SELECT RAISE(ABORT, 'an arrangement''s kind, customer and creation never change'); END;
CREATE TRIGGER arrangement_accounts_kept_u BEFORE UPDATE ON arrangement_accounts
BEGIN SELECT RAISE(ABORT, 'an arrangement''s accounts never change'); END;
CREATE TRIGGER arrangement_accounts_kept_d BEFORE DELETE ON arrangement_accounts
BEGIN SELECT RAISE(ABORT, 'an arrangement''s accounts never change'); END;
