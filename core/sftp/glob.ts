// glob(3) as OpenSSH's sftp and scp use it (openbsd-compat/glob.c with GLOB_ALTDIRFUNC, sftp-glob.c): `*`, `?`,
// `[...]` (with `!` and ranges), `\` escapes, GLOB_BRACE, GLOB_MARK, GLOB_NOCHECK, GLOB_KEEPSTAT; over any directory
// source, so the same code globs local paths and, through SFTP, remote ones.

/** What glob needs from a file system: directory listings and lstat/stat (null when the call fails). */
export interface GlobFs<S> {
  readdir(dir: string): Promise<string[] | null>;
  lstat(path: string): Promise<S | null>;
  stat(path: string): Promise<S | null>;
  isDir(st: S): boolean;
  /** S_ISLNK; when given, only links are stat()ed again for GLOB_MARK (as glob.c), saving a request per file. */
  isLink?(st: S): boolean;
}

export interface GlobOptions {
  /** GLOB_MARK: directories get a trailing '/'. */
  readonly mark?: boolean;
  /** GLOB_NOCHECK: no match returns the pattern itself (unescaped). */
  readonly nocheck?: boolean;
  /** GLOB_BRACE: `{a,b}` alternatives. */
  readonly brace?: boolean;
  /** GLOB_NOSORT: keep directory order. */
  readonly nosort?: boolean;
}

/** The matches; `matchc` counts real matches (a NOCHECK pattern is not one); `stats` are the lstat results. */
export interface GlobResult<S> {
  readonly paths: string[];
  readonly stats: (S | undefined)[];
  readonly matchc: number;
}

/** glob.c GLOB_LIMIT_STAT / GLOB_LIMIT_READDIR: how much work one pattern may cause. */
const GLOB_LIMIT = 65536;

/** A pattern character class, wildcard, or literal. */
const META = new Set(["*", "?", "["]);

/** Whether `s` has an unescaped wildcard. */
export function hasMagic(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") {
      i++;
      continue;
    }
    if (META.has(s[i]!)) return true;
  }
  return false;
}

/** Removes one level of backslash escaping. */
export function unescapeGlob(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && i + 1 < s.length) out += s[++i];
    else out += s[i];
  }
  return out;
}

/** sftp.c escape_glob(): backslashes before `[]?*\`. */
export function escapeGlob(s: string): string {
  return s.replace(/[[\]?*\\]/g, (c) => `\\${c}`);
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

/**
 * fnmatch(3) with flags 0, which is also glob.c match() on one path component (sftp, scp's remote globs) and what
 * scp's legacy sink checks incoming names with: `*`, `?`, `[...]` (ranges, `!`/`^`), backslash escapes; an
 * unterminated `[` is literal. O(len(p)·len(s)): a hostile pattern or name cannot make it backtrack exponentially.
 */
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

/** GLOB_BRACE: `a{b,c}d` → [abd, acd], nested braces expanded left to right; `{}` stays literal. */
export function expandBraces(p: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "[") {
      // skip a character class
      const close = p.indexOf("]", i + 2);
      if (close > 0) i = close;
      continue;
    }
    if (c === "{") {
      if (p[i + 1] === "}" && depth === 0) {
        i++;
        continue;
      }
      if (depth++ === 0) open = i;
    } else if (c === "}" && depth > 0) {
      if (--depth === 0) {
        const body = p.slice(open + 1, i);
        const parts: string[] = [];
        let d = 0;
        let last = 0;
        for (let k = 0; k < body.length; k++) {
          const b = body[k];
          if (b === "\\") {
            k++;
            continue;
          }
          if (b === "{") d++;
          else if (b === "}") d--;
          else if (b === "," && d === 0) {
            parts.push(body.slice(last, k));
            last = k + 1;
          }
        }
        parts.push(body.slice(last));
        const pre = p.slice(0, open);
        const post = p.slice(i + 1);
        return parts.flatMap((part) => expandBraces(pre + part + post));
      }
    }
  }
  return [p];
}

