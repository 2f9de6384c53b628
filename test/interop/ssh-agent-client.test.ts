// Our ssh using an agent (SSH_AUTH_SOCK / IdentityAgent) against OpenSSH's `sshd -i`: the agent is OpenSSH's own
// ssh-agent, keys added by OpenSSH's ssh-add. Agent keys are offered before files, signed by the agent (RSA with the
// SHA-2 flags), IdentitiesOnly keeps unlisted agent keys out, IdentityAgent none and a dead socket fall back to files.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OPENSSH, exec, havePeers, opensshHostKeys, writeSshdConfig } from "../helpers/openssh.ts";
import { sshboxBinary } from "../helpers/binary.ts";

const SSH_AGENT = "/usr/bin/ssh-agent";
const SSH_ADD = "/usr/bin/ssh-add";
const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshd, OPENSSH.sshKeygen, SSH_AGENT, SSH_ADD);
let dir = "";
let bin = "";
let sock = "";
let agentPid = 0;
let hostKeys: Awaited<ReturnType<typeof opensshHostKeys>> | undefined;

beforeAll(async () => {
  if (!enabled) return;
  bin = await sshboxBinary();
  hostKeys = await opensshHostKeys();
  dir = hostKeys.dir;
  // agent_ed: only in the agent; agent_rsa: only in the agent (RSA, so the SHA-2 sign flags matter);
  // file_pw: a passphrase-protected file the agent also holds (the agent must sign; BatchMode cannot ask).
  for (const [name, type, pw] of [["agent_ed", "ed25519", ""], ["agent_rsa", "rsa", ""], ["file_pw", "ed25519", "secret"]] as const) {
    await exec([OPENSSH.sshKeygen, "-q", "-t", type, ...(type === "rsa" ? ["-b", "2048"] : []), "-N", pw, "-C", name, "-f", join(dir, name)]);
  }
  sock = join(dir, "agent.sock");
  // Without -D the agent prints its variables once the socket listens, then runs in the background.
  const started = await exec([SSH_AGENT, "-s", "-a", sock]);
  agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(started.stdout)?.[1] ?? 0);
  if (agentPid === 0) throw new Error(`ssh-agent: ${started.stdout}${started.stderr}`);
  const env = { PATH: "/usr/bin:/bin", SSH_AUTH_SOCK: sock, SSH_ASKPASS: join(dir, "askpass"), SSH_ASKPASS_REQUIRE: "force", DISPLAY: "x" };
  writeFileSync(join(dir, "askpass"), "#!/bin/sh\necho secret\n", { mode: 0o755 });
  for (const k of ["agent_ed", "agent_rsa", "file_pw"]) {
    const r = await exec([SSH_ADD, join(dir, k)], { env });
    if (r.exitCode !== 0) throw new Error(`ssh-add ${k}: ${r.stderr}`);
  }
}, 60_000);
afterAll(async () => {
  if (agentPid > 0) process.kill(agentPid, "SIGTERM");
  await hostKeys?.[Symbol.asyncDispose]();
});

/** A config whose authorized_keys holds `keys` (by name). */
function sshdWith(name: string, keys: string[]): string {
  const sub = join(dir, name);
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, "authorized_keys"), keys.map((k) => readFileSync(join(dir, `${k}.pub`), "utf8")).join(""));
  return writeSshdConfig(sub, [hostKeys!.keys.ed25519], ["PubkeyAcceptedAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256"]);
}

async function ours(sshdConfig: string, extra: string[], env: Record<string, string> = { SSH_AUTH_SOCK: sock }, command = "echo in") {
  return exec([bin, "ssh", "-F", "none", "-o", `ProxyCommand=${OPENSSH.sshd} -i -f ${sshdConfig}`, "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", ...extra, "peer", command], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, ...env },
  });
}

