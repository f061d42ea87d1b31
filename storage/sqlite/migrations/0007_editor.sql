-- The console's service editor: every text of a knowledge file it published, so each service has a
-- history with diffs and a one-click revert (a revert is a new row with the old text). The files in
-- knowledge/services/ stay the source of truth; a row with author `disk` records a change found made
-- outside the console (git, a text editor) before the next publish replaced it.
CREATE TABLE knowledge_versions (
    id           INTEGER PRIMARY KEY,
    service_id   TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    author       TEXT NOT NULL,
    note         TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX knowledge_versions_service ON knowledge_versions (service_id, id);
