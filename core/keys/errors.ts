// Errors of the key library. Messages are OpenSSH's ssherr.c texts, so cmd/ can print `Load key "f": <message>` as
// ssh-keygen and ssh do.
import { SshError } from "../errors.ts";

/** Why a key, certificate or key file could not be used (the ssherr.c code it corresponds to). */
export type KeyErrorKind =
  | "invalid-format" // SSH_ERR_INVALID_FORMAT
  | "wrong-passphrase" // SSH_ERR_KEY_WRONG_PASSPHRASE
  | "unknown-key-type" // SSH_ERR_KEY_TYPE_UNKNOWN
  | "unknown-cipher" // SSH_ERR_KEY_UNKNOWN_CIPHER
  | "invalid-certificate" // SSH_ERR_KEY_CERT_INVALID
  | "signature-invalid" // SSH_ERR_SIGNATURE_INVALID
  | "libcrypto"; // SSH_ERR_LIBCRYPTO_ERROR

/** ssherr.c wording for each kind. */
export const KEY_ERROR_TEXT: Readonly<Record<KeyErrorKind, string>> = {
  "invalid-format": "invalid format",
  "wrong-passphrase": "incorrect passphrase supplied to decrypt private key",
  "unknown-key-type": "unknown or unsupported key type",
  "unknown-cipher": "unknown or unsupported cipher",
  "invalid-certificate": "Certificate invalid",
  "signature-invalid": "incorrect signature",
  libcrypto: "error in libcrypto",
};

/** A key, certificate or key file is malformed, unsupported or locked. `message` is the ssherr.c text; `detail` says more. */
export class KeyFormatError extends SshError {
  override name = "KeyFormatError";
  constructor(
    readonly kind: KeyErrorKind,
    readonly detail?: string,
    options?: ErrorOptions,
  ) {
    super(KEY_ERROR_TEXT[kind], options);
  }
}
