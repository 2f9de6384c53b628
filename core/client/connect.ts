// A client connection end to end (OpenSSH ssh.c / sshconnect2.c): transport with host key checking, user
// authentication, then the connection protocol. The front-end supplies the link (TCP or ProxyCommand), the
// known_hosts policy and the credentials.
import { runClientAuth, type ClientAuthOptions } from "../auth/index.ts";
import { ChannelMux, type MuxHandler } from "../connection/index.ts";
import { SshError } from "../errors.ts";
import { silentLogger, type Logger } from "../log.ts";
import type { Link } from "../transport/link.ts";
import { Transport, type AlgorithmPreferences, type AlgorithmTables } from "../transport/transport.ts";

/** Everything one client connection needs. */
export interface ClientConnectOptions {
  readonly link: Link;
  readonly tables: AlgorithmTables;
  readonly preferences: AlgorithmPreferences;
  readonly software: string;
  readonly verifySignature: (algorithm: string, publicKeyBlob: Uint8Array, data: Uint8Array, signature: Uint8Array) => boolean;
  readonly checkHostKey: (publicKeyBlob: Uint8Array, algorithm: string) => Promise<boolean> | boolean;
  readonly auth: ClientAuthOptions;
  readonly rekeyBytes?: number;
  readonly rekeySeconds?: number;
  readonly log?: Logger;
  /**
   * The connection layer's handler, in place before the first message after authentication is delivered (OpenSSH's
   * sshd sends hostkeys-00@openssh.com right behind USERAUTH_SUCCESS).
   */
  readonly muxHandler?: MuxHandler;
}

/** Authentication failed: `methods` is the server's last list, for `Permission denied (publickey,password).` */
export class AuthenticationFailedError extends SshError {
  override name = "AuthenticationFailedError";
  constructor(readonly methods: readonly string[]) {
    super(`Permission denied (${methods.join(",")}).`);
  }
}

/** An authenticated connection. */
export interface ClientConnection {
  readonly transport: Transport;
  readonly mux: ChannelMux;
}

/** Connects, verifies the host and authenticates; rejects with the transport's or AuthenticationFailedError. */
export async function connectClient(opts: ClientConnectOptions): Promise<ClientConnection> {
  const transport = new Transport({
    role: "client",
    link: opts.link,
    tables: opts.tables,
    preferences: opts.preferences,
    software: opts.software,
    verifySignature: opts.verifySignature,
    checkHostKey: opts.checkHostKey,
    rekeyBytes: opts.rekeyBytes,
    rekeySeconds: opts.rekeySeconds,
    rekeyAfterAuthOnly: true,
    log: opts.log ?? silentLogger,
  });
  // Auth is attached before the handshake ends so no message can arrive without a consumer.
  const authRun = runClientAuth(transport, opts.auth);
  authRun.catch(() => {});
  try {
    await transport.ready;
    const auth = await authRun;
    if (!auth.ok) {
      transport.disconnect(11, "disconnected by user");
      throw new AuthenticationFailedError(auth.methods);
    }
    transport.markAuthenticated();
    const mux = new ChannelMux(transport, { handler: opts.muxHandler ?? {} });
    auth.handOver(transport.onMessage, transport.onClose);
    return { transport, mux };
  } catch (e) {
    transport.close();
    throw e;
  }
}
