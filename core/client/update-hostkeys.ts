// UpdateHostKeys (clientloop.c client_input_hostkeys, hostkeys_find, update_known_hosts; hostfile.c
// hostfile_replace_entries; PROTOCOL §2.5): after authentication OpenSSH's sshd lists all its host keys in
// hostkeys-00@openssh.com. ssh compares them with the user's known_hosts lines for this host, has the server prove it
// holds the private half of each new key (hostkeys-prove-00@openssh.com, signed over the session id), then rewrites
// the first UserKnownHostsFile: new keys added, keys the server no longer offers removed (`.old` kept as a backup).
// Hosts written by hand (wildcards, long name lists, @cert-authority/@revoked lines) are left alone, as OpenSSH does.
import { closeSync, existsSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { blobType, fingerprint, formatPublicKeyLine, hashHostname, hostMatches, parseKnownHosts, type FingerprintHash } from "../keys/index.ts";
import { Writer } from "../wire/writer.ts";
import { Reader } from "../wire/reader.ts";
import type { Logger } from "../log.ts";
import { keyTypeLabel } from "./host-check.ts";

/** What the update needs to know about this connection and the configuration. */
export interface HostkeysContext {
  /** The host as known_hosts names it: `host` or `[host]:port` (HostKeyAlias applied). */
  readonly host: string;
  /** CheckHostIP: the address as known_hosts names it; undefined when off. */
  readonly ip: string | undefined;
  readonly userKnownHostsFiles: readonly string[];
  readonly hashKnownHosts: boolean;
  readonly fingerprintHash: FingerprintHash;
  /** hostkey_accepted_by_hostkeyalgs: whether HostKeyAlgorithms admits this key. */
  readonly acceptable: (blob: Uint8Array) => boolean;
  readonly log: Logger;
}

const HKF_MATCH_HOST = 1;
const HKF_MATCH_IP = 2;

/** The comparison of the server's keys with known_hosts (ctx of clientloop.c). */
export interface HostkeysPlan {
  /** The server's acceptable plain keys, in its order. */
  readonly keys: (Uint8Array | null)[];
  /** Per key: HKF_MATCH_HOST | HKF_MATCH_IP of the lines already holding it (0: new). */
  readonly match: number[];
  /** Keys in known_hosts for this host that the server no longer offers. */
  readonly old: Uint8Array[];
  /** Indexes into `keys` of the new keys the server must prove (in order). */
  readonly toProve: number[];
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

function readLines(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** hostspec_is_complex: wildcards, or more than `host,ip`. */
function complexHostspec(hosts: string): boolean {
  if (/[*?]/.test(hosts)) return true;
  const comma = hosts.indexOf(",");
  return comma >= 0 && hosts.indexOf(",", comma + 1) >= 0;
}

/** Which of `host` and `ip` a line names (hostfile.c hostkeys_foreach match bits). */
function lineMatch(e: { hosts: string; hashed: boolean }, ctx: HostkeysContext): number {
  let m = 0;
  if (hostMatches(e, ctx.host)) m |= HKF_MATCH_HOST;
  if (ctx.ip !== undefined && hostMatches(e, ctx.ip)) m |= HKF_MATCH_IP;
  return m;
}

/**
 * client_input_hostkeys up to the proof request: decides what would change. Null when nothing should (every reason
 * logged as OpenSSH logs it); otherwise the plan, whose `toProve` may be empty (only removals: no proof needed).
 */
export function planHostkeysUpdate(received: readonly Uint8Array[], ctx: HostkeysContext): HostkeysPlan | null {
  const { log } = ctx;
  const keys: Uint8Array[] = [];
  for (const blob of received) {
    let type: string;
    try {
      type = blobType(blob);
      fingerprint(blob, ctx.fingerprintHash);
    } catch {
      log.debug("client_input_hostkeys: convert key: unknown or unsupported key type");
      continue;
    }
    log.debug3(`client_input_hostkeys: received ${keyTypeLabel(blob)} key ${fingerprint(blob, ctx.fingerprintHash)}`);
    if (!ctx.acceptable(blob)) {
      log.debug3(`client_input_hostkeys: ${type} key not permitted by HostkeyAlgorithms`);
      continue;
    }
    if (type.includes("-cert-v01@openssh.com")) {
      log.debug3(`client_input_hostkeys: ${type} key is a certificate; skipping`);
      continue;
    }
    if (keys.some((k) => same(k, blob))) {
      log.error(`client_input_hostkeys: received duplicated ${type} host key`);
      return null;
    }
    keys.push(blob);
  }
  if (keys.length === 0) {
    log.debug("client_input_hostkeys: server sent no hostkeys");
    return null;
  }
  const match = keys.map(() => 0);
  const old: Uint8Array[] = [];
  let complex = false;
  let otherNameSeen = false;
  const parsed: { path: string; entries: ReturnType<typeof parseKnownHosts>["entries"] }[] = [];
  for (const path of ctx.userKnownHostsFiles) {
    log.debug(`client_input_hostkeys: searching ${path} for ${ctx.host} / ${ctx.ip ?? "(none)"}`);
    const text = readLines(path);
    if (text === null) {
      log.debug(`client_input_hostkeys: hostkeys file ${path} does not exist`);
      continue;
    }
    const { entries } = parseKnownHosts(text);
    parsed.push({ path, entries });
    for (const e of entries) {
      const m = lineMatch(e, ctx);
      if (m === 0) {
        if (keys.some((k) => same(k, e.blob))) {
          otherNameSeen = true;
          log.debug3(`hostkeys_find: found ${e.keyType} key under different name/addr at ${path}:${e.line}`);
        }
        continue;
      }
      if (e.marker !== "none") {
        log.debug3(`hostkeys_find: hostkeys file ${path}:${e.line} has CA/revocation marker`);
        complex = true;
        continue;
      }
      if (ctx.ip !== undefined && e.hosts.includes(",")) {
        if ((m & HKF_MATCH_HOST) === 0) {
          otherNameSeen = true;
          log.debug3(`hostkeys_find: found address ${ctx.ip} against different hostname at ${path}:${e.line}`);
          continue;
        } else if ((m & HKF_MATCH_IP) === 0) {
          otherNameSeen = true;
          log.debug3(`hostkeys_find: found hostname ${ctx.host} against different address at ${path}:${e.line}`);
        }
      }
      if (!e.hashed && complexHostspec(e.hosts)) {
        log.debug3(`hostkeys_find: hostkeys file ${path}:${e.line} complex host specification`);
        complex = true;
        continue;
      }
      const i = keys.findIndex((k) => same(k, e.blob));
      if (i >= 0) {
        log.debug3(`hostkeys_find: found ${e.keyType} key at ${path}:${e.line}`);
        match[i]! |= m;
        continue;
      }
      log.debug3(`hostkeys_find: deprecated ${e.keyType} key at ${path}:${e.line}`);
      old.push(e.blob);
    }
  }
  const want = HKF_MATCH_HOST | (ctx.ip !== undefined ? HKF_MATCH_IP : 0);
  const nnew = match.filter((m) => m === 0).length;
  const nincomplete = match.filter((m) => (m & want) !== want).length;
  log.debug3(`client_input_hostkeys: ${keys.length} server keys: ${nnew} new, ${keys.length - nnew - nincomplete} retained, ${nincomplete} incomplete match. ${old.length} to remove`);
  if (nnew === 0 && old.length === 0) {
    log.debug("client_input_hostkeys: no new or deprecated keys from server");
    return null;
  }
  if (complex) {
    log.debug("client_input_hostkeys: CA/revocation marker, manual host list or wildcard host pattern found, skipping UserKnownHostsFile update");
    return null;
  }
  if (otherNameSeen) {
    log.debug("client_input_hostkeys: host key found matching a different name/address, skipping UserKnownHostsFile update");
    return null;
  }
  if (old.length > 0) {
    // check_old_keys_othernames: a deprecated key still listed under another name is left alone
    for (const f of parsed) {
      for (const e of f.entries) {
        if (lineMatch(e, ctx) !== 0 || !old.some((k) => same(k, e.blob))) continue;
        log.debug3(`hostkeys_check_old: found deprecated ${e.keyType} key at ${f.path}:${e.line} as ${e.hashed ? "[HASHED]" : e.hosts}`);
        log.debug(`client_input_hostkeys: key(s) for ${ctx.host}${ctx.ip === undefined ? "" : `,${ctx.ip}`} exist under other names; skipping UserKnownHostsFile update`);
        return null;
      }
    }
  }
  const toProve = match.flatMap((m, i) => (m === 0 ? [i] : []));
  if (toProve.length > 0) log.debug3(`client_input_hostkeys: asking server to prove ownership for ${toProve.length} keys`);
  return { keys, match, old, toProve };
}

/** The data a hostkeys-prove-00@openssh.com signature covers: the request name, the session id, the key. */
export function hostkeysProveData(sessionId: Uint8Array, blob: Uint8Array): Uint8Array {
  return new Writer(null, 64 + sessionId.length + blob.length).string("hostkeys-prove-00@openssh.com").string(sessionId).string(blob).toBytes();
}

/** The algorithm named inside an SSH signature blob, or null when it cannot be read. */
function signatureAlgorithm(sig: Uint8Array): string | null {
  try {
    return new Reader(sig).string();
  } catch {
    return null;
  }
}

/**
 * client_global_hostkeys_prove_confirm: checks one signature per new key. An RSA key is verified with the host key
 * algorithm negotiated when that was RSA, else only rsa-sha2-256/512 are trusted (an ssh-rsa proof drops the key).
 * Returns false (after OpenSSH's error line) when a signature is missing or bad: then nothing is written.
 */
export function verifyHostkeyProofs(
  plan: HostkeysPlan,
  signatures: readonly Uint8Array[],
  sessionId: Uint8Array,
  kexHostKeyAlgorithm: string,
  verify: (algorithm: string, blob: Uint8Array, data: Uint8Array, signature: Uint8Array) => boolean,
  log: Logger,
): boolean {
  const rsaKex = /^(rsa-sha2-(256|512)|ssh-rsa)$/.test(kexHostKeyAlgorithm) ? kexHostKeyAlgorithm : null;
  if (signatures.length !== plan.toProve.length) {
    log.error(`client_global_hostkeys_prove_confirm: parse sig: ${signatures.length < plan.toProve.length ? "incomplete message" : "unexpected trailing data"}`);
    return false;
  }
  for (let j = 0; j < plan.toProve.length; j++) {
    const i = plan.toProve[j]!;
    const blob = plan.keys[i]!;
    const sig = signatures[j]!;
    const alg = signatureAlgorithm(sig);
    const type = keyTypeLabel(blob);
    if (alg === null) {
      log.error(`client_global_hostkeys_prove_confirm: server gave unintelligible signature for ${type} key ${i}`);
      return false;
    }
    const isRsa = blobType(blob) === "ssh-rsa";
    if (isRsa && rsaKex === null && alg !== "rsa-sha2-256" && alg !== "rsa-sha2-512") {
      log.debug(`client_global_hostkeys_prove_confirm: server used untrusted RSA signature algorithm ${alg} for key ${i}, disregarding`);
      plan.keys[i] = null;
      continue;
    }
    log.debug3(`client_global_hostkeys_prove_confirm: verify ${type} key ${i} using sigalg ${alg}`);
    const useAlg = isRsa && rsaKex !== null ? rsaKex : alg;
    if ((isRsa && rsaKex !== null && alg !== rsaKex) || !verify(useAlg, blob, hostkeysProveData(sessionId, blob), sig)) {
      log.error(`client_global_hostkeys_prove_confirm: server gave bad signature for ${type} key ${i}: incorrect signature`);
      return false;
    }
  }
  return true;
}

/** The lines update_known_hosts announces (VERBOSE with UpdateHostKeys yes, INFO when it asks). */
export function hostkeysChangeLines(plan: HostkeysPlan, hash: FingerprintHash): string[] {
  const out: string[] = [];
  for (const i of plan.toProve) {
    const k = plan.keys[i];
    if (k) out.push(`Learned new hostkey: ${keyTypeLabel(k)} ${fingerprint(k, hash)}`);
  }
  for (const k of plan.old) out.push(`Deprecating obsolete hostkey: ${keyTypeLabel(k)} ${fingerprint(k, hash)}`);
  return out;
}

/** format_host_entry: `host,ip type base64` (lowercased), or hashed lines, host and ip each on its own. */
function hostEntry(host: string, ip: string | undefined, blob: Uint8Array, hash: boolean): string {
  const lhost = host.toLowerCase();
  const key = formatPublicKeyLine(blob);
  if (hash) return `${hashHostname(lhost)} ${key}\n${ip !== undefined ? `${hashHostname(ip)} ${key}\n` : ""}`;
  return `${ip !== undefined ? `${lhost},${ip}` : lhost} ${key}\n`;
}

/**
 * The known_hosts edits (update_known_hosts → hostfile_replace_entries): in every existing UserKnownHostsFile the
 * lines for this host whose key the server no longer offers are removed; the first file also gets the new keys
 * (and fixed host/address matches). A changed file is replaced atomically, the previous one kept as `<file>.old`.
 */
export function applyHostkeysUpdate(plan: HostkeysPlan, ctx: HostkeysContext): void {
  const { log } = ctx;
  ctx.userKnownHostsFiles.forEach((path, fileIndex) => {
    if (!existsSync(path)) {
      log.debug(`update_known_hosts: known hosts file ${path} does not exist`);
      return;
    }
    const keys = fileIndex === 0 ? plan.keys : [];
    const matchKeys = keys.map(() => 0);
    const text = readLines(path) ?? "";
    const { entries } = parseKnownHosts(text);
    const byLine = new Map(entries.map((e) => [e.line, e]));
    const lines = text.split("\n");
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    let out = "";
    let modified = false;
    lines.forEach((raw, n) => {
      const e = byLine.get(n + 1);
      const m = e === undefined ? 0 : lineMatch(e, ctx);
      if (e !== undefined && m !== 0 && e.marker === "none") {
        const i = keys.findIndex((k) => k !== null && same(k, e.blob));
        if (i >= 0) {
          matchKeys[i]! |= m;
          out += `${raw}\n`;
          log.debug3(`host_delete: ${keyTypeLabel(e.blob)} key already at ${path}:${e.line}`);
          return;
        }
        log.verbose(`${path}:${e.line}: Removed ${keyTypeLabel(e.blob)} key for host ${ctx.host}`);
        modified = true;
        return;
      }
      out += `${raw}\n`;
    });
    const want = HKF_MATCH_HOST | (ctx.ip !== undefined ? HKF_MATCH_IP : 0);
    keys.forEach((k, i) => {
      if (k === null || (matchKeys[i]! & want) === want) return;
      let what: string;
      if (matchKeys[i] === 0) {
        what = "Adding new key";
        out += hostEntry(ctx.host, ctx.ip, k, ctx.hashKnownHosts);
      } else if ((want & ~matchKeys[i]!) === HKF_MATCH_HOST) {
        what = "Fixing match (hostname)";
        out += hostEntry(ctx.host, undefined, k, ctx.hashKnownHosts);
      } else {
        what = "Fixing match (address)";
        out += hostEntry(ctx.ip!, undefined, k, ctx.hashKnownHosts);
      }
      log.verbose(`${what} for ${ctx.host}${ctx.ip === undefined ? "" : `,${ctx.ip}`} to ${path}: ${blobType(k)} ${fingerprint(k, ctx.fingerprintHash)}`);
      modified = true;
    });
    if (!modified) return;
    const temp = `${path}.${Buffer.from(randomBytes(8)).toString("hex").slice(0, 11)}`;
    try {
      const fd = openSync(temp, "wx", 0o600);
      try {
        writeSync(fd, out);
      } finally {
        closeSync(fd);
      }
      const back = `${path}.old`;
      try {
        unlinkSync(back);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
      linkSync(path, back);
      renameSync(temp, path);
    } catch (e) {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
      log.error(`update_known_hosts: hostfile_replace_entries failed for ${path}: ${(e as Error).message}`);
    }
  });
}
