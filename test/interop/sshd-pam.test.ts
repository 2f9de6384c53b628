// OpenSSH's ssh against our sshd -i with UsePAM (issue #6): keyboard-interactive driven by PAM's own prompts, password
// auth through PAM, the log lines auth-pam.c and auth.c write, kbd-int without PAM (no devices), and sshd's syslog
// lines on a socket standing in for /dev/log. Root only: a throwaway user with a known password is created and removed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { OPENSSH, exec, havePeers } from "../helpers/openssh.ts";
import { scratchSshd, type ScratchSshd } from "../helpers/scratch-sshd.ts";
import { syslogSocket } from "../helpers/syslog-socket.ts";
import { getpwnam } from "../../core/server/users.ts";

const PAM_USER = "sshboxpam";
const PASSWORD = "Pam-s3cret!";
const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshKeygen) && process.getuid?.() === 0 && existsSync("/etc/pam.d/sshd") && existsSync("/lib/x86_64-linux-gnu/libpam.so.0");
let sshd: ScratchSshd | undefined;
let dir = "";
let bin = "";
let createdUser = false;

beforeAll(async () => {
  if (!enabled) return;
  sshd = await scratchSshd("sshbox-pam-", { userKey: false });
  ({ dir, bin } = sshd);
  if (!getpwnam(PAM_USER)) {
    expect((await exec(["/usr/sbin/useradd", "-m", "-s", "/bin/sh", PAM_USER])).exitCode).toBe(0);
    createdUser = true;
  }
  expect((await exec(["/usr/sbin/chpasswd"], { stdin: new TextEncoder().encode(`${PAM_USER}:${PASSWORD}\n`) })).exitCode).toBe(0);
}, 120_000);
afterAll(async () => {
  sshd?.remove();
  if (createdUser) await exec(["/usr/sbin/userdel", "-r", PAM_USER]);
});

