// OpenSSH's pattern language (match.c, addrmatch.c): `*` and `?` wildcards, comma pattern-lists with `!` negation,
// CIDR address lists, and the name-list filters used to assemble algorithm lists (kex-names.c kex_assemble_names).

/** match.c match_pattern: `*` any run, `?` one character, anchored at both ends, case-sensitive. */
export function matchPattern(s: string, pattern: string): boolean {
  // Iterative glob with one backtrack point (the classic two-pointer algorithm), so hostile patterns stay linear-ish.
  let si = 0, pi = 0, starP = -1, starS = 0;
  while (si < s.length) {
    const pc = pattern[pi];
    if (pc === "*") { starP = pi++; starS = si; continue; }
    if (pc !== undefined && (pc === "?" || pc === s[si])) { si++; pi++; continue; }
    if (starP < 0) return false;
    pi = starP + 1; si = ++starS;
  }
  while (pattern[pi] === "*") pi++;
  return pi === pattern.length;
}

/**
 * match.c match_pattern_list: 1 if `s` matches a positive pattern and no negated one, -1 if a negated pattern
 * matches, 0 otherwise. With `dolower` the string is lowercased first (host names).
 */
export function matchPatternList(s: string, list: string, dolower = false): -1 | 0 | 1 {
  const subject = dolower ? s.toLowerCase() : s;
  let got: 0 | 1 = 0;
  for (const raw of list.split(",")) {
    const negated = raw.startsWith("!");
    const sub = negated ? raw.slice(1) : raw;
    const pat = dolower ? sub.toLowerCase() : sub;
    if (matchPattern(subject, pat)) {
      if (negated) return -1;
      got = 1;
    }
  }
  return got;
}

/** match.c match_hostname: a case-insensitive pattern-list match. */
export function matchHostname(host: string, list: string): -1 | 0 | 1 {
  return matchPatternList(host, list, true);
}

/** match.c match_usergroup_pattern_list (without the `%` group prefixes of some platforms). */
export function matchUserGroupPatternList(user: string, list: string): -1 | 0 | 1 {
  return matchPatternList(user, list, false);
}

/** A parsed IPv4/IPv6 address as 16 bytes (IPv4 kept as 4). */
export interface ParsedAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

