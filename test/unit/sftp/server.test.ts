// The SFTP server over an in-memory stream: every request, its error paths, the extensions, -R/-P/-p, limits,
// pipelining and ordering, the log lines, and that pooled memory all comes back.
import { describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import {
  SFTP_EXTENSIONS, SFTP_MAX_READ_LENGTH, SftpStatus, encodeRequest, type SftpReply, type SftpRequest,
} from "../../../core/sftp/index.ts";
import { Reader, Writer } from "../../../core/wire/index.ts";
import { LogLevel, makeLogger } from "../../../core/log.ts";
import { codeOf, dec, enc, session, type TestSession } from "./harness.ts";

const { SSH_FX_OK: OK, SSH_FX_EOF: EOF, SSH_FX_NO_SUCH_FILE: NOENT, SSH_FX_PERMISSION_DENIED: DENIED, SSH_FX_FAILURE: FAILURE,
  SSH_FX_BAD_MESSAGE: BAD, SSH_FX_OP_UNSUPPORTED: UNSUPPORTED } = SftpStatus;

async function open(s: TestSession, path: string, pflags: number, permissions?: number): Promise<Uint8Array> {
  const r = await s.request({ type: "open", id: s.nextId(), path: enc(path), pflags, attrs: permissions === undefined ? {} : { permissions } });
  if (r.type !== "handle") throw new Error(`open ${path}: ${JSON.stringify(r)}`);
  return r.handle;
}
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
type Req = WithoutId<Exclude<SftpRequest, { type: "init" }>>;
const req = async (s: TestSession, r: Req): Promise<SftpReply> =>
  s.request({ ...r, id: s.nextId() } as SftpRequest);
const ext = (s: TestSession, name: string, build: (w: Writer) => void = () => {}): Promise<SftpReply> => {
  const w = new Writer();
  build(w);
  return req(s, { type: "extended", name, body: w.toBytes() });
};
const names = (r: SftpReply): string[] => (r.type === "name" ? r.names.map((n) => dec(n.filename)) : [`not a name: ${codeOf(r)}`]);

async function finish(s: TestSession): Promise<void> {
  const end = await s.end();
  expect(end.exitStatus).toBe(0);
  expect(s.pool.outstanding).toBe(0); // every pooled reply and gathered packet was released
  await s[Symbol.asyncDispose]();
}

describe("INIT", () => {
  test("VERSION 3 with OpenSSH's extensions in OpenSSH's order", async () => {
    const s = await session({}, false);
    const r = await s.request({ type: "init", version: 3, extensions: [] });
    expect(r).toEqual({ type: "version", version: 3, extensions: SFTP_EXTENSIONS.map(([n, v]) => [n, v]) });
    await finish(s);
  });
  test("a denied extension is not advertised", async () => {
    const s = await session({ deniedRequests: "hardlink,copy-data" }, false);
    const r = await s.request({ type: "init", version: 3, extensions: [] });
    expect(r.type === "version" && r.extensions.map(([n]) => n)).not.toContain("hardlink@openssh.com");
    expect(r.type === "version" && r.extensions.map(([n]) => n)).not.toContain("copy-data");
    await finish(s);
  });
  test("a request before INIT ends the session with 255", async () => {
    const s = await session({}, false);
    s.send(encodeRequest({ type: "stat", id: 1, path: enc(".") }).toBytes());
    expect((await s.done).exitStatus).toBe(255);
    expect(s.log).toContain("Received 17 request before init");
    await s[Symbol.asyncDispose]();
  });
});

describe("files", () => {
  test("create, write, read back, EOF, fstat, close; OpenSSH's log lines", async () => {
    const s = await session();
    const h = await open(s, "f", 0x1a, 0o644);
    expect(codeOf(await req(s, { type: "write", handle: h, offset: 0n, data: enc("hello world") }))).toBe(OK);
    expect(codeOf(await req(s, { type: "write", handle: h, offset: 6n, data: enc("WORLD") }))).toBe(OK);
    expect(codeOf(await req(s, { type: "close", handle: h }))).toBe(OK);
    expect(readFileSync(join(s.dir, "f"), "utf8")).toBe("hello WORLD");
    expect(statSync(join(s.dir, "f")).mode & 0o777).toBe(0o644 & ~process.umask());
    const r = await open(s, "f", 1);
    const d = await req(s, { type: "read", handle: r, offset: 6n, length: 100 });
    expect(d.type === "data" && dec(d.data)).toBe("WORLD");
    expect(codeOf(await req(s, { type: "read", handle: r, offset: 11n, length: 100 }))).toBe(EOF);
    const z = await req(s, { type: "read", handle: r, offset: 0n, length: 0 });
    expect(z.type === "data" && z.data.length).toBe(0); // weird, but not strictly disallowed
    const a = await req(s, { type: "fstat", handle: r });
    expect(a.type === "attrs" && a.attrs.size).toBe(11);
    expect(codeOf(await req(s, { type: "close", handle: r }))).toBe(OK);
    expect(s.log).toContain('open "f" flags WRITE,CREATE,TRUNCATE mode 0644');
    expect(s.log).toContain('close "f" bytes read 0 written 16');
    expect(s.log).toContain('close "f" bytes read 5 written 0');
    await finish(s);
    expect(s.log[0]).toBe("session opened for local user tester from [UNKNOWN]");
    expect(s.log.at(-1)).toBe("session closed for local user tester from [UNKNOWN]");
  });
  test("errors: missing file, EXCL on an existing file, bad and closed handles", async () => {
    const s = await session();
    const r = await req(s, { type: "open", path: enc("nope"), pflags: 1, attrs: {} });
    expect(r).toMatchObject({ type: "status", code: NOENT, message: "No such file" });
    expect(s.log).toContain("sent status No such file");
    writeFileSync(join(s.dir, "x"), "x");
    expect(codeOf(await req(s, { type: "open", path: enc("x"), pflags: 0x2a, attrs: {} }))).toBe(FAILURE);
    const h = await open(s, "x", 1);
    expect(codeOf(await req(s, { type: "close", handle: h }))).toBe(OK);
    expect(codeOf(await req(s, { type: "close", handle: h }))).toBe(NOENT);
    expect(codeOf(await req(s, { type: "read", handle: h, offset: 0n, length: 1 }))).toBe(FAILURE);
    expect(codeOf(await req(s, { type: "write", handle: enc("toolong"), offset: 0n, data: enc("x") }))).toBe(FAILURE);
    expect(codeOf(await req(s, { type: "fstat", handle: enc("") }))).toBe(FAILURE);
    const ro = await open(s, "x", 1);
    expect(codeOf(await req(s, { type: "write", handle: ro, offset: 0n, data: enc("y") }))).toBe(NOENT); // EBADF
    expect(codeOf(await req(s, { type: "read", handle: ro, offset: 2n ** 62n, length: 1 }))).toBe(BAD); // lseek EINVAL
    await finish(s);
    expect(s.log).toContain('forced close "x" bytes read 0 written 0');
  });
  test("READ is capped at 261120 bytes; APPEND ignores offsets", async () => {
    const s = await session();
    writeFileSync(join(s.dir, "big"), new Uint8Array(300000).fill(7));
    const h = await open(s, "big", 1);
    const d = await req(s, { type: "read", handle: h, offset: 0n, length: 300000 });
    expect(d.type === "data" && d.data.length).toBe(SFTP_MAX_READ_LENGTH);
    const w = await open(s, "log", 0x0e);
    await req(s, { type: "write", handle: w, offset: 0n, data: enc("a") });
    await req(s, { type: "write", handle: w, offset: 0n, data: enc("b") });
    expect(readFileSync(join(s.dir, "log"), "utf8")).toBe("ab");
    await finish(s);
  });
  test("stat, lstat, setstat, fsetstat", async () => {
    const s = await session();
    writeFileSync(join(s.dir, "f"), "12345");
    symlinkSync("f", join(s.dir, "l"));
    const st = await req(s, { type: "stat", path: enc("l") });
    expect(st.type === "attrs" && st.attrs.size).toBe(5);
    const ls = await req(s, { type: "lstat", path: enc("l") });
    expect(ls.type === "attrs" && (ls.attrs.permissions! & 0o170000)).toBe(0o120000);
    expect(codeOf(await req(s, { type: "stat", path: enc("missing") }))).toBe(NOENT);
    expect(codeOf(await req(s, { type: "stat", path: enc("f/x") }))).toBe(NOENT); // ENOTDIR
    expect(codeOf(await req(s, { type: "setstat", path: enc("f"), attrs: { size: 2, permissions: 0o600, atime: 1000, mtime: 2000 } }))).toBe(OK);
    const after = statSync(join(s.dir, "f"));
    expect([after.size, after.mode & 0o7777, after.mtimeMs]).toEqual([2, 0o600, 2000000]);
    expect(codeOf(await req(s, { type: "setstat", path: enc("missing"), attrs: { permissions: 0o600 } }))).toBe(NOENT);
    const h = await open(s, "f", 3);
    expect(codeOf(await req(s, { type: "fsetstat", handle: h, attrs: { size: 1, permissions: 0o640 } }))).toBe(OK);
    expect(statSync(join(s.dir, "f")).size).toBe(1);
    expect(codeOf(await req(s, { type: "fsetstat", handle: enc("nope"), attrs: {} }))).toBe(FAILURE);
    expect(s.log).toContain('set "f" mode 0600');
    expect(s.log).toContain('set "f" size 2');
    await finish(s);
  });
});

describe("READ/WRITE straight from the packet (handlers.ts handleData, taken below DEBUG1)", () => {
  // the same script at DEBUG3 (every request through the general path) and at ERROR (the fast path): same replies
  async function script(level: LogLevel, options: { readOnly?: boolean } = {}): Promise<{ replies: unknown[]; log: string[]; file: string }> {
    const log: string[] = [];
    const s = await session({ logger: makeLogger(level, (l) => log.push(l)), ...options });
    writeFileSync(join(s.dir, "big"), new Uint8Array(300000).map((_, i) => i & 0xff));
    writeFileSync(join(s.dir, "ro"), "ro");
    if (options.readOnly) writeFileSync(join(s.dir, "f"), "hello");
    const out: unknown[] = [];
    const w = await open(s, "f", options.readOnly ? 1 : 0x1a, 0o644);
    const big = await open(s, "big", 1);
    const ro = await open(s, "ro", 1);
    const ap = options.readOnly ? w : await open(s, "ap", 0x0e);
    // pipelined: all sent before any reply is read
    const batch: SftpRequest[] = [
      { type: "write", id: s.nextId(), handle: w, offset: 0n, data: enc("hello world") },
      { type: "write", id: s.nextId(), handle: w, offset: 6n, data: enc("WORLD") },
      { type: "read", id: s.nextId(), handle: w, offset: 0n, length: 5 },
      { type: "read", id: s.nextId(), handle: big, offset: 0n, length: 300000 },
      { type: "read", id: s.nextId(), handle: big, offset: 299990n, length: 100 },
      { type: "read", id: s.nextId(), handle: big, offset: 300000n, length: 100 },
      { type: "read", id: s.nextId(), handle: big, offset: 0n, length: 0 },
      { type: "read", id: s.nextId(), handle: big, offset: 2n ** 62n, length: 1 },
      { type: "read", id: s.nextId(), handle: big, offset: 2n ** 53n - 1n, length: 1 },
      { type: "read", id: s.nextId(), handle: enc("toolong"), offset: 0n, length: 1 },
      { type: "read", id: s.nextId(), handle: Uint8Array.of(0, 0, 0, 99), offset: 0n, length: 1 },
      { type: "write", id: s.nextId(), handle: ro, offset: 0n, data: enc("y") },
      { type: "write", id: s.nextId(), handle: ap, offset: 0n, data: enc("a") },
      { type: "write", id: s.nextId(), handle: ap, offset: 0n, data: enc("b") },
      { type: "write", id: s.nextId(), handle: w, offset: 2n ** 60n, data: enc("x") },
    ];
    const bytes = batch.map((r) => encodeRequest(r).toBytes());
    const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of bytes) (all.set(b, at), (at += b.length));
    let prev = 0;
    for (const cut of [1, 7, 30, 300, all.length]) { // odd chunking too
      s.send(all.subarray(prev, cut));
      prev = cut;
    }
    for (const r of batch) {
      const reply = await s.reply((r as { id: number }).id);
      out.push(reply.type === "data" ? { type: "data", id: reply.id, data: Array.from(reply.data.subarray(0, 16)), n: reply.data.length } : reply);
    }
    const end = await s.end();
    expect(end.exitStatus).toBe(0);
    expect(s.pool.outstanding).toBe(0);
    const file = readFileSync(join(s.dir, "f"), "latin1") + "|" + (options.readOnly ? "" : readFileSync(join(s.dir, "ap"), "latin1"));
    await s[Symbol.asyncDispose]();
    return { replies: out, log: log.filter((l) => / (sent status|close|process_)|^Refusing/.test(l) && !/^request /.test(l)), file };
  }
  test.each([[{}], [{ readOnly: true }]])("the same replies, files and log lines as the general path %o", async (options) => {
    const fast = await script(LogLevel.ERROR, options);
    const slow = await script(LogLevel.DEBUG3, options);
    expect(fast.replies).toEqual(slow.replies);
    expect(fast.file).toBe(slow.file);
    // ERROR keeps only the error lines; they are the general path's
    for (const l of fast.log) expect(slow.log).toContain(l);
    expect(fast.replies.length).toBe(15);
  });
  test("a WRITE whose data runs past the packet is malformed: session ends with 255 as before", async () => {
    const s = await session({ logger: makeLogger(LogLevel.ERROR, () => {}) });
    const h = await open(s, "f", 0x1a);
    const w = encodeRequest({ type: "write", id: 1, handle: h, offset: 0n, data: enc("abcdef") }).toBytes();
    const v = new DataView(w.buffer, w.byteOffset);
    v.setUint32(0, w.length - 4 - 3); // packet cut short: the data's length field says 6, 3 bytes are there
    s.send(w.subarray(0, w.length - 3));
    expect((await s.done).exitStatus).toBe(255);
  });
});

