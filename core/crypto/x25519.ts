// X25519 (RFC 7748) through node:crypto, and the curve25519-sha256 key exchanges (RFC 8731, OpenSSH kexc25519.c).
// Raw 32-byte keys cross the node:crypto boundary through fixed DER prefixes (PKCS#8 / SPKI with OID 1.3.101.110).
import { createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";
import { encodeMpint } from "./ssh-encoding.ts";
import { type KexAgreementSpec, type KexClientState, KexError } from "./types.ts";

/** Bytes of an X25519 public key, private scalar and shared secret (RFC 7748 §5). */
export const X25519_BYTES = 32;

// RFC 8410: PrivateKeyInfo{v0, AlgorithmIdentifier{1.3.101.110}, OCTET STRING{OCTET STRING(32)}} and SubjectPublicKeyInfo.
const PKCS8_PREFIX = Uint8Array.from(Buffer.from("302e020100300506032b656e04220420", "hex"));
const SPKI_PREFIX = Uint8Array.from(Buffer.from("302a300506032b656e032100", "hex"));

/** An ephemeral X25519 key pair: the private key stays a node:crypto KeyObject, the public key is the raw u-coordinate. */
export interface X25519KeyPair {
  readonly privateKey: KeyObject;
  /** Raw 32-byte public key (fresh buffer, owned by the caller). */
  readonly publicKey: Uint8Array;
}

/** Generates an ephemeral key pair (node:crypto RNG). */
export function x25519Generate(): X25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  const spki = publicKey.export({ format: "der", type: "spki" });
  return { privateKey, publicKey: Uint8Array.from(spki.subarray(spki.length - X25519_BYTES)) };
}

/** Imports a raw 32-byte scalar (as given; X25519 clamps it itself, RFC 7748 §5). */
export function x25519PrivateKeyFromRaw(scalar: Uint8Array): KeyObject {
  if (scalar.length !== X25519_BYTES) throw new KexError(`X25519 private key is ${scalar.length} bytes, expected 32`);
  const der = new Uint8Array(PKCS8_PREFIX.length + X25519_BYTES);
  der.set(PKCS8_PREFIX);
  der.set(scalar, PKCS8_PREFIX.length);
  return createPrivateKey({ key: Buffer.from(der.buffer), format: "der", type: "pkcs8" });
}

/** Raw 32-byte public key of a private key (X25519(k, 9)). */
export function x25519PublicFromPrivate(privateKey: KeyObject): Uint8Array {
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return Uint8Array.from(spki.subarray(spki.length - X25519_BYTES));
}

/**
 * X25519(priv, peerPub): the raw 32-byte shared secret (fresh buffer). `priv` is a KeyObject from x25519Generate or a raw
 * scalar. Throws KexError when the peer key is not 32 bytes or the result is all zeros (RFC 7748 §6.1, RFC 8731 §3:
 * low-order points; OpenSSH kexc25519_shared_key_ext refuses it for the plain and the hybrid exchanges alike).
 * Non-canonical u ≥ 2^255-19 and a set top bit are accepted as RFC 7748 §5 says (top bit masked, u reduced).
 */
export function x25519Shared(priv: KeyObject | Uint8Array, peerPub: Uint8Array): Uint8Array {
  if (peerPub.length !== X25519_BYTES) throw new KexError(`X25519 public key is ${peerPub.length} bytes, expected 32`);
  const privateKey = priv instanceof Uint8Array ? x25519PrivateKeyFromRaw(priv) : priv;
  const der = new Uint8Array(SPKI_PREFIX.length + X25519_BYTES);
  der.set(SPKI_PREFIX);
  der.set(peerPub, SPKI_PREFIX.length);
  let shared: Buffer;
  try {
    const publicKey = createPublicKey({ key: Buffer.from(der.buffer), format: "der", type: "spki" });
    // BoringSSL itself fails on an all-zero result; the explicit check below keeps the rule independent of the library.
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    throw new KexError("X25519 peer public key is invalid or of low order (all-zero shared secret)");
  }
  let acc = 0;
  for (let i = 0; i < shared.length; i++) acc |= shared[i]!;
  if (acc === 0 || shared.length !== X25519_BYTES) {
    throw new KexError("X25519 peer public key is invalid or of low order (all-zero shared secret)");
  }
  return Uint8Array.from(shared);
}

/** RFC 8731 §3: both sides send 32 bytes; K is the X25519 output read as a big-endian integer, encoded as mpint. */
function curve25519Spec(name: string): KexAgreementSpec {
  return {
    name,
    hash: "sha256",
    legacy: false,
    async clientInit(): Promise<KexClientState> {
      const pair = x25519Generate();
      let done = false;
      return {
        message: pair.publicKey,
        async finish(serverMessage: Uint8Array): Promise<Uint8Array> {
          if (done) throw new KexError(`${name}: client state already finished`);
          done = true;
          return encodeMpint(x25519Shared(pair.privateKey, serverMessage));
        },
      };
    },
    async serverRespond(clientMessage: Uint8Array): Promise<{ message: Uint8Array; sharedSecret: Uint8Array }> {
      if (clientMessage.length !== X25519_BYTES) {
        throw new KexError(`${name}: client key is ${clientMessage.length} bytes, expected 32`);
      }
      const pair = x25519Generate();
      return { message: pair.publicKey, sharedSecret: encodeMpint(x25519Shared(pair.privateKey, clientMessage)) };
    },
  };
}

/** curve25519-sha256 (RFC 8731). */
export const CURVE25519_SHA256: KexAgreementSpec = curve25519Spec("curve25519-sha256");
/** curve25519-sha256@libssh.org: the same exchange under its pre-RFC name (OpenSSH up to 7.3 only knows this one). */
export const CURVE25519_SHA256_LIBSSH: KexAgreementSpec = curve25519Spec("curve25519-sha256@libssh.org");

/** SHA-256 helper shared by the hybrid exchanges (one-shot). Returns a fresh buffer. */
export function sha256(...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return Uint8Array.from(h.digest());
}
