// RFC 4254 §6 session channel requests (SSH_MSG_CHANNEL_REQUEST) with OpenSSH's additions (PROTOCOL §2.1 eow, §2.6
// signal INFO@openssh.com, PROTOCOL.agent, keepalive), RFC 4335 break, and §8 encoded terminal modes.
// Decoders are strict (a short field or trailing bytes is a ProtocolError); unknown request names decode as `null`.
import { DisconnectReason, ProtocolError } from "../errors.ts";
import { Reader, SSH_MSG_CHANNEL_REQUEST, Writer } from "../wire/index.ts";

/** RFC 4254 §8: one encoded terminal mode, an opcode (1..159) and its uint32 argument. */
export interface TerminalMode {
  readonly opcode: number;
  readonly value: number;
}
/** RFC 4254 §8: end of the mode list. */
export const TTY_OP_END = 0;
/** RFC 4254 §8: input and output baud rates. */
export const TTY_OP_ISPEED = 128;
export const TTY_OP_OSPEED = 129;
/** RFC 4254 §8 (and RFC 8160 for IUTF8) opcode → termios name, for sshd's pty setup and debug logs. */
export const TERMINAL_MODE_NAMES: Readonly<Record<number, string>> = {
  1: "VINTR", 2: "VQUIT", 3: "VERASE", 4: "VKILL", 5: "VEOF", 6: "VEOL", 7: "VEOL2", 8: "VSTART", 9: "VSTOP",
  10: "VSUSP", 11: "VDSUSP", 12: "VREPRINT", 13: "VWERASE", 14: "VLNEXT", 15: "VFLUSH", 16: "VSWTCH", 17: "VSTATUS",
  18: "VDISCARD", 30: "IGNPAR", 31: "PARMRK", 32: "INPCK", 33: "ISTRIP", 34: "INLCR", 35: "IGNCR", 36: "ICRNL",
  37: "IUCLC", 38: "IXON", 39: "IXANY", 40: "IXOFF", 41: "IMAXBEL", 42: "IUTF8", 50: "ISIG", 51: "ICANON", 52: "XCASE",
  53: "ECHO", 54: "ECHOE", 55: "ECHOK", 56: "ECHONL", 57: "NOFLSH", 58: "TOSTOP", 59: "IEXTEN", 60: "ECHOCTL",
  61: "ECHOKE", 62: "PENDIN", 70: "OPOST", 71: "OLCUC", 72: "ONLCR", 73: "OCRNL", 74: "ONOCR", 75: "ONLRET", 90: "CS7",
  91: "CS8", 92: "PARENB", 93: "PARODD", 128: "TTY_OP_ISPEED", 129: "TTY_OP_OSPEED",
};

/** RFC 4254 §8: encodes modes as `byte opcode, uint32 value` pairs closed by TTY_OP_END. */
export function encodeTerminalModes(modes: readonly TerminalMode[]): Uint8Array {
  const w = new Writer(null, modes.length * 5 + 1);
  for (const m of modes) {
    if (!(m.opcode >= 1 && m.opcode <= 159)) throw new RangeError(`terminal mode opcode ${m.opcode} out of 1..159`);
    w.u8(m.opcode).u32(m.value);
  }
  return w.u8(TTY_OP_END).toBytes();
}

/**
 * RFC 4254 §8: decodes the encoded terminal modes string. As OpenSSH's ttymodes.c: opcodes 1..159 carry a uint32,
 * TTY_OP_END or an opcode from 160 up ends the list (the rest is ignored), a truncated argument is a protocol error.
 */
export function decodeTerminalModes(encoded: Uint8Array): TerminalMode[] {
  const r = new Reader(encoded);
  const modes: TerminalMode[] = [];
  while (r.remaining > 0) {
    const opcode = r.u8();
    if (opcode === TTY_OP_END || opcode >= 160) break;
    modes.push({ opcode, value: r.u32() });
  }
  return modes;
}

