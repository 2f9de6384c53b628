// Private keys: OpenSSH's "openssh-key-v1" container (PROTOCOL.key; sshkey.c sshkey_private_to_blob2 and
// sshkey_parse_private2), unencrypted or encrypted with bcrypt_pbkdf + AES (CTR, CBC, GCM), and the PEM formats OpenSSH
// reads and writes through libcrypto (PKCS#1, SEC1, PKCS#8, legacy DEK-Info encryption), here through node:crypto.
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  generateKeyPairSync,
  createPublicKey as createPublicKeyFromPrivate,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from "node:crypto";
import { ChaCha20 } from "../crypto/chacha20.ts";
import { poly1305 } from "../crypto/poly1305.ts";
import { readFileSync } from "node:fs";
import { bytesFromBigint, bigintFromBytes } from "../crypto/ssh-encoding.ts";
import { signatureSpec } from "../crypto/signatures.ts";
import { Writer } from "../wire/writer.ts";
import { bcryptPbkdf } from "./bcrypt-pbkdf.ts";
import { concat, KeyReader } from "./blob.ts";
import { KeyFormatError } from "./errors.ts";
import { armorPrivateKey, AUTH_MAGIC, EC_CURVES as CURVES, formatPlainPrivateKey, keyFieldsFromJwk, MARK_BEGIN, MARK_END, privateSection } from "./openssh-key-v1.ts";
import { blobFromKeyObject, describePublicKey, keyTypeRow } from "./public-key.ts";

/** How a private key file is laid out. */
export type PrivateKeyFormat = "openssh" | "pem" | "pkcs8";

/** A private key ready for use: what sshd and ssh need (host keys, identities) and what ssh-keygen rewrites. */
export interface PrivateKey {
  /** Plain key type name (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, `sk-ssh-ed25519@openssh.com`, ...). */
  readonly type: string;
  readonly comment: string;
  /** The public key blob (fresh buffer owned by this object). */
  readonly publicKeyBlob: Uint8Array;
  /** node:crypto private key; null for FIDO (sk) keys, which need an authenticator to sign, and for ML-DSA-44+Ed25519 keys (no signing here yet). */
  readonly keyObject: KeyObject | null;
  /** Signature algorithms this key can make, preferred first (RSA: rsa-sha2-512, rsa-sha2-256, ssh-rsa). */
  readonly signatureAlgorithms: readonly string[];
  /** The type-specific private fields as openssh-key-v1 stores them after the type name (secret; owned by this object). */
  readonly privateFields: Uint8Array;
}

/** A private key as read from a file, with how it was stored (ssh-keygen -p/-c keep the format). */
export interface LoadedPrivateKey extends PrivateKey {
  readonly format: PrivateKeyFormat;
  readonly encrypted: boolean;
  /** openssh-key-v1 only: the cipher and bcrypt rounds it was written with. */
  readonly cipher: string;
  readonly rounds: number;
}

/** One openssh-key-v1 cipher (cipher.c rows that key files use). */
export interface KeyCipher {
  readonly name: string;
  readonly keyBytes: number;
  readonly ivBytes: number;
  readonly blockBytes: number;
  readonly tagBytes: number;
  readonly node: string;
}
/** Ciphers for openssh-key-v1 files; `-Z` picks among them. */
export const KEY_FILE_CIPHERS: readonly KeyCipher[] = [
  { name: "aes128-ctr", keyBytes: 16, ivBytes: 16, blockBytes: 16, tagBytes: 0, node: "aes-128-ctr" },
  { name: "aes192-ctr", keyBytes: 24, ivBytes: 16, blockBytes: 16, tagBytes: 0, node: "aes-192-ctr" },
  { name: "aes256-ctr", keyBytes: 32, ivBytes: 16, blockBytes: 16, tagBytes: 0, node: "aes-256-ctr" },
  { name: "aes128-cbc", keyBytes: 16, ivBytes: 16, blockBytes: 16, tagBytes: 0, node: "aes-128-cbc" },
  { name: "aes192-cbc", keyBytes: 24, ivBytes: 16, blockBytes: 16, tagBytes: 0, node: "aes-192-cbc" },
  { name: "aes256-cbc", keyBytes: 32, ivBytes: 16, blockBytes: 16, tagBytes: 0, node: "aes-256-cbc" },
  { name: "aes128-gcm@openssh.com", keyBytes: 16, ivBytes: 12, blockBytes: 16, tagBytes: 16, node: "aes-128-gcm" },
  { name: "aes256-gcm@openssh.com", keyBytes: 32, ivBytes: 12, blockBytes: 16, tagBytes: 16, node: "aes-256-gcm" },
  { name: "chacha20-poly1305@openssh.com", keyBytes: 64, ivBytes: 0, blockBytes: 8, tagBytes: 16, node: "" },
];

