// `sftp`: the interactive and batch SFTP client (sftp.c): OpenSSH's flags, commands, messages and exit statuses,
// over `ssh -s host sftp` (our own ssh unless -S names another) or a server run directly with -D.
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, type Stats } from "node:fs";
import { homedir } from "node:os";
import { GetoptError } from "./getopt.ts";
import { parseCommandLine } from "./command-line.ts";
import { usageError, type ProgramContext, type ProgramModule } from "./pending.ts";
import { ProgressMeter } from "./progress-meter.ts";
import { completeSftpLine, type Completion } from "./sftp-complete.ts";
import { TtyLineReader, type TtyInput } from "./tty-line-reader.ts";
import {
  LS, LS_SORT_FLAGS, a2port, lsFile, parseSftpDestination, parseSftpLine, pathStrip, SftpParseError, fmtScaled,
  type LsStat, type SftpCommand,
} from "./sftp-parse.ts";
import { argvSplit } from "../core/config/index.ts";
import { sshProgramArgv, spawnTransport, type TransportProcess } from "../core/client/transport-process.ts";
import { spawnChild } from "../core/process/spawn.ts";
import { isatty } from "../core/process/tty.ts";
import { strerror } from "../core/strerror.ts";
import {
  SftpClient, SftpClientError, SftpConnectionError, isDir, isLink, localPath, pathText, sftpPathAppend, type SftpClientLog, type TransferProgress,
} from "../core/sftp/client.ts";
import type { SftpAttrs } from "../core/sftp/codec.ts";
import { escapeGlob, glob, type GlobFs } from "../core/sftp/glob.ts";

/** log.c fatal(): the message, then exit 255. */
class Fatal extends Error {
  constructor(
    message: string,
    readonly status = 255,
  ) {
    super(message);
  }
}

