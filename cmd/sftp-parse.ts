// The pure parts of sftp(1) (sftp.c, sftp-common.c, misc.c): the command-line splitter with its glob-escaping quirks
// (makeargv), command and flag parsing (parse_args), sftp:// and host:path destinations, and `ls -l` lines.
import { strmode } from "../core/sftp/attrs.ts";
import { a2port, cleanHostname, colon, parseUri } from "../core/misc.ts";

export { a2port } from "../core/misc.ts";

/** sftp.c enum sftp_command. */
export type SftpCommandName =
  | "chdir" | "chgrp" | "chmod" | "chown" | "copy" | "df" | "get" | "help" | "lchdir" | "link" | "lls" | "lmkdir"
  | "lpwd" | "ls" | "lumask" | "mkdir" | "put" | "pwd" | "quit" | "reget" | "rename" | "reput" | "rm" | "rmdir"
  | "shell" | "symlink" | "version" | "progress";

/** sftp.c cmds[]: the words and the command each one runs. */
export const SFTP_COMMANDS: readonly (readonly [string, SftpCommandName])[] = [
  ["bye", "quit"], ["cd", "chdir"], ["chdir", "chdir"], ["chgrp", "chgrp"], ["chmod", "chmod"], ["chown", "chown"],
  ["copy", "copy"], ["cp", "copy"], ["df", "df"], ["dir", "ls"], ["exit", "quit"], ["get", "get"], ["help", "help"],
  ["lcd", "lchdir"], ["lchdir", "lchdir"], ["lls", "lls"], ["lmkdir", "lmkdir"], ["ln", "link"], ["lpwd", "lpwd"],
  ["ls", "ls"], ["lumask", "lumask"], ["mkdir", "mkdir"], ["mget", "get"], ["mput", "put"], ["progress", "progress"],
  ["put", "put"], ["pwd", "pwd"], ["quit", "quit"], ["reget", "reget"], ["rename", "rename"], ["reput", "reput"],
  ["rm", "rm"], ["rmdir", "rmdir"], ["symlink", "symlink"], ["version", "version"], ["!", "shell"], ["?", "help"],
];

/** A parse failure: OpenSSH's error() text. */
export class SftpParseError extends Error {
  override name = "SftpParseError";
}

const MAXARGS = 128;
const MAXARGLEN = 8192;
const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\v" || c === "\f";

/**
 * sftp.c makeargv(): sh-like splitting with '' and "" quotes, backslash escapes and `#` comments, where glob
 * characters that were quoted or escaped stay escaped (`\*`) for the glob that follows.
 */
export function makeargv(arg: string): string[] {
  if (arg.length > MAXARGLEN - 1) throw new SftpParseError("string too long");
  const argv: string[] = [];
  let cur = "";
  type State = "start" | "squote" | "dquote" | "unquoted";
  let state: State = "start";
  let i = 0;
  const done = (): void => {
    argv.push(cur);
    cur = "";
  };
  for (;;) {
    if (argv.length >= MAXARGS + 1) throw new SftpParseError("Too many arguments.");
    const c = arg[i];
    if (c !== undefined && isSpace(c)) {
      if (state === "unquoted") {
        done();
        state = "start";
      } else if (state !== "start") cur += c;
    } else if (c === '"' || c === "'") {
      const q: State = c === '"' ? "dquote" : "squote";
      if (state === "start") state = q;
      else if (state === "unquoted") state = q;
      else if (state === q) state = "unquoted";
      else cur += c;
    } else if (c === "\\") {
      if (state === "squote" || state === "dquote") {
        const quot = state === "squote" ? "'" : '"';
        const n = arg[i + 1];
        if (n === quot) {
          i++;
          cur += n;
        } else if (n === "?" || n === "[" || n === "*") {
          cur += "\\" + "\\" + "\\" + n;
          i++;
        } else {
          cur += c;
          i++;
          if (arg[i] === undefined) {
            // the string ended inside quotes
            throw new SftpParseError("Unterminated quoted argument");
          }
          cur += arg[i];
        }
      } else {
        if (state === "start") state = "unquoted";
        const n = arg[i + 1];
        if (n === "?" || n === "[" || n === "*" || n === "\\") {
          cur += c + n;
          i++;
        } else {
          i++;
          // sftp.c: a backslash at the end jumps to early_nul, "Unterminated quoted argument"
          if (arg[i] === undefined) throw new SftpParseError("Unterminated quoted argument");
          cur += arg[i];
        }
      }
    } else if (c === "#") {
      if (state === "squote" || state === "dquote") cur += c;
      else {
        if (state === "unquoted") done();
        break;
      }
    } else if (c === undefined) {
      if (state === "squote" || state === "dquote") throw new SftpParseError("Unterminated quoted argument");
      if (state === "unquoted") done();
      break;
    } else {
      if (state === "start") state = "unquoted";
      if ((state === "squote" || state === "dquote") && (c === "?" || c === "[" || c === "*")) cur += "\\" + c;
      else cur += c;
    }
    i++;
  }
  if (argv.length > MAXARGS) throw new SftpParseError("Too many arguments.");
  return argv;
}

