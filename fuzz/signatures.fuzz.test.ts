// Hostile key and signature blobs: verify only ever returns a boolean, blob parsing only throws SshEncodingError,
// a mutated signature never verifies, and key agreements refuse garbage only with KexError.
// Quick in every `bun test`; FUZZ_RUNS=100000 bun test fuzz/signatures.fuzz.test.ts for a long run.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import {
  blobFromPublicKeyObject,
  parsePublicKeyBlob,
  publicKeyObjectFromBlob,
  SIGNATURE_SPECS,
  type SignatureSpec,
} from "../core/crypto/signatures.ts";
import { concatBytes, encodeMpint, encodeString, SshEncodingError } from "../core/crypto/ssh-encoding.ts";
import { KEX_SPECS } from "../core/crypto/specs-kex.ts";
import { KexError } from "../core/crypto/types.ts";

const numRuns = Number(process.env.FUZZ_RUNS ?? 100);
const enc = new TextEncoder();

const keys: Record<string, KeyObject> = {
  "ssh-ed25519": generateKeyPairSync("ed25519").privateKey,
  "ecdsa-sha2-nistp256": generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
  "ecdsa-sha2-nistp384": generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey,
  "ecdsa-sha2-nistp521": generateKeyPairSync("ec", { namedCurve: "P-521" }).privateKey,
  "ssh-rsa": generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey,
};
const data = enc.encode("exchange hash H");
const fixtures = SIGNATURE_SPECS.map((spec) => {
  const key = keys[spec.keyType]!;
  return { spec, pub: blobFromPublicKeyObject(key), sig: spec.sign(key, data) };
});

/** Blobs that start like real ones (a known name, then SSH-shaped fields), so parsing reaches past the first check. */
const names = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa", "rsa-sha2-256", "rsa-sha2-512", "nistp256", ""];
const field = fc.oneof(
  fc.uint8Array({ maxLength: 140 }).map((b) => encodeString(b)),
  fc.uint8Array({ maxLength: 140 }).map((b) => encodeMpint(b)),
  fc.constantFrom(...names).map((n) => encodeString(n)),
  fc.uint8Array({ maxLength: 8 }),
  fc.constant(Uint8Array.of(0xff, 0xff, 0xff, 0xf0)), // a huge length
);
const shapedBlob = fc.tuple(fc.constantFrom(...names), fc.array(field, { maxLength: 4 })).map(([n, fs]) => concatBytes(encodeString(n), ...fs));
const anyBlob = fc.oneof(fc.uint8Array({ maxLength: 300 }), shapedBlob);

function onlyTyped(f: () => unknown, type: typeof SshEncodingError | typeof KexError): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
  }
}

describe("signature verify never throws", () => {
  test.each(SIGNATURE_SPECS.map((s) => [s.name, s] as const))("%s: random and shaped blobs → boolean", (_n, spec: SignatureSpec) => {
    const real = fixtures.find((f) => f.spec === spec)!;
    fc.assert(
      fc.property(anyBlob, anyBlob, fc.uint8Array({ maxLength: 64 }), (pub, sig, msg) => {
        expect(typeof spec.verify(pub, msg, sig)).toBe("boolean");
        expect(spec.verify(real.pub, msg, sig)).toBe(false); // a garbage signature under a real key
        expect(typeof spec.verify(pub, data, real.sig)).toBe("boolean");
      }),
      { numRuns },
    );
  });
});

describe("key blob parsing throws only SshEncodingError", () => {
  test("random and shaped blobs", () => {
    fc.assert(
      fc.property(anyBlob, (blob) => {
        onlyTyped(() => parsePublicKeyBlob(blob), SshEncodingError);
        onlyTyped(() => publicKeyObjectFromBlob(blob), SshEncodingError);
      }),
      { numRuns },
    );
  });
  test("ed25519 blob encode → decode round trip for any 32 bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (pk) => {
        const blob = concatBytes(encodeString("ssh-ed25519"), encodeString(pk));
        const parsed = parsePublicKeyBlob(blob);
        expect(parsed.type === "ssh-ed25519" && Buffer.from(parsed.publicKey).equals(Buffer.from(pk))).toBe(true);
      }),
      { numRuns },
    );
  });
});

describe("mutated real blobs", () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat(), bit: fc.constant(0) }),
    fc.record({ kind: fc.constant("append" as const), at: fc.nat(255), bit: fc.constant(0) }),
  );
  function mutate(b: Uint8Array, m: { kind: "flip" | "truncate" | "append"; at: number; bit: number }): Uint8Array {
    if (m.kind === "flip") {
      const c = b.slice();
      c[m.at % c.length]! ^= 1 << m.bit;
      return c;
    }
    if (m.kind === "truncate") return b.slice(0, m.at % b.length);
    return concatBytes(b, Uint8Array.of(m.at));
  }
  test.each(fixtures.map((f) => [f.spec.name, f] as const))("%s: a mutated signature or key never verifies", (_n, f) => {
    expect(f.spec.verify(f.pub, data, f.sig)).toBe(true);
    fc.assert(
      fc.property(mutation, fc.boolean(), (m, onKey) => {
        const pub = onKey ? mutate(f.pub, m) : f.pub;
        const sig = onKey ? f.sig : mutate(f.sig, m);
        expect(f.spec.verify(pub, data, sig)).toBe(false);
        if (onKey) onlyTyped(() => publicKeyObjectFromBlob(pub), SshEncodingError);
      }),
      { numRuns },
    );
  });
});

describe("key agreements refuse garbage only with KexError", () => {
  test.each(KEX_SPECS.map((s) => [s.name, s] as const))("%s", async (_n, spec) => {
    const client = await spec.clientInit();
    const server = await spec.serverRespond(client.message);
    const lengths = [client.message.length, server.message.length];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(...lengths).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))),
        async (peer) => {
          for (const run of [() => spec.serverRespond(peer), async () => (await spec.clientInit()).finish(peer)]) {
            try {
              await run();
            } catch (e) {
              expect(e).toBeInstanceOf(KexError);
            }
          }
        },
      ),
      { numRuns: Math.max(1, Math.floor(numRuns / (spec.name.startsWith("diffie-hellman") ? 10 : 2))) },
    );
  });
});
