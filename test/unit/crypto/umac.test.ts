// UMAC (RFC 4418) as umac-64@openssh.com / umac-128@openssh.com: the RFC's test vectors, the fast core against its slow twin,
// and the OpenSSH nonce convention (mac.c: the sequence number as a big-endian uint64).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { poly64Absorb, polyFinish64, Umac } from "../../../core/crypto/umac.ts";
import { poly, umacReference } from "../../reference/umac-reference.ts";
import { misaligned, toHex } from "../../helpers/vectors.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const repeatTo = (pattern: string, n: number): Uint8Array => ascii(pattern.repeat(Math.ceil(n / pattern.length)).slice(0, n));

const KEY = ascii("abcdefghijklmnop");
const NONCE = ascii("bcdefghi");

// RFC 4418 Appendix (64-bit and 96-bit columns; 'a' * 2^25 as corrected by the RFC's 2006 erratum). The last 32 bits of the
// 128-bit tags, which the RFC does not print, are from nettle's UMAC test suite (testsuite/umac-test.c).
const RFC_VECTORS: { name: string; msg: () => Uint8Array; umac64: string; umac96: string; umac128: string; slow?: true }[] = [
  { name: "<empty>", msg: () => new Uint8Array(0), umac64: "6e155fad26900be1", umac96: "32fedb100c79ad58f07ff764", umac128: "32fedb100c79ad58f07ff7643cc60465" },
  { name: "'a' * 3", msg: () => repeatTo("a", 3), umac64: "44b5cb542f220104", umac96: "185e4fe905cba7bd85e4c2dc", umac128: "185e4fe905cba7bd85e4c2dc3d117d8d" },
  { name: "'a' * 2^10", msg: () => repeatTo("a", 1 << 10), umac64: "26bf2f5d60118bd9", umac96: "7a54abe04af82d60fb298c3c", umac128: "7a54abe04af82d60fb298c3cbd195bcb" },
  { name: "'a' * 2^15", msg: () => repeatTo("a", 1 << 15), umac64: "27f8ef643b0d118d", umac96: "7b136bd911e4b734286ef2be", umac128: "7b136bd911e4b734286ef2be501f2c3c" },
  { name: "'a' * 2^20", msg: () => repeatTo("a", 1 << 20), umac64: "a4477e87e9f55853", umac96: "f8acfa3ac31cfeea047f7b11", umac128: "f8acfa3ac31cfeea047f7b115b03bef5" },
  { name: "'a' * 2^25 (POLY-128 ramp)", msg: () => repeatTo("a", 1 << 25), umac64: "faca46f856e9b45f", umac96: "a621c2457c0012e64f3fdae9", umac128: "a621c2457c0012e64f3fdae9e7e1870c", slow: true },
  { name: "'abc' * 1", msg: () => repeatTo("abc", 3), umac64: "d4d7b9f6bd4fbfcf", umac96: "883c3d4b97a61976ffcf2323", umac128: "883c3d4b97a61976ffcf232308cba5a5" },
  { name: "'abc' * 500", msg: () => repeatTo("abc", 1500), umac64: "d4cf26ddefd5c01a", umac96: "8824a260c53c66a36c9260a6", umac128: "8824a260c53c66a36c9260a62cb83aa1" },
];

// nettle testsuite/umac-test.c: chunk boundaries around 1024 and 2048 bytes and nonces of other lengths.
const NETTLE_VECTORS: [nonce: string, length: number, umac64: string, umac128: string][] = [
  ["b", 0, "9e38f67da91a08d9", "9e38f67da91a08d9c980f4db4089c877"],
  ["bc", 1, "fb0e207971b8e66a", "ef406c2ec70d0222f59e860eabb79ed0"],
  ["bcdefg", 1020, "f98828a161bb4ae3", "d8b4811f747d588d7a913360960de7cf"],
  ["bcdefghi", 1022, "2cee9784556387b3", "700513397f8a210a98938d3e7ac3bd88"],
  ["bcdefghijk", 1024, "64c6a0fd14615a76", "abc223116cedd2db5af365e641a97539"],
  ["bcdefghijkl", 1025, "93251e18e56bbdc4", "93251e18e56bbdc457de556f95c59931"],
  ["bcdefghijklmno", 2046, "65e85d47447c2277", "16bb5183017826ed47c9995c1e5834f3"],
  ["bcdefghijklmnopq", 2048, "3968d5d0af147884", "84565620def1e3a614d274e87626f215"],
  ["bc", 2050, "835f4a8242100055", "971106d5f4a5e41dce40a91704cfe1f3"],
];

