// The legacy scp (rcp) protocol engine: scp.c sink(), source(), rsource(), response(), run_err() and note_err(),
// over a byte stream to the peer. The same engine runs as the remote `scp -t`/`scp -f` and inside the client.
import {
  closeSync, constants, fchmodSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, statSync, chmodSync,
  utimesSync, writeSync, type Stats,
} from "node:fs";
import { strerror } from "../strerror.ts";
import { localPath, pathBytes, pathText } from "../sftp/client.ts";
import { BracePatternError, braceExpand } from "./glob.ts";
import { fnmatch } from "../sftp/glob.ts";
import { MAX_RECORD_BYTES, formatDirRecord, formatFileRecord, formatTimesRecord, parseSinkRecord, visTerminal } from "./records.ts";
import { keepOutOfFtl } from "../jit.ts";

/** Bytes from the peer: single bytes for records, runs of bytes for file data. */
export class ByteInput {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** From an async iterable (a process's stdout, our stdin). */
  static of(iterable: AsyncIterable<Uint8Array>): ByteInput {
    return new ByteInput(iterable[Symbol.asyncIterator]());
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.buf.length) {
      if (this.ended) return false;
      const r = await this.source.next();
      if (r.done === true) {
        this.ended = true;
        return false;
      }
      this.buf = r.value;
      this.pos = 0;
    }
    return true;
  }

  /** The next byte, or -1 at the end of the stream. */
  async byte(): Promise<number> {
    if (this.pos >= this.buf.length && !(await this.fill())) return -1;
    return this.buf[this.pos++]!;
  }

