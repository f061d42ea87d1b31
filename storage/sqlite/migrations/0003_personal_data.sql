-- The security audit "Personal data, delivery guarantees and hostile staff-side input".

-- A national code may be typed by anyone: a request whose service and national code match an open request
-- of another chat account is stored all the same (refusing it would tell the second account that the code
-- was used, and would lock the real citizen out behind a squatter) and points at the earlier one, for staff
-- to resolve (python -m bot requests list --duplicates).
ALTER TABLE requests ADD COLUMN duplicate_of INTEGER REFERENCES requests (id);
CREATE INDEX requests_duplicates ON requests (duplicate_of) WHERE duplicate_of IS NOT NULL;
-- The per-account daily cap (BOT_MAX_REQUESTS_PER_DAY) counts an account's requests of the last day.
CREATE INDEX requests_account_created ON requests (platform, user_id, created_at);

-- Retention of closed requests (BOT_REQUEST_RETENTION_DAYS after they were closed): the request stays, for
-- statistics and for staff who search by tracking code, without anything that names a person.
ALTER TABLE requests ADD COLUMN anonymized_at TEXT;
CREATE INDEX requests_closed_updated ON requests (status, updated_at) WHERE anonymized_at IS NULL;
CREATE INDEX chat_state_updated ON chat_state (updated_at);
CREATE INDEX drafts_updated ON drafts (updated_at);

-- Who among staff read or changed personal data, and when: `requests show`, exports with personal data,
-- `requests set-status`, `prune --force`. Append-only: the triggers refuse any UPDATE or DELETE, so neither
-- the application nor a casual `sqlite3` session can rewrite it (the file's owner could still drop the
-- table: ship the rows elsewhere if that must be ruled out too). Never pruned.
CREATE TABLE staff_audit (
    id         INTEGER PRIMARY KEY,
    created_at TEXT    NOT NULL,
    os_user    TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT,
    detail     TEXT
);
CREATE TRIGGER staff_audit_no_update BEFORE UPDATE ON staff_audit
BEGIN
    SELECT RAISE(ABORT, 'staff_audit is append-only');
END;
CREATE TRIGGER staff_audit_no_delete BEFORE DELETE ON staff_audit
BEGIN
    SELECT RAISE(ABORT, 'staff_audit is append-only');
END;
