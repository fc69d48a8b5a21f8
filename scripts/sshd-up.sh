#!/usr/bin/env bash
# A private OpenSSH server for the test suite, on 127.0.0.1:${CAIRN_SSH_PORT:-2222}, with its keys,
# config, pid file and log in ${CAIRN_SSH_DIR:-/tmp/cairn-ssh}; the machine's own sshd (if any) and
# /etc/ssh are left alone. Installs Debian's openssh-server/openssh-client when sshd is missing.
#
#   host_ed25519        the host key (also used by the netns hosts of netns-up.sh)
#   client_ed25519      a client key authorized for root (key auth; root may not use a password)
#   wrong_ed25519       a client key that is NOT authorized (for wrong-key tests)
#   password            the password of the unprivileged user `cairntest` (mode 600), who logs in
#                       with a password only (PasswordAuthentication yes, UsePAM no: sshd checks
#                       /etc/shadow itself, which works on Debian 12's yescrypt hashes). The user is
#                       machine-wide: every run (re)applies this dir's password, so with two dirs the
#                       one brought up last holds the valid password.
#   ssh_config          `ssh -F $DIR/ssh_config testhost` logs in as root with the client key
#
# Idempotent: an sshd already running from this dir's pid file is reused. Safe to run concurrently
# (flock). Needs root (useradd, chpasswd, /run/sshd). Stop it with scripts/sshd-down.sh.
# stdout: exactly one line of JSON (port, dir, host_key_fingerprint, user, keys, ...);
# stderr: progress and timings. The password itself is never printed.
# Measured here (Debian 12, 2 cores): install 8.6 s when missing; first start ~0.7 s; reuse 0.05 s.
set -euo pipefail

D=${CAIRN_SSH_DIR:-/tmp/cairn-ssh}
D=${D%/}
PORT=${CAIRN_SSH_PORT:-2222}
LISTEN=127.0.0.1
PWUSER=cairntest

SCRIPT=sshd-up
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

case $PORT in '' | *[!0-9]*) die "CAIRN_SSH_PORT must be a port number, got '$PORT'" ;; esac
case $D in /*) ;; *) die "CAIRN_SSH_DIR must be an absolute path, got '$D'" ;; esac
[ "$(id -u)" = 0 ] || die "needs root (creates the user $PWUSER, /run/sshd, and runs sshd)"

t0=$(now)
if [ ! -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
  apt_install openssh-server openssh-client
  [ -x /usr/sbin/sshd ] || die "installed openssh-server but /usr/sbin/sshd is missing"
fi
t1=$(now)

mkdir -p "$(dirname "$D")"
exec 9>>"$D.lock"
if command -v flock >/dev/null; then flock -w 120 9 || die "timed out waiting for $D.lock"; fi

# The summary line, from the files of a running (or just started) server.
summary() {
  local fp
  fp=$(ssh-keygen -lf "$D/host_ed25519.pub" | awk '{print $2}')
  printf '{"port":%s,"host":"%s","dir":"%s","pid":%s,"host_key_fingerprint":"%s","user":"root","key":"%s","wrong_key":"%s","password_user":"%s","password_file":"%s","ssh_config":"%s","log":"%s"}\n' \
    "$PORT" "$LISTEN" "$D" "$(cat "$D/sshd.pid")" "$fp" "$D/client_ed25519" "$D/wrong_ed25519" "$PWUSER" "$D/password" "$D/ssh_config" "$D/sshd.log"
}

. "$(dirname "$0")/lib/sshd-listener.sh"
MYNET=$(readlink /proc/self/ns/net)

if find_listener "$D/sshd.pid" "$D/sshd_config" "$MYNET" >/dev/null; then
  # The password user is machine-wide: make sure this dir's password is the one in force.
  if [ -s "$D/password" ] && id -u "$PWUSER" >/dev/null 2>&1; then echo "$PWUSER:$(cat "$D/password")" | chpasswd; fi
  log "already running ($D, port $PORT) in $(secs "$t0" "$(now)")s"
  summary
  exit 0
fi

mkdir -p "$D" && chmod 700 "$D"
mkdir -p /run/sshd && chmod 755 /run/sshd # privilege-separation dir (normally made by systemd)
[ -f "$D/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C cairn-test-host -f "$D/host_ed25519"
[ -f "$D/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C cairn-test-client -f "$D/client_ed25519"
[ -f "$D/wrong_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C cairn-test-wrong -f "$D/wrong_ed25519"
cp "$D/client_ed25519.pub" "$D/authorized_keys"
chmod 600 "$D/authorized_keys"

# The password user: unprivileged, password auth only (it cannot read $D, so no key of ours works).
id -u "$PWUSER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$PWUSER"
if [ ! -s "$D/password" ]; then
  (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$D/password")
fi
chmod 600 "$D/password"
echo "$PWUSER:$(cat "$D/password")" | chpasswd

# Rewritten on every start, so changed settings apply. The netns hosts derive theirs from this one.
cat >"$D/sshd_config" <<EOF
# Written by scripts/sshd-up.sh on every start.
Port $PORT
ListenAddress $LISTEN
HostKey $D/host_ed25519
PidFile $D/sshd.pid
AuthorizedKeysFile $D/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PrintMotd no
AllowTcpForwarding yes
GatewayPorts no
Subsystem sftp internal-sftp
MaxSessions 30
MaxStartups 100
ClientAliveInterval 0
LogLevel INFO
EOF
/usr/sbin/sshd -t -f "$D/sshd_config" || die "sshd rejected $D/sshd_config"

cat >"$D/ssh_config" <<EOF
Host testhost
  HostName $LISTEN
  Port $PORT
  User root
  IdentityFile $D/client_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $D/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
EOF
echo "[$LISTEN]:$PORT $(cut -d' ' -f1,2 "$D/host_ed25519.pub")" >"$D/known_hosts"

t2=$(now)
rm -f "$D/sshd.pid"
# sshd daemonizes; 9>&-: it must not inherit the lock, or it would hold it for its whole life.
# sshd daemonizes before it binds the port, so its exit status says little: wait for its pid file.
logsize=$(stat -c %s "$D/sshd.log" 2>/dev/null || echo 0)
/usr/sbin/sshd -f "$D/sshd_config" -E "$D/sshd.log" 9>&- ||
  die "sshd did not start: $(tail -n 3 "$D/sshd.log" 2>/dev/null | tr '\n' ' ')"
for i in $(seq 100); do
  find_listener "$D/sshd.pid" "$D/sshd_config" "$MYNET" >/dev/null && break
  said=$(tail -c +$((logsize + 1)) "$D/sshd.log" 2>/dev/null | grep -iE 'cannot bind|fatal|error' | tr '\n' ' ' || true)
  [ -z "$said" ] && [ "$i" -lt 100 ] || die "sshd did not start on $LISTEN:$PORT: ${said:-no pid file after 10 s}"
  sleep 0.1
done
end=$(($(date +%s) + 10))
until ssh -F "$D/ssh_config" -o ConnectTimeout=2 testhost true 2>/dev/null; do
  [ "$(date +%s)" -lt "$end" ] || die "sshd on $LISTEN:$PORT does not accept the client key: $(tail -n 3 "$D/sshd.log" 2>/dev/null | tr '\n' ' ')"
  sleep 0.1
done
t3=$(now)
log "install=$(secs "$t0" "$t1")s config=$(secs "$t1" "$t2")s start=$(secs "$t2" "$t3")s total=$(secs "$t0" "$t3")s"
summary
