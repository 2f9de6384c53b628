// The small interfaces the user-authentication layer (RFC 4252, RFC 4256) meets the rest of the suite at: client-side
// signers and prompts, the server-side policy sshd implements (authorized_keys, certificates, passwords, PAM-like
// keyboard-interactive, AllowUsers, MaxAuthTries, AuthenticationMethods), and the results handed to the next layer.
import type { Lease } from "../wire/index.ts";

/** OpenSSH log levels (LogLevel, `-v`), as the auth layer emits them. */
export type AuthLogLevel = "ERROR" | "INFO" | "VERBOSE" | "DEBUG1" | "DEBUG2" | "DEBUG3";
/** Where the auth layer's log lines go; messages are already escaped. */
export type AuthLog = (level: AuthLogLevel, message: string) => void;

/** The next layer's handlers: what `handOver()` installs on the PacketConn. */
export type MessageHandler = (payload: Uint8Array, lease: Lease) => void;

/**
 * After USERAUTH_SUCCESS the auth layer stops consuming messages and holds any that arrive (in order) until the next
 * layer calls `handOver()`: it installs `onMessage` (and `onClose`, else the one the PacketConn had before auth
 * started) and replays the held messages synchronously. If the connection closed meanwhile, the held leases were
 * released and `onClose` is called at once.
 */
export interface HandOver {
  handOver(onMessage: MessageHandler, onClose?: (error: Error | undefined) => void): void;
}

// ---------------------------------------------------------------------------------------------------------------
// Client

/** A user key the client can authenticate with (a key file, an agent key, a token). */
export interface Signer {
  /** The key type as in the blob: `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, `ssh-ed25519-cert-v01@openssh.com`. */
  readonly algorithm: string;
  /** RFC 4253 §6.6 public key blob (or certificate blob). */
  readonly publicKeyBlob: Uint8Array;
  /**
   * Signs `data` and returns an SSH signature blob (`string alg ‖ string sig`). `signatureAlgorithm` is the algorithm
   * chosen for this request (differs from `algorithm` only for RSA: `rsa-sha2-512`, `rsa-sha2-256`). Throwing (agent
   * refused, passphrase cancelled) skips this key.
   */
  sign(data: Uint8Array, signatureAlgorithm: string): Promise<Uint8Array>;
  /**
   * Whether to ask the server first (USERAUTH_REQUEST without signature, answered by PK_OK) before signing; default
   * true, as OpenSSH does for every key whose public half it has. False signs at once (OpenSSH's "Trying private
   * key" path for key files without a .pub), saving a round trip.
   */
  readonly queryFirst?: boolean;
  /** How logs name it (`/home/fred/.ssh/id_ed25519 ED25519 SHA256:...`); default the algorithm. */
  readonly comment?: string;
}

/** One keyboard-interactive prompt (RFC 4256 §3.2). */
export interface KbdIntPrompt {
  readonly prompt: string;
  readonly echo: boolean;
}

/** An RFC 4256 §3.2 SSH_MSG_USERAUTH_INFO_REQUEST as shown to the user (text is raw: escape before printing). */
export interface KbdIntRequest {
  readonly name: string;
  readonly instruction: string;
  readonly prompts: readonly KbdIntPrompt[];
}

