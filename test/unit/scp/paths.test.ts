// scp operands as misc.c reads them: colon(), parse_user_host_path(), parse_uri("scp"), urldecode(), okname().
import { describe, expect, test } from "bun:test";
import { a2port, colon, okName, parseOperand, parseScpUri, parseUserHostPath } from "../../../core/scp/index.ts";

describe("colon()", () => {
  test.each([
    ["host:path", 4], ["user@host:path", 9], ["host:", 4], [":file", -1], ["a/b:c", -1], ["./host:x", -1], ["file", -1],
    ["[::1]:path", 5], ["user@[fe80::1]:p", 14], ["[::1]", -1], ["dir/[x]:y", -1], ["C:\\x", 1],
  ])("%p → %p", (s, want) => {
    expect(colon(s)).toBe(want);
  });
});

describe("parse_user_host_path()", () => {
  test.each([
    ["host:path", { user: undefined, host: "host", port: -1, path: "path" }],
    ["host:", { user: undefined, host: "host", port: -1, path: "." }],
    ["me@host:/tmp/a b", { user: "me", host: "host", port: -1, path: "/tmp/a b" }],
    ["a@b@host:x", { user: "a@b", host: "host", port: -1, path: "x" }],
    ["@host:x", { user: undefined, host: "host", port: -1, path: "x" }],
    ["[::1]:x", { user: undefined, host: "::1", port: -1, path: "x" }],
    ["u@[fe80::1%eth0]:~/f", { user: "u", host: "fe80::1%eth0", port: -1, path: "~/f" }],
    ["host:a:b", { user: undefined, host: "host", port: -1, path: "a:b" }],
  ])("%p", (s, want) => {
    expect(parseUserHostPath(s)).toEqual(want);
  });
  test("a local path is null", () => {
    expect(parseUserHostPath("./x:y")).toBeNull();
    expect(parseUserHostPath("/abs/p:q")).toBeNull();
  });
});

describe("scp:// URIs", () => {
  test.each([
    ["scp://host", { user: undefined, host: "host", port: -1, path: "." }],
    ["scp://host/", { user: undefined, host: "host", port: -1, path: "." }],
    ["scp://me@host:2222//tmp/x", { user: "me", host: "host", port: 2222, path: "/tmp/x" }],
    ["scp://me@host:2222/rel/x", { user: "me", host: "host", port: 2222, path: "rel/x" }],
    ["scp://me;fingerprint=abc@host/f", { user: "me", host: "host", port: -1, path: "f" }],
    ["scp://m%40e@host/a%20b+c", { user: "m@e", host: "host", port: -1, path: "a b c" }],
    ["scp://host:ssh/x", { user: undefined, host: "host", port: 22, path: "x" }],
  ])("%p", (s, want) => {
    expect(parseScpUri(s)).toEqual(want);
  });
  test.each(["scp://", "scp://@host/x", "scp://host:0/x", "scp://host:99999/x", "scp://ho st/x", "scp://-host/x",
    "scp://host/%00", "scp://host/%zz", "scp://a..b/x", "scp://[::1/x", "scp://host:nosuchservice/x"])("%p is invalid", (s) => {
    expect(parseScpUri(s)).toBe("invalid");
  });
  test("other schemes are not URIs", () => {
    expect(parseScpUri("sftp://host/x")).toBeNull();
    expect(parseOperand("sftp://host/x")).toEqual({ user: undefined, host: "sftp", port: -1, path: "//host/x" });
  });
});

test("a2port", () => {
  expect([a2port("22"), a2port("0"), a2port("65535"), a2port("65536"), a2port("-1"), a2port("x1"), a2port("ssh")]).toEqual([22, 0, 65535, -1, -1, -1, 22]);
});

test("okname() refuses quotes, backquotes, spaces, '#' and 8-bit user names", () => {
  expect(["root", "a.b-c_d", "x$y", "a;b"].map(okName)).toEqual([true, true, true, true]);
  expect(["a'b", 'a"b', "a`b", "a b", "a#b", "é"].map(okName)).toEqual([false, false, false, false, false, false]);
});
