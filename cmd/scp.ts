// `scp`: secure copy (scp.c). SFTP underneath by default, the legacy rcp protocol with -O (and as the remote
// `scp -t`/`scp -f` that an OpenSSH `scp -O` runs through sshd). OpenSSH's flags, ssh command lines, messages and
// exit statuses: 0 when every file arrived, 1 when any did not, 255 for fatal().
import { basename } from "node:path";
import type { FileSink } from "bun";
import { GetoptError, type ParsedOption } from "./getopt.ts";
import { parseCommandLine } from "./command-line.ts";
import { usageText } from "./usage.ts";
import type { ProgramContext, ProgramModule } from "./pending.ts";
import { ProgressMeter } from "./progress-meter.ts";
import { isatty } from "../core/process/tty.ts";
import { spawnChild } from "../core/process/spawn.ts";
import { readFileSync } from "node:fs";
import { BandwidthLimiter, pathText } from "../core/sftp/client.ts";
import { sshProgramArgv, spawnTransport, type TransportProcess } from "../core/client/transport-process.ts";
import { scanScaled } from "../core/config/lexer.ts";
import {
  ByteInput, LegacyScp, ScpExit, ScpFatal, a2port, colon, okName, parseScpUri, parseUserHostPath, visLog, visTerminal,
  type ByteOutput, type LegacyOptions, type LegacyProgress, type ScpOperand,
} from "../core/scp/index.ts";
import { ScpSftp, endQuietly } from "./scp-sftp.ts";

/** The command line, as scp.c main() leaves it after getopt. */
export interface ScpFlags {
  mode: "scp" | "sftp";
  /** -3 (the default): remote-to-remote copies pass through this host; -R: the first host sends to the second. */
  throughLocal: boolean;
  preserve: boolean;
  recursive: boolean;
  showProgress: boolean;
  verbose: boolean;
  /** scp.c log_level: 0 (INFO) without -v, 1..3 for DEBUG1..DEBUG3. */
  debugLevel: number;
  targetShouldBeDirectory: boolean;
  from: boolean;
  to: boolean;
  noNameCheck: boolean;
  /** -S; undefined: our own ssh. */
  sshProgram: string | undefined;
  /** -P; -1: none. */
  port: number;
  /** -D: run this SFTP server directly instead of ssh. */
  sftpDirect: string | undefined;
  /** -l, in bits per second (scp.c: limit_kbps * 1024); 0: no limit. */
  limitBps: number;
  /** -X buffer=, -X nrequests=. */
  bufferBytes: number | undefined;
  numRequests: number | undefined;
  /** ssh's options for every connection (do_cmd's `args` after argv[0]). */
  sshArgs: string[];
  /** Options passed to the first host's ssh with -R (remote_remote_args). */
  remoteRemoteArgs: string[];
}

/** A usage error (scp.c usage(): the text, exit 1). */
class UsageExit extends Error {}

