import "./polyfill.ts";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { privateKeyFromRaw, publicKeyFromRaw } from "@libp2p/crypto/keys";
import type { Connection, PeerId, PrivateKey, Stream } from "@libp2p/interface";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import { tcp } from "@libp2p/tcp";
// Not declared in package.json (the lockfile is owned elsewhere): it is libp2p's own
// dependency at the exact version libp2p uses, hoisted to the root node_modules.
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2p } from "libp2p";
import { p2pComponent, toMultiaddrString } from "./address.ts";
import {
  ConfigError,
  MessageTooLargeError,
  NotStartedError,
  PeerNotConnectedError,
  SendBufferFullError,
  UnknownPeerError,
} from "./errors.ts";
import {
  DATA_OVERHEAD,
  encodeData,
  encodePing,
  encodePong,
  encodeProtocol,
  type Frame,
  FrameDecoder,
} from "./frame.ts";

/** The single libp2p protocol that carries every application protocol's frames. */
export const WIRE_PROTOCOL = "/cohort/p2p/1.0.0";

export interface PeerConfig {
  /** Operator index in the cluster lock. */
  index: number;
  /** 33-byte compressed secp256k1 public key (the key in the operator's ENR). */
  publicKey: Uint8Array;
  /** "host:port", "[v6]:port" or a multiaddr ("/ip4/1.2.3.4/tcp/3610"). */
  address: string;
}

export interface NodeOptions {
  /** 32-byte secp256k1 private key of this operator. */
  identityKey: Uint8Array;
  /** All cluster operators; an entry whose key equals our own is recognised as self and skipped. */
  peers: PeerConfig[];
  /** "host:port" (port 0 = ephemeral) or a multiaddr. */
  listen: string;
  /** Largest application payload accepted or sent. Default 16 MiB. */
  maxMessageSize?: number;
  /** Bytes that may be queued for one peer before send() throws SendBufferFullError. Default 2 × maxMessageSize. */
  maxSendBuffer?: number;
  /** Interval between pings to each connected peer. Default 2000 ms. */
  pingIntervalMs?: number;
  /** A peer from which nothing was received for this long is disconnected. Default 5 × pingIntervalMs. */
  idleTimeoutMs?: number;
  /** First reconnect delay. Default 100 ms. */
  reconnectBaseMs?: number;
  /** Cap of the exponential reconnect backoff. Default 10 000 ms. */
  reconnectMaxMs?: number;
  /** Timeout of one dial attempt (TCP + Noise + yamux). Default 5000 ms. */
  dialTimeoutMs?: number;
}

export interface PeerStatus {
  index: number;
  /** Hex of the compressed secp256k1 public key. */
  publicKey: string;
  /** libp2p peer id derived from the public key. */
  peerId: string;
  connected: boolean;
  /** Last measured round trip, ms (includes queueing behind large messages). */
  rttMs: number | undefined;
  /** Estimated remote wall clock minus local wall clock, ms (NTP-style, assumes symmetric paths). */
  clockOffsetMs: number | undefined;
  /** Local wall-clock time (ms) at which the last frame from this peer arrived. */
  lastSeenMs: number | undefined;
  /** Failed dial attempts since the last successful connection. */
  reconnectAttempts: number;
}

export type MessageHandler = (fromPeerIndex: number, payload: Uint8Array) => void;

export interface RefusedEvent {
  /** libp2p peer id that completed a Noise handshake but is not in the peer list. */
  peerId: string;
  direction: "inbound" | "outbound";
}

export interface NodeEvents {
  connect: (peerIndex: number) => void;
  disconnect: (peerIndex: number) => void;
  refused: (event: RefusedEvent) => void;
  /** Errors that have no caller to be thrown to: handler exceptions, protocol violations. */
  error: (error: Error, peerIndex: number | undefined) => void;
}

export interface BroadcastResult {
  sent: number[];
  failed: Array<{ peerIndex: number; error: Error }>;
}

