// scp's operands: `[user@]host:path`, `[user@][v6addr]:path`, `scp://[user@]host[:port][/path]` and local paths
// (misc.c colon(), parse_user_host_path(), parse_uri(), urldecode(), valid_domain(); scp.c okname()).
import { cleanHostname, colon, parseUri } from "../misc.ts";

export { a2port, colon } from "../misc.ts";

/** A parsed operand: `host` undefined means a local path. */
export interface ScpOperand {
  readonly user: string | undefined;
  readonly host: string | undefined;
  /** -1 when the operand names no port. */
  readonly port: number;
  readonly path: string;
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

/**
 * misc.c parse_uri("scp", ...) with scp.c's default path ".": null when `s` is not an scp:// URI, "invalid" when
 * it is one but malformed. User and path may be %-encoded; ";params" after the user are ignored.
 */
export function parseScpUri(s: string): ScpOperand | null | "invalid" {
  const u = parseUri("scp", s);
  if (u === null || u === "invalid") return u;
  return { user: u.user, host: u.host, port: u.port, path: u.path ?? "." };
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
