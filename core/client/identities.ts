// ssh's user keys (sshconnect2.c pubkey_prepare, load_identity_file): IdentityFile and CertificateFile paths become
// Signers whose public half comes from `<file>.pub` (or the private file); the private key is loaded when the server
// accepts the public key, with OpenSSH's permission check and passphrase prompt.
import { existsSync, readFileSync, statSync } from "node:fs";
import { blobType, KeyFormatError, loadPrivateKey, parsePublicKeyLine, publicKeyFromPrivateFile, signAsync, type PrivateKey } from "../keys/index.ts";
import type { Signer } from "../auth/index.ts";
import type { Logger } from "../log.ts";
import { keyTypeLabel } from "./host-check.ts";
import { fingerprint, plainKeyBlob } from "../keys/index.ts";

/** How identities reach the user when they need a passphrase, and where warnings go. */
export interface IdentityContext {
  readonly log: Logger;
  /** Prints lines on stderr as error() does (the permissions block). */
  readonly error: (line: string) => void;
  /** Asks for a passphrase (no echo); null: none given. Undefined in BatchMode. */
  readonly askPassphrase?: (prompt: string) => string | null;
  readonly uid: number;
  /**
   * AddKeysToAgent (sshconnect.c maybe_add_key_to_agent): told of each private key loaded from a file for signing;
   * resolves when the agent has it (or has refused it). Absent: nothing is added.
   */
  readonly addToAgent?: (path: string, key: PrivateKey) => Promise<void>;
}

function readPublic(path: string): Uint8Array | null {
  try {
    return parsePublicKeyLine(readFileSync(path, "utf8").trim()).blob;
  } catch {
    return null;
  }
}

/** Loads the private key at `path` as sshkey_load_private does for ssh: permissions first, then the passphrase dance. */
function loadPrivate(path: string, ctx: IdentityContext): PrivateKey | null {
  let bytes: Uint8Array;
  try {
    const st = statSync(path);
    // authfile.c sshkey_perm_ok: a key file others can read is refused, unless owned by someone else (then it is theirs)
    if (st.uid === ctx.uid && (st.mode & 0o077) !== 0) {
      ctx.error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
      ctx.error("@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @");
      ctx.error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
      ctx.error(`Permissions 0${(st.mode & 0o777).toString(8)} for '${path}' are too open.`);
      ctx.error("It is required that your private key files are NOT accessible by others.");
      ctx.error("This private key will be ignored.");
      ctx.error(`Load key "${path}": bad permissions`);
      return null;
    }
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    ctx.log.debug(`Load key "${path}": ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : (e as Error).message}`);
    return null;
  }
  try {
    return loadPrivateKey(bytes);
  } catch (e) {
    if (!(e instanceof KeyFormatError) || e.kind !== "wrong-passphrase") {
      ctx.log.debug(`Load key "${path}": ${(e as Error).message}`);
      return null;
    }
  }
  if (ctx.askPassphrase === undefined) return null;
  for (let i = 0; i < 3; i++) {
    const pass = ctx.askPassphrase(`Enter passphrase for key '${path}': `);
    if (pass === null || pass === "") return null;
    try {
      return loadPrivateKey(bytes, pass);
    } catch (e) {
      if (!(e instanceof KeyFormatError) || e.kind !== "wrong-passphrase") return null;
      ctx.log.debug(`Load key "${path}": incorrect passphrase supplied to decrypt private key`);
    }
  }
  return null;
}

function sameKey(cert: Uint8Array, pub: Uint8Array): boolean {
  try {
    return Buffer.from(plainKeyBlob(cert)).equals(Buffer.from(pub));
  } catch {
    return false;
  }
}

/** sshkey.h enum sshkey_types, as ssh's "identity file ... type N" debug line prints it. */
function keyTypeNumber(type: string): number {
  const order = ["ssh-rsa", "ssh-dss", "ecdsa", "ssh-ed25519"];
  const cert = type.includes("-cert-v01@openssh.com") ? 4 : 0;
  if (type.startsWith("sk-ecdsa")) return 10 + (cert ? 1 : 0);
  if (type.startsWith("sk-ssh-ed25519")) return 12 + (cert ? 1 : 0);
  const i = order.findIndex((t) => type.startsWith(t));
  return i < 0 ? 14 : i + cert;
}

/** The plain signature algorithm behind a certificate signature algorithm (`rsa-sha2-512-cert-v01@openssh.com` → `rsa-sha2-512`). */
function plainAlgorithm(alg: string): string {
  return alg.replace("-cert-v01@openssh.com", "");
}

/** The CertificateFile certificates that can be read, with their paths. */
export function readCertificateFiles(paths: readonly string[]): { path: string; blob: Uint8Array }[] {
  return paths.map((p) => ({ path: p, blob: readPublic(p) })).filter((c) => c.blob !== null) as { path: string; blob: Uint8Array }[];
}

/**
 * Signers for the identity files (already expanded), in order, each followed by its certificate when one exists
 * (`<file>-cert.pub`, or a CertificateFile whose key matches). Missing files are logged at debug1 as OpenSSH does.
 */
