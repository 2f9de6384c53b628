// Key revocation lists (PROTOCOL.krl; krl.c): parse, build, write and check, for `ssh-keygen -k/-u/-Q` and sshd's
// RevokedKeys. Plain keys are revoked explicitly or by SHA-1/SHA-256 of their blob; certificates by serial (ranges) or
// key ID under a CA (or any CA); a certificate is also revoked when its key or its CA key is.
import { createHash } from "node:crypto";
import { Writer } from "../wire/writer.ts";
import { KeyReader } from "./blob.ts";
import { parseCertificate, plainKeyBlob } from "./certificate.ts";
import { KeyFormatError } from "./errors.ts";
import { describePublicKey } from "./public-key.ts";

const KRL_MAGIC = 0x5353484b524c0a00n; // "SSHKRL\n\0"
const KRL_FORMAT_VERSION = 1;
const KRL_SECTION_CERTIFICATES = 1;
const KRL_SECTION_EXPLICIT_KEY = 2;
const KRL_SECTION_FINGERPRINT_SHA1 = 3;
const KRL_SECTION_SIGNATURE = 4;
const KRL_SECTION_FINGERPRINT_SHA256 = 5;
const KRL_SECTION_EXTENSION = 255;
const KRL_SECTION_CERT_SERIAL_LIST = 0x20;
const KRL_SECTION_CERT_SERIAL_RANGE = 0x21;
const KRL_SECTION_CERT_SERIAL_BITMAP = 0x22;
const KRL_SECTION_CERT_KEY_ID = 0x23;
const KRL_SECTION_CERT_EXTENSION = 0x39;

/** Certificates revoked under one CA (null: any CA). */
export interface KrlCertSection {
  readonly caKey: Uint8Array | null;
  /** Inclusive serial ranges, sorted and merged. */
  serials: [bigint, bigint][];
  keyIds: Set<string>;
}

/** A key revocation list. */
export interface Krl {
  version: bigint;
  generatedDate: bigint;
  comment: string;
  certs: KrlCertSection[];
  /** Plain public key blobs. */
  explicitKeys: Uint8Array[];
  sha1: Uint8Array[];
  sha256: Uint8Array[];
}

/** An empty KRL (ssh_krl_init). */
export function newKrl(): Krl {
  return { version: 0n, generatedDate: 0n, comment: "", certs: [], explicitKeys: [], sha1: [], sha256: [] };
}

const bad = (detail: string): KeyFormatError => new KeyFormatError("invalid-format", detail);
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
function addBlob(list: Uint8Array[], b: Uint8Array): void {
  if (!list.some((x) => same(x, b))) list.push(b.slice());
}

/** The cert section for `caKey` (null: wildcard), created when missing. */
function sectionFor(krl: Krl, caKey: Uint8Array | null): KrlCertSection {
  let s = krl.certs.find((c) => (c.caKey === null ? caKey === null : caKey !== null && same(c.caKey, caKey)));
  if (s === undefined) {
    s = { caKey: caKey === null ? null : caKey.slice(), serials: [], keyIds: new Set() };
    krl.certs.push(s);
  }
  return s;
}

/** Revokes certificate serials lo..hi (inclusive) under `caKey` (null: any CA). */
export function krlRevokeSerialRange(krl: Krl, caKey: Uint8Array | null, lo: bigint, hi: bigint): void {
  if (lo === 0n || hi < lo) throw new RangeError("invalid serial range");
  const s = sectionFor(krl, caKey);
  const all = [...s.serials, [lo, hi] as [bigint, bigint]].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const r of all) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r[0] <= last[1] + 1n) last[1] = r[1] > last[1] ? r[1] : last[1];
    else merged.push([r[0], r[1]]);
  }
  s.serials = merged;
}

/** Revokes certificates with key ID `id` under `caKey` (null: any CA). */
export function krlRevokeKeyId(krl: Krl, caKey: Uint8Array | null, id: string): void {
  sectionFor(krl, caKey).keyIds.add(id);
}

