// Slow twin of core/crypto/umac.ts: RFC 4418 written out step by step on whole byte strings with BigInt arithmetic,
// for tests that compare the two on random inputs. AES-128 comes from node:crypto (ECB, one block at a time).
import { createCipheriv } from "node:crypto";

const P36 = (1n << 36n) - 5n;
const P64 = (1n << 64n) - 59n;
const P128 = (1n << 128n) - 159n;
const M32 = (1n << 32n) - 1n;
const M64 = (1n << 64n) - 1n;

function encipher(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-128-ecb", key, null);
  c.setAutoPadding(false);
  return Uint8Array.from(c.update(block));
}

function str2uint(s: Uint8Array): bigint {
  let v = 0n;
  for (const b of s) v = (v << 8n) | BigInt(b);
  return v;
}

function uint2str(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** zeropad(S, n): S padded with zero bytes to the nearest positive multiple of n bytes. */
function zeropad(s: Uint8Array, n: number): Uint8Array {
  const len = Math.max(n, Math.ceil(s.length / n) * n);
  const out = new Uint8Array(len);
  out.set(s);
  return out;
}

// §3.2.1
function kdf(k: Uint8Array, index: number, numbytes: number): Uint8Array {
  const n = Math.ceil(numbytes / 16);
  const parts: Uint8Array[] = [];
  for (let i = 1; i <= n; i++) parts.push(encipher(k, concat(uint2str(BigInt(index), 8), uint2str(BigInt(i), 8))));
  return concat(...parts).subarray(0, numbytes);
}

// §3.2.2
function pdf(k: Uint8Array, nonce: Uint8Array, taglen: number): Uint8Array {
  let index = 0;
  let n: Uint8Array = Uint8Array.from(nonce);
  if (taglen === 4 || taglen === 8) {
    index = Number(str2uint(n) % BigInt(16 / taglen));
    n = uint2str(str2uint(n) ^ BigInt(index), n.length);
  }
  const t = encipher(kdf(k, 0, 16), concat(n, new Uint8Array(16 - n.length)));
  return taglen === 4 || taglen === 8 ? t.slice(index * taglen, (index + 1) * taglen) : t.slice(0, taglen);
}

// §5.2.2: NH reads 4-byte words little-endian for the message, big-endian for the key (umac.c endian_convert).
function le32(s: Uint8Array, i: number): bigint {
  return BigInt(s[i]!) | (BigInt(s[i + 1]!) << 8n) | (BigInt(s[i + 2]!) << 16n) | (BigInt(s[i + 3]!) << 24n);
}
function nh(k: Uint8Array, m: Uint8Array): bigint {
  const t = m.length / 4;
  let y = 0n;
  for (let i = 0; i < t; i += 8) {
    for (let j = 0; j < 4; j++) {
      const a = (le32(m, 4 * (i + j)) + str2uint(k.subarray(4 * (i + j), 4 * (i + j) + 4))) & M32;
      const b = (le32(m, 4 * (i + j + 4)) + str2uint(k.subarray(4 * (i + j + 4), 4 * (i + j + 4) + 4))) & M32;
      y = (y + a * b) & M64;
    }
  }
  return y;
}

// §5.2.1
function l1Hash(k: Uint8Array, m: Uint8Array): Uint8Array {
  const t = Math.max(Math.ceil(m.length / 1024), 1);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < t - 1; i++) parts.push(uint2str((nh(k, m.subarray(i * 1024, (i + 1) * 1024)) + 8192n) & M64, 8));
  const last = m.subarray((t - 1) * 1024);
  parts.push(uint2str((nh(k, zeropad(last, 32)) + BigInt(last.length * 8)) & M64, 8));
  return concat(...parts);
}

/** RFC 4418 §5.3 POLY over the big-endian words of `m`. */
export function poly(wordbits: number, maxwordrange: bigint, k: bigint, m: Uint8Array): bigint {
  const wordbytes = wordbits / 8;
  const p = wordbits === 64 ? P64 : P128;
  const offset = (1n << BigInt(wordbits)) - p;
  const marker = p - 1n;
  let y = 1n;
  for (let i = 0; i < m.length / wordbytes; i++) {
    const w = str2uint(m.subarray(i * wordbytes, (i + 1) * wordbytes));
    if (w >= maxwordrange) {
      y = (k * y + marker) % p;
      y = (k * y + (w - offset)) % p;
    } else {
      y = (k * y + w) % p;
    }
  }
  return y;
}

function l2Hash(k: Uint8Array, m: Uint8Array): Uint8Array {
  const k64 = str2uint(k.subarray(0, 8)) & 0x01ffffff01ffffffn;
  const k128 = str2uint(k.subarray(8, 24)) & 0x01ffffff01ffffff01ffffff01ffffffn;
  let y: bigint;
  if (m.length <= 1 << 17) {
    y = poly(64, (1n << 64n) - (1n << 32n), k64, m);
  } else {
    const m1 = m.subarray(0, 1 << 17);
    const m2 = zeropad(concat(m.subarray(1 << 17), Uint8Array.of(0x80)), 16);
    y = poly(64, (1n << 64n) - (1n << 32n), k64, m1);
    y = poly(128, (1n << 128n) - (1n << 96n), k128, concat(uint2str(y, 16), m2));
  }
  return uint2str(y, 16);
}

// §5.4
function l3Hash(k1: Uint8Array, k2: Uint8Array, m: Uint8Array): Uint8Array {
  let y = 0n;
  for (let i = 0; i < 8; i++) {
    const mi = str2uint(m.subarray(i * 2, i * 2 + 2));
    const ki = str2uint(k1.subarray(i * 8, i * 8 + 8)) % P36;
    y = y + mi * ki;
  }
  y = (y % P36) & M32;
  return uint2str(y ^ str2uint(k2), 4);
}

// §5.1
function uhash(k: Uint8Array, m: Uint8Array, taglen: number): Uint8Array {
  const iters = taglen / 4;
  const l1Key = kdf(k, 1, 1024 + (iters - 1) * 16);
  const l2Key = kdf(k, 2, iters * 24);
  const l3Key1 = kdf(k, 3, iters * 64);
  const l3Key2 = kdf(k, 4, iters * 4);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < iters; i++) {
    const a = l1Hash(l1Key.subarray(i * 16, i * 16 + 1024), m);
    const b = m.length <= 1024 ? concat(new Uint8Array(8), a) : l2Hash(l2Key.subarray(i * 24, (i + 1) * 24), a);
    parts.push(l3Hash(l3Key1.subarray(i * 64, (i + 1) * 64), l3Key2.subarray(i * 4, (i + 1) * 4), b));
  }
  return concat(...parts);
}

/** RFC 4418 §4.1 UMAC(K, M, Nonce) with a `taglen`-byte tag (4, 8, 12 or 16); returns a fresh array. */
export function umacReference(key: Uint8Array, nonce: Uint8Array, message: Uint8Array, taglen: number): Uint8Array {
  const h = uhash(key, message, taglen);
  const p = pdf(key, nonce, taglen);
  return h.map((b, i) => b ^ p[i]!);
}
