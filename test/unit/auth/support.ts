// Test helpers for the auth layer: ed25519 and RSA signers/verifiers on node:crypto (SSH blobs built by hand), a
// scriptable server policy that records its calls, and raw message helpers for driving one side by hand.
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import type {
  AuthUser, KbdIntDialog, KbdIntStep, PasswordVerdict, PublicKeyCheck, ServerAuthPolicy, SignatureCheck, Signer,
  UserAuthSetup,
} from "../../../core/auth/index.ts";
import { Reader, Writer } from "../../../core/wire/index.ts";
import type { FakeConn } from "../../helpers/fake-conn.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function sshString(...parts: (string | Uint8Array)[]): Uint8Array {
  const w = new Writer(null, 64);
  for (const p of parts) w.string(p);
  return w.toBytes();
}

/** An in-memory user key with its SSH public blob. */
export interface TestKey {
  readonly blob: Uint8Array;
  readonly signer: Signer;
}

/** A fresh ed25519 key; `signWith` makes it sign with another private key (a wrong signature). */
export function ed25519Key(opts: { queryFirst?: boolean; signWith?: KeyObject; comment?: string } = {}): TestKey & { privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const x = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  const blob = sshString("ssh-ed25519", x);
  const signer: Signer = {
    algorithm: "ssh-ed25519",
    publicKeyBlob: blob,
    queryFirst: opts.queryFirst,
    comment: opts.comment,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      return sshString("ssh-ed25519", sign(null, data, opts.signWith ?? privateKey));
    },
  };
  return { blob, signer, privateKey };
}

/** A fresh 1024-bit RSA key (small for speed) signing with whatever rsa-sha2 algorithm it is asked for. */
export function rsaKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const jwk = publicKey.export({ format: "jwk" });
  const w = new Writer(null, 300);
  w.string("ssh-rsa").mpintUnsigned(Buffer.from(jwk.e!, "base64url")).mpintUnsigned(Buffer.from(jwk.n!, "base64url"));
  const blob = w.toBytes();
  const signer: Signer = {
    algorithm: "ssh-rsa",
    publicKeyBlob: blob,
    async sign(data: Uint8Array, alg: string): Promise<Uint8Array> {
      const hash = alg === "rsa-sha2-512" ? "sha512" : alg === "rsa-sha2-256" ? "sha256" : "sha1";
      return sshString(alg, sign(hash, data, privateKey));
    },
  };
  return { blob, signer };
}

/** Verifies ssh-ed25519 and ssh-rsa (rsa-sha2-256/512) signature blobs. */
export function verifySshSignature(c: SignatureCheck): boolean {
  try {
    const key = new Reader(c.keyBlob);
    const type = key.string();
    const sig = new Reader(c.signature);
    const sigType = sig.string();
    const sigBytes = sig.stringView();
    sig.expectEnd("signature");
    if (sigType !== c.algorithm && !(type === "ssh-rsa" && sigType === c.algorithm)) return false;
    if (type === "ssh-ed25519") {
      const pk = key.stringView();
      const k = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(pk).toString("base64url") }, format: "jwk" });
      return verify(null, c.data, k, sigBytes);
    }
    if (type === "ssh-rsa") {
      const e = key.mpintView();
      const n = key.mpintView();
      const strip = (b: Uint8Array) => Buffer.from(b[0] === 0 ? b.subarray(1) : b).toString("base64url");
      const k = createPublicKey({ key: { kty: "RSA", e: strip(e), n: strip(n) }, format: "jwk" });
      const hash = sigType === "rsa-sha2-512" ? "sha512" : sigType === "rsa-sha2-256" ? "sha256" : null;
      return hash !== null && verify(hash, c.data, k, sigBytes);
    }
    return false;
  } catch {
    return false;
  }
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** One scripted keyboard-interactive round: the prompts, and the answers that pass it. */
export interface KbdRound {
  name?: string;
  instruction?: string;
  prompts: { prompt: string; echo: boolean; answer: string }[];
}

export interface TestUser {
  password?: string;
  keys?: Uint8Array[];
  /** The password is expired: checkPassword answers change-required, changePassword accepts `newPassword`. */
  expired?: { prompt: string; newPassword: string };
  kbd?: KbdRound[];
  none?: boolean;
}

/** A call the policy saw, with start/end order numbers. */
export interface PolicyCall {
  what: string;
  detail: string;
  start: number;
  end: number;
}

