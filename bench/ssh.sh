#!/usr/bin/env bash
# Our ssh vs OpenSSH's ssh in one run, both against the same OpenSSH sshd on 127.0.0.1 (issue: ssh): upload and download
# per cipher (MB through `cat > /dev/null` / `head -c`), and `ssh host true` latency (our start-up included). Runs
# alternate between the two clients; medians. One JSON line per case: throughput ratio = ours / OpenSSH's MB/s (higher
# is better), handshake ratio = ours / OpenSSH's ms (lower is better). The server's HOME is a scratch directory, so the
# account's shell start-up files (a slow ~/.bashrc) do not drown the handshake.
# usage: bench/ssh.sh [MB per transfer, default 256] [reps, default 3]
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh "$@"
bench_scratch
ln -s "$PWD/dist/sshbox" "$W/ssh"
read -r SSHD_PID port < <(start_sshd sshd /usr/sbin/sshd "PasswordAuthentication no" "KbdInteractiveAuthentication no" "SetEnv HOME=$W")
BENCH_PIDS=$SSHD_PID
user=$(id -un)
opts() { echo "${CLIENT_OPTS[@]}" -o KexAlgorithms=curve25519-sha256 -c "$1" -p "$port"; }
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
