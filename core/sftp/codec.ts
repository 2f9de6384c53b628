// SFTP v3 packets (draft-ietf-secsh-filexfer-02 §3–§7 as OpenSSH speaks it, PROTOCOL §4): `uint32 length || byte type
// || body`, bounded by SFTP_MAX_MSG_LENGTH. Requests and replies decode to plain data and encode back; the framer cuts a
// byte stream into packets, borrowing from the chunk when a packet lies inside one and gathering it into pooled memory
// once when it straddles chunks (STYLE.md §4).
import { SftpProtocolError } from "./errors.ts";
import {
  SFTP_MAX_MSG_LENGTH, SSH_FILEXFER_ATTR_ACMODTIME, SSH_FILEXFER_ATTR_EXTENDED, SSH_FILEXFER_ATTR_PERMISSIONS,
  SSH_FILEXFER_ATTR_SIZE, SSH_FILEXFER_ATTR_UIDGID, SSH_FXP_ATTRS, SSH_FXP_CLOSE, SSH_FXP_DATA, SSH_FXP_EXTENDED,
  SSH_FXP_EXTENDED_REPLY, SSH_FXP_FSETSTAT, SSH_FXP_FSTAT, SSH_FXP_HANDLE, SSH_FXP_INIT, SSH_FXP_LSTAT, SSH_FXP_MKDIR,
  SSH_FXP_NAME, SSH_FXP_OPEN, SSH_FXP_OPENDIR, SSH_FXP_READ, SSH_FXP_READDIR, SSH_FXP_READLINK, SSH_FXP_REALPATH,
  SSH_FXP_REMOVE, SSH_FXP_RENAME, SSH_FXP_RMDIR, SSH_FXP_SETSTAT, SSH_FXP_STAT, SSH_FXP_STATUS, SSH_FXP_SYMLINK,
  SSH_FXP_VERSION, SSH_FXP_WRITE,
} from "./protocol.ts";
import { Reader, Writer, type BufferPool } from "../wire/index.ts";
import { keepOutOfFtl } from "../jit.ts";

/** draft-02 §5 file attributes: a field is present when it is defined (flags are derived from that). */
export interface SftpAttrs {
  /** SSH_FILEXFER_ATTR_SIZE (uint64; exact up to 2^53). */
  size?: number;
  /** SSH_FILEXFER_ATTR_UIDGID: both or neither. */
  uid?: number;
  gid?: number;
  /** SSH_FILEXFER_ATTR_PERMISSIONS: the whole st_mode, file type bits included. */
  permissions?: number;
  /** SSH_FILEXFER_ATTR_ACMODTIME (uint32 seconds): both or neither. */
  atime?: number;
  mtime?: number;
  /** SSH_FILEXFER_ATTR_EXTENDED pairs (type, data); views into the packet when decoded. */
  extended?: [Uint8Array, Uint8Array][];
}

/** The attribute flags that `a` carries. */
export function attrsFlags(a: SftpAttrs): number {
  let f = 0;
  if (a.size !== undefined) f |= SSH_FILEXFER_ATTR_SIZE;
  if (a.uid !== undefined && a.gid !== undefined) f |= SSH_FILEXFER_ATTR_UIDGID;
  if (a.permissions !== undefined) f |= SSH_FILEXFER_ATTR_PERMISSIONS;
  if (a.atime !== undefined && a.mtime !== undefined) f |= SSH_FILEXFER_ATTR_ACMODTIME;
  if (a.extended !== undefined) f |= SSH_FILEXFER_ATTR_EXTENDED;
  return f >>> 0;
}

/** sftp-common.c decode_attrib(): fields in flag order; at most 0x100000 extended pairs. */
export function readAttrs(r: Reader): SftpAttrs {
  const flags = r.u32();
  const a: SftpAttrs = {};
  if (flags & SSH_FILEXFER_ATTR_SIZE) a.size = Number(r.u64());
  if (flags & SSH_FILEXFER_ATTR_UIDGID) {
    a.uid = r.u32();
    a.gid = r.u32();
  }
  if (flags & SSH_FILEXFER_ATTR_PERMISSIONS) a.permissions = r.u32();
  if (flags & SSH_FILEXFER_ATTR_ACMODTIME) {
    a.atime = r.u32();
    a.mtime = r.u32();
  }
  if (flags & SSH_FILEXFER_ATTR_EXTENDED) {
    const count = r.u32();
    if (count > 0x100000) throw new SftpProtocolError("invalid format"); // sftp-common.c: SSH_ERR_INVALID_FORMAT
    a.extended = [];
    for (let i = 0; i < count; i++) a.extended.push([r.stringView(), r.stringView()]);
  }
  return a;
}

