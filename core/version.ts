// The version strings sshbox shows: `ssh -V` / `sshd -V` (OpenSSH's "SSH_RELEASE, SSH_OPENSSL_VERSION" line, version.h)
// and the identification string of RFC 4253 §4.2.
import pkg from "../package.json" with { type: "json" };

/** Our release, in OpenSSH's `SSH_VERSION` position: `sshbox_0.1.0`. */
export const SSHBOX_RELEASE: string = `sshbox_${pkg.version}`;

/** The crypto backend, as OpenSSH prints its OpenSSL version after the release. */
export const CRYPTO_BACKEND: string = `BoringSSL ${(process.versions.boringssl ?? "unknown").slice(0, 7)} (Bun ${Bun.version})`;

/** `ssh -V` / `sshd -V` line, printed on stderr like OpenSSH. */
export const VERSION_LINE: string = `${SSHBOX_RELEASE}, ${CRYPTO_BACKEND}`;

/** RFC 4253 §4.2 identification string, without CR LF. */
export const IDENTIFICATION: string = `SSH-2.0-${SSHBOX_RELEASE}`;
