// bcrypt_pbkdf (OpenBSD, used by openssh-key-v1 for its "bcrypt" KDF, PROTOCOL.key) and the Blowfish (Schneier 1993) with
// the Eksblowfish key schedule (Provos and Mazières 1999) it rests on. Behaviour follows openbsd-compat/bcrypt_pbkdf.c:
// PBKDF2-like rounds of a bcrypt hash keyed with SHA-512 digests, output bytes spread over the key with a stride.
import { createHash } from "node:crypto";
import { PI_FRACTION_HEX } from "./blowfish-pi.ts";

/** State layout: P[0..17] at 0, then S-boxes S0..S3 at 18, 274, 530, 786 (1042 words). */
const STATE_WORDS = 18 + 4 * 256;
const S0 = 18;
const S1 = S0 + 256;
const S2 = S1 + 256;
const S3 = S2 + 256;

let initial: Int32Array | null = null;
/** Blowfish's initial state (pi's fraction), decoded once. */
function initialState(): Int32Array {
  if (initial === null) {
    initial = new Int32Array(STATE_WORDS);
    for (let i = 0; i < STATE_WORDS; i++) initial[i] = parseInt(PI_FRACTION_HEX.slice(i * 8, i * 8 + 8), 16) | 0;
  }
  return initial;
}

/**
 * The 18 words Blowfish_stream2word yields from `bytes` when read cyclically from offset 0 (big-endian groups of four;
 * a short key wraps around).
 */
function streamWords(bytes: Uint8Array, count: number): Int32Array {
  const out = new Int32Array(count);
  let j = 0;
  for (let i = 0; i < count; i++) {
    let w = 0;
    for (let k = 0; k < 4; k++) {
      w = (w << 8) | bytes[j]!;
      j = (j + 1) % bytes.length;
    }
    out[i] = w;
  }
  return out;
}

/**
 * Re-keys `s` (Blowfish_expand0state when `data` is null, Blowfish_expandstate otherwise): XORs `key` words into P, then
 * replaces P and the S-boxes with successive encryptions of a running block (XORed with `data` words first, when given).
 * `dataWords` holds the data stream words in order, cycling (length ≥ 2).
 */
function expand(s: Int32Array, keyWords: Int32Array, dataWords: Int32Array | null): void {
  for (let i = 0; i < 18; i++) s[i] = s[i]! ^ keyWords[i]!;
  let l = 0;
  let r = 0;
  let d = 0;
  const s0 = s.subarray(S0, S0 + 256), s1 = s.subarray(S1, S1 + 256), s2 = s.subarray(S2, S2 + 256), s3 = s.subarray(S3, S3 + 256);
  const dn = dataWords === null ? 0 : dataWords.length;
  for (let i = 0; i < STATE_WORDS; i += 2) {
    if (dataWords !== null) {
      l ^= dataWords[d]!;
      r ^= dataWords[d + 1 === dn ? 0 : d + 1]!;
      d = (d + 2) % dn;
    }
    // Blowfish encipher (16 rounds), inlined: this loop is bcrypt's whole cost. S-boxes through 256-word views: ~132 -> ~118 ms
    // for 16 rounds, 48 bytes (bench/keygen.ts, "bcrypt-pbkdf 16 rounds 48 bytes"; fully unrolled rounds measured slower).
    l ^= s[0]!;
    for (let k = 1; k < 17; k += 2) {
      r ^= ((((s0[l >>> 24]! + s1[(l >>> 16) & 255]!) | 0) ^ s2[(l >>> 8) & 255]!) + s3[l & 255]!) ^ s[k]!;
      l ^= ((((s0[r >>> 24]! + s1[(r >>> 16) & 255]!) | 0) ^ s2[(r >>> 8) & 255]!) + s3[r & 255]!) ^ s[k + 1]!;
    }
    const t = l;
    l = r ^ s[17]!;
    r = t;
    s[i] = l;
    s[i + 1] = r;
  }
}

