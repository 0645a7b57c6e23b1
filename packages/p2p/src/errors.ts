/** Base class for every error thrown by @cohort/p2p. */
export class P2PError extends Error {
  override name = "P2PError";
}

/** The peer index is not in the configured peer list (or is this node itself). */
export class UnknownPeerError extends P2PError {
  override name = "UnknownPeerError";
  constructor(readonly peerIndex: number) {
    super(`unknown peer index ${peerIndex}`);
  }
}

/** There is currently no authenticated connection to the peer; the message was not queued. */
export class PeerNotConnectedError extends P2PError {
  override name = "PeerNotConnectedError";
  constructor(readonly peerIndex: number) {
    super(`peer ${peerIndex} is not connected; message not sent`);
  }
}

/** The payload exceeds the configured maximum message size; it was not sent. */
export class MessageTooLargeError extends P2PError {
  override name = "MessageTooLargeError";
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`message of ${size} bytes exceeds the maximum of ${max} bytes`);
  }
}

/** The per-peer send buffer is full (slow or stalled peer); the message was not queued. */
export class SendBufferFullError extends P2PError {
  override name = "SendBufferFullError";
  constructor(
    readonly peerIndex: number,
    readonly buffered: number,
    readonly max: number,
  ) {
    super(
      `send buffer to peer ${peerIndex} is full (${buffered} bytes queued, limit ${max}); message not sent`,
    );
  }
}

/** A remote peer violated the wire protocol (bad frame, oversized frame). */
export class ProtocolViolationError extends P2PError {
  override name = "ProtocolViolationError";
}

/** The node configuration is invalid. */
export class ConfigError extends P2PError {
  override name = "ConfigError";
}

/** The node is not running. */
export class NotStartedError extends P2PError {
  override name = "NotStartedError";
  constructor() {
    super("p2p node is not started");
  }
}
