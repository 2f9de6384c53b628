// The RFC 4254 connection protocol over one PacketConn: the channel table, dispatch of CHANNEL_* messages, channel
// opens (§5.1) both ways, global requests (§4) with replies in order. Peer mistakes follow OpenSSH's channels.c,
// serverloop.c and clientloop.c: fatal ones throw ProtocolError, harmless ones are dropped as OpenSSH drops them.
import { ConnectionLostError, DisconnectReason, ProtocolError } from "../errors.ts";
import type { PacketConn } from "../transport/types.ts";
import {
  type Lease, Reader, SSH_MSG_CHANNEL_CLOSE, SSH_MSG_CHANNEL_DATA, SSH_MSG_CHANNEL_EOF, SSH_MSG_CHANNEL_EXTENDED_DATA,
  SSH_MSG_CHANNEL_FAILURE, SSH_MSG_CHANNEL_OPEN, SSH_MSG_CHANNEL_OPEN_CONFIRMATION, SSH_MSG_CHANNEL_OPEN_FAILURE,
  SSH_MSG_CHANNEL_REQUEST, SSH_MSG_CHANNEL_SUCCESS, SSH_MSG_CHANNEL_WINDOW_ADJUST, SSH_MSG_GLOBAL_REQUEST,
  SSH_MSG_REQUEST_FAILURE, SSH_MSG_REQUEST_SUCCESS, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED,
  SSH_OPEN_RESOURCE_SHORTAGE, SSH_OPEN_UNKNOWN_CHANNEL_TYPE, messageName,
} from "../wire/index.ts";
import { Channel, type ChannelHost, type ChannelOptions } from "./channel.ts";
import { ChannelOpenError } from "./errors.ts";
import {
  type ChannelOpenRequest, type GlobalRequest, readChannelOpen, readGlobalRequest, writeChannelOpenBody,
  writeGlobalRequestBody,
} from "./messages.ts";
import { readChannelRequestBody } from "./session.ts";
import { keepOutOfFtl } from "../jit.ts";

/** OpenSSH channels.c CHANNELS_MAX_CHANNELS: the most channels one connection may hold. */
export const MAX_CHANNELS_DEFAULT: number = 16 * 1024;
/** Transport backlog above which channels stop handing it data until onWritable (1 MiB). */
const BACKLOG_HIGH_DEFAULT = 1024 * 1024;

/**
 * Whether a message number belongs to the connection protocol (RFC 4250 §4.1.2: 80..100 in use, up to 127 reserved).
 * The layer that feeds the mux answers others as OpenSSH does (UNIMPLEMENTED, RFC 4253 §11.4) or ignores them.
 */
export function isConnectionMessage(msg: number): boolean {
  return msg >= SSH_MSG_GLOBAL_REQUEST && msg <= SSH_MSG_CHANNEL_FAILURE;
}

/** A reply to a global request: false is REQUEST_FAILURE, true or response bytes are REQUEST_SUCCESS. */
export type GlobalReply = boolean | Uint8Array;

/** The answer to a global request we sent. `data` is the request-specific part of REQUEST_SUCCESS (a copy). */
export interface GlobalRequestResult {
  readonly success: boolean;
  readonly data: Uint8Array;
}

/** A channel open the peer asked for, waiting for accept() or reject() (now or later, exactly once). */
export interface IncomingOpen {
  /** The peer's channel id, initial window and max packet (RFC 4254 §5.1). */
  readonly senderChannel: number;
  readonly initialWindowBytes: number;
  readonly maxPacketBytes: number;
  /** Sends OPEN_CONFIRMATION and returns the channel; attach a handler to it at once. */
  accept(options?: ChannelOptions): Channel;
  /** Sends OPEN_FAILURE with an RFC 4254 §5.1 reason code and a description. */
  reject(code: number, description?: string): void;
}

