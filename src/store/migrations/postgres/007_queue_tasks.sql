-- relance schema version 7 (PostgreSQL).
-- Agents' work queues (docs/queues.md). A task is an outbox row of channel
-- "queue" that was performed (state "done"): the policy, a bad contact or a
-- late dispute put the account on a queue. The outbox row stays as it is
-- (its states are final); what agents do with the task is kept here, one
-- row per task keyed by the outbox row, written on the first take or close:
-- who holds it and until when (a lease, so that two agents do not work the
-- same account at once; an expired lease frees the task without anybody
-- releasing it), and who closed it, when, with which outcome and note.
-- A closed task never changes and no task row is ever deleted: the close
-- is also an entry on the customer file, written in the same transaction.
-- TRUNCATE fires no row trigger: a statement trigger refuses it too.

CREATE TABLE queue_tasks (
	outbox_id   BIGINT PRIMARY KEY REFERENCES outbox,
	taken_by    TEXT,
	taken_at    BIGINT,
	lease_until BIGINT,
	closed_by   TEXT,
	closed_at   BIGINT,
	outcome     TEXT,
	note        TEXT NOT NULL DEFAULT '',
	CHECK ((closed_at IS NULL) = (closed_by IS NULL)),
	CHECK ((closed_at IS NULL) = (outcome IS NULL))
);
-- Open tasks are read by queue: the outbox rows a task can be.
CREATE INDEX outbox_queue_done ON outbox (outbox_id) WHERE channel = 'queue' AND state = 'done';

CREATE FUNCTION relance_queue_tasks_kept() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'queue tasks are never deleted'; END $$;
CREATE FUNCTION relance_queue_task_closed() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'a closed task never changes'; END $$;
CREATE TRIGGER queue_tasks_kept_d BEFORE DELETE ON queue_tasks
FOR EACH ROW EXECUTE FUNCTION relance_queue_tasks_kept();
CREATE TRIGGER queue_tasks_kept_t BEFORE TRUNCATE ON queue_tasks
FOR EACH STATEMENT EXECUTE FUNCTION relance_queue_tasks_kept();
CREATE TRIGGER queue_tasks_closed_u BEFORE UPDATE ON queue_tasks
FOR EACH ROW WHEN (OLD.closed_at IS NOT NULL) EXECUTE FUNCTION relance_queue_task_closed();
