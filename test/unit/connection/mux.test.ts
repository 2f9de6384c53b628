// The connection layer over a back-to-back fake transport: sessions both ways, flow control, backpressure,
// EOF/CLOSE ordering, open failures, global requests in order, many channels, and that every lease comes back.
import { afterEach, describe, expect, test } from "bun:test";
import {
  type Channel, ChannelOpenError, type ChannelData, type ChannelRequest, encodeTcpipForwardReply, decodeTcpipForwardReply,
  type IncomingOpen, type ChannelOpenRequest,
} from "../../../core/connection/index.ts";
import {
  SSH_MSG_CHANNEL_OPEN, SSH_MSG_CHANNEL_OPEN_FAILURE, SSH_MSG_CHANNEL_WINDOW_ADJUST, SSH_MSG_GLOBAL_REQUEST,
  SSH_MSG_REQUEST_FAILURE, SSH_MSG_CHANNEL_DATA, SSH_MSG_CHANNEL_EOF, SSH_MSG_CHANNEL_CLOSE, Reader,
} from "../../../core/wire/index.ts";
import type { BufferPool } from "../../../core/wire/index.ts";
import { checksum, collect, muxPair, pattern, sentTypes, settle, text, type MuxPair } from "./helpers.ts";

let pools: BufferPool[] = [];
function track(p: MuxPair): MuxPair {
  pools.push(p.pool);
  return p;
}
afterEach(async () => {
  await settle();
  for (const p of pools) expect(p.outstanding).toBe(0);
  pools = [];
});

/** A server-side session that runs "exec": stdout, stderr, exit-status, then close. */
function execServer(onExec: (ch: Channel, command: string) => void) {
  return {
    onChannelOpen(req: ChannelOpenRequest, open: IncomingOpen) {
      if (req.type !== "session") return open.reject(1, "no");
      const ch = open.accept();
      ch.attach({
        onData: (d: ChannelData) => d.release(),
        onRequest: (r: ChannelRequest) => {
          if (r.type !== "exec") return false;
          queueMicrotask(() => onExec(ch, r.command));
          return true;
        },
      });
    },
  };
}

describe("session channels", () => {
  test.each(["client opens", "server opens"])("%s a session: exec with reply, stdout, stderr, exit-status, EOF, CLOSE", async (dir) => {
    const handler = execServer((ch, command) => {
      ch.write(text(`ran ${command}\n`));
      ch.writeStderr(text("warning\n"));
      ch.end();
      ch.send({ type: "exit-status", exitStatus: 3 });
      ch.close();
    });
    const p = track(dir === "client opens" ? muxPair(handler) : muxPair({}, handler));
    const opener = dir === "client opens" ? p.client : p.server;
    const ch = await opener.openChannel({ type: "session" });
    expect(ch.type).toBe("session");
    const got = collect(ch);
    expect(await ch.request({ type: "exec", command: "echo hi" })).toBe(true);
    await ch.closed;
    expect(got.text()).toBe("ran echo hi\n");
    expect(got.errText()).toBe("warning\n");
    expect(got.events).toEqual(["data", "stderr", "eof", "exit-status 3", "close"]);
    await settle();
    expect(p.client.channelCount).toBe(0);
    expect(p.server.channelCount).toBe(0);
  });

  test("a request the handler refuses gets FAILURE, and replies keep request order with async handlers", async () => {
    const order: string[] = [];
    const p = track(muxPair({
      onChannelOpen(_req, open) {
        const ch = open.accept();
        ch.attach({
          onRequest: async (r) => {
            if (r.type === "env") {
              await new Promise((res) => setTimeout(res, 5)); // the slow one comes first
              return r.name === "LANG";
            }
            return r.type === "shell";
          },
        });
      },
    }));
    const ch = await p.client.openChannel({ type: "session" });
    collect(ch);
    const replies = [
      ch.request({ type: "env", name: "LANG", value: "C" }).then((ok) => (order.push("env"), ok)),
      ch.request({ type: "subsystem", name: "nope" }).then((ok) => (order.push("subsystem"), ok)),
      ch.request({ type: "shell" }).then((ok) => (order.push("shell"), ok)),
    ];
    expect(await Promise.all(replies)).toEqual([true, false, true]);
    expect(order).toEqual(["env", "subsystem", "shell"]);
    ch.close();
    await ch.closed;
  });

  test("an unknown channel request with want-reply gets FAILURE without reaching the handler", async () => {
    let asked = 0;
    const p = track(muxPair({
      onChannelOpen(_r, open) {
        open.accept().attach({ onRequest: () => (asked++, true) });
      },
    }));
    const ch = await p.client.openChannel({ type: "session" });
    collect(ch);
    const w = p.clientConn.begin(98, 64);
    w.u32(ch.remoteId).string("frobnicate@example.com").bool(true).u32(7);
    p.clientConn.commit(w);
    await settle();
    expect(sentTypes(p.serverConn).filter((t) => t === 100)).toHaveLength(1); // CHANNEL_FAILURE
    expect(asked).toBe(0);
    expect(await ch.request({ type: "keepalive@openssh.com" })).toBe(true); // the stray FAILURE answered nothing of ours
    expect(asked).toBe(1);
    ch.close();
    await ch.closed;
  });
});

