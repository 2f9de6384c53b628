// What reaches a child's environment. A Bun process honours BUN_OPTIONS (e.g. `--preload evil.ts`) even when compiled
// with --no-compile-autoload-* and even setuid (bun-platform.md §6, SECURITY), and NODE_* steers Node-style tooling, so
// no environment that a privileged process passes on may carry them: they could run code as root in the child.

/** Variable names a privileged process must never pass on. */
export function isRuntimeControlVariable(name: string): boolean {
  return name.startsWith("BUN_") || name.startsWith("NODE_") || name === "BUN" || name === "NODE";
}

/** A copy of `env` without BUN_* / NODE_* and without undefined values. */
export function scrubRuntimeEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !isRuntimeControlVariable(k)) out[k] = v;
  return out;
}

/** True when this process holds privileges a child could inherit (root, or setuid/setgid). */
export function runningPrivileged(): boolean {
  const p = process as unknown as { geteuid?: () => number; getuid?: () => number; getegid?: () => number; getgid?: () => number };
  const euid = p.geteuid?.() ?? -1;
  return euid === 0 || euid !== (p.getuid?.() ?? euid) || (p.getegid?.() ?? 0) !== (p.getgid?.() ?? 0);
}
