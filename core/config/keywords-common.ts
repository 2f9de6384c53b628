// What ssh_config (readconf.c) and sshd_config (servconf.c) parse alike: log levels and facilities (log.c), the cursor
// over one line's arguments that every keyword row reads, and the rows whose logic both files share. Where the two
// differ only in how a bad value is refused (readconf.c error() + goto out, servconf.c fatal()), rows call reject().
import { convtime, parseIpqos, scanScaled, type Diagnostics } from "./lexer.ts";

/** Log levels (log.c), in order. */
export const LOG_LEVELS = ["QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG1", "DEBUG2", "DEBUG3"] as const;
/** A log level (DEBUG is DEBUG1). */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Syslog facilities (log.c). */
export const LOG_FACILITIES = ["DAEMON", "USER", "AUTH", "AUTHPRIV", "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3", "LOCAL4", "LOCAL5", "LOCAL6", "LOCAL7"] as const;
/** A syslog facility. */
export type LogFacility = (typeof LOG_FACILITIES)[number];

/** log.c log_level_number: case-insensitive, DEBUG = DEBUG1; null when unknown. */
export function parseLogLevel(s: string | undefined): LogLevel | null {
  if (s === undefined) return null;
  const u = s.toUpperCase();
  if (u === "DEBUG") return "DEBUG1";
  return (LOG_LEVELS as readonly string[]).includes(u) ? (u as LogLevel) : null;
}
/** log.c log_level_name: DEBUG1 prints as DEBUG (the first name of that level). */
export function logLevelName(l: LogLevel): string {
  return l === "DEBUG1" ? "DEBUG" : l;
}
/** log.c log_facility_number. */
export function parseLogFacility(s: string | undefined): LogFacility | null {
  if (s === undefined) return null;
  const u = s.toUpperCase();
  return (LOG_FACILITIES as readonly string[]).includes(u) ? (u as LogFacility) : null;
}

// ---------------------------------------------------------------------------------------------------------------
// The line cursor

/** The values parsed so far, by canonical keyword name. */
export type Raw = Record<string, unknown>;

/** Thrown by a row to end the line as error() + "goto out" does (counted as a bad option). */
export class LineError extends Error {}

/** What one line is: its keyword, its place, its arguments and where its values go. */
export interface LineState {
  /** As the file's messages print it (readconf.c: lowercased; servconf.c: as written). */
  readonly keyword: string;
  /** The row's name (the keyword as the table spells it). */
  readonly canonical: string;
  readonly file: string;
  readonly line: number;
  readonly args: readonly string[];
  /** The text after the keyword, for rows that take the rest of the line. */
  readonly rest: string;
  /** Whether the line is in an active section (a value it sets counts). */
  readonly active: boolean;
  readonly raw: Raw;
  readonly diag: Diagnostics;
}