let runs = 0;
/** One login through ProxyCommand=`sshd -i` with `config` lines; the answer comes from SSH_ASKPASS. */
async function login(config: string[], opts: { password: string; method: string; user?: string; sshdArgs?: string[]; env?: Record<string, string>; extra?: string[]; command?: string }) {
  const n = ++runs;
  const cfg = sshd!.writeConfig(`sshd_config.${n}`, [...sshd!.hostKeyLines, "LogLevel VERBOSE", ...config]);
  writeFileSync(join(dir, `askpass.${n}`), `#!/bin/sh\nprintf '%s\\n' '${opts.password}'\n`, { mode: 0o755 });
  const log = join(dir, `sshd.${n}.log`);
  const proxy = sshd!.proxy(cfg, (opts.sshdArgs ?? ["-E", log]).join(" "));
  const r = await exec([OPENSSH.ssh, "-F", "none", "-o", `ProxyCommand=${proxy}`, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", `PreferredAuthentications=${opts.method}`, "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1", ...(opts.extra ?? []), `${opts.user ?? PAM_USER}@peer`, opts.command ?? "id -un"],
    // SSH_CONNECTION reaches sshd -i through the ProxyCommand: the peer address in log lines and PAM_RHOST
    { env: { PATH: "/usr/bin:/bin", SSH_ASKPASS: join(dir, `askpass.${n}`), SSH_ASKPASS_REQUIRE: "force", DISPLAY: "x", SSH_CONNECTION: "127.0.0.1 40022 127.0.0.1 22", ...opts.env } });
  return { ...r, log: existsSync(log) ? readFileSync(log, "utf8") : "" };
}

describe.skipIf(!enabled)("UsePAM yes", () => {
  test("keyboard-interactive with PAM's Password: prompt logs in, as OpenSSH logs it", async () => {
    const r = await login(["UsePAM yes", "KbdInteractiveAuthentication yes", "PasswordAuthentication no"], { password: PASSWORD, method: "keyboard-interactive" });
    expect([r.stdout, r.exitCode]).toEqual([`${PAM_USER}\n`, 0]);
    expect(r.log).toContain(`Postponed keyboard-interactive for ${PAM_USER} from 127.0.0.1 port 40022 ssh2`);
    expect(r.log).toContain(`Postponed keyboard-interactive/pam for ${PAM_USER} from 127.0.0.1 port 40022 ssh2`);
    expect(r.log).toContain(`Accepted keyboard-interactive/pam for ${PAM_USER} from 127.0.0.1 port 40022 ssh2`);
  }, 30_000);

  test("sshd -d: PAM's debug lines as auth-pam.c words them", async () => {
    const log = join(dir, "debug.log");
    const r = await login(["UsePAM yes", "PasswordAuthentication no"], { password: PASSWORD, method: "keyboard-interactive", sshdArgs: ["-d", "-E", log] });
    expect(r.exitCode).toBe(0);
    const text = readFileSync(log, "utf8");
    for (const line of [`debug1: PAM: initializing for "${PAM_USER}" with service "sshd"`, 'debug1: PAM: setting PAM_RHOST to "127.0.0.1"', 'debug1: PAM: setting PAM_TTY to "ssh"']) {
      expect(text).toContain(line);
    }
  }, 30_000);

  test("the session opens a PAM session: pam_env's variables reach the command, over a pty too", async () => {
    const pw = getpwnam(PAM_USER)!;
    writeFileSync(join(pw.home, ".pam_environment"), "SSHBOX_PAM_VAR DEFAULT=from-pam\n"); // /etc/pam.d/sshd: pam_env user_readenv=1
    try {
      for (const tty of [[], ["-tt"]]) {
        const r = await login(["UsePAM yes", "PasswordAuthentication no"], { password: PASSWORD, method: "keyboard-interactive", extra: tty, command: 'echo "$SSHBOX_PAM_VAR $(id -un)"' });
        expect([r.stdout.replace(/\r/g, ""), r.exitCode]).toEqual([`from-pam ${PAM_USER}\n`, 0]);
        expect(r.log).not.toContain("PAM: pam_open_session()");
      }
      const off = await login(["UsePAM no", "PasswordAuthentication yes"], { password: PASSWORD, method: "password", command: 'echo "[$SSHBOX_PAM_VAR]"' });
      expect(off.stdout).toBe("[]\n");
    } finally {
      rmSync(join(pw.home, ".pam_environment"), { force: true });
    }
  }, 30_000);

  test("the session's shell gets SIGPIPE at its default (the session child runs it): `yes | head` ends", async () => {
    const r = await login(["UsePAM yes", "PasswordAuthentication no"], { password: PASSWORD, method: "keyboard-interactive", command: "while :; do echo yes; done | head -2; grep SigIgn /proc/self/status" });
    expect([r.stdout, r.exitCode]).toEqual(["yes\nyes\nSigIgn:\t0000000000000000\n", 0]);
  }, 30_000);

  test("a wrong password: PAM's error and Failed keyboard-interactive/pam, then Permission denied", async () => {
    const r = await login(["UsePAM yes", "PasswordAuthentication no"], { password: "wrong", method: "keyboard-interactive" });
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toContain(`${PAM_USER}@peer: Permission denied (publickey,keyboard-interactive).`);
    expect(r.log).toContain(`PAM: Authentication failure for ${PAM_USER} from 127.0.0.1`);
    expect(r.log).toContain(`Failed keyboard-interactive/pam for ${PAM_USER} from 127.0.0.1 port 40022 ssh2`);
    expect(r.log).not.toContain("Accepted");
  }, 30_000);

  test("an invalid user is asked too, and fails as an illegal user", async () => {
    const r = await login(["UsePAM yes", "PasswordAuthentication no"], { password: PASSWORD, method: "keyboard-interactive", user: "nosuchuser-pam" });
    expect(r.exitCode).toBe(255);
    expect(r.log).toContain("Invalid user nosuchuser-pam from 127.0.0.1 port 40022");
    expect(r.log).toContain("PAM: Authentication failure for illegal user nosuchuser-pam from 127.0.0.1");
    expect(r.log).toContain("Failed keyboard-interactive/pam for invalid user nosuchuser-pam from 127.0.0.1 port 40022 ssh2");
  }, 30_000);

  test("password authentication goes through PAM", async () => {
    const good = await login(["UsePAM yes", "PasswordAuthentication yes"], { password: PASSWORD, method: "password" });
    expect([good.stdout, good.exitCode]).toEqual([`${PAM_USER}\n`, 0]);
    expect(good.log).toContain(`Accepted password for ${PAM_USER} from 127.0.0.1 port 40022 ssh2`);
    const bad = await login(["UsePAM yes", "PasswordAuthentication yes"], { password: "wrong", method: "password" });
    expect(bad.exitCode).toBe(255);
    expect(bad.stderr).toContain(`${PAM_USER}@peer: Permission denied (publickey,password,keyboard-interactive).`);
    expect(bad.log).toContain(`Failed password for ${PAM_USER} from 127.0.0.1 port 40022 ssh2`);
  }, 30_000);

  test("AuthenticationMethods password,keyboard-interactive:pam: both through PAM, the first a partial success", async () => {
    const r = await login(["UsePAM yes", "PasswordAuthentication yes", "AuthenticationMethods password,keyboard-interactive:pam"],
      { password: PASSWORD, method: "password,keyboard-interactive", extra: ["-o", "NumberOfPasswordPrompts=2"] });
    expect([r.stdout, r.exitCode]).toEqual([`${PAM_USER}\n`, 0]);
    expect(r.log).toContain(`Partial password for ${PAM_USER} from 127.0.0.1 port 40022 ssh2`);
    expect(r.log).toContain(`Accepted keyboard-interactive/pam for ${PAM_USER} from 127.0.0.1 port 40022 ssh2`);
  }, 30_000);

  test("KbdInteractiveDevices naming another device gets no PAM dialog", async () => {
    const r = await login(["UsePAM yes", "PasswordAuthentication no"], { password: PASSWORD, method: "keyboard-interactive", extra: ["-o", "KbdInteractiveDevices=bsdauth"] });
    expect(r.exitCode).toBe(255);
    expect(r.log).toContain(`Failed keyboard-interactive for ${PAM_USER} from 127.0.0.1 port 40022 ssh2`);
    expect(r.log).not.toContain("keyboard-interactive/pam");
    const pam = await login(["UsePAM yes", "PasswordAuthentication no"], { password: PASSWORD, method: "keyboard-interactive", extra: ["-o", "KbdInteractiveDevices=pam"] });
    expect(pam.exitCode).toBe(0);
  }, 30_000);
});

describe.skipIf(!enabled)("UsePAM yes, listening", () => {
  test("pam_unix's failure delay does not hold up another connection, and the PAM workers end with their connections", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const cfg = join(dir, "sshd_listen");
    const log = join(dir, "listen.log");
    writeFileSync(cfg, [`ListenAddress 127.0.0.1:${port}`, `HostKey ${join(dir, "host")}`, "UsePAM yes", "PasswordAuthentication no", "PidFile none", "LogLevel VERBOSE", ""].join("\n"));
    const server = Bun.spawn([bin, "sshd", "-D", "-E", log, "-f", cfg], { stdout: "ignore", stderr: "ignore" });
    try {
      for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, "utf8").includes("Server listening")); i++) await Bun.sleep(50);
      const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"))![1]);
      const attempt = (password: string, n: number) => {
        writeFileSync(join(dir, `askpass.l${n}`), `#!/bin/sh\nprintf '%s\\n' '${password}'\n`, { mode: 0o755 });
        const started = performance.now();
        return exec([OPENSSH.ssh, "-F", "none", "-p", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
          "-o", "PreferredAuthentications=keyboard-interactive", "-o", "NumberOfPasswordPrompts=1", `${PAM_USER}@127.0.0.1`, "id -un"],
          { env: { PATH: "/usr/bin:/bin", SSH_ASKPASS: join(dir, `askpass.l${n}`), SSH_ASKPASS_REQUIRE: "force", DISPLAY: "x" } })
          .then((r) => ({ ...r, ms: performance.now() - started, ended: performance.now() }));
      };
      expect((await attempt(PASSWORD, 0)).exitCode).toBe(0); // the first Worker brings Bun's shared threads along
      await Bun.sleep(200);
      const before = threads();
      const wrong = attempt("wrong", 1);
      await Bun.sleep(300);
      const right = await attempt(PASSWORD, 2);
      const failed = await wrong;
      expect([right.stdout, right.exitCode, failed.exitCode]).toEqual([`${PAM_USER}\n`, 0, 255]);
      expect(right.ended).toBeLessThan(failed.ended); // the right password got in while the wrong one was still delayed
      expect(right.ms).toBeLessThan(1500);
      let after = threads();
      for (let i = 0; i < 40 && after > before; i++) {
        await Bun.sleep(50);
        after = threads();
      }
      expect(after).toBeLessThanOrEqual(before);
      // A client that dies while PAM waits for its answer: the conversation is aborted and the worker ends too.
      writeFileSync(join(dir, "askpass.kill"), "#!/bin/sh\nkill -9 $PPID\n", { mode: 0o755 });
      const killed = await exec([OPENSSH.ssh, "-F", "none", "-p", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "PreferredAuthentications=keyboard-interactive", `${PAM_USER}@127.0.0.1`, "true"],
        { env: { PATH: "/usr/bin:/bin", SSH_ASKPASS: join(dir, "askpass.kill"), SSH_ASKPASS_REQUIRE: "force", DISPLAY: "x" } });
      expect(killed.exitCode).not.toBe(0);
      let text = "";
      for (let i = 0; i < 40 && !/Connection closed by authenticating user sshboxpam 127\.0\.0\.1 port \d+ \[preauth\]/.test(text); i++) {
        await Bun.sleep(50);
        text = readFileSync(log, "utf8");
      }
      expect(text).toMatch(/Connection closed by authenticating user sshboxpam 127\.0\.0\.1 port \d+ \[preauth\]/);
      after = threads();
      for (let i = 0; i < 40 && after > before; i++) {
        await Bun.sleep(50);
        after = threads();
      }
      expect(after).toBeLessThanOrEqual(before);
    } finally {
      server.kill();
      await server.exited;
    }
  }, 30_000);
});

