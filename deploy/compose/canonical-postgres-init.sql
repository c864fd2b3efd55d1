-- Canonical store (PostgreSQL 15). The `stocksync` database itself comes from POSTGRES_DB.
-- Apicurio Registry keeps its schemas in a database of its own on this server, so schema ids
-- survive a restart of the registry container and keep matching the Avro records already in Kafka.
-- Runs on the first start of an empty data volume only.
CREATE DATABASE apicurio;
