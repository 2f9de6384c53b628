// The client side of one session channel (OpenSSH clientloop.c / ssh.c ssh_session2): env, pty-req, then exec, shell or
// subsystem; stdin to the channel, channel data to stdout and stderr, and the remote exit status as ours.
import { ChannelMux, dataSink, pumpToChannel, type ChannelRequest, type TerminalMode } from "../connection/index.ts";

/** Where a session's bytes come from and go to. */
export interface SessionStreams {
  /** Local input; null: nothing (ssh -n, or -N). */
  readonly stdin: AsyncIterable<Uint8Array> | null;
  /** Writes to stdout / stderr; `done` is called when the bytes are taken (flow control back to the peer). */
  readonly stdout: (bytes: Uint8Array, done: () => void) => void;
  readonly stderr: (bytes: Uint8Array, done: () => void) => void;
}

/** What to ask the server for. */
export interface SessionRequest {
  /** exec: the command; subsystem: its name; shell: undefined. */
  readonly command?: string;
  readonly subsystem?: boolean;
  readonly env?: readonly [string, string][];
  readonly pty?: { term: string; cols: number; rows: number; modes?: readonly TerminalMode[] };
}

/** How the session ended. */
export interface SessionOutcome {
  /** The remote exit status; null when the server sent none (OpenSSH then exits 255) or a signal. */
  readonly exitStatus: number | null;
  readonly exitSignal: string | null;
  /** The server refused the exec/shell/subsystem request. */
  readonly refused: boolean;
}

/** Opens a session channel, runs it to the end and reports the outcome. */
export async function runClientSession(mux: ChannelMux, req: SessionRequest, io: SessionStreams): Promise<SessionOutcome> {
  const ch = await mux.openChannel({ type: "session" });
  let exitStatus: number | null = null;
  let exitSignal: string | null = null;
  ch.attach({
    onData: dataSink(io.stdout),
    onExtendedData: dataSink(io.stderr),
    onRequest: (r) => {
      if (r.type === "exit-status") exitStatus = r.exitStatus;
      else if (r.type === "exit-signal") exitSignal = r.signal;
      return false;
    },
  });
  for (const [name, value] of req.env ?? []) ch.send({ type: "env", name, value } as ChannelRequest);
  if (req.pty) {
    await ch.request({ type: "pty-req", term: req.pty.term, widthChars: req.pty.cols, heightRows: req.pty.rows, widthPixels: 0, heightPixels: 0, modes: req.pty.modes ?? [] } as ChannelRequest);
  }
  const start: ChannelRequest =
    req.subsystem === true ? ({ type: "subsystem", name: req.command ?? "" } as ChannelRequest)
    : req.command !== undefined ? ({ type: "exec", command: req.command } as ChannelRequest)
    : ({ type: "shell" } as ChannelRequest);
  const ok = await ch.request(start);
  if (!ok) {
    ch.close();
    await ch.closed;
    return { exitStatus: null, exitSignal: null, refused: true };
  }
  if (io.stdin) {
    void pumpToChannel(io.stdin, ch).then(
      () => ch.end(),
      () => ch.end(),
    );
  } else {
    ch.end();
  }
  await ch.closed;
  return { exitStatus, exitSignal, refused: false };
}
