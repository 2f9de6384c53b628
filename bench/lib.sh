# What bench/ssh.sh, sftp.sh and sshd.sh share; sourced from the repository root with the script's arguments:
#   cd "$(dirname "$0")/.." && . bench/lib.sh "$@"
# Sets MB (per transfer, default 256), REPS (default 3) and cpu, builds dist/sshbox when missing, and on exit kills
# BENCH_PIDS, removes the scratch directory W and calls bench_cleanup when the script defines one.
set -uo pipefail
MB=${1:-256}; REPS=${2:-3}
[ -x dist/sshbox ] || node_modules/.bin/bun scripts/build.ts >/dev/null || exit 1
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
W=; BENCH_PIDS=
bench_exit() {
  local p
  for p in $BENCH_PIDS; do kill "$p" 2>/dev/null; done
  [ -n "$W" ] && rm -rf "$W"
  if declare -F bench_cleanup >/dev/null; then bench_cleanup; fi
}
trap bench_exit EXIT

# The scratch directory W (private: umask 077 from here on) with a host key, a user key `id` authorized in
# authorized_keys, and CLIENT_OPTS: how OpenSSH's and our clients reach a server there (no config, that key only,
# no host key checks, BatchMode, quiet).
bench_scratch() {
  umask 077
  W=$(mktemp -d)
  ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"; ssh-keygen -q -t ed25519 -N '' -f "$W/id"; cp "$W/id.pub" "$W/authorized_keys"
  CLIENT_OPTS=(-F /dev/null -i "$W/id" -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
}

# A free TCP port on 127.0.0.1 (the kernel picks it; released again at once).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_sshd NAME BINARY [sshd_config lines...]: a listening sshd (OpenSSH's or ours) on 127.0.0.1 with W's keys, no
# PAM and no pid file, config W/NAME.conf, log W/NAME.log; prints "pid port" once the port answers. The caller adds the
# pid to BENCH_PIDS.
start_sshd() {
  local name=$1 exe=$2 port; shift 2
  port=$(free_port)
  printf '%s\n' "Port $port" "ListenAddress 127.0.0.1" "HostKey $W/hostkey" "AuthorizedKeysFile $W/authorized_keys" "StrictModes no" \
    "UsePAM no" "PidFile none" "$@" > "$W/$name.conf"
  mkdir -p /run/sshd 2>/dev/null
  "$exe" -D -e -f "$W/$name.conf" >"$W/$name.log" 2>&1 & local pid=$!
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  echo "$pid $port"
}

# med N...: the median.
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# timed CMD...: the seconds CMD took (its output dropped, its stderr shown when it fails, then status 1).
timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; return 1; }; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
