// Client and server transports in memory: handshake for every algorithm, data after it, chunking, rekeying, failures.
import { describe, expect, test } from "bun:test";
import { CIPHERS, KEX_METHODS, MACS } from "../../core/crypto/registry.ts";
import { transportPair, type HostKeyKind } from "../helpers/transport.ts";
import type { Transport } from "../../core/transport/transport.ts";
import { createHash } from "node:crypto";

/** Sends `count` messages of type 94 with `size` bytes each from a to b; resolves with b's sha256 of everything received. */
function pump(a: Transport, b: Transport, count: number, size: number): Promise<{ sent: string; got: string; n: number }> {
  const sent = createHash("sha256");
  const got = createHash("sha256");
  let n = 0;
  return new Promise((resolve, reject) => {
    b.onMessage = (payload, lease) => {
      got.update(payload.subarray(1));
      lease.release();
      if (++n === count) resolve({ sent: sent.digest("hex"), got: got.digest("hex"), n });
    };
    b.onClose = (e) => reject(e ?? new Error("closed"));
    for (let i = 0; i < count; i++) {
      const w = a.begin(94, size);
      const body = new Uint8Array(size);
      for (let j = 0; j < size; j++) body[j] = (i * 31 + j) & 0xff;
      w.raw(body);
      sent.update(body);
      a.commit(w);
    }
  });
}

async function handshakeAndSend(t: { client: Transport; server: Transport }): Promise<void> {
  await Promise.all([t.client.ready, t.server.ready]);
  const r1 = await pump(t.client, t.server, 3, 1000);
  expect(r1.got).toBe(r1.sent);
  const r2 = await pump(t.server, t.client, 3, 40000);
  expect(r2.got).toBe(r2.sent);
}

describe("algorithm matrix", () => {
  test.each(CIPHERS.filter((c) => c.aead).map((c) => c.name))("AEAD cipher %s", async (cipher) => {
    const t = transportPair({ client: { ciphers: [cipher] }, server: { ciphers: [cipher] } });
    await handshakeAndSend(t);
    expect(t.client.negotiated?.cipherC2S).toBe(cipher);
    t.client.close();
    await t.server.closed;
    expect(t.pool.outstanding).toBe(0);
  });
  const pairs = CIPHERS.filter((c) => !c.aead).flatMap((c) => MACS.map((m) => [c.name, m.name] as const));
  test.each(pairs)("cipher %s with MAC %s", async (cipher, mac) => {
    const t = transportPair({ client: { ciphers: [cipher], macs: [mac] }, server: { ciphers: [cipher], macs: [mac] } });
    await handshakeAndSend(t);
    expect([t.server.negotiated?.cipherS2C, t.server.negotiated?.macS2C]).toEqual([cipher, mac]);
    t.client.close();
    await t.server.closed;
    expect(t.pool.outstanding).toBe(0);
  });
  test.each(KEX_METHODS.map((k) => k.name))("key exchange %s", async (kex) => {
    const t = transportPair({ client: { kex: [kex] }, server: { kex: [kex] } });
    await handshakeAndSend(t);
    expect(t.client.negotiated?.kex).toBe(kex);
    expect(t.client.sessionId).toEqual(t.server.sessionId);
    t.server.close();
    await t.client.closed;
  }, 30_000);
  const hostKeys: [HostKeyKind, string][] = [["ed25519", "ssh-ed25519"], ["ecdsa256", "ecdsa-sha2-nistp256"], ["ecdsa384", "ecdsa-sha2-nistp384"], ["ecdsa521", "ecdsa-sha2-nistp521"], ["rsa", "rsa-sha2-512"], ["rsa", "rsa-sha2-256"]];
  test.each(hostKeys)("host key %s signing %s", async (kind, alg) => {
    const t = transportPair({ hostKeys: [kind], client: { hostKey: [alg] } });
    await handshakeAndSend(t);
    expect(t.client.negotiated?.hostKey).toBe(alg);
    t.client.close();
  }, 30_000);
});

