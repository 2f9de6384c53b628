// Our sftp (the compiled binary through a link named `sftp`) against OpenSSH's sftp-server and ours, with -D and
// through a stand-in ssh (-S): files byte-identical both ways, batch semantics, transcripts (stdout and stderr)
// compared with OpenSSH's own sftp on the same batch, destinations and URIs, and transfers cut off mid-way.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sshboxBinary } from "../helpers/binary.ts";
import { OPENSSH, exec, havePeers, opensshHostKeys, writeSshdConfig } from "../helpers/openssh.ts";

const haveOpenssh = havePeers(OPENSSH.sftp, OPENSSH.sftpServer);
const TIMEOUT = 120000;

let scratch = "";
let ourSftp = "";
let ourServer = "";
let fakeSsh = "";
let cutProxy = "";
beforeAll(async () => {
  if (!haveOpenssh) return;
  scratch = realpathSync(mkdtempSync(join(tmpdir(), "sftp-client-")));
  mkdirSync(join(scratch, "bin"));
  const bin = await sshboxBinary();
  ourSftp = join(scratch, "bin", "sftp");
  ourServer = join(scratch, "bin", "sftp-server");
  symlinkSync(bin, ourSftp);
  symlinkSync(bin, ourServer);
  // A stand-in for ssh (-S): records its arguments, then runs OpenSSH's sftp-server as the "remote" end.
  fakeSsh = join(scratch, "bin", "fake-ssh");
  writeFileSync(fakeSsh, `#!/bin/sh\nprintf '%s\\n' "$@" > "$FAKE_SSH_ARGS"\nexec ${OPENSSH.sftpServer}\n`);
  chmodSync(fakeSsh, 0o755);
  cutProxy = join(scratch, "bin", "cut.ts");
  writeFileSync(cutProxy, CUT_PROXY);
}, TIMEOUT);

/** cut.ts <up|down> <bytes> <server...>: forwards both ways and, after <bytes> in one direction, kills the server and exits. */
const CUT_PROXY = `
const [dir, limitText, ...server] = process.argv.slice(2);
const limit = Number(limitText);
const child = Bun.spawn(server, { stdin: "pipe", stdout: "pipe", stderr: "ignore" });
let count = 0;
const die = () => { child.kill("SIGKILL"); process.exit(0); };
const up = (async () => {
  for await (const chunk of Bun.stdin.stream()) {
    if (dir === "up" && (count += chunk.length) > limit) die();
    try { child.stdin.write(chunk); child.stdin.flush(); } catch { die(); }
  }
  child.stdin.end();
})();
for await (const chunk of child.stdout) {
  if (dir === "down" && (count += chunk.length) > limit) die();
  process.stdout.write(chunk);
}
await up;
`;
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const sha256 = (p: string): string => createHash("sha256").update(readFileSync(p)).digest("hex");
let n = 0;
function workdir(): string {
  const d = join(scratch, `w${n++}`);
  mkdirSync(d);
  return d;
}
const ENV = { PATH: "/usr/bin:/bin:/usr/sbin", HOME: "/nonexistent-home", TZ: "UTC", LC_ALL: "C" };

/** Runs `<client> -b batch -D server [args]` in `cwd`. */
async function batch(client: string, server: string, cwd: string, commands: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const file = join(cwd, "..", `batch-${n++}`);
  writeFileSync(file, commands);
  return exec([client, ...args, "-b", file, "-D", server], { cwd, env: { ...ENV, ...env } });
}

function randomFile(path: string, size: number): void {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  writeFileSync(path, bytes);
}