describe("flow control", () => {
  test("8 MiB through a 64 KiB window and 4 KiB packets arrives intact, in order, with few WINDOW_ADJUSTs", async () => {
    const total = 8 * 1024 * 1024;
    const data = pattern(total, 7);
    const received: Uint8Array[] = [];
    let receivedBytes = 0;
    let maxChunk = 0;
    let negative = false;
    let serverCh!: Channel;
    const p = track(muxPair({
      onChannelOpen(_r, open) {
        serverCh = open.accept({ windowBytes: 64 * 1024, maxPacketBytes: 4096 });
        serverCh.attach({
          onData: (d) => {
            if (serverCh.localWindowBytes < 0) negative = true;
            maxChunk = Math.max(maxChunk, d.bytes.length);
            received.push(d.bytes.slice());
            receivedBytes += d.bytes.length;
            d.release();
          },
        });
      },
    }));
    const ch = await p.client.openChannel({ type: "session" });
    let drained: () => void = () => {};
    ch.attach({ onDrain: () => drained() });
    for (let off = 0; off < total; off += 100_000) {
      if (!ch.write(data.subarray(off, Math.min(total, off + 100_000)))) await new Promise<void>((r) => (drained = r));
      if (ch.remoteWindowBytes < 0) negative = true;
    }
    ch.close();
    await ch.closed;
    expect(receivedBytes).toBe(total);
    expect(checksum(received)).toBe(checksum([data]));
    expect(maxChunk).toBeLessThanOrEqual(4096);
    expect(negative).toBe(false);
    const adjusts = sentTypes(p.serverConn).filter((t) => t === SSH_MSG_CHANNEL_WINDOW_ADJUST).length;
    // about one per half window (at most 8 MiB / 32 KiB = 256), never one per packet (2048)
    expect(adjusts).toBeGreaterThanOrEqual(200);
    expect(adjusts).toBeLessThanOrEqual(260);
  });

  test("a consumer that stops releasing stops the sender; releasing resumes it and onDrain fires", async () => {
    const held: ChannelData[] = [];
    const p = track(muxPair({
      onChannelOpen(_r, open) {
        open.accept({ windowBytes: 32 * 1024, maxPacketBytes: 8192 }).attach({ onData: (d) => held.push(d) });
      },
    }));
    const ch = await p.client.openChannel({ type: "session" });
    let drains = 0;
    ch.attach({ onDrain: () => drains++ });
    const data = pattern(200 * 1024, 3);
    expect(ch.write(data)).toBe(false);
    await settle();
    const heldBytes = () => held.reduce((n, d) => n + d.bytes.length, 0);
    expect(heldBytes()).toBe(32 * 1024); // exactly one window, then the sender stops
    expect(ch.remoteWindowBytes).toBe(0);
    expect(ch.queuedBytes).toBe(200 * 1024 - 32 * 1024);
    expect(drains).toBe(0);
    // release everything as it comes: the sender resumes and drains
    const all: Uint8Array[] = [];
    while (all.reduce((n, c) => n + c.length, 0) < data.length) {
      const batch = held.splice(0);
      for (const d of batch) {
        all.push(d.bytes.slice());
        d.release();
      }
      await settle();
    }
    expect(checksum(all)).toBe(checksum([data]));
    expect(drains).toBe(1);
    expect(ch.queuedBytes).toBe(0);
    ch.close();
    await ch.closed;
  });

  test("data sent before close() is never lost: data, then EOF, then CLOSE, even through a tiny window", async () => {
    const payload = pattern(300_000, 11);
    let serverSide!: ReturnType<typeof collect>;
    const p = track(muxPair({
      onChannelOpen(_r, open) {
        const ch = open.accept({ windowBytes: 1000, maxPacketBytes: 300 });
        serverSide = collect(ch);
      },
    }));
    const ch = await p.client.openChannel({ type: "session" });
    ch.attach({});
    ch.write(payload.subarray(0, 100_000));
    ch.writeStderr(payload.subarray(100_000, 100_001)); // ordered with the data
    ch.write(payload.subarray(100_001));
    ch.close();
    expect(() => ch.write(text("late"))).toThrow("write after end");
    await ch.closed;
    expect(checksum(serverSide.stdout)).toBe(checksum([payload.subarray(0, 100_000), payload.subarray(100_001)]));
    expect(serverSide.stderr).toHaveLength(1);
    const ev = serverSide.events;
    expect(ev.slice(-2)).toEqual(["eof", "close"]);
    expect(ev.indexOf("stderr")).toBeGreaterThan(0);
    // on the wire: the EOF and CLOSE are the last two messages the client sent
    const types = sentTypes(p.clientConn);
    expect(types.slice(-2)).toEqual([SSH_MSG_CHANNEL_EOF, SSH_MSG_CHANNEL_CLOSE]);
    expect(types.filter((t) => t === SSH_MSG_CHANNEL_CLOSE)).toHaveLength(1);
    expect(sentTypes(p.serverConn).filter((t) => t === SSH_MSG_CHANNEL_CLOSE)).toHaveLength(1); // answered once
  });

  test("events that arrive before attach() wait for it, in order", async () => {
    let serverCh!: Channel;
    const p = track(muxPair({ onChannelOpen: (_r, open) => void (serverCh = open.accept()) }));
    const ch = await p.client.openChannel({ type: "session" });
    ch.write(text("early"));
    ch.send({ type: "window-change", widthChars: 80, heightRows: 24, widthPixels: 0, heightPixels: 0 });
    ch.end();
    await settle();
    const got = collect(serverCh);
    expect(got.events).toEqual(["data", "window-change", "eof"]);
    serverCh.close();
    await ch.closed;
    expect(ch.isClosed && serverCh.isClosed).toBe(true);
  });

  test("the transport's backlog pauses channel output until onWritable", async () => {
    const p = track(muxPair({ onChannelOpen: (_r, open) => void collect(open.accept()) }, {}, { backlogHighBytes: 1000 }));
    const ch = await p.client.openChannel({ type: "session" });
    ch.attach({});
    (p.clientConn as { backlogBytes: number }).backlogBytes = 5000;
    ch.write(pattern(2000));
    expect(ch.queuedBytes).toBe(2000);
    (p.clientConn as { backlogBytes: number }).backlogBytes = 0;
    p.clientConn.onWritable();
    expect(ch.queuedBytes).toBe(0);
    ch.close();
    await ch.closed;
  });

  test("eow@openssh.com: the peer stops reading, our queue is dropped, the channel still closes cleanly", async () => {
    let serverCh!: Channel;
    let eow = 0;
    const p = track(muxPair({
      onChannelOpen(_r, open) {
        serverCh = open.accept({ windowBytes: 4096 });
        serverCh.attach({ onEow: () => eow++ });
      },
    }, {}, { sendEow: true }));
    const ch = await p.client.openChannel({ type: "session" }, { windowBytes: 4096 });
    const got = collect(ch);
    ch.shutdownRead();
    await settle();
    expect(eow).toBe(1);
    expect(serverCh.write(pattern(100_000))).toBe(true); // dropped
    expect(serverCh.queuedBytes).toBe(0);
    serverCh.close();
    await ch.closed;
    expect(got.stdout).toHaveLength(0);
    expect(sentTypes(p.serverConn)).not.toContain(SSH_MSG_CHANNEL_EOF); // nchan.c: input closed without EOF
  });
});