/** sftp.c undo_glob_escape(): `\?`, `\[`, `\*`, `\\` lose their backslash (for arguments that are not globbed). */
export function undoGlobEscape(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "\\") {
      out += s[i];
      continue;
    }
    const n = s[i + 1];
    if (n === undefined) {
      out += "\\";
      break;
    }
    if (n === "?" || n === "[" || n === "*" || n === "\\") out += n;
    else out += "\\" + n;
    i++;
  }
  return out;
}

/** getopt(3) for sftp's commands (opterr = 0): the index of the first operand, or the bad option character. */
function cmdGetopt(argv: readonly string[], optstring: string): { optind: number; flags: string[] } | { bad: string } {
  const flags: string[] = [];
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return { optind: i + 1, flags };
    if (!a.startsWith("-") || a === "-") break;
    for (const ch of a.slice(1)) {
      if (ch === ":" || !optstring.includes(ch)) return { bad: ch };
      flags.push(ch);
    }
  }
  return { optind: i, flags };
}

/** ls flags (sftp.c LS_*). */
export const LS = {
  LONG_VIEW: 0x0001, SHORT_VIEW: 0x0002, NUMERIC_VIEW: 0x0004, NAME_SORT: 0x0008, TIME_SORT: 0x0010, SIZE_SORT: 0x0020,
  REVERSE_SORT: 0x0040, SHOW_ALL: 0x0080, SI_UNITS: 0x0100,
} as const;
const VIEW_FLAGS = LS.LONG_VIEW | LS.SHORT_VIEW | LS.NUMERIC_VIEW | LS.SI_UNITS;
const SORT_FLAGS = LS.NAME_SORT | LS.TIME_SORT | LS.SIZE_SORT;
export { SORT_FLAGS as LS_SORT_FLAGS };

/** One parsed command line of sftp (parse_args()). */
export interface SftpCommand {
  readonly cmd: SftpCommandName;
  /** The word as typed (for messages: `get`, `mget`, ...). */
  readonly word: string;
  /** `-` prefix: errors do not abort a batch. */
  readonly ignoreErrors: boolean;
  /** `@` prefix: the command is not echoed. */
  readonly disableEcho: boolean;
  readonly aflag: boolean; readonly fflag: boolean; readonly hflag: boolean; readonly iflag: boolean;
  readonly pflag: boolean; readonly rflag: boolean; readonly sflag: boolean;
  /** ls flags, or rename's -l. */
  readonly lflag: number;
  readonly nArg: number;
  readonly path1: string | undefined;
  readonly path2: string | undefined;
  /** The rest of the line for `!` and `lls`. */
  readonly rest: string;
}

/** A line with nothing to run (blank or comment), and its prefixes. */
export interface SftpBlankLine {
  readonly cmd: null;
  readonly ignoreErrors: boolean;
  readonly disableEcho: boolean;
}

