// sshd_config: keyword rows, first-value-wins and accumulating keywords, deprecated/unsupported wording, error texts
// (servconf.c), Match blocks and Include (regress/servcfginclude.sh, cfgmatch.sh), tokens and `sshd -T`.
import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../../core/errors.ts";
import { applyMatch, expandSshdTokens, formatSshdTest, loadSshdConfig, parseConnectionSpec, SSHD_KEYWORDS, sshdKeyword, type SshdConfig } from "../../../core/config/index.ts";
import { errorOf, fakeFs } from "./fake-fs.ts";

const ENV = { cwd: "/work", home: "/root", sshDir: "/etc/ssh" };
const load = (text: string, files: Record<string, string> = {}, overrides: string[] = []): SshdConfig =>
  loadSshdConfig("/etc/ssh/sshd_config", { fs: fakeFs({ "/etc/ssh/sshd_config": text, ...files }), env: ENV, overrides });
const testLine = (c: SshdConfig, kw: string): string[] => formatSshdTest(c).split("\n").filter((l) => l.startsWith(`${kw} `));

describe("keyword table", () => {
  test("every OpenSSH 10.5 keyword is a row; aliases resolve case-insensitively", () => {
    for (const k of ["Port", "ListenAddress", "HostKey", "PermitRootLogin", "AuthorizedKeysFile", "Subsystem", "PerSourcePenalties", "SshdSessionPath", "SshdAuthPath", "RefuseConnection", "ChannelTimeout", "UnusedConnectionTimeout", "RequiredRSASize", "PubkeyAuthOptions", "PerSourceNetBlockSize", "PerSourceMaxStartups", "PerSourcePenaltyExemptList", "ModuliFile", "LogVerbose"]) {
      expect(sshdKeyword(k)?.name).toBe(k);
    }
    expect(sshdKeyword("permitrootlogin")?.name).toBe("PermitRootLogin");
    expect(sshdKeyword("ChallengeResponseAuthentication")?.name).toBe("KbdInteractiveAuthentication");
    expect(sshdKeyword("PubkeyAcceptedKeyTypes")?.name).toBe("PubkeyAcceptedAlgorithms");
    expect(sshdKeyword("KeepAlive")?.name).toBe("TCPKeepAlive");
    expect(sshdKeyword("HostDSAKey")?.name).toBe("HostKey");
    expect(new Set(SSHD_KEYWORDS.map((k) => k.name.toLowerCase())).size).toBe(SSHD_KEYWORDS.length);
  });
  test("Match-allowed flags follow servconf.h", () => {
    for (const k of ["PasswordAuthentication", "ForceCommand", "ChrootDirectory", "AllowTcpForwarding", "X11Forwarding", "PermitTTY", "PermitTunnel", "Banner", "PermitOpen", "PermitListen", "AuthorizedKeysFile", "AuthenticationMethods", "HostbasedAuthentication", "DenyGroups", "LogLevel", "ClientAliveInterval", "ClientAliveCountMax", "MaxSessions", "Subsystem", "RekeyLimit", "IPQoS"]) {
      expect(sshdKeyword(k)?.inMatch).toBe(true);
    }
    for (const k of ["Port", "ListenAddress", "HostKey", "Ciphers", "MACs", "KexAlgorithms", "UseDNS", "PidFile", "LoginGraceTime", "MaxStartups", "SyslogFacility", "PermitUserEnvironment", "StrictModes"]) {
      expect(sshdKeyword(k)?.inMatch).toBe(false);
    }
  });
});