/** Settings from the command line (sftp.c globals). */
interface Globals {
  quiet: boolean;
  showProgress: boolean;
  batchmode: boolean;
  rflag: boolean;
  aflag: boolean;
  pflag: boolean;
  fflag: boolean;
  logLevel: number; // 1 ERROR, 2 INFO, 3.. DEBUG1..
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
/** How long TAB may wait for remote listings before it rings the bell (a huge directory must not hang the prompt). */
const COMPLETION_MS = 5000;

/** The sftp program. */
export const sftp: ProgramModule = { implemented: true, run: runSftp };

async function runSftp(ctx: ProgramContext): Promise<number> {
  try {
    return await main(ctx);
  } catch (e) {
    if (e instanceof Fatal) {
      if (e.message !== "") ctx.io.err(`${e.message}\r\n`);
      return e.status;
    }
    throw e;
  }
}

/**
 * utf8.c mprintf(): bytes of a name that are not UTF-8 (kept as U+DC80..U+DCFF by pathText) are shown as `\ooo`,
 * as OpenSSH's vis encoding does; outside a UTF-8 locale (LC_ALL, LC_CTYPE, LANG: the C locale) every byte above
 * 0x7f is, since none of them is printable there.
 */
function visIo(io: ProgramContext["io"], env: Record<string, string | undefined> = process.env): ProgramContext["io"] {
  const octal = (byte: number): string => `\\${byte.toString(8).padStart(3, "0")}`;
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || "";
  const vis = /utf-?8/i.test(locale)
    ? (t: string): string => t.replace(/[\udc80-\udcff]/g, (c) => octal(c.charCodeAt(0) - 0xdc00))
    : (t: string): string => t.replace(/[^\x00-\x7f]/gu, (c) => {
        const code = c.charCodeAt(0);
        if (code >= 0xdc80 && code <= 0xdcff) return octal(code - 0xdc00);
        return [...Buffer.from(c, "utf8")].map(octal).join("");
      });
  return { out: (t) => io.out(vis(t)), err: (t) => io.err(vis(t)) };
}

async function main(ctx: ProgramContext): Promise<number> {
  const io = visIo(ctx.io);
  let parsed;
  try {
    parsed = parseCommandLine("sftp", ctx.args);
  } catch (e) {
    // sftp's getopt complaint ends in CR LF like its log lines (OpenSSH 9.2 prints it through its logger)
    if (e instanceof GetoptError) return usageError("sftp", ctx, `${e.message}\r`);
    throw e;
  }
  const g: Globals = { quiet: false, showProgress: true, batchmode: false, rflag: false, aflag: false, pflag: false, fflag: false, logLevel: 2 };
  const sshArgs: string[] = ["-oForwardX11 no", "-oPermitLocalCommand no", "-oClearAllForwardings yes", "-oControlMaster no"];
  let sshProgram: string | undefined;
  let port = -1;
  let debugLevel = 0;
  let noisy = false;
  let batchFile: string | undefined;
  let batchText = "";
  let sftpDirect: string | undefined;
  let sftpServer: string | undefined;
  let bufferBytes = 0;
  let numRequests = 0;
  let limitBits = 0;
  for (const o of parsed.options) {
    const v = o.value ?? "";
    switch (o.flag) {
      case "A": case "4": case "6": case "C":
        sshArgs.push(`-${o.flag}`);
        break;
      case "F": case "J": case "c": case "i": case "o":
        sshArgs.push(`-${o.flag}`, v);
        break;
      case "q":
        g.logLevel = 1;
        g.quiet = true;
        g.showProgress = false;
        sshArgs.push("-q");
        break;
      case "P":
        port = a2port(v);
        if (port <= 0) throw new Fatal(`Bad port "${v}"\n`);
        break;
      case "v":
        if (debugLevel < 3) {
          sshArgs.push("-v");
          g.logLevel = 3 + debugLevel;
        }
        debugLevel++;
        break;
      case "1":
        throw new Fatal("SSH protocol v.1 is no longer supported");
      case "2":
        break;
      case "a":
        g.aflag = true;
        break;
      case "B": {
        const n = /^[+-]?[0-9]+$/.test(v.trim()) ? parseInt(v, 10) : NaN;
        if (!Number.isFinite(n) || n === 0) throw new Fatal(`Invalid buffer size "${v}"`);
        bufferBytes = n;
        break;
      }
      case "b":
        if (g.batchmode) throw new Fatal("Batch file already specified.");
        if (v !== "-") {
          // sftp.c fopen()s the batch file here and keeps it: read it once, now (a pipe such as `-b <(...)` or a
          // FIFO can be read only once)
          try {
            batchText = readFileSync(v, "utf8");
          } catch (e) {
            throw new Fatal(`${strerror(e)} (${v}).`);
          }
        }
        batchFile = v;
        g.showProgress = false;
        g.quiet = g.batchmode = true;
        sshArgs.push("-obatchmode yes");
        break;
      case "f":
        g.fflag = true;
        break;
      case "N":
        noisy = true;
        break;
      case "p":
        g.pflag = true;
        break;
      case "D":
        sftpDirect = v;
        break;
      case "l": {
        const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
        if (!(n >= 1 && n <= 100 * 1024 * 1024)) return usageError("sftp", ctx);
        limitBits = n * 1024; // sftp.c: Kbit/s
        break;
      }
      case "r":
        g.rflag = true;
        break;
      case "R": {
        const n = /^[+-]?[0-9]+$/.test(v.trim()) ? parseInt(v, 10) : NaN;
        if (!Number.isFinite(n) || n === 0) throw new Fatal(`Invalid number of requests "${v}"`);
        numRequests = n;
        break;
      }
      case "s":
        sftpServer = v;
        break;
      case "S":
        sshProgram = v;
        break;
      case "X":
        if (v.startsWith("buffer=")) {
          const n = parseScaled(v.slice(7));
          if (n === null || n <= 0 || n > 256 * 1024) throw new Fatal(`Invalid buffer size "${v.slice(7)}": Invalid argument`);
          bufferBytes = n;
        } else if (v.startsWith("nrequests=")) {
          const s = v.slice(10);
          const n = /^[0-9]+$/.test(s) ? Number(s) : NaN;
          if (!(n >= 1 && n <= 256 * 1024)) throw new Fatal(`Invalid number of requests "${s}": ${Number.isNaN(n) ? "invalid" : n < 1 ? "too small" : "too large"}`);
          numRequests = n;
        } else throw new Fatal("Invalid -X option");
        break;
      default:
        return usageError("sftp", ctx);
    }
  }
  sshArgs.push("-oForwardAgent no");
  if (!isatty(2)) g.showProgress = false;
  if (noisy) g.quiet = false;

  let transport: TransportProcess;
  let host = "";
  let file1: string | undefined;
  let file2: string | undefined;
  const operands = parsed.operands;
  if (sftpDirect === undefined) {
    if (operands.length === 0 || operands.length > 2) return usageError("sftp", ctx);
    const dest = parseSftpDestination(operands[0]!);
    if (dest === "invalid") return usageError("sftp", ctx);
    if (dest.port !== -1) port = dest.port;
    host = dest.host;
    file1 = dest.path;
    file2 = operands[1];
    if (host === "") {
      io.err("Missing hostname\n");
      return usageError("sftp", ctx);
    }
    const argv = [...sshProgramArgv(sshProgram), ...sshArgs];
    if (port !== -1) argv.push(`-oPort ${port}`);
    if (dest.user !== undefined) argv.push("-l", dest.user);
    if (sftpServer === undefined || !sftpServer.includes("/")) argv.push("-s");
    argv.push("--", host, sftpServer ?? "sftp");
    transport = startTransport(argv);
  } else {
    const argv = argvSplit(sftpDirect, true);
    if (argv === null) throw new Fatal("Parse -D arguments: invalid quotes");
    if (argv.length === 0) throw new Fatal("No sftp server specified via -D");
    transport = startTransport(argv);
  }

  const log: SftpClientLog = {
    error: (t) => g.logLevel >= 1 && io.err(`${t}\r\n`),
    info: (t) => g.logLevel >= 2 && io.err(`${t}\r\n`),
    debug: (level, t) => g.logLevel >= 2 + level && io.err(`debug${level}: ${t}\r\n`),
    print: (t) => io.out(t),
  };
  let closing = false;
  void transport.exited.then(() => {
    if (!closing && !g.quiet) io.err("\rConnection closed.  \n");
  });
  // libedit's line editing when both ends are a terminal (sftp.c: !batchmode && isatty(STDIN_FILENO))
  let reader: TtyLineReader | null = null;
  const onSignal = (): void => {
    reader?.close();
    transport.terminate();
    process.exit(1);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  let interrupt: AbortController | null = null;
  // sftp.c: interactive, ^C interrupts the running command (cmd_interrupt) or, at the prompt, only the line being
  // typed; in batch mode or with piped input it ends sftp and its ssh (killchild, exit 1).
  const onInt = (): void => {
    if (!g.batchmode && isatty(0)) {
      if (interrupt !== null) {
        io.err("\rInterrupt  \n");
        interrupt.abort();
      } else if (reader !== null) reader.interrupt();
      else io.out("\nsftp> ");
      return;
    }
    onSignal();
  };
  process.on("SIGINT", onInt);
  let status = 1;
  try {
    let conn: SftpClient;
    try {
      conn = await SftpClient.init(transport.stdout, transport.stdin, { bufferBytes, numRequests, log, limitBitsPerSecond: limitBits });
    } catch (e) {
      if (e instanceof SftpConnectionError) throw new Fatal(e.message);
      throw e;
    }
    if (!g.quiet) io.err(sftpDirect === undefined ? `Connected to ${host}.\n` : `Attached to ${sftpDirect}.\n`);
    const session = new Session(conn, g, io, log, () => interrupt?.signal);
    const interactive = !g.batchmode && isatty(0);
    let lines: AsyncIterable<string>;
    const stdin = interactive && isatty(1) ? (process.stdin as unknown as Partial<TtyInput>) : null;
    if (stdin !== null && typeof stdin.setRawMode === "function") {
      reader = new TtyLineReader({
        prompt: "sftp> ",
        input: stdin as TtyInput,
        write: (t) => io.out(t),
        columns: () => process.stdout.columns || 80,
        complete: (line, cursor) => session.complete(line, cursor),
      });
      lines = reader.lines();
    } else lines = batchFile === undefined || batchFile === "-" ? stdinLines() : textLines(batchText);
    let err: number;
    try {
      err = await session.interactiveLoop(file1, file2, lines, interactive, reader !== null, (c) => {
        interrupt = c;
      });
    } catch (e) {
      if (e instanceof SftpConnectionError) throw new Fatal(e.message);
      throw e;
    }
    closing = true;
    await conn.close();
    status = err === 0 ? 0 : 1;
  } finally {
    closing = true;
    reader?.close();
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
    try {
      transport.stdin.end();
    } catch {
      // gone
    }
    const exited = await Promise.race([transport.exited, Bun.sleep(2000).then(() => null)]);
    if (exited === null) {
      transport.terminate();
      await transport.exited;
    }
  }
  return status;
}

function startTransport(argv: string[]): TransportProcess {
  try {
    return spawnTransport(argv, process.env, isatty(0));
  } catch (e) {
    throw new Fatal(`${(e as Error).message}\r\nConnection closed`);
  }
}

/** scan_scaled(): a number with an optional K/M/G suffix. */
function parseScaled(s: string): number | null {
  const m = /^([0-9]+)([KkMmGg]?)[Bb]?$/.exec(s);
  if (m === null) return null;
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase()]!;
  return Number(m[1]) * mult;
}

/** Lines from standard input, read as they arrive (fgets with a 2048-byte buffer is not emulated). */
async function* stdinLines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
  buf += decoder.decode();
  if (buf !== "") yield buf;
}

