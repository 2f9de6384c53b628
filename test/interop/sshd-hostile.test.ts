// Hostile clients against our listening sshd (issue: sshd): a thousand connections sending garbage, oversize packet
// lengths, byte-at-a-time banners, nothing at all, or auth floods, while OpenSSH's ssh logs in; afterwards the server
// holds no extra file descriptors and still serves.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { OPENSSH, exec, havePeers } from "../helpers/openssh.ts";
import { scratchSshd, type ScratchSshd } from "../helpers/scratch-sshd.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshKeygen);
let sshd: ScratchSshd | undefined;
let server: ReturnType<typeof Bun.spawn> | undefined;
let port = 0;

beforeAll(async () => {
  if (!enabled) return;
  sshd = await scratchSshd("sshbox-hostile-", { mode: 0o700 });
  // sshd_config refuses port 0 (as OpenSSH's a2port does): take a free port from the kernel first.
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const free = probe.port;
  probe.stop(true);
  const config = sshd.writeConfig("sshd_config", [
    `ListenAddress 127.0.0.1:${free}`, ...sshd.baseConfig,
    "PasswordAuthentication no", "MaxStartups 10:30:60", "LoginGraceTime 3", "MaxAuthTries 3", "PidFile none",
  ]);
  server = Bun.spawn([sshd.bin, "sshd", "-D", "-e", "-f", config], { stdout: "ignore", stderr: "pipe" });
  const reader = (server.stderr as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (!/Server listening on 127\.0\.0\.1 port (\d+)\./.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`sshd exited: ${text}`);
    text += new TextDecoder().decode(value);
  }
  port = Number(/port (\d+)\./.exec(text)![1]);
  void (async () => {
    for (;;) if ((await reader.read()).done) break; // keep draining the log
  })();
}, 60_000);
afterAll(() => {
  server?.kill();
  sshd?.remove();
});

const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** One hostile connection of kind `k`; resolves when the server closed it or after `ms`. */
function hostile(k: number, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => resolve();
    const timer = setTimeout(() => {
      sock?.end();
      done();
    }, ms);
    let sock: { write(d: string | Uint8Array): number; end(): void } | undefined;
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          sock = s;
          if (k === 0) s.write(crypto.getRandomValues(new Uint8Array(4096))); // garbage
          else if (k === 1) s.write("SSH-2.0-evil\r\n\x7f\xff\xff\xff" + "A".repeat(64)); // oversize packet length
          else if (k === 2) {
            // a banner one byte at a time
            const banner = "SSH-2.0-slow\r\n";
            let i = 0;
            const t = setInterval(() => (i < banner.length ? s.write(banner[i++]!) : clearInterval(t)), 20);
          } else if (k === 3) {
            // half-open: says nothing
          } else s.write("SSH-2.0-flood\r\n" + "\x00\x00\x00\x0c\x0a\x15" + "\x00".repeat(10)); // NEWKEYS before KEXINIT
        },
        data() {},
        close() {
          clearTimeout(timer);
          done();
        },
        error() {
          clearTimeout(timer);
          done();
        },
      },
    }).catch(() => {
      clearTimeout(timer);
      done();
    });
  });
}

async function legitLogin(): Promise<boolean> {
  const r = await exec([OPENSSH.ssh, "-p", String(port), ...sshd!.clientOptions({ logLevel: null }), "-o", "ConnectTimeout=10", "127.0.0.1", "echo alive"]);
  return r.stdout === "alive\n";
}

test.skipIf(!enabled)("1,000 hostile connections: a real client still logs in, limits hold, nothing leaks", async () => {
  const pid = server!.pid;
  await legitLogin(); // warm: lazy modules, worker threads
  const before = fdCount(pid);
  const all: Promise<void>[] = [];
  let legitDuring = false;
  for (let batch = 0; batch < 20; batch++) {
    const wave = Array.from({ length: 50 }, (_, i) => hostile((batch * 50 + i) % 5, 4000));
    all.push(...wave);
    if (batch === 10) {
      // MaxStartups may drop it at random while 60 are pending (as OpenSSH would): retry as an admin would.
      for (let i = 0; i < 10 && !legitDuring; i++) legitDuring = await legitLogin();
    }
    await Promise.all(wave);
  }
  await Promise.all(all);
  expect(legitDuring).toBe(true);
  expect(await legitLogin()).toBe(true);
  // LoginGraceTime (3 s) closes what the attackers left open; then the descriptor count is back where it was.
  let after = fdCount(pid);
  for (let i = 0; i < 40 && after > before; i++) {
    await Bun.sleep(250);
    after = fdCount(pid);
  }
  expect(after).toBeLessThanOrEqual(before);
  expect(server!.exitCode).toBeNull();
}, 180_000);