/** sftp-common.c encode_attrib(). */
export function writeAttrs(w: Writer, a: SftpAttrs): void {
  const flags = attrsFlags(a);
  w.u32(flags);
  if (flags & SSH_FILEXFER_ATTR_SIZE) w.u64(BigInt(a.size!));
  if (flags & SSH_FILEXFER_ATTR_UIDGID) w.u32(a.uid!).u32(a.gid!);
  if (flags & SSH_FILEXFER_ATTR_PERMISSIONS) w.u32(a.permissions!);
  if (flags & SSH_FILEXFER_ATTR_ACMODTIME) w.u32(a.atime!).u32(a.mtime!);
  if (flags & SSH_FILEXFER_ATTR_EXTENDED) {
    w.u32(a.extended!.length);
    for (const [t, d] of a.extended!) w.string(t).string(d);
  }
}

/** A client request. Paths, handles and data are byte views into the packet (valid while the packet is). */
export type SftpRequest =
  | { type: "init"; version: number; extensions: [string, Uint8Array][] }
  | { type: "open"; id: number; path: Uint8Array; pflags: number; attrs: SftpAttrs }
  | { type: "close" | "fstat" | "readdir"; id: number; handle: Uint8Array }
  | { type: "read"; id: number; handle: Uint8Array; offset: bigint; length: number }
  | { type: "write"; id: number; handle: Uint8Array; offset: bigint; data: Uint8Array }
  | { type: "lstat" | "stat" | "opendir" | "remove" | "rmdir" | "realpath" | "readlink"; id: number; path: Uint8Array }
  | { type: "setstat" | "mkdir"; id: number; path: Uint8Array; attrs: SftpAttrs }
  | { type: "fsetstat"; id: number; handle: Uint8Array; attrs: SftpAttrs }
  | { type: "rename"; id: number; oldPath: Uint8Array; newPath: Uint8Array }
  /** PROTOCOL §4.1: OpenSSH sends (and expects) the target first and the link second, reversed from draft-02. */
  | { type: "symlink"; id: number; targetPath: Uint8Array; linkPath: Uint8Array }
  /** SSH_FXP_EXTENDED: `body` is what follows the request name (decoded by the extension's handler). */
  | { type: "extended"; id: number; name: string; body: Uint8Array }
  /** A request type draft-02 does not define (the id is read when present). */
  | { type: "unknown"; id: number; code: number };

const PATH_REQUESTS = {
  [SSH_FXP_LSTAT]: "lstat", [SSH_FXP_STAT]: "stat", [SSH_FXP_OPENDIR]: "opendir", [SSH_FXP_REMOVE]: "remove",
  [SSH_FXP_RMDIR]: "rmdir", [SSH_FXP_REALPATH]: "realpath", [SSH_FXP_READLINK]: "readlink",
} as const;
const HANDLE_REQUESTS = { [SSH_FXP_CLOSE]: "close", [SSH_FXP_FSTAT]: "fstat", [SSH_FXP_READDIR]: "readdir" } as const;
const REQUEST_CODES: Record<string, number> = {
  open: SSH_FXP_OPEN, read: SSH_FXP_READ, write: SSH_FXP_WRITE, setstat: SSH_FXP_SETSTAT, fsetstat: SSH_FXP_FSETSTAT,
  mkdir: SSH_FXP_MKDIR, rename: SSH_FXP_RENAME, symlink: SSH_FXP_SYMLINK, extended: SSH_FXP_EXTENDED,
};
for (const [code, name] of Object.entries({ ...PATH_REQUESTS, ...HANDLE_REQUESTS })) REQUEST_CODES[name] = Number(code);

/**
 * Decodes one request packet body (type byte first, length prefix already removed). Truncated fields throw
 * SftpProtocolError; bytes after the last field are ignored, as sftp-server.c discards them.
 */
