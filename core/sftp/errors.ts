// SFTP errors: a status a handler answers with (SftpStatusError), a broken packet stream that ends the session as
// sftp-server.c's fatal() does (SftpProtocolError), and errno → SSH_FX_* as sftp-server.c's errno_to_portable().
import { SshError } from "../errors.ts";
import { SftpStatus } from "./protocol.ts";

/** A request fails with this SSH_FX_* code (and optionally a message other than the standard one). */
export class SftpStatusError extends SshError {
  override name = "SftpStatusError";
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? `SFTP status ${code}`);
    this.custom = message;
  }
  /** The message to send instead of status_to_message(code), if any. */
  readonly custom: string | undefined;
}

/** The packet stream is broken; the session ends (sftp-server.c fatal()/cleanup_exit()). */
export class SftpProtocolError extends SshError {
  override name = "SftpProtocolError";
  constructor(
    message: string,
    /** A length over SFTP_MAX_MSG_LENGTH: sftp-server.c logs `bad message from ...` and exits with 11. */
    readonly tooLong = false,
  ) {
    super(message);
  }
}

/** sftp-server.c errno_to_portable(), keyed by Node's error codes. */
export function errnoToStatus(code: string | undefined): SftpStatus {
  switch (code) {
    case undefined:
      return SftpStatus.SSH_FX_FAILURE;
    case "ENOENT":
    case "ENOTDIR":
    case "EBADF":
    case "ELOOP":
      return SftpStatus.SSH_FX_NO_SUCH_FILE;
    case "EPERM":
    case "EACCES":
    case "EFAULT":
      return SftpStatus.SSH_FX_PERMISSION_DENIED;
    case "ENAMETOOLONG":
    case "EINVAL":
      return SftpStatus.SSH_FX_BAD_MESSAGE;
    case "ENOSYS":
      return SftpStatus.SSH_FX_OP_UNSUPPORTED;
    default:
      return SftpStatus.SSH_FX_FAILURE;
  }
}

/** The SSH_FX_* status for anything a file-system call threw. */
export function statusOf(e: unknown): number {
  if (e instanceof SftpStatusError) return e.code;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return errnoToStatus(typeof code === "string" ? code : undefined);
}
