// sntrup761 and sntrup761x25519-sha512 speed: keygen, encapsulation, decapsulation and one whole key exchange
// (clientInit + serverRespond + finish, X25519 included). Targets: keygen < 50 ms, encaps and decaps < 10 ms.
// Run: bun bench/crypto-sntrup761.ts >> results.jsonl. Baseline: OpenSSH's own sntrup761.c (the portable "compact" code)
// built with gcc -O2 and timed in a throwaway C loop; on the AMD EPYC that first ran this it took keygen 20.6 ms,
// enc 0.38 ms, dec 1.04 ms. There is no `openssl speed` for sntrup761. One JSON line per case, medians of 7 runs.
import { cpus } from "node:os";
import { sntrup761Decapsulate, sntrup761Encapsulate, sntrup761Keypair } from "../core/crypto/sntrup761.ts";
import { SNTRUP761_X25519_SPECS } from "../core/crypto/sntrup761x25519.ts";

const cpu = cpus()[0]?.model ?? "unknown";
const RUNS = 7;
const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

/** Median ms per call of `work`, over runs of about `runMs` after a warm-up long enough for the JIT's top tier. */
async function measure(work: () => unknown, runMs = 300): Promise<number> {
  let calls = 0;
  const t = performance.now();
  while (performance.now() - t < 400 || calls < 3) { await work(); calls++; }
  const perCall = (performance.now() - t) / calls;
  const n = Math.max(3, Math.round(runMs / perCall));
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await work();
    times.push((performance.now() - t0) / n);
  }
  return median(times);
}

function line(kase: string, msPerOp: number): void {
  console.log(JSON.stringify({ bench: "crypto-sntrup761", case: kase, opsPerS: Math.round(1000 / msPerOp), msPerOp: +msPerOp.toFixed(3), bun: Bun.version, cpu }));
}

// check before timing: the round trip agrees
const keys = sntrup761Keypair(random);
const enc = sntrup761Encapsulate(keys.publicKey, random);
if (Buffer.compare(sntrup761Decapsulate(enc.ciphertext, keys.secretKey), enc.sharedSecret) !== 0) throw new Error("sntrup761 round trip failed");

line("keygen", await measure(() => sntrup761Keypair(random)));
line("encaps", await measure(() => sntrup761Encapsulate(keys.publicKey, random)));
line("decaps", await measure(() => sntrup761Decapsulate(enc.ciphertext, keys.secretKey)));
const spec = SNTRUP761_X25519_SPECS[0]!;
line("kex round (client+server)", await measure(async () => {
  const client = await spec.clientInit();
  const server = await spec.serverRespond(client.message);
  const k = await client.finish(server.message);
  if (Buffer.compare(k, server.sharedSecret) !== 0) throw new Error("sntrup761x25519 disagreement");
}));