describe("values", () => {
  test("defaults as OpenSSH 10.5 fills them", () => {
    const c = load("");
    expect(c.port).toEqual([22]);
    expect(c.listenAddress).toEqual([{ host: "::", port: 22, rdomain: null }, { host: "0.0.0.0", port: 22, rdomain: null }]);
    expect(c.permitRootLogin).toBe("prohibit-password");
    expect(c.authorizedKeysFile).toEqual([".ssh/authorized_keys", ".ssh/authorized_keys2"]);
    expect(c.hostKey).toEqual(["rsa", "ecdsa", "ed25519", "mldsa44_ed25519"].map((t) => `/etc/ssh/ssh_host_${t}_key`));
    expect([c.maxAuthTries, c.maxSessions, c.loginGraceTime, c.clientAliveCountMax]).toEqual([6, 10, 120, 3]);
    expect(c.maxStartups).toEqual({ begin: 10, rate: 30, full: 100 });
    expect(c.logLevel).toBe("INFO");
    expect(c.syslogFacility).toBe("AUTH");
    expect(c.x11Forwarding).toBe(false);
    expect(c.passwordAuthentication).toBe(true);
    expect(c.ciphers[0]).toBe("chacha20-poly1305@openssh.com");
  });
  test("first obtained value wins; keywords are case-insensitive; Keyword=value works", () => {
    const c = load("permitrootlogin no\nPermitRootLogin yes\nMaxAuthTries=3\nMAXAUTHTRIES 9\nLoginGraceTime 1m30s\n");
    expect([c.permitRootLogin, c.maxAuthTries, c.loginGraceTime]).toEqual(["no", 3, 90]);
  });
  test("accumulating keywords: Port, ListenAddress, HostKey, AcceptEnv, AllowUsers, Subsystem (first of a name)", () => {
    const c = load("Port 2222\nPort 22\nListenAddress 127.0.0.1\nListenAddress [::1]:2200\nHostKey k1\nHostKey /k2\nAcceptEnv LANG\nAcceptEnv LC_* XMODIFIERS\nAllowUsers a b\nAllowUsers c\nSubsystem sftp internal-sftp -l INFO\nSubsystem sftp /usr/lib/sftp-server\nSubsystem x /bin/sh -c 'umask 0022; exec y'\n");
    expect(c.port).toEqual([2222, 22]);
    expect(c.listenAddress).toEqual([{ host: "127.0.0.1", port: 2222, rdomain: null }, { host: "127.0.0.1", port: 22, rdomain: null }, { host: "::1", port: 2200, rdomain: null }]);
    expect(c.hostKey).toEqual(["/work/k1", "/k2"]);
    expect(c.acceptEnv).toEqual(["LANG", "LC_*", "XMODIFIERS"]);
    expect(c.allowUsers).toEqual(["a", "b", "c"]);
    expect(c.subsystem).toEqual([
      { name: "sftp", command: "internal-sftp", args: "internal-sftp -l INFO" },
      { name: "x", command: "/bin/sh", args: '/bin/sh -c "umask 0022; exec y"' },
    ]);
  });
  test("AuthorizedKeysFile takes the whole first line; none clears it", () => {
    expect(load("AuthorizedKeysFile /etc/ssh/keys/%u .ssh/ak\nAuthorizedKeysFile x\n").authorizedKeysFile).toEqual(["/etc/ssh/keys/%u", ".ssh/ak"]);
    expect(load("AuthorizedKeysFile none\n").authorizedKeysFile).toEqual([]);
  });
  test("algorithm lists: +append, -remove with wildcards, ^prepend, replace", () => {
    expect(load("Ciphers +aes128-ctr\n").ciphers).toContain("aes128-ctr");
    expect(load("Ciphers -chacha*\n").ciphers).not.toContain("chacha20-poly1305@openssh.com");
    expect(load("Ciphers ^aes256-gcm@openssh.com\n").ciphers[0]).toBe("aes256-gcm@openssh.com");
    expect(load("Ciphers aes256-ctr,aes128-ctr\n").ciphers).toEqual(["aes256-ctr", "aes128-ctr"]);
    expect(load("MACs -*-etm@openssh.com\n").macs.some((m) => m.includes("etm"))).toBe(false);
    expect(load("PubkeyAcceptedAlgorithms -ssh-ed25519-cert*\n").pubkeyAcceptedAlgorithms).not.toContain("ssh-ed25519-cert-v01@openssh.com");
  });
  test("ForceCommand keeps the rest of the line; VersionAddendum stops at #", () => {
    const c = load("ForceCommand internal-sftp -d /home/%u  \nVersionAddendum hello world # note\n");
    expect(c.forceCommand).toBe("internal-sftp -d /home/%u");
    expect(c.versionAddendum).toBe("hello world");
  });
  test("deprecated, ignored and unsupported keywords are accepted with OpenSSH's notices", () => {
    const c = load("Protocol 2\nUsePrivilegeSeparation sandbox\nRSAAuthentication yes\nKerberosAuthentication no\nGSSAPIAuthentication no\nKeyRegenerationInterval 3600\nServerKeyBits 1024\nUseLogin no\n");
    expect(c.notices).toEqual([
      { level: "DEBUG2", text: "/etc/ssh/sshd_config line 1: Deprecated option Protocol" },
      { level: "INFO", text: "/etc/ssh/sshd_config line 2: Deprecated option UsePrivilegeSeparation" },
      { level: "INFO", text: "/etc/ssh/sshd_config line 3: Deprecated option RSAAuthentication" },
      { level: "INFO", text: "/etc/ssh/sshd_config line 4: Unsupported option KerberosAuthentication" },
      { level: "INFO", text: "/etc/ssh/sshd_config line 5: Unsupported option GSSAPIAuthentication" },
      { level: "INFO", text: "/etc/ssh/sshd_config line 6: Deprecated option KeyRegenerationInterval" },
      { level: "INFO", text: "/etc/ssh/sshd_config line 7: Deprecated option ServerKeyBits" },
      { level: "INFO", text: "/etc/ssh/sshd_config line 8: Deprecated option UseLogin" },
    ]);
  });
});

