// `ssh-keygen` (ssh-keygen.c, OpenSSH 10.5): key generation, fingerprints, format conversion, passphrase and comment
// changes, known_hosts tools, host key generation (-A) and certificates (-s, -L). Messages are OpenSSH's, byte for byte;
// fatal() and error() lines end in "\r\n" on stderr as OpenSSH's log.c writes them.
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync, chmodSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createPublicKey, randomBytes } from "node:crypto";
import { hostname as osHostname } from "node:os";
import { dirname, join } from "node:path";
import { isatty } from "../core/process/tty.ts";
import { GetoptError } from "./getopt.ts";
import { parseCommandLine } from "./command-line.ts";
import { usageError, type ProgramModule, type ProgramContext } from "./pending.ts";
import {
  KeyFormatError, bubbleBabble, describePublicKey, fingerprint, fingerprintDigest, fingerprintHashName,
  formatCertValidity, formatPrivateKey, formatPublicKeyLine, formatRfc4716, generatePrivateKey, hashHostname, hostMatches,
  isRfc4716, KEY_FILE_CIPHERS, loadPrivateKey, optionString, parseCertificate, parseKnownHosts, parsePublicKeyLine,
  parseRfc4716, plainKeyBlob, publicKeyFromPrivateFile, randomArt, certificateToBeSigned, finishCertificate, withComment, signWith,
  keyObjectFromBlob, blobFromKeyObject, SSH2_CERT_TYPE_HOST, SSH2_CERT_TYPE_USER, CERT_FOREVER,
  type FingerprintHash, type LoadedPrivateKey, type PrivateKey, type PrivateKeyFormat,
} from "../core/keys/index.ts";
import {
  allowedSignerMatches, armorSshsig, assembleSshsig, sshsigToBeSigned, dearmorSshsig, findSignerPrincipals, matchSignerPrincipals, parseAllowedSigners,
  parseSshsig, verifySshsigAsync, type AllowedSigner, type SshsigHash,
} from "../core/keys/sshsig.ts";
import {
  formatKrl, krlRevokeExplicit, krlRevokeHash, krlRevokeKey, krlRevokeKeyId, krlRevokes, krlRevokeSerialRange, newKrl, parseKrl,
  revokedKeysFileRevokes, formatKrlDump, type Krl,
} from "../core/keys/krl.ts";
import { isSshComPrivateKey, parseSshComPrivateKey } from "../core/keys/ssh-com.ts";
import { signAsync } from "../core/keys/mldsa.ts";
import { VERSION_LINE } from "../core/version.ts";
import { generationKind, keygenHome, loginName } from "./ssh-keygen-quick.ts";

/** Ends the program with a status (fatal() is 255). */
class Exit extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

type ConvertFormat = "RFC4716" | "PKCS8" | "PEM";

interface Options {
  quiet: boolean;
  verbose: number;
  bits: number;
  rounds: number | undefined;
  comment: string | undefined;
  file: string | undefined;
  passphrase: string | undefined; // -P
  newPassphrase: string | undefined; // -N
  type: string | undefined;
  hash: FingerprintHash;
  format: ConvertFormat | undefined;
  privateFormat: PrivateKeyFormat;
  cipher: string | undefined;
  opts: string[];
  // Actions.
  A: boolean; B: boolean; c: boolean; e: boolean; H: boolean; i: boolean; k: boolean; K: boolean; l: boolean; L: boolean;
  p: boolean; Q: boolean; u: boolean; y: boolean; h: boolean; U: boolean; g: boolean;
  F: string | undefined; R: string | undefined; r: string | undefined; s: string | undefined; D: string | undefined;
  I: string | undefined; n: string | undefined; V: string | undefined; z: string | undefined; M: string | undefined;
  Y: string | undefined; w: string | undefined;
}

const SSH_DIR = ".ssh";

/** The running program: its options, its words, and the helpers every action shares. */
class Keygen {
  constructor(
    readonly ctx: ProgramContext,
    readonly o: Options,
    readonly operands: string[],
  ) {}

  out(s: string): void {
    this.ctx.io.out(s);
  }
  /** log.c error(): always shown, "\r\n" line end on stderr. */
  error(s: string): void {
    this.ctx.io.err(`${s}\r\n`);
  }
  /** log.c logit(): suppressed by -q. */
  logit(s: string): void {
    if (!this.o.quiet) this.ctx.io.err(`${s}\r\n`);
  }
  fatal(s: string): never {
    this.error(s);
    throw new Exit(255);
  }
  /** fatal_r(): `msg: ssherr text`. */
  fatalKey(prefix: string, e: unknown): never {
    if (e instanceof KeyFormatError) this.fatal(`${prefix}: ${e.message}`);
    if (e instanceof Exit) throw e;
    this.fatal(`${prefix}: ${(e as Error).message}`);
  }

  get home(): string {
    return keygenHome();
  }
  get user(): string {
    let passwd: string | null = null;
    try {
      passwd = readFileSync("/etc/passwd", "utf8");
    } catch {
      // no passwd file
    }
    return loginName(passwd);
  }
  get hostname(): string {
    return osHostname();
  }

  // ---- reading from the user -------------------------------------------------------------------------------------

  /** One line from stdin without its newline; null at end of input. */
  readLine(): string | null {
    const bytes: number[] = [];
    const one = Buffer.alloc(1);
    for (;;) {
      let n: number;
      try {
        n = readSync(0, one, 0, 1, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
        n = 0;
      }
      if (n === 0) return bytes.length === 0 ? null : Buffer.from(bytes).toString("utf8");
      if (one[0] === 0x0a) return Buffer.from(bytes).toString("utf8").replace(/\r$/, "");
      bytes.push(one[0]!);
    }
  }

  /**
   * readpass.c read_passphrase(prompt, RP_ALLOW_STDIN): on a terminal, the prompt goes to it and echo is off; otherwise
   * the prompt goes to stderr and a line is read from stdin. End of input gives "".
   */
  readPassphrase(prompt: string): string {
    // readpass.c: SSH_ASKPASS_REQUIRE=force runs $SSH_ASKPASS with the prompt; "prefer" does when a display is set.
    const require = (process.env.SSH_ASKPASS_REQUIRE ?? "").toLowerCase();
    const display = process.env.DISPLAY !== undefined || process.env.WAYLAND_DISPLAY !== undefined;
    if (require === "force" || (require === "prefer" && display)) {
      const askpass = process.env.SSH_ASKPASS ?? "/usr/bin/ssh-askpass";
      const r = spawnSync(askpass, [prompt], { stdio: ["ignore", "pipe", "inherit"] });
      if (r.status !== 0 || r.stdout === null) return "";
      return r.stdout.toString("utf8").replace(/\r?\n[\s\S]*$/, "");
    }
    if (isatty(0)) {
      let tty = -1;
      try {
        tty = openSync("/dev/tty", "r+");
      } catch {
        tty = -1;
      }
      const fd = tty >= 0 ? tty : 2;
      writeSync(fd, prompt);
      const stty = (arg: string): void => void spawnSync("stty", [arg], { stdio: [tty >= 0 ? tty : 0, "ignore", "ignore"] });
      stty("-echo");
      try {
        return this.readLine() ?? "";
      } finally {
        stty("echo");
        writeSync(fd, "\n");
        if (tty >= 0) closeSync(tty);
      }
    }
    this.ctx.io.err(prompt);
    return this.readLine() ?? "";
  }

  /** ask_filename(): prompts on stdout with the default for the key type; end of input exits 1. */
  askFilename(prompt: string): string {
    const names: Record<string, string> = {
      ed25519: "id_ed25519", rsa: "id_rsa", ecdsa: "id_ecdsa", "ecdsa-sk": "id_ecdsa_sk", "ed25519-sk": "id_ed25519_sk",
      mldsa: "id_mldsa44_ed25519",
    };
    const t = (this.o.type ?? "ed25519").toLowerCase();
    const kind = t.includes("mldsa") ? "mldsa" : t.includes("ecdsa-sk") || t.startsWith("sk-ecdsa") ? "ecdsa-sk" : t.includes("ed25519-sk") || t.startsWith("sk-ssh-ed25519") ? "ed25519-sk" : t.includes("ecdsa") ? "ecdsa" : t.includes("rsa") ? "rsa" : "ed25519";
    const def = join(this.home, SSH_DIR, names[kind]!);
    this.out(`${prompt} (${def}): `);
    const line = this.readLine();
    if (line === null) throw new Exit(1);
    const chosen = line === "" ? def : line;
    this.o.file = chosen;
    return chosen;
  }

  /** The -f file, or the one the user names at the prompt. */
  identityFile(prompt = "Enter file in which the key is"): string {
    return this.o.file ?? this.askFilename(prompt);
  }

  // ---- files ----------------------------------------------------------------------------------------------------

  /** stat() or fatal("path: strerror"). */
  mustExist(path: string, withProgname = false): void {
    try {
      statSync(path);
    } catch (e) {
      const msg = strerror(e);
      this.fatal(withProgname ? `${this.ctx.progname}: ${path}: ${msg}` : `${path}: ${msg}`);
    }
  }

  /** Writes `data` next to `path` and renames it into place, so no half-written file is ever seen. */
  writeAtomic(path: string, data: string | Uint8Array, mode: number): void {
    const tmp = `${path}.${randomBytes(5).toString("hex")}`;
    try {
      writeFileSync(tmp, data, { mode, flag: "wx" });
      chmodSync(tmp, mode);
      renameSync(tmp, path);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // not created
      }
      throw e;
    }
  }

