// `sftp-server`: SFTP on stdin/stdout (sftp-server.c and sftp-server-main.c): OpenSSH's flags, messages and exit
// statuses. Logging goes to stderr with or without -e (no syslog yet: -f is checked and otherwise ignored).
import { readSync, writeSync } from "node:fs";
import { userInfo } from "node:os";
import { GetoptError, type ParsedOption } from "./getopt.ts";
import { parseCommandLine } from "./command-line.ts";
import { usageError, type ProgramContext, type ProgramModule } from "./pending.ts";
import { LogLevel, makeLogger, type Logger } from "../core/log.ts";
import {
  SFTP_MAX_MSG_LENGTH, fileNameService, requestNames, serveSftp, type SftpOutput, type SftpServerOptions, type UserEntry,
} from "../core/sftp/index.ts";

/** log.c log_level_number(). */
const LOG_LEVELS: Record<string, LogLevel> = {
  QUIET: LogLevel.QUIET, FATAL: LogLevel.FATAL, ERROR: LogLevel.ERROR, INFO: LogLevel.INFO, VERBOSE: LogLevel.VERBOSE,
  DEBUG: LogLevel.DEBUG1, DEBUG1: LogLevel.DEBUG1, DEBUG2: LogLevel.DEBUG2, DEBUG3: LogLevel.DEBUG3,
};
/** log.c log_facility_number(). */
const FACILITIES = ["DAEMON", "USER", "AUTH", "AUTHPRIV", "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3", "LOCAL4", "LOCAL5", "LOCAL6", "LOCAL7"];

/** The parsed command line (exported for tests). */
export interface SftpServerFlags {
  readOnly: boolean;
  logLevel: LogLevel;
  startDir: string | undefined;
  allowed: string | undefined;
  denied: string | undefined;
  umask: number | undefined;
  query: string | undefined;
}

class Fatal extends Error {
  constructor(
    message: string,
    readonly status = 255,
  ) {
    super(message);
  }
}

/** The options of the longest argument prefix getopt accepts (undefined when none). */
function longestValidPrefix(args: readonly string[]): ParsedOption[] | undefined {
  for (let k = args.length - 1; k > 0; k--) {
    try {
      return parseCommandLine("sftp-server", args.slice(0, k)).options;
    } catch {
      // shorter
    }
  }
  return undefined;
}

/** misc.c percent_expand() for -d's tokens (%d home, %u user, %U uid, %% a percent sign). */
export function expandStartDir(value: string, user: UserEntry): string {
  // misc.c tilde_expand_filename(): "~" and "~/x" are the user's home, "~name" that user's
  let v = value;
  if (v.startsWith("~")) {
    const slash = v.indexOf("/");
    const name = slash < 0 ? v.slice(1) : v.slice(1, slash);
    const home = name === "" ? user.home : fileNameService().user(name)?.home;
    if (home === undefined) throw new Fatal(`tilde_expand_filename: No such user ${name}`);
    v = slash < 0 ? home : `${home.replace(/\/$/, "")}/${v.slice(slash + 1)}`;
  }
  let out = "";
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== "%") {
      out += v[i];
      continue;
    }
    const k = v[++i];
    if (k === "%") out += "%";
    else if (k === "d") out += user.home;
    else if (k === "u") out += user.name;
    else if (k === "U") out += String(user.uid);
    else if (k === undefined) throw new Fatal("percent_expand: invalid format");
    else throw new Fatal(`percent_expand: unknown key %${k}`);
  }
  return out;
}

function parseFlags(options: readonly ParsedOption[], log: (m: string) => void): SftpServerFlags {
  const f: SftpServerFlags = { readOnly: false, logLevel: LogLevel.ERROR, startDir: undefined, allowed: undefined, denied: undefined, umask: undefined, query: undefined };
  for (const o of options) {
    const v = o.value ?? "";
    switch (o.flag) {
      case "Q": f.query ??= v; break;
      case "R": f.readOnly = true; break;
      case "l": {
        const level = LOG_LEVELS[v.toUpperCase()];
        // sftp-server.c logs "Invalid log level" to syslog, then log_init() rejects the level on stderr and exits 1
        if (level === undefined) throw new Fatal("Unrecognized internal syslog level code -1", 1);
        f.logLevel = level;
        break;
      }
      case "f": if (!FACILITIES.includes(v.toUpperCase())) log(`Invalid log facility "${v}"`); break; // syslog-only in OpenSSH
      case "d": f.startDir = v; break;
      case "p":
        if (f.allowed !== undefined) throw new Fatal("Permitted requests already set");
        f.allowed = v;
        break;
      case "P":
        if (f.denied !== undefined) throw new Fatal("Refused requests already set");
        f.denied = v;
        break;
      case "u": {
        // strtol(optarg, &cp, 8) with the whole string consumed, 0..0777
        if (!/^\s*[+-]?[0-7]+$/.test(v) || Number.parseInt(v, 8) < 0 || Number.parseInt(v, 8) > 0o777) throw new Fatal(`Invalid umask "${v}"`);
        f.umask = Number.parseInt(v, 8);
        break;
      }
    }
  }
  return f;
}

