// Texts of the user-authentication layer that admins, users and test suites grep, byte for byte with OpenSSH
// (STYLE.md §6), each naming its source. To move into core/wording.ts once that table exists.

/** What a log line or terminal gets for peer-supplied text: C0 controls, DEL and backslash as `\ooo` (vis(3) VIS_OCTAL style). */
export function escapeText(s: string): string {
  return s.replace(/[\x00-\x1f\x7f\\]/g, (c) => "\\" + c.charCodeAt(0).toString(8).padStart(3, "0"));
}

/** `%.Ns` of printf: at most `n` UTF-16 code units (OpenSSH counts bytes; user names are short ASCII in practice). */
function upTo(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}

/** The auth layer's texts: exact strings, or functions that fill in OpenSSH's format. */
export const AUTH_WORDING = {
  // ---- server, sent in SSH_MSG_DISCONNECT ----
  tooManyAuthFailures: "Too many authentication failures", // auth.c auth_maxtries_exceeded()
  changeOfUserOrService: (user: string, service: string, newUser: string, newService: string): string =>
    `Change of username or service not allowed: (${user},${service}) -> (${newUser},${newService})`, // auth2.c
  badServiceRequest: (service: string): string => `bad service request ${service}`, // auth2.c input_service_request()
  noAuthMethodsEnabled: "no authentication methods enabled", // auth2.c input_userauth_request()
  wrongHostKey: (method: string): string => `${method} packet contained wrong host key`, // auth2-pubkey.c
  wrongNumberOfReplies: "wrong number of replies", // auth2-chall.c input_userauth_info_response()
  tooManyReplies: "too many replies", // auth2-chall.c
  // ---- server, log lines (sshd) ----
  /** auth.c auth_log(): `Accepted publickey for fred from 192.0.2.1 port 59915 ssh2: ED25519 SHA256:...`. */
  authLog: (
    outcome: "Accepted" | "Failed" | "Partial" | "Postponed", method: string, submethod: string | undefined,
    valid: boolean, user: string, address: string, port: number, extra: string | undefined,
  ): string =>
    `${outcome} ${method}${submethod !== undefined ? "/" + submethod : ""} for ${valid ? "" : "invalid user "}` +
    `${upTo(escapeText(user), 100)} from ${upTo(address, 200)} port ${port} ssh2${extra !== undefined ? ": " + extra : ""}`,
  /** auth.c auth_maxtries_exceeded(), logged at ERROR before the disconnect. */
  maxTriesExceeded: (valid: boolean, user: string, address: string, port: number): string =>
    `maximum authentication attempts exceeded for ${valid ? "" : "invalid user "}${upTo(escapeText(user), 100)} ` +
    `from ${upTo(address, 200)} port ${port} ssh2`,
  /** auth.c getpwnamallow(). */
  invalidUser: (user: string, address: string, port: number): string =>
    `Invalid user ${upTo(escapeText(user), 100)} from ${address} port ${port}`,
  /** auth2.c, debug1. */
  userauthRequest: (user: string, service: string, method: string): string =>
    `userauth-request for user ${escapeText(user)} service ${escapeText(service)} method ${escapeText(method)}`,
  attemptFailures: (attempt: number, failures: number): string => `attempt ${attempt} failures ${failures}`, // auth2.c, debug1
  failureNextMethods: (partial: boolean, methods: string): string =>
    `userauth_finish: failure partial=${partial ? 1 : 0} next methods="${methods}"`, // auth2.c, debug3
  passwordChangeNotSupported: "password change not supported", // auth2-passwd.c
  refusingPreviouslyUsedKey: (keyType: string): string => `refusing previously-used ${keyType} key`, // auth2-pubkey.c
  // ---- client ----
  /** sshconnect2.c userauth(): the last line of a failed login, `fred@host: Permission denied (publickey,password).`. */
  permissionDeniedFor: (user: string, host: string, methods: readonly string[]): string =>
    `${user}@${host}: Permission denied (${methods.join(",")}).`,
  /** The same without the `user@host: ` prefix: `Permission denied (publickey,password).`. */
  permissionDenied: (methods: readonly string[]): string => `Permission denied (${methods.join(",")}).`,
  authenticationFailed: "Authentication failed.", // sshconnect2.c ssh_userauth2()
  passwordTryAgain: "Permission denied, please try again.", // sshconnect2.c userauth_passwd()
  passwordPrompt: (user: string, host: string): string => `${user}@${host}'s password: `, // sshconnect2.c
  oldPasswordPrompt: (user: string, host: string): string => `Enter ${upTo(user, 30)}@${upTo(host, 128)}'s old password: `,
  newPasswordPrompt: (user: string, host: string): string => `Enter ${upTo(user, 30)}@${upTo(host, 128)}'s new password: `,
  retypeNewPasswordPrompt: (user: string, host: string): string =>
    `Retype ${upTo(user, 30)}@${upTo(host, 128)}'s new password: `,
  passwordMismatch: "Mismatch; try again, EOF to quit.", // sshconnect2.c input_userauth_passwd_changereq()
  /** sshconnect2.c input_userauth_info_req(): each keyboard-interactive prompt as shown. */
  kbdintPrompt: (user: string, host: string, prompt: string): string => `(${user}@${host}) ${prompt}`,
  badMessageDuringAuth: (type: number): string => `input_userauth_error: bad message during authentication: type ${type}`,
  serverRepliedWithUnknownKey: "input_userauth_pk_ok: server replied with unknown key", // sshconnect2.c
  authenticationsThatCanContinue: (methods: readonly string[]): string =>
    `Authentications that can continue: ${methods.join(",")}`, // debug1
  nextAuthenticationMethod: (method: string): string => `Next authentication method: ${method}`, // debug1
  noMoreAuthenticationMethods: "No more authentication methods to try.", // debug1
  partialSuccess: (method: string): string => `Authenticated using "${method}" with partial success.`, // verbose
  authenticationSucceeded: (method: string): string => `Authentication succeeded (${method}).`, // debug1
  offeringPublicKey: (ident: string): string => `Offering public key: ${ident}`, // debug1
  serverAcceptsKey: (ident: string): string => `Server accepts key: ${ident}`, // debug1
  noMutualSignatureAlgorithm: "send_pubkey_test: no mutual signature algorithm", // debug1
  signingFailed: (ident: string, reason: string): string => `sign_and_send_pubkey: signing failed for ${ident}: ${reason}`,
} as const;
