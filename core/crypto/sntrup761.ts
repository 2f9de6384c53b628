// Streamlined NTRU Prime sntrup761 (NTRU Prime round 3 spec, "Streamlined NTRU Prime" KEM with p = 761, q = 4591, w = 286),
// byte-exact with the SUPERCOP "compact" kem.c that OpenSSH ships as sntrup761.c (hashes are SHA-512 truncated to 32 bytes),
// including the order and size of every randombytes() call, so a recorded random stream reproduces OpenSSH's keys and ciphertexts.
//
// Timing: keygen and decapsulation touch secrets only through straight-line loops whose trip counts depend on p alone:
// masks instead of branches in both reciprocals, a bitonic sorting network in Short_fromlist, a masked weight check and
// masked implicit rejection. JavaScript gives no guarantee (the JIT may add branches), so this is best effort, like any
// constant-time code in a managed runtime. Decoding (Rq_decode, Rounded_decode) and the division in it run on public data
// only (a public key, a ciphertext) and may branch on it; Encode is branch-free on its values.
import { createHash } from "node:crypto";
import { KexError } from "./types.ts";

const P = 761;
const Q = 4591;
const W = 286;
const Q12 = (Q - 1) / 2;
/** Rounded coefficients are multiples of 3 in [-Q12, Q12]: (Q + 2) / 3 of them. */
const ROUNDED_RANGE = (Q + 2) / 3;

const HASH_BYTES = 32;
const SMALL_BYTES = (P + 3) >> 2; // 191
const RQ_BYTES = 1158;
const ROUNDED_BYTES = 1007;
const CONFIRM_BYTES = 32;

/** Length of an encoded public key (Rq_encode of h). */
export const SNTRUP761_PUBLIC_KEY_BYTES: number = RQ_BYTES;
/** Length of a secret key: f ‖ 1/g in R3 ‖ public key ‖ rho ‖ Hash4(public key). */
export const SNTRUP761_SECRET_KEY_BYTES: number = 2 * SMALL_BYTES + RQ_BYTES + SMALL_BYTES + HASH_BYTES; // 1763
/** Length of a ciphertext: Rounded_encode(c) ‖ confirmation hash. */
export const SNTRUP761_CIPHERTEXT_BYTES: number = ROUNDED_BYTES + CONFIRM_BYTES; // 1039
/** Length of the shared secret. */
export const SNTRUP761_SHARED_SECRET_BYTES: number = 32;

/** Source of random bytes: returns exactly `n` fresh bytes (tests pass a seeded stream, production crypto.getRandomValues). */
export type RandomSource = (n: number) => Uint8Array;

// ---------------------------------------------------------------------------------------------------------------------
// Field arithmetic. Both freezes return the centred representative and are exact on the ranges used below.

/** x mod 3 in {-1, 0, 1}, for |x| < 2^14 (kem.c F3_freeze: multiply by round(2^15 / 3)). */
function f3Freeze(x: number): number {
  return x - 3 * ((10923 * x + 16384) >> 15);
}

const Q16 = Math.floor((0x10000 + Q12) / Q);
const Q20 = Math.floor((0x100000 + Q12) / Q);
const Q28 = Math.floor((0x10000000 + Q12) / Q);

/** x mod q in [-Q12, Q12], for |x| < 2^27 (three Barrett steps with growing precision, as kem.c Fq_freeze). */
function fqFreeze(x: number): number {
  x -= Q * ((Q16 * x) >> 16);
  x -= Q * ((Q20 * x) >> 20);
  return x - Q * ((Q28 * x + 0x8000000) >> 28);
}

/** a^(q-2) = 1/a in Z/q (0 for 0); the exponent is public, so square-and-multiply is constant time. */
function fqRecip(a: number): number {
  let result = 1;
  let base = fqFreeze(a);
  for (let e = Q - 2; e > 0; e >>= 1) {
    if (e & 1) result = fqFreeze(result * base);
    base = fqFreeze(base * base);
  }
  return result;
}

