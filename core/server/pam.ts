// UsePAM (OpenSSH's auth-pam.c): libpam through bun:ffi. One Worker per connection owns the PAM handle, so
// pam_authenticate (pam_unix's ~2 s failure delay, bun-platform.md §3) never stalls the event loop; the conversation
// callback posts each prompt to this thread and blocks on a SharedArrayBuffer until the answer arrives.
// keyboard-interactive runs PAM's conversation (sshpam_query/sshpam_respond), password auth answers it with the
// password (sshpam_auth_passwd); pam_acct_mgmt follows a successful authentication (do_pam_account).
import { CString, dlopen, JSCallback, ptr, read, type Pointer } from "bun:ffi";
import type { AuthUser, KbdIntDialog, KbdIntStep } from "../auth/index.ts";
import type { Logger } from "../log.ts";

/** The library and service OpenSSH uses (SSHD_PAM_SERVICE). */
export const PAM_LIBRARY = "libpam.so.0";
export const PAM_SERVICE = "sshd";

/** security/_pam_types.h return codes we act on. */
export const PAM_SUCCESS = 0;
export const PAM_NEW_AUTHTOK_REQD = 12;
/** pam_authenticate flag: an empty password fails (PermitEmptyPasswords no). */
export const PAM_DISALLOW_NULL_AUTHTOK = 0x1;

/** A PAM call's return code and pam_strerror text (rc -1: the worker or the library failed; text says why). */
export interface PamResult {
  readonly rc: number;
  readonly text: string;
}

/** Why libpam cannot be used here (dlopen's message), or null when it loads. Checked once per library name. */
export function pamUnavailable(library: string = PAM_LIBRARY): string | null {
  let why = unavailable.get(library);
  if (why === undefined) {
    try {
      dlopen(library, { pam_start: { args: ["cstring", "cstring", "ptr", "ptr"], returns: "i32" } }).close();
      why = null;
    } catch (e) {
      why = (e as Error).message;
    }
    unavailable.set(library, why);
  }
  return why;
}
const unavailable = new Map<string, string | null>();

