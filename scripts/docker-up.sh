#!/usr/bin/env bash
# A private dockerd for the test suite, with all its state in ${CAIRN_DOCKER_DIR:-/tmp/cairn-docker}
# (data/, exec/, dockerd.pid, dockerd.log) and its API on the unix socket $DIR/docker.sock; the
# machine's own /var/run/docker.sock and /var/lib/docker are left alone. Plus the local test images
# (localhost/cairn-test-busybox:1, localhost/cairn-test-python:1; see scripts/lib/test-images.sh).
#
# Installs Debian's docker.io (dockerd 20.10) and busybox-static when missing (needs root). dockerd
# runs with --iptables=false --ip-forward=false --ip-masq=false --bridge=none (no NAT or bridge on
# this machine: containers use --network host or none) and the cgroupfs driver (no systemd).
# The docker CLI that answers may be /usr/local/bin/docker (static 28.x); it negotiates API 1.41.
#
# How the suite uses it (verified here; see test-images.sh for builds):
#   export DOCKER_HOST=unix://$DIR/docker.sock
#   docker run --rm --network host -v /p:/p -w /p -e NAME localhost/cairn-test-python:1 python3 ...
#   DOCKER_BUILDKIT=0 docker build --network host -t T DIR
#
# Idempotent: when the dockerd of this dir's pid file is alive and answers, only the images are
# checked (~0.1 s). Safe to run concurrently (flock on $DIR.lock). Stop it with scripts/docker-down.sh.
# stdout: exactly one line, DOCKER_HOST=unix://$DIR/docker.sock; stderr: progress and the summary
# line `docker-up: ok (DOCKER_HOST=unix://...)`.
# Measured here (Debian 12, 2 cores, docker.io already installed): fresh dir (daemon 0.3 s, images
# 3.5-4.4 s, test container 0.6 s) 4.4-5.5 s; restart with a kept data dir 1.0 s; already running
# 0.12 s. docker-down.sh takes 2.5-2.9 s (dockerd's shutdown).
set -euo pipefail

D=${CAIRN_DOCKER_DIR:-/tmp/cairn-docker}
D=${D%/}
SOCK="$D/docker.sock"
HERE=$(cd "$(dirname "$0")" && pwd)
export DOCKER_HOST="unix://$SOCK"

SCRIPT=docker-up
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

case $D in /*) ;; *) die "CAIRN_DOCKER_DIR must be an absolute path, got '$D'" ;; esac
# A unix socket path must fit in sun_path (108 bytes).
[ ${#SOCK} -lt 100 ] || die "CAIRN_DOCKER_DIR is too long for a unix socket path: $SOCK"
[ "$(id -u)" = 0 ] || die "needs root (dockerd)"
t0=$(now)

need=()
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
command -v docker >/dev/null || need+=(docker.io)
# A static busybox (the images copy it; Debian's plain `busybox` package is dynamically linked).
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  apt_install "${need[@]}"
  [ -x /usr/sbin/dockerd ] || die "installed docker.io but /usr/sbin/dockerd is missing"
fi
t1=$(now)

mkdir -p "$(dirname "$D")"
exec 9>>"$D.lock"
if command -v flock >/dev/null; then flock -w 300 9 || die "timed out waiting for $D.lock"; fi

# Our dockerd: the pid in the pid file is alive and is a dockerd using this socket.
ours_alive() {
  local pid
  pid=$(cat "$D/dockerd.pid" 2>/dev/null || true)
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--host $DOCKER_HOST " || return 1
  echo "$pid"
}
answers() { docker info >/dev/null 2>&1; }

state=running
if pid=$(ours_alive) && answers; then
  t2=$(now)
else
  state=started
  if pid=$(ours_alive); then
    # Alive but not answering (still starting, or wedged): give it the same 30 s, then fail
    # (scripts/docker-down.sh stops it).
    log "dockerd $pid is alive but does not answer yet; waiting"
  else
    mkdir -p "$D"
    chmod 711 "$D"
    rm -f "$D/dockerd.pid" "$SOCK"
    # 9>&-: dockerd must not inherit the lock, or it would hold it for its whole life. setsid: it
    # outlives this script's session and does not get the caller's terminal signals.
    setsid /usr/sbin/dockerd --host "$DOCKER_HOST" --pidfile "$D/dockerd.pid" \
      --data-root "$D/data" --exec-root "$D/exec" \
      --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
      --exec-opt native.cgroupdriver=cgroupfs >>"$D/dockerd.log" 2>&1 </dev/null 9>&- &
    pid=$!
  fi
  end=$(($(date +%s) + 30))
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; then
      if kill -0 "$pid" 2>/dev/null; then why="did not answer on $SOCK within 30 s"; else why="exited"; fi
      echo "docker-up: error: dockerd $why; the end of $D/dockerd.log:" >&2
      tail -n 20 "$D/dockerd.log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.2
  done
  t2=$(now)
fi

check=
[ "$state" = started ] && check=--check
bash "$HERE/lib/test-images.sh" docker $check
t3=$(now)
log "ok (DOCKER_HOST=$DOCKER_HOST) dockerd $state pid $pid, install=$(secs "$t0" "$t1")s daemon=$(secs "$t1" "$t2")s images+check=$(secs "$t2" "$t3")s total=$(secs "$t0" "$t3")s"
echo "DOCKER_HOST=$DOCKER_HOST"