describe.skipIf(!haveOpenssh)("our sftp: transfers", () => {
  const SIZES = [0, 1, 32767, 32768, 32769, 200 * 1024 * 1024];
  for (const [serverName, server] of [["OpenSSH's sftp-server", () => OPENSSH.sftpServer], ["our sftp-server", () => ourServer]] as const) {
    test.each(SIZES)(`%i bytes: put and get through ${serverName} are byte-identical`, async (size) => {
      const d = workdir();
      randomFile(join(d, "src"), size);
      const r = await batch(ourSftp, server(), d, "put src up\nget up down\n");
      expect(r).toEqual({ stdout: "sftp> put src up\nsftp> get up down\n", stderr: "", exitCode: 0 });
      expect([sha256(join(d, "up")), sha256(join(d, "down"))]).toEqual([sha256(join(d, "src")), sha256(join(d, "src"))]);
      rmSync(d, { recursive: true, force: true }); // 200 MiB three times over: not kept until the end
    }, TIMEOUT);
  }

  test("a batch file that can be read only once (a FIFO, as `-b <(...)` gives) runs every command", async () => {
    const d = workdir();
    randomFile(join(d, "src"), 5000);
    const fifo = join(d, "..", `fifo-${n++}`);
    expect((await exec(["mkfifo", fifo])).exitCode).toBe(0);
    const run = exec([ourSftp, "-b", fifo, "-D", OPENSSH.sftpServer], { cwd: d, env: ENV });
    writeFileSync(fifo, "put src up\n"); // blocks until sftp opens the FIFO
    expect(await run).toEqual({ stdout: "sftp> put src up\n", stderr: "", exitCode: 0 });
    expect(sha256(join(d, "up"))).toBe(sha256(join(d, "src")));
  }, TIMEOUT);

  test.each([["-B 5 -R 1", ["-B", "5", "-R", "1"]], ["-B 64000 -R 10", ["-B", "64000", "-R", "10"]], ["-X buffer=1k -X nrequests=3", ["-X", "buffer=1k", "-X", "nrequests=3"]]])(
    "buffer and request flags (%s) still copy exactly",
    async (_name, args) => {
      const d = workdir();
      randomFile(join(d, "src"), 100_001);
      const r = await batch(ourSftp, OPENSSH.sftpServer, d, "get src a\nput src b\n", args);
      expect(r.exitCode).toBe(0);
      expect([sha256(join(d, "a")), sha256(join(d, "b"))]).toEqual([sha256(join(d, "src")), sha256(join(d, "src"))]);
    },
    TIMEOUT,
  );

  test("reget and reput continue partial files; -p keeps mode and times", async () => {
    const d = workdir();
    randomFile(join(d, "src"), 300_000);
    chmodSync(join(d, "src"), 0o640);
    utimesSync(join(d, "src"), new Date(2001, 1, 1), new Date(2002, 2, 2));
    writeFileSync(join(d, "part"), readFileSync(join(d, "src")).subarray(0, 100_000));
    writeFileSync(join(d, "rpart"), readFileSync(join(d, "src")).subarray(0, 123_457));
    const r = await batch(ourSftp, OPENSSH.sftpServer, d, "reget src part\nreput src rpart\nget -p src kept\n");
    expect(r.exitCode).toBe(0);
    expect([sha256(join(d, "part")), sha256(join(d, "rpart"))]).toEqual([sha256(join(d, "src")), sha256(join(d, "src"))]);
    const st = statSync(join(d, "kept"));
    expect([st.mode & 0o777, st.mtimeMs]).toEqual([0o640, statSync(join(d, "src")).mtimeMs]);
  }, TIMEOUT);

  test("recursive get and put copy a tree", async () => {
    const d = workdir();
    mkdirSync(join(d, "tree", "sub", "deeper"), { recursive: true });
    randomFile(join(d, "tree", "a"), 40_000);
    randomFile(join(d, "tree", "sub", "deeper", "b"), 70_000);
    const r = await batch(ourSftp, OPENSSH.sftpServer, d, "get -r tree down\nput -r tree up\n");
    expect(r.exitCode).toBe(0);
    for (const base of ["down", "up"]) {
      expect(sha256(join(d, base, "a"))).toBe(sha256(join(d, "tree", "a")));
      expect(sha256(join(d, base, "sub", "deeper", "b"))).toBe(sha256(join(d, "tree", "sub", "deeper", "b")));
    }
  }, TIMEOUT);

  // The server is killed after 1 MB in one direction (a proxy between client and server): the transfer must fail
  // with OpenSSH's "Connection closed", exit 255, end the batch, and a download keeps only a correct prefix.
  test.each(["down", "up"])("a transfer whose server dies mid-way (%s) fails and never looks complete", async (direction) => {
    const d = workdir();
    randomFile(join(d, "big"), 4 * 1024 * 1024);
    const server = `${process.execPath} ${cutProxy} ${direction} 1000000 ${OPENSSH.sftpServer}`;
    const cmd = direction === "down" ? `get ${join(d, "big")} copy\nget big again\n` : `put ${join(d, "big")} copy\nput big again\n`;
    const r = await batch(ourSftp, server, d, cmd);
    const o = await batch(OPENSSH.sftp, server, workdir(), cmd);
    expect({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }).toEqual({ exitCode: 255, stdout: cmd.split("\n")[0] ? `sftp> ${cmd.split("\n")[0]}\n` : "", stderr: "Connection closed\r\n" });
    expect(o.exitCode).not.toBe(0); // OpenSSH: 255, or killed by SIGPIPE (141) when the upload pipe breaks first
    const size = existsSync(join(d, "copy")) ? statSync(join(d, "copy")).size : 0;
    expect(size).toBeLessThan(4 * 1024 * 1024);
    if (size > 0) expect(readFileSync(join(d, "copy"))).toEqual(readFileSync(join(d, "big")).subarray(0, size));
    expect(existsSync(join(d, "again"))).toBe(false);
  }, TIMEOUT);
});