describe("errors, worded as servconf.c", () => {
  test("unknown keywords are counted, then sshd terminates", () => {
    expect(errorOf(() => load("Foo bar\nPort 22\nBaz 1\n"))).toBe(
      "/etc/ssh/sshd_config: line 1: Bad configuration option: Foo\n/etc/ssh/sshd_config: line 3: Bad configuration option: Baz\n/etc/ssh/sshd_config: terminating, 2 bad configuration options",
    );
  });
  test.each([
    ["Port 0", "/etc/ssh/sshd_config line 1: Badly formatted port number."],
    ["Bar", '/etc/ssh/sshd_config line 1: no argument after keyword "Bar"\n/etc/ssh/sshd_config: terminating, 1 bad configuration options'],
    ["Ciphers foo", "/etc/ssh/sshd_config line 1: Bad SSH2 cipher spec 'foo'."],
    ["MACs +foo", "/etc/ssh/sshd_config line 1: Bad SSH2 mac spec '+foo'."],
    ["KexAlgorithms bogus", "/etc/ssh/sshd_config line 1: Bad SSH2 KexAlgorithms 'bogus'."],
    ["PubkeyAcceptedAlgorithms nope", "/etc/ssh/sshd_config line 1: Bad key types 'nope'."],
    ["PermitRootLogin maybe", '/etc/ssh/sshd_config line 1: unsupported option "maybe".'],
    ["MaxAuthTries x", "/etc/ssh/sshd_config line 1: MaxAuthTries integer value invalid."],
    ["LoginGraceTime 1x", "/etc/ssh/sshd_config line 1: invalid time value."],
    ["LogLevel LOUD", "/etc/ssh/sshd_config line 1: unsupported log level 'LOUD'"],
    ["MaxStartups 10:30", "/etc/ssh/sshd_config line 1: Invalid MaxStartups spec."],
    ["AcceptEnv A=B", "/etc/ssh/sshd_config line 1: Invalid environment name."],
    ["AuthenticationMethods publickey,foo", "/etc/ssh/sshd_config line 1: invalid AuthenticationMethods method list."],
    ["RDomain 1", "/etc/ssh/sshd_config line 1: setting RDomain not supported on this platform."],
    ['Banner "x', "/etc/ssh/sshd_config line 1: invalid quotes\n/etc/ssh/sshd_config: terminating, 1 bad configuration options"],
    ["PermitRootLogin no extra", "/etc/ssh/sshd_config line 1: keyword PermitRootLogin extra arguments at end of line\n/etc/ssh/sshd_config: terminating, 1 bad configuration options"],
    ["Match User x\nPort 22", "/etc/ssh/sshd_config line 2: Directive 'Port' is not allowed within a Match block"],
    ["Match User x\n Foo bar", "/etc/ssh/sshd_config: line 2: Bad configuration option: Foo\n/etc/ssh/sshd_config line 2: Directive 'Foo' is not allowed within a Match block"],
    ["Match Foo x", "Unsupported Match attribute Foo\n/etc/ssh/sshd_config line 1: Bad Match condition"],
    ["Match all User x", "'all' cannot be combined with other Match attributes\n/etc/ssh/sshd_config line 1: Bad Match condition"],
    ["Match User", "Missing Match criteria for User\n/etc/ssh/sshd_config line 1: Bad Match condition"],
    ["Match Address 10.0.0.0/8,", "Invalid Match address argument '10.0.0.0/8,' at line 1"],
  ])("%j", (text, msg) => {
    expect(errorOf(() => load(`${text}\n`))).toBe(msg);
  });
  test("the error carries file and line", () => {
    try {
      load("\n\nPort x\n");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect([(e as ConfigError).file, (e as ConfigError).line]).toEqual(["/etc/ssh/sshd_config", 3]);
    }
  });
  test("a missing file", () => {
    expect(errorOf(() => loadSshdConfig("/nope", { fs: fakeFs({}), env: ENV }))).toBe("/nope: No such file or directory");
  });
});

