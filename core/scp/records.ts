// The legacy scp (rcp) protocol's control records, as scp.c sink() reads and source()/rsource()/do_times() write
// them: `C0644 <size> <name>`, `D0755 0 <name>`, `E`, `T<mtime> 0 <atime> 0`, and the \001/\002 error lines.
// The input is the peer's, so it is bounded (2047 bytes a record, as scp.c's buffer) and every field is checked.
import { pathBytes, pathText } from "../sftp/client.ts";

/** scp.c sink(): a record is read into char buf[2048], so it is cut after 2047 bytes. */
export const MAX_RECORD_BYTES = 2047;

/** What one record from the peer means to a sink. */
export type SinkRecord =
  /** \001 (an error for this file, carry on) or \002 (fatal); `message` is the rest, newline included. */
  | { readonly kind: "error"; readonly fatal: boolean; readonly message: string }
  | { readonly kind: "end" }
  /** `inRange` false: the times do not fit (scp.c then ignores them: setimes = 0). */
  | { readonly kind: "times"; readonly mtimeSec: number; readonly atimeSec: number; readonly inRange: boolean }
  | { readonly kind: "file" | "dir"; readonly mode: number; readonly size: number; readonly name: string }
  /** Neither C nor D: scp.c prints it as is on the first record (a shell's "No match."), else a protocol error. */
  | { readonly kind: "unexpected"; readonly text: string }
  /** A name with '/', "", "." or "..": scp.c exits with "error: unexpected filename: ...". */
  | { readonly kind: "bad-name"; readonly name: string }
  /** scp.c SCREWUP(why): "protocol error: <why>". */
  | { readonly kind: "protocol-error"; readonly why: string };

const DIGIT = /^[0-9]$/;
/** Largest value of a 64-bit off_t/time_t (scp.c TYPE_OVERFLOW). */
const INT64_MAX = (1n << 63n) - 1n;

/** strtoull(3) from s[i] (after an isdigit check): the value (saturated) and where it stopped. */
function strtoull(s: string, i: number): { value: bigint; end: number } {
  let j = i;
  while (j < s.length && DIGIT.test(s[j]!)) j++;
  const digits = s.slice(i, j);
  // saturate: ULLONG_MAX on overflow, as strtoull does; never parse an unbounded string into a bigint
  const value = digits.length > 20 ? (1n << 64n) - 1n : BigInt(digits);
  return { value: value > (1n << 64n) - 1n ? (1n << 64n) - 1n : value, end: j };
}

/** strtol(3) base 10 as scp.c uses it for the microseconds: spaces, a sign, digits; `end` === i when none. */
function strtol(s: string, i: number): { value: number; end: number } {
  let j = i;
  while (j < s.length && " \t\n\v\f\r".includes(s[j]!)) j++;
  let neg = false;
  if (s[j] === "+" || s[j] === "-") neg = s[j++] === "-";
  const start = j;
  while (j < s.length && DIGIT.test(s[j]!)) j++;
  if (j === start) return { value: 0, end: i };
  const digits = s.slice(start, j);
  const v = digits.length > 12 ? Number.MAX_SAFE_INTEGER : Number(digits);
  return { value: neg ? -v : v, end: j };
}

/**
 * Parses one record as received (up to MAX_RECORD_BYTES, the '\n' included when it came). The caller has already
 * rejected an empty line. Names are UTF-8 text; bytes that are not valid UTF-8 become U+DC80..U+DCFF (pathText).
 */
export function parseSinkRecord(raw: Uint8Array): SinkRecord {
  const first = raw[0];
  if (first === 1 || first === 2) return { kind: "error", fatal: first === 2, message: pathText(raw.subarray(1)) };
  if (first === 0x45 /* E */) return { kind: "end" };
  const body = raw[raw.length - 1] === 0x0a ? raw.subarray(0, raw.length - 1) : raw;
  const line = pathText(body); // a name that is not UTF-8 keeps its bytes (surrogate escapes)
  if (line[0] === "T") return parseTimes(line);
  if (line[0] !== "C" && line[0] !== "D") return { kind: "unexpected", text: line };
  let mode = 0;
  let i = 1;
  for (; i < 5; i++) {
    const c = line[i];
    if (c === undefined || c < "0" || c > "7") return { kind: "protocol-error", why: "bad mode" };
    mode = (mode << 3) | (c.charCodeAt(0) - 48);
  }
  if (line[i++] !== " ") return { kind: "protocol-error", why: "mode not delimited" };
  if (!DIGIT.test(line[i] ?? "")) return { kind: "protocol-error", why: "size not present" };
  const size = strtoull(line, i);
  i = size.end;
  if (line[i++] !== " ") return { kind: "protocol-error", why: "size not delimited" };
  // off_t is 64 bits; beyond 2^53 a JavaScript number cannot count the bytes exactly, so such sizes are out of range too
  if (size.value > INT64_MAX || size.value > BigInt(Number.MAX_SAFE_INTEGER)) return { kind: "protocol-error", why: "size out of range" };
  const name = line.slice(i);
  if (name === "" || name.includes("/") || name === "." || name === "..") return { kind: "bad-name", name };
  return { kind: line[0] === "C" ? "file" : "dir", mode, size: Number(size.value), name };
}

