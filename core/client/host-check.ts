// ssh's known_hosts policy (sshconnect.c check_host_key): look the server's key up in the user and global files,
// then StrictHostKeyChecking yes/ask/accept-new/no with OpenSSH 9.x's texts, the changed-key warning block and
// HashKnownHosts when a key is added.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  blobType, checkHostKey, fingerprint, formatPublicKeyLine, hashHostname, hostMatches, parseKnownHosts, type FingerprintHash,
  type KnownHosts, type KnownHostsEntry,
} from "../keys/index.ts";
import type { Logger } from "../log.ts";

/** What check_host_key needs from the configuration. */
export interface HostCheckSettings {
  readonly strictHostKeyChecking: "true" | "false" | "ask" | "accept-new";
  readonly userKnownHostsFiles: readonly string[];
  readonly globalKnownHostsFiles: readonly string[];
  readonly hashKnownHosts: boolean;
  readonly fingerprintHash: string;
  readonly batchMode: boolean;
  /** KnownHostsCommand output (already run, exit status 0), read as one more global known_hosts file. */
  readonly commandOutput?: string;
}

/** The outcome: accepted or not, and whether the connection must go on without password-like methods (key changed, StrictHostKeyChecking no). */
export interface HostCheckResult {
  readonly ok: boolean;
  readonly unsafe: boolean;
  /**
   * sshconnect.c hostkey_trusted, narrowed as it narrows it for UpdateHostKeys: the key matched a line of a user
   * known_hosts file, or the user confirmed it at the prompt (not: global files, KnownHostsCommand, accept-new, no).
   */
  readonly trusted?: boolean;
}

/** sshkey_type(): the short type name printed in messages (`ED25519`, `ECDSA`, `RSA`, `ED25519-CERT`). */
export function keyTypeLabel(blob: Uint8Array): string {
  const t = blobType(blob);
  const cert = t.includes("-cert-v01@openssh.com");
  const base = t.replace("-cert-v01@openssh.com", "");
  const label =
    base === "ssh-ed25519" ? "ED25519"
    : base.startsWith("ecdsa-sha2-") ? "ECDSA"
    : base === "ssh-rsa" ? "RSA"
    : base === "ssh-dss" ? "DSA"
    : base.startsWith("sk-ecdsa") ? "ECDSA-SK"
    : base.startsWith("sk-ssh-ed25519") ? "ED25519-SK"
    : base.startsWith("ssh-mldsa44-ed25519") ? "MLDSA44-ED25519"
    : base;
  return cert ? `${label}-CERT` : label;
}

interface LoadedFile {
  readonly path: string;
  readonly kh: KnownHosts;
}

function load(paths: readonly string[], log: Logger): LoadedFile[] {
  const out: LoadedFile[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      log.debug(`load_hostkeys: fopen ${path}: No such file or directory`);
      continue;
    }
    out.push({ path, kh: parseKnownHosts(text) });
  }
  return out;
}

/** fingerprint() in the configured FingerprintHash. */
function fp(blob: Uint8Array, hash: string): string {
  return fingerprint(blob, hash.toLowerCase() as FingerprintHash);
}

/**
 * Checks `blob` for `host` (the known_hosts name: HostKeyAlias, or the host name) on `port`; `ip` is what the prompt
 * shows in parentheses. `confirm` asks the user (null: no answer). `error` and `info` print lines as OpenSSH's error()
 * and logit() do.
 */
