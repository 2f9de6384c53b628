// Two ChannelMuxes over fakeConnPair, and small tools the connection tests share.
import { ChannelMux, type Channel, type ChannelData, type MuxHandler, type MuxOptions } from "../../../core/connection/index.ts";
import { fakeConnPair, type FakeConn } from "../../helpers/fake-conn.ts";
import type { BufferPool } from "../../../core/wire/index.ts";

export interface MuxPair {
  client: ChannelMux;
  server: ChannelMux;
  clientConn: FakeConn;
  serverConn: FakeConn;
  pool: BufferPool;
}

/** A client and a server mux joined back to back. */
export function muxPair(serverHandler: MuxHandler = {}, clientHandler: MuxHandler = {}, options: MuxOptions = {}): MuxPair {
  const { client: clientConn, server: serverConn, pool } = fakeConnPair();
  const client = new ChannelMux(clientConn, { ...options, handler: clientHandler });
  const server = new ChannelMux(serverConn, { ...options, handler: serverHandler });
  return { client, server, clientConn, serverConn, pool };
}

/** Lets every queued message be delivered (the fake transport delivers in microtasks). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Message numbers a fake conn committed. */
export function sentTypes(conn: FakeConn): number[] {
  return conn.sent.map((p) => p[0]!);
}

/** Collects everything a channel receives, copying and releasing data at once. */
export function collect(ch: Channel): {
  stdout: Uint8Array[];
  stderr: Uint8Array[];
  events: string[];
  text(): string;
  errText(): string;
} {
  const out = {
    stdout: [] as Uint8Array[],
    stderr: [] as Uint8Array[],
    events: [] as string[],
    text: () => new TextDecoder().decode(Buffer.concat(out.stdout)),
    errText: () => new TextDecoder().decode(Buffer.concat(out.stderr)),
  };
  ch.attach({
    onData: (d: ChannelData) => {
      out.stdout.push(d.bytes.slice());
      out.events.push("data");
      d.release();
    },
    onExtendedData: (d: ChannelData) => {
      out.stderr.push(d.bytes.slice());
      out.events.push("stderr");
      d.release();
    },
    onEof: () => out.events.push("eof"),
    onRequest: (req) => {
      out.events.push(req.type === "exit-status" ? `exit-status ${req.exitStatus}` : req.type);
      return false;
    },
    onClose: (err) => out.events.push(err ? `close ${err.message}` : "close"),
  });
  return out;
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A deterministic byte pattern. */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** FNV-1a over chunks, as a hex string. */
export function checksum(chunks: Iterable<Uint8Array>): string {
  let h = 0x811c9dc5;
  for (const c of chunks) for (let i = 0; i < c.length; i++) h = Math.imul(h ^ c[i]!, 0x01000193) >>> 0;
  return h.toString(16);
}