describe.skipIf(!enabled)("our ssh with OpenSSH's ssh-agent", () => {
  test("a key only the agent holds logs in (no identity file exists)", async () => {
    const r = await ours(sshdWith("ed", ["agent_ed"]), ["-i", join(dir, "absent")]);
    expect(r).toMatchObject({ stdout: "in\n", exitCode: 0 });
  });

  test("an RSA agent key signs with rsa-sha2-512 (the server refuses ssh-rsa)", async () => {
    const r = await ours(sshdWith("rsa", ["agent_rsa"]), ["-i", join(dir, "absent")]);
    expect(r).toMatchObject({ stdout: "in\n", exitCode: 0 });
  });

  test("a passphrase-protected identity file the agent holds is signed by the agent", async () => {
    const r = await ours(sshdWith("pw", ["file_pw"]), ["-i", join(dir, "file_pw"), "-o", "IdentitiesOnly=yes"]);
    expect(r).toMatchObject({ stdout: "in\n", exitCode: 0 });
  });

  test("IdentitiesOnly keeps agent keys that are not identity files out", async () => {
    const r = await ours(sshdWith("only", ["agent_ed"]), ["-i", join(dir, "file_pw"), "-o", "IdentitiesOnly=yes"]);
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toContain("Permission denied (publickey");
  });

  test("IdentityAgent none, and IdentityAgent naming the socket instead of SSH_AUTH_SOCK", async () => {
    const cfg = sshdWith("ia", ["agent_ed"]);
    const none = await ours(cfg, ["-i", join(dir, "absent"), "-o", "IdentityAgent=none"]);
    expect(none.exitCode).toBe(255);
    const named = await ours(cfg, ["-i", join(dir, "absent"), "-o", `IdentityAgent=${sock}`], {});
    expect(named).toMatchObject({ stdout: "in\n", exitCode: 0 });
    const legacy = await ours(cfg, ["-i", join(dir, "absent"), "-o", "IdentityAgent=$MY_AGENT"], { MY_AGENT: sock });
    expect(legacy).toMatchObject({ stdout: "in\n", exitCode: 0 });
  });

  test("a socket nobody listens on is skipped: the identity files still work, and -v says why", async () => {
    const r = await ours(sshdWith("dead", ["agent_ed"]), ["-i", join(dir, "agent_ed"), "-v", "-o", "LogLevel=DEBUG1"], { SSH_AUTH_SOCK: join(dir, "nobody.sock") });
    expect(r).toMatchObject({ stdout: "in\n", exitCode: 0 });
    expect(r.stderr).toContain("get_agent_identities: ssh_get_authentication_socket: No such file or directory");
  });

  test("-A forwards the agent: the remote ssh-add lists its keys; without -A there is no agent there", async () => {
    const cfg = sshdWith("fwd", ["agent_ed"]);
    const listed = await ours(cfg, ["-A"], { SSH_AUTH_SOCK: sock }, `${SSH_ADD} -l`);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).toContain("agent_ed (ED25519)");
    expect(listed.stdout).toContain("agent_rsa (RSA)");
    const path = await ours(cfg, ["-o", "ForwardAgent=$MY_AGENT"], { SSH_AUTH_SOCK: sock, MY_AGENT: sock }, `${SSH_ADD} -l`);
    expect(path.exitCode).toBe(0);
    const none = await ours(cfg, [], { SSH_AUTH_SOCK: sock }, `${SSH_ADD} -l`);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain("Could not open a connection to your authentication agent.");
  });

  test("a CertificateFile whose key only the agent holds is signed by the agent (sign_and_send_pubkey)", async () => {
    await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "ca")]);
    await exec([OPENSSH.sshKeygen, "-q", "-s", join(dir, "ca"), "-I", "agent cert", "-n", process.env.USER ?? "root", "-O", "no-pty", join(dir, "agent_ed.pub")]);
    const sub = join(dir, "cert");
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, "authorized_keys"), `cert-authority ${readFileSync(join(dir, "ca.pub"), "utf8")}`);
    const cfg = writeSshdConfig(sub, [hostKeys!.keys.ed25519]);
    const plain = await ours(cfg, ["-i", join(dir, "absent")]);
    expect(plain.exitCode).toBe(255);
    const cert = await ours(cfg, ["-i", join(dir, "absent"), "-o", `CertificateFile=${join(dir, "agent_ed-cert.pub")}`]);
    expect(cert).toMatchObject({ stdout: "in\n", exitCode: 0 });
  });

  test("AddKeysToAgent yes puts a key loaded from its file into the agent (comment kept); no leaves it out", async () => {
    for (const name of ["added_yes", "added_no"]) {
      await exec([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-C", `${name} comment`, "-f", join(dir, name)]);
    }
    const yes = await ours(sshdWith("add_yes", ["added_yes"]), ["-i", join(dir, "added_yes"), "-o", "IdentitiesOnly=yes", "-o", "AddKeysToAgent=yes"]);
    expect(yes).toMatchObject({ stdout: "in\n", exitCode: 0 });
    const no = await ours(sshdWith("add_no", ["added_no"]), ["-i", join(dir, "added_no"), "-o", "IdentitiesOnly=yes"]);
    expect(no).toMatchObject({ stdout: "in\n", exitCode: 0 });
    const listed = await exec([SSH_ADD, "-l"], { env: { PATH: "/usr/bin:/bin", SSH_AUTH_SOCK: sock } });
    expect(listed.stdout).toContain("added_yes comment (ED25519)");
    expect(listed.stdout).not.toContain("added_no comment");
  });
});
