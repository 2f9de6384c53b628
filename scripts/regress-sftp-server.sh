#!/usr/bin/env bash
# OpenSSH's own regression tests (Debian's openssh-tests, 9.2p1) with our sftp-server in OpenSSH's place
# (TEST_SSH_SFTPSERVER = a symlink named sftp-server to dist/sshbox); every other program is OpenSSH's.
# Runs the tests that pass (test/regress/sftp-server-failing.md lists the rest), one by one; prints PASS/FAIL per
# test and "N passed, N failed"; exit 0 iff none failed. With CI=true a missing openssh-tests is a failure, else a skip.
#   usage: scripts/regress-sftp-server.sh [test ...]      (REGRESS_LOGS=dir keeps the tail of each failing log)
set -uo pipefail
cd "$(dirname "$0")/.."
RT=/usr/lib/openssh/regress/run-tests
if [ ! -x "$RT" ]; then
  echo "openssh-tests is not installed ($RT)"
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
# sftp* drive `sftp -D $SFTPSERVER`; sftp-uri, scp, scp3 and scp-uri reach it through sshd's Subsystem or `scp -s -D`.
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(sftp sftp-cmds sftp-badcmds sftp-batch sftp-glob sftp-perm sftp-uri scp scp3 scp-uri)

[ -x dist/sshbox ] && [ -z "$(find core cmd -name '*.ts' -newer dist/sshbox | head -1)" ] || node_modules/.bin/bun scripts/build.ts >/dev/null || exit 1
bin=$(mktemp -d "${TMPDIR:-/tmp}/regress-sftp-server.XXXXXX")
trap 'rm -rf "$bin"' EXIT
ln -s "$PWD/dist/sshbox" "$bin/sftp-server"

pass=0; fail=0
for t in "${tests[@]}"; do
  d=$(mktemp -d "${TMPDIR:-/tmp}/regress.XXXXXX")
  if timeout "${REGRESS_TIMEOUT:-300}" sh "$RT" "$d" t-exec LTESTS="$t" SUDO= TEST_SSH_SFTPSERVER="$bin/sftp-server" >"$d.out" 2>&1; then
    echo "PASS $t"; pass=$((pass+1))
  else
    echo "FAIL $t"; fail=$((fail+1))
    if [ -n "${REGRESS_LOGS:-}" ]; then mkdir -p "$REGRESS_LOGS"; tail -n 60 "$d.out" > "$REGRESS_LOGS/$t.log"; fi
  fi
  rm -rf "$d" "$d.out"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
