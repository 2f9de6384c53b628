// getopt with OpenSSH's semantics, on command lines taken from real use (seed-inventory §1.1, §2.1, §3, §4).
import { describe, expect, test } from "bun:test";
import { GetoptError, countFlag, firstValue, valuesOf } from "../../../cmd/getopt.ts";
import { parseCommandLine, parseSshCommandLine } from "../../../cmd/command-line.ts";
import type { ProgramName } from "../../../cmd/usage.ts";

const flat = (opts: { flag: string; value: string | undefined }[]): string[] =>
  opts.map((o) => (o.value === undefined ? `-${o.flag}` : `-${o.flag}=${o.value}`));

describe("ssh command lines", () => {
  const cases: [string, string[], { opts: string[]; dest?: string; cmd: string[] }][] = [
    ["plain host", ["host"], { opts: [], dest: "host", cmd: [] }],
    ["user@host with command", ["fred@example.org", "uname", "-a"], { opts: [], dest: "fred@example.org", cmd: ["uname", "-a"] }],
    ["-l user", ["-l", "fred", "example.org", "uname -a"], { opts: ["-l=fred"], dest: "example.org", cmd: ["uname -a"] }],
    ["-p detached and -l", ["-p", "2022", "-l", "fred", "localhost"], { opts: ["-p=2022", "-l=fred"], dest: "localhost", cmd: [] }],
    ["-p attached", ["-p2222", "host"], { opts: ["-p=2222"], dest: "host", cmd: [] }],
    ["grouped flags -fNT with -R", ["-fNT", "-R", "2022:localhost:22", "-l", "fred", "h"], { opts: ["-f", "-N", "-T", "-R=2022:localhost:22", "-l=fred"], dest: "h", cmd: [] }],
    ["attached -L", ["-L8080:h:80", "host"], { opts: ["-L=8080:h:80"], dest: "host", cmd: [] }],
    ["several -L accumulate", ["-L", "5901:localhost:5901", "-L", "1880:h2:80", "host"], { opts: ["-L=5901:localhost:5901", "-L=1880:h2:80"], dest: "host", cmd: [] }],
    ["-vvv counts", ["-vvv", "host"], { opts: ["-v", "-v", "-v"], dest: "host", cmd: [] }],
    ["several -o", ["-o", "ServerAliveInterval=60", "-o", "Compression=yes", "host"], { opts: ["-o=ServerAliveInterval=60", "-o=Compression=yes"], dest: "host", cmd: [] }],
    ["-o with a space", ["-o", "ServerAliveInterval 5", "host"], { opts: ["-o=ServerAliveInterval 5"], dest: "host", cmd: [] }],
    ["options after the destination", ["host", "-p", "2222", "ls", "-l"], { opts: ["-p=2222"], dest: "host", cmd: ["ls", "-l"] }],
    ["command flags are not options", ["host", "ls", "-l"], { opts: [], dest: "host", cmd: ["ls", "-l"] }],
    ["-- before the destination ends all options", ["-v", "--", "host", "-l", "x"], { opts: ["-v"], dest: "host", cmd: ["-l", "x"] }],
    ["-- after the destination", ["host", "--", "-v"], { opts: [], dest: "host", cmd: ["-v"] }],
    ["-J jump", ["-J", "fred@jump", "fred@target"], { opts: ["-J=fred@jump"], dest: "fred@target", cmd: [] }],
    ["-D twice with -f -C -q -N", ["-D", "80", "-D", "8080", "-f", "-C", "-q", "-N", "host"], { opts: ["-D=80", "-D=8080", "-f", "-C", "-q", "-N"], dest: "host", cmd: [] }],
    ["-tt nested", ["-tt", "jump", "ssh", "-tt", "target"], { opts: ["-t", "-t"], dest: "jump", cmd: ["ssh", "-tt", "target"] }],
    ["value that starts with a dash", ["-l", "-weird", "host"], { opts: ["-l=-weird"], dest: "host", cmd: [] }],
    ["-i key then host then quoted command", ["-i", "~/.ssh/mykey_ed25519", "-l", "fred", "h", "sudo tcpdump -w -"], { opts: ["-i=~/.ssh/mykey_ed25519", "-l=fred"], dest: "h", cmd: ["sudo tcpdump -w -"] }],
    ["-W in a ProxyCommand", ["-W", "%h:%p", "jump"], { opts: ["-W=%h:%p"], dest: "jump", cmd: [] }],
    ["-S and -O", ["-S", "~/.ssh/sockets/%C", "-O", "check", "host"], { opts: ["-S=~/.ssh/sockets/%C", "-O=check"], dest: "host", cmd: [] }],
    ["-w tunnel with -f", ["-f", "-w", "0:1", "host", "true"], { opts: ["-f", "-w=0:1"], dest: "host", cmd: ["true"] }],
    ["-E log file with -v", ["-E", "ssh.log", "-v", "host"], { opts: ["-E=ssh.log", "-v"], dest: "host", cmd: [] }],
    ["ssh:// URI", ["ssh://fred@h:2222"], { opts: [], dest: "ssh://fred@h:2222", cmd: [] }],
    ["-Q alone", ["-Q", "kex"], { opts: ["-Q=kex"], cmd: [] }],
    ["-G then host", ["-G", "-l", "fred", "host"], { opts: ["-G", "-l=fred"], dest: "host", cmd: [] }],
  ];
  test.each(cases)("%s", (_name, args, want) => {
    const r = parseSshCommandLine(args);
    expect({ opts: flat(r.options), dest: r.destination, cmd: r.command }).toEqual({ opts: want.opts, dest: want.dest, cmd: want.cmd });
  });

  test("-V stops parsing at once, as ssh.c prints and exits inside the getopt loop", () => {
    expect(flat(parseSshCommandLine(["-V", "-%"]).options)).toEqual(["-V"]);
    expect(() => parseSshCommandLine(["-%", "-V"])).toThrow("unknown option -- %");
  });
  test("first -p and -l win (ssh.c keeps the first)", () => {
    const r = parseSshCommandLine(["-p", "1", "-l", "a", "host", "-p", "2", "-l", "b"]);
    expect([firstValue(r.options, "p"), firstValue(r.options, "l")]).toEqual(["1", "a"]);
  });
  test("unknown option and missing value use OpenSSH's wording", () => {
    expect(() => parseSshCommandLine(["-%", "host"])).toThrow(new GetoptError("unknown option -- %"));
    expect(() => parseSshCommandLine(["-p"])).toThrow(new GetoptError("option requires an argument -- p"));
    expect(() => parseSshCommandLine(["host", "-p"])).toThrow(new GetoptError("option requires an argument -- p"));
  });
});

