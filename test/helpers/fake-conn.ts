// A pair of in-memory PacketConns joined back to back: what one side commits, the other receives as a pooled
// message, asynchronously (a microtask later) and in order. For testing auth and connection over a fake transport.
import { BufferPool, Writer, type Lease } from "../../core/wire/index.ts";
import type { PacketConn } from "../../core/transport/types.ts";

export interface FakeConn extends PacketConn {
  /** Messages this side committed, as copies (for assertions). */
  readonly sent: Uint8Array[];
  /** Whether disconnect() or close() was called, and with what. */
  readonly closedWith: { reason?: number; description?: string } | undefined;
}

/** Two connected fake transports sharing one checked pool (its `outstanding` must be 0 after a test). */
export function fakeConnPair(opts: { sessionId?: Uint8Array; serverHostKey?: Uint8Array } = {}): {
  client: FakeConn;
  server: FakeConn;
  pool: BufferPool;
} {
  const pool = new BufferPool({ checked: true });
  const sessionId = opts.sessionId ?? new Uint8Array(32).fill(0x5a);
  const serverHostKey = opts.serverHostKey ?? new Uint8Array([0, 0, 0, 11, ...new TextEncoder().encode("ssh-ed25519"), 0, 0, 0, 32, ...new Uint8Array(32)]);
  const make = (role: "client" | "server"): FakeConn & { peer?: FakeConn & { deliver(b: Uint8Array): void }; deliver(b: Uint8Array): void } => {
    const conn = {
      role,
      sent: [] as Uint8Array[],
      closedWith: undefined as { reason?: number; description?: string } | undefined,
      backlogBytes: 0,
      sessionId,
      serverHostKey,
      peerVersion: role === "client" ? "SSH-2.0-FakeServer" : "SSH-2.0-FakeClient",
      peerExtensions: new Map<string, Uint8Array>(),
      onMessage: (_p: Uint8Array, lease: Lease) => lease.release(),
      onClose: (_e: Error | undefined) => {},
      onWritable: () => {},
      peer: undefined as (FakeConn & { deliver(b: Uint8Array): void }) | undefined,
      begin(msg: number, sizeHint = 64): Writer {
        const w = new Writer(pool, sizeHint + 1, 5);
        w.u8(msg);
        return w;
      },
      commit(w: Writer): void {
        const bytes = w.toBytes();
        w.release();
        if (conn.closedWith) return;
        conn.sent.push(bytes);
        const peer = conn.peer!;
        queueMicrotask(() => peer.deliver(bytes));
      },
      deliver(bytes: Uint8Array): void {
        if (conn.closedWith) return;
        const lease = pool.take(bytes.length);
        lease.bytes.set(bytes);
        conn.onMessage(lease.bytes.subarray(0, bytes.length), lease);
      },
      disconnect(reason: number, description: string): void {
        if (conn.closedWith) return;
        conn.closedWith = { reason, description };
        conn.onClose(undefined);
        const peer = conn.peer!;
        queueMicrotask(() => peer.close());
      },
      close(): void {
        if (conn.closedWith) return;
        conn.closedWith = {};
        conn.onClose(undefined);
        const peer = conn.peer!;
        queueMicrotask(() => peer.close());
      },
      rekey(): void {},
      unimplementedCount: 0,
      unimplemented(): void {
        conn.unimplementedCount++;
      },
    };
    return conn;
  };
  const client = make("client");
  const server = make("server");
  client.peer = server;
  server.peer = client;
  return { client, server, pool };
}
