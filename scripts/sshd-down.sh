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

# The listening sshd started with config $2 in network namespace $3 ("net:[inode]"), as pid $1?
# (Not one of its per-connection children: their parent is the listener.)
is_listener() {
  local cmd ppid
  case $1 in '' | *[!0-9]*) return 1 ;; esac
  cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  case $cmd in *"-f $2 "*) ;; *) return 1 ;; esac
  [ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" = "$3" ] || return 1
  ppid=$(awk '{ sub(/^.*\) /, ""); split($0, f, " "); print f[2] }' "/proc/$1/stat" 2>/dev/null) || return 1
  case "$(tr '\0' ' ' <"/proc/$ppid/cmdline" 2>/dev/null)" in *"-f $2 "*) return 1 ;; esac
}
# Prints the pid of that listener: the one in pid file $1, else (an sshd that exits removes its
# PidFile even when the file names another sshd by then) found by its command line, and the pid
# file rewritten. Fails when there is none.
find_listener() { # $1 = pid file, $2 = config, $3 = network namespace
  local pid f
  pid=$(cat "$1" 2>/dev/null || true)
  if is_listener "$pid" "$2" "$3"; then echo "$pid"; return 0; fi
  for f in $(grep -lsF -- "$2" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    pid=${f#/proc/}
    pid=${pid%/cmdline}
    if is_listener "$pid" "$2" "$3"; then echo "$pid" >"$1"; echo "$pid"; return 0; fi
  done
  return 1
}
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
