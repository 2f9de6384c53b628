import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { BufferPool, POISON, Reader, Writer, messageName, SSH_MSG_KEXINIT } from "../../../core/wire/index.ts";
import { ProtocolError } from "../../../core/errors.ts";
import { toHex } from "../../helpers/vectors.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

describe("BufferPool (checked mode)", () => {
  test("released memory is poisoned and a second release throws", () => {
    const pool = new BufferPool({ checked: true });
    const lease = pool.take(100);
    lease.bytes.fill(7);
    const view = lease.bytes.subarray(0, 10);
    lease.release();
    expect([...view]).toEqual(new Array(10).fill(POISON));
    expect(() => lease.release()).toThrow("Lease released twice");
    expect(pool.outstanding).toBe(0);
  });
  test("memory is reused by size class and oversize requests are not pooled", () => {
    const pool = new BufferPool();
    const a = pool.take(300);
    expect(a.bytes.length).toBe(512);
    const mem = a.bytes;
    a.release();
    expect(pool.take(400).bytes).toBe(mem);
    const big = pool.take(3 << 20);
    expect(big.bytes.length).toBe(3 << 20);
    big.release();
    expect(pool.outstanding).toBe(1);
  });
});

describe("Reader and Writer (RFC 4251 §5)", () => {
  test.each([
    [0n, "00000000"],
    [0x9a378f9b2e332a7n, "0000000809a378f9b2e332a7"],
    [0x80n, "000000020080"],
    [-0x1234n, "00000002edcc"],
    [-0xdeadbeefn, "00000005ff21524111"],
  ])("mpint %p encodes as RFC 4251's example %s", (v, hex) => {
    const w = new Writer();
    w.mpint(v);
    expect(toHex(w.toBytes())).toBe(hex);
    expect(new Reader(w.toBytes()).mpint()).toBe(v);
  });
  test("mpintUnsigned drops leading zeros and adds a sign byte", () => {
    expect(toHex(new Writer().mpintUnsigned(Uint8Array.of(0, 0, 0x80, 1)).toBytes())).toBe("000000030080" + "01");
    expect(toHex(new Writer().mpintUnsigned(Uint8Array.of(0, 0)).toBytes())).toBe("00000000");
  });
  test("values round-trip through a pooled writer that grows", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(
        fc.record({ t: fc.constant("u8" as const), v: fc.nat(255) }),
        fc.record({ t: fc.constant("u32" as const), v: fc.nat(0xffffffff) }),
        fc.record({ t: fc.constant("u64" as const), v: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
        fc.record({ t: fc.constant("str" as const), v: fc.uint8Array({ maxLength: 2000 }) }),
        fc.record({ t: fc.constant("mp" as const), v: fc.bigInt({ min: -(1n << 600n), max: 1n << 600n }) }),
        fc.record({ t: fc.constant("names" as const), v: fc.array(fc.stringMatching(/^[a-z0-9@.-]{1,20}$/), { maxLength: 5 }) }),
      )), (items) => {
        const pool = new BufferPool({ checked: true });
        const w = new Writer(pool, 16, 5);
        for (const it of items) {
          if (it.t === "u8") w.u8(it.v); else if (it.t === "u32") w.u32(it.v); else if (it.t === "u64") w.u64(it.v);
          else if (it.t === "str") w.string(it.v); else if (it.t === "mp") w.mpint(it.v); else w.nameList(it.v);
        }
        const r = new Reader(w.bytes, 5, w.pos);
        for (const it of items) {
          const got = it.t === "u8" ? r.u8() : it.t === "u32" ? r.u32() : it.t === "u64" ? r.u64() : it.t === "str" ? r.stringBytes() : it.t === "mp" ? r.mpint() : r.nameList();
          expect(got).toEqual(it.v);
        }
        r.expectEnd("test");
        w.release();
        expect(pool.outstanding).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });
  test("any truncation is a ProtocolError, never a RangeError", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const r = new Reader(bytes);
      try {
        for (;;) { r.u8(); r.u32(); r.stringView(); r.u64(); r.mpint(); r.nameList(); }
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
      }
    }), { numRuns: RUNS });
  });
  test("a string length past the end is refused", () => {
    expect(() => new Reader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1)).stringView()).toThrow("message truncated");
  });
  test("message names", () => {
    expect(messageName(SSH_MSG_KEXINIT)).toBe("SSH_MSG_KEXINIT");
    expect(messageName(250)).toBe("unknown type 250");
  });
});
