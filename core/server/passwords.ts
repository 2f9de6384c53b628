// Password checks for sshd's `password` method (auth-passwd.c sys_auth_passwd without PAM): the hash from /etc/shadow
// (root only), crypt(3) through libcrypt's crypt_r (yescrypt `$y$`, sha512crypt `$6$`, sha256crypt `$5$`, …), compared in
// constant time. crypt_r runs in a Worker (bun-platform.md §3: a yescrypt verify takes ~19 ms), so one login never stalls
// the other connections of this process.
import { readFileSync } from "node:fs";
import { timingSafeEqual } from "node:crypto";

/** The shadow entry's hash for `user`: undefined when unknown or unreadable (not root). */
export function shadowHash(user: string, path = "/etc/shadow"): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f[0] === user && f.length >= 2) return f[1];
  }
  return undefined;
}

const WORKER_SOURCE = `
import { dlopen, ptr, CString } from "bun:ffi";
let crypt = null;
try {
  crypt = dlopen("libcrypt.so.1", { crypt_r: { args: ["cstring", "cstring", "ptr"], returns: "ptr" } }).symbols.crypt_r;
} catch {}
const data = new Uint8Array(32768); // struct crypt_data
self.onmessage = (e) => {
  const { id, password, setting } = e.data;
  if (!crypt) { postMessage({ id, error: "libcrypt.so.1 is not available" }); return; }
  data.fill(0);
  const pw = Buffer.concat([Buffer.from(password), Buffer.from([0])]);
  const st = Buffer.from(setting + "\\0");
  const out = crypt(ptr(pw), ptr(st), ptr(data));
  pw.fill(0);
  postMessage({ id, hash: out ? new CString(out).toString() : null });
};
`;

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, (r: { hash?: string | null; error?: string }) => void>();

function cryptWorker(): Worker {
  if (!worker) {
    worker = new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" })));
    worker.onmessage = (e: MessageEvent<{ id: number; hash?: string | null; error?: string }>) => {
      waiting.get(e.data.id)?.(e.data);
      waiting.delete(e.data.id);
    };
    worker.unref();
  }
  return worker;
}

/** crypt(3) of `password` with the settings (salt) of `hash`; null when crypt refuses the setting. */
export function cryptPassword(password: Uint8Array, setting: string): Promise<string | null> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, (r) => (r.error ? reject(new Error(r.error)) : resolve(r.hash ?? null)));
    cryptWorker().postMessage({ id, password: Array.from(password), setting });
  });
}

/**
 * Whether `password` matches the shadow hash (auth-passwd.c / auth-shadow.c): locked (`!`, `*`) and empty hashes never
 * match, except an empty hash with an empty password when PermitEmptyPasswords allows it.
 */
export async function passwordMatches(password: Uint8Array, hash: string | undefined, permitEmpty: boolean): Promise<boolean> {
  if (hash === undefined) return false;
  if (hash === "") return permitEmpty && password.length === 0;
  if (hash.startsWith("!") || hash.startsWith("*")) return false;
  const got = await cryptPassword(password, hash);
  if (got === null || got.length !== hash.length) return false;
  return timingSafeEqual(Buffer.from(got), Buffer.from(hash));
}