/** sshkey.c DEFAULT_CIPHERNAME and DEFAULT_ROUNDS (OpenSSH 10.5), SALT_LEN. */
export const DEFAULT_KEY_CIPHER = "aes256-ctr";
export const DEFAULT_KDF_ROUNDS = 24;
const SALT_BYTES = 16;


const utf8 = new TextEncoder();
const toBytes = (p: Uint8Array | string | undefined): Uint8Array => (p === undefined ? new Uint8Array(0) : typeof p === "string" ? utf8.encode(p) : p);
const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64url");
const fromB64u = (s: string | undefined): Uint8Array => Uint8Array.from(Buffer.from(s ?? "", "base64url"));

const ED25519_PKCS8_PREFIX = Uint8Array.from(Buffer.from("302e020100300506032b657004220420", "hex"));

const MLDSA44_ED25519 = "ssh-mldsa44-ed25519@openssh.com";
const MLDSA44_PK_BYTES = 1312;
// RFC 9881 / FIPS 204 PKCS#8 for ML-DSA-44 holding only the 32-byte seed (id-ml-dsa-44, seed [0] OCTET STRING).
const MLDSA44_SEED_PKCS8_PREFIX = Uint8Array.from(Buffer.from("3034020100300b060960864801650304031104228020", "hex"));

/**
 * The composite public key of an ssh-mldsa44-ed25519@openssh.com private key (ssh-mldsa-eddsa.c): ML-DSA-44 public key
 * from the first 32-byte seed ‖ Ed25519 public key from the second (fresh buffer).
 */
function mldsaEd25519PublicKey(sk: Uint8Array): Uint8Array {
  const ml = createPrivateKey({ key: Buffer.from(concat(MLDSA44_SEED_PKCS8_PREFIX, sk.subarray(0, 32))), format: "der", type: "pkcs8" });
  const mlPub = fromB64u((createPublicKeyFromPrivate(ml).export({ format: "jwk" }) as { pub?: string }).pub);
  const ed = createPrivateKey({ key: Buffer.from(concat(ED25519_PKCS8_PREFIX, sk.subarray(32, 64))), format: "der", type: "pkcs8" });
  const edPub = fromB64u(ed.export({ format: "jwk" }).x);
  if (mlPub.length !== MLDSA44_PK_BYTES || edPub.length !== 32) throw new KeyFormatError("libcrypto", "ML-DSA-44 key derivation");
  return concat(mlPub, edPub);
}

/** Signature algorithms for a plain key type, preferred first. */
export function signatureAlgorithmsFor(type: string): readonly string[] {
  if (type === "ssh-rsa") return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  if (type.startsWith("sk-")) return [type];
  return signatureSpec(type) ? [type] : [];
}

