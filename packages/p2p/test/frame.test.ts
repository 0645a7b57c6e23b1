import { describe, expect, it } from "vitest";
import { toMultiaddrString } from "../src/address.ts";
import { ProtocolViolationError } from "../src/errors.ts";
import { encodeData, encodePing, encodePong, encodeProtocol, FrameDecoder } from "../src/frame.ts";

describe("frame codec", () => {
  it("round-trips frames across arbitrary chunk boundaries", () => {
    const payload = new Uint8Array(5000).map((_, i) => i & 0xff);
    const wire = new Uint8Array([
      ...encodeData(encodeProtocol("/a"), payload),
      ...encodePing(7, 1234.5),
      ...encodePong(8, 99),
      ...encodeData(encodeProtocol("/ü"), new Uint8Array(0)),
    ]);
    for (const step of [1, 3, 4, 17, 4096, wire.length]) {
      const d = new FrameDecoder(10_000);
      const out = [];
      for (let i = 0; i < wire.length; i += step) out.push(...d.push(wire.subarray(i, i + step)));
      expect(out).toHaveLength(4);
      expect(out[0]).toEqual({ kind: "data", protocol: "/a", payload });
      expect(out[1]).toEqual({ kind: "ping", id: 7, wallMs: 1234.5 });
      expect(out[2]).toEqual({ kind: "pong", id: 8, wallMs: 99 });
      expect(out[3]).toEqual({ kind: "data", protocol: "/ü", payload: new Uint8Array(0) });
    }
  });

  it("refuses oversized frames from the header alone, before buffering the body", () => {
    const d = new FrameDecoder(100);
    const header = new Uint8Array([0x7f, 0xff, 0xff, 0xff]);
    expect(() => d.push(header)).toThrow(ProtocolViolationError);
    const d2 = new FrameDecoder(100);
    expect(() => d2.push(encodeData(encodeProtocol("/a"), new Uint8Array(101)))).toThrow(/exceeds limit/);
    expect(new FrameDecoder(100).push(encodeData(encodeProtocol("/a"), new Uint8Array(100)))).toHaveLength(1);
  });

  it("rejects malformed frames and protocol names", () => {
    expect(() => new FrameDecoder(100).push(new Uint8Array([0, 0, 0, 1, 9]))).toThrow(/unknown frame kind/);
    expect(() => new FrameDecoder(100).push(new Uint8Array([0, 0, 0, 0]))).toThrow(/empty frame/);
    expect(() => new FrameDecoder(100).push(new Uint8Array([0, 0, 0, 3, 0, 5, 1]))).toThrow(/malformed DATA/);
    expect(() => new FrameDecoder(100).push(new Uint8Array([0, 0, 0, 2, 1, 0]))).toThrow(/malformed PING/);
    expect(() => encodeProtocol("")).toThrow(RangeError);
    expect(() => encodeProtocol("x".repeat(256))).toThrow(RangeError);
  });
});

describe("addresses", () => {
  it("converts host:port and multiaddrs", () => {
    expect(toMultiaddrString("127.0.0.1:3610")).toBe("/ip4/127.0.0.1/tcp/3610");
    expect(toMultiaddrString("[::1]:9000")).toBe("/ip6/::1/tcp/9000");
    expect(toMultiaddrString("node-1.example:3610")).toBe("/dns/node-1.example/tcp/3610");
    expect(toMultiaddrString("/ip4/10.0.0.1/tcp/1/p2p/16Uiu2")).toBe("/ip4/10.0.0.1/tcp/1");
    expect(() => toMultiaddrString("nope")).toThrow();
    expect(() => toMultiaddrString("1.2.3.4:99999")).toThrow();
  });
});
