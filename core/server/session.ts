// The server side of a "session" channel (RFC 4254 §6, OpenSSH session.c): environment, pty-req, exec, shell and
// subsystem requests run as a child of this process (the logged-in user in unprivileged mode), with stdout and stderr
// kept apart, exit-status / exit-signal, signals, window changes, and nothing lost at EOF.
import { basename } from "node:path";
import { closeSync, existsSync, readlinkSync } from "node:fs";
import type { Channel, ChannelData, ChannelRequest, PtyRequest } from "../connection/index.ts";
import { pumpToChannel } from "../connection/index.ts";
import { childEnvironment, selfArgv, spawnChild } from "../process/spawn.ts";
import { childPipes, type PipeSink } from "../process/pipe.ts";
import { escapeForLog, silentLogger, type Logger } from "../log.ts";
import { SESSION_CHILD_VARIABLE, SYSTEM_RC, USER_RC, type SessionChildRun, type SessionChildSpec } from "./session-child.ts";
import type { ForwardingPolicy } from "./forward.ts";

/** The account a session runs as. */
export interface SessionUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

/** What a subsystem request starts: an external command, or an in-process server on the channel's bytes. */
export type SubsystemTarget =
  | { readonly kind: "command"; readonly command: string }
  | {
      readonly kind: "internal";
      readonly serve: (input: AsyncIterable<Uint8Array>, output: (bytes: Uint8Array) => Promise<void>) => Promise<number>;
      /** internal-sftp's argv, should the session need the session child after all (an rc file to run first). */
      readonly args?: readonly string[];
    }
  /** internal-sftp in the session child (another user, a chroot, an rc file): `args` as internal-sftp's argv. */
  | { readonly kind: "sftp-child"; readonly args: readonly string[] };

/** How sessions of one connection behave (from sshd_config, after Match, and authorized_keys options). */
export interface SessionPolicy {
  readonly user: SessionUser;
  /** Variables every session gets before the client's own (SSH_CLIENT, SSH_CONNECTION, authorized_keys environment=). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Variables that win over the client's (sshd_config SetEnv: session.c applies it after the client's env requests). */
  readonly overrideEnv?: Readonly<Record<string, string>>;
  /** AcceptEnv: whether a client's `env` request may set `name`. */
  acceptEnv(name: string): boolean;
  /** `Subsystem name target`; undefined: refused. */
  subsystem(name: string): SubsystemTarget | undefined;
  /** ForceCommand / authorized_keys command=: replaces what the client asked for (it goes to SSH_ORIGINAL_COMMAND). */
  readonly forceCommand?: string;
  /** PermitTTY and no-pty. */
  readonly permitPty: boolean;
  /** PrintMotd: text shown before an interactive shell (session.c do_motd; absent with ~/.hushlogin). */
  readonly motd?: string;
  /** /etc/nologin's text for a non-root user: shown, then the session ends with status 254 (session.c do_nologin). */
  readonly nologin?: string;
  /** ChrootDirectory, expanded and checked (root mode only): sessions run jailed in the session child. */
  readonly chroot?: string;
  /** ~/.ssh/rc may run before shells and commands: PermitUserRC, the key's user-rc, no ForceCommand in sshd_config. */
  readonly userRc?: boolean;
  /** sshd runs as root: the session child switches to the user. */
  readonly switchUser?: boolean;
  /** sshd -d (the session child prints "Running …" before an rc file, as session.c does). */
  readonly debug?: boolean;
  /** UsePAM: every session runs in the session child, which opens the PAM session for the client at `rhost`. */
  readonly pam?: { readonly rhost: string };
  /** `user NAME ADDR port N` (sshpkt_fmt_connection_id after authentication). */
  readonly remoteId?: string;
  /** ChannelTimeout's `type=interval` words (empty or absent: none). */
  readonly channelTimeouts?: readonly string[];
  /** UnusedConnectionTimeout in seconds (0 or absent: none). */
  readonly unusedConnectionTimeoutSeconds?: number;
  /** PrintLastLog (sshlogin.c store_lastlog_message): "Last login: …\r\n" from lastlog, read before a pty login is recorded. */
  lastLogMessage?(): string | undefined;
  /** Records a pty login (sshlogin.c record_login: lastlog, utmp, wtmp) and, when given, its end. */
  recordLogin?(tty: string, pid: number): (() => void) | undefined;
  /** ForceCommand internal-sftp …: internal-sftp with that command line's words as its argv. */
  internalSftp?(args: readonly string[]): SubsystemTarget;
  readonly log?: Logger;
  /** The client, for the `Starting session: … for USER from ADDR port N id I` line (session.c do_exec). */
  readonly peer?: { readonly address: string; readonly port: number };
  /** Called with a session's exit status (for the `Exiting` / session log lines and tests). */
  onExit?(status: number | null, signal: string | null): void;
  /** Called once when the connection is over (removes the ExposeAuthInfo file, …). */
  dispose?(): void;
  /** Port forwarding (direct-tcpip, tcpip-forward, streamlocal); without it every forwarding is refused. */
  readonly forwarding?: ForwardingPolicy;
}