/** The state of one line being parsed; what a row's `parse` sees. Each file's parser adds what its rows need. */
// The class takes its LineState fields by declaration merging with this interface, so they are listed once.
export interface LineParser extends LineState {}
export abstract class LineParser {
  private pos = 0;
  constructor(s: LineState) {
    Object.assign(this, s);
  }
  next(): string | undefined {
    return this.args[this.pos++];
  }
  peek(): string | undefined {
    return this.args[this.pos];
  }
  get remaining(): number {
    return Math.max(0, this.args.length - this.pos);
  }
  consume(): void {
    this.pos = this.args.length;
  }
  /** error() + goto out: `<file> line <n>: <msg>`, and the line counts as a bad option. */
  bad(msg: string): never {
    this.diag.error(`${this.file} line ${this.line}: ${msg}`);
    throw new LineError(msg);
  }
  /** `<file> line <n>: <msg>` as fatal(). */
  fatal(msg: string): never {
    return this.diag.fatal(`${this.file} line ${this.line}: ${msg}`, this.file, this.line);
  }
  /** How this file refuses a bad value where the other file's code is the same: bad() in ssh_config, fatal() in sshd_config. */
  abstract reject(msg: string): never;
  /** First value wins, and only in an active section. */
  first(key: string, value: unknown): void {
    if (this.active && this.raw[key] === undefined) this.raw[key] = value;
  }
  /**
   * Runs the rest of a line: a LineError ends it as a bad option (false); a body that returns a verdict has it, one that
   * returns nothing parsed a row, and any argument it left is "extra arguments at end of line".
   */
  settle(body: () => boolean | void): boolean {
    try {
      const verdict = body();
      if (verdict !== undefined) return verdict;
    } catch (e) {
      if (e instanceof LineError) return false;
      throw e;
    }
    if (this.remaining > 0) {
      this.diag.error(`${this.file} line ${this.line}: keyword ${this.keyword} extra arguments at end of line`);
      return false;
    }
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rows both files parse alike

/** The arguments of a first-wins string array: an empty one is refused (unless allowed), "none" must stand alone. */
export function noneAloneArgs(p: LineParser, opts: { allowEmpty?: boolean; map?: (a: string) => string } = {}): string[] {
  const strs: string[] = [];
  for (let a = p.next(); a !== undefined; a = p.next()) {
    if (a === "" && opts.allowEmpty !== true) return p.bad(`keyword ${p.keyword} empty argument`);
    if (a.toLowerCase() === "none" && (strs.length > 0 || p.remaining > 0)) return p.bad(`keyword ${p.keyword} "none" argument must appear alone.`);
    strs.push(opts.map ? opts.map(a) : a);
  }
  return strs;
}

/** A first-wins array that must not be empty (RevokedHostKeys, AuthorizedKeysFile, RevokedKeys, sshd's LogVerbose): the whole line or nothing. */
export function parseNoneAloneList(p: LineParser, map?: (a: string) => string): void {
  const found = p.raw[p.canonical] === undefined;
  const strs = noneAloneArgs(p, map ? { map } : {});
  if (strs.length === 0) return p.fatal(`no ${p.keyword} specified`);
  if (found && p.active) p.raw[p.canonical] = strs;
}

/** SyslogFacility: first wins, whether or not the section is active (readconf.c and servconf.c alike). */
export function parseSyslogFacilityLine(p: LineParser): void {
  const a = p.next();
  const v = parseLogFacility(a);
  if (v === null) return p.reject(`unsupported log facility '${a ?? "<NONE>"}'`);
  if (p.raw.SyslogFacility === undefined) p.raw.SyslogFacility = v;
}

/** LogLevel. */
export function parseLogLevelLine(p: LineParser): void {
  const a = p.next();
  const v = parseLogLevel(a);
  if (v === null) return p.reject(`unsupported log level '${a ?? "<NONE>"}'`);
  p.first("LogLevel", v);
}

/**
 * IPQoS: one value, or two (interactive, bulk); `first` is the first argument, already taken. A deprecated name is
 * logged and means the system default; `fail` refuses an unknown one, given the value ("(null)" when it is missing).
 */
export function parseIpqosPair(p: LineParser, first: string | undefined, fail: (value: string) => never): [number, number] {
  const one = (a: string | undefined): number => {
    const v = a === undefined ? -1 : parseIpqos(a);
    if (v === -1) return fail(a ?? "(null)");
    if (v !== -0x80000000) return v;
    p.diag.notice("DEBUG1", `${p.file} line ${p.line}: Deprecated IPQoS value "${a}" ignored - using system default instead. Consider using DSCP values.`);
    return 0x7fffffff;
  };
  const v = one(first);
  const b = p.next();
  return [v, b === undefined ? v : one(b)];
}

/**
 * RekeyLimit: bytes ("default" = 0, else 0 or at least 16, scaled) and an optional interval read by `interval` ("none"
 * leaves it unset). `a` is the first argument, already taken; the messages are each file's own.
 */
export function parseRekeyLimit(p: LineParser, a: string, msgs: { badNumber: string; tooSmall: string }, interval: (key: string) => void): void {
  let bytes = 0;
  if (a !== "default") {
    const v = scanScaled(a);
    if (v === null) return p.reject(`${msgs.badNumber} '${a}': Invalid argument`);
    if (v !== 0 && v < 16) return p.reject(msgs.tooSmall);
    bytes = v;
  }
  p.first("RekeyLimit", bytes);
  if (p.remaining > 0) {
    if (p.peek() === "none") { p.next(); return; }
    interval("RekeyLimit.interval");
  }
}

/** SetEnv: NAME=VALUE arguments, the first of a name kept; the whole line or nothing. */
export function parseSetEnv(p: LineParser, invalid: string): void {
  const found = p.raw.SetEnv === undefined;
  const strs: string[] = [];
  for (let a = p.next(); a !== undefined; a = p.next()) {
    if (!a.includes("=")) return p.reject(invalid);
    const name = a.slice(0, a.indexOf("="));
    if (strs.some((s) => s.slice(0, s.indexOf("=")) === name)) continue;
    strs.push(a);
  }
  if (strs.length === 0) return p.fatal(`no ${p.keyword} specified`);
  if (found && p.active) p.raw.SetEnv = strs;
}

/** misc.c parse_pattern_interval (ChannelTimeout `type=interval`). */
export function patternIntervalValid(s: string): boolean {
  const eq = s.indexOf("=");
  if (eq <= 0) return false;
  return convtime(s.slice(eq + 1)) !== -1;
}

/** ChannelTimeout: `type=interval` patterns, or "none" alone; the whole line or nothing. */
export function parseChannelTimeout(p: LineParser): void {
  const found = p.raw.ChannelTimeout === undefined;
  const strs: string[] = [];
  for (let a = p.next(); a !== undefined; a = p.next()) {
    if (a.toLowerCase() === "none") {
      if (strs.length > 0 || p.remaining > 0) return p.bad(`keyword ${p.keyword} "none" argument must appear alone.`);
    } else if (!patternIntervalValid(a)) return p.fatal(`invalid channel timeout ${a}`);
    strs.push(a);
  }
  if (strs.length === 0) return p.fatal(`no ${p.keyword} specified`);
  if (found && p.active) p.raw.ChannelTimeout = strs;
}

/** The rest of the line, leading white space skipped (ForceCommand, VersionAddendum). */
export function restOfLine(p: LineParser): string {
  return p.rest.replace(/^[ \t\r\n]+/, "");
}

/** VersionAddendum: the rest of the line up to a `#`, "none" for nothing; ssh_config refuses an empty one. */
export function parseVersionAddendum(p: LineParser, emptyIsMissing: boolean): void {
  let s = restOfLine(p);
  if (emptyIsMissing && s === "") return p.fatal(`${p.keyword} missing argument.`);
  if (s.includes("\r")) return p.fatal(`Invalid ${p.keyword} argument`);
  const hash = s.indexOf("#");
  if (hash >= 0) s = s.slice(0, hash).replace(/[ \t\r\n]+$/, "");
  p.first("VersionAddendum", s.toLowerCase() === "none" ? "" : s);
  p.consume();
}
