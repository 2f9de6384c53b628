// The transport layer (RFC 4253 + OpenSSH PROTOCOL): what the layers above and the front-ends use.
import { Transport, type TransportOptions } from "./transport.ts";
import type { Link } from "./link.ts";

export { Transport, HostKeyVerificationError, HandshakeError, MAX_PACKET_LENGTH } from "./transport.ts";
export type { TransportOptions, HostKeySigner, AlgorithmTables, AlgorithmPreferences } from "./transport.ts";
export { memoryLinkPair, SocketLink, StreamLink, type Link, type ByteSink, type SocketLike } from "./link.ts";
export type { PacketConn } from "./types.ts";
export { IdentificationError } from "./version.ts";

/** A client transport over any duplex byte stream (TCP socket, a ProxyCommand's pipes, memory). */
export function startClient(link: Link, options: Omit<TransportOptions, "role" | "link">): Transport {
  return new Transport({ ...options, role: "client", link });
}

/** A server transport over any duplex byte stream (an accepted socket, stdin/stdout for `sshd -i`, memory). */
export function startServer(link: Link, options: Omit<TransportOptions, "role" | "link">): Transport {
  return new Transport({ ...options, role: "server", link });
}