// The worker: runs every PAM call on its own thread, in order. Messages in: start, auth, acct, end.
// Control words in the SharedArrayBuffer: [0] answer state (0 waiting, 1 answered, 2 aborted), [1] answer length,
// [2] the newest aborted conversation generation; the answer bytes follow at byte 16.
const WORKER_SOURCE = `
import { dlopen, JSCallback, CString, read, toArrayBuffer, ptr } from "bun:ffi";
let pam = null, libc = null, handle = 0, conv = null, convStruct = null, ctl = null, data = null;
let mode = null; // { kind: "password", bytes } | { kind: "interactive", gen }
let closing = false;
const enc = new TextEncoder();
const cstr = (s) => enc.encode(s + "\\0");
function setResp(respArray, i, bytes) {
  const p = libc.calloc(bytes.length + 1, 1);
  if (!p) return false;
  new Uint8Array(toArrayBuffer(p, 0, bytes.length + 1)).set(bytes);
  new BigUint64Array(toArrayBuffer(respArray, i * 16, 8))[0] = BigInt(p);
  return true;
}
function freeResp(respArray, n) {
  for (let i = 0; i < n; i++) {
    const p = read.ptr(respArray, i * 16);
    if (p) libc.free(p);
  }
  libc.free(respArray);
}
function aborted() { return mode && mode.kind === "interactive" && Atomics.load(ctl, 2) >= mode.gen; }
function converse(num, msgpp, respp) {
  if (num <= 0 || num > 32) return 19; // PAM_CONV_ERR
  const resp = libc.calloc(num, 16);
  if (!resp) return 5; // PAM_BUF_ERR
  for (let i = 0; i < num; i++) {
    const m = read.ptr(msgpp, i * 8);
    const style = read.i32(m, 0);
    const mp = read.ptr(m, 8);
    const text = mp ? new CString(mp).toString() : "";
    if (style === 1 || style === 2) { // PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_ON
      if (mode.kind === "password") {
        if (style !== 1 || !setResp(resp, i, mode.bytes)) { freeResp(resp, num); return 19; }
        continue;
      }
      if (aborted()) { freeResp(resp, num); return 19; }
      Atomics.store(ctl, 0, 0);
      postMessage({ kind: "prompt", echo: style === 2, text });
      Atomics.wait(ctl, 0, 0);
      if (Atomics.load(ctl, 0) !== 1 || aborted()) { freeResp(resp, num); return 19; }
      const n = Atomics.load(ctl, 1);
      const answer = data.slice(0, n);
      data.fill(0, 0, n);
      const ok = setResp(resp, i, answer);
      answer.fill(0);
      if (!ok) { freeResp(resp, num); return 5; }
    } else if (style === 3 || style === 4) { // PAM_ERROR_MSG, PAM_TEXT_INFO
      if (mode.kind === "interactive") postMessage({ kind: "info", style, text });
      else postMessage({ kind: "loginmsg", text });
      setResp(resp, i, new Uint8Array(0));
    } else {
      freeResp(resp, num);
      return 19;
    }
  }
  new BigUint64Array(toArrayBuffer(respp, 0, 8))[0] = BigInt(resp);
  return 0;
}
const strerror = (rc) => { try { return pam.pam_strerror(handle, rc) ?? String(rc); } catch { return String(rc); } };
function pamUser() {
  const out = new BigUint64Array(1);
  if (pam.pam_get_item(handle, 2, ptr(out)) !== 0 || out[0] === 0n) return null;
  return new CString(Number(out[0])).toString();
}
self.onmessage = (e) => {
  const m = e.data;
  const done = (rc, text) => postMessage({ kind: "done", op: m.op, rc, text: text ?? strerror(rc) });
  try {
    if (m.op === "start") {
      ctl = new Int32Array(m.control, 0, 4);
      data = new Uint8Array(m.control, 16);
      try {
        pam = dlopen(m.library, {
          pam_start: { args: ["cstring", "cstring", "ptr", "ptr"], returns: "i32" },
          pam_end: { args: ["ptr", "i32"], returns: "i32" },
          pam_authenticate: { args: ["ptr", "i32"], returns: "i32" },
          pam_acct_mgmt: { args: ["ptr", "i32"], returns: "i32" },
          pam_set_item: { args: ["ptr", "i32", "ptr"], returns: "i32" },
          pam_get_item: { args: ["ptr", "i32", "ptr"], returns: "i32" },
          pam_strerror: { args: ["ptr", "i32"], returns: "cstring" },
        }).symbols;
        libc = dlopen("libc.so.6", { calloc: { args: ["usize", "usize"], returns: "ptr" }, free: { args: ["ptr"], returns: "void" } }).symbols;
      } catch (err) { done(-1, err.message); return; }
      conv = new JSCallback((num, msgpp, respp) => converse(num, msgpp, respp), { args: ["i32", "ptr", "ptr", "ptr"], returns: "i32" });
      convStruct = new BigUint64Array([BigInt(conv.ptr), 0n]);
      const out = new BigUint64Array(1);
      const service = cstr(m.service), user = cstr(m.user);
      let rc = pam.pam_start(ptr(service), ptr(user), ptr(convStruct), ptr(out));
      handle = Number(out[0]);
      if (rc !== 0) { done(rc); return; }
      const rhost = cstr(m.rhost), tty = cstr("ssh");
      rc = pam.pam_set_item(handle, 4, ptr(rhost)); // PAM_RHOST
      if (rc === 0) rc = pam.pam_set_item(handle, 3, ptr(tty)); // PAM_TTY
      done(rc);
    } else if (m.op === "auth") {
      mode = m.password ? { kind: "password", bytes: new Uint8Array(m.password) } : { kind: "interactive", gen: m.gen };
      let rc = pam.pam_authenticate(handle, m.flags);
      if (mode.kind === "password") mode.bytes.fill(0);
      mode = null;
      // check_pam_user: a module must not change the user
      if (rc === 0 && pamUser() !== m.user) rc = 10; // PAM_USER_UNKNOWN
      done(rc);
    } else if (m.op === "acct") {
      done(pam.pam_acct_mgmt(handle, 0));
    } else if (m.op === "end") {
      if (handle) pam.pam_end(handle, m.status ?? 0);
      handle = 0;
      conv?.close();
      done(0);
      closing = true;
    }
  } catch (err) {
    done(-1, String(err && err.message || err));
  }
  // outside the try: close() ends the thread by throwing, which a catch would swallow (and the thread would stay)
  if (closing) self.close();
};
`;

