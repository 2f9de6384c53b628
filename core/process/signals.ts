// Signals a program inherited as ignored (SIG_IGN survives exec). OpenSSH's ssh leaves SIGINT alone when it starts
// ignored (ssh.c: `if (signal(SIGINT, SIG_IGN) != SIG_IGN)`): sftp and scp start it that way, so that ^C at the
// terminal interrupts their transfer instead of killing the connection. Linux: the SigIgn mask of /proc/self/status.
import { readFileSync } from "node:fs";

let mask: bigint | null | undefined;

/** Whether signal `n` (2 for SIGINT) was ignored when this process started; false when that cannot be known. */
export function ignoredAtStart(n: number): boolean {
  if (mask === undefined) {
    try {
      const m = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "latin1"));
      mask = m === null ? null : BigInt(`0x${m[1]}`);
    } catch {
      mask = null;
    }
  }
  return mask !== null && ((mask >> BigInt(n - 1)) & 1n) === 1n;
}
