// The compiled dist/sshbox: multi-call dispatch through links and the first argument, --list/--install, -V, usage
// errors, and the loader hardening of scripts/build.ts (no .env, no bunfig.toml preload from the cwd).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, run, sshboxBinary } from "../helpers/binary.ts";
import { linkNames, PROGRAMS } from "../../cmd/programs.ts";
import { usageText } from "../../cmd/usage.ts";
import { VERSION_LINE } from "../../core/version.ts";

let bin = "";
let work = "";
beforeAll(async () => {
  bin = await sshboxBinary();
  work = mkdtempSync(join(tmpdir(), "sshbox-bin-"));
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("dispatch", () => {
  test.each(linkNames())("through a link named %s", async (name) => {
    const dir = mkdtempSync(join(work, "link-"));
    symlinkSync(bin, join(dir, name));
    const r = await run([join(dir, name), "-%"]);
    const program = PROGRAMS.find((p) => p.name === name || p.aliases.includes(name))!;
    // OpenSSH's sftp-server prints only its usage for a bad option (sftp-server.c uses its own getopt error handling).
    // scp.c's getopt message goes through its log: prefixed with argv[0] and ended with "\r\n"; sftp.c's ends with
    // "\r\n" too (both as OpenSSH 9.2 prints them).
    const message = program.name === "sftp-server" ? "" : program.name === "scp" ? `${join(dir, name)}: unknown option -- %\r\n`
      : program.name === "sftp" ? "unknown option -- %\r\n" : "unknown option -- %\n";
    expect(r.stderr).toBe(`${message}${usageText(program.name, name)}`);
    expect(r.exitCode).toBe(program.name === "ssh" ? 255 : 1);
  });

  test.each(PROGRAMS.map((p) => p.name))("as the first argument: sshbox %s", async (name) => {
    const r = await run([bin, name, "-%"]);
    const first = name === "sftp-server" ? "usage: sftp-server" : name === "scp" ? "scp: unknown option -- %\r\n" : name === "sftp" ? "unknown option -- %\r\n" : "unknown option -- %\n";
    expect(r.stderr.startsWith(first)).toBe(true);
    expect(r.exitCode).toBe(name === "ssh" ? 255 : 1);
  });

  test("an unimplemented program says so and fails", async () => {
    const r = await run([bin, "ssh-keyscan", "localhost"]);
    expect(r).toEqual({ stdout: "", stderr: expect.stringContaining("ssh-keyscan: not implemented yet"), exitCode: 1 });
  });

  test("ssh -V and sshd -V print the version on stderr and exit 0", async () => {
    for (const p of ["ssh", "sshd"]) {
      expect(await run([bin, p, "-V"])).toEqual({ stdout: "", stderr: `${VERSION_LINE}\n`, exitCode: 0 });
    }
    expect(VERSION_LINE).toMatch(/^sshbox_\d+\.\d+\.\d+, BoringSSL [0-9a-f]{7} \(Bun \d/);
  });

  test("ssh without a destination prints its usage and exits 255", async () => {
    expect(await run([bin, "ssh"])).toEqual({ stdout: "", stderr: usageText("ssh", "ssh"), exitCode: 255 });
  });

  test("no program name: the listing, exit 1", async () => {
    const r = await run([bin]);
    expect(r.exitCode).toBe(1);
    for (const n of linkNames()) expect(r.stderr).toContain(n);
    expect(r.stderr).toContain("sshbox --install dir");
  });

  test("an unknown program name: said, then the listing, exit 1", async () => {
    const r = await run([bin, "telnet"]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.startsWith("sshbox: unknown program 'telnet'\n")).toBe(true);
    const linked = join(mkdtempSync(join(work, "unk-")), "sshx");
    symlinkSync(bin, linked);
    expect((await run([linked])).exitCode).toBe(1);
  });

  test("--list prints every name", async () => {
    expect(await run([bin, "--list"])).toEqual({ stdout: linkNames().join("\n") + "\n", stderr: "", exitCode: 0 });
  });
});

describe("--install", () => {
  test("creates a link per name that then dispatches", async () => {
    const dir = mkdtempSync(join(work, "inst-"));
    const r = await run([bin, "--install", dir]);
    expect(r.exitCode).toBe(0);
    for (const n of linkNames()) expect(readlinkSync(join(dir, n))).toBe(bin);
    expect((await run([join(dir, "slogin"), "-V"])).stderr).toBe(`${VERSION_LINE}\n`);
    expect((await run([bin, "--install", dir])).exitCode).toBe(0); // again: its own links are fine
  });

  test("refuses to replace a file that is not a link to sshbox, and installs nothing", async () => {
    const dir = mkdtempSync(join(work, "refuse-"));
    writeFileSync(join(dir, "ssh"), "#!/bin/sh\necho real ssh\n");
    symlinkSync("/bin/true", join(dir, "scp"));
    const r = await run([bin, "--install", dir]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${join(dir, "ssh")} exists and is not a link to sshbox`);
    expect(r.stderr).toContain(`${join(dir, "scp")} exists and is not a link to sshbox`);
    expect(readFileSync(join(dir, "ssh"), "utf8")).toBe("#!/bin/sh\necho real ssh\n");
    expect(existsSync(join(dir, "sshd"))).toBe(false);
    const forced = await run([bin, "--install", dir, "--force"]);
    expect(forced.exitCode).toBe(0);
    expect(lstatSync(join(dir, "ssh")).isSymbolicLink() && readlinkSync(join(dir, "ssh"))).toBe(bin);
  });

  test("a missing directory or no directory is an error", async () => {
    expect((await run([bin, "--install", join(work, "nope")])).exitCode).toBe(1);
    expect((await run([bin, "--install"])).exitCode).toBe(1);
  });
});

describe("loader hardening", () => {
  test("a .env and a bunfig.toml preload in the cwd are not loaded", async () => {
    const dir = mkdtempSync(join(work, "evil-"));
    const marker = join(dir, "preload-ran");
    writeFileSync(join(dir, "evil.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x");\n`);
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
    writeFileSync(join(dir, ".env"), "SSHBOX_DOTENV_PROBE=loaded\n");
    const r = await run([bin, "--list"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false); // the preload never ran
    // The product binary cannot print its environment, so a probe compiled with the very same flags reports it.
    const probe = join(work, "env-probe");
    const built = await run([process.execPath, join(ROOT, "scripts", "build.ts"), probe, join(ROOT, "test", "fixtures", "env-probe.ts")], { cwd: ROOT });
    expect(built.exitCode).toBe(0);
    const out = await run([probe], {
      cwd: dir,
      env: { PATH: "/usr/bin:/bin", BUN_CONFIG_VERBOSE_FETCH: "1", NODE_OPTIONS: "--require=x", KEEP_ME: "yes" },
    });
    expect(existsSync(marker)).toBe(false);
    const report = JSON.parse(out.stdout) as { dotenv: string | null; childEnv: string[] };
    expect(report.dotenv).toBeNull();
    // A privileged child's environment loses BUN_* and NODE_* and keeps the rest.
    expect(report.childEnv.filter((l) => /^(BUN|NODE)_/.test(l))).toEqual([]);
    expect(report.childEnv).toContain("KEEP_ME=yes");
  }, 60_000);
});