/** -1 if x != 0, else 0, without a branch (x a small int32). */
function nonzeroMask(x: number): number {
  return (x | -x) >> 31;
}

// ---------------------------------------------------------------------------------------------------------------------
// Polynomials modulo x^p - x - 1. Schoolbook products (p^2 = 579k multiply-adds) over Int32Array accumulators.

/** h = f * g in R/q, f in Rq (|f| <= Q12), g small; h gets frozen coefficients. h may alias f. */
function rqMultSmall(h: Int32Array, f: Int32Array, g: Int8Array): void {
  const fg = new Int32Array(2 * P - 1);
  for (let i = 0; i < P; i++) {
    const fi = f[i]!;
    for (let j = 0; j < P; j++) fg[i + j] = fg[i + j]! + fi * g[j]!;
  }
  // x^p = x + 1: fold the top p - 1 coefficients onto x^0.. and x^1..
  for (let i = 2 * P - 2; i >= P; i--) {
    const t = fg[i]!;
    fg[i - P] = fg[i - P]! + t;
    fg[i - P + 1] = fg[i - P + 1]! + t;
  }
  for (let i = 0; i < P; i++) h[i] = fqFreeze(fg[i]!);
}

/** h = f * g in R/3, both small. */
function r3Mult(h: Int8Array, f: Int8Array, g: Int8Array): void {
  const fg = new Int32Array(2 * P - 1);
  for (let i = 0; i < P; i++) {
    const fi = f[i]!;
    for (let j = 0; j < P; j++) fg[i + j] = fg[i + j]! + fi * g[j]!;
  }
  for (let i = 2 * P - 2; i >= P; i--) {
    const t = fg[i]!;
    fg[i - P] = fg[i - P]! + t;
    fg[i - P + 1] = fg[i - P + 1]! + t;
  }
  for (let i = 0; i < P; i++) h[i] = f3Freeze(fg[i]!);
}

const R3_WORDS = 24; // p + 1 = 762 coefficients, one bit each per bit plane
const R3_TOP_MASK = (1 << (P + 1 - 32 * (R3_WORDS - 1))) - 1; // coefficients 736..761 in the last word

/**
 * out = 1/g in R/3 by the constant-time divstep iteration (Bernstein–Yang, as in kem.c R3_recip): 2p - 1 steps on the
 * reversed polynomials f = x^p - x - 1 and g, each a masked swap and one elimination of the constant term. Returns 0 when g
 * is invertible, -1 otherwise.
 *
 * Bitsliced: a polynomial over F3 is two bit planes (P: coefficient is 1, N: coefficient is -1) of 24 words, so one step
 * is a few hundred word operations instead of thousands of coefficient ones (0.8 ms instead of 8 ms per call, measured
 * against the coefficient-wise loop; bench/crypto-sntrup761.ts keygen). After step k, v and r have degree at most k
 * (v gains one per step, r is a combination of both), so their passes stop at word k / 32: a bound on the step count,
 * not on the data.
 */
