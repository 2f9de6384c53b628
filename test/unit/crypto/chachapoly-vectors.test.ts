// Known-answer tests for chacha20-poly1305@openssh.com and its building blocks: RFC 8439 §2 vectors, every Wycheproof
// chacha20_poly1305 case through an RFC 8439 AEAD composed from our primitives (test-only), and the SSH packet vectors.
// Each runs on the WebAssembly kernels and on the reference twin.
import { describe, expect, test } from "bun:test";
import { ChaCha20, ChaChaKernel } from "../../../core/crypto/chacha20.ts";
import {
  allocateChaChaPolyBuffer, ChaChaPolyOpenSsh, createChaChaPolyOpenSsh, releaseChaChaPolyBuffer,
} from "../../../core/crypto/chachapoly-openssh.ts";
import { poly1305 } from "../../../core/crypto/poly1305.ts";
import type { PacketCipher } from "../../../core/crypto/types.ts";
import { fromHex, loadVectors, misaligned, toHex, wycheproof, type WycheproofTest } from "../../helpers/vectors.ts";
import {
  chacha20BlockReference, chacha20IetfReference, ChaChaPolyOpenSshReference, poly1305Reference,
} from "../../reference/chachapoly-openssh-reference.ts";

type Rfc = Record<string, string | number | string[]>;
const rfc = loadVectors<{ tests: Rfc[] }>("rfc/rfc8439_chacha20_poly1305.json").tests;
const byName = (name: string): Rfc => {
  const t = rfc.find((v) => v.name === name);
  if (!t) throw new Error(`missing vector ${name}`);
  return t;
};
const hex = (t: Rfc, field: string): Uint8Array => fromHex(t[field] as string);

/** The primitives under test, fast (WebAssembly) or reference (BigInt, plain loops). */
interface Primitives {
  /** RFC 8439 ChaCha20: keystream from block `counter` with the 96-bit nonce, XORed into a copy of `data`. */
  chachaIetf(key: Uint8Array, nonce12: Uint8Array, counter: number, data: Uint8Array): Uint8Array;
  block(key: Uint8Array, input16: Uint8Array): Uint8Array;
  poly(key: Uint8Array, msg: Uint8Array): Uint8Array;
}
const le32 = (b: Uint8Array, i: number): number => new DataView(b.buffer, b.byteOffset).getUint32(i, true);
const FAST: Primitives = {
  chachaIetf(key, nonce12, counter, data) {
    const c = new ChaCha20(key);
    const { buf, off } = misaligned(data, 3);
    c.xor(counter, le32(nonce12, 0), le32(nonce12, 4), le32(nonce12, 8), buf, off, data.length);
    c.dispose();
    return buf.slice(off, off + data.length);
  },
  block(key, input16) {
    const c = new ChaCha20(key);
    const out = c.block(input16);
    c.dispose();
    return out;
  },
  poly: (key, msg) => poly1305(key, msg),
};
const REFERENCE: Primitives = { chachaIetf: chacha20IetfReference, block: chacha20BlockReference, poly: poly1305Reference };

/** RFC 8439 §2.8 AEAD built from the primitives (test-only): returns the plaintext, or null for a bad tag or nonce. */
function aeadOpen(p: Primitives, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array, tag: Uint8Array): Uint8Array | null {
  if (nonce.length !== 12) return null; // RFC 8439 §2.8: the nonce is 96 bits; Wycheproof's InvalidNonceSize cases
  const polyKey = p.chachaIetf(key, nonce, 0, new Uint8Array(32)); // §2.6
  const pad = (n: number): number => (16 - (n % 16)) % 16;
  const macData = new Uint8Array(aad.length + pad(aad.length) + ct.length + pad(ct.length) + 16);
  macData.set(aad, 0);
  macData.set(ct, aad.length + pad(aad.length));
  const lens = new DataView(macData.buffer, macData.length - 16);
  lens.setBigUint64(0, BigInt(aad.length), true);
  lens.setBigUint64(8, BigInt(ct.length), true);
  const expected = p.poly(polyKey, macData);
  if (toHex(expected) !== toHex(tag)) return null;
  return p.chachaIetf(key, nonce, 1, ct);
}

