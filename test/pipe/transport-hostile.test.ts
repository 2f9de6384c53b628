// The transport against noisy, dying and hostile peers: IGNORE/DEBUG between packets, links cut after n packets,
// strict-KEX violations, and mutated handshakes that must fail only with protocol errors.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { memoryLinkPair, type Link } from "../../core/transport/link.ts";
import { Transport, HostKeyVerificationError } from "../../core/transport/transport.ts";
import { IdentificationError } from "../../core/transport/version.ts";
import { ConnectionLostError, NegotiationError, PeerDisconnectedError, ProtocolError } from "../../core/errors.ts";
import { KexError } from "../../core/crypto/types.ts";
import { SshEncodingError } from "../../core/crypto/ssh-encoding.ts";
import { verifySignature } from "../../core/crypto/registry.ts";
import { BufferPool, Writer, SSH_MSG_IGNORE, SSH_MSG_DEBUG } from "../../core/wire/index.ts";
import { TABLES, hostKeySigner, prefs, transportPair } from "../helpers/transport.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

/** A transport that sends IGNORE and DEBUG before every message it commits (STYLE.md §7 noisy()). */
class NoisyTransport extends Transport {
  override commit(w: Writer): void {
    const ignore = this.begin(SSH_MSG_IGNORE, 16);
    ignore.string("noise");
    super.commit(ignore);
    const debug = this.begin(SSH_MSG_DEBUG, 32);
    debug.bool(false).string("debugging noise").string("");
    super.commit(debug);
    super.commit(w);
  }
}

/** Ends both links after `n` writes from `a` (each sealed packet is one write). */
function failAfter([a, b]: [Link, Link], n: number): [Link, Link] {
  let writes = 0;
  const write = a.write.bind(a);
  a.write = (d) => {
    if (++writes > n) {
      a.end();
      return d.length;
    }
    return write(d);
  };
  return [a, b];
}

describe("noisy peers", () => {
  test("IGNORE and DEBUG before every message change nothing (after the initial exchange, where strict KEX forbids them)", async () => {
    const t = transportPair();
    await Promise.all([t.client.ready, t.server.ready]);
    // Swap the client's commit for a noisy one now that keys are in place.
    Object.setPrototypeOf(t.client, NoisyTransport.prototype);
    const got: number[] = [];
    const done = new Promise<void>((resolve) => {
      t.server.onMessage = (p, lease) => {
        got.push(p[0]!);
        lease.release();
        if (got.length === 3) resolve();
      };
    });
    for (let i = 0; i < 3; i++) {
      const w = t.client.begin(94, 8);
      w.u32(i);
      t.client.commit(w);
    }
    await done;
    expect(got).toEqual([94, 94, 94]);
    t.client.close();
    await t.server.closed;
    expect(t.pool.outstanding).toBe(0);
  });
});

describe("links that die", () => {
  test.each([0, 1, 2, 3, 4, 5, 8, 13])("a link that dies after %i client packets fails both sides cleanly", async (n) => {
    const pool = new BufferPool({ checked: true });
    const t = transportPair({ pool, wrap: (links) => failAfter(links, n) });
    const settled = await Promise.allSettled([t.client.ready, t.server.ready]);
    // The client writes its version line, KEXINIT, ECDH_INIT and NEWKEYS: four writes complete its side.
    if (n >= 4) expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled"]);
    else expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected"]);
    t.client.close();
    t.server.close();
    await Promise.all([t.client.closed, t.server.closed]);
    expect(pool.outstanding).toBe(0);
  });
});

