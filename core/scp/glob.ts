// The name checks of scp's legacy sink: scp.c brace_expand() turns the requested remote path into the file-name
// patterns an answer may carry, and fnmatch(3) (flags 0, core/sftp/glob.ts) tests each incoming name against them.

/** A pattern the sink cannot work with; scp reports it as fatal_f("invalid brace pattern ..."). */
export class BracePatternError extends Error {
  override name = "BracePatternError";
}

/** At most this many expansions: `{a,b}` repeated 30 times would otherwise ask for 2^30 patterns. */
export const MAX_BRACE_EXPANSIONS = 4096;

/** What both of scp.c's brace loops do with a bracket: braces inside `[...]` are literal. */
function inBracketAfter(c: string | undefined, inBracket: boolean): boolean {
  return c === "[" ? true : c === "]" ? false : inBracket;
}

/** scp.c find_brace(): the first top-level brace pair, [-1, -1] when none, null when unbalanced. */
function findBrace(p: string): [number, number] | null {
  let start = -1;
  let end = -1;
  let inBracket = false;
  let level = 0;
  for (let i = 0; end < 0 && i < p.length; i++) {
    inBracket = inBracketAfter(p[i], inBracket);
    switch (p[i]) {
      case "\\":
        if (i + 1 < p.length) i++;
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
    inBracket = inBracketAfter(p[i], inBracket);
    switch (p[i]) {
      case "{":
        if (!inBracket) level++;
        break;
      case "}":
        if (!inBracket) level--;
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
