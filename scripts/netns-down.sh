#!/usr/bin/env bash
# Tears down what scripts/netns-up.sh made: every process in the namespaces cairn-h1/cairn-h2 (their
# sshd, its sessions and what those started), the namespaces, their veth pairs and the bridge br-cairn.
# Idempotent: whatever is not there is skipped.
set -uo pipefail
D=${CAIRN_SSH_DIR:-/tmp/cairn-ssh}
D=${D%/}
log() { echo "netns-down: $*" >&2; }
[ "$(id -u)" = 0 ] || { log "error: needs root"; exit 1; }
if [ -d "$D" ]; then
  exec 9>>"$D.netns.lock" # not while a netns-up.sh is bringing them up
  if command -v flock >/dev/null; then flock -w 120 9 || { log "error: timed out waiting for $D.netns.lock"; exit 1; }; fi
fi

for h in h1 h2; do
  ns=cairn-$h
  if [ -e "/run/netns/$ns" ]; then
    # Every process in the namespace is the test host's: its sshd, the sessions, what they started.
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] || kill $pids 2>/dev/null
    for _ in $(seq 50); do
      [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] || break
      sleep 0.1
    done
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
  fi
  rm -f "$D/sshd-$h.pid"
  ip link del "cairn-veth-$h" 2>/dev/null # deletes both ends now (namespace teardown is async)
  ip netns del "$ns" 2>/dev/null
done
ip link del br-cairn 2>/dev/null
rm -f "$D/netns-hosts"
log "done"