export function verifyHostKey(opts: {
  readonly settings: HostCheckSettings;
  readonly host: string;
  readonly port: number;
  readonly ip: string;
  readonly blob: Uint8Array;
  readonly log: Logger;
  readonly confirm: (prompt: string) => string | null;
  /** CheckHostIP: the address as known_hosts names it (`192.0.2.1`, `[192.0.2.1]:2222`); undefined when off. */
  readonly checkIp?: string;
}): HostCheckResult {
  const { settings: s, host, port, blob, log } = opts;
  const type = keyTypeLabel(blob);
  const shown = port === 22 ? host : `[${host}]:${port}`;
  const user = load(s.userKnownHostsFiles, log);
  const system = load(s.globalKnownHostsFiles, log);
  if (s.commandOutput !== undefined) system.push({ path: "(KnownHostsCommand)", kh: parseKnownHosts(s.commandOutput) });
  const all = [...user, ...system];
  let changed: { file: string; entry: KnownHostsEntry } | undefined;
  for (const f of all) {
    const r = checkHostKey(f.kh, host, port, blob);
    if (r.status === "revoked") {
      log.error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
      log.error("@       WARNING: REVOKED HOST KEY DETECTED!               @");
      log.error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
      log.error(`The ${type} host key for ${shown} is marked as revoked.`);
      log.error("This could mean that a stolen key is being used to");
      log.error("impersonate this host.");
      if (s.strictHostKeyChecking !== "false") {
        log.error(`${type} host key for ${shown} was revoked and you have requested strict checking.`);
        return { ok: false, unsafe: false };
      }
      return { ok: true, unsafe: true };
    }
  }
  for (const [n, f] of all.entries()) {
    const r = checkHostKey(f.kh, host, port, blob);
    if (r.status === "ok") {
      const trusted = n < user.length;
      if (!trusted) log.debug3("check_host_key: host key found in GlobalKnownHostsFile; disabling UpdateHostkeys");
      log.debug(`Host '${shown}' is known and matches the ${type} host key.`);
      log.debug(`Found key in ${f.path}:${r.entry!.line}`);
      if (opts.checkIp !== undefined && !all.some((g) => checkHostKey(g.kh, opts.checkIp!, 22, blob).status === "ok")) {
        // sshconnect.c: the address is new; remember it too
        const target = s.userKnownHostsFiles[0];
        if (target !== undefined && addHostKey(target, opts.checkIp, blob, s.hashKnownHosts)) {
          log.info(`Warning: Permanently added the ${type} host key for IP address '${opts.checkIp}' to the list of known hosts.`);
        }
      }
      return { ok: true, unsafe: false, trusted };
    }
    if (r.status === "changed" && changed === undefined) changed = { file: f.path, entry: r.entry! };
  }
  if (changed !== undefined) {
    const print = fp(blob, s.fingerprintHash);
    log.error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
    log.error("@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @");
    log.error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
    log.error("IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!");
    log.error("Someone could be eavesdropping on you right now (man-in-the-middle attack)!");
    log.error("It is also possible that a host key has just been changed.");
    log.error(`The fingerprint for the ${type} key sent by the remote host is\n${print}.`);
    log.error("Please contact your system administrator.");
    const addIn = s.userKnownHostsFiles[0] ?? s.globalKnownHostsFiles[0];
    if (addIn !== undefined) log.error(`Add correct host key in ${addIn} to get rid of this message.`);
    log.error(`Offending ${keyTypeLabel(changed.entry.blob)} key in ${changed.file}:${changed.entry.line}`);
    // Debian's OpenSSH (and upstream since 8.x) adds how to remove the stale line
    log.error("  remove with:");
    log.error(`  ssh-keygen -f "${changed.file}" -R "${shown}"`);
    if (s.strictHostKeyChecking !== "false") {
      log.error(`Host key for ${shown} has changed and you have requested strict checking.`);
      return { ok: false, unsafe: false };
    }
    return { ok: true, unsafe: true };
  }
  // The host is new.
  if (s.strictHostKeyChecking === "true") {
    log.error(`No ${type} host key is known for ${shown} and you have requested strict checking.`);
    return { ok: false, unsafe: false };
  }
  const confirmed = s.strictHostKeyChecking === "ask";
  if (s.strictHostKeyChecking === "ask") {
    if (s.batchMode) return { ok: false, unsafe: false };
    const print = fp(blob, s.fingerprintHash);
    const others = otherNames(all, blob, shown);
    const lines = [`The authenticity of host '${shown} (${opts.ip})' can't be established.`, `${type} key fingerprint is ${print}.`];
    if (others.length === 0) lines.push("This key is not known by any other names.");
    else {
      lines.push("This host key is known by the following other names/addresses:");
      for (const o of others.slice(0, 8)) lines.push(`    ${o}`);
      if (others.length > 8) lines.push(`    (${others.length - 8} additional names omitted)`);
    }
    let prompt = `${lines.join("\n")}\nAre you sure you want to continue connecting (yes/no/[fingerprint])? `;
    for (;;) {
      const answer = opts.confirm(prompt);
      if (answer === null) return { ok: false, unsafe: false };
      const a = answer.trim().toLowerCase();
      if (a === "yes" || answer.trim() === print) break;
      if (a === "no") return { ok: false, unsafe: false };
      prompt = "Please type 'yes', 'no' or the fingerprint: ";
    }
  }
  const target = s.userKnownHostsFiles[0];
  const ipNew = opts.checkIp !== undefined && opts.checkIp !== shown && !all.some((g) => checkHostKey(g.kh, opts.checkIp!, 22, blob).status === "ok");
  // hostfile.c: "host,ip" in one line, or two hashed lines with HashKnownHosts
  const names = ipNew ? (s.hashKnownHosts ? [shown, opts.checkIp!] : [`${shown},${opts.checkIp}`]) : [shown];
  if (target === undefined || !names.every((n) => addHostKey(target, n, blob, s.hashKnownHosts))) {
    log.info(`Failed to add the host to the list of known hosts (${target ?? ""}).`);
  } else {
    log.info(`Warning: Permanently added '${ipNew ? `${shown},${opts.checkIp}` : shown}' (${type}) to the list of known hosts.`);
  }
  return { ok: true, unsafe: false, trusted: confirmed };
}

/** Names other known_hosts lines give this very key (sshconnect.c other_hostkeys_message), as `file:line: name`. */
function otherNames(files: readonly LoadedFile[], blob: Uint8Array, shown: string): string[] {
  const out: string[] = [];
  const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
  for (const f of files) {
    for (const e of f.kh.entries) {
      if (e.marker !== "none" || !same(e.blob, blob)) continue;
      if (hostMatches(e, shown)) continue;
      out.push(`${f.path}:${e.line}: ${e.hashed ? "[hashed name]" : e.hosts}`);
    }
  }
  return out;
}

/** hostfile.c add_host_to_hostfile: appends `name keytype base64` (the name hashed with HashKnownHosts). */
export function addHostKey(path: string, name: string, blob: Uint8Array, hash: boolean): boolean {
  try {
    const dir = dirname(path);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    let prefix = "";
    if (existsSync(path)) {
      const text = readFileSync(path);
      if (text.length > 0 && text[text.length - 1] !== 0x0a) prefix = "\n";
    }
    appendFileSync(path, `${prefix}${hash ? hashHostname(name) : name} ${formatPublicKeyLine(blob)}\n`);
    return true;
  } catch {
    return false;
  }
}

/** Plain key types the known_hosts files hold for `host` (for ordering HostKeyAlgorithms as order_hostkeyalgs does). */
export function knownKeyTypes(paths: readonly string[], host: string, port: number): Set<string> {
  const types = new Set<string>();
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      continue;
    }
    for (const e of parseKnownHosts(text).entries) if (e.marker === "none" && hostMatches(e, host, port)) types.add(e.keyType);
  }
  return types;
}
