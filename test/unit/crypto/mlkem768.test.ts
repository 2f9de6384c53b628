// ML-KEM-768 through WebCrypto against every Wycheproof ML-KEM-768 vector WebCrypto can be driven with, and the hybrid
// mlkem768x25519-sha256 exchange (draft-ietf-sshm-mlkem-hybrid-kex, OpenSSH kexmlkem768x25519.c).
//
// Not drivable through WebCrypto (it has no way to inject them), hence not run here:
// - mlkem_768_encaps_test.json, the 133 valid vectors: they fix the encapsulation randomness m; WebCrypto's encapsulateBits
//   draws its own. Their `ek` is still checked to import, and every invalid (non-reduced / wrong-length) ek to be refused.
// - mlkem_768_semi_expanded_decaps_test.json, all 9: they give the expanded 2400-byte dk; Bun's WebCrypto (BoringSSL) imports
//   ML-KEM private keys only from the 64-byte seed ("raw-seed", or PKCS#8 with a seed: "Importing an ML-KEM PKCS#8 key
//   without a seed is not supported").
// - mlkem_768_keygen_seed_test.json: the `dk` half (WebCrypto exports no expanded dk); ek is compared for all 100.
import { describe, expect, test } from "bun:test";
import {
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
  MLKEM768X25519_SHA256,
  mlkem768Decapsulate,
  mlkem768Encapsulate,
  mlkem768FromSeed,
  mlkem768Generate,
} from "../../../core/crypto/mlkem768.ts";
import { KEX_SPECS } from "../../../core/crypto/specs-kex.ts";
import { KexError } from "../../../core/crypto/types.ts";
import { sha256, x25519Generate, x25519Shared } from "../../../core/crypto/x25519.ts";
import { fromHex, toHex, wycheproof, type WycheproofTest } from "../../helpers/vectors.ts";

interface KemTest extends WycheproofTest {
  seed: string;
  ek?: string;
  c: string;
  K: string;
}
interface EncapsTest extends WycheproofTest {
  m: string;
  ek: string;
  c: string;
  K: string;
}
interface KeyGenTest extends WycheproofTest {
  seed: string;
  ek: string;
  dk: string;
}

async function rejects(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (e) {
    expect(e).toBeInstanceOf(KexError);
    return true;
  }
}

describe("ML-KEM-768 Wycheproof mlkem_768_test.json (seed → decapsulate)", () => {
  const cases = wycheproof<{ tests: KemTest[] }, KemTest>("mlkem_768_test.json");
  test("file has all 193 tests", () => expect(cases.length).toBe(193));
  test.each(cases.map(({ test: t }) => [t.tcId, t.comment ?? "", t] as const))("tcId %i %s", async (_id, _c, t) => {
    // No "acceptable" results in this file; Strcmp (a K with a zero byte) is valid and must match exactly.
    expect(t.result).not.toBe("acceptable");
    const seed = fromHex(t.seed);
    if (t.result === "valid") {
      const pair = await mlkem768FromSeed(seed);
      if (t.ek !== undefined) expect(toHex(pair.publicKey)).toBe(t.ek);
      expect(toHex(await mlkem768Decapsulate(pair.privateKey, fromHex(t.c)))).toBe(t.K);
      return;
    }
    // invalid: wrong-length seed ("Private key too short/long") or wrong-length ciphertext
    const refused = (await rejects(mlkem768FromSeed(seed))) ||
      (await rejects(mlkem768FromSeed(seed).then((p) => mlkem768Decapsulate(p.privateKey, fromHex(t.c)))));
    expect(refused).toBe(true);
  });
});

describe("ML-KEM-768 Wycheproof mlkem_768_keygen_seed_test.json (ek only)", () => {
  const cases = wycheproof<{ tests: KeyGenTest[] }, KeyGenTest>("mlkem_768_keygen_seed_test.json");
  test("file has all 100 tests, all valid", () => {
    expect(cases.length).toBe(100);
    expect(cases.every(({ test: t }) => t.result === "valid")).toBe(true);
  });
  test.each(cases.map(({ test: t }) => [t.tcId, t] as const))("tcId %i", async (_id, t) => {
    const pair = await mlkem768FromSeed(fromHex(t.seed));
    expect(toHex(pair.publicKey)).toBe(t.ek);
    // FIPS 203 §7.1: dk = dk_PKE ‖ ek ‖ H(ek) ‖ z; check the parts derivable from ek and the seed.
    const dk = fromHex(t.dk);
    expect(toHex(dk.subarray(1152, 1152 + 1184))).toBe(t.ek);
    expect(toHex(dk.subarray(2400 - 32))).toBe(t.seed.slice(64));
  });
});