/** session.c IS_INTERNAL_SFTP: the command is "internal-sftp", alone or followed by a blank. */
export function isInternalSftp(command: string): boolean {
  return command === "internal-sftp" || /^internal-sftp[ \t]/.test(command);
}

/** misc.c argv_split as session.c calls it: words split on blanks, '…' / "…" quoting, backslash escapes, '#' ends the line. */
export function argvSplit(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
    if (i >= s.length || s[i] === "#") break;
    let word = "";
    let quote = "";
    for (; i < s.length; i++) {
      const c = s[i]!;
      if (quote === "" && (c === " " || c === "\t")) break;
      if (c === "\\" && (s[i + 1] === "'" || s[i + 1] === '"' || s[i + 1] === "\\" || (quote === "" && s[i + 1] === " "))) word += s[++i];
      else if (quote === "" && (c === "'" || c === '"')) quote = c;
      else if (c === quote) quote = "";
      else word += c;
    }
    out.push(word);
  }
  return out;
}

/** util-linux setpriv(1), which switches uid, gid and supplementary groups before exec. */
const SETPRIV = "/usr/bin/setpriv";

/** OpenSSH's default PATH for sessions (configure.ac: _PATH_STDPATH on Debian). */
export const DEFAULT_SESSION_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/games";
/** Bounds on what a client can put in the environment (session.c keeps at most 1000 variables). */
const MAX_ENV_VARS = 1000;
const MAX_ENV_BYTES = 64 * 1024;

/** Signals a client may send (RFC 4254 §6.9, OpenSSH session.c name2sig). */
const SIGNALS = new Set(["ABRT", "ALRM", "FPE", "HUP", "ILL", "INT", "KILL", "PIPE", "QUIT", "SEGV", "TERM", "USR1", "USR2"]);

/** Serves one accepted session channel until it closes. */
export function serveSession(channel: Channel, policy: SessionPolicy): void {
  new ServerSession(channel, policy).start();
}

class ServerSession {
  private readonly log: Logger;
  private readonly env = new Map<string, string>();
  private envBytes = 0;
  private pty: PtyRequest | null = null;
  private started = false;
  private proc: ReturnType<typeof spawnChild> | null = null;
  /** The command's stdin (not for a pty session, whose input goes to the terminal). */
  private stdinSink: PipeSink | null = null;
  private terminal: { write(d: Uint8Array): number; resize(c: number, r: number): void; close(): void } | null = null;
  private stdinEnded = false;

  constructor(
    private readonly channel: Channel,
    private readonly policy: SessionPolicy,
  ) {
    this.log = policy.log ?? silentLogger;
  }

  start(): void {
    this.channel.attach({
      onRequest: (req, wantReply) => this.request(req, wantReply),
      onData: (d) => this.input(d),
      onEof: () => this.inputEnded(),
      onClose: () => this.closed(),
    });
  }

