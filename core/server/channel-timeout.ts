// sshd's ChannelTimeout and UnusedConnectionTimeout (OpenSSH 9.2+: channels.c channel_get_expiry/channel_force_close,
// serverloop.c wait_until_can_do_something). One coarse timer per connection reads each channel's activity counter, so
// the data path pays one increment per packet and no timer or clock read.
import type { Channel } from "../connection/index.ts";
import { convtime, matchPattern } from "../config/index.ts";
import type { Logger } from "../log.ts";

/** One `type=interval` of ChannelTimeout (not `global`). */
export interface ChannelTimeoutRule {
  /** A channel type pattern (`session:*`, `direct-tcpip`), matched as a whole with `*` and `?` (match.c match_pattern). */
  readonly pattern: string;
  readonly seconds: number;
}

/** ChannelTimeout, parsed. */
export interface ChannelTimeouts {
  /** In the order given: the first rule whose pattern matches a channel's type decides (channels.c lookup_timeout). */
  readonly rules: readonly ChannelTimeoutRule[];
  /** `global=interval`: when all channels together were idle this long, every open channel is closed (0: off). */
  readonly globalSeconds: number;
}

/** channels.c channel_add_timeout for each `type=interval` (sshd_config has checked them; a bad one is skipped). */
export function parseChannelTimeouts(specs: readonly string[]): ChannelTimeouts {
  const rules: ChannelTimeoutRule[] = [];
  let globalSeconds = 0;
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq <= 0) continue;
    const seconds = convtime(spec.slice(eq + 1));
    if (seconds < 0) continue;
    const pattern = spec.slice(0, eq);
    // sshd_config.5: "global" is not matched by wildcards and must be given explicitly
    if (pattern === "global") globalSeconds = seconds;
    else rules.push({ pattern, seconds });
  }
  return { rules, globalSeconds };
}

/** The seconds of inactivity after which a channel of `type` is closed (0: never); channels.c lookup_timeout. */
export function lookupChannelTimeout(timeouts: ChannelTimeouts, type: string): number {
  for (const r of timeouts.rules) if (matchPattern(type, r.pattern)) return r.seconds;
  return 0;
}

/** Wire channel types whose OpenSSH channel (ctype) is named otherwise, the name ChannelTimeout uses. */
const CTYPE: Readonly<Record<string, string>> = {
  "auth-agent@openssh.com": "agent-connection",
  x11: "x11-connection",
  "tun@openssh.com": "tun-connection",
};

/** The name ChannelTimeout matches for a channel: its label (session:shell, ...) or its type as OpenSSH names it. */
export function channelTimeoutType(channel: Pick<Channel, "type" | "label">): string {
  return channel.label ?? CTYPE[channel.type] ?? channel.type;
}

/** What the watch needs from the mux. */
export interface WatchedChannels {
  /** Channels in the table (open, opening or closing): none means the connection is unused. */
  readonly channelCount: number;
  forEachOpenChannel(fn: (channel: Channel) => void): void;
}

/** Settings for an IdleWatch. */
export interface IdleWatchOptions {
  readonly timeouts: ChannelTimeouts;
  /** UnusedConnectionTimeout in seconds (0: off). */
  readonly unusedConnectionSeconds: number;
  /** `user NAME ADDR port N` (sshpkt_fmt_connection_id), for the log line. */
  readonly remoteId: string;
  /** Ends the connection (UnusedConnectionTimeout; OpenSSH exits without a DISCONNECT). */
  readonly closeConnection: () => void;
  readonly log: Logger;
  /** Monotonic milliseconds; a test passes a fake clock. */
  readonly now?: () => number;
}

interface Watched {
  activity: number;
  lastUsedMs: number;
  type: string;
  seconds: number;
  expired: boolean;
  mark: number;
}

/** Closes idle channels and an unused connection; check() runs on the timer startIdleWatch() sets up. */
export class IdleWatch {
  private readonly watched = new Map<Channel, Watched>();
  private readonly now: () => number;
  private globalLastMs: number;
  private unusedSinceMs: number | undefined;
  private generation = 0;
  private done = false;

