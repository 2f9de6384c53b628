// Public keys: wire blobs (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4, PROTOCOL.u2f, PROTOCOL.certkeys), the one-line
// `type base64 comment` text of .pub files and authorized_keys, node:crypto KeyObjects, and RFC 4716 "SSH2 PUBLIC KEY" files.
import type { KeyObject } from "node:crypto";
import { blobFromPublicKeyObject, parsePublicKeyBlob, publicKeyObjectFromBlob } from "../crypto/signatures.ts";
import { KeyReader } from "./blob.ts";
import { KeyFormatError } from "./errors.ts";
import { blobType, certTypeName, keyTypeRow, type KeyTypeRow } from "./key-types.ts";

export { KEY_TYPES, blobType, certTypeName, formatPublicKeyLine, keyTypeRow, type KeyTypeRow } from "./key-types.ts";

const CURVE_BITS: Readonly<Record<string, number>> = { nistp256: 256, nistp384: 384, nistp521: 521 };

/** Bit length of a big-endian magnitude. */
export function magnitudeBits(m: Uint8Array): number {
  let i = 0;
  while (i < m.length && m[i] === 0) i++;
  return i === m.length ? 0 : (m.length - i - 1) * 8 + (32 - Math.clz32(m[i]!));
}

/**
 * Reads the type-specific public fields of a plain key of type `plain` from `r` (as they follow the type name in a
 * blob, or the nonce in a certificate) and returns the key size in bits (sshkey_size()). Throws KeyFormatError.
 */
export function readPublicFields(plain: string, r: KeyReader): number {
  switch (plain) {
    case "ssh-ed25519": {
      if (r.string().length !== 32) throw new KeyFormatError("invalid-format", "ed25519 key is not 32 bytes");
      return 256;
    }
    case "ssh-rsa": {
      r.mpint();
      return magnitudeBits(r.mpint());
    }
    case "ecdsa-sha2-nistp256":
    case "ecdsa-sha2-nistp384":
    case "ecdsa-sha2-nistp521":
    case "sk-ecdsa-sha2-nistp256@openssh.com": {
      const curve = r.text();
      const bits = CURVE_BITS[curve];
      const expected = plain.startsWith("sk-") ? "nistp256" : plain.slice("ecdsa-sha2-".length);
      if (bits === undefined || curve !== expected) throw new KeyFormatError("invalid-format", "curve does not match key type");
      const q = r.string();
      if (q.length !== 1 + 2 * Math.ceil(bits / 8) || q[0] !== 4) throw new KeyFormatError("invalid-format", "EC point is not uncompressed");
      if (plain.startsWith("sk-")) r.text(); // application
      return bits;
    }
    case "sk-ssh-ed25519@openssh.com": {
      if (r.string().length !== 32) throw new KeyFormatError("invalid-format", "ed25519 key is not 32 bytes");
      r.text(); // application
      return 256;
    }
    case "ssh-mldsa44-ed25519@openssh.com": {
      if (r.string().length !== 1312 + 32) throw new KeyFormatError("invalid-format", "mldsa44-ed25519 key has the wrong size");
      return 256;
    }
    default:
      throw new KeyFormatError("unknown-key-type", plain);
  }
}

/** What a public key blob is: its type row and size. */
export interface PublicKeyInfo {
  readonly type: string;
  readonly row: KeyTypeRow;
  /** sshkey_size(): modulus bits, curve bits, 256 for Ed25519 (for a certificate: the certified key's). */
  readonly bits: number;
}

/**
 * Checks a public key or certificate blob thoroughly enough to trust its type and size, and describes it. Certificates
 * are checked for their framing here; `parseCertificate` (certificate.ts) checks the rest. Throws KeyFormatError.
 */
export function describePublicKey(blob: Uint8Array): PublicKeyInfo {
  const r = new KeyReader(blob);
  const type = r.text();
  const row = keyTypeRow(type);
  if (row === undefined) throw new KeyFormatError("unknown-key-type", type);
  if (row.certificate) {
    r.string(); // nonce
    const bits = readPublicFields(row.plain, r);
    return { type, row, bits };
  }
  if (row.name === "ssh-rsa" || row.name.startsWith("ecdsa-") || row.name === "ssh-ed25519") {
    // The crypto core's checks: RSA 1024..16384 bits with an odd exponent, the curve matching the type, exact sizes.
    try {
      parsePublicKeyBlob(blob);
    } catch (e) {
      throw new KeyFormatError("invalid-format", (e as Error).message, { cause: e });
    }
  }
  const bits = readPublicFields(row.plain, r);
  r.end();
  return { type, row, bits };
}

