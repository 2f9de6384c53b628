// Properties of the connection layer (RFC 4254): decode(encode(m)) equals m for every channel request, channel open
// and global request; and any stream of random or mutated connection messages fed to the mux fails only with
// ProtocolError, with every lease returned. Quick by default; FUZZ_RUNS=20000 bun test fuzz/connection for a long run.
import { expect, test } from "bun:test";
import fc from "fast-check";
import {
  ChannelMux, type ChannelOpenRequest, type ChannelRequest, decodeChannelOpen, decodeChannelRequest, decodeGlobalRequest,
  encodeChannelOpen, encodeChannelRequest, encodeGlobalRequest, type GlobalRequest,
} from "../core/connection/index.ts";
import { ProtocolError } from "../core/errors.ts";
import { Writer } from "../core/wire/index.ts";
import { fakeConnPair } from "../test/helpers/fake-conn.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const u32 = fc.nat({ max: 0xffffffff });
const str = fc.string({ unit: "binary", maxLength: 24 });
const blob = fc.uint8Array({ maxLength: 40 });
const mode = fc.record({ opcode: fc.integer({ min: 1, max: 159 }), value: u32 });

const channelRequest: fc.Arbitrary<ChannelRequest> = fc.oneof(
  fc.record({ type: fc.constant("pty-req" as const), term: str, widthChars: u32, heightRows: u32, widthPixels: u32, heightPixels: u32, modes: fc.array(mode, { maxLength: 8 }) }),
  fc.record({ type: fc.constant("x11-req" as const), singleConnection: fc.boolean(), authProtocol: str, authCookie: str, screen: u32 }),
  fc.record({ type: fc.constant("env" as const), name: str, value: str }),
  fc.constant({ type: "shell" as const }),
  fc.record({ type: fc.constant("exec" as const), command: str }),
  fc.record({ type: fc.constant("subsystem" as const), name: str }),
  fc.record({ type: fc.constant("window-change" as const), widthChars: u32, heightRows: u32, widthPixels: u32, heightPixels: u32 }),
  fc.record({ type: fc.constant("xon-xoff" as const), clientCanDo: fc.boolean() }),
  fc.record({ type: fc.constant("signal" as const), signal: fc.oneof(fc.constantFrom("INT", "TERM", "INFO@openssh.com"), str) }),
  fc.record({ type: fc.constant("exit-status" as const), exitStatus: u32 }),
  fc.record({ type: fc.constant("exit-signal" as const), signal: str, coreDumped: fc.boolean(), errorMessage: str, language: str }),
  fc.constant({ type: "eow@openssh.com" as const }),
  fc.constant({ type: "auth-agent-req@openssh.com" as const }),
  fc.record({ type: fc.constant("break" as const), breakLengthMs: u32 }),
  fc.constant({ type: "keepalive@openssh.com" as const }),
);

const openRequest: fc.Arbitrary<ChannelOpenRequest> = fc.oneof(
  fc.constant({ type: "session" as const }),
  fc.record({ type: fc.constant("direct-tcpip" as const), hostToConnect: str, portToConnect: u32, originatorAddress: str, originatorPort: u32 }),
  fc.record({ type: fc.constant("forwarded-tcpip" as const), connectedAddress: str, connectedPort: u32, originatorAddress: str, originatorPort: u32 }),
  fc.record({ type: fc.constant("direct-streamlocal@openssh.com" as const), socketPath: str, reservedString: str, reservedNumber: u32 }),
  fc.record({ type: fc.constant("forwarded-streamlocal@openssh.com" as const), socketPath: str, reservedString: str }),
  fc.record({ type: fc.constant("x11" as const), originatorAddress: str, originatorPort: u32 }),
  fc.constant({ type: "auth-agent@openssh.com" as const }),
  fc.record({ type: fc.constant("tun@openssh.com" as const), tunnelMode: u32, remoteUnit: u32 }),
);

const globalRequest: fc.Arbitrary<GlobalRequest> = fc.oneof(
  fc.record({ type: fc.constantFrom("tcpip-forward" as const, "cancel-tcpip-forward" as const), bindAddress: str, bindPort: u32 }),
  fc.record({ type: fc.constantFrom("streamlocal-forward@openssh.com" as const, "cancel-streamlocal-forward@openssh.com" as const), socketPath: str }),
  fc.record({ type: fc.constantFrom("hostkeys-00@openssh.com" as const, "hostkeys-prove-00@openssh.com" as const), hostKeys: fc.array(blob, { maxLength: 4 }) }),
  fc.constant({ type: "keepalive@openssh.com" as const }),
  fc.constant({ type: "no-more-sessions@openssh.com" as const }),
);

