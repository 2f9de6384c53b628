// One RFC 4254 channel (§5): flow-controlled data both ways (§5.2), EOF and CLOSE (§5.3) in OpenSSH's order (nchan.c),
// channel requests (§5.4). CHANNEL_DATA and EXTENDED_DATA are framed by hand: header into the packet writer, data
// copied once. Incoming data reaches the consumer as views into the packet's pooled memory, each with a release().
import { DisconnectReason, ProtocolError } from "../errors.ts";
import type { PacketConn } from "../transport/types.ts";
import {
  type Lease, SSH_EXTENDED_DATA_STDERR, SSH_MSG_CHANNEL_CLOSE, SSH_MSG_CHANNEL_DATA, SSH_MSG_CHANNEL_EOF,
  SSH_MSG_CHANNEL_EXTENDED_DATA, SSH_MSG_CHANNEL_FAILURE, SSH_MSG_CHANNEL_REQUEST, SSH_MSG_CHANNEL_SUCCESS,
  SSH_MSG_CHANNEL_WINDOW_ADJUST,
} from "../wire/index.ts";
import type { ChannelOpenRequest } from "./messages.ts";
import { type ChannelRequest, writeChannelRequestBody } from "./session.ts";
import { keepOutOfFtl } from "../jit.ts";

/** OpenSSH channels.h CHAN_SES_PACKET_DEFAULT: the max packet we advertise for sessions. */
export const CHAN_SES_PACKET_DEFAULT: number = 32 * 1024;
/** OpenSSH channels.h CHAN_SES_WINDOW_DEFAULT: the window we advertise for sessions (2 MiB). */
export const CHAN_SES_WINDOW_DEFAULT: number = 64 * CHAN_SES_PACKET_DEFAULT;
/** A window for bulk transfers (sftp, scp, forwarded connections on fast links). */
export const CHAN_BULK_WINDOW: number = 16 * 1024 * 1024;
/** Largest CHANNEL_DATA payload we send, whatever the peer allows (keeps packets within every transport's limit). */
const MAX_SEND_CHUNK = 64 * 1024;
/** Default queue size above which write() says "wait for onDrain". */
const DEFAULT_WRITE_HIGH_WATER = 64 * 1024;

/** Per-channel flow-control settings for openChannel() and accept(). */
export interface ChannelOptions {
  /** The receive window we advertise and keep topping up (RFC 4254 §5.2). Default 2 MiB. */
  readonly windowBytes?: number;
  /** The largest CHANNEL_DATA we accept. Default 32 KiB. */
  readonly maxPacketBytes?: number;
  /** write() returns false once this many bytes wait for the peer's window or the transport. Default 64 KiB. */
  readonly writeHighWaterBytes?: number;
}

/** What a channel's consumer hears. Every callback is optional; events before attach() wait, in order. */
export interface ChannelHandler {
  /** CHANNEL_DATA. Call `data.release()` once when done: that gives the memory back and reopens the window. */
  onData?(data: ChannelData): void;
  /** CHANNEL_EXTENDED_DATA (stderr, `data.dataType` 1); release as for onData. */
  onExtendedData?(data: ChannelData): void;
  /** The peer sent EOF: no more data will arrive (requests may). */
  onEof?(): void;
  /**
   * A channel request the peer sent (RFC 4254 §5.4). The result is the reply when `wantReply` (ignored otherwise);
   * replies leave in the order the requests came, however long a promise takes. Unknown names never get here.
   */
  onRequest?(request: ChannelRequest, wantReply: boolean): boolean | Promise<boolean>;
  /** eow@openssh.com: the peer reads no more; our queued and further writes are dropped. */
  onEow?(): void;
  /** Everything write() queued was handed to the transport after a write() returned false. */
  onDrain?(): void;
  /** The channel is gone: both CLOSEs done (`error` undefined) or the connection ended (`error` says how, if known). */
  onClose?(error: Error | undefined): void;
}