  private request(req: ChannelRequest, _wantReply: boolean): boolean | Promise<boolean> {
    switch (req.type) {
      case "env": {
        if (this.started || this.env.size >= MAX_ENV_VARS) return false;
        if (!this.policy.acceptEnv(req.name)) {
          this.log.debug2(`Ignoring env request ${escapeForLog(req.name)}: disallowed name`);
          return false;
        }
        this.envBytes += req.name.length + req.value.length;
        if (this.envBytes > MAX_ENV_BYTES) return false;
        this.env.set(req.name, req.value);
        return true;
      }
      case "pty-req":
        if (this.started || this.pty !== null || !this.policy.permitPty) return false;
        this.pty = req;
        return true;
      case "window-change":
        if (this.pty) this.terminal?.resize(Math.max(1, req.widthChars), Math.max(1, req.heightRows));
        return true;
      case "shell":
        // session.c session_shell_req / session_exec_req: channel_set_xtype, for ChannelTimeout
        if (!this.started) this.channel.label = "session:shell";
        return this.run(undefined);
      case "exec":
        if (!this.started) this.channel.label = "session:command";
        return this.run(req.command);
      case "subsystem":
        return this.subsystem(req.name);
      case "signal": {
        if (!SIGNALS.has(req.signal) || this.proc === null) return false;
        this.proc.kill(`SIG${req.signal}` as NodeJS.Signals);
        return true;
      }
      default:
        return false;
    }
  }

  /** The environment of the child: base, then accepted client variables, then the ones sshd always sets. */
  private childEnv(originalCommand: string | undefined): Record<string, string> {
    // session.c do_setup_env's order: the client's env requests, the account's variables, the key's environment=
    // options, then sshd_config SetEnv (which may override HOME, PATH, ...), and last the SSH_* variables.
    const u = this.policy.user;
    const env: Record<string, string> = {};
    for (const [k, v] of this.env) env[k] = v;
    Object.assign(env, { USER: u.name, LOGNAME: u.name, HOME: u.home, SHELL: u.shell, MAIL: `/var/mail/${u.name}` });
    env.PATH ??= DEFAULT_SESSION_PATH;
    if (this.pty) env.TERM = this.pty.term;
    Object.assign(env, this.policy.baseEnv);
    Object.assign(env, this.policy.overrideEnv ?? {});
    for (const k of ["SSH_CLIENT", "SSH_CONNECTION", "SSH_USER_AUTH"]) if (this.policy.baseEnv[k] !== undefined) env[k] = this.policy.baseEnv[k]!;
    if (originalCommand !== undefined) env.SSH_ORIGINAL_COMMAND = originalCommand;
    return env;
  }

