// scp's SFTP mode (scp.c do_sftp_connect(), source_sftp(), sink_sftp(), throughlocal_sftp(), prepare_remote_path()):
// the transfers run over core/sftp/client.ts, remote names are globbed through SFTP, `~` is the login directory.
import { mkdirSync, statSync, type Stats } from "node:fs";
import { strerror } from "../core/strerror.ts";
import { ScpExit, ScpFatal, visTerminal, type LegacyProgress, type ScpOperand } from "../core/scp/index.ts";
import {
  SftpClient, SftpClientError, SftpConnectionError, fx2txt, isDir, isReg, localPath, progressPath, sftpPathAppend, type TransferOptions,
} from "../core/sftp/client.ts";
import type { SftpAttrs } from "../core/sftp/codec.ts";
import { SSH_FXF_CREAT, SSH_FXF_READ, SSH_FXF_TRUNC, SSH_FXF_WRITE } from "../core/sftp/protocol.ts";
import { glob, type GlobFs } from "../core/sftp/glob.ts";
import type { FileSink } from "bun";
import type { TransportProcess } from "../core/client/transport-process.ts";

/**
 * Ends a child's stdin. A FileSink with unwritten bytes for a child that is gone answers end() with a rejected
 * promise (EPIPE); nobody waits for it, so it is caught here rather than reported as unhandled.
 */
export function endQuietly(sink: FileSink): void {
  try {
    const r: unknown = sink.end();
    if (r instanceof Promise) r.catch(() => {});
  } catch {
    // gone
  }
}

/**
 * basename(3): the last component, trailing slashes ignored ("/" for all slashes, "." for ""). Not node:path's, which
 * loses names that are not UTF-8 (the U+DC80.. escapes of pathText).
 */
