// The connection protocol (RFC 4254): channels, their flow control, session requests, global requests.
export {
  Channel, ChannelData, CHAN_BULK_WINDOW, CHAN_SES_PACKET_DEFAULT, CHAN_SES_WINDOW_DEFAULT,
  type ChannelHandler, type ChannelOptions,
} from "./channel.ts";
export { ChannelOpenError, openFailureReasonText } from "./errors.ts";
export * from "./messages.ts";
export {
  ChannelMux, isConnectionMessage, MAX_CHANNELS_DEFAULT, type GlobalReply, type GlobalRequestResult, type IncomingOpen, type MuxHandler,
  type MuxOptions,
} from "./mux.ts";
export * from "./session.ts";
export { dataSink, pumpToChannel } from "./stream.ts";
export {
  type BridgeSocket, CONNECT_TIMEOUT_MS_DEFAULT, connectBridged, ConnectFailure, type ConnectTarget, SocketBridge, SOCKET_BRIDGE_HANDLERS,
} from "./socket-bridge.ts";
