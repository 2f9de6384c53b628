// The SFTP v3 client (OpenSSH sftp-client.c): requests pipelined by id over a byte duplex, OpenSSH's extensions, and
// the high-level transfers sftp and scp share (many reads/writes in flight, resume, preserved times and modes). Error
// text is OpenSSH's, word for word, so the front-ends print e.message and nothing else.
import {
  closeSync, fchmodSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, lstatSync, mkdirSync, openSync, readdirSync,
  readSync, statSync, utimesSync, chmodSync, writeSync, constants as fsConstants, type Stats,
} from "node:fs";
import { SshError } from "../errors.ts";
import { strerror } from "../strerror.ts";
import { BufferPool, Reader, Writer } from "../wire/index.ts";
import { decodeReply, encodeRequest, SftpFramer, writeAttrs, type SftpAttrs, type SftpReply, type SftpRequest } from "./codec.ts";
import { SftpProtocolError } from "./errors.ts";
import {
  SFTP_MAX_MSG_LENGTH, SSH_FILEXFER_VERSION, SSH_FXF_APPEND, SSH_FXF_CREAT, SSH_FXF_READ, SSH_FXF_TRUNC, SSH_FXF_WRITE,
  SftpStatus,
} from "./protocol.ts";
import { keepOutOfFtl } from "../jit.ts";

/** sftp-client.c: DEFAULT_COPY_BUFLEN, DEFAULT_NUM_REQUESTS, MIN_READ_SIZE, MAX_DIR_DEPTH. */
export const SFTP_DEFAULT_BUFFER_BYTES = 32768;
export const SFTP_DEFAULT_NUM_REQUESTS = 64;
const MIN_READ_SIZE = 512;
const MAX_DIR_DEPTH = 64;

/** sftp-common.c fx2txt(): the words sftp prints for a status code. */
export function fx2txt(code: number): string {
  const t = [
    "No error", "End of file", "No such file or directory", "Permission denied", "Failure", "Bad message",
    "No connection", "Connection lost", "Operation unsupported",
  ][code];
  return t ?? "Unknown status";
}

/**
 * A request or transfer failed. `message` is the line OpenSSH's error() prints (empty when every line was already
 * sent to the log, as after a recursive transfer); `code` is the SSH_FX_* status when the server sent one.
 */
export class SftpClientError extends SshError {
  override name = "SftpClientError";
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

/** The session is over (sftp-client.c fatal()): connection closed, a malformed or unexpected reply. */
export class SftpConnectionError extends SftpClientError {
  override name = "SftpConnectionError";
}

/** Where a client sends the lines sftp-client.c logs itself (error(), logit(), debug*(), mprintf()). */
export interface SftpClientLog {
  error(text: string): void;
  info(text: string): void;
  debug(level: 1 | 2 | 3, text: string): void;
  /** mprintf(): `Retrieving dir`, `Entering dir`, longnames while listing (stdout). */
  print(text: string): void;
}

const silentLog: SftpClientLog = { error: () => {}, info: () => {}, debug: () => {}, print: () => {} };

/** Where requests go: a spawned process's stdin (Bun FileSink), a socket, or a test pipe. */
export interface SftpSink {
  write(bytes: Uint8Array): unknown;
  flush?(): unknown;
  end?(): unknown;
}

/** Server replies: a spawned process's stdout, or any chunked byte source whose chunks are fresh (never refilled). */
export type SftpSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface SftpClientOptions {
  /** Bytes per READ/WRITE (sftp -B); 0 or undefined: 32768, or what limits@openssh.com allows. */
  readonly bufferBytes?: number;
  /** Requests in flight during a transfer (sftp -R); default 64. */
  readonly numRequests?: number;
  readonly log?: SftpClientLog;
  /** sftp -l: bandwidth limit in bits per second (0: none). */
  readonly limitBitsPerSecond?: number;
}

/**
 * misc.c bandwidth_limit(): counts bytes and, once a threshold has passed, says how long to pause so the average stays
 * at the limit (the threshold adapts as OpenSSH's does).
 */
export class BandwidthLimiter {
  private lamt = 0;
  private thresh: number;
  private start: number | null = null;
  constructor(
    private readonly rateBits: number,
    private readonly buflen: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.thresh = buflen;
  }

  /** Adds `bytes`; returns the milliseconds to wait now (0 for none). */
  account(bytes: number): number {
    this.lamt += bytes;
    if (this.start === null) {
      this.start = this.now();
      return 0;
    }
    if (this.lamt < this.thresh) return 0;
    const elapsed = this.now() - this.start;
    if (elapsed <= 0) return 0;
    const want = (1000 * this.lamt * 8) / this.rateBits;
    let wait = 0;
    if (want > elapsed) {
      wait = want - elapsed;
      if (wait >= 1000) this.thresh = Math.max(Math.trunc(this.thresh / 2), Math.trunc(this.buflen / 4));
      else if (wait < 10) this.thresh = Math.min(this.thresh * 2, this.buflen * 8);
    }
    this.lamt = 0;
    this.start = this.now() + wait;
    return wait;
  }
}

/** One directory entry from READDIR. */
export interface SftpDirEntry {
  readonly filename: string;
  readonly longname: string;
  readonly attrs: SftpAttrs;
}

/** statvfs@openssh.com reply (PROTOCOL §4.4). */
export interface SftpStatvfs {
  bsize: number; frsize: number; blocks: number; bfree: number; bavail: number; files: number; ffree: number;
  favail: number; fsid: number; flag: number; namemax: number;
}

/** limits@openssh.com reply (PROTOCOL §4.8). */
export interface SftpLimits {
  packetLength: number; readLength: number; writeLength: number; openHandles: number;
}

/** Progress of one transfer: started with the name OpenSSH's meter shows, updated with bytes done, then stopped. */
export interface TransferProgress {
  start(name: string, totalBytes: number, doneBytes: number): void;
  update(doneBytes: number): void;
  stop(): void;
}

/** Options of download/upload and their recursive forms (sftp get/put flags, scp -p -r). */
export interface TransferOptions {
  /** -p: copy modes and times. */
  readonly preserve?: boolean;
  /** reget/reput, -a: continue from the destination's current size. */
  readonly resume?: boolean;
  /** -f: fsync the destination when done. */
  readonly fsync?: boolean;
  /** Write in place, without truncating first. */
  readonly inplace?: boolean;
  /** -L for recursive transfers: follow symbolic links. */
  readonly followLinks?: boolean;
  /** Print `Retrieving`/`Entering` for directories. */
  readonly printDirs?: boolean;
  /** Progress for each file (sftp's progress meter); created per file. */
  readonly progress?: (() => TransferProgress) | undefined;
  /** Interrupt (SIGINT): stop sending requests, drain, and fail. */
  readonly signal?: AbortSignal | undefined;
}

/** Hears a reply once; its byte views (handle, data, names, extended attributes) are valid only during the call. */
type ReplyHandler = (reply: SftpReply) => void;

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * A remote name as text: UTF-8, with each byte that is not part of valid UTF-8 kept as U+DC80..U+DCFF (Python's
 * "surrogateescape"), so names in other encodings survive the trip back to the server byte for byte (pathBytes).
 */
export function pathText(b: Uint8Array): string {
  try {
    return strictDecoder.decode(b);
  } catch {
    // fall through to the escaping decoder
  }
  let out = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n = 0;
    let cp = 0;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    }
    let ok = n > 0;
    for (let k = 1; ok && k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (cc & 0x3f);
    }
    // no overlong forms, no UTF-16 surrogates, nothing past U+10FFFF
    if (ok && ((n === 2 && cp < 0x800) || (n === 3 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)) ok = false;
    if (ok) {
      out += String.fromCodePoint(cp);
      i += n + 1;
    } else {
      out += String.fromCharCode(0xdc00 + c);
      i++;
    }
  }
  return out;
}

