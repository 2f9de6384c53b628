// chacha20-poly1305@openssh.com throughput: seal+open of one packet in place, at protocol-shaped sizes.
// Run: bun bench/crypto-chachapoly.ts >> results.jsonl. Baseline: `openssl speed -evp chacha20-poly1305 -bytes 32768`
// (seal only, native) when openssl is on PATH. One JSON line per case; mbPerS counts packet bytes (4 + len) processed by
// one seal plus one open, divided by the time of both, so it is comparable to a connection's one-way throughput.
import { heapStats } from "bun:jsc";
import { cpus } from "node:os";
import { allocateChaChaPolyBuffer, ChaChaPolyOpenSsh } from "../core/crypto/chachapoly-openssh.ts";
import { ChaCha20 } from "../core/crypto/chacha20.ts";
import { poly1305 } from "../core/crypto/poly1305.ts";

const cpu = cpus()[0]?.model ?? "unknown";
const line = (o: Record<string, unknown>): void => console.log(JSON.stringify({ ...o, bun: Bun.version, cpu }));
const RUNS = 7;

/** A plaintext packet of `len` (packet_length) with room for the tag; in kernel memory when `inKernel`. */
function packet(len: number, inKernel = false): Uint8Array {
  const buf = inKernel ? allocateChaChaPolyBuffer(4 + len + 16) : new Uint8Array(4 + len + 16);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 167 + 13) & 0xff;
  new DataView(buf.buffer, buf.byteOffset, buf.byteLength).setUint32(0, len);
  return buf;
}

const key = Uint8Array.from({ length: 64 }, (_, i) => i * 3 + 1);
const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * MB/s of `work` (which processes `bytesPerCall` bytes) over RUNS runs of about `runMs` after a warm-up: the median by
 * wall clock (`mbPerS`), the best run, and the median by this process's CPU time (steadier when other processes share
 * the cores; it also counts JIT and GC threads).
 */
function measure(work: () => void, bytesPerCall: number, runMs = 60): { mbPerS: number; bestMbPerS: number; cpuMbPerS: number } {
  let calls = 1;
  for (let t0 = performance.now(); performance.now() - t0 < 80; ) { work(); calls++; } // warm-up, tier-up of the kernel
  const perCallMs = 80 / calls;
  const n = Math.max(1, Math.round(runMs / perCallMs));
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) work();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    rates.push((n * bytesPerCall) / (ms * 1000));
    cpuRates.push((n * bytesPerCall) / (c.user + c.system));
  }
  return { mbPerS: Math.round(median(rates)), bestMbPerS: Math.round(Math.max(...rates)), cpuMbPerS: Math.round(median(cpuRates)) };
}

const CASES = [["64 B", 64, false], ["1 KiB", 1024, false], ["32 KiB", 32768, false], ["256 KiB", 262144, false],
  ["64 B in a kernel buffer", 64, true], ["32 KiB in a kernel buffer", 32768, true]] as const;
for (const [label, len, inKernel] of CASES) {
  const sealer = new ChaChaPolyOpenSsh(key);
  const opener = new ChaChaPolyOpenSsh(key);
  const buf = packet(len, inKernel);
  const plain = buf.slice();
  // Check first: open(seal(x)) == x, and the openLength answer.
  sealer.seal(5, buf, 0, len);
  if (opener.openLength(5, buf, 0) !== len || !opener.open(5, buf, 0, len) || !buf.subarray(0, 4 + len).every((b, i) => b === plain[i])) {
    throw new Error(`round trip failed at ${label}`);
  }
  let seq = 0;
  const both = (): void => {
    sealer.seal(seq, buf, 0, len);
    if (!opener.open(seq, buf, 0, len)) throw new Error("tag mismatch");
    seq = (seq + 1) >>> 0;
  };
  line({ bench: "crypto-chachapoly", case: `seal+open ${label}`, bytes: 4 + len, ...measure(both, 4 + len) });
  if (len === 32768 && !inKernel) {
    let s = 0;
    line({ bench: "crypto-chachapoly", case: `seal ${label}`, bytes: 4 + len, ...measure(() => sealer.seal(s++, buf, 0, len), 4 + len) });
    sealer.seal(0, buf, 0, len);
    const wire = buf.slice();
    line({ bench: "crypto-chachapoly", case: `open ${label}`, bytes: 4 + len, ...measure(() => {
      buf.set(wire); // restore the ciphertext (a 32 KiB copy, included in the time)
      if (!opener.open(0, buf, 0, len)) throw new Error("tag mismatch");
    }, 4 + len) });
    const c = new ChaCha20(key.subarray(0, 32));
    line({ bench: "crypto-chachapoly", case: `chacha20 xor ${label}`, bytes: len, ...measure(() => c.xor(1, 0, 0, 0, buf, 0, len), len) });
    const msg = buf.subarray(0, len);
    const tag = new Uint8Array(16);
    line({ bench: "crypto-chachapoly", case: `poly1305 ${label}`, bytes: len, ...measure(() => poly1305(key.subarray(0, 32), msg, tag), len) });
    c.dispose();
  }
  sealer.dispose();
  opener.dispose();
}

