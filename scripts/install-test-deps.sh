#!/usr/bin/env bash
# Every system package any test uses, from Debian, installed before any test runs (CI calls this
# first; a test file must never depend on another one having installed something):
#   git (snapshots record git facts); Debian's python3 (the example jobs: on a root server jobs run
#   as an unprivileged user, who cannot run a pyenv in /root), python3-venv and python3-pip (the
#   environment tests create venvs and run `pip wheel`; scripts/lib/test-images.sh copies them
#   into the python test image); PostgreSQL 15 (the store's suite); OpenSSH server and client (the
#   SSH transport's suite); iproute2 (test hosts as network namespaces); util-linux and passwd
#   (unshare, setpriv and useradd sandbox every job); podman, runc, busybox-static and docker.io
#   (the container tests; scripts/podman-up.sh and docker-up.sh configure and start them);
#   python3-torch (a real two-node PyTorch job on a compute cluster); chromium (the studio's tests
#   drive it headless through playwright-core); Slurm 22.05 (slurmctld, slurmd, slurm-client,
#   slurmrestd, slurm-wlm-jwt-plugin) and munge (test/helpers/slurm.ts starts a private cluster per
#   test file; apt may try to start their services, which a policy-rc.d denying it leaves alone).
# Idempotent.
set -euo pipefail
SCRIPT=install-test-deps
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
need=()
command -v git >/dev/null || need+=(git)
[ -x /usr/bin/python3 ] || need+=(python3)
# Debian's own python (not a pyenv one first on PATH): venv + ensurepip's wheels, and pip.
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null && ls /usr/share/python-wheels/pip-*.whl >/dev/null 2>&1; } || need+=(python3-venv)
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pip' 2>/dev/null; } || need+=(python3-pip)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
{ command -v setsid && command -v unshare && command -v setpriv; } >/dev/null || need+=(util-linux)
command -v useradd >/dev/null || need+=(passwd)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v ip >/dev/null || need+=(iproute2)
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
# PyTorch (CPU) from Debian: the two-node all-reduce test (gloo).
/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
# The studio's end-to-end tests: Debian's Chromium, driven by playwright-core.
command -v chromium >/dev/null || need+=(chromium)
# Slurm clusters for the scheduler tests: controller, node daemon, client commands, REST daemon with
# JWT auth, and munge (the clusters' authentication).
[ -x /usr/sbin/slurmctld ] || need+=(slurmctld)
[ -x /usr/sbin/slurmd ] || need+=(slurmd)
command -v sbatch >/dev/null || need+=(slurm-client)
[ -x /usr/sbin/slurmrestd ] || need+=(slurmrestd)
ls /usr/lib/*/slurm-wlm/auth_jwt.so >/dev/null 2>&1 || need+=(slurm-wlm-jwt-plugin)
[ -x /usr/sbin/munged ] || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to install: ${need[*]}"
  apt_install "${need[@]}"
fi
log "ok (git, python3, python3-venv, python3-pip, postgresql, openssh-server, openssh-client, iproute2, util-linux, passwd, podman, runc, busybox-static, docker.io, python3-torch, chromium, slurmctld, slurmd, slurm-client, slurmrestd, slurm-wlm-jwt-plugin, munge)"
