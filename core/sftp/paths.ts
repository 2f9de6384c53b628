// Paths as sftp-server.c sees them: bytes. We carry them as latin1 strings (one char per byte, so any name survives a
// round trip) and hand Buffers to node:fs. Also sftp-realpath.c's rule: a missing last component is not an error.
import { lstatSync, readlinkSync } from "node:fs";

/** The bytes of a path as a latin1 string. */
export function pathFromBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** A latin1 path string as the Buffer node:fs takes. */
export function fsPath(p: string): Buffer {
  return Buffer.from(p, "latin1");
}

/** Ordinary text (a home directory, a cwd given as an option) as a latin1 path string of its UTF-8 bytes. */
export function latin1FromText(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

/** A latin1 path decoded as UTF-8 for a log line or a message (the caller escapes it). */
export function displayPath(p: string): string {
  return Buffer.from(p, "latin1").toString("utf8");
}

const SYMLOOP_MAX = 32;

function errnoError(code: string): NodeJS.ErrnoException {
  const e = new Error(code) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

/**
 * sftp-realpath.c: removes ".", ".." and symlinks component by component (lstat/readlink), resolving a relative path
 * against `cwd`. If only the last component does not exist, the path is still returned; other failures throw the
 * file-system error (its `code` maps to the SFTP status).
 */
export function sftpRealpath(path: string, cwd: string): string {
  if (path === "") throw errnoError("ENOENT");
  let resolved: string;
  let left: string;
  if (path[0] === "/") {
    if (path === "/") return "/";
    resolved = "/";
    left = path.slice(1);
  } else {
    resolved = cwd;
    left = path;
  }
  let symlinks = 0;
  while (left !== "") {
    const slash = left.indexOf("/");
    const more = slash >= 0;
    const token = more ? left.slice(0, slash) : left;
    left = more ? left.slice(slash + 1) : "";
    if (!resolved.endsWith("/")) resolved += "/";
    if (token === "" || token === ".") continue;
    if (token === "..") {
      if (resolved.length > 1) resolved = stripLast(resolved);
      continue;
    }
    resolved += token;
    let isLink: boolean;
    try {
      isLink = lstatSync(fsPath(resolved)).isSymbolicLink();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" && !more) return resolved;
      throw e;
    }
    if (!isLink) continue;
    if (symlinks++ > SYMLOOP_MAX) throw errnoError("ELOOP");
    let link = readlinkSync(fsPath(resolved), { encoding: "buffer" }).toString("latin1");
    if (link.startsWith("/")) resolved = "/";
    else if (resolved.length > 1) resolved = stripLast(resolved);
    if (more) link = link.endsWith("/") ? link + left : `${link}/${left}`;
    left = link;
  }
  if (resolved.length > 1 && resolved.endsWith("/")) resolved = resolved.slice(0, -1);
  return resolved;
}

/** "/a/b/" or "/a/b" → "/a/" (the last component dropped, the slash kept). */
function stripLast(p: string): string {
  const t = p.endsWith("/") ? p.slice(0, -1) : p;
  return t.slice(0, t.lastIndexOf("/") + 1);
}
