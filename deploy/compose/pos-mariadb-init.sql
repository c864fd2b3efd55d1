-- POS source (MariaDB 11.4), on the first start of an empty data volume only. The official image
-- creates 'stocksync'@'%' (MARIADB_USER) with every privilege on `pos` before it runs this file.
--
-- The connector user gets exactly the privileges the Debezium MySQL/MariaDB connector needs, on
-- *.*, and nothing on `pos` itself (docs/sources.md). On MariaDB 11.x REPLICATION CLIENT is an alias
-- of BINLOG MONITOR and REPLICATION SLAVE of REPLICATION REPLICA.
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'stocksync'@'%';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'stocksync'@'%';

-- The sample application (what `npx stocksync sample seed` and the workload write with,
-- STOCKSYNC_POS_APP_USER): every privilege on the POS and ERPNext databases, none to grant.
CREATE DATABASE IF NOT EXISTS erpnext CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'stocksync_app'@'%' IDENTIFIED BY 'stocksync_app';
GRANT ALL PRIVILEGES ON pos.* TO 'stocksync_app'@'%';
GRANT ALL PRIVILEGES ON erpnext.* TO 'stocksync_app'@'%';
FLUSH PRIVILEGES;
