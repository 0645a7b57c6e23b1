// Conformance runner for ../shared/vectors/obol-dv-specs/parsigex_sender_binding.json. Every case runs
// twice: against the pure rule and through a real SignedParSigEx receive path (a message signed by the
// sender's identity key, claiming the case's share index). Unknown keys fail the run.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { k1GeneratePrivateKey, k1PublicKey, k1Sign } from "@cohort/cluster";
import { describe, expect, it } from "vitest";
import {
  checkPeerMap,
  ManualClock,
  type MemberIdentity,
  type ParSigExRejectReason,
  parSigMsgDigest,
  SignedParSigEx,
  type SignedParSigMsg,
  toHex,
  verifySenderShareIndex,
} from "../src/index";
import { Hub } from "./inprocess";

function vectorsFile(): string {
  const candidates = [
    path.resolve(
      import.meta.dirname,
      "../../../../shared/vectors/obol-dv-specs/parsigex_sender_binding.json",
    ),
    path.resolve(import.meta.dirname, "../../../test/vectors/obol-dv-specs/parsigex_sender_binding.json"),
  ];
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new Error(`vectors not found; looked in ${candidates.join(" and ")}`);
  return found;
}

function keys(obj: object, expected: string[], where: string): void {
  const actual = Object.keys(obj).sort().join(",");
  if (actual !== [...expected].sort().join(",")) throw new Error(`${where}: unexpected keys ${actual}`);
}

interface SenderCase {
  name: string;
  input: { share_idx_by_peer: Record<string, number>; sender: string; share_idx: number };
  accepted: boolean;
  reason: string | null;
}
interface PeerMapCase {
  name: string;
  input: { peers: string[]; share_idx_by_peer: Record<string, number>; peer_idx: number };
  accepted: boolean;
  reason: string | null;
}

const suite = JSON.parse(readFileSync(vectorsFile(), "utf8"));
keys(suite, ["suite", "description", "provenance", "cases", "peer_map"], "suite");
expect(suite.suite).toBe("parsigex_sender_binding");
const cases = suite.cases as SenderCase[];
const peerMap = suite.peer_map as PeerMapCase[];

describe("parsigex_sender_binding vectors", () => {
  it("has every case", () => {
    expect(cases.length).toBe(6);
    expect(peerMap.length).toBe(3);
  });

  it.each(cases.map((c) => [c.name, c] as const))("sender: %s", (_n, c) => {
    keys(c, ["name", "input", "accepted", "reason"], c.name);
    keys(c.input, ["share_idx_by_peer", "sender", "share_idx"], c.name);
    const map = new Map(Object.entries(c.input.share_idx_by_peer));
    expect(verifySenderShareIndex(map, c.input.sender, c.input.share_idx)).toEqual({
      accepted: c.accepted,
      reason: c.reason,
    });

    // The same decision through the receive path. "self" receives from itself here as a peer would.
    const ids = new Map([...map.keys(), c.input.sender].map((p) => [p, k1GeneratePrivateKey()]));
    const members: MemberIdentity[] = [...map].map(([peerId, shareIndex]) => ({
      peerId,
      shareIndex,
      identityPublicKey: k1PublicKey(ids.get(peerId)!),
    }));
    const hub = new Hub<SignedParSigMsg>();
    const clock = new ManualClock(1_000);
    const rejected: ParSigExRejectReason[] = [];
    const receiverId = [...map.keys()].find((p) => p !== c.input.sender) ?? "receiver";
    const receiver = new SignedParSigEx({
      clock,
      transport: hub.endpoint(receiverId === c.input.sender ? "x" : receiverId),
      lockHash: new Uint8Array(32).fill(7),
      members,
      self: receiverId,
      identityKey: ids.get(receiverId)!,
      onReject: (_from, reason) => rejected.push(reason),
    });
    const delivered: number[] = [];
    receiver.subscribe((_d, _s, idx) => delivered.push(idx));
    // The sender signs a message claiming exactly the case's share index (0 included).
    const message = {
      lockHash: toHex(new Uint8Array(32).fill(7)),
      slot: 5,
      dutyType: 1,
      shareIndex: c.input.share_idx,
      sentAt: 900,
      partials: [],
    };
    hub.endpoint(c.input.sender).broadcast({
      message,
      signature: toHex(k1Sign(ids.get(c.input.sender)!, parSigMsgDigest(message))),
    });
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        if (c.accepted) {
          expect(rejected).toEqual([]);
          expect(delivered).toEqual([c.input.share_idx]);
          expect(receiver.evidence()).toHaveLength(1);
          expect(receiver.evidence()[0]!.receivedAt).toBe(1_000);
        } else {
          expect(rejected).toEqual([c.reason]);
          expect(delivered).toEqual([]);
          expect(receiver.evidence()).toHaveLength(0);
        }
        resolve();
      }),
    );
  });

  it.each(peerMap.map((c) => [c.name, c] as const))("peer map: %s", (_n, c) => {
    keys(c, ["name", "input", "accepted", "reason"], c.name);
    keys(c.input, ["peers", "share_idx_by_peer", "peer_idx"], c.name);
    const map = new Map(Object.entries(c.input.share_idx_by_peer));
    const result = checkPeerMap(c.input.peers, map);
    expect(result.accepted).toBe(c.accepted);
    expect(result.reason).toBe(c.reason);
    const members = c.input.peers.map((peerId) => ({
      peerId,
      shareIndex: map.get(peerId) as number,
      identityPublicKey: k1PublicKey(k1GeneratePrivateKey()),
    }));
    const construct = () =>
      new SignedParSigEx({
        clock: new ManualClock(),
        transport: new Hub<SignedParSigMsg>().endpoint(c.input.peers[c.input.peer_idx]!),
        lockHash: new Uint8Array(32),
        members,
        self: c.input.peers[c.input.peer_idx]!,
        identityKey: k1GeneratePrivateKey(),
      });
    if (c.accepted) expect(construct).not.toThrow();
    else expect(construct).toThrow(c.reason!);
  });
});
