// ssh-keygen's front door and quick path. `ssh-keygen [-q] [-t ed25519|ecdsa…] [-b bits] -N '' -f file [-C comment]
// [-E hash]` for files that do not exist yet is done here: WebCrypto generates, Bun.file/Bun.write do the files, and
// neither node:crypto (~3 ms to load), the key library nor node:fs (~0.7 ms) is loaded (bench/keygen.ts). Every other
// command line, and any case the quick path does not cover exactly (a passphrase, an existing file, a missing ~/.ssh,
// a write error, a usage error), runs cmd/ssh-keygen.ts, loaded only then; both share the helpers below.
import { homedir, hostname, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { parseCommandLine } from "./command-line.ts";
import type { ProgramContext, ProgramModule } from "./pending.ts";
import { fingerprint, fingerprintDigest, fingerprintHashName, randomArt, type FingerprintHash } from "../core/keys/fingerprint.ts";
import { formatPublicKeyLine, keyTypeRow } from "../core/keys/key-types.ts";
import { formatPlainPrivateKey, generateKeyFields } from "../core/keys/openssh-key-v1.ts";
import { strerror } from "../core/strerror.ts";
import { VERSION_LINE } from "../core/version.ts";

/** $HOME, else the passwd entry's directory. */
export function keygenHome(): string {
  return process.env.HOME ?? homedir();
}

/**
 * getpwuid(getuid())->pw_name: the /etc/passwd text (null when unreadable) first (Bun's os.userInfo() can say
 * "unknown"), then the environment.
 */
export function loginName(passwd: string | null): string {
  const uid = process.getuid?.();
  for (const l of passwd?.split("\n") ?? []) {
    const f = l.split(":");
    if (f.length >= 3 && Number(f[2]) === uid) return f[0]!;
  }
  try {
    const name = userInfo().username;
    if (name !== "unknown") return name;
  } catch {
    // fall through
  }
  return process.env.USER ?? process.env.LOGNAME ?? "unknown";
}

/** existsSync() without node:fs: whether stat() succeeds. */
const exists = (path: string): Promise<boolean> => Bun.file(path).stat().then(() => true, () => false);

/**
 * Creates `path` (known not to exist) holding `text`. Bun.write creates files with mode 0664 and ignores a `mode`
 * option for text, so the umask makes the mode, as authfile.c's umask(077) around the private key does: 077 gives 0600,
 * 022 gives 0644, whatever the user's umask (the full program's chmod gives the same). Not written through a temporary
 * file as the full program does: a new file nobody reads yet, as OpenSSH writes it.
 */
async function create(path: string, text: string, umask: number): Promise<void> {
  const saved = process.umask(umask);
  try {
    await Bun.write(path, text, { createPath: false });
  } finally {
    process.umask(saved);
  }
}

/** Key kinds ssh-keygen generates here. */
export type GenerationKind = "ed25519" | "ecdsa" | "rsa" | "mldsa44-ed25519";

/**
 * do_gen's reading of `-t` (sshkey_type_from_shortname, which also knows the signature names) and `-b` (0: none):
 * the kind and its size, or the fatal() line OpenSSH prints (`sk`: after "Generating public/private … key pair.").
 */
export function generationKind(typeName: string, bits: number): { kind: GenerationKind; bits: number } | { fatal: string; sk: boolean } {
  const t = typeName.toLowerCase();
  if (t === "ed25519" || t === "ssh-ed25519") return { kind: "ed25519", bits: 256 };
  if (t === "mldsa44-ed25519" || t === "ssh-mldsa44-ed25519@openssh.com") return { kind: "mldsa44-ed25519", bits };
  if (t === "rsa" || t === "ssh-rsa" || t === "rsa-sha2-256" || t === "rsa-sha2-512") {
    const b = bits === 0 ? 3072 : bits;
    if (b < 1024) return { fatal: "Invalid RSA key length: minimum is 1024 bits", sk: false };
    if (b > 16384) return { fatal: "Invalid RSA key length: maximum is 16384 bits", sk: false };
    return { kind: "rsa", bits: b };
  }
  if (t === "ecdsa" || /^ecdsa-sha2-nistp(256|384|521)$/.test(t)) {
    const b = bits !== 0 ? bits : t === "ecdsa" ? 256 : Number(t.slice(-3));
    if (![256, 384, 521].includes(b)) return { fatal: "Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits", sk: false };
    return { kind: "ecdsa", bits: b };
  }
  if (t === "ecdsa-sk" || t === "ed25519-sk" || t.startsWith("sk-")) {
    return { fatal: `Key enrollment failed: FIDO authenticators are not supported by ${VERSION_LINE.split(",")[0]}`, sk: true };
  }
  return { fatal: `unknown key type ${typeName}`, sk: false };
}

const HASHES: readonly string[] = ["md5", "sha1", "sha256", "sha384", "sha512"];

/**
 * The quick path: the exit status when it did the whole job, undefined when cmd/ssh-keygen.ts must run instead (nothing
 * has been printed or written then).
 */
export async function quickGenerate(ctx: ProgramContext): Promise<number | undefined> {
  let parsed;
  try {
    parsed = parseCommandLine("ssh-keygen", ctx.args);
  } catch {
    return undefined; // the full program prints the usage error
  }
  if (parsed.operands.length > 0) return undefined;
  let quiet = false;
  let typeName = "ed25519";
  let bits = 0;
  let file: string | undefined;
  let passphrase: string | undefined;
  let comment: string | undefined;
  let hash: FingerprintHash = "sha256";
  for (const { flag, value } of parsed.options) {
    const v = value ?? "";
    switch (flag) {
      case "q": quiet = true; break;
      case "t": typeName = v; break;
      case "b":
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 0xffffffff) return undefined;
        bits = Number(v);
        break;
      case "N": passphrase = v; break;
      case "f": file = v; break;
      case "C": comment = v; break;
      case "E":
        if (!HASHES.includes(v.toLowerCase())) return undefined;
        hash = v.toLowerCase() as FingerprintHash;
        break;
      case "o": break; // openssh format is the default since 7.8
      default: return undefined; // any other action or setting
    }
  }
  if (passphrase !== "" || file === undefined || file === "") return undefined;
  const g = generationKind(typeName, bits);
  if ("fatal" in g || (g.kind !== "ed25519" && g.kind !== "ecdsa")) return undefined;
  // The full path asks before overwriting, and creates ~/.ssh with a message.
  const sshDir = join(keygenHome(), ".ssh");
  const pub = `${file}.pub`;
  // All at once (WebCrypto and Bun.file work off the JS thread); a key made for nothing costs nothing.
  const [fileExists, pubExists, dirMissing, fields, passwd] = await Promise.all([
    exists(file),
    exists(pub),
    dirname(file) === sshDir ? exists(sshDir).then((e) => !e) : false,
    generateKeyFields(g.kind, g.bits),
    comment === undefined ? Bun.file("/etc/passwd").text().catch(() => null) : null,
  ]);
  if (fileExists || pubExists || dirMissing) return undefined;
  const key = { ...fields, comment: comment ?? `${loginName(passwd)}@${hostname()}` };
  try {
    await create(file, formatPlainPrivateKey(key), 0o077);
  } catch {
    return undefined; // nothing written: the full program meets the same error and words it
  }
  try {
    await create(pub, `${formatPublicKeyLine(key.publicKeyBlob, key.comment)}\n`, 0o022);
  } catch (e) {
    if (!quiet) ctx.io.out(`Generating public/private ${typeName} key pair.\nYour identification has been saved in ${file}\n`);
    ctx.io.err(`Unable to save public key to ${pub}: ${strerror(e)}\r\n`);
    return 255;
  }
  if (!quiet) {
    const art = randomArt(fingerprintDigest(key.publicKeyBlob, hash), fingerprintHashName(hash), keyTypeRow(key.type)!.label, g.bits);
    ctx.io.out(
      `Generating public/private ${typeName} key pair.\n` +
        `Your identification has been saved in ${file}\n` +
        `Your public key has been saved in ${pub}\n` +
        "The key fingerprint is:\n" +
        `${fingerprint(key.publicKeyBlob, hash)} ${key.comment}\n` +
        "The key's randomart image is:\n" +
        `${art}\n`,
    );
  }
  return 0;
}

/** ssh-keygen: the quick path, else the whole program. */
export const sshKeygen: ProgramModule = {
  implemented: true,
  run: async (ctx) => (await quickGenerate(ctx)) ?? (await import("./ssh-keygen.ts")).sshKeygen.run(ctx),
};