  /** authfile.c sshkey_perm_ok(): a private key readable by others is refused when it is ours. */
  permOk(path: string): boolean {
    let st;
    try {
      st = statSync(path);
    } catch {
      return true;
    }
    if (st.uid === process.getuid?.() && (st.mode & 0o077) !== 0) {
      this.error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
      this.error("@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @");
      this.error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
      this.error(`Permissions 0${(st.mode & 0o777).toString(8).padStart(3, "0")} for '${path}' are too open.`);
      this.error("It is required that your private key files are NOT accessible by others.");
      this.error("This private key will be ignored.");
      return false;
    }
    return true;
  }

  /** sshkey_load_private(path, pass): throws KeyFormatError, or a "bad permissions" one. */
  loadPrivate(path: string, pass: string): LoadedPrivateKey {
    if (!this.permOk(path)) throw new BadPermissions();
    return loadPrivateKey(readFileSync(path), pass);
  }

  /** load_identity(): empty passphrase first, then -P or a prompt. */
  loadIdentity(path: string): LoadedPrivateKey {
    try {
      return this.loadPrivate(path, "");
    } catch (e) {
      if (!(e instanceof KeyFormatError && e.kind === "wrong-passphrase")) this.fatalKey(`Load key "${path}"`, e);
    }
    const pass = this.o.passphrase ?? this.readPassphrase(`Enter passphrase for "${path}": `);
    try {
      return this.loadPrivate(path, pass);
    } catch (e) {
      this.fatalKey(`Load key "${path}"`, e);
    }
  }

  /**
   * sshkey_load_public(): the file as a public key, else `path.pub`, else the clear public part of an openssh-key-v1
   * file. Null when none works.
   */
  loadPublic(path: string): { blob: Uint8Array; comment: string } | null {
    const tryText = (p: string): { blob: Uint8Array; comment: string } | null => {
      let text: string;
      try {
        text = readFileSync(p, "utf8");
      } catch {
        return null;
      }
      for (const line of text.split("\n")) {
        const s = line.trim();
        if (s === "" || s.startsWith("#")) continue;
        try {
          const k = parsePublicKeyLine(s);
          return { blob: k.blob, comment: k.comment };
        } catch {
          return null;
        }
      }
      return null;
    };
    const direct = tryText(path);
    if (direct) return direct;
    const pub = tryText(`${path}.pub`);
    if (pub) return pub;
    try {
      const blob = publicKeyFromPrivateFile(readFileSync(path));
      if (blob) return { blob, comment: "" };
    } catch {
      // unreadable
    }
    return null;
  }

  // ---- fingerprints ---------------------------------------------------------------------------------------------

  fingerprintLine(blob: Uint8Array, comment: string | null): void {
    const info = describePublicKey(blob);
    const plain = plainKeyBlob(blob);
    const fp = this.o.B ? bubbleBabble(fingerprintDigest(plain, "sha1")) : fingerprint(plain, this.o.hash);
    this.out(`${info.bits} ${fp} ${comment ?? "no comment"} (${info.row.label})\n`);
    if (this.o.verbose > 0) this.out(`${this.randomArtOf(blob)}\n`);
  }

  randomArtOf(blob: Uint8Array): string {
    const info = describePublicKey(blob);
    return randomArt(fingerprintDigest(plainKeyBlob(blob), this.o.hash), fingerprintHashName(this.o.hash), info.row.label, info.bits);
  }

  /** do_fingerprint(): every key in the file (public keys, authorized_keys, known_hosts lines), or one private key. */
  doFingerprint(): never {
    const file = this.identityFile();
    const stdin = file === "-";
    const path = stdin ? "(stdin)" : file;
    let text: string;
    try {
      text = stdin ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
    } catch (e) {
      this.fatal(`${this.ctx.progname}: ${path}: ${strerror(e)}`);
    }
    let invalid = true;
    const lines = text.split("\n");
    for (let n = 0; n < lines.length; n++) {
      let cp = lines[n]!.replace(/[\r\n].*$/, "").replace(/^[ \t]+/, "");
      if (cp === "" || cp.startsWith("#")) continue;
      if (n === 0 && !stdin && cp.includes("PRIVATE KEY")) this.fingerprintPrivate(file);
      let comment: string | null = null;
      let key = tryKey(cp);
      if (key === null) {
        const num = /^(\d+)[ \t]/.exec(cp);
        if (num === null || Number(num[1]) === 0) {
          // Skip a host name list or key options (quotes may hold spaces).
          let quoted = false;
          let i = 0;
          for (; i < cp.length && (quoted || (cp[i] !== " " && cp[i] !== "\t")); i++) {
            if (cp[i] === "\\" && cp[i + 1] === '"') i++;
            else if (cp[i] === '"') quoted = !quoted;
          }
          if (i >= cp.length) continue;
          comment = cp.slice(0, i);
          cp = cp.slice(i + 1);
        }
        key = tryKey(cp);
        if (key === null) continue;
      }
      if (key.comment !== "" && !key.comment.startsWith("#")) comment = key.comment;
      this.fingerprintLine(key.blob, comment);
      invalid = false;
    }
    if (invalid) this.fatal(`${path} is not a public key file.`);
    throw new Exit(0);
  }

  fingerprintPrivate(path: string): never {
    this.mustExist(path);
    let pub = this.loadPublic(path);
    let comment = pub?.comment ?? "";
    if (pub === null || comment === "") {
      try {
        const k = loadPrivateKey(readFileSync(path));
        comment = k.comment;
        pub ??= { blob: k.publicKeyBlob, comment };
      } catch {
        // encrypted or unreadable: the public part alone will do
      }
    }
    if (pub === null) this.fatal(`${path} is not a key file.`);
    this.fingerprintLine(pub.blob, comment === "" ? null : comment);
    throw new Exit(0);
  }

  // ---- -y, -p, -c, -e, -i ---------------------------------------------------------------------------------------

  doPrintPublic(): never {
    const path = this.identityFile();
    this.mustExist(path);
    const k = this.loadIdentity(path);
    this.out(`${formatPublicKeyLine(k.publicKeyBlob, k.comment)}\n`);
    throw new Exit(0);
  }

  /** Saves a private key as sshkey_save_private, in the format/cipher/rounds the options ask for. */
  savePrivate(path: string, key: PrivateKey, passphrase: string): void {
    let text: string;
    try {
      text = formatPrivateKey(key, { format: this.o.privateFormat, passphrase, cipher: this.o.cipher, rounds: this.o.rounds });
    } catch (e) {
      this.error(`Saving key "${path}" failed: ${e instanceof KeyFormatError ? e.message : (e as Error).message}`);
      throw new Exit(1);
    }
    try {
      this.writeAtomic(path, text, 0o600);
    } catch (e) {
      this.error(`Saving key "${path}" failed: ${strerror(e)}`);
      throw new Exit(1);
    }
  }

  savePublic(path: string, blob: Uint8Array, comment: string): void {
    try {
      this.writeAtomic(path, `${formatPublicKeyLine(blob, comment)}\n`, 0o644);
    } catch (e) {
      this.fatal(`Unable to save public key to ${path}: ${strerror(e)}`);
    }
  }

  doChangePassphrase(): never {
    const path = this.identityFile();
    this.mustExist(path);
    let key: LoadedPrivateKey;
    try {
      key = this.loadPrivate(path, "");
    } catch (e) {
      if (!(e instanceof KeyFormatError && e.kind === "wrong-passphrase")) this.fatalKey(`Failed to load key ${path}`, e);
      const old = this.o.passphrase ?? this.readPassphrase("Enter old passphrase: ");
      try {
        key = this.loadPrivate(path, old);
      } catch (e2) {
        this.fatalKey(`Failed to load key ${path}`, e2);
      }
    }
    // sshkey_load_private gives PEM keys no comment; OpenSSH prints what it has.
    if (key.format === "openssh") this.out(`Key has comment '${key.comment}'\n`); // PEM keys carry none (comment NULL)
    if (this.o.opts.length > 0 && !key.type.startsWith("sk-")) this.fatal(`FIDO-specific option requested for non-FIDO key ${path}`);
    let pass: string;
    if (this.o.newPassphrase !== undefined) pass = this.o.newPassphrase;
    else {
      pass = this.readPassphrase("Enter new passphrase (empty for no passphrase): ");
      const again = this.readPassphrase("Enter same passphrase again: ");
      if (pass !== again) {
        this.out("Pass phrases do not match.  Try again.\n");
        throw new Exit(1);
      }
    }
    this.savePrivate(path, key, pass);
    this.out("Your identification has been saved with the new passphrase.\n");
    throw new Exit(0);
  }

