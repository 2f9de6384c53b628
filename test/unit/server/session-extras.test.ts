// session.c helpers (IS_INTERNAL_SFTP, argv_split, safely_chroot's checks) and the lastlog / utmp record formats.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { argvSplit, isInternalSftp } from "../../../core/server/session.ts";
import { chrootProblem } from "../../../core/server/session-child.ts";
import { lastLoginMessage, readLastLog, writeLastLog } from "../../../core/server/lastlog.ts";
import { encodeUtmp } from "../../../core/server/wtmp.ts";
import { silentLogger } from "../../../core/log.ts";

test("IS_INTERNAL_SFTP: the name alone or followed by a blank", () => {
  expect(["internal-sftp", "internal-sftp -d /", "internal-sftp\t-l INFO"].map(isInternalSftp)).toEqual([true, true, true]);
  expect(["internal-sftpx", "/usr/lib/openssh/sftp-server", " internal-sftp"].map(isInternalSftp)).toEqual([false, false, false]);
});

test("argv_split: blanks, quotes and backslashes", () => {
  expect(argvSplit("internal-sftp -d %u  -l INFO")).toEqual(["internal-sftp", "-d", "%u", "-l", "INFO"]);
  expect(argvSplit(`internal-sftp -d "/srv/my dir" -P 'remove,rename'`)).toEqual(["internal-sftp", "-d", "/srv/my dir", "-P", "remove,rename"]);
  expect(argvSplit("a\\ b c\\\"d")).toEqual(["a b", 'c"d']);
  expect(argvSplit("   ")).toEqual([]);
  expect(argvSplit("internal-sftp -R # read-only")).toEqual(["internal-sftp", "-R"]);
});

test("safely_chroot's checks name the first bad component in OpenSSH's words", () => {
  expect(chrootProblem("relative")).toBe("chroot path does not begin at root");
  expect(chrootProblem("/")).toBeNull();
  expect(chrootProblem("/usr/lib")).toBeNull();
  if (statSync("/tmp").mode & 0o022) expect(chrootProblem("/tmp/x")).toBe('bad ownership or modes for chroot directory component "/tmp/"');
  expect(chrootProblem("/nonexistent-sshbox")).toBe('safely_chroot: stat("/nonexistent-sshbox"): No such file or directory');
  expect(chrootProblem("/etc/passwd")).toBe('chroot path "/etc/passwd" is not a directory');
});

test("lastlog: 292-byte records by uid, ctime in the message, a missing record means never", () => {
  const dir = mkdtempSync(join(tmpdir(), "sshbox-lastlog-"));
  try {
    const file = join(dir, "lastlog");
    writeFileSync(file, "");
    expect(readLastLog(3, file)).toEqual({ time: 0, line: "", host: "" });
    expect(lastLoginMessage(readLastLog(3, file))).toBe("");
    writeLastLog(3, "/dev/pts/7", "192.0.2.1", 1795413600, silentLogger, file);
    expect(statSync(file).size).toBe(4 * 292);
    expect(readLastLog(3, file)).toEqual({ time: 1795413600, line: "pts/7", host: "192.0.2.1" });
    const d = new Date(1795413600 * 1000);
    const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getDay()];
    expect(lastLoginMessage(readLastLog(3, file))).toStartWith(`Last login: ${day} `);
    expect(lastLoginMessage(readLastLog(3, file))).toEndWith(` ${d.getFullYear()} from 192.0.2.1\r\n`);
    expect(lastLoginMessage({ time: 1795413600, line: "", host: "" })).not.toContain(" from ");
    expect(readLastLog(0, join(dir, "missing"))).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("struct utmp as construct_utmp fills it: login with name, host and address; logout with the line only", () => {
  const login = encodeUtmp({ type: "login", pid: 4242, tty: "/dev/pts/12", user: "fred", host: "10.0.0.9", address: "::ffff:10.0.0.9", ms: 1795413600123 });
  const v = new DataView(login.buffer);
  const text = (o: number, n: number) => new TextDecoder().decode(login.subarray(o, o + n)).replace(/\0+$/, "");
  expect([login.length, v.getInt16(0, true), v.getInt32(4, true), text(8, 32), text(40, 4), text(44, 32), text(76, 256)]).toEqual([384, 7, 4242, "pts/12", "s/12", "fred", "10.0.0.9"]);
  expect([v.getInt32(340, true), v.getInt32(344, true), [...login.subarray(348, 352)]]).toEqual([1795413600, 123000, [10, 0, 0, 9]]);
  const logout = encodeUtmp({ type: "logout", pid: 4242, tty: "pts/12", user: "fred", host: "10.0.0.9", address: "2001:db8::1", ms: 0 });
  expect([new DataView(logout.buffer).getInt16(0, true), logout.subarray(44, 332).every((b) => b === 0), logout.subarray(348, 364).every((b) => b === 0)]).toEqual([8, true, true]);
  const v6 = encodeUtmp({ type: "login", pid: 1, tty: "pts/1", user: "a", host: "h", address: "2001:db8::1", ms: 0 });
  expect([...v6.subarray(348, 364)]).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
});
