// Line splitting and the small value parsers shared by sshd_config and ssh_config, as OpenSSH's misc.c does it
// (strdelim, argv_split, argv_assemble, convtime, a2port, hpdelim, percent_expand) plus Include globbing and the
// error accounting of servconf.c/readconf.c ("<file> line N: ...", then "<file>: terminating, N bad configuration options").
import { readdirSync, readFileSync, statSync } from "node:fs";
import { ConfigError } from "../errors.ts";

/** One physical line of a config file. */
export interface SourceLine {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** The file-system view the parsers use (a fake in tests). */
export interface ConfigFs {
  /** File contents, or null when it cannot be opened. */
  readFile(path: string): string | null;
  /** Directory entries (names only), or null when it is not a readable directory. */
  readDir(path: string): string[] | null;
  /** Owner and permission bits, for ssh's "Bad owner or permissions" check (skipped when absent). */
  owner?(path: string): { uid: number; mode: number } | null;
}

/** The real file system. */
export const NODE_FS: ConfigFs = {
  readFile(path) {
    try {
      // fopen(3) as readconf.c: anything but a directory (`ssh -F /dev/null` is a common "no config" idiom)
      if (statSync(path).isDirectory()) return null;
      return readFileSync(path, "latin1");
    } catch {
      return null;
    }
  },
  readDir(path) {
    try {
      return readdirSync(path);
    } catch {
      return null;
    }
  },
  owner(path) {
    try {
      const st = statSync(path);
      return { uid: st.uid, mode: st.mode & 0o7777 };
    } catch {
      return null;
    }
  },
};

/**
 * A ConfigError after which OpenSSH exits with a status other than fatal()'s 255: sshd exits 1 for a bad `-o` line,
 * an unreadable config file (perror) and a bad `-C` specification.
 */
export class ConfigExitError extends ConfigError {
  override name = "ConfigExitError";
  constructor(
    message: string,
    readonly exitStatus: number,
    file?: string,
    line?: number,
  ) {
    super(message, file, line);
  }
}

/** A message OpenSSH logs while parsing without stopping (deprecations, ignored options). */
export interface ConfigNotice {
  readonly level: "ERROR" | "INFO" | "VERBOSE" | "DEBUG1" | "DEBUG2" | "DEBUG3";
  readonly text: string;
}

/**
 * Collects the error lines OpenSSH prints with error() while it goes on parsing, and throws ConfigError when it
 * would call fatal(). The thrown message holds every line OpenSSH would have written, in order.
 */
export class Diagnostics {
  readonly printed: string[] = [];
  readonly notices: ConfigNotice[] = [];
  /** error(): printed now, parsing continues. */
  error(text: string): void {
    this.printed.push(text);
  }
  notice(level: ConfigNotice["level"], text: string): void {
    this.notices.push({ level, text });
  }
  /** exit() after error() lines: the lines printed so far as one ConfigError. */
  abort(exitStatus = 1): never {
    throw new ConfigExitError(this.printed.join("\n"), exitStatus);
  }
  /** perror() + exit(status). */
  exit(text: string, exitStatus: number, file?: string): never {
    throw new ConfigExitError([...this.printed, text].join("\n"), exitStatus, file);
  }
  /** fatal(): the lines printed so far and this one, as one ConfigError. */
  fatal(text: string, file?: string, line?: number): never {
    throw new ConfigError([...this.printed, text].join("\n"), file, line);
  }
}

const WS = " \t\r\n";
const isWs = (c: string | undefined): boolean => c !== undefined && WS.includes(c);
const spanWs = (s: string, from: number): number => {
  let i = from;
  while (i < s.length && isWs(s[i])) i++;
  return i;
};

/**
 * misc.c strdelim: the next token of a config line, split on whitespace, a double quote, or one `=`. Returns the
 * token and the rest (null when the line ends), or null for an unmatched quote.
 */
export function strdelim(s: string): { token: string; rest: string | null } | null {
  let i = 0;
  while (i < s.length && !(isWs(s[i]) || s[i] === '"' || s[i] === "=")) i++;
  if (i === s.length) return { token: s, rest: null };
  if (s[i] === '"') {
    const close = s.indexOf('"', i + 1);
    if (close < 0) return null;
    return { token: s.slice(0, i) + s.slice(i + 1, close), rest: s.slice(spanWs(s, close + 1)) };
  }
  const sawEquals = s[i] === "=";
  let next = spanWs(s, i + 1);
  if (s[next] === "=" && !sawEquals) next = spanWs(s, next + 1);
  return { token: s.slice(0, i), rest: s.slice(next) };
}

/**
 * misc.c argv_split: whitespace-separated words with '…' and "…" quoting and \\, \', \" (and \space outside quotes)
 * escapes; other backslashes stay. With `terminateOnComment` a word starting with `#` ends the line. Returns null for
 * an unterminated quote ("invalid quotes").
 */
export function argvSplit(s: string, terminateOnComment: boolean): string[] | null {
  const argv: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === " " || s[i] === "\t") { i++; continue; }
    if (terminateOnComment && s[i] === "#") break;
    let quote = "";
    let arg = "";
    for (; i < s.length; i++) {
      const c = s[i]!;
      if (c === "\\") {
        const n = s[i + 1];
        if (n === "'" || n === '"' || n === "\\" || (quote === "" && n === " ")) {
          i++;
          arg += n;
        } else arg += c;
      } else if (quote === "" && (c === " " || c === "\t")) break;
      else if (quote === "" && (c === '"' || c === "'")) quote = c;
      else if (quote !== "" && c === quote) quote = "";
      else arg += c;
    }
    argv.push(arg);
    if (i >= s.length && quote !== "") return null;
  }
  return argv;
}

