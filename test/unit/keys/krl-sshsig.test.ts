// KRLs (PROTOCOL.krl) and SSHSIG (PROTOCOL.sshsig) in the library: build/parse round trips, revocation rules, signature
// checks and allowed_signers matching.
import { describe, expect, test } from "bun:test";
import {
  CERT_FOREVER, KeyFormatError, generatePrivateKey, signCertificate, SSH2_CERT_TYPE_USER, signSshsig, verifySshsig,
  armorSshsig, dearmorSshsig, parseAllowedSigners, allowedSignerMatches, findSignerPrincipals, formatPublicKeyLine,
} from "../../../core/keys/index.ts";
import { formatKrl, krlRevokeHash, krlRevokeKey, krlRevokeKeyId, krlRevokeSerialRange, krlRevokes, newKrl, parseKrl, isKrl } from "../../../core/keys/krl.ts";

const ca = generatePrivateKey("ed25519");
const user = generatePrivateKey("ecdsa", 256);
const other = generatePrivateKey("ed25519");
const cert = (serial: bigint, keyId: string): Uint8Array =>
  signCertificate({ publicKeyBlob: user.publicKeyBlob, certType: SSH2_CERT_TYPE_USER, keyId, principals: ["u"], serial, validBefore: CERT_FOREVER }, ca);

describe("KRL", () => {
  test("serials, ranges, key IDs, hashes and explicit keys survive a round trip and revoke what they name", () => {
    const krl = newKrl();
    krl.comment = "test";
    krl.version = 7n;
    krlRevokeSerialRange(krl, ca.publicKeyBlob, 10n, 20n);
    krlRevokeSerialRange(krl, ca.publicKeyBlob, 21n, 21n); // merges into 10..21
    krlRevokeSerialRange(krl, ca.publicKeyBlob, 40n, 40n);
    krlRevokeKeyId(krl, null, "bad-id");
    krlRevokeHash(krl, "sha256", other.publicKeyBlob);
    const bytes = formatKrl(krl);
    expect(isKrl(bytes)).toBe(true);
    const back = parseKrl(bytes);
    expect(back.comment).toBe("test");
    expect(back.version).toBe(7n);
    expect(back.certs.find((c) => c.caKey !== null)!.serials).toEqual([[10n, 21n], [40n, 40n]]);
    expect(krlRevokes(back, cert(15n, "x"))).toBe(true);
    expect(krlRevokes(back, cert(21n, "x"))).toBe(true);
    expect(krlRevokes(back, cert(22n, "x"))).toBe(false);
    expect(krlRevokes(back, cert(0n, "bad-id"))).toBe(true); // any CA, by key ID
    expect(krlRevokes(back, cert(0n, "fine"))).toBe(false); // serial 0 is never revoked by number
    expect(krlRevokes(back, other.publicKeyBlob)).toBe(true);
    expect(krlRevokes(back, user.publicKeyBlob)).toBe(false);
  });
  test("revoking a key revokes its certificates; revoking the CA revokes every certificate it signed", () => {
    const a = newKrl();
    krlRevokeKey(a, user.publicKeyBlob);
    expect(krlRevokes(parseKrl(formatKrl(a)), cert(3n, "x"))).toBe(true);
    const b = newKrl();
    krlRevokeKey(b, ca.publicKeyBlob);
    expect(krlRevokes(parseKrl(formatKrl(b)), cert(3n, "x"))).toBe(true);
    const c = newKrl();
    krlRevokeKey(c, cert(77n, "y")); // a certificate is revoked by its serial under its CA
    const back = parseKrl(formatKrl(c));
    expect(krlRevokes(back, cert(77n, "z"))).toBe(true);
    expect(krlRevokes(back, user.publicKeyBlob)).toBe(false);
  });
  test("malformed KRLs are KeyFormatErrors", () => {
    const good = formatKrl(newKrl());
    expect(() => parseKrl(good.subarray(0, 10))).toThrow(KeyFormatError);
    const crit = Uint8Array.from([...good, 255, 0, 0, 0, 10, 0, 0, 0, 1, 0x78, 1, 0, 0, 0, 0]);
    expect(() => parseKrl(crit)).toThrow(KeyFormatError);
    const noncrit = Uint8Array.from([...good, 255, 0, 0, 0, 10, 0, 0, 0, 1, 0x78, 0, 0, 0, 0, 0]);
    expect(() => parseKrl(noncrit)).not.toThrow();
    expect(() => parseKrl(Uint8Array.from([...good, 4, 0, 0, 0, 0]))).toThrow(KeyFormatError); // signature sections refused
  });
});