/** sftp.c parse_args(): a command, a blank line, or SftpParseError with OpenSSH's words (prefixes in `.prefix`). */
export function parseSftpLine(line: string): SftpCommand | SftpBlankLine {
  let cp = line.replace(/^[ \t\r\n]*/, "");
  let ignoreErrors = false;
  let disableEcho = false;
  let k = 0;
  for (; k < cp.length; k++) {
    if (cp[k] === "-") ignoreErrors = true;
    else if (cp[k] === "@") disableEcho = true;
    else break;
  }
  cp = cp.slice(k).replace(/^[ \t\r\n]*/, "");
  const prefix = { ignoreErrors, disableEcho };
  if (cp === "" || cp.startsWith("#")) return { cmd: null, ...prefix };
  const fail = (msg: string): never => {
    throw Object.assign(new SftpParseError(msg), { prefix });
  };
  let argv: string[];
  try {
    argv = makeargv(cp);
  } catch (e) {
    return fail((e as Error).message);
  }
  const word0 = argv[0];
  const row = word0 === undefined ? undefined : SFTP_COMMANDS.find(([w]) => w.toLowerCase() === word0.toLowerCase());
  let cmd: SftpCommandName | undefined = row?.[1];
  let word = row?.[0] ?? "";
  let rest = cp;
  if (cp.startsWith("!")) {
    rest = cp.slice(1);
    cmd = "shell";
    word = "!";
  } else if (cmd === undefined) fail("Invalid command.");
  const out = {
    cmd: cmd!, word, ...prefix, aflag: false, fflag: false, hflag: false, iflag: false, pflag: false, rflag: false,
    sflag: false, lflag: 0, nArg: 0, path1: undefined as string | undefined, path2: undefined as string | undefined, rest,
  };
  const argc = argv.length;
  const flagsOf = (optstring: string, errWord = word): { optind: number; flags: string[] } => {
    const r = cmdGetopt(argv, optstring);
    if ("bad" in r) return fail(`${errWord}: Invalid flag -${r.bad}`);
    return r;
  };
  switch (cmd) {
    case "get": case "reget": case "reput": case "put": {
      const { optind, flags } = flagsOf("afPpRr");
      for (const f of flags) {
        if (f === "a") out.aflag = true;
        else if (f === "f") out.fflag = true;
        else if (f === "p" || f === "P") out.pflag = true;
        else out.rflag = true;
      }
      if (argc - optind < 1) fail(`You must specify at least one path after a ${word} command.`);
      out.path1 = argv[optind];
      if (argc - optind > 1) out.path2 = undoGlobEscape(argv[optind + 1]!);
      break;
    }
    case "link": case "copy": case "rename": case "symlink": {
      const { optind, flags } = flagsOf(cmd === "link" ? "s" : cmd === "rename" ? "l" : "");
      if (flags.includes("s")) out.sflag = true;
      if (flags.includes("l")) out.lflag = 1;
      if (argc - optind < 2) fail(`You must specify two paths after a ${word} command.`);
      out.path1 = undoGlobEscape(argv[optind]!);
      out.path2 = undoGlobEscape(argv[optind + 1]!);
      break;
    }
    case "rm": case "mkdir": case "rmdir": case "lmkdir": case "chdir": case "lchdir": {
      const mandatory = cmd !== "chdir" && cmd !== "lchdir";
      const { optind } = flagsOf("");
      if (argc - optind < 1) {
        if (!mandatory) break;
        fail(`You must specify a path after a ${word} command.`);
      }
      out.path1 = cmd === "rm" ? argv[optind] : undoGlobEscape(argv[optind]!);
      break;
    }
    case "df": {
      const { optind, flags } = flagsOf("hi");
      out.hflag = flags.includes("h");
      out.iflag = flags.includes("i");
      if (argc - optind >= 1) out.path1 = undoGlobEscape(argv[optind]!);
      break;
    }
    case "ls": {
      const r = cmdGetopt(argv, "1Safhlnrt");
      if ("bad" in r) fail(`ls: Invalid flag -${r.bad}`);
      const { optind, flags } = r as { optind: number; flags: string[] };
      let l: number = LS.NAME_SORT;
      for (const f of flags) {
        if (f === "1") l = (l & ~VIEW_FLAGS) | LS.SHORT_VIEW;
        else if (f === "S") l = (l & ~SORT_FLAGS) | LS.SIZE_SORT;
        else if (f === "a") l |= LS.SHOW_ALL;
        else if (f === "f") l &= ~SORT_FLAGS;
        else if (f === "h") l |= LS.SI_UNITS;
        else if (f === "l") l = (l & ~LS.SHORT_VIEW) | LS.LONG_VIEW;
        else if (f === "n") l = (l & ~LS.SHORT_VIEW) | LS.NUMERIC_VIEW | LS.LONG_VIEW;
        else if (f === "r") l |= LS.REVERSE_SORT;
        else if (f === "t") l = (l & ~SORT_FLAGS) | LS.TIME_SORT;
      }
      out.lflag = l;
      if (argc - optind > 0) out.path1 = argv[optind];
      break;
    }
    case "lls": {
      // sftp.c: skip the command word and the whitespace after it; the rest goes to ls(1)
      const after = cp.slice(word0!.length);
      out.rest = after.replace(/^[ \t\r\n]*/, "");
      break;
    }
    case "shell":
      break;
    case "lumask": case "chmod": case "chown": case "chgrp": {
      const base = cmd === "lumask" || cmd === "chmod" ? 8 : 10;
      const { optind, flags } = flagsOf("h");
      out.hflag = flags.includes("h");
      const needNum = (): never => fail(`You must supply a numeric argument to the ${word} command.`);
      if (argc - optind < 1) needNum();
      const n = strtoll(argv[optind]!, base);
      if (n === null || n < 0 || n > 0xffffffff) needNum();
      out.nArg = n!;
      if (cmd === "lumask") break;
      if (argc - optind < 2) fail(`You must specify a path after a ${word} command.`);
      out.path1 = argv[optind + 1];
      break;
    }
    case "quit": case "pwd": case "lpwd": case "help": case "version": case "progress":
      flagsOf("");
      break;
  }
  return out;
}

