// OpenSSH peers for interop tests. With CI=true a missing peer fails the test that needs it (never a skip); elsewhere
// the test is skipped with the reason on stderr.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const OPENSSH = {
  ssh: "/usr/bin/ssh",
  sshd: "/usr/sbin/sshd",
  sshKeygen: "/usr/bin/ssh-keygen",
  sftp: "/usr/bin/sftp",
  sftpServer: "/usr/lib/openssh/sftp-server",
} as const;

/** Whether the interop tests can run; in CI a missing peer throws so the run fails loudly. */
export function havePeers(...paths: string[]): boolean {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length === 0) return true;
  if (process.env.CI === "true") throw new Error(`OpenSSH peer missing in CI: ${missing.join(", ")}`);
  console.error(`skipping interop tests: missing ${missing.join(", ")}`);
  return false;
}

/** Runs a command and returns its output. */
export async function exec(argv: string[], opts: { cwd?: string; env?: Record<string, string>; stdin?: Uint8Array } = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const p = Bun.spawn(argv, { cwd: opts.cwd, env: opts.env ?? { PATH: "/usr/bin:/bin:/usr/sbin" }, stdin: opts.stdin ?? "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([p.stdout.text(), p.stderr.text(), p.exited]);
  return { stdout, stderr, exitCode };
}

/** A scratch directory with OpenSSH host keys of every type, removed by dispose(). */
export async function opensshHostKeys(): Promise<{ dir: string; keys: Record<"ed25519" | "ecdsa" | "ecdsa384" | "ecdsa521" | "rsa", string>; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "sshbox-interop-"));
  chmodSync(dir, 0o700);
  const keys = { ed25519: join(dir, "host_ed25519"), ecdsa: join(dir, "host_ecdsa"), ecdsa384: join(dir, "host_ecdsa384"), ecdsa521: join(dir, "host_ecdsa521"), rsa: join(dir, "host_rsa") };
  await Promise.all([
    exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", keys.ed25519]),
    exec([OPENSSH.sshKeygen, "-q", "-t", "ecdsa", "-N", "", "-f", keys.ecdsa]),
    exec([OPENSSH.sshKeygen, "-q", "-t", "ecdsa", "-b", "384", "-N", "", "-f", keys.ecdsa384]),
    exec([OPENSSH.sshKeygen, "-q", "-t", "ecdsa", "-b", "521", "-N", "", "-f", keys.ecdsa521]),
    exec([OPENSSH.sshKeygen, "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", keys.rsa]),
  ]);
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true }); // Debian's sshd wants its privsep dir
  return { dir, keys, [Symbol.asyncDispose]: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes an sshd_config for `sshd -i` runs in `dir` with the given extra lines. */
export function writeSshdConfig(dir: string, hostKeys: string[], extra: string[] = []): string {
  const path = join(dir, "sshd_config");
  writeFileSync(
    path,
    [...hostKeys.map((k) => `HostKey ${k}`), "UsePAM no", "StrictModes no", "PidFile none", `AuthorizedKeysFile ${join(dir, "authorized_keys")}`, "LogLevel DEBUG3", ...extra, ""].join("\n"),
  );
  return path;
}