/** Reads the private fields of a `type` key from `r`; returns its KeyObject (null for sk keys) and public blob. */
function readPrivateFields(type: string, r: KeyReader): { keyObject: KeyObject | null; publicKeyBlob: Uint8Array } {
  const w = new Writer();
  w.string(type);
  try {
    switch (type) {
      case "ssh-ed25519": {
        const pk = r.string();
        const sk = r.string();
        if (pk.length !== 32 || sk.length !== 64) throw new KeyFormatError("invalid-format", "ed25519 key sizes");
        const keyObject = createPrivateKey({ key: Buffer.from(concat(ED25519_PKCS8_PREFIX, sk.subarray(0, 32))), format: "der", type: "pkcs8" });
        const blob = w.string(pk).toBytes();
        if (Buffer.compare(blobFromKeyObject(keyObject), blob) !== 0 || Buffer.compare(sk.subarray(32), pk) !== 0) {
          throw new KeyFormatError("invalid-format", "ed25519 public and private halves differ");
        }
        return { keyObject, publicKeyBlob: blob };
      }
      case "ssh-rsa": {
        const n = r.mpint();
        const e = r.mpint();
        const d = r.mpint();
        const iqmp = r.mpint();
        const p = r.mpint();
        const q = r.mpint();
        const D = bigintFromBytes(d);
        const P = bigintFromBytes(p);
        const Q = bigintFromBytes(q);
        if (P < 2n || Q < 2n) throw new KeyFormatError("invalid-format", "RSA primes");
        const keyObject = createPrivateKey({
          key: {
            kty: "RSA", n: b64u(n), e: b64u(e), d: b64u(d), p: b64u(p), q: b64u(q),
            dp: b64u(bytesFromBigint(D % (P - 1n))), dq: b64u(bytesFromBigint(D % (Q - 1n))), qi: b64u(iqmp),
          },
          format: "jwk",
        });
        return { keyObject, publicKeyBlob: w.mpintUnsigned(e).mpintUnsigned(n).toBytes() };
      }
      case "ecdsa-sha2-nistp256":
      case "ecdsa-sha2-nistp384":
      case "ecdsa-sha2-nistp521": {
        const curve = r.text();
        const c = CURVES[curve];
        if (c === undefined || type !== `ecdsa-sha2-${curve}`) throw new KeyFormatError("invalid-format", "curve does not match key type");
        const qp = r.string();
        const d = r.mpint();
        if (qp.length !== 1 + 2 * c.bytes || qp[0] !== 4 || d.length > c.bytes) throw new KeyFormatError("invalid-format", "EC key sizes");
        const keyObject = createPrivateKey({
          key: { kty: "EC", crv: c.jwk, x: b64u(qp.subarray(1, 1 + c.bytes)), y: b64u(qp.subarray(1 + c.bytes)), d: b64u(bytesFromBigint(bigintFromBytes(d), c.bytes)) },
          format: "jwk",
        });
        const blob = w.string(curve).string(qp).toBytes();
        if (Buffer.compare(blobFromKeyObject(keyObject), blob) !== 0) throw new KeyFormatError("invalid-format", "EC public and private halves differ");
        return { keyObject, publicKeyBlob: blob };
      }
      case "sk-ssh-ed25519@openssh.com": {
        const pk = r.string();
        const application = r.string();
        r.u8(); // flags
        r.string(); // key handle
        r.string(); // reserved
        if (pk.length !== 32) throw new KeyFormatError("invalid-format", "ed25519 key sizes");
        return { keyObject: null, publicKeyBlob: w.string(pk).string(application).toBytes() };
      }
      case "sk-ecdsa-sha2-nistp256@openssh.com": {
        const curve = r.text();
        const qp = r.string();
        const application = r.string();
        r.u8();
        r.string();
        r.string();
        if (curve !== "nistp256" || qp.length !== 65 || qp[0] !== 4) throw new KeyFormatError("invalid-format", "EC key sizes");
        return { keyObject: null, publicKeyBlob: w.string(curve).string(qp).string(application).toBytes() };
      }
      case MLDSA44_ED25519: {
        const pk = r.string();
        const sk = r.string();
        if (pk.length !== MLDSA44_PK_BYTES + 32 || sk.length !== 64) throw new KeyFormatError("invalid-format", "mldsa44-ed25519 key sizes");
        if (Buffer.compare(mldsaEd25519PublicKey(sk), pk) !== 0) throw new KeyFormatError("invalid-format", "mldsa44-ed25519 public and private halves differ");
        return { keyObject: null, publicKeyBlob: w.string(pk).toBytes() };
      }
      default:
        throw new KeyFormatError("unknown-key-type", type);
    }
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError("invalid-format", (e as Error).message, { cause: e });
  }
}

