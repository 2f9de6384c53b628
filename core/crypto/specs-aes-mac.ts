// Registry rows for the AES ciphers (RFC 4344 §4, RFC 5647 / OpenSSH PROTOCOL §1.6) and the MACs (RFC 4253 §6.4, RFC 6668,
// RFC 4418 / PROTOCOL §1.1, PROTOCOL §1.5 for -etm@openssh.com), in OpenSSH's default preference order (myproposal.h).
import { AesCtr } from "./aes-ctr.ts";
import { AesGcmOpenSsh } from "./aes-gcm-openssh.ts";
import { Hmac } from "./hmac.ts";
import { Umac } from "./umac.ts";
import { Cbc } from "./cbc.ts";
import type { CipherSpec, MacSpec, PacketMac } from "./types.ts";

/** aes*-gcm@openssh.com (AEAD: the negotiated MAC is ignored) and aes*-ctr (stream, paired with a MAC by composePacketCipher). */
export const CIPHER_SPECS_AES: readonly CipherSpec[] = [
  { name: "aes128-gcm@openssh.com", keyBytes: 16, ivBytes: 12, blockBytes: 16, tagBytes: 16, legacy: false, aead: true, createAead: AesGcmOpenSsh.create },
  { name: "aes256-gcm@openssh.com", keyBytes: 32, ivBytes: 12, blockBytes: 16, tagBytes: 16, legacy: false, aead: true, createAead: AesGcmOpenSsh.create },
  { name: "aes128-ctr", keyBytes: 16, ivBytes: 16, blockBytes: 16, tagBytes: 0, legacy: false, aead: false, createStream: AesCtr.create },
  { name: "aes192-ctr", keyBytes: 24, ivBytes: 16, blockBytes: 16, tagBytes: 0, legacy: false, aead: false, createStream: AesCtr.create },
  { name: "aes256-ctr", keyBytes: 32, ivBytes: 16, blockBytes: 16, tagBytes: 0, legacy: false, aead: false, createStream: AesCtr.create },
  // Legacy CBC ciphers: only when configured (`Ciphers +aes128-cbc`), never proposed by default.
  { name: "aes128-cbc", keyBytes: 16, ivBytes: 16, blockBytes: 16, tagBytes: 0, legacy: true, aead: false, createStream: Cbc.factory("aes-128-cbc", 16) },
  { name: "aes192-cbc", keyBytes: 24, ivBytes: 16, blockBytes: 16, tagBytes: 0, legacy: true, aead: false, createStream: Cbc.factory("aes-192-cbc", 16) },
  { name: "aes256-cbc", keyBytes: 32, ivBytes: 16, blockBytes: 16, tagBytes: 0, legacy: true, aead: false, createStream: Cbc.factory("aes-256-cbc", 16) },
  { name: "3des-cbc", keyBytes: 24, ivBytes: 8, blockBytes: 8, tagBytes: 0, legacy: true, aead: false, createStream: Cbc.factory("des-ede3-cbc", 8) },
];

const hmacSha1 = (key: Uint8Array): PacketMac => new Hmac("sha1", key);
const hmacSha256 = (key: Uint8Array): PacketMac => new Hmac("sha256", key);
const hmacSha512 = (key: Uint8Array): PacketMac => new Hmac("sha512", key);
const hmacSha1_96 = (key: Uint8Array): PacketMac => new Hmac("sha1", key, 12);
const hmacMd5 = (key: Uint8Array): PacketMac => new Hmac("md5", key);
const hmacMd5_96 = (key: Uint8Array): PacketMac => new Hmac("md5", key, 12);

/** The MACs OpenSSH proposes by default, in its order; the -etm@openssh.com rows share the plain rows' primitives. */
export const MAC_SPECS: readonly MacSpec[] = [
  { name: "umac-64-etm@openssh.com", keyBytes: 16, tagBytes: 8, etm: true, legacy: false, create: Umac.create64 },
  { name: "umac-128-etm@openssh.com", keyBytes: 16, tagBytes: 16, etm: true, legacy: false, create: Umac.create128 },
  { name: "hmac-sha2-256-etm@openssh.com", keyBytes: 32, tagBytes: 32, etm: true, legacy: false, create: hmacSha256 },
  { name: "hmac-sha2-512-etm@openssh.com", keyBytes: 64, tagBytes: 64, etm: true, legacy: false, create: hmacSha512 },
  { name: "hmac-sha1-etm@openssh.com", keyBytes: 20, tagBytes: 20, etm: true, legacy: false, create: hmacSha1 },
  { name: "umac-64@openssh.com", keyBytes: 16, tagBytes: 8, etm: false, legacy: false, create: Umac.create64 },
  { name: "umac-128@openssh.com", keyBytes: 16, tagBytes: 16, etm: false, legacy: false, create: Umac.create128 },
  { name: "hmac-sha2-256", keyBytes: 32, tagBytes: 32, etm: false, legacy: false, create: hmacSha256 },
  { name: "hmac-sha2-512", keyBytes: 64, tagBytes: 64, etm: false, legacy: false, create: hmacSha512 },
  { name: "hmac-sha1", keyBytes: 20, tagBytes: 20, etm: false, legacy: false, create: hmacSha1 },
  // Legacy MACs (OpenSSH mac.c keeps them, out of the default list): only when configured.
  { name: "hmac-sha1-96", keyBytes: 20, tagBytes: 12, etm: false, legacy: true, create: hmacSha1_96 },
  { name: "hmac-md5", keyBytes: 16, tagBytes: 16, etm: false, legacy: true, create: hmacMd5 },
  { name: "hmac-md5-96", keyBytes: 16, tagBytes: 12, etm: false, legacy: true, create: hmacMd5_96 },
  { name: "hmac-sha1-96-etm@openssh.com", keyBytes: 20, tagBytes: 12, etm: true, legacy: true, create: hmacSha1_96 },
  { name: "hmac-md5-etm@openssh.com", keyBytes: 16, tagBytes: 16, etm: true, legacy: true, create: hmacMd5 },
  { name: "hmac-md5-96-etm@openssh.com", keyBytes: 16, tagBytes: 12, etm: true, legacy: true, create: hmacMd5_96 },
];