/** Parses a numeric IPv4 or IPv6 address (no zone ids, no names); null when it is not one. */
export function parseAddress(text: string): ParsedAddress | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    if (parts.some((p) => p > 255)) return null;
    return { family: 4, bytes: Uint8Array.from(parts) };
  }
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  let head = text, tail = "";
  const dbl = text.indexOf("::");
  if (dbl >= 0) {
    if (text.indexOf("::", dbl + 1) >= 0) return null;
    head = text.slice(0, dbl); tail = text.slice(dbl + 2);
  }
  const words = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const groups = part.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseAddress(g);
        if (v4 === null || v4.family !== 4) return null;
        out.push((v4.bytes[0]! << 8) | v4.bytes[1]!, (v4.bytes[2]! << 8) | v4.bytes[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const h = words(head), t = words(tail);
  if (h === null || t === null) return null;
  const fill = 8 - h.length - t.length;
  if (dbl >= 0 ? fill < 1 : fill !== 0) return null;
  const all = [...h, ...new Array<number>(dbl >= 0 ? fill : 0).fill(0), ...t];
  const bytes = new Uint8Array(16);
  all.forEach((w, i) => { bytes[2 * i] = w >> 8; bytes[2 * i + 1] = w & 0xff; });
  return { family: 6, bytes };
}

/**
 * addrmatch.c addr_pton_cidr: `addr[/len]`. Returns null when it is not an address, "bad" when the mask is
 * inconsistent (host bits set or out of range).
 */
export function parseCidr(text: string): { addr: ParsedAddress; masklen: number } | null | "bad" {
  const slash = text.indexOf("/");
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  const addr = parseAddress(addrText);
  if (addr === null) return null;
  const max = addr.family === 4 ? 32 : 128;
  let masklen = max;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(m)) return null;
    masklen = Number(m);
    if (masklen > max) return "bad";
  }
  // OpenSSH rejects a network whose host bits are set ("inconsistent mask length").
  for (let bit = masklen; bit < max; bit++) if ((addr.bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return "bad";
  return { addr, masklen };
}

function netMatch(a: ParsedAddress, net: ParsedAddress, masklen: number): boolean {
  if (a.family !== net.family) return false;
  for (let bit = 0; bit < masklen; bit++) {
    const m = 7 - (bit & 7);
    if (((a.bytes[bit >> 3]! >> m) & 1) !== ((net.bytes[bit >> 3]! >> m) & 1)) return false;
  }
  return true;
}

/**
 * addrmatch.c addr_match_list: 1 match, 0 no match, -1 negated match, -2 malformed list. `addr` null only checks
 * the list's syntax (returns 0 or -2).
 */
export function addrMatchList(addr: string | null, list: string): -2 | -1 | 0 | 1 {
  let tryAddr: ParsedAddress | null = null;
  if (addr !== null) {
    tryAddr = parseAddress(addr);
    if (tryAddr === null) return 0;
  }
  let ret: -2 | -1 | 0 | 1 = 0;
  for (const raw of list.split(",")) {
    const neg = raw.startsWith("!");
    const cp = neg ? raw.slice(1) : raw;
    if (cp === "") return -2;
    const cidr = parseCidr(cp);
    if (cidr === "bad") return -2;
    const hit = cidr !== null
      ? tryAddr !== null && netMatch(tryAddr, cidr.addr, cidr.masklen)
      : addr !== null && matchPattern(addr, cp);
    if (hit) {
      if (neg) return -1;
      ret = 1;
    }
  }
  return ret;
}

/** addrmatch.c addr_match_cidr_list: like addrMatchList but only CIDR entries, no wildcards; -1 for a bad entry. */
export function addrMatchCidrList(addr: string | null, list: string): -1 | 0 | 1 {
  const tryAddr = addr === null ? null : parseAddress(addr);
  if (addr !== null && tryAddr === null) return -1;
  let ret: -1 | 0 | 1 = 0;
  for (const cp of list.split(",")) {
    if (cp === "" || cp.length > 49 || !/^[0-9a-fA-F.:/]+$/.test(cp)) return -1;
    const cidr = parseCidr(cp);
    if (cidr === null || cidr === "bad") return -1;
    if (tryAddr !== null && netMatch(tryAddr, cidr.addr, cidr.masklen)) ret = 1;
  }
  return ret;
}

/** match.c match_filter_allowlist: the names of `names` (comma list) that match the pattern-list `filter`. */
export function filterAllowlist(names: readonly string[], filter: string): string[] {
  return names.filter((n) => matchPatternList(n, filter) === 1);
}

/** match.c match_filter_denylist: the names of `names` that do not match the pattern-list `filter`. */
export function filterDenylist(names: readonly string[], filter: string): string[] {
  return names.filter((n) => matchPatternList(n, filter) !== 1);
}

/**
 * kex-names.c kex_assemble_names: `+list` appends to the defaults, `-list` removes (wildcards allowed), `^list`
 * prepends, a plain list replaces; positive patterns are expanded against `all`, in the list's order, without
 * duplicates. Returns null for a list that yields nothing or uses `!` (OpenSSH: SSH_ERR_INVALID_ARGUMENT).
 */
export function assembleNames(spec: string | null, defaults: readonly string[], all: readonly string[]): string[] | null {
  if (spec === null || spec === "") return [...defaults];
  const cat = (a: readonly string[], b: readonly string[]): string[] => {
    const out = [...a];
    for (const n of b) if (!out.includes(n)) out.push(n);
    return out;
  };
  let list: string[];
  if (spec.startsWith("-")) return filterDenylist(defaults, spec.slice(1));
  else if (spec.startsWith("+")) list = cat(defaults, spec.slice(1).split(","));
  else if (spec.startsWith("^")) list = cat(spec.slice(1).split(","), defaults);
  else list = spec.split(",");
  let ret: string[] = [];
  for (const cp of list) {
    if (cp.startsWith("!")) return null;
    ret = cat(ret, filterAllowlist(all, cp));
  }
  return ret.length === 0 ? null : ret;
}
