#!/usr/bin/env bash
# SFTP and scp throughput against OpenSSH in one run (issue: sftp/scp), one JSON line per case, medians of REPS runs
# alternating between the two sides. ratio = ours / OpenSSH's MB/s (higher is better).
#  1. servers: OpenSSH's `sftp -D` against OpenSSH's sftp-server vs against ours (no ssh in between), get and put;
#  2. clients: our sftp and scp vs OpenSSH's, against the same OpenSSH sshd on 127.0.0.1, get and put.
# usage: bench/sftp.sh [MB per transfer, default 256] [reps, default 3]
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh "$@"
bench_scratch
for p in sftp-server sftp scp ssh; do ln -s "$PWD/dist/sshbox" "$W/$p"; done
head -c "${MB}M" /dev/urandom > "$W/src"
mkdir "$W/dst"
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
read -r SSHD_PID port < <(start_sshd sshd /usr/sbin/sshd "Subsystem sftp /usr/lib/openssh/sftp-server" "SetEnv HOME=$W")
BENCH_PIDS=$SSHD_PID
opts=("${CLIENT_OPTS[@]}" -o Ciphers=aes128-gcm@openssh.com)
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