/** Wraps a node:crypto private key (Ed25519, P-256/384/521, RSA) as a PrivateKey. */
export function privateKeyFromKeyObject(keyObject: KeyObject, comment = ""): PrivateKey {
  if (keyObject.type !== "private") throw new KeyFormatError("invalid-format", "not a private key");
  const kind = keyObject.asymmetricKeyType;
  if (kind !== "ed25519" && kind !== "rsa" && kind !== "ec") throw new KeyFormatError("unknown-key-type", String(kind));
  const { type, privateFields: fields, publicKeyBlob } = keyFieldsFromJwk(keyObject.export({ format: "jwk" }));
  describePublicKey(publicKeyBlob); // RSA below 1024 bits and the like are refused here
  return { type, comment, publicKeyBlob, keyObject, signatureAlgorithms: signatureAlgorithmsFor(type), privateFields: fields };
}

/** Key types ssh-keygen can generate here (`-t`). */
export type GeneratableKeyType = "ed25519" | "ecdsa" | "rsa" | "mldsa44-ed25519";

/**
 * Generates a key (OpenSSH's rules: RSA 1024..16384 bits, default 3072, e = 65537; ECDSA 256/384/521, default 256;
 * Ed25519 fixed). Throws RangeError for a size OpenSSH refuses.
 */
export function generatePrivateKey(kind: GeneratableKeyType, bits?: number, comment = ""): PrivateKey {
  switch (kind) {
    case "ed25519":
      return privateKeyFromKeyObject(generateKeyPairSync("ed25519").privateKey, comment);
    case "ecdsa": {
      const curve = { 256: "P-256", 384: "P-384", 521: "P-521" }[bits ?? 256];
      if (curve === undefined) throw new RangeError("Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits");
      return privateKeyFromKeyObject(generateKeyPairSync("ec", { namedCurve: curve }).privateKey, comment);
    }
    case "mldsa44-ed25519": {
      // ssh-mldsa-eddsa.c keygen: two random 32-byte seeds are the whole private key.
      const sk = new Uint8Array(randomBytes(64));
      const pk = mldsaEd25519PublicKey(sk);
      const fields = new Writer().string(pk).string(sk).toBytes();
      return { type: MLDSA44_ED25519, comment, publicKeyBlob: new Writer().string(MLDSA44_ED25519).string(pk).toBytes(), keyObject: null, signatureAlgorithms: [], privateFields: fields };
    }
    case "rsa": {
      const n = bits ?? 3072;
      if (n < 1024) throw new RangeError("Invalid RSA key length: minimum is 1024 bits");
      if (n > 16384) throw new RangeError("Invalid RSA key length: maximum is 16384 bits");
      return privateKeyFromKeyObject(generateKeyPairSync("rsa", { modulusLength: n, publicExponent: 65537 }).privateKey, comment);
    }
  }
}

/** Returns a copy of `key` with another comment. */
export function withComment<K extends PrivateKey>(key: K, comment: string): K {
  return { ...key, comment };
}

/** Signs `data` with `key` using `algorithm` (default: the key's first); returns the SSH signature blob (fresh buffer). */
export function signWith(key: PrivateKey, data: Uint8Array, algorithm?: string): Uint8Array {
  const alg = algorithm ?? key.signatureAlgorithms[0];
  const spec = alg === undefined ? undefined : signatureSpec(alg);
  if (spec === undefined || key.keyObject === null || !key.signatureAlgorithms.includes(alg!)) {
    throw new KeyFormatError("unknown-key-type", `cannot sign with ${alg ?? key.type}`);
  }
  return spec.sign(key.keyObject, data);
}

