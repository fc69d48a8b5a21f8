# Sourced by the bring-up scripts (pg, sshd, netns, podman, docker): one message format, timing,
# and one way to install Debian packages. The caller sets SCRIPT (its name in messages) first.
log() { echo "$SCRIPT: $*" >&2; }
die() { echo "$SCRIPT: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# apt_install PKG...: Debian's packages, retried once after `apt-get update` (a fresh machine's
# package lists may be stale); dies with apt's own first error line.
apt_install() {
  local out
  command -v apt-get >/dev/null || die "missing $* and apt-get is not available"
  log "installing Debian's $*"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1; then
    log "install failed; running apt-get update and retrying"
    apt-get update >/dev/null 2>&1 || true
    out=$(apt-get install -y --no-install-recommends "$@" 2>&1) ||
      die "apt-get install $* failed: $(printf '%s\n' "$out" | grep -E '^E:' | head -n1)"
  fi
}
