// Port forwarding on sshd's side, as OpenSSH decides and words it: direct-tcpip (ssh -L, -D, -W) and
// direct-streamlocal@openssh.com (serverloop.c server_request_direct_*; channels.c channel_connect_to_port/_path),
// tcpip-forward and streamlocal-forward@openssh.com with their cancels (ssh -R: serverloop.c
// server_input_global_request, channels.c channel_setup_remote_fwd_listener), under AllowTcpForwarding,
// AllowStreamLocalForwarding, DisableForwarding, PermitOpen, PermitListen, GatewayPorts, StreamLocalBindMask,
// StreamLocalBindUnlink and the key options permitopen=, permitlisten=, no-port-forwarding, restrict (session.c
// do_authenticated, monitor_wrap.c server_process_permitopen).
//
// Root mode: OpenSSH connects and listens from the post-auth process, which already runs as the user. Ours is one
// process, so sshd itself (root) makes the connections and binds the listeners. Two consequences are handled here: a
// non-root user may not bind a privileged port (as the kernel would refuse them), and Unix-socket forwarding is
// refused for non-root users (sshd would create or reach sockets with root's rights, anywhere).
import { chmodSync, unlinkSync } from "node:fs";
import { isIP } from "node:net";
import { lookup } from "node:dns/promises";
import type { Socket, TCPSocketListener, UnixSocketListener } from "bun";
import {
  ChannelMux, connectBridged, ConnectFailure, encodeTcpipForwardReply, SocketBridge, SOCKET_BRIDGE_HANDLERS,
  type DirectStreamlocalOpen, type DirectTcpipOpen, type GlobalReply, type GlobalRequest, type IncomingOpen,
} from "../connection/index.ts";
import { cleanhostname, hpdelim, matchPattern, type SshdConfig } from "../config/index.ts";
import type { AuthorizedKeyRestrictions } from "../keys/index.ts";
import { SSH_MSG_DEBUG, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, SSH_OPEN_CONNECT_FAILED } from "../wire/index.ts";
import { escapeForLog, silentLogger, type Logger } from "../log.ts";
import { strerror } from "../strerror.ts";

/** channels.h FWD_PERMIT_ANY_PORT / FWD_PERMIT_ANY_HOST and PORT_STREAMLOCAL. */
const ANY_PORT = 0;
const ANY_HOST = "*";
const PORT_STREAMLOCAL = -2;
/** sizeof(struct sockaddr_un.sun_path) on Linux. */
const SUN_PATH_MAX = 108;

/** One permitted destination (channels.c struct permission): host null is OpenSSH's "nothing matches" entry. */
export interface Permission {
  readonly host: string | null;
  readonly port: number;
}
/** channels.c struct permission_set, one direction: the user's list (key options), the admin's (sshd_config). */
export interface PermissionSet {
  readonly allPermitted: boolean;
  readonly user: readonly Permission[];
  readonly admin: readonly Permission[];
}

/** What sshd_config (after Match) and the key's options allow this connection to forward. */
export interface ForwardingPolicy {
  /** AllowTcpForwarding: local (direct-tcpip) and remote (tcpip-forward). */
  readonly tcpLocal: boolean;
  readonly tcpRemote: boolean;
  /** AllowStreamLocalForwarding. */
  readonly streamLocalLocal: boolean;
  readonly streamLocalRemote: boolean;
  /** The key's port-forwarding flag (no-port-forwarding, restrict, a certificate without permit-port-forwarding). */
  readonly keyPermitsForwarding: boolean;
  readonly disableForwarding: boolean;
  readonly gatewayPorts: "no" | "yes" | "clientspecified";
  readonly streamLocalBindMask: number;
  readonly streamLocalBindUnlink: boolean;
  /** PermitOpen and permitopen= (direct-tcpip, direct-streamlocal). */
  readonly local: PermissionSet;
  /** PermitListen and permitlisten= (tcpip-forward, streamlocal-forward). */
  readonly remote: PermissionSet;
  /** Root mode for another user: sshd acts with root's rights for this user (see the file comment). */
  readonly actsForOtherUser: boolean;
  /** How long a connect may take before the open fails with "Connection timed out". */
  readonly connectTimeoutMs?: number;
}

