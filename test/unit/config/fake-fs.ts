// For config tests: an in-memory ConfigFs (files by absolute path, directories implied by them), and the message of
// the ConfigError a load throws.
import { ConfigError } from "../../../core/errors.ts";
import type { ConfigFs } from "../../../core/config/index.ts";

/** A file system holding exactly `files`. */
export function fakeFs(files: Record<string, string>): ConfigFs {
  return {
    readFile: (path) => files[path] ?? null,
    readDir: (path) => {
      const dir = path.endsWith("/") ? path : `${path}/`;
      const names = new Set<string>();
      for (const f of Object.keys(files)) if (f.startsWith(dir)) names.add(f.slice(dir.length).split("/")[0]!);
      return names.size === 0 ? null : [...names];
    },
  };
}

/** The message of the ConfigError `fn` throws (every line OpenSSH would print); any other outcome fails the test. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error("no ConfigError");
}