/** What a channel needs from the mux that owns it. */
export interface ChannelHost {
  readonly conn: PacketConn;
  /** Whether the transport takes more bulk data now (its backlog is below our high-water mark). */
  connWritable(): boolean;
  /** Asks for flush() on this channel when the transport becomes writable. */
  waitWritable(channel: Channel): void;
  /** Both CLOSEs are done: the local id may be reused. */
  freeChannel(channel: Channel): void;
  /** Whether the peer understands eow@openssh.com (OpenSSH). */
  readonly peerSendsEow: boolean;
  /** An asynchronous handler failed (a bug): logged and the connection ended. */
  reportError(error: unknown): void;
}

/**
 * One incoming CHANNEL_DATA/EXTENDED_DATA payload. `bytes` is a view into pooled packet memory, valid until
 * release(); copy what must outlive it. Release exactly once: the window is replenished as data is released.
 */
export class ChannelData {
  constructor(
    /** The data (a view; dead after release()). */
    readonly bytes: Uint8Array,
    /** 0 for CHANNEL_DATA, else the extended data type (1 = stderr). */
    readonly dataType: number,
    private lease: Lease | null,
    private readonly channel: Channel,
  ) {}
  /** Gives the memory back and credits the channel's window; a second call throws. */
  release(): void {
    const lease = this.lease;
    if (lease === null) throw new Error("ChannelData released twice");
    this.lease = null;
    const n = this.bytes.length;
    lease.release();
    this.channel.consumed(n);
  }
}

type Outgoing =
  | { kind: "data"; dataType: number; bytes: Uint8Array; off: number }
  | { kind: "request"; request: ChannelRequest; wantReply: boolean; resolve: ((ok: boolean) => void) | undefined }
  | { kind: "eof" }
  | { kind: "close" };

type Incoming =
  | { kind: "data"; data: ChannelData }
  | { kind: "eof" }
  | { kind: "request"; request: ChannelRequest; wantReply: boolean; slot: ReplySlot | undefined }
  | { kind: "eow" }
  | { kind: "close"; error: Error | undefined };

interface ReplySlot {
  ok: boolean | undefined;
}

/** A channel. Created by ChannelMux (openChannel() resolves with it; an accepted open returns it). */
export class Channel {
  /** The peer's id for this channel (valid once open). */
  remoteId = -1;
  /**
   * Bumped by every data packet in or out, nothing else: an idle watch (ChannelTimeout) compares it on its own coarse
   * timer, so the data path pays one increment and no clock read.
   */
  activity = 0;
  /**
   * What the channel is used for, when more precise than its type (channels.c channel_set_xtype: "session:shell",
   * "session:command", "session:subsystem:sftp"); ChannelTimeout matches it instead of the type.
   */
  label: string | undefined;
  private remoteWindow = 0;
  private remoteMaxPacket = 0;
  private localWindow: number;
  private localConsumed = 0;
  private windowExcess = 0;
  private readonly localWindowMax: number;
  private readonly localMaxPacket: number;
  private readonly writeHighWater: number;

  private isOpen = false;
  private endCalled = false;
  private closeCalled = false;
  private eofSentFlag = false;
  private closeSentFlag = false;
  private eofReceivedFlag = false;
  private closeReceivedFlag = false;
  private eowReceived = false;
  private readShut = false;
  private freed = false;
  private needDrain = false;
  private flushing = false;
  private isCorked = false;

  private out: Outgoing[] = [];
  private outHead = 0;
  private queued = 0;
  private readonly awaiting: ((ok: boolean) => void)[] = [];
  private readonly replies: ReplySlot[] = [];
  private handler: ChannelHandler | null = null;
  private backlog: Incoming[] = [];
  private drainWaiters: (() => void)[] = [];
  private resolveClosed!: () => void;
  /** Settles (never rejects) when the channel is gone: both CLOSEs done or the connection ended. */
  readonly closed: Promise<void> = new Promise((resolve) => (this.resolveClosed = resolve));

  constructor(
    private readonly host: ChannelHost,
    /** Our id for this channel (the peer's recipient channel). */
    readonly localId: number,
    /** What was opened: the channel type and its decoded open fields. */
    readonly openRequest: ChannelOpenRequest,
    options: ChannelOptions = {},
  ) {
    this.localWindowMax = checkU32("windowBytes", options.windowBytes ?? CHAN_SES_WINDOW_DEFAULT, 1);
    this.localMaxPacket = checkU32("maxPacketBytes", options.maxPacketBytes ?? CHAN_SES_PACKET_DEFAULT, 1);
    this.writeHighWater = Math.max(1, options.writeHighWaterBytes ?? DEFAULT_WRITE_HIGH_WATER);
    this.localWindow = this.localWindowMax;
  }

