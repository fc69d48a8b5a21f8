#!/usr/bin/env bash
# The local container images the test suite runs jobs in, made from the host's own files by
# `<engine> import` of a tarball: no registry is ever contacted (none is reachable here).
#
#   localhost/cairn-test-busybox:1   the host's static busybox (/bin/busybox + applet symlinks in /bin),
#                                    /etc/passwd, /etc/group, /tmp (1777).
#   localhost/cairn-test-python:1    a merged-/usr root filesystem with Debian's /usr/bin/python3.11
#                                    (never the pyenv one on PATH), its stdlib /usr/lib/python3.11
#                                    (minus test/ and the static libpython in config-*/), the shared
#                                    libraries it and lib-dynload/*.so need (found with ldd, the
#                                    loader /lib64/ld-linux-x86-64.so.2 included), Debian's pip,
#                                    setuptools and wheel in /usr/lib/python3/dist-packages and the
#                                    wheels of /usr/share/python-wheels (so `python3 -m venv` can
#                                    bootstrap pip offline), busybox as /bin/sh, /usr/bin/env and
#                                    the applets below; python3 and python -> python3.11. Like the
#                                    host, it keeps Debian's EXTERNALLY-MANAGED marker: `pip install`
#                                    outside a venv refuses unless PIP_BREAK_SYSTEM_PACKAGES=1.
#   Both: ENV PATH=/usr/local/bin:/usr/bin:/bin (python) or /bin (busybox); no CMD/ENTRYPOINT.
#
# Usage: bash scripts/lib/test-images.sh podman
#        DOCKER_HOST=unix:///tmp/cairn-docker/docker.sock bash scripts/lib/test-images.sh docker
# (or source it and call `make_test_images ENGINE`). An image that already exists (`image
# inspect`) is skipped, so a re-run is ~0.1 s (podman) / ~0.2 s (docker). Bump the tag when the
# contents change. Needs Debian's python3.11, python3-pip, python3-venv and busybox-static; the
# caller (podman-up.sh, docker-up.sh) installs busybox-static, install-test-deps.sh the pythons.
# One run at a time per engine+DOCKER_HOST (flock on a file in /tmp).
#
# What works with these images on this machine (Debian 12, podman 4.3.1 + runc, dockerd 20.10.24,
# /usr/local/bin/docker = static CLI 28.2 without buildx; no bridge networking, see podman-up.sh and
# docker-up.sh). Nothing is ever pulled: FROM/run of localhost/... comes from local storage.
#   run a job as root:  <engine> run --rm --network host -v /p:/p -w /p -e NAME [-e N2=v] IMAGE cmd...
#                       (`-e NAME` passes the caller's value through; an unset NAME is left out).
#                       ~0.2 s per busybox/python container. Runs as root (uid 0) by default.
#   podman build:       podman build --network host -t T -f Dockerfile DIR  (--network none also
#                       works). Without a --network flag it works too but uses podman's default
#                       netavark bridge, which adds nftables rules (and may set ip_forward) on the host:
#                       always pass one.
#   docker build:       DOCKER_BUILDKIT=0 docker build --network host -t T DIR. The legacy builder:
#                       dockerd 20.10 defaults to it, so plain `docker build` works too (the 28.x
#                       CLI prints a DEPRECATED notice), but DOCKER_BUILDKIT=1 fails (no buildx
#                       plugin for the 28.x CLI; with Debian's 20.10 CLI BuildKit's RUN fails with
#                       "network bridge not found"), so set DOCKER_BUILDKIT=0 explicitly. Without
#                       --network host a RUN step has only lo (dockerd runs with --bridge=none).
set -euo pipefail

BUSYBOX_IMAGE=localhost/cairn-test-busybox:1
PYTHON_IMAGE=localhost/cairn-test-python:1
HOST_PYTHON=/usr/bin/python3.11
# Applets linked in both images (busybox-static 1.35 has them all).
BUSYBOX_APPLETS="sh echo cat sleep ls env true false id pwd mkdir printf test grep wc head tail sed touch rm kill"

