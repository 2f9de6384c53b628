// ssh_config: Host and Match (regress/cfgmatch.sh, cfginclude.sh), first obtained value wins and the accumulating
// keywords, -o and file order, %-tokens (regress/percent.sh), `ssh -G` and `ssh -Q`.
import { createHash } from "node:crypto";
import { describe, expect, test } from "bun:test";
import { formatSshG, loadSshConfig, parseForward, querySsh, sshKeyword, type SshConfig, type SshLoadOptions } from "../../../core/config/index.ts";
import { ALL_CIPHERS, ALL_MACS } from "../../../core/config/algorithms.ts";
import { errorOf, fakeFs } from "./fake-fs.ts";
import { NODE_FS } from "../../../core/config/lexer.ts";

const LOCAL = { user: "alice", uid: 1000, home: "/home/alice", hostname: "box.example.net", env: { HOME: "/home/alice", FOO: "bar" } };
const load = (host: string, text: string, extra: Partial<SshLoadOptions> & { files?: Record<string, string> } = {}): SshConfig =>
  loadSshConfig({ host, configFile: "/cfg", local: LOCAL, ...extra, fs: fakeFs({ "/cfg": text, ...extra.files }) });
const gLine = (c: SshConfig, kw: string): string[] => formatSshG(c).split("\n").filter((l) => l.startsWith(`${kw} `)).map((l) => l.slice(kw.length + 1));

const BOOK = [
  "Host anoncvs", "  Compression yes", "  Port 2022",
  "Host arc", "  Port 2022", "  User fred", "  IdentityFile ~/.ssh/id_rsa_arc",
  "Host *.example.org !gamma.example.org", "  User eve", "  ServerAliveInterval 200",
  "Host server1", "  ServerAliveInterval 200",
  "Host *", "  ExitOnForwardFailure yes", "  Protocol 2", "  ServerAliveInterval 400", "",
].join("\n");

describe("Host blocks and first obtained value", () => {
  test("the most specific block first, Host * last", () => {
    const c = load("arc", BOOK);
    expect([c.port, c.user, c.identityFile, c.exitOnForwardFailure, c.serverAliveInterval]).toEqual([2022, "fred", ["~/.ssh/id_rsa_arc"], true, 400]);
    expect(load("server1", BOOK).serverAliveInterval).toBe(200);
    expect(load("anoncvs", BOOK).compression).toBe(true);
  });
  test("negated patterns skip the block; patterns are whitespace lists", () => {
    expect(load("alpha.example.org", BOOK).user).toBe("eve");
    expect(load("gamma.example.org", BOOK).user).toBe("alice");
  });
  test("IdentityFile, CertificateFile, LocalForward, SendEnv accumulate; others keep the first value", () => {
    const c = load("h", "Host h\n IdentityFile ~/.ssh/a\n User u1\n LocalForward 5901 localhost:5901\n SendEnv LANG\n CertificateFile ~/.ssh/a-cert.pub\nHost *\n IdentityFile ~/.ssh/b\n IdentityFile ~/.ssh/a\n User u2\n LocalForward 8080 [::1]:80\n SendEnv LC_* -LANG\n CertificateFile ~/.ssh/b-cert.pub\n");
    expect(c.identityFile).toEqual(["~/.ssh/a", "~/.ssh/b"]);
    expect(c.certificateFile).toEqual(["~/.ssh/a-cert.pub", "~/.ssh/b-cert.pub"]);
    expect(c.user).toBe("u1");
    expect(c.localForward.map((f) => [f.listenPort, f.connectHost, f.connectPort])).toEqual([[5901, "localhost", 5901], [8080, "::1", 80]]);
    expect(c.sendEnv).toEqual(["LC_*"]);
    expect(gLine(c, "localforward")).toEqual(["5901 [localhost]:5901", "8080 [::1]:80"]);
  });
  test("-o lines come first; -l and -p beat the files", () => {
    const c = load("arc", BOOK, { overrides: ["Port=2200", "User bob"] });
    expect([c.port, c.user]).toEqual([2200, "bob"]);
    expect(load("arc", BOOK, { user: "carol" }).user).toBe("carol");
    expect(load("arc", BOOK, { port: 22 }).port).toBe(22);
  });
  test("without -F: ~/.ssh/config then /etc/ssh/ssh_config; -F none reads nothing", () => {
    const fs = fakeFs({ "/home/alice/.ssh/config": "Host *\n Port 1111\n", "/etc/ssh/ssh_config": "Host *\n Port 2222\n User sys\n" });
    const c = loadSshConfig({ host: "x", local: LOCAL, fs });
    expect([c.port, c.user]).toEqual([1111, "sys"]);
    const n = loadSshConfig({ host: "x", local: LOCAL, fs, configFile: "none" });
    expect([n.port, n.user]).toEqual([22, "alice"]);
    expect(errorOf(() => loadSshConfig({ host: "x", local: LOCAL, fs, configFile: "/missing" }))).toBe("Can't open user config file /missing: No such file or directory");
  });
  test("-F /dev/null reads an empty file, as fopen(3) does (a common 'no config' idiom); a directory is not a file", () => {
    expect(loadSshConfig({ host: "x", local: LOCAL, fs: NODE_FS, configFile: "/dev/null" }).port).toBe(22);
    expect(errorOf(() => loadSshConfig({ host: "x", local: LOCAL, fs: NODE_FS, configFile: "/" }))).toBe("Can't open user config file /: No such file or directory");
  });
  test("defaults", () => {
    const c = load("Host.Example.COM", "");
    expect([c.hostname, c.user, c.port, c.strictHostKeyChecking, c.requestTty, c.forwardAgent, c.escapeChar]).toEqual(["host.example.com", "alice", 22, "ask", "auto", false, "~"]);
    expect(c.userKnownHostsFile).toEqual(["/home/alice/.ssh/known_hosts", "/home/alice/.ssh/known_hosts2"]);
    expect(c.identityFile[0]).toBe("~/.ssh/id_rsa");
    expect(c.ciphers[0]).toBe("chacha20-poly1305@openssh.com");
  });
});

