// Properties of every cipher × MAC × etm combination of specs-aes-mac.ts (plus `none`): open(seal(x)) = x at misaligned
// offsets and any seq, a single flipped bit is always rejected (AEAD and -etm leave the buffer untouched), seal writes only
// inside [off, off + 4 + len + tagBytes), and GCM's invocation counter. FUZZ_RUNS=20000 bun test fuzz/ for a long run.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { AesGcmOpenSsh } from "../core/crypto/aes-gcm-openssh.ts";
import { composePacketCipher } from "../core/crypto/packet-cipher.ts";
import { CIPHER_SPECS_AES, MAC_SPECS } from "../core/crypto/specs-aes-mac.ts";
import type { PacketCipher } from "../core/crypto/types.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

interface Combo {
  name: string;
  /** A sealer and an opener for one direction, from the same keys. */
  pair(): [PacketCipher, PacketCipher];
  aeadOrEtm: boolean;
}

const keyOf = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 73 + seed * 29 + 1) & 0xff);

const COMBOS: Combo[] = [];
for (const c of CIPHER_SPECS_AES.filter((s) => s.aead)) {
  const build = (dir: "seal" | "open"): PacketCipher => c.createAead!(keyOf(c.keyBytes, 1), keyOf(c.ivBytes, 2), dir);
  COMBOS.push({ name: c.name, pair: () => [build("seal"), build("open")], aeadOrEtm: true });
}
for (const c of [null, ...CIPHER_SPECS_AES.filter((s) => !s.aead)]) {
  for (const m of [null, ...MAC_SPECS]) {
    if (m === null && c !== null) continue; // a real cipher always comes with a MAC
    const build = (dir: "seal" | "open"): PacketCipher =>
      composePacketCipher(c === null ? null : c.createStream!(keyOf(c.keyBytes, 3), keyOf(c.ivBytes, 4), dir), m === null ? null : m.create(keyOf(m.keyBytes, 5)), m?.etm ?? false);
    COMBOS.push({ name: `${c?.name ?? "none"} + ${m?.name ?? "none"}`, pair: () => [build("seal"), build("open")], aeadOrEtm: m?.etm ?? false });
  }
}

/** Lays out a plaintext packet for `payload` at `off` in a buffer with `slack` spare bytes on each side (RFC 4253 §6 padding). */
function layout(pc: PacketCipher, payload: Uint8Array, padSeed: number, off: number, slack: number): { buf: Uint8Array; len: number } {
  const block = pc.blockBytes;
  const base = (pc.lengthIsAad ? 0 : 4) + 1 + payload.length;
  let pad = block - (base % block);
  if (pad < 4) pad += block;
  const len = 1 + payload.length + pad;
  const buf = new Uint8Array(off + 4 + len + pc.tagBytes + slack);
  new DataView(buf.buffer).setUint32(off, len);
  buf[off + 4] = pad;
  buf.set(payload, off + 5);
  for (let i = 0; i < pad; i++) buf[off + 5 + payload.length + i] = (padSeed + i * 13) & 0xff;
  return { buf, len };
}

const packets = fc.array(fc.record({ payload: fc.uint8Array({ maxLength: 700 }), off: fc.nat(7), padSeed: fc.nat(255) }), { minLength: 1, maxLength: 4 });

describe.each(COMBOS.map((c) => [c.name, c] as const))("%s", (_name, combo) => {
  test("open(seal(x)) = x for packet sequences at misaligned offsets and any starting seq; seal stays in bounds", () => {
    fc.assert(
      fc.property(packets, fc.nat(0xffffffff), (list, seq0) => {
        const [sealer, opener] = combo.pair();
        list.forEach(({ payload, off, padSeed }, i) => {
          const seq = (seq0 + i) >>> 0;
          const { buf, len } = layout(sealer, payload, padSeed, off, 8);
          const plain = buf.slice();
          buf.fill(0xa5, 0, off);
          buf.fill(0x5a, off + 4 + len + sealer.tagBytes);
          sealer.seal(seq, buf, off, len);
          expect(buf.subarray(0, off).every((b) => b === 0xa5)).toBe(true);
          expect(buf.subarray(off + 4 + len + sealer.tagBytes).every((b) => b === 0x5a)).toBe(true);
          expect(opener.openLength(seq, buf, off)).toBe(len);
          expect(opener.open(seq, buf, off, len)).toBe(true);
          expect(Buffer.compare(buf.subarray(off, off + 4 + len), plain.subarray(off, off + 4 + len))).toBe(0);
        });
      }),
      { numRuns: RUNS },
    );
  });

  test("any single bit flip in packet or tag is rejected" + (combo.aeadOrEtm ? ", leaving the buffer untouched" : ""), () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), fc.nat(0xffffffff), fc.nat(), fc.nat(7), (payload, off, seq, at, bit) => {
        const [sealer, opener] = combo.pair();
        const { buf, len } = layout(sealer, payload, 1, off, 0);
        sealer.seal(seq, buf, off, len);
        const total = 4 + len + sealer.tagBytes;
        if (sealer.tagBytes === 0) return; // `none` + `none` authenticates nothing
        buf[off + (at % total)]! ^= 1 << bit;
        const forged = buf.slice();
        const seenLen = opener.openLength(seq, buf, off);
        if (seenLen !== len) return; // the transport would already have refused or misframed it; nothing is released
        expect(opener.open(seq, buf, off, len)).toBe(false);
        if (combo.aeadOrEtm || sealer.lengthIsAad) expect(Buffer.compare(buf, forged)).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("GCM invocation counter (RFC 5647 §7.1)", () => {
  test("advances once per packet, modulo 2^64, from any starting value; the fixed field never changes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.integer({ min: 1, max: 20 }), (iv, n) => {
        const c = new AesGcmOpenSsh(keyOf(16, 8), iv);
        for (let i = 0; i < n; i++) c.seal(i, new Uint8Array(4 + 16 + 16), 0, 16);
        const start = new DataView(iv.buffer, iv.byteOffset).getBigUint64(4);
        const now = c.currentIv();
        expect(Buffer.compare(now.subarray(0, 4), iv.subarray(0, 4))).toBe(0);
        expect(new DataView(now.buffer).getBigUint64(4)).toBe((start + BigInt(n)) & 0xffffffffffffffffn);
      }),
      { numRuns: RUNS },
    );
  });
});
