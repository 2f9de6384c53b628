// The SFTP client library against our server in memory (no processes) and against hostile byte streams: pipelined
// transfers byte-identical at the edge sizes, OpenSSH's error wording, extensions, interrupts, and a broken peer.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeLogger, LogLevel } from "../../../core/log.ts";
import { BufferPool } from "../../../core/wire/index.ts";
import { encodeReply, serveSftp, type SftpReply } from "../../../core/sftp/index.ts";
import {
  SftpClient, SftpClientError, SftpConnectionError, fx2txt, pathBytes, pathText, progressPath, type SftpClientLog,
} from "../../../core/sftp/client.ts";
import { ChunkQueue } from "./harness.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function recordingLog(): SftpClientLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, error: (t) => lines.push(`error: ${t}`), info: (t) => lines.push(`info: ${t}`), debug: () => {}, print: (t) => lines.push(`print: ${t}`) };
}

/** A client wired to our server in a scratch directory. */
async function connected(opts: { bufferBytes?: number; numRequests?: number } = {}) {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "sftp-client-unit-")));
  dirs.push(dir);
  const toServer = new ChunkQueue();
  const toClient = new ChunkQueue();
  const done = serveSftp(toServer, (b) => toClient.push(b.slice()), {
    user: { name: "tester", uid: 4242, home: dir }, logger: makeLogger(LogLevel.QUIET, () => {}), cwd: dir, pool: new BufferPool({ checked: true }),
  });
  void done.then(() => toClient.close());
  const log = recordingLog();
  const c = await SftpClient.init(toClient, { write: (b) => toServer.push(b.slice()), end: () => toServer.close() }, { ...opts, log });
  return { c, dir, log, done, p: (name: string) => join(dir, name) };
}

/** A client whose "server" is a scripted byte stream. */
async function scripted(chunks: Uint8Array[], log = recordingLog()) {
  const q = new ChunkQueue();
  for (const ch of chunks) q.push(ch);
  q.close();
  return SftpClient.init(q, { write: () => {} }, { log });
}
const packet = (r: SftpReply): Uint8Array => encodeReply(r).toBytes();
const VERSION = packet({ type: "version", version: 3, extensions: [] });

function random(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(size, i + 65536)));
  return b;
}

describe("init", () => {
  test("version, extensions and the buffer size limits@openssh.com allows", async () => {
    const { c } = await connected();
    expect(c.version).toBe(3);
    for (const e of ["posix-rename@openssh.com", "statvfs@openssh.com", "limits@openssh.com", "copy-data", "home-directory"]) expect(c.has(e)).toBe(true);
    expect([c.downloadBufferBytes, c.uploadBufferBytes, c.numRequests]).toEqual([261120, 261120, 64]);
    await c.close();
  });
  test("an explicit buffer size is kept", async () => {
    const { c } = await connected({ bufferBytes: 1000, numRequests: 3 });
    expect([c.downloadBufferBytes, c.numRequests]).toEqual([1000, 3]);
    await c.close();
  });
  test("a server that closes at once: Connection closed", async () => {
    await expect(scripted([])).rejects.toThrow(new SftpConnectionError("Connection closed"));
  });
  test("a server that answers INIT with something else", async () => {
    const log = recordingLog();
    await expect(scripted([packet({ type: "status", id: 1, code: 4, message: "", language: "" })], log)).rejects.toThrow("Couldn't initialise connection to server");
    expect(log.lines).toEqual(["error: Invalid packet back from SSH2_FXP_INIT (type 101)"]);
  });
  test("a shell that prints a banner: Received message too long", async () => {
    const log = recordingLog();
    await expect(scripted([new TextEncoder().encode("Welcome to the machine\n")], log)).rejects.toThrow("Ensure the remote shell produces no output for non-interactive sessions.");
    expect(log.lines).toEqual([`error: Received message too long ${0x57656c63}`]);
  });
  test("a reply to no request ends the session", async () => {
    const q = new ChunkQueue();
    q.push(VERSION);
    const c = await SftpClient.init(q, { write: () => {} });
    const pending = c.stat("/");
    q.push(packet({ type: "status", id: 99, code: 0, message: "", language: "" }));
    await expect(pending).rejects.toThrow("Unexpected reply 99");
    await expect(c.stat("/")).rejects.toThrow("Unexpected reply 99");
  });
});

