// ML-KEM-768 (FIPS 203) through WebCrypto (Bun: BoringSSL), and the hybrid mlkem768x25519-sha256
// (draft-ietf-sshm-mlkem-hybrid-kex, OpenSSH kexmlkem768x25519.c). Validated against the Wycheproof ML-KEM-768 files
// in test/unit/crypto/mlkem768.test.ts; bench/crypto-kex-sig.ts measures it.
import { x25519Generate, x25519Shared, X25519_BYTES, sha256 } from "./x25519.ts";
import { encodeString } from "./ssh-encoding.ts";
import { type KexAgreementSpec, type KexClientState, KexError } from "./types.ts";

/** FIPS 203 Table 3, ML-KEM-768 sizes. */
export const MLKEM768_PUBLIC_KEY_BYTES = 1184;
export const MLKEM768_CIPHERTEXT_BYTES = 1088;
export const MLKEM768_SHARED_BYTES = 32;
/** The 64-byte seed d ‖ z (FIPS 203 ML-KEM.KeyGen_internal) that WebCrypto's "raw-seed" format carries. */
export const MLKEM768_SEED_BYTES = 64;

const ALG = { name: "ML-KEM-768" } as const;

// The KEM methods are newer than the DOM typings in bun-types; describe just what we call.
interface KemSubtle {
  generateKey(alg: typeof ALG, extractable: boolean, usages: string[]): Promise<CryptoKeyPair>;
  importKey(format: string, data: Uint8Array, alg: typeof ALG, extractable: boolean, usages: string[]): Promise<CryptoKey>;
  exportKey(format: string, key: CryptoKey): Promise<ArrayBuffer>;
  encapsulateBits(alg: typeof ALG, key: CryptoKey): Promise<{ ciphertext: ArrayBuffer; sharedKey: ArrayBuffer }>;
  decapsulateBits(alg: typeof ALG, key: CryptoKey, ciphertext: Uint8Array): Promise<ArrayBuffer>;
}
const subtle = crypto.subtle as unknown as KemSubtle;

/** An ML-KEM-768 key pair: the decapsulation key stays inside WebCrypto. */
export interface Mlkem768KeyPair {
  readonly privateKey: CryptoKey;
  /** Encapsulation key ek, 1184 bytes (fresh buffer). */
  readonly publicKey: Uint8Array;
}

/** Generates a key pair (WebCrypto RNG). */
export async function mlkem768Generate(): Promise<Mlkem768KeyPair> {
  const pair = await subtle.generateKey(ALG, false, ["encapsulateBits", "decapsulateBits"]);
  return { privateKey: pair.privateKey, publicKey: new Uint8Array(await subtle.exportKey("raw-public", pair.publicKey)) };
}

/** Deterministic key pair from the 64-byte seed d ‖ z (FIPS 203 §7.1 KeyGen_internal); for tests and vectors. */
export async function mlkem768FromSeed(seed: Uint8Array): Promise<Mlkem768KeyPair> {
  if (seed.length !== MLKEM768_SEED_BYTES) throw new KexError(`ML-KEM-768 seed is ${seed.length} bytes, expected 64`);
  const privateKey = await subtle.importKey("raw-seed", seed, ALG, true, ["decapsulateBits"]);
  // The seed import yields only the private key; the encapsulation key is part of its JWK (`pub`).
  const jwk = (await crypto.subtle.exportKey("jwk", privateKey)) as { pub?: string };
  if (typeof jwk.pub !== "string") throw new KexError("ML-KEM-768: WebCrypto did not export the encapsulation key");
  return { privateKey, publicKey: Uint8Array.from(Buffer.from(jwk.pub, "base64url")) };
}

/**
 * FIPS 203 ML-KEM.Encaps with a fresh random m. Throws KexError when `ek` is not 1184 bytes or fails the FIPS 203 §7.2
 * modulus check (a coefficient ≥ q); OpenSSH's libcrux wrapper refuses the same keys. Returns fresh buffers.
 */