/** Client-side settings and callbacks (ssh_config's PreferredAuthentications, NumberOfPasswordPrompts, ...). */
export interface ClientAuthOptions {
  /** The remote user name. */
  readonly user: string;
  /** Methods in the order to try them; default `["publickey", "keyboard-interactive", "password"]`. */
  readonly preferredAuthentications?: readonly string[];
  /** Keys for publickey, in order. */
  readonly signers?: readonly Signer[];
  /**
   * Signature algorithms we accept for user keys, in preference order (PubkeyAcceptedAlgorithms); default OpenSSH's
   * list. Decides rsa-sha2-512 vs rsa-sha2-256 for RSA keys together with the server's server-sig-algs.
   */
  readonly pubkeyAcceptedAlgorithms?: readonly string[];
  /** Use publickey-hostbound-v00@openssh.com when the server offers it (PubkeyAuthentication unbound: false). */
  readonly hostbound?: boolean;
  /**
   * Password for `password` auth. `attempt` counts from 1 (a front-end prints "Permission denied, please try again."
   * before attempts > 1); null gives up on the method.
   */
  readonly password?: (attempt: number) => Promise<string | null>;
  /** SSH_MSG_USERAUTH_PASSWD_CHANGEREQ (RFC 4252 §8): the old and new password, or null to give up on password. */
  readonly passwordChange?: (
    prompt: string,
    language: string,
  ) => Promise<{ oldPassword: string; newPassword: string } | null>;
  /** Answers for one INFO_REQUEST, one per prompt; null abandons keyboard-interactive for the next method. */
  readonly keyboardInteractive?: (request: KbdIntRequest) => Promise<string[] | null>;
  /** KbdInteractiveDevices: the `submethods` field; default "". */
  readonly kbdInteractiveDevices?: string;
  /** NumberOfPasswordPrompts: password and keyboard-interactive attempts; default 3. */
  readonly numberOfPasswordPrompts?: number;
  /** SSH_MSG_USERAUTH_BANNER (RFC 4252 §5.4): raw text, escape before printing. */
  readonly onBanner?: (message: string, language: string) => void;
  readonly log?: AuthLog;
}

/** How client authentication ended. */
export type ClientAuthResult =
  | ({ readonly ok: true; /** The method of the final success. */ readonly method: string } & HandOver)
  | {
      readonly ok: false;
      /** The last "can continue" list from the server, for `Permission denied (publickey,password).` */
      readonly methods: readonly string[];
    };

// ---------------------------------------------------------------------------------------------------------------
// Server

/** Who is authenticating: handed to every policy call. */
export interface AuthUser {
  /** The user name (without a `:style` suffix), decoded as UTF-8. */
  readonly user: string;
  /** BSD auth style (`user:style`), if the client sent one. */
  readonly style: string | undefined;
  /** The service asked for after authentication (`ssh-connection`). */
  readonly service: string;
  /** Whether the user exists and may log in at all; methods for an invalid user always fail. */
  readonly valid: boolean;
}

/** What applies to one user: settled once, at the first USERAUTH_REQUEST (sshd resolves Match blocks here). */
export interface UserAuthSetup {
  /** The account exists and is allowed (AllowUsers, DenyUsers, ...). */
  readonly valid: boolean;
  /** Enabled methods among `publickey`, `password`, `keyboard-interactive` (PubkeyAuthentication ...). */
  readonly methods: readonly string[];
  /**
   * AuthenticationMethods: each entry one list that must be completed in order, e.g.
   * `["publickey,password", "publickey,keyboard-interactive:pam"]`; undefined, [] or ["any"]: one method suffices.
   */
  readonly authenticationMethods?: readonly string[];
  /** MaxAuthTries; default 6. */
  readonly maxAuthTries?: number;
  /** Banner text to send once before the first reply (Banner), or undefined. */
  readonly banner?: string;
}

/** A publickey request as the policy sees it. */
export interface PublicKeyCheck extends AuthUser {
  /** The algorithm named in the request (`ssh-ed25519`, `rsa-sha2-512`, `ssh-ed25519-cert-v01@openssh.com`). */
  readonly algorithm: string;
  /** The key or certificate blob (a copy the policy may keep). */
  readonly keyBlob: Uint8Array;
  /** False for a query (answered by PK_OK), true when a signature will be verified. */
  readonly withSignature: boolean;
}

/** The policy's answer about a public key. */
export interface PublicKeyVerdict {
  readonly allowed: boolean;
  /** For log lines after `ssh2: ` (`ED25519 SHA256:...`, with certificate ID and CA). */
  readonly description?: string;
  /** Anything sshd needs after success (authorized_keys options, certificate principals): returned in the result. */
  readonly attachment?: unknown;
}

/** A signature check: `signature` is an SSH signature blob over `data` by `keyBlob` with `algorithm`. */
export interface SignatureCheck {
  readonly algorithm: string;
  readonly keyBlob: Uint8Array;
  readonly signature: Uint8Array;
  /** The RFC 4252 §7 signed data, rebuilt by the server. */
  readonly data: Uint8Array;
}

/** A password check's outcome; `changeRequired` answers with SSH_MSG_USERAUTH_PASSWD_CHANGEREQ and this prompt. */
export type PasswordVerdict =
  | { readonly result: "success" | "failure"; readonly attachment?: unknown }
  | { readonly result: "change-required"; readonly prompt: string };

