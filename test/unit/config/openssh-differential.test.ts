// Differential runs against the installed OpenSSH: random configs drawn (seeded) from pools of valid and invalid
// lines; our sshd -T / ssh -G and OpenSSH's must agree on success or failure, on the exact error lines, and on the
// value of every keyword both print (apart from SKIP: registry algorithm lists and documented 9.2 vs 10.5 changes).
// Pool lines whose handling changed between 9.2 and 10.5 are left out (see openssh-compare.test.ts for the list).
// FUZZ_RUNS sets the number of configs (default 60 each, at most 2000), FUZZ_SEED the seed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "bun:test";
import { havePeers, OPENSSH } from "../../helpers/openssh.ts";
import { applyMatch, ConfigExitError, formatSshdTest, formatSshG, loadSshConfig, loadSshdConfig, parseConnectionSpec } from "../../../core/config/index.ts";
import { ConfigError } from "../../../core/errors.ts";

const HAVE = havePeers(OPENSSH.sshd, OPENSSH.ssh, OPENSSH.sshKeygen);
const RUNS = Math.min(Number(process.env.FUZZ_RUNS ?? 60), 2000);
const dir = mkdtempSync(join(tmpdir(), "sshbox-config-diff-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SSHD_POOL = [
  "Match Group root", "Match User root", "Match Address 192.168.0.0/16,!192.168.30.0/24", "Match LocalAddress ::1", "Match LocalPort 2222",
  "Match Host x", "Match User bob,!root Group *", "Match User=bob", "Match all # c", "Include @DIR@/inc/*.conf", "Include @DIR@/none/*",
  "  Include @DIR@/inc/*.conf",
  "Port 2222", "Port 22", "Port 0", "Port x", "Port 70000", "ListenAddress 127.0.0.1", "ListenAddress 127.0.0.1:2200", "ListenAddress [::1]:2200", "ListenAddress ::1", "ListenAddress 1.2.3.4:x",
  "PermitRootLogin no", "PermitRootLogin maybe", "permitrootlogin=yes", "PasswordAuthentication no", "PasswordAuthentication", "PasswordAuthentication yes no",
  "AuthorizedKeysFile /etc/ssh/keys/%u .ssh/ak", "AuthorizedKeysFile none", "Subsystem sftp internal-sftp -l INFO",   "MaxStartups 5:30:90", "MaxStartups 10", "MaxStartups 10:200:5", "MaxStartups x", "AcceptEnv LANG LC_*", "AcceptEnv A=B", "AllowUsers a b", "AllowUsers a@10.0.0.0/8", "AllowUsers a@10.0.0.1/8",
  "DenyGroups nogo", "ClientAliveInterval 1m", "ClientAliveInterval 1x", "LogLevel DEBUG3", "LogLevel debug", "LogLevel foo", "X11Forwarding yes", "AllowTcpForwarding remote", "AllowTcpForwarding all",
  "GatewayPorts clientspecified", "GatewayPorts x", "PermitTunnel ethernet", "PermitTunnel Yes", "PermitOpen 127.0.0.1:80 [::1]:22", "PermitOpen any", "PermitOpen host", "PermitOpen host:x",
  "PermitListen 8080", "PermitListen localhost:*", "Banner /etc/issue", "Banner none", "AuthenticationMethods publickey,password", "AuthenticationMethods any", "AuthenticationMethods any publickey", "AuthenticationMethods keyboard-interactive:pam",
  "StreamLocalBindMask 0117", "StreamLocalBindMask 0999", "RekeyLimit 1G 1h", "RekeyLimit default none", "RekeyLimit 8", "RekeyLimit 1x",
  "PermitUserEnvironment LANG,TZ", "PermitUserEnvironment YES", "Compression no", "Compression delayed", "PubkeyAuthOptions verify-required", "PubkeyAuthOptions none", "PubkeyAuthOptions bogus",
  "VersionAddendum hi there", "VersionAddendum none", "SetEnv A=1 B=2", "SetEnv A", "ForceCommand internal-sftp -d %u", "ChrootDirectory /srv/%u",
  "Ciphers +aes128-ctr", "Ciphers aes128-ctr", "Ciphers -chacha*", "Ciphers ^aes256-ctr", "MACs -hmac-sha1*", "MACs hmac-sha1", "KexAlgorithms ^curve25519-sha256",
  "HostKey /etc/ssh/k1", "HostCertificate /etc/ssh/c1", "UnusedConnectionTimeout 5m", "UnusedConnectionTimeout none", "ChannelTimeout session=5m", "ChannelTimeout none", "ChannelTimeout bogus",
  "PerSourceNetBlockSize 24:64", "PerSourceNetBlockSize 33", "PerSourceMaxStartups 5", "PerSourceMaxStartups none", "IPQoS af21 cs1", "IPQoS lowdelay", "IPQoS 300",
  "RevokedKeys /etc/ssh/revoked", "LogVerbose kex.c:*", "TrustedUserCAKeys /etc/ssh/ca.pub", "RequiredRSASize 2048", "RequiredRSASize x", "SyslogFacility LOCAL3", "SyslogFacility FOO", "UseDNS yes", "PrintMotd no",
  "Protocol 2", "UsePrivilegeSeparation sandbox", "RSAAuthentication yes", "KeyRegenerationInterval 1h", "Bogus yes", "ChallengeResponseAuthentication no", "PubkeyAcceptedKeyTypes +ssh-rsa", "PubkeyAcceptedAlgorithms bogus",
  "HostbasedAcceptedAlgorithms -ssh-rsa*", "CASignatureAlgorithms ssh-ed25519", "MaxAuthTries 3", "MaxAuthTries 3x", "MaxSessions -1", "X11DisplayOffset 99999999999",
  "LoginGraceTime 0", "AddressFamily inet", "AddressFamily inet6", "AddressFamily x", "FingerprintHash md5", "FingerprintHash sha1", "Match User bob", "Match Address 10.0.0.0/8", "Match Group g", "Match all", "Match User",
  "Match Address 10.0.0.1/8", "Match LocalPort x", "Match Foo bar", "Match Host *.example.org", "  PasswordAuthentication no", "  X11Forwarding yes", "  MaxSessions 3", "  Banner /b", "  ForceCommand none", "  Port 22",
  "  AllowUsers x", "  Bogus 1", "  UseLogin no", "  RhostsRSAAuthentication no", "  Subsystem sftp /x", "  LogLevel ERROR", "  AuthorizedKeysFile /k/%u", "  PermitOpen none", "  RekeyLimit 2G", "\"PermitRootLogin\" no", "PermitRootLogin \"no", "# comment", "", "   ",
  "Banner \"/a b\"", "AcceptEnv 'A B'", "DenyUsers \"\"", "PermitEmptyPasswords yes # c", "TCPKeepAlive=no", "StrictModes = no", "KeepAlive no", "DisableForwarding yes", "ExposeAuthInfo yes",
];
const SSH_POOL = [
  "Include @DIR@/inc/*.ssh", "  Include @DIR@/inc/*.ssh", "Match user root host a", "Match localuser nobody", "Host !a *",
  "Host a", "Host *.example.org !b.example.org", "Host *", "Host x y z", "Match host a", "Match originalhost a", "Match user fred", "Match localuser root", "Match all", "Match !host a", "Match exec true", "Match exec false", "Match canonical",
  "  Port 2022", "  Port x", "  User fred", "  HostName real.example.com", "  HostName %h.example.com", "  IdentityFile ~/.ssh/a", "  IdentityFile ~/.ssh/b", "  CertificateFile ~/.ssh/c",
  "  LocalForward 5901 localhost:5901", "  LocalForward 5901", "  LocalForward 1.2.3.4:80 h:80", "  RemoteForward 2222 [::1]:22", "  RemoteForward 8080", "  DynamicForward 1080", "  DynamicForward localhost:1080",
  "  SendEnv LANG LC_*", "  SendEnv -LANG", "  SendEnv A=B", "  SetEnv TERM=xterm", "  SetEnv X", "  ServerAliveInterval 15", "  ServerAliveInterval x", "  ServerAliveCountMax 4",
  "  StrictHostKeyChecking accept-new", "  StrictHostKeyChecking off", "  StrictHostKeyChecking maybe", "  ControlMaster auto", "  ControlMaster autoask", "  ControlPath ~/.ssh/cm-%r@%h:%p", "  ControlPersist 10m", "  ControlPersist yes", "  ControlPersist x",
  "  ProxyJump j1,fred@j2:2222", "  ProxyJump none", "  ProxyCommand nc %h %p", "  ProxyCommand none", "  Compression yes", "  ForwardAgent yes",   "  AddKeysToAgent confirm 5m", "  AddKeysToAgent 1h", "  AddKeysToAgent ask", "  AddKeysToAgent x y", "  ConnectTimeout 10", "  ConnectTimeout none", "  RequestTTY force", "  RequestTTY auto", "  LogLevel DEBUG2", "  LogLevel debug1", "  LogLevel x",
  "  TunnelDevice 3:any", "  TunnelDevice any", "  Tunnel point-to-point", "  Tunnel yes", "  RekeyLimit 512M 30m", "  RekeyLimit default none", "  CanonicalDomains example.org", "  CanonicalDomains .bad",
  "  VisualHostKey yes", "  PermitRemoteOpen localhost:80", "  PermitRemoteOpen any", "  Ciphers -chacha*", "  Ciphers bogus", "  MACs hmac-sha2-256", "  KexAlgorithms +curve25519-sha256",
  "  UserKnownHostsFile ~/.ssh/kh", "  UserKnownHostsFile none", "  GlobalKnownHostsFile /etc/k1 /etc/k2", "  IdentityAgent none", "  IdentityAgent ~/agent.sock", "  ExitOnForwardFailure yes",
  "  StdinNull yes", "  IPQoS af21 cs1", "  IPQoS bogus", "  EscapeChar none", "  EscapeChar x", "  EscapeChar xy", "  HashKnownHosts yes",
  "  PubkeyAuthentication unbound", "  PubkeyAuthentication host-bound", "  UpdateHostKeys ask", "  VerifyHostKeyDNS ask", "  CanonicalizeMaxDots 3",
  "  NumberOfPasswordPrompts 1", "  ConnectionAttempts 2", "  PreferredAuthentications publickey", "  BindAddress 127.0.0.1", "  HostKeyAlias alias", "  HostKeyAlias ALIAS", "  KbdInteractiveDevices pam", "  XAuthLocation /x",
  "  RemoteCommand echo %h", "  LocalCommand echo %h", "  PermitLocalCommand yes", "  StreamLocalBindMask 0111", "  StreamLocalBindUnlink yes", "  FingerprintHash md5", "  GatewayPorts yes", "  ClearAllForwardings yes",
  "  Protocol 2", "  UseRoaming no", "  Cipher blowfish", "  Bogus 1", "  X11Forwarding yes", "  IgnoreUnknown Bogus*", "  KeepAlive no", "  TCPKeepAlive no", "  CheckHostIP yes", "  IdentitiesOnly yes",
  "  ForwardX11 yes", "  ForwardX11Timeout 1h", "  EnableSSHKeysign yes", "  NoHostAuthenticationForLocalhost yes", "  AddressFamily inet", "  SyslogFacility LOCAL1", "  PasswordAuthentication no", "  KbdInteractiveAuthentication no",
  "  HostbasedAuthentication yes", "  ProxyUseFdpass yes", "  RevokedHostKeys /etc/ssh/revoked", "  LogVerbose kex.c:*", "  KnownHostsCommand /bin/kh %h",
  "# comment", "", "User=eve", "Port = 2200", "\"User\" q", "User \"a", "HostName 10.0.0.1",
];
const ALGOS = ["ciphers", "macs", "kexalgorithms", "hostkeyalgorithms", "pubkeyacceptedalgorithms", "hostbasedacceptedalgorithms", "casignaturealgorithms"];
const SKIP_SSHD = new Set([...ALGOS, "ipqos", "revokedkeys", "subsystem", "versionaddendum"]);
const SKIP_SSH = new Set([...ALGOS, "ipqos", "forwardx11trusted", "identityfile"]);

function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}
const stderrLines = (b: Uint8Array): string =>
  new TextDecoder().decode(b).replaceAll("\r", "").trim().split("\n").filter((l) => !/line \d+: (Deprecated|Unsupported) option|Ignored unknown option|^Pseudo-terminal|^debug\d: /.test(l)).join("\n");
