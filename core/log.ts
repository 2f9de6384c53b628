// Logging with OpenSSH's levels (log.h: QUIET … DEBUG3), so -v, -vvv, LogLevel and -e/-E behave as users expect.
// Core code logs through a Logger it is handed; cmd/ decides where lines go (stderr, a file, syslog).

export const LogLevel = { QUIET: 0, FATAL: 1, ERROR: 2, INFO: 3, VERBOSE: 4, DEBUG1: 5, DEBUG2: 6, DEBUG3: 7 } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/** Where core writes its log lines. `debug` is DEBUG1 (OpenSSH's debug()), `debug2`/`debug3` the deeper levels. */
export interface Logger {
  readonly level: LogLevel;
  error(msg: string): void;
  info(msg: string): void; // OpenSSH logit()
  verbose(msg: string): void;
  debug(msg: string): void;
  debug2(msg: string): void;
  debug3(msg: string): void;
}

/**
 * A logger that writes lines at or below `level` to `sink`, with OpenSSH's "debug1: " style prefixes; the sink also
 * gets each line's level (syslog priorities).
 */
export function makeLogger(level: LogLevel, sink: (line: string, level: LogLevel) => void, prefix = ""): Logger {
  const at = (l: LogLevel, tag: string) => (msg: string) => {
    if (l <= level) sink(`${prefix}${tag}${msg}`, l);
  };
  return {
    level,
    error: at(LogLevel.ERROR, ""),
    info: at(LogLevel.INFO, ""),
    verbose: at(LogLevel.VERBOSE, ""),
    debug: at(LogLevel.DEBUG1, "debug1: "),
    debug2: at(LogLevel.DEBUG2, "debug2: "),
    debug3: at(LogLevel.DEBUG3, "debug3: "),
  };
}

/** Logs nothing. */
export const silentLogger: Logger = makeLogger(LogLevel.QUIET, () => {});

/**
 * Makes peer-supplied text safe for a log or a terminal (OpenSSH's strnvis(VIS_SAFE|VIS_OCTAL) use): control
 * characters and non-ASCII bytes become \ooo octal escapes, and the result is cut at `max` characters.
 */
export function escapeForLog(text: string, max = 512): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out += c >= 0x20 && c < 0x7f ? ch : c === 0x09 ? "\\t" : [...Buffer.from(ch)].map((b) => "\\" + b.toString(8).padStart(3, "0")).join("");
    if (out.length >= max) return out.slice(0, max);
  }
  return out;
}
