// SSHSIG: `ssh-keygen -Y sign/verify` signatures (PROTOCOL.sshsig; sshsig.c) and allowed_signers files (ssh-keygen(1)
// "ALLOWED SIGNERS"). A signature covers "SSHSIG" ‖ string namespace ‖ string reserved ‖ string hash_alg ‖ string H(message).
import { createHash } from "node:crypto";
import { signatureSpec } from "../crypto/signatures.ts";
import { Writer } from "../wire/writer.ts";
import { KeyReader } from "./blob.ts";
import { parseCertificate, SSH2_CERT_TYPE_USER, type Certificate } from "./certificate.ts";
import { KeyFormatError } from "./errors.ts";
import { matchPatternList } from "./patterns.ts";
import { describePublicKey, parsePublicKeyLine } from "./public-key.ts";
import { signWith, type PrivateKey } from "./private-key.ts";
import { MLDSA44_ED25519, verifyAsync } from "./mldsa.ts";

const MAGIC = new TextEncoder().encode("SSHSIG");
const VERSION = 1;
const BEGIN = "-----BEGIN SSH SIGNATURE-----";
const END = "-----END SSH SIGNATURE-----";

/** Message digests SSHSIG allows; ssh-keygen signs with sha512 unless `-O hashalg=sha256`. */
export type SshsigHash = "sha256" | "sha512";

/** The signed structure for a message digest. */
function signedData(namespace: string, hash: SshsigHash, digest: Uint8Array): Uint8Array {
  return new Writer().raw(MAGIC).string(namespace).string("").string(hash).string(digest).toBytes();
}

/** sshsig_armor(): the armored text, base64 in lines of 76, with a trailing newline. */
export function armorSshsig(blob: Uint8Array): string {
  const b64 = Buffer.from(blob).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return `${BEGIN}\n${lines.join("\n")}\n${END}\n`;
}