/** strtoll(s, &end, base) accepting only a whole-string number (leading space and sign allowed, as strtoll). */
function strtoll(s: string, base: 8 | 10): number | null {
  const m = (base === 8 ? /^[ \t\n\r\v\f]*([+-]?)([0-7]+)$/ : /^[ \t\n\r\v\f]*([+-]?)([0-9]+)$/).exec(s);
  if (m === null) return null;
  const v = parseInt(m[2]!, base);
  return m[1] === "-" ? -v : v;
}

/** A destination: sftp://[user@]host[:port][/path], [user@]host:path, or [user@]host[:port]. */
export interface SftpDestination {
  readonly user: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly path: string | undefined;
}

/**
 * sftp.c main(): parse_uri("sftp") first, then [user@]host:path, then [user@]host[:port] (hpdelim), then a plain host.
 * "invalid" for a malformed sftp:// URI (sftp prints the usage).
 */
export function parseSftpDestination(arg: string): SftpDestination | "invalid" {
  const uri = parseUri("sftp", arg);
  if (uri === "invalid") return "invalid";
  if (uri !== null) return uri;
  const colonAt = colon(arg);
  if (colonAt >= 0) {
    let path = arg.slice(colonAt + 1);
    if (path === "") path = ".";
    const hostPart = arg.slice(0, colonAt);
    const at = hostPart.lastIndexOf("@");
    if (at >= 0) {
      const u = hostPart.slice(0, at);
      return { user: u === "" ? undefined : u, host: cleanHostname(hostPart.slice(at + 1)), port: -1, path };
    }
    return { user: undefined, host: cleanHostname(hostPart), port: -1, path };
  }
  // parse_user_host_port
  let tmp = arg;
  let user: string | undefined;
  const at = tmp.lastIndexOf("@");
  let ok = true;
  if (at >= 0) {
    if (at === 0) ok = false;
    user = tmp.slice(0, at);
    tmp = tmp.slice(at + 1);
  }
  if (ok && tmp !== "") {
    let host = tmp;
    let port = -1;
    const c = tmp.indexOf(":");
    if (c >= 0 && !tmp.startsWith("[")) {
      host = tmp.slice(0, c);
      port = a2port(tmp.slice(c + 1));
    }
    if (host !== "" && (c < 0 || port > 0)) return { user, host: cleanHostname(host), port, path: undefined };
  }
  return { user: undefined, host: cleanHostname(arg), port: -1, path: undefined };
}

