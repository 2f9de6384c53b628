// The compiled binary for integration tests: dist/sshbox, rebuilt first when any source is newer than it (so a plain
// `bun test` after an edit never tests a stale binary). One build per test process.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export const ROOT: string = join(import.meta.dir, "..", "..");
export const BINARY: string = join(ROOT, "dist", "sshbox");

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith(".ts") || e.name.endsWith(".json")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

let built: Promise<string> | undefined;

/** Path of an up-to-date dist/sshbox. */
export function sshboxBinary(): Promise<string> {
  built ??= (async () => {
    const fresh =
      existsSync(BINARY) &&
      statSync(BINARY).mtimeMs >= Math.max(newestSource(join(ROOT, "core")), newestSource(join(ROOT, "cmd")), statSync(join(ROOT, "package.json")).mtimeMs);
    if (!fresh) {
      const p = Bun.spawn([process.execPath, join(ROOT, "scripts", "build.ts")], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      const [out, err, code] = await Promise.all([p.stdout.text(), p.stderr.text(), p.exited]);
      if (code !== 0) throw new Error(`build failed (${code}):\n${out}\n${err}`);
    }
    return BINARY;
  })();
  return built;
}

/** Runs a command to completion and collects its output. */
export async function run(
  argv: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; stdin?: string } = {},
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const p = Bun.spawn(argv, {
    cwd: opts.cwd,
    env: opts.env ?? { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" },
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([p.stdout.text(), p.stderr.text(), p.exited]);
  return { stdout, stderr, exitCode };
}
