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
  for await (const chunk of source) {
    if (channel.isClosed || channel.closeReceived) return;
    const more = dataType === 0 ? channel.write(chunk) : channel.writeExtended(dataType, chunk);
    if (!more) await channel.drained();
  }
}

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
