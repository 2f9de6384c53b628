// Multi-call dispatch (STYLE.md §9, bun-platform.md §6): the program is basename(process.argv0) when invoked through a
// link, else the first argument (`sshbox ssh-keygen -t ed25519`). Without a known name: the listing, exit 1.
import { basename } from "node:path";
import type { ProgramIo } from "./io.ts";
import { findProgram, linkNames, PROGRAMS } from "./programs.ts";
import { VERSION_LINE } from "../core/version.ts";
import { parseCommandLine, parseSshCommandLine } from "./command-line.ts";
import type { ProgramName } from "./usage.ts";

/**
 * `ssh -V`, `sshd -V`, `ssh-agent -V` answered before the program's modules load (OpenSSH prints and exits inside its
 * getopt loop, so nothing else on the line matters once -V is reached). Returns undefined when the line is not that.
 */
function versionOnly(program: ProgramName, args: readonly string[], io: ProgramIo): number | undefined {
  if (program !== "ssh" && program !== "sshd" && program !== "ssh-agent") return undefined;
  try {
    const options = program === "ssh" ? parseSshCommandLine(args).options : parseCommandLine(program, args).options;
    if (!options.some((o) => o.flag === "V")) return undefined;
  } catch {
    return undefined; // the program prints its own usage error
  }
  io.err(`${VERSION_LINE}\n`);
  return 0;
}

/** How the binary was started: the invoked name and the user's arguments. */
export interface Invocation {
  /** process.argv0: the only field holding the link name in a compiled Bun binary. */
  readonly argv0: string;
  readonly args: readonly string[];
  /** Real path of the running binary, for --install; undefined when not running compiled. */
  readonly binary: string | undefined;
  readonly io: ProgramIo;
}

/** The listing shown for no or an unknown program name. */
export function listing(): string {
  const width = Math.max(...PROGRAMS.map((p) => p.name.length + (p.aliases.length ? p.aliases.join(", ").length + 3 : 0)));
  const rows = PROGRAMS.map((p) => {
    const names = p.aliases.length ? `${p.name} (${p.aliases.join(", ")})` : p.name;
    return `  ${names.padEnd(width)}  ${p.summary}${p.implemented ? "" : " [not implemented yet]"}`;
  });
  return (
    `${VERSION_LINE}\n` +
    "usage: sshbox program [argument ...]\n" +
    "       program [argument ...]            (through a link named after the program)\n" +
    "       sshbox --install dir [--force]    (creates those links in dir)\n" +
    "       sshbox --list\n" +
    "\nprograms:\n" +
    rows.join("\n") +
    "\n"
  );
}

/** Runs the program the invocation names; resolves to the exit status. */
export async function dispatch(inv: Invocation): Promise<number> {
  const direct = findProgram(basename(inv.argv0));
  if (direct) return versionOnly(direct.name, inv.args, inv.io) ?? (await direct.load()).run({ args: inv.args, progname: basename(inv.argv0), io: inv.io });
  const [first, ...rest] = inv.args;
  const sub = findProgram(first);
  if (sub) return versionOnly(sub.name, rest, inv.io) ?? (await sub.load()).run({ args: rest, progname: first!, io: inv.io });
  switch (first) {
    case "--list":
      inv.io.out(linkNames().join("\n") + "\n");
      return 0;
    case "--version":
      inv.io.err(`${VERSION_LINE}\n`);
      return 0;
    case "--install": {
      const force = rest.includes("--force");
      const dirs = rest.filter((a) => a !== "--force");
      if (dirs.length !== 1) {
        inv.io.err("usage: sshbox --install dir [--force]\n");
        return 1;
      }
      if (inv.binary === undefined) {
        inv.io.err("sshbox: --install needs the compiled binary (npm run build, then dist/sshbox --install dir)\n");
        return 1;
      }
      // Loaded here only: install.ts needs node:fs, which start-up does without (cmd/io.ts).
      return (await import("./install.ts")).installLinks(dirs[0]!, inv.binary, force, inv.io);
    }
    case "--help":
    case "-h":
      inv.io.out(listing());
      return 0;
    default:
      if (first !== undefined) inv.io.err(`sshbox: unknown program '${first}'\n`);
      inv.io.err(listing());
      return 1;
  }
}
