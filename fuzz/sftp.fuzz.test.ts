// SFTP server under random and mutated input: it answers with well-formed replies or ends the session cleanly
// (exit 0, 11 or 255), never crashes or hangs, and every pooled buffer comes back. FUZZ_RUNS=5000 for a long run.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { mkdtempSync, realpathSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BufferPool, Writer } from "../core/wire/index.ts";
import { decodeReply, encodeRequest, serveSftp, SftpFramer, type SftpRequest } from "../core/sftp/index.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const TIMEOUT_MS = 20000 + RUNS * 20;

async function* chunks(parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield p;
}

/** Runs one session over `parts` in a scratch dir; returns the exit status after checking the replies. */
async function serve(parts: Uint8Array[], readOnly: boolean, dataIo: "blocking" | "threaded" = "blocking"): Promise<number> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "sftp-fuzz-")));
  writeFileSync(join(dir, "a"), "hello");
  mkdirSync(join(dir, "d"));
  const pool = new BufferPool({ checked: true });
  try {
    const end = await Promise.race([
      serveSftp(chunks(parts), (b) => {
        expect(new DataView(b.buffer, b.byteOffset).getUint32(0)).toBe(b.length - 4);
        const r = decodeReply(b.slice(4)); // well-formed
        if (r.type === "status") expect(r.code).toBeLessThanOrEqual(8);
      }, { user: { name: "fuzz", uid: 1, home: dir }, cwd: dir, readOnly, pool, dataIo, maxHandles: 8 }),
      Bun.sleep(5000).then(() => {
        throw new Error("session hung");
      }),
    ]);
    expect([0, 11, 255]).toContain(end.exitStatus);
    expect(pool.outstanding).toBe(0);
    return end.exitStatus;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const init = encodeRequest({ type: "init", version: 3, extensions: [] }).toBytes();
const frame = (body: Uint8Array) => {
  const w = new Writer().u32(body.length);
  w.raw(body);
  return w.toBytes();
};

test("random packets after INIT: statuses or a clean end (read-only, so nothing outside is touched)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 80 })), { maxLength: 20 }), async (pkts) => {
      await serve([init, ...pkts.map(([t, body]) => frame(Uint8Array.of(t, ...body)))], true);
    }),
    { numRuns: RUNS },
  );
}, TIMEOUT_MS);

test("raw random bytes: never a crash", async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.boolean(), async (bytes, withInit) => {
      await serve(withInit ? [init, bytes] : [bytes], true);
    }),
    { numRuns: RUNS },
  );
}, TIMEOUT_MS);