function r3Recip(out: Int8Array, input: Int8Array): number {
  const steps = 2 * P - 1;
  const fp = new Int32Array(R3_WORDS);
  const fn = new Int32Array(R3_WORDS);
  const gp = new Int32Array(R3_WORDS);
  const gn = new Int32Array(R3_WORDS);
  const vp = new Int32Array(R3_WORDS);
  const vn = new Int32Array(R3_WORDS);
  const rp = new Int32Array(R3_WORDS);
  const rn = new Int32Array(R3_WORDS);
  fp[0] = 1; // f = 1 - x^(p-1) - x^p
  fn[(P - 1) >> 5] = fn[(P - 1) >> 5]! | (1 << ((P - 1) & 31));
  fn[P >> 5] = fn[P >> 5]! | (1 << (P & 31));
  rp[0] = 1;
  for (let i = 0; i < P; i++) {
    const c = input[i]!; // -1, 0 or 1
    const j = P - 1 - i; // g is reversed: g[p - 1 - i] = input[i]
    const negative = (c >> 1) & 1;
    gp[j >> 5] = gp[j >> 5]! | ((c & 1 & ~negative) << (j & 31));
    gn[j >> 5] = gn[j >> 5]! | (negative << (j & 31));
  }
  let delta = 1;
  for (let k = 0; k < steps; k++) {
    // v = x * v (a one-bit shift up, the coefficient leaving index p dropped)
    const vw = k < 32 * (R3_WORDS - 1) ? (k >> 5) + 1 : R3_WORDS;
    for (let w = vw - 1; w > 0; w--) {
      vp[w] = (vp[w]! << 1) | (vp[w - 1]! >>> 31);
      vn[w] = (vn[w]! << 1) | (vn[w - 1]! >>> 31);
    }
    vp[0] = vp[0]! << 1;
    vn[0] = vn[0]! << 1;
    vp[R3_WORDS - 1] = vp[R3_WORDS - 1]! & R3_TOP_MASK;
    vn[R3_WORDS - 1] = vn[R3_WORDS - 1]! & R3_TOP_MASK;

    const f0 = (fp[0]! & 1) - (fn[0]! & 1);
    const g0 = (gp[0]! & 1) - (gn[0]! & 1);
    const sign = Math.imul(-g0, f0); // symmetric in f and g, so taken before the swap as kem.c does
    const swap = (-delta >> 31) & nonzeroMask(g0); // delta > 0 and g0 != 0
    delta ^= swap & (delta ^ -delta);
    delta += 1;
    const signN = -((sign >> 1) & 1); // all ones when sign = -1
    const signP = -(sign & 1 & ~((sign >> 1) & 1)); // all ones when sign = 1

    // masked swap, then g += sign * f; in F3 with planes (P, N): c = a + b is
    // P = (aP & b0) | (bP & a0) | (aN & bN), N = (aN & b0) | (bN & a0) | (aP & bP), where x0 = ~(xP | xN) marks zeros
    for (let w = 0; w < R3_WORDS; w++) {
      let a = fp[w]!;
      let b = gp[w]!;
      let t = swap & (a ^ b);
      const fP = a ^ t;
      const gP = b ^ t;
      a = fn[w]!;
      b = gn[w]!;
      t = swap & (a ^ b);
      const fN = a ^ t;
      const gN = b ^ t;
      fp[w] = fP;
      fn[w] = fN;
      const xP = (fP & signP) | (fN & signN);
      const xN = (fN & signP) | (fP & signN);
      const x0 = ~(xP | xN);
      const g0w = ~(gP | gN);
      gp[w] = (gP & x0) | (xP & g0w) | (gN & xN);
      gn[w] = (gN & x0) | (xN & g0w) | (gP & xP);
    }
    // the same for v and r: r += sign * v
    for (let w = 0; w < vw; w++) {
      let a = vp[w]!;
      let b = rp[w]!;
      let t = swap & (a ^ b);
      const vP = a ^ t;
      const rP = b ^ t;
      a = vn[w]!;
      b = rn[w]!;
      t = swap & (a ^ b);
      const vN = a ^ t;
      const rN = b ^ t;
      vp[w] = vP;
      vn[w] = vN;
      const xP = (vP & signP) | (vN & signN);
      const xN = (vN & signP) | (vP & signN);
      const x0 = ~(xP | xN);
      const r0w = ~(rP | rN);
      rp[w] = (rP & x0) | (xP & r0w) | (rN & xN);
      rn[w] = (rN & x0) | (xN & r0w) | (rP & xP);
    }
    // g = g / x (its constant term is now zero): a one-bit shift down
    for (let w = 0; w < R3_WORDS - 1; w++) {
      gp[w] = (gp[w]! >>> 1) | (gp[w + 1]! << 31);
      gn[w] = (gn[w]! >>> 1) | (gn[w + 1]! << 31);
    }
    gp[R3_WORDS - 1] = gp[R3_WORDS - 1]! >>> 1;
    gn[R3_WORDS - 1] = gn[R3_WORDS - 1]! >>> 1;
  }
  const s = (fp[0]! & 1) - (fn[0]! & 1); // f is a unit: the inverse is v / f0 = f0 * v
  for (let i = 0; i < P; i++) {
    const j = P - 1 - i;
    out[i] = s * (((vp[j >> 5]! >>> (j & 31)) & 1) - ((vn[j >> 5]! >>> (j & 31)) & 1));
  }
  for (const plane of [fp, fn, gp, gn, vp, vn, rp, rn]) plane.fill(0);
  return nonzeroMask(delta);
}

