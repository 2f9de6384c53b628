// sshd's forwarding decisions without sockets: the permission sets built from sshd_config (after Match) and the key's
// options (monitor_wrap.c server_process_permitopen, session.c do_authenticated), channels.c's matching rules, and
// GatewayPorts' bind address (channel_fwd_bind_addr).
import { describe, expect, test } from "bun:test";
import { applyMatch, loadSshdConfig, type SshdConfig } from "../../../core/config/index.ts";
import type { AuthorizedKeyRestrictions } from "../../../core/keys/index.ts";
import { connectPermitted, forwardBindAddress, forwardingPolicy, listenPermitted } from "../../../core/server/forward.ts";
import { fakeFs } from "../config/fake-fs.ts";

const load = (text: string, conn: { addr?: string; user?: string } = {}): SshdConfig =>
  applyMatch(loadSshdConfig("/etc/ssh/sshd_config", { fs: fakeFs({ "/etc/ssh/sshd_config": text }), env: { cwd: "/", home: "/root", sshDir: "/etc/ssh" } }), { user: conn.user ?? "u", addr: conn.addr ?? "10.0.0.1", host: conn.addr ?? "10.0.0.1" });

const KEY: AuthorizedKeyRestrictions = {
  permitPortForwarding: true, permitAgentForwarding: true, permitX11Forwarding: true, permitPty: true, permitUserRc: true, certAuthority: false,
  noTouchRequired: false, verifyRequired: false, command: undefined, from: undefined, principals: undefined, expiryTime: undefined, tunnel: undefined,
  environment: [], permitOpen: [], permitListen: [],
};

const canConnect = (cfg: string, host: string, port: number, key?: Partial<AuthorizedKeyRestrictions>, addr?: string): boolean => {
  const p = forwardingPolicy({ config: load(cfg, addr !== undefined ? { addr } : {}), key: key ? { ...KEY, ...key } : undefined });
  return p.tcpLocal && p.keyPermitsForwarding && !p.disableForwarding && connectPermitted(p.local, host, port);
};
const canListen = (cfg: string, host: string, port: number, key?: Partial<AuthorizedKeyRestrictions>): boolean => {
  const p = forwardingPolicy({ config: load(cfg), key: key ? { ...KEY, ...key } : undefined });
  return p.tcpRemote && p.keyPermitsForwarding && !p.disableForwarding && listenPermitted(p.remote, { host, port });
};

describe("PermitOpen and permitopen=", () => {
  test.each([
    ["", "anything", 9, true],
    ["PermitOpen any", "anything", 9, true],
    ["PermitOpen none", "127.0.0.1", 22, false],
    ["PermitOpen 127.0.0.1:22", "127.0.0.1", 22, true],
    ["PermitOpen 127.0.0.1:22", "127.0.0.1", 23, false],
    ["PermitOpen 127.0.0.1:22", "localhost", 22, false], // hosts compare as strings
    ["PermitOpen 127.0.0.1:*", "127.0.0.1", 4242, true],
    ["PermitOpen *:80", "example.org", 80, true],
    ["PermitOpen [::1]:22", "::1", 22, true],
    ["PermitOpen 10.0.0.1:1 127.0.0.1:2", "127.0.0.1", 2, true],
  ])("%p: %s port %d → %p", (cfg, host, port, want) => {
    expect(canConnect(cfg, host, port)).toBe(want);
  });

  test("Match Address overrides the global PermitOpen (cfgmatch.sh)", () => {
    const cfg = "PermitOpen 127.0.0.1:1\nMatch Address 127.0.0.1\nPermitOpen 127.0.0.1:2 127.0.0.1:3 127.0.0.1:4242\n";
    expect(canConnect(cfg, "127.0.0.1", 4242, undefined, "127.0.0.1")).toBe(true);
    expect(canConnect(cfg, "127.0.0.1", 4242, undefined, "UNKNOWN")).toBe(false);
  });

  test("the key's permitopen= and sshd_config's PermitOpen must both allow", () => {
    expect(canConnect("", "127.0.0.1", 22, { permitOpen: ["127.0.0.1:22"] })).toBe(true);
    expect(canConnect("", "127.0.0.1", 23, { permitOpen: ["127.0.0.1:22"] })).toBe(false);
    expect(canConnect("PermitOpen 127.0.0.1:1", "127.0.0.1", 22, { permitOpen: ["127.0.0.1:22"] })).toBe(false);
  });

  test("no-port-forwarding, DisableForwarding and AllowTcpForwarding remote refuse every connect", () => {
    expect(canConnect("", "h", 1, { permitPortForwarding: false })).toBe(false);
    expect(canConnect("DisableForwarding yes", "h", 1)).toBe(false);
    expect(canConnect("AllowTcpForwarding remote", "h", 1)).toBe(false);
    expect(canConnect("AllowTcpForwarding local", "h", 1)).toBe(true);
    expect(canConnect("AllowTcpForwarding all", "h", 1)).toBe(true);
  });
});

describe("PermitListen and permitlisten=", () => {
  test.each([
    ["", "localhost", 0, true],
    ["PermitListen none", "localhost", 8080, false],
    ["PermitListen 8080", "localhost", 8080, true], // a bare port is *:port
    ["PermitListen 8080", "localhost", 8081, false],
    ["PermitListen 127.0.0.1:8080", "127.0.0.1", 8080, true],
    ["PermitListen 127.0.0.1:8080", "localhost", 8080, false],
    ["PermitListen loc*:*", "LOCALHOST", 1, true], // patterns, against the lower-cased request
    ["AllowTcpForwarding local", "localhost", 8080, false],
  ])("%p: %s port %d → %p", (cfg, host, port, want) => {
    expect(canListen(cfg, host, port)).toBe(want);
  });

  test("permitlisten= in the key", () => {
    expect(canListen("", "localhost", 8080, { permitListen: ["8080"] })).toBe(true);
    expect(canListen("", "localhost", 8081, { permitListen: ["8080"] })).toBe(false);
  });
});

describe("GatewayPorts (channel_fwd_bind_addr)", () => {
  test.each([
    ["no", "localhost", null, false],
    ["no", "", null, false],
    ["no", "0.0.0.0", null, false],
    ["no", "127.0.0.1", "127.0.0.1", false],
    ["no", "::1", "::1", false],
    ["yes", "localhost", null, true],
    ["yes", "10.1.2.3", null, true],
    ["clientspecified", "", null, true],
    ["clientspecified", "*", null, true],
    ["clientspecified", "10.1.2.3", "10.1.2.3", false],
    ["clientspecified", "localhost", null, false],
  ] as const)("GatewayPorts %s, client asks %p → bind %p (wildcard %p)", (gw, host, addr, wildcard) => {
    const r = forwardBindAddress(host, gw);
    expect([r.addr, r.wildcard]).toEqual([addr, wildcard]);
  });
  test("an explicit address overridden by GatewayPorts yes is reported to the client", () => {
    expect(forwardBindAddress("10.1.2.3", "yes").overridden).toBe(true);
    expect(forwardBindAddress("0.0.0.0", "yes").overridden).toBe(false);
  });
});
