#!/usr/bin/env bash
# Validates deploy/compose.yaml with Docker Compose v2 (`docker compose config`), installing Compose
# first when it is missing. Needs no Docker engine: `config` only parses, interpolates and checks the
# file against the Compose specification.
#
# Where Compose comes from: Debian bookworm has only docker-compose 1.29.2 (the old Python v1), and
# Docker's own docker-compose-plugin repository is not reachable here. Debian trixie's
# `docker-compose` package (2.26.1-4 when this was written) is Compose v2, a static Go binary that
# depends on nothing but libc6 (>= 2.34; bookworm has 2.36). It installs
# /usr/libexec/docker/cli-plugins/docker-compose (the `docker compose` plugin) and
# /usr/bin/docker-compose. This script fetches that one .deb through a private apt configuration
# under a temporary directory, so the machine's own apt sources are left untouched.
#
# Usage: bash deploy/compose/check.sh      (as root when Compose still has to be installed)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
compose_file="$here/../compose.yaml"

if ! docker compose version >/dev/null 2>&1; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  # The same Debian mirror the machine's apt already uses for its main archive, suite trixie.
  mirror="$(grep -hoE '^(URIs:|deb)\s+(\[[^]]*\]\s+)?[a-z]+://[^ ]+/debian\b' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -oE '[a-z]+://[^ ]+/debian$' | head -1 || true)"
  [ -n "$mirror" ] || { echo "check.sh: no Debian mirror found in the apt sources" >&2; exit 1; }
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$work/sources.list"
  apt_opts=(
    -o "Dir::Etc::sourcelist=$work/sources.list"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache=$work/cache"
  )
  apt-get "${apt_opts[@]}" -qq update
  (cd "$work" && apt-get "${apt_opts[@]}" -qq download docker-compose)
  dpkg -i "$work"/docker-compose_*.deb
fi

docker compose version
docker compose -f "$compose_file" config --quiet
echo "compose.yaml: valid ($(docker compose -f "$compose_file" config --services | wc -l) services)"
