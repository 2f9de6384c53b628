// RFC 4253 §7.1 algorithm negotiation: the KEXINIT message and the choice of one algorithm per slot (the first
// algorithm on the client's list that the server also lists), plus the pseudo-algorithms OpenSSH adds to the first
// KEXINIT: ext-info-c/-s (RFC 8308 §2.1) and kex-strict-c/-s-v00@openssh.com (PROTOCOL §1.9, the Terrapin fix).
import { DisconnectReason, NegotiationError, ProtocolError } from "../errors.ts";
import { Reader, SSH_MSG_KEXINIT, type Writer } from "../wire/index.ts";

/** The ten name-lists of KEXINIT, in wire order, plus first_kex_packet_follows. */
export interface KexInitLists {
  readonly kex: readonly string[];
  readonly hostKey: readonly string[];
  readonly cipherC2S: readonly string[];
  readonly cipherS2C: readonly string[];
  readonly macC2S: readonly string[];
  readonly macS2C: readonly string[];
  readonly compC2S: readonly string[];
  readonly compS2C: readonly string[];
  readonly langC2S: readonly string[];
  readonly langS2C: readonly string[];
  readonly firstKexFollows: boolean;
}

export const EXT_INFO_C = "ext-info-c";
export const EXT_INFO_S = "ext-info-s";
export const KEX_STRICT_C = "kex-strict-c-v00@openssh.com";
export const KEX_STRICT_S = "kex-strict-s-v00@openssh.com";
/** Names that are not key exchange methods and never get chosen. */
const PSEUDO = new Set([EXT_INFO_C, EXT_INFO_S, KEX_STRICT_C, KEX_STRICT_S, "ext-info-in-auth@openssh.com"]);

/** Bounds on a peer's KEXINIT: OpenSSH's name-lists are far below these. */
const MAX_NAMES = 256;
const MAX_NAME_LIST_BYTES = 16384;

/** Writes SSH_MSG_KEXINIT's body (after the message number, which the caller wrote). */
export function encodeKexInit(w: Writer, cookie: Uint8Array, l: KexInitLists): void {
  w.raw(cookie);
  for (const list of [l.kex, l.hostKey, l.cipherC2S, l.cipherS2C, l.macC2S, l.macS2C, l.compC2S, l.compS2C, l.langC2S, l.langS2C]) w.nameList(list);
  w.bool(l.firstKexFollows).u32(0);
}

/** Decodes a KEXINIT payload (message number included). */
export function decodeKexInit(payload: Uint8Array): KexInitLists {
  const r = new Reader(payload);
  if (r.u8() !== SSH_MSG_KEXINIT) throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "expected KEXINIT");
  r.raw(16); // cookie
  const lists: string[][] = [];
  for (let i = 0; i < 10; i++) {
    const view = r.stringView();
    if (view.length > MAX_NAME_LIST_BYTES) throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "KEXINIT name-list too long");
    const s = Buffer.from(view).toString("latin1");
    const names = s === "" ? [] : s.split(",");
    if (names.length > MAX_NAMES) throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "KEXINIT name-list too long");
    lists.push(names);
  }
  const firstKexFollows = r.bool();
  r.u32(); // reserved
  const [kex, hostKey, cipherC2S, cipherS2C, macC2S, macS2C, compC2S, compS2C, langC2S, langS2C] = lists as [string[], string[], string[], string[], string[], string[], string[], string[], string[], string[]];
  return { kex, hostKey, cipherC2S, cipherS2C, macC2S, macS2C, compC2S, compS2C, langC2S, langS2C, firstKexFollows };
}

/** The algorithms chosen for one key exchange. */
export interface Negotiated {
  readonly kex: string;
  readonly hostKey: string;
  readonly cipherC2S: string;
  readonly cipherS2C: string;
  /** null when the direction's cipher is an AEAD (its MAC is not negotiated: PROTOCOL §1.6). */
  readonly macC2S: string | null;
  readonly macS2C: string | null;
  readonly compC2S: string;
  readonly compS2C: string;
  /** Both sides offered strict KEX in their first KEXINIT. */
  readonly strict: boolean;
  /** The peer will accept SSH_MSG_EXT_INFO from us (it listed ext-info-c / ext-info-s). */
  readonly peerWantsExtInfo: boolean;
  /** The peer's first_kex_packet_follows guess was wrong: its next KEX packet must be ignored (RFC 4253 §7). */
  readonly ignoreGuessedPacket: boolean;
}

function choose(what: NegotiationError["what"], client: readonly string[], server: readonly string[]): string {
  for (const c of client) if (!PSEUDO.has(c) && server.includes(c)) return c;
  throw new NegotiationError(what, client, server);
}

/**
 * Picks the algorithms (RFC 4253 §7.1). `isAead` tells which ciphers carry their own integrity. Throws
 * NegotiationError naming the slot, with both offers (cmd/ words it as OpenSSH: "no matching cipher found").
 */
export function negotiate(
  client: KexInitLists,
  server: KexInitLists,
  role: "client" | "server",
  firstKex: boolean,
  isAead: (cipher: string) => boolean,
): Negotiated {
  const kex = choose("key exchange method", client.kex, server.kex);
  const hostKey = choose("host key type", client.hostKey, server.hostKey);
  const cipherC2S = choose("cipher", client.cipherC2S, server.cipherC2S);
  const cipherS2C = choose("cipher", client.cipherS2C, server.cipherS2C);
  const macC2S = isAead(cipherC2S) ? null : choose("MAC", client.macC2S, server.macC2S);
  const macS2C = isAead(cipherS2C) ? null : choose("MAC", client.macS2C, server.macS2C);
  const compC2S = choose("compression method", client.compC2S, server.compC2S);
  const compS2C = choose("compression method", client.compS2C, server.compS2C);
  const peer = role === "client" ? server : client;
  const strict = firstKex && client.kex.includes(KEX_STRICT_C) && server.kex.includes(KEX_STRICT_S);
  const peerWantsExtInfo = role === "server" ? client.kex.includes(EXT_INFO_C) : server.kex.includes(EXT_INFO_S);
  // RFC 4253 §7: the guess was right only if both preferred the same kex and host key algorithm first.
  const ignoreGuessedPacket =
    peer.firstKexFollows && (client.kex.find((k) => !PSEUDO.has(k)) !== server.kex.find((k) => !PSEUDO.has(k)) || client.hostKey[0] !== server.hostKey[0]);
  return { kex, hostKey, cipherC2S, cipherS2C, macC2S, macS2C, compC2S, compS2C, strict, peerWantsExtInfo, ignoreGuessedPacket };
}