describe("-o overrides", () => {
  test("they come first, so they win; Match and Include are refused", () => {
    const c = load("PermitRootLogin yes\nPort 2222\n", {}, ["PermitRootLogin=no", "Port 22"]);
    expect(c.permitRootLogin).toBe("no");
    expect(c.port).toEqual([22, 2222]);
    expect(errorOf(() => load("", {}, ["Match all"]))).toBe("Match directive not supported as a command-line option");
    expect(errorOf(() => load("", {}, ["Nope 1"]))).toBe("command-line: line 0: Bad configuration option: Nope");
  });
  test("-p ports replace Port lines", () => {
    expect(loadSshdConfig("/c", { fs: fakeFs({ "/c": "Port 1\nPort 2\n" }), env: ENV, ports: [2022] }).port).toEqual([2022]);
  });
});

describe("Match", () => {
  const cfg = load([
    "PasswordAuthentication yes",
    "X11Forwarding yes",
    "Subsystem sftp /usr/lib/openssh/sftp-server",
    "Match Group sftp-only",
    "  ChrootDirectory /home/%u",
    "  ForceCommand internal-sftp -d %u",
    "  AllowTcpForwarding no",
    "  X11Forwarding no",
    "  Subsystem sftp internal-sftp",
    "Match Address 192.168.0.0/16,!192.168.30.0/24 User fred,!root",
    "  PasswordAuthentication no",
    "  X11Forwarding no",
    "Match LocalPort 2222 LocalAddress 10.0.0.1",
    "  Banner /etc/banner",
    "Match Host *.example.org",
    "  MaxSessions 1",
    "Match Invalid-User",
    "  MaxAuthTries 1",
    "Match User alice",
    "  ForceCommand none",
    "Match all",
    "  ForceCommand /bin/false",
    "",
  ].join("\n"));
  test("the global section alone (a Match all block is already active in the first pass, as in servconf.c)", () => {
    expect([cfg.passwordAuthentication, cfg.x11Forwarding, cfg.forceCommand]).toEqual([true, true, "/bin/false"]);
  });
  test("Group with the connection's groups; Subsystems merge by name; the first block to set a value wins", () => {
    const c = applyMatch(cfg, { user: "bob", groups: ["users", "sftp-only"] });
    expect(c.chrootDirectory).toBe("/home/%u");
    expect(c.forceCommand).toBe("internal-sftp -d %u");
    expect(c.allowTcpForwarding).toBe("no");
    expect(c.x11Forwarding).toBe(false);
    expect(c.subsystem).toEqual([{ name: "sftp", command: "internal-sftp", args: "internal-sftp" }]);
    expect(c.passwordAuthentication).toBe(true);
  });
  test("Address with CIDR and negation, User with negation, all criteria ANDed", () => {
    expect(applyMatch(cfg, { user: "fred", addr: "192.168.1.5" }).passwordAuthentication).toBe(false);
    expect(applyMatch(cfg, { user: "fred", addr: "192.168.30.5" }).passwordAuthentication).toBe(true);
    expect(applyMatch(cfg, { user: "root", addr: "192.168.1.5" }).passwordAuthentication).toBe(true);
    expect(applyMatch(cfg, { user: "fred" }).passwordAuthentication).toBe(true); // missing addr does not match in test mode
  });
  test("LocalPort, LocalAddress, Host, Invalid-User", () => {
    expect(applyMatch(cfg, { lport: 2222, laddr: "10.0.0.1" }).banner).toBe("/etc/banner");
    expect(applyMatch(cfg, { lport: 22, laddr: "10.0.0.1" }).banner).toBeNull();
    expect(applyMatch(cfg, { host: "a.EXAMPLE.org" }).maxSessions).toBe(1);
    expect(applyMatch(cfg, { user: "x", invalidUser: true }).maxAuthTries).toBe(1);
    expect(applyMatch(cfg, { user: "x" }).maxAuthTries).toBe(6);
  });
  test("ForceCommand none in an earlier block clears the later Match all value", () => {
    expect(applyMatch(cfg, { user: "alice" }).forceCommand).toBeNull();
    expect(applyMatch(cfg, { user: "carol" }).forceCommand).toBe("/bin/false");
  });
  test("a global-only keyword after Match all is allowed (Match all is active in the first pass)", () => {
    expect(load("Match all\nPort 2200\n").port).toEqual([2200]);
  });
});