describe("Match (regress/cfgmatch.sh)", () => {
  test("host, originalhost, user, localuser, all, negation", () => {
    const text = "Host a\n HostName real.example.com\nMatch host real.example.com\n Port 1\nMatch originalhost a\n User o\nMatch localuser alice !host nope\n Compression yes\nMatch user o\n ConnectionAttempts 5\nMatch all\n BatchMode yes\n";
    const c = load("a", text);
    expect([c.hostname, c.port, c.user, c.compression, c.connectionAttempts, c.batchMode]).toEqual(["real.example.com", 1, "o", true, 5, true]);
  });
  test("Match host sees HostName with %h expanded", () => {
    expect(load("web", "Host web\n HostName %h.example.com\nMatch host web.example.com\n Port 3\n").port).toBe(3);
  });
  test("exec runs through the caller's callback with tokens expanded, and only when earlier criteria matched", () => {
    const ran: string[] = [];
    const exec = (cmd: string): boolean => (ran.push(cmd), cmd.includes("yes"));
    const c = load("h1", "Match host h1 exec \"test %h:%p yes\"\n Port 5\nMatch host other exec \"never\"\n User x\nMatch !exec \"no\"\n Compression yes\n", { exec });
    expect([c.port, c.user, c.compression]).toEqual([5, "alice", true]);
    expect(ran).toEqual(["test h1:22 yes", "no"]);
  });
  test("tagged, command, version, localnetwork (callback), canonical/final", () => {
    const c = load("h", "Tag prod\nMatch tagged prod\n Port 7\nMatch command uptime*\n User cmd\nMatch version sshbox_*\n BatchMode yes\nMatch localnetwork 10.0.0.0/8\n Compression yes\n", { command: "uptime -p", localNetwork: (l) => l === "10.0.0.0/8" });
    expect([c.port, c.user, c.batchMode, c.compression]).toEqual([7, "cmd", true, true]);
    const f = load("h", "Match final\n Port 9\nMatch !final\n User first\nMatch canonical\n BatchMode yes\n");
    expect([f.port, f.user, f.batchMode, f.finalPass]).toEqual([9, "first", true, true]);
  });
  test("bad Match lines", () => {
    expect(errorOf(() => load("h", "Match foo bar\n"))).toBe("Unsupported Match attribute foo\n/cfg line 1: Bad Match condition\n/cfg: terminating, 1 bad configuration options");
    expect(errorOf(() => load("h", "Match host\n"))).toBe("/cfg line 1: missing argument for Match 'host'\n/cfg line 1: Bad Match condition\n/cfg: terminating, 1 bad configuration options");
    expect(errorOf(() => load("h", "Match all host x\n"))).toBe("/cfg line 1: Bad Match condition\n/cfg: terminating, 1 bad configuration options".replace("/cfg line 1: Bad", "/cfg line 1: 'all' cannot be combined with other Match attributes\n/cfg line 1: Bad"));
  });
});

