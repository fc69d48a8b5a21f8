#!/usr/bin/env bash
# System packages the test suite uses, from Debian: git (snapshots record git facts), python3
# (the example jobs), PostgreSQL 15 (the store runs its suite against it). Idempotent.
set -euo pipefail
need=()
command -v git >/dev/null || need+=(git)
command -v python3 >/dev/null || need+=(python3)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v setsid >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "install-test-deps: need root to install: ${need[*]}" >&2; exit 1; }
  echo "install-test-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi
echo "install-test-deps: ok (git, python3, postgresql)" >&2