  /** The channel type ("session", "direct-tcpip", ...). */
  get type(): ChannelOpenRequest["type"] {
    return this.openRequest.type;
  }
  /** Bytes the peer may still send us before our next WINDOW_ADJUST. */
  get localWindowBytes(): number {
    return this.localWindow;
  }
  /** The window we advertise (and top up to). */
  get localWindowMaxBytes(): number {
    return this.localWindowMax;
  }
  /** The largest data packet we accept. */
  get localMaxPacketBytes(): number {
    return this.localMaxPacket;
  }
  /** Bytes we may still send before the peer's next WINDOW_ADJUST. */
  get remoteWindowBytes(): number {
    return this.remoteWindow;
  }
  /** The largest data packet the peer accepts. */
  get remoteMaxPacketBytes(): number {
    return this.remoteMaxPacket;
  }
  /** Data bytes written but not yet handed to the transport. */
  get queuedBytes(): number {
    return this.queued;
  }
  /** Whether our EOF went out. */
  get eofSent(): boolean {
    return this.eofSentFlag;
  }
  /** Whether the peer's EOF arrived. */
  get eofReceived(): boolean {
    return this.eofReceivedFlag;
  }
  /** Whether our CLOSE went out. */
  get closeSent(): boolean {
    return this.closeSentFlag;
  }
  /** Whether the peer's CLOSE arrived. */
  get closeReceived(): boolean {
    return this.closeReceivedFlag;
  }
  /**
   * Resolves once write() would return true again (the queue is below its high-water mark), or the channel can take
   * no more data (closed, eow). Several producers (stdout and stderr pumps) may wait at once; onDrain is the
   * callback form.
   */
  drained(): Promise<void> {
    if (this.queued < this.writeHighWater || this.freed || this.eowReceived || this.closeReceivedFlag) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }
  /** Whether the channel is gone (both CLOSEs done, or the connection ended). */
  get isClosed(): boolean {
    return this.freed;
  }

  /** Sets the consumer and delivers, in order, whatever arrived before. Call once, promptly. */
  attach(handler: ChannelHandler): void {
    if (this.handler !== null) throw new Error("channel handler already attached");
    this.handler = handler;
    const backlog = this.backlog;
    this.backlog = [];
    for (const ev of backlog) this.dispatch(ev);
  }

  // ---- sending ----

  /**
   * Queues `data` as CHANNEL_DATA and sends what the peer's window and max packet allow (split as needed). The
   * channel keeps a reference to `data` until it is sent: don't modify it before then (onDrain, or `queuedBytes` 0).
   * Returns false when the queue reached its high-water mark: wait for onDrain. After the peer's CLOSE or eow the
   * data is dropped (returns true); after end() or close() writing is a bug and throws.
   */
  write(data: Uint8Array): boolean {
    return this.enqueueData(0, data);
  }
  /** As write(), as CHANNEL_EXTENDED_DATA type 1 (stderr). */
  writeStderr(data: Uint8Array): boolean {
    return this.enqueueData(SSH_EXTENDED_DATA_STDERR, data);
  }
  /** As write(), as CHANNEL_EXTENDED_DATA of `dataType` (RFC 4254 §5.2; 1 is stderr, the only one defined). */
  writeExtended(dataType: number, data: Uint8Array): boolean {
    if (!Number.isInteger(dataType) || dataType < 1 || dataType > 0xffffffff) throw new RangeError("bad extended data type");
    return this.enqueueData(dataType, data);
  }

  /** Sends EOF after all queued data (RFC 4254 §5.3). Requests (exit-status) may still follow. Idempotent. */
  end(): void {
    if (this.endCalled) return;
    this.endCalled = true;
    this.push({ kind: "eof" });
  }

  /**
   * Closes gracefully: queued data, then EOF (if not sent), then CLOSE (RFC 4254 §5.3). Data the peer sends meanwhile
   * is dropped; the channel is gone when the peer's CLOSE arrives (onClose, `closed`). Idempotent.
   */
  close(): void {
    if (this.closeCalled) return;
    this.closeCalled = true;
    this.end();
    this.push({ kind: "close" });
  }

