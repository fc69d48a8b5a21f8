#!/usr/bin/env bash
# A private PostgreSQL server for the test suite, on 127.0.0.1:${CAIRN_PG_PORT:-54329}, with its
# data in ${CAIRN_PG_DIR:-/tmp/cairn-pg} (owned by the postgres user) and its unix socket in a
# sibling folder (${CAIRN_PG_DIR}.sock), never in /var/run. Trust auth, loopback only; fsync on.
# Idempotent: a server already running on that data dir is reused. Installs Debian's `postgresql`
# package when no initdb/pg_ctl is found (needs root). Safe to run concurrently (flock).
#
# stdout: exactly one line, the connection URL postgres://postgres@127.0.0.1:PORT/cairn_test.
# stderr: progress and timings. Stop it with scripts/pg-down.sh.
# Measured here (Debian 12, 2 cores, PostgreSQL 15 already installed): first run (initdb, start,
# createdb) 1.4-2.4 s; start of a stopped cluster 0.2 s; already running 0.06 s.
set -euo pipefail

D=${CAIRN_PG_DIR:-/tmp/cairn-pg}
D=${D%/}
PORT=${CAIRN_PG_PORT:-54329}
DBNAME=cairn_test
SOCK="$D.sock"
LIB=${CAIRN_PG_LIB:-/usr/lib/postgresql}

SCRIPT=pg-up
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

case $PORT in '' | *[!0-9]*) die "CAIRN_PG_PORT must be a port number, got '$PORT'" ;; esac
case $D in /*) ;; *) die "CAIRN_PG_DIR must be an absolute path, got '$D'" ;; esac

t0=$(now)

# Binaries: the newest /usr/lib/postgresql/*/bin that has initdb and pg_ctl.
find_bin() {
  local d best=''
  for d in "$LIB"/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] || continue
    if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n1)" = "$d" ]; then best=$d; fi
  done
  printf '%s' "$best"
}
BIN=$(find_bin)
if [ -z "$BIN" ]; then
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed (no initdb under $LIB/*/bin) and installing it needs root"
  apt_install postgresql
  BIN=$(find_bin)
  [ -n "$BIN" ] || die "installed postgresql but found no initdb/pg_ctl under $LIB/*/bin"
fi
t1=$(now)

# The postgres OS user (the Debian package creates it; a source build may not have).
if ! id -u postgres >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "no 'postgres' user and not root to create it"
  useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# Run as postgres: initdb and pg_ctl refuse root.
if [ "$(id -un)" = postgres ]; then
  as_pg() { "$@"; }
elif [ "$(id -u)" = 0 ]; then
  if command -v runuser >/dev/null; then
    as_pg() { runuser -u postgres -- "$@"; }
  else
    as_pg() { su postgres -s /bin/bash -c "$(printf '%q ' "$@")"; }
  fi
else
  die "run as root or as the postgres user"
fi

# One bring-up at a time (test files run in parallel); the lock file lives beside the data dir.
mkdir -p "$(dirname "$D")"
exec 9>>"$D.lock"
if command -v flock >/dev/null; then flock -w 120 9 || die "timed out waiting for $D.lock"; fi

mkdir -p "$D" "$SOCK"
if [ "$(id -u)" = 0 ]; then chown postgres: "$D" "$SOCK"; fi
chmod 700 "$D"
chmod 755 "$SOCK"

# The port the running server really listens on (line 4 of postmaster.pid), else the asked one.
running_port() {
  local p
  p=$(sed -n 4p "$D/postmaster.pid" 2>/dev/null || true)
  case $p in '' | *[!0-9]*) printf '%s' "$PORT" ;; *) printf '%s' "$p" ;; esac
}

ensure_db() {
  local port=$1 have
  have=$(as_pg "$BIN/psql" -X -h "$SOCK" -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'") ||
    die "cannot connect to the server on $SOCK port $port"
  if [ "$have" != 1 ]; then
    as_pg "$BIN/psql" -X -q -h "$SOCK" -p "$port" -U postgres -d postgres -c "CREATE DATABASE $DBNAME" >/dev/null ||
      die "CREATE DATABASE $DBNAME failed"
    log "created database $DBNAME"
  fi
}

if as_pg "$BIN/pg_ctl" status -D "$D" >/dev/null 2>&1; then
  port=$(running_port)
  ensure_db "$port"
  log "already running ($D, port $port) in $(secs "$t0" "$(now)")s"
  echo "postgres://postgres@127.0.0.1:$port/$DBNAME"
  exit 0
fi

# First use: a fresh cluster (initdb needs an empty dir).
t2=$(now)
step=config
if [ ! -f "$D/PG_VERSION" ]; then
  step=initdb
  [ -z "$(ls -A "$D")" ] || die "$D is neither empty nor a PostgreSQL data dir; remove it or set CAIRN_PG_DIR"
  log "initdb $D ($("$BIN/postgres" --version))"
  out=$(cd / && as_pg "$BIN/initdb" -D "$D" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 2>&1) ||
    out=$(cd / && as_pg "$BIN/initdb" -D "$D" -U postgres --auth=trust -E UTF8 --locale=C 2>&1) ||
    die "initdb failed: $(printf '%s\n' "$out" | tail -n3 | tr '\n' ' ')"
  echo "include_if_exists = 'cairn.conf'" >>"$D/postgresql.conf"
fi
want=$(basename "$(dirname "$BIN")")
have=$(cat "$D/PG_VERSION")
[ "$have" = "$want" ] || die "$D holds a PostgreSQL $have cluster but the binaries are version $want ($BIN)"

# Settings are rewritten on every start, so a changed port or socket dir applies.
as_pg tee "$D/cairn.conf" >/dev/null <<EOF
# Written by scripts/pg-up.sh on every start.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
fsync = on
max_connections = 200
logging_collector = off
EOF
as_pg tee "$D/pg_hba.conf" >/dev/null <<EOF
# Written by scripts/pg-up.sh: trust, loopback only (the server listens on 127.0.0.1 only).
local all all trust
host  all all 127.0.0.1/32 trust
host  all all ::1/128 trust
EOF
t3=$(now)

# A stale postmaster.pid from a killed server is handled by postgres itself (pid not alive).
# 9>&-: the server must not inherit the lock, or it would hold it for its whole life.
if ! (cd / && as_pg "$BIN/pg_ctl" start -D "$D" -l "$D/server.log" -w -t 60 -s >/dev/null 2>&1 9>&-); then
  die "server did not start on 127.0.0.1:$PORT: $(tail -n 3 "$D/server.log" 2>/dev/null | tr '\n' ' ')"
fi
t4=$(now)
ensure_db "$PORT"
t5=$(now)
log "install=$(secs "$t0" "$t1")s $step=$(secs "$t2" "$t3")s start=$(secs "$t3" "$t4")s createdb=$(secs "$t4" "$t5")s total=$(secs "$t0" "$t5")s"
echo "postgres://postgres@127.0.0.1:$PORT/$DBNAME"
