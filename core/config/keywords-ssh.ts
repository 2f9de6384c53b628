// ssh_config: one row per OpenSSH 10.5 client keyword (readconf.c keywords[]), Host/Match evaluation, first obtained
// value wins (IdentityFile, CertificateFile, LocalForward, RemoteForward, DynamicForward, SendEnv accumulate), -o
// lines first, `ssh -G` output in dump_client_config()'s order and `ssh -Q` answers from the registry.
import { createHash } from "node:crypto";
import { SSHBOX_RELEASE } from "../version.ts";
import {
  ALL_CIPHERS, ALL_KEX, ALL_KEY_ALGORITHMS, ALL_MACS, ALL_SIG_ALGORITHMS, AUTH_CIPHERS, CERT_KEY_ALGORITHMS,
  DEFAULT_CA_SIGNATURE_ALGORITHMS, DEFAULT_CIPHERS, DEFAULT_KEX_CLIENT, DEFAULT_MACS, DEFAULT_PK_ALGORITHMS,
  keyNamesValid, namesValid, PLAIN_KEY_ALGORITHMS,
} from "./algorithms.ts";
import {
  LineParser, logLevelName, noneAloneArgs, parseChannelTimeout, parseIpqosPair, parseLogLevelLine, parseNoneAloneList, parseRekeyLimit,
  parseSetEnv, parseSyslogFacilityLine, parseVersionAddendum, type LineState, type LogFacility, type LogLevel, type Raw,
} from "./keywords-common.ts";
import {
  a2port, atoiErr, convtime, Diagnostics, dollarExpand, expandTokens, globPaths, iptos2str, MAX_INCLUDE_DEPTH, percentExpand,
  splitLine, textLines, tildeExpand, TOO_MANY_INCLUDES, type ConfigFs, type ConfigNotice,
} from "./lexer.ts";
import { addrMatchCidrList, assembleNames, matchHostname, matchPattern, matchPatternList } from "./match.ts";

/** A port forwarding (readconf.h struct Forward); a path replaces host:port for Unix sockets. */
export interface Forward {
  readonly listenHost: string | null;
  /** -2 (PORT_STREAMLOCAL) when listenPath is set. */
  readonly listenPort: number;
  readonly listenPath: string | null;
  /** "socks" for dynamic forwards. */
  readonly connectHost: string | null;
  readonly connectPort: number;
  readonly connectPath: string | null;
}