describe("transfers", () => {
  test.each([0, 1, 511, 32767, 32768, 32769, 1000 * 1000 + 3])("%i bytes up and down are byte-identical (small buffers, 3 in flight)", async (size) => {
    const { c, p } = await connected({ bufferBytes: 4096, numRequests: 3 });
    const data = random(size);
    writeFileSync(p("src"), data);
    await c.upload(p("src"), p("up"));
    await c.download(p("up"), p("down"));
    expect(readFileSync(p("up"))).toEqual(Buffer.from(data));
    expect(readFileSync(p("down"))).toEqual(Buffer.from(data));
    await c.close();
  });
  test("resume continues both ways; a local file larger than the remote one is refused", async () => {
    const { c, p } = await connected({ bufferBytes: 1000 });
    const data = random(10_000);
    writeFileSync(p("src"), data);
    writeFileSync(p("part"), data.subarray(0, 3333));
    await c.download(p("src"), p("part"), { resume: true });
    expect(readFileSync(p("part"))).toEqual(Buffer.from(data));
    writeFileSync(p("rpart"), data.subarray(0, 777));
    await c.upload(p("src"), p("rpart"), { resume: true });
    expect(readFileSync(p("rpart"))).toEqual(Buffer.from(data));
    writeFileSync(p("bigger"), random(20_000));
    await expect(c.download(p("src"), p("bigger"), { resume: true })).rejects.toThrow(`Unable to resume download of "${p("bigger")}": local file is larger than remote`);
    await expect(c.upload(p("src"), p("rpart"), { resume: true })).rejects.toThrow(`resume "${p("src")}": destination file same size or larger`);
    await c.close();
  });
  test("an interrupted download fails and keeps only a correct prefix", async () => {
    const { c, p } = await connected({ bufferBytes: 1024, numRequests: 4 });
    const data = random(200_000);
    writeFileSync(p("src"), data);
    const ac = new AbortController();
    const progress = { start: () => {}, update: (n: number) => n > 50_000 && ac.abort(), stop: () => {} };
    await expect(c.download(p("src"), p("dst"), { signal: ac.signal, progress: () => progress })).rejects.toBeInstanceOf(SftpClientError);
    const got = readFileSync(p("dst"));
    expect(got.length).toBeLessThan(200_000);
    expect(got).toEqual(Buffer.from(data.subarray(0, got.length)));
    await c.close();
  });
  test("progress reports the last component and every byte", async () => {
    const { c, p } = await connected({ bufferBytes: 1000 });
    writeFileSync(p("src"), random(5500));
    const seen: string[] = [];
    const progress = () => ({ start: (n: string, t: number, d: number) => seen.push(`start ${n} ${t} ${d}`), update: () => {}, stop: () => seen.push("stop") });
    await c.download(p("src"), p("dst"), { progress });
    await c.upload(p("src"), p("up"), { progress });
    expect(seen).toEqual(["start src 5500 0", "stop", "start src 5500 0", "stop"]);
    expect(progressPath("/a/b/")).toBe("/a/b/");
    await c.close();
  });
  test("-p keeps mode and times both ways", async () => {
    const { c, p } = await connected();
    writeFileSync(p("src"), "x");
    const { utimesSync, chmodSync } = await import("node:fs");
    chmodSync(p("src"), 0o604);
    utimesSync(p("src"), 1_000_000_000, 1_100_000_000);
    await c.download(p("src"), p("down"), { preserve: true });
    await c.upload(p("src"), p("up"), { preserve: true });
    for (const f of ["down", "up"]) {
      const st = statSync(p(f));
      expect([st.mode & 0o777, st.mtimeMs]).toEqual([0o604, 1_100_000_000_000]);
    }
    await c.close();
  });
  test("recursive transfers copy a tree, skip links unless followed, and report file errors", async () => {
    const { c, p, log } = await connected({ bufferBytes: 2048 });
    mkdirSync(p("t/a/b"), { recursive: true });
    writeFileSync(p("t/f"), random(10_000));
    writeFileSync(p("t/a/b/g"), random(3000));
    symlinkSync("f", p("t/link"));
    await c.downloadDir(p("t"), p("down"), { printDirs: true });
    expect(readFileSync(p("down/a/b/g"))).toEqual(readFileSync(p("t/a/b/g")));
    expect(existsSync(p("down/link"))).toBe(false);
    await c.uploadDir(p("t"), p("up"), { followLinks: true });
    expect(readFileSync(p("up/link"))).toEqual(readFileSync(p("t/f")));
    expect(log.lines).toContain(`print: Retrieving ${p("t")}\n`);
    expect(log.lines).toContain(`info: download "${p("t/link")}": not a regular file`);
    await c.close();
  });
  test("a missing or special source is refused in OpenSSH's words", async () => {
    const { c, p } = await connected();
    await expect(c.download(p("nope"), p("x"))).rejects.toThrow("stat remote: No such file or directory");
    await expect(c.download(p(""), p("x"))).rejects.toThrow(`download ${p("")}: not a regular file`);
    await expect(c.upload(p("nope"), p("x"))).rejects.toThrow(`open local "${p("nope")}": No such file or directory`);
    await expect(c.upload(p(""), p("x"))).rejects.toThrow(`local "${p("")}" is not a regular file`);
    writeFileSync(p("f"), "x");
    await expect(c.download(p("f"), p("nodir/x"))).rejects.toThrow(`open local "${p("nodir/x")}": No such file or directory`);
    await c.close();
  });
});

