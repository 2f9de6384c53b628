// User authentication under mutated messages: our client and server talk over the fake transport while one or more
// messages in one direction are mutated in flight (bit flips, truncation, insertion, length fields, message numbers).
// Properties: each side ends only with a ProtocolError (DISCONNECT sent) or keeps going with ordinary auth replies,
// never another exception or a hang; every lease goes back. Quick by default; FUZZ_RUNS=5000 bun test fuzz/auth.
import { expect, test } from "bun:test";
import fc from "fast-check";
import {
  decodeServiceAccept, decodeServiceRequest, decodeUserauthBanner, decodeUserauthFailure, decodeUserauthInfoRequest,
  decodeUserauthInfoResponse, decodeUserauthPasswdChangereq, decodeUserauthPkOk, decodeUserauthRequest,
  runClientAuth, runServerAuth, type ClientAuthResult, type ServerAuthResult,
} from "../core/auth/index.ts";
import { ConnectionLostError, ProtocolError } from "../core/errors.ts";
import type { Lease, Writer } from "../core/wire/index.ts";
import { fakeConnPair, type FakeConn } from "../test/helpers/fake-conn.ts";
import { ed25519Key, testPolicy } from "../test/unit/auth/support.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
/** A run takes a few ms; long campaigns get time in proportion. */
const TIMEOUT_MS = Math.max(20_000, RUNS * 20);