async function* textLines(text: string): AsyncGenerator<string> {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  yield* lines;
}

/** An ls entry: its path, attributes, and (for globbed listings) the lstat. */
interface Listed {
  readonly name: string;
  readonly attrs: SftpAttrs;
  readonly longname?: string;
}

const attrsToLs = (a: SftpAttrs): LsStat => ({
  mode: a.permissions ?? 0, uid: a.uid ?? 0, gid: a.gid ?? 0, size: a.size ?? 0, mtime: a.mtime ?? 0,
});

/** basename(3) as OpenBSD's: trailing slashes removed, "/" stays "/". */
function basename(p: string): string {
  if (p === "") return ".";
  let s = p.replace(/\/+$/, "");
  if (s === "") return "/";
  s = s.slice(s.lastIndexOf("/") + 1);
  return s;
}

/** The sftp session: current directories, the command loop and the commands. */
class Session {
  private pwd = "";
  private startdir = "";
  private readonly userNames = new Map<number, string>();
  private readonly groupNames = new Map<number, string>();

  constructor(
    private readonly conn: SftpClient,
    private readonly g: Globals,
    private readonly io: ProgramContext["io"],
    private readonly log: SftpClientLog,
    private readonly signal: () => AbortSignal | undefined,
  ) {}

  private error(t: string): void {
    this.log.error(t);
  }

  private get interrupted(): boolean {
    return this.signal()?.aborted === true;
  }

  /** sftp.c interactive_loop(): 0 when all went well (or quit), else -1. */
  async interactiveLoop(
    file1: string | undefined, file2: string | undefined, lines: AsyncIterable<string>, interactive: boolean, prompted: boolean,
    setInterrupt: (c: AbortController | null) => void,
  ): Promise<number> {
    let rp: string;
    try {
      rp = await this.conn.realpath(".");
    } catch (e) {
      if (e instanceof SftpConnectionError) throw e;
      this.error((e as Error).message);
      throw new Fatal("Need cwd");
    }
    this.pwd = rp;
    this.startdir = rp;
    if (file1 !== undefined) {
      const dir = makeAbsolute(file1, this.pwd);
      if ((await this.remoteIsDir(dir)) && file2 === undefined) {
        if (!this.g.quiet) this.io.out(`Changing to: ${dir}\n`);
        if ((await this.dispatch(`cd "${dir}"`, true, false)) !== 0) return -1;
      } else {
        return this.processGet(dir, file2, this.pwd, false, false, this.g.aflag, false);
      }
    }
    let err = 0;
    const it = lines[Symbol.asyncIterator]();
    for (;;) {
      if (interactive && !prompted) this.io.out("sftp> ");
      const next = await it.next();
      if (next.done) {
        if (interactive) this.io.out("\n");
        break;
      }
      const cmd = next.value.replace(/\r?\n$/, "");
      const c = new AbortController();
      setInterrupt(c);
      try {
        err = await this.dispatch(cmd, this.g.batchmode, !interactive);
      } finally {
        setInterrupt(null);
      }
      if (err !== 0) break;
    }
    return err >= 0 ? 0 : -1;
  }

