// The byte stream under a transport: a TCP socket, a pair of pipes (sshd -i, ProxyCommand) or memory (tests, benches).
// Bun sockets drop whatever write() does not accept (bun-platform.md §4), so every adapter reports how many bytes it
// took and the transport keeps the rest queued until onDrain.
import { keepOutOfFtl } from "../jit.ts";

/** A duplex byte stream as the transport sees it. */
export interface Link {
  /**
   * Offers bytes; returns how many the link took now. The link is done with `data` when write returns (it copied or
   * sent them); the rest must be offered again after onDrain.
   */
  write(data: Uint8Array): number;
  /** Closes our sending side (and, for sockets, the connection). */
  end(): void;
  /** Set by the transport: incoming bytes, valid only during the call. */
  onData: (chunk: Uint8Array) => void;
  /** Set by the transport: the link can take more bytes. */
  onDrain: () => void;
  /** Set by the transport: the peer closed or the link failed. Called once. */
  onEnd: (error?: Error) => void;
}

/** Options for memory links. */
export interface MemoryLinkOptions {
  /** Bytes one side may have in flight before write() accepts only part (exercises the transport's queue). */
  readonly capacity?: number;
  /** Splits every delivery into chunks of at most this many bytes (exercises framing across chunk boundaries). */
  readonly chunk?: number;
}

class MemoryLink implements Link {
  peer!: MemoryLink;
  inFlight = 0;
  ended = false;
  private blocked = false;
  onData: (chunk: Uint8Array) => void = () => {};
  onDrain: () => void = () => {};
  onEnd: (error?: Error) => void = () => {};

  constructor(private readonly opts: MemoryLinkOptions) {}

  write(data: Uint8Array): number {
    if (this.ended || this.peer.ended) return data.length; // like a socket after close: bytes go nowhere
    const capacity = this.opts.capacity ?? Infinity;
    const n = Math.min(data.length, Math.max(0, capacity - this.inFlight));
    if (n < data.length) this.blocked = true;
    if (n === 0) return 0;
    const copy = data.slice(0, n);
    this.inFlight += n;
    queueMicrotask(() => this.deliver(copy));
    return n;
  }

  private deliver(copy: Uint8Array): void {
    const step = this.opts.chunk ?? copy.length;
    for (let i = 0; i < copy.length && !this.peer.ended; i += step) this.peer.onData(copy.subarray(i, Math.min(copy.length, i + step)));
    this.inFlight -= copy.length;
    if (this.blocked && this.inFlight === 0 && !this.ended) {
      this.blocked = false;
      this.onDrain();
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    queueMicrotask(() => {
      this.peer.closeFromPeer();
      this.onEnd();
    });
  }

  closeFromPeer(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }
}

/** Two links joined back to back; deliveries happen a microtask later, in order. */
export function memoryLinkPair(opts: MemoryLinkOptions = {}): [Link, Link] {
  const a = new MemoryLink(opts);
  const b = new MemoryLink(opts);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** The socket surface the adapter needs (Bun's TCP/Unix socket). */
export interface SocketLike {
  write(data: Uint8Array): number;
  end(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}

/**
 * A Link over a Bun socket. Bun delivers socket events to handlers fixed at connect/listen time, so the caller's
 * handlers forward data/drain/close/error to the returned object's `deliver*` methods.
 */
export class SocketLink implements Link {
  onData: (chunk: Uint8Array) => void = () => {};
  onDrain: () => void = () => {};
  onEnd: (error?: Error) => void = () => {};
  private ended = false;

  constructor(private readonly socket: SocketLike) {
    socket.setNoDelay?.(true); // whole packets per write; never wait for Nagle
  }
  write(data: Uint8Array): number {
    if (this.ended) return data.length;
    const n = this.socket.write(data);
    return n < 0 ? data.length : n; // -1: socket closed; the close event follows
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.end();
  }
  deliverData(chunk: Uint8Array): void {
    this.onData(chunk);
  }
  deliverDrain(): void {
    this.onDrain();
  }
  deliverEnd(error?: Error): void {
    this.ended = true;
    this.onEnd(error);
  }
}

/** A writable end that takes bytes (a Bun FileSink, a pipe writer). */
export interface ByteSink {
  write(data: Uint8Array): number | Promise<number>;
  flush?(): number | Promise<number>;
  end?(): unknown;
}

/**
 * A Link over a readable stream and a byte sink: a child's pipes (ProxyCommand, `sshd -i` under test) or our own
 * stdin/stdout (`sshd -i`). The sink gets a copy of each write, since a FileSink may keep a reference until flushed.
 */
export class StreamLink implements Link {
  onData: (chunk: Uint8Array) => void = () => {};
  onDrain: () => void = () => {};
  onEnd: (error?: Error) => void = () => {};
  private ended = false;
  private writeBroken = false;
  private endReported = false;

  constructor(
    private readonly input: ReadableStream<Uint8Array>,
    private readonly sink: ByteSink,
  ) {
    void this.pump();
  }

  private async pump(): Promise<void> {
    const reader = this.input.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (value && value.length > 0) this.onData(value);
      }
      this.reportEnd();
    } catch (e) {
      this.reportEnd(e instanceof Error ? e : new Error(String(e)));
    } finally {
      reader.releaseLock();
    }
  }

  private reportEnd(error?: Error): void {
    if (this.endReported) return;
    this.endReported = true;
    this.onEnd(error);
  }

  write(data: Uint8Array): number {
    if (this.ended || this.writeBroken) return data.length;
    try {
      const r = this.sink.write(data.slice());
      if (r instanceof Promise) r.catch(() => this.writeFailed());
      const f = this.sink.flush?.();
      if (f instanceof Promise) f.catch(() => this.writeFailed());
    } catch {
      this.writeFailed(); // EPIPE: the reader is gone
    }
    return data.length;
  }

  /**
   * The other end stopped reading (EPIPE). What it wrote before may still be in the pipe and says why (its KEXINIT
   * for "no matching cipher", a DISCONNECT), so the end is reported once the read side has delivered everything, or
   * a second later at the latest; reporting it at once raced the reading and gave "Connection closed" instead.
   */
  private writeFailed(): void {
    if (this.writeBroken || this.endReported) return;
    this.writeBroken = true;
    const timer = setTimeout(() => this.reportEnd(), 1000);
    (timer as { unref?: () => void }).unref?.();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      const r = this.sink.end?.();
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      // already closed
    }
  }
}

/** Per-socket data of Bun sockets that carry a SocketLink. */
export type SocketLinkData = { link: SocketLink };

/** The data/drain/close/error handlers of a Bun socket whose `data` holds a SocketLink (Bun fixes handlers at listen/connect). */
export const SOCKET_LINK_HANDLERS = {
  data(socket: { data: SocketLinkData | undefined }, data: Uint8Array): void {
    socket.data?.link.deliverData(data);
  },
  drain(socket: { data: SocketLinkData | undefined }): void {
    socket.data?.link.deliverDrain();
  },
  close(socket: { data: SocketLinkData | undefined }): void {
    socket.data?.link.deliverEnd();
  },
  error(socket: { data: SocketLinkData | undefined }, error: Error): void {
    socket.data?.link.deliverEnd(error);
  },
} as const;

keepOutOfFtl([SocketLink, StreamLink]);
