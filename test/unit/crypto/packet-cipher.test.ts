// composePacketCipher: RFC 4253 §6 encrypt-and-MAC, OpenSSH PROTOCOL §1.5 encrypt-then-MAC and `none`, checked byte for byte
// against node:crypto and the UMAC twin, plus the registry rows in specs-aes-mac.ts.
import { describe, expect, test } from "bun:test";
import { createCipheriv, createHmac } from "node:crypto";
import { AesCtr } from "../../../core/crypto/aes-ctr.ts";
import { Hmac } from "../../../core/crypto/hmac.ts";
import { composePacketCipher } from "../../../core/crypto/packet-cipher.ts";
import { CIPHER_SPECS_AES, MAC_SPECS } from "../../../core/crypto/specs-aes-mac.ts";
import type { PacketCipher } from "../../../core/crypto/types.ts";
import { Umac } from "../../../core/crypto/umac.ts";
import { umacReference } from "../../reference/umac-reference.ts";
import { toHex } from "../../helpers/vectors.ts";

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17 + 5) & 0xff);
const u32 = (v: number): Uint8Array => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/** A plaintext packet (RFC 4253 §6) for `payload`, padded to `block` with the length field counted unless `lengthIsAad`. */
function packet(payload: Uint8Array, block: number, lengthIsAad: boolean): { plain: Uint8Array; len: number } {
  const base = (lengthIsAad ? 0 : 4) + 1 + payload.length;
  let pad = block - (base % block);
  if (pad < 4) pad += block;
  const len = 1 + payload.length + pad;
  return { plain: cat(u32(len), Uint8Array.of(pad), payload, bytes(pad, 99)), len };
}

const KEY = bytes(32, 1).subarray(0, 16);
const IV = bytes(16, 2);
const MAC_KEY = bytes(32, 3);

describe("encrypt-and-MAC (RFC 4253 §6)", () => {
  test("aes128-ctr + hmac-sha2-256: ciphertext = CTR(packet), tag = HMAC(seq ‖ plaintext packet)", () => {
    const sealer = composePacketCipher(new AesCtr(KEY, IV), new Hmac("sha256", MAC_KEY), false);
    expect([sealer.blockBytes, sealer.tagBytes, sealer.lengthBytes, sealer.lengthIsAad]).toEqual([16, 32, 16, false]);
    const ctr = createCipheriv("aes-128-ctr", KEY, IV);
    for (const [seq, n] of [[3, 20], [4, 0], [5, 300]] as const) {
      const { plain, len } = packet(bytes(n, seq), 16, false);
      const buf = new Uint8Array(1 + plain.length + 32 + 1);
      buf.set(plain, 1);
      sealer.seal(seq, buf, 1, len);
      const expected = cat(ctr.update(plain), createHmac("sha256", MAC_KEY).update(u32(seq)).update(plain).digest());
      expect(toHex(buf.subarray(1, buf.length - 1))).toBe(toHex(expected));
      expect([buf[0], buf[buf.length - 1]]).toEqual([0, 0]);
    }
  });
  test("umac-64: tag = UMAC(nonce = uint64 seq, plaintext packet)", () => {
    const sealer = composePacketCipher(new AesCtr(KEY, IV), new Umac(KEY, 8), false);
    const { plain, len } = packet(bytes(100, 1), 16, false);
    const buf = Uint8Array.from([...plain, ...new Uint8Array(8)]);
    sealer.seal(77, buf, 0, len);
    expect(toHex(buf.subarray(4 + len))).toBe(toHex(umacReference(KEY, cat(u32(0), u32(77)), plain, 8)));
  });
  test("openLength decrypts the first block in place; open decrypts the rest and checks the MAC", () => {
    const mk = (): PacketCipher => composePacketCipher(new AesCtr(KEY, IV), new Hmac("sha1", MAC_KEY), false);
    const sealer = mk();
    const opener = mk();
    for (let seq = 0; seq < 4; seq++) {
      const { plain, len } = packet(bytes(seq * 50, seq), 16, false);
      const buf = Uint8Array.from([...plain, ...new Uint8Array(20)]);
      sealer.seal(seq, buf, 0, len);
      expect(opener.openLength(seq, buf, 0)).toBe(len);
      expect(toHex(buf.subarray(0, 16))).toBe(toHex(plain.subarray(0, 16)));
      expect(opener.open(seq, buf, 0, len)).toBe(true);
      expect(toHex(buf.subarray(0, 4 + len))).toBe(toHex(plain));
    }
  });
  test("the none cipher with no MAC leaves packets as they are (block 8, no tag)", () => {
    const none = composePacketCipher(null, null, false);
    expect([none.blockBytes, none.tagBytes, none.lengthBytes, none.lengthIsAad]).toEqual([8, 0, 4, false]);
    const { plain, len } = packet(bytes(9, 1), 8, false);
    const buf = plain.slice();
    none.seal(0, buf, 0, len);
    expect(toHex(buf)).toBe(toHex(plain));
    expect(none.openLength(0, buf, 0)).toBe(len);
    expect(none.open(0, buf, 0, len)).toBe(true);
    expect(none.open(0, buf, 0, len + 1)).toBe(false); // not a multiple of 8
  });
});

