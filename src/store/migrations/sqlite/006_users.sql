-- relance schema version 6 (SQLite).
-- Users and API tokens, for `relance serve` (store.h, docs/roles.md). A
-- user is who did something: decisions and file entries name them, so a
-- user is never deleted, only disabled (which also ends every token of
-- theirs). The kind decides the role and what identifies them: staff have
-- a role and an argon2id password hash; portal users are customers (role
-- "customer", their customer_key set) and sign in with one-time codes; API
-- clients (role "api") present tokens. Only hashes are kept: a copy of the
-- database gives away no password and no token. A token is stored as the
-- 32-byte BLAKE2b hash of its text (256 random bits, so a fast hash is
-- enough), looked up by that hash; it is revoked, never deleted, so that
-- what it did stays attributable.

CREATE TABLE users (
	user_key      INTEGER PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE,
	kind          TEXT NOT NULL CHECK (kind IN ('staff', 'customer', 'api')),
	role          TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'manager',
	                                   'administrator', 'customer', 'api')),
	customer_key  INTEGER REFERENCES customers,
	password_hash TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	disabled_at   INTEGER,
	-- store.c checks the same before writing, with a clearer message.
	CHECK ((kind = 'staff' AND role IN ('agent', 'supervisor', 'manager', 'administrator')
	        AND customer_key IS NULL)
	       OR (kind = 'customer' AND role = 'customer' AND customer_key IS NOT NULL
	           AND password_hash = '')
	       OR (kind = 'api' AND role = 'api' AND customer_key IS NULL
	           AND password_hash = ''))
);
CREATE INDEX users_customer ON users (customer_key) WHERE customer_key IS NOT NULL;

CREATE TABLE api_tokens (
	token_key  INTEGER PRIMARY KEY,
	user_key   INTEGER NOT NULL REFERENCES users,
	hash       BLOB NOT NULL UNIQUE CHECK (typeof(hash) = 'blob' AND length(hash) = 32),
	scopes     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_key);

CREATE TRIGGER users_kept_d BEFORE DELETE ON users
BEGIN SELECT RAISE(ABORT, 'users are never deleted: disable them'); END;
CREATE TRIGGER users_kept_u BEFORE UPDATE OF user_key, kind, customer_key, created_at ON users
BEGIN SELECT RAISE(ABORT, 'a user''s kind, customer and creation never change'); END;
CREATE TRIGGER api_tokens_kept_d BEFORE DELETE ON api_tokens
BEGIN SELECT RAISE(ABORT, 'API tokens are never deleted: revoke them'); END;
CREATE TRIGGER api_tokens_kept_u BEFORE UPDATE OF token_key, user_key, hash, scopes,
	created_at ON api_tokens
BEGIN SELECT RAISE(ABORT, 'an API token''s owner, hash and scopes never change'); END;
