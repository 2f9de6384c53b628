// The agent protocol codecs (core/agent/protocol.ts): framing as authfd.c writes it, answers decoded, and hostile
// answers (any bytes) rejected with AgentProtocolError or AgentRefusedError only.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  AgentProtocolError, AgentRefusedError, MAX_AGENT_IDENTITIES, SSH_AGENT_IDENTITIES_ANSWER, SSH_AGENT_RSA_SHA2_256, SSH_AGENT_RSA_SHA2_512,
  SSH_AGENT_SIGN_RESPONSE, agentMessage, decodeIdentitiesAnswer, decodeSignResponse, decodeStatus, encodeAddIdentity, encodeRequestIdentities,
  encodeSignRequest, signFlags,
} from "../../core/agent/protocol.ts";
import { Writer } from "../../core/wire/writer.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("requests", () => {
  test("REQUEST_IDENTITIES is length 1, type 11", () => {
    expect(hex(encodeRequestIdentities())).toBe("000000010b");
  });
  test("SIGN_REQUEST carries blob, data and the RSA flags", () => {
    const m = encodeSignRequest(new Uint8Array([1, 2]), new Uint8Array([3]), signFlags("rsa-sha2-512"));
    expect(hex(m)).toBe("00000010" + "0d" + "000000020102" + "0000000103" + "00000004");
    expect(signFlags("rsa-sha2-256")).toBe(SSH_AGENT_RSA_SHA2_256);
    expect(signFlags("rsa-sha2-512-cert-v01@openssh.com")).toBe(SSH_AGENT_RSA_SHA2_512);
    expect(signFlags("ssh-ed25519")).toBe(0);
    expect(signFlags("ssh-rsa")).toBe(0);
  });
  test("ADD_IDENTITY becomes ADD_ID_CONSTRAINED with a lifetime and confirm", () => {
    const plain = encodeAddIdentity("ssh-ed25519", new Uint8Array([9]), "c");
    expect(plain[4]).toBe(17);
    const c = encodeAddIdentity("ssh-ed25519", new Uint8Array([9]), "c", { lifetimeSeconds: 60, confirm: true });
    expect(c[4]).toBe(25);
    expect(hex(c.subarray(c.length - 6))).toBe("010000003c02");
  });
});

describe("answers", () => {
  test("IDENTITIES_ANSWER decodes keys and comments", () => {
    const m = agentMessage(SSH_AGENT_IDENTITIES_ANSWER, (w) => w.u32(2).string(new Uint8Array([1])).string("one").string(new Uint8Array([2, 2])).string("two"));
    expect(decodeIdentitiesAnswer(m.subarray(4))).toEqual([
      { blob: new Uint8Array([1]), comment: "one" },
      { blob: new Uint8Array([2, 2]), comment: "two" },
    ]);
  });
  test("FAILURE is a refusal; other types and short bodies are protocol errors", () => {
    expect(() => decodeSignResponse(new Uint8Array([5]))).toThrow(AgentRefusedError);
    expect(() => decodeStatus(new Uint8Array([5]), "add")).toThrow(AgentRefusedError);
    expect(() => decodeSignResponse(new Uint8Array([12]))).toThrow(AgentProtocolError);
    expect(() => decodeSignResponse(new Uint8Array([SSH_AGENT_SIGN_RESPONSE, 0, 0, 0, 9, 1]))).toThrow(AgentProtocolError);
    expect(() => decodeIdentitiesAnswer(new Uint8Array([]))).toThrow(AgentProtocolError);
  });
  test("an answer claiming more keys than authfd.c accepts is refused before reading them", () => {
    const w = new Writer().u8(SSH_AGENT_IDENTITIES_ANSWER).u32(MAX_AGENT_IDENTITIES + 1);
    expect(() => decodeIdentitiesAnswer(w.toBytes())).toThrow("too many keys");
  });
  test("any bytes: decoders return or throw only the agent errors", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(5, 6, 12, 14, 28, 99), (body, type) => {
        const payload = new Uint8Array([type, ...body]);
        for (const decode of [decodeIdentitiesAnswer, decodeSignResponse, (p: Uint8Array) => decodeStatus(p, "x")]) {
          try {
            decode(payload);
          } catch (e) {
            if (!(e instanceof AgentProtocolError || e instanceof AgentRefusedError)) throw e;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