type Mutation =
  | { kind: "flip"; pos: number; bit: number }
  | { kind: "truncate"; len: number }
  | { kind: "insert"; pos: number; bytes: Uint8Array }
  | { kind: "u32"; pos: number; value: number }
  | { kind: "type"; type: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), pos: fc.nat(400), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("truncate" as const), len: fc.nat(400) }),
  fc.record({ kind: fc.constant("insert" as const), pos: fc.nat(400), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({
    kind: fc.constant("u32" as const), pos: fc.nat(400),
    value: fc.oneof(fc.constantFrom(0, 1, 64, 65, 100, 101, 257, 0x7fffffff, 0xffffffff), fc.nat()),
  }),
  fc.record({ kind: fc.constant("type" as const), type: fc.oneof(fc.constantFrom(5, 6, 50, 51, 52, 53, 60, 61, 80, 94), fc.nat(255)) }),
);

function mutate(b: Uint8Array, m: Mutation): Uint8Array {
  const out = b.slice();
  switch (m.kind) {
    case "flip":
      out[m.pos % out.length]! ^= 1 << m.bit;
      return out;
    case "truncate":
      return out.subarray(0, Math.max(1, m.len % out.length));
    case "insert": {
      const p = 1 + (m.pos % out.length);
      return new Uint8Array([...out.subarray(0, p), ...m.bytes, ...out.subarray(p)]);
    }
    case "u32": {
      if (out.length < 5) return out;
      const p = 1 + (m.pos % (out.length - 4));
      new DataView(out.buffer).setUint32(p, m.value >>> 0);
      return out;
    }
    case "type":
      out[0] = m.type;
      return out;
  }
}

/** Makes `from` mutate the messages it commits whose index (from 0) is in `targets`. */
function intercept(from: FakeConn, to: FakeConn, targets: Map<number, Mutation>): void {
  let index = 0;
  from.commit = (w: Writer) => {
    let bytes = w.toBytes();
    w.release();
    if (from.closedWith) return;
    const m = targets.get(index++);
    if (m) bytes = mutate(bytes, m);
    from.sent.push(bytes);
    queueMicrotask(() => (to as FakeConn & { deliver(b: Uint8Array): void }).deliver(bytes));
  };
}

const keyA = ed25519Key();
const keyB = ed25519Key();

/** Two conversations covering every message: publickey query/sign then keyboard-interactive; an expired password. */
function scenario(n: number) {
  const kbd = [
    { name: "Login", instruction: "two rounds", prompts: [{ prompt: "A: ", echo: true, answer: "a" }, { prompt: "B: ", echo: false, answer: "b" }] },
    { prompts: [{ prompt: "Code: ", echo: false, answer: "42" }] },
  ];
  if (n === 0) {
    return {
      policy: testPolicy({
        users: { fred: { keys: [keyB.blob], kbd } }, banner: "Welcome\n",
        authenticationMethods: ["publickey,keyboard-interactive", "password"],
      }),
      client: {
        signers: [keyA.signer, keyB.signer],
        keyboardInteractive: async (r: { prompts: readonly { prompt: string }[] }) =>
          r.prompts.map((p) => (p.prompt === "A: " ? "a" : p.prompt === "B: " ? "b" : "42")),
        password: async () => "pw",
      },
    };
  }
  return {
    policy: testPolicy({ users: { fred: { password: "old", expired: { prompt: "expired", newPassword: "new" } } }, methods: ["password"] }),
    client: {
      password: async () => "old",
      passwordChange: async () => ({ oldPassword: "old", newPassword: "new" }),
    },
  };
}

const SERVER_SENDS = new Set([6, 51, 52, 53, 60]);
const CLIENT_SENDS = new Set([5, 50, 61]);

async function turns(n: number, done: () => boolean): Promise<void> {
  for (let i = 0; i < n && !done(); i++) await new Promise((r) => setTimeout(r, 0));
}

function expectOnlyProtocolErrors(settled: PromiseSettledResult<unknown>, conn: FakeConn): void {
  if (settled.status === "fulfilled") return;
  const e = settled.reason as Error;
  if (!(e instanceof ProtocolError) && !(e instanceof ConnectionLostError)) throw e; // anything else is a bug
  if (e instanceof ProtocolError) expect(conn.closedWith?.reason).toBe(e.reason);
}

async function run(scenarioIndex: number, direction: "to-server" | "to-client", targets: Map<number, Mutation>): Promise<void> {
  const { policy, client: clientOptions } = scenario(scenarioIndex);
  const pair = fakeConnPair();
  (pair.client.peerExtensions as Map<string, Uint8Array>).set("publickey-hostbound@openssh.com", new Uint8Array([0x30]));
  if (direction === "to-server") intercept(pair.client, pair.server, targets);
  else intercept(pair.server, pair.client, targets);
  const server = runServerAuth(pair.server, policy);
  const client = runClientAuth(pair.client, { user: "fred", ...clientOptions });
  let serverSettled: PromiseSettledResult<ServerAuthResult> | undefined;
  let clientSettled: PromiseSettledResult<ClientAuthResult> | undefined;
  void Promise.allSettled([server.done]).then(([s]) => (serverSettled = s));
  void Promise.allSettled([client]).then(([c]) => (clientSettled = c));
  // every step completes within microtasks (the policy and the callbacks answer at once): a few turns is quiescence
  await turns(50, () => serverSettled !== undefined && clientSettled !== undefined);
  // the front-end closes whatever is left (a corrupted conversation may wait for a reply that never comes)
  if (!pair.client.closedWith) pair.client.close();
  await turns(50, () => serverSettled !== undefined && clientSettled !== undefined);
  expect(serverSettled).toBeDefined(); // otherwise a side hangs even after the connection closed
  expect(clientSettled).toBeDefined();
  expectOnlyProtocolErrors(serverSettled!, pair.server);
  expectOnlyProtocolErrors(clientSettled!, pair.client);
  const sink = (_p: Uint8Array, l: Lease) => l.release();
  if (serverSettled!.status === "fulfilled") serverSettled!.value.handOver(sink);
  if (clientSettled!.status === "fulfilled" && clientSettled!.value.ok) clientSettled!.value.handOver(sink);
  // each side only ever says auth things (what the interceptor mutated aside)
  const honest = (c: FakeConn, allowed: Set<number>, mutated: boolean) =>
    c.sent.every((m, i) => allowed.has(m[0]!) || (mutated && targets.has(i)));
  expect(honest(pair.server, SERVER_SENDS, direction === "to-client")).toBe(true);
  expect(honest(pair.client, CLIENT_SENDS, direction === "to-server")).toBe(true);
  expect(pair.pool.outstanding).toBe(0);
}

test("both conversations succeed unmutated", async () => {
  for (const s of [0, 1]) {
    const { policy, client: clientOptions } = scenario(s);
    const pair = fakeConnPair();
    const server = runServerAuth(pair.server, policy);
    const client = await runClientAuth(pair.client, { user: "fred", ...clientOptions });
    const result = await server.done;
    expect(client.ok).toBe(true);
    expect(result.methods.length).toBe(s === 0 ? 2 : 1);
    result.handOver((_p, l) => l.release());
    if (client.ok) client.handOver((_p, l) => l.release());
    expect(pair.pool.outstanding).toBe(0);
  }
});

const targetsArb = fc.array(fc.tuple(fc.nat(11), mutation), { minLength: 1, maxLength: 3 }).map((a) => new Map(a));

test("mutated client messages: the server replies or ends with a ProtocolError", async () => {
  await fc.assert(fc.asyncProperty(fc.constantFrom(0, 1), targetsArb, (s, targets) => run(s, "to-server", targets)), { numRuns: RUNS });
}, TIMEOUT_MS);

test("mutated server messages: the client goes on or ends with a ProtocolError", async () => {
  await fc.assert(fc.asyncProperty(fc.constantFrom(0, 1), targetsArb, (s, targets) => run(s, "to-client", targets)), { numRuns: RUNS });
}, TIMEOUT_MS);

test("every decoder fed random bytes fails only with ProtocolError", () => {
  const decoders = [
    decodeServiceRequest, decodeServiceAccept, decodeUserauthRequest, decodeUserauthFailure, decodeUserauthBanner,
    decodeUserauthPkOk, decodeUserauthPasswdChangereq, decodeUserauthInfoRequest, decodeUserauthInfoResponse,
  ];
  const types = [5, 6, 50, 51, 53, 60, 60, 60, 61];
  fc.assert(fc.property(fc.nat(decoders.length - 1), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (i, body, typed) => {
    const payload = typed ? new Uint8Array([types[i]!, ...body]) : body;
    try {
      decoders[i]!(payload);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
    }
  }), { numRuns: RUNS * 20 });
}, TIMEOUT_MS);
