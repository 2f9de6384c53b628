// The openssh-key-v1 container's clear layers (PROTOCOL.key; sshkey.c sshkey_private_to_blob2): a key's private fields
// and public blob from its JWK, the padded private section, the armored file; and Ed25519/ECDSA generation through
// WebCrypto. No node:crypto here (~3 ms to load): `ssh-keygen -t ed25519|ecdsa` loads this file, not the key library.
import { Writer } from "../wire/writer.ts";
import { concat } from "./blob.ts";
import { KeyFormatError } from "./errors.ts";

export const MARK_BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
export const MARK_END = "-----END OPENSSH PRIVATE KEY-----";
/** sshkey.c AUTH_MAGIC, with its NUL. */
export const AUTH_MAGIC: Uint8Array = new TextEncoder().encode("openssh-key-v1\0");

/** The NIST curves by SSH name (RFC 5656 §6.1): JWK/WebCrypto name, coordinate bytes, sshkey_size() bits. */
export const EC_CURVES: Readonly<Record<string, { readonly jwk: "P-256" | "P-384" | "P-521"; readonly bytes: number; readonly bits: number }>> = {
  nistp256: { jwk: "P-256", bytes: 32, bits: 256 },
  nistp384: { jwk: "P-384", bytes: 48, bits: 384 },
  nistp521: { jwk: "P-521", bytes: 66, bits: 521 },
};

/** The JWK members read here (node:crypto's KeyObject.export({ format: "jwk" }) and WebCrypto's exportKey("jwk")). */
export interface KeyJwk {
  readonly kty?: string;
  readonly crv?: string;
  readonly d?: string;
  readonly x?: string;
  readonly y?: string;
  readonly n?: string;
  readonly e?: string;
  readonly p?: string;
  readonly q?: string;
  readonly qi?: string;
}

/** A private key as openssh-key-v1 stores it (fresh buffers; `privateFields` is secret). */
export interface KeyFields {
  /** Plain key type name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`). */
  readonly type: string;
  readonly publicKeyBlob: Uint8Array;
  /** The type-specific private fields that follow the type name in the private section. */
  readonly privateFields: Uint8Array;
}

// Uint8Array.fromBase64/toBase64 rather than Buffer: the first Buffer use costs ~0.3 ms of the quick path.
const fromB64u = (s: string | undefined): Uint8Array => Uint8Array.fromBase64(s ?? "", { alphabet: "base64url" });

/** A big-endian magnitude as exactly `n` bytes (leading zeros added or dropped). */
function fixed(b: Uint8Array, n: number): Uint8Array {
  let i = 0;
  while (b.length - i > n && b[i] === 0) i++;
  const m = b.subarray(i);
  if (m.length === n) return m;
  const out = new Uint8Array(n);
  out.set(m, n - m.length);
  return out;
}

/**
 * The openssh-key-v1 fields of a private Ed25519 (OKP), P-256/384/521 (EC) or RSA JWK: sshkey_private_serialize's
 * order (ed25519: pk, seed‖pk; ecdsa: curve, Q, d as mpint; rsa: n, e, d, iqmp, p, q) and the public blob.
 */