/** Strips PEM-style armor and decodes the base64 body between `begin` and `end` lines. */
function dearmor(text: string, begin: string, end: string): Uint8Array {
  const s = text.indexOf(begin);
  const e = text.indexOf(end, s + begin.length);
  if (s < 0 || e < 0) throw new KeyFormatError("invalid-format", "missing armor");
  const body = text.slice(s + begin.length, e).replace(/[\r\n\t ]/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new KeyFormatError("invalid-format", "bad base64");
  return Uint8Array.from(Buffer.from(body, "base64"));
}

/** The outer, unencrypted layer of an openssh-key-v1 blob. */
interface OpensshContainer {
  readonly cipher: string;
  readonly kdf: string;
  readonly salt: Uint8Array;
  readonly rounds: number;
  readonly publicKeyBlob: Uint8Array;
  readonly sealed: Uint8Array;
  readonly tag: Uint8Array;
}

function readContainer(bin: Uint8Array): OpensshContainer {
  const r = new KeyReader(bin);
  const magic = r.raw(AUTH_MAGIC.length);
  if (Buffer.compare(magic, AUTH_MAGIC) !== 0) throw new KeyFormatError("invalid-format", "bad magic");
  const cipher = r.text();
  const kdf = r.text();
  const kdfOptions = r.string();
  const count = r.u32();
  if (count !== 1) throw new KeyFormatError("invalid-format", "only one key per file is supported");
  const publicKeyBlob = r.string();
  const sealed = r.string();
  let salt: Uint8Array = new Uint8Array(0);
  let rounds = 0;
  if (kdf === "bcrypt") {
    const k = new KeyReader(kdfOptions);
    salt = k.string();
    rounds = k.u32();
    k.end();
  } else if (kdf !== "none" || kdfOptions.length !== 0) {
    throw new KeyFormatError(kdf === "none" ? "invalid-format" : "unknown-cipher", `kdf ${kdf}`);
  }
  if ((cipher === "none") !== (kdf === "none")) throw new KeyFormatError("invalid-format", "cipher and kdf disagree");
  const c = cipher === "none" ? undefined : KEY_FILE_CIPHERS.find((x) => x.name === cipher);
  if (cipher !== "none" && c === undefined) throw new KeyFormatError("unknown-cipher", cipher);
  const tag = r.raw(c?.tagBytes ?? 0);
  r.end();
  return { cipher, kdf, salt, rounds, publicKeyBlob, sealed, tag };
}

/** Whether `bytes` (a key file) is passphrase-protected; false for anything unrecognised. */
export function privateKeyIsEncrypted(bytes: Uint8Array | string): boolean {
  const text = typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("latin1");
  if (text.includes(MARK_BEGIN)) {
    try {
      return readContainer(dearmor(text, MARK_BEGIN, MARK_END)).cipher !== "none";
    } catch {
      return false;
    }
  }
  return /Proc-Type:\s*4,ENCRYPTED/.test(text) || text.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----");
}

/**
 * The public key blob stored in the clear in an openssh-key-v1 file (sshkey_parse_pubkey_from_private_fileblob_type):
 * needs no passphrase. Null for PEM files and anything unreadable.
 */
export function publicKeyFromPrivateFile(bytes: Uint8Array | string): Uint8Array | null {
  const text = typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("latin1");
  if (!text.includes(MARK_BEGIN)) return null;
  try {
    const blob = readContainer(dearmor(text, MARK_BEGIN, MARK_END)).publicKeyBlob.slice();
    describePublicKey(blob);
    return blob;
  } catch {
    return null;
  }
}

/**
 * chacha20-poly1305@openssh.com over a whole private section (PROTOCOL.chacha20poly1305, cipher-chachapoly.c with
 * sequence number 0 and no length field): the Poly1305 key is block 0 of ChaCha20 under the first 32 key bytes, the
 * data is XORed from block 1, the tag covers the ciphertext.
 */
function chachaPoly(key: Uint8Array, data: Uint8Array, decrypt: boolean, tag?: Uint8Array): { out: Uint8Array; tag: Uint8Array } {
  const main = new ChaCha20(key.subarray(0, 32));
  try {
    const polyKey = main.block(new Uint8Array(16)).subarray(0, 32);
    if (decrypt) {
      const want = poly1305(polyKey, data);
      if (tag === undefined || tag.length !== 16 || !timingSafeEqual(want, tag)) throw new KeyFormatError("wrong-passphrase");
    }
    const out = data.slice();
    main.xor(1, 0, 0, 0, out, 0, out.length);
    return { out, tag: decrypt ? new Uint8Array(0) : poly1305(polyKey, out) };
  } finally {
    main.dispose();
  }
}

function runCipher(c: KeyCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array, decrypt: boolean, tag?: Uint8Array): { out: Uint8Array; tag: Uint8Array } {
  if (c.name === "chacha20-poly1305@openssh.com") return chachaPoly(key, data, decrypt, tag);
  if (decrypt) {
    const d = createDecipheriv(c.node, key, iv);
    if (c.tagBytes > 0) (d as unknown as { setAuthTag(t: Uint8Array): void }).setAuthTag(tag!);
    else d.setAutoPadding(false);
    try {
      const out = concat(d.update(data), d.final());
      return { out, tag: new Uint8Array(0) };
    } catch {
      throw new KeyFormatError("wrong-passphrase");
    }
  }
  const e = createCipheriv(c.node, key, iv);
  if (c.tagBytes === 0) e.setAutoPadding(false);
  const out = concat(e.update(data), e.final());
  const t = c.tagBytes > 0 ? new Uint8Array((e as unknown as { getAuthTag(): Buffer }).getAuthTag()) : new Uint8Array(0);
  return { out, tag: t };
}

function parseOpenssh(text: string, passphrase: Uint8Array): LoadedPrivateKey {
  const box = readContainer(dearmor(text, MARK_BEGIN, MARK_END));
  let plain = box.sealed;
  const c = KEY_FILE_CIPHERS.find((x) => x.name === box.cipher);
  if (c !== undefined) {
    if (box.sealed.length % c.blockBytes !== 0) throw new KeyFormatError("invalid-format", "private section not a block multiple");
    if (passphrase.length === 0) throw new KeyFormatError("wrong-passphrase"); // bcrypt_pbkdf refuses an empty one
    if (box.salt.length === 0 || box.rounds < 1 || box.rounds > 100000) throw new KeyFormatError("invalid-format", "kdf options");
    const km = bcryptPbkdf(passphrase, box.salt, box.rounds, c.keyBytes + c.ivBytes);
    plain = runCipher(c, km.subarray(0, c.keyBytes), km.subarray(c.keyBytes), box.sealed, true, box.tag).out;
  } else if (box.sealed.length % 8 !== 0) {
    throw new KeyFormatError("invalid-format", "private section not a block multiple");
  }
  const r = new KeyReader(plain);
  const check1 = r.u32();
  const check2 = r.u32();
  if (check1 !== check2) throw new KeyFormatError("wrong-passphrase");
  const type = r.text();
  const start = r.offset;
  const { keyObject, publicKeyBlob } = readPrivateFields(type, r);
  const privateFields = plain.slice(start, r.offset);
  const comment = r.text();
  // PROTOCOL.key: padding 1, 2, 3, ... up to the block size.
  for (let i = 1; r.remaining > 0; i++) if (r.u8() !== (i & 0xff)) throw new KeyFormatError("invalid-format", "bad padding");
  if (Buffer.compare(publicKeyBlob, box.publicKeyBlob) !== 0) throw new KeyFormatError("invalid-format", "public key does not match private key");
  return {
    type, comment, publicKeyBlob, keyObject, signatureAlgorithms: signatureAlgorithmsFor(type), privateFields,
    format: "openssh", encrypted: c !== undefined, cipher: box.cipher, rounds: box.rounds,
  };
}

function parsePem(text: string, passphrase: Uint8Array): LoadedPrivateKey {
  const encrypted = privateKeyIsEncrypted(text);
  if (encrypted && passphrase.length === 0) throw new KeyFormatError("wrong-passphrase");
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: text, format: "pem", passphrase: encrypted ? Buffer.from(passphrase) : undefined });
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    throw new KeyFormatError(encrypted && /DECRYPT|PASSPHRASE|BAD_DECRYPT/.test(code + (e as Error).message) ? "wrong-passphrase" : "invalid-format", (e as Error).message, { cause: e });
  }
  const format: PrivateKeyFormat = /-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text) ? "pkcs8" : "pem";
  const k = privateKeyFromKeyObject(keyObject, "");
  return { ...k, format, encrypted, cipher: "none", rounds: 0 };
}