// Well-formed requests on names inside the scratch directory (no "/" and no ".."), all request types, both I/O modes.
const name = fc.constantFrom("a", "b", "d", "d/x", "l", "", ".", "nope");
const handle = fc.oneof(fc.constantFrom(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(0, 0, 0, 1), Uint8Array.of(0, 0, 0, 2)), fc.uint8Array({ maxLength: 6 }));
const enc = (s: string) => new TextEncoder().encode(s);
const attrs = fc.record({ permissions: fc.option(fc.integer({ min: 0, max: 0o777 }), { nil: undefined }), size: fc.option(fc.nat(100), { nil: undefined }) }, { requiredKeys: [] });
const request: fc.Arbitrary<(id: number) => SftpRequest> = fc.oneof(
  fc.tuple(name, fc.integer({ min: 0, max: 63 }), attrs).map(([p, f, a]) => (id: number) => ({ type: "open", id, path: enc(p), pflags: f, attrs: a }) as SftpRequest),
  handle.map((h) => (id: number) => ({ type: "close", id, handle: h }) as SftpRequest),
  fc.tuple(handle, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat(300000)).map(([h, o, l]) => (id: number) => ({ type: "read", id, handle: h, offset: o % (1n << 64n), length: l }) as SftpRequest),
  fc.tuple(handle, fc.nat(1000), fc.uint8Array({ maxLength: 300 })).map(([h, o, d]) => (id: number) => ({ type: "write", id, handle: h, offset: BigInt(o), data: d }) as SftpRequest),
  fc.tuple(fc.constantFrom("lstat", "stat", "opendir", "remove", "rmdir", "realpath", "readlink"), name).map(([t, p]) => (id: number) => ({ type: t, id, path: enc(p) }) as SftpRequest),
  fc.tuple(fc.constantFrom("fstat", "readdir"), handle).map(([t, h]) => (id: number) => ({ type: t, id, handle: h }) as SftpRequest),
  fc.tuple(fc.constantFrom("setstat", "mkdir"), name, attrs).map(([t, p, a]) => (id: number) => ({ type: t, id, path: enc(p), attrs: a }) as SftpRequest),
  fc.tuple(handle, attrs).map(([h, a]) => (id: number) => ({ type: "fsetstat", id, handle: h, attrs: a }) as SftpRequest),
  fc.tuple(name, name).map(([a, b]) => (id: number) => ({ type: "rename", id, oldPath: enc(a), newPath: enc(b) }) as SftpRequest),
  fc.tuple(name, name).map(([a, b]) => (id: number) => ({ type: "symlink", id, targetPath: enc(a), linkPath: enc(b) }) as SftpRequest),
  fc.tuple(
    fc.constantFrom("posix-rename@openssh.com", "statvfs@openssh.com", "fstatvfs@openssh.com", "hardlink@openssh.com", "fsync@openssh.com", "lsetstat@openssh.com", "limits@openssh.com", "expand-path@openssh.com", "copy-data", "home-directory", "users-groups-by-id@openssh.com", "x@y"),
    fc.array(fc.oneof(name.map(enc), handle), { maxLength: 3 }), fc.array(fc.bigInt({ min: 0n, max: 200n }), { maxLength: 3 }),
  ).map(([n, strs, nums]) => (id: number) => {
    const w = new Writer();
    strs.forEach((s, i) => {
      w.string(s);
      if (nums[i] !== undefined) w.u64(nums[i]!);
    });
    return { type: "extended", id, name: n, body: w.toBytes() } as SftpRequest;
  }),
);

test("well-formed requests in the scratch dir: only statuses and replies (both I/O modes)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(request, { maxLength: 30 }), fc.nat(40), fc.constantFrom("blocking", "threaded" as const), async (reqs, cut, dataIo) => {
      const bytes = Buffer.concat([init, ...reqs.map((r, i) => encodeRequest(r(i + 1)).toBytes())]);
      // the same stream in two pieces at an arbitrary place: framing must not care
      const at = Math.min(bytes.length, cut * 7);
      await serve([bytes.subarray(0, at), bytes.subarray(at)], false, dataIo);
    }),
    { numRuns: RUNS },
  );
}, TIMEOUT_MS);

test("bit flips in a recorded session: never a crash", async () => {
  const base = Buffer.concat([
    init,
    ...[
      { type: "open", id: 1, path: enc("a"), pflags: 1, attrs: {} },
      { type: "read", id: 2, handle: Uint8Array.of(0, 0, 0, 0), offset: 0n, length: 100 },
      { type: "opendir", id: 3, path: enc(".") },
      { type: "readdir", id: 4, handle: Uint8Array.of(0, 0, 0, 1) },
      { type: "extended", id: 5, name: "limits@openssh.com", body: new Uint8Array(0) },
      { type: "realpath", id: 6, path: enc("d/..") },
    ].map((r) => encodeRequest(r as SftpRequest).toBytes()),
  ]);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }), async (flips) => {
      const m = Uint8Array.from(base);
      for (const [i, bit] of flips) m[i]! ^= 1 << bit;
      await serve([m], true);
    }),
    { numRuns: RUNS },
  );
}, TIMEOUT_MS);

test("the framer returns the same packets for any split of the stream", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 600 }), { maxLength: 10 }), fc.array(fc.nat(7000)), (bodies, cuts) => {
      const stream = Buffer.concat(bodies.map(frame));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const pool = new BufferPool({ checked: true });
      const f = new SftpFramer(pool);
      const out: Uint8Array[] = [];
      let prev = 0;
      for (const p of [...points, stream.length]) {
        f.push(stream.slice(prev, p));
        prev = p;
        for (let x = f.next(); x !== null; x = f.next()) {
          out.push(x.payload.slice());
          x.lease.release();
        }
      }
      expect(out).toEqual(bodies);
      expect(pool.outstanding).toBe(0);
    }),
    { numRuns: RUNS },
  );
});
