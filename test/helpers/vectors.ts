// Loaders for ../shared/vectors (Wycheproof v1, RFC transcriptions, SSH packet vectors) and small byte helpers for tests.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The shared vectors directory: `shared/` sits beside the repository (CI clones main next to it). */
export const VECTORS_DIR: string = join(import.meta.dir, "..", "..", "..", "shared", "vectors");

/** Parses a vectors file relative to VECTORS_DIR. */
export function loadVectors<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(join(VECTORS_DIR, relativePath), "utf8")) as T;
}

/** Wycheproof v1 file shape (the fields every schema shares). */
export interface WycheproofFile<G> {
  algorithm: string;
  numberOfTests: number;
  notes: Record<string, { bugType?: string; description?: string }>;
  testGroups: G[];
}
export interface WycheproofTest {
  tcId: number;
  comment: string;
  flags: string[];
  result: "valid" | "invalid" | "acceptable";
}

/** Loads `wycheproof/<name>` and flattens it to (group, test) pairs. */
export function wycheproof<G extends { tests: T[] }, T extends WycheproofTest>(name: string): { group: G; test: T }[] {
  const file = loadVectors<WycheproofFile<G>>(join("wycheproof", name));
  return file.testGroups.flatMap((group) => group.tests.map((test) => ({ group, test })));
}

/** Lowercase hex decoder for vector fields. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}
/** Lowercase hex encoder. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Copies `bytes` into a fresh buffer at `offset`, so tests see the misaligned views the buffer pool hands out. */
export function misaligned(bytes: Uint8Array, offset: number, extra = 0): { buf: Uint8Array; off: number } {
  const buf = new Uint8Array(offset + bytes.length + extra);
  buf.set(bytes, offset);
  return { buf, off: offset };
}
