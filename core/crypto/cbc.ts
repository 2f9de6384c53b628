// Legacy CBC ciphers (RFC 4253 §6.3: aes128-cbc, aes192-cbc, aes256-cbc, 3des-cbc): negotiable only when configured
// (OpenSSH removed them from its defaults), kept so `Ciphers +aes128-cbc` and OpenSSH's try-ciphers test work. One
// long-lived node:crypto object per direction: CBC chains across packets, as the RFC requires.
import { createCipheriv, createDecipheriv, type Cipheriv, type Decipheriv } from "node:crypto";
import type { StreamCipher } from "./types.ts";

/** A CBC stream for one direction (encrypt for "seal", decrypt for "open"). */
export class Cbc implements StreamCipher {
  readonly blockBytes: number;
  #stream: Cipheriv | Decipheriv | null;

  constructor(algorithm: string, blockBytes: number, key: Uint8Array, iv: Uint8Array, direction: "seal" | "open") {
    this.blockBytes = blockBytes;
    const c = direction === "seal" ? createCipheriv(algorithm, key, iv) : createDecipheriv(algorithm, key, iv);
    c.setAutoPadding(false); // SSH pads packets itself; every update is whole blocks
    this.#stream = c;
  }

  /** The registry's `createStream` for an OpenSSL cipher name and block size. */
  static factory(algorithm: string, blockBytes: number): (key: Uint8Array, iv: Uint8Array, direction: "seal" | "open") => StreamCipher {
    return (key, iv, direction) => new Cbc(algorithm, blockBytes, key, iv, direction);
  }

  apply(buf: Uint8Array, off: number, len: number): void {
    const s = this.#stream;
    if (s === null) throw new Error("CBC stream used after dispose");
    if (len === 0) return;
    // Whole blocks in, whole blocks out (no split at an alignment boundary as aes-ctr.ts does: CBC works per block).
    buf.set(s.update(buf.subarray(off, off + len)), off);
  }

  dispose(): void {
    this.#stream = null;
  }
}
