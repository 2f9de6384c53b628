// A channel joined to a socket (TCP or Unix), bytes copied both ways with backpressure and half-closes in OpenSSH's
// order (nchan.c): the socket's FIN becomes our EOF, the peer's EOF becomes shutdown(SHUT_WR) once everything it sent
// is written, and the channel closes when the socket does. Used by sshd for direct-tcpip, forwarded-tcpip and the
// streamlocal twins, and meant for ssh's -L/-R/-D as well.
//
// Backpressure: Bun sockets drop what write() does not take (bun-platform.md §4), so the peer's data waits here as
// unreleased ChannelData (it still counts against the window, so the peer slows down) until the socket drains; the
// socket is paused while the channel's own queue is above its high-water mark, and resumed on onDrain.
import { isIP } from "node:net";
import { lookup } from "node:dns/promises";
import type { Socket, SocketHandler } from "bun";
import { strerror } from "../strerror.ts";
import type { Channel, ChannelData } from "./channel.ts";

/** What the bridge needs of a socket (Bun's Socket has it). */
export interface BridgeSocket {
  write(data: Uint8Array): number;
  shutdown(halfClose?: boolean): void;
  end(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
}

/** The state of one socket <-> channel pair. Feed it the socket's events (SOCKET_BRIDGE_HANDLERS does) and attach() a channel. */
export class SocketBridge {
  private socket: BridgeSocket | null = null;
  private channel: Channel | null = null;
  /** Socket bytes that arrived before the channel (the socket is paused meanwhile, so few). */
  private early: Uint8Array[] = [];
  /** The peer's bytes waiting for the socket to take them (still unreleased: the window stays shut). */
  private out: { data: ChannelData; off: number }[] = [];
  private socketEof = false;
  private socketGone = false;
  private writeShut = false;
  private channelEof = false;
  private channelGone = false;
  private eofSent = false;
  private resolveDone!: () => void;
  /** Settles once both the socket and the channel are gone. */
  readonly done: Promise<void> = new Promise((resolve) => (this.resolveDone = resolve));

  /** The socket connected or was accepted. Until a channel is attached it is paused. */
  opened(socket: BridgeSocket): void {
    this.socket = socket;
    if (this.channel === null) socket.pause();
  }

  /** Joins the channel (open, handler not yet attached); bytes start flowing both ways. */
  attach(channel: Channel): void {
    if (this.channel !== null) throw new Error("socket bridge: channel already attached");
    this.channel = channel;
    channel.attach({
      onData: (data) => this.channelData(data),
      onEof: () => {
        this.channelEof = true;
        this.flushOut();
      },
      onDrain: () => {
        if (!this.socketEof && !this.socketGone) this.socket?.resume();
      },
      onClose: (error) => {
        this.channelGone = true;
        // An orderly CLOSE still lets queued bytes reach the socket (nchan.c: output drains); a lost connection does not.
        if (error !== undefined) this.dropOut();
        this.channelEof = true;
        this.flushOut();
        this.maybeDone();
      },
    });
    for (const b of this.early.splice(0)) this.toChannel(b);
    if (this.socketEof || this.socketGone) this.sendEof();
    if (this.socketGone) channel.close();
    else this.socket?.resume();
  }

  /** Gives up on a socket whose channel never opened (the peer refused, the connection ended). */
  abandon(): void {
    this.channelGone = true;
    this.early = [];
    if (!this.socketGone) this.socket?.end();
    this.maybeDone();
  }

  // ---- the socket's events ----

  /** Bytes from the socket (`chunk` may be reused by the runtime: copied). */
  data(chunk: Uint8Array): void {
    const copy = chunk.slice();
    if (this.channel === null) this.early.push(copy);
    else this.toChannel(copy);
  }
  /** The socket's FIN. */
  end(): void {
    if (this.socketEof) return;
    this.socketEof = true;
    if (this.channel !== null) this.sendEof();
    this.finishSocketIfDone();
  }
  /** The socket takes writes again. */
  drain(): void {
    this.flushOut();
  }
  /** The socket is closed (both FINs, a reset, or an error). */
  closed(): void {
    if (this.socketGone) return;
    this.socketGone = true;
    this.socketEof = true;
    this.dropOut();
    const ch = this.channel;
    if (ch !== null && !this.channelGone) ch.close(); // EOF (if not sent) and CLOSE, after what is queued
    this.maybeDone();
  }

  private toChannel(bytes: Uint8Array): void {
    const ch = this.channel!;
    if (this.eofSent || this.channelGone || ch.closeReceived || ch.closeSent) return;
    if (!ch.write(bytes)) this.socket?.pause();
  }

  private sendEof(): void {
    if (this.eofSent || this.channelGone) return;
    this.eofSent = true;
    this.channel?.end();
  }

  private channelData(data: ChannelData): void {
    if (this.socketGone || this.writeShut) {
      data.release();
      return;
    }
    this.out.push({ data, off: 0 });
    if (this.out.length === 1) this.flushOut();
  }

