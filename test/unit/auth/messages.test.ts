// Codec round trips and bounds, RFC 4252 §7 signed data layout, signature algorithm choice, AuthenticationMethods
// list semantics, and the OpenSSH texts.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  AUTH_LIMITS, AUTH_WORDING, chooseSignatureAlgorithm, decodeUserauthFailure, decodeUserauthInfoRequest,
  decodeUserauthInfoResponse, decodeUserauthRequest, DEFAULT_PUBKEY_ACCEPTED_ALGORITHMS, escapeText, keyTypeLabel,
  keyTypeOf, MethodLists, publickeySignedData, signatureTypeOf,
} from "../../../core/auth/index.ts";
import { ProtocolError } from "../../../core/errors.ts";
import { Writer } from "../../../core/wire/index.ts";
import { writeUserauthFailure, writeUserauthInfoRequest } from "../../../core/auth/messages.ts";
import { hex } from "./support.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const name = fc.stringMatching(/^[a-z][a-z0-9@.-]{0,40}$/);

function msg(type: number, build: (w: Writer) => void): Uint8Array {
  const w = new Writer(null, 64);
  w.u8(type);
  build(w);
  return w.toBytes();
}

describe("codec", () => {
  test("USERAUTH_FAILURE round-trips", () => {
    fc.assert(fc.property(fc.array(name, { maxLength: 6 }), fc.boolean(), (methods, partial) => {
      const m = msg(51, (w) => writeUserauthFailure(w, methods, partial));
      expect(decodeUserauthFailure(m)).toEqual({ methods, partialSuccess: partial });
    }), { numRuns: RUNS });
  });

  test("INFO_REQUEST round-trips", () => {
    const prompt = fc.record({ prompt: fc.string({ maxLength: 50 }).filter((s) => !s.includes("\0")), echo: fc.boolean() });
    fc.assert(fc.property(fc.string({ maxLength: 30 }).filter((s) => !s.includes("\0")), fc.array(prompt, { maxLength: 8 }), (nm, prompts) => {
      const m = msg(60, (w) => writeUserauthInfoRequest(w, nm, "instr", prompts));
      expect(decodeUserauthInfoRequest(m)).toEqual({ name: nm, instruction: "instr", language: "", prompts });
    }), { numRuns: RUNS });
  });

  test("USERAUTH_REQUEST publickey fields, with and without signature and host key", () => {
    const blob = new Uint8Array([0, 0, 0, 1, 120]);
    const plain = decodeUserauthRequest(msg(50, (w) => w.string("u").string("ssh-connection").string("publickey").bool(true)
      .string("ssh-ed25519").string(blob).string("SIG")));
    expect(plain.fields).toEqual({ kind: "publickey", hostbound: false, algorithm: "ssh-ed25519", keyBlob: blob, hostKey: undefined, signature: new TextEncoder().encode("SIG") });
    const hb = decodeUserauthRequest(msg(50, (w) => w.string("u").string("ssh-connection").string("publickey-hostbound-v00@openssh.com")
      .bool(false).string("ssh-ed25519").string(blob).string("HK")));
    expect(hb.fields).toEqual({ kind: "publickey", hostbound: true, algorithm: "ssh-ed25519", keyBlob: blob, hostKey: new TextEncoder().encode("HK"), signature: undefined });
  });

  test("password change requests carry the new password; bounds hold", () => {
    const r = decodeUserauthRequest(msg(50, (w) => w.string("u").string("ssh-connection").string("password").bool(true).string("old").string("new")));
    expect(r.fields.kind === "password" && [new TextDecoder().decode(r.fields.password), new TextDecoder().decode(r.fields.newPassword)]).toEqual(["old", "new"]);
    expect(() => decodeUserauthRequest(msg(50, (w) => w.string("u").string("ssh-connection").string("password").bool(false)
      .string("p".repeat(AUTH_LIMITS.passwordBytes + 1))))).toThrow(ProtocolError);
    expect(() => decodeUserauthInfoResponse(msg(61, (w) => w.u32(101)))).toThrow("too many replies");
    expect(() => decodeUserauthInfoResponse(msg(61, (w) => w.u32(2).string("a")))).toThrow(ProtocolError);
  });

  test("unknown methods are not parsed beyond their name", () => {
    const r = decodeUserauthRequest(msg(50, (w) => w.string("u").string("ssh-connection").string("gssapi-with-mic").u32(99)));
    expect(r.fields).toEqual({ kind: "other" });
  });

  test("RFC 4252 §7 signed data, byte by byte", () => {
    const data = publickeySignedData(new Uint8Array([1, 2]), "u", "ssh-connection", "publickey", "ssh-ed25519", new Uint8Array([9]), undefined);
    expect(hex(data)).toBe(
      "000000020102" + "32" + "0000000175" + "0000000e" + Buffer.from("ssh-connection").toString("hex") +
      "00000009" + Buffer.from("publickey").toString("hex") + "01" + "0000000b" + Buffer.from("ssh-ed25519").toString("hex") +
      "0000000109");
    const hb = publickeySignedData(new Uint8Array([1, 2]), "u", "ssh-connection", "publickey", "ssh-ed25519", new Uint8Array([9]), new Uint8Array([7, 7]));
    expect(hex(hb)).toBe(hex(data) + "000000020707");
  });
});

