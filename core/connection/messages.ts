// RFC 4254 connection-protocol control messages: channel open requests (§5.1, §6.1, §6.3.2, §7, OpenSSH PROTOCOL
// §2.4-2.5 for streamlocal and tun, PROTOCOL.agent) and global requests (§4, §7.1, OpenSSH PROTOCOL §2.5-2.6).
// Decoders are strict: a short field or trailing bytes is a ProtocolError; names outside the table decode as `null`.
import { DisconnectReason, ProtocolError } from "../errors.ts";
import { Reader, SSH_MSG_CHANNEL_OPEN, SSH_MSG_GLOBAL_REQUEST, Writer } from "../wire/index.ts";

/** RFC 4254 §6.1: an interactive session (shell, exec, subsystem). */
export interface SessionOpen {
  readonly type: "session";
}
/** RFC 4254 §7.2: the client asks the server to connect to `hostToConnect:portToConnect` (ssh -L). */
export interface DirectTcpipOpen {
  readonly type: "direct-tcpip";
  readonly hostToConnect: string;
  readonly portToConnect: number;
  readonly originatorAddress: string;
  readonly originatorPort: number;
}
/** RFC 4254 §7.2: the server reports a connection to a port forwarded with tcpip-forward (ssh -R). */
export interface ForwardedTcpipOpen {
  readonly type: "forwarded-tcpip";
  readonly connectedAddress: string;
  readonly connectedPort: number;
  readonly originatorAddress: string;
  readonly originatorPort: number;
}
/** OpenSSH PROTOCOL §2.4: connect to a Unix socket on the server. The reserved fields are sent as "" and 0. */
export interface DirectStreamlocalOpen {
  readonly type: "direct-streamlocal@openssh.com";
  readonly socketPath: string;
  readonly reservedString: string;
  readonly reservedNumber: number;
}
/** OpenSSH PROTOCOL §2.4: a connection to a Unix socket forwarded with streamlocal-forward@openssh.com. */
export interface ForwardedStreamlocalOpen {
  readonly type: "forwarded-streamlocal@openssh.com";
  readonly socketPath: string;
  readonly reservedString: string;
}
/** RFC 4254 §6.3.2: an X11 connection from the server side, after x11-req. */
export interface X11Open {
  readonly type: "x11";
  readonly originatorAddress: string;
  readonly originatorPort: number;
}
/** OpenSSH PROTOCOL.agent: a connection to the forwarded agent, after auth-agent-req@openssh.com. */
export interface AuthAgentOpen {
  readonly type: "auth-agent@openssh.com";
}
/** OpenSSH PROTOCOL §2.3: layer-3 (1) or layer-2 (2) tunnel forwarding; unit 0x7fffffff means any. */
export interface TunOpen {
  readonly type: "tun@openssh.com";
  readonly tunnelMode: number;
  readonly remoteUnit: number;
}
/** Every channel type this layer knows, decoded. */
export type ChannelOpenRequest =
  | SessionOpen | DirectTcpipOpen | ForwardedTcpipOpen | DirectStreamlocalOpen | ForwardedStreamlocalOpen | X11Open
  | AuthAgentOpen | TunOpen;

/** RFC 4254 §5.1 SSH_MSG_CHANNEL_OPEN. `request` is null for a channel type we do not know (`typeName` says which). */
export interface ChannelOpenMessage {
  readonly typeName: string;
  readonly senderChannel: number;
  readonly initialWindowBytes: number;
  readonly maxPacketBytes: number;
  readonly request: ChannelOpenRequest | null;
}

/** Writes the type-specific part of a channel open request. */
export function writeChannelOpenBody(w: Writer, req: ChannelOpenRequest): void {
  switch (req.type) {
    case "session": case "auth-agent@openssh.com": return;
    case "direct-tcpip":
      w.string(req.hostToConnect).u32(req.portToConnect).string(req.originatorAddress).u32(req.originatorPort);
      return;
    case "forwarded-tcpip":
      w.string(req.connectedAddress).u32(req.connectedPort).string(req.originatorAddress).u32(req.originatorPort);
      return;
    case "direct-streamlocal@openssh.com":
      w.string(req.socketPath).string(req.reservedString).u32(req.reservedNumber);
      return;
    case "forwarded-streamlocal@openssh.com":
      w.string(req.socketPath).string(req.reservedString);
      return;
    case "x11":
      w.string(req.originatorAddress).u32(req.originatorPort);
      return;
    case "tun@openssh.com":
      w.u32(req.tunnelMode).u32(req.remoteUnit);
      return;
  }
}