/** misc.c argv_assemble: joins words, quoting ones with blanks and escaping \ ' ". */
export function argvAssemble(argv: readonly string[]): string {
  return argv
    .map((a) => {
      const escaped = a.replace(/[\\'"]/g, (c) => `\\${c}`);
      return /[ \t]/.test(a) ? `"${escaped}"` : escaped;
    })
    .join(" ");
}

/** A config line split as servconf.c/readconf.c do before dispatching on the keyword. */
export type SplitLine =
  | { readonly kind: "empty" }
  | { readonly kind: "noarg"; readonly keyword: string }
  | { readonly kind: "badquotes"; readonly keyword: string }
  | { readonly kind: "line"; readonly keyword: string; readonly rest: string; readonly args: string[] };

/**
 * Splits one line: trailing whitespace (and form feeds) trimmed, keyword by strdelim, comments and blank lines
 * skipped, the arguments by argv_split with `#` ending the line. `rest` is the raw text after the keyword (for
 * keywords that take the rest of the line: ForceCommand, ProxyCommand, ...).
 */
export function splitLine(raw: string): SplitLine {
  let line = raw;
  let end = line.length;
  while (end > 1 && (isWs(line[end - 1]) || line[end - 1] === "\f")) end--;
  line = line.slice(0, end);
  if (line.length === 0) return { kind: "empty" };
  let d = strdelim(line);
  if (d === null) return { kind: "empty" };
  if (d.token === "") {
    if (d.rest === null) return { kind: "empty" };
    d = strdelim(d.rest);
    if (d === null) return { kind: "empty" };
  }
  const keyword = d.token;
  if (keyword === "" || keyword.startsWith("#") || keyword === "\n") return { kind: "empty" };
  const rest = d.rest;
  if (rest === null || rest === "") return { kind: "noarg", keyword };
  const args = argvSplit(rest, true);
  if (args === null) return { kind: "badquotes", keyword };
  return { kind: "line", keyword, rest, args };
}

/** Reads a config text into lines (split on "\n", numbered from 1); `stripLeading` drops leading blanks as sshd does. */
export function textLines(file: string, text: string, stripLeading: boolean): SourceLine[] {
  const out: SourceLine[] = [];
  const parts = text.split("\n");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  parts.forEach((t, i) => out.push({ file, line: i + 1, text: stripLeading ? t.replace(/^[ \t\r]+/, "") : t }));
  return out;
}

/** misc.c convtime: `1h30m`, `90`, `1w`; -1 when malformed or beyond INT_MAX. Fractions only for seconds. */
export function convtime(s: string): number {
  const v = convtimeDouble(s);
  if (v < 0 || v > 2147483647) return -1;
  return Math.floor(v);
}

/** misc.c convtime_double: seconds as a double, or -1. */
export function convtimeDouble(s: string): number {
  if (s === "") return -1;
  let total = 0;
  let seenSeconds = false;
  let p = 0;
  while (p < s.length) {
    const m = /^[0-9.]+/.exec(s.slice(p));
    if (m === null) return -1;
    const num = m[0];
    if (!/^(\d+\.?\d*|\.\d+)$/.test(num)) return -1;
    const val = Number(num);
    if (!Number.isFinite(val)) return -1;
    p += num.length;
    const unit = s[p];
    let mult: number;
    switch (unit) {
      case undefined: case "s": case "S":
        if (seenSeconds) return -1;
        seenSeconds = true; mult = 1; break;
      case "m": case "M": mult = 60; break;
      case "h": case "H": mult = 3600; break;
      case "d": case "D": mult = 86400; break;
      case "w": case "W": mult = 604800; break;
      default: return -1;
    }
    if (num.includes(".")) {
      if (mult > 1) return -1;
      if (!/\d$/.test(num)) return -1;
    }
    total += val * mult;
    if (unit !== undefined) p++;
  }
  return total;
}

export { a2port } from "../misc.ts";

/** misc.c atoi_err: strtonum(s, 0, INT_MAX); the error word ("missing", "invalid", "too small", "too large") or null. */
export function atoiErr(s: string | undefined): { value: number; err: string | null } {
  if (s === undefined || s === "") return { value: 0, err: "missing" };
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(s)) return { value: 0, err: "invalid" };
  const n = Number(s.trim());
  if (n < 0) return { value: 0, err: "too small" };
  if (n > 2147483647) return { value: 0, err: "too large" };
  return { value: n, err: null };
}

/**
 * misc.c hpdelim: splits `host:port`, `[v6]:port`; returns [host, rest|null] or null when malformed (a `/`
 * delimiter is refused).
 */
export function hpdelim(s: string): [string, string | null] | null {
  let i: number;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) return null;
    i = close + 1;
  } else {
    i = s.search(/[:/]/);
    if (i < 0) i = s.length;
  }
  if (i === s.length) return [s, null];
  if (s[i] === ":") return [s.slice(0, i), s.slice(i + 1)];
  return null;
}

