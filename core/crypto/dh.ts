// Finite-field Diffie-Hellman: diffie-hellman-group{14,16,18}-sha{256,512} (RFC 8268, RFC 3526 primes), the legacy
// group14-sha1 / group1-sha1 (RFC 4253 §8), and the math of diffie-hellman-group-exchange-sha256 (RFC 4419) over any (p, g).
// Public values are checked as OpenSSH's dh_pub_is_valid (dh.c); K is f^x mod p, encoded as mpint (RFC 4253 §8).
import { randomBytes } from "node:crypto";
import { bigintFromBytes, bytesFromBigint, encodeMpint } from "./ssh-encoding.ts";
import { type KexAgreementSpec, type KexClientState, KexError, type KexHash } from "./types.ts";

/** A prime-order-ish MODP group: safe prime p and generator g (as RFC 4419 GEX_GROUP carries them). */
export interface DhGroup {
  readonly p: bigint;
  readonly g: bigint;
  /** Bit length of p. */
  readonly bits: number;
}

/** OpenSSH dh.h: the group sizes a GEX client requests and a server accepts (RFC 4419 §3 recommends ≥ 1024, ≤ 8192). */
export const DH_GRP_MIN = 2048;
export const DH_GRP_MAX = 8192;

function modpGroup(hex: string, bits: number): DhGroup {
  const p = BigInt("0x" + hex);
  if (p.toString(2).length !== bits) throw new Error("MODP prime transcription error");
  return { p, g: 2n, bits };
}

// The primes are RFC constants (also in OpenSSH dh.c), checked against node:crypto's modp14/16/18 when written down.
// node:crypto's getDiffieHellman is not used at run time: in Bun it re-checks primality on every call (0.5 s for modp14,
// about 27 s for modp18).
/** RFC 2409 §6.2 Second Oakley Group (1024 bits), used only by the legacy diffie-hellman-group1-sha1. */
export const DH_GROUP1: DhGroup = modpGroup(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
  1024,
);
/** RFC 3526 §3, 2048-bit MODP group. */
export const DH_GROUP14: DhGroup = modpGroup(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF",
  2048,
);
/** RFC 3526 §5, 4096-bit MODP group. */
export const DH_GROUP16: DhGroup = modpGroup(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7" +
    "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6" +
    "287C59474E6BC05D99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9" +
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF",
  4096,
);
/** RFC 3526 §7, 8192-bit MODP group. */
export const DH_GROUP18: DhGroup = modpGroup(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7" +
    "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6" +
    "287C59474E6BC05D99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9" +
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C93402849236C3FAB4D27C7026C1D4DCB2602646DEC9751E763DBA37BD" +
    "F8FF9406AD9E530EE5DB382F413001AEB06A53ED9027D831179727B0865A8918DA3EDBEBCF9B14ED44CE6CBACED4BB1B" +
    "DB7F1447E6CC254B332051512BD7AF426FB8F401378CD2BF5983CA01C64B92ECF032EA15D1721D03F482D7CE6E74FEF6" +
    "D55E702F46980C82B5A84031900B1C9E59E7C97FBEC7E8F323A97A7E36CC88BE0F1D45B7FF585AC54BD407B22B4154AA" +
    "CC8F6D7EBF48E1D814CC5ED20F8037E0A79715EEF29BE32806A1D58BB7C5DA76F550AA3D8A1FBFF0EB19CCB1A313D55C" +
    "DA56C9EC2EF29632387FE8D76E3C0468043E8F663F4860EE12BF2D5B0B7474D6E694F91E6DBE115974A3926F12FEE5E4" +
    "38777CB6A932DF8CD8BEC4D073B931BA3BC832B68D9DD300741FA7BF8AFC47ED2576F6936BA424663AAB639C5AE4F568" +
    "3423B4742BF1C978238F16CBE39D652DE3FDB8BEFC848AD922222E04A4037C0713EB57A81A23F0C73473FC646CEA306B" +
    "4BCBC8862F8385DDFA9D4B7FA2C087E879683303ED5BDD3A062B3CF5B3A278A66D2A13F83F44F82DDF310EE074AB6A36" +
    "4597E899A0255DC164F31CC50846851DF9AB48195DED7EA1B1D510BD7EE74D73FAF36BC31ECFA268359046F4EB879F92" +
    "4009438B481C6CD7889A002ED5EE382BC9190DA6FC026E479558E4475677E9AA9E3050E2765694DFC81F56E880B96E71" +
    "60C980DD98EDD3DFFFFFFFFFFFFFFFFF",
  8192,
);

