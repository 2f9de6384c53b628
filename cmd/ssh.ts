// `ssh`: the OpenSSH-compatible client (ssh.c, sshconnect.c, sshconnect2.c, clientloop.c). Parses OpenSSH's flags,
// reads ssh_config, connects (TCP or ProxyCommand), verifies the host key against known_hosts, authenticates with key
// files, passwords or keyboard-interactive, runs one session and exits with the remote status (255 for its own failures).
import { appendFileSync, existsSync, writev as fsWritev } from "node:fs";
import { spawnSync } from "node:child_process";
import { dlopen } from "bun:ffi";
import { selfArgv, spawnChild } from "../core/process/spawn.ts";
import { GetoptError, countFlag, getopt, lastValue, firstValue } from "./getopt.ts";
import { parseSshCommandLine, tableOf } from "./command-line.ts";
import { usageError, type ProgramContext, type ProgramModule } from "./pending.ts";
import { SSHBOX_RELEASE, VERSION_LINE } from "../core/version.ts";
import {
  ALL_CIPHERS, ALL_MACS, argvSplit, ConfigExitError, expandSshTokens, formatSshG, loadSshConfig, localContext, matchPattern, querySsh, sshTokensFor,
  type SshConfig, type SshLocalContext,
} from "../core/config/index.ts";
import { ConfigError, ConnectionLostError, DisconnectReason, NegotiationError, PeerDisconnectedError, ProtocolError } from "../core/errors.ts";
import { CIPHERS, KEX_METHODS, MACS, signatureSpec, verifySignature } from "../core/crypto/registry.ts";
import { LogLevel, makeLogger, type Logger } from "../core/log.ts";
import { connectTcp, proxyCommandLink, ConnectError } from "../core/client/links.ts";
import { connectClient, AuthenticationFailedError, type ClientConnection } from "../core/client/connect.ts";
import { verifyHostKey, knownKeyTypes } from "../core/client/host-check.ts";
import { identitySigners, preferAgentKeys, readCertificateFiles } from "../core/client/identities.ts";
import { AgentClient } from "../core/agent/client.ts";
import { applyHostkeysUpdate, hostkeysChangeLines, planHostkeysUpdate, verifyHostkeyProofs, type HostkeysContext } from "../core/client/update-hostkeys.ts";
import { decodeHostkeysProveReply } from "../core/connection/messages.ts";
import { SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, SSH_OPEN_CONNECT_FAILED } from "../core/wire/numbers.ts";
import { readPassphrase } from "../core/client/terminal.ts";
import { DEFAULT_PREFERRED_AUTHENTICATIONS, type AuthLogLevel, type ClientAuthOptions } from "../core/auth/index.ts";
import { HostKeyVerificationError } from "../core/transport/transport.ts";
import { blobType, fingerprint, type PrivateKey } from "../core/keys/index.ts";
import type { Link } from "../core/transport/link.ts";
import { connectBridged, dataSink, pumpToChannel, type ChannelMux, type ChannelRequest, type GlobalRequest, type MuxHandler } from "../core/connection/index.ts";
import { isatty } from "../core/process/tty.ts";
import { ignoredAtStart } from "../core/process/signals.ts";

const LEVELS: Record<string, LogLevel> = {
  QUIET: LogLevel.QUIET, FATAL: LogLevel.FATAL, ERROR: LogLevel.ERROR, INFO: LogLevel.INFO, VERBOSE: LogLevel.VERBOSE,
  DEBUG: LogLevel.DEBUG1, DEBUG1: LogLevel.DEBUG1, DEBUG2: LogLevel.DEBUG2, DEBUG3: LogLevel.DEBUG3,
};

/** Flags whose features come in a later release (forwarding, jump hosts, multiplexing, tunnels, PKCS#11). */
const NOT_YET: Record<string, string> = {
  L: "local port forwarding (-L)", R: "remote port forwarding (-R)", D: "dynamic port forwarding (-D)",
  J: "jump hosts (-J)", O: "multiplexing control (-O)", S: "control sockets (-S)", M: "connection multiplexing (-M)",
  w: "tunnel forwarding (-w)",
};

/** A fatal error ssh reports with its own exit status. */
class SshExit extends Error {
  constructor(
    readonly status: number,
    readonly lines: readonly string[],
  ) {
    super(lines.join("\n"));
  }
}

interface Destination {
  readonly host: string;
  readonly user: string | undefined;
  readonly port: number | undefined;
}

/** ssh.c: `ssh://[user@]host[:port]` (misc.c parse_ssh_uri) or `[user@]host`. */
function parseDestination(arg: string): Destination | null {
  if (arg.startsWith("ssh://")) {
    let t = arg.slice(6);
    if (t.endsWith("/")) t = t.slice(0, -1);
    if (t.includes("/")) return null;
    let user: string | undefined;
    const at = t.lastIndexOf("@");
    if (at >= 0) {
      user = decodeURIComponent(t.slice(0, at));
      t = t.slice(at + 1);
      if (user.includes(";")) user = user.slice(0, user.indexOf(";"));
    }
    let host = t;
    let port: number | undefined;
    if (t.startsWith("[")) {
      const close = t.indexOf("]");
      if (close < 0) return null;
      host = t.slice(1, close);
      const rest = t.slice(close + 1);
      if (rest !== "") {
        if (!rest.startsWith(":")) return null;
        port = Number(rest.slice(1));
      }
    } else if (t.includes(":")) {
      host = t.slice(0, t.indexOf(":"));
      port = Number(t.slice(t.indexOf(":") + 1));
    }
    if (host === "" || (port !== undefined && (!Number.isInteger(port) || port <= 0 || port > 65535))) return null;
    return { host, user, port };
  }
  const at = arg.lastIndexOf("@");
  if (at === 0) return null;
  if (at > 0) return { host: arg.slice(at + 1), user: arg.slice(0, at), port: undefined };
  return { host: arg, user: undefined, port: undefined };
}

/**
 * packet.c sshpkt_fatal: the error our transport sent in its DISCONNECT, then the line naming the connection, with
 * ssherr.c's words for a bad MAC (regress/integrity.sh reads exactly these two lines).
 */
function dispatchFatal(e: ProtocolError, peer: string): string[] {
  const why = e.reason === DisconnectReason.MAC_ERROR ? "message authentication code incorrect" : e.message;
  return [e.message, `ssh_dispatch_run_fatal: Connection to ${peer}: ${why}`];
}

/** sockaddr_is_local: 127.0.0.0/8 or ::1. */
function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}

/** `host:port` or `[host]:port` (ssh -W). */
function parseHostPort(v: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v);
  if (m === null) return null;
  const port = Number(m[2]);
  return port > 0 && port <= 65535 ? { host: m[1]!, port } : null;
}