describe("Include (regress/servcfginclude.sh)", () => {
  const files: Record<string, string> = {
    "/etc/ssh/sshd_config": [
      "Match host=a", "\tBanner /aa", "Match host b", "\tBanner /bb", "\tInclude /etc/ssh/i.* # comment",
      "Match host=c", "\tInclude /etc/ssh/i.* # comment", "\tBanner /cc", "Match host m", "\tInclude /etc/ssh/i.*",
      "Match Host d", "\tBanner /dd # comment", "Match Host e", "\tBanner /ee", "\tInclude /etc/ssh/i.*",
      "Match Host=f", "\tInclude /etc/ssh/i.*", "\tBanner /ff", "Match Host n", "\tInclude /etc/ssh/i.*", "",
    ].join("\n"),
    "/etc/ssh/i.0": "Match host xxxxxx\n",
    "/etc/ssh/i.1": "Match host a\n\tBanner /aaa\nMatch host b\n\tBanner /bbb\nMatch host c\n\tBanner /ccc\nMatch Host=d\n\tBanner /ddd\nMatch Host e\n\tBanner /eee\nMatch Host=f\n\tBanner /fff\n",
    "/etc/ssh/i.2": "Match host a\n\tBanner /aaaa\nMatch host=b\n\tBanner /bbbb\nMatch host c # comment\n\tBanner /cccc\nMatch Host=d\n\tBanner /dddd\nMatch Host e\n\tBanner /eeee\nMatch Host f\n\tBanner /ffff\nMatch all\n\tBanner /xxxx\n",
  };
  const c = loadSshdConfig("/etc/ssh/sshd_config", { fs: fakeFs(files), env: ENV });
  test.each([["a", "/aa"], ["b", "/bb"], ["c", "/ccc"], ["d", "/dd"], ["e", "/ee"], ["f", "/fff"], ["m", "/xxxx"], ["n", "/xxxx"], ["x", null]] as const)("host=%s → %s", (host, banner) => {
    expect(applyMatch(c, parseConnectionSpec(`host=${host},user=test,addr=127.0.0.1`)).banner).toBe(banner);
  });
  test("an error in an included file is fatal", () => {
    expect(errorOf(() => loadSshdConfig("/etc/ssh/sshd_config", { fs: fakeFs({ ...files, "/etc/ssh/i.3": "Banner xxxx\n\tJunk\n" }), env: ENV }))).toBe(
      '/etc/ssh/i.3 line 2: no argument after keyword "Junk"\n/etc/ssh/i.3: terminating, 1 bad configuration options',
    );
  });
  test("a missing include is not fatal; an included file's Match does not change the parent's state", () => {
    const c2 = loadSshdConfig("/s", { fs: fakeFs({ "/s": "Include /etc/ssh/none.*\nInclude /etc/ssh/x\nBanner /aa\n", "/etc/ssh/x": "Match host x\n" }), env: ENV });
    expect(applyMatch(c2, { host: "a" }).banner).toBe("/aa");
  });
  test("an Include before any Match block is evaluated (bug 3122); Port after includes (bug 3169); relative names are under /etc/ssh", () => {
    const c3 = loadSshdConfig("/s", { fs: fakeFs({ "/s": "Banner /xx\nInclude i.2\nMatch host a\n\tBanner /aaaa\n", "/etc/ssh/i.2": "Match host a\n\tBanner /aa\n" }), env: ENV });
    expect(applyMatch(c3, { host: "a" }).banner).toBe("/aa");
    const c4 = loadSshdConfig("/s", { fs: fakeFs({ "/s": "Include /etc/ssh/i.2\nPort 7722\n", "/etc/ssh/i.2": "HostKey /k\n" }), env: ENV });
    expect(c4.port).toEqual([7722]);
  });
  test("Include without an argument is refused; a recursive Include ends at the depth limit", () => {
    expect(errorOf(() => loadSshdConfig("/s", { fs: fakeFs({ "/s": "Include\n" }), env: ENV }))).toBe('/s line 1: no argument after keyword "Include"\n/s: terminating, 1 bad configuration options');
    expect(errorOf(() => loadSshdConfig("/s", { fs: fakeFs({ "/s": "Include /s\n" }), env: ENV }))).toBe("Too many recursive configuration includes");
    expect(errorOf(() => loadSshdConfig("/a", { fs: fakeFs({ "/a": "Include /b\n", "/b": "Include /a\n" }), env: ENV }))).toBe("Too many recursive configuration includes");
  });
});

