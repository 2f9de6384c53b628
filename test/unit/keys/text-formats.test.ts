// Text formats of the key library: public key lines, RFC 4716, randomart, patterns, known_hosts, authorized_keys.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  KeyFormatError, fingerprintDigest, formatPublicKeyLine, formatRfc4716, hashHostname, hashedHostMatches, hostMatches,
  matchHostname, matchPattern, matchPatternList, parseAuthorizedKeyLine, parseAuthorizedKeys, parseKnownHosts,
  parsePublicKeyLine, parseRfc4716, randomArt, describePublicKey, checkHostKey, findAuthorizedKey,
} from "../../../core/keys/index.ts";
import { VECTORS_DIR } from "../../helpers/vectors.ts";

const dir = join(VECTORS_DIR, "openssh-keys");
const line = (f: string): string => readFileSync(join(dir, f), "utf8").trim();
const ED = line("ed25519_1.pub");
const RSA = line("rsa_1.pub");
const keyPart = (l: string): string => l.split(" ").slice(0, 2).join(" ");

describe("public key lines", () => {
  test("parse and format round trip, comment kept", () => {
    const k = parsePublicKeyLine(ED);
    expect(k.type).toBe("ssh-ed25519");
    expect(k.comment).toBe("ED25519 test key #1");
    expect(formatPublicKeyLine(k.blob, k.comment)).toBe(ED);
    expect(formatPublicKeyLine(k.blob)).toBe(keyPart(ED));
  });
  test("tabs and leading spaces are fine; a type that differs from the blob's is not", () => {
    expect(parsePublicKeyLine(`  \t${keyPart(ED).replace(" ", "\t")}`).type).toBe("ssh-ed25519");
    expect(() => parsePublicKeyLine(`ssh-rsa ${ED.split(" ")[1]}`)).toThrow(KeyFormatError);
    expect(() => parsePublicKeyLine("ssh-ed25519 AAAA")).toThrow(KeyFormatError);
    expect(() => parsePublicKeyLine("ssh-foo AAAAC3NzaC1lZDI1NTE5")).toThrow("unknown or unsupported key type");
  });
});

describe("RFC 4716", () => {
  test("export then import gives the blob and the comment back; headers continue with a backslash", () => {
    const k = parsePublicKeyLine(RSA);
    const text = formatRfc4716(k.blob, "1024-bit RSA, converted by me@here from OpenSSH");
    expect(text.split("\n")[0]).toBe("---- BEGIN SSH2 PUBLIC KEY ----");
    expect(text.split("\n").every((l) => l.length <= 72)).toBe(true);
    const back = parseRfc4716(text);
    expect(Buffer.from(back.blob).equals(Buffer.from(k.blob))).toBe(true);
    expect(back.comment).toBe("1024-bit RSA, converted by me@here from OpenSSH");
    const withHeaders = text.replace("Comment:", "x-Something: a \\\ncontinued\nComment:");
    expect(parseRfc4716(withHeaders).comment).toBe("1024-bit RSA, converted by me@here from OpenSSH");
  });
});

describe("randomart", () => {
  test("ed25519_1, as OpenSSH 9.2 drew it", () => {
    const blob = parsePublicKeyLine(ED).blob;
    expect(randomArt(fingerprintDigest(blob, "sha256"), "SHA256", "ED25519", 256)).toBe(
      [
        "+--[ED25519 256]--+",
        "|       ... .. oo.|",
        "|      .   o .o ..|",
        "|       o o o.  ..|",
        "|      . + .. . o.|",
        "|       .S.. . B o|",
        "|        .o.+ o @.|",
        "|       .o.o.*  .O|",
        "|        o= ..+ .B|",
        "|       o*o  o.E==|",
        "+----[SHA256]-----+",
      ].join("\n"),
    );
  });
  test("rsa_1 with MD5", () => {
    const blob = parsePublicKeyLine(RSA).blob;
    expect(randomArt(fingerprintDigest(blob, "md5"), "MD5", "RSA", describePublicKey(blob).bits).split("\n")).toEqual([
      "+---[RSA 1024]----+",
      "|      .o.  o ..  |",
      "|       o..o =  . |",
      "|      = .. +  .  |",
      "|     o . .     o.|",
      "|      . S  E  o=.|",
      "|       o .  ..+ +|",
      "|             . o.|",
      "|              .  |",
      "|                 |",
      "+------[MD5]------+",
    ]);
  });
  test("long titles fall back to the type alone", () => {
    expect(randomArt(new Uint8Array(32), "SHA256", "ED25519-CERT", 256).split("\n")[0]).toBe("+-[ED25519-CERT]--+"); // as OpenSSH 9.2 draws it
  });
});