/** -c (sftp-server run as a login shell: `sftp-server -c command`) ends option parsing; everything after is ignored. */
function cutAtShellFlag(args: readonly string[]): readonly string[] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--" || a.length < 2 || a[0] !== "-") break;
    for (let j = 1; j < a.length; j++) {
      const ch = a[j]!;
      if (ch === "c") return [...args.slice(0, i), a.slice(0, j + 1)];
      if ("dflPpQu".includes(ch)) {
        if (j + 1 === a.length) i++; // the value is the next argument
        break;
      }
    }
  }
  return args;
}

/**
 * For sshd's `Subsystem sftp internal-sftp <args>` (and ForceCommand internal-sftp): the same flags as the program,
 * turned into serveSftp options for one session. `-d` (tokens expanded, relative to the home, as OpenSSH's chdir from
 * there) becomes `cwd`, `-u` the session's `umask`, `-l` the level for the session's logger; `-e`/`-f` mean nothing
 * inside sshd. A bad command line gives the status and text OpenSSH's would (getopt errors: status 1, empty text).
 */
export function internalSftpOptions(
  args: readonly string[],
  user: UserEntry,
): { ok: true; logLevel: LogLevel; options: Omit<SftpServerOptions, "user"> } | { ok: false; status: number; message: string } {
  let flags: SftpServerFlags;
  try {
    const parsed = parseCommandLine("sftp-server", cutAtShellFlag(args));
    if (parsed.options.some((o) => o.flag === "h" || o.flag === "Q")) return { ok: false, status: 1, message: "" };
    flags = parseFlags(parsed.options, () => {});
  } catch (e) {
    if (e instanceof GetoptError) return { ok: false, status: 1, message: "" };
    if (e instanceof Fatal) return { ok: false, status: e.status, message: e.message };
    throw e;
  }
  let cwd = user.home;
  if (flags.startDir !== undefined) {
    try {
      const dir = expandStartDir(flags.startDir, user);
      cwd = dir.startsWith("/") ? dir : `${user.home.replace(/\/$/, "")}/${dir}`;
    } catch (e) {
      return { ok: false, status: 255, message: (e as Error).message };
    }
  }
  return {
    ok: true,
    logLevel: flags.logLevel,
    options: { cwd, readOnly: flags.readOnly, allowedRequests: flags.allowed, deniedRequests: flags.denied, umask: flags.umask },
  };
}

/**
 * internal-sftp inside sshd's session child (session.c: sftp_server_main(argc, argv, pw)): the same program with the
 * account given rather than looked up (a jail has no /etc/passwd), and log lines going to sshd's log through `log`.
 */
export function runInternalSftp(ctx: ProgramContext, user: UserEntry, log: (line: string) => void): Promise<number> {
  return run(ctx, { user, log });
}

