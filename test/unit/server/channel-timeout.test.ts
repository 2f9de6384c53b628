// ChannelTimeout and UnusedConnectionTimeout (core/server/channel-timeout.ts): type matching, and the watch over two real
// muxes back to back with a fake clock (check() is called by hand; no timers).
import { describe, expect, test } from "bun:test";
import type { Channel, ChannelOpenRequest } from "../../../core/connection/index.ts";
import { LogLevel, makeLogger } from "../../../core/log.ts";
import { channelTimeoutType, IdleWatch, lookupChannelTimeout, parseChannelTimeouts } from "../../../core/server/channel-timeout.ts";
import { collect, muxPair, settle, type MuxPair } from "../connection/helpers.ts";

describe("ChannelTimeout words", () => {
  test("type=interval pairs in order, global apart, time units", () => {
    expect(parseChannelTimeouts(["session:command=1", "global=5m", "direct-*=1h30m"])).toEqual({
      rules: [{ pattern: "session:command", seconds: 1 }, { pattern: "direct-*", seconds: 5400 }],
      globalSeconds: 300,
    });
    expect(parseChannelTimeouts([])).toEqual({ rules: [], globalSeconds: 0 });
  });

  test("the first matching pattern decides; a pattern matches the whole type; global is never a wildcard's", () => {
    const t = parseChannelTimeouts(["session:subsystem:sftp=7", "session:*=3", "session=9", "*=11", "global=2"]);
    expect(lookupChannelTimeout(t, "session:subsystem:sftp")).toBe(7);
    expect(lookupChannelTimeout(t, "session:command")).toBe(3);
    expect(lookupChannelTimeout(t, "session:shell")).toBe(3);
    expect(lookupChannelTimeout(t, "session")).toBe(9);
    expect(lookupChannelTimeout(t, "direct-tcpip")).toBe(11);
    expect(lookupChannelTimeout(parseChannelTimeouts(["session:shell=1"]), "session:command")).toBe(0);
    expect(lookupChannelTimeout(parseChannelTimeouts(["global=2"]), "global")).toBe(0);
    expect(lookupChannelTimeout(parseChannelTimeouts(["direct-?cpip=4"]), "direct-tcpip")).toBe(4);
  });

  test("channels are named as OpenSSH names them: the label first, then the ctype", () => {
    expect(channelTimeoutType({ type: "session", label: undefined })).toBe("session");
    expect(channelTimeoutType({ type: "session", label: "session:subsystem:sftp" })).toBe("session:subsystem:sftp");
    expect(channelTimeoutType({ type: "auth-agent@openssh.com", label: undefined })).toBe("agent-connection");
    expect(channelTimeoutType({ type: "x11", label: undefined })).toBe("x11-connection");
    expect(channelTimeoutType({ type: "tun@openssh.com", label: undefined })).toBe("tun-connection");
    expect(channelTimeoutType({ type: "forwarded-tcpip", label: undefined })).toBe("forwarded-tcpip");
  });
});

/** A server mux that accepts every open, a client mux, a fake clock and a watch on the server side. */
function setup(channelTimeout: string[], unusedConnectionSeconds = 0) {
  const serverChannels: Channel[] = [];
  const p: MuxPair = muxPair({
    onChannelOpen(_req, open) {
      const ch = open.accept();
      ch.attach({ onData: (d) => d.release() });
      serverChannels.push(ch);
    },
  });
  let nowMs = 1_000_000;
  const lines: string[] = [];
  let closed = 0;
  const watch = new IdleWatch(p.server, {
    timeouts: parseChannelTimeouts(channelTimeout),
    unusedConnectionSeconds,
    remoteId: "user alice 192.0.2.1 port 5555",
    closeConnection: () => closed++,
    log: makeLogger(LogLevel.DEBUG3, (line) => lines.push(line)),
    now: () => nowMs,
  });
  const open = async (req: ChannelOpenRequest = { type: "session" }) => {
    const ch = await p.client.openChannel(req);
    const seen = collect(ch);
    await settle();
    return { client: ch, server: serverChannels.at(-1)!, seen };
  };
  return {
    p, watch, lines, open,
    get closed() { return closed; },
    /** Moves the clock and runs one check, then lets the messages it sent arrive. */
    async at(ms: number) {
      nowMs += ms;
      watch.check();
      await settle();
    },
  };
}