describe("directories and names", () => {
  test("opendir/readdir: . and .., longnames, EOF; errors", async () => {
    const s = await session();
    writeFileSync(join(s.dir, "a"), "aaa");
    mkdirSync(join(s.dir, "sub"));
    const h = await req(s, { type: "opendir", path: enc(".") });
    if (h.type !== "handle") throw new Error("opendir");
    const r = await req(s, { type: "readdir", handle: h.handle });
    expect(names(r).sort()).toEqual([".", "..", "a", "sub"]);
    const a = r.type === "name" ? r.names.find((n) => dec(n.filename) === "a")! : undefined;
    expect(dec(a!.longname)).toMatch(/^-rw-r--r-- +1 \S+ +\S+ +3 \w{3} [ \d]\d ( \d{4}|\d\d:\d\d) a$/);
    expect(codeOf(await req(s, { type: "readdir", handle: h.handle }))).toBe(EOF);
    expect(codeOf(await req(s, { type: "fstat", handle: h.handle }))).toBe(FAILURE); // not a file handle
    expect(codeOf(await req(s, { type: "close", handle: h.handle }))).toBe(OK);
    expect(codeOf(await req(s, { type: "opendir", path: enc("a") }))).toBe(NOENT); // ENOTDIR
    expect(codeOf(await req(s, { type: "opendir", path: enc("none") }))).toBe(NOENT);
    const f = await open(s, "a", 1);
    expect(codeOf(await req(s, { type: "readdir", handle: f }))).toBe(FAILURE);
    expect(s.log).toContain('opendir "."');
    expect(s.log).toContain('closedir "."');
    await finish(s);
  });
  test("readdir hands out at most 100 names at a time", async () => {
    const s = await session();
    for (let i = 0; i < 150; i++) writeFileSync(join(s.dir, `f${i}`), "");
    const h = await req(s, { type: "opendir", path: enc(s.dir) });
    if (h.type !== "handle") throw new Error("opendir");
    const counts: number[] = [];
    for (let r = await req(s, { type: "readdir", handle: h.handle }); r.type === "name"; r = await req(s, { type: "readdir", handle: h.handle })) counts.push(r.names.length);
    expect(counts).toEqual([100, 52]);
    await finish(s);
  });
  test("mkdir, rmdir, remove", async () => {
    const s = await session();
    expect(codeOf(await req(s, { type: "mkdir", path: enc("d"), attrs: { permissions: 0o40700 } }))).toBe(OK);
    expect(statSync(join(s.dir, "d")).mode & 0o777).toBe(0o700);
    expect(codeOf(await req(s, { type: "mkdir", path: enc("d"), attrs: {} }))).toBe(FAILURE); // EEXIST
    writeFileSync(join(s.dir, "d", "f"), "");
    expect(codeOf(await req(s, { type: "rmdir", path: enc("d") }))).toBe(FAILURE); // ENOTEMPTY
    expect(codeOf(await req(s, { type: "remove", path: enc("d/f") }))).toBe(OK);
    expect(codeOf(await req(s, { type: "remove", path: enc("d/f") }))).toBe(NOENT);
    expect(codeOf(await req(s, { type: "rmdir", path: enc("d") }))).toBe(OK);
    expect(s.log).toContain('mkdir name "d" mode 0700');
    expect(s.log).toContain('rmdir name "d"');
    expect(s.log).toContain('remove name "d/f"');
    await finish(s);
  });
  test("realpath as sftp-realpath.c: dots, symlinks, a missing last component", async () => {
    const s = await session();
    mkdirSync(join(s.dir, "a"));
    symlinkSync("a", join(s.dir, "la"));
    const rp = async (p: string) => names(await req(s, { type: "realpath", path: enc(p) }))[0];
    expect(await rp("")).toBe(s.dir);
    expect(await rp(".")).toBe(s.dir);
    expect(await rp("la/../la/./")).toBe(join(s.dir, "a"));
    expect(await rp("a/missing")).toBe(join(s.dir, "a/missing"));
    expect(await rp("/")).toBe("/");
    expect(await rp("/..")).toBe("/");
    expect(codeOf(await req(s, { type: "realpath", path: enc("missing/x") }))).toBe(NOENT);
    symlinkSync("loop", join(s.dir, "loop"));
    expect(codeOf(await req(s, { type: "realpath", path: enc("loop/x") }))).toBe(NOENT); // ELOOP
    await finish(s);
  });
  test("rename never replaces; symlink takes (target, link); readlink", async () => {
    const s = await session();
    writeFileSync(join(s.dir, "a"), "A");
    writeFileSync(join(s.dir, "b"), "B");
    expect(codeOf(await req(s, { type: "rename", oldPath: enc("a"), newPath: enc("b") }))).toBe(FAILURE);
    expect(codeOf(await req(s, { type: "rename", oldPath: enc("a"), newPath: enc("c") }))).toBe(OK);
    expect(existsSync(join(s.dir, "a"))).toBe(false);
    expect(codeOf(await req(s, { type: "rename", oldPath: enc("a"), newPath: enc("d") }))).toBe(NOENT);
    mkdirSync(join(s.dir, "dir"));
    expect(codeOf(await req(s, { type: "rename", oldPath: enc("dir"), newPath: enc("b") }))).toBe(FAILURE);
    expect(codeOf(await req(s, { type: "rename", oldPath: enc("dir"), newPath: enc("dir2") }))).toBe(OK);
    expect(codeOf(await req(s, { type: "symlink", targetPath: enc("c"), linkPath: enc("l") }))).toBe(OK);
    expect(readlinkSync(join(s.dir, "l"))).toBe("c"); // the target is link text, not resolved against the cwd
    expect(codeOf(await req(s, { type: "symlink", targetPath: enc("c"), linkPath: enc("l") }))).toBe(FAILURE); // EEXIST
    expect(names(await req(s, { type: "readlink", path: enc("l") }))).toEqual(["c"]);
    expect(codeOf(await req(s, { type: "readlink", path: enc("c") }))).toBe(BAD); // EINVAL: not a link
    expect(s.log).toContain('rename old "a" new "c"');
    expect(s.log).toContain('symlink old "c" new "l"');
    await finish(s);
  });
  test("names are bytes: a non-UTF-8 file name survives READDIR and OPEN", async () => {
    const s = await session();
    const raw = Buffer.from([0x66, 0xff, 0xfe]);
    writeFileSync(Buffer.concat([Buffer.from(s.dir + "/"), raw]), "z");
    const h = await req(s, { type: "opendir", path: enc(".") });
    if (h.type !== "handle") throw new Error("opendir");
    const r = await req(s, { type: "readdir", handle: h.handle });
    const got = r.type === "name" ? r.names.map((n) => Buffer.from(n.filename)).find((n) => n[0] === 0x66) : undefined;
    expect(got).toEqual(raw);
    const f = await req(s, { type: "open", path: raw, pflags: 1, attrs: {} });
    expect(f.type).toBe("handle");
    expect(s.log).toContain('open "f\\357\\277\\275\\357\\277\\275" flags READ mode 0666');
    await finish(s);
  });
});

