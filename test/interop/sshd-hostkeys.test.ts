// UpdateHostKeys from the other side: OpenSSH's ssh learns the host keys our sshd announces (hostkeys-00@openssh.com)
// once our sshd proves it holds them (hostkeys-prove-00@openssh.com), RSA signed with rsa-sha2-512.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OPENSSH, exec, havePeers } from "../helpers/openssh.ts";
import { sshboxBinary } from "../helpers/binary.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshKeygen);
let dir = "";
let bin = "";
const pub = (k: string) => readFileSync(join(dir, `${k}.pub`), "utf8").trim().split(" ").slice(0, 2).join(" ");

beforeAll(async () => {
  if (!enabled) return;
  bin = await sshboxBinary();
  dir = mkdtempSync(join(tmpdir(), "sshbox-sshd-hostkeys-"));
  for (const [name, type] of [["id", "ed25519"], ["h_ed", "ed25519"], ["h_ec", "ecdsa"], ["h_rsa", "rsa"]] as const) {
    await exec([OPENSSH.sshKeygen, "-q", "-t", type, "-N", "", "-f", join(dir, name)]);
  }
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "id.pub")));
  writeFileSync(join(dir, "sshd_config"), [
    ...["h_ed", "h_ec", "h_rsa"].map((k) => `HostKey ${join(dir, k)}`), `AuthorizedKeysFile ${join(dir, "authorized_keys")}`, "StrictModes no", "LogLevel DEBUG3", "",
  ].join("\n"));
}, 60_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!enabled)("OpenSSH ssh UpdateHostKeys → our sshd -i", () => {
  test("the keys the client did not know are learned after our proofs", async () => {
    const kh = join(dir, "known_hosts");
    writeFileSync(kh, `peer ${pub("h_ed")}\n`);
    const r = await exec([OPENSSH.ssh, "-F", "none", "-o", `ProxyCommand=${bin} sshd -i -f ${join(dir, "sshd_config")} -E ${join(dir, "sshd.log")}`,
      "-o", `UserKnownHostsFile=${kh}`, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "UpdateHostKeys=yes",
      "-o", "HostKeyAlgorithms=ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512", "-o", "BatchMode=yes", "-v", "-i", join(dir, "id"), "root@peer", "true"]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("Learned new hostkey: ECDSA SHA256:");
    expect(r.stderr).toContain("Learned new hostkey: RSA SHA256:");
    expect(readFileSync(kh, "utf8")).toBe(`peer ${pub("h_ed")}\npeer ${pub("h_ec")}\npeer ${pub("h_rsa")}\n`);
    expect(readFileSync(join(dir, "sshd.log"), "utf8")).toContain("server_input_hostkeys_prove: sign key using sigalg rsa-sha2-512");
  });
});
