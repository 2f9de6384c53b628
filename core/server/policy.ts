// sshd's policies over sshd_config (after Match) and the user's files: who may log in (auth.c allowed_user: shells,
// DenyUsers, AllowUsers, DenyGroups, AllowGroups; PermitRootLogin), which keys (auth2-pubkeyfile.c: AuthorizedKeysFile
// with tokens, StrictModes, key options, RevokedKeys, PubkeyAcceptedAlgorithms), and how sessions run (session.c).
import { readFileSync, statSync, existsSync, mkdtempSync, writeFileSync, rmSync, chownSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { AuthUser, KbdIntDialog, PasswordVerdict, PublicKeyCheck, PublicKeyVerdict, ServerAuthPolicy, SignatureCheck, UserAuthSetup } from "../auth/index.ts";
import { applyMatch, expandSshdTokens, matchPattern, matchPatternList, addrMatchList, type SshdConfig } from "../config/index.ts";
import {
  describePublicKey, fingerprint, parseAuthorizedKeys, parsePublicKeyLine, revokedKeysFileRevokes, parseCertificate, verifyCertificateSignature,
  checkCertificate, optionString, SSH2_CERT_TYPE_USER, type AuthorizedKeyRestrictions, type Certificate,
} from "../keys/index.ts";
import { verifySignature } from "../crypto/registry.ts";
import { escapeForLog, silentLogger, type Logger } from "../log.ts";
import { getpwnam, groupsOf, type Passwd } from "./users.ts";
import { passwordMatches, shadowHash } from "./passwords.ts";
import { fakePassword, PamContext, pamKbdIntDialog, PAM_DISALLOW_NULL_AUTHTOK, PAM_NEW_AUTHTOK_REQD, PAM_SUCCESS, type PamResult } from "./pam.ts";
import { argvSplit, type SessionPolicy, type SubsystemTarget } from "./session.ts";
import { lastLoginMessage, readLastLog, writeLastLog } from "./lastlog.ts";
import { forwardingPolicy } from "./forward.ts";
import { appendWtmp, writeUtmp, type LoginRecord } from "./wtmp.ts";

/** Who is connecting, for Match and log lines. */
export interface PeerInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** How the server runs: as root (any user) or as the invoking user only (unprivileged mode, sshd(8) "-h" recipe). */
export interface ServerMode {
  readonly privileged: boolean;
  /** The account sshd runs as; in unprivileged mode only it can log in. */
  readonly self: Passwd;
}

/** What a publickey success carries into the session (authorized_keys options). */
export interface KeyGrant {
  readonly restrictions: AuthorizedKeyRestrictions;
  readonly file: string;
  readonly line: number;
}

/** OpenSSH's key type names for log lines (sshkey_type()): ED25519, ECDSA, RSA, with -CERT for certificates. */
function keyTypeLabel(blob: Uint8Array): string {
  const t = describePublicKey(blob).type;
  const base = t.startsWith("ssh-ed25519") ? "ED25519" : t.startsWith("ecdsa-") ? "ECDSA" : t.startsWith("ssh-rsa") ? "RSA" : t.toUpperCase();
  return t.includes("-cert-") ? `${base}-CERT` : base;
}

/** `<TYPE> SHA256:…` as sshd logs a key. */
export function keyDescription(blob: Uint8Array, hash: string = "SHA256"): string {
  // sshkey_fingerprint: a certificate's fingerprint is its certified key's (to_blob force_plain).
  const plain = describePublicKey(blob).row.certificate ? parseCertificate(blob).publicKeyBlob : blob;
  return `${keyTypeLabel(blob)} ${fingerprint(plain, hash === "MD5" ? "md5" : "sha256")}`;
}

/** auth.c secure_filename / auth_secure_path: the file and each directory up to the home owned by the user or root, not group/world writable. */
function strictModesProblem(path: string, pw: Passwd): string | null {
  let p = path;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch {
      return null; // missing: the open below reports it
    }
    if ((st.uid !== 0 && st.uid !== pw.uid) || (st.mode & 0o022) !== 0) {
      return `bad ownership or modes for ${p === path ? "file" : "directory"} ${p}`;
    }
    if (p === pw.home || p === "/") return null;
    const up = dirname(p);
    if (up === p) return null;
    p = up;
  }
}