describe("extensions", () => {
  test("posix-rename replaces; hardlink; fsync; statvfs; fstatvfs", async () => {
    const s = await session();
    writeFileSync(join(s.dir, "a"), "A");
    writeFileSync(join(s.dir, "b"), "B");
    expect(codeOf(await ext(s, "posix-rename@openssh.com", (w) => w.string("a").string("b")))).toBe(OK);
    expect(readFileSync(join(s.dir, "b"), "utf8")).toBe("A");
    expect(codeOf(await ext(s, "hardlink@openssh.com", (w) => w.string("b").string("h")))).toBe(OK);
    expect(lstatSync(join(s.dir, "h")).nlink).toBe(2);
    expect(codeOf(await ext(s, "hardlink@openssh.com", (w) => w.string("b").string("h")))).toBe(FAILURE);
    const h = await open(s, "b", 3);
    expect(codeOf(await ext(s, "fsync@openssh.com", (w) => w.string(h)))).toBe(OK);
    expect(codeOf(await ext(s, "fsync@openssh.com", (w) => w.string("zzzz")))).toBe(NOENT);
    for (const r of [await ext(s, "statvfs@openssh.com", (w) => w.string(".")), await ext(s, "fstatvfs@openssh.com", (w) => w.string(h))]) {
      expect(r.type).toBe("extended-reply");
      const rd = new Reader(r.type === "extended-reply" ? r.data : new Uint8Array());
      const v = Array.from({ length: 11 }, () => rd.u64());
      expect(v[0]! > 0n && v[2]! > 0n && v[10] === 255n).toBe(true);
    }
    expect(codeOf(await ext(s, "statvfs@openssh.com", (w) => w.string("missing")))).toBe(NOENT);
    expect(codeOf(await ext(s, "fstatvfs@openssh.com", (w) => w.string("zzzz")))).toBe(FAILURE);
    await finish(s);
  });
  test("lsetstat does not follow links and refuses a size", async () => {
    const s = await session();
    writeFileSync(join(s.dir, "f"), "");
    symlinkSync("f", join(s.dir, "l"));
    expect(codeOf(await ext(s, "lsetstat@openssh.com", (w) => w.string("l").u32(0x8).u32(100).u32(200)))).toBe(OK);
    expect(lstatSync(join(s.dir, "l")).mtimeMs).toBe(200000);
    expect(statSync(join(s.dir, "f")).mtimeMs).not.toBe(200000);
    expect(codeOf(await ext(s, "lsetstat@openssh.com", (w) => w.string("l").u32(0x1).u64(0n)))).toBe(BAD);
    expect(codeOf(await ext(s, "lsetstat@openssh.com", (w) => w.string("f").u32(0x4).u32(0o600)))).toBe(OK);
    expect(statSync(join(s.dir, "f")).mode & 0o777).toBe(0o600);
    await finish(s);
  });
  test("limits: 256 KiB packets, 261120-byte reads and writes, the handle limit", async () => {
    const s = await session({ maxHandles: 77 });
    const r = await ext(s, "limits@openssh.com");
    const rd = new Reader(r.type === "extended-reply" ? r.data : new Uint8Array());
    expect([rd.u64(), rd.u64(), rd.u64(), rd.u64()]).toEqual([262144n, 261120n, 261120n, 77n]);
    await finish(s);
  });
  test("expand-path: ~, ~/x, relative, ~user, an unknown user", async () => {
    const s = await session({ names: { userName: () => "root", groupName: () => "wheel", user: (n) => (n === "bob" ? { name: "bob", uid: 7, home: "/" } : undefined) } });
    mkdirSync(join(s.dir, "x"));
    const ex = async (p: string) => names(await ext(s, "expand-path@openssh.com", (w) => w.string(p)))[0];
    expect(await ex("~")).toBe(s.dir);
    expect(await ex("~/x")).toBe(join(s.dir, "x"));
    expect(await ex("x/..")).toBe(s.dir);
    expect(await ex("")).toBe(s.dir);
    expect(await ex("~bob")).toBe("/");
    expect(await ex("~bob/tmp")).toBe("/tmp");
    expect(await ext(s, "expand-path@openssh.com", (w) => w.string("~nobody"))).toMatchObject({ code: NOENT, message: "no such user" });
    await finish(s);
  });
  test("copy-data: a range, to EOF, past EOF, and never one file into itself", async () => {
    const s = await session();
    writeFileSync(join(s.dir, "src"), "0123456789".repeat(10000));
    const r = await open(s, "src", 1);
    const w = await open(s, "dst", 0x1a);
    const copy = (len: bigint, roff: bigint, woff: bigint, rh = r, wh = w) =>
      ext(s, "copy-data", (x) => x.string(rh).u64(roff).u64(len).string(wh).u64(woff));
    expect(codeOf(await copy(0n, 0n, 0n))).toBe(OK);
    expect(readFileSync(join(s.dir, "dst"), "utf8")).toBe("0123456789".repeat(10000));
    expect(codeOf(await copy(3n, 2n, 1n))).toBe(OK);
    expect(readFileSync(join(s.dir, "dst"), "utf8").slice(0, 5)).toBe("02344");
    expect(codeOf(await copy(10n, 99995n, 0n))).toBe(EOF);
    expect(codeOf(await copy(0n, 0n, 0n, r, r))).toBe(FAILURE);
    const again = await open(s, "src", 3);
    expect(codeOf(await copy(0n, 0n, 0n, r, again))).toBe(FAILURE); // same inode
    expect(codeOf(await copy(0n, 0n, 0n, r, enc("nope")))).toBe(NOENT); // EBADF
    await finish(s);
  });
  test("home-directory and users-groups-by-id", async () => {
    const s = await session({ names: { userName: (u) => (u === 0 ? "root" : undefined), groupName: (g) => (g === 0 ? "root" : undefined), user: (n) => (n === "root" ? { name: "root", uid: 0, home: "/root" } : undefined) } });
    expect(names(await ext(s, "home-directory", (w) => w.string("")))).toEqual([s.dir]);
    expect(names(await ext(s, "home-directory", (w) => w.string("root")))).toEqual(["/root"]);
    expect(codeOf(await ext(s, "home-directory", (w) => w.string("nobody-here")))).toBe(FAILURE);
    const r = await ext(s, "users-groups-by-id@openssh.com", (w) => w.string(new Writer().u32(0).u32(12345).toBytes()).string(new Writer().u32(0).toBytes()));
    const rd = new Reader(r.type === "extended-reply" ? r.data : new Uint8Array());
    const users = new Reader(rd.stringView());
    const groups = new Reader(rd.stringView());
    expect([users.string(), users.string(), groups.string()]).toEqual(["root", "", "root"]);
    await finish(s);
  });
  test("unknown requests get OP_UNSUPPORTED", async () => {
    const s = await session();
    expect(codeOf(await ext(s, "nonsense@example.com"))).toBe(UNSUPPORTED);
    expect(codeOf(await req(s, { type: "unknown", code: 99 }))).toBe(UNSUPPORTED);
    expect(s.log).toContain('Unknown extended request "nonsense@example.com"');
    await finish(s);
  });
  test("a malformed extension body ends the session (sftp-server.c fatal)", async () => {
    const s = await session();
    s.send(encodeRequest({ type: "extended", id: 5, name: "users-groups-by-id@openssh.com", body: new Writer().string("abc").string("").toBytes() }).toBytes());
    expect((await s.done).exitStatus).toBe(255);
    await s[Symbol.asyncDispose]();
  });
});

