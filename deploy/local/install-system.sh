#!/usr/bin/env bash
# Installs the Debian packages the local stack runs on, when missing: a JDK 17 and Maven (Kafka,
# Kafka Connect), the MariaDB and PostgreSQL servers (the sources and the canonical/channel stores),
# Redis, Prometheus (its promtool checks deploy/observability/) and Chromium (the API's browser test). Apicurio Registry 3.3 also
# needs a JDK >= 21 under /usr/lib/jvm (Debian bookworm ships none; the machines here carry
# Temurin 25). Safe to run again.
set -euo pipefail

missing=()
command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
[ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
command -v mariadb-install-db >/dev/null || missing+=(mariadb-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
# Prometheus and promtool: the tests check deploy/observability/ with them.
command -v promtool >/dev/null || missing+=(prometheus)
# Headless Chromium: the availability API's browser test drives it with playwright-core (no browser download).
command -v chromium >/dev/null || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! grep -lsE '^JAVA_VERSION="(2[1-9]|[3-9][0-9])' /usr/lib/jvm/*/release >/dev/null; then
  echo "warning: no JDK >= 21 under /usr/lib/jvm; Apicurio Registry will not start (set STOCKSYNC_REGISTRY_JAVA_HOME)" >&2
fi