/** What the layer above decides for the peer's requests. Every member is optional; without one the answer is no. */
export interface MuxHandler {
  /**
   * A channel open of a known type. Call `open.accept()` or `open.reject()`, now or later, or throw ChannelOpenError
   * to refuse. Unknown types are refused with SSH_OPEN_UNKNOWN_CHANNEL_TYPE before this is asked.
   */
  onChannelOpen?(request: ChannelOpenRequest, open: IncomingOpen): void;
  /**
   * A global request of a known type (keepalive@openssh.com and no-more-sessions@openssh.com are answered by the mux).
   * Replies leave in request order, however long a promise takes.
   */
  onGlobalRequest?(request: GlobalRequest, wantReply: boolean): GlobalReply | Promise<GlobalReply>;
  /** The connection ended; every channel has had its onClose. */
  onClose?(error: Error | undefined): void;
}

/** Settings for a ChannelMux. */
export interface MuxOptions {
  readonly handler?: MuxHandler;
  /** Most channels at once, ours and the peer's, open or opening (default 16384, as OpenSSH). */
  readonly maxChannels?: number;
  /** Defaults for channels opened or accepted without their own options. */
  readonly channelDefaults?: ChannelOptions;
  /**
   * Channels stop handing data to the transport while its backlogBytes is at or above this, and resume on onWritable;
   * the transport's high-water mark must not be above it (default 1 MiB).
   */
  readonly backlogHighBytes?: number;
  /** Whether to send eow@openssh.com (default: when the peer's version string says OpenSSH, as OpenSSH's compat). */
  readonly sendEow?: boolean;
  /** Told about a bug in a handler (a non-protocol throw, a rejected promise) before the connection is ended. */
  readonly onError?: (error: unknown) => void;
}

interface GlobalSlot {
  reply: GlobalReply | undefined;
}
interface PendingOpen {
  resolve: (ch: Channel) => void;
  reject: (err: Error) => void;
}

/**
 * The connection protocol on one transport. Installs itself as the transport's onMessage/onWritable/onClose.
 * Server and client use the same class: which channels and requests each side accepts is the handler's policy.
 */
export class ChannelMux implements ChannelHost {
  /** The handler for the peer's opens and global requests; may be replaced at any time. */
  handler: MuxHandler;
  readonly peerSendsEow: boolean;
  private readonly table: (Channel | undefined)[] = [];
  private readonly freeIds: number[] = [];
  private liveChannels = 0;
  private pendingIncoming = 0;
  private readonly maxChannels: number;
  private readonly channelDefaults: ChannelOptions;
  private readonly backlogHigh: number;
  private readonly opening = new Map<number, PendingOpen>();
  private readonly globalAwaiting: { resolve: (r: GlobalRequestResult) => void; reject: (e: Error) => void }[] = [];
  private readonly globalReplies: GlobalSlot[] = [];
  private readonly blocked = new Set<Channel>();
  private noMoreSessionsFlag = false;
  private ended = false;
  private failure: Error | undefined;
  private readonly onError: ((error: unknown) => void) | undefined;

  constructor(
    readonly conn: PacketConn,
    options: MuxOptions = {},
  ) {
    this.handler = options.handler ?? {};
    this.maxChannels = options.maxChannels ?? MAX_CHANNELS_DEFAULT;
    this.channelDefaults = options.channelDefaults ?? {};
    this.backlogHigh = options.backlogHighBytes ?? BACKLOG_HIGH_DEFAULT;
    this.peerSendsEow = options.sendEow ?? /^SSH-2\.0-OpenSSH/.test(conn.peerVersion);
    this.onError = options.onError;
    conn.onMessage = (payload, lease) => {
      try {
        this.handleMessage(payload, lease);
      } catch (err) {
        this.fail(err);
      }
    };
    conn.onWritable = () => this.handleWritable();
    conn.onClose = (error) => this.connectionClosed(error);
  }

