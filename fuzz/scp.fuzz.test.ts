// The legacy scp sink under hostile input (a malicious or broken `scp -f` on the other end): random and mutated record
// streams end with ScpExit (never another throw, never a hang), and no file or directory appears outside the target.
// FUZZ_RUNS=5000 for a long run.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ByteInput, LegacyScp, ScpExit, ScpFatal, parseSinkRecord, formatFileRecord, MAX_RECORD_BYTES } from "../core/scp/index.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const TIMEOUT_MS = 20000 + RUNS * 30;

test("parseSinkRecord: any bytes give a record; accepted names are single safe components", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: MAX_RECORD_BYTES }), (raw) => {
      const r = parseSinkRecord(raw);
      if (r.kind === "file" || r.kind === "dir") {
        expect(r.name.includes("/") || r.name === "" || r.name === "." || r.name === "..").toBe(false);
        expect(Number.isSafeInteger(r.size) && r.size >= 0).toBe(true);
        expect(r.mode).toBeLessThanOrEqual(0o7777);
      }
    }),
    { numRuns: RUNS * 20 },
  );
});

test("format then parse gives back the file record", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0o6777 }), fc.nat(), fc.string({ minLength: 1, maxLength: 40 }).filter((n) => !/[/\n\0]/.test(n) && n !== "." && n !== ".."), (mode, size, name) => {
      expect(parseSinkRecord(Buffer.from(formatFileRecord(mode, size, name)))).toEqual({ kind: "file", mode: mode & 0o6777, size, name });
    }),
    { numRuns: RUNS * 5 },
  );
});

const piece = fc.oneof(
  fc.constantFrom("C0644 5 f\n", "C0644 0 g\n", "D0755 0 d\n", "E\n", "T1 0 2 0\n", "C0644 3 ../x\n", "D0755 0 ..\n", "D0755 0 /abs\n",
    "\x01scp: oops\n", "\x02fatal\n", "C0644 18446744073709551616 h\n", "\n", "No match.\n", "hello", "C0600 2 a b\n"),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("latin1")),
);

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    yield join(dir, e.name);
    if (e.isDirectory()) yield* walk(join(dir, e.name));
  }
}

test("a sink fed random record streams ends cleanly and writes only under its target", async () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "scp-fuzz-")));
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 20 }), fc.boolean(), fc.array(fc.nat(40), { maxLength: 6 }), async (parts, recursive, cuts) => {
        const base = join(root, String(n++));
        const target = join(base, "target");
        mkdirSync(target, { recursive: true });
        let bytes = Buffer.from(parts.join(""), "latin1");
        const chunks: Uint8Array[] = [];
        for (const c of cuts) {
          chunks.push(bytes.subarray(0, c));
          bytes = bytes.subarray(Math.min(c, bytes.length));
        }
        chunks.push(bytes);
        const input = ByteInput.of((async function* () {
          for (const c of chunks) if (c.length > 0) yield c;
        })());
        const sent: number[] = [];
        const scp = new LegacyScp(input, (b) => void sent.push(b.length), {
          recursive, preserve: false, targetShouldBeDirectory: false, remote: false, verbose: false, noNameCheck: false,
          stderr: () => {},
        });
        try {
          await scp.sink(target, recursive ? null : "/remote/{f,g,a b}");
        } catch (e) {
          if (!(e instanceof ScpExit) && !(e instanceof ScpFatal)) throw e;
        }
        for (const p of walk(base)) expect(relative(target, p).startsWith("..") && p !== target).toBe(false);
        rmSync(base, { recursive: true, force: true });
      }),
      { numRuns: RUNS },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}, TIMEOUT_MS);

test("a source fed random responses ends cleanly (ScpExit or done), never another throw", async () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "scp-fuzz-src-")));
  try {
    mkdirSync(join(root, "d"));
    writeFileSync(join(root, "d", "f"), "x".repeat(70000));
    writeFileSync(join(root, "g"), "");
    const reply = fc.oneof(fc.constant("\0"), fc.constant("\x01scp: no\n"), fc.constant("\x02fatal\n"), fc.constant("junk\n"), fc.string({ maxLength: 30 }));
    await fc.assert(
      fc.asyncProperty(fc.array(reply, { maxLength: 12 }), fc.boolean(), fc.boolean(), async (replies, recursive, preserve) => {
        const input = ByteInput.of((async function* () {
          yield Buffer.from(replies.join(""), "latin1");
        })());
        let sent = 0;
        const scp = new LegacyScp(input, (b) => void (sent += b.length), {
          recursive, preserve, targetShouldBeDirectory: false, remote: true, verbose: false, noNameCheck: false, stderr: () => {},
        });
        try {
          await scp.source([join(root, "d"), join(root, "g"), join(root, "missing")]);
        } catch (e) {
          if (!(e instanceof ScpExit)) throw e;
        }
        expect(sent).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: RUNS },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}, TIMEOUT_MS);
