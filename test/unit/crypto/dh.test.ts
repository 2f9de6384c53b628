// Finite-field DH (RFC 4253 §8, RFC 8268, RFC 4419) and OpenSSH's moduli file (moduli(5), dh.c choose_dh).
import { describe, expect, test } from "bun:test";
import { getDiffieHellman } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import {
  DH_GROUP1,
  DH_GROUP14,
  DH_GROUP14_SHA1,
  DH_GROUP14_SHA256,
  DH_GROUP16,
  DH_GROUP16_SHA512,
  DH_GROUP18,
  DH_GROUP18_SHA512,
  DH_GROUP1_SHA1,
  dhEstimate,
  dhFallbackGroup,
  dhGroupFromWire,
  dhPubIsValid,
  gexAgreement,
  gexClientRequest,
  gexServerRange,
  type DhGroup,
} from "../../../core/crypto/dh.ts";
import { chooseModulus, parseModuli, type ModuliEntry } from "../../../core/crypto/moduli.ts";
import { bigintFromBytes, bytesFromBigint } from "../../../core/crypto/ssh-encoding.ts";
import { KEX_SPECS, LEGACY_SHA1_KEX_SPECS } from "../../../core/crypto/specs-kex.ts";
import { type KexAgreementSpec, KexError } from "../../../core/crypto/types.ts";
import type { LegacyKexAgreementSpec } from "../../../core/crypto/dh.ts";
import { toHex } from "../../helpers/vectors.ts";

type AnySpec = KexAgreementSpec | LegacyKexAgreementSpec;

function mpintValue(k: Uint8Array): bigint {
  const len = new DataView(k.buffer, k.byteOffset).getUint32(0);
  expect(len).toBe(k.length - 4);
  if (len > 0) expect(k[4]! & 0x80).toBe(0); // non-negative
  if (len > 1 && k[4] === 0) expect(k[5]! & 0x80).not.toBe(0); // minimal
  return bigintFromBytes(k.subarray(4));
}

function badValues(group: DhGroup): [string, Uint8Array][] {
  return [
    ["0", new Uint8Array(0)],
    ["1", Uint8Array.of(1)],
    ["2 (one bit set)", Uint8Array.of(2)],
    ["2^64 + 3 (3 bits set, OpenSSH wants 4)", bytesFromBigint((1n << 64n) + 3n)],
    ["p - 1", bytesFromBigint(group.p - 1n)],
    ["p", bytesFromBigint(group.p)],
    ["p + 5", bytesFromBigint(group.p + 5n)],
    ["far longer than p", new Uint8Array(group.bits / 8 + 2).fill(0x11)],
  ];
}

const rows: [string, AnySpec, string, boolean, DhGroup][] = [
  ["diffie-hellman-group14-sha256", DH_GROUP14_SHA256, "sha256", false, DH_GROUP14],
  ["diffie-hellman-group16-sha512", DH_GROUP16_SHA512, "sha512", false, DH_GROUP16],
  ["diffie-hellman-group18-sha512", DH_GROUP18_SHA512, "sha512", false, DH_GROUP18],
  ["diffie-hellman-group14-sha1", DH_GROUP14_SHA1, "sha1", true, DH_GROUP14],
  ["diffie-hellman-group1-sha1", DH_GROUP1_SHA1, "sha1", true, DH_GROUP1],
];

describe.each(rows)("%s", (name, spec, hash, legacy, group) => {
  test("row fields and registry", () => {
    expect([spec.name, spec.hash, spec.legacy]).toEqual([name, hash, legacy]);
    if (legacy) expect(LEGACY_SHA1_KEX_SPECS).toContain(spec as LegacyKexAgreementSpec);
    else expect(KEX_SPECS).toContain(spec as KexAgreementSpec);
  });
  test("client and server agree; e, f in range; K is a minimal mpint below p", async () => {
    const client = await spec.clientInit();
    expect(dhPubIsValid(group, bigintFromBytes(client.message))).toBe(true);
    const server = await spec.serverRespond(client.message);
    expect(dhPubIsValid(group, bigintFromBytes(server.message))).toBe(true);
    const k = await client.finish(server.message);
    expect(toHex(k)).toBe(toHex(server.sharedSecret));
    const kv = mpintValue(k);
    expect(kv > 1n && kv < group.p).toBe(true);
  });
  test.each(badValues(group))("peer value %s: KexError on both sides", async (_what, v) => {
    await expect(spec.serverRespond(v)).rejects.toBeInstanceOf(KexError);
    const client = await spec.clientInit();
    await expect(client.finish(v)).rejects.toBeInstanceOf(KexError);
  });
  test("leading zeros on the peer value are tolerated (OpenSSH sshbuf_get_bignum2)", async () => {
    const client = await spec.clientInit();
    const server = await spec.serverRespond(Uint8Array.from([0, 0, ...client.message]));
    expect(toHex(await client.finish(server.message))).toBe(toHex(server.sharedSecret));
  });
});

