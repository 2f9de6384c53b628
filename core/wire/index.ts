// The wire layer: buffer pool, RFC 4251 readers/writers, message numbers.
export { BufferPool, Lease, POISON, defaultPool } from "./pool.ts";
export { Reader } from "./reader.ts";
export { Writer } from "./writer.ts";
export * from "./numbers.ts";
