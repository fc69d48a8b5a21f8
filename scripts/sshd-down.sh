#!/usr/bin/env bash
# Stops the test sshd that scripts/sshd-up.sh started (the one in ${CAIRN_SSH_DIR:-/tmp/cairn-ssh}'s
# pid file) and the per-connection sshd processes it forked, so no test session lingers; any other
# sshd on the machine is left alone. Keeps the keys and the password, so the next sshd-up.sh reuses
# them. Idempotent.
set -euo pipefail
D=${CAIRN_SSH_DIR:-/tmp/cairn-ssh}
D=${D%/}
log() { echo "sshd-down: $*" >&2; }
[ -d "$D" ] || { log "no $D; nothing to stop"; exit 0; }
exec 9>>"$D.lock" # not while an sshd-up.sh is starting it
if command -v flock >/dev/null; then flock -w 120 9 || { log "error: timed out waiting for $D.lock"; exit 1; }; fi

. "$(dirname "$0")/lib/sshd-listener.sh"
if ! pid=$(find_listener "$D/sshd.pid" "$D/sshd_config" "$(readlink /proc/self/ns/net)"); then
  log "not running ($D)"
  rm -f "$D/sshd.pid"
  exit 0
fi
# The per-connection children (ppid = the listener), read before the listener goes away.
kids=$(awk -v p="$pid" '{ sub(/^.*\) /, ""); split($0, f, " "); if (f[2] == p) print FILENAME }' /proc/[0-9]*/stat 2>/dev/null |
  sed -e 's|/proc/||' -e 's|/stat||' || true)
kill "$pid" 2>/dev/null || true
for k in $kids; do kill "$k" 2>/dev/null || true; done
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
rm -f "$D/sshd.pid"
log "stopped ($D, pid $pid)"
