// Malformed input to sntrup761 and sntrup761x25519-sha512: a wrong length is a KexError and nothing else; any 1039-byte
// ciphertext decapsulates (a forged one to Hash_prefix(0, Hash_prefix(3, rho) ‖ c), implicit rejection); any 1158-byte
// public key encapsulates. Quick by default (each run costs a few ms); FUZZ_RUNS=2000 bun test fuzz/sntrup761 for a long run.
import { beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { sntrup761Decapsulate, sntrup761Encapsulate, sntrup761Keypair } from "../core/crypto/sntrup761.ts";
import { SNTRUP761_X25519_SPECS } from "../core/crypto/sntrup761x25519.ts";
import { type KexClientState, KexError } from "../core/crypto/types.ts";
import { toHex } from "../test/helpers/vectors.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

/** A deterministic `random(n)` from a fast-check seed (xorshift32: plenty for keys nobody relies on). */
function seeded(seed: number): (n: number) => Uint8Array {
  let x = seed | 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0xff; }
    return out;
  };
}

let keys: { publicKey: Uint8Array; secretKey: Uint8Array };
let good: { ciphertext: Uint8Array; sharedSecret: Uint8Array };
beforeAll(() => {
  keys = sntrup761Keypair(seeded(761));
  good = sntrup761Encapsulate(keys.publicKey, seeded(4591));
});

function rejection(secretKey: Uint8Array, ciphertext: Uint8Array): string {
  const rho = secretKey.subarray(1540, 1731);
  const inner = createHash("sha512").update(Uint8Array.of(3)).update(rho).digest().subarray(0, 32);
  return createHash("sha512").update(Uint8Array.of(0)).update(inner).update(ciphertext).digest().subarray(0, 32).toString("hex");
}

/** Right-length garbage, or the good ciphertext with a few bytes overwritten (closer to a real forgery). */
const ciphertext = fc.oneof(
  fc.uint8Array({ minLength: 1039, maxLength: 1039 }),
  fc.array(fc.tuple(fc.nat({ max: 1038 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((edits) => {
    const c = good.ciphertext.slice();
    for (const [at, x] of edits) c[at]! ^= x;
    return c;
  }),
);

test("a forged ciphertext of the right length decapsulates to the implicit-rejection key, without throwing", () => {
  fc.assert(fc.property(ciphertext, (c) => {
    const k = sntrup761Decapsulate(c, keys.secretKey);
    expect(k.length).toBe(32);
    expect(toHex(k)).toBe(rejection(keys.secretKey, c));
  }), { numRuns: RUNS });
});

test("any other length is a KexError, for ciphertexts and public keys alike", () => {
  const wrong = fc.uint8Array({ maxLength: 2400 }).filter((b) => b.length !== 1039 && b.length !== 1158);
  fc.assert(fc.property(wrong, (b) => {
    expect(() => sntrup761Decapsulate(b, keys.secretKey)).toThrow(KexError);
    expect(() => sntrup761Encapsulate(b, seeded(1))).toThrow(KexError);
  }), { numRuns: RUNS * 5 });
});

test("any 1158-byte public key encapsulates to a well-formed ciphertext", () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1158, maxLength: 1158 }), fc.integer(), (pk, seed) => {
    const { ciphertext: c, sharedSecret } = sntrup761Encapsulate(pk, seeded(seed));
    expect([c.length, sharedSecret.length]).toEqual([1039, 32]);
  }), { numRuns: RUNS });
});

test("the key exchange turns any malformed peer message into KexError or, for a forged ciphertext, a mismatched K", async () => {
  const spec = SNTRUP761_X25519_SPECS[0]!;
  const reused: KexClientState = await spec.clientInit(); // a wrong length is refused before the secret key is used
  const message = fc.oneof(
    fc.uint8Array({ maxLength: 1300 }),
    fc.uint8Array({ minLength: 1190, maxLength: 1190 }),
    fc.uint8Array({ minLength: 1071, maxLength: 1071 }),
  );
  await fc.assert(fc.asyncProperty(message, async (msg) => {
    const outcome = async (run: () => Promise<unknown>): Promise<"ok" | "KexError"> => {
      try {
        await run();
        return "ok";
      } catch (e) {
        expect(e).toBeInstanceOf(KexError);
        return "KexError";
      }
    };
    const asServer = await outcome(() => spec.serverRespond(msg));
    if (msg.length !== 1190) expect(asServer).toBe("KexError");
    if (msg.length !== 1071) {
      expect(await outcome(() => reused.finish(msg))).toBe("KexError");
      return;
    }
    const client = await spec.clientInit();
    const server = await spec.serverRespond(client.message);
    let k: Uint8Array | null = null;
    if ((await outcome(async () => (k = await client.finish(msg)))) === "ok") {
      expect(toHex(k!)).not.toBe(toHex(server.sharedSecret)); // implicit rejection, never the server's key
    }
  }), { numRuns: RUNS });
});
