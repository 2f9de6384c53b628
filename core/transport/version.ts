// RFC 4253 §4.2 protocol version exchange, with OpenSSH's limits and wording (kex.c kex_exchange_identification):
// lines before the identification string are allowed from a server only (at most 1024), lines are at most 8192
// bytes, and "SSH-1.x" (other than 1.99) is refused with "Protocol major versions differ.".

/** kex.c SSH_MAX_BANNER_LEN and SSH_MAX_PRE_BANNER_LINES. */
export const MAX_BANNER_LINE = 8192;
export const MAX_PRE_BANNER_LINES = 1024;

/** The exchange failed: `toPeer` is the line OpenSSH sends before closing (send_error), `log` what it logs. */
export class IdentificationError extends Error {
  override name = "IdentificationError";
  constructor(
    readonly toPeer: string | undefined,
    readonly log: string,
  ) {
    super(log);
  }
}

/** Result of a completed exchange. */
export interface PeerIdentification {
  /** The identification line without CR LF, e.g. `SSH-2.0-OpenSSH_10.5`. */
  readonly version: string;
  /** The software-version part (`OpenSSH_10.5 Debian-1`), for compatibility decisions. */
  readonly software: string;
  /** Lines the server sent before its identification (clients log them at debug level). */
  readonly preBanner: string[];
}

/** Reads the peer's identification incrementally from the first bytes of the stream. */
export class IdentificationReader {
  private line: number[] = [];
  private expectNl = false;
  private readonly preBanner: string[] = [];

  constructor(private readonly weAreServer: boolean) {}

  /**
   * Consumes bytes of `chunk` from `start`. Returns the identification and the offset of the first byte after it
   * (the start of the binary packet stream), or null when more bytes are needed.
   */
  push(chunk: Uint8Array, start = 0): { id: PeerIdentification; next: number } | null {
    for (let i = start; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 0x0d) {
        this.expectNl = true;
        continue;
      }
      if (c !== 0x0a) {
        if (c === 0 || this.expectNl) throw invalid("banner line contains invalid characters");
        this.line.push(c);
        if (this.line.length > MAX_BANNER_LINE) throw invalid("banner line too long");
        continue;
      }
      const text = Buffer.from(this.line).toString("latin1");
      this.line = [];
      this.expectNl = false;
      if (text.length > 4 && text.startsWith("SSH-")) return { id: this.finish(text), next: i + 1 };
      if (this.weAreServer) throw invalid(`client sent invalid protocol identifier "${text.slice(0, 256)}"`);
      this.preBanner.push(text);
      if (this.preBanner.length >= MAX_PRE_BANNER_LINES) {
        throw new IdentificationError("No SSH identification string received.", `No SSH version received in first ${MAX_PRE_BANNER_LINES} lines from server`);
      }
    }
    return null;
  }

  private finish(text: string): PeerIdentification {
    const m = /^SSH-(\d+)\.(\d+)-(.+)$/.exec(text);
    if (!m) throw new IdentificationError("Invalid SSH identification string.", `Bad remote protocol version identification: '${text.slice(0, 100)}'`);
    const major = Number(m[1]);
    const minor = Number(m[2]);
    if (!(major === 2 || (major === 1 && minor === 99))) {
      throw new IdentificationError("Protocol major versions differ.", `Protocol major versions differ: 2 vs. ${major}`);
    }
    return { version: text, software: m[3]!, preBanner: this.preBanner };
  }
}

function invalid(log: string): IdentificationError {
  return new IdentificationError("Invalid SSH identification string.", log);
}
