// sftp's command-line splitter, command parser, destinations and ls lines (sftp.c makeargv/parse_args, misc.c
// parse_uri, sftp-common.c ls_file), checked against what OpenSSH's sftp does with the same input.
import { describe, expect, test } from "bun:test";
import {
  fmtScaled, lsFile, makeargv, parseSftpDestination, parseSftpLine, pathStrip, SftpParseError, undoGlobEscape,
} from "../../../cmd/sftp-parse.ts";
import { formatRate, formatSize, ProgressMeter } from "../../../cmd/progress-meter.ts";

describe("makeargv", () => {
  test.each([
    ["get a b", ["get", "a", "b"]],
    ["  get   a\tb  ", ["get", "a", "b"]],
    ['get "a b" c', ["get", "a b", "c"]],
    ["get 'a b'", ["get", "a b"]],
    ["get a\\ b", ["get", "a b"]],
    ["ls a*", ["ls", "a*"]],
    ['ls "a*"', ["ls", "a\\*"]], // quoted glob characters stay escaped for the glob
    ["ls a\\*", ["ls", "a\\*"]],
    ["ls 'a\"b'", ["ls", 'a"b']],
    ['ls "a\\"b"', ["ls", 'a"b']],
    ["ls a\\\\b", ["ls", "a\\\\b"]],
    ["ls # comment", ["ls"]],
    ["ls '#x'", ["ls", "#x"]],
    ['ls "a\\*"', ["ls", "a\\\\\\*"]],
    ["", []],
  ] as const)("%j", (line, want) => {
    expect(makeargv(line)).toEqual([...want]);
  });

  test("unterminated quotes and a trailing backslash are errors", () => {
    expect(() => makeargv('get "abc')).toThrow("Unterminated quoted argument");
    expect(() => makeargv("get abc\\")).toThrow("Unterminated quoted argument");
  });

  test("too many arguments", () => {
    expect(() => makeargv(Array(200).fill("x").join(" "))).toThrow("Too many arguments.");
  });

  test("undo_glob_escape", () => {
    expect(undoGlobEscape("a\\*b\\?c\\[d\\\\e\\xf\\")).toBe("a*b?c[d\\e\\xf\\");
  });
});

describe("parse_args", () => {
  const err = (line: string): string => {
    try {
      parseSftpLine(line);
    } catch (e) {
      expect(e).toBeInstanceOf(SftpParseError);
      return (e as Error).message;
    }
    return "no error";
  };
  test("OpenSSH's messages for bad commands", () => {
    expect(err("jajaja")).toBe("Invalid command.");
    expect(err("get")).toBe("You must specify at least one path after a get command.");
    expect(err("mget")).toBe("You must specify at least one path after a mget command.");
    expect(err("get -x a")).toBe("get: Invalid flag -x");
    expect(err("rename a")).toBe("You must specify two paths after a rename command.");
    expect(err("ln -x a b")).toBe("ln: Invalid flag -x");
    expect(err("rm")).toBe("You must specify a path after a rm command.");
    expect(err("chmod abc x")).toBe("You must supply a numeric argument to the chmod command.");
    expect(err("chmod 0999 x")).toBe("You must supply a numeric argument to the chmod command.");
    expect(err("chown 12")).toBe("You must specify a path after a chown command.");
    expect(err("ls -z")).toBe("ls: Invalid flag -z");
    expect(err("pwd -x")).toBe("pwd: Invalid flag -x");
    expect(err("lumask")).toBe("You must supply a numeric argument to the lumask command.");
  });
  test("prefixes, comments and blank lines", () => {
    expect(parseSftpLine("  # c")).toEqual({ cmd: null, ignoreErrors: false, disableEcho: false });
    expect(parseSftpLine("-@")).toEqual({ cmd: null, ignoreErrors: true, disableEcho: true });
    const c = parseSftpLine("-@ put -Pr a 'b c'");
    expect(c).toMatchObject({ cmd: "put", ignoreErrors: true, disableEcho: true, pflag: true, rflag: true, path1: "a", path2: "b c" });
    try {
      parseSftpLine("- jajaja");
    } catch (e) {
      expect((e as { prefix: unknown }).prefix).toEqual({ ignoreErrors: true, disableEcho: false });
    }
  });
  test("commands are case-insensitive and aliases map", () => {
    expect(parseSftpLine("GET a")).toMatchObject({ cmd: "get", word: "get" });
    expect(parseSftpLine("bye")).toMatchObject({ cmd: "quit" });
    expect(parseSftpLine("cp a b")).toMatchObject({ cmd: "copy", path1: "a", path2: "b" });
    expect(parseSftpLine("chmod 755 f")).toMatchObject({ cmd: "chmod", nArg: 0o755, path1: "f" });
    expect(parseSftpLine("chgrp -h 100 f")).toMatchObject({ cmd: "chgrp", nArg: 100, hflag: true });
    expect(parseSftpLine("!echo hi")).toMatchObject({ cmd: "shell", rest: "echo hi" });
    expect(parseSftpLine("lls -l /tmp")).toMatchObject({ cmd: "lls", rest: "-l /tmp" });
    expect(parseSftpLine("rename -l a b")).toMatchObject({ cmd: "rename", lflag: 1 });
    expect(parseSftpLine("ls -1")).toMatchObject({ cmd: "ls", lflag: 0x0002 | 0x0008 });
    expect(parseSftpLine("ls -lt x")).toMatchObject({ cmd: "ls", lflag: 0x0001 | 0x0010, path1: "x" });
    expect(parseSftpLine("cd")).toMatchObject({ cmd: "chdir", path1: undefined });
  });
});

