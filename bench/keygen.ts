// ssh-keygen against OpenSSH's in the same run: key generation per type and bcrypt_pbkdf (16 rounds, as a passphrase-
// protected Ed25519 key), whole processes timed by hyperfine (`hyperfine -N --export-json`), plus the in-process library
// cost of the same work. Run: bun bench/keygen.ts >> results.jsonl (builds dist/sshbox first if stale).
// Baseline: /usr/bin/ssh-keygen. One JSON line per case: mean seconds of both, ratio = ours / OpenSSH's (target ≤ 1.5).
import { cpus, tmpdir } from "node:os";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bcryptPbkdf } from "../core/keys/bcrypt-pbkdf.ts";
import { generatePrivateKey, formatPrivateKey, loadPrivateKey } from "../core/keys/private-key.ts";
import { sshboxBinary } from "../test/helpers/binary.ts";

const cpu = cpus()[0]?.model ?? "unknown";
const line = (o: Record<string, unknown>): void => console.log(JSON.stringify({ ...o, bun: Bun.version, cpu }));
const OPENSSH_KEYGEN = "/usr/bin/ssh-keygen";
const only = process.argv[2];

const bin = await sshboxBinary();
const dir = mkdtempSync(join(tmpdir(), "sshbox-bench-keygen-"));

interface HyperfineResult {
  results: { command: string; mean: number; stddev: number; median: number; min: number; runs: number }[];
}

/** Times our and OpenSSH's ssh-keygen with the same arguments (the key file removed before each run). */
function hyperfine(name: string, args: string[], runs: number): void {
  if (only !== undefined && !name.includes(only)) return;
  const key = join(dir, "key");
  const json = join(dir, `${name}.json`);
  const cmd = (exe: string[]): string => [...exe, ...args, "-f", key].map((a) => (a === "" ? "''" : /\s/.test(a) ? `'${a}'` : a)).join(" ");
  const p = Bun.spawnSync(
    ["hyperfine", "-N", "--warmup", "2", "--runs", String(runs), "--prepare", `rm -f ${key} ${key}.pub`, "--export-json", json, "-n", "sshbox", cmd([bin, "ssh-keygen"]), "-n", "openssh", cmd([OPENSSH_KEYGEN])],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (p.exitCode !== 0) throw new Error(`hyperfine failed: ${p.stderr.toString()}`);
  const r = (JSON.parse(readFileSync(json, "utf8")) as HyperfineResult).results;
  const ours = r.find((x) => x.command === "sshbox")!;
  const theirs = r.find((x) => x.command === "openssh")!;
  line({ bench: "keygen", case: name, runner: "hyperfine -N", sshboxMeanS: round(ours.mean), opensshMeanS: round(theirs.mean), sshboxMedianS: round(ours.median), opensshMedianS: round(theirs.median), ratio: round(ours.mean / theirs.mean), runs });
}

/** In-process median of `work` (ms), for the library's share of the process time. */
function inProcess(name: string, work: () => unknown, runs: number): void {
  if (only !== undefined && !name.includes(only)) return;
  work();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    work();
    xs.push(performance.now() - t);
  }
  xs.sort((a, b) => a - b);
  line({ bench: "keygen-library", case: name, medianMs: round(xs[xs.length >> 1]!), runs });
}

const round = (x: number): number => Number(x.toPrecision(4));

// Check first: a key we write with a passphrase reads back with it.
{
  const k = generatePrivateKey("ed25519");
  const back = loadPrivateKey(new TextEncoder().encode(formatPrivateKey(k, { passphrase: "pw", rounds: 2 })), "pw");
  if (!Buffer.from(back.publicKeyBlob).equals(Buffer.from(k.publicKeyBlob))) throw new Error("round trip failed");
}

hyperfine("ed25519", ["-q", "-t", "ed25519", "-N", ""], 30);
hyperfine("ecdsa-256", ["-q", "-t", "ecdsa", "-b", "256", "-N", ""], 30);
hyperfine("ecdsa-384", ["-q", "-t", "ecdsa", "-b", "384", "-N", ""], 30);
hyperfine("ecdsa-521", ["-q", "-t", "ecdsa", "-b", "521", "-N", ""], 30);
hyperfine("rsa-2048", ["-q", "-t", "rsa", "-b", "2048", "-N", ""], 30);
hyperfine("rsa-3072", ["-q", "-t", "rsa", "-b", "3072", "-N", ""], 20);
hyperfine("bcrypt-pbkdf-16-rounds (ed25519 -N pw -a 16)", ["-q", "-t", "ed25519", "-a", "16", "-N", "pw"], 20);

inProcess("generate ed25519", () => generatePrivateKey("ed25519"), 50);
inProcess("generate ecdsa-256", () => generatePrivateKey("ecdsa", 256), 50);
inProcess("generate rsa-3072", () => generatePrivateKey("rsa", 3072), 10);
inProcess("bcrypt-pbkdf 16 rounds 48 bytes", () => bcryptPbkdf(new TextEncoder().encode("pw"), new Uint8Array(16).fill(1), 16, 48), 10);

rmSync(dir, { recursive: true, force: true });