describe("opening channels", () => {
  test("open failure carries the code and the text; a thrown ChannelOpenError refuses too", async () => {
    const p = track(muxPair({
      onChannelOpen(req, open) {
        if (req.type === "direct-tcpip") {
          expect(req).toEqual({ type: "direct-tcpip", hostToConnect: "example.org", portToConnect: 80, originatorAddress: "127.0.0.1", originatorPort: 5555 });
          setTimeout(() => open.reject(2, "Connection refused"), 1);
          return;
        }
        throw new ChannelOpenError(4, "no more sessions for you");
      },
    }));
    const e1 = await p.client.openChannel({ type: "direct-tcpip", hostToConnect: "example.org", portToConnect: 80, originatorAddress: "127.0.0.1", originatorPort: 5555 }).catch((e) => e);
    expect(e1).toBeInstanceOf(ChannelOpenError);
    expect({ code: e1.code, description: e1.description, message: e1.message }).toEqual({
      code: 2, description: "Connection refused", message: "open failed: connect failed: Connection refused",
    });
    const e2 = await p.client.openChannel({ type: "session" }).catch((e) => e);
    expect([e2.code, e2.description]).toEqual([4, "no more sessions for you"]);
    expect(p.client.channelCount).toBe(0);
  });

  test("without a handler an open is administratively prohibited; an unknown type gets OPEN_FAILURE(3)", async () => {
    const p = track(muxPair());
    const e = await p.client.openChannel({ type: "auth-agent@openssh.com" }).catch((x) => x);
    expect([e.code, e.description]).toEqual([1, "open failed"]);
    const w = p.clientConn.begin(SSH_MSG_CHANNEL_OPEN, 64);
    w.string("teleport@example.com").u32(9).u32(1000).u32(1000).string("anything");
    p.clientConn.commit(w);
    await settle();
    const failure = p.serverConn.sent.findLast((m) => m[0] === SSH_MSG_CHANNEL_OPEN_FAILURE)!;
    const r = new Reader(failure, 1);
    expect([r.u32(), r.u32(), r.string(), r.string()]).toEqual([9, 3, "unknown channel type", ""]);
    // and the client, which never opened channel 9, takes that OPEN_FAILURE as fatal (channels.c)
    expect(p.clientConn.closedWith).toEqual({ reason: 2, description: "Received open failure for non-opening channel 9." });
  });

  test("many channels at once, each with its own data, and ids are reused", async () => {
    const p = track(muxPair({
      onChannelOpen(_r, open) {
        const ch = open.accept({ windowBytes: 8192, maxPacketBytes: 1024 });
        const chunks: Uint8Array[] = [];
        ch.attach({
          onData: (d) => (chunks.push(d.bytes.slice()), d.release()),
          onEof: () => {
            for (const c of chunks) ch.write(c); // echo back
            ch.close();
          },
        });
      },
    }));
    const n = 200;
    const results = await Promise.all(Array.from({ length: n }, async (_, i) => {
      const ch = await p.client.openChannel({ type: "session" }, { windowBytes: 4096, maxPacketBytes: 512 });
      const got = collect(ch);
      const data = pattern(5000 + i * 7, i + 1);
      ch.write(data);
      ch.end();
      await ch.closed;
      return checksum(got.stdout) === checksum([data]) && ch.localId < n;
    }));
    expect(results.every(Boolean)).toBe(true);
    await settle();
    expect([p.client.channelCount, p.server.channelCount]).toEqual([0, 0]);
    const again = await p.client.openChannel({ type: "session" });
    expect(again.localId).toBeLessThan(n);
    again.attach({});
    again.close();
    await again.closed;
  });

  test("the channel table is bounded", async () => {
    const p = track(muxPair({ onChannelOpen: (_r, open) => void open.accept().attach({}) }, {}, { maxChannels: 3 }));
    const chans = await Promise.all([1, 2, 3].map(() => p.client.openChannel({ type: "session" })));
    const e = await p.client.openChannel({ type: "session" }).catch((x) => x);
    expect(e.code).toBe(4);
    for (const c of chans) c.attach({}), c.close();
    await Promise.all(chans.map((c) => c.closed));
  });
});