/** A node:crypto public KeyObject for a plain Ed25519, ECDSA or RSA blob; throws KeyFormatError otherwise. */
export function keyObjectFromBlob(blob: Uint8Array): KeyObject {
  try {
    return publicKeyObjectFromBlob(blob);
  } catch (e) {
    throw new KeyFormatError("invalid-format", (e as Error).message, { cause: e });
  }
}

/** The SSH blob (fresh buffer) of a node:crypto Ed25519, P-256/384/521 or RSA key (a private key gives its public half). */
export function blobFromKeyObject(key: KeyObject): Uint8Array {
  try {
    return blobFromPublicKeyObject(key);
  } catch (e) {
    throw new KeyFormatError("unknown-key-type", (e as Error).message, { cause: e });
  }
}

/** One parsed `type base64 [comment]` line. */
export interface PublicKeyLine {
  readonly type: string;
  /** The decoded blob (fresh buffer). */
  readonly blob: Uint8Array;
  /** Everything after the key, trimmed; "" when none. */
  readonly comment: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Strict base64 decoding (no whitespace, correct padding); null when not base64. */
export function decodeBase64(s: string): Uint8Array | null {
  if (!BASE64.test(s) || s.length % 4 === 1) return null;
  const bytes = Uint8Array.from(Buffer.from(s, "base64"));
  // Round-trip check rejects non-canonical trailing bits and misplaced padding.
  const again = Buffer.from(bytes).toString("base64").replace(/=+$/, "");
  return again === s.replace(/=+$/, "") ? bytes : null;
}

/**
 * Parses `type base64 [comment]` (leading whitespace allowed; fields separated by spaces or tabs), as sshkey_read():
 * the type must be known and equal the blob's own type, and the blob must be well formed. Throws KeyFormatError.
 */
export function parsePublicKeyLine(line: string): PublicKeyLine {
  const m = /^[ \t]*(\S+)[ \t]+([A-Za-z0-9+/=]+)(?:[ \t]+(.*?))?[ \t\r\n]*$/.exec(line);
  if (m === null) throw new KeyFormatError("invalid-format", "not a public key line");
  const type = m[1]!;
  if (keyTypeRow(type) === undefined) throw new KeyFormatError("unknown-key-type", type);
  const blob = decodeBase64(m[2]!);
  if (blob === null) throw new KeyFormatError("invalid-format", "bad base64");
  const info = describePublicKey(blob);
  if (info.type !== type) throw new KeyFormatError("invalid-format", "key type does not match its blob");
  return { type, blob, comment: (m[3] ?? "").trim() };
}

const RFC4716_BEGIN = "---- BEGIN SSH2 PUBLIC KEY ----";
const RFC4716_END = "---- END SSH2 PUBLIC KEY ----";

/** Whether text looks like an RFC 4716 public key file. */
export function isRfc4716(text: string): boolean {
  return text.trimStart().startsWith(RFC4716_BEGIN);
}

/**
 * RFC 4716 §3 export as ssh-keygen -e: the Comment header says `"<bits>-bit <LABEL> key, converted by <user>@<host> from
 * OpenSSH"` unless `comment` is given; base64 body in lines of 70.
 */
export function formatRfc4716(blob: Uint8Array, comment: string): string {
  const b64 = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString("base64");
  const lines = [RFC4716_BEGIN, `Comment: "${comment}"`];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  lines.push(RFC4716_END);
  return lines.join("\n") + "\n";
}

/**
 * RFC 4716 §3 import: headers (continued with a trailing backslash) are skipped except Comment, whose value (quotes
 * removed) is returned; the body is base64. Throws KeyFormatError.
 */
export function parseRfc4716(text: string): { blob: Uint8Array; comment: string } {
  const lines = text.split(/\r\n|\r|\n/); // CR-only files too (OpenSSH regress t1)
  let i = lines.findIndex((l) => l.trim() === RFC4716_BEGIN);
  if (i < 0) throw new KeyFormatError("invalid-format", "no RFC 4716 begin line");
  i++;
  let comment = "";
  let body = "";
  let inHeader = true;
  let continued = false;
  for (; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === RFC4716_END) {
      const blob = decodeBase64(body);
      if (blob === null) throw new KeyFormatError("invalid-format", "bad base64");
      describePublicKey(blob);
      return { blob, comment };
    }
    if (continued) {
      continued = l.endsWith("\\");
      continue;
    }
    if (inHeader && /^[\x21-\x39\x3b-\x7e]{1,64}:/.test(l)) {
      const name = l.slice(0, l.indexOf(":"));
      let value = l.slice(name.length + 1).trim();
      continued = value.endsWith("\\");
      if (name.toLowerCase() === "comment") {
        if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
        comment = value;
      }
      continue;
    }
    inHeader = false;
    body += l;
  }
  throw new KeyFormatError("invalid-format", "no RFC 4716 end line");
}