/** misc.c cleanhostname: strips the brackets of `[v6]`. */
export { cleanHostname as cleanhostname } from "../misc.ts";

/** misc.c scan_scaled (K, M, G, T suffixes, binary); null when malformed. */
export function scanScaled(s: string): number | null {
  const m = /^(\d+)(?:\.(\d+))?([bBkKmMgGtTpPeE]?)$/.exec(s);
  if (m === null) return null;
  const scale: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5, e: 1024 ** 6 };
  const mult = scale[m[3]!.toLowerCase()]!;
  const whole = Number(m[1]) * mult;
  const frac = m[2] === undefined ? 0 : Math.floor(Number(`0.${m[2]}`) * mult);
  const v = whole + frac;
  return Number.isSafeInteger(v) ? v : null;
}

/** misc.c ipqos table: DSCP names, with OpenSSH's deprecated names meaning "system default". */
export const IPQOS: readonly (readonly [string, number])[] = [
  ["none", 0x7fffffff], ["af11", 0x28], ["af12", 0x30], ["af13", 0x38], ["af21", 0x48], ["af22", 0x50], ["af23", 0x58],
  ["af31", 0x68], ["af32", 0x70], ["af33", 0x78], ["af41", 0x88], ["af42", 0x90], ["af43", 0x98], ["cs0", 0x00],
  ["cs1", 0x20], ["cs2", 0x40], ["cs3", 0x60], ["cs4", 0x80], ["cs5", 0xa0], ["cs6", 0xc0], ["cs7", 0xe0], ["ef", 0xb8],
  ["le", 0x04], ["va", 0xb0], ["lowdelay", -0x80000000], ["throughput", -0x80000000], ["reliability", -0x80000000],
];

/** misc.c parse_ipqos: a value, -1 when unknown, INT_MIN for the deprecated names. */
export function parseIpqos(s: string): number {
  const row = IPQOS.find(([n]) => n === s.toLowerCase());
  if (row) return row[1];
  if (!/^\d+$/.test(s)) return -1;
  const n = Number(s);
  return n <= 255 ? n : -1;
}

/** misc.c iptos2str. */
export function iptos2str(v: number): string {
  const row = IPQOS.find(([, val]) => val === v);
  return row ? row[0] : `0x${v.toString(16).padStart(2, "0")}`;
}

/**
 * misc.c vdollar_percent_expand: `%x` from `keys` (`%%` is `%`) and, when `env` is given, `${NAME}` from it. Returns
 * null when a variable is unset (OpenSSH logs "env var ${X} has no value"); a malformed string throws ConfigError with
 * OpenSSH's two lines ("vdollar_percent_expand: unknown key %x", then "<caller>: failed").
 */
