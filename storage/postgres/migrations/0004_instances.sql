-- Two active bot instances on one database (README "PostgreSQL", issue 18).
--
-- inbox.account: whose updates must be handled in order (the user; the chat when there is none). One
-- instance at a time handles an account's pending updates, under a session-level advisory lock on it
-- (storage/postgres/delivery.py): a killed instance's locks go with its connection, and the other instance
-- takes its accounts over at once. Rows stored before this migration belong to account 0.
ALTER TABLE inbox ADD COLUMN account bigint NOT NULL DEFAULT 0;
CREATE INDEX inbox_pending_account ON inbox (platform, account, update_id) WHERE done_at IS NULL;

-- request_events.claimed_until: a delivery loop is sending this notice until then; the other instances
-- skip it (claimed with SELECT ... FOR UPDATE SKIP LOCKED). Not marked delivered by then (the instance
-- died), it is handed out again.
ALTER TABLE request_events ADD COLUMN claimed_until timestamptz;