export interface P2PNode {
  /** Our own index if our key is in the peer list. */
  readonly selfIndex: number | undefined;
  /** Our libp2p peer id. */
  readonly peerId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Actual listen address "host:port" (after start). */
  listenAddress(): string;
  /**
   * Queues `payload` for `peerIndex` on `protocol` and returns. Messages to one peer are
   * delivered in order, best effort (no acknowledgement, no retry). Throws UnknownPeerError,
   * MessageTooLargeError, PeerNotConnectedError, SendBufferFullError or NotStartedError;
   * nothing is buffered for a disconnected peer.
   */
  send(peerIndex: number, protocol: string, payload: Uint8Array): void;
  /** send() to every other peer; never throws for per-peer failures, reports them instead. */
  broadcast(protocol: string, payload: Uint8Array): BroadcastResult;
  /** Registers the (single) handler of `protocol`; returns a function that removes it. */
  handle(protocol: string, handler: MessageHandler): () => void;
  peers(): PeerStatus[];
  on<E extends keyof NodeEvents>(event: E, listener: NodeEvents[E]): () => void;
}

interface PeerState {
  cfg: PeerConfig;
  publicKeyHex: string;
  peerId: PeerId;
  peerIdStr: string;
  addr: Multiaddr;
  out: Stream | undefined;
  opening: boolean;
  connected: boolean;
  rttMs: number | undefined;
  clockOffsetMs: number | undefined;
  lastSeenMs: number | undefined;
  attempts: number;
  dialTimer: NodeJS.Timeout | undefined;
  dialing: boolean;
  pings: Map<number, { perf: number; wall: number }>;
}

const MiB = 1024 * 1024;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

function toBytes(chunk: Uint8Array | { subarray(): Uint8Array }): Uint8Array {
  return chunk instanceof Uint8Array ? chunk : chunk.subarray();
}

export function createNode(options: NodeOptions): P2PNode {
  return new Node(options);
}

class Node implements P2PNode {
  readonly selfIndex: number | undefined;
  readonly peerId: string;

  private readonly privateKey: PrivateKey;
  private readonly byIndex = new Map<number, PeerState>();
  private readonly byPeerId = new Map<string, PeerState>();
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly listeners = new Map<keyof NodeEvents, Set<(...args: never[]) => void>>();
  private readonly listenMa: string;
  private readonly maxMessageSize: number;
  private readonly maxSendBuffer: number;
  private readonly pingIntervalMs: number;
  private readonly idleTimeoutMs: number;
  private readonly reconnectBaseMs: number;
  private readonly reconnectMaxMs: number;
  private readonly dialTimeoutMs: number;

  private libp2p: Libp2p | undefined;
  private running = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private pingSeq = 0;

  constructor(o: NodeOptions) {
    if (!(o.identityKey instanceof Uint8Array) || o.identityKey.length !== 32) {
      throw new ConfigError("identityKey must be a 32-byte secp256k1 private key");
    }
    this.privateKey = privateKeyFromRaw(o.identityKey);
    if (this.privateKey.type !== "secp256k1") throw new ConfigError("identityKey must be secp256k1");
    const self = peerIdFromPublicKey(this.privateKey.publicKey);
    this.peerId = self.toString();

    this.maxMessageSize = o.maxMessageSize ?? 16 * MiB;
    this.maxSendBuffer = o.maxSendBuffer ?? 2 * this.maxMessageSize;
    this.pingIntervalMs = o.pingIntervalMs ?? 2000;
    this.idleTimeoutMs = o.idleTimeoutMs ?? 5 * this.pingIntervalMs;
    this.reconnectBaseMs = o.reconnectBaseMs ?? 100;
    this.reconnectMaxMs = o.reconnectMaxMs ?? 10_000;
    this.dialTimeoutMs = o.dialTimeoutMs ?? 5000;
    for (const [k, v] of Object.entries({
      maxMessageSize: this.maxMessageSize,
      maxSendBuffer: this.maxSendBuffer,
      pingIntervalMs: this.pingIntervalMs,
      idleTimeoutMs: this.idleTimeoutMs,
      reconnectBaseMs: this.reconnectBaseMs,
      reconnectMaxMs: this.reconnectMaxMs,
      dialTimeoutMs: this.dialTimeoutMs,
    })) {
      if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`${k} must be a positive number`);
    }
    if (this.maxSendBuffer < this.maxMessageSize + DATA_OVERHEAD + 4) {
      throw new ConfigError("maxSendBuffer must be able to hold one maximum-size message");
    }