/**
 * glob(pattern, flags) over `fs`. Paths keep the pattern's form (relative stays relative). Matching is by component;
 * a name starting with '.' only matches a component that starts with a literal '.'. Result: sorted matches (per
 * brace alternative), or with NOCHECK and no match the unescaped pattern.
 */
export async function glob<S>(pattern: string, fs: GlobFs<S>, opts: GlobOptions = {}): Promise<GlobResult<S>> {
  const paths: string[] = [];
  const stats: (S | undefined)[] = [];
  let matchc = 0;
  const budget = { n: 0 };
  for (const alt of opts.brace ? expandBraces(pattern) : [pattern]) {
    const found: { path: string; st: S }[] = [];
    await globOne(alt, fs, opts, found, budget);
    if (!opts.nosort) found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const f of found) {
      paths.push(f.path);
      stats.push(f.st);
    }
    matchc += found.length;
  }
  if (matchc === 0 && opts.nocheck) {
    let p = unescapeGlob(pattern);
    // sftp-glob.c: a NOCHECK result that names a directory is marked too
    if (opts.mark && p !== "" && !p.endsWith("/")) {
      const st = await fs.stat(p);
      if (st !== null && fs.isDir(st)) p += "/";
    }
    return { paths: [p], stats: [undefined], matchc: 0 };
  }
  return { paths, stats, matchc };
}

async function globOne<S>(pattern: string, fs: GlobFs<S>, opts: GlobOptions, out: { path: string; st: S }[], budget: { n: number }): Promise<void> {
  // Split into components, keeping leading '/' and repeated slashes as glob.c does (it copies them verbatim).
  const parts = pattern.split("/");
  const walk = async (prefix: string, idx: number): Promise<void> => {
    // Copy components without magic onto the prefix.
    let p = prefix;
    let i = idx;
    while (i < parts.length && !hasMagic(parts[i]!)) {
      p += (i > 0 ? "/" : "") + unescapeGlob(parts[i]!);
      i++;
    }
    if (i === parts.length) {
      if (++budget.n > GLOB_LIMIT) return;
      const found = await marked(p === "" ? "." : p, p, fs, opts);
      if (found !== null) out.push(found);
      return;
    }
    // Component i has magic: list the directory built so far.
    const dirPath = i === 0 ? "" : p + "/";
    const names = await fs.readdir(i === 0 ? "." : p === "" ? "/" : p);
    if (names === null) return;
    if ((budget.n += names.length) > GLOB_LIMIT) return;
    const comp = parts[i]!;
    for (const name of names) {
      if (name.startsWith(".") && !comp.startsWith(".")) continue;
      if (!fnmatch(comp, name)) continue;
      const next = dirPath + name;
      if (i === parts.length - 1) {
        const found = await marked(next, next, fs, opts);
        if (found !== null) out.push(found);
      } else {
        await walk(next, i + 1);
      }
    }
  };
  // walk() joins with "/" before every component after the first; a leading "/" is parts[0] === "".
  await walk("", 0);
}

/**
 * glob2()'s end of a path: lstat it; with GLOB_MARK a directory (or a link to one) gets a '/', and for a symlink the
 * stat kept is the target's when it can be had (glob.c overwrites its stat buffer with g_stat() there).
 */
async function marked<S>(statPath: string, path: string, fs: GlobFs<S>, opts: GlobOptions): Promise<{ path: string; st: S } | null> {
  let st = await fs.lstat(statPath);
  if (st === null) return null;
  if (!opts.mark || path.endsWith("/")) return { path, st };
  if (fs.isDir(st)) return { path: `${path}/`, st };
  if (fs.isLink !== undefined && !fs.isLink(st)) return { path, st };
  const s2 = await fs.stat(statPath);
  if (s2 === null) return { path, st };
  st = s2;
  return { path: fs.isDir(s2) ? `${path}/` : path, st };
}
