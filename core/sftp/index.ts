// SFTP v3 with OpenSSH's extensions: codec, server (sftp-server and, later, internal-sftp inside sshd).
export * from "./protocol.ts";
export * from "./codec.ts";
export { SftpProtocolError, SftpStatusError, errnoToStatus, statusOf } from "./errors.ts";
export { fileNameService, longname, statToAttrs, strmode, type NameService, type UserEntry } from "./attrs.ts";
export { sftpRealpath } from "./paths.ts";
export { HANDLERS, EXTENDED_HANDLERS, pflagsText } from "./handlers.ts";
export {
  serveSftp, requestNames, defaultMaxHandles,
  type SftpServerOptions, type SftpSessionEnd, type SftpOutput, type ReplyPacket,
} from "./server.ts";
export * from "./client.ts";
export * from "./glob.ts";
