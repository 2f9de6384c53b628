// Key agreements and signatures: ops/s of one full KEX round (client init + server respond + client finish) per
// KexAgreementSpec, the X25519 / ML-KEM-768 primitives, and sign/verify per signature algorithm.
// Run: bun bench/crypto-kex-sig.ts >> results.jsonl. Baseline: `openssl speed ecdhx25519 ed25519 ecdsap256 rsa3072`
// (native, one thread). One JSON line per case: the median ops/s over RUNS runs of about 150 ms after a warm-up.
import { cpus } from "node:os";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { DH_GROUP14_SHA1, DH_GROUP1_SHA1 } from "../core/crypto/dh.ts";
import { mlkem768Decapsulate, mlkem768Encapsulate, mlkem768Generate } from "../core/crypto/mlkem768.ts";
import { blobFromPublicKeyObject, ECDSA_SHA2_NISTP256, RSA_SHA2_256, RSA_SHA2_512, SSH_ED25519, type SignatureSpec } from "../core/crypto/signatures.ts";
import { KEX_SPECS } from "../core/crypto/specs-kex.ts";
import type { KexAgreementSpec } from "../core/crypto/types.ts";
import { x25519Generate, x25519Shared } from "../core/crypto/x25519.ts";

const cpu = cpus()[0]?.model ?? "unknown";
const line = (o: Record<string, unknown>): void => console.log(JSON.stringify({ ...o, bun: Bun.version, cpu }));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
const only = process.argv[2]; // optional substring filter on the case name

/** Median ops/s of `work` over RUNS runs of about `runMs` each, after a warm-up of about `runMs`. */
async function measure(work: () => unknown, runMs = 150): Promise<number> {
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < runMs || calls < 2) {
    await work();
    calls++;
  }
  const perCallMs = (performance.now() - t0) / calls;
  const n = Math.max(2, Math.round(runMs / perCallMs));
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const s = performance.now();
    for (let i = 0; i < n; i++) await work();
    rates.push((n * 1000) / (performance.now() - s));
  }
  return median(rates);
}

async function bench(name: string, c: string, work: () => unknown): Promise<void> {
  if (only !== undefined && !`${name} ${c}`.includes(only)) return;
  const opsPerS = await measure(work);
  line({ bench: name, case: c, opsPerS: opsPerS >= 100 ? Math.round(opsPerS) : Number(opsPerS.toPrecision(3)) });
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

// ---- X25519 agreement (one side: generate + shared)
{
  const peer = x25519Generate();
  const a = x25519Generate();
  if (!eq(x25519Shared(a.privateKey, peer.publicKey), x25519Shared(peer.privateKey, a.publicKey))) throw new Error("x25519 mismatch");
  await bench("x25519", "generate+shared", () => x25519Shared(x25519Generate().privateKey, peer.publicKey));
}

// ---- ML-KEM-768 primitives (WebCrypto)
{
  const pair = await mlkem768Generate();
  const { ciphertext, sharedKey } = await mlkem768Encapsulate(pair.publicKey);
  if (!eq(await mlkem768Decapsulate(pair.privateKey, ciphertext), sharedKey)) throw new Error("mlkem mismatch");
  await bench("mlkem768", "keygen", () => mlkem768Generate());
  await bench("mlkem768", "encaps", () => mlkem768Encapsulate(pair.publicKey));
  await bench("mlkem768", "decaps", () => mlkem768Decapsulate(pair.privateKey, ciphertext));
}

// ---- every KEX row: client init + server respond + client finish
type AnyKex = Pick<KexAgreementSpec, "name" | "clientInit" | "serverRespond">;
for (const spec of [...KEX_SPECS, DH_GROUP14_SHA1, DH_GROUP1_SHA1] as AnyKex[]) {
  const round = async (): Promise<void> => {
    const client = await spec.clientInit();
    const server = await spec.serverRespond(client.message);
    if (!eq(await client.finish(server.message), server.sharedSecret)) throw new Error(`${spec.name}: mismatch`);
  };
  await round();
  await bench("kex-round", spec.name, round);
}

// ---- signatures
const sigCases: [string, SignatureSpec, KeyObject][] = [
  ["ed25519", SSH_ED25519, generateKeyPairSync("ed25519").privateKey],
  ["ecdsa-p256", ECDSA_SHA2_NISTP256, generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey],
  ["rsa-3072 sha256", RSA_SHA2_256, generateKeyPairSync("rsa", { modulusLength: 3072 }).privateKey],
  ["rsa-3072 sha512", RSA_SHA2_512, generateKeyPairSync("rsa", { modulusLength: 3072 }).privateKey],
];
const data = new Uint8Array(64).fill(7); // an exchange hash is 32-64 bytes
for (const [label, spec, key] of sigCases) {
  const pub = blobFromPublicKeyObject(key);
  const sig = spec.sign(key, data);
  if (!spec.verify(pub, data, sig)) throw new Error(`${spec.name}: round trip failed`);
  await bench("sign", `${spec.name} (${label})`, () => spec.sign(key, data));
  await bench("verify", `${spec.name} (${label}, from wire blobs)`, () => spec.verify(pub, data, sig));
}