  private run(command: string | undefined, subsystemName?: string, childRun?: SessionChildRun): boolean {
    if (this.started) return false;
    this.started = true;
    this.startLabel = subsystemName !== undefined ? `subsystem '${subsystemName}'` : command === undefined ? "shell" : "command";
    if (!this.pty) this.logStart(this.startLabel);
    const forced = this.policy.forceCommand;
    const effective = forced ?? command;
    const u = this.policy.user;
    const shell = u.shell || "/bin/sh";
    // session.c do_child: commands run as `shell -c command`; a login shell gets argv[0] "-shell".
    const argv = effective === undefined ? [shell] : [shell, "-c", effective];
    const argv0 = effective === undefined ? `-${basename(shell)}` : basename(shell);
    if (this.policy.nologin !== undefined) {
      this.channel.write(new TextEncoder().encode(this.policy.nologin));
      this.finish(254, null);
      return true;
    }
    if (effective === undefined && this.pty) {
      // session.c do_login (unless check_quietlogin): display_loginmsg (the last login, read when the pty was made),
      // then do_motd; CR LF as the terminal would show it.
      const text = (this.policy.lastLogMessage?.() ?? "") + (this.policy.motd ?? "").replace(/\r?\n/g, "\r\n");
      if (text !== "") this.channel.write(new TextEncoder().encode(text));
    }
    const env = this.childEnv(forced !== undefined ? (command ?? "") : undefined);
    const cwd = existsSync(u.home) ? u.home : "/";
    // session.c do_exec: ForceCommand internal-sftp refuses shells and commands (SUBSYSTEM_INT_SFTP_ERROR, in do_child).
    if (childRun === undefined && forced !== undefined && isInternalSftp(forced) && subsystemName === undefined) {
      childRun = { kind: "sftp-only", remoteId: this.policy.remoteId ?? `user ${u.name}` };
    }
    const isSubsystem = subsystemName !== undefined || childRun !== undefined;
    if (childRun !== undefined || this.policy.chroot !== undefined || this.policy.pam !== undefined || this.rcWanted(isSubsystem)) {
      return this.runChild(childRun ?? { kind: "exec", shell, argv: [argv0, ...argv.slice(1)] }, env, isSubsystem);
    }
    // Root mode: the command runs as the user, with the user's groups (initgroups), through util-linux setpriv: Bun's
    // own uid/gid spawn options drop supplementary groups (bun-platform.md §2).
    const asUser = process.getuid?.() === 0 && u.uid !== 0 ? [SETPRIV, `--reuid=${u.uid}`, `--regid=${u.gid}`, "--init-groups", "--"] : [];
    try {
      if (asUser.length > 0 && !existsSync(SETPRIV)) throw new Error(`${SETPRIV} is missing: cannot switch to user ${u.name}`);
      if (this.pty) this.spawnPty([...asUser, ...argv], argv0, env, cwd);
      else this.spawnPipes([...asUser, ...argv], argv0, env, cwd);
    } catch (e) {
      this.log.error(`session: cannot run ${escapeForLog(shell)}: ${(e as Error).message}`);
      this.channel.send({ type: "exit-status", exitStatus: 1 } as ChannelRequest);
      this.channel.close();
    }
    return true;
  }

  /** session.c do_rc_files would run something: ~/.ssh/rc (not for subsystems), else /etc/ssh/sshrc. */
  private rcWanted(isSubsystem: boolean): boolean {
    const u = this.policy.user;
    return (!isSubsystem && this.policy.userRc === true && existsSync(`${u.home}/${USER_RC}`)) || existsSync(SYSTEM_RC);
  }

  /** Runs the session in the session child (session-child.ts): sshd's binary again, which jails, drops and execs. */
  private runChild(run: SessionChildRun, env: Record<string, string>, isSubsystem: boolean): boolean {
    const u = this.policy.user;
    const spec: SessionChildSpec = {
      user: { name: u.name, uid: u.uid, gid: u.gid, home: u.home, shell: u.shell },
      switchUser: this.policy.switchUser === true,
      chroot: this.policy.chroot ?? null,
      userRc: this.policy.userRc === true && !isSubsystem,
      debug: this.policy.debug === true,
      ...(this.policy.pam ? { pam: this.policy.pam } : {}),
      env,
      run,
    };
    const argv = selfArgv(["sshd"]);
    const childEnv = childEnvironment({ env: { [SESSION_CHILD_VARIABLE]: JSON.stringify(spec) }, privileged: true });
    try {
      if (this.pty) this.spawnPty(argv, "sshd", childEnv, "/", true);
      else this.spawnPipes(argv, "sshd", childEnv, "/", true);
    } catch (e) {
      this.log.error(`session: cannot start the session child: ${(e as Error).message}`);
      this.finish(1, null);
    }
    return true;
  }

  /** The session child's log lines (its fd 3; Bun hands us our end as a bare fd): "error …" or "info …", into sshd's log. */
  private readChildLog(fd: number): Promise<void> {
    return (async () => {
      let text = "";
      const emit = (line: string): void => {
        if (line.startsWith("error ")) this.log.error(line.slice(6));
        else this.log.info(line.replace(/^info /, ""));
      };
      try {
        for await (const chunk of Bun.file(fd).stream()) {
          text += new TextDecoder().decode(chunk, { stream: true });
          let nl;
          while ((nl = text.indexOf("\n")) >= 0) {
            emit(text.slice(0, nl));
            text = text.slice(nl + 1);
          }
        }
      } catch {
        // the child is gone
      }
      if (text !== "") emit(text);
      try {
        closeSync(fd); // Bun leaves extra stdio fds open
      } catch {
        // already closed
      }
    })();
  }