describe("global requests", () => {
  test("replies come in request order, with data, whatever the handler's timing", async () => {
    const p = track(muxPair({
      async onGlobalRequest(req) {
        if (req.type === "tcpip-forward") {
          await new Promise((r) => setTimeout(r, 5));
          return req.bindPort === 0 ? encodeTcpipForwardReply(40000) : true;
        }
        if (req.type === "streamlocal-forward@openssh.com") return false;
        return true;
      },
    }));
    const results = await Promise.all([
      p.client.globalRequest({ type: "tcpip-forward", bindAddress: "localhost", bindPort: 0 }),
      p.client.globalRequest({ type: "streamlocal-forward@openssh.com", socketPath: "/tmp/s" }),
      p.client.globalRequest({ type: "cancel-tcpip-forward", bindAddress: "localhost", bindPort: 40000 }),
      p.client.globalRequest({ type: "keepalive@openssh.com" }),
    ]);
    expect(results.map((r) => r.success)).toEqual([true, false, true, false]);
    expect(decodeTcpipForwardReply(results[0]!.data)).toBe(40000);
    expect(decodeTcpipForwardReply(results[2]!.data)).toBeUndefined();
  });

  test("an unknown global request with want-reply gets REQUEST_FAILURE; without want-reply nothing", async () => {
    const p = track(muxPair({ onGlobalRequest: () => true }));
    for (const wantReply of [true, false]) {
      const w = p.clientConn.begin(SSH_MSG_GLOBAL_REQUEST, 32);
      w.string("nonsense@example.com").bool(wantReply).u32(1);
      p.clientConn.commit(w);
    }
    await settle();
    expect(sentTypes(p.serverConn)).toEqual([SSH_MSG_REQUEST_FAILURE]);
  });

  test("hostkeys-00@openssh.com reaches the client's handler", async () => {
    const keys: Uint8Array[][] = [];
    const p = track(muxPair({}, { onGlobalRequest: (req) => (req.type === "hostkeys-00@openssh.com" && keys.push([...req.hostKeys]), true) }));
    p.server.globalRequestNoReply({ type: "hostkeys-00@openssh.com", hostKeys: [text("key-one"), text("key-two")] });
    await settle();
    expect(keys).toEqual([[text("key-one"), text("key-two")]]);
    expect(p.clientConn.sent).toHaveLength(0);
  });

  test("after no-more-sessions@openssh.com a session open ends the connection", async () => {
    const p = track(muxPair({ onChannelOpen: (_r, open) => void open.accept().attach({}) }));
    p.client.globalRequestNoReply({ type: "no-more-sessions@openssh.com" });
    const e = await p.client.openChannel({ type: "session" }).catch((x) => x);
    expect(p.server.noMoreSessions).toBe(true);
    expect(p.serverConn.closedWith).toEqual({
      reason: 2, description: "Possible attack: attempt to open a session after additional sessions disabled",
    });
    expect(e.name).toBe("ConnectionLostError");
  });
});