test("channel requests: decode(encode(m)) equals m", () => {
  fc.assert(fc.property(u32, channelRequest, fc.boolean(), (id, req, wantReply) => {
    expect(decodeChannelRequest(encodeChannelRequest(id, req, wantReply))).toEqual({ recipientChannel: id, name: req.type, wantReply, request: req });
  }), { numRuns: RUNS * 5 });
});

test("channel opens: decode(encode(m)) equals m", () => {
  fc.assert(fc.property(openRequest, u32, u32, u32, (req, sender, window, maxPacket) => {
    expect(decodeChannelOpen(encodeChannelOpen(req, sender, window, maxPacket))).toEqual({
      typeName: req.type, senderChannel: sender, initialWindowBytes: window, maxPacketBytes: maxPacket, request: req,
    });
  }), { numRuns: RUNS * 3 });
});

test("global requests: decode(encode(m)) equals m", () => {
  fc.assert(fc.property(globalRequest, fc.boolean(), (req, wantReply) => {
    expect(decodeGlobalRequest(encodeGlobalRequest(req, wantReply))).toEqual({ name: req.type, wantReply, request: req });
  }), { numRuns: RUNS * 3 });
});

/** Valid messages a peer could send to a server that accepted channel 0 (whose peer id is 5). */
function corpus(): Uint8Array[] {
  const m = (msg: number, fill: (w: Writer) => void): Uint8Array => {
    const w = new Writer(null, 64).u8(msg);
    fill(w);
    return w.toBytes();
  };
  return [
    encodeChannelOpen({ type: "session" }, 6, 1 << 20, 32768),
    encodeChannelOpen({ type: "direct-tcpip", hostToConnect: "h", portToConnect: 22, originatorAddress: "o", originatorPort: 1 }, 7, 100, 100),
    encodeChannelOpen({ type: "x11", originatorAddress: "o", originatorPort: 1 }, 8, 0, 0),
    encodeChannelRequest(0, { type: "exec", command: "ls" }, true),
    encodeChannelRequest(0, { type: "pty-req", term: "vt100", widthChars: 1, heightRows: 2, widthPixels: 3, heightPixels: 4, modes: [{ opcode: 1, value: 2 }] }, true),
    encodeChannelRequest(0, { type: "eow@openssh.com" }, false),
    encodeChannelRequest(0, { type: "signal", signal: "INT" }, false),
    encodeGlobalRequest({ type: "tcpip-forward", bindAddress: "", bindPort: 0 }, true),
    encodeGlobalRequest({ type: "hostkeys-00@openssh.com", hostKeys: [new Uint8Array(3)] }, false),
    encodeGlobalRequest({ type: "no-more-sessions@openssh.com" }, true),
    m(94, (w) => w.u32(0).string("hello")),
    m(95, (w) => w.u32(0).u32(1).string("err")),
    m(93, (w) => w.u32(0).u32(4096)),
    m(96, (w) => w.u32(0)),
    m(97, (w) => w.u32(0)),
    m(99, (w) => w.u32(0)),
    m(100, (w) => w.u32(0)),
    m(91, (w) => w.u32(1).u32(9).u32(100).u32(100)),
    m(92, (w) => w.u32(1).u32(2).string("no").string("")),
    m(81, (w) => w.u32(1234)),
    m(82, () => {}),
  ];
}

const mutation = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.nat(255) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }), weight: 1 },
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(msg: Uint8Array, muts: readonly Mutation[]): Uint8Array {
  let b = msg.slice();
  for (const mu of muts) {
    if (b.length === 0) break;
    const at = mu.at % b.length;
    if (mu.kind === "flip") b[at]! ^= 1 << mu.bit;
    else if (mu.kind === "set") b[at] = mu.byte;
    else if (mu.kind === "cut") b = b.slice(0, at);
    else b = Uint8Array.from([...b.subarray(0, at), ...mu.bytes, ...b.subarray(at)]);
  }
  return b.length === 0 ? Uint8Array.of(94) : b;
}

const connectionMessage = (valid: readonly Uint8Array[]) => fc.oneof(
  { arbitrary: fc.nat(valid.length - 1).map((i) => valid[i]!), weight: 3 },
  { arbitrary: fc.tuple(fc.nat(valid.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([i, ms]) => mutate(valid[i]!, ms)), weight: 6 },
  { arbitrary: fc.tuple(fc.integer({ min: 80, max: 100 }), fc.uint8Array({ maxLength: 40 })).map(([t, rest]) => Uint8Array.of(t, ...rest)), weight: 2 },
  { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 20 }), weight: 1 },
);