async function run(ctx: ProgramContext, internal?: { user: UserEntry; log: (line: string) => void }): Promise<number> {
  const errLine = internal?.log ?? ((m: string) => ctx.io.err(`${m}\r\n`));
  let flags: SftpServerFlags;
  try {
    let parsed;
    const args = cutAtShellFlag(ctx.args);
    try {
      parsed = parseCommandLine("sftp-server", args);
    } catch (e) {
      if (!(e instanceof GetoptError)) throw e;
      // getopt acts option by option: a -Q before the bad option has already printed and exited
      const before = longestValidPrefix(args);
      if (before === undefined || !before.some((o) => o.flag === "Q")) return usageError("sftp-server", ctx); // OpenSSH's getopt says nothing
      parsed = { options: before.slice(0, before.findIndex((o) => o.flag === "Q") + 1), operands: [] };
    }
    const q = parsed.options.findIndex((o) => o.flag === "Q");
    if (q >= 0) parsed = { options: parsed.options.slice(0, q + 1), operands: [] };
    if (parsed.options.some((o) => o.flag === "h")) return usageError("sftp-server", ctx);
    flags = parseFlags(parsed.options, () => {});
  } catch (e) {
    if (e instanceof Fatal) {
      // status 1: log_init()'s own fprintf; 255: fatal(), which OpenSSH sends to syslog and we to stderr
      if (e.status === 1) ctx.io.err(`${e.message}\n`);
      else errLine(e.message);
      return e.status;
    }
    throw e;
  }
  if (flags.query !== undefined) {
    if (flags.query.toLowerCase() !== "requests") {
      ctx.io.err("Invalid query type\n");
      return 1;
    }
    ctx.io.out(requestNames().map((n) => `${n}\n`).join(""));
    return 0;
  }

  // sftp-server-main.c: getpwuid(getuid()); os.userInfo() alone trusts $USER and $HOME
  let user: UserEntry;
  const uid = process.getuid?.() ?? 0;
  const names = fileNameService();
  const name = internal ? undefined : names.userName(uid);
  if (internal) {
    user = internal.user;
  } else if (name !== undefined) {
    user = { name, uid, home: names.user(name)?.home ?? "/" };
  } else {
    try {
      const u = userInfo();
      user = { name: u.username, uid: u.uid, home: u.homedir };
    } catch {
      errLine(`No user found for uid ${uid}`);
      return 255;
    }
  }
  const logger: Logger = makeLogger(flags.logLevel, errLine);
  if (flags.umask !== undefined) process.umask(flags.umask);

  let clientAddress = "UNKNOWN";
  const conn = process.env.SSH_CONNECTION;
  if (conn !== undefined) {
    const sp = conn.indexOf(" ");
    if (sp < 0) {
      logger.error(`Malformed SSH_CONNECTION variable: "${conn}"`);
      return 255;
    }
    clientAddress = conn.slice(0, sp);
  }

  if (flags.startDir !== undefined) {
    let dir: string;
    try {
      dir = expandStartDir(flags.startDir, user);
    } catch (e) {
      errLine((e as Error).message);
      return 255;
    }
    try {
      process.chdir(dir);
    } catch (e) {
      logger.error(`chdir to "${dir}" failed: ${strerror(e)}`);
    }
  }

  const io = stdio();
  const end = await serveSftp(io.input, io.output, {
    user,
    clientAddress,
    logger,
    readOnly: flags.readOnly,
    allowedRequests: flags.allowed,
    deniedRequests: flags.denied,
    recycleInput: io.recycle,
  });
  await io.close();
  return end.exitStatus;
}

/**
 * stdin/stdout for the server. Blocking read(2)/write(2) on fds 0 and 1, as sftp-server.c does: fewer and larger
 * system calls than Bun's event-loop streams (bench/sftp-server.ts, 1 GiB against OpenSSH's server on a loaded 2-core
 * box: get 0.56x -> 0.8-1.1x wall, 1.0x server CPU; put 0.57x -> 1.0-1.3x wall, 0.96x CPU). A descriptor we inherited
 * non-blocking (EAGAIN) moves that direction to Bun's streams for good.
 */
