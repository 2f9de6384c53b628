// core/config: sshd_config and ssh_config as OpenSSH 10.5 reads them (servconf.c, readconf.c), `sshd -T`, `ssh -G`,
// `ssh -Q`. Errors are ConfigError (core/errors.ts) whose message is every line OpenSSH would print, in order.
import { readFileSync } from "node:fs";
import { homedir, hostname, userInfo } from "node:os";
import { applySshdMatch, loadSshdConfig as loadSshdConfigWith, type ConnectionSpec, type SshdConfig, type SshdEnv } from "./keywords-sshd.ts";
import { loadSshConfig as loadSshConfigWith, type LoadSshOptions, type SshConfig, type SshLocalContext } from "./keywords-ssh.ts";
import { NODE_FS, type ConfigFs } from "./lexer.ts";

export type { ConfigFs, ConfigNotice, SourceLine } from "./lexer.ts";
export { argvSplit, cleanhostname, ConfigExitError, convtime, hpdelim, percentExpand, NODE_FS, MAX_INCLUDE_DEPTH } from "./lexer.ts";
export { addrMatchList, assembleNames, matchHostname, matchPattern, matchPatternList } from "./match.ts";
export {
  ALL_CIPHERS, ALL_KEX, ALL_KEY_ALGORITHMS, ALL_MACS, DEFAULT_CIPHERS, DEFAULT_KEX_CLIENT, DEFAULT_KEX_SERVER, DEFAULT_MACS,
  DEFAULT_PK_ALGORITHMS,
} from "./algorithms.ts";
export type { LogFacility, LogLevel } from "./keywords-common.ts";
export type { ConnectionSpec, ListenAddress, PerSourcePenalties, SshdConfig, SshdEnv, SshdKeyword, SshdSettings, SshdTestFormat, Subsystem } from "./keywords-sshd.ts";
export { expandSshdTokens, formatSshdTest, parseConnectionSpec, SSHD_KEYWORDS, SSHD_TOKENS, sshdDefault, sshdKeyword } from "./keywords-sshd.ts";
export type { Forward, LoadSshOptions, SshConfig, SshKeyword, SshLocalContext, SshSettings } from "./keywords-ssh.ts";
export { defaultSshConfigFiles, expandSshTokens, formatSshG, parseForward, querySsh, SSH_KEYWORDS, SSH_TOKENS, sshKeyword, sshTokens, sshTokensFor } from "./keywords-ssh.ts";

/** The default sshd_config path. */
export const SSHD_CONFIG_PATH = "/etc/ssh/sshd_config";

/** Options of loadSshdConfig; everything but the path has a default. */
export interface SshdLoadOptions {
  /** `sshd -o` lines. */
  readonly overrides?: readonly string[];
  /** `sshd -p` ports (they replace Port lines). */
  readonly ports?: readonly number[];
  readonly fs?: ConfigFs;
  readonly env?: Partial<SshdEnv>;
  /** The config text, when it is not to be read from `path`. */
  readonly text?: string;
}

/** Reads sshd_config (with Includes), applies -o first; Match blocks are checked, not applied (see applyMatch). */
export function loadSshdConfig(path: string = SSHD_CONFIG_PATH, opts: SshdLoadOptions = {}): SshdConfig {
  const fs = opts.fs ?? NODE_FS;
  const env: SshdEnv = {
    cwd: opts.env?.cwd ?? process.cwd(), home: opts.env?.home ?? homedir(), sshDir: opts.env?.sshDir ?? "/etc/ssh",
    resolve: opts.env?.resolve ?? ((name) => hostsFileLookup(name, fs.readFile("/etc/hosts") ?? "")),
  };
  return loadSshdConfigWith(path, {
    fs, env,
    ...(opts.overrides ? { overrides: opts.overrides } : {}),
    ...(opts.ports ? { ports: opts.ports } : {}),
    ...(opts.text !== undefined ? { text: opts.text } : {}),
  });
}

/**
 * A name's addresses from an /etc/hosts text, in file order (what getaddrinfo gives for names listed there); null when
 * the name is not listed. sshd needs no DNS for ListenAddress in the common cases (localhost, the host's own names).
 */
export function hostsFileLookup(name: string, hostsText: string): string[] | null {
  const out: string[] = [];
  const want = name.toLowerCase();
  for (const raw of hostsText.split("\n")) {
    const f = raw.replace(/#.*/, "").trim().split(/[ \t]+/);
    if (f.length >= 2 && f.slice(1).some((n) => n.toLowerCase() === want) && !out.includes(f[0]!)) out.push(f[0]!);
  }
  return out.length === 0 ? null : out;
}

/** The configuration for one connection: the Match blocks that fit `conn` applied on top of the global section. */
export function applyMatch(config: SshdConfig, conn: ConnectionSpec): SshdConfig {
  return applySshdMatch(config, conn);
}

/** getpwuid(3) from /etc/passwd: [name, home] or null. */
function passwdEntry(uid: number): [string, string] | null {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const f = line.split(":");
      if (f.length >= 6 && Number(f[2]) === uid) return [f[0]!, f[5]!];
    }
  } catch {
    // no passwd file: fall through
  }
  return null;
}

/**
 * The groups of `user` as sshd's Match Group sees them (getpwnam + getgrouplist over /etc/passwd and /etc/group);
 * null when the user does not exist. Files are parameters so tests can pass their own.
 */
export function userGroups(user: string, files: { passwd?: string; group?: string } = {}): string[] | null {
  const read = (p: string): string => {
    try {
      return readFileSync(p, "utf8");
    } catch {
      return "";
    }
  };
  const pw = (files.passwd ?? read("/etc/passwd")).split("\n").map((l) => l.split(":")).find((f) => f.length >= 4 && f[0] === user);
  if (pw === undefined) return null;
  const out: string[] = [];
  for (const line of (files.group ?? read("/etc/group")).split("\n")) {
    const f = line.split(":");
    if (f.length < 4) continue;
    if ((f[2] === pw[3] || f[3]!.split(",").includes(user)) && !out.includes(f[0]!)) out.push(f[0]!);
  }
  return out;
}

/** The local context of the running user, from the OS (the user name as getpwuid gives it, as ssh uses). */
export function localContext(): SshLocalContext {
  const u = userInfo();
  // Bun's os.userInfo() can report "unknown" as the name; ssh takes it from the passwd entry of the uid
  const pw = passwdEntry(u.uid);
  const user = pw?.[0] ?? (u.username && u.username !== "unknown" ? u.username : process.env.USER ?? process.env.LOGNAME ?? String(u.uid));
  return { user, uid: u.uid, home: pw?.[1] ?? (u.homedir || homedir()), hostname: hostname(), env: process.env };
}

/** Options of loadSshConfig with defaults: the real file system and the running user. */
export type SshLoadOptions = Omit<LoadSshOptions, "fs" | "local"> & { readonly fs?: ConfigFs; readonly local?: SshLocalContext };

/** ssh's configuration for `host`: -o, then -F (or ~/.ssh/config and /etc/ssh/ssh_config), first value wins. */
export function loadSshConfig(opts: SshLoadOptions): SshConfig {
  return loadSshConfigWith({ ...opts, fs: opts.fs ?? NODE_FS, local: opts.local ?? localContext() });
}