function byKeyword(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const l of text.split("\n")) {
    if (l === "") continue;
    const n = l.replace(/^permitrootlogin without-password$/, "permitrootlogin prohibit-password");
    const k = n.split(" ")[0]!;
    m.set(k, [...(m.get(k) ?? []), n]);
  }
  return m;
}
type Outcome = { ok: boolean; status: number; out: string; err: string };
function agree(theirs: Outcome, ours: Outcome, skip: Set<string>, label: string): void {
  expect({ label, status: ours.status, err: ours.err }).toEqual({ label, status: theirs.status, err: theirs.ok ? "" : theirs.err });
  if (!theirs.ok) return;
  const t = byKeyword(theirs.out), o = byKeyword(ours.out);
  const shared = [...t.keys()].filter((k) => o.has(k) && !skip.has(k));
  expect({ label, values: Object.fromEntries(shared.map((k) => [k, o.get(k)])) }).toEqual({ label, values: Object.fromEntries(shared.map((k) => [k, t.get(k)])) });
}
function ours(fn: () => string): Outcome {
  try {
    return { ok: true, status: 0, out: fn(), err: "" };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { ok: false, status: e instanceof ConfigExitError ? e.exitStatus : 255, out: "", err: e.message };
  }
}

describe.skipIf(!HAVE)("differential: random configs agree with OpenSSH", () => {
  test("sshd -T -C", async () => {
    const hostKey = join(dir, "hk");
    Bun.spawnSync([OPENSSH.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
    mkdirSync(join(dir, "inc"), { recursive: true });
    writeFileSync(join(dir, "inc", "a.conf"), "PermitTTY no\nMatch User root\n  MaxSessions 4\n");
    writeFileSync(join(dir, "inc", "b.conf"), "X11DisplayOffset 12\n");
    const next = rng(Number(process.env.FUZZ_SEED ?? 20260101));
    const specs = ["user=bob,host=a.example.org,addr=10.1.2.3,laddr=1.1.1.1,lport=22", "user=root,host=x,addr=192.168.30.4,laddr=::1,lport=2222"];
    for (let i = 0; i < RUNS; i++) {
      const lines = Array.from({ length: 1 + next(8) }, () => SSHD_POOL[next(SSHD_POOL.length)]!.replace("@DIR@", dir));
      const path = join(dir, `sshd_${i}`);
      writeFileSync(path, `HostKey ${hostKey}\n${lines.join("\n")}\n`);
      const spec = specs[next(specs.length)]!;
      // now and then a -o line from the pool (global keywords only make sense there)
      const o = next(3) === 0 ? [SSHD_POOL[next(SSHD_POOL.length)]!.trim()].filter((l) => l !== "" && !/^(Match|Include|#)/.test(l)) : [];
      const r = Bun.spawnSync([OPENSSH.sshd, "-T", "-f", path, "-C", spec, ...o.flatMap((x) => ["-o", x])]);
      const conn = { ...parseConnectionSpec(spec), groups: spec.includes("user=root") ? ["root"] : ["bob"] };
      agree({ ok: r.exitCode === 0, status: r.exitCode ?? -1, out: r.stdout.toString(), err: stderrLines(r.stderr) }, ours(() => formatSshdTest(applyMatch(loadSshdConfig(path, { env: { cwd: dir }, overrides: o }), conn))), SKIP_SSHD, `${lines.join(" | ")} (${spec}) -o ${o.join(" -o ")}`);
    }
  }, 120_000);
  test("ssh -G", () => {
    mkdirSync(join(dir, "inc"), { recursive: true });
    writeFileSync(join(dir, "inc", "a.ssh"), "Port 2345\nMatch host a\n  User incuser\n");
    writeFileSync(join(dir, "inc", "b.ssh"), "Host x\n  Compression yes\n");
    const next = rng(Number(process.env.FUZZ_SEED ?? 20260202) + 1);
    for (let i = 0; i < RUNS; i++) {
      const lines = Array.from({ length: 1 + next(10) }, () => SSH_POOL[next(SSH_POOL.length)]!.replace("@DIR@", dir));
      const path = join(dir, `ssh_${i}`);
      writeFileSync(path, `${lines.join("\n")}\n`);
      const host = ["a", "b.example.org", "c.example.org", "x"][next(4)]!;
      const o = next(3) === 0 ? [SSH_POOL[next(SSH_POOL.length)]!.trim()].filter((l) => l !== "" && !/^(Match|Include|Host|#)/.test(l)) : [];
      const r = Bun.spawnSync([OPENSSH.ssh, "-G", "-F", path, ...o.flatMap((x) => ["-o", x]), host], { env: { PATH: "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" } });
      const exec = (cmd: string): boolean => Bun.spawnSync(["/bin/sh", "-c", cmd]).exitCode === 0;
      agree({ ok: r.exitCode === 0, status: r.exitCode ?? -1, out: r.stdout.toString(), err: stderrLines(r.stderr) }, ours(() => formatSshG(loadSshConfig({ host, configFile: path, exec, overrides: o }))), SKIP_SSH, `${lines.join(" | ")} (${host}) -o ${o.join(" -o ")}`);
    }
  }, 120_000);
});
