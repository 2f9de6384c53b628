// seal + openLength + open of one packet, in place, for aes128-gcm, aes256-gcm, aes128-ctr + hmac-sha2-256-etm and
// aes128-ctr + umac-64-etm at 64 B, 1 KiB, 32 KiB and 256 KiB; then heap growth over 100,000 64-byte packets.
// Baseline: `openssl speed -evp aes-128-gcm` and shared/reference/perf-baseline.md (Bun node:crypto aes-128-gcm ≈ 7 GB/s seal only).
// Run: bun bench/crypto-aes-mac.ts >> results.jsonl   (BENCH_REPS=7 BENCH_MS=200 by default). mbPerS counts payload bytes
// once per seal+open round trip.
import { createHmac } from "node:crypto";
import { cpus } from "node:os";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { composePacketCipher } from "../core/crypto/packet-cipher.ts";
import { CIPHER_SPECS_AES, MAC_SPECS } from "../core/crypto/specs-aes-mac.ts";
import type { PacketCipher } from "../core/crypto/types.ts";

const REPS = Number(process.env.BENCH_REPS ?? 7);
const REP_MS = Number(process.env.BENCH_MS ?? 200);
const SIZES = [64, 1024, 32 * 1024, 256 * 1024];
const cpu = cpus()[0]?.model ?? "unknown";

function key(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 101 + seed) & 0xff);
}
function cipher(name: string): (dir: "seal" | "open") => PacketCipher {
  const spec = CIPHER_SPECS_AES.find((c) => c.name === name)!;
  return (dir) => spec.createAead!(key(spec.keyBytes, 1), key(spec.ivBytes, 2), dir);
}
function ctrWith(macName: string): (dir: "seal" | "open") => PacketCipher {
  const c = CIPHER_SPECS_AES.find((s) => s.name === "aes128-ctr")!;
  const m = MAC_SPECS.find((s) => s.name === macName)!;
  return (dir) => composePacketCipher(c.createStream!(key(16, 3), key(16, 4), dir), m.create(key(m.keyBytes, 5)), m.etm);
}
const CASES: [string, (dir: "seal" | "open") => PacketCipher][] = [
  ["aes128-gcm@openssh.com", cipher("aes128-gcm@openssh.com")],
  ["aes256-gcm@openssh.com", cipher("aes256-gcm@openssh.com")],
  ["aes128-ctr+hmac-sha2-256-etm@openssh.com", ctrWith("hmac-sha2-256-etm@openssh.com")],
  ["aes128-ctr+umac-64-etm@openssh.com", ctrWith("umac-64-etm@openssh.com")],
];

/** A packet whose payload is `size` bytes, padded for a clear-length cipher of block 16 (RFC 4253 §6, PROTOCOL §1.5). */
function packetFor(pc: PacketCipher, size: number): { buf: Uint8Array; len: number } {
  let pad = 16 - ((1 + size) % 16);
  if (pad < 4) pad += 16;
  const len = 1 + size + pad;
  const buf = new Uint8Array(4 + len + pc.tagBytes);
  new DataView(buf.buffer).setUint32(0, len);
  buf[4] = pad;
  for (let i = 5; i < 4 + len; i++) buf[i] = i & 0xff;
  return { buf, len };
}

function roundTrip(sealer: PacketCipher, opener: PacketCipher, seq: number, buf: Uint8Array, len: number): void {
  sealer.seal(seq, buf, 0, len);
  if (opener.openLength(seq, buf, 0) !== len || !opener.open(seq, buf, 0, len)) throw new Error("bench: open(seal(x)) failed");
}

