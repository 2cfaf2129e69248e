-- relance schema version 9 (PostgreSQL).
-- The provisioning state of each service: the level it should be at
-- (desired: what the last suspension or restoration decided, with the
-- idempotency key of the outbox row that decided it) and the last level its
-- network adapter's peer confirmed. A peer may fail, time out or be reset
-- behind relance's back, so the two can differ; reconciliation reads the
-- services in drift, applies the desired level again, counts the tries that
-- did not confirm and, when they reach its limit, raises an alert
-- (alerted_at) and leaves the service to a person: an alerted service is out
-- of its list until a new level is desired. One row per service, written by
-- the first desire or confirmation and then updated in place: this is state,
-- the history is on the customer file. Never deleted.
-- Levels: full (in service), throttle, walled_garden, total.
-- TRUNCATE fires no row trigger: a statement trigger refuses it too.

CREATE TABLE service_states (
	service_key  BIGINT PRIMARY KEY REFERENCES services,
	desired      TEXT NOT NULL CHECK (desired IN ('full', 'throttle', 'walled_garden', 'total')),
	desired_at   BIGINT NOT NULL,
	desired_key  TEXT NOT NULL,
	confirmed    TEXT CHECK (confirmed IS NULL OR
		confirmed IN ('full', 'throttle', 'walled_garden', 'total')),
	confirmed_at BIGINT,
	attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	last_error   TEXT NOT NULL DEFAULT '',
	alerted_at   BIGINT,
	CHECK ((confirmed IS NULL) = (confirmed_at IS NULL))
);
-- Reconciliation's list, in its order: the services in drift, not alerted.
-- A few rows when the network is healthy, whatever the number of services.
CREATE INDEX service_states_drift ON service_states (desired_at)
	WHERE alerted_at IS NULL AND (confirmed IS NULL OR confirmed <> desired);
CREATE INDEX service_states_alerted ON service_states (alerted_at)
	WHERE alerted_at IS NOT NULL;

CREATE FUNCTION relance_service_states_kept() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'service states are never deleted'; END $$;
CREATE TRIGGER service_states_kept_d BEFORE DELETE ON service_states
FOR EACH ROW EXECUTE FUNCTION relance_service_states_kept();
CREATE TRIGGER service_states_kept_t BEFORE TRUNCATE ON service_states
FOR EACH STATEMENT EXECUTE FUNCTION relance_service_states_kept();