/** ssh_krl_revoke_key(): a plain key explicitly; a certificate by serial, or by key ID when its serial is 0. */
export function krlRevokeKey(krl: Krl, blob: Uint8Array): void {
  const info = describePublicKey(blob);
  if (!info.row.certificate) return addBlob(krl.explicitKeys, blob);
  const c = parseCertificate(blob);
  if (c.serial === 0n) krlRevokeKeyId(krl, c.signatureKey, c.keyId);
  else krlRevokeSerialRange(krl, c.signatureKey, c.serial, c.serial);
}

/** Revokes a plain key (or a certificate's key) explicitly. */
export function krlRevokeExplicit(krl: Krl, blob: Uint8Array): void {
  addBlob(krl.explicitKeys, plainKeyBlob(blob));
}

/** Revokes by the SHA-1 or SHA-256 digest of a key's plain blob (give `digest` directly, or a key blob). */
export function krlRevokeHash(krl: Krl, hash: "sha1" | "sha256", digestOrBlob: Uint8Array, isDigest = false): void {
  const d = isDigest ? digestOrBlob : new Uint8Array(createHash(hash).update(plainKeyBlob(digestOrBlob)).digest());
  addBlob(hash === "sha1" ? krl.sha1 : krl.sha256, d);
}

function readCertSection(data: Uint8Array): KrlCertSection {
  const r = new KeyReader(data);
  const ca = r.string();
  r.string(); // reserved
  const section: KrlCertSection = { caKey: ca.length === 0 ? null : ca.slice(), serials: [], keyIds: new Set() };
  if (section.caKey !== null) describePublicKey(section.caKey);
  const krl = newKrl();
  krl.certs.push(section);
  while (r.remaining > 0) {
    const type = r.u8();
    const sub = new KeyReader(r.string());
    switch (type) {
      case KRL_SECTION_CERT_SERIAL_LIST:
        while (sub.remaining > 0) {
          const s = sub.u64();
          if (s === 0n) throw bad("KRL contains serial 0");
          krlRevokeSerialRange(krl, section.caKey, s, s);
        }
        break;
      case KRL_SECTION_CERT_SERIAL_RANGE: {
        const lo = sub.u64();
        const hi = sub.u64();
        if (lo === 0n || hi < lo) throw bad("KRL has invalid serial range");
        krlRevokeSerialRange(krl, section.caKey, lo, hi);
        break;
      }
      case KRL_SECTION_CERT_SERIAL_BITMAP: {
        const offset = sub.u64();
        const bitmap = sub.mpint();
        const bits = bitmap.length * 8;
        for (let i = 0; i < bits; i++) {
          const byte = bitmap[bitmap.length - 1 - (i >> 3)]!;
          if ((byte >> (i & 7)) & 1) {
            const s = offset + BigInt(i);
            if (s === 0n) throw bad("KRL contains serial 0");
            krlRevokeSerialRange(krl, section.caKey, s, s);
          }
        }
        break;
      }
      case KRL_SECTION_CERT_KEY_ID:
        while (sub.remaining > 0) section.keyIds.add(sub.text());
        break;
      case KRL_SECTION_CERT_EXTENSION: {
        const name = sub.text();
        const critical = sub.u8() !== 0;
        sub.string();
        if (critical) throw bad(`KRL contains unsupported critical certificate subsection "${name}"`);
        break;
      }
      default:
        throw bad(`Unsupported KRL certificate section ${type}`);
    }
    sub.end();
  }
  return section;
}

/** Whether bytes start with the KRL magic (sshd tells a KRL from a plain key list this way). */
export function isKrl(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0) === KRL_MAGIC;
}

