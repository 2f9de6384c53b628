// ignoredAtStart reads the inherited SIG_IGN mask: a child started with SIGINT ignored sees it, one without does not.
import { expect, test } from "bun:test";
import { join } from "node:path";

const probe = `import { ignoredAtStart } from ${JSON.stringify(join(import.meta.dir, "../../../core/process/signals.ts"))}; console.log(ignoredAtStart(2), ignoredAtStart(15));`;

test("SIGINT ignored by the parent shell is reported; SIGTERM is not", async () => {
  const run = async (script: string) => {
    const p = Bun.spawn(["/bin/sh", "-c", script, "sh", process.execPath, probe], { stdout: "pipe", stderr: "inherit" });
    return (await p.stdout.text()).trim();
  };
  expect(await run(`trap '' INT; exec "$1" -e "$2"`)).toBe("true false");
  expect(await run(`exec "$1" -e "$2"`)).toBe("false false");
});