describe("protocol errors end the connection as OpenSSH does", () => {
  async function opened(p: MuxPair, windowBytes = 1000): Promise<[Channel, Channel]> {
    let serverCh!: Channel;
    p.server.handler = { onChannelOpen: (_r, open) => void (serverCh = open.accept({ windowBytes, maxPacketBytes: 500 })) };
    const ch = await p.client.openChannel({ type: "session" });
    return [ch, serverCh];
  }
  function raw(p: MuxPair, msg: number, fill: (w: import("../../../core/wire/index.ts").Writer) => void) {
    const w = p.clientConn.begin(msg, 64);
    fill(w);
    p.clientConn.commit(w);
  }

  test("data for a channel that does not exist", async () => {
    const p = track(muxPair());
    const closes: (Error | undefined)[] = [];
    p.server.handler = { onClose: (e) => closes.push(e) };
    raw(p, SSH_MSG_CHANNEL_DATA, (w) => w.u32(42).string("x"));
    await settle();
    expect(p.serverConn.closedWith).toEqual({ reason: 2, description: "data packet referred to nonexistent channel 42" });
    expect(closes[0]?.name).toBe("ProtocolError");
  });

  test("a peer that ignores our window (beyond OpenSSH's 10% grace)", async () => {
    const p = track(muxPair());
    const [ch, serverCh] = await opened(p, 1000);
    const held: ChannelData[] = [];
    serverCh.attach({ onData: (d) => held.push(d) }); // consumes nothing, so the window stays shut
    raw(p, SSH_MSG_CHANNEL_DATA, (w) => w.u32(ch.remoteId).string(pattern(500)));
    raw(p, SSH_MSG_CHANNEL_DATA, (w) => w.u32(ch.remoteId).string(pattern(500)));
    raw(p, SSH_MSG_CHANNEL_DATA, (w) => w.u32(ch.remoteId).string(pattern(50))); // 5% over: tolerated
    await settle();
    expect(p.serverConn.closedWith).toBeUndefined();
    raw(p, SSH_MSG_CHANNEL_DATA, (w) => w.u32(ch.remoteId).string(pattern(200)));
    await settle();
    expect(p.serverConn.closedWith).toEqual({ reason: 2, description: `channel ${serverCh.localId}: peer ignored channel window` });
    expect(held.reduce((n, d) => n + d.bytes.length, 0)).toBe(1050); // the tolerated excess was delivered
    for (const d of held) d.release();
  });

  test("a packet above our max packet is dropped, not delivered", async () => {
    const p = track(muxPair());
    const [ch, serverCh] = await opened(p, 100_000);
    const got = collect(serverCh);
    raw(p, SSH_MSG_CHANNEL_DATA, (w) => w.u32(ch.remoteId).string(pattern(501)));
    raw(p, SSH_MSG_CHANNEL_DATA, (w) => w.u32(ch.remoteId).string(pattern(10)));
    await settle();
    expect(got.stdout.map((c) => c.length)).toEqual([10]);
    expect(p.serverConn.closedWith).toBeUndefined();
    ch.close();
    await ch.closed;
  });

  test("extended data after EOF", async () => {
    const p = track(muxPair());
    const [ch, serverCh] = await opened(p);
    collect(serverCh);
    raw(p, SSH_MSG_CHANNEL_EOF, (w) => w.u32(ch.remoteId));
    raw(p, 95, (w) => w.u32(ch.remoteId).u32(1).string("late"));
    await settle();
    expect(p.serverConn.closedWith?.description).toBe(`Received extended_data after EOF on channel ${serverCh.localId}.`);
  });

  test("a truncated message, trailing bytes, an unexpected message number", async () => {
    for (const [msg, fill, why] of [
      [98, (w: import("../../../core/wire/index.ts").Writer) => w.u32(0).string("exec").bool(true).u32(100), "message truncated"],
      [96, (w: import("../../../core/wire/index.ts").Writer) => w.u32(0).u8(0), "channel eof: trailing data"],
    ] as const) {
      const p = track(muxPair());
      await opened(p);
      raw(p, msg, fill);
      await settle();
      expect(p.serverConn.closedWith).toEqual({ reason: 2, description: why });
    }
  });

  test("a userauth message after authentication is ignored; an unknown number gets UNIMPLEMENTED", async () => {
    const p = track(muxPair());
    await opened(p);
    raw(p, 60, (w) => w.u32(0));
    raw(p, 150, (w) => w.u32(0));
    await settle();
    expect(p.serverConn.closedWith).toBeUndefined();
    expect((p.serverConn as unknown as { unimplementedCount: number }).unimplementedCount).toBe(1);
  });

  test("a CLOSE twice: the second refers to a freed channel", async () => {
    const p = track(muxPair());
    const [ch, serverCh] = await opened(p);
    collect(serverCh);
    const id = ch.remoteId;
    raw(p, SSH_MSG_CHANNEL_CLOSE, (w) => w.u32(id));
    raw(p, SSH_MSG_CHANNEL_CLOSE, (w) => w.u32(id));
    await settle();
    expect(p.serverConn.closedWith?.description).toBe(`oclose packet referred to nonexistent channel ${id}`);
  });

  test("the connection ending closes every channel and fails what waits", async () => {
    const p = track(muxPair({ onChannelOpen: () => {} })); // never decides
    const [ch, serverCh] = await opened(p);
    const got = collect(ch);
    collect(serverCh);
    const pendingOpen = p.client.openChannel({ type: "session" });
    p.server.handler = { onChannelOpen: () => {} };
    const pendingReq = ch.request({ type: "shell" });
    const pendingGlobal = p.client.globalRequest({ type: "keepalive@openssh.com" });
    p.clientConn.close();
    expect(await pendingReq).toBe(false);
    expect((await pendingOpen.catch((e) => e)).name).toBe("ConnectionLostError");
    expect((await pendingGlobal.catch((e) => e)).name).toBe("ConnectionLostError");
    expect(got.events).toEqual(["close connection closed"]);
    expect(p.client.isClosed).toBe(true);
  });
});

