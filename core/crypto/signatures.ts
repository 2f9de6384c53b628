// Signature algorithms with their SSH wire encodings: ssh-ed25519 (RFC 8709), ecdsa-sha2-nistp256/384/521 (RFC 5656 §3.1),
// rsa-sha2-256/512 (RFC 8332) and the legacy ssh-rsa (RFC 4253 §6.6, SHA-1). Checks follow OpenSSH ssh-ed25519.c,
// ssh-ecdsa.c and ssh-rsa.c: exact type names, no trailing bytes, RSA ≥ 1024 bits and short signatures left-padded.
import { createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from "node:crypto";
import { BlobReader, concatBytes, encodeMpint, encodeString, leftPad, SshEncodingError } from "./ssh-encoding.ts";

/** Hash inside the signature scheme (Ed25519 has its own SHA-512 and takes none). */
export type SignatureHash = "sha1" | "sha256" | "sha384" | "sha512" | null;

/** One signature algorithm as negotiated (server-sig-algs, HostKeyAlgorithms, PubkeyAcceptedAlgorithms). */
export interface SignatureSpec {
  /** The signature algorithm name, exactly as on the wire and inside the signature blob. */
  readonly name: string;
  /** The public key blob's type name (RFC 8332: rsa-sha2-256 signs with an "ssh-rsa" key). */
  readonly keyType: string;
  readonly hash: SignatureHash;
  /** Negotiable only when configured explicitly (ssh-rsa with SHA-1), never in a default proposal. */
  readonly legacy: boolean;
  /**
   * Checks `signatureBlob` (string name ‖ algorithm fields) over `data` with the key in `publicKeyBlob` (string type ‖ fields).
   * Returns false for a bad signature and for every malformed, mismatched or unsupported input; never throws.
   */
  verify(publicKeyBlob: Uint8Array, data: Uint8Array, signatureBlob: Uint8Array): boolean;
  /** Signs `data` and returns the SSH signature blob (fresh buffer). Throws SshEncodingError when the key does not fit this algorithm. */
  sign(privateKey: KeyObject, data: Uint8Array): Uint8Array;
}

/** OpenSSH SSH_RSA_MINIMUM_MODULUS_SIZE. */
export const RSA_MIN_MODULUS_BITS = 1024;
/** OpenSSH SSHBUF_MAX_BIGNUM × 8: the largest RSA modulus a blob may carry. */
export const RSA_MAX_MODULUS_BITS = 16384;

type EcdsaKeyType = "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384" | "ecdsa-sha2-nistp521";
interface EcCurve {
  readonly keyType: EcdsaKeyType;
  readonly sshCurve: string; // nistpN
  readonly jwkCurve: "P-256" | "P-384" | "P-521";
  readonly fieldBytes: number;
  readonly hash: "sha256" | "sha384" | "sha512";
  /** SubjectPublicKeyInfo DER up to the point (RFC 5480: id-ecPublicKey + the named curve), for a fast import. */
  readonly spkiPrefix: Uint8Array;
}
const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, "hex"));
const EC_CURVES: readonly EcCurve[] = [
  { keyType: "ecdsa-sha2-nistp256", sshCurve: "nistp256", jwkCurve: "P-256", fieldBytes: 32, hash: "sha256",
    spkiPrefix: hex("3059301306072a8648ce3d020106082a8648ce3d030107034200") },
  { keyType: "ecdsa-sha2-nistp384", sshCurve: "nistp384", jwkCurve: "P-384", fieldBytes: 48, hash: "sha384",
    spkiPrefix: hex("3076301006072a8648ce3d020106052b81040022036200") },
  { keyType: "ecdsa-sha2-nistp521", sshCurve: "nistp521", jwkCurve: "P-521", fieldBytes: 66, hash: "sha512",
    spkiPrefix: hex("30819b301006072a8648ce3d020106052b8104002303818600") },
];

// RFC 8410 SubjectPublicKeyInfo prefix for a raw 32-byte Ed25519 key (OID 1.3.101.112).
const ED25519_SPKI_PREFIX = Uint8Array.from(Buffer.from("302a300506032b6570032100", "hex"));

const b64u = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
const fromB64u = (s: string | undefined): Uint8Array => {
  if (s === undefined) throw new SshEncodingError("key export lacks a field");
  return Uint8Array.from(Buffer.from(s, "base64url"));
};