/** A ServerAuthPolicy over a table of users; `delayMs(call#, what)` makes calls slow; every call is recorded. */
export function testPolicy(opts: {
  users: Record<string, TestUser>;
  methods?: string[];
  authenticationMethods?: string[];
  maxAuthTries?: number;
  banner?: string;
  delayMs?: (n: number, what: string) => number;
}): ServerAuthPolicy & { calls: PolicyCall[]; aborted: number; signedData: Uint8Array[] } {
  let clock = 0;
  let n = 0;
  const calls: PolicyCall[] = [];
  const signedData: Uint8Array[] = [];
  const track = async <T>(what: string, detail: string, f: () => T): Promise<T> => {
    const call = { what, detail, start: clock++, end: -1 };
    calls.push(call);
    const ms = opts.delayMs?.(n++, what) ?? 0;
    if (ms > 0) await Bun.sleep(ms);
    else await Promise.resolve();
    const r = f();
    call.end = clock++;
    return r;
  };
  const policy = {
    calls,
    aborted: 0,
    signedData,
    startUser(user: string, _style: string | undefined, _service: string): Promise<UserAuthSetup> {
      return track("startUser", user, () => ({
        valid: user in opts.users,
        methods: opts.methods ?? ["publickey", "password", "keyboard-interactive"],
        authenticationMethods: opts.authenticationMethods,
        maxAuthTries: opts.maxAuthTries,
        banner: opts.banner,
      }));
    },
    checkNone(who: AuthUser): Promise<boolean> {
      return track("checkNone", who.user, () => opts.users[who.user]?.none === true);
    },
    checkPublicKey(c: PublicKeyCheck) {
      return track("checkPublicKey", `${c.algorithm} sig=${c.withSignature}`, () => ({
        allowed: (opts.users[c.user]?.keys ?? []).some((k) => hex(k) === hex(c.keyBlob)),
        description: `${c.algorithm} test-key`,
      }));
    },
    verifySignature(c: SignatureCheck) {
      signedData.push(c.data.slice());
      return track("verifySignature", c.algorithm, () => verifySshSignature(c));
    },
    checkPassword(who: AuthUser, password: Uint8Array): Promise<PasswordVerdict> {
      const pw = dec.decode(password);
      return track("checkPassword", pw, (): PasswordVerdict => {
        const u = opts.users[who.user];
        if (u?.password !== pw) return { result: "failure" };
        if (u.expired) return { result: "change-required", prompt: u.expired.prompt };
        return { result: "success" };
      });
    },
    changePassword(who: AuthUser, oldPassword: Uint8Array, newPassword: Uint8Array): Promise<PasswordVerdict> {
      const o = dec.decode(oldPassword);
      const nw = dec.decode(newPassword);
      return track("changePassword", `${o}->${nw}`, (): PasswordVerdict => {
        const u = opts.users[who.user];
        if (u?.password !== o || !u.expired) return { result: "failure" };
        if (u.expired.newPassword !== nw) return { result: "change-required", prompt: "weak password, try again" };
        return { result: "success" };
      });
    },
    startKeyboardInteractive(who: AuthUser, submethods: string): Promise<KbdIntDialog | null> {
      return track("startKeyboardInteractive", submethods, () => {
        const rounds = opts.users[who.user]?.kbd ?? [{ prompts: [{ prompt: "Password: ", echo: false, answer: "\u0000never" }] }];
        let i = 0;
        const dialog: KbdIntDialog = {
          submethod: "pam",
          async step(responses): Promise<KbdIntStep> {
            if (responses !== null) {
              const round = rounds[i - 1]!;
              const ok = round.prompts.every((p, j) => dec.decode(responses[j]!) === p.answer);
              if (!ok) return { kind: "failure" };
            }
            const round = rounds[i++];
            if (round === undefined) return { kind: "success" };
            return {
              kind: "prompt",
              name: round.name ?? "",
              instruction: round.instruction ?? "",
              prompts: round.prompts.map((p) => ({ prompt: p.prompt, echo: p.echo })),
            };
          },
          abort() {
            policy.aborted++;
          },
        };
        return dialog;
      });
    },
  };
  return policy;
}

/** Polls (macrotask by macrotask) until `pred` holds; fails after `limit` turns. */
export async function until(pred: () => boolean, limit = 2000): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error("until: condition never held");
}

/** Sends a raw message on a fake conn: `build` writes the fields after the message number. */
export function sendRaw(conn: FakeConn, msg: number, build: (w: Writer) => void = () => {}): void {
  const w = conn.begin(msg);
  build(w);
  conn.commit(w);
}

/** Message numbers of what a fake conn sent. */
export function sentTypes(conn: FakeConn): number[] {
  return conn.sent.map((m) => m[0]!);
}

/** Decodes a USERAUTH_FAILURE payload copy. */
export function failureOf(m: Uint8Array): { methods: string; partial: boolean } {
  const r = new Reader(m, 1);
  return { methods: r.string(), partial: r.bool() };
}

/** A USERAUTH_REQUEST head for a raw client. */
export function head(w: Writer, user: string, method: string, service = "ssh-connection"): Writer {
  return w.string(user).string(service).string(method);
}

export { enc, dec, sshString };
