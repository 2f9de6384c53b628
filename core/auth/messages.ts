// User-authentication messages (RFC 4252 §5–§8, RFC 4256 §3, RFC 4253 §10 service request): strict, bounded decoders
// that copy what they keep (so the lease can go back at once), and encoders into PacketConn writers.
import { DisconnectReason, ProtocolError } from "../errors.ts";
import {
  Reader,
  SSH_MSG_SERVICE_ACCEPT,
  SSH_MSG_SERVICE_REQUEST,
  SSH_MSG_USERAUTH_BANNER,
  SSH_MSG_USERAUTH_FAILURE,
  SSH_MSG_USERAUTH_INFO_REQUEST,
  SSH_MSG_USERAUTH_INFO_RESPONSE,
  SSH_MSG_USERAUTH_PASSWD_CHANGEREQ,
  SSH_MSG_USERAUTH_PK_OK,
  SSH_MSG_USERAUTH_REQUEST,
  Writer,
} from "../wire/index.ts";

/** Bounds on what a peer may send; beyond them the message is refused as a protocol error. */
export const AUTH_LIMITS = {
  /** A user name (LOGIN_NAME_MAX is 256 on Linux). */
  userBytes: 256,
  /** RFC 4251 §6: algorithm, method and service names are at most 64 characters. */
  nameBytes: 64,
  /** A name-list in USERAUTH_FAILURE. */
  nameListBytes: 1024,
  /** Public key or certificate blob. */
  keyBlobBytes: 16384,
  /** Signature blob (webauthn signatures carry JSON, still well under this). */
  signatureBytes: 8192,
  /** A password, old or new. */
  passwordBytes: 1024,
  /** Language tags (RFC 3066) and keyboard-interactive submethods. */
  languageBytes: 256,
  submethodsBytes: 1024,
  /** Keyboard-interactive: prompts or answers per round (OpenSSH auth2-chall.c allows 100 replies). */
  kbdIntPrompts: 100,
  /** One keyboard-interactive prompt or answer. */
  kbdIntPromptBytes: 4096,
  /** Name and instruction of an INFO_REQUEST, PASSWD_CHANGEREQ prompt. */
  kbdIntTextBytes: 16384,
  /** A banner (OpenSSH reads at most 1 MiB of Banner file; a packet carries at most 256 KiB). */
  bannerBytes: 262144,
} as const;

const utf8 = new TextDecoder("utf-8", { fatal: false });
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

function protocolError(message: string): ProtocolError {
  return new ProtocolError(DisconnectReason.PROTOCOL_ERROR, message);
}

/** A `string` of at most `max` bytes, as a view. */
function boundedView(r: Reader, max: number, what: string): Uint8Array {
  const v = r.stringView();
  if (v.length > max) throw protocolError(`${what} too long (${v.length} bytes)`);
  return v;
}

/** A `string` without NUL bytes (OpenSSH reads these with sshpkt_get_cstring), at most `max` bytes, copied. */
function cstringBytes(r: Reader, max: number, what: string): Uint8Array {
  const v = boundedView(r, max, what);
  if (v.includes(0)) throw protocolError(`${what} contains a NUL byte`);
  return v.slice();
}

/** Text for display: UTF-8 with invalid sequences replaced (callers escape before printing). */
function text(r: Reader, max: number, what: string): string {
  return utf8.decode(cstringBytes(r, max, what));
}

/** An algorithm, method or service name (RFC 4251 §6): 1..64 printable US-ASCII characters, no comma. */
function readName(r: Reader, what: string): string {
  const v = boundedView(r, AUTH_LIMITS.nameBytes, what);
  if (v.length === 0) throw protocolError(`${what} is empty`);
  for (const b of v) if (b <= 0x20 || b >= 0x7f || b === 0x2c) throw protocolError(`${what} is not a valid name`);
  return String.fromCharCode(...v);
}

/** A `name-list` of valid names, bounded. */
function readNameList(r: Reader, what: string): string[] {
  const v = boundedView(r, AUTH_LIMITS.nameListBytes, what);
  if (v.length === 0) return [];
  const names = String.fromCharCode(...v).split(",");
  for (const n of names) {
    if (n.length === 0 || n.length > AUTH_LIMITS.nameBytes || !/^[\x21-\x7e]+$/.test(n)) {
      throw protocolError(`${what} holds an invalid name`);
    }
  }
  return names;
}

