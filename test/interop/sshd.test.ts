// OpenSSH's ssh and sftp against our sshd (-i through ProxyCommand, and listening): sessions, exit status, ptys,
// internal-sftp, the log lines admins grep, and root mode running sessions as another user.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { OPENSSH, exec, havePeers } from "../helpers/openssh.ts";
import { scratchSshd, type ScratchSshd } from "../helpers/scratch-sshd.ts";
import { getpwnam } from "../../core/server/users.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshKeygen, OPENSSH.sftp);
let sshd: ScratchSshd | undefined;
let dir = "";
let bin = "";
const TEST_USER = "sshboxtest";
/** Whether this run created TEST_USER (then it is removed again afterwards). */
let createdUser = false;

beforeAll(async () => {
  if (!enabled) return;
  sshd = await scratchSshd("sshbox-sshd-");
  ({ dir, bin } = sshd);
  sshd.writeConfig("sshd_config", [
    ...sshd.hostKeyLines, `AuthorizedKeysFile ${join(dir, "authorized_keys")} .ssh/authorized_keys`, "StrictModes no",
    "Subsystem sftp internal-sftp", "AcceptEnv LANG LC_*", "LogLevel VERBOSE",
  ]);
}, 120_000);
afterAll(async () => {
  sshd?.remove();
  if (createdUser) await exec(["/usr/sbin/userdel", "-r", TEST_USER]);
});

function ssh(args: string[], opts: { stdin?: string; user?: string; extra?: string[]; term?: string } = {}) {
  const via = sshd!.viaProxy(join(dir, "sshd_config"), `-E ${join(dir, "sshd.log")}`);
  return exec([OPENSSH.ssh, ...via, ...(opts.extra ?? []), `${opts.user ?? "root"}@peer`, ...args],
    { stdin: opts.stdin === undefined ? undefined : new TextEncoder().encode(opts.stdin), env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", ...(opts.term ? { TERM: opts.term } : {}) } });
}

describe.skipIf(!enabled)("OpenSSH ssh → our sshd -i", () => {
  test("a command: stdout, stderr and exit status kept apart", async () => {
    const r = await ssh(["echo out; echo err >&2; exit 42"]);
    expect(r).toEqual({ stdout: "out\n", stderr: "err\n", exitCode: 42 });
  });
  test("the session environment and AcceptEnv", async () => {
    const r = await ssh(['echo "$USER|$LOGNAME|$HOME|$LANG|${SSH_CONNECTION:+set}|$SSH_ORIGINAL_COMMAND"'], { extra: ["-o", "SendEnv=LANG"] });
    expect(r.stdout).toBe("root|root|/root|C.UTF-8|set|\n");
  });
  test("a pty session (-tt) gets a terminal and TERM", async () => {
    const r = await ssh(["tty; echo TERM=$TERM"], { extra: ["-tt"], term: "vt100" });
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r\nTERM=vt100\r\n/);
    expect(r.exitCode).toBe(0);
  });
  test("a command killed by a signal makes ssh exit 255", async () => {
    expect((await ssh(["kill -KILL $$"])).exitCode).toBe(255);
  });
  test("sftp through internal-sftp puts and gets identical files", async () => {
    const src = join(dir, "payload");
    writeFileSync(src, Buffer.alloc(300_000, 7));
    writeFileSync(join(dir, "batch"), `put ${src} ${join(dir, "copy")}\nget ${join(dir, "copy")} ${join(dir, "back")}\n`);
    const r = await exec([OPENSSH.sftp, ...sshd!.viaProxy(join(dir, "sshd_config"), "", { logLevel: null }), "-b", join(dir, "batch"), "root@peer"]);
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(dir, "back")).equals(readFileSync(src))).toBe(true);
  });
  test("the log says who logged in, as OpenSSH words it", async () => {
    await ssh(["true"]);
    const log = readFileSync(join(dir, "sshd.log"), "utf8");
    expect(log).toMatch(/Accepted publickey for root from \S+ port \d+ ssh2: ED25519 SHA256:[A-Za-z0-9+/]{43}\n/);
  });
  test("an unknown key is refused", async () => {
    await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "other")]);
    const r = await exec([OPENSSH.ssh, ...sshd!.viaProxy(join(dir, "sshd_config"), "", { identity: join(dir, "other"), logLevel: null }), "root@peer", "true"]);
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toContain(process.getuid?.() === 0 ? "root@peer: Permission denied (publickey,password,keyboard-interactive)." : "root@peer: Permission denied (publickey,keyboard-interactive).");
  });
  test("sshd -T prints the configuration and -t checks it", async () => {
    const t = await exec([bin, "sshd", "-T", "-f", join(dir, "sshd_config")]);
    expect(t.exitCode).toBe(0);
    expect(t.stdout).toContain("subsystem sftp internal-sftp\n");
    writeFileSync(join(dir, "bad_config"), "NoSuchKeyword yes\n");
    const bad = await exec([bin, "sshd", "-t", "-f", join(dir, "bad_config")]);
    expect(bad.exitCode).toBe(255);
    // servconf.c, as OpenSSH prints it: "<file>: line N: Bad configuration option: X" then the terminating line.
    expect(bad.stderr).toBe(`${join(dir, "bad_config")}: line 1: Bad configuration option: NoSuchKeyword\n${join(dir, "bad_config")}: terminating, 1 bad configuration options\n`);
    const missing = await exec([bin, "sshd", "-t", "-f", join(dir, "nope")]);
    expect([missing.exitCode, missing.stderr.trim()]).toEqual([1, `${join(dir, "nope")}: No such file or directory`]);
  });
});

