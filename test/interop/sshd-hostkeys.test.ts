// UpdateHostKeys from the other side: OpenSSH's ssh learns the host keys our sshd announces (hostkeys-00@openssh.com)
// once our sshd proves it holds them (hostkeys-prove-00@openssh.com), RSA signed with rsa-sha2-512.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { OPENSSH, exec, havePeers } from "../helpers/openssh.ts";
import { scratchSshd, type ScratchSshd } from "../helpers/scratch-sshd.ts";

const enabled = havePeers(OPENSSH.ssh, OPENSSH.sshKeygen);
let sshd: ScratchSshd | undefined;
const pub = (k: string) => readFileSync(sshd!.path(`${k}.pub`), "utf8").trim().split(" ").slice(0, 2).join(" ");

beforeAll(async () => {
  if (!enabled) return;
  sshd = await scratchSshd("sshbox-sshd-hostkeys-", { hostKeys: { h_ed: "ed25519", h_ec: "ecdsa", h_rsa: "rsa" } });
  sshd.writeConfig("sshd_config", [...sshd.baseConfig, "LogLevel DEBUG3"]);
}, 60_000);
afterAll(() => sshd?.remove());

describe.skipIf(!enabled)("OpenSSH ssh UpdateHostKeys → our sshd -i", () => {
  test("the keys the client did not know are learned after our proofs", async () => {
    const s = sshd!;
    const kh = s.path("known_hosts");
    writeFileSync(kh, `peer ${pub("h_ed")}\n`);
    const r = await exec([OPENSSH.ssh, "-F", "none", "-o", `ProxyCommand=${s.proxy(s.path("sshd_config"), `-E ${s.path("sshd.log")}`)}`,
      "-o", `UserKnownHostsFile=${kh}`, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "UpdateHostKeys=yes",
      "-o", "HostKeyAlgorithms=ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512", "-o", "BatchMode=yes", "-v", "-i", s.path("id"), "root@peer", "true"]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("Learned new hostkey: ECDSA SHA256:");
    expect(r.stderr).toContain("Learned new hostkey: RSA SHA256:");
    expect(readFileSync(kh, "utf8")).toBe(`peer ${pub("h_ed")}\npeer ${pub("h_ec")}\npeer ${pub("h_rsa")}\n`);
    expect(readFileSync(s.path("sshd.log"), "utf8")).toContain("server_input_hostkeys_prove: sign key using sigalg rsa-sha2-512");
  });
});