/** fmt_scaled(3): `0B`, `512B`, `1.5K`, `100K`, `4.0M` (binary units). */
export function fmtScaled(n: number): string {
  const units = "BKMGTPE";
  let abval = Math.abs(n);
  let number = n;
  let fract = 0;
  let unit = 0;
  for (let i = 0; i < units.length; i++) {
    const f = 1024 ** i;
    if (abval / 1024 < f || i === units.length - 1) {
      unit = i;
      fract = i === 0 ? 0 : abval % f;
      number = Math.trunc(n / f);
      if (i > 0) fract = Math.trunc(fract / 1024 ** (i - 1));
      break;
    }
  }
  abval = 0;
  fract = Math.trunc((10 * fract + 512) / 1024);
  if (fract >= 10) {
    number += number >= 0 ? 1 : -1;
    fract = 0;
  }
  if (number === 0) return "0B";
  if (unit === 0 || number >= 100 || number <= -100) {
    if (fract >= 5) number += number >= 0 ? 1 : -1;
    return `${number}${units[unit]}`;
  }
  return `${number}.${fract}${units[unit]}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

/** What ls_file() reads of a stat. */
export interface LsStat {
  readonly mode: number; readonly uid: number; readonly gid: number; readonly size: number; readonly mtime: number;
  readonly nlink?: number;
}

/**
 * sftp-common.c ls_file(name, st, remote=1, si_units, user, group): `-rw-r--r--    ? user     group        size
 * Mon dd HH:MM name`; names default to the numeric ids; the link count of a remote file is `?`.
 */
export function lsFile(name: string, st: LsStat, siUnits: boolean, user: string | undefined, group: string | undefined, nowSec: number = Math.floor(Date.now() / 1000)): string {
  const u = user ?? String(st.uid);
  const g = group ?? String(st.gid);
  const t = new Date(st.mtime * 1000);
  const day = String(t.getDate()).padStart(2, " ");
  const recent = nowSec - (365 * 24 * 60 * 60) / 2 < st.mtime && nowSec >= st.mtime;
  const when = recent
    ? `${MONTHS[t.getMonth()]} ${day} ${String(t.getHours()).padStart(2, "0")}:${String(t.getMinutes()).padStart(2, "0")}`
    : `${MONTHS[t.getMonth()]} ${day}  ${t.getFullYear()}`;
  const mode = strmode(st.mode).trimEnd(); // strmode() ends with a space; ls_file prints "%s %3s"
  const size = siUnits ? fmtScaled(st.size).padStart(8, " ") : String(st.size).padStart(8, " ");
  return `${mode}  ${"?".padStart(3, " ")} ${u.padEnd(8, " ")} ${g.padEnd(8, " ")} ${size} ${when} ${name}`;
}

/** sftp.c path_strip(): `path` without the leading `strip` (and the slash after it). */
export function pathStrip(path: string, strip: string | undefined): string {
  if (strip === undefined || strip === "") return path;
  if (path.startsWith(strip)) {
    let len = strip.length;
    if (!strip.endsWith("/") && path[len] === "/") len++;
    return path.slice(len);
  }
  return path;
}
