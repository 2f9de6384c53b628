// Our sshd for OpenSSH's clients in interop tests: a scratch directory with host keys, a user key `id` authorized in
// its authorized_keys, sshd_config files written there, and the client options that reach our `sshd -i` through
// ProxyCommand (or a listening sshd through -p) with no host key checks and BatchMode.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sshboxBinary } from "./binary.ts";
import { OPENSSH, exec } from "./openssh.ts";

/** What scratchSshd makes. */
export interface ScratchOptions {
  /** Host keys, file name → type; default `{ host: "ed25519" }`. */
  readonly hostKeys?: Readonly<Record<string, "ed25519" | "ecdsa" | "rsa">>;
  /** Make the user key `id` (ed25519) and authorize it in `authorized_keys`; default true. */
  readonly userKey?: boolean;
  /** The directory's mode; default 0o755 (sessions run as other users read below it). */
  readonly mode?: number;
}

/** Options of the OpenSSH client command line. */
export interface ClientOptions {
  /** The private key to offer; default the scratch `id`. */
  readonly identity?: string;
  /** `-o LogLevel=`; default ERROR, null for none. */
  readonly logLevel?: string | null;
}

/** A scratch sshd setup; see scratchSshd. */
export interface ScratchSshd {
  readonly dir: string;
  /** dist/sshbox, up to date. */
  readonly bin: string;
  /** `HostKey` lines for every host key. */
  readonly hostKeyLines: readonly string[];
  /** hostKeyLines, then `AuthorizedKeysFile <dir>/authorized_keys` and `StrictModes no`. */
  readonly baseConfig: readonly string[];
  /** `<dir>/<name>`. */
  path(name: string): string;
  /** Writes `<dir>/<name>` with these lines (and a final newline); returns its path. */
  writeConfig(name: string, lines: readonly string[]): string;
  /** The command that runs our `sshd -i -f <config>` with more sshd flags (e.g. `-E <log>`). */
  proxy(config: string, sshdFlags?: string): string;
  /** `-F none`, no host key checks, LogLevel, BatchMode, `-i id`: how every OpenSSH client here starts. */
  clientOptions(opts?: ClientOptions): string[];
  /** clientOptions and the ProxyCommand reaching `proxy(config, sshdFlags)`; a destination follows. */
  viaProxy(config: string, sshdFlags?: string, opts?: ClientOptions): string[];
  /** Removes the directory. */
  remove(): void;
}

/** Makes the scratch directory (`<tmp>/<prefix>XXXXXX`) and its keys; the caller removes it (remove()). */
export async function scratchSshd(prefix: string, opts: ScratchOptions = {}): Promise<ScratchSshd> {
  const bin = await sshboxBinary();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, opts.mode ?? 0o755);
  const path = (name: string): string => join(dir, name);
  const hostKeys = Object.entries(opts.hostKeys ?? { host: "ed25519" });
  const userKey = opts.userKey ?? true;
  const keys: [string, string][] = [...(userKey ? [["id", "ed25519"] as [string, string]] : []), ...hostKeys];
  await Promise.all(keys.map(([name, type]) => exec([OPENSSH.sshKeygen, "-q", "-t", type, "-N", "", "-f", path(name)])));
  if (userKey) writeFileSync(path("authorized_keys"), readFileSync(path("id.pub")));
  const hostKeyLines = hostKeys.map(([name]) => `HostKey ${path(name)}`);
  const proxy = (config: string, sshdFlags = ""): string => `${bin} sshd -i -f ${config}${sshdFlags === "" ? "" : ` ${sshdFlags}`}`;
  const clientOptions = (o: ClientOptions = {}): string[] => {
    const logLevel = o.logLevel === undefined ? "ERROR" : o.logLevel;
    return ["-F", "none", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", ...(logLevel === null ? [] : ["-o", `LogLevel=${logLevel}`]),
      "-o", "BatchMode=yes", "-i", o.identity ?? path("id")];
  };
  return {
    dir,
    bin,
    hostKeyLines,
    baseConfig: [...hostKeyLines, `AuthorizedKeysFile ${path("authorized_keys")}`, "StrictModes no"],
    path,
    writeConfig(name, lines) {
      writeFileSync(path(name), [...lines, ""].join("\n"));
      return path(name);
    },
    proxy,
    clientOptions,
    viaProxy: (config, sshdFlags, o) => [...clientOptions(o), "-o", `ProxyCommand=${proxy(config, sshdFlags)}`],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