  constructor(
    private readonly channels: WatchedChannels,
    private readonly opts: IdleWatchOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.globalLastMs = this.now();
    // sshd_config.5: the UnusedConnectionTimeout clock starts when user authentication completes
    this.unusedSinceMs = this.globalLastMs;
  }

  /** Whether anything is configured (otherwise no timer is needed). */
  get active(): boolean {
    return this.opts.timeouts.globalSeconds > 0 || this.opts.timeouts.rules.some((r) => r.seconds > 0) || this.opts.unusedConnectionSeconds > 0;
  }

  /** How often check() should run: a quarter of the shortest timeout, within 100 ms .. 1 s. */
  get tickMs(): number {
    const all = [this.opts.timeouts.globalSeconds, this.opts.unusedConnectionSeconds, ...this.opts.timeouts.rules.map((r) => r.seconds)];
    const shortest = Math.min(...all.filter((s) => s > 0));
    return Number.isFinite(shortest) ? Math.min(1000, Math.max(100, (shortest * 1000) / 4)) : 1000;
  }

  /** Notes activity since the last check, closes channels idle past their timeout, ends an unused connection. */
  check(): void {
    if (this.done) return;
    const now = this.now();
    const mark = ++this.generation;
    this.channels.forEachOpenChannel((ch) => {
      const type = channelTimeoutType(ch);
      let w = this.watched.get(ch);
      if (w === undefined) {
        // channels.c channel_new / channel_register_fds: a new channel counts as used
        w = { activity: ch.activity, lastUsedMs: now, type, seconds: lookupChannelTimeout(this.opts.timeouts, type), expired: false, mark };
        this.watched.set(ch, w);
        this.globalLastMs = now;
        return;
      }
      w.mark = mark;
      if (w.type !== type) {
        // channels.c channel_set_xtype: a new label looks its timeout up again
        w.type = type;
        if (!w.expired) w.seconds = lookupChannelTimeout(this.opts.timeouts, type);
      }
      if (ch.activity !== w.activity) {
        w.activity = ch.activity;
        w.lastUsedMs = now;
        this.globalLastMs = now;
      }
    });
    const globalMs = this.opts.timeouts.globalSeconds * 1000;
    for (const [ch, w] of this.watched) {
      if (w.mark !== mark) {
        this.watched.delete(ch);
        continue;
      }
      if (w.expired) continue;
      // channels.c channel_get_expiry: the earlier of the global and the channel's own deadline
      let expiry = Infinity;
      if (globalMs > 0) expiry = this.globalLastMs + globalMs;
      if (w.seconds > 0) expiry = Math.min(expiry, w.lastUsedMs + w.seconds * 1000);
      if (now < expiry) continue;
      this.opts.log.verbose(`channel ${ch.localId}: closing after ${w.seconds} seconds of inactivity`);
      w.expired = true; // channels.c channel_force_close: exempt from further timeouts
      ch.abort();
    }
    const unused = this.opts.unusedConnectionSeconds;
    if (unused > 0) {
      // serverloop.c: the clock starts when no channel is open and stops when one is
      if (this.channels.channelCount > 0) this.unusedSinceMs = undefined;
      else if (this.unusedSinceMs === undefined) this.unusedSinceMs = now;
      else if (now - this.unusedSinceMs >= unused * 1000) {
        this.opts.log.info(`terminating inactive connection from ${this.opts.remoteId}`);
        this.done = true;
        this.opts.closeConnection();
      }
    }
  }
}

/** Runs an IdleWatch every tickMs until the returned stop() (undefined when nothing is configured). */
export function startIdleWatch(channels: WatchedChannels, opts: IdleWatchOptions): (() => void) | undefined {
  const watch = new IdleWatch(channels, opts);
  if (!watch.active) return undefined;
  const timer = setInterval(() => watch.check(), watch.tickMs);
  return () => clearInterval(timer);
}