/** RFC 4254 §6.2: allocate a pseudo-terminal. */
export interface PtyRequest {
  readonly type: "pty-req";
  readonly term: string;
  readonly widthChars: number;
  readonly heightRows: number;
  readonly widthPixels: number;
  readonly heightPixels: number;
  readonly modes: readonly TerminalMode[];
}
/** RFC 4254 §6.3.1: X11 forwarding. `authCookie` is the hex text OpenSSH sends. */
export interface X11Request {
  readonly type: "x11-req";
  readonly singleConnection: boolean;
  readonly authProtocol: string;
  readonly authCookie: string;
  readonly screen: number;
}
/** RFC 4254 §6.4: an environment variable. */
export interface EnvRequest {
  readonly type: "env";
  readonly name: string;
  readonly value: string;
}
/** RFC 4254 §6.5: the user's shell. */
export interface ShellRequest {
  readonly type: "shell";
}
/** RFC 4254 §6.5: one command. */
export interface ExecRequest {
  readonly type: "exec";
  readonly command: string;
}
/** RFC 4254 §6.5: a subsystem such as sftp. */
export interface SubsystemRequest {
  readonly type: "subsystem";
  readonly name: string;
}
/** RFC 4254 §6.7: the terminal's size changed. */
export interface WindowChangeRequest {
  readonly type: "window-change";
  readonly widthChars: number;
  readonly heightRows: number;
  readonly widthPixels: number;
  readonly heightPixels: number;
}
/** RFC 4254 §6.8: the client can do ^S/^Q flow control locally. */
export interface XonXoffRequest {
  readonly type: "xon-xoff";
  readonly clientCanDo: boolean;
}
/** RFC 4254 §6.9: deliver a signal (name without "SIG": "INT", "TERM", ..., OpenSSH's "INFO@openssh.com"). */
export interface SignalRequest {
  readonly type: "signal";
  readonly signal: string;
}
/** RFC 4254 §6.10: the command exited with this status. */
export interface ExitStatusRequest {
  readonly type: "exit-status";
  readonly exitStatus: number;
}
/** RFC 4254 §6.10: the command was killed by a signal. */
export interface ExitSignalRequest {
  readonly type: "exit-signal";
  readonly signal: string;
  readonly coreDumped: boolean;
  readonly errorMessage: string;
  readonly language: string;
}
/** OpenSSH PROTOCOL §2.1: the sender will read no more data on this channel (sent without want-reply). */
export interface EowRequest {
  readonly type: "eow@openssh.com";
}
/** OpenSSH PROTOCOL.agent: forward the agent for this session. */
export interface AuthAgentRequest {
  readonly type: "auth-agent-req@openssh.com";
}
/** RFC 4335: send a BREAK of this length. */
export interface BreakRequest {
  readonly type: "break";
  readonly breakLengthMs: number;
}
/** OpenSSH's ClientAliveInterval probe on a channel: any reply will do. */
export interface ChannelKeepaliveRequest {
  readonly type: "keepalive@openssh.com";
}
/** Every channel request this layer knows, decoded. */
export type ChannelRequest =
  | PtyRequest | X11Request | EnvRequest | ShellRequest | ExecRequest | SubsystemRequest | WindowChangeRequest
  | XonXoffRequest | SignalRequest | ExitStatusRequest | ExitSignalRequest | EowRequest | AuthAgentRequest | BreakRequest
  | ChannelKeepaliveRequest;

/** RFC 4254 §5.4 SSH_MSG_CHANNEL_REQUEST. `request` is null for a name we do not know (`name` says which). */
export interface ChannelRequestMessage {
  readonly recipientChannel: number;
  readonly name: string;
  readonly wantReply: boolean;
  readonly request: ChannelRequest | null;
}

