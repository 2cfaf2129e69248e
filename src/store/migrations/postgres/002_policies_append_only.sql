-- relance schema version 2 (PostgreSQL).
-- A policy version is named by every action it decided: its text must never
-- change nor disappear, so policies are append-only like the ledger.
-- TRUNCATE fires no row trigger: a statement trigger refuses it too.

CREATE FUNCTION relance_policies_append_only() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'policies are append-only'; END $$;
CREATE TRIGGER policies_append_only_u BEFORE UPDATE ON policies
FOR EACH ROW EXECUTE FUNCTION relance_policies_append_only();
CREATE TRIGGER policies_append_only_d BEFORE DELETE ON policies
FOR EACH ROW EXECUTE FUNCTION relance_policies_append_only();
CREATE TRIGGER policies_append_only_t BEFORE TRUNCATE ON policies
FOR EACH STATEMENT EXECUTE FUNCTION relance_policies_append_only();
