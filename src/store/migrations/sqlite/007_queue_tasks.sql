-- relance schema version 7 (SQLite).
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

CREATE TABLE queue_tasks (
	outbox_id   INTEGER PRIMARY KEY REFERENCES outbox,
	taken_by    TEXT,
	taken_at    INTEGER,
	lease_until INTEGER,
	closed_by   TEXT,
	closed_at   INTEGER,
	outcome     TEXT,
	note        TEXT NOT NULL DEFAULT '',
	CHECK ((closed_at IS NULL) = (closed_by IS NULL)),
	CHECK ((closed_at IS NULL) = (outcome IS NULL))
);
-- Open tasks are read by queue: the outbox rows a task can be.
CREATE INDEX outbox_queue_done ON outbox (outbox_id) WHERE channel = 'queue' AND state = 'done';

CREATE TRIGGER queue_tasks_kept_d BEFORE DELETE ON queue_tasks
BEGIN SELECT RAISE(ABORT, 'queue tasks are never deleted'); END;
CREATE TRIGGER queue_tasks_closed_u BEFORE UPDATE ON queue_tasks WHEN OLD.closed_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a closed task never changes'); END;
