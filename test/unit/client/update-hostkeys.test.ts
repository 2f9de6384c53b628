// UpdateHostKeys' decisions (core/client/update-hostkeys.ts) on hostile or odd input: a server repeating a key, proofs
// missing, forged or made with ssh-rsa (SHA-1), and known_hosts files it must leave alone. Nothing is written then.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyHostkeysUpdate, hostkeysProveData, planHostkeysUpdate, verifyHostkeyProofs, type HostkeysContext } from "../../../core/client/update-hostkeys.ts";
import { formatPublicKeyLine, generatePrivateKey, signWith } from "../../../core/keys/index.ts";
import { verifySignature } from "../../../core/crypto/registry.ts";
import { LogLevel, makeLogger } from "../../../core/log.ts";

const dir = mkdtempSync(join(tmpdir(), "sshbox-uhk-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ed = generatePrivateKey("ed25519");
const ec = generatePrivateKey("ecdsa", 256);
const rsa = generatePrivateKey("rsa", 2048);
const line = (host: string, k: { publicKeyBlob: Uint8Array }) => `${host} ${formatPublicKeyLine(k.publicKeyBlob)}\n`;
let n = 0;

function ctx(known: string): { c: HostkeysContext; file: string; lines: string[] } {
  const file = join(dir, `kh${n++}`);
  writeFileSync(file, known);
  const lines: string[] = [];
  const c: HostkeysContext = {
    host: "h", ip: undefined, userKnownHostsFiles: [file], hashKnownHosts: false, fingerprintHash: "sha256",
    acceptable: () => true, log: makeLogger(LogLevel.DEBUG3, (l) => lines.push(l)),
  };
  return { c, file, lines };
}
const sid = new Uint8Array(32).fill(9);

describe("planning", () => {
  test("a key sent twice ends the update with OpenSSH's error", () => {
    const { c, lines } = ctx(line("h", ed));
    expect(planHostkeysUpdate([ed.publicKeyBlob, ec.publicKeyBlob, ec.publicKeyBlob], c)).toBeNull();
    expect(lines.some((l) => l.includes("received duplicated ecdsa-sha2-nistp256 host key"))).toBe(true);
  });
  test("unreadable blobs are skipped; nothing usable is 'server sent no hostkeys'", () => {
    const { c, lines } = ctx(line("h", ed));
    expect(planHostkeysUpdate([new Uint8Array([0, 0, 0, 3, 1, 2])], c)).toBeNull();
    expect(lines.some((l) => l.includes("server sent no hostkeys"))).toBe(true);
  });
  test("wildcards, markers and the key under another name leave the file alone", () => {
    for (const known of [line("h*", ed), `@revoked h ${formatPublicKeyLine(rsa.publicKeyBlob)}\n${line("h", ed)}`, line("h", ed) + line("other", ec)]) {
      expect(planHostkeysUpdate([ed.publicKeyBlob, ec.publicKeyBlob], ctx(known).c)).toBeNull();
    }
  });
});

describe("proofs", () => {
  const plan = () => planHostkeysUpdate([ed.publicKeyBlob, ec.publicKeyBlob, rsa.publicKeyBlob], ctx(line("h", ed)).c)!;
  const log = makeLogger(LogLevel.QUIET, () => {});
  const sig = (k: typeof ed, alg?: string) => signWith(k, hostkeysProveData(sid, k.publicKeyBlob), alg);
  test("good proofs verify (RSA with rsa-sha2-512 when KEX used no RSA key)", () => {
    expect(verifyHostkeyProofs(plan(), [sig(ec), sig(rsa, "rsa-sha2-512")], sid, "ssh-ed25519", verifySignature, log)).toBe(true);
  });
  test("a missing, extra, forged or foreign-session proof fails the whole update", () => {
    expect(verifyHostkeyProofs(plan(), [sig(ec)], sid, "ssh-ed25519", verifySignature, log)).toBe(false);
    expect(verifyHostkeyProofs(plan(), [sig(ec), sig(rsa, "rsa-sha2-512"), sig(ec)], sid, "ssh-ed25519", verifySignature, log)).toBe(false);
    const forged = sig(ec);
    forged[forged.length - 1]! ^= 1;
    expect(verifyHostkeyProofs(plan(), [forged, sig(rsa, "rsa-sha2-512")], sid, "ssh-ed25519", verifySignature, log)).toBe(false);
    const other = signWith(ec, hostkeysProveData(new Uint8Array(32), ec.publicKeyBlob));
    expect(verifyHostkeyProofs(plan(), [other, sig(rsa, "rsa-sha2-512")], sid, "ssh-ed25519", verifySignature, log)).toBe(false);
    expect(verifyHostkeyProofs(plan(), [new Uint8Array([1, 2]), sig(rsa, "rsa-sha2-512")], sid, "ssh-ed25519", verifySignature, log)).toBe(false);
  });
  test("an ssh-rsa (SHA-1) proof drops that key when KEX used no RSA key, and nothing of it is written", () => {
    const p = plan();
    const { c, file } = ctx(line("h", ed));
    expect(verifyHostkeyProofs(p, [sig(ec), sig(rsa, "ssh-rsa")], sid, "ssh-ed25519", verifySignature, log)).toBe(true);
    applyHostkeysUpdate(p, c);
    expect(readFileSync(file, "utf8")).toBe(line("h", ed) + line("h", ec));
    expect(existsSync(`${file}.old`)).toBe(true);
  });
});