/** ssh_krl_from_blob(). Throws KeyFormatError for malformed KRLs, unknown critical extensions and signature sections. */
export function parseKrl(bytes: Uint8Array): Krl {
  const r = new KeyReader(bytes);
  if (r.u64() !== KRL_MAGIC) throw bad("not a KRL");
  const fv = r.u32();
  if (fv !== KRL_FORMAT_VERSION) throw bad(`unsupported KRL format version ${fv}`);
  const krl = newKrl();
  krl.version = r.u64();
  krl.generatedDate = r.u64();
  r.u64(); // flags
  r.string(); // reserved
  krl.comment = r.text();
  while (r.remaining > 0) {
    const type = r.u8();
    const data = r.string();
    const sr = new KeyReader(data);
    switch (type) {
      case KRL_SECTION_CERTIFICATES: {
        const s = readCertSection(data);
        const into = sectionFor(krl, s.caKey);
        for (const [lo, hi] of s.serials) krlRevokeSerialRange(krl, s.caKey, lo, hi);
        for (const id of s.keyIds) into.keyIds.add(id);
        continue;
      }
      case KRL_SECTION_EXPLICIT_KEY:
        while (sr.remaining > 0) {
          const k = sr.string();
          describePublicKey(k);
          addBlob(krl.explicitKeys, k);
        }
        break;
      case KRL_SECTION_FINGERPRINT_SHA1:
      case KRL_SECTION_FINGERPRINT_SHA256: {
        const size = type === KRL_SECTION_FINGERPRINT_SHA1 ? 20 : 32;
        while (sr.remaining > 0) {
          const d = sr.string();
          if (d.length !== size) throw bad("KRL has bad fingerprint length");
          addBlob(type === KRL_SECTION_FINGERPRINT_SHA1 ? krl.sha1 : krl.sha256, d);
        }
        break;
      }
      case KRL_SECTION_SIGNATURE:
        throw bad("KRL signatures are unsupported"); // OpenSSH ≥ 9.4 refuses them too
      case KRL_SECTION_EXTENSION: {
        const name = sr.text();
        const critical = sr.u8() !== 0;
        sr.string();
        if (critical) throw bad(`KRL contains unsupported critical section "${name}"`);
        break;
      }
      default:
        throw bad(`Unsupported KRL section ${type}`);
    }
    sr.end();
  }
  return krl;
}

const sortBlobs = (list: readonly Uint8Array[]): Uint8Array[] => [...list].sort((a, b) => Buffer.compare(a, b));

/** ssh_krl_to_blob(): the KRL bytes (fresh buffer). Serials go out as ranges and lists; blobs sorted as krl.c sorts them. */
export function formatKrl(krl: Krl, now: bigint = BigInt(Math.floor(Date.now() / 1000))): Uint8Array {
  const w = new Writer();
  w.u64(KRL_MAGIC).u32(KRL_FORMAT_VERSION).u64(krl.version).u64(now).u64(0n).string(new Uint8Array(0)).string(krl.comment);
  for (const c of krl.certs) {
    const s = new Writer();
    s.string(c.caKey ?? new Uint8Array(0)).string(new Uint8Array(0));
    const singles = c.serials.filter(([lo, hi]) => lo === hi).map(([lo]) => lo);
    for (const [lo, hi] of c.serials) {
      if (lo === hi) continue;
      s.u8(KRL_SECTION_CERT_SERIAL_RANGE).string(new Writer().u64(lo).u64(hi).toBytes());
    }
    if (singles.length > 0) {
      const l = new Writer();
      for (const x of singles) l.u64(x);
      s.u8(KRL_SECTION_CERT_SERIAL_LIST).string(l.toBytes());
    }
    if (c.keyIds.size > 0) {
      const l = new Writer();
      for (const id of [...c.keyIds].sort()) l.string(id);
      s.u8(KRL_SECTION_CERT_KEY_ID).string(l.toBytes());
    }
    w.u8(KRL_SECTION_CERTIFICATES).string(s.toBytes());
  }
  for (const [type, list] of [[KRL_SECTION_EXPLICIT_KEY, krl.explicitKeys], [KRL_SECTION_FINGERPRINT_SHA1, krl.sha1], [KRL_SECTION_FINGERPRINT_SHA256, krl.sha256]] as const) {
    if (list.length === 0) continue;
    const s = new Writer();
    for (const b of sortBlobs(list)) s.string(b);
    w.u8(type).string(s.toBytes());
  }
  return w.toBytes();
}

