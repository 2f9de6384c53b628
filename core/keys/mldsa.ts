// ssh-mldsa44-ed25519@openssh.com signatures (ssh-mldsa-eddsa.c, draft-ietf-lamps-pq-composite-sigs): both halves sign
// M' = "CompositeAlgorithmSignatures2025" ‖ "COMPSIG-MLDSA44-Ed25519-SHA512" ‖ len(ctx)=0 ‖ SHA-512(data); ML-DSA-44 with
// the label as its context (WebCrypto, the one API here that takes a context), Ed25519 plain. Asynchronous for that reason.
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { signatureSpec } from "../crypto/signatures.ts";
import { Writer } from "../wire/writer.ts";
import { concat, KeyReader } from "./blob.ts";
import { KeyFormatError } from "./errors.ts";
import { signWith, type PrivateKey } from "./private-key.ts";

/** The key and signature algorithm name. */
export const MLDSA44_ED25519 = "ssh-mldsa44-ed25519@openssh.com";
const PREFIX = new TextEncoder().encode("CompositeAlgorithmSignatures2025");
const LABEL = new TextEncoder().encode("COMPSIG-MLDSA44-Ed25519-SHA512");
const MLDSA_PK_BYTES = 1312;
const MLDSA_SIG_BYTES = 2420;
const MLDSA_SEED_PKCS8_PREFIX = Uint8Array.from(Buffer.from("3034020100300b060960864801650304031104228020", "hex"));
const ED25519_PKCS8_PREFIX = Uint8Array.from(Buffer.from("302e020100300506032b657004220420", "hex"));
const ED25519_SPKI_PREFIX = Uint8Array.from(Buffer.from("302a300506032b6570032100", "hex"));

/** The slice of WebCrypto used here, typed loosely (ML-DSA and its context are newer than the lib typings). */
interface LooseSubtle {
  importKey(format: string, key: Uint8Array, algorithm: { name: string }, extractable: boolean, usages: string[]): Promise<unknown>;
  sign(algorithm: { name: string; context: Uint8Array }, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
  verify(algorithm: { name: string; context: Uint8Array }, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}
const subtle = (): LooseSubtle => (globalThis.crypto as unknown as { subtle: LooseSubtle }).subtle;

function mPrime(data: Uint8Array): Uint8Array {
  return concat(PREFIX, LABEL, Uint8Array.of(0), new Uint8Array(createHash("sha512").update(data).digest()));
}

/** Signs `data` with an ML-DSA-44+Ed25519 key; returns the SSH signature blob (fresh buffer). */
export async function mldsaEd25519Sign(key: PrivateKey, data: Uint8Array): Promise<Uint8Array> {
  if (key.type !== MLDSA44_ED25519) throw new KeyFormatError("unknown-key-type", key.type);
  const r = new KeyReader(key.privateFields);
  r.string(); // pk
  const sk = r.string();
  const m = mPrime(data);
  const ml = await subtle().importKey("pkcs8", concat(MLDSA_SEED_PKCS8_PREFIX, sk.subarray(0, 32)), { name: "ML-DSA-44" }, false, ["sign"]);
  const mlSig = new Uint8Array(await subtle().sign({ name: "ML-DSA-44", context: LABEL }, ml, m));
  const ed = createPrivateKey({ key: Buffer.from(concat(ED25519_PKCS8_PREFIX, sk.subarray(32, 64))), format: "der", type: "pkcs8" });
  const edSig = new Uint8Array(nodeSign(null, m, ed));
  if (mlSig.length !== MLDSA_SIG_BYTES || edSig.length !== 64) throw new KeyFormatError("libcrypto", "ML-DSA-44 signature size");
  return new Writer().string(MLDSA44_ED25519).string(concat(mlSig, edSig)).toBytes();
}

/** Verifies an ML-DSA-44+Ed25519 SSH signature blob over `data` with a public key blob; false for anything malformed. */
export async function mldsaEd25519Verify(publicKeyBlob: Uint8Array, data: Uint8Array, signatureBlob: Uint8Array): Promise<boolean> {
  try {
    const k = new KeyReader(publicKeyBlob);
    if (k.text() !== MLDSA44_ED25519) return false;
    const pk = k.string();
    k.end();
    const s = new KeyReader(signatureBlob);
    if (s.text() !== MLDSA44_ED25519) return false;
    const sig = s.string();
    s.end();
    if (pk.length !== MLDSA_PK_BYTES + 32 || sig.length !== MLDSA_SIG_BYTES + 64) return false;
    const m = mPrime(data);
    const ml = await subtle().importKey("raw-public", pk.slice(0, MLDSA_PK_BYTES), { name: "ML-DSA-44" }, false, ["verify"]);
    if (!(await subtle().verify({ name: "ML-DSA-44", context: LABEL }, ml, sig.slice(0, MLDSA_SIG_BYTES), m))) return false;
    const ed = createPublicKey({ key: Buffer.from(concat(ED25519_SPKI_PREFIX, pk.subarray(MLDSA_PK_BYTES))), format: "der", type: "spki" });
    return nodeVerify(null, m, ed, sig.subarray(MLDSA_SIG_BYTES));
  } catch {
    return false;
  }
}

/** Signs with any key we hold, ML-DSA-44+Ed25519 included (signWith for the rest); the SSH signature blob. */
export async function signAsync(key: PrivateKey, data: Uint8Array, algorithm?: string): Promise<Uint8Array> {
  return key.type === MLDSA44_ED25519 ? mldsaEd25519Sign(key, data) : signWith(key, data, algorithm);
}

/** Verifies `signatureBlob` over `data` with the algorithm it names (ML-DSA-44+Ed25519 included); false when unknown. */
export async function verifyAsync(algorithm: string, publicKeyBlob: Uint8Array, data: Uint8Array, signatureBlob: Uint8Array): Promise<boolean> {
  if (algorithm === MLDSA44_ED25519) return mldsaEd25519Verify(publicKeyBlob, data, signatureBlob);
  const spec = signatureSpec(algorithm);
  return spec !== undefined && spec.verify(publicKeyBlob, data, signatureBlob);
}