/** scp.c main()'s getopt loop. Throws ScpFatal for fatal(), UsageExit for usage(), GetoptError from getopt. */
export function parseScpFlags(options: readonly ParsedOption[]): ScpFlags {
  const f: ScpFlags = {
    mode: "sftp", throughLocal: true, preserve: false, recursive: false, showProgress: true, verbose: false, debugLevel: 0,
    targetShouldBeDirectory: false, from: false, to: false, noNameCheck: false, sshProgram: undefined, port: -1,
    sftpDirect: undefined, limitBps: 0, bufferBytes: undefined, numRequests: undefined,
    sshArgs: ["-x", "-oPermitLocalCommand=no", "-oClearAllForwardings=yes", "-oRemoteCommand=none", "-oRequestTTY=no", "-oControlMaster=no"],
    remoteRemoteArgs: [],
  };
  for (const o of options) {
    const v = o.value ?? "";
    switch (o.flag) {
      case "1":
        throw new ScpFatal("SSH protocol v.1 is no longer supported");
      case "2":
        break;
      case "A": case "4": case "6": case "C":
        f.sshArgs.push(`-${o.flag}`);
        f.remoteRemoteArgs.push(`-${o.flag}`);
        break;
      case "D":
        f.sftpDirect = v;
        break;
      case "3":
        f.throughLocal = true;
        break;
      case "R":
        f.throughLocal = false;
        break;
      case "o": case "c": case "i": case "F": case "J":
        f.remoteRemoteArgs.push(`-${o.flag}`, v);
        f.sshArgs.push(`-${o.flag}`, v);
        break;
      case "O":
        f.mode = "scp";
        break;
      case "s":
        f.mode = "sftp";
        break;
      case "P":
        f.port = a2port(v);
        if (f.port <= 0) throw new ScpFatal(`bad port "${v}"\n`);
        break;
      case "B":
        f.remoteRemoteArgs.push("-oBatchmode=yes");
        f.sshArgs.push("-oBatchmode=yes");
        break;
      case "l": {
        // strtonum(optarg, 1, 100 * 1024 * 1024)
        if (!/^\s*[+-]?\d+$/.test(v)) throw new UsageExit();
        const n = Number(v);
        if (n < 1 || n > 100 * 1024 * 1024) throw new UsageExit();
        f.limitBps = n * 1024;
        break;
      }
      case "p":
        f.preserve = true;
        break;
      case "r":
        f.recursive = true;
        break;
      case "S":
        f.sshProgram = v;
        break;
      case "v":
        f.sshArgs.push("-v");
        f.remoteRemoteArgs.push("-v");
        f.verbose = true;
        f.debugLevel = Math.min(3, f.debugLevel + 1);
        break;
      case "q":
        f.sshArgs.push("-q");
        f.remoteRemoteArgs.push("-q");
        f.showProgress = false;
        break;
      case "X":
        if (v.startsWith("buffer=")) {
          const n = scanScaled(v.slice(7));
          if (n === null || n <= 0 || n > 256 * 1024) {
            throw new ScpFatal(`Invalid buffer size "${v.slice(7)}": ${n === null ? "Invalid argument" : "Invalid argument"}`);
          }
          f.bufferBytes = n;
        } else if (v.startsWith("nrequests=")) {
          const t = v.slice(10);
          const n = /^\s*[+-]?\d+$/.test(t) ? Number(t) : Number.NaN;
          if (Number.isNaN(n)) throw new ScpFatal(`Invalid number of requests "${t}": invalid`);
          if (n < 1) throw new ScpFatal(`Invalid number of requests "${t}": too small`);
          if (n > 256 * 1024) throw new ScpFatal(`Invalid number of requests "${t}": too large`);
          f.numRequests = n;
        } else throw new ScpFatal("Invalid -X option");
        break;
      case "d":
        f.targetShouldBeDirectory = true;
        break;
      case "f":
        f.from = true;
        break;
      case "t":
        f.to = true;
        break;
      case "T":
        f.noNameCheck = true;
        break;
      default:
        throw new UsageExit(); // -M: in the option string, not handled (scp.c default: usage())
    }
  }
  f.sshArgs.push("-oForwardAgent=no"); // last, so that no -o can override it
  if (f.from || f.to) f.mode = "scp";
  return f;
}

/**
 * scp.c do_cmd()/do_cmd2(): ssh's arguments after argv[0]: the fixed and user options, then -p (the operand's port,
 * else -P), -l, -s for a subsystem, `extra` (do_cmd2's -oBatchMode=yes), "--", host and the remote command.
 */
export function sshArguments(
  f: ScpFlags, host: string, user: string | undefined, port: number, subsystem: boolean, command: string, extra: readonly string[] = [],
): string[] {
  const argv = [...f.sshArgs];
  const p = port === -1 ? f.port : port;
  if (p !== -1) argv.push("-p", String(p));
  if (user !== undefined) argv.push("-l", user);
  if (subsystem) argv.push("-s");
  argv.push(...extra, "--", host, command);
  return argv;
}