export function baseName(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Marks a FileSink result that may be a promise as handled (its rejection still reaches whoever awaits it). */
function handled<T>(r: T): T {
  if (r instanceof Promise) r.catch(() => {});
  return r;
}

/** What scp's SFTP mode needs from the front-end. */
export interface SftpModeOptions {
  readonly recursive: boolean;
  readonly preserve: boolean;
  readonly targetShouldBeDirectory: boolean;
  readonly bufferBytes: number | undefined;
  readonly numRequests: number | undefined;
  /** -l in bits per second; 0: none. */
  readonly limitBitsPerSecond: number;
  readonly err: (text: string) => void;
  /** Our stdout. */
  readonly out: (text: string) => void;
  /** log.c error(): with the program prefix and "\r\n". */
  readonly error: (message: string) => void;
  readonly debug: (level: 1 | 2 | 3, message: string) => void;
  readonly meter: (() => LegacyProgress) | undefined;
  /** do_cmd(... "sftp" as a subsystem) or the -D server; null when it could not start. */
  readonly connect: (host: string, user: string | undefined, port: number) => TransportProcess | null;
}

interface Connection {
  readonly client: SftpClient;
  readonly transport: TransportProcess;
}

type RemoteOperand = ScpOperand & { host: string };

/** One scp run's SFTP side: the upload connection is kept across sources, as scp.c keeps `conn`. */
export class ScpSftp {
  errs = 0;
  private upload: Connection | null = null;
  /** The last connection (scp.c do_cmd_pid): its exit status counts at the end. */
  last: TransportProcess | null = null;
  private readonly all: Connection[] = [];

  constructor(private readonly o: SftpModeOptions) {}

  private async open(host: string, user: string | undefined, port: number, counts = true): Promise<Connection | null> {
    const t = this.o.connect(host, user, port);
    // a program that could not start (already reported as its exec would) reads as a closed connection: sftp_init()
    if (t === null) throw new ScpFatal("Connection closed");
    if (counts) this.last = t;
    try {
      // end() of a sink whose reader died rejects; the client does not wait for it (see endQuietly)
      const sink = { write: (b: Uint8Array) => handled(t.stdin.write(b)), flush: () => handled(t.stdin.flush()), end: () => endQuietly(t.stdin) };
      const client = await SftpClient.init(t.stdout, sink, {
        bufferBytes: this.o.bufferBytes, numRequests: this.o.numRequests,
        ...(this.o.limitBitsPerSecond > 0 ? { limitBitsPerSecond: this.o.limitBitsPerSecond } : {}),
        log: {
          error: (m) => this.o.error(m),
          info: (m) => this.o.error(m), // logit(): the same prefix and "\r\n" as error()
          debug: (l, m) => this.o.debug(l, m),
          print: (m) => this.o.out(visTerminal(m)), // mprintf(): stdout
        },
      });
      const c = { client, transport: t };
      this.all.push(c);
      return c;
    } catch (e) {
      // sftp_init() fatal()s: "Connection closed" and friends
      if (e instanceof SftpClientError) throw new ScpFatal(e.message);
      throw e;
    }
  }

  private transfer(): TransferOptions {
    // scp.c: sftp_upload()/sftp_download() with inplace=1 (`scp f host:f` onto itself must not truncate first)
    return { preserve: this.o.preserve, progress: this.o.meter, inplace: true, followLinks: true };
  }

  /** Reports a failed request the way sftp-client.c's error() would; the connection's death is fatal. */
  private report(e: unknown): void {
    if (e instanceof SftpConnectionError) throw new ScpFatal(e.message);
    if (!(e instanceof SftpClientError)) throw e;
    if (e.message !== "") this.o.error(e.message);
  }

  /** scp.c prepare_remote_path(): `~` and `~/x` relative to the login directory, `~user` through expand-path. */
  private async prepare(client: SftpClient, path: string): Promise<string | null> {
    if (path === "" || path === "~") return ".";
    if (!path.startsWith("~")) return path;
    if (path.startsWith("~/")) {
      const rest = path.slice(2).replace(/^\/+/, "");
      return rest === "" ? "." : rest;
    }
    if (client.has("expand-path@openssh.com")) {
      try {
        return await client.expandPath(path);
      } catch (e) {
        this.report(e);
        return null;
      }
    }
    this.o.error("server expand-path extension is required for ~user paths in SFTP mode");
    return null;
  }

  private async remoteIsDir(client: SftpClient, path: string): Promise<boolean> {
    try {
      return isDir(await client.stat(path));
    } catch (e) {
      if (e instanceof SftpConnectionError) throw new ScpFatal(e.message);
      return false;
    }
  }

  /** sftp-glob.c sftp_glob() with GLOB_NOCHECK|GLOB_MARK. */
  private async remoteGlob(client: SftpClient, pattern: string): Promise<{ paths: string[]; matchc: number }> {
    const quiet = async <T>(p: Promise<T>): Promise<T | null> => {
      try {
        return await p;
      } catch (e) {
        if (e instanceof SftpConnectionError) throw new ScpFatal(e.message);
        return null;
      }
    };
    const fs: GlobFs<SftpAttrs> = {
      readdir: async (dir) => (await quiet(client.readdir(dir)))?.map((d) => d.filename) ?? null,
      lstat: (p) => quiet(client.lstat(p)),
      stat: (p) => quiet(client.stat(p)),
      isDir: (a) => isDir(a),
    };
    const r = await glob(pattern, fs, { nocheck: true, mark: true });
    return { paths: r.paths, matchc: r.matchc };
  }

  /** scp.c source_sftp() for one local operand. */
  async sendFile(local: string, target: RemoteOperand): Promise<void> {
    let st: Stats;
    try {
      st = statSync(localPath(local));
    } catch (e) {
      throw new ScpFatal(`stat local "${local}": ${strerror(e)}`);
    }
    if (this.upload === null) {
      this.upload = await this.open(target.host, target.user, target.port);
      if (this.upload === null) throw new ScpFatal("Unable to open sftp connection");
    }
    const { client } = this.upload;
    let filename = baseName(local);
    if (filename === "..") filename = ".";
    const dest = await this.prepare(client, target.path);
    if (dest === null) throw new ScpExit(255);
    let targetIsDir = await this.remoteIsDir(client, dest);
    if (this.o.targetShouldBeDirectory && !targetIsDir) {
      this.o.debug(1, `target directory "${dest}" does not exist`);
      try {
        await client.mkdir(dest, { permissions: st.mode | 0o700 });
      } catch (e) {
        this.report(e);
        throw new ScpExit(255);
      }
      targetIsDir = true;
    }
    const absDst = targetIsDir ? sftpPathAppend(dest, filename) : dest;
    try {
      if (st.isDirectory() && this.o.recursive) {
        try {
          await client.uploadDir(local, absDst, this.transfer());
        } catch (e) {
          this.report(e);
          this.o.error(`failed to upload directory ${local} to ${target.path}`);
          this.errs++;
        }
        return;
      }
      await client.upload(local, absDst, this.transfer());
    } catch (e) {
      this.report(e);
      this.o.error(`failed to upload file ${local} to ${target.path}`);
      this.errs++;
    }
  }

  /** scp.c sink_sftp(): one remote operand (a glob) into `dst`, over a connection of its own. */
  async fetch(src: RemoteOperand, dst: string): Promise<void> {
    const c = await this.open(src.host, src.user, src.port);
    if (c === null) {
      this.o.error("sftp connection failed");
      this.errs++;
      return;
    }
    try {
      if (!(await this.fetchOn(c.client, src.path, dst))) this.errs++;
    } finally {
      await c.client.close();
    }
  }

  private async fetchOn(client: SftpClient, src: string, dst: string): Promise<boolean> {
    const absSrc = await this.prepare(client, src);
    if (absSrc === null) return false;
    this.o.debug(3, `sink_sftp: copying remote ${absSrc} to local ${dst}`);
    const g = await this.remoteGlob(client, absSrc);
    if (g.matchc === 0 && g.paths.length === 1) {
      try {
        await client.stat(g.paths[0]!);
      } catch (e) {
        if (e instanceof SftpConnectionError) throw new ScpFatal(e.message);
        this.o.error(`${src}: No such file or directory`);
        return false;
      }
    }
    let dstSt: Stats | null = null;
    try {
      dstSt = statSync(localPath(dst));
    } catch {
      // made below if needed
    }
    let dstIsDir = dstSt?.isDirectory() === true;
    if (g.matchc > 1 && !dstIsDir) {
      if (dstSt !== null) {
        this.o.error(`Multiple files match pattern, but destination "${dst}" is not a directory`);
        return false;
      }
      try {
        mkdirSync(localPath(dst), 0o777);
      } catch (e) {
        this.o.error(`local mkdir "${dst}": ${strerror(e)}`);
        return false;
      }
      dstIsDir = true;
    }
    let ok = true;
    for (const path of g.paths) {
      let filename = baseName(path);
      if (filename === "..") filename = ".";
      const absDst = dstIsDir ? sftpPathAppend(dst, filename) : dst;
      this.o.debug(1, `Fetching ${path} to ${absDst}`);
      try {
        if (path.endsWith("/") && this.o.recursive) await client.downloadDir(path, absDst, this.transfer());
        else await client.download(path, absDst, this.transfer());
      } catch (e) {
        this.report(e);
        ok = false;
      }
    }
    return ok;
  }

  /** scp.c throughlocal_sftp(): from one server to another through us. */
  async crossload(src: RemoteOperand, target: RemoteOperand): Promise<void> {
    if (this.upload === null) {
      this.upload = await this.open(target.host, target.user, target.port);
      if (this.upload === null) throw new ScpFatal("Unable to open destination connection");
    }
    const to = this.upload.client;
    const from = await this.open(src.host, src.user, src.port, false);
    if (from === null) throw new ScpFatal("Unable to open source connection");
    try {
      if (!(await this.crossloadOn(from.client, to, src.path, target.path))) this.errs++;
    } finally {
      await from.client.close();
      if ((await from.transport.exited) !== 0) this.errs++;
    }
  }

  private async crossloadOn(from: SftpClient, to: SftpClient, src: string, targ: string): Promise<boolean> {
    const absSrc = await this.prepare(from, src);
    const target = await this.prepare(to, targ);
    if (absSrc === null || target === null) throw new ScpExit(255);
    const targetIsDir = await this.remoteIsDir(to, target);
    if (!targetIsDir && this.o.targetShouldBeDirectory) {
      this.o.error(`${targ}: destination is not a directory`);
      return false;
    }
    const g = await this.remoteGlob(from, absSrc);
    if (g.matchc === 0 && g.paths.length === 1) {
      try {
        await from.stat(g.paths[0]!);
      } catch (e) {
        if (e instanceof SftpConnectionError) throw new ScpFatal(e.message);
        this.o.error(`${src}: No such file or directory`);
        return false;
      }
    }
    let ok = true;
    for (const path of g.paths) {
      let filename = baseName(path);
      if (filename === "..") filename = ".";
      const absDst = targetIsDir ? sftpPathAppend(target, filename) : target;
      this.o.debug(1, `Fetching ${path} to ${absDst}`);
      try {
        if (path.endsWith("/") && this.o.recursive) await this.crossloadDir(from, to, path, absDst, 0);
        else await this.crossloadFile(from, to, path, absDst);
      } catch (e) {
        this.report(e);
        ok = false;
      }
    }
    return ok;
  }

  /**
   * sftp-client.c sftp_crossload(): READs from one server, WRITEs to the other, up to numRequests in flight. A failed
   * read or write empties the destination (re-opened with TRUNC), so a partial copy never looks complete.
   */
  private async crossloadFile(from: SftpClient, to: SftpClient, src: string, dst: string, known?: SftpAttrs): Promise<void> {
    const a = known ?? (await from.stat(src));
    if (a.permissions !== undefined && !isReg(a)) throw new SftpClientError(`download "${src}": not a regular file`);
    const size = a.size ?? 0;
    // the destination is created with the source's permission bits, and its times with -p
    const attrs: SftpAttrs = {
      ...(a.permissions !== undefined ? { permissions: a.permissions & 0o777 } : {}),
      ...(this.o.preserve && a.atime !== undefined && a.mtime !== undefined ? { atime: a.atime, mtime: a.mtime } : {}),
    };
    const rh = await from.open(src, SSH_FXF_READ, {}, "origin");
    let wh: Uint8Array;
    try {
      wh = await to.open(dst, SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, attrs, "dest");
    } catch (e) {
      await from.closeHandle(rh).catch(() => {});
      throw e;
    }
    const m = size !== 0 ? this.o.meter?.() : undefined;
    m?.start(progressPath(src), size, 0);
    const buflen = Math.min(from.downloadBufferBytes, to.uploadBufferBytes);
    const inFlight = Math.max(1, Math.min(from.numRequests, 64));
    let offset = 0;
    let readError: number | null = null;
    let writeError: number | null = null;
    const code = (e: unknown): number => {
      if (e instanceof SftpConnectionError) throw new ScpFatal(e.message);
      if (e instanceof SftpClientError) return e.code ?? 4;
      throw e;
    };
    const writes: Promise<void>[] = [];
    for (let eof = false; !eof && readError === null && writeError === null; ) {
      // a window of READs; the data goes out as WRITEs in order, a short block is asked again from where it ended
      const reads = Array.from({ length: inFlight }, (_, k) => from.read(rh, offset + k * buflen, buflen).catch((e: unknown) => code(e)));
      for (const r of await Promise.all(reads)) {
        if (typeof r === "number") {
          readError = r;
          break;
        }
        if (r === null || r.length === 0) {
          eof = true;
          break;
        }
        const at = offset;
        writes.push(to.write(wh, at, r).catch((e: unknown) => void (writeError ??= code(e))));
        offset += r.length;
        m?.update(offset);
        if (r.length < buflen) break; // the rest of the window started past where this block ended
      }
      if (writes.length >= inFlight) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    m?.stop();
    if (readError !== null || writeError !== null) {
      await to.closeHandle(wh).catch(() => {});
      try {
        await to.closeHandle(await to.open(dst, SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, attrs, "dest"));
      } catch {
        this.o.error(`dest truncate "${dst}" failed`);
      }
      await from.closeHandle(rh).catch(() => {});
      throw new SftpClientError(readError !== null ? `read origin "${src}": ${fx2txt(readError)}` : `write dest "${dst}": ${fx2txt(writeError!)}`);
    }
    await from.closeHandle(rh);
    if (this.o.preserve) await to.fsetstat(wh, attrs).catch((e: unknown) => this.report(e));
    await to.closeHandle(wh);
  }

  /** sftp-client.c sftp_crossload_dir(). */
  private async crossloadDir(from: SftpClient, to: SftpClient, src: string, dst: string, depth: number): Promise<void> {
    if (depth >= 64) throw new SftpClientError(`Maximum directory depth exceeded: ${depth} levels`);
    const srcDir = src.replace(/\/+$/, "") || "/";
    const a = await from.stat(srcDir);
    if (!isDir(a)) throw new SftpClientError(`"${srcDir}" is not a directory`);
    const mode = (a.permissions ?? 0o755) & 0o777;
    try {
      await to.mkdir(dst, { permissions: mode | 0o700 });
    } catch (e) {
      if (!(await this.remoteIsDir(to, dst))) throw e;
    }
    const entries = await from.readdir(srcDir);
    for (const e of entries) {
      if (e.filename === "." || e.filename === "..") continue;
      const s = sftpPathAppend(srcDir, e.filename);
      const d = sftpPathAppend(dst, e.filename);
      try {
        if (isDir(e.attrs)) await this.crossloadDir(from, to, s, d, depth + 1);
        else if (isReg(e.attrs)) await this.crossloadFile(from, to, s, d, e.attrs);
        else this.o.error(`${s}: not a regular file`);
      } catch (err) {
        this.report(err);
        this.errs++;
      }
    }
    if (this.o.preserve) await to.setstat(dst, { permissions: mode, atime: a.atime, mtime: a.mtime }).catch((e: unknown) => this.report(e));
  }

  /** Ends every session (each server sees EOF) and waits for the processes. */
  async close(): Promise<void> {
    for (const c of this.all) await c.client.close().catch(() => {});
    await Promise.all(this.all.map((c) => c.transport.exited.catch(() => 1)));
  }
}
