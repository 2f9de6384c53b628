// The user-authentication layer (RFC 4252, RFC 4256, OpenSSH's publickey-hostbound-v00@openssh.com): client and
// server over a PacketConn, the messages, and the texts users and admins grep.
export { runClientAuth, DEFAULT_PREFERRED_AUTHENTICATIONS } from "./client.ts";
export { runServerAuth, type ServerAuth } from "./server.ts";
export {
  chooseSignatureAlgorithm, DEFAULT_PUBKEY_ACCEPTED_ALGORITHMS, keyTypeLabel, keyTypeOf, signatureTypeOf,
} from "./algorithms.ts";
export { MethodLists, SERVER_METHOD_ORDER } from "./method-lists.ts";
export {
  AUTH_LIMITS, blobType, decodeServiceAccept, decodeServiceRequest, decodeUserauthBanner, decodeUserauthFailure,
  decodeUserauthInfoRequest, decodeUserauthInfoResponse, decodeUserauthPasswdChangereq, decodeUserauthPkOk,
  decodeUserauthRequest, PUBLICKEY_HOSTBOUND_METHOD, publickeySignedData, userText, writeServiceName,
  writeUserauthBanner, writeUserauthFailure, writeUserauthHead, writeUserauthInfoRequest,
  type MethodFields, type UserauthBanner, type UserauthFailure, type UserauthInfoRequest, type UserauthPasswdChangereq,
  type UserauthPkOk, type UserauthRequest,
} from "./messages.ts";
export { AUTH_WORDING, escapeText } from "./wording.ts";
export type * from "./types.ts";
