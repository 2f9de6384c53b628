// sshd session features of session.c and sshlogin.c with OpenSSH's ssh and sftp as clients, in root mode (a test user
// is created and removed again): ~/.ssh/rc and /etc/ssh/sshrc (do_rc_files), ChrootDirectory (safely_chroot) with
// ForceCommand internal-sftp, the bad-ownership fatal, PrintLastLog, and the unprivileged "lacks privileges" fatal.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, truncateSync, writeFileSync, writeSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { OPENSSH, exec, havePeers } from "../helpers/openssh.ts";
import { scratchSshd, type ScratchSshd } from "../helpers/scratch-sshd.ts";
import { getpwnam, type Passwd } from "../../core/server/users.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshKeygen, OPENSSH.sftp) && process.getuid?.() === 0 && existsSync("/usr/sbin/useradd");
const USER = "sshboxxtra";
const ENV = { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" };
let sshd: ScratchSshd | undefined;
let dir = "";
let bin = "";
let jail = "";
let pw: Passwd;
let createdUser = false;
/** lastlog as it was, restored afterwards (its length, and the test user's record). */
let lastlogBefore: { size: number; record: Uint8Array } | undefined;
const LASTLOG = "/var/log/lastlog";

beforeAll(async () => {
  if (!enabled) return;
  sshd = await scratchSshd("sshbox-extras-");
  ({ dir, bin } = sshd);
  if (!getpwnam(USER)) {
    expect((await exec(["/usr/sbin/useradd", "-m", "-s", "/bin/sh", USER])).exitCode).toBe(0);
    createdUser = true;
  }
  pw = getpwnam(USER)!;
  mkdirSync(join(pw.home, ".ssh"), { recursive: true, mode: 0o700 });
  writeFileSync(join(pw.home, ".ssh", "authorized_keys"), readFileSync(join(dir, "id.pub")));
  writeFileSync(join(dir, "ak_norc"), `no-user-rc ${readFileSync(join(dir, "id.pub"), "utf8")}`);
  writeFileSync(join(pw.home, ".ssh", "rc"), "echo rc-out\necho rc-err >&2\n");
  for (const p of [".ssh", ".ssh/authorized_keys", ".ssh/rc"]) chownSync(join(pw.home, p), pw.uid, pw.gid);
  // The jail: root-owned and 0755 up from /, a directory of the user's inside, and a shell with its libraries.
  jail = `/srv/sshbox-jail-${process.pid}`;
  mkdirSync(join(jail, USER), { recursive: true });
  chmodSync(jail, 0o755);
  chownSync(join(jail, USER), pw.uid, pw.gid);
  const ldd = await exec(["/usr/bin/ldd", "/bin/sh"]);
  for (const f of ["/bin/sh", ...(ldd.stdout.match(/\/\S+/g) ?? [])]) {
    mkdirSync(join(jail, dirname(f)), { recursive: true });
    copyFileSync(f, join(jail, f));
    chmodSync(join(jail, f), 0o755);
  }
  sshd.writeConfig("base", [...sshd.hostKeyLines, "StrictModes no", "LogLevel VERBOSE", "PrintMotd no"]);
  if (existsSync(LASTLOG)) {
    const size = statSync(LASTLOG).size;
    const record = new Uint8Array(292);
    const fd = openSync(LASTLOG, "r");
    readSync(fd, record, 0, 292, pw.uid * 292);
    closeSync(fd);
    lastlogBefore = { size, record };
  }
}, 120_000);

afterAll(async () => {
  if (!enabled) return;
  if (lastlogBefore) {
    if (lastlogBefore.size <= pw.uid * 292) truncateSync(LASTLOG, lastlogBefore.size);
    else {
      const fd = openSync(LASTLOG, "r+");
      writeSync(fd, lastlogBefore.record, 0, 292, pw.uid * 292);
      closeSync(fd);
    }
  }
  if (jail) rmSync(jail, { recursive: true, force: true });
  sshd?.remove();
  if (createdUser) await exec(["/usr/sbin/userdel", "-r", USER]);
});

/** OpenSSH's ssh (or sftp) through our `sshd -i` as a ProxyCommand, with a config of the base plus `extra` lines. */
function viaInetd(program: string, extra: string[], args: string[], opts: { sshdFlags?: string; stdin?: string; log?: string } = {}) {
  const cfg = join(dir, `cfg-${Math.random().toString(36).slice(2)}`);
  writeFileSync(cfg, readFileSync(join(dir, "base"), "utf8") + extra.join("\n") + "\n");
  const via = sshd!.viaProxy(cfg, `${opts.sshdFlags ?? ""} -E ${opts.log ?? join(dir, "inetd.log")}`);
  return exec([program, ...via, ...args], { env: ENV, ...(opts.stdin !== undefined ? { stdin: new TextEncoder().encode(opts.stdin) } : {}) });
}

/** Our sshd listening on 127.0.0.1 (log lines of session children reach the log before a client is done). */
async function listening(extra: string[]): Promise<{ port: number; log: string; readLog(): string; [Symbol.asyncDispose](): Promise<void> }> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  const cfg = join(dir, `cfg-${port}`);
  const log = join(dir, `sshd-${port}.log`);
  writeFileSync(cfg, readFileSync(join(dir, "base"), "utf8") + extra.join("\n") + "\n");
  writeFileSync(log, "");
  const p = Bun.spawn([bin, "sshd", "-D", "-f", cfg, "-E", log, "-o", "ListenAddress=127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "ignore"] });
  for (let i = 0; i < 100 && !readFileSync(log, "utf8").includes("Server listening"); i++) await Bun.sleep(50);
  return {
    port,
    log,
    readLog: () => readFileSync(log, "utf8"),
    [Symbol.asyncDispose]: async () => {
      p.kill();
      await p.exited;
    },
  };
}

function client(program: "ssh" | "sftp", port: number, args: string[], stdin?: string) {
  return exec([program === "ssh" ? OPENSSH.ssh : OPENSSH.sftp, program === "ssh" ? "-p" : "-P", String(port), ...sshd!.clientOptions(), ...args], { env: ENV, ...(stdin !== undefined ? { stdin: new TextEncoder().encode(stdin) } : {}) });
}

/** Waits until the log holds `text` (the server writes its last lines as the client goes). */
async function logHas(read: () => string, text: string): Promise<string> {
  for (let i = 0; i < 60 && !read().includes(text); i++) await Bun.sleep(50);
  return read();
}

describe.skipIf(!enabled)("~/.ssh/rc and /etc/ssh/sshrc (session.c do_rc_files)", () => {
  test("~/.ssh/rc runs before the command, its stdout and stderr on the session's", async () => {
    expect(await viaInetd(OPENSSH.ssh, [], [`${USER}@peer`, "echo cmd"])).toEqual({ stdout: "rc-out\ncmd\n", stderr: "rc-err\n", exitCode: 0 });
  });
  test("sshd -d prints session.c's 'Running' line on the session's stderr", async () => {
    const r = await viaInetd(OPENSSH.ssh, [], [`${USER}@peer`, "echo cmd"], { sshdFlags: "-d" });
    expect(r.stdout).toBe("rc-out\ncmd\n");
    expect(r.stderr.split("\n").filter((l) => !l.startsWith("debug")).join("\n")).toContain(`Running /bin/sh -c '/bin/sh ${pw.home}/.ssh/rc'\nrc-err\n`);
  });
  test("not run with PermitUserRC no, the key's no-user-rc, an sshd_config ForceCommand, or for a subsystem", async () => {
    expect((await viaInetd(OPENSSH.ssh, ["PermitUserRC no"], [`${USER}@peer`, "echo cmd"])).stdout).toBe("cmd\n");
    expect((await viaInetd(OPENSSH.ssh, [`AuthorizedKeysFile ${join(dir, "ak_norc")}`], [`${USER}@peer`, "echo cmd"])).stdout).toBe("cmd\n");
    expect((await viaInetd(OPENSSH.ssh, ["ForceCommand echo forced"], [`${USER}@peer`, "echo cmd"])).stdout).toBe("forced\n");
    writeFileSync(join(dir, "ls"), "ls .ssh/rc\n");
    const s = await viaInetd(OPENSSH.sftp, ["Subsystem sftp internal-sftp"], ["-b", join(dir, "ls"), `${USER}@peer`]);
    expect([s.stdout, s.exitCode]).toEqual(["sftp> ls .ssh/rc\n.ssh/rc                   \n", 0]);
  });
});

describe.skipIf(!enabled)("ChrootDirectory (session.c safely_chroot) with internal-sftp", () => {
  const jailed = () => ["Subsystem sftp internal-sftp", `Match User ${USER}`, `  ChrootDirectory ${jail}`, "  ForceCommand internal-sftp -d %u -l INFO"];

  test("sftp sees only the jail, starts in -d %u, writes as the user; the log has internal-sftp's lines", async () => {
    await using sshd = await listening(jailed());
    writeFileSync(join(dir, "up"), "twelve bytes");
    writeFileSync(join(dir, "batch"), `pwd\nput ${join(dir, "up")} up\nls /\n`);
    const r = await client("sftp", sshd.port, ["-b", join(dir, "batch"), `${USER}@127.0.0.1`]);
    expect(r).toEqual({ stdout: `sftp> pwd\nRemote working directory: /${USER}\nsftp> put ${join(dir, "up")} up\nsftp> ls /\n/bin         /lib         /lib64       /${USER}  \n`, stderr: "", exitCode: 0 });
    expect(readFileSync(join(jail, USER, "up"), "utf8")).toBe("twelve bytes");
    expect(statSync(join(jail, USER, "up")).uid).toBe(pw.uid);
    const log = await logHas(sshd.readLog, "session closed");
    expect(log).toContain(`Changed root directory to "${jail}"\n`);
    expect(log).toContain(`Starting session: forced-command (config) 'internal-sftp -d %u -l INFO' for ${USER} from 127.0.0.1 port `);
    expect(log).toContain(`session opened for local user ${USER} from [127.0.0.1]\n`);
    expect(log).toContain(`open "/${USER}/up" flags WRITE,CREATE,TRUNCATE mode 0644\nclose "/${USER}/up" bytes read 0 written 12\n`);
    expect(log).toContain(`session closed for local user ${USER} from [127.0.0.1]\n`);
  }, 30_000);

  test("a shell or command under ForceCommand internal-sftp is refused as session.c refuses it", async () => {
    await using sshd = await listening(jailed());
    const r = await client("ssh", sshd.port, [`${USER}@127.0.0.1`, "id"]);
    expect(r).toEqual({ stdout: "This service allows sftp connections only.\n", stderr: "", exitCode: 1 });
    expect(await logHas(sshd.readLog, "refusing")).toMatch(new RegExp(`Connection from user ${USER} 127\\.0\\.0\\.1 port \\d+: refusing non-sftp session\\n`));
  }, 30_000);

  test.each([
    ["the jail group-writable", (j: string) => chmodSync(j, 0o775), "", (j: string) => `bad ownership or modes for chroot directory "${j}"`],
    ["a parent group-writable", (j: string) => chmodSync(j, 0o775), "/" + USER, (j: string) => `bad ownership or modes for chroot directory component "${j}/"`],
    ["the jail owned by the user", () => {}, "/" + USER, (j: string) => `bad ownership or modes for chroot directory "${j}/${USER}"`],
    ["a missing jail", () => {}, "/nope", (j: string) => `safely_chroot: stat("${j}/nope"): No such file or directory`],
  ] as const)("%s: OpenSSH's fatal line in the log, and sftp sees the connection closed", async (_name, breakIt, sub, expected) => {
    breakIt(jail);
    try {
      await using sshd = await listening(["Subsystem sftp internal-sftp", `Match User ${USER}`, `  ChrootDirectory ${jail}${sub}`, "  ForceCommand internal-sftp"]);
      writeFileSync(join(dir, "pwd"), "pwd\n");
      const r = await client("sftp", sshd.port, ["-b", join(dir, "pwd"), `${USER}@127.0.0.1`]);
      expect(r.exitCode).toBe(255);
      expect(r.stderr).toEndWith("Connection closed\r\n");
      expect(await logHas(sshd.readLog, expected(jail))).toContain(`Accepted publickey for ${USER} from 127.0.0.1`);
      expect(sshd.readLog()).toContain(`${expected(jail)}\n`);
      expect(sshd.readLog()).not.toContain("Starting session");
    } finally {
      chmodSync(jail, 0o755);
    }
  }, 30_000);

  test("a command runs jailed; the jail's /etc/ssh/sshrc output breaks sftp as OpenSSH's does", async () => {
    mkdirSync(join(jail, "etc", "ssh"), { recursive: true });
    writeFileSync(join(jail, "etc", "ssh", "sshrc"), 'echo "Sun Nov 22 06:00:00 UTC 2026"\n');
    try {
      await using sshd = await listening(["Subsystem sftp internal-sftp", `Match User ${USER}`, `  ChrootDirectory ${jail}`]);
      const r = await client("ssh", sshd.port, [`${USER}@127.0.0.1`, "echo $HOME; pwd; cd /; echo *"]);
      // session.c do_child: the home directory is not in the jail, so the command starts in / and says nothing of it
      expect(r).toEqual({ stdout: `Sun Nov 22 06:00:00 UTC 2026\n${pw.home}\n/\nbin etc lib lib64 ${USER}\n`, stderr: "", exitCode: 0 });
      writeFileSync(join(dir, "pwd"), "pwd\n");
      const s = await client("sftp", sshd.port, ["-b", join(dir, "pwd"), `${USER}@127.0.0.1`]);
      expect(s.exitCode).toBe(255);
      expect(s.stderr).toStartWith("Received message too long 1400204832\r\n"); // "Sun " read as a length
    } finally {
      rmSync(join(jail, "etc"), { recursive: true, force: true });
    }
  }, 30_000);

  test("an unprivileged sshd: 'server lacks privileges to chroot to ChrootDirectory', connection closed", async () => {
    const own = mkdtempSync(join(tmpdir(), "sshbox-extras-user-"));
    try {
      copyFileSync(join(dir, "host"), join(own, "host"));
      writeFileSync(join(own, "cfg"), `HostKey ${join(own, "host")}\nStrictModes no\nChrootDirectory ${jail}\nLogLevel VERBOSE\n`);
      writeFileSync(join(own, "log"), "");
      for (const f of ["", "host", "cfg", "log"]) chownSync(join(own, f), pw.uid, pw.gid);
      const proxy = `/usr/bin/setpriv --reuid=${pw.uid} --regid=${pw.gid} --init-groups -- ${bin} sshd -i -f ${join(own, "cfg")} -E ${join(own, "log")}`;
      const r = await exec([OPENSSH.ssh, ...sshd!.clientOptions(), "-o", `ProxyCommand=${proxy}`, `${USER}@peer`, "true"], { env: ENV });
      expect(r.exitCode).toBe(255);
      const log = readFileSync(join(own, "log"), "utf8");
      expect(log).toContain(`Accepted publickey for ${USER}`);
      expect(log).toContain("\nserver lacks privileges to chroot to ChrootDirectory\n");
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  }, 30_000);
});

describe.skipIf(!enabled || !existsSync(LASTLOG))("PrintLastLog and login records (sshlogin.c, loginrec.c)", () => {
  /** ctime(3) of `t` in the server's time zone, by date(1). */
  const ctime = async (t: number) => (await exec(["/bin/date", "-d", `@${t}`, "+%a %b %e %H:%M:%S %Y"])).stdout.trim();
  const record = () => {
    const fd = openSync(LASTLOG, "r");
    const b = Buffer.alloc(292);
    readSync(fd, b, 0, 292, pw.uid * 292);
    closeSync(fd);
    const z = (s: Buffer) => s.subarray(0, s.indexOf(0) < 0 ? s.length : s.indexOf(0)).toString();
    return { time: b.readUInt32LE(0), line: z(b.subarray(4, 36)), host: z(b.subarray(36)) };
  };
  const plant = (t: number, line: string, host: string) => {
    const b = Buffer.alloc(292);
    b.writeUInt32LE(t, 0);
    b.write(line, 4);
    b.write(host, 36);
    const fd = openSync(LASTLOG, "r+");
    writeSync(fd, b, 0, 292, pw.uid * 292);
    closeSync(fd);
  };

  const WTMP = "/var/log/wtmp";
  /** The struct utmp records appended to wtmp after `offset`. */
  const wtmpSince = (offset: number) => {
    const all = existsSync(WTMP) ? readFileSync(WTMP).subarray(offset) : Buffer.alloc(0);
    const z = (s: Buffer) => s.subarray(0, s.indexOf(0) < 0 ? s.length : s.indexOf(0)).toString();
    const out = [];
    for (let o = 0; o + 384 <= all.length; o += 384) {
      const b = all.subarray(o, o + 384);
      out.push({ type: b.readInt16LE(0), line: z(b.subarray(8, 40)), id: z(b.subarray(40, 44)), user: z(b.subarray(44, 76)), host: z(b.subarray(76, 332)), addr: [...b.subarray(348, 352)] });
    }
    return out;
  };

  test("'Last login: … from …' before an interactive pty login, then the login recorded (lastlog, wtmp); not for commands or with ~/.hushlogin", async () => {
    rmSync(join(pw.home, ".ssh", "rc"), { force: true });
    await using sshd = await listening(["PrintLastLog yes"]);
    plant(1795413600, "pts/9", "192.0.2.7");
    const before = Math.floor(Date.now() / 1000);
    const wtmpSize = existsSync(WTMP) ? statSync(WTMP).size : 0;
    const login = await client("ssh", sshd.port, ["-tt", `${USER}@127.0.0.1`], "exit\n");
    expect(login.stdout).toStartWith(`Last login: ${await ctime(1795413600)} from 192.0.2.7\r\n`);
    const r = record();
    expect([r.line.startsWith("pts/"), r.host, r.time >= before]).toEqual([true, "127.0.0.1", true]);
    // loginrec.c: wtmp got a USER_PROCESS record at login and a DEAD_PROCESS one (same line, no name) at logout
    const records = wtmpSince(wtmpSize);
    const mine = records.filter((x) => x.line === r.line);
    expect(mine.map((x) => [x.type, x.user, x.host, x.id])).toEqual([[7, USER, "127.0.0.1", r.line.slice(-4)], [8, "", "", r.line.slice(-4)]]);
    expect(mine[0]!.addr).toEqual([127, 0, 0, 1]);
    plant(1795413600, "pts/9", "");
    const noHost = await client("ssh", sshd.port, ["-tt", `${USER}@127.0.0.1`], "exit\n");
    expect(noHost.stdout).toStartWith(`Last login: ${await ctime(1795413600)}\r\n`);
    const command = await client("ssh", sshd.port, ["-tt", `${USER}@127.0.0.1`, "echo hi"]);
    expect(command.stdout).toBe("hi\r\n");
    writeFileSync(join(pw.home, ".hushlogin"), "");
    try {
      const hushed = await client("ssh", sshd.port, ["-tt", `${USER}@127.0.0.1`], "exit\n");
      expect(hushed.stdout).not.toContain("Last login");
    } finally {
      rmSync(join(pw.home, ".hushlogin"));
    }
    await using off = await listening(["PrintLastLog no"]);
    expect((await client("ssh", off.port, ["-tt", `${USER}@127.0.0.1`], "exit\n")).stdout).not.toContain("Last login");
    // leave wtmp as it was when only this test's logins were added to it meanwhile
    const added = wtmpSince(wtmpSize);
    if (added.every((x) => x.user === USER || (x.type === 8 && added.some((y) => y.user === USER && y.line === x.line)))) truncateSync(WTMP, wtmpSize);
  }, 60_000);
});