describe("Include (regress/cfginclude.sh)", () => {
  const files: Record<string, string> = {
    "/cfg": [
      "Match host a", "\tHostname aa", "Match host=b # comment", "\tHostname bb", "\tInclude /i/c.*",
      "Match host c", "\tInclude /i/c.*", "\tHostname cc", "Match host=m !user xxxyfake", "\tInclude /i/c.* # comment",
      "Host d", "\tHostname dd # comment", "Host e", "\tHostname ee", "\tInclude /i/c.*", "Host f", "\tInclude /i/c.*", "\tHostname ff", "Host n", "\tInclude /i/c.*", "",
    ].join("\n"),
    "/i/c.0": "Match host xxxxxx\n",
    "/i/c.1": "Match host=a\n\tHostname aaa\nMatch host b\n\tHostname bbb\nMatch host c # comment\n\tHostname ccc\nHost d # comment\n\tHostname ddd\nHost e\n\tHostname eee\nHost f\n\tHostname fff # comment\n",
    "/i/c.2": "Match host a\n\tHostname aaaa\nMatch host=b !user blahblahfake\n\tHostname bbbb\nMatch host=c\n\tHostname cccc\nHost d\n\tHostname dddd\nHost e\n\tHostname eeee\nHost f\n\tHostname ffff\nMatch all\n\tHostname xxxx\n",
  };
  test.each([["a", "aa"], ["b", "bb"], ["c", "ccc"], ["d", "dd"], ["e", "ee"], ["f", "fff"], ["m", "xxxx"], ["n", "xxxx"], ["x", "x"]] as const)("%s → %s", (host, want) => {
    expect(loadSshConfig({ host, configFile: "/cfg", local: LOCAL, fs: fakeFs(files) }).hostname).toBe(want);
  });
  test("an error in an included file is fatal", () => {
    expect(errorOf(() => loadSshConfig({ host: "a", configFile: "/cfg", local: LOCAL, fs: fakeFs({ ...files, "/i/c.3": "Hostname xxxx\n\tJunk\n" }) }))).toBe(
      '/i/c.3 line 2: no argument after keyword "junk"\n/i/c.3: terminating, 1 bad configuration options',
    );
  });
  test("relative names: ~/.ssh for user files, /etc/ssh for the system file, ~ refused there", () => {
    const fs = fakeFs({ "/home/alice/.ssh/config": "Include conf.d/*\n", "/home/alice/.ssh/conf.d/x": "Port 4444\n", "/etc/ssh/ssh_config": "Include ssh_config.d/*.conf\n", "/etc/ssh/ssh_config.d/a.conf": "User fromsys\n" });
    const c = loadSshConfig({ host: "h", local: LOCAL, fs });
    expect([c.port, c.user]).toEqual([4444, "fromsys"]);
    expect(errorOf(() => loadSshConfig({ host: "h", local: LOCAL, fs: fakeFs({ "/etc/ssh/ssh_config": "Include ~/x\n" }) }))).toBe("/etc/ssh/ssh_config line 1: bad include path ~/x.\n/etc/ssh/ssh_config: terminating, 1 bad configuration options");
  });
  test("recursion stops at the depth limit", () => {
    expect(errorOf(() => load("h", "Include /cfg\n"))).toBe("Too many recursive configuration includes");
  });
});

