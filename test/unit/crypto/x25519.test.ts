// X25519 (RFC 7748) against Wycheproof and the RFC 7748 vectors, and the curve25519-sha256 exchanges (RFC 8731).
import { describe, expect, test } from "bun:test";
import { KEX_SPECS } from "../../../core/crypto/specs-kex.ts";
import { KexError } from "../../../core/crypto/types.ts";
import {
  CURVE25519_SHA256,
  CURVE25519_SHA256_LIBSSH,
  x25519Generate,
  x25519PrivateKeyFromRaw,
  x25519PublicFromPrivate,
  x25519Shared,
} from "../../../core/crypto/x25519.ts";
import { fromHex, loadVectors, toHex, wycheproof, type WycheproofTest } from "../../helpers/vectors.ts";

interface XdhTest extends WycheproofTest {
  public: string;
  private: string;
  shared: string;
}

function sharedOrReject(priv: Uint8Array, pub: Uint8Array): string {
  try {
    return toHex(x25519Shared(priv, pub));
  } catch (e) {
    expect(e).toBeInstanceOf(KexError);
    return "rejected";
  }
}

describe("X25519 Wycheproof x25519_test.json", () => {
  const cases = wycheproof<{ tests: XdhTest[] }, XdhTest>("x25519_test.json");
  test("file has all 518 tests", () => expect(cases.length).toBe(518));
  test.each(cases.map(({ test: t }) => [t.tcId, t.comment, t] as const))("tcId %i %s", (_id, _c, t) => {
    const got = sharedOrReject(fromHex(t.private), fromHex(t.public));
    if (t.flags.includes("ZeroSharedSecret")) {
      // Decision for "acceptable" + ZeroSharedSecret / LowOrderPublic: RFC 8731 §3 requires aborting on an all-zero
      // shared secret, so SSH MUST reject these.
      expect(t.shared).toBe("0".repeat(64));
      expect(got).toBe("rejected");
    } else if (t.result === "acceptable") {
      // Decision for the other "acceptable" flags (Twist, NonCanonicalPublic, SmallPublicKey, SpecialPublicKey,
      // EdgeCaseShared, EdgeCaseMultiplication, Ktv): RFC 7748 §5 accepts any 32-byte u (top bit masked, u reduced mod p),
      // and so does OpenSSH; they MUST be accepted and give exactly `shared`.
      expect(got).toBe(t.shared);
    } else if (t.result === "valid") {
      expect(got).toBe(t.shared);
    } else {
      expect(got).toBe("rejected");
    }
  });
});

describe("X25519 RFC 7748", () => {
  const file = loadVectors<{ tests: Record<string, string>[] }>("rfc/rfc7748_x25519.json");
  test.each(file.tests.filter((t) => t.scalar !== undefined).map((t) => [t.name!, t] as const))("%s", (_n, t) => {
    expect(toHex(x25519Shared(fromHex(t.scalar!), fromHex(t.u!)))).toBe(t.output!);
  });
  test("§5.2 iterated: 1 and 1000 iterations (1,000,000 left to FUZZ_RUNS ≥ 1e6: about a minute)", () => {
    const t = file.tests.find((x) => x.after_1 !== undefined)!;
    let k = fromHex("09".padEnd(64, "0"));
    let u = fromHex("09".padEnd(64, "0"));
    const iterations = Number(process.env.FUZZ_RUNS ?? 0) >= 1_000_000 ? 1_000_000 : 1000;
    for (let i = 1; i <= iterations; i++) {
      const r = x25519Shared(k, u);
      u = k;
      k = r;
      if (i === 1) expect(toHex(k)).toBe(t.after_1!);
      if (i === 1000) expect(toHex(k)).toBe(t.after_1000!);
      if (i === 1_000_000) expect(toHex(k)).toBe(t.after_1000000!);
    }
  });
  test("§6.1 Diffie-Hellman: public keys and shared secret", () => {
    const t = file.tests.find((x) => x.alice_private !== undefined)!;
    const a = x25519PrivateKeyFromRaw(fromHex(t.alice_private!));
    const b = x25519PrivateKeyFromRaw(fromHex(t.bob_private!));
    expect(toHex(x25519PublicFromPrivate(a))).toBe(t.alice_public!);
    expect(toHex(x25519PublicFromPrivate(b))).toBe(t.bob_public!);
    expect(toHex(x25519Shared(a, fromHex(t.bob_public!)))).toBe(t.shared_secret!);
    expect(toHex(x25519Shared(b, fromHex(t.alice_public!)))).toBe(t.shared_secret!);
  });
});

