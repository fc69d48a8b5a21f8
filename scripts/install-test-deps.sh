#!/usr/bin/env bash
# System packages the test suite uses, from Debian: git (snapshots record git facts), python3
# (the example jobs), python3-venv and python3-pip (the environment tests create venvs and run
# `pip wheel` with Debian's /usr/bin/python3; scripts/lib/test-images.sh copies them into the
# python test image), PostgreSQL 15 (the store runs its suite against it), OpenSSH server and client
# (the SSH transport's suite runs against real sshd) and iproute2 (test hosts as network namespaces).
# Container engines are not here: scripts/podman-up.sh and scripts/docker-up.sh install their own.
# Idempotent.
set -euo pipefail
SCRIPT=install-test-deps
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
need=()
command -v git >/dev/null || need+=(git)
command -v python3 >/dev/null || need+=(python3)
# Debian's own python (not a pyenv one first on PATH): venv + ensurepip's wheels, and pip.
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null && ls /usr/share/python-wheels/pip-*.whl >/dev/null 2>&1; } || need+=(python3-venv)
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pip' 2>/dev/null; } || need+=(python3-pip)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v setsid >/dev/null || need+=(util-linux)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to install: ${need[*]}"
  apt_install "${need[@]}"
fi
log "ok (git, python3, python3-venv, python3-pip, postgresql, openssh-server, openssh-client, iproute2)"
