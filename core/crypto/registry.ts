// The algorithm registry (STYLE.md §5): one row per algorithm with its wire name. Negotiation, default proposals,
// `ssh -Q` and `sshd -T` read these tables; an algorithm name appears in the code once, as its row's `name`.
import { createChaChaPolyOpenSsh } from "./chachapoly-openssh.ts";
import { CIPHER_SPECS_AES, MAC_SPECS } from "./specs-aes-mac.ts";
import { KEX_SPECS as KEX_SPECS_BASE, LEGACY_SHA1_KEX_SPECS } from "./specs-kex.ts";
import { SNTRUP761_X25519_SPECS } from "./sntrup761x25519.ts";
import { SIGNATURE_SPECS, signatureSpec } from "./signatures.ts";
import { KexError, type CipherSpec, type KexAgreementSpec, type KexHash, type MacSpec } from "./types.ts";

/** A group-exchange row (RFC 4419 / RFC 8268): the transport runs it; the agreement hooks refuse direct use. */
function groupExchangeRow(name: string, hash: KexHash, legacy: boolean): KexAgreementSpec {
  const refuse = (): never => {
    throw new KexError(`${name} needs the group exchange messages`);
  };
  return { name, hash, legacy, groupExchange: true, clientInit: async () => refuse(), serverRespond: async () => refuse() };
}

/** Every cipher, OpenSSH's default order first (myproposal.h, anchors §1.1). */
export const CIPHERS: readonly CipherSpec[] = [
  { name: "chacha20-poly1305@openssh.com", keyBytes: 64, ivBytes: 0, blockBytes: 8, tagBytes: 16, legacy: false, aead: true, createAead: (key) => createChaChaPolyOpenSsh(key) },
  ...CIPHER_SPECS_AES,
];

/** Every MAC, OpenSSH's default order. */
export const MACS: readonly MacSpec[] = MAC_SPECS;

/** Every key agreement, OpenSSH 10.5's client order (the server drops the finite-field ones by default); legacy last. */
export const KEX_METHODS: readonly KexAgreementSpec[] = (() => {
  const rows = [KEX_SPECS_BASE[0]!, ...SNTRUP761_X25519_SPECS, ...KEX_SPECS_BASE.slice(1)];
  const at = rows.findIndex((r) => r.name === "ecdh-sha2-nistp521");
  rows.splice(at + 1, 0, groupExchangeRow("diffie-hellman-group-exchange-sha256", "sha256", false));
  rows.push(...(LEGACY_SHA1_KEX_SPECS as readonly KexAgreementSpec[]), groupExchangeRow("diffie-hellman-group-exchange-sha1", "sha1", true));
  return rows;
})();

export { SIGNATURE_SPECS, signatureSpec };

/** Host key / public key algorithms we can verify and sign, OpenSSH's default order (plain keys; certificates come with core/keys). */
export const HOST_KEY_ALGORITHMS: readonly string[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
];

const FFDH = (name: string): boolean => name.startsWith("diffie-hellman-");

/** OpenSSH 10.5 default proposals (myproposal.h) restricted to what we implement. */
export const DEFAULT_PROPOSAL = {
  kexClient: KEX_METHODS.filter((k) => !k.legacy).map((k) => k.name),
  kexServer: KEX_METHODS.filter((k) => !k.legacy && !FFDH(k.name)).map((k) => k.name),
  hostKey: HOST_KEY_ALGORITHMS,
  ciphers: CIPHERS.filter((c) => !c.legacy).map((c) => c.name),
  macs: MACS.filter((m) => !m.legacy).map((m) => m.name),
  compression: ["none"],
} as const;

/** Verifies an SSH signature blob with the row its algorithm names (false for unknown algorithms). */
export function verifySignature(algorithm: string, publicKeyBlob: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  const spec = signatureSpec(algorithm);
  return spec !== undefined && spec.verify(publicKeyBlob, data, signature);
}
