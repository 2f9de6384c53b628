// RFC 4253 §7.2 / §8: the exchange hash H and the key derivation from (K, H, session_id).
import { createHash } from "node:crypto";
import type { KexHash } from "../crypto/types.ts";
import { Writer } from "../wire/index.ts";

/** The inputs of H for the ECDH-shaped methods (RFC 5656 §4, RFC 8731 §3, the hybrid KEMs, and FFDH with mpints). */
export interface ExchangeHashInput {
  readonly clientVersion: string;
  readonly serverVersion: string;
  /** Payloads of both KEXINITs, message number included. */
  readonly clientKexInit: Uint8Array;
  readonly serverKexInit: Uint8Array;
  readonly serverHostKey: Uint8Array;
  /** Group-exchange fields (RFC 4419 §3): min, n, max, p, g, between K_S and e. Absent for the other methods. */
  readonly gex?: { min: number; n: number; max: number; p: Uint8Array; g: Uint8Array };
  readonly clientValue: Uint8Array;
  readonly serverValue: Uint8Array;
  /** The shared secret already encoded (mpint or string) as the method requires. */
  readonly sharedSecret: Uint8Array;
}

/** H = HASH(V_C ‖ V_S ‖ I_C ‖ I_S ‖ K_S ‖ [gex fields] ‖ Q_C ‖ Q_S ‖ K), each as an SSH string except K (already encoded). */
export function exchangeHash(hash: KexHash, x: ExchangeHashInput): Uint8Array {
  const w = new Writer(null, 1024);
  w.string(x.clientVersion).string(x.serverVersion).string(x.clientKexInit).string(x.serverKexInit).string(x.serverHostKey);
  if (x.gex) w.u32(x.gex.min).u32(x.gex.n).u32(x.gex.max).mpintUnsigned(x.gex.p).mpintUnsigned(x.gex.g);
  w.string(x.clientValue).string(x.serverValue).raw(x.sharedSecret);
  return new Uint8Array(createHash(hash).update(w.written()).digest());
}

/**
 * RFC 4253 §7.2: key = HASH(K ‖ H ‖ letter ‖ session_id), extended by HASH(K ‖ H ‖ K1 ‖ … ) until `bytes` long.
 * Letters: A/B initial IV c2s/s2c, C/D encryption key, E/F integrity key.
 */
export function deriveKey(hash: KexHash, sharedSecret: Uint8Array, h: Uint8Array, letter: string, sessionId: Uint8Array, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const first = createHash(hash).update(sharedSecret).update(h).update(letter).update(sessionId).digest();
  let have = Math.min(first.length, bytes);
  out.set(first.subarray(0, have));
  while (have < bytes) {
    const next = createHash(hash).update(sharedSecret).update(h).update(out.subarray(0, have)).digest();
    const n = Math.min(next.length, bytes - have);
    out.set(next.subarray(0, n), have);
    have += n;
  }
  return out;
}