describe("framing and flow", () => {
  test.each([1, 2, 3, 7, 64, 1000])("the stream cut into %i-byte chunks gives the same result", async (chunk) => {
    const t = transportPair({ link: { chunk } });
    await handshakeAndSend(t);
    t.client.close();
  });
  test("a link that accepts little at a time queues and drains", async () => {
    const t = transportPair({ link: { capacity: 700 } });
    await handshakeAndSend(t);
    const r = await pump(t.client, t.server, 200, 32768);
    expect(r.got).toBe(r.sent);
    t.client.close();
    await t.server.closed;
    expect(t.pool.outstanding).toBe(0);
  });
  test("rekeying every 4 MiB while 64 MiB flow each way keeps every byte", async () => {
    const t = transportPair({ extra: { rekeyBytes: 4 * 1024 * 1024 } });
    await Promise.all([t.client.ready, t.server.ready]);
    const sid = t.client.sessionId.slice();
    const [up, down] = await Promise.all([pump(t.client, t.server, 2048, 32768), pump(t.server, t.client, 2048, 32768)]);
    expect(t.client.keyExchanges).toBeGreaterThanOrEqual(16);
    expect(up.got).toBe(up.sent);
    expect(down.got).toBe(down.sent);
    expect(t.client.sessionId).toEqual(sid); // RFC 4253 §7.2: the session id never changes
    t.client.close();
    await t.server.closed;
    expect(t.pool.outstanding).toBe(0);
  });

  test("rekeying by time (RekeyLimit 0 0.05 s) while data flows", async () => {
    const t = transportPair({ extra: { rekeySeconds: 0.05 } });
    await Promise.all([t.client.ready, t.server.ready]);
    for (let i = 0; i < 6; i++) {
      const r = await pump(t.client, t.server, 20, 1000);
      expect(r.got).toBe(r.sent);
      await Bun.sleep(30);
    }
    expect(t.client.keyExchanges).toBeGreaterThanOrEqual(3);
    t.client.close();
    await t.server.closed;
  });
});

describe("the whole algorithm matrix", () => {
  // Every cipher × MAC × KEX × host key is FULL_MATRIX=1 (about 2,000 handshakes); by default a pairwise-covering
  // subset runs: each cipher/MAC pair, each KEX and each host key algorithm appear, varied against one another.
  const macs = MACS.map((m) => m.name);
  const cipherMac = CIPHERS.flatMap((c) => (c.aead ? [[c.name, macs[0]!] as const] : macs.map((m) => [c.name, m] as const)));
  const kexes = KEX_METHODS.map((k) => k.name);
  const hks: [HostKeyKind, string][] = [["ed25519", "ssh-ed25519"], ["ecdsa256", "ecdsa-sha2-nistp256"], ["ecdsa384", "ecdsa-sha2-nistp384"], ["ecdsa521", "ecdsa-sha2-nistp521"], ["rsa", "rsa-sha2-512"], ["rsa", "rsa-sha2-256"]];
  const all = cipherMac.flatMap(([c, m]) => kexes.flatMap((k) => hks.map(([kind, alg]) => [c, m, k, kind, alg] as const)));
  const rows = process.env.FULL_MATRIX === "1" ? all : cipherMac.map(([c, m], i) => [c, m, kexes[i % kexes.length]!, hks[i % hks.length]![0], hks[i % hks.length]![1]] as const);
  test.each(rows)("%s + %s with %s and a %s host key (%s)", async (cipher, mac, kex, kind, alg) => {
    const t = transportPair({ hostKeys: [kind], client: { ciphers: [cipher], macs: [mac], kex: [kex], hostKey: [alg] }, server: { ciphers: [cipher], macs: [mac], kex: [kex] } });
    await handshakeAndSend(t);
    expect([t.client.negotiated?.cipherC2S, t.client.negotiated?.kex, t.client.negotiated?.hostKey]).toEqual([cipher, kex, alg]);
    t.client.close();
    await t.server.closed;
    expect(t.pool.outstanding).toBe(0);
  }, 60_000);
});

describe("failures", () => {
  test("no common cipher: both sides fail with a negotiation error", async () => {
    const t = transportPair({ client: { ciphers: ["aes128-ctr"] }, server: { ciphers: ["aes256-gcm@openssh.com"] } });
    const [c, s] = await Promise.allSettled([t.client.ready, t.server.ready]);
    expect([c.status, s.status]).toEqual(["rejected", "rejected"]);
    expect(String((c as PromiseRejectedResult).reason)).toContain("no matching cipher found");
  });
  test("a refused host key fails the client", async () => {
    const t = transportPair({ extra: {} });
    (t.client as unknown as { opts: { checkHostKey: () => boolean } }).opts.checkHostKey = () => false;
    const r = await Promise.allSettled([t.client.ready]);
    expect(String((r[0] as PromiseRejectedResult).reason)).toContain("Host key verification failed.");
  });
});
