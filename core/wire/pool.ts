// The buffer pool (STYLE.md §4): packets live in pooled memory from socket to handler, one owner at a time. A Lease
// is the ownership token; releasing it gives the memory back exactly once. In checked mode (tests) released memory
// is poisoned, so a use-after-release shows up as garbage instead of silently working.
import { keepOutOfFtl } from "../jit.ts";

/** Smallest and largest pooled sizes; larger requests get unpooled memory. 512 KiB holds a 256 KiB packet plus headroom. */
const MIN_SHIFT = 8;
const MAX_SHIFT = 19;
/** Byte written over released memory in checked mode. */
export const POISON = 0xdb;

/** Ownership of one pooled buffer. */
export class Lease {
  constructor(
    /** The whole buffer (at least the size asked for); valid until release(). */
    readonly bytes: Uint8Array,
    private pool: BufferPool | null,
  ) {}
  /** Gives the memory back, exactly once; views into `bytes` are dead afterwards. */
  release(): void {
    const pool = this.pool;
    if (pool === null) throw new Error("Lease released twice");
    this.pool = null;
    pool.put(this.bytes);
  }
  /** Whether release() has not been called yet. */
  get live(): boolean {
    return this.pool !== null;
  }
}

/** Size-class free lists of ArrayBuffer-backed Uint8Arrays. */
export class BufferPool {
  private readonly free: Uint8Array[][] = [];
  /** Leases handed out and not yet released (a leak test watches this). */
  outstanding = 0;

  constructor(
    readonly options: { checked?: boolean; maxFreePerClass?: number } = {},
  ) {
    for (let s = MIN_SHIFT; s <= MAX_SHIFT; s++) this.free.push([]);
  }

  /** A buffer of at least `minBytes`, owned by the returned lease. */
  take(minBytes: number): Lease {
    this.outstanding++;
    const shift = Math.max(MIN_SHIFT, 32 - Math.clz32(Math.max(1, minBytes) - 1));
    if (shift > MAX_SHIFT) return new Lease(new Uint8Array(minBytes), this);
    const list = this.free[shift - MIN_SHIFT]!;
    return new Lease(list.pop() ?? new Uint8Array(1 << shift), this);
  }

  /** Called by Lease.release(). */
  put(bytes: Uint8Array): void {
    this.outstanding--;
    if (this.options.checked) bytes.fill(POISON);
    const shift = 31 - Math.clz32(bytes.length);
    if (bytes.length !== 1 << shift || shift < MIN_SHIFT || shift > MAX_SHIFT) return; // unpooled size
    const list = this.free[shift - MIN_SHIFT]!;
    if (list.length < (this.options.maxFreePerClass ?? 64)) list.push(bytes);
  }
}

/** The process-wide pool the programs use; tests build their own checked pools. */
export const defaultPool: BufferPool = new BufferPool();

keepOutOfFtl([Lease, BufferPool]);
