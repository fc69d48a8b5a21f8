# Finding a test sshd's listening process, shared by sshd-up/down.sh and netns-up.sh (sourced).
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
