// File metadata the way sftp-server.c reports it: stat → ATTRS (sftp-common.c stat_to_attrib), the `ls -l` longname
// of READDIR entries (sftp-common.c ls_file with remote=0, strmode(3)), and the passwd/group lookups behind them.
import { readFileSync, type Stats } from "node:fs";
import type { SftpAttrs } from "./codec.ts";
import { latin1FromText } from "./paths.ts";

/** stat_to_attrib(): size, uid/gid, full st_mode, atime/mtime in whole seconds. */
export function statToAttrs(st: Stats): SftpAttrs {
  return {
    size: st.size,
    uid: st.uid,
    gid: st.gid,
    permissions: st.mode,
    atime: Math.floor(st.atimeMs / 1000) >>> 0,
    mtime: Math.floor(st.mtimeMs / 1000) >>> 0,
  };
}

/** strmode(3): type letter, rwx triplets with setuid/setgid/sticky folded in, and the trailing space. */
export function strmode(mode: number): string {
  const type = mode & 0o170000;
  const t =
    type === 0o040000 ? "d" : type === 0o020000 ? "c" : type === 0o060000 ? "b" : type === 0o100000 ? "-"
    : type === 0o120000 ? "l" : type === 0o140000 ? "s" : type === 0o010000 ? "p" : "?";
  const rwx = (r: number, w: number, x: number, special: number, on: string, off: string): string =>
    (mode & r ? "r" : "-") + (mode & w ? "w" : "-") + (mode & special ? (mode & x ? on : off) : mode & x ? "x" : "-");
  return (
    t +
    rwx(0o400, 0o200, 0o100, 0o4000, "s", "S") +
    rwx(0o040, 0o020, 0o010, 0o2000, "s", "S") +
    rwx(0o004, 0o002, 0o001, 0o1000, "t", "T") +
    " "
  );
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

/**
 * ls_file(name, st, remote=0, si_units=0): `drwxr-xr-x    5 markus   markus       1024 Jan 13 18:39 .ssh`, with
 * owner and group names when known; the time is "%b %e %H:%M" within the last six months, else "%b %e  %Y".
 * `name` and the result are raw bytes (latin1 strings); owner and group names are text.
 */
export function longname(name: string, st: Stats, names: NameService, nowMs: number = Date.now()): string {
  const user = latin1FromText(names.userName(st.uid) ?? String(st.uid));
  const group = latin1FromText(names.groupName(st.gid) ?? String(st.gid));
  const t = new Date(st.mtimeMs);
  const day = String(t.getDate()).padStart(2, " ");
  const recent = nowMs - (365 * 24 * 60 * 60 * 1000) / 2 < st.mtimeMs && nowMs >= st.mtimeMs;
  const when = recent
    ? `${MONTHS[t.getMonth()]} ${day} ${String(t.getHours()).padStart(2, "0")}:${String(t.getMinutes()).padStart(2, "0")}`
    : `${MONTHS[t.getMonth()]} ${day}  ${t.getFullYear()}`;
  const lc = String(st.nlink).padStart(3, " ");
  return `${strmode(st.mode)} ${lc} ${user.padEnd(8, " ")} ${group.padEnd(8, " ")} ${String(st.size).padStart(8, " ")} ${when} ${name}`;
}

/** A passwd entry, as much of it as sftp-server uses. */
export interface UserEntry {
  readonly name: string;
  readonly uid: number;
  readonly home: string;
}

/** getpwuid/getpwnam/getgrgid for longnames, `~user`, home-directory and users-groups-by-id (names and homes are text). */
export interface NameService {
  userName(uid: number): string | undefined;
  groupName(gid: number): string | undefined;
  user(name: string): UserEntry | undefined;
}

/**
 * A NameService over /etc/passwd and /etc/group (read once, on first use). Users that only NSS modules know (LDAP,
 * sssd) are not seen; their ids show as numbers, as with an unresolvable id in OpenSSH.
 */
export function fileNameService(passwd = "/etc/passwd", group = "/etc/group"): NameService {
  let users: Map<string, UserEntry> | undefined;
  let byUid: Map<number, string> | undefined;
  let groups: Map<number, string> | undefined;
  const lines = (path: string): string[][] => {
    try {
      return readFileSync(path, "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.split(":"));
    } catch {
      return [];
    }
  };
  const loadUsers = (): void => {
    if (users) return;
    users = new Map();
    byUid = new Map();
    for (const f of lines(passwd)) {
      if (f.length < 7) continue;
      const uid = Number(f[2]);
      if (!users.has(f[0]!)) users.set(f[0]!, { name: f[0]!, uid, home: f[5]! });
      if (!byUid.has(uid)) byUid.set(uid, f[0]!);
    }
  };
  return {
    userName(uid) {
      loadUsers();
      return byUid!.get(uid);
    },
    groupName(gid) {
      if (!groups) {
        groups = new Map();
        for (const f of lines(group)) if (f.length >= 3 && !groups.has(Number(f[2]))) groups.set(Number(f[2]), f[0]!);
      }
      return groups.get(gid);
    },
    user(name) {
      loadUsers();
      return users!.get(name);
    },
  };
}
