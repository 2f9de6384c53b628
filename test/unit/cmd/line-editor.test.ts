// The line editor behind sftp's interactive prompt (cmd/line-editor.ts): key decoding across split reads, editing,
// history, wrapping and wide characters, with the terminal output it writes.
import { describe, expect, test } from "bun:test";
import { KeyDecoder, LineEditor, charWidth, textWidth, type EditOutcome, type Key } from "../../../cmd/line-editor.ts";

const enc = new TextEncoder();

/** An editor with a recorded terminal; `type` feeds raw terminal input through a decoder. */
function editor(columns = 80, prompt = "sftp> ") {
  let out = "";
  const ed = new LineEditor({ prompt, columns: () => columns, write: (t) => (out += t) });
  const dec = new KeyDecoder();
  ed.begin();
  const outcomes: EditOutcome[] = [];
  return {
    ed,
    type(input: string): EditOutcome[] {
      for (const k of dec.feed(enc.encode(input))) {
        const r = ed.key(k);
        if (r !== null) outcomes.push(r);
      }
      return outcomes;
    },
    get out() {
      return out;
    },
    clearOut() {
      out = "";
    },
  };
}

describe("KeyDecoder", () => {
  test("printable text, control keys and escape sequences", () => {
    const keys = new KeyDecoder().feed(enc.encode("a\x01\x1b[D\x1bOH\x1b[3~\x7f\t\r\x1b[1;5C\x1b\x1b[D\x1bb"));
    expect(keys).toEqual([
      { text: "a" }, { name: "home" }, { name: "left" }, { name: "home" }, { name: "delete" }, { name: "backspace" },
      { name: "tab" }, { name: "enter" }, { name: "word-right" }, { name: "word-left" }, { name: "word-left" },
    ]);
  });

  test("UTF-8 and escape sequences split across reads", () => {
    const d = new KeyDecoder();
    const bytes = enc.encode("é日\x1b[1;5D");
    const keys: Key[] = [];
    for (const b of bytes) keys.push(...d.feed(Uint8Array.of(b)));
    expect(keys).toEqual([{ text: "é" }, { text: "日" }, { name: "word-left" }]);
    expect(d.waiting).toBe(false);
  });

  test("a lone ESC waits, then flush() drops it; unknown sequences are ignored", () => {
    const d = new KeyDecoder();
    expect(d.feed(enc.encode("x\x1b"))).toEqual([{ text: "x" }]);
    expect(d.waiting).toBe(true);
    expect(d.flush()).toEqual([]);
    expect(d.feed(enc.encode("\x1b[99zq\x07"))).toEqual([{ text: "q" }]);
  });
});

