// sshd's syslog lines: glibc's datagram format, log.c's priorities, and a missing socket that must not matter.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogLevel, makeLogger } from "../../../core/log.ts";
import { formatSyslog, openSyslog, SYSLOG_FACILITIES, syslogSeverity } from "../../../core/server/syslog.ts";
import { syslogSocket } from "../../helpers/syslog-socket.ts";

const dir = mkdtempSync(join(tmpdir(), "sshbox-syslog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("formatSyslog", () => {
  test("<PRI>, the local time as %h %e %T, ident[pid]: message", () => {
    const when = new Date(2026, 0, 5, 7, 8, 9);
    expect(formatSyslog(SYSLOG_FACILITIES.AUTH!, LogLevel.INFO, "sshd", 42, "Accepted password for fred", when))
      .toBe("<38>Jan  5 07:08:09 sshd[42]: Accepted password for fred");
    expect(formatSyslog(SYSLOG_FACILITIES.LOCAL7!, LogLevel.ERROR, "sshd", 1, "x", new Date(2026, 10, 23, 23, 59, 0)))
      .toBe("<187>Nov 23 23:59:00 sshd[1]: x");
  });
  test.each([
    [LogLevel.FATAL, 2], [LogLevel.ERROR, 3], [LogLevel.INFO, 6], [LogLevel.VERBOSE, 6],
    [LogLevel.DEBUG1, 7], [LogLevel.DEBUG2, 7], [LogLevel.DEBUG3, 7],
  ] as const)("log.c priority of level %i is %i", (level, severity) => {
    expect(syslogSeverity(level)).toBe(severity);
  });
  test("facility codes as syslog.h", () => {
    expect([SYSLOG_FACILITIES.DAEMON, SYSLOG_FACILITIES.USER, SYSLOG_FACILITIES.AUTH, SYSLOG_FACILITIES.AUTHPRIV, SYSLOG_FACILITIES.LOCAL0])
      .toEqual([24, 8, 32, 80, 128]);
  });
});

describe("openSyslog", () => {
  test("datagrams reach the socket, with the logger's prefixes and levels", () => {
    const sock = syslogSocket(join(dir, "log"));
    try {
      const w = openSyslog("sshd", SYSLOG_FACILITIES.DAEMON!, sock.path, 777);
      const log = makeLogger(LogLevel.DEBUG1, (line, level) => w.write(level, line));
      log.info("Server listening on 0.0.0.0 port 22.");
      log.error("PAM: Authentication failure for fred from 127.0.0.1");
      log.debug("y");
      log.debug2("not at this level");
      w.close();
      const got = sock.drain().map((d) => d.replace(/^(<\d+>)\w{3} [ \d]\d \d\d:\d\d:\d\d /, "$1"));
      expect(got).toEqual(["<30>sshd[777]: Server listening on 0.0.0.0 port 22.", "<27>sshd[777]: error: PAM: Authentication failure for fred from 127.0.0.1", "<31>sshd[777]: debug1: y"]);
    } finally {
      sock.close();
    }
  });
  test("lines are cut at 500 characters, as log.c's %.500s", () => {
    const sock = syslogSocket(join(dir, "log500"));
    try {
      const w = openSyslog("sshd", SYSLOG_FACILITIES.AUTH!, sock.path, 1);
      w.write(LogLevel.INFO, "x".repeat(700));
      w.close();
      expect(sock.drain()[0]!.split(": ")[1]!.length).toBe(500);
    } finally {
      sock.close();
    }
  });
  test("a missing socket drops lines without an error", () => {
    const w = openSyslog("sshd", SYSLOG_FACILITIES.AUTH!, join(dir, "missing", "log"));
    expect(() => {
      for (let i = 0; i < 3; i++) w.write(LogLevel.INFO, "dropped");
      w.close();
    }).not.toThrow();
  });
});
