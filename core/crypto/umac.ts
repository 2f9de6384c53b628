// umac-64@openssh.com and umac-128@openssh.com: UMAC (RFC 4418) with AES-128, keyed once per direction. OpenSSH (mac.c)
// passes the 64-bit big-endian sequence number as the 8-byte nonce and MACs the data alone; the nonce carries the seq.
import { createCipheriv, type Cipheriv } from "node:crypto";
import type { PacketMac } from "./types.ts";
import { equalInConstantTime } from "./hmac.ts";

// NH reads message words little-endian (RFC 4418 §5.2.2 / umac.c LOAD_UINT32_LITTLE) through an Int32Array view.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error("umac.ts assumes a little-endian platform");

const TWO16 = 65536;
const TWO32 = 4294967296;
/** PDF blocks encrypted per node:crypto call on the sequence-number path (64 packets' worth for umac-64). */
const PDF_BATCH = 32;
/** RFC 4418 §5.4: prime(36) = 2^36 - 5, exact as a double. */
const P36 = 68719476731;
const P128 = (1n << 128n) - 159n;
const MASK64 = 0x01ffffff; // RFC 4418 §5.3: each 32-bit half of k64 is masked with 0x01FFFFFF
const MASK128 = 0x01ffffff01ffffff01ffffff01ffffffn;
/**
 * RFC 4418 §5.3: POLY-64 covers the first 2^17 bytes of L1 output, i.e. 2^14 chunks (16 MiB of message); longer messages
 * ramp up to POLY-128 (umac.c stops at this limit; the RFC's 'a' * 2^25 vector is corrected by its 2006 erratum).
 */
const POLY64_CHUNKS = 16384;

/** A one-block AES-128 encryptor on ECB (node:crypto; Bun's BoringSSL lists aes-128-ecb). */
function aesEcb(key: Uint8Array): Cipheriv {
  const c = createCipheriv("aes-128-ecb", key, null);
  c.setAutoPadding(false);
  return c;
}

/** RFC 4418 §3.2.1 KDF: AES(K, uint64 index ‖ uint64 i) for i = 1, 2, ..., truncated to `numBytes`. */
function kdf(ecb: Cipheriv, index: number, numBytes: number): Uint8Array {
  const blocks = Math.ceil(numBytes / 16);
  const input = new Uint8Array(blocks * 16);
  for (let i = 0; i < blocks; i++) {
    input[i * 16 + 7] = index;
    const n = i + 1;
    input[i * 16 + 14] = n >>> 8;
    input[i * 16 + 15] = n & 0xff;
  }
  return Uint8Array.from(ecb.update(input).subarray(0, numBytes));
}