/** Blowfish ECB encryption of the word pairs of `data` in place (blf_enc). */
function encipherBlocks(s: Int32Array, data: Int32Array): void {
  for (let i = 0; i < data.length; i += 2) {
    let l = data[i]!;
    let r = data[i + 1]!;
    l ^= s[0]!;
    for (let k = 1; k < 17; k += 2) {
      r ^= ((((s[S0 + (l >>> 24)]! + s[S1 + ((l >>> 16) & 255)]!) | 0) ^ s[S2 + ((l >>> 8) & 255)]!) + s[S3 + (l & 255)]!) ^ s[k]!;
      l ^= ((((s[S0 + (r >>> 24)]! + s[S1 + ((r >>> 16) & 255)]!) | 0) ^ s[S2 + ((r >>> 8) & 255)]!) + s[S3 + (r & 255)]!) ^ s[k + 1]!;
    }
    data[i] = r ^ s[17]!;
    data[i + 1] = l;
  }
}

/** Blowfish encryption of one 64-bit block (left, right words) with the key schedule of `key` (1..56 bytes); for tests. */
export function blowfishEncryptBlock(key: Uint8Array, left: number, right: number): [number, number] {
  const s = initialState().slice();
  expand(s, streamWords(key, 18), null);
  const block = Int32Array.of(left | 0, right | 0);
  encipherBlocks(s, block);
  return [block[0]! >>> 0, block[1]! >>> 0];
}

const MAGIC = streamWords(new TextEncoder().encode("OxychromaticBlowfishSwatDynamite"), 8);

/** bcrypt_hash: the Eksblowfish core of one bcrypt_pbkdf round, 32 bytes out (little-endian words). */
function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array, out: Uint8Array, state: Int32Array): void {
  state.set(initialState());
  const passWords = streamWords(sha2pass, 18);
  const saltWords = streamWords(sha2salt, 18);
  // Blowfish_expandstate(salt as data, pass as key): the data stream over a 64-byte digest is its 16 words, cycling.
  expand(state, passWords, streamWords(sha2salt, 16));
  for (let i = 0; i < 64; i++) {
    expand(state, saltWords, null);
    expand(state, passWords, null);
  }
  const cdata = MAGIC.slice();
  for (let i = 0; i < 64; i++) encipherBlocks(state, cdata);
  for (let i = 0; i < 8; i++) {
    const w = cdata[i]!;
    out[4 * i] = w & 0xff;
    out[4 * i + 1] = (w >>> 8) & 0xff;
    out[4 * i + 2] = (w >>> 16) & 0xff;
    out[4 * i + 3] = (w >>> 24) & 0xff;
  }
}

const sha512 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha512").update(data).digest());

/**
 * bcrypt_pbkdf(passphrase, salt, rounds) → `keyBytes` bytes (fresh buffer). Throws RangeError where OpenSSH's returns -1:
 * rounds < 1, empty passphrase or salt, keyBytes 0 or above 1024, salt above 1 MiB.
 */
export function bcryptPbkdf(passphrase: Uint8Array, salt: Uint8Array, rounds: number, keyBytes: number): Uint8Array {
  const HASH = 32;
  if (!(rounds >= 1) || passphrase.length === 0 || salt.length === 0 || keyBytes === 0 || keyBytes > HASH * HASH || salt.length > 1 << 20) {
    throw new RangeError("bcrypt_pbkdf: invalid parameters");
  }
  const key = new Uint8Array(keyBytes);
  const stride = Math.ceil(keyBytes / HASH);
  let amt = Math.ceil(keyBytes / stride);
  const countsalt = new Uint8Array(salt.length + 4);
  countsalt.set(salt);
  const sha2pass = sha512(passphrase);
  const out = new Uint8Array(HASH);
  const tmp = new Uint8Array(HASH);
  const state = new Int32Array(STATE_WORDS);
  let remaining = keyBytes;
  for (let count = 1; remaining > 0; count++) {
    new DataView(countsalt.buffer).setUint32(salt.length, count);
    bcryptHash(sha2pass, sha512(countsalt), tmp, state);
    out.set(tmp);
    for (let i = 1; i < rounds; i++) {
      bcryptHash(sha2pass, sha512(tmp), tmp, state);
      for (let j = 0; j < HASH; j++) out[j]! ^= tmp[j]!;
    }
    // bcrypt_pbkdf.c: "output the key material non-linearly" — byte i of this block goes to i * stride + (count - 1).
    amt = Math.min(amt, remaining);
    let i = 0;
    for (; i < amt; i++) {
      const dest = i * stride + (count - 1);
      if (dest >= keyBytes) break;
      key[dest] = out[i]!;
    }
    remaining -= i;
  }
  state.fill(0);
  out.fill(0);
  tmp.fill(0);
  return key;
}