describe("destinations", () => {
  test.each([
    ["host", { user: undefined, host: "host", port: -1, path: undefined }],
    ["me@host", { user: "me", host: "host", port: -1, path: undefined }],
    ["me@host:/tmp/x", { user: "me", host: "host", port: -1, path: "/tmp/x" }],
    ["host:", { user: undefined, host: "host", port: -1, path: "." }],
    ["[::1]:dir", { user: undefined, host: "::1", port: -1, path: "dir" }],
    ["sftp://me@host:2222//tmp/x", { user: "me", host: "host", port: 2222, path: "/tmp/x" }],
    ["sftp://host/rel%20path", { user: undefined, host: "host", port: -1, path: "rel path" }],
    ["sftp://me;fp=x@host", { user: "me", host: "host", port: -1, path: undefined }],
  ] as const)("%s", (arg, want) => {
    expect(parseSftpDestination(arg)).toEqual(want);
  });
  // misc.c parse_uri checks the host with valid_domain(), so an IPv6 literal is refused there (OpenSSH's sftp prints
  // its usage for sftp://[::1]:22/a); `[::1]:dir` above is the way to name one.
  test.each(["sftp://@host", "sftp://host:0", "sftp://host:99999/x", "sftp://", "sftp://ho%zzst", "sftp://[::1]:22/a"])("%s is invalid", (arg) => {
    expect(parseSftpDestination(arg)).toBe("invalid");
  });
});

describe("ls -l lines", () => {
  test("ls_file with names, numbers and -h", () => {
    const now = Date.UTC(2026, 5, 1) / 1000;
    const mtime = now - 3600;
    const st = { mode: 0o100644, uid: 1000, gid: 1000, size: 1234567, mtime };
    const d = new Date(mtime * 1000);
    const when = `${["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
    expect(lsFile("f", st, false, "alice", "staff", now)).toBe(`-rw-r--r--    ? alice    staff     1234567 ${when} f`);
    expect(lsFile("f", st, false, undefined, undefined, now)).toBe(`-rw-r--r--    ? 1000     1000      1234567 ${when} f`);
    expect(lsFile("f", st, true, "a-very-long-user", "g", now)).toBe(`-rw-r--r--    ? a-very-long-user g            1.2M ${when} f`);
    const old = lsFile("d", { ...st, mode: 0o40755, mtime: now - 365 * 86400 }, false, "u", "g", now);
    expect(old).toMatch(/^drwxr-xr-x    \? u        g         1234567 [A-Z][a-z]{2} [ 0-9]\d  \d{4} d$/);
  });
  test.each([[0, "0B"], [1, "1B"], [1023, "1023B"], [1024, "1.0K"], [1536, "1.5K"], [102400, "100K"], [1048576, "1.0M"], [5 * 1024 ** 3, "5.0G"]])(
    "fmt_scaled(%i) = %s",
    (n, s) => {
      expect(fmtScaled(n)).toBe(s);
    },
  );
  test("path_strip", () => {
    expect(pathStrip("/home/u/file", "/home/u")).toBe("file");
    expect(pathStrip("/home/u/file", "/home/u/")).toBe("file");
    expect(pathStrip("/other/file", "/home/u")).toBe("/other/file");
    expect(pathStrip("/x", undefined)).toBe("/x");
  });
});

describe("progress meter", () => {
  test("format_size and format_rate", () => {
    expect(formatSize(0)).toBe("   0  ");
    expect(formatSize(9999)).toBe("9999  ");
    expect(formatSize(10000)).toBe("  10KB");
    expect(formatSize(64 * 1024 * 1024)).toBe("  64MB");
    expect(formatRate(0)).toBe("  0.0KB");
    expect(formatRate(1024 * 1024)).toBe("  1.0MB");
  });
  test("a finished transfer draws 100% and a newline", () => {
    let out = "";
    let t = 0;
    const m = new ProgressMeter({ write: (s) => (out += s), columns: () => 80, now: () => t });
    m.start("file.bin", 1000, 0);
    m.update(1000);
    t = 2;
    m.stop();
    expect(out).toContain("\rfile.bin");
    expect(out).toMatch(/100% 1000 {5}0\.5KB\/s {3}00:02 {4}\n$/);
    expect(out.split("\r").at(-1)!.length).toBeLessThanOrEqual(80);
  });
});