describe.skipIf(!haveOpenssh)("our sftp: the same transcript as OpenSSH's sftp", () => {
  const setup = (d: string): void => {
    writeFileSync(join(d, "data"), "some data\n");
    utimesSync(join(d, "data"), new Date(2020, 0, 1), new Date(2020, 0, 1));
    mkdirSync(join(d, "g"));
    for (const f of ["g-wild*", "g-wildx", "g-q space", "plain", ".hidden"]) writeFileSync(join(d, "g", f), f);
    utimesSync(join(d, "g"), new Date(2020, 0, 1), new Date(2020, 0, 1));
    mkdirSync(join(d, "g", "sub"));
    writeFileSync(join(d, "g", "sub", "y"), "x\n");
    writeFileSync(join(d, "g", "f"), "hi\n");
    symlinkSync("f", join(d, "g", "link"));
    writeFileSync(Buffer.concat([Buffer.from(join(d, "g") + "/"), Buffer.from([0x63, 0x61, 0x66, 0xe9])]), "latin1 name\n"); // "café" in ISO-8859-1
    for (const f of ["g-wild*", "g-wildx", "g-q space", "plain", ".hidden", "sub", "f"]) utimesSync(join(d, "g", f), new Date(2020, 0, 1), new Date(2020, 0, 1));
    utimesSync(join(d, "g"), new Date(2020, 0, 1), new Date(2020, 0, 1));
  };
  const cases: [string, string][] = [
    ["listing and globbing", [
      "ls g", "ls -1 g", "ls -a g", "ls -l g", "ls -lh g", "ls -lS g", "ls -lr g", "ls -lt g", "ls g/g-wild*",
      'ls "g/g-wild*"', "ls g/g-wild\\*", "ls 'g/g-q space'", "ls g/g-q\\ space", "ls g/*", "ls -1 g/p*", "ls -l g/plain", "ls /nonexistent*",
      "ls g/{plain,g-wildx}",
    ].join("\n")],
    ["remote file operations", [
      "mkdir dir", "put data dir/one", "ls dir", "chmod 600 dir/one", "ls -l dir/one", "rename dir/one dir/two", "symlink two dir/link",
      "ln dir/two dir/hard", "ln -s two dir/soft", "get dir/link got", "copy dir/two dir/three", "cp dir/two dir/four", "cd dir", "pwd",
      "get -p two two-p", "cd ..", "rm dir/link", "rm dir/soft", "rm dir/*", "rmdir dir", "ls -1", "version", "progress", "put -p data data-p",
      "chgrp 0 data", "chown 0 data", "lumask 022", "lmkdir ldir", "lpwd", "help",
    ].join("\n")],
    ["errors do not stop a batch when prefixed with -", [
      "-get missing", "-get missing*", "-put missing", "-rename missing other", "-rmdir missing", "-mkdir g", "-cd missing", "-cd data",
      "-rm missing", "-chmod 644 missing", "-chown 0 missing", "-ln missing x", "-symlink a g", "-cp missing y", "-ls missing",
      "-jajaja", "-get", "-rename a", "-ls -z", "-chmod 99x f", "-get -z a", "-lcd /nonexistent", "-lmkdir g", "-df -x", "@pwd",
      "# a comment", "", "  -  @  # all prefixes", "-get g/* data", "-get data /dev/full", "-get data /nonexistent/x",
    ].join("\n")],
    ["directories, links, resume and errors", [
      "-get g", "-put g", "get -r g x", "put -r g rg", "-ls -R", "-ls -l nonexistent", "cd", "cd g", "ls -l link", "get link",
      "-reget f f", "-reput f f", "reget -f f f2", "get -a f f3", "-ln -s nonexist dangling", "ls -la", "-cp g gg", "-rename nonexist x",
      "-rm g", "-rmdir g", "-mkdir g", "-put /nonexistent-file", "-get *", "-symlink", "cd ..", "rm x/*", "-rm x/sub/*",
    ].join("\n")],
    ["a name that is not UTF-8", ["ls g/caf*", "get g/caf* .", "ls -1 caf*", "put caf* g/up", "ls -1 g/u*", "rm g/caf*"].join("\n")],
    ["the first failure ends the batch", ["pwd", "get missing", "pwd"].join("\n")],
    ["a bad command ends the batch", ["pwd", "jajaja", "pwd"].join("\n")],
    ["quit ends the batch", ["pwd", "quit", "pwd"].join("\n")],
  ];
  test.each(cases)("%s", async (_name, commands) => {
    const ours = workdir();
    const theirs = workdir();
    setup(ours);
    setup(theirs);
    const a = await batch(ourSftp, OPENSSH.sftpServer, ours, `${commands}\n`);
    const b = await batch(OPENSSH.sftp, OPENSSH.sftpServer, theirs, `${commands}\n`);
    const norm = (s: string, d: string): string => s.replaceAll(d, "<dir>");
    expect({ stdout: norm(a.stdout, ours), stderr: norm(a.stderr, ours), exitCode: a.exitCode })
      .toEqual({ stdout: norm(b.stdout, theirs), stderr: norm(b.stderr, theirs), exitCode: b.exitCode });
  }, TIMEOUT);

  test.each(["C", "C.UTF-8"])("UTF-8 names under LC_ALL=%s: ls columns counted in bytes, non-ASCII escaped outside a UTF-8 locale", async (locale) => {
    const names = ["a", "é.txt", "日本語のファイル.txt", "bbbbbbbbbbbbbbbbb", "ccc"];
    const commands = "ls\nls -1\nls *.txt\nls -l é.txt\n";
    const out: string[] = [];
    for (const client of [ourSftp, OPENSSH.sftp]) {
      const d = workdir();
      for (const f of names) {
        writeFileSync(join(d, f), f);
        utimesSync(join(d, f), new Date(2020, 0, 1), new Date(2020, 0, 1));
      }
      const r = await batch(client, OPENSSH.sftpServer, d, commands, [], { LC_ALL: locale });
      out.push(JSON.stringify({ stdout: r.stdout, stderr: r.stderr.replaceAll(d, "<dir>"), exitCode: r.exitCode }));
    }
    expect(out[0]).toBe(out[1]!);
  }, TIMEOUT);

  test("ls -n shows numeric ids (OpenSSH 9.2 still printed names here; later releases print numbers)", async () => {
    const d = workdir();
    setup(d);
    const r = await batch(ourSftp, OPENSSH.sftpServer, d, "ls -ln g/plain\n");
    const st = statSync(join(d, "g", "plain"));
    expect(r.stdout).toBe(`sftp> ls -ln g/plain\n-rw-r--r--    ? ${String(st.uid).padEnd(8)} ${String(st.gid).padEnd(8)}        5 Jan  1  2020 g/plain\n`);
  }, TIMEOUT);

  test("commands on stdin without -b: errors do not end the session", async () => {
    const ours = workdir();
    const theirs = workdir();
    setup(ours);
    setup(theirs);
    const input = new TextEncoder().encode("get missing\npwd\nlls g\n!echo hi there\nls g\nbye\npwd\n");
    const a = await exec([ourSftp, "-D", OPENSSH.sftpServer], { cwd: ours, env: ENV, stdin: input });
    const b = await exec([OPENSSH.sftp, "-D", OPENSSH.sftpServer], { cwd: theirs, env: ENV, stdin: input });
    const norm = (s: string, d: string): string => s.replaceAll(d, "<dir>");
    expect({ stdout: norm(a.stdout, ours), stderr: norm(a.stderr, ours), exitCode: a.exitCode })
      .toEqual({ stdout: norm(b.stdout, theirs), stderr: norm(b.stderr, theirs), exitCode: b.exitCode });
    expect(a.stdout).toContain("hi there");
    expect(a.stderr).toStartWith(`Attached to ${OPENSSH.sftpServer}.\n`);
  }, TIMEOUT);

  test.each([
    [["-b", "/nonexistent/batch", "-D", "x"]],
    [["-B", "0", "-D", "x"]],
    [["-R", "abc", "-D", "x"]],
    [["-P", "0", "host"]],
    [["-X", "bogus", "-D", "x"]],
    [["-Z"]],
    [[]],
    [["a", "b", "c"]],
    [["sftp://@host"]],
    [["-b", "-", "-b", "-", "-D", "x"]],
  ])("command line %j fails as OpenSSH's does", async (args) => {
    const a = await exec([ourSftp, ...args], { env: ENV });
    const b = await exec([OPENSSH.sftp, ...args], { env: ENV });
    expect({ stderr: a.stderr.replaceAll(ourSftp, "sftp"), exitCode: a.exitCode }).toEqual({ stderr: b.stderr.replaceAll(OPENSSH.sftp, "sftp"), exitCode: b.exitCode });
  });
});

