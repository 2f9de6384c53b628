// lastlog (sshlogin.c store_lastlog_message / loginrec.c lastlog_get_entry, lastlog_write_entry): one struct lastlog per
// uid at offset uid * 292 in /var/log/lastlog (x86_64 glibc: int32 ll_time, char ll_line[32], char ll_host[256]).
import { closeSync, openSync, readSync, statSync, writeSync } from "node:fs";
import type { Logger } from "../log.ts";

export const LASTLOG_FILE = "/var/log/lastlog";
const LINE_BYTES = 32;
const HOST_BYTES = 256;
const RECORD_BYTES = 4 + LINE_BYTES + HOST_BYTES;

/** One user's last login. */
export interface LastLogEntry {
  readonly time: number; // seconds since the epoch; 0: never
  readonly line: string;
  readonly host: string;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** The entry for `uid`, or undefined when the file cannot be read (lastlog_openseek's silent cases). */
export function readLastLog(uid: number, file: string = LASTLOG_FILE): LastLogEntry | undefined {
  let fd: number;
  try {
    if (!statSync(file).isFile()) return undefined;
    fd = openSync(file, "r");
  } catch {
    return undefined;
  }
  try {
    const buf = new Uint8Array(RECORD_BYTES);
    const n = readSync(fd, buf, 0, RECORD_BYTES, uid * RECORD_BYTES);
    if (n !== RECORD_BYTES) return { time: 0, line: "", host: "" }; // past the end: never logged in
    const time = new DataView(buf.buffer).getUint32(0, true);
    return { time, line: cString(buf.subarray(4, 4 + LINE_BYTES)), host: cString(buf.subarray(4 + LINE_BYTES)) };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** ctime(3) without the newline, in local time: "Mon Nov 23 06:00:00 2026". */
export function ctime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p2 = (n: number): string => String(n).padStart(2, "0");
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

/** sshlogin.c store_lastlog_message: "Last login: <ctime>[ from <host>]\r\n", or "" for a user who never logged in. */
export function lastLoginMessage(entry: LastLogEntry | undefined): string {
  if (entry === undefined || entry.time === 0) return "";
  return entry.host === "" ? `Last login: ${ctime(entry.time)}\r\n` : `Last login: ${ctime(entry.time)} from ${entry.host}\r\n`;
}

/** loginrec.c lastlog_write_entry: the user's record, with the tty line stripped of "/dev/". */
export function writeLastLog(uid: number, tty: string, host: string, seconds: number, log: Logger, file: string = LASTLOG_FILE): void {
  const rec = new Uint8Array(RECORD_BYTES);
  new DataView(rec.buffer).setUint32(0, seconds >>> 0, true);
  const enc = new TextEncoder();
  rec.set(enc.encode(tty.replace(/^\/dev\//, "")).subarray(0, LINE_BYTES), 4);
  rec.set(enc.encode(host).subarray(0, HOST_BYTES - 1), 4 + LINE_BYTES);
  let fd: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) {
      log.info(`lastlog_openseek: ${file} is not a file or directory!`);
      return;
    }
    fd = openSync(file, "r+");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") log.info(`lastlog_openseek: Couldn't stat ${file}: No such file or directory`);
    else log.debug(`lastlog_openseek: Couldn't open ${file}: ${code === "EACCES" ? "Permission denied" : String(code)}`);
    return;
  }
  try {
    writeSync(fd, rec, 0, RECORD_BYTES, uid * RECORD_BYTES);
  } catch (e) {
    log.info(`lastlog_write_entry: Error writing to ${file}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}
