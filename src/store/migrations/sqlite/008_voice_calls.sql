-- relance schema version 8 (SQLite).
-- The calls of the voice channel (docs/voice.md): one row per call placed
-- for a voice outbox row, written in the transaction that finishes the
-- row's attempt. A row may be called in several cycles (an early hang-up
-- goes back to the front of the list, busy and no answer are called again
-- later), so these rows are its history: how many calls went unanswered
-- (voice.max_unanswered counts across cycles), whether the last one that
-- reached the number was hung up early; and the figures of `relance report
-- calls`. The outcome names are the dialer's (core/dialer.h). Never
-- changed, never deleted.

CREATE TABLE voice_calls (
	call_id     INTEGER PRIMARY KEY,
	outbox_id   INTEGER NOT NULL REFERENCES outbox,
	account_key INTEGER NOT NULL REFERENCES accounts,
	ended_at    INTEGER NOT NULL,
	outcome     TEXT NOT NULL CHECK (outcome IN ('heard', 'hung_up_early', 'busy',
		'no_answer', 'bad_number', 'trunk_failure', 'not_confirmed')),
	share       INTEGER NOT NULL CHECK (share BETWEEN 0 AND 1000),
	requeued    INTEGER NOT NULL CHECK (requeued IN (0, 1))
);
CREATE INDEX voice_calls_outbox ON voice_calls (outbox_id, call_id);
CREATE INDEX voice_calls_ended ON voice_calls (ended_at);

CREATE TRIGGER voice_calls_kept_u BEFORE UPDATE ON voice_calls
BEGIN SELECT RAISE(ABORT, 'calls are never changed'); END;
CREATE TRIGGER voice_calls_kept_d BEFORE DELETE ON voice_calls
BEGIN SELECT RAISE(ABORT, 'calls are never deleted'); END;