/** The bytes of a name made by pathText (or typed as text): UTF-8, escaped bytes restored. */
export function pathBytes(s: string): Uint8Array {
  if (!/[\udc80-\udcff]/.test(s)) return encoder.encode(s);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u >= 0xdc80 && u <= 0xdcff && !(i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff)) {
      out.push(u - 0xdc00);
      continue;
    }
    const cp = s.codePointAt(i)!;
    if (cp > 0xffff) i++;
    for (const byte of encoder.encode(String.fromCodePoint(cp))) out.push(byte);
  }
  return Uint8Array.from(out);
}

/** A local path for node:fs: the string itself, or its bytes when it carries escaped (non-UTF-8) bytes. */
export function localPath(s: string): string | Buffer {
  return /[\udc80-\udcff]/.test(s) ? Buffer.from(pathBytes(s)) : s;
}

const bytes = pathBytes;
const localPath_ = localPath;
const text = pathText;

/** S_ISDIR / S_ISREG / S_ISLNK on an SFTP permissions field. */
export const isDir = (a: SftpAttrs): boolean => a.permissions !== undefined && (a.permissions & 0o170000) === 0o040000;
export const isReg = (a: SftpAttrs): boolean => a.permissions !== undefined && (a.permissions & 0o170000) === 0o100000;
export const isLink = (a: SftpAttrs): boolean => a.permissions !== undefined && (a.permissions & 0o170000) === 0o120000;

/** sftp-common.c/misc.c path_append(): joins with one slash. */
export function sftpPathAppend(p1: string, p2: string): string {
  return p1 === "" || p1.endsWith("/") ? p1 + p2 : `${p1}/${p2}`;
}

/** stat_to_attrib() for a local file. */
export function localStatToAttrs(st: Stats): SftpAttrs {
  return {
    size: st.size, uid: st.uid, gid: st.gid, permissions: st.mode,
    atime: Math.floor(st.atimeMs / 1000) >>> 0, mtime: Math.floor(st.mtimeMs / 1000) >>> 0,
  };
}

/**
 * An SFTP session over a byte duplex. Create it with SftpClient.init(), which sends INIT, reads VERSION and its
 * extensions, and asks for limits@openssh.com when offered. Requests may overlap; replies are matched by id.
 */
export class SftpClient {
  /** The server's protocol version (3 for OpenSSH). */
  version = 0;
  /** Extensions the server offered: name → version string. */
  readonly extensions = new Map<string, string>();
  /** Bytes per READ and per WRITE. */
  downloadBufferBytes: number;
  uploadBufferBytes: number;
  /** Requests in flight per transfer. */
  readonly numRequests: number;
  readonly log: SftpClientLog;

  private nextId = 1;
  private readonly pending = new Map<number, ReplyHandler>();
  private versionWaiter: ((reply: SftpReply) => void) | null = null;
  private dead: SftpConnectionError | null = null;
  private readonly framer = new SftpFramer(new BufferPool());
  private readonly done: Promise<void>;
  private readonly deadWaiters: ((e: SftpConnectionError) => void)[] = [];
  private limitIn: BandwidthLimiter | null = null;
  private limitOut: BandwidthLimiter | null = null;
  private outPending = 0;

  private constructor(
    input: SftpSource,
    private readonly output: SftpSink,
    private readonly options: SftpClientOptions,
  ) {
    this.downloadBufferBytes = this.uploadBufferBytes = options.bufferBytes || SFTP_DEFAULT_BUFFER_BYTES;
    this.numRequests = options.numRequests || SFTP_DEFAULT_NUM_REQUESTS;
    this.log = options.log ?? silentLog;
    this.done = this.readLoop(input);
  }

  /** sftp_init(): INIT(3) → VERSION, extensions, limits. Throws SftpConnectionError when the server never answers. */
  static async init(input: SftpSource, output: SftpSink, options: SftpClientOptions = {}): Promise<SftpClient> {
    const c = new SftpClient(input, output, options);
    const version = new Promise<SftpReply>((resolve, reject) => {
      c.versionWaiter = resolve;
      c.deadWaiters.push(reject);
    });
    c.sendPacket(encodeRequest({ type: "init", version: SSH_FILEXFER_VERSION, extensions: [] }));
    const v = await version;
    if (v.type !== "version") throw c.fatal("Couldn't initialise connection to server");
    c.version = v.version;
    c.log.debug(2, `Remote version: ${v.version}`);
    for (const [name, value] of v.extensions) {
      c.extensions.set(name, value);
      c.log.debug(2, `Server supports extension "${name}" revision ${value}`);
    }
    if (c.has("limits@openssh.com")) {
      const limits = await c.limits().catch((e: unknown) => {
        if (e instanceof SftpConnectionError) throw e;
        throw c.fatal("sftp_init: limits failed");
      });
      if (!options.bufferBytes && limits !== null) {
        c.downloadBufferBytes = Math.max(64, Math.min(limits.readLength || Infinity, SFTP_MAX_MSG_LENGTH - 1024));
        c.uploadBufferBytes = Math.max(64, Math.min(limits.writeLength || Infinity, SFTP_MAX_MSG_LENGTH - 1024));
      }
    }
    if (options.limitBitsPerSecond) {
      c.limitIn = new BandwidthLimiter(options.limitBitsPerSecond, c.downloadBufferBytes);
      c.limitOut = new BandwidthLimiter(options.limitBitsPerSecond, c.uploadBufferBytes);
    }
    if (c.version === 0) {
      c.downloadBufferBytes = Math.min(c.downloadBufferBytes, 20480);
      c.uploadBufferBytes = Math.min(c.uploadBufferBytes, 20480);
    }
    return c;
  }

  /** Whether the server offered `name` at the revision OpenSSH's client requires. */
  has(name: string): boolean {
    const want: Record<string, string> = {
      "statvfs@openssh.com": "2", "fstatvfs@openssh.com": "2",
    };
    return this.extensions.get(name) === (want[name] ?? "1");
  }

  /** Ends the request stream (the server sees EOF and exits) and waits for its replies to end. */
  async close(): Promise<void> {
    try {
      this.output.end?.();
    } catch {
      // already gone
    }
    await this.done;
  }

  /** Resolves when the reply stream ends (server exited); never rejects. */
  get closed(): Promise<void> {
    return this.done;
  }

  // ---- transport -------------------------------------------------------------------------------------------------

