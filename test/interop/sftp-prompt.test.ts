// Our sftp's interactive prompt on a real terminal (Bun.spawn's `terminal`), against OpenSSH's sftp-server via -D:
// editing with ← and Home, ↑ history, ^C, TAB completion of commands and remote paths, ^D, and the terminal given back
// in its cooked mode when sftp ends.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sshboxBinary } from "../helpers/binary.ts";
import { OPENSSH, havePeers } from "../helpers/openssh.ts";

const haveServer = havePeers(OPENSSH.sftpServer) && Bun.which("stty") !== null;
let dir = "";
let bin = "";
beforeAll(async () => {
  if (!haveServer) return;
  dir = realpathSync(mkdtempSync(join(tmpdir(), "sftp-prompt-")));
  for (const f of ["alpha", "alpine", "beta.txt"]) writeFileSync(join(dir, f), f);
  mkdirSync(join(dir, "subdir"));
  writeFileSync(join(dir, "subdir", "inner.dat"), "x");
  bin = await sshboxBinary();
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** sftp in a pty, then `stty -a` in the same pty to show the mode sftp left it in. */
function startSftp() {
  let out = "";
  const proc = Bun.spawn(["sh", "-c", '"$@"; echo "status=$?"; stty -a', "sh", bin, "sftp", "-D", OPENSSH.sftpServer], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, TERM: "xterm" },
    terminal: { cols: 80, rows: 24, data: (_t, d) => void (out += new TextDecoder().decode(d)) },
  });
  const waitFor = async (text: string, times = 1): Promise<void> => {
    const deadline = Date.now() + 15_000;
    // the editor ends its rows with CR LF, which the pty's output processing may turn into CR CR LF
    while (out.replaceAll("\r\r\n", "\r\n").split(text).length - 1 < times) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)} x${times} in:\n${JSON.stringify(out)}`);
      await Bun.sleep(20);
    }
  };
  const type = (s: string): void => void proc.terminal!.write(s);
  return { proc, waitFor, type, output: () => out.replaceAll("\r\r\n", "\r\n") };
}

test.skipIf(!haveServer)("editing, history, ^C, TAB completion and ^D at the sftp> prompt; the terminal restored", async () => {
  const s = startSftp();
  try {
    await s.waitFor("sftp> ");
    // "pd", ←, "w": pwd
    s.type("pd\x1b[Dw\r");
    await s.waitFor(`Remote working directory: ${dir}\r\n`);
    await s.waitFor("sftp> ", 2);
    // "wd", Home, "p": pwd again; then ↑ brings it back a third time
    s.type("wd\x01p\r");
    await s.waitFor("Remote working directory", 2);
    await s.waitFor("sftp> ", 3);
    s.type("\x1b[A\r");
    await s.waitFor("Remote working directory", 3);
    await s.waitFor("sftp> ", 4);
    // ^C drops a half-typed line
    s.type("rm alpha\x03");
    await s.waitFor("sftp> ", 5);
    // TAB: an ambiguous remote name lists the choices and extends to the common stem; a unique one completes
    s.type("ls -1 al\t");
    await s.waitFor("alpha   alpine  ");
    s.type("\x15ls -1 bet\t\r");
    await s.waitFor("sftp> ls -1 beta.txt \r\n");
    await s.waitFor("beta.txt\r\n");
    // a directory completes with its slash, then the name inside it
    s.type("ls -1 subd\t");
    await s.waitFor("ls -1 subdir/");
    s.type("\t\r");
    await s.waitFor("sftp> ls -1 subdir/inner.dat \r\nsubdir/inner.dat\r\n");
    // a command name, then ^D on an empty line ends sftp
    s.type("vers\t\r");
    await s.waitFor("SFTP protocol version 3\r\n");
    s.type("\x04");
    await s.waitFor("status=0");
    await s.waitFor("eol");
    expect(await s.proc.exited).toBe(0);
    const out = s.output();
    expect(out).toContain("sftp> version \r\n");
    const stty = out.slice(out.indexOf("status=0"));
    // cooked again: canonical input, echo, signals
    expect(stty).toMatch(/[^-]icanon/);
    expect(stty).toMatch(/[^-]echo /);
    expect(stty).toMatch(/[^-]isig/);
    expect(s.output()).not.toContain("rm alpha\r\nRemoving");
  } finally {
    s.proc.kill();
  }
}, 60_000);

test.skipIf(!haveServer)("SIGTERM while a line is typed ends sftp with the terminal given back", async () => {
  const s = startSftp();
  try {
    await s.waitFor("sftp> ");
    s.type("ls al");
    await s.waitFor("sftp> ls al");
    // the shell's child is our sftp (the binary, run by name)
    const children = readFileSync(`/proc/${s.proc.pid}/task/${s.proc.pid}/children`, "utf8").trim().split(/\s+/);
    expect(children.length).toBe(1);
    process.kill(Number(children[0]), "SIGTERM");
    await s.waitFor("status=1");
    await s.waitFor("eol");
    const stty = s.output().slice(s.output().indexOf("status=1"));
    expect(stty).toMatch(/[^-]icanon/);
    expect(stty).toMatch(/[^-]echo /);
    expect(stty).toMatch(/[^-]isig/);
  } finally {
    s.proc.kill();
  }
}, 60_000);