/** One step of a keyboard-interactive dialog. */
export type KbdIntStep =
  | { readonly kind: "prompt"; readonly name: string; readonly instruction: string; readonly prompts: readonly KbdIntPrompt[] }
  | { readonly kind: "success"; readonly attachment?: unknown }
  | { readonly kind: "failure" };

/** A keyboard-interactive conversation (a PAM conversation, a one-time-password device). */
export interface KbdIntDialog {
  /** Device name for logs and AuthenticationMethods `keyboard-interactive:<submethod>` (`pam`, `bsdauth`). */
  readonly submethod?: string;
  /**
   * Called first with null, then with the answers to the previous prompts (one per prompt; memory is wiped after the
   * call returns, so copy what must be kept).
   */
  step(responses: readonly Uint8Array[] | null): Promise<KbdIntStep>;
  /** The dialog ended early: a new USERAUTH_REQUEST replaced it, or the connection closed. */
  abort?(): void;
}

/**
 * The decisions sshd makes; every call may take its time (a password check in a worker), requests are processed
 * strictly in order. A method whose handler is missing is disabled. Byte arrays handed in are wiped after the
 * returned promise settles (passwords, responses): copy what must be kept.
 */
export interface ServerAuthPolicy {
  /** First USERAUTH_REQUEST: look the user up and settle methods, AuthenticationMethods, MaxAuthTries, Banner. */
  startUser(user: string, style: string | undefined, service: string): Promise<UserAuthSetup>;
  /** The `none` method: true if this account needs no authentication (PermitEmptyPasswords + empty password). */
  checkNone?(who: AuthUser): Promise<boolean>;
  /** May this key log this user in (authorized_keys, certificates, PubkeyAcceptedAlgorithms, revoked keys)? */
  checkPublicKey?(check: PublicKeyCheck): Promise<PublicKeyVerdict>;
  /** Verifies an SSH signature blob (core/crypto); required with checkPublicKey. */
  verifySignature?(check: SignatureCheck): Promise<boolean>;
  /** The `password` method. Called for invalid users too (to keep timing alike); success is then ignored. */
  checkPassword?(who: AuthUser, password: Uint8Array): Promise<PasswordVerdict>;
  /** RFC 4252 §8 change request (after PASSWD_CHANGEREQ, or unprompted); absent: "password change not supported". */
  changePassword?(who: AuthUser, oldPassword: Uint8Array, newPassword: Uint8Array): Promise<PasswordVerdict>;
  /** The `keyboard-interactive` method (RFC 4256): a dialog, or null when no device applies. */
  startKeyboardInteractive?(who: AuthUser, submethods: string): Promise<KbdIntDialog | null>;
}

/** One method that succeeded (with partial success or finally). */
export interface CompletedMethod {
  /** Primary name: `none`, `publickey`, `password`, `keyboard-interactive`. */
  readonly method: string;
  readonly submethod?: string;
  /** publickey: the algorithm and key blob used. */
  readonly algorithm?: string;
  readonly keyBlob?: Uint8Array;
  /** What the policy attached to its verdict. */
  readonly attachment?: unknown;
}

/** Server-side outcome: who logged in and how (for logs, ExposeAuthInfo, authorized_keys options). */
export interface ServerAuthResult extends HandOver {
  readonly user: string;
  readonly style: string | undefined;
  readonly service: string;
  /** Methods in the order they succeeded; the last one completed authentication. */
  readonly methods: readonly CompletedMethod[];
  /** sshd's ExposeAuthInfo text (SSH_USER_AUTH): one line per method, `publickey ssh-ed25519 AAAA...\n`. */
  readonly exposeAuthInfo: string;
}

/** Server-side settings that are not per user. */
export interface ServerAuthOptions {
  /** For log lines (`from 192.0.2.1 port 59915`). */
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly log?: AuthLog;
  /** Waits after a failed attempt so failures take as long for every user (OpenSSH auth_failure_delay()). */
  readonly failureDelay?: (user: string, elapsedMs: number) => Promise<void>;
  /** Clock for `failureDelay` (ms); default performance.now. */
  readonly now?: () => number;
}