describe("policy and limits", () => {
  test("-R: writes refused, reads allowed", async () => {
    const s = await session({ readOnly: true });
    writeFileSync(join(s.dir, "f"), "x");
    expect(codeOf(await req(s, { type: "open", path: enc("f"), pflags: 2, attrs: {} }))).toBe(DENIED);
    expect(codeOf(await req(s, { type: "open", path: enc("f"), pflags: 0x11, attrs: {} }))).toBe(DENIED); // READ|TRUNC
    expect(codeOf(await req(s, { type: "remove", path: enc("f") }))).toBe(DENIED);
    expect(codeOf(await ext(s, "posix-rename@openssh.com", (w) => w.string("f").string("g")))).toBe(DENIED);
    expect((await req(s, { type: "open", path: enc("f"), pflags: 1, attrs: {} })).type).toBe("handle");
    expect(s.log).toContain("Refusing remove request in read-only mode");
    await finish(s);
  });
  test("-P denies, -p allows only its list", async () => {
    const s = await session({ deniedRequests: "stat,mkdir", allowedRequests: "stat,lstat,realpath" });
    expect(codeOf(await req(s, { type: "stat", path: enc(".") }))).toBe(DENIED);
    expect(codeOf(await req(s, { type: "lstat", path: enc(".") }))).toBe("attrs");
    expect(codeOf(await req(s, { type: "opendir", path: enc(".") }))).toBe(DENIED);
    expect(s.log).toContain("Refusing denylisted stat request");
    expect(s.log).toContain("Refusing non-allowlisted opendir request");
    await finish(s);
  });
  test("handles are bounded", async () => {
    const s = await session({ maxHandles: 2 });
    writeFileSync(join(s.dir, "f"), "");
    await open(s, "f", 1);
    await open(s, "f", 1);
    expect(codeOf(await req(s, { type: "open", path: enc("f"), pflags: 1, attrs: {} }))).toBe(FAILURE);
    expect(codeOf(await req(s, { type: "opendir", path: enc(".") }))).toBe(FAILURE);
    await finish(s);
  });
  test("a packet over 256 KiB ends the session with 11", async () => {
    const s = await session();
    s.send(new Writer().u32(256 * 1024 + 1).u8(3).toBytes());
    expect((await s.done).exitStatus).toBe(11);
    expect(s.log).toContain("bad message from UNKNOWN local user tester");
    await s[Symbol.asyncDispose]();
  });
});

