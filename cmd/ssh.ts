// `ssh`: not implemented yet; parses its command line as OpenSSH does and says so.
import { pending, type ProgramModule } from "./pending.ts";

export const ssh: ProgramModule = pending("ssh", true);