describe("sshd -T -C", () => {
  test("connection spec parsing and its errors", () => {
    expect(parseConnectionSpec("user=u,host=h,addr=1.2.3.4,laddr=5.6.7.8,lport=2222,rdomain=r,invalid-user")).toEqual({ user: "u", host: "h", addr: "1.2.3.4", laddr: "5.6.7.8", lport: 2222, rdomain: "r", invalidUser: true });
    expect(errorOf(() => parseConnectionSpec("lport=x"))).toBe("Invalid port 'x' in test mode specification lport=x");
    expect(errorOf(() => parseConnectionSpec("foo=bar"))).toBe("Invalid test mode specification foo=bar");
  });
  test("lowercase keywords by default, mixed case as 10.5 prints them on request", () => {
    const c = load("PermitRootLogin no\n");
    expect(testLine(c, "permitrootlogin")).toEqual(["permitrootlogin no"]);
    expect(formatSshdTest(c, { keywordCase: "mixed" })).toContain("\nPermitRootLogin no\n");
    expect(formatSshdTest(c).startsWith("port 22\naddressfamily any\nlistenaddress [::]:22\nlistenaddress 0.0.0.0:22\nusepam no\nlogingracetime 120\n")).toBe(true);
  });
  test("OpenSSH's value spellings", () => {
    const c = load("PermitRootLogin without-password\nCompression delayed\nAllowTcpForwarding all\nLogLevel debug1\nStreamLocalBindMask 022\nIPQoS af21 cs1\nUnusedConnectionTimeout none\nMaxStartups 5:30:90\nPermitUserEnvironment LANG,LC_*\nPubkeyAuthOptions verify-required touch-required\nRekeyLimit 1G 1h\nPermitListen 2222\n");
    const t = formatSshdTest(c);
    for (const l of ["permitrootlogin prohibit-password", "compression yes", "allowtcpforwarding yes", "loglevel DEBUG", "streamlocalbindmask 022", "ipqos af21 cs1", "unusedconnectiontimeout none", "maxstartups 5:30:90", "permituserenvironment LANG,LC_*", "pubkeyauthoptions touch-required verify-required", "rekeylimit 1073741824 3600", "permitlisten *:2222", "authenticationmethods any", "channeltimeout none", "permitopen any"]) {
      expect(t.split("\n")).toContain(l);
    }
  });
});

describe("tokens", () => {
  test("AuthorizedKeysFile and ChrootDirectory take %% %h %u %U", () => {
    const v = { h: "/home/fred", u: "fred", U: "1000" };
    expect(expandSshdTokens("AuthorizedKeysFile", "/etc/ssh/keys/%u/authorized_keys", v)).toBe("/etc/ssh/keys/fred/authorized_keys");
    expect(expandSshdTokens("ChrootDirectory", "%h/../%U/%%", v)).toBe("/home/fred/../1000/%");
    expect(errorOf(() => expandSshdTokens("ChrootDirectory", "/x/%k", v))).toBe("vdollar_percent_expand: unknown key %k\npercent_expand: failed");
  });
});

describe("exit statuses other than 255", () => {
  test("a bad -o line, an unreadable file and a bad -C spec exit 1 (ConfigExitError)", async () => {
    const { ConfigExitError } = await import("../../../core/config/index.ts");
    const status = (fn: () => unknown): number => {
      try {
        fn();
      } catch (e) {
        return e instanceof ConfigExitError ? e.exitStatus : e instanceof ConfigError ? 255 : -1;
      }
      return 0;
    };
    expect(status(() => load("", {}, ["Nope 1"]))).toBe(1);
    expect(status(() => loadSshdConfig("/nope", { fs: fakeFs({}), env: ENV }))).toBe(1);
    expect(status(() => parseConnectionSpec("bad"))).toBe(1);
    expect(status(() => load("Port 0\n"))).toBe(255);
  });
});

