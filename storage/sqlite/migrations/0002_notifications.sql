-- A status change reaches the citizen as a chat message: an event not yet delivered has notified_at NULL.
-- The bot process delivers them (staff may change a status from another process, the CLI).
ALTER TABLE request_events ADD COLUMN notified_at TEXT;
UPDATE request_events SET notified_at = created_at;
CREATE INDEX request_events_undelivered ON request_events (notified_at) WHERE notified_at IS NULL;