function stdio(): { input: AsyncIterable<Uint8Array>; output: SftpOutput; recycle: (chunk: Uint8Array) => void; close(): Promise<void> } {
  let sink: ReturnType<typeof Bun.stdout.writer> | null = null;
  const viaSink = (bytes: Uint8Array): Promise<void> | undefined => {
    sink ??= Bun.stdout.writer({ highWaterMark: 1 << 20 });
    sink.write(bytes);
    const r = sink.flush();
    return r instanceof Promise ? r.then(() => {}) : undefined;
  };
  const writeAll = (bytes: Uint8Array): Promise<void> | undefined => {
    if (sink !== null) return viaSink(bytes);
    let done = 0;
    while (done < bytes.length) {
      try {
        done += writeSync(1, bytes, done, bytes.length - done);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        return viaSink(bytes.subarray(done));
      }
    }
    return undefined;
  };
  // Small replies (STATUS, HANDLE, ATTRS: a put answers every 32 KiB WRITE with 28 bytes) are gathered and written
  // together before the next read(2), as sftp-server.c fills its oqueue and writes it once per poll round: one
  // write(2) per input chunk instead of one per request. Large replies (READ data) go out directly, in order.
  const staged = new Uint8Array(STAGE_BYTES);
  let stagedLen = 0;
  let flushScheduled = false;
  const flushStaged = (): Promise<void> | undefined => {
    if (stagedLen === 0) return undefined;
    const n = stagedLen;
    stagedLen = 0;
    return writeAll(sink !== null ? staged.slice(0, n) : staged.subarray(0, n));
  };
  const output: SftpOutput = (bytes) => {
    if (bytes.length > STAGE_BYTES / 4 || sink !== null) {
      const pending = flushStaged();
      return pending !== undefined ? pending.then(() => writeAll(bytes)) : writeAll(bytes);
    }
    if (stagedLen + bytes.length > STAGE_BYTES) {
      const pending = flushStaged();
      if (pending !== undefined) return pending.then(() => output(bytes));
    }
    staged.set(bytes, stagedLen);
    stagedLen += bytes.length;
    if (!flushScheduled) {
      // a safety net for a server that stops reading without asking for input: the event loop flushes when idle
      flushScheduled = true;
      setImmediate(() => {
        flushScheduled = false;
        void flushStaged();
      });
    }
    return undefined;
  };
  // read(2) fills one large buffer back to back, so most packets lie whole inside it and are borrowed in place; a
  // buffer is reused once the server has handed back every byte of it (recycle() counts bytes, not views)
  const spare: Uint8Array[] = [];
  const live = new Map<ArrayBufferLike, number>(); // bytes handed out and not yet recycled, per buffer
  let cur: Uint8Array | null = null;
  let used = 0;
  const recycle = (chunk: Uint8Array): void => {
    const had = live.get(chunk.buffer);
    if (had === undefined) return; // a chunk of Bun's stream (after EAGAIN)
    const left = had - chunk.length;
    live.set(chunk.buffer, left);
    if (left === 0 && chunk.buffer !== cur?.buffer) {
      live.delete(chunk.buffer);
      if (spare.length < 4) spare.push(new Uint8Array(chunk.buffer));
    }
  };
  // Where the first packet not yet wholly read starts in `cur`. Reads leave MIN_READ bytes of room, so that packet
  // always fits in the buffer it starts in; near the end of a buffer
  // we read exactly up to its end, and the next buffer starts on a packet boundary: no packet is split between two
  // buffers and gathered (a copy of ~1/8 of a put's data with 2 MiB buffers). A length field the framer will refuse
  // ends the tracking (and the framer ends the session).
  let boundary = 0;
  let tracking = true;
  const lengthAt = (b: Uint8Array, i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  const fresh = (): void => {
    if (cur !== null && (live.get(cur.buffer) ?? 0) === 0) {
      live.delete(cur.buffer);
      spare.push(cur);
    }
    cur = spare.pop() ?? new Uint8Array(INPUT_BUFFER);
    used = 0;
  };
  async function* input(): AsyncIterable<Uint8Array> {
    for (;;) {
      if (cur === null) fresh();
      let want = INPUT_BUFFER - used - MIN_READ;
      if (!tracking) {
        if (INPUT_BUFFER - used < MIN_READ) fresh();
        want = INPUT_BUFFER - used;
      } else if (want < SMALLEST_READ) {
        const have = used - boundary;
        if (have === 0) {
          fresh(); // on a packet boundary
          boundary = 0;
          continue;
        }
        if (have < 4) want = 4 - have;
        else {
          const end = boundary + 4 + lengthAt(cur!, boundary);
          if (end > INPUT_BUFFER) {
            tracking = false; // a length the framer refuses
            continue;
          }
          want = end - used;
        }
      }
      const pending = flushStaged(); // every reply so far leaves before we block for more input
      if (pending !== undefined) await pending;
      const buf = cur!;
      let n: number;
      try {
        n = readSync(0, buf, used, want, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        yield* Bun.stdin.stream();
        return;
      }
      if (n === 0) return;
      live.set(buf.buffer, (live.get(buf.buffer) ?? 0) + n);
      const at = used;
      used += n;
      while (tracking && used - boundary >= 4) {
        const len = lengthAt(buf, boundary);
        if (len > SFTP_MAX_MSG_LENGTH) tracking = false;
        else if (used - boundary - 4 < len) break;
        else boundary += 4 + len;
      }
      yield buf.subarray(at, used);
    }
  }
  return {
    input: input(),
    output,
    recycle,
    async close() {
      try {
        await flushStaged();
        const r = sink?.end();
        if (r instanceof Promise) await r;
      } catch {
        // the reader is gone
      }
    },
  };
}

/** The stdin buffer (8 largest packets), and the least room worth a read(2) before moving to a fresh buffer. */
const INPUT_BUFFER = 2 * 1024 * 1024;
/** Replies gathered between reads (the largest small reply a WRITE-heavy client causes per input chunk is ~2K × 28 B). */
const STAGE_BYTES = 64 * 1024;
const MIN_READ = SFTP_MAX_MSG_LENGTH + 4;
/** Below this much room a buffer only takes the rest of the packet in progress. */
const SMALLEST_READ = 64 * 1024;

function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" ? "No such file or directory" : code === "EACCES" ? "Permission denied" : code === "ENOTDIR" ? "Not a directory" : String(code ?? e);
}

export const sftpServer: ProgramModule = { implemented: true, run };