describe("userGroups (Match Group)", () => {
  test("primary group from passwd, supplementary ones from group", async () => {
    const { userGroups } = await import("../../../core/config/index.ts");
    const files = { passwd: "root:x:0:0::/root:/bin/sh\nfred:x:1000:100::/home/fred:/bin/sh\n", group: "root:x:0:\nusers:x:100:\nsftp-only:x:200:fred,bob\nwheel:x:10:bob\n" };
    expect(userGroups("fred", files)).toEqual(["users", "sftp-only"]);
    expect(userGroups("nobody", files)).toBeNull();
    const c = applyMatch(load("Match Group sftp-only\n  ForceCommand internal-sftp\n"), { user: "fred", groups: userGroups("fred", files) });
    expect(c.forceCommand).toBe("internal-sftp");
  });
});

describe("the table's default and accumulation columns", () => {
  test("defaults as sshd -T prints them", async () => {
    const { sshdDefault } = await import("../../../core/config/index.ts");
    expect(sshdDefault("PermitRootLogin")).toBe("prohibit-password");
    expect(sshdDefault("maxstartups")).toBe("10:30:100");
    expect(sshdDefault("AuthorizedKeysFile")).toBe(".ssh/authorized_keys .ssh/authorized_keys2");
    expect(sshdDefault("Banner")).toBe("none");
    expect(sshdDefault("AllowUsers")).toBeNull();
    expect(sshdDefault("NoSuchThing")).toBeUndefined();
  });
  test("every 'append' row accumulates and every 'first' row keeps its first value", () => {
    const samples: Record<string, [string, string]> = {
      Port: ["1", "2"], HostKey: ["/a", "/b"], HostCertificate: ["/a", "/b"], AcceptEnv: ["A", "B"], AllowUsers: ["a", "b"], DenyUsers: ["a", "b"],
      AllowGroups: ["a", "b"], DenyGroups: ["a", "b"], Subsystem: ["a /x", "b /y"], ListenAddress: ["1.1.1.1:1", "2.2.2.2:2"],
    };
    for (const k of SSHD_KEYWORDS.filter((r) => r.multi === "append")) {
      const [a, b] = samples[k.name]!;
      const t = formatSshdTest(load(`${k.name} ${a}\n${k.name} ${b}\n`), { keywordCase: "mixed" });
      expect(t.split("\n").filter((l) => l.startsWith(`${k.name} `)).length).toBeGreaterThanOrEqual(2);
    }
    for (const [k, a, b] of [["LoginGraceTime", "10", "20"], ["Banner", "/a", "/b"], ["MaxSessions", "1", "2"], ["ChrootDirectory", "/a", "/b"]] as const) {
      expect(sshdKeyword(k)?.multi).toBe("first");
      const t = formatSshdTest(load(`${k} ${a}\n${k} ${b}\n`), { keywordCase: "mixed" });
      expect(t).toContain(`\n${k} ${a}\n`);
    }
    expect(load("FingerprintHash md5\nFingerprintHash sha256\n").fingerprintHash).toBe("SHA256"); // "last"
  });
});

describe("ListenAddress names", () => {
  test("resolved through /etc/hosts by default, each port, the address family respected", async () => {
    const { hostsFileLookup } = await import("../../../core/config/index.ts");
    const hosts = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.0.0.5 box box.example.org # me\n";
    expect(hostsFileLookup("LOCALHOST", hosts)).toEqual(["127.0.0.1", "::1"]);
    expect(hostsFileLookup("nope", hosts)).toBeNull();
    const fs = fakeFs({ "/c": "Port 22\nPort 23\nListenAddress box\nListenAddress 127.0.0.1:2222\n", "/etc/hosts": hosts });
    expect(loadSshdConfig("/c", { fs, env: ENV }).listenAddress.map((l) => `${l.host}:${l.port}`)).toEqual(["10.0.0.5:22", "10.0.0.5:23", "127.0.0.1:2222"]);
    const fs2 = fakeFs({ "/c": "AddressFamily inet\nListenAddress localhost\n", "/etc/hosts": hosts });
    expect(loadSshdConfig("/c", { fs: fs2, env: ENV }).listenAddress.map((l) => l.host)).toEqual(["127.0.0.1"]);
    expect(errorOf(() => loadSshdConfig("/c", { fs: fakeFs({ "/c": "ListenAddress nowhere.invalid\n", "/etc/hosts": hosts }), env: ENV }))).toBe("bad addr or host: nowhere.invalid (Name or service not known)");
  });
});