test("random and mutated connection messages make the mux throw only ProtocolError, and every lease comes back", async () => {
  const valid = corpus();
  const pools: { outstanding: number }[] = [];
  fc.assert(fc.property(fc.array(connectionMessage(valid), { minLength: 1, maxLength: 25 }), fc.boolean(), (msgs, hold) => {
    const { client, server, pool } = fakeConnPair();
    pools.push(pool);
    new ChannelMux(client, {}); // the far side answers nothing but must not break either
    const held: { release(): void }[] = [];
    const mux = new ChannelMux(server, {
      handler: {
        onChannelOpen(_req, open) {
          open.accept({ windowBytes: 4096, maxPacketBytes: 1024 }).attach({
            onData: (d) => (hold ? held.push(d) : d.release()),
            onExtendedData: (d) => d.release(),
            onRequest: (r) => r.type !== "exec",
          });
        },
        onGlobalRequest: (r) => r.type === "tcpip-forward" ? Uint8Array.of(0, 0, 1, 0) : Promise.resolve(true),
      },
    });
    const feed = (payload: Uint8Array): void => {
      const lease = pool.take(payload.length);
      lease.bytes.set(payload);
      mux.handleMessage(lease.bytes.subarray(0, payload.length), lease);
    };
    feed(valid[0]!); // channel 0, peer id 6
    // channel 1, opening; once confirmed its opener attaches (as every opener must: data that arrives before attach()
    // waits in the channel, holding its lease)
    mux.openChannel({ type: "x11", originatorAddress: "::1", originatorPort: 6010 })
      .then((ch) => ch.attach({ onData: (d) => d.release(), onExtendedData: (d) => d.release() }), () => {});
    for (const msg of msgs) {
      try {
        feed(msg);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        expect(err.reason).toBe(2);
      }
    }
    for (const d of held) d.release();
    server.close();
  }), { numRuns: RUNS * 10 });
  await new Promise((r) => setTimeout(r, 0));
  expect(pools.filter((p) => p.outstanding !== 0)).toEqual([]);
}, 20_000 + RUNS * 10);

test("any window, max packet, write sizes and release timing: data arrives intact and windows never go negative", async () => {
  await fc.assert(fc.asyncProperty(
    // a held chunk is released one timer tick later, so total / window bounds the ticks: keep it under ~100
    fc.integer({ min: 256, max: 20_000 }), fc.integer({ min: 1, max: 5_000 }),
    fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
    async (windowBytes, maxPacketBytes, writes, releaseNow) => {
      const { client, server, pool } = fakeConnPair();
      let negative = false;
      const received: Uint8Array[] = [];
      const held: { release(): void }[] = [];
      let n = 0;
      new ChannelMux(server, {
        handler: {
          onChannelOpen(_r, open) {
            const ch = open.accept({ windowBytes, maxPacketBytes });
            ch.attach({
              onData: (d) => {
                if (ch.localWindowBytes < 0 || d.bytes.length > maxPacketBytes) negative = true;
                received.push(d.bytes.slice());
                if (releaseNow[n++ % releaseNow.length]) d.release();
                else held.push(d);
              },
              onEof: () => ch.close(),
            });
          },
        },
      });
      const mux = new ChannelMux(client);
      const ch = await mux.openChannel({ type: "session" });
      ch.attach({});
      const sent: Uint8Array[] = [];
      let seed = 1;
      for (const len of writes) {
        const chunk = new Uint8Array(len);
        for (let i = 0; i < len; i++) chunk[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
        sent.push(chunk);
        ch.write(chunk);
        if (ch.remoteWindowBytes < 0) negative = true;
      }
      ch.end();
      while (!ch.isClosed) {
        await new Promise((r) => setTimeout(r, 0));
        for (const d of held.splice(0)) d.release(); // the slow consumer catches up
        if (ch.remoteWindowBytes < 0) negative = true;
      }
      await new Promise((r) => setTimeout(r, 0));
      expect(negative).toBe(false);
      expect(Buffer.concat(received).equals(Buffer.concat(sent))).toBe(true);
      expect(pool.outstanding).toBe(0);
    },
  ), { numRuns: Math.max(10, RUNS / 2) });
}, 20_000 + RUNS * 50);
