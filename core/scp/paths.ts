// scp's operands: `[user@]host:path`, `[user@][v6addr]:path`, `scp://[user@]host[:port][/path]` and local paths
// (misc.c colon(), parse_user_host_path(), parse_uri(), urldecode(), valid_domain(); scp.c okname()).
import { readFileSync } from "node:fs";

/** A parsed operand: `host` undefined means a local path. */
export interface ScpOperand {
  readonly user: string | undefined;
  readonly host: string | undefined;
  /** -1 when the operand names no port. */
  readonly port: number;
  readonly path: string;
}

/** misc.c colon(): the index of the ':' that ends a `host` part, or -1 for a local path. */
export function colon(s: string): number {
  if (s.startsWith(":")) return -1; // a leading colon is part of the file name
  let bracket = s.startsWith("[");
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "@" && s[i + 1] === "[") bracket = true;
    if (c === "]" && s[i + 1] === ":" && bracket) return i + 1;
    if (c === ":" && !bracket) return i;
    if (c === "/") return -1;
  }
  return -1;
}

/** misc.c cleanhostname(): `[addr]` loses its brackets. */
export function cleanHostname(host: string): string {
  return host.length >= 2 && host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** misc.c parse_user_host_path(): null for a local path; an empty path becomes ".". */
export function parseUserHostPath(s: string): ScpOperand | null {
  const c = colon(s);
  if (c < 0) return null;
  const rest = s.slice(c + 1);
  const path = rest === "" ? "." : rest;
  const head = s.slice(0, c);
  const at = head.lastIndexOf("@");
  if (at >= 0) {
    const user = head.slice(0, at);
    return { user: user === "" ? undefined : user, host: cleanHostname(head.slice(at + 1)), port: -1, path };
  }
  return { user: undefined, host: cleanHostname(head), port: -1, path };
}

/** misc.c urldecode(): '+' is a space, %XX a byte (never NUL); null when malformed. */
export function urlDecode(s: string): string | null {
  const bytes: number[] = [];
  const src = Buffer.from(s, "utf8");
  const hex = (b: number | undefined) => b !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(b));
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x2b) bytes.push(0x20);
    else if (b === 0x25) {
      if (!hex(src[i + 1]) || !hex(src[i + 2])) return null;
      const v = Number.parseInt(String.fromCharCode(src[i + 1]!, src[i + 2]!), 16);
      if (v === 0) return null;
      bytes.push(v);
      i += 2;
    } else bytes.push(b);
  }
  return Buffer.from(bytes).toString("utf8");
}

/** misc.c valid_domain() (without lowercasing): the host of a URI. */
export function validDomain(name: string): boolean {
  if (name === "" || !/^[A-Za-z0-9_]/.test(name)) return false;
  if (name.includes("..")) return false;
  return /^[A-Za-z0-9_.-]+$/.test(name);
}

/** misc.c a2port(): 0..65535 as decimal digits or a service name from /etc/services; -1 when neither. */
export function a2port(s: string): number {
  if (/^\s*[+-]?\d+$/.test(s)) {
    const n = Number(s.trim());
    return n >= 0 && n <= 65535 ? n : -1;
  }
  if (/^[A-Za-z0-9_.+-]+$/.test(s)) {
    try {
      const services = readFileSync("/etc/services", "utf8");
      for (const line of services.split("\n")) {
        const [entry] = line.split("#");
        const f = (entry ?? "").trim().split(/\s+/);
        if (f.length < 2) continue;
        const m = /^(\d+)\/tcp$/.exec(f[1]!);
        if (m !== null && (f[0] === s || f.slice(2).includes(s))) return Number(m[1]);
      }
    } catch {
      // no services database
    }
  }
  return -1;
}

/**
 * misc.c parse_uri("scp", ...) with scp.c's default path ".": null when `s` is not an scp:// URI, "invalid" when
 * it is one but malformed. User and path may be %-encoded; ";params" after the user are ignored.
 */
export function parseScpUri(s: string): ScpOperand | null | "invalid" {
  if (!s.startsWith("scp://")) return null;
  let tmp = s.slice(6);
  let user: string | undefined;
  const at = tmp.indexOf("@");
  if (at >= 0) {
    let u = tmp.slice(0, at);
    const semi = u.indexOf(";");
    if (semi >= 0) u = u.slice(0, semi);
    if (u === "") return "invalid";
    const d = urlDecode(u);
    if (d === null) return "invalid";
    user = d;
    tmp = tmp.slice(at + 1);
  }
  // misc.c hpdelim2(): a [bracketed] host, else up to ':' or '/'
  let hostPart: string;
  let delim = "";
  let rest: string | undefined;
  if (tmp.startsWith("[")) {
    const close = tmp.indexOf("]");
    if (close < 0) return "invalid";
    const after = tmp[close + 1];
    if (after !== undefined && after !== ":" && after !== "/") return "invalid";
    hostPart = tmp.slice(0, close + 1);
    if (after !== undefined) {
      delim = after;
      rest = tmp.slice(close + 2);
    }
  } else {
    const m = /[:/]/.exec(tmp);
    if (m === null) hostPart = tmp;
    else {
      hostPart = tmp.slice(0, m.index);
      delim = m[0];
      rest = tmp.slice(m.index + 1);
    }
  }
  if (hostPart === "") return "invalid";
  const host = cleanHostname(hostPart);
  if (!validDomain(host)) return "invalid";
  let port = -1;
  let path: string | undefined;
  if (rest !== undefined && rest !== "") {
    let tail: string | undefined = rest;
    if (delim === ":") {
      const slash = rest.indexOf("/");
      const portText = slash >= 0 ? rest.slice(0, slash) : rest;
      port = a2port(portText);
      if (port <= 0) return "invalid";
      tail = slash >= 0 ? rest.slice(slash + 1) : undefined;
    }
    if (tail !== undefined && tail !== "") {
      const d = urlDecode(tail);
      if (d === null) return "invalid";
      path = d;
    }
  }
  return { user, host, port, path: path ?? "." };
}

/** An operand as scp.c reads it: a URI, else `[user@]host:path`, else a local path. */
export function parseOperand(s: string): ScpOperand | "invalid" {
  const uri = parseScpUri(s);
  if (uri !== null) return uri;
  return parseUserHostPath(s) ?? { user: undefined, host: undefined, port: -1, path: s };
}

/** scp.c okname(): a user name that may go into a remote command line (no quotes, backquote, space, '#', 8-bit). */
export function okName(name: string): boolean {
  for (const ch of Buffer.from(name, "utf8")) {
    if (ch & 0x80) return false;
    if (ch === 0x27 || ch === 0x22 || ch === 0x60 || ch === 0x20 || ch === 0x23) return false;
  }
  return true;
}
