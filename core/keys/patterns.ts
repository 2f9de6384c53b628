// Host and principal patterns as OpenSSH's match.c: `*` and `?` wildcards, comma-separated lists where a `!` in front
// negates (a negated match wins over every positive one), host names compared in lower case.

/** match_pattern(): does `s` match the wildcard pattern (`*` any run, `?` any one character)? */
export function matchPattern(s: string, pattern: string): boolean {
  // Iterative glob with backtracking to the last `*`: linear in practice, no recursion on hostile input.
  let si = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < pattern.length && (pattern[pi] === "?" || (pattern[pi] !== "*" && pattern[pi] === s[si]))) {
      si++;
      pi++;
    } else if (pi < pattern.length && pattern[pi] === "*") {
      star = pi++;
      mark = si;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < pattern.length && pattern[pi] === "*") pi++;
  return pi === pattern.length;
}

/**
 * match_pattern_list(): 1 when `s` matches some pattern of the comma-separated `list`, -1 when it matches a negated one
 * (`!pattern`; this wins), 0 otherwise. `lowercase` folds `s` first, as match_hostname does.
 */
export function matchPatternList(s: string, list: string, lowercase = false): 1 | 0 | -1 {
  const subject = lowercase ? s.toLowerCase() : s;
  let got: 1 | 0 = 0;
  for (const raw of list.split(",")) {
    const negated = raw.startsWith("!");
    const p = negated ? raw.slice(1) : raw;
    if (p === "") continue;
    if (matchPattern(subject, lowercase ? p.toLowerCase() : p)) {
      if (negated) return -1;
      got = 1;
    }
  }
  return got;
}

/** match_hostname(): matchPatternList with host names folded to lower case. */
export function matchHostname(host: string, list: string): 1 | 0 | -1 {
  return matchPatternList(host, list, true);
}
