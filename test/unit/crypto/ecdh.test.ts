// ecdh-sha2-nistp256/384/521 (RFC 5656 §4): agreement, point validation, K as mpint.
import { describe, expect, test } from "bun:test";
import { createECDH } from "node:crypto";
import { ECDH_SHA2_NISTP256, ECDH_SHA2_NISTP384, ECDH_SHA2_NISTP521 } from "../../../core/crypto/ecdh.ts";
import { KEX_SPECS } from "../../../core/crypto/specs-kex.ts";
import { KexError } from "../../../core/crypto/types.ts";
import { toHex } from "../../helpers/vectors.ts";

const rows = [
  [ECDH_SHA2_NISTP256, "ecdh-sha2-nistp256", "sha256", 32, "prime256v1", "P-256",
    "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"],
  [ECDH_SHA2_NISTP384, "ecdh-sha2-nistp384", "sha384", 48, "secp384r1", "P-384",
    "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff"],
  [ECDH_SHA2_NISTP521, "ecdh-sha2-nistp521", "sha512", 66, "secp521r1", "P-521", "01" + "ff".repeat(65)],
] as const;

async function rejectsKex(p: Promise<unknown>): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(KexError);
}

describe.each(rows.map((r) => [r[1], ...r] as const))("%s", (_n, spec, name, hash, fieldBytes, nodeCurve, webCurve, pHex) => {
  const pointBytes = 1 + 2 * fieldBytes;
  test("registered, named and hashed as RFC 5656 §6.2 says", () => {
    expect(KEX_SPECS).toContain(spec);
    expect([spec.name, spec.hash, spec.legacy]).toEqual([name, hash, false]);
  });
  test("client and server agree; Q is uncompressed; K is an mpint of the x-coordinate", async () => {
    for (let i = 0; i < 5; i++) {
      const client = await spec.clientInit();
      expect([client.message.length, client.message[0]]).toEqual([pointBytes, 4]);
      const server = await spec.serverRespond(client.message);
      expect([server.message.length, server.message[0]]).toEqual([pointBytes, 4]);
      const k = await client.finish(server.message);
      expect(toHex(k)).toBe(toHex(server.sharedSecret));
      const len = new DataView(k.buffer, k.byteOffset).getUint32(0);
      expect(len).toBe(k.length - 4);
      expect(len).toBeLessThanOrEqual(fieldBytes + 1);
    }
  });
  test("K matches an independent WebCrypto ECDH derivation", async () => {
    const alg = { name: "ECDH", namedCurve: webCurve } as const;
    const peer = (await crypto.subtle.generateKey(alg, true, ["deriveBits"])) as CryptoKeyPair;
    const peerQ = new Uint8Array(await crypto.subtle.exportKey("raw", peer.publicKey));
    const server = await spec.serverRespond(peerQ);
    const serverKey = await crypto.subtle.importKey("raw", Uint8Array.from(server.message), alg, true, []);
    const x = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: serverKey }, peer.privateKey, fieldBytes * 8));
    let s = 0;
    while (s < x.length && x[s] === 0) s++;
    const mag = x.subarray(s);
    const pad = (mag[0]! & 0x80) !== 0 ? "00" : "";
    const len = (mag.length + pad.length / 2).toString(16).padStart(8, "0");
    expect(toHex(server.sharedSecret)).toBe(len + pad + toHex(mag));
  });
  const valid = (() => {
    const e = createECDH(nodeCurve);
    return Uint8Array.from(e.generateKeys());
  })();
  const compressed = (() => {
    const e = createECDH(nodeCurve);
    e.generateKeys();
    return Uint8Array.from(e.getPublicKey(null, "compressed"));
  })();
  const offCurve = valid.slice();
  offCurve[pointBytes - 1]! ^= 1;
  const xTooBig = new Uint8Array(pointBytes);
  xTooBig[0] = 4;
  xTooBig.set(Buffer.from(pHex, "hex"), 1 + fieldBytes - pHex.length / 2); // x = p (≥ p is not a field element)
  xTooBig.set(valid.subarray(1 + fieldBytes), 1 + fieldBytes);
  const bad: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["point at infinity (single 0x00)", new Uint8Array(1)],
    ["compressed point", compressed],
    ["off-curve point", offCurve],
    ["x = p", xTooBig],
    ["all-zero coordinates", Uint8Array.from([4, ...new Uint8Array(2 * fieldBytes)])],
    ["wrong prefix 0x05", Uint8Array.from([5, ...valid.subarray(1)])],
    ["one byte short", valid.subarray(0, pointBytes - 1)],
    ["one byte long", Uint8Array.from([...valid, 0])],
  ];
  test.each(bad)("%s: KexError on both sides", async (_what, q) => {
    await rejectsKex(spec.serverRespond(q));
    const client = await spec.clientInit();
    await rejectsKex(client.finish(q));
  });
  test("a client state finishes once", async () => {
    const client = await spec.clientInit();
    const server = await spec.serverRespond(client.message);
    await client.finish(server.message);
    await rejectsKex(client.finish(server.message));
  });
});
