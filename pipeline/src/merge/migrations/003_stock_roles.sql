-- Source rows now come from level, movement and safety stock tables (mapping file sections);
-- a row excluded by the mapping's row filter keeps the reason, so a later dimension change
-- cannot bring it back into the sums.
ALTER TABLE source_row ADD COLUMN role text NOT NULL DEFAULT 'level';
ALTER TABLE source_row ADD COLUMN excluded text;
