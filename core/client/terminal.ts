// The controlling terminal for ssh's questions (readpassphrase(3) on /dev/tty, OpenSSH's RPP_* behaviour) and the
// SSH_ASKPASS program (sshconnect.c/readpass.c read_passphrase): host key confirmations, passwords and passphrases.
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { spawnSync } from "node:child_process";

/** How read_passphrase() may reach the user. */
export interface PromptOptions {
  /** Echo the answer (host key confirmation: yes; password: no). */
  readonly echo: boolean;
  /** The environment (SSH_ASKPASS, SSH_ASKPASS_REQUIRE, DISPLAY, WAYLAND_DISPLAY). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

function useAskpass(env: PromptOptions["env"], haveTty: boolean): string | null {
  const program = env.SSH_ASKPASS;
  const require = env.SSH_ASKPASS_REQUIRE;
  if (require === "never") return null;
  const display = (env.DISPLAY ?? "") !== "" || (env.WAYLAND_DISPLAY ?? "") !== "";
  if (require === "force") return program ?? "/usr/bin/ssh-askpass";
  if (program === undefined) return null;
  if (require === "prefer" && display) return program;
  return !haveTty && display ? program : null;
}

function openTty(): number | null {
  try {
    return openSync("/dev/tty", "r+");
  } catch {
    return null;
  }
}

function stty(fd: number, arg: string): void {
  spawnSync("stty", [arg], { stdio: [fd, "ignore", "ignore"] });
}

/**
 * Asks `prompt` and returns the answer without its newline, or null when nobody can be asked (no tty and no askpass)
 * or the user ended input. Blocks the event loop while the user types, as readpassphrase(3) blocks ssh.
 */
export function readPassphrase(prompt: string, opts: PromptOptions): string | null {
  const fd = openTty();
  const askpass = useAskpass(opts.env, fd !== null);
  if (askpass !== null) {
    if (fd !== null) closeSync(fd);
    const r = spawnSync(askpass, [prompt], { stdio: ["ignore", "pipe", "inherit"], env: opts.env as NodeJS.ProcessEnv });
    if (r.status !== 0 || r.stdout === null) return null;
    return r.stdout.toString("utf8").replace(/\r?\n.*$/s, "");
  }
  if (fd === null) return null;
  try {
    writeSync(fd, prompt);
    if (!opts.echo) stty(fd, "-echo");
    const bytes: number[] = [];
    const one = Buffer.alloc(1);
    let ended = true;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, one, 0, 1, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
        break;
      }
      if (n === 0) break;
      if (one[0] === 0x0a || one[0] === 0x0d) {
        ended = false;
        break;
      }
      bytes.push(one[0]!);
    }
    if (!opts.echo) {
      stty(fd, "echo");
      writeSync(fd, "\n");
    }
    if (ended && bytes.length === 0) return null;
    return Buffer.from(bytes).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** Whether a terminal (or askpass) is there to ask at all. */
export function canPrompt(env: PromptOptions["env"]): boolean {
  const fd = openTty();
  if (fd !== null) {
    closeSync(fd);
    return true;
  }
  return useAskpass(env, false) !== null;
}