/** A parsed SSH public key blob. */
export type SshPublicKey =
  | { readonly type: "ssh-ed25519"; readonly publicKey: Uint8Array }
  | { readonly type: EcdsaKeyType; readonly curve: string; readonly q: Uint8Array }
  | { readonly type: "ssh-rsa"; readonly e: Uint8Array; readonly n: Uint8Array };

/**
 * Parses a public key blob (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4) into its fields (views into `blob`), without
 * building a key. Throws SshEncodingError for unknown types, truncation, trailing bytes, a curve name that does not match
 * the type (OpenSSH: SSH_ERR_EC_CURVE_MISMATCH), a non-uncompressed point, or an RSA modulus outside 1024..16384 bits.
 */
export function parsePublicKeyBlob(blob: Uint8Array): SshPublicKey {
  const r = new BlobReader(blob);
  const type = r.text();
  if (type === "ssh-ed25519") {
    const publicKey = r.string();
    r.end();
    if (publicKey.length !== 32) throw new SshEncodingError("ssh-ed25519 key is not 32 bytes");
    return { type, publicKey };
  }
  const curve = EC_CURVES.find((c) => c.keyType === type);
  if (curve !== undefined) {
    const name = r.text();
    const q = r.string();
    r.end();
    if (name !== curve.sshCurve) throw new SshEncodingError(`${type} key names curve ${JSON.stringify(name)}`);
    if (q.length !== 1 + 2 * curve.fieldBytes || q[0] !== 0x04) throw new SshEncodingError(`${type} point is not uncompressed`);
    return { type: curve.keyType, curve: name, q };
  }
  if (type === "ssh-rsa") {
    const e = r.mpint();
    const n = r.mpint();
    r.end();
    const bits = n.length === 0 ? 0 : (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
    if (bits < RSA_MIN_MODULUS_BITS) throw new SshEncodingError(`RSA modulus of ${bits} bits is below ${RSA_MIN_MODULUS_BITS}`);
    if (bits > RSA_MAX_MODULUS_BITS) throw new SshEncodingError(`RSA modulus of ${bits} bits is too large`);
    if (e.length === 0 || (e[e.length - 1]! & 1) === 0) throw new SshEncodingError("RSA public exponent is invalid");
    return { type, e, n };
  }
  throw new SshEncodingError(`unsupported public key type ${JSON.stringify(type)}`);
}

/**
 * Builds a node:crypto public KeyObject from an SSH public key blob. Throws SshEncodingError for a malformed blob, an
 * off-curve ECDSA point or an RSA key BoringSSL refuses.
 */
export function publicKeyObjectFromBlob(blob: Uint8Array): KeyObject {
  const k = parsePublicKeyBlob(blob);
  try {
    switch (k.type) {
      case "ssh-ed25519":
        return createPublicKey({ key: Buffer.from(concatBytes(ED25519_SPKI_PREFIX, k.publicKey)), format: "der", type: "spki" });
      case "ssh-rsa":
        return createPublicKey({ key: { kty: "RSA", n: b64u(k.n), e: b64u(k.e) }, format: "jwk" });
      default: {
        // SPKI DER rather than JWK: 1.2 µs against 8 µs per import; BoringSSL checks the point is on the curve either way.
        const c = EC_CURVES.find((x) => x.keyType === k.type)!;
        return createPublicKey({ key: Buffer.from(concatBytes(c.spkiPrefix, k.q)), format: "der", type: "spki" });
      }
    }
  } catch (e) {
    throw new SshEncodingError(`${k.type} public key is invalid`, { cause: e });
  }
}

/** Encodes a node:crypto public (or private: its public half is used) Ed25519, P-256/384/521 or RSA key as an SSH blob. */
export function blobFromPublicKeyObject(key: KeyObject): Uint8Array {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const jwk = pub.export({ format: "jwk" });
  switch (pub.asymmetricKeyType) {
    case "ed25519":
      return concatBytes(encodeString("ssh-ed25519"), encodeString(fromB64u(jwk.x)));
    case "rsa":
      return concatBytes(encodeString("ssh-rsa"), encodeMpint(fromB64u(jwk.e)), encodeMpint(fromB64u(jwk.n)));
    case "ec": {
      const c = EC_CURVES.find((x) => x.jwkCurve === jwk.crv);
      if (c === undefined) throw new SshEncodingError(`unsupported EC curve ${String(jwk.crv)}`);
      const q = concatBytes(Uint8Array.of(4), leftPad(fromB64u(jwk.x), c.fieldBytes), leftPad(fromB64u(jwk.y), c.fieldBytes));
      return concatBytes(encodeString(c.keyType), encodeString(c.sshCurve), encodeString(q));
    }
    default:
      throw new SshEncodingError(`unsupported key type ${String(pub.asymmetricKeyType)}`);
  }
}

/** Parses the outer `string name ‖ string body` of a signature blob; null when malformed or named otherwise. */
function signatureBody(signatureBlob: Uint8Array, name: string): Uint8Array | null {
  const r = new BlobReader(signatureBlob);
  if (r.text() !== name) return null; // OpenSSH: SSH_ERR_KEY_TYPE_MISMATCH / SIGNATURE_INVALID
  const body = r.string();
  r.end();
  return body;
}

/** Runs `f`, mapping any throw (malformed blob, BoringSSL refusing a key) to false. */
function safely(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

function publicKeyOfType(publicKeyBlob: Uint8Array, keyType: string): KeyObject | null {
  const r = new BlobReader(publicKeyBlob);
  if (r.text() !== keyType) return null;
  return publicKeyObjectFromBlob(publicKeyBlob);
}

function requireKey(privateKey: KeyObject, asymmetricKeyType: string, spec: string): void {
  if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== asymmetricKeyType) {
    throw new SshEncodingError(`${spec} needs a private ${asymmetricKeyType} key`);
  }
}

/** ssh-ed25519 (RFC 8709 §6): signature blob = string "ssh-ed25519" ‖ string sig(64). */
export const SSH_ED25519: SignatureSpec = {
  name: "ssh-ed25519",
  keyType: "ssh-ed25519",
  hash: null,
  legacy: false,
  verify(publicKeyBlob, data, signatureBlob) {
    return safely(() => {
      const sig = signatureBody(signatureBlob, "ssh-ed25519");
      if (sig === null || sig.length !== 64) return false; // ssh-ed25519.c: len > crypto_sign_ed25519_BYTES refused, so is shorter
      const key = publicKeyOfType(publicKeyBlob, "ssh-ed25519");
      // BoringSSL's ED25519_verify refuses S ≥ L (RFC 8032 §5.1.7) and undecodable points.
      return key !== null && nodeVerify(null, data, key, sig);
    });
  },
  sign(privateKey, data) {
    requireKey(privateKey, "ed25519", "ssh-ed25519");
    return concatBytes(encodeString("ssh-ed25519"), encodeString(nodeSign(null, data, privateKey)));
  },
};

function ecdsaSpec(c: EcCurve): SignatureSpec {
  return {
    name: c.keyType,
    keyType: c.keyType,
    hash: c.hash,
    legacy: false,
    verify(publicKeyBlob, data, signatureBlob) {
      return safely(() => {
        const body = signatureBody(signatureBlob, c.keyType);
        if (body === null) return false;
        // RFC 5656 §3.1.2: the body is mpint r ‖ mpint s (ssh-ecdsa.c refuses trailing bytes and negative values).
        const r = new BlobReader(body);
        const rr = r.mpint();
        const ss = r.mpint();
        r.end();
        // r, s ∈ [1, n-1]; n has the field's byte length, so anything longer is out of range. Zero and r, s ≥ n are
        // refused by BoringSSL's ECDSA_do_verify.
        if (rr.length === 0 || ss.length === 0 || rr.length > c.fieldBytes || ss.length > c.fieldBytes) return false;
        const key = publicKeyOfType(publicKeyBlob, c.keyType);
        if (key === null) return false;
        const p1363 = concatBytes(leftPad(rr, c.fieldBytes), leftPad(ss, c.fieldBytes));
        return nodeVerify(c.hash, data, { key, dsaEncoding: "ieee-p1363" }, p1363);
      });
    },
    sign(privateKey, data) {
      requireKey(privateKey, "ec", c.keyType);
      const jwkCrv = privateKey.asymmetricKeyDetails?.namedCurve;
      const expected = { "P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1" }[c.jwkCurve];
      if (jwkCrv !== undefined && jwkCrv !== expected && jwkCrv !== c.jwkCurve) {
        throw new SshEncodingError(`${c.keyType} needs a ${c.jwkCurve} key, not ${jwkCrv}`);
      }
      const sig = nodeSign(c.hash, data, { key: privateKey, dsaEncoding: "ieee-p1363" });
      if (sig.length !== 2 * c.fieldBytes) throw new SshEncodingError(`${c.keyType} needs a ${c.jwkCurve} key`);
      const rs = concatBytes(encodeMpint(sig.subarray(0, c.fieldBytes)), encodeMpint(sig.subarray(c.fieldBytes)));
      return concatBytes(encodeString(c.keyType), encodeString(rs));
    },
  };
}

/** ecdsa-sha2-nistp256 (RFC 5656, SHA-256). */
export const ECDSA_SHA2_NISTP256: SignatureSpec = ecdsaSpec(EC_CURVES[0]!);
/** ecdsa-sha2-nistp384 (RFC 5656, SHA-384). */
export const ECDSA_SHA2_NISTP384: SignatureSpec = ecdsaSpec(EC_CURVES[1]!);
/** ecdsa-sha2-nistp521 (RFC 5656, SHA-512). */
export const ECDSA_SHA2_NISTP521: SignatureSpec = ecdsaSpec(EC_CURVES[2]!);

function rsaSpec(name: string, hash: "sha1" | "sha256" | "sha512", legacy: boolean): SignatureSpec {
  return {
    name,
    keyType: "ssh-rsa",
    hash,
    legacy,
    verify(publicKeyBlob, data, signatureBlob) {
      return safely(() => {
        // ssh-rsa.c: the blob's name must be the negotiated one (an rsa-sha2-512 blob does not pass as rsa-sha2-256).
        const sig = signatureBody(signatureBlob, name);
        if (sig === null || sig.length === 0) return false;
        const parsed = parsePublicKeyBlob(publicKeyBlob);
        if (parsed.type !== "ssh-rsa") return false;
        const modBytes = parsed.n.length;
        // ssh-rsa.c: longer than the modulus is refused, shorter is left-padded with zeros (some signers drop leading zeros).
        if (sig.length > modBytes) return false;
        const key = publicKeyObjectFromBlob(publicKeyBlob);
        // BoringSSL's RSA_verify rebuilds the full DigestInfo (with its NULL parameter) and compares, as OpenSSH does.
        return nodeVerify(hash, data, key, leftPad(sig, modBytes));
      });
    },
    sign(privateKey, data) {
      requireKey(privateKey, "rsa", name);
      const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < RSA_MIN_MODULUS_BITS) throw new SshEncodingError(`RSA key of ${bits} bits is below ${RSA_MIN_MODULUS_BITS}`);
      // PKCS#1 v1.5 output is always exactly the modulus length.
      return concatBytes(encodeString(name), encodeString(nodeSign(hash, data, privateKey)));
    },
  };
}

/** rsa-sha2-256 (RFC 8332). */
export const RSA_SHA2_256: SignatureSpec = rsaSpec("rsa-sha2-256", "sha256", false);
/** rsa-sha2-512 (RFC 8332). */
export const RSA_SHA2_512: SignatureSpec = rsaSpec("rsa-sha2-512", "sha512", false);
/** ssh-rsa (RFC 4253 §6.6): PKCS#1 v1.5 with SHA-1; legacy, used only where configured (OpenSSH ≥ 8.8 disables it by default). */
export const SSH_RSA: SignatureSpec = rsaSpec("ssh-rsa", "sha1", true);

/** Every signature algorithm, in OpenSSH's default preference order (legacy last). */
export const SIGNATURE_SPECS: readonly SignatureSpec[] = [
  SSH_ED25519,
  ECDSA_SHA2_NISTP256,
  ECDSA_SHA2_NISTP384,
  ECDSA_SHA2_NISTP521,
  RSA_SHA2_512,
  RSA_SHA2_256,
  SSH_RSA,
];

/** The row for a signature algorithm name, or undefined. */
export function signatureSpec(name: string): SignatureSpec | undefined {
  return SIGNATURE_SPECS.find((s) => s.name === name);
}