/** The local side: who runs ssh and where (for tokens, Match localuser and %C). */
export interface SshLocalContext {
  /** Local user name (%u). */
  readonly user: string;
  readonly uid: number;
  /** Home directory (%d, `~`). */
  readonly home: string;
  /** Local host name (%l; %L is its first label). */
  readonly hostname: string;
  /** Environment for `${VAR}` expansion. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Options of loadSshConfig. */
export interface LoadSshOptions {
  /** The destination as given on the command line (%n, Host matching). */
  readonly host: string;
  /** -l / user@ on the command line. */
  readonly user?: string;
  /** -p on the command line. */
  readonly port?: number;
  /** -o lines, processed first. */
  readonly overrides?: readonly string[];
  /** -F file; "none" reads no file. Without it: ~/.ssh/config then /etc/ssh/ssh_config. */
  readonly configFile?: string;
  /** The remote command, for `Match command`/`sessiontype`. */
  readonly command?: string;
  readonly local: SshLocalContext;
  readonly fs: ConfigFs;
  /** System config directory (/etc/ssh). */
  readonly sshDir?: string;
  /** `Match exec`: runs the (expanded) command through the user's shell and reports exit status 0. */
  readonly exec?: (command: string) => boolean;
  /** `Match localnetwork`: whether a local interface address is inside the CIDR list. */
  readonly localNetwork?: (cidrList: string) => boolean;
  /**
   * CanonicalizeHostname (ssh.c resolve_canonicalize, which needs DNS): given the host and the Canonical* settings,
   * the canonical name, or null to keep the name. Called only when CanonicalizeHostname is on (and, unless "always",
   * no ProxyCommand/ProxyJump is set). Without it the name is kept; the final pass still runs.
   */
  readonly canonicalize?: (host: string, settings: { readonly domains: readonly string[]; readonly maxDots: number; readonly fallbackLocal: boolean; readonly permittedCnames: readonly { readonly source: string; readonly target: string }[] }) => string | null;
}

/** The effective client settings (fill_default_options), typed. */
export interface SshSettings {
  /** The destination as given (`host` line of -G). */
  readonly hostArg: string;
  readonly hostname: string;
  readonly user: string;
  readonly port: number;
  readonly addressFamily: "any" | "inet" | "inet6";
  readonly batchMode: boolean;
  readonly canonicalizeFallbackLocal: boolean;
  readonly canonicalizeHostname: "false" | "true" | "always";
  readonly checkHostIp: boolean;
  readonly compression: boolean;
  readonly controlMaster: "false" | "true" | "auto" | "ask" | "autoask";
  readonly enableSshKeysign: boolean;
  readonly clearAllForwardings: boolean;
  readonly exitOnForwardFailure: boolean;
  readonly fingerprintHash: "SHA256" | "MD5" | "SHA1" | "SHA384" | "SHA512";
  readonly forwardX11: boolean;
  readonly forwardX11Trusted: boolean;
  readonly gatewayPorts: boolean;
  readonly hashKnownHosts: boolean;
  readonly hostbasedAuthentication: boolean;
  readonly identitiesOnly: boolean;
  readonly kbdInteractiveAuthentication: boolean;
  readonly noHostAuthenticationForLocalhost: boolean;
  readonly passwordAuthentication: boolean;
  readonly permitLocalCommand: boolean;
  readonly proxyUseFdpass: boolean;
  readonly pubkeyAuthentication: "true" | "false" | "unbound" | "host-bound";
  readonly requestTty: "true" | "false" | "force" | "auto";
  readonly sessionType: "none" | "subsystem" | "default";
  readonly stdinNull: boolean;
  readonly forkAfterAuthentication: boolean;
  readonly streamLocalBindUnlink: boolean;
  readonly strictHostKeyChecking: "true" | "false" | "ask" | "accept-new";
  readonly tcpKeepAlive: boolean;
  readonly tunnel: "false" | "point-to-point" | "ethernet";
  readonly verifyHostKeyDns: "true" | "false" | "ask";
  readonly visualHostKey: boolean;
  readonly updateHostKeys: "true" | "false" | "ask";
  readonly enableEscapeCommandline: boolean;
  readonly warnWeakCrypto: boolean;
  readonly canonicalizeMaxDots: number;
  readonly connectionAttempts: number;
  readonly forwardX11Timeout: number;
  readonly numberOfPasswordPrompts: number;
  readonly serverAliveCountMax: number;
  readonly serverAliveInterval: number;
  readonly requiredRsaSize: number;
  /** Milliseconds; 0 = off. */
  readonly obscureKeystrokeTiming: number;
  readonly bindAddress: string | null;
  readonly bindInterface: string | null;
  readonly ciphers: readonly string[];
  readonly controlPath: string | null;
  readonly hostKeyAlgorithms: readonly string[];
  readonly hostKeyAlias: string | null;
  readonly hostbasedAcceptedAlgorithms: readonly string[];
  /** null unset; "none" disables the agent; else the (expanded) socket path or $VAR. */
  readonly identityAgent: string | null;
  readonly ignoreUnknown: string | null;
  readonly kbdInteractiveDevices: string | null;
  readonly kexAlgorithms: readonly string[];
  readonly caSignatureAlgorithms: readonly string[];
  readonly localCommand: string | null;
  readonly remoteCommand: string | null;
  readonly logLevel: LogLevel;
  readonly macs: readonly string[];
  readonly securityKeyProvider: string | null;
  readonly preferredAuthentications: string | null;
  readonly pubkeyAcceptedAlgorithms: readonly string[];
  readonly xauthLocation: string;
  readonly knownHostsCommand: string | null;
  readonly tag: string | null;
  readonly versionAddendum: string | null;
  readonly localForward: readonly Forward[];
  readonly remoteForward: readonly Forward[];
  readonly identityFile: readonly string[];
  readonly canonicalDomains: readonly string[];
  readonly certificateFile: readonly string[];
  readonly globalKnownHostsFile: readonly string[];
  readonly userKnownHostsFile: readonly string[];
  readonly revokedHostKeys: readonly string[];
  readonly sendEnv: readonly string[];
  readonly setEnv: readonly string[];
  readonly logVerbose: readonly string[];
  readonly channelTimeout: readonly string[];
  /** Empty = any. */
  readonly permitRemoteOpen: readonly string[];
  readonly addKeysToAgent: "false" | "true" | "ask" | "confirm";
  /** Seconds; 0 = unlimited. */
  readonly addKeysToAgentLifespan: number;
  /** false/true, or the agent socket path to forward (ssh -G prints the path when one was given). */
  readonly forwardAgent: boolean | string;
  /** null = none. */
  readonly connectTimeout: number | null;
  /** null = any. */
  readonly tunnelDevice: readonly [number | null, number | null];
  readonly canonicalizePermittedCnames: readonly { readonly source: string; readonly target: string }[];
  readonly controlPersist: boolean;
  readonly controlPersistSeconds: number;
  /** null = none. */
  readonly escapeChar: string | null;
  readonly ipQos: readonly [number, number];
  readonly rekeyLimit: { readonly bytes: number; readonly seconds: number };
  readonly streamLocalBindMask: number;
  readonly syslogFacility: LogFacility;
  readonly proxyCommand: string | null;
  /** ProxyJump as given (null = none). */
  readonly proxyJump: { readonly extra: string | null; readonly user: string | null; readonly host: string; readonly port: number } | null;
}

/** A loaded ssh configuration. */
export interface SshConfig extends SshSettings {
  readonly notices: readonly ConfigNotice[];
  /** Whether a `Match final` asked for (and got) the final pass. */
  readonly finalPass: boolean;
}

// ---------------------------------------------------------------------------------------------------------------


/** Everything one parse of the config files shares. */
interface ParseCtx {
  readonly opts: LoadSshOptions;
  readonly diag: Diagnostics;
  readonly raw: Raw;
  readonly final: boolean;
  wantFinal: boolean;
  readonly sshDir: string;
}

/** The state of one line; what a row's `parse` sees. */
export class SshLineParser extends LineParser {
  constructor(state: LineState, readonly userConfig: boolean) {
    super(state);
  }
  /** readconf.c refuses a bad value with error() + goto out. */
  reject(msg: string): never {
    return this.bad(msg);
  }
  need(): string {
    const a = this.next();
    if (a === undefined || a === "") return this.bad("Missing argument.");
    return a;
  }
}

/** One ssh_config keyword. */
export interface SshKeyword {
  /** ssh_config(5) spelling; `ssh -G` prints it lowercased. */
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly status: "active" | "deprecated" | "ignored" | "unsupported";
  /**
   * How repeated lines combine: "first" (the first obtained value is used), "append" (IdentityFile, CertificateFile,
   * LocalForward, RemoteForward, DynamicForward, SendEnv accumulate), "last" (StreamLocalBindMask, as readconf.c).
   */
  readonly multi: "first" | "append" | "last";
  readonly parse?: (p: SshLineParser, ctx: ParseCtx) => void;
}

const SSH_APPEND = new Set(["IdentityFile", "CertificateFile", "LocalForward", "RemoteForward", "DynamicForward", "SendEnv"]);
const sshMulti = (name: string): SshKeyword["multi"] => (SSH_APPEND.has(name) ? "append" : name === "StreamLocalBindMask" ? "last" : "first");

const FLAG = [["true", "true"], ["false", "false"], ["yes", "true"], ["no", "false"]] as const;
const TABLES = {
  flag: FLAG,
  yesnoask: [...FLAG, ["ask", "ask"]],
  strict: [...FLAG, ["ask", "ask"], ["off", "false"], ["accept-new", "accept-new"]],
  addressFamily: [["inet", "inet"], ["inet6", "inet6"], ["any", "any"]],
  controlMaster: [...FLAG, ["auto", "auto"], ["ask", "ask"], ["autoask", "autoask"]],
  // SSH_TUNMODE_DEFAULT is SSH_TUNMODE_POINTOPOINT, so yes/true print as point-to-point
  tunnel: [["ethernet", "ethernet"], ["point-to-point", "point-to-point"], ["true", "point-to-point"], ["yes", "point-to-point"], ["false", "false"], ["no", "false"]],
  requestTty: [...FLAG, ["force", "force"], ["auto", "auto"]],
  sessionType: [["none", "none"], ["subsystem", "subsystem"], ["default", "default"]],
  canonicalize: [...FLAG, ["always", "always"]],
  pubkey: [...FLAG, ["unbound", "unbound"], ["host-bound", "host-bound"]],
  compression: [["yes", "true"], ["no", "false"]],
  warnWeak: [...FLAG, ["no-pq-kex", "false"]],
} as const;

function multistate(table: readonly (readonly [string, string])[], asBool = false): (p: SshLineParser) => void {
  return (p) => {
    const a = p.next();
    const row = a === undefined ? undefined : table.find(([k]) => k.toLowerCase() === a.toLowerCase());
    if (row === undefined) return p.bad(`unsupported option "${a ?? "(null)"}".`);
    p.first(p.canonical, asBool ? row[1] === "true" : row[1]);
  };
}
const flag = multistate(TABLES.flag, true);

function parseTime(p: SshLineParser, key: string = p.canonical): void {
  const a = p.next();
  if (a === undefined || a === "") return p.bad("missing time value.");
  // readconf.c stores "none" as -1, which is also "unset": a later line still sets the value
  if (a === "none") return;
  const v = convtime(a);
  if (v === -1) return p.bad("invalid time value.");
  p.first(key, v);
}

function parseInt(p: SshLineParser): void {
  const { value, err } = atoiErr(p.next());
  if (err !== null) return p.bad(`integer value ${err}.`);
  p.first(p.canonical, value);
}

function parseString(p: SshLineParser): void {
  p.first(p.canonical, p.need());
}

function parseCommand(p: SshLineParser): void {
  const s = p.rest.replace(/^[ \t\r\n=]+/, "");
  p.first(p.canonical, s);
  p.consume();
}

function parseAlgos(kind: "cipher" | "mac" | "kex"): (p: SshLineParser) => void {
  const all = kind === "cipher" ? ALL_CIPHERS : kind === "mac" ? ALL_MACS : ALL_KEX;
  const bad = kind === "cipher" ? "Bad SSH2 cipher spec" : kind === "mac" ? "Bad SSH2 MAC spec" : "Bad SSH2 KexAlgorithms";
  return (p) => {
    const a = p.need();
    if (!a.startsWith("-") && !namesValid(/^[+^]/.test(a) ? a.slice(1) : a, all)) return p.bad(`${bad} '${a}'.`);
    p.first(p.canonical, a);
  };
}

function parsePubkeyAlgos(caOnly: boolean): (p: SshLineParser) => void {
  return (p) => {
    const a = p.need();
    if (!a.startsWith("-") && !keyNamesValid(/^[+^]/.test(a) ? a.slice(1) : a, caOnly)) return p.bad(`Bad key types '${a}'.`);
    p.first(p.canonical, a);
  };
}

/** parse_char_array / the first-wins string arrays with "none" alone. */
function parseArray(opts: { empty?: boolean; max?: number } = {}): (p: SshLineParser) => void {
  return (p) => {
    const found = p.raw[p.canonical] === undefined;
    const strs = noneAloneArgs(p, { allowEmpty: opts.empty === false });
    if (opts.max !== undefined && strs.length > opts.max) return p.bad(`too many ${p.keyword} entries.`);
    if (found && p.active && strs.length > 0) p.raw[p.canonical] = strs;
  };
}

/** readconf.c parse_fwd_field. */
function fwdFields(spec: string): { arg: string; isPath: boolean }[] | null {
  const out: { arg: string; isPath: boolean }[] = [];
  let s = spec.replace(/^\s+/, "");
  while (s !== "" && out.length < 4) {
    if (s.startsWith("[")) {
      const close = s.indexOf("]");
      if (close < 0 || (s[close + 1] !== ":" && s[close + 1] !== undefined)) return null;
      const arg = s.slice(1, close);
      out.push({ arg, isPath: arg.includes("/") });
      s = s.slice(close + 2);
      if (s === "" && out.length < 4) break;
      continue;
    }
    let arg = "";
    let isPath = false;
    let i = 0;
    let ended = false;
    for (; i < s.length; i++) {
      const c = s[i]!;
      if (c === "\\") {
        if (i + 1 >= s.length) return null;
        arg += s[++i];
        continue;
      }
      if (c === "/") isPath = true;
      if (c === ":") { ended = true; break; }
      arg += c;
    }
    out.push({ arg, isPath });
    s = ended ? s.slice(i + 1) : "";
  }
  if (s !== "") return null;
  return out;
}

/** readconf.c parse_forward; null when malformed. */
export function parseForward(spec: string, dynamic: boolean, remote: boolean): Forward | null {
  const f = fwdFields(spec);
  if (f === null) return null;
  const PSL = -2;
  let fwd: Forward;
  const a = f.map((x) => x.arg), isPath = f.map((x) => x.isPath);
  switch (f.length) {
    case 1:
      fwd = isPath[0] ? { listenHost: null, listenPort: PSL, listenPath: a[0]!, connectHost: "socks", connectPort: 0, connectPath: null }
        : { listenHost: null, listenPort: a2port(a[0]!), listenPath: null, connectHost: "socks", connectPort: 0, connectPath: null };
      break;
    case 2:
      if (isPath[0] && isPath[1]) fwd = { listenHost: null, listenPort: PSL, listenPath: a[0]!, connectHost: null, connectPort: PSL, connectPath: a[1]! };
      else if (isPath[1]) fwd = { listenHost: null, listenPort: a2port(a[0]!), listenPath: null, connectHost: null, connectPort: PSL, connectPath: a[1]! };
      else fwd = { listenHost: a[0]!, listenPort: a2port(a[1]!), listenPath: null, connectHost: "socks", connectPort: 0, connectPath: null };
      break;
    case 3:
      if (isPath[0]) fwd = { listenHost: null, listenPort: PSL, listenPath: a[0]!, connectHost: a[1]!, connectPort: a2port(a[2]!), connectPath: null };
      else if (isPath[2]) fwd = { listenHost: a[0]!, listenPort: a2port(a[1]!), listenPath: null, connectHost: null, connectPort: PSL, connectPath: a[2]! };
      else fwd = { listenHost: null, listenPort: a2port(a[0]!), listenPath: null, connectHost: a[1]!, connectPort: a2port(a[2]!), connectPath: null };
      break;
    case 4:
      fwd = { listenHost: a[0]!, listenPort: a2port(a[1]!), listenPath: null, connectHost: a[2]!, connectPort: a2port(a[3]!), connectPath: null };
      break;
    default:
      return null;
  }
  if (dynamic) {
    if (!(f.length === 1 || f.length === 2)) return null;
  } else {
    if (!(f.length === 3 || f.length === 4) && fwd.connectPath === null && fwd.listenPath === null) return null;
    if (fwd.connectPort <= 0 && fwd.connectPath === null) return null;
  }
  if ((fwd.listenPort < 0 && fwd.listenPath === null) || (!remote && fwd.listenPort === 0)) return null;
  if ((fwd.connectHost?.length ?? 0) >= 1025 || (fwd.listenHost?.length ?? 0) >= 1025) return null;
  if ((fwd.connectPath?.length ?? 0) >= 104 || (fwd.listenPath?.length ?? 0) >= 104) return null;
  return fwd;
}

const sameForward = (a: Forward, b: Forward): boolean =>
  a.listenHost === b.listenHost && a.listenPort === b.listenPort && a.listenPath === b.listenPath &&
  a.connectHost === b.connectHost && a.connectPort === b.connectPort && a.connectPath === b.connectPath;

function parseForwardLine(p: SshLineParser): void {
  const arg = p.need();
  const remote = p.canonical === "RemoteForward";
  let dynamic = p.canonical === "DynamicForward";
  let spec = arg;
  if (!dynamic) {
    const arg2 = p.next();
    if (arg2 === undefined || arg2 === "") {
      if (remote) dynamic = true;
      else return p.bad("Missing target argument.");
    } else spec = `${arg}:${arg2}`;
  }
  const env = (p.raw.__env as Record<string, string | undefined> | undefined) ?? {};
  const expanded = dollarExpand(spec, env);
  const fwd = expanded === null ? null : parseForward(expanded, dynamic, remote);
  if (fwd === null) return p.bad("Bad forwarding specification.");
  if (!p.active) return;
  const key = remote ? "RemoteForward" : "LocalForward";
  const list = (p.raw[key] as Forward[] | undefined) ?? [];
  if (!list.some((x) => sameForward(x, fwd))) list.push(fwd);
  p.raw[key] = list;
}

/** readconf.c parse_jump (syntax of every hop, the first hop kept). */
function parseJump(p: SshLineParser, spec: string): boolean {
  if (spec.toLowerCase() === "none") {
    if (p.active && p.raw.ProxyJump === undefined) p.raw.ProxyJump = "none";
    return true;
  }
  let orig = spec;
  const hash = orig.indexOf("#");
  if (hash >= 0) orig = orig.slice(0, hash);
  orig = orig.replace(/[ \t\r\n]+$/, "");
  const hops = orig.split(",");
  const parsed = hops.map(parseUserHostPort);
  if (parsed.some((h) => h === null)) return false;
  const last = parsed[parsed.length - 1]!;
  if (p.active && p.raw.ProxyCommand === undefined && p.raw.ProxyJump === undefined) {
    p.raw.ProxyJump = { extra: hops.length > 1 ? hops.slice(0, -1).join(",") : null, user: last.user, host: last.host, port: last.port };
    p.raw.ProxyCommand = "none";
  }
  return true;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
function parseUserHostPort(s: string): { user: string | null; host: string; port: number } | null {
  let t = s;
  if (t.startsWith("ssh://")) {
    t = t.slice(6);
    if (t.endsWith("/")) t = t.slice(0, -1);
  }
  let user: string | null = null;
  const at = t.lastIndexOf("@");
  if (at >= 0) {
    user = t.slice(0, at);
    t = t.slice(at + 1);
  }
  let host = t;
  let port = -1;
  if (t.startsWith("[")) {
    const close = t.indexOf("]");
    if (close < 0) return null;
    host = t.slice(1, close);
    const after = t.slice(close + 1);
    if (after !== "") {
      if (!after.startsWith(":")) return null;
      port = a2port(after.slice(1));
      if (port <= 0) return null;
    }
  } else {
    const colon = t.indexOf(":");
    if (colon >= 0 && t.indexOf(":", colon + 1) < 0) {
      host = t.slice(0, colon);
      port = a2port(t.slice(colon + 1));
      if (port <= 0) return null;
    }
  }
  if (host === "") return null;
  return { user, host, port };
}

const row = (name: string, parse: SshKeyword["parse"], aliases?: readonly string[]): SshKeyword =>
  aliases ? { name, parse, aliases, status: "active", multi: sshMulti(name) } : { name, parse, status: "active", multi: sshMulti(name) };
const legacy = (name: string, status: "deprecated" | "ignored" | "unsupported"): SshKeyword => ({ name, status, multi: "first" });

/** Every ssh_config keyword OpenSSH 10.5 knows (readconf.c keywords[] order). */
export const SSH_KEYWORDS: readonly SshKeyword[] = [
  legacy("Protocol", "ignored"),
  ...["Cipher", "FallBackToRsh", "GlobalKnownHostsFile2", "RhostsAuthentication", "UserKnownHostsFile2", "UseRoaming", "UseRsh", "UsePrivilegedPort"].map((n) => legacy(n, "deprecated")),
  ...["AFSTokenPassing", "KerberosAuthentication", "KerberosTGTPassing", "RSAAuthentication", "RhostsRSAAuthentication", "CompressionLevel"].map((n) => legacy(n, "unsupported")),
  // a build without GSSAPI and PKCS#11
  ...["GSSAPIAuthentication", "GSSAPIDelegateCredentials", "SmartcardDevice", "PKCS11Provider"].map((n) => legacy(n, "unsupported")),
  row("ForwardAgent", (p) => {
    const a = p.next();
    if (a === undefined || a === "") return p.bad("missing argument.");
    const l = a.toLowerCase();
    if (["yes", "true", "no", "false"].includes(l)) return p.first("ForwardAgent", l === "yes" || l === "true");
    // readconf.c: a path turns forwarding on (first wins) and sets the socket path (first path wins), separately
    p.first("ForwardAgent", true);
    if (!validAgentPath(p, a)) return;
    p.first("ForwardAgent.path", a);
  }),
  row("ForwardX11", flag),
  row("ForwardX11Trusted", flag),
  row("ForwardX11Timeout", (p) => parseTime(p)),
  row("ExitOnForwardFailure", flag),
  row("XAuthLocation", parseString),
  row("GatewayPorts", flag),
  row("PasswordAuthentication", flag),
  row("KbdInteractiveAuthentication", flag, ["ChallengeResponseAuthentication", "SKeyAuthentication", "TISAuthentication"]),
  row("KbdInteractiveDevices", parseString),
  row("PubkeyAuthentication", multistate(TABLES.pubkey), ["DSAAuthentication"]),
  row("HostbasedAuthentication", flag),
  row("IdentityFile", (p) => {
    const a = p.need();
    if (!p.active) return;
    const list = (p.raw.IdentityFile as { path: string; user: boolean }[] | undefined) ?? [];
    if (list.length >= 100) return p.bad("Too many identity files specified (max 100).");
    if (!list.some((x) => x.path === a && x.user === p.userConfig)) list.push({ path: a, user: p.userConfig });
    p.raw.IdentityFile = list;
  }, ["IdentityFile2"]),
  row("IdentitiesOnly", flag),
  row("CertificateFile", (p) => {
    const a = p.need();
    if (!p.active) return;
    const list = (p.raw.CertificateFile as { path: string; user: boolean }[] | undefined) ?? [];
    if (list.length >= 100) return p.bad("Too many certificate files specified (max 100).");
    if (!list.some((x) => x.path === a && x.user === p.userConfig)) list.push({ path: a, user: p.userConfig });
    p.raw.CertificateFile = list;
  }),
  row("AddKeysToAgent", (p) => {
    const a = p.next();
    const b = p.next();
    const table = [...TABLES.yesnoask, ["confirm", "confirm"]] as const;
    const hit = a === undefined ? undefined : table.find(([k]) => k === a.toLowerCase());
    let value: string | undefined = hit?.[1];
    let life = 0;
    if (value === "confirm" && b !== undefined) {
      life = convtime(b);
      if (life === -1) return p.bad("invalid time value.");
    } else if (value === undefined && b === undefined) {
      life = a === undefined ? -1 : convtime(a);
      if (life === -1) return p.bad("unsupported option");
      value = "true";
    } else if (value === undefined || b !== undefined) return p.bad("unsupported option");
    if (p.active && p.raw.AddKeysToAgent === undefined) {
      p.raw.AddKeysToAgent = value;
      p.raw["AddKeysToAgent.lifespan"] = life;
    }
  }),
  row("IdentityAgent", (p) => {
    const a = p.need();
    if (!validAgentPath(p, a)) return;
    p.first("IdentityAgent", a);
  }),
  row("HostName", parseString),
  row("HostKeyAlias", parseString),
  row("ProxyCommand", (p) => {
    parseCommand(p);
  }),
  row("Port", (p) => {
    const a = p.need();
    const v = a2port(a);
    if (v <= 0) return p.bad(`Bad port '${a}'.`);
    p.first("Port", v);
  }),
  row("Ciphers", parseAlgos("cipher")),
  row("MACs", parseAlgos("mac")),
  row("RemoteForward", parseForwardLine),
  row("LocalForward", parseForwardLine),
  row("PermitRemoteOpen", (p) => {
    const found = p.raw.PermitRemoteOpen === undefined;
    const strs: string[] = [];
    for (let a = p.next(); a !== undefined; a = p.next()) {
      const l = a.toLowerCase();
      if (l === "none" || l === "any") {
        if (strs.length > 0 || p.remaining > 0) return p.bad(`keyword ${p.keyword} "${a}" argument must appear alone.`);
      } else {
        const colon = a.startsWith("[") ? a.indexOf("]:") + 1 : a.indexOf(":");
        if (colon <= 0) return p.fatal("missing host in permitremoteopen");
        const port = a.slice(colon + 1);
        if (port !== "*" && a2port(port) <= 0) return p.fatal("bad port number in permitremoteopen");
      }
      strs.push(a);
    }
    if (strs.length === 0) return p.fatal("missing permitremoteopen specification");
    if (found && p.active) p.raw.PermitRemoteOpen = strs;
  }),
  row("User", parseString),
  row("Tag", parseString),
  row("EscapeChar", (p) => {
    const a = p.need();
    let v: string | null;
    if (a === "none") v = null;
    else if (a.length === 1) v = a;
    else if (a.length === 2 && a[0] === "^" && a.charCodeAt(1) >= 64 && a.charCodeAt(1) < 128) v = String.fromCharCode(a.charCodeAt(1) & 31);
    else return p.bad("Bad escape character.");
    p.first("EscapeChar", v);
  }),
  row("GlobalKnownHostsFile", parseArray({ max: 16 })),
  row("UserKnownHostsFile", parseArray({ max: 16 })),
  row("ConnectionAttempts", parseInt),
  row("BatchMode", flag),
  row("CheckHostIP", flag),
  row("StrictHostKeyChecking", multistate(TABLES.strict)),
  row("Compression", multistate(TABLES.compression, true)),
  row("TCPKeepAlive", flag, ["KeepAlive"]),
  row("NumberOfPasswordPrompts", parseInt),
  row("SyslogFacility", parseSyslogFacilityLine),
  row("LogLevel", parseLogLevelLine),
  row("LogVerbose", (p) => {
    const strs = noneAloneArgs(p);
    if (p.active && p.raw.LogVerbose === undefined && strs.length > 0) p.raw.LogVerbose = strs;
  }),
  row("DynamicForward", parseForwardLine),
  row("PreferredAuthentications", parseString),
  row("HostKeyAlgorithms", parsePubkeyAlgos(false)),
  row("CASignatureAlgorithms", parsePubkeyAlgos(true)),
  row("BindAddress", parseString),
  row("BindInterface", parseString),
  row("ClearAllForwardings", flag),
  row("EnableSSHKeysign", flag),
  row("VerifyHostKeyDNS", multistate(TABLES.yesnoask)),
  row("NoHostAuthenticationForLocalhost", flag),
  row("RekeyLimit", (p) => parseRekeyLimit(p, p.need(), { badNumber: "Bad number", tooSmall: "RekeyLimit too small" }, (key) => parseTime(p, key))),
  row("ConnectTimeout", (p) => parseTime(p)),
  row("AddressFamily", multistate(TABLES.addressFamily)),
  row("ServerAliveInterval", (p) => parseTime(p)),
  row("ServerAliveCountMax", parseInt),
  row("SendEnv", (p) => {
    let found = false;
    for (let a = p.next(); a !== undefined; a = p.next()) {
      if (a === "" || a.includes("=")) return p.bad("Invalid environment name.");
      found = true;
      if (!p.active) continue;
      const list = (p.raw.SendEnv as string[] | undefined) ?? [];
      if (a.startsWith("-")) {
        p.raw.SendEnv = list.filter((e) => !matchPattern(e, a.slice(1)));
        continue;
      }
      list.push(a);
      p.raw.SendEnv = list;
    }
    if (!found) return p.fatal(`no ${p.keyword} specified`);
  }),
  row("SetEnv", (p) => parseSetEnv(p, "Invalid SetEnv.")),
  row("ControlPath", parseString),
  row("ControlMaster", multistate(TABLES.controlMaster)),
  row("ControlPersist", (p) => {
    const a = p.next();
    if (a === undefined || a === "") return p.bad("Missing ControlPersist argument.");
    let on: boolean, secs = 0;
    if (a === "no" || a === "false") on = false;
    else if (a === "yes" || a === "true") on = true;
    else if ((secs = convtime(a)) >= 0) on = true;
    else return p.bad("Bad ControlPersist argument.");
    if (p.active && p.raw.ControlPersist === undefined) {
      p.raw.ControlPersist = on;
      p.raw["ControlPersist.seconds"] = secs;
    }
  }),
  row("HashKnownHosts", flag),
  row("Tunnel", multistate(TABLES.tunnel)),
  row("TunnelDevice", (p) => {
    const a = p.need();
    const t = parseTun(a);
    if (t === null) return p.bad("Bad tun device.");
    p.first("TunnelDevice", t);
  }),
  row("LocalCommand", parseCommand),
  row("PermitLocalCommand", flag),
  row("RemoteCommand", parseCommand),
  row("VisualHostKey", flag),
  row("KexAlgorithms", parseAlgos("kex")),
  row("IPQoS", (p) => p.first("IPQoS", parseIpqosPair(p, p.next(), (v) => p.bad(`Bad IPQoS value: ${v}`)))),
  row("RequestTTY", multistate(TABLES.requestTty)),
  row("SessionType", multistate(TABLES.sessionType)),
  row("StdinNull", flag),
  row("ForkAfterAuthentication", flag),
  row("ProxyUseFdpass", flag),
  row("CanonicalDomains", (p) => {
    const found = p.raw.CanonicalDomains === undefined;
    const strs: string[] = [];
    for (let a = p.next(); a !== undefined; a = p.next()) {
      if (a.toLowerCase() === "none" && (strs.length > 0 || p.remaining > 0)) return p.bad(`keyword ${p.keyword} "none" argument must appear alone.`);
      const err = domainError(a);
      if (err !== null) return p.bad(err);
      strs.push(a);
    }
    if (strs.length === 0) return p.fatal(`no ${p.keyword} specified`);
    if (found && p.active) p.raw.CanonicalDomains = strs;
  }),
  row("CanonicalizeFallbackLocal", flag),
  row("CanonicalizeHostname", multistate(TABLES.canonicalize)),
  row("CanonicalizeMaxDots", parseInt),
  row("CanonicalizePermittedCNAMEs", (p) => {
    const found = p.raw.CanonicalizePermittedCNAMEs === undefined;
    const names: { source: string; target: string }[] = [];
    for (let a = p.next(); a !== undefined; a = p.next()) {
      if (a.toLowerCase() === "none") {
        if (names.length > 0 || p.remaining > 0) return p.bad(`keyword ${p.keyword} "none" argument must appear alone.`);
        names.push({ source: a, target: "" });
      } else if (a === "*") names.push({ source: a, target: a });
      else {
        const l = a.toLowerCase();
        const c = l.indexOf(":");
        if (c < 0 || c === l.length - 1) return p.bad(`Invalid permitted CNAME "${l}"`);
        names.push({ source: l.slice(0, c), target: l.slice(c + 1) });
      }
    }
    if (names.length === 0) return p.fatal(`no ${p.keyword} specified`);
    if (found && p.active) p.raw.CanonicalizePermittedCNAMEs = names;
  }),
  row("StreamLocalBindMask", (p) => {
    const a = p.next();
    if (a === undefined || a === "") return p.bad("Missing StreamLocalBindMask argument.");
    const m = /^\s*[+-]?[0-7]+/.exec(a);
    const v = m === null ? -1 : Number.parseInt(m[0], 8);
    if (m === null || v < 0 || v > 0o777) return p.bad("Bad mask.");
    p.raw.StreamLocalBindMask = v; // readconf.c: neither activep nor first-wins checked
  }),
  row("StreamLocalBindUnlink", flag),
  row("RevokedHostKeys", (p) => parseNoneAloneList(p)),
  row("FingerprintHash", (p) => {
    const a = p.need();
    // digest.c ssh_digest_alg_by_name: any digest OpenSSH knows, printed by its upper-case name
    const v = ["md5", "sha1", "sha256", "sha384", "sha512"].includes(a.toLowerCase()) ? a.toUpperCase() : null;
    if (v === null) return p.bad(`Invalid hash algorithm "${a}".`);
    p.first("FingerprintHash", v);
  }),
  row("UpdateHostKeys", multistate(TABLES.yesnoask)),
  row("HostbasedAcceptedAlgorithms", parsePubkeyAlgos(false), ["HostbasedKeyTypes"]),
  row("PubkeyAcceptedAlgorithms", parsePubkeyAlgos(false), ["PubkeyAcceptedKeyTypes"]),
  row("IgnoreUnknown", parseString),
  row("ProxyJump", (p) => {
    const s = p.rest.replace(/^[ \t\r\n=]+/, "");
    if (!parseJump(p, s)) return p.bad(`Invalid ProxyJump "${s}"`);
    p.consume();
  }),
  row("SecurityKeyProvider", parseString),
  row("KnownHostsCommand", parseCommand),
  row("RequiredRSASize", parseInt),
  row("EnableEscapeCommandline", flag),
  row("ObscureKeystrokeTiming", (p) => {
    let value = -1;
    for (let a = p.next(); a !== undefined; a = p.next()) {
      if (value !== -1) return p.bad("invalid arguments");
      if (a === "yes" || a === "true") value = 20;
      else if (a === "no" || a === "false") value = 0;
      else if (a.startsWith("interval:")) {
        const { value: v, err } = atoiErr(a.slice(9));
        if (err !== null) return p.bad(`integer value ${err}.`);
        if (v <= 0 || v > 1000) return p.bad("value out of range.");
        value = v;
      } else return p.bad(`unsupported argument "${a}"`);
    }
    if (value === -1) return p.bad("missing argument");
    p.first("ObscureKeystrokeTiming", value);
  }),
  row("ChannelTimeout", parseChannelTimeout),
  row("VersionAddendum", (p) => parseVersionAddendum(p, true)),
  row("RefuseConnection", (p) => {
    const a = p.need();
    if (p.active) return p.fatal(`RefuseConnection: ${a}`);
  }),
  row("WarnWeakCrypto", multistate(TABLES.warnWeak, true)),
];

function validAgentPath(p: SshLineParser, a: string): boolean {
  if (/\$\{/.test(a) && !/^([^$]|\$(?!\{)|\$\{[A-Za-z0-9_]+\})*$/.test(a)) {
    p.bad(`Invalid environment expansion ${a}.`);
    return false;
  }
  if (a.startsWith("$") && a[1] !== "{" && !/^[A-Za-z0-9_]+$/.test(a.slice(1))) {
    p.bad(`Invalid environment name ${a}.`);
    return false;
  }
  return true;
}

/** misc.c a2tun: `local[:remote]`, each a number or "any". */
function parseTun(s: string): [number | null, number | null] | null {
  const one = (t: string): number | null | undefined => (t === "any" ? null : /^\d+$/.test(t) && Number(t) <= 0x7fffffff - 2 ? Number(t) : undefined);
  const [a, b] = s.split(":", 2) as [string, string | undefined];
  const l = one(a);
  if (l === undefined) return null;
  if (b === undefined) return [l, null];
  const r = one(b);
  if (r === undefined) return null;
  return [l, r];
}

/** misc.c valid_domain: the error text, or null. */
function domainError(d: string): string | null {
  if (d.length === 0) return "empty domain name";
  if (!/^[A-Za-z0-9]/.test(d)) return `domain name "${d}" starts with invalid character`;
  for (const c of d) if (!/[A-Za-z0-9.-]/.test(c)) return `domain name "${d}" contains invalid characters`;
  if (d.includes("..")) return `domain name "${d}" contains consecutive separators`;
  if (d.endsWith(".")) return `domain name "${d}" ends with separator`;
  return null;
}

const BY_NAME: ReadonlyMap<string, SshKeyword> = new Map(
  SSH_KEYWORDS.flatMap((k) => [k.name, ...(k.aliases ?? [])].map((n) => [n.toLowerCase(), k] as const)),
);

/** The row for a keyword as written (case-insensitive, aliases included). */
export function sshKeyword(name: string): SshKeyword | undefined {
  return BY_NAME.get(name.toLowerCase());
}

// ---------------------------------------------------------------------------------------------------------------
// Files, Host, Match, Include

interface FileFlags {
  readonly userConfig: boolean;
  readonly neverMatch: boolean;
}

/** The host name Match/Host/tokens see before the final pass (readconf.c: HostName with %h expanded). */
function currentHost(ctx: ParseCtx): string {
  if (ctx.final) return (ctx.raw.__finalHost as string | undefined) ?? ctx.opts.host;
  const hn = ctx.raw.HostName as string | undefined;
  if (hn !== undefined) return percentExpand(hn, { h: ctx.opts.host }); // ssh.c: only %h (and %%); others are fatal
  return ctx.opts.host;
}

/** The %-token values (DEFAULT_CLIENT_PERCENT_EXPAND_ARGS), computed from what is known at this point. */
export function sshTokens(input: { local: SshLocalContext; host: string; hostArg: string; port: number; user: string; hostKeyAlias: string | null; jumpHost: string }): Record<string, string> {
  const l = input.local;
  const portstr = String(input.port);
  const conn = createHash("sha1").update(l.hostname + input.host + portstr + input.user + input.jumpHost).digest("hex");
  return {
    L: l.hostname.split(".")[0]!, i: String(l.uid), k: input.hostKeyAlias ?? input.hostArg, l: l.hostname, n: input.hostArg,
    p: portstr, d: l.home, h: input.host, u: l.user, j: input.jumpHost, C: conn, r: input.user,
  };
}

function matchTokens(ctx: ParseCtx): Record<string, string> {
  const host = currentHost(ctx);
  const jump = ctx.raw.ProxyJump;
  return sshTokens({
    local: ctx.opts.local, host, hostArg: ctx.opts.host,
    port: (ctx.raw.Port as number | undefined) ?? 22,
    user: (ctx.raw.User as string | undefined) ?? ctx.opts.local.user,
    hostKeyAlias: (ctx.raw.HostKeyAlias as string | undefined) ?? host,
    jumpHost: typeof jump === "object" && jump !== null ? (jump as { host: string }).host : "",
  });
}

function readFile(path: string, ctx: ParseCtx, flags: FileFlags, active: { value: boolean }, depth: number, checkPerm = false): boolean {
  if (depth > MAX_INCLUDE_DEPTH) ctx.diag.fatal(TOO_MANY_INCLUDES);
  const text = ctx.opts.fs.readFile(path);
  if (text === null) return false;
  if (checkPerm) {
    // readconf.c SSHCONF_CHECKPERM: owned by root or the user, not writable by group or others
    const st = ctx.opts.fs.owner?.(path);
    if (st && ((st.uid !== 0 && st.uid !== ctx.opts.local.uid) || (st.mode & 0o022) !== 0)) ctx.diag.fatal(`Bad owner or permissions on ${path}`);
  }
  let bad = 0;
  for (const l of textLines(path, text, false)) if (!processLine(l.text, path, l.line, ctx, flags, active, false, depth)) bad++;
  if (bad > 0) ctx.diag.fatal(`${path}: terminating, ${bad} bad configuration options`);
  return true;
}

/** readconf.c process_config_line_depth; false = a counted bad option. */
function processLine(text: string, file: string, line: number, ctx: ParseCtx, flags: FileFlags, active: { value: boolean }, cmdline: boolean, depth: number): boolean {
  const s = splitLine(text);
  if (s.kind === "empty") return true;
  const lower = "keyword" in s ? s.keyword.toLowerCase() : "";
  if (s.kind === "noarg") {
    ctx.diag.error(`${file} line ${line}: no argument after keyword "${lower}"`);
    return false;
  }
  const isHost = lower === "host", isMatch = lower === "match", isInclude = lower === "include";
  const kw = sshKeyword(lower);
  let ignoredUnknown = false;
  if (kw === undefined && !isHost && !isMatch && !isInclude) {
    const ign = ctx.raw.IgnoreUnknown as string | undefined;
    if (ign !== undefined && matchPatternList(lower, ign, true) === 1) ignoredUnknown = true;
    else ctx.diag.error(`${file}: line ${line}: Bad configuration option: ${lower}`);
  }
  if (s.kind === "badquotes") {
    ctx.diag.error(`${file} line ${line}: invalid quotes`);
    return false;
  }
  if (ignoredUnknown) {
    ctx.diag.notice("DEBUG1", `${file} line ${line}: Ignored unknown option "${lower}"`);
    return true;
  }
  if (kw === undefined && !isHost && !isMatch && !isInclude) return false;
  const isActive = cmdline || active.value;
  const rest = s.rest.replace(/^[ \t\r\n]+/, "");
  const p = new SshLineParser({ keyword: lower, canonical: kw?.name ?? lower, file, line, args: s.args, rest, active: isActive, raw: ctx.raw, diag: ctx.diag }, flags.userConfig);
  return p.settle(() => {
    if (isHost) {
      if (cmdline) return p.diag.error("Host directive not supported as a command-line option"), false;
      active.value = false;
      for (let a = p.next(); a !== undefined; a = p.next()) {
        if (a === "") return p.bad(`keyword ${lower} empty argument`);
        if (flags.neverMatch) { p.consume(); break; }
        const neg = a.startsWith("!");
        if (matchPattern(currentHostForHost(ctx), neg ? a.slice(1) : a)) {
          if (neg) {
            active.value = false;
            p.consume();
            break;
          }
          active.value = true;
        }
      }
      return true;
    }
    if (isMatch) {
      if (cmdline) return p.diag.error("Match directive not supported as a command-line option"), false;
      const v = matchLine(p, ctx, flags.neverMatch);
      if (v < 0) return p.bad("Bad Match condition");
      active.value = flags.neverMatch ? false : v === 1;
      return true;
    }
    if (isInclude) {
      if (cmdline) return p.diag.error("Include directive not supported as a command-line option"), false;
      let failed = false;
      for (let a = p.next(); a !== undefined; a = p.next()) {
        if (a === "") return p.bad(`keyword ${lower} empty argument`);
        let path: string;
        const expanded = expandTokens(a, matchTokens(ctx), ctx.opts.local.env ?? {}, "percent_dollar_expand");
        if ("missing" in expanded) {
          ctx.diag.error(`vdollar_percent_expand: env var \${${expanded.missing}} has no value`);
          ctx.diag.error(`${file} line ${line}: Unable to expand user config file '${a}'`);
          continue;
        }
        path = expanded.value;
        if (path.startsWith("~") && !flags.userConfig) return p.bad(`bad include path ${path}.`);
        if (!path.startsWith("/") && !path.startsWith("~")) path = flags.userConfig ? `~/.ssh/${path}` : `${ctx.sshDir}/${path}`;
        const pattern = tildeExpand(path, ctx.opts.local.home) ?? path;
        const matches = globPaths(pattern, ctx.opts.fs);
        const outer = active.value;
        for (const f of matches) {
          const ok = readFile(f, ctx, { userConfig: flags.userConfig, neverMatch: flags.neverMatch || !outer }, active, depth + 1, true);
          active.value = outer;
          if (!ok) failed = true;
        }
      }
      void failed;
      return true;
    }
    if (kw!.status !== "active") {
      if (kw!.status === "deprecated") ctx.diag.notice("DEBUG1", `${file} line ${line}: Deprecated option "${lower}"`);
      else if (kw!.status === "unsupported" && lower.startsWith("gssapi")) {
        // Better than a GSSAPI-less OpenSSH, which errors here on every run: Debian's and Red Hat's stock ssh_config
        // say `GSSAPIAuthentication yes`, and their (GSSAPI-enabled) ssh accepts it silently. We have no GSSAPI, so
        // the method is never offered, exactly as there without Kerberos credentials; said at debug level only.
        ctx.diag.notice("DEBUG1", `${file} line ${line}: Unsupported option "${lower}"`);
      } else if (kw!.status === "unsupported") {
        ctx.diag.error(`${file} line ${line}: Unsupported option "${lower}"`);
        ctx.diag.printed.pop();
        ctx.diag.notice("ERROR", `${file} line ${line}: Unsupported option "${lower}"`);
      }
      return true;
    }
    kw!.parse!(p, ctx);
  });
}

/** Host lines match the name as typed on the first pass, the canonical name on the final one. */
function currentHostForHost(ctx: ParseCtx): string {
  return ctx.final ? ((ctx.raw.__finalHost as string | undefined) ?? ctx.opts.host) : ctx.opts.host;
}

/** readconf.c match_cfg_line: 1, 0, or -1 for a bad line. */
function matchLine(p: SshLineParser, ctx: ParseCtx, neverMatch: boolean): -1 | 0 | 1 {
  let result: 0 | 1 = 1;
  let attributes = 0;
  const host = currentHost(ctx);
  const ruser = (ctx.raw.User as string | undefined) ?? ctx.opts.local.user;
  for (let a = p.next(); a !== undefined; a = p.next()) {
    if (a.startsWith("#")) { p.consume(); break; }
    const oattrib = a;
    const negate = a.startsWith("!");
    let attrib = negate ? a.slice(1) : a;
    const la = attrib.toLowerCase();
    if (la === "all") {
      const arg = p.next();
      if (attributes > 1 || (arg !== undefined && arg !== "" && !arg.startsWith("#"))) {
        ctx.diag.error(`${p.file} line ${p.line}: '${oattrib}' cannot be combined with other Match attributes`);
        return -1;
      }
      if (arg?.startsWith("#")) p.consume();
      if (result === 1) result = negate ? 0 : 1;
      return neverMatch ? 0 : result;
    }
    attributes++;
    if (la === "canonical" || la === "final") {
      if (la === "final" && !negate) ctx.wantFinal = true;
      if (ctx.final === negate) result = 0;
      continue;
    }
    let arg: string | undefined;
    const eq = /^(host|originalhost|user|localuser|localnetwork|version|tagged|command|exec)=/i.exec(attrib);
    if (eq !== null) {
      arg = attrib.slice(eq[0].length);
      attrib = eq[1]!;
    } else {
      arg = p.next();
      if (arg === undefined) {
        ctx.diag.error(`${p.file} line ${p.line}: missing argument for Match '${oattrib}'`);
        return -1;
      }
    }
    const l = attrib.toLowerCase();
    if (arg === "" && l !== "tagged" && l !== "command") arg = undefined;
    if (arg === undefined || arg.startsWith("#")) {
      ctx.diag.error(`Missing Match criteria for ${attrib}`);
      return -1;
    }
    let r: boolean;
    switch (l) {
      case "host": r = matchHostname(host, arg) === 1; break;
      case "originalhost": r = matchHostname(ctx.opts.host, arg) === 1; break;
      case "user": r = matchPatternList(ruser, arg) === 1; break;
      case "localuser": r = matchPatternList(ctx.opts.local.user, arg) === 1; break;
      case "localnetwork":
        if (addrMatchCidrList(null, arg) === -1) return -1;
        r = ctx.opts.localNetwork?.(arg) ?? false;
        break;
      case "version": r = matchPatternList(SSHBOX_RELEASE, arg) === 1; break;
      case "tagged": {
        const tag = (ctx.raw.Tag as string | undefined) ?? "";
        r = tag === "" ? arg === "" : matchPatternList(tag, arg) === 1;
        break;
      }
      case "command": {
        const cmd = ctx.opts.command ?? "";
        r = cmd === "" ? arg === "" : matchPatternList(cmd, arg) === 1;
        break;
      }
      case "sessiontype": {
        const st = ctx.raw.SessionType as string | undefined;
        const c = st === "subsystem" ? "subsystem" : st === "none" ? "none" : (ctx.opts.command ?? "") !== "" ? "exec" : "shell";
        r = matchPatternList(c, arg) === 1;
        break;
      }
      case "exec": {
        const cmd = percentExpand(arg, matchTokens(ctx)); // percent_expand is fatal itself on a bad token
        if (result !== 1) continue; // a prior criterion failed: skip running it
        r = ctx.opts.exec?.(cmd) ?? false;
        break;
      }
      default:
        ctx.diag.error(`Unsupported Match attribute ${attrib}`);
        return -1;
    }
    if (r === negate) result = 0;
  }
  if (attributes === 0) {
    ctx.diag.error("One or more attributes required for Match");
    return -1;
  }
  return result;
}

/** The files read without -F: ~/.ssh/config (user config) then /etc/ssh/ssh_config. */
export function defaultSshConfigFiles(home: string, sshDir = "/etc/ssh"): readonly string[] {
  return [`${home}/.ssh/config`, `${sshDir}/ssh_config`];
}

function parseAll(opts: LoadSshOptions, raw: Raw, diag: Diagnostics, final: boolean): ParseCtx {
  const ctx: ParseCtx = { opts, diag, raw, final, wantFinal: false, sshDir: opts.sshDir ?? "/etc/ssh" };
  if (!final) {
    for (const o of opts.overrides ?? []) {
      // ssh.c: a bad -o line exits 255 after its error() lines
      if (!processLine(o, "command-line", 0, ctx, { userConfig: true, neverMatch: false }, { value: true }, true, 0)) diag.abort(255);
    }
  }
  if (opts.configFile !== undefined) {
    if (opts.configFile.toLowerCase() !== "none" && !readFile(opts.configFile, ctx, { userConfig: true, neverMatch: false }, { value: true }, 0)) {
      diag.fatal(`Can't open user config file ${opts.configFile}: No such file or directory`);
    }
  } else {
    const [user, system] = defaultSshConfigFiles(opts.local.home, ctx.sshDir);
    readFile(user!, ctx, { userConfig: true, neverMatch: false }, { value: true }, 0, true);
    readFile(system!, ctx, { userConfig: false, neverMatch: false }, { value: true }, 0);
  }
  return ctx;
}

/**
 * ssh's configuration for one destination: -o lines, then -F or ~/.ssh/config and /etc/ssh/ssh_config, first value
 * wins; a second (final) pass when `Match final` or CanonicalizeHostname asks for it; defaults filled and the
 * keywords ssh expands before `-G` expanded. Throws ConfigError with OpenSSH's lines.
 */
export function loadSshConfig(opts: LoadSshOptions): SshConfig {
  const diag = new Diagnostics();
  const raw: Raw = { __env: opts.local.env ?? {} };
  if (opts.user !== undefined) raw.User = opts.user;
  if (opts.port !== undefined) raw.Port = opts.port;
  const first = parseAll(opts, raw, diag, false);
  let host = currentHost(first);
  const isAddr = /^[0-9.]+$/.test(host) || host.includes(":");
  if (!isAddr) host = host.toLowerCase();
  const canon = (raw.CanonicalizeHostname as string | undefined) ?? "false";
  const proxied = noneOrUnset(raw.ProxyCommand) === false || (raw.ProxyJump !== undefined && raw.ProxyJump !== "none");
  if (canon !== "false" && opts.canonicalize !== undefined && (canon === "always" || !proxied)) {
    const got = opts.canonicalize(host, {
      domains: (raw.CanonicalDomains as string[] | undefined) ?? [],
      maxDots: (raw.CanonicalizeMaxDots as number | undefined) ?? 1,
      fallbackLocal: (raw.CanonicalizeFallbackLocal as boolean | undefined) ?? true,
      permittedCnames: (raw.CanonicalizePermittedCNAMEs as { source: string; target: string }[] | undefined) ?? [],
    });
    if (got !== null) host = got;
  }
  const wantFinal = first.wantFinal || canon !== "false";
  if (wantFinal) {
    raw.__finalHost = host;
    raw.HostName = host;
    parseAll(opts, raw, diag, true);
  }
  const settings = finalize(raw, opts, host, diag);
  return { ...settings, notices: diag.notices, finalPass: wantFinal };
}

/** option_clear_or_none for a raw value: true when unset or "none". */
function noneOrUnset(v: unknown): boolean {
  return v === undefined || (typeof v === "string" && v.toLowerCase() === "none");
}

function finalize(raw: Raw, opts: LoadSshOptions, hostIn: string, diag: Diagnostics): SshSettings {
  const b = (k: string, d: boolean): boolean => (raw[k] as boolean | undefined) ?? d;
  const n = (k: string, d: number): number => (raw[k] as number | undefined) ?? d;
  const s = (k: string): string | null => (raw[k] as string | undefined) ?? null;
  const noneNull = (v: string | null): string | null => (v === null || v.toLowerCase() === "none" ? null : v);
  const local = opts.local;
  const host = hostIn;
  const port = n("Port", 0) || 22;
  const userRaw = raw.User as string | undefined;
  const jump = raw.ProxyJump as SshSettings["proxyJump"] | "none" | undefined;
  const proxyJump = jump === undefined || jump === "none" ? null : jump;
  const hostKeyAlias = s("HostKeyAlias")?.toLowerCase() ?? null;
  const baseTokens = (user: string): Record<string, string> =>
    sshTokens({ local, host, hostArg: opts.host, port, user, hostKeyAlias, jumpHost: proxyJump?.host ?? "" });
  // ssh.c: a User from the configuration is expanded without %r and %C (the hash contains the user)
  let user = userRaw ?? local.user;
  if (userRaw !== undefined && opts.user === undefined) {
    const t = baseTokens(local.user);
    delete t.C;
    delete t.r;
    user = expandOrFail(userRaw, t, local.env ?? {}, diag);
  }
  const tokens = baseTokens(user);
  const env = local.env ?? {};
  const expand = (v: string): string => expandOrFail(tildeExpand(v, local.home) ?? v, tokens, env, diag);
  const assemble = (key: string, def: readonly string[], all: readonly string[]): string[] => {
    const v = assembleNames(s(key), def, all);
    if (v === null) return diag.fatal(`${key.toLowerCase()}: invalid format`);
    return v;
  };
  const arr = (k: string): string[] => (raw[k] as string[] | undefined) ?? [];
  const clearNone = (v: string[]): string[] => (v.length === 1 && v[0]!.toLowerCase() === "none" ? [] : v);
  const userHostfiles = raw.UserKnownHostsFile as string[] | undefined;
  const verifyDns = (raw.VerifyHostKeyDNS as SshSettings["verifyHostKeyDns"] | undefined) ?? "false";
  const updateHostKeys = (raw.UpdateHostKeys as SshSettings["updateHostKeys"] | undefined) ??
    (verifyDns === "false" && (userHostfiles === undefined || (userHostfiles.length === 1 && userHostfiles[0] === "~/.ssh/known_hosts")) ? "true" : "false");
  // ssh.c: UpdateHostKeys=ask is dropped with ControlPersist, a remote command, RequestTTY no or a quiet log level
  const askOff = updateHostKeys === "ask" && (
    ((raw.ControlPersist as boolean | undefined) === true && noneNull(s("ControlPath")) !== null) ||
    (opts.command ?? "") !== "" || noneNull(s("RemoteCommand")) !== null || raw.RequestTTY === "false" ||
    ["QUIET", "FATAL", "ERROR"].includes((raw.LogLevel as string | undefined) ?? "INFO"));
  const identity = ((raw.IdentityFile as { path: string }[] | undefined) ?? []).map((x) => x.path);
  const defaultIdentity = ["id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_mldsa44_ed25519"].map((f) => `~/.ssh/${f}`);
  const forwardAgentPath = raw["ForwardAgent.path"] as string | undefined;
  const forwardAgent: boolean | string = forwardAgentPath ?? (raw.ForwardAgent as boolean | undefined) ?? false;
  const cnames = (raw.CanonicalizePermittedCNAMEs as { source: string; target: string }[] | undefined) ?? [];
  const setEnv = arr("SetEnv").map((e) => {
    const eq = e.indexOf("=");
    return `${e.slice(0, eq)}=${expandOrFail(e.slice(eq + 1), tokens, env, diag)}`;
  });
  const expandFwd = (f: Forward): Forward => ({
    ...f,
    listenPath: f.listenPath === null ? null : percentExpand(f.listenPath, tokens),
    connectPath: f.connectPath === null ? null : percentExpand(f.connectPath, tokens),
  });
  const clearAll = b("ClearAllForwardings", false);
  const uhf = clearNone(userHostfiles ?? ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"]);
  const controlPath = noneNull(s("ControlPath"));
  const identityAgent = s("IdentityAgent");
  const remoteCommand = noneNull(s("RemoteCommand"));
  const versionAddendum = s("VersionAddendum");
  return {
    hostArg: opts.host,
    hostname: host,
    user,
    port,
    addressFamily: (raw.AddressFamily as SshSettings["addressFamily"] | undefined) ?? "any",
    batchMode: b("BatchMode", false),
    canonicalizeFallbackLocal: b("CanonicalizeFallbackLocal", true),
    canonicalizeHostname: (raw.CanonicalizeHostname as SshSettings["canonicalizeHostname"] | undefined) ?? "false",
    checkHostIp: b("CheckHostIP", false),
    compression: b("Compression", false),
    controlMaster: (raw.ControlMaster as SshSettings["controlMaster"] | undefined) ?? "false",
    enableSshKeysign: b("EnableSSHKeysign", false),
    clearAllForwardings: clearAll,
    exitOnForwardFailure: b("ExitOnForwardFailure", false),
    fingerprintHash: (raw.FingerprintHash as SshSettings["fingerprintHash"] | undefined) ?? "SHA256",
    forwardX11: b("ForwardX11", false),
    forwardX11Trusted: b("ForwardX11Trusted", false),
    gatewayPorts: b("GatewayPorts", false),
    hashKnownHosts: b("HashKnownHosts", false),
    hostbasedAuthentication: b("HostbasedAuthentication", false),
    identitiesOnly: b("IdentitiesOnly", false),
    kbdInteractiveAuthentication: b("KbdInteractiveAuthentication", true),
    noHostAuthenticationForLocalhost: b("NoHostAuthenticationForLocalhost", false),
    passwordAuthentication: b("PasswordAuthentication", true),
    permitLocalCommand: b("PermitLocalCommand", false),
    proxyUseFdpass: proxyJump === null && b("ProxyUseFdpass", false), // ssh.c: never FD passing for ProxyJump
    pubkeyAuthentication: (raw.PubkeyAuthentication as SshSettings["pubkeyAuthentication"] | undefined) ?? "true",
    requestTty: (raw.RequestTTY as SshSettings["requestTty"] | undefined) ?? "auto",
    sessionType: (raw.SessionType as SshSettings["sessionType"] | undefined) ?? "default",
    stdinNull: b("StdinNull", false),
    forkAfterAuthentication: b("ForkAfterAuthentication", false),
    streamLocalBindUnlink: b("StreamLocalBindUnlink", false),
    strictHostKeyChecking: (raw.StrictHostKeyChecking as SshSettings["strictHostKeyChecking"] | undefined) ?? "ask",
    tcpKeepAlive: b("TCPKeepAlive", true),
    tunnel: clearAll ? "false" : (raw.Tunnel as SshSettings["tunnel"] | undefined) ?? "false", // clear_forwardings() resets it
    verifyHostKeyDns: verifyDns,
    visualHostKey: b("VisualHostKey", false),
    updateHostKeys: askOff ? "false" : updateHostKeys,
    enableEscapeCommandline: b("EnableEscapeCommandline", false),
    warnWeakCrypto: b("WarnWeakCrypto", true),
    canonicalizeMaxDots: n("CanonicalizeMaxDots", 1),
    connectionAttempts: n("ConnectionAttempts", 1),
    forwardX11Timeout: n("ForwardX11Timeout", 1200),
    numberOfPasswordPrompts: n("NumberOfPasswordPrompts", 3),
    serverAliveCountMax: n("ServerAliveCountMax", 3),
    serverAliveInterval: n("ServerAliveInterval", 0),
    requiredRsaSize: n("RequiredRSASize", 1024),
    obscureKeystrokeTiming: n("ObscureKeystrokeTiming", 20),
    bindAddress: s("BindAddress"),
    bindInterface: s("BindInterface"),
    ciphers: assemble("Ciphers", DEFAULT_CIPHERS, ALL_CIPHERS),
    controlPath: controlPath === null ? null : expand(controlPath),
    hostKeyAlgorithms: assemble("HostKeyAlgorithms", DEFAULT_PK_ALGORITHMS, ALL_KEY_ALGORITHMS),
    hostKeyAlias,
    hostbasedAcceptedAlgorithms: assemble("HostbasedAcceptedAlgorithms", DEFAULT_PK_ALGORITHMS, ALL_KEY_ALGORITHMS),
    identityAgent: identityAgent === null ? null : expand(identityAgent),
    ignoreUnknown: s("IgnoreUnknown"),
    kbdInteractiveDevices: s("KbdInteractiveDevices"),
    kexAlgorithms: assemble("KexAlgorithms", DEFAULT_KEX_CLIENT, ALL_KEX),
    caSignatureAlgorithms: assemble("CASignatureAlgorithms", DEFAULT_CA_SIGNATURE_ALGORITHMS, ALL_SIG_ALGORITHMS),
    localCommand: noneNull(s("LocalCommand")),
    remoteCommand: remoteCommand === null ? null : percentExpand(remoteCommand, tokens),
    logLevel: (raw.LogLevel as LogLevel | undefined) ?? "INFO",
    macs: assemble("MACs", DEFAULT_MACS, ALL_MACS),
    securityKeyProvider: noneNull(s("SecurityKeyProvider") ?? "internal"),
    preferredAuthentications: s("PreferredAuthentications"),
    pubkeyAcceptedAlgorithms: assemble("PubkeyAcceptedAlgorithms", DEFAULT_PK_ALGORITHMS, ALL_KEY_ALGORITHMS),
    xauthLocation: s("XAuthLocation") ?? "/usr/bin/xauth",
    knownHostsCommand: noneNull(s("KnownHostsCommand")),
    tag: s("Tag"),
    versionAddendum: versionAddendum === null ? null : expandOrFail(versionAddendum, tokens, env, diag),
    localForward: clearAll ? [] : ((raw.LocalForward as Forward[] | undefined) ?? []).map(expandFwd),
    remoteForward: clearAll ? [] : ((raw.RemoteForward as Forward[] | undefined) ?? []).map(expandFwd),
    identityFile: identity.length > 0 ? identity : defaultIdentity,
    canonicalDomains: arr("CanonicalDomains"),
    certificateFile: ((raw.CertificateFile as { path: string }[] | undefined) ?? []).map((x) => x.path),
    globalKnownHostsFile: clearNone((raw.GlobalKnownHostsFile as string[] | undefined) ?? [`${opts.sshDir ?? "/etc/ssh"}/ssh_known_hosts`, `${opts.sshDir ?? "/etc/ssh"}/ssh_known_hosts2`]),
    userKnownHostsFile: uhf.map(expand),
    revokedHostKeys: clearNone(arr("RevokedHostKeys")).map(expand),
    sendEnv: arr("SendEnv"),
    setEnv,
    logVerbose: arr("LogVerbose"),
    channelTimeout: clearNone(arr("ChannelTimeout")),
    permitRemoteOpen: ((v) => (v.length === 1 && v[0]!.toLowerCase() === "any" ? [] : v))(arr("PermitRemoteOpen")),
    addKeysToAgent: (raw.AddKeysToAgent as SshSettings["addKeysToAgent"] | undefined) ?? "false",
    addKeysToAgentLifespan: n("AddKeysToAgent.lifespan", 0),
    forwardAgent: typeof forwardAgent === "string" ? expand(forwardAgent) : forwardAgent,
    connectTimeout: (raw.ConnectTimeout as number | undefined) ?? null,
    tunnelDevice: (raw.TunnelDevice as [number | null, number | null] | undefined) ?? [null, null],
    canonicalizePermittedCnames: cnames.length === 1 && cnames[0]!.source.toLowerCase() === "none" ? [] : cnames,
    controlPersist: b("ControlPersist", false),
    controlPersistSeconds: n("ControlPersist.seconds", 0),
    escapeChar: raw.EscapeChar === undefined ? "~" : (raw.EscapeChar as string | null),
    ipQos: (raw.IPQoS as [number, number] | undefined) ?? [0xb8, 0x00],
    rekeyLimit: { bytes: n("RekeyLimit", 0), seconds: n("RekeyLimit.interval", 0) },
    streamLocalBindMask: n("StreamLocalBindMask", 0o177),
    syslogFacility: (raw.SyslogFacility as LogFacility | undefined) ?? "USER",
    proxyCommand: proxyJump !== null ? null : noneNull(s("ProxyCommand")),
    proxyJump,
  };
}

/** ssh.c default_client_percent_dollar_expand: an unset variable is fatal after OpenSSH's error line. */
function expandOrFail(v: string, tokens: Record<string, string>, env: Readonly<Record<string, string | undefined>>, diag: Diagnostics): string {
  const r = expandTokens(v, tokens, env, "percent_dollar_expand");
  if ("missing" in r) {
    diag.error(`vdollar_percent_expand: env var \${${r.missing}} has no value`);
    return diag.fatal("invalid environment variable expansion");
  }
  return r.value;
}

// ---------------------------------------------------------------------------------------------------------------
// ssh -G, ssh -Q

/** vis(3) with VIS_WHITE for one character, as -G prints EscapeChar: `\^A`, `\040`, `\\`, `\M-x`. */
function visChar(c: string): string {
  const code = c.charCodeAt(0) & 0xff;
  const low = code & 0x7f;
  const meta = code > 127 ? "\\M-" : "";
  if (code === 0x20) return "\\040";
  if (code === 0x5c) return "\\\\";
  if (low < 32) return `${meta || "\\"}^${String.fromCharCode(low + 64)}`;
  if (low === 127) return `${meta || "\\"}^?`;
  return `${meta}${String.fromCharCode(low)}`;
}

function formatForward(kw: string, f: Forward, dynamic: boolean): string {
  const listen = f.listenPort === -2 ? f.listenPath! : f.listenHost === null ? String(f.listenPort) : `[${f.listenHost}]:${f.listenPort}`;
  if (dynamic) return `${kw} ${listen}`;
  const connect = f.connectPort === -2 ? f.connectPath! : f.connectHost === null ? String(f.connectPort) : `[${f.connectHost}]:${f.connectPort}`;
  return `${kw} ${listen} ${connect}`;
}

/** `ssh -G` output (readconf.c dump_client_config): lowercase keywords in OpenSSH's order. */
export function formatSshG(c: SshSettings): string {
  const out: string[] = [];
  const put = (k: string, v: string | number): void => void out.push(`${k} ${v}`);
  const yn = (v: boolean): string => (v ? "yes" : "no");
  const opt = (k: string, v: string | null): void => {
    if (v !== null) put(k, v);
  };
  put("host", c.hostArg);
  put("user", c.user);
  put("hostname", c.hostname);
  put("port", c.port);
  put("addressfamily", c.addressFamily);
  put("batchmode", yn(c.batchMode));
  put("canonicalizefallbacklocal", yn(c.canonicalizeFallbackLocal));
  put("canonicalizehostname", c.canonicalizeHostname);
  put("checkhostip", yn(c.checkHostIp));
  put("compression", yn(c.compression));
  put("controlmaster", c.controlMaster);
  put("enablesshkeysign", yn(c.enableSshKeysign));
  put("clearallforwardings", yn(c.clearAllForwardings));
  put("exitonforwardfailure", yn(c.exitOnForwardFailure));
  put("fingerprinthash", c.fingerprintHash);
  put("forwardx11", yn(c.forwardX11));
  put("forwardx11trusted", yn(c.forwardX11Trusted));
  put("gatewayports", yn(c.gatewayPorts));
  put("hashknownhosts", yn(c.hashKnownHosts));
  put("hostbasedauthentication", yn(c.hostbasedAuthentication));
  put("identitiesonly", yn(c.identitiesOnly));
  put("kbdinteractiveauthentication", yn(c.kbdInteractiveAuthentication));
  put("nohostauthenticationforlocalhost", yn(c.noHostAuthenticationForLocalhost));
  put("passwordauthentication", yn(c.passwordAuthentication));
  put("permitlocalcommand", yn(c.permitLocalCommand));
  put("proxyusefdpass", yn(c.proxyUseFdpass));
  put("pubkeyauthentication", c.pubkeyAuthentication);
  put("requesttty", c.requestTty);
  put("sessiontype", c.sessionType);
  put("stdinnull", yn(c.stdinNull));
  put("forkafterauthentication", yn(c.forkAfterAuthentication));
  put("streamlocalbindunlink", yn(c.streamLocalBindUnlink));
  put("stricthostkeychecking", c.strictHostKeyChecking);
  put("tcpkeepalive", yn(c.tcpKeepAlive));
  put("tunnel", c.tunnel);
  put("verifyhostkeydns", c.verifyHostKeyDns);
  put("visualhostkey", yn(c.visualHostKey));
  put("updatehostkeys", c.updateHostKeys);
  put("enableescapecommandline", yn(c.enableEscapeCommandline));
  put("warnweakcrypto", yn(c.warnWeakCrypto));
  put("canonicalizemaxdots", c.canonicalizeMaxDots);
  put("connectionattempts", c.connectionAttempts);
  put("forwardx11timeout", c.forwardX11Timeout);
  put("numberofpasswordprompts", c.numberOfPasswordPrompts);
  put("serveralivecountmax", c.serverAliveCountMax);
  put("serveraliveinterval", c.serverAliveInterval);
  put("requiredrsasize", c.requiredRsaSize);
  put("obscurekeystroketiming", c.obscureKeystrokeTiming === 0 ? "no" : c.obscureKeystrokeTiming === 20 ? "yes" : c.obscureKeystrokeTiming);
  opt("bindaddress", c.bindAddress);
  opt("bindinterface", c.bindInterface);
  put("ciphers", c.ciphers.join(","));
  opt("controlpath", c.controlPath);
  put("hostkeyalgorithms", c.hostKeyAlgorithms.join(","));
  opt("hostkeyalias", c.hostKeyAlias);
  put("hostbasedacceptedalgorithms", c.hostbasedAcceptedAlgorithms.join(","));
  opt("identityagent", c.identityAgent);
  opt("ignoreunknown", c.ignoreUnknown);
  opt("kbdinteractivedevices", c.kbdInteractiveDevices);
  put("kexalgorithms", c.kexAlgorithms.join(","));
  put("casignaturealgorithms", c.caSignatureAlgorithms.join(","));
  opt("localcommand", c.localCommand);
  opt("remotecommand", c.remoteCommand);
  put("loglevel", logLevelName(c.logLevel));
  put("macs", c.macs.join(","));
  opt("securitykeyprovider", c.securityKeyProvider);
  opt("preferredauthentications", c.preferredAuthentications);
  put("pubkeyacceptedalgorithms", c.pubkeyAcceptedAlgorithms.join(","));
  put("xauthlocation", c.xauthLocation);
  opt("knownhostscommand", c.knownHostsCommand);
  opt("tag", c.tag);
  opt("versionaddendum", c.versionAddendum);
  for (const f of c.localForward) if (f.connectHost === "socks") out.push(formatForward("dynamicforward", f, true));
  for (const f of c.localForward) if (f.connectHost !== "socks") out.push(formatForward("localforward", f, false));
  for (const f of c.remoteForward) out.push(formatForward("remoteforward", f, false));
  for (const f of c.identityFile) put("identityfile", f);
  put("canonicaldomains", c.canonicalDomains.length === 0 ? "none" : c.canonicalDomains.join(" "));
  for (const f of c.certificateFile) put("certificatefile", f);
  put("globalknownhostsfile", c.globalKnownHostsFile.length === 0 ? "none" : c.globalKnownHostsFile.join(" "));
  put("userknownhostsfile", c.userKnownHostsFile.length === 0 ? "none" : c.userKnownHostsFile.join(" "));
  put("revokedhostkeys", c.revokedHostKeys.length === 0 ? "none" : c.revokedHostKeys.join(" "));
  for (const e of c.sendEnv) put("sendenv", e);
  for (const e of c.setEnv) put("setenv", e);
  put("logverbose", c.logVerbose.length === 0 ? "none" : c.logVerbose.join(" "));
  put("channeltimeout", c.channelTimeout.length === 0 ? "none" : c.channelTimeout.join(" "));
  put("permitremoteopen", c.permitRemoteOpen.length === 0 ? "any" : c.permitRemoteOpen.join(" "));
  if (c.addKeysToAgentLifespan <= 0) put("addkeystoagent", c.addKeysToAgent);
  else out.push(`addkeystoagent${c.addKeysToAgent === "confirm" ? " confirm" : ""} ${c.addKeysToAgentLifespan}`);
  put("forwardagent", typeof c.forwardAgent === "string" ? c.forwardAgent : yn(c.forwardAgent));
  put("connecttimeout", c.connectTimeout === null ? "none" : c.connectTimeout);
  put("tunneldevice", `${c.tunnelDevice[0] ?? "any"}:${c.tunnelDevice[1] ?? "any"}`);
  out.push(`canonicalizePermittedcnames ${c.canonicalizePermittedCnames.length === 0 ? "none" : c.canonicalizePermittedCnames.map((x) => `${x.source}:${x.target}`).join(" ")}`);
  put("controlpersist", !c.controlPersist || c.controlPersistSeconds === 0 ? yn(c.controlPersist) : c.controlPersistSeconds);
  put("escapechar", c.escapeChar === null ? "none" : visChar(c.escapeChar));
  put("ipqos", `${iptos2str(c.ipQos[0])} ${iptos2str(c.ipQos[1])}`);
  put("rekeylimit", `${c.rekeyLimit.bytes} ${c.rekeyLimit.seconds}`);
  put("streamlocalbindmask", `0${c.streamLocalBindMask.toString(8)}`);
  put("syslogfacility", c.syslogFacility);
  if (c.proxyJump === null) opt("proxycommand", c.proxyCommand);
  else {
    const j = c.proxyJump;
    const numeric = j.host.includes(":") || /^[0-9.]+$/.test(j.host);
    out.push(`proxyjump ${j.extra === null ? "" : `${j.extra},`}${j.user === null ? "" : `${j.user}@`}${numeric ? `[${j.host}]` : j.host}${j.port <= 0 ? "" : `:${j.port}`}`);
  }
  return `${out.join("\n")}\n`;
}

/**
 * `ssh -Q <what>` (ssh.c, sshkey_alg_list): the lines to print, or null for an unknown query (ssh then dies with
 * `Unsupported query "<what>"`). Short names are case-sensitive, keyword names are not, as in OpenSSH.
 */
export function querySsh(what: string): string[] | null {
  const kw = what.toLowerCase();
  const sigOnly = (n: string): boolean => n.startsWith("rsa-sha2-");
  const keys = (certsOnly: boolean, plainOnly: boolean, withSigOnly: boolean): string[] =>
    [...(certsOnly ? [] : PLAIN_KEY_ALGORITHMS), ...(plainOnly ? [] : CERT_KEY_ALGORITHMS)].filter((n) => withSigOnly || !sigOnly(n));
  if (what === "cipher" || kw === "ciphers") return [...ALL_CIPHERS];
  if (what === "cipher-auth") return [...AUTH_CIPHERS];
  if (what === "mac" || kw === "macs") return [...ALL_MACS];
  if (what === "kex" || kw === "kexalgorithms") return [...ALL_KEX];
  if (what === "key") return keys(false, false, false);
  if (what === "key-cert") return keys(true, false, false);
  if (what === "key-plain") return keys(false, true, false);
  if (what === "key-ca-sign" || kw === "casignaturealgorithms") return keys(false, true, true);
  if (what === "key-sig" || ["pubkeyacceptedkeytypes", "pubkeyacceptedalgorithms", "hostkeyalgorithms", "hostbasedkeytypes", "hostbasedacceptedkeytypes", "hostbasedacceptedalgorithms"].includes(kw)) return keys(false, false, true);
  if (what === "sig") return keys(false, true, true);
  if (what === "protocol-version") return ["2"];
  if (what === "compression") return ["none"];
  if (what === "help") return ["cipher", "cipher-auth", "compression", "kex", "key", "key-cert", "key-plain", "key-sig", "mac", "protocol-version", "sig"];
  return null;
}

const COMMON_TOKENS = ["C", "d", "h", "i", "j", "k", "L", "l", "n", "p", "r", "u"];
/** ssh_config(5) TOKENS: which %-tokens each keyword accepts (beyond %%). */
export const SSH_TOKENS: Readonly<Record<string, readonly string[]>> = {
  CertificateFile: COMMON_TOKENS, ControlPath: COMMON_TOKENS, IdentityAgent: COMMON_TOKENS, IdentityFile: COMMON_TOKENS,
  LocalForward: COMMON_TOKENS, RemoteForward: COMMON_TOKENS, RemoteCommand: COMMON_TOKENS, RevokedHostKeys: COMMON_TOKENS,
  UserKnownHostsFile: COMMON_TOKENS, VersionAddendum: COMMON_TOKENS, MatchExec: COMMON_TOKENS, SetEnv: COMMON_TOKENS,
  KnownHostsCommand: [...COMMON_TOKENS, "f", "H", "I", "K", "t"],
  LocalCommand: [...COMMON_TOKENS, "T"],
  HostName: ["h"],
  ProxyCommand: ["h", "n", "p", "r"],
  ProxyJump: ["h", "n", "p", "r"],
  User: COMMON_TOKENS.filter((t) => t !== "r" && t !== "C"),
};

/** The token values for a loaded configuration (what ssh.c puts in its conn_info), plus any extra (%T, %f, ...). */
export function sshTokensFor(c: SshSettings, local: SshLocalContext, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...sshTokens({ local, host: c.hostname, hostArg: c.hostArg, port: c.port, user: c.user, hostKeyAlias: c.hostKeyAlias, jumpHost: c.proxyJump?.host ?? "" }), ...extra };
}

/**
 * Expands `template` with the tokens `keyword` accepts (ssh_config(5) TOKENS); a token the keyword does not take is
 * an error as in percent_expand. Paths also get `~` expanded when `tilde` is set (IdentityFile, CertificateFile, ...).
 */
export function expandSshTokens(keyword: string, template: string, values: Readonly<Record<string, string>>, opts: { tilde?: string } = {}): string {
  const allowed = SSH_TOKENS[keyword] ?? [];
  const keys: Record<string, string> = {};
  for (const k of allowed) if (values[k] !== undefined) keys[k] = values[k];
  const t = opts.tilde === undefined ? template : tildeExpand(template, opts.tilde) ?? template;
  return percentExpand(t, keys);
}