/** Whether `unshare -m` works here (root with CAP_SYS_ADMIN): a private mount namespace can hide libpam. */
const canUnshare = enabled && Bun.spawnSync(["unshare", "-m", "true"]).exitCode === 0;

describe.skipIf(!canUnshare)("UsePAM yes without libpam", () => {
  test("sshd stops with PAM's initialisation error and the loader's reason, in -i and listening mode", async () => {
    const cfg = join(dir, "nolib_config");
    writeFileSync(cfg, `HostKey ${join(dir, "host")}\nUsePAM yes\nListenAddress 127.0.0.1:1\nPidFile none\n`);
    const hide = "mount --bind /dev/null /lib/x86_64-linux-gnu/libpam.so.0";
    const inetd = await exec(["unshare", "-m", "sh", "-c", `${hide} && exec ${bin} sshd -i -f ${cfg} -E ${join(dir, "nolib.log")} </dev/null`]);
    expect(inetd.exitCode).toBe(255);
    expect(readFileSync(join(dir, "nolib.log"), "utf8")).toMatch(/^PAM: initialisation failed: UsePAM yes, but .*libpam\.so\.0/m);
    const listening = await exec(["unshare", "-m", "sh", "-c", `${hide} && exec ${bin} sshd -D -f ${cfg}`]);
    expect(listening.exitCode).toBe(255);
    expect(listening.stderr).toMatch(/^PAM: initialisation failed: UsePAM yes, but .*libpam\.so\.0/);
  }, 30_000);
});