  /** sftp.c parse_dispatch_command(): 0 to go on, 1 after quit, -1 to abort the batch. */
  async dispatch(line: string, errAbort: boolean, echo: boolean): Promise<number> {
    let c: SftpCommand | null = null;
    let ignoreErrors = false;
    let disableEcho = false;
    let err = 0;
    try {
      const r = parseSftpLine(line);
      ignoreErrors = r.ignoreErrors;
      disableEcho = r.disableEcho;
      c = r.cmd === null ? null : (r as SftpCommand);
    } catch (e) {
      if (!(e instanceof SftpParseError)) throw e;
      const prefix = (e as SftpParseError & { prefix?: { ignoreErrors: boolean; disableEcho: boolean } }).prefix;
      ignoreErrors = prefix?.ignoreErrors ?? false;
      disableEcho = prefix?.disableEcho ?? false;
      this.error(e.message);
      err = -1;
    }
    if (ignoreErrors) errAbort = false;
    if (echo && !disableEcho) this.io.out(`sftp> ${line}\n`);
    if (c !== null) {
      try {
        err = await this.run(c, errAbort);
      } catch (e) {
        if (e instanceof SftpConnectionError || e instanceof Fatal) throw e;
        if (e instanceof SftpClientError) {
          if (e.message !== "") this.error(e.message);
          err = -1;
        } else throw e;
      }
    }
    if (errAbort && err !== 0) return -1;
    if (c?.cmd === "quit") return 1;
    return 0;
  }

  /** Runs one command; SftpClientError thrown out of it is printed by dispatch(). */
  private async run(c: SftpCommand, errAbort: boolean): Promise<number> {
    const pwd = this.pwd;
    const conn = this.conn;
    switch (c.cmd) {
      case "reget": case "get":
        return this.processGet(c.path1!, c.path2, pwd, c.pflag, c.rflag, c.aflag || c.cmd === "reget", c.fflag);
      case "reput": case "put":
        return this.processPut(c.path1!, c.path2, pwd, c.pflag, c.rflag, c.aflag || c.cmd === "reput", c.fflag);
      case "copy":
        await conn.copy(makeAbsolute(c.path1!, pwd), makeAbsolute(c.path2!, pwd));
        return 0;
      case "rename":
        await conn.rename(makeAbsolute(c.path1!, pwd), makeAbsolute(c.path2!, pwd), c.lflag !== 0);
        return 0;
      case "symlink": case "link": {
        const sflag = c.sflag || c.cmd === "symlink";
        const p1 = sflag ? c.path1! : makeAbsolute(c.path1!, pwd);
        const p2 = makeAbsolute(c.path2!, pwd);
        if (sflag) await conn.symlink(p1, p2);
        else await conn.hardlink(p1, p2);
        return 0;
      }
      case "rm": {
        const gl = await this.remoteGlob(makeAbsolutePwdGlob(c.path1!, pwd), { nocheck: true });
        let err = 0;
        for (const p of gl.paths) {
          if (this.interrupted) break;
          if (!this.g.quiet) this.io.out(`Removing ${p}\n`);
          err = await this.soft(() => conn.remove(p));
          if (err !== 0 && errAbort) break;
        }
        return err;
      }
      case "mkdir":
        await conn.mkdir(makeAbsolute(c.path1!, pwd), { permissions: 0o777 });
        return 0;
      case "rmdir":
        await conn.rmdir(makeAbsolute(c.path1!, pwd));
        return 0;
      case "chdir": {
        let p = c.path1 === undefined || c.path1 === "" ? this.startdir : c.path1;
        p = makeAbsolute(p, pwd);
        let tmp: string;
        let aa: SftpAttrs;
        try {
          tmp = await conn.realpath(p);
          aa = await conn.stat(tmp);
        } catch (e) {
          if (e instanceof SftpConnectionError) throw e;
          this.error((e as Error).message);
          return 1;
        }
        if (aa.permissions === undefined) {
          this.error("Can't change directory: Can't check target");
          return 1;
        }
        if (!isDir(aa)) {
          this.error(`Can't change directory: "${tmp}" is not a directory`);
          return 1;
        }
        this.pwd = tmp;
        return 0;
      }
      case "ls": {
        if (c.path1 === undefined) {
          await this.lsDir(pwd, pwd, c.lflag).catch((e: unknown) => this.reportOnly(e));
          return 0;
        }
        const strip = c.path1.startsWith("/") ? undefined : pwd;
        return this.globbedLs(makeAbsolutePwdGlob(c.path1, pwd), strip, c.lflag);
      }
      case "df": {
        const p = makeAbsolute(c.path1 ?? pwd, pwd);
        return this.df(p, c.hflag, c.iflag);
      }
      case "lchdir": {
        let p = c.path1 === undefined || c.path1 === "" ? "~" : c.path1;
        if (p === "~" || p.startsWith("~/")) p = homedir() + p.slice(1);
        try {
          process.chdir(p);
        } catch (e) {
          this.error(`Couldn't change local directory to "${p}": ${strerror(e)}`);
          return 1;
        }
        return 0;
      }
      case "lmkdir":
        try {
          mkdirSync(c.path1!, 0o777);
        } catch (e) {
          this.error(`Couldn't create local directory "${c.path1}": ${strerror(e)}`);
          return 1;
        }
        return 0;
      case "lls":
        await this.shell(c.rest === "" ? "ls" : `ls ${c.rest}`);
        return 0;
      case "shell":
        await this.shell(c.rest);
        return 0;
      case "lumask":
        process.umask(c.nArg & 0o777);
        this.io.out(`Local umask: ${c.nArg.toString(8).padStart(3, "0")}\n`);
        return 0;
      case "chmod": {
        const gl = await this.remoteGlob(makeAbsolutePwdGlob(c.path1!, pwd), { nocheck: true });
        let err = 0;
        for (const p of gl.paths) {
          if (this.interrupted) break;
          if (!this.g.quiet) this.io.out(`Changing mode on ${p}\n`);
          err = await this.soft(() => (c.hflag ? conn.lsetstat(p, { permissions: c.nArg }) : conn.setstat(p, { permissions: c.nArg })));
          if (err !== 0 && errAbort) break;
        }
        return err;
      }
      case "chown": case "chgrp": {
        const gl = await this.remoteGlob(makeAbsolutePwdGlob(c.path1!, pwd), { nocheck: true });
        let err = 0;
        for (const p of gl.paths) {
          if (this.interrupted) break;
          let aa: SftpAttrs;
          try {
            aa = c.hflag ? await conn.lstat(p) : await conn.stat(p);
          } catch (e) {
            if (e instanceof SftpConnectionError) throw e;
            this.error((e as Error).message);
            if (errAbort) return -1;
            continue;
          }
          if (aa.uid === undefined || aa.gid === undefined) {
            this.error(`Can't get current ownership of remote file "${p}"`);
            if (errAbort) return -1;
            continue;
          }
          const na: SftpAttrs = { uid: aa.uid, gid: aa.gid };
          if (c.cmd === "chown") {
            if (!this.g.quiet) this.io.out(`Changing owner on ${p}\n`);
            na.uid = c.nArg;
          } else {
            if (!this.g.quiet) this.io.out(`Changing group on ${p}\n`);
            na.gid = c.nArg;
          }
          err = await this.soft(() => (c.hflag ? conn.lsetstat(p, na) : conn.setstat(p, na)));
          if (err !== 0 && errAbort) break;
        }
        return err;
      }
      case "pwd":
        this.io.out(`Remote working directory: ${pwd}\n`);
        return 0;
      case "lpwd": {
        let cwd: string;
        try {
          cwd = process.cwd();
        } catch (e) {
          this.error(`Couldn't get local cwd: ${strerror(e)}`);
          return -1;
        }
        this.io.out(`Local working directory: ${cwd}\n`);
        return 0;
      }
      case "quit":
        return 0;
      case "help":
        this.io.out(HELP);
        return 0;
      case "version":
        this.io.out(`SFTP protocol version ${conn.version}\n`);
        return 0;
      case "progress":
        this.g.showProgress = !this.g.showProgress;
        this.io.out(this.g.showProgress ? "Progress meter enabled\n" : "Progress meter disabled\n");
        return 0;
    }
  }

