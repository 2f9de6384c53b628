// The server driven by hand-written client messages: service request, user/service changes, strict decoding and
// bounds, ordering under a slow policy, malformed publickey requests, keyboard-interactive protocol errors.
import { describe, expect, test } from "bun:test";
import { runServerAuth, type ServerAuthPolicy } from "../../../core/auth/index.ts";
import { DisconnectReason, ProtocolError } from "../../../core/errors.ts";
import {
  SSH_MSG_CHANNEL_OPEN, SSH_MSG_SERVICE_REQUEST, SSH_MSG_USERAUTH_INFO_RESPONSE, SSH_MSG_USERAUTH_REQUEST, type Lease,
  type Writer,
} from "../../../core/wire/index.ts";
import { fakeConnPair } from "../../helpers/fake-conn.ts";
import { ed25519Key, failureOf, head, sendRaw, sentTypes, testPolicy, until } from "./support.ts";

/** A server auth run plus a raw client that has had its service request accepted. */
async function started(policy: ServerAuthPolicy, accept = true) {
  const pair = fakeConnPair();
  const auth = runServerAuth(pair.server, policy);
  const outcome = auth.done.then((r) => ({ ok: r }), (e: unknown) => ({ error: e as Error }));
  if (accept) {
    sendRaw(pair.client, SSH_MSG_SERVICE_REQUEST, (w) => w.string("ssh-userauth"));
    await until(() => pair.server.sent.length === 1);
  }
  return { ...pair, auth, outcome };
}

const request = (user: string, method: string, fields: (w: Writer) => void = () => {}, service = "ssh-connection") =>
  (w: Writer) => { head(w, user, method, service); fields(w); };

describe("service request", () => {
  test("ssh-userauth is accepted; anything else is refused with OpenSSH's text", async () => {
    const t = await started(testPolicy({ users: {} }));
    expect(t.server.sent[0]).toEqual(new Uint8Array([6, 0, 0, 0, 12, ...new TextEncoder().encode("ssh-userauth")]));
    const u = await started(testPolicy({ users: {} }), false);
    sendRaw(u.client, SSH_MSG_SERVICE_REQUEST, (w) => w.string("ssh-connection"));
    const o = await u.outcome;
    expect(u.server.closedWith).toEqual({ reason: DisconnectReason.SERVICE_NOT_AVAILABLE, description: "bad service request ssh-connection" });
    expect("error" in o && o.error).toBeInstanceOf(ProtocolError);
    t.client.close();
    await t.outcome;
    expect(t.pool.outstanding).toBe(0);
    expect(u.pool.outstanding).toBe(0);
  });

  test("a USERAUTH_REQUEST before the service request is a protocol error", async () => {
    const t = await started(testPolicy({ users: { fred: {} } }), false);
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "none"));
    await t.outcome;
    expect(t.server.closedWith?.reason).toBe(DisconnectReason.PROTOCOL_ERROR);
    expect(t.pool.outstanding).toBe(0);
  });
});

