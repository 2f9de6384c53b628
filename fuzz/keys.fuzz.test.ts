// Key library parsers fed random and mutated input fail only with KeyFormatError (never a RangeError, TypeError or a
// libcrypto exception), and text parsers of whole files never throw. FUZZ_RUNS=20000 bun test fuzz/keys for a long run.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  KeyFormatError, describePublicKey, formatPrivateKey, loadPrivateKey, parseAuthorizedKeyLine, parseAuthorizedKeys,
  parseCertificate, parseKnownHosts, parsePublicKeyLine, parseRfc4716, formatRfc4716, generatePrivateKey,
  formatPublicKeyLine, matchPatternList,
} from "../core/keys/index.ts";
import { VECTORS_DIR } from "../test/helpers/vectors.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const dir = join(VECTORS_DIR, "openssh-keys");
const read = (f: string): string => readFileSync(join(dir, f), "utf8");

/** Runs `f`; passes when it returns or throws KeyFormatError, fails on any other throw. */
function onlyTyped(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof KeyFormatError)) throw new Error(`untyped error: ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
}

/** A byte mutation: flip, set, insert or delete at a position. */
const mutation = fc.record({ kind: fc.integer({ min: 0, max: 3 }), pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
function mutate(bytes: Uint8Array, muts: readonly { kind: number; pos: number; value: number }[]): Uint8Array {
  let b = Array.from(bytes);
  for (const m of muts) {
    const p = b.length === 0 ? 0 : m.pos % b.length;
    if (m.kind === 0) b[p] = (b[p] ?? 0) ^ (1 << (m.value & 7));
    else if (m.kind === 1) b[p] = m.value;
    else if (m.kind === 2) b.splice(p, 0, m.value);
    else b.splice(p, 1);
  }
  return Uint8Array.from(b);
}

const blobs = ["ed25519_1.pub", "rsa_1.pub", "ecdsa_1.pub", "ecdsa_2.pub", "ed25519_sk1.pub", "ecdsa_sk1.pub"].map((f) => Buffer.from(read(f).split(" ")[1]!, "base64"));
const certs = ["ed25519_1-cert.pub", "rsa_1_sha512-cert.pub", "ecdsa_1-cert.pub"].map((f) => Buffer.from(read(f).split(" ")[1]!, "base64"));
// Only unencrypted containers: a mutated bcrypt round count could make one run take minutes.
const privates = ["ed25519_1", "ecdsa_n", "rsa_n", "ed25519_sk1"].map((f) => Buffer.from(read(f).replace(/-----[^-]+-----/g, "").replace(/\s/g, ""), "base64"));
const armor = (b: Uint8Array): string => `-----BEGIN OPENSSH PRIVATE KEY-----\n${Buffer.from(b).toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`;

describe("mutated input fails only with KeyFormatError", () => {
  test("public key blobs", () => {
    fc.assert(fc.property(fc.nat(blobs.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, m) => {
      onlyTyped(() => describePublicKey(mutate(blobs[i]!, m)));
      onlyTyped(() => parsePublicKeyLine(`ssh-ed25519 ${Buffer.from(mutate(blobs[i]!, m)).toString("base64")}`));
    }), { numRuns: RUNS });
  });
  test("certificates", () => {
    fc.assert(fc.property(fc.nat(certs.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, m) => {
      onlyTyped(() => parseCertificate(mutate(certs[i]!, m)));
    }), { numRuns: RUNS });
  });
  test("openssh-key-v1 files", () => {
    fc.assert(fc.property(fc.nat(privates.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, m) => {
      onlyTyped(() => loadPrivateKey(new TextEncoder().encode(armor(mutate(privates[i]!, m)))));
    }), { numRuns: RUNS });
  });
  test("PEM files", () => {
    const pem = ["rsa_1", "ecdsa_1"].map((f) => read(f));
    fc.assert(fc.property(fc.nat(1), fc.array(mutation, { minLength: 1, maxLength: 3 }), (i, m) => {
      onlyTyped(() => loadPrivateKey(mutate(new TextEncoder().encode(pem[i]!), m)));
    }), { numRuns: Math.max(10, RUNS / 4) });
  });
  test("random bytes as any of them", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      onlyTyped(() => describePublicKey(b));
      onlyTyped(() => parseCertificate(b));
      onlyTyped(() => loadPrivateKey(b));
      onlyTyped(() => loadPrivateKey(new TextEncoder().encode(armor(b))));
    }), { numRuns: RUNS });
  });
  test("text lines", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      onlyTyped(() => parsePublicKeyLine(s));
      onlyTyped(() => parseAuthorizedKeyLine(s));
      onlyTyped(() => parseRfc4716(`---- BEGIN SSH2 PUBLIC KEY ----\n${s}\n---- END SSH2 PUBLIC KEY ----\n`));
      matchPatternList(s, s);
    }), { numRuns: RUNS });
  });
  test("whole known_hosts and authorized_keys files never throw", () => {
    const good = `${read("ed25519_1.pub")}`;
    fc.assert(fc.property(fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.constant(good), fc.constant(`@revoked * ${good}`), fc.constant(`h,[g]:22 ${good}`))), (lines) => {
      const text = lines.join("\n");
      expect(() => parseKnownHosts(text)).not.toThrow();
      expect(() => parseAuthorizedKeys(text)).not.toThrow();
    }), { numRuns: RUNS });
  });
});

describe("round trips", () => {
  const keys = [generatePrivateKey("ed25519"), generatePrivateKey("ecdsa", 384), generatePrivateKey("rsa", 1024)];
  test("formatPrivateKey then loadPrivateKey gives the same key and comment", () => {
    fc.assert(fc.property(fc.nat(keys.length - 1), fc.string({ maxLength: 40 }), fc.constantFrom("openssh", "pem", "pkcs8"), (i, comment, format) => {
      const k = { ...keys[i]!, comment };
      if (format === "pem" && k.type === "ssh-ed25519") return;
      const back = loadPrivateKey(new TextEncoder().encode(formatPrivateKey(k, { format: format as "openssh" | "pem" | "pkcs8" })));
      expect(formatPublicKeyLine(back.publicKeyBlob)).toBe(formatPublicKeyLine(k.publicKeyBlob));
      if (format === "openssh") expect(back.comment).toBe(comment);
    }), { numRuns: Math.max(10, RUNS / 5) });
  });
  test("RFC 4716 export/import", () => {
    fc.assert(fc.property(fc.nat(keys.length - 1), fc.stringMatching(/^[ -!#-~]{0,50}$/), (i, comment) => {
      const back = parseRfc4716(formatRfc4716(keys[i]!.publicKeyBlob, comment));
      expect(Buffer.from(back.blob).equals(Buffer.from(keys[i]!.publicKeyBlob))).toBe(true);
      expect(back.comment).toBe(comment);
    }), { numRuns: RUNS });
  });
});
