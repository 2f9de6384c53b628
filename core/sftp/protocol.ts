// SFTP protocol version 3 numbers (draft-ietf-secsh-filexfer-02 as OpenSSH speaks it: sftp.h, PROTOCOL §4) and the
// limits OpenSSH's sftp-server uses. Names keep OpenSSH's spelling without the "2" (SSH2_FXP_OPEN → SSH_FXP_OPEN).

export const SSH_FILEXFER_VERSION = 3;

// Client → server (draft-02 §3)
export const SSH_FXP_INIT = 1;
export const SSH_FXP_OPEN = 3;
export const SSH_FXP_CLOSE = 4;
export const SSH_FXP_READ = 5;
export const SSH_FXP_WRITE = 6;
export const SSH_FXP_LSTAT = 7;
export const SSH_FXP_FSTAT = 8;
export const SSH_FXP_SETSTAT = 9;
export const SSH_FXP_FSETSTAT = 10;
export const SSH_FXP_OPENDIR = 11;
export const SSH_FXP_READDIR = 12;
export const SSH_FXP_REMOVE = 13;
export const SSH_FXP_MKDIR = 14;
export const SSH_FXP_RMDIR = 15;
export const SSH_FXP_REALPATH = 16;
export const SSH_FXP_STAT = 17;
export const SSH_FXP_RENAME = 18;
export const SSH_FXP_READLINK = 19;
export const SSH_FXP_SYMLINK = 20;
export const SSH_FXP_EXTENDED = 200;
// Server → client
export const SSH_FXP_VERSION = 2;
export const SSH_FXP_STATUS = 101;
export const SSH_FXP_HANDLE = 102;
export const SSH_FXP_DATA = 103;
export const SSH_FXP_NAME = 104;
export const SSH_FXP_ATTRS = 105;
export const SSH_FXP_EXTENDED_REPLY = 201;

// ATTRS flags (draft-02 §5)
export const SSH_FILEXFER_ATTR_SIZE = 0x00000001;
export const SSH_FILEXFER_ATTR_UIDGID = 0x00000002;
export const SSH_FILEXFER_ATTR_PERMISSIONS = 0x00000004;
export const SSH_FILEXFER_ATTR_ACMODTIME = 0x00000008;
export const SSH_FILEXFER_ATTR_EXTENDED = 0x80000000;

// SSH_FXP_OPEN pflags (draft-02 §6.3)
export const SSH_FXF_READ = 0x00000001;
export const SSH_FXF_WRITE = 0x00000002;
export const SSH_FXF_APPEND = 0x00000004;
export const SSH_FXF_CREAT = 0x00000008;
export const SSH_FXF_TRUNC = 0x00000010;
export const SSH_FXF_EXCL = 0x00000020;

// statvfs@openssh.com f_flag bits (PROTOCOL §4.4)
export const SSH_FXE_STATVFS_ST_RDONLY = 0x00000001;
export const SSH_FXE_STATVFS_ST_NOSUID = 0x00000002;

/** SSH_FXP_STATUS codes (draft-02 §7). */
export const SftpStatus = {
  SSH_FX_OK: 0,
  SSH_FX_EOF: 1,
  SSH_FX_NO_SUCH_FILE: 2,
  SSH_FX_PERMISSION_DENIED: 3,
  SSH_FX_FAILURE: 4,
  SSH_FX_BAD_MESSAGE: 5,
  SSH_FX_NO_CONNECTION: 6,
  SSH_FX_CONNECTION_LOST: 7,
  SSH_FX_OP_UNSUPPORTED: 8,
} as const;
export type SftpStatus = (typeof SftpStatus)[keyof typeof SftpStatus];

/** The message sftp-server.c's status_to_message() puts in SSH_FXP_STATUS (and in `sent status ...` log lines). */
export function statusMessage(code: number): string {
  return STATUS_MESSAGES[Math.min(code, STATUS_MESSAGES.length - 1)]!;
}
const STATUS_MESSAGES = [
  "Success", "End of file", "No such file", "Permission denied", "Failure", "Bad message", "No connection",
  "Connection lost", "Operation unsupported", "Unknown error",
] as const;

/** sftp.h SFTP_MAX_MSG_LENGTH: the largest packet (length field excluded) either side accepts. */
export const SFTP_MAX_MSG_LENGTH = 256 * 1024;
/** sftp-server.c SFTP_MAX_READ_LENGTH: longest READ we serve (and advertise in limits@openssh.com), also for WRITE. */
export const SFTP_MAX_READ_LENGTH = SFTP_MAX_MSG_LENGTH - 1024;
/** OpenSSH's handles are 4-byte strings; anything of 256 bytes or more is not even looked at (get_handle). */
export const SFTP_HANDLE_BYTES = 4;

/** Extensions in the order sftp-server.c's process_init() advertises them: [name, version]. */
export const SFTP_EXTENSIONS: readonly (readonly [string, string])[] = [
  ["posix-rename@openssh.com", "1"],
  ["statvfs@openssh.com", "2"],
  ["fstatvfs@openssh.com", "2"],
  ["hardlink@openssh.com", "1"],
  ["fsync@openssh.com", "1"],
  ["lsetstat@openssh.com", "1"],
  ["limits@openssh.com", "1"],
  ["expand-path@openssh.com", "1"],
  ["copy-data", "1"],
  ["home-directory", "1"],
  ["users-groups-by-id@openssh.com", "1"],
];
