// SFTP codec: requests, replies and attributes round-trip; the framer ignores chunking; limits as OpenSSH's.
import { describe, expect, test } from "bun:test";
import { BufferPool } from "../../../core/wire/index.ts";
import {
  SFTP_MAX_MSG_LENGTH, SftpFramer, SftpProtocolError, attrsFlags, decodeReply, decodeRequest, encodeReply,
  encodeRequest, errnoToStatus, longname, pflagsText, readAttrs, strmode, writeAttrs, SftpStatus, type SftpAttrs,
  type SftpReply, type SftpRequest, type NameService, type FramedPacket,
} from "../../../core/sftp/index.ts";
import { Reader, Writer } from "../../../core/wire/index.ts";
import type { Stats } from "node:fs";

const b = (s: string) => new TextEncoder().encode(s);
const attrs: SftpAttrs = { size: 2 ** 40 + 5, uid: 1000, gid: 100, permissions: 0o100644, atime: 1, mtime: 0xffffffff };

const requests: SftpRequest[] = [
  { type: "init", version: 3, extensions: [["x@y", b("1")]] },
  { type: "open", id: 1, path: b("/tmp/f"), pflags: 0x1a, attrs },
  { type: "close", id: 2, handle: b("\x00\x00\x00\x01") },
  { type: "read", id: 3, handle: b("h"), offset: 2n ** 63n, length: 261120 },
  { type: "write", id: 4, handle: b("h"), offset: 7n, data: b("data") },
  { type: "lstat", id: 5, path: b("p") },
  { type: "fstat", id: 6, handle: b("h") },
  { type: "setstat", id: 7, path: b("p"), attrs: {} },
  { type: "fsetstat", id: 8, handle: b("h"), attrs: { permissions: 0o600 } },
  { type: "opendir", id: 9, path: b("/") },
  { type: "readdir", id: 10, handle: b("h") },
  { type: "remove", id: 11, path: b("p") },
  { type: "mkdir", id: 12, path: b("d"), attrs: { permissions: 0o755 } },
  { type: "rmdir", id: 13, path: b("d") },
  { type: "realpath", id: 14, path: b(".") },
  { type: "stat", id: 15, path: b("p") },
  { type: "rename", id: 16, oldPath: b("a"), newPath: b("b") },
  { type: "readlink", id: 17, path: b("l") },
  { type: "symlink", id: 18, targetPath: b("t"), linkPath: b("l") },
  { type: "extended", id: 19, name: "limits@openssh.com", body: new Uint8Array(0) },
  { type: "unknown", id: 20, code: 99 },
];

const replies: SftpReply[] = [
  { type: "version", version: 3, extensions: [["posix-rename@openssh.com", "1"]] },
  { type: "status", id: 1, code: 2, message: "No such file", language: "" },
  { type: "handle", id: 2, handle: b("\x00\x00\x00\x00") },
  { type: "data", id: 3, data: b("x".repeat(1000)) },
  { type: "name", id: 4, names: [{ filename: b("a"), longname: b("-rw-r--r-- 1 a a 0 Jan  1 00:00 a"), attrs }, { filename: b("b"), longname: b("b"), attrs: {} }] },
  { type: "attrs", id: 5, attrs: { ...attrs, extended: [[b("t"), b("d")]] } },
  { type: "extended-reply", id: 6, data: b("12345678") },
];

describe("round trips", () => {
  test.each(requests.map((r) => [r.type, r] as const))("request %s", (_t, req) => {
    const bytes = encodeRequest(req).toBytes();
    expect(new DataView(bytes.buffer).getUint32(0)).toBe(bytes.length - 4);
    expect(decodeRequest(bytes.subarray(4))).toEqual(req);
  });
  test.each(replies.map((r) => [r.type, r] as const))("reply %s", (_t, rep) => {
    const bytes = encodeReply(rep).toBytes();
    expect(decodeReply(bytes.subarray(4))).toEqual(rep);
  });
  test("attributes: fields follow their flags, in order", () => {
    const w = new Writer();
    writeAttrs(w, { permissions: 0o755, atime: 5, mtime: 6 });
    expect([...w.toBytes()]).toEqual([0, 0, 0, 0x0c, 0, 0, 0x01, 0xed, 0, 0, 0, 5, 0, 0, 0, 6]);
    expect(attrsFlags({ uid: 1 })).toBe(0); // uid without gid is not UIDGID
    expect(readAttrs(new Reader(w.toBytes()))).toEqual({ permissions: 0o755, atime: 5, mtime: 6 });
  });
  test("too many extended attributes are refused (sftp-common.c: > 0x100000)", () => {
    const w = new Writer().u32(0x80000000).u32(0x100001);
    expect(() => readAttrs(new Reader(w.toBytes()))).toThrow(SftpProtocolError);
  });
  test("a truncated request is an SftpProtocolError", () => {
    const bytes = encodeRequest(requests[1]!).toBytes();
    for (let n = 1; n < bytes.length - 4; n++) expect(() => decodeRequest(bytes.subarray(4, 4 + n))).toThrow(SftpProtocolError);
  });
  test("SYMLINK keeps OpenSSH's order on the wire: target first", () => {
    const bytes = encodeRequest({ type: "symlink", id: 1, targetPath: b("T"), linkPath: b("L") }).toBytes();
    expect(new TextDecoder().decode(bytes.subarray(9))).toBe("\x00\x00\x00\x01T\x00\x00\x00\x01L");
  });
});

