// UpdateHostKeys with our ssh against OpenSSH's `sshd -i`: keys the server adds are learned (after its proof), keys it
// drops are removed with a .old backup, hashed files stay hashed, and the cases OpenSSH leaves alone stay untouched
// (wildcard lines, keys accepted from the global file, accept-new, UpdateHostKeys no).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OPENSSH, exec, havePeers, opensshHostKeys, writeSshdConfig } from "../helpers/openssh.ts";
import { sshboxBinary } from "../helpers/binary.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshd, OPENSSH.sshKeygen);
let dir = "";
let bin = "";
let hostKeys: Awaited<ReturnType<typeof opensshHostKeys>> | undefined;
const pub = (k: string) => readFileSync(`${k}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
let n = 0;

beforeAll(async () => {
  if (!enabled) return;
  bin = await sshboxBinary();
  hostKeys = await opensshHostKeys();
  dir = hostKeys.dir;
  await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id")]);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "id.pub")));
}, 60_000);
afterAll(async () => {
  await hostKeys?.[Symbol.asyncDispose]();
});

/** Runs `ssh x true` against sshd -i serving `serverKeys`, with a user known_hosts holding `known`; returns the file after. */
async function run(serverKeys: string[], known: string, extra: string[] = []): Promise<{ after: string; stderr: string; exitCode: number; kh: string }> {
  const sub = join(dir, `case${n++}`);
  mkdirSync(sub);
  writeFileSync(join(sub, "authorized_keys"), readFileSync(join(dir, "authorized_keys")));
  const cfg = writeSshdConfig(sub, serverKeys);
  const kh = join(sub, "known_hosts");
  writeFileSync(kh, known);
  // `extra` first: the first value obtained wins
  const r = await exec([bin, "ssh", ...extra, "-F", "none", "-i", join(dir, "id"), "-o", `ProxyCommand=${OPENSSH.sshd} -i -f ${cfg}`, "-o", `UserKnownHostsFile=${kh}`,
    "-o", "GlobalKnownHostsFile=none", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "UpdateHostKeys=yes",
    "-o", "HostKeyAlgorithms=ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256", "-v", "x", "true"], { env: { PATH: "/usr/bin:/bin", HOME: dir } });
  return { after: readFileSync(kh, "utf8"), stderr: r.stderr, exitCode: r.exitCode, kh };
}

describe.skipIf(!enabled)("UpdateHostKeys against OpenSSH's sshd", () => {
  test("a key the server added is learned after its proof; the old file is kept as .old", async () => {
    const k = hostKeys!.keys;
    const r = await run([k.ed25519, k.ecdsa, k.rsa], `x ${pub(k.ed25519)}\n`);
    expect(r.exitCode).toBe(0);
    expect(r.after).toBe(`x ${pub(k.ed25519)}\nx ${pub(k.ecdsa)}\nx ${pub(k.rsa)}\n`);
    expect(readFileSync(`${r.kh}.old`, "utf8")).toBe(`x ${pub(k.ed25519)}\n`);
    expect(r.stderr).toContain("Learned new hostkey: ECDSA SHA256:");
    expect(r.stderr).toContain("Learned new hostkey: RSA SHA256:");
  });

  test("a key the server no longer offers is removed; other hosts' lines and comments stay", async () => {
    const k = hostKeys!.keys;
    const known = `# mine\nother ${pub(k.ecdsa)}\nx ${pub(k.ed25519)}\nx ${pub(k.ecdsa384)}\n`;
    const r = await run([k.ed25519], known);
    expect(r.exitCode).toBe(0);
    expect(r.after).toBe(`# mine\nother ${pub(k.ecdsa)}\nx ${pub(k.ed25519)}\n`);
    expect(r.stderr).toContain("Deprecating obsolete hostkey: ECDSA SHA256:");
  });

  test("hashed entries stay hashed with HashKnownHosts", async () => {
    const k = hostKeys!.keys;
    const hashed = join(dir, "hashed_kh");
    writeFileSync(hashed, `x ${pub(k.ed25519)}\n`);
    await exec([OPENSSH.sshKeygen, "-H", "-f", hashed]);
    const r = await run([k.ed25519, k.ecdsa], readFileSync(hashed, "utf8"), ["-o", "HashKnownHosts=yes"]);
    const lines = r.after.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.startsWith("|1|"))).toBe(true);
    const found = await exec([OPENSSH.sshKeygen, "-F", "x", "-f", r.kh]);
    expect(found.stdout).toContain(pub(k.ecdsa));
  });

  test("left alone: wildcard lines, UpdateHostKeys no, and a key accepted with accept-new", async () => {
    const k = hostKeys!.keys;
    const wild = await run([k.ed25519, k.ecdsa], `x* ${pub(k.ed25519)}\n`);
    expect(wild.after).toBe(`x* ${pub(k.ed25519)}\n`);
    const no = await run([k.ed25519, k.ecdsa], `x ${pub(k.ed25519)}\n`, ["-o", "UpdateHostKeys=no"]);
    expect(no.after).toBe(`x ${pub(k.ed25519)}\n`);
    const fresh = await run([k.ed25519, k.ecdsa], "", ["-o", "StrictHostKeyChecking=accept-new"]);
    expect(fresh.after.trim().split("\n")).toHaveLength(1);
    expect(existsSync(`${fresh.kh}.old`)).toBe(false);
  });
});
