// An emacs-style line editor for interactive prompts (what sftp.c gets from libedit with EL_EDITOR "emacs"): the pure
// part, from terminal input bytes to keys (KeyDecoder) and from keys to the line, its history and the terminal output
// that redraws it (LineEditor). No I/O here: cmd/tty-line-reader.ts joins it to a terminal.

/** A decoded key: printable text (one character) or a named editing key. */
export type Key = { readonly text: string } | { readonly name: KeyName };

export type KeyName =
  | "left" | "right" | "home" | "end" | "up" | "down" | "word-left" | "word-right"
  | "backspace" | "delete" | "delete-or-eof" | "kill-to-end" | "kill-line" | "delete-prev-word" | "delete-next-word"
  | "yank" | "transpose" | "clear-screen" | "enter" | "tab" | "interrupt" | "suspend";

const CONTROL_KEYS: Readonly<Record<number, KeyName>> = {
  0x01: "home", 0x02: "left", 0x03: "interrupt", 0x04: "delete-or-eof", 0x05: "end", 0x06: "right", 0x08: "backspace",
  0x09: "tab", 0x0a: "enter", 0x0b: "kill-to-end", 0x0c: "clear-screen", 0x0d: "enter", 0x0e: "down", 0x10: "up",
  0x14: "transpose", 0x15: "kill-line", 0x17: "delete-prev-word", 0x19: "yank", 0x1a: "suspend", 0x7f: "backspace",
};

/** CSI / SS3 sequences (xterm, VT220, rxvt, the Linux console) by their text after ESC. */
const ESCAPE_KEYS: Readonly<Record<string, KeyName>> = {
  "[A": "up", "[B": "down", "[C": "right", "[D": "left", "[H": "home", "[F": "end",
  OA: "up", OB: "down", OC: "right", OD: "left", OH: "home", OF: "end",
  "[1~": "home", "[7~": "home", "[4~": "end", "[8~": "end", "[3~": "delete",
  // sftp.c binds ^[[1;5C / ^[^[[C to em-next-word and ^[[1;5D / ^[^[[D to ed-prev-word
  "[1;5C": "word-right", "[1;5D": "word-left", "[1;3C": "word-right", "[1;3D": "word-left",
  b: "word-left", B: "word-left", f: "word-right", F: "word-right", d: "delete-next-word", D: "delete-next-word",
  "\x7f": "delete-prev-word", "\b": "delete-prev-word",
};

/**
 * Terminal input bytes to keys. UTF-8 characters and escape sequences may be split across reads: what is incomplete
 * waits for the next feed() (a lone ESC that nothing follows is dropped by flush()).
 */
export class KeyDecoder {
  private readonly utf8 = new TextDecoder("utf-8", { fatal: false });
  private pending = "";

  /** The keys completed by `bytes`. */
  feed(bytes: Uint8Array): Key[] {
    this.pending += this.utf8.decode(bytes, { stream: true });
    return this.drain(false);
  }

  /** Whether an escape sequence is waiting for its end. */
  get waiting(): boolean {
    return this.pending !== "";
  }

  /** Gives up on a partial escape sequence (the user pressed ESC alone); returns what it still yields. */
  flush(): Key[] {
    return this.drain(true);
  }

  private drain(final: boolean): Key[] {
    const keys: Key[] = [];
    const s = this.pending;
    let i = 0;
    while (i < s.length) {
      const c = s.codePointAt(i)!;
      if (c === 0x1b) {
        const n = escapeLength(s, i);
        if (n === 0) {
          if (!final) break; // incomplete: wait for more bytes
          i = s.length; // ESC alone, or a sequence cut short for good: dropped
          break;
        }
        let seq = s.slice(i + 1, i + n);
        const meta = seq.startsWith("\x1b");
        if (meta) seq = seq.slice(1); // ESC ESC [C: meta + arrow, which sftp.c binds to the word motions
        let name = ESCAPE_KEYS[seq];
        if (meta && name === "right") name = "word-right";
        else if (meta && name === "left") name = "word-left";
        if (name !== undefined) keys.push({ name });
        i += n;
        continue;
      }
      const ch = String.fromCodePoint(c);
      i += ch.length;
      if (c < 0x20 || c === 0x7f) {
        const name = CONTROL_KEYS[c];
        if (name !== undefined) keys.push({ name });
      } else if (c >= 0x80 && c < 0xa0) {
        // C1 controls: never inserted
      } else keys.push({ text: ch });
    }
    this.pending = s.slice(i);
    return keys;
  }
}

