// TAB at sftp's prompt (cmd/sftp-complete.ts, sftp.c complete()): commands, then remote or local paths by command
// and argument, with OpenSSH's quoting of what it inserts and its column listing of the choices.
import { expect, test } from "bun:test";
import { completeSftpLine, formatChoices, splitSloppy, type CompletionContext } from "../../../cmd/sftp-complete.ts";
import { fnmatch } from "../../../core/sftp/glob.ts";

const REMOTE = ["/home/u/alpha", "/home/u/alpine", "/home/u/beta", "/home/u/sub/", "/home/u/subway/", "/home/u/with space", "/home/u/sub/inner"];
const LOCAL = ["local.txt", "lib/", "lib2/"];

/** A glob over a fixed list (one directory level per pattern, as the completion patterns are). */
function fakeGlob(list: readonly string[]) {
  return async (pattern: string): Promise<string[]> => {
    const depth = pattern.split("/").length;
    return list.filter((p) => p.replace(/\/$/, "").split("/").length === depth && fnmatch(pattern, p.replace(/\/$/, ""))).sort();
  };
}

const seen: string[] = [];
const ctx: CompletionContext = {
  pwd: "/home/u",
  columns: 40,
  remoteGlob: async (p) => {
    seen.push(`remote ${p}`);
    return fakeGlob(REMOTE)(p);
  },
  localGlob: async (p) => {
    seen.push(`local ${p}`);
    return fakeGlob(LOCAL)(p);
  },
};
const complete = (line: string, cursor = line.length) => completeSftpLine(line, cursor, ctx);

test("splitSloppy: open quotes are reported, not errors", () => {
  expect(splitSloppy('get "with sp')).toEqual({ argv: ["get", "with sp"], quote: '"', terminated: false });
  expect(splitSloppy("get 'a b' c")).toEqual({ argv: ["get", "a b", "c"], quote: "", terminated: true });
  expect(splitSloppy("ls a\\ b")).toEqual({ argv: ["ls", "a b"], quote: "", terminated: true });
  expect(splitSloppy("  ")).toEqual({ argv: [], quote: "", terminated: true });
});

test("command names: unique prefix completed with a space, ambiguous ones listed", async () => {
  expect(await complete("ver")).toEqual({ insert: "sion ", display: null });
  expect(await complete("p")).toEqual({ insert: "", display: "progress  put       pwd       \n" });
  expect(await complete("lc")).toEqual({ insert: "", display: "lcd     lchdir  \n" });
  expect(await complete("lch")).toEqual({ insert: "dir ", display: null });
  expect(await complete("zz")).toEqual({ insert: "", display: null });
  // the whole table on an empty line, in OpenSSH's columns
  const all = await complete("");
  expect(all.display?.split("\n")[0]).toBe("bye       cd        chdir     chgrp     ");
  expect(all.display?.endsWith("?         \n")).toBe(true);
});

test("remote paths for get's first argument: the common stem, choices shown without the directory", async () => {
  seen.length = 0;
  expect(await complete("get al")).toEqual({ insert: "p", display: "alpha   alpine  \n" });
  expect(seen).toEqual(["remote /home/u/al*"]);
  expect(await complete("get alph")).toEqual({ insert: "a ", display: null });
  expect(await complete("ls -l s")).toEqual({ insert: "ub", display: "sub/      subway/   \n" });
  // a directory gets no space after it, so the next TAB goes inside
  expect(await complete("cd subw")).toEqual({ insert: "ay/", display: null });
  expect(await complete("cd /home/u/sub/i")).toEqual({ insert: "nner ", display: null });
});

test("spaces and quotes in names: escaped outside quotes, and a quote closed", async () => {
  expect(await complete("get w")).toEqual({ insert: "ith\\ space ", display: null });
  expect(await complete('get "wi')).toEqual({ insert: 'th space" ', display: null });
});

test("local paths for put's first argument and lcd, remote for put's second, none for a third", async () => {
  seen.length = 0;
  expect(await complete("put lo")).toEqual({ insert: "cal.txt ", display: null });
  expect(await complete("lcd li")).toEqual({ insert: "b", display: "lib/    lib2/   \n" });
  expect(await complete("put local.txt be")).toEqual({ insert: "ta ", display: null });
  expect(seen).toEqual(["local lo*", "local li*", "remote /home/u/be*"]);
  expect(await complete("put a b c")).toEqual({ insert: "", display: null });
  expect(await complete("bye x")).toEqual({ insert: "", display: null });
});

test("only at the end of a word: the cursor inside one completes nothing", async () => {
  expect(await complete("get alpha", 5)).toEqual({ insert: "", display: null });
  // at the end of the first word with more after it: the command, no second space
  expect(await complete("ver x", 3)).toEqual({ insert: "sion", display: null });
});

test("formatChoices: columns from the widest choice, the directory part cut", () => {
  expect(formatChoices(["/d/aa", "/d/bbbb", "/d/c"], 3, 20)).toBe("aa    bbbb  c     \n\n"); // a full last row: complete_display's extra newline
  expect(formatChoices(["/d/aa", "/d/bbbb", "/d/c"], 3, 12)).toBe("aa    bbbb  \nc     \n");
  expect(formatChoices(["日本", "x"], 0, 12)).toBe("日本  x     \n\n"); // padded by display width
});
