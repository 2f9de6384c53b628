// The ssh.com / Tectia "SSH2 ENCRYPTED PRIVATE KEY" format that `ssh-keygen -i` imports (ssh-keygen.c
// do_convert_private_ssh2): RFC 4716-style armor around magic 0x3f6ff9eb, a key type and cipher name ("none" only), and
// RSA numbers as 32-bit-bit-count bignums in the order d, n, iqmp, q, p.
import { createPrivateKey } from "node:crypto";
import { bigintFromBytes, bytesFromBigint } from "../crypto/ssh-encoding.ts";
import { KeyReader } from "./blob.ts";
import { KeyFormatError } from "./errors.ts";
import { privateKeyFromKeyObject, signWith, type PrivateKey } from "./private-key.ts";
import { signatureSpec } from "../crypto/signatures.ts";

const SSH_COM_PRIVATE_KEY_MAGIC = 0x3f6ff9eb;
const PRIVATE_BEGIN = "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----";

/** Whether text is an ssh.com private key file. */
export function isSshComPrivateKey(text: string): boolean {
  return text.includes(PRIVATE_BEGIN);
}

/**
 * The base64 body of an ssh.com/RFC 4716 armored file, as do_convert_from_ssh2 gathers it: lines split at CR, LF or
 * CRLF; header and armor lines ("----…", "Name: value") and continuation lines skipped; a "===" tail dropped.
 */
export function sshComBody(text: string): Uint8Array {
  let encoded = "";
  let escaped = 0;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line.startsWith("----") || line.includes(": ")) {
      if (line.endsWith("\\")) escaped++;
      if (line.includes(" END ")) break;
      continue;
    }
    if (escaped > 0) {
      if (!line.endsWith("\\")) escaped--;
      continue;
    }
    encoded += line.trim();
  }
  if (encoded.length % 4 === 3 && encoded.endsWith("===")) encoded = encoded.slice(0, -3);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw new KeyFormatError("invalid-format", "bad base64");
  return Uint8Array.from(Buffer.from(encoded, "base64"));
}

/** buffer_get_bignum_bits(): uint32 bit count, then that many bits big-endian. */
function bignumBits(r: KeyReader): bigint {
  const bits = r.u32();
  return bigintFromBytes(r.raw(Math.ceil(bits / 8)));
}

/** Imports an unencrypted ssh.com RSA private key. Throws KeyFormatError (bad magic, cipher other than none, non-RSA). */
export function parseSshComPrivateKey(text: string): PrivateKey {
  const r = new KeyReader(sshComBody(text));
  const magic = r.u32();
  if (magic !== SSH_COM_PRIVATE_KEY_MAGIC) throw new KeyFormatError("invalid-format", `bad magic 0x${magic.toString(16)} != 0x${SSH_COM_PRIVATE_KEY_MAGIC.toString(16)}`);
  r.u32();
  const type = r.text();
  const cipher = r.text();
  r.u32();
  r.u32();
  r.u32();
  if (cipher !== "none") throw new KeyFormatError("unknown-cipher", `unsupported cipher ${cipher}`);
  if (!type.includes("rsa")) throw new KeyFormatError("unknown-key-type", type);
  let e = BigInt(r.u8());
  if (e < 30n) e = (e << 16n) | (BigInt(r.u8()) << 8n) | BigInt(r.u8());
  const d = bignumBits(r);
  const n = bignumBits(r);
  const iqmp = bignumBits(r);
  const q = bignumBits(r);
  const p = bignumBits(r);
  if (p < 2n || q < 2n) throw new KeyFormatError("invalid-format", "RSA primes");
  const b64 = (v: bigint): string => Buffer.from(bytesFromBigint(v)).toString("base64url");
  let key: PrivateKey;
  try {
    const ko = createPrivateKey({
      key: { kty: "RSA", n: b64(n), e: b64(e), d: b64(d), p: b64(p), q: b64(q), dp: b64(d % (p - 1n)), dq: b64(d % (q - 1n)), qi: b64(iqmp) },
      format: "jwk",
    });
    key = privateKeyFromKeyObject(ko);
  } catch (err) {
    throw new KeyFormatError("invalid-format", (err as Error).message, { cause: err });
  }
  // ssh-keygen.c: "try the key" with a test signature before accepting it.
  const data = new TextEncoder().encode("abcde12345\0");
  if (!signatureSpec("rsa-sha2-256")!.verify(key.publicKeyBlob, data, signWith(key, data, "rsa-sha2-256"))) {
    throw new KeyFormatError("invalid-format", "verification with converted key failed");
  }
  return key;
}
