// Interop: our ssh against OpenSSH's sshd, through ProxyCommand (`sshd -i`) and listening on 127.0.0.1: commands, exit
// statuses, stdio separation, 64 MiB both ways, every algorithm both sides have, known_hosts texts compared with
// OpenSSH's own ssh in the same situation, -G against OpenSSH's -G, -Q.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CIPHERS, KEX_METHODS, MACS, HOST_KEY_ALGORITHMS } from "../../core/crypto/registry.ts";
import { OPENSSH, exec, havePeers, opensshHostKeys, writeSshdConfig } from "../helpers/openssh.ts";
import { sshboxBinary } from "../helpers/binary.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshd, OPENSSH.sshKeygen);
let dir = "";
let bin = "";
let hostKeys: Awaited<ReturnType<typeof opensshHostKeys>> | undefined;
let theirs: { cipher: string[]; mac: string[]; kex: string[]; key: string[] };
const env = (): Record<string, string> => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir });

beforeAll(async () => {
  if (!enabled) return;
  bin = await sshboxBinary();
  hostKeys = await opensshHostKeys();
  dir = hostKeys.dir;
  await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id_ed25519")]);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "id_ed25519.pub")));
  writeSshdConfig(dir, Object.values(hostKeys.keys));
  const known = Object.values(hostKeys.keys).map((k) => `peer ${readFileSync(`${k}.pub`, "utf8").trim()}`);
  writeFileSync(join(dir, "known_hosts"), known.join("\n") + "\n");
  const q = async (what: string) => (await exec([OPENSSH.ssh, "-Q", what])).stdout.trim().split("\n");
  theirs = { cipher: await q("cipher"), mac: await q("mac"), kex: await q("kex"), key: await q("key-sig") };
  const every = (ours: string[], t: string[]) => ours.filter((n) => t.includes(n)).join(",");
  writeFileSync(join(dir, "sshd_all"), [
    ...Object.values(hostKeys.keys).map((k) => `HostKey ${k}`), "UsePAM no", "StrictModes no", "PidFile none", `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    `Ciphers ${every(CIPHERS.map((c) => c.name), theirs.cipher)}`, `MACs ${every(MACS.map((m) => m.name), theirs.mac)}`,
    `KexAlgorithms ${every(KEX_METHODS.map((k) => k.name), theirs.kex)}`, "",
  ].join("\n"));
}, 60_000);
afterAll(async () => {
  await hostKeys?.[Symbol.asyncDispose]();
});

/** An sshd_config of its own (in a subdirectory, with the same authorized_keys), so tests never change each other's. */
function sshdConfigIn(name: string, keys: string[], extra: string[]): string {
  const sub = join(dir, name);
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, "authorized_keys"), readFileSync(join(dir, "authorized_keys")));
  return writeSshdConfig(sub, keys, extra);
}

/** ssh options for a ProxyCommand connection to OpenSSH's `sshd -i` with `sshdConfig` (default: every host key). */
function proxyOpts(sshdConfig = join(dir, "sshd_config"), knownHosts = join(dir, "known_hosts")): string[] {
  return [
    "-F", "none", "-o", `ProxyCommand=${OPENSSH.sshd} -i -f ${sshdConfig}`, "-o", `UserKnownHostsFile=${knownHosts}`,
    "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-i", join(dir, "id_ed25519"),
  ];
}

async function ours(args: string[], stdin?: Uint8Array): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  return exec([bin, "ssh", ...args], { env: env(), ...(stdin ? { stdin } : {}) });
}

describe.skipIf(!enabled)("our ssh → OpenSSH sshd -i (ProxyCommand)", () => {
  test("a command runs with stdout, stderr and exit status apart", async () => {
    const r = await ours([...proxyOpts(), "peer", "echo hi; echo oops >&2; exit 3"]);
    expect(r).toEqual({ stdout: "hi\n", stderr: "oops\n", exitCode: 3 });
  });

  test("the proxy talks through real pipes, as OpenSSH's ssh makes them: sshd -i reports UNKNOWN, not a Unix socket", async () => {
    const r = await ours([...proxyOpts(), "peer", "echo $SSH_CONNECTION"]);
    expect(r).toEqual({ stdout: "UNKNOWN 65535 UNKNOWN 65535\n", stderr: "", exitCode: 0 });
    const theirs = await exec([OPENSSH.ssh, ...proxyOpts(), "peer", "echo $SSH_CONNECTION"], { env: env() });
    expect(r).toEqual(theirs);
  });

  test.each([0, 1, 42, 255])("exit status %i comes back", async (n) => {
    const r = await ours([...proxyOpts(), "peer", "exit", String(n)]);
    expect(r.exitCode).toBe(n);
  });

  test("command words are joined with spaces, as OpenSSH does", async () => {
    const r = await ours([...proxyOpts(), "peer", "printf", "'%s-'", "a", "b c"]);
    expect(r.stdout).toBe("a-b-c-");
  });

  test("stdin reaches the command; -n gives it /dev/null", async () => {
    const r = await ours([...proxyOpts(), "peer", "cat"], new TextEncoder().encode("typed\n"));
    expect(r.stdout).toBe("typed\n");
    const n = await ours([...proxyOpts(), "-n", "peer", "cat; echo end"], new TextEncoder().encode("typed\n"));
    expect(n.stdout).toBe("end\n");
  });

  test("-N stays connected until killed; SIGTERM gives 255", async () => {
    const p = Bun.spawn([bin, "ssh", ...proxyOpts(), "-N", "peer"], { env: env(), stdout: "pipe", stderr: "pipe" });
    await Bun.sleep(1500);
    expect(p.exitCode).toBeNull();
    p.kill("SIGTERM");
    expect(await p.exited).toBe(255);
  });

  test("a remote command killed by a signal gives 255", async () => {
    const r = await ours([...proxyOpts(), "peer", "kill -TERM $$"]);
    expect(r.exitCode).toBe(255);
  });

  test("64 MiB upload and download keep every byte (sha256)", async () => {
    const data = randomBytes(64 * 1024 * 1024);
    const file = join(dir, "blob");
    writeFileSync(file, data);
    const want = createHash("sha256").update(data).digest("hex");
    const up = await ours([...proxyOpts(), "peer", "sha256sum"], data);
    expect(up.stdout.split(" ")[0]).toBe(want);
    const p = Bun.spawn([bin, "ssh", ...proxyOpts(), "peer", `cat ${file}`], { env: env(), stdout: "pipe", stderr: "pipe" });
    const [out, code] = await Promise.all([new Response(p.stdout).arrayBuffer(), p.exited]);
    expect({ hash: createHash("sha256").update(new Uint8Array(out)).digest("hex"), code }).toEqual({ hash: want, code: 0 });
  }, 60_000);

  test("every cipher both sides have", async () => {
    const ciphers = CIPHERS.map((c) => c.name).filter((c) => theirs.cipher.includes(c));
    expect(ciphers.length).toBeGreaterThan(3);
    for (const c of ciphers) {
      const r = await ours([...proxyOpts(join(dir, "sshd_all")), "-c", c, "peer", "echo ok"]);
      expect({ c, out: r.stdout, code: r.exitCode }).toEqual({ c, out: "ok\n", code: 0 });
    }
  }, 60_000);

  test("every MAC both sides have", async () => {
    const macs = MACS.map((m) => m.name).filter((m) => theirs.mac.includes(m));
    for (const m of macs) {
      const r = await ours([...proxyOpts(join(dir, "sshd_all")), "-c", "aes128-ctr", "-m", m, "peer", "echo ok"]);
      expect({ m, out: r.stdout, code: r.exitCode }).toEqual({ m, out: "ok\n", code: 0 });
    }
  }, 60_000);

  test("every key exchange both sides have", async () => {
    const kex = KEX_METHODS.map((k) => k.name).filter((k) => theirs.kex.includes(k));
    expect(kex.length).toBeGreaterThan(3);
    for (const k of kex) {
      const r = await ours([...proxyOpts(join(dir, "sshd_all")), "-o", `KexAlgorithms=${k}`, "peer", "echo ok"]);
      expect({ k, out: r.stdout, code: r.exitCode }).toEqual({ k, out: "ok\n", code: 0 });
    }
  }, 120_000);

  test("every host key algorithm both sides have", async () => {
    const algs = HOST_KEY_ALGORITHMS.filter((a) => theirs.key.includes(a));
    for (const a of algs) {
      const r = await ours([...proxyOpts(), "-o", `HostKeyAlgorithms=${a}`, "peer", "echo ok"]);
      expect({ a, out: r.stdout, code: r.exitCode }).toEqual({ a, out: "ok\n", code: 0 });
    }
  }, 60_000);
});

describe.skipIf(!enabled)("our ssh and OpenSSH's ssh say the same", () => {
  /** Runs OpenSSH's ssh and ours with the same arguments; returns both (stdout, stderr, exit status). */
  async function both(args: string[]): Promise<[Awaited<ReturnType<typeof exec>>, Awaited<ReturnType<typeof exec>>]> {
    return [await exec([OPENSSH.ssh, ...args], { env: env() }), await ours(args)];
  }

  test("StrictHostKeyChecking=yes and an unknown host: refused with OpenSSH's words, 255", async () => {
    const empty = join(dir, "kh-empty");
    writeFileSync(empty, "");
    const [o, s] = await both([...proxyOpts(undefined, empty), "-o", "HostKeyAlgorithms=ssh-ed25519", "peer", "true"]);
    expect(s.stderr).toBe("No ED25519 host key is known for peer and you have requested strict checking.\r\nHost key verification failed.\r\n");
    expect(same(s)).toEqual(same(o));
  });

  test("a changed host key: the whole warning block, 255", async () => {
    const wrong = join(dir, "kh-wrong");
    const other = readFileSync(join(dir, "id_ed25519.pub"), "utf8").trim();
    writeFileSync(wrong, `# comment\npeer ${other}\n`);
    const [o, s] = await both([...proxyOpts(undefined, wrong), "-o", "HostKeyAlgorithms=ssh-ed25519", "peer", "true"]);
    expect(s.stderr).toContain("@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @");
    expect(s.stderr).toContain(`Offending ED25519 key in ${wrong}:2\r\n`);
    expect(same(s)).toEqual(same(o));
  });

  test("accept-new adds the key and says so", async () => {
    for (const [who, prog] of [["openssh", OPENSSH.ssh], ["ours", `${bin} ssh`]] as const) {
      const kh = join(dir, `kh-new-${who}`);
      writeFileSync(kh, "");
      const r = await exec([...prog.split(" "), "-o", "StrictHostKeyChecking=accept-new", "-o", "HostKeyAlgorithms=ssh-ed25519", ...proxyOpts(undefined, kh), "peer", "echo ok"], { env: env() });
      expect({ who, out: r.stdout, err: r.stderr, code: r.exitCode }).toEqual({ who, out: "ok\n", err: "Warning: Permanently added 'peer' (ED25519) to the list of known hosts.\r\n", code: 0 });
      expect(readFileSync(kh, "utf8")).toBe(`peer ${readFileSync(`${hostKeys!.keys.ed25519}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ")}\n`);
    }
  });

  test("no usable key: user@host: Permission denied (publickey)", async () => {
    const cfg = sshdConfigIn("pubkey-only", [hostKeys!.keys.ed25519], ["AuthenticationMethods publickey"]);
    const args = [...proxyOpts(cfg), "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=/nonexistent", "-o", "User=nobody", "peer", "true"];
    const r = await ours(args.filter((a, i) => !(a === "-i" || args[i - 1] === "-i")));
    expect({ err: r.stderr, code: r.exitCode }).toEqual({ err: "nobody@peer: Permission denied (publickey).\r\n", code: 255 });
  });

  test("no common cipher: Unable to negotiate ... Their offer", async () => {
    const cfg = sshdConfigIn("one-cipher", [hostKeys!.keys.ed25519], ["Ciphers aes256-gcm@openssh.com"]);
    const [o, s] = await both([...proxyOpts(cfg), "-c", "aes128-ctr", "peer", "true"]);
    expect(s.stderr).toBe("Unable to negotiate with UNKNOWN port 65535: no matching cipher found. Their offer: aes256-gcm@openssh.com\r\n");
    expect(same(s)).toEqual(same(o));
  });

  test("connection refused", async () => {
    const port = await freePort();
    const [o, s] = await both(["-F", "none", "-p", String(port), "127.0.0.1", "true"]);
    expect(same(s)).toEqual(same(o));
  });

  test("-Q answers and an unknown query", async () => {
    const s = await ours(["-Q", "cipher"]);
    expect(s.stdout.trim().split("\n")).toEqual(expect.arrayContaining(theirs.cipher.filter((c) => CIPHERS.some((x) => x.name === c))));
    const bad = await ours(["-Q", "nonsense"]);
    expect({ err: bad.stderr, code: bad.exitCode }).toEqual({ err: 'Unsupported query "nonsense"\r\n', code: 255 });
  });

  test("-G prints the keywords OpenSSH prints, with the same values", async () => {
    const cfg = join(dir, "g_config");
    writeFileSync(cfg, "Host peer\n  HostName 192.0.2.7\n  Port 2222\n  User fred\n  ServerAliveInterval 30\nHost *\n  Compression yes\n  StrictHostKeyChecking accept-new\n");
    for (const args of [["-F", cfg, "peer"], ["-F", cfg, "-l", "bob", "-p", "2022", "other"], ["-F", "none", "-o", "ConnectTimeout=5", "host"]]) {
      const [o, s] = await both(["-G", ...args]);
      const parse = (t: string) => new Map(t.trim().split("\n").map((l) => [l.split(" ")[0]!, l] as const));
      const a = parse(o.stdout);
      const b = parse(s.stdout);
      const shared = ["host", "hostname", "user", "port", "compression", "stricthostkeychecking", "serveraliveinterval", "connecttimeout", "batchmode", "requesttty", "identitiesonly", "loglevel", "addressfamily", "numberofpasswordprompts", "userknownhostsfile", "globalknownhostsfile", "proxycommand", "forwardagent"];
      for (const k of shared) expect({ k, v: b.get(k) }).toEqual({ k, v: a.get(k) });
      expect(s.exitCode).toBe(0);
    }
  });
});

describe.skipIf(!enabled)("keys and prompts", () => {
  test("an encrypted key is unlocked through SSH_ASKPASS (SSH_ASKPASS_REQUIRE=force)", async () => {
    const key = join(dir, "id_locked");
    await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "sesame", "-f", key]);
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "id_ed25519.pub"), "utf8") + readFileSync(`${key}.pub`, "utf8"));
    const askpass = join(dir, "askpass.sh");
    writeFileSync(askpass, `#!/bin/sh\necho "$1" >> ${join(dir, "askpass.log")}\necho sesame\n`, { mode: 0o755 });
    const args = ["-F", "none", "-o", `ProxyCommand=${OPENSSH.sshd} -i -f ${join(dir, "sshd_config")}`, "-o", `UserKnownHostsFile=${join(dir, "known_hosts")}`, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "-i", key, "peer", "echo unlocked"];
    const r = await exec([bin, "ssh", ...args], { env: { ...env(), SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force" } });
    expect({ out: r.stdout, code: r.exitCode, asked: readFileSync(join(dir, "askpass.log"), "utf8") }).toEqual({ out: "unlocked\n", code: 0, asked: `Enter passphrase for key '${key}': \n` });
  });

  test("a private key readable by others is refused with OpenSSH's block", async () => {
    const key = join(dir, "id_open");
    await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", key]);
    chmodSync(key, 0o644);
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "id_ed25519.pub"), "utf8") + readFileSync(`${key}.pub`, "utf8"));
    const args = ["-o", "IdentitiesOnly=yes", "-o", `IdentityFile=${key}`, ...proxyOpts(), "peer", "echo fallback"];
    const [o, s] = [await exec([OPENSSH.ssh, ...args], { env: env() }), await ours(args)];
    expect(s.stderr).toContain(`Permissions 0644 for '${key}' are too open.\r\n`);
    expect(same(s)).toEqual(same(o));
  });

  test("user: -o User, then -l, then user@ — the first given wins", async () => {
    const user = async (...a: string[]) => (await ours(["-G", "-F", "none", ...a])).stdout.match(/^user (.*)$/m)?.[1];
    expect(await user("-o", "user=foo", "-l", "bar", "baz@host")).toBe("foo");
    expect(await user("-lbar", "baz@host")).toBe("bar");
    expect(await user("baz@host", "-o", "user=foo", "-l", "bar")).toBe("baz");
    const bad = await ours(["-G", "-F", "none", "-l", "${FOO}", "host"]);
    expect({ err: bad.stderr, code: bad.exitCode }).toEqual({ err: "remote username contains invalid characters\r\n", code: 255 });
  });

  test.skipIf(!Bun.which("script"))("-tt on a terminal: a remote shell in a pty, its exit status, ~. ends it", async () => {
    const cmd = [bin, "ssh", ...proxyOpts(), "-tt", "peer"].map((a) => `'${a}'`).join(" ");
    const run = async (input: string[]) => {
      const p = Bun.spawn(["script", "-qec", cmd, "/dev/null"], { env: { ...env(), TERM: "dumb" }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
      const out = new Response(p.stdout).text();
      for (const line of input) {
        await Bun.sleep(700);
        p.stdin.write(line);
        await p.stdin.flush();
      }
      return { out: await out, code: await p.exited };
    };
    const shell = await run(["echo in-pty $((6*7)); tty\n", "exit 5\n"]);
    expect(shell.out).toContain("in-pty 42\r\n/dev/pts/");
    expect(shell.out).toContain("Connection to peer closed.\r\n");
    expect(shell.code).toBe(5);
    const escaped = await run(["\n", "~."]);
    expect(escaped.out).toContain("~.\r\nConnection to peer closed.\r\n");
    expect(escaped.code).toBe(255);
  }, 30_000);

  test.skipIf(!Bun.which("script"))("StrictHostKeyChecking=ask on a terminal: OpenSSH's question, yes adds the key", async () => {
    for (const [who, prog] of [["openssh", OPENSSH.ssh], ["ours", `${bin} ssh`]] as const) {
      const kh = join(dir, `kh-ask-${who}`);
      writeFileSync(kh, "");
      const opts = ["-F", "none", "-o", `ProxyCommand=${OPENSSH.sshd} -i -f ${join(dir, "sshd_config")}`, "-o", `UserKnownHostsFile=${kh}`, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "HostKeyAlgorithms=ssh-ed25519", "-i", join(dir, "id_ed25519"), "peer", "echo", "hello"];
      const cmd = [...prog.split(" "), ...opts].map((a) => `'${a}'`).join(" ");
      const p = Bun.spawn(["script", "-qec", cmd, "/dev/null"], { env: env(), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
      let seen = "";
      const reader = p.stdout.getReader();
      while (!seen.includes("(yes/no/[fingerprint])? ")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
      p.stdin.write("yes\n");
      await p.stdin.flush();
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
      await p.exited;
      const fpr = (await exec([OPENSSH.sshKeygen, "-lf", `${hostKeys!.keys.ed25519}.pub`])).stdout.split(" ")[1];
      expect({ who, text: seen.replace(/\r/g, "") }).toEqual({
        who,
        text: "The authenticity of host 'peer (<no hostip for proxy command>)' can't be established.\n" +
          `ED25519 key fingerprint is ${fpr}.\nThis key is not known by any other names.\n` +
          "Are you sure you want to continue connecting (yes/no/[fingerprint])? yes\n" +
          "Warning: Permanently added 'peer' (ED25519) to the list of known hosts.\nhello\n",
      });
      expect(readFileSync(kh, "utf8").startsWith("peer ssh-ed25519 ")).toBe(true);
    }
  }, 30_000);
});

/** The comparable part of a run. */
function same(r: { stdout: string; stderr: string; exitCode: number }): string {
  return JSON.stringify([r.stdout, r.stderr, r.exitCode]);
}

/** A port nobody listens on (bound once, then closed). */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe.skipIf(!enabled)("our ssh → a listening OpenSSH sshd on 127.0.0.1", () => {
  test("-p to the chosen port runs commands", async () => {
    const port = await freePort();
    const cfg = join(dir, "sshd_listen");
    writeFileSync(cfg, [`HostKey ${hostKeys!.keys.ed25519}`, `HostKey ${hostKeys!.keys.rsa}`, "UsePAM no", "StrictModes no", "PidFile none", `AuthorizedKeysFile ${join(dir, "authorized_keys")}`, "ListenAddress 127.0.0.1", `Port ${port}`, ""].join("\n"));
    chmodSync(dir, 0o700);
    const sshd = Bun.spawn([OPENSSH.sshd, "-D", "-e", "-f", cfg], { stdout: "ignore", stderr: "pipe" });
    try {
      // wait for "Server listening"
      const reader = sshd.stderr.getReader();
      let seen = "";
      while (!seen.includes("Server listening")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
      void (async () => {
        while (!(await reader.read()).done);
      })();
      const kh = join(dir, "kh-port");
      writeFileSync(kh, `[127.0.0.1]:${port} ${readFileSync(`${hostKeys!.keys.ed25519}.pub`, "utf8")}`);
      const base = ["-F", "none", "-p", String(port), "-o", `UserKnownHostsFile=${kh}`, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-i", join(dir, "id_ed25519"), "127.0.0.1"];
      const r = await ours([...base, "echo direct; exit 7"]);
      expect(r).toEqual({ stdout: "direct\n", stderr: "", exitCode: 7 });
      // StrictHostKeyChecking=yes with only an RSA key known: the ed25519 key is not preferred, RSA is
      writeFileSync(kh, `[127.0.0.1]:${port} ${readFileSync(`${hostKeys!.keys.rsa}.pub`, "utf8")}`);
      const rsa = await ours([...base, "echo rsa"]);
      expect(rsa).toEqual({ stdout: "rsa\n", stderr: "", exitCode: 0 });
      // accept-new with CheckHostIP by name: a loopback address is never recorded (sshconnect.c), as OpenSSH does
      for (const [who, prog] of [["openssh", OPENSSH.ssh], ["ours", `${bin} ssh`]] as const) {
        const fresh = join(dir, `kh-ip-${who}`);
        writeFileSync(fresh, "");
        const args = ["-4", "-F", "none", "-p", String(port), "-o", "CheckHostIP=yes", "-o", "StrictHostKeyChecking=accept-new", "-o", "HostKeyAlgorithms=ssh-ed25519", "-o", `UserKnownHostsFile=${fresh}`, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-i", join(dir, "id_ed25519"), "localhost", "echo named"];
        const r = await exec([...prog.split(" "), ...args], { env: env() });
        expect({ who, r: same(r), line: readFileSync(fresh, "utf8").split(" ")[0] }).toEqual({
          who, r: same({ stdout: "named\n", stderr: `Warning: Permanently added '[localhost]:${port}' (ED25519) to the list of known hosts.\r\n`, exitCode: 0 }),
          line: `[localhost]:${port}`,
        });
      }
      // -W as a jump: OpenSSH's ssh reaches the listening sshd through our ssh's stdio forward over sshd -i
      const jump = [bin, "ssh", ...proxyOpts(), "-W", "%h:%p", "peer"].map((a) => `'${a}'`).join(" ");
      const viaJump = await exec([OPENSSH.ssh, "-F", "none", "-p", String(port), "-o", `ProxyCommand=${jump}`, "-o", `UserKnownHostsFile=${kh}`, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-i", join(dir, "id_ed25519"), "127.0.0.1", "echo jumped"], { env: env() });
      expect({ out: viaJump.stdout, code: viaJump.exitCode, err: viaJump.stderr }).toEqual({ out: "jumped\n", code: 0, err: "" });
      // -q: nothing but the command's own output; -E: the log goes to the file
      const log = join(dir, "ssh.log");
      const quiet = await ours(["-q", "-E", log, "-v", ...base, "echo quiet"]);
      expect(quiet.stdout).toBe("quiet\n");
      expect(quiet.stderr).toBe("");
      expect(readFileSync(log, "utf8")).toContain("debug1: Sending command: echo quiet\r\n");
    } finally {
      sshd.kill();
      await sshd.exited;
    }
  }, 30_000);
});
