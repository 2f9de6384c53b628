// Poly1305 (RFC 8439 §2.5) on the shared WebAssembly kernel of chacha20.ts: radix 2^32 words, i64 products.
// The packet path (chachapoly-openssh.ts) calls the kernel directly; this wrapper serves one-shot uses and tests.
import { ChaChaKernel } from "./chacha20.ts";

/**
 * Poly1305 tag of `msg` under the one-time 32-byte `key`, written to `out[outOff, outOff + 16)` (a fresh array when
 * `out` is omitted, which is also what it returns).
 */
export function poly1305(key: Uint8Array, msg: Uint8Array, out: Uint8Array = new Uint8Array(16), outOff = 0): Uint8Array {
  if (key.length !== 32) throw new RangeError("Poly1305 key must be 32 bytes");
  const k = ChaChaKernel.get();
  k.ensureStage(msg.length + 48);
  const u8 = k.u8;
  const keyAt = k.stage + msg.length;
  const tagAt = keyAt + 32;
  u8.set(msg, k.stage);
  u8.set(key, keyAt);
  k.fn.poly1305(keyAt, k.stage, msg.length, tagAt);
  out.set(u8.subarray(tagAt, tagAt + 16), outOff);
  u8.fill(0, keyAt, keyAt + 32); // the one-time key does not outlive the call
  return out;
}
