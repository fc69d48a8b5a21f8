#!/usr/bin/env bash
# Rootful podman for the test suite's container jobs, plus the local test images
# (localhost/cairn-test-busybox:1, localhost/cairn-test-python:1; see scripts/lib/test-images.sh).
# Podman has no daemon: "up" means installed, configured and able to run a container.
#
# Installs Debian's podman, runc and busybox-static when missing (needs root). Writes
# /etc/containers/containers.conf only when it lacks our settings, because on this machine podman's
# defaults do not work:
#   runtime = "runc"            crun 1.8 refuses this cgroup v1/v2 hybrid ("hugetlb" lives on v2)
#   cgroup_manager = "cgroupfs" no systemd here
#   events_logger = "file"      no journald
#   default_ulimits             without CAP_SYS_RESOURCE rlimits may not exceed the caller's hard
#                               limits (nofile 20000 here; nproc capped at 32768)
# The default network is NOT changed (no netns = "none", to stay out of other users' way), so the
# suite's jobs pass `--network host` themselves (and `podman build --network host`): without it
# podman uses its netavark bridge, which works here but adds nftables rules (and may set
# ip_forward) on the host. A containers.conf with other content is saved once to
# containers.conf.cairn-backup before ours replaces it.
#
# How the suite uses it (all verified here; see test-images.sh for build flags):
#   podman run --rm --network host -v /p:/p -w /p -e NAME localhost/cairn-test-python:1 python3 ...
# Idempotent: with everything in place a re-run only checks (0.2-0.3 s); after a change (config
# written or an image made) it runs one container to prove it works. Safe to run concurrently
# (flock on /tmp/cairn-podman.lock). stderr: one summary line `podman-up: ok (...)` (plus a line
# per image made); stdout: nothing.
# Measured here (Debian 12, 2 cores, packages already installed): first run (config + both
# images + a test container) 4.7-5.5 s; re-run 0.2-0.3 s.
set -euo pipefail

CONF=/etc/containers/containers.conf
LOCK=/tmp/cairn-podman.lock
HERE=$(cd "$(dirname "$0")" && pwd)

SCRIPT=podman-up
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

[ "$(id -u)" = 0 ] || die "needs root (rootful podman, /etc/containers, apt-get)"
t0=$(now)

need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
# A static busybox (the images copy it; Debian's plain `busybox` package is dynamically linked).
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  apt_install "${need[@]}"
  command -v podman >/dev/null && command -v runc >/dev/null || die "installed ${need[*]} but podman/runc are still missing"
fi
t1=$(now)

exec 9>>"$LOCK"
if command -v flock >/dev/null; then flock -w 300 9 || die "timed out waiting for $LOCK"; fi

# Our settings, as written below; the marker line tells a file we wrote.
MARK='# Written by cairn scripts/podman-up.sh'
want=$(
  cat <<EOF
$MARK: podman on this machine (no systemd/journald, cgroup v1/v2 hybrid,
# no bridge networking: jobs pass --network host). The previous file, if any: containers.conf.cairn-backup
[containers]
# no CAP_SYS_RESOURCE here: rlimits may not exceed the caller's hard limits (nofile 20000; nproc capped at 32768)
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"   # crun 1.8 refuses this cgroup v1/v2 hybrid ("hugetlb" lives on v2)
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
)
has_ours() { # $1 = file: does it already hold our settings (ours or an equivalent hand-made one)?
  local f=$1
  [ -f "$f" ] || return 1
  grep -Eq '^[[:space:]]*runtime[[:space:]]*=[[:space:]]*"runc"' "$f" &&
    grep -Eq '^[[:space:]]*cgroup_manager[[:space:]]*=[[:space:]]*"cgroupfs"' "$f" &&
    grep -Eq '^[[:space:]]*events_logger[[:space:]]*=[[:space:]]*"file"' "$f" &&
    grep -Eq '^[[:space:]]*default_ulimits[[:space:]]*=.*nofile=.*nproc=' "$f"
}
conf=kept
if ! has_ours "$CONF"; then
  mkdir -p "$(dirname "$CONF")"
  if [ -s "$CONF" ] && ! grep -qF "$MARK" "$CONF" && [ ! -e "$CONF.cairn-backup" ]; then
    cp -a "$CONF" "$CONF.cairn-backup"
    log "saved the previous $CONF to $CONF.cairn-backup"
  fi
  printf '%s\n' "$want" >"$CONF.cairn-tmp"
  mv "$CONF.cairn-tmp" "$CONF"
  conf=written
fi
t2=$(now)

check=
[ "$conf" = written ] && check=--check
bash "$HERE/lib/test-images.sh" podman $check
t3=$(now)
log "ok (podman $(podman --version | awk '{print $3}'), install=$(secs "$t0" "$t1")s config=$conf images+check=$(secs "$t2" "$t3")s total=$(secs "$t0" "$t3")s)"
