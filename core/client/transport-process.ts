// The process an SFTP client talks through (sftp.c connect_to_server(), scp.c do_cmd()): `ssh ... -s -- host sftp`,
// or a server run directly (sftp -D). Its stdin/stdout carry the protocol; stderr stays the user's.
import { existsSync } from "node:fs";
import type { FileSink, Subprocess } from "bun";
import { selfArgv, spawnChild } from "../process/spawn.ts";

/** A running transport: bytes to the server go to `stdin`, the server's come from `stdout`. */
export interface TransportProcess {
  readonly stdin: FileSink;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly pid: number;
  /** Resolves with the exit status (128+signal when killed). */
  readonly exited: Promise<number>;
  /** Ends the child (SIGTERM), as sftp's killchild(). */
  terminate(): void;
}

/**
 * The argv that runs the ssh program: our own `ssh` when `program` is undefined (the default), else `program` itself
 * (sftp/scp -S). The caller appends ssh's options, `--`, host and command.
 */
export function sshProgramArgv(program: string | undefined): string[] {
  return program === undefined ? selfArgv(["ssh"]) : [program];
}

/**
 * Starts `argv` with pipes on stdin/stdout and the caller's stderr. Throws `exec: <path>: <reason>` (OpenSSH's
 * child-side wording) when the program cannot be started.
 */
export function spawnTransport(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  /**
   * sftp.c connect_to_server(): the child ignores SIGINT, so ^C at the terminal interrupts a transfer, not the
   * connection. The disposition is set by a shell that then execs the program (it survives exec).
   */
  ignoreInterrupt = false,
): TransportProcess {
  let proc: Subprocess<"pipe", "pipe", "inherit">;
  if (ignoreInterrupt) {
    const program = argv[0]!;
    if (!program.includes("/") ? Bun.which(program) === null : !existsSync(program)) {
      throw new Error(`exec: ${program}: No such file or directory`);
    }
    argv = ["/bin/sh", "-c", 'trap "" INT; exec "$@"', "sh", ...argv];
  }
  try {
    proc = spawnChild({ argv, env, cwd: process.cwd(), stdio: ["pipe", "pipe", "inherit"] }) as Subprocess<"pipe", "pipe", "inherit">;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "No such file or directory" : code === "EACCES" ? "Permission denied" : (e as Error).message;
    throw new Error(`exec: ${argv[0]}: ${reason}`);
  }
  return {
    stdin: proc.stdin,
    stdout: proc.stdout,
    pid: proc.pid,
    exited: proc.exited,
    terminate: () => {
      try {
        proc.kill("SIGTERM");
      } catch {
        // already gone
      }
    },
  };
}