/** A started ssh (or -S program): the legacy protocol's stream to the remote scp. */
interface RemoteLink {
  readonly input: ByteInput;
  readonly output: ByteOutput;
  /** Closes our end of its stdin (scp.c close(remout)). */
  closeOutput(): void;
  readonly exited: Promise<number>;
  readonly transport: TransportProcess | null;
}

/** Writes to a child's stdin and waits until the pipe took them. */
export function sinkOutput(sink: FileSink): ByteOutput {
  return async (bytes) => {
    const w: unknown = sink.write(bytes);
    if (w instanceof Promise) await w;
    await sink.flush();
  };
}

function deadLink(): RemoteLink {
  return {
    input: ByteInput.of((async function* () {})()),
    output: () => {
      throw new Error("EPIPE");
    },
    closeOutput: () => {},
    exited: Promise.resolve(1),
    transport: null,
  };
}

/** The shell's quoting for `Executing:` lines (misc.c argv_assemble()). */
function argvAssemble(argv: readonly string[]): string {
  return argv.map((a) => (a !== "" && /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ");
}

/** One scp run: flags, error count, the children it started. */
class Scp {
  errs = 0;
  /** scp.c do_cmd_pid: the last connection, whose exit status counts at the end. */
  last: RemoteLink | null = null;
  private readonly links: RemoteLink[] = [];

  constructor(
    readonly f: ScpFlags,
    readonly ctx: ProgramContext,
    readonly logPrefix: string,
  ) {
  }

  /** The remote command: `scp` and the flags the remote side must know (scp.c main()'s `cmd`). */
  get cmd(): string {
    const f = this.f;
    return `scp${f.verbose ? " -v" : ""}${f.recursive ? " -r" : ""}${f.preserve ? " -p" : ""}${f.targetShouldBeDirectory ? " -d" : ""}`;
  }

  err(text: string): void {
    this.ctx.io.err(text);
  }

  /** log.c error(): `<argv0>: message\r\n`. */
  error(message: string): void {
    this.err(`${this.logPrefix}: ${visLog(message)}\r\n`);
  }

  /** log.c debug1()..debug3(): `<argv0>: debugN: message\r\n` at -v, -vv, -vvv. */
  debug(level: 1 | 2 | 3, message: string): void {
    if (level <= this.f.debugLevel) this.err(`${this.logPrefix}: debug${level}: ${visLog(message)}\r\n`);
  }

  /** A progress meter per file on stdout (scp.c: unless -q or stdout is not a terminal). */
  progress(): (() => LegacyProgress) | undefined {
    if (!this.f.showProgress || this.f.from || this.f.to) return undefined;
    return () => {
      const meter = new ProgressMeter({ write: (t) => this.ctx.io.out(t), columns: () => process.stdout.columns, now: () => performance.now() / 1000 });
      // progressmeter.c prints the name through asmprintf(): a peer's name cannot send escapes to the terminal
      return { start: (name, total, done) => meter.start(visTerminal(name), total, done), update: (n) => meter.update(n), stop: () => meter.stop() };
    };
  }

  limiter(): ((n: number) => Promise<void>) | undefined {
    if (this.f.limitBps <= 0) return undefined;
    const bw = new BandwidthLimiter(this.f.limitBps, 16384); // scp.c: bandwidth_limit_init(&bwlimit, limit_kbps, COPY_BUFLEN)
    return async (n) => {
      const waitMs = bw.account(n);
      if (waitMs > 0) await Bun.sleep(waitMs);
    };
  }

  legacy(link: { input: ByteInput; output: ByteOutput }, remote: boolean): LegacyScp {
    const opts: LegacyOptions = {
      recursive: this.f.recursive, preserve: this.f.preserve, targetShouldBeDirectory: this.f.targetShouldBeDirectory,
      remote, verbose: this.f.verbose, noNameCheck: this.f.noNameCheck, stderr: (t) => this.err(t),
      progress: this.progress(), limit: this.limiter(),
    };
    return new LegacyScp(link.input, link.output, opts);
  }

  /** The argv of ssh for do_cmd()/do_cmd2(). */
  sshArgv(host: string, user: string | undefined, port: number, subsystem: boolean, command: string, extra: readonly string[] = []): string[] {
    return [...sshProgramArgv(this.f.sshProgram), ...sshArguments(this.f, host, user, port, subsystem, command, extra)];
  }

  /** Starts a child with pipes; a program that cannot start is reported as its exec would (perror) and reads as EOF. */
  start(argv: string[], program: string): RemoteLink {
    let t: TransportProcess;
    try {
      t = spawnTransport(argv);
    } catch (e) {
      const m = /^exec: .*?: ([^:]+)$/.exec((e as Error).message);
      this.err(`${program}: ${m?.[1] ?? (e as Error).message}\n`);
      const d = deadLink();
      this.links.push(d);
      return d;
    }
    let input: ByteInput | null = null;
    const link: RemoteLink = {
      // made on first use: taking the stream's iterator locks it, and SFTP mode reads it through its own client
      get input() {
        input ??= ByteInput.of(t.stdout);
        return input;
      },
      output: sinkOutput(t.stdin),
      closeOutput: () => endQuietly(t.stdin),
      exited: t.exited,
      transport: t,
    };
    this.links.push(link);
    return link;
  }

  /** scp.c do_cmd(). */
  doCmd(host: string, user: string | undefined, port: number, command: string): RemoteLink {
    const program = this.f.sshProgram ?? "ssh";
    if (this.f.verbose) this.err(visTerminal(`Executing: program ${program} host ${host}, user ${user ?? "(unspecified)"}, command ${command}\n`));
    return this.start(this.sshArgv(host, user, port, false, command), program);
  }

  /** scp.c do_local_cmd(): runs argv to completion with our stdio; false when it failed. */
  async localCmd(argv: string[]): Promise<boolean> {
    if (this.f.verbose) this.err(visTerminal(`Executing: ${argvAssemble(argv)}\n`));
    let proc;
    try {
      proc = spawnChild({ argv, env: process.env, cwd: process.cwd(), stdio: ["inherit", "inherit", "inherit"] });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      this.err(`${argv[0]}: ${code === "ENOENT" ? "No such file or directory" : (e as Error).message}\n`);
      return false;
    }
    return (await proc.exited) === 0;
  }

  /** Closes every child's stdin (they end on EOF) and waits for them. */
  async closeAll(): Promise<void> {
    for (const l of this.links) l.closeOutput();
    await Promise.all(this.links.map((l) => l.exited.catch(() => 1)));
  }

  private sftpSide: ScpSftp | null = null;

  /** The SFTP mode's state (connections kept across operands). */
  sftp(): ScpSftp {
    this.sftpSide ??= new ScpSftp({
      recursive: this.f.recursive, preserve: this.f.preserve, targetShouldBeDirectory: this.f.targetShouldBeDirectory,
      bufferBytes: this.f.bufferBytes, numRequests: this.f.numRequests, limitBitsPerSecond: this.f.limitBps, err: (t) => this.err(t), out: (t) => this.ctx.io.out(t), error: (m) => this.error(m),
      debug: (l, m) => this.debug(l, m), meter: this.progress(),
      connect: (host, user, port) => {
        const direct = this.f.sftpDirect;
        const program = direct ?? this.f.sshProgram ?? "ssh";
        if (this.f.verbose) {
          this.err(visTerminal(`Executing: program ${program} host ${host}, user ${direct === undefined ? user ?? "(unspecified)" : "(unspecified)"}, command sftp\n`));
        }
        // scp.c do_sftp_connect(): -D runs the server itself (argv[0] "sftp-server"), else ssh -s host sftp
        // scp.c do_sftp_connect() with -D: do_cmd(sftp_direct, host, NULL, -1, 0, "sftp") on an argv reset to just the
        // program, so the server gets [-p <-P port>] -- host sftp (OpenSSH's sftp-server ignores the operands)
        const argv = direct !== undefined
          ? [direct, ...(this.f.port !== -1 ? ["-p", String(this.f.port)] : []), "--", host, "sftp"]
          : this.sshArgv(host, user, port, true, "sftp");
        return this.start(argv, program).transport;
      },
    });
    return this.sftpSide;
  }

  /** Ends the SFTP sessions; the last connection's exit status, or null when SFTP was not used. */
  async finishSftp(): Promise<number | null> {
    const side = this.sftpSide;
    if (side === null) return null;
    this.errs += side.errs;
    side.errs = 0;
    await side.close();
    return side.last === null ? null : await side.last.exited;
  }

  /** Waits for every child to end. */
  async reap(): Promise<void> {
    await Promise.all(this.links.map((l) => l.exited.catch(() => 1)));
  }

  /** scp.c killchild(): SIGTERM to the children. */
  kill(): void {
    for (const l of this.links) l.transport?.terminate();
  }
}

/** Parses an operand as toremote()/tolocal() do; null (after the message) when it is an invalid URI. */
function operand(s: Scp, arg: string): ScpOperand | null {
  const uri = parseScpUri(arg);
  if (uri === "invalid") {
    s.err(`${arg}: invalid uri\n`);
    s.errs++;
    return null;
  }
  return uri ?? parseUserHostPath(arg) ?? { user: undefined, host: undefined, port: -1, path: arg };
}

function checkUser(s: Scp, user: string | undefined): boolean {
  if (user === undefined || okName(user)) return true;
  s.err(`${user}: invalid user name\n`);
  s.errs++;
  return false;
}

const dashDash = (p: string): string => (p.startsWith("-") ? "-- " : "");

/** scp.c toremote(): the target is remote. */
async function toRemote(s: Scp, args: readonly string[]): Promise<void> {
  const f = s.f;
  const targetArg = args[args.length - 1]!;
  let target = parseScpUri(targetArg);
  if (target === "invalid") {
    s.err(`${targetArg}: invalid uri\n`);
    s.errs++;
    return;
  }
  target ??= parseUserHostPath(targetArg);
  if (target === null || target.host === undefined) {
    s.err(`${targetArg}: invalid target\n`);
    s.errs++;
    return;
  }
  const t = target as ScpOperand & { host: string };
  let toLink: RemoteLink | null = null;
  let legacyTo: LegacyScp | null = null;
  for (let i = 0; i < args.length - 1; i++) {
    const src = operand(s, args[i]!);
    if (src === null) continue;
    if (!checkUser(s, src.user)) continue;
    if (src.host !== undefined && f.throughLocal) {
      if (f.mode === "sftp") {
        await s.sftp().crossload(src as ScpOperand & { host: string }, t);
        continue;
      }
      // scp.c: `scp -f src` on the first host, `scp -t targ` on the second, joined through us
      const from = s.doCmd(src.host, src.user, src.port, `${s.cmd} -f ${dashDash(src.path)}${src.path}`);
      const toCmd = `${s.cmd} -t ${dashDash(t.path)}${t.path}`;
      const program = f.sshProgram ?? "ssh";
      if (f.verbose) s.err(visTerminal(`Executing: 2nd program ${program} host ${t.host}, user ${t.user ?? "(unspecified)"}, command ${toCmd}\n`));
      const to = s.start(s.sshArgv(t.host, t.user, t.port, false, toCmd, ["-oBatchMode=yes"]), program);
      const pump = async (a: RemoteLink, b: RemoteLink) => {
        try {
          for (;;) {
            const chunk = await a.input.read(1 << 20);
            if (chunk === null) break;
            await b.output(chunk);
          }
        } catch {
          // the other side is gone
        }
        b.closeOutput();
      };
      void pump(from, to);
      void pump(to, from);
      await to.exited; // do_cmd2() waits for the second ssh, whatever its status
      from.closeOutput();
      s.last = from;
      continue;
    }
    if (src.host !== undefined) {
      // standard remote to remote (-R): the first host runs scp to the second
      if (t.user !== undefined && !okName(t.user)) {
        s.err(`${t.user}: invalid user name\n`);
        s.errs++;
        continue;
      }
      if (t.port !== -1 && t.port !== 22) throw new ScpFatal("target port not supported with two remote hosts and the -R option");
      const argv = [...sshProgramArgv(f.sshProgram), "-x", "-oClearAllForwardings=yes", "-n", ...f.remoteRemoteArgs];
      if (src.port !== -1) argv.push("-p", String(src.port));
      if (src.user !== undefined) argv.push("-l", src.user);
      argv.push("--", src.host, s.cmd, src.path, `${t.user !== undefined ? `${t.user}@` : ""}${t.host}:${t.path}`);
      if (!(await s.localCmd(argv))) s.errs = 1;
      continue;
    }
    // local to remote
    if (f.mode === "sftp") {
      await s.sftp().sendFile(args[i]!, t);
      continue;
    }
    if (toLink === null || legacyTo === null) {
      toLink = s.doCmd(t.host, t.user, t.port, `${s.cmd} -t ${dashDash(t.path)}${t.path}`);
      s.last = toLink;
      legacyTo = s.legacy(toLink, false);
      if ((await legacyTo.response()) < 0) throw new ScpExit(1);
    }
    await legacyTo.source([args[i]!]);
    s.errs += legacyTo.errs;
    legacyTo.errs = 0;
  }
}

/** scp.c tolocal(): the target is local. */
async function toLocal(s: Scp, args: readonly string[]): Promise<void> {
  const f = s.f;
  const targ = args[args.length - 1]!;
  for (let i = 0; i < args.length - 1; i++) {
    const src = operand(s, args[i]!);
    if (src === null) continue;
    if (!checkUser(s, src.user)) continue;
    if (src.host === undefined) {
      const argv = ["cp"];
      if (f.recursive) argv.push("-r");
      if (f.preserve) argv.push("-p");
      argv.push("--", args[i]!, targ);
      if (!(await s.localCmd(argv))) s.errs++;
      continue;
    }
    if (f.mode === "sftp") {
      await s.sftp().fetch(src as ScpOperand & { host: string }, targ);
      continue;
    }
    const link = s.doCmd(src.host, src.user, src.port, `${s.cmd} -f ${dashDash(src.path)}${src.path}`);
    s.last = link;
    const legacy = s.legacy(link, false);
    await legacy.sink(targ, src.path);
    s.errs += legacy.errs;
    link.closeOutput();
  }
}

/** The remote side: `scp -t target` (sink) or `scp -f files...` (source) on our stdin/stdout. */
async function runRemote(s: Scp, operands: readonly string[]): Promise<number> {
  const stdout = Bun.stdout.writer();
  const link = { input: ByteInput.of(Bun.stdin.stream()), output: sinkOutput(stdout) };
  const legacy = s.legacy(link, true);
  try {
    if (s.f.from) {
      await legacy.response();
      await legacy.source(operands);
    } else {
      if (operands.length !== 1) {
        await legacy.runErr("ambiguous target");
        return 1;
      }
      await legacy.sink(operands[0]!, null);
    }
  } finally {
    try {
      await stdout.end();
    } catch {
      // the peer is gone
    }
  }
  return legacy.errs !== 0 ? 1 : 0;
}

/**
 * The arguments with their bytes: Bun decodes argv as UTF-8 and turns other bytes into U+FFFD, so a Latin-1 file
 * name would be lost. /proc/self/cmdline still has the bytes; our arguments are its last entries. Each argument
 * that lost something is decoded again with pathText() (bytes that are not UTF-8 kept as U+DC80..U+DCFF).
 */
export function rawArguments(args: readonly string[], cmdline?: Uint8Array): readonly string[] {
  if (!args.some((a) => a.includes("\ufffd"))) return args;
  let raw: Uint8Array;
  try {
    raw = cmdline ?? readFileSync("/proc/self/cmdline");
  } catch {
    return args;
  }
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0) {
      parts.push(raw.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < raw.length) parts.push(raw.subarray(start));
  if (parts.length < args.length) return args;
  const tail = parts.slice(parts.length - args.length);
  return args.map((a, i) => {
    if (!a.includes("\ufffd")) return a;
    const decoded = pathText(tail[i]!);
    // the same argument, unless the entries do not line up after all
    return decoded.replace(/[\udc80-\udcff]/g, "") === a.replaceAll("\ufffd", "") ? decoded : a;
  });
}

async function run(ctx: ProgramContext): Promise<number> {
  const logPrefix = basename(process.argv0) === ctx.progname ? process.argv0 : ctx.progname;
  const usage = (): number => {
    ctx.io.err(usageText("scp", ctx.progname));
    return 1;
  };
  let flags: ScpFlags;
  let operands: string[];
  try {
    const parsed = parseCommandLine("scp", rawArguments(ctx.args));
    flags = parseScpFlags(parsed.options);
    operands = parsed.operands;
  } catch (e) {
    if (e instanceof GetoptError) {
      ctx.io.err(`${logPrefix}: ${e.message}\r\n`); // OpenSSH's getopt reports through its log, hence \r\n
      return usage();
    }
    if (e instanceof UsageExit) return usage();
    if (e instanceof ScpFatal) {
      ctx.io.err(`${logPrefix}: ${visLog(e.message)}\r\n`);
      return 255;
    }
    throw e;
  }
  if (!isatty(1)) flags.showProgress = false;
  const s = new Scp(flags, ctx, logPrefix);
  // scp.c killchild(): SIGTERM to each child, wait for it, exit 1
  const onSignal = () => {
    s.kill();
    void s.reap().then(() => process.exit(1));
  };
  try {
    if (flags.from || flags.to) return await runRemote(s, operands);
    if (operands.length < 2) return usage();
    if (operands.length > 2) flags.targetShouldBeDirectory = true;
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("SIGHUP", onSignal);
    const last = operands[operands.length - 1]!;
    if (colon(last) >= 0) await toRemote(s, operands);
    else {
      if (flags.targetShouldBeDirectory) {
        const probe = s.legacy({ input: ByteInput.of((async function* () {})()), output: () => {} }, false);
        await probe.verifyDir(last);
      }
      await toLocal(s, operands);
    }
    // scp.c: the last connection's exit status counts, once no error has been seen (always in SFTP mode)
    const sftpStatus = await s.finishSftp();
    if (sftpStatus !== null && sftpStatus !== 0) s.errs = 1;
    if (s.last !== null && (flags.mode === "sftp" || s.errs === 0)) {
      s.last.closeOutput();
      if ((await s.last.exited) !== 0) s.errs = 1;
    }
    await s.closeAll();
    return s.errs !== 0 ? 1 : 0;
  } catch (e) {
    if (e instanceof ScpExit) {
      // scp.c exit(): its ssh then dies of EOF or SIGPIPE; ours may be blocked writing to us, so it is told to stop
      s.kill();
      await s.closeAll();
      return e.status;
    }
    if (e instanceof ScpFatal) {
      ctx.io.err(`${logPrefix}: ${visLog(e.message)}\r\n`);
      s.kill();
      await s.closeAll();
      return 255;
    }
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
  }
}

export const scp: ProgramModule = { implemented: true, run };