  /** Runs a client call; a request error is printed and becomes -1 (a dead session still throws). */
  private async soft(f: () => Promise<unknown>): Promise<number> {
    try {
      await f();
      return 0;
    } catch (e) {
      this.reportOnly(e);
      return -1;
    }
  }

  private reportOnly(e: unknown): void {
    if (e instanceof SftpConnectionError || !(e instanceof SftpClientError)) throw e;
    if (e.message !== "") this.error(e.message);
  }

  /** sftp.c local_do_shell(): $SHELL -c args, or an interactive shell. */
  private async shell(args: string): Promise<void> {
    const sh = process.env.SHELL !== undefined && process.env.SHELL !== "" ? process.env.SHELL : "/bin/sh";
    let proc;
    try {
      proc = spawnChild({ argv: args === "" ? [sh] : [sh, "-c", args], env: process.env, cwd: process.cwd(), stdio: ["inherit", "inherit", "inherit"] });
    } catch (e) {
      this.error(`Couldn't execute "${sh}": ${strerror(e)}`);
      return;
    }
    const code = await proc.exited;
    if (proc.signalCode !== null) this.error("Shell exited abnormally");
    else if (code !== 0) this.error(`Shell exited with status ${code}`);
  }

  /**
   * TAB at the prompt (sftp.c complete()). A remote glob lstat()s nothing its READDIR already described, stays within
   * glob's work limit, and is given up after COMPLETION_MS (its requests finish in the background, unread).
   */
  complete(line: string, cursor: number): Promise<Completion> {
    return completeSftpLine(line, cursor, {
      pwd: this.pwd,
      columns: this.width(),
      remoteGlob: (pattern) => {
        const attrs = new Map<string, SftpAttrs>();
        const fs: GlobFs<SftpAttrs> = {
          // readdir brings every entry's attributes: glob's lstat of a match costs no request
          readdir: async (dir) => {
            try {
              const entries = await this.conn.readdir(dir);
              for (const e of entries) attrs.set(sftpPathAppend(dir === "." ? "" : dir, e.filename), e.attrs);
              return entries.map((e) => e.filename);
            } catch {
              return null;
            }
          },
          lstat: async (p) => attrs.get(p) ?? (await this.conn.lstat(p).catch(() => null)),
          stat: (p) => this.conn.stat(p).catch(() => null),
          isDir: (a) => isDir(a),
          isLink: (a) => isLink(a),
        };
        const found = glob(pattern, fs, { mark: true }).then((g) => g.paths.slice(0, g.matchc)).catch(() => null);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), COMPLETION_MS)));
        return Promise.race([found, late]).finally(() => clearTimeout(timer));
      },
      localGlob: async (pattern) => {
        const g = await glob(pattern, LOCAL_FS, { mark: true });
        return g.paths.slice(0, g.matchc);
      },
    });
  }

  private async remoteIsDir(path: string): Promise<boolean> {
    try {
      return isDir(await this.conn.stat(path));
    } catch (e) {
      if (e instanceof SftpConnectionError) throw e;
      return false;
    }
  }

  private remoteFs(): GlobFs<SftpAttrs> {
    const quiet = async <T>(f: () => Promise<T>): Promise<T | null> => {
      try {
        return await f();
      } catch (e) {
        if (e instanceof SftpConnectionError) throw e;
        return null;
      }
    };
    return {
      readdir: async (dir) => {
        try {
          return (await this.conn.readdir(dir)).map((e) => e.filename);
        } catch (e) {
          this.reportOnly(e);
          return null;
        }
      },
      lstat: (p) => quiet(() => this.conn.lstat(p)),
      stat: (p) => quiet(() => this.conn.stat(p)),
      isDir: (a) => isDir(a),
      isLink: (a) => isLink(a),
    };
  }

  private remoteGlob(pattern: string, opts: { nocheck?: boolean; mark?: boolean; brace?: boolean; nosort?: boolean }) {
    return glob(pattern, this.remoteFs(), opts);
  }

  private progress(): (() => TransferProgress) | undefined {
    // progressmeter.c can_output(): only when stdout is the terminal we are in the foreground of
    if (!this.g.showProgress || !isatty(1)) return undefined;
    return () =>
      new ProgressMeter({
        write: (t) => this.io.out(t),
        columns: () => process.stdout.columns,
        now: () => performance.now() / 1000,
      });
  }

  /** sftp.c process_get(). */
  async processGet(src: string, dst: string | undefined, pwd: string, pflag: boolean, rflag: boolean, resume: boolean, fflag: boolean): Promise<number> {
    const absSrc = makeAbsolutePwdGlob(src, pwd);
    const gl = await this.remoteGlob(absSrc, { mark: true });
    if (gl.matchc === 0) {
      this.error(`File "${absSrc}" not found.`);
      return -1;
    }
    if (gl.matchc > 1 && dst !== undefined && !localIsDir(dst)) {
      this.error(`Multiple source paths, but destination "${dst}" is not a directory`);
      return -1;
    }
    let err = 0;
    for (const p of gl.paths) {
      if (this.interrupted) break;
      let filename = basename(p);
      if (filename === "..") filename = ".";
      let absDst: string;
      if (gl.matchc === 1 && dst !== undefined) absDst = localIsDir(dst) ? sftpPathAppend(dst, filename) : dst;
      else if (dst !== undefined) absDst = sftpPathAppend(dst, filename);
      else absDst = filename;
      const res = resume || this.g.aflag;
      if (!this.g.quiet) this.io.out(res ? `Resuming ${p} to ${absDst}\n` : `Fetching ${p} to ${absDst}\n`);
      const opts = {
        preserve: pflag || this.g.pflag, resume: res, fsync: fflag || this.g.fflag, printDirs: true,
        progress: this.progress(), signal: this.signal(),
      };
      try {
        if (p.endsWith("/") && (rflag || this.g.rflag)) await this.conn.downloadDir(p, absDst, opts);
        else await this.conn.download(p, absDst, opts);
      } catch (e) {
        this.reportOnly(e);
        err = -1;
      }
    }
    return err;
  }

  /** sftp.c process_put(). */
  async processPut(src: string, dst: string | undefined, pwd: string, pflag: boolean, rflag: boolean, resume: boolean, fflag: boolean): Promise<number> {
    const tmpDst = dst !== undefined ? makeAbsolute(dst, pwd) : undefined;
    const gl = await glob(src, LOCAL_FS, { nocheck: true, mark: true });
    const dstIsDir = tmpDst !== undefined ? await this.remoteIsDir(tmpDst) : true;
    if (gl.matchc > 1 && tmpDst !== undefined && !dstIsDir) {
      this.error(`Multiple paths match, but destination "${tmpDst}" is not a directory`);
      return -1;
    }
    let err = 0;
    for (const p of gl.paths) {
      if (this.interrupted) break;
      try {
        statSync(localPath(p));
      } catch (e) {
        err = -1;
        this.error(`stat ${p}: ${strerror(e)}`);
        continue;
      }
      let filename = basename(p);
      if (filename === "..") filename = ".";
      let absDst: string;
      if (gl.matchc === 1 && tmpDst !== undefined) absDst = dstIsDir ? sftpPathAppend(tmpDst, filename) : tmpDst;
      else if (tmpDst !== undefined) absDst = sftpPathAppend(tmpDst, filename);
      else absDst = makeAbsolute(filename, pwd);
      const res = resume || this.g.aflag;
      if (!this.g.quiet) this.io.out(res ? `Resuming upload of ${p} to ${absDst}\n` : `Uploading ${p} to ${absDst}\n`);
      const opts = {
        preserve: pflag || this.g.pflag, resume: res, fsync: fflag || this.g.fflag, printDirs: true,
        progress: this.progress(), signal: this.signal(),
      };
      try {
        if (p.endsWith("/") && (rflag || this.g.rflag)) await this.conn.uploadDir(p, absDst, opts);
        else await this.conn.upload(p, absDst, opts);
      } catch (e) {
        this.reportOnly(e);
        err = -1;
      }
    }
    return err;
  }

  private width(): number {
    return isatty(0) && isatty(1) && process.stdout.columns ? process.stdout.columns : 80;
  }

  /** sftp-usergroup.c: names for the ids shown, through users-groups-by-id@openssh.com. */
  private async lookupNames(list: readonly SftpAttrs[]): Promise<void> {
    if (!this.conn.has("users-groups-by-id@openssh.com")) return;
    const uids = [...new Set(list.map((a) => a.uid ?? 0).filter((u) => !this.userNames.has(u)))];
    const gids = [...new Set(list.map((a) => a.gid ?? 0).filter((u) => !this.groupNames.has(u)))];
    if (uids.length === 0 && gids.length === 0) return;
    try {
      const r = await this.conn.usersGroupsById(uids, gids);
      uids.forEach((u, i) => r.users[i] && this.userNames.set(u, r.users[i]!));
      gids.forEach((u, i) => r.groups[i] && this.groupNames.set(u, r.groups[i]!));
    } catch (e) {
      if (e instanceof SftpConnectionError) throw e;
    }
  }

  private async printListing(items: readonly Listed[], lflag: number, colspace: number, columns: number): Promise<void> {
    const canNames = this.conn.has("users-groups-by-id@openssh.com");
    if (lflag & LS.LONG_VIEW) await this.lookupNames(items.map((i) => i.attrs));
    let c = 1;
    let out = "";
    for (const it of items) {
      if (this.interrupted) break;
      if (lflag & LS.LONG_VIEW) {
        if ((lflag & (LS.NUMERIC_VIEW | LS.SI_UNITS)) !== 0 || canNames || it.longname === undefined) {
          const numeric = (lflag & LS.NUMERIC_VIEW) !== 0;
          const st = attrsToLs(it.attrs);
          out += lsFile(it.name, st, (lflag & LS.SI_UNITS) !== 0, numeric ? undefined : this.userNames.get(st.uid), numeric ? undefined : this.groupNames.get(st.gid)) + "\n";
        } else out += `${it.longname}\n`;
      } else {
        // sftp.c mprintf("%-*s", colspace, ...): OpenSSH pads to colspace counting bytes, in a UTF-8 locale too
        out += it.name + " ".repeat(Math.max(0, colspace - utf8Length(it.name)));
        if (c >= columns) {
          out += "\n";
          c = 1;
        } else c++;
      }
    }
    if (!(lflag & LS.LONG_VIEW) && c !== 1) out += "\n";
    this.io.out(out);
  }

  /** sftp.c do_ls_dir(). */
  private async lsDir(path: string, strip: string | undefined, lflag: number): Promise<void> {
    const d = await this.conn.readdir(path);
    let columns = 1;
    let colspace = 0;
    if (!(lflag & LS.SHORT_VIEW)) {
      let m = 0;
      // sftp.c do_ls_dir: the widest name in bytes (strlen), as OpenSSH computes the columns
      for (const e of d) if (!e.filename.startsWith(".") || lflag & LS.SHOW_ALL) m = Math.max(m, utf8Length(e.filename));
      m += utf8Length(pathStrip(path, strip));
      const width = this.width();
      columns = Math.max(Math.trunc(width / (m + 2)), 1);
      colspace = Math.min(Math.trunc(width / columns), width);
    }
    if (lflag & LS_SORT_FLAGS) sortEntries(d, lflag, (e) => e.filename, (e) => e.attrs);
    const items: Listed[] = [];
    for (const e of d) {
      if (e.filename.startsWith(".") && !(lflag & LS.SHOW_ALL)) continue;
      items.push({ name: pathStrip(sftpPathAppend(path, e.filename), strip), attrs: e.attrs, longname: e.longname });
    }
    await this.printListing(items, lflag, colspace, columns);
  }

  /** sftp.c do_globbed_ls(). */
  private async globbedLs(path: string, strip: string | undefined, lflag: number): Promise<number> {
    const gl = await this.remoteGlob(path, { mark: true, nocheck: true, brace: true, nosort: true });
    if (gl.paths.length > 0 && gl.matchc === 0) {
      this.error(`Can't ls: "${path}" not found`);
      return -1;
    }
    if (this.interrupted) return 0;
    if (gl.matchc === 1 && gl.stats[0] !== undefined && isDir(gl.stats[0])) return this.soft(() => this.lsDir(gl.paths[0]!, strip, lflag));
    const width = this.width();
    let columns = 1;
    let colspace = 0;
    if (!(lflag & LS.SHORT_VIEW)) {
      let m = 0;
      for (const p of gl.paths) m = Math.max(m, utf8Length(p));
      columns = Math.max(Math.trunc(width / (m + 2)), 1);
      colspace = Math.trunc(width / columns);
    }
    const idx = gl.paths.map((_, i) => i);
    if (lflag & LS_SORT_FLAGS) sortEntries(idx, lflag, (i) => gl.paths[i]!, (i) => gl.stats[i] ?? {});
    const items: Listed[] = [];
    for (const i of idx) {
      const name = pathStrip(gl.paths[i]!, strip);
      if (lflag & LS.LONG_VIEW && gl.stats[i] === undefined) {
        this.error(`no stat information for ${name}`);
        continue;
      }
      items.push({ name, attrs: gl.stats[i] ?? {} });
    }
    await this.printListing(items, lflag, colspace, columns);
    return 0;
  }

  /** sftp.c do_df(). */
  private async df(path: string, hflag: boolean, iflag: boolean): Promise<number> {
    const st = await this.conn.statvfs(path);
    const pct = (used: number, total: number): string => (total === 0 ? "ERR" : `${String(Math.trunc((100 * used) / total)).padStart(3, " ")}%`);
    const icap = pct(st.files - st.ffree, st.files);
    const dcap = pct(st.blocks - st.bfree, st.blocks);
    const p = (n: number, w: number): string => String(n).padStart(w, " ");
    if (iflag) {
      this.io.out("     Inodes        Used       Avail      (root)    %Capacity\n");
      this.io.out(`${p(st.files, 11)} ${p(st.files - st.ffree, 11)} ${p(st.favail, 11)} ${p(st.ffree, 11)}         ${icap}\n`);
    } else if (hflag) {
      const s = (n: number): string => fmtScaled(n).padStart(7, " ");
      this.io.out("    Size     Used    Avail   (root)    %Capacity\n");
      this.io.out(`${s(st.blocks * st.frsize)}B ${s((st.blocks - st.bfree) * st.frsize)}B ${s(st.bavail * st.frsize)}B ${s(st.bfree * st.frsize)}B         ${dcap}\n`);
    } else {
      const k = (n: number): number => Math.trunc((st.frsize * n) / 1024);
      this.io.out("        Size         Used        Avail       (root)    %Capacity\n");
      this.io.out(`${p(k(st.blocks), 12)} ${p(k(st.blocks - st.bfree), 12)} ${p(k(st.bavail), 12)} ${p(k(st.bfree), 12)}         ${dcap}\n`);
    }
    return 0;
  }
}

