// The client scenarios of seed-inventory.md §10 (2 first contact, 3 host key changed, 4 remote commands and binary-clean
// pipes, 5 session environment, 6 client config shortcuts) with our ssh against a listening OpenSSH sshd on
// 127.0.0.1, prompts answered through a pty (script(1)), texts compared with what OpenSSH's ssh prints in the same run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { OPENSSH, exec, havePeers, opensshHostKeys } from "../helpers/openssh.ts";
import { sshboxBinary } from "../helpers/binary.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshd, OPENSSH.sshKeygen) && Bun.which("script") !== null;
let dir = "";
let bin = "";
let port = 0;
let sshd: Subprocess<"ignore", "ignore", "pipe"> | undefined;
let hostKeys: Awaited<ReturnType<typeof opensshHostKeys>> | undefined;
let home = "";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

/** Starts OpenSSH's sshd on 127.0.0.1:port with `hostKey`; resolves once it listens. */
async function startSshd(hostKey: string): Promise<void> {
  const cfg = join(dir, "sshd_config");
  writeFileSync(cfg, [`HostKey ${hostKey}`, "UsePAM no", "StrictModes no", "PidFile none", `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "ListenAddress 127.0.0.1", `Port ${port}`, "AcceptEnv LANG", ""].join("\n"));
  sshd = Bun.spawn([OPENSSH.sshd, "-D", "-e", "-f", cfg], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const reader = sshd.stderr.getReader();
  let seen = "";
  while (!seen.includes("Server listening")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`sshd did not start: ${seen}`);
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  void sshd.stderr.pipeTo(new WritableStream()); // keep draining its log
}
async function stopSshd(): Promise<void> {
  sshd?.kill();
  await sshd?.exited;
  sshd = undefined;
}

beforeAll(async () => {
  if (!enabled) return;
  bin = await sshboxBinary();
  hostKeys = await opensshHostKeys();
  dir = hostKeys.dir;
  home = join(dir, "home");
  mkdirSync(join(home, ".ssh"), { recursive: true, mode: 0o700 });
  await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", join(home, ".ssh", "id_ed25519")]);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(home, ".ssh", "id_ed25519.pub")));
  port = await freePort();
  await startSshd(hostKeys.keys.ed25519);
}, 60_000);
afterAll(async () => {
  await stopSshd();
  await hostKeys?.[Symbol.asyncDispose]();
});

const env = (): Record<string, string> => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, TERM: "dumb", LANG: "C.UTF-8" });
const user = (): string => process.env.USER ?? "root";
/** Common options: no system config, the user's known_hosts in `home`, the sshd's port. */
// (ssh finds ~/.ssh through the password database, not $HOME, as OpenSSH does: the key is named explicitly)
const base = (kh = join(home, ".ssh", "known_hosts")): string[] => ["-F", "none", "-p", String(port), "-i", join(home, ".ssh", "id_ed25519"), "-o", `UserKnownHostsFile=${kh}`, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "HostKeyAlgorithms=ssh-ed25519"];

/** Runs `argv` in a pty (script -qec), answering each `[prompt, answer]` once it appears; returns everything seen. */
async function inPty(argv: string[], dialog: [string, string][]): Promise<{ text: string; code: number }> {
  const cmd = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const p = Bun.spawn(["script", "-qec", cmd, "/dev/null"], { env: env(), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const reader = p.stdout.getReader();
  let seen = "";
  for (const [prompt, answer] of dialog) {
    while (!seen.includes(prompt)) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    p.stdin.write(answer);
    await p.stdin.flush();
  }
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  return { text: seen.replace(/\r/g, ""), code: await p.exited };
}

const ours = (args: string[], stdin?: Uint8Array) => exec([bin, "ssh", ...args], { env: env(), ...(stdin ? { stdin } : {}) });
const theirs = (args: string[], stdin?: Uint8Array) => exec([OPENSSH.ssh, ...args], { env: env(), ...(stdin ? { stdin } : {}) });

describe.skipIf(!enabled)("seed scenarios with our ssh", () => {
  test("2. first contact: the question, the fingerprint as the answer, then no question; ssh-keygen -F finds it", async () => {
    const fpr = (await exec([OPENSSH.sshKeygen, "-lf", `${hostKeys!.keys.ed25519}.pub`])).stdout.split(" ")[1]!;
    const texts: string[] = [];
    for (const [who, prog] of [["openssh", [OPENSSH.ssh]], ["ours", [bin, "ssh"]]] as const) {
      const kh = join(dir, `kh-first-${who}`);
      const r = await inPty([...prog, ...base(kh), `${user()}@localhost`, "echo", "hi"], [["(yes/no/[fingerprint])? ", `${fpr}\n`]]);
      expect(r.code).toBe(0);
      texts.push(r.text);
      const again = await exec([...prog, ...base(kh), "-o", "BatchMode=yes", `${user()}@localhost`, "echo", "again"], { env: env() });
      expect(again).toEqual({ stdout: "again\n", stderr: "", exitCode: 0 });
      const found = await exec([OPENSSH.sshKeygen, "-F", `[localhost]:${port}`, "-f", kh]);
      expect(found.stdout).toContain(`# Host [localhost]:${port} found: line 1`);
    }
    expect(texts[1]).toBe(texts[0]!);
    expect(texts[1]).toBe(
      `The authenticity of host '[localhost]:${port} ([127.0.0.1]:${port})' can't be established.\n` +
        `ED25519 key fingerprint is ${fpr}.\nThis key is not known by any other names.\n` +
        `Are you sure you want to continue connecting (yes/no/[fingerprint])? ${fpr}\n` +
        `Warning: Permanently added '[localhost]:${port}' (ED25519) to the list of known hosts.\nhi\n`,
    );
  }, 30_000);

  test("2. accept-new adds silently but for the one line; a later run has no line at all", async () => {
    const kh = join(dir, "kh-accept-new");
    const first = await ours([...base(kh), "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", `${user()}@localhost`, "true"]);
    // log.c writes ssh's own lines to stderr with "\r\n", as OpenSSH does
    expect(first).toEqual({ stdout: "", stderr: `Warning: Permanently added '[localhost]:${port}' (ED25519) to the list of known hosts.\r\n`, exitCode: 0 });
    const kh2 = join(dir, "kh-accept-new-openssh");
    const theirFirst = await theirs([...base(kh2), "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", `${user()}@localhost`, "true"]);
    expect(first).toEqual(theirFirst);
    const second = await ours([...base(kh), "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", `${user()}@localhost`, "true"]);
    expect(second).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  });

  test("3. host key changed: OpenSSH's block and 255; ssh-keygen -R keeps .old; then the question again; hashed entries too", async () => {
    for (const hashed of [false, true]) {
      const kh = join(dir, `kh-changed-${hashed}`);
      // a stale key for the host, as if the server had been reinstalled
      await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", join(dir, `stale-${hashed}`)]);
      writeFileSync(kh, `[localhost]:${port} ${readFileSync(join(dir, `stale-${hashed}.pub`), "utf8").split(" ").slice(0, 2).join(" ")}\n`);
      if (hashed) await exec([OPENSSH.sshKeygen, "-H", "-f", kh]);
      const a = await theirs([...base(kh), "-o", "BatchMode=yes", `${user()}@localhost`, "true"]);
      const b = await ours([...base(kh), "-o", "BatchMode=yes", `${user()}@localhost`, "true"]);
      expect(b).toEqual(a);
      expect(b.exitCode).toBe(255);
      expect(b.stderr).toContain("@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @");
      expect(b.stderr).toContain(`Offending ED25519 key in ${kh}:1`);
      expect(b.stderr).toContain(`  ssh-keygen -f "${kh}" -R "[localhost]:${port}"`);
      expect(b.stderr).toContain("Host key verification failed.");
      const removed = await exec([bin, "ssh-keygen", "-f", kh, "-R", `[localhost]:${port}`]);
      expect(removed.exitCode).toBe(0);
      expect(existsSync(`${kh}.old`)).toBe(true);
      const r = await inPty([bin, "ssh", ...base(kh), `${user()}@localhost`, "true"], [["(yes/no/[fingerprint])? ", "yes\n"]]);
      expect(r.text).toContain("can't be established.");
      expect(r.code).toBe(0);
    }
  }, 30_000);

  test("4. exit statuses, binary-clean pipes both ways, stderr apart, -t gives a pty and -T does not", async () => {
    const kh = join(dir, "kh-4");
    const o = [...base(kh), "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", `${user()}@localhost`];
    expect((await ours([...o, "/bin/true"])).exitCode).toBe(0);
    expect((await ours([...o, "/bin/false"])).exitCode).toBe(1);
    expect((await ours([...o, "exit 42"])).exitCode).toBe(42);
    const blob = randomBytes(3 * 1024 * 1024 + 17);
    const remote = join(dir, "backup.bin");
    const up = await ours([...o, `cat > ${remote}`], blob);
    expect(up.exitCode).toBe(0);
    expect(createHash("sha256").update(readFileSync(remote)).digest("hex")).toBe(createHash("sha256").update(blob).digest("hex"));
    const p = Bun.spawn([bin, "ssh", ...o, `cat ${remote}; echo to-stderr >&2`], { env: env(), stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).arrayBuffer(), new Response(p.stderr).text(), p.exited]);
    expect(Buffer.from(out).equals(blob)).toBe(true);
    expect([err, code]).toEqual(["to-stderr\n", 0]);
    const t = await inPty([bin, "ssh", ...o, "-t", 'echo "tty=${SSH_TTY:-none}"'], []);
    expect(t.text).toMatch(/tty=\/dev\/pts\/\d+\n/);
    const noT = await ours([...o, "-T", 'echo "tty=${SSH_TTY:-none}"']);
    expect(noT.stdout).toBe("tty=none\n");
  }, 30_000);

  test("5. the session environment: SSH_CLIENT, SSH_CONNECTION with our port, SendEnv LANG accepted", async () => {
    const kh = join(dir, "kh-5");
    const r = await ours([...base(kh), "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "SendEnv=LANG",
      `${user()}@localhost`, 'echo "$SSH_CLIENT|$SSH_CONNECTION|$LANG|$USER|${SSH_TTY:-none}"']);
    const m = /^127\.0\.0\.1 (\d+) (\d+)\|127\.0\.0\.1 (\d+) 127\.0\.0\.1 (\d+)\|C\.UTF-8\|([^|]+)\|none\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect([Number(m![2]), Number(m![4]), m![1] === m![3], m![5]]).toEqual([port, port, true, user()]);
  });

  test("6. config shortcuts (-F, the user config): Host block, first match wins, Include in a Host block, -o overrides, Protocol 2", async () => {
    // ~/.ssh/config itself is the account's real one (found through the password database): -F stands in for it
    writeFileSync(join(dir, "config_extra"), "ServerAliveInterval 400\n");
    const cfg = join(dir, "user_config");
    writeFileSync(cfg, [
      "Host arc", "  HostName localhost", `  Port ${port}`, `  User ${user()}`, `  IdentityFile ${join(home, ".ssh", "id_ed25519")}`, "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${join(dir, "kh-6")}`, "  StrictHostKeyChecking accept-new", `  Include ${join(dir, "config_extra")}`, "  Protocol 2",
      "Host *", "  Port 1", "  ServerAliveInterval 100", "",
    ].join("\n"));
    chmodSync(cfg, 0o600);
    const run = await ours(["-F", cfg, "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "arc", "echo", "arc-ok"]);
    expect(run).toMatchObject({ stdout: "arc-ok\n", exitCode: 0 });
    const g = (await ours(["-F", cfg, "-G", "arc"])).stdout;
    const theirG = (await theirs(["-F", cfg, "-G", "arc"])).stdout;
    for (const line of ["hostname localhost", `port ${port}`, `user ${user()}`, `identityfile ${join(home, ".ssh", "id_ed25519")}`, "serveraliveinterval 400", "identitiesonly yes"]) {
      expect(g.split("\n")).toContain(line);
      expect(theirG.split("\n")).toContain(line); // the same resolution as OpenSSH's (the full -G differs by version defaults)
    }
    expect((await ours(["-F", cfg, "-G", "-o", "Port=2222", "arc"])).stdout.split("\n")).toContain("port 2222");
  });

  test("-f: ssh returns once authenticated while the command runs on in the background; without a command it refuses", async () => {
    const kh = join(dir, "kh-f");
    const marker = join(dir, "bg-done");
    await exec(["mkfifo", join(dir, "bg-go")]);
    const p = Bun.spawn([bin, "ssh", ...base(kh), "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-f",
      `${user()}@localhost`, `read line < ${join(dir, "bg-go")}; echo "bg:$line"; touch ${marker}`], { env: env(), stdout: "pipe", stderr: "pipe" });
    expect(await p.exited).toBe(0); // the foreground ssh is done while the remote command still waits
    expect(existsSync(marker)).toBe(false);
    writeFileSync(join(dir, "bg-go"), "released\n");
    expect(await new Response(p.stdout).text()).toBe("bg:released\n"); // the background ssh kept our stdout
    expect(existsSync(marker)).toBe(true);
    const none = await ours([...base(kh), "-f", `${user()}@localhost`]);
    expect(none).toEqual({ stdout: "", stderr: "Cannot fork into background without a command to execute.\r\n", exitCode: 255 });
    expect(none).toEqual(await theirs([...base(kh), "-f", `${user()}@localhost`]));
  });
});
