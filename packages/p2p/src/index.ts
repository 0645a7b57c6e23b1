import "./polyfill.ts";

export { toMultiaddrString } from "./address.ts";
export {
  ConfigError,
  MessageTooLargeError,
  NotStartedError,
  P2PError,
  PeerNotConnectedError,
  ProtocolViolationError,
  SendBufferFullError,
  UnknownPeerError,
} from "./errors.ts";
export {
  type BroadcastResult,
  createNode,
  type MessageHandler,
  type NodeEvents,
  type NodeOptions,
  type P2PNode,
  type PeerConfig,
  type PeerStatus,
  type RefusedEvent,
  WIRE_PROTOCOL,
} from "./node.ts";
