-- relance schema version 3 (PostgreSQL).
-- The case's state between cycles (casestate.h): action counts, the formal
-- notice, suspensions and campaign progress, as one JSON document.

ALTER TABLE cases ADD COLUMN state TEXT NOT NULL DEFAULT '{}';

-- Claims also take rows whose lease expired: index those as the pending
-- ones are, so that a claim never reads the rows already done.
CREATE INDEX outbox_claimed ON outbox (lease_until) WHERE state = 'claimed';

-- A cycle reads each account's outbox rows (its contact history, what is
-- already scheduled): by account, not by a scan of the whole outbox.
CREATE INDEX outbox_account ON outbox (account_key, due_at);
