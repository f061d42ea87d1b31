-- The web console (console/, `python -m bot console`): its users, their sessions, and the knowledge to-do
-- list that support staff keep from the unanswered questions.

-- A person who signs in to the console. `role` is one of viewer, clerk, editor, admin (each may do what the
-- one before may, and more); `agency` (NULL: every agency) limits what they see to the services whose
-- provider or parent agency it names. Only an argon2 hash of the password is kept. A user is disabled,
-- never deleted, so the audit trail keeps naming someone who existed.
CREATE TABLE console_users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'clerk', 'editor', 'admin')),
    agency        TEXT,
    created_at    TEXT    NOT NULL,
    disabled_at   TEXT,
    last_login_at TEXT
);

-- A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a copy of the
-- database opens no session. `csrf_token` is the secret every form of the session carries back.
CREATE TABLE console_sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

-- An unanswered question (a group of the log's unanswered messages, by their normalized text) that staff
-- have dealt with; it shows again when a citizen asks it after `handled_at`.
CREATE TABLE unanswered_handled (
    question   TEXT PRIMARY KEY,
    handled_by TEXT NOT NULL,
    handled_at TEXT NOT NULL
);

-- "Add as alias / need to service…": a question sent to the editors of a service, for the knowledge to
-- learn it (knowledge files change only through an editor's review).
CREATE TABLE knowledge_suggestions (
    id         INTEGER PRIMARY KEY,
    question   TEXT NOT NULL,
    example    TEXT,
    service_id TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('alias', 'need')),
    text       TEXT NOT NULL,
    note       TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected'))
);
CREATE INDEX knowledge_suggestions_service ON knowledge_suggestions (service_id, status);
-- The conversation pages search the log by service and read one account's messages.
CREATE INDEX message_log_service ON message_log (service_id, created_at) WHERE service_id IS NOT NULL;
CREATE INDEX message_log_account ON message_log (platform, user_id, id);