export function decodeRequest(payload: Uint8Array): SftpRequest {
  const r = new SftpReader(payload);
  const code = r.u8();
  if (code === SSH_FXP_INIT) {
    const version = r.u32();
    const extensions: [string, Uint8Array][] = [];
    while (r.remaining > 0) extensions.push([r.string(), r.stringView()]);
    return { type: "init", version, extensions };
  }
  const id = r.u32();
  const pathType = PATH_REQUESTS[code as keyof typeof PATH_REQUESTS];
  if (pathType !== undefined) return { type: pathType, id, path: r.stringView() };
  const handleType = HANDLE_REQUESTS[code as keyof typeof HANDLE_REQUESTS];
  if (handleType !== undefined) return { type: handleType, id, handle: r.stringView() };
  switch (code) {
    case SSH_FXP_OPEN:
      return { type: "open", id, path: r.stringView(), pflags: r.u32(), attrs: readAttrs(r) };
    case SSH_FXP_READ:
      return { type: "read", id, handle: r.stringView(), offset: r.u64(), length: r.u32() };
    case SSH_FXP_WRITE:
      return { type: "write", id, handle: r.stringView(), offset: r.u64(), data: r.stringView() };
    case SSH_FXP_SETSTAT:
    case SSH_FXP_MKDIR:
      return { type: code === SSH_FXP_SETSTAT ? "setstat" : "mkdir", id, path: r.stringView(), attrs: readAttrs(r) };
    case SSH_FXP_FSETSTAT:
      return { type: "fsetstat", id, handle: r.stringView(), attrs: readAttrs(r) };
    case SSH_FXP_RENAME:
      return { type: "rename", id, oldPath: r.stringView(), newPath: r.stringView() };
    case SSH_FXP_SYMLINK:
      return { type: "symlink", id, targetPath: r.stringView(), linkPath: r.stringView() };
    case SSH_FXP_EXTENDED:
      return { type: "extended", id, name: r.string(), body: r.rest() };
    default:
      return { type: "unknown", id, code };
  }
}

/** Encodes a request as a whole packet (length prefix included). */
export function encodeRequest(req: SftpRequest, pool: BufferPool | null = null): Writer {
  const w = beginPacket(pool, req.type === "write" ? req.data.length + 64 : 256);
  if (req.type === "init") {
    w.u8(SSH_FXP_INIT).u32(req.version);
    for (const [n, d] of req.extensions) w.string(n).string(d);
    return endPacket(w);
  }
  w.u8(req.type === "unknown" ? req.code : REQUEST_CODES[req.type]!).u32(req.id);
  switch (req.type) {
    case "open": w.string(req.path).u32(req.pflags); writeAttrs(w, req.attrs); break;
    case "close": case "fstat": case "readdir": w.string(req.handle); break;
    case "read": w.string(req.handle).u64(req.offset).u32(req.length); break;
    case "write": w.string(req.handle).u64(req.offset).string(req.data); break;
    case "lstat": case "stat": case "opendir": case "remove": case "rmdir": case "realpath": case "readlink":
      w.string(req.path); break;
    case "setstat": case "mkdir": w.string(req.path); writeAttrs(w, req.attrs); break;
    case "fsetstat": w.string(req.handle); writeAttrs(w, req.attrs); break;
    case "rename": w.string(req.oldPath).string(req.newPath); break;
    case "symlink": w.string(req.targetPath).string(req.linkPath); break;
    case "extended": w.string(req.name).raw(req.body); break;
    case "unknown": break;
  }
  return endPacket(w);
}

/** One entry of SSH_FXP_NAME. */
export interface SftpName {
  filename: Uint8Array;
  longname: Uint8Array;
  attrs: SftpAttrs;
}

/** A server reply. */
export type SftpReply =
  | { type: "version"; version: number; extensions: [string, string][] }
  | { type: "status"; id: number; code: number; message: string; language: string }
  | { type: "handle"; id: number; handle: Uint8Array }
  | { type: "data"; id: number; data: Uint8Array }
  | { type: "name"; id: number; names: SftpName[] }
  | { type: "attrs"; id: number; attrs: SftpAttrs }
  | { type: "extended-reply"; id: number; data: Uint8Array };

