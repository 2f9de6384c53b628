#!/usr/bin/env bash
# Our sshd vs OpenSSH's in one run, both driven by OpenSSH's ssh (issue: sshd), through ../shared/tools/perf-sshd.sh:
# upload and download per cipher, `ssh host true` latency. One JSON line per case with the ratio (throughput: ours /
# OpenSSH's, higher is better; handshake: ours / OpenSSH's time, lower is better).
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