/** Reads the type-specific part of a channel open request, strictly; null for an unknown type (body left unread). */
export function readChannelOpenBody(typeName: string, r: Reader): ChannelOpenRequest | null {
  let req: ChannelOpenRequest;
  switch (typeName) {
    case "session": req = { type: "session" }; break;
    case "auth-agent@openssh.com": req = { type: "auth-agent@openssh.com" }; break;
    case "direct-tcpip":
      req = { type: "direct-tcpip", hostToConnect: r.string(), portToConnect: r.u32(), originatorAddress: r.string(), originatorPort: r.u32() };
      break;
    case "forwarded-tcpip":
      req = { type: "forwarded-tcpip", connectedAddress: r.string(), connectedPort: r.u32(), originatorAddress: r.string(), originatorPort: r.u32() };
      break;
    case "direct-streamlocal@openssh.com":
      req = { type: "direct-streamlocal@openssh.com", socketPath: r.string(), reservedString: r.string(), reservedNumber: r.u32() };
      break;
    case "forwarded-streamlocal@openssh.com":
      req = { type: "forwarded-streamlocal@openssh.com", socketPath: r.string(), reservedString: r.string() };
      break;
    case "x11":
      req = { type: "x11", originatorAddress: r.string(), originatorPort: r.u32() };
      break;
    case "tun@openssh.com":
      req = { type: "tun@openssh.com", tunnelMode: r.u32(), remoteUnit: r.u32() };
      break;
    default:
      return null;
  }
  r.expectEnd(`channel open ${typeName}`);
  return req;
}

/** Encodes SSH_MSG_CHANNEL_OPEN (RFC 4254 §5.1) as a fresh payload (for tests and cold paths; the mux writes in place). */
export function encodeChannelOpen(
  req: ChannelOpenRequest, senderChannel: number, initialWindowBytes: number, maxPacketBytes: number,
): Uint8Array {
  const w = new Writer(null, 64).u8(SSH_MSG_CHANNEL_OPEN).string(req.type).u32(senderChannel).u32(initialWindowBytes).u32(maxPacketBytes);
  writeChannelOpenBody(w, req);
  return w.toBytes();
}

/** Decodes SSH_MSG_CHANNEL_OPEN from a whole payload. Strings are copied out. */
export function decodeChannelOpen(payload: Uint8Array): ChannelOpenMessage {
  const r = new Reader(payload);
  if (r.u8() !== SSH_MSG_CHANNEL_OPEN) throw bad("not a channel open message");
  return readChannelOpen(r);
}

/** Reads SSH_MSG_CHANNEL_OPEN after its message number. */
export function readChannelOpen(r: Reader): ChannelOpenMessage {
  const typeName = r.string();
  const senderChannel = r.u32();
  const initialWindowBytes = r.u32();
  const maxPacketBytes = r.u32();
  const request = readChannelOpenBody(typeName, r);
  return { typeName, senderChannel, initialWindowBytes, maxPacketBytes, request };
}

// ---- global requests (RFC 4254 §4) ----

/** RFC 4254 §7.1: listen on `bindAddress:bindPort` on the server (port 0: server picks, and says which in the reply). */
export interface TcpipForwardRequest {
  readonly type: "tcpip-forward";
  readonly bindAddress: string;
  readonly bindPort: number;
}
/** RFC 4254 §7.1: stop a tcpip-forward. */
export interface CancelTcpipForwardRequest {
  readonly type: "cancel-tcpip-forward";
  readonly bindAddress: string;
  readonly bindPort: number;
}
/** OpenSSH PROTOCOL §2.4: listen on a Unix socket on the server. */
export interface StreamlocalForwardRequest {
  readonly type: "streamlocal-forward@openssh.com";
  readonly socketPath: string;
}
/** OpenSSH PROTOCOL §2.4: stop a streamlocal-forward@openssh.com. */
export interface CancelStreamlocalForwardRequest {
  readonly type: "cancel-streamlocal-forward@openssh.com";
  readonly socketPath: string;
}
/** OpenSSH PROTOCOL §2.5: the server's host keys, for the client's known_hosts update (key blobs, copied). */
export interface HostkeysRequest {
  readonly type: "hostkeys-00@openssh.com";
  readonly hostKeys: readonly Uint8Array[];
}
/** OpenSSH PROTOCOL §2.5: the client asks the server to prove it holds these host keys (reply: one signature each). */
export interface HostkeysProveRequest {
  readonly type: "hostkeys-prove-00@openssh.com";
  readonly hostKeys: readonly Uint8Array[];
}
/** OpenSSH's liveness probe (ServerAliveInterval): any reply will do; servers answer REQUEST_FAILURE. */
export interface KeepaliveRequest {
  readonly type: "keepalive@openssh.com";
}
/** OpenSSH PROTOCOL §2.2: the client will open no further session channels; one more is an attack. */
export interface NoMoreSessionsRequest {
  readonly type: "no-more-sessions@openssh.com";
}
/** Every global request this layer knows, decoded. */
export type GlobalRequest =
  | TcpipForwardRequest | CancelTcpipForwardRequest | StreamlocalForwardRequest | CancelStreamlocalForwardRequest
  | HostkeysRequest | HostkeysProveRequest | KeepaliveRequest | NoMoreSessionsRequest;

