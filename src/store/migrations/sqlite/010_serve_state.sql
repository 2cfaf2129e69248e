-- relance schema version 10 (SQLite).
-- What `relance serve` remembers between requests, here so that every
-- node on the database sees it and a restart keeps it (docs/api.md
-- "Sessions", "Idempotency"; docs/portal.md). Every row has an instant
-- after which it is worthless: the code that reads a row ignores it past
-- that instant, and a sweep deletes such rows through the *_expiry
-- indexes. Hashes are lowercase hex; never the secrets themselves.

-- Signed-in staff and customers: the BLAKE2b hash of the cookie's value
-- (never the value), the CSRF token the sign-in gave, who it is.
CREATE TABLE serve_sessions (
	hash        TEXT PRIMARY KEY,
	csrf        TEXT NOT NULL,
	user_name   TEXT NOT NULL,
	role        TEXT NOT NULL,
	scopes      TEXT NOT NULL,
	customer_id TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL
);
CREATE INDEX serve_sessions_expiry ON serve_sessions (expires_at);

-- Failed sign-ins per name ("code:" + name for one-time codes) since
-- `since`; the row is worthless from expires_at (since + the window).
CREATE TABLE serve_attempts (
	name       TEXT PRIMARY KEY,
	failures   INTEGER NOT NULL CHECK (failures >= 0),
	since      INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX serve_attempts_expiry ON serve_attempts (expires_at);

-- The live one-time code of each portal user: a BLAKE2b hash of user and
-- code keyed by a random salt of its own (stored beside it, so that any
-- node can check a code); deleted when used.
CREATE TABLE serve_codes (
	user_name  TEXT PRIMARY KEY,
	salt       TEXT NOT NULL,
	hash       TEXT NOT NULL,
	issued_at  INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX serve_codes_expiry ON serve_codes (expires_at);

-- Idempotency-Key: per caller and key, the fingerprint of the request and,
-- once answered (state 'done'), the answer to replay.
CREATE TABLE serve_idempotency (
	caller       TEXT NOT NULL,
	idem_key     TEXT NOT NULL,
	fingerprint  TEXT NOT NULL,
	state        TEXT NOT NULL CHECK (state IN ('busy', 'done')),
	status       INTEGER NOT NULL DEFAULT 0,
	content_type TEXT NOT NULL DEFAULT '',
	location     TEXT NOT NULL DEFAULT '',
	body         BLOB,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (caller, idem_key)
);
CREATE INDEX serve_idempotency_expiry ON serve_idempotency (created_at);
