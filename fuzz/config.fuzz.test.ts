// sshd_config and ssh_config under random input. Properties: any text (random keywords, values, quotes, Include
// and Match lines, raw bytes) fails only with ConfigError; `sshd -T` output re-parses to the same configuration and
// `ssh -G` output too; argv_assemble round-trips through argv_split. Quick by default; FUZZ_RUNS=5000 for a long run.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { ConfigError } from "../core/errors.ts";
import { argvAssemble, argvSplit } from "../core/config/lexer.ts";
import { applyMatch, formatSshdTest, formatSshG, loadSshConfig, loadSshdConfig, SSH_KEYWORDS, SSHD_KEYWORDS, type ConfigFs } from "../core/config/index.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const TIMEOUT_MS = Math.max(20_000, RUNS * 20);
const ENV = { cwd: "/w", home: "/root", sshDir: "/etc/ssh" };
const LOCAL = { user: "u", uid: 1000, home: "/home/u", hostname: "h.example", env: {} };

function memFs(files: Record<string, string>): ConfigFs {
  return {
    readFile: (p) => files[p] ?? null,
    readDir: (p) => {
      const names = Object.keys(files).filter((f) => f.startsWith(`${p}/`)).map((f) => f.slice(p.length + 1).split("/")[0]!);
      return names.length === 0 ? null : [...new Set(names)];
    },
  };
}