describe.skipIf(!haveOpenssh)("our sftp: destinations through the ssh program (-S)", () => {
  const viaSsh = async (args: string[], cwd: string, stdin = ""): Promise<{ r: { stdout: string; stderr: string; exitCode: number }; argv: string[] }> => {
    const record = join(cwd, "..", `args-${n++}`);
    const r = await exec([ourSftp, "-S", fakeSsh, ...args], { cwd, env: { ...ENV, FAKE_SSH_ARGS: record }, stdin: new TextEncoder().encode(stdin) });
    return { r, argv: readFileSync(record, "utf8").trimEnd().split("\n") };
  };

  test("host only: ssh gets OpenSSH's options, -s, --, host and sftp", async () => {
    const d = workdir();
    const { r, argv } = await viaSsh(["-q", "-P", "2222", "-o", "User=x", "-i", "/k", "-F", "/cfg", "-C", "-4", "me@example.org"], d, "pwd\n");
    expect(r.exitCode).toBe(0);
    expect(argv).toEqual([
      "-oForwardX11 no", "-oPermitLocalCommand no", "-oClearAllForwardings yes", "-oControlMaster no", "-q", "-o", "User=x", "-i", "/k",
      "-F", "/cfg", "-C", "-4", "-oForwardAgent no", "-oPort 2222", "-l", "me", "-s", "--", "example.org", "sftp",
    ]);
  });

  test("sftp://user@host:port/path fetches one file; -s with a path runs it as a command", async () => {
    const d = workdir();
    randomFile(join(d, "remote"), 50_000);
    const { r, argv } = await viaSsh(["-q", "-s", "/usr/lib/sftp-server", `sftp://u%40x@h-1.example:2200/${join(d, "remote")}`, join(d, "local")], d);
    expect(r.exitCode).toBe(0);
    expect(argv.slice(-6)).toEqual(["-oPort 2200", "-l", "u@x", "--", "h-1.example", "/usr/lib/sftp-server"]);
    expect(sha256(join(d, "local"))).toBe(sha256(join(d, "remote")));
  });

  test("host:dir starts in that directory; host:file fetches it to the local directory", async () => {
    const d = workdir();
    mkdirSync(join(d, "rdir"));
    writeFileSync(join(d, "rdir", "f"), "content\n");
    const cd = await viaSsh(["-b", "-", `host:${join(d, "rdir")}`], d, "pwd\nget f\n");
    expect(cd.r.stdout).toBe(`sftp> pwd\nRemote working directory: ${join(d, "rdir")}\nsftp> get f\n`);
    expect(readFileSync(join(d, "f"), "utf8")).toBe("content\n");
    const w2 = workdir();
    const get = await viaSsh([`host:${join(d, "rdir", "f")}`], w2);
    expect(get.r).toEqual({ stdout: `Fetching ${join(d, "rdir", "f")} to f\n`, stderr: "Connected to host.\n", exitCode: 0 });
    expect(readFileSync(join(w2, "f"), "utf8")).toBe("content\n");
    const missing = await viaSsh([`host:${join(d, "nope")}`], w2);
    expect(missing.r.exitCode).toBe(1);
    expect(missing.r.stderr).toContain(`File "${join(d, "nope")}" not found.`);
  });

  test("an ssh program that cannot run: exec error, then Connection closed, exit 255", async () => {
    const r = await exec([ourSftp, "-S", "/nonexistent/ssh", "host"], { env: ENV });
    expect(r).toEqual({ stdout: "", stderr: "exec: /nonexistent/ssh: No such file or directory\r\nConnection closed\r\n", exitCode: 255 });
  });
});