const INV_Q = 1 / Q;

/**
 * x mod q in [-Q12, Q12] for |x| < 2^30 with one floating multiply: x / q is never within 1/(2q) of a half-integer and the
 * double's error is far below that, so the rounding is exact (checked exhaustively for |x| < 2^25). The hot loop of
 * rqRecip3: twice as fast as fqFreeze there, and Math.floor(y + 0.5) twice as fast as Math.round(y) on Bun 1.4
 * (bench/crypto-sntrup761.ts keygen). floor/round compile to roundsd, which takes constant time.
 */
function fqFreezeWide(x: number): number {
  return x - Q * Math.floor(x * INV_Q + 0.5);
}

/**
 * out = 1/(3 * g) in R/q: the same divstep iteration with fraction-free elimination (kem.c Rq_recip3), coefficient by
 * coefficient. Shifts move a window over longer buffers instead of copying (g after k steps is gBuf[k, k + p + 1), v in
 * step k starts at vBuf[2p - 2 - k]; the coefficient entering either window is a never-written zero), the swap and the
 * elimination share one pass, and v and r stop at degree k as in r3Recip.
 */
function rqRecip3(out: Int32Array, input: Int8Array): number {
  const n = P + 1;
  const steps = 2 * P - 1;
  const f = new Int32Array(n);
  const r = new Int32Array(n);
  const gBuf = new Int32Array(n + steps);
  const vBuf = new Int32Array(n + steps);
  r[0] = fqRecip(3);
  f[0] = 1;
  f[P - 1] = -1;
  f[P] = -1;
  for (let i = 0; i < P; i++) gBuf[P - 1 - i] = input[i]!;
  let delta = 1;
  for (let k = 0; k < steps; k++) {
    const go = k;
    const vo = steps - 1 - k;
    const f0 = f[0]!;
    const g0 = gBuf[go]!;
    const swap = (-delta >> 31) & nonzeroMask(g0);
    delta ^= swap & (delta ^ -delta);
    delta += 1;
    const t0 = swap & (f0 ^ g0);
    const nf0 = f0 ^ t0; // f[0] and g[0] after the swap
    const ng0 = g0 ^ t0;
    for (let i = 0; i < n; i++) {
      const fi = f[i]!;
      const gi = gBuf[go + i]!;
      const t = swap & (fi ^ gi);
      const nf = fi ^ t;
      f[i] = nf;
      gBuf[go + i] = fqFreezeWide(nf0 * (gi ^ t) - ng0 * nf);
    }
    const vr = k < P ? k + 1 : n;
    for (let i = 0; i < vr; i++) {
      const vi = vBuf[vo + i]!;
      const ri = r[i]!;
      const t = swap & (vi ^ ri);
      const nv = vi ^ t;
      vBuf[vo + i] = nv;
      r[i] = fqFreezeWide(nf0 * (ri ^ t) - ng0 * nv);
    }
  }
  const scale = fqRecip(f[0]!);
  for (let i = 0; i < P; i++) out[i] = fqFreeze(scale * vBuf[P - 1 - i]!);
  for (const a of [f, r, gBuf, vBuf]) a.fill(0);
  return nonzeroMask(delta);
}

// ---------------------------------------------------------------------------------------------------------------------
// Encodings (spec §"Encode"/"Decode": mixed-radix packing of R[i] < M[i], pairs merged until the radix fits 14 bits).

