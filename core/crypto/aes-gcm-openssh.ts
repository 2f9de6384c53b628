// aes128-gcm@openssh.com and aes256-gcm@openssh.com: RFC 5647 as OpenSSH uses it (PROTOCOL §1.6, draft-miller-sshm-aes-gcm):
// 12-byte nonce = 4-byte fixed field ‖ 8-byte invocation counter, packet_length in clear as the AAD, 16-byte tag.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { alignmentHead, updateInto } from "./aes-ctr.ts";
import type { PacketCipher } from "./types.ts";

const GCM_ALGORITHMS: Readonly<Record<number, "aes-128-gcm" | "aes-256-gcm">> = { 16: "aes-128-gcm", 32: "aes-256-gcm" };
const TAG_BYTES = 16;

/** An AES-GCM key for `aesGcmSeal`/`aesGcmOpen`: the node:crypto key object and the algorithm name it goes with. */
export interface AesGcmKey {
  readonly algorithm: "aes-128-gcm" | "aes-256-gcm";
  readonly key: KeyObject;
}

/** Wraps a 16- or 32-byte AES key; the bytes are copied into a node:crypto KeyObject, `key` is not retained. */
export function aesGcmKey(key: Uint8Array): AesGcmKey {
  const algorithm = GCM_ALGORITHMS[key.length];
  if (algorithm === undefined) throw new RangeError(`AES-GCM key must be 16 or 32 bytes, got ${key.length}`);
  // A KeyObject skips re-importing raw key bytes for every per-packet Cipheriv.
  return { algorithm, key: createSecretKey(key) };
}

/**
 * AES-GCM encryption (NIST SP 800-38D) of `buf[off, off + len)` in place under the 12-byte `iv` and `aad`; writes the 16-byte
 * tag to `tagOut[tagOff, tagOff + 16)`. The primitive behind the packet cipher, exported so tests can drive it with any IV and AAD.
 */
export function aesGcmSeal(
  k: AesGcmKey,
  iv: Uint8Array,
  aad: Uint8Array,
  buf: Uint8Array,
  off: number,
  len: number,
  tagOut: Uint8Array,
  tagOff: number,
): void {
  // bun-platform.md §9: a GCM Cipheriv cannot be reused after final(), so each packet needs its own.
  // No options object: the default 16-byte tag is ours, and passing { authTagLength } cost ~0.1 µs per packet
  // (bench/crypto-aes-mac.ts, aes128-gcm 64 B).
  const cipher = createCipheriv(k.algorithm, k.key, iv);
  cipher.setAAD(aad);
  if (len > 0) updateInto(cipher, buf, off, len);
  cipher.final();
  tagOut.set(cipher.getAuthTag(), tagOff);
}

/**
 * AES-GCM decryption of `buf[off, off + len)` in place, checking the tag at `tag[tagOff, tagOff + 16)`. Returns false for a bad
 * tag and then leaves `buf` untouched: the plaintext exists only in node:crypto's output buffer until the tag has verified.
 */
export function aesGcmOpen(
  k: AesGcmKey,
  iv: Uint8Array,
  aad: Uint8Array,
  buf: Uint8Array,
  off: number,
  len: number,
  tag: Uint8Array,
  tagOff: number,
): boolean {
  if (tagOff < 0 || tagOff + TAG_BYTES > tag.length) return false;
  // The tag handed over is always exactly 16 bytes, so the decipher needs no authTagLength option either.
  const decipher = createDecipheriv(k.algorithm, k.key, iv);
  decipher.setAuthTag(tag.subarray(tagOff, tagOff + TAG_BYTES));
  decipher.setAAD(aad);
  // The plaintext stays in node:crypto's buffers until final() has checked the tag (split as in updateInto, for the copy).
  const head = alignmentHead(buf, off, len);
  const first = head > 0 ? decipher.update(buf.subarray(off, off + head)) : null;
  const rest = len > head ? decipher.update(buf.subarray(off + head, off + len)) : null;
  try {
    decipher.final(); // throws "Unsupported state or unable to authenticate data" for a bad tag
  } catch {
    first?.fill(0);
    rest?.fill(0);
    return false;
  }
  if ((first?.length ?? 0) !== head || (rest?.length ?? 0) !== len - head) throw new Error("AES-GCM update returned an unexpected length");
  if (first !== null) for (let i = 0; i < head; i++) buf[off + i] = first[i]!;
  if (rest !== null) buf.set(rest, off + head);
  return true;
}

