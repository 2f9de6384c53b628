// match.c and addrmatch.c: wildcards, pattern-lists with negation, CIDR lists (regress/addrmatch.sh's cases), and
// kex_assemble_names for algorithm lists.
import { describe, expect, test } from "bun:test";
import { addrMatchList, assembleNames, matchHostname, matchPattern, matchPatternList, parseAddress } from "../../../core/config/match.ts";

describe("patterns", () => {
  test.each([
    ["server1", "server*", true], ["server1", "server?", true], ["server12", "server?", false], ["a.example.org", "*.example.org", true],
    ["example.org", "*.example.org", false], ["", "*", true], ["abc", "a*c", true], ["ac", "a*c", true], ["abxbyd", "a*b?d", true], ["abcbd", "a*b?d", false], ["x", "", false],
  ] as const)("%j ~ %j = %j", (s, p, want) => {
    expect(matchPattern(s, p)).toBe(want);
  });
  test("pattern-lists: a negated match wins over a positive one, and needs a positive one to match", () => {
    expect(matchPatternList("a.org", "*.org,!gamma.org")).toBe(1);
    expect(matchPatternList("gamma.org", "*.org,!gamma.org")).toBe(-1);
    expect(matchPatternList("gamma.org", "!gamma.org")).toBe(-1);
    expect(matchPatternList("beta.org", "!gamma.org")).toBe(0);
    expect(matchPatternList("x", "a,b,")).toBe(0);
  });
  test("host names match case-insensitively", () => {
    expect(matchHostname("HOST.Example.ORG", "*.example.org")).toBe(1);
    expect(matchPatternList("HOST", "host")).toBe(0);
  });
});

describe("addr_match_list (regress/addrmatch.sh)", () => {
  const list = "192.168.0.0/16,!192.168.30.0/24,10.0.0.0/8,host.example.com";
  test.each([
    ["192.168.0.1", 1], ["192.168.30.1", -1], ["19.0.0.1", 0], ["10.255.255.254", 1], ["1.1.1.1", 0],
  ] as const)("%s", (addr, want) => {
    expect(addrMatchList(addr, list)).toBe(want);
  });
  test("IPv6 networks and negation", () => {
    expect(addrMatchList("::1", "::1")).toBe(1);
    expect(addrMatchList("::2", "!::2,::/0")).toBe(-1);
    expect(addrMatchList("2000::1", "2000::/16")).toBe(1);
    expect(addrMatchList("2001::1", "2000::/16")).toBe(0);
    expect(addrMatchList("::ffff:1.2.3.4", "::ffff:0:0/96")).toBe(1);
  });
  test("wildcards apply to the address text; names never match an address", () => {
    expect(addrMatchList("192.168.1.7", "192.168.1.*")).toBe(1);
    expect(addrMatchList("192.168.1.7", "*,!192.168.1.0/24")).toBe(-1);
    expect(addrMatchList("10.1.1.1", "*,!192.168.1.0/24")).toBe(1);
  });
  test("malformed lists: an empty entry or host bits set beyond the mask", () => {
    expect(addrMatchList(null, "10.0.0.0/8,")).toBe(-2);
    expect(addrMatchList("10.0.0.1", "10.0.0.1/8")).toBe(-2);
    expect(addrMatchList(null, "10.0.0.0/33")).toBe(-2);
    expect(addrMatchList(null, "10.0.0.0/8")).toBe(0);
  });
  test("address parsing", () => {
    expect(parseAddress("256.1.1.1")).toBeNull();
    expect(parseAddress("1::2::3")).toBeNull();
    expect(parseAddress("fe80::1")?.family).toBe(6);
    expect(parseAddress("1.2.3.4")?.family).toBe(4);
  });
});

describe("kex_assemble_names", () => {
  const all = ["a-ctr", "b-ctr", "c-gcm", "d-cbc"];
  const def = ["c-gcm", "a-ctr"];
  test.each([
    [null, ["c-gcm", "a-ctr"]],
    ["+d-cbc", ["c-gcm", "a-ctr", "d-cbc"]],
    ["+a-ctr", ["c-gcm", "a-ctr"]],
    ["-*-ctr", ["c-gcm"]],
    ["-c-gcm", ["a-ctr"]],
    ["^d-cbc", ["d-cbc", "c-gcm", "a-ctr"]],
    ["^a-ctr", ["a-ctr", "c-gcm"]],
    ["b-ctr,a-ctr", ["b-ctr", "a-ctr"]],
    ["*-ctr", ["a-ctr", "b-ctr"]],
  ] as const)("%j", (spec, want) => {
    expect(assembleNames(spec, def, all)).toEqual([...want]);
  });
  test("nothing left, or a negation in a positive list, is an error", () => {
    expect(assembleNames("x", def, all)).toBeNull();
    expect(assembleNames("a-ctr,!b-ctr", def, all)).toBeNull();
  });
});
