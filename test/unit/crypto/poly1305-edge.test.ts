// Poly1305 (RFC 8439 §2.5) against a BigInt model at the edges of the kernel's arithmetic: accumulators that land in
// [p, 2^130) before the final reduction, all-ones messages and keys (the largest limbs and products), every short
// last-block length, and long runs of blocks.
import { expect, test } from "bun:test";
import { poly1305 } from "../../../core/crypto/poly1305.ts";

const P = (1n << 130n) - 5n;
const le = (b: Uint8Array): bigint => {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
};
function model(key: Uint8Array, m: Uint8Array): string {
  const r = le(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  let h = 0n;
  for (let i = 0; i < m.length; i += 16) {
    const block = m.subarray(i, Math.min(i + 16, m.length));
    h = ((h + le(block) + (1n << BigInt(8 * block.length))) * r) % P;
  }
  let t = (h + le(key.subarray(16, 32))) & ((1n << 128n) - 1n);
  let hex = "";
  for (let i = 0; i < 16; i++, t >>= 8n) hex += Number(t & 255n).toString(16).padStart(2, "0");
  return hex;
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

test("accumulators in [p, 2^130) and just below p are reduced", () => {
  // r = 1: two all-ones blocks (the second lowered by d) give h = 2^130 − 2 − d, i.e. p + 3 − d
  for (let d = 0; d < 8; d++) {
    for (const s of [0x00, 0xff]) {
      const key = new Uint8Array(32).fill(s);
      key.fill(0, 0, 16);
      key[0] = 1;
      for (let extra = 0; extra < 20; extra++) {
        const m = new Uint8Array(32 + extra).fill(0xff);
        m[16] = 0xff - d;
        expect(hex(poly1305(key, m))).toBe(model(key, m));
      }
    }
  }
});

test("all-ones keys and messages, every length up to 300 bytes and some long ones", () => {
  const key = new Uint8Array(32).fill(0xff);
  for (const len of [...Array.from({ length: 301 }, (_, i) => i), 1024, 4095, 4096, 65536]) {
    const m = new Uint8Array(len).fill(0xff);
    expect(hex(poly1305(key, m))).toBe(model(key, m));
  }
});

test("random keys and messages biased towards 0x00 and 0xff bytes", () => {
  let seed = 12345;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
  const byte = (mode: number): number =>
    mode === 0 ? rnd() & 0xff : mode === 1 ? (rnd() & 1 ? 0xff : 0) : mode === 2 ? 0xff : (rnd() & 3) === 0 ? rnd() & 0xff : 0xff;
  for (let i = 0; i < 3000; i++) {
    const keyMode = rnd() % 4;
    const msgMode = rnd() % 4;
    const key = Uint8Array.from({ length: 32 }, () => byte(keyMode));
    const m = Uint8Array.from({ length: rnd() % 400 }, () => byte(msgMode));
    expect(hex(poly1305(key, m))).toBe(model(key, m));
  }
});
