// cmd/tty-line-reader.ts over a fake terminal: raw mode only while a line is read and given back on each way out,
// keys typed during a completion kept in order, a lone ESC given up on, the input closed as EOF.
import { expect, test } from "bun:test";
import { TtyLineReader, type TtyInput } from "../../../cmd/tty-line-reader.ts";

function fakeTty() {
  const modes: boolean[] = [];
  let onData: (c: Uint8Array | string) => void = () => {};
  let onEnd: () => void = () => {};
  let paused = true;
  const input: TtyInput = {
    setRawMode: (raw) => modes.push(raw),
    on: ((event: string, f: (c?: never) => void) => {
      if (event === "data") onData = f as never;
      else onEnd = f as never;
    }) as TtyInput["on"],
    pause: () => (paused = true),
    resume: () => (paused = false),
  };
  let out = "";
  return {
    input, modes,
    get paused() {
      return paused;
    },
    get out() {
      return out;
    },
    write: (t: string) => void (out += t),
    type: (s: string) => onData(new TextEncoder().encode(s)),
    end: () => onEnd(),
  };
}

test("raw while reading, cooked after each line, at EOF and at close", async () => {
  const t = fakeTty();
  const r = new TtyLineReader({ prompt: "sftp> ", input: t.input, write: t.write, columns: () => 80 });
  const first = r.readLine();
  expect(r.reading).toBe(true);
  expect(t.paused).toBe(false);
  // a paste of two lines: the second waits for the next readLine
  t.type("pwd\rls");
  expect(await first).toBe("pwd");
  expect(t.modes).toEqual([true, false]);
  expect(t.paused).toBe(true);
  const second = r.readLine();
  t.type("\r");
  expect(await second).toBe("ls");
  // ^C: a fresh prompt, the same read goes on; ^D on the empty line ends it
  const third = r.readLine();
  t.type("junk\x03\x04");
  expect(await third).toBeNull();
  expect(t.out).toBe("sftp> pwd\r\nsftp> ls\r\nsftp> junk\r\nsftp> ^D");
  expect(t.modes).toEqual([true, false, true, false, true, false]);
  // the terminal closed under a read
  const fourth = r.readLine();
  t.end();
  expect(await fourth).toBeNull();
  expect(t.modes.at(-1)).toBe(false);
  r.close();
});

test("keys typed while a completion runs are applied after it, in order; a failed completion rings the bell", async () => {
  const t = fakeTty();
  let release: () => void = () => {};
  const calls: [string, number][] = [];
  const r = new TtyLineReader({
    prompt: "> ", input: t.input, write: t.write, columns: () => 80,
    complete: async (line, cursor) => {
      calls.push([line, cursor]);
      if (line === "bad") throw new Error("connection lost");
      await new Promise<void>((resolve) => (release = resolve));
      return { insert: "sion ", display: null };
    },
  });
  const line = r.readLine();
  t.type("ver\tx\r");
  await Bun.sleep(5);
  release();
  expect(await line).toBe("version x");
  expect(calls).toEqual([["ver", 3]]);
  const bad = r.readLine();
  t.type("bad\t\r");
  expect(await bad).toBe("bad");
  expect(t.out.endsWith("> bad\x07\r\n")).toBe(true);
  r.close();
});

test("history across reads; an ESC alone is dropped after a moment, then keys go on", async () => {
  const t = fakeTty();
  const r = new TtyLineReader({ prompt: "> ", input: t.input, write: t.write, columns: () => 80 });
  const a = r.readLine();
  t.type("get x\r");
  await a;
  const b = r.readLine();
  t.type("\x1b");
  await Bun.sleep(150);
  t.type("\x1b[A!\r");
  expect(await b).toBe("get x!");
  r.close();
});

test("interrupt() (a SIGINT at the prompt) acts as ^C", async () => {
  const t = fakeTty();
  const r = new TtyLineReader({ prompt: "> ", input: t.input, write: t.write, columns: () => 80 });
  const a = r.readLine();
  t.type("half");
  r.interrupt();
  t.type("whole\r");
  expect(await a).toBe("whole");
  expect(t.out).toBe("> half\r\n> whole\r\n");
  r.close();
});
