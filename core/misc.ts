// The host, port and URI helpers of OpenSSH's misc.c that ssh, scp, sftp and the config readers share: a2port(),
// cleanhostname(), colon(), urldecode(), valid_domain() and parse_uri(). One copy here; each program keeps only its
// own rules on top (scp's default path ".", sftp's destinations).
import { readFileSync } from "node:fs";

/** misc.c a2port(): 0..65535 as a number (strtonum: blanks and a sign allowed) or a tcp service name; -1 otherwise. */
export function a2port(s: string): number {
  if (/^\s*[+-]?\d+$/.test(s)) {
    const n = Number(s.trim());
    return n >= 0 && n <= 65535 ? n : -1;
  }
  if (/^[A-Za-z0-9_.+-]+$/.test(s)) {
    try {
      for (const line of readFileSync("/etc/services", "utf8").split("\n")) {
        const f = (line.split("#")[0] ?? "").trim().split(/\s+/);
        if (f.length < 2) continue;
        const m = /^(\d+)\/tcp$/.exec(f[1]!);
        if (m !== null && (f[0] === s || f.slice(2).includes(s))) return Number(m[1]);
      }
    } catch {
      if (s === "ssh") return 22; // no services database: the one name every config uses
    }
  }
  return -1;
}

/** misc.c cleanhostname(): `[addr]` loses its brackets. */
export function cleanHostname(host: string): string {
  return host.length >= 2 && host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** misc.c colon(): the index of the ':' that ends a `[user@]host` part, or -1 for a local path. */
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

/** What parse_uri() takes out of `scheme://[user[;params]@]host[:port][/path]`. */
export interface ParsedUri {
  readonly user: string | undefined;
  readonly host: string;
  /** -1 when the URI names no port. */
  readonly port: number;
  /** After the '/' that ends the authority, %-decoded; undefined when absent or empty. */
  readonly path: string | undefined;
}

/**
 * misc.c parse_uri(): null when `s` does not start with `scheme://`, "invalid" when it does but is malformed (an
 * empty or undecodable user, a bad host or port, a bad %-escape in the path). ";params" after the user are ignored.
 */
export function parseUri(scheme: string, s: string): ParsedUri | null | "invalid" {
  const prefix = `${scheme}://`;
  if (!s.startsWith(prefix)) return null;
  let tmp = s.slice(prefix.length);
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
      port = a2port(slash >= 0 ? rest.slice(0, slash) : rest);
      if (port <= 0) return "invalid";
      tail = slash >= 0 ? rest.slice(slash + 1) : undefined;
    }
    if (tail !== undefined && tail !== "") {
      const d = urlDecode(tail);
      if (d === null) return "invalid";
      path = d;
    }
  }
  return { user, host, port, path };
}
