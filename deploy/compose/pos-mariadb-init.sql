-- POS source (MariaDB 11.4): privileges the Debezium MariaDB connector needs to snapshot and to
-- read the binlog. The official image creates 'stocksync'@'%' (MARIADB_USER) with rights on the
-- `pos` database before it runs this file, on the first start of an empty data volume only.
--
-- On MariaDB 11.x REPLICATION CLIENT is an alias of BINLOG MONITOR and REPLICATION SLAVE of
-- REPLICATION REPLICA; both spellings are granted so the intent stays readable.
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR
  ON *.* TO 'stocksync'@'%';
FLUSH PRIVILEGES;