describe("requests", () => {
  test("a change of user name is refused as OpenSSH does", async () => {
    const t = await started(testPolicy({ users: { fred: {}, root: {} } }));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "none"));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("root", "none"));
    await t.outcome;
    expect(t.server.closedWith).toEqual({
      reason: DisconnectReason.PROTOCOL_ERROR,
      description: "Change of username or service not allowed: (fred,ssh-connection) -> (root,ssh-connection)",
    });
    expect(t.pool.outstanding).toBe(0);
  });

  test("a change of service is refused too; a style suffix is not a change", async () => {
    const t = await started(testPolicy({ users: { fred: {} } }));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred:pam", "none"));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred:skey", "none"));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "none", undefined, "ssh-other"));
    await t.outcome;
    expect(sentTypes(t.server)).toEqual([6, 51, 51]);
    expect(t.server.closedWith?.description).toBe(
      "Change of username or service not allowed: (fred,ssh-connection) -> (fred,ssh-other)");
    expect(t.auth.user).toBe("fred");
    expect(t.pool.outstanding).toBe(0);
  });

  test("an unknown method gets a failure listing what can continue", async () => {
    const t = await started(testPolicy({ users: { fred: {} }, methods: ["password"] }));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "hostbased", (w) => w.string("anything").u32(7)));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "publickey", (w) => w.bool(false).string("ssh-ed25519").string(ed25519Key().blob)));
    await until(() => t.server.sent.length === 3);
    expect(t.server.sent.slice(1).map(failureOf)).toEqual([{ methods: "password", partial: false }, { methods: "password", partial: false }]);
    expect(t.auth.failures).toBe(2);
    t.client.close();
    await t.outcome;
    expect(t.pool.outstanding).toBe(0);
  });

  test("a slow policy reorders nothing: pipelined requests are answered in order, one policy call at a time", async () => {
    const key = ed25519Key();
    // the first calls are the slowest
    const policy = testPolicy({ users: { fred: { keys: [key.blob], password: "pw" } }, delayMs: (n) => [40, 30, 20, 10, 0][n] ?? 0 });
    const t = await started(policy);
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "password", (w) => w.bool(false).string("wrong")));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "publickey", (w) => w.bool(false).string("ssh-ed25519").string(key.blob)));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "password", (w) => w.bool(false).string("wrong2")));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "password", (w) => w.bool(false).string("pw")));
    const o = await t.outcome;
    expect("ok" in o).toBe(true);
    expect(sentTypes(t.server)).toEqual([6, 51, 60, 51, 52]);
    expect(policy.calls.map((c) => `${c.what} ${c.detail}`)).toEqual([
      "startUser fred", "checkPassword wrong", "checkPublicKey ssh-ed25519 sig=false", "checkPassword wrong2", "checkPassword pw",
    ]);
    // strictly sequential: each call ends before the next starts
    for (let i = 1; i < policy.calls.length; i++) expect(policy.calls[i]!.start).toBeGreaterThan(policy.calls[i - 1]!.end);
    if ("ok" in o) o.ok.handOver((_p, l) => l.release());
    expect(t.pool.outstanding).toBe(0);
  });

  test("userauth messages pipelined behind the successful request are dropped; others wait for the next layer", async () => {
    const t = await started(testPolicy({ users: { fred: { none: true } }, delayMs: (n) => (n === 1 ? 20 : 0) }));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "none"));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "password", (w) => w.bool(false).string("x")));
    sendRaw(t.client, SSH_MSG_CHANNEL_OPEN, (w) => w.string("session"));
    const o = await t.outcome;
    if (!("ok" in o)) throw o.error;
    const got: number[] = [];
    await until(() => t.pool.outstanding === 1);
    o.ok.handOver((p: Uint8Array, l: Lease) => { got.push(p[0]!); l.release(); });
    expect(got).toEqual([SSH_MSG_CHANNEL_OPEN]);
    expect(sentTypes(t.server)).toEqual([6, 52]);
    expect(t.pool.outstanding).toBe(0);
  });

  test("a user name over 256 bytes, a NUL in it, or a bad method name is a protocol error", async () => {
    for (const [user, method] of [["x".repeat(257), "none"], ["fr\0ed", "none"], ["fred", "pass word"], ["fred", "m".repeat(65)]]) {
      const t = await started(testPolicy({ users: { fred: {} } }));
      sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request(user!, method!));
      const o = await t.outcome;
      expect("error" in o && o.error).toBeInstanceOf(ProtocolError);
      expect(t.server.closedWith?.reason).toBe(DisconnectReason.PROTOCOL_ERROR);
      expect(t.pool.outstanding).toBe(0);
    }
  });

  test("trailing bytes after a known method's fields are a protocol error", async () => {
    const t = await started(testPolicy({ users: { fred: {} } }));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "password", (w) => w.bool(false).string("pw").u8(0)));
    const o = await t.outcome;
    expect("error" in o && o.error.message).toBe("USERAUTH_REQUEST: trailing data");
    expect(t.pool.outstanding).toBe(0);
  });

  test("a flood of messages queued behind a slow policy is cut off", async () => {
    const t = await started(testPolicy({ users: { fred: {} }, delayMs: () => 50 }));
    for (let i = 0; i < 80; i++) sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "none"));
    const o = await t.outcome;
    expect("error" in o && o.error.message).toBe("too many messages queued during authentication");
    expect(t.pool.outstanding).toBe(0);
  });

  test("a policy that throws ends the connection with PROTOCOL_ERROR, not a crash", async () => {
    const policy = testPolicy({ users: { fred: {} } });
    policy.checkPassword = async () => { throw new Error("worker died"); };
    const t = await started(policy);
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "password", (w) => w.bool(false).string("pw")));
    const o = await t.outcome;
    expect("error" in o && o.error.message).toBe("worker died");
    expect(t.server.closedWith).toEqual({ reason: DisconnectReason.PROTOCOL_ERROR, description: "internal error" });
    expect(t.pool.outstanding).toBe(0);
  });

  test("none succeeds when the policy says the account needs nothing", async () => {
    const t = await started(testPolicy({ users: { fred: { none: true } } }));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "none"));
    const o = await t.outcome;
    if (!("ok" in o)) throw o.error;
    expect(o.ok.methods).toEqual([{ method: "none" }]);
    o.ok.handOver((_p, l) => l.release());
    expect(t.pool.outstanding).toBe(0);
  });

  test("AuthenticationMethods naming only disabled methods: no authentication methods enabled", async () => {
    const t = await started(testPolicy({ users: { fred: {} }, methods: ["password"], authenticationMethods: ["publickey,password"] }));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "none"));
    await t.outcome;
    expect(t.server.closedWith?.description).toBe("no authentication methods enabled");
    expect(t.pool.outstanding).toBe(0);
  });
});