/** Appends the encoding of R (R[i] < M[i]) to out at pos; returns the new position. */
function encode(out: Uint8Array, pos: number, R: Uint32Array, M: Uint32Array, len: number): number {
  if (len === 1) {
    let r = R[0]!;
    let m = M[0]!;
    while (m > 1) {
      out[pos++] = r & 255;
      r >>>= 8;
      m = (m + 255) >>> 8;
    }
    return pos;
  }
  const half = (len + 1) >> 1;
  const R2 = new Uint32Array(half);
  const M2 = new Uint32Array(half);
  let i = 0;
  for (; i < len - 1; i += 2) {
    const m0 = M[i]!;
    let r = R[i]! + R[i + 1]! * m0;
    let m = M[i + 1]! * m0;
    while (m >= 16384) {
      out[pos++] = r & 255;
      r >>>= 8;
      m = (m + 255) >>> 8;
    }
    R2[i >> 1] = r;
    M2[i >> 1] = m;
  }
  if (i < len) {
    R2[i >> 1] = R[i]!;
    M2[i >> 1] = M[i]!;
  }
  return encode(out, pos, R2, M2, half);
}

/** Reads values R[i] < M[i] from s at pos (inverse of encode; out-of-range input is reduced, never rejected). */
function decode(out: Uint32Array, s: Uint8Array, pos: number, M: Uint32Array, len: number): void {
  if (len === 1) {
    const m = M[0]!;
    if (m === 1) out[0] = 0;
    else if (m <= 256) out[0] = s[pos]! % m;
    else out[0] = (s[pos]! + (s[pos + 1]! << 8)) % m;
    return;
  }
  const half = (len + 1) >> 1;
  const R2 = new Uint32Array(half);
  const M2 = new Uint32Array(half);
  const bottomR = new Uint32Array(len >> 1);
  const bottomT = new Uint32Array(len >> 1);
  let i = 0;
  for (; i < len - 1; i += 2) {
    const m = M[i]! * M[i + 1]!;
    if (m > 256 * 16383) {
      bottomT[i >> 1] = 65536;
      bottomR[i >> 1] = s[pos]! + 256 * s[pos + 1]!;
      pos += 2;
      M2[i >> 1] = (((m + 255) >>> 8) + 255) >>> 8;
    } else if (m >= 16384) {
      bottomT[i >> 1] = 256;
      bottomR[i >> 1] = s[pos]!;
      pos += 1;
      M2[i >> 1] = (m + 255) >>> 8;
    } else {
      bottomT[i >> 1] = 1;
      bottomR[i >> 1] = 0;
      M2[i >> 1] = m;
    }
  }
  if (i < len) M2[i >> 1] = M[i]!;
  decode(R2, s, pos, M2, half);
  let o = 0;
  for (i = 0; i < len - 1; i += 2) {
    const r = bottomR[i >> 1]! + bottomT[i >> 1]! * R2[i >> 1]!; // < 2^29: exact
    const m0 = M[i]!;
    const r1 = Math.floor(r / m0);
    out[o++] = r - r1 * m0;
    out[o++] = r1 % M[i + 1]!;
  }
  if (i < len) out[o] = R2[i >> 1]!;
}

const M_RQ = new Uint32Array(P).fill(Q);
const M_ROUNDED = new Uint32Array(P).fill(ROUNDED_RANGE);

function rqEncode(out: Uint8Array, r: Int32Array): void {
  const R = new Uint32Array(P);
  for (let i = 0; i < P; i++) R[i] = r[i]! + Q12;
  encode(out, 0, R, M_RQ, P);
}

function rqDecode(r: Int32Array, s: Uint8Array): void {
  const R = new Uint32Array(P);
  decode(R, s, 0, M_RQ, P);
  for (let i = 0; i < P; i++) r[i] = R[i]! - Q12;
}

function roundedEncode(out: Uint8Array, r: Int32Array): void {
  const R = new Uint32Array(P);
  for (let i = 0; i < P; i++) R[i] = ((r[i]! + Q12) * 10923) >>> 15;
  encode(out, 0, R, M_ROUNDED, P);
}

