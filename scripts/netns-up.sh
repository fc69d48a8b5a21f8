#!/usr/bin/env bash
# Two test "hosts", h1 and h2, as network namespaces cairn-h1 / cairn-h2 on a private bridge
# br-cairn: the root namespace is 10.231.0.1/24 on br-cairn, h1 is 10.231.0.11, h2 is 10.231.0.12.
# Each runs sshd on port 22 (in its own UTS namespace, so `hostname` says h1 / h2) with the host
# key, authorized key, password user and settings of scripts/sshd-up.sh (which this runs first).
#
# Only the network is separate: the namespaces share the filesystem, the users and the process
# table with the root namespace (a file uploaded to h1:/tmp/x is /tmp/x here too). They have no
# default route and ip_forward is left alone, so nothing leaves the machine, and they have no route
# to 127.0.0.1 of the root namespace (their 127.0.0.1 is their own loopback): a server on this
# machine's loopback is reachable from h1/h2 only through an SSH reverse tunnel.
#
# Idempotent: a bridge, namespace or sshd that is already up is kept. Needs root.
# stdout: one line of JSON {"hosts":[{"name","address","port"},...],...}; stderr: progress, timings.
# Measured here (Debian 12, 2 cores): ~0.6 s from nothing (sshd-up.sh already run); 0.05 s when up.
# Tear down with scripts/netns-down.sh.
set -euo pipefail

D=${CAIRN_SSH_DIR:-/tmp/cairn-ssh}
D=${D%/}
NET=10.231.0
BR=br-cairn
HOSTS="h1 h2"

SCRIPT=netns-up
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

[ "$(id -u)" = 0 ] || die "needs root (ip netns, sshd)"
command -v ip >/dev/null || die "iproute2 (ip) is not installed"
t0=$(now)
bash "$(dirname "$0")/sshd-up.sh" >/dev/null # keys, password user, $D/sshd_config
t1=$(now)

exec 9>>"$D.netns.lock"
if command -v flock >/dev/null; then flock -w 120 9 || die "timed out waiting for $D.netns.lock"; fi

. "$(dirname "$0")/lib/sshd-listener.sh"
ours_running() { # $1 = host name
  find_listener "$D/sshd-$1.pid" "$D/sshd_config-$1" "net:[$(stat -L -c %i "/run/netns/cairn-$1")]" >/dev/null
}

if ! ip link show "$BR" >/dev/null 2>&1; then
  ip link add "$BR" type bridge || die "cannot create bridge $BR (no CAP_NET_ADMIN?)"
fi
case "$(ip -o addr show dev "$BR")" in *"inet $NET.1/24 "*) ;; *) ip addr add "$NET.1/24" dev "$BR" ;; esac
ip link set "$BR" up

i=0
started=''
for h in $HOSTS; do
  i=$((i + 1))
  ns=cairn-$h
  addr=$NET.1$i
  if [ ! -e "/run/netns/$ns" ]; then
    ip netns add "$ns" || die "cannot create network namespace $ns"
  fi
  if ! ip link show "cairn-veth-$h" >/dev/null 2>&1; then
    ip -n "$ns" link del eth0 2>/dev/null || true
    ip link add "cairn-veth-$h" type veth peer name eth0 netns "$ns"
  fi
  ip link set "cairn-veth-$h" master "$BR" up
  case "$(ip -n "$ns" -o addr show dev eth0)" in *"inet $addr/24 "*) ;; *) ip -n "$ns" addr add "$addr/24" dev eth0 ;; esac
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  # The same config as the loopback sshd, on port 22 of every address of the namespace.
  sed -e "s/^Port .*/Port 22/" -e "s/^ListenAddress .*/ListenAddress 0.0.0.0/" \
    -e "s|^PidFile .*|PidFile $D/sshd-$h.pid|" -e "s|^# Written by .*|# Written by scripts/netns-up.sh from sshd_config.|" \
    "$D/sshd_config" >"$D/sshd_config-$h"
  if ! ours_running "$h"; then
    rm -f "$D/sshd-$h.pid"
    logsize=$(stat -c %s "$D/sshd-$h.log" 2>/dev/null || echo 0)
    ip netns exec "$ns" unshare --uts sh -c "hostname $h; exec /usr/sbin/sshd -f $D/sshd_config-$h -E $D/sshd-$h.log" 9>&- ||
      die "sshd in $ns did not start: $(tail -n 3 "$D/sshd-$h.log" 2>/dev/null | tr '\n' ' ')"
    # sshd daemonizes before it binds the port, so its exit status says little: wait for its pid file.
    for i in $(seq 100); do
      ours_running "$h" && break
      said=$(tail -c +$((logsize + 1)) "$D/sshd-$h.log" 2>/dev/null | grep -iE 'cannot bind|fatal|error' | tr '\n' ' ' || true)
      [ -z "$said" ] && [ "$i" -lt 100 ] || die "sshd in $ns did not start on port 22: ${said:-no pid file after 10 s}"
      sleep 0.1
    done
    started="$started $h"
  fi
done

# known_hosts and the ssh_config entries h1/h2, rewritten from scratch each time.
{
  grep -v "^$NET\." "$D/known_hosts" 2>/dev/null || true
  i=0
  for h in $HOSTS; do i=$((i + 1)); echo "$NET.1$i $(cut -d' ' -f1,2 "$D/host_ed25519.pub")"; done
} >"$D/known_hosts.new" && mv "$D/known_hosts.new" "$D/known_hosts"
: >"$D/netns-hosts.new"
i=0
for h in $HOSTS; do i=$((i + 1)); echo "$h $NET.1$i" >>"$D/netns-hosts.new"; done
mv "$D/netns-hosts.new" "$D/netns-hosts"

# A host whose sshd was already running was checked when it started; check the new ones.
i=0
for h in $HOSTS; do
  i=$((i + 1))
  case " $started " in *" $h "*) ;; *) continue ;; esac
  end=$(($(date +%s) + 10))
  until ssh -F "$D/ssh_config" -o HostName="$NET.1$i" -o Port=22 -o ConnectTimeout=2 testhost true 2>/dev/null; do
    [ "$(date +%s)" -lt "$end" ] || die "sshd in cairn-$h ($NET.1$i:22) is not reachable: $(tail -n 3 "$D/sshd-$h.log" 2>/dev/null | tr '\n' ' ')"
    sleep 0.1
  done
done
t2=$(now)
log "started:${started:- none (already up)} sshd-up=$(secs "$t0" "$t1")s netns=$(secs "$t1" "$t2")s total=$(secs "$t0" "$t2")s"
json='' i=0
for h in $HOSTS; do
  i=$((i + 1))
  json="$json${json:+,}{\"name\":\"$h\",\"namespace\":\"cairn-$h\",\"address\":\"$NET.1$i\",\"port\":22,\"pid\":$(cat "$D/sshd-$h.pid")}"
done
echo "{\"hosts\":[$json],\"bridge\":\"$BR\",\"bridge_address\":\"$NET.1\",\"dir\":\"$D\"}"