  doChangeComment(): never {
    const path = this.identityFile();
    this.mustExist(path);
    let key: LoadedPrivateKey;
    let pass = "";
    try {
      key = this.loadPrivate(path, "");
    } catch (e) {
      if (!(e instanceof KeyFormatError && e.kind === "wrong-passphrase")) this.fatalKey(`Cannot load private key "${path}"`, e);
      pass = this.o.passphrase ?? this.o.newPassphrase ?? this.readPassphrase("Enter passphrase: ");
      try {
        key = this.loadPrivate(path, pass);
      } catch (e2) {
        this.fatalKey(`Cannot load private key "${path}"`, e2);
      }
    }
    if (key.type !== "ssh-ed25519" && this.o.privateFormat !== "openssh") {
      this.error("Comments are only supported for keys stored in the new format (-o).");
      throw new Exit(1);
    }
    const hadComment = key.format === "openssh";
    if (hadComment) this.out(`Old comment: ${key.comment}\n`);
    else this.out("No existing comment\n");
    let comment = this.o.comment;
    if (comment === undefined) {
      this.out("New comment: ");
      const line = this.readLine();
      if (line === null) throw new Exit(1);
      comment = line;
    }
    if (hadComment && key.comment === comment) {
      this.out("No change to comment\n");
      throw new Exit(0);
    }
    this.savePrivate(path, withComment(key, comment), pass);
    this.savePublic(`${path}.pub`, key.publicKeyBlob, comment);
    this.out(comment.length > 0 ? `Comment '${comment}' applied\n` : "Comment removed\n");
    throw new Exit(0);
  }

  doConvertTo(): never {
    const path = this.identityFile();
    this.mustExist(path, true);
    let blob: Uint8Array;
    const pub = this.loadPublicExact(path);
    if (pub !== null) blob = pub;
    else blob = this.loadIdentity(path).publicKeyBlob;
    const info = describePublicKey(blob);
    switch (this.o.format ?? "RFC4716") {
      case "RFC4716": {
        const comment = `${info.bits}-bit ${info.row.label}, converted by ${this.user}@${this.hostname} from OpenSSH`.slice(0, 60);
        this.out(formatRfc4716(blob, comment));
        break;
      }
      case "PKCS8":
      case "PEM": {
        if (info.row.certificate || !(info.type === "ssh-rsa" || info.type.startsWith("ecdsa-"))) this.fatal(`unsupported key type ${info.row.label}`);
        const ko = keyObjectFromBlob(blob);
        const pkcs1 = this.o.format === "PEM" && info.type === "ssh-rsa";
        this.out(String(ko.export({ type: pkcs1 ? "pkcs1" : "spki", format: "pem" })));
        break;
      }
    }
    throw new Exit(0);
  }

  /** sshkey_load_public(path) without the `.pub` fallback used by -e: the file itself, or a private file's clear part. */
  loadPublicExact(path: string): Uint8Array | null {
    const p = this.loadPublic(path);
    return p?.blob ?? null;
  }

