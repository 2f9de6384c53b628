#!/usr/bin/env bash
# Our sshd vs OpenSSH's in one run, both driven by OpenSSH's ssh (issue: sshd), through ../shared/tools/perf-sshd.sh:
# upload and download per cipher, `ssh host true` latency; then server CPU per connection and per GiB, measured here.
# One JSON line per case with the ratio (throughput: ours / OpenSSH's, higher is better; time and CPU: ours /
# OpenSSH's, lower is better).
# usage: bench/sshd.sh [MB per transfer, default 256] [reps, default 3]
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh "$@"
TOOL=../shared/tools/perf-sshd.sh
bin=$(mktemp -d); ln -s "$PWD/dist/sshbox" "$bin/sshd"
# perf-sshd.sh records its servers' pids inside a command substitution, so its own trap cannot kill them: do it here.
bench_cleanup() { pkill -f "$bin/sshd -D" 2>/dev/null; pkill -f 'sshd -D -e -f /tmp/tmp\.[A-Za-z0-9]*/ref\.conf' 2>/dev/null; rm -rf "$bin"; }
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
bench_scratch; mkdir "$W/home"
hz=$(getconf CLK_TCK)
cpu_ms() { awk -v hz="$hz" '{print ($14+$15+$16+$17)*1000/hz}' "/proc/$1/stat"; }
server=("PasswordAuthentication no" "KbdInteractiveAuthentication no" "SetEnv HOME=$W/home")
read -r REF_PID REF_PORT < <(start_sshd ref /usr/sbin/sshd "${server[@]}"); read -r SUT_PID SUT_PORT < <(start_sshd sut "$bin/sshd" "${server[@]}")
BENCH_PIDS="$REF_PID $SUT_PID"
CLIENT=(ssh "${CLIENT_OPTS[@]}" -o KexAlgorithms=curve25519-sha256 -c aes128-gcm@openssh.com)
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
