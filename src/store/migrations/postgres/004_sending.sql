-- relance schema version 4 (PostgreSQL).
-- A message handed to a real peer (an SMSC, an SMTP server) is first marked
-- 'sending' in a commit of its own: a process killed before the peer's answer
-- leaves it so, and the next claim makes it 'uncertain' (never sent again)
-- instead of sending it twice. Index those whose lease expired, as the
-- claimed ones are.
CREATE INDEX outbox_sending ON outbox (lease_until) WHERE state = 'sending';

-- What a peer calls a message it accepted (an SMSC's message_id per part):
-- how its delivery receipts find the action they are about.
CREATE TABLE outbox_peer_ids (
	channel   TEXT NOT NULL,
	peer_id   TEXT NOT NULL,
	outbox_id BIGINT NOT NULL REFERENCES outbox,
	PRIMARY KEY (channel, peer_id)
);

-- Permanent failures per phone number and e-mail address of a customer
-- (refusals, undelivered receipts). Past the operations file's count the
-- contact is flagged (flagged_at) and no channel uses it again; a corrected
-- contact is another value, so importing or entering it clears the flag.
CREATE TABLE contact_failures (
	customer_key BIGINT NOT NULL REFERENCES customers,
	kind         TEXT NOT NULL,
	value        TEXT NOT NULL,
	failures     BIGINT NOT NULL,
	last_at      BIGINT NOT NULL,
	flagged_at   BIGINT,
	PRIMARY KEY (customer_key, kind, value)
);