/** sshsig_dearmor(): the blob inside armored text. Throws KeyFormatError with sshsig.c's wording. */
export function dearmorSshsig(text: string): Uint8Array {
  if (!text.startsWith(`${BEGIN}\n`) && !text.startsWith(`${BEGIN}\r\n`)) throw new KeyFormatError("invalid-format", "Couldn't parse signature: missing header");
  const end = text.indexOf(`\n${END}`);
  if (end < 0) throw new KeyFormatError("invalid-format", "Couldn't parse signature: missing footer");
  const body = text.slice(BEGIN.length, end).replace(/[\r\n]/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new KeyFormatError("invalid-format", "decode base64");
  return Uint8Array.from(Buffer.from(body, "base64"));
}

/** What a signer must sign for `message` (sshsig_wrap_sign's input): the "SSHSIG" structure over H(message). */
export function sshsigToBeSigned(message: Uint8Array, namespace: string, hash: SshsigHash = "sha512"): Uint8Array {
  if (namespace === "") throw new KeyFormatError("invalid-format", "empty namespace");
  return signedData(namespace, hash, new Uint8Array(createHash(hash).update(message).digest()));
}

/** The SSHSIG blob (fresh buffer) around a signature made elsewhere (an agent, a token); `publicKeyBlob` may be a certificate. */
export function assembleSshsig(publicKeyBlob: Uint8Array, namespace: string, hash: SshsigHash, signature: Uint8Array): Uint8Array {
  return new Writer().raw(MAGIC).u32(VERSION).string(publicKeyBlob).string(namespace).string("").string(hash).string(signature).toBytes();
}

/**
 * Signs `message` (sshsig_sign_message): returns the SSHSIG blob (fresh buffer); RSA keys sign with rsa-sha2-512.
 * `certificate`, when given, is the certificate blob of `key` to put in the signature instead of the plain key.
 */
export function signSshsig(key: PrivateKey, message: Uint8Array, namespace: string, hash: SshsigHash = "sha512", certificate?: Uint8Array): Uint8Array {
  const algorithm = key.type === "ssh-rsa" ? "rsa-sha2-512" : undefined;
  const signature = signWith(key, sshsigToBeSigned(message, namespace, hash), algorithm);
  return assembleSshsig(certificate ?? key.publicKeyBlob, namespace, hash, signature);
}

/** A parsed SSHSIG blob. */
export interface Sshsig {
  readonly publicKeyBlob: Uint8Array;
  readonly namespace: string;
  readonly hash: string;
  readonly signature: Uint8Array;
}

/** sshsig_parse_preamble + fields. Throws KeyFormatError ("Couldn't verify signature: invalid format", version, trailing data). */
export function parseSshsig(blob: Uint8Array): Sshsig {
  const r = new KeyReader(blob);
  let magic: Uint8Array;
  try {
    magic = r.raw(MAGIC.length);
  } catch {
    throw new KeyFormatError("invalid-format", "Couldn't verify signature: invalid format");
  }
  if (Buffer.compare(magic, MAGIC) !== 0) throw new KeyFormatError("invalid-format", "Couldn't verify signature: invalid format");
  const version = r.u32();
  if (version > VERSION) throw new KeyFormatError("invalid-format", `Signature version ${version} is larger than supported version ${VERSION}`);
  const publicKeyBlob = r.string();
  const namespace = r.text();
  r.string(); // reserved
  const hash = r.text();
  const signature = r.string();
  if (r.remaining !== 0) throw new KeyFormatError("invalid-format", "Signature contains trailing data");
  describePublicKey(publicKeyBlob);
  return { publicKeyBlob, namespace, hash, signature };
}

/** Checks everything but the signature itself; returns what to verify. Throws KeyFormatError (sshsig.c wording in `detail`). */
function prepareVerify(blob: Uint8Array, message: Uint8Array, namespace: string): { sig: Sshsig; alg: string; verifyKey: Uint8Array; tbs: Uint8Array; plain: string } {
  const sig = parseSshsig(blob);
  if (sig.namespace !== namespace) throw new KeyFormatError("signature-invalid", "Couldn't verify signature: namespace does not match");
  if (sig.hash !== "sha256" && sig.hash !== "sha512") throw new KeyFormatError("signature-invalid", "Couldn't verify signature: hash algorithm mismatch");
  const alg = new KeyReader(sig.signature).text();
  const info = describePublicKey(sig.publicKeyBlob);
  const verifyKey = info.row.certificate ? parseCertificate(sig.publicKeyBlob).publicKeyBlob : sig.publicKeyBlob;
  if (info.row.plain === "ssh-rsa" && alg !== "rsa-sha2-256" && alg !== "rsa-sha2-512") {
    throw new KeyFormatError("signature-invalid", `Couldn't verify signature: unsupported RSA signature algorithm ${alg}`);
  }
  const digest = new Uint8Array(createHash(sig.hash).update(message).digest());
  return { sig, alg, verifyKey, tbs: signedData(namespace, sig.hash as SshsigHash, digest), plain: info.row.plain };
}

const BAD_SIGNATURE = "Signature verification failed: incorrect signature";

/**
 * sshsig_verify_fd(): checks namespace, hash algorithm and signature over `message`. Returns the parsed signature;
 * throws KeyFormatError whose `detail` is sshsig.c's error line. ML-DSA-44+Ed25519 signatures need verifySshsigAsync.
 */
export function verifySshsig(blob: Uint8Array, message: Uint8Array, namespace: string): Sshsig {
  const v = prepareVerify(blob, message, namespace);
  const spec = signatureSpec(v.alg);
  if (spec === undefined || spec.keyType !== v.plain || !spec.verify(v.verifyKey, v.tbs, v.sig.signature)) throw new KeyFormatError("signature-invalid", BAD_SIGNATURE);
  return v.sig;
}

/** verifySshsig for every key type we know, ML-DSA-44+Ed25519 included. */
export async function verifySshsigAsync(blob: Uint8Array, message: Uint8Array, namespace: string): Promise<Sshsig> {
  const v = prepareVerify(blob, message, namespace);
  const spec = signatureSpec(v.alg);
  const typeOk = v.alg === MLDSA44_ED25519 ? v.plain === MLDSA44_ED25519 : spec !== undefined && spec.keyType === v.plain;
  if (!typeOk || !(await verifyAsync(v.alg, v.verifyKey, v.tbs, v.sig.signature))) throw new KeyFormatError("signature-invalid", BAD_SIGNATURE);
  return v.sig;
}

/** One allowed_signers line. */
export interface AllowedSigner {
  readonly line: number;
  /** Comma-separated principal patterns. */
  readonly principals: string;
  readonly certAuthority: boolean;
  readonly namespaces: string | undefined;
  readonly validAfter: bigint | undefined;
  readonly validBefore: bigint | undefined;
  readonly blob: Uint8Array;
}

/** misc.c parse_absolute_time for allowed_signers times: YYYYMMDD[HHMM[SS]], local time or UTC with Z. */
function absoluteTime(s: string): bigint | null {
  const utc = /[Zz]$/.test(s);
  const d = utc ? s.slice(0, -1) : s;
  if (!/^\d{8}(\d{4}(\d{2})?)?$/.test(d)) return null;
  const n = (a: number, b: number): number => Number(d.slice(a, b) || "0");
  const args = [n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14)] as const;
  const ms = utc ? Date.UTC(...args) : new Date(...args).getTime();
  return Number.isFinite(ms) ? BigInt(Math.floor(ms / 1000)) : null;
}

