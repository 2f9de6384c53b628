// OpenSSH's ssh forwarding ports through our sshd (issue #6): -W, -L, -D (SOCKS5) and -R to a TCP echo server, Unix
// sockets both ways, and the policy around them as OpenSSH words it: PermitOpen (with Match Address), permitopen=,
// no-port-forwarding, AllowTcpForwarding, PermitListen; and nothing left listening or connected once a connection ends.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Socket, TCPSocketListener } from "bun";
import { OPENSSH, exec, havePeers } from "../helpers/openssh.ts";
import { scratchSshd, type ScratchSshd } from "../helpers/scratch-sshd.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshKeygen);
let sshd: ScratchSshd | undefined;
let dir = "";
let bin = "";
let pubkey = "";

/** Collects a stream's text and resolves waits for a pattern as soon as it appears (no polling). */
class Watcher {
  text = "";
  private waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  readonly ended: Promise<void>;
  constructor(stream: ReadableStream<Uint8Array>) {
    const dec = new TextDecoder();
    this.ended = (async () => {
      for await (const chunk of stream) {
        this.text += dec.decode(chunk, { stream: true });
        this.check();
      }
    })();
  }
  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      const m = w.re.exec(this.text);
      if (m) w.resolve(m);
      return !m;
    });
  }
  /** Resolves with the first match of `re` (now or later); rejects if the stream ends without one. */
  waitFor(re: RegExp): Promise<RegExpMatchArray> {
    const m = re.exec(this.text);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      this.waiters.push({ re, resolve });
      void this.ended.then(() => {
        const late = re.exec(this.text);
        if (late) resolve(late);
        else reject(new Error(`stream ended without ${re}:\n${this.text}`));
      });
    });
  }
}

/** A TCP or Unix socket client for the tests: queued writes (Bun drops what write() does not take), awaitable reads. */
class TestConn {
  private chunks: Uint8Array[] = [];
  private have = 0;
  private wake: (() => void) | null = null;
  private queue: Uint8Array[] = [];
  private ending = false;
  isClosed = false;
  socket!: Socket<undefined>;
  static async open(target: { port: number } | { unix: string }): Promise<TestConn> {
    const c = new TestConn();
    const handlers = {
      data: (_s: Socket<undefined>, d: Uint8Array) => {
        c.chunks.push(d.slice());
        c.have += d.length;
        c.wake?.();
      },
      drain: () => c.flush(),
      close: () => {
        c.isClosed = true;
        c.wake?.();
      },
      end: () => {
        c.isClosed = true;
        c.wake?.();
      },
    };
    c.socket = "port" in target
      ? await Bun.connect({ hostname: "127.0.0.1", port: target.port, allowHalfOpen: true, socket: handlers })
      : await Bun.connect({ unix: target.unix, allowHalfOpen: true, socket: handlers });
    return c;
  }
  write(b: Uint8Array | string): void {
    this.queue.push(typeof b === "string" ? new TextEncoder().encode(b) : b);
    this.flush();
  }
  /** Half-closes once everything written is out. */
  end(): void {
    this.ending = true;
    this.flush();
  }
  private flush(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = this.socket.write(head);
      if (n < head.length) {
        if (n > 0) this.queue[0] = head.subarray(n);
        return;
      }
      this.queue.shift();
    }
    if (this.ending) this.socket.shutdown();
  }
  private take(n: number): Uint8Array {
    const all = Buffer.concat(this.chunks);
    this.chunks = [all.subarray(n)];
    this.have -= n;
    return all.subarray(0, n);
  }
  /** Exactly `n` bytes (rejects if the connection closes first). */
  async read(n: number): Promise<Uint8Array> {
    while (this.have < n) {
      if (this.isClosed) throw new Error(`closed after ${this.have} of ${n} bytes`);
      await new Promise<void>((r) => (this.wake = r));
    }
    return this.take(n);
  }
  /** Everything until the peer closes. */
  async rest(): Promise<Uint8Array> {
    while (!this.isClosed) await new Promise<void>((r) => (this.wake = r));
    return this.take(this.have);
  }
}

