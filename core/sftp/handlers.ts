// What each SFTP request does (sftp-server.c process_*): file-system calls, errno → SSH_FX_* status, and OpenSSH's
// log lines at its levels. Handlers return the reply packet; data replies are read straight into pooled memory.
// File I/O is synchronous node:fs by default: `bun bench/sftp-server.ts --fs` (page cache, 2 cores, MiB/s) gave
// pread 32 KiB 3000-6800 / 255 KiB 7300-9600, fs/promises one at a time 700-1800 / 4200-5700, eight at a time
// 3900-4500 / 7400-8500, Bun.file().slice() 560-1100 / 2600-4500; pwrite sync 750-2500 / 1560-3200 vs fs/promises
// 700-1400 / 1700-1760; and whole transfers cost about twice the server CPU when threaded.
import {
  closeSync, fchmodSync, fchownSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, linkSync, lchownSync, lstatSync,
  lutimesSync, mkdirSync, openSync, readSync, readdirSync, readlinkSync, renameSync, rmdirSync, statSync, statfsSync,
  symlinkSync, truncateSync, unlinkSync, utimesSync, writeSync, chmodSync, chownSync, read as readCb, write as writeCb,
  accessSync, constants, type Stats,
} from "node:fs";
import { escapeForLog, LogLevel } from "../log.ts";
import { longname, statToAttrs } from "./attrs.ts";
import { attrsFlags, beginPacket, endPacket, readAttrs, writeAttrs, SftpReader, type SftpAttrs, type SftpRequest } from "./codec.ts";
import { SftpProtocolError, SftpStatusError, statusOf } from "./errors.ts";
import { displayPath, fsPath, latin1FromText, pathFromBytes, sftpRealpath } from "./paths.ts";
import {
  SFTP_EXTENSIONS, SFTP_MAX_MSG_LENGTH, SFTP_MAX_READ_LENGTH, SSH_FILEXFER_VERSION, SSH_FXE_STATVFS_ST_RDONLY,
  SSH_FXF_APPEND, SSH_FXF_CREAT, SSH_FXF_EXCL, SSH_FXF_READ, SSH_FXF_TRUNC, SSH_FXF_WRITE, SSH_FXP_ATTRS,
  SSH_FXP_CLOSE, SSH_FXP_DATA, SSH_FXP_EXTENDED_REPLY, SSH_FXP_FSETSTAT, SSH_FXP_FSTAT, SSH_FXP_HANDLE, SSH_FXP_LSTAT,
  SSH_FXP_MKDIR, SSH_FXP_NAME, SSH_FXP_OPEN, SSH_FXP_OPENDIR, SSH_FXP_READ, SSH_FXP_READDIR, SSH_FXP_READLINK,
  SSH_FXP_REALPATH, SSH_FXP_REMOVE, SSH_FXP_RENAME, SSH_FXP_RMDIR, SSH_FXP_SETSTAT, SSH_FXP_STAT, SSH_FXP_STATUS,
  SSH_FXP_SYMLINK, SSH_FXP_VERSION, SSH_FXP_WRITE, SftpStatus, statusMessage,
} from "./protocol.ts";
import type { ReplyPacket, SessionContext } from "./server.ts";
import type { Lease } from "../wire/index.ts";
import { keepOutOfFtl } from "../jit.ts";

/** An open file (sftp-server.c struct Handle, HANDLE_FILE). */
export interface FileEntry {
  readonly kind: "file";
  readonly fd: number;
  /** The path as the client gave it (for log lines and copy-data's same-file check). */
  readonly name: string;
  /** The path made absolute against the session cwd (for fstatvfs). */
  readonly path: string;
  readonly append: boolean;
  /** dev:ino, so the scheduler sees two handles of one file as one. */
  readonly key: string;
  bytesRead: number;
  bytesWritten: number;
}

/** An open directory (HANDLE_DIR): its names are read at OPENDIR and handed out 100 at a time. */
export interface DirEntry {
  readonly kind: "dir";
  readonly name: string;
  readonly path: string;
  readonly entries: string[];
  pos: number;
}

/** The handle table: a handle is the 4-byte big-endian index of its entry, reused after CLOSE like OpenSSH's. */
export interface HandleTable {
  readonly entries: (FileEntry | DirEntry | undefined)[];
  readonly free: number[];
  count: number;
}

/** A request row: its name for -P/-p/-Q, its type, and whether -R refuses it (sftp-server.c handlers[]). */
export interface HandlerRow {
  readonly name: string;
  readonly type: SftpRequest["type"];
  readonly code: number;
  readonly doesWrite: boolean;
}

/** sftp-server.c handlers[], in its order (`-Q requests` prints this order). OPEN checks -R itself. */
export const HANDLERS: readonly HandlerRow[] = [
  { name: "open", type: "open", code: SSH_FXP_OPEN, doesWrite: false },
  { name: "close", type: "close", code: SSH_FXP_CLOSE, doesWrite: false },
  { name: "read", type: "read", code: SSH_FXP_READ, doesWrite: false },
  { name: "write", type: "write", code: SSH_FXP_WRITE, doesWrite: true },
  { name: "lstat", type: "lstat", code: SSH_FXP_LSTAT, doesWrite: false },
  { name: "fstat", type: "fstat", code: SSH_FXP_FSTAT, doesWrite: false },
  { name: "setstat", type: "setstat", code: SSH_FXP_SETSTAT, doesWrite: true },
  { name: "fsetstat", type: "fsetstat", code: SSH_FXP_FSETSTAT, doesWrite: true },
  { name: "opendir", type: "opendir", code: SSH_FXP_OPENDIR, doesWrite: false },
  { name: "readdir", type: "readdir", code: SSH_FXP_READDIR, doesWrite: false },
  { name: "remove", type: "remove", code: SSH_FXP_REMOVE, doesWrite: true },
  { name: "mkdir", type: "mkdir", code: SSH_FXP_MKDIR, doesWrite: true },
  { name: "rmdir", type: "rmdir", code: SSH_FXP_RMDIR, doesWrite: true },
  { name: "realpath", type: "realpath", code: SSH_FXP_REALPATH, doesWrite: false },
  { name: "stat", type: "stat", code: SSH_FXP_STAT, doesWrite: false },
  { name: "rename", type: "rename", code: SSH_FXP_RENAME, doesWrite: true },
  { name: "readlink", type: "readlink", code: SSH_FXP_READLINK, doesWrite: false },
  { name: "symlink", type: "symlink", code: SSH_FXP_SYMLINK, doesWrite: true },
];