/**
 * OpenSSH dh_estimate: the GEX group size matching a symmetric strength of `bits` (NIST SP 800-57, capped by RFC 4419).
 * A client asks for dhEstimate(kex need × 8) bits, clamped to [DH_GRP_MIN, DH_GRP_MAX].
 */
export function dhEstimate(bits: number): number {
  if (bits <= 112) return 2048;
  if (bits <= 128) return 3072;
  if (bits <= 192) return 7680;
  return 8192;
}

/** The three numbers of SSH_MSG_KEX_DH_GEX_REQUEST (RFC 4419 §3), in bits. */
export interface GexRequest {
  readonly min: number;
  readonly n: number;
  readonly max: number;
}

/**
 * What an OpenSSH client asks for (kexgexc.c): n = dhEstimate(need × 8) where `needBytes` is the largest key, IV or MAC
 * length of the negotiated algorithms, between DH_GRP_MIN and DH_GRP_MAX.
 */
export function gexClientRequest(needBytes: number): GexRequest {
  return { min: DH_GRP_MIN, n: dhEstimate(needBytes * 8), max: DH_GRP_MAX };
}

/**
 * A server's check of a client's GEX_REQUEST (OpenSSH kexgexs.c): refuses max < min, n < min, max < n and max < DH_GRP_MIN
 * with KexError ("DH_GEX group out of range"), then clamps min, n and max into [DH_GRP_MIN, DH_GRP_MAX] for chooseModulus.
 * The exchange hash still takes the values as received.
 */
export function gexServerRange(request: GexRequest): GexRequest {
  const { min, n, max } = request;
  if (max < min || n < min || max < n || max < DH_GRP_MIN) {
    throw new KexError(`DH_GEX group out of range: min ${min}, n ${n}, max ${max}`);
  }
  return {
    min: Math.max(DH_GRP_MIN, min),
    n: Math.min(DH_GRP_MAX, Math.max(DH_GRP_MIN, n)),
    max: Math.min(DH_GRP_MAX, max),
  };
}

/** OpenSSH dh_new_group_fallback: the fixed group a GEX server uses when its moduli file is missing. */
export function dhFallbackGroup(max: number): DhGroup {
  if (max < 3072) return DH_GROUP14;
  if (max < 6144) return DH_GROUP16;
  return DH_GROUP18;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}
function popCount(n: bigint): number {
  let c = 0;
  for (const ch of n.toString(2)) if (ch === "1") c++;
  return c;
}

/**
 * OpenSSH dh_pub_is_valid: 1 < y < p-1 and at least 4 bits set (with g = 2, a y with one bit set has a trivial logarithm).
 * The RFC 4253 §8 range check alone is [1, p-1].
 */
export function dhPubIsValid(group: DhGroup, y: bigint): boolean {
  if (y <= 1n || y >= group.p - 1n) return false;
  return popCount(y) >= 4;
}

/**
 * Builds a group from GEX_GROUP's p and g (RFC 4419 §3) and applies the client's checks (OpenSSH kexgexc.c):
 * bits(p) within [min, max], p odd, 1 < g < p-1. Throws KexError otherwise. Primality is not tested (neither does OpenSSH:
 * proving an 8192-bit prime costs seconds; the server chose it from its moduli file).
 */