/** misc.c permitopen_port: `*` is any port, else 1..65535; -1 when bad. */
function permitopenPort(p: string): number {
  if (p === "*") return ANY_PORT;
  if (!/^\d+$/.test(p)) return -1;
  const n = Number(p);
  return n >= 1 && n <= 65535 ? n : -1;
}

/** `host:port` (or `[v6]:port`) of a PermitOpen/permitopen entry; null when it does not parse. */
function parsePermission(entry: string, bareIsListenPort: boolean): Permission | null {
  const spec = bareIsListenPort && !entry.includes(":") ? `*:${entry}` : entry;
  // misc.c hpdelim2: ':' or '/' ends the host
  const hp = hpdelim(spec) ?? hpdelim(spec.replace("/", ":"));
  if (hp === null || hp[1] === null) return null;
  const port = permitopenPort(hp[1]);
  return port < 0 ? null : { host: cleanhostname(hp[0]), port };
}

/**
 * The permission sets sshd builds after authentication: monitor_wrap.c server_process_permitopen (PermitOpen,
 * PermitListen: `any`, `none` or a list), session.c set_fwdpermit_from_authopts (permitopen=, permitlisten=) and
 * do_authenticated (no-port-forwarding, DisableForwarding and AllowTcpForwarding disable a direction outright).
 */
export function forwardingPolicy(opts: {
  readonly config: SshdConfig;
  readonly key: AuthorizedKeyRestrictions | undefined;
  readonly actsForOtherUser?: boolean;
  readonly log?: Logger;
}): ForwardingPolicy {
  const { config: c, key } = opts;
  const log = opts.log ?? silentLogger;
  const tcpLocal = c.allowTcpForwarding === "yes" || c.allowTcpForwarding === "local";
  const tcpRemote = c.allowTcpForwarding === "yes" || c.allowTcpForwarding === "remote";
  const keyPermitsForwarding = key?.permitPortForwarding ?? true;
  const NOTHING: Permission = { host: null, port: 0 };
  const adminList = (list: readonly string[], listen: boolean, what: string): Permission[] => {
    if (list.length === 0 || (list.length === 1 && list[0] === "any")) return [];
    if (list.length === 1 && list[0] === "none") return [NOTHING];
    const out: Permission[] = [];
    for (const e of list) {
      const p = parsePermission(e, listen);
      if (p === null) continue; // servconf.c refused it already
      log.debug(`allow admin ${what} forwarding to host ${p.host} port ${p.port}`);
      out.push(p);
    }
    return out;
  };
  const userList = (list: readonly string[], listen: boolean, what: string): Permission[] => {
    const out: Permission[] = [];
    for (const e of list) {
      const p = parsePermission(e, listen);
      if (p === null) continue; // auth-options.c refused the key line already
      log.debug(`allow user ${what} forwarding to host ${p.host} port ${p.port}`);
      out.push(p);
    }
    return out;
  };
  const build = (enabled: boolean, admin: Permission[], user: Permission[]): PermissionSet => {
    if (!keyPermitsForwarding || c.disableForwarding || !enabled) return { allPermitted: false, user, admin: [NOTHING] };
    return { allPermitted: user.length === 0, user, admin };
  };
  const localUser = tcpLocal ? userList(key?.permitOpen ?? [], false, "local") : [];
  const remoteUser = tcpRemote ? userList(key?.permitListen ?? [], true, "remote") : [];
  const sl = c.allowStreamLocalForwarding;
  return {
    tcpLocal,
    tcpRemote,
    streamLocalLocal: sl === "yes" || sl === "local",
    streamLocalRemote: sl === "yes" || sl === "remote",
    keyPermitsForwarding,
    disableForwarding: c.disableForwarding,
    gatewayPorts: c.gatewayPorts,
    streamLocalBindMask: c.streamLocalBindMask,
    streamLocalBindUnlink: c.streamLocalBindUnlink,
    local: build(tcpLocal, adminList(c.permitOpen, false, "local"), localUser),
    remote: build(tcpRemote, adminList(c.permitListen, true, "remote"), remoteUser),
    actsForOtherUser: opts.actsForOtherUser === true,
  };
}

/** channels.c open_match: a connect destination against one permission (hosts compared exactly, `*` any). */
function openMatch(p: Permission, host: string, port: number): boolean {
  if (p.host === null) return false;
  if (p.port !== ANY_PORT && p.port !== port) return false;
  return p.host === ANY_HOST || p.host === host;
}