  private flushOut(): void {
    const s = this.socket;
    if (s === null) return;
    while (this.out.length > 0) {
      const head = this.out[0]!;
      const bytes = head.data.bytes;
      const n = this.socketGone ? -1 : s.write(bytes.subarray(head.off));
      if (n < 0) {
        this.dropOut();
        return;
      }
      if (head.off + n < bytes.length) {
        head.off += n;
        return; // the rest on drain
      }
      this.out.shift();
      head.data.release();
    }
    if (this.channelEof && !this.writeShut && !this.socketGone) {
      this.writeShut = true;
      s.shutdown(); // nchan.c chan_shutdown_write: SHUT_WR once the output buffer is empty
      this.finishSocketIfDone();
    }
  }

  /** Both directions are finished: close the socket (its close event closes the channel). */
  private finishSocketIfDone(): void {
    if (this.socketEof && this.writeShut && !this.socketGone) this.socket?.end();
    else if (this.channelGone && this.writeShut && !this.socketGone) this.socket?.end();
  }

  private dropOut(): void {
    for (const item of this.out.splice(0)) item.data.release();
  }

  private maybeDone(): void {
    if (this.channelGone && this.socketGone) this.resolveDone();
    else if (this.channelGone && this.socket === null) this.resolveDone();
  }
}

/** Socket handlers for Bun.connect/Bun.listen whose `data` is the SocketBridge (use allowHalfOpen: true). */
export const SOCKET_BRIDGE_HANDLERS: SocketHandler<SocketBridge> = {
  open: (s) => s.data.opened(s),
  data: (s, chunk) => s.data.data(chunk),
  drain: (s) => s.data.drain(),
  end: (s) => s.data.end(),
  close: (s) => s.data.closed(),
  error: (s) => s.data.closed(),
};

/** Where connectBridged() connects: a host (name or address) and port, or a Unix socket path. */
export type ConnectTarget = { readonly host: string; readonly port: number } | { readonly path: string };

/** Why a connect failed: a name that did not resolve (`resolve`, gai_strerror text) or every address refused (`connect`, strerror text). */
export class ConnectFailure extends Error {
  override name = "ConnectFailure";
  constructor(
    readonly kind: "resolve" | "connect",
    /** getaddrinfo's or connect's error text, as OpenSSH puts it in the open failure. */
    readonly text: string,
  ) {
    super(text);
  }
}

/** OpenSSH's connect timeout is the kernel's (about two minutes of SYN retries); ours is bounded and explicit. */
export const CONNECT_TIMEOUT_MS_DEFAULT = 60_000;

/** gai_strerror(3) for the codes node:dns reports. */
function gaiText(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === "ENOTFOUND" || code === "EAI_NONAME") return "Name or service not known";
  if (code === "EAI_AGAIN") return "Temporary failure in name resolution";
  if (code === "ENODATA" || code === "EAI_NODATA") return "No address associated with hostname";
  return "Name or service not known";
}

/**
 * channels.c connect_to_helper/connect_next: resolves `target`, then tries each address in getaddrinfo's order until
 * one connects (within `timeoutMs` overall). Resolves with the connected socket and its bridge (attach a channel
 * next); rejects with ConnectFailure. `onAttemptFailed` hears each refused address (OpenSSH's debug lines).
 */
export async function connectBridged(
  target: ConnectTarget,
  opts: { readonly timeoutMs?: number; readonly onAttemptFailed?: (address: string, text: string) => void } = {},
): Promise<{ socket: Socket<SocketBridge>; bridge: SocketBridge; address: string }> {
  const deadline = Date.now() + (opts.timeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT);
  let addresses: string[];
  if ("path" in target) {
    addresses = [target.path];
  } else if (isIP(target.host) !== 0) {
    addresses = [target.host];
  } else {
    try {
      addresses = (await lookup(target.host, { all: true, verbatim: true })).map((a) => a.address);
    } catch (e) {
      throw new ConnectFailure("resolve", gaiText(e));
    }
    if (addresses.length === 0) throw new ConnectFailure("resolve", "Name or service not known");
  }
  let last = "Connection refused";
  for (const address of addresses) {
    const left = deadline - Date.now();
    if (left <= 0) {
      last = strerror({ code: "ETIMEDOUT" });
      break;
    }
    const bridge = new SocketBridge();
    const attempt = "path" in target
      ? Bun.connect({ unix: address, allowHalfOpen: true, data: bridge, socket: SOCKET_BRIDGE_HANDLERS })
      : Bun.connect({ hostname: address, port: target.port, allowHalfOpen: true, data: bridge, socket: SOCKET_BRIDGE_HANDLERS });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT" }));
      }, left);
    });
    try {
      const socket = await Promise.race([attempt, timeout]);
      return { socket, bridge, address };
    } catch (e) {
      // A connect that completes after its deadline is closed at once.
      if (timedOut) attempt.then((s) => s.terminate(), () => {});
      last = strerror(e);
      opts.onAttemptFailed?.(address, last);
    } finally {
      clearTimeout(timer);
    }
  }
  throw new ConnectFailure("connect", last);
}
