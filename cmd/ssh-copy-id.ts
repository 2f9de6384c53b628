// `ssh-copy-id`: not implemented yet; parses its command line as OpenSSH does and says so.
import { pending, type ProgramModule } from "./pending.ts";

export const sshCopyId: ProgramModule = pending("ssh-copy-id", false);
