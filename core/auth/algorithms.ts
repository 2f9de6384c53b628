// Public key algorithm names in user authentication: which key type a signature algorithm belongs to (RFC 8332:
// rsa-sha2-256/512 sign with an ssh-rsa key), which signature type a certificate algorithm produces, and the client's
// choice of signature algorithm from PubkeyAcceptedAlgorithms and the server's server-sig-algs (RFC 8308 §3.1),
// as OpenSSH's sshconnect2.c key_sig_algorithm() makes it.

/** OpenSSH's default PubkeyAcceptedAlgorithms (myproposal.h KEX_DEFAULT_PK_ALG). */
export const DEFAULT_PUBKEY_ACCEPTED_ALGORITHMS: readonly string[] = [
  "ssh-ed25519-cert-v01@openssh.com",
  "ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "ecdsa-sha2-nistp384-cert-v01@openssh.com",
  "ecdsa-sha2-nistp521-cert-v01@openssh.com",
  "sk-ssh-ed25519-cert-v01@openssh.com",
  "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "webauthn-sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "rsa-sha2-512-cert-v01@openssh.com",
  "rsa-sha2-256-cert-v01@openssh.com",
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
  "rsa-sha2-512",
  "rsa-sha2-256",
];

/** Algorithm → [key type in the blob, signature type in the signature blob], where the two differ from the name. */
const ALIASES: Record<string, readonly [string, string]> = {
  "rsa-sha2-256": ["ssh-rsa", "rsa-sha2-256"],
  "rsa-sha2-512": ["ssh-rsa", "rsa-sha2-512"],
  "ssh-rsa-cert-v01@openssh.com": ["ssh-rsa-cert-v01@openssh.com", "ssh-rsa"],
  "rsa-sha2-256-cert-v01@openssh.com": ["ssh-rsa-cert-v01@openssh.com", "rsa-sha2-256"],
  "rsa-sha2-512-cert-v01@openssh.com": ["ssh-rsa-cert-v01@openssh.com", "rsa-sha2-512"],
  "ssh-dss-cert-v01@openssh.com": ["ssh-dss-cert-v01@openssh.com", "ssh-dss"],
  "ssh-ed25519-cert-v01@openssh.com": ["ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519"],
  "ecdsa-sha2-nistp256-cert-v01@openssh.com": ["ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384-cert-v01@openssh.com": ["ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521-cert-v01@openssh.com": ["ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521"],
  "sk-ssh-ed25519-cert-v01@openssh.com": ["sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com"],
  "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com": [
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
  ],
  // webauthn signatures are made by sk-ecdsa keys (PROTOCOL.u2f)
  "webauthn-sk-ecdsa-sha2-nistp256@openssh.com": [
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
  ],
  "webauthn-sk-ecdsa-sha2-nistp256-cert-v01@openssh.com": [
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
  ],
};

/** The key type a key blob must carry for `algorithm` (`rsa-sha2-512` → `ssh-rsa`); the name itself otherwise. */
export function keyTypeOf(algorithm: string): string {
  return ALIASES[algorithm]?.[0] ?? algorithm;
}

/** The type a signature blob made with `algorithm` carries (`ssh-ed25519-cert-v01@openssh.com` → `ssh-ed25519`). */
export function signatureTypeOf(algorithm: string): string {
  return ALIASES[algorithm]?.[1] ?? algorithm;
}

function isRsaKeyType(keyType: string): boolean {
  return keyType === "ssh-rsa" || keyType === "ssh-rsa-cert-v01@openssh.com";
}

/**
 * The algorithm to name in a publickey request for a key of type `keyType`, or undefined when none is acceptable.
 * Non-RSA keys, or no server-sig-algs: the key's own type if we accept it. RSA keys with server-sig-algs: the first of
 * our accepted algorithms for that key type whose signature type the server lists (sshconnect2.c key_sig_algorithm()).
 */
export function chooseSignatureAlgorithm(
  keyType: string,
  accepted: readonly string[],
  serverSigAlgs: readonly string[] | undefined,
): string | undefined {
  if (serverSigAlgs === undefined || !isRsaKeyType(keyType)) {
    return accepted.includes(keyType) ? keyType : undefined;
  }
  for (const alg of accepted) {
    if (keyTypeOf(alg) !== keyType) continue;
    if (serverSigAlgs.includes(signatureTypeOf(alg))) return alg;
  }
  return undefined;
}

/** `ssh-ed25519` → `ED25519`, as OpenSSH's sshkey_type() prints key types in logs. */
export function keyTypeLabel(keyType: string): string {
  const base = keyType.replace(/-cert-v01@openssh\.com$/, "");
  const cert = base !== keyType ? "-CERT" : "";
  const label: Record<string, string> = {
    "ssh-ed25519": "ED25519",
    "ssh-rsa": "RSA",
    "ssh-dss": "DSA",
    "ecdsa-sha2-nistp256": "ECDSA",
    "ecdsa-sha2-nistp384": "ECDSA",
    "ecdsa-sha2-nistp521": "ECDSA",
    "sk-ssh-ed25519@openssh.com": "ED25519-SK",
    "sk-ecdsa-sha2-nistp256@openssh.com": "ECDSA-SK",
  };
  return (label[base] ?? base) + cert;
}