describe("framer", () => {
  const packets = requests.map((r) => encodeRequest(r).toBytes());
  const stream = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
  packets.reduce((off, p) => (stream.set(p, off), off + p.length), 0);
  test.each([1, 2, 3, 7, 64, 100000])("chunks of %i bytes give the same packets", (size) => {
    const pool = new BufferPool({ checked: true });
    const f = new SftpFramer(pool);
    const out: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += size) {
      f.push(stream.slice(i, i + size));
      for (let p = f.next(); p !== null; p = f.next()) {
        out.push(p.payload.slice());
        p.lease.release();
      }
    }
    expect(out).toEqual(packets.map((p) => p.subarray(4)));
    expect(pool.outstanding).toBe(0);
  });
  test("a chunk is handed back once no packet borrows from it", () => {
    const freed: Uint8Array[] = [];
    const f = new SftpFramer(new BufferPool(), undefined, (c) => freed.push(c));
    f.push(stream);
    const held: FramedPacket[] = [];
    for (let p = f.next(); p !== null; p = f.next()) held.push(p);
    expect(freed).toEqual([]);
    for (const p of held) p.lease.release();
    expect(freed.length).toBe(1);
    expect(() => held[0]!.lease.release()).toThrow();
  });
  test("a length over SFTP_MAX_MSG_LENGTH ends the stream (sftp-server exits 11)", () => {
    const f = new SftpFramer(new BufferPool());
    const w = new Writer().u32(SFTP_MAX_MSG_LENGTH + 1);
    f.push(w.toBytes());
    expect(() => f.next()).toThrow(expect.objectContaining({ tooLong: true }));
    const ok = new SftpFramer(new BufferPool());
    ok.push(new Writer().u32(SFTP_MAX_MSG_LENGTH).toBytes());
    expect(ok.next()).toBeNull(); // allowed, waits for the body
  });
});

describe("OpenSSH's tables", () => {
  test("errno_to_portable", () => {
    expect(["ENOENT", "ENOTDIR", "EBADF", "ELOOP"].map(errnoToStatus)).toEqual(Array(4).fill(SftpStatus.SSH_FX_NO_SUCH_FILE));
    expect(["EPERM", "EACCES", "EFAULT"].map(errnoToStatus)).toEqual(Array(3).fill(SftpStatus.SSH_FX_PERMISSION_DENIED));
    expect(["ENAMETOOLONG", "EINVAL"].map(errnoToStatus)).toEqual(Array(2).fill(SftpStatus.SSH_FX_BAD_MESSAGE));
    expect(errnoToStatus("ENOSYS")).toBe(SftpStatus.SSH_FX_OP_UNSUPPORTED);
    expect(["EEXIST", "ENOSPC", "EISDIR", "EXDEV", undefined].map(errnoToStatus)).toEqual(Array(5).fill(SftpStatus.SSH_FX_FAILURE));
  });
  test("string_from_portable", () => {
    expect(pflagsText(0x1a)).toBe("WRITE,CREATE,TRUNCATE");
    expect(pflagsText(0x3f)).toBe("READ,WRITE,APPEND,CREATE,TRUNCATE,EXCL");
    expect(pflagsText(0)).toBe("");
  });
  test("strmode", () => {
    expect(strmode(0o100644)).toBe("-rw-r--r-- ");
    expect(strmode(0o41777)).toBe("drwxrwxrwt ");
    expect(strmode(0o104755)).toBe("-rwsr-xr-x ");
    expect(strmode(0o102644)).toBe("-rw-r-Sr-- ");
    expect(strmode(0o120777)).toBe("lrwxrwxrwx ");
  });
  test("ls_file longname: recent and old dates, padded owner/group", () => {
    const names: NameService = { userName: (u) => (u === 0 ? "root" : undefined), groupName: () => undefined, user: () => undefined };
    const now = new Date(2026, 10, 23, 12, 0).getTime();
    const st = { mode: 0o100644, nlink: 1, uid: 0, gid: 1234, size: 928, mtimeMs: new Date(2026, 9, 2, 11, 59).getTime() } as Stats;
    expect(longname("foo", st, names, now)).toBe("-rw-r--r--    1 root     1234          928 Oct  2 11:59 foo");
    const old = { ...st, mtimeMs: new Date(2020, 0, 13, 18, 39).getTime() } as Stats;
    expect(longname("foo", old, names, now)).toBe("-rw-r--r--    1 root     1234          928 Jan 13  2020 foo");
  });
});
