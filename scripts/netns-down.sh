#!/usr/bin/env bash
# Tears down what scripts/netns-up.sh made: the sshd of each test host (and its per-connection
# processes), the namespaces cairn-h1/cairn-h2, their veth pairs and the bridge br-cairn.
# Idempotent: whatever is not there is skipped.
set -uo pipefail
D=${CAIRN_SSH_DIR:-/tmp/cairn-ssh}
D=${D%/}
log() { echo "netns-down: $*" >&2; }
[ "$(id -u)" = 0 ] || { log "error: needs root"; exit 1; }

for h in h1 h2; do
  pid=$(cat "$D/sshd-$h.pid" 2>/dev/null || true)
  case $pid in '' | *[!0-9]*) pid='' ;; esac
  if [ -n "$pid" ] && case "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" in *"-f $D/sshd_config-$h "*) true ;; *) false ;; esac; then
    kids=$(awk -v p="$pid" '{ sub(/^.*\) /, ""); split($0, f, " "); if (f[2] == p) print FILENAME }' /proc/[0-9]*/stat 2>/dev/null |
      sed -e 's|/proc/||' -e 's|/stat||')
    kill "$pid" 2>/dev/null
    for k in $kids; do kill "$k" 2>/dev/null; done
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$D/sshd-$h.pid"
  ip link del "cairn-veth-$h" 2>/dev/null # deletes both ends now (namespace teardown is async)
  ip netns del "cairn-$h" 2>/dev/null
done
ip link del br-cairn 2>/dev/null
rm -f "$D/netns-hosts"
log "done"