describe.each([["fast", FAST], ["reference", REFERENCE]] as const)("RFC 8439 primitives (%s)", (_name, p) => {
  test("§2.3.2 block function", () => {
    const t = byName("chacha20-block");
    const input = new Uint8Array(16);
    new DataView(input.buffer).setUint32(0, t.counter as number, true);
    input.set(hex(t, "nonce"), 4);
    expect(toHex(p.block(hex(t, "key"), input))).toBe(t.block as string);
  });
  test("§2.4.2 encryption", () => {
    const t = byName("chacha20-encrypt");
    expect(toHex(p.chachaIetf(hex(t, "key"), hex(t, "nonce"), t.counter as number, hex(t, "plaintext")))).toBe(t.ciphertext as string);
  });
  test("§2.5.2 Poly1305", () => {
    const t = byName("poly1305-mac");
    expect(toHex(p.poly(hex(t, "key"), hex(t, "message")))).toBe(t.tag as string);
  });
  test("§2.6.2 Poly1305 key generation", () => {
    const t = byName("poly1305-key-generation");
    expect(toHex(p.chachaIetf(hex(t, "key"), hex(t, "nonce"), 0, new Uint8Array(32)))).toBe(t.onetime_key as string);
  });
  test("§2.8.2 AEAD", () => {
    const t = byName("aead-chacha20-poly1305");
    const opened = aeadOpen(p, hex(t, "key"), hex(t, "nonce"), hex(t, "aad"), hex(t, "ciphertext"), hex(t, "tag"));
    expect(opened === null ? null : toHex(opened)).toBe(t.plaintext as string);
  });
});

interface AeadGroup { keySize: number; ivSize: number; tagSize: number; tests: AeadCase[] }
interface AeadCase extends WycheproofTest { key: string; iv: string; aad: string; msg: string; ct: string; tag: string }
const cases = wycheproof<AeadGroup, AeadCase>("chacha20_poly1305_test.json");

describe.each([["fast", FAST], ["reference", REFERENCE]] as const)("Wycheproof chacha20_poly1305 (%s)", (_name, p) => {
  // The file has no "acceptable" results; were one to appear it would be held to "valid" (a correct RFC 8439 AEAD
  // accepts every well-formed input), which the expectation below does.
  test.each(cases.map(({ test: t }) => t))("tcId $tcId $comment", (t) => {
    const opened = aeadOpen(p, fromHex(t.key), fromHex(t.iv), fromHex(t.aad), fromHex(t.ct), fromHex(t.tag));
    expect(opened === null ? "invalid" : toHex(opened)).toBe(t.result === "invalid" ? "invalid" : t.msg);
  });
  test("covers every case", () => {
    expect(cases.length).toBe(325);
  });
});

type SshVector = Record<string, string | number>;
const ssh = loadVectors<Record<string, SshVector[]>>("ssh/ssh_transport_aead_packets.json")["chacha20-poly1305@openssh.com"]!;
const field = (v: SshVector, prefix: string): string => {
  const key = Object.keys(v).find((k) => k.startsWith(prefix));
  if (key === undefined) throw new Error(`vector field ${prefix} missing`);
  return v[key] as string;
};

