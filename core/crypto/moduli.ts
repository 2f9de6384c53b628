// OpenSSH's moduli file (moduli(5)): the safe primes a diffie-hellman-group-exchange server offers, and OpenSSH's
// choice among them (dh.c parse_prime / choose_dh).
import { randomInt } from "node:crypto";
import type { DhGroup } from "./dh.ts";

/** dh.h MODULI_TYPE_SAFE: p = 2q + 1 with q prime; the only type OpenSSH uses. */
export const MODULI_TYPE_SAFE = 2;
/** dh.h MODULI_TESTS_COMPOSITE: the candidate failed a test. */
export const MODULI_TESTS_COMPOSITE = 0x01;

/** One usable line of a moduli file. */
export interface ModuliEntry {
  /** 1-based line number, for messages. */
  readonly line: number;
  /** YYYYMMDDHHMMSS as written. */
  readonly timestamp: string;
  readonly tests: number;
  readonly tries: number;
  /** Bit length of p (the file lists one less: moduli(5) "size"). */
  readonly bits: number;
  readonly group: DhGroup;
}

/** A line parse_prime would refuse, with the reason OpenSSH logs (`moduli:<line>: …`). */
export interface ModuliProblem {
  readonly line: number;
  readonly message: string;
}

/** Strictly parses a non-negative decimal in [lo, hi] like strtonum; null otherwise. */
function strtonum(s: string, lo: number, hi: number): number | null {
  if (!/^[0-9]{1,10}$/.test(s)) return null;
  const n = Number(s);
  return n >= lo && n <= hi ? n : null;
}
function hexValue(s: string): bigint | null {
  return /^[0-9A-Fa-f]+$/.test(s) ? BigInt("0x" + s) : null;
}

/**
 * Parses moduli(5) text with OpenSSH's parse_prime rules: `#` comments and blank lines are skipped; a line is
 * `time type tests tries size generator modulus` separated by single spaces, and it is kept only when type is 2 (safe),
 * tests has no COMPOSITE bit and at least one other, tries > 0, bits(modulus) = size + 1 and generator > 1.
 * Refused lines are reported in `problems`, never thrown.
 */
export function parseModuli(text: string): { entries: ModuliEntry[]; problems: ModuliProblem[] } {
  const entries: ModuliEntry[] = [];
  const problems: ModuliProblem[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.replace(/\r?$/, "").replace(/^[ \t]+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const fail = (message: string): void => {
      problems.push({ line: lineNo, message: `moduli:${lineNo}: ${message}` });
    };
    const f = line.split(" ");
    if (f.length < 7 || f.slice(0, 7).some((x) => x === "")) {
      fail("truncated");
      continue;
    }
    if (f.length > 7) {
      fail("truncated"); // parse_prime: text after the modulus
      continue;
    }
    const [timestamp, typeS, testsS, triesS, sizeS, genS, primeS] = f as [string, string, string, string, string, string, string];
    if (strtonum(typeS, 0, 5) !== MODULI_TYPE_SAFE) {
      fail(`type is not ${MODULI_TYPE_SAFE}`);
      continue;
    }
    const tests = strtonum(testsS, 0, 0x1f);
    if (tests === null || (tests & MODULI_TESTS_COMPOSITE) !== 0 || (tests & ~MODULI_TESTS_COMPOSITE) === 0) {
      fail("invalid moduli tests flag");
      continue;
    }
    const tries = strtonum(triesS, 0, 1 << 30);
    if (tries === null || tries === 0) {
      fail("invalid primality trial count");
      continue;
    }
    const size = strtonum(sizeS, 0, 64 * 1024);
    if (size === null || size === 0) {
      fail("invalid prime length");
      continue;
    }
    const bits = size + 1; // "The whole group is one bit larger"
    const g = hexValue(genS);
    if (g === null) {
      fail("could not parse generator value");
      continue;
    }
    const p = hexValue(primeS);
    if (p === null) {
      fail("could not parse prime value");
      continue;
    }
    const actual = p === 0n ? 0 : p.toString(2).length;
    if (actual !== bits) {
      fail(`prime has wrong size: actual ${actual} listed ${size}`);
      continue;
    }
    if (g <= 1n) {
      fail("generator is invalid");
      continue;
    }
    entries.push({ line: lineNo, timestamp, tests, tries, bits, group: { p, g, bits } });
  }
  return { entries, problems };
}

/**
 * OpenSSH choose_dh: among entries with min ≤ bits ≤ max, the best size is the smallest one above `wantBits`, or failing
 * that the largest below it; one entry of that size is picked uniformly at random. Returns null when none fits (OpenSSH then
 * refuses the exchange; a missing file instead falls back to dhFallbackGroup(max)). `pick(n)` returns an integer in [0, n).
 */
export function chooseModulus(
  entries: readonly ModuliEntry[],
  min: number,
  wantBits: number,
  max: number,
  pick: (n: number) => number = (n) => randomInt(n),
): ModuliEntry | null {
  let best = 0;
  for (const e of entries) {
    if (e.bits > max || e.bits < min) continue;
    if ((e.bits > wantBits && e.bits < best) || (e.bits > best && best < wantBits)) best = e.bits;
  }
  const candidates = entries.filter((e) => e.bits === best && e.bits <= max && e.bits >= min);
  if (candidates.length === 0) return null;
  const which = pick(candidates.length);
  return candidates[which] ?? null;
}
