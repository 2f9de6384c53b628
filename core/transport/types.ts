// What the layers above the transport see of it (STYLE.md §2): a connection that carries messages after key exchange.
// The transport consumes transport-layer messages itself (1-49: DISCONNECT, IGNORE, DEBUG, UNIMPLEMENTED, KEX, EXT_INFO,
// PING/PONG) and hands every other message up, in order.
import type { Lease, Writer } from "../wire/index.ts";

/** The surface of an established transport. */
export interface PacketConn {
  /**
   * Starts an outgoing message: a pooled Writer with header room reserved and the message number written.
   * `sizeHint` is the expected payload size (a CHANNEL_DATA packet), so the writer need not grow.
   */
  begin(msg: number, sizeHint?: number): Writer;
  /** Pads, seals and sends (queued while a key exchange runs, RFC 4253 §7.1). The writer's memory now belongs to the transport. */
  commit(w: Writer): void;
  /**
   * Set by the layer above: one call per message (payload[0] is its number). The callee owns `lease` and releases it
   * once, when done with `payload` (a view into the lease's memory).
   */
  onMessage: (payload: Uint8Array, lease: Lease) => void;
  /** Set by the layer above: called once when the connection ends; `error` is undefined for an orderly close. */
  onClose: (error: Error | undefined) => void;
  /** Set by the layer above: called when the send backlog drops below `lowWaterBytes` after having exceeded it. */
  onWritable: () => void;
  /** Bytes sealed but not yet accepted by the link (flow control for bulk senders). */
  readonly backlogBytes: number;
  /** RFC 4253 §7.2 session identifier (H of the first key exchange). */
  readonly sessionId: Uint8Array;
  /** The server's host key blob (K_S) from the key exchange: what publickey-hostbound-v00@openssh.com binds to. */
  readonly serverHostKey: Uint8Array;
  /** The peer's identification string (`SSH-2.0-OpenSSH_10.5`), without CR LF. */
  readonly peerVersion: string;
  /** Extensions the peer announced in SSH_MSG_EXT_INFO (RFC 8308), name → value bytes. */
  readonly peerExtensions: ReadonlyMap<string, Uint8Array>;
  /** Which side we are. */
  readonly role: "client" | "server";
  /** Sends SSH_MSG_DISCONNECT (RFC 4253 §11.1) and closes. */
  disconnect(reason: number, description: string): void;
  /** Closes without a DISCONNECT message (after a peer's DISCONNECT, or when the link is gone). */
  close(): void;
  /** Starts a key re-exchange now (RFC 4253 §9), e.g. for `~R`. */
  rekey(): void;
  /**
   * Answers the message being handled with SSH_MSG_UNIMPLEMENTED (RFC 4253 §11.4): call it synchronously from onMessage
   * for a message number the layer does not know (OpenSSH's dispatch_protocol_error).
   */
  unimplemented(): void;
}
