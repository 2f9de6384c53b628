// sshd's listening side (OpenSSH sshd.c server_accept_loop): bind each address, accept connections, apply MaxStartups
// (start:rate:full random early drop of unauthenticated connections) and hand each connection to a handler as a Link.
import { SocketLink, SOCKET_LINK_HANDLERS, type SocketLinkData } from "../transport/link.ts";
import { silentLogger, type Logger } from "../log.ts";

/** `MaxStartups start:rate:full` (defaults 10:30:100). */
export interface MaxStartups {
  readonly start: number;
  readonly rate: number;
  readonly full: number;
}

/** One accepted connection. */
export interface AcceptedConnection {
  readonly link: SocketLink;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** The handler calls this once authentication succeeded (it no longer counts against MaxStartups). */
  authenticated(): void;
}

/** A bound listener. */
export interface Listener {
  /** Addresses actually bound, with the port the kernel chose for port 0. */
  readonly bound: readonly { address: string; port: number }[];
  /** Unauthenticated connections now. */
  readonly startups: number;
  /** Stops accepting; existing connections continue. */
  stop(): void;
}

/** Parses `start:rate:full` or a single number (sshd.c / servconf.c). Returns undefined for a malformed value. */
export function parseMaxStartups(value: string): MaxStartups | undefined {
  const m = /^(\d+)(?::(\d+):(\d+))?$/.exec(value.trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  if (m[2] === undefined) return { start, rate: 100, full: start };
  const rate = Number(m[2]);
  const full = Number(m[3]);
  if (start > full || rate > 100 || rate < 1) return undefined;
  return { start, rate, full };
}

/** sshd.c should_drop_connection(): drop with probability rising linearly from rate% at `start` to 100% at `full`. */
export function shouldDrop(startups: number, ms: MaxStartups, random: () => number = Math.random): boolean {
  if (startups < ms.start) return false;
  if (startups >= ms.full) return true;
  if (ms.start === ms.full) return true;
  const p = ms.rate + ((100 - ms.rate) * (startups - ms.start)) / (ms.full - ms.start);
  return random() * 100 < p;
}

type SocketData = SocketLinkData;

/** Binds every address and serves connections until stop(). Rejects if an address cannot be bound. */
export async function listen(opts: {
  readonly addresses: readonly { address: string; port: number }[];
  readonly maxStartups: MaxStartups;
  readonly onConnection: (conn: AcceptedConnection) => void;
  readonly log?: Logger;
}): Promise<Listener> {
  const log = opts.log ?? silentLogger;
  let startups = 0;
  const servers: { stop(closeActive?: boolean): void }[] = [];
  const bound: { address: string; port: number }[] = [];
  for (const a of opts.addresses) {
    const server = Bun.listen<SocketData>({
      hostname: a.address,
      port: a.port,
      socket: {
        open(socket) {
          if (shouldDrop(startups, opts.maxStartups)) {
            // sshd.c: "drop connection #%d from [%s]:%d on [%s]:%d past MaxStartups"
            log.info(`drop connection #${startups} from [${socket.remoteAddress}]:${socket.remotePort ?? 0} on [${a.address}]:${a.port} past MaxStartups`);
            socket.end();
            return;
          }
          startups++;
          const link = new SocketLink(socket);
          socket.data = { link };
          let counted = true;
          const release = (): void => {
            if (counted) {
              counted = false;
              startups--;
            }
          };
          const conn: AcceptedConnection = {
            link,
            remoteAddress: socket.remoteAddress,
            remotePort: (socket as unknown as { remotePort?: number }).remotePort ?? 0,
            localAddress: (socket as unknown as { localAddress?: string }).localAddress ?? a.address,
            localPort: (socket as unknown as { localPort?: number }).localPort ?? a.port,
            authenticated: release,
          };
          // The transport owns link.onEnd; the count is kept right here, whoever ends the link.
          const wrapEnd = link.deliverEnd.bind(link);
          link.deliverEnd = (error?: Error) => {
            release();
            wrapEnd(error);
          };
          opts.onConnection(conn);
        },
        ...SOCKET_LINK_HANDLERS,
      },
    });
    servers.push(server);
    bound.push({ address: a.address, port: server.port });
  }
  return {
    bound,
    get startups() {
      return startups;
    },
    stop() {
      for (const s of servers) s.stop(false);
    },
  };
}