describe("algorithms", () => {
  test("rsa-sha2 names belong to ssh-rsa keys; certificate names sign with the plain type", () => {
    expect(keyTypeOf("rsa-sha2-512")).toBe("ssh-rsa");
    expect(keyTypeOf("rsa-sha2-256-cert-v01@openssh.com")).toBe("ssh-rsa-cert-v01@openssh.com");
    expect(keyTypeOf("ssh-ed25519")).toBe("ssh-ed25519");
    expect(signatureTypeOf("rsa-sha2-512-cert-v01@openssh.com")).toBe("rsa-sha2-512");
    expect(signatureTypeOf("ssh-ed25519-cert-v01@openssh.com")).toBe("ssh-ed25519");
    expect(keyTypeLabel("ssh-ed25519")).toBe("ED25519");
    expect(keyTypeLabel("ecdsa-sha2-nistp256-cert-v01@openssh.com")).toBe("ECDSA-CERT");
  });

  test("the client's choice follows PubkeyAcceptedAlgorithms order within server-sig-algs (key_sig_algorithm)", () => {
    const d = DEFAULT_PUBKEY_ACCEPTED_ALGORITHMS;
    expect(chooseSignatureAlgorithm("ssh-rsa", d, ["rsa-sha2-256", "rsa-sha2-512"])).toBe("rsa-sha2-512");
    expect(chooseSignatureAlgorithm("ssh-rsa", d, ["ssh-rsa", "rsa-sha2-256"])).toBe("rsa-sha2-256");
    expect(chooseSignatureAlgorithm("ssh-rsa", d, ["ssh-rsa"])).toBeUndefined();
    expect(chooseSignatureAlgorithm("ssh-rsa", d, undefined)).toBeUndefined();
    expect(chooseSignatureAlgorithm("ssh-rsa", ["ssh-rsa"], undefined)).toBe("ssh-rsa");
    expect(chooseSignatureAlgorithm("ssh-rsa-cert-v01@openssh.com", d, ["rsa-sha2-256"])).toBe("rsa-sha2-256-cert-v01@openssh.com");
    expect(chooseSignatureAlgorithm("ssh-ed25519", d, ["rsa-sha2-256"])).toBe("ssh-ed25519");
    expect(chooseSignatureAlgorithm("ssh-dss", d, undefined)).toBeUndefined();
  });
});

describe("AuthenticationMethods lists", () => {
  const enabled = ["publickey", "password", "keyboard-interactive"];
  test("not configured: anything allowed, one success completes", () => {
    for (const cfg of [undefined, [], ["any"]]) {
      const l = new MethodLists(cfg, enabled);
      expect(l.configured).toBe(false);
      expect(l.allowed("password")).toBe(true);
      expect(l.complete("password", undefined)).toBe(true);
    }
  });
  test("heads of lists are allowed; success advances every list it heads", () => {
    const l = new MethodLists(["publickey,password", "publickey,keyboard-interactive:pam", "password,publickey"], enabled);
    expect(["publickey", "password", "keyboard-interactive", "none"].map((m) => l.allowed(m))).toEqual([true, true, false, false]);
    expect(l.complete("publickey", undefined)).toBe(false);
    expect(l.describe()).toEqual(["password", "keyboard-interactive:pam", "password,publickey"]);
    expect(l.allowed("keyboard-interactive")).toBe(true);
    expect(l.complete("keyboard-interactive", "bsdauth")).toBe(false); // wrong submethod
    expect(l.complete("keyboard-interactive", "pam")).toBe(true);
  });
  test("lists with disabled methods are skipped; none left is an error", () => {
    const l = new MethodLists(["hostbased,password", "password"], enabled);
    expect(l.skipped).toEqual(["hostbased,password"]);
    expect(() => new MethodLists(["hostbased"], enabled)).toThrow();
  });
});

describe("wording", () => {
  test("server texts are OpenSSH's", () => {
    expect(AUTH_WORDING.tooManyAuthFailures).toBe("Too many authentication failures");
    expect(AUTH_WORDING.authLog("Failed", "password", undefined, false, "ubnt", "192.0.2.1", 52471, undefined)).toBe(
      "Failed password for invalid user ubnt from 192.0.2.1 port 52471 ssh2");
    expect(AUTH_WORDING.authLog("Accepted", "publickey", undefined, true, "fred", "192.0.2.1", 59915, "RSA SHA256:5xyQ")).toBe(
      "Accepted publickey for fred from 192.0.2.1 port 59915 ssh2: RSA SHA256:5xyQ");
    expect(AUTH_WORDING.maxTriesExceeded(true, "root", "192.0.2.1", 59928)).toBe(
      "maximum authentication attempts exceeded for root from 192.0.2.1 port 59928 ssh2");
    expect(AUTH_WORDING.authLog("Failed", "none", undefined, true, "a\nb", "h", 1, undefined)).toBe("Failed none for a\\012b from h port 1 ssh2");
  });
  test("client texts are OpenSSH's", () => {
    expect(AUTH_WORDING.passwordPrompt("fred", "fuloong04")).toBe("fred@fuloong04's password: ");
    expect(AUTH_WORDING.kbdintPrompt("fred", "host", "Password: ")).toBe("(fred@host) Password: ");
    expect(AUTH_WORDING.authenticationFailed).toBe("Authentication failed.");
    expect(escapeText("ok\x1b[31m\\")).toBe("ok\\033[31m\\134");
  });
});