describe("encrypt-then-MAC (OpenSSH PROTOCOL §1.5)", () => {
  test("aes256-ctr + hmac-sha2-512-etm: length in clear, tag = HMAC(seq ‖ length ‖ ciphertext)", () => {
    const key = bytes(32, 5);
    const sealer = composePacketCipher(new AesCtr(key, IV), new Hmac("sha512", MAC_KEY), true);
    expect([sealer.blockBytes, sealer.tagBytes, sealer.lengthBytes, sealer.lengthIsAad]).toEqual([16, 64, 4, true]);
    const ctr = createCipheriv("aes-256-ctr", key, IV);
    for (const seq of [0xfffffffe, 0xffffffff, 0]) {
      const { plain, len } = packet(bytes(seq & 0xff, 7), 16, true);
      expect(len % 16).toBe(0);
      const buf = Uint8Array.from([...plain, ...new Uint8Array(64)]);
      sealer.seal(seq, buf, 0, len);
      const ct = ctr.update(plain.subarray(4));
      const tag = createHmac("sha512", MAC_KEY).update(u32(seq)).update(u32(len)).update(ct).digest();
      expect(toHex(buf)).toBe(toHex(cat(u32(len), ct, tag)));
    }
  });
  test("umac-128-etm: tag = UMAC(nonce = uint64 seq, length ‖ ciphertext); a forged packet stays untouched", () => {
    const mk = (): PacketCipher => composePacketCipher(new AesCtr(KEY, IV), new Umac(KEY, 16), true);
    const sealer = mk();
    const opener = mk();
    const { plain, len } = packet(bytes(40, 9), 16, true);
    const buf = Uint8Array.from([...plain, ...new Uint8Array(16)]);
    sealer.seal(9, buf, 0, len);
    expect(toHex(buf.subarray(4 + len))).toBe(toHex(umacReference(KEY, cat(u32(0), u32(9)), buf.subarray(0, 4 + len), 16)));
    const forged = buf.slice();
    forged[7]! ^= 1;
    expect(opener.openLength(9, forged, 0)).toBe(len);
    expect(opener.open(9, forged, 0, len)).toBe(false);
    expect(toHex(forged.subarray(0, 4 + len))).toBe(toHex(cat(buf.subarray(0, 7), Uint8Array.of(buf[7]! ^ 1), buf.subarray(8, 4 + len))));
    // The keystream did not move: the genuine packet opens next.
    expect(opener.open(9, buf, 0, len)).toBe(true);
    expect(toHex(buf.subarray(0, 4 + len))).toBe(toHex(plain));
  });
  test("refuses an encrypted part that is not whole blocks, and etm without a MAC", () => {
    const opener = composePacketCipher(new AesCtr(KEY, IV), new Hmac("sha256", MAC_KEY), true);
    expect(opener.open(0, new Uint8Array(100), 0, 24)).toBe(false);
    expect(() => composePacketCipher(null, null, true)).toThrow();
  });
});

describe("registry rows (specs-aes-mac.ts)", () => {
  test("cipher rows build working ciphers of the advertised sizes", () => {
    expect(CIPHER_SPECS_AES.filter((c) => !c.legacy).map((c) => c.name)).toEqual(["aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr"]);
    expect(CIPHER_SPECS_AES.filter((c) => c.legacy).map((c) => c.name)).toEqual(["aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc"]);
    for (const spec of CIPHER_SPECS_AES) {
      const key = bytes(spec.keyBytes, 1);
      const iv = bytes(spec.ivBytes, 2);
      if (spec.aead) {
        const c = spec.createAead!(key, iv, "seal");
        expect([c.blockBytes, c.tagBytes, c.lengthBytes, c.lengthIsAad]).toEqual([spec.blockBytes, spec.tagBytes, 4, true]);
      } else {
        expect(spec.createStream!(key, iv, "seal").blockBytes).toBe(spec.blockBytes);
        expect(spec.tagBytes).toBe(0);
      }
    }
  });
  test("MAC rows are OpenSSH's default list, in its order, with matching sizes", () => {
    expect(MAC_SPECS.filter((m) => m.legacy).map((m) => m.name)).toEqual([
      "hmac-sha1-96", "hmac-md5", "hmac-md5-96", "hmac-sha1-96-etm@openssh.com", "hmac-md5-etm@openssh.com", "hmac-md5-96-etm@openssh.com",
    ]);
    expect(MAC_SPECS.filter((m) => !m.legacy).map((m) => m.name)).toEqual([
      "umac-64-etm@openssh.com",
      "umac-128-etm@openssh.com",
      "hmac-sha2-256-etm@openssh.com",
      "hmac-sha2-512-etm@openssh.com",
      "hmac-sha1-etm@openssh.com",
      "umac-64@openssh.com",
      "umac-128@openssh.com",
      "hmac-sha2-256",
      "hmac-sha2-512",
      "hmac-sha1",
    ]);
    for (const spec of MAC_SPECS) {
      expect(spec.etm).toBe(spec.name.includes("-etm@"));
      expect(spec.create(bytes(spec.keyBytes, 4)).tagBytes).toBe(spec.tagBytes);
    }
  });
});
