// Every fixture in shared/vectors/openssh-keys (OpenSSH's regress/unittests/sshkey/testdata): fingerprints (.fp, .fp.bb),
// public keys from private ones (as `ssh-keygen -y`, passphrase-protected ones too), RSA/ECDSA parameters, certificates.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  bubbleBabble, describePublicKey, fingerprint, fingerprintDigest, formatPublicKeyLine, loadPrivateKey, parseCertificate,
  parsePublicKeyLine, plainKeyBlob, privateKeyTypeSupported, publicKeyFromPrivateFile, verifyCertificateSignature,
  SSH2_CERT_TYPE_HOST, SSH2_CERT_TYPE_USER, optionString, formatPrivateKey,
} from "../../../core/keys/index.ts";
import { VECTORS_DIR } from "../../helpers/vectors.ts";

const dir = join(VECTORS_DIR, "openssh-keys");
const files = readdirSync(dir).sort();
const read = (f: string): string => readFileSync(join(dir, f), "utf8");
const pw = read("pw").trim();
const pubs = files.filter((f) => f.endsWith(".pub") && !f.includes(".param."));
const privates = files.filter((f) => !f.includes(".") && !["LICENCE", "pw"].includes(f));

test("the fixture set is complete", () => {
  expect(pubs.length).toBeGreaterThanOrEqual(20);
  expect(privates.length).toBeGreaterThanOrEqual(24);
});

describe("fingerprints", () => {
  test.each(pubs.filter((f) => files.includes(f.replace(/\.pub$/, ".fp"))))("%s matches .fp", (f) => {
    const blob = parsePublicKeyLine(read(f)).blob;
    expect(fingerprint(plainKeyBlob(blob), "sha256")).toBe(read(f.replace(/\.pub$/, ".fp")).trim());
  });
  test.each(pubs.filter((f) => files.includes(f.replace(/\.pub$/, ".fp.bb"))))("%s matches .fp.bb", (f) => {
    const blob = parsePublicKeyLine(read(f)).blob;
    expect(bubbleBabble(fingerprintDigest(blob, "sha1"))).toBe(read(f.replace(/\.pub$/, ".fp.bb")).trim());
  });
  test("MD5 is colon hex", () => {
    expect(fingerprint(parsePublicKeyLine(read("rsa_1.pub")).blob, "md5")).toBe("MD5:39:26:61:69:1d:d0:77:6c:78:b5:6b:9d:4e:1f:e3:02");
  });
});

/** The .pub a private fixture goes with. */
function pubFor(f: string): string {
  const base = f.replace(/_pw$/, "").replace(/_n$/, "_1");
  return `${base}.pub`;
}

describe("public key from private key (ssh-keygen -y)", () => {
  test.each(privates)("%s", (f) => {
    const expected = read(pubFor(f)).trim().split(/\s+/).slice(0, 2).join(" ");
    const type = expected.split(" ")[0]!;
    if (!privateKeyTypeSupported(type)) {
      expect(() => loadPrivateKey(join(dir, f), pw)).toThrow("unknown or unsupported key type");
      return;
    }
    const k = loadPrivateKey(join(dir, f), f.endsWith("_pw") ? pw : undefined);
    expect(formatPublicKeyLine(k.publicKeyBlob)).toBe(expected);
    if (f.endsWith("_pw")) expect(() => loadPrivateKey(join(dir, f))).toThrow("incorrect passphrase supplied to decrypt private key");
    // openssh-key-v1 files carry the public key in the clear.
    const clear = publicKeyFromPrivateFile(read(f));
    if (k.format === "openssh") expect(formatPublicKeyLine(clear!)).toBe(expected);
    else expect(clear).toBeNull();
    // And what we write reads back to the same key.
    const again = loadPrivateKey(new TextEncoder().encode(formatPrivateKey(k)));
    expect(formatPublicKeyLine(again.publicKeyBlob, again.comment)).toBe(formatPublicKeyLine(k.publicKeyBlob, k.comment));
  });
  test("comments inside openssh-key-v1 files come back", () => {
    expect(loadPrivateKey(join(dir, "ed25519_1")).comment).toBe("ED25519 test key #1");
    expect(loadPrivateKey(join(dir, "ed25519_1_pw"), pw).cipher).toBe("aes256-ctr");
    expect(loadPrivateKey(join(dir, "rsa_n_pw"), pw).cipher).toBe("aes256-cbc");
    expect(loadPrivateKey(join(dir, "rsa_1_pw"), pw).format).toBe("pem");
  });
});

