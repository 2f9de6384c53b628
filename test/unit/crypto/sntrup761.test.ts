// sntrup761 against known answers recorded from OpenSSH's sntrup761.c (test/vectors/sntrup761-kat.json, its _comment says
// how), round trips, implicit rejection, and the sntrup761x25519-sha512 key exchange rows (kexsntrup761x25519.c).
import { describe, expect, test } from "bun:test";
import { createHash, createPrivateKey, createPublicKey, diffieHellman } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  SNTRUP761_CIPHERTEXT_BYTES,
  SNTRUP761_PUBLIC_KEY_BYTES,
  SNTRUP761_SECRET_KEY_BYTES,
  sntrup761Decapsulate,
  sntrup761Encapsulate,
  sntrup761Keypair,
} from "../../../core/crypto/sntrup761.ts";
import { SNTRUP761_X25519_SPECS, sntrup761X25519Spec } from "../../../core/crypto/sntrup761x25519.ts";
import { KexError } from "../../../core/crypto/types.ts";
import { fromHex, toHex } from "../../helpers/vectors.ts";

interface KatCase {
  seed: string;
  zeroPrefixBytes: number;
  keygenRandomBytes: number;
  encapsRandomBytes: number;
  publicKey: string;
  secretKey: string;
  ciphertext: string;
  sharedSecret: string;
  corruptByte: number;
  corruptMask: number;
  rejectionSecret: string;
}
interface GarbagePublicKeyCase {
  seed: string;
  publicKeyFromStream: boolean;
  publicKey: string;
  ciphertext: string;
  sharedSecret: string;
}
const KAT_FILE = JSON.parse(readFileSync(join(import.meta.dir, "..", "..", "vectors", "sntrup761-kat.json"), "utf8")) as {
  cases: KatCase[];
  garbagePublicKeys: GarbagePublicKeyCase[];
};
const KAT = KAT_FILE.cases;

/**
 * The KAT generator's random stream: `zeroPrefixBytes` bytes of 00 00 00 20 (little-endian 0x20000000, a zero coefficient
 * for Small_random), then SHA-512(seed ‖ uint32be counter) for counter = 0, 1, ..., consumed in call order.
 * Also records how many bytes were drawn.
 */
function katStream(seed: string, zeroPrefixBytes = 0): ((n: number) => Uint8Array) & { drawn: number } {
  const seedBytes = new TextEncoder().encode(seed);
  let counter = 0;
  let block = new Uint8Array(0);
  let used = 0;
  const random = Object.assign(
    (n: number): Uint8Array => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++, random.drawn++) {
        if (random.drawn < zeroPrefixBytes) {
          out[i] = random.drawn % 4 === 3 ? 0x20 : 0;
          continue;
        }
        if (used === block.length) {
          const ctr = new Uint8Array(4);
          new DataView(ctr.buffer).setUint32(0, counter++);
          block = new Uint8Array(createHash("sha512").update(seedBytes).update(ctr).digest());
          used = 0;
        }
        out[i] = block[used++]!;
      }
      return out;
    },
    { drawn: 0 },
  );
  return random;
}

/** The implicit-rejection key computed from its definition: Hash_prefix(0, Hash_prefix(3, rho) ‖ ciphertext). */
function rejectionKey(secretKey: Uint8Array, ciphertext: Uint8Array): string {
  const rho = secretKey.subarray(2 * 191 + 1158, 3 * 191 + 1158);
  const inner = createHash("sha512").update(Uint8Array.of(3)).update(rho).digest().subarray(0, 32);
  return toHex(new Uint8Array(createHash("sha512").update(Uint8Array.of(0)).update(inner).update(ciphertext).digest().subarray(0, 32)));
}

