// known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"; hostfile.c): `[marker] hostnames keytype base64 [comment]`,
// markers @cert-authority and @revoked, hashed names `|1|salt|hash` (HMAC-SHA1), patterns with `!`, `[host]:port`.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { KeyFormatError } from "./errors.ts";
import { matchHostname } from "./patterns.ts";
import { blobType, parsePublicKeyLine } from "./public-key.ts";

/** hostfile.h HKF_MARKER_*. */
export type KnownHostsMarker = "none" | "cert-authority" | "revoked";

/** One key line of a known_hosts file. */
export interface KnownHostsEntry {
  /** 1-based line number. */
  readonly line: number;
  /** The whole line as in the file, without its newline. */
  readonly text: string;
  readonly marker: KnownHostsMarker;
  /** The host names field as written (a pattern list, or one hashed name). */
  readonly hosts: string;
  readonly hashed: boolean;
  readonly keyType: string;
  readonly blob: Uint8Array;
  readonly comment: string;
}

/** A line that is neither blank, a comment, nor a usable key (old SSH1 lines, unknown types, garbage). */
export interface KnownHostsSkipped {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

/** A parsed known_hosts file. */
export interface KnownHosts {
  readonly entries: KnownHostsEntry[];
  readonly skipped: KnownHostsSkipped[];
}

const HASH_MAGIC = "|1|";

/** `host` for port 22, `[host]:port` otherwise (put_host_port). */
export function hostPortName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Hashes a name as `ssh-keygen -H` and HashKnownHosts do: `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. */
export function hashHostname(name: string, salt: Uint8Array = new Uint8Array(randomBytes(20))): string {
  const mac = createHmac("sha1", salt).update(name).digest();
  return `${HASH_MAGIC}${Buffer.from(salt).toString("base64")}|${mac.toString("base64")}`;
}

/** Whether the hashed field `hosts` (`|1|salt|hash`) is the hash of `name`. False when it is not a valid hashed field. */
export function hashedHostMatches(hosts: string, name: string): boolean {
  if (!hosts.startsWith(HASH_MAGIC)) return false;
  const parts = hosts.slice(HASH_MAGIC.length).split("|");
  if (parts.length !== 2) return false;
  const salt = Buffer.from(parts[0]!, "base64");
  const want = Buffer.from(parts[1]!, "base64");
  if (salt.length !== 20 || want.length !== 20) return false;
  return timingSafeEqual(createHmac("sha1", salt).update(name).digest(), want);
}

/** Parses known_hosts text. Blank and `#` lines are ignored; unusable lines are reported in `skipped`, never thrown. */
export function parseKnownHosts(text: string): KnownHosts {
  const entries: KnownHostsEntry[] = [];
  const skipped: KnownHostsSkipped[] = [];
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const textLine = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    let rest = textLine.replace(/^[ \t]+/, "");
    if (rest === "" || rest.startsWith("#")) return;
    let marker: KnownHostsMarker = "none";
    const m = /^@(\S+)[ \t]+/.exec(rest);
    if (m !== null) {
      if (m[1] === "cert-authority") marker = "cert-authority";
      else if (m[1] === "revoked") marker = "revoked";
      else return void skipped.push({ line, text: textLine, reason: "unknown marker" });
      rest = rest.slice(m[0].length);
    }
    const h = /^(\S+)[ \t]+/.exec(rest);
    if (h === null) return void skipped.push({ line, text: textLine, reason: "missing key" });
    const hosts = h[1]!;
    rest = rest.slice(h[0].length);
    try {
      const k = parsePublicKeyLine(rest);
      entries.push({ line, text: textLine, marker, hosts, hashed: hosts.startsWith(HASH_MAGIC), keyType: k.type, blob: k.blob, comment: k.comment });
    } catch (e) {
      skipped.push({ line, text: textLine, reason: e instanceof KeyFormatError ? e.message : "invalid key" });
    }
  });
  return { entries, skipped };
}

/**
 * Whether `entry` is for `host` on `port` (hostfile.c check_hostkeys_by_key_or_type): the name looked up is `host`
 * for port 22 and `[host]:port` otherwise; hashed entries compare HMACs, others match the pattern list, where a negated
 * pattern rejects the line.
 */
export function hostMatches(entry: Pick<KnownHostsEntry, "hosts" | "hashed">, host: string, port = 22): boolean {
  const name = hostPortName(host.toLowerCase(), port);
  if (entry.hashed) return hashedHostMatches(entry.hosts, name);
  return matchHostname(name, entry.hosts) === 1;
}

/** hostfile.h HOST_OK / HOST_CHANGED / HOST_REVOKED / HOST_NEW, as check_key_in_hostkeys decides them. */
export type HostKeyStatus = "ok" | "changed" | "revoked" | "not-found";

/** The verdict on a host key, with the line that decided it (the first matching one of the key's type for "changed"). */
export interface HostKeyCheck {
  readonly status: HostKeyStatus;
  readonly entry: KnownHostsEntry | undefined;
}

const sameBlob = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/**
 * Checks `hostKeyBlob` for `host`:`port` against parsed known_hosts (hostfile.c check_key_in_hostkeys plus the
 * revocation check sshconnect.c makes first). A plain key is "ok" when a matching line holds it, "changed" when matching
 * lines hold only other keys of its type, "revoked" when an @revoked line (any host) lists it. For a certificate
 * (`caKeyBlob` = its signing CA), an @cert-authority line for the host holding that CA makes it "ok"; checking the
 * certificate itself (type host, principals, validity, signature) is the caller's job.
 */
export function checkHostKey(kh: KnownHosts, host: string, port: number, hostKeyBlob: Uint8Array, caKeyBlob?: Uint8Array): HostKeyCheck {
  for (const e of kh.entries) {
    if (e.marker !== "revoked") continue;
    if (sameBlob(e.blob, hostKeyBlob) || (caKeyBlob !== undefined && sameBlob(e.blob, caKeyBlob))) return { status: "revoked", entry: e };
  }
  const matching = kh.entries.filter((e) => e.marker !== "revoked" && hostMatches(e, host, port));
  if (caKeyBlob !== undefined) {
    const ca = matching.find((e) => e.marker === "cert-authority" && sameBlob(e.blob, caKeyBlob));
    return ca !== undefined ? { status: "ok", entry: ca } : { status: "not-found", entry: undefined };
  }
  const plain = matching.filter((e) => e.marker === "none");
  const exact = plain.find((e) => sameBlob(e.blob, hostKeyBlob));
  if (exact !== undefined) return { status: "ok", entry: exact };
  const type = blobType(hostKeyBlob);
  const other = plain.find((e) => e.keyType === type);
  return other !== undefined ? { status: "changed", entry: other } : { status: "not-found", entry: undefined };
}
