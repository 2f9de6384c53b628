// RFC 4251 §5 data types read from one message. Views it returns borrow from the message's memory: `.slice()` what
// must outlive its lease. Every read is bounds-checked; a short message is a ProtocolError, never a RangeError.
import { DisconnectReason, ProtocolError } from "../errors.ts";
import { keepOutOfFtl } from "../jit.ts";

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Sequential reader over one message. */
export class Reader {
  private pos: number;
  private readonly view: DataView;
  private readonly end: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    end: number = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.end - this.pos;
  }
  get offset(): number {
    return this.pos;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  bool(): boolean {
    return this.u8() !== 0; // RFC 4251 §5: any non-zero value is TRUE
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }
  /** `string` as a view into the message. */
  stringView(): Uint8Array {
    const n = this.u32();
    this.need(n);
    return this.bytes.subarray(this.pos, (this.pos += n));
  }
  /** `string` copied out (safe to keep after the lease is released). */
  stringBytes(): Uint8Array {
    return this.stringView().slice();
  }
  /** `string` decoded as UTF-8 (invalid sequences become U+FFFD; callers escape before printing). */
  string(): string {
    return utf8.decode(this.stringView());
  }
  /** `name-list` (RFC 4251 §5): comma-separated, no empty names. */
  nameList(): string[] {
    const s = this.string();
    return s === "" ? [] : s.split(",");
  }
  /** `mpint` as a view of its two's-complement bytes (may carry a leading 0x00). */
  mpintView(): Uint8Array {
    return this.stringView();
  }
  /** `mpint` as a bigint (RFC 4251 §5: two's complement, big-endian). */
  mpint(): bigint {
    const b = this.stringView();
    if (b.length === 0) return 0n;
    let v = 0n;
    for (const x of b) v = (v << 8n) | BigInt(x);
    if (b[0]! & 0x80) v -= 1n << BigInt(b.length * 8);
    return v;
  }
  /** `n` raw bytes as a view. */
  raw(n: number): Uint8Array {
    this.need(n);
    return this.bytes.subarray(this.pos, (this.pos += n));
  }
  /** The rest of the message as a view. */
  rest(): Uint8Array {
    return this.raw(this.remaining);
  }
  /** Throws unless every byte was read (trailing garbage is a protocol error in strict decoders). */
  expectEnd(what: string): void {
    if (this.pos !== this.end) throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `${what}: trailing data`);
  }

  private need(n: number): void {
    if (this.end - this.pos < n) throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "message truncated");
  }
}

keepOutOfFtl([Reader]);
