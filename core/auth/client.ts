// Client side of SSH user authentication (RFC 4252, RFC 4256, OpenSSH's publickey-hostbound-v00@openssh.com), after
// OpenSSH's sshconnect2.c: `none` first, then the preferred methods the server says can continue; publickey queries
// each key (PK_OK) and signs; password and keyboard-interactive ask async prompt callbacks.
import { DisconnectReason, ProtocolError } from "../errors.ts";
import type { PacketConn } from "../transport/types.ts";
import {
  SSH_MSG_SERVICE_ACCEPT,
  SSH_MSG_SERVICE_REQUEST,
  SSH_MSG_USERAUTH_BANNER,
  SSH_MSG_USERAUTH_FAILURE,
  SSH_MSG_USERAUTH_INFO_RESPONSE,
  SSH_MSG_USERAUTH_REQUEST,
  SSH_MSG_USERAUTH_SUCCESS,
} from "../wire/index.ts";
import { chooseSignatureAlgorithm, DEFAULT_PUBKEY_ACCEPTED_ALGORITHMS, keyTypeOf } from "./algorithms.ts";
import { AuthInbox } from "./inbox.ts";
import {
  blobType,
  decodeServiceAccept,
  decodeUserauthBanner,
  decodeUserauthFailure,
  decodeUserauthInfoRequest,
  decodeUserauthPasswdChangereq,
  decodeUserauthPkOk,
  PUBLICKEY_HOSTBOUND_METHOD,
  publickeySignedData,
  type UserauthInfoRequest,
  type UserauthPasswdChangereq,
  type UserauthPkOk,
  writeServiceName,
  writeUserauthHead,
} from "./messages.ts";
import type { AuthLog, ClientAuthOptions, ClientAuthResult, MessageHandler, Signer } from "./types.ts";
import { AUTH_WORDING } from "./wording.ts";

/** PreferredAuthentications default of OpenSSH (gssapi-with-mic and hostbased are not implemented). */
export const DEFAULT_PREFERRED_AUTHENTICATIONS: readonly string[] = ["publickey", "keyboard-interactive", "password"];
/** NumberOfPasswordPrompts default. */
const DEFAULT_PASSWORD_PROMPTS = 3;
const CONNECTION_SERVICE = "ssh-connection";
const USERAUTH_SERVICE = "ssh-userauth";
/** Message 60 means PK_OK, PASSWD_CHANGEREQ or INFO_REQUEST depending on the last request (RFC 4252 §7, §8, RFC 4256). */
type Expect60 = "pk-ok" | "passwd-changereq" | "info-request" | null;

const ascii = new TextDecoder("latin1");