describe("patterns (match.c)", () => {
  test.each([
    ["host", "host", true], ["HOST", "host", false], ["a.example.com", "*.example.com", true], ["example.com", "*.example.com", false],
    ["h1", "h?", true], ["h12", "h?", false], ["anything", "*", true], ["", "*", true], ["abc", "a*c*", true], ["ab", "a*c", false],
  ])("%s ~ %s → %s", (s, p, want) => expect(matchPattern(s, p)).toBe(want));
  test("lists, negation wins", () => {
    expect(matchPatternList("pc.sales.example.net", "*.sales.example.net,!pc.sales.example.net")).toBe(-1);
    expect(matchPatternList("a.sales.example.net", "*.sales.example.net,!pc.sales.example.net")).toBe(1);
    expect(matchPatternList("other", "*.sales.example.net")).toBe(0);
    expect(matchHostname("Host1", "host1,host2")).toBe(1);
  });
  test("a pathological pattern stays fast", () => {
    const t = performance.now();
    expect(matchPattern("a".repeat(5000), "*a*a*a*a*a*a*a*a*b")).toBe(false);
    expect(performance.now() - t).toBeLessThan(500);
  });
});

describe("known_hosts", () => {
  const text = [
    "# comment",
    "",
    `host1,192.0.2.1 ${keyPart(ED)} a comment`,
    `[host2]:2222 ${keyPart(RSA)}`,
    `@cert-authority *.example.com ${keyPart(ED)}`,
    `@revoked * ${keyPart(RSA)}`,
    `*.wild,!bad.wild ${keyPart(ED)}`,
    "closenet,192.0.2.53 1024 37 159493 closenet.example.net",
    `${hashHostname("hashed.example", new Uint8Array(20).fill(7))} ${keyPart(ED)}`,
    "@bogus host ssh-ed25519 AAAA",
  ].join("\n");
  const kh = parseKnownHosts(text);
  test("entries, markers and skipped lines", () => {
    expect(kh.entries.map((e) => [e.line, e.marker, e.hosts.startsWith("|1|") ? "hashed" : e.hosts])).toEqual([
      [3, "none", "host1,192.0.2.1"], [4, "none", "[host2]:2222"], [5, "cert-authority", "*.example.com"], [6, "revoked", "*"],
      [7, "none", "*.wild,!bad.wild"], [9, "none", "hashed"],
    ]);
    expect(kh.entries[0]!.comment).toBe("a comment");
    expect(kh.skipped.map((s) => s.line)).toEqual([8, 10]);
  });
  test("host matching: ports, negation, hashes, case", () => {
    const [h1, h2, ca, , wild, hashed] = kh.entries;
    expect(hostMatches(h1!, "HOST1")).toBe(true);
    expect(hostMatches(h1!, "192.0.2.1")).toBe(true);
    expect(hostMatches(h1!, "host1", 2222)).toBe(false);
    expect(hostMatches(h2!, "host2", 2222)).toBe(true);
    expect(hostMatches(h2!, "host2")).toBe(false);
    expect(hostMatches(ca!, "www.example.com")).toBe(true);
    expect(hostMatches(wild!, "a.wild")).toBe(true);
    expect(hostMatches(wild!, "bad.wild")).toBe(false);
    expect(hostMatches(hashed!, "hashed.example")).toBe(true);
    expect(hostMatches(hashed!, "other.example")).toBe(false);
  });
  test("OpenSSH's hashed example line is recognised", () => {
    expect(hashedHostMatches("|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|USECr3SWf1JUPsms5AqfD5QfxkM=", "nowhere")).toBe(false);
    const h = hashHostname("[h]:22");
    expect(hashedHostMatches(h, "[h]:22")).toBe(true);
  });
});

