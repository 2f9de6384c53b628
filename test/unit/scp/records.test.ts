// The legacy protocol's control records (scp.c sink()): every field check and OpenSSH's SCREWUP wording.
import { expect, test } from "bun:test";
import { formatDirRecord, formatFileRecord, formatTimesRecord, parseSinkRecord, visLog, visTerminal } from "../../../core/scp/index.ts";

const rec = (s: string) => parseSinkRecord(Buffer.from(s, "utf8"));

test("C, D, E and T records", () => {
  expect(rec("C0644 12 name with spaces\n")).toEqual({ kind: "file", mode: 0o644, size: 12, name: "name with spaces" });
  expect(rec("D0755 0 dir\n")).toEqual({ kind: "dir", mode: 0o755, size: 0, name: "dir" });
  expect(rec("C6755 0 x")).toEqual({ kind: "file", mode: 0o6755, size: 0, name: "x" });
  expect(rec("E\n")).toEqual({ kind: "end" });
  expect(rec("T1700000000 0 1600000000 0\n")).toEqual({ kind: "times", mtimeSec: 1700000000, atimeSec: 1600000000, inRange: true });
  expect(rec("T99999999999999999999 0 1 0\n")).toMatchObject({ kind: "times", inRange: false });
  expect(rec("\x01scp: x: No such file or directory\n")).toEqual({ kind: "error", fatal: false, message: "scp: x: No such file or directory\n" });
  expect(rec("\x02fatal\n")).toEqual({ kind: "error", fatal: true, message: "fatal\n" });
});

test.each([
  ["C755 2 file", "bad mode"], ["C07x5 2 f", "bad mode"], ["C0644", "mode not delimited"], ["C0644x2 f", "mode not delimited"],
  ["C0644  2 f", "size not present"], ["C0644 -2 f", "size not present"], ["C0644 2x f", "size not delimited"],
  ["C0644 2", "size not delimited"], ["C0644 9223372036854775808 f", "size out of range"],
  ["C0644 99999999999999999999999999 f", "size out of range"], ["C0644 9007199254740993 f", "size out of range"],
  ["T", "mtime.sec not present"], ["Tx", "mtime.sec not present"], ["T1", "mtime.sec not delimited"],
  ["T1 x", "mtime.usec not delimited"], ["T1 1000000 2 0", "mtime.usec not delimited"], ["T1 -1 2 0", "mtime.usec not delimited"],
  ["T1 0 x", "atime.sec not present"], ["T1 0 2", "atime.sec not delimited"], ["T1 0 2 0 ", "atime.usec not delimited"],
  ["T1 0 2 x", "atime.usec not delimited"],
])("%p → protocol error: %s", (line, why) => {
  expect(rec(`${line}\n`)).toEqual({ kind: "protocol-error", why });
});

test.each(["C0644 2 ", "C0644 2 .", "C0644 2 ..", "D0755 0 a/b", "D0755 0 /abs", "D0755 0 ../../x"])("%p: unexpected filename", (line) => {
  expect(rec(`${line}\n`).kind).toBe("bad-name");
});

test("anything else is unexpected (a shell's 'No match.' on the first line)", () => {
  expect(rec("No match.\n")).toEqual({ kind: "unexpected", text: "No match." });
  expect(rec("X\n")).toEqual({ kind: "unexpected", text: "X" });
});

test("records we send", () => {
  expect(formatFileRecord(0o100644, 5, "a b")).toBe("C0644 5 a b\n");
  expect(formatFileRecord(0o104755, 0, "s")).toBe("C4755 0 s\n");
  expect(formatFileRecord(0o101777, 0, "t")).toBe("C0777 0 t\n"); // no sticky bit (FILEMODEMASK)
  expect(formatDirRecord(0o40700, "d")).toBe("D0700 0 d\n");
  expect(formatDirRecord(0o40755, "x".repeat(2000))).toBe(`D0755 0 ${"x".repeat(1024)}\n`);
  expect(formatTimesRecord(1700000000, -5)).toBe("T1700000000 0 0 0\n");
  for (const [m, s, n] of [[0o644, 0, "f"], [0o6777, 2 ** 40, "ü name"]] as const) {
    expect(rec(formatFileRecord(m, s, n))).toEqual({ kind: "file", mode: m, size: s, name: n });
  }
});

test("peer text on our terminal: control characters escaped, newline and tab kept", () => {
  expect(visTerminal("a\x1b[31mb\x07\n\tc\x7f")).toBe("a\\033[31mb\\007\n\tc\\177");
  expect(visTerminal("héllo")).toBe("héllo");
});

test("log lines as log.c writes them: non-ASCII and control bytes in octal", () => {
  expect(visLog("/tmp/ü: No such file\t\x1b[31m")).toBe("/tmp/\\303\\274: No such file\t\\033[31m");
});

test("a name that is not UTF-8 keeps its bytes (surrogate escapes), and is shown in octal", () => {
  const raw = Buffer.concat([Buffer.from("C0644 1 caf"), Buffer.from([0xe9]), Buffer.from("\n")]);
  const r = parseSinkRecord(raw);
  expect(r).toEqual({ kind: "file", mode: 0o644, size: 1, name: "caf\udce9" });
  expect(visTerminal("caf\udce9: x")).toBe("caf\\351: x");
  expect(visLog("caf\udce9")).toBe("caf\\351");
});
