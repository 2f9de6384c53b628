// authorized_keys files (sshd(8) "AUTHORIZED_KEYS FILE FORMAT"; auth2-pubkeyfile.c, auth-options.c): `[options] keytype
// base64 [comment]`, options comma-separated, values in double quotes with \" escapes, keywords case-insensitive.
import { KeyFormatError } from "./errors.ts";
import { parsePublicKeyLine } from "./public-key.ts";

/** One option as written: name in lower case, value without quotes (escapes resolved), undefined for flags. */
export interface AuthorizedKeyOption {
  readonly name: string;
  readonly value: string | undefined;
}

/** The restrictions an authorized_keys line imposes (auth-options.c struct sshauthopt, the parts a line can set). */
export interface AuthorizedKeyRestrictions {
  readonly permitPortForwarding: boolean;
  readonly permitAgentForwarding: boolean;
  readonly permitX11Forwarding: boolean;
  readonly permitPty: boolean;
  readonly permitUserRc: boolean;
  readonly certAuthority: boolean;
  readonly noTouchRequired: boolean;
  readonly verifyRequired: boolean;
  readonly command: string | undefined;
  readonly from: string | undefined;
  readonly principals: string | undefined;
  readonly expiryTime: string | undefined;
  readonly tunnel: number | undefined;
  readonly environment: readonly string[];
  readonly permitOpen: readonly string[];
  readonly permitListen: readonly string[];
}

/** One key line. */
export interface AuthorizedKey {
  readonly line: number;
  readonly options: readonly AuthorizedKeyOption[];
  readonly restrictions: AuthorizedKeyRestrictions;
  readonly keyType: string;
  readonly blob: Uint8Array;
  readonly comment: string;
}

/** A line that could not be used, with the reason (sshd logs these and goes on). */
export interface AuthorizedKeySkipped {
  readonly line: number;
  readonly reason: string;
}

const FLAGS = new Set([
  "restrict", "cert-authority", "no-port-forwarding", "port-forwarding", "no-agent-forwarding", "agent-forwarding",
  "no-x11-forwarding", "x11-forwarding", "no-pty", "pty", "no-user-rc", "user-rc", "no-touch-required", "verify-required",
  "touch-required",
]);
const VALUED = new Set(["command", "principals", "from", "expiry-time", "environment", "permitopen", "permitlisten", "tunnel"]);

/**
 * Reads the options at the start of `s` (auth-options.c sshauthopt_parse) up to the first unquoted space or tab; returns
 * them and the rest. Throws KeyFormatError for unknown options, unterminated quotes and values on flags.
 */
