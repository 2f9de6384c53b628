#!/usr/bin/env bash
# SFTP and scp throughput against OpenSSH in one run (issue: sftp/scp), one JSON line per case, medians of REPS runs
# alternating between the two sides. ratio = ours / OpenSSH's MB/s (higher is better).
#  1. servers: OpenSSH's `sftp -D` against OpenSSH's sftp-server vs against ours (no ssh in between), get and put;
#  2. clients: our sftp and scp vs OpenSSH's, against the same OpenSSH sshd on 127.0.0.1, get and put.
# usage: bench/sftp.sh [MB per transfer, default 256] [reps, default 3]
set -uo pipefail
cd "$(dirname "$0")/.."
MB=${1:-256}; REPS=${2:-3}
[ -x dist/sshbox ] || node_modules/.bin/bun scripts/build.ts >/dev/null || exit 1
umask 077
W=$(mktemp -d); SSHD_PID=
trap '[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null; rm -rf "$W"' EXIT
for p in sftp-server sftp scp ssh; do ln -s "$PWD/dist/sshbox" "$W/$p"; done
head -c "${MB}M" /dev/urandom > "$W/src"
mkdir "$W/dst"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; return 1; }; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
verify() { cmp -s "$W/src" "$1" || { echo "bench: $1 differs from the source" >&2; return 1; }; }
status=0
line() { # case ref-seconds... -- sut-seconds...
  local name=$1; shift; local ref=() sut=() side=ref
  for t in "$@"; do if [ "$t" = -- ]; then side=sut; elif [ $side = ref ]; then ref+=("$t"); else sut+=("$t"); fi; done
  local r s; r=$(med "${ref[@]}"); s=$(med "${sut[@]}")
  printf '{"bench":"sftp","case":"%s","mb":%d,"reps":%d,"opensshMBps":%.0f,"sshboxMBps":%.0f,"ratio":%.2f,"cpu":"%s"}\n' \
    "$name" "$MB" "$REPS" "$(echo "$MB*1.048576/$r" | bc -l)" "$(echo "$MB*1.048576/$s" | bc -l)" "$(echo "$r/$s" | bc -l)" "$cpu"
}

# ---- 1. servers, driven by OpenSSH's sftp -D ----
for dir in get put; do
  ref=(); sut=()
  for _ in $(seq "$REPS"); do
    for side in ref sut; do
      server=/usr/lib/openssh/sftp-server; [ $side = sut ] && server="$W/sftp-server"
      rm -f "$W/dst/f"
      if [ $dir = get ]; then cmd="get $W/src $W/dst/f"; else cmd="put $W/src $W/dst/f"; fi
      t=$(timed /usr/bin/sftp -q -D "$server" -b <(echo "$cmd")) && verify "$W/dst/f" || { status=1; continue 2; }
      if [ $side = ref ]; then ref+=("$t"); else sut+=("$t"); fi
    done
  done
  line "sftp-server $dir (OpenSSH sftp -D)" "${ref[@]}" -- "${sut[@]}"
done

# ---- 2. clients against one OpenSSH sshd ----
ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"; ssh-keygen -q -t ed25519 -N '' -f "$W/id"; cp "$W/id.pub" "$W/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nStrictModes no\nUsePAM no\nPidFile none\nSubsystem sftp /usr/lib/openssh/sftp-server\nSetEnv HOME=%s\n' \
  "$port" "$W/hostkey" "$W/authorized_keys" "$W" > "$W/sshd.conf"
mkdir -p /run/sshd 2>/dev/null
/usr/sbin/sshd -D -e -f "$W/sshd.conf" >"$W/sshd.log" 2>&1 & SSHD_PID=$!
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
opts=(-F /dev/null -i "$W/id" -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o Ciphers=aes128-gcm@openssh.com)
u=$(id -un)
for prog in sftp scp; do
  for dir in get put; do
    ref=(); sut=()
    for _ in $(seq "$REPS"); do
      for side in ref sut; do
        exe=/usr/bin/$prog; [ $side = sut ] && exe="$W/$prog"
        rm -f "$W/dst/f"
        if [ $prog = sftp ]; then
          if [ $dir = get ]; then cmd="get $W/src $W/dst/f"; else cmd="put $W/src $W/dst/f"; fi
          t=$(timed "$exe" -q "${opts[@]}" -P "$port" -b <(echo "$cmd") "$u@127.0.0.1")
        elif [ $dir = get ]; then t=$(timed "$exe" -q "${opts[@]}" -P "$port" "$u@127.0.0.1:$W/src" "$W/dst/f")
        else t=$(timed "$exe" -q "${opts[@]}" -P "$port" "$W/src" "$u@127.0.0.1:$W/dst/f")
        fi
        [ -n "$t" ] && verify "$W/dst/f" || { status=1; continue 3; }
        if [ $side = ref ]; then ref+=("$t"); else sut+=("$t"); fi
      done
    done
    line "$prog client $dir (OpenSSH sshd, aes128-gcm)" "${ref[@]}" -- "${sut[@]}"
  done
done
exit $status
