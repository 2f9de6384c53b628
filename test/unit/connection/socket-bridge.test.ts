// SocketBridge over a back-to-back fake transport and a fake socket that takes only part of each write: every byte
// arrives in order, the peer's window is held shut while the socket is stalled, half-closes go OpenSSH's way
// (EOF -> shutdown(SHUT_WR) after the queue; the socket's FIN -> EOF), and every lease comes back.
import { afterEach, describe, expect, test } from "bun:test";
import { SocketBridge, type BridgeSocket, type Channel } from "../../../core/connection/index.ts";
import type { BufferPool } from "../../../core/wire/index.ts";
import { collect, muxPair, settle } from "./helpers.ts";

let pools: BufferPool[] = [];
afterEach(async () => {
  await settle();
  for (const p of pools) expect(p.outstanding).toBe(0);
  pools = [];
});

/** A socket that accepts at most `cap` bytes per write() (0: stalled) and records what happens to it. */
function fakeSocket() {
  const s = {
    cap: Infinity,
    written: [] as Uint8Array[],
    calls: [] as string[],
    write(b: Uint8Array): number {
      if (s.calls.includes("end")) return -1;
      const n = Math.min(s.cap, b.length);
      if (n > 0) s.written.push(b.slice(0, n));
      return n;
    },
    shutdown: () => void s.calls.push("shutdown"),
    end: () => void s.calls.push("end"),
    terminate: () => void s.calls.push("terminate"),
    pause: () => void s.calls.push("pause"),
    resume: () => void s.calls.push("resume"),
    bytes: () => Buffer.concat(s.written),
  };
  return s satisfies BridgeSocket;
}

/** A server channel joined to a fake socket by a bridge, and the client's end of it. */
async function bridged(windowBytes?: number) {
  const socket = fakeSocket();
  const bridge = new SocketBridge();
  bridge.opened(socket);
  let serverCh: Channel | undefined;
  const p = muxPair({
    onChannelOpen: (_req, open) => {
      serverCh = open.accept(windowBytes !== undefined ? { windowBytes } : undefined);
      bridge.attach(serverCh);
    },
  });
  pools.push(p.pool);
  const client = await p.client.openChannel({ type: "direct-tcpip", hostToConnect: "h", portToConnect: 1, originatorAddress: "o", originatorPort: 2 });
  return { socket, bridge, client, serverCh: serverCh!, p };
}

describe("SocketBridge", () => {
  test("a stalled socket holds the bytes (and the window); drains deliver them all in order; EOF becomes shutdown after the queue", async () => {
    const { socket, bridge, client } = await bridged(64 * 1024);
    const got = collect(client);
    socket.cap = 0;
    const payload = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    for (let off = 0; off < payload.length; off += 10_000) client.write(payload.subarray(off, off + 10_000));
    client.end();
    await settle();
    expect(socket.bytes().length).toBe(0);
    expect(client.remoteWindowBytes).toBe(0); // nothing released, so the window stayed shut
    expect(socket.calls).not.toContain("shutdown");
    socket.cap = 777; // partial writes from here on
    for (let i = 0; i < 1000 && socket.bytes().length < payload.length; i++) {
      bridge.drain();
      await settle();
    }
    expect(Buffer.from(socket.bytes()).equals(Buffer.from(payload))).toBe(true);
    expect(socket.calls).toContain("shutdown");
    // the socket answers, then sends its FIN: data then EOF reach the client, and the socket is ended
    bridge.data(new TextEncoder().encode("answer"));
    bridge.end();
    await settle();
    expect(got.text()).toBe("answer");
    expect(got.events).toContain("eof");
    expect(socket.calls).toContain("end");
    bridge.closed();
    await settle();
    expect(got.events).toContain("close");
    expect(client.isClosed).toBe(true);
    await bridge.done;
  });

  test("bytes from the socket before the channel wait and go first; a full channel pauses the socket, onDrain resumes it", async () => {
    const socket = fakeSocket();
    const bridge = new SocketBridge();
    bridge.opened(socket);
    expect(socket.calls).toEqual(["pause"]);
    bridge.data(new TextEncoder().encode("early "));
    let client: Channel | undefined;
    const p = muxPair({}, {
      onChannelOpen: (_req, open) => {
        client = open.accept({ windowBytes: 16 * 1024 });
      },
    });
    pools.push(p.pool);
    const serverCh = await p.server.openChannel({ type: "forwarded-tcpip", connectedAddress: "localhost", connectedPort: 1, originatorAddress: "127.0.0.1", originatorPort: 2 });
    bridge.attach(serverCh);
    await settle();
    const got = collect(client!);
    bridge.data(new Uint8Array(200_000).fill(1)); // more than the channel's queue takes at once
    expect(socket.calls.filter((c) => c === "pause").length).toBe(2);
    await settle();
    for (let i = 0; i < 100 && !socket.calls.includes("resume"); i++) await settle();
    expect(socket.calls).toContain("resume");
    expect(got.text().startsWith("early ")).toBe(true);
    bridge.closed(); // the socket went away: the channel closes after what it queued
    for (let i = 0; i < 100 && !got.events.includes("close"); i++) await settle();
    expect(Buffer.concat(got.stdout).length).toBe(6 + 200_000);
    expect(got.events.slice(-2)).toEqual(["eof", "close"]);
  });

  test("the connection ending drops what waits for the socket and ends it", async () => {
    const { socket, bridge, client, p } = await bridged();
    socket.cap = 0;
    client.write(new Uint8Array(5000));
    await settle();
    p.clientConn.close();
    await settle();
    expect(socket.calls).toContain("end");
    bridge.closed();
    await bridge.done;
  });

  test("abandon(): a socket whose channel never opened is ended", () => {
    const socket = fakeSocket();
    const bridge = new SocketBridge();
    bridge.opened(socket);
    bridge.data(new Uint8Array(10));
    bridge.abandon();
    expect(socket.calls).toEqual(["pause", "end"]);
  });
});
