// A bounded RFC 4251 §5 reader for key files, certificates and KRLs: every malformed input is a KeyFormatError
// ("invalid format"), never a RangeError. Views it returns borrow the input.
import { KeyFormatError } from "./errors.ts";

const utf8Fatal = new TextDecoder("utf-8", { fatal: true });

/** Sequential reader over one blob. */
export class KeyReader {
  private pos = 0;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
  get offset(): number {
    return this.pos;
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
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
  raw(n: number): Uint8Array {
    this.need(n);
    return this.bytes.subarray(this.pos, (this.pos += n));
  }
  /** `string` as a view. */
  string(): Uint8Array {
    return this.raw(this.u32());
  }
  /** `string` as strict UTF-8 text (names, comments). */
  text(): string {
    const b = this.string();
    try {
      return utf8Fatal.decode(b);
    } catch {
      throw new KeyFormatError("invalid-format", "string is not UTF-8");
    }
  }
  /** Non-negative `mpint` as its magnitude without leading zeros (a view); at most 16384 bits as sshbuf_get_bignum2. */
  mpint(): Uint8Array {
    const raw = this.string();
    if (raw.length > 0 && (raw[0]! & 0x80) !== 0) throw new KeyFormatError("invalid-format", "negative mpint");
    let s = 0;
    while (s < raw.length && raw[s] === 0) s++;
    if (raw.length - s > 2048) throw new KeyFormatError("invalid-format", "mpint too large");
    return raw.subarray(s);
  }
  /** Throws unless every byte was read (SSH_ERR_UNEXPECTED_TRAILING_DATA reads as invalid format to users). */
  end(): void {
    if (this.pos !== this.bytes.length) throw new KeyFormatError("invalid-format", "unexpected trailing data");
  }
  private need(n: number): void {
    if (this.bytes.length - this.pos < n) throw new KeyFormatError("invalid-format", "truncated");
  }
}

/** Joins byte arrays into a fresh buffer. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