function tagWith(key: Uint8Array, tagBytes: number, nonce: Uint8Array, msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(tagBytes);
  new Umac(key, tagBytes).tagWithNonce(nonce, msg, 0, msg.length, out, 0);
  return out;
}

function tag(tagBytes: number, nonce: Uint8Array, msg: Uint8Array, offset = 0): string {
  const { buf, off } = misaligned(msg, offset);
  const out = new Uint8Array(tagBytes);
  new Umac(KEY, tagBytes).tagWithNonce(nonce, buf, off, msg.length, out, 0);
  return toHex(out);
}

describe("RFC 4418 test vectors", () => {
  for (const v of RFC_VECTORS) {
    test(`K, N = "bcdefghi", M = ${v.name}`, () => {
      const msg = v.msg();
      for (const offset of v.slow ? [0] : [0, 1, 3]) {
        expect(tag(8, NONCE, msg, offset)).toBe(v.umac64);
        expect(tag(12, NONCE, msg, offset)).toBe(v.umac96);
        expect(tag(16, NONCE, msg, offset)).toBe(v.umac128);
      }
    });
  }
  test.each(NETTLE_VECTORS)("nonce %p, %i bytes of 'def...' (nettle)", (nonce, length, umac64, umac128) => {
    const msg = repeatTo("def", length);
    expect(tag(8, ascii(nonce), msg, 1)).toBe(umac64);
    expect(tag(16, ascii(nonce), msg, 2)).toBe(umac128);
  });
});

describe("the reference twin", () => {
  test("matches the RFC vectors it is fast enough for", () => {
    for (const v of RFC_VECTORS.slice(0, 4)) {
      expect(toHex(umacReference(KEY, NONCE, v.msg(), 8))).toBe(v.umac64);
      expect(toHex(umacReference(KEY, NONCE, v.msg(), 16))).toBe(v.umac128);
    }
  });
  test("agrees with the fast core on random keys, nonces, lengths and offsets", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ minLength: 1000, maxLength: 3200 })),
        fc.constantFrom(4, 8, 12, 16),
        fc.nat(7),
        (key, nonce, msg, tagBytes, offset) => {
          const { buf, off } = misaligned(msg, offset, 5);
          const out = new Uint8Array(tagBytes + 3);
          new Umac(key, tagBytes).tagWithNonce(nonce, buf, off, msg.length, out, 3);
          expect(toHex(out.subarray(3))).toBe(toHex(umacReference(key, nonce, msg, tagBytes)));
        },
      ),
      { numRuns: Math.max(10, Math.floor(RUNS / 4)) },
    );
  });
  test("POLY-64 agrees with BigInt, marker range (words ≥ 2^64 - 2^32) and values near p64 included", () => {
    const word = fc.oneof(
      fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff)),
      fc.tuple(fc.constant(0xffffffff), fc.nat(0xffffffff)),
      fc.tuple(fc.constant(0xffffffff), fc.nat(70)),
      fc.tuple(fc.constant(0xffffffff), fc.integer({ min: 0xffffff00, max: 0xffffffff })),
    );
    fc.assert(
      fc.property(fc.nat(0x01ffffff), fc.nat(0x01ffffff), fc.array(word, { maxLength: 40 }), (kHi, kLo, words) => {
        const y = Float64Array.of(1, 0, 0, 0);
        const bytes = new Uint8Array(words.length * 8);
        const view = new DataView(bytes.buffer);
        words.forEach(([hi, lo], i) => {
          poly64Absorb(y, 0, kHi, kLo, hi, lo);
          view.setUint32(i * 8, hi);
          view.setUint32(i * 8 + 4, lo);
        });
        polyFinish64(y, 0);
        const got = (BigInt(y[3]! * 65536 + y[2]!) << 32n) | BigInt(y[1]! * 65536 + y[0]!);
        const k = (BigInt(kHi) << 32n) | BigInt(kLo);
        expect(got).toBe(poly(64, (1n << 64n) - (1n << 32n), k, bytes));
      }),
      { numRuns: RUNS * 5 },
    );
  });
});