/** sdirent_comp()/sglob_comp(): by name (strcmp), newest first, or largest first; -r reverses. */
function sortEntries<T>(list: T[], lflag: number, name: (t: T) => string, attrs: (t: T) => SftpAttrs): void {
  const rmul = lflag & LS.REVERSE_SORT ? -1 : 1;
  const ncmp = (a: number, b: number): number => (a === b ? 0 : a < b ? 1 : -1);
  list.sort((x, y) => {
    if (lflag & LS.NAME_SORT) {
      const a = name(x);
      const b = name(y);
      return rmul * (a < b ? -1 : a > b ? 1 : 0);
    }
    if (lflag & LS.TIME_SORT) return rmul * ncmp(attrs(x).mtime ?? 0, attrs(y).mtime ?? 0);
    return rmul * ncmp(attrs(x).size ?? 0, attrs(y).size ?? 0);
  });
}

/** sftp-client.c sftp_make_absolute(). */
function makeAbsolute(p: string, pwd: string): string {
  return p.startsWith("/") ? p : sftpPathAppend(pwd, p);
}

/** sftp.c make_absolute_pwd_glob(): the working directory's glob characters escaped. */
function makeAbsolutePwdGlob(p: string, pwd: string): string {
  return makeAbsolute(p, escapeGlob(pwd));
}

