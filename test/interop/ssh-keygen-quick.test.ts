// ssh-keygen's quick path (cmd/ssh-keygen-quick.ts: WebCrypto generation, Bun.write, no node:crypto): the keys it
// writes for Ed25519 and ECDSA 256/384/521 are read by OpenSSH's ssh-keygen (-y, -l, and a -Y sign/verify that proves
// the private half matches the public one), with the full program's modes, words, fingerprint and randomart; every
// case it does not cover is left to the full program untouched.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { recordingIo } from "../../cmd/io.ts";
import { loginName, quickGenerate } from "../../cmd/ssh-keygen-quick.ts";
import { loadPrivateKey } from "../../core/keys/index.ts";
import { exec, havePeers, OPENSSH } from "../helpers/openssh.ts";
import { run, sshboxBinary } from "../helpers/binary.ts";

const peers = havePeers(OPENSSH.sshKeygen);
let dir = "";
let n = 0;
const fresh = (): string => join(dir, `k${n++}`);
const theirs = (args: string[], stdin?: string) =>
  exec([OPENSSH.sshKeygen, ...args], { env: { PATH: "/usr/bin:/bin", HOME: dir }, stdin: stdin === undefined ? undefined : new TextEncoder().encode(stdin) });
const quick = async (args: string[]) => {
  const io = recordingIo();
  const status = await quickGenerate({ args, progname: "ssh-keygen", io });
  return { status, stdout: io.stdout, stderr: io.stderr };
};
const mode = (p: string): number => statSync(p).mode & 0o777;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sshbox-keygen-quick-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TYPES: readonly (readonly [string, string[], string, number])[] = [
  ["ed25519", ["-t", "ed25519"], "ssh-ed25519", 256],
  ["ecdsa 256", ["-t", "ecdsa"], "ecdsa-sha2-nistp256", 256],
  ["ecdsa 384", ["-t", "ecdsa", "-b", "384"], "ecdsa-sha2-nistp384", 384],
  ["ecdsa 521", ["-t", "ecdsa", "-b", "521"], "ecdsa-sha2-nistp521", 521],
  ["ecdsa-sha2-nistp384 by name", ["-t", "ecdsa-sha2-nistp384"], "ecdsa-sha2-nistp384", 384],
  ["default type", [], "ssh-ed25519", 256],
];

describe.skipIf(!peers)("OpenSSH reads what the quick path writes", () => {
  for (const [name, args, type, bits] of TYPES) {
    test(name, async () => {
      const f = fresh();
      const r = await quick([...args, "-q", "-N", "", "-C", `c ${name}`, "-f", f]);
      expect(r).toEqual({ status: 0, stdout: "", stderr: "" });
      expect([mode(f), mode(`${f}.pub`)]).toEqual([0o600, 0o644]);
      const pub = readFileSync(`${f}.pub`, "utf8");
      expect(pub).toStartWith(`${type} `);
      expect(pub).toEndWith(` c ${name}\n`);
      // -y: OpenSSH parses the private key file and derives the same public key.
      const y = await theirs(["-y", "-f", f]);
      expect(y).toMatchObject({ exitCode: 0, stdout: pub });
      const l = await theirs(["-l", "-f", `${f}.pub`]);
      expect(l.stdout).toStartWith(`${bits} SHA256:`);
      // Sign with the private half, verify against the public half: they belong together.
      writeFileSync(join(dir, "signers"), `me ${pub}`);
      const sig = await theirs(["-Y", "sign", "-f", f, "-n", "file"], "message\n");
      expect(sig.exitCode).toBe(0);
      writeFileSync(join(dir, "msg.sig"), sig.stdout);
      const v = await theirs(["-Y", "verify", "-f", join(dir, "signers"), "-I", "me", "-n", "file", "-s", join(dir, "msg.sig")], "message\n");
      expect(v.exitCode).toBe(0);
      // And the full key library reads it back with its comment.
      const k = loadPrivateKey(readFileSync(f), "");
      expect([k.type, k.comment, k.encrypted]).toEqual([type, `c ${name}`, false]);
    });
  }

  test("without -q: OpenSSH's words, fingerprint and randomart (as its -l -v prints them), default comment user@host", async () => {
    const f = fresh();
    const r = await quick(["-t", "ecdsa", "-b", "384", "-N", "", "-f", f]);
    expect(r.status).toBe(0);
    const comment = `${loginName(readFileSync("/etc/passwd", "utf8"))}@${hostname()}`;
    expect(readFileSync(`${f}.pub`, "utf8")).toEndWith(` ${comment}\n`);
    const lv = await theirs(["-l", "-v", "-f", `${f}.pub`]);
    const [first, ...art] = lv.stdout.split("\n");
    const fp = first!.split(" ")[1];
    expect(r.stdout).toBe(
      "Generating public/private ecdsa key pair.\n" +
        `Your identification has been saved in ${f}\n` +
        `Your public key has been saved in ${f}.pub\n` +
        "The key fingerprint is:\n" +
        `${fp} ${comment}\n` +
        "The key's randomart image is:\n" +
        art.join("\n"),
    );
    const md5 = await quick(["-E", "md5", "-N", "", "-C", "x", "-f", fresh()]);
    expect(md5.stdout).toMatch(/\nMD5:([0-9a-f]{2}:){15}[0-9a-f]{2} x\n[\s\S]*\+------\[MD5\]------\+\n$/);
  });

  test("modes are 0600 and 0644 whatever the umask, and the umask is put back", async () => {
    for (const umask of [0o002, 0o077, 0o027]) {
      const f = fresh();
      const saved = process.umask(umask);
      try {
        expect((await quick(["-q", "-N", "", "-f", f])).status).toBe(0);
        expect(process.umask()).toBe(umask);
      } finally {
        process.umask(saved);
      }
      expect([mode(f), mode(`${f}.pub`)]).toEqual([0o600, 0o644]);
    }
  });
});

