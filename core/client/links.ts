// How ssh reaches a server: a TCP connection (ssh.c ssh_connect_direct, with OpenSSH's error wording) or a
// ProxyCommand's stdin/stdout (sshconnect.c ssh_proxy_connect: `sh -c command`).
import { lookup } from "node:dns/promises";
import { SshError } from "../errors.ts";
import { SocketLink, SOCKET_LINK_HANDLERS, StreamLink, type Link, type SocketLinkData } from "../transport/link.ts";
import { spawnChild } from "../process/spawn.ts";
import { pipePair } from "../process/pipe.ts";
import { closeSync } from "node:fs";

/** A connection could not be made; `message` is what ssh prints after "ssh: ". */
export class ConnectError extends SshError {
  override name = "ConnectError";
}

type Data = SocketLinkData;

/** Resolves `host` (AddressFamily via `family`) and connects with a timeout; rejects with ConnectError. */
export async function connectTcp(host: string, port: number, opts: { timeoutMs?: number; family?: 0 | 4 | 6 } = {}): Promise<{ link: SocketLink; address: string }> {
  let address: string;
  try {
    address = (await lookup(host, { family: opts.family ?? 0 })).address;
  } catch {
    // ssh.c: "ssh: Could not resolve hostname %s: %s" with gai_strerror's text
    throw new ConnectError(`Could not resolve hostname ${host}: Name or service not known`);
  }
  const where = `connect to host ${host} port ${port}`;
  let link: SocketLink | undefined;
  const connecting = Bun.connect<Data>({
    hostname: address,
    port,
    socket: {
      open(socket) {
        link = new SocketLink(socket);
        socket.data = { link };
      },
      ...SOCKET_LINK_HANDLERS,
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    if (opts.timeoutMs && opts.timeoutMs > 0) timer = setTimeout(() => reject(new ConnectError(`${where}: Connection timed out`)), opts.timeoutMs);
  });
  try {
    await Promise.race([connecting, timeout]);
  } catch (e) {
    if (e instanceof ConnectError) throw e;
    const code = (e as { code?: string }).code ?? "";
    const text = code === "ECONNREFUSED" ? "Connection refused" : code === "ENETUNREACH" ? "Network is unreachable" : code === "EHOSTUNREACH" ? "No route to host" : code === "ETIMEDOUT" ? "Connection timed out" : (e as Error).message;
    throw new ConnectError(`${where}: ${text}`);
  } finally {
    clearTimeout(timer);
  }
  return { link: link!, address };
}

/**
 * Runs `command` with `sh -c` and talks SSH over its stdin/stdout; its stderr stays ours. Real pipes, as
 * sshconnect.c ssh_proxy_connect makes (pipe.ts says why), else Bun's socketpairs.
 */
export function proxyCommandLink(command: string, env: Record<string, string | undefined>): { link: Link; exited: Promise<number> } {
  const toChild = pipePair();
  const fromChild = toChild === null ? null : pipePair();
  if (toChild === null || fromChild === null) {
    if (toChild !== null) for (const fd of toChild) closeSync(fd);
    return proxyOverSocketpairs(command, env);
  }
  const proc = spawnChild({ argv: ["/bin/sh", "-c", command], env, stdio: [toChild[0], fromChild[1], "inherit"] });
  closeSync(toChild[0]);
  closeSync(fromChild[1]);
  const writer = Bun.file(toChild[1]).writer();
  let closed = false;
  const sink = {
    write: (d: Uint8Array) => writer.write(d),
    flush: () => writer.flush(),
    end: () => {
      if (closed) return;
      closed = true;
      // Bun never closes a descriptor it did not open: the proxy sees EOF only once we close our end
      const r = writer.end();
      if (r instanceof Promise) void r.then(() => closeSync(toChild[1]), () => closeSync(toChild[1]));
      else closeSync(toChild[1]);
    },
  };
  const link = new StreamLink(Bun.file(fromChild[0]).stream() as ReadableStream<Uint8Array>, sink);
  const end = link.end.bind(link);
  link.end = () => {
    end();
    // sshconnect.c: the proxy is killed when the connection is done with it
    setTimeout(() => proc.kill("SIGHUP"), 100).unref?.();
  };
  return { link, exited: proc.exited };
}

function proxyOverSocketpairs(command: string, env: Record<string, string | undefined>): { link: Link; exited: Promise<number> } {
  const proc = spawnChild({ argv: ["/bin/sh", "-c", command], env, stdio: ["pipe", "pipe", "inherit"] });
  const link = new StreamLink(proc.stdout as ReadableStream<Uint8Array>, proc.stdin as unknown as { write(d: Uint8Array): number; flush(): number | Promise<number>; end(): unknown });
  const end = link.end.bind(link);
  link.end = () => {
    end();
    // sshconnect.c: the proxy is killed when the connection is done with it
    setTimeout(() => proc.kill("SIGHUP"), 100).unref?.();
  };
  return { link, exited: proc.exited };
}
