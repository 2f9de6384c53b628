// Lines read from a terminal through the LineEditor (cmd/line-editor.ts), as libedit's el_gets() reads them for
// sftp: the terminal is raw (no echo, no signals, byte at a time) only while a line is being typed, and is given back
// as it was on every way out (the line, EOF, an error, a signal that ends the process, the process's exit).
import { KeyDecoder, LineEditor, type Key } from "./line-editor.ts";
import type { Completion } from "./sftp-complete.ts";

/** The terminal input: process.stdin when it is a tty (Node's tty.ReadStream). */
export interface TtyInput {
  setRawMode(raw: boolean): unknown;
  on(event: "data", f: (chunk: Uint8Array | string) => void): unknown;
  on(event: "end", f: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

export interface TtyLineReaderOptions {
  readonly prompt: string;
  readonly input: TtyInput;
  readonly write: (text: string) => void;
  readonly columns: () => number;
  /** TAB: what to insert and which choices to show. */
  readonly complete?: (line: string, cursor: number) => Promise<Completion>;
}

/** How long an ESC may wait for the rest of its sequence (libedit waits for the next byte; keys come in one write). */
const ESC_WAIT_MS = 100;

/** Reads edited lines from a terminal; one reader per terminal for the life of the program. */
export class TtyLineReader {
  private readonly decoder = new KeyDecoder();
  private readonly editor: LineEditor;
  private readonly queue: Key[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  private raw = false;
  private escTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly onExit = (): void => this.cooked();

  constructor(private readonly opts: TtyLineReaderOptions) {
    this.editor = new LineEditor({ prompt: opts.prompt, columns: opts.columns, write: opts.write });
    opts.input.on("data", (chunk) => {
      const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
      this.push(this.decoder.feed(bytes));
      if (this.decoder.waiting && this.escTimer === null) {
        this.escTimer = setTimeout(() => {
          this.escTimer = null;
          this.push(this.decoder.flush());
        }, ESC_WAIT_MS);
      }
    });
    opts.input.on("end", () => {
      this.ended = true;
      this.notify();
    });
    process.on("exit", this.onExit);
  }

  /** Whether a line is being read now (the terminal is raw). */
  get reading(): boolean {
    return this.raw;
  }

  /** A SIGINT that reached us while a line is typed: as ^C, the line is dropped and a fresh prompt shown. */
  interrupt(): void {
    this.push([{ name: "interrupt" }]);
  }

  /** The lines, until EOF (^D on an empty line, or the terminal closed). */
  async *lines(): AsyncGenerator<string> {
    for (;;) {
      const line = await this.readLine();
      if (line === null) return;
      yield line;
    }
  }

  /** One line, without its newline; null at EOF. */
  async readLine(): Promise<string | null> {
    this.rawMode();
    try {
      this.editor.begin();
      for (;;) {
        const k = await this.nextKey();
        if (k === null) {
          this.opts.write("\r\n");
          return null;
        }
        const r = this.editor.key(k);
        if (r === null) continue;
        switch (r.kind) {
          case "line":
            this.editor.remember(r.line);
            return r.line;
          case "eof":
            return null;
          case "interrupt":
            this.editor.begin();
            break;
          case "complete": {
            let c: Completion = { insert: "", display: null };
            if (this.opts.complete !== undefined) {
              try {
                c = await this.opts.complete(this.editor.line, this.editor.cursorOffset);
              } catch {
                // a completion that failed completes nothing
              }
            }
            this.editor.applyCompletion(c.insert, c.display);
            break;
          }
          case "suspend":
            // ^Z: the terminal as the shell expects it, then stop; once continued, raw again and the line redrawn
            this.cooked();
            process.kill(process.pid, "SIGTSTP");
            this.rawMode();
            this.editor.redraw();
            break;
        }
      }
    } finally {
      this.cooked();
    }
  }

  /** Gives the terminal back (also done at process exit). */
  close(): void {
    this.cooked();
    process.off("exit", this.onExit);
    if (this.escTimer !== null) clearTimeout(this.escTimer);
  }

  private rawMode(): void {
    if (this.raw) return;
    this.opts.input.setRawMode(true);
    this.opts.input.resume();
    this.raw = true;
  }

  private cooked(): void {
    if (!this.raw) return;
    this.raw = false;
    try {
      this.opts.input.setRawMode(false);
    } catch {
      // the terminal is gone
    }
    this.opts.input.pause();
  }

  private push(keys: Key[]): void {
    if (keys.length === 0) return;
    this.queue.push(...keys);
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async nextKey(): Promise<Key | null> {
    while (this.queue.length === 0) {
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return this.queue.shift()!;
  }
}
