// Our client against our server over a fake back-to-back transport: every method, partial success, banner, limits,
// hand-over to the next layer; every lease goes back to the checked pool.
import { describe, expect, test } from "bun:test";
import {
  AUTH_WORDING, runClientAuth, runServerAuth, type AuthLogLevel, type ClientAuthOptions, type ServerAuthOptions,
} from "../../../core/auth/index.ts";
import { ConnectionLostError, ProtocolError } from "../../../core/errors.ts";
import {
  Reader, SSH_MSG_GLOBAL_REQUEST, SSH_MSG_SERVICE_ACCEPT, SSH_MSG_SERVICE_REQUEST, SSH_MSG_USERAUTH_BANNER,
  SSH_MSG_USERAUTH_FAILURE, SSH_MSG_USERAUTH_PK_OK, SSH_MSG_USERAUTH_REQUEST, SSH_MSG_USERAUTH_SUCCESS, type Lease,
} from "../../../core/wire/index.ts";
import { fakeConnPair } from "../../helpers/fake-conn.ts";
import { ed25519Key, enc, failureOf, rsaKey, sentTypes, testPolicy, until } from "./support.ts";

type Policy = ReturnType<typeof testPolicy>;

/** Runs both sides to the end; returns both outcomes (settled), the pair, and collected logs. */
async function login(policy: Policy, client: Omit<ClientAuthOptions, "user"> & { user?: string }, opts: {
  server?: ServerAuthOptions; extensions?: Record<string, string>; peerVersion?: string;
} = {}) {
  const pair = fakeConnPair();
  for (const [k, v] of Object.entries(opts.extensions ?? {})) {
    (pair.client.peerExtensions as Map<string, Uint8Array>).set(k, enc.encode(v));
  }
  if (opts.peerVersion) (pair.client as { peerVersion: string }).peerVersion = opts.peerVersion;
  const serverLog: [AuthLogLevel, string][] = [];
  const clientLog: [AuthLogLevel, string][] = [];
  const server = runServerAuth(pair.server, policy, {
    remoteAddress: "192.0.2.7", remotePort: 50022, log: (l, m) => serverLog.push([l, m]), ...opts.server,
  });
  const clientDone = runClientAuth(pair.client, { user: "fred", log: (l, m) => clientLog.push([l, m]), ...client });
  const [c] = await Promise.allSettled([clientDone]);
  // a front-end closes after a failed login; the server then sees the connection go
  if (c.status === "rejected" || !c.value.ok) pair.client.close();
  const [s] = await Promise.allSettled([server.done]);
  return { pair, server, s, c, serverLog, clientLog };
}

/** Hands both sides over to sinks that release, so the pool drains. */
function drain(r: Awaited<ReturnType<typeof login>>): void {
  const sink = (_p: Uint8Array, l: Lease) => l.release();
  if (r.s.status === "fulfilled") r.s.value.handOver(sink);
  if (r.c.status === "fulfilled" && r.c.value.ok) r.c.value.handOver(sink);
}

