// `ssh-agent`: not implemented yet; parses its command line as OpenSSH does and says so.
import { pending, type ProgramModule } from "./pending.ts";

export const sshAgent: ProgramModule = pending("ssh-agent", true);
