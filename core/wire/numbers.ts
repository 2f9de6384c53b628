// SSH message numbers with their RFC names (RFC 4250 §4.1, RFC 4253/4252/4254, RFC 8308, OpenSSH PROTOCOL), and the
// other registries the layers share. One grep finds a name here, in the RFC and in OpenSSH.

export const SSH_MSG_DISCONNECT = 1;
export const SSH_MSG_IGNORE = 2;
export const SSH_MSG_UNIMPLEMENTED = 3;
export const SSH_MSG_DEBUG = 4;
export const SSH_MSG_SERVICE_REQUEST = 5;
export const SSH_MSG_SERVICE_ACCEPT = 6;
export const SSH_MSG_EXT_INFO = 7; // RFC 8308
export const SSH_MSG_NEWCOMPRESS = 8; // RFC 8308
export const SSH_MSG_KEXINIT = 20;
export const SSH_MSG_NEWKEYS = 21;
/** Key-exchange-method specific messages (RFC 4253 §12: 30..49). */
export const SSH_MSG_KEX_ECDH_INIT = 30; // RFC 5656; also curve25519, hybrid KEMs; KEXDH_INIT has the same number
export const SSH_MSG_KEX_ECDH_REPLY = 31;
export const SSH_MSG_KEXDH_INIT = 30;
export const SSH_MSG_KEXDH_REPLY = 31;
export const SSH_MSG_KEX_DH_GEX_REQUEST_OLD = 30; // RFC 4419
export const SSH_MSG_KEX_DH_GEX_GROUP = 31;
export const SSH_MSG_KEX_DH_GEX_INIT = 32;
export const SSH_MSG_KEX_DH_GEX_REPLY = 33;
export const SSH_MSG_KEX_DH_GEX_REQUEST = 34;
export const SSH_MSG_USERAUTH_REQUEST = 50;
export const SSH_MSG_USERAUTH_FAILURE = 51;
export const SSH_MSG_USERAUTH_SUCCESS = 52;
export const SSH_MSG_USERAUTH_BANNER = 53;
export const SSH_MSG_USERAUTH_PK_OK = 60; // publickey
export const SSH_MSG_USERAUTH_PASSWD_CHANGEREQ = 60; // password
export const SSH_MSG_USERAUTH_INFO_REQUEST = 60; // keyboard-interactive (RFC 4256)
export const SSH_MSG_USERAUTH_INFO_RESPONSE = 61;
export const SSH_MSG_GLOBAL_REQUEST = 80;
export const SSH_MSG_REQUEST_SUCCESS = 81;
export const SSH_MSG_REQUEST_FAILURE = 82;
export const SSH_MSG_CHANNEL_OPEN = 90;
export const SSH_MSG_CHANNEL_OPEN_CONFIRMATION = 91;
export const SSH_MSG_CHANNEL_OPEN_FAILURE = 92;
export const SSH_MSG_CHANNEL_WINDOW_ADJUST = 93;
export const SSH_MSG_CHANNEL_DATA = 94;
export const SSH_MSG_CHANNEL_EXTENDED_DATA = 95;
export const SSH_MSG_CHANNEL_EOF = 96;
export const SSH_MSG_CHANNEL_CLOSE = 97;
export const SSH_MSG_CHANNEL_REQUEST = 98;
export const SSH_MSG_CHANNEL_SUCCESS = 99;
export const SSH_MSG_CHANNEL_FAILURE = 100;
export const SSH2_MSG_PING = 192; // OpenSSH PROTOCOL §1.9
export const SSH2_MSG_PONG = 193;

/** RFC 4254 §5.1 channel open failure reason codes. */
export const SSH_OPEN_ADMINISTRATIVELY_PROHIBITED = 1;
export const SSH_OPEN_CONNECT_FAILED = 2;
export const SSH_OPEN_UNKNOWN_CHANNEL_TYPE = 3;
export const SSH_OPEN_RESOURCE_SHORTAGE = 4;

/** RFC 4254 §5.2 extended data type for stderr. */
export const SSH_EXTENDED_DATA_STDERR = 1;

const NAMES: Record<number, string> = {
  1: "SSH_MSG_DISCONNECT", 2: "SSH_MSG_IGNORE", 3: "SSH_MSG_UNIMPLEMENTED", 4: "SSH_MSG_DEBUG",
  5: "SSH_MSG_SERVICE_REQUEST", 6: "SSH_MSG_SERVICE_ACCEPT", 7: "SSH_MSG_EXT_INFO", 8: "SSH_MSG_NEWCOMPRESS",
  20: "SSH_MSG_KEXINIT", 21: "SSH_MSG_NEWKEYS", 30: "SSH_MSG_KEX_ECDH_INIT", 31: "SSH_MSG_KEX_ECDH_REPLY",
  32: "SSH_MSG_KEX_DH_GEX_INIT", 33: "SSH_MSG_KEX_DH_GEX_REPLY", 34: "SSH_MSG_KEX_DH_GEX_REQUEST",
  50: "SSH_MSG_USERAUTH_REQUEST", 51: "SSH_MSG_USERAUTH_FAILURE", 52: "SSH_MSG_USERAUTH_SUCCESS",
  53: "SSH_MSG_USERAUTH_BANNER", 60: "SSH_MSG_USERAUTH_PK_OK", 61: "SSH_MSG_USERAUTH_INFO_RESPONSE",
  80: "SSH_MSG_GLOBAL_REQUEST", 81: "SSH_MSG_REQUEST_SUCCESS", 82: "SSH_MSG_REQUEST_FAILURE",
  90: "SSH_MSG_CHANNEL_OPEN", 91: "SSH_MSG_CHANNEL_OPEN_CONFIRMATION", 92: "SSH_MSG_CHANNEL_OPEN_FAILURE",
  93: "SSH_MSG_CHANNEL_WINDOW_ADJUST", 94: "SSH_MSG_CHANNEL_DATA", 95: "SSH_MSG_CHANNEL_EXTENDED_DATA",
  96: "SSH_MSG_CHANNEL_EOF", 97: "SSH_MSG_CHANNEL_CLOSE", 98: "SSH_MSG_CHANNEL_REQUEST",
  99: "SSH_MSG_CHANNEL_SUCCESS", 100: "SSH_MSG_CHANNEL_FAILURE", 192: "SSH2_MSG_PING", 193: "SSH2_MSG_PONG",
};

/** The RFC name of a message number (for debug logs), or `unknown type N`. */
export function messageName(n: number): string {
  return NAMES[n] ?? `unknown type ${n}`;
}
