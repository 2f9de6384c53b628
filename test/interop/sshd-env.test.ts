// The session environment's precedence (session.c do_setup_env) with OpenSSH's ssh against our sshd -i: sshd_config
// SetEnv overrides the account's variables (HOME) and the client's AcceptEnv'd ones, but not the SSH_* variables.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OPENSSH, exec, havePeers } from "../helpers/openssh.ts";
import { sshboxBinary } from "../helpers/binary.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshKeygen);
let dir = "";
let bin = "";

beforeAll(async () => {
  if (!enabled) return;
  bin = await sshboxBinary();
  dir = mkdtempSync(join(tmpdir(), "sshbox-sshd-env-"));
  for (const k of ["id", "host"]) await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", join(dir, k)]);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "id.pub")));
  writeFileSync(join(dir, "sshd_config"), [
    `HostKey ${join(dir, "host")}`, `AuthorizedKeysFile ${join(dir, "authorized_keys")}`, "StrictModes no", "AcceptEnv LANG LC_ALL",
    `SetEnv HOME=${dir} LANG=C FROM_ADMIN=yes SSH_CONNECTION=forged`, "",
  ].join("\n"));
}, 60_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!enabled)("session environment precedence", () => {
  test("SetEnv wins over HOME and the client's LANG, not over SSH_CONNECTION; the client's LC_ALL passes", async () => {
    const r = await exec([OPENSSH.ssh, "-F", "none", "-o", `ProxyCommand=${bin} sshd -i -f ${join(dir, "sshd_config")}`, "-o", "StrictHostKeyChecking=no",
      "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "SendEnv=LANG LC_ALL", "-i", join(dir, "id"), "root@peer",
      'echo "$HOME|$LANG|$LC_ALL|$FROM_ADMIN|$SSH_CONNECTION"'], { env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${dir}|C|C.UTF-8|yes|UNKNOWN 65535 UNKNOWN 65535\n`);
  });
});
