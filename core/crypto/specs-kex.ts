// The key-agreement registry: every KexAgreementSpec row in OpenSSH's default preference order (kex-names.c, myproposal.h).
// The transport, default proposals and `ssh -Q kex` read this table. DH group exchange is not a fixed row: its group is
// chosen at run time (moduli.ts, dh.ts gexAgreement), so the transport builds that agreement itself.
import { DH_GROUP14_SHA1, DH_GROUP14_SHA256, DH_GROUP16_SHA512, DH_GROUP18_SHA512, DH_GROUP1_SHA1, type LegacyKexAgreementSpec } from "./dh.ts";
import { ECDH_SHA2_NISTP256, ECDH_SHA2_NISTP384, ECDH_SHA2_NISTP521 } from "./ecdh.ts";
import { MLKEM768X25519_SHA256 } from "./mlkem768.ts";
import type { KexAgreementSpec } from "./types.ts";
import { CURVE25519_SHA256, CURVE25519_SHA256_LIBSSH } from "./x25519.ts";

/** The name of the group-exchange method whose agreement comes from gexAgreement(group) (RFC 4419, RFC 8268). */
export const KEX_DH_GEX_SHA256 = "diffie-hellman-group-exchange-sha256";

/** Every fixed key agreement, default order first; `legacy` rows are negotiable only when configured. */
export const KEX_SPECS: readonly KexAgreementSpec[] = [
  MLKEM768X25519_SHA256,
  // ---- sntrup761x25519-sha512 and sntrup761x25519-sha512@openssh.com go HERE (core/crypto/sntrup761x25519.ts);
  // ---- the lead adds them, this file deliberately does not import that module.
  CURVE25519_SHA256,
  CURVE25519_SHA256_LIBSSH,
  ECDH_SHA2_NISTP256,
  ECDH_SHA2_NISTP384,
  ECDH_SHA2_NISTP521,
  // (diffie-hellman-group-exchange-sha256 sits here in OpenSSH's order: see KEX_DH_GEX_SHA256)
  DH_GROUP16_SHA512,
  DH_GROUP18_SHA512,
  DH_GROUP14_SHA256,
];

/**
 * Legacy SHA-1 exchanges (diffie-hellman-group14-sha1, diffie-hellman-group1-sha1). Kept apart because KexHash in types.ts
 * has no "sha1"; once it gains one these rows join KEX_SPECS unchanged.
 */
export const LEGACY_SHA1_KEX_SPECS: readonly LegacyKexAgreementSpec[] = [DH_GROUP14_SHA1, DH_GROUP1_SHA1];
