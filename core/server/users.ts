// Account lookup for sshd (getpwnam/getgrouplist as OpenSSH uses them). Reads /etc/passwd and /etc/group directly, so
// no native call can block the event loop; NSS sources beyond files (LDAP, sssd) are not consulted: a documented limit.
import { readFileSync } from "node:fs";

/** A passwd entry. */
export interface Passwd {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly gecos: string;
  readonly home: string;
  readonly shell: string;
}

/** Files to read (tests point these elsewhere). */
export interface AccountFiles {
  readonly passwd: string;
  readonly group: string;
}
export const SYSTEM_ACCOUNT_FILES: AccountFiles = { passwd: "/etc/passwd", group: "/etc/group" };

function readLines(path: string): string[] {
  try {
    return readFileSync(path, "utf8").split("\n");
  } catch {
    return [];
  }
}

/** getpwnam(3): the entry for `name`, or undefined. */
export function getpwnam(name: string, files: AccountFiles = SYSTEM_ACCOUNT_FILES): Passwd | undefined {
  for (const line of readLines(files.passwd)) {
    const f = line.split(":");
    if (f.length < 7 || f[0] !== name) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    return { name: f[0]!, uid, gid, gecos: f[4]!, home: f[5]!, shell: f[6]! };
  }
  return undefined;
}

/** getpwuid(3). */
export function getpwuid(uid: number, files: AccountFiles = SYSTEM_ACCOUNT_FILES): Passwd | undefined {
  for (const line of readLines(files.passwd)) {
    const f = line.split(":");
    if (f.length < 7 || Number(f[2]) !== uid) continue;
    return getpwnam(f[0]!, files);
  }
  return undefined;
}

/** getgrouplist(3) as group names: the primary group and every group listing the user. */
export function groupsOf(user: Passwd, files: AccountFiles = SYSTEM_ACCOUNT_FILES): string[] {
  const names: string[] = [];
  for (const line of readLines(files.group)) {
    const f = line.split(":");
    if (f.length < 4) continue;
    const members = f[3]!.split(",").filter(Boolean);
    if (Number(f[2]) === user.gid || members.includes(user.name)) names.push(f[0]!);
  }
  return names;
}