export function identitySigners(files: readonly string[], certificateFiles: readonly string[], ctx: IdentityContext): Signer[] {
  const out: Signer[] = [];
  const certs = readCertificateFiles(certificateFiles);
  const seen = new Set<string>();
  for (const path of files) {
    if (seen.has(path)) continue;
    seen.add(path);
    let pub = existsSync(`${path}.pub`) ? readPublic(`${path}.pub`) : null;
    if (pub === null && existsSync(path)) {
      // authfile.c sshkey_load_public: the file itself may be the public key (`-i key.pub` with the private half in
      // the agent, as OpenSSH's agent test does); else the public half inside a private key file.
      pub = readPublic(path);
      if (pub === null) {
        try {
          pub = publicKeyFromPrivateFile(new Uint8Array(readFileSync(path)));
        } catch {
          pub = null;
        }
      }
    }
    if (!existsSync(path) && pub === null) {
      ctx.log.debug(`identity file ${path} type -1`);
      continue;
    }
    ctx.log.debug(`identity file ${path} type ${pub === null ? -1 : keyTypeNumber(blobType(pub))}`);
    let key: PrivateKey | null | undefined;
    let added: Promise<void> | undefined;
    const getKey = (): PrivateKey | null => {
      if (key === undefined) {
        key = loadPrivate(path, ctx);
        if (key !== null && ctx.addToAgent !== undefined) added = ctx.addToAgent(path, key).catch(() => {});
      }
      return key;
    };
    const signer = (blob: Uint8Array, isCert: boolean, label: string): Signer => ({
      algorithm: blobType(blob),
      publicKeyBlob: blob,
      queryFirst: true,
      comment: label,
      async sign(data: Uint8Array, sigAlg: string): Promise<Uint8Array> {
        const k = getKey();
        if (k === null) throw new Error(`no private key for ${path}`);
        await added;
        return signAsync(k, data, isCert ? plainAlgorithm(sigAlg) : sigAlg);
      },
    });
    if (pub === null) {
      // No public half readable: load the private key now (OpenSSH's "Trying private key" path).
      const k = getKey();
      if (k === null) continue;
      out.push({ ...signer(k.publicKeyBlob, false, `${path} ${keyTypeLabel(k.publicKeyBlob)} ${fingerprint(k.publicKeyBlob)}`), queryFirst: false });
    } else {
      // the .pub beside a key may itself be a certificate (ssh-keygen -s output renamed, as the regress suite does)
      out.push(signer(pub, blobType(pub).includes("-cert-v01@openssh.com"), `${path} ${keyTypeLabel(pub)} ${fingerprint(pub)}`));
    }
    const certPath = `${path}-cert.pub`;
    const certBlob = existsSync(certPath) ? readPublic(certPath) : null;
    if (certBlob !== null) out.push(signer(certBlob, true, `${certPath} ${keyTypeLabel(certBlob)} ${fingerprint(certBlob)}`));
    for (const c of certs) {
      if (c.path === certPath || pub === null || !sameKey(c.blob, pub)) continue;
      out.push(signer(c.blob, true, `${c.path} ${keyTypeLabel(c.blob)} ${fingerprint(c.blob)}`));
    }
  }
  return out;
}

/** What an agent offers ssh: its keys, and signing with them. */
export interface AgentKeys {
  readonly keys: readonly { readonly blob: Uint8Array; readonly comment: string }[];
  sign(blob: Uint8Array, data: Uint8Array, algorithm: string): Promise<Uint8Array>;
}

/**
 * sshconnect2.c pubkey_prepare: the agent's keys come before the files'. An agent key that is also an identity file
 * takes the file's place in the agent's order and is signed by the agent; the other agent keys follow (none with
 * IdentitiesOnly); then the identity files the agent does not hold. Labels gain OpenSSH's " agent" note.
 */
export function preferAgentKeys(
  files: readonly Signer[],
  agent: AgentKeys,
  identitiesOnly: boolean,
  certificates: readonly { path: string; blob: Uint8Array }[] = [],
): Signer[] {
  // sshconnect2.c sign_and_send_pubkey: a certificate is signed by whichever identity holds its key. A CertificateFile
  // whose key only the agent holds (no identity file) is offered first, as pubkey_prepare puts certificates first.
  const certSigners: Signer[] = [];
  for (const c of identitiesOnly ? [] : certificates) {
    if (files.some((f) => Buffer.from(f.publicKeyBlob).equals(Buffer.from(c.blob)))) continue;
    let plain: Uint8Array;
    try {
      plain = plainKeyBlob(c.blob);
    } catch {
      continue;
    }
    if (!agent.keys.some((k) => Buffer.from(k.blob).equals(Buffer.from(plain)))) continue;
    certSigners.push({
      algorithm: blobType(c.blob),
      publicKeyBlob: c.blob,
      queryFirst: true,
      comment: `${c.path} ${keyTypeLabel(c.blob)} ${fingerprint(c.blob)} agent`,
      sign: (data, sigAlg) => agent.sign(plain, data, plainAlgorithm(sigAlg)),
    });
  }
  const remaining = [...files];
  const matched: Signer[] = [];
  const others: Signer[] = [];
  const viaAgent = (s: { algorithm: string; publicKeyBlob: Uint8Array; comment?: string }): Signer => ({
    algorithm: s.algorithm,
    publicKeyBlob: s.publicKeyBlob,
    queryFirst: true,
    comment: `${s.comment ?? s.algorithm} agent`,
    sign: (data, sigAlg) => agent.sign(s.publicKeyBlob, data, sigAlg),
  });
  for (const k of agent.keys) {
    const i = remaining.findIndex((f) => f.queryFirst !== false && Buffer.from(f.publicKeyBlob).equals(Buffer.from(k.blob)));
    if (i >= 0) {
      matched.push(viaAgent(remaining[i]!));
      remaining.splice(i, 1);
    } else if (!identitiesOnly) {
      let type: string;
      try {
        type = blobType(k.blob);
      } catch {
        continue; // a blob we cannot read is not offered (OpenSSH skips keys it cannot parse)
      }
      others.push(viaAgent({ algorithm: type, publicKeyBlob: k.blob, comment: `${k.comment} ${keyTypeLabel(k.blob)} ${fingerprint(k.blob)}` }));
    }
  }
  return [...certSigners, ...matched, ...others, ...remaining];
}
