// Plumbing between a channel and byte streams (a child's stdio or pty in sshd; stdin, stdout, stderr in ssh), with
// backpressure both ways: a full channel queue pauses the source, an unfinished sink holds the peer's window shut.
import type { Channel, ChannelData } from "./channel.ts";

/**
 * Copies `source` into the channel as CHANNEL_DATA (`dataType` 0) or EXTENDED_DATA (1: stderr), waiting whenever the
 * channel's queue is full. Resolves when `source` ends or the channel can take no more; sends no EOF (call end() once
 * every producer is done). The channel keeps each chunk until it is sent, so `source` must yield fresh chunks (Bun's
 * and Node's streams do).
 */
export async function pumpToChannel(source: AsyncIterable<Uint8Array>, channel: Channel, dataType = 0): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  const put = (chunk: Uint8Array): boolean => (dataType === 0 ? channel.write(chunk) : channel.writeExtended(dataType, chunk));
  let next = it.next();
  let done = false;
  try {
    await pump();
  } finally {
    // as `for await` does when left early: the source is told to stop (a child's pipe is released)
    if (!done) void Promise.resolve(it.return?.()).catch(() => {});
  }
  async function pump(): Promise<void> {
    for (;;) {
      const first = await next;
      if (first.done) return void (done = true);
      if (channel.isClosed || channel.closeReceived) return;
      // A pipe read gives what the writer wrote last (4-16 KiB): chunks that are already waiting are taken too, so
      // they leave as full packets. "Waiting" means the next read settles before the event loop turns once more, so an
      // interactive byte is never held back.
      const held = [first.value];
      let heldBytes = first.value.length;
      next = it.next();
      let ended = false;
      while (heldBytes < GATHER_BYTES) {
        const turn = new Promise<null>((resolve) => setImmediate(() => resolve(null)));
        const r = await Promise.race([next, turn]);
        if (r === null) break;
        if (r.done) {
          ended = true;
          break;
        }
        held.push(r.value);
        heldBytes += r.value.length;
        next = it.next();
      }
      if (channel.isClosed || channel.closeReceived) return;
      let more = true;
      channel.corked(() => {
        for (const c of held) more = put(c);
      });
      if (ended) return void (done = true);
      if (!more) await channel.drained();
    }
  }
}

/** Bytes pumpToChannel gathers at most before sending (one full packet of OpenSSH's 32 KiB maximum). */
const GATHER_BYTES = 32 * 1024;

/**
 * An onData/onExtendedData consumer that hands each chunk's bytes to `write` and releases the chunk when `write`
 * calls `done` (the sink no longer needs the bytes: Node's write callback, a settled FileSink promise). Until then the
 * bytes count against the window, so a slow sink slows the peer. `bytes` is valid only until `done`.
 */
export function dataSink(write: (bytes: Uint8Array, done: () => void) => void): (data: ChannelData) => void {
  return (data) => {
    let released = false;
    const done = (): void => {
      if (released) return;
      released = true;
      data.release();
    };
    try {
      write(data.bytes, done);
    } catch (err) {
      done();
      throw err;
    }
  };
}
