// Interop inside the transport: our client transport against OpenSSH's `sshd -i` for every algorithm both support,
// up to an encrypted SERVICE_REQUEST/ACCEPT exchange.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CIPHERS, DEFAULT_PROPOSAL, KEX_METHODS, MACS, verifySignature } from "../../core/crypto/registry.ts";
import { StreamLink } from "../../core/transport/link.ts";
import { Transport, type AlgorithmPreferences } from "../../core/transport/transport.ts";
import { BufferPool, Reader, SSH_MSG_SERVICE_ACCEPT, SSH_MSG_SERVICE_REQUEST } from "../../core/wire/index.ts";
import { OPENSSH, exec, havePeers, opensshHostKeys, writeSshdConfig } from "../helpers/openssh.ts";
import { TABLES } from "../helpers/transport.ts";

const enabled = havePeers(OPENSSH.sshd, OPENSSH.ssh, OPENSSH.sshKeygen);
let keys: Awaited<ReturnType<typeof opensshHostKeys>>;
let theirs: { cipher: string[]; mac: string[]; kex: string[]; key: string[] };

beforeAll(async () => {
  if (!enabled) return;
  keys = await opensshHostKeys();
  const q = async (what: string) => (await exec([OPENSSH.ssh, "-Q", what])).stdout.trim().split("\n");
  theirs = { cipher: await q("cipher"), mac: await q("mac"), kex: await q("kex"), key: await q("key-sig") };
});
afterAll(async () => {
  if (keys) await keys[Symbol.asyncDispose]();
});

/** Our client transport through OpenSSH's sshd -i: handshake, then an encrypted service request. */
async function handshake(pref: Partial<AlgorithmPreferences>, sshdExtra: string[]): Promise<{ negotiated: Transport["negotiated"]; log: string }> {
  const config = writeSshdConfig(keys.dir, Object.values(keys.keys), sshdExtra);
  const proc = Bun.spawn([OPENSSH.sshd, "-i", "-e", "-f", config], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const stderr = proc.stderr.text();
  const pool = new BufferPool({ checked: true });
  const t = new Transport({
    role: "client",
    link: new StreamLink(proc.stdout, proc.stdin),
    tables: TABLES,
    preferences: { kex: DEFAULT_PROPOSAL.kexClient, hostKey: DEFAULT_PROPOSAL.hostKey, ciphers: DEFAULT_PROPOSAL.ciphers, macs: DEFAULT_PROPOSAL.macs, compression: ["none"], ...pref },
    software: "sshbox_test",
    verifySignature,
    checkHostKey: () => true,
    pool,
  });
  try {
    await t.ready;
    const accepted = new Promise<string>((resolve, reject) => {
      t.onMessage = (payload, lease) => {
        const r = new Reader(payload);
        const msg = r.u8();
        const name = msg === SSH_MSG_SERVICE_ACCEPT ? r.string() : `unexpected ${msg}`;
        lease.release();
        resolve(name);
      };
      t.onClose = (e) => reject(e ?? new Error("closed"));
    });
    const w = t.begin(SSH_MSG_SERVICE_REQUEST, 32);
    w.string("ssh-userauth");
    t.commit(w);
    expect(await accepted).toBe("ssh-userauth");
    t.disconnect(11, "bye");
    return { negotiated: t.negotiated, log: "" };
  } catch (e) {
    proc.kill();
    throw new Error(`${e}\n--- sshd log ---\n${(await stderr).slice(-3000)}`);
  } finally {
    await proc.exited;
    expect(pool.outstanding).toBe(0);
  }
}

describe.skipIf(!enabled)("our client transport → OpenSSH sshd -i", () => {
  test.each(CIPHERS.map((c) => c.name))("cipher %s", async (cipher) => {
    if (!theirs.cipher.includes(cipher)) throw new Error(`OpenSSH lacks ${cipher}`);
    const r = await handshake({ ciphers: [cipher] }, [`Ciphers ${cipher}`]);
    expect(r.negotiated?.cipherC2S).toBe(cipher);
  });
  test.each(MACS.map((m) => m.name))("MAC %s (with aes128-ctr)", async (mac) => {
    const r = await handshake({ ciphers: ["aes128-ctr"], macs: [mac] }, [`MACs ${mac}`, "Ciphers aes128-ctr"]);
    expect(r.negotiated?.macS2C).toBe(mac);
  });
  test.each(KEX_METHODS.map((k) => k.name))("key exchange %s", async (kex) => {
    if (!theirs.kex.includes(kex)) {
      // OpenSSH 9.2 (Debian 12) predates mlkem768x25519-sha256 and the IANA sntrup761 name: nothing to talk to.
      expect(["mlkem768x25519-sha256", "sntrup761x25519-sha512"]).toContain(kex);
      return;
    }
    const r = await handshake({ kex: [kex] }, [`KexAlgorithms ${kex}`]);
    expect(r.negotiated?.kex).toBe(kex);
  }, 60_000);
  test.each(DEFAULT_PROPOSAL.hostKey.map((h) => h))("host key %s", async (alg) => {
    const r = await handshake({ hostKey: [alg] }, [`HostKeyAlgorithms ${alg}`]);
    expect(r.negotiated?.hostKey).toBe(alg);
  });
});
