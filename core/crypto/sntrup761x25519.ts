// sntrup761x25519-sha512 and its older name sntrup761x25519-sha512@openssh.com (OpenSSH kexsntrup761x25519.c, PROTOCOL;
// draft-josefsson-ntruprime-ssh): a hybrid of the sntrup761 KEM and X25519 whose shared secret is
// K = string(SHA-512(sntrup761 key ‖ X25519 shared secret)) in the exchange hash.
import { createHash, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from "node:crypto";
import {
  SNTRUP761_CIPHERTEXT_BYTES,
  SNTRUP761_PUBLIC_KEY_BYTES,
  sntrup761Decapsulate,
  sntrup761Encapsulate,
  sntrup761Keypair,
  type RandomSource,
} from "./sntrup761.ts";
import { type KexAgreementSpec, type KexClientState, KexError } from "./types.ts";

const X25519_BYTES = 32;
/** Client message: sntrup761 public key ‖ X25519 public key. */
const CLIENT_MESSAGE_BYTES = SNTRUP761_PUBLIC_KEY_BYTES + X25519_BYTES; // 1190
/** Server message: sntrup761 ciphertext ‖ X25519 public key. */
const SERVER_MESSAGE_BYTES = SNTRUP761_CIPHERTEXT_BYTES + X25519_BYTES; // 1071

const PKCS8_X25519_PREFIX = Uint8Array.from(Buffer.from("302e020100300506032b656e04220420", "hex"));
const SPKI_X25519_PREFIX = Uint8Array.from(Buffer.from("302a300506032b656e032100", "hex"));

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** An X25519 key pair from 32 random bytes (the private scalar as RFC 7748 takes it; clamping happens inside X25519). */
function x25519Keypair(random: RandomSource): { privateKey: KeyObject; publicKey: Uint8Array } {
  const scalar = random(X25519_BYTES);
  if (scalar.length !== X25519_BYTES) throw new RangeError(`random source returned ${scalar.length} bytes, wanted 32`);
  const der = concat(PKCS8_X25519_PREFIX, scalar);
  const privateKey = createPrivateKey({ key: Buffer.from(der.buffer, der.byteOffset, der.length), format: "der", type: "pkcs8" });
  der.fill(0);
  scalar.fill(0);
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return { privateKey, publicKey: new Uint8Array(spki.subarray(SPKI_X25519_PREFIX.length)) };
}

/** X25519(ours, theirs); KexError when the peer's point gives the all-zero secret (kexc25519.c, RFC 7748 §6.1). */
function x25519Shared(privateKey: KeyObject, peer: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    const publicKey = createPublicKey({ key: Buffer.from(concat(SPKI_X25519_PREFIX, peer)), format: "der", type: "spki" });
    shared = new Uint8Array(diffieHellman({ privateKey, publicKey }));
  } catch (cause) {
    // BoringSSL/OpenSSL refuse a low-order point (all-zero result) by failing the derive
    throw new KexError("X25519 public key is of low order", { cause });
  }
  let any = 0;
  for (const b of shared) any |= b;
  if (shared.length !== X25519_BYTES || any === 0) throw new KexError("X25519 public key is of low order");
  return shared;
}

/** K as it enters the exchange hash: string(SHA-512(kemKey ‖ ecdhKey)), i.e. uint32 64 ‖ the digest. */
function encodeSharedSecret(kemKey: Uint8Array, ecdhKey: Uint8Array): Uint8Array {
  const digest = createHash("sha512").update(kemKey).update(ecdhKey).digest();
  const out = new Uint8Array(4 + digest.length);
  new DataView(out.buffer).setUint32(0, digest.length);
  out.set(digest, 4);
  digest.fill(0);
  kemKey.fill(0);
  ecdhKey.fill(0);
  return out;
}

function systemRandom(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * A registry row for `name`, drawing randomness from `random` in OpenSSH's order (client: sntrup761 keypair then the
 * X25519 scalar; server: encapsulation then the X25519 scalar), so tests can replay it from a seeded stream.
 */
export function sntrup761X25519Spec(name: string, random: RandomSource = systemRandom): KexAgreementSpec {
  return {
    name,
    hash: "sha512",
    legacy: false,
    async clientInit(): Promise<KexClientState> {
      const kem = sntrup761Keypair(random);
      const ecdh = x25519Keypair(random);
      let secretKey: Uint8Array | null = kem.secretKey;
      return {
        message: concat(kem.publicKey, ecdh.publicKey),
        async finish(serverMessage: Uint8Array): Promise<Uint8Array> {
          if (secretKey === null) throw new KexError("sntrup761x25519 client state already finished");
          if (serverMessage.length !== SERVER_MESSAGE_BYTES) {
            throw new KexError(`sntrup761x25519 server reply is ${serverMessage.length} bytes, expected ${SERVER_MESSAGE_BYTES}`);
          }
          const kemKey = sntrup761Decapsulate(serverMessage.subarray(0, SNTRUP761_CIPHERTEXT_BYTES), secretKey);
          secretKey.fill(0);
          secretKey = null;
          const ecdhKey = x25519Shared(ecdh.privateKey, serverMessage.subarray(SNTRUP761_CIPHERTEXT_BYTES));
          return encodeSharedSecret(kemKey, ecdhKey);
        },
      };
    },
    async serverRespond(clientMessage: Uint8Array): Promise<{ message: Uint8Array; sharedSecret: Uint8Array }> {
      if (clientMessage.length !== CLIENT_MESSAGE_BYTES) {
        throw new KexError(`sntrup761x25519 client key is ${clientMessage.length} bytes, expected ${CLIENT_MESSAGE_BYTES}`);
      }
      const kem = sntrup761Encapsulate(clientMessage.subarray(0, SNTRUP761_PUBLIC_KEY_BYTES), random);
      const ecdh = x25519Keypair(random);
      const ecdhKey = x25519Shared(ecdh.privateKey, clientMessage.subarray(SNTRUP761_PUBLIC_KEY_BYTES));
      return { message: concat(kem.ciphertext, ecdh.publicKey), sharedSecret: encodeSharedSecret(kem.sharedSecret, ecdhKey) };
    },
  };
}

/** The registry rows: the IANA name (OpenSSH 9.9+) first, then the name OpenSSH 8.5–9.8 offer. */
export const SNTRUP761_X25519_SPECS: KexAgreementSpec[] = [
  sntrup761X25519Spec("sntrup761x25519-sha512"),
  sntrup761X25519Spec("sntrup761x25519-sha512@openssh.com"),
];
