// `sshd`: the OpenSSH-compatible server (sshd.c). Reads sshd_config (and -o), loads host keys, then serves: one
// connection on stdin/stdout (-i), or a listener in the foreground (-D, -d) or as a daemon. Unprivileged mode (not
// root: only the invoking user can log in) and root mode share one process per listener; every connection is isolated
// by error handling, not by fork (see README: a crash in one connection's code is caught and logged).
import { appendFileSync, existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { GetoptError, countFlag, valuesOf, lastValue } from "./getopt.ts";
import { parseCommandLine } from "./command-line.ts";
import { usageError, type ProgramContext, type ProgramModule } from "./pending.ts";
import { VERSION_LINE, SSHBOX_RELEASE } from "../core/version.ts";
import { ConfigExitError, applyMatch, formatSshdTest, loadSshdConfig, parseConnectionSpec, type SshdConfig, SSHD_CONFIG_PATH } from "../core/config/index.ts";
import { ConfigError } from "../core/errors.ts";
import { loadPrivateKey, fingerprint, type PrivateKey } from "../core/keys/index.ts";
import { CIPHERS, KEX_METHODS, MACS, SIGNATURE_SPECS, signatureSpec, verifySignature } from "../core/crypto/registry.ts";
import { LogLevel, escapeForLog, makeLogger, type Logger } from "../core/log.ts";
import { StreamLink, type Link } from "../core/transport/link.ts";
import type { HostKeySigner } from "../core/transport/transport.ts";
import { serveConnection } from "../core/server/connection.ts";
import { openSyslog, SYSLOG_FACILITIES, SYSLOG_PATH } from "../core/server/syslog.ts";
import { pamUnavailable, PAM_NEW_AUTHTOK_REQD, PAM_SUCCESS } from "../core/server/pam.ts";
import { listen } from "../core/server/listener.ts";
import { serverAuthPolicy, serverSessionPolicy, type KeyGrant, type PeerInfo, type ServerMode } from "../core/server/policy.ts";
import { getpwnam, getpwuid, type Passwd } from "../core/server/users.ts";
import type { SubsystemTarget } from "../core/server/session.ts";
import { SESSION_CHILD_VARIABLE, chrootProblem, runSessionChild, type SessionChildSpec } from "../core/server/session-child.ts";
import { expandSshdTokens } from "../core/config/index.ts";
import { runInternalSftp, internalSftpOptions } from "./sftp-server.ts";
import { processIo } from "./io.ts";
import { serveSftp, fileNameService } from "../core/sftp/index.ts";
import { selfArgv, spawnChild } from "../core/process/spawn.ts";

/** Marks the re-spawned daemon child (bun-platform.md §6: detect child mode by environment, never by argv). */
const DAEMON_CHILD = "SSHBOX_SSHD_DAEMON_CHILD";

/** The default host keys sshd tries when neither -h nor HostKey names one (servconf.c fill_default_server_options). */
const DEFAULT_HOST_KEYS = ["/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key"];

const LEVELS: Record<string, LogLevel> = {
  QUIET: LogLevel.QUIET, FATAL: LogLevel.FATAL, ERROR: LogLevel.ERROR, INFO: LogLevel.INFO, VERBOSE: LogLevel.VERBOSE,
  DEBUG: LogLevel.DEBUG1, DEBUG1: LogLevel.DEBUG1, DEBUG2: LogLevel.DEBUG2, DEBUG3: LogLevel.DEBUG3,
};

interface Flags {
  readonly config: string;
  readonly debug: number;
  readonly foreground: boolean;
  readonly logStderr: boolean;
  readonly logFile: string | undefined;
  readonly inetd: boolean;
  readonly test: boolean;
  readonly testExtended: boolean;
  readonly quiet: boolean;
  readonly hostKeys: string[];
  readonly overrides: string[];
  readonly ports: number[];
  readonly connSpec: string[];
}

function parseFlags(ctx: ProgramContext): Flags | number {
  let parsed;
  try {
    parsed = parseCommandLine("sshd", ctx.args);
  } catch (e) {
    if (e instanceof GetoptError) return usageError("sshd", ctx, e.message);
    throw e;
  }
  const o = parsed.options;
  if (o.some((x) => x.flag === "V")) {
    ctx.io.err(`${VERSION_LINE}\n`);
    return 0;
  }
  if (parsed.operands.length > 0) {
    ctx.io.err(`Extra argument ${parsed.operands[0]}.\n`);
    return 1;
  }
  const overrides = valuesOf(o, "o");
  if (o.some((x) => x.flag === "4")) overrides.unshift("AddressFamily inet");
  if (o.some((x) => x.flag === "6")) overrides.unshift("AddressFamily inet6");
  const g = lastValue(o, "g");
  if (g !== undefined) overrides.unshift(`LoginGraceTime ${g}`);
  const ports: number[] = [];
  for (const p of valuesOf(o, "p")) {
    const n = Number(p);
    if (!Number.isInteger(n) || n <= 0 || n > 65535) {
      ctx.io.err(`Bad port number.\n`);
      return 1;
    }
    ports.push(n);
  }
  return {
    config: lastValue(o, "f") ?? SSHD_CONFIG_PATH,
    debug: countFlag(o, "d"),
    foreground: o.some((x) => x.flag === "D"),
    logStderr: o.some((x) => x.flag === "e"),
    logFile: lastValue(o, "E"),
    inetd: o.some((x) => x.flag === "i"),
    test: o.some((x) => x.flag === "t"),
    testExtended: o.some((x) => x.flag === "T" || x.flag === "G"),
    quiet: o.some((x) => x.flag === "q"),
    hostKeys: valuesOf(o, "h"),
    overrides,
    ports,
    connSpec: valuesOf(o, "C"),
  };
}

/**
 * Where log lines go (sshd.c log_init): -E file (appended) or stderr with -e, -E, or -d without -i; else the system
 * log with ident "sshd" and SyslogFacility (log.c). SSHBOX_TEST_SYSLOG_SOCKET names another socket than /dev/log, for tests.
 */
function makeSshdLogger(flags: Flags, config: SshdConfig | undefined, io: ProgramContext["io"], early = false): Logger {
  let level = config ? (LEVELS[config.logLevel] ?? LogLevel.INFO) : LogLevel.INFO;
  if (flags.debug > 0) level = Math.max(level, LogLevel.DEBUG1 + Math.min(flags.debug, 3) - 1) as LogLevel;
  if (flags.quiet) level = LogLevel.QUIET;
  if (flags.logFile) {
    const file = flags.logFile;
    return makeLogger(level, (line) => {
      try {
        appendFileSync(file, `${line}\n`);
      } catch {
        // a log file that cannot be written must not take the server down
      }
    });
  }
  // Until the server runs (config notices, host keys, -t/-T), sshd.c logs to stderr unless it serves inetd without -d.
  if (flags.logStderr || (flags.debug > 0 && !flags.inetd) || (early && (!flags.inetd || flags.debug > 0))) {
    return makeLogger(level, (line) => io.err(`${line}\n`));
  }
  const facility = SYSLOG_FACILITIES[config?.syslogFacility ?? "AUTH"] ?? SYSLOG_FACILITIES.AUTH!;
  const syslog = openSyslog("sshd", facility, process.env.SSHBOX_TEST_SYSLOG_SOCKET || SYSLOG_PATH);
  return makeLogger(level, (line, l) => syslog.write(l, line));
}

/** Loads the host keys; logs each problem as OpenSSH does. */
function loadHostKeys(paths: readonly string[], log: Logger): { key: PrivateKey; path: string }[] {
  const keys: { key: PrivateKey; path: string }[] = [];
  for (const path of paths) {
    try {
      const key = loadPrivateKey(new Uint8Array(readFileSync(path)));
      if (key.keyObject === null) throw new Error("key type not supported as a host key");
      keys.push({ key, path });
      log.debug(`private host key #${keys.length - 1}: ${key.type} ${fingerprint(key.publicKeyBlob)}`);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : (e as Error).message;
      log.error(`Unable to load host key "${path}": ${why}`);
    }
  }
  return keys;
}

function hostKeySigners(keys: { key: PrivateKey }[], allowed: readonly string[]): HostKeySigner[] {
  return keys.map(({ key }) => ({
    algorithms: key.signatureAlgorithms.filter((a) => allowed.includes(a) && signatureSpec(a) !== undefined),
    publicKeyBlob: key.publicKeyBlob,
    sign: (alg: string, data: Uint8Array) => signatureSpec(alg)!.sign(key.keyObject!, data),
  }));
}

/**
 * kex.c kex_compose_ext_info_server: server-sig-algs (every signature algorithm we can verify, sshkey_alg_list(0, 1, 1):
 * not filtered by PubkeyAcceptedAlgorithms, and never certificate names), publickey-hostbound@openssh.com, ping@openssh.com.
 */
function serverExtensions(_config: SshdConfig): Map<string, Uint8Array> {
  const enc = new TextEncoder();
  const sigs = SIGNATURE_SPECS.map((s) => s.name);
  return new Map([
    ["server-sig-algs", enc.encode(sigs.join(","))],
    ["publickey-hostbound@openssh.com", enc.encode("0")],
    ["ping@openssh.com", enc.encode("0")],
  ]);
}

function internalSftp(log: Logger, mode: ServerMode): (pw: Passwd, config: SshdConfig, args: readonly string[]) => SubsystemTarget {
  return (pw, config, args) => {
    // Root mode for another user, or a jail: never serve files as root in this process; the session child chroots,
    // drops to the user and serves internal-sftp itself.
    if ((mode.privileged && pw.uid !== 0) || chrootOf(config) !== null) return { kind: "sftp-child", args };
    return internalSftpInProcess(log, pw, args);
  };
}

/** ChrootDirectory as configured, or null for none. */
function chrootOf(config: SshdConfig): string | null {
  const c = config.chrootDirectory;
  return c === null || c.toLowerCase() === "none" ? null : c;
}

/** internal-sftp in this process (sshd runs as the user already): its flags as the session's options. */
function internalSftpInProcess(log: Logger, pw: Passwd, args: readonly string[]): SubsystemTarget {
  const user = { name: pw.name, uid: pw.uid, gid: pw.gid, home: pw.home, shell: pw.shell };
  return {
    kind: "internal",
    args,
    serve: async (input, output) => {
      const parsed = internalSftpOptions(args.slice(1), user);
      if (!parsed.ok) {
        if (parsed.message) log.error(parsed.message);
        return parsed.status;
      }
      // internal-sftp's -l sets its own level; its lines go to sshd's log.
      const logger = makeLogger(parsed.logLevel, (line) => log.info(line));
      const conn = process.env.SSH_CONNECTION;
      const end = await serveSftp(input, output, { user, logger, names: fileNameService(), ...parsed.options, ...(conn ? { clientAddress: conn.split(" ")[0] } : {}) } as Parameters<typeof serveSftp>[2]);
      return end.exitStatus;
    },
  };
}

/** The session child (SSHBOX_SESSION_CHILD): see core/server/session-child.ts. */
function sessionChild(text: string): Promise<number> {
  const spec = JSON.parse(text) as SessionChildSpec;
  return runSessionChild(spec, (args, user, log) =>
    runInternalSftp({ args: args.slice(1), progname: args[0] ?? "internal-sftp", io: processIo }, { name: user.name, uid: user.uid, home: user.home }, log),
  );
}

/** Thrown from the session setup when sshd must end the connection after authentication (a fatal() there). */
class PostAuthFatal extends Error {}

/** Serves one connection (a socket or stdin/stdout) with everything sshd_config says. */
/** Serves one connection; resolves to OpenSSH's exit status for `sshd -i` (255 when the connection failed: fatal()). */
async function serveOne(link: Link, peer: PeerInfo, config: SshdConfig, signers: HostKeySigner[], mode: ServerMode, log: Logger, onAuthenticated?: () => void): Promise<number> {
  log.verbose(`Connection from ${peer.remoteAddress} port ${peer.remotePort} on ${peer.localAddress} port ${peer.localPort}`);
  const auth = serverAuthPolicy(config, peer, mode, log);
  const result = await serveConnection({
    link,
    tables: { ciphers: CIPHERS, macs: MACS, kex: KEX_METHODS },
    preferences: {
      kex: config.kexAlgorithms,
      hostKey: config.hostKeyAlgorithms,
      ciphers: config.ciphers,
      macs: config.macs,
      compression: ["none"],
    },
    software: SSHBOX_RELEASE + (config.versionAddendum ? ` ${config.versionAddendum}` : ""),
    hostKeys: signers,
    verifySignature,
    serverExtensions: serverExtensions(config),
    moduliFile: config.moduliFile,
    authPolicy: auth,
    remoteAddress: peer.remoteAddress,
    remotePort: peer.remotePort,
    loginGraceMs: config.loginGraceTime * 1000,
    clientAlive: { intervalSeconds: config.clientAliveInterval, countMax: config.clientAliveCountMax },
    ...(config.rekeyLimit.bytes > 0 ? { rekeyBytes: config.rekeyLimit.bytes } : {}),
    ...(config.rekeyLimit.seconds > 0 ? { rekeySeconds: config.rekeyLimit.seconds } : {}),
    log,
    sessionPolicy: async (r) => {
      onAuthenticated?.();
      const pw = getpwnam(r.user)!;
      const account = auth.pamAccount(r.user);
      if (account) {
        // auth2.c userauth_finish: do_pam_account for every method (kbd-int and password already ran it)
        const a = await account;
        if (a.rc !== PAM_SUCCESS && a.rc !== PAM_NEW_AUTHTOK_REQD) {
          log.error(`Access denied for user ${r.user} by PAM account configuration`);
          throw new Error(`PAM account: ${a.text}`);
        }
      }
      const userConfig = auth.configFor(r.user) ?? applyMatch(config, { user: r.user, addr: peer.remoteAddress, host: peer.remoteAddress, laddr: peer.localAddress, lport: peer.localPort });
      const grant = r.methods.at(-1)?.attachment as KeyGrant | undefined;
      // sshd-session.c privsep_postauth → session.c do_setusercontext: ChrootDirectory is checked once the user is in;
      // a problem is fatal() for the whole connection.
      let chroot: string | undefined;
      const wanted = chrootOf(userConfig);
      if (wanted !== null) {
        if (!mode.privileged) {
          log.error("server lacks privileges to chroot to ChrootDirectory");
          throw new PostAuthFatal();
        }
        const home = pw.home;
        const tilde = wanted === "~" ? home : wanted.startsWith("~/") ? `${home}/${wanted.slice(2)}` : wanted;
        chroot = expandSshdTokens("ChrootDirectory", tilde, { h: pw.home, u: pw.name, U: String(pw.uid) });
        const problem = chrootProblem(chroot);
        if (problem) {
          log.error(problem);
          throw new PostAuthFatal();
        }
        log.verbose(`Changed root directory to "${chroot}"`);
      }
      return serverSessionPolicy({
        config: userConfig, pw, peer, grant, internalSftp: internalSftp(log, mode), authInfo: r.exposeAuthInfo, log,
        privileged: mode.privileged, debug: debugFlag, ...(chroot !== undefined ? { chroot } : {}),
      });
    },
  }).finally(() => auth.dispose());
  if (result.error instanceof PostAuthFatal) return 255;
  if (result.error && !result.authenticated) {
    // sshd.c: "Connection closed by authenticating user fred ..." or "... by invalid user fred ..." once a request named one
    const who = result.user !== undefined ? `${result.validUser === false ? "invalid" : "authenticating"} user ${escapeForLog(result.user)} ` : "";
    log.info(`Connection closed by ${who}${peer.remoteAddress} port ${peer.remotePort} [preauth]`);
    return 255;
  }
  if (result.authenticated) log.info(`Disconnected from user ${result.user} ${peer.remoteAddress} port ${peer.remotePort}`);
  return 0;
}

/** sshd -d, for the session child's "Running …" lines. */
let debugFlag = false;

async function run(ctx: ProgramContext): Promise<number> {
  const child = process.env[SESSION_CHILD_VARIABLE];
  if (child !== undefined) return sessionChild(child);
  const flags = parseFlags(ctx);
  if (typeof flags === "number") return flags;
  debugFlag = flags.debug > 0;
  let config: SshdConfig;
  try {
    config = loadSshdConfig(flags.config, { overrides: flags.overrides, ...(flags.ports.length ? { ports: flags.ports } : {}) });
  } catch (e) {
    if (e instanceof ConfigExitError || e instanceof ConfigError) {
      ctx.io.err(`${e.message}\n`);
      return e instanceof ConfigExitError ? e.exitStatus : 255;
    }
    throw e;
  }
  const early = makeSshdLogger(flags, config, ctx.io, true);
  for (const n of config.notices) {
    const sink = { ERROR: early.error, INFO: early.info, VERBOSE: early.verbose, DEBUG1: early.debug, DEBUG2: early.debug2, DEBUG3: early.debug3 }[n.level];
    sink(n.text);
  }

  if (flags.testExtended) {
    let c = config;
    if (flags.connSpec.length > 0) {
      let spec = {};
      try {
        for (const s of flags.connSpec) spec = parseConnectionSpec(s, spec);
      } catch (e) {
        ctx.io.err(`${(e as Error).message}\n`);
        return 1;
      }
      const user = (spec as { user?: string }).user;
      const pw = user ? getpwnam(user) : undefined;
      c = applyMatch(config, { ...spec, groups: pw ? (await import("../core/server/users.ts")).groupsOf(pw) : null });
    }
    ctx.io.out(formatSshdTest(c));
    return 0;
  }

  const self = getpwuid(process.getuid!()) ?? { name: String(process.getuid!()), uid: process.getuid!(), gid: process.getgid!(), gecos: "", home: "/", shell: "/bin/sh" };
  const mode: ServerMode = { privileged: process.getuid!() === 0, self };
  const keyPaths = [...flags.hostKeys, ...config.hostKey];
  const keys = loadHostKeys(keyPaths.length > 0 ? keyPaths : DEFAULT_HOST_KEYS, early);
  if (keys.length === 0) {
    // sshd.c: logit() then exit(1)
    ctx.io.err("sshd: no hostkeys available -- exiting.\n");
    return 1;
  }
  const signers = hostKeySigners(keys, config.hostKeyAlgorithms);
  if (flags.test) return 0;
  const pamMissing = config.usePam ? pamUnavailable() : null;
  if (pamMissing !== null) {
    // auth-pam.c fatal("PAM: initialisation failed"), said at startup with the reason: on stderr, or where sshd -i
    // logs (syslog, -E), since an inetd client never sees stderr
    early.error(`PAM: initialisation failed: UsePAM yes, but ${pamMissing}`);
    return 255;
  }
  const log = makeSshdLogger(flags, config, ctx.io);

  if (flags.inetd) {
    const stdout = Bun.stdout.writer();
    const link = new StreamLink(Bun.stdin.stream(), stdout);
    const conn = (process.env.SSH_CONNECTION ?? "").split(" ");
    const status = await serveOne(link, { remoteAddress: conn[0] || "UNKNOWN", remotePort: Number(conn[1] ?? 65535) || 65535, localAddress: conn[2] || "UNKNOWN", localPort: Number(conn[3] ?? 65535) || 65535 }, config, signers, mode, log);
    try {
      await stdout.end();
    } catch {
      // the peer is gone
    }
    return status;
  }

  const daemonize = !flags.foreground && flags.debug === 0 && process.env[DAEMON_CHILD] === undefined;
  /** Connections being served, and whether a SIGHUP handed the listening over to a new server. */
  let active = 0;
  let restarted = false;
  if (daemonize) return startDaemon(ctx, flags);

  const family = config.addressFamily;
  const addresses = config.listenAddress.filter((l) => family === "any" || (family === "inet6" ? l.host.includes(":") : !l.host.includes(":"))).map((l) => ({ address: l.host, port: l.port }));
  let listener;
  try {
    listener = await listen({
      addresses,
      maxStartups: { start: config.maxStartups.begin, rate: config.maxStartups.rate, full: config.maxStartups.full },
      log,
      onConnection: (c) => {
        const peer: PeerInfo = { remoteAddress: c.remoteAddress, remotePort: c.remotePort, localAddress: c.localAddress, localPort: c.localPort };
        active++;
        serveOne(c.link, peer, config, signers, mode, log, c.authenticated)
          .catch((e) => log.error(`internal error on connection from ${c.remoteAddress}: ${(e as Error).stack ?? e}`))
          .finally(() => {
            active--;
            if (flags.debug > 0) shutdown(0); // -d: one connection, then exit (sshd.c debug_flag)
            if (restarted && active === 0) process.exit(0); // after SIGHUP: the last connection of the old server ended
          });
      },
    });
  } catch (e) {
    ctx.io.err(`Cannot bind any address: ${(e as Error).message}\n`);
    reportReady(`error Cannot bind any address.`);
    return 255;
  }
  for (const b of listener.bound) log.info(`Server listening on ${b.address} port ${b.port}.`);
  const pidFile = config.pidFile;
  if (pidFile) {
    try {
      writeFileSync(pidFile, `${process.pid}\n`);
    } catch (e) {
      log.error(`Couldn't create pid file "${pidFile}": ${(e as Error).message}`);
    }
  }
  reportReady("ok");
  const shutdown = (status: number): void => {
    listener?.stop();
    if (pidFile && existsSync(pidFile)) {
      try {
        if (readFileSync(pidFile, "utf8").trim() === String(process.pid)) unlinkSync(pidFile);
      } catch {
        // already gone
      }
    }
    process.exit(status);
  };
  process.on("SIGTERM", () => {
    log.info("Received signal 15; terminating.");
    shutdown(0);
  });
  process.on("SIGINT", () => shutdown(0));
  process.on("SIGHUP", () => {
    // sshd.c sighup_restart: "Received SIGHUP; restarting." The new server binds once this one stopped listening;
    // connections already served here go on until they end.
    log.info("Received SIGHUP; restarting.");
    listener?.stop();
    if (pidFile) {
      try {
        unlinkSync(pidFile);
      } catch {
        // already gone
      }
    }
    if (restarted) return;
    restarted = true;
    const child = spawnChild({ argv: selfArgv(["sshd", ...ctx.args]), env: { ...process.env, [DAEMON_CHILD]: "1" }, stdio: ["ignore", "ignore", "ignore"], detached: true });
    child.unref();
    if (active === 0) process.exit(0);
  });
  // Bugs in one connection must not take the listener down (OpenSSH gets this from fork).
  process.on("uncaughtException", (e) => log.error(`internal error: ${e.stack ?? e}`));
  process.on("unhandledRejection", (e) => log.error(`internal error: ${(e as Error)?.stack ?? e}`));
  return new Promise<number>(() => {}); // serve until a signal
}

/** In the daemon child: tells the parent (fd 3) that the listener is up, or why not. */
function reportReady(message: string): void {
  if (process.env[DAEMON_CHILD] !== "pipe") return;
  try {
    writeFileSync("/dev/fd/3", `${message}\n`);
  } catch {
    // the parent is gone
  }
}

/** Without -D: re-spawns itself detached (setsid) and exits once the child listens (sshd.c daemon(0, 0) after binding). */
async function startDaemon(ctx: ProgramContext, _flags: Flags): Promise<number> {
  const child = Bun.spawn(selfArgv(["sshd", ...ctx.args]), {
    env: { ...process.env, [DAEMON_CHILD]: "pipe" },
    stdio: ["ignore", "ignore", "inherit", "pipe"],
    detached: true,
    cwd: "/",
  });
  const reader = (child.stdio[3] as unknown as ReadableStream<Uint8Array>).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    if (text.includes("\n")) break;
  }
  reader.releaseLock();
  child.unref();
  if (text.startsWith("ok")) return 0;
  if (text.startsWith("error ")) ctx.io.err(`${text.slice(6)}`);
  return 255;
}

export const sshd: ProgramModule = { implemented: true, run };