describe("sntrup761 known answers (OpenSSH sntrup761.c)", () => {
  test.each(KAT.map((c) => [c.seed, c] as const))("%s", (_seed, c) => {
    const random = katStream(c.seed, c.zeroPrefixBytes);
    const { publicKey, secretKey } = sntrup761Keypair(random);
    expect(random.drawn).toBe(c.keygenRandomBytes); // same randombytes calls, same sizes, same order
    expect(toHex(publicKey)).toBe(c.publicKey);
    expect(toHex(secretKey)).toBe(c.secretKey);
    const { ciphertext, sharedSecret } = sntrup761Encapsulate(publicKey, random);
    expect(random.drawn).toBe(c.keygenRandomBytes + c.encapsRandomBytes);
    expect(toHex(ciphertext)).toBe(c.ciphertext);
    expect(toHex(sharedSecret)).toBe(c.sharedSecret);
    expect(toHex(sntrup761Decapsulate(fromHex(c.ciphertext), fromHex(c.secretKey)))).toBe(c.sharedSecret);
    const corrupted = fromHex(c.ciphertext);
    corrupted[c.corruptByte]! ^= c.corruptMask;
    expect(toHex(sntrup761Decapsulate(corrupted, fromHex(c.secretKey)))).toBe(c.rejectionSecret);
    expect(c.rejectionSecret).toBe(rejectionKey(fromHex(c.secretKey), corrupted));
  });

  test.each(KAT_FILE.garbagePublicKeys.map((c) => [c.seed, c] as const))("%s: a public key that is no Rq encoding", (_seed, c) => {
    const random = katStream(c.seed);
    if (c.publicKeyFromStream) random(1158);
    const { ciphertext, sharedSecret } = sntrup761Encapsulate(fromHex(c.publicKey), random);
    expect(toHex(ciphertext)).toBe(c.ciphertext); // out-of-range coefficients are reduced exactly as kem.c Decode does
    expect(toHex(sharedSecret)).toBe(c.sharedSecret);
  });

  test("a g that is not invertible in R/3 is drawn again (the zero-prefix case)", () => {
    expect(KAT.some((c) => c.zeroPrefixBytes > 0 && c.keygenRandomBytes === 3 * 3044 + 191)).toBe(true);
  });
});

describe("sntrup761 round trips", () => {
  test.each([1, 2, 3])("seed %i: keygen, encapsulate, decapsulate agree; sizes as OpenSSH's", (seed) => {
    const random = katStream(`round trip ${seed}`);
    const { publicKey, secretKey } = sntrup761Keypair(random);
    expect([publicKey.length, secretKey.length]).toEqual([SNTRUP761_PUBLIC_KEY_BYTES, SNTRUP761_SECRET_KEY_BYTES]);
    expect([publicKey.length, secretKey.length]).toEqual([1158, 1763]);
    for (let i = 0; i < 2; i++) {
      const { ciphertext, sharedSecret } = sntrup761Encapsulate(publicKey, random);
      expect([ciphertext.length, sharedSecret.length]).toEqual([SNTRUP761_CIPHERTEXT_BYTES, 32]);
      expect(toHex(sntrup761Decapsulate(ciphertext, secretKey))).toBe(toHex(sharedSecret));
    }
  });

  test("the same random stream gives the same keys; another key pair rejects implicitly", () => {
    const a = sntrup761Keypair(katStream("same"));
    const b = sntrup761Keypair(katStream("same"));
    expect(toHex(a.secretKey)).toBe(toHex(b.secretKey));
    const other = sntrup761Keypair(katStream("other"));
    const { ciphertext, sharedSecret } = sntrup761Encapsulate(a.publicKey, katStream("enc"));
    const wrong = sntrup761Decapsulate(ciphertext, other.secretKey);
    expect(toHex(wrong)).not.toBe(toHex(sharedSecret));
    expect(toHex(wrong)).toBe(rejectionKey(other.secretKey, ciphertext));
  });

  test("every single-bit flip of the confirmation hash is rejected", () => {
    const c = KAT[0]!;
    const sk = fromHex(c.secretKey);
    for (const bit of [0, 7, 100, 255]) {
      const ct = fromHex(c.ciphertext);
      ct[1007 + (bit >> 3)]! ^= 1 << (bit & 7);
      expect(toHex(sntrup761Decapsulate(ct, sk))).toBe(rejectionKey(sk, ct));
    }
  });

  test("wrong lengths throw typed errors; inputs are not modified", () => {
    const c = KAT[1]!;
    const pk = fromHex(c.publicKey);
    const sk = fromHex(c.secretKey);
    const ct = fromHex(c.ciphertext);
    const random = katStream("lengths");
    expect(() => sntrup761Encapsulate(pk.subarray(1), random)).toThrow(KexError);
    expect(() => sntrup761Encapsulate(new Uint8Array(1159), random)).toThrow(KexError);
    expect(() => sntrup761Decapsulate(ct.subarray(0, 1038), sk)).toThrow(KexError);
    expect(() => sntrup761Decapsulate(new Uint8Array(0), sk)).toThrow(KexError);
    expect(() => sntrup761Decapsulate(ct, sk.subarray(1))).toThrow(RangeError);
    expect(() => sntrup761Keypair(() => new Uint8Array(5))).toThrow(RangeError);
    sntrup761Decapsulate(ct, sk);
    expect([toHex(pk), toHex(sk), toHex(ct)]).toEqual([c.publicKey, c.secretKey, c.ciphertext]);
  });
});

