#!/usr/bin/env bash
# `npm test`: the whole suite on this machine. Installs the OpenSSH peers the interop tests drive (when root with apt;
# otherwise says what is missing: with CI=true a missing peer is a failure, never a skip), builds dist/sshbox,
# typechecks, runs `bun test` (unit, pipe, fuzz, integration, interop), then prints one closing line
# "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

peers=(openssh-client openssh-server openssh-sftp-server openssh-tests)
missing=()
for p in "${peers[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing OpenSSH peers: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { echo "apt-get install ${missing[*]} failed"; exit 1; }
  elif [ "${CI:-}" = true ]; then
    echo "missing OpenSSH peers: ${missing[*]} (not root or no apt-get): CI cannot skip interop tests"; exit 1
  else
    echo "NOTE: missing OpenSSH peers: ${missing[*]}; interop tests that need them will be skipped"
  fi
fi
# Debian's openssh-server starts nothing here, but a Debian sshd refuses to run without its privsep directory.
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd 2>/dev/null

[ -x node_modules/.bin/bun ] || npm ci --no-audit --no-fund || exit 1

echo "== build"
bun scripts/build.ts || exit 1
echo "== typecheck"
tsc --noEmit -p . || exit 1

echo "== bun test (unit, pipe, fuzz, integration, interop; OpenSSH's keygen regress scripts included)"
log=$(mktemp)
SSHBOX_OPENSSH_REGRESS=1 bun test --timeout=120000 2> >(tee "$log" >&2)
status=$?
passed=$(grep -E '^ ?[0-9]+ pass$' "$log" | tail -1 | grep -oE '[0-9]+')
failed=$(grep -E '^ ?[0-9]+ fail$' "$log" | tail -1 | grep -oE '[0-9]+')

echo "== OpenSSH regression tests with sshbox in OpenSSH's place (test/regress/passing.txt)"
bash scripts/regress.sh | tee "$log"
rstatus=${PIPESTATUS[0]}
rpassed=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1 | cut -d' ' -f1)
rfailed=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1 | cut -d' ' -f3)
rm -f "$log"
passed=$(( ${passed:-0} + ${rpassed:-0} ))
failed=$(( ${failed:-0} + ${rfailed:-0} ))
[ "$rstatus" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "tests: ${passed} passed, ${failed} failed"
[ "$status" = 0 ] && [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