export async function mlkem768Encapsulate(ek: Uint8Array): Promise<{ ciphertext: Uint8Array; sharedKey: Uint8Array }> {
  if (ek.length !== MLKEM768_PUBLIC_KEY_BYTES) {
    throw new KexError(`ML-KEM-768 encapsulation key is ${ek.length} bytes, expected ${MLKEM768_PUBLIC_KEY_BYTES}`);
  }
  let key: CryptoKey;
  try {
    key = await subtle.importKey("raw-public", ek, ALG, false, ["encapsulateBits"]);
  } catch {
    throw new KexError("ML-KEM-768 encapsulation key is invalid (modulus check failed)");
  }
  const r = await subtle.encapsulateBits(ALG, key);
  return { ciphertext: new Uint8Array(r.ciphertext), sharedKey: new Uint8Array(r.sharedKey) };
}

/**
 * FIPS 203 ML-KEM.Decaps. A wrong-length ciphertext throws KexError; a well-sized but forged one yields the implicit-rejection
 * key (FIPS 203 §6.3), never an error, so the exchange simply ends with mismatched keys. Returns a fresh 32-byte buffer.
 */
export async function mlkem768Decapsulate(privateKey: CryptoKey, ciphertext: Uint8Array): Promise<Uint8Array> {
  if (ciphertext.length !== MLKEM768_CIPHERTEXT_BYTES) {
    throw new KexError(`ML-KEM-768 ciphertext is ${ciphertext.length} bytes, expected ${MLKEM768_CIPHERTEXT_BYTES}`);
  }
  return new Uint8Array(await subtle.decapsulateBits(ALG, privateKey, ciphertext));
}

const CLIENT_MESSAGE_BYTES = MLKEM768_PUBLIC_KEY_BYTES + X25519_BYTES;
const SERVER_MESSAGE_BYTES = MLKEM768_CIPHERTEXT_BYTES + X25519_BYTES;

/**
 * mlkem768x25519-sha256: client sends ek ‖ X25519 pub (1216 bytes), server answers ct ‖ X25519 pub (1120 bytes);
 * K = SHA-256(K_mlkem ‖ K_x25519), encoded as an SSH string (uint32 32 ‖ hash) for the exchange hash.
 * An all-zero X25519 result is refused here too (OpenSSH kexc25519_shared_key_ext).
 */
export const MLKEM768X25519_SHA256: KexAgreementSpec = {
  name: "mlkem768x25519-sha256",
  hash: "sha256",
  legacy: false,
  async clientInit(): Promise<KexClientState> {
    const kem = await mlkem768Generate();
    const ecdh = x25519Generate();
    const message = new Uint8Array(CLIENT_MESSAGE_BYTES);
    message.set(kem.publicKey);
    message.set(ecdh.publicKey, MLKEM768_PUBLIC_KEY_BYTES);
    let done = false;
    return {
      message,
      async finish(serverMessage: Uint8Array): Promise<Uint8Array> {
        if (done) throw new KexError("mlkem768x25519-sha256: client state already finished");
        done = true;
        if (serverMessage.length !== SERVER_MESSAGE_BYTES) {
          throw new KexError(`mlkem768x25519-sha256: server reply is ${serverMessage.length} bytes, expected ${SERVER_MESSAGE_BYTES}`);
        }
        const kemKey = await mlkem768Decapsulate(kem.privateKey, serverMessage.subarray(0, MLKEM768_CIPHERTEXT_BYTES));
        const ecdhKey = x25519Shared(ecdh.privateKey, serverMessage.subarray(MLKEM768_CIPHERTEXT_BYTES));
        return encodeString(sha256(kemKey, ecdhKey));
      },
    };
  },
  async serverRespond(clientMessage: Uint8Array): Promise<{ message: Uint8Array; sharedSecret: Uint8Array }> {
    if (clientMessage.length !== CLIENT_MESSAGE_BYTES) {
      throw new KexError(`mlkem768x25519-sha256: client key is ${clientMessage.length} bytes, expected ${CLIENT_MESSAGE_BYTES}`);
    }
    const { ciphertext, sharedKey } = await mlkem768Encapsulate(clientMessage.subarray(0, MLKEM768_PUBLIC_KEY_BYTES));
    const ecdh = x25519Generate();
    const ecdhKey = x25519Shared(ecdh.privateKey, clientMessage.subarray(MLKEM768_PUBLIC_KEY_BYTES));
    const message = new Uint8Array(SERVER_MESSAGE_BYTES);
    message.set(ciphertext);
    message.set(ecdh.publicKey, MLKEM768_CIPHERTEXT_BYTES);
    return { message, sharedSecret: encodeString(sha256(sharedKey, ecdhKey)) };
  },
};
