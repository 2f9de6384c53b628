#!/usr/bin/env bash
# `npm start`: sshbox's main job with zero configuration. Builds dist/sshbox, then runs sshd unprivileged on
# 127.0.0.1:2222 (SSHBOX_PORT to change) with an ed25519 host key generated on first run in the user's state directory,
# serving the user's own ~/.ssh/authorized_keys, in the foreground with logs on stderr. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
bun scripts/build.ts
bin="$PWD/dist/sshbox"
state="${XDG_STATE_HOME:-$HOME/.local/state}/sshbox"
mkdir -p "$state"
chmod 700 "$state"
key="$state/ssh_host_ed25519_key"
if [ ! -f "$key" ]; then
  "$bin" ssh-keygen -q -t ed25519 -N '' -C "sshbox host key for $(id -un)" -f "$key"
fi
port="${SSHBOX_PORT:-2222}"
cat > "$state/sshd_config" <<CFG
# Written by sshbox's npm start; edit freely (it is rewritten only if deleted).
ListenAddress 127.0.0.1
Port $port
HostKey $key
AuthorizedKeysFile $HOME/.ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PidFile none
Subsystem sftp internal-sftp
CFG
echo "sshbox: $("$bin" --version 2>&1)"
echo "sshbox: sshd for $(id -un) on 127.0.0.1 port $port; host key $("$bin" ssh-keygen -lf "$key.pub")"
[ -s "$HOME/.ssh/authorized_keys" ] || echo "sshbox: note: $HOME/.ssh/authorized_keys is empty or missing; add your public key there to log in"
echo "sshbox: log in with:  ssh -p $port $(id -un)@127.0.0.1    (Ctrl-C stops the server)"
exec "$bin" sshd -D -e -f "$state/sshd_config"
