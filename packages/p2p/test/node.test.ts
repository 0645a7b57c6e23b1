import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  MessageTooLargeError,
  NotStartedError,
  type P2PNode,
  PeerNotConnectedError,
  type RefusedEvent,
  SendBufferFullError,
  UnknownPeerError,
} from "../src/index.ts";
import { allConnected, makeOperator, nodeFor, peerList, waitFor } from "./helpers.ts";

const live: P2PNode[] = [];
function track<T extends P2PNode>(n: T): T {
  live.push(n);
  return n;
}

afterEach(async () => {
  await Promise.all(live.splice(0).map((n) => n.stop()));
});

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("p2p node over real sockets", () => {
  it("4 nodes form a full mesh; receivers see the authenticated sender index", async () => {
    const ops = await Promise.all([0, 1, 2, 3].map(makeOperator));
    const peers = peerList(ops);
    const nodes = ops.map((o) => track(nodeFor(o, peers)));
    const got: Array<Array<{ from: number; text: string }>> = nodes.map(() => []);
    nodes.forEach((n, i) => {
      expect(n.selfIndex).toBe(i);
      n.handle("/test/hello", (from, bytes) => got[i]?.push({ from, text: dec(bytes) }));
    });
    await Promise.all(nodes.map((n) => n.start()));
    await waitFor(() => nodes.every(allConnected), 5000, "full mesh");
    for (const n of nodes) expect(n.peers().map((p) => p.index)).toHaveLength(3);

    // Every node sends a distinct message to every other node; the content deliberately
    // lies about the sender to show that the index comes from the handshake, not the bytes.
    for (const [i, n] of nodes.entries()) {
      for (const j of [0, 1, 2, 3]) if (j !== i) n.send(j, "/test/hello", enc(`claims-to-be-3 ${i}->${j}`));
    }
    await waitFor(() => got.every((g) => g.length === 3), 5000, "12 deliveries");
    for (const [j, g] of got.entries()) {
      const froms = g.map((m) => m.from).sort();
      expect(froms).toEqual([0, 1, 2, 3].filter((x) => x !== j));
      for (const m of g) expect(m.text).toBe(`claims-to-be-3 ${m.from}->${j}`);
    }

    // broadcast reaches the 3 others, in order per sender.
    const bc: Array<Array<string>> = nodes.map(() => []);
    for (const [i, n] of nodes.entries())
      n.handle("/test/bc", (from, b) => void bc[i]?.push(`${from}:${dec(b)}`));
    for (let k = 0; k < 5; k++) {
      const r = nodes[2]?.broadcast("/test/bc", enc(String(k)));
      expect(r?.failed).toEqual([]);
      expect(r?.sent.sort()).toEqual([0, 1, 3]);
    }
    await waitFor(() => [0, 1, 3].every((i) => bc[i]?.length === 5), 5000, "broadcasts");
    expect(bc[0]).toEqual(["2:0", "2:1", "2:2", "2:3", "2:4"]);
    expect(bc[2]).toEqual([]);

    // Ping RTT and clock offset are reported for every peer.
    await waitFor(
      () =>
        nodes.every((n) => n.peers().every((p) => p.rttMs !== undefined && p.clockOffsetMs !== undefined)),
      3000,
      "ping results",
    );
    for (const n of nodes) {
      for (const p of n.peers()) {
        expect(p.rttMs).toBeGreaterThanOrEqual(0);
        expect(p.rttMs).toBeLessThan(1000);
        expect(Math.abs(p.clockOffsetMs ?? Number.NaN)).toBeLessThan(250); // same host, same clock
        expect(p.lastSeenMs).toBeGreaterThan(0);
      }
    }
  });

  it("refuses a node whose key is not in the peer list at the handshake", async () => {
    const [a, b, intruder] = await Promise.all([0, 1, 9].map(makeOperator));
    if (!a || !b || !intruder) throw new Error("setup");
    const peers = peerList([a, b]);
    const nodeA = track(nodeFor(a, peers));
    const nodeB = track(nodeFor(b, peers));
    const refusedByA: RefusedEvent[] = [];
    nodeA.on("refused", (e) => refusedByA.push(e));
    const received: number[] = [];
    nodeA.handle("/test/x", (from) => received.push(from));

    // The intruder knows A's real key and address and lists itself; it dials A.
    const intruderNode = track(nodeFor(intruder, peerList([a, intruder])));
    await Promise.all([nodeA.start(), nodeB.start(), intruderNode.start()]);
    await waitFor(() => allConnected(nodeA) && allConnected(nodeB), 5000, "a<->b");
    await waitFor(() => refusedByA.length > 0, 5000, "refusal at A");
    expect(refusedByA[0]?.direction).toBe("inbound");
    expect(refusedByA[0]?.peerId).toBe(intruderNode.peerId);
    expect(intruderNode.peers()[0]?.connected).toBe(false);
    expect(() => intruderNode.send(0, "/test/x", enc("hi"))).toThrow(PeerNotConnectedError);
    expect(nodeA.peers().map((p) => p.index)).toEqual([1]);

    await new Promise((r) => setTimeout(r, 300)); // the intruder keeps retrying, in vain
    expect(intruderNode.peers()[0]?.connected).toBe(false);
    expect(refusedByA.every((e) => e.peerId === intruderNode.peerId)).toBe(true);
    expect(received).toEqual([]);
  });

  it("pins each peer's key to its address: another cluster member answering there is not accepted as that peer", async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map(makeOperator));
    if (!a || !b || !c) throw new Error("setup");
    const nodeA = track(nodeFor(a, peerList([a, b, c])));
    // C (a legitimate member) squats on B's address while B is down.
    const squatter = track(nodeFor({ ...c, port: b.port }, peerList([a, { ...c, port: b.port }])));
    const atSquatter: number[] = [];
    squatter.handle("/test/x", (from) => atSquatter.push(from));
    await Promise.all([nodeA.start(), squatter.start()]);
    // C's own dial to A is fine (it proves C's key), so A sees C connected ...
    await waitFor(() => nodeA.peers().find((p) => p.index === 2)?.connected === true, 5000, "c connected");
    // ... but A's dials to B's address reach C and fail (the dial pins B's peer id, and a
    // connection is only ever attributed to the key it proved): B stays disconnected.
    await new Promise((r) => setTimeout(r, 400));
    expect(nodeA.peers().find((p) => p.index === 1)?.connected).toBe(false);
    expect(nodeA.peers().find((p) => p.index === 1)?.reconnectAttempts).toBeGreaterThan(0);
    expect(() => nodeA.send(1, "/test/x", enc("for b only"))).toThrow(PeerNotConnectedError);
    nodeA.send(2, "/test/x", enc("for c"));
    await waitFor(() => atSquatter.length === 1, 3000, "delivery to c");
    expect(atSquatter).toEqual([0]);
  });

  it("reconnects automatically after a peer restarts and messages flow again", async () => {
    const [a, b] = await Promise.all([0, 1].map(makeOperator));
    if (!a || !b) throw new Error("setup");
    const peers = peerList([a, b]);
    const nodeA = track(nodeFor(a, peers));
    let nodeB = track(nodeFor(b, peers));
    const events: string[] = [];
    nodeA.on("connect", (i) => events.push(`connect:${i}`));
    nodeA.on("disconnect", (i) => events.push(`disconnect:${i}`));
    const atA: string[] = [];
    nodeA.handle("/test/r", (from, bytes) => atA.push(`${from}:${dec(bytes)}`));

    await Promise.all([nodeA.start(), nodeB.start()]);
    await waitFor(() => allConnected(nodeA) && allConnected(nodeB), 5000, "initial connect");
    nodeB.send(0, "/test/r", enc("before"));
    await waitFor(() => atA.length === 1, 3000, "first message");

    // "Process restart": stop B entirely, then bring up a fresh node with the same key and port.
    await nodeB.stop();
    await waitFor(() => !nodeA.peers()[0]?.connected, 3000, "disconnect seen");
    expect(() => nodeA.send(1, "/test/r", enc("while down"))).toThrow(PeerNotConnectedError);
    await new Promise((r) => setTimeout(r, 500)); // let A's backoff grow a little
    expect(nodeA.peers()[0]?.reconnectAttempts).toBeGreaterThan(0);

    nodeB = track(nodeFor(b, peers));
    const atB: string[] = [];
    nodeB.handle("/test/r", (from, bytes) => atB.push(`${from}:${dec(bytes)}`));
    await nodeB.start();
    await waitFor(() => allConnected(nodeA) && allConnected(nodeB), 5000, "reconnect");
    nodeB.send(0, "/test/r", enc("after"));
    nodeA.send(1, "/test/r", enc("welcome back"));
    await waitFor(() => atA.length === 2 && atB.length === 1, 3000, "messages after restart");
    expect(atA).toEqual(["1:before", "1:after"]);
    expect(atB).toEqual(["0:welcome back"]);
    expect(events[0]).toBe("connect:1");
    expect(events).toContain("disconnect:1");
    expect(events.at(-1)).toBe("connect:1");
    expect(nodeA.peers()[0]?.reconnectAttempts).toBe(0);
  });

  it("refuses oversized messages at the sender and at the receiver", async () => {
    const [a, b] = await Promise.all([0, 1].map(makeOperator));
    if (!a || !b) throw new Error("setup");
    const peers = peerList([a, b]);
    // A accepts at most 64 KiB; B (misconfigured or hostile) would send up to 256 KiB.
    const nodeA = track(nodeFor(a, peers, { maxMessageSize: 64 * 1024 }));
    const nodeB = track(nodeFor(b, peers, { maxMessageSize: 256 * 1024 }));
    const atA: number[] = [];
    const errorsAtA: Error[] = [];
    nodeA.handle("/test/big", (_from, bytes) => atA.push(bytes.length));
    nodeA.on("error", (e) => errorsAtA.push(e));
    await Promise.all([nodeA.start(), nodeB.start()]);
    await waitFor(() => allConnected(nodeA) && allConnected(nodeB), 5000, "connect");

    // Sender-side limit: nothing is sent.
    expect(() => nodeA.send(1, "/test/big", new Uint8Array(64 * 1024 + 1))).toThrow(MessageTooLargeError);
    expect(() => nodeA.broadcast("/test/big", new Uint8Array(64 * 1024 + 1))).toThrow(MessageTooLargeError);

    // Exactly at the limit is fine.
    nodeB.send(0, "/test/big", new Uint8Array(64 * 1024));
    await waitFor(() => atA.length === 1, 3000, "max-size message");
    expect(atA).toEqual([64 * 1024]);

    // Receiver-side limit: the frame is refused before being buffered; the connection is dropped.
    nodeB.send(0, "/test/big", new Uint8Array(64 * 1024 + 1));
    await waitFor(() => errorsAtA.length > 0, 3000, "receiver refusal");
    expect(errorsAtA[0]?.name).toBe("ProtocolViolationError");
    expect(atA).toEqual([64 * 1024]);

    // The link recovers (reconnect) and normal traffic continues.
    await waitFor(() => allConnected(nodeA) && allConnected(nodeB), 5000, "recovered");
    await waitFor(
      () => {
        try {
          nodeB.send(0, "/test/big", new Uint8Array(10));
          return true;
        } catch {
          return false;
        }
      },
      3000,
      "send after recovery",
    );
    await waitFor(() => atA.includes(10), 3000, "small message after recovery");
  });

  it("carries a 16 MiB message (default limit) and bounds the send buffer instead of growing it", async () => {
    const [a, b] = await Promise.all([0, 1].map(makeOperator));
    if (!a || !b) throw new Error("setup");
    const peers = peerList([a, b]);
    const nodeA = track(nodeFor(a, peers));
    const nodeB = track(nodeFor(b, peers));
    const sizes: number[] = [];
    let last: Uint8Array | undefined;
    nodeB.handle("/test/bulk", (_f, bytes) => {
      sizes.push(bytes.length);
      last = bytes;
    });
    await Promise.all([nodeA.start(), nodeB.start()]);
    await waitFor(() => allConnected(nodeA) && allConnected(nodeB), 5000, "connect");

    const big = new Uint8Array(randomBytes(16 * 1024 * 1024));
    nodeA.send(1, "/test/bulk", big);
    // The default send buffer holds 2 maximum-size messages; queueing more synchronously is
    // refused with SendBufferFullError rather than buffered without bound.
    let refused: unknown;
    for (let k = 0; k < 4 && refused === undefined; k++) {
      try {
        nodeA.send(1, "/test/bulk", big);
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toBeInstanceOf(SendBufferFullError);
    await waitFor(() => sizes.length >= 2, 12_000, "16 MiB deliveries");
    expect(sizes.every((n) => n === big.length)).toBe(true);
    expect(Buffer.compare(Buffer.from(last ?? []), Buffer.from(big))).toBe(0);
  }, 15_000);

  it("reports clear errors for bad usage", async () => {
    const [a, b] = await Promise.all([0, 1].map(makeOperator));
    if (!a || !b) throw new Error("setup");
    const nodeA = track(nodeFor(a, peerList([a, b])));
    expect(() => nodeA.send(1, "/p", enc("x"))).toThrow(NotStartedError);
    await nodeA.start();
    expect(() => nodeA.send(7, "/p", enc("x"))).toThrow(UnknownPeerError);
    expect(() => nodeA.send(0, "/p", enc("x"))).toThrow(UnknownPeerError); // self
    expect(() => nodeA.send(1, "/p", enc("x"))).toThrow(PeerNotConnectedError); // b never started
    const r = nodeA.broadcast("/p", enc("x"));
    expect(r.sent).toEqual([]);
    expect(r.failed.map((f) => f.error)).toEqual([expect.any(PeerNotConnectedError)]);
    expect(nodeA.listenAddress()).toBe(`127.0.0.1:${a.port}`);
    nodeA.handle("/p", () => {});
    expect(() => nodeA.handle("/p", () => {})).toThrow(/already has a handler/);
  });
});