/** A boolean: RFC 4251 §5 says any non-zero value is TRUE. */
function readBool(r: Reader): boolean {
  return r.bool();
}

function expectType(payload: Uint8Array, type: number, what: string): Reader {
  const r = new Reader(payload);
  if (r.u8() !== type) throw protocolError(`${what}: unexpected message type`);
  return r;
}

/** The key type named at the start of a public key or signature blob, or undefined when it is not a valid name. */
export function blobType(blob: Uint8Array): string | undefined {
  try {
    return readName(new Reader(blob), "blob type");
  } catch {
    return undefined;
  }
}

/** The user name as UTF-8 if valid, else with replacement characters (for logs and policy lookups). */
export function userText(user: Uint8Array): string {
  try {
    return utf8Strict.decode(user);
  } catch {
    return utf8.decode(user);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 4253 §10 service request

/** RFC 4253 §10 SSH_MSG_SERVICE_REQUEST: the service name. */
export function decodeServiceRequest(payload: Uint8Array): string {
  const r = expectType(payload, SSH_MSG_SERVICE_REQUEST, "SERVICE_REQUEST");
  const service = readName(r, "service name");
  r.expectEnd("SERVICE_REQUEST");
  return service;
}

/** SERVICE_ACCEPT; its service name may be missing (OpenSSH tolerates such "buggy servers"). */
export function decodeServiceAccept(payload: Uint8Array): string | undefined {
  const r = expectType(payload, SSH_MSG_SERVICE_ACCEPT, "SERVICE_ACCEPT");
  if (r.remaining === 0) return undefined;
  const service = readName(r, "service name");
  r.expectEnd("SERVICE_ACCEPT");
  return service;
}

/** Writes the fields of SERVICE_REQUEST or SERVICE_ACCEPT (after the message number). */
export function writeServiceName(w: Writer, service: string): void {
  w.string(service);
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 4252 §5 USERAUTH_REQUEST

/** The method-specific part of a USERAUTH_REQUEST. */
export type MethodFields =
  | { readonly kind: "none" }
  /** RFC 4252 §7, and OpenSSH's publickey-hostbound-v00@openssh.com with its trailing host key. */
  | {
      readonly kind: "publickey";
      readonly hostbound: boolean;
      readonly algorithm: string;
      readonly keyBlob: Uint8Array;
      readonly hostKey: Uint8Array | undefined;
      readonly signature: Uint8Array | undefined;
    }
  /** RFC 4252 §8. */
  | { readonly kind: "password"; readonly password: Uint8Array; readonly newPassword: Uint8Array | undefined }
  /** RFC 4256 §3.1. */
  | { readonly kind: "keyboard-interactive"; readonly language: string; readonly submethods: string }
  /** A method we do not implement: its fields are not parsed. */
  | { readonly kind: "other" };

/** RFC 4252 §5 SSH_MSG_USERAUTH_REQUEST. */
export interface UserauthRequest {
  /** The user name bytes as sent (signed data is rebuilt from these). */
  readonly user: Uint8Array;
  readonly service: string;
  /** The method name as sent (`publickey-hostbound-v00@openssh.com` stays so). */
  readonly method: string;
  readonly fields: MethodFields;
}

/** The name OpenSSH sends for a host-bound publickey request. */
export const PUBLICKEY_HOSTBOUND_METHOD = "publickey-hostbound-v00@openssh.com";

/** Decodes a USERAUTH_REQUEST; methods we implement are parsed strictly, others only up to their name. */
export function decodeUserauthRequest(payload: Uint8Array): UserauthRequest {
  const r = expectType(payload, SSH_MSG_USERAUTH_REQUEST, "USERAUTH_REQUEST");
  const user = boundedView(r, AUTH_LIMITS.userBytes, "user name");
  if (user.includes(0)) throw protocolError("user name contains a NUL byte");
  const userCopy = user.slice();
  const service = readName(r, "service name");
  const method = readName(r, "method name");
  let fields: MethodFields;
  switch (method) {
    case "none":
      fields = { kind: "none" };
      break;
    case "publickey":
    case PUBLICKEY_HOSTBOUND_METHOD: {
      const hasSignature = readBool(r);
      const algorithm = readName(r, "public key algorithm");
      const keyBlob = boundedView(r, AUTH_LIMITS.keyBlobBytes, "public key blob").slice();
      const hostbound = method === PUBLICKEY_HOSTBOUND_METHOD;
      const hostKey = hostbound ? boundedView(r, AUTH_LIMITS.keyBlobBytes, "host key blob").slice() : undefined;
      const signature = hasSignature ? boundedView(r, AUTH_LIMITS.signatureBytes, "signature").slice() : undefined;
      fields = { kind: "publickey", hostbound, algorithm, keyBlob, hostKey, signature };
      break;
    }
    case "password": {
      const change = readBool(r);
      const password = cstringBytes(r, AUTH_LIMITS.passwordBytes, "password");
      const newPassword = change ? cstringBytes(r, AUTH_LIMITS.passwordBytes, "new password") : undefined;
      fields = { kind: "password", password, newPassword };
      break;
    }
    case "keyboard-interactive": {
      const language = text(r, AUTH_LIMITS.languageBytes, "language tag");
      const submethods = text(r, AUTH_LIMITS.submethodsBytes, "submethods");
      fields = { kind: "keyboard-interactive", language, submethods };
      break;
    }
    default:
      return { user: userCopy, service, method, fields: { kind: "other" } };
  }
  r.expectEnd("USERAUTH_REQUEST");
  return { user: userCopy, service, method, fields };
}

/** Writes the common head of a USERAUTH_REQUEST (after the message number). */
export function writeUserauthHead(w: Writer, user: Uint8Array | string, service: string, method: string): void {
  w.string(user).string(service).string(method);
}

/**
 * RFC 4252 §7 signed data: string session_id ‖ byte SSH_MSG_USERAUTH_REQUEST ‖ string user ‖ string service ‖
 * string method ‖ boolean TRUE ‖ string algorithm ‖ string key blob [‖ string host key, for
 * publickey-hostbound-v00@openssh.com]. A fresh buffer the caller owns.
 */
export function publickeySignedData(
  sessionId: Uint8Array,
  user: Uint8Array | string,
  service: string,
  method: string,
  algorithm: string,
  keyBlob: Uint8Array,
  hostKey: Uint8Array | undefined,
): Uint8Array {
  const w = new Writer(null, 256 + keyBlob.length);
  w.string(sessionId).u8(SSH_MSG_USERAUTH_REQUEST);
  writeUserauthHead(w, user, service, method);
  w.bool(true).string(algorithm).string(keyBlob);
  if (hostKey !== undefined) w.string(hostKey);
  return w.toBytes();
}

// ---------------------------------------------------------------------------------------------------------------
// Server replies (decoded by the client)

/** RFC 4252 §5.1 SSH_MSG_USERAUTH_FAILURE. */
export interface UserauthFailure {
  readonly methods: readonly string[];
  readonly partialSuccess: boolean;
}

/** Decodes USERAUTH_FAILURE: every name valid, the list bounded. */
export function decodeUserauthFailure(payload: Uint8Array): UserauthFailure {
  const r = expectType(payload, SSH_MSG_USERAUTH_FAILURE, "USERAUTH_FAILURE");
  const methods = readNameList(r, "authentication methods");
  const partialSuccess = readBool(r);
  r.expectEnd("USERAUTH_FAILURE");
  return { methods, partialSuccess };
}

/** Writes the fields of USERAUTH_FAILURE (after the message number). */
export function writeUserauthFailure(w: Writer, methods: readonly string[], partialSuccess: boolean): void {
  w.nameList(methods).bool(partialSuccess);
}

/** RFC 4252 §5.4 SSH_MSG_USERAUTH_BANNER. */
export interface UserauthBanner {
  readonly message: string;
  readonly language: string;
}

/** Decodes USERAUTH_BANNER (text raw: escape before printing). */
export function decodeUserauthBanner(payload: Uint8Array): UserauthBanner {
  const r = expectType(payload, SSH_MSG_USERAUTH_BANNER, "USERAUTH_BANNER");
  const message = utf8.decode(boundedView(r, AUTH_LIMITS.bannerBytes, "banner"));
  const language = text(r, AUTH_LIMITS.languageBytes, "language tag");
  r.expectEnd("USERAUTH_BANNER");
  return { message, language };
}

/** Writes the fields of USERAUTH_BANNER (after the message number). */
export function writeUserauthBanner(w: Writer, message: string): void {
  w.string(message).string(""); // language tag: OpenSSH sends none
}

/** RFC 4252 §7 SSH_MSG_USERAUTH_PK_OK. */
export interface UserauthPkOk {
  readonly algorithm: string;
  readonly keyBlob: Uint8Array;
}

/** Decodes USERAUTH_PK_OK (message 60 after a publickey query). */
export function decodeUserauthPkOk(payload: Uint8Array): UserauthPkOk {
  const r = expectType(payload, SSH_MSG_USERAUTH_PK_OK, "USERAUTH_PK_OK");
  const algorithm = readName(r, "public key algorithm");
  const keyBlob = boundedView(r, AUTH_LIMITS.keyBlobBytes, "public key blob").slice();
  r.expectEnd("USERAUTH_PK_OK");
  return { algorithm, keyBlob };
}

/** RFC 4252 §8 SSH_MSG_USERAUTH_PASSWD_CHANGEREQ. */
export interface UserauthPasswdChangereq {
  readonly prompt: string;
  readonly language: string;
}

/** Decodes USERAUTH_PASSWD_CHANGEREQ (message 60 after a password request). */
export function decodeUserauthPasswdChangereq(payload: Uint8Array): UserauthPasswdChangereq {
  const r = expectType(payload, SSH_MSG_USERAUTH_PASSWD_CHANGEREQ, "USERAUTH_PASSWD_CHANGEREQ");
  const prompt = text(r, AUTH_LIMITS.kbdIntTextBytes, "password change prompt");
  const language = text(r, AUTH_LIMITS.languageBytes, "language tag");
  r.expectEnd("USERAUTH_PASSWD_CHANGEREQ");
  return { prompt, language };
}

/** RFC 4256 §3.2 SSH_MSG_USERAUTH_INFO_REQUEST. */
export interface UserauthInfoRequest {
  readonly name: string;
  readonly instruction: string;
  readonly language: string;
  readonly prompts: readonly { readonly prompt: string; readonly echo: boolean }[];
}

/** Decodes USERAUTH_INFO_REQUEST (message 60 during keyboard-interactive): at most 100 bounded prompts. */
export function decodeUserauthInfoRequest(payload: Uint8Array): UserauthInfoRequest {
  const r = expectType(payload, SSH_MSG_USERAUTH_INFO_REQUEST, "USERAUTH_INFO_REQUEST");
  const name = text(r, AUTH_LIMITS.kbdIntTextBytes, "keyboard-interactive name");
  const instruction = text(r, AUTH_LIMITS.kbdIntTextBytes, "keyboard-interactive instruction");
  const language = text(r, AUTH_LIMITS.languageBytes, "language tag");
  const count = r.u32();
  if (count > AUTH_LIMITS.kbdIntPrompts) throw protocolError(`too many keyboard-interactive prompts (${count})`);
  const prompts: { prompt: string; echo: boolean }[] = [];
  for (let i = 0; i < count; i++) {
    const prompt = text(r, AUTH_LIMITS.kbdIntPromptBytes, "keyboard-interactive prompt");
    prompts.push({ prompt, echo: readBool(r) });
  }
  r.expectEnd("USERAUTH_INFO_REQUEST");
  return { name, instruction, language, prompts };
}

/** Writes the fields of USERAUTH_INFO_REQUEST (after the message number). */
export function writeUserauthInfoRequest(
  w: Writer,
  name: string,
  instruction: string,
  prompts: readonly { readonly prompt: string; readonly echo: boolean }[],
): void {
  w.string(name).string(instruction).string(""); // language tag: not used (auth2-chall.c)
  w.u32(prompts.length);
  for (const p of prompts) w.string(p.prompt).bool(p.echo);
}

/** RFC 4256 §3.4 SSH_MSG_USERAUTH_INFO_RESPONSE: the answers, copied (the caller wipes them after use). */
export function decodeUserauthInfoResponse(payload: Uint8Array): Uint8Array[] {
  const r = expectType(payload, SSH_MSG_USERAUTH_INFO_RESPONSE, "USERAUTH_INFO_RESPONSE");
  const count = r.u32();
  if (count > AUTH_LIMITS.kbdIntPrompts) throw protocolError("too many replies");
  const answers: Uint8Array[] = [];
  try {
    for (let i = 0; i < count; i++) answers.push(cstringBytes(r, AUTH_LIMITS.kbdIntPromptBytes, "keyboard-interactive response"));
    r.expectEnd("USERAUTH_INFO_RESPONSE");
  } catch (e) {
    for (const a of answers) a.fill(0); // answers may be secrets: wiped even when the message is refused
    throw e;
  }
  return answers;
}