describe("LineEditor", () => {
  test("typing at the end writes just the characters; enter gives the line", () => {
    const e = editor();
    expect(e.type("pwd\r")).toEqual([{ kind: "line", line: "pwd" }]);
    expect(e.out).toBe("sftp> pwd\r\n");
  });

  test("cursor motion and insertion in the middle (← ^A ^E ^B ^F, Home/End sequences)", () => {
    const e = editor();
    e.type("abc\x1b[DX");
    expect(e.ed.line).toBe("abXc");
    e.type("\x01Y\x05Z\x02\x02\x02\x06W");
    expect(e.ed.line).toBe("YabXWcZ");
    e.type("\x1b[HH\x1b[FF");
    expect(e.ed.line).toBe("HYabXWcZF");
    e.type("\x1b\x1b[D\x1b[1;5DV");
    expect(e.ed.line).toBe("VHYabXWcZF");
    expect(e.type("\r").at(-1)).toEqual({ kind: "line", line: "VHYabXWcZF" });
  });

  test("backspace, delete, ^K, ^U, ^W, ^Y, ^T", () => {
    const e = editor();
    e.type("hello world\x7f\x7f");
    expect(e.ed.line).toBe("hello wor");
    e.type("\x01\x1b[3~\x04");
    expect(e.ed.line).toBe("llo wor");
    e.type("\x06\x06\x0b");
    expect(e.ed.line).toBe("ll");
    e.type("\x19\x19");
    expect(e.ed.line).toBe("llo woro wor");
    e.type("\x15");
    expect(e.ed.line).toBe("");
    e.type("get /a/b-c.txt\x17");
    expect(e.ed.line).toBe("get /a/");
    e.type("\x15ab\x14");
    expect(e.ed.line).toBe("ba");
  });

  test("^D: EOF on an empty line only", () => {
    const e = editor();
    e.type("x\x04");
    expect(e.ed.line).toBe("x");
    expect(e.out.endsWith("\x07")).toBe(true);
    expect(e.type("\x7f\x04")).toEqual([{ kind: "eof" }]);
    expect(e.out.endsWith("^D")).toBe(true);
  });

  test("^C drops the line and moves to a new row", () => {
    const e = editor();
    expect(e.type("abc\x03")).toEqual([{ kind: "interrupt" }]);
    expect(e.out).toBe("sftp> abc\r\n");
  });

  test("history: ↑/↓ and ^P/^N, the typed line kept while browsing, 100 lines", () => {
    const e = editor();
    for (const l of ["one", "two", "", "two", "three"]) {
      e.type(`${l}\r`);
      e.ed.remember(l);
      e.ed.begin();
    }
    e.type("new");
    e.type("\x1b[A");
    expect(e.ed.line).toBe("three");
    e.type("\x10\x10");
    expect(e.ed.line).toBe("one");
    e.clearOut();
    e.type("\x10");
    expect(e.out).toBe("\x07");
    e.type("\x0e\x1b[B");
    expect(e.ed.line).toBe("three");
    e.type("\x0e");
    expect(e.ed.line).toBe("new");
    const many = editor();
    for (let i = 0; i < 150; i++) many.ed.remember(`cmd${i}`);
    for (let i = 0; i < 120; i++) many.type("\x10");
    expect(many.ed.line).toBe("cmd50");
  });

  test("wide and combining characters: the cursor moves by character, columns by width", () => {
    expect([charWidth("a"), charWidth("日"), charWidth("\u0301"), textWidth("e\u0301日本")]).toEqual([1, 2, 0, 5]);
    const e = editor();
    e.type("日本e\u0301x");
    expect(e.ed.line).toBe("日本e\u0301x");
    e.clearOut();
    e.type("\x1b[D\x1b[D");
    // prompt 6 columns + 日本 4: the cursor sits before "é", column 10
    expect(e.out).toBe("\r\x1b[11C\r\x1b[10C");
    e.type("\x7f");
    expect(e.ed.line).toBe("日e\u0301x");
    expect(e.ed.cursorOffset).toBe(1);
  });

  test("a long line wraps; moving home goes up a row, and a redraw starts from the prompt's row", () => {
    const e = editor(20, "> ");
    e.type("abcdefghijklmnopqrstuvwxyz");
    // typed at the end: plain text, and a new row where the text meets the margin
    expect(e.out).toBe("> abcdefghijklmnopqr\r\nstuvwxyz");
    e.clearOut();
    e.type("\x01");
    expect(e.out).toBe("\x1b[1A\r\x1b[2C");
    e.clearOut();
    e.type("\x1b[3~");
    expect(e.out).toBe("\r\x1b[J> bcdefghijklmnopqrstuvwxyz\x1b[1A\r\x1b[2C");
    e.clearOut();
    e.type("\x05\x7f");
    expect(e.out).toBe("\x1b[1B\r\x1b[7C\x1b[1A\r\x1b[J> bcdefghijklmnopqrstuvwxy");
  });

  test("text that ends exactly at the margin puts the cursor on the next row", () => {
    const e = editor(10, "> ");
    e.type("1234567");
    e.clearOut();
    e.type("\x010");
    expect(e.out).toBe("\r\x1b[2C\r\x1b[J> 01234567\r\n\x1b[1A\r\x1b[3C");
    e.clearOut();
    e.type("\x05");
    expect(e.out).toBe("\x1b[1B\r");
  });

  test("a wide character that does not fit at the margin goes to the next row", () => {
    const e = editor(8, "> ");
    e.type("12345日");
    e.clearOut();
    e.type("\x01\x05");
    expect(e.out).toBe("\x1b[1A\r\x1b[2C\x1b[1B\r\x1b[2C");
  });

  test("^L clears the screen and redraws", () => {
    const e = editor();
    e.type("ls");
    e.clearOut();
    e.type("\x0c");
    expect(e.out).toBe("\x1b[H\x1b[2J\r\x1b[Jsftp> ls");
  });

  test("completion: inserted text, a list of choices and a redraw, or the bell", () => {
    const e = editor();
    expect(e.type("p\t")).toEqual([{ kind: "complete" }]);
    e.clearOut();
    e.ed.applyCompletion("", "progress  put       pwd       \n");
    expect(e.out).toBe("\r\nprogress  put       pwd       \r\n\r\x1b[Jsftp> p");
    e.clearOut();
    e.ed.applyCompletion("wd ", null);
    expect(e.out).toBe("wd ");
    expect(e.ed.line).toBe("pwd ");
    e.clearOut();
    e.ed.applyCompletion("", null);
    expect(e.out).toBe("\x07");
  });
});
