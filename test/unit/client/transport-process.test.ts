// spawnTransport(): pipes both ways, OpenSSH's exec error, and SIGINT ignored in the child when asked (sftp.c).
import { expect, test } from "bun:test";
import { spawnTransport } from "../../../core/client/transport-process.ts";

test("bytes go through the child and back", async () => {
  const t = spawnTransport(["cat"]);
  t.stdin.write(new TextEncoder().encode("ping"));
  t.stdin.end();
  expect(await new Response(t.stdout).text()).toBe("ping");
  expect(await t.exited).toBe(0);
});

test.each([false, true])("a program that does not exist: exec: <path>: No such file or directory (ignoreInterrupt %p)", (ignore) => {
  expect(() => spawnTransport(["/nonexistent/ssh"], process.env, ignore)).toThrow("exec: /nonexistent/ssh: No such file or directory");
});

test("with ignoreInterrupt the child survives SIGINT", async () => {
  const t = spawnTransport(["sh", "-c", "kill -INT $$; echo alive"], process.env, true);
  t.stdin.end();
  expect(await new Response(t.stdout).text()).toBe("alive\n");
  expect(await t.exited).toBe(0);
});

test("terminate() ends the child", async () => {
  const t = spawnTransport(["sleep", "30"]);
  t.terminate();
  expect(await t.exited).not.toBe(0);
});