describe("teardown and handler bugs", () => {
  test("abort() closes at once even when the peer stopped reading", async () => {
    let serverCh!: Channel;
    const held: ChannelData[] = [];
    const p = track(muxPair({
      onChannelOpen(_r, open) {
        serverCh = open.accept();
        serverCh.attach({});
      },
    }));
    const ch = await p.client.openChannel({ type: "session" }, { windowBytes: 1024 });
    ch.attach({ onData: (d) => held.push(d) }); // never releases
    serverCh.write(pattern(10_000));
    await settle();
    expect(serverCh.queuedBytes).toBe(10_000 - 1024);
    serverCh.close();
    await settle();
    expect(serverCh.isClosed).toBe(false); // graceful close waits behind the data
    serverCh.abort();
    await serverCh.closed;
    await ch.closed;
    expect(() => {
      held[0]!.release();
      held[0]!.release();
    }).toThrow("ChannelData released twice");
    for (const d of held.slice(1)) d.release();
  });

  test("a handler that throws something else is a bug: reported, and the connection ends with PROTOCOL_ERROR", async () => {
    const errors: unknown[] = [];
    const { fakeConnPair } = await import("../../helpers/fake-conn.ts");
    const { ChannelMux } = await import("../../../core/connection/index.ts");
    const { client: cc, server: sc, pool } = fakeConnPair();
    pools.push(pool);
    const client = new ChannelMux(cc);
    new ChannelMux(sc, { handler: { onChannelOpen: () => { throw new TypeError("oops"); } }, onError: (e) => errors.push(e) });
    const e = await client.openChannel({ type: "session" }).catch((x) => x);
    expect(e.name).toBe("ConnectionLostError");
    expect(sc.closedWith).toEqual({ reason: 2, description: "internal error" });
    expect(String(errors[0])).toBe("TypeError: oops");
  });

  test("a direct-tcpip open with a port above 65535 is refused before the handler sees it", async () => {
    let asked = 0;
    const p = track(muxPair({ onChannelOpen: (_r, open) => (asked++, void open.accept().attach({})) }));
    const e = await p.client.openChannel({ type: "direct-tcpip", hostToConnect: "h", portToConnect: 70000, originatorAddress: "o", originatorPort: 1 }).catch((x) => x);
    expect([e.code, asked]).toEqual([1, 0]);
  });
});

