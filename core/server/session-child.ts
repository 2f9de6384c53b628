// The session child (session.c do_child after fork): sshd re-spawns its own binary with a JSON description in
// SSHBOX_SESSION_CHILD for a session that needs more than `setpriv shell`: ChrootDirectory (safely_chroot), ~/.ssh/rc
// or /etc/ssh/sshrc (do_rc_files), or internal-sftp as another user. It switches groups, chroots, drops to the user,
// changes to the home directory, runs the rc file and then execve(2)s the shell, so the shell keeps the pid and the
// terminal (bun-platform.md §2); internal-sftp is served by this same process instead, inside the jail.
import { statSync, writeSync } from "node:fs";
import { pamOpenSession } from "./pam.ts";

/** The environment variable holding the child's description (bun-platform.md §6: child mode by environment). */
export const SESSION_CHILD_VARIABLE = "SSHBOX_SESSION_CHILD";
/** pathnames.h _PATH_SSH_USER_RC and _PATH_SSH_SYSTEM_RC. */
export const USER_RC = ".ssh/rc";
export const SYSTEM_RC = "/etc/ssh/sshrc";
/** pathnames.h _PATH_BSHELL. */
const BSHELL = "/bin/sh";

/** What the child does once it runs as the user. */
export type SessionChildRun =
  | { readonly kind: "exec"; readonly shell: string; readonly argv: readonly string[] }
  | { readonly kind: "sftp"; readonly args: readonly string[] }
  | { readonly kind: "sftp-only"; readonly remoteId: string };

/** The description sshd hands the child. */
export interface SessionChildSpec {
  readonly user: { readonly name: string; readonly uid: number; readonly gid: number; readonly home: string; readonly shell: string };
  /** Switch to the user (sshd runs as root). */
  readonly switchUser: boolean;
  /** The expanded ChrootDirectory, or null. */
  readonly chroot: string | null;
  /** ~/.ssh/rc may run (not a subsystem, no ForceCommand, PermitUserRC and the key's user-rc). */
  readonly userRc: boolean;
  /** sshd -d: "Running …" lines on the session's stderr, as session.c prints them. */
  readonly debug: boolean;
  /** UsePAM: the PAM session (pam_setcred, pam_open_session) is opened here, as root, for the client at `rhost`. */
  readonly pam?: { readonly rhost: string };
  readonly env: Readonly<Record<string, string>>;
  readonly run: SessionChildRun;
}

/**
 * session.c safely_chroot's checks, without the chroot: each component of `path` must be a root-owned directory that
 * group and others cannot write. Returns OpenSSH's fatal() text for the first problem, or null.
 */
export function chrootProblem(path: string): string | null {
  if (!path.startsWith("/")) return "chroot path does not begin at root";
  if (Buffer.byteLength(path) >= 4096) return "chroot path too long";
  let at = 0;
  for (;;) {
    const slash = path.indexOf("/", at);
    const last = slash < 0;
    const component = last ? path : path.slice(0, slash + 1);
    let st;
    try {
      st = statSync(component);
    } catch (e) {
      return `safely_chroot: stat("${component}"): ${errnoText(e)}`;
    }
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return `bad ownership or modes for chroot directory ${last ? "" : "component "}"${component}"`;
    if (!st.isDirectory()) return `chroot path ${last ? "" : "component "}"${component}" is not a directory`;
    if (last) return null;
    at = slash + 1;
    if (at === path.length) return null; // a trailing slash: the last component was checked with it
  }
}

/** strerror(3) for a node:fs error. */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: "No such file or directory", EACCES: "Permission denied", ENOTDIR: "Not a directory", EPERM: "Operation not permitted",
    ELOOP: "Too many levels of symbolic links", ENAMETOOLONG: "File name too long", EIO: "Input/output error",
  };
  return (code !== undefined && known[code]) || (e as Error).message;
}

interface Libc {
  chroot(path: Uint8Array): number;
  chdir(path: Uint8Array): number;
  execve(path: Uint8Array, argv: unknown, envp: unknown): number;
  /** popen(cmd, "w") and pclose: `sh -c cmd` on an empty stdin with our stdout and stderr, waited for. */
  popenWait(argv: unknown, envp: unknown): void;
  errno(): number;
  strerror(n: number): string;
}

