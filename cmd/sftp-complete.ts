// TAB completion at sftp's prompt (sftp.c complete(), complete_cmd_parse(), complete_match(), complete_display()):
// the first word against the command table, later words against remote or local paths as each command's argument
// takes them. Pure apart from the globs it is given, so tests drive it with fakes.
import { escapeGlob } from "../core/sftp/glob.ts";
import { textWidth } from "./line-editor.ts";
import { pathStrip } from "./sftp-parse.ts";

/** sftp.c cmds[] completion types: what the first and second argument of each command name. */
type ArgKind = "none" | "remote" | "local";
const COMPLETION_TABLE: readonly (readonly [string, ArgKind, ArgKind])[] = [
  ["bye", "none", "none"], ["cd", "remote", "none"], ["chdir", "remote", "none"], ["chgrp", "remote", "none"],
  ["chmod", "remote", "none"], ["chown", "remote", "none"], ["copy", "remote", "local"], ["cp", "remote", "local"],
  ["df", "remote", "none"], ["dir", "remote", "none"], ["exit", "none", "none"], ["get", "remote", "local"],
  ["help", "none", "none"], ["lcd", "local", "none"], ["lchdir", "local", "none"], ["lls", "local", "none"],
  ["lmkdir", "local", "none"], ["ln", "remote", "remote"], ["lpwd", "local", "none"], ["ls", "remote", "none"],
  ["lumask", "none", "none"], ["mkdir", "remote", "none"], ["mget", "remote", "local"], ["mput", "local", "remote"],
  ["progress", "none", "none"], ["put", "local", "remote"], ["pwd", "remote", "none"], ["quit", "none", "none"],
  ["reget", "remote", "local"], ["rename", "remote", "remote"], ["reput", "local", "remote"], ["rm", "remote", "none"],
  ["rmdir", "remote", "none"], ["symlink", "remote", "remote"], ["version", "none", "none"], ["!", "none", "none"],
  ["?", "none", "none"],
];

/** What completion needs from the session. */
export interface CompletionContext {
  /** The remote working directory. */
  readonly pwd: string;
  /** Terminal width for the list of choices. */
  readonly columns: number;
  /** GLOB_MARK matches of a remote pattern (absolute), sorted; null when it failed or took too long. */
  readonly remoteGlob: (pattern: string) => Promise<string[] | null>;
  /** GLOB_MARK matches of a local pattern, sorted. */
  readonly localGlob: (pattern: string) => Promise<string[]>;
}

/** What TAB does: text to insert at the cursor and choices to show (both empty: ring the bell). */
export interface Completion {
  readonly insert: string;
  readonly display: string | null;
}

const NOTHING: Completion = { insert: "", display: null };

interface SloppyArgs {
  readonly argv: string[];
  readonly quote: string; // the quote that opened the last argument, or ""
  readonly terminated: boolean; // false when the line ends inside quotes
}

const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\v" || c === "\f";

/** sftp.c makeargv() in its sloppy mode: an open quote at the end is no error, and is reported. */
export function splitSloppy(arg: string): SloppyArgs {
  const argv: string[] = [];
  let cur = "";
  let quote = "";
  let terminated = true;
  type State = "start" | "squote" | "dquote" | "unquoted";
  let state: State = "start";
  for (let i = 0; ; i++) {
    const c = arg[i];
    if (c !== undefined && isSpace(c)) {
      if (state === "unquoted") {
        argv.push(cur);
        cur = "";
        state = "start";
      } else if (state !== "start") cur += c;
    } else if (c === '"' || c === "'") {
      const q: State = c === '"' ? "dquote" : "squote";
      if (state === "start") {
        state = q;
        quote = c;
      } else if (state === "unquoted") state = q;
      else if (state === q) state = "unquoted";
      else cur += c;
    } else if (c === "\\") {
      const n = arg[i + 1];
      if (state === "squote" || state === "dquote") {
        const quot = state === "squote" ? "'" : '"';
        if (n === quot) cur += arg[++i];
        else if (n === "?" || n === "[" || n === "*") cur += `\\\\\\${arg[++i]}`;
        else {
          cur += c;
          if (n !== undefined) cur += arg[++i];
        }
      } else {
        if (state === "start") {
          state = "unquoted";
          quote = "";
        }
        if (n === "?" || n === "[" || n === "*" || n === "\\") cur += c + arg[++i];
        else if (n === undefined) {
          terminated = false; // early_nul
          break;
        } else cur += arg[++i];
      }
    } else if (c === "#" && state !== "squote" && state !== "dquote") {
      break;
    } else if (c === undefined) {
      if (state === "squote" || state === "dquote") {
        state = "unquoted";
        terminated = false;
      }
      break;
    } else {
      if (state === "start") {
        state = "unquoted";
        quote = "";
      }
      if ((state === "squote" || state === "dquote") && (c === "?" || c === "[" || c === "*")) cur += `\\${c}`;
      else cur += c;
    }
  }
  if (state !== "start") argv.push(cur);
  return { argv, quote, terminated };
}

/** sftp.c complete_display(): the choices in columns, `strip` leading characters cut from each, one "\n" per row. */
export function formatChoices(list: readonly string[], strip: number, width: number): string {
  let m = 0;
  for (const s of list) m = Math.max(m, textWidth(s));
  m = m > strip ? m - strip : 0;
  const columns = Math.max(Math.trunc(width / (m + 2)), 1);
  const colspace = Math.min(Math.trunc(width / columns), width);
  let out = "";
  let c = 1;
  for (const s of list) {
    const t = [...s].length > strip ? [...s].slice(strip).join("") : "";
    out += t + " ".repeat(Math.max(colspace - textWidth(t), 0));
    if (c >= columns) {
      out += "\n";
      c = 1;
    } else c++;
  }
  return `${out}\n`;
}

