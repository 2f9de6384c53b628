// One server connection end to end (OpenSSH sshd-session): transport with our host keys, user authentication against
// a policy, then the connection protocol with session channels. sshd builds the policies from sshd_config; tests
// build them by hand. Resolves when the connection is over.
import { runServerAuth, type AuthLog, type ServerAuthPolicy, type ServerAuthResult } from "../auth/index.ts";
import { ChannelMux, type GlobalRequest } from "../connection/index.ts";
import { encodeHostkeysProveReply } from "../connection/messages.ts";
import { Writer } from "../wire/writer.ts";
import { SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, SSH_OPEN_UNKNOWN_CHANNEL_TYPE } from "../wire/index.ts";
import { DisconnectReason, ProtocolError } from "../errors.ts";
import { silentLogger, type Logger } from "../log.ts";
import type { Link } from "../transport/link.ts";
import { Transport, type AlgorithmPreferences, type AlgorithmTables, type HostKeySigner } from "../transport/transport.ts";
import { serveSession, type SessionPolicy } from "./session.ts";
import { ServerForwarding } from "./forward.ts";
import { parseChannelTimeouts, startIdleWatch } from "./channel-timeout.ts";

/** Everything one server connection needs. */
export interface ServerConnectionOptions {
  readonly link: Link;
  readonly tables: AlgorithmTables;
  readonly preferences: AlgorithmPreferences;
  readonly software: string;
  readonly hostKeys: readonly HostKeySigner[];
  readonly verifySignature: (algorithm: string, publicKeyBlob: Uint8Array, data: Uint8Array, signature: Uint8Array) => boolean;
  readonly serverExtensions?: ReadonlyMap<string, Uint8Array>;
  readonly authPolicy: ServerAuthPolicy;
  /** The session policy for the user who logged in (Match applied, authorized_keys options merged). */
  readonly sessionPolicy: (auth: ServerAuthResult) => SessionPolicy | Promise<SessionPolicy>;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** LoginGraceTime in ms (0: none): the connection is dropped if authentication takes longer. */
  readonly loginGraceMs?: number;
  /** ClientAliveInterval (s, 0: off) and ClientAliveCountMax: keepalive@openssh.com probes after silence. */
  readonly clientAlive?: { readonly intervalSeconds: number; readonly countMax: number };
  readonly rekeyBytes?: number;
  readonly rekeySeconds?: number;
  readonly moduliFile?: string;
  readonly log?: Logger;
}

/** How the connection ended, for sshd's log lines. */
export interface ServerConnectionResult {
  /** The user logged in, or before that the user of the first USERAUTH_REQUEST (undefined before any). */
  readonly user: string | undefined;
  /** Before login: whether that user is valid (sshd logs "authenticating user" or "invalid user"). */
  readonly validUser?: boolean;
  readonly authenticated: boolean;
  readonly error: Error | undefined;
}