function readU32BE(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/**
 * RFC 4418 §5.2.2 NH for streams `first` and `first + 1` at once (umac.c nh_aux's two-stream form: stream i uses the key
 * from word 4i, so both share the message loads), over `nw` words of `w` from `w0` (nw a positive multiple of 8), plus `bits`
 * (§5.2.1: the chunk's bit length), modulo 2^64. Writes hi/lo pairs to out[2·first ..]; with `two` false only `first` runs.
 * Each 32×32 product is split into 16-bit halves so the double accumulators stay exact (128 products per chunk, < 2^40).
 */
function nh(w: Int32Array, w0: number, nw: number, k: Int32Array, first: number, two: boolean, bits: number, out: Float64Array): void {
  let hh = 0;
  let mid = 0;
  let ll = 0;
  let hh2 = 0;
  let mid2 = 0;
  let ll2 = 0;
  const end = w0 + nw;
  let kj = first * 4;
  if (two) {
    for (let j = w0; j < end; j += 8, kj += 8) {
      for (let t = 0; t < 4; t++) {
        const m0 = w[j + t]!;
        const m4 = w[j + t + 4]!;
        let a = (m0 + k[kj + t]!) | 0;
        let b = (m4 + k[kj + t + 4]!) | 0;
        let aH = a >>> 16;
        let aL = a & 0xffff;
        let bH = b >>> 16;
        let bL = b & 0xffff;
        hh += aH * bH;
        mid += aH * bL + aL * bH;
        ll += aL * bL;
        a = (m0 + k[kj + t + 4]!) | 0;
        b = (m4 + k[kj + t + 8]!) | 0;
        aH = a >>> 16;
        aL = a & 0xffff;
        bH = b >>> 16;
        bL = b & 0xffff;
        hh2 += aH * bH;
        mid2 += aH * bL + aL * bH;
        ll2 += aL * bL;
      }
    }
    nhFinish(hh2, mid2, ll2, bits, out, first * 2 + 2);
  } else {
    for (let j = w0; j < end; j += 8, kj += 8) {
      for (let t = 0; t < 4; t++) {
        const a = (w[j + t]! + k[kj + t]!) | 0;
        const b = (w[j + t + 4]! + k[kj + t + 4]!) | 0;
        const aH = a >>> 16;
        const aL = a & 0xffff;
        const bH = b >>> 16;
        const bL = b & 0xffff;
        hh += aH * bH;
        mid += aH * bL + aL * bH;
        ll += aL * bL;
      }
    }
  }
  nhFinish(hh, mid, ll, bits, out, first * 2);
}

/** hh·2^32 + mid·2^16 + ll + bits modulo 2^64, as two 32-bit halves at out[at], out[at + 1]. */
function nhFinish(hh: number, mid: number, ll: number, bits: number, out: Float64Array, at: number): void {
  const midLo = mid - Math.floor(mid / TWO16) * TWO16;
  let lo = ll + midLo * TWO16 + bits;
  const carry = Math.floor(lo / TWO32);
  lo -= carry * TWO32;
  const hi = hh + (mid - midLo) / TWO16 + carry;
  out[at] = hi - Math.floor(hi / TWO32) * TWO32;
  out[at + 1] = lo;
}

/**
 * One RFC 4418 §5.3 POLY step modulo p64 = 2^64 - 59 on `y` (four 16-bit limbs, little-endian, at `y[yo..yo+3]`, kept
 * below 2^64 but not necessarily below p64): y = k·y + m, with k = kHi·2^32 + kLo (each < 2^25) and m = mHi·2^32 + mLo.
 */
function polyStep64(y: Float64Array, yo: number, kHi: number, kLo: number, mHi: number, mLo: number): void {
  const y0 = y[yo]!;
  const y1 = y[yo + 1]!;
  const y2 = y[yo + 2]!;
  const y3 = y[yo + 3]!;
  // k·y in base-2^16 columns: every column stays below 2^43.
  let c = kLo * y0;
  const d0 = c - Math.floor(c / TWO16) * TWO16;
  c = (c - d0) / TWO16 + kLo * y1;
  const d1 = c - Math.floor(c / TWO16) * TWO16;
  c = (c - d1) / TWO16 + kLo * y2 + kHi * y0;
  const d2 = c - Math.floor(c / TWO16) * TWO16;
  c = (c - d2) / TWO16 + kLo * y3 + kHi * y1;
  const d3 = c - Math.floor(c / TWO16) * TWO16;
  c = (c - d3) / TWO16 + kHi * y2;
  const h0 = c - Math.floor(c / TWO16) * TWO16;
  c = (c - h0) / TWO16 + kHi * y3;
  const h1 = c - Math.floor(c / TWO16) * TWO16;
  c = (c - h1) / TWO16; // < 2^27
  const h2 = c - Math.floor(c / TWO16) * TWO16;
  const h3 = (c - h2) / TWO16;
  // 2^64 ≡ 59 (mod p64): fold the high half back in, add m, and fold any carry out of 2^64 again.
  let e = d0 + 59 * h0 + (mLo & 0xffff);
  let r0 = e - Math.floor(e / TWO16) * TWO16;
  e = (e - r0) / TWO16 + d1 + 59 * h1 + (mLo >>> 16);
  let r1 = e - Math.floor(e / TWO16) * TWO16;
  e = (e - r1) / TWO16 + d2 + 59 * h2 + (mHi & 0xffff);
  let r2 = e - Math.floor(e / TWO16) * TWO16;
  e = (e - r2) / TWO16 + d3 + 59 * h3 + (mHi >>> 16);
  let r3 = e - Math.floor(e / TWO16) * TWO16;
  let top = (e - r3) / TWO16;
  while (top !== 0) {
    e = r0 + 59 * top;
    r0 = e - Math.floor(e / TWO16) * TWO16;
    e = (e - r0) / TWO16 + r1;
    r1 = e - Math.floor(e / TWO16) * TWO16;
    e = (e - r1) / TWO16 + r2;
    r2 = e - Math.floor(e / TWO16) * TWO16;
    e = (e - r2) / TWO16 + r3;
    r3 = e - Math.floor(e / TWO16) * TWO16;
    top = (e - r3) / TWO16;
  }
  y[yo] = r0;
  y[yo + 1] = r1;
  y[yo + 2] = r2;
  y[yo + 3] = r3;
}

/**
 * RFC 4418 §5.3: absorbs one 64-bit word m = mHi·2^32 + mLo into the POLY-64 accumulator `y[yo..yo+3]` (16-bit limbs).
 * Exported for tests, which cannot reach the marker branch through NH.
 */
export function poly64Absorb(y: Float64Array, yo: number, kHi: number, kLo: number, mHi: number, mLo: number): void {
  // maxwordrange = 2^64 - 2^32: larger words go in as marker (p - 1), then m - offset (offset = 59).
  if (mHi === 0xffffffff) {
    polyStep64(y, yo, kHi, kLo, 0xffffffff, 0xffffffc4);
    if (mLo >= 59) polyStep64(y, yo, kHi, kLo, mHi, mLo - 59);
    else polyStep64(y, yo, kHi, kLo, mHi - 1, mLo - 59 + TWO32);
  } else {
    polyStep64(y, yo, kHi, kLo, mHi, mLo);
  }
}

/** Reduces a POLY-64 accumulator into [0, p64): only values in [p64, 2^64) need a subtraction. Exported for tests. */
export function polyFinish64(y: Float64Array, yo: number): void {
  if (y[yo + 3] === 0xffff && y[yo + 2] === 0xffff && y[yo + 1] === 0xffff && y[yo]! >= 0xffc5) {
    y[yo] = y[yo]! - 0xffc5;
    y[yo + 1] = 0;
    y[yo + 2] = 0;
    y[yo + 3] = 0;
  }
}

/** x mod (2^36 - 5) for an integer 0 ≤ x < 2^53 (floor division, then one correction for the quotient's rounding). */
function modP36(x: number): number {
  const r = x - Math.floor(x / P36) * P36;
  return r < 0 ? r + P36 : r >= P36 ? r - P36 : r;
}

/** RFC 4418 §5.3 POLY step modulo p128 = 2^128 - 159 (messages over 16 MiB only, so BigInt is fine). */
function polyStep128(y: bigint, k: bigint, m: bigint): bigint {
  // maxwordrange = 2^128 - 2^96: larger words go in as marker (p - 1) then m - offset (offset = 159).
  if (m >= (1n << 128n) - (1n << 96n)) {
    y = (k * y + (P128 - 1n)) % P128;
    return (k * y + (m - 159n)) % P128;
  }
  return (k * y + m) % P128;
}

/**
 * UMAC with a 64- or 128-bit tag (RFC 4418 §4) for one direction, built once per key: the KDF output (NH, POLY and L3 keys)
 * and the PDF's AES key are derived in the constructor. For sequence-number nonces the PDF blocks of the next
 * PDF_BATCH nonces are encrypted in one node:crypto call, so a packet normally allocates only the view of its data.
 */
export class Umac implements PacketMac {
  readonly tagBytes: number;
  readonly #streams: number;
  #nhKey: Int32Array;
  readonly #polyKeyHi: Float64Array;
  readonly #polyKeyLo: Float64Array;
  readonly #polyKey128: bigint[];
  readonly #l3Key: Float64Array;
  readonly #l3Trans: Uint32Array;
  #pdf: Cipheriv | null;
  /** RFC 4418 §3.2.2: the nonce padded to one AES block, with the low tag-index bits cleared. */
  readonly #pdfIn = new Uint8Array(16);
  readonly #pdfOut = new Uint8Array(16);
  readonly #pdfLast = new Uint8Array(16);
  #pdfValid = false;
  /** The message, copied 4-byte aligned and zero-padded (RFC 4418 §5.2.1 zeropad to 32 bytes); grows to the largest packet. */
  #scratch = new Uint8Array(1024);
  #words = new Int32Array(this.#scratch.buffer);
  /** NH results of the current chunk: hi, lo per stream. */
  readonly #nhOut = new Float64Array(8);
  readonly #y = new Float64Array(16);
  readonly #tag = new Uint8Array(16);
  /** PDF blocks for the sequence-number nonces batchLo, batchLo + step, ... (step = 2^indexBits), PDF_BATCH of them. */
  readonly #batchIn = new Uint8Array(16 * PDF_BATCH);
  readonly #batchOut = new Uint8Array(16 * PDF_BATCH);
  #batchLo = -1;

  /** `key` is the 16-byte UMAC key (not retained); `tagBytes` is 8 for umac-64, 16 for umac-128 (4 and 12 also work). */
  constructor(key: Uint8Array, tagBytes: number) {
    if (key.length !== 16) throw new RangeError(`UMAC key must be 16 bytes, got ${key.length}`);
    if (tagBytes !== 4 && tagBytes !== 8 && tagBytes !== 12 && tagBytes !== 16) throw new RangeError("UMAC tag must be 4, 8, 12 or 16 bytes");
    this.tagBytes = tagBytes;
    const streams = tagBytes / 4;
    this.#streams = streams;
    const ecb = aesEcb(key);
    // RFC 4418 §3.2.2: the PDF key is KDF(K, 0, 16).
    const pdfKey = kdf(ecb, 0, 16);
    this.#pdf = aesEcb(pdfKey);
    pdfKey.fill(0);
    // RFC 4418 §5.1: L1 key (big-endian words, umac.c endian_convert), L2 keys, L3 keys.
    const l1 = kdf(ecb, 1, 1024 + (streams - 1) * 16);
    this.#nhKey = new Int32Array(l1.length / 4);
    for (let i = 0; i < this.#nhKey.length; i++) this.#nhKey[i] = readU32BE(l1, i * 4) | 0;
    l1.fill(0);
    const l2 = kdf(ecb, 2, streams * 24);
    const l3a = kdf(ecb, 3, streams * 64);
    const l3b = kdf(ecb, 4, streams * 4);
    this.#polyKeyHi = new Float64Array(streams);
    this.#polyKeyLo = new Float64Array(streams);
    this.#polyKey128 = [];
    this.#l3Key = new Float64Array(streams * 8);
    this.#l3Trans = new Uint32Array(streams);
    for (let s = 0; s < streams; s++) {
      this.#polyKeyHi[s] = readU32BE(l2, s * 24) & MASK64;
      this.#polyKeyLo[s] = readU32BE(l2, s * 24 + 4) & MASK64;
      let k128 = 0n;
      for (let i = 0; i < 16; i++) k128 = (k128 << 8n) | BigInt(l2[s * 24 + 8 + i]!);
      this.#polyKey128.push(k128 & MASK128);
      for (let i = 0; i < 8; i++) {
        const o = s * 64 + i * 8;
        // RFC 4418 §5.4: k_i = str2uint(K_i) mod prime(36), below 2^36 so exact as a double.
        this.#l3Key[s * 8 + i] = Number(((BigInt(readU32BE(l3a, o)) << 32n) | BigInt(readU32BE(l3a, o + 4))) % BigInt(P36));
      }
      this.#l3Trans[s] = readU32BE(l3b, s * 4);
    }
    l2.fill(0);
    l3a.fill(0);
    l3b.fill(0);
  }

  /** umac-64@openssh.com (8-byte tag). */
  static create64(key: Uint8Array): PacketMac {
    return new Umac(key, 8);
  }

  /** umac-128@openssh.com (16-byte tag). */
  static create128(key: Uint8Array): PacketMac {
    return new Umac(key, 16);
  }

  /** OpenSSH mac.c: the nonce is the sequence number as a big-endian uint64 and the MAC covers `data` alone. */
  compute(seq: number, data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
    this.#uhash(data, off, len, out, outOff);
    this.#padSeq(seq >>> 0, out, outOff);
  }

  verify(seq: number, data: Uint8Array, off: number, len: number, tag: Uint8Array, tagOff: number): boolean {
    this.#uhash(data, off, len, this.#tag, 0);
    this.#padSeq(seq >>> 0, this.#tag, 0);
    return equalInConstantTime(this.#tag, tag, tagOff, this.tagBytes);
  }

  /**
   * RFC 4418 §4.1: writes UMAC(K, nonce, data[off, off + len)) to `out[outOff, outOff + tagBytes)`. `nonce` is 1 to 16 bytes
   * (OpenSSH always uses 8); exported for the RFC test vectors.
   */
  tagWithNonce(nonce: Uint8Array, data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
    if (nonce.length < 1 || nonce.length > 16) throw new RangeError("UMAC nonce must be 1 to 16 bytes");
    this.#uhash(data, off, len, out, outOff);
    this.#pad(nonce, out, outOff);
  }

  dispose(): void {
    this.#pdf = null;
    this.#nhKey.fill(0);
    this.#nhKey = new Int32Array(0);
    this.#polyKeyHi.fill(0);
    this.#polyKeyLo.fill(0);
    this.#polyKey128.fill(0n);
    this.#l3Key.fill(0);
    this.#l3Trans.fill(0);
    this.#pdfOut.fill(0);
    this.#pdfLast.fill(0);
    this.#batchOut.fill(0);
    this.#batchLo = -1;
    this.#scratch.fill(0);
    this.#tag.fill(0);
  }

  /**
   * RFC 4418 §3.2.2 PDF for the nonce uint64(seq), XOR-ed into out[outOff, outOff + tagBytes). Consecutive sequence numbers
   * hit the batch; a miss encrypts the blocks of the next PDF_BATCH nonces at once (bench/crypto-aes-mac.ts: one node:crypto
   * call costs about as much as UHASH of a 64-byte packet).
   */
  #padSeq(seq: number, out: Uint8Array, outOff: number): void {
    const pdf = this.#pdf;
    if (pdf === null) throw new Error("UMAC used after dispose");
    const taglen = this.tagBytes;
    const indexBits = taglen === 4 ? 3 : taglen === 8 ? 1 : 0;
    const step = indexBits + 1;
    const nonceLo = (seq & ~indexBits) >>> 0;
    let slot = (nonceLo - this.#batchLo) / step;
    if (this.#batchLo < 0 || slot < 0 || slot >= PDF_BATCH || slot !== Math.floor(slot)) {
      const input = this.#batchIn;
      for (let i = 0; i < PDF_BATCH; i++) {
        // Nonce = 0x00000000 ‖ uint32 (seq with its index bits cleared) ‖ 8 zero bytes; uint32 seq wraps like the transport's.
        const lo = (nonceLo + i * step) >>> 0;
        const o = i * 16 + 4;
        input[o] = lo >>> 24;
        input[o + 1] = lo >>> 16;
        input[o + 2] = lo >>> 8;
        input[o + 3] = lo;
      }
      this.#batchOut.set(pdf.update(input));
      this.#batchLo = nonceLo;
      slot = 0;
    }
    const start = slot * 16 + (indexBits === 0 ? 0 : (seq & indexBits) * taglen);
    const block = this.#batchOut;
    for (let i = 0; i < taglen; i++) out[outOff + i] = out[outOff + i]! ^ block[start + i]!;
  }

  /** RFC 4418 §3.2.2 PDF, XOR-ed into the UHASH result; the AES block is cached for the next nonce (umac.c pdf_gen_xor). */
  #pad(nonce: Uint8Array, out: Uint8Array, outOff: number): void {
    const pdf = this.#pdf;
    if (pdf === null) throw new Error("UMAC used after dispose");
    const taglen = this.tagBytes;
    const input = this.#pdfIn;
    input.fill(0);
    input.set(nonce);
    // taglen 4 or 8: index = str2uint(Nonce) mod (16 / taglen), cleared from the nonce before encryption.
    const indexBits = taglen === 4 ? 3 : taglen === 8 ? 1 : 0;
    const last = nonce.length - 1;
    const index = nonce[last]! & indexBits;
    input[last] = input[last]! & ~indexBits;
    let same = this.#pdfValid;
    for (let i = 0; i < 16 && same; i++) same = input[i] === this.#pdfLast[i];
    if (!same) {
      this.#pdfOut.set(pdf.update(input));
      this.#pdfLast.set(input);
      this.#pdfValid = true;
    }
    const start = indexBits === 0 ? 0 : index * taglen;
    for (let i = 0; i < taglen; i++) out[outOff + i] = out[outOff + i]! ^ this.#pdfOut[start + i]!;
  }

  /** RFC 4418 §5: UHASH of data[off, off + len) into out[outOff, outOff + tagBytes). */
  #uhash(data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
    // Copy the message into aligned scratch and zero-pad to a positive multiple of 32 bytes (§5.2.1 zeropad(M_t, 32)).
    const padded = len === 0 ? 32 : (len + 31) & ~31;
    if (this.#scratch.length < padded) {
      let size = this.#scratch.length;
      while (size < padded) size *= 2;
      this.#scratch.fill(0);
      this.#scratch = new Uint8Array(size);
      this.#words = new Int32Array(this.#scratch.buffer);
    }
    const scratch = this.#scratch;
    if (len > 0) scratch.set(data.subarray(off, off + len));
    scratch.fill(0, len, padded);
    const words = this.#words;
    const key = this.#nhKey;
    const streams = this.#streams;
    const h = this.#nhOut;
    if (len <= 1024) {
      // §5.1: a message of at most 1024 bytes skips L2: B = zeroes(8) ‖ L1-HASH.
      for (let s = 0; s < streams; s += 2) nh(words, 0, padded / 4, key, s, s + 1 < streams, len * 8, h);
      for (let s = 0; s < streams; s++) this.#l3(s, 0, 0, h[s * 2]!, h[s * 2 + 1]!, out, outOff);
      return;
    }
    const y = this.#y;
    const chunks = Math.ceil(len / 1024);
    for (let s = 0; s < streams; s++) {
      // §5.3 POLY starts from y = 1.
      y[s * 4] = 1;
      y[s * 4 + 1] = 0;
      y[s * 4 + 2] = 0;
      y[s * 4 + 3] = 0;
    }
    let y128: bigint[] | null = null;
    let pending: bigint[] | null = null;
    for (let c = 0; c < chunks; c++) {
      const start = c * 1024;
      const bytes = c === chunks - 1 ? len - start : 1024;
      const nw = c === chunks - 1 ? (padded - start) / 4 : 256;
      for (let s = 0; s < streams; s += 2) nh(words, start / 4, nw, key, s, s + 1 < streams, bytes * 8, h);
      for (let s = 0; s < streams; s++) {
        const nhHi = h[s * 2]!;
        const nhLo = h[s * 2 + 1]!;
        if (c < POLY64_CHUNKS) {
          poly64Absorb(y, s * 4, this.#polyKeyHi[s]!, this.#polyKeyLo[s]!, nhHi, nhLo);
          continue;
        }
        // Past 2^17 bytes of L1 output (§5.3): POLY-128 over uint2str(y, 16) ‖ the remaining NH outputs, in 16-byte words.
        if (y128 === null || pending === null) {
          y128 = [];
          pending = [];
          for (let t = 0; t < streams; t++) {
            polyFinish64(y, t * 4);
            y128.push(polyStep128(1n, this.#polyKey128[t]!, this.#y64(t)));
            pending.push(-1n);
          }
        }
        const m = (BigInt(nhHi) << 32n) | BigInt(nhLo);
        if (pending[s]! < 0n) pending[s] = m;
        else {
          y128[s] = polyStep128(y128[s]!, this.#polyKey128[s]!, (pending[s]! << 64n) | m);
          pending[s] = -1n;
        }
      }
    }
    for (let s = 0; s < streams; s++) {
      if (y128 === null || pending === null) {
        polyFinish64(y, s * 4);
        this.#l3(s, 0, 0, y[s * 4 + 3]! * TWO16 + y[s * 4 + 2]!, y[s * 4 + 1]! * TWO16 + y[s * 4]!, out, outOff);
        continue;
      }
      // §5.3: M_2 = zeropad(M_2 ‖ 0x80, 16).
      const p = pending[s]!;
      const last = p < 0n ? 0x80n << 120n : (p << 64n) | (0x80n << 56n);
      const r = polyStep128(y128[s]!, this.#polyKey128[s]!, last);
      const word = (shift: bigint): number => Number((r >> shift) & 0xffffffffn);
      this.#l3(s, word(96n), word(64n), word(32n), word(0n), out, outOff);
    }
  }

  #y64(s: number): bigint {
    const y = this.#y;
    return (BigInt(y[s * 4 + 3]! * TWO16 + y[s * 4 + 2]!) << 32n) | BigInt(y[s * 4 + 1]! * TWO16 + y[s * 4]!);
  }

  /**
   * RFC 4418 §5.4 L3-HASH of the 16-byte L2 output (four big-endian 32-bit words t0 t1 hi lo), XOR-ed with the stream's
   * L3 translation key, written big-endian at out[outOff + 4s].
   */
  #l3(s: number, t0: number, t1: number, hi: number, lo: number, out: Uint8Array, outOff: number): void {
    const k = this.#l3Key;
    const b = s * 8;
    // Each product is below 2^52 and each reduced term below 2^36, so the sum of eight stays exact.
    let y = modP36((t0 >>> 16) * k[b]!) + modP36((t0 & 0xffff) * k[b + 1]!) + modP36((t1 >>> 16) * k[b + 2]!);
    y += modP36((t1 & 0xffff) * k[b + 3]!) + modP36((hi >>> 16) * k[b + 4]!) + modP36((hi & 0xffff) * k[b + 5]!);
    y += modP36((lo >>> 16) * k[b + 6]!) + modP36((lo & 0xffff) * k[b + 7]!);
    y = modP36(y);
    const r = ((y - Math.floor(y / TWO32) * TWO32) ^ this.#l3Trans[s]!) >>> 0;
    const o = outOff + s * 4;
    out[o] = r >>> 24;
    out[o + 1] = r >>> 16;
    out[o + 2] = r >>> 8;
    out[o + 3] = r;
  }
}
