// pipe(2) through libc: Bun's "pipe" stdio is a socketpair, but some peers tell the two apart. OpenSSH's `sshd -i`
// run as a ProxyCommand calls getpeername() on its stdin: on a socketpair it reports an AF_UNIX peer, on a real pipe
// "UNKNOWN 65535" as it does under OpenSSH's own ssh (sshconnect.c ssh_proxy_connect uses pipe()).
import { dlopen, ptr } from "bun:ffi";

const O_CLOEXEC = 0o2000000;
type Pipe2 = (fds: number, flags: number) => number;
let pipe2: Pipe2 | null | undefined;

/** A new pipe as [read end, write end], both close-on-exec (a child gets them only through its stdio); null when libc cannot be reached. */
export function pipePair(): [number, number] | null {
  if (pipe2 === undefined) {
    try {
      pipe2 = dlopen("libc.so.6", { pipe2: { args: ["ptr", "i32"], returns: "i32" } }).symbols.pipe2 as unknown as Pipe2;
    } catch {
      pipe2 = null;
    }
  }
  if (pipe2 === null) return null;
  const fds = new Int32Array(2);
  if (pipe2(ptr(fds) as unknown as number, O_CLOEXEC) !== 0) return null;
  return [fds[0]!, fds[1]!];
}
