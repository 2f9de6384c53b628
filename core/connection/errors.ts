// Errors of the connection layer (RFC 4254). ChannelOpenError is the sibling of ProtocolError that STYLE.md §6 names;
// it lives here until core/errors.ts takes it over.
import { SshError } from "../errors.ts";
import {
  SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, SSH_OPEN_CONNECT_FAILED, SSH_OPEN_RESOURCE_SHORTAGE, SSH_OPEN_UNKNOWN_CHANNEL_TYPE,
} from "../wire/index.ts";

/** The wording OpenSSH logs for an RFC 4254 §5.1 reason code (channels.c reason2txt). */
export function openFailureReasonText(code: number): string {
  switch (code) {
    case SSH_OPEN_ADMINISTRATIVELY_PROHIBITED: return "administratively prohibited";
    case SSH_OPEN_CONNECT_FAILED: return "connect failed";
    case SSH_OPEN_UNKNOWN_CHANNEL_TYPE: return "unknown channel type";
    case SSH_OPEN_RESOURCE_SHORTAGE: return "resource shortage";
    default: return "unknown reason";
  }
}

/**
 * A channel could not be opened: the peer sent SSH_MSG_CHANNEL_OPEN_FAILURE (RFC 4254 §5.1), or an open handler throws
 * it to refuse. `code` is the reason code, `description` the peer's (or our) text, unescaped.
 */
export class ChannelOpenError extends SshError {
  override name = "ChannelOpenError";
  constructor(
    readonly code: number,
    readonly description: string,
  ) {
    // channels.c: "channel %d: open failed: %s%s%s"
    super(`open failed: ${openFailureReasonText(code)}${description === "" ? "" : `: ${description}`}`);
  }
}