  doConvertFrom(): never {
    const path = this.identityFile();
    this.mustExist(path, true);
    const text = readFileSync(path, "utf8");
    const format = this.o.format ?? "RFC4716";
    let blob: Uint8Array | null = null;
    try {
      if (format === "RFC4716") {
        if (isSshComPrivateKey(text)) {
          // do_convert_from: a private ssh.com key comes out as PEM (PEM_write_RSAPrivateKey).
          this.out(formatPrivateKey(parseSshComPrivateKey(text), { format: "pem" }));
          throw new Exit(0);
        }
        if (!isRfc4716(text)) this.fatal("do_convert_from_ssh2: base64 decode: invalid format");
        blob = parseRfc4716(text).blob;
      } else if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(text)) {
        const ko = createPublicKey({ key: text, format: "pem", type: /BEGIN RSA PUBLIC/.test(text) ? "pkcs1" : "spki" });
        blob = blobFromKeyObject(ko);
      } else if (/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(text)) {
        // A private PEM key is converted to an OpenSSH private key on stdout (do_convert_from_pem/pkcs8).
        const k = loadPrivateKey(Buffer.from(text));
        this.out(formatPrivateKey(k, { format: "pem" }));
        throw new Exit(0);
      }
    } catch (e) {
      if (e instanceof Exit) throw e;
      this.fatal("key write failed");
    }
    if (blob === null) this.fatal(`${path}: unrecognised format`);
    this.out(`${formatPublicKeyLine(blob)}\n`);
    throw new Exit(0);
  }

  // ---- known_hosts --------------------------------------------------------------------------------------------

  doKnownHosts(): never {
    const file = this.o.file ?? join(this.home, SSH_DIR, "known_hosts");
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch (e) {
      this.fatal(`Cannot stat ${file}: ${strerror(e)}`);
    }
    const find = this.o.F !== undefined;
    const del = this.o.R !== undefined;
    const hash = this.o.H;
    const host = this.o.F ?? this.o.R;
    const text = readFileSync(file, "utf8");
    const parsed = parseKnownHosts(text);
    const byLine = new Map(parsed.entries.map((e) => [e.line, e]));
    const invalidLines = new Set(parsed.skipped.map((s) => s.line));
    const out: string[] = [];
    let found = false;
    let invalid = false;
    let hasUnhashed = false;
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    const matches = (e: { hosts: string; hashed: boolean }): boolean => host !== undefined && matchesLookup(e, host);
    const hashLine = (n: number, line: string): void => {
      const e = byLine.get(n);
      if (e === undefined) {
        if (invalidLines.has(n)) {
          invalid = true;
          this.logit(`${file}:${n}: invalid line`);
        }
        out.push(line);
        return;
      }
      const wild = /[*?!]/.test(e.hosts);
      if (e.hashed || wild || e.marker !== "none") {
        out.push(line);
        if (wild && !find) this.logit(`${file}:${n}: ignoring host name with wildcard: ${e.hosts.slice(0, 64)}`);
        return;
      }
      const rawKey = line.replace(/^[ \t]*/, "").slice(e.hosts.length).replace(/^[ \t]+/, "");
      for (const h of e.hosts.split(",")) {
        if (h === "") break;
        out.push(`${hashHostname(h.toLowerCase())} ${rawKey}`);
        hasUnhashed = true;
      }
    };
    lines.forEach((line, i) => {
      const n = i + 1;
      if (hash && !find) return hashLine(n, line);
      const e = byLine.get(n);
      const matched = e !== undefined && matches(e);
      if (matched && del) {
        if (e.marker !== "none") out.push(line);
        else {
          found = true;
          if (!this.o.quiet) this.out(`# Host ${host} found: line ${n}\n`);
        }
      } else if (matched && find) {
        found = true;
        if (!this.o.quiet) this.out(`# Host ${host} found: line ${n} ${e.marker === "cert-authority" ? "CA" : e.marker === "revoked" ? "REVOKED" : ""}\n`);
        if (hash) {
          const before = out.length;
          hashLine(n, line);
          for (const l of out.splice(before)) this.out(`${l}\n`);
        } else if (this.o.l) {
          const plain = plainKeyBlob(e.blob);
          const fp = this.o.B ? bubbleBabble(fingerprintDigest(plain, "sha1")) : fingerprint(plain, this.o.hash);
          this.out(`${host} ${describePublicKey(e.blob).row.label} ${fp}${e.comment ? " " : ""}${e.comment}\n`);
          if (this.o.verbose > 0) this.out(`${this.randomArtOf(e.blob)}\n`);
        } else this.out(`${line}\n`);
      } else if (del) {
        if (e === undefined && invalidLines.has(n)) {
          invalid = true;
          this.logit(`${file}:${n}: invalid line`);
        }
        out.push(line);
      }
    });
    const inplace = !find && (hash || del);
    if (invalid) {
      this.error(`${file} is not a valid known_hosts file.`);
      if (inplace) this.error("Not replacing existing known_hosts file because of errors");
      throw new Exit(1);
    }
    if (del && !found) {
      this.logit(`Host ${host} not found in ${file}`);
    } else if (inplace) {
      const old = `${file}.old`;
      try {
        unlinkSync(old);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") this.fatal(`unlink ${old.slice(0, 100)}: ${strerror(e)}`);
      }
      try {
        linkSync(file, old);
      } catch (e) {
        this.fatal(`link ${file.slice(0, 100)} to ${old.slice(0, 100)}: ${strerror(e)}`);
      }
      this.writeAtomic(file, out.map((l) => `${l}\n`).join(""), mode & 0o644);
      this.out(`${file} updated.\n`);
      this.out(`Original contents retained as ${old}\n`);
      if (hasUnhashed) {
        this.logit(`WARNING: ${old} contains unhashed entries`);
        this.logit("Delete this file to ensure privacy of hostnames");
      }
    }
    throw new Exit(find && !found ? 1 : 0);
  }

  // ---- -A -----------------------------------------------------------------------------------------------------

  doGenAllHostkeys(): void {
    const prefix = this.o.file ?? "";
    let first = false;
    for (const [kind, label] of [["rsa", "RSA"], ["ecdsa", "ECDSA"], ["ed25519", "ED25519"]] as const) {
      const prv = `${prefix}/etc/ssh/ssh_host_${kind}_key`;
      try {
        if (statSync(prv).size !== 0) continue;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
          this.error(`Could not stat /etc/ssh/ssh_host_${kind}_key: ${strerror(e)}`);
          first = false;
          continue;
        }
      }
      if (!first) {
        first = true;
        this.out(`${this.ctx.progname}: generating new host keys: `);
      }
      this.out(`${label} `);
      const key = generatePrivateKey(kind, undefined, `${this.user}@${this.hostname}`);
      try {
        const text = formatPrivateKey(key, { format: this.o.privateFormat, cipher: this.o.cipher, rounds: this.o.rounds });
        this.writeAtomic(`${prv}.pub`, `${formatPublicKeyLine(key.publicKeyBlob, key.comment)}\n`, 0o644);
        this.writeAtomic(prv, text, 0o600);
      } catch (e) {
        this.error(`Could not save your private key in ${prv}: ${strerror(e)}`);
        first = false;
      }
    }
    if (first) this.out("\n");
  }

  // ---- generation ---------------------------------------------------------------------------------------------

  doGenerate(): void {
    const typeName = this.o.type ?? "ed25519";
    const g = generationKind(typeName, this.o.bits);
    if ("fatal" in g) {
      if (g.sk && !this.o.quiet) this.out(`Generating public/private ${typeName} key pair.\n`);
      this.fatal(g.fatal);
    }
    const { kind, bits } = g;
    if (!this.o.quiet) this.out(`Generating public/private ${typeName} key pair.\n`);
    const key0 = generatePrivateKey(kind, kind === "ed25519" || kind === "mldsa44-ed25519" ? undefined : bits);
    const path = this.o.file ?? this.askFilename("Enter file in which to save the key");
    // hostfile_create_user_ssh_dir(): ~/.ssh is made when the key goes there.
    const sshDir = join(this.home, SSH_DIR);
    if (dirname(path) === sshDir && !existsSync(sshDir)) {
      try {
        mkdirSync(sshDir, { mode: 0o700 });
        this.logit(`Created directory '${sshDir}'.`);
      } catch (e) {
        this.error(`Could not create directory '${sshDir.slice(0, 200)}' (${strerror(e)}).`);
      }
    }
    if (existsSync(path)) {
      this.out(`${path} already exists.\n`);
      this.out("Overwrite (y/n)? ");
      const answer = this.readLine();
      if (answer === null || !(answer.startsWith("y") || answer.startsWith("Y"))) throw new Exit(1);
    }
    let pass: string;
    if (this.o.passphrase !== undefined) pass = this.o.passphrase;
    else if (this.o.newPassphrase !== undefined) pass = this.o.newPassphrase;
    else {
      // read_check_passphrase(): asks twice, again on a mismatch.
      for (;;) {
        pass = this.readPassphrase(`Enter passphrase for "${path}" (empty for no passphrase): `);
        const again = this.readPassphrase("Enter same passphrase again: ");
        if (pass === again) break;
        this.ctx.io.err("Passphrases do not match.  Try again.\n");
      }
    }
    const comment = this.o.comment ?? `${this.user}@${this.hostname}`;
    const key = withComment(key0, comment);
    this.savePrivate(path, key, pass);
    if (!this.o.quiet) this.out(`Your identification has been saved in ${path}\n`);
    this.savePublic(`${path}.pub`, key.publicKeyBlob, comment);
    if (!this.o.quiet) {
      this.out(`Your public key has been saved in ${path}.pub\n`);
      this.out("The key fingerprint is:\n");
      this.out(`${fingerprint(key.publicKeyBlob, this.o.hash)} ${comment}\n`);
      this.out("The key's randomart image is:\n");
      this.out(`${this.randomArtOf(key.publicKeyBlob)}\n`);
    }
  }

  // ---- certificates -------------------------------------------------------------------------------------------

  doShowCert(): never {
    const file = this.identityFile();
    const stdin = file === "-";
    const path = stdin ? "(stdin)" : file;
    if (!stdin) this.mustExist(file);
    let text: string;
    try {
      text = stdin ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
    } catch (e) {
      this.fatal(`fopen ${file}: ${strerror(e)}`);
    }
    let ok = false;
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    lines.forEach((raw, i) => {
      const lnum = i + 1;
      const cp = raw.replace(/^[ \t]+/, "");
      if (cp.startsWith("#") || cp.trim() === "") return;
      let blob: Uint8Array;
      try {
        blob = parsePublicKeyLine(cp).blob;
      } catch (e) {
        this.error(`${path}:${lnum}: invalid key: ${e instanceof KeyFormatError ? e.message : "invalid format"}`);
        return;
      }
      if (!describePublicKey(blob).row.certificate) {
        this.error(`${path}:${lnum} is not a certificate`);
        return;
      }
      ok = true;
      this.out(!stdin && lnum === 1 ? `${path}:\n` : `${path}:${lnum}:\n`);
      this.printCert(blob);
    });
    throw new Exit(ok ? 0 : 1);
  }

  printCert(blob: Uint8Array): void {
    const c = parseCertificate(blob);
    const info = describePublicKey(blob);
    const ca = describePublicKey(c.signatureKey);
    const o = (s: string): void => this.out(`${s}\n`);
    o(`        Type: ${c.type} ${c.certType === SSH2_CERT_TYPE_USER ? "user" : "host"} certificate`);
    o(`        Public key: ${info.row.label} ${fingerprint(c.publicKeyBlob, this.o.hash)}`);
    o(`        Signing CA: ${ca.row.label} ${fingerprint(c.signatureKey, this.o.hash)} (using ${c.signatureAlgorithm})`);
    o(`        Key ID: "${c.keyId}"`);
    o(`        Serial: ${c.serial}`);
    o(`        Valid: ${formatCertValidity(c)}`);
    this.out("        Principals: ");
    if (c.principals.length === 0) this.out("(none)\n");
    else this.out(c.principals.map((p) => `\n                ${p}`).join("") + "\n");
    const show = (opts: typeof c.criticalOptions, critical: boolean): void => {
      for (const opt of opts) {
        this.out(`                ${opt.name}`);
        const flagExt = ["permit-X11-forwarding", "permit-agent-forwarding", "permit-port-forwarding", "permit-pty", "permit-user-rc", "no-touch-required"];
        if (!critical && flagExt.includes(opt.name)) this.out("\n");
        else if (critical && (opt.name === "force-command" || opt.name === "source-address")) this.out(` ${optionString(opt) ?? ""}\n`);
        else if (critical && opt.name === "verify-required") this.out("\n");
        else if (opt.data.length > 0) this.out(` UNKNOWN OPTION: ${Buffer.from(opt.data).toString("hex").toUpperCase()} (len ${opt.data.length})\n`);
        else this.out(" UNKNOWN FLAG OPTION\n");
      }
    };
    this.out("        Critical Options: ");
    if (c.criticalOptions.length === 0) this.out("(none)\n");
    else {
      this.out("\n");
      show(c.criticalOptions, true);
    }
    this.out("        Extensions: ");
    if (c.extensions.length === 0) this.out("(none)\n");
    else {
      this.out("\n");
      show(c.extensions, false);
    }
  }

  async doCaSign(): Promise<void> {
    const caPath = this.o.s!;
    if (this.o.I === undefined) this.fatal("Must specify key id (-I) when certifying");
    if (this.o.n === undefined) this.error("Warning: certificate will contain no principals (-n)");
    const host = this.o.h;
    // add_cert_option(): -O flags and values (user certificates start with every permit-* extension).
    const flags = new Set<string>(host ? [] : ["permit-X11-forwarding", "permit-agent-forwarding", "permit-port-forwarding", "permit-pty", "permit-user-rc"]);
    let command: string | undefined;
    let source: string | undefined;
    const custom: { name: string; value?: string; critical: boolean }[] = [];
    const flagNames: Record<string, [string, boolean]> = {
      "no-x11-forwarding": ["permit-X11-forwarding", false], "permit-x11-forwarding": ["permit-X11-forwarding", true],
      "no-agent-forwarding": ["permit-agent-forwarding", false], "permit-agent-forwarding": ["permit-agent-forwarding", true],
      "no-port-forwarding": ["permit-port-forwarding", false], "permit-port-forwarding": ["permit-port-forwarding", true],
      "no-pty": ["permit-pty", false], "permit-pty": ["permit-pty", true], "no-user-rc": ["permit-user-rc", false],
      "permit-user-rc": ["permit-user-rc", true], "touch-required": ["no-touch-required", false], "no-touch-required": ["no-touch-required", true],
      "no-verify-required": ["verify-required", false], "verify-required": ["verify-required", true],
    };
    for (const opt of this.o.opts) {
      const lower = opt.toLowerCase();
      const f = flagNames[lower];
      if (lower === "clear") flags.clear();
      else if (f !== undefined) {
        if (f[1]) flags.add(f[0]);
        else flags.delete(f[0]);
      } else if (lower.startsWith("force-command=")) {
        const v = opt.slice("force-command=".length);
        if (v === "") this.fatal("Empty force-command option");
        if (command !== undefined) this.fatal("force-command already specified");
        command = v;
      } else if (lower.startsWith("source-address=")) {
        const v = opt.slice("source-address=".length);
        if (v === "") this.fatal("Empty source-address option");
        if (source !== undefined) this.fatal("source-address already specified");
        if (!validCidrList(v)) this.fatal("Invalid source-address list");
        source = v;
      } else if (lower.startsWith("extension:") || lower.startsWith("critical:")) {
        const rest = opt.slice(opt.indexOf(":") + 1);
        const eq = rest.indexOf("=");
        custom.push({ name: eq < 0 ? rest : rest.slice(0, eq), value: eq < 0 ? undefined : rest.slice(eq + 1), critical: lower.startsWith("critical:") });
      } else this.fatal(`Unsupported certificate option "${opt}"`);
    }
    const critical: { name: string; value?: string }[] = [];
    if (command !== undefined) critical.push({ name: "force-command", value: command });
    if (source !== undefined) critical.push({ name: "source-address", value: source });
    if (flags.has("verify-required")) critical.push({ name: "verify-required" });
    const extensions: { name: string; value?: string }[] = [...flags].filter((f) => f !== "verify-required").map((name) => ({ name }));
    for (const c of custom) (c.critical ? critical : extensions).push({ name: c.name, value: c.value });
    const { validAfter, validBefore } = this.certTimes();
    let serial = 0n;
    let autoinc = false;
    if (this.o.z !== undefined) {
      let z = this.o.z;
      if (z.startsWith("+")) {
        autoinc = true;
        z = z.slice(1);
      }
      if (!/^\d+$/.test(z) || BigInt(z) > 0xffffffffffffffffn) this.fatal(`Invalid serial number "${this.o.z}"`);
      serial = BigInt(z);
    }
    this.mustExist(caPath);
    // -U: the CA key is in ssh-agent and caPath names its public half (do_ca_sign with prefer_agent).
    let caBlob: Uint8Array;
    let caAlgorithms: readonly string[];
    let sign: (tbs: Uint8Array, algorithm: string | undefined) => Promise<Uint8Array>;
    if (this.o.U) {
      const caPub = this.loadPublic(caPath);
      if (caPub === null) this.fatal(`Cannot load CA public key ${caPath}: invalid format`);
      caBlob = caPub.blob;
      const agentSign = await agentFor(caBlob, caBlob);
      if (agentSign === null) this.fatal(`CA key ${caPath} not found in agent`);
      const plainType = describePublicKey(caBlob).row.plain;
      caAlgorithms = plainType === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [plainType];
      sign = (tbs, algorithm) => agentSign(tbs, algorithm);
    } else {
      const ca = this.loadIdentity(caPath);
      caBlob = ca.publicKeyBlob;
      caAlgorithms = ca.signatureAlgorithms;
      sign = (tbs, algorithm) => signAsync(ca, tbs, algorithm);
    }
    const caType = describePublicKey(caBlob).row.plain;
    let algorithm: string | undefined;
    if (this.o.type !== undefined) {
      if (!caAlgorithms.includes(this.o.type)) this.fatal(`CA key type ${caType} doesn't match specified ${this.o.type}`);
      algorithm = this.o.type;
    } else if (caType === "ssh-rsa") algorithm = "rsa-sha2-512";
    const principals = this.o.n === undefined ? [] : this.o.n.split(",");
    if (principals.some((p) => p === "")) this.fatal("Empty principal name");
    for (const file of this.operands) {
      const pub = this.loadPublic(file);
      if (pub === null) this.fatal(`load pubkey "${file}": invalid format`);
      let cert: Uint8Array;
      try {
        const tbs = certificateToBeSigned(
          { publicKeyBlob: plainKeyBlob(pub.blob), certType: host ? SSH2_CERT_TYPE_HOST : SSH2_CERT_TYPE_USER, keyId: this.o.I!, principals, serial, validAfter, validBefore, criticalOptions: critical, extensions },
          caBlob,
        );
        cert = finishCertificate(tbs, await sign(tbs, algorithm));
      } catch (e) {
        this.fatalKey(`Couldn't certify key ${file}`, e);
      }
      const out = `${file.endsWith(".pub") ? file.slice(0, -4) : file}-cert.pub`;
      this.savePublic(out, cert, pub.comment);
      if (!this.o.quiet) {
        const c = parseCertificate(cert);
        this.logit(`Signed ${host ? "host" : "user"} key ${out}: id "${c.keyId}" serial ${c.serial}${this.o.n !== undefined ? ` for ${this.o.n}` : ""} valid ${formatCertValidity(c)}`);
      }
      if (autoinc) serial++;
    }
  }

  /** parse_cert_times() for -V (none: forever). */
  certTimes(): { validAfter: bigint; validBefore: bigint } {
    const spec = this.o.V;
    if (spec === undefined) return { validAfter: 0n, validBefore: CERT_FOREVER };
    const now = BigInt(Math.floor(Date.now() / 1000));
    if (spec.startsWith("+") && !spec.includes(":")) {
      const secs = convtime(spec.slice(1));
      if (secs < 0) this.fatal(`Invalid relative certificate life ${spec}`);
      return { validAfter: ((now - 59n) / 60n) * 60n, validBefore: now + BigInt(secs) };
    }
    const colon = spec.indexOf(":");
    if (colon <= 0 || colon === spec.length - 1) this.fatal(`Invalid certificate life specification ${spec}`);
    const from = spec.slice(0, colon);
    const to = spec.slice(colon + 1);
    const relative = (s: string): bigint => {
      const secs = convtime(s.slice(1));
      if (secs < 0) this.fatal(`Invalid relative certificate time ${s}`);
      if (s.startsWith("-") && BigInt(secs) > now) this.fatal(`Certificate time ${s} cannot be represented`);
      return now + (s.startsWith("-") ? -BigInt(secs) : BigInt(secs));
    };
    const hex = (s: string): bigint => {
      if (!/^0x[0-9a-fA-F]+$/.test(s)) this.fatal("Invalid certificate time: not a number");
      return BigInt(s);
    };
    let validAfter: bigint;
    if (from.startsWith("-") || from.startsWith("+")) validAfter = relative(from);
    else if (from === "always") validAfter = 0n;
    else if (from.startsWith("0x")) validAfter = hex(from);
    else {
      const t = absoluteTime(from);
      if (t === null) this.fatal(`Invalid from time "${from}"`);
      validAfter = t;
    }
    let validBefore: bigint;
    if (to.startsWith("-") || to.startsWith("+")) validBefore = relative(to);
    else if (to === "forever") validBefore = CERT_FOREVER;
    else if (to.startsWith("0x")) validBefore = hex(to);
    else {
      const t = absoluteTime(to);
      if (t === null) this.fatal(`Invalid to time "${to}"`);
      validBefore = t;
    }
    if (validBefore <= validAfter) this.fatal("Empty certificate validity interval");
    return { validAfter, validBefore };
  }

  // ---- -Y (SSHSIG) --------------------------------------------------------------------------------------------

  /** sig_process_opts(): hashalg=, verify-time=, print-pubkey; returns null after logging a bad option. */
  sigOpts(allow: { hash?: boolean; time?: boolean; pubkey?: boolean }): { hash: SshsigHash | undefined; now: bigint; printPubkey: boolean } | null {
    let hash: SshsigHash | undefined;
    let now: bigint | undefined;
    let printPubkey = false;
    for (const opt of this.o.opts) {
      const lower = opt.toLowerCase();
      if (allow.hash && lower.startsWith("hashalg=")) {
        const h = opt.slice(8);
        if (h !== "sha256" && h !== "sha512") {
          this.error(`Invalid option "${opt}"`);
          return null;
        }
        hash = h;
      } else if (allow.time && lower.startsWith("verify-time=")) {
        const t = parseSigTime(opt.slice(12));
        if (t === null || t === 0n) {
          this.error('Invalid "verify-time" option');
          return null;
        }
        now = t;
      } else if (allow.pubkey && lower === "print-pubkey") printPubkey = true;
      else {
        this.error(`Invalid option "${opt}"`);
        return null;
      }
    }
    return { hash, now: now ?? BigInt(Math.floor(Date.now() / 1000)), printPubkey };
  }

  readSigners(path: string): AllowedSigner[] | null {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      this.error(`Unable to open allowed keys file "${path}": ${strerror(e)}`);
      return null;
    }
    const { signers, errors } = parseAllowedSigners(text);
    for (const e of errors) this.error(`${path}:${e.line}: ${e.message}`);
    return signers;
  }

  readSignature(path: string): Uint8Array | null {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      this.error(`Couldn't read signature file: ${strerror(e)}`);
      return null;
    }
    try {
      return dearmorSshsig(text);
    } catch (e) {
      this.error(e instanceof KeyFormatError && e.detail ? e.detail : "sshsig_armor: invalid format");
      return null;
    }
  }

  async doSshsig(op: string): Promise<number> {
    const ns = this.o.n;
    const isOp = (name: string): boolean => op.startsWith(name); // strprefix(sign_op, name)
    if (isOp("find-principals")) {
      if (this.o.s === undefined) return this.fail1("Too few arguments for find-principals:missing signature file");
      if (this.o.file === undefined) return this.fail1("Too few arguments for find-principals:missing allowed keys file");
      const opts = this.sigOpts({ time: true });
      const blob = opts && this.readSignature(this.o.s);
      let found: string[] = [];
      if (opts && blob) {
        try {
          const sig = parseSshsig(blob);
          const signers = this.readSigners(this.o.file);
          if (signers) found = findSignerPrincipals(signers, sig.publicKeyBlob, opts.now);
        } catch (e) {
          this.error(`sshsig_get_pubkey: ${e instanceof KeyFormatError ? (e.detail ?? e.message) : "invalid format"}`);
        }
      }
      if (found.length === 0) {
        this.ctx.io.err("No principal matched.\n");
        return 255;
      }
      for (const p of found.join(",").split(",")) if (p !== "") this.out(`${p}\n`);
      return 0;
    }
    if (isOp("match-principals")) {
      if (this.o.file === undefined) return this.fail1("Too few arguments for match-principals:missing allowed keys file");
      if (this.o.I === undefined) return this.fail1("Too few arguments for match-principals: missing principal ID");
      if (this.sigOpts({}) === null) return 255;
      const signers = this.readSigners(this.o.file);
      const found = signers ? matchSignerPrincipals(signers, this.o.I) : [];
      if (found.length === 0) {
        this.ctx.io.err("No principal matched.\n");
        return 255;
      }
      for (const p of found) this.out(`${p}\n`);
      return 0;
    }
    if (isOp("sign")) {
      if (ns === undefined || ns === "") return this.fail1("Too few arguments for sign: missing namespace");
      if (this.o.file === undefined) return this.fail1("Too few arguments for sign: missing key");
      if (this.operands.includes("-") && this.operands.length > 1) this.fatal("Cannot sign mix of paths and standard input");
      const opts = this.sigOpts({ hash: true });
      if (opts === null) return 255;
      const hash = opts.hash ?? "sha512";
      const keyPath = this.o.file;
      const pub = this.loadPublic(keyPath);
      if (pub === null) {
        this.error(`Couldn't load public key ${keyPath}: No such file or directory`);
        return 255;
      }
      const pubInfo = describePublicKey(pub.blob);
      // The agent first (ssh_agent_has_key), as sig_sign; -U insists on it.
      const agent = await agentFor(pub.blob, pubInfo.row.certificate ? plainKeyBlob(pub.blob) : pub.blob);
      if (agent === null && this.o.U) this.fatal(process.env.SSH_AUTH_SOCK ? "Couldn't find key in agent" : "Couldn't get agent socket");
      let sign: (tbs: Uint8Array) => Promise<Uint8Array>;
      if (agent !== null) sign = agent;
      else {
        const key = this.loadSignKey(keyPath, pub.blob);
        if (key === null) return 255;
        const algorithm = key.type === "ssh-rsa" ? "rsa-sha2-512" : undefined;
        sign = (tbs) => signAsync(key, tbs, algorithm);
      }
      const targets = this.operands.length === 0 ? ["-"] : this.operands;
      for (const f of targets) {
        const stdin = f === "-";
        let data: Uint8Array;
        try {
          data = readFileSync(stdin ? 0 : f);
        } catch (e) {
          this.error(`Cannot open ${f} for signing: ${strerror(e)}`);
          return 255;
        }
        if (!this.o.quiet) this.ctx.io.err(stdin ? "Signing data on standard input\n" : `Signing file ${f}\n`);
        let armored: string;
        try {
          armored = armorSshsig(assembleSshsig(pub.blob, ns, hash, await sign(sshsigToBeSigned(data, ns, hash))));
        } catch (e) {
          this.error(`Couldn't sign message: ${e instanceof KeyFormatError ? e.message : (e as Error).message}`);
          return 255;
        }
        if (stdin) this.out(armored);
        else {
          const out = `${f}.sig`;
          if (existsSync(out)) {
            this.out(`${out} already exists.\nOverwrite (y/n)? `);
            const a = this.readLine();
            if (a === null || !/^[yY]/.test(a)) continue;
          }
          try {
            writeFileSync(out, armored, { mode: 0o666 });
          } catch (e) {
            this.error(`Cannot open ${out}: ${strerror(e)}`);
            return 255;
          }
          if (!this.o.quiet) this.ctx.io.err(`Write signature to ${out}\n`);
        }
      }
      return 0;
    }
    const verify = isOp("verify");
    if (isOp("check-novalidate") || verify) {
      const what = verify ? "verify" : "check-novalidate";
      if (ns === undefined || ns === "") return this.fail1(`Too few arguments for ${what}: missing namespace`);
      if (this.o.s === undefined) return this.fail1(`Too few arguments for ${what}: missing signature file`);
      if (verify && this.o.file === undefined) return this.fail1("Too few arguments for sign: missing allowed keys file");
      if (verify && this.o.I === undefined) return this.fail1("Too few arguments for verify: missing principal identity");
      const opts = this.sigOpts({ time: true, pubkey: true });
      let ok = false;
      let signer: Uint8Array | null = null;
      const blob = opts && this.readSignature(this.o.s);
      if (opts && blob) {
        try {
          const sig = await verifySshsigAsync(blob, readFileSync(0), ns);
          signer = sig.publicKeyBlob;
          ok = true;
          if (verify && this.o.r !== undefined) {
            try {
              if (revokedKeysFileRevokes(readFileSync(this.o.r), sig.publicKeyBlob)) ok = false;
            } catch {
              ok = false; // unreadable or malformed revocation file: as sshkey_check_revoked's error
            }
          }
          if (ok && verify) {
            const signers = this.readSigners(this.o.file!);
            ok = signers !== null && allowedSignerMatches(signers, sig.publicKeyBlob, this.o.I!, ns, opts.now);
          }
        } catch (e) {
          this.error(e instanceof KeyFormatError ? (e.detail ?? e.message) : "Couldn't verify signature: invalid format");
        }
      }
      if (!this.o.quiet) {
        if (ok && signer) {
          const label = describePublicKey(signer).row.label;
          const fp = fingerprint(plainKeyBlob(signer), this.o.hash);
          this.out(verify ? `Good "${ns}" signature for ${this.o.I} with ${label} key ${fp}\n` : `Good "${ns}" signature with ${label} key ${fp}\n`);
        } else this.out("Could not verify signature.\n");
      }
      if (ok && signer && opts?.printPubkey) this.out(`${formatPublicKeyLine(signer)}\n`);
      return ok ? 0 : 255;
    }
    this.error(`Unsupported operation for -Y: "${op}"`);
    return usageError("ssh-keygen", this.ctx);
  }

  /**
   * load_sign_key(): a `.pub` or `-cert.pub` path names the private key beside it; the private key must match the public
   * one (a certificate's key). Null after logging a mismatch.
   */
  loadSignKey(keyPath: string, pubBlob: Uint8Array): PrivateKey | null {
    let privPath = keyPath;
    let wasPub = false;
    for (const suffix of ["-cert.pub", ".pub"]) {
      if (privPath.length > suffix.length && privPath.endsWith(suffix)) {
        privPath = privPath.slice(0, -suffix.length);
        wasPub = true;
      }
    }
    if (wasPub && !existsSync(privPath)) this.fatal(`No private key found for public key "${keyPath}"`);
    let key: PrivateKey;
    try {
      key = this.loadPrivate(privPath, "");
    } catch (e) {
      if (!(e instanceof KeyFormatError && e.kind === "wrong-passphrase")) this.fatal(`No private key found for "${privPath}"`);
      key = this.loadIdentity(privPath);
    }
    if (!Buffer.from(plainKeyBlob(pubBlob)).equals(Buffer.from(key.publicKeyBlob))) {
      this.error(`Public key ${keyPath} doesn't match private ${privPath}`);
      return null;
    }
    return key;
  }

  /** error() then exit(1), as the -Y argument checks do. */
  fail1(message: string): number {
    this.error(message);
    return 1;
  }

  // ---- KRL (-k, -u, -Q) ---------------------------------------------------------------------------------------

  loadKrl(path: string): Krl {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      this.fatal(`Unable to load KRL ${path}: ${strerror(e)}`);
    }
    try {
      return parseKrl(bytes);
    } catch (e) {
      this.fatal(`Invalid KRL file ${path}: ${e instanceof KeyFormatError ? (e.detail ?? e.message) : "invalid format"}`);
    }
  }

  doGenKrl(): void {
    const out = this.o.file;
    if (out === undefined || out === "") this.fatal("KRL generation requires an output file");
    const exists = existsSync(out);
    if (!exists && this.o.u) this.fatal(`KRL "${out}" does not exist`);
    let ca: Uint8Array | null = null;
    let wildCa = false;
    if (this.o.s !== undefined) {
      if (this.o.s.toLowerCase() === "none") wildCa = true;
      else {
        const pub = this.loadPublic(this.o.s);
        if (pub === null) this.fatal(`Cannot load CA public key ${this.o.s}: invalid format`);
        ca = pub.blob;
      }
    }
    const krl = this.o.u ? this.loadKrl(out) : newKrl();
    if (this.o.z !== undefined) {
      if (!/^\d+$/.test(this.o.z)) this.fatal(`Invalid serial number "${this.o.z}"`);
      krl.version = BigInt(this.o.z);
    }
    if (this.o.comment !== undefined) krl.comment = this.o.comment;
    for (const file of this.operands) this.updateKrlFromFile(krl, file, ca, wildCa);
    try {
      this.writeAtomic(out, formatKrl(krl), 0o644);
    } catch (e) {
      this.fatal(`write ${out}: ${strerror(e)}`);
    }
  }

  /** update_krl_from_file(): public keys, or `serial:`, `id:`, `key:`, `sha1:`, `sha256:`, `hash:` lines. */
  updateKrlFromFile(krl: Krl, file: string, ca: Uint8Array | null, wildCa: boolean): void {
    const stdin = file === "-";
    const path = stdin ? "(standard input)" : file;
    let text: string;
    try {
      text = readFileSync(stdin ? 0 : file, "utf8");
    } catch (e) {
      this.fatal(`fopen ${path}: ${strerror(e)}`);
    }
    if (!this.o.quiet) this.out(`Revoking from ${path}\n`);
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    lines.forEach((raw, i) => {
      const lnum = i + 1;
      let cp = raw.replace(/^[ \t]+/, "");
      const hash = cp.indexOf("#");
      if (hash >= 0) cp = cp.slice(0, hash);
      cp = cp.replace(/[ \t\r]+$/, "");
      if (cp === "") return;
      const lower = cp.toLowerCase();
      const caKey = wildCa ? null : ca;
      const rest = (n: number): string => cp.slice(n).replace(/^[ \t]+/, "");
      if (lower.startsWith("serial:")) {
        if (ca === null && !wildCa) this.fatal("revoking certificates by serial number requires specification of a CA key");
        const v = rest(7);
        const m = /^(0x[0-9a-fA-F]+|0[0-7]*|[1-9]\d*)(?:-(0x[0-9a-fA-F]+|0[0-7]*|[1-9]\d*))?$/.exec(v);
        if (m === null) this.fatal(`${path}:${lnum}: invalid serial "${v}"`);
        const num = (x: string): bigint => (x.startsWith("0x") ? BigInt(x) : x.length > 1 && x.startsWith("0") ? BigInt(`0o${x.slice(1)}`) : BigInt(x));
        const lo = num(m[1]!);
        const hi = m[2] === undefined ? lo : num(m[2]);
        if (m[2] !== undefined && hi <= lo) this.fatal(`${path}:${lnum}: invalid serial range ${lo}:${hi}`);
        try {
          krlRevokeSerialRange(krl, caKey, lo, hi);
        } catch {
          this.fatal("revoke serial failed");
        }
      } else if (lower.startsWith("id:")) {
        if (ca === null && !wildCa) this.fatal("revoking certificates by key ID requires specification of a CA key");
        krlRevokeKeyId(krl, caKey, rest(3));
      } else if (lower.startsWith("hash:")) {
        let h = rest(5);
        if (h.startsWith("SHA256:")) h = h.slice(7);
        while (h.length % 4 !== 0) h += "=";
        const d = /^[A-Za-z0-9+/]+=*$/.test(h) ? Buffer.from(h, "base64") : null;
        if (d === null || d.length !== 32) this.fatal(`${path}:${lnum}: decode hash failed`);
        krlRevokeHash(krl, "sha256", new Uint8Array(d), true);
      } else {
        let mode: "key" | "explicit" | "sha1" | "sha256" = "key";
        let keyText = cp;
        if (lower.startsWith("key:")) [mode, keyText] = ["explicit", rest(4)];
        else if (lower.startsWith("sha1:")) [mode, keyText] = ["sha1", rest(5)];
        else if (lower.startsWith("sha256:")) [mode, keyText] = ["sha256", rest(7)];
        let blob: Uint8Array;
        try {
          blob = parsePublicKeyLine(keyText).blob;
        } catch (e) {
          this.fatal(`${path}:${lnum}: invalid key: ${e instanceof KeyFormatError ? e.message : "invalid format"}`);
        }
        if (mode === "explicit") krlRevokeExplicit(krl, blob);
        else if (mode === "sha1" || mode === "sha256") krlRevokeHash(krl, mode, blob);
        else krlRevokeKey(krl, blob);
      }
    });
  }

  doCheckKrl(): never {
    const path = this.o.file;
    if (path === undefined || path === "") this.fatal("KRL checking requires an input file");
    const krl = this.loadKrl(path);
    if (this.o.l) this.out(formatKrlDump(krl));
    let ret = 0;
    for (const f of this.operands) {
      const pub = this.loadPublic(f);
      if (pub === null) this.fatal(`Cannot load public key ${f}: invalid format`);
      const revoked = krlRevokes(krl, pub.blob);
      this.out(`${f}${pub.comment ? ` (${pub.comment})` : ""}: ${revoked ? "REVOKED" : "ok"}\n`);
      if (revoked) ret = 1;
    }
    throw new Exit(ret);
  }

  // ---- SSHFP ---------------------------------------------------------------------------------------------------

  doPrintResourceRecord(): never {
    const host = this.o.r!;
    const files = this.o.file !== undefined ? [this.o.file] : ["rsa", "ecdsa", "ed25519"].map((t) => `/etc/ssh/ssh_host_${t}_key.pub`);
    let n = 0;
    for (const f of files) {
      const pub = this.loadPublic(f);
      if (pub === null) continue;
      const info = describePublicKey(pub.blob);
      const alg = { "ssh-rsa": 1, "ecdsa-sha2-nistp256": 3, "ecdsa-sha2-nistp384": 3, "ecdsa-sha2-nistp521": 3, "ssh-ed25519": 4 }[info.row.plain];
      if (alg === undefined) continue;
      n++;
      for (const [fpType, hash] of [[1, "sha1"], [2, "sha256"]] as const) {
        const d = Buffer.from(fingerprintDigest(plainKeyBlob(pub.blob), hash)).toString("hex");
        if (this.o.g) {
          const rdata = Buffer.concat([Buffer.from([alg, fpType]), Buffer.from(d, "hex")]);
          this.out(`${host} IN TYPE44 \\# ${rdata.length} ${rdata.toString("hex")}\n`);
        } else this.out(`${host} IN SSHFP ${alg} ${fpType} ${d}\n`);
      }
    }
    if (n === 0) this.fatal(this.o.file !== undefined ? `${this.o.file}: No such file or directory` : "no keys found.");
    throw new Exit(0);
  }
}

