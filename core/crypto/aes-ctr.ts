// aes128-ctr, aes192-ctr, aes256-ctr (RFC 4344 §4): one long-lived node:crypto CTR stream per direction, applied in place.
import { createCipheriv, type Cipheriv, type Decipheriv } from "node:crypto";
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
    updateInto(stream, buf, off, len);
  }

  dispose(): void {
    // node:crypto offers no way to wipe the expanded key; dropping the last reference is all we can do.
    this.#stream = null;
  }
}

/** Above this size TypedArray#set (glibc memmove) takes its `rep movsb` path, which is slow to a misaligned destination. */
const SMALL_COPY = 2048;

/**
 * Runs `buf[off, off + len)` through `c.update` and writes the result back in place. node:crypto returns a fresh, aligned
 * output; copying it to a destination that is not 16-byte aligned ran at only 1.5-3.4 GB/s above 2 KiB on the project's
 * AMD EPYC (glibc memmove's `rep movsb`), against 25-60 GB/s to an aligned one. So a large input goes through `update` in
 * two calls, the short head that reaches the next 16-byte boundary first, and the rest is then copied aligned
 * (bench/crypto-aes-mac.ts: aes128-gcm 32 KiB at a pool offset, seal+open). CTR and GCM streams continue across calls.
 */
export function updateInto(c: Cipheriv | Decipheriv, buf: Uint8Array, off: number, len: number): void {
  const head = alignmentHead(buf, off, len);
  if (head === 0) {
    buf.set(c.update(buf.subarray(off, off + len)), off);
    return;
  }
  const first = c.update(buf.subarray(off, off + head));
  const rest = c.update(buf.subarray(off + head, off + len));
  if (first.length !== head || rest.length !== len - head) throw new Error("cipher update returned an unexpected length");
  for (let i = 0; i < head; i++) buf[off + i] = first[i]!;
  buf.set(rest, off + head);
}

/** How many bytes `updateInto` feeds to `update` first so the rest of `buf[off, off + len)` starts 16-byte aligned (0: one call). */
export function alignmentHead(buf: Uint8Array, off: number, len: number): number {
  return len <= SMALL_COPY ? 0 : (16 - ((buf.byteOffset + off) & 15)) & 15;
}
