// Slow, readable twin of core/crypto/chachapoly-openssh.ts: ChaCha20 (RFC 8439 §2.1-2.4, any state words 12..15),
// Poly1305 with BigInt (RFC 8439 §2.5) and chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305). Tests compare the
// WebAssembly kernels with this file on random inputs; it is never used outside tests.
import type { PacketCipher } from "../../core/crypto/types.ts";

const rotl = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;

/** RFC 8439 §2.1: the quarter round on four words of the state, in place. */
function quarterRound(s: Uint32Array, a: number, b: number, c: number, d: number): void {
  s[a] = (s[a]! + s[b]!) >>> 0; s[d] = rotl(s[d]! ^ s[a]!, 16);
  s[c] = (s[c]! + s[d]!) >>> 0; s[b] = rotl(s[b]! ^ s[c]!, 12);
  s[a] = (s[a]! + s[b]!) >>> 0; s[d] = rotl(s[d]! ^ s[a]!, 8);
  s[c] = (s[c]! + s[d]!) >>> 0; s[b] = rotl(s[b]! ^ s[c]!, 7);
}

const readLe32 = (b: Uint8Array, i: number): number => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;

/**
 * RFC 8439 §2.3: one 64-byte keystream block. `input16` holds state words 12..15 as bytes: `LE32(counter) ‖ nonce12` in the
 * IETF layout, `LE64(counter) ‖ nonce8` in Bernstein's original one (which SSH uses). Returns a fresh array.
 */
export function chacha20BlockReference(key: Uint8Array, input16: Uint8Array): Uint8Array {
  if (key.length !== 32 || input16.length !== 16) throw new Error("chacha20: key must be 32 bytes, input 16");
  const init = new Uint32Array(16);
  init.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]); // "expand 32-byte k"
  for (let i = 0; i < 8; i++) init[4 + i] = readLe32(key, 4 * i);
  for (let i = 0; i < 4; i++) init[12 + i] = readLe32(input16, 4 * i);
  const s = init.slice();
  for (let round = 0; round < 10; round++) {
    quarterRound(s, 0, 4, 8, 12); quarterRound(s, 1, 5, 9, 13); quarterRound(s, 2, 6, 10, 14); quarterRound(s, 3, 7, 11, 15);
    quarterRound(s, 0, 5, 10, 15); quarterRound(s, 1, 6, 11, 12); quarterRound(s, 2, 7, 8, 13); quarterRound(s, 3, 4, 9, 14);
  }
  const out = new Uint8Array(64);
  for (let i = 0; i < 16; i++) {
    const w = (s[i]! + init[i]!) >>> 0;
    out[4 * i] = w & 0xff; out[4 * i + 1] = (w >>> 8) & 0xff; out[4 * i + 2] = (w >>> 16) & 0xff; out[4 * i + 3] = w >>> 24;
  }
  return out;
}

/** Bernstein's original ChaCha20 (64-bit counter, 64-bit nonce): XORs the keystream from block `counter` into a copy of `data`. */
export function chacha20OriginalReference(key: Uint8Array, nonce8: Uint8Array, counter: bigint, data: Uint8Array): Uint8Array {
  const out = data.slice();
  const input = new Uint8Array(16);
  const view = new DataView(input.buffer);
  input.set(nonce8, 8);
  for (let pos = 0, ctr = counter; pos < out.length; pos += 64, ctr = (ctr + 1n) & 0xffffffffffffffffn) {
    view.setBigUint64(0, ctr, true);
    const block = chacha20BlockReference(key, input);
    for (let i = 0; i < 64 && pos + i < out.length; i++) out[pos + i]! ^= block[i]!;
  }
  return out;
}

/** RFC 8439 ChaCha20 (32-bit counter, 96-bit nonce): XORs the keystream from block `counter` into a copy of `data`. */
export function chacha20IetfReference(key: Uint8Array, nonce12: Uint8Array, counter: number, data: Uint8Array): Uint8Array {
  const out = data.slice();
  const input = new Uint8Array(16);
  input.set(nonce12, 4);
  for (let pos = 0, ctr = counter; pos < out.length; pos += 64, ctr++) {
    new DataView(input.buffer).setUint32(0, ctr >>> 0, true);
    const block = chacha20BlockReference(key, input);
    for (let i = 0; i < 64 && pos + i < out.length; i++) out[pos + i]! ^= block[i]!;
  }
  return out;
}

