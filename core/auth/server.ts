// Server side of SSH user authentication (RFC 4252, RFC 4256 keyboard-interactive, OpenSSH's
// publickey-hostbound-v00@openssh.com): the ssh-userauth service loop of OpenSSH's auth2.c, asking an async policy.
// Requests are handled strictly one after another; after USERAUTH_SUCCESS the conn is handed to the next layer.
import { plainKeyBlob } from "../keys/index.ts";
import { DisconnectReason, ProtocolError } from "../errors.ts";
import type { PacketConn } from "../transport/types.ts";
import {
  messageName,
  SSH_MSG_SERVICE_ACCEPT,
  SSH_MSG_SERVICE_REQUEST,
  SSH_MSG_USERAUTH_BANNER,
  SSH_MSG_USERAUTH_FAILURE,
  SSH_MSG_USERAUTH_INFO_REQUEST,
  SSH_MSG_USERAUTH_INFO_RESPONSE,
  SSH_MSG_USERAUTH_PASSWD_CHANGEREQ,
  SSH_MSG_USERAUTH_PK_OK,
  SSH_MSG_USERAUTH_REQUEST,
  SSH_MSG_USERAUTH_SUCCESS,
} from "../wire/index.ts";
import { keyTypeLabel, keyTypeOf, signatureTypeOf } from "./algorithms.ts";
import { AuthInbox } from "./inbox.ts";
import {
  AUTH_LIMITS,
  blobType,
  decodeServiceRequest,
  decodeUserauthInfoResponse,
  decodeUserauthRequest,
  type MethodFields,
  publickeySignedData,
  type UserauthRequest,
  userText,
  writeServiceName,
  writeUserauthBanner,
  writeUserauthFailure,
  writeUserauthInfoRequest,
} from "./messages.ts";
import { MethodLists, SERVER_METHOD_ORDER } from "./method-lists.ts";
import type {
  AuthLog,
  AuthLogLevel,
  AuthUser,
  CompletedMethod,
  KbdIntDialog,
  MessageHandler,
  ServerAuthOptions,
  ServerAuthPolicy,
  ServerAuthResult,
} from "./types.ts";
import { AUTH_WORDING, escapeText } from "./wording.ts";

/** The service a successful login leads to (RFC 4252 §5: anything else makes the user invalid, as in OpenSSH). */
const CONNECTION_SERVICE = "ssh-connection";
/** RFC 4252 §4: the service the client asks for first. */
const USERAUTH_SERVICE = "ssh-userauth";
/** sshd's MaxAuthTries default. */
const DEFAULT_MAX_AUTH_TRIES = 6;
/** auth2.c: more requests than this end the connection whatever MaxAuthTries says. */
const MAX_ATTEMPTS = 1024;

/** A server authentication run. */
export interface ServerAuth {
  /** Resolves on USERAUTH_SUCCESS; rejects with the ProtocolError that ended it (DISCONNECT already sent) or the close. */
  readonly done: Promise<ServerAuthResult>;
  /** The user name of the first request (undefined before it), for `Connection closed by ... user fred` logs. */
  readonly user: string | undefined;
  /** Whether that user is valid (`authenticating user` vs `invalid user`). */
  readonly valid: boolean;
  /** Failed attempts so far (MaxAuthTries counts these). */
  readonly failures: number;
}

/** Result of one method step. */
type Outcome =
  | { readonly kind: "success"; readonly completed: CompletedMethod; readonly extra?: string }
  | { readonly kind: "failure"; readonly extra?: string }
  | { readonly kind: "postponed"; readonly extra?: string };

const FAILURE: Outcome = { kind: "failure" };

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Passwords are zeroed once handled, whether or not the method was tried (OpenSSH freezero()). */
function wipe(fields: MethodFields): void {
  if (fields.kind !== "password") return;
  fields.password.fill(0);
  fields.newPassword?.fill(0);
}

function protocolError(message: string): ProtocolError {
  return new ProtocolError(DisconnectReason.PROTOCOL_ERROR, message);
}

/**
 * Runs the ssh-userauth service on `conn` (which must have finished its first key exchange): accepts the service
 * request, answers USERAUTH_REQUESTs by asking `policy`, and after success holds further messages for `handOver`.
 *
 * ```ts
 * const auth = runServerAuth(conn, policy, { remoteAddress: "192.0.2.1", remotePort: 59915, log });
 * const { user, methods, handOver } = await auth.done;
 * handOver(mux.onMessage, mux.onClose);
 * ```
 */
export function runServerAuth(conn: PacketConn, policy: ServerAuthPolicy, options: ServerAuthOptions = {}): ServerAuth {
  return new ServerAuthRun(conn, policy, options);
}