/** A private key file that others can read: sshkey_load_private's SSH_ERR_KEY_BAD_PERMISSIONS. */
class BadPermissions extends Error {
  override name = "BadPermissions";
  constructor() {
    super("bad permissions");
  }
}

/** Does host name `host` (as typed for -F/-R, maybe `[h]:port`) select this entry? hostkeys_foreach's match. */
function matchesLookup(e: { hosts: string; hashed: boolean }, host: string): boolean {
  const m = /^\[(.*)\]:(\d+)$/.exec(host);
  if (m !== null) return hostMatches(e, m[1]!, Number(m[2]));
  return hostMatches(e, host, 22);
}

function tryKey(s: string): { blob: Uint8Array; comment: string } | null {
  try {
    const k = parsePublicKeyLine(s);
    return { blob: k.blob, comment: k.comment };
  } catch {
    return null;
  }
}

/** SSH agent protocol (draft-miller-ssh-agent §4, §5): one request and its reply over $SSH_AUTH_SOCK; null when unreachable. */
async function agentRequest(message: Uint8Array): Promise<Uint8Array | null> {
  const path = process.env.SSH_AUTH_SOCK;
  if (path === undefined || path === "") return null;
  const { createConnection } = await import("node:net");
  return await new Promise<Uint8Array | null>((resolve) => {
    const chunks: Buffer[] = [];
    const sock = createConnection({ path });
    const done = (v: Uint8Array | null): void => {
      sock.destroy();
      resolve(v);
    };
    sock.on("error", () => done(null));
    sock.on("connect", () => {
      const frame = Buffer.alloc(4 + message.length);
      frame.writeUInt32BE(message.length, 0);
      frame.set(message, 4);
      sock.write(frame);
    });
    sock.on("data", (d: Buffer) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readUInt32BE(0)) done(new Uint8Array(all.subarray(4, 4 + all.readUInt32BE(0))));
    });
    sock.on("end", () => done(null));
  });
}