/** X25519(scalar, peer) straight from node:crypto, to check the exchange's layout independently. */
function x25519(scalar: Uint8Array, peer: Uint8Array): Uint8Array {
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), scalar]),
    format: "der",
    type: "pkcs8",
  });
  const publicKey = createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b656e032100", "hex"), peer]), format: "der", type: "spki" });
  return new Uint8Array(diffieHellman({ privateKey, publicKey }));
}

describe("sntrup761x25519-sha512 key exchange rows", () => {
  test("both names, sha512, not legacy", () => {
    expect(SNTRUP761_X25519_SPECS.map((s) => [s.name, s.hash, s.legacy])).toEqual([
      ["sntrup761x25519-sha512", "sha512", false],
      ["sntrup761x25519-sha512@openssh.com", "sha512", false],
    ]);
  });

  test.each(SNTRUP761_X25519_SPECS.map((s) => [s.name, s] as const))("%s: client and server agree", async (_name, spec) => {
    const client = await spec.clientInit();
    expect(client.message.length).toBe(1158 + 32);
    const server = await spec.serverRespond(client.message);
    expect(server.message.length).toBe(1039 + 32);
    const k = await client.finish(server.message);
    expect(toHex(k)).toBe(toHex(server.sharedSecret));
    expect(toHex(k.subarray(0, 4))).toBe("00000040"); // string(SHA-512 digest)
    expect(k.length).toBe(68);
  });

  test("replaying the KAT stream: K = string(SHA-512(KAT shared secret ‖ X25519 secret)), OpenSSH's draw order", async () => {
    const c = KAT[2]!;
    const clientRandom = katStream(c.seed, c.zeroPrefixBytes);
    const serverStream = katStream(c.seed, c.zeroPrefixBytes);
    serverStream(c.keygenRandomBytes); // the server draws the encapsulation randomness the KAT drew after keygen
    const clientSpec = sntrup761X25519Spec("sntrup761x25519-sha512", clientRandom);
    const serverSpec = sntrup761X25519Spec("sntrup761x25519-sha512", serverStream);
    const client = await clientSpec.clientInit();
    expect(toHex(client.message.subarray(0, 1158))).toBe(c.publicKey);
    const clientScalar = katStream(c.seed, c.zeroPrefixBytes);
    clientScalar(c.keygenRandomBytes);
    const scalarC = clientScalar(32); // kex_kem_sntrup761x25519_keypair: sntrup761 keypair, then the X25519 key
    const server = await serverSpec.serverRespond(client.message);
    expect(toHex(server.message.subarray(0, 1039))).toBe(c.ciphertext);
    const ecdh = x25519(scalarC, server.message.subarray(1039));
    const digest = createHash("sha512").update(fromHex(c.sharedSecret)).update(ecdh).digest();
    expect(toHex(await client.finish(server.message))).toBe(`00000040${digest.toString("hex")}`);
    expect(toHex(server.sharedSecret)).toBe(`00000040${digest.toString("hex")}`);
  });

  test("wrong lengths and low-order X25519 points are KexErrors; a bad ciphertext gives a different K", async () => {
    const spec = SNTRUP761_X25519_SPECS[0]!;
    const client = await spec.clientInit();
    await expect(spec.serverRespond(client.message.subarray(1))).rejects.toBeInstanceOf(KexError);
    await expect(spec.serverRespond(new Uint8Array(1191))).rejects.toBeInstanceOf(KexError);
    const lowOrder = client.message.slice();
    lowOrder.fill(0, 1158); // X25519 point 0: the shared secret would be all zeros
    await expect(spec.serverRespond(lowOrder)).rejects.toBeInstanceOf(KexError);
    lowOrder[1158] = 1; // the point 1, also of low order
    await expect(spec.serverRespond(lowOrder)).rejects.toBeInstanceOf(KexError);

    const server = await spec.serverRespond(client.message);
    await expect(client.finish(server.message.subarray(0, 1070))).rejects.toBeInstanceOf(KexError);
    const tampered = server.message.slice();
    tampered[10]! ^= 0x40;
    const k = await client.finish(tampered); // implicit rejection: no error, a key the server does not have
    expect(toHex(k)).not.toBe(toHex(server.sharedSecret));
    await expect(client.finish(server.message)).rejects.toBeInstanceOf(KexError); // the secret key is gone

    const client2 = await spec.clientInit();
    const server2 = await spec.serverRespond(client2.message);
    const zeroPoint = server2.message.slice();
    zeroPoint.fill(0, 1039);
    await expect(client2.finish(zeroPoint)).rejects.toBeInstanceOf(KexError);
  });
});
