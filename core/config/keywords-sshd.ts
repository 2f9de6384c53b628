// sshd_config: one row per OpenSSH 10.5 keyword (servconf.h SSHD_CONFIG_ENTRIES, servconf.c), Match evaluation
// against a connection, and `sshd -T` output in dump_config()'s order. Messages are servconf.c's, byte for byte.
import { SSHBOX_RELEASE } from "../version.ts";
import {
  ALL_CIPHERS, ALL_KEX, ALL_KEY_ALGORITHMS, ALL_MACS, ALL_SIG_ALGORITHMS, DEFAULT_CA_SIGNATURE_ALGORITHMS, DEFAULT_CIPHERS,
  DEFAULT_KEX_SERVER, DEFAULT_MACS, DEFAULT_PK_ALGORITHMS, keyNamesValid, namesValid,
} from "./algorithms.ts";
import {
  a2port, argvAssemble, atoiErr, ConfigExitError, cleanhostname, convtime, convtimeDouble, Diagnostics, globPaths, hpdelim, iptos2str,
  MAX_INCLUDE_DEPTH, percentExpand, splitLine, textLines, tildeExpand, TOO_MANY_INCLUDES,
  type ConfigFs, type ConfigNotice, type SourceLine,
} from "./lexer.ts";
import {
  LineParser, logLevelName, parseChannelTimeout, parseIpqosPair, parseLogLevelLine, parseNoneAloneList, parseRekeyLimit, parseSetEnv,
  parseSyslogFacilityLine, parseVersionAddendum, restOfLine, type LineState, type LogFacility, type LogLevel, type Raw,
} from "./keywords-common.ts";
import { addrMatchList, assembleNames, matchHostname, matchPatternList, matchUserGroupPatternList, parseAddress } from "./match.ts";

/** A ListenAddress after Port and AddressFamily are applied (one line of `sshd -T`). */
export interface ListenAddress {
  /** Numeric address or the name as written. */
  readonly host: string;
  readonly port: number;
  readonly rdomain: string | null;
}

/** A Subsystem line: name, the command (first word) and the whole command line as OpenSSH re-assembles it. */
export interface Subsystem {
  readonly name: string;
  readonly command: string;
  readonly args: string;
}

/** PerSourcePenalties (servconf.h struct per_source_penalty); seconds. */
export interface PerSourcePenalties {
  readonly enabled: boolean;
  readonly crash: number; readonly authfail: number; readonly noauth: number; readonly invaliduser: number;
  readonly graceExceeded: number; readonly refuseconnection: number; readonly max: number; readonly min: number;
  readonly maxSources4: number; readonly maxSources6: number;
  readonly overflow: "deny-all" | "permissive"; readonly overflow6: "deny-all" | "permissive";
}

/** The effective sshd configuration: every value typed, defaults filled in (fill_default_server_options). */
export interface SshdSettings {
  readonly port: readonly number[];
  readonly addressFamily: "any" | "inet" | "inet6";
  readonly listenAddress: readonly ListenAddress[];
  readonly loginGraceTime: number;
  readonly x11DisplayOffset: number;
  readonly maxAuthTries: number;
  readonly maxSessions: number;
  readonly clientAliveInterval: number;
  readonly clientAliveCountMax: number;
  readonly requiredRsaSize: number;
  readonly streamLocalBindMask: number;
  /** Seconds; 0 = none. */
  readonly unusedConnectionTimeout: number;
  readonly permitRootLogin: "prohibit-password" | "forced-commands-only" | "yes" | "no";
  readonly ignoreRhosts: "yes" | "no" | "shosts-only";
  readonly ignoreUserKnownHosts: boolean;
  readonly hostbasedAuthentication: boolean;
  readonly hostbasedUsesNameFromPacketOnly: boolean;
  readonly pubkeyAuthentication: boolean;
  readonly passwordAuthentication: boolean;
  readonly kbdInteractiveAuthentication: boolean;
  /** UsePAM: keyboard-interactive and password checks through PAM's "sshd" service. */
  readonly usePam: boolean;
  readonly printMotd: boolean;
  readonly printLastLog: boolean;
  readonly x11Forwarding: boolean;
  readonly x11UseLocalhost: boolean;
  readonly permitTty: boolean;
  readonly permitUserRc: boolean;
  readonly strictModes: boolean;
  readonly tcpKeepAlive: boolean;
  readonly permitEmptyPasswords: boolean;
  readonly compression: "yes" | "no";
  readonly gatewayPorts: "no" | "yes" | "clientspecified";
  readonly useDns: boolean;
  readonly allowTcpForwarding: "yes" | "no" | "local" | "remote";
  readonly allowAgentForwarding: boolean;
  readonly disableForwarding: boolean;
  readonly allowStreamLocalForwarding: "yes" | "no" | "local" | "remote";
  readonly streamLocalBindUnlink: boolean;
  readonly fingerprintHash: "SHA256" | "MD5" | "SHA1" | "SHA384" | "SHA512";
  readonly exposeAuthInfo: boolean;
  readonly refuseConnection: boolean;
  readonly pidFile: string | null;
  readonly moduliFile: string;
  readonly xauthLocation: string | null;
  readonly ciphers: readonly string[];
  readonly macs: readonly string[];
  readonly banner: string | null;
  readonly forceCommand: string | null;
  readonly chrootDirectory: string | null;
  readonly trustedUserCaKeys: string | null;
  readonly securityKeyProvider: string | null;
  readonly authorizedPrincipalsFile: string | null;
  /** "" when none. */
  readonly versionAddendum: string;
  readonly authorizedKeysCommand: string | null;
  readonly authorizedKeysCommandUser: string | null;
  readonly authorizedPrincipalsCommand: string | null;
  readonly authorizedPrincipalsCommandUser: string | null;
  readonly hostKeyAgent: string | null;
  readonly kexAlgorithms: readonly string[];
  readonly caSignatureAlgorithms: readonly string[];
  readonly hostbasedAcceptedAlgorithms: readonly string[];
  readonly hostKeyAlgorithms: readonly string[];
  readonly pubkeyAcceptedAlgorithms: readonly string[];
  readonly sshdSessionPath: string;
  readonly sshdAuthPath: string;
  readonly perSourcePenaltyExemptList: string | null;
  readonly logLevel: LogLevel;
  readonly syslogFacility: LogFacility;
  /** Empty when `none`. */
  readonly authorizedKeysFile: readonly string[];
  readonly revokedKeys: readonly string[];
  readonly hostKey: readonly string[];
  readonly hostCertificate: readonly string[];
  readonly allowUsers: readonly string[];
  readonly denyUsers: readonly string[];
  readonly allowGroups: readonly string[];
  readonly denyGroups: readonly string[];
  readonly acceptEnv: readonly string[];
  readonly setEnv: readonly string[];
  /** Empty = any. */
  readonly authenticationMethods: readonly string[];
  readonly logVerbose: readonly string[];
  /** Empty = none. */
  readonly channelTimeout: readonly string[];
  readonly subsystem: readonly Subsystem[];
  readonly maxStartups: { readonly begin: number; readonly rate: number; readonly full: number };
  /** null = none. */
  readonly perSourceMaxStartups: number | null;
  readonly perSourceNetBlockSize: readonly [number, number];
  readonly permitTunnel: "no" | "point-to-point" | "ethernet" | "yes";
  readonly ipQos: readonly [number, number];
  readonly rekeyLimit: { readonly bytes: number; readonly seconds: number };
  /** Empty = any. */
  readonly permitOpen: readonly string[];
  readonly permitListen: readonly string[];
  /** false/true, or the allow-list pattern. */
  readonly permitUserEnvironment: boolean | string;
  readonly pubkeyAuthOptions: { readonly touchRequired: boolean; readonly verifyRequired: boolean };
  readonly perSourcePenalties: PerSourcePenalties;
}

/** The connection a Match block is evaluated against (servconf.h struct connection_info; `sshd -T -C`). */
export interface ConnectionSpec {
  readonly user?: string;
  readonly host?: string;
  readonly addr?: string;
  readonly laddr?: string;
  readonly lport?: number;
  readonly rdomain?: string;
  /** The user's groups; null when the user does not exist. Needed for `Match Group`. */
  readonly groups?: readonly string[] | null;
  readonly invalidUser?: boolean;
}

/** Where the settings came from, kept so Match can be re-evaluated for each connection without touching files. */
export interface SshdSource {
  readonly lines: readonly SshdLine[];
  readonly overrides: readonly string[];
  /** The settings set by the global section and -o (unset ones absent). */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly env: SshdEnv;
}

/** A parsed line with its includes expanded below it. */
export interface SshdLine extends SourceLine {
  readonly include?: readonly { readonly file: string; readonly lines: readonly SshdLine[] }[];
}

/** Paths and identity the parser resolves relative names with. */
export interface SshdEnv {
  readonly cwd: string;
  readonly home: string;
  readonly sshDir: string;
  /**
   * getaddrinfo for ListenAddress names (numeric addresses never reach it): the addresses in resolver order, or null
   * when the name does not resolve (sshd then dies with "bad addr or host: <name> (Name or service not known)").
   * Without it, names are kept as written.
   */
  readonly resolve?: (name: string) => readonly string[] | null;
}