interface Echo {
  readonly port: number;
  /** Connections open now. */
  readonly open: number;
  /** Resolves when no connection is open. */
  idle(): Promise<void>;
  stop(): void;
}
/** A TCP echo server on 127.0.0.1 (half-close aware: it ends after the client's FIN and its own queue). */
function echoServer(): Echo {
  let open = 0;
  let idleWaiters: (() => void)[] = [];
  type St = { q: Uint8Array[]; fin: boolean };
  const flush = (s: Socket<St>): void => {
    while (s.data.q.length > 0) {
      const head = s.data.q[0]!;
      const n = s.write(head);
      if (n < head.length) {
        if (n > 0) s.data.q[0] = head.subarray(n);
        return;
      }
      s.data.q.shift();
    }
    if (s.data.fin) s.end();
  };
  const server: TCPSocketListener<St> = Bun.listen<St>({
    hostname: "127.0.0.1", port: 0, allowHalfOpen: true,
    socket: {
      open: (s) => {
        s.data = { q: [], fin: false };
        open++;
      },
      data: (s, d) => {
        s.data.q.push(d.slice());
        flush(s);
      },
      drain: (s) => flush(s),
      end: (s) => {
        s.data.fin = true;
        flush(s);
      },
      close: () => {
        open--;
        if (open === 0) for (const w of idleWaiters.splice(0)) w();
      },
    },
  });
  return {
    port: server.port,
    get open() {
      return open;
    },
    idle: () => (open === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    stop: () => server.stop(true),
  };
}

/** A port nobody listens on right now (taken from the kernel, then released). */
function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = probe.port;
  probe.stop(true);
  return p;
}

function writeConfig(name: string, extra: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, [...sshd!.hostKeyLines, `AuthorizedKeysFile ${join(dir, `keys_${name}`)}`, "StrictModes no", "PidFile none", "LogLevel DEBUG", ...extra, ""].join("\n"));
  writeFileSync(join(dir, `keys_${name}`), pubkey);
  return path;
}

const SSH_OPTS = (): string[] => sshd!.clientOptions({ logLevel: null });

/** ssh through `sshd -i` (ProxyCommand): the server sees the client as UNKNOWN port 65535. */
function proxyArgs(config: string, log: string): string[] {
  return sshd!.viaProxy(config, `-E ${log}`, { logLevel: null });
}

/** ssh running in the background with its stderr watched; kill() ends it and awaits its exit. */
function spawnSsh(args: string[], stdin: "ignore" | "pipe" = "ignore") {
  const p = Bun.spawn([OPENSSH.ssh, ...args], { stdin, stdout: "pipe", stderr: "pipe", env: { PATH: "/usr/bin:/bin" } });
  const err = new Watcher(p.stderr as ReadableStream<Uint8Array>);
  return {
    p,
    err,
    async kill(): Promise<number> {
      p.kill();
      return p.exited;
    },
  };
}

/** A listening sshd of ours (for Match Address and for leak checks across connections). */
async function listeningSshd(extra: string[]) {
  const port = freePort();
  const config = writeConfig(`listen_${port}`, [`ListenAddress 127.0.0.1:${port}`, ...extra]);
  const p = Bun.spawn([bin, "sshd", "-D", "-e", "-f", config], { stdout: "ignore", stderr: "pipe" });
  const log = new Watcher(p.stderr as ReadableStream<Uint8Array>);
  await log.waitFor(/Server listening on 127\.0\.0\.1 port \d+\./);
  return {
    port,
    log,
    pid: p.pid,
    args: [...SSH_OPTS(), "-p", String(port)],
    async stop(): Promise<void> {
      p.kill();
      await p.exited;
    },
  };
}

