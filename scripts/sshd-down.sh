#!/usr/bin/env bash
# Stops the test sshd that scripts/sshd-up.sh started (the one in ${CAIRN_SSH_DIR:-/tmp/cairn-ssh}'s
# pid file) and the per-connection sshd processes it forked, so no test session lingers; any other
# sshd on the machine is left alone. Keeps the keys and the password, so the next sshd-up.sh reuses
# them. Idempotent.
set -euo pipefail
D=${CAIRN_SSH_DIR:-/tmp/cairn-ssh}
D=${D%/}
log() { echo "sshd-down: $*" >&2; }

pid=$(cat "$D/sshd.pid" 2>/dev/null || true)
case $pid in '' | *[!0-9]*) log "no pid file in $D; nothing to stop"; exit 0 ;; esac
if ! case "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" in *"-f $D/sshd_config "*) true ;; *) false ;; esac; then
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
