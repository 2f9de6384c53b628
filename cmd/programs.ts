// The multi-call table (STYLE.md §9): every program sshbox can be, with its aliases and front-end. Dispatch, the usage
// listing, --list and --install all read this one table.
import { GetoptError } from "./getopt.ts";
import { parseCommandLine, parseSshCommandLine } from "./command-line.ts";
import type { ProgramIo } from "./io.ts";
import { usageExitCode, usageText, type ProgramName } from "./usage.ts";
import { VERSION_LINE } from "../core/version.ts";

/** What a front-end gets: its arguments (without the program name), how it was invoked, and where to write. */
export interface ProgramContext {
  readonly args: readonly string[];
  /** The name it was invoked as (`slogin`, `ssh`, ...), for messages that print __progname. */
  readonly progname: string;
  readonly io: ProgramIo;
}

/** A row of the multi-call table. */
export interface Program {
  readonly name: ProgramName;
  readonly aliases: readonly string[];
  /** One line for the usage listing. */
  readonly summary: string;
  /** Whether it does its job yet; the listing says which do not. */
  readonly implemented: boolean;
  readonly run: (ctx: ProgramContext) => Promise<number>;
}

/** Prints the program's OpenSSH usage text after getopt's message and returns its usage exit status. */
export function usageError(program: ProgramName, ctx: ProgramContext, message?: string): number {
  if (message !== undefined) ctx.io.err(`${message}\n`);
  ctx.io.err(usageText(program, ctx.progname));
  return usageExitCode(program);
}

/**
 * A front-end for a program whose work is still to come: it parses the command line exactly as OpenSSH does (so a bad
 * flag gets the right usage text and exit status, and `-V` works), then says plainly that it is not implemented.
 */
function pending(program: ProgramName, versionFlag: boolean): (ctx: ProgramContext) => Promise<number> {
  return async (ctx) => {
    try {
      const ssh = program === "ssh" ? parseSshCommandLine(ctx.args) : undefined;
      const options = ssh ? ssh.options : parseCommandLine(program, ctx.args).options;
      if (versionFlag && options.some((o) => o.flag === "V")) {
        ctx.io.err(`${VERSION_LINE}\n`);
        return 0;
      }
      // ssh.c: no destination (and no -Q, -V or -O that stand alone) prints the usage and exits 255.
      if (ssh && ssh.destination === undefined && !options.some((o) => o.flag === "Q")) return usageError(program, ctx);
    } catch (e) {
      if (e instanceof GetoptError) return usageError(program, ctx, e.message);
      throw e;
    }
    ctx.io.err(`${ctx.progname}: not implemented yet in ${VERSION_LINE.split(",")[0]}\n`);
    return 1;
  };
}

/** Every program, in the order the listing shows them. */
export const PROGRAMS: readonly Program[] = [
  { name: "sshd", aliases: [], summary: "OpenSSH-compatible server", implemented: false, run: pending("sshd", true) },
  { name: "ssh", aliases: ["slogin"], summary: "OpenSSH-compatible client", implemented: false, run: pending("ssh", true) },
  { name: "sftp-server", aliases: [], summary: "SFTP server subsystem", implemented: false, run: pending("sftp-server", false) },
  { name: "sftp", aliases: [], summary: "SFTP client", implemented: false, run: pending("sftp", false) },
  { name: "scp", aliases: [], summary: "secure copy", implemented: false, run: pending("scp", false) },
  { name: "ssh-keygen", aliases: [], summary: "key generation and management", implemented: false, run: pending("ssh-keygen", false) },
  { name: "ssh-agent", aliases: [], summary: "authentication agent", implemented: false, run: pending("ssh-agent", true) },
  { name: "ssh-add", aliases: [], summary: "adds identities to the agent", implemented: false, run: pending("ssh-add", false) },
  { name: "ssh-keyscan", aliases: [], summary: "gathers host public keys", implemented: false, run: pending("ssh-keyscan", false) },
  { name: "ssh-copy-id", aliases: [], summary: "installs a key on a server", implemented: false, run: pending("ssh-copy-id", false) },
];

/** Finds a program by name or alias. */
export function findProgram(name: string | undefined): Program | undefined {
  if (name === undefined) return undefined;
  return PROGRAMS.find((p) => p.name === name || p.aliases.includes(name));
}

/** Every name a link can have: program names and aliases. */
export function linkNames(): string[] {
  return PROGRAMS.flatMap((p) => [p.name, ...p.aliases]);
}
