#!/usr/bin/env bash
# Our ssh vs OpenSSH's ssh in one run, both against the same OpenSSH sshd on 127.0.0.1 (issue: ssh): upload and download
# per cipher (MB through `cat > /dev/null` / `head -c`), and `ssh host true` latency (our start-up included). Runs
# alternate between the two clients; medians. One JSON line per case: throughput ratio = ours / OpenSSH's MB/s (higher
# is better), handshake ratio = ours / OpenSSH's ms (lower is better). The server's HOME is a scratch directory, so the
# account's shell start-up files (a slow ~/.bashrc) do not drown the handshake.
# usage: bench/ssh.sh [MB per transfer, default 256] [reps, default 3]
set -uo pipefail
cd "$(dirname "$0")/.."
MB=${1:-256}; REPS=${2:-3}
[ -x dist/sshbox ] || node_modules/.bin/bun scripts/build.ts >/dev/null || exit 1
umask 077
W=$(mktemp -d); SSHD_PID=
trap '[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null; rm -rf "$W"' EXIT
ln -s "$PWD/dist/sshbox" "$W/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"; ssh-keygen -q -t ed25519 -N '' -f "$W/id"
cp "$W/id.pub" "$W/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$W/sshd.conf" <<C
Port $port
ListenAddress 127.0.0.1
HostKey $W/hostkey
AuthorizedKeysFile $W/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile none
SetEnv HOME=$W
C
mkdir -p /run/sshd 2>/dev/null
/usr/sbin/sshd -D -e -f "$W/sshd.conf" >"$W/sshd.log" 2>&1 & SSHD_PID=$!
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
user=$(id -un)
opts() { echo -F /dev/null -i "$W/id" -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no \
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o KexAlgorithms=curve25519-sha256 -c "$1" -p "$port"; }
one() { # client what cipher -> seconds
  local s e n
  s=$(date +%s.%N)
  case $2 in
    upload)   head -c "${MB}M" /dev/zero | "$1" $(opts "$3") "$user@127.0.0.1" 'cat > /dev/null' || return 1 ;;
    download) n=$("$1" $(opts "$3") "$user@127.0.0.1" "head -c $((MB*1048576)) /dev/zero" | wc -c); [ "$n" = $((MB*1048576)) ] || return 1 ;;
    handshake) "$1" $(opts "$3") "$user@127.0.0.1" true </dev/null || return 1 ;;
  esac
  e=$(date +%s.%N); echo "$e - $s" | bc -l
}
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
status=0
run() { # what cipher reps
  local ref=() sut=() t r s
  for _ in $(seq "$3"); do
    t=$(one /usr/bin/ssh "$1" "$2") || { echo "OpenSSH's ssh failed ($1 $2)" >&2; status=1; return; }; ref+=("$t")
    t=$(one "$W/ssh" "$1" "$2") || { echo "our ssh failed ($1 $2)" >&2; status=1; return; }; sut+=("$t")
  done
  r=$(med "${ref[@]}"); s=$(med "${sut[@]}")
  if [ "$1" = handshake ]; then
    printf '{"bench":"ssh","case":"handshake (ssh host true) %s","reps":%d,"opensshMs":%.1f,"sshboxMs":%.1f,"ratio":%.2f,"cpu":"%s"}\n' \
      "$2" "$3" "$(echo "$r*1000" | bc -l)" "$(echo "$s*1000" | bc -l)" "$(echo "$s/$r" | bc -l)" "$cpu"
  else
    printf '{"bench":"ssh","case":"%s %s","mb":%d,"reps":%d,"opensshMBps":%.0f,"sshboxMBps":%.0f,"ratio":%.2f,"cpu":"%s"}\n' \
      "$1" "$2" "$MB" "$3" "$(echo "$MB*1.048576/$r" | bc -l)" "$(echo "$MB*1.048576/$s" | bc -l)" "$(echo "$r/$s" | bc -l)" "$cpu"
  fi
}
for what in upload download; do
  for cipher in aes128-gcm@openssh.com chacha20-poly1305@openssh.com; do run "$what" "$cipher" "$REPS"; done
done
run handshake aes128-gcm@openssh.com $((REPS * 10))
exit $status