  /** Channels in the table (open, opening or closing). */
  get channelCount(): number {
    return this.liveChannels;
  }
  /** Whether the peer sent no-more-sessions@openssh.com (a further session open ends the connection). */
  get noMoreSessions(): boolean {
    return this.noMoreSessionsFlag;
  }
  /** Whether the connection has ended. */
  get isClosed(): boolean {
    return this.ended;
  }
  /** Calls `fn` for every channel that is open (confirmed) and not yet gone. */
  forEachOpenChannel(fn: (channel: Channel) => void): void {
    for (const ch of this.table) if (ch?.opened) fn(ch);
  }
  /** The channel with this local id, if it is open or closing. */
  channel(localId: number): Channel | undefined {
    const ch = this.table[localId];
    return ch?.opened ? ch : undefined;
  }

  // ---- our requests ----

  /**
   * Opens a channel (RFC 4254 §5.1). Resolves with it once the peer confirms (attach a handler at once; anything that
   * arrives first waits); rejects with ChannelOpenError (the peer's code and text, or RESOURCE_SHORTAGE when our
   * table is full) or ConnectionLostError.
   */
  openChannel(request: ChannelOpenRequest, options?: ChannelOptions): Promise<Channel> {
    if (this.ended) return Promise.reject(new ConnectionLostError("connection closed"));
    if (this.liveChannels + this.pendingIncoming >= this.maxChannels) {
      return Promise.reject(new ChannelOpenError(SSH_OPEN_RESOURCE_SHORTAGE, "too many channels"));
    }
    const ch = new Channel(this, this.allocate(), request, options ?? this.channelDefaults);
    this.table[ch.localId] = ch;
    const w = this.conn.begin(SSH_MSG_CHANNEL_OPEN, 64);
    w.string(request.type).u32(ch.localId).u32(ch.localWindowMaxBytes).u32(ch.localMaxPacketBytes);
    writeChannelOpenBody(w, request);
    this.conn.commit(w);
    return new Promise((resolve, reject) => this.opening.set(ch.localId, { resolve, reject }));
  }

  /** Sends a global request with want-reply; resolves with the peer's answer (replies come in order). */
  globalRequest(request: GlobalRequest): Promise<GlobalRequestResult> {
    if (this.ended) return Promise.reject(new ConnectionLostError("connection closed"));
    this.sendGlobalRequest(request, true);
    return new Promise((resolve, reject) => this.globalAwaiting.push({ resolve, reject }));
  }

  /** Sends a global request without want-reply (hostkeys-00@openssh.com, no-more-sessions@openssh.com). */
  globalRequestNoReply(request: GlobalRequest): void {
    if (!this.ended) this.sendGlobalRequest(request, false);
  }

  private sendGlobalRequest(request: GlobalRequest, wantReply: boolean): void {
    const w = this.conn.begin(SSH_MSG_GLOBAL_REQUEST, 64);
    w.string(request.type).bool(wantReply);
    writeGlobalRequestBody(w, request);
    this.conn.commit(w);
  }

  // ---- the peer's messages ----

