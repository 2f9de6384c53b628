// The crypto core's benchmarks in one run (issue: crypto core): each subject's bench prints its JSON lines, including
// the same-run baselines (openssl speed for chacha20-poly1305). Run: bun bench/crypto.ts >> results.jsonl
import { join } from "node:path";

const subjects = ["crypto-chachapoly.ts", "crypto-aes-mac.ts", "crypto-kex-sig.ts", "crypto-sntrup761.ts"];
let failed = 0;
for (const s of subjects) {
  const p = Bun.spawnSync([process.execPath, join(import.meta.dir, s)], { stdout: "inherit", stderr: "inherit", env: process.env });
  if (p.exitCode !== 0) {
    console.error(`bench/crypto: ${s} failed (${p.exitCode})`);
    failed++;
  }
}
process.exit(failed === 0 ? 0 : 1);