export function parseAuthorizedKeyOptions(s: string): { options: AuthorizedKeyOption[]; rest: string } {
  const options: AuthorizedKeyOption[] = [];
  let i = 0;
  for (;;) {
    const m = /^[A-Za-z0-9-]+/.exec(s.slice(i));
    if (m === null) throw new KeyFormatError("invalid-format", "bad key options");
    const name = m[0].toLowerCase();
    i += m[0].length;
    let value: string | undefined;
    if (s[i] === "=") {
      if (s[i + 1] !== '"') throw new KeyFormatError("invalid-format", `missing start quote for ${name}`);
      i += 2;
      value = "";
      for (;;) {
        if (i >= s.length) throw new KeyFormatError("invalid-format", `missing end quote for ${name}`);
        if (s[i] === "\\" && s[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (s[i] === '"') {
          i++;
          break;
        } else {
          value += s[i++];
        }
      }
      if (!VALUED.has(name)) throw new KeyFormatError("invalid-format", `bad key option ${name}`);
    } else if (!FLAGS.has(name)) {
      throw new KeyFormatError("invalid-format", `bad key option ${name}`);
    }
    options.push({ name, value });
    if (s[i] === ",") {
      i++;
      continue;
    }
    if (i >= s.length || s[i] === " " || s[i] === "\t") return { options, rest: s.slice(i) };
    throw new KeyFormatError("invalid-format", "bad key options");
  }
}

/** Folds options into restrictions in order (`restrict` first clears, later flags re-enable). */
export function restrictionsOf(options: readonly AuthorizedKeyOption[]): AuthorizedKeyRestrictions {
  const r = {
    permitPortForwarding: true, permitAgentForwarding: true, permitX11Forwarding: true, permitPty: true, permitUserRc: true,
    certAuthority: false, noTouchRequired: false, verifyRequired: false, command: undefined as string | undefined,
    from: undefined as string | undefined, principals: undefined as string | undefined, expiryTime: undefined as string | undefined,
    tunnel: undefined as number | undefined, environment: [] as string[], permitOpen: [] as string[], permitListen: [] as string[],
  };
  for (const o of options) {
    switch (o.name) {
      case "restrict":
        r.permitPortForwarding = r.permitAgentForwarding = r.permitX11Forwarding = r.permitPty = r.permitUserRc = false;
        break;
      case "cert-authority": r.certAuthority = true; break;
      case "no-port-forwarding": r.permitPortForwarding = false; break;
      case "port-forwarding": r.permitPortForwarding = true; break;
      case "no-agent-forwarding": r.permitAgentForwarding = false; break;
      case "agent-forwarding": r.permitAgentForwarding = true; break;
      case "no-x11-forwarding": r.permitX11Forwarding = false; break;
      case "x11-forwarding": r.permitX11Forwarding = true; break;
      case "no-pty": r.permitPty = false; break;
      case "pty": r.permitPty = true; break;
      case "no-user-rc": r.permitUserRc = false; break;
      case "user-rc": r.permitUserRc = true; break;
      case "no-touch-required": r.noTouchRequired = true; break;
      case "verify-required": r.verifyRequired = true; break;
      case "command": r.command = o.value; break;
      case "from": r.from = o.value; break;
      case "principals": r.principals = o.value; break;
      case "expiry-time": r.expiryTime = o.value; break;
      case "tunnel": {
        const n = Number(o.value);
        if (!/^\d+$/.test(o.value ?? "") || n > 0x7fffffff) throw new KeyFormatError("invalid-format", "invalid tun device");
        r.tunnel = n;
        break;
      }
      case "environment":
        if (!/^[A-Za-z0-9_]+=/.test(o.value ?? "")) throw new KeyFormatError("invalid-format", "invalid environment string");
        r.environment.push(o.value!);
        break;
      case "permitopen": r.permitOpen.push(o.value!); break;
      case "permitlisten": r.permitListen.push(o.value!); break;
    }
  }
  return r;
}

/**
 * Parses one authorized_keys line (without newline): the key alone, or options then the key, as
 * auth2-pubkeyfile.c check_authkey_line. Throws KeyFormatError.
 */
export function parseAuthorizedKeyLine(text: string, line = 1): AuthorizedKey {
  const s = text.replace(/^[ \t]+/, "").replace(/[\r\n]+$/, "");
  let options: AuthorizedKeyOption[] = [];
  let k;
  try {
    k = parsePublicKeyLine(s);
  } catch {
    const parsed = parseAuthorizedKeyOptions(s);
    options = parsed.options;
    k = parsePublicKeyLine(parsed.rest);
  }
  return { line, options, restrictions: restrictionsOf(options), keyType: k.type, blob: k.blob, comment: k.comment };
}

/** Parses an authorized_keys file: blank and `#` lines ignored, bad lines reported in `skipped`. */
export function parseAuthorizedKeys(text: string): { keys: AuthorizedKey[]; skipped: AuthorizedKeySkipped[] } {
  const keys: AuthorizedKey[] = [];
  const skipped: AuthorizedKeySkipped[] = [];
  text.split("\n").forEach((raw, i) => {
    const s = raw.replace(/^[ \t]+/, "").replace(/\r$/, "");
    if (s === "" || s.startsWith("#")) return;
    try {
      keys.push(parseAuthorizedKeyLine(s, i + 1));
    } catch (e) {
      skipped.push({ line: i + 1, reason: e instanceof KeyFormatError ? `${e.message}${e.detail ? `: ${e.detail}` : ""}` : "invalid line" });
    }
  });
  return { keys, skipped };
}

/**
 * The authorized_keys line that lets `blob` in, as auth2-pubkeyfile.c check_authkey_line decides: a plain key must be
 * listed on a line without cert-authority; a certificate needs a cert-authority line holding its CA key (`caKeyBlob`;
 * the certificate's own checks, and the line's principals= option, are the caller's job). Undefined when none does.
 */
export function findAuthorizedKey(keys: readonly AuthorizedKey[], blob: Uint8Array, caKeyBlob?: Uint8Array): AuthorizedKey | undefined {
  const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
  if (caKeyBlob !== undefined) return keys.find((k) => k.restrictions.certAuthority && same(k.blob, caKeyBlob));
  return keys.find((k) => !k.restrictions.certAuthority && same(k.blob, blob));
}