/** The largest time in seconds a JavaScript Date (and so utimes) can carry. */
const MAX_TIME_SEC = 8.64e12;

function parseTimes(line: string): SinkRecord {
  let i = 1;
  if (!DIGIT.test(line[i] ?? "")) return { kind: "protocol-error", why: "mtime.sec not present" };
  const m = strtoull(line, i);
  i = m.end;
  if (line[i++] !== " ") return { kind: "protocol-error", why: "mtime.sec not delimited" };
  const mu = strtol(line, i);
  i = mu.end;
  if (line[i++] !== " " || mu.value < 0 || mu.value > 999999) return { kind: "protocol-error", why: "mtime.usec not delimited" };
  if (!DIGIT.test(line[i] ?? "")) return { kind: "protocol-error", why: "atime.sec not present" };
  const a = strtoull(line, i);
  i = a.end;
  if (line[i++] !== " ") return { kind: "protocol-error", why: "atime.sec not delimited" };
  const au = strtol(line, i);
  i = au.end;
  if (i !== line.length || au.value < 0 || au.value > 999999) return { kind: "protocol-error", why: "atime.usec not delimited" };
  const inRange = m.value <= BigInt(MAX_TIME_SEC) && a.value <= BigInt(MAX_TIME_SEC);
  return { kind: "times", mtimeSec: inRange ? Number(m.value) : 0, atimeSec: inRange ? Number(a.value) : 0, inRange };
}

/** scp.c FILEMODEMASK: setuid, setgid and the permission bits (not the sticky bit). */
export const FILEMODEMASK = 0o6777;

/** scp.c source(): `C%04o %lld %s\n`. */
export function formatFileRecord(mode: number, size: number, name: string): string {
  return `C${(mode & FILEMODEMASK).toString(8).padStart(4, "0")} ${size} ${name}\n`;
}

/** scp.c rsource(): `D%04o 0 %.1024s\n` (the name cut at 1024 bytes, as its buffer does). */
export function formatDirRecord(mode: number, name: string): string {
  const bytes = pathBytes(name);
  const cut = bytes.length > 1024 ? pathText(bytes.subarray(0, 1024)) : name;
  return `D${(mode & FILEMODEMASK).toString(8).padStart(4, "0")} 0 ${cut}\n`;
}

/** scp.c do_times(): `T%llu 0 %llu 0\n` (negative times sent as 0). */
export function formatTimesRecord(mtimeSec: number, atimeSec: number): string {
  return `T${Math.max(0, Math.floor(mtimeSec))} 0 ${Math.max(0, Math.floor(atimeSec))} 0\n`;
}

/**
 * utf8.c snmprintf() for text a peer sent, on its way to our stderr: newline, return and tab stay, any other control
 * character (C0, DEL, C1) becomes \ooo octal escapes of its bytes.
 */
export function visTerminal(text: string): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xdc80 && c <= 0xdcff) {
      out += `\\${(c - 0xdc00).toString(8).padStart(3, "0")}`; // a byte that was not UTF-8 (pathText)
      continue;
    }
    const control = (c < 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) || c === 0x7f || (c >= 0x80 && c < 0xa0) || c === 0xfffd;
    out += control ? [...Buffer.from(ch)].map((b) => "\\" + b.toString(8).padStart(3, "0")).join("") : ch;
  }
  return out;
}

/**
 * log.c's strnvis(VIS_SAFE | VIS_OCTAL) of every log line (error(), fatal(), debug()): printable ASCII, space, tab,
 * newline, return, backspace and bell stay; every other byte (control characters, and all non-ASCII: "ü" is
 * \303\274) becomes a \ooo escape.
 */
export function visLog(text: string): string {
  let out = "";
  for (const b of pathBytes(text)) {
    const safe = (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x08 || b === 0x07;
    out += safe ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, "0")}`;
  }
  return out;
}