/** Encodes a reply as a whole packet (length prefix included). */
export function encodeReply(reply: SftpReply, pool: BufferPool | null = null): Writer {
  const w = beginPacket(pool, reply.type === "data" ? reply.data.length + 16 : 256);
  switch (reply.type) {
    case "version":
      w.u8(SSH_FXP_VERSION).u32(reply.version);
      for (const [n, v] of reply.extensions) w.string(n).string(v);
      break;
    case "status":
      w.u8(SSH_FXP_STATUS).u32(reply.id).u32(reply.code).string(reply.message).string(reply.language);
      break;
    case "handle": w.u8(SSH_FXP_HANDLE).u32(reply.id).string(reply.handle); break;
    case "data": w.u8(SSH_FXP_DATA).u32(reply.id).string(reply.data); break;
    case "name":
      w.u8(SSH_FXP_NAME).u32(reply.id).u32(reply.names.length);
      for (const n of reply.names) {
        w.string(n.filename).string(n.longname);
        writeAttrs(w, n.attrs);
      }
      break;
    case "attrs": w.u8(SSH_FXP_ATTRS).u32(reply.id); writeAttrs(w, reply.attrs); break;
    case "extended-reply": w.u8(SSH_FXP_EXTENDED_REPLY).u32(reply.id).raw(reply.data); break;
  }
  return endPacket(w);
}

/** Decodes one reply packet body (type byte first). Views borrow from `payload`. */
export function decodeReply(payload: Uint8Array): SftpReply {
  const r = new SftpReader(payload);
  const code = r.u8();
  if (code === SSH_FXP_VERSION) {
    const version = r.u32();
    const extensions: [string, string][] = [];
    while (r.remaining > 0) extensions.push([r.string(), r.string()]);
    return { type: "version", version, extensions };
  }
  const id = r.u32();
  switch (code) {
    case SSH_FXP_STATUS: {
      const c = r.u32();
      // draft-02 §7: message and language tag; servers of protocol version < 3 omit them
      const message = r.remaining > 0 ? r.string() : "";
      const language = r.remaining > 0 ? r.string() : "";
      return { type: "status", id, code: c, message, language };
    }
    case SSH_FXP_HANDLE: return { type: "handle", id, handle: r.stringView() };
    case SSH_FXP_DATA: return { type: "data", id, data: r.stringView() };
    case SSH_FXP_NAME: {
      const count = r.u32();
      const names: SftpName[] = [];
      for (let i = 0; i < count; i++) names.push({ filename: r.stringView(), longname: r.stringView(), attrs: readAttrs(r) });
      return { type: "name", id, names };
    }
    case SSH_FXP_ATTRS: return { type: "attrs", id, attrs: readAttrs(r) };
    case SSH_FXP_EXTENDED_REPLY: return { type: "extended-reply", id, data: r.rest() };
    default: throw new SftpProtocolError(`unknown reply type ${code}`);
  }
}

/** A writer for one packet: 4 bytes reserved for the length. */
export function beginPacket(pool: BufferPool | null, capacity = 256): Writer {
  const w = new Writer(pool, capacity);
  w.u32(0);
  return w;
}

/** Fills in the length of a packet started with beginPacket(). */
export function endPacket(w: Writer): Writer {
  const n = w.pos - 4;
  const b = w.bytes;
  b[0] = n >>> 24;
  b[1] = (n >>> 16) & 0xff;
  b[2] = (n >>> 8) & 0xff;
  b[3] = n & 0xff;
  return w;
}

/** A Reader whose truncation errors are SFTP's (sftp-server.c: `parse: incomplete message`, then exit). */
export class SftpReader extends Reader {
  override u8(): number { return this.guard(() => super.u8()); }
  override u32(): number { return this.guard(() => super.u32()); }
  override u64(): bigint { return this.guard(() => super.u64()); }
  override stringView(): Uint8Array { return this.guard(() => super.stringView()); }
  override raw(n: number): Uint8Array { return this.guard(() => super.raw(n)); }
  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof SftpProtocolError) throw e;
      throw new SftpProtocolError("incomplete message");
    }
  }
}

/** Something to give back once: a pooled Lease, or a borrowed input chunk's reference. */
export interface Releasable {
  release(): void;
}

/** One framed packet: the body (type byte first) and what to release when done with it. */
export interface FramedPacket {
  readonly payload: Uint8Array;
  /** A pooled buffer (gathered across chunks) or a reference on the input chunk it borrows from. */
  readonly lease: Releasable;
}

/** An input chunk and the references on it (the framer's own, plus one per packet that borrows from it). */
class ChunkRef implements Releasable {
  refs = 1;
  constructor(
    public bytes: Uint8Array,
    private readonly done: ((chunk: Uint8Array) => void) | undefined,
  ) {}
  release(): void {
    if (--this.refs === 0) this.done?.(this.bytes);
  }
  borrow(): Releasable {
    this.refs++;
    let live = true;
    return {
      release: () => {
        if (!live) throw new Error("packet released twice");
        live = false;
        this.release();
      },
    };
  }
}

