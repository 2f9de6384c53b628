// Our client and server over real loopback TCP sockets (Bun.listen / Bun.connect through SocketLink): Bun drops what
// write() does not accept, so this proves the transport's queue keeps every byte under backpressure.
import { afterAll, expect, test } from "bun:test";
import { createPublicKey } from "node:crypto";
import { CIPHERS, KEX_METHODS, MACS, verifySignature } from "../../core/crypto/registry.ts";
import { blobFromPublicKeyObject, signatureSpec } from "../../core/crypto/signatures.ts";
import { listen, type Listener } from "../../core/server/listener.ts";
import { serveConnection } from "../../core/server/connection.ts";
import { connectClient } from "../../core/client/connect.ts";
import { runClientSession } from "../../core/client/session.ts";
import { connectTcp, ConnectError } from "../../core/client/links.ts";
import { getpwuid } from "../../core/server/users.ts";
import { hostKeySigner, prefs, testPrivateKey } from "../helpers/transport.ts";
import { createHash } from "node:crypto";

const tables = { ciphers: CIPHERS, macs: MACS, kex: KEX_METHODS };
const pw = getpwuid(process.getuid!())!;
const userKey = testPrivateKey("ed25519");
const userBlob = blobFromPublicKeyObject(createPublicKey(userKey));
let listener: Listener | undefined;
afterAll(() => listener?.stop());

test("32 MiB through cat over loopback TCP come back identical", async () => {
  listener = await listen({
    addresses: [{ address: "127.0.0.1", port: 0 }],
    maxStartups: { start: 10, rate: 30, full: 100 },
    onConnection: (c) => {
      void serveConnection({
        link: c.link, tables, preferences: prefs(), software: "sshbox_test", hostKeys: [hostKeySigner("ed25519")], verifySignature,
        remoteAddress: c.remoteAddress, remotePort: c.remotePort,
        authPolicy: {
          startUser: async () => ({ valid: true, methods: ["publickey"] }),
          checkPublicKey: async (k) => ({ allowed: Buffer.from(k.keyBlob).equals(Buffer.from(userBlob)) }),
          verifySignature: async (k) => verifySignature(k.algorithm, k.keyBlob, k.data, k.signature),
        },
        sessionPolicy: (r) => ({ user: { name: r.user, uid: pw.uid, gid: pw.gid, home: pw.home, shell: "/bin/sh" }, baseEnv: {}, acceptEnv: () => false, subsystem: () => undefined, permitPty: false }),
      });
    },
  });
  const port = listener.bound[0]!.port;
  const { link } = await connectTcp("127.0.0.1", port, { timeoutMs: 5000 });
  const conn = await connectClient({
    link, tables, preferences: prefs({ ciphers: ["aes128-gcm@openssh.com"] }), software: "sshbox_test", verifySignature, checkHostKey: () => true,
    auth: { user: pw.name, signers: [{ algorithm: "ssh-ed25519", publicKeyBlob: userBlob, sign: async (d, a) => signatureSpec(a)!.sign(userKey, d) }] },
  });
  const chunk = new Uint8Array(1024 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7) & 0xff;
  const sent = createHash("sha256");
  const got = createHash("sha256");
  let n = 0;
  const outcome = await runClientSession(conn.mux, { command: "cat" }, {
    stdin: (async function* () {
      for (let i = 0; i < 32; i++) {
        sent.update(chunk);
        yield chunk.slice();
      }
    })(),
    stdout: (b, done) => {
      got.update(b);
      n += b.length;
      done();
    },
    stderr: (_b, done) => done(),
  });
  expect(outcome.exitStatus).toBe(0);
  expect(n).toBe(32 * 1024 * 1024);
  expect(got.digest("hex")).toBe(sent.digest("hex"));
  conn.transport.disconnect(11, "disconnected by user");
  await conn.transport.closed;
}, 60_000);

test("connection errors use OpenSSH's words", async () => {
  const srv = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = srv.port;
  srv.stop(true);
  const refused = await connectTcp("127.0.0.1", port).catch((e) => e);
  expect(refused).toBeInstanceOf(ConnectError);
  expect((refused as Error).message).toBe(`connect to host 127.0.0.1 port ${port}: Connection refused`);
  const unknown = await connectTcp("no-such-host.invalid", 22).catch((e) => e);
  expect((unknown as Error).message).toBe("Could not resolve hostname no-such-host.invalid: Name or service not known");
});
