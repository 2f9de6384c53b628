// glob(3) as sftp uses it, over an in-memory file system: wildcards, classes, escapes, dot files, GLOB_MARK,
// GLOB_NOCHECK, GLOB_BRACE.
import { describe, expect, test } from "bun:test";
import { escapeGlob, expandBraces, fnmatch, glob, hasMagic, type GlobFs } from "../../../core/sftp/glob.ts";

/** A tree of paths; names ending in "/" are directories. */
function memFs(paths: string[]): GlobFs<{ dir: boolean }> {
  const entries = new Map<string, { dir: boolean }>([["/", { dir: true }], [".", { dir: true }]]);
  for (const p of paths) {
    const dir = p.endsWith("/");
    const clean = dir ? p.slice(0, -1) : p;
    entries.set(clean, { dir });
    const parts = clean.split("/");
    for (let i = 1; i < parts.length; i++) entries.set(parts.slice(0, i).join("/") || "/", { dir: true });
  }
  const norm = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, "") : p);
  return {
    readdir: async (d) => {
      const dd = norm(d);
      if (!entries.get(dd)?.dir) return null;
      const prefix = dd === "/" ? "/" : dd === "." ? "" : `${dd}/`;
      const names = [".", ".."];
      for (const k of entries.keys()) {
        if (k === dd || !k.startsWith(prefix) || k === "/" || k === ".") continue;
        const rest = k.slice(prefix.length);
        if (rest !== "" && !rest.includes("/")) names.push(rest);
      }
      return names;
    },
    lstat: async (p) => entries.get(norm(p)) ?? null,
    stat: async (p) => entries.get(norm(p)) ?? null,
    isDir: (s) => s.dir,
  };
}

const fs = memFs(["/d/file", "/d/g-wild*", "/d/g-wildx", "/d/.hidden", "/d/sub/", "/d/sub/x", "/d/a[1].txt", "rel/one", "rel/two"]);

describe("fnmatch on one component (glob.c match())", () => {
  test.each([
    ["abc", "a*", true], ["abc", "*c", true], ["abc", "a?c", true], ["abc", "a?", false], ["abc", "[ab]bc", true],
    ["abc", "[!a]bc", false], ["b", "[a-c]", true], ["d", "[a-c]", false], ["a*", "a\\*", true], ["ab", "a\\*", false],
    ["[x", "[x", true], ["", "*", true], ["a]", "a]", true], ["]", "[]]", true],
  ] as const)("%s ~ %s = %s", (name, pat, want) => {
    expect(fnmatch(pat, name)).toBe(want);
  });
  test("hasMagic / escapeGlob", () => {
    expect(hasMagic("a\\*b")).toBe(false);
    expect(hasMagic("a*b")).toBe(true);
    expect(escapeGlob("/a [b]*?\\")).toBe("/a \\[b\\]\\*\\?\\\\");
  });
});

describe("glob", () => {
  test("wildcards match, sorted, dot files only with a leading dot", async () => {
    expect((await glob("/d/*", fs)).paths).toEqual(["/d/a[1].txt", "/d/file", "/d/g-wild*", "/d/g-wildx", "/d/sub"]);
    expect((await glob("/d/.h*", fs)).paths).toEqual(["/d/.hidden"]);
    expect((await glob("/*/f*", fs)).paths).toEqual(["/d/file"]);
  });
  test("escaped metacharacters match literally", async () => {
    expect((await glob("/d/g-wild\\*", fs)).paths).toEqual(["/d/g-wild*"]);
    expect((await glob("/d/a\\[1\\].txt", fs)).paths).toEqual(["/d/a[1].txt"]);
  });
  test("GLOB_MARK marks directories", async () => {
    const r = await glob("/d/s*", fs, { mark: true });
    expect(r.paths).toEqual(["/d/sub/"]);
    expect(r.matchc).toBe(1);
  });
  test("no match: nothing, or with NOCHECK the unescaped pattern", async () => {
    expect(await glob("/d/nope*", fs)).toEqual({ paths: [], stats: [], matchc: 0 });
    const r = await glob("/d/no\\*pe", fs, { nocheck: true });
    expect(r).toEqual({ paths: ["/d/no*pe"], stats: [undefined], matchc: 0 });
    expect((await glob("/d/sub", fs, { nocheck: true, mark: true })).paths).toEqual(["/d/sub/"]);
  });
  test("with GLOB_MARK a symlink's kept stat is its target's (glob.c reuses its stat buffer)", async () => {
    const linkFs: GlobFs<{ dir: boolean; link?: boolean; size: number }> = {
      readdir: async () => ["l", "dangling"],
      lstat: async (p) => (p.endsWith("/l") || p.endsWith("dangling") ? { dir: false, link: true, size: 1 } : null),
      stat: async (p) => (p.endsWith("/l") ? { dir: false, size: 3 } : null),
      isDir: (s) => s.dir,
      isLink: (s) => s.link === true,
    };
    const r = await glob("/x/*", linkFs, { mark: true });
    expect(r.paths).toEqual(["/x/dangling", "/x/l"]);
    expect(r.stats.map((s) => s?.size)).toEqual([1, 3]);
  });
  test("relative patterns stay relative", async () => {
    expect((await glob("rel/*", fs)).paths).toEqual(["rel/one", "rel/two"]);
  });
  test("braces", async () => {
    expect(expandBraces("a{b,c{d,e}}f")).toEqual(["abf", "acdf", "acef"]);
    expect(expandBraces("a{}b")).toEqual(["a{}b"]);
    expect((await glob("/d/{file,sub}", fs, { brace: true })).paths).toEqual(["/d/file", "/d/sub"]);
  });
});
