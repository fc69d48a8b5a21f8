#!/usr/bin/env bash
# System packages the test suite uses, from Debian: git (snapshots record git facts), python3
# (the example jobs), PostgreSQL 15 (the store runs its suite against it), OpenSSH server and client
# (the SSH transport's suite runs against real sshd) and iproute2 (test hosts as network namespaces).
# Idempotent.
set -euo pipefail
need=()
command -v git >/dev/null || need+=(git)
command -v python3 >/dev/null || need+=(python3)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v setsid >/dev/null || need+=(util-linux)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "install-test-deps: need root to install: ${need[*]}" >&2; exit 1; }
  echo "install-test-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi
echo "install-test-deps: ok (git, python3, postgresql, openssh-server, openssh-client, iproute2)" >&2