describe.each([
  ["fast", (k: Uint8Array): PacketCipher => createChaChaPolyOpenSsh(k)],
  ["reference", (k: Uint8Array): PacketCipher => new ChaChaPolyOpenSshReference(k)],
] as const)("chacha20-poly1305@openssh.com packets (%s)", (_name, make) => {
  test.each(ssh.map((v) => [v.seqnr as number, v] as const))("seqnr %i", (seq, v) => {
    const key = fromHex(field(v, "key_64_bytes"));
    const plain = fromHex(field(v, "plaintext_packet"));
    const wire = field(v, "wire_bytes");
    const len = plain.length - 4;
    for (const offset of [0, 1, 3, 5]) {
      const sealer = make(key);
      const { buf, off } = misaligned(plain, offset, 16 + 7);
      sealer.seal(seq, buf, off, len);
      expect(toHex(buf.subarray(off, off + 4 + len + 16))).toBe(wire);
      expect(toHex(buf.subarray(off + 4 + len + 16))).toBe("00".repeat(7));
      const opener = make(key);
      expect(opener.openLength(seq, buf, off)).toBe(len);
      expect(toHex(buf.subarray(off, off + 4 + len + 16))).toBe(wire); // openLength leaves the bytes alone
      expect(opener.open(seq, buf, off, len)).toBe(true);
      expect(toHex(buf.subarray(off, off + 4 + len))).toBe(toHex(plain));
      sealer.dispose();
      opener.dispose();
    }
  });
  test("the wrong sequence number fails the tag and leaves the packet alone", () => {
    const v = ssh[0]!;
    const wire = fromHex(field(v, "wire_bytes"));
    const c = make(fromHex(field(v, "key_64_bytes")));
    const before = toHex(wire);
    expect(c.open((v.seqnr as number) + 1, wire, 0, wire.length - 20)).toBe(false);
    expect(toHex(wire)).toBe(before);
    c.dispose();
  });
});

describe("every tail shape", () => {
  // The kernels split a packet into 128-byte steps, a one- or two-block tail and 16-byte Poly1305 blocks: walk every
  // length through all of those boundaries, and a few large ones, against the reference.
  const lengths = [...Array.from({ length: 300 }, (_, i) => i), 4095, 4096, 4097, 65536 + 3, 262144];
  test.each(lengths)("len %i", (len) => {
    const key = Uint8Array.from({ length: 64 }, (_, i) => (i * 29 + len) & 0xff);
    const fast = new ChaChaPolyOpenSsh(key);
    const ref = new ChaChaPolyOpenSshReference(key);
    const plain = Uint8Array.from({ length: 3 + 4 + len + 16 + 5 }, (_, i) => (i * 13 + 7) & 0xff);
    const a = plain.slice();
    const b = plain.slice();
    fast.seal(0xfffffffe, a, 3, len);
    ref.seal(0xfffffffe, b, 3, len);
    expect(toHex(a)).toBe(toHex(b));
    expect(fast.open(0xfffffffe, a, 3, len)).toBe(true);
    expect(toHex(a.subarray(0, 3 + 4 + len))).toBe(toHex(plain.subarray(0, 3 + 4 + len)));
    expect(toHex(a.subarray(3 + 4 + len + 16))).toBe(toHex(plain.subarray(3 + 4 + len + 16)));
    fast.dispose();
  });
});

describe("packets in kernel buffers (no copies)", () => {
  test.each([0, 1, 60, 64, 100, 128, 129, 191, 192, 1000, 32768])("len %i equals the copying path and the reference", (len) => {
    const key = Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + len) & 0xff);
    const fast = new ChaChaPolyOpenSsh(key);
    const ref = new ChaChaPolyOpenSshReference(key);
    const plain = Uint8Array.from({ length: 5 + 4 + len + 16 + 3 }, (_, i) => (i * 31 + 1) & 0xff);
    const kb = allocateChaChaPolyBuffer(plain.length);
    kb.set(plain);
    const b = plain.slice();
    fast.seal(77, kb, 5, len);
    ref.seal(77, b, 5, len);
    expect(toHex(kb)).toBe(toHex(b));
    expect(fast.openLength(77, kb, 5)).toBe(ref.openLength(77, b, 5));
    const wire = kb.slice();
    kb[5 + 4 + len + 3]! ^= 0x10; // a flipped tag bit: refused, nothing changes
    const forged = toHex(kb);
    expect(fast.open(77, kb, 5, len)).toBe(false);
    expect(toHex(kb)).toBe(forged);
    kb.set(wire);
    expect(fast.open(77, kb, 5, len)).toBe(true);
    expect(toHex(kb.subarray(0, 5 + 4 + len))).toBe(toHex(plain.subarray(0, 5 + 4 + len)));
    releaseChaChaPolyBuffer(kb);
    fast.dispose();
  });
  test("a kernel buffer stays valid when the kernel memory grows", () => {
    const c = new ChaChaPolyOpenSsh(new Uint8Array(64).fill(5));
    const early = allocateChaChaPolyBuffer(4 + 64 + 16);
    const big = Array.from({ length: 8 }, () => allocateChaChaPolyBuffer(1 << 20)); // forces memory.grow
    early.set(Uint8Array.from({ length: 68 }, (_, i) => i));
    c.seal(3, early, 0, 64);
    expect(c.open(3, early, 0, 64)).toBe(true);
    expect(Array.from(early.subarray(0, 68))).toEqual(Array.from({ length: 68 }, (_, i) => i));
    for (const b of big) releaseChaChaPolyBuffer(b);
    releaseChaChaPolyBuffer(early);
    expect(() => releaseChaChaPolyBuffer(new Uint8Array(10))).toThrow(RangeError);
    c.dispose();
  });
});