describe("stream plumbing", () => {
  test("pumpToChannel and dataSink carry a child-like stdout and stderr through small windows, slow sink included", async () => {
    const { pumpToChannel, dataSink } = await import("../../../core/connection/index.ts");
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    let exit = -1;
    const stdout = Array.from({ length: 40 }, (_, i) => pattern(3000 + i, i + 1));
    const stderr = Array.from({ length: 10 }, (_, i) => pattern(500, i + 100));
    async function* gen(chunks: Uint8Array[]) {
      for (const c of chunks) {
        await Promise.resolve();
        yield c;
      }
    }
    const p = track(muxPair({
      onChannelOpen(_r, open) {
        const ch = open.accept({ windowBytes: 4096, maxPacketBytes: 1024, writeHighWaterBytes: 2048 });
        ch.attach({
          onRequest: (r) => {
            if (r.type !== "exec") return false;
            void Promise.all([pumpToChannel(gen(stdout), ch), pumpToChannel(gen(stderr), ch, 1)]).then(() => {
              ch.send({ type: "exit-status", exitStatus: 0 });
              ch.close();
            });
            return true;
          },
        });
      },
    }));
    const ch = await p.client.openChannel({ type: "session" }, { windowBytes: 2048, maxPacketBytes: 512 });
    ch.attach({
      // a sink that takes a timer tick per chunk
      onData: dataSink((bytes, done) => void setTimeout(() => (out.push(bytes.slice()), done()), 0)),
      onExtendedData: dataSink((bytes, done) => (err.push(bytes.slice()), done())),
      onRequest: (r) => (r.type === "exit-status" && (exit = r.exitStatus), false),
    });
    expect(await ch.request({ type: "exec", command: "cat big" })).toBe(true);
    await ch.closed;
    await new Promise((r) => setTimeout(r, 20));
    expect(checksum(out)).toBe(checksum(stdout));
    expect(checksum(err)).toBe(checksum(stderr));
    expect(exit).toBe(0);
  });
});
