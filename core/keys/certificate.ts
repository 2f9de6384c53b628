// OpenSSH certificates, *-cert-v01@openssh.com (PROTOCOL.certkeys; sshkey.c cert_parse, sshkey_certify): parse,
// verify the CA signature, check validity and principals, and sign new ones.
import { randomBytes } from "node:crypto";
import { signatureSpec } from "../crypto/signatures.ts";
import { Writer } from "../wire/writer.ts";
import { concat, KeyReader } from "./blob.ts";
import { KeyFormatError } from "./errors.ts";
import { certTypeName, describePublicKey, keyTypeRow, readPublicFields } from "./public-key.ts";
import { signWith, type PrivateKey } from "./private-key.ts";
import { verifyAsync } from "./mldsa.ts";

/** PROTOCOL.certkeys: SSH2_CERT_TYPE_USER / SSH2_CERT_TYPE_HOST. */
export const SSH2_CERT_TYPE_USER = 1;
export const SSH2_CERT_TYPE_HOST = 2;

/** valid_before meaning "forever". */
export const CERT_FOREVER = 0xffffffffffffffffn;

/** One critical option or extension: its name and raw data (a string-encoded value, or empty for flags). */
export interface CertOption {
  readonly name: string;
  readonly data: Uint8Array;
}

/** A parsed certificate. Byte fields are views into the blob given to parseCertificate. */
export interface Certificate {
  /** The cert type name (`ssh-ed25519-cert-v01@openssh.com`). */
  readonly type: string;
  readonly nonce: Uint8Array;
  /** The certified key as a plain public key blob (fresh buffer). */
  readonly publicKeyBlob: Uint8Array;
  readonly serial: bigint;
  /** 1 user, 2 host. */
  readonly certType: number;
  readonly keyId: string;
  readonly principals: readonly string[];
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly criticalOptions: readonly CertOption[];
  readonly extensions: readonly CertOption[];
  /** CA public key blob. */
  readonly signatureKey: Uint8Array;
  /** Signature algorithm named inside the signature blob. */
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  /** Every byte the signature covers. */
  readonly signedBytes: Uint8Array;
}

function readOptions(data: Uint8Array, critical: boolean): CertOption[] {
  const r = new KeyReader(data);
  const out: CertOption[] = [];
  let last: string | null = null;
  while (r.remaining > 0) {
    const name = r.text();
    const value = r.string();
    // cert_parse_options: names unique and in order.
    if (last !== null && name <= last) throw new KeyFormatError("invalid-format", `${critical ? "critical option" : "extension"} out of order or repeated`);
    last = name;
    out.push({ name, data: value });
  }
  return out;
}

/** Parses a certificate blob (cert_parse): framing, options order, CA key not itself a certificate. Throws KeyFormatError. */
export function parseCertificate(blob: Uint8Array): Certificate {
  const r = new KeyReader(blob);
  const type = r.text();
  const row = keyTypeRow(type);
  if (row === undefined) throw new KeyFormatError("unknown-key-type", type);
  if (!row.certificate) throw new KeyFormatError("invalid-certificate", "not a certificate");
  const nonce = r.string();
  const fieldsStart = r.offset;
  readPublicFields(row.plain, r);
  const w = new Writer();
  w.string(row.plain).raw(blob.subarray(fieldsStart, r.offset));
  const publicKeyBlob = w.toBytes();
  describePublicKey(publicKeyBlob);
  const serial = r.u64();
  const certType = r.u32();
  if (certType !== SSH2_CERT_TYPE_USER && certType !== SSH2_CERT_TYPE_HOST) throw new KeyFormatError("invalid-certificate", "unknown certificate type");
  const keyId = r.text();
  const pr = new KeyReader(r.string());
  const principals: string[] = [];
  while (pr.remaining > 0) principals.push(pr.text());
  const validAfter = r.u64();
  const validBefore = r.u64();
  const criticalOptions = readOptions(r.string(), true);
  const extensions = readOptions(r.string(), false);
  r.string(); // reserved
  const signatureKey = r.string();
  const ca = describePublicKey(signatureKey);
  if (ca.row.certificate) throw new KeyFormatError("invalid-certificate", "CA key is a certificate");
  const signedEnd = r.offset;
  const signature = r.string();
  r.end();
  const signatureAlgorithm = new KeyReader(signature).text();
  return {
    type, nonce, publicKeyBlob, serial, certType, keyId, principals, validAfter, validBefore, criticalOptions, extensions,
    signatureKey, signatureAlgorithm, signature, signedBytes: blob.subarray(0, signedEnd),
  };
}

/**
 * The plain key blob behind `blob`: itself for a plain key, the certified key for a certificate (fingerprints of a
 * certificate are those of its key, sshkey_fingerprint_raw with force_plain).
 */
export function plainKeyBlob(blob: Uint8Array): Uint8Array {
  const info = describePublicKey(blob);
  return info.row.certificate ? parseCertificate(blob).publicKeyBlob : blob;
}

/** Whether the CA signature over the certificate is valid (and the algorithm matches the CA key type). */
export function verifyCertificateSignature(cert: Certificate): boolean {
  const spec = signatureSpec(cert.signatureAlgorithm);
  return spec !== undefined && spec.verify(cert.signatureKey, cert.signedBytes, cert.signature);
}

/** A certificate option's string value (force-command, source-address), or null when its data is not one string. */
export function optionString(o: CertOption): string | null {
  try {
    const r = new KeyReader(o.data);
    const s = r.text();
    r.end();
    return s;
  } catch {
    return null;
  }
}

