// The client driven by a hand-written server: unexpected messages, PK_OK for a key it never offered, empty method
// lists, banners at any time, strict decoding of server replies.
import { describe, expect, test } from "bun:test";
import { runClientAuth, type ClientAuthOptions, type ClientAuthResult } from "../../../core/auth/index.ts";
import { DisconnectReason, ProtocolError } from "../../../core/errors.ts";
import {
  Reader, SSH_MSG_GLOBAL_REQUEST, SSH_MSG_SERVICE_ACCEPT, SSH_MSG_USERAUTH_BANNER, SSH_MSG_USERAUTH_FAILURE,
  SSH_MSG_USERAUTH_INFO_REQUEST, SSH_MSG_USERAUTH_PK_OK, SSH_MSG_USERAUTH_SUCCESS, type Writer,
} from "../../../core/wire/index.ts";
import { fakeConnPair } from "../../helpers/fake-conn.ts";
import { ed25519Key, sendRaw, until } from "./support.ts";

async function started(options: Partial<ClientAuthOptions> = {}) {
  const pair = fakeConnPair();
  const done = runClientAuth(pair.client, { user: "fred", ...options });
  const outcome: Promise<{ ok: ClientAuthResult } | { error: Error }> = done.then((r) => ({ ok: r }), (e: unknown) => ({ error: e as Error }));
  await until(() => pair.client.sent.length === 1); // SERVICE_REQUEST
  return { ...pair, outcome };
}

/** Fields of the n-th request the client sent (after the message number). */
function requestFields(sent: Uint8Array[], n: number): Reader {
  return new Reader(sent[n]!, 1);
}

const accept = (w: Writer) => w.string("ssh-userauth");
const failure = (methods: string, partial = false) => (w: Writer) => w.string(methods).bool(partial);