/** channels.c channel_connect_to_port/_path: the user's list (unless all permitted) and the admin's list must both allow it. */
export function connectPermitted(set: PermissionSet, host: string, port: number): boolean {
  const permit = set.allPermitted || set.user.some((p) => openMatch(p, host, port));
  const permitAdmin = set.admin.length === 0 || set.admin.some((p) => openMatch(p, host, port));
  return permit && permitAdmin;
}

/** channels.c remote_open_match: a listen request against one permission (host pattern, lower-cased request). */
function remoteOpenMatch(p: Permission, listen: { host: string; port: number } | { path: string }): boolean {
  if ("path" in listen) return true; // "XXX add ACLs for streamlocal"
  if (p.host === null) return false;
  if (p.port !== ANY_PORT && p.port !== listen.port) return false;
  return matchPattern(listen.host.toLowerCase(), p.host);
}

/** channels.c check_rfwd_permission. */
export function listenPermitted(set: PermissionSet, listen: { host: string; port: number } | { path: string }): boolean {
  const permit = set.allPermitted || set.user.some((p) => remoteOpenMatch(p, listen));
  const permitAdmin = set.admin.length === 0 || set.admin.some((p) => remoteOpenMatch(p, listen));
  return permit && permitAdmin;
}

/** The bind address for a tcpip-forward (channels.c channel_fwd_bind_addr, server side). */
export function forwardBindAddress(listenHost: string, gatewayPorts: ForwardingPolicy["gatewayPorts"]): { addr: string | null; wildcard: boolean; overridden: boolean } {
  if (gatewayPorts !== "no") {
    if (listenHost === "" || listenHost === "*" || gatewayPorts === "yes") {
      return { addr: null, wildcard: true, overridden: listenHost !== "" && listenHost !== "0.0.0.0" && listenHost !== "*" };
    }
    // An explicit address with clientspecified; "localhost" stays loopback on every family.
    if (listenHost !== "localhost") return { addr: listenHost, wildcard: false, overridden: false };
    return { addr: null, wildcard: false, overridden: false };
  }
  // GatewayPorts no: loopback, unless the client asked for one loopback family explicitly.
  if (listenHost === "127.0.0.1" || listenHost === "::1") return { addr: listenHost, wildcard: false, overridden: false };
  return { addr: null, wildcard: false, overridden: false };
}

/** One remote-forward listener (channels.c SSH_CHANNEL_RPORT_LISTENER / RUNIX_LISTENER). */
interface RemoteListener {
  /** The listen host as the client sent it (forwarded-tcpip's connected address; cancel matches it), or the path. */
  readonly host: string;
  readonly port: number;
  readonly path: string | null;
  readonly servers: (TCPSocketListener<SocketBridge> | UnixSocketListener<SocketBridge>)[];
}