export function dhGroupFromWire(p: Uint8Array, g: Uint8Array, min: number = DH_GRP_MIN, max: number = DH_GRP_MAX): DhGroup {
  // Cheap bound first: a hostile GEX_GROUP may carry megabytes.
  if (p.length > max / 8 + 8 || g.length > p.length) throw new KexError(`DH_GEX group out of range: p of ${p.length} bytes`);
  const pn = bigintFromBytes(p);
  const gn = bigintFromBytes(g);
  const bits = bitLength(pn);
  if (bits < min || bits > max) throw new KexError(`DH_GEX group out of range: ${bits} !< ${min} !< ${max}`);
  if ((pn & 1n) === 0n) throw new KexError("DH_GEX prime is even");
  if (gn <= 1n || gn >= pn - 1n) throw new KexError("DH_GEX generator is invalid");
  return { p: pn, g: gn, bits };
}

/**
 * Window-5 left-to-right modular exponentiation over bigints. With base 2 (every RFC 3526 group and most moduli lines) the
 * window's multiplication is a shift. Not constant-time; used for ephemeral one-shot exponents only.
 */
function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  const w = 5;
  const b = base % mod;
  const two = b === 2n;
  const table: bigint[] = [1n, b];
  if (!two) for (let i = 2; i < 1 << w; i++) table.push((table[i - 1]! * b) % mod);
  const bits = exp.toString(2);
  let r = 1n;
  for (let i = 0; i < bits.length; ) {
    const take = Math.min(w, bits.length - i);
    for (let k = 0; k < take; k++) r = (r * r) % mod;
    const v = parseInt(bits.slice(i, i + take), 2);
    if (two) r = (r << BigInt(v)) % mod;
    else r = (r * table[v]!) % mod;
    i += take;
  }
  return r;
}

/**
 * Private exponent length: 512 bits (or bits(p) - 1 for smaller groups). OpenSSH dh_gen_key uses 2 × max(need, 256) bits,
 * so 512 with AES keys and 1024 with 64-byte chacha20-poly1305 / hmac-sha2-512 keys; 512 bits already give 256-bit
 * resistance to Pollard rho, above what any MODP group up to 8192 bits offers (about 200 bits, NIST SP 800-57 Table 2),
 * and halve the cost of the bigint modexp (bench/crypto-kex-sig.ts kex-round rows).
 */
function exponentBits(group: DhGroup): number {
  return Math.min(512, group.bits - 1);
}

/**
 * One side's ephemeral DH key, computed with bigints: node:crypto's DH costs a primality check per object in Bun (above).
 * The modexp is not constant-time; each exponent is used for one exchange and discarded (bench/crypto-kex-sig.ts: about
 * 2 ms per modexp at 2048 bits, 25 ms at 8192, on a shared 2-core EPYC).
 */
interface DhKey {
  readonly publicValue: bigint;
  shared(peer: bigint): bigint;
}

function newDhKey(group: DhGroup): DhKey {
  const xBits = exponentBits(group);
  for (;;) {
    const raw = randomBytes(Math.ceil(xBits / 8));
    let x = bigintFromBytes(raw) >> BigInt(raw.length * 8 - xBits);
    x |= 1n << BigInt(xBits - 1); // exactly xBits bits
    const y = modPow(group.g, x, group.p);
    if (dhPubIsValid(group, y)) return { publicValue: y, shared: (peer) => modPow(peer, x, group.p) };
  }
}

/** Parses and checks a peer's e or f (the raw mpint magnitude the transport read), throwing KexError as OpenSSH would. */
function peerValue(group: DhGroup, bytes: Uint8Array, what: string): bigint {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (bytes.length - start > Math.ceil(group.bits / 8)) throw new KexError(`invalid public DH value: ${what} too large`);
  const y = bigintFromBytes(bytes);
  if (!dhPubIsValid(group, y)) throw new KexError(`invalid public DH value: ${what} out of range or weak`);
  return y;
}