describe("client and server", () => {
  test("none is rejected, then publickey succeeds with a query (PK_OK) and a signature", async () => {
    const key = ed25519Key({ comment: "id_ed25519" });
    const policy = testPolicy({ users: { fred: { keys: [key.blob] } } });
    const r = await login(policy, { signers: [key.signer] });
    expect(r.c.status).toBe("fulfilled");
    expect(r.s.status).toBe("fulfilled");
    if (r.c.status !== "fulfilled" || r.s.status !== "fulfilled" || !r.c.value.ok) throw new Error("unreachable");
    expect(r.c.value.method).toBe("publickey");
    expect(sentTypes(r.pair.client)).toEqual([SSH_MSG_SERVICE_REQUEST, 50, 50, 50]);
    expect(sentTypes(r.pair.server)).toEqual([SSH_MSG_SERVICE_ACCEPT, SSH_MSG_USERAUTH_FAILURE, SSH_MSG_USERAUTH_PK_OK, SSH_MSG_USERAUTH_SUCCESS]);
    expect(failureOf(r.pair.server.sent[1]!)).toEqual({ methods: "publickey,password,keyboard-interactive", partial: false });
    // the query carries no signature and the final request does, both as plain "publickey" (no hostbound offer)
    const query = new Reader(r.pair.client.sent[2]!, 1);
    expect([query.string(), query.string(), query.string(), query.bool()]).toEqual(["fred", "ssh-connection", "publickey", false]);
    const signed = new Reader(r.pair.client.sent[3]!, 1);
    expect([signed.string(), signed.string(), signed.string(), signed.bool()]).toEqual(["fred", "ssh-connection", "publickey", true]);
    expect(policy.calls.map((c) => c.what)).toEqual(["startUser", "checkNone", "checkPublicKey", "checkPublicKey", "verifySignature"]);
    const res = r.s.value;
    expect(res.user).toBe("fred");
    expect(res.methods.map((m) => m.method)).toEqual(["publickey"]);
    expect(res.exposeAuthInfo).toBe(`publickey ssh-ed25519 ${Buffer.from(key.blob).toString("base64")}\n`);
    expect(r.serverLog).toContainEqual(["VERBOSE", "Failed none for fred from 192.0.2.7 port 50022 ssh2"]);
    expect(r.serverLog).toContainEqual(["INFO", "Accepted publickey for fred from 192.0.2.7 port 50022 ssh2: ssh-ed25519 test-key"]);
    expect(r.clientLog).toContainEqual(["DEBUG1", "Authentications that can continue: publickey,password,keyboard-interactive"]);
    expect(r.clientLog).toContainEqual(["DEBUG1", "Server accepts key: id_ed25519"]);
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("publickey-hostbound-v00@openssh.com is used when the server's EXT_INFO offers it; the signature covers the host key", async () => {
    const key = ed25519Key();
    const policy = testPolicy({ users: { fred: { keys: [key.blob] } } });
    const r = await login(policy, { signers: [key.signer] }, { extensions: { "publickey-hostbound@openssh.com": "0" } });
    expect(r.c.status === "fulfilled" && r.c.value.ok).toBe(true);
    const signed = new Reader(r.pair.client.sent[3]!, 1);
    expect([signed.string(), signed.string(), signed.string()]).toEqual(["fred", "ssh-connection", "publickey-hostbound-v00@openssh.com"]);
    // signed data = string session_id ‖ the request up to the signature, whose last field is the host key
    const data = policy.signedData[0]!;
    const d = new Reader(data);
    expect([...d.stringView()]).toEqual([...r.pair.server.sessionId]);
    expect(d.u8()).toBe(SSH_MSG_USERAUTH_REQUEST);
    expect([d.string(), d.string(), d.string(), d.bool(), d.string()]).toEqual(
      ["fred", "ssh-connection", "publickey-hostbound-v00@openssh.com", true, "ssh-ed25519"]);
    expect([...d.stringView()]).toEqual([...key.blob]);
    expect([...d.stringView()]).toEqual([...r.pair.server.serverHostKey]);
    d.expectEnd("signed data");
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("a value other than \"0\" for publickey-hostbound@openssh.com, or hostbound: false, keeps plain publickey", async () => {
    for (const [ext, hostbound] of [["1", true], ["0", false]] as const) {
      const key = ed25519Key();
      const policy = testPolicy({ users: { fred: { keys: [key.blob] } } });
      const r = await login(policy, { signers: [key.signer], hostbound }, { extensions: { "publickey-hostbound@openssh.com": ext } });
      expect(r.c.status === "fulfilled" && r.c.value.ok).toBe(true);
      const signed = new Reader(r.pair.client.sent[3]!, 1);
      expect([signed.string(), signed.string(), signed.string()]).toEqual(["fred", "ssh-connection", "publickey"]);
      drain(r);
      expect(r.pair.pool.outstanding).toBe(0);
    }
  });

  test("a wrong signature is rejected and the client ends with Permission denied", async () => {
    const other = ed25519Key();
    const key = ed25519Key({ signWith: other.privateKey });
    const policy = testPolicy({ users: { fred: { keys: [key.blob] } }, methods: ["publickey"] });
    const r = await login(policy, { signers: [key.signer] });
    expect(r.c.status).toBe("fulfilled");
    if (r.c.status !== "fulfilled" || r.c.value.ok) throw new Error("expected failure");
    expect(r.c.value.methods).toEqual(["publickey"]);
    expect(AUTH_WORDING.permissionDenied(r.c.value.methods)).toBe("Permission denied (publickey).");
    expect(AUTH_WORDING.permissionDeniedFor("fred", "example.org", ["publickey", "password"])).toBe(
      "fred@example.org: Permission denied (publickey,password).");
    expect(r.serverLog).toContainEqual(["VERBOSE", "Failed publickey for fred from 192.0.2.7 port 50022 ssh2: ssh-ed25519 test-key"]);
    expect(r.s.status === "rejected" && r.s.reason).toBeInstanceOf(ConnectionLostError);
    expect(r.pair.pool.outstanding).toBe(0);
  });
});