/** Writes the type-specific part of a channel request. */
export function writeChannelRequestBody(w: Writer, req: ChannelRequest): void {
  switch (req.type) {
    case "pty-req":
      w.string(req.term).u32(req.widthChars).u32(req.heightRows).u32(req.widthPixels).u32(req.heightPixels)
        .string(encodeTerminalModes(req.modes));
      return;
    case "x11-req":
      w.bool(req.singleConnection).string(req.authProtocol).string(req.authCookie).u32(req.screen);
      return;
    case "env": w.string(req.name).string(req.value); return;
    case "exec": w.string(req.command); return;
    case "subsystem": w.string(req.name); return;
    case "window-change": w.u32(req.widthChars).u32(req.heightRows).u32(req.widthPixels).u32(req.heightPixels); return;
    case "xon-xoff": w.bool(req.clientCanDo); return;
    case "signal": w.string(req.signal); return;
    case "exit-status": w.u32(req.exitStatus); return;
    case "exit-signal": w.string(req.signal).bool(req.coreDumped).string(req.errorMessage).string(req.language); return;
    case "break": w.u32(req.breakLengthMs); return;
    case "shell": case "eow@openssh.com": case "auth-agent-req@openssh.com": case "keepalive@openssh.com": return;
  }
}

/** Reads the type-specific part of a channel request, strictly; null (body unread) for an unknown name. */
export function readChannelRequestBody(name: string, r: Reader): ChannelRequest | null {
  let req: ChannelRequest;
  switch (name) {
    case "pty-req":
      req = {
        type: name, term: r.string(), widthChars: r.u32(), heightRows: r.u32(), widthPixels: r.u32(), heightPixels: r.u32(),
        modes: decodeTerminalModes(r.stringView()),
      };
      break;
    case "x11-req":
      req = { type: name, singleConnection: r.bool(), authProtocol: r.string(), authCookie: r.string(), screen: r.u32() };
      break;
    case "env": req = { type: name, name: r.string(), value: r.string() }; break;
    case "exec": req = { type: name, command: r.string() }; break;
    case "subsystem": req = { type: name, name: r.string() }; break;
    case "window-change":
      req = { type: name, widthChars: r.u32(), heightRows: r.u32(), widthPixels: r.u32(), heightPixels: r.u32() };
      break;
    case "xon-xoff": req = { type: name, clientCanDo: r.bool() }; break;
    case "signal": req = { type: name, signal: r.string() }; break;
    case "exit-status": req = { type: name, exitStatus: r.u32() }; break;
    case "exit-signal":
      req = { type: name, signal: r.string(), coreDumped: r.bool(), errorMessage: r.string(), language: r.string() };
      break;
    case "break": req = { type: name, breakLengthMs: r.u32() }; break;
    case "shell": case "eow@openssh.com": case "auth-agent-req@openssh.com": case "keepalive@openssh.com":
      req = { type: name };
      break;
    default:
      return null;
  }
  r.expectEnd(`channel request ${name}`);
  return req;
}

/** Encodes SSH_MSG_CHANNEL_REQUEST (RFC 4254 §5.4) as a fresh payload (tests and cold paths; channels write in place). */
export function encodeChannelRequest(recipientChannel: number, req: ChannelRequest, wantReply: boolean): Uint8Array {
  const w = new Writer(null, 64).u8(SSH_MSG_CHANNEL_REQUEST).u32(recipientChannel).string(req.type).bool(wantReply);
  writeChannelRequestBody(w, req);
  return w.toBytes();
}

/** Decodes SSH_MSG_CHANNEL_REQUEST from a whole payload; strings are copied out. */
export function decodeChannelRequest(payload: Uint8Array): ChannelRequestMessage {
  const r = new Reader(payload);
  if (r.u8() !== SSH_MSG_CHANNEL_REQUEST) throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "not a channel request");
  const recipientChannel = r.u32();
  const name = r.string();
  const wantReply = r.bool();
  return { recipientChannel, name, wantReply, request: readChannelRequestBody(name, r) };
}

/** RFC 4254 §6.10 signal names OpenSSH's sshd delivers (session.c name2sig), plus the rest of §6.10's list. */
export const SIGNAL_NAMES: readonly string[] = [
  "ABRT", "ALRM", "FPE", "HUP", "ILL", "INT", "KILL", "PIPE", "QUIT", "SEGV", "TERM", "USR1", "USR2", "INFO@openssh.com",
];
