// scp.c brace_expand() and fnmatch(3): the names a legacy sink accepts for what it asked.
import { expect, test } from "bun:test";
import { BracePatternError, braceExpand, fnmatch, MAX_BRACE_EXPANSIONS } from "../../../core/scp/index.ts";

test.each([
  ["/tmp/file", ["file"]],
  ["dir/{a,b}", ["b", "a"]],
  ["{a,b}{1,2}", ["b2", "b1", "a2", "a1"]],
  ["x{a,{b,c}}", ["xc", "xb", "xa"]],
  ["find{}", ["find{}"]],
  ["a[{]b", ["a[{]b"]],
  ["a\\{b", ["a\\{b"]],
  ["{,x}y", ["xy", "y"]],
  ["d/{a/b,c}", ["c", "b"]],
])("brace_expand(%p)", (p, want) => {
  expect(braceExpand(p)).toEqual(want);
});

test.each(["{a", "a}", "{a,b", "[a", "{[}"])("brace_expand(%p) is invalid", (p) => {
  expect(() => braceExpand(p)).toThrow(BracePatternError);
});

test("an exponential pattern stops at the bound instead of exhausting memory", () => {
  expect(() => braceExpand("{a,b}".repeat(30))).toThrow(BracePatternError);
  expect(braceExpand("{a,b}".repeat(10)).length).toBe(1024);
  expect(MAX_BRACE_EXPANSIONS).toBeGreaterThanOrEqual(1024);
});

test.each([
  ["*", "anything", true], ["*.txt", "a.txt", true], ["*.txt", "a.txt.gz", false], ["a?c", "abc", true], ["a?c", "ac", false],
  ["copy.glob[123]", "copy.glob2", true], ["copy.glob[123]", "copy.glob[123]", false], ["[!a]x", "bx", true], ["[!a]x", "ax", false],
  ["[^a]x", "bx", true], ["[a-c]", "b", true], ["[a-c]", "d", false], ["[]]", "]", true], ["[a-]", "-", true], ["\\*", "*", true],
  ["\\*", "x", false], ["[", "[", true], ["a[b", "a[b", true], ["*a*b*c*", "xxaxxbxxcxx", true], ["*a*b*c*", "xxaxxcxxbxx", false],
  [".*", ".hidden", true], ["*", ".hidden", true], ["", "", true], ["", "x", false], ["**", "", true],
])("fnmatch(%p, %p) is %p", (p, s, want) => {
  expect(fnmatch(p, s)).toBe(want);
});

test("fnmatch is linear-ish on hostile patterns", () => {
  const t0 = performance.now();
  expect(fnmatch("*a".repeat(200) + "b", "a".repeat(5000))).toBe(false);
  expect(performance.now() - t0).toBeLessThan(2000);
});