function roundedDecode(r: Int32Array, s: Uint8Array): void {
  const R = new Uint32Array(P);
  decode(R, s, 0, M_ROUNDED, P);
  for (let i = 0; i < P; i++) r[i] = R[i]! * 3 - Q12;
}

/** Four coefficients (each + 1, in 0..2) per byte, little end first; the last byte holds coefficient p - 1. */
function smallEncode(out: Uint8Array, pos: number, f: Int8Array): void {
  let k = 0;
  for (let i = 0; i < P >> 2; i++) {
    let x = 0;
    for (let j = 0; j < 4; j++) x += (f[k++]! + 1) << (2 * j);
    out[pos++] = x;
  }
  out[pos] = f[k]! + 1;
}

/** Inverse of smallEncode; the bit pair 3 decodes to 2, as in kem.c (only our own secret keys come through here). */
function smallDecode(f: Int8Array, s: Uint8Array, pos: number): void {
  let k = 0;
  for (let i = 0; i < P >> 2; i++) {
    const x = s[pos++]!;
    for (let j = 0; j < 4; j++) f[k++] = ((x >> (2 * j)) & 3) - 1;
  }
  f[k] = (s[pos]! & 3) - 1;
}

// ---------------------------------------------------------------------------------------------------------------------
// Randomness, hashing, and the KEM.

function randomWords(random: RandomSource): Uint32Array {
  const bytes = random(4 * P);
  if (bytes.length !== 4 * P) throw new RangeError(`random source returned ${bytes.length} bytes, wanted ${4 * P}`);
  const words = new Uint32Array(P);
  for (let i = 0; i < P; i++) {
    // kem.c fills a uint32_t[p] with randombytes: little-endian on every platform OpenSSH is tested on
    words[i] = (bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24)) >>> 0;
  }
  bytes.fill(0);
  return words;
}

/** Constant-time ascending sort of int32 values: a bitonic network over n (a power of two), masks instead of branches. */
function sortNetwork(x: Int32Array): void {
  const n = x.length;
  for (let k = 2; k <= n; k <<= 1) {
    for (let j = k >> 1; j > 0; j >>= 1) {
      for (let i = 0; i < n; i++) {
        const l = i ^ j;
        if (l <= i) continue; // index pattern only: public
        const lo = (i & k) === 0 ? i : l; // ascending run: smaller to i; descending: smaller to l
        const hi = lo === i ? l : i;
        const a = x[lo]!;
        const b = x[hi]!;
        // swap iff b < a: the sign of b - a, corrected when the subtraction overflows (a and b of different signs)
        const diff = a ^ b;
        let z = (b - a) | 0;
        z ^= diff & (z ^ b);
        const t = (z >> 31) & diff;
        x[lo] = a ^ t;
        x[hi] = b ^ t;
      }
    }
  }
}

/** Short_fromlist: w coefficients ±1 at positions chosen by sorting random words; the rest 0. */
function shortFromList(out: Int8Array, input: Uint32Array): void {
  const L = new Int32Array(1024).fill(0x7fffffff); // padding sorts last: real keys are at most 0xfffffffe before the flip
  for (let i = 0; i < W; i++) L[i] = (input[i]! & ~1) ^ 0x80000000; // low bits 0 or 2: coefficient -1 or 1
  for (let i = W; i < P; i++) L[i] = ((input[i]! & ~3) | 1) ^ 0x80000000; // low bits 1: coefficient 0
  sortNetwork(L);
  for (let i = 0; i < P; i++) out[i] = (L[i]! & 3) - 1;
  L.fill(0);
}

function shortRandom(out: Int8Array, random: RandomSource): void {
  const words = randomWords(random);
  shortFromList(out, words);
  words.fill(0);
}

function smallRandom(out: Int8Array, random: RandomSource): void {
  const words = randomWords(random);
  for (let i = 0; i < P; i++) out[i] = (((words[i]! & 0x3fffffff) * 3) >>> 30) - 1;
  words.fill(0);
}