  /**
   * Closes now: drops what is still queued (the peer may never open its window again), then EOF and CLOSE as
   * close(). For a peer that stopped reading, or a session being torn down.
   */
  abort(): void {
    this.dropData();
    this.close();
    this.flush();
  }

  /**
   * Sends a channel request with want-reply after queued data; resolves with the peer's answer (true: SUCCESS), or
   * false if the channel closes first.
   */
  request(request: ChannelRequest): Promise<boolean> {
    if (this.closeCalled || this.closeReceivedFlag || this.freed) return Promise.resolve(false);
    return new Promise((resolve) => this.push({ kind: "request", request, wantReply: true, resolve }));
  }

  /** Sends a channel request without want-reply (exit-status, window-change, signal, ...) after queued data. */
  send(request: ChannelRequest): void {
    if (this.closeCalled || this.closeReceivedFlag || this.freed) return;
    this.push({ kind: "request", request, wantReply: false, resolve: undefined });
  }

  /**
   * The consumer will read no more (its sink is gone). Further data is dropped and counted as consumed, so the
   * peer's window keeps moving (channels.c channel_input_data); a session channel tells an OpenSSH peer with
   * eow@openssh.com (nchan.c chan_write_failed).
   */
  shutdownRead(): void {
    if (this.readShut) return;
    this.readShut = true;
    if (this.type === "session" && this.host.peerSendsEow && this.isOpen && !this.closeSentFlag && !this.closeReceivedFlag) {
      this.sendRequestNow({ type: "eow@openssh.com" }, false);
    }
  }

