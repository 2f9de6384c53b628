// An in-memory ConfigFs for config tests: files by absolute path, directories implied by them.
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
