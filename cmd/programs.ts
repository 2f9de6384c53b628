// The multi-call table (STYLE.md §9): every program sshbox can be, with its aliases and front-end. Dispatch, the usage
// listing, --list and --install all read this one table. Each front-end lives in cmd/<program>.ts and is loaded only
// when it runs: start-up then evaluates one program's modules, not all of them (bench/startup.ts).
import type { ProgramModule } from "./pending.ts";
import type { ProgramName } from "./usage.ts";

export type { ProgramContext } from "./pending.ts";

/** A row of the multi-call table. */
export interface Program {
  readonly name: ProgramName;
  readonly aliases: readonly string[];
  /** One line for the usage listing. */
  readonly summary: string;
  /** Whether it does its job yet; the listing says which do not. */
  readonly implemented: boolean;
  /** Loads the front-end. */
  readonly load: () => Promise<ProgramModule>;
}

/** Every program, in the order the listing shows them. */
export const PROGRAMS: readonly Program[] = [
  { name: "sshd", aliases: [], summary: "OpenSSH-compatible server", implemented: true, load: () => import("./sshd.ts").then((m) => m.sshd) },
  { name: "ssh", aliases: ["slogin"], summary: "OpenSSH-compatible client", implemented: true, load: () => import("./ssh.ts").then((m) => m.ssh) },
  { name: "sftp-server", aliases: [], summary: "SFTP server subsystem", implemented: true, load: () => import("./sftp-server.ts").then((m) => m.sftpServer) },
  { name: "sftp", aliases: [], summary: "SFTP client", implemented: true, load: () => import("./sftp.ts").then((m) => m.sftp) },
  { name: "scp", aliases: [], summary: "secure copy", implemented: true, load: () => import("./scp.ts").then((m) => m.scp) },
  { name: "ssh-keygen", aliases: [], summary: "key generation and management", implemented: true, load: () => import("./ssh-keygen-quick.ts").then((m) => m.sshKeygen) },
  { name: "ssh-agent", aliases: [], summary: "authentication agent", implemented: false, load: () => import("./ssh-agent.ts").then((m) => m.sshAgent) },
  { name: "ssh-add", aliases: [], summary: "adds identities to the agent", implemented: false, load: () => import("./ssh-add.ts").then((m) => m.sshAdd) },
  { name: "ssh-keyscan", aliases: [], summary: "gathers host public keys", implemented: false, load: () => import("./ssh-keyscan.ts").then((m) => m.sshKeyscan) },
  { name: "ssh-copy-id", aliases: [], summary: "installs a key on a server", implemented: false, load: () => import("./ssh-copy-id.ts").then((m) => m.sshCopyId) },
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