type ExtendedHandler = (s: SessionContext, id: number, r: SftpReader) => ReplyPacket;

/** An extension row: sftp-server.c extended_handlers[] (name for -P/-p/-Q, wire name, -R). */
export interface ExtendedRow {
  readonly name: string;
  readonly extName: string;
  readonly doesWrite: boolean;
  readonly run: ExtendedHandler;
}

// ---- replies -------------------------------------------------------------------------------------------------------

function packet(s: SessionContext, build: (w: ReturnType<typeof beginPacket>) => void, capacity = 256): ReplyPacket {
  const w = beginPacket(s.pool, capacity);
  build(w);
  endPacket(w);
  const bytes = w.bytes.subarray(0, w.pos);
  return { bytes, lease: w.takeLease() };
}

/** send_status_errmsg(): logs `sent status <message>` at INFO for failures (and for every status above VERBOSE). */
export function statusReply(s: SessionContext, id: number, code: number, message?: string): ReplyPacket {
  if (s.log.level >= LogLevel.DEBUG3) s.log.debug3(`request ${id}: sent status ${code}`);
  if (s.log.level > LogLevel.VERBOSE || (code !== SftpStatus.SSH_FX_OK && code !== SftpStatus.SSH_FX_EOF)) {
    s.log.info(`sent status ${statusMessage(code)}`);
  }
  if (message === undefined && code <= SftpStatus.SSH_FX_EOF) return plainStatus(s, id, code);
  return packet(s, (w) => w.u8(SSH_FXP_STATUS).u32(id).u32(code).string(message ?? statusMessage(code)).string(""));
}

/** The bytes after the id of STATUS OK and EOF (code, message, empty language tag), written by hand. */
const PLAIN_STATUS = [SftpStatus.SSH_FX_OK, SftpStatus.SSH_FX_EOF].map((code) => {
  const m = new TextEncoder().encode(statusMessage(code));
  const b = new Uint8Array(4 + 4 + m.length + 4);
  const v = new DataView(b.buffer);
  v.setUint32(0, code);
  v.setUint32(4, m.length);
  b.set(m, 8);
  return b;
});

/** STATUS OK / EOF without a Writer: a put answers every WRITE with one (bench/sftp-server.ts: less code to JIT). */
function plainStatus(s: SessionContext, id: number, code: number): ReplyPacket {
  const tail = PLAIN_STATUS[code]!;
  const n = 9 + tail.length;
  const lease = s.pool.take(n);
  const b = lease.bytes;
  const len = n - 4;
  b[0] = len >>> 24;
  b[1] = (len >>> 16) & 0xff;
  b[2] = (len >>> 8) & 0xff;
  b[3] = len & 0xff;
  b[4] = SSH_FXP_STATUS;
  b[5] = id >>> 24;
  b[6] = (id >>> 16) & 0xff;
  b[7] = (id >>> 8) & 0xff;
  b[8] = id & 0xff;
  b.set(tail, 9);
  return { bytes: b.subarray(0, n), lease };
}

function handleReply(s: SessionContext, id: number, index: number): ReplyPacket {
  s.log.debug(`request ${id}: sent handle handle ${index}`); // OpenSSH 9.2's wording
  return packet(s, (w) => w.u8(SSH_FXP_HANDLE).u32(id).u32(4).u32(index));
}

function attrsReply(s: SessionContext, id: number, a: SftpAttrs): ReplyPacket {
  if (s.log.level >= LogLevel.DEBUG1) s.log.debug(`request ${id}: sent attrib have 0x${attrsFlags(a).toString(16)}`);
  return packet(s, (w) => {
    w.u8(SSH_FXP_ATTRS).u32(id);
    writeAttrs(w, a);
  });
}

/** SSH_FXP_NAME; names and longnames are latin1 strings (raw bytes). */
function namesReply(s: SessionContext, id: number, names: { name: string; long: string; attrs: SftpAttrs }[]): ReplyPacket {
  s.log.debug(`request ${id}: sent names count ${names.length}`);
  return packet(
    s,
    (w) => {
      w.u8(SSH_FXP_NAME).u32(id).u32(names.length);
      for (const n of names) {
        w.string(fsPath(n.name)).string(fsPath(n.long));
        writeAttrs(w, n.attrs);
      }
    },
    1024,
  );
}

function oneName(s: SessionContext, id: number, name: string): ReplyPacket {
  return namesReply(s, id, [{ name, long: name, attrs: {} }]);
}

// ---- helpers --------------------------------------------------------------------------------------------------------

const show = (p: string): string => escapeForLog(displayPath(p), 4096);