describe("publickey", () => {
  test("a hostbound request with another host key is a protocol error", async () => {
    const key = ed25519Key();
    const t = await started(testPolicy({ users: { fred: { keys: [key.blob] } } }));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "publickey-hostbound-v00@openssh.com", (w) =>
      w.bool(false).string("ssh-ed25519").string(key.blob).string(key.blob)));
    await t.outcome;
    expect(t.server.closedWith?.description).toBe("publickey-hostbound-v00@openssh.com packet contained wrong host key");
    expect(t.pool.outstanding).toBe(0);
  });

  test("algorithm and blob must agree; rsa-sha2-512 with an ed25519 blob or garbage blobs fail without PK_OK", async () => {
    const key = ed25519Key();
    const policy = testPolicy({ users: { fred: { keys: [key.blob] } } });
    const t = await started(policy);
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "publickey", (w) => w.bool(false).string("rsa-sha2-512").string(key.blob)));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "publickey", (w) => w.bool(false).string("ssh-ed25519").string(new Uint8Array([0, 0, 0]))));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "publickey", (w) => w.bool(false).string("ssh-ed25519").string(key.blob)));
    await until(() => t.server.sent.length === 4);
    expect(sentTypes(t.server)).toEqual([6, 51, 51, 60]);
    expect(policy.calls.filter((c) => c.what === "checkPublicKey")).toHaveLength(1);
    t.client.close();
    await t.outcome;
    expect(t.pool.outstanding).toBe(0);
  });

  test("a signature blob of another type than the algorithm names is refused before verification", async () => {
    const key = ed25519Key();
    const policy = testPolicy({ users: { fred: { keys: [key.blob] } } });
    const t = await started(policy);
    const sig = await key.signer.sign(new Uint8Array(1), "ssh-ed25519");
    sig[7] = 0x78; // "ssh-ed25519" → "ssh-xd25519"
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "publickey", (w) => w.bool(true).string("ssh-ed25519").string(key.blob).string(sig)));
    await until(() => t.server.sent.length === 2);
    expect(sentTypes(t.server)).toEqual([6, 51]);
    expect(policy.calls.some((c) => c.what === "verifySignature")).toBe(false);
    t.client.close();
    await t.outcome;
    expect(t.pool.outstanding).toBe(0);
  });
});