describe("errors (readconf.c wording)", () => {
  test.each([
    ["Foo bar\nBaz\nCiphers foo", '/cfg: line 1: Bad configuration option: foo\n/cfg line 2: no argument after keyword "baz"\n/cfg line 3: Bad SSH2 cipher spec \'foo\'.\n/cfg: terminating, 3 bad configuration options'],
    ["Port x", "/cfg line 1: Bad port 'x'.\n/cfg: terminating, 1 bad configuration options"],
    ["StrictHostKeyChecking maybe", '/cfg line 1: unsupported option "maybe".\n/cfg: terminating, 1 bad configuration options'],
    ["LocalForward 5901", "/cfg line 1: Missing target argument.\n/cfg: terminating, 1 bad configuration options"],
    ["LocalForward x y", "/cfg line 1: Bad forwarding specification.\n/cfg: terminating, 1 bad configuration options"],
    ["RefuseConnection go away", "/cfg line 1: RefuseConnection: go"],
    ["X11Forwarding yes", "/cfg: line 1: Bad configuration option: x11forwarding\n/cfg: terminating, 1 bad configuration options"],
  ])("%j", (text, msg) => {
    expect(errorOf(() => load("h", `${text}\n`))).toBe(msg);
  });
  test("IgnoreUnknown lets listed unknown keywords pass; Protocol and deprecated ones are accepted", () => {
    const c = load("h", "IgnoreUnknown UseKeychain,AddKeysToAgentX\nUseKeychain yes\nProtocol 2\nUseRoaming no\nGSSAPIAuthentication yes\n");
    expect(c.notices.map((n) => n.text)).toEqual(['/cfg line 2: Ignored unknown option "usekeychain"', '/cfg line 4: Deprecated option "useroaming"', '/cfg line 5: Unsupported option "gssapiauthentication"']);
    // Debian's stock ssh_config says GSSAPIAuthentication yes: that is a debug note, never an error line on stderr
    expect(c.notices.find((n) => n.text.includes("gssapi"))?.level).toBe("DEBUG1");
    const k = load("h", "KerberosAuthentication yes\n");
    expect(k.notices.map((n) => [n.level, n.text])).toEqual([["ERROR", '/cfg line 1: Unsupported option "kerberosauthentication"']]);
  });
});

describe("tokens (regress/percent.sh)", () => {
  const c = load("myhost", "Host myhost\n HostName real.example.com\n User remote\n Port 2222\n ControlPath /tmp/%C.%h.%p.%r.%u.%L.%l.%n.%i.%d.%k.%%\n IdentityAgent ~/agent.%h\n RemoteCommand echo %h %r\n SetEnv X=%u Y=${FOO}\n");
  test("ControlPath gets every token; %C is SHA1(%l%h%p%r%j)", () => {
    const hash = createHash("sha1").update("box.example.net" + "real.example.com" + "2222" + "remote" + "").digest("hex");
    expect(c.controlPath).toBe(`/tmp/${hash}.real.example.com.2222.remote.alice.box.box.example.net.myhost.1000./home/alice.myhost.%`);
  });
  test("IdentityAgent is tilde- and token-expanded; RemoteCommand and SetEnv values too", () => {
    expect(c.identityAgent).toBe("/home/alice/agent.real.example.com");
    expect(c.remoteCommand).toBe("echo real.example.com remote");
    expect(c.setEnv).toEqual(["X=alice", "Y=bar"]);
  });
  test("a User from the configuration may use tokens but not %r", () => {
    expect(load("h", "User %u-x\n").user).toBe("alice-x");
    expect(errorOf(() => load("h", "User %r\n"))).toBe("vdollar_percent_expand: unknown key %r\npercent_dollar_expand: failed");
  });
});

describe("ssh -G", () => {
  test("re-parsing -G output gives the same -G output (regress/sshcfgparse.sh)", () => {
    const c = load("arc", BOOK + "Host *\n LocalForward 1234 [::1]:22\n DynamicForward 1080\n RemoteForward 2000 localhost:22\n ProxyJump j1,fred@[10.0.0.1]:2222\n SendEnv LANG\n ControlPersist 10m\n AddKeysToAgent confirm 5m\n");
    const first = formatSshG(c);
    const again = formatSshG(load("arc", first));
    expect(again).toBe(first);
    expect(gLine(c, "proxyjump")).toEqual(["j1,fred@[10.0.0.1]:2222"]);
    expect(gLine(c, "proxycommand")).toEqual([]);
    expect(gLine(c, "dynamicforward")).toEqual(["1080"]);
    expect(first).toContain("\naddkeystoagent confirm 300\n");
  });
  test("ProxyJump and ProxyCommand: the first one found wins", () => {
    expect(load("h", "ProxyCommand nc %h %p\nProxyJump j\n").proxyCommand).toBe("nc %h %p");
    expect(load("h", "ProxyJump j\nProxyCommand nc %h %p\n").proxyJump?.host).toBe("j");
  });
  test("value spellings", () => {
    const c = load("h", "ForwardAgent /tmp/agent.sock\nControlMaster auto\nEscapeChar ^A\nConnectTimeout 10\nTunnelDevice 3:any\nIPQoS af21 cs1\nPubkeyAcceptedAlgorithms ssh-ed25519\n");
    expect([gLine(c, "forwardagent"), gLine(c, "controlmaster"), gLine(c, "escapechar"), gLine(c, "connecttimeout"), gLine(c, "tunneldevice"), gLine(c, "ipqos"), gLine(c, "pubkeyacceptedalgorithms")]).toEqual([
      ["/tmp/agent.sock"], ["auto"], ["\\^A"], ["10"], ["3:any"], ["af21 cs1"], ["ssh-ed25519"],
    ]);
  });
});

