// utmp and wtmp records of pty logins (loginrec.c construct_utmp, utmp_write_library, wtmp_write): struct utmp as
// x86_64 glibc lays it out (384 bytes). wtmp gets a record appended at login and logout; utmp is updated through
// glibc's pututline(3), which finds the tty's slot and locks the file.
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import type { Logger } from "../log.ts";

export const WTMP_FILE = "/var/log/wtmp";
const UTMP_BYTES = 384;
const USER_PROCESS = 7;
const DEAD_PROCESS = 8;

/** One login or logout (loginrec.c struct logininfo, the fields utmp holds). */
export interface LoginRecord {
  readonly type: "login" | "logout";
  readonly pid: number;
  /** The tty, "/dev/pts/3" or "pts/3". */
  readonly tty: string;
  readonly user: string;
  readonly host: string;
  /** The client's address (ut_addr_v6), when it is an IP address. */
  readonly address: string;
  readonly ms: number;
}

function put(buf: Uint8Array, offset: number, size: number, text: string): void {
  buf.set(new TextEncoder().encode(text).subarray(0, size), offset); // strncpy: no terminator needed when full
}

/** loginrec.c construct_utmp: type, id (the line's last 4 characters), time, line and pid; name, host, address at login only. */
export function encodeUtmp(r: LoginRecord): Uint8Array {
  const buf = new Uint8Array(UTMP_BYTES);
  const view = new DataView(buf.buffer);
  const line = r.tty.replace(/^\/dev\//, "");
  view.setInt16(0, r.type === "login" ? USER_PROCESS : DEAD_PROCESS, true);
  view.setInt32(4, r.pid, true);
  put(buf, 8, 32, line); // ut_line
  put(buf, 40, 4, line.slice(-4)); // ut_id: line_abbrevname
  view.setInt32(340, Math.floor(r.ms / 1000), true); // ut_tv.tv_sec
  view.setInt32(344, (r.ms % 1000) * 1000, true); // ut_tv.tv_usec
  if (r.type === "logout") return buf;
  put(buf, 44, 32, r.user); // ut_user
  put(buf, 76, 256, r.host); // ut_host
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(r.address)?.[1];
  const v4 = mapped ?? (isIPv4(r.address) ? r.address : undefined);
  if (v4 !== undefined) buf.set(v4.split(".").map(Number), 348); // ut_addr_v6[0], network order
  else if (isIPv6(r.address)) buf.set(ipv6Bytes(r.address), 348);
  return buf;
}

function ipv6Bytes(addr: string): number[] {
  const [head, tail] = addr.split("::") as [string, string | undefined];
  const words = (s: string | undefined) => (s ? s.split(":").map((w) => Number.parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((w) => [(w >> 8) & 0xff, w & 0xff]);
}

/** loginrec.c wtmp_write: append; a short write is cut back off ("problem writing" logged as OpenSSH logs it). */
export function appendWtmp(r: LoginRecord, log: Logger, file: string = WTMP_FILE): void {
  let fd: number;
  try {
    fd = openSync(file, "a");
  } catch (e) {
    log.info(`wtmp_write: problem writing ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : (e as Error).message}`);
    return;
  }
  const size = fstatSync(fd).size;
  try {
    if (writeSync(fd, encodeUtmp(r)) !== UTMP_BYTES) throw new Error("short write");
  } catch (e) {
    ftruncateSync(fd, size);
    log.info(`wtmp_write: problem writing ${file}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

type Pututline = (rec: Uint8Array) => void;
let pututline: Pututline | null | undefined;

/** loginrec.c utmp_write_library: setutent, pututline, endutent (glibc's own default file, /var/run/utmp). */
export async function writeUtmp(r: LoginRecord): Promise<void> {
  if (pututline === undefined) {
    try {
      const { dlopen, ptr } = await import("bun:ffi");
      const { symbols: c } = dlopen("libc.so.6", {
        setutent: { args: [], returns: "void" },
        pututline: { args: ["ptr"], returns: "ptr" },
        endutent: { args: [], returns: "void" },
      });
      pututline = (rec) => {
        c.setutent();
        c.pututline(ptr(rec)); // NULL when the file cannot be written: loginrec.c ignores that too
        c.endutent();
      };
    } catch {
      pututline = null;
    }
  }
  pututline?.(encodeUtmp(r));
}
