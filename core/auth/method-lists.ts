// sshd's AuthenticationMethods: lists of methods that must all succeed, in order (`publickey,password
// publickey,keyboard-interactive:pam`). A method is allowed when it heads some list; success removes it from the head
// of every list it heads, and authentication completes when a list runs empty (auth2.c list_starts_with(),
// remove_method(), auth2_update_methods_lists()).

/** Methods the server implements, in the order OpenSSH lists them in USERAUTH_FAILURE (auth2.c authmethods[]). */
export const SERVER_METHOD_ORDER: readonly string[] = ["publickey", "password", "keyboard-interactive"];

type Match = "none" | "method" | "both" | "partial";

/** How `entry` (`method` or `method:submethod`) matches a method and optional submethod. */
function matchEntry(entry: string, method: string, submethod: string | undefined): Match {
  const colon = entry.indexOf(":");
  const name = colon < 0 ? entry : entry.slice(0, colon);
  if (name !== method) return "none";
  if (colon < 0) return "method";
  if (submethod === undefined) return "partial";
  return entry.slice(colon + 1) === submethod ? "both" : "none";
}

/** The per-connection state of AuthenticationMethods. */
export class MethodLists {
  /** Remaining methods of each list; null when AuthenticationMethods is not set (any one method suffices). */
  private readonly lists: string[][] | null;
  /** Lists skipped because they name a method that is not enabled (for the log). */
  readonly skipped: readonly string[];

  /** Throws when lists were configured but none survives (sshd: "no authentication methods enabled"). */
  constructor(config: readonly string[] | undefined, enabled: readonly string[]) {
    const skipped: string[] = [];
    if (config === undefined || config.length === 0 || (config.length === 1 && config[0] === "any")) {
      this.lists = null;
    } else {
      this.lists = [];
      for (const list of config) {
        const entries = list.split(",");
        const ok = entries.every((e) => {
          const name = e.split(":")[0]!;
          return e !== "" && enabled.includes(name);
        });
        if (ok) this.lists.push(entries);
        else skipped.push(list);
      }
      if (this.lists.length === 0) throw new Error("No AuthenticationMethods left after eliminating disabled methods");
    }
    this.skipped = skipped;
  }

  /** Whether AuthenticationMethods is in force. */
  get configured(): boolean {
    return this.lists !== null;
  }

  /** Whether `method` may be tried now (auth2_method_allowed()). */
  allowed(method: string): boolean {
    if (this.lists === null) return true;
    return this.lists.some((l) => l.length > 0 && matchEntry(l[0]!, method, undefined) !== "none");
  }

  /** Records a success; true when some list is now complete (auth2_update_methods_lists()). */
  complete(method: string, submethod: string | undefined): boolean {
    if (this.lists === null) return true;
    let done = false;
    for (const l of this.lists) {
      if (l.length === 0) continue;
      const m = matchEntry(l[0]!, method, submethod);
      if (m !== "method" && m !== "both") continue;
      l.shift();
      if (l.length === 0) done = true;
    }
    return done;
  }

  /** The remaining lists, for debug logs. */
  describe(): string[] {
    return this.lists === null ? [] : this.lists.map((l) => l.join(","));
  }
}
