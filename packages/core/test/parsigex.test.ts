import { k1GeneratePrivateKey, k1PublicKey } from "@cohort/cluster";
import { describe, expect, it } from "vitest";
import { ManualClock, type ParSigExRejectReason, SignedParSigEx, type SignedParSigMsg } from "../src/index";
import { Hub } from "./inprocess";

const tick = () => new Promise((r) => setImmediate(r));

function pair() {
  const keys = [k1GeneratePrivateKey(), k1GeneratePrivateKey()];
  const members = ["a", "b"].map((peerId, i) => ({
    peerId,
    shareIndex: i + 1,
    identityPublicKey: k1PublicKey(keys[i]!),
  }));
  const hub = new Hub<SignedParSigMsg>();
  const clock = new ManualClock(10_000);
  const lockHash = new Uint8Array(32).fill(1);
  const rejected: ParSigExRejectReason[] = [];
  const aRejected: ParSigExRejectReason[] = [];
  const a = new SignedParSigEx({
    clock,
    transport: hub.endpoint("a"),
    lockHash,
    members,
    self: "a",
    identityKey: keys[0]!,
    onReject: (_f, r) => aRejected.push(r),
  });
  const b = new SignedParSigEx({
    clock,
    transport: hub.endpoint("b"),
    lockHash,
    members,
    self: "b",
    identityKey: keys[1]!,
    onReject: (_f, r) => rejected.push(r),
  });
  return { a, b, hub, clock, rejected, aRejected };
}

const partial = {
  data: { kind: "randao" as const, epoch: 3 },
  signingRoot: new Uint8Array(32).fill(2),
  signature: new Uint8Array(96).fill(3),
  shareIndex: 1,
};

describe("SignedParSigEx", () => {
  it("delivers a signed message and keeps it as evidence with the receipt time", async () => {
    const { a, b, clock } = pair();
    const got: number[] = [];
    b.subscribe((_d, set, idx) => got.push(idx, set.size));
    a.broadcast({ slot: 9, type: "randao" }, new Map([["0xaa", partial]]));
    clock.advance(250);
    await tick();
    expect(got).toEqual([1, 1]);
    const [ev] = b.evidence({ slot: 9, type: "randao" });
    expect(ev!.fromPeer).toBe("a");
    expect(ev!.message.message.sentAt).toBe(10_000);
    expect(ev!.receivedAt).toBe(10_250);
    expect(b.evidence({ slot: 9, type: "attester" })).toEqual([]);
  });

  it("rejects tampered partials (bad_signature), a foreign lock (wrong_lock) and a relayed message (share_idx_mismatch)", async () => {
    const { a, b, hub, rejected, aRejected } = pair();
    const seen: SignedParSigMsg[] = [];
    hub.endpoint("spy").subscribe((m) => seen.push(m));
    a.broadcast({ slot: 9, type: "randao" }, new Map([["0xaa", partial]]));
    await tick();
    const genuine = seen[0]!;
    expect(b.evidence()).toHaveLength(1);
    const asA = hub.endpoint("a");
    const tampered = structuredClone(genuine);
    tampered.message.partials[0]!.signature = `0x${"04".repeat(96)}`;
    asA.broadcast(tampered);
    const foreign = structuredClone(genuine);
    foreign.message.lockHash = `0x${"09".repeat(32)}`;
    asA.broadcast(foreign);
    // b relaying a's genuinely signed message as its own: the authenticated sender is b (index 2).
    hub.endpoint("b").broadcast(genuine);
    await tick();
    expect(rejected).toEqual(["bad_signature", "wrong_lock"]);
    expect(aRejected).toEqual(["share_idx_mismatch"]);
    expect(b.evidence()).toHaveLength(1);
    expect(a.evidence()).toHaveLength(0);
  });
});

describe("SignedParSigEx evidence hooks", () => {
  function hooked(beforeSend: (m: SignedParSigMsg) => Promise<void>) {
    const keys = [k1GeneratePrivateKey(), k1GeneratePrivateKey()];
    const members = ["a", "b"].map((peerId, i) => ({
      peerId,
      shareIndex: i + 1,
      identityPublicKey: k1PublicKey(keys[i]!),
    }));
    const hub = new Hub<SignedParSigMsg>();
    const clock = new ManualClock(10_000);
    const lockHash = new Uint8Array(32).fill(1);
    const withheld: SignedParSigMsg[] = [];
    const a = new SignedParSigEx({
      clock,
      transport: hub.endpoint("a"),
      lockHash,
      members,
      self: "a",
      identityKey: keys[0]!,
      beforeSend,
      onSendError: (m) => withheld.push(m),
    });
    const accepted: { from: string; at: number }[] = [];
    const b = new SignedParSigEx({
      clock,
      transport: hub.endpoint("b"),
      lockHash,
      members,
      self: "b",
      identityKey: keys[1]!,
      keepEvidence: false,
      onAccept: (r) => accepted.push({ from: r.fromPeer, at: r.receivedAt }),
    });
    return { a, b, withheld, accepted };
  }

  it("awaits beforeSend before the message leaves; onAccept sees every accepted message", async () => {
    let release!: () => void;
    const journaled: SignedParSigMsg[] = [];
    const { a, b, accepted } = hooked(
      (m) =>
        new Promise<void>((r) => {
          journaled.push(m);
          release = r;
        }),
    );
    const got: number[] = [];
    b.subscribe((_d, _s, idx) => got.push(idx));
    const sending = a.broadcast({ slot: 9, type: "randao" }, new Map([["0xaa", partial]]));
    await tick();
    expect(journaled).toHaveLength(1);
    expect(got).toEqual([]); // not sent before the journal write completed
    release();
    await sending;
    await tick();
    expect(got).toEqual([1]);
    expect(accepted).toEqual([{ from: "a", at: 10_000 }]);
    expect(b.evidence()).toEqual([]); // keepEvidence: false
  });

  it("a failed beforeSend withholds the message", async () => {
    const { a, b, withheld } = hooked(() => Promise.reject(new Error("disk full")));
    const got: number[] = [];
    b.subscribe((_d, _s, idx) => got.push(idx));
    await a.broadcast({ slot: 9, type: "randao" }, new Map([["0xaa", partial]]));
    await tick();
    expect(got).toEqual([]);
    expect(withheld).toHaveLength(1);
  });
});
