// The name checks of scp's legacy sink: scp.c brace_expand() turns the requested remote path into the file-name
// patterns an answer may carry, and fnmatch(3) (flags 0) tests each incoming name against them.

/** A pattern the sink cannot work with; scp reports it as fatal_f("invalid brace pattern ..."). */
export class BracePatternError extends Error {
  override name = "BracePatternError";
}

/** At most this many expansions: `{a,b}` repeated 30 times would otherwise ask for 2^30 patterns. */
export const MAX_BRACE_EXPANSIONS = 4096;

/** scp.c find_brace(): the first top-level brace pair, [-1, -1] when none, null when unbalanced. */
function findBrace(p: string): [number, number] | null {
  let start = -1;
  let end = -1;
  let inBracket = false;
  let level = 0;
  for (let i = 0; end < 0 && i < p.length; i++) {
    switch (p[i]) {
      case "\\":
        if (i + 1 < p.length) i++;
        break;
      case "[":
        inBracket = true;
        break;
      case "]":
        inBracket = false;
        break;
      case "{":
        if (inBracket) break;
        if (p[i + 1] === "}") {
          i++; // a lone {} is literal, as for find(1)
          break;
        }
        if (start === -1) start = i;
        level++;
        break;
      case "}":
        if (inBracket) break;
        if (start < 0) return null;
        if (--level <= 0) end = i;
        break;
    }
  }
  if (end < 0 && (start >= 0 || inBracket)) return null;
  return [start, end];
}

/** scp.c brace_expand_one(): the patterns the first brace yields, [] when there is none, null when invalid. */
function expandOne(p: string): string[] | null {
  const found = findBrace(p);
  if (found === null) return null;
  const [start, end] = found;
  if (start === -1) return [];
  const out: string[] = [];
  let inBracket = false;
  let level = 0;
  let selStart = start + 1;
  for (let i = start + 1; i < end; i++) {
    switch (p[i]) {
      case "{":
        if (!inBracket) level++;
        break;
      case "}":
        if (!inBracket) level--;
        break;
      case "[":
        inBracket = true;
        break;
      case "]":
        inBracket = false;
        break;
      case "\\":
        if (i < end - 1) i++;
        break;
    }
    if (p[i] === "," || i === end - 1) {
      if (inBracket || level > 0) continue;
      const selEnd = i === end - 1 ? end : i;
      out.push(p.slice(0, start) + p.slice(selStart, selEnd) + p.slice(end + 1));
      selStart = i + 1;
    }
  }
  if (inBracket || level > 0) return null;
  return out;
}

/**
 * scp.c brace_expand(): every brace alternative of `pattern`, each cut to its last path component (what a sink
 * may receive as a file name). Throws BracePatternError for an unbalanced pattern or too many expansions.
 */
export function braceExpand(pattern: string): string[] {
  const active = [pattern];
  const done: string[] = [];
  while (active.length > 0) {
    const cp = active.pop()!;
    const more = expandOne(cp);
    if (more === null) throw new BracePatternError(`invalid brace pattern "${cp}"`);
    if (more.length > 0) {
      active.push(...more);
      if (active.length + done.length > MAX_BRACE_EXPANSIONS) throw new BracePatternError("could not expand pattern");
      continue;
    }
    const slash = cp.lastIndexOf("/");
    done.push(slash >= 0 ? cp.slice(slash + 1) : cp);
  }
  return done;
}

/** One `[...]` at p[i] (just past '['): whether `c` matches, and the index after ']'; null when unterminated. */
function matchBracket(p: string, i: number, c: string): { match: boolean; next: number } | null {
  let negate = false;
  if (p[i] === "!" || p[i] === "^") {
    negate = true;
    i++;
  }
  let match = false;
  let first = true;
  while (i < p.length && (first || p[i] !== "]")) {
    first = false;
    let lo = p[i]!;
    if (lo === "\\" && i + 1 < p.length) lo = p[++i]!;
    i++;
    let hi = lo;
    if (p[i] === "-" && i + 1 < p.length && p[i + 1] !== "]") {
      hi = p[i + 1]!;
      if (hi === "\\" && i + 2 < p.length) {
        hi = p[i + 2]!;
        i++;
      }
      i += 2;
    }
    if (c >= lo && c <= hi) match = true;
  }
  if (i >= p.length) return null;
  return { match: match !== negate, next: i + 1 };
}

/** fnmatch(3) with flags 0: `*`, `?`, `[...]` (ranges, `!`/`^`), backslash escapes; O(len(p)·len(s)). */
export function fnmatch(p: string, s: string): boolean {
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    const pc = p[pi];
    if (pc === "*") {
      starP = ++pi;
      starS = si;
      continue;
    }
    let ok = false;
    let next = pi + 1;
    if (pc === "?") ok = true;
    else if (pc === "[") {
      const b = matchBracket(p, pi + 1, s[si]!);
      if (b === null) ok = s[si] === "[";
      else {
        ok = b.match;
        next = b.next;
      }
    } else if (pc === "\\" && pi + 1 < p.length) {
      ok = p[pi + 1] === s[si];
      next = pi + 2;
    } else if (pc !== undefined) ok = pc === s[si];
    if (ok) {
      pi = next;
      si++;
      continue;
    }
    if (starP < 0) return false;
    pi = starP;
    si = ++starS;
  }
  while (p[pi] === "*") pi++;
  return pi === p.length;
}
