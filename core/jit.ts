// The per-packet paths stay out of JavaScriptCore's top JIT tier (FTL). Bun's JSC compiles hot code in the
// background, and FTL compilations of the packet pipeline (seal, channel flush, Writer, pool) cost more than they
// returned: `ssh host 'cat >/dev/null' < 512 MiB` took 0.37-0.42 s of user CPU with FTL and 0.26-0.29 s without, and
// finished sooner (1.12-1.24 s against 1.01-1.18), the same as BUN_JSC_useFTLJIT=0 for the whole process, which a
// compiled binary cannot set for itself (JSC reads its options from the environment before any of our code runs).
// The DFG tier below FTL still optimizes these functions. Each hot module marks its own classes when it loads.
import { noFTL } from "bun:jsc";

type AnyFunction = (...args: never[]) => unknown;
type AnyClass = { readonly prototype: object };

/** Keeps every method of each class's prototype, and each function given, out of the FTL tier. */
export function keepOutOfFtl(classes: readonly AnyClass[], functions: readonly AnyFunction[] = []): void {
  for (const cls of classes) {
    const proto = cls.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor") continue;
      const d = Object.getOwnPropertyDescriptor(proto, name)!;
      if (typeof d.value === "function") noFTL(d.value as AnyFunction);
      // accessors on the hot path (channel windows, queue sizes) are small; the DFG inlines them either way
    }
  }
  for (const f of functions) noFTL(f);
}