/** Bytes of one answer the conversation passes on (auth2-chall.c bounds a response by the packet anyway). */
const MAX_ANSWER_BYTES = 8192;

/** What the conversation reports while an interactive authentication runs. */
export type PamConversationEvent = { readonly kind: "prompt"; readonly echo: boolean; readonly text: string } | { readonly kind: "info"; readonly text: string };

/** One PAM handle for one connection (auth-pam.c start_pam .. sshpam_cleanup), in its own Worker. */
export class PamContext {
  /** Resolves once pam_start (and PAM_RHOST, PAM_TTY) are done. */
  readonly started: Promise<PamResult>;
  /** PAM_TEXT_INFO / PAM_ERROR_MSG text of non-interactive conversations (OpenSSH's loginmsg). */
  readonly loginMessages: string[] = [];
  private readonly worker: Worker;
  private readonly control = new SharedArrayBuffer(16 + MAX_ANSWER_BYTES);
  private readonly ctl = new Int32Array(this.control, 0, 4);
  private readonly pending: ((r: PamResult) => void)[] = [];
  private listener: ((e: PamConversationEvent) => void) | null = null;
  private generation = 0;
  private accountStatus: Promise<PamResult> | null = null;
  private ended = false;

  constructor(readonly user: string, readonly rhost: string, service: string = PAM_SERVICE, library: string = PAM_LIBRARY) {
    this.worker = new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" })));
    this.worker.onmessage = (e: MessageEvent<{ kind: string; rc?: number; text?: string; echo?: boolean }>) => {
      const m = e.data;
      if (m.kind === "done") this.pending.shift()?.({ rc: m.rc ?? -1, text: m.text ?? "" });
      else if (m.kind === "loginmsg") this.loginMessages.push(m.text ?? "");
      else if (m.kind === "prompt") this.listener?.({ kind: "prompt", echo: m.echo === true, text: m.text ?? "" });
      else if (m.kind === "info") this.listener?.({ kind: "info", text: m.text ?? "" });
    };
    this.worker.onerror = (e) => {
      for (const p of this.pending.splice(0)) p({ rc: -1, text: e.message });
    };
    this.worker.unref();
    this.started = this.call({ op: "start", service, user, rhost, library, control: this.control });
  }

  private call(message: Record<string, unknown>): Promise<PamResult> {
    if (this.ended) return Promise.resolve({ rc: -1, text: "PAM handle already ended" });
    return new Promise((resolve) => {
      this.pending.push(resolve);
      this.worker.postMessage(message);
    });
  }

  /** sshpam_auth_passwd: pam_authenticate with a conversation that answers PAM_PROMPT_ECHO_OFF with `password`. */
  async authenticatePassword(password: Uint8Array, flags: number): Promise<PamResult> {
    const s = await this.started;
    if (s.rc !== PAM_SUCCESS) return s;
    return this.call({ op: "auth", user: this.user, flags, password: Array.from(password) });
  }

  /**
   * sshpam_thread: pam_authenticate with the conversation reported to `listener` (answer prompts with answer()),
   * then pam_acct_mgmt as do_pam_account.
   */
  async authenticateInteractive(flags: number, listener: (e: PamConversationEvent) => void): Promise<PamResult> {
    const s = await this.started;
    if (s.rc !== PAM_SUCCESS) return s;
    this.listener = listener;
    const gen = ++this.generation;
    try {
      const r = await this.call({ op: "auth", user: this.user, flags, gen });
      if (r.rc !== PAM_SUCCESS) return r;
      return await this.account();
    } finally {
      if (this.listener === listener) this.listener = null;
    }
  }

