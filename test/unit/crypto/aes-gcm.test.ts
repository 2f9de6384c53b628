// aes128-gcm@openssh.com / aes256-gcm@openssh.com: Wycheproof AES-GCM through the exported primitives, the shared SSH packet
// vectors, and RFC 5647 §7.1's invocation counter.
import { describe, expect, test } from "bun:test";
import { createCipheriv } from "node:crypto";
import { AesGcmOpenSsh, aesGcmKey, aesGcmOpen, aesGcmSeal } from "../../../core/crypto/aes-gcm-openssh.ts";
import { fromHex, loadVectors, misaligned, toHex, wycheproof, type WycheproofTest } from "../../helpers/vectors.ts";

interface AeadGroup {
  ivSize: number;
  keySize: number;
  tagSize: number;
  tests: AeadTest[];
}
interface AeadTest extends WycheproofTest {
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
}

// SSH uses 96-bit nonces, 128-bit tags and 128/256-bit keys only (RFC 5647 §7.1, §7.3).
const SSH_USABLE = wycheproof<AeadGroup, AeadTest>("aes_gcm_test.json").filter(
  ({ group }) => group.ivSize === 96 && group.tagSize === 128 && (group.keySize === 128 || group.keySize === 256),
);

describe("Wycheproof aes_gcm_test.json (ivSize 96, tagSize 128, keySize 128/256)", () => {
  test("covers a meaningful share of the file", () => {
    expect(SSH_USABLE.length).toBeGreaterThan(100);
  });
  test.each(SSH_USABLE.map(({ test: t }) => [t.tcId, t.comment, t] as const))("tcId %i %s", (_id, _comment, t) => {
    const k = aesGcmKey(fromHex(t.key));
    const iv = fromHex(t.iv);
    const aad = fromHex(t.aad);
    const msg = fromHex(t.msg);
    const ct = fromHex(t.ct);
    for (const offset of [0, 1, 3]) {
      // open: must accept exactly the valid vectors, and leave the ciphertext untouched otherwise.
      const { buf, off } = misaligned(ct, offset, 16);
      buf.set(fromHex(t.tag), off + ct.length);
      const before = toHex(buf);
      const ok = aesGcmOpen(k, iv, aad, buf, off, ct.length, buf, off + ct.length);
      expect(ok).toBe(t.result === "valid");
      if (ok) expect(toHex(buf.subarray(off, off + ct.length))).toBe(t.msg);
      else expect(toHex(buf)).toBe(before);
      // seal: valid vectors reproduce ct ‖ tag byte for byte.
      if (t.result === "valid") {
        const s = misaligned(msg, offset, 16);
        aesGcmSeal(k, iv, aad, s.buf, s.off, msg.length, s.buf, s.off + msg.length);
        expect(toHex(s.buf.subarray(s.off, s.off + msg.length + 16))).toBe(t.ct + t.tag);
      }
    }
  });
});

interface SshGcmVector {
  packet_index: number;
  key: string;
  initial_iv_from_kex: string;
  iv_used_for_this_packet: string;
  "plaintext_packet (uint32 length || padding_length || payload || padding)": string;
  "aad (packet length, unencrypted on the wire)": string;
  ciphertext: string;
  tag: string;
  wire_bytes: string;
}
const SSH_VECTORS = loadVectors<Record<string, SshGcmVector[]>>("ssh/ssh_transport_aead_packets.json")["aes256-gcm@openssh.com"]!;

describe("ssh_transport_aead_packets.json aes256-gcm@openssh.com", () => {
  test("a sealer and an opener reproduce the packets in order", () => {
    const first = SSH_VECTORS[0]!;
    const sealer = new AesGcmOpenSsh(fromHex(first.key), fromHex(first.initial_iv_from_kex));
    const opener = AesGcmOpenSsh.create(fromHex(first.key), fromHex(first.initial_iv_from_kex), "open");
    SSH_VECTORS.forEach((v, i) => {
      expect(v.packet_index).toBe(i);
      expect(toHex(sealer.currentIv())).toBe(v.iv_used_for_this_packet);
      const plain = fromHex(v["plaintext_packet (uint32 length || padding_length || payload || padding)"]);
      const len = plain.length - 4;
      const { buf, off } = misaligned(plain, 1 + i, 16);
      sealer.seal(i, buf, off, len);
      expect(toHex(buf.subarray(off, off + 4 + len + 16))).toBe(v.wire_bytes);
      expect(opener.openLength(i, buf, off)).toBe(len);
      expect(opener.open(i, buf, off, len)).toBe(true);
      expect(toHex(buf.subarray(off, off + 4 + len))).toBe(toHex(plain));
    });
  });
});