function sharedSecret(key: DhKey, peer: bigint): Uint8Array {
  const k = key.shared(peer);
  // With a valid peer value in a safe-prime group K is never 0 or 1; refuse anyway rather than hash a degenerate K.
  if (k <= 1n) throw new KexError("degenerate DH shared secret");
  return encodeMpint(bytesFromBigint(k));
}

/**
 * A KexAgreementSpec over one fixed group. The messages are the unsigned big-endian magnitudes of e and f (the transport
 * writes and reads them as mpint fields of KEXDH_INIT / KEXDH_REPLY or KEX_DH_GEX_INIT / REPLY; leading zeros are tolerated
 * on input). sharedSecret is the whole mpint K, length prefix included.
 */
export function dhAgreement(name: string, hash: KexHash, group: DhGroup, legacy: boolean): KexAgreementSpec {
  return {
    name,
    hash,
    legacy,
    async clientInit(): Promise<KexClientState> {
      const key = newDhKey(group);
      let done = false;
      return {
        message: bytesFromBigint(key.publicValue),
        async finish(serverMessage: Uint8Array): Promise<Uint8Array> {
          if (done) throw new KexError(`${name}: client state already finished`);
          done = true;
          return sharedSecret(key, peerValue(group, serverMessage, "f"));
        },
      };
    },
    async serverRespond(clientMessage: Uint8Array): Promise<{ message: Uint8Array; sharedSecret: Uint8Array }> {
      const e = peerValue(group, clientMessage, "e");
      const key = newDhKey(group);
      return { message: bytesFromBigint(key.publicValue), sharedSecret: sharedSecret(key, e) };
    },
  };
}

/**
 * diffie-hellman-group-exchange-sha256 once the group is settled (RFC 4419 §3: after GEX_REQUEST / GEX_GROUP, e and f flow
 * exactly as in RFC 4253 §8). The server picks `group` with chooseModulus (moduli.ts) or dhFallbackGroup; the client builds
 * it with dhGroupFromWire.
 */
export function gexAgreement(group: DhGroup): KexAgreementSpec {
  return dhAgreement("diffie-hellman-group-exchange-sha256", "sha256", group, false);
}

/** diffie-hellman-group14-sha256 (RFC 8268). */
export const DH_GROUP14_SHA256: KexAgreementSpec = dhAgreement("diffie-hellman-group14-sha256", "sha256", DH_GROUP14, false);
/** diffie-hellman-group16-sha512 (RFC 8268). */
export const DH_GROUP16_SHA512: KexAgreementSpec = dhAgreement("diffie-hellman-group16-sha512", "sha512", DH_GROUP16, false);
/** diffie-hellman-group18-sha512 (RFC 8268). */
export const DH_GROUP18_SHA512: KexAgreementSpec = dhAgreement("diffie-hellman-group18-sha512", "sha512", DH_GROUP18, false);

/** KexAgreementSpec with SHA-1 as H: KexHash in types.ts has no "sha1" yet, so the legacy rows carry this wider type. */
export type LegacyKexAgreementSpec = Omit<KexAgreementSpec, "hash"> & { readonly hash: "sha1" };

function sha1Row(name: string, group: DhGroup): LegacyKexAgreementSpec {
  const { clientInit, serverRespond } = dhAgreement(name, "sha256", group, true);
  return { name, hash: "sha1", legacy: true, clientInit, serverRespond };
}
/** diffie-hellman-group14-sha1 (RFC 4253 §8.2), legacy. */
export const DH_GROUP14_SHA1: LegacyKexAgreementSpec = sha1Row("diffie-hellman-group14-sha1", DH_GROUP14);
/** diffie-hellman-group1-sha1 (RFC 4253 §8.1, 1024-bit), legacy. */
export const DH_GROUP1_SHA1: LegacyKexAgreementSpec = sha1Row("diffie-hellman-group1-sha1", DH_GROUP1);
