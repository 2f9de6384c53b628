// OpenSSH's sftp client (`sftp -D`, no ssh in between) against our sftp-server: files byte-identical both ways,
// sparse files, the batch commands, error paths, flags and log lines, each compared with OpenSSH's own sftp-server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync, closeSync, ftruncateSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sshboxBinary, run } from "../helpers/binary.ts";
import { OPENSSH, exec, havePeers } from "../helpers/openssh.ts";

const haveOpenssh = havePeers(OPENSSH.sftp, OPENSSH.sftpServer);
const TIMEOUT = 120000;

let scratch = "";
let ours = "";
beforeAll(async () => {
  if (!haveOpenssh) return;
  scratch = realpathSync(mkdtempSync(join(tmpdir(), "sftp-interop-")));
  mkdirSync(join(scratch, "bin"));
  ours = join(scratch, "bin", "sftp-server"); // invoked through a link named sftp-server, as sshd would
  symlinkSync(await sshboxBinary(), ours);
}, TIMEOUT);
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const sha256 = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
let n = 0;
function workdir(): string {
  const d = join(scratch, `w${n++}`);
  mkdirSync(d);
  return d;
}

/** Runs `sftp -b batch -D server` in `cwd`. */
async function sftp(server: string, cwd: string, batch: string, extraServerArgs = ""): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const file = join(cwd, "..", `batch-${n++}`);
  writeFileSync(file, batch);
  return exec([OPENSSH.sftp, "-b", file, "-D", extraServerArgs ? `${server} ${extraServerArgs}` : server], { cwd });
}