  /** Answers the prompt the conversation is waiting on (the bytes are copied, then the caller may wipe them). */
  answer(bytes: Uint8Array): void {
    const n = Math.min(bytes.length, MAX_ANSWER_BYTES);
    new Uint8Array(this.control, 16, n).set(bytes.subarray(0, n));
    Atomics.store(this.ctl, 1, n);
    Atomics.store(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
  }

  /** Fails the running interactive conversation (a new request or the connection's end): its callback returns PAM_CONV_ERR. */
  abortConversation(): void {
    Atomics.store(this.ctl, 2, this.generation);
    Atomics.store(this.ctl, 0, 2);
    Atomics.notify(this.ctl, 0);
  }

  /** do_pam_account: pam_acct_mgmt once per connection (PAM_NEW_AUTHTOK_REQD counts as success, as OpenSSH). */
  account(): Promise<PamResult> {
    this.accountStatus ??= this.started.then((s) => (s.rc !== PAM_SUCCESS ? s : this.call({ op: "acct" })));
    return this.accountStatus;
  }

  /** sshpam_cleanup: pam_end, then the worker exits. Safe to call more than once. */
  end(): void {
    if (this.ended) return;
    this.abortConversation();
    void this.call({ op: "end", status: PAM_SUCCESS });
    this.ended = true;
  }
}

/** auth-pam.c fake_password: junk of the same length for an invalid user or a refused root, so timing tells nothing. */
export function fakePassword(length: number): Uint8Array {
  const junk = new TextEncoder().encode("\b\n\r\x7fINCORRECT");
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = junk[i % junk.length]!;
  return out;
}

/**
 * The `pam` keyboard-interactive device (auth-pam.c sshpam_device): each PAM prompt is one INFO_REQUEST, PAM's text
 * messages are the instruction of a round without prompts, and success costs one more empty round, as in OpenSSH.
 * `usePassword` false (invalid user, root refused) sends junk of the same length instead of the answers.
 */
export function pamKbdIntDialog(pam: PamContext, who: AuthUser, opts: { readonly usePassword: boolean; readonly permitEmptyPasswords: boolean; readonly log: Logger }): KbdIntDialog {
  const events: (PamConversationEvent | { kind: "done"; result: PamResult })[] = [];
  let wake: (() => void) | null = null;
  let authenticated = false;
  let awaitingAnswer = false;
  const push = (e: (typeof events)[number]) => {
    events.push(e);
    wake?.();
  };
  let running: Promise<void> | null = null;
  const next = async (): Promise<(typeof events)[number]> => {
    while (events.length === 0) await new Promise<void>((r) => (wake = r));
    wake = null;
    return events.shift()!;
  };
  return {
    submethod: "pam",
    async step(answers: readonly Uint8Array[] | null): Promise<KbdIntStep> {
      if (authenticated) return { kind: "success" }; // sshpam_respond: SshPamAuthenticated
      if (running === null) {
        const flags = opts.permitEmptyPasswords ? 0 : PAM_DISALLOW_NULL_AUTHTOK;
        running = pam.authenticateInteractive(flags, push).then((result) => push({ kind: "done", result }));
      }
      if (answers !== null && awaitingAnswer) {
        if (answers.length !== 1) {
          opts.log.error(`PAM: expected one response, got ${answers.length}`);
          pam.abortConversation();
          return { kind: "failure" };
        }
        awaitingAnswer = false;
        pam.answer(opts.usePassword ? answers[0]! : fakePassword(answers[0]!.length));
      }
      const e = await next();
      switch (e.kind) {
        case "prompt":
          awaitingAnswer = true;
          return { kind: "prompt", name: "", instruction: "", prompts: [{ prompt: e.text, echo: e.echo }] };
        case "info":
          return { kind: "prompt", name: "", instruction: e.text, prompts: [] };
        default:
          if (e.result.rc === PAM_SUCCESS && who.valid && opts.usePassword) {
            authenticated = true;
            return { kind: "prompt", name: "", instruction: "", prompts: [] };
          }
          if (e.result.rc === PAM_SUCCESS) {
            // sshpam_query's fatal(); here the connection only fails this method
            opts.log.error("Internal error: PAM auth succeeded when it should have failed");
            return { kind: "failure" };
          }
          opts.log.error(`PAM: ${e.result.text} for ${who.valid ? "" : "illegal user "}${who.user} from ${pam.rhost}`);
          return { kind: "failure" };
      }
    },
    abort() {
      if (!authenticated) pam.abortConversation();
    },
  };
}

/** What pamOpenSession did: the PAM environment to add to the session's, and the errors to log. */
export interface PamSessionResult {
  readonly env: Record<string, string>;
  readonly errors: string[];
}

/**
 * auth-pam.c do_pam_setcred + do_pam_session + do_pam_putenv, in the session child as root before it drops to the user
 * and execs the shell, so what modules do to the process (pam_limits' rlimits, pam_loginuid, pam_systemd's session
 * scope) lands on the session and never on the sshd that serves other connections. Synchronous: that child has
 * nothing else to do. The conversation answers no prompts (sshd's store_conv) and keeps PAM's text for the log.
 */
export function pamOpenSession(opts: { readonly user: string; readonly rhost: string; readonly service?: string; readonly library?: string }): PamSessionResult {
  const errors: string[] = [];
  const env: Record<string, string> = {};
  let pam;
  try {
    pam = dlopen(opts.library ?? PAM_LIBRARY, {
      pam_start: { args: ["ptr", "ptr", "ptr", "ptr"], returns: "i32" },
      pam_set_item: { args: ["ptr", "i32", "ptr"], returns: "i32" },
      pam_setcred: { args: ["ptr", "i32"], returns: "i32" },
      pam_open_session: { args: ["ptr", "i32"], returns: "i32" },
      pam_getenvlist: { args: ["ptr"], returns: "ptr" },
      pam_strerror: { args: ["ptr", "i32"], returns: "cstring" },
    }).symbols;
  } catch (e) {
    errors.push(`PAM: initialisation failed: ${(e as Error).message}`);
    return { env, errors };
  }
  const conv = new JSCallback(() => 19 /* PAM_CONV_ERR: no one to answer */, { args: ["i32", "ptr", "ptr", "ptr"], returns: "i32" });
  const convStruct = new BigUint64Array([BigInt(conv.ptr!), 0n]);
  const out = new BigUint64Array(1);
  const z = (s: string) => new TextEncoder().encode(s + "\0");
  const service = z(opts.service ?? PAM_SERVICE), user = z(opts.user), rhost = z(opts.rhost), tty = z("ssh");
  const rc = pam.pam_start(ptr(service), ptr(user), ptr(convStruct), ptr(out));
  const h = Number(out[0]) as Pointer;
  if (rc !== PAM_SUCCESS) {
    errors.push("PAM: initialisation failed");
    return { env, errors };
  }
  pam.pam_set_item(h, 4 /* PAM_RHOST */, ptr(rhost));
  pam.pam_set_item(h, 3 /* PAM_TTY */, ptr(tty));
  const text = (r: number) => pam.pam_strerror(h, r)?.toString() ?? String(r);
  const cred = pam.pam_setcred(h, 0x2 /* PAM_ESTABLISH_CRED */);
  if (cred !== PAM_SUCCESS) errors.push(`PAM: pam_setcred(): ${text(cred)}`);
  const open = pam.pam_open_session(h, 0);
  if (open !== PAM_SUCCESS) errors.push(`PAM: pam_open_session(): ${text(open)}`);
  const list = pam.pam_getenvlist(h);
  for (let i = 0; list && i < 1024; i++) {
    const p = read.ptr(list, i * 8);
    if (!p) break;
    const entry = new CString(p as Pointer).toString();
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  // The handle stays open through execve, as the session's; pam_close_session is left to the session's end (see README).
  return { env, errors };
}
