// Start-up time: `dist/sshbox ssh -V` vs OpenSSH's `/usr/bin/ssh -V`, measured in the same run by hyperfine
// (Debian package `hyperfine`), medians over 60 runs each. One JSON line. Target (issue: foundation): ≤ 10 ms median.
// Run: bun bench/startup.ts   (builds dist/sshbox first if needed)
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { sshboxBinary } from "../test/helpers/binary.ts";

const bin = await sshboxBinary();
const hyperfine = Bun.which("hyperfine");
if (!hyperfine) {
  console.error("bench/startup: hyperfine is missing (apt-get install hyperfine)");
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), "sshbox-startup-"));
const out = join(dir, "h.json");
const runs = Number(process.env.BENCH_RUNS ?? 60);
const p = Bun.spawnSync([hyperfine, "-N", "--warmup", "10", "--runs", String(runs), "--export-json", out, `${bin} ssh -V`, "/usr/bin/ssh -V"], {
  stdout: "ignore",
  stderr: "inherit",
});
if (p.exitCode !== 0) process.exit(p.exitCode ?? 1);
const results = (JSON.parse(readFileSync(out, "utf8")) as { results: { command: string; median: number; mean: number; stddev: number }[] }).results;
rmSync(dir, { recursive: true, force: true });
const [ours, theirs] = results as [(typeof results)[0], (typeof results)[0]];
console.log(
  JSON.stringify({
    bench: "startup",
    case: "ssh -V",
    sshboxMedianMs: +(ours.median * 1000).toFixed(2),
    opensshMedianMs: +(theirs.median * 1000).toFixed(2),
    ratio: +(ours.median / theirs.median).toFixed(2),
    targetMs: 10,
    runs,
    bun: Bun.version,
    cpu: cpus()[0]?.model ?? "unknown",
  }),
);
