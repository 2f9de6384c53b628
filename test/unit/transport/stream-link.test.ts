// StreamLink (core/transport/link.ts) when the other end stops reading: what it wrote before still arrives, and then
// the end, once; a peer that never closes its output still ends the link (after the grace period).
import { expect, test } from "bun:test";
import { StreamLink } from "../../../core/transport/link.ts";

const epipe = (): never => {
  throw Object.assign(new Error("broken pipe"), { code: "EPIPE" });
};

test("a write failing with EPIPE: the peer's last bytes are delivered before the end, which is reported once", async () => {
  let push!: (b: Uint8Array) => void;
  let close!: () => void;
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      push = (b) => c.enqueue(b);
      close = () => c.close();
    },
  });
  const link = new StreamLink(input, { write: epipe });
  const events: string[] = [];
  link.onData = (b) => events.push(`data ${new TextDecoder().decode(b)}`);
  link.onEnd = (e) => events.push(`end ${e === undefined ? "clean" : e.message}`);
  expect(link.write(new Uint8Array([1, 2, 3]))).toBe(3); // the peer is gone: taken, dropped, not the end yet
  expect(link.write(new Uint8Array([4]))).toBe(1);
  push(new TextEncoder().encode("its KEXINIT"));
  close();
  await Bun.sleep(20);
  expect(events).toEqual(["data its KEXINIT", "end clean"]);
});

test("a write failing with EPIPE while the peer keeps its output open: the link still ends", async () => {
  const input = new ReadableStream<Uint8Array>({ start() {} }); // never ends
  const link = new StreamLink(input, { write: epipe });
  const ended = new Promise<Error | undefined>((resolve) => (link.onEnd = resolve));
  link.write(new Uint8Array([1]));
  expect(await ended).toBeUndefined();
});

test("a rejected flush counts as a failed write too", async () => {
  let close!: () => void;
  const input = new ReadableStream<Uint8Array>({ start(c) { close = () => c.close(); } });
  const link = new StreamLink(input, { write: (b) => b.length, flush: () => Promise.reject(new Error("EPIPE")) });
  let ends = 0;
  link.onEnd = () => ends++;
  link.write(new Uint8Array([1]));
  await Bun.sleep(5);
  expect(ends).toBe(0); // waiting for the read side
  close();
  await Bun.sleep(20);
  expect(ends).toBe(1);
});
