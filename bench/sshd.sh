#!/usr/bin/env bash
# Our sshd vs OpenSSH's in one run, both driven by OpenSSH's ssh (issue: sshd), through ../shared/tools/perf-sshd.sh:
# upload and download per cipher, `ssh host true` latency; then server CPU per connection and per GiB, measured here.
# One JSON line per case with the ratio (throughput: ours / OpenSSH's, higher is better; time and CPU: ours /
# OpenSSH's, lower is better).
# usage: bench/sshd.sh [MB per transfer, default 256] [reps, default 3]
set -uo pipefail
cd "$(dirname "$0")/.."
MB=${1:-256}; REPS=${2:-3}
TOOL=../shared/tools/perf-sshd.sh
[ -x dist/sshbox ] || node_modules/.bin/bun scripts/build.ts >/dev/null || exit 1
bin=$(mktemp -d); ln -s "$PWD/dist/sshbox" "$bin/sshd"
# perf-sshd.sh records its servers' pids inside a command substitution, so its own trap cannot kill them: do it here.
cleanup() { pkill -f "$bin/sshd -D" 2>/dev/null; pkill -f 'sshd -D -e -f /tmp/tmp\.[A-Za-z0-9]*/ref\.conf' 2>/dev/null; rm -rf "$bin"; }
trap cleanup EXIT
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
for what in upload download; do
  for cipher in aes128-gcm@openssh.com chacha20-poly1305@openssh.com; do
    line=$(bash "$TOOL" "$bin/sshd" "$what" "$cipher" "$MB" "$REPS" 2>&1 | tail -1)
    pkill -f "$bin/sshd -D" 2>/dev/null; pkill -f 'sshd -D -e -f /tmp/tmp\.[A-Za-z0-9]*/ref\.conf' 2>/dev/null
    echo "{\"bench\":\"sshd\",\"case\":\"$what $cipher\",\"mb\":$MB,\"reps\":$REPS,\"result\":\"$line\",\"cpu\":\"$cpu\"}"
  done
done
line=$(bash "$TOOL" "$bin/sshd" handshake aes128-gcm@openssh.com 0 "$REPS" 2>&1 | tail -1) # the tool fixes KEX to curve25519-sha256
echo "{\"bench\":\"sshd\",\"case\":\"handshake (ssh host true)\",\"reps\":$((REPS*10)),\"result\":\"$line\",\"cpu\":\"$cpu\"}"

# ---- server CPU: per connection (`ssh host true`, the shell included) and per GiB moved, both servers in one run ----
# Read from /proc/PID/stat (utime+stime+cutime+cstime of the listening sshd: per-connection processes and sessions are
# its reaped children), in ms. One JSON line per case; ratio = ours / OpenSSH's (lower is better).
W=$(mktemp -d); trap 'cleanup; for p in ${CPU_PIDS:-}; do kill "$p" 2>/dev/null; done; rm -rf "$W"' EXIT
ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"; ssh-keygen -q -t ed25519 -N '' -f "$W/id"; cp "$W/id.pub" "$W/authorized_keys"; mkdir "$W/home"
hz=$(getconf CLK_TCK)
start_server() { # name binary -> "pid port"
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nStrictModes no\nUsePAM no\nPidFile none\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nSetEnv HOME=%s\n' \
    "$port" "$W/hostkey" "$W/authorized_keys" "$W/home" > "$W/$1.conf"
  "$2" -D -e -f "$W/$1.conf" >"$W/$1.log" 2>&1 & local pid=$!
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  echo "$pid $port"
}
cpu_ms() { awk -v hz="$hz" '{print ($14+$15+$16+$17)*1000/hz}' "/proc/$1/stat"; }
mkdir -p /run/sshd 2>/dev/null
read -r REF_PID REF_PORT < <(start_server ref /usr/sbin/sshd); read -r SUT_PID SUT_PORT < <(start_server sut "$bin/sshd")
CPU_PIDS="$REF_PID $SUT_PID"
CLIENT=(ssh -F /dev/null -i "$W/id" -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o KexAlgorithms=curve25519-sha256 -c aes128-gcm@openssh.com)
measure() { # pid port what -> ms of server CPU
  local before after; before=$(cpu_ms "$1")
  case $3 in
    conn) for _ in $(seq 30); do "${CLIENT[@]}" -p "$2" "$(id -un)@127.0.0.1" true </dev/null; done ;;
    up) head -c 1G /dev/zero | "${CLIENT[@]}" -p "$2" "$(id -un)@127.0.0.1" 'cat > /dev/null' ;;
    down) "${CLIENT[@]}" -p "$2" "$(id -un)@127.0.0.1" 'head -c 1073741824 /dev/zero' > /dev/null ;;
  esac
  sleep 0.3 # the session's children are reaped into cutime once they exit
  after=$(cpu_ms "$1"); echo "$after - $before" | bc -l
}
for what in conn up down; do
  r=$(measure "$REF_PID" "$REF_PORT" $what); s=$(measure "$SUT_PID" "$SUT_PORT" $what)
  [ $what = conn ] && { r=$(echo "$r/30" | bc -l); s=$(echo "$s/30" | bc -l); label="server CPU per connection (ssh host true, shell included), ms"; } || label="server CPU per GiB $what (aes128-gcm), ms"
  printf '{"bench":"sshd","case":"%s","opensshMs":%.1f,"sshboxMs":%.1f,"ratio":%.2f,"cpu":"%s"}\n' "$label" "$r" "$s" "$(echo "$s/$r" | bc -l)" "$cpu"
done
