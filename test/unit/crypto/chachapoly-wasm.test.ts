// The committed WebAssembly bytes are exactly what scripts/gen-chacha-wasm.ts produces from its WAT.
import { expect, test } from "bun:test";
import { CHACHA_WASM_BASE64 } from "../../../core/crypto/chacha-wasm.generated.ts";
import { generateChaChaWasm, generatedSource } from "../../../scripts/gen-chacha-wasm.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";

test("regenerating the kernel gives the committed bytes", async () => {
  const bytes = await generateChaChaWasm();
  expect(Buffer.from(bytes).toString("base64")).toBe(CHACHA_WASM_BASE64);
  const committed = readFileSync(join(import.meta.dir, "..", "..", "..", "core", "crypto", "chacha-wasm.generated.ts"), "utf8");
  expect(committed).toBe(generatedSource(bytes));
});

test("the module validates and uses SIMD", () => {
  const bytes = Uint8Array.from(Buffer.from(CHACHA_WASM_BASE64, "base64"));
  expect(WebAssembly.validate(bytes)).toBe(true);
  expect(bytes.includes(0xfd)).toBe(true); // the SIMD opcode prefix
});
