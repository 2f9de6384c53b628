// An SFTP client over an in-memory stream for the server tests: requests are encoded with the codec, replies decoded
// and matched by id; the server runs with a checked pool (released memory poisoned, double release throws).
import { mkdtempSync, rmSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeLogger, LogLevel } from "../../../core/log.ts";
import { BufferPool } from "../../../core/wire/index.ts";
import {
  decodeReply, encodeRequest, serveSftp, SftpStatus, type SftpReply, type SftpRequest, type SftpServerOptions,
  type SftpSessionEnd,
} from "../../../core/sftp/index.ts";

/** A pushable async iterable of chunks. */
export class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly items: Uint8Array[] = [];
  private closed = false;
  private waiter: (() => void) | null = null;
  /** Chunks not yet taken by the server. */
  get size(): number {
    return this.items.length;
  }
  push(b: Uint8Array): void {
    this.items.push(b);
    this.waiter?.();
  }
  close(): void {
    this.closed = true;
    this.waiter?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((r) => (this.waiter = r));
      this.waiter = null;
    }
  }
}

export interface TestSession {
  readonly dir: string;
  readonly pool: BufferPool;
  readonly log: string[];
  readonly input: ChunkQueue;
  /** Every reply in arrival order. */
  readonly replies: SftpReply[];
  readonly done: Promise<SftpSessionEnd>;
  /** Sends one request and resolves with its reply. */
  request(req: SftpRequest): Promise<SftpReply>;
  /** Sends raw bytes. */
  send(bytes: Uint8Array): void;
  /** Reply to a request id (waits for it). */
  reply(id: number): Promise<SftpReply>;
  nextId(): number;
  end(): Promise<SftpSessionEnd>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a server in a scratch directory (its cwd) and performs INIT unless `init` is false. */
export async function session(
  options: Partial<SftpServerOptions> = {},
  init = true,
  /** Awaited after each reply is recorded (a slow reader). */
  gate?: () => Promise<void>,
): Promise<TestSession> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "sftp-unit-ü-"))); // a non-ASCII cwd: options are text, paths bytes
  const pool = new BufferPool({ checked: true });
  const log: string[] = [];
  const input = new ChunkQueue();
  const replies: SftpReply[] = [];
  const waiters = new Map<number, (r: SftpReply) => void>();
  const byId = new Map<number, SftpReply>();
  const output = (bytes: Uint8Array) => {
    const copy = bytes.slice(); // the server may reuse its memory once we return
    const n = new DataView(copy.buffer).getUint32(0);
    if (n !== copy.length - 4) throw new Error(`reply length ${n} != ${copy.length - 4}`);
    const r = decodeReply(copy.subarray(4));
    replies.push(r);
    const id = r.type === "version" ? -1 : r.id;
    byId.set(id, r);
    waiters.get(id)?.(r);
    return gate?.();
  };
  const done = serveSftp(input, output, {
    user: { name: "tester", uid: 4242, home: dir },
    logger: makeLogger(LogLevel.DEBUG3, (l) => log.push(l)),
    cwd: dir,
    pool,
    ...options,
  });
  let id = 100;
  const s: TestSession = {
    dir, pool, log, input, replies, done,
    nextId: () => id++,
    send: (b) => input.push(b),
    reply: (rid) => {
      const have = byId.get(rid);
      if (have) return Promise.resolve(have);
      return new Promise((res) => waiters.set(rid, res));
    },
    request: (req) => {
      const w = encodeRequest(req);
      input.push(w.toBytes());
      return s.reply(req.type === "init" ? -1 : req.id);
    },
    end: async () => {
      input.close();
      return done;
    },
    [Symbol.asyncDispose]: async () => {
      input.close();
      await done;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (init) await s.request({ type: "init", version: 3, extensions: [] });
  return s;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
export { SftpStatus };

/** The status code of a reply, or its type when it is not a status. */
export function codeOf(r: SftpReply): number | string {
  return r.type === "status" ? r.code : r.type;
}