/**
 * Reads a private key file (openssh-key-v1, PEM PKCS#1/SEC1, PKCS#8, encrypted or not) from a path or its bytes. Throws
 * KeyFormatError: kind "wrong-passphrase" when the file is encrypted and `passphrase` is missing or wrong, "invalid-format"
 * for anything else unreadable, "unknown-key-type" for types we cannot load, "unknown-cipher" likewise.
 */
export function loadPrivateKey(source: string | Uint8Array, passphrase?: string | Uint8Array): LoadedPrivateKey {
  const bytes = typeof source === "string" ? readFileSync(source) : source;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  const pass = toBytes(passphrase);
  if (text.includes(MARK_BEGIN)) return parseOpenssh(text, pass);
  if (/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text)) return parsePem(text, pass);
  throw new KeyFormatError("invalid-format", "not a private key file");
}

/** How to write a private key. */
export interface PrivateKeyWriteOptions {
  readonly format?: PrivateKeyFormat;
  /** Empty or absent: unencrypted. */
  readonly passphrase?: string | Uint8Array;
  /** openssh-key-v1 cipher (default aes256-ctr). */
  readonly cipher?: string;
  /** bcrypt_pbkdf rounds (default 24). */
  readonly rounds?: number;
  /** Random source (tests pass a seeded one): fills `n` bytes. */
  readonly random?: (n: number) => Uint8Array;
}