  private enqueueData(dataType: number, data: Uint8Array): boolean {
    if (this.endCalled) throw new Error(`channel ${this.localId}: write after end`);
    if (this.eowReceived || this.closeReceivedFlag || this.freed) return true;
    if (data.length > 0) {
      this.out.push({ kind: "data", dataType, bytes: data, off: 0 });
      this.queued += data.length;
      this.flush();
    }
    if (this.queued >= this.writeHighWater) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  private push(item: Outgoing): void {
    this.out.push(item);
    this.flush();
  }

  /**
   * Runs `write` with sending held back, then sends what it queued: several small writes made together leave as
   * full packets (the gathering in flush()), not one packet each.
   */
  corked(write: () => void): void {
    if (this.isCorked) return write();
    this.isCorked = true;
    try {
      write();
    } finally {
      this.isCorked = false;
      this.flush();
    }
  }

  /** (Mux only.) Sends what the windows and the transport allow, in order. Called on every change that may unblock it. */
  flush(): void {
    if (this.flushing || this.isCorked || !this.isOpen || this.freed) return;
    this.flushing = true;
    try {
      const out = this.out;
      while (this.outHead < out.length) {
        const item = out[this.outHead]!;
        if (item.kind === "data") {
          if (!this.host.connWritable()) {
            this.host.waitWritable(this);
            break;
          }
          const room = Math.min(this.remoteWindow, this.remoteMaxPacket, MAX_SEND_CHUNK);
          if (room <= 0) break; // RFC 4254 §5.2: wait for WINDOW_ADJUST
          const n = Math.min(room, item.bytes.length - item.off);
          // Small writes (a child's 4-8 KiB pipe reads) are gathered into one packet up to the room: fewer, fuller
          // packets, each byte still copied once (bench/sshd.sh download).
          let total = n;
          let last = this.outHead;
          while (total < room && last + 1 < out.length) {
            const next = out[last + 1]!;
            if (next.kind !== "data" || next.dataType !== item.dataType) break;
            const take = Math.min(room - total, next.bytes.length - next.off);
            if (take <= 0) break;
            total += take;
            last++;
          }
          if (last === this.outHead) {
            this.sendData(item.dataType, item.bytes.subarray(item.off, item.off + n));
            item.off += n;
          } else {
            this.sendGathered(item.dataType, total, this.outHead, last);
          }
          this.remoteWindow -= total;
          this.queued -= total;
          if (last > this.outHead) {
            // Every gathered item but the last was used up; the last may have bytes left.
            this.outHead = last;
            const tail = out[last]!;
            if (tail.kind === "data" && tail.off < tail.bytes.length) continue;
          } else if (item.off < item.bytes.length) continue;
        } else if (item.kind === "request") {
          this.sendRequestNow(item.request, item.wantReply, item.resolve);
        } else if (item.kind === "eof") {
          // nchan.c: no EOF once CLOSE is sent, nor after the peer's eow (input closed without EOF)
          if (!this.eofSentFlag && !this.closeSentFlag && !this.eowReceived) {
            this.sendBare(SSH_MSG_CHANNEL_EOF);
            this.eofSentFlag = true;
          }
        } else {
          this.sendClose();
        }
        this.outHead++;
      }
      if (this.outHead === out.length) {
        this.out = [];
        this.outHead = 0;
      } else if (this.outHead > 1024 && this.outHead * 2 > out.length) {
        this.out = out.slice(this.outHead);
        this.outHead = 0;
      }
    } finally {
      this.flushing = false;
    }
    if (this.drainWaiters.length > 0 && this.queued < this.writeHighWater) this.wakeDrainWaiters();
    if (this.needDrain && this.queued === 0 && !this.freed) {
      this.needDrain = false;
      this.handler?.onDrain?.();
    }
  }

  /** One CHANNEL_DATA/EXTENDED_DATA of `total` bytes taken from queued data items first..last (advancing their offsets). */
  private sendGathered(dataType: number, total: number, first: number, last: number): void {
    const conn = this.host.conn;
    this.activity++;
    const w = dataType === 0 ? conn.begin(SSH_MSG_CHANNEL_DATA, 9 + total) : conn.begin(SSH_MSG_CHANNEL_EXTENDED_DATA, 13 + total);
    w.u32(this.remoteId);
    if (dataType !== 0) w.u32(dataType);
    w.u32(total);
    let left = total;
    for (let i = first; i <= last && left > 0; i++) {
      const it = this.out[i]!;
      if (it.kind !== "data") break;
      const take = Math.min(left, it.bytes.length - it.off);
      w.raw(it.bytes.subarray(it.off, it.off + take));
      it.off += take;
      left -= take;
    }
    conn.commit(w);
  }

  private sendData(dataType: number, chunk: Uint8Array): void {
    const conn = this.host.conn;
    this.activity++;
    if (dataType === 0) {
      const w = conn.begin(SSH_MSG_CHANNEL_DATA, 9 + chunk.length);
      w.u32(this.remoteId).u32(chunk.length).raw(chunk);
      conn.commit(w);
    } else {
      const w = conn.begin(SSH_MSG_CHANNEL_EXTENDED_DATA, 13 + chunk.length);
      w.u32(this.remoteId).u32(dataType).u32(chunk.length).raw(chunk);
      conn.commit(w);
    }
  }

  private sendBare(msg: number): void {
    const conn = this.host.conn;
    const w = conn.begin(msg, 8);
    w.u32(this.remoteId);
    conn.commit(w);
  }

  private sendRequestNow(request: ChannelRequest, wantReply: boolean, resolve?: (ok: boolean) => void): void {
    if (this.closeSentFlag || this.closeReceivedFlag) {
      resolve?.(false);
      return;
    }
    const conn = this.host.conn;
    const w = conn.begin(SSH_MSG_CHANNEL_REQUEST, 64);
    w.u32(this.remoteId).string(request.type).bool(wantReply);
    writeChannelRequestBody(w, request);
    conn.commit(w);
    if (wantReply && resolve) this.awaiting.push(resolve);
  }

  private sendClose(): void {
    if (this.closeSentFlag) return;
    this.sendBare(SSH_MSG_CHANNEL_CLOSE);
    this.closeSentFlag = true;
    if (this.closeReceivedFlag) this.finish(undefined);
  }

  // ---- receiving (called by the mux) ----

  /** (Mux only.) The peer confirmed our open, or we confirmed the peer's: the remote side's id, window and max packet. */
  setOpen(remoteId: number, remoteWindow: number, remoteMaxPacket: number): void {
    this.remoteId = remoteId;
    this.remoteWindow = remoteWindow;
    this.remoteMaxPacket = remoteMaxPacket;
    this.isOpen = true;
    this.flush();
  }

  /** Whether the channel is open (confirmed). */
  get opened(): boolean {
    return this.isOpen;
  }

  /** (Mux only.) CHANNEL_DATA (`dataType` 0) or EXTENDED_DATA; takes ownership of `lease`. */
  receiveData(dataType: number, data: Uint8Array, lease: Lease): void {
    const n = data.length;
    this.activity++;
    if (dataType !== 0 && this.eofReceivedFlag) {
      lease.release();
      // channels.c channel_input_extended_data: fatal unless the peer has SSH_BUG_EXTEOF (OpenSSH 2.x and older)
      throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `Received extended_data after EOF on channel ${this.localId}.`);
    }
    if (this.eofReceivedFlag || this.closeReceivedFlag || this.closeSentFlag || this.readShut || this.freed) {
      // channels.c channel_input_data: our output side is closed, so drop the data but count it as consumed,
      // or the peer's window would never reopen and the connection could deadlock
      lease.release();
      this.localWindow = Math.max(0, this.localWindow - n);
      this.consumed(n);
      return;
    }
    if (dataType === 0) {
      if (n > this.localMaxPacket) {
        // channels.c: "rcvd big packet": dropped, the window untouched
        lease.release();
        return;
      }
      if (n > this.localWindow) {
        // channels.c: "rcvd too much data"; 10% grace over the window, then "peer ignored channel window"
        this.windowExcess += n - this.localWindow;
        this.localWindow = 0;
        if (this.windowExcess > this.localWindowMax / 10) {
          lease.release();
          throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `channel ${this.localId}: peer ignored channel window`);
        }
      } else {
        this.localWindow -= n;
        this.windowExcess = 0;
      }
    } else {
      // channels.c channel_input_extended_data: an unknown type ("bad ext data") or more than the window is dropped
      if (dataType !== SSH_EXTENDED_DATA_STDERR || n > this.localWindow) {
        lease.release();
        return;
      }
      this.localWindow -= n;
    }
    const chunk = new ChannelData(data, dataType, lease, this);
    if (this.handler === null) this.backlog.push({ kind: "data", data: chunk });
    else this.dispatchData(this.handler, chunk);
  }

  /** (ChannelData only.) The consumer released `n` bytes: top the peer's window up once about half of it is used (not per packet). */
  consumed(n: number): void {
    if (this.freed || this.closeSentFlag || this.closeReceivedFlag) return;
    this.localConsumed += n;
    if (this.localConsumed * 2 < this.localWindowMax || this.localConsumed === 0) return;
    const adjust = Math.min(this.localConsumed, this.localWindowMax - this.localWindow);
    this.localConsumed = 0;
    if (adjust <= 0) return;
    const conn = this.host.conn;
    const w = conn.begin(SSH_MSG_CHANNEL_WINDOW_ADJUST, 8);
    w.u32(this.remoteId).u32(adjust);
    conn.commit(w);
    this.localWindow += adjust;
  }

  /** (Mux only.) SSH_MSG_CHANNEL_WINDOW_ADJUST from the peer. */
  receiveWindowAdjust(bytes: number): void {
    const next = this.remoteWindow + bytes;
    if (next > 0xffffffff) {
      // channels.c channel_input_window_adjust: fatal "adjust %u overflows remote window %u"
      throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR,
        `channel ${this.localId}: adjust ${bytes} overflows remote window ${this.remoteWindow}`);
    }
    this.remoteWindow = next;
    this.flush();
  }

  /** (Mux only.) SSH_MSG_CHANNEL_EOF from the peer. */
  receiveEof(): void {
    if (this.eofReceivedFlag) return;
    this.eofReceivedFlag = true;
    this.deliver({ kind: "eof" });
  }

  /** (Mux only.) SSH_MSG_CHANNEL_CLOSE from the peer: answered once; what we still queued can no longer be delivered. */
  receiveClose(): void {
    this.closeReceivedFlag = true;
    this.dropOutgoing();
    if (this.closeSentFlag) this.finish(undefined);
    else this.sendClose();
  }

  /** (Mux only.) SSH_MSG_CHANNEL_REQUEST from the peer; `request` null for an unknown name (answered FAILURE). */
  receiveRequest(request: ChannelRequest | null, wantReply: boolean): void {
    const slot: ReplySlot | undefined = wantReply ? { ok: undefined } : undefined;
    if (slot) this.replies.push(slot);
    if (request === null || request.type === "eow@openssh.com") {
      if (request !== null) this.receiveEow();
      if (slot) this.settle(slot, false); // serverloop.c: eow is handled, but never "succeeds"
      return;
    }
    this.deliver({ kind: "request", request, wantReply, slot });
  }

  /** (Mux only.) SSH_MSG_CHANNEL_SUCCESS (true) or FAILURE from the peer: answers our oldest request that wanted one. */
  receiveReply(ok: boolean): void {
    this.awaiting.shift()?.(ok); // channels.c channel_input_status_confirm: nothing waiting is ignored
  }

  /** (Mux only.) The connection ended: the channel is gone. */
  connectionLost(error: Error | undefined): void {
    if (this.freed) return;
    this.dropOutgoing();
    this.finish(error ?? new Error("connection closed"));
  }

  private receiveEow(): void {
    // nchan.c chan_rcvd_eow: our input side closes without EOF; the queue is dropped
    if (this.eowReceived) return;
    this.eowReceived = true;
    this.dropData();
    this.deliver({ kind: "eow" });
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }

  private dropData(): void {
    const kept: Outgoing[] = [];
    for (let i = this.outHead; i < this.out.length; i++) {
      const item = this.out[i]!;
      if (item.kind !== "data") kept.push(item);
    }
    this.out = kept;
    this.outHead = 0;
    this.queued = 0;
    this.wakeDrainWaiters();
  }

  private dropOutgoing(): void {
    for (let i = this.outHead; i < this.out.length; i++) {
      const item = this.out[i]!;
      if (item.kind === "request") item.resolve?.(false);
    }
    this.out = [];
    this.outHead = 0;
    this.queued = 0;
    this.wakeDrainWaiters();
    for (const resolve of this.awaiting.splice(0)) resolve(false);
  }

  private finish(error: Error | undefined): void {
    if (this.freed) return;
    this.freed = true;
    this.host.freeChannel(this);
    this.deliver({ kind: "close", error });
    this.resolveClosed();
  }

  private settle(slot: ReplySlot, ok: boolean): void {
    slot.ok = ok;
    while (this.replies.length > 0 && this.replies[0]!.ok !== undefined) {
      const head = this.replies.shift()!;
      // serverloop.c server_input_channel_req: no reply once our CLOSE is out
      if (!this.closeSentFlag && !this.freed) this.sendBare(head.ok ? SSH_MSG_CHANNEL_SUCCESS : SSH_MSG_CHANNEL_FAILURE);
    }
  }

  private deliver(ev: Incoming): void {
    if (this.handler === null) this.backlog.push(ev);
    else this.dispatch(ev);
  }

  private dispatchData(h: ChannelHandler, data: ChannelData): void {
    if (data.dataType === 0) {
      if (h.onData) h.onData(data);
      else data.release();
    } else if (h.onExtendedData) h.onExtendedData(data);
    else data.release();
  }

  private dispatch(ev: Incoming): void {
    const h = this.handler!;
    switch (ev.kind) {
      case "data":
        this.dispatchData(h, ev.data);
        return;
      case "eof":
        h.onEof?.();
        return;
      case "eow":
        h.onEow?.();
        return;
      case "close":
        h.onClose?.(ev.error);
        return;
      case "request": {
        const slot = ev.slot;
        const result = h.onRequest ? h.onRequest(ev.request, ev.wantReply) : false;
        if (typeof result !== "object" || result === null) {
          if (slot) this.settle(slot, result === true);
          return;
        }
        result.then(
          (ok) => slot && this.settle(slot, ok === true),
          (err: unknown) => {
            if (slot) this.settle(slot, false);
            this.host.reportError(err);
          },
        );
        return;
      }
    }
  }
}

function checkU32(what: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min || v > 0xffffffff) throw new RangeError(`${what} must be an integer in ${min}..2^32-1`);
  return v;
}

keepOutOfFtl([Channel, ChannelData]);