/** sftp.c complete_ambiguous(): the longest stem every choice shares, when it is longer than `word`. */
function commonStem(word: string, list: readonly string[]): string {
  if (list.length === 0) return word;
  let stem = [...list[0]!];
  for (const s of list.slice(1)) {
    const cs = [...s];
    let j = 0;
    while (j < stem.length && stem[j] === cs[j]) j++;
    stem = stem.slice(0, j);
  }
  const joined = stem.join("");
  return joined.length > word.length ? joined : word;
}

/** Escapes for the shell-like line: the characters makeargv would otherwise split or glob on. */
function quoteInsert(text: string, quote: string): string {
  let out = "";
  for (const ch of text) {
    const special = ch === "'" || ch === '"' || ch === "\\" || ch === "\t" || ch === "[" || ch === " " || ch === "#" || ch === "*";
    out += special && (quote === "" || ch === quote) ? `\\${ch}` : ch;
  }
  return out;
}

/** sftp.c complete(): what TAB does with `line` when the cursor is at `cursor` (an offset into `line`). */
export async function completeSftpLine(line: string, cursor: number, ctx: CompletionContext): Promise<Completion> {
  const before = splitSloppy(line.slice(0, cursor));
  const carg = before.argv.length;
  const argc = splitSloppy(line).argv.length;
  const at = line[cursor];
  // only at the end of the line or of an argument
  if (at !== undefined && at !== " " && at !== "\n") return NOTHING;
  const lastarg = argc === carg;
  const prev = line[cursor - 1];
  if (carg === 0) return { insert: "", display: formatChoices(COMPLETION_TABLE.map((r) => r[0]), 0, ctx.columns) };
  if (carg === 1 && cursor > 0 && prev !== " ") return completeCommand(before.argv[0]!, lastarg, at, before.quote, before.terminated, ctx.columns);
  const file = carg > 1 && prev !== " " ? before.argv[carg - 1]! : null;
  let cmdarg = 0;
  for (const a of before.argv.slice(1, carg)) if (!a.startsWith("-")) cmdarg++;
  if (prev === " ") cmdarg++;
  const name = before.argv[0]!.toLowerCase();
  const row = COMPLETION_TABLE.find((r) => name.startsWith(r[0]));
  const kind = row === undefined ? "none" : cmdarg === 1 ? row[1] : cmdarg === 2 ? row[2] : "none";
  if (kind === "none") return NOTHING;
  return completePath(file, kind, lastarg, at, before.quote, before.terminated, ctx);
}

function completeCommand(cmd: string, lastarg: boolean, at: string | undefined, quote: string, terminated: boolean, columns: number): Completion {
  const lower = cmd.toLowerCase();
  const list = COMPLETION_TABLE.map((r) => r[0]).filter((c) => c.startsWith(lower));
  if (list.length === 0) return NOTHING;
  const stem = commonStem(cmd, list);
  let insert = stem.length > cmd.length ? stem.slice(cmd.length) : "";
  if (list.length === 1) {
    if (!terminated) insert += quote;
    if (lastarg || at !== " ") insert += " ";
  }
  return { insert, display: list.length > 1 ? formatChoices(list, 0, columns) : null };
}

async function completePath(
  file: string | null, kind: "remote" | "local", lastarg: boolean, at: string | undefined, quote: string, terminated: boolean,
  ctx: CompletionContext,
): Promise<Completion> {
  let pattern = `${file ?? ""}*`;
  const isAbs = pattern.startsWith("/");
  let paths: string[];
  if (kind === "remote") {
    if (!isAbs) pattern = `${escapeGlob(ctx.pwd)}${ctx.pwd.endsWith("/") ? "" : "/"}${pattern}`;
    paths = (await ctx.remoteGlob(pattern)) ?? [];
  } else paths = await ctx.localGlob(pattern);
  // the directory part of the pattern (cut from the choices shown), and whether the user typed a glob of their own
  let pwdlen = 0;
  let hadGlob = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*" || c === "?") {
      if (c !== "*" || i + 1 !== pattern.length) hadGlob = true;
      break;
    }
    if (c === "\\" && i + 1 < pattern.length) i++;
    if (pattern[i] === "/") pwdlen = i + 1;
  }
  if (paths.length === 0) return NOTHING;
  const display = paths.length > 1 ? formatChoices(paths, [...pattern.slice(0, pwdlen)].length, ctx.columns) : null;
  if (file === null || hadGlob) return { insert: "", display };
  const stem = pathStrip(commonStem(file, paths), isAbs || kind === "local" ? undefined : ctx.pwd);
  // the typed word's escapes are not in the matches
  let escapes = 0;
  for (let i = 0, esc = false; i < file.length; i++) {
    if (!esc && file[i] === "\\" && i + 1 < file.length) {
      esc = true;
      escapes++;
    } else esc = false;
  }
  let insert = "";
  if (stem.length > file.length - escapes) insert = quoteInsert(stem.slice(file.length - escapes), quote);
  if (paths.length === 1) {
    const lastChar = insert !== "" ? insert.at(-1) : file.at(-1);
    if (!terminated && quote !== "") insert += quote;
    if (lastChar !== "/" && (lastarg || at !== " ")) insert += " ";
  }
  return { insert, display };
}

