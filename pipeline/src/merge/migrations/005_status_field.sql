-- The stock-row column a non-mapped status is about (e.g. `product` when its products row is
-- missing), so dead letters about the row can name the field without parsing the reason text.
ALTER TABLE source_row ADD COLUMN status_field text;