const SSH2_AGENTC_REQUEST_IDENTITIES = 11;
const SSH2_AGENT_IDENTITIES_ANSWER = 12;
const SSH2_AGENTC_SIGN_REQUEST = 13;
const SSH2_AGENT_SIGN_RESPONSE = 14;
const SSH_AGENT_RSA_SHA2_256 = 2;
const SSH_AGENT_RSA_SHA2_512 = 4;

/** ssh_agent_has_key(): a signer through the agent when it holds `blob` (or its plain key `plain`), else null. */
async function agentFor(blob: Uint8Array, plain: Uint8Array): Promise<((tbs: Uint8Array, algorithm?: string) => Promise<Uint8Array>) | null> {
  const answer = await agentRequest(Uint8Array.of(SSH2_AGENTC_REQUEST_IDENTITIES));
  if (answer === null || answer[0] !== SSH2_AGENT_IDENTITIES_ANSWER) return null;
  const view = Buffer.from(answer);
  let pos = 1;
  const n = view.readUInt32BE(pos);
  pos += 4;
  let held: Uint8Array | null = null;
  for (let i = 0; i < n && pos + 4 <= view.length; i++) {
    const len = view.readUInt32BE(pos);
    const k = view.subarray(pos + 4, pos + 4 + len);
    pos += 4 + len;
    pos += 4 + view.readUInt32BE(pos); // comment
    if (k.equals(Buffer.from(blob)) || k.equals(Buffer.from(plain))) held = new Uint8Array(k.equals(Buffer.from(blob)) ? blob : plain);
  }
  if (held === null) return null;
  const key = held;
  const rsa = describePublicKey(plain).row.plain === "ssh-rsa";
  return async (tbs, algorithm) => {
    const req = Buffer.alloc(1 + 4 + key.length + 4 + tbs.length + 4);
    let o = req.writeUInt8(SSH2_AGENTC_SIGN_REQUEST, 0);
    o = req.writeUInt32BE(key.length, o);
    req.set(key, o);
    o += key.length;
    o = req.writeUInt32BE(tbs.length, o);
    req.set(tbs, o);
    o += tbs.length;
    // draft-miller-ssh-agent §5.3: flags pick the RSA hash (ssh-rsa: none).
    req.writeUInt32BE(!rsa || algorithm === "ssh-rsa" ? 0 : algorithm === "rsa-sha2-256" ? SSH_AGENT_RSA_SHA2_256 : SSH_AGENT_RSA_SHA2_512, o);
    const r = await agentRequest(req);
    if (r === null || r[0] !== SSH2_AGENT_SIGN_RESPONSE || r.length < 5) throw new Error("agent refused operation");
    const len = Buffer.from(r).readUInt32BE(1);
    return r.slice(5, 5 + len);
  };
}

