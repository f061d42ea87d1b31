-- Delivery guarantees. An update is stored before the platform is told it arrived (the next getUpdates
-- offset) and marked done once handled; a crash in between leaves it here to handle after the restart.
CREATE TABLE inbox (
    platform TEXT NOT NULL,
    update_id INTEGER NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    done_at TEXT,
    PRIMARY KEY (platform, update_id)
);
CREATE INDEX inbox_pending ON inbox (platform, update_id) WHERE done_at IS NULL;

-- Replies the platform refused for now (flood control with a long wait, server errors): sent later, in
-- order per chat, by the delivery loop.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    chat_id INTEGER NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    not_before TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (platform, not_before);