describe("forward specs", () => {
  test("parse_forward forms", () => {
    expect(parseForward("8080:localhost:80", false, false)).toMatchObject({ listenHost: null, listenPort: 8080, connectHost: "localhost", connectPort: 80 });
    expect(parseForward("127.0.0.1:8080:[::1]:80", false, false)).toMatchObject({ listenHost: "127.0.0.1", connectHost: "::1" });
    expect(parseForward("/tmp/s:/var/run/x.sock", false, false)).toMatchObject({ listenPath: "/tmp/s", connectPath: "/var/run/x.sock" });
    expect(parseForward("1080", true, false)).toMatchObject({ listenPort: 1080, connectHost: "socks" });
    expect(parseForward("0:h:1", false, false)).toBeNull();
    expect(parseForward("0:h:1", false, true)).not.toBeNull();
  });
});

describe("ssh -Q", () => {
  test("answers from the registry, null for unknown queries", () => {
    expect(querySsh("cipher")).toEqual([...ALL_CIPHERS]);
    expect(querySsh("Ciphers")).toEqual([...ALL_CIPHERS]);
    expect(querySsh("mac")).toEqual([...ALL_MACS]);
    expect(querySsh("cipher-auth")).toContain("chacha20-poly1305@openssh.com");
    expect(querySsh("cipher-auth")).not.toContain("aes128-ctr");
    expect(querySsh("key")).not.toContain("rsa-sha2-256");
    expect(querySsh("key-sig")).toContain("rsa-sha2-256");
    expect(querySsh("HostKeyAlgorithms")).toEqual(querySsh("key-sig")!);
    expect(querySsh("key-cert")!.every((n) => n.includes("-cert-v01@openssh.com"))).toBe(true);
    expect(querySsh("kex")).toContain("curve25519-sha256");
    expect(querySsh("nope")).toBeNull();
    expect(querySsh("CIPHER")).toBeNull();
  });
  test("keyword table covers the client keywords", () => {
    for (const k of ["HostName", "ProxyJump", "IdentityFile", "CertificateFile", "LocalForward", "SendEnv", "SetEnv", "Tag", "SessionType", "StdinNull", "ForkAfterAuthentication", "KnownHostsCommand", "ObscureKeystrokeTiming", "ChannelTimeout", "RequiredRSASize", "EnableEscapeCommandline", "WarnWeakCrypto", "VersionAddendum", "RefuseConnection"]) {
      expect(sshKeyword(k)?.name).toBe(k);
    }
    expect(sshKeyword("keepalive")?.name).toBe("TCPKeepAlive");
  });
});

describe("per-keyword tokens (ssh_config(5) TOKENS)", () => {
  const c = load("myhost", "Host myhost\n HostName real.example.com\n User remote\n Port 2222\n");
  test("IdentityFile takes the common set and ~; ProxyCommand only %h %n %p %r; LocalCommand adds %T", async () => {
    const { expandSshTokens, sshTokensFor } = await import("../../../core/config/index.ts");
    const v = sshTokensFor(c, LOCAL, { T: "tun0" });
    expect(expandSshTokens("IdentityFile", "~/.ssh/id_%r@%h", v, { tilde: LOCAL.home })).toBe("/home/alice/.ssh/id_remote@real.example.com");
    expect(expandSshTokens("ProxyCommand", "ssh -W %h:%p %r@gw # %n", v)).toBe("ssh -W real.example.com:2222 remote@gw # myhost");
    expect(errorOf(() => expandSshTokens("ProxyCommand", "%u", v))).toBe("vdollar_percent_expand: unknown key %u\npercent_expand: failed");
    expect(expandSshTokens("LocalCommand", "echo %T %%", v)).toBe("echo tun0 %");
  });
});

