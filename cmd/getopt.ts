// One table-driven getopt for every program, with the semantics of OpenSSH's getopt (openbsd-compat/getopt_long.c
// called through getopt(3), no permutation): options stop at the first operand, at "-" alone, or after "--"; flags group
// (`-fNT`); a value is the rest of its argument or the next argument (`-p2222`, `-p 2222`), even if that starts with '-'.

/** One row of a program's option table. */
export interface OptionRow {
  /** The option character. */
  readonly flag: string;
  /** Whether it takes a value. */
  readonly takesValue: boolean;
}

/** One parsed option occurrence, in command-line order. */
export interface ParsedOption {
  readonly flag: string;
  /** The value for options that take one; undefined for plain flags. */
  readonly value: string | undefined;
}

/** Options seen so far and where parsing stopped. */
export interface GetoptResult {
  /** Every option in order, repeated ones included (`-vvv` gives three `v`). */
  readonly options: ParsedOption[];
  /** Index in `args` of the first operand (== args.length when there is none). */
  readonly next: number;
  /** True when parsing stopped at "--" (so later arguments are never options). */
  readonly terminated: boolean;
}

/** A getopt failure: OpenSSH prints `message` (its wording) and then the program's usage. */
export class GetoptError extends Error {
  override name = "GetoptError";
}

/** Builds an option table from a getopt(3) option string (`"46Ab:c:"`: a colon marks a value). */
export function optionTable(optstring: string): OptionRow[] {
  const rows: OptionRow[] = [];
  for (let i = 0; i < optstring.length; i++) {
    const flag = optstring[i]!;
    if (flag === ":") continue;
    rows.push({ flag, takesValue: optstring[i + 1] === ":" });
  }
  return rows;
}

/**
 * Parses options from `args[start..]` until the first operand. Throws GetoptError with OpenSSH's wording
 * (`unknown option -- Z`, `option requires an argument -- p`). A flag in `stopOn` ends parsing right after it.
 */
export function getopt(
  args: readonly string[],
  table: readonly OptionRow[],
  start = 0,
  stopOn = "",
): GetoptResult {
  const options: ParsedOption[] = [];
  let i = start;
  while (i < args.length) {
    const arg = args[i]!;
    if (arg === "--") return { options, next: i + 1, terminated: true };
    if (arg.length < 2 || arg[0] !== "-") break; // an operand, or "-" alone (stdin by convention)
    i++;
    for (let j = 1; j < arg.length; j++) {
      const flag = arg[j]!;
      const row = table.find((r) => r.flag === flag);
      if (row === undefined) throw new GetoptError(`unknown option -- ${flag}`);
      if (!row.takesValue) {
        options.push({ flag, value: undefined });
        // Options that act at once in OpenSSH (`-V` prints and exits inside the getopt loop): later arguments are not read.
        if (stopOn.includes(flag)) return { options, next: i, terminated: false };
        continue;
      }
      if (j + 1 < arg.length) {
        options.push({ flag, value: arg.slice(j + 1) }); // attached: -p2222, -L8080:h:80
      } else if (i < args.length) {
        options.push({ flag, value: args[i]! }); // detached: -p 2222 (the value may start with '-')
        i++;
      } else {
        throw new GetoptError(`option requires an argument -- ${flag}`);
      }
      break;
    }
  }
  return { options, next: i, terminated: false };
}

/** Counts how often `flag` was given (`-vvv` → 3). */
export function countFlag(parsed: readonly ParsedOption[], flag: string): number {
  let n = 0;
  for (const o of parsed) if (o.flag === flag) n++;
  return n;
}

/** Every value given for `flag`, in order (several `-L`, `-o`). */
export function valuesOf(parsed: readonly ParsedOption[], flag: string): string[] {
  const out: string[] = [];
  for (const o of parsed) if (o.flag === flag && o.value !== undefined) out.push(o.value);
  return out;
}

/** The last value given for `flag` (OpenSSH keeps the last `-p`, `-l`, ...), or undefined. */
export function lastValue(parsed: readonly ParsedOption[], flag: string): string | undefined {
  for (let i = parsed.length - 1; i >= 0; i--) if (parsed[i]!.flag === flag) return parsed[i]!.value;
  return undefined;
}

/** The first value given for `flag` (OpenSSH's ssh keeps the first `-p` and `-l`), or undefined. */
export function firstValue(parsed: readonly ParsedOption[], flag: string): string | undefined {
  for (const o of parsed) if (o.flag === flag) return o.value;
  return undefined;
}
