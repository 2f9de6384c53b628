// The shapes every crypto primitive of the core fills in (RFC 4253 §6, OpenSSH PROTOCOL §1.6, PROTOCOL.chacha20poly1305).
// The transport sees nothing else of a cipher, MAC, key exchange or signature: everything here is built once per key
// (at NEWKEYS or per signature) and works in place on caller-owned memory, so a packet allocates nothing we can avoid.

/**
 * Protects the packets of one direction, built at NEWKEYS from the negotiated cipher (and MAC, unless the cipher is an AEAD).
 *
 * Every method works on `buf` at `off`, where the packet starts with its uint32 `packet_length` field
 * (RFC 4253 §6: packet_length ‖ padding_length ‖ payload ‖ padding). `len` is the value of packet_length, so the packet
 * occupies `buf[off, off + 4 + len)` and its tag (MAC or AEAD tag) the `tagBytes` right after it.
 */
export interface PacketCipher {
  /** Padding multiple for this direction (RFC 4253 §6: the cipher block size, at least 8). */
  readonly blockBytes: number;
  /** Bytes appended after each packet: the MAC or the AEAD tag (0 for `none`). */
  readonly tagBytes: number;
  /**
   * Bytes the reader must have before `openLength`: 4 where packet_length can be read alone (AEAD, `-etm` MACs,
   * chacha20-poly1305), one cipher block for encrypt-and-MAC modes.
   */
  readonly lengthBytes: number;
  /**
   * True when packet_length is authenticated apart from the padded body (OpenSSH packet.c `aadlen = 4`): in clear for
   * aes-gcm and `-etm` MACs, sealed with its own key for chacha20-poly1305. Padding then aligns the body without the
   * 4-byte length (PROTOCOL §1.6), and a received length must itself be a multiple of the block size.
   */
  readonly lengthIsAad: boolean;
  /** Encrypts `buf[off, off + 4 + len)` in place and writes the tag at `off + 4 + len`. `seq` is the 32-bit sequence number. */
  seal(seq: number, buf: Uint8Array, off: number, len: number): void;
  /**
   * Returns packet_length from the first `lengthBytes` at `off`, without releasing unauthenticated plaintext beyond it.
   * Call exactly once per packet, before `open`: encrypt-and-MAC modes decrypt that first block in place.
   */
  openLength(seq: number, buf: Uint8Array, off: number): number;
  /**
   * Checks the tag and decrypts `buf[off + 4, off + 4 + len)` in place. Returns false for a bad tag; AEAD and `-etm`
   * modes then leave the ciphertext untouched (no plaintext is ever released for a forged packet).
   */
  open(seq: number, buf: Uint8Array, off: number, len: number): boolean;
  /** Wipes the key material; the object is unusable afterwards. */
  dispose(): void;
}

/** A non-AEAD cipher for one direction (aes*-ctr): a long-lived keystream, applied in place. */
export interface StreamCipher {
  readonly blockBytes: number;
  /** XORs the next `len` bytes of keystream into `buf[off, off + len)`; `len` is a multiple of `blockBytes`. */
  apply(buf: Uint8Array, off: number, len: number): void;
  dispose(): void;
}

/** A MAC for one direction (RFC 4253 §6.4), keyed once at NEWKEYS. */
export interface PacketMac {
  readonly tagBytes: number;
  /** Writes MAC(key, uint32 seq ‖ data[off, off + len)) to `out[outOff, outOff + tagBytes)`. */
  compute(seq: number, data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void;
  /** Constant-time comparison of MAC(seq ‖ data[off, off + len)) with `tag[tagOff, tagOff + tagBytes)`. */
  verify(seq: number, data: Uint8Array, off: number, len: number, tag: Uint8Array, tagOff: number): boolean;
  dispose(): void;
}

/** A registry row for a cipher (RFC 4253 §6.3 names, plus OpenSSH's @openssh.com ones). */
export interface CipherSpec {
  /** Exactly as on the wire. */
  readonly name: string;
  readonly keyBytes: number;
  readonly ivBytes: number;
  readonly blockBytes: number;
  /** Bytes of AEAD tag; 0 when a separate MAC is negotiated. */
  readonly tagBytes: number;
  /** Negotiable only when configured explicitly, never in a default proposal. */
  readonly legacy: boolean;
  /** AEAD ciphers build a whole PacketCipher (the negotiated MAC is ignored, RFC 5647 §5.1 / PROTOCOL.chacha20poly1305). */
  readonly aead: boolean;
  readonly createAead?: (key: Uint8Array, iv: Uint8Array, direction: "seal" | "open") => PacketCipher;
  readonly createStream?: (key: Uint8Array, iv: Uint8Array, direction: "seal" | "open") => StreamCipher;
}

/** A registry row for a MAC (RFC 4253 §6.4, RFC 6668, OpenSSH PROTOCOL §1.7 for `-etm@openssh.com`). */
export interface MacSpec {
  readonly name: string;
  readonly keyBytes: number;
  readonly tagBytes: number;
  /** Encrypt-then-MAC: packet_length in clear, MAC over the ciphertext. */
  readonly etm: boolean;
  readonly legacy: boolean;
  readonly create: (key: Uint8Array) => PacketMac;
}

/** Hash used by a key exchange for H and key derivation (RFC 4253 §7.2). */
/** "sha1" only for the legacy exchanges (diffie-hellman-group1/14-sha1, group-exchange-sha1), never proposed by default. */
export type KexHash = "sha1" | "sha256" | "sha384" | "sha512";

/**
 * One run of an ephemeral key agreement: ECDH/X25519, a hybrid KEM, or finite-field DH. The client sends
 * `clientInit().message` (Q_C / e), the server answers with `serverRespond` (Q_S / f / ciphertext).
 * The shared secret comes back already encoded as it enters the exchange hash: an mpint for ECDH and DH
 * (RFC 5656 §4, RFC 8731 §3.1), a string for the hybrid KEMs (draft-ietf-sshm-mlkem-hybrid-kex, PROTOCOL).
 */
export interface KexAgreementSpec {
  readonly name: string;
  readonly hash: KexHash;
  readonly legacy: boolean;
  /**
   * Diffie-Hellman group exchange (RFC 4419): the group is agreed at run time (GEX_REQUEST / GEX_GROUP), so the
   * transport drives the exchange with dh.ts and this row's clientInit/serverRespond are not used.
   */
  readonly groupExchange?: boolean;
  clientInit(): Promise<KexClientState>;
  /** Throws KexError for a malformed or low-order peer value. */
  serverRespond(clientMessage: Uint8Array): Promise<{ message: Uint8Array; sharedSecret: Uint8Array }>;
}
export interface KexClientState {
  readonly message: Uint8Array;
  /** Throws KexError for a malformed or low-order peer value. */
  finish(serverMessage: Uint8Array): Promise<Uint8Array>;
}

/** A key exchange refused a peer's value (wrong length, point not on the curve, low order, bad KEM ciphertext). */
export class KexError extends Error {
  override name = "KexError";
}