// Heap growth: 100,000 seal+open pairs after a warm-up, measured after full collections. Ordinary buffers above
// 128 bytes cost one short-lived view per copy (two per call); kernel buffers none.
for (const [len, inKernel] of [[64, false], [1024, false], [32768, false], [1024, true], [32768, true]] as const) {
  const sealer = new ChaChaPolyOpenSsh(key);
  const opener = new ChaChaPolyOpenSsh(key);
  const buf = packet(len, inKernel);
  const packets = len === 32768 ? 20_000 : 100_000;
  for (let i = 0; i < 1000; i++) { sealer.seal(i, buf, 0, len); opener.open(i, buf, 0, len); }
  Bun.gc(true);
  const before = process.memoryUsage().heapUsed;
  const objectsBefore = heapStats().objectCount;
  const t0 = performance.now();
  for (let i = 0; i < packets; i++) { sealer.seal(i, buf, 0, len); opener.open(i, buf, 0, len); }
  const ms = performance.now() - t0;
  const grewLive = process.memoryUsage().heapUsed - before;
  const newObjects = heapStats().objectCount - objectsBefore; // live objects that appeared (collections may run)
  Bun.gc(true);
  const grewAfterGc = process.memoryUsage().heapUsed - before;
  line({ bench: "crypto-chachapoly", case: `heap growth, ${packets} packets of ${len} B${inKernel ? " in a kernel buffer" : ""}`, bytes: 4 + len, packets,
    heapGrowthBytesBeforeGc: grewLive, heapGrowthBytesAfterGc: grewAfterGc, newObjectsBeforeGc: newObjects, nsPerPacketPair: Math.round((ms * 1e6) / packets) });
  sealer.dispose();
  opener.dispose();
}

// @noble/ciphers (a devDependency for this comparison only, the pure-JS reference point): the IETF AEAD,
// fresh object per packet as its API wants; encrypt alone, and encrypt+decrypt like our seal+open.
const nobleSpec = "@noble/ciphers/chacha.js";
const noble = (await import(nobleSpec).catch(() => null)) as
  | { chacha20poly1305: (key: Uint8Array, nonce: Uint8Array) => { encrypt(m: Uint8Array): Uint8Array; decrypt(c: Uint8Array): Uint8Array } }
  | null;
if (noble) {
  const msg = packet(32768);
  const nonce = new Uint8Array(12);
  const k32 = key.subarray(0, 32);
  line({ bench: "crypto-chachapoly", case: "@noble/ciphers chacha20poly1305 encrypt 32 KiB", bytes: msg.length,
    ...measure(() => noble.chacha20poly1305(k32, nonce).encrypt(msg), msg.length) });
  line({ bench: "crypto-chachapoly", case: "@noble/ciphers chacha20poly1305 encrypt+decrypt 32 KiB", bytes: msg.length,
    ...measure(() => noble.chacha20poly1305(k32, nonce).decrypt(noble.chacha20poly1305(k32, nonce).encrypt(msg)), msg.length) });
}

// Native baseline (seal only, one direction): openssl speed reports 1000s of bytes per second.
if (Bun.which("openssl")) {
  const proc = Bun.spawnSync(["openssl", "speed", "-mr", "-seconds", "1", "-evp", "chacha20-poly1305", "-bytes", "32768"], { stderr: "ignore" });
  const m = /\+F:\d+:[^:]+:([\d.]+)/.exec(proc.stdout.toString());
  if (m) line({ bench: "crypto-chachapoly", case: "openssl speed -evp chacha20-poly1305 32 KiB (seal only)", bytes: 32768, mbPerS: Math.round(Number(m[1]) / 1e6) });
}
