// The algorithm name lists config reads: everything the registry (core/crypto/registry.ts) can negotiate, the
// default proposals, and the key/signature name lists of sshkey_alg_list (sshkey.c) that PubkeyAcceptedAlgorithms,
// HostKeyAlgorithms and CASignatureAlgorithms are checked against. `ssh -Q` answers from here.
import { CIPHERS, DEFAULT_PROPOSAL, HOST_KEY_ALGORITHMS, KEX_METHODS, MACS, SIGNATURE_SPECS } from "../crypto/registry.ts";
import { KEX_DH_GEX_SHA256 } from "../crypto/specs-kex.ts";
import { matchPatternList } from "./match.ts";

/** Every cipher name we know (cipher_alg_list). */
export const ALL_CIPHERS: readonly string[] = CIPHERS.map((c) => c.name);
/** Ciphers that are AEAD (`ssh -Q cipher-auth`). */
export const AUTH_CIPHERS: readonly string[] = CIPHERS.filter((c) => c.aead).map((c) => c.name);
/** Every MAC name (mac_alg_list). */
export const ALL_MACS: readonly string[] = MACS.map((m) => m.name);

/** Every key exchange name (kex_alg_list): the registry's fixed rows with group exchange in OpenSSH's place. */
export const ALL_KEX: readonly string[] = (() => {
  const names = KEX_METHODS.map((k) => k.name);
  const at = names.indexOf("ecdh-sha2-nistp521");
  if (at >= 0 && !names.includes(KEX_DH_GEX_SHA256)) names.splice(at + 1, 0, KEX_DH_GEX_SHA256);
  return names;
})();

/** Plain public key algorithm names (signature algorithms included), OpenSSH's sshkey.c order. */
export const PLAIN_KEY_ALGORITHMS: readonly string[] = (() => {
  const out = [...HOST_KEY_ALGORITHMS];
  for (const s of SIGNATURE_SPECS) if (!out.includes(s.name)) out.push(s.name);
  return out;
})();

// Certificate names of the plain key types (PROTOCOL.certkeys). They come from core/keys once it lands; until then
// the names are derived here so configs that name them parse as in OpenSSH.
const CERT_NAME: Readonly<Record<string, string>> = {
  "ssh-ed25519": "ssh-ed25519-cert-v01@openssh.com",
  "ecdsa-sha2-nistp256": "ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "ecdsa-sha2-nistp384": "ecdsa-sha2-nistp384-cert-v01@openssh.com",
  "ecdsa-sha2-nistp521": "ecdsa-sha2-nistp521-cert-v01@openssh.com",
  "rsa-sha2-512": "rsa-sha2-512-cert-v01@openssh.com",
  "rsa-sha2-256": "rsa-sha2-256-cert-v01@openssh.com",
  "ssh-rsa": "ssh-rsa-cert-v01@openssh.com",
};

/** Certificate algorithm names (`ssh -Q key-cert`). */
export const CERT_KEY_ALGORITHMS: readonly string[] = PLAIN_KEY_ALGORITHMS.flatMap((n) => (CERT_NAME[n] ? [CERT_NAME[n]] : []));

/** sshkey_alg_list(0, 0, 1): every key algorithm, certificates included. */
export const ALL_KEY_ALGORITHMS: readonly string[] = [...PLAIN_KEY_ALGORITHMS, ...CERT_KEY_ALGORITHMS];

/** sshkey_alg_list(0, 1, 1): signature algorithms that may sign certificates. */
export const ALL_SIG_ALGORITHMS: readonly string[] = SIGNATURE_SPECS.map((s) => s.name);

/** KEX_DEFAULT_PK_ALG restricted to what we have: certificates first, then plain keys (myproposal.h). */
export const DEFAULT_PK_ALGORITHMS: readonly string[] = [
  ...DEFAULT_PROPOSAL.hostKey.flatMap((n) => (CERT_NAME[n] ? [CERT_NAME[n]] : [])),
  ...DEFAULT_PROPOSAL.hostKey,
];

/** SSH_ALLOWED_CA_SIGALGS restricted to what we have. */
export const DEFAULT_CA_SIGNATURE_ALGORITHMS: readonly string[] = DEFAULT_PROPOSAL.hostKey;

/** Default ciphers, both sides (KEX_SERVER_ENCRYPT = KEX_CLIENT_ENCRYPT). */
export const DEFAULT_CIPHERS: readonly string[] = DEFAULT_PROPOSAL.ciphers;
/** Default MACs, both sides. */
export const DEFAULT_MACS: readonly string[] = DEFAULT_PROPOSAL.macs;
/** sshd's default KexAlgorithms (KEX_SERVER_KEX: no finite-field groups). */
export const DEFAULT_KEX_SERVER: readonly string[] = DEFAULT_PROPOSAL.kexServer;
/** ssh's default KexAlgorithms (KEX_CLIENT_KEX; group exchange is left to the registry's proposal). */
export const DEFAULT_KEX_CLIENT: readonly string[] = DEFAULT_PROPOSAL.kexClient;

/** cipher.c ciphers_valid / mac.c mac_valid / kex_names_valid: every comma entry is a known name (no wildcards). */
export function namesValid(list: string, all: readonly string[]): boolean {
  if (list === "") return false;
  return list.split(",").every((n) => n !== "" && all.includes(n));
}

/**
 * sshkey.c sshkey_names_valid2 with allow_wildcard: each entry (up to the first empty one) is a known name or a
 * pattern that matches, positively or negated, at least one; `plainOnly` refuses certificate names.
 */
export function keyNamesValid(list: string, plainOnly: boolean): boolean {
  if (list === "") return false;
  for (const p of list.split(",")) {
    if (p === "") break;
    if (ALL_KEY_ALGORITHMS.includes(p)) {
      if (plainOnly && CERT_KEY_ALGORITHMS.includes(p)) return false;
      continue;
    }
    if (!ALL_KEY_ALGORITHMS.some((n) => matchPatternList(n, p) !== 0)) return false;
  }
  return true;
}
