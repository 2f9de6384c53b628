// chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305; shared/protocol-notes/chacha20-poly1305-openssh.md):
// K_2 = key[0, 32) encrypts the rest and keys Poly1305 (block 0), K_1 = key[32, 64) hides packet_length; nonce = uint64
// BE sequence number. Each packet is copied once into the shared WebAssembly kernel (chacha20.ts), sealed or opened
// there in one call, and copied back once; a packet in a buffer from `allocateChaChaPolyBuffer` (kernel memory) is
// processed where it is, without either copy. Inside the kernel, seal runs Poly1305 over the previous 192 bytes of
// ciphertext while ChaCha20 encrypts the next, and open computes the keystream (into kernel scratch, not XORed yet)
// while Poly1305 reads the ciphertext: the XOR happens only after the tag has matched.
import { ChaChaKernel } from "./chacha20.ts";
import type { PacketCipher } from "./types.ts";

/** One direction of chacha20-poly1305@openssh.com, built at NEWKEYS; see `PacketCipher` for the buffer contract. */
export class ChaChaPolyOpenSsh implements PacketCipher {
  readonly blockBytes = 8;
  readonly tagBytes = 16;
  readonly lengthBytes = 4;
  readonly lengthIsAad = true; // packet.c: authlen > 0 gives aadlen = 4: the body is padded without the length
  private readonly kernel: ChaChaKernel;
  /** Kernel address of K_2 ‖ K_1 (the same order as the 64 bytes of key material); -1 once disposed. */
  private slot: number;

  constructor(key64: Uint8Array) {
    if (key64.length !== 64) throw new RangeError("chacha20-poly1305@openssh.com needs 64 bytes of key");
    this.kernel = ChaChaKernel.get();
    this.slot = this.kernel.allocSlot();
    this.kernel.u8.set(key64, this.slot);
  }

  /** Registry shape (`CipherSpec.createAead`): the IV derivation is unused by this cipher. */
  static create(key: Uint8Array, _iv?: Uint8Array): ChaChaPolyOpenSsh {
    return new ChaChaPolyOpenSsh(key);
  }

  /** Encrypts `buf[off, off + 4 + len)` in place (length with K_1, the rest with K_2) and writes the tag after it. */
  seal(seq: number, buf: Uint8Array, off: number, len: number): void {
    const k = this.stageFor(buf, off, len);
    if (k.owns(buf)) {
      k.fn.ssh_seal(this.slot, seq | 0, buf.byteOffset + off, len); // a kernel buffer: sealed where it is
      return;
    }
    const u8 = k.u8;
    const at = k.stage + ((buf.byteOffset + off) & 15); // same alignment both sides: see stageFor
    const n = 4 + len;
    if (n <= SMALL_COPY) for (let i = 0; i < n; i++) u8[at + i] = buf[off + i]!;
    else u8.set(buf.subarray(off, off + n), at);
    k.fn.ssh_seal(this.slot, seq | 0, at, len);
    if (n + 16 <= SMALL_COPY) for (let i = 0; i < n + 16; i++) buf[off + i] = u8[at + i]!;
    else buf.set(u8.subarray(at, at + n + 16), off);
  }

  /** packet_length from the 4 encrypted bytes at `off` (K_1, block 0); `buf` is not modified. */
  openLength(seq: number, buf: Uint8Array, off: number): number {
    if (this.slot < 0) throw new Error("cipher used after dispose");
    if (!(off >= 0 && off + 4 <= buf.length)) throw new RangeError("packet length field outside the buffer");
    const k = this.kernel;
    if (k.owns(buf)) return k.fn.ssh_length(this.slot, seq | 0, buf.byteOffset + off) >>> 0;
    const u8 = k.u8;
    const at = k.stage;
    u8[at] = buf[off]!; u8[at + 1] = buf[off + 1]!; u8[at + 2] = buf[off + 2]!; u8[at + 3] = buf[off + 3]!;
    return k.fn.ssh_length(this.slot, seq | 0, at) >>> 0;
  }

  /**
   * Verifies the tag over the encrypted length ‖ rest in constant time, then decrypts `buf[off, off + 4 + len)` in
   * place (the length field too, so the packet reads as it was sealed). On a bad tag returns false and `buf` is
   * untouched: no plaintext of a forged packet exists anywhere, in `buf` or in kernel memory.
   */
  open(seq: number, buf: Uint8Array, off: number, len: number): boolean {
    const k = this.stageFor(buf, off, len);
    if (k.owns(buf)) return k.fn.ssh_open(this.slot, seq | 0, buf.byteOffset + off, len, k.stage) !== 0;
    const u8 = k.u8;
    const at = k.stage + ((buf.byteOffset + off) & 15); // same alignment both sides: see stageFor
    const n = 4 + len;
    if (n + 16 <= SMALL_COPY) for (let i = 0; i < n + 16; i++) u8[at + i] = buf[off + i]!;
    else u8.set(buf.subarray(off, off + n + 16), at);
    // the keystream area follows the staged packet, 16-byte aligned
    if (k.fn.ssh_open(this.slot, seq | 0, at, len, (at + n + 16 + 15) & ~15) === 0) return false;
    if (n <= SMALL_COPY) for (let i = 0; i < n; i++) buf[off + i] = u8[at + i]!;
    else buf.set(u8.subarray(at, at + n), off);
    return true;
  }

  /** Wipes both keys; the object is unusable afterwards. */
  dispose(): void {
    if (this.slot >= 0) this.kernel.freeSlot(this.slot);
    this.slot = -1;
  }

  private stageFor(buf: Uint8Array, off: number, len: number): ChaChaKernel {
    if (this.slot < 0) throw new Error("cipher used after dispose");
    if (!(off >= 0 && len >= 0 && off + 4 + len + 16 <= buf.length)) throw new RangeError("packet outside the buffer");
    const k = this.kernel;
    // the packet, then (16-byte aligned) the keystream of the stitched open, whole blocks. The packet is staged at
    // the buffer's own alignment mod 16: glibc's memmove copies at ~3 GB/s instead of ~50 when the destination sits
    // 1-15 bytes past the source's alignment (transport.ts CHANNEL_DATA_SKEW), which the copy out would otherwise do.
    if (2 * len + 256 > k.stageBytes) k.ensureStage(2 * len + 256);
    return k;
  }
}

/**
 * Copies up to this many bytes with a loop instead of `subarray` + `set`, which allocates a view per packet
 * (bench/crypto-chachapoly.ts, 64-byte case).
 */
const SMALL_COPY = 128;

/**
 * A zeroed buffer of `bytes` in the kernel's memory: packets sealed or opened in it skip the copy in and out (about 4 %
 * at 32 KiB, bench/crypto-chachapoly.ts "kernel buffer" cases) and allocate nothing at any size. The view stays valid
 * until `releaseChaChaPolyBuffer(view)`, for the buffer pool to hold.
 */
export function allocateChaChaPolyBuffer(bytes: number): Uint8Array {
  return ChaChaKernel.get().allocBuffer(bytes);
}
/** Wipes and takes back a buffer from `allocateChaChaPolyBuffer`; the view must not be used afterwards. */
export function releaseChaChaPolyBuffer(view: Uint8Array): void {
  ChaChaKernel.get().releaseBuffer(view);
}

/** Builds one direction of chacha20-poly1305@openssh.com from the 64 bytes of derived key (K_2 ‖ K_1). */
export function createChaChaPolyOpenSsh(key64: Uint8Array): PacketCipher {
  return new ChaChaPolyOpenSsh(key64);
}