/**
 * The packet cipher for one direction of aes128-gcm@openssh.com / aes256-gcm@openssh.com. The sequence number plays no part:
 * RFC 5647 §7.1 derives the nonce from the invocation counter, which advances after every sealed or successfully opened packet
 * and wraps modulo 2^64. A packet that fails to open does not advance it (the transport disconnects anyway).
 */
export class AesGcmOpenSsh implements PacketCipher {
  readonly blockBytes: number = 16;
  readonly tagBytes: number = TAG_BYTES;
  readonly lengthBytes: number = 4;
  readonly lengthIsAad: boolean = true;
  #key: AesGcmKey | null;
  /** RFC 5647 §7.1: fixed field (4 bytes) ‖ invocation counter (8 bytes, big-endian), updated in place per packet. */
  readonly #iv = new Uint8Array(12);
  /** The 4 packet_length bytes, copied here so setAAD needs no per-packet view. */
  readonly #aad = new Uint8Array(4);

  /** `key` is 16 or 32 bytes, `iv` the 12-byte initial nonce from the key exchange; neither is retained. */
  constructor(key: Uint8Array, iv: Uint8Array) {
    if (iv.length !== 12) throw new RangeError(`AES-GCM IV must be 12 bytes, got ${iv.length}`);
    this.#key = aesGcmKey(key);
    this.#iv.set(iv);
  }

  /** Builds the cipher for one direction (the registry's `createAead`); GCM is the same both ways. */
  static create(key: Uint8Array, iv: Uint8Array, _direction: "seal" | "open"): PacketCipher {
    return new AesGcmOpenSsh(key, iv);
  }

  /** The current 12-byte nonce (a copy), for tests of the invocation counter. */
  currentIv(): Uint8Array {
    return this.#iv.slice();
  }

  seal(_seq: number, buf: Uint8Array, off: number, len: number): void {
    const k = this.#usable();
    this.#copyAad(buf, off);
    aesGcmSeal(k, this.#iv, this.#aad, buf, off + 4, len, buf, off + 4 + len);
    this.#advance();
  }

  openLength(_seq: number, buf: Uint8Array, off: number): number {
    return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
  }

  open(_seq: number, buf: Uint8Array, off: number, len: number): boolean {
    const k = this.#usable();
    // PROTOCOL §1.6 / RFC 5647 §7.2: the encrypted part must be whole blocks.
    if (len % 16 !== 0) return false;
    this.#copyAad(buf, off);
    if (!aesGcmOpen(k, this.#iv, this.#aad, buf, off + 4, len, buf, off + 4 + len)) return false;
    this.#advance();
    return true;
  }

  dispose(): void {
    // The KeyObject cannot be wiped from JS; dropping it is the best node:crypto allows.
    this.#key = null;
    this.#iv.fill(0);
    this.#aad.fill(0);
  }

  #usable(): AesGcmKey {
    if (this.#key === null) throw new Error("AES-GCM cipher used after dispose");
    return this.#key;
  }

  #copyAad(buf: Uint8Array, off: number): void {
    const aad = this.#aad;
    aad[0] = buf[off]!;
    aad[1] = buf[off + 1]!;
    aad[2] = buf[off + 2]!;
    aad[3] = buf[off + 3]!;
  }

  /** RFC 5647 §7.1: increment the 64-bit invocation counter (bytes 4..11, big-endian), wrapping to zero. */
  #advance(): void {
    const iv = this.#iv;
    for (let i = 11; i >= 4; i--) {
      iv[i] = (iv[i]! + 1) & 0xff;
      if (iv[i] !== 0) return;
    }
  }
}
