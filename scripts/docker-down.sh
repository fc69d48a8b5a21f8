#!/usr/bin/env bash
# Stops the test dockerd that scripts/docker-up.sh started (the one in ${CAIRN_DOCKER_DIR:-/tmp/cairn-docker}'s
# pid file, using $DIR/docker.sock), after removing its containers; any other dockerd on the machine
# is left alone. Waits for the socket to go away (dockerd removes it on exit; up to 20 s, then
# SIGKILL), then unmounts whatever is still mounted under $DIR (a clean dockerd unmounts its
# data/ and exec/netns/default itself; a killed one does not). Keeps $DIR/data (the images), so the
# next docker-up.sh is a quick start. Idempotent.
set -euo pipefail
D=${CAIRN_DOCKER_DIR:-/tmp/cairn-docker}
D=${D%/}
SOCK="$D/docker.sock"
export DOCKER_HOST="unix://$SOCK"
log() { echo "docker-down: $*" >&2; }
[ -d "$D" ] || { log "no $D; nothing to stop"; exit 0; }
exec 9>>"$D.lock" # not while a docker-up.sh is starting it
if command -v flock >/dev/null; then flock -w 120 9 || { log "error: timed out waiting for $D.lock"; exit 1; }; fi

unmount_leftovers() {
  local m
  # Deepest first; only mounts under $D (dockerd mounts data/ and exec/netns/default; a killed
  # one leaves them, and overlay/shm mounts of its containers, behind).
  for m in $(awk -v p="$D/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}

pid=$(cat "$D/dockerd.pid" 2>/dev/null || true)
case $pid in '' | *[!0-9]*) pid='' ;; esac
if [ -n "$pid" ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--host $DOCKER_HOST "; then pid=''; fi
if [ -z "$pid" ]; then
  if [ -S "$SOCK" ] && timeout 5 docker info >/dev/null 2>&1; then
    log "error: a dockerd answers on $SOCK but is not the one in $D/dockerd.pid; leaving it alone"
    exit 1
  fi
  rm -f "$D/dockerd.pid"
  [ -S "$SOCK" ] && rm -f "$SOCK"
  unmount_leftovers
  log "not running ($D)"
  exit 0
fi

t0=$(date +%s.%N)
ids=$(timeout 20 docker ps -aq 2>/dev/null || true)
[ -z "$ids" ] || timeout 60 docker rm -f $ids >/dev/null 2>&1 || true
kill "$pid" 2>/dev/null || true
# dockerd removes its socket while shutting down; a dead one leaves it behind (removed below).
for _ in $(seq 100); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
if kill -0 "$pid" 2>/dev/null; then
  log "dockerd $pid did not stop in 20 s; killing it"
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
fi
rm -f "$SOCK" "$D/dockerd.pid"
unmount_leftovers
log "stopped ($D, pid $pid) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')s"