/** What sshd asks of a connection's authentication policy besides the auth layer's questions. */
export interface ConnectionAuthPolicy extends ServerAuthPolicy {
  /** The Match-applied config of a user seen in a request. */
  configFor(user: string): SshdConfig | undefined;
  /** UsePAM: pam_acct_mgmt for the logged-in user (do_pam_account); null without UsePAM. */
  pamAccount(user: string): Promise<PamResult> | null;
  /** Ends the connection's PAM handle (sshpam_cleanup). */
  dispose(): void;
}

/** Builds the authentication policy for one connection. */
export function serverAuthPolicy(base: SshdConfig, peer: PeerInfo, mode: ServerMode, log: Logger = silentLogger): ConnectionAuthPolicy {
  const perUser = new Map<string, { pw: Passwd | undefined; config: SshdConfig }>();
  // auth-pam.c: one PAM handle per connection, started for the user of the first request that needs it (UsePAM is global).
  let pam: PamContext | undefined;
  const pamFor = (user: string): PamContext => {
    if (!pam) {
      // auth-pam.c sshpam_init; a failed pam_start is fatal() there, here the methods needing PAM fail
      log.debug(`PAM: initializing for "${escapeForLog(user)}" with service "sshd"`);
      log.debug(`PAM: setting PAM_RHOST to "${peer.remoteAddress}"`);
      log.debug(`PAM: setting PAM_TTY to "ssh"`);
      pam = new PamContext(user, peer.remoteAddress);
      void pam.started.then((r) => r.rc !== PAM_SUCCESS && log.error(`PAM: initialisation failed: ${r.text}`));
    }
    return pam;
  };
  const setup = (user: string): { pw: Passwd | undefined; config: SshdConfig } => {
    let s = perUser.get(user);
    if (!s) {
      const pw = getpwnam(user);
      const config = applyMatch(base, {
        user,
        host: peer.remoteAddress,
        addr: peer.remoteAddress,
        laddr: peer.localAddress,
        lport: peer.localPort,
        groups: pw ? groupsOf(pw) : null,
        invalidUser: pw === undefined,
      });
      s = { pw, config };
      perUser.set(user, s);
    }
    return s;
  };

  /** auth.c allowed_user, in OpenSSH's order; logs why a user is refused. */
  const allowed = (user: string, pw: Passwd | undefined, c: SshdConfig): boolean => {
    if (!pw) return false;
    if (!mode.privileged && pw.uid !== mode.self.uid) {
      log.info(`User ${user} not allowed because sshd is not running as root and ${user} is not ${mode.self.name}`);
      return false;
    }
    const from = ` from ${peer.remoteAddress}`;
    const shell = pw.shell || "/bin/sh";
    if (!existsSync(shell)) {
      log.info(`User ${user}${from} not allowed because shell ${shell} does not exist`);
      return false;
    }
    const userMatches = (pattern: string): boolean => {
      const at = pattern.indexOf("@");
      if (at < 0) return matchPattern(user, pattern);
      return matchPattern(user, pattern.slice(0, at)) && addrMatchList(peer.remoteAddress, pattern.slice(at + 1)) === 1;
    };
    if (c.denyUsers.some(userMatches)) {
      log.info(`User ${user}${from} not allowed because listed in DenyUsers`);
      return false;
    }
    if (c.allowUsers.length > 0 && !c.allowUsers.some(userMatches)) {
      log.info(`User ${user}${from} not allowed because not listed in AllowUsers`);
      return false;
    }
    const groups = groupsOf(pw);
    if (c.denyGroups.length > 0 && groups.some((g) => c.denyGroups.some((p) => matchPattern(g, p)))) {
      log.info(`User ${user}${from} not allowed because a group is listed in DenyGroups`);
      return false;
    }
    if (c.allowGroups.length > 0 && !groups.some((g) => c.allowGroups.some((p) => matchPattern(g, p)))) {
      log.info(`User ${user}${from} not allowed because none of user's groups are listed in AllowGroups`);
      return false;
    }
    return true;
  };

  const authorizedFiles = (pw: Passwd, c: SshdConfig): string[] =>
    c.authorizedKeysFile.map((f) => {
      const expanded = expandSshdTokens("AuthorizedKeysFile", f, { h: pw.home, u: pw.name, U: String(pw.uid) });
      return isAbsolute(expanded) ? expanded : join(pw.home, expanded);
    });

  /** TrustedUserCAKeys (auth2-pubkey.c user_cert_trusted_ca): a verdict, or undefined to go on to authorized_keys. */
  const checkCertificateFor = (cert: Certificate, pw: Passwd, c: SshdConfig, description: string): PublicKeyVerdict | undefined => {
    if (!verifyCertificateSignature(cert)) {
      log.error("Certificate signature invalid");
      return { allowed: false, description };
    }
    if (!c.trustedUserCaKeys) return undefined;
    let trusted = false;
    try {
      for (const line of readFileSync(c.trustedUserCaKeys, "utf8").split("\n")) {
        if (line.trim() === "" || line.trim().startsWith("#")) continue;
        try {
          if (Buffer.from(parsePublicKeyLine(line).blob).equals(Buffer.from(cert.signatureKey))) trusted = true;
        } catch {
          // a bad line is skipped, as OpenSSH does
        }
      }
    } catch {
      return undefined;
    }
    if (!trusted) return undefined;
    const principals = c.authorizedPrincipalsFile ? readPrincipals(c.authorizedPrincipalsFile, pw) : [pw.name];
    const problem = certProblem(cert, principals, peer.remoteAddress);
    if (problem) {
      log.error(problem);
      return { allowed: false, description };
    }
    return { allowed: true, description, attachment: certGrant(cert) };
  };

  return {
    configFor: (user) => perUser.get(user)?.config,
    pamAccount: (user) => (base.usePam ? pamFor(user).account() : null),
    dispose: () => {
      if (!pam) return;
      log.debug("PAM: cleanup");
      pam.end();
    },

    async startUser(user): Promise<UserAuthSetup> {
      const { pw, config } = setup(user);
      const valid = allowed(user, pw, config);
      if (!pw) log.info(`Invalid user ${escapeForLog(user)} from ${peer.remoteAddress} port ${peer.remotePort}`);
      const methods: string[] = [];
      if (config.pubkeyAuthentication) methods.push("publickey");
      // Passwords come from /etc/shadow, which only root can read: an unprivileged sshd cannot check them.
      // With UsePAM, PAM decides (pam_unix's setuid helper checks the invoking user's own password).
      if (config.passwordAuthentication && (mode.privileged || base.usePam)) methods.push("password");
      // auth2.c: keyboard-interactive is offered whenever enabled; without PAM (no devices on Linux) it always fails.
      if (config.kbdInteractiveAuthentication) methods.push("keyboard-interactive");
      let banner: string | undefined;
      if (config.banner) {
        try {
          banner = readFileSync(config.banner, "utf8");
        } catch {
          // session.c: a missing banner file is silently ignored
        }
      }
      return {
        valid,
        methods,
        maxAuthTries: config.maxAuthTries,
        ...(config.authenticationMethods.length > 0 ? { authenticationMethods: config.authenticationMethods } : {}),
        ...(banner !== undefined ? { banner } : {}),
      };
    },

    async checkPublicKey(check: PublicKeyCheck): Promise<PublicKeyVerdict> {
      const { pw, config } = setup(check.user);
      if (!pw || !check.valid) return { allowed: false };
      let description: string;
      try {
        description = keyDescription(check.keyBlob, config.fingerprintHash);
      } catch {
        return { allowed: false };
      }
      if (!config.pubkeyAcceptedAlgorithms.includes(check.algorithm)) {
        log.debug(`${check.algorithm} key type not in PubkeyAcceptedAlgorithms`);
        return { allowed: false, description };
      }
      if (pw.uid === 0 && config.permitRootLogin === "no") {
        log.info(`ROOT LOGIN REFUSED FROM ${peer.remoteAddress} port ${peer.remotePort}`);
        return { allowed: false, description };
      }
      for (const revoked of config.revokedKeys) {
        try {
          if (revokedKeysFileRevokes(new Uint8Array(readFileSync(revoked)), check.keyBlob)) {
            log.error(`Authentication key ${description} revoked by file ${revoked}`);
            return { allowed: false, description };
          }
        } catch {
          log.error(`Error checking authentication key ${description} in revoked keys file ${revoked}`);
          return { allowed: false, description };
        }
      }
      let cert: Certificate | undefined;
      if (describePublicKey(check.keyBlob).row.certificate) {
        try {
          cert = parseCertificate(check.keyBlob);
        } catch {
          return { allowed: false, description };
        }
        description = `${description} ID ${cert.keyId} (serial ${cert.serial}) CA ${keyDescription(cert.signatureKey, config.fingerprintHash)}`;
        const verdict = checkCertificateFor(cert, pw, config, description);
        if (verdict) return verdict;
      }
      for (const file of authorizedFiles(pw, config)) {
        if (config.strictModes) {
          const problem = strictModesProblem(file, pw);
          if (problem) {
            log.info(`Authentication refused: ${problem}`);
            continue;
          }
        }
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch {
          log.debug(`Could not open user '${pw.name}' authorized keys '${file}': No such file or directory`);
          continue;
        }
        const { keys } = parseAuthorizedKeys(text);
        for (const k of keys) {
          // auth2-pubkeyfile.c: a certificate matches a cert-authority line naming its CA; a plain key its own line.
          if (cert ? !k.restrictions.certAuthority || !Buffer.from(k.blob).equals(Buffer.from(cert.signatureKey)) : k.restrictions.certAuthority || !Buffer.from(k.blob).equals(Buffer.from(check.keyBlob))) continue;
          const r = k.restrictions;
          if (cert) {
            const principals = r.principals !== undefined ? r.principals.split(",") : [pw.name];
            const problem = certProblem(cert, principals, peer.remoteAddress);
            if (problem) {
              log.error(problem);
              continue;
            }
          }
          if (r.from !== undefined && addrMatchList(peer.remoteAddress, r.from) !== 1 && matchPatternList(peer.remoteAddress, r.from) !== 1) {
            log.info(`Authentication tried for ${pw.name} with correct key but not from a permitted host (host=${peer.remoteAddress}, ip=${peer.remoteAddress}).`);
            continue;
          }
          if (r.expiryTime !== undefined && expired(r.expiryTime)) {
            log.info(`${file}:${k.line}: entry expired`);
            continue;
          }
          log.debug(`${file}:${k.line}: matching key found: ${description}`);
          const grant: KeyGrant = { restrictions: r, file, line: k.line };
          return { allowed: true, description, attachment: grant };
        }
      }
      return { allowed: false, description };
    },

    async checkPassword(who: AuthUser, password: Uint8Array): Promise<PasswordVerdict> {
      const { pw, config } = setup(who.user);
      // auth-passwd.c: root may use a password only with PermitRootLogin yes; the check still runs to keep timing alike.
      const rootRefused = pw?.uid === 0 && config.permitRootLogin !== "yes";
      if (base.usePam) {
        // auth-passwd.c: an empty password fails first without PermitEmptyPasswords; then sshpam_auth_passwd, which
        // gives PAM junk of the same length for an invalid user or a refused root.
        if (password.length === 0 && !config.permitEmptyPasswords) return { result: "failure" };
        const honest = who.valid && !rootRefused;
        const r = await pamFor(who.user).authenticatePassword(honest ? password : fakePassword(password.length), config.permitEmptyPasswords ? 0 : PAM_DISALLOW_NULL_AUTHTOK);
        if (r.rc === PAM_SUCCESS && honest) {
          log.debug(`PAM: password authentication accepted for ${who.user}`);
        } else {
          if (r.rc === -1) log.error(`PAM: ${r.text}`);
          log.debug(`PAM: password authentication failed for ${who.valid ? who.user : "an illegal user"}: ${r.text}`);
          return { result: "failure" };
        }
        const acct = await pamFor(who.user).account();
        return { result: acct.rc === PAM_SUCCESS || acct.rc === PAM_NEW_AUTHTOK_REQD ? "success" : "failure" };
      }
      const ok = await passwordMatches(password, pw ? shadowHash(pw.name) : undefined, config.permitEmptyPasswords);
      if (rootRefused && ok) log.info(`ROOT LOGIN REFUSED FROM ${peer.remoteAddress} port ${peer.remotePort}`);
      return { result: ok && !rootRefused && who.valid ? "success" : "failure" };
    },

    async startKeyboardInteractive(who: AuthUser, submethods: string): Promise<KbdIntDialog | null> {
      const { pw, config } = setup(who.user);
      // auth2-chall.c kbdint_alloc: the only device on Linux is PAM's, and only with UsePAM; a client's submethods
      // list (KbdInteractiveDevices) must name it exactly (kbdint_next_device).
      if (!base.usePam) {
        log.debug("auth2_challenge_start: no devices");
        return null;
      }
      if (submethods !== "" && !submethods.split(",").includes("pam")) return null;
      const rootRefused = pw?.uid === 0 && config.permitRootLogin !== "yes";
      return pamKbdIntDialog(pamFor(who.user), who, { usePassword: who.valid && !rootRefused, permitEmptyPasswords: config.permitEmptyPasswords, log });
    },

    async verifySignature(check: SignatureCheck): Promise<boolean> {
      // A certificate signs with its certified key: the plain blob and the plain algorithm name (PROTOCOL.certkeys).
      let blob = check.keyBlob;
      let alg = check.algorithm;
      if (alg.endsWith("-cert-v01@openssh.com")) {
        try {
          blob = parseCertificate(check.keyBlob).publicKeyBlob;
        } catch {
          return false;
        }
        alg = alg.slice(0, -"-cert-v01@openssh.com".length);
      }
      return verifySignature(alg, blob, check.data, check.signature);
    },
  } satisfies ConnectionAuthPolicy;
}

