// The SFTP server loop (sftp-server.c's main loop and process()), over any byte stream: frames packets, checks the
// request lists, schedules requests (non-overlapping reads and writes may overlap in time, everything else runs alone,
// draft-02 §6.1), and sends the replies in request order. Request bodies live in handlers.ts.
import { escapeForLog, silentLogger, type Logger } from "../log.ts";
import { defaultPool, type BufferPool, type Lease } from "../wire/index.ts";
import { fileNameService, type NameService, type UserEntry } from "./attrs.ts";
import { SftpFramer, decodeRequest, type Releasable, type SftpRequest } from "./codec.ts";
import { SftpProtocolError } from "./errors.ts";
import { HANDLERS, EXTENDED_HANDLERS, handleData, handleRequest, closeAllHandles, type HandleTable } from "./handlers.ts";
import { readFileSync } from "node:fs";
import { latin1FromText } from "./paths.ts";
import { keepOutOfFtl } from "../jit.ts";

/** How a session is run. Everything but `user` has OpenSSH's default. */
export interface SftpServerOptions {
  /** The local user (sftp-server.c `pw`): named in the session log lines, the home for `home-directory` and `~`. */
  readonly user: UserEntry;
  /** The client's address for `session opened for local user X from [Y]` (sftp-server: SSH_CONNECTION's first word). */
  readonly clientAddress?: string;
  /** Where log lines go and at which level (sftp-server's -l; default ERROR). */
  readonly logger?: Logger;
  /**
   * The session's working directory: relative paths are resolved against it (internal-sftp in a shared process).
   * Undefined: the process's own cwd, as sftp-server after chdir(-d). Text, like every string option here (the
   * server turns it into bytes as UTF-8).
   */
  readonly cwd?: string;
  /** -R: refuse every request that changes the file system. */
  readonly readOnly?: boolean;
  /** -p: comma-separated request names that are allowed (all others refused). */
  readonly allowedRequests?: string;
  /** -P: comma-separated request names that are refused (checked first). */
  readonly deniedRequests?: string;
  /** A umask applied on top of the process's (internal-sftp's -u; the sftp-server program sets the process umask). */
  readonly umask?: number;
  /** Open handles at most (default: RLIMIT_NOFILE − 5, what limits@openssh.com advertises, as OpenSSH). */
  readonly maxHandles?: number;
  /**
   * Requests received and not yet answered at most (default 64, what OpenSSH's sftp keeps outstanding), and reply
   * bytes waiting for `output` at most (default 8 MiB): beyond either, input is not read, which bounds memory.
   */
  readonly maxInFlight?: number;
  readonly maxQueuedBytes?: number;
  /**
   * File data I/O: "blocking" (default) reads and writes synchronously, as sftp-server.c does, which is the fastest
   * here (bench/sftp-server.ts); "threaded" runs READ/WRITE on libuv's pool so non-overlapping ones proceed together
   * and a slow disk does not stall the process (for internal-sftp inside a multi-session sshd), at about twice the
   * CPU per byte. Other requests (stat, opendir, ...) are synchronous either way.
   */
  readonly dataIo?: "blocking" | "threaded";
  readonly pool?: BufferPool;
  /**
   * Hears when no byte of an input chunk is referenced any more, so the producer may read into it again. Adjacent
   * views of one buffer may be merged and heard of as one: count bytes, not calls. Without it, chunks are left to GC.
   */
  readonly recycleInput?: (chunk: Uint8Array) => void;
  /** passwd/group lookups (default: /etc/passwd and /etc/group). */
  readonly names?: NameService;
  /** Clock for longnames (tests). */
  readonly now?: () => number;
}

/** How a session ended: `exitStatus` is what the sftp-server program exits with (0 at EOF, 11 or 255 on a bad stream). */
export interface SftpSessionEnd {
  readonly exitStatus: number;
  /** Why it ended ("eof", "write eof", or the error that ended it). */
  readonly reason: string;
}

/** Where replies go: called with one whole packet at a time, in order; `bytes` stays valid until the promise settles. */
export type SftpOutput = (bytes: Uint8Array) => Promise<void> | void;

