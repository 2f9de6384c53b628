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
    expect(r.serverLog).toContainEqual(["VERBOSE", "Postponed publickey for fred from 192.0.2.7 port 50022 ssh2"]);
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

describe("password", () => {
  test("the right password logs in", async () => {
    const policy = testPolicy({ users: { fred: { password: "s3cret" } } });
    const asked: number[] = [];
    const r = await login(policy, { password: async (n) => (asked.push(n), "s3cret") });
    expect(r.c.status === "fulfilled" && r.c.value.ok && r.c.value.method).toBe("password");
    expect(asked).toEqual([1]);
    expect(r.serverLog).toContainEqual(["INFO", "Accepted password for fred from 192.0.2.7 port 50022 ssh2"]);
    if (r.s.status === "fulfilled") expect(r.s.value.exposeAuthInfo).toBe("password\n");
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("wrong passwords: NumberOfPasswordPrompts attempts, then failure with the server's list", async () => {
    const policy = testPolicy({ users: { fred: { password: "s3cret" } }, methods: ["publickey", "password"] });
    const asked: number[] = [];
    const r = await login(policy, { password: async (n) => (asked.push(n), "guess" + n) });
    expect(asked).toEqual([1, 2, 3]);
    expect(r.c.status === "fulfilled" && !r.c.value.ok && r.c.value.methods).toEqual(["publickey", "password"]);
    expect(r.clientLog.filter(([, m]) => m === "Permission denied, please try again.")).toHaveLength(2);
    expect(r.serverLog).toContainEqual(["INFO", "Failed password for fred from 192.0.2.7 port 50022 ssh2"]);
    expect(policy.calls.filter((c) => c.what === "checkPassword").map((c) => c.detail)).toEqual(["guess1", "guess2", "guess3"]);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("null from the prompt gives up the method", async () => {
    const policy = testPolicy({ users: { fred: { password: "s3cret" } } });
    const r = await login(policy, { password: async () => null });
    expect(r.c.status === "fulfilled" && r.c.value.ok).toBe(false);
    expect(policy.calls.some((c) => c.what === "checkPassword")).toBe(false);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("an expired password: PASSWD_CHANGEREQ, a refused new password, then an accepted one", async () => {
    const policy = testPolicy({
      users: { fred: { password: "old", expired: { prompt: "Your password has expired.", newPassword: "n3w-Strong" } } },
    });
    const prompts: string[] = [];
    const answers = ["weak", "n3w-Strong"];
    const r = await login(policy, {
      password: async () => "old",
      passwordChange: async (prompt) => (prompts.push(prompt), { oldPassword: "old", newPassword: answers.shift()! }),
    });
    expect(r.c.status === "fulfilled" && r.c.value.ok && r.c.value.method).toBe("password");
    expect(prompts).toEqual(["Your password has expired.", "weak password, try again"]);
    expect(policy.calls.filter((c) => c.what !== "startUser" && c.what !== "checkNone").map((c) => `${c.what} ${c.detail}`)).toEqual([
      "checkPassword old", "changePassword old->weak", "changePassword old->n3w-Strong",
    ]);
    expect(sentTypes(r.pair.server)).toEqual([6, 51, 60, 60, 52]);
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("a change request refused by the client moves on to the next method", async () => {
    const policy = testPolicy({ users: { fred: { password: "old", expired: { prompt: "expired", newPassword: "x" } } } });
    const r = await login(policy, { password: async () => "old", passwordChange: async () => null });
    expect(r.c.status === "fulfilled" && r.c.value.ok).toBe(false);
    expect(r.pair.pool.outstanding).toBe(0);
  });
});

describe("keyboard-interactive", () => {
  test("two rounds with name, instruction and echo flags", async () => {
    const policy = testPolicy({
      users: {
        fred: {
          kbd: [
            { name: "Login", instruction: "Answer both", prompts: [
              { prompt: "Password: ", echo: false, answer: "pw" }, { prompt: "Favourite colour: ", echo: true, answer: "blue" }] },
            { prompts: [{ prompt: "Verification code: ", echo: false, answer: "123456" }] },
          ],
        },
      },
    });
    const seen: string[] = [];
    const r = await login(policy, {
      keyboardInteractive: async (req) => {
        seen.push(`${req.name}|${req.instruction}|${req.prompts.map((p) => `${p.prompt}${p.echo ? "+echo" : ""}`).join(";")}`);
        return req.prompts.map((p) => (p.prompt.startsWith("Password") ? "pw" : p.prompt.startsWith("Fav") ? "blue" : "123456"));
      },
    });
    expect(r.c.status === "fulfilled" && r.c.value.ok && r.c.value.method).toBe("keyboard-interactive");
    expect(seen).toEqual(["Login|Answer both|Password: ;Favourite colour: +echo", "||Verification code: "]);
    expect(r.serverLog).toContainEqual(["INFO", "Accepted keyboard-interactive/pam for fred from 192.0.2.7 port 50022 ssh2"]);
    if (r.s.status === "fulfilled") expect(r.s.value.exposeAuthInfo).toBe("keyboard-interactive/pam\n");
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("a wrong answer fails; a null answer abandons the dialog for password", async () => {
    const policy = testPolicy({
      users: { fred: { password: "pw", kbd: [{ prompts: [{ prompt: "Code: ", echo: false, answer: "1" }] }] } },
    });
    let rounds = 0;
    const r = await login(policy, {
      keyboardInteractive: async () => (++rounds === 1 ? ["0"] : null),
      password: async () => "pw",
    });
    expect(rounds).toBe(2);
    expect(r.c.status === "fulfilled" && r.c.value.ok && r.c.value.method).toBe("password");
    expect(policy.aborted).toBe(1); // the open dialog ended when the password request arrived
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });
});

describe("partial success, banner, limits", () => {
  test("AuthenticationMethods publickey,password: partial success after the key, then the password", async () => {
    const key = ed25519Key();
    const policy = testPolicy({
      users: { fred: { keys: [key.blob], password: "pw" } },
      authenticationMethods: ["publickey,password", "publickey,keyboard-interactive"],
    });
    const r = await login(policy, { signers: [key.signer], password: async () => "pw" });
    expect(r.c.status === "fulfilled" && r.c.value.ok && r.c.value.method).toBe("password");
    const failures = r.pair.server.sent.filter((m) => m[0] === SSH_MSG_USERAUTH_FAILURE).map(failureOf);
    expect(failures).toEqual([
      { methods: "publickey", partial: false },
      { methods: "password,keyboard-interactive", partial: true },
    ]);
    expect(r.clientLog).toContainEqual(["VERBOSE", 'Authenticated using "publickey" with partial success.']);
    expect(r.serverLog).toContainEqual(["VERBOSE", "Partial publickey for fred from 192.0.2.7 port 50022 ssh2: ssh-ed25519 test-key"]);
    if (r.s.status !== "fulfilled") throw r.s.reason;
    expect(r.s.value.methods.map((m) => m.method)).toEqual(["publickey", "password"]);
    expect(r.s.value.exposeAuthInfo.split("\n")).toEqual([`publickey ssh-ed25519 ${Buffer.from(key.blob).toString("base64")}`, "password", ""]);
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("AuthenticationMethods publickey,publickey needs two different keys", async () => {
    const a = ed25519Key();
    const b = ed25519Key();
    const policy = testPolicy({ users: { fred: { keys: [a.blob, b.blob] } }, authenticationMethods: ["publickey,publickey"] });
    const r = await login(policy, { signers: [a.signer, b.signer] });
    expect(r.c.status === "fulfilled" && r.c.value.ok).toBe(true);
    if (r.s.status !== "fulfilled") throw r.s.reason;
    expect(r.s.value.methods.map((m) => m.keyBlob && Buffer.from(m.keyBlob).toString("hex"))).toEqual(
      [Buffer.from(a.blob).toString("hex"), Buffer.from(b.blob).toString("hex")]);
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
    // with one key only: after the partial success the client offers it again (pubkey_reset) and the server refuses it
    const policy1 = testPolicy({ users: { fred: { keys: [a.blob, b.blob] } }, authenticationMethods: ["publickey,publickey"] });
    const r1 = await login(policy1, { signers: [a.signer] });
    expect(r1.c.status === "fulfilled" && !r1.c.value.ok && r1.c.value.methods).toEqual(["publickey"]);
    expect(r1.serverLog).toContainEqual(["VERBOSE", "refusing previously-used ED25519 key"]);
    expect(r1.pair.pool.outstanding).toBe(0);
  });

  test("the banner is delivered once, before the first reply", async () => {
    const policy = testPolicy({ users: { fred: { password: "pw" } }, banner: "Authorized use only.\n" });
    const banners: string[] = [];
    const r = await login(policy, {
      onBanner: (m) => banners.push(m),
      password: async (n) => (n < 3 ? "wrong" : "pw"),
    });
    expect(r.c.status === "fulfilled" && r.c.value.ok).toBe(true);
    expect(banners).toEqual(["Authorized use only.\n"]);
    expect(sentTypes(r.pair.server).slice(0, 3)).toEqual([SSH_MSG_SERVICE_ACCEPT, SSH_MSG_USERAUTH_BANNER, SSH_MSG_USERAUTH_FAILURE]);
    expect(sentTypes(r.pair.server).filter((t) => t === SSH_MSG_USERAUTH_BANNER)).toHaveLength(1);
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("MaxAuthTries: the server disconnects with OpenSSH's text and logs the error line", async () => {
    const keys = Array.from({ length: 5 }, () => ed25519Key());
    const policy = testPolicy({ users: { root: {} }, maxAuthTries: 3 });
    const r = await login(policy, { user: "root", signers: keys.map((k) => k.signer), password: async () => "x" });
    expect(r.pair.server.closedWith).toEqual({ reason: 2, description: "Too many authentication failures" });
    expect(r.s.status === "rejected" && r.s.reason).toBeInstanceOf(ProtocolError);
    expect(r.c.status === "rejected" && r.c.reason).toBeInstanceOf(ConnectionLostError);
    // none is free; three queried keys fail; the third failure disconnects instead of replying
    expect(sentTypes(r.pair.server)).toEqual([6, 51, 51, 51]);
    expect(r.serverLog).toContainEqual(["ERROR", "maximum authentication attempts exceeded for root from 192.0.2.7 port 50022 ssh2"]);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("an invalid user fails every method the same way, and is logged as such", async () => {
    const key = ed25519Key();
    const policy = testPolicy({ users: {} });
    const r = await login(policy, { user: "admin", signers: [key.signer], password: async () => "admin" });
    expect(r.c.status === "fulfilled" && !r.c.value.ok && r.c.value.methods).toEqual(["publickey", "password", "keyboard-interactive"]);
    expect(r.serverLog).toContainEqual(["INFO", "Invalid user admin from 192.0.2.7 port 50022"]);
    expect(r.serverLog).toContainEqual(["INFO", "Failed none for invalid user admin from 192.0.2.7 port 50022 ssh2"]);
    expect(r.serverLog).toContainEqual(["INFO", "Failed password for invalid user admin from 192.0.2.7 port 50022 ssh2"]);
    expect(policy.calls.some((c) => c.what === "checkPublicKey")).toBe(false);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("PreferredAuthentications order is kept, intersected with what the server offers", async () => {
    const key = ed25519Key();
    const policy = testPolicy({ users: { fred: { keys: [key.blob], password: "pw" } }, methods: ["publickey", "password"] });
    const r = await login(policy, {
      preferredAuthentications: ["keyboard-interactive", "password", "publickey"],
      signers: [key.signer], password: async () => "pw", keyboardInteractive: async () => [],
    });
    expect(r.c.status === "fulfilled" && r.c.value.ok && r.c.value.method).toBe("password");
    expect(r.clientLog.filter(([, m]) => m.startsWith("Next authentication method"))).toEqual([
      ["DEBUG1", "Next authentication method: password"],
    ]);
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });
});

describe("RSA keys and server-sig-algs", () => {
  const key = rsaKey();
  test.each([
    ["ssh-ed25519,rsa-sha2-256,rsa-sha2-512", "rsa-sha2-512"],
    ["ssh-ed25519,rsa-sha2-256", "rsa-sha2-256"],
  ])("server-sig-algs %s: the client signs with %s and the server accepts it with the ssh-rsa blob", async (algs, expected) => {
    const policy = testPolicy({ users: { fred: { keys: [key.blob] } } });
    const r = await login(policy, { signers: [key.signer] }, { extensions: { "server-sig-algs": algs } });
    expect(r.c.status === "fulfilled" && r.c.value.ok).toBe(true);
    const signed = new Reader(r.pair.client.sent[3]!, 1);
    signed.string(); signed.string(); signed.string(); signed.bool();
    expect(signed.string()).toBe(expected);
    expect(policy.calls.filter((c) => c.what === "verifySignature").map((c) => c.detail)).toEqual([expected]);
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("without server-sig-algs an RSA key is skipped (ssh-rsa is not in the default PubkeyAcceptedAlgorithms)", async () => {
    const policy = testPolicy({ users: { fred: { keys: [key.blob] } }, methods: ["publickey"] });
    const r = await login(policy, { signers: [key.signer] });
    expect(r.c.status === "fulfilled" && r.c.value.ok).toBe(false);
    expect(sentTypes(r.pair.client)).toEqual([SSH_MSG_SERVICE_REQUEST, SSH_MSG_USERAUTH_REQUEST]);
    expect(r.pair.pool.outstanding).toBe(0);
  });

  test("OpenSSH 7.4 gets rsa-sha2-512 although it sends no server-sig-algs", async () => {
    const policy = testPolicy({ users: { fred: { keys: [key.blob] } } });
    const r = await login(policy, { signers: [key.signer] }, { peerVersion: "SSH-2.0-OpenSSH_7.4" });
    expect(r.c.status === "fulfilled" && r.c.value.ok).toBe(true);
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });
});

describe("signers", () => {
  test("queryFirst: false signs at once; a signer that throws is skipped for the next key", async () => {
    const broken = ed25519Key({ queryFirst: false });
    const failing = { ...broken.signer, sign: async () => { throw new Error("agent refused operation"); } };
    const key = ed25519Key({ queryFirst: false });
    const policy = testPolicy({ users: { fred: { keys: [key.blob] } } });
    const r = await login(policy, { signers: [failing, key.signer] });
    expect(r.c.status === "fulfilled" && r.c.value.ok).toBe(true);
    expect(sentTypes(r.pair.server)).toEqual([6, 51, 52]); // no PK_OK round trip
    expect(r.clientLog.some(([l, m]) => l === "ERROR" && m.includes("agent refused operation"))).toBe(true);
    drain(r);
    expect(r.pair.pool.outstanding).toBe(0);
  });
});

describe("hand-over", () => {
  test("messages right behind USERAUTH_SUCCESS wait for the next layer, in order", async () => {
    const pair = fakeConnPair();
    const policy = testPolicy({ users: { fred: { password: "pw" } } });
    const server = runServerAuth(pair.server, policy);
    const clientDone = runClientAuth(pair.client, { user: "fred", password: async () => "pw" });
    const s = await server.done;
    // the server's connection layer speaks at once: these reach the client before its auth promise settles
    for (const n of [1, 2, 3]) { const w = pair.server.begin(SSH_MSG_GLOBAL_REQUEST); w.u32(n); pair.server.commit(w); }
    s.handOver((_p, l) => l.release());
    const c = await clientDone;
    if (!c.ok) throw new Error("login failed");
    await until(() => pair.pool.outstanding === 3); // held by the client's auth layer
    const got: number[] = [];
    c.handOver((p, l) => { got.push(new Reader(p, 1).u32()); l.release(); });
    expect(got).toEqual([1, 2, 3]);
    const w = pair.server.begin(SSH_MSG_GLOBAL_REQUEST); w.u32(4); pair.server.commit(w);
    await until(() => got.length === 4);
    expect(got).toEqual([1, 2, 3, 4]);
    expect(() => c.handOver((_p, l) => l.release())).toThrow();
    expect(pair.pool.outstanding).toBe(0);
  });

  test("a close before hand-over releases held messages and reaches the next layer's onClose", async () => {
    const pair = fakeConnPair();
    const policy = testPolicy({ users: { fred: { none: true } } });
    const server = runServerAuth(pair.server, policy);
    const clientDone = runClientAuth(pair.client, { user: "fred" });
    const s = await server.done;
    const w = pair.server.begin(SSH_MSG_GLOBAL_REQUEST); pair.server.commit(w);
    const c = await clientDone;
    expect(c.ok && c.method).toBe("none");
    await until(() => pair.pool.outstanding === 1); // the global request is held by the client
    pair.client.close();
    expect(pair.pool.outstanding).toBe(0);
    let closed = 0;
    if (c.ok) c.handOver((_p, l) => l.release(), () => closed++);
    expect(closed).toBe(1);
    s.handOver((_p, l) => l.release());
    expect(pair.pool.outstanding).toBe(0);
  });
});