describe.skipIf(!haveOpenssh || !havePeers(OPENSSH.ssh, OPENSSH.sshd, OPENSSH.sshKeygen))("our sftp over a real ssh connection to OpenSSH's sshd -i", () => {
  let keys: Awaited<ReturnType<typeof opensshHostKeys>> | undefined;
  let opts: string[] = [];
  beforeAll(async () => {
    keys = await opensshHostKeys();
    const dir = keys.dir;
    await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id_ed25519")]);
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "id_ed25519.pub")));
    const config = writeSshdConfig(dir, [keys.keys.ed25519], [`Subsystem sftp ${OPENSSH.sftpServer}`]);
    writeFileSync(join(dir, "known_hosts"), `peer ${readFileSync(`${keys.keys.ed25519}.pub`, "utf8").trim()}\n`);
    opts = [
      "-F", "none", "-o", `ProxyCommand=${OPENSSH.sshd} -i -f ${config}`, "-o", `UserKnownHostsFile=${join(dir, "known_hosts")}`,
      "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-i", join(dir, "id_ed25519"),
    ];
  }, TIMEOUT);
  afterAll(async () => {
    await keys?.[Symbol.asyncDispose]();
  });

  test.each([["our ssh (the default)", [] as string[]], ["OpenSSH's ssh (-S)", ["-S", OPENSSH.ssh]]])("through %s: a file both ways, byte-identical", async (_name, sArgs) => {
    const d = workdir();
    randomFile(join(d, "src"), 3 * 1024 * 1024 + 7);
    const file = join(d, "..", `batch-${n++}`);
    writeFileSync(file, `put ${join(d, "src")} ${join(d, "up")}\nget ${join(d, "up")} ${join(d, "down")}\n`);
    const r = await exec([ourSftp, ...sArgs, ...opts, "-b", file, "peer"], { cwd: d, env: { ...ENV, HOME: keys!.dir } });
    expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: "" });
    expect([sha256(join(d, "up")), sha256(join(d, "down"))]).toEqual([sha256(join(d, "src")), sha256(join(d, "src"))]);
  }, TIMEOUT);
});
