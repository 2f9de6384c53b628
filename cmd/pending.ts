// Shared pieces of the front-ends: the usage error, and the front-end of a program whose work is still to come.
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

/** What each cmd/<program>.ts exports. */
export interface ProgramModule {
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
export function pending(program: ProgramName, versionFlag: boolean): ProgramModule {
  return {
    implemented: false,
    run: async (ctx) => {
      try {
        const ssh = program === "ssh" ? parseSshCommandLine(ctx.args) : undefined;
        const options = ssh ? ssh.options : parseCommandLine(program, ctx.args).options;
        if (versionFlag && options.some((o) => o.flag === "V")) {
          ctx.io.err(`${VERSION_LINE}\n`);
          return 0;
        }
        // ssh.c: no destination (and no -Q) prints the usage and exits 255.
        if (ssh && ssh.destination === undefined && !options.some((o) => o.flag === "Q")) return usageError(program, ctx);
      } catch (e) {
        if (e instanceof GetoptError) return usageError(program, ctx, e.message);
        throw e;
      }
      ctx.io.err(`${ctx.progname}: not implemented yet in ${VERSION_LINE.split(",")[0]}\n`);
      return 1;
    },
  };
}