describe("SSHSIG", () => {
  const msg = new TextEncoder().encode("hello\n");
  test.each([["ed25519"], ["ecdsa"], ["rsa"]] as const)("%s: sign, armor, dearmor, verify; tampering fails", (kind) => {
    const key = generatePrivateKey(kind, kind === "rsa" ? 1024 : undefined);
    const text = armorSshsig(signSshsig(key, msg, "file"));
    expect(text.split("\n")[0]).toBe("-----BEGIN SSH SIGNATURE-----");
    expect(text.split("\n").every((l) => l.length <= 76)).toBe(true);
    const blob = dearmorSshsig(text);
    expect(Buffer.from(verifySshsig(blob, msg, "file").publicKeyBlob).equals(Buffer.from(key.publicKeyBlob))).toBe(true);
    expect(() => verifySshsig(blob, new TextEncoder().encode("hellO\n"), "file")).toThrow(KeyFormatError);
    expect(() => verifySshsig(blob, msg, "git")).toThrow(KeyFormatError);
  });
  test("allowed_signers: principals, namespaces, validity, cert-authority", () => {
    const k = generatePrivateKey("ed25519");
    const line = formatPublicKeyLine(k.publicKeyBlob);
    const { signers, errors } = parseAllowedSigners(
      [`# c`, `alice,*@example.com ${line}`, `bob namespaces="git",valid-after="20200101",valid-before="20300101Z" ${line}`, `eve bogus="x" ${line}`, `carol cert-authority ${formatPublicKeyLine(ca.publicKeyBlob)}`].join("\n"),
    );
    expect(errors.map((e) => e.line)).toEqual([4]);
    const now = BigInt(Date.UTC(2025, 0, 1) / 1000);
    expect(allowedSignerMatches(signers, k.publicKeyBlob, "alice", "file", now)).toBe(true);
    expect(allowedSignerMatches(signers, k.publicKeyBlob, "x@example.com", "file", now)).toBe(true);
    expect(allowedSignerMatches(signers, k.publicKeyBlob, "bob", "file", now)).toBe(false);
    expect(allowedSignerMatches(signers, k.publicKeyBlob, "bob", "git", now)).toBe(true);
    expect(allowedSignerMatches(signers, k.publicKeyBlob, "bob", "git", BigInt(Date.UTC(2031, 0, 1) / 1000))).toBe(false);
    expect(findSignerPrincipals(signers, k.publicKeyBlob, now)).toEqual(["alice,*@example.com", "bob"]);
    const c = signCertificate({ publicKeyBlob: user.publicKeyBlob, certType: SSH2_CERT_TYPE_USER, keyId: "c", principals: ["carol"], validBefore: CERT_FOREVER }, ca);
    expect(allowedSignerMatches(signers, c, "carol", "file", now)).toBe(true);
    expect(allowedSignerMatches(signers, user.publicKeyBlob, "carol", "file", now)).toBe(false);
  });
});

describe("ssh-mldsa44-ed25519@openssh.com signatures", () => {
  test("sign/verify, SSHSIG and certificates; a changed byte fails", async () => {
    const { generatePrivateKey: gen, mldsaEd25519Sign, mldsaEd25519Verify, signAsync, verifySshsigAsync, assembleSshsig, sshsigToBeSigned, certificateToBeSigned, finishCertificate, parseCertificate, verifyCertificateSignatureAsync } = await import("../../../core/keys/index.ts");
    const k = gen("mldsa44-ed25519");
    const data = new TextEncoder().encode("composite");
    const sig = await mldsaEd25519Sign(k, data);
    expect(await mldsaEd25519Verify(k.publicKeyBlob, data, sig)).toBe(true);
    const bad = sig.slice();
    bad[bad.length - 1]! ^= 1; // the Ed25519 half
    expect(await mldsaEd25519Verify(k.publicKeyBlob, data, bad)).toBe(false);
    const bad2 = sig.slice();
    bad2[100]! ^= 1; // the ML-DSA half
    expect(await mldsaEd25519Verify(k.publicKeyBlob, data, bad2)).toBe(false);
    const sshsig = assembleSshsig(k.publicKeyBlob, "file", "sha512", await signAsync(k, sshsigToBeSigned(data, "file")));
    expect((await verifySshsigAsync(sshsig, data, "file")).namespace).toBe("file");
    await expect(verifySshsigAsync(sshsig, new TextEncoder().encode("other"), "file")).rejects.toThrow(KeyFormatError);
    const tbs = certificateToBeSigned({ publicKeyBlob: user.publicKeyBlob, certType: SSH2_CERT_TYPE_USER, keyId: "pq", principals: ["u"] }, k.publicKeyBlob);
    const cert = parseCertificate(finishCertificate(tbs, await signAsync(k, tbs)));
    expect(await verifyCertificateSignatureAsync(cert)).toBe(true);
  });
});