/** ::ffff:a.b.c.d as a.b.c.d (canohost.c ipv64_normalise_mapped). */
function normaliseAddress(a: string | undefined): string {
  if (a === undefined || a === "") return "127.0.0.1";
  return a.startsWith("::ffff:") && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/** The forwarding side of one authenticated connection: decides opens and requests, owns the listeners. */
export class ServerForwarding {
  private readonly listeners: RemoteListener[] = [];
  private ended = false;

  constructor(
    private readonly mux: ChannelMux,
    private readonly policy: ForwardingPolicy,
    /** The client's address and port (ssh_remote_ipaddr / ssh_remote_port) for the log lines. */
    private readonly peer: { readonly address: string; readonly port: number },
    private readonly log: Logger = silentLogger,
  ) {}

  /** Remote-forward listeners open now (for tests and the connection's end). */
  get listenerCount(): number {
    return this.listeners.length;
  }

  /** SSH_MSG_DEBUG (ssh shows it with -v as "Remote: …"), as packet.c ssh_packet_send_debug. */
  private sendDebug(text: string): void {
    if (this.mux.isClosed) return;
    this.log.debug3(`sending debug message: ${text}`);
    const w = this.mux.conn.begin(SSH_MSG_DEBUG, 16 + text.length);
    w.bool(false).string(text).string("");
    this.mux.conn.commit(w);
  }

  /** serverloop.c server_request_direct_tcpip. */
  openDirectTcpip(req: DirectTcpipOpen, open: IncomingOpen): void {
    const p = this.policy;
    const host = escapeForLog(req.hostToConnect, 100);
    const orig = escapeForLog(req.originatorAddress, 100);
    this.log.debug(`server_request_direct_tcpip: originator ${orig} port ${req.originatorPort}, target ${host} port ${req.portToConnect}`);
    if (!(p.tcpLocal && p.keyPermitsForwarding && !p.disableForwarding)) {
      this.log.info(`refused local port forward: originator ${orig} port ${req.originatorPort}, target ${host} port ${req.portToConnect}`);
      open.reject(SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
      return;
    }
    if (!connectPermitted(p.local, req.hostToConnect, req.portToConnect)) {
      this.log.info(`Received request from ${this.peer.address} port ${this.peer.port} to connect to host ${host} port ${req.portToConnect}, but the request was denied.`);
      open.reject(SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
      return;
    }
    const target = { host: req.hostToConnect, port: req.portToConnect };
    connectBridged(target, {
      ...(p.connectTimeoutMs !== undefined ? { timeoutMs: p.connectTimeoutMs } : {}),
      onAttemptFailed: (address, text) => this.log.debug(`connect_next: host ${host} ([${address}]:${req.portToConnect}): ${text}`),
    }).then(
      ({ bridge }) => {
        const ch = open.accept();
        this.log.debug(`channel ${ch.localId}: connected to ${host} port ${req.portToConnect}`);
        bridge.attach(ch);
      },
      (e: unknown) => {
        const text = e instanceof ConnectFailure ? e.text : strerror(e);
        if (e instanceof ConnectFailure && e.kind === "resolve") this.log.error(`connect_to ${host}: unknown host (${text})`);
        else this.log.error(`connect_to ${host} port ${req.portToConnect}: failed.`);
        open.reject(SSH_OPEN_CONNECT_FAILED, text);
      },
    );
  }

  /** serverloop.c server_request_direct_streamlocal (refusals keep the default reason, CONNECT_FAILED "open failed"). */
  openDirectStreamlocal(req: DirectStreamlocalOpen, open: IncomingOpen): void {
    const p = this.policy;
    const path = escapeForLog(req.socketPath, 100);
    const orig = escapeForLog(req.reservedString, 100);
    this.log.debug(`server_request_direct_streamlocal: originator ${orig} port ${req.reservedNumber}, target ${path}`);
    if (req.reservedNumber > 0xffff) {
      this.log.error("server_request_direct_streamlocal: invalid originator port");
      open.reject(SSH_OPEN_CONNECT_FAILED, "open failed");
      return;
    }
    if (!(p.streamLocalLocal && p.keyPermitsForwarding && !p.disableForwarding) || p.actsForOtherUser) {
      this.log.info(`refused streamlocal port forward: originator ${orig} port ${req.reservedNumber}, target ${path}`);
      open.reject(SSH_OPEN_CONNECT_FAILED, "open failed");
      return;
    }
    if (!connectPermitted(p.local, req.socketPath, PORT_STREAMLOCAL)) {
      this.log.info(`Received request to connect to path ${path}, but the request was denied.`);
      open.reject(SSH_OPEN_CONNECT_FAILED, "open failed");
      return;
    }
    if (Buffer.byteLength(req.socketPath) > SUN_PATH_MAX) {
      this.log.error(`${path}: ${strerror({ code: "ENAMETOOLONG" })}`);
      open.reject(SSH_OPEN_CONNECT_FAILED, "open failed");
      return;
    }
    connectBridged({ path: req.socketPath }, p.connectTimeoutMs !== undefined ? { timeoutMs: p.connectTimeoutMs } : {}).then(
      ({ bridge }) => {
        const ch = open.accept();
        this.log.debug(`channel ${ch.localId}: connected to ${path} port ${PORT_STREAMLOCAL}`);
        bridge.attach(ch);
      },
      (e: unknown) => {
        // A Unix connect fails at once (connect_to_helper), so the open failure says only "open failed".
        this.log.error(`connect to ${path} port ${PORT_STREAMLOCAL} failed: ${e instanceof ConnectFailure ? e.text : strerror(e)}`);
        open.reject(SSH_OPEN_CONNECT_FAILED, "open failed");
      },
    );
  }

  /** serverloop.c server_input_global_request for the forwarding requests; undefined for any other request. */
  globalRequest(req: GlobalRequest, wantReply: boolean): GlobalReply | Promise<GlobalReply> | undefined {
    const p = this.policy;
    switch (req.type) {
      case "tcpip-forward": {
        const host = escapeForLog(req.bindAddress, 100);
        this.log.debug(`server_input_global_request: tcpip-forward listen ${host} port ${req.bindPort}`);
        if (req.bindPort > 0x7fffffff || !p.tcpRemote || !p.keyPermitsForwarding || p.disableForwarding || (!wantReply && req.bindPort === 0)) {
          this.sendDebug("Server has disabled port forwarding.");
          return false;
        }
        if (!listenPermitted(p.remote, { host: req.bindAddress, port: req.bindPort })) {
          this.sendDebug("port forwarding refused");
          this.log.info(`Received request from ${this.peer.address} port ${this.peer.port} to remote forward to host ${host} port ${req.bindPort}, but the request was denied.`);
          return false;
        }
        return this.listenTcp(req.bindAddress, req.bindPort);
      }
      case "cancel-tcpip-forward": {
        this.log.debug(`server_input_global_request: cancel-tcpip-forward addr ${escapeForLog(req.bindAddress, 100)} port ${req.bindPort}`);
        return this.cancel((l) => l.path === null && l.host === req.bindAddress && l.port === req.bindPort);
      }
      case "streamlocal-forward@openssh.com": {
        const path = escapeForLog(req.socketPath, 100);
        this.log.debug(`server_input_global_request: streamlocal-forward listen path ${path}`);
        if (!p.streamLocalRemote || !p.keyPermitsForwarding || p.disableForwarding || p.actsForOtherUser) {
          this.sendDebug("Server has disabled streamlocal forwarding.");
          return false;
        }
        if (!listenPermitted(p.remote, { path: req.socketPath })) {
          this.sendDebug("port forwarding refused");
          this.log.info(`Received request from ${this.peer.address} port ${this.peer.port} to remote forward to path "${path}", but the request was denied.`);
          return false;
        }
        return this.listenUnix(req.socketPath);
      }
      case "cancel-streamlocal-forward@openssh.com": {
        this.log.debug(`server_input_global_request: cancel-streamlocal-forward path ${escapeForLog(req.socketPath, 100)}`);
        return this.cancel((l) => l.path === req.socketPath);
      }
      default:
        return undefined;
    }
  }

  /** Closes every listener (the connection is over). Forwarded connections end with their channels. */
  close(): void {
    this.ended = true;
    for (const l of this.listeners.splice(0)) for (const s of l.servers) s.stop(true);
  }

  /** channels.c channel_cancel_rport_listener. */
  private cancel(match: (l: RemoteListener) => boolean): boolean {
    let found = false;
    for (let i = this.listeners.length - 1; i >= 0; i--) {
      const l = this.listeners[i]!;
      if (!match(l)) continue;
      for (const s of l.servers) s.stop(true);
      this.listeners.splice(i, 1);
      found = true;
    }
    return found;
  }

  /** Accept handlers for one listener: each connection becomes a forwarded-* channel to the client. */
  private acceptHandlers(listener: () => RemoteListener) {
    const log = this.log;
    return {
      ...SOCKET_BRIDGE_HANDLERS,
      open: (s: Socket<SocketBridge>) => {
        const bridge = new SocketBridge();
        s.data = bridge;
        bridge.opened(s);
        const l = listener();
        log.debug(`Connection to port ${l.path === null ? l.port : PORT_STREAMLOCAL} forwarding to ${escapeForLog(l.path ?? l.host, 100)} port ${l.path === null ? 0 : PORT_STREAMLOCAL} requested.`);
        const opening = l.path === null
          ? this.mux.openChannel({ type: "forwarded-tcpip", connectedAddress: l.host, connectedPort: s.localPort, originatorAddress: normaliseAddress(s.remoteAddress), originatorPort: (s as { remotePort?: number }).remotePort ?? 65535 })
          : this.mux.openChannel({ type: "forwarded-streamlocal@openssh.com", socketPath: l.path, reservedString: "" });
        opening.then(
          (ch) => bridge.attach(ch),
          (e: unknown) => {
            log.debug(`forwarded connection refused by the client: ${(e as Error).message}`);
            bridge.abandon();
          },
        );
      },
    };
  }

  /** channels.c channel_setup_fwd_listener_tcpip for SSH_CHANNEL_RPORT_LISTENER. */
  private async listenTcp(listenHost: string, port: number): Promise<GlobalReply> {
    const p = this.policy;
    const { addr, wildcard, overridden } = forwardBindAddress(listenHost, p.gatewayPorts);
    if (overridden) this.sendDebug(`Forwarding listen address "${escapeForLog(listenHost, 100)}" overridden by server GatewayPorts`);
    this.log.debug3(`channel_setup_fwd_listener_tcpip: type 11 wildcard ${wildcard ? 1 : 0} addr ${addr ?? "NULL"}`);
    let hosts: string[];
    // Bun's "::" is dual-stack (both families, as OpenSSH's two wildcard sockets); 0.0.0.0 then only answers
    // "in use", unless the host has no IPv6.
    if (wildcard) hosts = ["::", "0.0.0.0"];
    else if (addr === null) hosts = ["127.0.0.1", "::1"];
    else if (isIP(addr) !== 0) hosts = [addr];
    else {
      try {
        hosts = (await lookup(addr, { all: true, verbatim: true })).map((a) => a.address);
      } catch {
        this.log.error(`channel_setup_fwd_listener_tcpip: getaddrinfo(${escapeForLog(addr, 64)}): Name or service not known`);
        return false;
      }
    }
    if (this.ended) return false;
    let allocated = 0;
    let record: RemoteListener | undefined;
    const servers: RemoteListener["servers"] = [];
    const handlers = this.acceptHandlers(() => record!);
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i]!;
      const bindPort = port === 0 ? allocated : port;
      const last = i === hosts.length - 1;
      this.log.debug(`Local forwarding listening on ${h} port ${bindPort}.`);
      if (port > 0xffff || (p.actsForOtherUser && bindPort > 0 && bindPort < 1024)) {
        const why = port > 0xffff ? "Invalid argument" : strerror({ code: "EACCES" });
        (last ? this.log.error : this.log.verbose)(`bind [${h}]:${bindPort}: ${why}`);
        continue;
      }
      try {
        const server = Bun.listen<SocketBridge>({ hostname: h, port: bindPort, allowHalfOpen: true, socket: handlers });
        if (port === 0 && allocated === 0) {
          allocated = server.port;
          this.log.debug(`Allocated listen port ${allocated}`);
        }
        servers.push(server);
      } catch (e) {
        (last && servers.length === 0 ? this.log.error : this.log.verbose)(`bind [${h}]:${bindPort}: ${strerror(e)}`);
      }
    }
    if (servers.length === 0) {
      this.log.error(`channel_setup_fwd_listener_tcpip: cannot listen to port: ${port}`);
      return false;
    }
    record = { host: listenHost, port: port === 0 ? allocated : port, path: null, servers };
    this.listeners.push(record);
    return port === 0 ? encodeTcpipForwardReply(allocated) : true;
  }

  /** channels.c channel_setup_fwd_listener_streamlocal for SSH_CHANNEL_RUNIX_LISTENER (misc.c unix_listener). */
  private listenUnix(path: string): GlobalReply {
    const p = this.policy;
    const shown = escapeForLog(path, 100);
    if (Buffer.byteLength(path) >= SUN_PATH_MAX) {
      this.log.error(`unix_listener: path "${shown}" too long for Unix domain socket`);
      return false;
    }
    this.log.debug3(`channel_setup_fwd_listener_streamlocal: type 18 path ${shown}`);
    if (p.streamLocalBindUnlink) {
      try {
        unlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") this.log.error(`unlink(${shown}): ${strerror(e)}`);
      }
    }
    let record: RemoteListener | undefined;
    const old = process.umask(p.streamLocalBindMask);
    let server: UnixSocketListener<SocketBridge>;
    try {
      server = Bun.listen<SocketBridge>({ unix: path, allowHalfOpen: true, socket: this.acceptHandlers(() => record!) });
    } catch (e) {
      this.log.error(`unix_listener: cannot bind to path ${shown}: ${strerror(e)}`);
      return false;
    } finally {
      process.umask(old);
    }
    try {
      chmodSync(path, 0o777 & ~p.streamLocalBindMask); // the umask above, should the runtime have created it otherwise
    } catch {
      // gone already; the listener still answers what connects
    }
    this.log.debug(`Local forwarding listening on path ${shown}.`);
    record = { host: path, port: PORT_STREAMLOCAL, path, servers: [server] };
    this.listeners.push(record);
    return true;
  }
}