describe("parameters", () => {
  const hex = (f: string): string => read(f).trim().toLowerCase().replace(/^(00)+/, "");
  test.each(["rsa_1", "rsa_2"])("%s n, p, q", (base) => {
    const jwk = loadPrivateKey(join(dir, base)).keyObject!.export({ format: "jwk" });
    const h = (s: string | undefined): string => Buffer.from(s!, "base64url").toString("hex").replace(/^(00)+/, "");
    expect(h(jwk.n)).toBe(hex(`${base}.param.n`));
    expect([h(jwk.p), h(jwk.q)].sort()).toEqual([hex(`${base}.param.p`), hex(`${base}.param.q`)].sort());
  });
  test.each(["ecdsa_1", "ecdsa_2"])("%s private scalar, point, curve", (base) => {
    const k = loadPrivateKey(join(dir, base));
    const jwk = k.keyObject!.export({ format: "jwk" });
    expect(Buffer.from(jwk.d!, "base64url").toString("hex").replace(/^(00)+/, "")).toBe(hex(`${base}.param.priv`));
    const info = describePublicKey(k.publicKeyBlob);
    expect(info.bits).toBe(read(`${base}.param.curve`).trim() === "prime256v1" ? 256 : 521);
    expect(Buffer.from(k.publicKeyBlob).toString("hex")).toContain(hex(`${base}.param.pub`));
  });
});

describe("certificates", () => {
  const certs = pubs.filter((f) => f.includes("-cert"));
  test.each(certs)("%s parses, its CA signature verifies, a flipped bit fails", (f) => {
    const blob = parsePublicKeyLine(read(f)).blob;
    const cert = parseCertificate(blob);
    expect(verifyCertificateSignature(cert)).toBe(true);
    const user = f.includes("_sha1") || f.includes("_sha512");
    expect(cert.certType).toBe(user ? SSH2_CERT_TYPE_USER : SSH2_CERT_TYPE_HOST);
    expect(cert.keyId).toBe(user ? "hugo" : "julius");
    expect(cert.principals).toEqual(user ? ["user1", "user2"] : ["host1", "host2"]);
    expect(cert.validBefore < BigInt(Date.UTC(2011, 1, 1) / 1000)).toBe(true);
    if (user) {
      expect(cert.criticalOptions.map((o) => [o.name, optionString(o)])).toEqual([["force-command", "/bin/ls"], ["source-address", "10.0.0.0/8"]]);
      expect(cert.extensions.map((o) => o.name)).toContain("permit-pty");
      expect(cert.signatureAlgorithm).toBe(f.includes("_sha1") ? "ssh-rsa" : "rsa-sha2-512");
    }
    const tampered = blob.slice();
    tampered[cert.signedBytes.length - 40]! ^= 1;
    let ok: boolean;
    try {
      ok = verifyCertificateSignature(parseCertificate(tampered));
    } catch {
      ok = false;
    }
    expect(ok).toBe(false);
    // The certified key is the fixture's plain key.
    const plainPub = f.replace("-cert.pub", ".pub");
    if (files.includes(plainPub)) expect(formatPublicKeyLine(cert.publicKeyBlob)).toBe(read(plainPub).trim().split(/\s+/).slice(0, 2).join(" "));
  });
});

test("ssh-mldsa44-ed25519@openssh.com: a generated key writes, reads back and derives the same composite public key", async () => {
  const { generatePrivateKey } = await import("../../../core/keys/index.ts");
  const k = generatePrivateKey("mldsa44-ed25519", undefined, "pq");
  const back = loadPrivateKey(new TextEncoder().encode(formatPrivateKey(k, { passphrase: "x", rounds: 1 })), "x");
  expect(formatPublicKeyLine(back.publicKeyBlob, back.comment)).toBe(formatPublicKeyLine(k.publicKeyBlob, "pq"));
  expect(describePublicKey(k.publicKeyBlob)).toMatchObject({ bits: 256, row: { label: "MLDSA44-ED25519" } });
  expect(back.keyObject).toBeNull(); // no signing with it here yet
});
