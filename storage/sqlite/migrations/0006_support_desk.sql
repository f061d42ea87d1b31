-- The support desk (issue 14): tickets a citizen opens to talk to a person, the messages relayed between the
-- citizen's chat and the staff group, what staff suggest the knowledge should learn, and the citizens'
-- votes on fact answers.

-- One ticket per request for a person; its id is the number staff and the citizen see. At most one open
-- ticket per chat account. `question` and `context` (the citizen's recent turns) are masked like the log.
-- The ticket's message in the staff group (`group_message_id`) threads the follow-ups; `posted_at` NULL
-- means it has not reached the group yet (the delivery loop posts it).
CREATE TABLE tickets (
    id               INTEGER PRIMARY KEY,
    platform         TEXT    NOT NULL,
    user_id          INTEGER NOT NULL,
    chat_id          INTEGER NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    service_id       TEXT,
    question         TEXT,
    context          TEXT    NOT NULL DEFAULT '',
    group_chat_id    INTEGER,
    group_message_id INTEGER,
    posted_at        TEXT,
    post_attempts    INTEGER NOT NULL DEFAULT 0,
    taken_by         INTEGER,
    taken_by_name    TEXT,
    taken_at         TEXT,
    closed_by        TEXT,
    closed_at        TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);
CREATE UNIQUE INDEX tickets_one_open ON tickets (platform, user_id) WHERE status = 'open';
CREATE INDEX tickets_unposted ON tickets (platform, id) WHERE posted_at IS NULL;
CREATE INDEX tickets_group_message ON tickets (platform, group_message_id);
CREATE INDEX tickets_status_created ON tickets (status, created_at);

-- A message relayed between the citizen and the staff group: text (masked on its way to staff), or a photo
-- or document by its file id; or the bot's own notice to either side (a ticket closed, taken). `source` (the chat and message id it came from) makes a redelivered update
-- relay once. `delivered_at` NULL: not relayed yet (the delivery loop retries); `failed`: given up, why.
CREATE TABLE ticket_messages (
    id              INTEGER PRIMARY KEY,
    ticket_id       INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    platform        TEXT    NOT NULL,
    direction       TEXT    NOT NULL CHECK (direction IN ('to_staff', 'to_citizen')),
    author          TEXT    NOT NULL CHECK (author IN ('citizen', 'staff', 'bot')),
    kind            TEXT    NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'photo', 'document')),
    text            TEXT,
    file_id         TEXT,
    source          TEXT,
    staff_user_id   INTEGER,
    sent_message_id INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    failed          TEXT,
    created_at      TEXT    NOT NULL,
    delivered_at    TEXT
);
CREATE UNIQUE INDEX ticket_messages_source ON ticket_messages (platform, source) WHERE source IS NOT NULL;
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id);
CREATE INDEX ticket_messages_undelivered ON ticket_messages (platform, id) WHERE delivered_at IS NULL;
CREATE INDEX ticket_messages_sent ON ticket_messages (platform, sent_message_id);

-- What staff say the bot should have understood: a question to add as an alias of a service, or (no
-- service) a need the catalogue does not cover. For admins to review; knowledge files are never changed here.
CREATE TABLE desk_suggestions (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
    platform      TEXT    NOT NULL,
    question      TEXT    NOT NULL,
    service_id    TEXT,
    staff_user_id INTEGER,
    created_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX desk_suggestions_once ON desk_suggestions (ticket_id, COALESCE(service_id, ''));

-- A citizen's vote on a fact answer (a service and a question type): one per account and answer, changeable.
CREATE TABLE feedback (
    platform   TEXT    NOT NULL,
    user_id    INTEGER NOT NULL,
    service_id TEXT    NOT NULL,
    intent     TEXT    NOT NULL,
    vote       INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (platform, user_id, service_id, intent)
);
CREATE INDEX feedback_updated ON feedback (updated_at);