/** Why a user certificate cannot log in with these principals from `addr` (OpenSSH's wording), or null. */
function certProblem(cert: Certificate, principals: readonly string[], addr: string): string | null {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const base = checkCertificate(cert, { certType: SSH2_CERT_TYPE_USER, now });
  if (base) return base;
  if (cert.principals.length > 0 && !principals.some((p) => cert.principals.includes(p))) return "Certificate invalid: name is not a listed principal";
  for (const o of cert.criticalOptions) {
    if (o.name === "source-address") {
      const list = optionString(o);
      if (list === null || addrMatchList(addr, list) !== 1) return `cert: Authentication tried for user with valid certificate but not from a permitted source address (${addr}).`;
    } else if (o.name !== "force-command" && o.name !== "verify-required") {
      return `Certificate has unsupported critical option ${o.name}`;
    }
  }
  return null;
}

/** A certificate's critical options and extensions as authorized_keys-style restrictions. */
function certGrant(cert: Certificate): KeyGrant {
  const ext = new Set(cert.extensions.map((e) => e.name));
  const force = cert.criticalOptions.find((o) => o.name === "force-command");
  return {
    file: "certificate",
    line: 0,
    restrictions: {
      permitPortForwarding: ext.has("permit-port-forwarding"), permitAgentForwarding: ext.has("permit-agent-forwarding"),
      permitX11Forwarding: ext.has("permit-X11-forwarding"), permitPty: ext.has("permit-pty"), permitUserRc: ext.has("permit-user-rc"),
      certAuthority: false, noTouchRequired: ext.has("no-touch-required"), verifyRequired: cert.criticalOptions.some((o) => o.name === "verify-required"),
      command: force ? (optionString(force) ?? undefined) : undefined, from: undefined, principals: undefined, expiryTime: undefined,
      tunnel: undefined, environment: [], permitOpen: [], permitListen: [],
    },
  };
}

