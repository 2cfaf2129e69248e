-- relance schema version 2 (SQLite).
-- A policy version is named by every action it decided: its text must never
-- change nor disappear, so policies are append-only like the ledger.

CREATE TRIGGER policies_append_only_u BEFORE UPDATE ON policies
BEGIN SELECT RAISE(ABORT, 'policies are append-only'); END;
CREATE TRIGGER policies_append_only_d BEFORE DELETE ON policies
BEGIN SELECT RAISE(ABORT, 'policies are append-only'); END;