/** misc.c ssh_valid_ruser: no shell metacharacters, no control characters, no leading '-'. */
function validRemoteUser(u: string): boolean {
  if (u === "" || u.startsWith("-")) return false;
  return !/[\x00-\x1f\x7f'`";&<>|(){}$\\]/.test(u);
}

/** misc.c ssh_valid_hostname: no shell metacharacters, spaces or control characters, no leading '-'. */
function validHostname(h: string): boolean {
  if (h === "" || h.startsWith("-")) return false;
  return !/[\x00-\x20\x7f'`";&<>|(){}$\\]/.test(h);
}

/** How much one writev(2) of FdWriter takes at most (IOV_MAX is 1024; a few MiB keeps the window moving). */
const MAX_WRITEV = 64;
const MAX_WRITEV_BYTES = 4 * 1024 * 1024;

/** Serialised asynchronous writes to one fd, with a completion callback per chunk (flow control) and a final flush. */
class FdWriter {
  private readonly queue: { bytes: Uint8Array; off: number; done: () => void }[] = [];
  private busy = false;
  private broken = false;
  private idle: (() => void)[] = [];
  constructor(private readonly fd: number) {}

  write(bytes: Uint8Array, done: () => void): void {
    if (this.broken) return done();
    this.queue.push({ bytes, off: 0, done });
    this.pump();
  }

  text(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.write(b, () => {});
  }

  flushed(): Promise<void> {
    if (!this.busy && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    if (this.busy) return;
    const item = this.queue[0];
    if (item === undefined) {
      const waiting = this.idle;
      this.idle = [];
      for (const w of waiting) w();
      return;
    }
    this.busy = true;
    // Everything queued goes in one writev(2) (a thread-pool round trip each): while one write is out, the packets
    // that arrive meanwhile gather, so a fast sender costs one system call per batch, not one per packet.
    const batch: Uint8Array[] = [];
    let bytes = 0;
    for (const q of this.queue) {
      if (batch.length >= MAX_WRITEV || bytes >= MAX_WRITEV_BYTES) break;
      const b = q.off === 0 ? q.bytes : q.bytes.subarray(q.off);
      batch.push(b);
      bytes += b.length;
    }
    fsWritev(this.fd, batch, null, (err, n) => {
      this.busy = false;
      if (err) {
        if (err.code === "EAGAIN") {
          setTimeout(() => this.pump(), 1);
          return;
        }
        // EPIPE and the like: the reader is gone; drop everything, as ssh does when its stdout closes
        this.broken = true;
        for (const q of this.queue.splice(0)) q.done();
        this.pump();
        return;
      }
      let left = n;
      while (left > 0 && this.queue.length > 0) {
        const q = this.queue[0]!;
        const take = Math.min(left, q.bytes.length - q.off);
        q.off += take;
        left -= take;
        if (q.off < q.bytes.length) break;
        this.queue.shift();
        q.done();
      }
      this.pump();
    });
  }
}

interface Parsed {
  readonly dest: Destination | undefined;
  readonly command: string[];
  readonly overrides: string[];
  readonly configFile: string | undefined;
  readonly logFile: string | undefined;
  readonly configTest: boolean;
  readonly syslog: boolean;
  /** -W host:port. */
  readonly stdioForward?: { readonly host: string; readonly port: number };
}

function fail(lines: string | string[], status = 255): never {
  throw new SshExit(status, typeof lines === "string" ? [lines] : lines);
}

/** ssh.c main() getopt loop: flags become config lines (first obtained value wins, so they come before -o and files). */
function parseArgs(ctx: ProgramContext): Parsed | number {
  let cl;
  try {
    cl = parseSshCommandLine(ctx.args);
  } catch (e) {
    if (e instanceof GetoptError) return usageError("ssh", ctx, e.message);
    throw e;
  }
  const o = cl.options;
  const lines: string[] = [];
  const configTest = countFlag(o, "G") > 0;
  // options before the destination; the destination's user@ counts as given right after them (ssh.c parses it between
  // its two getopt passes), and -l / -o User / user@ take the first one given
  const firstPass = getopt(ctx.args, tableOf("ssh"), 0, "V").options.length;
  let userGiven = false;
  let stdioForward = false;
  let stdioTarget: { host: string; port: number } | undefined;
  let level: string | undefined;
  let vCount = 0;
  let user: string | undefined;
  let port: number | undefined;
  let tty = 0;
  const dest0 = cl.destination === undefined ? null : parseDestination(cl.destination);
  for (const [i, opt] of o.entries()) {
    const v = opt.value ?? "";
    if (i === firstPass && dest0?.user !== undefined && !userGiven) {
      user = dest0.user;
      userGiven = true;
    }
    switch (opt.flag) {
      case "V":
        ctx.io.err(`${VERSION_LINE}\n`);
        return 0;
      case "1":
        fail("SSH protocol v.1 is no longer supported");
        break;
      case "Q": {
        const r = querySsh(v);
        if (r === null) fail(`Unsupported query "${v}"`);
        ctx.io.out(`${r.join("\n")}\n`);
        return 0;
      }
      case "4": lines.push("AddressFamily inet"); break;
      case "6": lines.push("AddressFamily inet6"); break;
      case "n": lines.push("StdinNull yes"); break;
      case "f": lines.push("ForkAfterAuthentication yes", "StdinNull yes"); break; // ssh.c: -f implies -n
      case "x": lines.push("ForwardX11 no"); break;
      case "X": lines.push("ForwardX11 yes"); break;
      case "Y": lines.push("ForwardX11 yes", "ForwardX11Trusted yes"); break;
      case "g": lines.push("GatewayPorts yes"); break;
      case "P": lines.push(`Tag ${v}`); break;
      case "a": lines.push("ForwardAgent no"); break;
      case "A": lines.push("ForwardAgent yes"); break;
      case "k": lines.push("GSSAPIDelegateCredentials no"); break;
      case "K": lines.push("GSSAPIAuthentication yes", "GSSAPIDelegateCredentials yes"); break;
      case "C": lines.push("Compression yes"); break;
      case "N": lines.push("SessionType none", "RequestTTY no"); break;
      case "T": tty = -1; break;
      case "t": tty = tty === 1 ? 2 : 1; break;
      case "s": lines.push("SessionType subsystem"); break;
      case "q": level = "QUIET"; break;
      case "v":
        vCount++;
        level = vCount === 1 ? "DEBUG1" : vCount === 2 ? "DEBUG2" : "DEBUG3";
        break;
      case "b": lines.push(`BindAddress ${v}`); break;
      case "B": lines.push(`BindInterface ${v}`); break;
      case "I": ctx.io.err("no support for PKCS#11.\n"); break;
      case "i": {
        const path = v.startsWith("~/") ? `${localContext().home}${v.slice(1)}` : v;
        if (!existsSync(path)) ctx.io.err(`Warning: Identity file ${path} not accessible: No such file or directory.\n`);
        else lines.push(`IdentityFile "${path}"`);
        break;
      }
      case "e":
        if (!((v.length === 2 && v[0] === "^" && v.charCodeAt(1) >= 64 && v.charCodeAt(1) < 128) || v.length === 1 || v === "none")) {
          ctx.io.err(`Bad escape character '${v}'.\n`);
          return 255;
        }
        lines.push(`EscapeChar ${v}`);
        break;
      case "c": {
        const list = v.startsWith("+") || v.startsWith("^") || v.startsWith("-") ? v.slice(1) : v;
        if (list.split(",").some((c) => !ALL_CIPHERS.includes(c))) {
          ctx.io.err(`Unknown cipher type '${v}'\n`);
          return 255;
        }
        lines.push(`Ciphers ${v}`);
        break;
      }
      case "m": {
        const list = v.startsWith("+") || v.startsWith("^") || v.startsWith("-") ? v.slice(1) : v;
        if (list.split(",").some((c) => !ALL_MACS.includes(c))) {
          ctx.io.err(`Unknown mac type '${v}'\n`);
          return 255;
        }
        lines.push(`MACs ${v}`);
        break;
      }
      case "p":
        if (port === undefined) {
          const n = /^[0-9]+$/.test(v) ? Number(v) : 0;
          if (n <= 0 || n > 65535) {
            ctx.io.err(`Bad port '${v}'\n`);
            return 255;
          }
          port = n;
        }
        break;
      case "l":
        if (!userGiven) user = v;
        userGiven = true;
        break;
      case "o":
        if (/^\s*user\s*(=|\s)/i.test(v)) userGiven = true;
        lines.push(v);
        break;
      default:
        if (opt.flag === "W") {
          if (stdioForward) fail("stdio forward already specified");
          const target = parseHostPort(v);
          if (target === null) {
            ctx.io.err(`Bad stdio forwarding specification '${v}'\n`);
            return 255;
          }
          stdioForward = true;
          stdioTarget = target;
          lines.push("RequestTTY no", "SessionType none");
        } else if (NOT_YET[opt.flag] !== undefined && !configTest) {
          fail(`${ctx.progname}: ${NOT_YET[opt.flag]} is not available yet in ${SSHBOX_RELEASE} (forwarding and multiplexing come in a later release)`);
        }
    }
  }
  if (o.length <= firstPass && dest0?.user !== undefined && !userGiven) user = dest0.user;
  // ssh.c: -W implies ExitOnForwardFailure and ClearAllForwardings unless set otherwise
  if (stdioForward) lines.push("ExitOnForwardFailure yes", "ClearAllForwardings yes");
  if (tty !== 0) lines.unshift(`RequestTTY ${tty === -1 ? "no" : tty === 1 ? "yes" : "force"}`);
  if (level !== undefined) lines.unshift(`LogLevel ${level}`);
  if (cl.destination === undefined) return usageError("ssh", ctx);
  const dest = dest0;
  if (dest === null) return usageError("ssh", ctx);
  // ssh.c: values that end up in %-tokens are checked before the configuration is read
  if (user !== undefined && !validRemoteUser(user)) fail("remote username contains invalid characters");
  if (!validHostname(dest.host)) fail("hostname contains invalid characters");
  return {
    dest: { host: dest.host, user, port: port ?? dest.port },
    command: cl.command,
    overrides: lines,
    configFile: lastValue(o, "F"),
    logFile: lastValue(o, "E"),
    configTest,
    ...(stdioTarget !== undefined ? { stdioForward: stdioTarget } : {}),
    syslog: firstValue(o, "y") !== undefined || o.some((x) => x.flag === "y"),
  };
}

/** The user's shell for `Match exec` and LocalCommand (ssh.c uses $SHELL, else /bin/sh). */
function shellOf(env: Readonly<Record<string, string | undefined>>): string {
  return env.SHELL !== undefined && env.SHELL !== "" ? env.SHELL : "/bin/sh";
}

/** Where log lines go (-E file, stderr, or nowhere with -y): each line ends in CR LF as log.c writes them. */
function logSink(parsed: Parsed, io: ProgramContext["io"]): (line: string) => void {
  if (parsed.logFile !== undefined) {
    const file = parsed.logFile;
    return (line) => {
      try {
        appendFileSync(file, `${line}\r\n`);
      } catch {
        // a log file that cannot be written must not stop the session
      }
    };
  }
  if (parsed.syslog) return () => {};
  // log.c: ssh's log lines end in CR LF on stderr (the terminal may be in raw mode)
  return (line) => io.err(`${line}\r\n`);
}

/** Runs the session channel: env, pty, then exec/shell/subsystem; stdin in, stdout/stderr out; the outcome. */
async function runSession(
  mux: ChannelMux,
  req: { command: string | undefined; subsystem: boolean; env: [string, string][]; pty: boolean; escapeChar: string | null; forwardAgent: boolean },
  io: { stdin: AsyncIterable<Uint8Array> | null; stdout: FdWriter; stderr: FdWriter; log: Logger; onTerminate: () => void },
): Promise<{ exitStatus: number | null; exitSignal: string | null; refused: boolean }> {
  const ch = await mux.openChannel({ type: "session" });
  io.log.debug(`channel ${0}: new session`);
  let exitStatus: number | null = null;
  let exitSignal: string | null = null;
  ch.attach({
    onData: dataSink((b, done) => io.stdout.write(b, done)),
    onExtendedData: dataSink((b, done) => io.stderr.write(b, done)),
    onRequest: (r) => {
      if (r.type === "exit-status") {
        exitStatus = r.exitStatus;
        io.log.debug(`client_input_channel_req: channel 0 rtype exit-status reply 0`);
      } else if (r.type === "exit-signal") exitSignal = r.signal;
      return false;
    },
  });
  for (const [name, value] of req.env) {
    io.log.debug(`channel 0: setting env ${name} = "${value}"`);
    ch.send({ type: "env", name, value } as ChannelRequest);
  }
  let winch: (() => void) | undefined;
  if (req.pty) {
    const { cols, rows } = terminalSize();
    const ok = await ch.request({ type: "pty-req", term: process.env.TERM ?? "", widthChars: cols, heightRows: rows, widthPixels: 0, heightPixels: 0, modes: [] } as ChannelRequest);
    if (!ok) io.stderr.text("PTY allocation request failed on channel 0\n");
    winch = () => {
      const s = terminalSize();
      ch.send({ type: "window-change", widthChars: s.cols, heightRows: s.rows, widthPixels: 0, heightPixels: 0 } as ChannelRequest);
    };
    process.on("SIGWINCH", winch);
  }
  if (req.forwardAgent) {
    // clientloop.c client_session2_setup: no reply wanted; the server opens auth-agent@openssh.com channels later
    io.log.debug("Requesting authentication agent forwarding.");
    ch.send({ type: "auth-agent-req@openssh.com" } as ChannelRequest);
  }
  if (req.command !== undefined) io.log.debug(`Sending ${req.subsystem ? "subsystem" : "command"}: ${req.command}`);
  const start: ChannelRequest =
    req.subsystem ? ({ type: "subsystem", name: req.command ?? "" } as ChannelRequest)
    : req.command !== undefined ? ({ type: "exec", command: req.command } as ChannelRequest)
    : ({ type: "shell" } as ChannelRequest);
  const ok = await ch.request(start);
  if (!ok) {
    io.stderr.text(`${req.subsystem ? "subsystem" : req.command !== undefined ? "exec" : "shell"} request failed on channel 0\n`);
    ch.close();
    await ch.closed;
    if (winch) process.off("SIGWINCH", winch);
    return { exitStatus: null, exitSignal: null, refused: true };
  }
  if (io.stdin) {
    const source = req.pty && req.escapeChar !== null ? escapeFilter(io.stdin, req.escapeChar.charCodeAt(0), io) : io.stdin;
    void pumpToChannel(source, ch).then(
      () => ch.end(),
      () => ch.end(),
    );
  } else {
    ch.end();
  }
  await ch.closed;
  if (winch) process.off("SIGWINCH", winch);
  return { exitStatus, exitSignal, refused: false };
}

/** clientloop.c process_escapes, the essentials: `~.` ends the connection, `~~` sends one `~`, `~?` lists these. */
async function* escapeFilter(
  source: AsyncIterable<Uint8Array>,
  escape: number,
  io: { stderr: FdWriter; onTerminate: () => void },
): AsyncIterable<Uint8Array> {
  let lineStart = true;
  let pending = false;
  for await (const chunk of source) {
    const out: number[] = [];
    for (const b of chunk) {
      if (pending) {
        pending = false;
        if (b === 0x2e) {
          io.stderr.text(`${String.fromCharCode(escape)}.\r\n`);
          io.onTerminate();
          return;
        }
        if (b === 0x3f) {
          const e = String.fromCharCode(escape);
          io.stderr.text(`${e}?\r\nSupported escape sequences:\r\n ${e}.   - terminate connection\r\n ${e}?   - this message\r\n ${e}${e}   - send the escape character by typing it twice\r\n(Note that escapes are only recognized immediately after newline.)\r\n`);
          lineStart = false;
          continue;
        }
        if (b !== escape) out.push(escape);
        out.push(b);
        lineStart = b === 0x0d || b === 0x0a;
        continue;
      }
      if (lineStart && b === escape) {
        pending = true;
        continue;
      }
      out.push(b);
      lineStart = b === 0x0d || b === 0x0a;
    }
    if (out.length > 0) yield Uint8Array.from(out);
  }
}

/** Marks the copy of ssh that `-f` runs (its value is unused). */
const BACKGROUND_CHILD = "SSHBOX_SSH_BACKGROUND";

/** ssh -f in the foreground: run the copy, wait for its "authenticated" (SIGUSR1) or its end. */
async function runInBackground(ctx: ProgramContext): Promise<number> {
  const ready = new Promise<number>((resolve) => process.once("SIGUSR1", () => resolve(0)));
  const child = spawnChild({
    argv: selfArgv(["ssh", ...ctx.args]),
    env: { ...process.env, [BACKGROUND_CHILD]: "1" },
    cwd: process.cwd(), // the same program in the same place (relative -i, -F paths)
    stdio: ["ignore", "inherit", "inherit"],
  });
  const status = await Promise.race([ready, child.exited]);
  child.unref();
  return status;
}

/** setsid(2) through libc, as daemon(3) does after the fork: the background ssh leaves the terminal's session. */
function detachSession(): void {
  try {
    dlopen("libc.so.6", { setsid: { args: [], returns: "i32" } }).symbols.setsid();
  } catch {
    // not glibc: stays in the session (SIGHUP from a closing terminal then ends it, as without -f)
  }
}

/**
 * The agent socket ssh uses (ssh.c): IdentityAgent when set ("none": no agent; "SSH_AUTH_SOCK" or unset: that
 * variable; the legacy "$NAME" form: the variable NAME; otherwise a path, ~ and %-tokens expanded), else SSH_AUTH_SOCK.
 */
function agentSocketPath(identityAgent: string | null, env: Readonly<Record<string, string | undefined>>, expand: (p: string) => string): string | null {
  const fromEnv = (name: string): string | null => (env[name] ?? "") === "" ? null : env[name]!;
  if (identityAgent === null || identityAgent === "SSH_AUTH_SOCK") return fromEnv("SSH_AUTH_SOCK");
  if (identityAgent === "none") return null;
  if (identityAgent.startsWith("$") && !identityAgent.startsWith("${")) {
    const name = identityAgent.slice(1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(`Invalid IdentityAgent environment variable name ${identityAgent}`);
    return fromEnv(name);
  }
  return expand(identityAgent);
}

/** The strerror(3) text of a failed socket call, or the error's message. */
function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" ? "No such file or directory" : code === "ECONNREFUSED" ? "Connection refused" : code === "EACCES" ? "Permission denied" : (e as Error).message;
}

/**
 * The agent socket forwarded connections go to (ssh.c): null without ForwardAgent; SSH_AUTH_SOCK for "yes"; for a
 * path, the legacy "$NAME" form names a variable (unset: no forwarding), else ~ and %-tokens expanded, and a path that
 * does not exist is reported as OpenSSH reports it.
 */
function forwardAgentSocket(setting: boolean | string, env: Readonly<Record<string, string | undefined>>, expand: (p: string) => string, error: (line: string) => void): string | null {
  if (setting === false) return null;
  if (setting === true) return (env.SSH_AUTH_SOCK ?? "") === "" ? null : env.SSH_AUTH_SOCK!;
  if (setting.startsWith("$") && !setting.startsWith("${")) {
    const name = setting.slice(1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(`Invalid ForwardAgent environment variable name ${setting}`);
    return (env[name] ?? "") === "" ? null : env[name]!;
  }
  const path = expand(setting);
  if (!existsSync(path)) error(`Cannot forward agent socket path "${path}": No such file or directory`);
  return path;
}

function terminalSize(): { cols: number; rows: number } {
  const out = process.stdout as { columns?: number; rows?: number };
  if (out.columns && out.rows) return { cols: out.columns, rows: out.rows };
  const r = spawnSync("stty", ["size"], { stdio: [0, "pipe", "ignore"] });
  const m = /^(\d+) (\d+)/.exec(r.stdout?.toString() ?? "");
  return m ? { cols: Number(m[2]), rows: Number(m[1]) } : { cols: 80, rows: 24 };
}

/** readpass.c / sshconnect2.c: the prompts of keyboard-interactive and password go through the terminal (or askpass). */
function authOptions(cfg: SshConfig, log: Logger, env: Readonly<Record<string, string | undefined>>, err: (s: string) => void, unsafe: () => boolean): Omit<ClientAuthOptions, "signers"> {
  const ask = (prompt: string, echo: boolean): string | null => (cfg.batchMode ? null : readPassphrase(prompt, { echo, env }));
  let preferred = cfg.preferredAuthentications !== null ? cfg.preferredAuthentications.split(",") : [...DEFAULT_PREFERRED_AUTHENTICATIONS];
  const off = new Set<string>();
  if (cfg.pubkeyAuthentication === "false") off.add("publickey");
  if (!cfg.passwordAuthentication) off.add("password");
  if (!cfg.kbdInteractiveAuthentication) off.add("keyboard-interactive");
  preferred = preferred.filter((m) => !off.has(m));
  const levelOf: Record<AuthLogLevel, keyof Logger> = { ERROR: "error", INFO: "info", VERBOSE: "verbose", DEBUG1: "debug", DEBUG2: "debug2", DEBUG3: "debug3" };
  return {
    user: cfg.user,
    preferredAuthentications: preferred,
    pubkeyAcceptedAlgorithms: cfg.pubkeyAcceptedAlgorithms,
    hostbound: cfg.pubkeyAuthentication !== "unbound",
    numberOfPasswordPrompts: cfg.numberOfPasswordPrompts,
    ...(cfg.kbdInteractiveDevices !== null ? { kbdInteractiveDevices: cfg.kbdInteractiveDevices } : {}),
    password: async (attempt) => {
      if (unsafe()) return null;
      if (attempt > 1) err("Permission denied, please try again.\r\n");
      return ask(`${cfg.user}@${cfg.hostname}'s password: `, false);
    },
    keyboardInteractive: async (req) => {
      if (unsafe() || cfg.batchMode) return null;
      if (req.name !== "") err(`${req.name}\n`);
      if (req.instruction !== "") err(`${req.instruction}${req.instruction.endsWith("\n") ? "" : "\n"}`);
      const answers: string[] = [];
      for (const p of req.prompts) {
        const a = ask(p.prompt, p.echo);
        if (a === null) return null;
        answers.push(a);
      }
      return answers;
    },
    onBanner: (message) => {
      if (log.level >= LogLevel.INFO) err(message);
    },
    log: (level, message) => {
      // sshconnect2.c: a key file that could not be loaded (bad permissions, no passphrase) is skipped quietly
      if (message.includes(": no private key for ")) return log.debug(message);
      (log[levelOf[level]] as (m: string) => void)(message);
    },
  };
}

/** The plain key type an algorithm signs with (rsa-sha2-512 → ssh-rsa). */
function keyTypeOfAlgorithm(alg: string): string {
  return alg.startsWith("rsa-sha2-") ? "ssh-rsa" : alg;
}

/** Where fatal() lines go: stderr until the configuration names the log destination and level. */
interface FatalSink {
  write: (line: string) => void;
}

async function runSsh(ctx: ProgramContext): Promise<number> {
  const stdout = new FdWriter(1);
  const stderr = new FdWriter(2);
  const fatal: FatalSink = { write: (line) => ctx.io.err(`${line}\r\n`) }; // fatal(): CR LF as every log line
  try {
    return await main(ctx, stdout, stderr, fatal);
  } catch (e) {
    if (e instanceof SshExit) {
      await stdout.flushed();
      await stderr.flushed();
      for (const l of e.lines) fatal.write(l);
      return e.status;
    }
    throw e;
  } finally {
    await stdout.flushed();
    await stderr.flushed();
  }
}

async function main(ctx: ProgramContext, stdout: FdWriter, stderr: FdWriter, fatal: FatalSink): Promise<number> {
  const parsed = parseArgs(ctx);
  if (typeof parsed === "number") return parsed;
  const dest = parsed.dest!;
  const local: SshLocalContext = localContext();
  const env = process.env;
  const commandLine = parsed.command.join(" ");
  let cfg: SshConfig;
  try {
    cfg = loadSshConfig({
      host: dest.host,
      ...(dest.user !== undefined ? { user: dest.user } : {}),
      ...(dest.port !== undefined ? { port: dest.port } : {}),
      overrides: parsed.overrides,
      ...(parsed.configFile !== undefined ? { configFile: parsed.configFile } : {}),
      command: commandLine,
      local,
      exec: (cmd) => spawnSync(shellOf(env), ["-c", cmd], { stdio: ["ignore", "ignore", "inherit"] }).status === 0,
    });
  } catch (e) {
    if (e instanceof ConfigExitError) fail(e.message === "" ? [] : e.message.split("\n"), e.exitStatus === 1 ? 255 : e.exitStatus);
    if (e instanceof ConfigError) fail(e.message.split("\n"));
    throw e;
  }
  if (parsed.configTest) {
    ctx.io.out(formatSshG(cfg));
    return 0;
  }
  const sink = logSink(parsed, ctx.io);
  const log = makeLogger(LEVELS[cfg.logLevel] ?? LogLevel.INFO, sink);
  fatal.write = log.level >= LogLevel.FATAL ? sink : () => {};
  if (log.level >= LogLevel.DEBUG1) log.info(VERSION_LINE);
  for (const n of cfg.notices) {
    const at = n.level === "ERROR" ? log.error : n.level === "INFO" ? log.info : n.level === "VERBOSE" ? log.verbose : n.level === "DEBUG1" ? log.debug : n.level === "DEBUG2" ? log.debug2 : log.debug3;
    at(n.text);
  }
  if (cfg.proxyJump !== null) fail(`${ctx.progname}: jump hosts (ProxyJump) are not available yet in ${SSHBOX_RELEASE}`);
  if (cfg.localForward.length > 0 || cfg.remoteForward.length > 0) log.info("Port forwarding is not available yet; LocalForward/RemoteForward/DynamicForward ignored.");
  let remoteCommand: string | undefined = parsed.command.length > 0 ? commandLine : undefined;
  if (remoteCommand !== undefined && cfg.remoteCommand !== null) fail("Cannot execute command-line and remote command.");
  remoteCommand ??= cfg.remoteCommand ?? undefined;
  // ssh.c: no command and a session wanted → nothing to do in the background
  if (cfg.forkAfterAuthentication && remoteCommand === undefined && cfg.sessionType !== "none") fail("Cannot fork into background without a command to execute.");
  // -f (ssh.c fork_postauth): Bun cannot fork, so this process runs a copy of itself with the same arguments and
  // waits. The copy connects and authenticates (prompts reach the terminal as usual), then tells us (SIGUSR1) and
  // leaves our session (setsid, as daemon(3) does); we exit 0 then, or with its status if it ends first.
  if (cfg.forkAfterAuthentication && process.env[BACKGROUND_CHILD] === undefined) return await runInBackground(ctx);

  const sessionNone = cfg.sessionType === "none";
  const subsystem = cfg.sessionType === "subsystem";
  const stdinIsTty = isatty(0);
  let tty = cfg.requestTty === "true" || cfg.requestTty === "force";
  if (remoteCommand === undefined) tty = cfg.requestTty !== "false";
  if (cfg.requestTty === "false" || sessionNone) tty = false;
  if ((!stdinIsTty || cfg.stdinNull) && cfg.requestTty !== "force") {
    if (tty) log.info("Pseudo-terminal will not be allocated because stdin is not a terminal.");
    tty = false;
  }

  const tokens = sshTokensFor(cfg, local);
  // ---- connect (ssh.c ssh_connect with ConnectionAttempts) ----
  let link: Link;
  let address = "UNKNOWN";
  let remotePort = 65535;
  const proxied = cfg.proxyCommand !== null;
  if (cfg.proxyCommand !== null) {
    const command = `exec ${expandSshTokens("ProxyCommand", cfg.proxyCommand, tokens)}`;
    log.debug(`Executing proxy command: ${command}`);
    link = proxyCommandLink(command, env).link;
  } else {
    let lastError: unknown;
    let got: { link: Link; address: string } | undefined;
    for (let attempt = 0; attempt < Math.max(1, cfg.connectionAttempts) && got === undefined; attempt++) {
      if (attempt > 0) {
        log.debug("Trying again...");
        await Bun.sleep(1000);
      }
      try {
        log.debug(`Connecting to ${cfg.hostname} port ${cfg.port}.`);
        got = await connectTcp(cfg.hostname, cfg.port, {
          ...(cfg.connectTimeout !== null ? { timeoutMs: cfg.connectTimeout * 1000 } : {}),
          family: cfg.addressFamily === "inet" ? 4 : cfg.addressFamily === "inet6" ? 6 : 0,
        });
      } catch (e) {
        lastError = e;
        if (!(e instanceof ConnectError) || e.message.startsWith("Could not resolve")) break;
        log.debug(`connect to address ${cfg.hostname} port ${cfg.port}: ${e.message.replace(/^.*: /, "")}`);
      }
    }
    if (got === undefined) {
      if (lastError instanceof ConnectError) fail(`${ctx.progname}: ${lastError.message}`);
      throw lastError;
    }
    link = got.link;
    address = got.address;
    remotePort = cfg.port;
    log.debug("Connection established.");
  }
  const peer = `${address} port ${remotePort}`;

  // ---- host key policy ----
  const khHost = cfg.hostKeyAlias ?? cfg.hostname;
  const khPort = cfg.hostKeyAlias !== null ? 22 : cfg.port;
  const known = knownKeyTypes([...cfg.userKnownHostsFile, ...cfg.globalKnownHostsFile], khHost, khPort);
  const hostKeyAlgs = cfg.hostKeyAlgorithms.filter((a) => signatureSpec(a) !== undefined);
  const preferKnown = [...hostKeyAlgs.filter((a) => known.has(keyTypeOfAlgorithm(a))), ...hostKeyAlgs.filter((a) => !known.has(keyTypeOfAlgorithm(a)))];
  let unsafe = false;
  let hostkeyTrusted = false;
  const errorLine = (s: string): void => log.error(s);
  /** sshconnect.c load_hostkeys_command: argv split first, then each word %-expanded; run without a shell. */
  const knownHostsCommand = (blob: Uint8Array): string | undefined => {
    if (cfg.knownHostsCommand === null) return undefined;
    const words = argvSplit(cfg.knownHostsCommand, false) ?? [];
    const type = blobType(blob);
    const extra = { t: type, K: Buffer.from(blob).toString("base64"), f: fingerprint(blob, cfg.fingerprintHash.toLowerCase() as "sha256"), H: khPort === 22 ? khHost : `[${khHost}]:${khPort}`, I: "HOSTNAME" };
    const argv = words.map((w) => expandSshTokens("KnownHostsCommand", w, { ...tokens, ...extra }));
    if (argv.length === 0) return undefined;
    log.debug(`Executing KnownHostsCommand: ${argv.join(" ")}`);
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "inherit"], env });
    if (r.status !== 0) {
      errorLine(`KnownHostsCommand ${argv[0]} exited with status ${r.status ?? "(signal)"}`);
      return undefined;
    }
    return r.stdout?.toString("utf8") ?? "";
  };
  const checkHostKey = (blob: Uint8Array): boolean => {
    if (cfg.noHostAuthenticationForLocalhost && !proxied && isLoopback(address) && cfg.hostKeyAlias === null) {
      log.debug("Forcing accepting of host key for loopback/localhost.");
      return true;
    }
    const commandOutput = knownHostsCommand(blob);
    const r = verifyHostKey({
      settings: {
        ...(commandOutput !== undefined ? { commandOutput } : {}),
        strictHostKeyChecking: cfg.strictHostKeyChecking, userKnownHostsFiles: cfg.userKnownHostsFile,
        globalKnownHostsFiles: cfg.globalKnownHostsFile, hashKnownHosts: cfg.hashKnownHosts, fingerprintHash: cfg.fingerprintHash,
        batchMode: cfg.batchMode,
      },
      host: khHost, port: khPort,
      ip: proxied ? "<no hostip for proxy command>" : cfg.port === 22 ? address : `[${address}]:${cfg.port}`,
      blob, log: wrapped,
      confirm: (prompt) => readPassphrase(prompt, { echo: true, env }),
      // sshconnect.c: CheckHostIP only for direct, non-loopback connections to a name, without HostKeyAlias
      ...(cfg.checkHostIp && !proxied && cfg.hostKeyAlias === null && !isLoopback(address) && address !== cfg.hostname ? { checkIp: cfg.port === 22 ? address : `[${address}]:${cfg.port}` } : {}),
    });
    hostkeyTrusted = r.trusted === true;
    if (r.unsafe) {
      unsafe = true;
      if (cfg.passwordAuthentication) errorLine("Password authentication is disabled to avoid man-in-the-middle attacks.");
      if (cfg.kbdInteractiveAuthentication) errorLine("Keyboard-interactive authentication is disabled to avoid man-in-the-middle attacks.");
    }
    return r.ok;
  };
  // The transport's own lines in ssh's words (packet.c: "Received disconnect from ... port ...:N: text").
  let sawVersion = false;
  const wrapped: Logger = {
    ...log,
    error: (m) => errorLine(m),
    info: (m) => {
      const d = /^Received disconnect: (\d+): (.*)$/s.exec(m);
      if (d) return log.info(`Received disconnect from ${peer}:${d[1]}: ${d[2]}`);
      log.info(m);
    },
    debug: (m) => {
      if (m.startsWith("Remote protocol version")) sawVersion = true;
      log.debug(m);
    },
  };

  // ---- identities ----
  /** sshconnect.c maybe_add_key_to_agent: a key loaded from its file goes to the agent (asked first with "ask"). */
  const addKeyToAgent = async (path: string, key: PrivateKey): Promise<void> => {
    if (agentPath === null) return log.debug3("no authentication agent, not adding key");
    if (cfg.addKeysToAgent === "ask") {
      const answer = readPassphrase(`Add key ${path} (${key.comment}) to agent? `, { echo: true, env });
      if (answer === null || !(answer.trim() === "" || answer.trim().toLowerCase() === "yes")) return log.debug3("user denied adding this key");
    }
    let a: AgentClient | null = null;
    try {
      a = await AgentClient.connect(agentPath);
      await a.add(key.type, key.privateFields, key.comment === "" ? path : key.comment, {
        lifetimeSeconds: cfg.addKeysToAgentLifespan, confirm: cfg.addKeysToAgent === "confirm",
      });
      log.debug(`identity added to agent: ${path}`);
    } catch (e) {
      log.debug(`could not add identity to agent: ${path} (${(e as Error).message})`);
    } finally {
      a?.close();
    }
  };
  const expandPath = (kw: string, p: string): string => expandSshTokens(kw, p, tokens, { tilde: local.home });
  const agentPath = agentSocketPath(cfg.identityAgent, env, (p) => expandPath("IdentityAgent", p));
  let signers = cfg.pubkeyAuthentication === "false" ? [] : identitySigners(
    cfg.identityFile.map((p) => expandPath("IdentityFile", p)),
    cfg.certificateFile.map((p) => expandPath("CertificateFile", p)),
    {
      log, uid: local.uid, error: errorLine,
      ...(cfg.batchMode ? {} : { askPassphrase: (prompt: string) => readPassphrase(prompt, { echo: false, env }) }),
      ...(cfg.addKeysToAgent !== "false" ? { addToAgent: (path: string, key: PrivateKey) => addKeyToAgent(path, key) } : {}),
    },
  );

  // ---- the agent (ssh.c IdentityAgent / SSH_AUTH_SOCK; sshconnect2.c get_agent_identities) ----
  let agent: AgentClient | null = null;
  if (agentPath !== null && cfg.pubkeyAuthentication !== "false") {
    try {
      agent = await AgentClient.connect(agentPath);
      const keys = await agent.identities();
      log.debug(`get_agent_identities: agent returned ${keys.length} keys`);
      const a = agent;
      const certificates = readCertificateFiles(cfg.certificateFile.map((p) => expandPath("CertificateFile", p)));
      signers = preferAgentKeys(signers, { keys, sign: (blob, data, alg) => a.sign(blob, data, alg) }, cfg.identitiesOnly, certificates);
    } catch (e) {
      log.debug(`get_agent_identities: ${agent === null ? "ssh_get_authentication_socket" : "ssh_fetch_identitylist"}: ${errnoText(e)}`);
      agent?.close();
      agent = null;
    }
  }

  // hostkeys-00@openssh.com may come with USERAUTH_SUCCESS: kept until the update below is ready for it
  let hostkeysSeen = false;
  let hostkeysEarly: readonly Uint8Array[] | null = null;
  let onHostkeys: ((keys: readonly Uint8Array[]) => void) | null = null;
  const muxHandler: MuxHandler = {
    onGlobalRequest: (request) => {
      if (request.type !== "hostkeys-00@openssh.com") return false;
      if (hostkeysSeen) throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "client_input_hostkeys: server already sent hostkeys");
      hostkeysSeen = true;
      if (onHostkeys !== null) onHostkeys(request.hostKeys);
      else hostkeysEarly = request.hostKeys;
      return true;
    },
  };

  let conn: ClientConnection;
  try {
    conn = await connectClient({
      muxHandler,
      link,
      tables: { ciphers: CIPHERS, macs: MACS, kex: KEX_METHODS },
      preferences: {
        kex: cfg.kexAlgorithms.filter((n) => KEX_METHODS.some((k) => k.name === n)),
        hostKey: preferKnown,
        ciphers: cfg.ciphers.filter((n) => CIPHERS.some((c) => c.name === n)),
        macs: cfg.macs.filter((n) => MACS.some((m) => m.name === n)),
        compression: ["none"],
      },
      software: SSHBOX_RELEASE,
      verifySignature,
      checkHostKey,
      auth: { ...authOptions(cfg, wrapped, env, (s) => stderr.text(s), () => unsafe), signers },
      ...(cfg.rekeyLimit.bytes > 0 ? { rekeyBytes: cfg.rekeyLimit.bytes } : {}),
      ...(cfg.rekeyLimit.seconds > 0 ? { rekeySeconds: cfg.rekeyLimit.seconds } : {}),
      log: wrapped,
    });
  } catch (e) {
    agent?.close();
    await stderr.flushed();
    if (e instanceof AuthenticationFailedError) fail(`${cfg.user}@${cfg.hostname}: ${e.message}`);
    if (e instanceof HostKeyVerificationError) fail("Host key verification failed.");
    if (e instanceof NegotiationError) fail(`Unable to negotiate with ${peer}: no matching ${e.what} found. Their offer: ${e.theirs.join(",")}`);
    if (e instanceof PeerDisconnectedError) fail(log.level >= LogLevel.INFO ? [`Disconnected from ${peer}`] : []);
    if (e instanceof ProtocolError) fail(dispatchFatal(e, peer));
    if (e instanceof ConnectionLostError) {
      const lines = sawVersion ? [`Connection closed by ${peer}`] : ["kex_exchange_identification: Connection closed by remote host", `Connection closed by ${peer}`];
      fail(lines);
    }
    fail([`${e instanceof Error ? e.message : String(e)}`]);
  }
  agent?.close(); // sshconnect2.c pubkey_cleanup: the agent connection ends with authentication
  if (cfg.forkAfterAuthentication && process.env[BACKGROUND_CHILD] !== undefined) {
    log.debug("forking to background");
    process.kill(process.ppid, "SIGUSR1");
    detachSession();
  }
  log.verbose(`Authenticated to ${cfg.hostname} (${proxied ? "via proxy" : `[${address}]:${remotePort}`}).`);

  // ---- LocalCommand (ssh.c ssh_local_cmd) ----
  if (cfg.permitLocalCommand && cfg.localCommand !== null) {
    const command = expandSshTokens("LocalCommand", cfg.localCommand, { ...tokens, T: "NONE" });
    log.debug(`Executing command: '${command}'`);
    spawnSync(shellOf(env), ["-c", command], { stdio: ["ignore", "inherit", "inherit"] });
  }

  const { transport, mux } = conn;
  let status = 255;
  // ---- agent forwarding (ssh.c forward_agent_sock_path, clientloop.c client_request_agent) ----
  const forwardAgentPath = forwardAgentSocket(cfg.forwardAgent, env, (p) => expandPath("ForwardAgent", p), errorLine);
  mux.handler = {
    ...mux.handler,
    onChannelOpen: (request, open) => {
      if (request.type !== "auth-agent@openssh.com") return open.reject(SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
      if (forwardAgentPath === null) {
        errorLine("Warning: ssh server tried agent forwarding.");
        errorLine("Warning: this is probably a break-in attempt by a malicious server.");
        return open.reject(SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
      }
      // the shared socket <-> channel bridge of forwarding (half-closes and backpressure as nchan.c)
      connectBridged({ path: forwardAgentPath }).then(
        ({ bridge }) => {
          bridge.attach(open.accept());
          log.debug("confirm auth-agent@openssh.com");
        },
        (e: unknown) => {
          log.debug(`client_request_agent: ssh_get_authentication_socket: ${errnoText(e)}`);
          open.reject(SSH_OPEN_CONNECT_FAILED, "open failed");
        },
      );
    },
  };

  // ---- UpdateHostKeys (clientloop.c client_input_hostkeys): hostkeys-00@openssh.com after authentication ----
  let hostkeysUpdate: Promise<void> = Promise.resolve();
  // clientloop.c can_update_hostkeys, sshconnect.c: never in BatchMode with "ask", never for a key not trusted from
  // the user's own known_hosts (or confirmed by the user), never with no UserKnownHostsFile
  let updateHostKeys = cfg.updateHostKeys;
  if (updateHostKeys !== "false" && !hostkeyTrusted) {
    log.debug("check_host_key: hostkey not known or explicitly trusted: disabling UpdateHostkeys");
    updateHostKeys = "false";
  }
  if (updateHostKeys === "ask" && cfg.batchMode) updateHostKeys = "false";
  if (cfg.userKnownHostsFile.length === 0) updateHostKeys = "false";
  const hostkeysCtx: HostkeysContext = {
    host: khPort === 22 ? khHost : `[${khHost}]:${khPort}`,
    ip: undefined,
    userKnownHostsFiles: cfg.userKnownHostsFile,
    hashKnownHosts: cfg.hashKnownHosts,
    fingerprintHash: cfg.fingerprintHash.toLowerCase() as "sha256",
    acceptable: (blob) => {
      // hostkey_accepted_by_hostkeyalgs: RSA keys by any of their signature algorithms
      const type = blobType(blob);
      const names = type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type];
      return names.some((n) => cfg.hostKeyAlgorithms.includes(n));
    },
    log,
  };
  const updateHostkeys = async (hostKeys: readonly Uint8Array[]): Promise<void> => {
    const plan = planHostkeysUpdate(hostKeys, hostkeysCtx);
    if (plan === null) return;
    if (plan.toProve.length > 0) {
      const reply = await mux.globalRequest({ type: "hostkeys-prove-00@openssh.com", hostKeys: plan.toProve.map((i) => plan.keys[i]!) });
      if (!reply.success) {
        errorLine("Server failed to confirm ownership of private host keys");
        return;
      }
      let sigs: Uint8Array[];
      try {
        sigs = decodeHostkeysProveReply(reply.data);
      } catch {
        errorLine("client_global_hostkeys_prove_confirm: parse sig: invalid format");
        return;
      }
      if (!verifyHostkeyProofs(plan, sigs, transport.sessionId, transport.negotiated?.hostKey ?? "", verifySignature, log)) return;
    }
    const lines = hostkeysChangeLines(plan, hostkeysCtx.fingerprintHash);
    if (updateHostKeys === "ask") {
      log.info("The server has updated its host keys.");
      log.info("These changes were verified by the server's existing trusted key.");
      for (const l of lines) log.info(l);
      let accepted = false;
      for (let i = 0; i < 3; i++) {
        const answer = readPassphrase("Accept updated hostkeys? (yes/no): ", { echo: true, env });
        if (answer !== null && answer.trim().toLowerCase() === "yes") {
          accepted = true;
          break;
        }
        if (answer === null || answer.trim().toLowerCase() === "no") break;
        log.info('Please enter "yes" or "no"');
      }
      if (!accepted) return;
    } else {
      for (const l of lines) log.verbose(l);
    }
    applyHostkeysUpdate(plan, hostkeysCtx);
  };
  onHostkeys = (keys) => {
    if (updateHostKeys === "false") return;
    hostkeysUpdate = updateHostkeys(keys).catch((e: unknown) => log.debug(`client_input_hostkeys: ${(e as Error).message}`));
  };
  if (hostkeysEarly !== null) onHostkeys(hostkeysEarly);

  // clientloop.c: SIGHUP, SIGINT (when no pty takes it as a byte), SIGTERM end the connection with 255
  let restoreTerminal = (): void => {};
  for (const [sig, n] of [["SIGHUP", 1], ["SIGINT", 2], ["SIGTERM", 15]] as const) {
    if (ignoredAtStart(n)) continue; // ssh.c: a signal that came ignored stays ignored (sftp, scp run us so)
    process.on(sig, () => {
      restoreTerminal();
      log.verbose(`Killed by signal ${n}.`);
      transport.disconnect(11, "disconnected by user");
      void Promise.all([stdout.flushed(), stderr.flushed()]).then(() => process.exit(255));
    });
  }
  // clientloop.c server_alive_check: keepalive@openssh.com every ServerAliveInterval; too many unanswered ends it
  let aliveTimeout = false;
  let aliveTimer: ReturnType<typeof setInterval> | undefined;
  if (cfg.serverAliveInterval > 0) {
    let missed = 0;
    aliveTimer = setInterval(() => {
      if (missed >= cfg.serverAliveCountMax) {
        errorLine(`Timeout, server ${cfg.hostname} not responding.`);
        aliveTimeout = true;
        clearInterval(aliveTimer);
        transport.close();
        return;
      }
      missed++;
      mux.globalRequest({ type: "keepalive@openssh.com" } as GlobalRequest).then(
        () => (missed = 0),
        () => {},
      );
    }, cfg.serverAliveInterval * 1000);
  }
  if (parsed.stdioForward !== undefined) {
    // ssh.c ssh_init_stdio_forwarding: one direct-tcpip channel joined to stdin and stdout
    const t = parsed.stdioForward;
    log.debug(`ssh_init_stdio_forwarding: ${t.host}:${t.port}`);
    try {
      const ch = await mux.openChannel({ type: "direct-tcpip", hostToConnect: t.host, portToConnect: t.port, originatorAddress: "stdio-forward", originatorPort: 0 });
      ch.attach({ onData: dataSink((b, done) => stdout.write(b, done)) });
      void pumpToChannel(Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>, ch).then(
        () => ch.end(),
        () => ch.end(),
      );
      await ch.closed;
      status = 0;
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      errorLine(`channel 0: ${e.message}`);
      errorLine("stdio forwarding failed");
      status = 255;
    }
  } else if (sessionNone) {
    // -N: nothing to run; stay connected until the server or a signal ends it
    await transport.closed;
  } else {
    const sendEnv: [string, string][] = [];
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) continue;
      if (cfg.sendEnv.some((p) => !p.startsWith("-") && matchPattern(name, p)) && !cfg.sendEnv.some((p) => p.startsWith("-") && matchPattern(name, p.slice(1)))) {
        sendEnv.push([name, value]);
      }
    }
    for (const e of cfg.setEnv) {
      const eq = e.indexOf("=");
      if (eq > 0) sendEnv.push([e.slice(0, eq), e.slice(eq + 1)]);
    }
    let stdin: AsyncIterable<Uint8Array> | null = null;
    const rawMode = tty && stdinIsTty;
    if (!cfg.stdinNull) {
      stdin = stdinIsTty ? (process.stdin as AsyncIterable<Uint8Array>) : (Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>);
    }
    // sshtty.c enter_raw_mode: no echo, no signals, no output processing (the remote pty does CR LF)
    const saved = rawMode ? spawnSync("stty", ["-g"], { stdio: [0, "pipe", "ignore"] }).stdout?.toString().trim() : undefined;
    if (rawMode) {
      spawnSync("stty", ["raw", "-echo"], { stdio: [0, "ignore", "ignore"] });
      restoreTerminal = () => {
        if (saved) spawnSync("stty", [saved], { stdio: [0, "ignore", "ignore"] });
      };
    }
    let terminated = false;
    try {
      log.debug("Entering interactive session.");
      const outcome = await runSession(
        mux,
        { command: remoteCommand, subsystem, env: sendEnv, pty: tty, escapeChar: cfg.escapeChar, forwardAgent: forwardAgentPath !== null },
        {
          stdin, stdout, stderr, log,
          onTerminate: () => {
            terminated = true;
            transport.disconnect(11, "disconnected by user");
          },
        },
      );
      status = terminated || aliveTimeout ? 255 : outcome.exitStatus !== null ? outcome.exitStatus : 255;
      if (outcome.exitStatus === null && outcome.exitSignal === null && !terminated && !aliveTimeout) {
        // the connection died under the session: say how, as ssh_packet's fatal paths do
        const closedWith = await Promise.race([transport.closed, Bun.sleep(50).then(() => null)]);
        if (closedWith instanceof ProtocolError) for (const l of dispatchFatal(closedWith, peer)) errorLine(l);
        else if (closedWith instanceof ConnectionLostError) errorLine(`Connection to ${cfg.hostname} closed by remote host.`);
        else if (closedWith instanceof PeerDisconnectedError) log.info(`Disconnected from ${peer}`);
      }
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      // the connection failed before or while the channel opened
      const closedWith = await Promise.race([transport.closed, Bun.sleep(50).then(() => null)]);
      if (closedWith instanceof ProtocolError) for (const l of dispatchFatal(closedWith, peer)) errorLine(l);
      else errorLine(e.message);
      status = 255;
    } finally {
      await stdout.flushed();
      // clientloop.c: the quit message goes out while the terminal is still raw
      if (tty && log.level >= LogLevel.INFO) stderr.text(`Connection to ${cfg.hostname} closed.\r\n`);
      await stderr.flushed();
      restoreTerminal();
      restoreTerminal = () => {};
    }
  }
  clearInterval(aliveTimer);
  // a known_hosts update still waiting for the server's proof finishes first (it is answered before the session's end)
  await Promise.race([hostkeysUpdate, transport.closed]);
  await stdout.flushed();
  await stderr.flushed();
  transport.disconnect(11, "disconnected by user");
  return status;
}

/** The ssh program. */
export const ssh: ProgramModule = { implemented: true, run: runSsh };