  private startLabel = "shell";

  /** session.c do_exec: "Starting session: <type>[ on <tty>] for <user> from <addr> port <port> id <n>". */
  private logStart(what: string, tty?: string): void {
    const p = this.policy.peer;
    if (!p) return;
    const forced = this.policy.forceCommand !== undefined ? "forced-command (config) '" + escapeForLog(this.policy.forceCommand) + "'" : what;
    this.log.verbose(`Starting session: ${forced}${tty ? ` on ${tty}` : ""} for ${this.policy.user.name} from ${p.address} port ${p.port} id ${this.channel.localId}`);
  }

  private spawnPipes(argv: string[], argv0: string, env: Record<string, string>, cwd: string, child = false): void {
    // session.c do_exec_no_pty: the command's stdin, stdout and stderr are pipes (Bun's own "pipe" is a socketpair)
    const pipes = childPipes();
    const stdio: [number | "pipe", number | "pipe", number | "pipe"] = pipes ? pipes.childFds : ["pipe", "pipe", "pipe"];
    let proc: ReturnType<typeof spawnChild>;
    try {
      proc = child
        ? (Bun.spawn(argv, { argv0, env, cwd, stdio: [...stdio, "pipe"] }) as unknown as ReturnType<typeof spawnChild>)
        : spawnChild({ argv, argv0, env, cwd, stdio });
    } catch (e) {
      pipes?.afterSpawn(false);
      throw e;
    }
    pipes?.afterSpawn(true);
    this.proc = proc;
    this.stdinSink = pipes ? pipes.stdin : (proc.stdin as unknown as PipeSink);
    const out = pumpToChannel(pipes ? pipes.stdout : (proc.stdout as ReadableStream<Uint8Array>), this.channel, 0);
    const err = pumpToChannel(pipes ? pipes.stderr : (proc.stderr as ReadableStream<Uint8Array>), this.channel, 1);
    const logs = child ? this.readChildLog((proc as unknown as { stdio: number[] }).stdio[3]!) : undefined;
    void Promise.all([proc.exited, out, err, logs]).then(() => this.finish(proc.exitCode, proc.signalCode === null ? null : String(proc.signalCode)));
  }

  private spawnPty(argv: string[], argv0: string, env: Record<string, string>, cwd: string, child = false): void {
    const pty = this.pty!;
    const proc = Bun.spawn(argv, {
      argv0,
      env,
      cwd,
      ...(child ? { stdio: ["inherit", "inherit", "inherit", "pipe"] as ["inherit", "inherit", "inherit", "pipe"] } : {}),
      terminal: {
        cols: Math.max(1, pty.widthChars || 80),
        rows: Math.max(1, pty.heightRows || 24),
        name: pty.term,
        data: (_t, d) => {
          this.channel.write(d.slice()); // the terminal reuses its buffer; the channel keeps chunks until sent
        },
      },
    });
    this.proc = proc as unknown as ReturnType<typeof spawnChild>;
    this.terminal = proc.terminal as unknown as ServerSession["terminal"];
    let tty: string | undefined;
    try {
      tty = readlinkSync(`/proc/${proc.pid}/fd/0`);
    } catch {
      // the child is already gone
    }
    this.logStart(this.startLabel, tty);
    const logout = tty !== undefined ? this.policy.recordLogin?.(tty, proc.pid) : undefined;
    const logs = child ? this.readChildLog((proc as unknown as { stdio: number[] }).stdio[3]!) : undefined;
    // bun-platform.md §1: output is complete before `exited` resolves.
    void Promise.all([proc.exited, logs]).then(() => {
      logout?.();
      this.finish(proc.exitCode, proc.signalCode === null ? null : String(proc.signalCode));
    });
  }

