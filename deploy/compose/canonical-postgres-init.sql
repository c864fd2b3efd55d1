-- Canonical store (PostgreSQL 15), on the first start of an empty data volume only. The
-- `stocksync` database itself comes from POSTGRES_DB. Each database is owned by the one role that
-- uses it, as on the no-Docker local stack (docs/security.md):
--   stocksync_pipeline     `stocksync run` and `channels run`: the canonical store (CREATEDB: the
--                          tests and the bench give it databases of their own);
--   stocksync_marketplace  the marketplace channel's writer: `channel_marketplace`;
--   stocksync_registry     Apicurio Registry: `apicurio`, where it keeps its schemas, so schema ids
--                          survive a restart of the registry container and keep matching the Avro
--                          records already in Kafka.
CREATE ROLE stocksync_pipeline LOGIN CREATEDB PASSWORD 'stocksync_pipeline';
ALTER DATABASE stocksync OWNER TO stocksync_pipeline;
CREATE ROLE stocksync_marketplace LOGIN PASSWORD 'stocksync_marketplace';
CREATE DATABASE channel_marketplace OWNER stocksync_marketplace;
CREATE ROLE stocksync_registry LOGIN PASSWORD 'stocksync_registry';
CREATE DATABASE apicurio OWNER stocksync_registry;
