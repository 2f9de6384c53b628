// strerror(3) as glibc words it, for messages that OpenSSH ends with strerror(errno), keyed by Node's error codes.

const MESSAGES: Readonly<Record<string, string>> = {
  EPERM: "Operation not permitted", ENOENT: "No such file or directory", ESRCH: "No such process",
  EINTR: "Interrupted system call", EIO: "Input/output error", ENXIO: "No such device or address",
  E2BIG: "Argument list too long", ENOEXEC: "Exec format error", EBADF: "Bad file descriptor",
  ECHILD: "No child processes", EAGAIN: "Resource temporarily unavailable", ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied", EFAULT: "Bad address", EBUSY: "Device or resource busy", EEXIST: "File exists",
  EXDEV: "Invalid cross-device link", ENODEV: "No such device", ENOTDIR: "Not a directory", EISDIR: "Is a directory",
  EINVAL: "Invalid argument", ENFILE: "Too many open files in system", EMFILE: "Too many open files",
  ETXTBSY: "Text file busy", EFBIG: "File too large", ENOSPC: "No space left on device", ESPIPE: "Illegal seek",
  EROFS: "Read-only file system", EMLINK: "Too many links", EPIPE: "Broken pipe", ENAMETOOLONG: "File name too long",
  ENOSYS: "Function not implemented", ENOTEMPTY: "Directory not empty", ELOOP: "Too many levels of symbolic links",
  EDQUOT: "Disk quota exceeded", ENOTSUP: "Operation not supported", EOPNOTSUPP: "Operation not supported",
  ECONNRESET: "Connection reset by peer", ECONNREFUSED: "Connection refused", ETIMEDOUT: "Connection timed out",
};

/** The strerror() text for a thrown file-system error (its `code`), or its own message when the code is unknown. */
export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code === "string" && MESSAGES[code] !== undefined) return MESSAGES[code];
  return e instanceof Error ? e.message : String(e);
}
