// RFC 4251 §5 data types written into one growing buffer. With a pool, the buffer is a Lease (packets are built in
// place: `headroom` bytes are kept in front for the packet header); without one, plain memory (cold paths: exchange
// hash input, key blobs, signatures).
import type { BufferPool, Lease } from "./pool.ts";
import { keepOutOfFtl } from "../jit.ts";

const utf8 = new TextEncoder();

/** Appends SSH-encoded values. */
export class Writer {
  /** Current buffer; replaced when it grows, so never keep it across writes. */
  bytes: Uint8Array;
  /** Next write position. */
  pos: number;
  private lease: Lease | null;
  private view: DataView;

  constructor(
    private readonly pool: BufferPool | null = null,
    capacity = 256,
    /** Bytes reserved in front (the writer starts writing at this offset). */
    readonly headroom = 0,
  ) {
    this.lease = pool ? pool.take(capacity + headroom) : null;
    this.bytes = this.lease ? this.lease.bytes : new Uint8Array(capacity + headroom);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.pos = headroom;
  }

  /** Makes room for `n` more bytes (plus `tail` spare bytes after them for padding and tag). */
  ensure(n: number, tail = 0): void {
    const need = this.pos + n + tail;
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const next = this.pool ? this.pool.take(size) : null;
    const bytes = next ? next.bytes : new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, this.pos));
    this.lease?.release();
    this.lease = next;
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(v: number): this {
    this.ensure(1);
    this.bytes[this.pos++] = v;
    return this;
  }
  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }
  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
    return this;
  }
  u64(v: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, v));
    this.pos += 8;
    return this;
  }
  /** `string` from bytes or text (UTF-8). */
  string(v: Uint8Array | string): this {
    const b = typeof v === "string" ? utf8.encode(v) : v;
    this.u32(b.length);
    return this.raw(b);
  }
  nameList(names: readonly string[]): this {
    return this.string(names.join(","));
  }
  /** `mpint` from an unsigned big-endian magnitude: leading zeros dropped, 0x00 prepended when the top bit is set. */
  mpintUnsigned(magnitude: Uint8Array): this {
    let i = 0;
    while (i < magnitude.length && magnitude[i] === 0) i++;
    const m = magnitude.subarray(i);
    const pad = m.length > 0 && m[0]! & 0x80 ? 1 : 0;
    this.u32(m.length + pad);
    if (pad) this.u8(0);
    return this.raw(m);
  }
  /** `mpint` from a bigint (two's complement, minimal length). */
  mpint(v: bigint): this {
    if (v === 0n) return this.u32(0);
    if (v > 0n) {
      let hex = v.toString(16);
      if (hex.length % 2) hex = "0" + hex;
      return this.mpintUnsigned(Uint8Array.from(Buffer.from(hex, "hex")));
    }
    let bytes = 1;
    while (-(1n << BigInt(bytes * 8 - 1)) > v) bytes++;
    const tc = (1n << BigInt(bytes * 8)) + v;
    const out = new Uint8Array(bytes);
    let t = tc;
    for (let i = bytes - 1; i >= 0; i--, t >>= 8n) out[i] = Number(t & 0xffn);
    this.u32(bytes);
    return this.raw(out);
  }
  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.bytes.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** The written bytes (after the headroom) as a view; valid until the next write or release. */
  written(): Uint8Array {
    return this.bytes.subarray(this.headroom, this.pos);
  }
  /** A copy of the written bytes (after the headroom). */
  toBytes(): Uint8Array {
    return this.bytes.slice(this.headroom, this.pos);
  }
  /** Hands the lease (if any) to the caller, who now owns the memory; the writer must not be used afterwards. */
  takeLease(): Lease | null {
    const l = this.lease;
    this.lease = null;
    return l;
  }
  /** Gives pooled memory back without using it. */
  release(): void {
    this.lease?.release();
    this.lease = null;
  }
}

keepOutOfFtl([Writer]);
