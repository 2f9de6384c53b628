// Agent forwarding, ssh's side (clientloop.c client_request_agent): after `auth-agent-req@openssh.com`, the server
// opens `auth-agent@openssh.com` channels; each is joined to a new connection to the local agent socket, bytes
// copied both ways until either side ends. Bun sockets drop what write() does not take (bun-platform.md §4), so bytes
// for the agent wait in a queue until drain; the channel's own queue holds bytes for the server.
import type { Socket } from "bun";
import type { Channel } from "../connection/index.ts";

/** Joins `channel` to a new connection to the agent at `path`. Resolves once connected; rejects (and the caller refuses the open) otherwise. */
export async function connectAgentChannel(path: string, accept: () => Channel): Promise<void> {
  let channel: Channel | null = null;
  let queue: Uint8Array[] = [];
  const pending: Uint8Array[] = []; // agent bytes that arrived before the channel was accepted (none in practice)
  const flush = (s: Socket<undefined>): void => {
    while (queue.length > 0) {
      const head = queue[0]!;
      const n = s.write(head);
      if (n < head.length) {
        queue[0] = head.subarray(Math.max(n, 0));
        return;
      }
      queue.shift();
    }
    if (channel?.eofReceived) s.end();
  };
  const socket = await Bun.connect({
    unix: path,
    socket: {
      data: (_s, chunk) => {
        const copy = chunk.slice(); // the channel keeps a reference until sent
        if (channel === null) pending.push(copy);
        else if (!channel.isClosed && !channel.closeSent) channel.write(copy);
      },
      drain: (s) => flush(s),
      close: () => channel?.close(),
      error: () => channel?.close(),
    },
  });
  channel = accept();
  for (const b of pending.splice(0)) channel.write(b);
  channel.attach({
    onData: (data) => {
      queue.push(data.bytes.slice());
      data.release();
      flush(socket);
    },
    onEof: () => {
      if (queue.length === 0) socket.end();
    },
    onClose: () => {
      queue = [];
      socket.end();
    },
  });
}