// Recorded from nettle 3.8's umac64/umac128 (Debian libnettle8, called through Python ctypes) with OpenSSH's nonce:
// key[i] = (29i + length) & 0xff, message[i] = (13i + seq) & 0xff, nonce = uint64 seq.
const NETTLE_SEQ_VECTORS: [length: number, seq: number, umac64: string, umac128: string][] = [
  [0, 0x00000000, "4896205de69224fe", "4896205de69224fed471e763d0b14cc9"],
  [31, 0x00000001, "ce7223bed845fb2c", "4453b8de4db41085acc8003d5cd4628c"],
  [64, 0x00000002, "3bde6a7e1a4ebe6d", "3bde6a7e1a4ebe6dfebaf4337ef19ce8"],
  [1023, 0x00000003, "931c4ab86316a564", "02b80fc39e01b56bfb9892d70d1e2fb3"],
  [1024, 0x7fffffff, "c730b2d593e6ec11", "a8765df46be166cef7ba55659d484d47"],
  [1025, 0x80000000, "119f0198d6d739f7", "119f0198d6d739f76fe7bd75827a5bc0"],
  [4100, 0xfffffffe, "f76c8689877ed67d", "f76c8689877ed67d077eb6bba6f12b62"],
  [32772, 0xffffffff, "7c4a4739ac4c8368", "c19ca10ba886ed1ddb3c34caa61c558d"],
];

describe("as an SSH MAC", () => {
  test.each(NETTLE_SEQ_VECTORS)("%i bytes at seq %i match nettle", (length, seq, umac64, umac128) => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => (i * 29 + length) & 0xff);
    const msg = Uint8Array.from({ length }, (_, i) => (i * 13 + seq) & 0xff);
    for (const [tagBytes, expected] of [[8, umac64], [16, umac128]] as const) {
      const { buf, off } = misaligned(msg, 3);
      const out = new Uint8Array(tagBytes);
      new Umac(key, tagBytes).compute(seq, buf, off, length, out, 0);
      expect(toHex(out)).toBe(expected);
    }
  });
  test("compute() uses the sequence number as the 8-byte big-endian nonce (OpenSSH mac.c)", () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
    const msg = repeatTo("ssh", 300);
    for (const tagBytes of [8, 16]) {
      for (const seq of [0, 1, 2, 0x01020304, 0xffffffff]) {
        const nonce = new Uint8Array(8);
        new DataView(nonce.buffer).setUint32(4, seq);
        const mac = new Umac(key, tagBytes);
        const out = new Uint8Array(tagBytes);
        mac.compute(seq, msg, 0, msg.length, out, 0);
        expect(toHex(out)).toBe(toHex(umacReference(key, nonce, msg, tagBytes)));
        expect(mac.verify(seq, msg, 0, msg.length, out, 0)).toBe(true);
        out[tagBytes - 1]! ^= 1;
        expect(mac.verify(seq, msg, 0, msg.length, out, 0)).toBe(false);
      }
    }
  });
  test("the cached PDF block stays right across any order of sequence numbers", () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
    const mac = new Umac(key, 8);
    const fresh = (seq: number, msg: Uint8Array): string => {
      const out = new Uint8Array(8);
      new Umac(key, 8).compute(seq, msg, 0, msg.length, out, 0);
      return toHex(out);
    };
    for (const seq of [5, 4, 4, 5, 6, 7, 100, 3, 0xfffffffe, 0xffffffff, 0]) {
      const msg = repeatTo("x", seq % 97);
      const out = new Uint8Array(8);
      mac.compute(seq, msg, 0, msg.length, out, 0);
      expect(toHex(out)).toBe(fresh(seq, msg));
    }
  });
  test("the batched PDF blocks are right for long runs of sequence numbers, across batches and the uint32 wrap", () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => i * 3 + 1);
    const msg = repeatTo("q", 20);
    for (const tagBytes of [8, 16]) {
      const mac = new Umac(key, tagBytes);
      for (let i = 0; i < 200; i++) {
        const seq = (0xffffffa0 + i) >>> 0;
        const nonce = new Uint8Array(8);
        new DataView(nonce.buffer).setUint32(4, seq);
        const out = new Uint8Array(tagBytes);
        mac.compute(seq, msg, 0, msg.length, out, 0);
        expect(toHex(out)).toBe(toHex(tagWith(key, tagBytes, nonce, msg)));
      }
    }
  });
  test("rejects bad key and tag sizes", () => {
    expect(() => new Umac(new Uint8Array(15), 8)).toThrow();
    expect(() => new Umac(new Uint8Array(16), 10)).toThrow();
  });
});
