// hmac-sha1, hmac-sha2-256, hmac-sha2-512 and their -etm@openssh.com twins (RFC 4253 §6.4, RFC 6668, RFC 2104):
// MAC = HMAC(key, uint32 seq ‖ data), built once per key with the inner and outer keyed states precomputed.
import type { PacketMac } from "./types.ts";

/** The hashes behind the SSH HMACs, by their Bun.CryptoHasher names. */
export type HmacHash = "md5" | "sha1" | "sha256" | "sha512";

const DIGEST_BYTES: Readonly<Record<HmacHash, number>> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

/**
 * An HMAC for one direction. The keyed Bun.CryptoHasher is built once (key ⊕ ipad / opad absorbed) and copied per packet;
 * bench/crypto-aes-mac.ts ("hmac route" cases) measures it against a new node:crypto `createHmac` per packet and
 * @noble/hashes' `_cloneInto` (at 64 B: about 0.3 µs, 0.7 µs and 2.4 µs).
 */
export class Hmac implements PacketMac {
  readonly tagBytes: number;
  #keyed: Bun.CryptoHasher | null;
  /** Bun's `digest(into)` insists on at least 64 bytes, whatever the hash. */
  readonly #digest = new Uint8Array(64);
  readonly #seq = new Uint8Array(4);

  /** `key` is not retained. `tagBytes` defaults to the digest size; the legacy `-96` MACs keep the first 12 bytes (RFC 4253 §6.4). */
  constructor(hash: HmacHash, key: Uint8Array, tagBytes: number = DIGEST_BYTES[hash]) {
    if (tagBytes < 1 || tagBytes > DIGEST_BYTES[hash]) throw new RangeError(`HMAC tag must be 1..${DIGEST_BYTES[hash]} bytes`);
    this.tagBytes = tagBytes;
    this.#keyed = new Bun.CryptoHasher(hash, key);
  }

  compute(seq: number, data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
    this.#run(seq, data, off, len);
    out.set(this.#digest.subarray(0, this.tagBytes), outOff);
  }

  verify(seq: number, data: Uint8Array, off: number, len: number, tag: Uint8Array, tagOff: number): boolean {
    this.#run(seq, data, off, len);
    return equalInConstantTime(this.#digest, tag, tagOff, this.tagBytes);
  }

  /** Plain HMAC(key, data[off, off + len)) without the sequence number, for the Wycheproof tests. */
  authenticate(data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
    const h = this.#usable().copy();
    h.update(data.subarray(off, off + len));
    h.digest(this.#digest);
    out.set(this.#digest.subarray(0, this.tagBytes), outOff);
  }

  dispose(): void {
    // Bun.CryptoHasher holds the keyed state natively and has no wipe; dropping it is what we can do.
    this.#keyed = null;
    this.#digest.fill(0);
  }

  #usable(): Bun.CryptoHasher {
    if (this.#keyed === null) throw new Error("HMAC used after dispose");
    return this.#keyed;
  }

  #run(seq: number, data: Uint8Array, off: number, len: number): void {
    const h = this.#usable().copy();
    const s = this.#seq;
    s[0] = seq >>> 24;
    s[1] = seq >>> 16;
    s[2] = seq >>> 8;
    s[3] = seq;
    h.update(s);
    h.update(data.subarray(off, off + len));
    h.digest(this.#digest);
  }
}

/**
 * Compares `expected[0, n)` with `tag[tagOff, tagOff + n)` in time that depends only on `n` (every byte is visited, the
 * differences are OR-ed). False when the tag would run past the end of its buffer.
 */
export function equalInConstantTime(expected: Uint8Array, tag: Uint8Array, tagOff: number, n: number): boolean {
  if (tagOff < 0 || tagOff + n > tag.length || n > expected.length) return false;
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= expected[i]! ^ tag[tagOff + i]!;
  return diff === 0;
}