describe("x25519Generate / x25519Shared", () => {
  test("both sides agree; keys are raw 32 bytes", () => {
    const a = x25519Generate();
    const b = x25519Generate();
    expect(a.publicKey.length).toBe(32);
    expect(toHex(x25519Shared(a.privateKey, b.publicKey))).toBe(toHex(x25519Shared(b.privateKey, a.publicKey)));
    expect(toHex(x25519PublicFromPrivate(a.privateKey))).toBe(toHex(a.publicKey));
  });
  test.each([0, 1, 31, 33, 64])("a %i-byte peer key throws KexError", (n) => {
    expect(() => x25519Shared(x25519Generate().privateKey, new Uint8Array(n))).toThrow(KexError);
  });
});

describe.each([CURVE25519_SHA256, CURVE25519_SHA256_LIBSSH].map((s) => [s.name, s] as const))("%s", (_name, spec) => {
  test("registered in KEX_SPECS with SHA-256, not legacy", () => {
    expect(KEX_SPECS).toContain(spec);
    expect([spec.hash, spec.legacy]).toEqual(["sha256", false]);
  });
  test("client and server agree on K, an mpint of the 32-byte secret", async () => {
    for (let i = 0; i < 20; i++) {
      const client = await spec.clientInit();
      expect(client.message.length).toBe(32);
      const server = await spec.serverRespond(client.message);
      expect(server.message.length).toBe(32);
      const k = await client.finish(server.message);
      expect(toHex(k)).toBe(toHex(server.sharedSecret));
      // RFC 8731 §3.1: mpint (uint32 length ‖ minimal two's complement) of the big-endian reading of X25519's output
      const len = new DataView(k.buffer, k.byteOffset).getUint32(0);
      expect(len).toBe(k.length - 4);
      expect(len).toBeLessThanOrEqual(33);
      if (len === 33) expect(k[4]).toBe(0);
      else expect(k[4]! & 0x80).toBe(0);
      expect(k[4] === 0 && len > 0 ? (k[5]! & 0x80) !== 0 : true).toBe(true);
    }
  });
  test.each([
    ["all-zero (order 1)", "00".repeat(32)],
    ["u = 1 (order 4)", "01".padEnd(64, "0")],
    ["order-8 point", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"],
    ["p (non-canonical 0)", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"],
  ])("low-order peer %s: server and client throw KexError", async (_n, hex) => {
    await expect(spec.serverRespond(fromHex(hex))).rejects.toBeInstanceOf(KexError);
    const client = await spec.clientInit();
    await expect(client.finish(fromHex(hex))).rejects.toBeInstanceOf(KexError);
  });
  test.each([0, 31, 33, 65])("a %i-byte peer value throws KexError", async (n) => {
    await expect(spec.serverRespond(new Uint8Array(n).fill(9))).rejects.toBeInstanceOf(KexError);
    const client = await spec.clientInit();
    await expect(client.finish(new Uint8Array(n).fill(9))).rejects.toBeInstanceOf(KexError);
  });
  test("a client state finishes once", async () => {
    const client = await spec.clientInit();
    const server = await spec.serverRespond(client.message);
    await client.finish(server.message);
    await expect(client.finish(server.message)).rejects.toBeInstanceOf(KexError);
  });
});

test("KEX_SPECS: unique names, none legacy, OpenSSH's default order (sntrup761 rows added by the lead)", () => {
  const names = KEX_SPECS.map((s) => s.name).filter((n) => !n.startsWith("sntrup761"));
  expect(new Set(names).size).toBe(names.length);
  expect(KEX_SPECS.every((s) => !s.legacy)).toBe(true);
  expect(names).toEqual([
    "mlkem768x25519-sha256",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
  ]);
});