describe("instances", () => {
  test("two directions and many connections do not interfere", () => {
    const keys = Array.from({ length: 40 }, (_, i) => Uint8Array.from({ length: 64 }, (_, j) => (i * 64 + j) & 0xff));
    const fast = keys.map((k) => [new ChaChaPolyOpenSsh(k), new ChaChaPolyOpenSsh(k)] as const);
    const ref = keys.map((k) => new ChaChaPolyOpenSshReference(k));
    for (let round = 0; round < 3; round++) {
      fast.forEach(([sealer, opener], i) => {
        const len = 8 * (1 + ((i * 7 + round) % 40));
        const plain = Uint8Array.from({ length: 4 + len + 16 }, (_, j) => (j * 31 + i + round) & 0xff);
        new DataView(plain.buffer).setUint32(0, len);
        const a = plain.slice();
        const b = plain.slice();
        sealer.seal(round, a, 0, len);
        ref[i]!.seal(round, b, 0, len);
        expect(toHex(a)).toBe(toHex(b));
        expect(opener.openLength(round, a, 0)).toBe(len);
        expect(opener.open(round, a, 0, len)).toBe(true);
        expect(toHex(a.subarray(0, 4 + len))).toBe(toHex(plain.subarray(0, 4 + len)));
      });
    }
    for (const [s, o] of fast) { s.dispose(); o.dispose(); }
  });
  test("no Poly1305 key or length keystream is left in kernel scratch after a packet", () => {
    const c = new ChaChaPolyOpenSsh(Uint8Array.from({ length: 64 }, (_, i) => i + 1));
    const buf = new Uint8Array(4 + 1000 + 16);
    c.seal(9, buf, 0, 1000);
    const scratch = (): string => toHex(ChaChaKernel.get().u8.subarray(0, 272)); // LAYOUT.polyKey .. LAYOUT.rs end
    expect(scratch().slice(0, 256)).toBe("00".repeat(128)); // LAYOUT.polyKey, LAYOUT.tmp (pad and tag hold ciphertext)
    expect(scratch().slice(320)).toBe("00".repeat(112)); // LAYOUT.rs
    expect(c.open(9, buf, 0, 1000)).toBe(true);
    expect(scratch().slice(0, 256)).toBe("00".repeat(128));
    c.dispose();
  });
  test("a disposed cipher refuses to work", () => {
    const c = new ChaChaPolyOpenSsh(new Uint8Array(64));
    c.dispose();
    expect(() => c.seal(0, new Uint8Array(40), 0, 16)).toThrow();
  });
  test("a packet that does not fit the buffer is refused", () => {
    const c = new ChaChaPolyOpenSsh(new Uint8Array(64));
    expect(() => c.seal(0, new Uint8Array(40), 0, 24)).toThrow(RangeError);
    expect(() => c.open(0, new Uint8Array(40), 1, 20)).toThrow(RangeError);
    c.dispose();
  });
});
