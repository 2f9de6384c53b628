// Where a front-end's words go. Tests pass a recorder; the binary writes synchronously to fds 1 and 2, so a message is
// never lost when the process exits right after it.
// node:fs is required at the first write, not imported: loading it costs ~0.7 ms of every start-up, and a quiet run
// (`ssh-keygen -q`'s quick path, bench/keygen.ts) never writes.
import type * as NodeFs from "node:fs";

let fs: typeof NodeFs | undefined;

/** The two output streams a program writes its own words to. */
export interface ProgramIo {
  out(text: string): void;
  err(text: string): void;
}

/** Synchronous writes to stdout and stderr (retrying short writes, e.g. on a full pipe). */
export const processIo: ProgramIo = {
  out: (text) => writeAll(1, text),
  err: (text) => writeAll(2, text),
};

function writeAll(fd: number, text: string): void {
  fs ??= require("node:fs") as typeof NodeFs;
  const bytes = Buffer.from(text, "utf8");
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue; // a non-blocking fd we inherited
      return; // EPIPE and friends: the reader is gone, as with OpenSSH's ignored write errors on stderr
    }
  }
}

/** An in-memory ProgramIo for tests. */
export function recordingIo(): ProgramIo & { stdout: string; stderr: string } {
  const rec = {
    stdout: "",
    stderr: "",
    out(text: string) {
      rec.stdout += text;
    },
    err(text: string) {
      rec.stderr += text;
    },
  };
  return rec;
}