/** A loaded sshd_config. */
export interface SshdConfig extends SshdSettings {
  readonly source: SshdSource;
  /** Deprecation and "Unsupported option" notices, with the level OpenSSH logs them at. */
  readonly notices: readonly ConfigNotice[];
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing machinery

/** State of one line being parsed; what a row's `parse` sees. */
export class SshdLineParser extends LineParser {
  constructor(state: LineState, readonly cmdline: boolean, readonly env: SshdEnv, readonly inMatchPass: boolean) {
    super(state);
  }
  /** servconf.c refuses a bad value with fatal(). */
  reject(msg: string): never {
    return this.fatal(msg);
  }
  /** The required argument of the simple parsers, with the message their case uses when it is missing. */
  need(missing: string): string {
    const a = this.next();
    if (a === undefined || a === "") this.fatal(missing);
    return a;
  }
}

/** One sshd_config keyword. */
export interface SshdKeyword {
  /** OpenSSH's spelling (servconf.h), as `sshd -T` in 10.5 prints it. */
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Allowed inside Match (SSHCFG_ALL) or only in the global section (SSHCFG_GLOBAL). */
  readonly inMatch: boolean;
  readonly status: "active" | "deprecated" | "ignored" | "unsupported";
  /** copy_set_server_options: whether a value set inside a matching Match block replaces the global one. */
  readonly copy: "none" | "match" | "manual";
  /**
   * How repeated lines combine: "first" (first value wins), "append" (every active line adds: Port, ListenAddress,
   * HostKey, HostCertificate, AcceptEnv, Allow/Deny Users/Groups, Subsystem with a new name), "last" (every active
   * line replaces: StreamLocalBindMask, FingerprintHash, as servconf.c does).
   */
  readonly multi: "first" | "append" | "last";
  readonly parse?: (p: SshdLineParser) => void;
}

const APPEND = new Set(["Port", "ListenAddress", "HostKey", "HostCertificate", "AcceptEnv", "AllowUsers", "DenyUsers", "AllowGroups", "DenyGroups", "Subsystem"]);
const LAST = new Set(["StreamLocalBindMask", "FingerprintHash"]);
const multiOf = (name: string): SshdKeyword["multi"] => (APPEND.has(name) ? "append" : LAST.has(name) ? "last" : "first");

const MULTI = {
  flag: [["yes", true], ["no", false]],
  ignoreRhosts: [["yes", "yes"], ["no", "no"], ["shosts-only", "shosts-only"]],
  addressFamily: [["inet", "inet"], ["inet6", "inet6"], ["any", "any"]],
  permitRootLogin: [["prohibit-password", "prohibit-password"], ["without-password", "prohibit-password"],
    ["forced-commands-only", "forced-commands-only"], ["yes", "yes"], ["no", "no"]],
  compression: [["yes", "yes"], ["delayed", "yes"], ["no", "no"]],
  gatewayPorts: [["clientspecified", "clientspecified"], ["yes", "yes"], ["no", "no"]],
  tcpfwd: [["yes", "yes"], ["all", "yes"], ["no", "no"], ["remote", "remote"], ["local", "local"]],
} as const;

function multistate(table: readonly (readonly [string, unknown])[]): (p: SshdLineParser) => void {
  return (p) => {
    const a = p.need("missing argument.");
    const row = table.find(([k]) => k.toLowerCase() === a.toLowerCase());
    if (row === undefined) return p.fatal(`unsupported option "${a}".`);
    p.first(p.canonical, row[1]);
  };
}
const flag = multistate(MULTI.flag);

function parseInt(p: SshdLineParser): void {
  const { value, err } = atoiErr(p.next());
  if (err !== null) return p.fatal(`${p.keyword} integer value ${err}.`);
  p.first(p.canonical, value);
}

function parseTime(p: SshdLineParser, key: string = p.canonical): void {
  const a = p.next();
  if (a === undefined || a === "") return p.fatal("missing time value.");
  const v = convtime(a);
  if (v === -1) return p.fatal("invalid time value.");
  p.first(key, v);
}

/** servconf.c derelativise_path. */
function derelativise(path: string, env: SshdEnv): string {
  if (path.toLowerCase() === "none") return "none";
  const t = tildeExpand(path, env.home) ?? path;
  return t.startsWith("/") ? t : `${env.cwd}/${t}`;
}

function parseFilename(p: SshdLineParser): void {
  const a = p.need("missing file name.");
  if (p.active && p.raw[p.canonical] === undefined) p.raw[p.canonical] = derelativise(a, p.env);
}

function parseString(missing: (p: SshdLineParser) => string): (p: SshdLineParser) => void {
  return (p) => p.first(p.canonical, p.need(missing(p)));
}
const missingArg = (p: SshdLineParser): string => `${p.keyword} missing argument.`;

function parseAlgos(kind: "cipher" | "mac" | "kex"): (p: SshdLineParser) => void {
  const all = kind === "cipher" ? ALL_CIPHERS : kind === "mac" ? ALL_MACS : ALL_KEX;
  const bad = kind === "cipher" ? "Bad SSH2 cipher spec" : kind === "mac" ? "Bad SSH2 mac spec" : "Bad SSH2 KexAlgorithms";
  return (p) => {
    const a = p.need(`${p.keyword} missing argument.`);
    if (!a.startsWith("-") && !namesValid(/^[+^]/.test(a) ? a.slice(1) : a, all)) return p.fatal(`${bad} '${a}'.`);
    // servconf.c: these three keywords are global-only and take the first value regardless of activep.
    if (p.raw[p.canonical] === undefined) p.raw[p.canonical] = a;
  };
}

function parsePubkeyAlgos(caOnly: boolean): (p: SshdLineParser) => void {
  return (p) => {
    const a = p.need("Missing argument.");
    if (!a.startsWith("-") && !keyNamesValid(/^[+^]/.test(a) ? a.slice(1) : a, caOnly)) return p.fatal(`Bad key types '${a}'.`);
    p.first(p.canonical, a);
  };
}

/** AllowUsers & co.: append in active sections ("doesn't respect first-match-wins"). */
function parseAppendList(kind: "users" | "groups"): (p: SshdLineParser) => void {
  return (p) => {
    let found = false;
    for (let a = p.next(); a !== undefined; a = p.next()) {
      if (kind === "users" && (a === "" || !validUserPattern(a))) return p.fatal(`invalid ${p.keyword} pattern: "${a}"`);
      if (kind === "groups" && a === "") return p.fatal(`empty ${p.keyword} pattern`);
      found = true;
      if (!p.active) continue;
      const list = (p.raw[p.canonical] as string[] | undefined) ?? [];
      list.push(a);
      p.raw[p.canonical] = list;
    }
    if (!found) return p.fatal(`no ${p.keyword} specified`);
  };
}

/** match.c match_user's syntax check: `user@host` where host may be a CIDR list. */
function validUserPattern(pat: string): boolean {
  const at = pat.lastIndexOf("@");
  if (at < 0) return true;
  const host = pat.slice(at + 1);
  return addrMatchList(null, host) !== -2 || !/^[0-9a-fA-F.:/,!]+$/.test(host);
}

/** First-wins arrays (AuthorizedKeysFile, LogVerbose, RevokedKeys): "none" only alone; the whole line or nothing. */
function parseFilenames(tilde: boolean): (p: SshdLineParser) => void {
  return (p) => parseNoneAloneList(p, tilde ? (a) => tildeExpand(a, p.env.home) ?? a : undefined);
}

function parsePermitOpen(p: SshdLineParser): void {
  const listen = p.canonical === "PermitListen";
  const found = p.raw[p.canonical] === undefined;
  const strs: string[] = [];
  for (let a = p.next(); a !== undefined; a = p.next()) {
    if (a === "any" || a === "none") {
      if (strs.length !== 0) return p.fatal(`${a} must appear alone on a ${p.keyword} line.`);
      strs.push(a);
      continue;
    }
    let portText: string | null;
    let stored = a;
    if (listen && !a.includes(":")) {
      stored = `*:${a}`;
      portText = a;
    } else {
      const hp = hpdelim(a);
      if (hp === null) return p.fatal(`${p.keyword} missing host`);
      portText = hp[1];
    }
    if (portText === null || (portText !== "*" && a2port(portText) <= 0)) return p.fatal(`${p.keyword} bad port number`);
    strs.push(stored);
  }
  if (strs.length === 0) return p.fatal(`${p.keyword} missing argument.`);
  if (found && p.active) p.raw[p.canonical] = strs;
}

function parseCommand(p: SshdLineParser): void {
  const s = restOfLine(p);
  if (!s.startsWith("/") && s.toLowerCase() !== "none") return p.fatal(`${p.keyword} must be an absolute path`);
  p.first(p.canonical, s);
  p.consume();
}

const AUTH_METHODS = ["none", "publickey", "password", "keyboard-interactive", "hostbased"];

function authMethodsValid(list: string): boolean {
  if (list === "") return false;
  return list.split(",").every((m) => {
    const name = m.split(":")[0]!;
    return AUTH_METHODS.includes(name) && (m === name || (name === "keyboard-interactive" && m.length > name.length + 1));
  });
}

const ALL: "match" = "match";
const row = (name: string, inMatch: boolean, copy: SshdKeyword["copy"], parse: (p: SshdLineParser) => void, aliases?: readonly string[]): SshdKeyword =>
  aliases ? { name, inMatch, copy, parse, status: "active", multi: multiOf(name), aliases } : { name, inMatch, copy, parse, status: "active", multi: multiOf(name) };
const G = false;
const M = true;
void ALL;

/** Every sshd_config keyword OpenSSH 10.5 knows, in servconf.h order. */
export const SSHD_KEYWORDS: readonly SshdKeyword[] = [
  // SSHD_CONFIG_ENTRIES_CUSTOM
  row("Port", G, "none", (p) => {
    if (p.raw.__portsFromCmdline === true) return p.consume();
    const a = p.need("missing port number.");
    const ports = (p.raw.Port as number[] | undefined) ?? [];
    if (ports.length >= 256) return p.fatal("too many ports.");
    const n = a2port(a);
    if (n <= 0) return p.fatal("Badly formatted port number.");
    ports.push(n);
    p.raw.Port = ports;
  }),
  row("ListenAddress", G, "none", (p) => {
    const a = p.need("missing address");
    let host: string;
    let port = 0;
    const colon = a.indexOf(":");
    if (!a.includes("[") && colon >= 0 && a.indexOf(":", colon + 1) >= 0) host = a;
    else {
      const hp = hpdelim(a);
      if (hp === null) return p.fatal("bad address:port usage");
      host = cleanhostname(hp[0]);
      if (hp[1] !== null) {
        port = a2port(hp[1]);
        if (port <= 0) return p.fatal("bad port number");
      }
    }
    const r = p.next();
    if (r !== undefined) {
      if (r !== "rdomain" || p.next() === undefined) return p.fatal("bad ListenAddress syntax");
      // servconf.c valid_rdomain() on a platform without routing domains
      p.diag.error("Routing domains are not supported on this platform");
      p.fatal("bad routing domain");
    }
    const q = (p.raw.ListenAddress as { host: string; port: number; rdomain: string | null }[] | undefined) ?? [];
    q.push({ host, port, rdomain: null });
    p.raw.ListenAddress = q;
  }),
  row("HostKey", G, "none", (p) => {
    const a = p.need("missing file name.");
    if (!p.active) return;
    const list = (p.raw.HostKey as string[] | undefined) ?? [];
    list.push(derelativise(a, p.env));
    p.raw.HostKey = list;
  }, ["HostDSAKey"]),
  row("IPQoS", M, "match", (p) => {
    const v = parseIpqosPair(p, p.need(`${p.keyword} missing argument.`), (a) => p.fatal(`Bad ${p.keyword} value: ${a}`));
    p.first("IPQoS", v);
  }),
  row("GatewayPorts", M, "match", multistate(MULTI.gatewayPorts)),
  row("StreamLocalBindMask", M, "manual", (p) => {
    const a = p.need(`${p.keyword} missing argument.`);
    const m = /^[0-7]+/.exec(a.trim());
    const v = m === null ? -1 : Number.parseInt(m[0], 8);
    if (m === null || v < 0 || v > 0o777) return p.fatal(`Invalid ${p.keyword}.`);
    if (p.active) p.raw.StreamLocalBindMask = v; // servconf.c: no first-wins check here
  }),
  row("StreamLocalBindUnlink", M, "match", flag),
  row("SyslogFacility", G, "none", parseSyslogFacilityLine),
  row("LogLevel", M, "match", parseLogLevelLine),
  row("PermitUserEnvironment", G, "none", (p) => {
    const a = p.need(`${p.keyword} missing argument.`);
    p.first("PermitUserEnvironment", a === "yes" ? true : a === "no" ? false : a);
  }),
  row("Subsystem", M, "match", (p) => {
    const name = p.next();
    const cmd = p.next();
    if (name === undefined || name === "" || cmd === undefined || cmd === "") return p.fatal(`${p.keyword} missing argument.`);
    const rest: string[] = [];
    for (let a = p.next(); a !== undefined; a = p.next()) rest.push(a);
    if (!p.active) return;
    const list = (p.raw.Subsystem as Subsystem[] | undefined) ?? [];
    if (list.some((s) => s.name === name)) {
      p.diag.notice("DEBUG1", `${p.file} line ${p.line}: Subsystem '${name}' already defined.`);
      return;
    }
    const head = argvAssemble([cmd]);
    const tail = argvAssemble(rest);
    list.push({ name, command: cmd, args: `${head}${tail === "" ? "" : " "}${tail}` });
    p.raw.Subsystem = list;
  }),
  row("MaxStartups", G, "none", (p) => {
    const a = p.need(`${p.keyword} missing argument.`);
    const m = /^([+-]?\d+)(?::([+-]?\d+)(?::([+-]?\d+))?)?/.exec(a);
    let begin: number, rate: number, full: number;
    if (m !== null && m[3] !== undefined) {
      begin = Number(m[1]); rate = Number(m[2]); full = Number(m[3]);
      if (begin > full || rate > 100 || rate < 1) return p.fatal(`Invalid ${p.keyword} spec.`);
    } else if (m !== null && m[2] === undefined) {
      begin = Number(m[1]); full = begin; rate = -1;
    } else return p.fatal(`Invalid ${p.keyword} spec.`);
    if (begin <= 0 || full <= 0) return p.fatal(`Invalid ${p.keyword} spec.`);
    p.first("MaxStartups", { begin, rate, full });
  }),
  row("PerSourceNetBlockSize", G, "none", (p) => {
    const a = p.need(`${p.keyword} missing argument.`);
    const m = /^([+-]?\d+)(?::([+-]?\d+))?/.exec(a);
    let ok = m !== null;
    const v4 = m ? Number(m[1]) : 0;
    const v6 = m?.[2] !== undefined ? Number(m[2]) : undefined;
    if (v6 !== undefined && (v6 < 0 || v6 > 128)) ok = false;
    if (v4 < 0 || v4 > 32) ok = false;
    if (!ok) return p.fatal(`Invalid ${p.keyword} spec.`);
    if (p.active && p.raw.PerSourceNetBlockSize === undefined) p.raw.PerSourceNetBlockSize = [v4, v6 ?? 128];
  }),
  row("PerSourcePenalties", G, "none", (p) => {
    let found = false;
    const pen = (p.raw.PerSourcePenalties as Record<string, unknown> | undefined) ?? {};
    for (let a = p.next(); a !== undefined; a = p.next()) {
      found = true;
      const lower = a.toLowerCase();
      if (lower === "no" || lower === "yes") {
        if (p.remaining > 0) return p.fatal(`keyword ${p.keyword} "${a}" argument must appear alone.`);
        if (p.active && pen.enabled === undefined) pen.enabled = lower === "yes";
        continue;
      }
      const timed = ["crash", "authfail", "invaliduser", "noauth", "grace-exceeded", "refuseconnection", "max", "min"].find((k) => a.startsWith(`${k}:`));
      if (timed !== undefined) {
        const v = convtimeDouble(a.slice(timed.length + 1));
        if (v < 0) return p.fatal(`invalid ${p.keyword} time value.`);
        if (p.active && pen[timed] === undefined) { pen[timed] = v; pen.enabled = true; }
        continue;
      }
      const src = ["max-sources4", "max-sources6"].find((k) => a.startsWith(`${k}:`));
      if (src !== undefined) {
        const { value, err } = atoiErr(a.slice(src.length + 1));
        if (err !== null) return p.fatal(`${p.keyword} value ${err}.`);
        if (p.active && pen[src] === undefined) { pen[src] = value; pen.enabled = true; }
        continue;
      }
      const ov = /^(overflow6?):(deny-all|permissive)$/.exec(a);
      if (ov !== null) {
        if (p.active && pen[ov[1]!] === undefined) { pen[ov[1]!] = ov[2]; pen.enabled = true; }
        continue;
      }
      p.fatal(`unsupported ${p.keyword} keyword ${a}`);
    }
    if (!found) return p.fatal(`no ${p.keyword} specified`);
    p.raw.PerSourcePenalties = pen;
  }),
  row("RekeyLimit", M, "match", (p) => {
    const a = p.need(`${p.keyword} missing argument.`);
    parseRekeyLimit(p, a, { badNumber: `Bad ${p.keyword} number`, tooSmall: `${p.keyword} too small` }, (key) => parseTime(p, key));
  }),
  // SSHD_CONFIG_ENTRIES_MAIN
  row("AddressFamily", G, "none", multistate(MULTI.addressFamily)),
  row("RDomain", M, "match", (p) => p.fatal("setting RDomain not supported on this platform.")),
  row("HostCertificate", G, "none", (p) => {
    const a = p.need("missing file name.");
    if (!p.active) return;
    const list = (p.raw.HostCertificate as string[] | undefined) ?? [];
    list.push(derelativise(a, p.env));
    p.raw.HostCertificate = list;
  }),
  row("HostKeyAgent", G, "none", (p) => {
    const a = p.need("missing socket name.");
    p.first("HostKeyAgent", a === "SSH_AUTH_SOCK" ? a : derelativise(a, p.env));
  }),
  row("PidFile", G, "none", parseFilename),
  row("ModuliFile", G, "none", parseFilename),
  row("LoginGraceTime", G, "none", (p) => parseTime(p)),
  row("PermitRootLogin", M, "match", multistate(MULTI.permitRootLogin)),
  row("IgnoreRhosts", M, "match", multistate(MULTI.ignoreRhosts)),
  row("IgnoreUserKnownHosts", G, "none", flag),
  row("PrintMotd", G, "none", flag),
  row("X11Forwarding", M, "match", flag),
  row("X11DisplayOffset", M, "match", parseInt),
  row("X11UseLocalhost", M, "match", flag),
  row("XAuthLocation", G, "none", parseFilename),
  row("PermitTTY", M, "match", flag),
  row("PermitUserRC", M, "match", flag),
  row("StrictModes", G, "none", flag),
  row("TCPKeepAlive", G, "none", flag, ["KeepAlive"]),
  row("Ciphers", G, "none", parseAlgos("cipher")),
  row("MACs", G, "none", parseAlgos("mac")),
  row("KexAlgorithms", G, "none", parseAlgos("kex")),
  row("LogVerbose", M, "match", parseFilenames(false)),
  row("HostbasedAuthentication", M, "match", flag),
  row("HostbasedUsesNameFromPacketOnly", M, "match", flag),
  row("HostbasedAcceptedAlgorithms", M, "match", parsePubkeyAlgos(false), ["HostBasedAcceptedKeyTypes"]),
  row("HostKeyAlgorithms", G, "none", parsePubkeyAlgos(false)),
  row("CASignatureAlgorithms", M, "match", parsePubkeyAlgos(true)),
  row("PubkeyAuthOptions", M, "match", (p) => {
    let touch = false, verify = false;
    for (let a = p.next(); a !== undefined; a = p.next()) {
      const l = a.toLowerCase();
      if (l === "none") continue;
      if (l === "touch-required") touch = true;
      else if (l === "verify-required") verify = true;
      else return p.bad(`unsupported ${p.keyword} option ${a}`);
    }
    p.first("PubkeyAuthOptions", { touchRequired: touch, verifyRequired: verify });
  }),
  row("PubkeyAuthentication", M, "match", flag, ["DSAAuthentication"]),
  row("PubkeyAcceptedAlgorithms", M, "match", parsePubkeyAlgos(false), ["PubkeyAcceptedKeyTypes"]),
  row("PasswordAuthentication", M, "match", flag),
  row("KbdInteractiveAuthentication", M, "match", flag, ["ChallengeResponseAuthentication", "SKeyAuthentication"]),
  row("PermitEmptyPasswords", M, "match", flag),
  row("Compression", G, "none", multistate(MULTI.compression)),
  row("AllowTcpForwarding", M, "match", multistate(MULTI.tcpfwd)),
  row("AllowStreamLocalForwarding", M, "match", multistate(MULTI.tcpfwd)),
  row("AllowAgentForwarding", M, "match", flag),
  row("DisableForwarding", M, "match", flag),
  row("AllowUsers", M, "match", parseAppendList("users")),
  row("DenyUsers", M, "match", parseAppendList("users")),
  row("AllowGroups", M, "match", parseAppendList("groups")),
  row("DenyGroups", M, "match", parseAppendList("groups")),
  row("AcceptEnv", M, "match", (p) => {
    let found = false;
    for (let a = p.next(); a !== undefined; a = p.next()) {
      if (a === "" || a.includes("=")) return p.fatal("Invalid environment name.");
      found = true;
      if (!p.active) continue;
      const list = (p.raw.AcceptEnv as string[] | undefined) ?? [];
      list.push(a);
      p.raw.AcceptEnv = list;
    }
    if (!found) return p.fatal(`no ${p.keyword} specified`);
  }),
  row("SetEnv", M, "match", (p) => parseSetEnv(p, "Invalid environment.")),
  row("PerSourceMaxStartups", G, "none", (p) => {
    const a = p.need(`${p.keyword} missing argument.`);
    if (a === "none") return p.first("PerSourceMaxStartups", null);
    const { value, err } = atoiErr(a);
    if (err !== null) return p.fatal(`${p.keyword} integer value ${err}.`);
    p.first("PerSourceMaxStartups", value);
  }),
  row("PerSourcePenaltyExemptList", G, "none", (p) => {
    const a = p.need("missing argument.");
    if (addrMatchList(null, a) !== 0) return p.fatal(`keyword ${p.keyword} invalid address argument.`);
    p.first("PerSourcePenaltyExemptList", a);
  }),
  row("MaxAuthTries", M, "match", parseInt),
  row("MaxSessions", M, "match", parseInt),
  row("Banner", M, "match", parseFilename),
  row("UseDNS", G, "none", flag),
  row("ClientAliveInterval", M, "match", (p) => parseTime(p)),
  row("ClientAliveCountMax", M, "match", parseInt),
  row("AuthorizedKeysFile", M, "match", parseFilenames(true)),
  row("ForceCommand", M, "manual", (p) => {
    p.first("ForceCommand", restOfLine(p));
    p.consume();
  }),
  row("PermitTunnel", M, "match", (p) => {
    const a = p.need(`${p.keyword} missing argument.`);
    if (!["no", "point-to-point", "ethernet", "yes"].includes(a)) return p.fatal(`bad ${p.keyword} argument ${a}`);
    p.first("PermitTunnel", a);
  }),
  row("PermitOpen", M, "match", parsePermitOpen),
  row("PermitListen", M, "match", parsePermitOpen),
  row("ChrootDirectory", M, "manual", parseString(missingArg)),
  row("RevokedKeys", M, "match", parseFilenames(true)),
  row("TrustedUserCAKeys", M, "match", parseFilename),
  row("AuthorizedKeysCommand", M, "match", parseCommand),
  row("AuthorizedKeysCommandUser", M, "match", parseString((p) => `missing ${p.keyword} argument.`)),
  row("AuthorizedPrincipalsFile", M, "match", (p) => {
    const a = p.need(`${p.keyword} missing argument.`);
    p.first("AuthorizedPrincipalsFile", tildeExpand(a, p.env.home) ?? a);
  }),
  row("AuthorizedPrincipalsCommand", M, "match", parseCommand),
  row("AuthorizedPrincipalsCommandUser", M, "match", parseString((p) => `missing ${p.keyword} argument.`)),
  row("VersionAddendum", G, "none", (p) => parseVersionAddendum(p, false)),
  row("AuthenticationMethods", M, "match", (p) => {
    const found = p.raw.AuthenticationMethods === undefined;
    const strs: string[] = [];
    let sawAny = false;
    for (let a = p.next(); a !== undefined; a = p.next()) {
      if (a === "any") {
        if (strs.length > 0) return p.fatal(`"any" must appear alone in ${p.keyword}`);
        sawAny = true;
      } else if (sawAny) return p.fatal(`"any" must appear alone in ${p.keyword}`);
      else if (!authMethodsValid(a)) return p.fatal(`invalid ${p.keyword} method list.`);
      strs.push(a);
    }
    if (strs.length === 0) return p.fatal(`no ${p.keyword} specified`);
    if (found && p.active) p.raw.AuthenticationMethods = strs;
  }),
  row("FingerprintHash", G, "none", (p) => {
    const a = p.need(`${p.keyword} missing argument.`);
    // digest.c ssh_digest_alg_by_name: any digest OpenSSH knows, printed by its upper-case name
    const v = ["md5", "sha1", "sha256", "sha384", "sha512"].includes(a.toLowerCase()) ? a.toUpperCase() : null;
    if (v === null) return p.fatal(`Invalid ${p.keyword} algorithm "${a}".`);
    if (p.active) p.raw.FingerprintHash = v;
  }),
  row("ExposeAuthInfo", M, "match", flag),
  row("SecurityKeyProvider", G, "none", (p) => {
    const a = p.need(`${p.keyword} missing argument.`);
    p.first("SecurityKeyProvider", a.toLowerCase() === "internal" ? a : derelativise(a, p.env));
  }),
  row("RequiredRSASize", M, "match", parseInt),
  row("ChannelTimeout", M, "match", parseChannelTimeout),
  row("UnusedConnectionTimeout", M, "match", (p) => {
    if (p.peek()?.toLowerCase() === "none") {
      p.next();
      if (p.active) p.raw.UnusedConnectionTimeout = 0;
      return;
    }
    parseTime(p);
  }),
  row("SshdSessionPath", G, "none", parseFilename),
  row("SshdAuthPath", G, "none", parseFilename),
  row("RefuseConnection", M, "match", flag),
  // SSHD_CONFIG_ENTRIES_LEGACY
  ...["ServerKeyBits", "KeyRegenerationInterval", "RHostsAuthentication"].map((name) => legacy(name, false, "deprecated")),
  legacy("RhostsRSAAuthentication", true, "deprecated"),
  legacy("RSAAuthentication", true, "deprecated"),
  ...["CheckMail", "UseLogin", "VerifyReverseMapping", "ReverseMappingCheck"].map((name) => legacy(name, false, "deprecated")),
  legacy("AuthorizedKeysFile2", true, "deprecated"),
  ...["UsePrivilegeSeparation", "KerberosTgtPassing", "AFSTokenPassing"].map((name) => legacy(name, false, "deprecated")),
  legacy("Protocol", false, "ignored"),
  // SSHD_CONFIG_ENTRIES_PAM: UsePAM (libpam through bun:ffi, core/server/pam.ts); PAMServiceName is not supported yet
  row("UsePAM", G, "none", flag),
  legacy("PAMServiceName", true, "unsupported"),
  // SSHD_CONFIG_ENTRIES_LASTLOG
  row("PrintLastLog", G, "none", flag),
  // SSHD_CONFIG_ENTRIES_KRB5 and _GSS: a build without Kerberos and GSSAPI
  legacy("KerberosAuthentication", true, "unsupported"),
  ...["KerberosOrLocalPasswd", "KerberosTicketCleanup", "KerberosGetAFSToken"].map((name) => legacy(name, false, "unsupported")),
  legacy("GSSAPIAuthentication", true, "unsupported"),
  ...["GSSAPICleanupCredentials", "GSSAPIDelegateCredentials", "GSSAPIStrictAcceptorCheck"].map((name) => legacy(name, false, "unsupported")),
];

function legacy(name: string, inMatch: boolean, status: "deprecated" | "ignored" | "unsupported"): SshdKeyword {
  return { name, inMatch, status, copy: "none", multi: "first" };
}

const BY_NAME: ReadonlyMap<string, SshdKeyword> = new Map(
  SSHD_KEYWORDS.flatMap((k) => [k.name, ...(k.aliases ?? [])].map((n) => [n.toLowerCase(), k] as const)),
);

/** The row for a keyword as written (case-insensitive, aliases included); undefined for unknown ones. */
export function sshdKeyword(name: string): SshdKeyword | undefined {
  return BY_NAME.get(name.toLowerCase());
}

// ---------------------------------------------------------------------------------------------------------------
// Files, Include, Match

/** Options of loadSshdConfig. */
export interface LoadSshdOptions {
  /** `-o` lines, applied before the file (first value wins, so they override it). */
  readonly overrides?: readonly string[];
  /** sshd `-p` ports: when present, Port lines in files are ignored. */
  readonly ports?: readonly number[];
  readonly fs: ConfigFs;
  readonly env: SshdEnv;
  /** Contents to use instead of reading `path` (the re-exec'd child gets the text from its parent). */
  readonly text?: string;
}

/** Reads `path` and its Includes (expanded in place, globs sorted; depth limit as OpenSSH). */
export function readSshdLines(path: string, text: string, opts: { fs: ConfigFs; sshDir: string }, diag: Diagnostics, depth = 0): SshdLine[] {
  if (depth > MAX_INCLUDE_DEPTH) return diag.fatal(TOO_MANY_INCLUDES);
  const cache = new Map<string, { file: string; lines: SshdLine[] }[]>();
  return textLines(path, text, true).map((l) => expandIncludes(l, opts, diag, depth, cache));
}

function expandIncludes(l: SourceLine, opts: { fs: ConfigFs; sshDir: string }, diag: Diagnostics, depth: number, cache: Map<string, { file: string; lines: SshdLine[] }[]>): SshdLine {
  const s = splitLine(l.text);
  if (s.kind !== "line" || s.keyword.toLowerCase() !== "include") return l;
  const include: { file: string; lines: SshdLine[] }[] = [];
  for (const arg of s.args) {
    if (arg === "") return l; // reported when the line is processed
    const pattern = arg.startsWith("/") || arg.startsWith("~") ? arg : `${opts.sshDir}/${arg}`;
    let files = cache.get(pattern);
    if (files === undefined) {
      files = [];
      for (const f of globPaths(pattern, opts.fs)) {
        const text = opts.fs.readFile(f);
        if (text === null) return diag.exit(`${f}: No such file or directory`, 1, f);
        files.push({ file: f, lines: readSshdLines(f, text, opts, diag, depth + 1) });
      }
      cache.set(pattern, files);
    }
    include.push(...files);
  }
  return { ...l, include };
}

interface PassState {
  /** activep: shared by a file and the files it includes. */
  active: boolean;
}

/** The per-file flags of parse_server_config_depth. */
interface FileFlags {
  /** SSHCFG_NEVERMATCH: a file included from an inactive block; its Match lines never match. */
  readonly neverMatch: boolean;
  /** SSHCFG_MATCH_ONLY: second pass, before this file's first Match line. */
  matchOnly: boolean;
}

/** Processes lines as parse_server_config_depth: one pass, bad options counted per file. */
function processLines(lines: readonly SshdLine[], file: string, st: PassState, flags: FileFlags, raw: Raw, diag: Diagnostics, env: SshdEnv, conn: ConnectionSpec | null, depth: number): void {
  if (depth > MAX_INCLUDE_DEPTH) return diag.fatal(TOO_MANY_INCLUDES);
  let bad = 0;
  for (const l of lines) if (!processLine(l, st, flags, raw, diag, env, conn, false, depth)) bad++;
  if (bad > 0) return diag.fatal(`${file}: terminating, ${bad} bad configuration options`);
}

/** servconf.c process_server_config_line_depth; returns false for a counted bad option. */
function processLine(l: SshdLine, st: PassState, flags: FileFlags, raw: Raw, diag: Diagnostics, env: SshdEnv, conn: ConnectionSpec | null, cmdline: boolean, depth: number): boolean {
  const s = splitLine(l.text);
  if (s.kind === "empty") return true;
  if (s.kind === "noarg") {
    diag.error(`${l.file} line ${l.line}: no argument after keyword "${s.keyword}"`);
    return false;
  }
  const kw = sshdKeyword(s.keyword);
  const lower = s.keyword.toLowerCase();
  const isMatch = lower === "match", isInclude = lower === "include";
  if (kw === undefined && !isMatch && !isInclude) diag.error(`${l.file}: line ${l.line}: Bad configuration option: ${s.keyword}`);
  if (s.kind === "badquotes") {
    diag.error(`${l.file} line ${l.line}: invalid quotes`);
    return false;
  }
  const active = cmdline || st.active;
  const inMatch = isMatch || isInclude || (kw?.inMatch ?? false);
  if (kw === undefined && !isMatch && !isInclude) {
    // servconf.c: an unknown keyword has no SSHCFG_MATCH flag, so inside a Match block it is also "not allowed"
    if (!active && conn === null) return diag.fatal(`${l.file} line ${l.line}: Directive '${s.keyword}' is not allowed within a Match block`, l.file, l.line);
    return !active;
  }
  if (!active && !inMatch) {
    if (conn === null) return diag.fatal(`${l.file} line ${l.line}: Directive '${s.keyword}' is not allowed within a Match block`, l.file, l.line);
    return true; // already processed in the first pass
  }
  const state: LineState = { keyword: s.keyword, canonical: kw?.name ?? s.keyword, file: l.file, line: l.line, args: s.args, rest: s.rest, active, raw, diag };
  const p = new SshdLineParser(state, cmdline, env, conn !== null);
  return p.settle(() => {
    if (isMatch) {
      if (cmdline) return diag.fatal("Match directive not supported as a command-line option");
      const v = matchLine(s.args, l.line, flags.neverMatch ? null : conn, diag, p);
      if (v < 0) return diag.fatal(`${l.file} line ${l.line}: Bad Match condition`, l.file, l.line);
      st.active = flags.neverMatch ? false : v === 1;
      flags.matchOnly = false;
      return true;
    }
    if (isInclude) {
      if (cmdline) return diag.fatal("Include directive not supported as a command-line option");
      if (s.args.length === 0) return p.fatal(`${s.keyword} missing filename argument`);
      if (s.args.some((a) => a === "")) return p.bad(`keyword ${s.keyword} empty argument`);
      const outer = st.active;
      for (const inc of l.include ?? []) {
        const sub: FileFlags = flags.matchOnly ? { neverMatch: false, matchOnly: true } : { neverMatch: !outer, matchOnly: false };
        processLines(inc.lines, inc.file, st, sub, raw, diag, env, conn, depth + 1);
        st.active = outer;
      }
      return true;
    }
    if (kw!.status !== "active") {
      const word = kw!.status === "unsupported" ? "Unsupported" : "Deprecated";
      diag.notice(kw!.status === "ignored" ? "DEBUG2" : "INFO", `${l.file} line ${l.line}: ${word} option ${s.keyword}`);
      return true;
    }
    kw!.parse!(p);
  });
}

/**
 * servconf.c match_cfg_line: 1 match, 0 no match, -1 bad. `conn` null checks syntax only. Criteria missing from a
 * test spec (`sshd -T -C`) do not match; `conn.groups` answers Match Group.
 */
function matchLine(args: readonly string[], line: number, conn: ConnectionSpec | null, diag: Diagnostics, p: SshdLineParser): -1 | 0 | 1 {
  let result: 0 | 1 = 1;
  let attributes = 0;
  let i = 0;
  const nextArg = (): string | undefined => args[i++];
  for (let oattrib = nextArg(); oattrib !== undefined; oattrib = nextArg()) {
    if (oattrib.startsWith("#")) break;
    let attrib = oattrib;
    attributes++;
    const la = attrib.toLowerCase();
    if (la === "all") {
      const arg = nextArg();
      if (attributes > 1 || (arg !== undefined && arg !== "" && !arg.startsWith("#"))) {
        diag.error("'all' cannot be combined with other Match attributes");
        return -1;
      }
      return 1;
    }
    if (la === "invalid-user") {
      if (conn === null || conn.invalidUser !== true) result = 0;
      continue;
    }
    let arg: string | undefined;
    const eq = /^(user|group|host|address|localaddress|localport|rdomain|version)=/i.exec(attrib);
    if (eq !== null) {
      arg = attrib.slice(eq[0].length);
      attrib = eq[1]!;
    } else arg = nextArg();
    if (arg === undefined || arg === "" || arg.startsWith("#")) {
      diag.error(`Missing Match criteria for ${attrib}`);
      return -1;
    }
    switch (attrib.toLowerCase()) {
      case "user":
        if (conn?.user === undefined) result = 0;
        else if (matchUserGroupPatternList(conn.user, arg) !== 1) result = 0;
        break;
      case "group":
        if (conn?.user === undefined) result = 0;
        else if (!groupsMatch(conn.groups ?? null, arg)) result = 0;
        break;
      case "host":
        if (conn?.host === undefined) result = 0;
        else if (matchHostname(conn.host, arg) !== 1) result = 0;
        break;
      case "address":
      case "localaddress": {
        const addr = attrib.toLowerCase() === "address" ? conn?.addr : conn?.laddr;
        if (addr === undefined) {
          if (addrMatchList(null, arg) !== 0) return diag.fatal(`Invalid Match ${attrib.toLowerCase() === "address" ? "address" : "localaddress"} argument '${arg}' at line ${line}`, p.file, line);
          result = 0;
          break;
        }
        const r = addrMatchList(addr, arg);
        if (r === -2) return -1;
        if (r !== 1) result = 0;
        break;
      }
      case "localport": {
        const port = a2port(arg);
        if (port === -1) {
          diag.error(`Invalid LocalPort '${arg}' on Match line`);
          return -1;
        }
        if (conn?.lport === undefined || port !== conn.lport) result = 0;
        break;
      }
      case "rdomain":
        if (conn?.rdomain === undefined) result = 0;
        else if (matchPatternList(conn.rdomain, arg) !== 1) result = 0;
        break;
      case "version":
        if (matchPatternList(SSHBOX_RELEASE, arg) !== 1) result = 0;
        break;
      default:
        diag.error(`Unsupported Match attribute ${oattrib}`);
        return -1;
    }
  }
  if (attributes === 0) {
    diag.error("One or more attributes required for Match");
    return -1;
  }
  return result;
}

/** groupaccess.c ga_match_pattern_list: any group matches, a negated match wins. */
function groupsMatch(groups: readonly string[] | null, list: string): boolean {
  if (groups === null) return false;
  let found = false;
  for (const g of groups) {
    const r = matchUserGroupPatternList(g, list);
    if (r === -1) return false;
    if (r === 1) found = true;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// Defaults and the typed result

const DEFAULT_PATHS = {
  pidFile: "/run/sshd.pid", // Debian/Ubuntu build (upstream: /var/run/sshd.pid)
  xauth: "/usr/bin/xauth",
  sshdSession: "/usr/lib/openssh/sshd-session",
  sshdAuth: "/usr/lib/openssh/sshd-auth",
};

const str = (raw: Raw, k: string): string | undefined => raw[k] as string | undefined;
const noneNull = (v: string | undefined | null): string | null => (v === undefined || v === null || v.toLowerCase() === "none" ? null : v);

function assemble(raw: Raw, key: string, def: readonly string[], all: readonly string[], diag: Diagnostics): string[] {
  const spec = str(raw, key) ?? null;
  const v = assembleNames(spec, def, all);
  if (v === null) return diag.fatal(`assemble_algorithms: ${key === "MACs" ? "macs" : key.toLowerCase()}: invalid format`);
  return v;
}

/** fill_default_server_options + process_queued_listen_addrs: the typed settings from what was set. */
function finalize(raw: Raw, env: SshdEnv, diag: Diagnostics): SshdSettings {
  const b = (k: string, d: boolean): boolean => (raw[k] as boolean | undefined) ?? d;
  const n = (k: string, d: number): number => (raw[k] as number | undefined) ?? d;
  const ports = (raw.Port as number[] | undefined) ?? [22];
  const family = (raw.AddressFamily as SshdSettings["addressFamily"] | undefined) ?? "any";
  const queued = (raw.ListenAddress as { host: string; port: number; rdomain: string | null }[] | undefined) ?? [];
  const listen: ListenAddress[] = [];
  const fits = (a: string): boolean => family === "any" || (family === "inet") === !a.includes(":");
  const add = (host: string | null, port: number, rdomain: string | null): void => {
    let hosts: readonly string[];
    if (host === null) hosts = family === "inet" ? ["0.0.0.0"] : family === "inet6" ? ["::"] : ["::", "0.0.0.0"];
    else if (parseAddress(host) !== null || env.resolve === undefined) hosts = [host];
    else {
      // servconf.c add_one_listen_addr: every address getaddrinfo gives; dump_config prints a name's list reversed
      const got = env.resolve(host)?.filter(fits) ?? [];
      if (got.length === 0) return diag.fatal(`bad addr or host: ${host} (Name or service not known)`);
      hosts = [...got].reverse();
    }
    for (const h of hosts) listen.push({ host: h, port, rdomain });
  };
  if (queued.length === 0) for (const port of ports) add(null, port, null);
  for (const q of queued) {
    if (q.port > 0) add(q.host, q.port, q.rdomain);
    else for (const port of ports) add(q.host, port, q.rdomain);
  }
  const keyFiles = (raw.HostKey as string[] | undefined) ?? ["rsa", "ecdsa", "ed25519", "mldsa44_ed25519"].map((t) => `${env.sshDir}/ssh_host_${t}_key`);
  const akf = (raw.AuthorizedKeysFile as string[] | undefined) ?? [".ssh/authorized_keys", ".ssh/authorized_keys2"];
  const clearArray = (v: string[] | undefined, none: string): string[] => (v === undefined || (v.length === 1 && v[0]!.toLowerCase() === none) ? [] : v);
  const pen = (raw.PerSourcePenalties as Record<string, unknown> | undefined) ?? {};
  const overflow = (pen.overflow as "deny-all" | "permissive" | undefined) ?? "permissive";
  return {
    port: ports,
    addressFamily: family,
    listenAddress: listen,
    loginGraceTime: n("LoginGraceTime", 120),
    x11DisplayOffset: n("X11DisplayOffset", 10),
    maxAuthTries: n("MaxAuthTries", 6),
    maxSessions: n("MaxSessions", 10),
    clientAliveInterval: n("ClientAliveInterval", 0),
    clientAliveCountMax: n("ClientAliveCountMax", 3),
    requiredRsaSize: n("RequiredRSASize", 1024),
    streamLocalBindMask: n("StreamLocalBindMask", 0o177),
    unusedConnectionTimeout: n("UnusedConnectionTimeout", 0),
    permitRootLogin: (raw.PermitRootLogin as SshdSettings["permitRootLogin"] | undefined) ?? "prohibit-password",
    ignoreRhosts: (raw.IgnoreRhosts as SshdSettings["ignoreRhosts"] | undefined) ?? "yes",
    ignoreUserKnownHosts: b("IgnoreUserKnownHosts", false),
    hostbasedAuthentication: b("HostbasedAuthentication", false),
    hostbasedUsesNameFromPacketOnly: b("HostbasedUsesNameFromPacketOnly", false),
    pubkeyAuthentication: b("PubkeyAuthentication", true),
    passwordAuthentication: b("PasswordAuthentication", true),
    kbdInteractiveAuthentication: b("KbdInteractiveAuthentication", true),
    usePam: b("UsePAM", false),
    printMotd: b("PrintMotd", true),
    printLastLog: b("PrintLastLog", true),
    x11Forwarding: b("X11Forwarding", false),
    x11UseLocalhost: b("X11UseLocalhost", true),
    permitTty: b("PermitTTY", true),
    permitUserRc: b("PermitUserRC", true),
    strictModes: b("StrictModes", true),
    tcpKeepAlive: b("TCPKeepAlive", true),
    permitEmptyPasswords: b("PermitEmptyPasswords", false),
    compression: (raw.Compression as "yes" | "no" | undefined) ?? "yes",
    gatewayPorts: (raw.GatewayPorts as SshdSettings["gatewayPorts"] | undefined) ?? "no",
    useDns: b("UseDNS", false),
    allowTcpForwarding: (raw.AllowTcpForwarding as SshdSettings["allowTcpForwarding"] | undefined) ?? "yes",
    allowAgentForwarding: b("AllowAgentForwarding", true),
    disableForwarding: b("DisableForwarding", false),
    allowStreamLocalForwarding: (raw.AllowStreamLocalForwarding as SshdSettings["allowStreamLocalForwarding"] | undefined) ?? "yes",
    streamLocalBindUnlink: b("StreamLocalBindUnlink", false),
    fingerprintHash: (raw.FingerprintHash as SshdSettings["fingerprintHash"] | undefined) ?? "SHA256",
    exposeAuthInfo: b("ExposeAuthInfo", false),
    refuseConnection: b("RefuseConnection", false),
    pidFile: noneNull(str(raw, "PidFile") ?? DEFAULT_PATHS.pidFile),
    moduliFile: str(raw, "ModuliFile") ?? `${env.sshDir}/moduli`,
    xauthLocation: noneNull(str(raw, "XAuthLocation") ?? DEFAULT_PATHS.xauth),
    ciphers: assemble(raw, "Ciphers", DEFAULT_CIPHERS, ALL_CIPHERS, diag),
    macs: assemble(raw, "MACs", DEFAULT_MACS, ALL_MACS, diag),
    banner: noneNull(str(raw, "Banner")),
    forceCommand: noneNull(str(raw, "ForceCommand")),
    chrootDirectory: noneNull(str(raw, "ChrootDirectory")),
    trustedUserCaKeys: noneNull(str(raw, "TrustedUserCAKeys")),
    securityKeyProvider: noneNull(str(raw, "SecurityKeyProvider") ?? "internal"),
    authorizedPrincipalsFile: noneNull(str(raw, "AuthorizedPrincipalsFile")),
    versionAddendum: str(raw, "VersionAddendum") ?? "",
    authorizedKeysCommand: str(raw, "AuthorizedKeysCommand") ?? null,
    authorizedKeysCommandUser: str(raw, "AuthorizedKeysCommandUser") ?? null,
    authorizedPrincipalsCommand: str(raw, "AuthorizedPrincipalsCommand") ?? null,
    authorizedPrincipalsCommandUser: str(raw, "AuthorizedPrincipalsCommandUser") ?? null,
    hostKeyAgent: noneNull(str(raw, "HostKeyAgent")),
    kexAlgorithms: assemble(raw, "KexAlgorithms", DEFAULT_KEX_SERVER, ALL_KEX, diag),
    caSignatureAlgorithms: assemble(raw, "CASignatureAlgorithms", DEFAULT_CA_SIGNATURE_ALGORITHMS, ALL_SIG_ALGORITHMS, diag),
    hostbasedAcceptedAlgorithms: assemble(raw, "HostbasedAcceptedAlgorithms", DEFAULT_PK_ALGORITHMS, ALL_KEY_ALGORITHMS, diag),
    hostKeyAlgorithms: assemble(raw, "HostKeyAlgorithms", DEFAULT_PK_ALGORITHMS, ALL_KEY_ALGORITHMS, diag),
    pubkeyAcceptedAlgorithms: assemble(raw, "PubkeyAcceptedAlgorithms", DEFAULT_PK_ALGORITHMS, ALL_KEY_ALGORITHMS, diag),
    sshdSessionPath: str(raw, "SshdSessionPath") ?? DEFAULT_PATHS.sshdSession,
    sshdAuthPath: str(raw, "SshdAuthPath") ?? DEFAULT_PATHS.sshdAuth,
    perSourcePenaltyExemptList: noneNull(str(raw, "PerSourcePenaltyExemptList")),
    logLevel: (raw.LogLevel as LogLevel | undefined) ?? "INFO",
    syslogFacility: (raw.SyslogFacility as LogFacility | undefined) ?? "AUTH",
    authorizedKeysFile: clearArray(akf, "none"),
    revokedKeys: clearArray(raw.RevokedKeys as string[] | undefined, "none"),
    hostKey: keyFiles.filter((k) => k.toLowerCase() !== "none"),
    hostCertificate: ((raw.HostCertificate as string[] | undefined) ?? []).filter((k) => k.toLowerCase() !== "none"),
    allowUsers: (raw.AllowUsers as string[] | undefined) ?? [],
    denyUsers: (raw.DenyUsers as string[] | undefined) ?? [],
    allowGroups: (raw.AllowGroups as string[] | undefined) ?? [],
    denyGroups: (raw.DenyGroups as string[] | undefined) ?? [],
    acceptEnv: (raw.AcceptEnv as string[] | undefined) ?? [],
    setEnv: (raw.SetEnv as string[] | undefined) ?? [],
    authenticationMethods: clearArray(raw.AuthenticationMethods as string[] | undefined, "any"),
    logVerbose: (raw.LogVerbose as string[] | undefined) ?? [],
    channelTimeout: clearArray(raw.ChannelTimeout as string[] | undefined, "none"),
    subsystem: (raw.Subsystem as Subsystem[] | undefined) ?? [],
    // a single number leaves the rate unset, and fill_default_server_options gives it 30
    maxStartups: ((m) => (m === undefined ? { begin: 10, rate: 30, full: 100 } : { ...m, rate: m.rate === -1 ? 30 : m.rate }))(raw.MaxStartups as SshdSettings["maxStartups"] | undefined),
    perSourceMaxStartups: raw.PerSourceMaxStartups === undefined ? null : (raw.PerSourceMaxStartups as number | null),
    perSourceNetBlockSize: (raw.PerSourceNetBlockSize as [number, number] | undefined) ?? [32, 128],
    permitTunnel: (raw.PermitTunnel as SshdSettings["permitTunnel"] | undefined) ?? "no",
    ipQos: (raw.IPQoS as [number, number] | undefined) ?? [0xb8, 0x00],
    rekeyLimit: { bytes: n("RekeyLimit", 0), seconds: n("RekeyLimit.interval", 0) },
    permitOpen: clearArray(raw.PermitOpen as string[] | undefined, "any"),
    permitListen: clearArray(raw.PermitListen as string[] | undefined, "any"),
    permitUserEnvironment: (raw.PermitUserEnvironment as boolean | string | undefined) ?? false,
    pubkeyAuthOptions: (raw.PubkeyAuthOptions as SshdSettings["pubkeyAuthOptions"] | undefined) ?? { touchRequired: false, verifyRequired: false },
    perSourcePenalties: {
      enabled: (pen.enabled as boolean | undefined) ?? true,
      crash: (pen.crash as number | undefined) ?? 90,
      authfail: (pen.authfail as number | undefined) ?? 5,
      noauth: (pen.noauth as number | undefined) ?? 1,
      invaliduser: (pen.invaliduser as number | undefined) ?? 5,
      graceExceeded: (pen["grace-exceeded"] as number | undefined) ?? 10,
      refuseconnection: (pen.refuseconnection as number | undefined) ?? 10,
      max: (pen.max as number | undefined) ?? 600,
      min: (pen.min as number | undefined) ?? 15,
      maxSources4: (pen["max-sources4"] as number | undefined) ?? 65536,
      maxSources6: (pen["max-sources6"] as number | undefined) ?? 65536,
      overflow,
      overflow6: (pen.overflow6 as "deny-all" | "permissive" | undefined) ?? overflow,
    },
  };
}

/**
 * Loads sshd_config from `path` (or `opts.text`): -o overrides first, then the file with its Includes; Match blocks
 * are syntax-checked only. Throws ConfigError with OpenSSH's lines for anything sshd would exit on.
 */
export function loadSshdConfig(path: string, opts: LoadSshdOptions): SshdConfig {
  const diag = new Diagnostics();
  const raw: Raw = {};
  if (opts.ports !== undefined && opts.ports.length > 0) {
    raw.Port = [...opts.ports];
    raw.__portsFromCmdline = true;
  }
  const overrides = opts.overrides ?? [];
  for (const o of overrides) {
    // sshd.c: a bad -o line exits (status 1) after its error() lines
    if (!processLine({ file: "command-line", line: 0, text: o }, { active: true }, { neverMatch: false, matchOnly: false }, raw, diag, opts.env, null, true, 0)) diag.abort();
  }
  let text = opts.text ?? null;
  if (text === null) {
    text = opts.fs.readFile(path);
    if (text === null) return diag.exit(`${path}: No such file or directory`, 1, path);
  }
  const lines = readSshdLines(path, text, { fs: opts.fs, sshDir: opts.env.sshDir }, diag);
  processLines(lines, path, { active: true }, { neverMatch: false, matchOnly: false }, raw, diag, opts.env, null, 0);
  const settings = finalize(raw, opts.env, diag);
  return { ...settings, source: { lines, overrides, raw: { ...raw }, env: opts.env }, notices: diag.notices };
}

/**
 * The configuration for one connection (parse_server_match_config + copy_set_server_options): Match blocks that fit
 * `conn` override the global values they set; Subsystems merge by name; ForceCommand/ChrootDirectory `none` clear.
 */
export function applySshdMatch(config: SshdConfig, conn: ConnectionSpec): SshdConfig {
  const diag = new Diagnostics();
  const mo: Raw = {};
  processLines(config.source.lines, "reprocess config", { active: false }, { neverMatch: false, matchOnly: true }, mo, diag, config.source.env, conn, 0);
  const merged: Raw = { ...config.source.raw };
  for (const k of SSHD_KEYWORDS) {
    if (k.copy === "none" || mo[k.name] === undefined) continue;
    if (k.name === "Subsystem") {
      const dst = [...((merged.Subsystem as Subsystem[] | undefined) ?? [])];
      for (const s of mo.Subsystem as Subsystem[]) {
        const at = dst.findIndex((d) => d.name === s.name);
        if (at >= 0) dst[at] = s;
        else dst.push(s);
      }
      merged.Subsystem = dst;
      continue;
    }
    merged[k.name] = mo[k.name];
  }
  if (mo["RekeyLimit.interval"] !== undefined) merged["RekeyLimit.interval"] = mo["RekeyLimit.interval"];
  const settings = finalize(merged, config.source.env, diag);
  return { ...settings, source: config.source, notices: [...config.notices, ...diag.notices] };
}

/** servconf.c parse_server_match_testspec: `user=,host=,addr=,laddr=,lport=,rdomain=,invalid-user`. */
export function parseConnectionSpec(spec: string, prior: ConnectionSpec = {}): ConnectionSpec {
  const out: { -readonly [K in keyof ConnectionSpec]: ConnectionSpec[K] } = { ...prior };
  for (const p of spec.split(",")) {
    if (p === "") break;
    const eq = p.indexOf("=");
    const key = eq < 0 ? p : p.slice(0, eq + 1);
    const val = p.slice(eq + 1);
    switch (key) {
      case "addr=": out.addr = val; break;
      case "host=": out.host = val; break;
      case "user=": out.user = val; break;
      case "laddr=": out.laddr = val; break;
      case "rdomain=": out.rdomain = val; break;
      case "lport=": {
        const port = a2port(val);
        if (port === -1) throw new ConfigExitError(`Invalid port '${val}' in test mode specification ${p}`, 1);
        out.lport = port;
        break;
      }
      case "invalid-user": out.invalidUser = true; break;
      default: throw new ConfigExitError(`Invalid test mode specification ${p}`, 1);
    }
  }
  return out;
}


// ---------------------------------------------------------------------------------------------------------------
// sshd -T

/** How `sshd -T` spells keywords: OpenSSH up to 10.4 prints them lowercase, 10.5 in mixed case. */
export interface SshdTestFormat {
  readonly keywordCase?: "lower" | "mixed";
}

const fmtFloat = (v: number): string => v.toFixed(6);

/** `sshd -T` output (servconf.c dump_config), one "keyword value" line each, in OpenSSH's order. */
export function formatSshdTest(c: SshdSettings, format: SshdTestFormat = {}): string {
  const lines: string[] = [];
  const kw = (k: string): string => (format.keywordCase === "mixed" ? k : k.toLowerCase());
  const put = (k: string, v: string | number): void => void lines.push(`${kw(k)} ${v}`);
  const yn = (v: boolean): string => (v ? "yes" : "no");
  const s = (v: string | null): string => v ?? "none";
  for (const p of c.port) put("Port", p);
  put("AddressFamily", c.addressFamily);
  for (const l of c.listenAddress) {
    const hostPort = l.host.includes(":") ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
    put("ListenAddress", l.rdomain === null ? hostPort : `${hostPort} rdomain ${l.rdomain}`);
  }
  put("UsePAM", yn(c.usePam));
  put("LoginGraceTime", c.loginGraceTime);
  put("X11DisplayOffset", c.x11DisplayOffset);
  put("MaxAuthTries", c.maxAuthTries);
  put("MaxSessions", c.maxSessions);
  put("ClientAliveInterval", c.clientAliveInterval);
  put("ClientAliveCountMax", c.clientAliveCountMax);
  put("RequiredRSASize", c.requiredRsaSize);
  put("StreamLocalBindMask", `0${c.streamLocalBindMask.toString(8)}`);
  put("UnusedConnectionTimeout", c.unusedConnectionTimeout === 0 ? "none" : c.unusedConnectionTimeout);
  put("PermitRootLogin", c.permitRootLogin);
  put("IgnoreRhosts", c.ignoreRhosts);
  put("IgnoreUserKnownHosts", yn(c.ignoreUserKnownHosts));
  put("HostbasedAuthentication", yn(c.hostbasedAuthentication));
  put("HostbasedUsesNameFromPacketOnly", yn(c.hostbasedUsesNameFromPacketOnly));
  put("PubkeyAuthentication", yn(c.pubkeyAuthentication));
  put("PasswordAuthentication", yn(c.passwordAuthentication));
  put("KbdInteractiveAuthentication", yn(c.kbdInteractiveAuthentication));
  put("PrintMotd", yn(c.printMotd));
  put("PrintLastLog", yn(c.printLastLog));
  put("X11Forwarding", yn(c.x11Forwarding));
  put("X11UseLocalhost", yn(c.x11UseLocalhost));
  put("PermitTTY", yn(c.permitTty));
  put("PermitUserRC", yn(c.permitUserRc));
  put("StrictModes", yn(c.strictModes));
  put("TCPKeepAlive", yn(c.tcpKeepAlive));
  put("PermitEmptyPasswords", yn(c.permitEmptyPasswords));
  put("Compression", c.compression);
  put("GatewayPorts", c.gatewayPorts);
  put("UseDNS", yn(c.useDns));
  put("AllowTcpForwarding", c.allowTcpForwarding);
  put("AllowAgentForwarding", yn(c.allowAgentForwarding));
  put("DisableForwarding", yn(c.disableForwarding));
  put("AllowStreamLocalForwarding", c.allowStreamLocalForwarding);
  put("StreamLocalBindUnlink", yn(c.streamLocalBindUnlink));
  put("FingerprintHash", c.fingerprintHash);
  put("ExposeAuthInfo", yn(c.exposeAuthInfo));
  put("RefuseConnection", yn(c.refuseConnection));
  put("PidFile", s(c.pidFile));
  put("ModuliFile", c.moduliFile);
  put("XAuthLocation", s(c.xauthLocation));
  put("Ciphers", c.ciphers.join(","));
  put("MACs", c.macs.join(","));
  put("Banner", s(c.banner));
  put("ForceCommand", s(c.forceCommand));
  put("ChrootDirectory", s(c.chrootDirectory));
  put("TrustedUserCAKeys", s(c.trustedUserCaKeys));
  put("SecurityKeyProvider", s(c.securityKeyProvider));
  put("AuthorizedPrincipalsFile", s(c.authorizedPrincipalsFile));
  put("VersionAddendum", c.versionAddendum === "" ? "none" : c.versionAddendum);
  put("AuthorizedKeysCommand", s(c.authorizedKeysCommand));
  put("AuthorizedKeysCommandUser", s(c.authorizedKeysCommandUser));
  put("AuthorizedPrincipalsCommand", s(c.authorizedPrincipalsCommand));
  put("AuthorizedPrincipalsCommandUser", s(c.authorizedPrincipalsCommandUser));
  put("HostKeyAgent", s(c.hostKeyAgent));
  put("KexAlgorithms", c.kexAlgorithms.join(","));
  put("CASignatureAlgorithms", c.caSignatureAlgorithms.join(","));
  put("HostbasedAcceptedAlgorithms", c.hostbasedAcceptedAlgorithms.join(","));
  put("HostKeyAlgorithms", c.hostKeyAlgorithms.join(","));
  put("PubkeyAcceptedAlgorithms", c.pubkeyAcceptedAlgorithms.join(","));
  put("SshdSessionPath", c.sshdSessionPath);
  put("SshdAuthPath", c.sshdAuthPath);
  put("PerSourcePenaltyExemptList", s(c.perSourcePenaltyExemptList));
  put("LogLevel", logLevelName(c.logLevel));
  put("SyslogFacility", c.syslogFacility);
  if (c.authorizedKeysFile.length > 0) put("AuthorizedKeysFile", c.authorizedKeysFile.join(" "));
  if (c.revokedKeys.length > 0) put("RevokedKeys", c.revokedKeys.join(" "));
  for (const v of c.hostKey) put("HostKey", v);
  for (const v of c.hostCertificate) put("HostCertificate", v);
  for (const v of c.allowUsers) put("AllowUsers", v);
  for (const v of c.denyUsers) put("DenyUsers", v);
  for (const v of c.allowGroups) put("AllowGroups", v);
  for (const v of c.denyGroups) put("DenyGroups", v);
  for (const v of c.acceptEnv) put("AcceptEnv", v);
  for (const v of c.setEnv) put("SetEnv", v);
  put("AuthenticationMethods", c.authenticationMethods.length === 0 ? "any" : c.authenticationMethods.join(" "));
  if (c.logVerbose.length > 0) put("LogVerbose", c.logVerbose.join(" "));
  put("ChannelTimeout", c.channelTimeout.length === 0 ? "none" : c.channelTimeout.join(" "));
  for (const sub of c.subsystem) put("Subsystem", `${sub.name} ${sub.args}`);
  put("MaxStartups", `${c.maxStartups.begin}:${c.maxStartups.rate}:${c.maxStartups.full}`);
  put("PerSourceMaxStartups", c.perSourceMaxStartups === null ? "none" : c.perSourceMaxStartups);
  put("PerSourceNetBlockSize", `${c.perSourceNetBlockSize[0]}:${c.perSourceNetBlockSize[1]}`);
  put("PermitTunnel", c.permitTunnel);
  put("IPQoS", `${iptos2str(c.ipQos[0])} ${iptos2str(c.ipQos[1])}`);
  put("RekeyLimit", `${c.rekeyLimit.bytes} ${c.rekeyLimit.seconds}`);
  put("PermitOpen", c.permitOpen.length === 0 ? "any" : c.permitOpen.join(" "));
  put("PermitListen", c.permitListen.length === 0 ? "any" : c.permitListen.join(" "));
  put("PermitUserEnvironment", typeof c.permitUserEnvironment === "string" ? c.permitUserEnvironment : yn(c.permitUserEnvironment));
  const o = c.pubkeyAuthOptions;
  put("PubkeyAuthOptions", !o.touchRequired && !o.verifyRequired ? "none" : [o.touchRequired ? "touch-required" : "", o.verifyRequired ? "verify-required" : ""].filter(Boolean).join(" "));
  const pp = c.perSourcePenalties;
  put("PerSourcePenalties", pp.enabled
    ? `crash:${fmtFloat(pp.crash)} authfail:${fmtFloat(pp.authfail)} noauth:${fmtFloat(pp.noauth)} invaliduser:${fmtFloat(pp.invaliduser)} ` +
      `grace-exceeded:${fmtFloat(pp.graceExceeded)} refuseconnection:${fmtFloat(pp.refuseconnection)} max:${fmtFloat(pp.max)} min:${fmtFloat(pp.min)} ` +
      `max-sources4:${pp.maxSources4} max-sources6:${pp.maxSources6} overflow:${pp.overflow} overflow6:${pp.overflow6}`
    : "no");
  return `${lines.join("\n")}\n`;
}

/**
 * sshd's %-tokens for the keywords that take them (auth.c expand_authorized_keys, session.c for ChrootDirectory):
 * %% %h (home) %u (user) %U (uid); AuthorizedKeysCommand adds %C %D %f %k %t, AuthorizedPrincipalsCommand %F %i %K %s %T.
 */
export const SSHD_TOKENS: Readonly<Record<string, readonly string[]>> = {
  AuthorizedKeysFile: ["h", "u", "U"],
  AuthorizedPrincipalsFile: ["h", "u", "U"],
  ChrootDirectory: ["h", "u", "U"],
  RoutingDomain: ["D"],
  AuthorizedKeysCommand: ["C", "D", "f", "h", "k", "t", "U", "u"],
  AuthorizedPrincipalsCommand: ["C", "D", "F", "f", "h", "i", "K", "k", "s", "T", "t", "U", "u"],
};

/** Expands the %-tokens `keyword` allows; other tokens are an error as in percent_expand. */
export function expandSshdTokens(keyword: keyof typeof SSHD_TOKENS | string, template: string, values: Readonly<Record<string, string>>): string {
  const allowed = SSHD_TOKENS[keyword] ?? [];
  const keys: Record<string, string> = {};
  for (const k of allowed) if (values[k] !== undefined) keys[k] = values[k];
  return percentExpand(template, keys);
}

/** True when `addr` is an address literal (for callers deciding between Address and Host criteria). */
export function isAddressLiteral(addr: string): boolean {
  return parseAddress(addr) !== null;
}

let defaultsText: Map<string, string> | null = null;

/**
 * The default of a keyword as `sshd -T` prints it (null when -T prints nothing for it by default, undefined for an
 * unknown keyword): the "default" column of the keyword table, computed from fill_default_server_options' values.
 */
export function sshdDefault(name: string): string | null | undefined {
  const kw = sshdKeyword(name);
  if (kw === undefined) return undefined;
  if (defaultsText === null) {
    defaultsText = new Map();
    const text = formatSshdTest(finalize({}, { cwd: "/", home: "~", sshDir: "/etc/ssh" }, new Diagnostics()), { keywordCase: "mixed" });
    for (const l of text.split("\n")) {
      const sp = l.indexOf(" ");
      if (sp > 0) defaultsText.set(l.slice(0, sp), [defaultsText.get(l.slice(0, sp)), l.slice(sp + 1)].filter((x) => x !== undefined).join("\n"));
    }
  }
  return defaultsText.get(kw.name) ?? null;
}
