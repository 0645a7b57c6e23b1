import type { StatsResponse } from "@cohort/beacon-sim";
import { afterEach, describe, expect, it } from "vitest";
import { type Simnet, startSimnet } from "./inprocess";

const stats = async (net: Simnet, from: number, to: number): Promise<StatsResponse> =>
  (
    await fetch(`${net.bn.url}/cohort/v1/stats?from_slot=${from}&to_slot=${to}`)
  ).json() as Promise<StatsResponse>;

let net: Simnet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

const expectAllAttestationsIncluded = (s: StatsResponse, pubkeys: readonly string[]) => {
  const ours = s.validators.filter((v) => pubkeys.includes(v.pubkey));
  expect(ours.length).toBe(pubkeys.length);
  for (const v of ours) {
    expect(v.attester.expected).toBeGreaterThan(0);
    expect(v.attester.included, `validator ${v.index}`).toBe(v.attester.expected);
    expect(v.attester.invalid).toBe(0);
    expect(v.attester.slashable).toBe(0);
  }
  expect(s.totals.attester.invalid).toBe(0);
  expect(s.unattributed_invalid).toBe(0);
  expect(s.slashings).toBe(0);
};

describe("in-process cluster against beacon-sim", { timeout: 30_000 }, () => {
  it("4 nodes, t=3: every attester duty over 3 epochs (crossing Electra) is included", async () => {
    net = await startSimnet();
    const last = net.firstSlot + 3 * 8 - 1;
    await net.untilSlot(last + 3, 0.5); // past the last duty's deadline
    const pubkeys: string[] = net.cluster.info.validators.map((v) => v.pubkey);
    const s = await stats(net, net.firstSlot, last);
    expectAllAttestationsIncluded(s, pubkeys);
    // Proposals too (RANDAO threshold-signed first, then the block through consensus).
    for (const v of s.validators.filter((x) => pubkeys.includes(x.pubkey))) {
      expect(v.proposer.included, `validator ${v.index}`).toBe(v.proposer.expected);
      expect(v.proposer.invalid + v.proposer.slashable).toBe(0);
    }
    // Duties that were already under way while the nodes started are not judged.
    const judged = (o: { duty: { slot: number } }) => o.duty.slot >= net!.firstSlot;
    for (const node of net.nodes) {
      const attester = node!.tracker.outcomes().filter((o) => o.duty.type === "attester" && judged(o));
      expect(attester.length).toBeGreaterThan(0);
      expect(attester.filter((o) => !o.success)).toEqual([]);
      const proposer = node!.tracker.outcomes().filter((o) => o.duty.type === "proposer" && judged(o));
      expect(proposer.filter((o) => !o.success)).toEqual([]);
      expect(node!.tracker.invalidPeers().size).toBe(0);
      // Participation evidence: every peer's signed message kept with its receipt time.
      expect(new Set(node!.parSigEx.evidence().map((e) => e.fromPeer)).size).toBe(3);
    }
  });

  it("one node stopped: still 100%", async () => {
    net = await startSimnet({ offline: [3] });
    const last = net.firstSlot + 2 * 8 - 1;
    await net.untilSlot(last + 3, 0.5);
    expectAllAttestationsIncluded(
      await stats(net, net.firstSlot, last),
      net.cluster.info.validators.map((v) => v.pubkey),
    );
    const tracker = net.nodes[0]!.tracker;
    expect(
      tracker
        .outcomes()
        .filter((o) => o.duty.type === "attester" && o.duty.slot >= net!.firstSlot && !o.success),
    ).toEqual([]);
    expect(tracker.participation().get(4) ?? 0).toBe(0);
  });

  it("two of four stopped: duties fail cleanly, nothing submitted", async () => {
    net = await startSimnet({ offline: [2, 3] });
    const last = net.firstSlot + 8 - 1;
    await net.untilSlot(last + 3, 0.5);
    const s = await stats(net, net.firstSlot, last);
    expect(s.totals.attester.submitted).toBe(0);
    expect(s.totals.attester.invalid).toBe(0);
    expect(s.totals.proposer.invalid).toBe(0);
    expect(s.slashings).toBe(0);
    for (const node of net.nodes.slice(0, 2)) {
      const attester = node!.tracker.outcomes().filter((o) => o.duty.type === "attester");
      expect(attester.length).toBeGreaterThan(0);
      for (const o of attester) {
        expect(o.success).toBe(false);
        expect(["no_consensus", "insufficient_peer_signatures"]).toContain(o.reason);
      }
    }
  });
});