/** Length of the escape sequence at s[i] (ESC included), or 0 when it has not all arrived. */
function escapeLength(s: string, i: number): number {
  let j = i + 1;
  if (j >= s.length) return 0;
  if (s[j] === "\x1b") {
    // ESC ESC <sequence>: meta + key
    const inner = escapeLength(s, j);
    return inner === 0 ? 0 : inner + 1;
  }
  if (s[j] === "[") {
    j++;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c >= 0x40 && c <= 0x7e) return j - i + 1; // the final byte
      if (c < 0x20 || c > 0x3f) return j - i; // not a CSI parameter: end the sequence before it
      j++;
    }
    return 0;
  }
  if (s[j] === "O") return j + 1 < s.length ? j - i + 2 : 0;
  return String.fromCodePoint(s.codePointAt(j)!).length + 1; // ESC <char>: meta
}

/** Columns a character takes on a terminal: 0 for combining marks, 2 for East Asian wide and emoji, else 1. */
export function charWidth(ch: string): number {
  const c = ch.codePointAt(0)!;
  if (c < 0x20 || (c >= 0x7f && c < 0xa0)) return 0;
  if (/^[\p{Mn}\p{Me}\u200b-\u200f\u2060]/u.test(ch)) return 0;
  if (
    (c >= 0x1100 && c <= 0x115f) || c === 0x2329 || c === 0x232a || (c >= 0x2e80 && c <= 0x303e) ||
    (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0xa000 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1f64f) || (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Display width of a string (sum of its characters). */
export function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

/** libedit ce__isword(): the characters that make words for ^W and the word motions. */
const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /^[\p{L}\p{N}*?_\-.[\]~=]/u.test(ch);

/** What a key did to the line being read. */
export type EditOutcome =
  | { readonly kind: "line"; readonly line: string } // enter: the line (without newline)
  | { readonly kind: "eof" } // ^D on an empty line
  | { readonly kind: "interrupt" } // ^C: the line is dropped
  | { readonly kind: "complete" } // TAB: the caller completes, then calls applyCompletion()
  | { readonly kind: "suspend" } // ^Z: the caller stops the process, then calls redraw()
  | null; // editing goes on

export interface LineEditorOptions {
  readonly prompt: string;
  /** The terminal's width now (asked at each redraw, so a resize is followed). */
  readonly columns: () => number;
  /** Terminal output. */
  readonly write: (text: string) => void;
  /** Lines kept for ↑/^P (libedit H_SETSIZE: sftp.c keeps 100). */
  readonly historySize?: number;
}

/**
 * The line being edited: characters (a combining mark stays with its base), cursor, kill buffer and history, and the
 * terminal output that keeps the screen in step (rows wrap at the terminal's width; the cursor moves by character).
 */
export class LineEditor {
  private chars: string[] = [];
  private cursor = 0;
  private killed = "";
  private readonly history: string[] = [];
  private historyPos = 0; // == history.length: the line being typed
  private stash: string[] = []; // the line being typed while history is browsed
  private cursorRow = 0; // terminal row of the cursor, counted from the prompt's row
  private readonly historySize: number;

  constructor(private readonly opts: LineEditorOptions) {
    this.historySize = opts.historySize ?? 100;
  }

  /** The line as typed so far. */
  get line(): string {
    return this.chars.join("");
  }

  /** The cursor as an offset into `line` (UTF-16 units). */
  get cursorOffset(): number {
    return this.chars.slice(0, this.cursor).join("").length;
  }

  /** Starts a new line: an empty buffer and the prompt. */
  begin(): void {
    this.chars = [];
    this.cursor = 0;
    this.cursorRow = 0;
    this.historyPos = this.history.length;
    this.stash = [];
    this.opts.write(this.opts.prompt);
  }

  /** Adds a line to the history (empty lines and repeats of the last one are not kept). */
  remember(line: string): void {
    if (line.trim() === "" || this.history.at(-1) === line) return;
    this.history.push(line);
    if (this.history.length > this.historySize) this.history.shift();
    this.historyPos = this.history.length;
    this.stash = [];
  }

  /** Applies one key. */
  key(k: Key): EditOutcome {
    if ("text" in k) {
      this.insert(k.text);
      return null;
    }
    switch (k.name) {
      case "left":
        if (this.cursor > 0) this.moveTo(this.cursor - 1);
        return null;
      case "right":
        if (this.cursor < this.chars.length) this.moveTo(this.cursor + 1);
        return null;
      case "home":
        this.moveTo(0);
        return null;
      case "end":
        this.moveTo(this.chars.length);
        return null;
      case "word-left":
        this.moveTo(this.prevWord());
        return null;
      case "word-right":
        this.moveTo(this.nextWord());
        return null;
      case "up":
        this.browse(-1);
        return null;
      case "down":
        this.browse(1);
        return null;
      case "backspace":
        if (this.cursor > 0) this.cut(this.cursor - 1, this.cursor, false);
        return null;
      case "delete":
        if (this.cursor < this.chars.length) this.cut(this.cursor, this.cursor + 1, false);
        return null;
      case "delete-or-eof":
        // libedit em-delete-or-list: EOF only on an empty line; at the end of a line, nothing to delete
        if (this.chars.length === 0) {
          this.opts.write("^D");
          return { kind: "eof" };
        }
        if (this.cursor < this.chars.length) this.cut(this.cursor, this.cursor + 1, false);
        else this.opts.write("\x07");
        return null;
      case "kill-to-end":
        this.cut(this.cursor, this.chars.length, true);
        return null;
      case "kill-line":
        this.cut(0, this.chars.length, true);
        return null;
      case "delete-prev-word":
        this.cut(this.prevWord(), this.cursor, true);
        return null;
      case "delete-next-word":
        this.cut(this.cursor, this.nextWord(), true);
        return null;
      case "yank":
        this.insert(this.killed);
        return null;
      case "transpose":
        this.transpose();
        return null;
      case "clear-screen":
        this.opts.write("\x1b[H\x1b[2J");
        this.cursorRow = 0;
        this.refresh(true);
        return null;
      case "enter": {
        const line = this.line;
        this.finish();
        return { kind: "line", line };
      }
      case "interrupt":
        this.finish();
        return { kind: "interrupt" };
      case "tab":
        return { kind: "complete" };
      case "suspend":
        this.finish();
        return { kind: "suspend" };
    }
  }

  /**
   * A completion's result: `insert` goes in at the cursor; `display` (lines of choices) is shown under the line,
   * which is then drawn again; neither rings the bell.
   */
  applyCompletion(insert: string, display: string | null): void {
    if (display !== null) {
      this.moveTo(this.chars.length);
      this.opts.write(`\r\n${display.replace(/\r?\n/g, "\r\n")}`);
      this.cursorRow = 0;
      this.insert(insert, true);
      this.refresh(true);
    } else if (insert !== "") this.insert(insert);
    else this.opts.write("\x07");
  }

  /** Draws the prompt and line anew on a fresh row (after a suspend, or output that came between). */
  redraw(): void {
    this.cursorRow = 0;
    this.refresh(true);
  }

  /** Moves the cursor to the end of the line and the terminal to a new row: the line is done. */
  private finish(): void {
    this.moveCursorOutput(this.layoutTo(this.cursor), this.layoutTo(this.chars.length));
    this.opts.write("\r\n");
    this.cursorRow = 0;
  }

  private insert(text: string, quiet = false): void {
    if (text === "") return;
    const atEnd = this.cursor === this.chars.length;
    const before = this.layoutTo(this.chars.length);
    let added = 0;
    for (const ch of text) {
      const prev = this.chars[this.cursor - 1];
      if (charWidth(ch) === 0 && this.cursor > 0 && prev !== undefined && ch.codePointAt(0)! >= 0x300) {
        this.chars[this.cursor - 1] = prev + ch; // a combining mark joins the character before it
      } else {
        this.chars.splice(this.cursor, 0, ch);
        this.cursor++;
        added++;
      }
    }
    if (quiet) return;
    const after = this.layoutTo(this.chars.length);
    // typing at the end of a line that does not reach the margin: the characters alone
    if (atEnd && added > 0 && after.row === before.row && after.col > before.col) {
      this.opts.write(text);
      return;
    }
    // ... or that ends exactly at it: then on to the next row, where the terminal's cursor has not gone yet
    if (atEnd && added > 0 && after.row === before.row + 1 && after.col === 0 && before.col + textWidth(text) === this.opts.columns()) {
      this.opts.write(`${text}\r\n`);
      this.cursorRow = after.row;
      return;
    }
    this.refresh(false);
  }

  private cut(from: number, to: number, keep: boolean): void {
    if (to <= from) return;
    const removed = this.chars.splice(from, to - from).join("");
    if (keep) this.killed = removed;
    this.cursor = from;
    this.refresh(false);
  }

  private transpose(): void {
    // libedit ed-transpose-chars: at the end of the line the two characters before the cursor
    if (this.chars.length < 2 || this.cursor === 0) return void this.opts.write("\x07");
    const at = this.cursor === this.chars.length ? this.cursor - 1 : this.cursor;
    const a = this.chars[at - 1]!;
    this.chars[at - 1] = this.chars[at]!;
    this.chars[at] = a;
    this.cursor = at + 1;
    this.refresh(false);
  }

  private prevWord(): number {
    let i = this.cursor;
    while (i > 0 && !isWordChar(this.chars[i - 1])) i--;
    while (i > 0 && isWordChar(this.chars[i - 1])) i--;
    return i;
  }

  private nextWord(): number {
    let i = this.cursor;
    while (i < this.chars.length && !isWordChar(this.chars[i])) i++;
    while (i < this.chars.length && isWordChar(this.chars[i])) i++;
    return i;
  }

  private browse(step: number): void {
    const to = this.historyPos + step;
    if (to < 0 || to > this.history.length) return void this.opts.write("\x07");
    if (this.historyPos === this.history.length) this.stash = this.chars;
    this.historyPos = to;
    this.chars = to === this.history.length ? this.stash : [...joinMarks(this.history[to]!)];
    this.cursor = this.chars.length;
    this.refresh(false);
  }

  private moveTo(index: number): void {
    if (index === this.cursor) return;
    const from = this.layoutTo(this.cursor);
    this.cursor = index;
    this.moveCursorOutput(from, this.layoutTo(index));
  }

  /** Terminal row and column after the prompt and the first `n` characters (a wide character never straddles rows). */
  private layoutTo(n: number): { row: number; col: number } {
    const columns = Math.max(this.opts.columns(), 1);
    let row = 0;
    let col = 0;
    const place = (ch: string): void => {
      const w = charWidth(ch);
      if (w === 0) return;
      if (col + w > columns) {
        row++;
        col = 0;
      }
      col += w;
      if (col >= columns) {
        row++;
        col = 0;
      }
    };
    for (const ch of this.opts.prompt) place(ch);
    for (let i = 0; i < n && i < this.chars.length; i++) for (const ch of this.chars[i]!) place(ch);
    return { row, col };
  }

  private moveCursorOutput(from: { row: number; col: number }, to: { row: number; col: number }): void {
    this.cursorRow = to.row;
    if (from.row === to.row && from.col === to.col) return;
    let out = "";
    if (to.row < from.row) out += `\x1b[${from.row - to.row}A`;
    else if (to.row > from.row) out += `\x1b[${to.row - from.row}B`;
    out += "\r";
    if (to.col > 0) out += `\x1b[${to.col}C`;
    this.opts.write(out);
    this.cursorRow = to.row;
  }

  /** Redraws prompt and line from the prompt's first row, clearing what the old line left below, and places the cursor. */
  private refresh(fromHere: boolean): void {
    let out = "";
    if (!fromHere && this.cursorRow > 0) out += `\x1b[${this.cursorRow}A`;
    out += `\r\x1b[J${this.opts.prompt}${this.line}`;
    const end = this.layoutTo(this.chars.length);
    // text that ends exactly at the margin leaves the terminal's cursor on the last column: go to the next row
    if (end.col === 0 && end.row > 0) out += "\r\n";
    this.opts.write(out);
    this.cursorRow = end.row;
    const at = this.layoutTo(this.cursor);
    if (at.row !== end.row || at.col !== end.col) this.moveCursorOutput(end, at);
  }
}

/** A string's characters with each combining mark kept on the character before it. */
function* joinMarks(s: string): Generator<string> {
  let cur = "";
  for (const ch of s) {
    if (cur !== "" && charWidth(ch) === 0 && ch.codePointAt(0)! >= 0x300) cur += ch;
    else {
      if (cur !== "") yield cur;
      cur = ch;
    }
  }
  if (cur !== "") yield cur;
}