describe.each(["blocking", "threaded"] as const)("pipelining (%s data I/O)", (dataIo) => {
  test("64 writes then 64 reads in one chunk each: replies in request order, data intact", async () => {
    const s = await session({ dataIo, maxInFlight: 16 });
    const h = await open(s, "p", 0x1b);
    const block = (i: number) => new Uint8Array(40000).fill(i);
    const ids: number[] = [];
    const batch = (make: (id: number, i: number) => SftpRequest) => {
      const parts = Array.from({ length: 64 }, (_, i) => {
        const id = s.nextId();
        ids.push(id);
        return encodeRequest(make(id, i)).toBytes();
      });
      s.send(Buffer.concat(parts));
    };
    batch((id, i) => ({ type: "write", id, handle: h, offset: BigInt(i * 40000), data: block(i) }));
    batch((id, i) => ({ type: "read", id, handle: h, offset: BigInt(i * 40000), length: 40000 }));
    const got = await Promise.all(ids.map((id) => s.reply(id)));
    expect(got.slice(0, 64).map(codeOf)).toEqual(Array(64).fill(OK));
    got.slice(64).forEach((r, i) => expect(r.type === "data" && r.data.every((x) => x === i)).toBe(true));
    const order = s.replies.flatMap((r) => (r.type === "version" ? [] : [r.id]));
    expect(order.slice(1)).toEqual(ids); // after the OPEN's handle
    expect(statSync(join(s.dir, "p")).size).toBe(64 * 40000);
    await finish(s);
  });
  test("a write then an overlapping read of the same bytes sees the write", async () => {
    const s = await session({ dataIo });
    const h = await open(s, "o", 0x1b);
    const w = s.nextId();
    const r = s.nextId();
    s.send(Buffer.concat([
      encodeRequest({ type: "write", id: w, handle: h, offset: 0n, data: new Uint8Array(200000).fill(9) }).toBytes(),
      encodeRequest({ type: "read", id: r, handle: h, offset: 100000n, length: 10 }).toBytes(),
    ]));
    const d = await s.reply(r);
    expect(d.type === "data" && [...d.data]).toEqual(Array(10).fill(9));
    await finish(s);
  });
});

