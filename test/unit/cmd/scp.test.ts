// scp.c main()'s option loop and do_cmd()'s ssh command line, without running anything.
import { expect, test } from "bun:test";
import { parseCommandLine } from "../../../cmd/command-line.ts";
import { parseScpFlags, rawArguments, sshArguments } from "../../../cmd/scp.ts";
import { baseName } from "../../../cmd/scp-sftp.ts";
import { ScpFatal } from "../../../core/scp/index.ts";

const flags = (...args: string[]) => parseScpFlags(parseCommandLine("scp", args).options);
const FIXED = ["-x", "-oPermitLocalCommand=no", "-oClearAllForwardings=yes", "-oRemoteCommand=none", "-oRequestTTY=no", "-oControlMaster=no"];

test("defaults: SFTP mode, through this host, progress, -oForwardAgent=no last", () => {
  const f = flags();
  expect({ mode: f.mode, throughLocal: f.throughLocal, showProgress: f.showProgress, port: f.port }).toEqual({ mode: "sftp", throughLocal: true, showProgress: true, port: -1 });
  expect(f.sshArgs).toEqual([...FIXED, "-oForwardAgent=no"]);
});

test("ssh options pass through in order, to both connections of -R", () => {
  const f = flags("-4", "-C", "-A", "-i", "key", "-o", "Foo=bar", "-F", "cfg", "-J", "jump", "-c", "aes128-ctr", "-B", "-q", "-v", "-v");
  expect(f.sshArgs).toEqual([...FIXED, "-4", "-C", "-A", "-i", "key", "-o", "Foo=bar", "-F", "cfg", "-J", "jump", "-c", "aes128-ctr", "-oBatchmode=yes", "-q", "-v", "-v", "-oForwardAgent=no"]);
  expect(f.remoteRemoteArgs).toEqual(["-4", "-C", "-A", "-i", "key", "-o", "Foo=bar", "-F", "cfg", "-J", "jump", "-c", "aes128-ctr", "-oBatchmode=yes", "-q", "-v", "-v"]);
  expect({ showProgress: f.showProgress, debugLevel: f.debugLevel }).toEqual({ showProgress: false, debugLevel: 2 });
});

test("modes and remote flags", () => {
  expect(flags("-O").mode).toBe("scp");
  expect(flags("-O", "-s").mode).toBe("sftp");
  expect(flags("-t").mode).toBe("scp"); // the remote side is always legacy
  expect(flags("-R").throughLocal).toBe(false);
  expect(flags("-R", "-3").throughLocal).toBe(true);
  expect(flags("-l", "100").limitBps).toBe(102400);
  expect(flags("-P", "ssh").port).toBe(22);
  expect(flags("-X", "buffer=64k", "-X", "nrequests=8")).toMatchObject({ bufferBytes: 65536, numRequests: 8 });
});

test.each([
  [["-1"], "SSH protocol v.1 is no longer supported"],
  [["-P", "0"], 'bad port "0"\n'],
  [["-P", "nosuchservice"], 'bad port "nosuchservice"\n'],
  [["-X", "buffer=0"], 'Invalid buffer size "0": Invalid argument'],
  [["-X", "buffer=1m"], 'Invalid buffer size "1m": Invalid argument'],
  [["-X", "nrequests=0"], 'Invalid number of requests "0": too small'],
  [["-X", "nope"], "Invalid -X option"],
])("%p is fatal: %p", (args, message) => {
  expect(() => flags(...args)).toThrow(new ScpFatal(message));
});

test.each([[["-l", "0"]], [["-l", "x"]], [["-l", String(100 * 1024 * 1024 + 1)]], [["-M", "x"]]])("%p is a usage error", (args) => {
  expect(() => flags(...args)).toThrow();
  expect(() => flags(...args)).not.toThrow(ScpFatal);
});

test("do_cmd's command line: operand port over -P, user, subsystem, then -- host command", () => {
  const f = flags("-P", "2022");
  expect(sshArguments(f, "h", undefined, -1, false, "scp -t /x")).toEqual([...f.sshArgs, "-p", "2022", "--", "h", "scp -t /x"]);
  expect(sshArguments(f, "::1", "me", 2222, true, "sftp")).toEqual([...f.sshArgs, "-p", "2222", "-l", "me", "-s", "--", "::1", "sftp"]);
  expect(sshArguments(flags(), "h", undefined, -1, false, "scp -t -- -x", ["-oBatchMode=yes"])).toEqual([...flags().sshArgs, "-oBatchMode=yes", "--", "h", "scp -t -- -x"]);
});

test("basename(3), names that are not UTF-8 included", () => {
  expect(["", "/", "//", "a", "a/", "/x/y", "/x/y//", "caf\udce9", "d/caf\udce9/"].map(baseName)).toEqual([".", "/", "/", "a", "a", "y", "y", "caf\udce9", "caf\udce9"]);
});

test("arguments that lost bytes to UTF-8 decoding get them back from the command line", () => {
  const cmdline = Buffer.concat([Buffer.from("/bin/sshbox\0-O\0caf"), Buffer.from([0xe9]), Buffer.from("\0h:x\0")]);
  expect(rawArguments(["-O", "caf\ufffd", "h:x"], cmdline)).toEqual(["-O", "caf\udce9", "h:x"]);
  expect(rawArguments(["-O", "plain", "h:x"], cmdline)).toEqual(["-O", "plain", "h:x"]); // nothing lost: untouched
  expect(rawArguments(["other\ufffd"], Buffer.from("a\0b\0"))).toEqual(["other\ufffd"]); // entries that do not line up
});