describe.skipIf(!enabled)("UsePAM no", () => {
  test("keyboard-interactive is offered but has no device: the right password still fails", async () => {
    const r = await login(["UsePAM no", "PasswordAuthentication no"], { password: PASSWORD, method: "keyboard-interactive" });
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toContain(`${PAM_USER}@peer: Permission denied (publickey,keyboard-interactive).`);
    expect(r.log).toContain(`Failed keyboard-interactive for ${PAM_USER} from 127.0.0.1 port 40022 ssh2`);
  }, 30_000);
  test("KbdInteractiveAuthentication no leaves the method out", async () => {
    const r = await login(["UsePAM no", "KbdInteractiveAuthentication no", "PasswordAuthentication yes"], { password: "wrong", method: "password" });
    expect(r.stderr).toContain(`${PAM_USER}@peer: Permission denied (publickey,password).`);
  }, 30_000);
});

describe.skipIf(!enabled)("syslog", () => {
  test("without -e or -E, sshd -i logs to the syslog socket with ident sshd[pid] and SyslogFacility", async () => {
    const sock = syslogSocket(join(dir, "devlog"));
    try {
      const r = await login(["UsePAM yes", "PasswordAuthentication no", "SyslogFacility LOCAL5"], { password: "wrong", method: "keyboard-interactive", sshdArgs: [], env: { SSHBOX_TEST_SYSLOG_SOCKET: sock.path } });
      expect(r.exitCode).toBe(255);
      const lines = sock.drain();
      // LOCAL5 (21 << 3): INFO is <174>, ERROR <171> with log.c's "error: " prefix that stderr lines lack
      expect(lines.some((l) => /^<174>\w{3} [ \d]\d \d\d:\d\d:\d\d sshd\[\d+\]: Failed keyboard-interactive\/pam for sshboxpam from 127\.0\.0\.1 port 40022 ssh2$/.test(l))).toBe(true);
      expect(lines.some((l) => /^<171>.* sshd\[\d+\]: error: PAM: Authentication failure for sshboxpam from 127\.0\.0\.1$/.test(l))).toBe(true);
    } finally {
      sock.close();
    }
  }, 30_000);
  test("sshd -T prints syslogfacility and usepam", async () => {
    writeFileSync(join(dir, "t_config"), `HostKey ${join(dir, "host")}\nSyslogFacility AUTHPRIV\nUsePAM yes\n`);
    const t = await exec([bin, "sshd", "-T", "-f", join(dir, "t_config")]);
    expect(t.stdout.split("\n")).toEqual(expect.arrayContaining(["syslogfacility AUTHPRIV", "usepam yes"]));
    const d = await exec([bin, "sshd", "-T", "-f", "/dev/null"]);
    expect(d.stdout.split("\n")).toEqual(expect.arrayContaining(["syslogfacility AUTH", "usepam no"]));
  });
});
