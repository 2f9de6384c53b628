// aes128/192/256-ctr (RFC 4344 §4): NIST SP 800-38A known answers, and one keystream that runs on across calls.
import { describe, expect, test } from "bun:test";
import { createCipheriv, randomBytes } from "node:crypto";
import { AesCtr } from "../../../core/crypto/aes-ctr.ts";
import { fromHex, misaligned, toHex } from "../../helpers/vectors.ts";

// NIST SP 800-38A §F.5.1, F.5.3, F.5.5 (CTR-AES128/192/256.Encrypt), first two blocks.
const SP800_38A = [
  ["2b7e151628aed2a6abf7158809cf4f3c", "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"],
  ["8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"],
  ["603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"],
] as const;
const IV = fromHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
const PLAIN = fromHex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");

describe("AesCtr", () => {
  test.each(SP800_38A.map(([k, ct]) => [k.length * 4, k, ct] as const))("SP 800-38A AES-%i-CTR", (_bits, key, ct) => {
    for (const offset of [0, 1, 3]) {
      const { buf, off } = misaligned(PLAIN, offset, 2);
      const c = new AesCtr(fromHex(key), IV);
      c.apply(buf, off, 16);
      c.apply(buf, off + 16, 16);
      expect(toHex(buf.subarray(off, off + 32))).toBe(ct);
      expect(buf[off + 32]).toBe(0);
    }
  });
  test("the keystream continues across calls of any block-multiple size, counter carry included", () => {
    for (const keyBytes of [16, 24, 32]) {
      const key = randomBytes(keyBytes);
      const iv = fromHex("00112233445566778899aabbfffffffe"); // the counter carries out of the low 32 bits
      const data = randomBytes(16 * 40);
      const expected = createCipheriv(`aes-${keyBytes * 8}-ctr`, key, iv).update(data);
      const c = AesCtr.create(key, iv, "seal");
      const buf = Uint8Array.from(data);
      let off = 0;
      for (const blocks of [1, 3, 2, 7, 1, 26]) {
        c.apply(buf, off, blocks * 16);
        off += blocks * 16;
      }
      expect(toHex(buf)).toBe(toHex(expected));
    }
  });
  test("large applies at every alignment match one keystream (the split update in updateInto)", () => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const sizes = [2048, 2064, 4096, 32768, 262144];
    const total = sizes.reduce((a, b) => a + b, 0);
    for (let offset = 0; offset < 16; offset++) {
      const data = randomBytes(total);
      const expected = createCipheriv("aes-128-ctr", key, iv).update(data);
      const { buf, off } = misaligned(data, offset, 5);
      const c = new AesCtr(key, iv);
      let at = off;
      for (const n of sizes) {
        c.apply(buf, at, n);
        at += n;
      }
      expect(Buffer.compare(buf.subarray(off, off + total), expected)).toBe(0);
      expect(buf.subarray(off + total).every((b) => b === 0)).toBe(true);
    }
  });
  test("rejects bad key and IV sizes; unusable after dispose", () => {
    expect(() => new AesCtr(new Uint8Array(20), new Uint8Array(16))).toThrow();
    expect(() => new AesCtr(new Uint8Array(16), new Uint8Array(12))).toThrow();
    const c = new AesCtr(new Uint8Array(16), new Uint8Array(16));
    c.dispose();
    expect(() => c.apply(new Uint8Array(16), 0, 16)).toThrow();
  });
});