describe("authorized_keys", () => {
  const key = keyPart(ED);
  test("the sshd(8) examples parse with their options", () => {
    const text = [
      "# Comments allowed at start of line",
      `${key} user@example.net`,
      `from="*.sales.example.net,!pc.sales.example.net" ${key} john@example.net`,
      `command="dump /home",no-pty,no-port-forwarding ${key} example.net`,
      `permitopen="192.0.2.1:80",permitopen="192.0.2.2:25" ${key}`,
      `tunnel="0",command="sh /etc/netstart tun0" ${key} jane@example.net`,
      `restrict,command="uptime" ${key} user@example.net`,
      `restrict,pty,command="nethack" ${key} user@example.net`,
      `command="sh -c \\"mysqldump db1 -u fred1 -p\\"" ${key}`,
      `environment="PATH=/bin:/usr/bin/:/opt/gtm/bin" ${key}`,
      `no-pty,command="" ${key}`,
      `cert-authority,principals="a,b" ${key}`,
      `bogus-option ${key}`,
      `command="unterminated ${key}`,
    ].join("\n");
    const { keys, skipped } = parseAuthorizedKeys(text);
    expect(keys.length).toBe(11);
    expect(skipped.map((s) => s.line)).toEqual([13, 14]);
    expect(keys[1]!.restrictions.from).toBe("*.sales.example.net,!pc.sales.example.net");
    expect(keys[2]!.restrictions).toMatchObject({ command: "dump /home", permitPty: false, permitPortForwarding: false, permitAgentForwarding: true });
    expect(keys[3]!.restrictions.permitOpen).toEqual(["192.0.2.1:80", "192.0.2.2:25"]);
    expect(keys[4]!.restrictions.tunnel).toBe(0);
    expect(keys[5]!.restrictions).toMatchObject({ command: "uptime", permitPty: false, permitPortForwarding: false, permitX11Forwarding: false, permitUserRc: false });
    expect(keys[6]!.restrictions).toMatchObject({ command: "nethack", permitPty: true, permitAgentForwarding: false });
    expect(keys[7]!.restrictions.command).toBe('sh -c "mysqldump db1 -u fred1 -p"');
    expect(keys[8]!.restrictions.environment).toEqual(["PATH=/bin:/usr/bin/:/opt/gtm/bin"]);
    expect(keys[9]!.restrictions.command).toBe("");
    expect(keys[10]!.restrictions).toMatchObject({ certAuthority: true, principals: "a,b" });
    expect(keys[0]!.comment).toBe("user@example.net");
  });
  test("option names are case-insensitive", () => {
    expect(parseAuthorizedKeyLine(`NO-PTY,Command="x" ${key}`).restrictions).toMatchObject({ permitPty: false, command: "x" });
  });
});

describe("host key and authorized key decisions", () => {
  const ed1 = parsePublicKeyLine(line("ed25519_1.pub")).blob;
  const ed2 = parsePublicKeyLine(line("ed25519_2.pub")).blob;
  const rsa = parsePublicKeyLine(RSA).blob;
  const ca = parsePublicKeyLine(line("ecdsa_1.pub")).blob;
  const kh = parseKnownHosts([`h1 ${keyPart(line("ed25519_1.pub"))}`, `@cert-authority *.ex ${keyPart(line("ecdsa_1.pub"))}`, `@revoked * ${keyPart(line("ed25519_2.pub"))}`, `[h2]:2022 ${keyPart(RSA)}`].join("\n"));
  test("ok, changed, revoked, not found, and CA-vouched certificates", () => {
    expect(checkHostKey(kh, "h1", 22, ed1).status).toBe("ok");
    expect(checkHostKey(kh, "h1", 2222, ed1).status).toBe("not-found");
    expect(checkHostKey(kh, "h2", 2022, rsa).status).toBe("ok");
    expect(checkHostKey(kh, "h1", 22, ed2).status).toBe("revoked");
    const other = parsePublicKeyLine(line("mldsa44_ed25519_1.pub")).blob;
    expect(checkHostKey(kh, "h1", 22, other).status).toBe("not-found");
    const kh2 = parseKnownHosts(`h1 ${keyPart(line("ed25519_1.pub"))}`);
    expect(checkHostKey(kh2, "h1", 22, ed2)).toMatchObject({ status: "changed", entry: { line: 1 } });
    expect(checkHostKey(kh, "www.ex", 22, ed1, ca).status).toBe("ok");
    expect(checkHostKey(kh, "www.other", 22, ed1, ca).status).toBe("not-found");
  });
  test("authorized_keys: plain keys on plain lines, certificates through cert-authority lines", () => {
    const { keys } = parseAuthorizedKeys([`${keyPart(line("ed25519_1.pub"))}`, `cert-authority ${keyPart(line("ecdsa_1.pub"))}`].join("\n"));
    expect(findAuthorizedKey(keys, ed1)?.line).toBe(1);
    expect(findAuthorizedKey(keys, ca)).toBeUndefined(); // a CA line does not admit the CA key itself
    expect(findAuthorizedKey(keys, ed2, ca)?.line).toBe(2);
    expect(findAuthorizedKey(keys, ed2)).toBeUndefined();
  });
});