describe("requests", () => {
  test("OpenSSH's error wording", async () => {
    const { c, p } = await connected();
    mkdirSync(p("d"));
    await expect(c.stat(p("nope"))).rejects.toThrow("stat remote: No such file or directory");
    await expect(c.remove(p("nope"))).rejects.toThrow(`remote delete ${p("nope")}: No such file or directory`);
    await expect(c.mkdir(p("d"))).rejects.toThrow(`remote mkdir "${p("d")}": Failure`);
    await expect(c.rmdir(p("nope"))).rejects.toThrow(`remote rmdir "${p("nope")}": No such file or directory`);
    await expect(c.rename(p("nope"), p("x"))).rejects.toThrow(`remote rename "${p("nope")}" to "${p("x")}": No such file or directory`);
    await expect(c.readdir(p("nope"))).rejects.toThrow(`remote readdir("${p("nope")}"): No such file or directory`);
    // the server's own words, as OpenSSH's client prints them (its sftp-server says "No such file" too)
    await expect(c.realpath(p("nope/x"))).rejects.toThrow(new Error(`realpath ${p("nope/x")}: No such file`));
    await expect(c.hardlink(p("nope"), p("x"))).rejects.toThrow(`remote link "${p("nope")}" to "${p("x")}": No such file or directory`);
    await expect(c.copy(p("d"), p("x"))).rejects.toThrow(`Cannot copy non-regular file: ${p("d")}`);
    await expect(c.setstat(p("nope"), { permissions: 0o600 })).rejects.toThrow(`remote setstat "${p("nope")}": No such file or directory`);
    expect(fx2txt(42)).toBe("Unknown status");
    await c.close();
  });
  test("every operation and extension works against our server", async () => {
    const { c, p, dir } = await connected();
    writeFileSync(p("f"), "hello");
    await c.mkdir(p("d"), { permissions: 0o750 });
    expect(statSync(p("d")).mode & 0o777).toBe(0o750);
    await c.copy(p("f"), p("d/copy"));
    await c.hardlink(p("f"), p("hard"));
    await c.symlink("f", p("soft"));
    expect(await c.readlink(p("soft"))).toBe("f");
    await c.rename(p("hard"), p("hard2"));
    await c.rename(p("hard2"), p("hard3"), true);
    await c.lsetstat(p("f"), { permissions: 0o600 });
    const names = (await c.readdir(dir)).map((e) => e.filename).sort();
    expect(names).toEqual([".", "..", "d", "f", "hard3", "soft"]);
    expect(readFileSync(p("d/copy"), "utf8")).toBe("hello");
    expect((await c.lstat(p("soft"))).permissions! & 0o170000).toBe(0o120000);
    expect((await c.statvfs(dir)).bsize).toBeGreaterThan(0);
    const h = await c.open(p("f"), 1);
    expect((await c.fstat(h)).size).toBe(5);
    expect((await c.fstatvfs(h)).frsize).toBeGreaterThan(0);
    expect(await c.read(h, 1, 3)).toEqual(new TextEncoder().encode("ell"));
    expect(await c.read(h, 5, 3)).toBeNull();
    await c.closeHandle(h);
    expect(await c.expandPath("~")).toBe(dir);
    expect(await c.homeDirectory("")).toBe(dir);
    expect((await c.limits())?.readLength).toBe(261120);
    const ids = await c.usersGroupsById([0], [0]);
    expect(ids.users[0]).toBe("root");
    await c.remove(p("d/copy"));
    await c.rmdir(p("d"));
    expect(existsSync(p("d"))).toBe(false);
    await c.close();
  });
  test("requests after the server is gone fail with Connection closed", async () => {
    const { c, done } = await connected();
    await c.close();
    await done;
    await expect(c.stat("/")).rejects.toThrow("Connection closed");
  });
});

describe("names that are not UTF-8", () => {
  test.each([
    [[0x61, 0x62]], [[0xc3, 0xa9]], [[0xe9]], [[0x66, 0xff, 0xfe, 0x2e]], [[0xc3]], [[0xe2, 0x82]], [[0xed, 0xa0, 0x80]], [[0xc0, 0xaf]],
    [[0xf0, 0x9f, 0x98, 0x80, 0xe9]], [[0xf4, 0x90, 0x80, 0x80]],
  ])("%j survives pathText → pathBytes", (arr) => {
    const b = Uint8Array.from(arr);
    expect(pathBytes(pathText(b))).toEqual(b);
  });
  test("valid UTF-8 decodes normally; typed text encodes as UTF-8", () => {
    expect(pathText(new TextEncoder().encode("héllo 😀"))).toBe("héllo 😀");
    expect(pathBytes("héllo")).toEqual(new TextEncoder().encode("héllo"));
  });
  test("a latin1-named tree goes down and up byte for byte", async () => {
    const { c, p, dir } = await connected();
    const latin = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in ISO-8859-1
    mkdirSync(p("t"));
    writeFileSync(Buffer.concat([Buffer.from(`${p("t")}/`), latin]), "x");
    const names = (await c.readdir(p("t"))).map((e) => e.filename).filter((n) => !n.startsWith("."));
    expect(names.map((n) => Buffer.from(pathBytes(n)))).toEqual([latin]);
    await c.downloadDir(p("t"), p("down"));
    await c.uploadDir(p("down"), p("up"));
    const { readdirSync } = await import("node:fs");
    for (const d of ["down", "up"]) expect(readdirSync(Buffer.from(join(dir, d)), { encoding: "buffer" })).toEqual([latin]);
    await c.close();
  });
});
