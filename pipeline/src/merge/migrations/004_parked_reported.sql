-- When a parked row (its dimension row never arrived) was reported to the dead-letter topic after
-- the source's configured wait; it stays parked and is still applied if the dimension arrives.
ALTER TABLE source_row ADD COLUMN parked_reported_at timestamptz;
CREATE INDEX source_row_parked ON source_row (source, updated_at) WHERE status = 'parked' AND parked_reported_at IS NULL;
