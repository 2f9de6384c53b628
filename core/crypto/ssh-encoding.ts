// The few RFC 4251 §5 encodings the crypto core needs (string, mpint) and a tiny bounded reader for key and signature blobs.
// core/crypto may not import core/wire, so this is a deliberately small local copy; everything else belongs to core/wire.

/** A key or signature blob is malformed: truncated, trailing bytes, negative or oversized mpint, wrong type name. */
export class SshEncodingError extends Error {
  override name = "SshEncodingError";
}

/** OpenSSH's SSHBUF_MAX_BIGNUM: mpints above 16384 bits are refused (sshbuf-getput-basic.c). */
export const MAX_MPINT_BYTES = 16384 / 8;

const utf8 = new TextEncoder();
const utf8Fatal = new TextDecoder("utf-8", { fatal: true });

/** Concatenates byte arrays into a fresh buffer. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** RFC 4251 §5 `string`: uint32 length ‖ bytes. A text argument is encoded as UTF-8. Returns a fresh buffer. */
export function encodeString(value: Uint8Array | string): Uint8Array {
  const bytes = typeof value === "string" ? utf8.encode(value) : value;
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

/**
 * RFC 4251 §5 `mpint` for the non-negative integer whose unsigned big-endian magnitude is `magnitude`: uint32 length ‖
 * minimal two's-complement bytes (leading zeros stripped, one 0x00 added when the top bit is set; zero is the empty string).
 * Returns a fresh buffer, length prefix included.
 */
export function encodeMpint(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length && magnitude[start] === 0) start++;
  const body = magnitude.subarray(start);
  const pad = body.length > 0 && (body[0]! & 0x80) !== 0 ? 1 : 0;
  const out = new Uint8Array(4 + pad + body.length);
  new DataView(out.buffer).setUint32(0, pad + body.length);
  out.set(body, 4 + pad);
  return out;
}

/** Unsigned big-endian bytes → bigint (empty → 0n). */
export function bigintFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt("0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex"));
}

/**
 * bigint (≥ 0) → unsigned big-endian bytes: minimal length, or left-padded to exactly `length` bytes.
 * Throws RangeError when the value does not fit in `length`.
 */
export function bytesFromBigint(value: bigint, length?: number): Uint8Array {
  if (value < 0n) throw new RangeError("negative value");
  let hex = value === 0n ? "" : value.toString(16);
  if (hex.length % 2 === 1) hex = "0" + hex;
  const minimal = Uint8Array.from(Buffer.from(hex, "hex"));
  if (length === undefined) return minimal;
  if (minimal.length > length) throw new RangeError(`value needs ${minimal.length} bytes, more than ${length}`);
  const out = new Uint8Array(length);
  out.set(minimal, length - minimal.length);
  return out;
}

/** Returns a copy of `bytes` left-padded with zeros to `length` (throws SshEncodingError when longer). */
export function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length > length) throw new SshEncodingError(`${bytes.length} bytes where at most ${length} fit`);
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}

/**
 * Bounded reader over one blob (RFC 4251 §5). Every read checks the remaining length first and throws SshEncodingError,
 * so hostile input can never read out of bounds or allocate more than the blob holds. Views it returns borrow `bytes`.
 */
export class BlobReader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  /** Bytes not read yet. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  /** `string` as a view into the blob. */
  string(): Uint8Array {
    const n = this.u32();
    this.need(n);
    return this.bytes.subarray(this.pos, (this.pos += n));
  }
  /** `string` decoded as strict UTF-8 (algorithm and curve names). */
  text(): string {
    try {
      return utf8Fatal.decode(this.string());
    } catch (e) {
      if (e instanceof SshEncodingError) throw e;
      throw new SshEncodingError("name is not valid UTF-8");
    }
  }
  /**
   * `mpint` that must be non-negative, returned as its unsigned magnitude without leading zeros (a view).
   * Like OpenSSH's sshbuf_get_bignum2_bytes_direct: negative values and values above 16384 bits are refused,
   * superfluous leading zeros are tolerated.
   */
  mpint(): Uint8Array {
    const raw = this.string();
    if (raw.length > 0 && (raw[0]! & 0x80) !== 0) throw new SshEncodingError("negative mpint");
    if (raw.length > MAX_MPINT_BYTES + 1 || (raw.length === MAX_MPINT_BYTES + 1 && raw[0] !== 0)) {
      throw new SshEncodingError("mpint too large");
    }
    let start = 0;
    while (start < raw.length && raw[start] === 0) start++;
    return raw.subarray(start);
  }
  /** Throws unless every byte was read (OpenSSH: SSH_ERR_UNEXPECTED_TRAILING_DATA). */
  end(): void {
    if (this.pos !== this.bytes.length) throw new SshEncodingError("unexpected trailing data");
  }
  private need(n: number): void {
    if (this.bytes.length - this.pos < n) throw new SshEncodingError("blob truncated");
  }
}