export function keyFieldsFromJwk(jwk: KeyJwk): KeyFields {
  const w = new Writer();
  const pub = new Writer();
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    const pk = fromB64u(jwk.x);
    const seed = fromB64u(jwk.d);
    if (pk.length !== 32 || seed.length !== 32) throw new KeyFormatError("invalid-format", "ed25519 key sizes");
    w.string(pk).string(concat(seed, pk));
    return { type: "ssh-ed25519", publicKeyBlob: pub.string("ssh-ed25519").string(pk).toBytes(), privateFields: w.toBytes() };
  }
  if (jwk.kty === "EC") {
    const entry = Object.entries(EC_CURVES).find(([, c]) => c.jwk === jwk.crv);
    if (entry === undefined) throw new KeyFormatError("unknown-key-type", `EC curve ${String(jwk.crv)}`);
    const [curve, c] = entry;
    const q = concat(Uint8Array.of(4), fixed(fromB64u(jwk.x), c.bytes), fixed(fromB64u(jwk.y), c.bytes));
    const type = `ecdsa-sha2-${curve}`;
    w.string(curve).string(q).mpintUnsigned(fromB64u(jwk.d));
    return { type, publicKeyBlob: pub.string(type).string(curve).string(q).toBytes(), privateFields: w.toBytes() };
  }
  if (jwk.kty === "RSA") {
    const n = fromB64u(jwk.n);
    const e = fromB64u(jwk.e);
    w.mpintUnsigned(n).mpintUnsigned(e).mpintUnsigned(fromB64u(jwk.d));
    w.mpintUnsigned(fromB64u(jwk.qi)).mpintUnsigned(fromB64u(jwk.p)).mpintUnsigned(fromB64u(jwk.q));
    return { type: "ssh-rsa", publicKeyBlob: pub.string("ssh-rsa").mpintUnsigned(e).mpintUnsigned(n).toBytes(), privateFields: w.toBytes() };
  }
  throw new KeyFormatError("unknown-key-type", `${String(jwk.kty)} ${String(jwk.crv ?? "")}`.trim());
}

/**
 * The private section before encryption (fresh buffer, secret): checkint twice, type, private fields, comment, then
 * 1, 2, 3, ... up to a multiple of the cipher's block size (8 for "none").
 */
export function privateSection(check: number, key: { readonly type: string; readonly privateFields: Uint8Array; readonly comment: string }, blockBytes: number): Uint8Array {
  const inner = new Writer();
  inner.u32(check).u32(check).string(key.type).raw(key.privateFields).string(key.comment);
  for (let i = 1; inner.written().length % blockBytes !== 0; i++) inner.u8(i & 0xff);
  return inner.toBytes();
}

/** The file text: the outer container (one key) in base64 lines of 70 between the armor lines. */
export function armorPrivateKey(cipherName: string, kdfName: string, kdfOptions: Uint8Array, publicKeyBlob: Uint8Array, sealed: Uint8Array, tag: Uint8Array): string {
  const outer = new Writer();
  outer.raw(AUTH_MAGIC).string(cipherName).string(kdfName).string(kdfOptions);
  outer.u32(1).string(publicKeyBlob).string(sealed).raw(tag);
  const b64 = outer.written().toBase64();
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  return `${MARK_BEGIN}\n${lines.join("\n")}\n${MARK_END}\n`;
}

/** An unencrypted openssh-key-v1 file (cipher and kdf "none"); `random(4)` gives the check bytes. */
export function formatPlainPrivateKey(
  key: KeyFields & { readonly comment: string },
  random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): string {
  const check = new DataView(random(4).buffer).getUint32(0);
  const section = privateSection(check, key, 8);
  const text = armorPrivateKey("none", "none", new Uint8Array(0), key.publicKeyBlob, section, new Uint8Array(0));
  section.fill(0);
  return text;
}

/**
 * A new Ed25519 or ECDSA (256, 384, 521 bits) key from WebCrypto (BoringSSL underneath, as node:crypto). Throws
 * RangeError for another ECDSA size.
 */
export async function generateKeyFields(kind: "ed25519" | "ecdsa", bits = 256): Promise<KeyFields> {
  let algorithm: { name: "Ed25519" } | { name: "ECDSA"; namedCurve: string };
  if (kind === "ed25519") algorithm = { name: "Ed25519" };
  else {
    const curve = Object.values(EC_CURVES).find((c) => c.bits === bits);
    if (curve === undefined) throw new RangeError("Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits");
    algorithm = { name: "ECDSA", namedCurve: curve.jwk };
  }
  const pair = (await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  return keyFieldsFromJwk((await crypto.subtle.exportKey("jwk", pair.privateKey)) as KeyJwk);
}