const sshdNames = SSHD_KEYWORDS.flatMap((k) => [k.name, ...(k.aliases ?? [])]).concat(["Match", "Include"]);
const sshNames = SSH_KEYWORDS.flatMap((k) => [k.name, ...(k.aliases ?? [])]).concat(["Host", "Match", "Include"]);
const word = fc.oneof(
  fc.constantFrom("yes", "no", "none", "any", "all", "22", "0", "-1", "1h30m", "*", "!x", "a,b", "%u", "%h", "%%", "%", "~/x", "/etc/ssh/inc*", "inc", "User", "Host", "Address", "10.0.0.0/8", "::1", "[::1]:22", "+aes128-ctr", "-chacha*", "^aes256-ctr", "#", "\"", "'", "\\", "=", "a=b", "localhost:80", "user=x", "invalid-user", "exec", "final", "canonical", "tagged", "LANG", "internal-sftp", "sftp"),
  fc.string({ maxLength: 8 }),
);
const line = (names: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...names), fc.constantFrom(" ", "=", " = ", "\t", ""), fc.array(word, { maxLength: 4 })).map(([k, sep, a]) => `${k}${sep}${a.join(" ")}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString("latin1")) },
  );
const configText = (names: string[]): fc.Arbitrary<string> => fc.array(line(names), { maxLength: 12 }).map((ls) => ls.join("\n"));

const onlyConfigError = (fn: () => unknown): void => {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
  }
};

test("random sshd_config text fails only with ConfigError, Match applied or not", () => {
  fc.assert(fc.property(configText(sshdNames), configText(sshdNames), (main, inc) => {
    onlyConfigError(() => {
      const fs = memFs({ "/etc/ssh/sshd_config": main, "/etc/ssh/inc": inc, "/etc/ssh/inc2": "Include inc\n" });
      const c = loadSshdConfig("/etc/ssh/sshd_config", { fs, env: ENV });
      formatSshdTest(applyMatch(c, { user: "x", host: "h", addr: "10.1.2.3", laddr: "::1", lport: 22, groups: ["g"] }));
    });
  }), { numRuns: RUNS });
}, TIMEOUT_MS);

test("random ssh_config text fails only with ConfigError", () => {
  fc.assert(fc.property(configText(sshNames), configText(sshNames), fc.constantFrom("h", "x.example.org", "10.0.0.1", "HOST"), (main, inc, host) => {
    onlyConfigError(() => {
      const fs = memFs({ "/cfg": main, "/home/u/.ssh/inc": inc, "/etc/ssh/inc": inc });
      formatSshG(loadSshConfig({ host, configFile: "/cfg", local: LOCAL, fs, exec: (cmd) => cmd.length % 2 === 0, localNetwork: () => true }));
    });
  }), { numRuns: RUNS });
}, TIMEOUT_MS);

// Lines that are valid on their own, so a random mix of them is a valid config. Left out because OpenSSH's own dump
// does not re-parse to them (we print exactly what OpenSSH prints): SetEnv with several values (-T prints one
// "setenv" line each and SetEnv is first-wins), ObscureKeystrokeTiming interval:N (-G prints the bare number) and EscapeChar control characters (printed as \^X).
const SSHD_VALID = [
  "Port 2222", "Port 22", "ListenAddress 127.0.0.1", "ListenAddress [::1]:2200", "PermitRootLogin no", "PermitRootLogin forced-commands-only",
  "PasswordAuthentication no", "AuthorizedKeysFile /etc/ssh/keys/%u .ssh/ak", "Subsystem sftp internal-sftp -l INFO", "Subsystem x /bin/sh -c 'a b'",
  "MaxStartups 5:30:90", "MaxStartups 7", "AcceptEnv LANG LC_*", "AllowUsers a b", "DenyGroups nogo", "ClientAliveInterval 1m", "LogLevel DEBUG3", "LogLevel debug",
  "X11Forwarding yes", "AllowTcpForwarding remote", "GatewayPorts clientspecified", "PermitTunnel ethernet", "PermitOpen 127.0.0.1:80 [::1]:22",
  "PermitListen 8080", "Banner /etc/issue", "AuthenticationMethods publickey,password", "StreamLocalBindMask 0117", "RekeyLimit 1G 1h",
  "PermitUserEnvironment LANG,TZ", "Compression no", "PubkeyAuthOptions verify-required", "VersionAddendum hi there", "SetEnv A=1",
  "ForceCommand internal-sftp -d %u", "ChrootDirectory /srv/%u", "Ciphers +aes128-ctr", "MACs -hmac-sha1*", "KexAlgorithms ^curve25519-sha256",
  "HostKey /etc/ssh/k1", "HostCertificate /etc/ssh/c1", "UnusedConnectionTimeout 5m", "ChannelTimeout session=5m", "PerSourcePenalties crash:1m authfail:10s",
  "PerSourcePenalties no", "PerSourceNetBlockSize 24:64", "PerSourceMaxStartups 5", "IPQoS af21 cs1", "RevokedKeys /etc/ssh/revoked",
  "LogVerbose kex.c:*", "TrustedUserCAKeys /etc/ssh/ca.pub", "RequiredRSASize 2048", "SyslogFacility LOCAL3", "UseDNS yes", "PrintMotd no",
];
const SSH_VALID = [
  "Port 2022", "User fred", "HostName real.example.com", "IdentityFile ~/.ssh/a", "IdentityFile ~/.ssh/b", "CertificateFile ~/.ssh/a-cert.pub",
  "LocalForward 5901 localhost:5901", "RemoteForward 2222 [::1]:22", "DynamicForward 1080", "SendEnv LANG LC_*", "SetEnv TERM=xterm",
  "ServerAliveInterval 15", "ServerAliveCountMax 4", "StrictHostKeyChecking accept-new", "ControlMaster auto", "ControlPath ~/.ssh/cm-%C",
  "ControlPersist 10m", "ProxyJump j1,fred@j2:2222", "ProxyCommand nc %h %p", "Compression yes", "ForwardAgent yes", "AddKeysToAgent confirm 5m",
  "ConnectTimeout 10", "RequestTTY force", "LogLevel DEBUG2", "TunnelDevice 3:any", "Tunnel point-to-point", "RekeyLimit 512M 30m",
  "CanonicalDomains example.org", "CanonicalizeHostname no", "VisualHostKey yes", "PermitRemoteOpen localhost:80", "Ciphers -chacha*",
  "UserKnownHostsFile ~/.ssh/kh", "IdentityAgent none", "BatchMode yes", "ExitOnForwardFailure yes", "ObscureKeystrokeTiming no",
  "ChannelTimeout session=1m", "Tag prod", "SessionType none", "StdinNull yes", "IPQoS af21 cs1",
];

test("sshd -T output re-parses to the same configuration", () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...SSHD_VALID), { maxLength: 15 }), (lines) => {
    const fs = memFs({ "/c": lines.join("\n") });
    const first = formatSshdTest(applyMatch(loadSshdConfig("/c", { fs, env: ENV }), {}));
    const again = formatSshdTest(applyMatch(loadSshdConfig("/t", { fs: memFs({ "/t": first }), env: ENV }), {}));
    expect(again).toBe(first);
  }), { numRuns: RUNS });
}, TIMEOUT_MS);

test("ssh -G output re-parses to the same configuration", () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...SSH_VALID), { maxLength: 15 }), (lines) => {
    const first = formatSshG(loadSshConfig({ host: "dest", configFile: "/c", local: LOCAL, fs: memFs({ "/c": lines.join("\n") }) }));
    const again = formatSshG(loadSshConfig({ host: "dest", configFile: "/g", local: LOCAL, fs: memFs({ "/g": first }) }));
    expect(again).toBe(first);
  }), { numRuns: RUNS });
}, TIMEOUT_MS);

test("argv_assemble output splits back into the same words", () => {
  fc.assert(fc.property(fc.array(fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !s.startsWith("#")), { maxLength: 6 }), (words) => {
    expect(argvSplit(argvAssemble(words), false)).toEqual(words);
  }), { numRuns: RUNS });
});
