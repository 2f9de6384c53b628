// The key types sshkey.c knows (its impl table: names, labels, certificate twins), a blob's type name and the one-line
// `type base64 comment` text of .pub files. No node:crypto here: ssh-keygen's quick generation path loads this alone.
import { KeyReader } from "./blob.ts";

/** One key type as sshkey.c's impl table knows it. */
export interface KeyTypeRow {
  /** Blob type name. */
  readonly name: string;
  /** sshkey_type(): the upper-case label in `-l` output and randomart titles. */
  readonly label: string;
  /** The plain type a certificate type certifies (itself for plain types). */
  readonly plain: string;
  readonly certificate: boolean;
  /** Hardware-backed (FIDO) key: usable for parsing and fingerprints only here. */
  readonly sk: boolean;
}

const PLAIN: readonly (readonly [string, string, boolean])[] = [
  ["ssh-ed25519", "ED25519", false],
  ["ssh-rsa", "RSA", false],
  ["ecdsa-sha2-nistp256", "ECDSA", false],
  ["ecdsa-sha2-nistp384", "ECDSA", false],
  ["ecdsa-sha2-nistp521", "ECDSA", false],
  ["sk-ssh-ed25519@openssh.com", "ED25519-SK", true],
  ["sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK", true],
  ["ssh-mldsa44-ed25519@openssh.com", "MLDSA44-ED25519", false],
];

/** Cert type name for a plain one: `ssh-ed25519` → `ssh-ed25519-cert-v01@openssh.com`, `sk-…@openssh.com` likewise. */
export function certTypeName(plain: string): string {
  const at = plain.indexOf("@");
  return at < 0 ? `${plain}-cert-v01@openssh.com` : `${plain.slice(0, at)}-cert-v01${plain.slice(at)}`;
}

/** Every key type we can parse (plain, then certificates). */
export const KEY_TYPES: readonly KeyTypeRow[] = [
  ...PLAIN.map(([name, label, sk]) => ({ name, label, plain: name, certificate: false, sk })),
  ...PLAIN.map(([name, label, sk]) => ({ name: certTypeName(name), label: `${label}-CERT`, plain: name, certificate: true, sk })),
];

/** The row for a blob type name, or undefined. */
export function keyTypeRow(name: string): KeyTypeRow | undefined {
  return KEY_TYPES.find((t) => t.name === name);
}

/** The first `string` of a blob (its type name); throws KeyFormatError when there is none. */
export function blobType(blob: Uint8Array): string {
  return new KeyReader(blob).text();
}

/** `type base64[ comment]` without a newline (sshkey_write + the comment, as ssh-keygen writes .pub files). */
export function formatPublicKeyLine(blob: Uint8Array, comment = ""): string {
  const type = blobType(blob);
  const b64 = blob.toBase64();
  return comment === "" ? `${type} ${b64}` : `${type} ${b64} ${comment}`;
}