/** A reply packet and the pooled memory holding it (released once it has been written). */
export interface ReplyPacket {
  readonly bytes: Uint8Array;
  readonly lease: Lease | null;
}

/** What handlers.ts sees of a session. */
export interface SessionContext {
  readonly options: SftpServerOptions;
  readonly log: Logger;
  readonly pool: BufferPool;
  readonly names: NameService;
  readonly handles: HandleTable;
  readonly maxHandles: number;
  readonly threaded: boolean;
  /** The cwd relative paths and `~` resolve against. */
  cwd(): string;
  /** A client path made absolute against options.cwd when that is set (latin1 string). */
  resolve(p: string): string;
}

/** sftp-server.c's limit on requests: the soft RLIMIT_NOFILE minus 5 (stdio, syslog, spare), as limits@ says. */
export function defaultMaxHandles(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "latin1"));
    if (m && m[1] !== "unlimited" && Number(m[1]) > 5) return Number(m[1]) - 5;
  } catch {
    // no /proc: fall through
  }
  return 1019;
}

/** What a request handled by handleData() is recorded as (nothing reads it: it runs alone, at once). */
const FAST: SftpRequest = { type: "unknown", id: 0, code: 0 };

interface Slot {
  reply: ReplyPacket | null;
}

/** The bytes of one file a READ or WRITE touches. */
interface DataRange {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly write: boolean;
}

interface Scheduled {
  readonly req: SftpRequest;
  readonly lease: Releasable;
  readonly slot: Slot | null;
  /**
   * Data operations carry the file and byte range they touch; undefined = runs alone (a barrier). Worked out when
   * the request reaches the head of the queue, after every earlier CLOSE/OPEN has run (handles may be reused).
   */
  range: DataRange | undefined | null;
}

/**
 * Serves one SFTP session over a byte stream until the input ends or breaks. Input chunks become the server's
 * (a producer must not reuse a chunk it has yielded). Logs `session opened/closed for local user ...` at INFO.
 */
export async function serveSftp(
  input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  output: SftpOutput,
  options: SftpServerOptions,
): Promise<SftpSessionEnd> {
  const session = new SftpSession(output, options);
  return session.run(input);
}

