// `sshbox --install DIR [--force]`: one symlink per program name (busybox-style), created atomically. Nothing is
// replaced unless it already links to this binary or --force is given, and a refusal leaves DIR exactly as it was.
import { lstatSync, readlinkSync, realpathSync, renameSync, symlinkSync, unlinkSync, existsSync, statSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import type { ProgramIo } from "./io.ts";
import { linkNames } from "./programs.ts";

/** True when `path` is a symlink that resolves to `binary`. */
function linksTo(path: string, binary: string): boolean {
  try {
    if (!lstatSync(path).isSymbolicLink()) return false;
    return realpathSync(resolve(dirname(path), readlinkSync(path))) === binary;
  } catch {
    return false; // a dangling link is not ours
  }
}

/** Creates the links; returns the exit status. `binary` is the real path of the compiled sshbox. */
export function installLinks(dir: string, binary: string, force: boolean, io: ProgramIo): number {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    io.err(`sshbox: ${dir}: No such directory\n`);
    return 1;
  }
  const target = realpathSync(binary);
  const names = linkNames();
  const blocked = names.filter((n) => {
    const p = join(dir, n);
    let exists = true;
    try {
      lstatSync(p);
    } catch {
      exists = false;
    }
    return exists && !linksTo(p, target);
  });
  if (blocked.length > 0 && !force) {
    for (const n of blocked) io.err(`sshbox: ${join(dir, n)} exists and is not a link to sshbox; not replaced\n`);
    io.err("sshbox: nothing installed (use --force to replace those files)\n");
    return 1;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (linksTo(p, target)) continue;
    const tmp = join(dir, `.${n}.sshbox-${process.pid}`);
    try {
      unlinkSync(tmp);
    } catch {
      // not there: the usual case
    }
    symlinkSync(target, tmp);
    renameSync(tmp, p); // atomic replacement: the name never points nowhere
    io.out(`${p} -> ${target}\n`);
  }
  return 0;
}
