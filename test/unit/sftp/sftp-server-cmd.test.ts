// cmd/sftp-server.ts: OpenSSH's flags, messages and exit statuses (sftp-server.c main), without a subprocess.
import { expect, test } from "bun:test";
import { recordingIo } from "../../../cmd/io.ts";
import { expandStartDir, internalSftpOptions, sftpServer } from "../../../cmd/sftp-server.ts";
import { LogLevel } from "../../../core/log.ts";
import { usageText } from "../../../cmd/usage.ts";
import { requestNames } from "../../../core/sftp/index.ts";

async function run(...args: string[]) {
  const io = recordingIo();
  const status = await sftpServer.run({ args, progname: "sftp-server", io });
  return { status, stdout: io.stdout, stderr: io.stderr };
}

test("-Q requests lists every request in OpenSSH's order; another query fails", async () => {
  expect(await run("-Q", "requests")).toEqual({ status: 0, stdout: requestNames().join("\n") + "\n", stderr: "" });
  expect(requestNames().slice(0, 3)).toEqual(["open", "close", "read"]);
  expect(requestNames().at(-1)).toBe("users-groups-by-id");
  expect(await run("-Q", "REQUESTS")).toMatchObject({ status: 0 });
  expect(await run("-Q", "x")).toEqual({ status: 1, stdout: "", stderr: "Invalid query type\n" });
  expect(await run("-Q", "requests", "-%")).toMatchObject({ status: 0 }); // -Q acts before getopt sees -%
});

test("-h and bad options: the usage alone, exit 1 (OpenSSH's sftp-server prints no getopt message)", async () => {
  const usage = usageText("sftp-server", "sftp-server");
  expect(await run("-h")).toEqual({ status: 1, stdout: "", stderr: usage });
  expect(await run("-%")).toEqual({ status: 1, stdout: "", stderr: usage });
  expect(await run("-d")).toEqual({ status: 1, stdout: "", stderr: usage });
});

test("fatal flags exit 255; a bad level exits 1 as log_init does", async () => {
  expect(await run("-u", "999")).toEqual({ status: 255, stdout: "", stderr: 'Invalid umask "999"\r\n' });
  expect(await run("-u", "")).toMatchObject({ status: 255 });
  expect(await run("-p", "a", "-p", "b")).toEqual({ status: 255, stdout: "", stderr: "Permitted requests already set\r\n" });
  expect(await run("-P", "a", "-P", "b")).toEqual({ status: 255, stdout: "", stderr: "Refused requests already set\r\n" });
  expect(await run("-d", "%q")).toEqual({ status: 255, stdout: "", stderr: "percent_expand: unknown key %q\r\n" });
  expect(await run("-l", "LOUD")).toEqual({ status: 1, stdout: "", stderr: "Unrecognized internal syslog level code -1\n" });
});

test("-c (run as a login shell) ignores everything after it", async () => {
  expect(await run("-Q", "requests", "-c", "-%")).toMatchObject({ status: 0 });
});

test("-d tokens: %d home, %u user, %U uid, %%, ~", () => {
  const u = { name: "fred", uid: 1001, home: "/home/fred" };
  expect(expandStartDir("/srv/%u/%U/%%", u)).toBe("/srv/fred/1001/%");
  expect(expandStartDir("%d/www", u)).toBe("/home/fred/www");
  expect(expandStartDir("~/x", u)).toBe("/home/fred/x");
  expect(expandStartDir("~", u)).toBe("/home/fred");
  expect(expandStartDir("~root/y", u)).toBe("/root/y");
});

test("internal-sftp arguments become session options", () => {
  const u = { name: "fred", uid: 1001, home: "/home/fred" };
  expect(internalSftpOptions(["-d", "/srv/%u", "-u", "0002", "-l", "INFO", "-R", "-P", "remove"], u)).toEqual({
    ok: true, logLevel: LogLevel.INFO,
    options: { cwd: "/srv/fred", readOnly: true, allowedRequests: undefined, deniedRequests: "remove", umask: 0o002 },
  });
  expect(internalSftpOptions(["-d", "site1"], u)).toMatchObject({ ok: true, options: { cwd: "/home/fred/site1" } });
  expect(internalSftpOptions([], u)).toMatchObject({ ok: true, logLevel: LogLevel.ERROR, options: { cwd: "/home/fred" } });
  expect(internalSftpOptions(["-%"], u)).toEqual({ ok: false, status: 1, message: "" });
  expect(internalSftpOptions(["-u", "8"], u)).toEqual({ ok: false, status: 255, message: 'Invalid umask "8"' });
});
