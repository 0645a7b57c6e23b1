import { ProtocolViolationError } from "./errors.ts";

// Wire format of one frame on a /cohort/p2p stream (which already runs inside an
// authenticated, encrypted Noise session multiplexed by yamux):
//
//   u32be bodyLength | body
//   body = u8 kind | kind-specific fields
//     DATA (0): u8 protocolLength | protocol (UTF-8) | payload
//     PING (1): u32be id | f64be senderWallClockMs
//     PONG (2): u32be id | f64be responderWallClockMs
//
// The receiver refuses (throws) a frame whose declared length exceeds its own limit before
// buffering it, so a peer cannot make us allocate more than maxMessageSize + a few bytes.

export const FRAME_DATA = 0;
export const FRAME_PING = 1;
export const FRAME_PONG = 2;

export const MAX_PROTOCOL_BYTES = 255;
/** Largest body overhead of a DATA frame beyond its payload: kind + length byte + protocol. */
export const DATA_OVERHEAD = 1 + 1 + MAX_PROTOCOL_BYTES;
const HEADER = 4;

export type Frame =
  | { kind: "data"; protocol: string; payload: Uint8Array }
  | { kind: "ping"; id: number; wallMs: number }
  | { kind: "pong"; id: number; wallMs: number };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeProtocol(protocol: string): Uint8Array {
  const bytes = encoder.encode(protocol);
  if (bytes.length === 0 || bytes.length > MAX_PROTOCOL_BYTES) {
    throw new RangeError(`protocol name must be 1..${MAX_PROTOCOL_BYTES} UTF-8 bytes, got ${bytes.length}`);
  }
  return bytes;
}

export function encodeData(protocolBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  const body = 2 + protocolBytes.length + payload.length;
  const out = new Uint8Array(HEADER + body);
  const view = new DataView(out.buffer);
  view.setUint32(0, body);
  out[4] = FRAME_DATA;
  out[5] = protocolBytes.length;
  out.set(protocolBytes, 6);
  out.set(payload, 6 + protocolBytes.length);
  return out;
}

function encodeTimed(kind: number, id: number, wallMs: number): Uint8Array {
  const out = new Uint8Array(HEADER + 1 + 4 + 8);
  const view = new DataView(out.buffer);
  view.setUint32(0, 13);
  out[4] = kind;
  view.setUint32(5, id >>> 0);
  view.setFloat64(9, wallMs);
  return out;
}

export const encodePing = (id: number, wallMs: number): Uint8Array => encodeTimed(FRAME_PING, id, wallMs);
export const encodePong = (id: number, wallMs: number): Uint8Array => encodeTimed(FRAME_PONG, id, wallMs);

function decodeBody(body: Uint8Array): Frame {
  const kind = body[0];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (kind) {
    case FRAME_DATA: {
      const plen = body[1];
      if (plen === undefined || plen === 0 || body.length < 2 + plen) {
        throw new ProtocolViolationError("malformed DATA frame");
      }
      let protocol: string;
      try {
        protocol = decoder.decode(body.subarray(2, 2 + plen));
      } catch {
        throw new ProtocolViolationError("DATA frame protocol is not valid UTF-8");
      }
      return { kind: "data", protocol, payload: body.subarray(2 + plen) };
    }
    case FRAME_PING:
    case FRAME_PONG: {
      if (body.length !== 13) throw new ProtocolViolationError("malformed PING/PONG frame");
      const id = view.getUint32(1);
      const wallMs = view.getFloat64(5);
      if (!Number.isFinite(wallMs)) throw new ProtocolViolationError("non-finite timestamp");
      return { kind: kind === FRAME_PING ? "ping" : "pong", id, wallMs };
    }
    default:
      throw new ProtocolViolationError(`unknown frame kind ${String(kind)}`);
  }
}

/**
 * Incremental frame decoder. Chunks are kept as a list and each frame is copied exactly once,
 * so a 16 MiB message arriving in 64 KiB pieces costs O(n), not O(n^2).
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private need = -1; // body length of the frame being assembled, -1 = header not read yet

  private readonly maxBody: number;

  /** @param maxPayload largest acceptable DATA payload; frames are bounded by it before buffering. */
  constructor(private readonly maxPayload: number) {
    this.maxBody = maxPayload + DATA_OVERHEAD;
  }

  /** Feed bytes; returns every complete frame. Throws ProtocolViolationError on bad input. */
  push(chunk: Uint8Array): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < HEADER) break;
        const header = this.take(HEADER);
        const len = new DataView(header.buffer, header.byteOffset, HEADER).getUint32(0);
        if (len === 0) throw new ProtocolViolationError("empty frame");
        if (len > this.maxBody) {
          throw new ProtocolViolationError(`frame of ${len} bytes exceeds limit of ${this.maxBody} bytes`);
        }
        this.need = len;
      }
      if (this.buffered < this.need) break;
      const body = this.take(this.need);
      this.need = -1;
      const frame = decodeBody(body);
      if (frame.kind === "data" && frame.payload.length > this.maxPayload) {
        throw new ProtocolViolationError(
          `message of ${frame.payload.length} bytes exceeds limit of ${this.maxPayload} bytes`,
        );
      }
      frames.push(frame);
    }
    return frames;
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      // Fast path: fully inside the first chunk, no copy.
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      if (c === undefined) throw new Error("FrameDecoder invariant violated");
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}
