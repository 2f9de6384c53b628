// The auth layer's hold on a PacketConn: messages queue in arrival order while an (async) step runs, so a slow policy
// never reorders anything; after USERAUTH_SUCCESS the inbox holds what arrives until the next layer takes over.
import { ConnectionLostError, DisconnectReason, ProtocolError } from "../errors.ts";
import type { PacketConn } from "../transport/types.ts";
import type { Lease } from "../wire/index.ts";
import type { MessageHandler } from "./types.ts";

/** One message with the lease that owns its memory. */
export interface Inbound {
  readonly payload: Uint8Array;
  readonly lease: Lease;
}

/** Messages allowed to wait while a step runs; a peer that floods beyond this is cut off. */
const MAX_QUEUED = 64;

/** Queue of messages for one auth run; installs itself as the conn's onMessage/onClose. */
export class AuthInbox {
  private readonly queue: Inbound[] = [];
  private waiter: { resolve: (m: Inbound) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private abortCause: Error | null = null;
  private closed = false;
  private closeError: Error | undefined = undefined;
  private mode: "auth" | "holding" | "handed" = "auth";
  private readonly previousOnClose: (error: Error | undefined) => void;
  /** While holding: message types to discard instead of keeping for the next layer. */
  private dropWhileHolding: (type: number) => boolean = () => false;

  constructor(private readonly conn: PacketConn) {
    this.previousOnClose = conn.onClose;
    conn.onMessage = (payload, lease) => this.push(payload, lease);
    conn.onClose = (error) => this.close(error);
  }

  /** The next message; rejects when the connection closed or the peer flooded the queue. */
  next(): Promise<Inbound> {
    if (this.failure) return Promise.reject(this.failure);
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.closed) return Promise.reject(this.lostError());
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Whether the connection has ended. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends the run with a protocol error: DISCONNECT with its reason, queued leases released. */
  abort(error: ProtocolError): void {
    this.abortCause = error;
    if (!this.closed) this.conn.disconnect(error.reason, error.message);
    this.close(undefined);
  }

  /** Ends the run without a DISCONNECT (the caller decided to stop; the front-end closes). */
  stop(): void {
    this.releaseQueued();
    this.mode = "handed";
    this.conn.onMessage = (_payload, lease) => lease.release();
    this.conn.onClose = this.previousOnClose;
  }

  /** Stops consuming: from now on messages are held for `handOver`; queued ones of `drop` types are discarded. */
  hold(drop: (type: number) => boolean): void {
    this.mode = "holding";
    this.dropWhileHolding = drop;
    for (let i = 0; i < this.queue.length; ) {
      const m = this.queue[i]!;
      if (drop(m.payload[0]!)) {
        m.lease.release();
        this.queue.splice(i, 1);
      } else i++;
    }
  }

  /** Installs the next layer's handlers and replays held messages to it, in order. */
  handOver(onMessage: MessageHandler, onClose?: (error: Error | undefined) => void): void {
    if (this.mode !== "holding") throw new Error("handOver: authentication has not succeeded or was handed over already");
    this.mode = "handed";
    const close = onClose ?? this.previousOnClose;
    this.conn.onClose = close;
    if (this.closed) {
      this.conn.onMessage = onMessage;
      close(this.closeError);
      return;
    }
    // Messages arriving while we replay join the back of the queue, so order holds even if a handler makes the
    // transport deliver synchronously.
    this.conn.onMessage = (payload, lease) => this.queue.push({ payload, lease });
    try {
      for (let m = this.queue.shift(); m; m = this.queue.shift()) onMessage(m.payload, m.lease);
    } catch (e) {
      this.releaseQueued(); // the next layer failed on a held message: what is left goes back, the error goes up
      throw e;
    } finally {
      this.conn.onMessage = onMessage;
    }
  }

  private push(payload: Uint8Array, lease: Lease): void {
    if (this.closed || this.failure || this.mode === "handed") {
      lease.release();
      return;
    }
    if (this.mode === "auth" && this.waiter && this.queue.length === 0) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ payload, lease });
      return;
    }
    if (this.mode === "holding" && this.dropWhileHolding(payload[0]!)) {
      lease.release();
      return;
    }
    if (this.mode === "auth" && this.queue.length >= MAX_QUEUED) {
      lease.release();
      this.fail(new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "too many messages queued during authentication"));
      return;
    }
    this.queue.push({ payload, lease });
  }

  private fail(error: Error): void {
    this.failure = error;
    this.releaseQueued();
    const w = this.waiter;
    this.waiter = null;
    w?.reject(error);
  }

  private close(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = error;
    this.releaseQueued();
    const w = this.waiter;
    this.waiter = null;
    w?.reject(this.abortCause ?? this.lostError());
  }

  private lostError(): Error {
    return this.closeError ?? new ConnectionLostError("connection closed during authentication");
  }

  private releaseQueued(): void {
    for (const m of this.queue.splice(0)) m.lease.release();
  }
}