describe("IdleWatch", () => {
  test("an idle session:command channel is closed after its timeout; the client sees EOF and CLOSE, no exit-status", async () => {
    const t = setup(["session:command=1"]);
    const a = await t.open();
    a.server.label = "session:command";
    await t.at(0); // the watch meets the channel
    await t.at(900);
    expect(a.seen.events).toEqual([]);
    await t.at(200);
    expect(a.seen.events).toEqual(["eof", "close"]);
    expect(t.lines).toContain("channel 0: closing after 1 seconds of inactivity");
  });

  test("traffic either way keeps a channel open; it closes once the traffic stops", async () => {
    const t = setup(["session:*=1"]);
    const a = await t.open();
    a.server.label = "session:shell";
    await t.at(0);
    for (let i = 0; i < 5; i++) {
      if (i % 2 === 0) a.client.write(new Uint8Array([i])); // client to server
      else a.server.write(new Uint8Array([i])); // server to client
      await settle();
      await t.at(700);
    }
    expect(a.seen.events).not.toContain("close");
    await t.at(700);
    await t.at(400);
    expect(a.seen.events.slice(-2)).toEqual(["eof", "close"]);
  });

  test("a timeout for another label leaves the channel alone; a label set later looks the timeout up again", async () => {
    const t = setup(["session:shell=1"]);
    const a = await t.open();
    a.server.label = "session:command";
    await t.at(0);
    await t.at(5000);
    expect(a.seen.events).toEqual([]);
    const b = await t.open();
    await t.at(0);
    b.server.label = "session:shell";
    await t.at(1100);
    expect(b.seen.events).toEqual(["eof", "close"]);
    expect(a.seen.events).toEqual([]);
  });

  test("global: all channels idle together closes every one; traffic on any one keeps them all", async () => {
    const t = setup(["global=2"]);
    const a = await t.open();
    const b = await t.open({ type: "direct-tcpip", hostToConnect: "h", portToConnect: 1, originatorAddress: "o", originatorPort: 2 });
    await t.at(0);
    for (let i = 0; i < 3; i++) {
      a.client.write(new Uint8Array([1]));
      await settle();
      await t.at(1500);
    }
    expect(b.seen.events).toEqual([]);
    await t.at(1000);
    await t.at(1100);
    expect(a.seen.events).toEqual(["eof", "close"]);
    expect(b.seen.events).toEqual(["eof", "close"]);
  });

  test("UnusedConnectionTimeout: the connection ends after that long without channels, not while one is open", async () => {
    const t = setup([], 2);
    await t.at(1500);
    const a = await t.open();
    await t.at(0);
    await t.at(5000);
    expect(t.closed).toBe(0);
    a.client.close();
    await settle();
    expect(t.p.server.channelCount).toBe(0);
    await t.at(0); // the clock starts again
    await t.at(1900);
    expect(t.closed).toBe(0);
    await t.at(200);
    expect(t.closed).toBe(1);
    expect(t.lines).toContain("terminating inactive connection from user alice 192.0.2.1 port 5555");
  });

  test("with nothing configured the watch is inactive (no timer)", () => {
    expect(setup([]).watch.active).toBe(false);
    expect(setup(["session=0"]).watch.active).toBe(false);
    expect(setup(["session=5"]).watch.tickMs).toBe(1000);
    expect(setup([], 2).watch.tickMs).toBe(500);
    expect(setup(["session:command=1"]).watch.tickMs).toBe(250);
  });
});