/** Parses allowed_signers text; bad lines are returned in `errors` with sshsig.c's wording (`path:line: …`, path added by the caller). */
export function parseAllowedSigners(text: string): { signers: AllowedSigner[]; errors: { line: number; message: string }[] } {
  const signers: AllowedSigner[] = [];
  const errors: { line: number; message: string }[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const s = raw.replace(/\r$/, "").replace(/^[ \t]+/, "");
    if (s === "" || s.startsWith("#")) return;
    const m = /^(\S+)[ \t]+(.*)$/.exec(s);
    if (m === null) return void errors.push({ line, message: "invalid line" });
    const principals = m[1]!;
    let rest = m[2]!;
    let certAuthority = false;
    let namespaces: string | undefined;
    let validAfter: bigint | undefined;
    let validBefore: bigint | undefined;
    let keyLine: ReturnType<typeof parsePublicKeyLine> | null = null;
    try {
      keyLine = parsePublicKeyLine(rest);
    } catch {
      // options first: name or name="value", comma-separated, up to the first unquoted blank
      const opts: { name: string; value?: string }[] = [];
      let j = 0;
      for (;;) {
        const nm = /^[A-Za-z0-9-]+/.exec(rest.slice(j));
        if (nm === null) return void errors.push({ line, message: "invalid options" });
        j += nm[0].length;
        let value: string | undefined;
        if (rest[j] === "=" && rest[j + 1] === '"') {
          const close = rest.indexOf('"', j + 2);
          if (close < 0) return void errors.push({ line, message: "invalid options" });
          value = rest.slice(j + 2, close);
          j = close + 1;
        }
        opts.push({ name: nm[0].toLowerCase(), value });
        if (rest[j] === ",") {
          j++;
          continue;
        }
        break;
      }
      rest = rest.slice(j).replace(/^[ \t]+/, "");
      for (const o of opts) {
        if (o.name === "cert-authority" && o.value === undefined) certAuthority = true;
        else if (o.name === "namespaces" && o.value !== undefined) namespaces = o.value;
        else if ((o.name === "valid-after" || o.name === "valid-before") && o.value !== undefined) {
          const t = absoluteTime(o.value);
          if (t === null) return void errors.push({ line, message: `bad options: invalid ${o.name} time` });
          if (o.name === "valid-after") validAfter = t;
          else validBefore = t;
        } else return void errors.push({ line, message: `bad options: unknown option ${o.name}` });
      }
      if (rest === "") return void errors.push({ line, message: "missing key" });
      try {
        keyLine = parsePublicKeyLine(rest);
      } catch {
        return void errors.push({ line, message: "invalid key" });
      }
    }
    signers.push({ line, principals, certAuthority, namespaces, validAfter, validBefore, blob: keyLine.blob });
  });
  return { signers, errors };
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** Whether `signer` covers `key` (the signing key or certificate) at `now` for `namespace`; the principal is checked by callers. */
function signerCovers(signer: AllowedSigner, key: Uint8Array, namespace: string | undefined, now: bigint, principal: string | undefined): boolean {
  const info = describePublicKey(key);
  if (!signer.certAuthority) {
    if (!same(signer.blob, key)) return false; // sshkey_equal: a listed certificate matches only itself
  } else if (info.row.certificate) {
    let cert: Certificate;
    try {
      cert = parseCertificate(key);
    } catch {
      return false;
    }
    if (!same(cert.signatureKey, signer.blob) || cert.certType !== SSH2_CERT_TYPE_USER) return false;
    if (now < cert.validAfter || now >= cert.validBefore) return false;
    if (principal !== undefined && cert.principals.length > 0 && !cert.principals.includes(principal)) return false;
  } else {
    return false; // a cert-authority line never matches a plain key
  }
  if (namespace !== undefined && signer.namespaces !== undefined && matchPatternList(namespace, signer.namespaces) !== 1) return false;
  if (signer.validAfter !== undefined && now < signer.validAfter) return false;
  if (signer.validBefore !== undefined && now > signer.validBefore) return false;
  return true;
}

/** sshsig_check_allowed_keys(): is `key` allowed for `principal` and `namespace` at `now` (seconds)? */
export function allowedSignerMatches(signers: readonly AllowedSigner[], key: Uint8Array, principal: string, namespace: string, now: bigint): boolean {
  return signers.some((s) => matchPatternList(principal, s.principals) === 1 && signerCovers(s, key, namespace, now, principal));
}

/** sshsig_find_principals(): the principal fields of every line that allows `key` (no namespace check, as OpenSSH). */
export function findSignerPrincipals(signers: readonly AllowedSigner[], key: Uint8Array, now: bigint): string[] {
  const out: string[] = [];
  for (const s of signers) {
    if (!signerCovers(s, key, undefined, now, undefined)) continue;
    if (!s.certAuthority) {
      out.push(s.principals);
      continue;
    }
    // cert_filter_principals(): the certificate's principals that the line's patterns match.
    const cert = parseCertificate(key);
    const found: string[] = [];
    for (const pattern of s.principals.split(",")) {
      if (pattern === "") break;
      for (const p of cert.principals) if (matchPatternList(p, pattern) === 1) found.push(p);
    }
    if (found.length > 0) out.push(found.join(","));
  }
  return out;
}

/** sshsig_match_principals(): the principal patterns of lines matching `principal`. */
export function matchSignerPrincipals(signers: readonly AllowedSigner[], principal: string): string[] {
  return signers.filter((s) => matchPatternList(principal, s.principals) === 1).map((s) => s.principals);
}

