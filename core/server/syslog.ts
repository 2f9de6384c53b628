// sshd's log lines to the system log (log.c do_log through openlog/syslog): RFC 3164 datagrams as glibc's syslog(3)
// writes them to /dev/log, `<PRI>Mmm dd hh:mm:ss sshd[pid]: message`, sent non-blocking through bun:ffi so a stuck or
// missing syslog daemon never stalls or breaks the server (glibc also drops messages it cannot send).
import { dlopen } from "bun:ffi";
import { LogLevel } from "../log.ts";

/** The syslog socket glibc uses (_PATH_LOG). */
export const SYSLOG_PATH = "/dev/log";

/** syslog.h facility codes (already shifted), by SyslogFacility name (log.c log_facilities). */
export const SYSLOG_FACILITIES: Readonly<Record<string, number>> = {
  DAEMON: 3 << 3, USER: 1 << 3, AUTH: 4 << 3, AUTHPRIV: 10 << 3,
  LOCAL0: 16 << 3, LOCAL1: 17 << 3, LOCAL2: 18 << 3, LOCAL3: 19 << 3, LOCAL4: 20 << 3, LOCAL5: 21 << 3, LOCAL6: 22 << 3, LOCAL7: 23 << 3,
};

/** log.c do_log: the syslog priority of each level (FATAL is LOG_CRIT, VERBOSE logs as LOG_INFO, DEBUG1-3 as LOG_DEBUG). */
export function syslogSeverity(level: LogLevel): number {
  if (level <= LogLevel.FATAL) return 2; // LOG_CRIT
  if (level === LogLevel.ERROR) return 3; // LOG_ERR
  if (level <= LogLevel.VERBOSE) return 6; // LOG_INFO
  return 7; // LOG_DEBUG
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * One datagram as glibc's __vsyslog_internal formats it for /dev/log: `<PRI>` then the local time as strftime
 * "%h %e %T", then `ident[pid]: message` (no host name: the daemon adds it).
 */
export function formatSyslog(facility: number, level: LogLevel, ident: string, pid: number, message: string, now: Date = new Date()): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = `${MONTHS[now.getMonth()]} ${String(now.getDate()).padStart(2, " ")} ${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
  return `<${facility | syslogSeverity(level)}>${stamp} ${ident}[${pid}]: ${message}`;
}

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, addrLen: number): number;
  close(fd: number): number;
}

let libc: Libc | null | undefined;
function loadLibc(): Libc | null {
  if (libc === undefined) {
    try {
      libc = dlopen("libc.so.6", {
        socket: { args: ["i32", "i32", "i32"], returns: "i32" },
        sendto: { args: ["i32", "ptr", "usize", "i32", "ptr", "u32"], returns: "i64" },
        close: { args: ["i32"], returns: "i32" },
      }).symbols as unknown as Libc;
    } catch {
      libc = null;
    }
  }
  return libc;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
/** sizeof(struct sockaddr_un) on Linux: sun_family (2 bytes) and sun_path[108]. */
const SOCKADDR_UN_BYTES = 110;

/** A sender of syslog datagrams to one socket path. */
export interface SyslogWriter {
  /**
   * Sends one line at `level` as log.c does for syslog: ERROR lines get "error: " (FATAL "fatal: "), which stderr
   * lines do not, and the text is cut at 500 characters. Silently dropped when the socket is missing or full.
   */
  write(level: LogLevel, message: string): void;
  /** Closes the socket. */
  close(): void;
}

/**
 * Opens a writer for `ident` (OpenSSH: the program name, "sshd") with `facility` (a SYSLOG_FACILITIES value) on
 * `path` (tests pass their own socket). Never throws: without libc or a socket, lines are dropped.
 */
export function openSyslog(ident: string, facility: number, path: string = SYSLOG_PATH, pid: number = process.pid): SyslogWriter {
  const c = loadLibc();
  let fd = -1;
  const addr = new Uint8Array(SOCKADDR_UN_BYTES);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  const pathBytes = new TextEncoder().encode(path);
  addr.set(pathBytes.subarray(0, SOCKADDR_UN_BYTES - 3), 2);
  const addrLen = Math.min(2 + pathBytes.length + 1, SOCKADDR_UN_BYTES);
  return {
    write(level, message) {
      if (c === null) return;
      if (fd < 0) fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) return;
      const tag = level === LogLevel.ERROR ? "error: " : level <= LogLevel.FATAL ? "fatal: " : "";
      const bytes = Buffer.from(formatSyslog(facility, level, ident, pid, (tag + message).slice(0, 500)));
      c.sendto(fd, bytes, bytes.length, MSG_DONTWAIT | MSG_NOSIGNAL, addr, addrLen);
    },
    close() {
      if (fd >= 0 && c) c.close(fd);
      fd = -1;
    },
  };
}