/** Serves one connection until it closes. Never rejects: failures are in the result (and logged). */
export async function serveConnection(opts: ServerConnectionOptions): Promise<ServerConnectionResult> {
  const log = opts.log ?? silentLogger;
  const transport = new Transport({
    role: "server",
    link: opts.link,
    tables: opts.tables,
    preferences: opts.preferences,
    software: opts.software,
    hostKeys: opts.hostKeys,
    verifySignature: opts.verifySignature,
    serverExtensions: opts.serverExtensions,
    rekeyBytes: opts.rekeyBytes,
    rekeySeconds: opts.rekeySeconds,
    rekeyAfterAuthOnly: true,
    ...(opts.moduliFile !== undefined ? { moduliFile: opts.moduliFile } : {}),
    peerLabel: `${opts.remoteAddress} port ${opts.remotePort}`,
    log,
  });
  let grace: ReturnType<typeof setTimeout> | undefined;
  if (opts.loginGraceMs && opts.loginGraceMs > 0) {
    grace = setTimeout(() => {
      // sshd.c grace_alarm_handler: "Timeout before authentication for <addr> port <port>"
      log.info(`Timeout before authentication for ${opts.remoteAddress} port ${opts.remotePort}`);
      transport.close();
    }, opts.loginGraceMs);
  }
  let user: string | undefined;
  const authLog: AuthLog = (level, message) => {
    if (level === "ERROR") log.error(message);
    else if (level === "INFO") log.info(message);
    else if (level === "VERBOSE") log.verbose(message);
    else if (level === "DEBUG1") log.debug(message);
    else if (level === "DEBUG2") log.debug2(message);
    else log.debug3(message);
  };
  // Auth takes the transport's messages from the start: the client's SERVICE_REQUEST may arrive in the same chunk as
  // its NEWKEYS, before any continuation of `ready` could run.
  const auth = runServerAuth(transport, opts.authPolicy, { remoteAddress: opts.remoteAddress, remotePort: opts.remotePort, log: authLog });
  auth.done.catch(() => {});
  try {
    await transport.ready;
    const result = await auth.done;
    user = result.user;
    transport.markAuthenticated();
    clearTimeout(grace);
    const policy = await opts.sessionPolicy(result);
    let forwarding: ServerForwarding | undefined;
    const mux = new ChannelMux(transport, {
      handler: {
        onGlobalRequest: (req, wantReply) => {
          if (req.type === "hostkeys-prove-00@openssh.com") return proveHostkeys(req, transport, opts.hostKeys, log);
          return forwarding?.globalRequest(req, wantReply) ?? false;
        },
        onChannelOpen(req, open) {
          if (req.type === "session") return serveSession(open.accept(), policy);
          if (forwarding !== undefined && req.type === "direct-tcpip") return forwarding.openDirectTcpip(req, open);
          if (forwarding !== undefined && req.type === "direct-streamlocal@openssh.com") return forwarding.openDirectStreamlocal(req, open);
          open.reject(req.type === "direct-tcpip" || req.type === "direct-streamlocal@openssh.com" ? SSH_OPEN_ADMINISTRATIVELY_PROHIBITED : SSH_OPEN_UNKNOWN_CHANNEL_TYPE, "open failed");
        },
      },
      onError: (e) => log.error(`internal error: ${(e as Error).stack ?? e}`),
    });
    if (policy.forwarding) forwarding = new ServerForwarding(mux, policy.forwarding, { address: opts.remoteAddress, port: opts.remotePort }, log);
    result.handOver(transport.onMessage, transport.onClose);
    notifyHostkeys(mux, opts.hostKeys, log);
    // ChannelTimeout and UnusedConnectionTimeout (serverloop.c): one coarse timer, only when configured
    const stopIdle = startIdleWatch(mux, {
      timeouts: parseChannelTimeouts(policy.channelTimeouts ?? []),
      unusedConnectionSeconds: policy.unusedConnectionTimeoutSeconds ?? 0,
      remoteId: policy.remoteId ?? `user ${user} ${opts.remoteAddress} port ${opts.remotePort}`,
      closeConnection: () => transport.close(),
      log,
    });
    const alive = opts.clientAlive;
    let aliveTimer: ReturnType<typeof setInterval> | undefined;
    if (alive && alive.intervalSeconds > 0) {
      // serverloop.c client_alive_check: every interval of silence a keepalive@openssh.com request with want-reply;
      // after ClientAliveCountMax unanswered ones, "Timeout, client not responding from user X ADDR port N".
      let missed = 0;
      aliveTimer = setInterval(() => {
        if (++missed > alive.countMax) {
          log.info(`Timeout, client not responding from user ${user} ${opts.remoteAddress} port ${opts.remotePort}`);
          clearInterval(aliveTimer);
          transport.close();
          return;
        }
        mux.globalRequest({ type: "keepalive@openssh.com" }).then(() => (missed = 0), () => {});
      }, alive.intervalSeconds * 1000);
      (aliveTimer as { unref?: () => void }).unref?.();
    }
    const error = await transport.closed;
    forwarding?.close(); // every remote-forward listener goes with the connection
    clearInterval(aliveTimer);
    stopIdle?.();
    policy.dispose?.();
    return { user, authenticated: true, error };
  } catch (e) {
    clearTimeout(grace);
    const error = e instanceof Error ? e : new Error(String(e));
    if (!(error instanceof ProtocolError)) transport.close();
    else transport.disconnect(DisconnectReason.PROTOCOL_ERROR, error.message);
    await transport.closed;
    if (user === undefined && auth.user !== undefined) return { user: auth.user, validUser: auth.valid, authenticated: false, error };
    return { user, authenticated: false, error };
  }
}

const isCert = (blob: Uint8Array): boolean => {
  const n = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0);
  return new TextDecoder().decode(blob.subarray(4, 4 + n)).endsWith("-cert-v01@openssh.com");
};

/** sshd-session.c notify_hostkeys: every plain host key in hostkeys-00@openssh.com (no reply wanted), for UpdateHostKeys. */
function notifyHostkeys(mux: ChannelMux, hostKeys: readonly HostKeySigner[], log: Logger): void {
  const blobs: Uint8Array[] = [];
  for (const k of hostKeys) {
    if (isCert(k.publicKeyBlob) || blobs.some((b) => Buffer.from(b).equals(Buffer.from(k.publicKeyBlob)))) continue;
    log.debug3(`notify_hostkeys: key ${blobs.length}: ${k.algorithms[0] ?? ""}`);
    blobs.push(k.publicKeyBlob);
  }
  log.debug3(`notify_hostkeys: sent ${blobs.length} hostkeys`);
  if (blobs.length > 0) mux.globalRequestNoReply({ type: "hostkeys-00@openssh.com", hostKeys: blobs });
}

/**
 * serverloop.c server_input_hostkeys_prove: a signature over (name, session id, key) by each requested host key, RSA
 * with the algorithm negotiated in KEX when that was RSA, else rsa-sha2-512. A key we do not hold fails the request.
 */
async function proveHostkeys(req: Extract<GlobalRequest, { type: "hostkeys-prove-00@openssh.com" }>, transport: Transport, hostKeys: readonly HostKeySigner[], log: Logger): Promise<Uint8Array | false> {
  const kexAlg = transport.negotiated?.hostKey ?? "";
  const sigs: Uint8Array[] = [];
  for (const blob of req.hostKeys) {
    const signer = hostKeys.find((k) => Buffer.from(k.publicKeyBlob).equals(Buffer.from(blob)));
    if (signer === undefined || isCert(blob)) {
      log.error("server_input_hostkeys_prove: unknown host key");
      return false;
    }
    const alg = signer.algorithms.includes(kexAlg) ? kexAlg : signer.algorithms.includes("rsa-sha2-512") ? "rsa-sha2-512" : signer.algorithms[0]!;
    log.debug3(`server_input_hostkeys_prove: sign key using sigalg ${alg}`);
    const data = new Writer(null, 128 + blob.length).string("hostkeys-prove-00@openssh.com").string(transport.sessionId).string(blob).toBytes();
    sigs.push(await signer.sign(alg, data));
  }
  return encodeHostkeysProveReply(sigs);
}
