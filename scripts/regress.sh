#!/usr/bin/env bash
# OpenSSH's own regression tests (Debian openssh-tests 9.2p1) with sshbox in one role at a time (TEST_SSH_SSHD,
# TEST_SSH_SFTPSERVER, ...: a symlink named after the program, to dist/sshbox), every other program OpenSSH's.
# Runs the tests listed in test/regress/passing.txt (or `role test` pairs given as arguments), one by one; prints
# PASS/FAIL per test and "N passed, N failed"; exits 0 iff none failed. REGRESS_LOGS=dir keeps each failure's log tail.
# With CI=true a missing openssh-tests is a failure; elsewhere the run is skipped with a note.
set -uo pipefail
cd "$(dirname "$0")/.."
RT=/usr/lib/openssh/regress/run-tests
if [ ! -x "$RT" ]; then
  echo "openssh-tests is not installed ($RT): OpenSSH regression tests skipped"
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
declare -A VAR=([sshd]=TEST_SSH_SSHD [ssh]=TEST_SSH_SSH [sftp-server]=TEST_SSH_SFTPSERVER [sftp]=TEST_SSH_SFTP [scp]=TEST_SSH_SCP
  [ssh-keygen]=TEST_SSH_SSHKEYGEN [ssh-agent]=TEST_SSH_SSHAGENT [ssh-add]=TEST_SSH_SSHADD [ssh-keyscan]=TEST_SSH_SSHKEYSCAN)

pairs=()
if [ $# -gt 0 ]; then
  while [ $# -ge 2 ]; do pairs+=("$1 $2"); shift 2; done
else
  while read -r role t; do
    case "$role" in ""|\#*) continue ;; esac
    pairs+=("$role $t")
  done < test/regress/passing.txt
fi

[ -x dist/sshbox ] && [ -z "$(find core cmd -name '*.ts' -newer dist/sshbox | head -1)" ] || node_modules/.bin/bun scripts/build.ts >/dev/null || exit 1
bin=$(mktemp -d "${TMPDIR:-/tmp}/sshbox-regress.XXXXXX")
trap 'rm -rf "$bin"' EXIT
for role in "${!VAR[@]}"; do ln -s "$PWD/dist/sshbox" "$bin/$role"; done
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd

# The suite listens on the fixed port 4242: two runs on one machine (two checkouts, two helpers) would hit each other's
# daemons ("no sshd running on port 4242"), so runs take a machine-wide lock and wait their turn.
exec 9>"${TMPDIR:-/tmp}/sshbox-regress.lock"
flock 9

pass=0; fail=0
for p in "${pairs[@]}"; do
  role=${p%% *}; t=${p#* }
  var=${VAR[$role]:-}
  [ -n "$var" ] || { echo "unknown role $role"; fail=$((fail+1)); continue; }
  d=$(mktemp -d "${TMPDIR:-/tmp}/regress.XXXXXX")
  start=$(date +%s)
  run1() { timeout "${REGRESS_TIMEOUT:-300}" sh "$RT" "$d" t-exec LTESTS="$t" SUDO= "$var=$bin/$role" >"$d.out" 2>&1; }
  if run1; then
    echo "PASS $role $t ($(( $(date +%s) - start ))s)"; pass=$((pass+1))
  elif cp "$d.out" "$d.first" && rm -rf "$d" && mkdir "$d" && run1; then
    # One retry, reported: scp3 failed once in ~15 runs on a loaded 2-core box (OpenSSH's scp -3 between two sessions).
    echo "PASS $role $t ($(( $(date +%s) - start ))s) FLAKY: failed once, passed on retry; first failure:"
    tail -n 8 "$d.first" | sed 's/^/    /'
    pass=$((pass+1))
  else
    echo "FAIL $role $t ($(( $(date +%s) - start ))s)"; fail=$((fail+1))
    tail -n 25 "$d.out" | sed 's/^/    /'
    if [ -n "${REGRESS_LOGS:-}" ]; then mkdir -p "$REGRESS_LOGS"; tail -n 200 "$d.out" > "$REGRESS_LOGS/$role-$t.log"; fi
  fi
  rm -rf "$d" "$d.out" "$d.first"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