test("a slow reader stops the server reading input: queued reply bytes stay bounded", async () => {
  let open_ = true;
  let release: () => void = () => {};
  const gate = () => (open_ ? Promise.resolve() : new Promise<void>((r) => (release = r)));
  const s = await session({ maxQueuedBytes: 1 << 20 }, true, gate);
  writeFileSync(join(s.dir, "f"), new Uint8Array(300000));
  const h = await open(s, "f", 1);
  open_ = false;
  const ids = Array.from({ length: 40 }, () => s.nextId());
  for (const id of ids) s.send(encodeRequest({ type: "read", id, handle: h, offset: 0n, length: 261120 }).toBytes());
  await Bun.sleep(50);
  expect(s.input.size).toBeGreaterThan(30); // at most 1 MiB of replies (4 or 5 reads) taken, the rest left unread
  open_ = true;
  release();
  const got = await Promise.all(ids.map((id) => s.reply(id)));
  expect(got.every((r) => r.type === "data" && r.data.length === 261120)).toBe(true);
  await finish(s);
});

test("byte-at-a-time input works the same", async () => {
  const s = await session({}, false);
  const bytes = Buffer.concat([
    encodeRequest({ type: "init", version: 3, extensions: [] }).toBytes(),
    encodeRequest({ type: "realpath", id: 1, path: enc(".") }).toBytes(),
  ]);
  for (const x of bytes) s.send(Uint8Array.of(x));
  expect(names(await s.reply(1))).toEqual([s.dir]);
  await finish(s);
});

test("permission denied maps from EACCES", async () => {
  if (process.getuid?.() === 0) return; // root reads everything
  const s = await session();
  writeFileSync(join(s.dir, "secret"), "x");
  chmodSync(join(s.dir, "secret"), 0);
  expect(codeOf(await req(s, { type: "open", path: enc("secret"), pflags: 1, attrs: {} }))).toBe(DENIED);
  await finish(s);
});
