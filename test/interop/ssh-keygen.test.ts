// Our ssh-keygen against OpenSSH's, both ways: keys we write (every type, encrypted and not, openssh/PEM/PKCS#8) are
// read by theirs (-l, -y), keys theirs writes are read by ours, randomart and -L output are identical, certificates we
// sign verify there, known_hosts edits agree.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, havePeers, OPENSSH } from "../helpers/openssh.ts";
import { run, sshboxBinary } from "../helpers/binary.ts";
import { VECTORS_DIR } from "../helpers/vectors.ts";

const peers = havePeers(OPENSSH.sshKeygen);
let dir = "";
let bin = "";
const env = (): Record<string, string> => ({ PATH: "/usr/bin:/bin", HOME: dir, TZ: "UTC" });
const ours = (args: string[], stdin?: string) => run([bin, "ssh-keygen", ...args], { env: env(), stdin });
const theirs = (args: string[]) => exec([OPENSSH.sshKeygen, ...args], { env: env() });
const pubOf = (path: string): string => readFileSync(path, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");

beforeAll(async () => {
  if (!peers) return;
  dir = mkdtempSync(join(tmpdir(), "sshbox-keygen-"));
  bin = await sshboxBinary();
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TYPES: readonly (readonly [string, string[]])[] = [
  ["ed25519", ["-t", "ed25519"]],
  ["ecdsa256", ["-t", "ecdsa"]],
  ["ecdsa384", ["-t", "ecdsa", "-b", "384"]],
  ["ecdsa521", ["-t", "ecdsa", "-b", "521"]],
  ["rsa", ["-t", "rsa", "-b", "2048"]],
];
const FORMATS = ["openssh", "PEM", "PKCS8"] as const;

describe.skipIf(!peers)("OpenSSH reads keys we write", () => {
  for (const [name, args] of TYPES) {
    for (const format of FORMATS) {
      for (const pass of ["", "secret pass"]) {
        // OpenSSH 10.5 writes no PEM Ed25519 and Debian's 9.2 reads no PKCS#8 Ed25519.
        if (name === "ed25519" && format !== "openssh") continue;
        test(`${name} ${format} ${pass ? "encrypted" : "plain"}`, async () => {
          const f = join(dir, `ours_${name}_${format}_${pass ? "enc" : "plain"}`);
          const fmt = format === "openssh" ? [] : ["-m", format];
          const g = await ours([...args, ...fmt, "-a", "4", "-q", "-N", pass, "-C", `c-${name}`, "-f", f]);
          expect(g).toMatchObject({ exitCode: 0, stderr: "" });
          expect(existsSync(f) && (Bun.file(f).size > 0)).toBe(true);
          const y = await theirs(["-y", "-P", pass, "-f", f]);
          expect(y.exitCode).toBe(0);
          expect(y.stdout.trim().split(" ").slice(0, 2).join(" ")).toBe(pubOf(`${f}.pub`));
          const l1 = await theirs(["-l", "-f", `${f}.pub`]);
          const l2 = await ours(["-l", "-f", `${f}.pub`]);
          expect(l2.stdout).toBe(l1.stdout);
          if (format === "openssh" && pass) expect(readFileSync(f, "utf8")).toStartWith("-----BEGIN OPENSSH PRIVATE KEY-----");
          if (format === "PEM") expect(readFileSync(f, "utf8")).toMatch(/^-----BEGIN (RSA|EC) PRIVATE KEY-----/);
          if (format === "PKCS8") expect(readFileSync(f, "utf8")).toMatch(/^-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/);
        });
      }
    }
  }
});

describe.skipIf(!peers)("we read keys OpenSSH writes", () => {
  for (const [name, args] of TYPES) {
    for (const format of FORMATS) {
      for (const pass of ["", "other pass"]) {
        if (name === "ed25519" && format !== "openssh") continue;
        test(`${name} ${format} ${pass ? "encrypted" : "plain"}: -y, -l, -lv randomart`, async () => {
          const f = join(dir, `theirs_${name}_${format}_${pass ? "enc" : "plain"}`);
          const fmt = format === "openssh" ? [] : ["-m", format];
          expect((await theirs([...args, ...fmt, "-q", "-N", pass, "-C", `t-${name}`, "-f", f])).exitCode).toBe(0);
          const y = await ours(["-y", "-P", pass, "-f", f]);
          expect(y).toMatchObject({ exitCode: 0, stderr: "" });
          expect(y.stdout.trim().split(" ").slice(0, 2).join(" ")).toBe(pubOf(`${f}.pub`));
          for (const E of ["sha256", "md5"]) {
            const a = await theirs(["-lv", "-E", E, "-f", `${f}.pub`]);
            const b = await ours(["-lv", "-E", E, "-f", `${f}.pub`]);
            expect(b.stdout).toBe(a.stdout);
          }
          const bb1 = await theirs(["-B", "-f", `${f}.pub`]);
          expect((await ours(["-B", "-f", `${f}.pub`])).stdout).toBe(bb1.stdout);
        });
      }
    }
  }
  test("the wrong passphrase is refused with OpenSSH's words", async () => {
    const f = join(dir, "theirs_wrongpw");
    await theirs(["-t", "ed25519", "-q", "-N", "right", "-f", f]);
    const y = await ours(["-y", "-P", "wrong", "-f", f]);
    expect(y.exitCode).toBe(255);
    expect(y.stderr).toBe(`Load key "${f}": incorrect passphrase supplied to decrypt private key\r\n`);
  });
  test.each(["aes128-ctr", "aes256-cbc", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com"])("openssh-key-v1 encrypted with %s", async (cipher) => {
    const f = join(dir, `theirs_cipher_${cipher}`);
    expect((await theirs(["-t", "ed25519", "-q", "-N", "pw", "-Z", cipher, "-a", "16", "-f", f])).exitCode).toBe(0);
    expect((await ours(["-y", "-P", "pw", "-f", f])).stdout.split(" ").slice(0, 2).join(" ")).toBe(pubOf(`${f}.pub`));
    // And ours written with that cipher reads back there.
    const g = join(dir, `ours_cipher_${cipher}`);
    expect((await ours(["-t", "ecdsa", "-q", "-N", "pw", "-Z", cipher, "-a", "16", "-f", g])).exitCode).toBe(0);
    expect((await theirs(["-y", "-P", "pw", "-f", g])).stdout.split(" ").slice(0, 2).join(" ")).toBe(pubOf(`${g}.pub`));
  });
});

describe.skipIf(!peers)("passphrase and comment changes", () => {
  test("-p on an OpenSSH key, then OpenSSH reads the new passphrase; -c keeps the key", async () => {
    const f = join(dir, "change_me");
    await theirs(["-t", "rsa", "-b", "2048", "-q", "-N", "old", "-C", "first", "-f", f]);
    const p = await ours(["-p", "-P", "old", "-N", "new", "-a", "4", "-f", f]);
    expect(p).toMatchObject({ exitCode: 0, stdout: "Key has comment 'first'\nYour identification has been saved with the new passphrase.\n" });
    expect((await theirs(["-y", "-P", "new", "-f", f])).stdout.trim()).toBe(`${pubOf(`${f}.pub`)} first`);
    const c = await ours(["-c", "-C", "second", "-P", "new", "-a", "4", "-f", f]);
    expect(c).toMatchObject({ exitCode: 0, stdout: "Old comment: first\nComment 'second' applied\n" });
    expect((await theirs(["-l", "-f", f])).stdout).toContain(" second (RSA)");
  });
});

describe.skipIf(!peers)("conversion", () => {
  test.each([["RFC4716"], ["PKCS8"], ["PEM"]])("-e -m %s is read by OpenSSH's -i, and ours reads theirs", async (m) => {
    const f = join(dir, `conv_${m}`);
    await theirs(["-t", "rsa", "-b", "2048", "-q", "-N", "", "-f", f]);
    const e = await ours(["-e", "-m", m, "-f", `${f}.pub`]);
    const e2 = await theirs(["-e", "-m", m, "-f", `${f}.pub`]);
    if (m === "RFC4716") expect(e.stdout.split("\n").filter((l) => !l.startsWith("Comment:"))).toEqual(e2.stdout.split("\n").filter((l) => !l.startsWith("Comment:")));
    else expect(e.stdout).toBe(e2.stdout);
    writeFileSync(`${f}.exported`, e.stdout);
    expect((await theirs(["-i", "-m", m, "-f", `${f}.exported`])).stdout.trim()).toBe(pubOf(`${f}.pub`));
    writeFileSync(`${f}.theirs`, e2.stdout);
    expect((await ours(["-i", "-m", m, "-f", `${f}.theirs`])).stdout.trim()).toBe(pubOf(`${f}.pub`));
  });
});

describe.skipIf(!peers)("certificates", () => {
  test("a user certificate we sign is shown identically by both -L, and OpenSSH signs one we show identically", async () => {
    const ca = join(dir, "ca");
    const user = join(dir, "user");
    await theirs(["-t", "ed25519", "-q", "-N", "", "-f", ca]);
    await theirs(["-t", "ecdsa", "-q", "-N", "", "-f", user]);
    const s = await ours(["-s", ca, "-I", "id-1", "-n", "alice,bob", "-z", "42", "-V", "20200101:20300101", "-O", "force-command=/bin/true", "-O", "source-address=10.0.0.0/8,::1", "-O", "no-pty", `${user}.pub`]);
    expect(s.exitCode).toBe(0);
    expect(s.stderr).toBe(`Signed user key ${user}-cert.pub: id "id-1" serial 42 for alice,bob valid from 2020-01-01T00:00:00 to 2030-01-01T00:00:00\r\n`);
    const a = await theirs(["-L", "-f", `${user}-cert.pub`]);
    expect(a.exitCode).toBe(0);
    expect((await ours(["-L", "-f", `${user}-cert.pub`])).stdout).toBe(a.stdout);
    const host = join(dir, "hostkey");
    await theirs(["-t", "rsa", "-b", "2048", "-q", "-N", "", "-f", host]);
    const rsaCa = join(dir, "rsaca");
    await theirs(["-t", "rsa", "-b", "2048", "-q", "-N", "", "-f", rsaCa]);
    expect((await theirs(["-s", rsaCa, "-h", "-I", "h", "-n", "host.example", "-V", "+1d", `${host}.pub`])).exitCode).toBe(0);
    const b = await theirs(["-L", "-f", `${host}-cert.pub`]);
    expect((await ours(["-L", "-f", `${host}-cert.pub`])).stdout).toBe(b.stdout);
  });
  test("the fixtures' -L output equals OpenSSH's", async () => {
    for (const f of ["rsa_1_sha512-cert.pub", "rsa_1_sha1-cert.pub", "ed25519_1-cert.pub", "ecdsa_1-cert.pub"]) {
      const p = join(VECTORS_DIR, "openssh-keys", f);
      const a = await theirs(["-L", "-f", p]);
      expect((await ours(["-L", "-f", p])).stdout).toBe(a.stdout);
    }
  });
});

describe.skipIf(!peers)("known_hosts", () => {
  const kh = (): string =>
    [
      "# comment",
      `host1,192.0.2.1 ${readFileSync(join(VECTORS_DIR, "openssh-keys", "ed25519_1.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ")}`,
      `[host2]:2222 ${readFileSync(join(VECTORS_DIR, "openssh-keys", "rsa_1.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ")}`,
      `@cert-authority *.example.com ${readFileSync(join(VECTORS_DIR, "openssh-keys", "ecdsa_1.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ")}`,
      `*.wild,!bad.wild ${readFileSync(join(VECTORS_DIR, "openssh-keys", "ed25519_2.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ")}`,
      "",
    ].join("\n");
  test.each(["host1", "192.0.2.1", "[host2]:2222", "x.example.com", "a.wild", "bad.wild", "nothere"])("-F %s prints what OpenSSH prints", async (h) => {
    const f = join(dir, `kh_find_${h.replace(/\W/g, "_")}`);
    writeFileSync(f, kh());
    const a = await theirs(["-F", h, "-f", f]);
    const b = await ours(["-F", h, "-f", f]);
    expect({ out: b.stdout, code: b.exitCode }).toEqual({ out: a.stdout, code: a.exitCode });
    const al = await theirs(["-F", h, "-l", "-f", f]);
    expect((await ours(["-F", h, "-l", "-f", f])).stdout).toBe(al.stdout);
  });
  test("-R removes the host, keeps .old, and says so as OpenSSH", async () => {
    const f1 = join(dir, "kh_r1");
    const f2 = join(dir, "kh_r2");
    writeFileSync(f1, kh());
    writeFileSync(f2, kh());
    const a = await theirs(["-R", "[host2]:2222", "-f", f1]);
    const b = await ours(["-R", "[host2]:2222", "-f", f2]);
    expect(b.stdout).toBe(a.stdout.replaceAll(f1, f2));
    expect(readFileSync(f2, "utf8")).toBe(readFileSync(f1, "utf8"));
    expect(readFileSync(`${f2}.old`, "utf8")).toBe(kh());
    const missing = await ours(["-R", "nothere", "-f", f2]);
    expect(missing.stderr).toBe(`Host nothere not found in ${f2}\r\n`);
  });
  test("-H hashes what OpenSSH hashes, and OpenSSH finds the hashed hosts", async () => {
    const f = join(dir, "kh_h");
    writeFileSync(f, kh());
    const h = await ours(["-H", "-f", f]);
    expect(h.exitCode).toBe(0);
    expect(h.stdout).toBe(`${f} updated.\nOriginal contents retained as ${f}.old\n`);
    expect(h.stderr).toContain(`WARNING: ${f}.old contains unhashed entries`);
    const text = readFileSync(f, "utf8");
    expect(text).not.toContain("host1");
    expect(text).toContain("@cert-authority *.example.com");
    for (const host of ["host1", "192.0.2.1", "[host2]:2222"]) {
      expect((await theirs(["-F", host, "-f", f])).stdout).toContain(`# Host ${host} found`);
    }
  });
});

describe.skipIf(!peers)("generation behaviour", () => {
  test("refuses to overwrite without a yes, and leaves the file alone", async () => {
    const f = join(dir, "exists");
    writeFileSync(f, "keep");
    const r = await ours(["-t", "ed25519", "-N", "", "-f", f], "n\n");
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(`Generating public/private ed25519 key pair.\n${f} already exists.\nOverwrite (y/n)? `);
    expect(readFileSync(f, "utf8")).toBe("keep");
    const y = await ours(["-t", "ed25519", "-N", "", "-q", "-f", f], "y\n");
    expect(y.exitCode).toBe(0);
    expect((await theirs(["-y", "-f", f])).exitCode).toBe(0);
  });
  test("without -N and without a terminal the passphrase is read from stdin, as OpenSSH", async () => {
    const f = join(dir, "stdin_pass");
    const r = await ours(["-t", "ed25519", "-a", "4", "-f", f], "abc\nabc\n");
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(`Enter passphrase for "${f}" (empty for no passphrase): Enter same passphrase again: `);
    expect((await theirs(["-y", "-P", "abc", "-f", f])).exitCode).toBe(0);
    const g = join(dir, "stdin_eof");
    expect((await ours(["-t", "ed25519", "-f", g])).exitCode).toBe(0); // end of input: empty passphrase
    expect((await theirs(["-y", "-P", "", "-f", g])).exitCode).toBe(0);
  });
  test("private keys are 0600, public keys 0644", async () => {
    const f = join(dir, "modes");
    await ours(["-t", "ecdsa", "-q", "-N", "", "-f", f]);
    const { statSync } = await import("node:fs");
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(statSync(`${f}.pub`).mode & 0o777).toBe(0o644);
  });
  test("the generation transcript has OpenSSH's lines", async () => {
    const f = join(dir, "transcript");
    const r = await ours(["-t", "rsa", "-b", "1024", "-N", "", "-C", "me@there", "-f", f]);
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 4)).toEqual(["Generating public/private rsa key pair.", `Your identification has been saved in ${f}`, `Your public key has been saved in ${f}.pub`, "The key fingerprint is:"]);
    expect(lines[4]).toMatch(/^SHA256:[A-Za-z0-9+/]{43} me@there$/);
    expect(lines[5]).toBe("The key's randomart image is:");
    expect(lines[6]).toBe("+---[RSA 1024]----+");
    expect(lines.slice(6, 17).join("\n") + "\n").toBe((await theirs(["-lv", "-f", `${f}.pub`])).stdout.split("\n").slice(1).join("\n"));
  });
  test("bad sizes, FIDO and PKCS#11 get clear errors", async () => {
    expect((await ours(["-t", "rsa", "-b", "512", "-f", join(dir, "x")])).stderr).toBe("Invalid RSA key length: minimum is 1024 bits\r\n");
    expect((await ours(["-t", "ecdsa", "-b", "300", "-f", join(dir, "x")])).stderr).toBe("Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits\r\n");
    const sk = await ours(["-t", "ed25519-sk", "-f", join(dir, "x")]);
    expect(sk.exitCode).toBe(255);
    expect(sk.stderr).toContain("FIDO authenticators are not supported");
    expect((await ours(["-D", "/usr/lib/pkcs11.so"])).stderr).toBe("no pkcs11 support\r\n");
  });
  test("-A makes the missing host keys under a prefix", async () => {
    const { mkdirSync } = await import("node:fs");
    const prefix = join(dir, "root");
    mkdirSync(join(prefix, "etc", "ssh"), { recursive: true });
    copyFileSync(join(VECTORS_DIR, "openssh-keys", "ed25519_1"), join(prefix, "etc", "ssh", "ssh_host_ed25519_key"));
    chmodSync(join(prefix, "etc", "ssh", "ssh_host_ed25519_key"), 0o600);
    const r = await ours(["-A", "-f", prefix]);
    expect(r.stdout).toBe("ssh-keygen: generating new host keys: RSA ECDSA \n");
    for (const t of ["rsa", "ecdsa"]) expect((await theirs(["-l", "-f", join(prefix, "etc", "ssh", `ssh_host_${t}_key`)])).exitCode).toBe(0);
  });
});

describe.skipIf(!peers)("SSHSIG (-Y)", () => {
  const types: readonly (readonly [string, string[]])[] = [["ed25519", ["-t", "ed25519"]], ["ecdsa", ["-t", "ecdsa", "-b", "384"]], ["rsa", ["-t", "rsa", "-b", "2048"]]];
  test.each(types)("%s: signatures verify both ways, tampered ones fail", async (name, args) => {
    const msg = join(dir, `sig_msg_${name}`);
    writeFileSync(msg, `message for ${name}\n`);
    const mine = join(dir, `sig_ours_${name}`);
    const yours = join(dir, `sig_theirs_${name}`);
    await ours([...args, "-q", "-N", "", "-f", mine]);
    await theirs([...args, "-q", "-N", "", "-f", yours]);
    const allowed = join(dir, `allowed_${name}`);
    writeFileSync(allowed, `alice ${readFileSync(`${mine}.pub`, "utf8")}bob,carol namespaces="file,git" ${readFileSync(`${yours}.pub`, "utf8")}`);
    const body = readFileSync(msg);
    const verify = (who: typeof ours | typeof theirs, id: string, sig: string, data: Uint8Array) =>
      who === ours
        ? run([bin, "ssh-keygen", "-Y", "verify", "-f", allowed, "-I", id, "-n", "file", "-s", sig], { env: env(), stdin: Buffer.from(data).toString("latin1") })
        : exec([OPENSSH.sshKeygen, "-Y", "verify", "-f", allowed, "-I", id, "-n", "file", "-s", sig], { env: env(), stdin: data });
    // ours signs → theirs verifies
    const s1 = await ours(["-Y", "sign", "-f", mine, "-n", "file", msg]);
    expect(s1).toMatchObject({ exitCode: 0, stderr: `Signing file ${msg}\nWrite signature to ${msg}.sig\n` });
    const v1 = await verify(theirs, "alice", `${msg}.sig`, body);
    expect(v1.exitCode).toBe(0);
    expect(v1.stdout).toStartWith('Good "file" signature for alice with ');
    expect((await verify(ours, "alice", `${msg}.sig`, body)).stdout).toBe(v1.stdout);
    expect((await verify(theirs, "alice", `${msg}.sig`, Buffer.from("tampered"))).exitCode).not.toBe(0);
    expect((await verify(theirs, "bob", `${msg}.sig`, body)).exitCode).not.toBe(0);
    // theirs signs → ours verifies
    writeFileSync(`${msg}2`, body);
    expect((await theirs(["-Y", "sign", "-f", yours, "-n", "file", `${msg}2`])).exitCode).toBe(0);
    const v2 = await verify(ours, "carol", `${msg}2.sig`, body);
    expect(v2).toMatchObject({ exitCode: 0, stdout: (await verify(theirs, "carol", `${msg}2.sig`, body)).stdout });
    const bad = await verify(ours, "carol", `${msg}2.sig`, Buffer.from("tampered"));
    expect(bad).toMatchObject({ exitCode: 255, stdout: "Could not verify signature.\n" });
    expect((await verify(ours, "alice", `${msg}2.sig`, body)).exitCode).toBe(255);
    // find-principals and check-novalidate agree with OpenSSH
    const fp1 = await theirs(["-Y", "find-principals", "-f", allowed, "-s", `${msg}2.sig`]);
    expect((await ours(["-Y", "find-principals", "-f", allowed, "-s", `${msg}2.sig`])).stdout).toBe(fp1.stdout);
    const cn = await run([bin, "ssh-keygen", "-Y", "check-novalidate", "-n", "file", "-s", `${msg}.sig`], { env: env(), stdin: body.toString("latin1") });
    expect(cn.stdout).toBe((await exec([OPENSSH.sshKeygen, "-Y", "check-novalidate", "-n", "file", "-s", `${msg}.sig`], { env: env(), stdin: body })).stdout);
  });
});

describe.skipIf(!peers)("KRL (-k, -u, -Q)", () => {
  test("a KRL we build is read by OpenSSH's -Q, one OpenSSH builds by ours, with the same verdicts", async () => {
    const d = (n: string): string => join(dir, `krl_${n}`);
    for (const n of ["ca", "u1", "u2", "u3", "u4"]) await theirs(["-q", "-t", "ed25519", "-N", "", "-f", d(n)]);
    await theirs(["-q", "-s", d("ca"), "-I", "id1", "-z", "5", `${d("u1")}.pub`]);
    await theirs(["-q", "-s", d("ca"), "-I", "id2", "-z", "9", `${d("u2")}.pub`]);
    await theirs(["-q", "-s", d("ca"), "-I", "byid", `${d("u4")}.pub`]);
    writeFileSync(d("spec"), "serial: 5\nid: byid # comment\n");
    writeFileSync(d("spec2"), `sha256: ${readFileSync(`${d("u2")}.pub`, "utf8")}`);
    const keys = [`${d("u1")}-cert.pub`, `${d("u2")}-cert.pub`, `${d("u4")}-cert.pub`, `${d("u3")}.pub`, `${d("u2")}.pub`, `${d("u1")}.pub`];
    const k1 = await ours(["-k", "-f", d("ours"), "-s", `${d("ca")}.pub`, "-z", "3", d("spec"), `${d("u3")}.pub`]);
    expect(k1).toMatchObject({ exitCode: 0, stdout: `Revoking from ${d("spec")}\nRevoking from ${d("u3")}.pub\n` });
    expect((await ours(["-u", "-k", "-f", d("ours"), d("spec2")])).exitCode).toBe(0);
    expect((await theirs(["-k", "-f", d("theirs"), "-s", `${d("ca")}.pub`, "-z", "3", d("spec"), `${d("u3")}.pub`])).exitCode).toBe(0);
    expect((await theirs(["-u", "-k", "-f", d("theirs"), d("spec2")])).exitCode).toBe(0);
    const want = await theirs(["-Q", "-f", d("theirs"), ...keys]);
    expect(want.stdout.split("\n").filter((l) => l.endsWith("REVOKED")).length).toBe(5);
    for (const [who, krl] of [[theirs, "ours"], [ours, "theirs"], [ours, "ours"]] as const) {
      const got = await who(["-Q", "-f", d(krl), ...keys]);
      expect({ stdout: got.stdout, exitCode: got.exitCode }).toEqual({ stdout: want.stdout, exitCode: 1 });
    }
    // -Q -l prints the KRL as OpenSSH does, whoever wrote it.
    const dumpTheirs = (await theirs(["-Q", "-l", "-f", d("theirs")])).stdout;
    expect((await ours(["-Q", "-l", "-f", d("theirs")])).stdout).toBe(dumpTheirs);
    const noDate = (s: string): string => s.replace(/^# Generated at .*$/m, "");
    expect(noDate((await theirs(["-Q", "-l", "-f", d("ours")])).stdout)).toBe(noDate(dumpTheirs));
  });
});

/** The login name of this uid, from /etc/passwd as sshd sees it. */
function currentUser(): string {
  const row = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => Number(l.split(":")[2]) === process.getuid?.());
  return row?.split(":")[0] ?? "root";
}

describe.skipIf(!peers || !existsSync(OPENSSH.sshd) || !existsSync(OPENSSH.ssh))("OpenSSH's sshd accepts what we make", () => {
  /** Runs OpenSSH's ssh against `sshd -i` with `config` lines; resolves to ssh's exit status and output. */
  async function login(identity: string, extra: string[]): Promise<{ exitCode: number; stdout: string }> {
    const { mkdirSync } = await import("node:fs");
    if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true });
    const host = join(dir, "sshd_hostkey");
    if (!existsSync(host)) await theirs(["-q", "-t", "ed25519", "-N", "", "-f", host]);
    const config = join(dir, `sshd_config_${Math.random().toString(36).slice(2)}`);
    writeFileSync(config, [`HostKey ${host}`, "UsePAM no", "StrictModes no", "PidFile none", "LogLevel ERROR", ...extra, ""].join("\n"));
    const r = await exec([OPENSSH.ssh, "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
      "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "-i", identity, "-o", `ProxyCommand=${OPENSSH.sshd} -i -f ${config}`, `${currentUser()}@peer`, "echo logged-in"], { env: env() });
    return { exitCode: r.exitCode, stdout: r.stdout };
  }
  test.each([["ed25519", ["-t", "ed25519"]], ["ecdsa", ["-t", "ecdsa"]], ["rsa", ["-t", "rsa", "-b", "2048"]]] as const)("a %s key we generate logs in (authorized_keys)", async (name, args) => {
    const k = join(dir, `login_${name}`);
    await ours([...args, "-q", "-N", "", "-f", k]);
    const r = await login(k, [`AuthorizedKeysFile ${k}.pub`]);
    expect(r).toEqual({ exitCode: 0, stdout: "logged-in\n" });
  });
  test("a user certificate we sign is accepted through TrustedUserCAKeys, and refused once our KRL revokes it", async () => {
    const ca = join(dir, "login_ca");
    const k = join(dir, "login_certuser");
    await ours(["-q", "-t", "ecdsa", "-N", "", "-f", ca]);
    await ours(["-q", "-t", "ed25519", "-N", "", "-f", k]);
    expect((await ours(["-q", "-s", ca, "-I", "login-test", "-n", currentUser(), "-z", "12", `${k}.pub`])).exitCode).toBe(0);
    const krl = join(dir, "login_krl");
    expect((await ours(["-q", "-k", "-f", krl])).exitCode).toBe(0);
    const base = ["AuthorizedKeysFile none", `TrustedUserCAKeys ${ca}.pub`, `RevokedKeys ${krl}`];
    expect(await login(k, base)).toEqual({ exitCode: 0, stdout: "logged-in\n" });
    writeFileSync(`${krl}.spec`, "serial: 12\n");
    expect((await ours(["-q", "-k", "-f", krl, "-s", `${ca}.pub`, `${krl}.spec`])).exitCode).toBe(0);
    expect((await login(k, base)).exitCode).toBe(255);
  });
});

describe.skipIf(!peers || !existsSync("/usr/bin/ssh-agent"))("keys held by OpenSSH's ssh-agent", () => {
  test("-U -s signs a certificate with a CA key in the agent; -Y sign uses the agent when it holds the key", async () => {
    const sock = join(dir, "agent.sock");
    const agent = Bun.spawn(["/usr/bin/ssh-agent", "-D", "-a", sock], { stdout: "ignore", stderr: "ignore" });
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await Bun.sleep(20);
      const ca = join(dir, "agent_ca");
      const user = join(dir, "agent_user");
      await theirs(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", ca]);
      await theirs(["-q", "-t", "ed25519", "-N", "", "-f", user]);
      const agentEnv = { ...env(), SSH_AUTH_SOCK: sock };
      expect((await exec(["/usr/bin/ssh-add", "-q", ca, user], { env: agentEnv })).exitCode).toBe(0);
      rmSync(ca);
      rmSync(user);
      const s = await run([bin, "ssh-keygen", "-U", "-s", `${ca}.pub`, "-I", "via-agent", "-n", "bob", `${user}.pub`], { env: agentEnv });
      expect(s.exitCode).toBe(0);
      const shown = await theirs(["-L", "-f", `${user}-cert.pub`]);
      expect(shown.stdout).toContain("(using rsa-sha2-512)");
      expect(shown.stdout).toContain('Key ID: "via-agent"');
      const msg = join(dir, "agent_msg");
      writeFileSync(msg, "signed through the agent\n");
      expect((await run([bin, "ssh-keygen", "-Y", "sign", "-f", `${user}.pub`, "-n", "file", msg], { env: agentEnv })).exitCode).toBe(0);
      writeFileSync(`${msg}.allowed`, `bob ${readFileSync(`${user}.pub`, "utf8")}`);
      const v = await exec([OPENSSH.sshKeygen, "-Y", "verify", "-f", `${msg}.allowed`, "-I", "bob", "-n", "file", "-s", `${msg}.sig`], { env: env(), stdin: readFileSync(msg) });
      expect(v.exitCode).toBe(0);
    } finally {
      agent.kill();
    }
  });
});