/** Hash_prefix: the first 32 bytes of SHA-512(b ‖ input). */
function hashPrefix(b: number, ...input: Uint8Array[]): Uint8Array {
  const h = createHash("sha512");
  h.update(Uint8Array.of(b));
  for (const part of input) h.update(part);
  return new Uint8Array(h.digest().subarray(0, 32));
}

/** HashConfirm: Hash_prefix(2, Hash_prefix(3, r_enc) ‖ Hash_prefix(4, pk)). */
function hashConfirm(rEnc: Uint8Array, cache: Uint8Array): Uint8Array {
  return hashPrefix(2, hashPrefix(3, rEnc), cache);
}

/** HashSession: Hash_prefix(b, Hash_prefix(3, y) ‖ ciphertext); b = 1 for a good ciphertext, 0 for implicit rejection. */
function hashSession(b: number, y: Uint8Array, c: Uint8Array): Uint8Array {
  return hashPrefix(b, hashPrefix(3, y), c);
}

/** ZEncrypt after Small_encode, plus the confirmation hash: the whole ciphertext for r (kem.c Hide). */
function hide(c: Uint8Array, rEnc: Uint8Array, r: Int8Array, pk: Uint8Array, cache: Uint8Array): void {
  smallEncode(rEnc, 0, r);
  const h = new Int32Array(P);
  rqDecode(h, pk);
  rqMultSmall(h, h, r); // Encrypt: c = Round(h * r)
  for (let i = 0; i < P; i++) h[i] = h[i]! - f3Freeze(h[i]!);
  roundedEncode(c, h);
  c.set(hashConfirm(rEnc, cache), ROUNDED_BYTES);
}

/**
 * Generates a key pair. `random` is called in OpenSSH's order: 3044 bytes for g (again while g is not invertible in R/3),
 * 3044 bytes for f, then 191 bytes for rho. The returned arrays are fresh and owned by the caller.
 */
export function sntrup761Keypair(random: RandomSource): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const g = new Int8Array(P);
  const ginv = new Int8Array(P);
  for (;;) {
    smallRandom(g, random);
    if (r3Recip(ginv, g) === 0) break; // the retry reveals only that a discarded g was not invertible
  }
  const f = new Int8Array(P);
  shortRandom(f, random);
  const h = new Int32Array(P);
  rqRecip3(h, f); // h = 1/(3f)
  rqMultSmall(h, h, g); // h = g/(3f)
  const publicKey = new Uint8Array(SNTRUP761_PUBLIC_KEY_BYTES);
  rqEncode(publicKey, h);
  const secretKey = new Uint8Array(SNTRUP761_SECRET_KEY_BYTES);
  smallEncode(secretKey, 0, f);
  smallEncode(secretKey, SMALL_BYTES, ginv);
  secretKey.set(publicKey, 2 * SMALL_BYTES);
  const rho = random(SMALL_BYTES);
  if (rho.length !== SMALL_BYTES) throw new RangeError(`random source returned ${rho.length} bytes, wanted ${SMALL_BYTES}`);
  secretKey.set(rho, 2 * SMALL_BYTES + RQ_BYTES);
  secretKey.set(hashPrefix(4, publicKey), 3 * SMALL_BYTES + RQ_BYTES);
  f.fill(0);
  g.fill(0);
  ginv.fill(0);
  rho.fill(0);
  return { publicKey, secretKey };
}

/**
 * Encapsulates a fresh secret to `publicKey` (1158 bytes, any value decodes); `random` supplies 3044 bytes once.
 * Throws KexError for a public key of the wrong length. The returned arrays are fresh and owned by the caller.
 */
export function sntrup761Encapsulate(
  publicKey: Uint8Array,
  random: RandomSource,
): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  if (publicKey.length !== SNTRUP761_PUBLIC_KEY_BYTES) {
    throw new KexError(`sntrup761 public key is ${publicKey.length} bytes, expected ${SNTRUP761_PUBLIC_KEY_BYTES}`);
  }
  const cache = hashPrefix(4, publicKey);
  const r = new Int8Array(P);
  shortRandom(r, random);
  const ciphertext = new Uint8Array(SNTRUP761_CIPHERTEXT_BYTES);
  const rEnc = new Uint8Array(SMALL_BYTES);
  hide(ciphertext, rEnc, r, publicKey, cache);
  const sharedSecret = hashSession(1, rEnc, ciphertext);
  r.fill(0);
  rEnc.fill(0);
  return { ciphertext, sharedSecret };
}

