// bcrypt_pbkdf and its Blowfish: the pi table recomputed from Machin's formula, Schneier's Blowfish vectors, the
// bcrypt_pbkdf vector every implementation shares, and keys OpenSSH encrypted (decrypting them is the real test).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bcryptPbkdf, blowfishEncryptBlock } from "../../../core/keys/bcrypt-pbkdf.ts";
import { PI_FRACTION_HEX } from "../../../core/keys/blowfish-pi.ts";
import { loadPrivateKey } from "../../../core/keys/private-key.ts";
import { VECTORS_DIR } from "../../helpers/vectors.ts";

/** The first `words` 32-bit words of pi's fraction: pi = 16·atan(1/5) − 4·atan(1/239) in fixed point. */
function piFractionHex(words: number): string {
  const bits = BigInt(words * 32 + 64);
  const one = 1n << bits;
  const atanInv = (x: bigint): bigint => {
    let sum = 0n;
    let term = one / x;
    let k = 1n;
    let sign = 1n;
    while (term !== 0n) {
      sum += (sign * term) / k;
      term /= x * x;
      k += 2n;
      sign = -sign;
    }
    return sum;
  };
  const frac = (16n * atanInv(5n) - 4n * atanInv(239n) - 3n * one) >> 64n;
  return frac.toString(16).padStart(words * 8, "0");
}

test("Blowfish's initial state is the hexadecimal fraction of pi", () => {
  expect(PI_FRACTION_HEX.length).toBe(1042 * 8);
  expect(PI_FRACTION_HEX).toBe(piFractionHex(1042));
});

describe("Blowfish (Schneier's test vectors)", () => {
  test.each([
    ["0000000000000000", "0000000000000000", "4ef997456198dd78"],
    ["ffffffffffffffff", "ffffffffffffffff", "51866fd5b85ecb8a"],
    ["3000000000000000", "1000000000000001", "7d856f9a613063f2"],
    ["0123456789abcdef", "1111111111111111", "61f9c3802281b096"],
    ["fedcba9876543210", "0123456789abcdef", "0aceab0fc6a0a28d"],
  ])("key %s plaintext %s", (key, plain, cipher) => {
    const [l, r] = blowfishEncryptBlock(Uint8Array.from(Buffer.from(key, "hex")), parseInt(plain.slice(0, 8), 16), parseInt(plain.slice(8), 16));
    expect(l.toString(16).padStart(8, "0") + r.toString(16).padStart(8, "0")).toBe(cipher);
  });
});

describe("bcrypt_pbkdf", () => {
  test("the shared vector: password/salt, 4 rounds, 32 bytes", () => {
    const k = bcryptPbkdf(new TextEncoder().encode("password"), new TextEncoder().encode("salt"), 4, 32);
    expect(Buffer.from(k).toString("hex")).toBe("5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9");
  });
  test("refuses what OpenSSH refuses", () => {
    const p = new Uint8Array(1);
    expect(() => bcryptPbkdf(new Uint8Array(0), p, 16, 32)).toThrow(RangeError);
    expect(() => bcryptPbkdf(p, new Uint8Array(0), 16, 32)).toThrow(RangeError);
    expect(() => bcryptPbkdf(p, p, 0, 32)).toThrow(RangeError);
    expect(() => bcryptPbkdf(p, p, 1, 1025)).toThrow(RangeError);
  });
  test("output length spreads over blocks (stride) and prefixes differ from a longer output", () => {
    const a = bcryptPbkdf(p8("pw"), p8("saltsalt"), 2, 48);
    const b = bcryptPbkdf(p8("pw"), p8("saltsalt"), 2, 32);
    expect(a.length).toBe(48);
    expect(Buffer.from(a.subarray(0, 32)).equals(Buffer.from(b))).toBe(false); // non-linear output, as bcrypt_pbkdf.c
  });
  const dir = join(VECTORS_DIR, "openssh-keys");
  const pw = readFileSync(join(dir, "pw"), "utf8").trim();
  test.each(["ed25519_1_pw", "ecdsa_n_pw", "rsa_n_pw", "ed25519_sk1_pw"])("decrypts %s, which OpenSSH encrypted", (f) => {
    const k = loadPrivateKey(join(dir, f), pw);
    expect(k.encrypted).toBe(true);
    expect(() => loadPrivateKey(join(dir, f), pw + "x")).toThrow("incorrect passphrase supplied to decrypt private key");
  });
});

function p8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
