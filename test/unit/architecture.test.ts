// STYLE.md §1: imports flow down. Every relative import in core/ is checked against its module's column; nothing in
// core imports cmd/, test/ or bench/.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const CORE = join(import.meta.dir, "..", "..", "core");
/** Module → modules it may import. The files at core/ top level (errors, wording, version, ...) are "root". */
const ALLOWED: Record<string, readonly string[]> = {
  crypto: [],
  wire: ["root"],
  process: ["root"],
  keys: ["root", "wire", "crypto"],
  config: ["root", "crypto", "keys"],
  transport: ["root", "wire", "crypto", "keys"],
  auth: ["root", "transport", "wire", "keys", "crypto"],
  connection: ["root", "transport", "wire"],
  sftp: ["root", "wire"],
  // scp's legacy protocol and operands (cmd/scp.ts runs it over ssh's stdio); names as bytes via sftp's pathText.
  scp: ["root", "sftp"],
  // Above the protocol layers: what sshd and ssh do with a connection (sessions, the per-connection pipeline).
  server: ["root", "process", "wire", "crypto", "keys", "config", "transport", "auth", "connection", "sftp"],
  client: ["root", "process", "wire", "crypto", "keys", "config", "transport", "auth", "connection", "agent"],
  // The agent protocol: ssh's side now, the agent's later.
  agent: ["root", "wire", "keys", "crypto"],
  root: [],
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}
const moduleOf = (file: string): string => {
  const rel = relative(CORE, file).split("/");
  return rel.length === 1 ? "root" : rel[0]!;
};

test.each(files(CORE).map((f) => relative(CORE, f)))("core/%s imports only what its layer may", (rel) => {
  const file = join(CORE, rel);
  const mine = moduleOf(file);
  const src = readFileSync(file, "utf8");
  const bad: string[] = [];
  for (const m of src.matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
    const target = resolve(dirname(file), m[1]!);
    if (!target.startsWith(CORE + "/")) {
      if (!target.endsWith("package.json")) bad.push(`${m[1]} (outside core)`);
      continue;
    }
    const theirs = moduleOf(target);
    if (theirs !== mine && !(ALLOWED[mine] ?? []).includes(theirs)) bad.push(`${m[1]} (${mine} → ${theirs})`);
  }
  expect(ALLOWED[mine]).toBeDefined();
  expect(bad).toEqual([]);
});
