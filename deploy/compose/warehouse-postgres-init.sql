-- Warehouse source (PostgreSQL 15), on the first start of an empty data volume only, as the
-- superuser in database `wms` (POSTGRES_DB). The same roles as the no-Docker local stack
-- (pipeline/dev/stack/components.ts, docs/security.md):
--   stocksync      the connector: LOGIN and REPLICATION, SELECT on the tables of schema public only;
--   stocksync_app  the sample application (STOCKSYNC_WAREHOUSE_APP_USER): owns `wms`, its tables and
--                  the connector's publication, which `npx stocksync sample seed` creates with the
--                  tables (the connector runs with publication.autocreate.mode=disabled).
CREATE ROLE stocksync LOGIN REPLICATION PASSWORD 'stocksync';
CREATE ROLE stocksync_app LOGIN CREATEDB PASSWORD 'stocksync_app';
ALTER DATABASE wms OWNER TO stocksync_app;
REVOKE ALL ON DATABASE wms FROM PUBLIC;
GRANT CONNECT ON DATABASE wms TO stocksync;
GRANT USAGE ON SCHEMA public TO stocksync;
ALTER DEFAULT PRIVILEGES FOR ROLE stocksync_app IN SCHEMA public GRANT SELECT ON TABLES TO stocksync;
