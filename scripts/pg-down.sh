#!/usr/bin/env bash
# Stops the test PostgreSQL server that scripts/pg-up.sh started (the one whose data dir is
# ${CAIRN_PG_DIR:-/tmp/cairn-pg}); any other server on the machine is left alone. Keeps the data
# dir, so the next pg-up.sh is a quick start. Idempotent.
set -euo pipefail
D=${CAIRN_PG_DIR:-/tmp/cairn-pg}
D=${D%/}
LIB=${CAIRN_PG_LIB:-/usr/lib/postgresql}
log() { echo "pg-down: $*" >&2; }

if [ ! -f "$D/PG_VERSION" ]; then log "no cluster in $D; nothing to stop"; exit 0; fi
# Only a data dir pg-up.sh set up (it includes cairn.conf) is ours to stop.
grep -q "include_if_exists = 'cairn.conf'" "$D/postgresql.conf" 2>/dev/null || { log "$D was not set up by pg-up.sh; leaving it alone"; exit 1; }
BIN="$LIB/$(cat "$D/PG_VERSION")/bin"
[ -x "$BIN/pg_ctl" ] || { log "no pg_ctl at $BIN"; exit 1; }
if [ "$(id -un)" = postgres ]; then
  as_pg() { "$@"; }
elif command -v runuser >/dev/null; then
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { su postgres -s /bin/bash -c "$(printf '%q ' "$@")"; }
fi
cd /
if ! as_pg "$BIN/pg_ctl" status -D "$D" >/dev/null 2>&1; then log "not running ($D)"; exit 0; fi
t0=$(date +%s.%N)
as_pg "$BIN/pg_ctl" stop -D "$D" -m fast -w -t 60 -s
log "stopped ($D) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')s"