  private async readLoop(input: SftpSource): Promise<void> {
    try {
      for await (const chunk of input as AsyncIterable<Uint8Array>) {
        if (this.limitIn !== null) {
          // -l: replies wait, and so do the requests they would release (uploads are paced by their acks)
          const wait = Math.max(this.limitIn.account(chunk.length), this.limitOut!.account(this.outPending));
          this.outPending = 0;
          if (wait > 0) await Bun.sleep(wait);
        }
        // no copy: a stream's chunks are fresh (Bun's and Node's are), and copying each one cost a third of sftp's
        // CPU on a download (fresh pages to fault in and zero for every chunk)
        this.framer.push(chunk);
        for (;;) {
          let packet;
          try {
            packet = this.framer.next();
          } catch (e) {
            if (e instanceof SftpProtocolError && e.tooLong) {
              this.log.error(`Received message too long ${e.message.replace(/^bad message length /, "")}`);
              throw this.fatal("Ensure the remote shell produces no output for non-interactive sessions.");
            }
            throw this.fatal(e instanceof Error ? e.message : String(e));
          }
          if (packet === null) break;
          // The reply's views borrow from the packet until its handler returns (ReplyHandler): a download writes the
          // data out in place, request() copies what it keeps. A copy of every reply cost a fifth of a download's CPU.
          try {
            let reply: SftpReply;
            try {
              reply = decodeReply(packet.payload);
            } catch (e) {
              throw this.fatal(e instanceof Error ? e.message : String(e));
            }
            this.dispatch(reply);
          } finally {
            packet.lease.release();
          }
        }
      }
      this.fatal("Connection closed");
    } catch (e) {
      if (!(e instanceof SftpConnectionError)) this.fatal(`Couldn't read packet: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.framer.discard();
  }

  private dispatch(reply: SftpReply): void {
    if (reply.type === "version") {
      const w = this.versionWaiter;
      this.versionWaiter = null;
      if (w === null) throw this.fatal("Unexpected SSH2_FXP_VERSION");
      w(reply);
      return;
    }
    if (this.versionWaiter !== null) {
      // sftp_init(): error() and no connection; sftp then fatal()s with its own words
      this.versionWaiter = null;
      this.log.error(`Invalid packet back from SSH2_FXP_INIT (type ${REPLY_CODES[reply.type]})`);
      throw this.fatal("Couldn't initialise connection to server");
    }
    const h = this.pending.get(reply.id);
    if (h === undefined) throw this.fatal(`Unexpected reply ${reply.id}`);
    this.pending.delete(reply.id);
    h(reply);
  }

  /** Marks the session dead: every waiting request fails with the same error. Returns it (to throw). */
  private fatal(message: string): SftpConnectionError {
    if (this.dead !== null) return this.dead;
    const e = new SftpConnectionError(message);
    this.dead = e;
    const handlers = [...this.pending.values()];
    this.pending.clear();
    for (const w of this.deadWaiters.splice(0)) w(e);
    for (const h of handlers) h({ type: "status", id: -1, code: -1, message, language: "" });
    return e;
  }

  private sendPacket(w: Writer): void {
    const packet = w.toBytes();
    if (packet.length - 4 > SFTP_MAX_MSG_LENGTH) throw this.fatal(`Outbound message too long ${packet.length - 4}`);
    // A pipe whose reader is gone fails later and asynchronously (EPIPE): that is not reported here; the reply
    // stream ends too and the session dies with "Connection closed", as OpenSSH's sftp says in that case.
    if (this.limitOut !== null) this.outPending += packet.length;
    const ignore = (r: unknown): void => {
      if (r instanceof Promise) r.catch(() => {});
    };
    try {
      ignore(this.output.write(packet));
      ignore(this.output.flush?.());
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EPIPE") return;
      throw this.fatal(`Couldn't send packet: ${strerror(e)}`);
    }
  }

  /**
   * Sends a request with a fresh id; `onReply` hears its reply once. If the session dies first, `onReply` gets a
   * status with code -1 (check `dead` via the thrown error of the next call). For pipelined transfers.
   */
  send(req: DistributiveOmit<Exclude<SftpRequest, { type: "init" }>, "id">, onReply: ReplyHandler): number {
    if (this.dead !== null) throw this.dead;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    this.pending.set(id, onReply);
    this.sendPacket(encodeRequest({ ...req, id } as SftpRequest));
    return id;
  }

  /** One request, its reply. Rejects with SftpConnectionError if the session ends first. */
  request(req: DistributiveOmit<Exclude<SftpRequest, { type: "init" }>, "id">): Promise<SftpReply> {
    return new Promise((resolve, reject) => {
      try {
        this.send(req, (reply) => (reply.type === "status" && reply.code === -1 ? reject(this.dead) : resolve(detachReply(reply))));
      } catch (e) {
        reject(e);
      }
    });
  }

  private unexpected(expected: string, code: number, reply: SftpReply): SftpConnectionError {
    return this.fatal(`Expected ${expected}(${code}) packet, got ${REPLY_CODES[reply.type]}`);
  }

  /** A request answered by STATUS: resolves with the code. */
  private async status(req: DistributiveOmit<Exclude<SftpRequest, { type: "init" }>, "id">): Promise<number> {
    const r = await this.request(req);
    if (r.type !== "status") throw this.unexpected("SSH2_FXP_STATUS", 101, r);
    return r.code;
  }

  private async expectOk(req: DistributiveOmit<Exclude<SftpRequest, { type: "init" }>, "id">, what: string): Promise<void> {
    const code = await this.status(req);
    if (code !== SftpStatus.SSH_FX_OK) throw new SftpClientError(`${what}: ${fx2txt(code)}`, code);
  }

  private async extended(name: string, body: Uint8Array): Promise<SftpReply> {
    return this.request({ type: "extended", name, body });
  }

  private needExt(name: string): void {
    if (!this.has(name)) throw new SftpClientError(`Server does not support ${name} extension`);
  }

  // ---- requests ----------------------------------------------------------------------------------------------------

  /** SSH_FXP_OPEN → handle; `tag` words the error as OpenSSH's send_open (`remote open "path": ...`). */
  async open(path: string, pflags: number, attrs: SftpAttrs = {}, tag = "remote"): Promise<Uint8Array> {
    const r = await this.request({ type: "open", path: bytes(path), pflags, attrs });
    return this.handleOf(r, `${tag} open "${path}"`);
  }

  /** SSH_FXP_OPENDIR → handle. */
  async opendir(path: string): Promise<Uint8Array> {
    const r = await this.request({ type: "opendir", path: bytes(path) });
    return this.handleOf(r, `remote readdir("${path}")`);
  }

  private handleOf(r: SftpReply, what: string): Uint8Array {
    if (r.type === "status") throw new SftpClientError(`${what}: ${fx2txt(r.code)}`, r.code);
    if (r.type !== "handle") throw this.fatal(`${what}: Expected SSH2_FXP_HANDLE(102) packet, got ${REPLY_CODES[r.type]}`);
    return r.handle;
  }

  /** SSH_FXP_CLOSE. */
  async closeHandle(handle: Uint8Array): Promise<void> {
    await this.expectOk({ type: "close", handle }, "close remote");
  }

  /** SSH_FXP_READ: data (possibly short) or null at EOF. */
  async read(handle: Uint8Array, offset: number, length: number): Promise<Uint8Array | null> {
    const r = await this.request({ type: "read", handle, offset: BigInt(offset), length });
    if (r.type === "data") return r.data;
    if (r.type === "status") {
      if (r.code === SftpStatus.SSH_FX_EOF) return null;
      throw new SftpClientError(`read remote: ${fx2txt(r.code)}`, r.code);
    }
    throw this.unexpected("SSH2_FXP_DATA", 103, r);
  }

  /** SSH_FXP_WRITE. */
  async write(handle: Uint8Array, offset: number, data: Uint8Array): Promise<void> {
    await this.expectOk({ type: "write", handle, offset: BigInt(offset), data }, "write remote");
  }

  private attrsOf(r: SftpReply, quietWhat = "stat remote"): SftpAttrs {
    if (r.type === "status") throw new SftpClientError(`${quietWhat}: ${fx2txt(r.code)}`, r.code);
    if (r.type !== "attrs") throw this.unexpected("SSH2_FXP_ATTRS", 105, r);
    return r.attrs;
  }

  /** SSH_FXP_STAT (follows links). Error text: `stat remote: <status>` (callers that are quiet just catch). */
  async stat(path: string): Promise<SftpAttrs> {
    return this.attrsOf(await this.request({ type: "stat", path: bytes(path) }));
  }

  /** SSH_FXP_LSTAT. */
  async lstat(path: string): Promise<SftpAttrs> {
    if (this.version === 0) return this.stat(path);
    return this.attrsOf(await this.request({ type: "lstat", path: bytes(path) }));
  }

  /** SSH_FXP_FSTAT. */
  async fstat(handle: Uint8Array): Promise<SftpAttrs> {
    return this.attrsOf(await this.request({ type: "fstat", handle }));
  }

  /** SSH_FXP_SETSTAT. */
  async setstat(path: string, attrs: SftpAttrs): Promise<void> {
    await this.expectOk({ type: "setstat", path: bytes(path), attrs }, `remote setstat "${path}"`);
  }

  /** SSH_FXP_FSETSTAT. */
  async fsetstat(handle: Uint8Array, attrs: SftpAttrs): Promise<void> {
    await this.expectOk({ type: "fsetstat", handle, attrs }, "remote fsetstat");
  }

  /** lsetstat@openssh.com: setstat without following a final symlink. */
  async lsetstat(path: string, attrs: SftpAttrs): Promise<void> {
    this.needExt("lsetstat@openssh.com");
    const w = new Writer(null, 64).string(bytes(path));
    writeAttrs(w, attrs);
    const r = await this.extended("lsetstat@openssh.com", w.toBytes());
    if (r.type !== "status") throw this.unexpected("SSH2_FXP_STATUS", 101, r);
    if (r.code !== 0) throw new SftpClientError(`remote lsetstat "${path}": ${fx2txt(r.code)}`, r.code);
  }

  /** OPENDIR + READDIR until EOF + CLOSE (sftp_readdir). Entries with a '/' in their name are dropped and logged. */
  async readdir(path: string, onLongname?: (longname: string) => void): Promise<SftpDirEntry[]> {
    const handle = await this.opendir(path);
    const out: SftpDirEntry[] = [];
    let failure: SftpClientError | null = null;
    for (;;) {
      const r = await this.request({ type: "readdir", handle });
      if (r.type === "status") {
        if (r.code !== SftpStatus.SSH_FX_EOF) failure = new SftpClientError(`Couldn't read directory: ${fx2txt(r.code)}`, r.code);
        break;
      }
      if (r.type !== "name") throw this.unexpected("SSH2_FXP_NAME", 104, r);
      if (r.names.length === 0) break;
      for (const n of r.names) {
        const filename = text(n.filename);
        const longname = text(n.longname);
        onLongname?.(longname);
        if (filename.includes("/")) {
          this.log.error(`Server sent suspect path "${filename}" during readdir of "${path}"`);
          continue;
        }
        out.push({ filename, longname, attrs: n.attrs });
      }
    }
    await this.closeHandle(handle).catch((e: unknown) => {
      if (e instanceof SftpConnectionError) throw e;
      this.log.error((e as Error).message);
    });
    if (failure !== null) throw failure;
    return out;
  }

  /** SSH_FXP_REMOVE. */
  async remove(path: string): Promise<void> {
    await this.expectOk({ type: "remove", path: bytes(path) }, `remote delete ${path}`);
  }

  /** SSH_FXP_MKDIR. */
  async mkdir(path: string, attrs: SftpAttrs = {}): Promise<void> {
    await this.expectOk({ type: "mkdir", path: bytes(path), attrs }, `remote mkdir "${path}"`);
  }

  /** SSH_FXP_RMDIR. */
  async rmdir(path: string): Promise<void> {
    await this.expectOk({ type: "rmdir", path: bytes(path) }, `remote rmdir "${path}"`);
  }

  private nameOf(r: SftpReply, what: string, path: string, errWhat: string): string {
    if (r.type === "status") {
      // sftp-client.c sftp_realpath_expand(): the server's own message when it sent one ("no such user" for ~user)
      const why = (errWhat === "realpath" || errWhat === "expand") && r.message !== "" ? r.message : fx2txt(r.code);
      throw new SftpClientError(`${errWhat} ${path}: ${why}`, r.code);
    }
    if (r.type !== "name") throw this.unexpected("SSH2_FXP_NAME", 104, r);
    if (r.names.length !== 1) throw this.fatal(`Got multiple names (${r.names.length}) from ${what}`);
    return text(r.names[0]!.filename);
  }

  /** SSH_FXP_REALPATH. */
  async realpath(path: string): Promise<string> {
    return this.nameOf(await this.request({ type: "realpath", path: bytes(path) }), "SSH2_FXP_REALPATH", path, "realpath");
  }

  /** expand-path@openssh.com when offered (`~` and `~user`), else REALPATH. */
  async expandPath(path: string): Promise<string> {
    if (!this.has("expand-path@openssh.com")) return this.realpath(path);
    const r = await this.extended("expand-path@openssh.com", new Writer(null, 64).string(bytes(path)).toBytes());
    return this.nameOf(r, "expand-path@openssh.com", path, "expand");
  }

  /** home-directory extension: the user's (or the session user's, for "") home directory. */
  async homeDirectory(user = ""): Promise<string> {
    this.needExt("home-directory");
    const r = await this.extended("home-directory", new Writer(null, 64).string(bytes(user)).toBytes());
    return this.nameOf(r, "home-directory", user, "home-directory");
  }

  /** posix-rename@openssh.com when offered (and not `forceLegacy`), else SSH_FXP_RENAME. */
  async rename(oldPath: string, newPath: string, forceLegacy = false): Promise<void> {
    const what = `remote rename "${oldPath}" to "${newPath}"`;
    if (this.has("posix-rename@openssh.com") && !forceLegacy) {
      const r = await this.extended("posix-rename@openssh.com", new Writer(null, 64).string(bytes(oldPath)).string(bytes(newPath)).toBytes());
      if (r.type !== "status") throw this.unexpected("SSH2_FXP_STATUS", 101, r);
      if (r.code !== 0) throw new SftpClientError(`${what}: ${fx2txt(r.code)}`, r.code);
      return;
    }
    await this.expectOk({ type: "rename", oldPath: bytes(oldPath), newPath: bytes(newPath) }, what);
  }

  /** hardlink@openssh.com. */
  async hardlink(oldPath: string, newPath: string): Promise<void> {
    this.needExt("hardlink@openssh.com");
    const r = await this.extended("hardlink@openssh.com", new Writer(null, 64).string(bytes(oldPath)).string(bytes(newPath)).toBytes());
    if (r.type !== "status") throw this.unexpected("SSH2_FXP_STATUS", 101, r);
    if (r.code !== 0) throw new SftpClientError(`remote link "${oldPath}" to "${newPath}": ${fx2txt(r.code)}`, r.code);
  }

  /** SSH_FXP_SYMLINK: `linkPath` becomes a link to `targetPath` (OpenSSH's argument order, PROTOCOL §4.1). */
  async symlink(targetPath: string, linkPath: string): Promise<void> {
    if (this.version < 3) throw new SftpClientError("This server does not support the symlink operation", SftpStatus.SSH_FX_OP_UNSUPPORTED);
    await this.expectOk(
      { type: "symlink", targetPath: bytes(targetPath), linkPath: bytes(linkPath) },
      `remote symlink file "${targetPath}" to "${linkPath}"`,
    );
  }

  /** SSH_FXP_READLINK. */
  async readlink(path: string): Promise<string> {
    const r = await this.request({ type: "readlink", path: bytes(path) });
    if (r.type === "status") throw new SftpClientError(`Couldn't readlink: ${fx2txt(r.code)}`, r.code);
    return this.nameOf(r, "SSH_FXP_READLINK", path, "readlink");
  }

  /** fsync@openssh.com on an open handle. */
  async fsync(handle: Uint8Array): Promise<void> {
    this.needExt("fsync@openssh.com");
    const r = await this.extended("fsync@openssh.com", new Writer(null, 16).string(handle).toBytes());
    if (r.type !== "status") throw this.unexpected("SSH2_FXP_STATUS", 101, r);
    if (r.code !== 0) throw new SftpClientError(`remote fsync: ${fx2txt(r.code)}`, r.code);
  }

  private statvfsOf(r: SftpReply): SftpStatvfs {
    if (r.type === "status") throw new SftpClientError(`remote statvfs: ${fx2txt(r.code)}`, r.code);
    if (r.type !== "extended-reply") throw this.unexpected("SSH2_FXP_EXTENDED_REPLY", 201, r);
    try {
      const rd = new Reader(r.data);
      const n = (): number => Number(rd.u64());
      return {
        bsize: n(), frsize: n(), blocks: n(), bfree: n(), bavail: n(), files: n(), ffree: n(), favail: n(), fsid: n(),
        flag: n(), namemax: n(),
      };
    } catch {
      throw this.fatal("parse statvfs: incomplete message");
    }
  }

  /** statvfs@openssh.com. */
  async statvfs(path: string): Promise<SftpStatvfs> {
    this.needExt("statvfs@openssh.com");
    return this.statvfsOf(await this.extended("statvfs@openssh.com", new Writer(null, 64).string(bytes(path)).toBytes()));
  }

  /** fstatvfs@openssh.com. */
  async fstatvfs(handle: Uint8Array): Promise<SftpStatvfs> {
    this.needExt("fstatvfs@openssh.com");
    return this.statvfsOf(await this.extended("fstatvfs@openssh.com", new Writer(null, 16).string(handle).toBytes()));
  }

  /** limits@openssh.com; null when the server answers with something else (OpenSSH then forgets the extension). */
  async limits(): Promise<SftpLimits | null> {
    this.needExt("limits@openssh.com");
    const r = await this.extended("limits@openssh.com", new Uint8Array(0));
    if (r.type !== "extended-reply") {
      this.extensions.delete("limits@openssh.com");
      return null;
    }
    try {
      const rd = new Reader(r.data);
      return { packetLength: Number(rd.u64()), readLength: Number(rd.u64()), writeLength: Number(rd.u64()), openHandles: Number(rd.u64()) };
    } catch {
      throw this.fatal("parse limits: incomplete message");
    }
  }

  /** sftp_copy(): copy-data between two handles on the server (sftp `copy`/`cp`). */
  async copy(oldPath: string, newPath: string): Promise<void> {
    if (!this.has("copy-data")) throw new SftpClientError("Server does not support copy-data extension");
    const attr = await this.stat(oldPath);
    let mode = 0o666;
    if (attr.permissions !== undefined) {
      mode = attr.permissions & 0o777;
      if (!isReg(attr)) throw new SftpClientError(`Cannot copy non-regular file: ${oldPath}`);
    }
    const oldHandle = this.handleOf(await this.request({ type: "open", path: bytes(oldPath), pflags: SSH_FXF_READ, attrs: {} }), `remote open("${oldPath}")`);
    let newHandle: Uint8Array;
    try {
      newHandle = this.handleOf(
        await this.request({ type: "open", path: bytes(newPath), pflags: SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, attrs: { permissions: mode } }),
        `remote open("${newPath}")`,
      );
    } catch (e) {
      await this.closeQuietly(oldHandle);
      throw e;
    }
    const body = new Writer(null, 64).string(oldHandle).u64(0n).u64(0n).string(newHandle).u64(0n).toBytes();
    const r = await this.extended("copy-data", body);
    await this.closeQuietly(oldHandle);
    await this.closeQuietly(newHandle);
    if (r.type !== "status") throw this.unexpected("SSH2_FXP_STATUS", 101, r);
    if (r.code !== 0) throw new SftpClientError(`Couldn't copy file "${oldPath}" to "${newPath}": ${fx2txt(r.code)}`, r.code);
  }

  /** users-groups-by-id@openssh.com: names for uids and gids ("" when unknown). */
  async usersGroupsById(uids: readonly number[], gids: readonly number[]): Promise<{ users: string[]; groups: string[] }> {
    this.needExt("users-groups-by-id@openssh.com");
    const ids = (list: readonly number[]): Uint8Array => {
      const w = new Writer(null, 4 * list.length + 4);
      for (const id of list) w.u32(id);
      return w.toBytes();
    };
    const r = await this.extended("users-groups-by-id@openssh.com", new Writer(null, 64).string(ids(uids)).string(ids(gids)).toBytes());
    if (r.type === "status") throw new SftpClientError(`users-groups-by-id ${fx2txt(r.code)}`, r.code);
    if (r.type !== "extended-reply") throw this.unexpected("SSH2_FXP_EXTENDED_REPLY", 201, r);
    try {
      const rd = new Reader(r.data);
      const names = (count: number, blob: Uint8Array): string[] => {
        const br = new Reader(blob);
        return Array.from({ length: count }, () => br.string());
      };
      const ub = rd.stringView();
      const gb = rd.stringView();
      return { users: names(uids.length, ub), groups: names(gids.length, gb) };
    } catch {
      throw this.fatal("parse users-groups-by-id: incomplete message");
    }
  }

  /** Closes a handle, logging (not throwing) a status error; a dead session still throws. */
  private async closeQuietly(handle: Uint8Array): Promise<boolean> {
    try {
      await this.closeHandle(handle);
      return true;
    } catch (e) {
      if (e instanceof SftpConnectionError) throw e;
      this.log.error((e as Error).message);
      return false;
    }
  }

  // ---- transfers ---------------------------------------------------------------------------------------------------

  /**
   * sftp_download(): remote file → local file with up to numRequests READs in flight. On any failure the local file is
   * cut to the highest contiguous byte received (never left looking complete) and SftpClientError is thrown.
   * `attrs`: the remote file's attributes when already known (saves a STAT).
   */
  async download(remotePath: string, localPath: string, opts: TransferOptions = {}, attrs?: SftpAttrs): Promise<void> {
    const a = attrs ?? (await this.stat(remotePath));
    const mode = a.permissions !== undefined ? a.permissions & 0o777 : 0o666;
    if (a.permissions !== undefined && !isReg(a)) throw new SftpClientError(`download ${remotePath}: not a regular file`);
    const size = a.size ?? 0;
    let buflen = this.downloadBufferBytes;
    const handle = await this.open(remotePath, SSH_FXF_READ, {}, "remote");
    let fd: number;
    try {
      const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | (opts.resume || opts.inplace ? 0 : fsConstants.O_TRUNC);
      fd = openSync(localPath_(localPath), flags, mode | 0o200);
    } catch (e) {
      await this.closeQuietly(handle);
      throw new SftpClientError(`open local "${localPath}": ${strerror(e)}`);
    }
    let offset = 0, highwater = 0, maxack = 0;
    if (opts.resume) {
      const st = fstatSync(fd);
      if (st.size > size) {
        closeSync(fd);
        await this.closeQuietly(handle);
        throw new SftpClientError(`Unable to resume download of "${localPath}": local file is larger than remote`);
      }
      offset = highwater = maxack = st.size;
    }
    let readError = false, writeError = false, writeErrno: unknown = null, status = 0, reordered = false;
    let lmodified = false, seenZero = false;
    let progressCounter = offset;
    const progress = opts.progress && size !== 0 ? opts.progress() : undefined;
    progress?.start(progressPath(remotePath), size, progressCounter);
    interface Req { offset: number; len: number }
    let numReq = 0, maxReq = 1;
    const interrupted = (): boolean => opts.signal?.aborted === true;
    let fatal: SftpConnectionError | null = null;
    try {
      await new Promise<void>((resolveAll) => {
        const finishIfDone = (): boolean => {
          if (numReq === 0 && maxReq === 0) {
            resolveAll();
            return true;
          }
          return false;
        };
        const sendRead = (req: Req): void => {
          this.send({ type: "read", handle, offset: BigInt(req.offset), length: req.len }, (reply) => onReply(req, reply));
        };
        const pump = (): void => {
          if (interrupted()) maxReq = 0;
          while (numReq < maxReq) {
            const req = { offset, len: buflen };
            offset += buflen;
            numReq++;
            sendRead(req);
          }
          finishIfDone();
        };
        const onReply = (req: Req, reply: SftpReply): void => {
          try {
            if (reply.type === "status" && reply.code === -1) {
              fatal = this.dead;
              numReq = maxReq = 0;
              resolveAll();
              return;
            }
            if (reply.type === "status") {
              status = reply.code;
              if (reply.code !== SftpStatus.SSH_FX_EOF) readError = true;
              maxReq = 0;
              numReq--;
            } else if (reply.type === "data") {
              const len = reply.data.length;
              if (len > req.len) throw this.fatal(`Received more data than asked for ${len} > ${req.len}`);
              if (len === 0) {
                if (seenZero) throw this.fatal("sftp_download: server sent zero data length");
                seenZero = true;
              }
              lmodified = true;
              if (!writeError) {
                try {
                  let done = 0;
                  while (done < len) done += writeSync(fd, reply.data, done, len - done, req.offset + done);
                  if (maxack < req.offset + len) maxack = req.offset + len;
                  if (!reordered && req.offset <= highwater) highwater = maxack;
                  else if (!reordered && req.offset > highwater) reordered = true;
                } catch (e) {
                  writeErrno = e;
                  writeError = true;
                  maxReq = 0;
                }
              }
              progressCounter += len;
              progress?.update(progressCounter);
              if (len === req.len) numReq--;
              else {
                req.len -= len;
                req.offset += len;
                sendRead(req);
                if (len < buflen) buflen = Math.max(MIN_READ_SIZE, len);
              }
              if (maxReq > 0) {
                if (size > 0 && offset > size) maxReq = 1;
                else if (maxReq < this.numRequests) maxReq++;
              }
            } else {
              throw this.fatal(`Expected SSH2_FXP_DATA(103) packet, got ${REPLY_CODES[reply.type]}`);
            }
            pump();
          } catch (e) {
            fatal = e instanceof SftpConnectionError ? e : this.fatal(String(e));
            numReq = maxReq = 0;
            resolveAll();
          }
        };
        try {
          pump();
        } catch (e) {
          fatal = e as SftpConnectionError;
          resolveAll();
        }
      });
    } finally {
      progress?.stop();
    }
    const intr = interrupted();
    if (fatal !== null) {
      // the session is gone: keep only what is certainly contiguous
      try {
        ftruncateSync(fd, highwater);
      } catch {
        // nothing more to do
      }
      closeSync(fd);
      throw fatal;
    }
    if (!readError && !writeError && !intr) highwater = maxack;
    if (opts.inplace || readError || writeError || intr) {
      if (reordered && opts.resume && (readError || writeError || intr)) {
        this.log.error(`Unable to resume download of "${localPath}": server reordered requests`);
      }
      this.log.debug(1, `truncating at ${highwater}`);
      try {
        ftruncateSync(fd, highwater);
      } catch (e) {
        this.log.error(`local ftruncate "${localPath}": ${strerror(e)}`);
      }
    }
    try {
      if (readError) {
        await this.closeQuietly(handle);
        throw new SftpClientError(`read remote "${remotePath}" : ${fx2txt(status)}`, status);
      }
      if (writeError) {
        await this.closeQuietly(handle);
        throw new SftpClientError(`write local "${localPath}": ${strerror(writeErrno)}`);
      }
      const closed = await this.closeQuietly(handle);
      if (opts.preserve) {
        try {
          fchmodSync(fd, mode);
        } catch (e) {
          this.log.error(`local chmod "${localPath}": ${strerror(e)}`);
        }
        if (a.atime !== undefined && a.mtime !== undefined) {
          try {
            futimesSync(fd, a.atime, a.mtime);
          } catch (e) {
            this.log.error(`local set times "${localPath}": ${strerror(e)}`);
          }
        }
      }
      if (opts.resume && !lmodified) this.log.info(`File "${localPath}" was not modified`);
      else if (opts.fsync) {
        try {
          fsyncSync(fd);
        } catch (e) {
          this.log.error(`local sync "${localPath}": ${strerror(e)}`);
        }
      }
      if (!closed || intr) throw new SftpClientError("", SftpStatus.SSH_FX_FAILURE);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * sftp_upload(): local file → remote file with up to numRequests WRITEs in flight. A failed or interrupted upload
   * throws; with resume, the remote file is cut back to the highest contiguous byte acknowledged.
   */
  async upload(localPath: string, remotePath: string, opts: TransferOptions = {}): Promise<void> {
    let fd: number;
    try {
      fd = openSync(localPath_(localPath), "r");
    } catch (e) {
      throw new SftpClientError(`open local "${localPath}": ${strerror(e)}`);
    }
    try {
      let sb: Stats;
      try {
        sb = fstatSync(fd);
      } catch (e) {
        throw new SftpClientError(`fstat local "${localPath}": ${strerror(e)}`);
      }
      if (!sb.isFile()) throw new SftpClientError(`local "${localPath}" is not a regular file`);
      const a: SftpAttrs = { permissions: sb.mode & 0o777 };
      if (opts.preserve) {
        a.atime = Math.floor(sb.atimeMs / 1000) >>> 0;
        a.mtime = Math.floor(sb.mtimeMs / 1000) >>> 0;
      }
      let offset = 0, highwater = 0;
      if (opts.resume) {
        const c = await this.stat(remotePath);
        const csize = c.size ?? 0;
        if (csize >= sb.size) throw new SftpClientError(`resume "${localPath}": destination file same size or larger`);
        offset = highwater = csize;
      }
      const openmode = SSH_FXF_WRITE | SSH_FXF_CREAT | (opts.resume ? SSH_FXF_APPEND : opts.inplace ? 0 : SSH_FXF_TRUNC);
      const handle = await this.open(remotePath, openmode, a, "dest");
      let status = 0, maxack = 0, reordered = false;
      let progressCounter = offset;
      const progress = opts.progress?.();
      progress?.start(progressPath(localPath), sb.size, progressCounter);
      const interrupted = (): boolean => opts.signal?.aborted === true;
      let fatal: SftpConnectionError | null = null;
      let readFailure: SftpClientError | null = null;
      const buflen = this.uploadBufferBytes;
      try {
        await new Promise<void>((resolveAll) => {
          let inFlight = 0;
          let eof = false;
          let finished = false;
          const finish = (): void => {
            if (!finished) {
              finished = true;
              resolveAll();
            }
          };
          const pump = (): void => {
            while (!eof && inFlight < this.numRequests) {
              if (interrupted() || status !== 0) {
                eof = true;
                break;
              }
              const data = new Uint8Array(buflen);
              let len: number;
              try {
                len = readSync(fd, data, 0, buflen, offset);
              } catch (e) {
                readFailure = new SftpClientError(`read local "${localPath}": ${strerror(e)}`);
                eof = true;
                break;
              }
              if (len === 0) {
                eof = true;
                break;
              }
              const reqOffset = offset;
              offset += len;
              inFlight++;
              this.send({ type: "write", handle, offset: BigInt(reqOffset), data: data.subarray(0, len) }, (reply) => {
                inFlight--;
                if (reply.type === "status" && reply.code === -1) {
                  fatal = this.dead;
                  eof = true;
                  finish();
                  return;
                }
                if (reply.type !== "status") {
                  fatal = this.fatal(`Expected SSH2_FXP_STATUS(101) packet, got ${REPLY_CODES[reply.type]}`);
                  eof = true;
                  finish();
                  return;
                }
                if (reply.code !== 0) status = reply.code;
                else {
                  progressCounter += len;
                  progress?.update(progressCounter);
                  if (maxack < reqOffset + len) maxack = reqOffset + len;
                  if (!reordered && reqOffset <= highwater) highwater = maxack;
                  else if (!reordered && reqOffset > highwater) reordered = true;
                }
                try {
                  pump();
                } catch (e) {
                  fatal = e as SftpConnectionError;
                  eof = true;
                }
                if (eof && inFlight === 0) finish();
              });
            }
            if (eof && inFlight === 0) finish();
          };
          try {
            pump();
          } catch (e) {
            fatal = e as SftpConnectionError;
            finish();
          }
        });
      } finally {
        progress?.stop();
      }
      if (fatal !== null) throw fatal;
      const intr = interrupted();
      if (status === 0 && !intr && readFailure === null) highwater = maxack;
      let failed = false;
      if (readFailure !== null) {
        this.log.error((readFailure as SftpClientError).message);
        failed = true;
      }
      if (status !== 0) {
        this.log.error(`write remote "${remotePath}": ${fx2txt(status)}`);
        failed = true;
      }
      if (opts.inplace || (opts.resume && (failed || intr))) {
        this.log.debug(1, `truncating at ${highwater}`);
        await this.fsetstat(handle, { size: highwater }).catch((e: unknown) => this.reportSoft(e));
      }
      if (opts.preserve) await this.fsetstat(handle, a).catch((e: unknown) => this.reportSoft(e));
      if (opts.fsync && this.has("fsync@openssh.com")) await this.fsync(handle).catch((e: unknown) => this.reportSoft(e));
      if (!(await this.closeQuietly(handle))) failed = true;
      if (failed || intr) throw new SftpClientError("", status || SftpStatus.SSH_FX_FAILURE);
    } finally {
      closeSync(fd);
    }
  }

  private reportSoft(e: unknown): void {
    if (e instanceof SftpConnectionError) throw e;
    this.log.error((e as Error).message);
  }

  /** sftp_download_dir(): a remote directory tree → local. Errors of single files are logged; throws at the end if any. */
  async downloadDir(src: string, dst: string, opts: TransferOptions = {}, dirAttrs?: SftpAttrs): Promise<void> {
    let canon: string;
    try {
      canon = await this.realpath(src);
    } catch (e) {
      if (e instanceof SftpConnectionError) throw e;
      this.log.error((e as Error).message);
      throw new SftpClientError(`download "${src}": path canonicalization failed`);
    }
    if (!(await this.downloadDirInternal(canon, dst, 0, dirAttrs, opts))) throw new SftpClientError("");
  }

  private async downloadDirInternal(src: string, dst: string, depth: number, dirAttrs: SftpAttrs | undefined, opts: TransferOptions): Promise<boolean> {
    const err = (m: string): false => {
      this.log.error(m);
      return false;
    };
    if (depth >= MAX_DIR_DEPTH) return err(`Maximum directory depth exceeded: ${depth} levels`);
    let da = dirAttrs;
    if (da === undefined) {
      try {
        da = await this.stat(src);
      } catch (e) {
        if (e instanceof SftpConnectionError) throw e;
        return err(`stat remote "${src}" directory failed`);
      }
    }
    if (!isDir(da)) return err(`"${src}" is not a directory`);
    if (opts.printDirs) this.log.print(`Retrieving ${src}\n`);
    let mode = 0o777, tmpmode = 0o777;
    if (da.permissions !== undefined) {
      mode = da.permissions & 0o1777;
      tmpmode = mode | 0o300;
    }
    try {
      mkdirSync(localPath_(dst), tmpmode);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") return err(`mkdir ${dst}: ${strerror(e)}`);
    }
    let entries: SftpDirEntry[];
    try {
      entries = await this.readdir(src);
    } catch (e) {
      if (e instanceof SftpConnectionError) throw e;
      this.log.error((e as Error).message);
      return err(`remote readdir "${src}" failed`);
    }
    let ok = true;
    for (const ent of entries) {
      if (opts.signal?.aborted) break;
      const newDst = sftpPathAppend(dst, ent.filename);
      const newSrc = sftpPathAppend(src, ent.filename);
      let a = ent.attrs;
      if (isLink(a)) {
        if (!opts.followLinks) {
          this.log.info(`download "${newSrc}": not a regular file`);
          continue;
        }
        try {
          a = await this.stat(newSrc);
        } catch (e) {
          if (e instanceof SftpConnectionError) throw e;
          this.log.info(`remote stat "${newSrc}" failed`);
          ok = false;
          continue;
        }
      }
      if (isDir(a)) {
        if (ent.filename === "." || ent.filename === "..") continue;
        if (!(await this.downloadDirInternal(newSrc, newDst, depth + 1, a, opts))) ok = false;
      } else if (isReg(a)) {
        try {
          await this.download(newSrc, newDst, opts, a);
        } catch (e) {
          if (e instanceof SftpConnectionError) throw e;
          if ((e as Error).message !== "") this.log.error((e as Error).message);
          this.log.error(`Download of file ${newSrc} to ${newDst} failed`);
          ok = false;
        }
      } else this.log.info(`download "${newSrc}": not a regular file`);
    }
    if (opts.preserve && da.atime !== undefined && da.mtime !== undefined) {
      try {
        utimesSync(localPath_(dst), da.atime, da.mtime);
      } catch (e) {
        this.log.error(`local set times on "${dst}": ${strerror(e)}`);
      }
    }
    if (mode !== tmpmode) {
      try {
        chmodSync(localPath_(dst), mode);
      } catch (e) {
        this.log.error(`local chmod directory "${dst}": ${strerror(e)}`);
      }
    }
    return ok;
  }

  /** sftp_upload_dir(): a local directory tree → remote. */
  async uploadDir(src: string, dst: string, opts: TransferOptions = {}): Promise<void> {
    let canon: string;
    try {
      canon = await this.realpath(dst);
    } catch (e) {
      if (e instanceof SftpConnectionError) throw e;
      this.log.error((e as Error).message);
      throw new SftpClientError(`upload "${dst}": path canonicalization failed`);
    }
    if (!(await this.uploadDirInternal(src, canon, 0, opts))) throw new SftpClientError("");
  }

  private async uploadDirInternal(src: string, dst: string, depth: number, opts: TransferOptions): Promise<boolean> {
    const err = (m: string): false => {
      this.log.error(m);
      return false;
    };
    if (depth >= MAX_DIR_DEPTH) return err(`Maximum directory depth exceeded: ${depth} levels`);
    let sb: Stats;
    try {
      sb = statSync(localPath_(src));
    } catch (e) {
      return err(`stat local "${src}": ${strerror(e)}`);
    }
    if (!sb.isDirectory()) return err(`"${src}" is not a directory`);
    if (opts.printDirs) this.log.print(`Entering ${src}\n`);
    const a: SftpAttrs = { permissions: sb.mode & 0o1777 };
    if (opts.preserve) {
      a.atime = Math.floor(sb.atimeMs / 1000) >>> 0;
      a.mtime = Math.floor(sb.mtimeMs / 1000) >>> 0;
    }
    let created = false;
    try {
      await this.mkdir(dst, { ...a, permissions: a.permissions! | 0o300 });
      created = true;
    } catch (e) {
      if (e instanceof SftpConnectionError) throw e;
      let da: SftpAttrs;
      try {
        da = await this.stat(dst);
      } catch (e2) {
        if (e2 instanceof SftpConnectionError) throw e2;
        return err((e2 as Error).message);
      }
      if (!isDir(da)) return err(`"${dst}" exists but is not a directory`);
    }
    let names: string[];
    try {
      names = readdirSync(localPath_(src), { encoding: "buffer" }).map((n) => pathText(n));
    } catch (e) {
      return err(`local opendir "${src}": ${strerror(e)}`);
    }
    let ok = true;
    for (const filename of names) {
      if (opts.signal?.aborted) break;
      const newDst = sftpPathAppend(dst, filename);
      const newSrc = sftpPathAppend(src, filename);
      let st: Stats;
      try {
        st = lstatSync(localPath_(newSrc));
      } catch (e) {
        this.log.info(`local lstat "${filename}": ${strerror(e)}`);
        ok = false;
        continue;
      }
      if (st.isSymbolicLink()) {
        if (!opts.followLinks) {
          this.log.info(`${filename}: not a regular file`);
          continue;
        }
        try {
          st = statSync(localPath_(newSrc));
        } catch (e) {
          this.log.info(`local stat "${filename}": ${strerror(e)}`);
          ok = false;
          continue;
        }
      }
      if (st.isDirectory()) {
        if (!(await this.uploadDirInternal(newSrc, newDst, depth + 1, opts))) ok = false;
      } else if (st.isFile()) {
        try {
          await this.upload(newSrc, newDst, opts);
        } catch (e) {
          if (e instanceof SftpConnectionError) throw e;
          if ((e as Error).message !== "") this.log.error((e as Error).message);
          this.log.error(`upload "${newSrc}" to "${newDst}" failed`);
          ok = false;
        }
      } else this.log.info(`${filename}: not a regular file`);
    }
    if (created || opts.preserve) await this.setstat(dst, a).catch((e: unknown) => this.reportSoft(e));
    return ok;
  }
}

/** Omit over each member of a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const REPLY_CODES: Record<SftpReply["type"], number> = {
  version: 2, status: 101, handle: 102, data: 103, name: 104, attrs: 105, "extended-reply": 201,
};

/** sftp-client.c progress_meter_path(): the last component, unless the path ends in '/'. */
export function progressPath(path: string): string {
  const i = path.lastIndexOf("/");
  if (i < 0) return path;
  const rest = path.slice(i + 1);
  return rest === "" ? path : rest;
}

keepOutOfFtl([SftpClient]);

/** A reply whose byte views are copies, to outlive the packet it was decoded from (ReplyHandler). */
function detachReply(reply: SftpReply): SftpReply {
  const attrs = (a: SftpAttrs): SftpAttrs => (a.extended ? { ...a, extended: a.extended.map(([t, d]) => [t.slice(), d.slice()]) } : a);
  switch (reply.type) {
    case "handle": return { ...reply, handle: reply.handle.slice() };
    case "data": return { ...reply, data: reply.data.slice() };
    case "extended-reply": return { ...reply, data: reply.data.slice() };
    case "name": return { ...reply, names: reply.names.map((n) => ({ filename: n.filename.slice(), longname: n.longname.slice(), attrs: attrs(n.attrs) })) };
    case "attrs": return { ...reply, attrs: attrs(reply.attrs) };
    default: return reply;
  }
}
