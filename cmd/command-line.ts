// Command-line shapes beyond getopt: ssh's destination and remote command (ssh.c main(): options may follow the
// destination, and the first operand after it starts the command), and the plain "options then operands" of the rest.
import { getopt, optionTable, type OptionRow, type ParsedOption } from "./getopt.ts";
import { OPTSTRINGS, type ProgramName } from "./usage.ts";

const TABLES = new Map<ProgramName, OptionRow[]>(
  (Object.keys(OPTSTRINGS) as ProgramName[]).map((name) => [name, optionTable(OPTSTRINGS[name])]),
);

/** The option table of a program. */
export function tableOf(program: ProgramName): readonly OptionRow[] {
  return TABLES.get(program)!;
}

/** A parsed command line: options in order and the operands after them. */
export interface CommandLine {
  readonly options: ParsedOption[];
  readonly operands: string[];
}

/** Options then operands, as getopt(3) sees them. `-V` ends parsing where the program prints its version at once. */
export function parseCommandLine(program: ProgramName, args: readonly string[]): CommandLine {
  const stopOn = program === "sshd" || program === "ssh-agent" ? "V" : "";
  const r = getopt(args, tableOf(program), 0, stopOn);
  return { options: r.options, operands: args.slice(r.next) };
}

/** ssh's command line: options (before and after the destination), the destination, and the remote command words. */
export interface SshCommandLine {
  readonly options: ParsedOption[];
  /** `[user@]host[:port]`-style destination or `ssh://` URI as typed; undefined when none was given. */
  readonly destination: string | undefined;
  /** Remote command words; ssh joins them with spaces (`ssh host ls -l` sends "ls -l"). */
  readonly command: string[];
}

/**
 * ssh.c main(): getopt stops at the destination; if more arguments follow and "--" did not end the options, getopt
 * runs again on them, so `ssh host -p 2222 ls -l` sets the port and sends "ls -l".
 */
export function parseSshCommandLine(args: readonly string[]): SshCommandLine {
  const table = tableOf("ssh");
  const first = getopt(args, table, 0, "V");
  const options = [...first.options];
  if (options.some((o) => o.flag === "V") || first.next >= args.length) {
    return { options, destination: undefined, command: [] };
  }
  const destination = args[first.next]!;
  let rest = first.next + 1;
  if (rest < args.length && !first.terminated) {
    const second = getopt(args, table, rest, "V");
    options.push(...second.options);
    rest = second.next;
  }
  return { options, destination, command: args.slice(rest) };
}