const leBig = (b: Uint8Array): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
};

/** RFC 8439 §2.5.1: Poly1305 of `msg` under the one-time 32-byte `key`, with BigInt arithmetic. */
export function poly1305Reference(key: Uint8Array, msg: Uint8Array): Uint8Array {
  const p = (1n << 130n) - 5n;
  const r = leBig(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn; // §2.5: clamp r
  const s = leBig(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const chunk = msg.subarray(i, Math.min(i + 16, msg.length));
    const n = leBig(chunk) | (1n << BigInt(8 * chunk.length)); // the 0x01 byte after each (possibly short) block
    acc = ((acc + n) * r) % p;
  }
  acc = (acc + s) & ((1n << 128n) - 1n);
  const tag = new Uint8Array(16);
  for (let i = 0; i < 16; i++) tag[i] = Number((acc >> BigInt(8 * i)) & 0xffn);
  return tag;
}

function seqNonce(seq: number): Uint8Array {
  const nonce = new Uint8Array(8);
  new DataView(nonce.buffer).setBigUint64(0, BigInt(seq >>> 0), false); // the uint64 sequence number, big-endian
  return nonce;
}

/** chacha20-poly1305@openssh.com, packet by packet with fresh arrays; same contract as the fast one. */
export class ChaChaPolyOpenSshReference implements PacketCipher {
  readonly blockBytes = 8;
  readonly tagBytes = 16;
  readonly lengthBytes = 4;
  readonly lengthIsAad = true; // packet.c: authlen > 0 gives aadlen = 4: the body is padded without the length
  private mainKey: Uint8Array; // K_2: the first 32 bytes
  private lengthKey: Uint8Array; // K_1: the last 32 bytes

  constructor(key64: Uint8Array) {
    if (key64.length !== 64) throw new Error("chacha20-poly1305@openssh.com needs 64 bytes of key");
    this.mainKey = key64.slice(0, 32);
    this.lengthKey = key64.slice(32, 64);
  }

  seal(seq: number, buf: Uint8Array, off: number, len: number): void {
    const nonce = seqNonce(seq);
    buf.set(chacha20OriginalReference(this.lengthKey, nonce, 0n, buf.subarray(off, off + 4)), off);
    buf.set(chacha20OriginalReference(this.mainKey, nonce, 1n, buf.subarray(off + 4, off + 4 + len)), off + 4);
    const polyKey = chacha20OriginalReference(this.mainKey, nonce, 0n, new Uint8Array(32));
    buf.set(poly1305Reference(polyKey, buf.subarray(off, off + 4 + len)), off + 4 + len);
  }

  openLength(seq: number, buf: Uint8Array, off: number): number {
    const plain = chacha20OriginalReference(this.lengthKey, seqNonce(seq), 0n, buf.subarray(off, off + 4));
    return new DataView(plain.buffer).getUint32(0, false);
  }

  open(seq: number, buf: Uint8Array, off: number, len: number): boolean {
    const nonce = seqNonce(seq);
    const polyKey = chacha20OriginalReference(this.mainKey, nonce, 0n, new Uint8Array(32));
    const expected = poly1305Reference(polyKey, buf.subarray(off, off + 4 + len));
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= expected[i]! ^ buf[off + 4 + len + i]!;
    if (diff !== 0) return false;
    buf.set(chacha20OriginalReference(this.lengthKey, nonce, 0n, buf.subarray(off, off + 4)), off);
    buf.set(chacha20OriginalReference(this.mainKey, nonce, 1n, buf.subarray(off + 4, off + 4 + len)), off + 4);
    return true;
  }

  dispose(): void {
    this.mainKey.fill(0);
    this.lengthKey.fill(0);
  }
}
