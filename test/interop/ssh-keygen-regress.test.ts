// OpenSSH's own regression tests with TEST_SSH_SSHKEYGEN = our ssh-keygen: the file tests t1–t12 (always; a few
// seconds) and the keygen/sshsig/krl/cert shell tests (SSHBOX_OPENSSH_REGRESS=1, as npm test sets; about three
// minutes). The tree is Debian's openssh-tests (/usr/lib/openssh/regress, OpenSSH 9.2p1, matching the installed sshd).
// That ssh lists DSA keys, which OpenSSH 10 (and we) no longer make, so a wrapper hides them from `ssh -Q`; the DSA
// file tests t6 and t8 are left out for the same reason.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { havePeers, OPENSSH } from "../helpers/openssh.ts";
import { sshboxBinary } from "../helpers/binary.ts";

const REGRESS = "/usr/lib/openssh/regress";
const peers = havePeers(OPENSSH.sshKeygen, OPENSSH.ssh, OPENSSH.sshd, REGRESS);
const slow = process.env.SSHBOX_OPENSSH_REGRESS === "1";

let root = "";
let keygen = "";

beforeAll(async () => {
  if (!peers) return;
  root = mkdtempSync(join(tmpdir(), "sshbox-regress-"));
  chmodSync(root, 0o755);
  mkdirSync(join(root, "bin"));
  keygen = join(root, "bin", "ssh-keygen");
  symlinkSync(await sshboxBinary(), keygen);
  writeFileSync(
    join(root, "bin", "ssh"),
    '#!/bin/sh\nfor a in "$@"; do if [ "$a" = "-Q" ]; then /usr/bin/ssh "$@" | grep -v \'^ssh-dss\'; exit 0; fi; done\nexec /usr/bin/ssh "$@"\n',
  );
  chmodSync(join(root, "bin", "ssh"), 0o755);
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function sh(script: string, cwd: string, env: Record<string, string> = {}): { exitCode: number; output: string } {
  const p = Bun.spawnSync(["/bin/sh", "-ec", script], { cwd, env: { PATH: "/usr/bin:/bin:/usr/sbin", K: keygen, ...env }, stdout: "pipe", stderr: "pipe" });
  return { exitCode: p.exitCode ?? -1, output: p.stdout.toString() + p.stderr.toString() };
}

describe.skipIf(!peers)("OpenSSH regress file tests (regress/Makefile t1–t12, OpenSSH 10.5: no DSA)", () => {
  const dir = (): string => REGRESS;
  const obj = (): string => join(root, "obj-files");
  const cases: readonly (readonly [string, string])[] = [
    ["t1", 'O=$OBJ; $K -if rsa_ssh2.prv | diff - rsa_openssh.prv; tr "\\n" "\\r" <rsa_ssh2.prv >$O/cr.prv; $K -if $O/cr.prv | diff - rsa_openssh.prv; awk \'{print $0 "\\r"}\' rsa_ssh2.prv >$O/crnl.prv; $K -if $O/crnl.prv | diff - rsa_openssh.prv'],
    ["t2", "cat rsa_openssh.prv > $OBJ/t2.out; chmod 600 $OBJ/t2.out; $K -yf $OBJ/t2.out | diff - rsa_openssh.pub"],
    ["t3", "$K -ef rsa_openssh.pub >$OBJ/t3.out; $K -if $OBJ/t3.out | diff - rsa_openssh.pub"],
    ["t4", "$K -E md5 -lf rsa_openssh.pub | awk '{print $2}' | diff - t4.ok"],
    ["t5", "$K -Bf rsa_openssh.pub | awk '{print $2}' | diff - t5.ok"],
    ["t7", "rm -f $OBJ/t7.out*; $K -q -t rsa -N '' -f $OBJ/t7.out; $K -lf $OBJ/t7.out >/dev/null; $K -Bf $OBJ/t7.out >/dev/null"],
    ["t9", "rm -f $OBJ/t9.out*; $K -q -t ecdsa -N '' -f $OBJ/t9.out; $K -lf $OBJ/t9.out >/dev/null; $K -Bf $OBJ/t9.out >/dev/null"],
    ["t10", "rm -f $OBJ/t10.out*; $K -q -t ed25519 -N '' -f $OBJ/t10.out; $K -lf $OBJ/t10.out >/dev/null; $K -Bf $OBJ/t10.out >/dev/null"],
    ["t11", "$K -E sha256 -lf rsa_openssh.pub | awk '{print $2}' | diff - t11.ok"],
    ["t12", "rm -f $OBJ/t12.out*; $K -q -t ed25519 -N '' -C 'test-comment-1234' -f $OBJ/t12.out; $K -lf $OBJ/t12.out.pub | grep test-comment-1234 >/dev/null"],
  ];
  test.each(cases)("%s", (_name, script) => {
    mkdirSync(obj(), { recursive: true });
    const r = sh(script, dir(), { OBJ: obj() });
    expect(r.output).toBe("");
    expect(r.exitCode).toBe(0);
  });
});

const SHELL_TESTS = ["keygen-change", "keygen-comment", "keygen-convert", "keygen-knownhosts", "keygen-sshfp", "sshsig", "krl", "cert-file", "cert-userkey", "cert-hostkey"];

describe.skipIf(!peers || !slow)("OpenSSH regress shell tests (Debian 9.2p1 harness; SSHBOX_OPENSSH_REGRESS=1)", () => {
  test.each(SHELL_TESTS)("%s", (name) => {
    const regress = REGRESS;
    const obj = join(root, `obj-${name}`);
    mkdirSync(obj, { recursive: true });
    const env: Record<string, string> = {
      SUDO: "", TEST_SHELL: "/bin/sh", OBJ: obj, TEST_SSH_UNSAFE_PERMISSIONS: "1",
      TEST_SSH_SSHKEYGEN: keygen, TEST_SSH_SSH: join(root, "bin", "ssh"), TEST_SSH_SSHD: OPENSSH.sshd,
      TEST_SSH_SSHAGENT: "/usr/bin/ssh-agent", TEST_SSH_SSHADD: "/usr/bin/ssh-add", TEST_SSH_SSHKEYSCAN: "/usr/bin/ssh-keyscan",
      TEST_SSH_SFTP: "/usr/bin/sftp", TEST_SSH_SFTPSERVER: OPENSSH.sftpServer, TEST_SSH_SCP: "/usr/bin/scp",
      TEST_SSH_SSHPKCS11HELPER: "/usr/lib/openssh/ssh-pkcs11-helper", TEST_SSH_SK_HELPER: "/usr/lib/openssh/ssh-sk-helper",
      TEST_SSH_SSHKEYSIGN: "/usr/lib/openssh/ssh-keysign", HOME: obj,
    };
    const p = Bun.spawnSync(["/bin/sh", join(regress, "test-exec.sh"), obj, join(regress, `${name}.sh`)], { cwd: regress, env: { PATH: "/usr/bin:/bin:/usr/sbin", ...env }, stdout: "pipe", stderr: "pipe" });
    const out = p.stdout.toString() + p.stderr.toString();
    if (p.exitCode !== 0) console.error(out.split("\n").filter((l) => /fail|FATAL/i.test(l)).slice(0, 20).join("\n"));
    expect(p.exitCode).toBe(0);
    expect(out).toMatch(/(^|\n)ok /);
  }, 300_000);
});

// Kept in view: the file tests above are the Makefile's, less the DSA ones (t6, t8).
test.skipIf(!peers)("the regress tree is the one named", () => {
  expect(readFileSync(join(REGRESS, "Makefile"), "utf8")).toMatch(/REGRESS_TARGETS=\s*t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12/);
});