/** AuthorizedPrincipalsFile (tokens %h %u %U): one principal per line, comments and blanks skipped. */
function readPrincipals(template: string, pw: Passwd): string[] {
  const path = expandSshdTokens("AuthorizedPrincipalsFile", template, { h: pw.home, u: pw.name, U: String(pw.uid) });
  try {
    return readFileSync(isAbsolute(path) ? path : join(pw.home, path), "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  } catch {
    return [];
  }
}

/** auth-options.c: expiry-time="YYYYMMDD[HHMM[SS]]" in local time. */
function expired(spec: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$/.exec(spec);
  if (!m) return true;
  const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  return t.getTime() < Date.now();
}

/** The session policy once a user is in (session.c do_setup_env, do_exec; authorized_keys options). */
export function serverSessionPolicy(opts: {
  readonly config: SshdConfig;
  readonly pw: Passwd;
  readonly peer: PeerInfo;
  readonly grant: KeyGrant | undefined;
  /** internal-sftp for this user, with its argv (`internal-sftp -l INFO …` split as session.c does). */
  readonly internalSftp: (pw: Passwd, config: SshdConfig, args: readonly string[]) => SubsystemTarget;
  /** The expanded, checked ChrootDirectory (root mode). */
  readonly chroot?: string;
  /** sshd runs as root (sessions switch to the user; logins are recorded). */
  readonly privileged?: boolean;
  /** sshd -d. */
  readonly debug?: boolean;
  /** The auth layer's ExposeAuthInfo text (one line per method). */
  readonly authInfo?: string;
  readonly log?: Logger;
}): SessionPolicy {
  const { config, pw, peer, grant } = opts;
  // ExposeAuthInfo (session.c prepare_auth_info_file): a private temporary file named by SSH_USER_AUTH, removed at the end.
  let authDir: string | undefined;
  let authFile: string | undefined;
  if (config.exposeAuthInfo && opts.authInfo !== undefined) {
    try {
      authDir = mkdtempSync("/tmp/sshauth.");
      authFile = `${authDir}/info`;
      writeFileSync(authFile, opts.authInfo, { mode: 0o600 });
      if (process.getuid?.() === 0) {
        chownSync(authDir, pw.uid, pw.gid);
        chownSync(authFile, pw.uid, pw.gid);
      }
    } catch (e) {
      opts.log?.error(`prepare_auth_info_file: ${(e as Error).message}`);
      authFile = undefined;
    }
  }
  const env: Record<string, string> = {
    SSH_CLIENT: `${peer.remoteAddress} ${peer.remotePort} ${peer.localPort}`,
    SSH_CONNECTION: `${peer.remoteAddress} ${peer.remotePort} ${peer.localAddress} ${peer.localPort}`,
  };
  if (authFile) env.SSH_USER_AUTH = authFile;
  // SetEnv: the first value of a name wins (servconf.c), and it wins over the client's env requests (session.c).
  const overrideEnv: Record<string, string> = {};
  for (const e of config.setEnv) {
    const eq = e.indexOf("=");
    if (eq > 0 && !(e.slice(0, eq) in overrideEnv)) overrideEnv[e.slice(0, eq)] = e.slice(eq + 1);
  }
  if (grant && config.permitUserEnvironment !== false) {
    for (const e of grant.restrictions.environment) {
      const eq = e.indexOf("=");
      if (eq <= 0) continue;
      const name = e.slice(0, eq);
      if (typeof config.permitUserEnvironment === "string" && matchPatternList(name, config.permitUserEnvironment) !== 1) continue;
      env[name] = e.slice(eq + 1);
    }
  }
  const forced = config.forceCommand ?? grant?.restrictions.command;
  const readText = (path: string): string | undefined => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  };
  // session.c check_quietlogin: ~/.hushlogin silences the last login and the motd.
  // With ChrootDirectory, OpenSSH's post-auth process is already jailed when it looks for these files.
  const jailed = (path: string): string => (opts.chroot !== undefined ? join(opts.chroot, path) : path);
  const hushed = existsSync(jailed(join(pw.home, ".hushlogin")));
  const motd = config.printMotd && !hushed ? readText(jailed("/etc/motd")) : undefined;
  const nologin = pw.uid !== 0 ? readText(jailed("/etc/nologin")) : undefined;
  return {
    user: { name: pw.name, uid: pw.uid, gid: pw.gid, home: pw.home, shell: pw.shell || "/bin/sh" },
    baseEnv: env,
    overrideEnv,
    acceptEnv: (name) => config.acceptEnv.some((p) => matchPattern(name, p)),
    subsystem: (name) => {
      const s = config.subsystem.find((x) => x.name === name);
      if (!s) return undefined;
      if (s.command === "internal-sftp") return opts.internalSftp(pw, config, argvSplit(s.args || s.command));
      return { kind: "command", command: s.args || s.command };
    },
    ...(forced !== undefined && forced !== null ? { forceCommand: forced } : {}),
    permitPty: config.permitTty && (grant?.restrictions.permitPty ?? true),
    ...(motd !== undefined ? { motd } : {}),
    ...(nologin !== undefined ? { nologin } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.chroot !== undefined ? { chroot: opts.chroot } : {}),
    // session.c do_rc_files: no ~/.ssh/rc under an sshd_config ForceCommand, PermitUserRC no, or the key's no-user-rc.
    userRc: config.permitUserRc && config.forceCommand == null && (grant?.restrictions.permitUserRc ?? true),
    switchUser: opts.privileged === true,
    debug: opts.debug === true,
    ...(config.usePam ? { pam: { rhost: peer.remoteAddress } } : {}),
    remoteId: `user ${pw.name} ${peer.remoteAddress} port ${peer.remotePort}`,
    channelTimeouts: config.channelTimeout,
    unusedConnectionTimeoutSeconds: config.unusedConnectionTimeout,
    lastLogMessage: () => (config.printLastLog && !hushed ? lastLoginMessage(readLastLog(pw.uid)) : undefined),
    recordLogin: (tty, pid) => {
      // sshlogin.c record_login at pty allocation: lastlog (unprivileged sshd: a debug line, the open fails), utmp and
      // wtmp (root mode only: an unprivileged sshd would log "problem writing" for every pty); record_logout at the end.
      const log = opts.log ?? silentLogger;
      const now = Date.now();
      writeLastLog(pw.uid, tty, peer.remoteAddress, Math.floor(now / 1000), log);
      if (opts.privileged !== true) return undefined;
      const login: LoginRecord = { type: "login", pid, tty, user: pw.name, host: peer.remoteAddress, address: peer.remoteAddress, ms: now };
      void writeUtmp(login);
      appendWtmp(login, log);
      return () => {
        const logout: LoginRecord = { ...login, type: "logout", ms: Date.now() };
        void writeUtmp(logout);
        appendWtmp(logout, log);
      };
    },
    internalSftp: (args) => opts.internalSftp(pw, config, args),
    peer: { address: peer.remoteAddress, port: peer.remotePort },
    forwarding: forwardingPolicy({ config, key: grant?.restrictions, actsForOtherUser: opts.privileged === true && pw.uid !== 0, ...(opts.log ? { log: opts.log } : {}) }),
    dispose: () => {
      if (authDir) rmSync(authDir, { recursive: true, force: true });
    },
  };
}