  /**
   * Handles one connection-protocol message (payload[0] is its number) and releases or passes on `lease`, exactly
   * once. Throws ProtocolError for what OpenSSH treats as fatal; the installed onMessage hook turns that into
   * SSH_MSG_DISCONNECT.
   */
  handleMessage(payload: Uint8Array, lease: Lease): void {
    let owned = true;
    try {
      const r = new Reader(payload, 1);
      const msg = payload[0];
      switch (msg) {
        case SSH_MSG_GLOBAL_REQUEST: this.handleGlobalRequest(r); break;
        case SSH_MSG_REQUEST_SUCCESS: this.handleGlobalReply(true, r); break;
        case SSH_MSG_REQUEST_FAILURE: this.handleGlobalReply(false, r); break;
        case SSH_MSG_CHANNEL_OPEN: this.handleOpen(r); break;
        case SSH_MSG_CHANNEL_OPEN_CONFIRMATION: this.handleOpenConfirmation(r); break;
        case SSH_MSG_CHANNEL_OPEN_FAILURE: this.handleOpenFailure(r); break;
        case SSH_MSG_CHANNEL_WINDOW_ADJUST: {
          const id = r.u32();
          const bytes = r.u32();
          r.expectEnd("window adjust");
          // channels.c channel_input_window_adjust: "Received window adjust for non-open channel" is only logged
          this.channel(id)?.receiveWindowAdjust(bytes);
          break;
        }
        case SSH_MSG_CHANNEL_DATA: {
          const ch = this.channelFrom(r, "data");
          const data = r.stringView();
          r.expectEnd("channel data");
          owned = false;
          ch.receiveData(0, data, lease);
          break;
        }
        case SSH_MSG_CHANNEL_EXTENDED_DATA: {
          const ch = this.channelFrom(r, "extended data");
          const dataType = r.u32();
          const data = r.stringView();
          r.expectEnd("channel extended data");
          owned = false;
          ch.receiveData(dataType === 0 ? 0xffffffff : dataType, data, lease); // type 0 is not data: drop it as unknown
          break;
        }
        case SSH_MSG_CHANNEL_EOF: {
          const ch = this.channelFrom(r, "ieof");
          r.expectEnd("channel eof");
          ch.receiveEof();
          break;
        }
        case SSH_MSG_CHANNEL_CLOSE: {
          const ch = this.channelFrom(r, "oclose");
          r.expectEnd("channel close");
          ch.receiveClose();
          break;
        }
        case SSH_MSG_CHANNEL_REQUEST: {
          const ch = this.channelFrom(r, "request");
          const name = r.string();
          const wantReply = r.bool();
          ch.receiveRequest(readChannelRequestBody(name, r), wantReply);
          break;
        }
        case SSH_MSG_CHANNEL_SUCCESS: case SSH_MSG_CHANNEL_FAILURE: {
          const id = r.u32();
          r.expectEnd("channel reply");
          // channels.c channel_input_status_confirm: a reply for an unknown channel is only logged
          this.channel(id)?.receiveReply(msg === SSH_MSG_CHANNEL_SUCCESS);
          break;
        }
        default:
          // A userauth message after authentication is ignored (auth2.c); anything else unknown gets UNIMPLEMENTED
          // (RFC 4253 §11.4, OpenSSH dispatch_protocol_error) and the connection goes on.
          if (msg !== undefined && msg >= 50 && msg <= 79) break;
          if (msg !== undefined && msg >= 101) {
            this.conn.unimplemented();
            break;
          }
          throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `unexpected message ${messageName(msg ?? 0)}`);
      }
    } finally {
      if (owned) lease.release();
    }
  }

  /** channels.c channel_from_packet_id: a message for a channel we don't have is fatal. */
  private channelFrom(r: Reader, what: string): Channel {
    const id = r.u32();
    const ch = this.channel(id);
    if (ch === undefined) throw protocolError(`${what} packet referred to nonexistent channel ${id}`);
    return ch;
  }

  private handleGlobalRequest(r: Reader): void {
    const m = readGlobalRequest(r);
    const req = m.request;
    let result: GlobalReply | Promise<GlobalReply>;
    if (req === null) {
      result = false; // RFC 4254 §4: an unknown request gets REQUEST_FAILURE
    } else if (req.type === "keepalive@openssh.com") {
      result = false; // serverloop.c: sshd doesn't know it either; any reply is what the client waits for
    } else if (req.type === "no-more-sessions@openssh.com") {
      this.noMoreSessionsFlag = true;
      result = true;
    } else {
      result = this.handler.onGlobalRequest ? this.handler.onGlobalRequest(req, m.wantReply) : false;
    }
    const slot: GlobalSlot | undefined = m.wantReply ? { reply: undefined } : undefined;
    if (slot) this.globalReplies.push(slot);
    if (typeof result !== "object" || result instanceof Uint8Array) {
      if (slot) this.settleGlobal(slot, result);
      return;
    }
    result.then(
      (reply) => slot && this.settleGlobal(slot, reply),
      (err: unknown) => {
        if (slot) this.settleGlobal(slot, false);
        this.reportError(err);
      },
    );
  }

  private settleGlobal(slot: GlobalSlot, reply: GlobalReply): void {
    slot.reply = reply;
    while (this.globalReplies.length > 0 && this.globalReplies[0]!.reply !== undefined) {
      const head = this.globalReplies.shift()!.reply!;
      if (this.ended) continue;
      const data = head instanceof Uint8Array ? head : undefined;
      const w = this.conn.begin(head === false ? SSH_MSG_REQUEST_FAILURE : SSH_MSG_REQUEST_SUCCESS, data?.length ?? 0);
      if (data) w.raw(data);
      this.conn.commit(w);
    }
  }

  private handleGlobalReply(success: boolean, r: Reader): void {
    const data = success ? r.rest().slice() : new Uint8Array(0);
    if (!success) r.expectEnd("request failure");
    // clientloop.c client_global_request_reply: a reply nobody waits for is ignored (sshd uses them as keepalives)
    this.globalAwaiting.shift()?.resolve({ success, data });
  }

  private handleOpen(r: Reader): void {
    const m = readChannelOpen(r);
    const req = m.request;
    if (req?.type === "session" && this.noMoreSessionsFlag) {
      // serverloop.c server_request_session
      throw protocolError("Possible attack: attempt to open a session after additional sessions disabled");
    }
    if (req === null) return this.sendOpenFailure(m.senderChannel, SSH_OPEN_UNKNOWN_CHANNEL_TYPE, "unknown channel type");
    if (this.liveChannels + this.pendingIncoming >= this.maxChannels) {
      return this.sendOpenFailure(m.senderChannel, SSH_OPEN_RESOURCE_SHORTAGE, "too many channels");
    }
    if (!portsValid(req)) {
      // serverloop.c server_request_direct_tcpip, clientloop.c client_request_forwarded_tcpip: "invalid port"
      return this.sendOpenFailure(m.senderChannel, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
    }
    const onOpen = this.handler.onChannelOpen;
    if (!onOpen) return this.sendOpenFailure(m.senderChannel, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
    this.pendingIncoming++;
    let decided = false;
    const decide = (): void => {
      if (decided) throw new Error("channel open already accepted or rejected");
      decided = true;
      this.pendingIncoming--;
    };
    const open: IncomingOpen = {
      senderChannel: m.senderChannel,
      initialWindowBytes: m.initialWindowBytes,
      maxPacketBytes: m.maxPacketBytes,
      accept: (options) => {
        decide();
        const ch = new Channel(this, this.ended ? -1 : this.allocate(), req, options ?? this.channelDefaults);
        if (this.ended) {
          ch.connectionLost(this.failure);
          return ch;
        }
        this.table[ch.localId] = ch;
        const w = this.conn.begin(SSH_MSG_CHANNEL_OPEN_CONFIRMATION, 16);
        w.u32(m.senderChannel).u32(ch.localId).u32(ch.localWindowMaxBytes).u32(ch.localMaxPacketBytes);
        this.conn.commit(w);
        ch.setOpen(m.senderChannel, m.initialWindowBytes, m.maxPacketBytes);
        return ch;
      },
      reject: (code, description = "open failed") => {
        decide();
        if (!this.ended) this.sendOpenFailure(m.senderChannel, code, description);
      },
    };
    try {
      onOpen.call(this.handler, req, open);
    } catch (err) {
      if (!(err instanceof ChannelOpenError)) throw err; // a bug: the connection ends
      if (!decided) open.reject(err.code, err.description);
    }
  }

  private sendOpenFailure(recipient: number, code: number, description: string): void {
    const w = this.conn.begin(SSH_MSG_CHANNEL_OPEN_FAILURE, 16 + description.length);
    w.u32(recipient).u32(code).string(description).string("");
    this.conn.commit(w);
  }

  private openingChannel(r: Reader, what: string): [Channel, PendingOpen] {
    const id = r.u32();
    const ch = this.table[id];
    const pending = this.opening.get(id);
    if (ch === undefined || pending === undefined) {
      // channels.c: "Received open confirmation for non-opening channel %d."
      throw protocolError(`Received ${what} for non-opening channel ${id}.`);
    }
    return [ch, pending];
  }

  private handleOpenConfirmation(r: Reader): void {
    const [ch, pending] = this.openingChannel(r, "open confirmation");
    const remoteId = r.u32();
    const window = r.u32();
    const maxPacket = r.u32();
    r.expectEnd("open confirmation");
    this.opening.delete(ch.localId);
    ch.setOpen(remoteId, window, maxPacket);
    pending.resolve(ch);
  }

  private handleOpenFailure(r: Reader): void {
    const [ch, pending] = this.openingChannel(r, "open failure");
    const code = r.u32();
    const description = r.string();
    r.stringView(); // language tag
    r.expectEnd("open failure");
    this.opening.delete(ch.localId);
    this.release(ch.localId);
    pending.reject(new ChannelOpenError(code, description));
  }

  // ---- ChannelHost ----

  /** @internal */
  connWritable(): boolean {
    return this.conn.backlogBytes < this.backlogHigh;
  }
  /** @internal */
  waitWritable(channel: Channel): void {
    this.blocked.add(channel);
  }
  /** @internal */
  freeChannel(channel: Channel): void {
    if (channel.localId >= 0 && this.table[channel.localId] === channel) this.release(channel.localId);
    this.blocked.delete(channel);
  }
  /** @internal */
  reportError(error: unknown): void {
    this.fail(error);
  }

  private handleWritable(): void {
    for (const ch of [...this.blocked]) {
      if (!this.connWritable()) return;
      this.blocked.delete(ch);
      ch.flush();
    }
  }

  private allocate(): number {
    this.liveChannels++;
    return this.freeIds.pop() ?? this.table.length;
  }

  private release(id: number): void {
    this.table[id] = undefined;
    this.freeIds.push(id);
    this.liveChannels--;
  }

  /** Ends the connection for `err`: a ProtocolError as DISCONNECT with its reason, anything else as a bug. */
  private fail(err: unknown): void {
    if (this.ended) return;
    const error = err instanceof Error ? err : new Error(String(err));
    this.failure = error;
    if (err instanceof ProtocolError) {
      this.conn.disconnect(err.reason, err.message);
    } else {
      this.onError?.(err);
      this.conn.disconnect(DisconnectReason.PROTOCOL_ERROR, "internal error");
    }
    this.connectionClosed(error);
  }

  private connectionClosed(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    const why = error ?? this.failure;
    const lost = why ?? new ConnectionLostError("connection closed");
    for (const [id, pending] of this.opening) {
      this.opening.delete(id);
      this.release(id);
      pending.reject(lost);
    }
    for (const ch of this.table) ch?.connectionLost(why);
    for (const waiter of this.globalAwaiting.splice(0)) waiter.reject(lost);
    this.blocked.clear();
    this.handler.onClose?.(why);
  }
}

/** TCP ports in open requests fit 16 bits; OpenSSH refuses the open otherwise (not a protocol error). */
function portsValid(req: ChannelOpenRequest): boolean {
  switch (req.type) {
    case "direct-tcpip": return req.portToConnect <= 0xffff && req.originatorPort <= 0xffff;
    case "forwarded-tcpip": return req.connectedPort <= 0xffff && req.originatorPort <= 0xffff;
    case "x11": return req.originatorPort <= 0xffff;
    default: return true;
  }
}

function protocolError(message: string): ProtocolError {
  return new ProtocolError(DisconnectReason.PROTOCOL_ERROR, message);
}

keepOutOfFtl([ChannelMux]);