describe("ML-KEM-768 Wycheproof mlkem_768_encaps_test.json (ek validation; fixed m not drivable)", () => {
  const cases = wycheproof<{ tests: EncapsTest[] }, EncapsTest>("mlkem_768_encaps_test.json");
  test("file has all 265 tests", () => expect(cases.length).toBe(265));
  test.each(cases.map(({ test: t }) => [t.tcId, t.comment ?? t.flags.join(","), t] as const))("tcId %i %s", async (_id, _c, t) => {
    expect(t.result).not.toBe("acceptable");
    const ek = fromHex(t.ek);
    if (t.result === "invalid") {
      // ModulusOverflow / "Public key not reduced" (FIPS 203 §7.2 input check) and wrong lengths must be refused.
      expect(await rejects(mlkem768Encapsulate(ek))).toBe(true);
      return;
    }
    const { ciphertext, sharedKey } = await mlkem768Encapsulate(ek);
    expect([ciphertext.length, sharedKey.length]).toEqual([MLKEM768_CIPHERTEXT_BYTES, 32]);
    expect(toHex(ciphertext).length).toBe(t.c.length);
  });
});

describe("ML-KEM-768 wrapper", () => {
  test("generate → encapsulate → decapsulate agree", async () => {
    const pair = await mlkem768Generate();
    expect(pair.publicKey.length).toBe(MLKEM768_PUBLIC_KEY_BYTES);
    const { ciphertext, sharedKey } = await mlkem768Encapsulate(pair.publicKey);
    expect(toHex(await mlkem768Decapsulate(pair.privateKey, ciphertext))).toBe(toHex(sharedKey));
  });
  test("a forged ciphertext yields the implicit-rejection key, not an error", async () => {
    const pair = await mlkem768Generate();
    const { ciphertext, sharedKey } = await mlkem768Encapsulate(pair.publicKey);
    ciphertext[5]! ^= 1;
    const k = await mlkem768Decapsulate(pair.privateKey, ciphertext);
    expect(k.length).toBe(32);
    expect(toHex(k)).not.toBe(toHex(sharedKey));
  });
  test.each([0, 1087, 1089])("a %i-byte ciphertext throws KexError", async (n) => {
    const pair = await mlkem768Generate();
    expect(await rejects(mlkem768Decapsulate(pair.privateKey, new Uint8Array(n)))).toBe(true);
  });
});

describe("mlkem768x25519-sha256", () => {
  const spec = MLKEM768X25519_SHA256;
  test("registered first in KEX_SPECS (OpenSSH's default order), SHA-256", () => {
    expect(KEX_SPECS[0]).toBe(spec);
    expect([spec.name, spec.hash, spec.legacy]).toEqual(["mlkem768x25519-sha256", "sha256", false]);
  });
  test("client and server agree; K is string(SHA-256(K_mlkem ‖ K_x25519))", async () => {
    for (let i = 0; i < 5; i++) {
      const client = await spec.clientInit();
      expect(client.message.length).toBe(1184 + 32);
      const server = await spec.serverRespond(client.message);
      expect(server.message.length).toBe(1088 + 32);
      const k = await client.finish(server.message);
      expect(toHex(k)).toBe(toHex(server.sharedSecret));
      expect(toHex(k.subarray(0, 4))).toBe("00000020");
      expect(k.length).toBe(36);
    }
  });
  test("K is built as OpenSSH builds it (independent composition from the primitives)", async () => {
    const kem = await mlkem768Generate();
    const ecdh = x25519Generate();
    const server = await spec.serverRespond(new Uint8Array([...kem.publicKey, ...ecdh.publicKey]));
    const kemKey = await mlkem768Decapsulate(kem.privateKey, server.message.subarray(0, 1088));
    const ecdhKey = x25519Shared(ecdh.privateKey, server.message.subarray(1088));
    expect(toHex(server.sharedSecret)).toBe("00000020" + toHex(sha256(kemKey, ecdhKey)));
  });
  test.each([0, 32, 1184, 1215, 1217])("a %i-byte client message throws KexError", async (n) => {
    expect(await rejects(spec.serverRespond(new Uint8Array(n)))).toBe(true);
  });
  test.each([0, 1088, 1119, 1121])("a %i-byte server message throws KexError", async (n) => {
    const client = await spec.clientInit();
    expect(await rejects(client.finish(new Uint8Array(n)))).toBe(true);
  });
  test("low-order X25519 halves throw KexError on both sides", async () => {
    const client = await spec.clientInit();
    const bad = client.message.slice();
    bad.fill(0, 1184);
    expect(await rejects(spec.serverRespond(bad))).toBe(true);
    const server = await spec.serverRespond(client.message);
    const badReply = server.message.slice();
    badReply.fill(0, 1088);
    expect(await rejects(client.finish(badReply))).toBe(true);
  });
  test("a non-reduced ML-KEM key in the client message throws KexError", async () => {
    const client = await spec.clientInit();
    const bad = client.message.slice();
    bad.fill(0xff, 0, 384); // 12-bit coefficients of 0xfff ≥ q = 3329
    expect(await rejects(spec.serverRespond(bad))).toBe(true);
  });
});