describe("client protocol", () => {
  test("service request, then none; a SERVICE_ACCEPT without a name is tolerated", async () => {
    const t = await started();
    expect(new Reader(t.client.sent[0]!, 1).string()).toBe("ssh-userauth");
    sendRaw(t.server, SSH_MSG_SERVICE_ACCEPT);
    await until(() => t.client.sent.length === 2);
    const r = requestFields(t.client.sent, 1);
    expect([r.string(), r.string(), r.string(), r.remaining]).toEqual(["fred", "ssh-connection", "none", 0]);
    sendRaw(t.server, SSH_MSG_USERAUTH_SUCCESS);
    const o = await t.outcome;
    expect("ok" in o && o.ok.ok && o.ok.method).toBe("none");
    if ("ok" in o && o.ok.ok) o.ok.handOver((_p, l) => l.release());
    expect(t.pool.outstanding).toBe(0);
  });

  test.each([
    ["a message other than SERVICE_ACCEPT first", [[SSH_MSG_USERAUTH_SUCCESS, () => {}]]],
    ["a global request during authentication", [[SSH_MSG_SERVICE_ACCEPT, accept], [SSH_MSG_GLOBAL_REQUEST, (w: Writer) => w.string("x").bool(false)]]],
    ["message 60 after a none request", [[SSH_MSG_SERVICE_ACCEPT, accept], [SSH_MSG_USERAUTH_PK_OK, (w: Writer) => w.string("ssh-ed25519").string("k")]]],
    ["USERAUTH_SUCCESS with trailing bytes", [[SSH_MSG_SERVICE_ACCEPT, accept], [SSH_MSG_USERAUTH_SUCCESS, (w: Writer) => w.u8(0)]]],
    ["a FAILURE with an invalid method name", [[SSH_MSG_SERVICE_ACCEPT, accept], [SSH_MSG_USERAUTH_FAILURE, failure("publickey,,password")]]],
    ["a FAILURE without its boolean", [[SSH_MSG_SERVICE_ACCEPT, accept], [SSH_MSG_USERAUTH_FAILURE, (w: Writer) => w.string("password")]]],
  ] as [string, [number, (w: Writer) => void][]][])("%s is a protocol error", async (_name, msgs) => {
    const t = await started({ password: async () => "pw" });
    for (const [type, build] of msgs) sendRaw(t.server, type, build);
    const o = await t.outcome;
    expect("error" in o && o.error).toBeInstanceOf(ProtocolError);
    expect(t.client.closedWith?.reason).toBe(DisconnectReason.PROTOCOL_ERROR);
    expect(t.pool.outstanding).toBe(0);
  });

  test("PK_OK for a key the client never offered is a protocol error (sshconnect2.c)", async () => {
    const key = ed25519Key();
    const t = await started({ signers: [key.signer] });
    sendRaw(t.server, SSH_MSG_SERVICE_ACCEPT, accept);
    sendRaw(t.server, SSH_MSG_USERAUTH_FAILURE, failure("publickey"));
    await until(() => t.client.sent.length === 3);
    sendRaw(t.server, SSH_MSG_USERAUTH_PK_OK, (w) => w.string("ssh-ed25519").string(ed25519Key().blob));
    const o = await t.outcome;
    expect("error" in o && o.error.message).toBe("input_userauth_pk_ok: server replied with unknown key");
    expect(t.pool.outstanding).toBe(0);
  });

  test("an empty method list means: try the preferred methods", async () => {
    const t = await started({ password: async () => "pw" });
    sendRaw(t.server, SSH_MSG_SERVICE_ACCEPT, accept);
    sendRaw(t.server, SSH_MSG_USERAUTH_FAILURE, failure(""));
    await until(() => t.client.sent.length === 3);
    const r = requestFields(t.client.sent, 2);
    expect([r.string(), r.string(), r.string()]).toEqual(["fred", "ssh-connection", "password"]);
    sendRaw(t.server, SSH_MSG_USERAUTH_FAILURE, failure("hostbased"));
    const o = await t.outcome;
    expect("ok" in o && !o.ok.ok && o.ok.methods).toEqual(["hostbased"]);
    expect(t.pool.outstanding).toBe(0);
  });

  test("banners are passed on as sent (empty ones are not), at any time before success", async () => {
    const banners: string[] = [];
    const t = await started({ onBanner: (m, lang) => banners.push(`${m}|${lang}`), password: async () => "pw" });
    sendRaw(t.server, SSH_MSG_SERVICE_ACCEPT, accept);
    sendRaw(t.server, SSH_MSG_USERAUTH_BANNER, (w) => w.string("Hello \x1b[31m\n").string("en"));
    sendRaw(t.server, SSH_MSG_USERAUTH_BANNER, (w) => w.string("").string(""));
    sendRaw(t.server, SSH_MSG_USERAUTH_FAILURE, failure("password"));
    sendRaw(t.server, SSH_MSG_USERAUTH_BANNER, (w) => w.string("second").string(""));
    sendRaw(t.server, SSH_MSG_USERAUTH_SUCCESS);
    const o = await t.outcome;
    expect(banners).toEqual(["Hello \x1b[31m\n|en", "second|"]);
    if ("ok" in o && o.ok.ok) o.ok.handOver((_p, l) => l.release());
    expect(t.pool.outstanding).toBe(0);
  });

  test("keyboard-interactive: more than 100 prompts or an oversize prompt are refused", async () => {
    for (const build of [
      (w: Writer) => { w.string("").string("").string("").u32(101); for (let i = 0; i < 101; i++) w.string("p").bool(false); },
      (w: Writer) => w.string("").string("").string("").u32(1).string("p".repeat(4097)).bool(false),
    ]) {
      const t = await started({ keyboardInteractive: async (r) => r.prompts.map(() => "") });
      sendRaw(t.server, SSH_MSG_SERVICE_ACCEPT, accept);
      sendRaw(t.server, SSH_MSG_USERAUTH_FAILURE, failure("keyboard-interactive"));
      await until(() => t.client.sent.length === 3);
      sendRaw(t.server, SSH_MSG_USERAUTH_INFO_REQUEST, build);
      const o = await t.outcome;
      expect("error" in o && o.error).toBeInstanceOf(ProtocolError);
      expect(t.pool.outstanding).toBe(0);
    }
  });

  test("keyboard-interactive: an INFO_REQUEST with no prompts is answered with no responses", async () => {
    let asked = 0;
    const t = await started({ keyboardInteractive: async (r) => (asked++, r.prompts.map(() => "")), kbdInteractiveDevices: "pam" });
    sendRaw(t.server, SSH_MSG_SERVICE_ACCEPT, accept);
    sendRaw(t.server, SSH_MSG_USERAUTH_FAILURE, failure("keyboard-interactive"));
    await until(() => t.client.sent.length === 3);
    const req = requestFields(t.client.sent, 2);
    expect([req.string(), req.string(), req.string(), req.string(), req.string()]).toEqual(
      ["fred", "ssh-connection", "keyboard-interactive", "", "pam"]);
    sendRaw(t.server, SSH_MSG_USERAUTH_INFO_REQUEST, (w) => w.string("Note").string("Welcome").string("").u32(0));
    await until(() => t.client.sent.length === 4);
    expect([...t.client.sent[3]!]).toEqual([61, 0, 0, 0, 0]);
    expect(asked).toBe(1);
    t.server.close();
    const o = await t.outcome;
    expect("error" in o).toBe(true);
    expect(t.pool.outstanding).toBe(0);
  });
});
