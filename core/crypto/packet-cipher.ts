// Packet protection from a stream cipher and a MAC: RFC 4253 §6 encrypt-and-MAC, OpenSSH's encrypt-then-MAC
// (PROTOCOL §1.5, the -etm@openssh.com MACs) and the `none` cipher (RFC 4253 §6.3).
import type { PacketCipher, PacketMac, StreamCipher } from "./types.ts";

function readLength(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/**
 * RFC 4253 §6: the MAC covers uint32 seq ‖ the whole plaintext packet and the whole packet is encrypted, so the reader must
 * decrypt the first block to learn packet_length (lengthBytes = block size; 4 for the `none` cipher, which decrypts nothing).
 */
class EncryptAndMac implements PacketCipher {
  readonly blockBytes: number;
  readonly tagBytes: number;
  readonly lengthBytes: number;
  readonly lengthIsAad: boolean = false;
  readonly #cipher: StreamCipher | null;
  readonly #mac: PacketMac | null;

  constructor(cipher: StreamCipher | null, mac: PacketMac | null) {
    this.#cipher = cipher;
    this.#mac = mac;
    // RFC 4253 §6: the padding multiple is the cipher block size or 8, whichever is larger.
    this.blockBytes = Math.max(8, cipher?.blockBytes ?? 8);
    this.tagBytes = mac?.tagBytes ?? 0;
    this.lengthBytes = cipher === null ? 4 : cipher.blockBytes;
  }

  seal(seq: number, buf: Uint8Array, off: number, len: number): void {
    this.#mac?.compute(seq, buf, off, 4 + len, buf, off + 4 + len);
    this.#cipher?.apply(buf, off, 4 + len);
  }

  openLength(_seq: number, buf: Uint8Array, off: number): number {
    const cipher = this.#cipher;
    if (cipher !== null) cipher.apply(buf, off, cipher.blockBytes);
    return readLength(buf, off);
  }

  open(seq: number, buf: Uint8Array, off: number, len: number): boolean {
    const total = 4 + len;
    // RFC 4253 §6: the packet must be whole blocks (OpenSSH packet.c: "padding error").
    if (total % this.blockBytes !== 0 || total < this.lengthBytes) return false;
    const cipher = this.#cipher;
    if (cipher !== null) cipher.apply(buf, off + this.lengthBytes, total - this.lengthBytes);
    const mac = this.#mac;
    return mac === null || mac.verify(seq, buf, off, total, buf, off + total);
  }

  dispose(): void {
    this.#cipher?.dispose();
    this.#mac?.dispose();
  }
}

/**
 * OpenSSH PROTOCOL §1.5 (-etm@openssh.com): packet_length travels in clear, the rest is encrypted, and the MAC covers
 * uint32 seq ‖ packet_length ‖ ciphertext; it is checked before anything is decrypted.
 */
class EncryptThenMac implements PacketCipher {
  readonly blockBytes: number;
  readonly tagBytes: number;
  readonly lengthBytes: number = 4;
  readonly lengthIsAad: boolean = true;
  readonly #cipher: StreamCipher | null;
  readonly #mac: PacketMac;

  constructor(cipher: StreamCipher | null, mac: PacketMac) {
    this.#cipher = cipher;
    this.#mac = mac;
    this.blockBytes = Math.max(8, cipher?.blockBytes ?? 8);
    this.tagBytes = mac.tagBytes;
  }

  seal(seq: number, buf: Uint8Array, off: number, len: number): void {
    this.#cipher?.apply(buf, off + 4, len);
    this.#mac.compute(seq, buf, off, 4 + len, buf, off + 4 + len);
  }

  openLength(_seq: number, buf: Uint8Array, off: number): number {
    return readLength(buf, off);
  }

  open(seq: number, buf: Uint8Array, off: number, len: number): boolean {
    // PROTOCOL §1.5: the padding rule excludes the clear length field, so the encrypted part is whole blocks.
    if (len % this.blockBytes !== 0) return false;
    if (!this.#mac.verify(seq, buf, off, 4 + len, buf, off + 4 + len)) return false;
    this.#cipher?.apply(buf, off + 4, len);
    return true;
  }

  dispose(): void {
    this.#cipher?.dispose();
    this.#mac.dispose();
  }
}

/**
 * Builds the PacketCipher for one direction from a negotiated stream cipher (`null` for `none`) and MAC (`null` for `none`).
 * `etm` selects OpenSSH's encrypt-then-MAC (the MacSpec's `etm`); it needs a MAC. The returned object owns both parts and
 * disposes them with itself.
 */
export function composePacketCipher(cipher: StreamCipher | null, mac: PacketMac | null, etm: boolean): PacketCipher {
  if (etm) {
    if (mac === null) throw new Error("encrypt-then-MAC needs a MAC");
    return new EncryptThenMac(cipher, mac);
  }
  return new EncryptAndMac(cipher, mac);
}
