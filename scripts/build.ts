// `npm run build`: compiles cmd/main.ts into the single binary dist/sshbox.
// --bytecode + --format=esm: start-up ~8 ms instead of ~15 ms (bun-platform.md §6; bench/startup.ts measures it);
// --splitting: each program's modules become their own chunks inside the binary, and a chunk is read and evaluated only
// when its dynamic import runs: `ssh -V` 4.9 ms instead of 8.7 (hyperfine, same run; a compiled hello world takes 3.3).
// --no-compile-autoload-dotenv / --no-compile-autoload-bunfig: a compiled Bun binary otherwise loads .env and runs
// bunfig.toml preloads from the cwd (bun-platform.md §6, SECURITY); tsconfig/package.json autoload are off by default
// and pinned off here too. test/integration/binary.test.ts proves the result.
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const outfile = process.argv[2] ?? join(root, "dist", "sshbox");
// A second argument swaps the entry point: tests compile probes with exactly the product's flags.
const entry = process.argv[3] ?? join(root, "cmd", "main.ts");
mkdirSync(join(outfile, ".."), { recursive: true });
const cmd = [
  process.execPath, "build", "--compile", "--bytecode", "--format=esm", "--splitting", "--minify-syntax",
  "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig",
  "--no-compile-autoload-tsconfig", "--no-compile-autoload-package-json",
  `--outfile=${outfile}`, entry,
];
const proc = Bun.spawnSync(cmd, { cwd: root, stdout: "inherit", stderr: "inherit", env: { ...process.env, NO_COLOR: "1" } });
if (proc.exitCode !== 0) {
  console.error(`build failed: ${cmd.join(" ")}`);
  process.exit(proc.exitCode ?? 1);
}
