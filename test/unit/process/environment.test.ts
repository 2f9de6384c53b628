import { describe, expect, test } from "bun:test";
import { childEnvironment } from "../../../core/process/spawn.ts";
import { isRuntimeControlVariable, scrubRuntimeEnv } from "../../../core/process/environment.ts";

describe("runtime-control variables never reach a privileged child", () => {
  test.each(["BUN_OPTIONS", "BUN_INSTALL", "NODE_OPTIONS", "NODE_PATH", "BUN"])("%s is scrubbed", (name) => {
    expect(isRuntimeControlVariable(name)).toBe(true);
    expect(scrubRuntimeEnv({ [name]: "--preload ./evil.ts", HOME: "/root" })).toEqual({ HOME: "/root" });
  });
  test.each(["PATH", "BUNNY", "XNODE_OPTIONS", "LANG"])("%s is kept", (name) => {
    expect(isRuntimeControlVariable(name)).toBe(false);
  });
  test("privileged requests are scrubbed even when this process is not root", () => {
    expect(childEnvironment({ env: { BUN_OPTIONS: "x", NODE_OPTIONS: "y", TERM: "xterm" }, privileged: true })).toEqual({ TERM: "xterm" });
  });
  test("a child spawned through spawnChild as root sees no BUN_*/NODE_*", async () => {
    const { spawnChild } = await import("../../../core/process/spawn.ts");
    const p = spawnChild({ argv: ["/usr/bin/env"], env: { BUN_OPTIONS: "--preload x", A: "1" }, privileged: true, stdio: ["ignore", "pipe", "inherit"] });
    const out = await new Response(p.stdout as ReadableStream).text();
    await p.exited;
    expect(out.split("\n").filter(Boolean).sort()).toEqual(["A=1"]);
  });
});
