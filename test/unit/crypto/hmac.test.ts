// hmac-sha1 / hmac-sha2-256 / hmac-sha2-512 (RFC 2104, RFC 6668): every Wycheproof MAC test, and the SSH framing
// MAC(key, uint32 seq ‖ data) against node:crypto's createHmac.
import { describe, expect, test } from "bun:test";
import { createHmac, randomBytes } from "node:crypto";
import { Hmac, type HmacHash } from "../../../core/crypto/hmac.ts";
import { fromHex, misaligned, toHex, wycheproof, type WycheproofTest } from "../../helpers/vectors.ts";

interface MacGroup {
  keySize: number;
  tagSize: number;
  tests: MacTest[];
}
interface MacTest extends WycheproofTest {
  key: string;
  msg: string;
  tag: string;
}

const FILES: [HmacHash, string, number][] = [
  ["sha1", "hmac_sha1_test.json", 20],
  ["sha256", "hmac_sha256_test.json", 32],
  ["sha512", "hmac_sha512_test.json", 64],
];

describe.each(FILES)("Wycheproof HMAC-%s", (hash, file, digestBytes) => {
  const cases = wycheproof<MacGroup, MacTest>(file);
  test.each(cases.map(({ group, test: t }) => [t.tcId, t.comment, group.tagSize, t] as const))("tcId %i %s (tag %i bits)", (_id, _c, tagBits, t) => {
    // Truncated-tag groups compare the prefix (RFC 2104 §5).
    const tagBytes = tagBits / 8;
    expect(tagBytes).toBeLessThanOrEqual(digestBytes);
    const mac = new Hmac(hash, fromHex(t.key), tagBytes);
    const msg = fromHex(t.msg);
    for (const offset of [0, 1, 3]) {
      const { buf, off } = misaligned(msg, offset);
      const out = new Uint8Array(tagBytes + 2);
      mac.authenticate(buf, off, msg.length, out, 1);
      expect(toHex(out.subarray(1, 1 + tagBytes)) === t.tag).toBe(t.result === "valid");
      expect(out[0]).toBe(0);
      expect(out[tagBytes + 1]).toBe(0);
    }
  });
});

describe("Hmac as an SSH MAC", () => {
  test.each(FILES)("%s: compute/verify = HMAC(key, uint32 seq ‖ data) at any offset", (hash, _file, digestBytes) => {
    const key = randomBytes(digestBytes);
    const mac = new Hmac(hash, key);
    expect(mac.tagBytes).toBe(digestBytes);
    for (const seq of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) {
      for (const [len, offset] of [[0, 0], [5, 1], [64, 3], [1000, 2]] as const) {
        const data = randomBytes(len);
        const seqBytes = Buffer.alloc(4);
        seqBytes.writeUInt32BE(seq);
        const expected = createHmac(hash, key).update(seqBytes).update(data).digest("hex");
        const { buf, off } = misaligned(data, offset, digestBytes);
        mac.compute(seq, buf, off, len, buf, off + len);
        expect(toHex(buf.subarray(off + len))).toBe(expected);
        expect(mac.verify(seq, buf, off, len, buf, off + len)).toBe(true);
        expect(mac.verify((seq + 1) >>> 0, buf, off, len, buf, off + len)).toBe(false);
        buf[off + len + digestBytes - 1]! ^= 0x80;
        expect(mac.verify(seq, buf, off, len, buf, off + len)).toBe(false);
      }
    }
  });
  test("verify refuses a tag that runs past its buffer", () => {
    const mac = new Hmac("sha256", new Uint8Array(32));
    expect(mac.verify(0, new Uint8Array(8), 0, 8, new Uint8Array(31), 0)).toBe(false);
  });
  test("unusable after dispose", () => {
    const mac = new Hmac("sha1", new Uint8Array(20));
    mac.dispose();
    expect(() => mac.compute(0, new Uint8Array(1), 0, 1, new Uint8Array(20), 0)).toThrow();
  });
});