    this.listenMa = toMultiaddrString(o.listen);
    let selfIndex: number | undefined;
    for (const p of o.peers) {
      if (!Number.isInteger(p.index) || p.index < 0) throw new ConfigError(`invalid peer index ${p.index}`);
      if (!(p.publicKey instanceof Uint8Array) || p.publicKey.length !== 33) {
        throw new ConfigError(`peer ${p.index}: publicKey must be a 33-byte compressed secp256k1 key`);
      }
      const pub = publicKeyFromRaw(p.publicKey);
      if (pub.type !== "secp256k1") throw new ConfigError(`peer ${p.index}: publicKey is not secp256k1`);
      const pid = peerIdFromPublicKey(pub);
      const pidStr = pid.toString();
      if (this.byIndex.has(p.index) || this.byPeerId.has(pidStr) || selfIndex === p.index) {
        throw new ConfigError(`duplicate peer index or key (index ${p.index})`);
      }
      if (pidStr === this.peerId) {
        selfIndex = p.index;
        continue;
      }
      const embedded = p2pComponent(p.address);
      if (embedded !== undefined && embedded !== pidStr) {
        throw new ConfigError(`peer ${p.index}: address /p2p/${embedded} does not match its public key`);
      }
      const state: PeerState = {
        cfg: p,
        publicKeyHex: hex(p.publicKey),
        peerId: pid,
        peerIdStr: pidStr,
        addr: multiaddr(`${toMultiaddrString(p.address)}/p2p/${pidStr}`),
        out: undefined,
        opening: false,
        connected: false,
        rttMs: undefined,
        clockOffsetMs: undefined,
        lastSeenMs: undefined,
        attempts: 0,
        dialTimer: undefined,
        dialing: false,
        pings: new Map(),
      };
      this.byIndex.set(p.index, state);
      this.byPeerId.set(pidStr, state);
    }
    this.selfIndex = selfIndex;
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.running) return;
    const known = (peer: PeerId): boolean => this.byPeerId.has(peer.toString());
    const refuse = (peer: PeerId, direction: "inbound" | "outbound"): boolean => {
      if (known(peer)) return false;
      this.emit("refused", { peerId: peer.toString(), direction });
      return true;
    };
    const node = await createLibp2p({
      start: false,
      privateKey: this.privateKey,
      addresses: { listen: [this.listenMa] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      // We run our own keep-alive/RTT exchange inside the authenticated stream.
      connectionMonitor: { enabled: false },
      connectionManager: {
        dialTimeout: this.dialTimeoutMs,
        // Operators may share a host (tests, NAT): do not rate-limit reconnects per IP.
        inboundConnectionThreshold: 1000,
        maxConnections: Math.max(16, this.byIndex.size * 4),
      },
      connectionGater: {
        // Only ever dial the configured operators, and only accept connections whose Noise
        // handshake proved possession of a configured operator key.
        denyDialPeer: (peer) => !known(peer),
        denyDialMultiaddr: () => false,
        denyInboundEncryptedConnection: (peer) => refuse(peer, "inbound"),
        denyOutboundEncryptedConnection: (peer) => refuse(peer, "outbound"),
        denyInboundUpgradedConnection: (peer) => !known(peer),
        denyOutboundUpgradedConnection: (peer) => !known(peer),
      },
    });
    await node.handle(WIRE_PROTOCOL, (stream, conn) => this.onInboundStream(stream, conn), {
      maxInboundStreams: 8,
      maxOutboundStreams: 8,
    });
    node.addEventListener("connection:open", (e) => this.onConnectionOpen(e.detail));
    node.addEventListener("connection:close", (e) => this.onConnectionClose(e.detail));
    this.libp2p = node;
    this.running = true;
    try {
      await node.start();
    } catch (err) {
      this.running = false;
      this.libp2p = undefined;
      throw err;
    }
    for (const p of this.byIndex.values()) {
      p.attempts = 0;
      // Small jitter so that a full mesh starting together does not dial both ways at once.
      this.scheduleDial(p, Math.random() * 50);
    }
    this.pingTimer = setInterval(() => this.tick(), this.pingIntervalMs);
    this.pingTimer.unref();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    for (const p of this.byIndex.values()) {
      if (p.dialTimer) clearTimeout(p.dialTimer);
      p.dialTimer = undefined;
    }
    const node = this.libp2p;
    this.libp2p = undefined;
    await node?.stop();
    for (const p of this.byIndex.values()) this.markDisconnected(p);
  }

  listenAddress(): string {
    const ma = this.libp2p?.getMultiaddrs()[0];
    if (!ma) throw new NotStartedError();
    const parts = ma.toString().split("/");
    // ["", "ip4", host, "tcp", port, "p2p", id]
    const host = parts[2] ?? "";
    const port = parts[4] ?? "";
    return parts[1] === "ip6" ? `[${host}]:${port}` : `${host}:${port}`;
  }

  // ---------------------------------------------------------------- public API

  send(peerIndex: number, protocol: string, payload: Uint8Array): void {
    const p = this.byIndex.get(peerIndex);
    if (!p) throw new UnknownPeerError(peerIndex);
    if (payload.length > this.maxMessageSize)
      throw new MessageTooLargeError(payload.length, this.maxMessageSize);
    const frame = encodeData(encodeProtocol(protocol), payload);
    if (!this.running) throw new NotStartedError();
    this.write(p, frame);
  }

  broadcast(protocol: string, payload: Uint8Array): BroadcastResult {
    if (payload.length > this.maxMessageSize)
      throw new MessageTooLargeError(payload.length, this.maxMessageSize);
    if (!this.running) throw new NotStartedError();
    const frame = encodeData(encodeProtocol(protocol), payload);
    const result: BroadcastResult = { sent: [], failed: [] };
    for (const p of this.byIndex.values()) {
      try {
        this.write(p, frame);
        result.sent.push(p.cfg.index);
      } catch (error) {
        result.failed.push({ peerIndex: p.cfg.index, error: error as Error });
      }
    }
    return result;
  }

  handle(protocol: string, handler: MessageHandler): () => void {
    encodeProtocol(protocol); // validates the name
    if (this.handlers.has(protocol)) throw new ConfigError(`protocol "${protocol}" already has a handler`);
    this.handlers.set(protocol, handler);
    return () => {
      if (this.handlers.get(protocol) === handler) this.handlers.delete(protocol);
    };
  }

  peers(): PeerStatus[] {
    return [...this.byIndex.values()]
      .sort((a, b) => a.cfg.index - b.cfg.index)
      .map((p) => ({
        index: p.cfg.index,
        publicKey: p.publicKeyHex,
        peerId: p.peerIdStr,
        connected: p.connected,
        rttMs: p.rttMs,
        clockOffsetMs: p.clockOffsetMs,
        lastSeenMs: p.lastSeenMs,
        reconnectAttempts: p.attempts,
      }));
  }

  on<E extends keyof NodeEvents>(event: E, listener: NodeEvents[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (...args: never[]) => void);
    return () => set.delete(listener as (...args: never[]) => void);
  }

  // ---------------------------------------------------------------- internals

  private emit<E extends keyof NodeEvents>(event: E, ...args: Parameters<NodeEvents[E]>): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        (l as unknown as (...a: Parameters<NodeEvents[E]>) => void)(...args);
      } catch (err) {
        if (event !== "error") this.emit("error", err as Error, undefined);
      }
    }
  }

  private write(p: PeerState, frame: Uint8Array): void {
    const s = p.out;
    if (!p.connected || !s || s.status !== "open" || s.writeStatus !== "writable") {
      throw new PeerNotConnectedError(p.cfg.index);
    }
    if (s.writeBufferLength + frame.length > this.maxSendBuffer) {
      throw new SendBufferFullError(p.cfg.index, s.writeBufferLength, this.maxSendBuffer);
    }
    try {
      s.send(frame);
    } catch {
      throw new PeerNotConnectedError(p.cfg.index);
    }
  }

  private backoff(attempt: number): number {
    const d = Math.min(this.reconnectMaxMs, this.reconnectBaseMs * 2 ** Math.min(attempt, 30));
    return d * (0.8 + Math.random() * 0.4);
  }

  private scheduleDial(p: PeerState, delayMs?: number): void {
    if (!this.running || p.connected || p.dialTimer || p.dialing) return;
    const delay = delayMs ?? this.backoff(p.attempts++);
    p.dialTimer = setTimeout(() => {
      p.dialTimer = undefined;
      void this.dial(p);
    }, delay);
    p.dialTimer.unref();
  }

  private openConnections(p: PeerState): Connection[] {
    return (this.libp2p?.getConnections(p.peerId) ?? []).filter((c) => c.status === "open");
  }

  private async dial(p: PeerState): Promise<void> {
    const node = this.libp2p;
    if (!this.running || !node || p.connected) return;
    const existing = this.openConnections(p)[0];
    if (existing) {
      this.onConnectionOpen(existing);
      return;
    }
    p.dialing = true;
    try {
      const conn = await node.dial(p.addr, { signal: AbortSignal.timeout(this.dialTimeoutMs) });
      p.dialing = false;
      this.onConnectionOpen(conn);
    } catch {
      p.dialing = false;
      this.scheduleDial(p);
    }
  }

  private onConnectionOpen(conn: Connection): void {
    const p = this.byPeerId.get(conn.remotePeer.toString());
    if (!p) {
      // Unreachable given the gater; belt and braces.
      conn.abort(new Error("unknown peer"));
      return;
    }
    if (p.out || p.opening || !this.running) return;
    void this.openOutbound(p, conn);
  }

  private async openOutbound(p: PeerState, conn: Connection): Promise<void> {
    p.opening = true;
    let stream: Stream;
    try {
      stream = await conn.newStream(WIRE_PROTOCOL, { signal: AbortSignal.timeout(this.dialTimeoutMs) });
    } catch {
      p.opening = false;
      if (this.running) {
        const other = this.openConnections(p).find((c) => c !== conn);
        if (other) void this.openOutbound(p, other);
        else this.scheduleDial(p);
      }
      return;
    }
    p.opening = false;
    if (!this.running || p.out) {
      stream.abort(new Error("superseded"));
      return;
    }
    stream.maxWriteBufferLength = this.maxSendBuffer + this.maxMessageSize + DATA_OVERHEAD + 4;
    stream.addEventListener("close", () => this.onOutboundClosed(p, stream));
    p.out = stream;
    p.connected = true;
    p.attempts = 0;
    p.lastSeenMs = Date.now();
    if (p.dialTimer) clearTimeout(p.dialTimer);
    p.dialTimer = undefined;
    this.emit("connect", p.cfg.index);
    this.sendPing(p);
  }

  private onOutboundClosed(p: PeerState, stream: Stream): void {
    if (p.out !== stream) return;
    this.markDisconnected(p);
    // Decide how to recover on a later macrotask: 'close' fires while the connection may be
    // mid-abort yet still report status "open"; opening a yamux stream on it then makes yamux
    // throw from a microtask (an uncaught exception that would kill the process).
    setImmediate(() => {
      if (!this.running || p.out || p.opening) return;
      const other = this.openConnections(p)[0];
      if (other) this.onConnectionOpen(other);
      else this.scheduleDial(p);
    });
  }

  private markDisconnected(p: PeerState): void {
    const was = p.connected;
    p.out = undefined;
    p.connected = false;
    p.pings.clear();
    if (was) this.emit("disconnect", p.cfg.index);
  }

  private onConnectionClose(conn: Connection): void {
    const p = this.byPeerId.get(conn.remotePeer.toString());
    if (!p || !this.running) return;
    if (p.out && p.out.status !== "open") this.onOutboundClosed(p, p.out);
    if (!p.connected && this.openConnections(p).length === 0) this.scheduleDial(p);
  }

  private onInboundStream(stream: Stream, conn: Connection): void {
    // The sender is whoever proved the Noise static key of this connection; frames carry no
    // sender field, so a peer can never speak for another index.
    const p = this.byPeerId.get(conn.remotePeer.toString());
    if (!p) {
      stream.abort(new Error("unknown peer"));
      return;
    }
    const decoder = new FrameDecoder(this.maxMessageSize);
    stream.maxReadBufferLength = this.maxMessageSize + DATA_OVERHEAD + 4 + MiB;
    stream.addEventListener("message", (evt) => {
      let frames: Frame[];
      try {
        frames = decoder.push(toBytes(evt.data));
      } catch (err) {
        // Oversized or malformed frame: refuse it and drop the connection (it will be re-dialled
        // with backoff); nothing from this frame is delivered.
        this.emit("error", err as Error, p.cfg.index);
        stream.abort(err as Error);
        conn.abort(err as Error);
        return;
      }
      p.lastSeenMs = Date.now();
      for (const f of frames) this.onFrame(p, f);
    });
  }

  private onFrame(p: PeerState, f: Frame): void {
    switch (f.kind) {
      case "data": {
        const h = this.handlers.get(f.protocol);
        if (!h) return;
        try {
          h(p.cfg.index, f.payload);
        } catch (err) {
          this.emit("error", err as Error, p.cfg.index);
        }
        return;
      }
      case "ping":
        try {
          if (p.connected) this.write(p, encodePong(f.id, Date.now()));
        } catch {
          // Peer not reachable in our direction yet; it will ping again.
        }
        return;
      case "pong": {
        const sent = p.pings.get(f.id);
        if (!sent) return;
        p.pings.delete(f.id);
        const rtt = performance.now() - sent.perf;
        p.rttMs = rtt;
        p.clockOffsetMs = f.wallMs - (sent.wall + rtt / 2);
        return;
      }
    }
  }

  private sendPing(p: PeerState): void {
    this.pingSeq = (this.pingSeq + 1) >>> 0;
    const id = this.pingSeq;
    const wall = Date.now();
    try {
      this.write(p, encodePing(id, wall));
      p.pings.set(id, { perf: performance.now(), wall });
      if (p.pings.size > 16) {
        const oldest = p.pings.keys().next().value;
        if (oldest !== undefined) p.pings.delete(oldest);
      }
    } catch {
      // Disconnected or buffer full; the next tick retries.
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const p of this.byIndex.values()) {
      if (!p.connected) continue;
      if (p.lastSeenMs !== undefined && now - p.lastSeenMs > this.idleTimeoutMs) {
        // Half-open or stalled link: drop it and let the reconnect loop take over.
        for (const c of this.openConnections(p)) c.abort(new Error("peer idle timeout"));
        continue;
      }
      this.sendPing(p);
    }
  }
}
