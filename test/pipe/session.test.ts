// Our client and server end to end in memory: transport, publickey authentication, a session running a real command.
import { describe, expect, test } from "bun:test";
import { createPublicKey } from "node:crypto";
import { getpwuid } from "../../core/server/users.ts";
import { CIPHERS, MACS, KEX_METHODS, verifySignature } from "../../core/crypto/registry.ts";
import { blobFromPublicKeyObject, signatureSpec } from "../../core/crypto/signatures.ts";
import { memoryLinkPair } from "../../core/transport/link.ts";
import { serveConnection } from "../../core/server/connection.ts";
import { connectClient, AuthenticationFailedError } from "../../core/client/connect.ts";
import { runClientSession } from "../../core/client/session.ts";
import type { ServerAuthPolicy, Signer } from "../../core/auth/index.ts";
import { hostKeySigner, prefs, testPrivateKey } from "../helpers/transport.ts";

const tables = { ciphers: CIPHERS, macs: MACS, kex: KEX_METHODS };
// Bun's os.userInfo() reports username "unknown" (Bun 1.4.5); the passwd lookup is what sshd uses anyway.
const pw = getpwuid(process.getuid!())!;
const me = { username: pw.name, uid: pw.uid, gid: pw.gid, homedir: pw.home };
const userKey = testPrivateKey("ecdsa256");
const userBlob = blobFromPublicKeyObject(createPublicKey(userKey));
const signer: Signer = { algorithm: "ecdsa-sha2-nistp256", publicKeyBlob: userBlob, sign: async (data, alg) => signatureSpec(alg)!.sign(userKey, data) };

function policy(allowed: Uint8Array): ServerAuthPolicy {
  return {
    startUser: async (user) => ({ valid: user === me.username, methods: ["publickey"] }),
    checkPublicKey: async (c) => ({ allowed: Buffer.from(c.keyBlob).equals(Buffer.from(allowed)) }),
    verifySignature: async (c) => verifySignature(c.algorithm, c.keyBlob, c.data, c.signature),
  };
}

async function session(command: string, stdin: string | null, allowed = userBlob) {
  const [a, b] = memoryLinkPair();
  const server = serveConnection({
    link: b, tables, preferences: prefs(), software: "sshbox_test", hostKeys: [hostKeySigner("ed25519")], verifySignature,
    authPolicy: policy(allowed), remoteAddress: "127.0.0.1", remotePort: 1234,
    sessionPolicy: (r) => ({
      user: { name: r.user, uid: me.uid, gid: me.gid, home: me.homedir, shell: "/bin/sh" },
      baseEnv: { SSH_CONNECTION: "127.0.0.1 1234 127.0.0.1 22" }, acceptEnv: (n) => n === "LANG", subsystem: () => undefined, permitPty: true,
    }),
  });
  const conn = await connectClient({ link: a, tables, preferences: prefs(), software: "sshbox_test", verifySignature, checkHostKey: () => true, auth: { user: me.username, signers: [signer] } });
  let out = "";
  let err = "";
  const outcome = await runClientSession(conn.mux, { command, env: [["LANG", "C.UTF-8"], ["EVIL", "1"]] }, {
    stdin: stdin === null ? null : (async function* () { yield new TextEncoder().encode(stdin); })(),
    stdout: (b, done) => { out += new TextDecoder().decode(b); done(); },
    stderr: (b, done) => { err += new TextDecoder().decode(b); done(); },
  });
  conn.transport.disconnect(11, "disconnected by user");
  const s = await server;
  return { out, err, outcome, server: s };
}

describe("client and server in memory", () => {
  test("a command's stdout, stderr and exit status arrive apart and intact", async () => {
    const r = await session("echo hi; echo oops >&2; exit 3", null);
    expect({ out: r.out, err: r.err, status: r.outcome.exitStatus }).toEqual({ out: "hi\n", err: "oops\n", status: 3 });
    expect(r.server.authenticated).toBe(true);
  });
  test("stdin reaches the command and the environment follows AcceptEnv", async () => {
    const r = await session('cat; echo "LANG=$LANG EVIL=${EVIL:-unset} SSH_CONNECTION=$SSH_CONNECTION"', "from stdin\n");
    expect(r.out).toBe("from stdin\nLANG=C.UTF-8 EVIL=unset SSH_CONNECTION=127.0.0.1 1234 127.0.0.1 22\n");
  });
  test("a signal ending the command is reported as exit-signal", async () => {
    const r = await session("kill -TERM $$", null);
    expect([r.outcome.exitStatus, r.outcome.exitSignal]).toEqual([null, "TERM"]);
  });
  test("1 MiB through cat comes back identical", async () => {
    const data = "x".repeat(1024 * 1024 - 1) + "\n";
    const r = await session("cat", data);
    expect(r.out.length).toBe(data.length);
    expect(r.out === data).toBe(true);
  });
  test("an unknown key is refused with the server's method list", async () => {
    const other = blobFromPublicKeyObject(createPublicKey(testPrivateKey("ed25519")));
    const e = await session("true", null, other).catch((x) => x);
    expect(e).toBeInstanceOf(AuthenticationFailedError);
    expect((e as Error).message).toBe("Permission denied (publickey).");
  });
});
