// `sftp-server`: not implemented yet; parses its command line as OpenSSH does and says so.
import { pending, type ProgramModule } from "./pending.ts";

export const sftpServer: ProgramModule = pending("sftp-server", false);
