// The one place sshbox starts processes: re-spawning itself (daemon, per-connection and session helpers, later) and
// running other programs (shells, ProxyCommand). Environments are scrubbed of BUN_* / NODE_* whenever the child runs
// with privileges or this process has them; root children start in "/" so no cwd-relative file can steer them.
import { runningPrivileged, scrubRuntimeEnv } from "./environment.ts";

/** How to start a child. */
export interface SpawnRequest {
  readonly argv: readonly string[];
  /** The child's complete environment (nothing is inherited implicitly). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The child keeps privileges (root helpers): always scrubbed and started in "/". */
  readonly privileged?: boolean;
  readonly cwd?: string;
  readonly argv0?: string;
  readonly stdio?: ["pipe" | "inherit" | "ignore" | number, "pipe" | "inherit" | "ignore" | number, "pipe" | "inherit" | "ignore" | number];
  readonly detached?: boolean;
}

/** The argv that runs this same program again: compiled, the binary alone; under `bun`, the runtime and the entry file. */
export function selfArgv(args: readonly string[]): string[] {
  const compiled = Bun.main.startsWith("/$bunfs/");
  // Never pass process.argv[1] of a compiled binary: it is /$bunfs/root/... and shifts the child's arguments (§6).
  return compiled ? [process.execPath, ...args] : [process.execPath, Bun.main, ...args];
}

/** The environment a child actually gets. */
export function childEnvironment(req: Pick<SpawnRequest, "env" | "privileged">): Record<string, string> {
  if (req.privileged === true || runningPrivileged()) return scrubRuntimeEnv(req.env);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Starts a child as requested; see childEnvironment for what its environment holds. */
export function spawnChild(req: SpawnRequest): Bun.Subprocess<"pipe" | "inherit" | "ignore" | number, "pipe" | "inherit" | "ignore" | number, "pipe" | "inherit" | "ignore" | number> {
  const privileged = req.privileged === true || runningPrivileged();
  const [stdin, stdout, stderr] = req.stdio ?? ["ignore", "inherit", "inherit"];
  return Bun.spawn([...req.argv], {
    env: childEnvironment(req),
    cwd: req.cwd ?? (privileged ? "/" : undefined),
    stdin,
    stdout,
    stderr,
    detached: req.detached ?? false,
    ...(req.argv0 !== undefined ? { argv0: req.argv0 } : {}),
  });
}