describe("what the quick path leaves to the full program", () => {
  const cases: readonly (readonly [string, (f: string) => string[]])[] = [
    ["a passphrase", (f) => ["-N", "pw", "-f", f]],
    ["no -N (the passphrase prompt)", (f) => ["-f", f]],
    ["no -f (the file prompt)", () => ["-N", ""]],
    ["-P", (f) => ["-P", "", "-N", "", "-f", f]],
    ["rsa", (f) => ["-t", "rsa", "-N", "", "-f", f]],
    ["a bad ECDSA size", (f) => ["-t", "ecdsa", "-b", "255", "-N", "", "-f", f]],
    ["a bad -b", (f) => ["-b", "x", "-N", "", "-f", f]],
    ["an unknown type", (f) => ["-t", "dsa", "-N", "", "-f", f]],
    ["FIDO", (f) => ["-t", "ed25519-sk", "-N", "", "-f", f]],
    ["PEM", (f) => ["-t", "ecdsa", "-m", "PEM", "-N", "", "-f", f]],
    ["-v", (f) => ["-v", "-N", "", "-f", f]],
    ["-a rounds", (f) => ["-a", "4", "-N", "", "-f", f]],
    ["a bad -E", (f) => ["-E", "sha3", "-N", "", "-f", f]],
    ["an operand", (f) => ["-N", "", "-f", f, "extra"]],
    ["another action (-l)", (f) => ["-l", "-f", f]],
    ["a usage error", (f) => ["-N", "", "-f", f, "-J"]],
  ];
  for (const [name, args] of cases) {
    test(name, async () => {
      const f = fresh();
      expect(await quick(args(f))).toEqual({ status: undefined, stdout: "", stderr: "" });
      expect(existsSync(f) || existsSync(`${f}.pub`)).toBe(false);
    });
  }

  test("an existing key file or .pub file (the overwrite question), a missing ~/.ssh (its creation)", async () => {
    const f = fresh();
    writeFileSync(f, "old");
    expect((await quick(["-N", "", "-f", f])).status).toBeUndefined();
    expect(readFileSync(f, "utf8")).toBe("old");
    const g = fresh();
    writeFileSync(`${g}.pub`, "old");
    expect((await quick(["-N", "", "-f", g])).status).toBeUndefined();
    expect([existsSync(g), readFileSync(`${g}.pub`, "utf8")]).toEqual([false, "old"]);
    const home = process.env.HOME;
    process.env.HOME = join(dir, "home");
    try {
      expect((await quick(["-N", "", "-f", join(dir, "home", ".ssh", "id_ed25519")])).status).toBeUndefined();
    } finally {
      process.env.HOME = home;
    }
  });

  test("a directory it cannot write: nothing written, the full program says why", async () => {
    expect((await quick(["-N", "", "-f", join(dir, "no", "such", "dir", "k")])).status).toBeUndefined();
  });
});

describe.skipIf(!peers)("the compiled binary", () => {
  test("ssh-keygen -q -t ed25519|ecdsa writes keys OpenSSH reads; -N pw still works (full program)", async () => {
    const bin = await sshboxBinary();
    for (const args of [["-t", "ed25519"], ["-t", "ecdsa", "-b", "521"], ["-t", "ed25519", "-N", "pw", "-a", "2"]]) {
      const f = fresh();
      const withN = args.includes("-N") ? args : [...args, "-N", ""];
      const r = await run([bin, "ssh-keygen", "-q", ...withN, "-f", f], { env: { PATH: "/usr/bin:/bin", HOME: dir } });
      expect(r).toMatchObject({ exitCode: 0, stdout: "", stderr: "" });
      const pass = args.includes("pw") ? "pw" : "";
      const y = await theirs(["-y", "-P", pass, "-f", f]);
      expect(y.stdout.split(" ").slice(0, 2)).toEqual(readFileSync(`${f}.pub`, "utf8").split(" ").slice(0, 2));
      expect([mode(f), mode(`${f}.pub`)]).toEqual([0o600, 0o644]);
    }
  });
});