export function expandTokens(
  template: string,
  keys: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>> | null,
  caller = "percent_expand",
): { value: string } | { missing: string } {
  const fail = (why: string): never => {
    throw new ConfigError(`vdollar_percent_expand: ${why}\n${caller}: failed`);
  };
  let out = "";
  let missing: string | null = null;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (env !== null && c === "$" && template[i + 1] === "{") {
      const close = template.indexOf("}", i + 2);
      if (close < 0) fail(`environment variable '${template.slice(i + 2)}' missing closing '}'`);
      const name = template.slice(i + 2, close);
      if (name === "") fail("zero-length environment variable");
      const v = env[name];
      if (v === undefined) missing ??= name;
      else out += v;
      i = close;
      continue;
    }
    if (c !== "%") { out += c; continue; }
    const k = template[i + 1];
    if (k === undefined) fail("invalid format");
    i++;
    if (k === "%") { out += "%"; continue; }
    const v = keys[k!];
    if (v === undefined) fail(`unknown key %${k}`);
    out += v;
  }
  return missing === null ? { value: out } : { missing };
}

/** misc.c percent_expand: tokens only; errors as OpenSSH words them (see expandTokens). */
export function percentExpand(template: string, keys: Readonly<Record<string, string>>): string {
  const r = expandTokens(template, keys, null);
  return "value" in r ? r.value : template;
}

/**
 * misc.c dollar_expand: `${NAME}` from `env`; null for an unset variable or a malformed reference (OpenSSH reports
 * those through its caller).
 */
export function dollarExpand(s: string, env: Readonly<Record<string, string | undefined>>): string | null {
  try {
    const r = expandTokens(s.replaceAll("%", "%%"), {}, env, "dollar_expand");
    return "value" in r ? r.value : null;
  } catch {
    return null;
  }
}

/** misc.c tilde_expand_filename for the current user (`~/x`, `~`); `~user` forms are left to the caller's home map. */
export function tildeExpand(path: string, home: string, homeOf?: (user: string) => string | null): string | null {
  if (!path.startsWith("~")) return path;
  // misc.c tilde_expand: "~user/rest" is that user's home; anything else ("~", "~/rest", even "~word" without a
  // slash) is the current user's home, then "/" unless the home ends in one, then the rest: "~" gives "/root/".
  const slash = path.indexOf("/");
  const named = slash > 1;
  const base = named ? (homeOf?.(path.slice(1, slash)) ?? null) : home;
  if (base === null) return null;
  const tail = named || slash === 1 ? path.slice(slash + 1) : path.slice(1);
  const sep = base === "" || base.endsWith("/") ? "" : "/";
  return `${base}${sep}${tail}`;
}

const MAGIC = /[*?[]/;

function globComponentRegExp(pat: string): RegExp {
  let re = "^";
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = pat.indexOf("]", i + 2);
      if (close < 0) { re += "\\["; continue; }
      let body = pat.slice(i + 1, close);
      if (body.startsWith("!")) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, "\\\\")}]`;
      i = close;
    } else if (c === "\\" && i + 1 < pat.length) re += `\\${pat[++i]}`;
    else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  try {
    return new RegExp(`${re}$`);
  } catch {
    return /$^/;
  }
}

/**
 * glob(3) as OpenSSH uses it for Include: wildcards in any path component, leading dots never matched by a
 * wildcard, results sorted. A pattern without wildcards yields itself when the file exists.
 */
export function globPaths(pattern: string, fs: ConfigFs): string[] {
  if (!MAGIC.test(pattern)) return fs.readFile(pattern) !== null || fs.readDir(pattern) !== null ? [pattern] : [];
  const absolute = pattern.startsWith("/");
  const parts = pattern.split("/").filter((p, i) => p !== "" || i === 0);
  let bases = [absolute ? "/" : "."];
  const start = absolute ? 1 : 0;
  for (let i = start; i < parts.length; i++) {
    const comp = parts[i]!;
    const next: string[] = [];
    const join = (b: string, n: string): string => (b === "/" ? `/${n}` : b === "." && !absolute && i === 0 ? n : `${b}/${n}`);
    for (const b of bases) {
      if (!MAGIC.test(comp)) {
        next.push(join(b, comp));
        continue;
      }
      const names = fs.readDir(b === "" ? "." : b);
      if (names === null) continue;
      const re = globComponentRegExp(comp);
      for (const n of [...names].sort()) if (!(n.startsWith(".") && !comp.startsWith(".")) && re.test(n)) next.push(join(b, n));
    }
    bases = next;
  }
  return bases.filter((p) => fs.readFile(p) !== null || fs.readDir(p) !== null).sort();
}

/** servconf.c SERVCONF_MAX_DEPTH / readconf.c READCONF_MAX_DEPTH. */
export const MAX_INCLUDE_DEPTH = 16;

/** The fatal text OpenSSH uses when Include nests too deep (also what a cycle of Includes ends in). */
export const TOO_MANY_INCLUDES = "Too many recursive configuration includes";