describe.skipIf(!haveOpenssh)("OpenSSH sftp -D against our sftp-server", () => {
  test.each([0, 1, 32767, 32768, 32769, 200 * 1024 * 1024])("%i bytes: put and get are byte-identical (sha256)", async (size) => {
    const d = workdir();
    const src = join(d, "src");
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
    writeFileSync(src, bytes);
    const r = await sftp(ours, d, "put src up\nget up down\n");
    expect(r.exitCode).toBe(0);
    expect([sha256(join(d, "up")), sha256(join(d, "down"))]).toEqual([sha256(src), sha256(src)]);
    if (size > 1 << 20) rmSync(d, { recursive: true, force: true }); // 200 MiB three times over: not kept until the end
  }, TIMEOUT);

  test("a sparse file comes back with the same bytes (holes read as zeros)", async () => {
    const d = workdir();
    const fd = openSync(join(d, "sparse"), "w");
    writeSync(fd, "head");
    ftruncateSync(fd, 8 * 1024 * 1024);
    writeSync(fd, "tail", 8 * 1024 * 1024 - 4);
    closeSync(fd);
    const r = await sftp(ours, d, "get sparse copy\nput sparse copy2\n");
    expect(r.exitCode).toBe(0);
    expect(sha256(join(d, "copy"))).toBe(sha256(join(d, "sparse")));
    expect(sha256(join(d, "copy2"))).toBe(sha256(join(d, "sparse")));
    expect(statSync(join(d, "copy")).size).toBe(8 * 1024 * 1024);
  }, TIMEOUT);

  // The same batch against OpenSSH's server and ours, in identical directories: the transcripts must match.
  const batch = [
    "mkdir dir", "put data dir/one", "ls dir", "ls -l dir", "ls -la dir", "chmod 600 dir/one", "ls -l dir/one",
    "rename dir/one dir/two", "symlink two dir/link", "ls -l dir", "ln dir/two dir/hard", "ln -s two dir/soft",
    "get dir/link got", "lls got", "-get missing", "-rename dir/two dir/hard", "-rmdir dir", "-mkdir dir", "cd dir", "pwd",
    "get -p two two-p", "cd ..", "rm dir/link", "rm dir/soft", "rm dir/hard", "rm dir/two", "rmdir dir", "ls -1", "df",
    "version", "-ls nope", "chgrp 0 data", "ls -n data", "progress", "put -p data data-p",
  ].join("\n") + "\n";
  test("a batch of commands gives OpenSSH's transcript", async () => {
    const setup = (d: string) => {
      writeFileSync(join(d, "data"), "some data\n");
      utimesSync(join(d, "data"), new Date(2020, 0, 1), new Date(2020, 0, 1)); // an old file: "Jan  1  2020" in ls -l
    };
    const a = workdir();
    const b = workdir();
    setup(a);
    setup(b);
    const theirs = await sftp(OPENSSH.sftpServer, a, batch);
    const mine = await sftp(ours, b, batch);
    const norm = (s: string, d: string) =>
      s.replaceAll(d, "<dir>").replace(/\w{3} [ \d]\d \d\d:\d\d/g, "<date>")
        .replace(/^( +\d+){4} +\d+%$/gm, "<df>"); // df numbers move as the disk does
    expect(mine.exitCode).toBe(theirs.exitCode);
    expect(norm(mine.stdout, b)).toBe(norm(theirs.stdout, a));
    expect(norm(mine.stderr, b)).toBe(norm(theirs.stderr, a));
    expect(theirs.exitCode).toBe(0);
  }, TIMEOUT);

  test("batch mode stops at the first failure, with OpenSSH's message", async () => {
    const a = workdir();
    const b = workdir();
    const theirs = await sftp(OPENSSH.sftpServer, a, "get nothing-here\nmkdir never\n");
    const mine = await sftp(ours, b, "get nothing-here\nmkdir never\n");
    expect({ ...mine, stdout: mine.stdout.replaceAll(b, "<d>"), stderr: mine.stderr.replaceAll(b, "<d>") })
      .toEqual({ ...theirs, stdout: theirs.stdout.replaceAll(a, "<d>"), stderr: theirs.stderr.replaceAll(a, "<d>") });
    expect(mine.exitCode).toBe(1);
  }, TIMEOUT);

  test("-R refuses writes; -P refuses the listed requests; -d picks the start directory", async () => {
    const d = workdir();
    writeFileSync(join(d, "f"), "x");
    const ro = await sftp(ours, d, "get f g\nput f h\n", "-R");
    expect(ro.exitCode).toBe(1);
    expect(ro.stderr).toContain("Permission denied");
    const denied = await sftp(ours, d, "mkdir x\n", "-P mkdir");
    expect(denied.exitCode).toBe(1);
    expect(denied.stderr).toContain("Permission denied");
    mkdirSync(join(d, "start"));
    const start = await sftp(ours, d, "pwd\n", `-d ${join(d, "start")}`);
    expect(start.stdout).toContain(`Remote working directory: ${join(d, "start")}`);
  }, TIMEOUT);

  test("-e -l INFO logs the session in OpenSSH's words", async () => {
    const d = workdir();
    writeFileSync(join(d, "f"), "12345");
    const r = await sftp(ours, d, "put f g\nget nope\n", "-e -l INFO");
    const lines = r.stderr.split(/\r?\n/);
    expect(lines).toContain(`session opened for local user ${(await exec(["id", "-un"])).stdout.trim()} from [UNKNOWN]`);
    expect(lines.some((l) => /^open ".*\/g" flags WRITE,CREATE,TRUNCATE mode 0644$/.test(l))).toBe(true);
    expect(lines.some((l) => /^close ".*\/g" bytes read 0 written 5$/.test(l))).toBe(true);
    expect(lines).toContain("sent status No such file");
    expect(lines.some((l) => l.startsWith("session closed for local user"))).toBe(true);
  }, TIMEOUT);

  test("-e -l DEBUG3: the same log as OpenSSH's server, line for line", async () => {
    const a = workdir();
    const b = workdir();
    for (const d of [a, b]) writeFileSync(join(d, "src"), new Uint8Array(100000));
    const script = "get src got\nls -l\nput src up\nrename up up2\nrm up2\nmkdir q\nrmdir q\nsymlink src l\n-get nope\nchmod 600 src\ndf\n";
    const theirs = await sftp(OPENSSH.sftpServer, a, script, "-e -l DEBUG3");
    const mine = await sftp(ours, b, script, "-e -l DEBUG3");
    // left out: an allocation note of theirs, and their users-groups-by-id count (9.2 counts groups as users)
    const norm = (s: string, d: string) =>
      s.replaceAll(d, "<dir>").split(/\r?\n/).filter((l) => !/process_read: allocate|^users-groups-by-id: /.test(l))
        .map((l) => l.replace(/modtime \S+/, "modtime <t>")).join("\n");
    expect(norm(mine.stderr, b)).toBe(norm(theirs.stderr, a));
  }, TIMEOUT);
});

describe.skipIf(!haveOpenssh)("sftp-server's command line matches OpenSSH's", () => {
  test.each([["-Q", "requests"], ["-h"], ["-Q", "nonsense"], ["-x"], ["-l", "NONSENSE"]] as string[][])("%s %s", async (...args: string[]) => {
    const theirs = await run([OPENSSH.sftpServer, ...args], { stdin: "" });
    const mine = await run([ours, ...args], { stdin: "" });
    expect(mine).toEqual({ ...theirs, stderr: theirs.stderr.replaceAll(OPENSSH.sftpServer, "sftp-server") });
  }, TIMEOUT);
});