describe("large packets at every alignment (the split update in updateInto)", () => {
  test.each([2048, 2064, 4096, 32768 + 16, 262144])("%i bytes", (len) => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const iv = Uint8Array.from({ length: 12 }, (_, i) => 100 + i);
    const plain = Uint8Array.from({ length: 4 + len }, (_, i) => (i * 7) & 0xff);
    new DataView(plain.buffer).setUint32(0, len);
    const c = createCipheriv("aes-256-gcm", key, iv);
    c.setAAD(plain.subarray(0, 4));
    const expected = toHex(Buffer.concat([plain.subarray(0, 4), c.update(plain.subarray(4)), c.final(), c.getAuthTag()]));
    for (let offset = 0; offset < 16; offset++) {
      const { buf, off } = misaligned(plain, offset, 16 + 3);
      new AesGcmOpenSsh(key, iv).seal(0, buf, off, len);
      expect(toHex(buf.subarray(off, off + 4 + len + 16))).toBe(expected);
      const forged = buf.slice();
      forged[off + 4 + len - 1]! ^= 1;
      expect(new AesGcmOpenSsh(key, iv).open(0, forged, off, len)).toBe(false);
      expect(forged.subarray(off + 4, off + 4 + len).every((b, i) => b === buf[off + 4 + i] || i === len - 1)).toBe(true);
      expect(new AesGcmOpenSsh(key, iv).open(0, buf, off, len)).toBe(true);
      expect(toHex(buf.subarray(off, off + 4 + len))).toBe(toHex(plain));
      expect(buf.subarray(off + 4 + len + 16).every((b) => b === 0)).toBe(true);
    }
  });
});

describe("RFC 5647 §7.1 invocation counter", () => {
  const key = new Uint8Array(16).fill(9);
  const packet = (): Uint8Array => Uint8Array.of(0, 0, 0, 16, ...new Uint8Array(16).fill(4), ...new Uint8Array(16));
  test("advances by one per sealed packet, carrying across bytes", () => {
    const c = new AesGcmOpenSsh(key, fromHex("a1a2a3a4000000000000fffe"));
    c.seal(0, packet(), 0, 16);
    expect(toHex(c.currentIv())).toBe("a1a2a3a4000000000000ffff");
    c.seal(1, packet(), 0, 16);
    expect(toHex(c.currentIv())).toBe("a1a2a3a40000000000010000");
  });
  test("wraps from 2^64 - 1 to 0 and leaves the fixed field alone", () => {
    const c = new AesGcmOpenSsh(key, fromHex("01020304ffffffffffffffff"));
    const sealed = packet();
    c.seal(0, sealed, 0, 16);
    expect(toHex(c.currentIv())).toBe("010203040000000000000000");
    // The packet was sealed under the pre-wrap nonce: an opener at that nonce accepts it.
    const o = new AesGcmOpenSsh(key, fromHex("01020304ffffffffffffffff"));
    expect(o.open(0, sealed, 0, 16)).toBe(true);
    expect(toHex(o.currentIv())).toBe("010203040000000000000000");
  });
  test("a failed open keeps the counter and the ciphertext, so the genuine packet still opens", () => {
    const s = new AesGcmOpenSsh(key, new Uint8Array(12));
    const o = new AesGcmOpenSsh(key, new Uint8Array(12));
    const p = packet();
    s.seal(0, p, 0, 16);
    const forged = p.slice();
    forged[10]! ^= 0x40;
    const before = toHex(forged);
    expect(o.open(0, forged, 0, 16)).toBe(false);
    expect(toHex(forged)).toBe(before);
    expect(toHex(o.currentIv())).toBe("000000000000000000000000");
    expect(o.open(0, p, 0, 16)).toBe(true);
  });
  test("refuses an encrypted part that is not whole blocks, or a tag past the buffer", () => {
    const o = new AesGcmOpenSsh(key, new Uint8Array(12));
    expect(o.open(0, new Uint8Array(64), 0, 20)).toBe(false);
    expect(o.open(0, new Uint8Array(4 + 32 + 8), 0, 32)).toBe(false); // the tag would run past the buffer
  });
  test("rejects wrong key and IV sizes; unusable after dispose", () => {
    expect(() => new AesGcmOpenSsh(new Uint8Array(24), new Uint8Array(12))).toThrow();
    expect(() => new AesGcmOpenSsh(new Uint8Array(16), new Uint8Array(16))).toThrow();
    const c = new AesGcmOpenSsh(key, new Uint8Array(12));
    c.dispose();
    expect(() => c.seal(0, packet(), 0, 16)).toThrow();
  });
});