async function openLibc(): Promise<Libc> {
  const { dlopen, ptr, read, CString } = await import("bun:ffi");
  const { symbols: c } = dlopen("libc.so.6", {
    chroot: { args: ["ptr"], returns: "i32" },
    chdir: { args: ["ptr"], returns: "i32" },
    execve: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
    signal: { args: ["i32", "ptr"], returns: "ptr" },
    pipe: { args: ["ptr"], returns: "i32" },
    close: { args: ["i32"], returns: "i32" },
    posix_spawn_file_actions_init: { args: ["ptr"], returns: "i32" },
    posix_spawn_file_actions_adddup2: { args: ["ptr", "i32", "i32"], returns: "i32" },
    posix_spawn_file_actions_addclose: { args: ["ptr", "i32"], returns: "i32" },
    posix_spawn_file_actions_destroy: { args: ["ptr"], returns: "i32" },
    posix_spawn: { args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr"], returns: "i32" },
    waitpid: { args: ["i32", "ptr", "i32"], returns: "i32" },
    __errno_location: { args: [], returns: "ptr" },
    strerror: { args: ["i32"], returns: "ptr" },
  });
  return {
    chroot: (p) => c.chroot(ptr(p)),
    chdir: (p) => c.chdir(ptr(p)),
    execve: (p, a, e) => {
      // Bun ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across execve: the shell must get the
      // defaults back (`yes | head` would spin forever otherwise), as sshd's children do.
      c.signal(13 /* SIGPIPE */, null);
      c.signal(25 /* SIGXFSZ */, null);
      return c.execve(ptr(p), a as never, e as never);
    },
    // Bun.spawn needs /dev/null, which a jail may lack; posix_spawn(3) does not.
    popenWait: (argv, envp) => {
      const fds = new Int32Array(2);
      if (c.pipe(ptr(fds)) !== 0) return;
      const actions = new Uint8Array(256); // posix_spawn_file_actions_t is 80 bytes on glibc
      const pid = new Int32Array(1);
      c.posix_spawn_file_actions_init(ptr(actions));
      c.posix_spawn_file_actions_adddup2(ptr(actions), fds[0]!, 0);
      c.posix_spawn_file_actions_addclose(ptr(actions), fds[0]!);
      c.posix_spawn_file_actions_addclose(ptr(actions), fds[1]!);
      const sh = new TextEncoder().encode(`${BSHELL}\0`);
      const rc = c.posix_spawn(ptr(pid), ptr(sh), ptr(actions), null, argv as never, envp as never);
      c.posix_spawn_file_actions_destroy(ptr(actions));
      c.close(fds[0]!);
      c.close(fds[1]!); // the rc sees EOF on its stdin (no X11 cookie to give it)
      if (rc !== 0) return;
      const status = new Int32Array(1);
      while (c.waitpid(pid[0]!, ptr(status), 0) < 0 && read.i32(c.__errno_location()!, 0) === 4 /* EINTR */);
    },
    errno: () => read.i32(c.__errno_location()!, 0),
    strerror: (n) => new CString(c.strerror(n)!).toString(),
  };
}

function cstr(s: string): Uint8Array {
  return new TextEncoder().encode(`${s}\0`);
}

/** A NULL-terminated char *[] for execve; the strings are kept alive in `keep`. */
async function cstrArray(items: readonly string[], keep: Uint8Array[]): Promise<unknown> {
  const { ptr } = await import("bun:ffi");
  const table = new BigUint64Array(items.length + 1);
  items.forEach((s, i) => {
    const b = cstr(s);
    keep.push(b);
    table[i] = BigInt(ptr(b));
  });
  keep.push(new Uint8Array(table.buffer));
  return ptr(table);
}

/** Where the child's own log lines go (fd 3, read by sshd into its log), and its fatal(). */
function childLog(level: "error" | "info", line: string): void {
  try {
    writeSync(3, `${level} ${line}\n`);
  } catch {
    // sshd is gone
  }
}

/**
 * Runs the session child; resolves to its exit status when it does not execve. `serveSftp` runs internal-sftp with
 * its argument vector for the user, logging through `log`.
 */
export async function runSessionChild(
  spec: SessionChildSpec,
  serveSftp: (args: readonly string[], user: SessionChildSpec["user"], log: (line: string) => void) => Promise<number>,
): Promise<number> {
  const u = spec.user;
  const libc = await openLibc(); // before any chroot: libc is not in the jail
  const ids = process as unknown as { initgroups(user: string, gid: number): void; setgid(id: number): void; setuid(id: number): void };
  const err = (text: string): void => {
    try {
      writeSync(2, text);
    } catch {
      // the channel is gone
    }
  };
  const fatal = (msg: string): number => {
    childLog("error", msg); // fatal(): sshd logs it without a prefix to -E and stderr, as OpenSSH
    return 255;
  };
  if (spec.pam) {
    // auth-pam.c do_pam_setcred/do_pam_session before the ids change; session.c do_setup_env: PAM's variables join the
    // environment (over the login defaults, not over SSH_*: copy_environment_denylist and the SSH_* set after it).
    const s = pamOpenSession({ user: u.name, rhost: spec.pam.rhost });
    for (const e of s.errors) childLog("error", e);
    const pamEnv = Object.fromEntries(Object.entries(s.env).filter(([k]) => !k.startsWith("SSH_")));
    spec = { ...spec, env: { ...spec.env, ...pamEnv } };
  }
  // session.c do_setusercontext: groups first (initgroups reads /etc/group, which the jail may lack), then the chroot.
  if (spec.switchUser) {
    try {
      ids.initgroups(u.name, u.gid);
      ids.setgid(u.gid);
    } catch (e) {
      err(`initgroups: ${errnoText(e)}\n`);
      return 1;
    }
  }
  if (spec.chroot !== null) {
    const problem = chrootProblem(spec.chroot);
    if (problem) return fatal(problem);
    if (libc.chdir(cstr(spec.chroot)) !== 0) return fatal(`Unable to chdir to chroot path "${spec.chroot}": ${libc.strerror(libc.errno())}`);
    if (libc.chroot(cstr(spec.chroot)) !== 0) return fatal(`chroot("${spec.chroot}"): ${libc.strerror(libc.errno())}`);
    if (libc.chdir(cstr("/")) !== 0) return fatal(`safely_chroot: chdir(/) after chroot: ${libc.strerror(libc.errno())}`);
  }
  if (spec.switchUser) {
    try {
      ids.setuid(u.uid);
    } catch {
      return fatal(`Failed to set uids to ${u.uid}.`);
    }
  }
  // session.c do_child: change to the home directory; the complaint is left out in a chroot.
  try {
    process.chdir(u.home);
  } catch (e) {
    if (spec.chroot === null) err(`Could not chdir to home directory ${u.home}: ${errnoText(e)}\n`);
  }
  const shell = u.shell || BSHELL;
  await runRcFiles(spec, shell, err, libc);

  switch (spec.run.kind) {
    case "sftp-only":
      childLog("error", `Connection from ${spec.run.remoteId}: refusing non-sftp session`);
      try {
        writeSync(1, "This service allows sftp connections only.\n");
      } catch {
        // the channel is gone
      }
      return 1;
    case "sftp":
      for (const k of Object.keys(process.env)) delete process.env[k];
      Object.assign(process.env, spec.env);
      return serveSftp(spec.run.args, u, (line) => childLog("info", line));
    case "exec": {
      const keep: Uint8Array[] = [];
      const argv = await cstrArray(spec.run.argv, keep);
      const envp = await cstrArray(Object.entries(spec.env).map(([k, v]) => `${k}=${v}`), keep);
      libc.execve(cstr(spec.run.shell), argv, envp);
      err(`${spec.run.shell}: ${libc.strerror(libc.errno())}\n`); // perror(shell)
      return 1;
    }
  }
}

/** session.c do_rc_files (no X11, so nothing on the rc's stdin): ~/.ssh/rc, else /etc/ssh/sshrc. */
async function runRcFiles(spec: SessionChildSpec, shell: string, err: (text: string) => void, libc: Libc): Promise<void> {
  const userRc = `${spec.user.home}/${USER_RC}`;
  let cmd: string;
  if (spec.userRc && exists(userRc)) {
    cmd = `${shell} -c '${BSHELL} ${userRc}'`;
    if (spec.debug) err(`Running ${cmd}\n`);
  } else if (exists(SYSTEM_RC)) {
    cmd = `${BSHELL} ${SYSTEM_RC}`;
    if (spec.debug) err(`Running ${cmd}\n`);
  } else {
    return;
  }
  // popen(cmd, "w") then pclose(): `sh -c cmd` reads an empty stdin and writes to the session's stdout and stderr.
  const keep: Uint8Array[] = [];
  libc.popenWait(await cstrArray([BSHELL, "-c", cmd], keep), await cstrArray(Object.entries(spec.env).map(([k, v]) => `${k}=${v}`), keep));
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