describe("quirks found by comparing with OpenSSH's ssh -G", () => {
  test("`none` for a time is 'unset', so a later value still applies", () => {
    expect(load("h", "ConnectTimeout none\nConnectTimeout 10\n").connectTimeout).toBe(10);
  });
  test("ForwardAgent yes then a path: forwarding from the first line, the path from the second", () => {
    expect(load("h", "ForwardAgent yes\nForwardAgent /tmp/sock\n").forwardAgent).toBe("/tmp/sock");
    expect(load("h", "ForwardAgent no\nForwardAgent /tmp/sock\n").forwardAgent).toBe("/tmp/sock");
  });
  test("Tunnel yes prints as point-to-point; ClearAllForwardings also turns the tunnel off", () => {
    expect(load("h", "Tunnel yes\n").tunnel).toBe("point-to-point");
    expect(load("h", "Tunnel yes\nClearAllForwardings yes\n").tunnel).toBe("false");
  });
  test("ProxyJump turns ProxyUseFdpass off; UpdateHostKeys ask is dropped where ssh drops it", () => {
    expect(load("h", "ProxyUseFdpass yes\nProxyJump j\n").proxyUseFdpass).toBe(false);
    expect(load("h", "UpdateHostKeys ask\nRemoteCommand ls\n").updateHostKeys).toBe("false");
    expect(load("h", "UpdateHostKeys ask\nLogLevel ERROR\n").updateHostKeys).toBe("false");
    expect(load("h", "UpdateHostKeys ask\n").updateHostKeys).toBe("ask");
  });
});

describe("permissions of user config files", () => {
  test("~/.ssh/config writable by others, or owned by someone else, is refused; -F files are not checked", () => {
    const files = { "/home/alice/.ssh/config": "Port 1\n", "/cfg": "Port 2\n" };
    const withOwner = (uid: number, mode: number) => ({ ...fakeFs(files), owner: () => ({ uid, mode }) });
    expect(errorOf(() => loadSshConfig({ host: "h", local: LOCAL, fs: withOwner(1000, 0o664) }))).toBe("Bad owner or permissions on /home/alice/.ssh/config");
    expect(errorOf(() => loadSshConfig({ host: "h", local: LOCAL, fs: withOwner(1001, 0o600) }))).toBe("Bad owner or permissions on /home/alice/.ssh/config");
    expect(loadSshConfig({ host: "h", local: LOCAL, fs: withOwner(0, 0o644) }).port).toBe(1);
    expect(loadSshConfig({ host: "h", local: LOCAL, fs: withOwner(1001, 0o666), configFile: "/cfg" }).port).toBe(2);
  });
  test("HostName tokens other than %h are fatal, as in ssh.c", () => {
    expect(errorOf(() => load("h", "HostName %p.example\n"))).toBe("vdollar_percent_expand: unknown key %p\npercent_expand: failed");
  });
});

describe("environment expansion", () => {
  test("an unset variable in an expanded keyword is fatal with OpenSSH's two lines", () => {
    expect(errorOf(() => load("h", "ControlPath /tmp/${NOPE}\n"))).toBe("vdollar_percent_expand: env var ${NOPE} has no value\ninvalid environment variable expansion");
    expect(load("h", "ControlPath /tmp/${FOO}-%%\n").controlPath).toBe("/tmp/bar-%");
  });
});

describe("CanonicalizeHostname", () => {
  test("the caller's resolver gives the canonical name; the final pass matches Host blocks against it", () => {
    const text = "CanonicalizeHostname yes\nCanonicalDomains example.org example.net\nHost web.example.org\n  User canon\nMatch canonical host *.example.org\n  Port 2200\n";
    const seen: unknown[] = [];
    const c = load("web", text, { canonicalize: (h, s) => (seen.push([h, s.domains, s.maxDots]), `${h}.example.org`) });
    expect([c.hostname, c.user, c.port, c.finalPass]).toEqual(["web.example.org", "canon", 2200, true]);
    expect(seen).toEqual([["web", ["example.org", "example.net"], 1]]);
    expect(load("web", "CanonicalizeHostname yes\nProxyJump j\n", { canonicalize: () => "x" }).hostname).toBe("web");
    expect(load("web", "CanonicalizeHostname always\nProxyJump j\n", { canonicalize: () => "x" }).hostname).toBe("x");
  });
});
