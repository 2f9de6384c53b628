// ecdh-sha2-nistp256/384/521 (RFC 5656 §4, §6.1; OpenSSH kexecdh.c) through node:crypto createECDH.
// Q_C and Q_S are SEC1 uncompressed points; K is the x-coordinate of the shared point, encoded as mpint.
import { createECDH } from "node:crypto";
import { encodeMpint } from "./ssh-encoding.ts";
import { type KexAgreementSpec, type KexClientState, KexError, type KexHash } from "./types.ts";

/** One NIST curve as SSH names it (RFC 5656 §10.1) with its node:crypto name and field size. */
export interface EcdhCurve {
  /** "nistp256" | "nistp384" | "nistp521": the identifier inside key blobs. */
  readonly sshCurve: string;
  readonly nodeCurve: string;
  readonly fieldBytes: number;
  readonly hash: KexHash;
}

export const NISTP256: EcdhCurve = { sshCurve: "nistp256", nodeCurve: "prime256v1", fieldBytes: 32, hash: "sha256" };
export const NISTP384: EcdhCurve = { sshCurve: "nistp384", nodeCurve: "secp384r1", fieldBytes: 48, hash: "sha384" };
export const NISTP521: EcdhCurve = { sshCurve: "nistp521", nodeCurve: "secp521r1", fieldBytes: 66, hash: "sha512" };

/**
 * Computes the raw shared x-coordinate (fieldBytes, fresh buffer). Throws KexError unless `peer` is an uncompressed point
 * (0x04 ‖ X ‖ Y, as OpenSSH's sshbuf_get_ec requires) with coordinates below p that lies on the curve; the identity cannot be
 * encoded that way. The curves have cofactor 1, so on-curve is the whole of RFC 5656 §3.2.2.1 / SP 800-56A public-key validation.
 */
function ecdhShared(ecdh: ReturnType<typeof createECDH>, curve: EcdhCurve, peer: Uint8Array): Uint8Array {
  if (peer.length !== 1 + 2 * curve.fieldBytes || peer[0] !== 0x04) {
    throw new KexError(`ecdh-sha2-${curve.sshCurve}: peer key is not an uncompressed ${curve.sshCurve} point`);
  }
  try {
    return Uint8Array.from(ecdh.computeSecret(peer));
  } catch {
    throw new KexError(`ecdh-sha2-${curve.sshCurve}: peer key is not a valid ${curve.sshCurve} point`);
  }
}

function ecdhSpec(curve: EcdhCurve): KexAgreementSpec {
  const name = `ecdh-sha2-${curve.sshCurve}`;
  return {
    name,
    hash: curve.hash,
    legacy: false,
    async clientInit(): Promise<KexClientState> {
      const ecdh = createECDH(curve.nodeCurve);
      const message = Uint8Array.from(ecdh.generateKeys());
      let done = false;
      return {
        message,
        async finish(serverMessage: Uint8Array): Promise<Uint8Array> {
          if (done) throw new KexError(`${name}: client state already finished`);
          done = true;
          return encodeMpint(ecdhShared(ecdh, curve, serverMessage));
        },
      };
    },
    async serverRespond(clientMessage: Uint8Array): Promise<{ message: Uint8Array; sharedSecret: Uint8Array }> {
      const ecdh = createECDH(curve.nodeCurve);
      const message = Uint8Array.from(ecdh.generateKeys());
      return { message, sharedSecret: encodeMpint(ecdhShared(ecdh, curve, clientMessage)) };
    },
  };
}

/** ecdh-sha2-nistp256 (RFC 5656, SHA-256). */
export const ECDH_SHA2_NISTP256: KexAgreementSpec = ecdhSpec(NISTP256);
/** ecdh-sha2-nistp384 (RFC 5656, SHA-384). */
export const ECDH_SHA2_NISTP384: KexAgreementSpec = ecdhSpec(NISTP384);
/** ecdh-sha2-nistp521 (RFC 5656, SHA-512). */
export const ECDH_SHA2_NISTP521: KexAgreementSpec = ecdhSpec(NISTP521);
