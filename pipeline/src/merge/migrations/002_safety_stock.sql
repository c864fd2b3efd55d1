-- Safety stock per (sku, location), from a source table such as uniCenta stocklevel.stocksecurity.
-- NULL = the source states none (channel rules then apply their default).
ALTER TABLE stock_level ADD COLUMN safety_stock numeric;