function keyRevoked(krl: Krl, blob: Uint8Array): boolean {
  const plain = plainKeyBlob(blob);
  const sha1 = new Uint8Array(createHash("sha1").update(plain).digest());
  const sha256 = new Uint8Array(createHash("sha256").update(plain).digest());
  if (krl.sha1.some((d) => same(d, sha1)) || krl.sha256.some((d) => same(d, sha256)) || krl.explicitKeys.some((k) => same(k, plain))) return true;
  if (!describePublicKey(blob).row.certificate) return false;
  const c = parseCertificate(blob);
  for (const s of krl.certs) {
    if (s.caKey !== null && !same(s.caKey, c.signatureKey)) continue;
    if (s.keyIds.has(c.keyId)) return true;
    if (c.serial !== 0n && s.serials.some(([lo, hi]) => c.serial >= lo && c.serial <= hi)) return true; // krl.c: serial 0 is never revoked by number
  }
  return false;
}

/** ssh_krl_check_key(): whether a key or certificate (or its CA key) is revoked. Throws KeyFormatError for bad blobs. */
export function krlRevokes(krl: Krl, blob: Uint8Array): boolean {
  if (keyRevoked(krl, blob)) return true;
  const info = describePublicKey(blob);
  return info.row.certificate && keyRevoked(krl, parseCertificate(blob).signatureKey);
}

/**
 * authfile.c sshkey_check_revoked(): sshd's RevokedKeys and `ssh-keygen -Y verify -r`. `file` is a KRL, or else a text
 * list of public keys (a key is revoked when listed; a certificate also when its CA key is). Throws KeyFormatError for a
 * malformed KRL.
 */
export function revokedKeysFileRevokes(file: Uint8Array, blob: Uint8Array): boolean {
  if (isKrl(file)) return krlRevokes(parseKrl(file), blob);
  const plain = plainKeyBlob(blob);
  const info = describePublicKey(blob);
  const ca = info.row.certificate ? parseCertificate(blob).signatureKey : null;
  for (const raw of Buffer.from(file).toString("utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(\S+)\s+(\S+)/.exec(line);
    if (m === null) continue;
    let listed: Uint8Array;
    try {
      listed = plainKeyBlob(new Uint8Array(Buffer.from(m[2]!, "base64")));
    } catch {
      continue;
    }
    if (same(listed, plain) || (ca !== null && same(listed, ca))) return true;
  }
  return false;
}

/**
 * krl_dump(): the KRL as `ssh-keygen -Q -l` prints it, in KRL-spec syntax where one exists (explicit keys become
 * `hash:` lines with their SHA256 fingerprint, SHA-1 hashes are comments). Times in local time.
 */
export function formatKrlDump(krl: Krl): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const d = new Date(Number(krl.generatedDate > 253402300799n ? 253402300799n : krl.generatedDate) * 1000);
  const ts = `${p(d.getFullYear(), 4)}${p(d.getMonth() + 1)}${p(d.getDate())}T${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
  const b64fp = (b: Uint8Array): string => `SHA256:${createHash("sha256").update(b).digest("base64").replace(/=+$/, "")}`;
  const vis = (s: string): string => s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
  let out = `# KRL version ${krl.version}\n# Generated at ${ts}\n`;
  if (krl.comment !== "") out += `# Comment: ${vis(krl.comment)}\n`;
  out += "\n";
  for (const b of sortBlobs(krl.explicitKeys)) out += `hash: ${b64fp(b)} # ${describePublicKey(b).type}\n`;
  for (const b of sortBlobs(krl.sha256)) out += `hash: SHA256:${hex(b)}\n`;
  for (const b of sortBlobs(krl.sha1)) out += `# hash SHA1:${hex(b)}\n`;
  for (const c of krl.certs) {
    out += "\n";
    out += c.caKey === null ? "# Wildcard CA\n" : `# CA key ${describePublicKey(c.caKey).type} ${b64fp(c.caKey)}\n`;
    for (const [lo, hi] of c.serials) out += lo === hi ? `serial: ${lo}\n` : `serial: ${lo}-${hi}\n`;
    for (const id of [...c.keyIds].sort()) out += `id: ${vis(id)}\n`;
  }
  return out;
}