/** The cleartext bytes a client sends up to its KEX message, recorded once. */
async function recordClientHello(): Promise<Uint8Array> {
  const [a, b] = memoryLinkPair();
  const chunks: Uint8Array[] = [];
  const write = a.write.bind(a);
  a.write = (d) => {
    chunks.push(d.slice());
    return write(d);
  };
  void b;
  const client = new Transport({ role: "client", link: a, tables: TABLES, preferences: prefs({ kex: ["curve25519-sha256"] }), software: "sshbox_test", verifySignature, checkHostKey: () => true });
  // Answer with a server's version and KEXINIT so the client gets to its ECDH_INIT.
  const server = new Transport({ role: "server", link: b, tables: TABLES, preferences: prefs(), software: "sshbox_test", hostKeys: [hostKeySigner("ed25519")], verifySignature });
  await Promise.allSettled([client.ready]);
  client.close();
  server.close();
  return Buffer.concat(chunks.slice(0, 3)); // version line, KEXINIT, KEX_ECDH_INIT: all cleartext
}

function isProtocolFailure(e: unknown): boolean {
  return (
    e === undefined || e instanceof ProtocolError || e instanceof IdentificationError || e instanceof NegotiationError ||
    e instanceof KexError || e instanceof ConnectionLostError || e instanceof PeerDisconnectedError ||
    e instanceof HostKeyVerificationError || e instanceof SshEncodingError
  );
}

/** Feeds `bytes` to a fresh server as the client's stream; resolves with the error that closed it. */
async function feedServer(bytes: Uint8Array): Promise<{ error: Error | undefined; pool: BufferPool }> {
  const pool = new BufferPool({ checked: true });
  const [a, b] = memoryLinkPair();
  const server = new Transport({ role: "server", link: b, tables: TABLES, preferences: prefs(), software: "sshbox_test", hostKeys: [hostKeySigner("ed25519")], verifySignature, pool });
  a.onData = () => {};
  a.write(bytes);
  setTimeout(() => a.end(), 20);
  const error = await server.closed;
  return { error, pool };
}

describe("hostile handshakes", () => {
  test("strict KEX: an IGNORE before KEXINIT ends the connection", async () => {
    const hello = await recordClientHello();
    // Re-frame: version line, then an IGNORE packet (none cipher: length, padding 4..) before the recorded KEXINIT.
    const lineEnd = hello.indexOf(0x0a) + 1;
    const ignore = Uint8Array.of(0, 0, 0, 12, 10, SSH_MSG_IGNORE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const bytes = Buffer.concat([hello.subarray(0, lineEnd), ignore, hello.subarray(lineEnd)]);
    const { error } = await feedServer(bytes);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error!.message).toBe("strict KEX violation: KEXINIT was not the first packet"); // kex.c wording
  });
  test("an SSH-1.5 client is refused with OpenSSH's words", async () => {
    const { error } = await feedServer(new TextEncoder().encode("SSH-1.5-old\r\n"));
    expect(error).toBeInstanceOf(IdentificationError);
    expect((error as IdentificationError).toPeer).toBe("Protocol major versions differ.");
  });
  test("an oversize packet length is refused", async () => {
    const { error } = await feedServer(Buffer.concat([new TextEncoder().encode("SSH-2.0-x\r\n"), Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0)]));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error!.message).toBe("Packet corrupt");
  });
  test("mutated client handshakes fail only with protocol errors and leak no memory", async () => {
    const hello = await recordClientHello();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ at: fc.nat(hello.length - 1), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }), async (flips) => {
        const bytes = hello.slice();
        for (const f of flips) bytes[f.at]! ^= f.xor;
        const { error, pool } = await feedServer(bytes);
        if (!isProtocolFailure(error)) throw error;
        expect(pool.outstanding).toBe(0);
      }),
      { numRuns: RUNS },
    );
  }, 60_000);
  test("random bytes after a valid version line fail only with protocol errors", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 3000 }), async (junk) => {
        const { error, pool } = await feedServer(Buffer.concat([new TextEncoder().encode("SSH-2.0-fuzz\r\n"), junk]));
        if (!isProtocolFailure(error)) throw error;
        expect(pool.outstanding).toBe(0);
      }),
      { numRuns: RUNS },
    );
  }, 60_000);
});
