// isatty(3) without Node's tty machinery: `import "node:tty"` costs a compiled sshbox ~3.4 ms of start-up and reading
// `process.stdin.isTTY` ~8 ms (it builds the stdin stream), while one libc call through bun:ffi costs ~0.1 ms
// (hyperfine, compiled probes, same run). Every program asks this on every start (ssh: is stdin a terminal?).
import { dlopen } from "bun:ffi";
import { fstatSync } from "node:fs";

type IsattyFn = (fd: number) => number;
let libcIsatty: IsattyFn | null | undefined;

function load(): IsattyFn | null {
  try {
    return dlopen("libc.so.6", { isatty: { args: ["i32"], returns: "i32" } }).symbols.isatty as IsattyFn;
  } catch {
    return null; // not glibc (musl names its libc differently): fall back to the file type below
  }
}

/** Whether `fd` refers to a terminal. */
export function isatty(fd: number): boolean {
  if (libcIsatty === undefined) libcIsatty = load();
  if (libcIsatty !== null) return libcIsatty(fd) === 1;
  try {
    // Terminals are character devices; so are /dev/null and /dev/zero, which is the approximation's price.
    const st = fstatSync(fd);
    return st.isCharacterDevice() && st.rdev !== 0x103 && st.rdev !== 0x105;
  } catch {
    return false;
  }
}