/** Options an OpenSSH user certificate gets by default (ssh-keygen: all permit-* extensions). */
export const DEFAULT_USER_EXTENSIONS: readonly string[] = [
  "permit-X11-forwarding",
  "permit-agent-forwarding",
  "permit-port-forwarding",
  "permit-pty",
  "permit-user-rc",
];

/** What to put in a certificate. */
export interface CertificateRequest {
  /** Plain public key blob to certify. */
  readonly publicKeyBlob: Uint8Array;
  readonly certType: number;
  readonly keyId: string;
  readonly principals: readonly string[];
  readonly serial?: bigint;
  readonly validAfter?: bigint;
  readonly validBefore?: bigint;
  /** Critical options; values that are strings are encoded as one `string`, flags as empty data. */
  readonly criticalOptions?: readonly { name: string; value?: string }[];
  readonly extensions?: readonly { name: string; value?: string }[];
  /** Signature algorithm for the CA (default: the CA key's first, rsa-sha2-512 for RSA). */
  readonly algorithm?: string;
  readonly nonce?: Uint8Array;
}

function encodeOptions(opts: readonly { name: string; value?: string }[]): Uint8Array {
  const sorted = [...opts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const w = new Writer();
  for (const o of sorted) {
    w.string(o.name);
    w.string(o.value === undefined ? new Uint8Array(0) : new Writer().string(o.value).toBytes());
  }
  return w.toBytes();
}

/**
 * The bytes a CA signs for `req` (every certificate field up to and including the CA key `caPublicKeyBlob`); fresh
 * buffer. With `finishCertificate` this lets the signature come from elsewhere (ssh-agent, `ssh-keygen -U`).
 */
export function certificateToBeSigned(req: CertificateRequest, caPublicKeyBlob: Uint8Array): Uint8Array {
  const info = describePublicKey(req.publicKeyBlob);
  if (info.row.certificate) throw new KeyFormatError("invalid-certificate", "cannot certify a certificate");
  const caInfo = describePublicKey(caPublicKeyBlob);
  if (caInfo.row.certificate) throw new KeyFormatError("invalid-certificate", "CA key is a certificate");
  const r = new KeyReader(req.publicKeyBlob);
  r.string();
  const fields = req.publicKeyBlob.subarray(r.offset);
  const w = new Writer();
  w.string(certTypeName(info.type)).string(req.nonce ?? new Uint8Array(randomBytes(32))).raw(fields);
  w.u64(req.serial ?? 0n).u32(req.certType).string(req.keyId);
  const pw = new Writer();
  for (const p of req.principals) pw.string(p);
  w.string(pw.toBytes()).u64(req.validAfter ?? 0n).u64(req.validBefore ?? CERT_FOREVER);
  w.string(encodeOptions(req.criticalOptions ?? [])).string(encodeOptions(req.extensions ?? []));
  w.string(new Uint8Array(0)).string(caPublicKeyBlob);
  return w.toBytes();
}

/** The certificate blob (fresh buffer): the signed bytes followed by the CA's signature blob. */
export function finishCertificate(toBeSigned: Uint8Array, signature: Uint8Array): Uint8Array {
  return concat(toBeSigned, new Writer().string(signature).toBytes());
}

/** Signs a certificate with `ca` (sshkey_certify) and returns its blob (fresh buffer). Throws KeyFormatError. */
export function signCertificate(req: CertificateRequest, ca: PrivateKey): Uint8Array {
  const tbs = certificateToBeSigned(req, ca.publicKeyBlob);
  return finishCertificate(tbs, signWith(ca, tbs, req.algorithm));
}

/** Why a certificate is not acceptable right now for a name (sshkey_cert_check_authority wording), or null when it is. */
export function checkCertificate(cert: Certificate, opts: { certType: number; now: bigint; principal?: string; requirePrincipal?: boolean }): string | null {
  if (cert.certType !== opts.certType) return opts.certType === SSH2_CERT_TYPE_HOST ? "Certificate invalid: not a host certificate" : "Certificate invalid: not a user certificate";
  if (opts.now < cert.validAfter) return "Certificate invalid: not yet valid";
  if (opts.now >= cert.validBefore) return "Certificate invalid: expired";
  if (cert.principals.length === 0) {
    if (opts.requirePrincipal) return "Certificate lacks principal list";
  } else if (opts.principal !== undefined && !cert.principals.includes(opts.principal)) {
    return "Certificate invalid: name is not a listed principal";
  }
  return null;
}

/** `YYYY-MM-DDTHH:MM:SS` in local time (misc.c format_absolute_time). */
export function formatAbsoluteTime(t: bigint): string {
  const max = 253402300799n; // clamp to a date JavaScript can show
  const d = new Date(Number(t > max ? max : t) * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${p(d.getFullYear(), 4)}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** sshkey_format_cert_validity: `forever`, `before …`, `after …` or `from … to …`. */
export function formatCertValidity(cert: Pick<Certificate, "validAfter" | "validBefore">): string {
  if (cert.validAfter === 0n && cert.validBefore === CERT_FOREVER) return "forever";
  const from = formatAbsoluteTime(cert.validAfter);
  const to = formatAbsoluteTime(cert.validBefore);
  if (cert.validAfter === 0n) return `before ${to}`;
  if (cert.validBefore === CERT_FOREVER) return `after ${from}`;
  return `from ${from} to ${to}`;
}

/** verifyCertificateSignature for every CA key type we know, ML-DSA-44+Ed25519 included. */
export async function verifyCertificateSignatureAsync(cert: Certificate): Promise<boolean> {
  return verifyAsync(cert.signatureAlgorithm, cert.signatureKey, cert.signedBytes, cert.signature);
}