/**
 * Decapsulates `ciphertext` (1039 bytes) with `secretKey` (1763 bytes). A ciphertext that does not re-encrypt to itself
 * yields Hash_prefix(0, Hash_prefix(3, rho) ‖ ciphertext) instead of an error (implicit rejection), chosen by mask.
 * Throws KexError for a ciphertext of the wrong length, RangeError for a secret key of the wrong length.
 * Returns a fresh 32-byte array.
 */
export function sntrup761Decapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (ciphertext.length !== SNTRUP761_CIPHERTEXT_BYTES) {
    throw new KexError(`sntrup761 ciphertext is ${ciphertext.length} bytes, expected ${SNTRUP761_CIPHERTEXT_BYTES}`);
  }
  if (secretKey.length !== SNTRUP761_SECRET_KEY_BYTES) {
    throw new RangeError(`sntrup761 secret key is ${secretKey.length} bytes, expected ${SNTRUP761_SECRET_KEY_BYTES}`);
  }
  const pkOff = 2 * SMALL_BYTES;
  const rhoOff = pkOff + RQ_BYTES;
  const cacheOff = rhoOff + SMALL_BYTES;
  const pk = secretKey.subarray(pkOff, rhoOff);
  const rho = secretKey.subarray(rhoOff, cacheOff);
  const cache = secretKey.subarray(cacheOff, cacheOff + HASH_BYTES);

  // ZDecrypt
  const f = new Int8Array(P);
  const ginv = new Int8Array(P);
  smallDecode(f, secretKey, 0);
  smallDecode(ginv, secretKey, SMALL_BYTES);
  const c = new Int32Array(P);
  roundedDecode(c, ciphertext);
  // Decrypt: e = 3fc in R/3, ev = e/g; a wrong weight is replaced by a fixed weight-w vector, by mask
  rqMultSmall(c, c, f);
  for (let i = 0; i < P; i++) c[i] = fqFreeze(3 * c[i]!);
  const e = new Int8Array(P);
  for (let i = 0; i < P; i++) e[i] = f3Freeze(c[i]!);
  const ev = new Int8Array(P);
  r3Mult(ev, e, ginv);
  let weight = 0;
  for (let i = 0; i < P; i++) weight += ev[i]! & 1;
  const bad = nonzeroMask(weight - W);
  const r = new Int8Array(P);
  for (let i = 0; i < W; i++) r[i] = ((ev[i]! ^ 1) & ~bad) ^ 1;
  for (let i = W; i < P; i++) r[i] = ev[i]! & ~bad;

  // re-encrypt and compare the whole ciphertext without a branch
  const cnew = new Uint8Array(SNTRUP761_CIPHERTEXT_BYTES);
  const rEnc = new Uint8Array(SMALL_BYTES);
  hide(cnew, rEnc, r, pk, cache);
  let differentBits = 0;
  for (let i = 0; i < SNTRUP761_CIPHERTEXT_BYTES; i++) differentBits |= ciphertext[i]! ^ cnew[i]!;
  // differentBits is in 0..255, so bit 8 of differentBits - 1 is set only when it was 0: reject is 0 or -1
  const reject = (((differentBits - 1) >> 8) & 1) - 1;
  for (let i = 0; i < SMALL_BYTES; i++) rEnc[i] = rEnc[i]! ^ (reject & (rEnc[i]! ^ rho[i]!));
  const k = hashSession(1 + reject, rEnc, ciphertext);
  f.fill(0);
  ginv.fill(0);
  e.fill(0);
  ev.fill(0);
  r.fill(0);
  rEnc.fill(0);
  c.fill(0);
  return k;
}