_ti_log() { echo "test-images: $*" >&2; }
_ti_die() { echo "test-images: error: $*" >&2; exit 1; }
_ti_now() { date +%s.%N; }
_ti_secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# Copies path $2 (a file or a symlink, following a chain of symlinks) into root $1 at the same
# place, with the directory part canonicalized so /lib/x/... lands in usr/lib/x/... (the root has
# the merged-/usr links bin, lib, lib64, sbin -> usr/...).
_ti_copy_path() {
  local root=$1 p=$2 dir base target i
  for i in 1 2 3 4 5 6 7 8; do
    dir=$(readlink -f "$(dirname "$p")")
    base=$(basename "$p")
    p="$dir/$base"
    [ -e "$root$p" ] || [ -L "$root$p" ] || { mkdir -p "$root$dir" && cp -a "$p" "$root$p"; }
    [ -L "$p" ] || return 0
    target=$(readlink "$p")
    case $target in /*) p=$target ;; *) p="$dir/$target" ;; esac
  done
}

_ti_busybox_links() { # $1 = dir holding busybox
  local c
  for c in $BUSYBOX_APPLETS; do ln -sf busybox "$1/$c"; done
}

_ti_etc() { # $1 = root
  mkdir -p "$1/etc" "$1/tmp" "$1/root"
  chmod 1777 "$1/tmp"
  chmod 700 "$1/root"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
}

_ti_stage_busybox() { # $1 = empty root
  mkdir -p "$1/bin"
  cp /bin/busybox "$1/bin/busybox"
  _ti_busybox_links "$1/bin"
  _ti_etc "$1"
}

_ti_stage_python() { # $1 = empty root
  local root=$1 f lib sp=/usr/lib/python3/dist-packages
  mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" "$root/usr/sbin" "$root/usr/local/bin"
  ln -s usr/bin "$root/bin"
  ln -s usr/lib "$root/lib"
  ln -s usr/lib64 "$root/lib64"
  ln -s usr/sbin "$root/sbin"
  _ti_etc "$root"

  cp -a "$HOST_PYTHON" "$root/usr/bin/python3.11"
  ln -s python3.11 "$root/usr/bin/python3"
  ln -s python3.11 "$root/usr/bin/python"
  cp /bin/busybox "$root/usr/bin/busybox"
  _ti_busybox_links "$root/usr/bin" # /bin/sh and /usr/bin/env through the /bin -> usr/bin link

  # The stdlib, without the test package and the static libpython (25 MB; only for embedding).
  tar -C / -c --exclude=usr/lib/python3.11/test --exclude='usr/lib/python3.11/config-*/*.a' \
    usr/lib/python3.11 | tar -C "$root" -x
  # Debian's sitecustomize.py is a symlink into /etc/python3.11.
  [ -d /etc/python3.11 ] && cp -a /etc/python3.11 "$root/etc/"
  # pip (Debian keeps its vendored deps in pip/_vendor), setuptools, wheel: on Debian's sys.path.
  mkdir -p "$root$sp"
  for f in pip pip-*.dist-info setuptools setuptools-*.egg-info setuptools-*.dist-info pkg_resources \
    _distutils_hack distutils-precedence.pth wheel wheel-*.egg-info wheel-*.dist-info; do
    for lib in "$sp"/$f; do [ -e "$lib" ] && cp -a "$lib" "$root$sp/"; done
  done
  # ensurepip (python3 -m venv) installs pip from these wheels on Debian.
  [ -d /usr/share/python-wheels ] && mkdir -p "$root/usr/share" && cp -a /usr/share/python-wheels "$root/usr/share/"

  # Shared libraries: those of the binary and of every extension module, plus the loader and
  # libgcc_s (glibc dlopens it for thread cancellation).
  {
    ldd "$HOST_PYTHON"
    for f in /usr/lib/python3.11/lib-dynload/*.so; do ldd "$f"; done
  } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u >"$root.libs"
  echo /lib64/ld-linux-x86-64.so.2 >>"$root.libs"
  for lib in /lib/x86_64-linux-gnu/libgcc_s.so.1; do [ -e "$lib" ] && echo "$lib" >>"$root.libs"; done
  while read -r lib; do _ti_copy_path "$root" "$lib"; done <"$root.libs"
  rm -f "$root.libs"
}

# $1 = engine command (podman | docker), $2 = image, $3 = stage function, $4 = PATH for the image.
_ti_make() {
  local engine=$1 image=$2 stage=$3 path=$4 root t out
  if "$engine" image inspect "$image" >/dev/null 2>&1; then return 0; fi
  t=$(_ti_now)
  root=$(mktemp -d /tmp/cairn-image.XXXXXX)
  (
    # shellcheck disable=SC2064
    trap "rm -rf '$root' '$root.libs'" EXIT
    "$stage" "$root"
    out=$(tar -C "$root" --numeric-owner -c . | "$engine" import --change "ENV PATH=$path" - "$image" 2>&1) ||
      _ti_die "$engine import $image failed: $(printf '%s\n' "$out" | tail -n3 | tr '\n' ' ')"
  )
  _ti_log "made $image for $engine in $(_ti_secs "$t" "$(_ti_now)")s"
  _TI_MADE=yes
}

make_test_images() { # $1 = engine command, $2 = --check to run a container even when no image was made
  local engine=${1:-} check=${2:-} lock out
  [ -n "$engine" ] || _ti_die "usage: test-images.sh podman|docker [--check]"
  command -v "$engine" >/dev/null || _ti_die "no $engine on PATH"
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || _ti_die "no static /bin/busybox (install busybox-static)"
  [ -x "$HOST_PYTHON" ] || _ti_die "no $HOST_PYTHON (run scripts/install-test-deps.sh)"
  lock="/tmp/cairn-test-images.$(printf '%s %s' "$engine" "${DOCKER_HOST:-}" | cksum | cut -d' ' -f1).lock"
  (
    exec 9>>"$lock"
    if command -v flock >/dev/null; then flock -w 300 9 || _ti_die "timed out waiting for $lock"; fi
    _TI_MADE=no
    _ti_make "$engine" "$BUSYBOX_IMAGE" _ti_stage_busybox /bin
    _ti_make "$engine" "$PYTHON_IMAGE" _ti_stage_python /usr/local/bin:/usr/bin:/bin
    # A container really starts (runtime, cgroups, ulimits, host network): only after a change
    # (new images, or the caller's --check after it changed the engine), as it costs ~0.5 s.
    if [ "$_TI_MADE" = yes ] || [ "$check" = --check ]; then
      out=$("$engine" run --rm --network host "$PYTHON_IMAGE" python3 -c 'import json, ssl, sqlite3, venv, pip' 2>&1) ||
        _ti_die "$engine cannot run a container: $(printf '%s\n' "$out" | tail -n3 | tr '\n' ' ')"
      _ti_log "$engine runs $PYTHON_IMAGE"
    fi
  )
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then make_test_images "$@"; fi