describe("keyboard-interactive protocol", () => {
  const kbdUser = { fred: { kbd: [{ prompts: [{ prompt: "A: ", echo: true, answer: "a" }, { prompt: "B: ", echo: false, answer: "b" }] }] } };

  test("INFO_RESPONSE without a dialog is a protocol error", async () => {
    const t = await started(testPolicy({ users: kbdUser }));
    sendRaw(t.client, SSH_MSG_USERAUTH_INFO_RESPONSE, (w) => w.u32(0));
    await t.outcome;
    expect(t.server.closedWith?.reason).toBe(DisconnectReason.PROTOCOL_ERROR);
    expect(t.pool.outstanding).toBe(0);
  });

  test("the wrong number of replies is a protocol error (auth2-chall.c)", async () => {
    const policy = testPolicy({ users: kbdUser });
    const t = await started(policy);
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "keyboard-interactive", (w) => w.string("").string("")));
    await until(() => t.server.sent.length === 2);
    sendRaw(t.client, SSH_MSG_USERAUTH_INFO_RESPONSE, (w) => w.u32(1).string("a"));
    await t.outcome;
    expect(t.server.closedWith?.description).toBe("wrong number of replies");
    expect(policy.aborted).toBe(1);
    expect(t.pool.outstanding).toBe(0);
  });

  test("right answers succeed; answers are wiped after the policy saw them", async () => {
    const kept: Uint8Array[] = [];
    const policy = testPolicy({ users: kbdUser });
    const start = policy.startKeyboardInteractive!.bind(policy);
    policy.startKeyboardInteractive = async (who, sub) => {
      const d = (await start(who, sub))!;
      return { ...d, step: async (r) => { if (r) kept.push(...r); return d.step(r); } };
    };
    const t = await started(policy);
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "keyboard-interactive", (w) => w.string("").string("pam")));
    await until(() => t.server.sent.length === 2);
    sendRaw(t.client, SSH_MSG_USERAUTH_INFO_RESPONSE, (w) => w.u32(2).string("a").string("b"));
    const o = await t.outcome;
    if (!("ok" in o)) throw o.error;
    expect(kept.map((k) => [...k])).toEqual([[0], [0]]);
    expect(policy.calls.find((c) => c.what === "startKeyboardInteractive")?.detail).toBe("pam");
    o.ok.handOver((_p, l) => l.release());
    expect(t.pool.outstanding).toBe(0);
  });
});

describe("timing and hand-over edges", () => {
  test("failureDelay runs after failed attempts (not the free none, not successes), with the user name", async () => {
    const delays: string[] = [];
    const pair = fakeConnPair();
    let clock = 0;
    const auth = runServerAuth(pair.server, testPolicy({ users: { fred: { password: "pw" } } }), {
      now: () => (clock += 5),
      failureDelay: async (user, elapsed) => { delays.push(`${user} ${elapsed}`); },
    });
    sendRaw(pair.client, SSH_MSG_SERVICE_REQUEST, (w) => w.string("ssh-userauth"));
    sendRaw(pair.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "none"));
    sendRaw(pair.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "password", (w) => w.bool(false).string("no")));
    sendRaw(pair.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "password", (w) => w.bool(false).string("pw")));
    const r = await auth.done;
    expect(delays).toEqual(["fred 5"]);
    r.handOver((_p, l) => l.release());
    expect(pair.pool.outstanding).toBe(0);
  });

  test("after success, userauth requests arriving before the hand-over are dropped, others kept", async () => {
    const t = await started(testPolicy({ users: { fred: { none: true } } }));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "none"));
    const o = await t.outcome;
    if (!("ok" in o)) throw o.error;
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "none"));
    sendRaw(t.client, SSH_MSG_CHANNEL_OPEN, (w) => w.string("session"));
    await until(() => t.pool.outstanding === 1);
    const got: number[] = [];
    o.ok.handOver((p, l) => { got.push(p[0]!); l.release(); });
    expect(got).toEqual([SSH_MSG_CHANNEL_OPEN]);
    expect(t.pool.outstanding).toBe(0);
  });

  test("a next-layer handler that throws on a held message: the error surfaces, the rest is released", async () => {
    const t = await started(testPolicy({ users: { fred: { none: true } } }));
    sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "none"));
    const o = await t.outcome;
    if (!("ok" in o)) throw o.error;
    for (let i = 0; i < 3; i++) sendRaw(t.client, SSH_MSG_CHANNEL_OPEN, (w) => w.string("session"));
    await until(() => t.pool.outstanding === 3);
    expect(() => o.ok.handOver((_p, l) => { l.release(); throw new Error("bug in the next layer"); })).toThrow("bug in the next layer");
    expect(t.pool.outstanding).toBe(0);
  });
});

test("passwords handed to the policy are wiped once it has answered", async () => {
  const seen: Uint8Array[] = [];
  const policy = testPolicy({ users: { fred: { password: "pw" } } });
  const check = policy.checkPassword!.bind(policy);
  policy.checkPassword = async (who, pw) => { seen.push(pw); return check(who, pw); };
  const t = await started(policy);
  sendRaw(t.client, SSH_MSG_USERAUTH_REQUEST, request("fred", "password", (w) => w.bool(false).string("guess")));
  await until(() => t.server.sent.length === 2);
  expect(seen.map((b) => [...b])).toEqual([[0, 0, 0, 0, 0]]);
  t.client.close();
  await t.outcome;
  expect(t.pool.outstanding).toBe(0);
});
