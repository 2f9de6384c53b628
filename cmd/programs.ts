// The multi-call table (STYLE.md §9): every program sshbox can be, with its aliases and front-end. Dispatch, the usage
// listing, --list and --install all read this one table. Each front-end lives in cmd/<program>.ts.
import type { ProgramModule } from "./pending.ts";
import type { ProgramName } from "./usage.ts";
import { sshd } from "./sshd.ts";
import { ssh } from "./ssh.ts";
import { sftpServer } from "./sftp-server.ts";
import { sftp } from "./sftp.ts";
import { scp } from "./scp.ts";
import { sshKeygen } from "./ssh-keygen.ts";
import { sshAgent } from "./ssh-agent.ts";
import { sshAdd } from "./ssh-add.ts";
import { sshKeyscan } from "./ssh-keyscan.ts";
import { sshCopyId } from "./ssh-copy-id.ts";

export type { ProgramContext } from "./pending.ts";

/** A row of the multi-call table. */
export interface Program {
  readonly name: ProgramName;
  readonly aliases: readonly string[];
  /** One line for the usage listing. */
  readonly summary: string;
  readonly module: ProgramModule;
}

/** Every program, in the order the listing shows them. */
export const PROGRAMS: readonly Program[] = [
  { name: "sshd", aliases: [], summary: "OpenSSH-compatible server", module: sshd },
  { name: "ssh", aliases: ["slogin"], summary: "OpenSSH-compatible client", module: ssh },
  { name: "sftp-server", aliases: [], summary: "SFTP server subsystem", module: sftpServer },
  { name: "sftp", aliases: [], summary: "SFTP client", module: sftp },
  { name: "scp", aliases: [], summary: "secure copy", module: scp },
  { name: "ssh-keygen", aliases: [], summary: "key generation and management", module: sshKeygen },
  { name: "ssh-agent", aliases: [], summary: "authentication agent", module: sshAgent },
  { name: "ssh-add", aliases: [], summary: "adds identities to the agent", module: sshAdd },
  { name: "ssh-keyscan", aliases: [], summary: "gathers host public keys", module: sshKeyscan },
  { name: "ssh-copy-id", aliases: [], summary: "installs a key on a server", module: sshCopyId },
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
