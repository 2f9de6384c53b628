// Interop inside the protocol core: OpenSSH's ssh, through ProxyCommand, against our server core (transport, auth,
// connection, sessions) for every algorithm both support; commands, exit status, stdin/stdout/stderr.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync, createPublicKey } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CIPHERS, KEX_METHODS, MACS, HOST_KEY_ALGORITHMS } from "../../core/crypto/registry.ts";
import { blobFromPublicKeyObject } from "../../core/crypto/signatures.ts";
import { OPENSSH, exec, havePeers } from "../helpers/openssh.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshKeygen);
let dir = "";
let theirs: { cipher: string[]; mac: string[]; kex: string[] };
const hostKeys: Record<string, string> = {};

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), "sshbox-servercore-"));
  chmodSync(dir, 0o700);
  await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id_ed25519")]);
  const known: string[] = [];
  for (const [name, gen] of [
    ["ed25519", () => generateKeyPairSync("ed25519")],
    ["ecdsa256", () => generateKeyPairSync("ec", { namedCurve: "prime256v1" })],
    ["ecdsa384", () => generateKeyPairSync("ec", { namedCurve: "secp384r1" })],
    ["ecdsa521", () => generateKeyPairSync("ec", { namedCurve: "secp521r1" })],
    ["rsa", () => generateKeyPairSync("rsa", { modulusLength: 2048 })],
  ] as const) {
    const { privateKey } = gen();
    const path = join(dir, `host_${name}.pem`);
    writeFileSync(path, privateKey.export({ type: "pkcs8", format: "pem" }) as string, { mode: 0o600 });
    hostKeys[name] = path;
    const blob = blobFromPublicKeyObject(createPublicKey(privateKey));
    const type = Buffer.from(blob.subarray(4, 4 + new DataView(blob.buffer, blob.byteOffset).getUint32(0))).toString();
    known.push(`peer ${type} ${Buffer.from(blob).toString("base64")}`);
  }
  writeFileSync(join(dir, "known_hosts"), known.join("\n") + "\n");
  const q = async (what: string) => (await exec([OPENSSH.ssh, "-Q", what])).stdout.trim().split("\n");
  theirs = { cipher: await q("cipher"), mac: await q("mac"), kex: await q("kex") };
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function ssh(opts: { hostKey?: string; serverOpts?: string[]; sshOpts?: string[]; command: string; stdin?: string }) {
  const proxy = [process.execPath, join(import.meta.dir, "..", "fixtures", "server-core.ts"), hostKeys[opts.hostKey ?? "ed25519"]!, join(dir, "id_ed25519.pub"), ...(opts.serverOpts ?? [])].join(" ");
  const argv = [OPENSSH.ssh, "-F", "none", "-o", `ProxyCommand=${proxy} 2>>${join(dir, "server.log")}`, "-o", `UserKnownHostsFile=${join(dir, "known_hosts")}`, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-i", join(dir, "id_ed25519"), "-o", "IdentitiesOnly=yes", ...(opts.sshOpts ?? []), "peer", opts.command];
  return exec(argv, { stdin: opts.stdin === undefined ? undefined : new TextEncoder().encode(opts.stdin), env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir } });
}

describe.skipIf(!enabled)("OpenSSH ssh → our server core (ProxyCommand)", () => {
  test("a command runs with stdout, stderr and exit status apart", async () => {
    const r = await ssh({ command: "echo hi; echo oops >&2; exit 3" });
    expect({ stdout: r.stdout, exitCode: r.exitCode, stderr: r.stderr.includes("oops\n") }).toEqual({ stdout: "hi\n", exitCode: 3, stderr: true });
  });
  test("stdin goes through and 4 MiB come back intact", async () => {
    const data = Buffer.alloc(4 * 1024 * 1024, "abcdefghij").toString();
    const r = await ssh({ command: "cat", stdin: data });
    expect(r.stdout.length).toBe(data.length);
    expect(r.stdout === data).toBe(true);
  });
  test.each([
    ["OpenSSH's ssh", ["-o", "RekeyLimit=256K"], []],
    ["our server", [], ["RekeyLimit=262144"]],
  ])("rekeying started by %s every 256 KiB while 4 MiB flow both ways", async (_who, sshOpts, serverOpts) => {
    const data = Buffer.alloc(4 * 1024 * 1024, "0123456789abcdef").toString();
    const r = await ssh({ command: "cat", stdin: data, sshOpts: [...sshOpts, "-v"], serverOpts });
    expect(r.stdout === data).toBe(true);
    expect(r.exitCode).toBe(0);
    expect((r.stderr.match(/SSH2_MSG_NEWKEYS received/g) ?? []).length).toBeGreaterThan(8);
  }, 60_000);
  test.each(CIPHERS.map((c) => c.name))("cipher %s", async (cipher) => {
    expect(theirs.cipher).toContain(cipher);
    const r = await ssh({ command: "echo ok", sshOpts: ["-c", cipher, "-v"], serverOpts: [`Ciphers=${cipher}`] });
    expect(r.stdout).toBe("ok\n");
    expect(r.stderr).toContain(`cipher: ${cipher}`);
  });
  test.each(MACS.map((m) => m.name))("MAC %s", async (mac) => {
    expect(theirs.mac).toContain(mac);
    const r = await ssh({ command: "echo ok", sshOpts: ["-c", "aes128-ctr", "-m", mac, "-v"], serverOpts: [`MACs=${mac}`] });
    expect(r.stdout).toBe("ok\n");
    expect(r.stderr).toContain(`MAC: ${mac}`);
  });
  test.each(KEX_METHODS.map((k) => k.name))("key exchange %s", async (kex) => {
    if (!theirs.kex.includes(kex)) {
      expect(["mlkem768x25519-sha256", "sntrup761x25519-sha512"]).toContain(kex); // newer than Debian 12's OpenSSH 9.2
      return;
    }
    const r = await ssh({ command: "echo ok", sshOpts: ["-o", `KexAlgorithms=${kex}`, "-v"], serverOpts: [`KexAlgorithms=${kex}`] });
    expect(r.stdout).toBe("ok\n");
    expect(r.stderr).toContain(`kex: algorithm: ${kex}`);
  }, 60_000);
  test.each(HOST_KEY_ALGORITHMS.map((h) => h))("host key %s", async (alg) => {
    const kind = alg === "ssh-ed25519" ? "ed25519" : alg.startsWith("rsa") ? "rsa" : `ecdsa${alg.slice(-3)}`;
    const r = await ssh({ command: "echo ok", hostKey: kind, sshOpts: ["-o", `HostKeyAlgorithms=${alg}`, "-v"] });
    expect(r.stdout).toBe("ok\n");
    expect(r.stderr).toContain(`host key algorithm: ${alg}`);
  });
  test("a wrong key is refused with OpenSSH's message", async () => {
    await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "other")]);
    const proxy = [process.execPath, join(import.meta.dir, "..", "fixtures", "server-core.ts"), hostKeys.ed25519!, join(dir, "id_ed25519.pub")].join(" ");
    const r = await exec([OPENSSH.ssh, "-F", "none", "-o", `ProxyCommand=${proxy}`, "-o", `UserKnownHostsFile=${join(dir, "known_hosts")}`, "-o", "BatchMode=yes", "-i", join(dir, "other"), "-o", "IdentitiesOnly=yes", "peer", "true"], { env: { PATH: "/usr/bin:/bin", HOME: dir } });
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toContain("Permission denied (publickey).");
  });
});
void readFileSync;