  private subsystem(name: string): boolean | Promise<boolean> {
    if (this.started) return false;
    let target = this.policy.subsystem(name);
    if (target === undefined) {
      this.log.info(`subsystem request for ${escapeForLog(name)} by user ${this.policy.user.name} failed, subsystem not found`);
      return false;
    }
    this.channel.label = `session:subsystem:${name}`; // session.c session_subsystem_req: channel_set_xtype
    // session.c do_exec: a forced internal-sftp serves the subsystem with the forced command's arguments; any other
    // forced command replaces it (run() applies it).
    const forced = this.policy.forceCommand;
    if (forced !== undefined) {
      if (isInternalSftp(forced) && this.policy.internalSftp) target = this.policy.internalSftp(argvSplit(forced));
      else target = { kind: "command", command: forced };
    }
    if (target.kind === "command") {
      this.log.debug(`subsystem: exec() ${target.command}`);
      return this.run(target.command, name) && true;
    }
    if (target.kind === "sftp-child" || this.policy.chroot !== undefined || this.policy.pam !== undefined || this.rcWanted(true)) {
      const args = target.args ?? ["internal-sftp"];
      return this.run(undefined, name, { kind: "sftp", args });
    }
    this.started = true;
    this.logStart(`subsystem '${name}'`);
    const input = this.internalInput();
    const channel = this.channel;
    void target
      .serve(input, async (bytes) => {
        if (!channel.write(bytes)) await channel.drained();
      })
      .then(
        (status) => this.finish(status, null),
        (e) => {
          this.log.error(`subsystem ${escapeForLog(name)}: ${(e as Error).message}`);
          this.finish(1, null);
        },
      );
    return true;
  }

  /** Channel data as an async iterable, for in-process subsystems (copies, since channel memory is pooled). */
  private internalSink: ((d: ChannelData | null) => void) | null = null;
  private internalInput(): AsyncIterable<Uint8Array> {
    const queue: (Uint8Array | null)[] = [];
    let wake: (() => void) | null = null;
    this.internalSink = (d) => {
      if (d === null) queue.push(null);
      else {
        queue.push(d.bytes.slice());
        d.release();
      }
      wake?.();
      wake = null;
    };
    return {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length === 0) await new Promise<void>((r) => (wake = r));
          const next = queue.shift()!;
          if (next === null) return;
          yield next;
        }
      },
    };
  }

  private input(d: ChannelData): void {
    if (this.internalSink) return this.internalSink(d);
    if (this.terminal) {
      this.terminal.write(d.bytes); // Bun's Terminal copies into its own buffer (bun-platform.md §1)
      d.release();
      return;
    }
    const sink = this.stdinSink;
    if (!sink || this.stdinEnded) {
      d.release();
      return;
    }
    try {
      sink.write(d.bytes);
      const f = sink.flush();
      // The window stays shut until the child took the bytes: a slow reader slows the client (RFC 4254 §5.2).
      if (f instanceof Promise) f.then(() => d.release(), () => d.release());
      else d.release();
    } catch {
      d.release(); // the child closed its stdin: like OpenSSH, drop further input
    }
  }

  private inputEnded(): void {
    if (this.internalSink) return this.internalSink(null);
    if (this.terminal) return; // OpenSSH keeps the pty open; the shell decides when to exit
    this.stdinEnded = true;
    try {
      const r: unknown = this.stdinSink?.end();
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      // already closed
    }
  }

  private finish(status: number | null, signal: string | null): void {
    this.policy.onExit?.(status, signal);
    if (this.channel.isClosed || this.channel.closeReceived) return;
    if (signal) {
      // RFC 4254 §6.10: exit-signal names the signal without "SIG".
      this.channel.send({ type: "exit-signal", signal: signal.replace(/^SIG/, ""), coreDumped: false, errorMessage: "", language: "" } as ChannelRequest);
    } else {
      this.channel.send({ type: "exit-status", exitStatus: status ?? 255 } as ChannelRequest);
    }
    this.channel.close();
  }

  private closed(): void {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      // session.c: the channel went away under a running command; SIGHUP it as a closing terminal would.
      this.proc.kill("SIGHUP");
    }
    this.terminal?.close();
    this.internalSink?.(null);
  }
}