function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const table: Record<string, string> = {
    ENOENT: "No such file or directory", EACCES: "Permission denied", EEXIST: "File exists", EISDIR: "Is a directory",
    ENOTDIR: "Not a directory", EPERM: "Operation not permitted", ENOSPC: "No space left on device", EROFS: "Read-only file system",
  };
  return (code && table[code]) ?? (e as Error).message;
}

/** sig_process_opts verify-time: parse_absolute_time. */
function parseSigTime(s: string): bigint | null {
  return absoluteTime(s);
}

/** misc.c convtime(): `90`, `5m`, `1h30m`, `2d`, `1w`; -1 when malformed. */
function convtime(s: string): number {
  if (s === "") return -1;
  let total = 0;
  const re = /(\d+)([sSmMhHdDwW]?)/y;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) return -1;
    const mult = { "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2]!.toLowerCase()]!;
    total += Number(m[1]) * mult;
    pos = re.lastIndex;
    if (m[2] === "" && pos < s.length) return -1;
  }
  return Number.isSafeInteger(total) ? total : -1;
}

/** misc.c parse_absolute_time(): YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, local time or UTC with a trailing Z. */
function absoluteTime(s: string): bigint | null {
  const utc = s.endsWith("Z") || s.endsWith("z");
  const d = utc ? s.slice(0, -1) : s;
  if (!/^\d{8}(\d{4}(\d{2})?)?$/.test(d)) return null;
  const y = Number(d.slice(0, 4));
  const mo = Number(d.slice(4, 6)) - 1;
  const da = Number(d.slice(6, 8));
  const h = d.length >= 12 ? Number(d.slice(8, 10)) : 0;
  const mi = d.length >= 12 ? Number(d.slice(10, 12)) : 0;
  const se = d.length === 14 ? Number(d.slice(12, 14)) : 0;
  const ms = utc ? Date.UTC(y, mo, da, h, mi, se) : new Date(y, mo, da, h, mi, se).getTime();
  return Number.isFinite(ms) ? BigInt(Math.floor(ms / 1000)) : null;
}

