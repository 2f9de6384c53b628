// The `pam` keyboard-interactive device over a scripted PAM conversation (auth-pam.c sshpam_query/sshpam_respond), and
// the checks that need no PAM stack: a missing libpam, fake_password.
import { describe, expect, test } from "bun:test";
import { LogLevel, makeLogger } from "../../../core/log.ts";
import { fakePassword, pamKbdIntDialog, pamUnavailable, type PamContext, type PamConversationEvent, type PamResult } from "../../../core/server/pam.ts";

/** A PamContext whose conversation is a script: each entry is an event, or the final result. */
function scripted(script: (PamConversationEvent | PamResult)[]) {
  const answers: string[] = [];
  let aborted = false;
  let listener: ((e: PamConversationEvent) => void) | null = null;
  let finish: ((r: PamResult) => void) | null = null;
  const advance = () => {
    const next = script.shift();
    if (next === undefined) return;
    if ("rc" in next) finish?.(next);
    else {
      listener?.(next);
      if (next.kind === "info") advance(); // PAM does not wait after a text message
    }
  };
  const pam = {
    rhost: "192.0.2.7",
    authenticateInteractive(_flags: number, l: (e: PamConversationEvent) => void): Promise<PamResult> {
      listener = l;
      return new Promise((resolve) => {
        finish = resolve;
        advance();
      });
    },
    answer(bytes: Uint8Array) {
      answers.push(new TextDecoder().decode(bytes));
      advance();
    },
    abortConversation() {
      aborted = true;
      finish?.({ rc: 19, text: "Conversation error" });
    },
  } as unknown as PamContext;
  return { pam, answers, aborted: () => aborted };
}

const enc = (s: string) => new TextEncoder().encode(s);
const who = (valid = true) => ({ user: "fred", style: undefined, service: "ssh-connection", valid });

describe("pamKbdIntDialog", () => {
  test("one prompt per round, PAM text as an instruction, the empty round after success, then success", async () => {
    const { pam, answers } = scripted([
      { kind: "info", text: "Your password expires in 3 days" },
      { kind: "prompt", echo: false, text: "Password: " },
      { kind: "prompt", echo: true, text: "Token: " },
      { rc: 0, text: "Success" },
    ]);
    const lines: string[] = [];
    const d = pamKbdIntDialog(pam, who(), { usePassword: true, permitEmptyPasswords: false, log: makeLogger(LogLevel.DEBUG3, (l) => lines.push(l)) });
    expect(d.submethod).toBe("pam");
    expect(await d.step(null)).toEqual({ kind: "prompt", name: "", instruction: "Your password expires in 3 days", prompts: [] });
    expect(await d.step([])).toEqual({ kind: "prompt", name: "", instruction: "", prompts: [{ prompt: "Password: ", echo: false }] });
    expect(await d.step([enc("s3cret")])).toEqual({ kind: "prompt", name: "", instruction: "", prompts: [{ prompt: "Token: ", echo: true }] });
    expect(await d.step([enc("123456")])).toEqual({ kind: "prompt", name: "", instruction: "", prompts: [] });
    expect(await d.step([])).toEqual({ kind: "success" });
    expect(answers).toEqual(["s3cret", "123456"]);
    expect(lines).toEqual([]);
  });
  test("a PAM failure is logged as auth-pam.c does and fails the dialog", async () => {
    const { pam } = scripted([{ kind: "prompt", echo: false, text: "Password: " }, { rc: 7, text: "Authentication failure" }]);
    const lines: string[] = [];
    const d = pamKbdIntDialog(pam, who(), { usePassword: true, permitEmptyPasswords: false, log: makeLogger(LogLevel.INFO, (l) => lines.push(l)) });
    await d.step(null);
    expect(await d.step([enc("wrong")])).toEqual({ kind: "failure" });
    expect(lines).toEqual(["PAM: Authentication failure for fred from 192.0.2.7"]);
  });
  test("an invalid user: PAM gets junk of the same length and even PAM's success is a failure", async () => {
    const { pam, answers } = scripted([{ kind: "prompt", echo: false, text: "Password: " }, { rc: 0, text: "Success" }]);
    const lines: string[] = [];
    const d = pamKbdIntDialog(pam, who(false), { usePassword: false, permitEmptyPasswords: false, log: makeLogger(LogLevel.INFO, (l) => lines.push(l)) });
    await d.step(null);
    expect(await d.step([enc("password")])).toEqual({ kind: "failure" });
    expect(answers).toEqual(["\b\n\r\x7fINCO"]);
    expect(lines).toEqual(["Internal error: PAM auth succeeded when it should have failed"]);
  });
  test("more than one answer to PAM's single prompt fails; abort() fails the conversation", async () => {
    const a = scripted([{ kind: "prompt", echo: false, text: "Password: " }, { rc: 0, text: "Success" }]);
    const d = pamKbdIntDialog(a.pam, who(), { usePassword: true, permitEmptyPasswords: false, log: makeLogger(LogLevel.QUIET, () => {}) });
    await d.step(null);
    expect(await d.step([enc("a"), enc("b")])).toEqual({ kind: "failure" });
    expect(a.aborted()).toBe(true);
    const b = scripted([{ kind: "prompt", echo: false, text: "Password: " }]);
    const d2 = pamKbdIntDialog(b.pam, who(), { usePassword: true, permitEmptyPasswords: false, log: makeLogger(LogLevel.QUIET, () => {}) });
    await d2.step(null);
    d2.abort?.();
    expect(b.aborted()).toBe(true);
  });
});

describe("PAM without a PAM stack", () => {
  test("a library that cannot be loaded is reported, not thrown", () => {
    expect(pamUnavailable("libsshbox-no-such-pam.so.0")).toContain("libsshbox-no-such-pam.so.0");
  });
  test("fake_password repeats auth-pam.c's junk to the password's length", () => {
    expect(new TextDecoder().decode(fakePassword(15))).toBe("\b\n\r\x7fINCORRECT\b\n");
    expect(fakePassword(0).length).toBe(0);
  });
});