test("the MODP primes and K agree with node:crypto's modp14 (BoringSSL; 0.5 s to build in Bun)", async () => {
  const node = getDiffieHellman("modp14");
  expect(bigintFromBytes(node.getPrime())).toBe(DH_GROUP14.p);
  const e = Uint8Array.from(node.generateKeys());
  const server = await DH_GROUP14_SHA256.serverRespond(e);
  const k = bigintFromBytes(node.computeSecret(server.message));
  expect(mpintValue(server.sharedSecret)).toBe(k);
});

describe("dhPubIsValid (OpenSSH dh_pub_is_valid)", () => {
  test.each([
    [0n, false], [1n, false], [2n, false], [0b111n, false], [0b1111n, true], [DH_GROUP14.p - 2n, true],
    [DH_GROUP14.p - 1n, false], [DH_GROUP14.p, false], [-5n, false],
  ])("%p → %p", (y, ok) => expect(dhPubIsValid(DH_GROUP14, y)).toBe(ok));
});

describe("group exchange (RFC 4419)", () => {
  test("dhEstimate / dhFallbackGroup follow dh.c", () => {
    expect([112, 128, 192, 256].map(dhEstimate)).toEqual([2048, 3072, 7680, 8192]);
    expect([2048, 3071, 3072, 6143, 6144, 8192].map((m) => dhFallbackGroup(m).bits)).toEqual([2048, 2048, 4096, 4096, 8192, 8192]);
  });
  test("GEX_REQUEST: the client's numbers and the server's check (kexgexc.c, kexgexs.c)", () => {
    expect(gexClientRequest(16)).toEqual({ min: 2048, n: 3072, max: 8192 }); // aes128: 128 bits
    expect(gexClientRequest(32)).toEqual({ min: 2048, n: 8192, max: 8192 }); // aes256 / chacha: 256 bits
    expect(gexClientRequest(14)).toEqual({ min: 2048, n: 2048, max: 8192 });
    expect(gexServerRange({ min: 1024, n: 1536, max: 16384 })).toEqual({ min: 2048, n: 2048, max: 8192 });
    expect(gexServerRange({ min: 2048, n: 3072, max: 8192 })).toEqual({ min: 2048, n: 3072, max: 8192 });
    for (const bad of [{ min: 4096, n: 4096, max: 3072 }, { min: 3072, n: 2048, max: 8192 }, { min: 2048, n: 8192, max: 4096 }, { min: 1024, n: 1024, max: 1536 }]) {
      expect(() => gexServerRange(bad)).toThrow(KexError);
    }
  });
  test("dhGroupFromWire applies the client's checks", () => {
    const p = bytesFromBigint(DH_GROUP14.p);
    expect(dhGroupFromWire(p, Uint8Array.of(2)).p).toBe(DH_GROUP14.p);
    expect(() => dhGroupFromWire(p, Uint8Array.of(2), 3072, 8192)).toThrow(KexError); // too small
    expect(() => dhGroupFromWire(bytesFromBigint(DH_GROUP16.p), Uint8Array.of(2), 2048, 3072)).toThrow(KexError); // too big
    expect(() => dhGroupFromWire(bytesFromBigint(DH_GROUP1.p), Uint8Array.of(2))).toThrow(KexError); // 1024 < DH_GRP_MIN
    expect(() => dhGroupFromWire(bytesFromBigint(DH_GROUP14.p + 1n), Uint8Array.of(2))).toThrow(KexError); // even
    for (const g of [0n, 1n, DH_GROUP14.p - 1n, DH_GROUP14.p]) {
      expect(() => dhGroupFromWire(p, bytesFromBigint(g))).toThrow(KexError);
    }
  });
  test("client and server agree over a group from the moduli format (generator 5)", async () => {
    const line = `20220714110358 2 6 100 2047 5 ${DH_GROUP14.p.toString(16).toUpperCase()}`;
    const { entries } = parseModuli(line);
    const group = dhGroupFromWire(bytesFromBigint(entries[0]!.group.p), bytesFromBigint(entries[0]!.group.g));
    const spec = gexAgreement(group);
    expect([spec.name, spec.hash, spec.legacy]).toEqual(["diffie-hellman-group-exchange-sha256", "sha256", false]);
    const client = await spec.clientInit();
    const server = await spec.serverRespond(client.message);
    expect(toHex(await client.finish(server.message))).toBe(toHex(server.sharedSecret));
    await expect(spec.serverRespond(bytesFromBigint(group.p - 1n))).rejects.toBeInstanceOf(KexError);
  });
});