describe("other programs", () => {
  const cases: [ProgramName, string[], string[], string[]][] = [
    ["sshd", ["-D", "-f", "/home/fred/.ssh/sshd_config"], ["-D", "-f=/home/fred/.ssh/sshd_config"], []],
    ["sshd", ["-dd", "-p", "22222", "-f", "/home/fred/sshd_config.test"], ["-d", "-d", "-p=22222", "-f=/home/fred/sshd_config.test"], []],
    ["sshd", ["-D", "-h", "k_ed25519", "-h", "k_ecdsa", "-p", "2222"], ["-D", "-h=k_ed25519", "-h=k_ecdsa", "-p=2222"], []],
    ["sshd", ["-TC", "user=fred,host=h,addr=10.0.0.1"], ["-T", "-C=user=fred,host=h,addr=10.0.0.1"], []],
    ["sshd", ["-E", "/home/fred/sshd.debug.log", "-e", "-i"], ["-E=/home/fred/sshd.debug.log", "-e", "-i"], []],
    ["ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", "/home/fred/.ssh/ssh_host_key_ed25519", "-C", "unprivileged SSH host key for fred"], ["-q", "-t=ed25519", "-N=", "-f=/home/fred/.ssh/ssh_host_key_ed25519", "-C=unprivileged SSH host key for fred"], []],
    ["ssh-keygen", ["-lf", "key.pub"], ["-l", "-f=key.pub"], []],
    ["ssh-keygen", ["-l", "-E", "md5", "-f", "key.pub"], ["-l", "-E=md5", "-f=key.pub"], []],
    ["ssh-keygen", ["-s", "ca", "-I", "id", "-n", "fred,root", "-V", "+52w", "user.pub"], ["-s=ca", "-I=id", "-n=fred,root", "-V=+52w"], ["user.pub"]],
    ["ssh-keygen", ["-Y", "sign", "-f", "k", "-n", "file", "data"], ["-Y=sign", "-f=k", "-n=file"], ["data"]],
    ["ssh-keygen", ["-R", "[h]:2222", "-f", "known_hosts"], ["-R=[h]:2222", "-f=known_hosts"], []],
    ["sftp", ["-b", "-", "-P", "2222", "fred@h:/tmp"], ["-b=-", "-P=2222"], ["fred@h:/tmp"]],
    ["sftp", ["-D", "/usr/lib/openssh/sftp-server", "-q"], ["-D=/usr/lib/openssh/sftp-server", "-q"], []],
    ["scp", ["-O", "-r", "-p", "dir", "h:/tmp/"], ["-O", "-r", "-p"], ["dir", "h:/tmp/"]],
    ["scp", ["-3", "a:f", "b:g"], ["-3"], ["a:f", "b:g"]],
    ["scp", ["-P", "2222", "-i", "k", "f", "-r"], ["-P=2222", "-i=k"], ["f", "-r"]],
    ["sftp-server", ["-e", "-l", "DEBUG3", "-d", "/srv/%u"], ["-e", "-l=DEBUG3", "-d=/srv/%u"], []],
    ["ssh-add", ["-l", "-E", "md5"], ["-l", "-E=md5"], []],
    ["ssh-add", ["-t", "3600", "key1", "key2"], ["-t=3600"], ["key1", "key2"]],
    ["ssh-agent", ["-s", "-a", "/tmp/agent.sock"], ["-s", "-a=/tmp/agent.sock"], []],
    ["ssh-keyscan", ["-t", "ed25519,rsa", "-p", "2222", "h1", "h2"], ["-t=ed25519,rsa", "-p=2222"], ["h1", "h2"]],
    ["ssh-keyscan", ["-H", "-"], ["-H"], ["-"]],
  ];
  test.each(cases)("%s %p", (program, args, opts, operands) => {
    const r = parseCommandLine(program, args);
    expect({ opts: flat(r.options), operands: r.operands }).toEqual({ opts, operands });
  });

  test("counting and collecting helpers", () => {
    const r = parseCommandLine("sshd", ["-ddd", "-o", "A=1", "-o", "B=2"]);
    expect([countFlag(r.options, "d"), valuesOf(r.options, "o")]).toEqual([3, ["A=1", "B=2"]]);
  });
  test("a missing value names the flag", () => {
    expect(() => parseCommandLine("ssh-keygen", ["-t"])).toThrow("option requires an argument -- t");
    expect(() => parseCommandLine("scp", ["-Z", "a", "b"])).toThrow("unknown option -- Z");
  });
});