/**
 * Cuts a byte stream into SFTP packets, whatever the chunking. A packet inside one chunk is returned as a view of it;
 * one that straddles chunks is gathered once into a pooled buffer. `onChunkFree` (optional) hears when no byte of a
 * chunk is referenced any more, so its producer may reuse it; adjacent views of one buffer may be merged first (and
 * heard of as one view), so a producer counts bytes, not calls. A length over `maxLength` (default SFTP_MAX_MSG_LENGTH)
 * throws SftpProtocolError (sftp-server.c exits with 11).
 */
export class SftpFramer {
  private readonly chunks: ChunkRef[] = [];
  private head = 0; // read offset in chunks[0]
  private buffered = 0;

  constructor(
    private readonly pool: BufferPool,
    private readonly maxLength = SFTP_MAX_MSG_LENGTH,
    private readonly onChunkFree?: (chunk: Uint8Array) => void,
  ) {}

  /** Bytes received and not yet returned as packets. */
  get pending(): number {
    return this.buffered;
  }

  /** Adds a chunk; the framer keeps a reference until its bytes have been returned. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) {
      this.onChunkFree?.(chunk);
      return;
    }
    this.buffered += chunk.length;
    // A view that continues the last one in the same memory extends it: a packet across the two is then borrowed
    // in place instead of gathered (cmd/sftp-server.ts reads stdin into one large buffer back to back).
    const last = this.chunks.at(-1);
    if (last !== undefined && last.refs === 1 && last.bytes.buffer === chunk.buffer && last.bytes.byteOffset + last.bytes.length === chunk.byteOffset) {
      last.bytes = new Uint8Array(chunk.buffer, last.bytes.byteOffset, last.bytes.length + chunk.length);
      return;
    }
    this.chunks.push(new ChunkRef(chunk, this.onChunkFree));
  }

  /** The next whole packet, or null until more bytes arrive. */
  next(): FramedPacket | null {
    if (this.buffered < 4) return null;
    const first = this.chunks[0]!;
    const b = first.bytes;
    const h = this.head;
    if (b.length - h > 4) {
      // the common case, a packet whose length field lies in the first chunk: no loops
      const len = ((b[h]! << 24) | (b[h + 1]! << 16) | (b[h + 2]! << 8) | b[h + 3]!) >>> 0;
      if (len > this.maxLength) throw new SftpProtocolError(`bad message length ${len}`, true);
      if (len === 0) throw new SftpProtocolError("empty message");
      if (b.length - h - 4 > len) {
        this.head = h + 4 + len;
        this.buffered -= 4 + len;
        return { payload: b.subarray(h + 4, h + 4 + len), lease: first.borrow() };
      }
    }
    return this.nextSlow();
  }

  private nextSlow(): FramedPacket | null {
    const len = this.peekLength();
    if (len > this.maxLength) throw new SftpProtocolError(`bad message length ${len}`, true);
    if (len === 0) throw new SftpProtocolError("empty message");
    if (this.buffered < 4 + len) return null;
    this.skip(4);
    const first = this.chunks[0]!;
    if (first.bytes.length - this.head >= len) {
      const payload = first.bytes.subarray(this.head, this.head + len);
      const lease = first.borrow();
      this.skip(len);
      return { payload, lease };
    }
    const lease = this.pool.take(len);
    const payload = lease.bytes.subarray(0, len);
    let done = 0;
    while (done < len) {
      const c = this.chunks[0]!.bytes;
      const n = Math.min(c.length - this.head, len - done);
      payload.set(c.subarray(this.head, this.head + n), done);
      done += n;
      this.skip(n);
    }
    return { payload, lease };
  }

  /** Drops what is buffered (end of session). */
  discard(): void {
    for (const c of this.chunks) c.release();
    this.chunks.length = 0;
    this.head = 0;
    this.buffered = 0;
  }

  private peekLength(): number {
    let v = 0;
    let i = 0;
    let c = 0;
    let off = this.head;
    while (i < 4) {
      const chunk = this.chunks[c]!.bytes;
      if (off >= chunk.length) {
        c++;
        off = 0;
        continue;
      }
      v = v * 256 + chunk[off++]!;
      i++;
    }
    return v;
  }

  private skip(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      const avail = c.bytes.length - this.head;
      if (n < avail) {
        this.head += n;
        return;
      }
      n -= avail;
      this.chunks.shift();
      this.head = 0;
      c.release();
    }
  }
}

keepOutOfFtl([SftpReader, ChunkRef, SftpFramer]);
