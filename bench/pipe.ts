// In-process client → server throughput per cipher over memory links (issue: protocol core): MB/s, CPU seconds per
// GiB (both ends in this process), heap bytes per packet; and handshake CPU per key exchange. One JSON line per case.
// Baseline for comparison: reference/perf-baseline.md (OpenSSH's own transport ceiling on this machine).
// Run: bun bench/pipe.ts [MiB per cipher, default 1024]
import { cpus } from "node:os";
import { CIPHERS, KEX_METHODS } from "../core/crypto/registry.ts";
import { transportPair } from "../test/helpers/transport.ts";
import { BufferPool } from "../core/wire/index.ts";
import type { Transport } from "../core/transport/transport.ts";

const MIB = Number(process.argv[2] ?? 1024);
const PAYLOAD = 32 * 1024;
const cpu = cpus()[0]?.model ?? "unknown";

async function pump(client: Transport, server: Transport, bytes: number): Promise<void> {
  const packets = Math.ceil(bytes / PAYLOAD);
  const body = new Uint8Array(PAYLOAD).fill(7);
  let received = 0;
  const done = new Promise<void>((resolve) => {
    server.onMessage = (_p, lease) => {
      lease.release();
      if (++received === packets) resolve();
    };
  });
  let sent = 0;
  await new Promise<void>((resolve) => {
    const more = (): void => {
      while (sent < packets && client.backlogBytes < 1024 * 1024) {
        const w = client.begin(94, PAYLOAD);
        w.raw(body);
        client.commit(w);
        sent++;
      }
      if (sent === packets) resolve();
      else setTimeout(more, 0);
    };
    client.onWritable = more;
    more();
  });
  await done;
}

for (const c of CIPHERS) {
  const mac = c.aead ? undefined : "hmac-sha2-256-etm@openssh.com";
  const pool = new BufferPool();
  const t = transportPair({ client: { ciphers: [c.name], ...(mac ? { macs: [mac] } : {}) }, pool, link: { capacity: 4 * 1024 * 1024 } });
  await Promise.all([t.client.ready, t.server.ready]);
  await pump(t.client, t.server, 64 * 1024 * 1024); // warm-up
  Bun.gc(true);
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pump(t.client, t.server, MIB * 1024 * 1024);
  const secs = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const heap1 = process.memoryUsage().heapUsed;
  const packets = Math.ceil((MIB * 1024 * 1024) / PAYLOAD);
  console.log(JSON.stringify({
    bench: "pipe", case: `${c.name}${mac ? ` + ${mac}` : ""}`, mib: MIB, mbPerS: Math.round((MIB * 1.048576) / secs),
    cpuSecondsPerGiB: +(((used.user + used.system) / 1e6) * (1024 / MIB)).toFixed(2),
    heapBytesPerPacket: +((heap1 - heap0) / packets).toFixed(1), bun: Bun.version, cpu,
  }));
  t.client.close();
  await t.server.closed;
}

for (const k of KEX_METHODS) {
  const runs = k.name.includes("group18") ? 3 : k.name.includes("group16") ? 5 : 20;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = transportPair({ client: { kex: [k.name] }, server: { kex: [k.name] } });
    const c0 = process.cpuUsage();
    await Promise.all([t.client.ready, t.server.ready]);
    const u = process.cpuUsage(c0);
    samples.push((u.user + u.system) / 1000);
    t.client.close();
    await t.server.closed;
  }
  samples.sort((a, b) => a - b);
  console.log(JSON.stringify({ bench: "pipe", case: `handshake ${k.name}`, cpuMsPerHandshakeBothSides: +samples[samples.length >> 1]!.toFixed(2), runs, bun: Bun.version, cpu }));
}
process.exit(0);
