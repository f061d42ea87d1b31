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

-- The suggestions queue of the editor: both sources (a clerk's «add as alias / need» from the unanswered
-- questions, a support-desk staff member's from a ticket) are accepted (the service edited through the
-- editor, preview first) or rejected, with who decided, when and why.
ALTER TABLE knowledge_suggestions ADD COLUMN decided_by TEXT;
ALTER TABLE knowledge_suggestions ADD COLUMN decided_at TEXT;
ALTER TABLE knowledge_suggestions ADD COLUMN decision_note TEXT;
ALTER TABLE desk_suggestions ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected'));
ALTER TABLE desk_suggestions ADD COLUMN decided_by TEXT;
ALTER TABLE desk_suggestions ADD COLUMN decided_at TEXT;
ALTER TABLE desk_suggestions ADD COLUMN decision_note TEXT;
