-- The security audit "Personal data, delivery guarantees and hostile staff-side input".

-- A national code may be typed by anyone: a request whose service and national code match an open request
-- of another chat account is stored all the same (refusing it would tell the second account that the code
-- was used, and would lock the real citizen out behind a squatter) and points at the earlier one, for staff
-- to resolve (python -m bot requests list --duplicates).
ALTER TABLE requests ADD COLUMN duplicate_of INTEGER REFERENCES requests (id);
CREATE INDEX requests_duplicates ON requests (duplicate_of) WHERE duplicate_of IS NOT NULL;
-- The per-account daily cap (BOT_MAX_REQUESTS_PER_DAY) counts an account's requests of the last day.
CREATE INDEX requests_account_created ON requests (platform, user_id, created_at);