/** addr_match_cidr_list(NULL, list): every entry an IPv4 or IPv6 address with an optional prefix length. */
function validCidrList(list: string): boolean {
  return list.split(",").every((e) => {
    const [addr, len, ...more] = e.split("/");
    if (more.length > 0 || addr === undefined) return false;
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
    const max = v4 ? 32 : /^[0-9a-fA-F:.]+$/.test(addr) && addr.includes(":") ? 128 : -1;
    if (max < 0 || (v4 && v4.slice(1).some((o) => Number(o) > 255))) return false;
    return len === undefined || (/^\d+$/.test(len) && Number(len) <= max);
  });
}

/** Reads the command line into Options the way ssh-keygen.c's getopt loop does (value checks included). */
function readOptions(k: { fatal(s: string): never }, parsed: { flag: string; value: string | undefined }[]): Options {
  const o: Options = {
    quiet: false, verbose: 0, bits: 0, rounds: undefined, comment: undefined, file: undefined, passphrase: undefined,
    newPassphrase: undefined, type: undefined, hash: "sha256", format: undefined, privateFormat: "openssh", cipher: undefined, opts: [],
    A: false, B: false, c: false, e: false, H: false, i: false, k: false, K: false, l: false, L: false, p: false, Q: false,
    u: false, y: false, h: false, U: false, g: false, F: undefined, R: undefined, r: undefined, s: undefined, D: undefined,
    I: undefined, n: undefined, V: undefined, z: undefined, M: undefined, Y: undefined, w: undefined,
  };
  for (const { flag, value } of parsed) {
    const v = value ?? "";
    switch (flag) {
      case "b": {
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 0xffffffff) k.fatal(`Bits has bad value ${v} (${/^\d+$/.test(v) ? (Number(v) < 1 ? "too small" : "too large") : "invalid"})`);
        o.bits = Number(v);
        break;
      }
      case "E":
        // ssh_digest_alg_by_name(): MD5, SHA1, SHA256, SHA384, SHA512, any case.
        if (["md5", "sha1", "sha256", "sha384", "sha512"].includes(v.toLowerCase())) o.hash = v.toLowerCase() as FingerprintHash;
        else k.fatal(`Invalid hash algorithm "${v}"`);
        break;
      case "m":
        if (v.toLowerCase() === "rfc4716" || v.toLowerCase() === "ssh2") {
          o.format = "RFC4716";
        } else if (v.toLowerCase() === "pkcs8") {
          o.format = "PKCS8";
          o.privateFormat = "pkcs8";
        } else if (v.toLowerCase() === "pem") {
          o.format = "PEM";
          o.privateFormat = "pem";
        } else k.fatal(`Unsupported conversion format "${v}"`);
        break;
      case "a":
        if (!/^\d+$/.test(v) || Number(v) > 0x7fffffff) k.fatal(`Invalid number: ${v} (${/^\d+$/.test(v) ? "too large" : "invalid"})`);
        o.rounds = Number(v);
        break;
      case "Z":
        if (!KEY_FILE_CIPHERS.some((c) => c.name === v)) k.fatal(`Invalid OpenSSH-format cipher '${v}'`);
        o.cipher = v;
        break;
      case "C": o.comment = v; break;
      case "f": o.file = v; break;
      case "P": o.passphrase = v; break;
      case "N": o.newPassphrase = v; break;
      case "t": o.type = v; break;
      case "q": o.quiet = true; break;
      case "v": o.verbose++; break;
      case "O": o.opts.push(v); break;
      case "o": break; // openssh format is the default since 7.8
      case "h": o.h = true; break;
      case "A": case "B": case "c": case "e": case "H": case "k": case "K": case "l": case "L": case "p": case "Q": case "u": case "y": case "U": case "g":
        (o as unknown as Record<string, boolean>)[flag] = true;
        break;
      case "i": case "X": o.i = true; break;
      case "F": o.F = v; break;
      case "R": o.R = v; break;
      case "r": o.r = v; break;
      case "s": o.s = v; break;
      case "D": o.D = v; break;
      case "I": o.I = v; break;
      case "n": o.n = v; break;
      case "V": o.V = v; break;
      case "z": o.z = v; break;
      case "M": o.M = v; break;
      case "Y": o.Y = v; break;
      case "w": o.w = v; break;
    }
  }
  return o;
}

async function runKeygen(ctx: ProgramContext): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine("ssh-keygen", ctx.args);
  } catch (e) {
    if (e instanceof GetoptError) return usageError("ssh-keygen", ctx, e.message);
    throw e;
  }
  const fatalOnly = {
    fatal(s: string): never {
      ctx.io.err(`${s}\r\n`);
      throw new Exit(255);
    },
  };
  try {
    const o = readOptions(fatalOnly, parsed.options);
    const k = new Keygen(ctx, o, parsed.operands);
    if (o.Y !== undefined) return await k.doSshsig(o.Y);
    if (o.s !== undefined && parsed.operands.length < 1 && !o.k) {
      k.error("Too few arguments.");
      return usageError("ssh-keygen", ctx);
    }
    if (parsed.operands.length > 0 && o.s === undefined && !o.k && !o.Q) {
      k.error("Too many arguments.");
      return usageError("ssh-keygen", ctx);
    }
    if (o.p && o.c) {
      k.error("Can only have one of -p and -c.");
      return usageError("ssh-keygen", ctx);
    }
    if (o.l && (o.R !== undefined || o.H)) {
      k.error("Cannot use -l with -H or -R.");
      return usageError("ssh-keygen", ctx);
    }
    if (o.k) {
      k.doGenKrl();
      return 0;
    }
    if (o.Q) k.doCheckKrl();
    if (o.s !== undefined) {
      await k.doCaSign();
      return 0;
    }
    if (o.L) k.doShowCert();
    if (o.R !== undefined || o.H || o.F !== undefined) k.doKnownHosts();
    if (o.D !== undefined) k.fatal("no pkcs11 support");
    if (o.K) k.fatal(`Unable to load resident keys: FIDO authenticators are not supported by ${VERSION_LINE.split(",")[0]}`);
    if (o.l || o.B) k.doFingerprint();
    if (o.p) k.doChangePassphrase();
    if (o.c) k.doChangeComment();
    if (o.e) k.doConvertTo();
    if (o.i) k.doConvertFrom();
    if (o.y) k.doPrintPublic();
    if (o.r !== undefined) k.doPrintResourceRecord();
    if (o.M !== undefined) k.fatal(`Moduli generation (-M) is not supported by ${VERSION_LINE.split(",")[0]}`);
    if (o.A) {
      k.doGenAllHostkeys();
      return 0;
    }
    k.doGenerate();
    return 0;
  } catch (e) {
    if (e instanceof Exit) return e.status;
    throw e;
  }
}

export const sshKeygen: ProgramModule = { implemented: true, run: runKeygen };

// Exported for unit tests of the pieces that have no side effects.
export { convtime as keygenConvtime, absoluteTime as keygenAbsoluteTime, validCidrList as keygenValidCidrList };
