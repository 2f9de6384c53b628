// Errors core throws (STYLE.md §6). cmd/ maps them to exit status and wording; the transport turns a ProtocolError
// into SSH_MSG_DISCONNECT with its reason code.

/** RFC 4253 §11.1 disconnect reason codes. */
export const DisconnectReason = {
  HOST_NOT_ALLOWED_TO_CONNECT: 1,
  PROTOCOL_ERROR: 2,
  KEY_EXCHANGE_FAILED: 3,
  RESERVED: 4,
  MAC_ERROR: 5,
  COMPRESSION_ERROR: 6,
  SERVICE_NOT_AVAILABLE: 7,
  PROTOCOL_VERSION_NOT_SUPPORTED: 8,
  HOST_KEY_NOT_VERIFIABLE: 9,
  CONNECTION_LOST: 10,
  BY_APPLICATION: 11,
  TOO_MANY_CONNECTIONS: 12,
  AUTH_CANCELLED_BY_USER: 13,
  NO_MORE_AUTH_METHODS_AVAILABLE: 14,
  ILLEGAL_USER_NAME: 15,
} as const;
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

/** Base of every error core throws on purpose. */
export class SshError extends Error {
  override name = "SshError";
}

/** Ends the connection: the transport sends SSH_MSG_DISCONNECT(reason, message), logs once, closes. */
export class ProtocolError extends SshError {
  override name = "ProtocolError";
  constructor(
    readonly reason: DisconnectReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** No algorithm in common for one slot of KEXINIT (RFC 4253 §7.1). */
export class NegotiationError extends SshError {
  override name = "NegotiationError";
  constructor(
    readonly what: "cipher" | "MAC" | "key exchange method" | "host key type" | "compression method",
    readonly ours: readonly string[],
    readonly theirs: readonly string[],
  ) {
    super(`no matching ${what} found`);
  }
}

/** The peer closed or the link broke; `message` says how. */
export class ConnectionLostError extends SshError {
  override name = "ConnectionLostError";
}

/** The peer sent SSH_MSG_DISCONNECT. */
export class PeerDisconnectedError extends SshError {
  override name = "PeerDisconnectedError";
  constructor(
    readonly reason: number,
    readonly description: string,
  ) {
    super(`Received disconnect: ${reason}: ${description}`);
  }
}

/** A configuration file or value is wrong (file and line where known). */
export class ConfigError extends SshError {
  override name = "ConfigError";
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}