/** `n` random bytes (getRandomValues fills at most 64 KiB at a time). */
function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** Sends `payload` through a TCP port, half-closes, and returns everything that came back before the close. */
async function roundTrip(target: { port: number } | { unix: string }, payload: Uint8Array): Promise<Uint8Array> {
  const c = await TestConn.open(target);
  c.write(payload);
  c.end();
  return c.rest();
}

let echo: Echo;

beforeAll(async () => {
  if (!enabled) return;
  sshd = await scratchSshd("sshbox-fwd-");
  ({ dir, bin } = sshd);
  pubkey = readFileSync(join(dir, "id.pub"), "utf8");
  echo = echoServer();
}, 120_000);
afterAll(() => {
  echo?.stop();
  if (!process.env.KEEP_FWD) sshd?.remove();
});

describe.skipIf(!enabled)("OpenSSH ssh forwards through our sshd", () => {
  test("-W: stdio to a TCP server, 2 MB both ways with a half-close at the end", async () => {
    const cfg = writeConfig("w", []);
    const payload = random(2 * 1024 * 1024);
    const r = Bun.spawn([OPENSSH.ssh, ...proxyArgs(cfg, join(dir, "w.log")), "-W", `127.0.0.1:${echo.port}`, "root@peer"], { stdin: payload, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([r.stdout.bytes(), r.stderr.text(), r.exited]);
    expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
    expect(Buffer.from(out).equals(Buffer.from(payload))).toBe(true);
  }, 60_000);

  test("-W to a closed port: connect failed with strerror's text; the log says connect_to … failed.", async () => {
    const cfg = writeConfig("wfail", []);
    const log = join(dir, "wfail.log");
    const dead = freePort();
    const r = await exec([OPENSSH.ssh, ...proxyArgs(cfg, log), "-W", `127.0.0.1:${dead}`, "root@peer"]);
    expect(r.exitCode).toBe(255);
    expect(r.stderr.replaceAll("\r\n", "\n")).toContain("channel 0: open failed: connect failed: Connection refused\n");
    expect(readFileSync(log, "utf8")).toContain(`connect_to 127.0.0.1 port ${dead}: failed.\n`);
  }, 30_000);

  test("-L and -D (SOCKS5 written by hand) reach the echo server", async () => {
    const cfg = writeConfig("ld", []);
    const lport = freePort();
    const dport = freePort();
    const ssh = spawnSsh([...proxyArgs(cfg, join(dir, "ld.log")), "-v", "-N", "-o", "ExitOnForwardFailure=yes", "-L", `127.0.0.1:${lport}:127.0.0.1:${echo.port}`, "-D", `127.0.0.1:${dport}`, "root@peer"]);
    try {
      await ssh.err.waitFor(/Entering interactive session\./);
      const payload = random(300_000);
      expect(Buffer.from(await roundTrip({ port: lport }, payload)).equals(Buffer.from(payload))).toBe(true);
      const c = await TestConn.open({ port: dport });
      c.write(new Uint8Array([5, 1, 0])); // SOCKS5, one method: no authentication
      expect([...(await c.read(2))]).toEqual([5, 0]);
      c.write(new Uint8Array([5, 1, 0, 1, 127, 0, 0, 1, echo.port >> 8, echo.port & 0xff])); // CONNECT 127.0.0.1:port
      const reply = await c.read(10);
      expect([reply[0], reply[1]]).toEqual([5, 0]);
      c.write("through socks\n");
      c.end();
      expect(new TextDecoder().decode(await c.rest())).toBe("through socks\n");
      // a name resolved on the server (SOCKS5 DOMAINNAME): "localhost" may be ::1 first, where nothing listens; the
      // next address (127.0.0.1) is tried, as channels.c connect_next does
      const n = await TestConn.open({ port: dport });
      n.write(new Uint8Array([5, 1, 0]));
      expect([...(await n.read(2))]).toEqual([5, 0]);
      n.write(new Uint8Array([5, 1, 0, 3, 9, ...new TextEncoder().encode("localhost"), echo.port >> 8, echo.port & 0xff]));
      const r2 = await n.read(10);
      expect([r2[0], r2[1]]).toEqual([5, 0]);
      n.write("by name\n");
      n.end();
      expect(new TextDecoder().decode(await n.rest())).toBe("by name\n");
    } finally {
      await ssh.kill();
    }
  }, 60_000);

  test("-R with port 0: the allocated port is announced and forwards to the client's side", async () => {
    const cfg = writeConfig("r", []);
    const log = join(dir, "r.log");
    const ssh = spawnSsh([...proxyArgs(cfg, log), "-N", "-o", "ExitOnForwardFailure=yes", "-R", `0:127.0.0.1:${echo.port}`, "root@peer"]);
    try {
      const m = await ssh.err.waitFor(/Allocated port (\d+) for remote forward to 127\.0\.0\.1:(\d+)/);
      const port = Number(m[1]);
      const payload = random(500_000);
      expect(Buffer.from(await roundTrip({ port }, payload)).equals(Buffer.from(payload))).toBe(true);
    } finally {
      await ssh.kill();
    }
    expect(readFileSync(log, "utf8")).toContain("debug1: server_input_global_request: tcpip-forward listen localhost port 0\n");
  }, 60_000);

  test("Unix sockets: -R to a socket path on the server, -L from a port to a socket path (direct-streamlocal)", async () => {
    const cfg = writeConfig("unix", ["StreamLocalBindUnlink yes"]);
    const sock = join(dir, "fwd.sock");
    const lport = freePort();
    const ssh = spawnSsh([...proxyArgs(cfg, join(dir, "unix.log")), "-v", "-N", "-o", "ExitOnForwardFailure=yes", "-R", `${sock}:127.0.0.1:${echo.port}`, "-L", `127.0.0.1:${lport}:${sock}`, "root@peer"]);
    try {
      await ssh.err.waitFor(/remote forward success for: listen .*fwd\.sock/);
      // server socket -> client -> echo, and a local port -> server -> that socket -> client -> echo
      expect(new TextDecoder().decode(await roundTrip({ unix: sock }, new TextEncoder().encode("via unix\n")))).toBe("via unix\n");
      expect(new TextDecoder().decode(await roundTrip({ port: lport }, new TextEncoder().encode("both ways\n")))).toBe("both ways\n");
    } finally {
      await ssh.kill();
    }
  }, 60_000);
});

describe.skipIf(!enabled)("forwarding policy, as OpenSSH decides and logs it", () => {
  const tryW = async (cfg: string, log: string, target: string) => exec([OPENSSH.ssh, ...proxyArgs(cfg, log), "-W", target, "root@peer"], { stdin: new TextEncoder().encode("ping\n") });
  const tryR = async (cfg: string, log: string) => exec([OPENSSH.ssh, ...proxyArgs(cfg, log), "-o", "ExitOnForwardFailure=yes", "-R", `0:127.0.0.1:${echo.port}`, "root@peer", "true"]);

  test("PermitOpen: a listed destination passes, another is refused with OpenSSH's log line", async () => {
    const cfg = writeConfig("po", [`PermitOpen 127.0.0.1:1 127.0.0.1:${echo.port}`]);
    const log = join(dir, "po.log");
    expect((await tryW(cfg, log, `127.0.0.1:${echo.port}`)).stdout).toBe("ping\n");
    const denied = await tryW(cfg, log, `localhost:${echo.port}`); // hosts compare as strings, as OpenSSH's
    expect(denied.exitCode).toBe(255);
    expect(denied.stderr.replaceAll("\r\n", "\n")).toContain("channel 0: open failed: administratively prohibited: open failed\n");
    expect(readFileSync(log, "utf8")).toContain(`Received request from UNKNOWN port 65535 to connect to host localhost port ${echo.port}, but the request was denied.\n`);
  }, 30_000);

  test("PermitOpen none, and the * port wildcard", async () => {
    const none = writeConfig("ponone", ["PermitOpen none"]);
    expect((await tryW(none, join(dir, "ponone.log"), `127.0.0.1:${echo.port}`)).exitCode).toBe(255);
    const wild = writeConfig("powild", ["PermitOpen 127.0.0.1:*"]);
    expect((await tryW(wild, join(dir, "powild.log"), `127.0.0.1:${echo.port}`)).stdout).toBe("ping\n");
  }, 30_000);

  test("permitopen= in authorized_keys narrows it further; no-port-forwarding and restrict refuse -L and -R", async () => {
    const cfg = writeConfig("keyopt", []);
    const log = join(dir, "keyopt.log");
    writeFileSync(join(dir, "keys_keyopt"), `permitopen="127.0.0.1:${echo.port}" ${pubkey}`);
    expect((await tryW(cfg, log, `127.0.0.1:${echo.port}`)).stdout).toBe("ping\n");
    expect((await tryW(cfg, log, "127.0.0.1:1")).stderr).toContain("administratively prohibited");
    for (const opt of ["no-port-forwarding", "restrict"]) {
      writeFileSync(join(dir, "keys_keyopt"), `${opt} ${pubkey}`);
      expect((await tryW(cfg, log, `127.0.0.1:${echo.port}`)).stderr).toContain("administratively prohibited");
      const r = await tryR(cfg, log);
      expect([r.exitCode, r.stderr]).toEqual([255, expect.stringContaining("Error: remote port forwarding failed for listen port 0")]);
    }
    writeFileSync(join(dir, "keys_keyopt"), `restrict,port-forwarding ${pubkey}`);
    expect((await tryW(cfg, log, `127.0.0.1:${echo.port}`)).stdout).toBe("ping\n");
    expect(readFileSync(log, "utf8")).toContain(`refused local port forward: originator 127.0.0.1 port 65535, target 127.0.0.1 port ${echo.port}\n`);
  }, 60_000);

  test.each([
    ["yes", true, true],
    ["no", false, false],
    ["local", true, false],
    ["remote", false, true],
  ] as const)("AllowTcpForwarding %s: -W %p, -R %p", async (mode, local, remote) => {
    const cfg = writeConfig(`atf_${mode}`, [`AllowTcpForwarding ${mode}`]);
    const log = join(dir, `atf_${mode}.log`);
    const w = await tryW(cfg, log, `127.0.0.1:${echo.port}`);
    expect(w.stdout).toBe(local ? "ping\n" : "");
    const r = await tryR(cfg, log);
    expect(r.exitCode).toBe(remote ? 0 : 255);
    if (!local) expect(readFileSync(log, "utf8")).toContain(`refused local port forward: originator 127.0.0.1 port 65535, target 127.0.0.1 port ${echo.port}\n`);
  }, 60_000);

  test("PermitListen: a listed port is allowed, another refused with the log line", async () => {
    const port = freePort();
    const cfg = writeConfig("pl", [`PermitListen 127.0.0.1:${port}`]);
    const log = join(dir, "pl.log");
    const ok = await exec([OPENSSH.ssh, ...proxyArgs(cfg, log), "-o", "ExitOnForwardFailure=yes", "-R", `127.0.0.1:${port}:127.0.0.1:${echo.port}`, "root@peer", "true"]);
    expect(ok.exitCode).toBe(0);
    const bad = await exec([OPENSSH.ssh, ...proxyArgs(cfg, log), "-o", "ExitOnForwardFailure=yes", "-R", `${port}:127.0.0.1:${echo.port}`, "root@peer", "true"]);
    expect(bad.exitCode).toBe(255);
    expect(readFileSync(log, "utf8")).toContain(`Received request from UNKNOWN port 65535 to remote forward to host localhost port ${port}, but the request was denied.\n`);
  }, 30_000);
});

describe.skipIf(!enabled)("a listening sshd", () => {
  test("a jump host (-J): the bastion's direct-tcpip to a name reaches the target, even under ForceCommand /bin/false", async () => {
    const bastion = await listeningSshd(["ForceCommand /bin/false", "PermitTTY no"]);
    const target = await listeningSshd([]);
    try {
      const conf = join(dir, "jump_config");
      writeFileSync(conf, `Host *\n  IdentityFile ${join(dir, "id")}\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  BatchMode yes\n  LogLevel ERROR\n`);
      const r = await exec([OPENSSH.ssh, "-F", conf, "-J", `root@127.0.0.1:${bastion.port}`, "-p", String(target.port), "root@localhost", "echo through the bastion"]);
      expect({ out: r.stdout, code: r.exitCode, err: r.exitCode === 0 ? "" : r.stderr }).toEqual({ out: "through the bastion\n", code: 0, err: "" });
      await bastion.log.waitFor(/debug1: server_request_direct_tcpip: originator \S+ port \d+, target localhost port \d+/);
    } finally {
      await Promise.all([bastion.stop(), target.stop()]);
    }
  }, 60_000);

  test("Match Address applies PermitOpen: 127.0.0.1 may, sshd -i (UNKNOWN) may not", async () => {
    const server = await listeningSshd(["PermitOpen 127.0.0.1:1", "Match Address 127.0.0.1", `PermitOpen 127.0.0.1:2 127.0.0.1:${echo.port}`]);
    try {
      const r = await exec([OPENSSH.ssh, ...server.args, "-W", `127.0.0.1:${echo.port}`, "root@127.0.0.1"], { stdin: new TextEncoder().encode("match\n") });
      expect(r.stdout).toBe("match\n");
      const cfg = join(dir, `listen_${server.port}`);
      const proxied = await exec([OPENSSH.ssh, ...proxyArgs(cfg, join(dir, "match-i.log")), "-W", `127.0.0.1:${echo.port}`, "root@peer"]);
      expect(proxied.exitCode).toBe(255);
    } finally {
      await server.stop();
    }
  }, 30_000);

  test("when a connection ends, its -R listener and its forwarded sockets are gone, and sshd's descriptors are back", async () => {
    const server = await listeningSshd([]);
    try {
      const fds = (): number => readdirSync(`/proc/${server.pid}/fd`).length;
      const before = fds();
      const lport = freePort();
      const ssh = spawnSsh([...server.args, "-v", "-N", "-o", "ExitOnForwardFailure=yes", "-R", `0:127.0.0.1:${echo.port}`, "-L", `127.0.0.1:${lport}:127.0.0.1:${echo.port}`, "root@127.0.0.1"]);
      const m = await ssh.err.waitFor(/Allocated port (\d+) for remote forward/);
      const rport = Number(m[1]);
      // one connection held open through each direction
      const viaR = await TestConn.open({ port: rport });
      viaR.write("r\n");
      expect(new TextDecoder().decode(await viaR.read(2))).toBe("r\n");
      const viaL = await TestConn.open({ port: lport });
      viaL.write("l\n");
      expect(new TextDecoder().decode(await viaL.read(2))).toBe("l\n");
      expect(echo.open).toBeGreaterThanOrEqual(2);
      await ssh.kill();
      await server.log.waitFor(/Disconnected from user root 127\.0\.0\.1 port \d+|Connection closed by 127\.0\.0\.1/);
      await viaR.rest(); // sshd closed the accepted socket
      await echo.idle(); // and the connections it made to the echo server
      const refused = await Bun.connect({ hostname: "127.0.0.1", port: rport, socket: { data() {} } }).then((s) => (s.end(), false), () => true);
      expect(refused).toBe(true);
      expect(fds()).toBe(before);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
