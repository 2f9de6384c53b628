// A Unix datagram socket standing in for /dev/log in tests (bind and non-blocking recv through bun:ffi), so sshd's
// syslog lines are read without touching the system log.
import { dlopen } from "bun:ffi";
import { rmSync } from "node:fs";

const c = dlopen("libc.so.6", {
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
  recv: { args: ["i32", "ptr", "usize", "i32"], returns: "i64" },
  close: { args: ["i32"], returns: "i32" },
}).symbols;

/** A bound datagram socket at `path`; `drain()` returns the datagrams received so far. */
export interface SyslogSocket {
  readonly path: string;
  drain(): string[];
  close(): void;
}

/** Binds a datagram socket at `path` (removed first, and again on close). */
export function syslogSocket(path: string): SyslogSocket {
  rmSync(path, { force: true });
  const fd = c.socket(1 /* AF_UNIX */, 2 /* SOCK_DGRAM */ | 0o4000 /* SOCK_NONBLOCK */, 0);
  const addr = new Uint8Array(110);
  addr[0] = 1;
  addr.set(new TextEncoder().encode(path), 2);
  if (fd < 0 || c.bind(fd, addr, 110) !== 0) throw new Error(`cannot bind ${path}`);
  const buf = new Uint8Array(8192);
  return {
    path,
    drain() {
      const out: string[] = [];
      for (;;) {
        const n = Number(c.recv(fd, buf, buf.length, 0));
        if (n < 0) return out;
        out.push(new TextDecoder().decode(buf.subarray(0, n)));
      }
    },
    close() {
      c.close(fd);
      rmSync(path, { force: true });
    },
  };
}
