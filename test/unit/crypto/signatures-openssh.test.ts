// Interop with OpenSSH's own key fixtures (shared/vectors/openssh-keys, from OpenSSH's regress/unittests/sshkey/testdata):
// public key blobs decode and re-encode byte for byte, and the CA signatures inside OpenSSH certificates
// (PROTOCOL.certkeys: ssh-ed25519, ecdsa-sha2-nistp256, rsa-sha2-512 and ssh-rsa, all made by ssh-keygen) verify.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { blobFromPublicKeyObject, parsePublicKeyBlob, publicKeyObjectFromBlob, signatureSpec } from "../../../core/crypto/signatures.ts";
import { BlobReader } from "../../../core/crypto/ssh-encoding.ts";
import { toHex, VECTORS_DIR } from "../../helpers/vectors.ts";

const dir = join(VECTORS_DIR, "openssh-keys");
const blobOf = (file: string): Uint8Array => Uint8Array.from(Buffer.from(readFileSync(join(dir, file), "utf8").trim().split(/\s+/)[1]!, "base64"));
const files = readdirSync(dir);

describe("OpenSSH public key files decode and re-encode identically", () => {
  const plain = files.filter((f) => f.endsWith(".pub") && !f.includes("-cert") && /^(ed25519|ecdsa|rsa)_(\d|n)[^.]*\.pub$/.test(f));
  test("the fixture set is there", () => expect(plain.length).toBeGreaterThanOrEqual(7));
  test.each(plain)("%s", (f) => {
    const blob = blobOf(f);
    expect(toHex(blobFromPublicKeyObject(publicKeyObjectFromBlob(blob)))).toBe(toHex(blob));
    const k = parsePublicKeyBlob(blob);
    const base = f.replace(/\.pub$/, "");
    if (k.type === "ssh-rsa" && files.includes(`${base}.param.n`)) {
      expect(toHex(k.n)).toBe(readFileSync(join(dir, `${base}.param.n`), "utf8").trim().replace(/^00/, ""));
    }
    if (k.type.startsWith("ecdsa") && "q" in k && files.includes(`${base}.param.pub`)) {
      expect(toHex(k.q)).toBe(readFileSync(join(dir, `${base}.param.pub`), "utf8").trim());
    }
  });
});

/**
 * Splits a certificate blob (PROTOCOL.certkeys) into the signed part, the CA key and the signature. The number of key
 * fields after the nonce depends on the certified key type; the one count that parses to the exact end is taken.
 */
function splitCertificate(blob: Uint8Array): { tbs: Uint8Array; caKey: Uint8Array; signature: Uint8Array } | null {
  for (let keyFields = 1; keyFields <= 4; keyFields++) {
    try {
      const r = new BlobReader(blob);
      r.string(); // type
      r.string(); // nonce
      for (let i = 0; i < keyFields; i++) r.string();
      r.u32(); r.u32(); // serial (uint64)
      r.u32(); // type
      r.string(); r.string(); // key id, principals
      r.u32(); r.u32(); r.u32(); r.u32(); // valid after, valid before
      r.string(); r.string(); r.string(); // critical options, extensions, reserved
      const caKey = r.string();
      const tbsEnd = blob.length - r.remaining;
      const signature = r.string();
      r.end();
      return { tbs: blob.subarray(0, tbsEnd), caKey, signature };
    } catch {
      // try the next field count
    }
  }
  return null;
}

describe("CA signatures inside OpenSSH certificates verify", () => {
  const certs = files.filter((f) => f.endsWith("-cert.pub"));
  test("the fixture set is there", () => expect(certs.length).toBeGreaterThanOrEqual(8));
  test.each(certs)("%s", (f) => {
    const parts = splitCertificate(blobOf(f));
    expect(parts).not.toBeNull();
    const { tbs, caKey, signature } = parts!;
    const name = new TextDecoder().decode(new BlobReader(signature).string());
    const spec = signatureSpec(name);
    expect(spec).toBeDefined();
    expect(spec!.verify(caKey, tbs, signature)).toBe(true);
    const tampered = tbs.slice();
    tampered[tampered.length - 5]! ^= 1;
    expect(spec!.verify(caKey, tampered, signature)).toBe(false);
  });
  test("the set covers ssh-ed25519, ecdsa-sha2-nistp256, rsa-sha2-512 and ssh-rsa", () => {
    const names = new Set(certs.map((f) => new TextDecoder().decode(new BlobReader(splitCertificate(blobOf(f))!.signature).string())));
    for (const n of ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "ssh-rsa"]) expect(names.has(n)).toBe(true);
  });
});