function localTime(sec: number): string {
  const t = new Date(sec * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${t.getFullYear()}${p(t.getMonth() + 1)}${p(t.getDate())}-${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;
}

function lookup(s: SessionContext, handle: Uint8Array): FileEntry | DirEntry | undefined {
  if (handle.length !== 4) return undefined; // get_handle(): OpenSSH's handles are 4 bytes
  const i = ((handle[0]! << 24) | (handle[1]! << 16) | (handle[2]! << 8) | handle[3]!) >>> 0;
  return s.handles.entries[i];
}

function handleIndex(handle: Uint8Array): number {
  return handle.length === 4 ? ((handle[0]! << 24) | (handle[1]! << 16) | (handle[2]! << 8) | handle[3]!) >>> 0 : -1;
}

function fileOf(s: SessionContext, handle: Uint8Array): FileEntry | undefined {
  const e = lookup(s, handle);
  return e?.kind === "file" ? e : undefined;
}

function addHandle(s: SessionContext, e: FileEntry | DirEntry): number {
  const t = s.handles;
  if (t.count >= s.maxHandles) return -1;
  const i = t.free.length > 0 ? t.free.pop()! : t.entries.length;
  t.entries[i] = e;
  t.count++;
  return i;
}

function dropHandle(s: SessionContext, i: number): void {
  s.handles.entries[i] = undefined;
  s.handles.free.push(i);
  s.handles.count--;
}

/** handle_log_close(). */
function logClose(s: SessionContext, e: FileEntry | DirEntry, prefix = ""): void {
  if (e.kind === "file") s.log.info(`${prefix}close "${show(e.name)}" bytes read ${e.bytesRead} written ${e.bytesWritten}`);
  else s.log.info(`${prefix}closedir "${show(e.name)}"`);
}

/** handle_log_exit() at the end of a session: every handle still open is closed and logged as "forced". */
export function closeAllHandles(s: SessionContext): void {
  s.handles.entries.forEach((e, i) => {
    if (e === undefined) return;
    logClose(s, e, "forced ");
    if (e.kind === "file") {
      try {
        closeSync(e.fd);
      } catch {
        // already gone
      }
    }
    dropHandle(s, i);
  });
}

/** The status for a failed call, logged as sftp-server.c's error_f lines where it logs them. */
function fail(s: SessionContext, id: number, e: unknown): ReplyPacket {
  return statusReply(s, id, statusOf(e), e instanceof SftpStatusError ? e.custom : undefined);
}

function errText(e: unknown): string {
  const m = (e as Error | null)?.message ?? String(e);
  return m;
}

/** sftp-server.c request_permitted(). */
function permitted(s: SessionContext, name: string, doesWrite: boolean): boolean {
  const o = s.options;
  if (o.readOnly && doesWrite) {
    s.log.verbose(`Refusing ${name} request in read-only mode`);
    return false;
  }
  if (o.deniedRequests !== undefined && o.deniedRequests.split(",").includes(name)) {
    s.log.verbose(`Refusing denylisted ${name} request`);
    return false;
  }
  if (o.allowedRequests !== undefined) {
    if (o.allowedRequests.split(",").includes(name)) {
      s.log.debug2(`Permitting allowlisted ${name} request`);
      return true;
    }
    s.log.verbose(`Refusing non-allowlisted ${name} request`);
    return false;
  }
  return true;
}

function openFlags(pflags: number): number {
  let f = 0;
  if (pflags & SSH_FXF_READ && pflags & SSH_FXF_WRITE) f = constants.O_RDWR;
  else if (pflags & SSH_FXF_READ) f = constants.O_RDONLY;
  else if (pflags & SSH_FXF_WRITE) f = constants.O_WRONLY;
  if (pflags & SSH_FXF_APPEND) f |= constants.O_APPEND;
  if (pflags & SSH_FXF_CREAT) f |= constants.O_CREAT;
  if (pflags & SSH_FXF_TRUNC) f |= constants.O_TRUNC;
  if (pflags & SSH_FXF_EXCL) f |= constants.O_EXCL;
  return f;
}

/** string_from_portable(). */
export function pflagsText(pflags: number): string {
  const out: string[] = [];
  if (pflags & SSH_FXF_READ) out.push("READ");
  if (pflags & SSH_FXF_WRITE) out.push("WRITE");
  if (pflags & SSH_FXF_APPEND) out.push("APPEND");
  if (pflags & SSH_FXF_CREAT) out.push("CREATE");
  if (pflags & SSH_FXF_TRUNC) out.push("TRUNCATE");
  if (pflags & SSH_FXF_EXCL) out.push("EXCL");
  return out.join(",");
}

function masked(s: SessionContext, mode: number): number {
  return s.options.umask === undefined ? mode : mode & ~s.options.umask;
}

/** A file position from a uint64 offset (beyond 2^53 is EINVAL, as lseek on a negative off_t: SSH_FX_BAD_MESSAGE). */
function position(off: bigint): number {
  if (off > BigInt(Number.MAX_SAFE_INTEGER)) throw Object.assign(new Error("Invalid argument"), { code: "EINVAL" });
  return Number(off);
}

// ---- requests ------------------------------------------------------------------------------------------------------

/** Runs one request and returns its reply (a Promise only for threaded data I/O). Malformed bodies throw. */
export function handleRequest(s: SessionContext, req: SftpRequest): ReplyPacket | Promise<ReplyPacket> {
  if (req.type === "init") return init(s, req.version);
  if (req.type === "unknown") {
    s.log.error(`Unknown message ${req.code}`);
    // sftp-server.c sends nothing here; draft-02 §7 wants OP_UNSUPPORTED, and a client waiting for it would hang
    return statusReply(s, req.id, SftpStatus.SSH_FX_OP_UNSUPPORTED);
  }
  if (req.type === "extended") return extended(s, req.id, req.name, req.body);
  const row = HANDLERS.find((h) => h.type === req.type)!;
  if (!permitted(s, row.name, row.doesWrite)) return statusReply(s, req.id, SftpStatus.SSH_FX_PERMISSION_DENIED);
  const id = req.id;
  if (s.log.level >= LogLevel.DEBUG3) {
    const what = DEBUG3_WORDS[req.type];
    if (what !== undefined) s.log.debug3(`request ${id}: ${what(req)}`);
  }
  switch (req.type) {
    case "open": return open(s, id, pathFromBytes(req.path), req.pflags, req.attrs);
    case "close": return close(s, id, req.handle);
    case "read": return read(s, id, req.handle, req.offset, req.length);
    case "write": return write(s, id, req.handle, req.offset, req.data);
    case "stat": case "lstat": return stat(s, id, pathFromBytes(req.path), req.type === "lstat");
    case "fstat": return fstat(s, id, req.handle);
    case "setstat": return setstat(s, id, pathFromBytes(req.path), req.attrs, "path");
    case "fsetstat": return fsetstat(s, id, req.handle, req.attrs);
    case "opendir": return opendir(s, id, pathFromBytes(req.path));
    case "readdir": return readdir(s, id, req.handle);
    case "remove": return simple(s, id, `remove name "${show(pathFromBytes(req.path))}"`, () => unlinkSync(fsPath(s.resolve(pathFromBytes(req.path)))));
    case "mkdir": {
      const p = pathFromBytes(req.path);
      const mode = req.attrs.permissions !== undefined ? req.attrs.permissions & 0o7777 : 0o777;
      return simple(s, id, `mkdir name "${show(p)}" mode 0${mode.toString(8)}`, () => mkdirSync(fsPath(s.resolve(p)), masked(s, mode)));
    }
    case "rmdir": return simple(s, id, `rmdir name "${show(pathFromBytes(req.path))}"`, () => rmdirSync(fsPath(s.resolve(pathFromBytes(req.path)))));
    case "realpath": return realpath(s, id, pathFromBytes(req.path));
    case "rename": return rename(s, id, pathFromBytes(req.oldPath), pathFromBytes(req.newPath));
    case "readlink": return readlink(s, id, pathFromBytes(req.path));
    case "symlink": {
      // PROTOCOL §4.1: OpenSSH's order is (targetpath, linkpath); the target is link text, never resolved
      const target = pathFromBytes(req.targetPath);
      const link = pathFromBytes(req.linkPath);
      return simple(s, id, `symlink old "${show(target)}" new "${show(link)}"`, () => symlinkSync(fsPath(target), fsPath(s.resolve(link))));
    }
  }
}

/** The debug3 line sftp-server.c's handlers start with. */
const DEBUG3_WORDS: Partial<Record<SftpRequest["type"], (r: SftpRequest) => string>> = {
  open: (r) => `open flags ${r.type === "open" ? r.pflags : 0}`,
  close: (r) => `close handle ${r.type === "close" ? handleIndex(r.handle) >>> 0 : 0}`,
  stat: () => "stat", lstat: () => "lstat", opendir: () => "opendir", remove: () => "remove", mkdir: () => "mkdir",
  rmdir: () => "rmdir", realpath: () => "realpath", rename: () => "rename", readlink: () => "readlink", symlink: () => "symlink",
};

function init(s: SessionContext, version: number): ReplyPacket {
  s.log.verbose(`received client version ${version}`);
  return packet(s, (w) => {
    w.u8(SSH_FXP_VERSION).u32(SSH_FILEXFER_VERSION);
    for (const [name, ver] of SFTP_EXTENSIONS) {
      const row = EXTENDED_HANDLERS.find((h) => h.extName === name)!;
      if (!permitted(s, row.name, row.doesWrite)) {
        s.log.debug2(`refusing to advertise disallowed extension ${name}`);
        continue;
      }
      w.string(name).string(ver);
    }
  });
}

function simple(s: SessionContext, id: number, logLine: string, op: () => void): ReplyPacket {
  s.log.info(logLine);
  try {
    op();
    return statusReply(s, id, SftpStatus.SSH_FX_OK);
  } catch (e) {
    return fail(s, id, e);
  }
}

function open(s: SessionContext, id: number, name: string, pflags: number, a: SftpAttrs): ReplyPacket {
  const flags = openFlags(pflags);
  const mode = a.permissions ?? 0o666;
  s.log.info(`open "${show(name)}" flags ${pflagsText(pflags)} mode 0${mode.toString(8)}`);
  if (s.options.readOnly && ((flags & 3) !== constants.O_RDONLY || (flags & (constants.O_CREAT | constants.O_TRUNC)) !== 0)) {
    s.log.verbose("Refusing open request in read-only mode");
    return statusReply(s, id, SftpStatus.SSH_FX_PERMISSION_DENIED);
  }
  const path = s.resolve(name);
  let fd: number;
  try {
    fd = openSync(fsPath(path), flags, masked(s, mode & 0o7777));
  } catch (e) {
    return fail(s, id, e);
  }
  let key: string;
  try {
    const st = fstatSync(fd);
    key = `${st.dev}:${st.ino}`;
  } catch {
    key = `fd:${fd}`;
  }
  const i = addHandle(s, { kind: "file", fd, name, path, append: (pflags & SSH_FXF_APPEND) !== 0, key, bytesRead: 0, bytesWritten: 0 });
  if (i < 0) {
    closeSync(fd);
    return statusReply(s, id, SftpStatus.SSH_FX_FAILURE);
  }
  return handleReply(s, id, i);
}

function close(s: SessionContext, id: number, handle: Uint8Array): ReplyPacket {
  const e = lookup(s, handle);
  if (e === undefined) return statusReply(s, id, SftpStatus.SSH_FX_NO_SUCH_FILE); // handle_close(): ENOENT
  logClose(s, e);
  dropHandle(s, handleIndex(handle));
  if (e.kind === "file") {
    try {
      closeSync(e.fd);
    } catch (err) {
      return fail(s, id, err);
    }
  }
  return statusReply(s, id, SftpStatus.SSH_FX_OK);
}

/** The DATA header: uint32 length, byte type, uint32 id, uint32 data length. */
const DATA_HEADER = 13;
/**
 * Where file data goes in the reply buffer: 16, not 13, so read(2) copies to an aligned address and the header sits
 * just before it (bench/sftp-server.ts get: the kernel's copy to a 13-byte offset cost ~35% more).
 */
const DATA_AT = 16;

function dataPacket(s: SessionContext, id: number, lease: ReturnType<SessionContext["pool"]["take"]>, n: number): ReplyPacket {
  const b = lease.bytes;
  const at = DATA_AT - DATA_HEADER;
  const v = new DataView(b.buffer, b.byteOffset + at, DATA_HEADER);
  v.setUint32(0, 9 + n);
  b[at + 4] = SSH_FXP_DATA;
  v.setUint32(5, id);
  v.setUint32(9, n);
  if (s.log.level >= LogLevel.DEBUG1) s.log.debug(`request ${id}: sent data len ${n}`);
  return { bytes: b.subarray(at, DATA_AT + n), lease };
}

function read(s: SessionContext, id: number, handle: Uint8Array, offset: bigint, length: number): ReplyPacket | Promise<ReplyPacket> {
  const f = fileOf(s, handle);
  if (s.log.level >= LogLevel.DEBUG1) s.log.debug(`request ${id}: read "${f ? show(f.name) : "(null)"}" (handle ${handleIndex(handle)}) off ${offset} len ${length}`);
  if (f === undefined) return statusReply(s, id, SftpStatus.SSH_FX_FAILURE);
  let len = length;
  if (len > SFTP_MAX_READ_LENGTH) {
    s.log.debug2(`read change len ${len} to ${SFTP_MAX_READ_LENGTH}`);
    len = SFTP_MAX_READ_LENGTH;
  }
  let pos: number;
  try {
    pos = position(offset);
  } catch (e) {
    return fail(s, id, e);
  }
  return readAt(s, id, f, pos, len);
}

/** A READ of `len` (already capped) bytes at `pos`, the file data read straight into the reply packet. */
function readAt(s: SessionContext, id: number, f: FileEntry, pos: number, len: number): ReplyPacket | Promise<ReplyPacket> {
  const lease = s.pool.take(DATA_AT + len);
  if (len === 0) return readDone(s, id, f, lease, 0, 0);
  if (s.threaded) {
    return new Promise((resolve) =>
      readCb(f.fd, lease.bytes, DATA_AT, len, pos, (err, n) => resolve(err ? readFailed(s, id, f, lease, err) : readDone(s, id, f, lease, len, n))),
    );
  }
  let n: number;
  try {
    n = readSync(f.fd, lease.bytes, DATA_AT, len, pos);
  } catch (e) {
    return readFailed(s, id, f, lease, e);
  }
  return readDone(s, id, f, lease, len, n);
}

function readDone(s: SessionContext, id: number, f: FileEntry, lease: Lease, len: number, n: number): ReplyPacket {
  if (n === 0 && len > 0) {
    lease.release();
    return statusReply(s, id, SftpStatus.SSH_FX_EOF);
  }
  f.bytesRead += n;
  return dataPacket(s, id, lease, n);
}

function readFailed(s: SessionContext, id: number, f: FileEntry, lease: Lease, e: unknown): ReplyPacket {
  lease.release();
  s.log.error(`process_read: read "${show(f.name).slice(0, 100)}": ${errText(e)}`);
  return fail(s, id, e);
}

function write(s: SessionContext, id: number, handle: Uint8Array, offset: bigint, data: Uint8Array): ReplyPacket | Promise<ReplyPacket> {
  const f = fileOf(s, handle);
  if (s.log.level >= LogLevel.DEBUG1) s.log.debug(`request ${id}: write "${f ? show(f.name) : "(null)"}" (handle ${handleIndex(handle)}) off ${offset} len ${data.length}`);
  if (f === undefined) return statusReply(s, id, SftpStatus.SSH_FX_FAILURE);
  let pos: number | null;
  try {
    pos = f.append ? null : position(offset);
  } catch (e) {
    return fail(s, id, e);
  }
  return writeAt(s, id, f, pos, data);
}

/** A WRITE of `data` at `pos` (null: appending), straight from the request packet. */
function writeAt(s: SessionContext, id: number, f: FileEntry, pos: number | null, data: Uint8Array): ReplyPacket | Promise<ReplyPacket> {
  if (s.threaded) {
    return new Promise((resolve) =>
      writeCb(f.fd, data, 0, data.length, pos, (err, n) => resolve(err ? writeFailed(s, id, f, err) : writeDone(s, id, f, data.length, n))),
    );
  }
  let n = 0;
  try {
    while (n < data.length) {
      const k = writeSync(f.fd, data, n, data.length - n, pos === null ? null : pos + n);
      if (k <= 0) break;
      n += k;
    }
  } catch (e) {
    return writeFailed(s, id, f, e);
  }
  return writeDone(s, id, f, data.length, n);
}

function writeDone(s: SessionContext, id: number, f: FileEntry, want: number, n: number): ReplyPacket {
  if (n !== want) {
    s.log.debug2("process_write: nothing at all written");
    return statusReply(s, id, SftpStatus.SSH_FX_FAILURE);
  }
  f.bytesWritten += n;
  return statusReply(s, id, SftpStatus.SSH_FX_OK);
}

function writeFailed(s: SessionContext, id: number, f: FileEntry, e: unknown): ReplyPacket {
  s.log.error(`process_write: write "${show(f.name).slice(0, 100)}": ${errText(e)}`);
  return fail(s, id, e);
}

/**
 * READ and WRITE straight from the packet body (type byte first), for a session whose every request runs
 * synchronously in arrival order: fields read by hand, no request object, no Reader. Returns null when the generic
 * path must take it (threaded I/O, debug logging, request lists or -R, a malformed or unusual request, an unknown
 * handle), which then gives the same reply, log lines and errors it always has. bench/sftp-server.ts: the general
 * path's small helpers (Reader fields, Writer, the scheduler) were hot enough for JSC's optimizing JITs, whose compile
 * time on a second thread was ~10% of the server's CPU for a 1 GiB transfer.
 */
export function handleData(s: SessionContext, p: Uint8Array): ReplyPacket | Promise<ReplyPacket> | null {
  const o = s.options;
  if (s.threaded || s.log.level >= LogLevel.DEBUG1 || o.allowedRequests !== undefined || o.deniedRequests !== undefined) return null;
  const type = p[0];
  // type, id, handle string (4 bytes: get_handle()), uint64 offset, then uint32 length or string data
  if (p.length < 25 || p[5] !== 0 || p[6] !== 0 || p[7] !== 0 || p[8] !== 4) return null;
  const id = ((p[1]! << 24) | (p[2]! << 16) | (p[3]! << 8) | p[4]!) >>> 0;
  const e = s.handles.entries[((p[9]! << 24) | (p[10]! << 16) | (p[11]! << 8) | p[12]!) >>> 0];
  if (e === undefined || e.kind !== "file") return null;
  const hi = ((p[13]! << 24) | (p[14]! << 16) | (p[15]! << 8) | p[16]!) >>> 0;
  if (hi > 0x1fffff) return null; // beyond 2^53: position()'s EINVAL
  const pos = hi * 0x100000000 + (((p[17]! << 24) | (p[18]! << 16) | (p[19]! << 8) | p[20]!) >>> 0);
  const n = ((p[21]! << 24) | (p[22]! << 16) | (p[23]! << 8) | p[24]!) >>> 0;
  if (type === SSH_FXP_READ) return n > SFTP_MAX_READ_LENGTH ? null : readAt(s, id, e, pos, n);
  if (type !== SSH_FXP_WRITE || o.readOnly || n > p.length - 25) return null;
  return writeAt(s, id, e, e.append ? null : pos, p.subarray(25, 25 + n));
}

function stat(s: SessionContext, id: number, name: string, noFollow: boolean): ReplyPacket {
  s.log.verbose(`${noFollow ? "l" : ""}stat name "${show(name)}"`);
  try {
    const p = fsPath(s.resolve(name));
    return attrsReply(s, id, statToAttrs(noFollow ? lstatSync(p) : statSync(p)));
  } catch (e) {
    return fail(s, id, e);
  }
}

function fstat(s: SessionContext, id: number, handle: Uint8Array): ReplyPacket {
  const f = fileOf(s, handle);
  s.log.debug(`request ${id}: fstat "${f ? show(f.name) : "(null)"}" (handle ${handleIndex(handle)})`);
  if (f === undefined) return statusReply(s, id, SftpStatus.SSH_FX_FAILURE);
  try {
    return attrsReply(s, id, statToAttrs(fstatSync(f.fd)));
  } catch (e) {
    return fail(s, id, e);
  }
}

/** The calls setstat, fsetstat and lsetstat make, in sftp-server.c's order; the last failure is the status. */
interface AttrOps {
  truncate(size: number): void;
  chmod(mode: number): void;
  utimes(atime: number, mtime: number): void;
  chown(uid: number, gid: number): void;
}

function applyAttrs(s: SessionContext, id: number, name: string, a: SftpAttrs, ops: AttrOps): ReplyPacket {
  let status: number = SftpStatus.SSH_FX_OK;
  const attempt = (f: () => void) => {
    try {
      f();
    } catch (e) {
      status = statusOf(e);
    }
  };
  if (a.size !== undefined) {
    s.log.info(`set "${show(name)}" size ${a.size}`);
    attempt(() => ops.truncate(a.size!));
  }
  if (a.permissions !== undefined) {
    s.log.info(`set "${show(name)}" mode ${a.permissions.toString(8).padStart(4, "0")}`);
    attempt(() => ops.chmod(a.permissions! & 0o7777));
  }
  if (a.atime !== undefined && a.mtime !== undefined) {
    s.log.info(`set "${show(name)}" modtime ${localTime(a.mtime)}`);
    attempt(() => ops.utimes(a.atime!, a.mtime!));
  }
  if (a.uid !== undefined && a.gid !== undefined) {
    s.log.info(`set "${show(name)}" owner ${a.uid} group ${a.gid}`);
    attempt(() => ops.chown(a.uid!, a.gid!));
  }
  return statusReply(s, id, status);
}

function setstat(s: SessionContext, id: number, name: string, a: SftpAttrs, how: "path" | "link"): ReplyPacket {
  s.log.debug(`request ${id}: ${how === "path" ? "setstat" : "lsetstat"} name "${show(name)}"`);
  const p = fsPath(s.resolve(name));
  if (how === "link") {
    // lsetstat@openssh.com: a size is nonsensical for links
    if (a.size !== undefined) return statusReply(s, id, SftpStatus.SSH_FX_BAD_MESSAGE);
    return applyAttrs(s, id, name, a, {
      truncate: () => {},
      chmod: (m) => {
        // fchmodat(AT_SYMLINK_NOFOLLOW): Linux cannot change a link's mode (EOPNOTSUPP); anything else is chmod
        if (lstatSync(p).isSymbolicLink()) throw Object.assign(new Error("Operation not supported"), { code: "EOPNOTSUPP" });
        chmodSync(p, m);
      },
      utimes: (at, mt) => lutimesSync(p, at, mt),
      chown: (u, g) => lchownSync(p, u, g),
    });
  }
  return applyAttrs(s, id, name, a, {
    truncate: (n) => truncateSync(p, n),
    chmod: (m) => chmodSync(p, m),
    utimes: (at, mt) => utimesSync(p, at, mt),
    chown: (u, g) => chownSync(p, u, g),
  });
}

function fsetstat(s: SessionContext, id: number, handle: Uint8Array, a: SftpAttrs): ReplyPacket {
  s.log.debug(`request ${id}: fsetstat handle ${handleIndex(handle)}`);
  const f = fileOf(s, handle);
  if (f === undefined) return statusReply(s, id, SftpStatus.SSH_FX_FAILURE);
  return applyAttrs(s, id, f.name, a, {
    truncate: (n) => ftruncateSync(f.fd, n),
    chmod: (m) => fchmodSync(f.fd, m),
    utimes: (at, mt) => futimesSync(f.fd, at, mt),
    chown: (u, g) => fchownSync(f.fd, u, g),
  });
}

function opendir(s: SessionContext, id: number, name: string): ReplyPacket {
  s.log.info(`opendir "${show(name)}"`);
  const path = s.resolve(name);
  let entries: string[];
  try {
    // readdir(3) also returns "." and ".."; OpenSSH's client shows them for `ls -a`
    if (!statSync(fsPath(path)).isDirectory()) throw Object.assign(new Error("Not a directory"), { code: "ENOTDIR" });
    entries = [".", "..", ...readdirSync(fsPath(path), { encoding: "buffer" }).map((b) => b.toString("latin1"))];
  } catch (e) {
    return fail(s, id, e);
  }
  const i = addHandle(s, { kind: "dir", name, path, entries, pos: 0 });
  if (i < 0) return statusReply(s, id, SftpStatus.SSH_FX_FAILURE);
  return handleReply(s, id, i);
}

function readdir(s: SessionContext, id: number, handle: Uint8Array): ReplyPacket {
  const d = lookup(s, handle);
  s.log.debug(`request ${id}: readdir "${d ? show(d.name) : "(null)"}" (handle ${handleIndex(handle)})`);
  if (d === undefined || d.kind !== "dir") return statusReply(s, id, SftpStatus.SSH_FX_FAILURE);
  const out: { name: string; long: string; attrs: SftpAttrs }[] = [];
  const now = s.options.now?.() ?? Date.now();
  // send up to 100 entries in one message, as sftp-server.c (names are short next to the 256 KiB packet limit)
  while (d.pos < d.entries.length && out.length < 100) {
    const name = d.entries[d.pos++]!;
    let st: Stats;
    try {
      st = lstatSync(fsPath(d.path === "/" ? `/${name}` : `${d.path}/${name}`));
    } catch {
      continue;
    }
    out.push({ name, long: longname(name, st, s.names, now), attrs: statToAttrs(st) });
  }
  if (out.length === 0) return statusReply(s, id, SftpStatus.SSH_FX_EOF);
  return namesReply(s, id, out);
}

function realpath(s: SessionContext, id: number, path: string): ReplyPacket {
  if (path === "") path = ".";
  s.log.verbose(`realpath "${show(path)}"`);
  try {
    return oneName(s, id, sftpRealpath(path, s.cwd()));
  } catch (e) {
    return fail(s, id, e);
  }
}

const LINK_UNSUPPORTED = new Set(["EOPNOTSUPP", "ENOTSUP", "ENOSYS", "EXDEV", "EPERM"]);

/** process_rename(): never replaces an existing target; regular files move by link+unlink (race-free). */
function rename(s: SessionContext, id: number, oldName: string, newName: string): ReplyPacket {
  s.log.info(`rename old "${show(oldName)}" new "${show(newName)}"`);
  const from = fsPath(s.resolve(oldName));
  const to = fsPath(s.resolve(newName));
  let status: number = SftpStatus.SSH_FX_FAILURE;
  const exists = (p: Buffer): boolean => {
    try {
      statSync(p);
      return true;
    } catch {
      return false;
    }
  };
  try {
    const sb = lstatSync(from);
    if (sb.isFile()) {
      try {
        linkSync(from, to);
        try {
          unlinkSync(from);
          status = SftpStatus.SSH_FX_OK;
        } catch (e) {
          status = statusOf(e);
          try {
            unlinkSync(to); // clean the spare link
          } catch {
            // nothing more to do
          }
        }
      } catch (e) {
        // Linux gives EPERM (LINK_OPNOTSUPP_ERRNO) where the file system has no hard links: stat+rename, racy
        if (LINK_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? "")) {
          if (!exists(to)) {
            renameSync(from, to);
            status = SftpStatus.SSH_FX_OK;
          }
        } else {
          status = statusOf(e);
        }
      }
    } else if (!exists(to)) {
      renameSync(from, to);
      status = SftpStatus.SSH_FX_OK;
    }
  } catch (e) {
    status = statusOf(e);
  }
  return statusReply(s, id, status);
}

function readlink(s: SessionContext, id: number, name: string): ReplyPacket {
  s.log.verbose(`readlink "${show(name)}"`);
  try {
    return oneName(s, id, readlinkSync(fsPath(s.resolve(name)), { encoding: "buffer" }).toString("latin1"));
  } catch (e) {
    return fail(s, id, e);
  }
}

// ---- extensions ----------------------------------------------------------------------------------------------------

function extended(s: SessionContext, id: number, name: string, body: Uint8Array): ReplyPacket {
  const row = EXTENDED_HANDLERS.find((h) => h.extName === name);
  if (row === undefined) {
    s.log.error(`Unknown extended request "${escapeForLog(name, 100)}"`);
    return statusReply(s, id, SftpStatus.SSH_FX_OP_UNSUPPORTED); // draft-02: MUST
  }
  if (!permitted(s, row.name, row.doesWrite)) return statusReply(s, id, SftpStatus.SSH_FX_PERMISSION_DENIED);
  return row.run(s, id, new SftpReader(body));
}

const str = (r: SftpReader): string => pathFromBytes(r.stringView());

function statvfsReply(s: SessionContext, id: number, path: string): ReplyPacket {
  const st = statfsSync(fsPath(path), { bigint: true }) as unknown as {
    bsize: bigint; frsize?: bigint; blocks: bigint; bfree: bigint; bavail: bigint; files: bigint; ffree: bigint;
  };
  // node's statfs has no f_favail, f_fsid, f_flag or f_namemax: favail = ffree, fsid 0, flag from an access check, 255
  let flag = 0n;
  try {
    accessSync(fsPath(path), constants.W_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EROFS") flag |= BigInt(SSH_FXE_STATVFS_ST_RDONLY);
  }
  return packet(s, (w) =>
    w.u8(SSH_FXP_EXTENDED_REPLY).u32(id)
      .u64(st.bsize).u64(st.frsize ?? st.bsize).u64(st.blocks).u64(st.bfree).u64(st.bavail)
      .u64(st.files).u64(st.ffree).u64(st.ffree).u64(0n).u64(flag).u64(255n),
  );
}

/** sftp-server.c extended_handlers[], in its order. */
export const EXTENDED_HANDLERS: readonly ExtendedRow[] = [
  {
    name: "posix-rename", extName: "posix-rename@openssh.com", doesWrite: true,
    run: (s, id, r) => {
      const from = str(r);
      const to = str(r);
      s.log.debug3(`request ${id}: posix-rename`);
      return simple(s, id, `posix-rename old "${show(from)}" new "${show(to)}"`, () => renameSync(fsPath(s.resolve(from)), fsPath(s.resolve(to))));
    },
  },
  {
    name: "statvfs", extName: "statvfs@openssh.com", doesWrite: false,
    run: (s, id, r) => {
      const p = str(r);
      s.log.debug3(`request ${id}: statvfs`);
      s.log.info(`statvfs "${show(p)}"`);
      try {
        return statvfsReply(s, id, s.resolve(p));
      } catch (e) {
        return fail(s, id, e);
      }
    },
  },
  {
    name: "fstatvfs", extName: "fstatvfs@openssh.com", doesWrite: false,
    run: (s, id, r) => {
      const h = r.stringView();
      const f = fileOf(s, h);
      s.log.debug(`request ${id}: fstatvfs "${f ? show(f.name) : "(null)"}" (handle ${handleIndex(h)})`);
      if (f === undefined) return statusReply(s, id, SftpStatus.SSH_FX_FAILURE);
      try {
        return statvfsReply(s, id, f.path);
      } catch (e) {
        return fail(s, id, e);
      }
    },
  },
  {
    name: "hardlink", extName: "hardlink@openssh.com", doesWrite: true,
    run: (s, id, r) => {
      const from = str(r);
      const to = str(r);
      s.log.debug3(`request ${id}: hardlink`);
      return simple(s, id, `hardlink old "${show(from)}" new "${show(to)}"`, () => linkSync(fsPath(s.resolve(from)), fsPath(s.resolve(to))));
    },
  },
  {
    name: "fsync", extName: "fsync@openssh.com", doesWrite: true,
    run: (s, id, r) => {
      const h = r.stringView();
      const f = fileOf(s, h);
      s.log.debug3(`request ${id}: fsync (handle ${handleIndex(h) >>> 0})`);
      s.log.verbose(`fsync "${f ? show(f.name) : "(null)"}"`);
      if (f === undefined) return statusReply(s, id, SftpStatus.SSH_FX_NO_SUCH_FILE);
      try {
        fsyncSync(f.fd);
        return statusReply(s, id, SftpStatus.SSH_FX_OK);
      } catch (e) {
        return fail(s, id, e);
      }
    },
  },
  {
    name: "lsetstat", extName: "lsetstat@openssh.com", doesWrite: true,
    run: (s, id, r) => {
      const p = str(r);
      return setstat(s, id, p, readAttrs(r), "link");
    },
  },
  {
    name: "limits", extName: "limits@openssh.com", doesWrite: false,
    run: (s, id) => {
      s.log.debug(`request ${id}: limits`);
      return packet(s, (w) =>
        w.u8(SSH_FXP_EXTENDED_REPLY).u32(id)
          .u64(BigInt(SFTP_MAX_MSG_LENGTH)).u64(BigInt(SFTP_MAX_READ_LENGTH)).u64(BigInt(SFTP_MAX_READ_LENGTH))
          .u64(BigInt(s.maxHandles)),
      );
    },
  },
  {
    name: "expand-path", extName: "expand-path@openssh.com", doesWrite: false,
    run: (s, id, r) => {
      let p = str(r);
      const cwd = s.cwd();
      s.log.debug3(`request ${id}: expand, original "${show(p)}"`);
      if (p === "") p = ".";
      else if (p.startsWith("~")) {
        // "~" and "~/" are the start directory (they respect -d), "~user" is that user's home
        if (p === "~") p = cwd;
        else if (p.startsWith("~/")) p = `${cwd}/${p.slice(2)}`;
        else {
          const slash = p.indexOf("/");
          const user = s.names.user(displayPath(slash < 0 ? p.slice(1) : p.slice(1, slash)));
          if (user === undefined) return statusReply(s, id, SftpStatus.SSH_FX_NO_SUCH_FILE, "no such user");
          const home = latin1FromText(user.home);
          p = slash < 0 ? home : `${home.replace(/\/$/, "")}/${p.slice(slash + 1)}`;
        }
      } else if (!p.startsWith("/")) p = `${cwd}/${p}`;
      s.log.verbose(`expand "${show(p)}"`);
      try {
        return oneName(s, id, sftpRealpath(p, cwd));
      } catch (e) {
        return fail(s, id, e);
      }
    },
  },
  { name: "copy-data", extName: "copy-data", doesWrite: true, run: (s, id, r) => copyData(s, id, r) },
  {
    name: "home-directory", extName: "home-directory", doesWrite: false,
    run: (s, id, r) => {
      const name = r.string();
      s.log.debug3(`request ${id}: home-directory "${escapeForLog(name)}"`);
      const text = name === "" ? s.options.user.home : s.names.user(name)?.home;
      if (text === undefined) return statusReply(s, id, SftpStatus.SSH_FX_FAILURE);
      const home = latin1FromText(text);
      s.log.verbose(`home-directory "${show(home)}"`);
      return oneName(s, id, home);
    },
  },
  {
    name: "users-groups-by-id", extName: "users-groups-by-id@openssh.com", doesWrite: false,
    run: (s, id, r) => {
      const uids = r.stringView();
      const gids = r.stringView();
      if (uids.length % 4 !== 0) throw new SftpProtocolError("process_extended_get_users_groups_by_id: parse inner uid: incomplete message");
      if (gids.length % 4 !== 0) throw new SftpProtocolError("process_extended_get_users_groups_by_id: parse inner gid: incomplete message");
      const ids = (b: Uint8Array): number[] => {
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        return Array.from({ length: b.length / 4 }, (_, i) => v.getUint32(i * 4));
      };
      s.log.debug(`process_extended_get_users_groups_by_id: uids len = ${uids.length}, gids len = ${gids.length}`);
      const fn = "process_extended_get_users_groups_by_id";
      const users = ids(uids).map((u) => {
        const n = s.names.userName(u) ?? "";
        s.log.debug3(`${fn}: uid ${u} => "${escapeForLog(n)}"`);
        return n;
      });
      const groups = ids(gids).map((g) => {
        const n = s.names.groupName(g) ?? "";
        s.log.debug3(`${fn}: gid ${g} => "${escapeForLog(n)}"`);
        return n;
      });
      // OpenSSH 9.2 counts the groups as users in this line; we count them right
      s.log.verbose(`users-groups-by-id: ${users.length} users, ${groups.length} groups`);
      return packet(s, (w) => {
        w.u8(SSH_FXP_EXTENDED_REPLY).u32(id);
        for (const list of [users, groups]) {
          const inner = beginPacket(null);
          for (const n of list) inner.string(n); // text, UTF-8 on the wire
          w.string(inner.bytes.subarray(4, inner.pos));
        }
      });
    },
  },
];

/** process_extended_copy_data(): 64 KiB at a time; refuses one handle, one name or one inode on both sides. */
function copyData(s: SessionContext, id: number, r: SftpReader): ReplyPacket {
  const rh = r.stringView();
  const readOff = r.u64();
  let readLen = r.u64();
  const wh = r.stringView();
  const writeOff = r.u64();
  const src = fileOf(s, rh);
  const dst = fileOf(s, wh);
  s.log.debug(`request ${id}: copy-data from "${src ? show(src.name) : "(null)"}" (handle ${handleIndex(rh)}) off ${readOff} len ${readLen} to "${dst ? show(dst.name) : "(null)"}" (handle ${handleIndex(wh)}) off ${writeOff}`);
  const untilEof = readLen === 0n;
  if (src === undefined || dst === undefined) {
    s.log.error("process_extended_copy_data: bad read or write fd");
    return statusReply(s, id, SftpStatus.SSH_FX_NO_SUCH_FILE); // errno_to_portable(EBADF)
  }
  let stR: Stats, stW: Stats;
  try {
    stR = fstatSync(src.fd);
    stW = fstatSync(dst.fd);
  } catch (e) {
    return fail(s, id, e);
  }
  if (src === dst || src.name === dst.name || (stR.dev !== 0 && stR.ino !== 0 && stR.dev === stW.dev && stR.ino === stW.ino)) {
    s.log.error(`process_extended_copy_data: refusing to read/write same file: read "${show(src.name)}" dev ${stR.dev} ino ${stR.ino}, write "${show(dst.name)}" dev ${stW.dev} ino ${stW.ino}`);
    return statusReply(s, id, SftpStatus.SSH_FX_FAILURE);
  }
  let rpos: number, wpos: number | null;
  try {
    rpos = position(readOff);
    wpos = dst.append ? null : position(writeOff);
  } catch (e) {
    return fail(s, id, e);
  }
  const lease = s.pool.take(64 * 1024);
  const buf = lease.bytes.subarray(0, 64 * 1024);
  let status: number = SftpStatus.SSH_FX_OK;
  try {
    while (untilEof || readLen > 0n) {
      const want = untilEof || readLen > BigInt(buf.length) ? buf.length : Number(readLen);
      const n = readSync(src.fd, buf, 0, want, rpos);
      if (n === 0) {
        status = untilEof ? SftpStatus.SSH_FX_OK : SftpStatus.SSH_FX_EOF;
        break;
      }
      if (!untilEof) readLen -= BigInt(n);
      rpos += n;
      src.bytesRead += n;
      let done = 0;
      while (done < n) {
        const k = writeSync(dst.fd, buf, done, n - done, wpos === null ? null : wpos + done);
        if (k <= 0) throw Object.assign(new Error("short write"), { code: "EIO" });
        done += k;
      }
      if (wpos !== null) wpos += n;
      dst.bytesWritten += n;
    }
  } catch (e) {
    status = statusOf(e);
    s.log.error(`process_extended_copy_data: ${errText(e)}`);
  } finally {
    lease.release();
  }
  return statusReply(s, id, status);
}

keepOutOfFtl([], [handleData, handleRequest]);
