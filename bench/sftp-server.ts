// sftp-server throughput: OpenSSH's `sftp -D <server>` (9.2, over pipes, no ssh) against OpenSSH's sftp-server and
// against ours, get and put of one file, runs alternating, medians; one JSON line per case. Baseline: OpenSSH's
// /usr/lib/openssh/sftp-server. `ratio` = our throughput / OpenSSH's (target >= 1.0); `cpuRatio` = OpenSSH's server
// CPU time / ours.
//   bun bench/sftp-server.ts [MiB=1024] [reps=5] [--threaded]   >> results.jsonl
// --threaded adds a third server: ours in this process's Bun with dataIo "threaded" (READ/WRITE on libuv's pool).
// `bun bench/sftp-server.ts --serve threaded|blocking` is that server itself (stdin/stdout).
// `bun bench/sftp-server.ts --fs` compares the file I/O APIs for the data path (why handlers.ts reads synchronously).
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, symlinkSync, openSync, writeSync, closeSync, readFileSync } from "node:fs";
import { cpus, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { serveSftp } from "../core/sftp/index.ts";

const OPENSSH_SFTP = "/usr/bin/sftp";
const OPENSSH_SERVER = "/usr/lib/openssh/sftp-server";

if (process.argv[2] === "--serve") {
  const u = userInfo();
  const sink = Bun.stdout.writer({ highWaterMark: 1 << 20 });
  const end = await serveSftp(
    Bun.stdin.stream(),
    (b) => {
      sink.write(b);
      const r = sink.flush();
      return r instanceof Promise ? r.then(() => {}) : undefined;
    },
    { user: { name: u.username, uid: u.uid, home: u.homedir }, dataIo: process.argv[3] === "threaded" ? "threaded" : "blocking" },
  );
  await sink.end();
  process.exit(end.exitStatus);
}

if (process.argv.includes("--fs")) {
  // Which file I/O the server's data path should use: sync pread/pwrite vs fs/promises (alone and 8 at a time) vs
  // Bun.file slices, for the request sizes OpenSSH's sftp sends (32 KiB default, 255 KiB after limits@openssh.com).
  const { openSync: o, readSync, writeSync: w, closeSync: c } = await import("node:fs");
  const { open } = await import("node:fs/promises");
  const d = mkdtempSync(join(tmpdir(), "bench-sftp-fs-"));
  const f = join(d, "f");
  const total = 256 * 1024 * 1024;
  await Bun.write(f, new Uint8Array(total).fill(1));
  const line = (io: string, size: number, ms: number) =>
    console.log(JSON.stringify({ bench: "sftp-server", case: `file ${io} ${size} B`, mibPerS: Math.round((total / 1048576 / ms) * 1000), bun: Bun.version, cpu: cpus()[0]?.model }));
  for (const size of [32768, 261120]) {
    const buf = new Uint8Array(size);
    let t = performance.now();
    let fd = o(f, "r");
    for (let off = 0; off < total; off += size) readSync(fd, buf, 0, size, off);
    c(fd);
    line("read sync", size, performance.now() - t);
    const fh = await open(f, "r");
    t = performance.now();
    for (let off = 0; off < total; off += size) await fh.read(buf, 0, size, off);
    line("read fs/promises", size, performance.now() - t);
    const bufs = Array.from({ length: 8 }, () => new Uint8Array(size));
    let next = 0;
    t = performance.now();
    await Promise.all(bufs.map(async (b) => { while (next < total) { const off = next; next += size; await fh.read(b, 0, size, off); } }));
    line("read fs/promises x8", size, performance.now() - t);
    await fh.close();
    const bf = Bun.file(f);
    t = performance.now();
    for (let off = 0; off < total; off += size) await bf.slice(off, off + size).bytes();
    line("read Bun.file slice", size, performance.now() - t);
    fd = o(join(d, "w"), "w");
    t = performance.now();
    for (let off = 0; off < total; off += size) w(fd, buf, 0, size, off);
    c(fd);
    line("write sync", size, performance.now() - t);
    const wh = await open(join(d, "w2"), "w");
    t = performance.now();
    for (let off = 0; off < total; off += size) await wh.write(buf, 0, size, off);
    await wh.close();
    line("write fs/promises", size, performance.now() - t);
  }
  rmSync(d, { recursive: true, force: true });
  process.exit(0);
}

const mib = Number(process.argv.find((a, i) => i >= 2 && /^\d+$/.test(a)) ?? 1024);
const reps = Number(process.argv.filter((a, i) => i >= 2 && /^\d+$/.test(a))[1] ?? 5);
const root = join(import.meta.dir, "..");
const binary = join(root, "dist", "sshbox");
if (!existsSync(binary)) throw new Error("build dist/sshbox first: bun scripts/build.ts");
if (!existsSync(OPENSSH_SFTP) || !existsSync(OPENSSH_SERVER)) throw new Error("needs OpenSSH's sftp and sftp-server");

const dir = mkdtempSync(join(tmpdir(), "bench-sftp-server-"));
const ours = join(dir, "sftp-server");
symlinkSync(binary, ours);
const servers: [string, string][] = [["openssh", OPENSSH_SERVER], ["sshbox", ours]];
if (process.argv.includes("--threaded")) {
  const wrapper = join(dir, "threaded");
  Bun.write(wrapper, `#!/bin/sh\nexec ${process.execPath} ${join(import.meta.dir, "sftp-server.ts")} --serve threaded\n`);
  await Bun.$`chmod +x ${wrapper}`;
  servers.push(["sshbox-threaded", wrapper]);
}

// the file: random bytes, written once
const src = join(dir, "src");
{
  const fd = openSync(src, "w");
  const block = new Uint8Array(1 << 20);
  for (let i = 0; i < mib; i++) {
    crypto.getRandomValues(block.subarray(0, 65536));
    block.copyWithin(65536, 0, 65536 * 15);
    writeSync(fd, block);
  }
  closeSync(fd);
}
const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
const want = sha(src);

// The server runs under /usr/bin/time when present, so each case also reports the server's own CPU time (user+sys),
// which shared machines disturb far less than wall-clock time.
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const cpuFile = join(dir, "cpu");
async function transfer(server: string, op: "get" | "put"): Promise<{ ms: number; cpuMs: number }> {
  const dst = join(dir, `dst-${op}`);
  rmSync(dst, { force: true });
  rmSync(cpuFile, { force: true });
  const cmd = op === "get" ? `get ${src} ${dst}\n` : `put ${src} ${dst}\n`;
  const wrapped = TIME ? `${TIME} -f %U+%S -o ${cpuFile} ${server}` : server;
  const t0 = performance.now();
  const p = Bun.spawn([OPENSSH_SFTP, "-q", "-b", "-", "-D", wrapped], { stdin: new TextEncoder().encode(cmd), stdout: "ignore", stderr: "pipe" });
  const code = await p.exited;
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${server} ${op}: exit ${code}: ${await p.stderr.text()}`);
  let cpuMs = NaN;
  if (TIME) {
    for (let i = 0; i < 50 && !existsSync(cpuFile); i++) await Bun.sleep(10); // time(1) writes after sftp returns
    const [u, s] = readFileSync(cpuFile, "utf8").trim().split("+").map(Number);
    cpuMs = ((u ?? NaN) + (s ?? NaN)) * 1000;
  }
  return { ms, cpuMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpu = cpus()[0]?.model ?? "unknown";
for (const op of ["get", "put"] as const) {
  // check the output once per server, then warm up, then alternate
  for (const [, path] of servers) {
    await transfer(path, op);
    if (sha(join(dir, `dst-${op}`)) !== want) throw new Error(`${path} ${op}: file differs`);
  }
  const times = new Map<string, number[]>(servers.map(([n]) => [n, []]));
  const cpuTimes = new Map<string, number[]>(servers.map(([n]) => [n, []]));
  for (let r = 0; r < reps; r++) {
    for (const [name, path] of servers) {
      const t = await transfer(path, op);
      times.get(name)!.push(t.ms);
      cpuTimes.get(name)!.push(t.cpuMs);
    }
  }
  const base = median(times.get("openssh")!);
  const baseCpu = median(cpuTimes.get("openssh")!);
  for (const [name] of servers) {
    const ms = median(times.get(name)!);
    const cpuMs = median(cpuTimes.get(name)!);
    console.log(JSON.stringify({
      bench: "sftp-server", case: `${op} ${mib} MiB`, server: name, medianMs: Math.round(ms), mibPerS: Math.round((mib / ms) * 1000),
      ratio: Number((base / ms).toFixed(2)), serverCpuMs: Math.round(cpuMs), cpuRatio: Number((baseCpu / cpuMs).toFixed(2)),
      reps, client: "OpenSSH sftp -D", bun: Bun.version, cpu,
    }));
  }
}
rmSync(dir, { recursive: true, force: true });
