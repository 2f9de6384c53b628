// RFC 4254 §6 session requests, §8 terminal modes, §5.1/§4 open and global request codecs: fixed examples and the
// edges OpenSSH defines (ttymodes.c opcode ranges, strict ends).
import { describe, expect, test } from "bun:test";
import {
  decodeChannelOpen, decodeChannelRequest, decodeGlobalRequest, decodeHostkeysProveReply, decodeTerminalModes,
  encodeChannelOpen, encodeChannelRequest, encodeGlobalRequest, encodeHostkeysProveReply, encodeTerminalModes,
  TERMINAL_MODE_NAMES, TTY_OP_ISPEED,
} from "../../../core/connection/index.ts";
import { ProtocolError } from "../../../core/errors.ts";
import { toHex } from "../../helpers/vectors.ts";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

describe("terminal modes (RFC 4254 §8)", () => {
  test("encode as opcode + uint32 pairs closed by TTY_OP_END", () => {
    const enc = encodeTerminalModes([{ opcode: 1, value: 3 }, { opcode: 53, value: 1 }, { opcode: TTY_OP_ISPEED, value: 38400 }]);
    expect(toHex(enc)).toBe("0100000003" + "3500000001" + "8000009600" + "00");
    expect(TERMINAL_MODE_NAMES[53]).toBe("ECHO");
  });
  test("decoding stops at TTY_OP_END or at an opcode from 160 up, as ttymodes.c", () => {
    expect(decodeTerminalModes(hex("0100000003 00 3500000001"))).toEqual([{ opcode: 1, value: 3 }]);
    expect(decodeTerminalModes(hex("0100000003 a0 ffff"))).toEqual([{ opcode: 1, value: 3 }]);
    expect(decodeTerminalModes(hex("0100000003"))).toEqual([{ opcode: 1, value: 3 }]); // no TTY_OP_END: ends with the string
    expect(decodeTerminalModes(new Uint8Array(0))).toEqual([]);
  });
  test("a truncated argument is a protocol error", () => {
    expect(() => decodeTerminalModes(hex("01000000"))).toThrow(ProtocolError);
  });
  test("opcodes outside 1..159 cannot be encoded", () => {
    expect(() => encodeTerminalModes([{ opcode: 0, value: 1 }])).toThrow(RangeError);
    expect(() => encodeTerminalModes([{ opcode: 160, value: 1 }])).toThrow(RangeError);
  });
});

describe("channel requests (RFC 4254 §6)", () => {
  test("pty-req on the wire, byte for byte", () => {
    const enc = encodeChannelRequest(7, {
      type: "pty-req", term: "xterm", widthChars: 80, heightRows: 24, widthPixels: 640, heightPixels: 480,
      modes: [{ opcode: 53, value: 0 }],
    }, true);
    expect(toHex(enc)).toBe(
      "62" + "00000007" + "00000007" + toHex(Buffer.from("pty-req")) + "01" + "00000005" + toHex(Buffer.from("xterm")) +
        "00000050" + "00000018" + "00000280" + "000001e0" + "00000006" + "3500000000" + "00",
    );
    expect(decodeChannelRequest(enc).request).toEqual({
      type: "pty-req", term: "xterm", widthChars: 80, heightRows: 24, widthPixels: 640, heightPixels: 480,
      modes: [{ opcode: 53, value: 0 }],
    });
  });
  test("exit-signal and signal INFO@openssh.com", () => {
    const sig = { type: "exit-signal", signal: "SEGV", coreDumped: true, errorMessage: "Segmentation fault", language: "" } as const;
    expect(decodeChannelRequest(encodeChannelRequest(0, sig, false))).toEqual({
      recipientChannel: 0, name: "exit-signal", wantReply: false, request: sig,
    });
    expect(decodeChannelRequest(encodeChannelRequest(1, { type: "signal", signal: "INFO@openssh.com" }, false)).request)
      .toEqual({ type: "signal", signal: "INFO@openssh.com" });
  });
  test("an unknown request decodes as null; trailing bytes after a known one are a protocol error", () => {
    const unknown = Buffer.concat([encodeChannelRequest(2, { type: "shell" }, true).subarray(0, 5), hex("00000003 666f6f 01 1234")]);
    expect(decodeChannelRequest(unknown)).toEqual({ recipientChannel: 2, name: "foo", wantReply: true, request: null });
    const trailing = Buffer.concat([encodeChannelRequest(2, { type: "exec", command: "ls" }, true), hex("00")]);
    expect(() => decodeChannelRequest(trailing)).toThrow("channel request exec: trailing data");
  });
});

describe("channel opens and global requests", () => {
  test("direct-streamlocal@openssh.com keeps its reserved fields", () => {
    const req = { type: "direct-streamlocal@openssh.com", socketPath: "/run/x.sock", reservedString: "", reservedNumber: 0 } as const;
    expect(decodeChannelOpen(encodeChannelOpen(req, 3, 2097152, 32768))).toEqual({
      typeName: "direct-streamlocal@openssh.com", senderChannel: 3, initialWindowBytes: 2097152, maxPacketBytes: 32768, request: req,
    });
  });
  test("hostkeys-prove-00@openssh.com: keys in the request, one signature each in the reply", () => {
    const keys = [hex("00000003 616263"), hex("")];
    expect(decodeGlobalRequest(encodeGlobalRequest({ type: "hostkeys-prove-00@openssh.com", hostKeys: keys }, true))).toEqual({
      name: "hostkeys-prove-00@openssh.com", wantReply: true, request: { type: "hostkeys-prove-00@openssh.com", hostKeys: keys },
    });
    expect(decodeHostkeysProveReply(encodeHostkeysProveReply(keys))).toEqual(keys);
  });
});
