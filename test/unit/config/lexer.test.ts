// misc.c's tokenizers as config parsing uses them: argv_split, strdelim (Keyword=value), convtime, a2port, hpdelim,
// percent_expand, and glob(3) for Include.
import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../../core/errors.ts";
import { a2port, argvAssemble, argvSplit, convtime, globPaths, hpdelim, percentExpand, scanScaled, splitLine, strdelim } from "../../../core/config/lexer.ts";
import { fakeFs } from "./fake-fs.ts";

describe("argv_split", () => {
  test.each([
    ["a b\tc", ["a", "b", "c"]],
    ['"a b" c', ["a b", "c"]],
    ["'a b' c", ["a b", "c"]],
    ['a"b c"d', ["ab cd"]],
    ["a\\ b c", ["a b", "c"]],
    ['"a\\"b"', ['a"b']],
    ["'it\\'s'", ["it's"]],
    ["a\\\\b", ["a\\b"]],
    ["a\\nb", ["a\\nb"]], // unrecognised escapes stay
    ['"a\\ b"', ["a\\ b"]], // \space is an escape only outside quotes
    ["a # comment", ["a"]],
    ["a#b", ["a#b"]], // # only starts a comment at the start of a word
    ['"#x" y', ["#x", "y"]],
    ["", []],
    ['""', [""]],
  ] as const)("%j", (input, want) => {
    expect(argvSplit(input, true)).toEqual([...want]);
  });
  test("an unterminated quote is an error", () => {
    expect(argvSplit('a "b', true)).toBeNull();
    expect(argvSplit("'", true)).toBeNull();
  });
  test("argv_assemble quotes words with blanks and escapes quotes", () => {
    expect(argvAssemble(["sh", "-c", "umask 0022; exec x"])).toBe('sh -c "umask 0022; exec x"');
    expect(argvSplit(argvAssemble(["a b", 'c"d', "e'f", "g\\h"]), false)).toEqual(["a b", 'c"d', "e'f", "g\\h"]);
  });
});

describe("keyword splitting (strdelim)", () => {
  test.each([
    ["Port 22", "Port", ["22"]],
    ["Port=22", "Port", ["22"]],
    ["Port = 22", "Port", ["22"]],
    ["Port\t=\t22", "Port", ["22"]],
    ["  Port 22  ", "Port", ["22"]],
    ["Port 22\f", "Port", ["22"]],
    ["Ciphers=aes128-ctr,aes256-ctr # fast ones", "Ciphers", ["aes128-ctr,aes256-ctr"]],
    ['"Port" 22', "Port", ["22"]],
  ] as const)("%j", (line, kw, args) => {
    const s = splitLine(line);
    expect(s.kind).toBe("line");
    if (s.kind === "line") expect([s.keyword, s.args]).toEqual([kw, [...args]]);
  });
  test("comments and blank lines are skipped; a keyword alone has no argument", () => {
    expect(splitLine("# Port 22").kind).toBe("empty");
    expect(splitLine("   ").kind).toBe("empty");
    expect(splitLine("").kind).toBe("empty");
    expect(splitLine("Port").kind).toBe("noarg");
    expect(splitLine("Port ").kind).toBe("noarg");
    expect(splitLine('Banner "x').kind).toBe("badquotes");
  });
  test("only one = is skipped", () => {
    expect(strdelim("a==b")).toEqual({ token: "a", rest: "=b" });
    expect(strdelim("a = = b")).toEqual({ token: "a", rest: "= b" });
  });
});

describe("values", () => {
  test.each([
    ["90", 90], ["1h30m", 5400], ["10m", 600], ["2h", 7200], ["1w", 604800], ["1d", 86400], ["1.5s", 1], ["0", 0],
    ["1s2s", -1], ["1.5m", -1], ["x", -1], ["", -1], ["-1", -1], ["10q", -1], ["99999999999", -1],
  ] as const)("convtime(%j) = %d", (s, v) => {
    expect(convtime(s)).toBe(v);
  });
  test("a2port", () => {
    expect([a2port("22"), a2port("65535"), a2port("0"), a2port("65536"), a2port("ssh"), a2port("-1"), a2port("x")]).toEqual([22, 65535, 0, -1, 22, -1, -1]);
  });
  test("hpdelim", () => {
    expect(hpdelim("host:22")).toEqual(["host", "22"]);
    expect(hpdelim("[::1]:22")).toEqual(["[::1]", "22"]);
    expect(hpdelim("host")).toEqual(["host", null]);
    expect(hpdelim("host/22")).toBeNull();
    expect(hpdelim("[::1")).toBeNull();
  });
  test("scan_scaled", () => {
    expect([scanScaled("1K"), scanScaled("1G"), scanScaled("512"), scanScaled("1.5K"), scanScaled("x")]).toEqual([1024, 1024 ** 3, 512, 1536, null]);
  });
  test("percent_expand: %% and known keys; unknown keys and a trailing % are errors with OpenSSH's text", () => {
    expect(percentExpand("/home/%u/%%/%h", { u: "fred", h: "/home/fred" })).toBe("/home/fred/%//home/fred");
    expect(() => percentExpand("%x", {})).toThrow(new ConfigError("vdollar_percent_expand: unknown key %x\npercent_expand: failed"));
    expect(() => percentExpand("abc%", {})).toThrow(new ConfigError("vdollar_percent_expand: invalid format\npercent_expand: failed"));
  });
});

describe("Include globs", () => {
  const fs = fakeFs({ "/etc/ssh/sshd_config.d/b.conf": "", "/etc/ssh/sshd_config.d/a.conf": "", "/etc/ssh/sshd_config.d/.hidden.conf": "", "/etc/ssh/sshd_config.d/c.txt": "", "/etc/ssh/x/y/z.conf": "" });
  test("sorted, wildcard does not match a leading dot, wildcards in directories", () => {
    expect(globPaths("/etc/ssh/sshd_config.d/*.conf", fs)).toEqual(["/etc/ssh/sshd_config.d/a.conf", "/etc/ssh/sshd_config.d/b.conf"]);
    expect(globPaths("/etc/ssh/sshd_config.d/[ab].conf", fs)).toEqual(["/etc/ssh/sshd_config.d/a.conf", "/etc/ssh/sshd_config.d/b.conf"]);
    expect(globPaths("/etc/ssh/*/y/*.conf", fs)).toEqual(["/etc/ssh/x/y/z.conf"]);
    expect(globPaths("/etc/ssh/sshd_config.d/?.txt", fs)).toEqual(["/etc/ssh/sshd_config.d/c.txt"]);
    expect(globPaths("/nowhere/*", fs)).toEqual([]);
    expect(globPaths("/etc/ssh/sshd_config.d/a.conf", fs)).toEqual(["/etc/ssh/sshd_config.d/a.conf"]);
  });
});