function protocolError(message: string): ProtocolError {
  return new ProtocolError(DisconnectReason.PROTOCOL_ERROR, message);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Authenticates `conn` (after its first key exchange) as `options.user`. Resolves with success (then call
 * `handOver` to give the conn to the connection layer) or failure with the server's last method list; rejects with
 * the ProtocolError that ended the connection (DISCONNECT sent) or the close.
 *
 * ```ts
 * const r = await runClientAuth(conn, { user: "fred", signers: [key], password: () => ask("fred@host's password: ") });
 * if (!r.ok) throw new Error(AUTH_WORDING.permissionDeniedFor("fred", "host", r.methods));
 * r.handOver(mux.onMessage, mux.onClose);
 * ```
 */
export function runClientAuth(conn: PacketConn, options: ClientAuthOptions): Promise<ClientAuthResult> {
  return new ClientAuthRun(conn, options).done;
}

interface KeySlot {
  readonly signer: Signer;
  tried: boolean;
}

class ClientAuthRun {
  readonly done: Promise<ClientAuthResult>;
  private readonly inbox: AuthInbox;
  private readonly log: AuthLog;
  private readonly preferred: readonly string[];
  private readonly maxPrompts: number;
  private readonly keys: KeySlot[];
  private accepted = false;
  /** The server's last "can continue" list (authctxt->authlist). */
  private authlist: readonly string[] = [];
  /** authmethod_get() state: the list we are working through, our position in `preferred`, the current method. */
  private supported: string | null = null;
  private preferredIndex = 0;
  private current: string | null = null;
  private readonly disabled = new Set<string>();
  private expect60: Expect60 = null;
  private passwordAttempts = 0;
  private kbdintAttempts = 0;
  private infoRequestSeen = false;

  constructor(
    private readonly conn: PacketConn,
    private readonly options: ClientAuthOptions,
  ) {
    this.log = options.log ?? (() => {});
    this.preferred = options.preferredAuthentications ?? DEFAULT_PREFERRED_AUTHENTICATIONS;
    this.maxPrompts = options.numberOfPasswordPrompts ?? DEFAULT_PASSWORD_PROMPTS;
    this.keys = (options.signers ?? []).map((signer) => ({ signer, tried: false }));
    this.inbox = new AuthInbox(conn);
    this.done = this.run().catch((error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      if (e instanceof ProtocolError) this.inbox.abort(e);
      else if (!this.inbox.isClosed) this.inbox.stop();
      throw e;
    });
  }

  private async run(): Promise<ClientAuthResult> {
    const w = this.conn.begin(SSH_MSG_SERVICE_REQUEST);
    writeServiceName(w, USERAUTH_SERVICE);
    this.conn.commit(w);
    for (;;) {
      const { payload, lease } = await this.inbox.next();
      const type = payload[0]!;
      let step: () => Promise<ClientAuthResult | undefined>;
      try {
        step = this.decode(type, payload);
      } finally {
        lease.release();
      }
      const result = await step();
      if (result) return result;
    }
  }

  /** Decodes one message (its memory goes back right after) into the step that handles it. */
  private decode(type: number, payload: Uint8Array): () => Promise<ClientAuthResult | undefined> {
    if (!this.accepted) {
      if (type !== SSH_MSG_SERVICE_ACCEPT) throw protocolError(AUTH_WORDING.badMessageDuringAuth(type));
      const service = decodeServiceAccept(payload);
      this.log("DEBUG2", service === undefined ? "buggy server: service_accept w/o service" : `service_accept: ${service}`);
      return () => this.onServiceAccept();
    }
    switch (type) {
      case SSH_MSG_USERAUTH_BANNER: {
        const banner = decodeUserauthBanner(payload);
        return async () => {
          if (banner.message !== "") this.options.onBanner?.(banner.message, banner.language);
          return undefined;
        };
      }
      case SSH_MSG_USERAUTH_SUCCESS:
        if (payload.length !== 1) throw protocolError("USERAUTH_SUCCESS: trailing data");
        return async () => this.onSuccess();
      case SSH_MSG_USERAUTH_FAILURE: {
        const failure = decodeUserauthFailure(payload);
        return () => this.onFailure(failure.methods, failure.partialSuccess);
      }
      case 60:
        if (this.expect60 === "pk-ok") {
          const pkOk = decodeUserauthPkOk(payload);
          return () => this.onPkOk(pkOk);
        }
        if (this.expect60 === "passwd-changereq") {
          const req = decodeUserauthPasswdChangereq(payload);
          return () => this.onPasswdChangereq(req);
        }
        if (this.expect60 === "info-request") {
          const req = decodeUserauthInfoRequest(payload);
          return () => this.onInfoRequest(req);
        }
        break;
    }
    throw protocolError(AUTH_WORDING.badMessageDuringAuth(type));
  }

  private async onServiceAccept(): Promise<undefined> {
    this.log("DEBUG1", "SSH2_MSG_SERVICE_ACCEPT received");
    this.accepted = true;
    this.current = "none";
    this.request("none");
    return undefined;
  }

  private onSuccess(): ClientAuthResult {
    const method = this.current ?? "none";
    this.log("DEBUG1", AUTH_WORDING.authenticationSucceeded(method));
    this.inbox.hold(() => false);
    const inbox = this.inbox;
    return {
      ok: true,
      method,
      handOver: (onMessage: MessageHandler, onClose?: (error: Error | undefined) => void) => inbox.handOver(onMessage, onClose),
    };
  }

  /** sshconnect2.c input_userauth_failure(). */
  private async onFailure(methods: readonly string[], partial: boolean): Promise<ClientAuthResult | undefined> {
    if (partial) {
      this.log("VERBOSE", AUTH_WORDING.partialSuccess(this.current ?? "none"));
      for (const k of this.keys) k.tried = false; // pubkey_reset()
    }
    this.log("DEBUG1", AUTH_WORDING.authenticationsThatCanContinue(methods));
    this.authlist = methods;
    return this.next();
  }

  /** Tries methods until one sends a request; failure when none is left (sshconnect2.c userauth()). */
  private async next(): Promise<ClientAuthResult | undefined> {
    for (;;) {
      const method = this.methodGet();
      if (method === null) {
        this.inbox.stop();
        return { ok: false, methods: this.authlist.slice() };
      }
      this.expect60 = null; // per-method handlers reset (ssh_dispatch_range)
      if (await this.tryMethod(method)) return undefined;
      this.log("DEBUG2", "we did not send a packet, disable method");
      this.disabled.add(method);
    }
  }

  private enabled(method: string): boolean {
    if (this.disabled.has(method)) return false;
    switch (method) {
      case "publickey":
        return true;
      case "password":
        return this.options.password !== undefined;
      case "keyboard-interactive":
        return this.options.keyboardInteractive !== undefined;
      default:
        return false; // `none` is only sent first; others are not implemented
    }
  }

  /** sshconnect2.c authmethod_get(): a new list starts over at the head of the preferred list. */
  private methodGet(): string | null {
    const list = this.authlist.length === 0 ? this.preferred : this.authlist;
    const key = list.join(",");
    if (this.supported !== key) {
      this.supported = key;
      this.preferredIndex = 0;
      this.current = null;
    } else if (this.current !== null && this.enabled(this.current)) {
      return this.current;
    }
    while (this.preferredIndex < this.preferred.length) {
      const name = this.preferred[this.preferredIndex++]!;
      if (list.includes(name) && this.enabled(name)) {
        this.log("DEBUG1", AUTH_WORDING.nextAuthenticationMethod(name));
        this.current = name;
        return name;
      }
    }
    this.log("DEBUG1", AUTH_WORDING.noMoreAuthenticationMethods);
    this.current = null;
    return null;
  }

  private tryMethod(method: string): Promise<boolean> {
    switch (method) {
      case "publickey":
        return this.tryPublickey();
      case "password":
        return this.tryPassword();
      case "keyboard-interactive":
        return Promise.resolve(this.tryKbdint());
      default:
        return Promise.resolve(false);
    }
  }

  /** Starts a USERAUTH_REQUEST, writes the method's fields and sends it. */
  private request(method: string, fields?: (w: ReturnType<PacketConn["begin"]>) => void): void {
    const w = this.conn.begin(SSH_MSG_USERAUTH_REQUEST);
    writeUserauthHead(w, this.options.user, CONNECTION_SERVICE, method);
    fields?.(w);
    this.conn.commit(w);
  }

  // ---- publickey ----

  /** sshconnect2.c userauth_pubkey(): each key once (in a rotating queue), queried first unless it says otherwise. */
  private async tryPublickey(): Promise<boolean> {
    for (let k = this.keys[0]; k !== undefined; k = this.keys[0]) {
      if (k.tried) return false;
      k.tried = true;
      this.keys.push(this.keys.shift()!);
      const sent = k.signer.queryFirst === false ? await this.signAndSend(k.signer) : this.sendPubkeyTest(k.signer);
      if (sent) return true;
    }
    return false;
  }

  /** The server's server-sig-algs (RFC 8308 §3.1), if it sent one. */
  private serverSigAlgs(keyType: string): readonly string[] | undefined {
    // OpenSSH 7.4 signs with rsa-sha2 but does not say so (compat.c SSH_BUG_SIGTYPE74)
    if (keyType === "ssh-rsa" && /^SSH-2\.0-OpenSSH_7\.4(?![0-9])/.test(this.conn.peerVersion)) {
      return ["rsa-sha2-256", "rsa-sha2-512"];
    }
    const v = this.conn.peerExtensions.get("server-sig-algs");
    return v === undefined ? undefined : ascii.decode(v).split(",");
  }

  private signatureAlgorithm(s: Signer): string | undefined {
    const keyType = blobType(s.publicKeyBlob) ?? s.algorithm;
    return chooseSignatureAlgorithm(
      keyType,
      this.options.pubkeyAcceptedAlgorithms ?? DEFAULT_PUBKEY_ACCEPTED_ALGORITHMS,
      this.serverSigAlgs(keyType),
    );
  }

  /** sshconnect2.c send_pubkey_test(): a query without signature, always as plain `publickey`. */
  private sendPubkeyTest(s: Signer): boolean {
    const alg = this.signatureAlgorithm(s);
    if (alg === undefined) {
      this.log("DEBUG1", AUTH_WORDING.noMutualSignatureAlgorithm);
      return false;
    }
    this.log("DEBUG1", AUTH_WORDING.offeringPublicKey(s.comment ?? s.algorithm));
    this.expect60 = "pk-ok";
    this.request("publickey", (w) => w.bool(false).string(alg).string(s.publicKeyBlob));
    return true;
  }

  /** sshconnect2.c sign_and_send_pubkey(): host-bound when the server's EXT_INFO offers it. */
  private async signAndSend(s: Signer): Promise<boolean> {
    const alg = this.signatureAlgorithm(s);
    if (alg === undefined) {
      this.log("ERROR", "sign_and_send_pubkey: no mutual signature supported");
      return false;
    }
    const hb = this.conn.peerExtensions.get("publickey-hostbound@openssh.com");
    const hostbound = this.options.hostbound !== false && hb !== undefined && ascii.decode(hb) === "0";
    const method = hostbound ? PUBLICKEY_HOSTBOUND_METHOD : "publickey";
    const hostKey = hostbound ? this.conn.serverHostKey : undefined;
    const data = publickeySignedData(
      this.conn.sessionId, this.options.user, CONNECTION_SERVICE, method, alg, s.publicKeyBlob, hostKey,
    );
    let signature: Uint8Array;
    try {
      signature = await s.sign(data, alg);
    } catch (e) {
      this.log("ERROR", AUTH_WORDING.signingFailed(s.comment ?? s.algorithm, (e as Error).message ?? String(e)));
      return false;
    }
    this.request(method, (w) => {
      w.bool(true).string(alg).string(s.publicKeyBlob);
      if (hostKey !== undefined) w.string(hostKey);
      w.string(signature);
    });
    return true;
  }

  /** sshconnect2.c input_userauth_pk_ok(). */
  private async onPkOk(pkOk: UserauthPkOk): Promise<ClientAuthResult | undefined> {
    if (keyTypeOf(pkOk.algorithm) !== blobType(pkOk.keyBlob)) {
      throw protocolError("input_userauth_pk_ok: type mismatch for decoded key");
    }
    let found: Signer | undefined;
    for (let i = this.keys.length - 1; i >= 0 && !found; i--) {
      if (bytesEqual(this.keys[i]!.signer.publicKeyBlob, pkOk.keyBlob)) found = this.keys[i]!.signer;
    }
    if (!found) throw protocolError(AUTH_WORDING.serverRepliedWithUnknownKey);
    this.log("DEBUG1", AUTH_WORDING.serverAcceptsKey(found.comment ?? found.algorithm));
    if (await this.signAndSend(found)) return undefined;
    return this.next();
  }

  // ---- password ----

  /** sshconnect2.c userauth_passwd(). */
  private async tryPassword(): Promise<boolean> {
    if (this.passwordAttempts++ >= this.maxPrompts) return false;
    if (this.passwordAttempts !== 1) this.log("ERROR", AUTH_WORDING.passwordTryAgain);
    const password = await this.options.password!(this.passwordAttempts);
    if (password === null) return false;
    this.expect60 = "passwd-changereq";
    this.request("password", (w) => w.bool(false).string(password));
    return true;
  }

  /** sshconnect2.c input_userauth_passwd_changereq(); giving up moves on to the next method. */
  private async onPasswdChangereq(req: UserauthPasswdChangereq): Promise<ClientAuthResult | undefined> {
    this.log("DEBUG2", "input_userauth_passwd_changereq");
    const answer = this.options.passwordChange ? await this.options.passwordChange(req.prompt, req.language) : null;
    if (answer === null) {
      this.disabled.add("password");
      return this.next();
    }
    this.request("password", (w) => w.bool(true).string(answer.oldPassword).string(answer.newPassword));
    return undefined;
  }

  // ---- keyboard-interactive ----

  /** sshconnect2.c userauth_kbdint(). */
  private tryKbdint(): boolean {
    if (this.kbdintAttempts++ >= this.maxPrompts) return false;
    if (this.kbdintAttempts > 1 && !this.infoRequestSeen) {
      this.log("DEBUG3", "userauth_kbdint: disable: no info_req_seen");
      return false;
    }
    this.expect60 = "info-request";
    this.request("keyboard-interactive", (w) => w.string("").string(this.options.kbdInteractiveDevices ?? ""));
    return true;
  }

  /** sshconnect2.c input_userauth_info_req(); a null answer abandons the dialog for the next method. */
  private async onInfoRequest(req: UserauthInfoRequest): Promise<ClientAuthResult | undefined> {
    this.infoRequestSeen = true;
    const answers = await this.options.keyboardInteractive!({
      name: req.name,
      instruction: req.instruction,
      prompts: req.prompts,
    });
    if (answers === null) {
      this.disabled.add("keyboard-interactive");
      return this.next();
    }
    if (answers.length !== req.prompts.length) {
      throw new Error(`keyboard-interactive: ${answers.length} answers for ${req.prompts.length} prompts`);
    }
    const w = this.conn.begin(SSH_MSG_USERAUTH_INFO_RESPONSE);
    w.u32(answers.length);
    for (const a of answers) w.string(a);
    this.conn.commit(w);
    return undefined;
  }
}
