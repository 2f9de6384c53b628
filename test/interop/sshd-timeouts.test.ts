// OpenSSH's ssh against our sshd -i (ProxyCommand) with ChannelTimeout and UnusedConnectionTimeout of a second or two:
// an idle session is closed, an active one kept, a `-N` connection without channels ended, with OpenSSH's log lines.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { OPENSSH, havePeers, exec } from "../helpers/openssh.ts";
import { scratchSshd, type ScratchSshd } from "../helpers/scratch-sshd.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshKeygen);
let sshd: ScratchSshd | undefined;

beforeAll(async () => {
  if (enabled) sshd = await scratchSshd("sshbox-timeouts-");
}, 120_000);
afterAll(() => sshd?.remove());

/** ssh's argv through our sshd -i with `extra` sshd_config lines; the server log goes to `<name>.log`. */
function sshArgv(name: string, extra: string[]): string[] {
  const s = sshd!;
  const config = s.writeConfig(`${name}.conf`, [...s.baseConfig, "LogLevel VERBOSE", ...extra]);
  return [OPENSSH.ssh, ...s.viaProxy(config, `-E ${s.path(`${name}.log`)}`), "root@peer"];
}
const env = { PATH: "/usr/bin:/bin" };
const logOf = (name: string): string => readFileSync(sshd!.path(`${name}.log`), "utf8");

describe.skipIf(!enabled)("ChannelTimeout", () => {
  test("an idle command session is closed after its timeout: ssh exits 255 and sshd logs why", async () => {
    const started = performance.now();
    const r = await exec([...sshArgv("idle", ["ChannelTimeout session:command=1"]), "sleep 10; exit 23"], { env });
    expect(r.exitCode).toBe(255);
    expect(performance.now() - started).toBeLessThan(8000);
    expect(logOf("idle")).toMatch(/channel \d+: closing after 1 seconds of inactivity/);
  }, 20_000);

  test("a session with output more often than the timeout is kept to the end", async () => {
    const r = await exec([...sshArgv("active", ["ChannelTimeout session:*=1"]), "for i in 1 2 3 4 5; do echo $i; sleep 0.4; done; exit 23"], { env });
    expect(r).toEqual({ stdout: "1\n2\n3\n4\n5\n", stderr: "", exitCode: 23 });
  }, 20_000);

  test("a timeout for another session type does not apply", async () => {
    const r = await exec([...sshArgv("other", ["ChannelTimeout session:shell=1 session:subsystem:sftp=1"]), "sleep 2; exit 23"], { env });
    expect(r.exitCode).toBe(23);
  }, 20_000);
});

describe.skipIf(!enabled)("UnusedConnectionTimeout", () => {
  test("a connection without channels (ssh -N) is ended after it, with OpenSSH's log line", async () => {
    const started = performance.now();
    const p = Bun.spawn([...sshArgv("unused", ["UnusedConnectionTimeout 1"]), "-N"], { stdin: "ignore", stdout: "ignore", stderr: "pipe", env });
    try {
      const code = await p.exited;
      expect(code).toBe(255);
      expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
      expect(logOf("unused")).toMatch(/terminating inactive connection from user root \S+ port \d+/);
    } finally {
      p.kill();
    }
  }, 20_000);

  test("an open session holds the connection past the timeout", async () => {
    const r = await exec([...sshArgv("held", ["UnusedConnectionTimeout 1"]), "sleep 2.5; exit 23"], { env });
    expect(r.exitCode).toBe(23);
    expect(logOf("held")).not.toContain("terminating inactive connection");
  }, 20_000);
});
