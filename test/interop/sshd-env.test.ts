// The session environment's precedence (session.c do_setup_env) with OpenSSH's ssh against our sshd -i: sshd_config
// SetEnv overrides the account's variables (HOME) and the client's AcceptEnv'd ones, but not the SSH_* variables.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { OPENSSH, exec, havePeers } from "../helpers/openssh.ts";
import { scratchSshd, type ScratchSshd } from "../helpers/scratch-sshd.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshKeygen);
let sshd: ScratchSshd | undefined;

beforeAll(async () => {
  if (!enabled) return;
  sshd = await scratchSshd("sshbox-sshd-env-");
  sshd.writeConfig("sshd_config", [...sshd.baseConfig, "AcceptEnv LANG LC_ALL", `SetEnv HOME=${sshd.dir} LANG=C FROM_ADMIN=yes SSH_CONNECTION=forged`]);
}, 60_000);
afterAll(() => sshd?.remove());

describe.skipIf(!enabled)("session environment precedence", () => {
  test("SetEnv wins over HOME and the client's LANG, not over SSH_CONNECTION; the client's LC_ALL passes", async () => {
    const s = sshd!;
    const r = await exec([OPENSSH.ssh, ...s.viaProxy(s.path("sshd_config")), "-o", "SendEnv=LANG LC_ALL", "root@peer",
      'echo "$HOME|$LANG|$LC_ALL|$FROM_ADMIN|$SSH_CONNECTION"'], { env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${s.dir}|C|C.UTF-8|yes|UNKNOWN 65535 UNKNOWN 65535\n`);
  });
});
