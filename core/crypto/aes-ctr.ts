// aes128-ctr, aes192-ctr, aes256-ctr (RFC 4344 §4): one long-lived node:crypto CTR stream per direction, applied in place.
import { createCipheriv, type Cipheriv } from "node:crypto";
import type { StreamCipher } from "./types.ts";

const CTR_ALGORITHMS: Readonly<Record<number, string>> = { 16: "aes-128-ctr", 24: "aes-192-ctr", 32: "aes-256-ctr" };

/**
 * An AES-CTR keystream for one direction. RFC 4344 §4: the 16-byte IV is the initial counter block and the counter runs on
 * across packets, so a single cipher object lives from NEWKEYS to the next rekey (bun-platform.md §9: its keystream continues
 * across `update()` calls).
 */
export class AesCtr implements StreamCipher {
  readonly blockBytes: number = 16;
  #stream: Cipheriv | null;

  /** `key` is 16, 24 or 32 bytes, `iv` 16 bytes; neither is retained. */
  constructor(key: Uint8Array, iv: Uint8Array) {
    const algorithm = CTR_ALGORITHMS[key.length];
    if (algorithm === undefined) throw new RangeError(`AES-CTR key must be 16, 24 or 32 bytes, got ${key.length}`);
    if (iv.length !== 16) throw new RangeError(`AES-CTR IV must be 16 bytes, got ${iv.length}`);
    this.#stream = createCipheriv(algorithm, key, iv);
  }

  /** Builds the stream for one direction (the registry's `createStream`); CTR is the same both ways. */
  static create(key: Uint8Array, iv: Uint8Array, _direction: "seal" | "open"): StreamCipher {
    return new AesCtr(key, iv);
  }

  apply(buf: Uint8Array, off: number, len: number): void {
    const stream = this.#stream;
    if (stream === null) throw new Error("AES-CTR stream used after dispose");
    if (len === 0) return;
    // node:crypto has no update-into: one output allocation per call is the floor (bench/crypto-aes-mac.ts).
    buf.set(stream.update(buf.subarray(off, off + len)), off);
  }

  dispose(): void {
    // node:crypto offers no way to wipe the expanded key; dropping the last reference is all we can do.
    this.#stream = null;
  }
}