describe("moduli file (moduli(5), dh.c parse_prime)", () => {
  const hex = (g: DhGroup): string => g.p.toString(16).toUpperCase();
  const good = (size: number, g: DhGroup, ts = "20220714110357", gen = "2"): string => `${ts} 2 6 100 ${size} ${gen} ${hex(g)}`;
  test("keeps valid lines, skips comments and blanks, reports refused lines as OpenSSH words them", () => {
    const text = [
      "# Time Type Tests Tries Size Generator Modulus",
      "",
      good(2047, DH_GROUP14),
      "   " + good(4095, DH_GROUP16), // leading whitespace ignored
      `20220714110357 1 6 100 2047 2 ${hex(DH_GROUP14)}`, // not a safe prime
      `20220714110357 2 7 100 2047 2 ${hex(DH_GROUP14)}`, // COMPOSITE bit
      `20220714110357 2 0 100 2047 2 ${hex(DH_GROUP14)}`, // untested
      `20220714110357 2 6 0 2047 2 ${hex(DH_GROUP14)}`, // no trials
      `20220714110357 2 6 100 2048 2 ${hex(DH_GROUP14)}`, // wrong size
      `20220714110357 2 6 100 2047 1 ${hex(DH_GROUP14)}`, // generator 1
      `20220714110357 2 6 100 2047 2`, // truncated
      `20220714110357 2 6 100 2047 2 XYZ`, // not hex
      `20220714110357  2 6 100 2047 2 ${hex(DH_GROUP14)}`, // double space: empty field
      good(8191, DH_GROUP18) + "\r",
    ].join("\n");
    const { entries, problems } = parseModuli(text);
    expect(entries.map((e) => [e.line, e.bits, e.group.g])).toEqual([[3, 2048, 2n], [4, 4096, 2n], [14, 8192, 2n]]);
    expect(problems.map((p) => p.message)).toEqual([
      "moduli:5: type is not 2",
      "moduli:6: invalid moduli tests flag",
      "moduli:7: invalid moduli tests flag",
      "moduli:8: invalid primality trial count",
      "moduli:9: prime has wrong size: actual 2048 listed 2048",
      "moduli:10: generator is invalid",
      "moduli:11: truncated",
      "moduli:12: could not parse prime value",
      "moduli:13: truncated",
    ]);
  });

  function entriesOf(sizes: number[]): ModuliEntry[] {
    const byBits: Record<number, DhGroup> = { 1024: DH_GROUP1, 2048: DH_GROUP14, 4096: DH_GROUP16, 8192: DH_GROUP18 };
    return parseModuli(sizes.map((b, i) => good(b - 1, byBits[b]!, String(20220714110000 + i))).join("\n")).entries;
  }
  test("choose_dh: smallest size above want, else largest below; random among that size", () => {
    const entries = entriesOf([1024, 2048, 2048, 4096, 4096, 4096, 8192]);
    const pickLast = (n: number): number => n - 1;
    expect(chooseModulus(entries, 2048, 3072, 8192, pickLast)?.bits).toBe(4096);
    expect(chooseModulus(entries, 2048, 3072, 8192, pickLast)?.line).toBe(6);
    expect(chooseModulus(entries, 2048, 3072, 8192, () => 0)?.line).toBe(4);
    expect(chooseModulus(entries, 2048, 8192, 8192, () => 0)?.bits).toBe(8192);
    expect(chooseModulus(entries, 1024, 1024, 2048, () => 0)?.bits).toBe(1024); // exact fit seen first
    expect(chooseModulus(entries, 2048, 7680, 4096, () => 0)?.bits).toBe(4096); // nothing above want within max
    expect(chooseModulus(entries, 3000, 3072, 4000, () => 0)).toBeNull();
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(chooseModulus(entries, 2048, 3072, 8192)!.line);
    expect([...seen].sort()).toEqual([4, 5, 6]);
  });
  test("choose_dh keeps OpenSSH's order dependence: an exact fit after a larger one loses", () => {
    expect(chooseModulus(entriesOf([4096, 2048]), 2048, 2048, 8192, () => 0)?.bits).toBe(4096);
    expect(chooseModulus(entriesOf([2048, 4096]), 2048, 2048, 8192, () => 0)?.bits).toBe(2048);
  });
  test.skipIf(!existsSync("/etc/ssh/moduli"))("parses the system /etc/ssh/moduli without problems", () => {
    const { entries, problems } = parseModuli(readFileSync("/etc/ssh/moduli", "utf8"));
    expect(problems).toEqual([]);
    expect(entries.length).toBeGreaterThan(100);
    expect(entries.every((e) => [2048, 3072, 4096, 6144, 7680, 8192].includes(e.bits))).toBe(true);
    expect(chooseModulus(entries, 2048, 3072, 8192)?.bits).toBe(3072);
  });
});