for (const [name, make] of CASES) {
  for (const size of SIZES) {
    const sealer = make("seal");
    const opener = make("open");
    const { buf, len } = packetFor(sealer, size);
    const original = buf.slice(0, 4 + len);
    let seq = 0;
    // Check first: open(seal(x)) = x, and the sealed form differs from x.
    sealer.seal(seq, buf, 0, len);
    if (Buffer.compare(buf.subarray(4, 4 + len), original.subarray(4)) === 0) throw new Error("bench: seal did not encrypt");
    if (opener.openLength(seq, buf, 0) !== len || !opener.open(seq, buf, 0, len)) throw new Error("bench: open failed");
    if (Buffer.compare(buf.subarray(0, 4 + len), original) !== 0) throw new Error("bench: open(seal(x)) != x");
    seq++;
    // Warm up, then size the batch so one rep takes about REP_MS.
    let batch = 16;
    for (;;) {
      const t = performance.now();
      for (let i = 0; i < batch; i++) roundTrip(sealer, opener, seq++, buf, len);
      if (performance.now() - t > REP_MS / 4) break;
      batch *= 2;
    }
    batch *= 4;
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const t = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < batch; i++) roundTrip(sealer, opener, seq++, buf, len);
      const c1 = process.cpuUsage(c0);
      times.push(performance.now() - t);
      cpuTimes.push((c1.user + c1.system) / 1000);
    }
    times.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    const cpuMedian = cpuTimes[Math.floor(cpuTimes.length / 2)]!;
    if (Buffer.compare(buf.subarray(0, 4 + len), original) !== 0) throw new Error("bench: packet changed across the run");
    console.log(
      JSON.stringify({
        bench: "crypto-aes-mac",
        case: `${name} seal+open`,
        bytes: size,
        mbPerS: +((size * batch) / median / 1000).toFixed(1),
        usPerPacket: +((median * 1000) / batch).toFixed(3),
        // The same over CPU time: steadier on the shared 2-core machine (shared/reference/perf-baseline.md, "Noise").
        mbPerSCpu: +((size * batch) / cpuMedian / 1000).toFixed(1),
        bun: Bun.version,
        cpu,
      }),
    );
    // One direction alone (the "aes128-gcm at 32 KiB" figure; `openssl speed -evp` measures this too):
    // seal again and again in place (the bytes sealed do not matter for the rate).
    const sealTimes: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const t = performance.now();
      for (let i = 0; i < batch; i++) sealer.seal(seq++, buf, 0, len);
      sealTimes.push(performance.now() - t);
    }
    sealTimes.sort((a, b) => a - b);
    const sealMedian = sealTimes[Math.floor(sealTimes.length / 2)]!;
    console.log(JSON.stringify({ bench: "crypto-aes-mac", case: `${name} seal`, bytes: size, mbPerS: +((size * batch) / sealMedian / 1000).toFixed(1), usPerPacket: +((sealMedian * 1000) / batch).toFixed(3), bun: Bun.version, cpu }));
  }
}

// HMAC routes for hmac.ts: a keyed Bun.CryptoHasher copied per packet (ours), a new createHmac per packet, @noble/hashes'
// keyed state cloned per packet. Each computes HMAC-SHA256(key, uint32 seq ‖ data); outputs are checked equal first.
{
  const macKey = key(32, 9);
  const seqBytes = new Uint8Array(4);
  const out = new Uint8Array(64);
  const ours = MAC_SPECS.find((m) => m.name === "hmac-sha2-256")!.create(macKey);
  const noble = hmac.create(sha256, macKey);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- noble's _cloneInto type does not round-trip
  let tmp: any;
  const routes: [string, (d: Uint8Array) => Uint8Array][] = [
    ["Bun.CryptoHasher copy (hmac.ts)", (d) => (ours.compute(0, d, 0, d.length, out, 0), out.subarray(0, 32))],
    ["node:crypto createHmac per packet", (d) => createHmac("sha256", macKey).update(seqBytes).update(d).digest()],
    ["@noble/hashes _cloneInto", (d) => {
      const h = noble._cloneInto(tmp);
      tmp = h;
      h.update(seqBytes).update(d);
      h.digestInto(out);
      return out.subarray(0, 32);
    }],
  ];
  for (const size of [64, 32 * 1024]) {
    const d = key(size, 7);
    const expected = Buffer.from(routes[1]![1](d)).toString("hex");
    for (const [route, f] of routes) {
      if (Buffer.from(f(d)).toString("hex") !== expected) throw new Error(`bench: ${route} disagrees`);
      const n = size > 1024 ? 500 : 20_000;
      for (let i = 0; i < n; i++) f(d);
      const times: number[] = [];
      for (let r = 0; r < REPS; r++) {
        const t = performance.now();
        for (let i = 0; i < n; i++) f(d);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      console.log(JSON.stringify({ bench: "crypto-aes-mac", case: `hmac route: ${route}`, bytes: size, mbPerS: +((size * n) / median / 1000).toFixed(1), usPerPacket: +((median * 1000) / n).toFixed(3), bun: Bun.version, cpu }));
    }
  }
}

// Heap growth over 100,000 packets (64-byte payload): what a packet leaves behind once the collector has run, and how much
// the JS heap (plus ArrayBuffer memory) grew while the packets ran with no forced collection.
for (const [name, make] of CASES) {
  const sealer = make("seal");
  const opener = make("open");
  const { buf, len } = packetFor(sealer, 64);
  for (let i = 0; i < 1000; i++) roundTrip(sealer, opener, i, buf, len);
  Bun.gc(true);
  const m0 = process.memoryUsage();
  for (let i = 0; i < 100_000; i++) roundTrip(sealer, opener, i, buf, len);
  const m1 = process.memoryUsage();
  Bun.gc(true);
  const m2 = process.memoryUsage();
  console.log(
    JSON.stringify({
      bench: "crypto-aes-mac",
      case: `${name} heap over 100000 packets`,
      bytes: 64,
      heapGrowthBytes: m1.heapUsed - m0.heapUsed,
      arrayBufferGrowthBytes: m1.arrayBuffers - m0.arrayBuffers,
      retainedAfterGcBytes: m2.heapUsed - m0.heapUsed,
      bun: Bun.version,
      cpu,
    }),
  );
}