/** RFC 4254 §4 SSH_MSG_GLOBAL_REQUEST. `request` is null for a name we do not know (`name` says which). */
export interface GlobalRequestMessage {
  readonly name: string;
  readonly wantReply: boolean;
  readonly request: GlobalRequest | null;
}

/** Writes the request-specific part of a global request. */
export function writeGlobalRequestBody(w: Writer, req: GlobalRequest): void {
  switch (req.type) {
    case "tcpip-forward": case "cancel-tcpip-forward":
      w.string(req.bindAddress).u32(req.bindPort);
      return;
    case "streamlocal-forward@openssh.com": case "cancel-streamlocal-forward@openssh.com":
      w.string(req.socketPath);
      return;
    case "hostkeys-00@openssh.com": case "hostkeys-prove-00@openssh.com":
      for (const k of req.hostKeys) w.string(k);
      return;
    case "keepalive@openssh.com": case "no-more-sessions@openssh.com":
      return;
  }
}

/** Reads the request-specific part of a global request, strictly; null for an unknown name. */
export function readGlobalRequestBody(name: string, r: Reader): GlobalRequest | null {
  let req: GlobalRequest;
  switch (name) {
    case "tcpip-forward": case "cancel-tcpip-forward":
      req = { type: name, bindAddress: r.string(), bindPort: r.u32() };
      break;
    case "streamlocal-forward@openssh.com": case "cancel-streamlocal-forward@openssh.com":
      req = { type: name, socketPath: r.string() };
      break;
    case "hostkeys-00@openssh.com": case "hostkeys-prove-00@openssh.com": {
      const hostKeys: Uint8Array[] = [];
      while (r.remaining > 0) hostKeys.push(r.stringBytes());
      req = { type: name, hostKeys };
      break;
    }
    case "keepalive@openssh.com": case "no-more-sessions@openssh.com":
      req = { type: name };
      break;
    default:
      return null;
  }
  r.expectEnd(`global request ${name}`);
  return req;
}

/** Encodes SSH_MSG_GLOBAL_REQUEST (RFC 4254 §4) as a fresh payload. */
export function encodeGlobalRequest(req: GlobalRequest, wantReply: boolean): Uint8Array {
  const w = new Writer(null, 64).u8(SSH_MSG_GLOBAL_REQUEST).string(req.type).bool(wantReply);
  writeGlobalRequestBody(w, req);
  return w.toBytes();
}

/** Decodes SSH_MSG_GLOBAL_REQUEST from a whole payload. */
export function decodeGlobalRequest(payload: Uint8Array): GlobalRequestMessage {
  const r = new Reader(payload);
  if (r.u8() !== SSH_MSG_GLOBAL_REQUEST) throw bad("not a global request");
  return readGlobalRequest(r);
}

/** Reads SSH_MSG_GLOBAL_REQUEST after its message number. */
export function readGlobalRequest(r: Reader): GlobalRequestMessage {
  const name = r.string();
  const wantReply = r.bool();
  return { name, wantReply, request: readGlobalRequestBody(name, r) };
}

/** RFC 4254 §7.1: the REQUEST_SUCCESS data for tcpip-forward with port 0 (the port the server bound). */
export function encodeTcpipForwardReply(boundPort: number): Uint8Array {
  return new Writer(null, 4).u32(boundPort).toBytes();
}
/** Reads the bound port from a tcpip-forward REQUEST_SUCCESS's data (undefined when the request named a port). */
export function decodeTcpipForwardReply(data: Uint8Array): number | undefined {
  if (data.length === 0) return undefined;
  const r = new Reader(data);
  const port = r.u32();
  r.expectEnd("tcpip-forward reply");
  return port;
}
/** OpenSSH PROTOCOL §2.5: the REQUEST_SUCCESS data for hostkeys-prove-00@openssh.com, one signature per key. */
export function encodeHostkeysProveReply(signatures: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(null, 256);
  for (const s of signatures) w.string(s);
  return w.toBytes();
}
/** Reads the signatures of a hostkeys-prove-00@openssh.com reply (copied). */
export function decodeHostkeysProveReply(data: Uint8Array): Uint8Array[] {
  const r = new Reader(data);
  const out: Uint8Array[] = [];
  while (r.remaining > 0) out.push(r.stringBytes());
  return out;
}

function bad(message: string): ProtocolError {
  return new ProtocolError(DisconnectReason.PROTOCOL_ERROR, message);
}
