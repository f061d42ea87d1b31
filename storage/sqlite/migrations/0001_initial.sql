-- Initial schema. Applied inside one transaction by storage/db.py, which also sets PRAGMA user_version:
-- no BEGIN/COMMIT here. Times are ISO 8601 UTC text (see storage/_common.py); JSON columns are TEXT.

-- A citizen's registered request. `data` holds every form answer as JSON, so a new form field needs no
-- migration; national_code and mobile are copied out because duplicates and staff searches use them.
CREATE TABLE requests (
    id            INTEGER PRIMARY KEY,
    tracking_code TEXT    NOT NULL UNIQUE,
    service_id    TEXT    NOT NULL,
    platform      TEXT,
    user_id       INTEGER NOT NULL,
    chat_id       INTEGER NOT NULL,
    national_code TEXT,
    mobile        TEXT,
    data          TEXT    NOT NULL DEFAULT '{}',
    status        TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX requests_open_duplicate ON requests (service_id, national_code, status);
CREATE INDEX requests_user ON requests (user_id);
CREATE INDEX requests_status_created ON requests (status, created_at);

-- The history a citizen sees when tracking: one row per status change, never updated.
CREATE TABLE request_events (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    status     TEXT    NOT NULL,
    note       TEXT,
    actor      TEXT,
    created_at TEXT    NOT NULL
);
CREATE INDEX request_events_request ON request_events (request_id, id);

-- A form in progress, so a citizen can leave and come back; one per chat user.
CREATE TABLE drafts (
    platform   TEXT    NOT NULL,
    user_id    INTEGER NOT NULL,
    service_id TEXT    NOT NULL,
    step       INTEGER NOT NULL DEFAULT 0,
    answers    TEXT    NOT NULL DEFAULT '{}',
    editing    TEXT,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (platform, user_id)
);

-- What the citizen is looking at (the current service, etc.), kept across restarts.
CREATE TABLE chat_state (
    platform        TEXT    NOT NULL,
    user_id         INTEGER NOT NULL,
    current_service TEXT,
    data            TEXT    NOT NULL DEFAULT '{}',
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (platform, user_id)
);

-- Every message in and out, with personal numbers already masked, for statistics and for finding the
-- questions the bot could not answer (grouped by their normalized text).
CREATE TABLE message_log (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT    NOT NULL,
    platform    TEXT,
    user_id     INTEGER,
    chat_id     INTEGER,
    direction   TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    text        TEXT,
    intent      TEXT,
    service_id  TEXT,
    score       REAL,
    answered    INTEGER,
    normalized  TEXT,
    handling_ms REAL
);
CREATE INDEX message_log_created ON message_log (created_at);
CREATE INDEX message_log_user ON message_log (user_id);
CREATE INDEX message_log_unanswered ON message_log (answered, normalized);

-- Failed tracking-code look-ups per chat user, to slow down guessing (storage/lookups.py).
CREATE TABLE lookup_failures (
    platform     TEXT    NOT NULL,
    user_id      INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    window_start REAL    NOT NULL,
    last_failure REAL    NOT NULL,
    PRIMARY KEY (platform, user_id)
);