class SftpSession implements SessionContext {
  readonly log: Logger;
  readonly pool: BufferPool;
  readonly names: NameService;
  readonly handles: HandleTable;
  readonly maxHandles: number;
  readonly threaded: boolean;
  private readonly framer: SftpFramer;
  private readonly maxInFlight: number;
  private readonly maxQueuedBytes: number;
  /** Bytes of finished replies not yet written. */
  private queuedBytes = 0;
  private initDone = false;
  private readonly slots: Slot[] = [];
  private readonly waiting: Scheduled[] = [];
  private readonly running = new Set<Scheduled>();
  private writing = false;
  private outputBroken = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly output: SftpOutput,
    readonly options: SftpServerOptions,
  ) {
    this.log = options.logger ?? silentLogger;
    this.pool = options.pool ?? defaultPool;
    this.names = options.names ?? fileNameService();
    this.maxHandles = options.maxHandles ?? defaultMaxHandles();
    this.threaded = options.dataIo === "threaded";
    this.maxInFlight = options.maxInFlight ?? 64;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 8 * 1024 * 1024;
    this.framer = new SftpFramer(this.pool, undefined, options.recycleInput);
    this.handles = { entries: [], free: [], count: 0 };
    this.cwdPath = options.cwd === undefined ? undefined : latin1FromText(options.cwd);
  }

  /** options.cwd as a latin1 path string. */
  private readonly cwdPath: string | undefined;

  cwd(): string {
    return this.cwdPath ?? latin1FromText(process.cwd());
  }

  resolve(p: string): string {
    const base = this.cwdPath;
    if (base === undefined || p === "" || p.startsWith("/")) return p;
    return base.endsWith("/") ? base + p : `${base}/${p}`;
  }

  async run(input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Promise<SftpSessionEnd> {
    const who = `local user ${escapeForLog(this.options.user.name)} from [${escapeForLog(this.options.clientAddress ?? "UNKNOWN")}]`;
    this.log.info(`session opened for ${who}`);
    let end: SftpSessionEnd = { exitStatus: 0, reason: "eof" };
    const iterable: AsyncIterable<Uint8Array> =
      Symbol.asyncIterator in input ? (input as AsyncIterable<Uint8Array>) : streamIterable(input as ReadableStream<Uint8Array>);
    try {
      for await (const chunk of iterable) {
        this.framer.push(chunk);
        await this.dispatchAll();
        if (this.outputBroken) break;
      }
      if (!this.outputBroken) this.log.debug("read eof");
      if (this.framer.pending > 0) this.log.debug2(`discarding ${this.framer.pending} bytes of a partial packet`);
      await this.settle();
      if (this.fatalError !== null) throw this.fatalError;
    } catch (e) {
      end = this.fatal(e);
      this.outputBroken = true;
      await this.settle();
    }
    this.framer.discard();
    if (this.outputBroken && end.exitStatus === 0) end = { exitStatus: 0, reason: "write eof" };
    closeAllHandles(this);
    this.log.info(`session closed for ${who}`);
    return end;
  }

  /** Frames and schedules every whole packet buffered, pausing while too many requests are unanswered. */
  private async dispatchAll(): Promise<void> {
    for (;;) {
      while (this.full() && !this.outputBroken) await new Promise<void>((r) => (this.wake = r));
      if (this.outputBroken) return;
      const pkt = this.framer.next();
      if (pkt === null) return;
      if (this.initDone && this.running.size === 0) {
        // READ/WRITE while nothing else runs: handled straight from the packet (handlers.ts handleData)
        const reply = handleData(this, pkt.payload);
        if (reply !== null) {
          const slot: Slot = { reply: null };
          this.slots.push(slot);
          const s: Scheduled = { req: FAST, lease: pkt.lease, slot, range: undefined };
          this.running.add(s);
          if (reply instanceof Promise) reply.then((r) => this.finish(s, r), (e) => this.finish(s, null, e));
          else this.finish(s, reply);
          continue;
        }
      }
      let req: SftpRequest;
      try {
        req = decodeRequest(pkt.payload);
      } catch (e) {
        pkt.lease.release();
        throw e;
      }
      this.accept(req, pkt.lease);
    }
  }

  private accept(req: SftpRequest, lease: Releasable): void {
    if (req.type === "init") {
      this.initDone = true;
    } else if (!this.initDone) {
      lease.release();
      throw new SftpProtocolError(
        req.type === "extended" ? "Received extended request before init" : `Received ${codeOf(req)} request before init`,
      );
    }
    const slot: Slot = { reply: null };
    this.slots.push(slot);
    this.waiting.push({ req, lease, slot, range: null });
    this.startReady();
  }

  /** The file and bytes a READ/WRITE touches, so that only overlapping ones wait for each other (draft-02 §6.1). */
  private rangeOf(req: SftpRequest): Scheduled["range"] {
    if (!this.threaded || (req.type !== "read" && req.type !== "write")) return undefined;
    const h = req.handle.length === 4 ? this.handles.entries[new DataView(req.handle.buffer, req.handle.byteOffset, 4).getUint32(0)] : undefined;
    if (h === undefined || h.kind !== "file") return undefined;
    const start = Number(req.offset);
    if (req.type === "read") return { key: h.key, start, end: start + req.length, write: false };
    if (h.append) return { key: h.key, start: 0, end: Infinity, write: true };
    return { key: h.key, start, end: start + req.data.length, write: true };
  }

  private rangeFor(s: Scheduled): DataRange | undefined {
    if (s.range === null) s.range = this.rangeOf(s.req);
    return s.range ?? undefined;
  }

  private canStart(s: Scheduled): boolean {
    const m = this.rangeFor(s);
    if (this.running.size === 0) return true;
    if (m === undefined) return false;
    for (const r of this.running) {
      const o = r.range;
      if (o === undefined || o === null) return false;
      if (o.key === m.key && (o.write || m.write) && o.start < m.end && m.start < o.end) return false;
    }
    return true;
  }

  private startReady(): void {
    while (this.waiting.length > 0 && this.canStart(this.waiting[0]!)) {
      const s = this.waiting.shift()!;
      this.running.add(s);
      let result: ReplyPacket | Promise<ReplyPacket>;
      try {
        result = handleRequest(this, s.req);
      } catch (e) {
        result = Promise.reject(e);
      }
      if (result instanceof Promise) {
        result.then(
          (reply) => this.finish(s, reply),
          (e) => this.finish(s, null, e),
        );
      } else {
        this.finish(s, result);
      }
    }
  }

  private fatalError: unknown = null;

  private finish(s: Scheduled, reply: ReplyPacket | null, error?: unknown): void {
    this.running.delete(s);
    s.lease.release();
    if (error !== undefined) {
      // a malformed request body: sftp-server.c fatal()s; we stop reading and end the session the same way
      this.fatalError ??= error;
      this.outputBroken = true;
      this.wake?.();
    }
    if (s.slot) {
      s.slot.reply = reply ?? { bytes: new Uint8Array(0), lease: null };
      this.queuedBytes += s.slot.reply.bytes.length;
    }
    this.startReady();
    this.pump();
  }

  private full(): boolean {
    return this.slots.length >= this.maxInFlight || this.queuedBytes >= this.maxQueuedBytes;
  }

  /**
   * Writes finished replies from the head of the queue, one at a time and in request order. Synchronous while
   * `output` is (the sftp-server program's blocking stdout: no promise per reply); it resumes itself when `output`
   * returns a promise.
   */
  private pump(): void {
    if (this.writing) return;
    while (this.slots.length > 0 && this.slots[0]!.reply !== null) {
      const { bytes, lease } = this.slots.shift()!.reply!;
      this.queuedBytes -= bytes.length;
      if (!this.full() && this.wake) {
        const w = this.wake;
        this.wake = null;
        w();
      }
      if (bytes.length === 0 || this.outputBroken) {
        lease?.release();
        continue;
      }
      let p: Promise<void> | void;
      try {
        p = this.output(bytes);
      } catch (e) {
        this.outputFailed(e);
        lease?.release();
        continue;
      }
      if (p !== undefined) {
        this.writing = true;
        p.then(
          () => this.written(lease),
          (e) => {
            this.outputFailed(e);
            this.written(lease);
          },
        );
        return;
      }
      lease?.release();
    }
    if (this.idle && this.slots.length === 0 && this.running.size === 0) this.idle();
  }

  private written(lease: Lease | null): void {
    lease?.release();
    this.writing = false;
    this.pump();
  }

  private outputFailed(e: unknown): void {
    this.log.debug(`write eof: ${e instanceof Error ? e.message : String(e)}`);
    this.outputBroken = true;
    this.wake?.();
  }

  private idle: (() => void) | null = null;

  /** Waits until every accepted request has finished and its reply has been written (or dropped). */
  private async settle(): Promise<void> {
    while (this.slots.length > 0 || this.running.size > 0 || this.writing) {
      await new Promise<void>((r) => {
        this.idle = r;
        this.pump();
      });
      this.idle = null;
    }
  }

  private fatal(e: unknown): SftpSessionEnd {
    if (e instanceof SftpProtocolError) {
      if (e.tooLong) {
        this.log.error(`bad message from ${escapeForLog(this.options.clientAddress ?? "UNKNOWN")} local user ${escapeForLog(this.options.user.name)}`);
        return { exitStatus: 11, reason: e.message };
      }
      this.log.error(e.message);
      return { exitStatus: 255, reason: e.message };
    }
    this.log.error(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return { exitStatus: 255, reason: String(e) };
  }
}

function codeOf(req: SftpRequest): number {
  if (req.type === "unknown") return req.code;
  for (const h of HANDLERS) if (h.type === req.type) return h.code;
  return 0;
}

async function* streamIterable(s: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = s.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** `sftp-server -Q requests`: every request name in OpenSSH's order, one a line. */
export function requestNames(): string[] {
  return [...HANDLERS.map((h) => h.name), ...EXTENDED_HANDLERS.map((h) => h.name)];
}

keepOutOfFtl([SftpSession]);