describe.skipIf(!enabled)("ClientAliveInterval", () => {
  test("answered probes keep a quiet session; a client that stops answering is dropped with OpenSSH's log line", async () => {
    const config = sshd!.writeConfig("sshd_alive", [...sshd!.baseConfig, "ClientAliveInterval 1", "ClientAliveCountMax 2"]);
    const argv = [OPENSSH.ssh, ...sshd!.viaProxy(config, `-E ${join(dir, "alive.log")}`, { logLevel: null }), "root@peer"];
    const quiet = await exec([...argv, "sleep 3; echo still here"]);
    expect([quiet.stdout, quiet.exitCode]).toEqual(["still here\n", 0]);
    const p = Bun.spawn([...argv, "sleep 30"], { stdout: "ignore", stderr: "ignore", stdin: "ignore" });
    await Bun.sleep(1500);
    process.kill(p.pid, "SIGSTOP"); // the client stops answering
    let log = "";
    for (let i = 0; i < 40 && !log.includes("Timeout, client not responding"); i++) {
      await Bun.sleep(250);
      log = readFileSync(join(dir, "alive.log"), "utf8");
    }
    process.kill(p.pid, "SIGCONT");
    p.kill();
    await p.exited;
    expect(log).toMatch(/Timeout, client not responding from user root \S+ port \d+/);
  }, 30_000);
});

describe.skipIf(!enabled || process.getuid?.() !== 0)("root mode", () => {
  test("a session for another user runs with that user's ids, groups and home; internal-sftp writes as the user", async () => {
    if (!getpwnam(TEST_USER)) {
      const r = await exec(["/usr/sbin/useradd", "-m", "-s", "/bin/sh", TEST_USER]);
      expect(r.exitCode).toBe(0);
      createdUser = true;
    }
    const pw = getpwnam(TEST_USER)!;
    mkdirSync(join(pw.home, ".ssh"), { recursive: true, mode: 0o700 });
    writeFileSync(join(pw.home, ".ssh", "authorized_keys"), readFileSync(join(dir, "id.pub")));
    chownSync(join(pw.home, ".ssh"), pw.uid, pw.gid);
    chownSync(join(pw.home, ".ssh", "authorized_keys"), pw.uid, pw.gid);
    const r = await ssh(["id -un; id -u; pwd; echo $HOME"], { user: TEST_USER });
    expect(r.stdout).toBe(`${TEST_USER}\n${pw.uid}\n${pw.home}\n${pw.home}\n`);
    writeFileSync(join(dir, "batch2"), `put ${join(dir, "id.pub")} ${pw.home}/uploaded\n`);
    const s = await exec([OPENSSH.sftp, ...sshd!.viaProxy(join(dir, "sshd_config"), "", { logLevel: null }), "-b", join(dir, "batch2"), `${TEST_USER}@peer`]);
    expect(s.exitCode).toBe(0);
    const { statSync } = await import("node:fs");
    expect(statSync(join(pw.home, "uploaded")).uid).toBe(pw.uid);
    expect(existsSync(join(pw.home, "uploaded"))).toBe(true);
  }, 60_000);

  test("password authentication against /etc/shadow through crypt(3), with OpenSSH's log lines", async () => {
    if (!getpwnam(TEST_USER)) {
      expect((await exec(["/usr/sbin/useradd", "-m", "-s", "/bin/sh", TEST_USER])).exitCode).toBe(0);
      createdUser = true;
    }
    expect((await exec(["/usr/sbin/chpasswd"], { stdin: new TextEncoder().encode(`${TEST_USER}:s3cret-Pw\n`) })).exitCode).toBe(0);
    sshd!.writeConfig("sshd_pw", [...sshd!.hostKeyLines, "PasswordAuthentication yes", "LogLevel VERBOSE"]);
    const attempt = async (password: string) => {
      writeFileSync(join(dir, "askpass"), `#!/bin/sh\necho '${password}'\n`, { mode: 0o755 });
      const proxy = sshd!.proxy(join(dir, "sshd_pw"), `-E ${join(dir, "pw.log")}`);
      return exec([OPENSSH.ssh, "-F", "none", "-o", `ProxyCommand=${proxy}`, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1", `${TEST_USER}@peer`, "id -un"],
        { env: { PATH: "/usr/bin:/bin", SSH_ASKPASS: join(dir, "askpass"), SSH_ASKPASS_REQUIRE: "force" } });
    };
    const good = await attempt("s3cret-Pw");
    expect([good.stdout, good.exitCode]).toEqual([`${TEST_USER}\n`, 0]);
    const bad = await attempt("wrong");
    expect(bad.exitCode).toBe(255);
    expect(bad.stderr).toContain(`${TEST_USER}@peer: Permission denied (publickey,password,keyboard-interactive).`);
    const log = readFileSync(join(dir, "pw.log"), "utf8");
    expect(log).toMatch(new RegExp(`Accepted password for ${TEST_USER} from \\S+ port \\d+ ssh2`));
    expect(log).toMatch(new RegExp(`Failed password for ${TEST_USER} from \\S+ port \\d+ ssh2`));
  }, 60_000);
});