  /** Up to `max` bytes (at least one), or null at the end; the view stays valid (chunks are never reused). */
  async read(max: number): Promise<Uint8Array | null> {
    if (this.pos >= this.buf.length && !(await this.fill())) return null;
    const n = Math.min(max, this.buf.length - this.pos);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

/** Writes bytes to the peer; rejects (or throws) when the peer is gone. The caller may not reuse `bytes`. */
export type ByteOutput = (bytes: Uint8Array) => Promise<void> | void;

/** scp ends with this status (scp.c exit()); what it had to say is already written. */
export class ScpExit extends Error {
  override name = "ScpExit";
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

/** scp.c fatal(): the front-end prints `message` with the program's prefix and exits 255. */
export class ScpFatal extends Error {
  override name = "ScpFatal";
}

/** One file's progress (the meter lives in cmd/progress-meter.ts; the shape is core/sftp's TransferProgress). */
export interface LegacyProgress {
  start(name: string, totalBytes: number, doneBytes: number): void;
  update(doneBytes: number): void;
  stop(): void;
}

/** What the engine needs besides the stream. */
export interface LegacyOptions {
  readonly recursive: boolean;
  readonly preserve: boolean;
  readonly targetShouldBeDirectory: boolean;
  /** `scp -t`/`-f`: errors go only to the peer, never to our stderr. */
  readonly remote: boolean;
  readonly verbose: boolean;
  /** -T: no check that the names the source sends match what was asked for. */
  readonly noNameCheck: boolean;
  /** Our stderr. */
  readonly stderr: (text: string) => void;
  /** A meter per file, when progress is shown. */
  readonly progress?: () => LegacyProgress;
  /** -l: called after each block of file data goes out or comes in (sleeps as misc.c bandwidth_limit()). */
  readonly limit?: (bytes: number) => Promise<void>;
}

/** Bytes of file data per read(2)/write. */
const BLOCK = 256 * 1024;
/** PATH_MAX, for rsource()'s "name too long". */
const PATH_MAX = 4096;
const EPIPE = { code: "EPIPE" };

function statOrNull(path: string): Stats | null {
  try {
    return statSync(localPath(path));
  } catch {
    return null;
  }
}

/** One side of a legacy transfer. `errs` counts what went wrong (scp exits errs != 0). */
export class LegacyScp {
  errs = 0;
  private noted: string | null = null;

  constructor(
    private readonly input: ByteInput,
    private readonly output: ByteOutput,
    private readonly opts: LegacyOptions,
  ) {}

  /** Sends to the peer; a peer that is gone is scp.c's lostconn(). */
  private async send(data: string | Uint8Array): Promise<void> {
    try {
      // names travel as their bytes: one that is not UTF-8 went through pathText() and comes back whole
      await this.output(typeof data === "string" ? pathBytes(data) : data);
    } catch {
      this.lostConnection();
    }
  }

  /** scp.c lostconn(). */
  private lostConnection(): never {
    if (!this.opts.remote) this.opts.stderr("lost connection\n");
    throw new ScpExit(1);
  }

  /** scp.c run_err(): "\001scp: msg\n" to the peer, and "msg\n" to our stderr unless we are the remote side. */
  async runErr(message: string): Promise<void> {
    this.errs++;
    // fprintf() to a peer that is gone raises SIGPIPE, which scp.c turns into lostconn()
    await this.send(`\x01scp: ${message}\n`);
    if (!this.opts.remote) this.opts.stderr(`${visTerminal(message)}\n`);
  }

  /** scp.c note_err(msg): remembers the first error of a file, to be sent once its data has been read. */
  private noteErr(message: string): void {
    this.errs++;
    this.noted ??= message;
  }

  /** scp.c note_err(NULL): sends the noted error; false when there was one. */
  private async flushNoted(): Promise<boolean> {
    if (this.noted === null) return true;
    const m = this.noted;
    this.noted = null;
    await this.runErr(m);
    return false;
  }

  /** Reads up to '\n' or MAX_RECORD_BYTES in all, `first` already read; null at the end of the stream. */
  private async readRecord(first: number): Promise<Uint8Array | null> {
    const buf = new Uint8Array(MAX_RECORD_BYTES);
    buf[0] = first;
    let n = 1;
    let ch = first;
    while (n < MAX_RECORD_BYTES && ch !== 0x0a) {
      ch = await this.input.byte();
      if (ch < 0) return null;
      buf[n++] = ch;
    }
    return buf.subarray(0, n);
  }

  /** scp.c response(): 0 for OK, -1 for an error the peer reported (printed); exits on a fatal one. */
  async response(): Promise<number> {
    const resp = await this.input.byte();
    if (resp < 0) this.lostConnection();
    if (resp === 0) return 0;
    let rec: Uint8Array | null;
    if (resp === 1 || resp === 2) {
      const b = await this.input.byte();
      if (b < 0) this.lostConnection();
      rec = await this.readRecord(b);
    } else rec = await this.readRecord(resp);
    if (rec === null) this.lostConnection();
    if (!this.opts.remote) {
      // cp[-1] = '\0': the last byte read (the newline, or the last of a full buffer) is dropped
      const text = pathText(rec.subarray(0, rec.length - 1));
      this.opts.stderr(`${visTerminal(text)}\n`);
    }
    this.errs++;
    if (resp === 1) return -1;
    throw new ScpExit(1);
  }

  /** scp.c verifydir(): the target must be a directory, else exit 1. */
  async verifyDir(path: string): Promise<void> {
    let err: unknown = { code: "ENOTDIR" };
    try {
      if (statSync(localPath(path)).isDirectory()) return;
    } catch (e) {
      err = e;
    }
    await this.runErr(`${path}: ${strerror(err)}`);
    throw new ScpExit(1);
  }

  private async screwup(why: string): Promise<never> {
    await this.runErr(`protocol error: ${why}`);
    throw new ScpExit(1);
  }

  /**
   * scp.c sink(): receives into `targ` (a directory, or the file's new name). `src` is the path asked for, whose
   * brace-expanded last components every incoming name must match (unless -r or -T).
   */
  async sink(targ: string, src: string | null): Promise<void> {
    const o = this.opts;
    let mask = process.umask(0);
    if (!o.preserve) {
      process.umask(mask);
      mask |= 0o7000;
    }
    if (o.targetShouldBeDirectory) await this.verifyDir(targ);
    await this.send(new Uint8Array(1));
    const targIsDir = statOrNull(targ)?.isDirectory() === true;
    let patterns: string[] = [];
    if (src !== null && !o.recursive && !o.noNameCheck) {
      try {
        patterns = braceExpand(src);
      } catch (e) {
        if (e instanceof BracePatternError) throw new ScpFatal(`brace_expand: ${e.message}`);
        throw e;
      }
    }
    let times: { mtimeSec: number; atimeSec: number } | null = null;
    for (let first = true; ; first = false) {
      const b = await this.input.byte();
      if (b < 0) return;
      if (b === 0x0a) await this.screwup("unexpected <newline>");
      const raw = await this.readRecord(b);
      if (raw === null) return this.screwup("lost connection");
      if (o.verbose) o.stderr(`Sink: ${visTerminal(pathText(raw))}`);
      const rec = parseSinkRecord(raw);
      switch (rec.kind) {
        case "error":
          if (!o.remote) o.stderr(visTerminal(rec.message));
          if (rec.fatal) throw new ScpExit(1);
          this.errs++;
          continue;
        case "end":
          await this.send(new Uint8Array(1));
          return;
        case "times":
          times = rec.inRange ? { mtimeSec: rec.mtimeSec, atimeSec: rec.atimeSec } : null;
          await this.send(new Uint8Array(1));
          continue;
        case "unexpected":
          if (first) {
            await this.runErr(rec.text);
            throw new ScpExit(1);
          }
          return this.screwup("expected control record");
        case "bad-name":
          await this.runErr(`error: unexpected filename: ${rec.name}`);
          throw new ScpExit(1);
        case "protocol-error":
          return this.screwup(rec.why);
        case "file":
        case "dir":
          break;
      }
      let mode = rec.mode;
      if (!o.preserve) mode &= ~mask;
      if (patterns.length > 0 && !patterns.some((p) => p === rec.name || fnmatch(p, rec.name))) {
        await this.screwup("filename does not match request");
      }
      const np = targIsDir ? `${targ}${targ !== "/" ? "/" : ""}${rec.name}` : targ;
      const st = statOrNull(np);
      if (rec.kind === "dir") {
        if (!o.recursive) await this.screwup("received directory without -r");
        let modFlag = o.preserve;
        try {
          if (st !== null) {
            if (!st.isDirectory()) throw { code: "ENOTDIR" };
            if (o.preserve) tryChmod(np, mode);
          } else {
            modFlag = true; // copying from a read-only directory: created writable, its mode set at the end
            mkdirSync(localPath(np), mode | 0o700);
          }
        } catch (e) {
          await this.runErr(`${np}: ${strerror(e)}`);
          continue;
        }
        await this.sink(np, src);
        if (times !== null) {
          const t = times;
          times = null;
          try {
            utimesSync(localPath(np), t.atimeSec, t.mtimeSec);
          } catch {
            // scp.c ignores utimes() on directories
          }
        }
        if (modFlag) tryChmod(np, mode);
        continue;
      }
      await this.receiveFile(np, rec.name, rec.size, mode, mask, st, times);
      times = null;
    }
  }

  private async receiveFile(
    np: string,
    name: string,
    size: number,
    modeIn: number,
    mask: number,
    st: Stats | null,
    times: { mtimeSec: number; atimeSec: number } | null,
  ): Promise<void> {
    const o = this.opts;
    const omode = modeIn;
    const mode = modeIn | 0o200;
    let fd: number;
    try {
      fd = openSync(localPath(np), constants.O_WRONLY | constants.O_CREAT, mode);
    } catch (e) {
      await this.runErr(`${np}: ${strerror(e)}`);
      return;
    }
    await this.send(new Uint8Array(1));
    const meter = o.progress?.();
    meter?.start(name, size, 0);
    let wrerr = false;
    let pos = 0;
    try {
      while (pos < size) {
        const chunk = await this.input.read(Math.min(BLOCK, size - pos));
        if (chunk === null) {
          // scp.c: atomicio() saw the end of the stream (errno EPIPE): the file is not complete, and scp says so
          await this.runErr(strerror(EPIPE));
          throw new ScpExit(1);
        }
        meter?.update(pos + chunk.length);
        if (o.limit !== undefined) await o.limit(chunk.length);
        if (!wrerr) {
          try {
            let done = 0;
            while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done); // sequential: write(2), not pwrite(2), as scp.c (a device or /proc file may not seek)
          } catch (e) {
            this.noteErr(`${np}: ${strerror(e)}`);
            wrerr = true;
          }
        }
        pos += chunk.length;
      }
      if (!wrerr && (st === null || st.isFile())) {
        try {
          ftruncateSync(fd, size);
        } catch (e) {
          this.noteErr(`${np}: truncate: ${strerror(e)}`);
        }
      }
      if (o.preserve) {
        if (st !== null || omode !== mode) {
          try {
            fchmodSync(fd, omode);
          } catch (e) {
            this.noteErr(`${np}: set mode: ${strerror(e)}`);
          }
        }
      } else if (st === null && omode !== mode) {
        try {
          fchmodSync(fd, omode & ~mask);
        } catch (e) {
          this.noteErr(`${np}: set mode: ${strerror(e)}`);
        }
      }
    } finally {
      try {
        closeSync(fd);
      } catch (e) {
        this.noteErr(`${np}: close: ${strerror(e)}`);
      }
    }
    await this.response();
    meter?.stop();
    if (times !== null && !wrerr) {
      try {
        utimesSync(localPath(np), times.atimeSec, times.mtimeSec);
      } catch (e) {
        this.noteErr(`${np}: set times: ${strerror(e)}`);
      }
    }
    if (await this.flushNoted()) await this.send(new Uint8Array(1));
  }

  /** scp.c do_times(): the T record for `st`, then the peer's response. */
  private async sendTimes(st: Stats): Promise<number> {
    const rec = formatTimesRecord(Math.floor(st.mtimeMs / 1000), Math.floor(st.atimeMs / 1000));
    if (this.opts.verbose) {
      this.opts.stderr(`File mtime ${Math.floor(st.mtimeMs / 1000)} atime ${Math.floor(st.atimeMs / 1000)}\n`);
      this.opts.stderr(`Sending file timestamps: ${rec}`);
    }
    await this.send(rec);
    return this.response();
  }

  /** scp.c source(): sends each file (and with -r each directory) named. */
  async source(names: readonly string[]): Promise<void> {
    const o = this.opts;
    for (let name of names) {
      while (name.length > 1 && name.endsWith("/")) name = name.slice(0, -1);
      let fd = -1;
      try {
        let st: Stats;
        try {
          fd = openSync(localPath(name), constants.O_RDONLY | constants.O_NONBLOCK);
          st = fstatSync(fd);
        } catch (e) {
          await this.runErr(`${shown(name)}: ${strerror(e)}`);
          continue;
        }
        if (st.isDirectory() && o.recursive) {
          closeSync(fd);
          fd = -1;
          await this.sendDirectory(name, st);
          continue;
        }
        if (!st.isFile()) {
          await this.runErr(`${shown(name)}: not a regular file`);
          continue;
        }
        const slash = name.lastIndexOf("/");
        const last = slash >= 0 ? name.slice(slash + 1) : name;
        if (o.preserve && (await this.sendTimes(st)) < 0) continue;
        const rec = formatFileRecord(st.mode, st.size, shown(last));
        if (o.verbose) o.stderr(`Sending file modes: ${rec}`);
        await this.send(rec);
        if ((await this.response()) < 0) continue;
        const meter = o.progress?.();
        meter?.start(shown(last), st.size, 0);
        let haderr: unknown = null;
        for (let i = 0; i < st.size; ) {
          const amt = Math.min(BLOCK, st.size - i);
          const buf = new Uint8Array(amt);
          if (haderr === null) {
            let nr = 0;
            try {
              while (nr < amt) {
                const r = readSync(fd, buf, nr, amt - nr, null);
                if (r === 0) break;
                nr += r;
              }
              if (nr !== amt) haderr = EPIPE; // the file shrank: atomicio()'s EPIPE; zeros keep the peer in step
            } catch (e) {
              haderr = e;
            }
          }
          // after an error the rest is zeros, still sent: the sink counts on `size` bytes
          await this.send(buf);
          if (haderr === null) meter?.update(i + amt);
          if (o.limit !== undefined) await o.limit(amt);
          i += amt;
        }
        try {
          closeSync(fd);
        } catch (e) {
          haderr ??= e;
        }
        fd = -1;
        if (haderr === null) await this.send(new Uint8Array(1));
        else await this.runErr(`${shown(name)}: ${strerror(haderr)}`);
        await this.response();
        meter?.stop();
      } finally {
        if (fd >= 0) {
          try {
            closeSync(fd);
          } catch {
            // already reported or irrelevant
          }
        }
      }
    }
  }

  /** scp.c rsource(): D record, the entries, E. */
  private async sendDirectory(name: string, st: Stats): Promise<void> {
    let entries: string[];
    try {
      entries = readdirSync(localPath(name), { encoding: "buffer" }).map((b) => pathText(b));
    } catch (e) {
      await this.runErr(`${name}: ${strerror(e)}`);
      return;
    }
    const slash = name.lastIndexOf("/");
    const last = slash >= 0 ? name.slice(slash + 1) : name;
    if (this.opts.preserve && (await this.sendTimes(st)) < 0) return;
    const rec = formatDirRecord(st.mode, last);
    if (this.opts.verbose) this.opts.stderr(`Entering directory: ${rec}`);
    await this.send(rec);
    if ((await this.response()) < 0) return;
    for (const entry of entries) {
      if (pathBytes(name).length + 1 + pathBytes(entry).length >= PATH_MAX - 1) {
        await this.runErr(`${name}/${entry}: name too long`);
        continue;
      }
      await this.source([`${name}/${entry}`]);
    }
    await this.send("E\n");
    await this.response();
  }
}

/** scp.c source(): a name with a newline goes out strnvis(VIS_NL)-encoded, so it cannot end the record early. */
function shown(name: string): string {
  return name.includes("\n") ? name.replaceAll("\\", "\\\\").replaceAll("\n", "\\^J") : name;
}

function tryChmod(path: string, mode: number): void {
  try {
    chmodSync(localPath(path), mode);
  } catch {
    // scp.c: (void) chmod()
  }
}

keepOutOfFtl([ByteInput, LegacyScp]);