function localIsDir(p: string): boolean {
  try {
    return statSync(localPath(p)).isDirectory();
  } catch {
    return false;
  }
}

const LOCAL_FS: GlobFs<Stats> = {
  readdir: async (dir) => {
    try {
      return readdirSync(localPath(dir), { encoding: "buffer" }).map((n) => pathText(n));
    } catch {
      return null;
    }
  },
  lstat: async (p) => {
    try {
      return lstatSync(localPath(p));
    } catch {
      return null;
    }
  },
  stat: async (p) => {
    try {
      return statSync(localPath(p));
    } catch {
      return null;
    }
  },
  isDir: (st) => (st.mode & S_IFMT) === S_IFDIR,
  isLink: (st) => st.isSymbolicLink(),
};

const HELP =
  "Available commands:\n" +
  "bye                                Quit sftp\n" +
  "cd path                            Change remote directory to 'path'\n" +
  "chgrp [-h] grp path                Change group of file 'path' to 'grp'\n" +
  "chmod [-h] mode path               Change permissions of file 'path' to 'mode'\n" +
  "chown [-h] own path                Change owner of file 'path' to 'own'\n" +
  "copy oldpath newpath               Copy remote file\n" +
  "cp oldpath newpath                 Copy remote file\n" +
  "df [-hi] [path]                    Display statistics for current directory or\n" +
  "                                   filesystem containing 'path'\n" +
  "exit                               Quit sftp\n" +
  "get [-afpR] remote [local]         Download file\n" +
  "help                               Display this help text\n" +
  "lcd path                           Change local directory to 'path'\n" +
  "lls [ls-options [path]]            Display local directory listing\n" +
  "lmkdir path                        Create local directory\n" +
  "ln [-s] oldpath newpath            Link remote file (-s for symlink)\n" +
  "lpwd                               Print local working directory\n" +
  "ls [-1afhlnrSt] [path]             Display remote directory listing\n" +
  "lumask umask                       Set local umask to 'umask'\n" +
  "mkdir path                         Create remote directory\n" +
  "progress                           Toggle display of progress meter\n" +
  "put [-afpR] local [remote]         Upload file\n" +
  "pwd                                Display remote working directory\n" +
  "quit                               Quit sftp\n" +
  "reget [-fpR] remote [local]        Resume download file\n" +
  "rename oldpath newpath             Rename remote file\n" +
  "reput [-fpR] local [remote]        Resume upload file\n" +
  "rm path                            Delete remote file\n" +
  "rmdir path                         Remove remote directory\n" +
  "symlink oldpath newpath            Symlink remote file\n" +
  "version                            Show SFTP version\n" +
  "!command                           Execute 'command' in local shell\n" +
  "!                                  Escape to local shell\n" +
  "?                                  Synonym for help\n";

/** strlen(3) of a name as the server sent it: UTF-8, where U+DC80..U+DCFF stand for single bytes (pathText). */
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xdc80 && c <= 0xdcff ? 1 : c < 0x10000 ? 3 : 4;
  }
  return n;
}