/**
 * The text of a private key file (sshkey_private_to_fileblob): openssh-key-v1 by default (base64 in lines of 70),
 * PEM (PKCS#1 / SEC1, AES-128-CBC DEK-Info encryption) or PKCS#8 (PBES2 AES-128-CBC) for RSA and ECDSA; Ed25519 in PEM
 * is an "invalid format" as in OpenSSH 10.5, and FIDO keys are always openssh-key-v1.
 */
export function formatPrivateKey(key: PrivateKey, options: PrivateKeyWriteOptions = {}): string {
  const format = options.format ?? "openssh";
  const pass = toBytes(options.passphrase);
  if (format !== "openssh" && key.keyObject !== null) {
    const ed = key.keyObject.asymmetricKeyType === "ed25519";
    if (format === "pem" && ed) throw new KeyFormatError("invalid-format", "Ed25519 keys cannot be written as PEM");
    const type = format === "pkcs8" ? "pkcs8" : key.keyObject.asymmetricKeyType === "rsa" ? "pkcs1" : "sec1";
    try {
      const enc = pass.length > 0 ? { cipher: "aes-128-cbc", passphrase: Buffer.from(pass) } : {};
      return String(key.keyObject.export({ type, format: "pem", ...enc } as Parameters<KeyObject["export"]>[0] & { format: "pem" }));
    } catch (e) {
      throw new KeyFormatError("libcrypto", (e as Error).message, { cause: e });
    }
  }
  const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const cipherName = pass.length > 0 ? (options.cipher ?? DEFAULT_KEY_CIPHER) : "none";
  const c = KEY_FILE_CIPHERS.find((x) => x.name === cipherName);
  if (cipherName !== "none" && c === undefined) throw new KeyFormatError("unknown-cipher", cipherName);
  if (c === undefined) return formatPlainPrivateKey(key, random);
  const rounds = options.rounds ?? DEFAULT_KDF_ROUNDS;
  const section = privateSection(new DataView(random(4).buffer).getUint32(0), key, c.blockBytes);
  if (!(rounds >= 1)) throw new RangeError("bcrypt rounds must be at least 1");
  const salt = random(SALT_BYTES);
  const kdfOptions = new Writer().string(salt).u32(rounds).toBytes();
  const km = bcryptPbkdf(pass, salt, rounds, c.keyBytes + c.ivBytes);
  const res = runCipher(c, km.subarray(0, c.keyBytes), km.subarray(c.keyBytes), section, false);
  section.fill(0);
  return armorPrivateKey(cipherName, "bcrypt", kdfOptions, key.publicKeyBlob, res.out, res.tag);
}

/** Whether `type` names a key type whose private half we can load (openssh-key-v1 or PEM). */
export function privateKeyTypeSupported(type: string): boolean {
  const row = keyTypeRow(type);
  return row !== undefined && !row.certificate;
}