class ServerAuthRun implements ServerAuth {
  readonly done: Promise<ServerAuthResult>;
  user: string | undefined = undefined;
  valid = false;
  failures = 0;

  private readonly inbox: AuthInbox;
  private readonly log: AuthLog;
  private readonly now: () => number;
  private serviceAccepted = false;
  private attempt = 0;
  private userPart: Uint8Array | undefined = undefined;
  private style: string | undefined = undefined;
  private service = "";
  private enabled: readonly string[] = [];
  private lists: MethodLists | undefined = undefined;
  private maxAuthTries = DEFAULT_MAX_AUTH_TRIES;
  private readonly usedKeys: Uint8Array[] = [];
  private readonly completed: CompletedMethod[] = [];
  private readonly exposeLines: string[] = [];
  /** An open keyboard-interactive dialog waiting for INFO_RESPONSE with this many answers. */
  private kbdint: { dialog: KbdIntDialog; expected: number } | null = null;

  constructor(
    private readonly conn: PacketConn,
    private readonly policy: ServerAuthPolicy,
    private readonly options: ServerAuthOptions,
  ) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => performance.now());
    this.inbox = new AuthInbox(conn);
    this.done = this.run().catch((error: unknown) => {
      this.abortDialog();
      const e = error instanceof Error ? error : new Error(String(error));
      if (e instanceof ProtocolError) {
        this.inbox.abort(e);
      } else if (!this.inbox.isClosed) {
        // STYLE.md §6: any other throw is a bug (or a failed policy backend): logged with its stack, sent as PROTOCOL_ERROR.
        this.log("ERROR", `authentication: ${e.stack ?? e.message}`);
        this.inbox.abort(protocolError("internal error"));
      }
      throw e;
    });
  }

  private async run(): Promise<ServerAuthResult> {
    for (;;) {
      const { payload, lease } = await this.inbox.next();
      const type = payload[0]!;
      let step: () => Promise<ServerAuthResult | undefined>;
      try {
        if (type === SSH_MSG_SERVICE_REQUEST) {
          const service = decodeServiceRequest(payload);
          step = () => this.handleServiceRequest(service);
        } else if (type === SSH_MSG_USERAUTH_REQUEST && this.serviceAccepted) {
          const req = decodeUserauthRequest(payload);
          step = () => this.handleRequest(req).finally(() => wipe(req.fields));
        } else if (type === SSH_MSG_USERAUTH_INFO_RESPONSE && this.kbdint !== null) {
          const answers = decodeUserauthInfoResponse(payload);
          step = () => this.handleInfoResponse(answers);
        } else {
          throw protocolError(`unexpected ${messageName(type)} during authentication`);
        }
      } finally {
        lease.release();
      }
      const result = await step();
      if (result) return result;
    }
  }

  /** RFC 4253 §10, auth2.c input_service_request(). */
  private async handleServiceRequest(service: string): Promise<undefined> {
    if (service !== USERAUTH_SERVICE) {
      this.log("DEBUG1", `bad service request ${service}`);
      // RFC 4253 §10 suggests SERVICE_NOT_AVAILABLE; OpenSSH sends the same text with PROTOCOL_ERROR.
      throw new ProtocolError(DisconnectReason.SERVICE_NOT_AVAILABLE, AUTH_WORDING.badServiceRequest(service));
    }
    this.serviceAccepted = true;
    this.send(SSH_MSG_SERVICE_ACCEPT, (w) => writeServiceName(w, service));
    return undefined;
  }

  private who(): AuthUser {
    return { user: this.user ?? "", style: this.style, service: this.service, valid: this.valid };
  }

  private send(msg: number, write?: (w: ReturnType<PacketConn["begin"]>) => void): void {
    const w = this.conn.begin(msg);
    write?.(w);
    this.conn.commit(w);
  }

  /** auth2.c input_userauth_request(). */
  private async handleRequest(req: UserauthRequest): Promise<ServerAuthResult | undefined> {
    const started = this.now();
    const colon = req.user.indexOf(0x3a); // `user:style` (BSD auth style), split as auth2.c does
    const userPart = colon < 0 ? req.user : req.user.subarray(0, colon);
    const style = colon < 0 ? undefined : userText(req.user.subarray(colon + 1));
    this.log("DEBUG1", AUTH_WORDING.userauthRequest(userText(req.user), req.service, req.method));
    this.log("DEBUG1", AUTH_WORDING.attemptFailures(this.attempt, this.failures));

    if (this.attempt >= MAX_ATTEMPTS) this.maxTriesExceeded();
    if (this.attempt++ === 0) {
      await this.startUser(userPart, style, req.service);
    } else if (!bytesEqual(userPart, this.userPart!) || req.service !== this.service) {
      throw protocolError(
        // peer-supplied names, escaped: this text is logged as well as sent
        AUTH_WORDING.changeOfUserOrService(escapeText(this.user!), this.service, escapeText(userText(userPart)), req.service),
      );
    }
    this.abortDialog(); // a new request ends an open keyboard-interactive dialog (auth2_challenge_stop())

    const method = req.fields.kind === "publickey" ? "publickey" : req.method; // the hostbound variant is a synonym
    let outcome: Outcome = FAILURE;
    if (this.methodUsable(method) && this.failures < this.maxAuthTries) {
      this.log("DEBUG2", `input_userauth_request: try method ${method}`);
      outcome = await this.tryMethod(req, req.fields);
    }
    if (outcome.kind !== "success" && method !== "none") await this.failureDelay(started);
    return this.finish(outcome, method, outcome.kind === "success" ? outcome.completed.submethod : undefined);
  }

  /** First request: look the user up, settle methods and limits, send the banner. */
  private async startUser(userPart: Uint8Array, style: string | undefined, service: string): Promise<void> {
    const user = userText(userPart);
    const setup = await this.policy.startUser(user, style, service);
    this.userPart = userPart.slice();
    this.user = user;
    this.style = style;
    this.service = service;
    this.valid = setup.valid && service === CONNECTION_SERVICE;
    if (!setup.valid) {
      this.log("INFO", AUTH_WORDING.invalidUser(user, this.options.remoteAddress ?? "UNKNOWN", this.options.remotePort ?? 0));
    }
    this.maxAuthTries = setup.maxAuthTries ?? DEFAULT_MAX_AUTH_TRIES;
    this.enabled = SERVER_METHOD_ORDER.filter((m) => setup.methods.includes(m) && this.implemented(m));
    if (setup.banner !== undefined && setup.banner !== "") {
      const banner = setup.banner;
      this.send(SSH_MSG_USERAUTH_BANNER, (w) => writeUserauthBanner(w, banner));
    }
    try {
      this.lists = new MethodLists(setup.authenticationMethods, this.enabled);
    } catch (e) {
      this.log("ERROR", (e as Error).message);
      throw protocolError(AUTH_WORDING.noAuthMethodsEnabled);
    }
    for (const l of this.lists.skipped) {
      this.log("INFO", `Authentication methods list "${l}" contains disabled method, skipping`);
    }
  }

  /** Whether the policy has what a method needs. */
  private implemented(method: string): boolean {
    const p = this.policy;
    switch (method) {
      case "publickey":
        return p.checkPublicKey !== undefined && p.verifySignature !== undefined;
      case "password":
        return p.checkPassword !== undefined;
      case "keyboard-interactive":
        return p.startKeyboardInteractive !== undefined;
      default:
        return false;
    }
  }

  /** authmethod_lookup(): known, enabled and allowed by AuthenticationMethods (`none` is always known). */
  private methodUsable(method: string): boolean {
    if (method !== "none" && !this.enabled.includes(method)) return false;
    return this.lists!.allowed(method);
  }

  private tryMethod(req: UserauthRequest, fields: MethodFields): Promise<Outcome> {
    switch (fields.kind) {
      case "none":
        return this.tryNone();
      case "publickey":
        return this.tryPublickey(req, fields);
      case "password":
        return this.tryPassword(fields);
      case "keyboard-interactive":
        return this.tryKbdint(fields.submethods);
      default:
        return Promise.resolve(FAILURE);
    }
  }

  private async tryNone(): Promise<Outcome> {
    if (!this.valid || !this.policy.checkNone) return FAILURE;
    return (await this.policy.checkNone(this.who())) ? { kind: "success", completed: { method: "none" } } : FAILURE;
  }

  /** auth2-pubkey.c userauth_pubkey(). */
  private async tryPublickey(req: UserauthRequest, f: Extract<MethodFields, { kind: "publickey" }>): Promise<Outcome> {
    if (f.hostbound && !bytesEqual(f.hostKey!, this.conn.serverHostKey)) {
      throw protocolError(AUTH_WORDING.wrongHostKey(req.method));
    }
    const keyType = blobType(f.keyBlob);
    if (keyType === undefined) {
      this.log("ERROR", "userauth_pubkey: parse key: invalid format");
      return FAILURE;
    }
    if (keyTypeOf(f.algorithm) !== keyType) {
      this.log("ERROR", `userauth_pubkey: key type mismatch for decoded key (received ${keyType}, expected ${f.algorithm})`);
      return FAILURE;
    }
    // auth2-pubkey.c auth2_key_already_used: compared as public keys, so a certificate equals its certified key.
    if (this.usedKeys.some((k) => bytesEqual(k, plainKeyOf(f.keyBlob)))) {
      this.log("VERBOSE", AUTH_WORDING.refusingPreviouslyUsedKey(keyTypeLabel(keyType)));
      return FAILURE;
    }
    if (!this.valid) {
      this.log("DEBUG2", "userauth_pubkey: disabled because of invalid user");
      return FAILURE;
    }
    const withSignature = f.signature !== undefined;
    const verdict = await this.policy.checkPublicKey!({
      ...this.who(),
      algorithm: f.algorithm,
      keyBlob: f.keyBlob,
      withSignature,
    });
    if (!withSignature) {
      // auth2-pubkey.c records the key (and so logs it) only when a signature is checked
      if (!verdict.allowed) return FAILURE;
      this.send(SSH_MSG_USERAUTH_PK_OK, (w) => w.string(f.algorithm).string(f.keyBlob));
      return { kind: "postponed" };
    }
    const extra = verdict.description;
    // The signature blob must be of the type the named algorithm makes (no ssh-rsa SHA-1 under an rsa-sha2-512 name).
    if (!verdict.allowed || blobType(f.signature!) !== signatureTypeOf(f.algorithm)) return { kind: "failure", extra };
    const data = publickeySignedData(
      this.conn.sessionId,
      req.user,
      req.service,
      req.method,
      f.algorithm,
      f.keyBlob,
      f.hostbound ? this.conn.serverHostKey : undefined,
    );
    const ok = await this.policy.verifySignature!({
      algorithm: f.algorithm,
      keyBlob: f.keyBlob,
      signature: f.signature!,
      data,
    });
    if (!ok) return { kind: "failure", extra };
    this.usedKeys.push(plainKeyOf(f.keyBlob));
    return {
      kind: "success",
      extra,
      completed: { method: "publickey", algorithm: f.algorithm, keyBlob: f.keyBlob, attachment: verdict.attachment },
    };
  }

  /** auth2-passwd.c userauth_passwd(), with RFC 4252 §8 password change. */
  private async tryPassword(f: Extract<MethodFields, { kind: "password" }>): Promise<Outcome> {
    let verdict;
    if (f.newPassword === undefined) {
      verdict = await this.policy.checkPassword!(this.who(), f.password);
    } else if (this.policy.changePassword) {
      verdict = await this.policy.changePassword(this.who(), f.password, f.newPassword);
    } else {
      this.log("INFO", AUTH_WORDING.passwordChangeNotSupported);
      return FAILURE;
    }
    if (verdict.result === "change-required") {
      if (!this.valid) return FAILURE;
      const prompt = verdict.prompt;
      this.send(SSH_MSG_USERAUTH_PASSWD_CHANGEREQ, (w) => w.string(prompt).string(""));
      return { kind: "postponed" };
    }
    if (verdict.result !== "success" || !this.valid) return FAILURE;
    return { kind: "success", completed: { method: "password", attachment: verdict.attachment } };
  }

  /** auth2-kbdint.c userauth_kbdint(). */
  private async tryKbdint(submethods: string): Promise<Outcome> {
    const dialog = await this.policy.startKeyboardInteractive!(this.who(), submethods);
    if (dialog === null) return FAILURE;
    return this.kbdintStep(dialog, null);
  }

  /** One round of a dialog: prompts go out as INFO_REQUEST (postponed), or the dialog ends. */
  private async kbdintStep(dialog: KbdIntDialog, answers: Uint8Array[] | null): Promise<Outcome> {
    let step;
    try {
      step = await dialog.step(answers);
    } finally {
      for (const a of answers ?? []) a.fill(0);
    }
    switch (step.kind) {
      case "prompt": {
        if (step.prompts.length > AUTH_LIMITS.kbdIntPrompts) throw new Error("keyboard-interactive: too many prompts");
        this.kbdint = { dialog, expected: step.prompts.length };
        this.send(SSH_MSG_USERAUTH_INFO_REQUEST, (w) => writeUserauthInfoRequest(w, step.name, step.instruction, step.prompts));
        return { kind: "postponed" };
      }
      case "success":
        if (!this.valid) return FAILURE;
        return {
          kind: "success",
          completed: { method: "keyboard-interactive", submethod: dialog.submethod, attachment: step.attachment },
        };
      default:
        return FAILURE;
    }
  }

  /** auth2-chall.c input_userauth_info_response(). */
  private async handleInfoResponse(answers: Uint8Array[]): Promise<ServerAuthResult | undefined> {
    const started = this.now();
    const { dialog, expected } = this.kbdint!;
    this.kbdint = null;
    if (answers.length !== expected) {
      for (const a of answers) a.fill(0);
      dialog.abort?.();
      throw protocolError(AUTH_WORDING.wrongNumberOfReplies);
    }
    const outcome = await this.kbdintStep(dialog, answers);
    if (outcome.kind !== "success") await this.failureDelay(started);
    return this.finish(outcome, "keyboard-interactive", dialog.submethod);
  }

  private abortDialog(): void {
    const k = this.kbdint;
    this.kbdint = null;
    k?.dialog.abort?.();
  }

  private async failureDelay(started: number): Promise<void> {
    if (this.options.failureDelay) await this.options.failureDelay(this.user ?? "", this.now() - started);
  }

  /** auth2.c userauth_finish(). */
  private finish(outcome: Outcome, method: string, submethod: string | undefined): ServerAuthResult | undefined {
    let authenticated = outcome.kind === "success" && this.valid;
    let partial = false;
    if (authenticated && !this.lists!.complete(method, submethod)) {
      authenticated = false;
      partial = true;
    }
    this.authLog(outcome.kind === "postponed" ? "Postponed" : partial ? "Partial" : authenticated ? "Accepted" : "Failed",
      method, submethod, outcome.extra, authenticated);
    if ((authenticated || partial) && outcome.kind === "success") this.record(outcome.completed);
    if (outcome.kind === "postponed") return undefined;

    if (authenticated) {
      this.send(SSH_MSG_USERAUTH_SUCCESS);
      // OpenSSH ignores userauth messages after success (dispatch_protocol_ignore); the rest waits for the next layer.
      this.inbox.hold((type) => type >= SSH_MSG_USERAUTH_REQUEST && type <= 79);
      const inbox = this.inbox;
      return {
        user: this.user!,
        style: this.style,
        service: this.service,
        methods: this.completed.slice(),
        exposeAuthInfo: this.exposeLines.join(""),
        handOver: (onMessage: MessageHandler, onClose?: (error: Error | undefined) => void) => inbox.handOver(onMessage, onClose),
      };
    }
    // The first `none` costs nothing (auth2.c: "Allow initial try of "none" auth without failure penalty").
    if (!partial && (this.attempt > 1 || method !== "none")) this.failures++;
    if (this.failures >= this.maxAuthTries) this.maxTriesExceeded();
    const methods = this.enabled.filter((m) => this.lists!.allowed(m));
    this.log("DEBUG3", AUTH_WORDING.failureNextMethods(partial, methods.join(",")));
    this.send(SSH_MSG_USERAUTH_FAILURE, (w) => writeUserauthFailure(w, methods, partial));
    return undefined;
  }

  /** auth2_update_session_info(): ExposeAuthInfo lines. */
  private record(c: CompletedMethod): void {
    this.completed.push(c);
    let line = c.method + (c.submethod !== undefined ? "/" + c.submethod : "");
    if (c.keyBlob) line += ` ${blobType(c.keyBlob)} ${Buffer.from(c.keyBlob).toString("base64")}`;
    this.exposeLines.push(line + "\n");
  }

  /** auth.c auth_log(). */
  private authLog(
    outcome: "Accepted" | "Failed" | "Partial" | "Postponed",
    method: string,
    submethod: string | undefined,
    extra: string | undefined,
    authenticated: boolean,
  ): void {
    const level: AuthLogLevel =
      authenticated || !this.valid || this.failures >= this.maxAuthTries / 2 || method === "password" ? "INFO" : "VERBOSE";
    this.log(level, AUTH_WORDING.authLog(outcome, method, submethod, this.valid, this.user ?? "",
      this.options.remoteAddress ?? "UNKNOWN", this.options.remotePort ?? 0, extra));
  }

  /** auth.c auth_maxtries_exceeded(). */
  private maxTriesExceeded(): never {
    this.log("ERROR", AUTH_WORDING.maxTriesExceeded(this.valid, this.user ?? "",
      this.options.remoteAddress ?? "UNKNOWN", this.options.remotePort ?? 0));
    throw protocolError(AUTH_WORDING.tooManyAuthFailures);
  }
}

/** The plain public key of a blob: a certificate's certified key, else the blob itself (unparseable: the blob). */
function plainKeyOf(blob: Uint8Array): Uint8Array {
  try {
    return plainKeyBlob(blob);
  } catch {
    return blob;
  }
}
