// Properties of chacha20-poly1305@openssh.com: the WebAssembly kernels equal the reference twin on random keys,
// sequence numbers, lengths and misaligned offsets; open inverts seal; any flipped bit is refused without touching
// the buffer; seal writes only its packet. Quick by default; FUZZ_RUNS=20000 bun test fuzz/chachapoly for a long run.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { ChaCha20 } from "../core/crypto/chacha20.ts";
import { allocateChaChaPolyBuffer, ChaChaPolyOpenSsh, releaseChaChaPolyBuffer } from "../core/crypto/chachapoly-openssh.ts";
import { poly1305 } from "../core/crypto/poly1305.ts";
import { toHex } from "../test/helpers/vectors.ts";
import {
  chacha20IetfReference, ChaChaPolyOpenSshReference, poly1305Reference,
} from "../test/reference/chachapoly-openssh-reference.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const key64 = fc.uint8Array({ minLength: 64, maxLength: 64 });
const seq = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff), fc.nat({ max: 0xffffffff }));
/** Mostly short packets (every tail shape of the 4-block loop), sometimes up to 70,000 bytes. */
const length = fc.oneof({ arbitrary: fc.nat({ max: 600 }), weight: 4 }, { arbitrary: fc.nat({ max: 70_000 }), weight: 1 });
const offset = fc.constantFrom(0, 1, 3, 5, 7, 13, 16);

/** A buffer of `len + 20` packet bytes at `off` inside random surroundings (pseudo-random, from `fill`). */
function packetBuffer(len: number, off: number, fill: number): Uint8Array {
  const buf = new Uint8Array(off + 4 + len + 16 + 11);
  let x = fill | 1;
  for (let i = 0; i < buf.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; buf[i] = x & 0xff; }
  return buf;
}

test("seal and openLength equal the reference; seal writes only [off, off + 4 + len + 16)", () => {
  fc.assert(fc.property(key64, seq, length, offset, fc.integer(), (key, s, len, off, fill) => {
    const fast = new ChaChaPolyOpenSsh(key);
    const ref = new ChaChaPolyOpenSshReference(key);
    const a = packetBuffer(len, off, fill);
    const b = a.slice();
    const before = a.slice();
    fast.seal(s, a, off, len);
    expect(toHex(a.subarray(0, off))).toBe(toHex(before.subarray(0, off)));
    expect(toHex(a.subarray(off + 4 + len + 16))).toBe(toHex(before.subarray(off + 4 + len + 16)));
    ref.seal(s, b, off, len);
    expect(toHex(a)).toBe(toHex(b)); // includes every byte outside the packet, compared with the untouched copy
    expect(fast.openLength(s, a, off)).toBe(ref.openLength(s, b, off));
    fast.dispose();
  }), { numRuns: RUNS });
});

test("open(seal(x)) == x, across instances and offsets", () => {
  fc.assert(fc.property(key64, seq, length, offset, offset, fc.integer(), (key, s, len, off, off2, fill) => {
    const sealer = new ChaChaPolyOpenSsh(key);
    const opener = new ChaChaPolyOpenSsh(key);
    const plain = packetBuffer(len, off, fill);
    new DataView(plain.buffer).setUint32(off, len);
    const wire = plain.slice();
    sealer.seal(s, wire, off, len);
    const moved = new Uint8Array(off2 + 4 + len + 16);
    moved.set(wire.subarray(off, off + 4 + len + 16), off2);
    expect(opener.openLength(s, moved, off2)).toBe(len);
    expect(opener.open(s, moved, off2, len)).toBe(true);
    expect(toHex(moved.subarray(off2, off2 + 4 + len))).toBe(toHex(plain.subarray(off, off + 4 + len)));
    sealer.dispose();
    opener.dispose();
  }), { numRuns: RUNS * 2 });
});

test("packets in kernel buffers seal as the reference does and open back, at any offset", () => {
  fc.assert(fc.property(key64, seq, length, offset, fc.integer(), (key, s, len, off, fill) => {
    const fast = new ChaChaPolyOpenSsh(key);
    const ref = new ChaChaPolyOpenSshReference(key);
    const plain = packetBuffer(len, off, fill);
    const kb = allocateChaChaPolyBuffer(plain.length);
    kb.set(plain);
    const b = plain.slice();
    fast.seal(s, kb, off, len);
    ref.seal(s, b, off, len);
    expect(toHex(kb)).toBe(toHex(b));
    expect(fast.open(s, kb, off, len)).toBe(true);
    expect(toHex(kb.subarray(0, off + 4 + len))).toBe(toHex(plain.subarray(0, off + 4 + len)));
    expect(toHex(kb.subarray(off + 4 + len + 16))).toBe(toHex(plain.subarray(off + 4 + len + 16)));
    releaseChaChaPolyBuffer(kb);
    fast.dispose();
  }), { numRuns: RUNS });
});

test("a single flipped bit in length, payload or tag is refused and the buffer is left unchanged", () => {
  fc.assert(fc.property(key64, seq, fc.nat({ max: 2000 }), offset, fc.nat(), fc.integer(), (key, s, len, off, where, fill) => {
    const c = new ChaChaPolyOpenSsh(key);
    const buf = packetBuffer(len, off, fill);
    c.seal(s, buf, off, len);
    const bit = where % ((4 + len + 16) * 8);
    buf[off + (bit >>> 3)]! ^= 1 << (bit & 7);
    const before = toHex(buf);
    expect(c.open(s, buf, off, len)).toBe(false);
    expect(toHex(buf)).toBe(before);
    c.dispose();
  }), { numRuns: RUNS * 2 });
});

test("ChaCha20 and Poly1305 kernels equal the reference at any counter, nonce and length", () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat({ max: 0xffffffff - 1200 }), fc.uint8Array({ minLength: 12, maxLength: 12 }),
    fc.uint8Array({ maxLength: 3000 }), offset,
    (key, counter, nonce, data, off) => {
      const c = new ChaCha20(key);
      const buf = new Uint8Array(off + data.length + 5);
      buf.set(data, off);
      const n = new DataView(nonce.buffer, nonce.byteOffset);
      c.xor(counter, n.getUint32(0, true), n.getUint32(4, true), n.getUint32(8, true), buf, off, data.length);
      expect(toHex(buf.subarray(off, off + data.length))).toBe(toHex(chacha20IetfReference(key, nonce, counter, data)));
      expect(toHex(buf.subarray(off + data.length))).toBe("0000000000");
      c.dispose();
      const polyKey = Uint8Array.from(key.subarray(0, 32).reverse());
      expect(toHex(poly1305(polyKey, data))).toBe(toHex(poly1305Reference(polyKey, data)));
    },
  ), { numRuns: RUNS });
});

test("Poly1305 edge keys and messages (all-ones limbs, r = 0, s = 2^128 − 1)", () => {
  const ones = new Uint8Array(32).fill(0xff);
  const keys = [ones, new Uint8Array(32), Uint8Array.from({ length: 32 }, (_, i) => (i < 16 ? 0 : 0xff))];
  const msgs = [new Uint8Array(0), new Uint8Array(16).fill(0xff), new Uint8Array(1000).fill(0xff), new Uint8Array(17).fill(0xfe)];
  for (const k of keys) for (const m of msgs) expect(toHex(poly1305(k, m))).toBe(toHex(poly1305Reference(k, m)));
});
